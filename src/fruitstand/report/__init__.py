"""The run report (`report.html`) and the dataset card (`README.md`) of an output folder.

Both are drawn from the folder's manifest and the statistics its tasks gathered during the
run (sketch.py), never by re-reading the corpus, so they take the same time at a thousand
documents as at a million. `fruitstand run` writes both at its end; `fruitstand report DIR`
writes them again (after `fruitstand tokenize`, say, to add the token counts).
"""

from __future__ import annotations

import os
from pathlib import Path

from fruitstand.io.writers import atomic_write_bytes


def report(output: str | os.PathLike, *, card: bool = True) -> Path:
    """Write `output/report.html` (and, with `card`, the dataset card `output/README.md`); return the report's path."""
    from fruitstand.report.data import load
    from fruitstand.report.render import render

    facts = load(output)
    path = Path(output) / "report.html"
    atomic_write_bytes(path, render(facts).encode())
    if card:
        from fruitstand.report.card import write_card

        write_card(facts)
    return path


__all__ = ["report"]
