"""Worker processes die with their parent, however the parent dies.

A SIGKILLed parent runs no clean-up, and a pool's workers would go on (each holding its
models: some 330 MB) until their current task ends, or forever if blocked on the task queue.
Two guards, set in each worker as it starts:

- Linux's `prctl(PR_SET_PDEATHSIG, SIGKILL)`: the kernel kills the worker when the thread
  that started it exits; the executor starts its pools from the thread that calls `run`,
  which outlives the pool;
- where that is missing (macOS, or a libc without prctl), a daemon thread that checks once a
  second whether the parent is still the one that started the worker.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Make this process end when process `parent` (its parent) ends."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the guard was set
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="fruitstand-parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    stop = threading.Event()
    while not stop.wait(1.0):
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
