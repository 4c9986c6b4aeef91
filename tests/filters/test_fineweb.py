"""FineWeb's quality rules on real English, Urdu, Chinese and Thai text.

Sources: shared/data/urdu-news (real Urdu articles), shared/data/lang (Leipzig sentences),
shared/data/html/readability/{gmw,pixnet} (a Chinese news article and a Taiwanese photo blog),
BBC News in shared/data/text. English is also compared document by document with datatrove
in test_datatrove_agreement.py.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import lxml.html
import pytest

from fruitstand.document import Document
from fruitstand.filters.fineweb_quality import FineWebQuality
from tests.filters.realtext import CMN, DATA, ENG, THA, URD, english_article, sentences, urdu_article

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data")


def chinese_page(case: str = "gmw") -> str:
    html = gzip.open(DATA / "html" / "readability" / case / "expected.html.gz").read().decode("utf-8")
    root = lxml.html.fromstring(html)
    paras = [p.text_content().strip() for p in root.iter("p", "div") if not p.findall(".//p") and not p.findall(".//div")]
    return "\n".join(dict.fromkeys(p for p in paras if p))


def verdict(text: str, meta: dict, step: FineWebQuality | None = None) -> bool | str:
    out = (step or FineWebQuality()).keep(Document(id="t", text=text, metadata=dict(meta)))
    return True if out is True else out[1]


@pytest.mark.parametrize("text, meta", [(urdu_article(), URD), (chinese_page(), CMN), (english_article(), ENG)],
                         ids=["urd", "cmn", "eng"])
def test_real_articles_pass(text, meta):
    assert verdict(text, meta) is True


def test_lines_without_sentence_marks():
    # A real photo blog written in captions with no sentence punctuation at all.
    assert verdict(chinese_page("pixnet"), CMN) == "fineweb_line_punct_ratio"
    # Urdu lines ending in ۔ are punctuated lines; the same lines stripped of it are not.
    urdu = sentences("ur", 20)
    assert verdict("\n".join(urdu), URD) is True
    assert verdict("\n".join(s.rstrip("۔.؟!? ") for s in urdu), URD) == "fineweb_line_punct_ratio"
    assert verdict("", URD) == "fineweb_empty"


def test_thai_writes_no_terminal_marks():
    # Thai ends sentences with a space: its config needs no punctuated lines. (The Leipzig
    # splitter cut nearly every Thai line after an abbreviation's period, "ผอ." or "กม.":
    # without that dangling abbreviation the line ends as Thai prose does, with no mark.)
    thai = "\n".join(s.rsplit(" ", 1)[0] for s in sentences("th", 30))
    assert verdict(thai, THA) is True
    assert verdict(thai, THA, FineWebQuality(language_thresholds=False)) == "fineweb_line_punct_ratio"


def test_short_lines_are_measured_in_words_not_characters():
    # Real Chinese sentences broken at their commas: clauses of ~10-20 characters, 5-10 words.
    clauses = [c for s in sentences("zh", 30) for c in s.replace("，", "，\n").splitlines()]
    text = "\n".join(clauses)
    assert verdict(text, CMN) is True
    assert verdict(text, CMN, FineWebQuality(language_thresholds=False)) == "fineweb_short_line_ratio"
    # Truly short lines (a navigation menu of 2-4 characters) still drop.
    menu = ["首页", "新闻", "体育", "财经", "科技", "娱乐", "联系我们"] * 3
    assert verdict("\n".join(menu[:12] + sentences("zh", 4)), CMN) == "fineweb_short_line_ratio"


def test_duplicated_lines():
    paras = urdu_article().split("\n")
    assert verdict("\n".join(paras + paras[:1]), URD) == "fineweb_char_dup_ratio"
    zh = chinese_page().split("\n")
    assert verdict("\n".join(zh + zh[:1]), CMN) == "fineweb_char_dup_ratio"


def test_list_like_pages():
    # Real pages datatrove drops as lists (few words per line) drop here for the same reason.
    recorded = json.loads((Path(__file__).parents[1] / "data" / "datatrove_decisions.json").read_text())
    with gzip.open(DATA / "text" / "CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", "rt") as f:
        pages = [json.loads(line)["text"] for line in f]
    lists = [i for i, r in recorded["decisions"]["fineweb_quality"].items() if r == "list_ratio"]
    assert len(lists) >= 5
    for doc_id in lists:
        assert verdict(pages[int(doc_id.split(":")[1])], ENG) == "fineweb_list_ratio"
