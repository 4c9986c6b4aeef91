"""Run statistics beside a step: every drop under its own reason, merges that do not depend on the task split."""

from __future__ import annotations

import functools
import itertools
import json
import sys
from collections import Counter
from collections.abc import Iterator

import pytest

import fruitstand
from fruitstand.document import Document
from fruitstand.filters.gopher_quality import GopherQuality
from fruitstand.report import sketch
from fruitstand.report.sketch import (
    SAMPLES,
    TERMINAL_CHARS,
    TaskSketch,
    doc_hash,
    domain,
    merge,
    signals,
    terminal_lines,
    word_stats,
)
from fruitstand.step import StepStats


@pytest.fixture(scope="module")
def docs(shared) -> list[Document]:
    """Real text in several languages: BBC News articles, then Urdu, Chinese and Russian sentences."""
    out = list(itertools.islice(fruitstand.read(shared / "text" / "bbc-news.jsonl.gz"), 150))
    for lang in ("ur", "zh", "ru"):
        lines = (shared / "lang" / f"{lang}.txt").read_text().splitlines()
        for k in range(0, 50, 5):
            out.append(Document(f"{lang}-{k}", "\n".join(lines[k:k + 5]), {"url": f"https://www.{lang}.example/{k}"}))
    return out


@pytest.fixture(scope="module")
def truth(docs) -> dict[str, str]:
    return _verdicts(GopherQuality(), docs)


def _verdicts(step, docs) -> dict[str, str]:
    """Each document's fate, asked of the rule directly."""
    out = {}
    for d in docs:
        v = step.keep(d)
        out[d.id] = "kept" if v is True or (isinstance(v, tuple) and v[0]) else (v[1] if isinstance(v, tuple) else step.kind)
    return out


def _watch(sketch, step, docs, index=0):
    stats = StepStats()
    kept = list(sketch.watch(index, functools.partial(step.process, stats=stats), iter(docs), stats, step.kind))
    return kept, stats


def test_every_drop_is_recorded_under_its_reason(docs, truth):
    step = GopherQuality()
    sketch = TaskSketch(1)
    kept, stats = _watch(sketch, step, docs)
    assert "drop" not in vars(stats)  # the counting hook is removed after the step ends
    st = sketch.steps[0]
    assert (st.docs_in, st.docs_out) == (len(docs), len(kept))
    assert Counter(v for v in truth.values() if v != "kept") == stats.dropped
    assert len(stats.dropped) >= 2
    assert sum(st.len_dropped) == sum(stats.dropped.values())
    for reason, heap in sketch.steps[0].samples.heaps.items():
        assert len(heap) == min(SAMPLES, len(docs) if reason == "kept" else stats.dropped[reason])
        for _, doc_id, entry in heap:
            assert truth[doc_id] == reason
            assert entry["text"]
    assert st.chars_in == sum(len(d.text) for d in docs)
    assert st.chars_out == sum(len(d.text) for d in kept)


class _Batched:
    """A step that reads 16 documents before it decides on any (as batch steps do) and counts drops its own way."""

    kind = "batched"

    def __init__(self, inner):
        self.inner = inner

    def process(self, docs, stats) -> Iterator[Document]:
        it = iter(docs)
        while batch := list(itertools.islice(it, 16)):
            verdicts = [self.inner.keep(d) for d in batch]
            for d, v in zip(batch, verdicts):
                stats.docs_in += 1
                if v is True:
                    stats.docs_out += 1
                    yield d
                else:
                    stats.drop(v[1])


def test_reasons_follow_batched_steps(docs, truth):
    inner = GopherQuality()
    sketch = TaskSketch(1)
    _watch(sketch, _Batched(inner), docs)
    seen = 0
    for reason, heap in sketch.steps[0].samples.heaps.items():
        for _, doc_id, _ in heap:
            assert truth[doc_id] == reason
            seen += 1
    assert seen > 3


def test_merge_does_not_depend_on_the_task_split(docs, truth):
    def sketch_of(parts):
        out, samples = [], []
        for part in parts:
            s = TaskSketch(2)
            kept, _ = _watch(s, GopherQuality(), part, 0)
            list(s.written(kept))
            out.append(json.loads(json.dumps(s.to_json())))
            samples += json.loads(json.dumps(list(s.sample_records(["gopher_quality", "unused"]))))
        assert all("samples" not in step for part in out for step in part["steps"])  # they go to samples/
        return merge(out, samples[::-1])  # the files' order does not matter either

    whole = sketch_of([docs])
    assert sketch_of([docs[:37], docs[37:120], docs[120:]]) == whole
    assert sketch_of([docs[::2], docs[1::2]]) == whole
    # bottom-k: the samples are the SAMPLES documents of smallest hash among all those kept / dropped for a reason
    assert len(whole["steps"][0]["samples"]) >= 3  # "kept" and at least two drop reasons
    for reason, entries in whole["steps"][0]["samples"].items():
        smallest = sorted((doc_hash(i), i) for i, v in truth.items() if v == reason)[:SAMPLES]
        assert [e["id"] for e in entries] == [i for _, i in smallest]
    assert whole["mix"]["kept"]["domain"]["ur.example"] > 0


def test_signals_in_several_scripts(shared):
    for lang in ("ur", "zh", "hi", "en"):  # sentences end in ۔ ؟ / 。！？ / । / . ? !
        lines = (shared / "lang" / f"{lang}.txt").read_text().splitlines()[:100]
        s = signals(Document("x", "\n".join(lines)))
        assert s["length"] == len("\n".join(lines))
        assert s["terminal_punctuation"] >= 0.9, lang
        cut = signals(Document("x", "\n".join(line + " 42" for line in lines)))  # each line ends in a number
        assert cut["terminal_punctuation"] == 0, lang
        assert s["duplicate_lines"] < 0.1
    assert signals(Document("x", "same line\nsame line\nsame line\nother"))["duplicate_lines"] == 0.5
    assert signals(Document("x", "")) == {}


def test_domain():
    assert domain("https://www.BBC.co.uk:443/news/x") == "bbc.co.uk"
    assert domain("http://user@host.example/path") == "host.example"
    assert domain("not a url") is None and domain(None) is None


class _Splitter:
    """Drops short documents, and cuts long ones in two (new documents the step makes)."""

    kind = "splitter"

    def process(self, docs, stats) -> Iterator[Document]:
        for d in docs:
            stats.docs_in += 1
            if len(d.text) < 1500:
                stats.drop("short")
                continue
            half = len(d.text) // 2
            stats.docs_out += 2
            yield Document(d.id, d.text[:half], d.metadata)
            yield Document(d.id + "/2", d.text[half:], d.metadata)


def test_documents_a_step_makes_are_kept_not_dropping_others(docs):
    sketch = TaskSketch(1)
    kept, stats = _watch(sketch, _Splitter(), docs)
    st = sketch.steps[0]
    assert sum(st.len_dropped) == stats.dropped["short"] > 10
    assert st.docs_out == len(kept) == stats.docs_out
    for *_, entry in sketch.steps[0].samples.heaps["short"]:
        assert entry["chars"] < 1500


def _plain_signals(text: str) -> tuple:
    """The signals' definitions, plainly: `str.split()` words, a per-line regex for the endings."""
    import re

    words = text.split()
    ends = re.compile(r"[.!?\u3002\uff01\uff1f\u06d4\u0964\u0965\u061f\u2026\"'\u201d\u2019\u00bb)\]][ \t]*$", re.M)
    return len(words), sum(map(len, words)), len(ends.findall(text))


def test_word_stats_and_endings_match_their_plain_definitions(shared):
    import random

    texts = [d.text for d in itertools.islice(fruitstand.read(shared / "text" / "bbc-news.jsonl.gz"), 200)]
    texts += [(shared / "lang" / f"{lang}.txt").read_text()[:20_000] for lang in ("zh", "ur", "hi", "th", "ja")]
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\u3000"]
    alphabet = spaces + list("ab.!?)\"'") + list(TERMINAL_CHARS) + ["\u3001", "\u3002", "\U0001f600", "\ud800", "\x1f", "\x00"]
    rng = random.Random(21)
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(20_000)]
    # the table stops at the highest white-space code point
    assert max(c for c in range(sys.maxunicode + 1) if chr(c).isspace()) == sketch._LAST_SPACE
    for text in texts:
        n_words, chars, endings = _plain_signals(text)
        assert word_stats(text) == (n_words, chars), repr(text)
        assert terminal_lines(text.split("\n")) == endings, repr(text)
