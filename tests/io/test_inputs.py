"""Inputs users have (issue 13): text under another field, folders of saved pages, WAT files,
earlier outputs, one-frame zstd WARCs, and folders of many small files.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

import fruitstand
from fruitstand.io.base import normalise_text
from fruitstand.io.inputs import find_inputs, plan_tasks
from fruitstand.io.readers import read
from tests.conftest import tree_digest


def _cc(shared, n=40) -> list[dict]:
    with gzip.open(shared / "text" / "CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", "rt") as fh:
        return [json.loads(next(fh)) for _ in range(n)]


def test_text_and_id_under_other_fields(shared, tmp_path):
    recs = _cc(shared)
    moved = [{"doc_id": r["id"], "raw_content": r["text"], "lang": "en"} for r in recs]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in moved))
    pq.write_table(pa.Table.from_pylist(moved), tmp_path / "b.parquet")
    for name in ("a.jsonl", "b.parquet"):
        docs = list(read(tmp_path / name, text_field="raw_content", id_field="doc_id"))
        assert [d.id for d in docs] == [r["id"] for r in recs]
        assert all(d.metadata["lang"] == "en" and "raw_content" not in d.metadata for d in docs)
        assert [d.text for d in docs] == [normalise_text(r["text"]) for r in recs]
        assert list(read(tmp_path / name)) == []  # no `text` field: every record missing_text
    # the CLI and the Python API, same names, same output
    m = fruitstand.run([], inputs=[tmp_path / "a.jsonl"], output=tmp_path / "api", workers=0,
                       text_field="raw_content", id_field="doc_id")
    assert m["output"]["documents"] == len(recs)
    empty = tmp_path / "empty.toml"
    empty.write_text('name = "none"\n')
    proc = subprocess.run([sys.executable, "-m", "fruitstand", "run", str(empty), "--quiet", "--workers", "0",
                           "--input", str(tmp_path / "a.jsonl"), "--output", str(tmp_path / "cli"),
                           "--text-field", "raw_content", "--id-field", "doc_id"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    api, cli = pq.read_table(tmp_path / "api" / "data"), pq.read_table(tmp_path / "cli" / "data")
    assert api.column("id").to_pylist() == cli.column("id").to_pylist() == [r["id"] for r in recs]


def test_a_folder_of_saved_pages(shared, tmp_path):
    pages = sorted((shared / "extraction" / "html").glob("*.html.gz"))[:6]
    truth = json.loads((shared / "extraction" / "ground-truth.json").read_text())
    for i, p in enumerate(pages):
        if i % 2:  # plain .html, no sidecar: the url is the file name
            (tmp_path / p.name[:-3]).write_bytes(gzip.decompress(p.read_bytes()))
        else:
            shutil.copy(p, tmp_path / p.name)
            (tmp_path / (p.name[:-len(".html.gz")] + ".url")).write_text(truth[p.name.split(".")[0]]["url"] + "\n")
    m = fruitstand.run([{"kind": "extract"}], inputs=[tmp_path], output=tmp_path / "o", workers=0)
    assert (m["read"]["records"], m["read"]["documents"], m["read"]["skipped"]) == (6, 6, {})
    rows = {r["source"]: r for r in pq.read_table(tmp_path / "o" / "data").to_pylist()}
    for i, p in enumerate(pages):
        key = p.name.split(".")[0]
        r = rows[p.name[:-3] if i % 2 else p.name]
        assert r["url"] == (r["source"] if i % 2 else truth[key]["url"])
        words = truth[key]["articleBody"].split()[:8]
        assert " ".join(words[:3]) in " ".join(r["text"].split())  # the article, extracted


def test_wat_input_says_it_holds_no_pages(shared, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fruitstand", "run", "--input",
                           str(shared / "warc" / "whirlwind.warc.wat.gz"), "--output", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and not (tmp_path / "o").exists()
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "WAT" in lines[0] and "no pages" in lines[0] and "WARC" in lines[0]


def test_an_earlier_output_folder_reads_its_data_only(shared, tmp_path):
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        (tmp_path / "in.jsonl").write_text("".join(next(fh) for _ in range(50)))
    for fmt in ("parquet", "jsonl"):
        first = tmp_path / f"first-{fmt}"
        fruitstand.run([{"kind": "langid"}], inputs=[tmp_path / "in.jsonl"], output=first, workers=0, format=fmt)
        assert (first / "manifest.json").exists() and (first / ".fruitstand").is_dir()
        m = fruitstand.run([], inputs=[first], output=tmp_path / f"second-{fmt}", workers=0)
        assert [i["name"] for i in m["inputs"]] == [f"data/{f.name}" for f in sorted((first / "data").iterdir())]
        assert (m["read"]["records"], m["read"]["documents"], m["read"]["skipped"]) == (50, 50, {})
        before = {d.id: d.metadata for d in read(first / "data")}
        after = {d.id: d.metadata for d in read(tmp_path / f"second-{fmt}" / "data")}
        assert after.keys() == before.keys() and all(after[k]["script"] == "Latn" for k in after)


def test_a_one_frame_zstd_warc_reads_every_record(shared, tmp_path):
    for name in ("science-0.warc.gz", "articles-61.warc.gz"):
        raw = gzip.decompress((shared / "warc" / name).read_bytes())
        (tmp_path / "plain.warc").write_bytes(raw)
        (tmp_path / "one.warc.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
        plain = [d.id for d in read(tmp_path / "plain.warc")]
        assert [d.id for d in read(tmp_path / "one.warc.zst")] == plain and plain
        assert len(re.findall(rb"WARC-Type: response", raw)) == len(plain)


def test_small_files_are_packed_into_tasks(shared, tmp_path):
    """250 real news .txt files: a few tasks of the slice size, the same shards for any --workers."""
    files = find_inputs([shared / "urdu-news"])
    assert len(files) == 250
    total = sum(f.size for f in files)
    assert len(plan_tasks(files)) == 1  # under 1 MB in all: under one slice
    tasks = plan_tasks(files, split_bytes=100_000)
    assert total // 100_000 <= len(tasks) <= total // 100_000 + 2 and all(t.size <= 100_000 for t in tasks)
    assert [p.path for t in tasks for p in t.files()] == [f.path for f in files]  # input order, each once
    digests = []
    for workers in (0, 2):
        out = tmp_path / f"w{workers}"
        m = fruitstand.run([], inputs=[shared / "urdu-news"], output=out, workers=workers, split_mb=100_000 / (1 << 20))
        assert m["read"]["documents"] == 250 and len(m["output"]["files"]) == len(tasks)
        assert all(i["sha256"] for i in m["inputs"]) and len(m["inputs"]) == 250
        digests.append(tree_digest(out / "data"))
    assert digests[0] == digests[1]
