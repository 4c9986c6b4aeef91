"""The default recipe on a Ray cluster of 1 and of 2 nodes on this machine, against the local executor.

The cluster is tests/execute/cluster.py's: each node in a network namespace of its own, one
CPU each (`ray start --num-cpus 1`) and pinned to a core of its own (`taskset`: the head to
core 0, the second node to core 1), so "1 node" is one core and "2 nodes" two, as
`--workers 1` pinned to core 0 and `--workers 2` pinned to cores 0-1 are for the local
executor. The driver runs on the cores of its configuration. Inputs: five real WARCs from
../shared/data/warc (trafilatura-pages, articles-61, aut-example, sample-0000, sample-0001;
22 MB, 7 tasks). Each configuration runs `fruitstand run` (default recipe) as a subprocess in
the head's namespace; wall time from spawn to exit, Ray's start excluded (the cluster is up
before), the driver's connection and the workers' start-up included. Needs root (ip netns).
Other jobs on the machine take cores from every configuration alike (runs alternate).

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/bench_ray.py [--repeat 2] [--storage]

`--storage`: on the 2-node cluster only, Ray with a shared filesystem against Ray with nodes that
share only object storage (`--nodes-share storage`, output to s3:// on moto's server in the head's
namespace, each node working in a folder of its own), and the bytes each kind of unit pushed to and
downloaded from the bucket (the driver's records, execute/exchange.py).

Figures: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.execute.cluster import S3_PORT, Cluster  # noqa: E402

DATA = (REPO / ".." / "shared" / "data" / "warc").resolve()
WARCS = ["trafilatura-pages.warc.gz", "articles-61.warc.gz", "aut-example.warc.gz", "sample-0000.warc.gz",
         "sample-0001.warc.gz"]
SCRATCH = REPO / ".bench" / "ray"


def _cmd(out: Path | str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "fruitstand", "run", "--input", *[str(DATA / w) for w in WARCS], "--output", str(out),
            "--quiet", *extra]


def timed(cluster: Cluster, out: Path | str, cores: str, *extra: str) -> float:
    if isinstance(out, Path):
        shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    r = cluster.exec(["taskset", "-c", cores, *_cmd(out, *extra)], capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    return wall


def moved(staging: Path) -> dict[str, list[int]]:
    """Bytes pushed and downloaded by each kind of unit (stageN tasks, reduce jobs, completions)."""
    out: dict[str, list[int]] = {}
    for p in sorted((staging / ".fruitstand" / "exchange").glob("*.json")):
        kind = p.stem.split("-")[0]  # stage1, reduce09, complete09
        rec = json.loads(p.read_text())
        row = out.setdefault(kind, [0, 0, 0, 0])
        row[0] += 1
        row[1] += sum(rec["pushed"].values())
        row[2] += len(rec["pushed"])
        row[3] += rec["fetched"]
    return out


def storage(repeat: int) -> None:
    c = Cluster(nodes=2, cores=[0, 1])
    try:
        c.up()
        moto = c.popen([sys.executable, "-m", "moto.server", "-H", c.ips[0], "-p", str(S3_PORT)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=SCRATCH)
        r = c.exec([sys.executable, "-m", "tests.execute.bucket", "make", "bench"], cwd=REPO, capture_output=True,
                   text=True, timeout=90)
        assert r.returncode == 0, r.stderr
        time.sleep(2)
        times: dict[str, list[float]] = {}
        for i in range(repeat):
            times.setdefault("ray, shared filesystem", []).append(
                timed(c, SCRATCH / "out", "0,1", "--executor", "ray", "--address", c.address))
            staging = SCRATCH / "driver"
            shutil.rmtree(staging, ignore_errors=True)
            times.setdefault("ray, only object storage", []).append(
                timed(c, f"s3://bench/run{i}", "0,1", "--executor", "ray", "--address", c.address,
                      "--nodes-share", "storage", "--staging", str(staging)))
        for k, v in times.items():
            print(f"{k:<26} {statistics.median(v):7.2f} s  (runs {', '.join(f'{t:.2f}' for t in v)})")
        print(f"{'units':<10} {'count':>5} {'pushed B':>11} {'objects':>7} {'fetched B':>11}")
        for kind, (n, pushed, objects, fetched) in moved(staging).items():
            print(f"{kind:<10} {n:5d} {pushed:11,d} {objects:7d} {fetched:11,d}")
        os.killpg(moto.pid, 9)
    finally:
        c.down()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--storage", action="store_true", help="shared filesystem against only object storage, 2 nodes")
    args = ap.parse_args()
    if args.storage:
        SCRATCH.mkdir(parents=True, exist_ok=True)
        storage(args.repeat)
        return
    SCRATCH.mkdir(parents=True, exist_ok=True)
    times: dict[str, list[float]] = {}
    for nodes in (1, 2):
        c = Cluster(nodes=nodes, cores=[0, 1][:nodes])
        cores = "0" if nodes == 1 else "0,1"
        try:
            c.up()
            time.sleep(2)
            for _ in range(args.repeat):
                times.setdefault(f"ray, {nodes} node(s) x 1 core", []).append(
                    timed(c, SCRATCH / "out", cores, "--executor", "ray", "--address", c.address))
                times.setdefault(f"local, --workers {nodes}", []).append(
                    timed(c, SCRATCH / "out", cores, "--workers", str(nodes)))
        finally:
            c.down()
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:<26} {med[k]:7.2f} s  (runs {', '.join(f'{t:.2f}' for t in v)})")
    ray1, ray2 = med["ray, 1 node(s) x 1 core"], med["ray, 2 node(s) x 1 core"]
    loc1, loc2 = med["local, --workers 1"], med["local, --workers 2"]
    print(f"overhead: Ray takes {ray1 / loc1:.2f}x the local executor's time on 1 core, {ray2 / loc2:.2f}x on 2")
    print(f"ratio: 2 nodes x 1 core are {ray1 / ray2:.2f}x faster than 1 node x 1 core on Ray "
          f"(local: --workers 2 on 2 cores {loc1 / loc2:.2f}x --workers 1 on 1)")


if __name__ == "__main__":
    main()
