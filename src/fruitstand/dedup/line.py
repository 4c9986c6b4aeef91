"""line_dedup: remove lines that recur across many documents (menus, footers, banners).

A line counts once per document that holds it (after normalisation, see
`shingles.Normaliser`); a line found in at least `min_count` documents is boilerplate and is
removed, from every document but the first that holds it when `keep_first` is set, which
is C4's rule ("discarded all but one of any three-sentence span occurring more than once
in the data set", Raffel et al. 2020, section 2.2, with `min_count = 2`). With
`unit = "sentences3"` the unit is C4's span of three consecutive sentences instead of a
line, and a sentence goes when any span over it goes. A document left with no text is
dropped.

`map` writes runs of (unit hash, documents holding it in the run, first position); a reduce
job per slice of the hash space adds the counts of every run and writes the frequent
hashes with the key of the first document holding them; `filter` looks each unit up there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import xxhash

from fruitstand import lazy, params
from fruitstand.dedup.runs import (
    RunWriter,
    atomic_write,
    doc_keys,
    gather,
    list_runs,
    ranges,
    starts_of,
)
from fruitstand.dedup.shingles import Normaliser
from fruitstand.document import Document
from fruitstand.step import GlobalStep, ReduceJob, StepStats, TaskContext

np = lazy.module("numpy")

_DTYPES = ("uint64", "uint32", "uint32")  # unit hash, documents holding it, first position
_REDUCE_BYTES_PER_ROW = 80
_MAP_BYTES_PER_ROW = 48
# A sentence ends at terminal punctuation: Latin, CJK full-width (no space follows),
# Urdu/Arabic (U+06D4, U+061F) and Devanagari danda (U+0964).
_SENTENCE = re.compile(r".+?(?:[.!?]+(?=\s|$)|[。！？]+|[\u06d4\u061f\u0964]+|$)\s*", re.S)
UNITS = ("line", "sentences3")


@dataclass
class LineDedup(GlobalStep):
    """Remove lines (or C4's 3-sentence spans) found in at least `min_count` documents."""

    kind: ClassVar[str] = "line_dedup"
    min_count: int = 3
    unit: str = "line"
    keep_first: bool = True
    memory_mb: int = 1024

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        params.one_of(self, "unit", UNITS)
        params.at_least(self, "min_count", 2)
        params.at_least(self, "memory_mb", 4)

    def map(self, docs: Iterable[Document], stats: StepStats, ctx: TaskContext) -> Iterator[Document]:
        writer = RunWriter(ctx.workdir / "runs", ctx.task_index)
        units = _Units(self.unit)
        run_rows = max(1024, self.memory_mb * (1 << 20) // 4 // _MAP_BYTES_PER_ROW)
        hashes: list[int] = []
        positions: list[int] = []
        for pos, doc in enumerate(docs):
            yield doc
            h = units.hashes(doc.text)[1]
            hashes += h
            positions += [pos] * len(h)
            if len(hashes) >= run_rows:
                _write_run(writer, hashes, positions)
                hashes, positions = [], []
        _write_run(writer, hashes, positions)

    def reduce_stages(self, workdir: Path, n_tasks: int) -> list[list[ReduceJob]]:
        parts = max(1, min(16, n_tasks))
        return [[(f"range-{r:03d}", functools.partial(_count_range, str(workdir), r, parts, self.min_count,
                                                     self.memory_mb)) for r in range(parts)]]

    def filter(self, docs: Iterable[Document], stats: StepStats, ctx: TaskContext) -> Iterator[Document]:
        files = sorted((ctx.workdir / "frequent").glob("r*.bin"))
        cols = [np.fromfile(f, np.uint64).reshape(2, -1) for f in files]
        freq = np.concatenate([c[0] for c in cols]) if cols else np.empty(0, np.uint64)
        first = np.concatenate([c[1] for c in cols]) if cols else np.empty(0, np.uint64)
        units = _Units(self.unit)
        task_key = int(doc_keys(ctx.task_index, np.zeros(1, np.uint32))[0])
        for pos, doc in enumerate(docs):
            stats.docs_in += 1
            pieces, hashes = units.hashes(doc.text)
            if len(freq) and hashes:
                h = np.array(hashes, np.uint64)
                idx = np.minimum(np.searchsorted(freq, h), len(freq) - 1)
                hit = freq[idx] == h
                if self.keep_first:
                    hit &= first[idx] != np.uint64(task_key + pos)
                if hit.any():
                    text = units.remove(doc.text, pieces, hit)
                    stats.extra["units_removed"] += int(hit.sum())
                    if not text.strip():
                        stats.drop_doc("line_dedup_empty", doc)
                        continue
                    doc.text = text
            stats.docs_out += 1
            yield doc


class _Units:
    """Splits a text into units (lines or 3-sentence spans) and hashes them, normalised."""

    def __init__(self, unit: str):
        self.unit = unit
        self.normalise = Normaliser()

    def hashes(self, text: str) -> tuple[list, list[int]]:
        """(pieces, hashes): the lines or sentences, and one hash per non-empty unit."""
        norm, digest = self.normalise, xxhash.xxh3_64_intdigest
        if self.unit == "line":
            lines = text.split("\n")
            normed = [norm(line) for line in lines]
            return (lines, normed), [digest(n.encode()) for n in normed if n]
        sentences = [(i, m.group()) for i, line in enumerate(text.split("\n")) for m in _SENTENCE.finditer(line)]
        normed = [norm(s) for _, s in sentences]
        spans = [" ".join(normed[i:i + 3]) for i in range(len(normed) - 2)]
        return (sentences, spans), [digest(s.encode()) for s in spans if s.strip()]

    def remove(self, text: str, pieces: tuple, hit: np.ndarray) -> str:
        if self.unit == "line":
            lines, normed = pieces
            which = np.flatnonzero([bool(n) for n in normed])[hit]
            gone = set(which.tolist())
            return "\n".join(line for i, line in enumerate(lines) if i not in gone)
        sentences, spans = pieces
        which = np.flatnonzero([bool(s.strip()) for s in spans])[hit]
        cover = np.zeros(len(sentences) + 1, np.int64)
        np.add.at(cover, which, 1)
        np.add.at(cover, which + 3, -1)
        gone = np.cumsum(cover)[:-1] > 0
        lines: dict[int, list[str]] = {}
        n_lines = text.count("\n") + 1
        for (line, sentence), drop in zip(sentences, gone.tolist()):
            lines.setdefault(line, [])
            if not drop:
                lines[line].append(sentence)
        return "\n".join("".join(lines.get(i, [])).rstrip() for i in range(n_lines)).strip("\n")


def _write_run(writer: RunWriter, hashes: list[int], positions: list[int]) -> None:
    if not hashes:
        return
    h = np.array(hashes, np.uint64)
    p = np.array(positions, np.uint32)
    order = np.lexsort((p, h))
    h, p = h[order], p[order]
    keep = starts_of(h, p)  # a unit repeated within one document counts once
    h, p = h[keep], p[keep]
    first = np.flatnonzero(starts_of(h))
    counts = np.diff(np.append(first, len(h))).astype(np.uint32)
    writer.write([h[first], counts, p[first]])


def _count_range(workdir: str, part: int, parts: int, min_count: int, memory_mb: int) -> dict[str, int]:
    """Reduce job: documents per unit hash in one slice of the hash space; keep the frequent ones."""
    work = Path(workdir)
    runs = list_runs(work / "runs", _DTYPES)
    lo, hi = ranges(parts)[part]
    out_h, out_first = [], []
    for spans in gather(runs, 0, lo, hi, _REDUCE_BYTES_PER_ROW, memory_mb << 20):
        if not spans:
            continue
        h = np.concatenate([r.read(0, a, b) for r, a, b in spans])
        count = np.concatenate([r.read(1, a, b) for r, a, b in spans]).astype(np.int64)
        key = np.concatenate([doc_keys(r.task, r.read(2, a, b)) for r, a, b in spans])
        order = np.argsort(h, kind="stable")  # equal hashes stay in run order: first key first
        h, count, key = h[order], count[order], key[order]
        starts = np.flatnonzero(starts_of(h))
        total = np.add.reduceat(count, starts)
        frequent = starts[total >= min_count]
        out_h.append(h[frequent])
        out_first.append(key[frequent])
    h = np.concatenate(out_h) if out_h else np.empty(0, np.uint64)
    first = np.concatenate(out_first) if out_first else np.empty(0, np.uint64)
    (work / "frequent").mkdir(exist_ok=True)
    atomic_write(work / "frequent" / f"r{part:03d}.bin", [h, first])
    return {"frequent_units": len(h)}
