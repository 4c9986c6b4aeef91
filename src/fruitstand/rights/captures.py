"""Per-host files fetched by a crawl (robots.txt, /.well-known/tdmrep.json), looked up by host.

A source is a WARC of captures (Common Crawl publishes one of robots.txt per crawl), a
folder of such WARCs, or a folder of `HOST.txt` / `HOST.json` files. Only a compact index
stays in memory: for a WARC, three NumPy arrays (a 64-bit hash of each host, sorted, and the
file and offset of its capture: 18 bytes a host, 18 MB for a million hosts); for a folder,
nothing (the file name is the host). A capture is read, and the caller's compiled form of
it built, only when a page of its host is first met; a small LRU keeps the most recent
ones, so memory stays bounded however many hosts there are.

Hosts are compared lower-cased with their port (a default port dropped); http and https
share one capture, as crawls fetch robots.txt once per host. Of several captures of one
host the first in the source is kept.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

import numpy as np
import xxhash

T = TypeVar("T")
MISSING = object()
_WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.zst", ".warc.lz4")


@dataclass(frozen=True)
class Capture:
    status: int  # HTTP status (200 for a file from a folder)
    body: bytes
    location: str | None = None  # a redirect's target


def host_key(url: str) -> str | None:
    """`host[:port]` of an absolute URL, lower-cased, default ports dropped; None if it has no host."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if port and not (port == 80 and parts.scheme == "http" or port == 443 and parts.scheme == "https"):
        return f"{host}:{port}"
    return host


def _hash(host: str) -> int:
    return xxhash.xxh3_64_intdigest(host.encode("utf-8", "surrogatepass"))


class CaptureIndex(Generic[T]):
    """Host -> compiled capture, from a WARC, a folder of WARCs or a folder of HOST files."""

    def __init__(self, path: str | os.PathLike, compile: Callable[[Capture | None], T], *,
                 suffix: str = ".txt", cache_size: int = 4096):
        self.path = Path(path)
        self._compile = compile
        self._suffix = suffix
        self._cache: OrderedDict[str, T] = OrderedDict()
        self._cache_size = cache_size
        self._files: list[Path] = []
        self._handles: dict[int, object] = {}
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no such file or folder")
        if self.path.is_file():
            self._files = [self.path]
        elif any(p.name.endswith(_WARC_SUFFIXES) for p in self.path.iterdir()):
            self._files = sorted(p for p in self.path.iterdir() if p.name.endswith(_WARC_SUFFIXES))
        if self._files:
            self._build()
        self.lookups = 0
        self.compiled = 0

    # -- the WARC index -------------------------------------------------------------
    def _build(self) -> None:
        from fastwarc.warc import ArchiveIterator, WarcRecordType

        hashes, files, offsets = [], [], []
        for fi, path in enumerate(self._files):
            with open(path, "rb") as fh:
                for rec in ArchiveIterator(fh, record_types=WarcRecordType.response, parse_http=False):
                    host = host_key(rec.headers.get("WARC-Target-URI") or "")
                    if host is not None:
                        hashes.append(_hash(host))
                        files.append(fi)
                        offsets.append(rec.stream_pos)
        h = np.array(hashes, dtype=np.uint64)
        order = np.lexsort((np.arange(len(h)), h))  # by hash, the first capture first
        h = h[order]
        first = np.ones(len(h), dtype=bool)
        first[1:] = h[1:] != h[:-1]
        self._hashes = h[first]
        self._file_of = np.array(files, dtype=np.uint16)[order][first]
        self._offset_of = np.array(offsets, dtype=np.int64)[order][first]

    @property
    def hosts(self) -> int:
        return len(self._hashes) if self._files else sum(1 for _ in self.path.glob(f"*{self._suffix}"))

    def nbytes(self) -> int:
        if not self._files:
            return 0
        return self._hashes.nbytes + self._file_of.nbytes + self._offset_of.nbytes

    def _read_warc(self, host: str) -> Capture | None:
        h = np.uint64(_hash(host))
        i = int(np.searchsorted(self._hashes, h))
        if i >= len(self._hashes) or self._hashes[i] != h:
            return None
        fi, offset = int(self._file_of[i]), int(self._offset_of[i])
        from fastwarc.warc import ArchiveIterator

        fh = self._handles.get(fi)
        if fh is None:
            fh = self._handles[fi] = open(self._files[fi], "rb")
        fh.seek(offset)
        for rec in ArchiveIterator(fh, parse_http=True):
            status = rec.http_headers.status_code if rec.http_headers is not None else None
            location = rec.http_headers.get("Location") if rec.http_headers is not None else None
            return Capture(status or 0, rec.reader.read(), location)
        return None

    # -- lookups ----------------------------------------------------------------------
    def capture(self, host: str) -> Capture | None:
        if self._files:
            return self._read_warc(host)
        p = self.path / f"{host.replace(':', '_')}{self._suffix}"
        try:
            return Capture(200, p.read_bytes())
        except OSError:
            return None

    def get(self, host: str) -> T:
        """The compiled form of `host`'s capture (of None when there is none), cached."""
        self.lookups += 1
        hit = self._cache.get(host, MISSING)
        if hit is not MISSING:
            self._cache.move_to_end(host)
            return hit  # type: ignore[return-value]
        cap = self.capture(host)
        for _ in range(5):  # RFC 9309 2.3.1.2: follow up to five redirects
            if cap is None or not 300 <= cap.status < 400 or not cap.location:
                break
            target = host_key(cap.location)
            cap = self.capture(target) if target else None
        value = self._compile(cap)
        self.compiled += 1
        self._cache[host] = value
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return value

    def close(self) -> None:
        for fh in self._handles.values():
            fh.close()  # type: ignore[attr-defined]
        self._handles.clear()
