"""The fast Chinese, Japanese and Thai segmenters give the reference segmenters' tokens, token for
token, on real text (issue 21; filters/lang/segment.py says why each path is the same). Japanese is
cut line by line on both paths; what that changes against cutting a page whole is pinned below."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fruitstand import read
from fruitstand.extract.extract import Extract
from fruitstand.filters.lang import segment

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
LANG = DATA / "lang"

# Cases the real text may lack: jieba's marks inside blocks, Han code points jieba leaves out of its
# blocks (extension A and B, compatibility ideographs, U+9FD6..), white space of every kind, NUL.
EDGES = [
    "", " ", "\n\n", "中㐀国人民-共和国", "我爱C++和c#及AT&T公司", "3.5%的人 50-69岁 021-56692669",
    "中\u3000国\r\n人\u2028民\x0b\x1c了", "a\x00b中国", "x_y中国_人.com", "𠀀中国𪚥人", "丽﨑國鿕鿖", "々中国〇年",
    "-", "._%", "中国-", "-中国", "2020-06-19 www.example.com/a_b?c=d&e#f", "ＡＢＣ中文１２３",
]


def _lines(code: str) -> list[str]:
    return [s for s in (LANG / f"{code}.txt").read_text(encoding="utf-8").splitlines() if s.strip()]


def _every_language() -> list[str]:
    """All 75 languages' sentences, a document each: other scripts, Latin, digits and marks in
    the segmenters' way."""
    return [p.read_text(encoding="utf-8") for p in sorted(LANG.glob("*.txt"))]


def _compare(cut, texts: list[str]) -> tuple[int, list]:
    differ = []
    for t in texts:
        segment.clear_memo()
        fast = cut(t)
        with segment.reference():
            ref = cut(t)
        if fast != ref:
            differ.append((t[:60], fast[:20], ref[:20]))
    return len(texts), differ


@pytest.fixture(scope="module")
def chinese_pages() -> list[str]:
    ex = Extract()
    pages = []
    for doc in read(DATA / "warc" / "resiliparse-warcfile.warc.gz"):
        got = ex.apply(doc)
        if not isinstance(got, tuple) and got is not None:
            pages.append(got.text)
    return pages


@pytest.mark.slow
def test_chinese_is_jiebas_token_for_token(chinese_pages):
    zh = _lines("zh")
    texts = zh + ["\n".join(zh[i:i + 12]) for i in range(0, len(zh), 12)] + chinese_pages + _every_language() + EDGES
    n, differ = _compare(segment.chinese, texts)
    assert n > 300 and not differ, differ[:3]
    assert sum("中国" in t or "的" in t for t in chinese_pages) >= 5  # the crawl's Chinese pages were read


@pytest.mark.slow
def test_a_marked_block_is_cut_as_jieba_cuts_it_on_its_own_dictionary():
    """Blocks holding `+#&._%-` go to jieba's algorithm on a dictionary of their substrings alone:
    the same tokens as jieba with its whole dictionary (random blocks of its words, fixed seed)."""
    words = segment._jieba_lexicon().words()
    rnd = random.Random(5)
    blocks = ["".join(rnd.choice(words) if rnd.random() < 0.5 else rnd.choice("+#&._%-0123456789abcXYZ中国人的")
                      for _ in range(rnd.randint(1, 8))) for _ in range(3000)]
    ref = segment.jieba_tokenizer()
    differ = [b for b in blocks if segment._jieba_block(b) != list(ref.cut(b))]
    assert not differ, differ[:3]


def test_chinese_line_memo_gives_each_text_its_own_tokens():
    zh = _lines("zh")
    segment.clear_memo()
    whole = segment.chinese("\n".join(zh[:40]))
    assert whole == [t for line in zh[:40] for t in segment.chinese(line)]  # lines from the memo
    with segment.reference():
        assert whole == segment.chinese("\n".join(zh[:40]))


def test_japanese_is_mecabs_surfaces_token_for_token():
    ja = _lines("ja")
    texts = ja + ["\n".join(ja[i:i + 12]) for i in range(0, len(ja), 12)] + _every_language() + EDGES
    texts += ["日本語\u3000の 文\t章\n\nです。 ", "ｶﾀｶﾅとカタカナ"]
    n, differ = _compare(segment.japanese, texts)
    assert n > 300 and not differ, differ[:3]


def test_japanese_rules_share_one_mecab_cut_of_each_line(monkeypatch):
    """The Gopher rules read the page, C4 each line, FineWeb C4's page: MeCab sees each line once."""
    from fruitstand.document import Document
    from fruitstand.filters import text
    from fruitstand.filters.c4_quality import C4Quality
    from fruitstand.filters.fineweb_quality import FineWebQuality
    from fruitstand.filters.gopher_quality import GopherQuality
    from fruitstand.filters.gopher_repetition import GopherRepetition

    ja = [s.strip() for s in _lines("ja")[:24]]
    cut, real = [], segment._japanese_wakati
    monkeypatch.setattr(segment, "_japanese_wakati", lambda t: cut.append(t) or real(t))
    segment.clear_memo()
    text._tokens.cache_clear()
    doc = Document("ja", "\n".join(ja), {"language": "jpn", "script": "Jpan"})
    GopherRepetition().keep(doc)
    GopherQuality().keep(doc)
    out = C4Quality().apply(doc)
    FineWebQuality().keep(out if isinstance(out, Document) else doc)
    assert sorted(cut) == sorted(set(ja))


def test_japanese_cut_by_lines_is_the_page_cut_whole_but_at_a_few_line_ends():
    """Each line is MeCab's input (as the `mecab` command reads a file); the whole page given to
    MeCab at once, as before, gives the same tokens but for a rare line's first or last one."""
    import difflib

    ja = [s.strip() for s in _lines("ja")]
    pages = ["\n".join(ja[i:i + 12]) for i in range(0, len(ja), 12)]
    tokens = differ = 0
    for page in pages:
        whole = [t for t in segment._japanese_wakati(page) if t.strip()]
        lines = segment.japanese(page)
        assert lines == [t for line in page.split("\n") for t in segment.japanese(line)]
        tokens += len(whole)
        ops = difflib.SequenceMatcher(None, whole, lines, autojunk=False).get_opcodes()
        differ += sum(max(b - a, d - c) for op, a, b, c, d in ops if op != "equal")
    assert tokens > 5000 and differ <= tokens / 1000, (differ, tokens)


def _perturbed_thai(n: int) -> list[str]:
    """Real Thai sentences with spaces, digits, marks, Latin, `฿` and the dictionary's words that hold
    a non-Thai character (`กทม.`, `ก ข ไม่กระดิกหู`) put in at random places (fixed seed); the test
    also makes pages of them, white space of every kind and `เกรีย` or `ย` at the lines' ends."""
    from pythainlp.corpus.common import thai_words

    across = sorted(w for w in thai_words() if not segment._TH_RUN.fullmatch(w))
    put = [*" .-/,:()\"'0123456789\n\u200b\u0e51\u0e52", "\u0e3f", "ab", "1,234.5", "12:30", " - "]
    rnd = random.Random(3)
    th = _lines("th")
    out = []
    for _ in range(n):
        s = list(rnd.choice(th))
        for _ in range(rnd.randint(1, 8)):
            s.insert(rnd.randrange(len(s) + 1), rnd.choice(put) if rnd.random() < 0.8 else rnd.choice(across))
        out.append("".join(s))
    return out


@pytest.mark.slow
def test_thai_is_newmms_words_token_for_token():
    segment.thai("")  # loads PyThaiNLP (and points its data folder at ours) before its corpus is read
    th = _lines("th")
    texts = th + ["\n".join(th[i:i + 12]) for i in range(0, len(th), 12)] + _every_language() + EDGES
    pert = _perturbed_thai(600)
    rnd = random.Random(4)
    edges = ["", " ", "\t", "\xa0", "\u3000", "\x0b", "\x85", "\u2028"]
    pages = ["\n".join(rnd.choice(edges) + p + rnd.choice(["", "\u0e40\u0e01\u0e23\u0e35\u0e22", "\u0e22"]) + rnd.choice(edges)
                       for p in pert[i:i + rnd.randint(2, 6)]) for i in range(0, 600, 4)]
    texts += pert[:400] + pages + ["ราคา\u0e3f500 เกีย. เกรียง้ เจี๋ยน์ สวรรค์ กทม.\nก", "ก ข ไม่กระดิกหู", "เลย\r\nเลย",
              "ผศ.\x0b\n\x853\u0e51\u0e52 เพียง", "ก\xa0\n\xa012 ข", "เกรีย\nก", "เกรีย \nก"]
    n, differ = _compare(segment.thai, texts)
    assert n > 900 and not differ, differ[:3]
    assert segment._thai_fast_parts() is not None  # the fast path ran (nlpo3 is installed here)


def test_thai_memo_hands_out_copies():
    segment.clear_memo()
    text = "\n".join(_lines("th")[:12])
    first = segment.thai(text)
    first.append("x")  # a caller changing its list does not change the memo's
    assert segment.thai(text) == first[:-1]


def test_without_the_rust_wheels_the_reference_segmenters_give_the_same_tokens(monkeypatch):
    """Where rjieba or nlpo3 has no wheel (they are optional by platform), jieba and newmm run alone."""
    zh = "\n".join(_lines("zh")[:24]) + "\n我爱C++和c#，50-69岁"
    th = "\n".join(_lines("th")[:24])
    segment.clear_memo()
    fast = segment.chinese(zh), segment.thai(th)
    monkeypatch.setattr(segment, "_rjieba_cut", lambda: None)
    monkeypatch.setattr(segment, "_thai_fast_parts", lambda: None)
    segment.clear_memo()
    assert (segment.chinese(zh), segment.thai(th)) == fast
