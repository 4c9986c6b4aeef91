"""A document that never finishes is skipped and counted; the rest of its task is kept."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq

import fruitstand


def test_stuck_document_is_skipped_as_doc_timeout(shared, tmp_path):
    with gzip.open(shared / "text" / "cc_en_head-0174.jsonl.gz", "rt") as fh:
        recs = [json.loads(line) for line in fh]
    recs[3]["text"] += " HANG"
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs))
    recipe = [{"kind": "tests.execute.steps:HangOn"}]
    m = fruitstand.run(recipe, inputs=[src], output=tmp_path / "o", workers=1, doc_timeout=3.0)  # headroom for a slow CI machine
    assert m["read"]["skipped"] == {"doc_timeout": 1}
    assert m["read"]["documents"] == len(recs) - 1 == m["output"]["documents"]
    ids = pq.read_table(tmp_path / "o" / "data").column("id").to_pylist()
    assert ids == [str(r["id"]) for i, r in enumerate(recs) if i != 3]
