"""Sorted runs on disk: how the dedup steps hand side data from `map` to `reduce`.

A task's `map` collects fixed-width records (hashes, positions) and, whenever they reach a
share of `memory_mb`, sorts them by hash and writes them as one *run*: a headerless file of
columns laid end to end (`runs/t{task}-{n}.bin`). A reduce job then owns one slice of the
64-bit hash space and, for every run, finds its slice with a binary search on a memory map
(a few pages read) and reads just those records. Hashes are uniform, so the job splits its
slice further into as many sub-slices as `memory_mb` needs: a job's memory depends on the
budget, never on the corpus, which is how datatrove's bucket stage (a k-way merge of
sorted files) bounds memory too, with NumPy sorts in place of a Python heap.

A document is named by a 64-bit key, `(task + 1) << 32 | position`: sorting by key sorts by
(task, position), the order the executor reads them in, and key 0 is left for documents of
a reference run, which sort first and so are always the ones kept.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from fruitstand import lazy

np = lazy.module("numpy")


MAX_U64 = (1 << 64) - 1


def doc_keys(task: int, positions: np.ndarray) -> np.ndarray:
    return (np.uint64(task + 1) << np.uint64(32)) | positions.astype(np.uint64)


def task_bounds(task: int) -> tuple[np.uint64, np.uint64]:
    """Inclusive key range of one task's documents."""
    return np.uint64((task + 1) << 32), np.uint64(((task + 2) << 32) - 1)


def atomic_write(path: Path, columns: Iterable[np.ndarray]) -> None:
    """Write arrays end to end under a temporary name, then move into place (safe to re-run)."""
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        for col in columns:
            np.ascontiguousarray(col).tofile(fh)
    os.replace(tmp, path)


def atomic_write_json(path: Path, data: object) -> None:
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


class RunWriter:
    """Writes one task's runs; a re-run of the task first removes what an earlier attempt left."""

    def __init__(self, folder: Path, task: int):
        self.folder = folder
        self.task = task
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"t{task:05d}-*"):
            stale.unlink(missing_ok=True)

    def write(self, columns: Iterable[np.ndarray], rows: int | None = None) -> None:
        """One run. `columns` may be an iterator that makes each column as it is written (then
        give `rows`), so that a run's sorted columns need not all be in memory at once."""
        if (len(columns[0]) if rows is None else rows):
            atomic_write(self.folder / f"t{self.task:05d}-{self.count:04d}.bin", columns)
            self.count += 1


class Run:
    """A run file read back: `dtypes` names its columns, all of one length."""

    def __init__(self, path: Path, dtypes: Sequence[np.dtype]):
        self.path = path
        self.dtypes = [np.dtype(d) for d in dtypes]
        width = sum(d.itemsize for d in self.dtypes)
        self.rows = path.stat().st_size // width
        self.offsets = np.cumsum([0] + [d.itemsize * self.rows for d in self.dtypes]).tolist()
        name = path.name
        self.task = int(name[1:6]) if name.startswith("t") else -1

    def column(self, i: int) -> np.ndarray:
        if self.rows == 0:
            return np.empty(0, self.dtypes[i])
        return np.memmap(self.path, self.dtypes[i], "r", offset=self.offsets[i], shape=(self.rows,))

    def read(self, i: int, start: int, stop: int) -> np.ndarray:
        d = self.dtypes[i]
        return np.fromfile(self.path, d, count=stop - start, offset=self.offsets[i] + start * d.itemsize)


def list_runs(folder: Path, dtypes: Sequence[np.dtype]) -> list[Run]:
    """The runs in a folder, in (task, run) order, which is document key order."""
    return [Run(p, dtypes) for p in sorted(folder.glob("t*.bin"))] if folder.is_dir() else []


def ranges(parts: int) -> list[tuple[int, int]]:
    """`parts` inclusive slices of equal width covering the 64-bit hash space."""
    bounds = [(r << 64) // parts for r in range(parts + 1)]
    return [(bounds[r], bounds[r + 1] - 1) for r in range(parts)]


def split_range(lo: int, hi: int, pieces: int) -> list[tuple[int, int]]:
    width = hi - lo + 1
    bounds = [lo + (width * r) // pieces for r in range(pieces + 1)]
    return [(bounds[r], bounds[r + 1] - 1) for r in range(pieces) if bounds[r + 1] > bounds[r]]


def gather(runs: Sequence[Run], sort_col: int, lo: int, hi: int, bytes_per_row: int,
           budget_bytes: int) -> Iterator[list[tuple[Run, int, int]]]:
    """Yield, sub-slice by sub-slice of [lo, hi], the (run, start, stop) rows each run holds
    there; each sub-slice holds about `budget_bytes / bytes_per_row` rows at most."""
    cols = [r.column(sort_col) for r in runs]
    lo_v, hi_v = np.uint64(lo), np.uint64(hi)
    total = sum(int(np.searchsorted(c, hi_v, "right") - np.searchsorted(c, lo_v, "left")) for c in cols)
    pieces = max(1, math.ceil(total * bytes_per_row / max(budget_bytes, 1)))
    for sub_lo, sub_hi in split_range(lo, hi, pieces):
        a, b = np.uint64(sub_lo), np.uint64(sub_hi)
        spans = []
        for run, col in zip(runs, cols):
            start, stop = int(np.searchsorted(col, a, "left")), int(np.searchsorted(col, b, "right"))
            if stop > start:
                spans.append((run, start, stop))
        yield spans
    del cols


def group_starts(first: np.ndarray) -> np.ndarray:
    """Given which rows of a sorted array start a new value, the index of each row's first row."""
    idx = np.where(first, np.arange(len(first)), 0)
    return np.maximum.accumulate(idx) if len(idx) else idx


def starts_of(*sorted_cols: np.ndarray) -> np.ndarray:
    """Rows where the value of the (lexicographically sorted) columns changes."""
    n = len(sorted_cols[0])
    first = np.ones(n, dtype=bool)
    if n > 1:
        first[1:] = False
        for col in sorted_cols:
            first[1:] |= col[1:] != col[:-1]
    return first


def task_slice(path: Path, task: int, columns: int = 2) -> list[np.ndarray]:
    """The rows of a key-sorted uint64 file (`columns` columns, key first) that belong to one task."""
    if not path.exists():
        return [np.empty(0, np.uint64) for _ in range(columns)]
    run = Run(path, [np.uint64] * columns)
    lo, hi = task_bounds(task)
    col = run.column(0)
    start, stop = int(np.searchsorted(col, lo, "left")), int(np.searchsorted(col, hi, "right"))
    del col
    return [run.read(i, start, stop) for i in range(columns)]
