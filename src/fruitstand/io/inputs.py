"""Find input files, tell their format from the name, and cut them into tasks.

A task is a slice of one input file: the whole file, a byte range of an uncompressed JSONL
file (cut at line starts), or a range of row groups of a Parquet file. Compressed files and
web archives are one task each: a gzip stream cannot be entered in the middle, and real
crawls come as many files of about a gigabyte anyway.
"""

from __future__ import annotations

import hashlib
import os
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


@dataclass(frozen=True)
class InputFile:
    path: str
    format: str
    size: int
    name: str = ""  # relative to the folder given, or the file name: stable across machines


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
            found[key] = InputFile(key, fmt, f.stat().st_size, name)
        if p.is_dir() and len(found) == n_before:
            raise RecipeError(f"no readable files in folder {raw} (.warc.gz, .jsonl, .parquet, .txt, ...)")
    return [found[k] for k in sorted(found)]


def plan_tasks(files: list[InputFile], *, split_bytes: int = 256 << 20) -> list[Task]:
    """Cut inputs into tasks. Deterministic: the same inputs give the same tasks."""
    tasks: list[Task] = []
    for f in files:
        for start, end, size in _slices(f, split_bytes):
            tasks.append(Task(len(tasks), f.path, f.format, start, end, size, f.name))
    return tasks


def _slices(f: InputFile, split_bytes: int) -> list[tuple[int, int, int]]:
    if f.format == "jsonl" and detect_format(f.path) == "jsonl" and Path(f.path).suffix.lower() in (".jsonl", ".json", ".ndjson"):
        if f.size > split_bytes:
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


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
