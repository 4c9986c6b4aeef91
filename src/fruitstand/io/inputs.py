"""Find input files, tell their format from the name, and cut them into tasks.

A task is a slice of one input file: the whole file, a byte range of an uncompressed JSONL
file (cut at line starts), a byte range of a gzipped WARC (cut at record starts: Common
Crawl's WARCs are one gzip member per record, so one 1 GB file can keep every core busy),
or a range of row groups of a Parquet file. Other compressed files are one task each: a
compressed stream cannot be entered in the middle.

How big a slice is: `split_bytes` when given; by default the input is cut into about
`TARGET_TASKS` slices, none under `MIN_SPLIT` nor over `MAX_SPLIT`. It depends on the
inputs alone (never on the number of workers), so the same inputs always give the same
tasks and shards.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from fruitstand.registry import RecipeError

# Suffix (after stripping a compression suffix) -> format.
_COMPRESSION = (".gz", ".zst", ".zstd", ".lz4", ".bz2")
_FORMATS = {
    ".warc": "warc",
    ".wet": "warc",
    ".wat": "warc",
    ".arc": "arc",
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".txt": "text",
}
# Formats whose documents hold HTML and need the `extract` step.
HTML_FORMATS = {"warc", "arc"}
GZIP_MAGIC = b"\x1f\x8b\x08"  # how every gzip member starts


@dataclass(frozen=True)
class InputFile:
    path: str
    format: str
    size: int
    name: str = ""  # relative to the folder given, or the file name: stable across machines
    mtime: int = 0  # when planned (ns since the epoch): a task checks the file is still as planned


@dataclass(frozen=True)
class Task:
    """A pure unit of work: a slice of one input file."""

    index: int
    path: str
    format: str
    start: int = 0  # byte offset (jsonl) or first row group (parquet)
    end: int = -1  # exclusive; -1 means to the end
    size: int = 0  # bytes this task covers, for progress
    name: str = ""  # the input's stable name, for `source` and default ids
    file_size: int = -1  # the whole file's size and mtime when planned; -1: not checked
    mtime: int = 0


def detect_format(path: str | os.PathLike) -> str | None:
    name = Path(path).name.lower()
    for comp in _COMPRESSION:
        if name.endswith(comp):
            name = name[: -len(comp)]
            break
    # whirlwind.warc.wet -> .wet ; file.warc -> .warc ; CC-MAIN-...-00140.jsonl -> .jsonl
    return _FORMATS.get(Path(name).suffix) if Path(name).suffix else None


def find_inputs(paths: list[str | os.PathLike]) -> list[InputFile]:
    """Every readable input under `paths`, sorted, or a RecipeError naming what is wrong."""
    if not paths:
        raise RecipeError("no input given: pass --input PATH (a file or a folder)")
    found: dict[str, InputFile] = {}
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise RecipeError(f"input not found: {raw} (check the path)")
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")) if p.is_dir() else [p]
        n_before = len(found)
        for f in files:
            fmt = detect_format(f)
            if fmt is None:
                if not p.is_dir():
                    raise RecipeError(
                        f"can't tell the format of {raw}: name it .warc(.gz), .wet.gz, .arc(.gz), "
                        ".jsonl(.gz|.zst), .parquet or .txt"
                    )
                continue
            if not os.access(f, os.R_OK):
                raise RecipeError(f"can't read input {f}: permission denied")
            key = str(f.resolve())
            name = f.relative_to(p).as_posix() if p.is_dir() else f.name
            st = f.stat()
            found[key] = InputFile(key, fmt, st.st_size, name, st.st_mtime_ns)
        if p.is_dir() and len(found) == n_before:
            raise RecipeError(f"no readable files in folder {raw} (.warc.gz, .jsonl, .parquet, .txt, ...)")
    return [found[k] for k in sorted(found)]


TARGET_TASKS = 64  # enough to keep 16-32 cores busy to the end with unequal slices
MIN_SPLIT = 4 << 20  # bytes: below this a task's start-up (~4 ms, a shard) starts to show
MAX_SPLIT = 256 << 20


def default_split(files: list[InputFile]) -> int:
    """Slice size for these inputs: about TARGET_TASKS slices in all, within MIN_SPLIT..MAX_SPLIT."""
    return min(MAX_SPLIT, max(MIN_SPLIT, sum(f.size for f in files) // TARGET_TASKS))


def plan_tasks(files: list[InputFile], *, split_bytes: int | None = None) -> list[Task]:
    """Cut inputs into tasks. Deterministic: the same inputs give the same tasks."""
    if split_bytes is None:
        split_bytes = default_split(files)
    tasks: list[Task] = []
    for f in files:
        for start, end, size in _slices(f, split_bytes):
            tasks.append(Task(len(tasks), f.path, f.format, start, end, size, f.name, f.size, f.mtime))
    return tasks


def _slices(f: InputFile, split_bytes: int) -> list[tuple[int, int, int]]:
    suffix = Path(f.path).suffix.lower()
    plain_jsonl = f.format == "jsonl" and suffix in (".jsonl", ".json", ".ndjson")
    # read_warc finds the record starts in each range; one gzip stream has none to find.
    gzip_warc = f.format == "warc" and suffix == ".gz"
    if f.size > split_bytes and (plain_jsonl or gzip_warc and _gzip_members(f.path)):
        return [(s, min(s + split_bytes, f.size), min(split_bytes, f.size - s)) for s in range(0, f.size, split_bytes)]
    if f.format == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(f.path).metadata
        except (OSError, pa.ArrowException):  # not a Parquet file after all: its task counts why
            return [(0, -1, f.size)]
        sizes = [meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)]
        out, start, acc = [], 0, 0
        for i, s in enumerate(sizes):
            acc += s
            if acc >= split_bytes:
                out.append((start, i + 1, acc))
                start, acc = i + 1, 0
        if start < len(sizes) or not out:
            out.append((start, len(sizes), acc))
        if len(out) > 1:
            return out
    return [(0, -1, f.size)]


def _gzip_members(path: str, probe: int = 32 << 20) -> bool:
    """Whether the gzip file holds more than one member (one per record, as crawlers write them).

    Inflates the first member, reading at most `probe` bytes: a first member that long is one
    stream over the whole file, or a record too big to be worth cutting around.
    """
    with open(path, "rb") as fh:
        try:
            rest = skip_gzip_member(fh, probe)
        except zlib.error:
            return False
        return rest is not None and (rest + fh.read(3))[:3] == GZIP_MAGIC


def skip_gzip_member(fh, budget: int | None = None) -> bytes | None:
    """Inflate the gzip member at `fh`'s position (output thrown away) and return the bytes read
    past its end: the next member's start, or b"" at the end of the file.

    None if the file ends inside the member or `budget` bytes go by first; zlib.error where
    the bytes are no gzip member.
    """
    inflater, read = zlib.decompressobj(31), 0
    while budget is None or read < budget:
        data = fh.read(1 << 16)
        if not data:
            return None
        read += len(data)
        while data:
            inflater.decompress(data, 1 << 16)  # bounded output
            if inflater.eof:
                return inflater.unused_data
            data = inflater.unconsumed_tail
    return None


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
