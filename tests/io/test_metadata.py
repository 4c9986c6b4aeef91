"""Metadata is never lost or changed (issue 13): every field a reader brings and every field a
step sets reaches the output, whichever record it first appears in, with its type.

The rule (io/writers.py `Schema`, README "Output"): typed columns for the core fields, `source`,
`date` and what steps declare; every other field in one JSON `metadata` column.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

import pyarrow.parquet as pq
import pytest

import fruitstand
from fruitstand.step import Mapper


def rows(out) -> list[dict]:
    """Every output row, its `metadata` JSON decoded, ordered by id."""
    table = pq.read_table(out / "data")
    recs = table.to_pylist()
    for r in recs:
        r["metadata"] = json.loads(r["metadata"]) if r["metadata"] is not None else None
    return sorted(recs, key=lambda r: r["id"])


def test_a_field_changing_type_keeps_every_value(shared, tmp_path):
    src = shared / "faults" / "metatypes.jsonl"
    want = {r["id"]: r["score"] for r in map(json.loads, src.read_text().splitlines())}
    assert len({type(v) for v in want.values()}) >= 4  # int, float, str, None, list
    fruitstand.run([], inputs=[src], output=tmp_path / "o", workers=0)
    got = {r["id"]: r["metadata"]["score"] for r in rows(tmp_path / "o")}
    assert got == want
    assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in want.items()}


def test_a_field_first_seen_in_a_later_record_is_kept(shared, tmp_path):
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        recs = [json.loads(next(fh)) for _ in range(40)]
    recs[30]["topic"] = {"section": "business", "tags": ["oil", 2]}  # nested, only in the 31st record
    recs[35]["views"] = 2**63 + 5  # past int64
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    fruitstand.run([], inputs=[tmp_path / "in.jsonl"], output=tmp_path / "o", workers=0)
    out = {r["id"]: r for r in rows(tmp_path / "o")}
    assert out[recs[30]["id"]]["metadata"]["topic"] == {"section": "business", "tags": ["oil", 2]}
    assert out[recs[35]["id"]]["metadata"]["views"] == 2**63 + 5
    assert out[recs[0]["id"]]["metadata"] is None  # nothing beyond the typed columns
    assert out[recs[0]["id"]]["source"] == "in.jsonl"


@dataclass
class Tag(Mapper):
    """Sets a field it does not declare: a nested value, of a type that varies by document."""

    kind = "tests.io.test_metadata:Tag"

    def apply(self, doc):
        n = len(doc.text)
        doc.metadata["tag"] = {"chars": n, "words": doc.text.split()[:2]} if n % 2 else n
        return doc


@pytest.mark.parametrize("workers", [0, 2])
def test_step_fields_pass_a_whole_corpus_step_unchanged(shared, tmp_path, workers):
    """langid's declared fields are columns; an undeclared nested field set before exact dedup
    comes out once-encoded, the same for any number of workers."""
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        lines = [next(fh) for _ in range(120)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(lines))
    recipe = [{"kind": "langid"}, {"kind": Tag.kind}, {"kind": "exact_dedup"}]
    fruitstand.run(recipe, inputs=[src], output=tmp_path / "o", workers=workers, split_mb=0.05)
    out = rows(tmp_path / "o")
    texts = {json.loads(line)["id"]: json.loads(line)["text"] for line in lines}
    assert len(out) > 100
    for r in out:
        n = len(texts[r["id"]])
        assert r["metadata"]["tag"] == ({"chars": n, "words": texts[r["id"]].split()[:2]} if n % 2 else n)
        assert r["language"] == "eng" and r["script"] == "Latn"
        assert isinstance(r["language_score"], float) and 0.65 <= r["language_score"] <= 1
    schema = pq.read_schema(next((tmp_path / "o" / "data").glob("*.parquet")))
    assert schema.names == ["id", "text", "url", "language", "language_score", "script", "source", "metadata"]


def test_shards_of_one_run_load_as_one_dataset(shared, tmp_path):
    """Different fields in different shards: one schema, so `datasets` reads the folder whole."""
    datasets = pytest.importorskip("datasets")
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        recs = [json.loads(next(fh)) for _ in range(60)]
    for i, r in enumerate(recs):
        r["extra" if i < 30 else "other"] = i if i % 3 else str(i)
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs[:30]))
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs[30:]))
    fruitstand.run([], inputs=[tmp_path], output=tmp_path / "o", workers=0, split_mb=0.02)
    files = sorted(str(p) for p in (tmp_path / "o" / "data").glob("*.parquet"))
    assert len(files) >= 2
    ds = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path / "cache"))
    assert len(ds) == 60
    extras = [json.loads(m) for m in ds["metadata"]]
    got = [e.get("extra", e.get("other")) for e in extras]
    assert sorted(got, key=repr) == sorted((i if i % 3 else str(i) for i in range(60)), key=repr)
