"""Step base classes: a step is a dataclass whose fields are its parameters.

This docstring is the contract every step codes against.

Five kinds, each with one method to write:

- `Filter.keep(doc)` returns True to keep, False or `(False, reason)` to drop.
- `Mapper.apply(doc)` returns the (possibly changed) document, None or `(None, reason)` to drop.
- `BatchFilter.keep_batch(docs)` / `BatchMapper.apply_batch(docs)`: the same over a list of up
  to `batch_size` documents (a class attribute; declare a dataclass field `batch_size: int = N`
  to make it a recipe parameter), returning one verdict / result per document, in order. Use
  them where vectorising pays (a classifier on a GPU, a tokenizer's batch call).
- `GlobalStep` (deduplication and anything else that must see the whole corpus) runs in
  three phases the executor schedules: `map` over every task's documents (writing side data
  into `ctx.workdir`), `reduce_stages` (pure functions run in parallel, stage by stage, over
  that side data), then `filter` over every task's documents again.

The base classes do the shared work: counting documents in and out and drops per reason,
and turning an exception on one document into a counted drop (`error:ValueError`) instead
of a crashed run. A batch that raises is run again one document at a time, so only the
documents that raise alone are dropped.

The context (`StepContext`, every kind). Before a task's documents flow through a step the
executor sets `step.ctx` and calls `step.open(ctx)`; after the task's last document has
passed the step it calls `step.finish()` (not called when the task fails: its work is
thrown away and the task runs again). `ctx` gives:

- `ctx.task_index`, `ctx.n_tasks`, `ctx.stage`, `ctx.step_index`;
- `ctx.count(key, n=1)`: add to this step's `extra` counters (summed over tasks into the
  manifest), callable from `keep`/`apply`/`finish`; never keep counters on `self`;
- `ctx.output(name)`: a side output, files per task under `OUTPUT/<name>/`. The step lists
  its names in the class attribute `side_outputs` (so a rerun with `--overwrite` knows what
  to clean). `ctx.output(name).open(filename, "wb")` gives a binary file,
  `ctx.output(name).write(record)` appends a dict as one JSON line to
  `<name>/part-<task:05d>.jsonl`. Files are written to a temporary place and committed
  with the task: a killed task leaves nothing, a rerun writes them again, so they must be
  a pure function of the task's documents (name files after `ctx.part`, e.g.
  f"{ctx.part}.bin", so tasks never collide). Each is listed in the manifest under
  `side_outputs` and removed with `data/` by `--overwrite`;
- `ctx.log(message, **fields)`: a line in the run's per-step log, `OUTPUT/logs/` (one JSON
  line per event, with the step's index and kind; committed with the task like a side output,
  so a rerun does not repeat it). The executor writes there too: the first tracebacks of the
  documents a step raised on, and the documents skipped after timing out;
- `ctx.workdir`: a folder of this step's own, shared by all tasks (whole-corpus side data).

`GlobalStep.map`/`filter` also receive the context as an argument (`TaskContext` is the
same class).

Resources. `resources = Resources(cpus=1, memory_gb=0, gpus=0)` (class attribute) says
what one copy of the step needs. The local executor runs the stage holding such a step on
fewer processes when the machine has too little for one copy per worker; Ray asks for
these resources per task. Steps never know where they run: heavy models load in
`setup()`, called once per process before the step's first document (and only in the
processes that run its stage), so a step pickles as its plain parameters.
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
        self.drop(reason)  # through `drop`, which the report's sketch wraps to see each reason
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


@dataclass(frozen=True)
class Resources:
    """What one copy of a step needs: cores, memory (GB, the model and its working set), GPUs."""

    cpus: float = 1
    memory_gb: float = 0
    gpus: float = 0

    def combine(self, other: Resources) -> Resources:
        """What a process running both steps needs: the larger of each."""
        return Resources(max(self.cpus, other.cpus), max(self.memory_gb, other.memory_gb), max(self.gpus, other.gpus))


class _NoBeat:
    """The heartbeat of a step run outside an executor: no time limit, no batch to split."""

    position = -1

    def batch(self, first: int, last: int, count: int) -> None:
        pass

    def alone(self, position: int) -> bool:
        return False


@dataclass
class StepContext:
    """What a step knows of the task it is in (see the module docstring)."""

    workdir: Path | None = None  # this step's folder under the run's work dir, shared by all tasks
    task_index: int = 0
    n_tasks: int = 1
    stage: int = 0
    step_index: int = 0
    stats: StepStats = field(default_factory=StepStats)
    # The task's side outputs (io/side.py TaskOutputs); None outside a run.
    outputs: Any = None
    declared: tuple[str, ...] = ()
    heartbeat: Any = field(default_factory=_NoBeat)
    kind: str = ""

    @property
    def part(self) -> str:
        """The task's file stem, as data shards use it: part-00003."""
        return f"part-{self.task_index:05d}"

    def count(self, key: str, n: int = 1) -> None:
        self.stats.extra[key] += n

    def output(self, name: str):
        if name not in self.declared:
            raise ValueError(f"side output {name!r} is not in the step's side_outputs {self.declared}")
        if self.outputs is None:
            raise RuntimeError(f"side output {name!r}: this step is not running inside fruitstand.run")
        return self.outputs.get(name, self.part)

    def log(self, message: str, **fields: Any) -> None:
        """Add a line to the per-step log (OUTPUT/logs/); outside a run, to Python's logging."""
        record = {"step": self.step_index, "kind": self.kind, "event": "log", "message": message, **fields}
        if self.outputs is None:
            import logging

            logging.getLogger(f"fruitstand.{self.kind or 'step'}").info("%s %s", message, fields or "")
            return
        from fruitstand.io.side import LOGS, run_part

        self.outputs.get(LOGS, run_part(self.stage, self.task_index)).write(record)


TaskContext = StepContext  # the name whole-corpus steps were written against


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
    # Names of the side outputs this step writes (folders OUTPUT/<name>/), see StepContext.output.
    side_outputs: ClassVar[tuple[str, ...]] = ()
    resources: ClassVar[Resources] = Resources()
    # Set by the executor before a task's documents flow; a bare context outside a run.
    ctx: StepContext

    def validate(self) -> None:
        """Check the parameters' values; raise `RecipeError` with one line that says what to change.

        Called by `Recipe.validate` before any work starts (the checks live in `fruitstand.params`).
        """

    def setup(self) -> None:
        """Load models and data; called once per process before the first document."""

    def open(self, ctx: StepContext) -> None:
        """Called before a task's documents flow through the step (`self.ctx` is already set)."""

    def finish(self) -> None:
        """Called after the task's last document passed the step: flush side outputs here."""

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self) if dataclasses.is_dataclass(self) else {}

    def __getattr__(self, name: str) -> Any:
        if name == "ctx":  # a step used on its own, outside any executor
            ctx = StepContext()
            self.__dict__["ctx"] = ctx
            return ctx
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("ctx", None)  # a step pickles as its parameters (and what setup loaded)
        return state


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


class _Batched(Step):
    """Groups documents into lists of `batch_size` and isolates a batch's errors."""

    batch_size: ClassVar[int] = 64

    def _call(self, batch: list[Document]) -> list:
        raise NotImplementedError

    def _result(self, doc: Document, result: Any) -> tuple[Document | None, str]:
        raise NotImplementedError

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        beat = self.ctx.heartbeat
        size = max(1, int(self.batch_size))
        batch: list[Document] = []
        positions: list[int] = []
        for doc in docs:
            pos = beat.position
            if beat.alone(pos):  # this batch ran out of time before: its documents go one by one
                yield from self._run(batch, positions, stats)
                batch, positions = [], []
                yield from self._run([doc], [pos], stats)
                continue
            batch.append(doc)
            positions.append(pos)
            if len(batch) >= size:
                yield from self._run(batch, positions, stats)
                batch, positions = [], []
        yield from self._run(batch, positions, stats)

    def _run(self, batch: list[Document], positions: list[int], stats: StepStats) -> Iterator[Document]:
        if not batch:
            return
        beat = self.ctx.heartbeat
        stats.docs_in += len(batch)
        beat.batch(positions[0], positions[-1], len(batch))
        try:
            results = self._checked(batch)
        except Exception as exc:
            if len(batch) == 1:
                results = [exc]
            else:  # find the documents that fail alone; the others are kept as usual
                results = []
                for doc, pos in zip(batch, positions):
                    beat.batch(pos, pos, 1)
                    try:
                        results.append(self._checked([doc])[0])
                    except Exception as one:
                        results.append(one)
        for doc, res in zip(batch, results):
            if isinstance(res, Exception):
                stats.error(res, doc)
                continue
            out, reason = self._result(doc, res)
            if out is None:
                stats.drop_doc(reason, doc)
            else:
                stats.docs_out += 1
                yield out

    def _checked(self, batch: list[Document]) -> list:
        results = list(self._call(batch))
        if len(results) != len(batch):
            raise ValueError(f"{self.kind}: {len(results)} results for a batch of {len(batch)} documents")
        return results


class BatchFilter(_Batched):
    def keep_batch(self, docs: list[Document]) -> list[bool | tuple[bool, str]]:
        raise NotImplementedError

    def _call(self, batch: list[Document]) -> list:
        return self.keep_batch(batch)

    def _result(self, doc: Document, verdict: Any) -> tuple[Document | None, str]:
        if verdict is True or (isinstance(verdict, tuple) and verdict[0]):
            return doc, ""
        if verdict is False:
            return None, self.kind
        if isinstance(verdict, tuple):
            return None, verdict[1]
        return (doc, "") if verdict else (None, self.kind)


class BatchMapper(_Batched):
    def apply_batch(self, docs: list[Document]) -> list[Document | None | tuple[None, str]]:
        raise NotImplementedError

    def _call(self, batch: list[Document]) -> list:
        return self.apply_batch(batch)

    def _result(self, doc: Document, out: Any) -> tuple[Document | None, str]:
        if out is None:
            return None, self.kind
        if isinstance(out, tuple):
            return None, out[1]
        return out, ""


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

    def map(self, docs: Iterable[Document], stats: StepStats, ctx: StepContext) -> Iterator[Document]:
        raise NotImplementedError

    def reduce_stages(self, workdir: Path, n_tasks: int) -> list[list[ReduceJob]]:
        return []

    def filter(self, docs: Iterable[Document], stats: StepStats, ctx: StepContext) -> Iterator[Document]:
        raise NotImplementedError

    def complete(self, workdir: Path) -> None:
        """Called once after every task's filter ran, only where the tasks did not share one folder
        (nodes that share only object storage, execute/exchange.py): finish in `workdir`, which holds
        what the reduce jobs and the filters wrote, what the last filter would have finished seeing
        the others' files. Most steps have nothing to finish."""
        return None

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        raise TypeError(f"{self.kind} needs the whole corpus: run it through fruitstand.run")
