"""The local executor: tasks on a pool of worker processes, resumable after any kill.

`run()` plans the run (execute/plan.py: every check before any work starts), claims the
output folder and hands the plan to an executor (execute/executor.py). This one runs each
stage's tasks on N processes (spawned, so no thread or lock of the parent is copied). Its
policy is the per-document time limit (watchdog.py): a worker stuck on one document is
killed and its task re-run without it. A worker that dies otherwise (out of memory, a
crash in a C library) breaks the pool; the pool is started again and the unfinished tasks
are re-run, a bounded number of times. A stage whose steps declare resources (step.py
`Resources`) runs on as many processes as the machine holds copies of them.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing as mp
import os
import queue as queue_mod
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from fruitstand.execute.executor import Executor, execute
from fruitstand.execute.outcome import check_yield
from fruitstand.execute.plan import Plan, make_plan
from fruitstand.execute.progress import Progress
from fruitstand.execute.state import one_run_per_output
from fruitstand.execute.task import run_task
from fruitstand.execute.watchdog import Watchdog
from fruitstand.execute.worker import init_worker, pool_reduce, pool_task
from fruitstand.io import fs
from fruitstand.io.inputs import Task
from fruitstand.io.readers import ReadLimits
from fruitstand.recipe import Recipe
from fruitstand.registry import RecipeError
from fruitstand.step import Resources

_MAX_POOL_RESTARTS = 3


@one_run_per_output
def run(recipe: Recipe | str | os.PathLike | None = None, *, inputs: list[str | os.PathLike] | str,
        output: str | os.PathLike, workers: int | None = None, format: str = "parquet",
        overwrite: bool = False, shard_size_mb: float = 256, split_mb: float | None = None,
        limits: ReadLimits | None = None, doc_timeout: float = 60.0, progress: bool | float = False,
        executor: str | Executor = "local", address: str | None = None, limit: int | None = None,
        text_field: str | None = None, id_field: str | None = None, staging: str | None = None,
        nodes_share: str = "filesystem") -> dict[str, Any]:
    """Run `recipe` (default: the built-in one) over `inputs`, writing shards and a manifest to `output`.

    `workers`: worker processes (default: one per core); 0 runs everything in this process
    (for debugging: no per-document time limit then). `doc_timeout`: seconds one document
    may take before it is skipped as `doc_timeout`. `executor`: "local" or "ray" (`address`:
    the Ray cluster's, default a Ray started for this run), or an Executor. Inputs may be URLs
    and lists of files (io/inputs.py); `limit` keeps the first N files of such lists. `text_field`,
    `id_field`: the fields of JSONL and Parquet records holding the text and the id (`text`, `id`).
    `output` may be an object-store URL (s3://, gs://): the run happens in `staging` (a local
    folder, by default one under ~/.cache/fruitstand/staging/) and is published there once
    complete (io/publish.py). `nodes_share`: with the Ray executor, what the nodes share: "filesystem"
    (the output folder, or the staging folder of a URL output, on one every node reaches: checked)
    or "storage" (only the s3:// or gs:// output: each task reads what it needs from there and writes
    what it made there, in a folder of its own node; execute/exchange.py). `progress`: a bar on a terminal, else a line on stderr every few seconds (a number: every that
    many seconds). Raises `RecipeError` (one line, before any work) for a mistake in the recipe or
    options, `NoDocumentsError` when the run wrote no document (its manifest is written all the same).
    """
    started = time.perf_counter()
    if workers is not None and workers < 0:
        raise RecipeError(f"--workers {workers}: give 1 or more (0 runs in-process)")
    if not doc_timeout >= 0:
        raise RecipeError(f"doc_timeout = {doc_timeout}: give seconds per document (0 turns the limit off)")
    remote = str(output) if fs.is_url(output) else None
    storage = _check_nodes_share(nodes_share, remote, executor)
    if remote is not None:
        from fruitstand.io import publish

        output = publish.staging_for(remote, staging)
    plan = make_plan(recipe, inputs=inputs, output=output, format=format, shard_size_mb=shard_size_mb,
                     split_mb=split_mb, limits=limits, limit=limit,
                     text_field=text_field, id_field=id_field)
    runner = _executor(executor, workers, doc_timeout, address, remote if storage else None)
    if remote is not None:
        published = publish.check_target(remote, plan.identity["fingerprint"], overwrite=overwrite)
        if published is not None:
            return published
    status = plan.output.claim(plan.identity, overwrite=overwrite)
    if storage and status == "new":  # what an unfinished run left at the URL is not this run's
        publish.clear_run(remote, plan.identity["side_outputs"])
    if status == "finished":
        import json

        manifest = json.loads(plan.output.manifest_path.read_text())
    else:
        manifest = execute(plan, runner, progress=progress, started=started)
    if remote is not None:
        publish.publish(plan.output.path, remote, manifest, in_place=storage)
        for name in ("data", *manifest.get("side_outputs", {})):  # the published copy is the output now
            shutil.rmtree(plan.output.path / name, ignore_errors=True)
    check_yield(manifest, remote or output)
    return manifest


def _check_nodes_share(nodes_share: str, remote: str | None, executor: str | Executor) -> bool:
    """Whether the nodes share only object storage (the output URL); the options checked in one line."""
    if nodes_share == "filesystem":
        return False
    if nodes_share != "storage":
        raise RecipeError(f"--nodes-share {nodes_share!r}: use filesystem or storage")
    if remote is None or not fs.writable(remote):
        raise RecipeError("--nodes-share storage is for an object-store --output (s3://, gs://): give one, "
                          "or leave the option out for a folder on a shared filesystem")
    if executor != "ray":
        raise RecipeError("--nodes-share storage is for --executor ray: add it, or leave the option out")
    return True


def _executor(executor: str | Executor, workers: int | None, doc_timeout: float, address: str | None,
              storage: str | None = None) -> Executor:
    if isinstance(executor, Executor):
        return executor
    if executor == "local":
        if address is not None:
            raise RecipeError("--address is for --executor ray: leave it out, or add --executor ray")
        return LocalExecutor(workers, doc_timeout=doc_timeout)
    if executor == "ray":
        from fruitstand.execute.ray import RayExecutor

        return RayExecutor(address, workers=workers, doc_timeout=doc_timeout, storage=storage)
    raise RecipeError(f"unknown --executor {executor!r}: use local or ray")


class LocalExecutor(Executor):
    """Tasks on `workers` processes of this machine (0: in this process, no time limit)."""

    name = "local"

    def __init__(self, workers: int | None = None, *, doc_timeout: float = 60.0):
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.doc_timeout = doc_timeout
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0
        self._queue: Any = None

    def start(self, plan: Plan, progress: Progress) -> None:
        super().start(plan, progress)
        self.spec = dataclasses.replace(plan.spec, doc_timeout=self.doc_timeout if self.workers > 0 else 0)
        shutil.rmtree(self.spec.heartbeat_dir, ignore_errors=True)  # a killed run's workers are gone
        self._ctx = mp.get_context("spawn")
        self._queue = self._ctx.Queue() if self.workers > 0 else None

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def processes(self, need: Resources) -> int:
        """Worker processes for a stage whose steps need `need` each."""
        n = self.workers
        if need.cpus > 1:
            n = min(n, max(1, int((os.cpu_count() or 1) // need.cpus)))
        if need.memory_gb > 0:
            n = min(n, max(1, int(_memory_gb() * 0.8 // need.memory_gb)))
        if need.gpus > 0:
            n = min(n, max(1, int(_gpus() // need.gpus)))
        return n

    def pool(self, size: int) -> ProcessPoolExecutor:
        if self._pool is not None and self._size != size:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._pool is None:
            self._pool = ProcessPoolExecutor(size, mp_context=self._ctx, initializer=init_worker,
                                             initargs=(self._queue, os.getpid()))
            self._size = size
        return self._pool

    def run_tasks(self, stage: int, tasks: list[Task], resources: Resources) -> Iterator[tuple[Task, dict[str, Any]]]:
        spec = self.spec
        if self.workers == 0:
            for t in tasks:
                yield t, run_task(spec, stage, t, self.progress.advance, in_process=True)
            return

        def submit(pool: ProcessPoolExecutor, t: Task) -> Future:
            return pool.submit(pool_task, spec, stage, t)

        watchdog = Watchdog(spec.heartbeat_dir, spec.skips_dir, spec.doc_timeout)
        yield from self._drive(tasks, submit, self.processes(resources), watchdog)

    def run_jobs(self, jobs: list[tuple[str, Callable[[], dict[str, int]]]]) -> Iterator[tuple[str, dict[str, int]]]:
        if self.workers == 0:
            for key, fn in jobs:
                yield key, fn()
            return
        for (key, _), res in self._drive(jobs, lambda pool, item: pool.submit(pool_reduce, item[1]), self.workers):
            yield key, res

    def _drive(self, items: list, submit, size: int, watchdog: Watchdog | None = None):
        """Run items on the pool, yielding (item, result) as they finish; survive a broken pool.

        A pool broken by the watchdog (it wrote a skip file) is expected and restarted
        freely; other deaths (out of memory, a crash) are retried a few times.
        """
        pending = {id(item): item for item in items}  # in order; removal by key, not a list scan
        restarts = 0
        skipped = watchdog.skip_count() if watchdog else 0
        window = 4 * size  # submitted ahead: enough to keep every worker fed, cheap to start
        while pending:
            pool = self.pool(size)
            queued = iter(list(pending.values()))
            futures = {}
            try:
                for item in itertools.islice(queued, window):
                    futures[submit(pool, item)] = item
                while futures:
                    done, _ = wait(list(futures), timeout=0.2, return_when=FIRST_COMPLETED)
                    self._drain()
                    if watchdog is not None:
                        watchdog.check()
                    for fut in done:
                        item = futures.pop(fut)
                        res = fut.result()
                        del pending[id(item)]
                        for nxt in itertools.islice(queued, 1):
                            futures[submit(pool, nxt)] = nxt
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


def _memory_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    except (ValueError, OSError, AttributeError):
        return 8.0


def _gpus() -> int:
    """GPUs this process may use: CUDA_VISIBLE_DEVICES, else the devices the driver lists."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    try:
        return len([d for d in os.listdir("/dev") if d.startswith("nvidia") and d[6:].isdigit()])
    except OSError:
        return 0
