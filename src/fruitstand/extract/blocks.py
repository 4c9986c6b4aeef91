"""A learned filter over the text blocks of the extracted container: which ones are article.

The container (main_content.py) still holds blocks no threshold names: "Read more" lists,
newsletter prompts, tag lists, bylines, "Related topics". A small network scores each block
from what it looks like and where it sits, in the spirit of dragnet, Web2Text and BoilerNet:
its length and words, link density, whether it is a paragraph, heading, list item or
preformatted text, whether it ends like a sentence, its position against the long
paragraphs of the page (before the first, after the last), and the same for its neighbours.
After the model, `drop_orphans` drops kept headings that head nothing kept, copyright lines,
and after the prose, headings over link lists and linked lines addressed to the reader.

The blocks come from resiliparse's own pass in its "minimal HTML" form (paragraphs, headings,
list items, `<pre>` and links kept as tags), so no second walk over the DOM is made: parsing
that small text is all the extra cost (benchmarks/results/extraction.md).

The weights (`data/block_model.npz`, a few KB of NumPy arrays) were trained by
`benchmarks/train_block_model.py` on the "choose" half of five labelled sets (article-extraction
benchmark, trafilatura's evaluation pages, goose3's and Readability's test pages, and pages of
the shared WARCs labelled by hand, benchmarks/data/warc-pages); the other half of each is only
scored (benchmarks/extraction_quality.py).
"""

from __future__ import annotations

import html as _html
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from fruitstand import native

_native = native.load("extract._native")  # or None: the Python twins (fruitstand/native.py)

MODEL_PATH = Path(__file__).with_name("data") / "block_model.npz"

# resiliparse output options that give the blocks (tags kept) instead of plain text.
MINIMAL_HTML = dict(preserve_formatting="minimal_html", links=True)

# Block kinds.
OTHER, PARAGRAPH, HEADING, LIST_ITEM, PRE = 0, 1, 2, 3, 4

# How the text was found (main_content.main_text), a feature too.
MODE_PAGE_RULES, MODE_CONTAINER, MODE_CONTAINER_RULES, MODE_CONTAINER_WHOLE, MODE_PAGE_WHOLE = 2, 3, 4, 5, 6

_TAG = re.compile(r"<[^>]*>")
_ANCHOR = re.compile(r"<a\b[^>]*>(.*?)</a>", re.S)
_HEADING = re.compile(r"<h[1-6]>")
# Blocks are stripped, so "ends like a sentence" is a test of the last character (the same as
# main_content._SENTENCE_END, whose search would scan the whole block).
_SENTENCE_END = frozenset('.!?。！？:;…"”»)]')
LONG_BLOCK = 120  # characters: a block this long that ends like a sentence is article prose

FEATURES = (
    "log_chars", "link_density", "sentence_end", "log_words", "digit_share",
    "long_text_before", "long_text_after", "position", "text_position",
    "prev_log_chars", "next_log_chars", "prev_link_density", "next_link_density",
    "prev_sentence_end", "next_sentence_end", "window_link_density", "window_log_chars",
    "window_paragraphs", "log_blocks", "log_page_chars", "before_first_long", "after_last_long",
    "is_long", "paragraph", "heading", "list_item", "pre", "other", "prev_heading",
    "prev_paragraph", "next_paragraph", "mode_container", "mode_page_rules", "mode_fallback",
)


def split_blocks(text: str) -> list[tuple[str, int, int, bool]]:
    """(plain text, kind, characters inside links, blank line before) of each block of `text`,
    resiliparse's minimal-HTML output; blocks without text are left out. In C (`_native.c`, the
    same blocks) where the extension is built; `_split_blocks` is its Python twin."""
    if _native is None:
        return _split_blocks(text)
    return _native.split_blocks(text, _html.unescape)


def _split_blocks(text: str) -> list[tuple[str, int, int, bool]]:
    """`split_blocks` in Python."""
    has_pre, has_li, has_a, has_amp = "<pre>" in text, "li>" in text, "<a " in text, "&" in text
    out = []
    in_list = 0
    in_pre = gap = False
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            gap = True
            continue
        if in_pre:
            kind = PRE
        elif line.startswith("<p>"):
            kind = LIST_ITEM if in_list else PARAGRAPH
        elif line.startswith("<h") and _HEADING.match(line):
            kind = HEADING
        elif in_list or line.startswith("<li>"):
            kind = LIST_ITEM
        else:
            kind = OTHER
        if has_pre:
            if "<pre>" in line:
                in_pre, kind = True, PRE
            if "</pre>" in line:
                in_pre = False
        if has_li and "li>" in line:
            in_list = max(0, in_list + line.count("<li>") - line.count("</li>"))
        links = 0
        if has_a and "<a " in line:
            anchors = _anchor_texts(line)
            if "<" in "".join(anchors):
                anchors = [_untag(a) for a in anchors]
            links = sum(map(len, map(str.strip, anchors)))
        s = _untag(line) if "<" in line else line
        if has_amp and "&" in s:
            s = _html.unescape(s)
        s = s.strip()
        if s:
            out.append((s, kind, links, gap))
            gap = False
    return out


def _anchor_texts(line: str) -> list[str]:
    """`_ANCHOR.findall(line)` in linear time: from each `<a` not followed by a word character
    (`re`'s `\\b`: `str.isalnum` or `_`), the text between the next `>` and the `</a>` after it.
    Where one `<a` finds no `>` then `</a>`, no later one does either (the regex would try each, to
    the line's end: quadratic)."""
    out = []
    i = line.find("<a")
    while i >= 0:
        after = i + 2
        if after < len(line) and (line[after].isalnum() or line[after] == "_"):
            i = line.find("<a", i + 1)
            continue
        gt = line.find(">", after)
        end = line.find("</a>", gt + 1) if gt >= 0 else -1
        if end < 0:
            break
        out.append(line[gt + 1 : end])
        i = line.find("<a", end + 4)
    return out


def _untag(s: str) -> str:
    """`_TAG.sub("", s)` in linear time: every tag ends at a `>`, so the text after the last one
    holds none (and the regex, tried at each `<` there, would scan to the end: quadratic)."""
    k = s.rfind(">")
    return _TAG.sub("", s[: k + 1]) + s[k + 1 :] if k >= 0 else s


def features(blocks: list[tuple[str, int, int, bool]], mode: int) -> np.ndarray:
    """One row per block, the columns of FEATURES. Where the C extension is built, NumPy takes the
    two logarithms and `_native.features` every other column, with the same IEEE operations in the
    same order (`_features` is the NumPy twin; tests/extract/test_native.py compares them)."""
    if _native is None:
        return _features(blocks, mode)
    n = len(blocks)
    texts, kinds, links, _ = zip(*blocks)
    counts = _native.char_counts(texts)
    lengths = np.fromiter(map(len, texts), np.int64, count=n)
    log_chars = np.log1p(lengths.astype(float))
    log_words = np.log1p(np.frombuffer(counts, np.int64)[1::3].astype(float) + 1)
    x = _native.features(kinds, links, counts, lengths, log_chars, log_words, mode, math.log1p(n),
                         math.log1p(float(lengths.sum())))
    return np.frombuffer(x, float).reshape(n, len(FEATURES))


def _features(blocks: list[tuple[str, int, int, bool]], mode: int) -> np.ndarray:
    """`features` in NumPy alone."""
    n = len(blocks)
    texts, kinds, links, _ = zip(*blocks)
    lengths = np.array(list(map(len, texts)))
    starts = np.cumsum(lengths) - lengths  # of each block in the joined texts
    chars = lengths.astype(float)
    per_char = np.maximum(chars, 1)
    link = np.minimum(np.array(links, float) / per_char, 1)
    digits, spaces, last = _char_counts(texts, starts, lengths)
    ends = _IS_SENTENCE_END[last].astype(float)
    words = spaces + 1
    log_chars = np.log1p(chars)
    long = (chars >= LONG_BLOCK) & (ends > 0)
    weight = chars * long
    total = weight.sum()
    if total:
        cum = np.cumsum(weight)
        before, after = (cum - weight) / total, (total - cum) / total
    else:
        before = after = np.zeros(n)
    # Filled in place, in FEATURES' order (scalars and booleans broadcast and cast); the kinds'
    # indicators in one comparison, the neighbours' columns copied from the rows around.
    x = np.empty((n, len(FEATURES)))
    x[:, 0] = log_chars
    x[:, 1] = link
    x[:, 2] = ends
    x[:, 3] = np.log1p(words)
    x[:, 4] = digits / per_char
    x[:, 5] = before
    x[:, 6] = after
    x[:, 7] = np.arange(n) / max(1, n - 1)
    x[:, 8] = starts / max(chars.sum(), 1)
    x[:, _KIND_COLUMNS] = np.array(kinds)[:, None] == _KINDS
    x[:, 15:18] = _windows(link, log_chars, x[:, _PARAGRAPH_COLUMN])
    x[:, 18] = math.log1p(n)
    x[:, 19] = math.log1p(chars.sum())
    x[:, 20] = before == 0
    x[:, 21] = after == 0
    x[:, 22] = long
    x[:, 31:34] = (mode == MODE_CONTAINER, mode == MODE_PAGE_RULES, mode >= MODE_CONTAINER_RULES)
    x[0, _PREV] = 0
    x[1:, _PREV] = x[:-1, _PREV_OF]
    x[-1, _NEXT] = 0
    x[:-1, _NEXT] = x[1:, _NEXT_OF]
    return x


# Where features() puts what: the literal column numbers above are FEATURES' order (checked here).
_KINDS = np.array([PARAGRAPH, HEADING, LIST_ITEM, PRE, OTHER])
_KIND_COLUMNS = slice(23, 28)
_PARAGRAPH_COLUMN = 23
_PREV, _PREV_OF = [9, 11, 13, 28, 29], [0, 1, 2, 24, 23]  # prev_x: x of the block before
_NEXT, _NEXT_OF = [10, 12, 14, 30], [0, 1, 2, 23]  # next_x: x of the block after
assert FEATURES[:9] == ("log_chars", "link_density", "sentence_end", "log_words", "digit_share",
                        "long_text_before", "long_text_after", "position", "text_position")
assert FEATURES[15:28] == ("window_link_density", "window_log_chars", "window_paragraphs", "log_blocks",
                           "log_page_chars", "before_first_long", "after_last_long", "is_long",
                           "paragraph", "heading", "list_item", "pre", "other")
assert FEATURES[31:] == ("mode_container", "mode_page_rules", "mode_fallback")
assert all(FEATURES[i] == "prev_" + FEATURES[j] for i, j in zip(_PREV, _PREV_OF))
assert all(FEATURES[i] == "next_" + FEATURES[j] for i, j in zip(_NEXT, _NEXT_OF))
assert sorted([*range(9), *range(15, 28), *range(31, 34), *_PREV, *_NEXT]) == list(range(len(FEATURES)))


# What each code point's str.isdigit() says, filled in as the code points are met: 1, 0, or -1
# (not looked up yet). One table lookup per non-ASCII character instead of one Python call.
_IS_DIGIT: np.ndarray | None = None
# Whether a code point is one of _SENTENCE_END's (the last character of a block, looked up).
_IS_SENTENCE_END = np.zeros(0x110000, bool)
_IS_SENTENCE_END[[ord(c) for c in _SENTENCE_END]] = True


def _char_counts(texts, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Digits (str.isdigit) and spaces in each text, as floats, and each text's last code point;
    `starts`: where each (non-empty) text starts in their concatenation, `lengths`: their lengths.
    The NumPy twin of `_native.char_counts` (whose rows `features` reads where the extension is built)."""
    global _IS_DIGIT
    joined = "".join(texts)
    if joined.isascii():
        codes = np.frombuffer(joined.encode("ascii"), np.uint8)
        digit = (codes >= 48) & (codes <= 57)
    else:
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
        digit = (codes >= 48) & (codes <= 57)
        high = np.flatnonzero(codes >= 128)  # the code points past ASCII, looked up in the table
        if _IS_DIGIT is None:
            _IS_DIGIT = np.full(0x110000, -1, np.int8)
        high_codes = codes[high]
        known = _IS_DIGIT[high_codes]
        if (known < 0).any():
            new = list(set(high_codes[known < 0].tolist()))  # not np.unique: it imports numpy.ma (~15 ms)
            _IS_DIGIT[new] = [chr(c).isdigit() for c in new]
            known = _IS_DIGIT[high_codes]
        digit[high] = known > 0
    # Both counts in one pass: spaces in the high 32 bits, digits in the low (a text is shorter than 2**32).
    both = np.add.reduceat(digit + ((codes == 32).astype(np.int64) << 32), starts)
    return (both & 0xFFFFFFFF).astype(float), (both >> 32).astype(float), codes[starts + lengths - 1]


def _windows(*columns: np.ndarray, r: int = 2) -> np.ndarray:
    """Mean of each column over the 2r+1 blocks around each block (zeros past the ends), side by side."""
    n = len(columns[0])
    c = np.zeros((n + 2 * r + 1, len(columns)))  # running sums with r zeros either side, after a 0
    for j, a in enumerate(columns):
        c[r + 1 : r + 1 + n, j] = a
    np.cumsum(c[r + 1 : r + 1 + n], axis=0, out=c[r + 1 : r + 1 + n])
    c[r + 1 + n :] = c[r + n]
    return (c[2 * r + 1 :] - c[: -2 * r - 1]) / (2 * r + 1)


class BlockModel:
    """A one-hidden-layer network: standardised features -> tanh -> probability of article."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.mean, self.scale = weights["mean"], weights["scale"]
        self.w1, self.b1, self.w2, self.b2 = weights["w1"], weights["b1"], weights["w2"], float(weights["b2"])
        self.threshold = float(weights["threshold"])
        names = tuple(str(x) for x in weights["features"])
        if names != FEATURES:
            raise ValueError(f"{MODEL_PATH.name}: its features do not match this code's; retrain it")

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean) / self.scale
        return 1 / (1 + np.exp(-(np.tanh(z @ self.w1 + self.b1) @ self.w2 + self.b2)))

    def keep(self, blocks: list, mode: int, x: np.ndarray | None = None) -> np.ndarray:
        """Which `blocks` are article (`x`: their features, when already computed)."""
        x = features(blocks, mode) if x is None else x
        return drop_orphans(blocks, self.probabilities(x) >= self.threshold)

    def save(self, path: Path) -> None:
        np.savez(path, mean=self.mean, scale=self.scale, w1=self.w1, b1=self.b1, w2=self.w2,
                 b2=np.array(self.b2), threshold=np.array(self.threshold), features=np.array(FEATURES))


@lru_cache(maxsize=1)
def default_model() -> BlockModel:
    with np.load(MODEL_PATH) as weights:
        return BlockModel(dict(weights))


# A kept block shorter than this that does not end like a sentence (a ":" or nothing after
# it) is heading-like for drop_orphans: "Das könnte Sie auch interessieren:", "Zobacz także".
ORPHAN_CHARS = 60
COPYRIGHT_CHARS = 300  # a copyright notice ("©", "Copyright ...") shorter than this, after the prose, goes
_STATEMENT_END = frozenset('.!?。！？"”»)]')


def _long_prose(block: tuple) -> bool:
    """A long prose block: LONG_BLOCK characters or more, ending like a sentence (as `long` in features)."""
    return len(block[0]) >= LONG_BLOCK and block[0][-1] in _SENTENCE_END


def _heading_like(text: str, kind: int) -> bool:
    """A heading, or a short line (under ORPHAN_CHARS, not a list item) that does not end like a statement."""
    return kind == HEADING or (kind != LIST_ITEM and len(text) < ORPHAN_CHARS and text[-1] not in _STATEMENT_END)


def drop_orphans(blocks: list, keep: np.ndarray) -> np.ndarray:
    """`keep` without the headings (and heading-like short lines, ORPHAN_CHARS) after the first
    kept long prose block that head nothing kept: the block right after one is dropped (or there
    is none) and the next kept block is a heading (or there is none). A "Related" / "Zobacz
    także" / "Explore further" heading over the link list the model dropped, a "Share this" line
    at the end. Walked from the end, so a heading over only such headings goes too. Copyright
    lines ("©", "Copyright ...") after that block go as well. Before the first long prose block
    (titles, standfirsts over a dropped byline) nothing is dropped. Then `_drop_tail`.
    Chosen on the choose halves' CV (benchmarks/results/extraction.md)."""
    first = next((i for i, b in enumerate(blocks) if keep[i] and _long_prose(b)), None)
    if first is None:
        return keep
    keep = keep.copy()
    next_kept = -1  # kind of the next kept block; -1: none
    for i in range(len(blocks) - 1, first, -1):
        if not keep[i]:
            continue
        text, kind = blocks[i][0], blocks[i][1]
        heading = _heading_like(text, kind)
        if len(text) < COPYRIGHT_CHARS and ("©" in text or text[:9].lower() == "copyright"):
            keep[i] = False
            continue
        if heading and (i + 1 == len(blocks) or not keep[i + 1]) and next_kept in (-1, HEADING):
            keep[i] = False
        else:
            next_kept = kind
    return _drop_tail(blocks, keep)


# After the first kept long prose block, a block this much in links is a link (teaser, "next
# article"); after the last, a kept block shorter than READER_CHARS with a link in it that speaks to the reader
# (second-person pronouns, in the languages of the labelled sets) is a call to action.
LINK_SHARE = 0.8
READER_CHARS = 200
_READER = re.compile(r"\b(you|your|sie|ihnen|du|dich|dir|dein|deine|euch|vous|votre|vos|usted|ustedes"
                     r"|você|vocês|twój|wasz|państwo|вы|вас|ваш)\b")


def _drop_tail(blocks: list, keep: np.ndarray) -> np.ndarray:
    """`keep` (a copy) without, after its first long prose block, a heading-like line (as in
    drop_orphans) over one or more blocks LINK_SHARE in links, with those blocks ("Verwandte
    Artikel:", "Lee también...", "Weitere Videos" over teasers the model kept); after its last
    long prose block, short linked lines addressed to the reader ("Subscribe to ... via RSS", "You can keep up with me
    on Twitter", "Alles über ... findest Du hier"). Chosen on the choose halves' CV
    (benchmarks/results/extraction.md)."""
    long = [i for i, b in enumerate(blocks) if keep[i] and _long_prose(b)]
    if not long:
        return keep
    n = len(blocks)
    i = long[0] + 1
    while i < n:
        text, kind, links = blocks[i][0], blocks[i][1], blocks[i][2]
        if links < LINK_SHARE * len(text) and _heading_like(text, kind):
            j = i + 1
            while j < n and blocks[j][2] >= LINK_SHARE * len(blocks[j][0]):
                j += 1
            if j > i + 1:
                keep[i:j] = False
                i = j
                continue
        i += 1
    for i in range(long[-1] + 1, n):
        text = blocks[i][0]
        if keep[i] and len(text) < READER_CHARS and blocks[i][2] and _READER.search(text.lower()):
            keep[i] = False
    return keep


def join(blocks: list[tuple[str, int, int, bool]]) -> str:
    """Plain text of blocks: a blank line where the page had one, list items bulleted."""
    parts = []
    for text, kind, _, gap in blocks:
        if parts:
            parts.append("\n\n" if gap else "\n")
        parts.append("• " + text if kind == LIST_ITEM else text)
    return "".join(parts)


def main_blocks(text: str, mode: int, model: BlockModel | None = None) -> str:
    """The article's text out of resiliparse's minimal-HTML output `text` for the container."""
    blocks = split_blocks(text)
    if not blocks:
        return ""
    keep = (model or default_model()).keep(blocks, mode)
    return join([b for b, k in zip(blocks, keep) if k])
