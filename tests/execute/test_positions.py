"""Dedup verdicts cannot drift (issue 13): a document that times out in a step after a
whole-corpus step is dropped alone; every other document keeps its own verdict.
"""

from __future__ import annotations

import gzip
import json
import mmap
import struct
import time

import pyarrow.parquet as pq
import pytest

import fruitstand
from fruitstand.execute.watchdog import Heartbeat
from fruitstand.step import StepStats


@pytest.mark.slow
@pytest.mark.parametrize("dedup", ["exact_dedup", "minhash_dedup"])
def test_doc_timeout_after_dedup_drops_only_that_document(shared, tmp_path, dedup):
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        recs = [json.loads(line) for line in fh][:400]
    # the corpus holds exact-duplicate pairs; make sure this slice has some, ahead of the hang
    for i in range(10):
        recs.append(dict(recs[20 + i], id=f"copy-{i}"))
    hang = 5
    assert all(recs[hang]["text"] != r["text"] for j, r in enumerate(recs) if j != hang)
    src, ref = tmp_path / "in.jsonl", tmp_path / "ref.jsonl"
    src.write_text("".join(json.dumps(dict(r, text=r["text"] + (" HANG" if i == hang else ""))) + "\n"
                           for i, r in enumerate(recs)))
    ref.write_text("".join(json.dumps(r) + "\n" for i, r in enumerate(recs) if i != hang))
    fruitstand.run([{"kind": dedup}], inputs=[ref], output=tmp_path / "ref", workers=0)
    want = pq.read_table(tmp_path / "ref" / "data").column("id").to_pylist()
    assert 0 < len(recs) - 1 - len(want)  # dedup removed something

    recipe = [{"kind": dedup}, {"kind": "tests.execute.steps:HangOn"}]
    m = fruitstand.run(recipe, inputs=[src], output=tmp_path / "o", workers=1, doc_timeout=3.0)
    got = pq.read_table(tmp_path / "o" / "data").column("id").to_pylist()
    assert got == want
    step = m["steps"][0]
    assert step["dropped"]["doc_timeout"] == 1
    assert step["in"] == step["out"] + sum(step["dropped"].values()) == m["read"]["documents"]
    read = m["read"]
    assert read["records"] == read["documents"] + sum(read["skipped"].values())
    assert m["output"]["documents"] == len(want)


def test_a_slow_read_is_blamed_on_the_document_being_read(tmp_path):
    """While the reader works on document k, the heartbeat names k (not k - 1)."""
    seen = []

    def slow_reader():
        from fruitstand.document import Document

        for k in range(4):
            with open(next((tmp_path / "beats").glob("*.beat")), "rb") as fh:
                seen.append(struct.unpack("<iiqd", mmap.mmap(fh.fileno(), 32, access=mmap.ACCESS_READ)[:24])[2])
            time.sleep(0.01)
            yield Document(str(k), "text")

    with Heartbeat(tmp_path / "beats", 0, 0, tmp_path / "skips.json") as hb:
        docs = list(hb.guard(slow_reader(), StepStats(), counted=False))
    assert [d.id for d in docs] == ["0", "1", "2", "3"] and seen == [0, 1, 2, 3]
