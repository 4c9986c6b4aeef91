"""Words, sentences, scripts and per-language configs, on real sentences from shared/data/lang."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import regex

from fruitstand.document import Document
from fruitstand.filters import configs
from fruitstand.filters import text as text_module
from fruitstand.filters.text import (
    dominant_script,
    drop_punctuation,
    min_tokens,
    sentence_count,
    space_tokens,
    terminal_marks,
    terminal_punctuation,
    tokens,
    word_count,
    words,
    words_up_to,
)

LANG = Path(__file__).resolve().parents[3] / "shared" / "data" / "lang"
pytestmark = pytest.mark.skipif(not LANG.is_dir(), reason="needs ../shared/data")


def sentences(code: str, n: int = 20) -> list[str]:
    lines = (LANG / f"{code}.txt").read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip()][:n]


@pytest.mark.parametrize(
    "code, script",
    [("en", "Latn"), ("ur", "Arab"), ("ar", "Arab"), ("zh", "Hani"), ("ja", "Jpan"), ("th", "Thai"),
     ("hi", "Deva"), ("ru", "Cyrl"), ("ko", "Hang"), ("el", "Grek"), ("he", "Hebr")],
)
def test_dominant_script_of_real_sentences(code, script):
    assert dominant_script(" ".join(sentences(code))) == script


def test_chinese_japanese_thai_are_segmented_into_words():
    for code, script, lo, hi in [("zh", "Hani", 1.2, 2.6), ("ja", "Jpan", 1.2, 2.6), ("th", "Thai", 2.5, 8)]:
        for s in sentences(code, 10):
            ws = words(s, script=script)
            assert len(ws) >= 3, (code, s, ws)
            # Words, not whole sentences or single characters: mean length within bounds.
        all_words = [w for s in sentences(code, 50) for w in words(s, script=script)]
        mean = sum(map(len, all_words)) / len(all_words)
        assert lo < mean < hi, (code, mean)
    assert words("我爱北京天安门，今天天气很好。", script="Hani") == ["我", "爱", "北京", "天安门", "今天天气", "很", "好"]


def test_urdu_full_stop_glued_to_the_next_word_still_splits():
    # From shared/data/urdu-news/train-tch42.txt: "ہے۔پی ٹی اے" (no space after ۔).
    assert tokens("حل کر دیا ہے۔پی ٹی اے کی جانب سے", script="Arab") == [
        "حل", "کر", "دیا", "ہے", "۔", "پی", "ٹی", "اے", "کی", "جانب", "سے"
    ]
    # Devanagari vowel signs and viramas stay inside their word.
    assert words("हिन्दी भाषा है। यह अच्छी है", script="Deva") == ["हिन्दी", "भाषा", "है", "यह", "अच्छी", "है"]


def test_latin_tokens_split_as_spacy_does():
    # Each expected list is what spaCy 3.8's blank English tokenizer gives (datatrove's words).
    cases = {
        "Don't stop: it's the U.S. firm's 1,000th well-known idea...": [
            "Do", "n't", "stop", ":", "it", "'s", "the", "U.S.", "firm", "'s", "1,000th", "well", "-", "known",
            "idea", "...",
        ],
        "Mr. J. Smith paid $5 for 42m at www.example.com/page (COVID-19) -----": [
            "Mr.", "J.", "Smith", "paid", "$", "5", "for", "42", "m", "at", "www.example.com/page", "(",
            "COVID-19", ")", "-----",
        ],
    }
    for text, expected in cases.items():
        assert tokens(text, "eng", "Latn") == expected


def test_space_tokens_are_the_regex_tokens_through_a_rotating_memo(monkeypatch):
    # Real sentences of 40 space-separated languages, twice over, through a memo small enough to
    # rotate its generations many times: always exactly `_TOKEN.findall` of the whole text.
    monkeypatch.setattr(text_module, "_CHUNK_MEMO_SIZE", 300)
    monkeypatch.setattr(text_module, "_CHUNK_TOKENS", {})
    monkeypatch.setattr(text_module, "_CHUNK_TOKENS_OLD", {})
    codes = sorted(p.stem for p in LANG.glob("*.txt") if p.stem not in ("zh", "ja", "th"))[:40]
    texts = [" ".join(sentences(code, 40)) for code in codes]
    texts += ["U.S. don't 3.5km e-mail@x.org ...--", "a\x1cb c", "Ünïcode naïve café\u00a0x\u2028y"]
    assert len(texts) > 40
    for _ in range(2):
        for t in texts:
            assert space_tokens(t) == text_module._TOKEN.findall(t), t[:60]
    assert text_module._CHUNK_TOKENS_OLD  # it rotated


def test_min_tokens_is_a_floor_for_the_token_count():
    # FineWeb's list rule skips tokenising when this floor already decides it.
    codes = sorted(p.stem for p in LANG.glob("*.txt"))
    for code in codes:
        t = "\n".join(sentences(code, 30))
        script = dominant_script(t)
        floor = min_tokens(t, None, script)
        assert (floor is None) == (script in ("Hani", "Jpan", "Thai")), code
        assert floor is None or 0 < floor <= len(tokens(t, None, script)), code
    assert min_tokens("http://a\x1cb.example/x y", "eng", "Latn") is None  # str.split splits at \x1c, _TOKEN not
    assert min_tokens("ok then", "jpn", "Latn") is None
    assert min_tokens("U.S. don't (see: 3.5km)", "eng", "Latn") == 4 < len(tokens("U.S. don't (see: 3.5km)", "eng", "Latn"))


def test_every_alphabetic_character_is_a_regex_letter():
    # space_tokens takes a chunk of `str.isalpha` characters as one token without the regex:
    # exact only while every such character is one of the regex module's \p{L}.
    letter = regex.compile(r"\p{L}")
    assert not [hex(c) for c in range(sys.maxunicode + 1) if chr(c).isalpha() and not letter.match(chr(c))]


def test_terminal_punctuation_per_script():
    assert "۔" in terminal_punctuation("Arab") and "؟" in terminal_punctuation("Arab")
    assert "।" in terminal_punctuation("Deva") and "।" in terminal_punctuation("Beng")
    assert "。" in terminal_punctuation("Hani") and "！" in terminal_punctuation("Jpan")
    assert "։" in terminal_punctuation("Armn") and "።" in terminal_punctuation("Ethi")
    assert terminal_punctuation("Thai") == ""
    assert {".", "?", "!", "۔", "؟", "।", "。"} <= terminal_marks()
    assert "," not in terminal_marks() and "…" not in terminal_marks()


def test_sentence_count_per_script():
    assert sentence_count("He went home. Then he slept.") == 2
    assert sentence_count("Mr. J. Smith arrived at 3.5 p.m. today!") == 1
    assert sentence_count("Wait... what?") == 1
    # Real Urdu (shared/data/lang/ur.txt) and Chinese sentences, three in one line.
    ur, zh = sentences("ur", 3), sentences("zh", 3)
    assert sentence_count(" ".join(ur)) == 3
    assert sentence_count("".join(zh)) == 3
    assert sentence_count("ہے۔پی ٹی اے نے کہا۔") == 2


def test_config_lookup_language_alias_script_fallback_and_default():
    assert configs.load("urd", "Arab").name == "urd_Arab"
    assert configs.load("zho", "Hani").name == "cmn_Hani"  # macrolanguage read as its main member
    assert configs.load("ara", "Arab").name == "arb_Arab"
    assert configs.load("snd", "Arab").name == "und_Arab"  # no Sindhi config: the script's
    assert configs.load(None, "Hani").stop_words == frozenset()
    assert configs.load(None, "Zzzz").name == "default"
    eng = configs.load("eng", "Latn")
    assert eng.stop_words == {"the", "be", "to", "of", "and", "that", "have", "with"}
    urd = configs.load("urd", "Arab")
    assert {"کے", "میں", "ہے"} <= urd.stop_words
    assert urd.tables["gopher_quality"]["min_avg_word_length"] < 3


def test_config_for_a_document_without_langid_metadata_uses_its_script():
    doc = Document(id="zh", text="".join(sentences("zh", 5)))
    assert configs.for_document(doc).name == "und_Hani"
    doc = Document(id="ur", text=" ".join(sentences("ur", 5)), metadata={"language": "urd"})
    assert configs.for_document(doc).name == "urd_Arab"


def test_every_config_file_parses_and_names_only_real_parameters():
    import dataclasses

    from fruitstand.filters.c4_quality import C4Quality
    from fruitstand.filters.fineweb_quality import FineWebQuality
    from fruitstand.filters.gopher_quality import GopherQuality
    from fruitstand.filters.gopher_repetition import GopherRepetition

    fields = {cls.kind: {f.name for f in dataclasses.fields(cls)}
              for cls in (C4Quality, FineWebQuality, GopherQuality, GopherRepetition)}
    root = Path(configs.__file__).parent
    names = sorted(p.stem for p in root.glob("*.toml"))
    assert len(names) > 70 and "default" in names and "eng_Latn" in names
    for name in names:
        lang, _, script = name.partition("_")
        cfg = configs._read(name, script or "Latn")
        for kind, table in cfg.tables.items():
            assert set(table) <= fields[kind], (name, kind)


def test_word_count_is_the_length_of_the_words():
    # C4 counts a segmented line's words with word_count: the same number drop_punctuation keeps.
    import random

    cases = []
    for code in sorted(p.stem for p in LANG.glob("*.txt")):
        for s in sentences(code, 40):
            script = dominant_script(s)
            cases.append(tokens(s, None, script))
    assert len(cases) > 400  # the real sentences of every lang/*.txt
    rng = random.Random(21)
    alphabet = ["a", "7", "٣", "。", "，", "-", "$", "…", "\u0301", "\n", "", "ab", "\u200b", "\x85", "🙂", "²"]
    cases += [[rng.choice(alphabet) + rng.choice(alphabet) for _ in range(rng.randint(0, 8))] for _ in range(5000)]
    assert all(word_count(t) == len(drop_punctuation(t)) for t in cases)
    # C4's question, "has the line `limit` words?", read off the first tokens only
    thai = [tokens(s, "tha", "Thai") for s in sentences("th", 40)]
    assert sum(not t.isalnum() for toks in thai for t in toks) > 100  # vowel signs: not str.isalnum
    assert all(words_up_to(t, limit) == min(len(drop_punctuation(t)), limit)
               for t in cases + thai for limit in range(6))
    # every alphanumeric code point is neither punctuation nor a symbol: such a token is a word
    punct = regex.compile(r"[\p{P}\p{S}]")
    assert not [hex(c) for c in range(sys.maxunicode + 1) if chr(c).isalnum() and punct.match(chr(c))]
