"""Comparing fruitstand's decisions with datatrove's recorded ones (tests/data/record_datatrove_*.py)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def recorder(name: str):
    """The recording script tests/data/NAME.py as a module (it runs in datatrove's venv; its
    `documents()` only reads ../shared/data)."""
    spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def disagreements(decide: Callable[[str, str], str], docs: dict[str, str],
                  theirs: dict[str, str]) -> tuple[set[str], set[str]]:
    """(documents one side keeps and the other drops, documents both keep with different text).

    A decision is "keep", "keep:<text hash>" or a drop reason."""
    disagree, text_differs = set(), set()
    for doc_id, text in docs.items():
        mine = decide(doc_id, text)
        if mine.startswith("keep") != theirs[doc_id].startswith("keep"):
            disagree.add(doc_id)
        elif mine.startswith("keep:") and mine != theirs[doc_id]:
            text_differs.add(doc_id)
    return disagree, text_differs
