"""exact_dedup: planted exact copies, BBC News's own duplicates, incremental runs."""

from __future__ import annotations

import gzip
import json

import pytest

from fruitstand.dedup.exact import ExactDedup
from fruitstand.dedup.shingles import Normaliser
from fruitstand.document import Document
from fruitstand.registry import make_step
from tests.dedup.driver import run_global, to_documents


@pytest.fixture(scope="module")
def result(corpus, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("exact") / "03-exact_dedup"
    kept, stats, counters = run_global(ExactDedup(), to_documents(corpus["tasks"]), workdir)
    return {"kept": {d.id for t in kept for d in t}, "stats": stats, "counters": counters, "workdir": workdir}


def test_every_exact_copy_removed_one_kept(corpus, result):
    order = {d["id"]: (i, pos) for i, t in enumerate(corpus["tasks"]) for pos, d in enumerate(t)}
    exact = [(a, b) for a, b, _, e in corpus["pairs"] if e == "exact"]
    assert len(exact) > 50
    for a, b in exact:
        assert min(a, b, key=order.__getitem__) in result["kept"]
        assert max(a, b, key=order.__getitem__) not in result["kept"]


def test_removes_only_documents_whose_normalised_text_came_earlier(corpus, all_ids, result):
    norm = Normaliser()
    seen, expected = set(), set()
    for task in corpus["tasks"]:  # input order: task by task, position by position
        for d in task:
            n = norm(d["text"])
            if n in seen:
                expected.add(d["id"])
            seen.add(n)
    assert all_ids - result["kept"] == expected
    # case and punctuation changes are exact duplicates after normalisation
    normalised = [(a, b) for a, b, _, e in corpus["pairs"] if e == "normalised"]
    assert any(a not in result["kept"] or b not in result["kept"] for a, b in normalised)
    stats = result["stats"]
    assert stats.dropped["exact_duplicate"] == len(expected) == sum(c.get("removed", 0) for c in result["counters"])
    report = json.loads((result["workdir"] / "report.json").read_text())
    assert report["removed"] == len(expected) and 0 < len(report["pairs"]) <= 20
    assert sum(c.get("clusters", 0) for c in result["counters"]) == report["clusters"] > 50


def test_bbc_news_own_exact_duplicates(shared, tmp_path):
    """The BBC News dataset holds 100 exact-duplicate article pairs (see SOURCES.md)."""
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        docs = [Document(r["id"], r["text"]) for r in map(json.loads, fh)]
    kept, stats, _ = run_global(ExactDedup(memory_mb=1), [docs[::2], docs[1::2]], tmp_path)
    assert stats.dropped["exact_duplicate"] >= 100
    assert len({d.text for t in kept for d in t}) == sum(map(len, kept))


def test_incremental_against_an_earlier_run(corpus, tmp_path):
    tasks = to_documents(corpus["tasks"])
    run_global(ExactDedup(), tasks[:1], tmp_path / "old")
    step = make_step({"kind": "exact_dedup", "reference": str(tmp_path / "old")})
    kept, stats, _ = run_global(step, tasks[1:] + tasks[:1], tmp_path / "new")
    # the whole earlier crawl, fed again, is removed; nothing of it survives
    assert kept[-1] == [] and stats.dropped["exact_duplicate_of_reference"] >= len(tasks[0])
    norm = Normaliser()
    old = {norm(d.text) for d in tasks[0]}
    assert not any(norm(d.text) in old for t in kept for d in t)
