"""Planning reads no byte of the corpus: it lists the inputs and cuts them into tasks by size alone.

A Common Crawl dump is ~90,000 files and ~90 TB: anything the driver did per byte (hashing,
probing a gzip's members, sniffing a format) would come before the first task, for hours.
Every file open during `make_plan` is seen by a Python audit hook (the `open` event, raised by
`open`, `io.open`, `os.open` and the modules built on them: gzip, pyarrow's Python file
wrappers, hashlib's file digests), and the WARC readers' own entry points are replaced by ones
that fail, since fastwarc opens files in C++. The inputs are read, and hashed, once the tasks run.
"""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

import pytest

import fruitstand
from fruitstand.execute.plan import make_plan

_OPENED: list[str] | None = None  # the paths opened while a test listens


def _hook(event: str, args: tuple) -> None:
    if _OPENED is not None and event in ("open", "os.open") and args and isinstance(args[0], (str, bytes, Path)):
        _OPENED.append(str(args[0] if not isinstance(args[0], bytes) else args[0].decode(errors="replace")))


sys.addaudithook(_hook)  # hooks cannot be removed: this one records only inside `_listening`


class _listening:
    def __enter__(self) -> list[str]:
        global _OPENED
        _OPENED = []
        return _OPENED

    def __exit__(self, *exc) -> None:
        global _OPENED
        _OPENED = None


@pytest.fixture
def corpus(shared, tmp_path) -> Path:
    """A folder of real inputs of every kind, some large enough to be cut into byte ranges."""
    folder = tmp_path / "in"
    (folder / "deeper").mkdir(parents=True)
    for name in ("trafilatura-pages.warc.gz", "articles-61.warc.gz", "aut-example.arc.gz", "whirlwind.warc.wet.gz"):
        shutil.copyfile(shared / "warc" / name, folder / name)
    shutil.copyfile(shared / "text" / "bbc-news.jsonl.gz", folder / "deeper" / "bbc.jsonl.gz")
    (folder / "deeper" / "bbc.jsonl").write_bytes(gzip.decompress((shared / "text" / "bbc-news.jsonl.gz").read_bytes()))
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    pq.write_table(pj.read_json(folder / "deeper" / "bbc.jsonl"), folder / "deeper" / "bbc.parquet", row_group_size=200)
    return folder


def test_planning_opens_no_input(corpus, tmp_path, monkeypatch):
    import fastwarc.warc

    def refuse(*args, **kwargs):
        raise AssertionError("planning read a web archive")

    import pyarrow.parquet as pq

    monkeypatch.setattr(fastwarc.warc, "ArchiveIterator", refuse)  # fastwarc and pyarrow open files in C++
    monkeypatch.setattr(pq, "ParquetFile", refuse)
    monkeypatch.setattr(pq, "read_metadata", refuse)
    inputs = sorted(str(p) for p in corpus.rglob("*") if p.is_file())
    with _listening() as opened:
        plan = make_plan(None, inputs=[str(corpus)], output=tmp_path / "out", split_mb=1)
    touched = sorted({p for p in opened if any(p == i or p.startswith(str(corpus)) for i in inputs)})
    assert touched == [], f"planning opened inputs: {touched}"
    assert sorted(f.path for f in plan.files) == inputs
    big = [t for t in plan.tasks if t.path.endswith("trafilatura-pages.warc.gz")]
    assert len(big) >= 10 and len({t.start for t in big}) == len(big)  # cut by size into byte ranges, unopened
    assert all("sha256" not in i for i in plan.identity["inputs"])  # hashed by the tasks, as they read
    assert {f.format for f in plan.files} == {"warc", "arc", "jsonl", "parquet"}  # a WET file is a WARC


def test_the_audit_hook_sees_what_planning_would_read(corpus, tmp_path):
    """The check above can fail: the hashing a driver used to do before the first task is seen."""
    from fruitstand.io.inputs import sha256_file

    with _listening() as opened:
        plan = make_plan(None, inputs=[str(corpus)], output=tmp_path / "out", split_mb=1)
        for f in plan.files:
            sha256_file(f.path)
        with gzip.open(corpus / "deeper" / "bbc.jsonl.gz") as fh:
            fh.read(10)
    assert str(corpus / "articles-61.warc.gz") in opened and str(corpus / "deeper" / "bbc.jsonl.gz") in opened


def test_the_run_then_hashes_every_input(corpus, tmp_path, shared):
    """What planning leaves out, the tasks do: every input's sha256 is in the manifest."""
    import hashlib

    src = shared / "warc" / "whirlwind.warc.gz"
    m = fruitstand.run([{"kind": "extract"}], inputs=[src], output=tmp_path / "o", workers=0)
    assert m["inputs"][0]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
