"""End to end on real WARC files: shards, manifest, formats, and the output folder's safety rules."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
import zstandard

import fruitstand
from fruitstand import RecipeError
from fruitstand.io.base import normalise_text
from tests.conftest import tree_digest

EXTRACT = [{"kind": "extract"}]
FINEWEB = ["extract", "url_filter", "langid", "gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality",
           "exact_dedup", "minhash_dedup"]


@pytest.fixture(scope="module")
def warc_run(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    inputs = [shared / "warc" / "articles-61.warc.gz", shared / "warc" / "sample-0000.warc.gz"]
    manifest = fruitstand.run(EXTRACT, inputs=inputs, output=out, workers=2)
    return out, manifest, inputs


def test_manifest_counts_and_inputs(warc_run):
    out, m, inputs = warc_run
    assert json.loads((out / "manifest.json").read_text()) == m
    assert [i["name"] for i in m["inputs"]] == sorted(p.name for p in inputs)
    assert all(len(i["sha256"]) == 64 and i["size"] > 0 for i in m["inputs"])
    # sample-0000 holds request and metadata records besides its HTML responses: counted, not read as documents
    assert m["read"]["skipped"]["record_type:request"] > 0
    assert m["read"]["records"] == m["read"]["documents"] + sum(m["read"]["skipped"].values())
    extract = m["steps"][0]
    assert extract["kind"] == "extract" and extract["in"] == m["read"]["documents"]
    assert extract["out"] + sum(extract["dropped"].values()) == extract["in"]
    assert m["output"]["documents"] == extract["out"] > 60
    assert {"fastwarc", "resiliparse", "pyarrow", "python"} <= set(m["versions"])
    assert m["recipe"]["step"] == [{"kind": "extract"}]
    assert m["wall_time_s"] > 0


def test_parquet_shards_read_by_pyarrow_and_datasets(warc_run):
    out, m, _ = warc_run
    table = pq.read_table(out / "data")
    assert table.num_rows == m["output"]["documents"]
    assert table.column_names[:4] == ["id", "text", "url", "language"]
    assert "title" in table.column_names and "html" not in table.column_names
    rows = table.to_pylist()
    assert all(r["url"].startswith("http") and len(r["text"]) > 0 for r in rows)
    assert all(r["language"] is None for r in rows)  # no langid step in this recipe
    wsj = [r for r in rows if "wsj.com" in r["url"]]
    assert wsj and "Stadia" in wsj[0]["title"] and wsj[0]["text"].startswith("Gaming used to be so simple.")

    import datasets

    ds = datasets.load_dataset("parquet", data_files=str(out / "data" / "*.parquet"), split="train")
    assert ds.num_rows == table.num_rows and ds[0]["id"] == rows[0]["id"]


def test_same_input_same_bytes_whatever_the_workers(shared, tmp_path):
    inputs = [shared / "warc" / "articles-61.warc.gz", shared / "warc" / "sample-0001.warc.gz"]
    fruitstand.run(inputs=inputs, output=tmp_path / "a", workers=1)
    fruitstand.run(inputs=inputs, output=tmp_path / "b", workers=2)
    fruitstand.run(inputs=inputs, output=tmp_path / "c", workers=0)
    assert tree_digest(tmp_path / "a" / "data") == tree_digest(tmp_path / "b" / "data")
    assert tree_digest(tmp_path / "a" / "data") == tree_digest(tmp_path / "c" / "data")


def test_jsonl_output(shared, tmp_path):
    m = fruitstand.run(EXTRACT, inputs=[shared / "warc" / "articles-61.warc.gz"], output=tmp_path / "j", workers=1,
                       format="jsonl")
    files = m["output"]["files"]
    assert files and all(f.endswith(".jsonl.zst") for f in files)
    with open(tmp_path / "j" / files[0], "rb") as fh:
        lines = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8").readlines()
    recs = [json.loads(line) for line in lines]
    assert len(recs) == m["output"]["documents"] == 61
    assert list(recs[0])[:4] == ["id", "text", "url", "language"]


def test_small_shard_size_splits_output(shared, tmp_path):
    m = fruitstand.run(EXTRACT, inputs=[shared / "warc" / "articles-61.warc.gz"], output=tmp_path / "s",
                       workers=1, shard_size_mb=0.05)
    assert len(m["output"]["files"]) > 3
    assert pq.read_table(tmp_path / "s" / "data").num_rows == 61


def test_output_of_another_run_is_never_overwritten_by_accident(shared, tmp_path):
    out = tmp_path / "o"
    a = [shared / "warc" / "articles-61.warc.gz"]
    b = [shared / "warc" / "sample-0000.warc.gz"]
    fruitstand.run(EXTRACT, inputs=a, output=out, workers=1)
    before = tree_digest(out)
    with pytest.raises(RecipeError, match="--overwrite"):
        fruitstand.run(EXTRACT, inputs=b, output=out, workers=1)
    with pytest.raises(RecipeError, match="--overwrite"):
        fruitstand.run([{"kind": "extract", "backend": "trafilatura"}], inputs=a, output=out, workers=1)
    assert tree_digest(out) == before
    m = fruitstand.run(EXTRACT, inputs=b, output=out, workers=1, overwrite=True)
    assert m["inputs"][0]["name"] == "sample-0000.warc.gz"

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("my work")
    with pytest.raises(RecipeError, match="not empty"):
        fruitstand.run(EXTRACT, inputs=a, output=foreign, workers=1)
    assert (foreign / "thesis.tex").read_text() == "my work"


def test_jsonl_and_parquet_inputs_keep_their_metadata(shared, tmp_path):
    m = fruitstand.run([], inputs=[shared / "text" / "cc_en_head-0091.jsonl.gz"], output=tmp_path / "o", workers=1)
    rows = pq.read_table(tmp_path / "o" / "data").to_pylist()
    assert len(rows) == m["output"]["documents"] == 10
    src = [json.loads(line) for line in subprocess.run(
        ["gzip", "-dc", str(shared / "text" / "cc_en_head-0091.jsonl.gz")], capture_output=True, check=True,
        text=True).stdout.splitlines()]
    assert [r["id"] for r in rows] == [str(s["id"]) for s in src]
    assert [r["text"] for r in rows] == [normalise_text(s["text"]) for s in src]
    # round trip: the Parquet output is a valid input of another run, metadata kept
    m2 = fruitstand.run([], inputs=[tmp_path / "o" / "data"], output=tmp_path / "p", workers=1)
    rows2 = pq.read_table(tmp_path / "p" / "data").to_pylist()
    assert m2["output"]["documents"] == 10 and [r["text"] for r in rows2] == [r["text"] for r in rows]
    assert [r["metadata"] for r in rows2] == [r["metadata"] for r in rows]


def test_cli_default_run_on_bundled_sample(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fruitstand", "run", "--quiet", "--output", str(tmp_path / "d")],
                          capture_output=True, text=True, check=True)
    m = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert f"{m['output']['documents']} documents" in proc.stdout and str(tmp_path / "d") in proc.stdout
    assert [s["kind"] for s in m["steps"]] == ["opt_out", "extract", "license", *FINEWEB[1:], "decontaminate", "pii"]
    assert m["read"]["documents"] == 61
    # news articles: most survive the FineWeb filters, and the funnel only ever narrows
    funnel = [f["documents"] for f in m["funnel"]]
    assert funnel == sorted(funnel, reverse=True) and funnel[-1] >= 45
    langid = next(s for s in m["steps"] if s["kind"] == "langid")
    assert langid["out"] == 61  # all English, all confidently so


@pytest.mark.parametrize("sub", ["run", "steps", "read"])
def test_every_subcommand_has_help_with_an_example(sub):
    proc = subprocess.run([sys.executable, "-m", "fruitstand", sub, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "example:" in proc.stdout
