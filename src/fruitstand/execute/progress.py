"""A progress bar: tasks, documents and input bytes done. Silent when not shown.

Where no one watches it live (output to a file or a pipe, as under a scheduler), the bar would
only ever be drawn once, at the end: a plain line says the same without importing rich (0.1 s
of the parent's CPU before the first worker starts).
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, show: bool, total_bytes: int, total_tasks: int):
        self.show = show
        self.total_bytes = total_bytes
        self.total_tasks = total_tasks
        self.docs = 0
        self._bar = None
        self._id = None
        self._tasks_done = 0
        self._started: float | None = None

    def start(self) -> None:
        if not self.show:
            return
        if not (sys.stdout.isatty() or "ipykernel" in sys.modules):  # where rich draws live
            self._started = time.monotonic()
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
        if self._bar is not None:
            self._bar.update(self._id, advance=nbytes, docs=self.docs)

    def task_done(self, docs: int, nbytes: int) -> None:
        self._tasks_done += 1
        self.docs += docs
        if self._bar is not None:
            self._bar.update(self._id, advance=nbytes, docs=self.docs,
                             tasks=f"{self._tasks_done}/{self.total_tasks} tasks")

    def stop(self) -> None:
        if self._started is not None:
            seconds = round(time.monotonic() - self._started)
            print(f"fruitstand: {self.total_bytes / 1e6:,.1f} MB, {self.docs:,} docs, "
                  f"{self._tasks_done}/{self.total_tasks} tasks in {seconds // 60}:{seconds % 60:02d}", flush=True)
            self._started = None
        if self._bar is not None:
            self._bar.update(self._id, completed=max(self.total_bytes, 1))
            self._bar.stop()
