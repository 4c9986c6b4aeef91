"""Per-host files fetched by a crawl (robots.txt, /.well-known/tdmrep.json), looked up by host.

A source is a WARC of captures (Common Crawl publishes one of robots.txt per crawl), a
folder of such WARCs, or a folder of `HOST.txt` / `HOST.json` files. Only a compact index
stays in memory: for a WARC, three NumPy arrays (a 64-bit hash of each host, sorted, and the
file and offset of its capture: 18 bytes a host, 18 MB for a million hosts); for a folder,
nothing (the file name is the host; a port as HOST_PORT.txt). The WARC index is built in one
pass and kept in the user's cache folder (keyed by the files' paths, sizes and times), so the
other workers and later runs load it. A capture is read, and the caller's compiled form of
it built, only when a page of its host is first met; a small LRU keeps the most recent
ones, so memory stays bounded however many hosts there are.

Hosts are compared lower-cased with their port (a default port dropped); http and https
share one capture, as crawls fetch robots.txt once per host. Of several captures of one
host the first in the source is kept.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

import numpy as np
import xxhash

from fruitstand.cache import cached_arrays

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
            self._load_or_build()
        self.lookups = 0
        self.compiled = 0

    # -- the WARC index -------------------------------------------------------------
    def _load_or_build(self) -> None:
        """The index, from the user's cache folder when these WARCs (path, size, mtime) were
        indexed before (every worker of a run after the first, every later run), else built
        and saved there; a cache folder that cannot be written is simply not used."""
        key = hashlib.sha256(b"captures-1")
        for p in self._files:
            st = p.stat()
            key.update(f"{p.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())

        def build() -> dict[str, np.ndarray]:
            self._build()
            return {"hashes": self._hashes, "files": self._file_of, "offsets": self._offset_of}

        z = cached_arrays("captures", key.hexdigest()[:32], ("hashes", "files", "offsets"), build)
        self._hashes, self._file_of, self._offset_of = z["hashes"], z["files"], z["offsets"]

    def _build(self) -> None:
        from fastwarc.warc import ArchiveIterator, WarcRecordType

        # Typed arrays, not lists: 18 bytes a capture while the index is built, not ~100.
        hashes, files, offsets = array("Q"), array("H"), array("q")
        for fi, path in enumerate(self._files):
            with open(path, "rb") as fh:
                for rec in ArchiveIterator(fh, record_types=WarcRecordType.response, parse_http=False):
                    host = host_key(rec.headers.get("WARC-Target-URI") or "")
                    if host is not None:
                        hashes.append(_hash(host))
                        files.append(fi)
                        offsets.append(rec.stream_pos)
        h = np.frombuffer(hashes, dtype=np.uint64)
        order = np.argsort(h, kind="stable")  # by hash, the first capture of a host first
        h = h[order]
        first = np.ones(len(h), dtype=bool)
        first[1:] = h[1:] != h[:-1]
        self._hashes = h[first]
        self._file_of = np.frombuffer(files, dtype=np.uint16)[order][first]
        self._offset_of = np.frombuffer(offsets, dtype=np.int64)[order][first]

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
        fh = self._handles.get(fi)
        if fh is None:
            fh = self._handles[fi] = open(self._files[fi], "rb")
        fh.seek(offset)
        if fh.peek(2)[:2] == b"\x1f\x8b":  # one gzip member per record, as crawlers write them
            cap = _gzip_capture(fh)
            if cap is not None:
                return cap
            fh.seek(offset)
        from fastwarc.warc import ArchiveIterator

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


_MAX_CAPTURE = 1 << 20  # RFC 9309 2.5: crawlers may stop at 500 KiB; no robots.txt needs more


def _gzip_capture(fh) -> Capture | None:
    """The record in the gzip member at the file's position, read without fastwarc's set-up
    (a tenth of its cost for a one-record lookup); None when it is not a plain HTTP response."""
    inflater = zlib.decompressobj(31)
    out = []
    size = 0
    while not inflater.eof and size < _MAX_CAPTURE:
        chunk = fh.read(16384)
        if not chunk:
            break
        data = inflater.decompress(chunk, _MAX_CAPTURE)
        out.append(data)
        size += len(data)
    record = b"".join(out)
    warc_end = record.find(b"\r\n\r\n")
    http_end = record.find(b"\r\n\r\n", warc_end + 4)
    if warc_end < 0 or http_end < 0 or not record.startswith(b"WARC/"):
        return None
    http = record[warc_end + 4:http_end].decode("latin-1").split("\r\n")
    parts = http[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None
    headers = {}
    for line in http[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    if "chunked" in headers.get("transfer-encoding", "") or "gzip" in headers.get("content-encoding", ""):
        return None  # left to fastwarc's reader
    body = record[http_end + 4:]
    length = headers.get("content-length", "")
    if length.isdigit():
        body = body[:int(length)]
    elif body.endswith(b"\r\n\r\n"):
        body = body[:-4]
    return Capture(int(parts[1]), body, headers.get("location"))
