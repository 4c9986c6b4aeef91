"""A per-document time limit that holds even when a C library never returns.

resiliparse and lxml hold Python's GIL for a whole page, so nothing inside the worker (a
signal handler, a thread) can run while a pathological page is being parsed. The limit is
therefore enforced from the parent process:

- each worker keeps a heartbeat: a 32-byte memory-mapped file saying which document
  (stage, task, position) it started and when; writing it costs about a microsecond;
- the parent reads the heartbeats a few times a second; a document older than the limit
  is written to its task's skip file and its worker is killed with SIGKILL;
- the executor starts a fresh worker and re-runs the task, which skips that document,
  counting it as `doc_timeout`. The task's output is what it would have been had the
  document never been there, so the run stays deterministic.

A batch step (step.BatchFilter/BatchMapper) beats once per batch, naming the batch's first
and last document: the batch may take the limit times its length. A batch over that has no
one document to blame, so the watchdog marks the batch's positions to run alone; the task
runs again with those documents in batches of one, and the one that is slow alone is
skipped as above. No worker is killed twice for one slow batch.

A document's time starts when it is asked of the reader, so a slow read is the fault of the
document being read, not of the one before it. When reading a document that is skipped
already is too slow again (the reader, not a step, is stuck), the task stops there on its
next try: the rest of its slice counts as one `read_timeout`.
"""

from __future__ import annotations

import json
import mmap
import os
import signal
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from fruitstand.document import Document
from fruitstand.io.base import skip
from fruitstand.step import StepStats

# stage, task, position, start time, documents in the batch, last - first. Position -1:
# between documents; -(k + 2): reading document k again after it timed out (the same number
# in the skip list is a stop marker: the task ends there).
_BEAT = struct.Struct("<iiqdii")


def skip_path(folder: Path, stage: int, task: int) -> Path:
    """The file listing the positions a task skips in a stage."""
    return folder / f"stage{stage}-task{task:05d}.json"


def _load(path: Path) -> dict[str, list]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"skip": [], "alone": []}
    if isinstance(data, list):  # written before batches had a limit of their own
        return {"skip": data, "alone": []}
    return {"skip": data.get("skip", []), "alone": data.get("alone", [])}


def load_skips(path: Path) -> set[int]:
    return set(_load(path)["skip"])


def load_alone(path: Path) -> list[tuple[int, int]]:
    """Position ranges (first, last) whose documents run in batches of one."""
    return [tuple(r) for r in _load(path)["alone"]]


def _save(path: Path, data: dict[str, list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"skip": sorted(set(data["skip"])), "alone": sorted(map(list, data["alone"]))}))
    os.replace(tmp, path)


def add_skip(path: Path, position: int) -> None:
    data = _load(path)
    data["skip"].append(position)
    _save(path, data)


def add_alone(path: Path, first: int, last: int) -> None:
    data = _load(path)
    data["alone"].append([first, last])
    _save(path, data)


class Heartbeat:
    """The worker side: skips documents that timed out before, and says which one it is on."""

    def __init__(self, folder: Path | None, stage: int, task: int, skip_file: Path):
        self.folder, self.stage, self.task = folder, stage, task
        self.skips = load_skips(skip_file)
        self._alone = load_alone(skip_file)
        self._mm: mmap.mmap | None = None
        self.position = -1  # of the document last read

    def __enter__(self) -> Heartbeat:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{os.getpid()}.beat"
            with open(path, "wb+") as fh:
                fh.write(b"\0" * 32)
                fh.flush()
                self._mm = mmap.mmap(fh.fileno(), 32)
            self._beat(-1)
        return self

    def __exit__(self, *exc) -> None:
        if self._mm is not None:
            self._beat(-1)
            self._mm.close()
            self._mm = None

    def _beat(self, position: int) -> None:
        _BEAT.pack_into(self._mm, 0, self.stage, self.task, position, time.time(), 1, 0)

    def batch(self, first: int, last: int, count: int) -> None:
        """A batch step starts on `count` documents, positions first..last."""
        if self._mm is not None and first >= 0:
            _BEAT.pack_into(self._mm, 0, self.stage, self.task, first, time.time(), count, last - first)

    def alone(self, position: int) -> bool:
        return any(a <= position <= b for a, b in self._alone)

    def guard(self, docs: Iterator[Document], stats: StepStats, *, counted: bool,
              on_skip: Callable[[Document, int], None] | None = None) -> Iterator[Document]:
        """Pass documents on, skipping the ones that timed out before; time each one.

        Positions count the documents `docs` yields, whatever was skipped. `counted`: `stats`
        already counted the document as out, so take it back. `on_skip(doc, position)` is told
        of each document skipped (the task logs it).
        """
        beat = self._beat if self._mm is not None else None
        stop = min((-p - 2 for p in self.skips if p < -1), default=None)
        it = iter(docs)
        pos = 0
        while True:
            if pos == stop:
                skip(stats, "read_timeout")
                if hasattr(it, "close"):
                    it.close()
                break
            skipped = pos in self.skips
            if beat is not None:  # the time of document pos starts as it is read
                beat(-pos - 2 if skipped else pos)
            try:
                doc = next(it)
            except StopIteration:
                break
            if skipped:
                stats.drop("doc_timeout")
                stats.docs_out -= counted
                if on_skip is not None:
                    on_skip(doc, pos)
            else:
                self.position = pos
                yield doc
            pos += 1
        if beat is not None:
            beat(-1)


class Watchdog:
    """The parent side: kills a worker whose current document is older than the limit."""

    def __init__(self, folder: Path, skips: Path, timeout: float):
        self.folder, self.skips, self.timeout = folder, skips, timeout
        self._suspects: dict[int, tuple] = {}

    def skip_count(self) -> int:
        """Documents skipped so far: a pool broken by this watchdog raises it."""
        if not self.skips.exists():
            return 0
        return sum(len(d["skip"]) + len(d["alone"]) for d in map(_load, self.skips.glob("*.json")))

    def check(self) -> int:
        """Kill the workers stuck on one document; return how many were killed."""
        if self.timeout <= 0 or not self.folder.exists():
            return 0
        killed = 0
        now = time.time()
        for path in self.folder.glob("*.beat"):
            pid = int(path.stem)
            try:
                with open(path, "rb") as fh:
                    beat = _BEAT.unpack(fh.read(_BEAT.size))
            except (OSError, struct.error):
                continue
            stage, task, pos, started, count, span = beat
            if pos == -1 or now - started <= self.timeout * max(1, count):
                self._suspects.pop(pid, None)
                continue
            if self._suspects.get(pid) != beat:  # seen twice alike: not a torn read
                self._suspects[pid] = beat
                continue
            if count > 1:
                add_alone(skip_path(self.skips, stage, task), pos, pos + span)
            else:
                add_skip(skip_path(self.skips, stage, task), pos)
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
            path.unlink(missing_ok=True)
            self._suspects.pop(pid, None)
        return killed
