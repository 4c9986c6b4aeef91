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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from fruitstand.document import Document


@dataclass
class StepStats:
    """Counters for one step, summed over tasks into the manifest."""

    docs_in: int = 0
    docs_out: int = 0
    dropped: Counter = field(default_factory=Counter)
    # Anything else a step wants to report: clusters found, lines removed, ...
    extra: Counter = field(default_factory=Counter)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    def merge(self, other: StepStats) -> None:
        self.docs_in += other.docs_in
        self.docs_out += other.docs_out
        self.dropped.update(other.dropped)
        self.extra.update(other.extra)

    def to_json(self) -> dict[str, Any]:
        return {
            "in": self.docs_in,
            "out": self.docs_out,
            "dropped": dict(sorted(self.dropped.items())),
            **({"extra": dict(sorted(self.extra.items()))} if self.extra else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepStats:
        return cls(data["in"], data["out"], Counter(data["dropped"]), Counter(data.get("extra", {})))


class Step:
    """Base of every step. Subclasses are dataclasses; their fields are the parameters."""

    kind: ClassVar[str] = ""
    # What the step reads from a document: "html" (before extract), "text", or "any".
    needs: ClassVar[str] = "text"
    # Set by steps that turn HTML into text (extract).
    produces_text: ClassVar[bool] = False
    # Set by steps that read the raw record (doc.html, http_headers, warc_headers) as well as
    # the text: the run keeps it until the last such step (`raw_until`), then drops it.
    reads_raw: ClassVar[bool] = False
    # Metadata fields this step sets, as output columns: name -> "string" | "float" | "int" | "bool" | "json".
    columns: ClassVar[dict[str, str]] = {}

    def setup(self) -> None:
        """Load models and data; called once per process before the first document."""

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self) if dataclasses.is_dataclass(self) else {}


def raw_until(steps: list[Step]) -> int:
    """Index of the last step that reads the raw record (extract, HTML steps, `reads_raw` steps);
    -1 when none does. The executor drops the raw record after it."""
    return max((i for i, s in enumerate(steps) if s.reads_raw or s.produces_text or s.needs == "html"), default=-1)


def drop_raw(docs: Iterable[Document]) -> Iterator[Document]:
    for doc in docs:
        doc.drop_raw()
        yield doc


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
                stats.drop(f"error:{type(exc).__name__}")
                continue
            if verdict is True:
                stats.docs_out += 1
                yield doc
            elif verdict is False:
                stats.drop(self.kind)
            elif verdict[0]:
                stats.docs_out += 1
                yield doc
            else:
                stats.drop(verdict[1])


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
                stats.drop(f"error:{type(exc).__name__}")
                continue
            if out is None:
                stats.drop(self.kind)
            elif isinstance(out, tuple):
                stats.drop(out[1])
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
