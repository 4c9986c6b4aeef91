"""WARC, WET and ARC readers that go on past damage.

fastwarc reads WARC and WET (gzip, zstd, lz4 or plain); warcio reads the old ARC format,
which fastwarc cannot. Only `response`, `resource` (HTML) and `conversion` (WET text)
records become documents; every other record is counted by its type.

fastwarc ends quietly where a file is cut off, and raises where a header is damaged, so:
- a record whose body stops short of its Content-Length, whose header block is cut off, or
  a gzip member that does not end with the file, is `truncated_input`;
- after damage (a header that does not parse, a gzip member that does not inflate) reading
  goes on at the next record start found after it (a `WARC/1.x` line, or a gzip, zstd or
  lz4 frame), and the damaged stretch counts as one `malformed_record`; where none is
  found, the rest of the file is `corrupt_input` (counted by `readers.read_task`);
- an HTML payload still in HTTP chunks or gzip is undone here (some archivers store bodies
  as sent); one that is still not text (an image served as text/html) is `binary_payload`.

A record whose Content-Length is over `ReadLimits.max_record_bytes` is not read through:
it is counted as `record_too_large` and reading goes on at the next record start, so a
length that lies (a claimed 10 GB) cannot swallow the records after it.

Known limit: a record whose Content-Length is wrong but a number is read with the bytes
that length covers (part of the next record, or less than its page); the next record is
then found again as above.
"""

from __future__ import annotations

import io
import itertools
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from fruitstand.document import Document
from fruitstand.io import fs
from fruitstand.io.base import Progress, ReadLimits, looks_binary, skip, source_name
from fruitstand.io.inputs import GZIP_MAGIC, Task, gzip_members, skip_gzip_member
from fruitstand.step import StepStats

# What a damaged archive is searched for to go on reading: the start of the next record.
_MEMBER_MAGIC = (GZIP_MAGIC, b"\x28\xb5\x2f\xfd", b"\x04\x22\x4d\x18")  # gzip, zstd, lz4 frames
_PLAIN_MAGIC = b"\nWARC/1."
_MAX_RESYNCS = 1000
_SUSPECT = "suspect"  # a record whose headers did not parse: malformed, or truncated if it ends the file
_TOO_LARGE = "too_large"  # a record over ReadLimits.max_record_bytes: reading goes on at the next record start


class _SkipRecord(Exception):
    """Go on reading at the next record start after the current one."""


@dataclass
class _Scan:
    last_pos: int = -1  # stream offset of the last record header read
    open: bool = False  # a record is counted in but not yet out or dropped
    suspect: bool = False
    damaged: bool = False  # an error happened and no record has been read since
    cut_off: bool = False  # the file was seen to end inside a record
    handed_on: bool = False  # reading stopped at the next range's first record, not at the end


def read_warc(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    """The documents of the records that start in the task's byte range (the whole file by default)."""
    source = source_name(task)
    size = fs.size(task.path)
    # Records starting here on are the next task's. A whole-file task has no next task: a
    # one-frame zstd WARC gives every record after the first the stream position of its end.
    stop = 1 << 62 if task.end < 0 else min(task.end, size)
    with fs.open_input(task.path) as fh:
        head = fh.read(4)
        magic = next((m for m in _MEMBER_MAGIC if head.startswith(m)), _PLAIN_MAGIC)
        scan, start, first_error = _Scan(), 0, None
        if task.end >= 0 and head.startswith(GZIP_MAGIC) and not gzip_members(fh):
            # One gzip stream has no record starts to find: its first range reads it all.
            if task.start > 0:
                progress(task.size)
                return
            stop = 1 << 62
        if task.start > 0:  # a range of a gzipped WARC (io/inputs.py): begin at its first record
            start = _first_member(fh, task.start, stop)
            if start is None:
                progress(task.size)
                return
        for _ in range(_MAX_RESYNCS):
            fh.seek(start)
            try:
                yield from _warc_records(fh, scan, source, stats, limits,
                                         lambda pos: progress(min(max(pos - task.start, 0), task.size)), stop)
                break
            except OSError as exc:
                # The record in progress and an unsettled suspect belong to this damage: one count.
                stats.docs_in -= scan.open + scan.suspect
                scan.open = scan.suspect = False
                # A range whose first record header does not parse: the previous range read
                # on into it, met the same damage and counted it.
                inherited = task.start > 0 and scan.last_pos < 0
                if not scan.damaged and not inherited:
                    scan.damaged, first_error = True, exc
            except _SkipRecord:
                pass
            nxt = _next_start(fh, max(scan.last_pos, start) + 1, magic, size)
            if nxt is not None and nxt >= stop:  # the next task reads on from there
                scan.handed_on = True
                if scan.damaged:
                    skip(stats, "malformed_record")
                    scan.damaged = False
                break
            if nxt is None:
                break
            start = nxt
        if scan.damaged:  # nothing readable after the damage: read_task counts it
            raise first_error
        # The range that read on to the end of the file checks how the file ends (a range that
        # read no record has nothing to check: the damage it met was the previous range's).
        read_any = scan.last_pos >= 0 or task.start == 0
        if not scan.handed_on and read_any and magic == _MEMBER_MAGIC[0] and not scan.cut_off and \
                _gzip_tail_cut(fh, max(scan.last_pos, 0), size):
            skip(stats, "truncated_input")
        progress(task.size if task.end >= 0 else size)


def _first_member(fh, pos: int, stop: int) -> int | None:
    """Offset of the first gzip member at or after `pos`, before `stop`, that holds a WARC record.

    The magic bytes also occur by chance inside compressed data: a candidate counts only if
    it inflates to a `WARC/` line. Every range finds the same starts, so each record is read
    by exactly one task: the one its start falls in.
    """
    while (cand := _find(fh, pos, _MEMBER_MAGIC[0], stop)) is not None and cand < stop:
        fh.seek(cand)
        try:
            if zlib.decompressobj(31).decompress(fh.read(1 << 14), 8).startswith(b"WARC/"):
                return cand
        except zlib.error:
            pass
        pos = cand + 1
    return None


def _next_start(fh, pos: int, magic: bytes, size: int) -> int | None:
    """Where reading goes on after damage or a skipped record: the next record start at or after
    `pos` (for gzip, a member that inflates to a WARC record, not the magic bytes by chance)."""
    if magic == _MEMBER_MAGIC[0]:
        return _first_member(fh, pos, size)
    return _find(fh, pos, magic)


def _gzip_tail_cut(fh, pos: int, size: int) -> bool:
    """Whether the gzip members from `pos` on (the last record's) fail to end with the file.

    fastwarc ends quietly when a file stops in a member's header or trailer; inflating the
    last record once more tells. Skipped where `pos` is no member start (one-stream .gz files).
    """
    fh.seek(pos)
    if fh.read(3) != _MEMBER_MAGIC[0] or size - pos > 64 << 20:
        return False
    fh.seek(pos)
    try:
        while fh.tell() < size:
            rest = skip_gzip_member(fh)
            if rest is None:  # the file ends inside a member
                return True
            fh.seek(-len(rest), io.SEEK_CUR)
    except zlib.error:
        return True  # bytes after the last record that are no gzip member
    return False


def _find(fh: io.BufferedReader, pos: int, magic: bytes, limit: int | None = None) -> int | None:
    """Offset of the first `magic` at or after `pos` (of the `WARC/1.` after the newline, for plain
    WARC); None if there is none, or none that starts before `limit`."""
    lead = 1 if magic == _PLAIN_MAGIC else 0
    fh.seek(max(0, pos - lead))
    offset, tail = fh.tell(), b""
    while (limit is None or offset < limit) and (data := fh.read(1 << 20)):
        buf = tail + data
        i = buf.find(magic)
        if i >= 0:
            return offset - len(tail) + i + lead
        tail = buf[-(len(magic) - 1):]
        offset += len(data)
    return None


def _warc_records(fh, scan: _Scan, source: str, stats: StepStats, limits: ReadLimits,
                  progress: Progress, stop: int) -> Iterator[Document]:
    from fastwarc.warc import ArchiveIterator

    for n, rec in enumerate(ArchiveIterator(fh, parse_http=False, max_content_length=None)):
        if n % 64 == 0:
            progress(fh.tell())
        if scan.suspect:
            stats.drop("malformed_record")
            scan.suspect = False
        if scan.damaged:  # reading goes on after a damaged stretch: it counts as one record
            skip(stats, "malformed_record")
            scan.damaged = False
        if rec.stream_pos >= stop:  # the next task's first record
            scan.handed_on = True
            return
        scan.last_pos = rec.stream_pos
        stats.docs_in += 1
        scan.open = True
        out = _warc_record(rec, source, limits)
        scan.open = False
        if isinstance(out, Document):
            stats.docs_out += 1
            yield out
        elif out == _SUSPECT:
            scan.suspect = True
        elif out == _TOO_LARGE:
            stats.drop("record_too_large")
            raise _SkipRecord
        else:
            stats.drop(out)
            if out == "truncated_input":
                scan.cut_off = True
                return
    if scan.suspect:  # the file ends inside the header block of its last record
        stats.drop("truncated_input")
        scan.suspect, scan.cut_off = False, True


def _target_uri(value: str | None) -> str | None:
    """Some writers put the URI in angle brackets (a WARC 1.1 draft form): strip them."""
    return (value or "").strip().strip("<>") or None


def _warc_record(rec, source: str, limits: ReadLimits) -> Document | str:
    """The document a record holds, or the reason it holds none."""
    from fastwarc.warc import WarcRecordType

    if rec.content_length == 0 and not (rec.headers.get("Content-Length") or "").strip().isdigit():
        return _SUSPECT  # fastwarc reads a missing or garbled length as 0
    if rec.content_length > limits.max_record_bytes:
        return _TOO_LARGE  # not read through: a length that lies would swallow the records after it
    rtype = rec.record_type
    if not rtype & (WarcRecordType.response | WarcRecordType.conversion | WarcRecordType.resource):
        return _consume(rec, f"record_type:{str(rtype).split('.')[-1]}")
    url = _target_uri(rec.headers.get("WARC-Target-URI"))
    rid = (rec.headers.get("WARC-Record-ID") or "").strip("<>") or f"{source}@{rec.stream_pos}"
    meta = {"url": url, "source": source, "date": rec.headers.get("WARC-Date")}
    if rtype == WarcRecordType.conversion:  # WET: text already extracted
        expected = rec.content_length
        data = rec.reader.read()
        if len(data) < expected:
            return "truncated_input"
        text = data.decode("utf-8", errors="replace").strip()
        return Document(rid, text, meta) if text else "empty_text"
    if rtype == WarcRecordType.response:
        if not rec.is_http:
            return _consume(rec, "not_http")
        try:
            rec.parse_http()
        except OSError:
            return _SUSPECT
        status = rec.http_headers.status_code
        if status is None or not 200 <= status < 300:
            return _consume(rec, "http_status")
    ctype = (rec.http_content_type or rec.headers.get("Content-Type") or "").lower()
    if "html" not in ctype:
        return _consume(rec, "not_html")
    expected = rec.content_length
    body = rec.reader.read()
    if len(body) < expected:
        return "truncated_input"
    http = rec.http_headers
    body = _decode_payload(body, http.get("Transfer-Encoding") if http is not None else None, limits)
    if isinstance(body, str):
        return body
    http_headers = list(http.items()) if http is not None else []  # repeated headers kept, in order
    return Document(rid, "", meta, html=body, http_headers=http_headers, warc_headers=list(rec.headers.items()))


def _consume(rec, reason: str) -> str:
    """Skip the rest of a record; a record that stops short means the file was cut off there."""
    expected = rec.content_length
    return "truncated_input" if rec.reader.consume() < expected else reason


_CHUNK_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]{1,8})[ \t]*(?:;[^\r\n]*)?\r?\n")


def _decode_payload(body: bytes, transfer_encoding: str | None, limits: ReadLimits) -> bytes | str:
    """Undo what the HTTP transfer did to a page (chunks, gzip); a reason when it is not text."""
    if transfer_encoding and "chunked" in transfer_encoding.lower() and _CHUNK_SIZE_LINE.match(body):
        body = _dechunk(body)  # some archivers store the body de-chunked but keep the header: hence the match
    if body[:2] == b"\x1f\x8b":  # stored still gzip-compressed (Content-Encoding: gzip)
        inflater = zlib.decompressobj(31)
        try:
            body = inflater.decompress(body, limits.max_record_bytes + 1)
        except zlib.error:
            return "binary_payload"
        if len(body) > limits.max_record_bytes:
            return "record_too_large"
    return "binary_payload" if looks_binary(body) else body


def _dechunk(body: bytes) -> bytes:
    parts, pos = [], 0
    while m := _CHUNK_SIZE_LINE.match(body, pos):
        size = int(m.group(1), 16)
        if size == 0:
            break
        parts.append(body[m.end():m.end() + size])
        pos = m.end() + size
        pos += 2 if body.startswith(b"\r\n", pos) else 1 if body.startswith(b"\n", pos) else 0
    return b"".join(parts)


def read_arc(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    """ARC records as documents; in a gzipped ARC (one member per record) reading goes on after
    damage at the next member that inflates to an ARC record header."""
    source = source_name(task)
    with fs.open_input(task.path) as fh:
        gzipped = fh.read(3) == GZIP_MAGIC
        start, done, first_error, damaged = 0, -1, None, False
        for _ in range(_MAX_RESYNCS):
            fh.seek(start)
            try:
                for out, offset in _arc_records(fh, source, limits, progress):
                    if damaged:  # the damaged stretch before this record counts as one
                        skip(stats, "malformed_record")
                        damaged = False
                    done = offset
                    stats.docs_in += 1
                    if isinstance(out, Document):
                        stats.docs_out += 1
                        yield out
                        continue
                    stats.drop(out)
                    if out == "truncated_input":
                        return
                break
            except OSError as exc:
                if not gzipped:
                    raise
                first_error = first_error if damaged else exc
                damaged = True
            nxt = _next_arc_member(fh, max(done, start) + 1)
            if nxt is None:
                break
            start = nxt
        if damaged:  # nothing readable after the damage: read_task counts it
            raise first_error
        progress(fs.size(task.path))


_ARC_HEADER = re.compile(rb"\S+ [0-9.:a-fA-F]+ \d{14} \S* ?\d+\n")


def _next_arc_member(fh, pos: int) -> int | None:
    """Offset of the first gzip member at or after `pos` that inflates to an ARC record header."""
    while (cand := _find(fh, pos, GZIP_MAGIC)) is not None:
        fh.seek(cand)
        try:
            head = zlib.decompressobj(31).decompress(fh.read(1 << 14), 4096)
        except zlib.error:
            head = b""
        if _ARC_HEADER.match(head):
            return cand
        pos = cand + 1
    return None


def _arc_records(fh, source: str, limits: ReadLimits, progress: Progress) -> Iterator[tuple]:
    """(document or reason, record offset) for each record from `fh`'s position; damage is OSError."""
    # fastwarc cannot read the old ARC format; warcio converts its records to WARC ones.
    from warcio.archiveiterator import ArchiveIterator

    it = ArchiveIterator(fh, arc2warc=True)
    records = iter(it)
    for n in itertools.count():
        try:
            rec = next(records)
            if n % 64 == 0:
                progress(fh.tell())
            out = _arc_record(rec, it, source, limits)
            offset = it.get_record_offset()  # in the file (warcio starts from fh's position); the record is read by now
        except StopIteration:
            return
        except Exception as exc:  # warcio is pure Python: damage surfaces as any exception
            raise OSError(f"{type(exc).__name__}: {exc}") from exc
        yield out, offset


def _arc_record(rec, it, source: str, limits: ReadLimits) -> Document | str:
    if rec.rec_type != "response":
        return _drain(rec, f"record_type:{rec.rec_type}")
    length = (rec.rec_headers.get_header("Content-Length") or "").strip()
    if not length.isdigit():
        return "malformed_record"
    if int(length) > limits.max_record_bytes:
        return _drain(rec, "record_too_large")
    if rec.http_headers is None:
        return _drain(rec, "not_http")
    if not (rec.http_headers.get_statuscode() or "").startswith("2"):
        return _drain(rec, "http_status")
    if "html" not in (rec.http_headers.get_header("Content-Type") or "").lower():
        return _drain(rec, "not_html")
    body = rec.content_stream().read()  # warcio undoes chunking and gzip itself
    if rec.raw_stream.limit > 0:
        return "truncated_input"
    if looks_binary(body):
        return "binary_payload"
    meta = {"url": _target_uri(rec.rec_headers.get_header("WARC-Target-URI")), "source": source,
            "date": rec.rec_headers.get_header("WARC-Date")}
    # ARC records have no ids (warcio makes random ones): the offset is stable. Asking for it
    # reads the record to its end, so only once the body is read.
    rid = f"{source}@{it.get_record_offset()}"
    return Document(rid, "", meta, html=body, http_headers=list(rec.http_headers.headers),
                    warc_headers=list(rec.rec_headers.headers))


def _drain(rec, reason: str) -> str:
    while rec.raw_stream.read(1 << 16):
        pass
    return "truncated_input" if rec.raw_stream.limit > 0 else reason
