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


def test_the_ray_workers_watched_child(shared, tmp_path, monkeypatch):
    """What a Ray worker runs (execute/ray.py `_watched`), here without Ray: a document stuck past the limit
    is skipped and counted as locally, in a fresh child; a child that dies otherwise fails the task with
    WorkerDied, the exception Ray is told to retry."""
    import dataclasses
    from pathlib import Path

    import pytest

    from fruitstand.execute import ray as ray_executor
    from fruitstand.execute.plan import make_plan

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    src = shared / "text" / "cc_en_head-0174.jsonl.gz"
    with gzip.open(src, "rt") as fh:
        recs = [json.loads(line) for line in fh]
    try:
        plan = make_plan([{"kind": "tests.execute.steps:HangOn", "marker": recs[3]["text"][:60]}], inputs=[src],
                         output=tmp_path / "hang")
        res = ray_executor._watched(dataclasses.replace(plan.spec, doc_timeout=2.0), 0, plan.tasks[0])
        assert res["read"]["dropped"] == {"doc_timeout": 1} and res["documents"] == len(recs) - 1
        plan = make_plan([{"kind": "tests.execute.steps:Crash"}], inputs=[src], output=tmp_path / "crash")
        with pytest.raises(ray_executor.WorkerDied, match="died"):
            ray_executor._watched(dataclasses.replace(plan.spec, doc_timeout=30.0), 0, plan.tasks[0])
    finally:
        if ray_executor._child is not None:
            ray_executor._child.shutdown(wait=False)
            ray_executor._child = None
