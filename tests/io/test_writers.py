"""ShardWriter's Parquet row groups: built as Arrow ARROW_BATCH documents at a time, the same file as one array."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fruitstand.document import Document
from fruitstand.io import writers
from fruitstand.io.writers import ARROW_BATCH, Schema, ShardWriter


def _docs(shared: Path, n: int) -> list[Document]:
    """`n` real documents (the shared CC WET, BBC and CCNet texts, round again as needed) with typed
    fields, missing ones and leftover metadata."""
    records = []
    for path in sorted((shared / "text").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            records += [json.loads(line) for line in fh]
    docs = []
    for i in range(n):
        r = records[i % len(records)]
        meta = {"url": r.get("url"), "language_score": (i % 7) / 7 if i % 5 else None, "round": i // len(records)}
        if i % 3:
            meta["language"] = "en"
        docs.append(Document(f"d{i}", r["text"], {k: v for k, v in meta.items() if v is not None}))
    return docs


def _one_array(docs: list[Document], schema: Schema, path: Path) -> bytes:
    """The row group as the writer built it before ARROW_BATCH: every column one array of all its rows."""
    typed = schema.ordered()[2:-1]
    names = frozenset(c for c, _ in typed)
    rows = [writers.split_metadata(d.metadata, typed, names) for d in docs]
    arrays = [writers._arrow_column([d.id for d in docs], "string"), writers._arrow_column([d.text for d in docs], "string")]
    for i, (_, t) in enumerate(typed):
        arrays.append(writers._arrow_column([writers._cell(r[0][i], t) for r in rows], t))
    arrays.append(writers._arrow_column([writers.dumps_json(r[1]) if r[1] else None for r in rows], "json"))
    with pq.ParquetWriter(path, schema.arrow(), compression="zstd", compression_level=3) as w:
        w.write_table(pa.Table.from_arrays(arrays, schema=schema.arrow()))
    return path.read_bytes()


def test_batched_row_group_is_the_same_file_as_one_array(shared, tmp_path):
    n = 3 * ARROW_BATCH + 217  # whole batches and a part
    docs = _docs(shared, n)
    schema = Schema({"language_score": "float"})
    w = ShardWriter(tmp_path / "out", "part", schema)
    held = 0
    for d in docs:
        w.write(d)
        held = max(held, len(w._rows))
    (name,) = w.close()
    assert held < ARROW_BATCH  # never a whole row group of documents at once
    got = (tmp_path / "out" / name).read_bytes()
    assert pq.ParquetFile(tmp_path / "out" / name).metadata.num_rows == n
    assert got == _one_array(docs, schema, tmp_path / "whole.parquet")


def test_row_groups_cut_by_bytes_still_read_back_in_order(shared, tmp_path):
    docs = _docs(shared, 2 * ARROW_BATCH + 5)
    w = ShardWriter(tmp_path, "part", Schema(), row_group_bytes=1 << 20)
    w.write_all(docs)
    (name,) = w.close()
    pf = pq.ParquetFile(tmp_path / name)
    assert pf.metadata.num_row_groups > 2
    assert pf.read(columns=["id"]).column("id").to_pylist() == [d.id for d in docs]
