"""Incremental dedup: finding the hashes and signatures an earlier run left on disk.

A dedup step's work folder keeps its sorted runs (`runs/`) and an `index.json` naming the
step and the parameters the runs were made with. A later run given `reference = "PATH"`
reads those runs as if they were one more task whose documents sort first (key 0), so
anything in the new crawl that matches them is dropped and no old text is read again.
PATH may be the earlier run's output folder, the step's work folder, or a list of either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fruitstand.dedup.runs import atomic_write_json
from fruitstand.registry import RecipeError

INDEX = "index.json"


def write_index(workdir: Path, kind: str, params: dict[str, Any]) -> None:
    atomic_write_json(workdir / INDEX, {"kind": kind, **params})


def _find(path: str, kind: str) -> Path:
    root = Path(path).expanduser()
    if (root / INDEX).is_file():
        return root
    found = sorted(p.parent for p in root.glob(f".fruitstand/work/*-{kind}/{INDEX}"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise RecipeError(f"{kind}: reference {path!r} holds no {kind} index: give the output folder of an "
                          f"earlier run whose recipe has {kind}, or its .fruitstand/work/NN-{kind} folder")
    raise RecipeError(f"{kind}: reference {path!r} has {len(found)} {kind} steps: name one of "
                      + ", ".join(str(p) for p in found))


def resolve(reference: str | list[str] | None, kind: str, params: dict[str, Any]) -> list[str]:
    """The `runs/` folders of the reference indexes, checked to match this step's parameters."""
    if not reference:
        return []
    out = []
    for path in [reference] if isinstance(reference, str) else reference:
        folder = _find(path, kind)
        meta = json.loads((folder / INDEX).read_text())
        if meta.get("kind") != kind:
            raise RecipeError(f"{kind}: reference {path!r} is a {meta.get('kind')} index")
        differ = sorted(k for k, v in params.items() if meta.get(k) != v)
        if differ:
            was = ", ".join(f"{k}={meta.get(k)!r}" for k in differ)
            raise RecipeError(f"{kind}: reference {path!r} was made with {was}: use the same values")
        out.append(str(folder / "runs"))
    return out
