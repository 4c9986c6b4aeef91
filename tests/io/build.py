"""Build damaged and unusual inputs from real files, for the reader tests.

Everything starts from real data in ../shared/data (see its SOURCES.md): real WARC records
are re-written with warcio, cut, corrupted or given wrong headers, so the tests exercise what
damage does to real archives rather than to hand-made toy ones.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecordType
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def html_records(path: Path, n: int | None = None, *, ctype: str = "html") -> list[tuple[str, bytes, str]]:
    """(url, body, content type) of the first `n` 200 responses whose type contains `ctype`."""
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh, record_types=WarcRecordType.response, parse_http=True):
            if rec.http_headers is None or rec.http_headers.status_code != 200 or ctype not in (rec.http_content_type or ""):
                continue
            out.append((rec.headers.get("WARC-Target-URI"), rec.reader.read(), rec.http_headers.get("Content-Type")))
            if n is not None and len(out) == n:
                break
    return out


def write_warc(path: Path, records: list[tuple[str, io.RawIOBase | bytes, dict[str, str]]], *, gzip: bool) -> None:
    """Write HTTP `response` records (url, body, HTTP headers) with warcio; bodies may be streams."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        for url, body, headers in records:
            stream = io.BytesIO(body) if isinstance(body, bytes) else body
            length = len(body) if isinstance(body, bytes) else body.size
            http = StatusAndHeaders("200 OK", list(headers.items()), protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=stream, length=length,
                                                          http_headers=http))


class RepeatedPage(io.RawIOBase):
    """A page `size` bytes long, `head` then `body` over and over, made on the fly as it is read
    (seekable, so warcio can digest it and rewind): a 100 MB page never sits in memory."""

    def __init__(self, head: bytes, body: bytes, size: int):
        self.head, self.body, self.size, self.pos = head, body, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = pos if whence == 0 else self.pos + pos if whence == 1 else self.size + pos
        return self.pos

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        out = bytearray()
        while len(out) < n:
            at = self.pos + len(out)
            if at < len(self.head):
                piece = memoryview(self.head)[at:]
            else:
                k = (at - len(self.head)) % len(self.body)
                piece = memoryview(self.body)[k:]
            out += piece[: n - len(out)]
        self.pos += n
        return bytes(out)

    def readinto(self, buf) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)


def gzip_members(data: bytes) -> list[int]:
    """Start offsets of the gzip members of a record-per-member .warc.gz."""
    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        inflater = zlib.decompressobj(31)
        inflater.decompress(data[pos:])
        pos = len(data) - len(inflater.unused_data)
    return starts
