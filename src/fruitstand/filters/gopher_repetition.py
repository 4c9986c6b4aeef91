"""Gopher's repetition rules: drop documents that repeat their lines, paragraphs or n-grams.

Rae et al. 2021 ("Scaling Language Models: Methods, Analysis & Insights from Training
Gopher", Table A1) found repeated text to be the mark of boilerplate and spam. A document is
dropped when more than:

    duplicate line fraction 0.30            duplicate line character fraction 0.20
    duplicate paragraph fraction 0.30       duplicate paragraph character fraction 0.20
    top 2/3/4-gram character fraction       0.20 / 0.18 / 0.16
    duplicate 5..10-gram character fraction 0.15 0.14 0.13 0.12 0.11 0.10

of it is repeated, as datatrove's GopherRepetitionFilter applies them. Words are the tokens of
`text.tokens` (punctuation included, as spaCy gives them to datatrove), segmented per script,
so Chinese, Japanese and Thai documents have n-grams of words, not of whole lines. Per-language
n-gram thresholds come from `configs/` where the generator measured a different background
repetition (see scripts/make_filter_configs.py).

N-grams are hashed with NumPy (one 64-bit polynomial hash per n-gram over token hashes) so the
common case, a document with no repeated n-gram, never leaves C; the greedy count of repeated
n-grams (skip an n-gram's words once counted, as the paper's reference does) is a loop over
the positions of repeated hashes only. Token hashes come from the tokens' code points
through NumPy prefix sums (`token_hashes`), the same in every process (Python's `hash()` of a
string changes with PYTHONHASHSEED), so even the tiny chance of two different n-grams sharing
a hash (~3e-12 for a 10,000-word page) gives the same verdict on every run.

Where the C extension `_native` is built (setup.py; every wheel and `make install`), the n-gram
rules run there instead: the same hashes, the same walk, the same verdicts (tests/filters/test_native.py
compares the two on real text), without the sorts and the joined copy of the tokens. Set
FRUITSTAND_PURE_PYTHON=1 to run the NumPy code alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fruitstand import native, params
from fruitstand.document import Document
from fruitstand.filters import configs
from fruitstand.filters.text import tokens
from fruitstand.step import Filter

_native = native.load("filters._native")  # or None: the Python twins (fruitstand/native.py)

_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")
_MULT = np.uint64(0x100000001B3)  # FNV prime: mixes token hashes into n-gram hashes


def paragraphs_of(text: str) -> list[str]:
    """`_PARAGRAPHS.split(text)` for a stripped, non-empty text, by `str.split` (several times
    faster): splitting at "\\n\\n" leaves an empty part for each further pair of a run of
    newlines and one newline at the start of the next part when the run is odd."""
    if "\n\n\n" not in text:
        return text.split("\n\n")
    return [p[1:] if p[0] == "\n" else p for p in text.split("\n\n") if p]


def lines_of(text: str) -> list[str]:
    """`_LINES.split(text)` for a stripped, non-empty text: its lines, the empty ones left out."""
    if "\n\n" not in text:
        return text.split("\n")
    return list(filter(None, text.split("\n")))


# Token hashes: a polynomial over the tokens' code points (+1, so no code point is zero), taken
# from prefix sums with NumPy (B is odd, so it has an inverse mod 2^64 and every token's value
# is (S[end] - S[start]) * B^(end-1)), then murmur3's finaliser so every bit depends on all of
# them. No Python runs per token; the same values in every process.
_B = np.uint64(0x9E3779B97F4A7C15)
_B_INV = np.uint64(pow(0x9E3779B97F4A7C15, -1, 1 << 64))
_POWERS: list[np.ndarray] = [np.ones(1, np.uint64), np.ones(1, np.uint64)]  # B^i, B^-i; grown on demand


_POWERS_KEPT = 1 << 21  # code points: larger tables (16 MB) are made for the one document


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    if len(_POWERS[0]) >= n:
        return _POWERS[0], _POWERS[1]
    size = n if n > _POWERS_KEPT else min(_POWERS_KEPT, max(n, 2 * len(_POWERS[0]), 1 << 16))
    with np.errstate(over="ignore"):
        tables = [np.cumprod(np.concatenate((np.ones(1, np.uint64), np.full(size - 1, b, np.uint64))), dtype=np.uint64)
                  for b in (_B, _B_INV)]
    if size <= _POWERS_KEPT:
        _POWERS[:] = tables
    return tables[0], tables[1]


def token_hashes(toks: list[str], cum_len: np.ndarray | None = None) -> np.ndarray:
    """A 64-bit hash of each token (uint64), from its code points alone (lone surrogates included).

    `cum_len`: the tokens' cumulative lengths with a leading 0, when the caller has them.
    """
    return hashes_and_lengths(toks, cum_len)[0]


def hashes_and_lengths(toks: list[str], cum_len: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(`token_hashes(toks)`, the tokens' cumulative lengths with a leading 0). The tokens are joined
    by spaces and their bounds read off the spaces' positions, where no token holds one (no Python
    per token); a token's value depends on its own code points only, not on where it starts."""
    if not toks:
        return np.empty(0, np.uint64), np.zeros(1, np.int64)
    if cum_len is None:
        buf = np.frombuffer(" ".join(toks).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        seps = np.flatnonzero(buf == 32)
        if len(seps) == len(toks) - 1:
            starts = np.concatenate(([0], seps + 1))
            ends = np.append(seps, len(buf))
            n = np.arange(len(toks) + 1)
            cum_len = np.append(starts, len(buf) + 1) - n
            return _hashes(buf, starts, ends), cum_len
        cum_len = np.concatenate(([0], np.cumsum(np.fromiter(map(len, toks), dtype=np.int64, count=len(toks)))))
    buf = np.frombuffer("".join(toks).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _hashes(buf, cum_len[:-1], cum_len[1:]), cum_len


def _hashes(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The hash of each span [start, end) of the code points `buf`."""
    codes = buf.astype(np.uint64)
    pw, inv = _powers(len(codes) + 1)
    with np.errstate(over="ignore"):
        codes += np.uint64(1)
        codes *= inv[: len(codes)]
        prefix = np.concatenate((np.zeros(1, np.uint64), np.cumsum(codes, dtype=np.uint64)))
        h = (prefix[ends] - prefix[starts]) * pw[ends - 1]
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xC4CEB9FE1A85EC53)
        h ^= h >> np.uint64(33)
    return h


def duplicates(parts: list[str]) -> tuple[int, int]:
    """(elements, characters) that repeat an earlier element of `parts`."""
    unique = set(parts)
    return len(parts) - len(unique), sum(map(len, parts)) - sum(map(len, unique))


def _ngram_hashes(tok_hashes: np.ndarray, n: int) -> np.ndarray:
    m = len(tok_hashes) - n + 1
    h = np.zeros(m, dtype=np.uint64)
    for k in range(n):  # n <= 10 array operations, not a loop over tokens
        h = h * _MULT + tok_hashes[k : k + m]
    return h


def top_ngram_chars(tok_hashes: np.ndarray, cum_len: np.ndarray, n: int,
                    within: tuple[int, float] | None = None) -> int:
    """Characters covered by the most frequent n-gram (joined by spaces), times its count.

    Ties go to the n-gram seen first, as `Counter.most_common` breaks them. With `within` =
    (size, frac), an upper bound U with U / size <= frac may come back instead, when the longest
    n-gram at the top count stays within the rule's limit: the verdict is the same, and the
    first-position lookup is skipped.
    """
    return top_ngram(tok_hashes, cum_len, n, within)[0]


def top_ngram(tok_hashes: np.ndarray, cum_len: np.ndarray, n: int,
              within: tuple[int, float] | None = None) -> tuple[int, int]:
    """(`top_ngram_chars`, the top n-gram's count)."""
    h = _ngram_hashes(tok_hashes, n)
    # One unstable sort gives each distinct hash's count; the first position of the most frequent
    # ones is then looked up among them alone (np.unique's return_index needs a stable argsort).
    ordered = np.sort(h)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, len(ordered)))
    best = int(counts.max())
    if within is not None:
        bound = longest_ngram(cum_len, n) * best
        if bound / within[0] <= within[1]:
            return bound, best
    top = ordered[starts[counts == best]]  # sorted, distinct: np.isin's mask by bisection (np.isin
    # sorts h again, and imports numpy.ma for it: ~15 ms a process)
    pos = int(np.flatnonzero(top[np.minimum(np.searchsorted(top, h), len(top) - 1)] == h)[0])
    length = int(cum_len[pos + n] - cum_len[pos]) + n - 1
    return length * best, best


def longest_ngram(cum_len: np.ndarray, n: int) -> int:
    """Characters in the longest n-gram (its tokens joined by spaces)."""
    return int((cum_len[n:] - cum_len[:-n]).max()) + n - 1


def repeated_ngram_chars(tok_hashes: np.ndarray, cum_len: np.ndarray, n: int) -> int:
    """Characters in n-grams that repeat an earlier one, counting each word once."""
    h = _ngram_hashes(tok_hashes, n)
    order = np.argsort(h)  # one sort finds the repeats and numbers the distinct n-grams
    ordered = h[order]
    first = np.empty(len(h), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    if first.all():  # no n-gram repeats
        return 0
    group = np.cumsum(first) - 1  # each sorted slot's distinct n-gram
    starts = np.flatnonzero(first)
    repeated = (np.diff(np.append(starts, len(h))) > 1)[group]
    # An n-gram that occurs once is never "seen before" when the walk reaches it: only the
    # positions of n-grams that occur again can change the count, so walk those alone, in order.
    at = np.sort(order[repeated])
    ids = np.empty(len(h), dtype=np.int64)
    ids[order] = group
    seen: set[int] = set()
    counted: list[int] = []
    idx = 0
    for pos, g in zip(at.tolist(), ids[at].tolist()):
        if pos < idx:
            continue
        if g in seen:
            counted.append(pos)
            idx = pos + n
        else:
            seen.add(g)
            idx = pos + 1
    if not counted:
        return 0
    p = np.array(counted)
    return int((cum_len[p + n] - cum_len[p]).sum())


@dataclass
class GopherRepetition(Filter):
    kind: ClassVar[str] = "gopher_repetition"

    dup_line_frac: float | None = 0.3
    dup_para_frac: float | None = 0.3
    dup_line_char_frac: float | None = 0.2
    dup_para_char_frac: float | None = 0.2
    top_n_grams: list[list[float]] | None = ((2, 0.2), (3, 0.18), (4, 0.16))  # type: ignore[assignment]
    dup_n_grams: list[list[float]] | None = (  # type: ignore[assignment]
        (5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10),
    )
    # Take each language's thresholds from configs/ where it has them (see configs/__init__.py).
    language_thresholds: bool = True

    def validate(self) -> None:
        for name in ("dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac"):
            params.between(self, name, 0, 1, off=None)
        params.ngram_thresholds(self, "top_n_grams")
        params.ngram_thresholds(self, "dup_n_grams")

    def keep(self, doc: Document) -> bool | tuple[bool, str]:
        cfg = configs.for_document(doc)
        p = configs.resolve(self, self.kind, cfg)
        text = doc.text
        if not text.strip():
            return False, "gopher_rep_empty"
        size = len(text)

        stripped = text.strip()
        paragraphs = paragraphs_of(stripped)
        n_dup, dup_chars = duplicates(paragraphs)
        if p.dup_para_frac and n_dup / len(paragraphs) > p.dup_para_frac:
            return False, "gopher_rep_dup_para_frac"
        if p.dup_para_char_frac and dup_chars / size > p.dup_para_char_frac:
            return False, "gopher_rep_dup_para_char_frac"

        # Split the stripped text: datatrove splits the raw one, so a one-paragraph page with a
        # newline at each end has two empty "duplicate" lines of three.
        lines = lines_of(stripped)
        n_dup, dup_chars = duplicates(lines)
        if p.dup_line_frac and n_dup / len(lines) > p.dup_line_frac:
            return False, "gopher_rep_dup_line_frac"
        if p.dup_line_char_frac and dup_chars / size > p.dup_line_char_frac:
            return False, "gopher_rep_dup_line_char_frac"

        toks = tokens(text, doc.metadata.get("language"), cfg.script)
        if not toks:
            return True
        top = tuple((int(n), float(frac)) for n, frac in p.top_n_grams or ())
        dup = tuple((int(n), float(frac)) for n, frac in sorted(p.dup_n_grams or ()))
        reason = (_native.ngram_verdict if _native is not None else ngram_verdict)(toks, size, top, dup)
        return True if reason is None else (False, reason)


def ngram_verdict(toks: list[str], size: int, top: tuple[tuple[int, float], ...],
                  dup: tuple[tuple[int, float], ...]) -> str | None:
    """The reason of the first n-gram rule that `toks` (of a text of `size` characters) fails, or
    None: the top n-gram rules in their order, then the duplicate n-gram rules (`dup` sorted by n).
    The NumPy twin of `_native.ngram_verdict`."""
    tok_hashes, cum_len = hashes_and_lengths(toks)
    # No n-gram occurs more often than its first n-1 tokens do, so a shorter n-gram's top count
    # bounds every longer one's: where the longest n-gram times that bound is within the
    # limit, the rule for n needs no counting.
    counted: list[tuple[int, int]] = []  # (n, its top count)
    for n, frac in top:
        if len(toks) < n:
            continue
        bound = min((best for m, best in counted if m < n), default=None)
        if bound is not None and longest_ngram(cum_len, n) * bound / size <= frac:
            continue
        chars, best = top_ngram(tok_hashes, cum_len, n, (size, frac))
        if chars / size > frac:
            return f"gopher_rep_top_{n}_gram"
        counted.append((n, best))
    for n, frac in dup:
        repeated = repeated_ngram_chars(tok_hashes, cum_len, n) if len(toks) >= n else 0
        if repeated / size > frac:
            return f"gopher_rep_dup_{n}_gram"
        if not repeated:  # no n-gram repeats, so no longer one does either
            break
    return None
