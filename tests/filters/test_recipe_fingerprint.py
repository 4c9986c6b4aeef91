"""The FineWeb recipe gives the stored decisions on real corpora (issue 21: speed work must not
change a verdict or a byte of text). See tests/filters/recipe_fingerprint.py for how to refresh."""

from __future__ import annotations

import json

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
