"""The default recipe's quality steps decide as FineWeb's do, on English text nobody tuned on.

FineWeb's filtering (datatrove's examples/fineweb.py) runs Gopher repetition, Gopher quality,
C4 without its terminal-punctuation rule, and the FineWeb rules, each on what the one before it
left. `tests/data/record_datatrove_fineweb.py` recorded datatrove 0.10's decisions with exactly
those settings into `tests/data/datatrove_fineweb_decisions.json`, on 369 real English texts
held out from the tuning of `test_datatrove_agreement.py` (the rest of the Common Crawl sample,
the CCNet samples, BBC articles 1000-1199). The default recipe's four steps, chained the same
way, must agree on at least 99 % of them and leave the very same text wherever both keep one;
every disagreement is listed with its cause. Today's 99.2 % is in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from fruitstand.document import Document
from fruitstand.recipe import Recipe
from fruitstand.step import Mapper
from tests.filters.agreement import disagreements, recorder

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "text"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data")

ALPHA = ("the share of tokens holding a letter sits on Gopher's 0.8: fruitstand {ours}, spaCy {theirs}; "
         "{why}")
EXPLAINED = {
    "cc:517": ALPHA.format(ours="0.797", theirs="0.813", why="a Romanian wiki page whose 33 "
                           "footnote marks '[1]' fruitstand splits into three tokens and spaCy into two"),
    "cc:620": ALPHA.format(ours="0.799", theirs="0.802", why="a quote mark and an apostrophe split off as tokens "
                           "here and not by spaCy: two tokens more without a letter"),
    "ccnet91:5": ALPHA.format(ours="0.796", theirs="0.804", why="'501(c)(3)' and '(2015-2018)' split "
                              "into more letterless tokens here than by spaCy"),
}


def _ours(steps, doc_id: str, text: str) -> str:
    doc = Document(id=doc_id, text=text, metadata={"language": "eng", "script": "Latn"})
    for step in steps:
        out = step.apply(doc) if isinstance(step, Mapper) else step.keep(doc)
        if isinstance(out, Document):
            doc = out
        elif out is not True:
            return f"{step.kind}:{out[1]}"
    return "keep:" + hashlib.sha1(doc.text.encode("utf-8")).hexdigest()[:12]


@pytest.mark.slow
def test_default_recipe_agrees_with_fineweb_on_held_out_english_text():
    record = recorder("record_datatrove_fineweb")
    docs = record.documents()
    theirs = json.loads((DATA / "datatrove_fineweb_decisions.json").read_text())["decisions"]
    assert set(theirs) == set(docs) and len(docs) > 350
    steps = [s for s in Recipe.default().build() if s.kind in record.FILTERS]
    assert [s.kind for s in steps] == list(record.FILTERS)
    disagree, text_differs = disagreements(lambda doc_id, text: _ours(steps, doc_id, text), docs, theirs)
    assert 1 - len(disagree) / len(docs) >= 0.99, sorted(disagree)
    assert disagree == set(EXPLAINED), "explain every disagreement (or drop a stale entry)"
    assert not text_differs  # C4 leaves the very same lines as datatrove's
