"""The dedup report: counters plus a small sample of duplicate pairs, in `report.json`.

The reduce knows which documents pair up but not their text; `filter` sees the text but
each task only its own documents. So the reduce writes the report with its counters and
the chosen pairs (`sample.json`); every task that holds a member of a pair saves that
member's id (and shingle hashes) as `sample/part-TASK.json` when its filter ends; whichever
task finds all parts present completes `report.json` with the pairs' ids and their
estimated and true Jaccard similarity. Writes are atomic and their content depends only on
the data, so two tasks doing it at once, or a task re-run, write the same file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fruitstand import lazy
from fruitstand.dedup.runs import atomic_write_json

np = lazy.module("numpy")

SAMPLE_PAIRS = 20
# Characters of each sampled member's text kept for the report.
SNIPPET = 400


def choose_pairs(keys: np.ndarray, roots: np.ndarray, n: int = SAMPLE_PAIRS) -> list[list[int]]:
    """Up to n (kept, removed) key pairs spread evenly over the removed documents, leaving
    out those removed for matching a reference run (their kept member has no text here)."""
    idx = np.flatnonzero(roots != 0)
    if len(idx) > n:
        idx = idx[np.linspace(0, len(idx) - 1, n).round().astype(np.int64)]
    return [[int(roots[i]), int(keys[i])] for i in idx]


def start_report(workdir: Path, counters: dict[str, int], pairs: list[list[int]]) -> None:
    atomic_write_json(workdir / "sample.json", {"pairs": pairs})
    atomic_write_json(workdir / "report.json", {**counters, "pairs": []})


class SampleCollector:
    """Collects, during one task's filter, the sampled documents that live in that task."""

    def __init__(self, workdir: Path, task: int):
        self.workdir = workdir
        self.task = task
        self.wanted: dict[int, int] = {}
        path = workdir / "sample.json"
        if path.exists():
            for pair in json.loads(path.read_text())["pairs"]:
                for key in pair:
                    if (key >> 32) == task + 1:
                        self.wanted[key & 0xFFFFFFFF] = key
        self.found: dict[str, dict[str, Any]] = {}

    def add(self, position: int, doc_id: str, shingles: np.ndarray | None = None, text: str | None = None) -> None:
        entry: dict[str, Any] = {"id": doc_id}
        if text is not None:  # the report shows the pair's texts side by side
            entry["chars"] = len(text)
            entry["text"] = text[:SNIPPET]
        if shingles is not None:
            entry["shingles"] = np.unique(shingles).tolist()
        self.found[str(self.wanted[position])] = entry

    def finish(self, complete: Callable[[dict[str, Any], dict[str, dict[str, Any]]], dict[str, Any]]) -> None:
        """Save this task's part, then complete the report if every part is there."""
        if not self.wanted:
            return
        folder = self.workdir / "sample"
        folder.mkdir(exist_ok=True)
        atomic_write_json(folder / f"part-{self.task:05d}.json", self.found)
        complete_report(self.workdir, complete)


def complete_report(workdir: Path, complete: Callable[[dict[str, Any], dict[str, dict[str, Any]]], dict[str, Any]]
                    ) -> None:
    """Complete `report.json` with the sampled pairs if every task holding a member saved its part."""
    if not (workdir / "sample.json").exists():
        return
    folder = workdir / "sample"
    pairs = json.loads((workdir / "sample.json").read_text())["pairs"]
    if not pairs:
        return
    tasks = sorted({(k >> 32) - 1 for pair in pairs for k in pair})
    parts: dict[str, dict[str, Any]] = {}
    for t in tasks:
        p = folder / f"part-{t:05d}.json"
        if not p.exists():
            return
        parts.update(json.loads(p.read_text()))
    report = json.loads((workdir / "report.json").read_text())
    rows = []
    for kept, removed in pairs:
        a, b = parts.get(str(kept)), parts.get(str(removed))
        if a is not None and b is not None:
            texts = {f"{side}_{k}": e[k] for side, e in (("kept", a), ("removed", b)) for k in ("text", "chars") if k in e}
            rows.append({"kept": a["id"], "removed": b["id"], **complete(a, b), **texts})
    report["pairs"] = rows
    atomic_write_json(workdir / "report.json", report)
