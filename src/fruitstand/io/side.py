"""Side outputs: files a step writes beside the documents, one set per task, committed with it.

A task's side files are written under a temporary folder of its own
(`OUTPUT/.fruitstand/side/stage<S>-task<T>/<name>/`) and moved into `OUTPUT/<name>/` only
once the task's documents are written, just before the task is recorded done. A task killed
before that leaves nothing visible (the temporary folder is cleared when it, or the run,
starts again); one killed between the moves is run again and writes the same bytes over
them, exactly as its data shards are. Each moved file is fsynced first.

Two side outputs the run writes itself, whatever the recipe, through the same path as the
steps' own (so a step cannot take their names):

- `samples/`: the few documents the report shows per step and outcome (report/sketch.py);
- `logs/`: the per-step log, one JSON line per event: the first tracebacks of documents a step
  raised on, documents skipped after timing out, and whatever a step writes with `ctx.log`.

Their files are named by stage and task (`stage0-part-00003.jsonl`): every stage of a task
writes them, where a step's own outputs belong to the one stage it runs in. A task with
nothing to write leaves no file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import IO, Any

SAMPLES = "samples"
LOGS = "logs"
RUN_OUTPUTS = (LOGS, SAMPLES)


def run_part(stage: int, task: int) -> str:
    """The file stem of a run-written side output for one task of one stage."""
    return f"stage{stage}-part-{task:05d}"


def _check_name(filename: str) -> None:
    if not filename or "/" in filename or "\\" in filename or filename.startswith("."):
        raise ValueError(f"side output file name {filename!r}: give a plain name such as 'part-00003.bin'")


class SideOutput:
    """One named side output of one task: `open(filename, mode)` or `write(record)` (JSON lines)."""

    def __init__(self, folder: Path, part: str):
        self._folder = folder
        self._part = part
        self._files: dict[str, IO[Any]] = {}
        self._jsonl: IO[bytes] | None = None

    def open(self, filename: str, mode: str = "wb") -> IO[Any]:
        """A new file of this task, written whole before the task is committed (modes w, wb, wt)."""
        _check_name(filename)
        if mode not in ("w", "wb", "wt"):
            raise ValueError(f"side output mode {mode!r}: use 'wb' or 'w' (files are written once per task)")
        if filename in self._files:
            raise ValueError(f"side output file {filename!r} opened twice in one task")
        self._folder.mkdir(parents=True, exist_ok=True)
        fh = open(self._folder / filename, mode, **({} if "b" in mode else {"encoding": "utf-8"}))
        self._files[filename] = fh
        return fh

    def write(self, record: dict[str, Any]) -> None:
        """Append `record` as one JSON line to `<part>.jsonl` (keys in the order given)."""
        import orjson

        if self._jsonl is None:
            self._jsonl = self.open(f"{self._part}.jsonl", "wb")
        self._jsonl.write(orjson.dumps(record, default=str) + b"\n")

    def _close(self) -> list[str]:
        names = []
        for name, fh in self._files.items():
            if not fh.closed:
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
            else:  # closed by the step: make it durable all the same
                with open(self._folder / name, "rb+") as again:
                    os.fsync(again.fileno())
            names.append(name)
        return sorted(names)


class TaskOutputs:
    """All side outputs of one task of one stage."""

    def __init__(self, output: Path, tmp: Path):
        self.output, self.tmp = output, tmp
        self._outputs: dict[str, SideOutput] = {}
        shutil.rmtree(tmp, ignore_errors=True)  # what a killed attempt of this task left

    def get(self, name: str, part: str) -> SideOutput:
        if name not in self._outputs:
            self._outputs[name] = SideOutput(self.tmp / name, part)
        return self._outputs[name]

    def commit(self) -> dict[str, list[str]]:
        """Move every file into OUTPUT/<name>/; return the files, by output name."""
        done: dict[str, list[str]] = {}
        for name, out in sorted(self._outputs.items()):
            files = out._close()
            if not files:
                continue
            dest = self.output / name
            dest.mkdir(parents=True, exist_ok=True)
            for f in files:
                os.replace(self.tmp / name / f, dest / f)
            done[name] = files
        shutil.rmtree(self.tmp, ignore_errors=True)
        return done

    def abort(self) -> None:
        for out in self._outputs.values():
            for fh in out._files.values():
                fh.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
