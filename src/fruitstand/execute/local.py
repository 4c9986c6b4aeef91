"""The local executor: tasks on a pool of worker processes, resumable after any kill.

`run()` validates everything before any work starts, claims the output folder, then runs
each stage's tasks on N processes (spawned, so no thread or lock of the parent is copied),
recording each finished task in a done file. Re-running the same command skips what is
done. A worker that dies (out of memory, a crash in a C library) breaks the pool; the pool
is started again and the unfinished tasks are re-run, a bounded number of times.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing as mp
import os
import queue as queue_mod
import shutil
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from fruitstand.execute.orphan import die_with_parent
from fruitstand.execute.outcome import check_yield, write_tracebacks
from fruitstand.execute.progress import Progress
from fruitstand.execute.state import OutputDir, one_run_per_output
from fruitstand.execute.task import RunSpec, run_task
from fruitstand.execute.watchdog import Watchdog
from fruitstand.io.inputs import InputFile, Task, default_split, find_inputs, plan_tasks, sha256_file
from fruitstand.io.readers import ReadLimits
from fruitstand.io.writers import Schema, atomic_write_json, kind_of
from fruitstand.recipe import Recipe
from fruitstand.registry import RecipeError
from fruitstand.step import GlobalStep

_MAX_POOL_RESTARTS = 3


@one_run_per_output
def run(recipe: Recipe | str | os.PathLike | None = None, *, inputs: list[str | os.PathLike] | str,
        output: str | os.PathLike, workers: int | None = None, format: str = "parquet",
        overwrite: bool = False, shard_size_mb: float = 256, split_mb: float | None = None,
        limits: ReadLimits | None = None, doc_timeout: float = 60.0, progress: bool | float = False) -> dict[str, Any]:
    """Run `recipe` (default: the built-in one) over `inputs`, writing shards and a manifest to `output`.

    `workers`: worker processes (default: one per core); 0 runs everything in this process
    (for debugging: no per-document time limit then). `doc_timeout`: seconds one document
    may take before it is skipped as `doc_timeout`. `progress`: a bar on a terminal, else a line on
    stderr every few seconds (a number: every that many seconds). Raises `RecipeError` (one line, before any
    work) for a mistake in the recipe or options, and `NoDocumentsError` when nothing was written.
    """
    started = time.perf_counter()
    recipe = Recipe.coerce(recipe)
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    _check_options(format, workers, shard_size_mb, split_mb, doc_timeout)
    files = find_inputs(list(inputs))
    steps = recipe.validate({f.format for f in files})
    if split_mb is None:  # cut by the inputs' total size (io/inputs.py), recorded for resuming
        split_mb = default_split(files) / (1 << 20)
    tasks = plan_tasks(files, split_bytes=max(1, int(split_mb * (1 << 20))))
    if workers is None:
        workers = os.cpu_count() or 1

    # The manifest module (importlib.metadata) only here: every worker process imports this module.
    from fruitstand.execute.manifest import build_manifest, versions

    schema = _schema(files, steps)
    identity = {
        "recipe": {"name": recipe.name, "step": recipe.steps},
        "recipe_fingerprint": recipe.fingerprint(),
        "effective_steps": _effective(steps),
        "inputs": _describe(files),
        "format": format,
        "shard_size_mb": shard_size_mb,
        "split_mb": split_mb,
        "schema": schema.to_json(),
        "versions": versions(),
    }
    identity["fingerprint"] = _fingerprint(identity)
    out = OutputDir(output)
    status = out.claim(identity, overwrite=overwrite)
    if status == "finished":
        import json

        manifest = json.loads(out.manifest_path.read_text())
        check_yield(manifest, output)
        return manifest
    out.clean_partial()

    spec = RunSpec(str(out.path), recipe.steps, schema.to_json(), format,
                   max(1, int(shard_size_mb * (1 << 20))), limits or ReadLimits(), len(tasks), doc_timeout)
    shutil.rmtree(spec.heartbeat_dir, ignore_errors=True)  # a killed run's workers are gone
    globals_ = [i for i, s in enumerate(steps) if isinstance(s, GlobalStep)]
    total_bytes = sum(t.size for t in tasks)
    task_results: list[dict[str, Any]] = []
    reduce_results: dict[int, list[dict[str, Any]]] = {}
    with _Runner(workers, progress, total_bytes, len(tasks) * (1 + len(globals_))) as runner:
        for stage in range(len(globals_) + 1):
            task_results += runner.run_tasks(out, spec, stage, tasks)
            if stage < len(globals_):
                g = globals_[stage]
                reduce_results[g] = runner.run_reduce(out, g, steps[g], spec.step_workdir(g), len(tasks))
    workdirs = {g: spec.step_workdir(g) for g in globals_}
    manifest = build_manifest(identity, task_results, reduce_results, workdirs, time.perf_counter() - started)
    for i, path in write_tracebacks(out.state, [s.kind for s in steps], task_results).items():
        manifest["steps"][i]["tracebacks"] = path
    atomic_write_json(out.manifest_path, manifest)
    shutil.rmtree(out.state / "work" / "docs", ignore_errors=True)
    check_yield(manifest, output)
    return manifest


def _check_options(format: str, workers: int | None, shard_size_mb: float, split_mb: float | None,
                   doc_timeout: float) -> None:
    """The run's own options, checked before anything is read or written."""
    if format not in ("parquet", "jsonl"):
        raise RecipeError(f"unknown --format {format!r}: use parquet or jsonl")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
        raise RecipeError(f"--workers {workers}: give 1 or more (0 runs in-process)")
    if not shard_size_mb > 0:
        raise RecipeError(f"--shard-size {shard_size_mb}: give the MB of text per shard, more than 0 (default 256)")
    if split_mb is not None and not split_mb > 0:
        raise RecipeError(f"split_mb = {split_mb}: give the MB of input per task, more than 0, or leave it out")
    if not doc_timeout >= 0:
        raise RecipeError(f"doc_timeout = {doc_timeout}: give seconds per document (0 turns the limit off)")


def _effective(steps: list) -> list[dict[str, Any]]:
    """Every step's parameters with the defaults filled in, as the manifest records them."""
    import json

    return [json.loads(json.dumps({"kind": s.kind, **s.params()}, default=str)) for s in steps]


def _describe(files: list[InputFile]) -> list[dict[str, Any]]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:  # hashlib releases the GIL
        digests = list(pool.map(sha256_file, [f.path for f in files]))
    return [{"path": f.path, "name": f.name, "format": f.format, "size": f.size, "sha256": d}
            for f, d in zip(files, digests)]


def _fingerprint(identity: dict[str, Any]) -> str:
    import hashlib
    import json

    key = {k: identity[k] for k in ("recipe_fingerprint", "format", "shard_size_mb", "split_mb")}
    key["inputs"] = [(i["name"], i["size"], i["sha256"]) for i in identity["inputs"]]
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _schema(files: list[InputFile], steps: list) -> Schema:
    """Output columns, fixed before any task runs so every shard has the same schema."""
    schema = Schema()
    schema.add("source", "string")
    if any(f.format in ("warc", "arc") for f in files):
        schema.add("date", "string")
    for step in steps:
        for name, kind in step.columns.items():
            schema.add(name, kind)
    for f in files:  # columns the input brings: from the first record (JSONL) or the schema (Parquet)
        for name, kind in _peek_columns(f).items():
            if name not in ("id", "text", "metadata"):
                schema.add(name, kind)
    return schema


def _peek_columns(f: InputFile) -> dict[str, str]:
    if f.format == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = {}
        try:
            fields = pq.ParquetFile(f.path).schema_arrow
        except (OSError, pa.ArrowException):  # not a Parquet file after all: its task counts why
            return {}
        for field in fields:
            t = field.type
            out[field.name] = ("string" if pa.types.is_string(t) or pa.types.is_large_string(t) else
                               "int" if pa.types.is_integer(t) else "float" if pa.types.is_floating(t) else
                               "bool" if pa.types.is_boolean(t) else "json")
        return out
    if f.format == "jsonl":
        from fruitstand.io.readers import _json_loads, _open_binary

        loads = _json_loads()
        try:
            with _open_binary(f.path) as fh:
                for line in fh:
                    if line.strip():
                        rec = loads(line)
                        break
                else:
                    return {}
        except (OSError, ValueError, EOFError):
            return {}
        if not isinstance(rec, dict):
            return {}
        cols = {k: kind_of(v) for k, v in rec.items()}
        if isinstance(rec.get("metadata"), dict):
            for k, v in rec["metadata"].items():
                cols.setdefault(k, kind_of(v))
        return cols
    return {}


# --- the pool -------------------------------------------------------------------------------

_queue: Any = None


def _init_worker(q: Any, parent: int) -> None:
    global _queue
    _queue = q
    die_with_parent(parent)
    atexit.register(_exit_worker)


def _exit_worker() -> None:
    """A worker's last act, after its results and progress are sent: skip interpreter teardown.

    Freeing every module (pyarrow, numpy, resiliparse) takes a worker about 0.07 s of CPU, and
    the parent waits for it after the last task: about 0.15 s of every run's wall time.
    Shards are closed and fsynced by then; only buffered output is left to flush.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(0)


def _report(docs: int, nbytes: int) -> None:
    if _queue is not None:
        _queue.put((docs, nbytes))


def _pool_task(spec: RunSpec, stage: int, task: Task) -> dict[str, Any]:
    return run_task(spec, stage, task, _report)


def _pool_reduce(job) -> dict[str, int]:
    return job()


class _Runner:
    def __init__(self, workers: int, show: bool | float, total_bytes: int, total_tasks: int):
        self.workers = workers
        every = None if isinstance(show, bool) else float(show)
        self.progress = Progress(bool(show), total_bytes, total_tasks, every=every)
        self._ctx = mp.get_context("spawn")
        self._queue = self._ctx.Queue() if workers > 0 else None
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Runner:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=self._ctx,
                                             initializer=_init_worker, initargs=(self._queue, os.getpid()))
        return self._pool

    def run_tasks(self, out: OutputDir, spec: RunSpec, stage: int, tasks: list[Task]) -> list[dict[str, Any]]:
        keys = {t.index: f"stage{stage}-task{t.index:05d}" for t in tasks}
        results: dict[int, dict[str, Any]] = {}
        todo = []
        for t in tasks:
            if out.is_done(keys[t.index]):
                results[t.index] = out.load(keys[t.index])
                self.progress.task_done(results[t.index]["documents"], t.size if stage == 0 else 0)
            else:
                todo.append(t)
        if self.workers == 0:
            for t in todo:
                res = run_task(spec, stage, t, self.progress.advance, in_process=True)
                out.mark_done(keys[t.index], res)
                results[t.index] = res
                self.progress.task_done(0, 0)
        else:
            def submit(pool: ProcessPoolExecutor, t: Task) -> Future:
                return pool.submit(_pool_task, spec, stage, t)

            watchdog = Watchdog(spec.heartbeat_dir, spec.skips_dir, spec.doc_timeout)
            for t, res in self._drive(todo, submit, watchdog):
                out.mark_done(keys[t.index], res)
                results[t.index] = res
                self.progress.task_done(0, 0)
        return [results[t.index] for t in tasks]

    def run_reduce(self, out: OutputDir, index: int, step: GlobalStep, workdir: Path, n_tasks: int) -> list[dict]:
        counters: list[dict[str, Any]] = []
        for k, jobs in enumerate(step.reduce_stages(workdir, n_tasks)):
            todo = []
            for name, fn in jobs:
                key = f"reduce{index:02d}-{k}-{name}"
                if out.is_done(key):
                    counters.append(out.load(key))
                else:
                    todo.append((key, fn))
            if self.workers == 0:
                done = [(item, item[1]()) for item in todo]
            else:
                done = list(self._drive(todo, lambda pool, item: pool.submit(_pool_reduce, item[1])))
            for (key, _), res in done:
                out.mark_done(key, res)
                counters.append(res)
        return counters

    def _drive(self, items: list, submit, watchdog: Watchdog | None = None):
        """Run items on the pool, yielding (item, result) as they finish; survive a broken pool.

        A pool broken by the watchdog (it wrote a skip file) is expected and restarted
        freely; other deaths (out of memory, a crash) are retried a few times.
        """
        pending = list(items)
        restarts = 0
        skipped = watchdog.skip_count() if watchdog else 0
        while pending:
            pool = self.pool()
            futures = {submit(pool, item): item for item in pending}
            try:
                while futures:
                    done, _ = wait(list(futures), timeout=0.2, return_when=FIRST_COMPLETED)
                    self._drain()
                    if watchdog is not None:
                        watchdog.check()
                    for fut in done:
                        item = futures.pop(fut)
                        res = fut.result()
                        pending.remove(item)
                        yield item, res
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
                now_skipped = watchdog.skip_count() if watchdog else 0
                restarts += now_skipped == skipped
                skipped = now_skipped
                if restarts > _MAX_POOL_RESTARTS:
                    raise RuntimeError(
                        f"worker processes died {restarts} times (out of memory?): try fewer --workers"
                    ) from None
            self._drain()

    def _drain(self) -> None:
        if self._queue is None:
            return
        while True:
            try:
                docs, nbytes = self._queue.get_nowait()
            except queue_mod.Empty:
                return
            self.progress.advance(docs, nbytes)
