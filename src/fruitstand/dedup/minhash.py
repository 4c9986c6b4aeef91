"""minhash_dedup: fuzzy dedup with MinHash and locality-sensitive hashing (LSH).

Defaults are FineWeb's (datatrove's `MinhashConfig`): word 5-grams of normalised text, 112
hashes in 14 bands of 8 rows. Two documents share a band when all 8 of its minhashes are
equal, which for Jaccard similarity s happens with probability s**8; they become a
candidate pair when any band matches: 1 - (1 - s**8)**14, i.e. 0.92 at s = 0.8, 0.50 at
s = 0.72 and 0.05 at s = 0.5. Candidate pairs are linked into clusters and each cluster
keeps one document, the first in input order.

The stages, each parallel and each bounded by `memory_mb`:
- `map` (per task): shingle hashes (`shingles.ShingleHasher`, one NumPy pass per batch of
  documents), minhash signatures (rensa's Rust `digest_matrix_from_flat_token_hashes`,
  which measured 8x faster than the same permutations in NumPy), then one 64-bit hash per
  band; written as runs sorted by band hash.
- buckets (per band and slice of the hash space): equal band hashes, from every run, give
  edges (first document of the bucket, other document).
- clusters (one job): connected components of the edges with a vectorised union-find over
  the candidate documents only; every member but the smallest key is removed.
- `filter` (per task): drops the removed positions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import rensa

from fruitstand import lazy, params
from fruitstand.dedup import reference as ref
from fruitstand.dedup.clusters import components, distinct
from fruitstand.dedup.report import SampleCollector, choose_pairs, complete_report, start_report
from fruitstand.dedup.runs import (
    RunWriter,
    atomic_write,
    doc_keys,
    gather,
    group_starts,
    list_runs,
    ranges,
    starts_of,
    task_slice,
)
from fruitstand.dedup.shingles import HASHING_VERSION, Normaliser, ShingleHasher, fmix64, tokenise
from fruitstand.document import Document
from fruitstand.step import GlobalStep, ReduceJob, StepStats, TaskContext

np = lazy.module("numpy")

# Memory of `map` per character of a batch: UTF-8 bytes, prefix sums and powers (8 bytes
# each per byte), word and shingle arrays, rensa's rows; measured ~45, budgeted 48. Batches
# of 64-128 K characters measured fastest (their arrays stay in cache); a longer document is
# a batch of its own and is signed by its first million characters (fewer when a quarter
# of `memory_mb` cannot hold that many): a longer page is rarely anything but a dump.
_MAP_BYTES_PER_CHAR = 48
_BATCH_CHARS = 1 << 17
MAX_DOC_CHARS = 1 << 20


def _doc_chars(memory_mb: int) -> int:
    return min(max((memory_mb << 20) // 4 // _MAP_BYTES_PER_CHAR, 1 << 15), MAX_DOC_CHARS)


# Bytes per document and band budgeted for a run being collected and sorted. Sorting every band
# before writing took ~36 (a hash, its sorted copy and sort order, positions); `_write_run` now
# sorts and writes band by band (~14), and the budget is left as it was, so runs (and the files
# the later stages read) are unchanged and the real use stays well under `memory_mb / 4`.
_RUN_BYTES_PER_BAND = 36
# Bytes a bucket job holds per record: hash and position read, keys, sort order, sorted copies.
_REDUCE_BYTES_PER_ROW = 64


@dataclass
class MinhashDedup(GlobalStep):
    """Fuzzy dedup with MinHash-LSH (FineWeb's defaults: 5-grams, 14 bands of 8 rows)."""

    kind: ClassVar[str] = "minhash_dedup"
    ngram: int = 5
    bands: int = 14
    rows: int = 8
    seed: int = 1
    memory_mb: int = 1024
    reference: str | list[str] | None = None

    def __post_init__(self) -> None:
        ref.resolve(self.reference, self.kind, self._index_params())

    def validate(self) -> None:
        params.at_least(self, "ngram", 1)
        params.between(self, "bands", 1, 256)
        params.between(self, "rows", 1, 64)
        params.between(self, "seed", 0, (1 << 63) - 1)
        params.at_least(self, "memory_mb", 4)

    def _index_params(self) -> dict[str, Any]:
        return {"ngram": self.ngram, "bands": self.bands, "rows": self.rows, "seed": self.seed,
                "hashing": HASHING_VERSION, "rensa": int(rensa.RMinHash.ALGORITHM_VERSION)}

    def map(self, docs: Iterable[Document], stats: StepStats, ctx: TaskContext) -> Iterator[Document]:
        max_chars = _doc_chars(self.memory_mb)
        batch_chars = min(max_chars, _BATCH_CHARS)
        run_rows = max(1024, (self.memory_mb << 20) // 4 // (self.bands * _RUN_BYTES_PER_BAND))
        signer = Signer(self.ngram, self.bands, self.rows, self.seed, max_chars)
        writer = RunWriter(ctx.workdir / "runs", ctx.task_index)
        batch: list[str] = []
        chars = first = 0
        positions: list[np.ndarray] = []
        hashes: list[np.ndarray] = []
        n_rows = 0
        for pos, doc in enumerate(docs):
            yield doc
            tokens = signer.tokens(doc)
            batch.append(tokens)
            chars += len(tokens)
            if chars >= batch_chars:
                p, h = signer.band_hashes(batch, first)
                positions.append(p)
                hashes.append(h)
                n_rows += len(p)
                batch, chars, first = [], 0, pos + 1
                if n_rows >= run_rows:
                    _write_run(writer, positions, hashes)
                    positions, hashes, n_rows = [], [], 0
        if batch:
            p, h = signer.band_hashes(batch, first)
            positions.append(p)
            hashes.append(h)
        _write_run(writer, positions, hashes)

    def reduce_stages(self, workdir: Path, n_tasks: int) -> list[list[ReduceJob]]:
        refs = ref.resolve(self.reference, self.kind, self._index_params())
        parts = max(1, min(8, -(-n_tasks // self.bands)))
        buckets = [(f"band{b:02d}-{r:03d}",
                    functools.partial(_buckets, str(workdir), b, self.bands, r, parts, self.memory_mb, refs))
                   for b in range(self.bands) for r in range(parts)]
        cluster = functools.partial(_clusters, str(workdir), self.kind, self._index_params())
        return [buckets, [("clusters", cluster)]]

    def filter(self, docs: Iterable[Document], stats: StepStats, ctx: TaskContext) -> Iterator[Document]:
        t = ctx.task_index
        keys, roots = task_slice(ctx.workdir / "removed.bin", t)
        removed = dict(zip((keys & np.uint64(0xFFFFFFFF)).tolist(), (roots == 0).tolist()))
        sample = SampleCollector(ctx.workdir, t)
        signer = Signer(self.ngram, self.bands, self.rows, self.seed, _doc_chars(self.memory_mb)) if sample.wanted else None
        for pos, doc in enumerate(docs):
            stats.docs_in += 1
            if signer is not None and pos in sample.wanted:
                sample.add(pos, doc.id, signer.hasher([signer.tokens(doc)], self.ngram)[0], text=doc.text)
            verdict = removed.get(pos)
            if verdict is None:
                stats.docs_out += 1
                yield doc
            else:
                stats.drop_doc("minhash_duplicate_of_reference" if verdict else "minhash_duplicate", doc)
        if signer is not None:
            sample.finish(functools.partial(_jaccards, self.bands * self.rows, self.seed))

    def complete(self, workdir: Path) -> None:
        complete_report(workdir, functools.partial(_jaccards, self.bands * self.rows, self.seed))


class Signer:
    """Text to shingles to signatures to band hashes, for a batch of documents at once."""

    def __init__(self, ngram: int, bands: int, rows: int, seed: int, max_chars: int = MAX_DOC_CHARS):
        self.ngram, self.bands, self.rows, self.seed = ngram, bands, rows, seed
        self.max_chars = max_chars
        self.normalise = Normaliser()
        self.hasher = ShingleHasher(seed)
        rng = np.random.default_rng([seed, 7])
        self._mult = rng.integers(1 << 62, 1 << 63, rows, dtype=np.uint64) | np.uint64(1)

    def tokens(self, doc: Document) -> str:
        return tokenise(self.normalise(doc.text[: self.max_chars]), doc.metadata.get("script"))

    def signatures(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
            hashes, offsets.astype(np.uint64), self.bands * self.rows, self.seed)
        return np.array(matrix.to_rows(), dtype=np.uint32).reshape(-1, self.bands * self.rows)

    def band_hashes(self, tokens: list[str], first: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions (from `first`) of the documents with any shingle, and their band hashes."""
        hashes, offsets = self.hasher(tokens, self.ngram)
        sig = self.signatures(hashes, offsets).reshape(len(tokens), self.bands, self.rows).astype(np.uint64)
        band = sig[:, :, 0] + np.uint64(0x9E3779B97F4A7C15)
        for j in range(1, self.rows):
            band *= self._mult[j]
            band += sig[:, :, j]
        keep = np.flatnonzero(offsets[1:] > offsets[:-1])
        return (keep + first).astype(np.uint32), fmix64(band[keep])


def _write_run(writer: RunWriter, positions: list[np.ndarray], hashes: list[np.ndarray]) -> None:
    """One run: each band's hashes sorted, then the positions in each band's order. Written band
    by band, so that beside the hashes only one band's sort order and the sorted positions (4
    bytes a band) are in memory: ~14 bytes a document and band where sorting every band first
    took ~36."""
    if not positions:
        return
    pos = np.concatenate(positions)
    positions.clear()
    h = np.empty((len(pos), hashes[0].shape[1]), np.uint64)
    at = 0
    while hashes:  # each batch's rows moved into place and let go: no second copy of them all
        chunk = hashes.pop(0)
        h[at:at + len(chunk)] = chunk
        at += len(chunk)
    del chunk
    sorted_pos: list[np.ndarray] = []

    def columns() -> Iterator[np.ndarray]:
        for b in range(h.shape[1]):
            col = np.ascontiguousarray(h[:, b])
            order = np.argsort(col, kind="stable")
            sorted_pos.append(pos[order])
            yield col[order]
        while sorted_pos:
            yield sorted_pos.pop(0)

    writer.write(columns(), rows=len(pos))


def _buckets(workdir: str, band: int, bands: int, part: int, parts: int, memory_mb: int,
             refs: list[str]) -> dict[str, int]:
    """Reduce job: documents sharing this band's hash, within one slice of the hash space."""
    work = Path(workdir)
    dtypes = [np.uint64] * bands + [np.uint32] * bands
    runs = [(r, True) for folder in refs for r in list_runs(Path(folder), dtypes)]
    runs += [(r, False) for r in list_runs(work / "runs", dtypes)]
    is_ref = {id(r): flag for r, flag in runs}
    lo, hi = ranges(parts)[part]
    us, vs = [], []
    for spans in gather([r for r, _ in runs], band, lo, hi, _REDUCE_BYTES_PER_ROW, memory_mb << 20):
        if not spans:
            continue
        h = np.concatenate([r.read(band, a, b) for r, a, b in spans])
        key = np.concatenate([np.zeros(b - a, np.uint64) if is_ref[id(r)] else doc_keys(r.task, r.read(bands + band, a, b))
                              for r, a, b in spans])
        order = np.argsort(h, kind="stable")  # equal hashes stay in key order
        h, key = h[order], key[order]
        del order
        first = group_starts(starts_of(h))
        dup = first != np.arange(len(first))
        u, v = key[first[dup]], key[dup]
        us.append(u[u != v])
        vs.append(v[u != v])
    u = np.concatenate(us) if us else np.empty(0, np.uint64)
    v = np.concatenate(vs) if vs else np.empty(0, np.uint64)
    (work / "edges").mkdir(exist_ok=True)
    atomic_write(work / "edges" / f"b{band:03d}-{part:03d}.bin", [u, v])
    return {"candidate_pairs": len(u)}


def _clusters(workdir: str, kind: str, params: dict[str, Any]) -> dict[str, int]:
    """Reduce job: join candidate pairs into clusters; list every member but the first."""
    work = Path(workdir)
    files = sorted((work / "edges").glob("b*.bin"))
    n = sum(f.stat().st_size // 16 for f in files)
    u, v = np.empty(n, np.uint64), np.empty(n, np.uint64)
    at = 0
    for f in files:  # each file read once, straight into its place
        edges = np.fromfile(f, np.uint64).reshape(2, -1)
        u[at:at + edges.shape[1]], v[at:at + edges.shape[1]] = edges
        at += edges.shape[1]
        del edges
    keys, roots = components(u, v)
    del u, v
    atomic_write(work / "removed.bin", [keys, roots])
    counters = {"clusters": len(distinct(roots[roots != 0])), "removed": len(keys),
                "removed_by_reference": int((roots == 0).sum())}
    start_report(work, counters, choose_pairs(keys, roots))
    ref.write_index(work, kind, params)
    return counters


def _jaccards(num_perm: int, seed: int, a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    sa, sb = np.array(a["shingles"], np.uint64), np.array(b["shingles"], np.uint64)
    both = np.concatenate([sa, sb])
    offsets = np.array([0, len(sa), len(both)], np.uint64)
    sig = np.array(rensa.RMinHash.digest_matrix_from_flat_token_hashes(both, offsets, num_perm, seed).to_rows())
    union = len(np.union1d(sa, sb))
    return {"estimated_jaccard": round(float((sig[0] == sig[1]).mean()), 4),
            "true_jaccard": round(len(np.intersect1d(sa, sb)) / union, 4) if union else 1.0}
