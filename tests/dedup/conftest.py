"""Fixtures shared by the dedup tests: the planted corpus, built once per session."""

from __future__ import annotations

import pytest

from tests.dedup import planted


@pytest.fixture(scope="session")
def corpus(shared) -> dict:
    return planted.build()


@pytest.fixture(scope="session")
def all_ids(corpus) -> set[str]:
    return {d["id"] for t in corpus["tasks"] for d in t}
