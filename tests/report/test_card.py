"""The dataset card: a valid Hugging Face YAML header that makes `datasets.load_dataset(DIR)` read the shards."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest
import yaml
import zstandard


def _header(out):
    text = (out / "README.md").read_text()
    assert text.startswith("---\n")
    head, _, body = text[4:].partition("\n---\n")
    return yaml.safe_load(head), body


def _load(out, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    return datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf-cache"))


def test_card_header(parquet_run):
    out, manifest = parquet_run
    meta, _ = _header(out)
    assert meta["pretty_name"] == out.name
    assert meta["language"][0] == "en"  # English news: ISO 639-1, as the Hub prefers
    lic = meta["license"] if isinstance(meta["license"], list) else [meta["license"]]
    assert "unknown" in lic  # most news pages name no licence
    assert meta["size_categories"] == ["n<1K"] and manifest["output"]["documents"] < 1000
    assert meta["task_categories"] == ["text-generation"]
    assert meta["configs"] == [{"config_name": "default", "data_files": [{"split": "train", "path": "data/*.parquet"}]}]


def test_card_body_from_the_manifest(parquet_run):
    out, manifest = parquet_run
    _, body = _header(out)
    for source in manifest["inputs"]:
        assert source["sha256"] in body
    for step in manifest["steps"]:
        assert f"| {step['kind']} |" in body
        for reason, n in step["dropped"].items():
            assert f"{reason}: {n:,}" in body
    assert "min_doc_words=50" in body  # effective parameters, defaults included
    assert "## Known limits" in body and "## Citation" in body and "@misc{" in body


@pytest.mark.slow
def test_load_dataset_parquet(parquet_run, tmp_path, monkeypatch):
    out, manifest = parquet_run
    ds = _load(out, tmp_path, monkeypatch)
    assert ds.num_rows == manifest["output"]["documents"]
    expected = pq.read_table(out / "data").column("id").to_pylist()
    assert sorted(ds["id"]) == sorted(expected)
    assert {"id", "text", "url", "language"} <= set(ds.column_names)


@pytest.mark.slow
def test_load_dataset_jsonl(jsonl_run, tmp_path, monkeypatch):
    out, manifest = jsonl_run
    meta, _ = _header(out)
    assert meta["configs"][0]["data_files"][0]["path"] == "data/*.jsonl.zst"
    ds = _load(out, tmp_path, monkeypatch)
    assert ds.num_rows == manifest["output"]["documents"] > 300
    ids = []
    for name in manifest["output"]["files"]:
        with zstandard.ZstdDecompressor().stream_reader(open(out / name, "rb")) as fh:
            ids += [json.loads(line)["id"] for line in io.TextIOWrapper(fh, encoding="utf-8")]
    assert sorted(ds["id"]) == sorted(ids)


def test_hub_ids():
    from fruitstand.report.card import hub_language, hub_license, size_category

    assert [hub_license(x) for x in ("CC-BY-SA-4.0", "CC0-1.0", "CC-BY-SA-2.5", "LicenseRef-public-domain")] == [
        "cc-by-sa-4.0", "cc0-1.0", "cc", "other"]
    assert [hub_language(x) for x in ("eng", "cmn", "urd", "arb", "yue")] == ["en", "zh", "ur", "ar", "yue"]
    assert [size_category(n) for n in (0, 999, 1000, 2_500_000)] == ["n<1K", "n<1K", "1K<n<10K", "1M<n<10M"]
