"""C4's line cleaning and page rules on real English, Urdu and Chinese text.

Sources: shared/data/urdu-news (real Urdu articles), shared/data/lang (Leipzig sentences),
shared/data/html/readability/gmw (a real Chinese article), BBC News in shared/data/text.
English is also compared document by document with datatrove in test_datatrove_agreement.py.
"""

from __future__ import annotations

import pytest

from fruitstand.document import Document
from fruitstand.filters.c4_quality import POLICY_KEYS, POLICY_SUBSTRINGS, C4Quality
from fruitstand.filters.text import tokens
from fruitstand.step import StepStats
from tests.filters.realtext import CMN, DATA, ENG, URD, chinese_article, english_article, sentences, urdu_article

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data")


def clean(text: str, meta: dict, step: C4Quality | None = None) -> str | tuple[None, str]:
    out = (step or C4Quality()).apply(Document(id="t", text=text, metadata=dict(meta)))
    return out if isinstance(out, tuple) else out.text


@pytest.mark.parametrize("text, meta", [(urdu_article(), URD), (chinese_article(), CMN), (english_article(), ENG)],
                         ids=["urd", "cmn", "eng"])
def test_real_articles_keep_their_sentences(text, meta):
    out = clean(text, meta)
    assert isinstance(out, str)
    kept = out.splitlines()
    # Prose lines survive whole; only headline-like lines without a final mark go.
    assert sum(map(len, kept)) >= 0.8 * sum(len(line.strip()) for line in text.splitlines())


def test_menu_lines_go_and_the_prose_stays():
    menu = ["صفحہ اول", "پاکستان", "کھیل", "کاروبار", "رابطہ کریں"]
    article = urdu_article()
    out = clean("\n".join(menu + [article] + menu), URD)
    assert out == clean(article, URD)
    zh_menu = ["首页", "新闻", "体育", "财经", "联系我们"]
    assert clean("\n".join(zh_menu + [chinese_article()]), CMN) == clean(chinese_article(), CMN)


def test_script_terminal_marks_and_closing_quotes_end_lines():
    # Urdu lines end in ۔ or ؟, quotes close after the mark (۔” or, in RTL text, ۔“).
    urdu = sentences("ur", 6)
    assert all(s.endswith("۔") for s in urdu[:2])
    quoted = [s + "”" for s in urdu[:3]] + [s + "“" for s in urdu[3:6]]
    assert clean("\n".join(quoted), URD) == "\n".join(quoted)
    # Chinese lines end in 。！？ or in 」 after one; read with C4's Latin-only endings, none does.
    zh = sentences("zh", 6)
    assert clean("\n".join(zh), CMN) == "\n".join(zh)
    assert clean("\n".join(zh), {"language": "cmn", "script": "Latn"}) == (None, "c4_too_few_sentences")


def test_words_per_line_count_segmented_words_for_chinese():
    # A Chinese sentence is one "word" by spaces: C4's 3-word minimum would drop every line.
    zh = sentences("zh", 8)
    assert all(len(s.split()) < 3 for s in zh[:3])
    assert clean("\n".join(zh), CMN) == "\n".join(zh)


def test_too_few_sentences():
    assert clean("\n".join(sentences("ur", 2)), URD) == (None, "c4_too_few_sentences")
    assert clean("\n".join(sentences("zh", 2)), CMN) == (None, "c4_too_few_sentences")
    # Urdu sentences are long (22 words to English's 17): 4 of them make a page.
    assert isinstance(clean("\n".join(sentences("ur", 4)), URD), str)


def test_lorem_ipsum_and_curly_brackets_drop_the_page():
    article = urdu_article()
    assert clean(article + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit.", URD) == (None, "c4_lorem_ipsum")
    # A template placeholder left in a sentence: the page is not finished text.
    template = "欢迎访问{site_name}，本站内容每日更新。"
    assert clean(chinese_article() + "\n" + template, CMN) == (None, "c4_curly_bracket")


def test_line_drops_are_counted_per_reason():
    stats = StepStats()
    menu = ["首页", "新闻", "体育"]
    doc = Document(id="t", text="\n".join(menu + [chinese_article(), "请启用JavaScript以浏览本站。"]), metadata=dict(CMN))
    out = list(C4Quality().process([doc], stats))
    assert len(out) == 1 and stats.docs_out == 1
    assert stats.extra["c4_lines_no_terminal_punct"] >= 3
    assert stats.extra["c4_lines_javascript"] == 1


def test_every_policy_phrase_holds_a_key_the_line_check_looks_for_first():
    assert POLICY_KEYS == ("polic", "cookies", "terms of use")  # the keys apply() tests inline
    assert all(any(key in phrase for key in POLICY_KEYS) for phrase in POLICY_SUBSTRINGS)


def test_only_lines_that_end_like_a_sentence_are_segmented(monkeypatch):
    # Segmenting is most of C4's cost on Japanese (MeCab, issue 21); a menu line without a final
    # mark is dropped by that test alone, so its words are never counted.
    from fruitstand.filters import c4_quality

    segmented = []

    def counting_tokens(line, language, script):
        segmented.append(line)
        return tokens(line, language, script)

    monkeypatch.setattr(c4_quality, "tokens", counting_tokens)
    ja = [s for s in sentences("ja", 40) if s.endswith(("。", "！", "？"))][:6]
    assert len(ja) == 6
    menu = ["ホーム", "ニュース一覧", "お問い合わせ", "サイトマップ"]
    stats = StepStats()
    doc = Document(id="t", text="\n".join(menu + ja + menu), metadata={"language": "jpn", "script": "Jpan"})
    out = list(C4Quality().process([doc], stats))
    assert [d.text for d in out] == ["\n".join(ja)]
    assert stats.extra["c4_lines_no_terminal_punct"] == 2 * len(menu)
    assert segmented == ja
