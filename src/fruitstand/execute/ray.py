"""The Ray executor: a plan's tasks and reduce jobs as Ray tasks, on one machine or a cluster.

Each task is execute/task.py's `run_task`, the same function the local pool runs, so the
output is byte-identical to the local executor's. What moves through Ray's object store is
small: the task description in, its counters out; documents go from the input to files in
the output folder, which every node must reach (a shared filesystem; checked before the first
task, `check_shared`, so a folder one node does not see is one line, not missing documents). A task whose worker
process or node dies is retried by Ray (`max_retries`), and writes the same files again; the
driver records each finished task in the output folder, so a stopped run resumes with any
executor.

Resources: each task asks for what its stage's steps declare (step.py `Resources`: CPUs,
memory, GPUs), so a stage with a GPU model runs only where GPUs are, as many at once as
there are.

The per-document time limit is the local executor's policy, kept the same way: the Ray
worker does not run the task itself but hands it to a child process of its own (spawned
once per Ray worker, so the models stay loaded across tasks) and watches the child's
heartbeat (watchdog.py) from a folder of its own machine. A child stuck on one document
past the limit is killed, the document written to its task's skip file, and the task run
again in a fresh child, which skips it and counts it as `doc_timeout`: the same files and
counters as a local run. A child that dies otherwise (out of memory, a crash) fails the
Ray task with `WorkerDied`, which Ray retries like a lost worker.

With no address, a Ray is started for the run on this machine, bound to 127.0.0.1 and with
its temporary folder (logs, object spill files) removed at the end.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import multiprocessing as mp
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from fruitstand.execute.executor import Executor
from fruitstand.execute.plan import Plan
from fruitstand.execute.progress import Progress
from fruitstand.execute.task import RunSpec, run_task
from fruitstand.execute.watchdog import Watchdog
from fruitstand.io.inputs import Task
from fruitstand.registry import RecipeError
from fruitstand.step import Resources

# Retries of a task whose worker or node died; a task is idempotent, so more is only slower.
MAX_RETRIES = 5


class WorkerDied(RuntimeError):
    """The child process running a task died, not killed by the time limit: Ray retries the task."""


def _task(spec: RunSpec, stage: int, task: Task) -> dict[str, Any]:
    import ray

    res = _watched(spec, stage, task) if spec.doc_timeout > 0 else run_task(spec, stage, task)
    return {**res, "node": ray.util.get_node_ip_address()}


# In each Ray worker process: the child that runs its tasks, and the folder of its heartbeats.
_child: ProcessPoolExecutor | None = None
_beats: str | None = None


def _beat_folder() -> str:
    """This Ray worker's folder of heartbeats, on its own machine; those of workers gone are removed
    (Ray ends its workers with SIGKILL: no exit handler of theirs runs)."""
    root = Path(tempfile.gettempdir()) / "fruitstand-beats"
    root.mkdir(exist_ok=True)
    for old in root.iterdir():
        if old.name.isdigit() and not _alive(int(old.name)):
            shutil.rmtree(old, ignore_errors=True)
    mine = root / str(os.getpid())
    mine.mkdir(exist_ok=True)
    atexit.register(shutil.rmtree, mine, True)
    return str(mine)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watched(spec: RunSpec, stage: int, task: Task) -> dict[str, Any]:
    """Run the task in this worker's child process, under the per-document time limit."""
    global _child, _beats
    from fruitstand.execute.local import _init_worker

    if _beats is None:
        _beats = _beat_folder()
    spec = dataclasses.replace(spec, beats=_beats)
    watchdog = Watchdog(spec.heartbeat_dir, spec.skips_dir, spec.doc_timeout)
    while True:
        if _child is None:
            _child = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                         initargs=(None, os.getpid()))
        future = _child.submit(run_task, spec, stage, task)
        killed = 0
        try:
            while True:
                try:
                    return future.result(timeout=0.2)
                except FutureTimeout:
                    killed += watchdog.check()
        except BrokenProcessPool:
            _child.shutdown(wait=False, cancel_futures=True)
            _child = None
            if not killed:
                raise WorkerDied(f"the process running task {task.index} of stage {stage} died "
                                 "(out of memory? a crash in a C library?)") from None


def _job(fn: Callable[[], dict[str, int]]) -> dict[str, int]:
    return fn()


def _sees(path: str, token: str) -> bool:
    """On one node: does the file the driver wrote at `path` hold `token` here too?"""
    try:
        with open(path) as fh:
            return fh.read() == token
    except OSError:
        return False


def check_shared(folder: os.PathLike | str, timeout: float = 120.0) -> None:
    """Refuse a run whose output folder some node of the cluster does not see (it is not on a
    shared filesystem): its tasks' files would be missing from the output, and the later stages
    would read nothing where that node's documents were. One tiny task per alive node."""
    import secrets

    import ray
    from ray.exceptions import RayError
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU")]
    if len(nodes) < 2:
        return
    token = secrets.token_hex(16)
    probe = Path(folder) / f".fruitstand-probe-{token}"
    probe.parent.mkdir(parents=True, exist_ok=True)
    probe.write_text(token)
    try:
        sees = ray.remote(_sees)
        refs = {n["NodeManagerAddress"]: sees.options(
            num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(
            str(probe), token) for n in nodes}
        blind = []
        for address, ref in refs.items():
            try:
                if not ray.get(ref, timeout=timeout):
                    blind.append(address)
            except RayError:  # a node too slow to answer, or gone since it was listed, is not a blind one
                pass
    finally:
        probe.unlink(missing_ok=True)
    if blind:
        raise RecipeError(f"the output folder {folder} is not on a filesystem every Ray node reaches (not seen from "
                          f"{', '.join(sorted(blind))}): put --output (or --staging, for an s3:// or gs:// output) "
                          "on a shared filesystem such as NFS")


@contextlib.contextmanager
def _env(**values: str):
    """Environment variables for the Ray processes started here, restored afterwards."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, address: str | None = None, *, workers: int | None = None, in_flight: int | None = None,
                 doc_timeout: float = 60.0):
        try:
            import ray  # noqa: F401
        except ImportError:
            raise RecipeError("--executor ray needs Ray: pip install 'fruitstand[ray]'") from None
        self.address = address
        self.workers = workers
        self.in_flight = in_flight
        self.doc_timeout = doc_timeout
        self._started = False
        self._temp: str | None = None

    def start(self, plan: Plan, progress: Progress) -> None:
        import ray

        super().start(plan, progress)
        self.spec = dataclasses.replace(plan.spec, doc_timeout=self.doc_timeout)
        if not ray.is_initialized():
            if self.address:
                try:
                    ray.init(address=self.address, configure_logging=False, log_to_driver=False)
                except (ConnectionError, RuntimeError, ValueError) as exc:
                    raise RecipeError(f"can't reach the Ray cluster at {self.address}: {exc} "
                                      "(is `ray start --head` running there?)") from None
            else:
                self._temp = tempfile.mkdtemp(prefix="fruitstand-ray-")
                with _env(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_USAGE_STATS_ENABLED="0"):
                    ray.init(address="local", num_cpus=self.workers or os.cpu_count() or 1, include_dashboard=False,
                             _node_ip_address="127.0.0.1", _temp_dir=self._temp, configure_logging=False,
                             log_to_driver=False)
            self._started = True
        try:
            check_shared(plan.output.path)
        except BaseException:
            self.stop()
            raise
        self._run = ray.remote(_task)
        self._reduce = ray.remote(_job)

    def stop(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None

    def _window(self) -> int:
        import ray

        if self.in_flight:
            return self.in_flight
        return max(4, 2 * int(ray.cluster_resources().get("CPU", 1)))

    def _options(self, need: Resources) -> dict[str, Any]:
        opts: dict[str, Any] = {"num_cpus": need.cpus, "max_retries": MAX_RETRIES, "retry_exceptions": [WorkerDied]}
        if need.gpus:
            opts["num_gpus"] = need.gpus
        if need.memory_gb:
            opts["memory"] = int(need.memory_gb * (1 << 30))
        return opts

    def run_tasks(self, stage: int, tasks: list[Task], resources: Resources) -> Iterator[tuple[Task, dict[str, Any]]]:
        remote = self._run.options(**self._options(resources))
        for t, res in self._drive(tasks, lambda t: remote.remote(self.spec, stage, t)):
            self.progress.advance(res["documents"] if stage == 0 else 0, t.size if stage == 0 else 0)
            yield t, res

    def run_jobs(self, jobs: list[tuple[str, Callable[[], dict[str, int]]]]) -> Iterator[tuple[str, dict[str, int]]]:
        remote = self._reduce.options(max_retries=MAX_RETRIES, retry_exceptions=False)
        for (key, _), res in self._drive(jobs, lambda job: remote.remote(job[1])):
            yield key, res

    def _drive(self, items: list, submit) -> Iterator[tuple[Any, Any]]:
        """Keep a window of items running; yield (item, result) as each ends."""
        import ray
        from ray.exceptions import RayTaskError

        pending = list(reversed(items))
        running: dict[Any, Any] = {}
        window = self._window()
        while pending or running:
            while pending and len(running) < window:
                item = pending.pop()
                running[submit(item)] = item
            ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
            for ref in ready:
                item = running.pop(ref)
                try:
                    res = ray.get(ref)
                except RayTaskError as exc:  # the task's own error (an input changed, a bug): one line
                    cause = getattr(exc, "cause", None)
                    if isinstance(cause, BaseException):
                        raise cause from None
                    raise
                yield item, res
