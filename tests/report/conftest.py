"""Two real runs shared by the report and card tests: the default recipe to Parquet, a short one to JSONL.

Inputs: the 61 news pages of articles-61.warc.gz and BBC News' technology articles (401 of
bbc-news.jsonl.gz, with the corpus's own exact and near duplicates), both from ../shared/data.
"""

from __future__ import annotations

import gzip
import json

import pytest

import fruitstand


@pytest.fixture(scope="session")
def bbc_tech(shared, tmp_path_factory):
    path = tmp_path_factory.mktemp("input") / "bbc-tech.jsonl.gz"
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as src, gzip.open(path, "wt") as dst:
        for line in src:
            if json.loads(line)["id"].startswith("bbc/tech/"):
                dst.write(line)
    return path


@pytest.fixture(scope="session")
def parquet_run(shared, bbc_tech, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "news"
    manifest = fruitstand.run(inputs=[shared / "warc" / "articles-61.warc.gz", bbc_tech], output=out, workers=1)
    return out, manifest


@pytest.fixture(scope="session")
def jsonl_run(bbc_tech, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "news-jsonl"
    recipe = [{"kind": "langid"}, {"kind": "gopher_quality"}, {"kind": "exact_dedup"}]
    manifest = fruitstand.run(recipe, inputs=[bbc_tech], output=out, workers=1, format="jsonl")
    return out, manifest
