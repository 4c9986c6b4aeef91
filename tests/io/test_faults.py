"""The fault campaign's inputs (../shared/data/faults, its README says which file is what): no
crash, every intact record kept, every loss counted by reason (issue 13). Then the same
classes of damage on fresh mutations of real files the campaign did not use.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fruitstand
from fruitstand.execute.outcome import NoDocumentsError
from fruitstand.io.inputs import find_inputs, plan_tasks
from fruitstand.io.readers import ReadLimits, read, read_task
from fruitstand.step import StepStats

EXTRACT = [{"kind": "extract"}]


def run(inputs, tmp_path, recipe=EXTRACT) -> dict:
    m = fruitstand.run(recipe, inputs=inputs, output=tmp_path / "out", workers=0, overwrite=True)
    r = m["read"]
    assert r["records"] == r["documents"] + sum(r["skipped"].values())
    return m


def out_rows(tmp_path) -> list[dict]:
    return pq.read_table(tmp_path / "out" / "data").to_pylist()


def read_all(path, split_bytes=1 << 62):
    stats, docs = StepStats(), []
    for t in plan_tasks(find_inputs([path]), split_bytes=split_bytes):
        docs += list(read_task(t, stats, ReadLimits()))
    assert stats.docs_in == stats.docs_out + sum(stats.dropped.values())
    return docs, stats


@pytest.mark.parametrize(("name", "documents", "skipped"), [
    ("pq-invalid-utf8.parquet", 5, {"not_utf8": 1}),
    ("bitflip-plain.parquet", 299, {"not_utf8": 1}),
    ("zfolder", 600, {"corrupt_input": 1}),
    ("cl10g.warc", 10, {"record_too_large": 1}),
    ("cl10g.warc.gz", 10, {"record_too_large": 1}),
])
def test_fault_files_run_and_keep_the_intact_records(shared, tmp_path, name, documents, skipped):
    recipe = EXTRACT if "warc" in name else []
    m = run([shared / "faults" / name], tmp_path, recipe)
    assert m["read"]["documents"] == documents
    assert {k: v for k, v in m["read"]["skipped"].items() if not k.startswith(("record_type", "not_"))
            or k == "not_utf8"} == skipped


def test_a_gzip_damaged_near_its_start_is_counted_not_crashed(shared, tmp_path):
    """Alone it yields nothing (a run that writes nothing says so in one line); the reader counts it."""
    docs, stats = read_all(shared / "faults" / "crash-zlib-peek.jsonl.gz")
    assert docs == [] and stats.dropped == {"corrupt_input": 1}
    with pytest.raises(NoDocumentsError, match="corrupt_input"):
        fruitstand.run([], inputs=[shared / "faults" / "crash-zlib-peek.jsonl.gz"], output=tmp_path / "o", workers=0)


@pytest.mark.parametrize("name", ["pq-uint64.parquet", "bigint.jsonl"])
def test_integers_past_int64_are_kept_exactly(shared, tmp_path, name):
    m = run([shared / "faults" / name], tmp_path, [])
    assert m["read"]["documents"] == 6 if name.endswith("parquet") else 4
    got = {r["id"]: json.loads(r["metadata"])["n"] for r in out_rows(tmp_path)}
    assert got["j2"] == 2**63 and got["j0"] == 1


def test_warc_record_with_a_lying_length_does_not_swallow_the_rest(shared, tmp_path):
    """The record claiming 10 GB is skipped; the five after it are the ones an honest file gives."""
    raw = (shared / "faults" / "cl10g.warc").read_bytes()
    honest = raw.replace(b"Content-Length: 10000000000\r\n", b"Content-Length: 0\r\n", 1)
    (tmp_path / "honest.warc").write_bytes(honest)
    ids = [d.id for d in read(shared / "faults" / "cl10g.warc")]
    honest_ids = [d.id for d in read(tmp_path / "honest.warc")]
    assert len(ids) == 10 and set(ids) <= set(honest_ids)


def test_damaged_arc_keeps_the_records_after_the_damage(shared, tmp_path):
    flipped = (shared / "faults" / "arc-flip-b0.arc.gz").read_bytes()
    (tmp_path / "arc-flip-b0.arc.gz").write_bytes((shared / "warc" / "aut-example.arc.gz").read_bytes()[:len(flipped)])
    intact, _ = read_all(tmp_path / "arc-flip-b0.arc.gz")
    docs, stats = read_all(shared / "faults" / "arc-flip-b0.arc.gz")
    assert [d.id for d in docs] == [d.id for d in intact] and len(docs) == 14
    assert stats.dropped["malformed_record"] == 1


def _bbc(shared, n: int) -> list[dict]:
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        return [json.loads(next(fh)) for _ in range(n)]


def test_damaged_parquet_keeps_its_intact_row_groups(shared, tmp_path):
    recs = _bbc(shared, 300)
    path = tmp_path / "bbc.parquet"
    pq.write_table(pa.Table.from_pylist(recs), path, row_group_size=50, compression="zstd")
    meta = pq.ParquetFile(path).metadata
    col = meta.row_group(2).column(1)  # the text column of the third group
    data = bytearray(path.read_bytes())
    mid = (col.dictionary_page_offset or col.data_page_offset) + col.total_compressed_size // 2
    data[mid:mid + 64] = bytes(64)
    path.write_bytes(bytes(data))
    docs, stats = read_all(path)
    want = [r["id"] for i, r in enumerate(recs) if not 100 <= i < 150]
    assert [d.id for d in docs] == want
    assert stats.dropped == {"corrupt_input": 50}


def test_utf16_text_with_a_bom_is_read(shared, tmp_path):
    text = (shared / "urdu-news" / "test-bus100.txt").read_text(encoding="utf-8")
    (tmp_path / "le.txt").write_bytes(text.encode("utf-16"))  # BOM + little-endian
    (tmp_path / "be.txt").write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    (tmp_path / "u8.txt").write_text(text, encoding="utf-8")
    docs, stats = read_all(tmp_path)
    assert len(docs) == 3 and not stats.dropped
    assert docs[0].text == docs[1].text == docs[2].text


@pytest.mark.slow
def test_a_huge_first_line_is_never_held_whole(shared, tmp_path):
    """A 300 MB first line (a 300 KB .gz) beside real records: skipped in pieces, bounded memory."""
    recs = _bbc(shared, 20)
    with gzip.open(tmp_path / "in.jsonl.gz", "wb", compresslevel=1) as fh:  # written in pieces: this process stays small
        fh.write(b'{"id": "huge", "text": "')
        for _ in range(300):
            fh.write(b"a" * (1 << 20))
        fh.write(b'"}\n' + b"".join(json.dumps(r).encode() + b"\n" for r in recs))
    # VmHWM: this process's own peak (ru_maxrss also counts the pytest process it was forked from)
    code = (f"import fruitstand, json, re\n"
            f"m = fruitstand.run([], inputs=[{str(tmp_path / 'in.jsonl.gz')!r}], output={str(tmp_path / 'o')!r}, workers=0)\n"
            "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
            "print(json.dumps([m['read'], hwm]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    read_, rss_kb = json.loads(proc.stdout.strip().splitlines()[-1])
    assert read_["documents"] == 20 and read_["skipped"] == {"record_too_large": 1}
    assert rss_kb < 250 << 10  # under the line's 300 MB (the old schema peek held it whole, then parsed it)


# --- fresh mutations of real files the campaign did not use -----------------------------------


def _mutations(data: bytes, seed: int, n: int):
    rng = random.Random(seed)
    for k in range(n):
        if k % 2:
            yield "cut", data[:rng.randrange(len(data) // 10, len(data))]
        else:
            buf = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                pos = rng.randrange(len(buf))
                buf[pos] ^= 1 << rng.randrange(8)
            yield "flip", bytes(buf)


@pytest.mark.parametrize(("name", "per_record"), [
    ("warc/science-1.warc.gz", True), ("warc/ukwa-IAH-urls-wget.warc.gz", True),
    ("warc/whirlwind.warc.wet.gz", True), ("parquet", False),
])
def test_fresh_mutations_never_crash_and_lose_only_the_damage(shared, tmp_path, name, per_record):
    if name == "parquet":  # a real corpus written as Parquet, 8 row groups
        recs = _bbc(shared, 160)
        src = tmp_path / "orig.parquet"
        pq.write_table(pa.Table.from_pylist(recs), src, row_group_size=20, compression="zstd")
        suffix, group = ".parquet", 20
    else:
        src = shared / name
        suffix, group = "." + ".".join(src.name.split(".")[1:]), 1
    data = src.read_bytes()
    whole, _ = read_all(src)
    whole_ids = [d.id for d in whole]
    for k, (kind, mutated) in enumerate(_mutations(data, seed=hash(name) % 1000, n=10)):
        path = tmp_path / f"m{k}{suffix}"
        path.write_bytes(mutated)
        docs, stats = read_all(path)  # never raises; every record accounted for
        ids = [d.id for d in docs]
        if kind == "cut":
            assert ids == whole_ids[:len(ids)], (kind, k)
        elif per_record:
            # a flipped bit damages one record (two where it hits a boundary); the others are kept
            assert len(set(ids) & set(whole_ids)) >= len(whole_ids) - 2 * 3, (kind, k, stats.dropped)
        elif _opens(path):  # (a flip in the footer loses the file: nothing says where its groups are)
            assert len(set(ids) & set(whole_ids)) >= len(whole_ids) - group * 3, (kind, k, stats.dropped)


def _opens(path) -> bool:
    try:
        pq.ParquetFile(path)
    except (OSError, pa.ArrowException):
        return False
    return True
