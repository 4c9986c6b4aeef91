"""Progress: a live bar on a terminal, a line every few seconds on stderr everywhere else.

Where no one watches a bar live (output to a file or a pipe, as under a scheduler or in CI),
a plain line goes to stderr every `every` seconds: documents, input MB done of the total,
rate and time left, so a batch job's log shows it is alive and how long it has to go; the last
line says what the whole run did. Plain lines need no rich (0.1 s of the parent's CPU before
the first worker starts). `show = False` (`--quiet`) prints nothing.
"""

from __future__ import annotations

import sys
import threading
import time

# Seconds between two progress lines when stdout is not a terminal (`--verbose`: 1).
EVERY = 5.0


def _clock(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Progress:
    def __init__(self, show: bool, total_bytes: int, total_tasks: int, *, every: float | None = None):
        self.show = show
        self.total_bytes = total_bytes
        self.total_tasks = total_tasks
        self.every = EVERY if every is None else every
        self.docs = 0
        self.bytes = 0
        self._bar = None
        self._id = None
        self._tasks_done = 0
        self._started: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.show:
            return
        if not (sys.stdout.isatty() or "ipykernel" in sys.modules):  # where rich draws live
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._lines, name="fruitstand-progress", daemon=True)
            self._thread.start()
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TextColumn("{task.fields[docs]:,} docs"), TextColumn("{task.fields[tasks]}"),
            TimeElapsedColumn(), TimeRemainingColumn(), transient=False,
        )
        self._bar.start()
        self._id = self._bar.add_task("fruitstand", total=max(self.total_bytes, 1), docs=0,
                                      tasks=f"0/{self.total_tasks} tasks")

    def advance(self, docs: int, nbytes: int) -> None:
        self.docs += docs
        self.bytes += nbytes
        if self._bar is not None:
            self._bar.update(self._id, advance=nbytes, docs=self.docs)

    def task_done(self, docs: int, nbytes: int) -> None:
        self._tasks_done += 1
        self.docs += docs
        self.bytes += nbytes
        if self._bar is not None:
            self._bar.update(self._id, advance=nbytes, docs=self.docs,
                             tasks=f"{self._tasks_done}/{self.total_tasks} tasks")

    def line(self) -> str:
        """One progress line: documents, MB done of the total, rate, tasks, time left."""
        elapsed = time.monotonic() - (self._started or time.monotonic())
        done = min(self.bytes, self.total_bytes)
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.total_bytes - done) / rate if rate > 0 else None
        share = f" ({100 * done / self.total_bytes:.0f}%)" if self.total_bytes else ""
        return (f"fruitstand: {self.docs:,} docs, {done / 1e6:,.1f}/{self.total_bytes / 1e6:,.1f} MB{share}, "
                f"{rate / 1e6:,.2f} MB/s, {self.docs / elapsed if elapsed > 0 else 0:,.0f} docs/s, "
                f"{self._tasks_done}/{self.total_tasks} tasks, {_clock(elapsed)} elapsed, "
                f"ETA {_clock(left) if left is not None else '?'}")

    def _lines(self) -> None:
        while not self._stop.wait(self.every):
            print(self.line(), file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if self._started is not None:
            seconds = time.monotonic() - self._started
            print(f"fruitstand: {self.total_bytes / 1e6:,.1f} MB, {self.docs:,} docs, "
                  f"{self._tasks_done}/{self.total_tasks} tasks in {_clock(seconds)}", file=sys.stderr, flush=True)
            self._started = None
        if self._bar is not None:
            self._bar.update(self._id, completed=max(self.total_bytes, 1))
            self._bar.stop()
