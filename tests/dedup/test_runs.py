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


def test_minhash_run_written_band_by_band_is_the_all_bands_sorted_layout(tmp_path):
    from fruitstand.dedup.minhash import _write_run

    rng = np.random.default_rng(5)
    bands = 6
    # Few distinct values, so equal hashes are common and the stable order of their positions shows.
    chunks = [rng.integers(0, 40, (n, bands)).astype(np.uint64) for n in (700, 1, 0, 1300)]
    positions = [np.arange(a, a + len(c), dtype=np.uint32) * 3 for a, c in zip((0, 700, 701, 701), chunks)]
    h, pos = np.concatenate(chunks), np.concatenate(positions)
    orders = [np.argsort(h[:, b], kind="stable") for b in range(bands)]
    expected = b"".join([h[o, b].tobytes() for b, o in enumerate(orders)] + [pos[o].tobytes() for o in orders])
    hashes = list(chunks)
    _write_run(RunWriter(tmp_path, 2), positions, hashes)
    assert hashes == [] and positions == []  # the batches are let go as they are moved
    assert (tmp_path / "t00002-0000.bin").read_bytes() == expected
    run = list_runs(tmp_path, [np.uint64] * bands + [np.uint32] * bands)[0]
    assert run.rows == len(pos)
    for b in range(bands):
        assert (np.diff(run.read(b, 0, run.rows).astype(np.int64)) >= 0).all()
