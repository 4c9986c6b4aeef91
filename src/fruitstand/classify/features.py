"""Hashed n-gram features of a batch of texts, computed with NumPy over the batch's bytes.

A document becomes a bag of hashed features in `2**bits` buckets: its words, its word
bigrams, and its byte n-grams (so scripts written without spaces, Chinese, Japanese, Thai,
get features too, as fastText's character n-grams give them). The batch is one byte array;
every hash is a polynomial hash read off a prefix sum, so no Python loop runs per word or
per n-gram:

    S[i] = sum_{k < i} (b[k] + 1) * P**k          (mod 2**64, P odd so it has an inverse)
    hash(b[i:j]) = (S[j] - S[i]) * P**-i            (the same bytes hash alike wherever they are)

A final mix (xor-shift, multiply, take the top bits) spreads the hashes over the buckets.
Lower-casing is the only normalisation: the model must see the text as the corpus has it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_P = np.uint64(0x100000001B3)  # FNV's prime: odd, so invertible modulo 2**64
_MIX = np.uint64(0x9E3779B97F4A7C15)
_PAIR = np.uint64(0xC2B2AE3D27D4EB4F)
# One salt per feature family, so a word and a byte n-gram with equal bytes differ.
_SALT_WORD, _SALT_BIGRAM, _SALT_BYTES = np.uint64(0x51), np.uint64(0xB16), np.uint64(0xB7E5)

# ASCII letters and digits, and every byte of a multi-byte UTF-8 character, are word bytes.
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[ord("0"):ord("9") + 1] = True
_WORD_BYTE[ord("a"):ord("z") + 1] = True
_WORD_BYTE[ord("A"):ord("Z") + 1] = True
_WORD_BYTE[0x80:] = True


def _inverse(p: int) -> int:
    return pow(p, -1, 1 << 64)


_PINV = np.uint64(_inverse(int(_P)))


@dataclass(frozen=True)
class FeatureConfig:
    """What a model's features are; stored with the model so scoring hashes as training did."""

    bits: int = 20  # 2**bits buckets
    byte_ngram: int = 6  # byte n-grams of this length: two CJK or Thai characters
    long_run: int = 13  # ... read inside runs of word bytes at least this long (no spaces: CJK, Thai)
    max_bytes: int = 20_000  # of each document, the first this many bytes are read (bounded cost)

    def to_json(self) -> dict:
        return {"bits": self.bits, "byte_ngram": self.byte_ngram, "long_run": self.long_run,
                "max_bytes": self.max_bytes}


class _Powers:
    """P**k and P**-k for k < n, grown on demand and kept per process."""

    def __init__(self) -> None:
        self.up = np.ones(1, dtype=np.uint64)
        self.down = np.ones(1, dtype=np.uint64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.up) < n:
            size = max(n, 2 * len(self.up))
            with np.errstate(over="ignore"):
                self.up = np.cumprod(np.full(size, _P, dtype=np.uint64))
                self.up = np.concatenate(([np.uint64(1)], self.up[:-1]))
                self.down = np.cumprod(np.full(size, _PINV, dtype=np.uint64))
                self.down = np.concatenate(([np.uint64(1)], self.down[:-1]))
        return self.up[:n], self.down[:n]


_powers = _Powers()


def _mix(h: np.ndarray, salt: np.uint64, bits: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = h ^ salt
        h = h ^ (h >> np.uint64(31))
        h = h * _MIX
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def hashed_features(texts: list[str], config: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """(bucket, document) of every feature occurrence in `texts`, as two int64 arrays.

    Documents with no features (empty text) simply have no rows.
    """
    cap = config.max_bytes
    chunks = [t.lower().encode("utf-8", "replace")[:cap] for t in texts]
    lengths = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    buf = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    doc_of_byte = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    up, down = _powers.get(total + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(total + 1, dtype=np.uint64)
        np.cumsum((buf.astype(np.uint64) + np.uint64(1)) * up[:total], out=prefix[1:])

    def span_hash(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (prefix[j] - prefix[i]) * down[i]

    out_b, out_d = [], []
    # Words: maximal runs of word bytes, never across documents.
    is_word = _WORD_BYTE[buf]
    first_of_doc = np.zeros(total, dtype=bool)
    first_of_doc[starts[lengths > 0]] = True
    prev = np.concatenate(([False], is_word[:-1])) & ~first_of_doc
    nxt = np.concatenate((is_word[1:], [False]))
    last_of_doc = np.zeros(total, dtype=bool)
    last_of_doc[(starts + lengths - 1)[lengths > 0]] = True
    nxt &= ~last_of_doc
    w_start = np.flatnonzero(is_word & ~prev)
    w_end = np.flatnonzero(is_word & ~nxt) + 1
    if len(w_start):
        wh = span_hash(w_start, w_end)
        w_doc = doc_of_byte[w_start]
        out_b.append(_mix(wh, _SALT_WORD, config.bits))
        out_d.append(w_doc)
        same = w_doc[1:] == w_doc[:-1]
        if same.any():
            with np.errstate(over="ignore"):
                bh = wh[:-1][same] * _PAIR + wh[1:][same]
            out_b.append(_mix(bh, _SALT_BIGRAM, config.bits))
            out_d.append(w_doc[:-1][same])
    # Byte n-grams inside long runs of word bytes: the text of scripts written without
    # spaces (a Chinese or Thai sentence is one run), long compounds, URLs. Each starts on a
    # character, so a CJK text gives one per character: character bigrams at n = 6.
    n = config.byte_ngram
    if n > 0 and len(w_start):
        run = w_end - w_start
        long_ = run >= config.long_run
        count = np.where(long_, run - n + 1, 0).clip(0)
        k = int(count.sum())
        if k:
            first = np.repeat(w_start, count)
            offset = np.arange(k, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
            pos = first + offset
            pos = pos[(buf[pos] & 0xC0) != 0x80]  # not a UTF-8 continuation byte
            out_b.append(_mix(span_hash(pos, pos + n), _SALT_BYTES, config.bits))
            out_d.append(doc_of_byte[pos])
    if not out_b:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_b), np.concatenate(out_d)
