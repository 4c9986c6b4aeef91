"""Nodes that share only object storage: each task and reduce job runs in a folder of its own node.

With `nodes_share="storage"` (`--nodes-share storage`, an s3:// or gs:// output, the Ray executor)
no node needs to see another's files, the driver's included. Each unit of work (a task of one
stage, a reduce job, a report's completion) runs exactly as it does on a shared filesystem, but in
a fresh folder of the node it runs on (`Unit`), laid out as the output folder is:

1. *pull*: the files it reads are fetched from the output URL into that folder, 16 at a time. The driver says
   which (`files`: relative path and size, from what earlier units wrote), so a unit never lists
   the bucket. Each file is downloaded once per node into the node's cache for this run and
   hard-linked into the unit's folder; a cached file is used again only if its size is the one
   the driver gives.
2. the unit runs there (execute/task.py `run_task`, or a step's reduce job), with its usual local
   file APIs.
3. *push*: every file it wrote or replaced there is uploaded to the same relative key under the
   output URL, each as one object written whole (io/fs.py `upload`: a local finished file, one PUT
   or one multipart upload, so no partial object is ever visible). Temporary files (names
   starting with "." or ending in ".tmp" and digits) and uncommitted side files are left out. The keys are the
   relative paths, which a unit's inputs decide alone, so a unit retried on another node writes
   the same keys with the same bytes. The unit returns what it pushed; the driver records it
   (`.fruitstand/exchange/KEY.json` on its own disk) before it records the unit done, and tells
   later units what to pull from those records.

The node's folders are `$FRUITSTAND_NODE_STAGING` (give each `ray start` its own; default
`<tmp>/fruitstand-node`): `cache/RUN/` (removed when the run ends) and `units/PID-N/` (removed
when the unit ends; those of processes gone are removed by the next unit on the node).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from fruitstand.io import fs

ENV = "FRUITSTAND_NODE_STAGING"
T = TypeVar("T")
# Under the unit's folder: never pushed (a task's side files before their commit; heartbeats).
_PRIVATE = (".fruitstand/side/", ".fruitstand/heartbeat/")


def node_root() -> Path:
    return Path(os.environ.get(ENV) or Path(tempfile.gettempdir()) / "fruitstand-node")


_TMP = re.compile(r"\.tmp\d*$")


def _temporary(name: str) -> bool:
    """A writer's file not yet in place: `.NAME.tmp` (io/writers.py), `NAME.tmpPID` (dedup/runs.py),
    `.NAME.dlPID-N` (io/fs.py `download`)."""
    return name.startswith(".") or _TMP.search(name) is not None


@dataclass(frozen=True)
class Exchange:
    """The output URL a run's nodes share, and the run's id (its fingerprint) naming the node caches."""

    url: str
    run: str

    def key(self, rel: str) -> str:
        return self.url.rstrip("/") + "/" + rel

    @property
    def cache(self) -> Path:
        return node_root() / "cache" / self.run

    @contextlib.contextmanager
    def unit(self) -> Iterator[Unit]:
        """A fresh folder on this node for one unit of work, removed afterwards however it ends."""
        units = node_root() / "units"
        units.mkdir(parents=True, exist_ok=True)
        for old in units.iterdir():  # those of units whose process was killed
            pid = old.name.split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
        path = units / f"{os.getpid()}-{next(_counter)}"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
        try:
            yield Unit(self, path)
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def forget(self) -> None:
        """Remove this run's cache on this node."""
        shutil.rmtree(self.cache, ignore_errors=True)


_counter = itertools.count()


def alive(pid: int) -> bool:
    """Whether process `pid` of this machine still exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Unit:
    """One unit's folder: `pull` what it reads, run it there, `push` what it wrote."""

    def __init__(self, exchange: Exchange, path: Path):
        self.exchange, self.path = exchange, path
        self._pulled: dict[str, tuple[int, int, int]] = {}  # rel -> (inode, size, mtime) as linked
        self.fetched = 0  # bytes downloaded (the rest of what it pulled came from the node's cache)

    def pull(self, files: dict[str, int]) -> None:
        """Fetch each file (relative path: size) through this node's cache, `TRANSFERS` at a time."""
        got = dict(zip(sorted(files), _each(lambda rel: self._cached(rel, files[rel]), sorted(files))))
        self.fetched += sum(n for _, n in got.values())
        cached = {rel: path for rel, (path, _) in got.items()}
        for rel in sorted(files):
            dest = self.path / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(cached[rel], dest)
            except OSError:  # another filesystem than the cache's
                shutil.copyfile(cached[rel], dest)
            st = dest.stat()
            self._pulled[rel] = (st.st_ino, st.st_size, st.st_mtime_ns)

    def pull_if_there(self, rel: str) -> bool:
        """Fetch one file that may not exist (not cached: it may change between attempts)."""
        dest = self.path / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            fs.download(self.exchange.key(rel), dest)
        except FileNotFoundError:
            return False
        st = dest.stat()
        self.fetched += st.st_size
        self._pulled[rel] = (st.st_ino, st.st_size, st.st_mtime_ns)
        return True

    def _cached(self, rel: str, size: int) -> tuple[Path, int]:
        """The file in this node's cache, and the bytes downloaded for it (0: it was there)."""
        path = self.exchange.cache / rel
        try:
            if path.stat().st_size == size:
                return path, 0
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        fs.download(self.exchange.key(rel), path)  # whole or not at all: units on this node may race here
        got = path.stat().st_size
        if got != size:
            raise OSError(f"{self.exchange.key(rel)} holds {got} bytes where {size} were written: "
                          "another run is writing to the same --output?")
        return path, got

    def written(self) -> list[str]:
        """Relative paths of the files this unit wrote or replaced, sorted."""
        out = []
        for root, dirs, names in os.walk(self.path):
            dirs.sort()
            base = Path(root).relative_to(self.path).as_posix()
            prefix = "" if base == "." else base + "/"
            if any((prefix).startswith(p) for p in _PRIVATE):
                dirs.clear()
                continue
            for name in sorted(names):
                if _temporary(name):
                    continue
                rel = prefix + name
                st = os.stat(os.path.join(root, name))
                if self._pulled.get(rel) == (st.st_ino, st.st_size, st.st_mtime_ns):
                    continue  # pulled and left as it was
                out.append(rel)
        return out

    def report(self) -> dict[str, object]:
        """What the unit moved, for the driver's record: the files it pushed, the bytes it downloaded."""
        return {"pushed": self.push(), "fetched": self.fetched}

    def push(self, rels: list[str] | None = None) -> dict[str, int]:
        """Upload what the unit wrote (or just `rels`); return relative path: size."""
        todo = self.written() if rels is None else rels
        _each(lambda rel: fs.upload(self.path / rel, self.exchange.key(rel)), todo)
        pushed = {}
        for rel in todo:
            st = (self.path / rel).stat()
            pushed[rel] = st.st_size
            self._pulled[rel] = (st.st_ino, st.st_size, st.st_mtime_ns)  # pushed: not again
        return pushed


# Downloads or uploads of one unit at once: objects are small and many (a reduce job may pull one map
# file per task of the corpus), so their latency, not the bandwidth, is what one at a time would cost.
TRANSFERS = 16


def _each(fn: Callable[[str], T], rels: list[str]) -> list[T]:
    """fn(rel) for each, in order, `TRANSFERS` at a time; the first error raised."""
    if len(rels) <= 1:
        return [fn(rel) for rel in rels]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(TRANSFERS, len(rels))) as pool:
        return list(pool.map(fn, rels))
