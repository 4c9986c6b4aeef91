"""The FineWeb recipe gives the stored decisions on real corpora (issue 21: speed work must not
change a verdict or a byte of text). See tests/filters/recipe_fingerprint.py for how to refresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.filters import recipe_fingerprint as fp

STORED = json.loads(fp.STORED.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", list(fp.corpora()))
def test_decisions_match_the_stored_fingerprint(name):
    got = fp.decisions(name)
    want = STORED[name]
    assert got["docs"] == want["docs"], "the corpus itself changed"
    assert (got["verdicts"], got["steps"]) == (want["verdicts"], want["steps"]), (
        f"{name}: the FineWeb recipe now decides differently; if a rule changed on purpose, refresh: "
        "PYTHONPATH=src .venv/bin/python -m tests.filters.recipe_fingerprint --refresh")
    assert got["sha256"] == want["sha256"], f"{name}: same verdicts, but kept text or columns differ"


def test_every_stored_corpus_is_checked():
    assert sorted(fp.corpora()) == sorted(k for k in STORED if not k.startswith("_"))


@pytest.mark.slow
def test_the_pure_python_twins_give_the_same_fingerprint():
    # The C extensions (filters/_native.c, extract/_native.c) and their Python twins: every corpus,
    # every verdict and byte, again in a process that runs the twins alone.
    env = {**os.environ, "FRUITSTAND_PURE_PYTHON": "1", "PYTHONPATH": str(fp.REPO / "src")}
    proc = subprocess.run([sys.executable, "-m", "tests.filters.recipe_fingerprint"], cwd=fp.REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(" same") == len(fp.corpora())
