"""Text normalisation and vectorised shingle hashing shared by the dedup steps.

Normalisation follows the spirit of CCNet's and datatrove's `simplify_text`: NFKC, lower
case, every punctuation and symbol character turned into a space, every decimal digit into
`0`, runs of whitespace collapsed to one space. Two pages that differ only in a date, a
counter or their punctuation thus hash alike.

Shingles are word n-grams of the normalised text. Text in scripts written without spaces
(Chinese, Japanese, Thai, Lao, Khmer, Burmese, Tibetan) has no words to split on: there
each character is a token, so the n-grams are character n-grams. Dictionary segmenters
(jieba, pythainlp) would give word shingles, at a hundredth of the speed; character
5-grams serve dedup as well, since near-duplicates share long runs of characters anyway.

Hashing never loops over shingles in Python: the normalised texts of a batch are encoded
to one UTF-8 byte buffer and every shingle, a byte span of it, is hashed at once with a
polynomial rolling hash (prefix sums of `byte * P**i` modulo 2**64, divided back by the
start position's power through the inverse of the odd base `P`), then mixed with the
MurmurHash3 finaliser so that every output bit depends on every input bit.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from fruitstand import lazy

np = lazy.module("numpy")


# Scripts (ISO 15924) written without spaces between words.
UNSEGMENTED_SCRIPTS = frozenset({"Hani", "Hans", "Hant", "Jpan", "Hira", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})
# Without a `script` tag, a text is taken to be unsegmented when over a third of it is in
# these blocks: Thai, Lao, Tibetan, Myanmar, Khmer, kana, CJK ideographs.
_UNSEGMENTED_CHARS = re.compile("[\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")

# Bump when normalisation or shingle hashing changes: reference indexes record it.
HASHING_VERSION = 1

_MASK64 = (1 << 64) - 1
# Bytes of a batch whose powers tables (8 bytes each per byte, two of them) are kept between calls.
_CACHED_POWERS = 1 << 19


def _char_value(cp: int) -> int:
    """What normalisation makes of code point `cp`: a space, `0`, or itself."""
    cat = unicodedata.category(chr(cp))
    return 32 if cat[0] in "PSZ" or cat in ("Cc", "Cf") else 48 if cat == "Nd" else cp


class _CharMap(dict):
    """`str.translate` table filled on first sight of each character (no 1.1 M code point scan)."""

    def __missing__(self, cp: int) -> int:
        value = self[cp] = _char_value(cp)
        return value


@functools.cache
def _bmp_values() -> np.ndarray:
    """`_char_value` of every code point below U+10000, as a lookup array (~40 ms, once a process)."""
    return np.fromiter(map(_char_value, range(0x10000)), dtype=np.uint32, count=0x10000)


def _map_chars(text: str, table: _CharMap) -> str:
    """`text.translate(table)` through one NumPy lookup over its code points: a per-character
    dict lookup in `str.translate` costs more than the rest of normalisation together."""
    return _mapped_codes(text, table).tobytes().decode("utf-32-le", "surrogatepass")


def _mapped_codes(text: str, table: _CharMap) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    values = _bmp_values()
    if not len(codes) or int(codes.max()) < 0x10000:
        return values[codes]
    mapped = codes.copy()  # code points beyond the BMP (rare): the per-character table for those alone
    bmp = codes < 0x10000
    mapped[bmp] = values[codes[bmp]]
    for i in np.flatnonzero(~bmp).tolist():
        mapped[i] = table[int(codes[i])]
    return mapped


def _map_chars_collapsed(text: str, table: _CharMap) -> str:
    """`" ".join(_map_chars(text, table).split())`, the runs of spaces collapsed in the same array:
    every white-space character maps to a space (Z*, Cc; tested over all of Unicode), so the spaces
    are the only white space left."""
    mapped = _mapped_codes(text, table)
    space = mapped == 32
    keep = ~space
    keep[1:] |= keep[:-1].copy()  # a space right after another character stays
    out = mapped[keep]
    if len(out) and out[-1] == 32:
        out = out[:-1]
    return out.tobytes().decode("utf-32-le", "surrogatepass")


_ASCII_TABLE = bytes(
    48 if chr(c).isdigit() else c if chr(c).isalnum() else 32 for c in range(128)
) + bytes(range(128, 256))


@dataclass
class Normaliser:
    """Normalises text; keeps its lazily built character table (one per process)."""

    _table: _CharMap = field(default_factory=_CharMap, repr=False)

    def __call__(self, text: str) -> str:
        if text.isascii():
            return " ".join(text.lower().encode().translate(_ASCII_TABLE).decode().split())
        return _map_chars_collapsed(unicodedata.normalize("NFKC", text).lower(), self._table)


def tokenise(norm: str, script: str | None = None) -> str:
    """Normalised text with its tokens separated by single spaces: words, or characters
    for scripts written without spaces."""
    if script in UNSEGMENTED_SCRIPTS or (
        script is None and not norm.isascii() and 3 * _UNSEGMENTED_CHARS.subn("", norm)[1] > len(norm)
    ):
        return " ".join(norm.replace(" ", ""))
    return norm


def fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place on a uint64 array."""
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xFF51AFD7ED558CCD)
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xC4CEB9FE1A85EC53)
    x ^= x >> np.uint64(33)
    return x


@dataclass
class ShingleHasher:
    """Hashes the word (or character) n-grams of many token strings at once.

    `__call__(tokens, n)` returns `(hashes, offsets)`: the uint64 hashes of all shingles,
    document after document, and `offsets` (length `len(tokens) + 1`) such that document
    `i`'s shingles are `hashes[offsets[i]:offsets[i+1]]`. A document with fewer than `n`
    tokens gets one shingle, the whole text; an empty one gets none.
    """

    seed: int = 1
    _pow: np.ndarray = field(default=None, init=False, repr=False)
    _inv: np.ndarray = field(default=None, init=False, repr=False)

    def _powers(self, length: int) -> tuple[np.ndarray, np.ndarray]:
        """`P**i` and `P**-i` for i < length. Kept for the next batch up to `_CACHED_POWERS`; a
        longer batch (one long document) gets tables of its own, freed with it, so one 1 MB page
        does not hold 2 x 8 bytes a byte for the rest of the process."""
        if self._pow is not None and len(self._pow) >= length:
            return self._pow, self._inv
        size = max(length + (length >> 3), 1 << 16) if length <= _CACHED_POWERS else length
        base = (int(np.random.default_rng(self.seed).integers(1 << 62, 1 << 63)) | 1) & _MASK64
        tables = []
        for step in (base, pow(base, -1, 1 << 64)):
            t = np.empty(size, np.uint64)
            t[0] = 1
            t[1:] = step
            np.cumprod(t, out=t)
            tables.append(t)
        if length <= _CACHED_POWERS:
            self._pow, self._inv = tables
        return tables[0], tables[1]

    def __call__(self, tokens: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        encoded = [t.encode() for t in tokens]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        # One space after every document keeps words from running across documents.
        data = np.frombuffer(b" ".join(encoded) + b" ", dtype=np.uint8)
        doc_start = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=doc_start[1:])
        powers, inverses = self._powers(len(data) + 1)

        word = data != 32
        edge = np.diff(word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = np.flatnonzero(edge == 1)
        ends = np.flatnonzero(edge == -1)
        doc_of_word = np.searchsorted(doc_start, starts, side="right") - 1
        words_per_doc = np.bincount(doc_of_word, minlength=len(encoded))
        first_word = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(words_per_doc, out=first_word[1:])

        # Shingle i spans words i .. i+n-1, kept where they all lie in one document; a
        # document shorter than n words contributes one span over all its words.
        last = np.arange(len(starts)) + (n - 1)
        full = last < len(starts)
        full[full] = doc_of_word[full] == doc_of_word[last[full]]
        short_docs = np.flatnonzero((words_per_doc > 0) & (words_per_doc < n))
        s_start = np.concatenate([starts[full], starts[first_word[short_docs]]])
        s_end = np.concatenate([ends[last[full]], ends[first_word[short_docs + 1] - 1]])
        s_doc = np.concatenate([doc_of_word[full], short_docs])
        if len(short_docs):
            order = np.argsort(s_doc, kind="stable")
            s_start, s_end, s_doc = s_start[order], s_end[order], s_doc[order]

        prefix = np.zeros(len(data) + 1, dtype=np.uint64)
        np.cumsum(data.astype(np.uint64) * powers[: len(data)], out=prefix[1:])
        hashes = (prefix[s_end] - prefix[s_start]) * inverses[s_start]
        hashes += (s_end - s_start).astype(np.uint64)
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.bincount(s_doc, minlength=len(encoded)), out=offsets[1:])
        return fmix64(hashes), offsets
