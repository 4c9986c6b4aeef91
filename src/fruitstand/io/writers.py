"""Shard writers: Parquet (zstd) and JSONL (zstd), atomic, deterministic.

Every shard is written to a hidden temporary name in the destination folder and renamed
into place when complete, so a reader (or a resumed run) never sees half a shard. The same
documents in the same order give byte-identical shards.

Parquet shards of one run share one schema, fixed before any task starts from the recipe alone
(see `Schema`: typed columns, then one JSON `metadata` column for every other field), so
`datasets.load_dataset("parquet", ...)` and `pyarrow.dataset` read the folder as one table.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fruitstand.document import CORE_COLUMNS, Document

# Arrow type names a step or reader may declare for a metadata column.
_TYPES = {"string": "string", "float": "float64", "int": "int64", "bool": "bool", "json": "string"}
# The last column: every metadata field that has no column of its own, as one JSON object.
METADATA = "metadata"
# An output's manifest, written last (execute/state.py, io/publish.py): a folder or URL with one is complete.
MANIFEST = "manifest.json"
_INT64 = (-(1 << 63), (1 << 63) - 1)


@dataclass
class Schema:
    """The output columns: the core ones, the declared ones in a fixed order, then `metadata`.

    The rule (README, "Output"): a field has a typed column when it is a core field (`id`,
    `text`, `url`, `language`), `source` (and `date` for web archives), or declared by a step
    (`Step.columns`); every other field, and a declared field whose value is not of the
    column's type, goes into `metadata`, one JSON object per document (null when empty) with
    JSON's types kept. The columns depend on the recipe and the input formats alone, never on
    the data, so every shard of a run has the same schema whatever `--workers`, and no input
    is peeked at before the run.
    """

    columns: dict[str, str] = field(default_factory=dict)  # name -> "string" | "float" | "int" | "bool" | "json"

    def __post_init__(self) -> None:
        for name in CORE_COLUMNS:
            self.columns.setdefault(name, "string")
        self.columns.pop(METADATA, None)

    def add(self, name: str, kind: str) -> None:
        if kind not in _TYPES:
            raise ValueError(f"unknown column type {kind!r} for {name!r}")
        if name == METADATA:
            raise ValueError(f"{METADATA!r} is the column of undeclared fields: name the column otherwise")
        self.columns.setdefault(name, kind)

    def ordered(self) -> list[tuple[str, str]]:
        core = [(c, self.columns[c]) for c in CORE_COLUMNS]
        rest = sorted((c, t) for c, t in self.columns.items() if c not in CORE_COLUMNS)
        return core + rest + [(METADATA, "json")]

    def arrow(self):
        import pyarrow as pa

        return pa.schema([(c, getattr(pa, _TYPES[t])()) for c, t in self.ordered()])

    def to_json(self) -> dict[str, str]:
        return dict(self.ordered())

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Schema:
        return cls(dict(data))


def _fits(value: Any, kind: str) -> bool:
    """Whether a value has a place in a typed column of this kind (None does: a null)."""
    if value is None or kind == "json":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "int":
        return isinstance(value, int) and _INT64[0] <= value <= _INT64[1]
    return isinstance(value, float) or isinstance(value, int) and abs(value) <= 1 << 53  # float


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "json":
        return dumps_json(value)
    if kind == "float":
        return float(value)
    return value


def dumps_json(value: Any) -> str:
    """JSON text of a metadata value: keys sorted, so the same document gives the same bytes."""
    import orjson

    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str).decode()
    except TypeError:  # an integer past 64 bits: the standard library writes it exactly
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def loads_json(text: str | None) -> Any:
    if text is None:
        return None
    import orjson

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def split_metadata(meta: dict[str, Any], typed: list[tuple[str, str]],
                   names: frozenset[str]) -> tuple[list[Any], dict[str, Any] | None]:
    """A document's values for the typed columns (`names`), and every other field (None when none).

    A typed field set to None is a null in its column, the same as one never set.
    """
    values, misfits, present = [], None, 0
    for name, kind in typed:
        v = meta.get(name)
        if name in meta:
            present += 1
            if not _fits(v, kind):
                misfits = (misfits or set()) | {name}
                v = None
        values.append(v)
    if present == len(meta) and misfits is None:  # the common case: nothing left over
        return values, None
    return values, {k: v for k, v in meta.items() if k not in names or misfits and k in misfits}


def _arrow_column(values: list[Any], kind: str):
    """An Arrow array built from buffers.

    `pa.array(list)` imports pandas on its first call when pandas is installed (pyarrow
    checks for pandas objects): 0.3 s in every worker process. Building the buffers with
    NumPy skips that check and is no slower.
    """
    import numpy as np
    import pyarrow as pa

    n = len(values)
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=n)
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    nulls = n - int(valid.sum())
    if kind in ("string", "json"):
        # A lone surrogate (from JSON input) is no UTF-8: it becomes "?" rather than a crash.
        encoded = [v.encode("utf-8", "replace") if v is not None else b"" for v in values]
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=n), out=offsets[1:], dtype=np.int64)
        return pa.Array.from_buffers(pa.string(), n, [bitmap, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
                                     null_count=nulls)
    if kind == "bool":
        data = np.packbits(np.fromiter((bool(v) for v in values), dtype=bool, count=n), bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), n, [bitmap, pa.py_buffer(data)], null_count=nulls)
    dtype, arrow = (np.float64, pa.float64()) if kind == "float" else (np.int64, pa.int64())
    try:
        data = np.fromiter((v if v is not None else 0 for v in values), dtype=dtype, count=n)
    except OverflowError:  # an integer past int64: let Arrow say so the usual way
        return pa.array(values, type=arrow)
    return pa.Array.from_buffers(arrow, n, [bitmap, pa.py_buffer(data)], null_count=nulls)


def dumps_json_line(rec: dict[str, Any]) -> bytes:
    import orjson

    try:
        return orjson.dumps(rec, option=orjson.OPT_NON_STR_KEYS, default=str)
    except TypeError:
        return json.dumps(rec, ensure_ascii=False, default=str).encode()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk: leave no half-written file behind
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    import orjson  # json.dumps with indent runs in pure Python: 0.5 s for a 10,000-input run.json

    atomic_write_bytes(path, orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")


# Parquet: documents become Arrow arrays this many at a time, so a row group is held once (as Arrow),
# not twice (as documents, then as the arrays built from them at the end). It is also the column
# writers' batch (`write_batch_size`, pyarrow's default): pages are cut between batches, so chunks of
# whole batches give the same file, byte for byte, as one array of the row group would.
ARROW_BATCH = 1024


class ShardWriter:
    """Writes one task's documents as numbered shards `{prefix}-{k:04d}.{ext}` in `folder`.

    A shard is closed when it holds `shard_bytes` of text; only closed shards are visible.
    """

    def __init__(self, folder: Path, prefix: str, schema: Schema, *, fmt: str = "parquet",
                 shard_bytes: int = 256 << 20, row_group_bytes: int = 32 << 20):
        if fmt not in ("parquet", "jsonl"):
            raise ValueError(f"unknown output format {fmt!r} (parquet or jsonl)")
        self.folder, self.prefix, self.schema, self.fmt = folder, prefix, schema, fmt
        self.shard_bytes, self.row_group_bytes = shard_bytes, min(row_group_bytes, shard_bytes)
        self.files: list[str] = []
        self.documents = 0
        self._rows: list[Document] = []
        self._batches: list = []  # Parquet: the row group so far, ARROW_BATCH rows a record batch
        self._buffered = 0
        self._in_shard = 0
        self._sink = None
        self._tmp: Path | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def ext(self) -> str:
        return "parquet" if self.fmt == "parquet" else "jsonl.zst"

    def write(self, doc: Document) -> None:
        self._rows.append(doc)
        n = len(doc.text) + 64
        self._buffered += n
        self._in_shard += n
        self.documents += 1
        if len(self._rows) == ARROW_BATCH and self.fmt == "parquet":
            self._batches.append(self._record_batch())
        if self._buffered >= self.row_group_bytes:
            self._flush()
        if self._in_shard >= self.shard_bytes:
            self._close_shard()

    def write_all(self, docs: Iterable[Document]) -> None:
        for doc in docs:
            self.write(doc)

    def close(self) -> list[str]:
        self._close_shard()
        return self.files

    def abort(self) -> None:
        self._rows.clear()
        self._batches = []
        if self._sink is not None:
            try:
                self._sink.close()
            except Exception:  # closing flushes, and the disk may be full: the file goes anyway
                pass
            self._sink = None
        if self._tmp is not None and self._tmp.exists():
            self._tmp.unlink()

    def _final_path(self) -> Path:
        return self.folder / f"{self.prefix}-{len(self.files):04d}.{self.ext}"

    def _open(self) -> None:
        final = self._final_path()
        self._tmp = final.with_name(f".{final.name}.tmp")
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            self._sink = pq.ParquetWriter(self._tmp, self._arrow_schema, compression="zstd", compression_level=3,
                                          write_batch_size=ARROW_BATCH)
        else:
            import zstandard

            raw = open(self._tmp, "wb")
            self._sink = zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=True)

    def _split_rows(self) -> tuple[list[tuple[str, str]], list]:
        """The typed columns, and each buffered document's (typed values, leftover metadata)."""
        typed = self.schema.ordered()[2:-1]
        names = frozenset(c for c, _ in typed)
        return typed, [split_metadata(d.metadata, typed, names) for d in self._rows]

    @functools.cached_property
    def _arrow_schema(self):
        return self.schema.arrow()

    def _record_batch(self):
        """The buffered documents as one Arrow record batch; the buffer is emptied."""
        import pyarrow as pa

        typed, rows = self._split_rows()
        arrays = [_arrow_column([d.id for d in self._rows], "string"),
                  _arrow_column([d.text for d in self._rows], "string")]
        for i, (_, t) in enumerate(typed):
            arrays.append(_arrow_column([_cell(r[0][i], t) for r in rows], t))
        arrays.append(_arrow_column([dumps_json(r[1]) if r[1] else None for r in rows], "json"))
        self._rows.clear()
        return pa.RecordBatch.from_arrays(arrays, schema=self._arrow_schema)

    def _flush(self) -> None:
        if not self._rows and not self._batches:
            return
        if self._sink is None:
            self._open()
        if self.fmt == "parquet":
            import pyarrow as pa

            if self._rows:
                self._batches.append(self._record_batch())
            table = pa.Table.from_batches(self._batches, schema=self._arrow_schema)
            self._batches = []
            self._sink.write_table(table)
        else:
            typed, rows = self._split_rows()
            lines = []
            for d, (values, rest) in zip(self._rows, rows):
                rec = {"id": d.id, "text": d.text}
                for (c, t), v in zip(typed, values):
                    rec[c] = v if t != "json" or v is None else _cell(v, t)
                rec[METADATA] = rest  # a nested object: read back as input, it is metadata again
                lines.append(dumps_json_line(rec))
            self._sink.write(b"\n".join(lines) + b"\n")
        self._rows.clear()
        self._buffered = 0

    def _close_shard(self) -> None:
        self._flush()
        if self._sink is None:
            return
        if self.fmt == "jsonl":
            self._sink.flush()
        self._sink.close()
        self._sink = None
        with open(self._tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        final = self._final_path()
        os.replace(self._tmp, final)
        self._tmp = None
        self.files.append(final.name)
        self._in_shard = 0
