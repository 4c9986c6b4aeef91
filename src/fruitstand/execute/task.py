"""One task of one stage: a pure function of (input slice, recipe) to shards plus counters.

This is all a worker runs, on the local pool or on a Ray worker: it reads its slice,
pushes the documents through its segment of the recipe, writes its shards and side outputs
atomically, and returns the counters. Running it twice gives the same files, so a task cut
short by a kill is simply run again.

The per-corpus work the driver used to do up front is done here, spread over the tasks: the
task holding a file's first slice hashes the file (sha256, for the manifest), and every
task checks its file's size and mtime against the plan, so an input changed or removed
while the run goes stops it with one line instead of a manifest that describes other bytes.

A recipe with whole-corpus steps (dedup) runs in stages. Stage s reads the input (s = 0) or
the documents stage s-1 stored, lets global step s-1 filter them, runs the plain steps up
to the next global step, and either lets that step map them (storing the documents for the
next stage) or writes the final shards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fruitstand.document import Document
from fruitstand.execute.watchdog import Heartbeat, skip_path
from fruitstand.io.inputs import Task, sha256_file
from fruitstand.io.readers import ReadLimits, read_task
from fruitstand.io.side import TaskOutputs
from fruitstand.io.writers import METADATA, Schema, ShardWriter, loads_json
from fruitstand.registry import RecipeError, make_step
from fruitstand.step import GlobalStep, Step, StepContext, StepStats, drop_raw, raw_until


class InputChanged(RecipeError):
    """An input file changed or vanished between planning and its task."""


@dataclass(frozen=True)
class RunSpec:
    """Everything a task needs, picklable: no open files, no models."""

    output: str
    steps: list[dict[str, Any]]
    schema: dict[str, str]
    format: str = "parquet"
    shard_bytes: int = 256 << 20
    limits: ReadLimits = field(default_factory=ReadLimits)
    n_tasks: int = 1
    # Seconds one document may take through the whole stage; 0 turns the limit off.
    doc_timeout: float = 60.0

    @property
    def state_dir(self) -> Path:
        return Path(self.output) / ".fruitstand"

    def global_indices(self) -> list[int]:
        return [i for i, s in enumerate(self.steps) if _is_global(s)]

    def step_workdir(self, index: int) -> Path:
        return self.state_dir / "work" / f"{index:02d}-{self.steps[index]['kind']}"

    @property
    def heartbeat_dir(self) -> Path:
        return self.state_dir / "heartbeat"

    @property
    def skips_dir(self) -> Path:
        return self.state_dir / "skips"

    def docs_dir(self, stage: int) -> Path:
        return self.state_dir / "work" / "docs" / f"stage-{stage}"

    def side_tmp(self, stage: int, task: int) -> Path:
        return self.state_dir / "side" / f"stage{stage}-task{task:05d}"


def _is_global(table: dict[str, Any]) -> bool:
    from fruitstand.registry import resolved_class, step_class

    return issubclass(resolved_class(step_class(table["kind"]), table), GlobalStep)


# Steps built once per process, keyed by the recipe they come from; each is set up on its
# first use, so a process only loads the models of the stages it runs.
_built: dict[str, tuple[list[Step], set[int]]] = {}


def _steps_for(spec: RunSpec, used: range | list[int]) -> list[Step]:
    key = repr(spec.steps)
    if key not in _built:
        _built.clear()
        _built[key] = ([make_step(t) for t in spec.steps], set())
    steps, ready = _built[key]
    for i in used:
        if i not in ready:
            steps[i].setup()
            ready.add(i)
    return steps


def stage_steps(spec: RunSpec, stage: int) -> list[int]:
    """Indices of the steps whose code runs in `stage`: the global step before it (its filter),
    the plain steps, and the global step after it (its map)."""
    globals_ = spec.global_indices()
    first = 0 if stage == 0 else globals_[stage - 1]
    last = globals_[stage] if stage < len(globals_) else len(spec.steps) - 1
    return list(range(first, last + 1))


def _checked(task: Task) -> None:
    if task.file_size < 0:
        return
    try:
        st = os.stat(task.path)
    except FileNotFoundError:
        raise InputChanged(f"input {task.name or task.path} vanished while the run was going: "
                           "restore it, or run again with --overwrite to start over without it") from None
    if st.st_size != task.file_size or st.st_mtime_ns != task.mtime:
        raise InputChanged(f"input {task.name or task.path} changed while the run was going (size or mtime "
                           "differs from when it was planned): run again with --overwrite to start over")


def _staged(step: Step, ctx: StepContext, docs: Iterator[Document]) -> Iterator[Document]:
    """The step's documents, with its context set before the first and `finish` after the last."""
    step.ctx = ctx
    step.open(ctx)
    yield from step.process(docs, ctx.stats)
    step.finish()


def run_task(spec: RunSpec, stage: int, task: Task, progress: Callable[[int, int], None] | None = None,
             *, in_process: bool = False) -> dict[str, Any]:
    """Run `task` through stage `stage` of the recipe; return its counters and files.

    In a worker process the parent enforces the per-document time limit from its heartbeat
    (watchdog.py); `in_process` (workers=0) has no limit, since the parent is the caller.
    """
    beats = None if in_process or spec.doc_timeout <= 0 else spec.heartbeat_dir
    with Heartbeat(beats, stage, task.index, skip_path(spec.skips_dir, stage, task.index)) as watchdog:
        return _run_task(spec, stage, task, progress, watchdog)


def _run_task(spec: RunSpec, stage: int, task: Task, progress: Callable[[int, int], None] | None,
              watchdog: Heartbeat) -> dict[str, Any]:
    started = time.perf_counter()
    steps = _steps_for(spec, stage_steps(spec, stage))
    globals_ = spec.global_indices()
    if stage == 0:
        _checked(task)
    outputs = TaskOutputs(Path(spec.output), spec.side_tmp(stage, task.index))
    stats = {i: StepStats() for i in range(len(steps))}
    read_stats = StepStats()
    report = progress or (lambda docs, nbytes: None)
    if stage > 0:  # the progress bar counts each document once: as it leaves the first stage
        report_bytes = report

        def report(docs: int, nbytes: int) -> None:
            report_bytes(0, nbytes)
    counted = [0]

    def tick(docs: Iterator[Document]) -> Iterator[Document]:
        last, n = time.monotonic(), 0
        for n, doc in enumerate(docs, 1):  # noqa: B007 - n is read after the loop
            yield doc
            now = time.monotonic()
            if now - last > 0.25:
                report(n - counted[0], 0)
                counted[0], last = n, now
        report(n - counted[0], 0)

    if stage == 0:
        bytes_done = [0]

        def on_bytes(total: int) -> None:
            report(0, total - bytes_done[0])
            bytes_done[0] = total

        docs: Iterator[Document] = watchdog.guard(read_task(task, read_stats, spec.limits, on_bytes), read_stats, counted=True)
        first = 0
    else:
        g = globals_[stage - 1]
        gstep = steps[g]
        assert isinstance(gstep, GlobalStep)
        # The filter sees every stored document, in the order its map saw them: its verdicts
        # are keyed by that position. A document that times out later in the stage is
        # dropped after the filter (counted there), so a skip cannot shift them.
        docs = read_stored(spec.docs_dir(stage - 1), task.index, Schema.from_json(spec.schema))
        docs = _global(gstep, "filter", _ctx(spec, stage, g, task, stats[g], outputs, steps, watchdog), docs)
        docs = watchdog.guard(docs, stats[g], counted=True)
        first = g + 1
    last = globals_[stage] if stage < len(globals_) else len(steps)
    drop_at = raw_until(steps) if stage == 0 else -1
    for i in range(first, last):
        docs = _staged(steps[i], _ctx(spec, stage, i, task, stats[i], outputs, steps, watchdog), docs)
        if i == drop_at:  # no later step reads the raw record: free it now
            docs = drop_raw(docs)
    docs = tick(docs)
    if stage < len(globals_):
        g = globals_[stage]
        gstep = steps[g]
        assert isinstance(gstep, GlobalStep)
        spec.step_workdir(g).mkdir(parents=True, exist_ok=True)
        docs = _global(gstep, "map", _ctx(spec, stage, g, task, stats[g], outputs, steps, watchdog), docs)
        writer = ShardWriter(spec.docs_dir(stage), f"part-{task.index:05d}", Schema.from_json(spec.schema),
                             fmt="parquet", shard_bytes=1 << 62)
    else:
        writer = ShardWriter(Path(spec.output) / "data", f"part-{task.index:05d}", Schema.from_json(spec.schema),
                             fmt=spec.format, shard_bytes=spec.shard_bytes)
    try:
        writer.write_all(docs)
        files = writer.close()
        digest = None
        if stage == 0 and task.start == 0:  # one task per file: the one holding its first slice
            digest = sha256_file(task.path)
            _checked(task)
        side = outputs.commit()
    except BaseException:
        writer.abort()
        outputs.abort()
        raise
    result = {
        "stage": stage,
        "task": task.index,
        "read": read_stats.to_json() if stage == 0 or read_stats.dropped else None,
        "steps": [s.to_json() for s in stats.values()],
        "files": files,
        "documents": writer.documents,
        "seconds": round(time.perf_counter() - started, 3),
        "pid": os.getpid(),
    }
    if digest is not None:
        result["input"] = {"path": task.path, "sha256": digest}
    if side:
        result["side_outputs"] = side
    return result


def _ctx(spec: RunSpec, stage: int, index: int, task: Task, stats: StepStats, outputs: TaskOutputs,
         steps: list[Step], heartbeat: Heartbeat) -> StepContext:
    return StepContext(spec.step_workdir(index), task.index, spec.n_tasks, stage, index, stats, outputs,
                       tuple(steps[index].side_outputs), heartbeat)


def _global(step: GlobalStep, phase: str, ctx: StepContext, docs: Iterator[Document]) -> Iterator[Document]:
    step.ctx = ctx
    step.open(ctx)
    yield from getattr(step, phase)(docs, ctx.stats, ctx)
    step.finish()


def read_stored(folder: Path, task_index: int, schema: Schema) -> Iterator[Document]:
    """The documents a task stored between stages, in the order they were written, with their
    metadata as it was (the JSON of `metadata` and of "json" columns decoded again)."""
    import pyarrow.parquet as pq

    decode = [c for c, t in schema.ordered() if t == "json"]
    for path in sorted(folder.glob(f"part-{task_index:05d}-*.parquet")):
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=2048):
            for rec in batch.to_pylist():
                doc_id = rec.pop("id")
                text = rec.pop("text")
                for c in decode:
                    rec[c] = loads_json(rec[c])
                rest = rec.pop(METADATA)
                meta = {k: v for k, v in rec.items() if v is not None}
                if rest:
                    meta.update(rest)
                yield Document(doc_id, text, meta)
