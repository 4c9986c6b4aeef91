"""Find input files, tell their format from the name, and cut them into tasks.

A task is a slice of one input file: the whole file, a byte range of an uncompressed JSONL
file (cut at line starts), a byte range of a gzipped WARC (cut at record starts: Common
Crawl's WARCs are one gzip member per record, so one 1 GB file can keep every core busy),
or a range of row groups of a Parquet file. Other compressed files are one task each: a
compressed stream cannot be entered in the middle. Small whole files, in input order, are
packed into one task up to `PACK_MIN` (1 MB), or the slice size where the corpus is big
(250 `.txt` files are not 250 tasks and shards; two 2 MB WARCs stay two tasks).

An earlier fruitstand output folder given as input (it holds `manifest.json` and `data/`)
is read from its `data/` alone: its manifest, dataset card and state are no documents.
Hidden files and folders (a run's `.fruitstand/` state) are never inputs.

How big a slice is: `split_bytes` when given; by default the input is cut into about
`TARGET_TASKS` slices, none under `MIN_SPLIT` nor over `MAX_SPLIT`. It depends on the
inputs alone (never on the number of workers), so the same inputs always give the same
tasks and shards.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from fruitstand.io import fs
from fruitstand.registry import RecipeError

# Suffix (after stripping a compression suffix) -> format.
_COMPRESSION = (".gz", ".zst", ".zstd", ".lz4", ".bz2")
_FORMATS = {
    ".warc": "warc",
    ".wet": "warc",
    ".wat": "wat",
    ".arc": "arc",
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
}
# Formats whose documents hold HTML and need the `extract` step.
HTML_FORMATS = {"warc", "arc", "html"}
GZIP_MAGIC = b"\x1f\x8b\x08"  # how every gzip member starts


@dataclass(frozen=True)
class InputFile:
    path: str
    format: str
    size: int
    name: str = ""  # relative to the folder given, or the file name: stable across machines
    # Its version when planned (local: mtime in ns; remote: ETag or modification time), "" when
    # unknown: a task checks the file is still the one planned.
    mtime: str = ""


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
    file_size: int = -1  # the whole file's size and version when planned; -1: unknown, not checked
    mtime: str = ""
    # A packed task: small whole files read one after another (format "pack"); empty otherwise.
    parts: tuple[Task, ...] = ()

    def files(self) -> tuple[Task, ...]:
        """The single-file tasks this task reads: its parts, or itself."""
        return self.parts or (self,)


def detect_format(path: str | os.PathLike) -> str | None:
    name = os.path.basename(os.fspath(path)).lower()  # string operations: planning calls this per file
    for comp in _COMPRESSION:
        if name.endswith(comp):
            name = name[: -len(comp)]
            break
    # whirlwind.warc.wet -> .wet ; file.warc -> .warc ; CC-MAIN-...-00140.jsonl -> .jsonl
    dot = name.rfind(".")
    return _FORMATS.get(name[dot:]) if dot > 0 else None


def _walk(folder: str) -> list[tuple[str, str, os.stat_result, bool]]:
    """(path, name relative to `folder`, stat, reached through a link) of every visible file under
    `folder`, sorted by name; of an earlier fruitstand output inside it, its data/ only.

    os.scandir rather than pathlib: planning 10,000 files spends its time here (see
    benchmarks/bench_planning.py)."""
    out = []
    todo = [(folder, "", False)]
    while todo:
        here, rel, linked = todo.pop()
        with os.scandir(here) as it:
            entries = list(it)
        if any(e.name == "manifest.json" and e.is_file() for e in entries) and any(
                e.name == "data" and e.is_dir() for e in entries):  # a fruitstand output folder
            entries = [e for e in entries if e.name == "data"]
        for entry in entries:
            if entry.name.startswith("."):
                continue
            name = f"{rel}{entry.name}"
            link = linked or entry.is_symlink()
            if entry.is_dir():
                todo.append((entry.path, name + "/", link))
            elif entry.is_file():
                out.append((entry.path, name, entry.stat(), link))
    return sorted(out, key=lambda e: e[1])


def find_inputs(paths: list[str | os.PathLike], *, limit: int | None = None) -> list[InputFile]:
    """Every readable input under `paths`, sorted, or a RecipeError naming what is wrong.

    A path may be a URL (io/fs.py), a remote folder (`s3://bucket/prefix/`), or a list of
    files one per line (`*.paths`, `*.paths.gz`, as Common Crawl publishes each crawl's
    `warc.paths.gz`); `limit` keeps the first N files of such lists, for a trial run.
    """
    if not paths:
        raise RecipeError("no input given: pass --input PATH (a file or a folder)")
    if limit is not None and limit < 1:
        raise RecipeError(f"--limit {limit}: give 1 or more")
    found: dict[str, InputFile] = {}
    listed = 0
    for raw in paths:
        if is_path_list(str(raw)):
            entries = read_path_list(str(raw))
            if limit is not None:
                entries = entries[: max(0, limit - listed)]
            listed += len(entries)
            for url, name in entries:
                fmt = detect_format(url)
                if fmt is None:
                    raise RecipeError(f"can't tell the format of {url} (listed in {raw})")
                found[url] = InputFile(url, fmt, -1, name)  # size unknown: no request per file before work
            continue
        if fs.is_url(raw):
            for f in _remote_inputs(str(raw)):
                found[f.path] = f
            continue
        p = Path(raw)
        if not p.exists():
            raise RecipeError(f"input not found: {raw} (check the path)")
        is_dir = p.is_dir()
        if is_dir:
            root = os.path.realpath(p)
            files = _walk(str(p))
        else:
            root = None
            files = [(str(p), p.name, p.stat(), True)]
        n_before = len(found)
        for path, name, st, linked in files:
            fmt = detect_format(name)
            if fmt == "wat":
                raise RecipeError(f"{path if is_dir else raw} is a WAT file: it holds metadata about pages, no pages; "
                                  "give the matching WARC (pages) or WET (text) file instead")
            if fmt is None:
                if not is_dir:
                    raise RecipeError(
                        f"can't tell the format of {raw}: name it .warc(.gz), .wet.gz, .arc(.gz), "
                        ".jsonl(.gz|.zst), .parquet, .txt or .html(.gz)"
                    )
                continue
            if not os.access(path, os.R_OK):
                raise RecipeError(f"can't read input {path}: permission denied")
            # A file under a resolved folder is its own real path unless a link leads to it.
            key = os.path.join(root, name) if root is not None and not linked else os.path.realpath(path)
            found[key] = InputFile(key, fmt, st.st_size, name, str(st.st_mtime_ns))
        if is_dir and len(found) == n_before:
            raise RecipeError(f"no readable files in folder {raw} (.warc.gz, .jsonl, .parquet, .txt, .html, ...)")
    return [found[k] for k in sorted(found)]


TARGET_TASKS = 64  # enough to keep 16-32 cores busy to the end with unequal slices
MIN_SPLIT = 4 << 20  # bytes: below this a task's start-up (~4 ms, a shard) starts to show
MAX_SPLIT = 256 << 20
# Files under this are packed into one task with their neighbours: a task's start-up and shard
# cost about what a file this size takes to process.
PACK_MIN = 1 << 20


def default_split(files: list[InputFile]) -> int:
    """Slice size for these inputs: about TARGET_TASKS slices in all, within MIN_SPLIT..MAX_SPLIT."""
    return min(MAX_SPLIT, max(MIN_SPLIT, sum(max(0, f.size) for f in files) // TARGET_TASKS))


PATH_LIST_SUFFIXES = (".paths", ".paths.gz")
# Where the relative lines of a local list point: Common Crawl's HTTPS endpoint.
COMMON_CRAWL = "https://data.commoncrawl.org/"


def is_path_list(path: str) -> bool:
    return path.lower().split("?", 1)[0].endswith(PATH_LIST_SUFFIXES)


def read_path_list(path: str) -> list[tuple[str, str]]:
    """(url, name) of each line of a list of files. Relative lines are relative to the list's
    host or bucket (s3://commoncrawl/, https://data.commoncrawl.org/), or to Common Crawl's
    HTTPS endpoint for a list on a local disk."""
    import gzip

    try:
        with fs.open_input(path) as fh:
            data = fh.read()
    except FileNotFoundError:
        raise RecipeError(f"input not found: {path} (check the path)") from None
    except OSError as exc:
        if not fs.is_url(path):
            raise
        raise RecipeError(fs.unreachable(path, exc)) from None
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if fs.is_url(path):
        kind, rest = path.split("://", 1)
        base = f"{kind}://{rest.split('/', 1)[0]}/"
    else:
        base = COMMON_CRAWL
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        url = line if fs.is_url(line) or line.startswith("/") else base + line.lstrip("/")
        out.append((url, line))
    if not out:
        raise RecipeError(f"{path} lists no files")
    return out


def _remote_inputs(url: str) -> list[InputFile]:
    if url.endswith("/"):
        try:
            listed = fs.list_files(url)
        except OSError as exc:
            raise RecipeError(fs.unreachable(url, exc)) from None
        files = [(u, n, v) for u, n, v in listed if detect_format(u) is not None]
        if not files:
            raise RecipeError(f"no readable files under {url} (.warc.gz, .jsonl, .parquet, .txt, ...)")
        return [InputFile(u, detect_format(u), n, u[len(url):], v) for u, n, v in files]
    fmt = detect_format(url)
    if fmt is None:
        raise RecipeError(f"can't tell the format of {url}: name it .warc(.gz), .wet.gz, .jsonl(.gz|.zst), "
                          ".parquet or .txt")
    try:
        size, version = fs.info(url)
    except FileNotFoundError:
        raise RecipeError(f"input not found: {url} (check the URL)") from None
    except OSError as exc:
        raise RecipeError(fs.unreachable(url, exc)) from None
    return [InputFile(url, fmt, size, url.rsplit("/", 1)[-1].split("?", 1)[0], version)]


def plan_tasks(files: list[InputFile], *, split_bytes: int | None = None) -> list[Task]:
    """Cut inputs into tasks. Deterministic: the same inputs give the same tasks."""
    if split_bytes is None:
        split_bytes = default_split(files)
    # Small files are packed up to PACK_MIN, more where the corpus is big (its slice size); a pack
    # under the slice size keeps a few files of a few MB on as many workers as before.
    pack_bytes = min(split_bytes, max(PACK_MIN, sum(max(0, f.size) for f in files) // TARGET_TASKS))
    tasks: list[Task] = []
    pack: list[Task] = []

    def close_pack() -> None:
        if len(pack) == 1:
            tasks.append(dataclasses.replace(pack[0], index=len(tasks)))
        elif pack:
            tasks.append(Task(len(tasks), pack[0].path, "pack", 0, -1, sum(t.size for t in pack), pack[0].name,
                              parts=tuple(pack)))
        pack.clear()

    for f in files:
        slices = _slices(f, split_bytes)
        if slices == [(0, -1, f.size)] and 0 <= f.size < pack_bytes:  # small and whole: packed with its neighbours
            if pack and sum(t.size for t in pack) + f.size > pack_bytes:
                close_pack()
            pack.append(Task(0, f.path, f.format, 0, -1, f.size, f.name, f.size, f.mtime))
            continue
        close_pack()
        for start, end, size in slices:
            tasks.append(Task(len(tasks), f.path, f.format, start, end, max(0, size), f.name, f.size, f.mtime))
    close_pack()
    return tasks


def _slices(f: InputFile, split_bytes: int) -> list[tuple[int, int, int]]:
    """Byte ranges of a file, from its name and size alone: planning opens no input.

    A range of a gzipped WARC holds the records whose gzip member starts in it, a range of a
    Parquet file the row groups whose first page does (the readers find them); a gzipped WARC
    that turns out to be one gzip stream is read whole by its first range (io/archives.py).
    """
    base = f.path.rsplit("/", 1)[-1].lower()
    suffix = base[base.rfind("."):] if "." in base else ""
    plain_jsonl = f.format == "jsonl" and suffix in (".jsonl", ".json", ".ndjson")
    gzip_warc = f.format == "warc" and suffix == ".gz"
    if f.size > split_bytes and (plain_jsonl or gzip_warc or f.format == "parquet"):
        return [(s, min(s + split_bytes, f.size), min(split_bytes, f.size - s)) for s in range(0, f.size, split_bytes)]
    return [(0, -1, f.size)]


def gzip_members(fh, probe: int = 32 << 20) -> bool:
    """Whether the gzip file `fh` holds more than one member (one per record, as crawlers write them).

    Inflates the first member, reading at most `probe` bytes: a first member that long is one
    stream over the whole file, or a record too big to be worth cutting around.
    """
    fh.seek(0)
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
