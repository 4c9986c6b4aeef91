"""Run statistics for the report, gathered while the run runs: one small sketch per task, merged at the end.

The report must stay fast at a million documents, so nothing re-reads the corpus: each task
keeps a fixed-size summary of what went through it, and the report merges those. A sketch
holds, per step, documents and characters in and out and a fixed-bin histogram of document
length kept and dropped; for the whole task, histograms of the main quality signals and the
language, script, domain, licence and opt-out mix, each for the documents written and for
those dropped (wherever they were dropped). The few documents sampled per step and outcome
("kept" or a drop reason) are not in the sketch: the task writes them through the side-output
path steps use (OUTPUT/samples/, one JSON line per document; io/side.py), so they are
committed, resumed, listed in the manifest and cleaned like every other side output, and a
person can read them without the report.

Every part merges exactly and independently of how the input was cut into tasks: counters
and histograms add, and the samples are bottom-k by a hash of the document id (the k
smallest hashes of the union are the k smallest of the per-task k smallest), so the same
input gives the same report whatever `--workers` or task split. The domain counter is the
one approximation: each task keeps its `DOMAIN_CAP` most frequent domains and adds the rest
under "(other)".

Signals are measured once per document, when it is dropped or written, with no Python per word
or character: the words' count and characters from a NumPy table of the white-space code points
(what `str.split()` splits at), the lines by `str.split`; their cost is measured in
benchmarks/bench_report.py.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat
from typing import TYPE_CHECKING, Any

import xxhash

from fruitstand.document import Document

if TYPE_CHECKING:
    import numpy as np

# Where each task's sketch is written (atomically, before the task is recorded done), under the output folder.
SKETCHES = ".fruitstand/report"
# Sampled documents kept per (step, outcome): "kept" or a drop reason.
SAMPLES = 3
# Characters of a sampled document's text kept in the report.
SNIPPET = 600
DOMAIN_CAP = 2000
MIX_FIELDS = ("language", "script", "domain", "license", "opt_out")

# Length-like values: quarter-octave bins, bin b holds values v with floor(4*log2(v+1)) == b.
LOG_BINS = 100


def log_bin(v: float) -> int:
    return min(LOG_BINS - 1, int(4 * math.log2(v + 1))) if v > 0 else 0


def log_edges() -> list[float]:
    """Lower edge of every log bin."""
    return [2 ** (b / 4) - 1 for b in range(LOG_BINS + 1)]


def _linear(lo: float, hi: float, n: int) -> Callable[[float], int]:
    width = (hi - lo) / n

    def f(v: float) -> int:
        b = int((v - lo) / width)
        return 0 if b < 0 else n - 1 if b >= n else b

    return f


# name -> (label, bin scale: "log" or (lo, hi, bins))
SIGNALS: dict[str, tuple[str, Any]] = {
    "length": ("characters", "log"),
    "words": ("words (whitespace-separated)", "log"),
    "mean_word_length": ("mean word length, characters", (0.0, 20.0, 40)),
    "mean_line_length": ("mean line length, characters", "log"),
    "duplicate_lines": ("fraction of lines that repeat another line", (0.0, 1.0, 20)),
    "terminal_punctuation": ("fraction of lines ending in terminal punctuation", (0.0, 1.0, 20)),
    "language_score": ("language identification confidence", (0.0, 1.0, 20)),
}
_BIN = {name: (log_bin if scale == "log" else _linear(*scale)) for name, (_, scale) in SIGNALS.items()}
NBINS = {name: (LOG_BINS if scale == "log" else scale[2]) for name, (_, scale) in SIGNALS.items()}

# A line ends a sentence when its last character but spaces and tabs is one of these: Latin, CJK,
# Arabic/Urdu, Devanagari marks, closing quotes and brackets.
TERMINAL_CHARS = ".!?\u3002\uff01\uff1f\u06d4\u0964\u0965\u061f\u2026\"'\u201d\u2019\u00bb)]"
_TERMINAL_ENDS = tuple(TERMINAL_CHARS)
_LAST_SPACE = 0x3000  # the highest white-space code point (ideographic space)


@functools.cache
def _is_space() -> np.ndarray:
    """`chr(c).isspace()` for every code point up to U+3000, then one False for all above."""
    import numpy as np  # here, not at the top: the parent imports this module and needs no NumPy

    return np.array([chr(c).isspace() for c in range(_LAST_SPACE + 1)] + [False], dtype=bool)


def word_stats(text: str) -> tuple[int, int]:
    """(`len(text.split())`, the characters in those words), from the white-space code points."""
    if not text:
        return 0, 0
    import numpy as np

    table = _is_space()
    if text.isascii():
        space = table[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
    else:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        space = table[np.minimum(codes, _LAST_SPACE + 1)]
    # A word starts at a non-space character after a space, or at the start.
    starts = int(np.count_nonzero(space[:-1] > space[1:])) + (not space[0])
    return starts, len(text) - int(np.count_nonzero(space))


def terminal_lines(lines: list[str]) -> int:
    """Lines ending in one of TERMINAL_CHARS, spaces and tabs after it aside."""
    return sum(map(str.endswith, map(str.rstrip, lines, repeat(" \t")), repeat(_TERMINAL_ENDS)))


def signals(doc: Document) -> dict[str, float]:
    """The quality signals of one document (empty for a document without text)."""
    text = doc.text
    n = len(text)
    if not n:
        return {}
    n_words, word_chars = word_stats(text)
    lines = text.split("\n")
    filled = len(lines) - lines.count("")
    out = {"length": n, "words": n_words}
    if n_words:
        out["mean_word_length"] = word_chars / n_words
    if filled:
        out["mean_line_length"] = n / filled
        distinct = set(lines)
        distinct.discard("")
        out["duplicate_lines"] = 1 - len(distinct) / filled
        out["terminal_punctuation"] = min(1.0, terminal_lines(lines) / filled)
    score = doc.metadata.get("language_score")
    if isinstance(score, (int, float)):
        out["language_score"] = float(score)
    return out


def domain(url: Any) -> str | None:
    if not isinstance(url, str) or "://" not in url:
        return None
    host = url.split("/", 3)[2].rsplit("@", 1)[-1].split(":", 1)[0].lower()
    return host[4:] if host.startswith("www.") else host or None


def doc_hash(doc_id: str) -> int:
    return xxhash.xxh3_64_intdigest(doc_id.encode("utf-8", "replace"))


def _sample_entry(doc: Document, h: int) -> dict[str, Any]:
    m = doc.metadata
    entry = {"id": doc.id, "hash": f"{h:016x}", "chars": len(doc.text), "text": doc.text[:SNIPPET]}
    for key in ("url", "language", "script"):
        if m.get(key) is not None:
            entry[key] = m[key]
    return entry


class _Samples:
    """Bottom-k by hash: the SAMPLES documents with the smallest hashes seen, per key."""

    __slots__ = ("heaps",)

    def __init__(self) -> None:
        self.heaps: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}

    def offer(self, key: str, doc: Document) -> None:
        heap = self.heaps.get(key)
        if heap is None:
            heap = self.heaps[key] = []
        h = doc_hash(doc.id)
        if len(heap) < SAMPLES:
            heapq.heappush(heap, (-h, doc.id, _sample_entry(doc, h)))
        elif -h > heap[0][0]:
            heapq.heapreplace(heap, (-h, doc.id, _sample_entry(doc, h)))

    def add_entries(self, key: str, entries: Iterable[dict[str, Any]]) -> None:
        heap = self.heaps.setdefault(key, [])
        for e in entries:
            item = (-int(e["hash"], 16), e["id"], e)
            if any(x[1] == e["id"] for x in heap):
                continue
            if len(heap) < SAMPLES:
                heapq.heappush(heap, item)
            elif item[0] > heap[0][0]:
                heapq.heapreplace(heap, item)

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        return {k: [e for _, _, e in sorted(heap, reverse=True)] for k, heap in sorted(self.heaps.items())}

    def records(self, index: int, kind: str) -> Iterator[dict[str, Any]]:
        """The samples as side-output lines: step, outcome, then the entry; by outcome, then hash."""
        for outcome, entries in self.to_json().items():
            for e in entries:
                yield {"step": index, "kind": kind, "outcome": outcome, **e}


class StepSketch:
    __slots__ = ("docs_in", "docs_out", "chars_in", "chars_out", "len_kept", "len_dropped", "samples")

    def __init__(self) -> None:
        self.docs_in = self.docs_out = self.chars_in = self.chars_out = 0
        self.len_kept = [0] * LOG_BINS
        self.len_dropped = [0] * LOG_BINS
        self.samples = _Samples()

    def to_json(self) -> dict[str, Any]:
        return {"docs_in": self.docs_in, "docs_out": self.docs_out, "chars_in": self.chars_in,
                "chars_out": self.chars_out, "length_kept": self.len_kept, "length_dropped": self.len_dropped}


class TaskSketch:
    """The statistics one task gathers; `watch` wraps each step, `written` the final writer's input."""

    def __init__(self, n_steps: int) -> None:
        self.steps = [StepSketch() for _ in range(n_steps)]
        self.hist = {side: {name: [0] * NBINS[name] for name in SIGNALS} for side in ("kept", "dropped")}
        self.mix = {side: {f: Counter() for f in MIX_FIELDS} for side in ("kept", "dropped")}

    # --- recording -----------------------------------------------------------------------

    def _leave(self, side: str, doc: Document) -> None:
        hist = self.hist[side]
        for name, value in signals(doc).items():
            hist[name][_BIN[name](value)] += 1
        m = doc.metadata
        mix = self.mix[side]
        for f in ("language", "script", "license", "opt_out"):
            v = m.get(f)
            mix[f][v if isinstance(v, str) else "(none)" if v is None else str(v).lower()] += 1
        mix["domain"][domain(m.get("url")) or "(none)"] += 1

    def dropped(self, index: int, doc: Document, reason: str) -> None:
        st = self.steps[index]
        st.len_dropped[log_bin(len(doc.text))] += 1
        st.samples.offer(reason, doc)
        self._leave("dropped", doc)

    def kept(self, index: int, doc: Document) -> None:
        st = self.steps[index]
        n = len(doc.text)
        st.docs_out += 1
        st.chars_out += n
        st.len_kept[log_bin(n)] += 1
        st.samples.offer("kept", doc)

    def watch(self, index: int, run: Callable[[Iterator[Document]], Iterator[Document]],
              docs: Iterable[Document], stats: Any, kind: str) -> Iterator[Document]:
        """Run one step (`run(docs)` is its document stream) and record what it keeps and drops.

        Steps keep their input order, so a document that went in before the next one came out
        was dropped; its reason is the next one the step counted (`stats.drop`, wrapped here),
        in order, which holds for one-at-a-time and batched steps alike.
        """
        st = self.steps[index]
        pending: deque[Document] = deque()
        reasons: deque[str] = deque()
        count_drop = stats.drop

        def drop(reason: str, n: int = 1) -> None:
            count_drop(reason, n)
            reasons.extend([reason] * min(n, 1 << 16))

        def feed() -> Iterator[Document]:
            for doc in docs:
                st.docs_in += 1
                st.chars_in += len(doc.text)
                pending.append(doc)
                yield doc

        def settle(out: Document | None) -> None:
            if out is not None and pending and pending[0] is out:  # kept, nothing dropped before it
                pending.popleft()
                return
            k = len(pending)
            if out is not None:
                k = next((j for j, d in enumerate(pending) if d is out or d.id == out.id), -1)
                if k < 0:  # a document the step made (a split, say): nothing went in for it
                    return
            for _ in range(k):
                self.dropped(index, pending.popleft(), reasons.popleft() if reasons else kind)
            if out is not None:
                pending.popleft()

        stats.drop = drop
        try:
            for out in run(feed()):
                settle(out)
                self.kept(index, out)
                yield out
            settle(None)
        finally:
            del stats.drop

    def written(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            self._leave("kept", doc)
            yield doc

    # --- saving and merging --------------------------------------------------------------

    def sample_records(self, kinds: list[str]) -> Iterator[dict[str, Any]]:
        """Every step's sampled documents, as lines of the `samples` side output, in step order."""
        for i, st in enumerate(self.steps):
            yield from st.samples.records(i, kinds[i])

    def to_json(self) -> dict[str, Any]:
        mix = {}
        for side, fields in self.mix.items():
            mix[side] = {}
            for f, counter in fields.items():
                if f == "domain" and len(counter) > DOMAIN_CAP:
                    top = dict(counter.most_common(DOMAIN_CAP))
                    top["(other)"] = top.get("(other)", 0) + counter.total() - sum(top.values())
                    counter = Counter(top)
                mix[side][f] = dict(sorted(counter.items()))
        return {"steps": [s.to_json() for s in self.steps], "signals": self.hist, "mix": mix}


def merge(parts: Iterable[dict[str, Any]], samples: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """One sketch from many tasks' sketches (their `to_json`) and the lines of their `samples`
    files (`sample_records`), in any order; exact except beyond DOMAIN_CAP domains."""
    steps: list[dict[str, Any]] = []
    picked: list[_Samples] = []
    hist: dict[str, dict[str, list[int]]] = {}
    mix: dict[str, dict[str, Counter]] = {}
    for part in parts:
        for i, s in enumerate(part["steps"]):
            if i == len(steps):
                steps.append({"docs_in": 0, "docs_out": 0, "chars_in": 0, "chars_out": 0,
                              "length_kept": [0] * LOG_BINS, "length_dropped": [0] * LOG_BINS})
                picked.append(_Samples())
            t = steps[i]
            for k in ("docs_in", "docs_out", "chars_in", "chars_out"):
                t[k] += s[k]
            for k in ("length_kept", "length_dropped"):
                t[k] = [a + b for a, b in zip(t[k], s[k])]
            for key, entries in s.get("samples", {}).items():  # a run written before samples moved out
                picked[i].add_entries(key, entries)
        for side, sigs in part["signals"].items():
            for name, bins in sigs.items():
                cur = hist.setdefault(side, {}).setdefault(name, [0] * len(bins))
                hist[side][name] = [a + b for a, b in zip(cur, bins)]
        for side, fields in part["mix"].items():
            for f, counts in fields.items():
                mix.setdefault(side, {}).setdefault(f, Counter()).update(counts)
    for rec in samples:
        i = rec["step"]
        if i < len(picked):
            entry = {k: v for k, v in rec.items() if k not in ("step", "kind", "outcome")}
            picked[i].add_entries(rec["outcome"], [entry])
    for t, s in zip(steps, picked):
        t["samples"] = s.to_json()
    return {"steps": steps, "signals": hist,
            "mix": {side: {f: dict(sorted(c.items())) for f, c in fields.items()} for side, fields in mix.items()}}
