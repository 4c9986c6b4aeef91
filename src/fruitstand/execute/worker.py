"""What runs in a worker process of the local pool, and in the Ray executor's child processes.

Both executors start their processes with `init_worker` (spawned, so nothing of the parent's
threads or locks is copied): it ties the worker's life to its parent's, tunes the allocators
before the first task (execute/memory.py), leaves pyarrow's cloud filesystems unloaded until one
is used (io/cloudfs.py) and ends the process without interpreter teardown.
`pool_task` and `pool_reduce` are the local pool's entry points; progress goes back on the
queue `init_worker` was given (none in Ray's children, whose driver counts results instead).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from typing import Any

from fruitstand.execute.memory import tune_allocators
from fruitstand.execute.orphan import die_with_parent
from fruitstand.execute.task import RunSpec, run_task
from fruitstand.io import cloudfs
from fruitstand.io.inputs import Task

_queue: Any = None


def init_worker(q: Any, parent: int) -> None:
    global _queue
    _queue = q
    die_with_parent(parent)
    tune_allocators()
    cloudfs.defer()
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


def pool_task(spec: RunSpec, stage: int, task: Task) -> dict[str, Any]:
    return run_task(spec, stage, task, _report)


def pool_reduce(job) -> dict[str, int]:
    return job()
