"""Step base classes: a step is a dataclass whose fields are its parameters.

Three kinds, each with one method to write:

- `Filter.keep(doc)` returns True to keep, False or `(False, reason)` to drop.
- `Mapper.apply(doc)` returns the (possibly changed) document, None or `(None, reason)` to drop.
- `GlobalStep` (deduplication and anything else that must see the whole corpus) runs in
  three phases the executor schedules: `map` over every task's documents (writing side data
  into its work folder), `reduce_stages` (pure functions run in parallel, stage by stage,
  over that side data), then `filter` over every task's documents again.

The base classes do the shared work: counting documents in and out and drops per reason,
and turning an exception on one document into a counted drop instead of a crashed run.
Steps never know where they run: heavy models load in `setup()`, called once per worker
process, so a step pickles as its plain parameters.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from fruitstand.document import Document

# Tracebacks kept per step and drop reason in each task (the run keeps the first few of all tasks).
KEEP_TRACEBACKS = 3


@dataclass
class StepStats:
    """Counters for one step, summed over tasks into the manifest."""

    docs_in: int = 0
    docs_out: int = 0
    dropped: Counter = field(default_factory=Counter)
    # Anything else a step wants to report: clusters found, lines removed, ...
    extra: Counter = field(default_factory=Counter)
    # Documents dropped, by the language the document had when dropped ("und" before langid).
    dropped_by_language: Counter = field(default_factory=Counter)
    # CPU seconds of the step's own work (set by the task, which times each step).
    cpu_s: float = 0.0
    # reason -> the first tracebacks of documents that raised (not in to_json: the executor keeps them).
    tracebacks: dict[str, list[str]] = field(default_factory=dict)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    def drop_doc(self, reason: str, doc: Document) -> None:
        """Drop one document, counting it under `reason` and under its language."""
        self.dropped[reason] += 1
        self.dropped_by_language[doc.metadata.get("language") or "und"] += 1

    def error(self, exc: BaseException, doc: Document) -> None:
        """A document that raised: a counted drop, and its traceback kept if among the first few."""
        reason = f"error:{type(exc).__name__}"
        self.drop_doc(reason, doc)
        kept = self.tracebacks.setdefault(reason, [])
        if len(kept) < KEEP_TRACEBACKS:
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            kept.append(f"document {doc.id!r}\n{tb[-8000:]}")

    def merge(self, other: StepStats) -> None:
        self.docs_in += other.docs_in
        self.docs_out += other.docs_out
        self.dropped.update(other.dropped)
        self.extra.update(other.extra)
        self.dropped_by_language.update(other.dropped_by_language)
        self.cpu_s += other.cpu_s

    def to_json(self) -> dict[str, Any]:
        return {
            "in": self.docs_in,
            "out": self.docs_out,
            "dropped": dict(sorted(self.dropped.items())),
            **({"extra": dict(sorted(self.extra.items()))} if self.extra else {}),
            **({"dropped_by_language": dict(sorted(self.dropped_by_language.items()))}
               if self.dropped_by_language else {}),
            "cpu_s": round(self.cpu_s, 3),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepStats:
        return cls(data["in"], data["out"], Counter(data["dropped"]), Counter(data.get("extra", {})),
                   Counter(data.get("dropped_by_language", {})), data.get("cpu_s", 0.0))


class Step:
    """Base of every step. Subclasses are dataclasses; their fields are the parameters."""

    kind: ClassVar[str] = ""
    # What the step reads from a document: "html" (before extract), "text", or "any".
    needs: ClassVar[str] = "text"
    # Set by steps that turn HTML into text (extract).
    produces_text: ClassVar[bool] = False
    # Metadata fields this step sets, as output columns: name -> "string" | "float" | "int" | "bool" | "json".
    columns: ClassVar[dict[str, str]] = {}

    def validate(self) -> None:
        """Check the parameters' values; raise `RecipeError` with one line that says what to change.

        Called by `Recipe.validate` before any work starts (the checks live in `fruitstand.params`).
        """

    def setup(self) -> None:
        """Load models and data; called once per process before the first document."""

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self) if dataclasses.is_dataclass(self) else {}


class Filter(Step):
    def keep(self, doc: Document) -> bool | tuple[bool, str]:
        raise NotImplementedError

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        keep = self.keep
        for doc in docs:
            stats.docs_in += 1
            try:
                verdict = keep(doc)
            except Exception as exc:  # one bad document never stops the run
                stats.error(exc, doc)
                continue
            if verdict is True:
                stats.docs_out += 1
                yield doc
            elif verdict is False:
                stats.drop_doc(self.kind, doc)
            elif verdict[0]:
                stats.docs_out += 1
                yield doc
            else:
                stats.drop_doc(verdict[1], doc)


class Mapper(Step):
    def apply(self, doc: Document) -> Document | None | tuple[None, str]:
        raise NotImplementedError

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        apply = self.apply
        for doc in docs:
            stats.docs_in += 1
            try:
                out = apply(doc)
            except Exception as exc:
                stats.error(exc, doc)
                continue
            if out is None:
                stats.drop_doc(self.kind, doc)
            elif isinstance(out, tuple):
                stats.drop_doc(out[1], doc)
            else:
                stats.docs_out += 1
                yield out


@dataclass(frozen=True)
class TaskContext:
    """Where a global step keeps the side data of one task."""

    workdir: Path  # this step's folder under the run's work dir, shared by all tasks
    task_index: int
    n_tasks: int


# A reduce job: a name (unique within its stage, used to record completion) and a
# picklable zero-argument callable (a functools.partial of a module-level function)
# returning counters for the manifest.
ReduceJob = tuple[str, Callable[[], dict[str, int]]]


class GlobalStep(Step):
    """A step that needs the whole corpus: map every task, reduce, then filter every task.

    `map` yields every document unchanged (the executor stores them until the reduce is
    done) and counts nothing; `filter` sees the same documents in the same order, task by
    task, and does the counting of documents in, out and dropped.
    """

    def map(self, docs: Iterable[Document], stats: StepStats, ctx: TaskContext) -> Iterator[Document]:
        raise NotImplementedError

    def reduce_stages(self, workdir: Path, n_tasks: int) -> list[list[ReduceJob]]:
        return []

    def filter(self, docs: Iterable[Document], stats: StepStats, ctx: TaskContext) -> Iterator[Document]:
        raise NotImplementedError

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        raise TypeError(f"{self.kind} needs the whole corpus: run it through fruitstand.run")
