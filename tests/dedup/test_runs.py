"""Sorted runs on disk: a reduce job's slices split to fit its memory budget."""

from __future__ import annotations

import numpy as np

from fruitstand.dedup.runs import RunWriter, gather, list_runs, ranges


def test_gather_covers_every_row_once_within_budget(tmp_path):
    rng = np.random.default_rng(3)
    for task in range(3):
        writer = RunWriter(tmp_path, task)
        for _ in range(2):
            h = np.sort(rng.integers(0, 2**64, 5000, dtype=np.uint64, endpoint=False))
            writer.write([h, np.arange(5000, dtype=np.uint32)])
    runs = list_runs(tmp_path, [np.uint64, np.uint32])
    assert [r.task for r in runs] == [0, 0, 1, 1, 2, 2]
    seen = []
    slices = 0
    for lo, hi in ranges(3):
        for spans in gather(runs, 0, lo, hi, bytes_per_row=100, budget_bytes=200_000):
            slices += 1
            rows = np.concatenate([r.read(0, a, b) for r, a, b in spans])
            assert len(rows) <= 2600  # ~2,000 rows fit; hashes are uniform, so slices are even
            assert ((rows >= np.uint64(lo)) & (rows <= np.uint64(hi))).all()
            seen.append(rows)
    assert slices >= 15
    everything = np.sort(np.concatenate([r.read(0, 0, r.rows) for r in runs]))
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), everything)


def test_rerun_replaces_a_tasks_runs(tmp_path):
    w = RunWriter(tmp_path, 4)
    for _ in range(3):
        w.write([np.arange(3, dtype=np.uint64)])
    RunWriter(tmp_path, 4).write([np.arange(3, dtype=np.uint64)])
    assert [p.name for p in sorted(tmp_path.iterdir())] == ["t00004-0000.bin"]
