"""The Ray executor on a real two-node cluster (tests/execute/cluster.py): the same bytes as the local executor."""

from __future__ import annotations

import gzip
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import fruitstand
from tests.conftest import tree_digest, without_timings
from tests.execute.cluster import REPO, Cluster, netns_available
from tests.execute.conftest import DEFAULT_WARCS

pytest.importorskip("ray", reason="the Ray tests need the [ray] extra")
pytestmark = pytest.mark.slow

WARCS = DEFAULT_WARCS
SAMPLER = Path(__file__).resolve().parent / "sampler.toml"


@pytest.fixture(scope="module")
def cluster():
    why = netns_available()
    if why is not None:
        pytest.skip(why)
    c = Cluster()
    try:
        yield c.up()
    finally:
        c.down()


@pytest.fixture(scope="module")
def s3(cluster, tmp_path_factory):
    """moto's S3 server in the head's namespace, on its veth address (both nodes reach it; the machine's own
    address is never used), and an empty bucket; the cluster's nodes have its endpoint in their environment."""
    from tests.execute.cluster import S3_PORT

    work = tmp_path_factory.mktemp("moto")
    proc = cluster.popen([sys.executable, "-m", "moto.server", "-H", cluster.ips[0], "-p", str(S3_PORT)], cwd=work,
                         stdout=subprocess.DEVNULL, stderr=open(work / "err", "w"))
    try:
        r = cluster.exec([sys.executable, "-m", "tests.execute.bucket", "make", "out"], capture_output=True,
                         text=True, timeout=90, cwd=REPO)
        assert r.returncode == 0, r.stderr[-2000:] + (work / "err").read_text()[-2000:]
        yield "s3://out"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _inputs(shared: Path) -> list[str]:
    return [str(shared / "warc" / w) for w in WARCS]


def _cmd(shared: Path, out: Path | str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "fruitstand", "run", *extra, "--input", *_inputs(shared), "--output", str(out),
            "--shard-size", "0.05", "--quiet", "--executor", "ray"]


@pytest.fixture(scope="module")
def local_default(default_run):
    return default_run


def test_default_recipe_on_two_nodes_matches_local(shared, cluster, local_default, tmp_path):
    ref, ref_m = local_default
    out = tmp_path / "ray"
    r = cluster.exec([*_cmd(shared, out), "--address", cluster.address], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert tree_digest(out / "data") == tree_digest(ref / "data")
    m = json.loads((out / "manifest.json").read_text())
    assert m["executor"] == "ray" and ref_m["executor"] == "local"
    assert without_timings(m) == without_timings(ref_m)
    nodes = {json.loads(p.read_text())["node"] for p in (out / ".fruitstand" / "done").glob("stage*.json")}
    assert nodes == set(cluster.ips)  # tasks ran on both nodes


def test_batch_step_and_side_outputs_on_ray_match_local(shared, cluster, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    local = fruitstand.run(SAMPLER, inputs=_inputs(shared), output=tmp_path / "local", workers=2, shard_size_mb=0.05)
    out = tmp_path / "ray"
    r = cluster.exec([*_cmd(shared, out, str(SAMPLER)), "--address", cluster.address], capture_output=True, text=True,
                     timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    for name in ("data", "picked", "tokens", "samples", "logs"):  # the step's and the run's side outputs
        assert tree_digest(out / name) == tree_digest(tmp_path / "local" / name), name
    assert len(tree_digest(out / "logs")) >= 2 and tree_digest(out / "samples")
    m = json.loads((out / "manifest.json").read_text())
    assert m["side_outputs"] == local["side_outputs"] and without_timings(m["steps"]) == without_timings(local["steps"])
    assert m["steps"][2]["extra"]["batches"] > 0


def test_runs_from_one_driver_leave_nothing_in_the_object_store(shared, cluster, tmp_path):
    """Three runs of the default recipe from one long-lived driver (its own ray.init, kept open between
    runs): after each, the driver holds no more object references than before the first, so nothing
    it put or got back (task results, shared arguments) stays pinned in the object store."""
    r = cluster.exec([sys.executable, "-m", "tests.execute.ray_repeat", cluster.address, str(tmp_path), "3",
                      *_inputs(shared)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 0, r.stderr[-3000:]
    rec = json.loads(r.stdout.strip().splitlines()[-1])
    assert rec["with_probe"] == rec["before"] + 1  # the count sees an object the driver holds
    assert rec["still_connected"]  # fruitstand left the user's connection open
    docs = {run["documents"] for run in rec["runs"]}
    assert len(docs) == 1 and docs.pop() > 0
    assert [run["held"] for run in rec["runs"]] == [rec["before"]] * 3
    assert tree_digest(tmp_path / "run0" / "data") == tree_digest(tmp_path / "run2" / "data")


def test_a_stopped_run_resumes_on_a_local_ray(shared, cluster, local_default, tmp_path):
    """The driver killed mid-run; the same command again (on a Ray started for it) finishes the run."""
    ref, _ = local_default
    out = tmp_path / "ray"
    proc = cluster.popen([*_cmd(shared, out), "--address", cluster.address], stderr=open(os.devnull, "w"))
    done = out / ".fruitstand" / "done"
    _kill_once(proc, done, "*")
    assert not (out / "manifest.json").exists()
    # No --address: a Ray of its own, on loopback, in a namespace holding nothing else.
    before = set(Path(tempfile.gettempdir()).glob("fruitstand-ray-*"))
    r = cluster.exec(_cmd(shared, out), ns=2, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    # ... whose temporary folder (session logs, object spill files) is gone with it
    assert set(Path(tempfile.gettempdir()).glob("fruitstand-ray-*")) == before
    assert tree_digest(out / "data") == tree_digest(ref / "data")
    assert json.loads((out / "manifest.json").read_text())["executor"] == "ray"


def test_an_output_folder_a_node_does_not_see_is_refused_in_one_line(shared, cluster, s3, tmp_path):
    """The driver's output on a filesystem of its own (a tmpfs in a mount namespace only the driver is in):
    no node sees it, and the run stops before its first task instead of losing those nodes' documents.
    So does an s3:// output whose --staging is there, unless the nodes are told they share only the bucket."""
    private = tmp_path / "private"
    private.mkdir()
    for out, extra in ((private / "out", ()), (f"{s3}/refused", ("--staging", str(private / "st")))):
        run = " ".join(map(shlex.quote, [*_cmd(shared, out, *extra), "--address", cluster.address]))
        r = cluster.exec(["unshare", "--mount", "sh", "-c", f"mount -t tmpfs none {private} && exec {run}"],
                         capture_output=True, text=True, timeout=300)
        assert r.returncode != 0
        last = r.stderr.strip().splitlines()[-1]
        assert "not on a filesystem every Ray node reaches" in last and all(ip in last for ip in cluster.ips), last
        assert "--nodes-share storage" in last
        assert not any(private.iterdir())  # nothing reached the real folder


def test_nodes_that_share_only_object_storage_match_local(shared, cluster, s3, tmp_path):
    """Output to s3:// with --nodes-share storage: each node runs its tasks and reduce jobs in a folder of
    its own (FRUITSTAND_NODE_STAGING differs per node), the driver in a third, so whatever one needs of
    another's files must go through the bucket. The inputs hold one WARC twice (a copy under another
    name, in a task of its own), so the dedup steps match documents across tasks and the report's
    sampled pairs have members in two tasks. The driver is killed once a stage-1 task is done, and the same
    command resumes from its records of what each unit pushed. Shards and manifest are the local executor's."""
    # All in one folder of the test's own, so their order (and so how the small ones are packed into tasks)
    # is the same wherever tmp_path and ../shared are: "again" sorts first and is packed alone, its twin last.
    folder = tmp_path / "in"
    folder.mkdir()
    for w in WARCS:
        (folder / w).write_bytes((shared / "warc" / w).read_bytes())
    (folder / "again.warc.gz").write_bytes((shared / "warc" / WARCS[1]).read_bytes())
    inputs = [str(p) for p in sorted(folder.iterdir())]
    ref = tmp_path / "local"
    ref_m = fruitstand.run(inputs=inputs, output=ref, workers=2, shard_size_mb=0.05)
    assert len(list((ref / ".fruitstand" / "work" / "09-exact_dedup" / "sample").iterdir())) == 2
    url, driver = f"{s3}/run", tmp_path / "driver"
    cmd = _cmd(shared, url, "--address", cluster.address, "--nodes-share", "storage", "--staging", str(driver))
    cmd[cmd.index("--input") + 1:cmd.index("--output")] = inputs
    proc = cluster.popen(cmd, stderr=open(tmp_path / "err", "w"))
    done = driver / ".fruitstand" / "done"
    _kill_once(proc, done, "stage1-*")
    assert not (driver / "manifest.json").exists(), (tmp_path / "err").read_text()[-3000:]
    kept = {p.name: p.stat().st_mtime_ns for p in done.iterdir()}
    r = cluster.exec(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert all(kept[p.name] == p.stat().st_mtime_ns for p in done.iterdir() if p.name in kept)  # not run again
    assert len(kept) < len(list(done.iterdir()))
    got = tmp_path / "got"
    r = cluster.exec([sys.executable, "-m", "tests.execute.bucket", "fetch", url, str(got)], capture_output=True,
                     text=True, timeout=120, cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    assert tree_digest(got / "data") == tree_digest(ref / "data")
    assert (got / "report.html").is_file() and (got / "README.md").is_file()  # published beside the data
    # The report's sampled documents: a side output in the bucket, and sent to the driver too for its report
    # (the driver's copy goes once the output is published, as the shards' do).
    assert tree_digest(got / "samples") == tree_digest(ref / "samples") and not (driver / "samples").exists()
    assert tree_digest(got / "logs") == tree_digest(ref / "logs")

    def shown(page: Path) -> str:
        return re.search(r'<section id="samples">.*?</section>', page.read_text(), re.S).group(0)

    assert shown(got / "report.html") == shown(ref / "report.html") and "dropped: <code>" in shown(ref / "report.html")
    m = json.loads((got / "manifest.json").read_text())
    assert without_timings(m) == without_timings(ref_m)
    assert any(s.get("report", {}).get("pairs") for s in m["steps"])  # completed from every task's part
    assert not (got / ".fruitstand" / "work" / "docs").exists()  # documents between stages removed
    nodes = {json.loads(p.read_text())["node"] for p in (driver / ".fruitstand" / "done").glob("stage*.json")}
    assert nodes == set(cluster.ips)  # tasks ran on both nodes
    moved = [json.loads(p.read_text()) for p in (driver / ".fruitstand" / "exchange").glob("*.json")]
    assert sum(rec["fetched"] for rec in moved) > 0 and sum(len(rec["pushed"]) for rec in moved) > 0
    assert len(list((driver / ".fruitstand" / "report").iterdir())) == 3 * m["tasks"] and (driver / "report.html").is_file()
    assert not (driver / "data").exists() and not (driver / ".fruitstand" / "work" / "docs").exists()
    for d in cluster.node_dirs:  # each node worked in its own folder, and its cache of the run is gone
        assert (d / "units").is_dir() and not any((d / "cache").iterdir()), d


def _kill_once(proc: subprocess.Popen, done: Path, pattern: str, within: float = 240) -> None:
    """Kill the driver's whole process group as soon as a done file matching `pattern` appears
    (or when it ends or `within` seconds pass), and reap it."""
    deadline = time.monotonic() + within
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if done.is_dir() and any(done.glob(pattern)):
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _hang_input(shared: Path) -> tuple[Path, str]:
    """Real records, and a phrase found in exactly one of them (the fourth): the one a step hangs on."""
    src = shared / "text" / "cc_en_head-0174.jsonl.gz"
    with gzip.open(src, "rt") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    words = texts[3].split()
    for k in range(len(words) - 6):  # the first six words in a row that only this record holds
        marker = " ".join(words[k:k + 6])
        if marker.isascii() and '"' not in marker and "\\" not in marker and [marker in t for t in texts].count(True) == 1:
            return src, marker
    raise AssertionError("no phrase of record 3 is its own")


def test_a_document_past_the_time_limit_is_skipped_on_ray_as_locally(shared, cluster, tmp_path, monkeypatch):
    """A step stuck on one real document: the Ray worker's watchdog kills its child, the task runs
    again without that document, and the manifest counts it as the local executor does."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    src, marker = _hang_input(shared)
    recipe = tmp_path / "hang.toml"
    recipe.write_text(f'[[step]]\nkind = "tests.execute.steps:HangOn"\nmarker = {json.dumps(marker)}\n')
    local = fruitstand.run(recipe, inputs=[src], output=tmp_path / "local", workers=1, doc_timeout=2.0)
    assert local["read"]["skipped"] == {"doc_timeout": 1}
    out = tmp_path / "ray"
    cmd = [sys.executable, "-m", "fruitstand", "run", str(recipe), "--input", str(src), "--output", str(out),
           "--quiet", "--executor", "ray", "--address", cluster.address, "--doc-timeout", "2"]
    started = time.monotonic()
    r = cluster.exec(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert time.monotonic() - started < 120  # not hung for the hour the step sleeps
    m = json.loads((out / "manifest.json").read_text())
    assert m["read"]["skipped"] == {"doc_timeout": 1} and m["output"]["documents"] == 9
    assert without_timings(m) == without_timings(local)
    assert tree_digest(out / "data") == tree_digest(tmp_path / "local" / "data")
    logged = [json.loads(line) for f in m["side_outputs"]["logs"] for line in (out / f).read_text().splitlines()]
    assert [(r["event"], r["position"]) for r in logged] == [("doc_timeout", 3)]  # logged once, by the retried task
    assert tree_digest(out / "logs") == tree_digest(tmp_path / "local" / "logs")


def test_a_killed_worker_then_a_killed_node_lose_and_duplicate_nothing(shared, cluster, local_default, tmp_path):
    """One run, two failures: a Ray worker on the head killed while it runs a task, then every process of
    the second node (raylet, object store, workers: the machine gone) while it runs one. Their tasks run
    again (the node's on the head), and the output is the local executor's, byte for byte."""
    ref, ref_m = local_default
    out = tmp_path / "ray"
    proc = cluster.popen([*_cmd(shared, out), "--address", cluster.address], stderr=open(tmp_path / "err", "w"))
    worker: list[int] = []
    node: list[int] = []
    deadline = time.monotonic() + 240
    try:
        while proc.poll() is None and time.monotonic() < deadline and not node:
            if not worker:
                for pid in cluster.task_workers(0)[:1]:
                    os.kill(pid, signal.SIGKILL)
                    worker.append(pid)
            elif cluster.task_workers(1):
                node = cluster.kill_node(1)
            time.sleep(0.05)
        assert proc.wait(max(1, deadline - time.monotonic())) == 0, (tmp_path / "err").read_text()[-3000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if node:
            cluster.join()  # the second node back, for any test after this one
    assert worker, "no Ray worker was seen running a task on the head"
    assert node, "no task was seen running on the second node"
    assert tree_digest(out / "data") == tree_digest(ref / "data")
    assert without_timings(json.loads((out / "manifest.json").read_text())) == without_timings(ref_m)


def test_a_task_whose_watched_child_dies_is_retried_by_ray(shared, cluster, tmp_path, monkeypatch):
    """The process a Ray worker runs its task in (execute/ray.py `_watched`) dies on a real document, once:
    the task fails with WorkerDied, Ray runs it again (retry_exceptions), and the run ends as if nothing
    had died. The local run, with the flag already there, never crashes: the reference."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    src = shared / "text" / "cc_en_head-0174.jsonl.gz"
    flag = tmp_path / "crashed"
    recipe = tmp_path / "crash.toml"
    recipe.write_text(f'[[step]]\nkind = "tests.execute.steps:CrashOnce"\nflag = {json.dumps(str(flag))}\n')
    flag.touch()
    local = fruitstand.run(recipe, inputs=[src], output=tmp_path / "local", workers=1)
    flag.unlink()
    out = tmp_path / "ray"
    cmd = [sys.executable, "-m", "fruitstand", "run", str(recipe), "--input", str(src), "--output", str(out),
           "--quiet", "--executor", "ray", "--address", cluster.address]
    r = cluster.exec(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert flag.exists()  # the child did die once
    m = json.loads((out / "manifest.json").read_text())
    assert m["output"]["documents"] == local["output"]["documents"] > 0
    assert without_timings(m) == without_timings(local)
    assert tree_digest(out / "data") == tree_digest(tmp_path / "local" / "data")
