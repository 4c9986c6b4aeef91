"""A progress bar on stderr: tasks, documents and input bytes done. Silent when not shown."""

from __future__ import annotations


class Progress:
    def __init__(self, show: bool, total_bytes: int, total_tasks: int):
        self.show = show
        self.total_bytes = total_bytes
        self.total_tasks = total_tasks
        self.docs = 0
        self._bar = None
        self._id = None
        self._tasks_done = 0

    def start(self) -> None:
        if not self.show:
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
        if self._bar is not None:
            self._bar.update(self._id, completed=max(self.total_bytes, 1))
            self._bar.stop()
