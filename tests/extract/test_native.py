"""`extract._native.split_blocks` against its Python twin `blocks._split_blocks` (issue 21).

The C function must give exactly the Python one's blocks: on resiliparse's minimal-HTML output
of real pages (shared/data/extraction, the article-extraction benchmark's pages; a shared WARC),
with and without main-content detection, and on text made of the fragments each branch tests
(tags, anchors, entities, headings, white space CPython strips but `re` does not split at).
"""

from __future__ import annotations

import gzip
import html
import os
import random

import pytest
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from fruitstand import read
from fruitstand.extract import blocks
from tests.filters.realtext import DATA

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data")


def _minimal_html(page: bytes | str) -> list[str]:
    tree = HTMLTree.parse(page.decode("utf-8", "replace") if isinstance(page, bytes) else page)
    return [extract_plain_text(tree, main_content=main, **blocks.MINIMAL_HTML) for main in (True, False)]


@pytest.fixture(scope="module")
def pages() -> list[str]:
    out = []
    for path in sorted((DATA / "extraction" / "html").glob("*.html.gz"))[:40]:
        out += _minimal_html(gzip.decompress(path.read_bytes()))
    for doc in read(DATA / "warc" / "sample-0000.warc.gz"):
        if doc.html is not None:
            out += _minimal_html(doc.html)
    return [t for t in out if t]


def test_the_extension_is_built():
    # setup.py builds it as optional, so a failed build would only warn: the suite says so instead.
    if os.environ.get("FRUITSTAND_PURE_PYTHON"):
        pytest.skip("FRUITSTAND_PURE_PYTHON is set")
    assert blocks._native is not None


def test_split_blocks_matches_on_real_pages(pages):
    native = pytest.importorskip("fruitstand.extract._native")
    kinds = set()
    for text in pages:
        want = blocks._split_blocks(text)
        assert native.split_blocks(text, html.unescape) == want
        kinds |= {k for _, k, _, _ in want}
    assert kinds >= {blocks.PARAGRAPH, blocks.HEADING, blocks.LIST_ITEM, blocks.OTHER}
    assert any(links for text in pages for _, _, links, _ in blocks._split_blocks(text))


FRAGMENTS = ["<p>", "</p>", "<li>", "</li>", "<a href=x>", "<a>", "<a_b>", "<ab>", "<a\u00e9>", "</a>", "<pre>",
             "</pre>", "<h2>", "<h7>", "<h1", "&amp;", "&nbsp;", "&", "&#x41", "&amp\r", "&#0;", "<", ">", "\n", "\n\n",
             " ", "\t", "\r", "\x1c", "\xa0", "\u2028", "\u3000", "x", "\u00e9", "\u4e2d", "\U0001f600", "text"]


def test_split_blocks_matches_on_every_branch():
    native = pytest.importorskip("fruitstand.extract._native")
    rng = random.Random(5)
    for _ in range(20000):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 40)))
        assert native.split_blocks(text, html.unescape) == blocks._split_blocks(text), repr(text)


def test_split_blocks_passes_the_unescape_errors_on():
    native = pytest.importorskip("fruitstand.extract._native")

    def broken(s):
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        native.split_blocks("<p>a &amp; b</p>", broken)
    assert native.split_blocks("<p>a b</p>", broken) == [("a b", blocks.PARAGRAPH, 0, False)]


def test_char_counts_match(pages):
    import numpy as np

    native = pytest.importorskip("fruitstand.extract._native")
    rng = random.Random(9)
    odd = ["".join(rng.choice("0123456789 \u0660\u0966\u00b2\u2460\uff10x\u4e2d\U0001d7ce.") for _ in range(rng.randint(1, 30)))
           for _ in range(2000)]
    corpus = [[t for t, *_ in blocks._split_blocks(p)] for p in pages] + [odd[i : i + 50] for i in range(0, 2000, 50)]
    for texts in filter(None, corpus):
        lengths = np.array(list(map(len, texts)))
        starts = np.cumsum(lengths) - lengths
        digits, spaces, last = blocks._char_counts(texts, starts, lengths)
        got = np.frombuffer(native.char_counts(texts), np.int64).reshape(-1, 3)
        assert got[:, 0].tolist() == digits.tolist() and got[:, 1].tolist() == spaces.tolist()
        assert got[:, 2].tolist() == last.tolist()


INERT_FRAGMENTS = [b"<script>", b"<script ", b"</script>", b"</SCRIPT >", b"</scripts>", b"<style>", b"</style>", b"<svg/>",
                   b"<svg a/>", b"<svg>", b"</svg>", b"<title>", b"</title>", b"<textarea>", b"</textarea\n", b"<!--",
                   b"-->", b"--!>", b"<!-->", b"<!--->", b"---", b"-", b"!", b">", b"<", b"/", b" ", b"\t", b"x",
                   b"<Script>", b"</", b"</script", b"<p>", b"\x1b"]


def test_drop_inert_matches_on_real_pages_and_every_branch():
    from fruitstand.extract import prune

    native = pytest.importorskip("fruitstand.extract._native")
    raw = [gzip.decompress(p.read_bytes()) for p in sorted((DATA / "extraction" / "html").glob("*.html.gz"))]
    raw += [d.html for d in read(DATA / "warc" / "sample-0000.warc.gz") if isinstance(d.html, bytes)]
    rng = random.Random(2)
    built = [b"".join(rng.choice(INERT_FRAGMENTS) for _ in range(rng.randint(0, 30))) for _ in range(20000)]
    cut = 0
    for page in raw + built:
        want = prune._drop_inert(page)
        got = native.drop_inert(page)
        assert got == want, page[:300]
        assert (got is page) == (want is page)  # the page itself back when nothing is cut
        cut += got is not page
    assert cut > 1000


def test_features_are_the_same_floats(pages, monkeypatch):
    # Every column bit for bit: the model's threshold is a float comparison, so "close" is not enough.
    native = pytest.importorskip("fruitstand.extract._native")
    rng = random.Random(4)
    cases = [blocks._split_blocks(p) for p in pages]
    cases += [[("".join(rng.choice("ab .!:0\u0661\u3002x\u201d") for _ in range(rng.choice([1, 5, 130, 300]))),
                rng.randint(0, 4), rng.randint(0, 400), rng.random() < 0.5) for _ in range(rng.randint(1, 12))]
              for _ in range(500)]
    cases = [c for c in cases if c]
    got = {(i, mode): blocks.features(c, mode).tobytes() for i, c in enumerate(cases) for mode in range(2, 7)}
    monkeypatch.setattr(blocks, "_native", None)  # the NumPy twins throughout
    for (i, mode), x in got.items():
        assert x == blocks.features(cases[i], mode).tobytes(), (i, mode)
    assert native.features  # the C side was the one measured above


def test_split_blocks_is_linear_on_unclosed_tags():
    # A '<' with no '>' after it made the tag regex scan to the line's end from every '<': quadratic
    # (50 s on this line before); both sides now stop at the last '>'.
    import time

    text = "<p>" + "<x " * 50000 + "</p>\n" + "<b " * 50000 + "\n<p>" + "<a href " * 50000 + "</p>"
    results = []
    for split in (blocks._split_blocks, blocks.split_blocks):
        start = time.process_time()
        results.append(split(text))
        assert time.process_time() - start < 5
    assert results[0] == results[1]
    assert [(k, len(t)) for t, k, _, _ in results[0]] == [(blocks.OTHER, 150000 - 1)]  # the tags' lines: no text


def test_minimal_bytes_match(pages):
    from fruitstand.extract import main_content

    pytest.importorskip("fruitstand.extract._native")
    rng = random.Random(8)
    built = ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 40))) for _ in range(20000)]
    for text in pages + built + ["\u00e9" + "<" * 1000, "<" * 1000 + ">"]:
        assert main_content._minimal_bytes(text) == main_content._minimal_bytes_py(text), repr(text[:200])
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate: str.encode refuses it on both sides
        main_content._minimal_bytes("<p>a\ud800</p>")


def test_might_be_mojibake_matches(pages):
    from fruitstand.extract import mojibake

    native = pytest.importorskip("fruitstand.extract._native")
    rng = random.Random(4)
    pool = [chr(c) for c in [*range(0x70, 0x200), 0x152, 0x153, 0x160, 0x178, 0x17D, 0x192, 0x2C6, 0x2DC, 0x2013,
                             0x2017, 0x2018, 0x201E, 0x201F, 0x2020, 0x2022, 0x2023, 0x2026, 0x2030, 0x2039, 0x20AC,
                             0x2122, 0x4E2D, 0x1F600, 0xD800]]
    built = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 6))) for _ in range(50000)]
    found = 0
    for text in pages + built + ["Ã©", "Ã", "â€™", "â€", "ðŸ˜€", "ðŸ˜", "\x85"]:
        want = mojibake._might_be_mojibake(text)
        assert native.might_be_mojibake(text) == want, repr(text)
        found += want
    assert found > 1000


def test_the_c_character_sets_are_the_python_ones():
    # sentence_end() and continuation() in _native.c restate blocks._SENTENCE_END and
    # mojibake._CONTINUATION: every code point that could be in either, asked of both sides.
    import numpy as np

    from fruitstand.extract import mojibake

    native = pytest.importorskip("fruitstand.extract._native")
    points = [*range(0x21, 0x3100), *range(0xFF00, 0x10000)]
    ends = [("x" + chr(c), blocks.OTHER, 0, False) for c in points if not 0xD800 <= c < 0xE000]
    x = blocks.features(ends, blocks.MODE_CONTAINER)
    if blocks._native is not None:
        want = np.array([t[-1] in blocks._SENTENCE_END for t, *_ in ends], float)
        assert x[:, blocks.FEATURES.index("sentence_end")].tolist() == want.tolist()
    for lead in ("\u00c3", "\u00e2\u20ac"):  # a two- and a three-byte lead, read as Windows-1252
        for c in range(0x80, 0x2200):
            text = lead + chr(c)
            assert native.might_be_mojibake(text) == mojibake._might_be_mojibake(text), hex(c)
