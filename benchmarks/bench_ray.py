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

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/bench_ray.py [--repeat 2]

Figures: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.execute.cluster import Cluster  # noqa: E402

DATA = (REPO / ".." / "shared" / "data" / "warc").resolve()
WARCS = ["trafilatura-pages.warc.gz", "articles-61.warc.gz", "aut-example.warc.gz", "sample-0000.warc.gz",
         "sample-0001.warc.gz"]
SCRATCH = REPO / ".bench" / "ray"


def _cmd(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "fruitstand", "run", "--input", *[str(DATA / w) for w in WARCS], "--output", str(out),
            "--quiet", *extra]


def timed(cluster: Cluster, out: Path, cores: str, *extra: str) -> float:
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    r = cluster.exec(["taskset", "-c", cores, *_cmd(out, *extra)], capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
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
