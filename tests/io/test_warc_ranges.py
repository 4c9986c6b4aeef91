"""A gzipped WARC cut into byte ranges (one task each) reads every record exactly once, in order,
with the same counts as the whole file, clean or damaged; one gzip stream, which has no record
starts to cut at, stays one task."""

from __future__ import annotations

import gzip
import random

import pyarrow.parquet as pq
import pytest

import fruitstand
from fruitstand.io.inputs import Task, find_inputs, plan_tasks
from fruitstand.io.readers import ReadLimits, read_task
from fruitstand.step import StepStats
from tests.io.build import gzip_members


def read_ranges(path, split: int) -> tuple[list[str], StepStats, int]:
    """Ids read by the tasks of `path` cut every `split` bytes, their summed counts, and the task count."""
    stats, ids = StepStats(), []
    tasks = plan_tasks(find_inputs([path]), split_bytes=split)
    for task in tasks:
        ids += [d.id for d in read_task(task, stats, ReadLimits())]
    return ids, stats, len(tasks)


def read_whole(path) -> tuple[list[str], StepStats]:
    stats = StepStats()
    return [d.id for d in read_task(Task(0, str(path), "warc"), stats, ReadLimits())], stats


@pytest.mark.parametrize("name", ["articles-61.warc.gz", "trafilatura-pages.warc.gz", "aut-example.warc.gz"])
def test_every_record_once_whatever_the_cut(shared, name):
    path = shared / "warc" / name
    whole, whole_stats = read_whole(path)
    size = path.stat().st_size
    for split in (size // 2 + 1, size // 7, 40_000, 4_096):
        ids, stats, n_tasks = read_ranges(path, split)
        assert n_tasks > 1
        assert ids == whole, split
        assert (stats.docs_in, stats.docs_out, stats.dropped) == (whole_stats.docs_in, whole_stats.docs_out,
                                                                 whole_stats.dropped)


def test_one_gzip_stream_is_read_whole_by_its_first_range(shared, tmp_path):
    raw = gzip.decompress((shared / "warc" / "articles-61.warc.gz").read_bytes())
    path = tmp_path / "one-stream.warc.gz"
    path.write_bytes(gzip.compress(raw))  # no member boundaries to cut at
    whole, whole_stats = read_whole(path)
    # Planning opens no file, so the stream is cut like any gzipped WARC; the ranges find out.
    ids, stats, n_tasks = read_ranges(path, 50_000)
    assert n_tasks > 1 and ids == whole and len(whole) == 61
    assert (stats.docs_in, stats.docs_out, stats.dropped) == (whole_stats.docs_in, whole_stats.docs_out,
                                                             whole_stats.dropped)


def test_damage_is_counted_once_across_ranges(shared, tmp_path):
    data = (shared / "warc" / "articles-61.warc.gz").read_bytes()
    members = gzip_members(data)
    rng = random.Random(3)
    for i in range(24):
        at = rng.choice(members[1:-1]) + rng.randrange(0, 400)
        # overwritten bytes near a record's start (where ranges begin), or the file cut off
        bad = data[:at] + rng.randbytes(64) + data[at + 64:] if i % 2 else data[:at]
        path = tmp_path / "bad.warc.gz"
        path.write_bytes(bad)
        whole, whole_stats = read_whole(path)
        for split in (100_000, 9_999):
            ids, stats, _ = read_ranges(path, split)
            assert ids == whole
            assert stats.docs_in == stats.docs_out + sum(stats.dropped.values())
            assert stats.dropped == whole_stats.dropped


def test_a_run_over_ranges_writes_what_one_task_writes(shared, tmp_path):
    src = shared / "warc" / "articles-61.warc.gz"
    recipe = [{"kind": "extract"}]
    one = fruitstand.run(recipe, inputs=[src], output=tmp_path / "one", workers=0)
    cut = fruitstand.run(recipe, inputs=[src], output=tmp_path / "cut", workers=2, split_mb=0.2)
    assert cut["read"] == one["read"]

    def rows(folder):
        table = pq.read_table(folder / "data")
        return list(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))

    assert len(list((tmp_path / "cut" / "data").glob("*.parquet"))) > 5
    assert rows(tmp_path / "cut") == rows(tmp_path / "one")  # same documents, same order
