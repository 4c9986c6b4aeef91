"""The output folder's state: what run it belongs to, which tasks are done, the manifest.

Layout of an output folder:

    DIR/data/part-00000-0000.parquet   the documents, one or more shards per task
    DIR/<name>/...                     side outputs a step writes (step.py StepContext.output)
    DIR/manifest.json                  written when every task is done: its presence means the run finished
    DIR/report.html, DIR/README.md     the run report and the dataset card (report/), drawn after the manifest
    DIR/.fruitstand/run.json           the run's identity (recipe, inputs, format, schema)
    DIR/.fruitstand/done/*.json        one file per finished task or reduce job, with counters
    DIR/.fruitstand/work/NN-kind/      side data of whole-corpus steps (kept: dedup references)
    DIR/.fruitstand/work/docs/         documents stored between stages (deleted at the end)
    DIR/.fruitstand/side/              side files of tasks not yet committed
    DIR/.fruitstand/report/            each task's run statistics for the report (report/sketch.py)

A task's done file is written after its shards are in place; a killed run re-runs every
task without one, and those rewrite their shards byte for byte.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fruitstand.io.writers import MANIFEST, atomic_write_json
from fruitstand.registry import RecipeError


class OutputDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.state = self.path / ".fruitstand"
        self.done = self.state / "done"

    @contextlib.contextmanager
    def hold(self) -> Iterator[OutputDir]:
        """Hold the folder for one run: a second run into it refuses in one line while this one lives.

        The lock is an flock on the folder itself, so it needs no file of its own, goes with the
        process however it dies (SIGKILL included), and is never inherited by worker processes.
        A folder this call created is removed again if the run left it empty (a run that
        failed validation leaves nothing behind).
        """
        created = not self.path.exists()
        if self.path.exists() and not self.path.is_dir():
            raise RecipeError(f"--output {self.path} is a file: give a folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise RecipeError(f"can't create --output {self.path}: {_why(exc)}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RecipeError(f"{self.path} is in use by another fruitstand run: wait for it to finish, "
                                  "or choose another --output") from None
            yield self
        finally:
            os.close(fd)
            if created:
                with contextlib.suppress(OSError):
                    self.path.rmdir()  # only if empty

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def claim(self, identity: dict[str, Any], *, overwrite: bool) -> str:
        """Make the folder ours for this run. Returns "new", "resume" or "finished".

        Refuses (RecipeError) when the folder holds another run's output or anything else,
        unless `overwrite`: a user's earlier output is never lost by accident.
        """
        run_file = self.state / "run.json"
        if self.path.exists() and not self.path.is_dir():
            raise RecipeError(f"--output {self.path} is a file: give a folder")
        if run_file.exists():
            try:
                previous = json.loads(run_file.read_text())
            except (OSError, ValueError):
                previous = {}
            same = previous.get("fingerprint") == identity["fingerprint"]
            if same and not overwrite:
                return "finished" if self.manifest_path.exists() else "resume"
            if not overwrite and not self.manifest_path.exists() and not self._any_work():
                overwrite = True  # a run that stopped before finishing any task: nothing to keep
            if not overwrite:
                what = "a finished run" if self.manifest_path.exists() else "an unfinished run"
                raise RecipeError(
                    f"{self.path} holds {what} of another recipe or input: "
                    "choose another --output, or pass --overwrite to replace it"
                )
            self.clear(previous.get("side_outputs", []))
        elif self.path.exists() and any(self.path.iterdir()):
            if not overwrite:
                raise RecipeError(
                    f"{self.path} is not empty and holds no fruitstand run: "
                    "choose another --output, or pass --overwrite to write into it"
                )
            self.clear()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self.done.mkdir(parents=True, exist_ok=True)
            atomic_write_json(run_file, identity)
        except OSError as exc:
            raise RecipeError(f"can't write to --output {self.path}: {_why(exc)}") from None
        return "new"

    def _any_work(self) -> bool:
        """Whether an unfinished run got as far as finishing a task or writing a shard."""
        return any(self.done.glob("*.json")) or any((self.path / "data").glob("part-*"))

    def clear(self, side_outputs: list[str] = ()) -> None:
        """Remove what a fruitstand run writes (with the side outputs it named); leave anything else alone."""
        for name in ("data", ".fruitstand", *side_outputs):
            shutil.rmtree(self.path / name, ignore_errors=True)
        for name in (MANIFEST, "report.html", "README.md"):
            (self.path / name).unlink(missing_ok=True)

    def clean_partial(self, side_outputs: list[str] = ()) -> None:
        """Remove temporary files a killed run left behind."""
        for folder in (self.path / "data", self.state / "work", *(self.path / n for n in side_outputs)):
            if folder.exists():
                for tmp in folder.rglob(".*.tmp"):
                    tmp.unlink(missing_ok=True)

    def marker(self, key: str) -> Path:
        return self.done / f"{key}.json"

    def done_keys(self) -> set[str]:
        """Every task and job recorded done, in one listing of the folder."""
        try:
            return {n[:-5] for n in os.listdir(self.done) if n.endswith(".json")}
        except FileNotFoundError:
            return set()

    def is_done(self, key: str) -> bool:
        return self.marker(key).exists()

    def mark_done(self, key: str, result: dict[str, Any]) -> None:
        atomic_write_json(self.marker(key), result)

    def load(self, key: str) -> dict[str, Any]:
        return json.loads(self.marker(key).read_text())


def _why(exc: OSError) -> str:
    """An OS error as a reason and a fix, for a one-line message."""
    fixes = {
        errno.EACCES: "permission denied: choose a folder you can write to",
        errno.EPERM: "permission denied: choose a folder you can write to",
        errno.EROFS: "the file system is read-only: choose a folder on a writable disk",
        errno.ENOTDIR: "a part of the path is a file, not a folder: choose another --output",
        errno.EEXIST: "a file of that name is in the way: choose another --output",
        errno.ENOSPC: "no space left on the device: free some space",
        errno.EDQUOT: "disk quota exceeded: free some space",
    }
    return fixes.get(exc.errno, exc.strerror or str(exc))


# OS errors a user fixes on their side (space, permissions): one line, never a traceback.
USER_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR,
                         errno.EFBIG})


def explain_os_error(exc: OSError, output: str | Path) -> str:
    """One line for an OS error met while a run writes its output, ending in how to go on."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (f"writing {output} failed{where}: {_why(exc) if exc.errno != errno.EFBIG else 'file too large'}, "
                "then run the same command again: it resumes where it stopped")
    return f"writing {output} failed{where}: {_why(exc)}, then run the same command again to resume"


def one_run_per_output(run: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate `run(..., output=...)`: hold the output folder for the whole call (OutputDir.hold)."""

    @functools.wraps(run)
    def wrapper(*args: Any, output: str | os.PathLike, **kwargs: Any) -> Any:
        folder = output
        if "://" in str(output):  # an object-store output: the run's folder is its staging folder
            from fruitstand.io.publish import staging_for

            folder = staging_for(str(output), kwargs.get("staging"))
        with OutputDir(folder).hold():
            return run(*args, output=output, **kwargs)

    return wrapper
