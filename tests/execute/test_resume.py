"""A run killed with SIGKILL at any point resumes to the same bytes as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import tree_digest
from tests.execute.conftest import DEFAULT_WARCS

# One long single-stage run (extract only) and the default recipe, whose dedup steps make it
# three stages with reduce jobs between them.
CASES = {
    "extract": (["trafilatura-pages.warc.gz", "articles-61.warc.gz", "sample-0000.warc.gz", "sample-0001.warc.gz",
                 "aut-example.warc.gz"], "0.2"),
    "default": (DEFAULT_WARCS, "0.05"),
}
RECIPES = Path(__file__).resolve().parent


def _cmd(shared: Path, out: Path, case: str) -> list[str]:
    warcs, shard = CASES[case]
    recipe = [str(RECIPES / "extract.toml")] if case == "extract" else []
    return [sys.executable, "-m", "fruitstand", "run", *recipe, "--input", *[str(shared / "warc" / w) for w in warcs],
            "--output", str(out), "--workers", "2", "--shard-size", shard, "--quiet"]


def _holds(condition, out: Path) -> bool:
    """`condition(out)`, False where a folder it walks was moved away meanwhile (the run commits by renaming)."""
    try:
        return condition(out)
    except FileNotFoundError:
        return False


def _kill_when(cmd: list[str], out: Path, condition, timeout: float = 60) -> bool:
    """Start the run; SIGKILL its whole process group once `condition(out)` holds. True if killed."""
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if _holds(condition, out):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return False


def _after(seconds: float):
    t0 = time.monotonic()
    return lambda out: time.monotonic() - t0 > seconds


def _tmp_shard(out: Path) -> bool:
    data = out / "data"
    return data.exists() and any(p.name.endswith(".tmp") for p in data.iterdir())


def _some_done(out: Path) -> bool:
    done = out / ".fruitstand" / "done"
    return done.exists() and any(done.iterdir())


def _some_shards(out: Path) -> bool:
    data = out / "data"
    return data.exists() and any(p.suffix == ".parquet" for p in data.iterdir())


def _reduce_done(out: Path) -> bool:
    done = out / ".fruitstand" / "done"
    return done.exists() and any(p.name.startswith("reduce") for p in done.iterdir())


def _stage1_done(out: Path) -> bool:
    done = out / ".fruitstand" / "done"
    return done.exists() and any(p.name.startswith("stage1") for p in done.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_sigkill_anywhere_then_resume_is_byte_identical(shared, tmp_path, case, request):
    if case == "default":  # the same command's output, run once for the session
        ref = request.getfixturevalue("default_run")[0]
    else:
        ref = tmp_path / "ref"
        subprocess.run(_cmd(shared, ref, case), check=True, stderr=subprocess.PIPE)
    expected = tree_digest(ref / "data")
    assert len(expected) > 5  # several shards per task, so kills can land mid-task

    # The moments to kill at, in the order a run meets them: each kill lands in the run the kill before
    # left to resume, so one output folder goes through all of them (and through resumes of resumes).
    if case == "extract":
        conditions = {
            "mid-shard": _tmp_shard,  # a final shard is being written
            "after-first-shard": _some_shards,  # shards renamed into place, their task not yet done
            "after-first-task": _some_done,  # a task recorded as done
        }
    else:  # between and inside the stages of the dedup steps; final shards are written in stage 2
        conditions = {"after-first-task": _some_done, "after-a-reduce-job": _reduce_done,
                      "in-stage-2": _stage1_done, "mid-shard": _tmp_shard}
    out = tmp_path / "out"
    killed = []
    for name, cond in conditions.items():
        if _kill_when(_cmd(shared, out, case), out, cond):
            killed.append(name)
            assert not (out / "manifest.json").exists(), name
    _kill_when(_cmd(shared, out, case), out, _after(1.0))  # and once more, a little into a resumed run
    subprocess.run(_cmd(shared, out, case), check=True, stderr=subprocess.PIPE)
    assert tree_digest(out / "data") == expected, killed
    ids = pq.read_table(out / "data", columns=["id"]).column("id").to_pylist()
    assert len(ids) == len(set(ids))  # every document exactly once
    assert len(killed) >= len(conditions) - 1, killed  # the kills really happened mid-run


def test_rerun_of_a_finished_run_changes_nothing(shared, tmp_path):
    import fruitstand

    inputs = [shared / "warc" / "articles-61.warc.gz"]
    m1 = fruitstand.run(inputs=inputs, output=tmp_path / "o", workers=1)
    before = tree_digest(tmp_path / "o")
    m2 = fruitstand.run(inputs=inputs, output=tmp_path / "o", workers=1)
    assert list((tmp_path / "o" / ".fruitstand" / "work").glob("*-minhash_dedup"))  # kept for incremental dedup
    assert not (tmp_path / "o" / ".fruitstand" / "work" / "docs").exists()  # stored documents are not
    assert m1["output"] == m2["output"]
    assert tree_digest(tmp_path / "o") == before
