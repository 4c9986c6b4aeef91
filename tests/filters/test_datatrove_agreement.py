"""fruitstand's Gopher, C4 and FineWeb filters decide as datatrove's do on real English pages.

The reference decisions were recorded once with datatrove 0.10.1 (spaCy 3.8 tokenizer) by
`tests/data/record_datatrove_decisions.py` into `tests/data/datatrove_decisions.json`, on the
first 500 Common Crawl documents and 300 BBC News articles of `shared/data/text` (728 with
Latin-script text). Each filter must agree on at least 99 % of them, C4 must leave the same
cleaned text wherever both keep a page, and every disagreement is listed below with its cause.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from fruitstand.document import Document
from fruitstand.filters.c4_quality import C4Quality
from fruitstand.filters.fineweb_quality import FineWebQuality
from fruitstand.filters.gopher_quality import GopherQuality
from fruitstand.filters.gopher_repetition import GopherRepetition
from tests.filters.agreement import disagreements, recorder

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
SHARED = HERE.parents[2] / "shared" / "data" / "text"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data")

# Why the two disagree, per filter and document. Most are pages sitting on a threshold where
# spaCy and fruitstand's tokenizer count one construct differently.
WIKI_EDIT = "wiki '[edit]' headings in another language: spaCy keeps 'Heading[edit' as one token, fruitstand splits at '[', so the repeated '[ edit' n-grams cross the threshold"
EXPLAINED = {
    "gopher_repetition": {
        "cc:305": WIKI_EDIT + " (Welsh '[golygu]')",
        "cc:431": WIKI_EDIT + " (Latvian '[labot]')",
        "cc:459": WIKI_EDIT + " (Neapolitan '[càgna]'); here spaCy's longer tokens make its top 4-gram the heavier",
        "cc:310": "wiki markup (<ref>, {{Reflist|group=}}): spaCy keeps 'ipsum.<ref' as one token, fruitstand splits the tags, so repeated tag n-grams exceed 0.15",
        "cc:402": "coordinates with zero-width no-break spaces and primes (10′N, \\ufeff46.1): split by fruitstand, whole in spaCy",
        "cc:490": "HTML source in the text (id=\"turtle\", class=\"radio\"): attribute runs are one spaCy token, several here",
        "cc:491": "shell and sed commands in the text: quoted regex runs are one spaCy token, several here",
    },
    "gopher_quality": {
        "cc:144": "49 words by fruitstand's count, 50 by datatrove's: datatrove's punctuation list misses some symbols (©, •), which it counts as words",
        "cc:336": "LaTeX '$\\begingroup$' and 'Vdc+' are whole spaCy tokens; split here the symbols lower the alphabetic share below 0.8 (0.754 vs 0.815)",
        "cc:337": "LaTeX '$\\begingroup$' as above (alphabetic share 0.782 vs 0.813)",
        "cc:473": WIKI_EDIT + " (Norwegian '[rediger]'): the extra '[' tokens put the alphabetic share at 0.796 against spaCy's 0.8006",
        "cc:356": "stop words match case-insensitively here: the page's only 'The' counts, datatrove's case-sensitive match finds one stop word",
    },
    "c4_quality": {
        "cc:110": "a wiki diff page with 5 sentences by spaCy's sentencizer (it splits 'etc.....we' and after '¿?'), 4 by text.sentence_count, which needs a space after a period",
    },
    "fineweb_quality": {},
}


@pytest.fixture(scope="module")
def reference() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    recorded = json.loads((DATA / "datatrove_decisions.json").read_text())
    return recorder("record_datatrove_decisions").documents(), recorded["decisions"]


def ours(step, doc_id: str, text: str) -> str:
    doc = Document(id=doc_id, text=text, metadata={"language": "eng", "script": "Latn"})
    out = step.apply(doc) if isinstance(step, C4Quality) else step.keep(doc)
    if out is True:
        return "keep"
    if isinstance(out, Document):
        return "keep:" + hashlib.sha1(out.text.encode("utf-8")).hexdigest()[:12]
    return out[1]


@pytest.mark.slow
@pytest.mark.parametrize("step", [GopherRepetition(), GopherQuality(), C4Quality(), FineWebQuality()],
                         ids=lambda s: s.kind)
def test_agrees_with_datatrove(step, reference):
    docs, decisions = reference
    theirs = decisions[step.kind]
    assert set(theirs) == set(docs) and len(docs) > 700
    disagree, text_differs = disagreements(lambda doc_id, text: ours(step, doc_id, text), docs, theirs)
    assert 1 - len(disagree) / len(docs) >= 0.99
    assert disagree == set(EXPLAINED[step.kind]), "explain every disagreement (or drop a stale entry)"
    assert not text_differs  # C4 leaves the very same lines as datatrove


def their_reason_in_our_words(kind: str, reason: str) -> str:
    """datatrove's drop reason under fruitstand's name (see each filter's docstring)."""
    if kind == "gopher_repetition":
        if reason.startswith("duplicated_"):
            return f"gopher_rep_dup_{reason.split('_')[1]}_gram"
        return "gopher_rep_" + reason
    return {"gopher_quality": "", "c4_quality": "c4_", "fineweb_quality": "fineweb_"}[kind] + reason


@pytest.mark.slow
@pytest.mark.parametrize("step", [GopherRepetition(), GopherQuality(), C4Quality(), FineWebQuality()],
                         ids=lambda s: s.kind)
def test_where_both_drop_they_name_the_same_rule(step, reference):
    docs, decisions = reference
    both = same = 0
    for doc_id, text in docs.items():
        theirs = decisions[step.kind][doc_id]
        mine = ours(step, doc_id, text)
        if not theirs.startswith("keep") and not mine.startswith("keep"):
            both += 1
            same += mine == their_reason_in_our_words(step.kind, theirs)
    # Repetition, 4 of 114 differ: in cc:156/157 fruitstand strips the page before splitting
    # lines (see gopher_repetition.py), so blank-line duplicates fall under 0.3 and a 3-gram
    # rule catches them; in cc:125/399 token boundaries move which n fails first.
    # Quality, 6 of 335 differ: pages failing two rules, where a symbol split differently
    # (spaCy keeps markup runs whole) trips the alphabetic rule before stop words/word length.
    assert both > 100 and same / both >= 0.96, (same, both)
