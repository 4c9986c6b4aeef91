"""line_dedup on real Common Crawl pages: navigation and footer lines go, the rest stays."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from fruitstand.dedup.line import LineDedup
from fruitstand.dedup.shingles import Normaliser
from fruitstand.document import Document
from fruitstand.registry import RecipeError, make_step
from tests.dedup.driver import run_global

NAV = "jump to navigation jump to search"


@pytest.fixture(scope="module")
def pages(shared) -> list[list[Document]]:
    path = shared / "text" / "CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
    with gzip.open(path, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    return [[Document(r["id"], r["text"]) for r in rows[:350]], [Document(r["id"], r["text"]) for r in rows[350:]]]


def fresh(tasks):
    return [[Document(d.id, d.text) for d in t] for t in tasks]


def doc_counts(tasks) -> Counter:
    norm = Normaliser()
    c: Counter = Counter()
    for t in tasks:
        for d in t:
            c.update({norm(line) for line in d.text.split("\n")} - {""})
    return c


def test_boilerplate_lines_kept_once(pages, tmp_path):
    before = doc_counts(pages)
    assert before[NAV] >= 20
    kept, stats, counters = run_global(LineDedup(min_count=3), fresh(pages), tmp_path)
    after = doc_counts(kept)
    assert after[NAV] == 1
    frequent = {line for line, n in before.items() if n >= 3}
    assert sum(c["frequent_units"] for c in counters) == len(frequent)
    for line, n in before.items():
        assert after[line] == (min(n, 1) if line in frequent else n) or stats.dropped["line_dedup_empty"]
    # the first page holding the navigation line keeps it
    first = next(d.id for t in pages for d in t if NAV in {Normaliser()(x) for x in d.text.split("\n")})
    holder = next(d for t in kept for d in t if NAV in {Normaliser()(x) for x in d.text.split("\n")})
    assert holder.id == first
    norm, holder_of, expected = Normaliser(), {}, 0
    for d in (d for t in pages for d in t):  # every occurrence outside the first page holding it
        for line in map(norm, d.text.split("\n")):
            if line in frequent and holder_of.setdefault(line, d.id) != d.id:
                expected += 1
    assert stats.extra["units_removed"] == expected
    assert stats.docs_in == 697 and stats.docs_out + stats.dropped["line_dedup_empty"] == 697


def test_remove_all_copies_and_a_higher_threshold(pages, tmp_path):
    before = doc_counts(pages)
    kept, _, _ = run_global(LineDedup(min_count=10, keep_first=False), fresh(pages), tmp_path)
    after = doc_counts(kept)
    assert after[NAV] == 0
    rare = [line for line, n in before.items() if 2 <= n < 10]
    assert rare and all(after[line] == before[line] for line in rare)


def test_three_sentence_spans(pages, tmp_path):
    kept, stats, _ = run_global(LineDedup(min_count=2, unit="sentences3"), fresh(pages), tmp_path)
    assert stats.extra["units_removed"] > 100
    text_before = sum(len(d.text) for t in pages for d in t)
    text_after = sum(len(d.text) for t in kept for d in t)
    assert 0.5 * text_before < text_after < text_before


def test_bad_parameters_are_one_line_errors():
    with pytest.raises(RecipeError, match="unit"):
        make_step({"kind": "line_dedup", "unit": "paragraph"})
    with pytest.raises(RecipeError, match="min_count"):
        make_step({"kind": "line_dedup", "min_count": 1})
