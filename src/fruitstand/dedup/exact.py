"""exact_dedup: drop every document whose normalised text was seen before, corpus-wide.

Each document's normalised text (see `shingles.Normaliser`: case, punctuation, digits and
whitespace folded) is hashed with 128-bit xxh3, so a false match needs a collision of 128
bits. `map` writes (hash, position) runs sorted by hash; one reduce job per slice of the
hash space gathers that slice from every run, sorts it (a stable sort keeps the runs'
(task, position) order) and, within each group of equal hashes, keeps the first document
and removes the rest. Across all shards and workers, the kept one is thus the document
that comes first in input order; a document matching a reference run is always removed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import xxhash

from fruitstand import lazy, params
from fruitstand.dedup import reference as ref
from fruitstand.dedup.clusters import distinct
from fruitstand.dedup.report import SampleCollector, choose_pairs, complete_report, start_report
from fruitstand.dedup.runs import (
    RunWriter,
    atomic_write,
    atomic_write_json,
    doc_keys,
    gather,
    group_starts,
    list_runs,
    ranges,
    starts_of,
    task_slice,
)
from fruitstand.dedup.shingles import HASHING_VERSION, Normaliser
from fruitstand.document import Document
from fruitstand.step import GlobalStep, ReduceJob, StepStats, TaskContext

np = lazy.module("numpy")

_DTYPES = ("uint64", "uint64", "uint32")  # hash high half, low half, position in task
# Bytes a reduce job holds per record: three columns read, keys, sort order, sorted copies.
_REDUCE_BYTES_PER_ROW = 96
_MAP_BYTES_PER_ROW = 40
_INDEX_PARAMS = {"hashing": HASHING_VERSION}


@dataclass
class ExactDedup(GlobalStep):
    """Drop documents whose normalised text hash was seen before, across all shards."""

    kind: ClassVar[str] = "exact_dedup"
    memory_mb: int = 1024
    reference: str | list[str] | None = None

    def __post_init__(self) -> None:
        ref.resolve(self.reference, self.kind, _INDEX_PARAMS)

    def validate(self) -> None:
        params.at_least(self, "memory_mb", 4)

    def map(self, docs: Iterable[Document], stats: StepStats, ctx: TaskContext) -> Iterator[Document]:
        writer = RunWriter(ctx.workdir / "runs", ctx.task_index)
        normalise = Normaliser()
        run_rows = max(1024, self.memory_mb * (1 << 20) // 4 // _MAP_BYTES_PER_ROW)
        digests = bytearray()
        first = pos = 0
        for pos, doc in enumerate(docs, 1):
            yield doc
            digests += xxhash.xxh3_128_digest(normalise(doc.text).encode())
            if pos - first >= run_rows:
                _write_run(writer, digests, first)
                digests, first = bytearray(), pos
        _write_run(writer, digests, first)

    def reduce_stages(self, workdir: Path, n_tasks: int) -> list[list[ReduceJob]]:
        refs = ref.resolve(self.reference, self.kind, _INDEX_PARAMS)
        parts = max(1, min(16, n_tasks))
        jobs = [(f"range-{r:03d}", functools.partial(_dedup_range, str(workdir), r, parts, self.memory_mb, refs))
                for r in range(parts)]
        return [jobs, [("report", functools.partial(_report, str(workdir), parts))]]

    def filter(self, docs: Iterable[Document], stats: StepStats, ctx: TaskContext) -> Iterator[Document]:
        t = ctx.task_index
        parts = [task_slice(p, t) for p in sorted((ctx.workdir / "removed").glob("r*.bin"))]
        keys = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.uint64)
        roots = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.uint64)
        removed = dict(zip((keys & np.uint64(0xFFFFFFFF)).tolist(), (roots == 0).tolist()))
        sample = SampleCollector(ctx.workdir, t)
        for pos, doc in enumerate(docs):
            stats.docs_in += 1
            if pos in sample.wanted:
                sample.add(pos, doc.id, text=doc.text)
            verdict = removed.get(pos)
            if verdict is None:
                stats.docs_out += 1
                yield doc
            else:
                stats.drop_doc("exact_duplicate_of_reference" if verdict else "exact_duplicate", doc)
        sample.finish(_no_similarity)

    def complete(self, workdir: Path) -> None:
        complete_report(workdir, _no_similarity)


def _no_similarity(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {}


def _write_run(writer: RunWriter, digests: bytearray, first: int) -> None:
    pairs = np.frombuffer(bytes(digests), dtype=">u8").reshape(-1, 2).astype(np.uint64)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    positions = np.arange(first, first + len(pairs), dtype=np.uint32)
    writer.write([pairs[order, 0], pairs[order, 1], positions[order]])


def _dedup_range(workdir: str, part: int, parts: int, memory_mb: int, refs: list[str]) -> dict[str, int]:
    """Reduce job: find equal hashes in one slice of the hash space; write (removed, kept) keys."""
    work = Path(workdir)
    runs = [(r, True) for folder in refs for r in list_runs(Path(folder), _DTYPES)]
    runs += [(r, False) for r in list_runs(work / "runs", _DTYPES)]
    lo, hi = ranges(parts)[part]
    out_keys, out_roots = [], []
    is_ref = {id(r): flag for r, flag in runs}
    for spans in gather([r for r, _ in runs], 0, lo, hi, _REDUCE_BYTES_PER_ROW, memory_mb << 20):
        if not spans:
            continue
        h1 = np.concatenate([r.read(0, a, b) for r, a, b in spans])
        h2 = np.concatenate([r.read(1, a, b) for r, a, b in spans])
        key = np.concatenate([np.zeros(b - a, np.uint64) if is_ref[id(r)] else doc_keys(r.task, r.read(2, a, b))
                              for r, a, b in spans])
        order = np.lexsort((h2, h1))  # stable: equal hashes stay in key order
        h1, h2, key = h1[order], h2[order], key[order]
        del order
        first = group_starts(starts_of(h1, h2))
        dup = (first != np.arange(len(first))) & (key != 0)
        out_keys.append(key[dup])
        out_roots.append(key[first[dup]])
    keys = np.concatenate(out_keys) if out_keys else np.empty(0, np.uint64)
    roots = np.concatenate(out_roots) if out_roots else np.empty(0, np.uint64)
    order = np.argsort(keys, kind="stable")
    keys, roots = keys[order], roots[order]
    (work / "removed").mkdir(exist_ok=True)
    atomic_write(work / "removed" / f"r{part:03d}.bin", [keys, roots])
    counters = {"clusters": len(distinct(roots[roots != 0])), "removed": len(keys),
                "removed_by_reference": int((roots == 0).sum())}
    atomic_write_json(work / "removed" / f"r{part:03d}.json",
                      {"counters": counters, "pairs": choose_pairs(keys, roots)})
    return counters


def _report(workdir: str, parts: int) -> dict[str, int]:
    """Reduce job: sum the slices' counters, pick the sampled pairs, mark the index usable."""
    work = Path(workdir)
    counters: dict[str, int] = {}
    pairs: list[list[int]] = []
    for part in range(parts):
        data: dict[str, Any] = json.loads((work / "removed" / f"r{part:03d}.json").read_text())
        for k, v in data["counters"].items():
            counters[k] = counters.get(k, 0) + v
        pairs += data["pairs"]
    pairs.sort()
    step = max(1, len(pairs) // 20)
    start_report(work, counters, pairs[::step][:20])
    ref.write_index(work, ExactDedup.kind, _INDEX_PARAMS)
    return {}
