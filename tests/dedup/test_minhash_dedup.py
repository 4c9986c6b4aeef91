"""minhash_dedup on real text with planted near-duplicates (see planted.py), against datatrove."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fruitstand.dedup.clusters import components
from fruitstand.dedup.minhash import MinhashDedup
from fruitstand.registry import RecipeError, make_step
from fruitstand.step import StepStats, TaskContext
from tests.dedup import planted
from tests.dedup.driver import run_global, to_documents

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "datatrove_minhash_planted.json"


@pytest.fixture(scope="module")
def result(corpus, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("minhash") / "04-minhash_dedup"
    kept, stats, counters = run_global(MinhashDedup(), to_documents(corpus["tasks"]), workdir)
    return {"kept": {d.id for t in kept for d in t}, "stats": stats, "counters": counters, "workdir": workdir}


def test_planted_duplicates_found_and_singles_kept(corpus, result):
    s = planted.score(corpus, result["kept"])
    assert s["recall_08"] >= 0.95  # pairs with true 5-gram Jaccard >= 0.8
    assert s["groups_wiped"] == 0  # every cluster keeps a member
    assert s["singles_kept"] >= 0.99  # documents with no duplicate
    assert s["exact_caught"] == 1.0
    assert s["precision"] >= 0.99


def test_at_least_as_good_as_datatrove(corpus, all_ids, result):
    recorded = json.loads(FIXTURE.read_text())
    assert recorded["corpus"]["documents"] == len(all_ids), "planted corpus changed: re-run record_datatrove_minhash.py"
    assert set(recorded["removed"]) <= all_ids
    ours = planted.score(corpus, result["kept"])
    theirs = planted.score(corpus, all_ids - set(recorded["removed"]))
    assert ours["recall_08"] >= theirs["recall_08"]
    assert ours["precision"] >= theirs["precision"]
    assert ours["singles_kept"] >= theirs["singles_kept"]


def test_counters_and_report(result):
    stats, counters, workdir = result["stats"], result["counters"], result["workdir"]
    cluster = counters[-1]
    assert stats.docs_in == stats.docs_out + stats.dropped["minhash_duplicate"]
    assert stats.dropped["minhash_duplicate"] == cluster["removed"] > 300
    assert cluster["clusters"] > 200 and not stats.extra  # the executor adds the reduce's counters
    report = json.loads((workdir / "report.json").read_text())
    assert report["clusters"] == cluster["clusters"] and report["removed"] == cluster["removed"]
    pairs = report["pairs"]
    assert 10 <= len(pairs) <= 20
    for p in pairs:
        assert p["kept"] not in result["kept"] or p["removed"] not in result["kept"]
        assert p["removed"] not in result["kept"]
        # 112 hashes: the estimate's standard error is at most 0.05
        assert abs(p["estimated_jaccard"] - p["true_jaccard"]) < 0.2
    assert np.mean([p["true_jaccard"] for p in pairs]) > 0.7


def test_first_document_of_a_cluster_is_kept_and_reruns_are_identical(corpus, result, tmp_path):
    tasks = to_documents(corpus["tasks"])
    order = {d.id: (i, pos) for i, t in enumerate(tasks) for pos, d in enumerate(t)}
    groups: dict[str, list[str]] = {}
    for doc_id, g in corpus["groups"].items():
        groups.setdefault(g, []).append(doc_id)
    exact = {a: b for a, b, _, e in corpus["pairs"] if e == "exact"}
    for a, b in exact.items():
        first = min(a, b, key=order.__getitem__)
        assert first in result["kept"]
    # a task killed and run again rewrites its side data byte for byte
    step = MinhashDedup()
    workdir = result["workdir"]
    before = {p.name: p.read_bytes() for p in (workdir / "runs").glob("t00001-*")}
    list(step.map(iter(tasks[1]), StepStats(), TaskContext(workdir, 1, len(tasks))))
    after = {p.name: p.read_bytes() for p in (workdir / "runs").glob("t00001-*")}
    assert before == after


def test_incremental_against_an_earlier_run(corpus, tmp_path):
    tasks = to_documents(corpus["tasks"])
    old_dir = tmp_path / "old" / ".fruitstand" / "work" / "03-minhash_dedup"
    old_kept, _, _ = run_global(MinhashDedup(), tasks[:1], old_dir)
    # the reference is the earlier run's output folder; its text is not read again
    step = make_step({"kind": "minhash_dedup", "reference": str(tmp_path / "old")})
    new_kept, stats, _ = run_global(step, tasks[1:], tmp_path / "new")
    old_ids = {d.id for d in old_kept[0]}
    new_ids = {d.id for t in new_kept for d in t}
    group = corpus["groups"]
    strong = {(a, b) for a, b, j, _ in corpus["pairs"] if j >= 0.9}
    across = [(a, b) for a, b in strong if (a in old_ids) != (b in old_ids)
              and {a, b} & {d.id for t in tasks[1:] for d in t}]
    assert len(across) > 20
    missed = [p for p in across if (p[0] in new_ids or p[0] in old_ids) and (p[1] in new_ids or p[1] in old_ids)]
    assert len(missed) <= len(across) * 0.05
    assert stats.dropped["minhash_duplicate_of_reference"] >= len(across) * 0.95
    singles = [d.id for t in tasks[1:] for d in t if d.id not in group]
    assert sum(i in new_ids for i in singles) >= 0.99 * len(singles)


def test_reference_must_match_parameters(tmp_path):
    with pytest.raises(RecipeError, match="holds no minhash_dedup index"):
        make_step({"kind": "minhash_dedup", "reference": str(tmp_path)})
    old = tmp_path / "ref"
    run_global(MinhashDedup(), [[]], old)
    with pytest.raises(RecipeError, match="ngram=5"):
        make_step({"kind": "minhash_dedup", "reference": str(old), "ngram": 4})


def test_union_find_roots_are_smallest_keys():
    u = np.array([5, 6, 7, 100, 101, 9, 300], np.uint64)
    v = np.array([6, 7, 8, 101, 99, 8, 301], np.uint64)
    members, roots = components(u, v)
    got = dict(zip(members.tolist(), roots.tolist()))
    assert got == {6: 5, 7: 5, 8: 5, 9: 5, 100: 99, 101: 99, 301: 300}
    # a long chain, edges in shuffled order
    rng = np.random.default_rng(0)
    chain = rng.permutation(10_000).astype(np.uint64)
    order = rng.permutation(9_999)
    members, roots = components(chain[:-1][order], chain[1:][order])
    assert len(members) == 9_999 and set(roots.tolist()) == {0}
