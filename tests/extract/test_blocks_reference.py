"""blocks.py's fast split_blocks and features against their plain definitions (issue 21).

`features` counts digits and spaces with code-point tables, computes its windows side by side and
fills its matrix in place; `split_blocks` skips the tests for tags the text never holds. The
definitions below are the straightforward per-line and per-block code they replaced. Both must
agree exactly, bit for bit, on the blocks of resiliparse's minimal-HTML output of real pages and of
generated lines built to break the shortcuts (tags spanning lines, a `<` with no `>`, entities
beside white space, digits of many scripts).
"""

from __future__ import annotations

import html
import math
import random
import re

import numpy as np
import pytest
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from fruitstand.extract import blocks
from fruitstand.extract.decode import decode_html
from fruitstand.extract.main_content import PLAIN
from fruitstand.extract.prune import drop_inert
from fruitstand.io.readers import open_binary

_TAG = re.compile(r"<[^>]*>")
_ANCHOR = re.compile(r"<a\b[^>]*>(.*?)</a>", re.S)


def reference_split_blocks(text: str) -> list:
    out = []
    in_list = 0
    in_pre = gap = False
    for line in text.split("\n"):
        s = line.strip()
        if not s:
            gap = True
            continue
        if in_pre:
            kind = blocks.PRE
        elif s.startswith("<p>"):
            kind = blocks.LIST_ITEM if in_list else blocks.PARAGRAPH
        elif re.match(r"<h[1-6]>", s):
            kind = blocks.HEADING
        elif in_list or s.startswith("<li>"):
            kind = blocks.LIST_ITEM
        else:
            kind = blocks.OTHER
        if "<pre>" in s:
            in_pre, kind = True, blocks.PRE
        if "</pre>" in s:
            in_pre = False
        in_list = max(0, in_list + s.count("<li>") - s.count("</li>"))
        links = sum(len(_TAG.sub("", a).strip()) for a in _ANCHOR.findall(s))
        s = html.unescape(_TAG.sub("", s)).strip()
        if s:
            out.append((s, kind, links, gap))
            gap = False
    return out


def _shift(a, k):
    out = np.zeros_like(a)
    if k > 0:
        out[k:] = a[:-k]
    else:
        out[:k] = a[-k:]
    return out


def _window(a, r=2):
    c = np.concatenate([[0.0], np.cumsum(np.pad(a, r))])
    return (c[2 * r + 1 :] - c[: -2 * r - 1]) / (2 * r + 1)


def reference_features(found: list, mode: int) -> np.ndarray:
    n = len(found)
    texts = [b[0] for b in found]
    chars = np.fromiter((len(t) for t in texts), float, n)
    kind = np.fromiter((b[1] for b in found), int, n)
    link = np.minimum(np.fromiter((b[2] for b in found), float, n) / np.maximum(chars, 1), 1)
    ends = np.fromiter((t[-1] in '.!?。！？:;…"”»)]' for t in texts), float, n)
    words = np.fromiter((t.count(" ") + 1 for t in texts), float, n)
    digits = np.fromiter((sum(map(str.isdigit, t)) for t in texts), float, n) / np.maximum(chars, 1)
    log_chars = np.log1p(chars)
    long = (chars >= blocks.LONG_BLOCK) & (ends > 0)
    weight = chars * long
    total = weight.sum()
    if total:
        cum = np.cumsum(weight)
        before, after = (cum - weight) / total, (total - cum) / total
    else:
        before = after = np.zeros(n)
    paragraph = (kind == blocks.PARAGRAPH).astype(float)
    heading = (kind == blocks.HEADING).astype(float)
    columns = [
        log_chars, link, ends, np.log1p(words), digits, before, after,
        np.arange(n) / max(1, n - 1), (np.cumsum(chars) - chars) / max(chars.sum(), 1),
        _shift(log_chars, 1), _shift(log_chars, -1), _shift(link, 1), _shift(link, -1),
        _shift(ends, 1), _shift(ends, -1), _window(link), _window(log_chars), _window(paragraph),
        np.full(n, math.log1p(n)), np.full(n, math.log1p(chars.sum())),
        (before == 0).astype(float), (after == 0).astype(float), long.astype(float),
        paragraph, heading, (kind == blocks.LIST_ITEM).astype(float), (kind == blocks.PRE).astype(float),
        (kind == blocks.OTHER).astype(float), _shift(heading, 1), _shift(paragraph, 1), _shift(paragraph, -1),
        np.full(n, float(mode == blocks.MODE_CONTAINER)), np.full(n, float(mode == blocks.MODE_PAGE_RULES)),
        np.full(n, float(mode >= blocks.MODE_CONTAINER_RULES)),
    ]
    return np.stack(columns, 1)


def _same(text: str, mode: int = blocks.MODE_CONTAINER) -> None:
    found = blocks.split_blocks(text)
    assert found == reference_split_blocks(text), text
    if found:
        x, ref = blocks.features(found, mode), reference_features(found, mode)
        assert x.shape == ref.shape and x.dtype == ref.dtype and x.flags.c_contiguous
        assert x.tobytes() == ref.tobytes(), [blocks.FEATURES[i] for i in np.flatnonzero((x != ref).any(0))]


@pytest.fixture(scope="module")
def minimal_pages(shared) -> list[str]:
    """resiliparse's minimal-HTML output of 40 real pages (the article benchmark, trafilatura's set)."""
    paths = sorted((shared / "extraction" / "html").glob("*.html.gz"))[:20]
    paths += sorted((shared / "html" / "trafilatura-eval").glob("*.html.gz"))[:20]
    out = []
    for path in paths:
        with open_binary(str(path)) as f:
            tree = HTMLTree.parse(decode_html(drop_inert(f.read())))
        out.append(extract_plain_text(tree, **PLAIN, **blocks.MINIMAL_HTML))
    return out


def test_real_pages_split_and_score_as_defined(minimal_pages):
    for text in minimal_pages:
        for mode in (blocks.MODE_PAGE_RULES, blocks.MODE_CONTAINER, blocks.MODE_CONTAINER_WHOLE):
            _same(text, mode)


_PIECES = ["<p>", "</p>", "<li>", "</li>", "<ul>", "</ul>", "<pre>", "</pre>", "<h2>", "</h2>", "<hx>",
           '<a href="/x">', '<a href="/y\nz">', "</a>", "<br>", "<", ">", "<b", "&amp;", "&amp", "&#10;",
           "&#x41", "&nbsp;", "&copy", "&notin;", "&#0;", "&", ";", " ", "  ", "\t", "\xa0", "\u3000",
           "\r", "\x0b", "\x1c", "\u2028", "\n", "\n\n", "word", "Wörter", "文字", "۱۲۳", "٣", "²", "①",
           "１２", "9", "0", "x.", "!", "»", "\ud800", "\U0001f100", "𝟘", "…"]


def test_generated_lines_split_and_score_as_defined():
    rng = random.Random(21)
    for _ in range(3000):
        _same("".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40))), rng.choice([2, 3, 4, 5]))


def test_digit_table_is_str_isdigit():
    texts = ["".join(map(chr, range(start, start + 4096))) for start in range(0, 0x110000, 4096)]
    texts = [t.replace("\n", "") for t in texts if t.strip()]
    lengths = np.array([len(t) for t in texts])
    got = blocks._char_counts(texts, np.cumsum(lengths) - lengths, lengths)
    assert got[0].tolist() == [float(sum(map(str.isdigit, t))) for t in texts]
    assert got[1].tolist() == [float(t.count(" ")) for t in texts]
    assert got[2].tolist() == [ord(t[-1]) for t in texts]
