"""decontaminate: drop (or mask) documents that share a long n-gram with an evaluation set.

The rule is GPT-3's (Brown et al. 2020, appendix C) and lm-evaluation-harness's: a document is
contaminated when it shares an `ngram`-word n-gram (13 by default) with an eval item, after
normalising both sides the same way: case folded, punctuation and symbols dropped, every digit
read as 0. Scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) count
each character as a word (their vowel and tone marks are dropped), and an item written mostly in
them uses `char_ngram` (26) instead: 13 Thai characters are a common phrase (about three words). With `mode = "mask"` the matched span and `mask_margin` (200)
characters on each side are cut out instead, and a document cut more than `max_cuts` (10)
times is dropped, as GPT-3 did.

Eval items are read from `evals`: JSONL (plain, .gz, .zst), a JSON array, Parquet, or text
(one item per line). Every string in an item counts, however nested (`text`, `query`,
`choices`, `context_options`, ...), and so does all of an item's text joined in order, so an
n-gram running from a question into its answer is caught too. A field shorter than `ngram`
words but at least `min_words` long counts as one whole n-gram of its own length (GPT-3 set
N from the benchmark's shortest items; many questions are under 13 words). N-grams found in
more than `boilerplate_items` items are boilerplate ("Which of the following is true") and
ignored. `builtin:NAME` names an eval set shipped with fruitstand (see evals/SOURCES.md).

The index is built in `setup` (once per worker process) as a sorted uint64 NumPy array of
n-gram hashes with the item each came from; a document's n-gram hashes are computed in a few
array operations (a polynomial hash over word hashes, taken from prefix sums so that every
n-gram costs O(1)) and looked up with one `np.searchsorted`. Word hashes are xxh3-64, so the
index and the verdicts do not depend on the process.

Counters: documents hit per eval set (`hits:SET`), per item (`item:SET:LINE`, the 20 most hit
of each task), `masked_documents` and `cuts` in mask mode.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import xxhash

from fruitstand import params
from fruitstand.cache import cached_arrays
from fruitstand.document import Document
from fruitstand.registry import RecipeError
from fruitstand.step import Mapper, StepContext

MODES = ("drop", "mask")
INDEX_VERSION = 2  # bump when words() or the hashing changes: cached indexes are keyed on it
TOP_ITEMS = 20
_P = np.uint64(0x9E3779B97F4A7C15)  # odd, so invertible modulo 2**64
_P_INV = np.uint64(pow(int(_P), -1, 2**64))
_SALT = 0x2545F4914F6CDD1D  # times the n-gram's length, so n-grams of different lengths never share a hash
# Scripts written without spaces between words: each character is a word.
_NO_SPACE_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x3400, 0x4DBF),
                    (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F))
_NO_SPACE_CHAR = re.compile("[" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in _NO_SPACE_RANGES) + "]")


@functools.cache
def _table() -> dict[int, str]:
    """str.translate table: punctuation, symbols, spaces and controls -> space; digits -> 0; a
    character of a script without spaces -> itself between spaces. Basic Multilingual Plane only."""
    table: dict[int, str] = {}
    for cp in range(0x10000):
        c = chr(cp)
        cat = unicodedata.category(c)
        if cat[0] in "PSZC":
            table[cp] = " "
        elif cat == "Nd":
            table[cp] = "0"
        elif any(lo <= cp <= hi for lo, hi in _NO_SPACE_RANGES):
            if cat[0] == "L":
                table[cp] = f" {c} "
            elif cat[0] == "M":  # Thai, Lao, Khmer, Myanmar vowel and tone marks: not characters of their own
                table[cp] = ""
    return table


# ASCII, the bulk of most text, goes through a byte table (letters lowered, digits to 0, the
# rest to spaces); each run of other characters is decoded and mapped by `_table`.
_ASCII = bytes(
    (c | 0x20 if 65 <= c <= 90 else c) if chr(c).isalnum() and not chr(c).isdigit() else (48 if chr(c).isdigit() else 32)
    for c in range(128)
) + bytes(range(128, 256))
_NON_ASCII = re.compile(rb"[\x80-\xff]+")


def _non_ascii(m: re.Match) -> bytes:
    return m.group().decode("utf-8").translate(_table()).casefold().encode("utf-8")


def words(text: str) -> list[bytes]:
    """The normalised words of `text` (UTF-8 bytes), as the index and the documents see them."""
    b = text.encode("utf-8", "replace").translate(_ASCII)
    if not text.isascii():
        b = _NON_ASCII.sub(_non_ascii, b)
    return b.split()


@functools.lru_cache(maxsize=4)
def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    p = np.full(n, _P, dtype=np.uint64)
    p[0] = 1
    q = np.full(n, _P_INV, dtype=np.uint64)
    q[0] = 1
    with np.errstate(over="ignore"):
        return np.cumprod(p, dtype=np.uint64), np.cumprod(q, dtype=np.uint64)


def _pow_for(m: int) -> tuple[np.ndarray, np.ndarray]:
    size = 1 << max(12, (m + 1).bit_length())
    return _powers(size)


def ngram_hashes(word_hashes: np.ndarray, n: int) -> np.ndarray:
    """The hash of every run of `n` consecutive words (empty if there are fewer than n)."""
    return ngram_hashes_multi(word_hashes, (n,))[0]


def ngram_hashes_multi(word_hashes: np.ndarray, lengths: tuple[int, ...]) -> list[np.ndarray]:
    """`ngram_hashes` for several lengths, from one prefix sum."""
    m = len(word_hashes)
    pw, inv = _pow_for(m)
    with np.errstate(over="ignore"):
        prefix = np.zeros(m + 1, dtype=np.uint64)
        np.cumsum(word_hashes * pw[:m], out=prefix[1:])
        out = []
        for n in lengths:
            if m < n:
                out.append(np.empty(0, dtype=np.uint64))
                continue
            h = (prefix[n:] - prefix[:-n]) * inv[: m - n + 1]
            out.append(h ^ (np.uint64(n) * np.uint64(_SALT)))
        return out


def word_hashes(ws: list[bytes]) -> np.ndarray:
    return np.fromiter(map(xxhash.xxh3_64_intdigest, ws), dtype=np.uint64, count=len(ws))


# --- eval sets ------------------------------------------------------------------------------
def _open_text(path: Path):
    from fruitstand.io.readers import open_binary

    return io.TextIOWrapper(open_binary(str(path)), encoding="utf-8")


def resolve(spec: str) -> Path:
    if spec.startswith("builtin:"):
        name = spec.removeprefix("builtin:")
        path = Path(str(resources.files("fruitstand.privacy") / "evals" / f"{name}.jsonl.gz"))
        if not path.exists():
            known = sorted(p.name.removesuffix(".jsonl.gz") for p in path.parent.glob("*.jsonl.gz"))
            raise RecipeError(f"decontaminate: no built-in eval set {name!r}; built in: {', '.join(known)}")
        return path
    path = Path(spec).expanduser()
    if not path.exists():
        raise RecipeError(f"decontaminate: eval set {spec!r} not found: give a JSONL, JSON, Parquet or text file")
    return path


def set_name(spec: str) -> str:
    name = Path(spec.removeprefix("builtin:")).name
    for suffix in (".gz", ".zst", ".jsonl", ".json", ".parquet", ".txt"):
        name = name.removesuffix(suffix)
    return name


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _strings(v, out)


def read_items(path: Path) -> Iterator[list[str]]:
    """The strings of each item of an eval file, in file order (one item per line or row)."""
    name = path.name
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        for row in pq.read_table(path).to_pylist():
            out: list[str] = []
            _strings(row, out)
            yield out
        return
    with _open_text(path) as f:
        if ".json" in name and ".jsonl" not in name:
            for row in json.load(f):
                out = []
                _strings(row, out)
                yield out
            return
        is_jsonl = ".jsonl" in name
        for line in f:
            line = line.strip()
            if not line:
                yield []
                continue
            if is_jsonl:
                out = []
                _strings(json.loads(line), out)
                yield out
            else:
                yield [line]


class _Batch:
    """Hashes the n-grams of many strings at once: their words are laid end to end in chunks of
    about a million, and every n-gram (or whole short string) is read off one prefix sum."""

    CHUNK = 1 << 20

    def __init__(self, ngram: int, min_words: int, char_ngram: int) -> None:
        self.ngram, self.min_words, self.char_ngram = ngram, min_words, char_ngram
        self.words: list[bytes] = []
        self.spans: list[tuple[int, int, int, int]] = []  # (start in self.words, length, item, n)
        self.out_h: list[np.ndarray] = []
        self.out_i: list[np.ndarray] = []
        self.seen_lengths: set[int] = set()

    def add(self, text: str, item: int) -> None:
        ws = words(text)
        # A string mostly in a script without spaces is counted in characters, with its own n.
        chars = len(_NO_SPACE_CHAR.findall(text)) * 2 > len(ws)
        n, least = (self.char_ngram, 2 * self.min_words) if chars else (self.ngram, self.min_words)
        if len(ws) < min(least, n):
            return
        self.spans.append((len(self.words), len(ws), item, n))
        self.words.extend(ws)
        if len(self.words) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        if not self.spans:
            return
        wh = word_hashes(self.words)
        pw, inv = _pow_for(len(wh))
        prefix = np.zeros(len(wh) + 1, dtype=np.uint64)
        start, length, item, n = (np.array(c, dtype=np.int64) for c in zip(*self.spans))
        with np.errstate(over="ignore"):
            np.cumsum(wh * pw[: len(wh)], out=prefix[1:])
            long_ = length >= n
            counts = np.where(long_, length - n + 1, 1)
            # every n-gram start of the long strings; the whole of each short one
            first = np.repeat(start, counts)
            offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            pos = first + offset
            size = np.repeat(np.where(long_, n, length), counts)
            h = (prefix[pos + size] - prefix[pos]) * inv[pos]
            h ^= (size.astype(np.uint64) * np.uint64(_SALT))
        # An n-gram needs at least half its words to be words, not numbers: runs of table
        # cells or of a sum's terms ("16 - 3 - 4 = 9") are everywhere on the web.
        lettered = np.zeros(len(wh) + 1, dtype=np.int64)
        np.cumsum(np.fromiter((bool(w.strip(b"0")) for w in self.words), dtype=bool, count=len(wh)), out=lettered[1:])
        ok = 2 * (lettered[pos + size] - lettered[pos]) >= size
        self.out_h.append(h[ok])
        self.out_i.append(np.repeat(item, counts).astype(np.int32)[ok])
        self.seen_lengths.update(int(x) for x in np.unique(size))
        self.words, self.spans = [], []

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        self._flush()
        if not self.out_h:
            return np.empty(0, np.uint64), np.empty(0, np.int32)
        return np.concatenate(self.out_h), np.concatenate(self.out_i)

    def lengths(self) -> tuple[int, ...]:
        return tuple(sorted(self.seen_lengths)) or (self.ngram,)


@dataclass
class Index:
    """Sorted n-gram hashes, the item each came from, and every item's (set, line)."""

    hashes: np.ndarray
    items: np.ndarray
    names: list[tuple[str, int]]
    lengths: tuple[int, ...]  # n-gram lengths in the index: ngram, and those of whole short fields
    boilerplate: int  # hashes dropped as boilerplate

    @classmethod
    def build(cls, specs: list[str], ngram: int, min_words: int, boilerplate_items: int, char_ngram: int = 0) -> Index:
        names: list[tuple[str, int]] = []
        batch = _Batch(ngram, min_words, char_ngram or 2 * ngram)
        for spec in specs:
            label = set_name(spec)
            for line, strings in enumerate(read_items(resolve(spec)), 1):
                if not strings:
                    continue
                item = len(names)
                names.append((label, line))
                for s in dict.fromkeys((*strings, " ".join(strings)) if len(strings) > 1 else strings):
                    batch.add(s, item)
        h, it = batch.finish()
        if len(h) == 0:
            return cls(np.empty(0, np.uint64), np.empty(0, np.int32), names, (ngram,), 0)
        order = np.lexsort((it, h))
        h, it = h[order], it[order]
        pair_new = np.ones(len(h), dtype=bool)
        pair_new[1:] = (h[1:] != h[:-1]) | (it[1:] != it[:-1])
        h, it = h[pair_new], it[pair_new]  # one (hash, item) pair each
        first = np.ones(len(h), dtype=bool)
        first[1:] = h[1:] != h[:-1]
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, len(h)))
        keep = counts <= boilerplate_items
        return cls(h[starts[keep]], it[starts[keep]], names, batch.lengths(), int((~keep).sum()))

    @classmethod
    def cached(cls, specs: list[str], ngram: int, min_words: int, boilerplate_items: int, char_ngram: int) -> Index:
        """`build`, kept in the user's cache folder under a key of the eval files' bytes and the
        parameters, so each worker of each run loads it instead of building it (a built-in set
        takes seconds to build); a folder that cannot be written is simply not used."""
        key = hashlib.sha256(json.dumps([INDEX_VERSION, ngram, min_words, boilerplate_items, char_ngram]).encode())
        for spec in specs:
            key.update(set_name(spec).encode() + b"\0" + hashlib.sha256(resolve(spec).read_bytes()).digest())
        def build() -> dict[str, np.ndarray]:
            index = cls.build(specs, ngram, min_words, boilerplate_items, char_ngram)
            return {"hashes": index.hashes, "items": index.items,
                    "labels": np.array([n[0] for n in index.names], dtype=str),
                    "lines": np.array([n[1] for n in index.names], dtype=np.int64),
                    "lengths": np.array(index.lengths), "boilerplate": np.array(index.boilerplate)}

        z = cached_arrays("decontaminate", key.hexdigest()[:32],
                          ("hashes", "items", "labels", "lines", "lengths", "boilerplate"), build)
        names = list(zip(z["labels"].tolist(), z["lines"].tolist()))
        return cls(z["hashes"], z["items"], names, tuple(z["lengths"].tolist()), int(z["boilerplate"]))

    def __post_init__(self) -> None:
        # A bitmap of the hashes' top 24 bits: most of a document's n-grams stop at one look-up there.
        self.bitmap = np.zeros(1 << 24, dtype=bool)
        self.bitmap[self.hashes >> np.uint64(40)] = True

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `hashes` found in the index, the item of each)."""
        if len(self.hashes) == 0 or len(hashes) == 0:
            return np.empty(0, np.intp), np.empty(0, np.int32)
        maybe = np.flatnonzero(self.bitmap[hashes >> np.uint64(40)])
        if len(maybe) == 0:
            return maybe, np.empty(0, np.int32)
        q = hashes[maybe]
        idx = np.searchsorted(self.hashes, q)
        idx[idx == len(self.hashes)] = 0
        hit = self.hashes[idx] == q
        return maybe[hit], self.items[idx[hit]]


@dataclass
class Decontaminate(Mapper):
    """Drop (or mask) documents sharing an `ngram`-word n-gram with an eval item."""

    kind: ClassVar[str] = "decontaminate"

    evals: list[str] = field(default_factory=list)  # files, or builtin:NAME
    ngram: int = 13
    char_ngram: int = 26  # for items in scripts without spaces, counted in characters (about 13 words)
    mode: str = "drop"  # or "mask"
    min_words: int = 8  # a field shorter than `ngram` counts whole if it has at least this many words
    boilerplate_items: int = 10  # an n-gram in more eval items than this is ignored
    mask_margin: int = 200  # characters cut on each side of a match in mask mode
    max_cuts: int = 10  # mask mode: a document cut more often is dropped

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RecipeError(f"step 'decontaminate': mode = {self.mode!r} should be \"drop\" or \"mask\"")
        if self.ngram < 1 or self.min_words < 1 or self.char_ngram < 1:
            raise RecipeError("step 'decontaminate': ngram, char_ngram and min_words must be at least 1")
        for spec in self.evals:
            resolve(spec)

    def validate(self) -> None:
        params.at_least(self, "boilerplate_items", 1)
        params.at_least(self, "mask_margin", 0)
        params.at_least(self, "max_cuts", 0)

    def setup(self) -> None:
        if "_index" not in self.__dict__:
            self.__dict__["_index"] = Index.cached(self.evals, self.ngram, min(self.min_words, self.ngram),
                                                  self.boilerplate_items, self.char_ngram)

    @property
    def index(self) -> Index:
        self.setup()
        return self.__dict__["_index"]

    def __getstate__(self) -> dict[str, Any]:  # the parameters, never the index (each process builds or loads it)
        return {k: v for k, v in super().__getstate__().items() if not k.startswith("_")}

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """(first word, word count, item) of every n-gram of `text` found in the index."""
        index = self.index
        wh = word_hashes(words(text))
        per_length = ngram_hashes_multi(wh, index.lengths)
        pos, items = index.lookup(np.concatenate(per_length) if len(per_length) > 1 else per_length[0])
        if len(pos) == 0:
            return []
        out, base = [], 0
        for n, h in zip(index.lengths, per_length):
            sel = (pos >= base) & (pos < base + len(h))
            out.extend(zip((pos[sel] - base).tolist(), [n] * int(sel.sum()), items[sel].tolist()))
            base += len(h)
        return out

    def open(self, ctx: StepContext) -> None:
        self.__dict__["_task_items"] = Counter()  # this task's hits per item; the most hit go to the manifest

    def finish(self) -> None:
        items = self.__dict__.pop("_task_items", None)
        if items:
            names = self.index.names
            for item, n in items.most_common(TOP_ITEMS):
                label, line = names[item]
                self.ctx.count(f"item:{label}:{line}", n)

    def apply(self, doc: Document) -> Document | tuple[None, str]:
        if not self.evals:  # nothing to check against: the manifest says so
            self.ctx.count("passed_no_evals_configured")
            return doc
        found = self.matches(doc.text)
        if not found:
            return doc
        names = self.index.names
        hit_items = {item for _, _, item in found}
        self.__dict__.setdefault("_task_items", Counter()).update(hit_items)
        for label in sorted({names[i][0] for i in hit_items}):
            self.ctx.count(f"hits:{label}")
        if self.mode == "drop":
            return None, "contaminated"
        text, cuts = self._mask(doc.text, found)
        self.ctx.count("cuts", cuts)
        if cuts > self.max_cuts:
            return None, "contaminated_too_many_cuts"
        if not text.strip():
            return None, "contaminated"
        self.ctx.count("masked_documents")
        doc.text = text
        return doc

    def _mask(self, text: str, found: list[tuple[int, int, int]]) -> tuple[str, int]:
        """`text` with each matched span and `mask_margin` characters around it cut out; the number of cuts."""
        bounds = _word_bounds(text)
        spans = sorted((max(0, bounds[i][0] - self.mask_margin), min(len(text), bounds[i + n - 1][1] + self.mask_margin))
                       for i, n, _ in found)
        merged: list[list[int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        pieces, last = [], 0
        for s, e in merged:
            pieces.append(text[last:s])
            last = e
        pieces.append(text[last:])
        return "\n".join(p for p in pieces if p.strip()), len(merged)


def _word_bounds(text: str) -> list[tuple[int, int]]:
    """Character span of each normalised word of `text`, in the order `words` yields them."""
    table = _table()
    bounds = []
    start = -1
    for i, c in enumerate(text):
        t = table.get(ord(c), c)
        if not t:  # a mark `words` deletes
            continue
        if t == " ":
            if start >= 0:
                bounds.append((start, i))
                start = -1
        elif len(t) == 3 and t[0] == " ":  # a character of a script without spaces
            if start >= 0:
                bounds.append((start, i))
            bounds.append((i, i + 1))
            start = -1
        elif start < 0:
            start = i
    if start >= 0:
        bounds.append((start, len(text)))
    return bounds
