"""Streaming readers: one document at a time, never a whole file in memory.

Every reader takes a task (a slice of one file) and a StepStats it counts into: records
seen, documents yielded, and each reason a record was skipped. Damage to a file (a
truncated gzip, a corrupt record, bytes that are not the format) ends that file with a
counted reason; the documents read before it are kept.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fruitstand.document import Document
from fruitstand.io.inputs import Task, find_inputs, plan_tasks
from fruitstand.step import StepStats


@dataclass(frozen=True)
class ReadLimits:
    # A record larger than this is skipped unread (a 100 MB "page" is never a document).
    max_record_bytes: int = 10_000_000


# Called with the number of input bytes consumed so far, now and then, for progress.
Progress = Callable[[int], None]


def read(path: str | os.PathLike, *, limits: ReadLimits | None = None) -> Iterator[Document]:
    """Every document under `path` (a file or a folder), in a stable order."""
    for task in plan_tasks(find_inputs([path]), split_bytes=1 << 62):
        yield from read_task(task, StepStats(), limits or ReadLimits())


def read_task(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress | None = None) -> Iterator[Document]:
    reader = _READERS[task.format]
    try:
        yield from reader(task, stats, limits, progress or (lambda n: None))
    except (OSError, EOFError, zlib.error) as exc:
        stats.drop(_damage_reason(exc))


def _damage_reason(exc: BaseException) -> str:
    msg = str(exc).lower()
    if isinstance(exc, EOFError) or "truncat" in msg or "end of stream" in msg or "compressed file ended" in msg:
        return "truncated_input"
    return "corrupt_input"


def _source(task: Task) -> str:
    return task.name or Path(task.path).name


# --- web archives -------------------------------------------------------------------------


def read_warc(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    source = _source(task)
    wanted = WarcRecordType.response | WarcRecordType.conversion | WarcRecordType.resource
    with open(task.path, "rb") as fh:
        it = ArchiveIterator(fh, parse_http=True, max_content_length=None)
        for n, rec in enumerate(it):
            if n % 64 == 0:
                progress(fh.tell())
            stats.docs_in += 1
            rtype = rec.record_type
            if not rtype & wanted:
                stats.drop(f"record_type:{str(rtype).split('.')[-1]}")
                continue
            if rec.content_length > limits.max_record_bytes:
                stats.drop("record_too_large")
                continue
            # Some writers put the URI in angle brackets (a WARC 1.1 draft form): strip them.
            url = (rec.headers.get("WARC-Target-URI") or "").strip().strip("<>") or None
            rid = (rec.headers.get("WARC-Record-ID") or "").strip("<>") or f"{source}@{rec.stream_pos}"
            meta = {"url": url, "source": source, "date": rec.headers.get("WARC-Date")}
            if rtype == WarcRecordType.conversion:  # WET: text already extracted
                text = rec.reader.read().decode("utf-8", errors="replace").strip()
                if not text:
                    stats.drop("empty_text")
                    continue
                stats.docs_out += 1
                yield Document(rid, text, meta)
                continue
            if rtype == WarcRecordType.response:
                if not rec.is_http:
                    stats.drop("not_http")
                    continue
                status = rec.http_headers.status_code
                if status is None or not 200 <= status < 300:
                    stats.drop("http_status")
                    continue
            ctype = (rec.http_content_type or rec.headers.get("Content-Type") or "").lower()
            if "html" not in ctype:
                stats.drop("not_html")
                continue
            body = rec.reader.read()
            headers = dict(rec.http_headers.asdict()) if rec.http_headers is not None else {}
            if rec.http_charset:
                headers["_charset"] = rec.http_charset
            stats.docs_out += 1
            yield Document(rid, "", meta, html=body, http_headers=headers)
        progress(os.path.getsize(task.path))


def read_arc(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    # fastwarc cannot read the old ARC format; warcio converts its records to WARC ones.
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    source = _source(task)
    with open(task.path, "rb") as fh:
        try:
            for n, rec in enumerate(ArchiveIterator(fh, arc2warc=True)):
                if n % 64 == 0:
                    progress(fh.tell())
                stats.docs_in += 1
                if rec.rec_type != "response":
                    stats.drop(f"record_type:{rec.rec_type}")
                    continue
                length = int(rec.rec_headers.get_header("Content-Length") or 0)
                if length > limits.max_record_bytes:
                    stats.drop("record_too_large")
                    continue
                if rec.http_headers is None:
                    stats.drop("not_http")
                    continue
                status = rec.http_headers.get_statuscode()
                if not (status or "").startswith("2"):
                    stats.drop("http_status")
                    continue
                if "html" not in (rec.http_headers.get_header("Content-Type") or "").lower():
                    stats.drop("not_html")
                    continue
                url = rec.rec_headers.get_header("WARC-Target-URI")
                rid = f"{source}@{rec.offset if hasattr(rec, 'offset') else n}"
                body = rec.content_stream().read()
                meta = {"url": url, "source": source, "date": rec.rec_headers.get_header("WARC-Date")}
                stats.docs_out += 1
                yield Document(rid, "", meta, html=body, http_headers=dict(rec.http_headers.headers))
        except ArchiveLoadFailed as exc:
            raise OSError(str(exc)) from exc
        progress(os.path.getsize(task.path))


# --- JSONL, Parquet, text -----------------------------------------------------------------


def _open_binary(path: str) -> io.BufferedIOBase:
    name = path.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith((".zst", ".zstd")):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True))
    if name.endswith(".bz2"):
        import bz2

        return bz2.open(path, "rb")
    return open(path, "rb")


def _json_loads():
    try:
        import orjson

        return orjson.loads
    except ImportError:  # pragma: no cover - orjson is a dependency, this is belt and braces
        import json

        return json.loads


def _doc_from_record(rec: object, fallback_id: str, source: str, stats: StepStats) -> Document | None:
    if not isinstance(rec, dict):
        stats.drop("not_an_object")
        return None
    text = rec.get("text")
    if not isinstance(text, str):
        stats.drop("missing_text")
        return None
    meta = {k: v for k, v in rec.items() if k not in ("id", "text", "metadata")}
    if isinstance(rec.get("metadata"), dict):  # Dolma-style nested metadata
        for k, v in rec["metadata"].items():
            meta.setdefault(k, v)
    meta.setdefault("source", source)
    rid = rec.get("id")
    return Document(str(rid) if rid is not None else fallback_id, text, meta)


def read_jsonl(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    loads = _json_loads()
    source = _source(task)
    with _open_binary(task.path) as fh:
        pos = 0
        if task.start > 0:  # a byte-range task starts at the first line that begins in its range
            fh.seek(task.start - 1)
            fh.readline()
            pos = fh.tell()
        raw_fh = fh
        for line in raw_fh:
            line_start = pos
            pos += len(line)
            if task.end >= 0 and line_start >= task.end:
                break
            if stats.docs_in % 256 == 0:
                progress(pos - task.start)
            stats.docs_in += 1
            if len(line) > limits.max_record_bytes:
                stats.drop("record_too_large")
                continue
            if not line.strip():
                stats.docs_in -= 1
                continue
            try:
                rec = loads(line)
            except ValueError:
                stats.drop("bad_json")
                continue
            doc = _doc_from_record(rec, f"{source}@{line_start}", source, stats)
            if doc is not None:
                stats.docs_out += 1
                yield doc
        progress(pos - task.start)


def read_parquet(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    import pyarrow.parquet as pq

    source = _source(task)
    pf = pq.ParquetFile(task.path)
    if "text" not in pf.schema_arrow.names:
        stats.drop("missing_text")
        return
    groups = list(range(task.start, task.end if task.end >= 0 else pf.num_row_groups))
    row = sum(pf.metadata.row_group(i).num_rows for i in range(task.start))
    done = 0
    for batch in pf.iter_batches(row_groups=groups, batch_size=4096):
        for rec in batch.to_pylist():
            stats.docs_in += 1
            doc = _doc_from_record(rec, f"{source}@{row}", source, stats)
            row += 1
            if doc is not None:
                if len(doc.text) > limits.max_record_bytes:
                    stats.drop("record_too_large")
                    continue
                stats.docs_out += 1
                yield doc
        done += batch.nbytes
        progress(min(done, task.size))


def read_text(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    source = _source(task)
    stats.docs_in += 1
    size = os.path.getsize(task.path)
    if size > limits.max_record_bytes:
        stats.drop("record_too_large")
        return
    with open(task.path, "rb") as fh:
        data = fh.read()
    progress(size)
    if not data.strip():
        stats.drop("empty_text")
        return
    if data.count(b"\x00") > len(data) // 1000:
        stats.drop("binary")
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = bytes_to_str(data, detect_encoding(data))
        stats.extra["decoded_as_non_utf8"] += 1
    stats.docs_out += 1
    yield Document(source, text.strip(), {"source": source})


_READERS = {
    "warc": read_warc,
    "arc": read_arc,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "text": read_text,
}
