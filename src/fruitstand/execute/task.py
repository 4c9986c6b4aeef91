"""One task of one stage: a pure function of (input slice, recipe) to shards plus counters.

This is all a worker runs, on the local pool or on a Ray worker: it reads its slice,
pushes the documents through its segment of the recipe, writes its shards and side outputs
atomically, and returns the counters. Running it twice gives the same files, so a task cut
short by a kill is simply run again.

The per-corpus work the driver used to do up front is done here, spread over the tasks: the
task holding a file's first slice hashes the file (sha256, for the manifest; a remote file
only if that task streamed it whole), and every
task checks its file's size and mtime against the plan, so an input changed or removed
while the run goes stops it with one line instead of a manifest that describes other bytes.

A recipe with whole-corpus steps (dedup) runs in stages. Stage s reads the input (s = 0) or
the documents stage s-1 stored, lets global step s-1 filter them, runs the plain steps up
to the next global step, and either lets that step map them (storing the documents for the
next stage) or writes the final shards.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fruitstand.document import Document
from fruitstand.execute.watchdog import Heartbeat, skip_path
from fruitstand.io import fs
from fruitstand.io.inputs import Task, sha256_file
from fruitstand.io.readers import STREAMED, ReadLimits, read_task
from fruitstand.io.side import LOGS, SAMPLES, TaskOutputs, run_part
from fruitstand.io.writers import METADATA, Schema, ShardWriter, atomic_write_bytes, loads_json
from fruitstand.registry import RecipeError, make_step
from fruitstand.report.sketch import SKETCHES, TaskSketch
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
    # Where workers keep their heartbeats (watchdog.py): a folder of the machine they run on.
    # Empty: under the output folder (one machine). Heartbeats are named by process id, which
    # two machines may share, so an executor of several machines gives each its own folder.
    beats: str = ""

    @property
    def state_dir(self) -> Path:
        return Path(self.output) / ".fruitstand"

    def global_indices(self) -> list[int]:
        return [i for i, s in enumerate(self.steps) if _is_global(s)]

    def step_workdir(self, index: int) -> Path:
        return self.state_dir / "work" / f"{index:02d}-{self.steps[index]['kind']}"

    @property
    def heartbeat_dir(self) -> Path:
        return Path(self.beats) if self.beats else self.state_dir / "heartbeat"

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
    if task.file_size < 0:  # listed without a request per file (a paths list): nothing to compare
        return
    try:
        size, version = fs.info(task.path)
    except FileNotFoundError:
        raise InputChanged(f"input {task.name or task.path} vanished while the run was going: "
                           "restore it, or run again with --overwrite to start over without it") from None
    if size != task.file_size or (task.mtime and version != task.mtime):
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
    cpu_started = time.thread_time()
    steps = _steps_for(spec, stage_steps(spec, stage))
    globals_ = spec.global_indices()
    if stage == 0:
        for part in task.files():
            _checked(part)
    outputs = TaskOutputs(Path(spec.output), spec.side_tmp(stage, task.index))
    log = outputs.get(LOGS, run_part(stage, task.index))  # the per-step log (io/side.py); a file once written
    stats = {i: StepStats() for i in range(len(steps))}
    read_stats = StepStats()
    sketch = TaskSketch(len(steps))  # what each step kept and dropped, for the report
    report = progress or (lambda docs, nbytes: None)
    if stage > 0:  # the progress bar counts each document once: as it leaves the first stage
        report_bytes = report

        def report(docs: int, nbytes: int) -> None:
            report_bytes(0, nbytes)
    counted = [0]
    clocks: list[list] = []  # [step index (None: reading), wall seconds up to and through it]

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

        docs: Iterator[Document] = watchdog.guard(read_task(task, read_stats, spec.limits, on_bytes), read_stats,
                                                  counted=True, on_skip=_log_skip(log, None, "read"))
        first = 0
    else:
        g = globals_[stage - 1]
        gstep = steps[g]
        assert isinstance(gstep, GlobalStep)
        # The filter sees every stored document, in the order its map saw them: its verdicts
        # are keyed by that position. A document that times out later in the stage is
        # dropped after the filter (counted there), so a skip cannot shift them.
        docs = read_stored(spec.docs_dir(stage - 1), task.index, Schema.from_json(spec.schema))
        docs = _timed(docs, clocks, None)
        ctx = _ctx(spec, stage, g, task, stats[g], outputs, steps, watchdog)

        def filtered(docs: Iterator[Document], ctx: StepContext = ctx, gstep: GlobalStep = gstep) -> Iterator[Document]:
            return watchdog.guard(_global(gstep, "filter", ctx, docs), ctx.stats, counted=True,
                                  on_skip=_log_skip(log, g, gstep.kind))

        docs = sketch.watch(g, filtered, docs, stats[g], gstep.kind)
        first = g + 1
    docs = _timed(docs, clocks, first - 1 if stage > 0 else None)
    last = globals_[stage] if stage < len(globals_) else len(steps)
    drop_at = raw_until(steps) if stage == 0 else -1
    for i in range(first, last):
        ctx = _ctx(spec, stage, i, task, stats[i], outputs, steps, watchdog)
        docs = _timed(sketch.watch(i, functools.partial(_staged, steps[i], ctx), docs, stats[i], steps[i].kind),
                      clocks, i)
        if i == drop_at:  # no later step reads the raw record: free it now
            docs = drop_raw(docs)
    docs = tick(docs)
    if stage < len(globals_):
        g = globals_[stage]
        gstep = steps[g]
        assert isinstance(gstep, GlobalStep)
        spec.step_workdir(g).mkdir(parents=True, exist_ok=True)
        docs = _timed(_global(gstep, "map", _ctx(spec, stage, g, task, stats[g], outputs, steps, watchdog), docs),
                      clocks, g)
        writer = ShardWriter(spec.docs_dir(stage), f"part-{task.index:05d}", Schema.from_json(spec.schema),
                             fmt="parquet", shard_bytes=1 << 62)
    else:
        docs = sketch.written(docs)
        writer = ShardWriter(Path(spec.output) / "data", f"part-{task.index:05d}", Schema.from_json(spec.schema),
                             fmt=spec.format, shard_bytes=spec.shard_bytes)
    try:
        writer.write_all(docs)
        files = writer.close()
        digests = []
        for part in task.files() if stage == 0 else ():
            if part.start == 0:  # one task per file: the one holding its first slice
                # A remote file is not fetched twice to be hashed: hashed as it streamed if this task read
                # it whole, else its server's version stands for it (io/fs.py).
                digests.append({"path": part.path, "sha256": sha256_file(part.path) if not fs.is_url(part.path)
                                else fs.streamed_sha256(part.path)})
                _checked(part)
        # The report's samples and the steps' tracebacks go with the task's side outputs; its
        # statistics are written before the task is recorded done. A rerun writes the same bytes.
        kinds = [step.kind for step in steps]
        samples = outputs.get(SAMPLES, run_part(stage, task.index))
        for record in sketch.sample_records(kinds):
            samples.write(record)
        for i, st in stats.items():
            for reason, tbs in sorted(st.tracebacks.items()):
                for tb in tbs:
                    log.write({"step": i, "kind": kinds[i], "event": "error", "reason": reason, "traceback": tb})
        stats_file = sketch_path(spec, stage, task.index)
        stats_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(stats_file, orjson.dumps(sketch.to_json()))
        side = outputs.commit()
    except BaseException:
        writer.abort()
        outputs.abort()
        raise
    _share_cpu(clocks, stats, read_stats, time.perf_counter() - started, time.thread_time() - cpu_started)
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
    if digests:
        result["inputs"] = digests
    if side:
        result["side_outputs"] = side
    tracebacks = {str(i): s.tracebacks for i, s in stats.items() if s.tracebacks}
    if tracebacks:
        result["tracebacks"] = tracebacks
    return result


def sketch_path(spec: RunSpec, stage: int, task: int) -> Path:
    """Where a task keeps its run statistics for the report (report/sketch.py)."""
    return Path(spec.output) / SKETCHES / f"stage{stage}-task{task:05d}.json"


def _log_skip(log: Any, index: int | None, kind: str) -> Callable[[Document, int], None]:
    def on_skip(doc: Document, position: int) -> None:
        log.write({"step": index, "kind": kind, "event": "doc_timeout", "document": doc.id, "position": position})

    return on_skip


def _timed(docs: Iterator[Document], clocks: list[list], index: int | None) -> Iterator[Document]:
    """Pass documents on, adding the wall time spent producing them to a new entry of `clocks`.

    Each entry times everything upstream of it, so a step's own share is its entry less the one
    before it (`_share_cpu`). Wall time costs 0.1 us a reading where CPU time costs 1 us; the
    task's CPU time is shared out in proportion once, at the end.
    """
    cell = [index, 0.0]
    clocks.append(cell)  # now, in chain order: a generator's body would run only at its first next()
    return _timing(iter(docs), cell)


def _timing(it: Iterator[Document], cell: list) -> Iterator[Document]:
    clock = time.perf_counter
    while True:
        t = clock()
        doc = next(it, None)
        cell[1] += clock() - t
        if doc is None:
            return
        yield doc


def _share_cpu(clocks: list[list], stats: dict[int, StepStats], read_stats: StepStats, wall: float,
               cpu: float) -> None:
    """Each step's CPU seconds: the task's CPU time shared out by the wall time each step took."""
    scale = cpu / wall if wall > 0 else 0.0
    before = 0.0
    for index, inclusive in clocks:
        own = max(0.0, inclusive - before) * scale
        before = inclusive
        if index is None:
            read_stats.cpu_s += own
        else:
            stats[index].cpu_s += own


def _ctx(spec: RunSpec, stage: int, index: int, task: Task, stats: StepStats, outputs: TaskOutputs,
         steps: list[Step], heartbeat: Heartbeat) -> StepContext:
    return StepContext(spec.step_workdir(index), task.index, spec.n_tasks, stage, index, stats, outputs,
                       tuple(steps[index].side_outputs), heartbeat, steps[index].kind)


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
        pf = pq.ParquetFile(path, **STREAMED)
        for batch in pf.iter_batches(batch_size=256):
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
