"""A per-call time limit for pure-Python work (trafilatura) that costs nothing per call.

trafilatura has no time limit of its own, and a pathological page can keep it busy for
minutes. resiliparse's `time_guard` starts and joins a thread per use (about 0.5 s each
here), and signals work in the main thread only. Instead one daemon thread per process
watches the current call's deadline and, once it passes, raises `DeadlineExceeded` in the
calling thread with `PyThreadState_SetAsyncExc`. Python delivers it at the next bytecode,
so a long C call (an lxml parse) finishes first: the limit bounds Python loops, not C.

The watcher clears the job it fires on under the same lock the caller takes to clear it,
so an exception can only land inside `call`, never in the code that runs after it.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DeadlineExceeded(Exception):
    pass


class Deadline:
    def __init__(self, poll_s: float = 0.05):
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._job: tuple[int, float] | None = None
        self._thread: threading.Thread | None = None

    def call(self, fn: Callable[[], T], seconds: float) -> T:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="fruitstand-deadline", daemon=True)
            self._thread.start()
        with self._lock:
            self._job = (threading.get_ident(), time.monotonic() + seconds)
        try:
            return fn()
        finally:
            with self._lock:
                self._job = None

    def _watch(self) -> None:
        while True:
            time.sleep(self._poll_s)
            with self._lock:
                job = self._job
                if job is not None and time.monotonic() > job[1]:
                    self._job = None
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(
                        ctypes.c_ulong(job[0]), ctypes.py_object(DeadlineExceeded)
                    )

    # A step pickles as its parameters: the watcher thread and its lock stay behind.
    def __getstate__(self) -> dict:
        return {"poll_s": self._poll_s}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["poll_s"])
