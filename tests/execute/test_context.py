"""Steps with a context: batch steps, counters, side outputs and resources, through the local executor."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import fruitstand
from fruitstand.execute.local import LocalExecutor
from fruitstand.execute.plan import make_plan
from fruitstand.execute.task import InputChanged
from fruitstand.registry import RecipeError
from fruitstand.step import Resources
from tests.conftest import tree_digest

SAMPLER = [{"kind": "tests.execute.steps:ShortOnly"}, {"kind": "tests.execute.steps:Sampler"}]


@pytest.fixture(scope="module")
def news(shared, tmp_path_factory) -> Path:
    """2,225 BBC articles as one plain JSONL file, cut into several tasks by split_mb."""
    src = tmp_path_factory.mktemp("news") / "bbc.jsonl"
    src.write_bytes(gzip.decompress((shared / "text" / "bbc-news.jsonl.gz").read_bytes()))
    return src


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_batch_steps_counters_and_side_outputs(news, tmp_path):
    m = fruitstand.run(SAMPLER, inputs=[news], output=tmp_path / "o", workers=2, split_mb=1)
    texts = [r["text"] for r in _records(news)]
    kept = [t for t in texts if len(t) < 3000]
    short, sampler = m["steps"]
    assert m["tasks"] > 2 and m["executor"] == "local"
    assert short["in"] == len(texts) and short["out"] == len(kept) == sampler["out"]
    assert short["dropped"] == {"too_long": len(texts) - len(kept)} == {"too_long": short["extra"]["long"]}
    assert sampler["extra"]["batches"] >= len(kept) / 7
    out = tmp_path / "o"
    samples = m["side_outputs"]["picked"]
    assert samples == [f"picked/part-{i:05d}.jsonl" for i in range(m["tasks"])]
    rows = [json.loads(line) for f in samples for line in (out / f).read_text().splitlines()]
    ids = pq.read_table(out / "data").column("id").to_pylist()
    assert [r["id"] for r in rows] == ids and [r["chars"] for r in rows] == [len(t) for t in kept]
    words = sum(int.from_bytes((out / f).read_bytes(), "little") for f in m["side_outputs"]["tokens"])
    assert words == sum(len(t.split()) for t in kept)
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))
    # The step's log lines (ctx.log) are the run's `logs` side output: one file per task, one line per call.
    logs = m["side_outputs"]["logs"]
    assert logs == [f"logs/stage0-part-{i:05d}.jsonl" for i in range(m["tasks"])]
    lines = [json.loads(line) for f in logs for line in (out / f).read_text().splitlines()]
    assert [(r["step"], r["kind"], r["event"], r["message"]) for r in lines] == \
        [(1, "tests.execute.steps:Sampler", "log", "words")] * m["tasks"]
    assert sum(r["words"] for r in lines) == words
    # The report's samples go the same way; ShortOnly's drops are among them.
    picked = [json.loads(line) for f in m["side_outputs"]["samples"] for line in (out / f).read_text().splitlines()]
    assert {r["outcome"] for r in picked if r["step"] == 0} == {"kept", "too_long"}
    # The same run in-process writes the same bytes: side outputs are a pure function of the tasks.
    fruitstand.run(SAMPLER, inputs=[news], output=tmp_path / "p", workers=0, split_mb=1)
    for name in ("picked", "tokens", "logs", "samples"):
        assert tree_digest(out / name) == tree_digest(tmp_path / "p" / name), name
    # --overwrite with another recipe removes the side outputs the earlier run wrote.
    fruitstand.run([{"kind": "tests.execute.steps:ShortOnly"}], inputs=[news], output=out, workers=1,
                   overwrite=True, split_mb=1)
    assert not (out / "picked").exists() and not (out / "tokens").exists() and not (out / "logs").exists()


def test_a_failing_batch_is_retried_document_by_document(shared, tmp_path):
    recs = [json.loads(line) for line in gzip.open(shared / "text" / "cc_en_head-0174.jsonl.gz", "rt")]
    recs[4]["text"] += " POISON"
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs))
    recipe = [{"kind": "tests.execute.steps:Sampler", "fail_on": "POISON", "batch_size": 4}]
    m = fruitstand.run(recipe, inputs=[src], output=tmp_path / "o", workers=1)
    assert m["steps"][0]["dropped"] == {"error:ValueError": 1}
    ids = pq.read_table(tmp_path / "o" / "data").column("id").to_pylist()
    assert ids == [str(r["id"]) for i, r in enumerate(recs) if i != 4]
    # The per-step log holds the document's traceback (and the step's own line), as does the errors file.
    lines = [json.loads(line) for line in (tmp_path / "o" / "logs" / "stage0-part-00000.jsonl").read_text().splitlines()]
    errors = [r for r in lines if r["event"] == "error"]
    assert len(errors) == 1 and errors[0]["step"] == 0 and errors[0]["reason"] == "error:ValueError"
    assert repr(str(recs[4]["id"])) in errors[0]["traceback"] and "poisoned batch" in errors[0]["traceback"]
    assert [r["event"] for r in lines] == ["log", "error"]


@pytest.mark.slow
def test_a_stuck_batch_splits_and_only_its_stuck_document_is_skipped(shared, tmp_path):
    recs = [json.loads(line) for line in gzip.open(shared / "text" / "cc_en_head-0174.jsonl.gz", "rt")]
    recs[5]["text"] += " HANG"
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs))
    recipe = [{"kind": "tests.execute.steps:HangBatch", "batch_size": 4}]
    m = fruitstand.run(recipe, inputs=[src], output=tmp_path / "o", workers=1, doc_timeout=1.5)
    assert m["read"]["skipped"] == {"doc_timeout": 1}
    ids = pq.read_table(tmp_path / "o" / "data").column("id").to_pylist()
    assert ids == [str(r["id"]) for i, r in enumerate(recs) if i != 5]
    skips = json.loads(next((tmp_path / "o" / ".fruitstand" / "skips").glob("*.json")).read_text())
    assert skips == {"skip": [5], "alone": [[4, 7]]}  # the batch once, then its one stuck document
    logged = [json.loads(line) for f in m["side_outputs"]["logs"] for line in (tmp_path / "o" / f).read_text().splitlines()]
    assert logged == [{"step": None, "kind": "read", "event": "doc_timeout", "document": str(recs[5]["id"]), "position": 5}]


def test_a_heavy_step_runs_on_fewer_processes(news, tmp_path):
    assert LocalExecutor(4).processes(Resources(memory_gb=1e6)) == 1
    assert LocalExecutor(4).processes(Resources()) == 4
    m = fruitstand.run([{"kind": "tests.execute.steps:Heavy"}], inputs=[news], output=tmp_path / "o", workers=2,
                       split_mb=1)
    assert m["tasks"] > 2
    runs = sorted((float(a), float(b), pid) for pid, a, b in
                  ((tmp_path / "o" / f).read_text().split() for f in m["side_outputs"]["pids"]))
    # One process at a time loaded the model and ran the tasks (with 2 workers free): no two tasks
    # overlap in time in two processes. Normally one process runs them all; one that dies (the
    # machine short of memory, say) is replaced, and the stage goes on in the new one alone.
    assert all(prev[2] == nxt[2] or prev[1] <= nxt[0] for prev, nxt in zip(runs, runs[1:])), runs
    assert len({pid for _, _, pid in runs}) <= 2, runs


def test_an_input_changed_while_running_stops_the_run(news, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(news.read_bytes()[:200_000].rsplit(b"\n", 1)[0] + b"\n")
    plan = make_plan([{"kind": "tests.execute.steps:ShortOnly"}], inputs=[src], output=tmp_path / "o")
    plan.output.claim(plan.identity, overwrite=False)
    later = int(plan.files[0].mtime) + 10**9
    os.utime(src, ns=(later, later))
    from fruitstand.execute.executor import execute

    with pytest.raises(InputChanged, match="changed while the run was going"):
        execute(plan, LocalExecutor(1))
    src.unlink()
    with pytest.raises(InputChanged, match="vanished"):
        execute(plan, LocalExecutor(0))
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_side_output_names_are_checked_before_work(news, tmp_path):
    from tests.execute import steps

    class Bad(steps.Sampler):
        side_outputs = ("data",)

    with pytest.raises(RecipeError, match="side output name 'data'"):
        from fruitstand.execute.plan import _side_outputs

        _side_outputs([Bad()])


def _side_cmd(shared: Path, out: Path) -> list[str]:
    import sys

    warcs = ["articles-61.warc.gz", "sample-0000.warc.gz", "sample-0001.warc.gz", "aut-example.warc.gz"]
    return [sys.executable, "-m", "fruitstand", "run", str(Path(__file__).parent / "sampler.toml"),
            "--input", *[str(shared / "warc" / w) for w in warcs], "--output", str(out), "--workers", "2",
            "--shard-size", "0.05", "--quiet"]


@pytest.mark.slow
def test_sigkill_then_resume_keeps_side_outputs_exact(shared, tmp_path, monkeypatch):
    import subprocess

    from tests.execute.test_resume import _kill_when

    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(repo / "src"), str(repo)]))
    ref = tmp_path / "ref"
    subprocess.run(_side_cmd(shared, ref), check=True, stderr=subprocess.PIPE)
    expected = {name: tree_digest(ref / name) for name in ("data", "picked", "tokens")}
    assert len(expected["picked"]) >= 2 and len(expected["tokens"]) == len(expected["picked"])  # small WARCs are packed: 2 tasks

    def committed(out: Path) -> bool:  # a task's side files are in place, maybe not its done file
        return (out / "picked").is_dir() and any((out / "picked").iterdir())

    def side_tmp(out: Path) -> bool:  # a task is writing its side files
        side = out / ".fruitstand" / "side"
        return side.is_dir() and any(side.rglob("*.jsonl"))

    killed = 0
    for name, cond in {"writing": side_tmp, "committed": committed}.items():
        out = tmp_path / name
        killed += _kill_when(_side_cmd(shared, out), out, cond)
        subprocess.run(_side_cmd(shared, out), check=True, stderr=subprocess.PIPE)
        assert {n: tree_digest(out / n) for n in expected} == expected, name
        m = json.loads((out / "manifest.json").read_text())
        assert m["side_outputs"]["picked"] == sorted(f"picked/{f}" for f in expected["picked"])
        assert not (out / ".fruitstand" / "side").exists() or not any((out / ".fruitstand" / "side").iterdir())
    assert killed >= 1
