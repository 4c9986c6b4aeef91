"""Streaming readers: one document at a time, never a whole file in memory.

Every reader takes a task (a slice of one file) and a StepStats it counts into: records
seen, documents yielded, and each reason a record was skipped. Bad input never stops a run,
and what was read before the damage is kept:

- `empty_file`: a file with no records (empty, compressed nothing, blank lines only);
- `truncated_input`: the file ends inside a record; `corrupt_input`: the rest of the file
  cannot be read (not the format its name says, damaged compression);
- `malformed_record` (web archives, archives.py): a damaged record, read past;
- `binary`: bytes that are no text where text was due (JSONL, .txt); `binary_payload`: an
  HTML record that is not HTML; `not_utf8`, `bad_json`: a JSONL line that does not parse;
- `record_too_large`: a record over `ReadLimits.max_record_bytes`, skipped unread.

Each such skip counts as one record, so `records == documents + sum(skipped)` always holds.

Every document's text is normalised here, once (`read_task`, with `base.normalise_text`): one
kind of line end, no control characters. Steps may rely on it.
Web archives are read in archives.py; JSONL, Parquet and text files here.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import io
import os
import zlib
from collections.abc import Iterator

from fruitstand.document import Document
from fruitstand.io import fs
from fruitstand.io.archives import read_arc, read_warc
from fruitstand.io.base import Progress, ReadLimits, looks_binary, normalise_text, skip, source_name
from fruitstand.io.inputs import Task, find_inputs, plan_tasks
from fruitstand.io.writers import loads_json
from fruitstand.step import StepStats

__all__ = ["ReadLimits", "read", "read_task"]


def read(path: str | os.PathLike, *, limits: ReadLimits | None = None, text_field: str | None = None,
         id_field: str | None = None, stats: StepStats | None = None) -> Iterator[Document]:
    """Every document under `path` (a file or a folder), in a stable order.

    `text_field`, `id_field`: the JSONL/Parquet fields holding the text and the id (`text`, `id`).
    `stats`: counts what was read and what was skipped, by reason, as a run's `read` does.
    """
    limits = limits or ReadLimits()
    limits = dataclasses.replace(limits, text_field=text_field or limits.text_field,
                                 id_field=id_field or limits.id_field)
    stats = stats if stats is not None else StepStats()
    for task in plan_tasks(find_inputs([path]), split_bytes=1 << 62):
        yield from read_task(task, stats, limits)


def read_task(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress | None = None) -> Iterator[Document]:
    if task.parts:  # small files packed into one task: one after another
        done = 0
        for part in task.parts:
            yield from read_task(part, stats, limits, progress and (lambda n, base=done: progress(base + n)))
            done += part.size
        return
    whole_file = task.start == 0 and task.end < 0
    if whole_file and (task.file_size if task.file_size >= 0 else fs.size(task.path)) == 0:
        skip(stats, "empty_file")
        return
    before = stats.docs_in
    try:
        for doc in _READERS[task.format](task, stats, limits, progress or (lambda n: None)):
            if doc.text:
                doc.text = normalise_text(doc.text)
            yield doc
    except _damage_errors() as exc:
        skip(stats, _damage_reason(exc))
    else:
        if whole_file and stats.docs_in == before:  # compressed nothing, blank lines, a table with no rows
            skip(stats, "empty_file")


@functools.cache
def _damage_errors() -> tuple[type[BaseException], ...]:
    import pyarrow

    return (OSError, EOFError, zlib.error, pyarrow.ArrowException)


def _damage_reason(exc: BaseException) -> str:
    msg = str(exc).lower()
    if isinstance(exc, EOFError) or "truncat" in msg or "end of stream" in msg or "ended before" in msg:
        return "truncated_input"
    return "corrupt_input"


class _ZstdStream(io.RawIOBase):
    """A zstd file as a raw stream: frame by frame, so a file cut off mid-frame is an EOFError
    (zstandard's own stream reader ends silently there), and its errors as OSError."""

    def __init__(self, path: str):
        import zstandard

        self._zstd = zstandard
        self._fh = fs.open_input(path)
        self._inflater = zstandard.ZstdDecompressor().decompressobj()
        self._in_frame = False
        self._out = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        while not self._out:
            # Small input reads bound the output of one call, however well the data compresses.
            data = self._fh.read(1 << 14)
            if not data:
                if self._in_frame:
                    raise EOFError("zstd: the file ended before the end of its last frame")
                return 0
            self._feed(data)
        n = min(len(buf), len(self._out))
        buf[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _feed(self, data: bytes) -> None:
        out = []
        while data:
            try:
                out.append(self._inflater.decompress(data))
            except self._zstd.ZstdError as exc:
                raise OSError(f"zstd: {exc}") from exc
            self._in_frame = not self._inflater.eof
            data = self._inflater.unused_data if self._inflater.eof else b""
            if self._inflater.eof:  # a new frame follows (zstd files may hold several)
                self._inflater = self._zstd.ZstdDecompressor().decompressobj()
        self._out = memoryview(b"".join(out))

    def close(self) -> None:
        self._fh.close()
        super().close()


def open_binary(path: str) -> io.BufferedIOBase:
    """A local or remote file as a byte stream, decompressed by its name (.gz, .zst, .bz2)."""
    name = path.lower()
    if name.endswith(".gz"):
        return gzip.open(fs.open_input(path), "rb")
    if name.endswith((".zst", ".zstd")):
        return io.BufferedReader(_ZstdStream(path), 1 << 16)
    if name.endswith(".bz2"):
        import bz2

        return bz2.open(fs.open_input(path), "rb")
    return fs.open_input(path)


def _json_loads():
    try:
        import orjson

        return orjson.loads
    except ImportError:  # pragma: no cover - orjson is a dependency, this is belt and braces
        import json

        return json.loads


def _doc_from_record(rec: object, fallback_id: str, source: str, limits: ReadLimits) -> Document | str:
    """A JSONL or Parquet record as a document: every field but the text and the id is metadata.

    A `metadata` object (Dolma's layout, and fruitstand's own output) is merged in, its fields
    under the record's own; a `metadata` that is no object is kept as the field `metadata`.
    """
    if not isinstance(rec, dict):
        return "not_an_object"
    text = rec.get(limits.text_field)
    if not isinstance(text, str):
        return "missing_text"
    id_field = limits.id_field
    meta = {k: v for k, v in rec.items() if k != id_field and k != limits.text_field and k != "metadata"}
    nested = rec.get("metadata")
    if isinstance(nested, str) and nested.startswith("{"):  # fruitstand's Parquet output: JSON text
        try:
            nested = loads_json(nested)
        except ValueError:
            pass
    if isinstance(nested, dict):
        for k, v in nested.items():
            meta.setdefault(k, v)
    elif nested is not None:
        meta["metadata"] = nested
    meta.setdefault("source", source)
    rid = rec.get(id_field)
    return Document(str(rid) if rid is not None else fallback_id, text, meta)


def _next_line(fh, limit: int) -> tuple[bytes | None, int]:
    """The next line and its length in bytes; None for a line over `limit`, read past in pieces."""
    line = fh.readline(limit + 1)
    if len(line) <= limit or line.endswith(b"\n"):
        return line, len(line)
    n = len(line)
    while True:
        rest = fh.readline(1 << 20)
        n += len(rest)
        if not rest or rest.endswith(b"\n"):
            return None, n


def _bad_line(line: bytes) -> str:
    if not line.endswith(b"\n"):
        return "truncated_input"  # the last line, cut off
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "not_utf8"
    return "bad_json"


def read_jsonl(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    loads = _json_loads()
    source = source_name(task)
    limit = limits.max_record_bytes
    with open_binary(task.path) as fh:
        pos = 0
        if task.start > 0:  # a byte-range task starts at the first line that begins in its range
            fh.seek(task.start - 1)
            pos = task.start - 1 + _next_line(fh, limit)[1]
        elif looks_binary(fh.peek(4096)):
            skip(stats, "binary")
            return
        while True:
            line, n = _next_line(fh, limit)
            if n == 0 or task.end >= 0 and pos >= task.end:
                break
            line_start, pos = pos, pos + n
            if stats.docs_in % 256 == 0:
                progress(pos - task.start)
            if line is None:
                skip(stats, "record_too_large")
                continue
            if not line.strip():
                continue
            stats.docs_in += 1
            try:
                out = _doc_from_record(loads(line), f"{source}@{line_start}", source, limits)
            except ValueError:
                out = _bad_line(line)
            if isinstance(out, Document):
                stats.docs_out += 1
                yield out
            else:
                stats.drop(out)
        progress(pos - task.start)


def read_parquet(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    """Rows as documents, row group by row group: a damaged group (a page that does not decode)
    counts its unread rows as `corrupt_input` and reading goes on with the next group; a string
    that is no UTF-8 drops its row as `not_utf8` when it is the text, else is read with U+FFFD."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = source_name(task)
    if fs.is_url(task.path):
        pf = pq.ParquetFile(fs.open_input(task.path))
    else:  # streamed page by page: a row group is never in memory whole (RESULTS.md, issue 21)
        pf = pq.ParquetFile(task.path, **STREAMED)
    meta = pf.metadata
    groups = list(range(pf.num_row_groups))
    if task.end >= 0:  # a byte range (io/inputs.py): the row groups whose first page is in it
        groups = [g for g in groups if task.start <= _group_offset(meta.row_group(g)) < task.end]
    if limits.text_field not in pf.schema_arrow.names:
        rows = sum(meta.row_group(i).num_rows for i in groups)
        stats.docs_in += rows
        stats.drop("missing_text", rows)
        return
    row = sum(meta.row_group(i).num_rows for i in range(groups[0] if groups else 0))
    done = 0
    for g in groups:
        first, n = row, meta.row_group(g).num_rows
        try:
            for batch in pf.iter_batches(row_groups=[g], batch_size=4096):
                for rec in _batch_rows(batch, limits.text_field):
                    stats.docs_in += 1
                    doc = _doc_from_record(rec, f"{source}@{row}", source, limits) if rec is not None else "not_utf8"
                    row += 1
                    if isinstance(doc, str):
                        stats.drop(doc)
                    elif len(doc.text) > limits.max_record_bytes:
                        stats.drop("record_too_large")
                    else:
                        stats.docs_out += 1
                        yield doc
                done += batch.nbytes
                progress(min(done, task.size))
        except (OSError, pa.ArrowException):
            lost = first + n - row
            stats.docs_in += lost
            stats.drop("corrupt_input", lost)
            row = first + n


# How a local Parquet file is read: through a 1 MiB buffer, each column chunk's pages as they are
# decoded, instead of a whole row group's column chunks read in first (pyarrow's pre_buffer). For a
# 32 MiB row group, +14 MiB at the peak instead of +34, at the same speed (benchmarks/RESULTS.md).
STREAMED = {"buffer_size": 1 << 20, "pre_buffer": False}


def _group_offset(group) -> int:
    col = group.column(0)
    if col.has_dictionary_page and col.dictionary_page_offset is not None:
        return min(col.dictionary_page_offset, col.data_page_offset)
    return col.data_page_offset


def _batch_rows(batch, text_field: str) -> list[dict | None]:
    """A record batch's rows as dicts; a row whose text is no UTF-8 as None."""
    try:
        return batch.to_pylist()
    except UnicodeDecodeError:  # Arrow checks UTF-8 lazily: a flipped bit surfaces here
        pass
    import pyarrow as pa

    columns = {}
    for name, col in zip(batch.schema.names, batch.columns):
        try:
            columns[name] = col.to_pylist()
        except UnicodeDecodeError:
            raw = col.cast(pa.large_binary() if pa.types.is_large_string(col.type) else pa.binary()).to_pylist()
            columns[name] = [_Bad(v) if v is not None and not _is_utf8(v) else
                             (v.decode() if v is not None else None) for v in raw]
    out = []
    for i in range(batch.num_rows):
        rec = {k: v[i] for k, v in columns.items()}
        if isinstance(rec.get(text_field), _Bad):
            out.append(None)
            continue
        for k, v in rec.items():
            if isinstance(v, _Bad):
                rec[k] = v.data.decode("utf-8", "replace")
        out.append(rec)
    return out


class _Bad:
    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def read_text(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    source = source_name(task)
    stats.docs_in += 1
    size = fs.size(task.path)
    if size > limits.max_record_bytes:
        stats.drop("record_too_large")
        return
    with fs.open_input(task.path) as fh:
        data = fh.read()
    progress(size)
    bom = next((enc for mark, enc in _BOMS if data.startswith(mark)), None)
    if bom is not None:  # UTF-16 is half NUL bytes: the byte-order mark says it is text all the same
        text = data.decode(bom, errors="replace")
    elif not data.strip():
        stats.drop("empty_text")
        return
    elif looks_binary(data) or data.count(b"\x00") > len(data) // 1000:
        stats.drop("binary")
        return
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = bytes_to_str(data, detect_encoding(data))
            stats.extra["decoded_as_non_utf8"] += 1
    if not text.strip():
        stats.drop("empty_text")
        return
    stats.docs_out += 1
    yield Document(source, text.strip(), {"source": source})


def read_html(task: Task, stats: StepStats, limits: ReadLimits, progress: Progress) -> Iterator[Document]:
    """A saved web page (`.html`, `.htm`, gzipped or not) as one document for `extract`.

    Its URL is the first line of a sidecar file named like the page with `.url` in place of
    `.html(.gz)` (`page.html.gz` -> `page.url`), else the page's name in its folder.
    """
    source = source_name(task)
    stats.docs_in += 1
    with open_binary(task.path) as fh:
        data = fh.read(limits.max_record_bytes + 1)
    progress(task.size)
    if len(data) > limits.max_record_bytes:
        stats.drop("record_too_large")
        return
    if not data.strip():
        stats.drop("empty_text")
        return
    if looks_binary(data):
        stats.drop("binary_payload")
        return
    stats.docs_out += 1
    yield Document(source, "", {"url": _sidecar_url(task.path) or source, "source": source}, html=data)


def _sidecar_url(path: str) -> str | None:
    name = os.path.basename(path)
    stem = name[:name.lower().rfind(".htm")]
    try:
        with open(os.path.join(os.path.dirname(path), stem + ".url"), encoding="utf-8") as fh:
            return fh.readline().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


_READERS = {
    "warc": read_warc,
    "arc": read_arc,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "text": read_text,
    "html": read_html,
}
