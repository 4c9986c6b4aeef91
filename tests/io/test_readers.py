"""The readers on real, intact inputs: every format, its counts, and ids that do not move.

Data: real crawls and corpora from ../shared/data (see its SOURCES.md); JSONL, zstd and
Parquet copies are made from those real texts in a temporary folder.
"""

from __future__ import annotations

import gzip
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from fruitstand.document import header_values
from fruitstand.io.base import normalise_text
from fruitstand.io.inputs import find_inputs, plan_tasks
from fruitstand.io.readers import ReadLimits, read, read_task
from fruitstand.step import StepStats


def read_all(path, *, split_bytes: int = 1 << 62) -> tuple[list, StepStats]:
    stats = StepStats()
    docs = [d for t in plan_tasks(find_inputs([path]), split_bytes=split_bytes)
            for d in read_task(t, stats, ReadLimits())]
    assert stats.docs_in == stats.docs_out + sum(stats.dropped.values())  # nothing vanishes uncounted
    assert stats.docs_out == len(docs)
    return docs, stats


def test_warc_responses_become_html_documents(shared):
    docs, stats = read_all(shared / "warc" / "articles-61.warc.gz")
    assert len(docs) == stats.docs_in == 61
    assert all(d.html and d.html.lstrip()[:1] == b"<" and d.text == "" for d in docs)
    assert all(d.id.startswith("urn:uuid:") for d in docs)  # the WARC-Record-ID
    assert len({d.id for d in docs}) == 61
    assert all(d.url.startswith("http") and d.metadata["source"] == "articles-61.warc.gz" for d in docs)


def test_warc_non_html_records_are_counted_by_kind(shared):
    docs, stats = read_all(shared / "warc" / "aut-example.warc.gz")
    assert len(docs) == 94  # the crawl's 2xx HTML responses
    assert stats.docs_in == 822
    assert stats.dropped == {
        "record_type:request": 261, "record_type:metadata": 261, "record_type:warcinfo": 1,
        "not_html": 120, "http_status": 47, "not_http": 38,
    }
    docs, stats = read_all(shared / "warc" / "aut-example.docs.warc.gz")  # office documents only
    assert docs == [] and stats.dropped["not_html"] == 9


def test_revisit_records_are_counted_not_read(shared):
    docs, stats = read_all(shared / "warc" / "pywb-iana.warc.gz")
    assert stats.dropped["record_type:revisit"] == 123
    assert stats.docs_in == 343 and len(docs) == 16
    assert all(d.html.lstrip()[:1] == b"<" for d in docs)


def test_arc_reads_the_same_pages_as_the_warc_of_the_same_crawl(shared):
    arc, arc_stats = read_all(shared / "warc" / "aut-example.arc.gz")
    warc, _ = read_all(shared / "warc" / "aut-example.warc.gz")
    assert [d.url for d in arc] == [d.url for d in warc]
    assert [d.html for d in arc] == [d.html for d in warc]
    assert arc_stats.docs_in == 300 and arc_stats.dropped["not_html"] == 120
    # ARC records carry no id: the record's offset stands in, the same on every read
    assert arc[0].id == "aut-example.arc.gz@1306"
    assert [d.id for d in arc] == [d.id for d in read_all(shared / "warc" / "aut-example.arc.gz")[0]]


def test_wet_conversion_records_are_text(shared):
    docs, stats = read_all(shared / "warc" / "whirlwind.warc.wet.gz")
    assert stats.dropped == {"record_type:warcinfo": 1}
    (doc,) = docs
    assert doc.html is None and doc.text.startswith("Escopete - Biquipedia")
    assert doc.url == "https://an.wikipedia.org/wiki/Escopete"
    (page,) = read_all(shared / "warc" / "whirlwind.warc.gz")[0]  # the same capture as WARC
    assert page.url == doc.url


def test_chunked_bodies_are_dechunked(shared):
    # sample-0000 stores two pages still in HTTP chunks ("6a43\r\n<!DOCTYPE ..."); pywb-iana labels
    # pages chunked but stores them de-chunked: both must come out as plain HTML.
    for name in ("sample-0000.warc.gz", "pywb-iana.warc.gz"):
        docs, _ = read_all(shared / "warc" / name)
        chunked = [d for d in docs if "chunked" in " ".join(header_values(d.http_headers, "Transfer-Encoding")).lower()]
        assert chunked
        for d in chunked:
            assert d.html.lstrip()[:1] == b"<", d.html[:20]
            assert b"\r\n0\r\n" not in d.html[-10:]


@pytest.fixture(scope="module")
def cc_records(shared) -> list[dict]:
    with gzip.open(shared / "text" / "CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", "rt") as fh:
        return [json.loads(line) for line in fh][:200]


def test_jsonl_plain_gzip_and_zstd_read_alike(tmp_path, cc_records):
    raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in cc_records).encode()
    (tmp_path / "a.jsonl").write_bytes(raw)
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(raw))
    half = len(raw) // 2 + raw[len(raw) // 2:].index(b"\n") + 1  # two zstd frames, as zstd -T writes
    zc = zstandard.ZstdCompressor()
    (tmp_path / "c.jsonl.zst").write_bytes(zc.compress(raw[:half]) + zc.compress(raw[half:]))
    results = [read_all(tmp_path / name)[0] for name in ("a.jsonl", "b.jsonl.gz", "c.jsonl.zst")]
    for docs in results:
        assert [d.id for d in docs] == [r["id"] for r in cc_records]
        assert [d.text for d in docs] == [normalise_text(r["text"]) for r in cc_records]
    assert results[0][0].metadata["source"] == cc_records[0]["source"]  # the record's own field wins
    assert results[2][5].metadata["url"] == cc_records[5]["metadata"]["url"]  # Dolma's nested metadata


def test_jsonl_byte_ranges_cover_every_line_once(tmp_path, cc_records):
    for r in cc_records:
        del r["id"]  # ids fall back to name@offset
    path = tmp_path / "cc.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in cc_records))
    whole, _ = read_all(path)
    tasks = plan_tasks(find_inputs([path]), split_bytes=50_000)
    assert len(tasks) > 5
    parts, _ = read_all(path, split_bytes=50_000)
    assert [d.id for d in parts] == [d.id for d in whole]
    assert [d.text for d in whole] == [normalise_text(r["text"]) for r in cc_records]
    assert whole[1].id == f"cc.jsonl@{len(json.dumps(cc_records[0])) + 1}"


def test_parquet_row_groups(tmp_path, shared):
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        recs = [json.loads(line) for line in fh]
    table = pa.table({"id": [r["id"] for r in recs], "text": [r["text"] for r in recs],
                      "n": list(range(len(recs)))})
    pq.write_table(table, tmp_path / "bbc.parquet", row_group_size=300)
    whole, _ = read_all(tmp_path / "bbc.parquet")
    assert [d.id for d in whole] == [r["id"] for r in recs]
    assert whole[7].text == recs[7]["text"] and whole[7].metadata["n"] == 7
    assert len(plan_tasks(find_inputs([tmp_path / "bbc.parquet"]), split_bytes=400_000)) > 3
    parts, _ = read_all(tmp_path / "bbc.parquet", split_bytes=400_000)
    assert [d.id for d in parts] == [d.id for d in whole]
    pq.write_table(table.drop(["id"]), tmp_path / "noid.parquet", row_group_size=300)
    assert [d.id for d in read_all(tmp_path / "noid.parquet")[0]][:2] == ["noid.parquet@0", "noid.parquet@1"]


def test_folder_of_text_files(tmp_path, shared):
    news = sorted((shared / "urdu-news").glob("*.txt"))[:4]
    (tmp_path / "sub").mkdir()
    for i, f in enumerate(news):
        shutil.copy(f, tmp_path / ("sub" if i % 2 else ".") / f.name)
    # a Russian text saved in cp1251, as old Windows tools did: decoded, and counted as such
    ru = "\n".join((shared / "lang" / "ru.txt").read_text(encoding="utf-8").splitlines()[:20])
    (tmp_path / "ru-cp1251.txt").write_bytes(ru.encode("cp1251"))
    docs, stats = read_all(tmp_path)
    by_id = {d.id: d for d in docs}
    assert sorted(by_id) == sorted([f"sub/{f.name}" if i % 2 else f.name for i, f in enumerate(news)]
                                   + ["ru-cp1251.txt"])
    assert by_id[news[0].name].text == normalise_text(news[0].read_bytes().decode("utf-8").strip())
    assert b"\r" in news[0].read_bytes() and "\r" not in by_id[news[0].name].text
    assert by_id["ru-cp1251.txt"].text == ru.strip()
    assert stats.extra["decoded_as_non_utf8"] == 1


def test_ids_do_not_depend_on_where_the_input_lies(tmp_path, shared):
    for name in ("articles-61.warc.gz", "aut-example.arc.gz"):
        first = [d.id for d in read(shared / "warc" / name)]
        elsewhere = tmp_path / name.split(".")[0]
        elsewhere.mkdir()
        shutil.copy(shared / "warc" / name, elsewhere / name)
        assert [d.id for d in read(elsewhere / name)] == first
        assert [d.id for d in read(elsewhere)] == first  # a folder input: names relative to it
