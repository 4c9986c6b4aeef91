"""exact_dedup then minhash_dedup through `fruitstand.run` on 2 worker processes."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

import fruitstand
from tests.dedup import planted


@pytest.mark.slow
def test_run_with_two_workers(corpus, all_ids, tmp_path):
    inputs = []
    for i, task in enumerate(corpus["tasks"]):
        path = tmp_path / f"crawl-{i}.jsonl"
        path.write_text("".join(json.dumps(d) + "\n" for d in task), encoding="utf-8")
        inputs.append(path)
    recipe = {"step": [{"kind": "exact_dedup"}, {"kind": "minhash_dedup"}]}
    out = tmp_path / "out"
    m = fruitstand.run(recipe, inputs=inputs, output=out, workers=2)
    exact, minhash = m["steps"]
    assert exact["in"] == len(all_ids) and exact["out"] == minhash["in"]
    assert exact["dropped"]["exact_duplicate"] >= 200
    assert minhash["extra"]["clusters"] == minhash["report"]["clusters"] > 100
    assert 10 <= len(minhash["report"]["pairs"]) <= 20
    assert all(abs(p["estimated_jaccard"] - p["true_jaccard"]) < 0.2 for p in minhash["report"]["pairs"])
    kept = set(pq.read_table(out / "data", columns=["id"]).column("id").to_pylist())
    assert len(kept) == m["output"]["documents"] == minhash["out"]
    s = planted.score(corpus, kept)
    assert s["recall_08"] >= 0.95 and s["singles_kept"] >= 0.99 and s["groups_wiped"] == 0
    # the same run on one worker keeps exactly the same documents
    m1 = fruitstand.run(recipe, inputs=inputs, output=tmp_path / "out1", workers=1)
    kept1 = set(pq.read_table(tmp_path / "out1" / "data", columns=["id"]).column("id").to_pylist())
    assert kept1 == kept and m1["steps"][1]["report"] == minhash["report"]
