"""One executor interface, and the driver that runs a plan on any executor.

An executor runs what it is given and nothing else: the tasks of one stage
(`run_tasks`, each a call of execute/task.py's `run_task`) and the reduce jobs of a
whole-corpus step (`run_jobs`, picklable zero-argument callables). It yields each result
as it comes; the order is free. What is done is recorded by the driver, not the executor:
a done file per task or job, written in the output folder once the result is back, so
any executor resumes any other's run.

The local executor (execute/local.py) runs them on a pool of worker processes with a
per-document time limit; the Ray executor (execute/ray.py) as Ray tasks on a cluster, with the
same limit kept inside each Ray worker.
"""

from __future__ import annotations

import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from fruitstand.execute.plan import Plan
from fruitstand.execute.progress import Progress
from fruitstand.io.inputs import Task
from fruitstand.step import GlobalStep, Resources


class Executor(ABC):
    name: ClassVar[str] = ""

    def start(self, plan: Plan, progress: Progress) -> None:
        """Get ready to run `plan`'s tasks (start a pool, connect to a cluster)."""
        self.plan, self.progress = plan, progress

    def stop(self) -> None:
        """Release what `start` took; called even when the run fails."""
        return None

    def stage_done(self, stage: int) -> None:
        """Every task of `stage` is done (called on a resumed run too, so it must be idempotent)."""
        return None

    def gather(self) -> None:
        """Every task and job is done: bring into the driver's output folder what the manifest and
        the report read, where the tasks wrote it elsewhere (execute/exchange.py)."""
        return None

    def discard_docs(self) -> None:
        """The manifest is written: remove the documents stored between stages, where they are."""
        return None

    @abstractmethod
    def run_tasks(self, stage: int, tasks: list[Task], resources: Resources) -> Iterator[tuple[Task, dict[str, Any]]]:
        """Run `tasks` of `stage` (each process needing `resources`); yield (task, result) as each ends."""

    @abstractmethod
    def run_jobs(self, jobs: list[tuple[str, Callable[[], dict[str, int]]]]) -> Iterator[tuple[str, dict[str, int]]]:
        """Run reduce jobs (key, callable), all independent; yield (key, counters) as each ends."""


def execute(plan: Plan, executor: Executor, *, progress: bool | float = False,
            started: float | None = None) -> dict[str, Any]:
    """Run every stage of `plan` on `executor`, skipping what is done; write and return the manifest."""
    from fruitstand.execute.manifest import build_manifest
    from fruitstand.execute.outcome import write_tracebacks
    from fruitstand.io.writers import atomic_write_json

    started = time.perf_counter() if started is None else started
    out, spec = plan.output, plan.spec
    out.clean_partial(plan.identity["side_outputs"])
    shutil.rmtree(spec.state_dir / "side", ignore_errors=True)  # side files of tasks a kill cut short
    n_globals = plan.n_stages - 1
    bar = Progress(bool(progress), sum(t.size for t in plan.tasks), len(plan.tasks) * plan.n_stages,
                   every=None if isinstance(progress, bool) else float(progress))
    task_results: list[dict[str, Any]] = []
    reduce_results: dict[int, list[dict[str, Any]]] = {}
    bar.start()
    executor.start(plan, bar)
    try:
        for stage in range(plan.n_stages):
            keys = {t.index: task_key(stage, t.index) for t in plan.tasks}
            results: dict[int, dict[str, Any]] = {}
            todo = []
            recorded = out.done_keys()
            for t in plan.tasks:
                if keys[t.index] in recorded:
                    results[t.index] = out.load(keys[t.index])
                    bar.task_done(results[t.index]["documents"], t.size if stage == 0 else 0)
                else:
                    todo.append(t)
            if todo:
                for t, res in executor.run_tasks(stage, todo, plan.resources(stage)):
                    out.mark_done(keys[t.index], res)
                    results[t.index] = res
                    bar.task_done(0, 0)
            executor.stage_done(stage)
            task_results += [results[t.index] for t in plan.tasks]
            g = plan.global_step(stage)
            if g is not None:
                reduce_results[g] = _reduce(plan, executor, g)
        executor.gather()
    finally:
        executor.stop()
        bar.stop()
    workdirs = {g: spec.step_workdir(g) for g in spec.global_indices()}
    assert len(workdirs) == n_globals
    manifest = build_manifest(plan.identity, task_results, reduce_results, workdirs, time.perf_counter() - started,
                              executor=executor.name)
    for i, path in write_tracebacks(out.state, [s.kind for s in plan.steps], task_results).items():
        manifest["steps"][i]["tracebacks"] = path
    atomic_write_json(out.manifest_path, manifest)
    shutil.rmtree(out.state / "work" / "docs", ignore_errors=True)
    executor.discard_docs()
    _write_report(out.path)
    return manifest


def _write_report(path) -> None:
    """report.html and the dataset card, from the manifest and the statistics the tasks committed."""
    import sys

    from fruitstand.report import report

    try:
        report(path)
    except Exception as exc:  # the shards and manifest are in place: a report that fails must not undo the run
        print(f"fruitstand: warning: report.html not written ({type(exc).__name__}: {exc}); "
              f"`fruitstand report {path}` draws it again", file=sys.stderr)


def task_prefix(stage: int) -> str:
    """What the done keys of every task of `stage` start with."""
    return f"stage{stage}-task"


def task_key(stage: int, index: int) -> str:
    """The done key of task `index` of `stage`."""
    return f"{task_prefix(stage)}{index:05d}"


def job_prefix(index: int, stage: int | None = None) -> str:
    """What the done keys of the reduce jobs of global step `index` start with (of one reduce stage)."""
    return f"reduce{index:02d}-" + ("" if stage is None else f"{stage}-")


def job_key(index: int, stage: int, name: str) -> str:
    """The done key of reduce job `name` of reduce stage `stage` of global step `index`."""
    return job_prefix(index, stage) + name


def parse_job_key(key: str) -> tuple[int, int, str]:
    head, stage, name = key.split("-", 2)
    return int(head.removeprefix("reduce")), int(stage), name


def _reduce(plan: Plan, executor: Executor, index: int) -> list[dict[str, Any]]:
    step = plan.steps[index]
    assert isinstance(step, GlobalStep)
    out = plan.output
    counters: list[dict[str, Any]] = []
    for k, jobs in enumerate(step.reduce_stages(plan.spec.step_workdir(index), len(plan.tasks))):
        todo = []
        for name, fn in jobs:
            key = job_key(index, k, name)
            if out.is_done(key):
                counters.append(out.load(key))
            else:
                todo.append((key, fn))
        if todo:
            for key, res in executor.run_jobs(todo):
                out.mark_done(key, res)
                counters.append(res)
    return counters
