"""Gopher repetition and quality rules on real English, Urdu and Chinese text.

English is also compared document by document with datatrove in test_datatrove_agreement.py;
here each rule gets pages that must pass and pages that must drop for that rule's reason.
Sources: shared/data/urdu-news (real Urdu articles), shared/data/lang (Leipzig sentences),
shared/data/html/readability/gmw (a real Chinese article: Guangming Online), the Common Crawl
sample and BBC News in shared/data/text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fruitstand.document import Document
from fruitstand.filters.gopher_quality import _HAS_LETTER, GopherQuality, token_stats
from fruitstand.filters.gopher_repetition import (
    _LINES,
    _PARAGRAPHS,
    GopherRepetition,
    hashes_and_lengths,
    lines_of,
    paragraphs_of,
    token_hashes,
)
from fruitstand.filters.text import drop_punctuation, tokens
from tests.filters.realtext import CMN, DATA, ENG, URD, chinese_article, english_article, sentences, urdu_article

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data")


def verdict(step, text: str, meta: dict) -> bool | str:
    out = step.keep(Document(id="t", text=text, metadata=dict(meta)))
    return True if out is True else out[1]


# --- repetition ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, meta", [(urdu_article(), URD), (chinese_article(), CMN), (english_article(), ENG)],
                         ids=["urd", "cmn", "eng"])
def test_real_articles_pass_repetition(text, meta):
    assert verdict(GopherRepetition(), text, meta) is True


def test_repeated_paragraphs_and_lines_are_dropped_for_it():
    rep = GopherRepetition()
    for text, meta in [(urdu_article(), URD), (chinese_article(), CMN)]:
        paras = text.split("\n")
        # Every paragraph printed twice, blank-line separated: half the paragraphs repeat.
        assert verdict(rep, "\n\n".join(p for p in paras for _ in (0, 1)), meta) == "gopher_rep_dup_para_frac"
        # The same, line by line: half the lines repeat.
        assert verdict(rep, "\n".join(p for p in paras for _ in (0, 1)), meta) == "gopher_rep_dup_line_frac"


def test_a_sentence_repeated_inside_one_line_is_a_repeated_ngram():
    rep = GopherRepetition()
    # Real Urdu and Chinese sentences, three of them five times over in one paragraph: no
    # line repeats, but the words do (the Chinese ones only once jieba segments them).
    for code, meta in [("ur", URD), ("zh", CMN)]:
        s = sentences(code, 3)
        text = (" " if code == "ur" else "").join(s * 5)
        assert verdict(rep, text, meta).startswith(("gopher_rep_top_", "gopher_rep_dup_")), code


def test_hashes_and_lengths_read_off_the_spaces_are_the_concatenations():
    import numpy as np

    cases = [tokens(english_article()), tokens(urdu_article(), "urd", "Arab"), tokens(chinese_article(), "cmn", "Hani"),
             ["a"], ["", "a", "", "bc", ""], ["a b", "c"], [" ", "x"], ["\ud800", "é", "\U0001f600"]]
    for toks in cases:
        cum_len = np.concatenate(([0], np.cumsum([len(t) for t in toks]))).astype(np.int64)
        got, got_len = hashes_and_lengths(toks)
        want, _ = hashes_and_lengths(toks, cum_len)  # the tokens concatenated, bounded by their lengths
        assert (got_len == cum_len).all() and (got == want).all()


def test_token_hashes_do_not_depend_on_the_process():
    # Python's hash() of a str changes with PYTHONHASHSEED; the n-gram rules' must not.
    script = ("import sys, hashlib; from fruitstand.filters.gopher_repetition import token_hashes; "
              "from fruitstand.filters.text import drop_punctuation, tokens; from tests.filters.realtext import urdu_article, "
              "english_article; t = tokens(english_article()) + tokens(urdu_article(), 'urd', 'Arab') + ['\\ud800'];"
              "print(hashlib.sha256(token_hashes(t).tobytes()).hexdigest(), hashlib.sha256(token_hashes(t).tobytes()).hexdigest())")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    outs = {subprocess.run([sys.executable, "-c", script], env={**env, "PYTHONHASHSEED": seed}, check=True,
                           capture_output=True, text=True).stdout for seed in ("1", "2")}
    assert len(outs) == 1 and len(set(outs.pop().split())) == 1  # and the same on a second call
    toks = tokens(english_article()) + tokens(urdu_article(), "urd", "Arab")
    hashes = token_hashes(toks).tolist()
    by_token: dict[str, int] = {}
    for tok, h in zip(toks, hashes):
        assert by_token.setdefault(tok, h) == h  # one token, one hash, wherever it stands
    assert len(set(by_token.values())) == len(by_token) > 400  # and distinct tokens, distinct hashes
    assert len(set(token_hashes(["a", "\x00a", "a\x00", "ab", "ba", "\ud800"]).tolist())) == 6


def test_paragraphs_and_lines_split_as_the_regexes_do():
    import random

    rng = random.Random(21)
    texts = [english_article().strip(), urdu_article().strip(), chinese_article().strip()]
    for _ in range(20_000):
        text = "".join(rng.choice(["a", "bc", "\n", "\n\n", "\n\n\n", " ", "\t", "\r", "\x0b"]) for _ in range(rng.randint(1, 30)))
        texts.append(text.strip())
    for text in filter(None, texts):
        assert paragraphs_of(text) == _PARAGRAPHS.split(text), repr(text)
        assert lines_of(text) == _LINES.split(text), repr(text)


# --- quality ---------------------------------------------------------------------------------


def test_token_stats_count_the_words_drop_punctuation_keeps_and_the_lines_with_a_letter():
    for toks in [tokens(english_article()), tokens(urdu_article(), "urd", "Arab"),
                 tokens(chinese_article(), "cmn", "Hani"), ["a", "...", "b\nc", "—", ""], ["«»", "۔"], [],
                 ["abc", "de"], ["abc", "1", "a1", "ǅ", "ʰ", "\u0301", "x\u0301", "…", "$5", "\n", "a\n\nb"]]:
        words = drop_punctuation(toks)
        with_letter = len(_HAS_LETTER.findall("\n".join(toks)))
        assert token_stats(toks) == (len(words), sum(map(len, words)), with_letter), toks


@pytest.mark.parametrize("text, meta", [(urdu_article(), URD), (chinese_article(), CMN), (english_article(), ENG),
                                        (chinese_article("youth"), CMN)], ids=["urd", "cmn", "eng", "cmn-youth"])
def test_real_articles_pass_quality(text, meta):
    assert verdict(GopherQuality(), text, meta) is True


def test_short_documents_are_dropped():
    q = GopherQuality()
    assert verdict(q, sentences("ur", 1)[0], URD) == "gopher_short_doc"
    assert verdict(q, sentences("zh", 1)[0], CMN) == "gopher_short_doc"
    # 50 words is 50 jieba words for Chinese, not 50 space-separated chunks: two paragraphs
    # (under 200 characters, one "word" by spaces) pass.
    two = "\n".join(chinese_article().split("\n")[:2])
    assert len(two) < 200 and len(two.split()) < 50
    assert verdict(q, two, CMN) is True


def test_word_length_bounds_follow_the_language():
    # Chinese words are 1-2 characters: English's 3-character floor drops every Chinese page.
    english_bounds = GopherQuality(language_thresholds=False, min_stop_words=0)
    assert verdict(english_bounds, chinese_article(), CMN) == "gopher_below_avg_threshold"
    assert verdict(GopherQuality(min_stop_words=0), chinese_article(), CMN) is True


def test_stop_words_are_the_languages_own():
    q = GopherQuality()
    # An English article read as Urdu lacks Urdu's function words, and the other way round.
    assert verdict(q, english_article(), URD) == "gopher_enough_stop_words"
    assert verdict(q, urdu_article(), ENG) == "gopher_enough_stop_words"
    # Without langid metadata there is no stop-word list to check (script fallback config).
    assert verdict(q, urdu_article(), {}) is True


def test_stop_words_match_case_insensitively_and_as_given():
    text = " ".join(["THE", "Of", "word"] * 30)
    assert verdict(GopherQuality(stop_words=["the", "of"]), text, ENG) is True  # lower-cased to match
    assert verdict(GopherQuality(stop_words=["the", "zz"]), text, ENG) == "gopher_enough_stop_words"
    # A stop word with a capital never matches (tokens are lower-cased first), even as written.
    assert verdict(GopherQuality(stop_words=["THE", "Of"]), text, ENG) == "gopher_enough_stop_words"


def test_bullets_ellipses_and_hashes():
    q = GopherQuality()
    urdu = sentences("ur", 20)
    assert verdict(q, "\n".join("• " + s for s in urdu), URD) == "gopher_too_many_bullets"
    assert verdict(q, "\n".join(s.rstrip("۔") + "…" for s in urdu), URD) == "gopher_too_many_end_ellipsis"
    zh = sentences("zh", 20)
    assert verdict(q, "\n".join("#" + "#".join(s) for s in zh), CMN) == "gopher_too_many_hashes"
