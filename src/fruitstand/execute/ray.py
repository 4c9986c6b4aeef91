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

Nodes that share no filesystem (`storage`, `--nodes-share storage`, an s3:// or gs:// output): every
task, reduce job and report completion runs in a folder of its own node, filled from the output URL
with what it reads and emptied back into it with what it wrote (execute/exchange.py); the driver
records what each pushed and tells the next units what to pull. The check before the first task is
then that every node can read an object the driver wrote there (`check_reaches`).

With no address, a Ray is started for the run on this machine, bound to 127.0.0.1 and with
its temporary folder (logs, object spill files) removed at the end.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import json
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

from fruitstand.execute.exchange import Exchange, alive
from fruitstand.execute.executor import Executor, job_prefix, parse_job_key, task_key, task_prefix
from fruitstand.execute.plan import Plan
from fruitstand.execute.progress import Progress
from fruitstand.execute.task import RunSpec, run_task, sketch_path
from fruitstand.execute.watchdog import Watchdog, skip_path
from fruitstand.execute.worker import init_worker
from fruitstand.io.inputs import Task
from fruitstand.io.side import SAMPLES, run_part
from fruitstand.registry import RecipeError
from fruitstand.step import GlobalStep, Resources

# Retries of a task whose worker or node died; a task is idempotent, so more is only slower.
MAX_RETRIES = 5


class WorkerDied(RuntimeError):
    """The child process running a task died, not killed by the time limit: Ray retries the task."""


def _task(spec: RunSpec, stage: int, task: Task, exchange: Exchange | None = None,
          common: dict[str, int] | None = None, own: dict[str, int] | None = None) -> dict[str, Any]:
    import ray

    if exchange is not None:
        res = _task_in_unit(spec, stage, task, exchange, {**(common or {}), **(own or {})})
    else:
        res = _watched(spec, stage, task) if spec.doc_timeout > 0 else run_task(spec, stage, task)
    return {**res, "node": ray.util.get_node_ip_address()}


def _task_in_unit(spec: RunSpec, stage: int, task: Task, exchange: Exchange, pull: dict[str, int]) -> dict[str, Any]:
    """The task in a folder of this node's own, filled from the output URL and emptied back into it
    (execute/exchange.py); its skip file goes up as soon as the watchdog writes it, so an attempt on
    another node skips the same documents."""
    with exchange.unit() as unit:
        unit.pull(pull)
        spec = dataclasses.replace(spec, output=str(unit.path))
        skips = skip_path(spec.skips_dir, stage, task.index).relative_to(unit.path).as_posix()
        unit.pull_if_there(skips)
        if spec.doc_timeout > 0:
            res = _watched(spec, stage, task, on_skip=lambda: unit.push([skips]))
        else:
            res = run_task(spec, stage, task)
        # The report's statistics go to the driver with the counters (one object per task fewer, and no
        # listing of them all at the end); the rest goes up to the bucket.
        sketch = sketch_path(spec, stage, task.index)
        res["sketch"] = sketch.read_bytes()
        sketch.unlink()
        # Its sampled documents go up with its other side outputs, and to the driver too: the driver
        # draws report.html on its own disk.
        samples = Path(unit.path) / SAMPLES / f"{run_part(stage, task.index)}.jsonl"
        if samples.exists():
            res["samples"] = samples.read_bytes()
        res["exchange"] = unit.report()
    return res


def _job_in_unit(spec: RunSpec, exchange: Exchange, index: int, stage: int | None, name: str,
                 pull: dict[str, int]) -> dict[str, Any]:
    """Reduce job `name` of reduce stage `stage` of global step `index` (stage None: the step's
    `complete`, after its filter ran everywhere), in a folder of this node's own."""
    from fruitstand.registry import make_step

    with exchange.unit() as unit:
        unit.pull(pull)
        work = dataclasses.replace(spec, output=str(unit.path)).step_workdir(index)
        work.mkdir(parents=True, exist_ok=True)
        step = make_step(spec.steps[index])
        assert isinstance(step, GlobalStep)
        if stage is None:
            step.complete(work)
            counters: dict[str, int] = {}
        else:
            counters = dict(step.reduce_stages(work, spec.n_tasks)[stage])[name]()
        return {"counters": counters, "exchange": unit.report()}


# In each Ray worker process: the child that runs its tasks, and the folder of its heartbeats.
_child: ProcessPoolExecutor | None = None
_beats: str | None = None


def _beat_folder() -> str:
    """This Ray worker's folder of heartbeats, on its own machine; those of workers gone are removed
    (Ray ends its workers with SIGKILL: no exit handler of theirs runs)."""
    root = Path(tempfile.gettempdir()) / "fruitstand-beats"
    root.mkdir(exist_ok=True)
    for old in root.iterdir():
        if old.name.isdigit() and not alive(int(old.name)):
            shutil.rmtree(old, ignore_errors=True)
    mine = root / str(os.getpid())
    mine.mkdir(exist_ok=True)
    atexit.register(shutil.rmtree, mine, True)
    return str(mine)


def _watched(spec: RunSpec, stage: int, task: Task, on_skip: Callable[[], None] | None = None) -> dict[str, Any]:
    """Run the task in this worker's child process, under the per-document time limit."""
    global _child, _beats
    if _beats is None:
        _beats = _beat_folder()
    spec = dataclasses.replace(spec, beats=_beats)
    watchdog = Watchdog(spec.heartbeat_dir, spec.skips_dir, spec.doc_timeout)
    while True:
        if _child is None:
            _child = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=init_worker,
                                         initargs=(None, os.getpid()))
        future = _child.submit(run_task, spec, stage, task)
        killed = 0
        try:
            while True:
                try:
                    return future.result(timeout=0.2)
                except FutureTimeout:
                    now = watchdog.check()
                    if now and on_skip is not None:
                        on_skip()
                    killed += now
        except BrokenProcessPool:
            _child.shutdown(wait=False, cancel_futures=True)
            _child = None
            if not killed:
                raise WorkerDied(f"the process running task {task.index} of stage {stage} died "
                                 "(out of memory? a crash in a C library?)") from None


def _job(fn: Callable[[], dict[str, int]]) -> dict[str, int]:
    return fn()


def _forget(exchange: Exchange) -> None:
    exchange.forget()


def _sees(path: str, token: str) -> bool:
    """On one node: does the file the driver wrote at `path` hold `token` here too?"""
    try:
        with open(path) as fh:
            return fh.read() == token
    except OSError:
        return False


def _alive_nodes() -> list[dict[str, Any]]:
    import ray

    return [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU")]


def _ask_nodes(fn: Callable[..., Any], *args: Any, timeout: float = 120.0) -> dict[str, Any]:
    """fn(*args) once on every alive node: its answer by node address (a node too slow to answer,
    or gone since it was listed, is left out)."""
    import ray
    from ray.exceptions import RayError
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    remote = ray.remote(fn)
    refs = {n["NodeManagerAddress"]: remote.options(
        num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(*args)
        for n in _alive_nodes()}
    answers = {}
    for address, ref in refs.items():
        try:
            answers[address] = ray.get(ref, timeout=timeout)
        except RayError:
            pass
    return answers


def check_shared(folder: os.PathLike | str, timeout: float = 120.0) -> None:
    """Refuse a run whose output folder some node of the cluster does not see (it is not on a
    shared filesystem): its tasks' files would be missing from the output, and the later stages
    would read nothing where that node's documents were. One tiny task per alive node."""
    import secrets

    if len(_alive_nodes()) < 2:
        return
    token = secrets.token_hex(16)
    probe = Path(folder) / f".fruitstand-probe-{token}"
    probe.parent.mkdir(parents=True, exist_ok=True)
    probe.write_text(token)
    try:
        answers = _ask_nodes(_sees, str(probe), token, timeout=timeout)
    finally:
        probe.unlink(missing_ok=True)
    blind = [address for address, seen in answers.items() if not seen]
    if blind:
        raise RecipeError(f"the output folder {folder} is not on a filesystem every Ray node reaches (not seen from "
                          f"{', '.join(sorted(blind))}): put --output (or --staging, for an s3:// or gs:// output) "
                          "on a shared filesystem such as NFS, or, with an s3:// or gs:// --output, pass "
                          "--nodes-share storage")


def _reads(url: str, token: str) -> str:
    """On one node: '' if the object at `url` holds `token` here, else why not."""
    from fruitstand.io import fs

    try:
        return "" if fs.read_bytes(url) == token.encode() else "it holds other bytes"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer: credentials, endpoint, network
        return f"{type(exc).__name__}: {str(exc)[:200]}"


def check_reaches(url: str, timeout: float = 120.0) -> None:
    """Refuse a run whose output URL some node can't read (credentials, endpoint): one object written
    by the driver, read by one tiny task per alive node."""
    import secrets
    import tempfile as tf

    from fruitstand.io import fs

    token = secrets.token_hex(16)
    probe = url.rstrip("/") + f"/.fruitstand-probe-{token}"
    with tf.NamedTemporaryFile("w", suffix=".probe") as fh:
        fh.write(token)
        fh.flush()
        try:
            fs.upload(fh.name, probe)
        except Exception as exc:  # noqa: BLE001
            raise RecipeError(f"can't write to --output {url} ({type(exc).__name__}: {str(exc)[:200]}): check the "
                              "credentials and endpoint in the environment (AWS_*, ~/.aws/)") from None
    try:
        answers = _ask_nodes(_reads, probe, token, timeout=timeout)
    finally:
        fs.delete(probe)
    blind = {address: why for address, why in answers.items() if why}
    if blind:
        address, why = sorted(blind.items())[0]
        raise RecipeError(f"the output {url} can't be read from Ray node{'s' if len(blind) > 1 else ''} "
                          f"{', '.join(sorted(blind))} ({why}): give every node the credentials and endpoint "
                          "in its own environment (AWS_*, ~/.aws/, an instance role) before `ray start`")


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
                 doc_timeout: float = 60.0, storage: str | None = None):
        """`storage`: the output URL, when the nodes share only it (execute/exchange.py), not a filesystem."""
        try:
            import ray  # noqa: F401
        except ImportError:
            raise RecipeError("--executor ray needs Ray: pip install 'fruitstand[ray]'") from None
        self.address = address
        self.workers = workers
        self.in_flight = in_flight
        self.doc_timeout = doc_timeout
        self.storage = storage
        self.exchange: Exchange | None = None
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
            if self.storage:
                check_reaches(self.storage)
            else:
                check_shared(plan.output.path)
        except BaseException:
            self.stop()
            raise
        self._run = ray.remote(_task)
        self._reduce = ray.remote(_job)
        if self.storage:
            # The node caches are named by the run and the code's versions: a file cached by another is never used.
            run = hashlib.sha256(json.dumps([plan.identity["fingerprint"], plan.identity["versions"]],
                                            sort_keys=True).encode()).hexdigest()[:16]
            self.exchange = Exchange(self.storage, run)
            self._unit_job = ray.remote(_job_in_unit)
            self._records = plan.spec.state_dir / "exchange"
            self._records.mkdir(parents=True, exist_ok=True)
            self._pushed = {p.name[:-5]: json.loads(p.read_bytes())["pushed"] for p in self._records.glob("*.json")}

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
        if self.exchange is None:
            def submit(t: Task):
                return remote.remote(self.spec, stage, t)
        else:
            import ray

            # What every task of the stage reads: what the reduce jobs before it wrote; and its own documents.
            common = ray.put(self._recorded(lambda k: k.startswith(job_prefix(self._before(stage))))
                             if stage > 0 else {})
            docs = self._rel(self.spec.docs_dir(stage - 1)) if stage > 0 else None

            def submit(t: Task):
                mine = self._pushed.get(task_key(stage - 1, t.index), {}) if docs else {}
                own = {rel: size for rel, size in mine.items() if rel.startswith(docs + "/")}
                return remote.remote(self.spec, stage, t, self.exchange, common, own)
        for t, res in self._drive(tasks, submit):
            if self.exchange is not None:
                from fruitstand.io.writers import atomic_write_bytes

                sketch = sketch_path(self.spec, stage, t.index)
                sketch.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(sketch, res.pop("sketch"))
                if "samples" in res:
                    mine = Path(self.spec.output) / SAMPLES / f"{run_part(stage, t.index)}.jsonl"
                    mine.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_bytes(mine, res.pop("samples"))
                self._record(task_key(stage, t.index), res.pop("exchange"))
            self.progress.advance(res["documents"] if stage == 0 else 0, t.size if stage == 0 else 0)
            yield t, res

    def run_jobs(self, jobs: list[tuple[str, Callable[[], dict[str, int]]]]) -> Iterator[tuple[str, dict[str, int]]]:
        if self.exchange is None:
            remote = self._reduce.options(max_retries=MAX_RETRIES, retry_exceptions=False)
            for (key, _), res in self._drive(jobs, lambda job: remote.remote(job[1])):
                yield key, res
            return
        import ray

        remote = self._unit_job.options(max_retries=MAX_RETRIES, retry_exceptions=False)
        pulls: dict[tuple[int, int], Any] = {}

        def submit(job):
            index, stage, name = parse_job_key(job[0])
            if (index, stage) not in pulls:  # the map's files of this step, and what its earlier reduce stages wrote
                map_stage = self.spec.global_indices().index(index)
                work = self._rel(self.spec.step_workdir(index))
                earlier = tuple(job_prefix(index, k) for k in range(stage))
                pulls[index, stage] = ray.put({
                    **self._recorded(lambda k: k.startswith(task_prefix(map_stage)), work),
                    **self._recorded(lambda k: k.startswith(earlier))})
            return remote.remote(self.spec, self.exchange, index, stage, name, pulls[index, stage])

        for (key, _), res in self._drive(jobs, submit):
            self._record(key, res["exchange"])
            yield key, res["counters"]

    def stage_done(self, stage: int) -> None:
        """With only object storage shared: the whole-corpus step whose filter this stage ran completes
        what its tasks would have completed together in one folder (the dedup report's pairs)."""
        if self.exchange is None or stage == 0:
            return
        index = self._before(stage)
        if type(self.plan.steps[index]).complete is GlobalStep.complete:
            return
        key = f"complete{index:02d}"
        work = self._rel(self.spec.step_workdir(index))
        pull = {**self._recorded(lambda k: k.startswith(job_prefix(index))),
                **self._recorded(lambda k: k.startswith(task_prefix(stage)), work)}
        remote = self._unit_job.options(max_retries=MAX_RETRIES, retry_exceptions=False)
        for _, res in self._drive([key], lambda _: remote.remote(self.spec, self.exchange, index, None, key, pull)):
            self._record(key, res["exchange"])

    def gather(self) -> None:
        """With only object storage shared: the steps' reports, for the manifest (the tasks' statistics for
        report.html came back with their counters); then this run's cache on every node is removed."""
        if self.exchange is None:
            return
        from fruitstand.io import fs

        for index in self.spec.global_indices():
            local = self.spec.step_workdir(index) / "report.json"
            local.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                fs.download(self.exchange.key(self._rel(local)), local)
        _ask_nodes(_forget, self.exchange)

    def discard_docs(self) -> None:
        if self.exchange is not None:
            from fruitstand.io import fs

            fs.delete(self.exchange.key(self._rel(self.spec.state_dir / "work" / "docs")))

    # --- the driver's records of what each unit pushed (execute/exchange.py) ---

    def _before(self, stage: int) -> int:
        """The whole-corpus step whose filter runs in `stage` (> 0)."""
        return self.spec.global_indices()[stage - 1]

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.spec.output).as_posix()

    def _record(self, key: str, moved: dict[str, Any]) -> None:
        from fruitstand.io.writers import atomic_write_json

        atomic_write_json(self._records / f"{key}.json", moved)  # before the driver records the unit done
        self._pushed[key] = moved["pushed"]

    def _recorded(self, which: Callable[[str], bool], under: str | None = None) -> dict[str, int]:
        """The files the units chosen by `which` pushed (only those under folder `under`)."""
        out: dict[str, int] = {}
        for key in sorted(self._pushed):
            if which(key):
                for rel, size in self._pushed[key].items():
                    if under is None or rel.startswith(under + "/"):
                        out[rel] = size
        return out

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
