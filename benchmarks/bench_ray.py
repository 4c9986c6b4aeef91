"""The default recipe on a Ray cluster of 1 and of 2 nodes on this machine, against the local executor.

The cluster is tests/execute/cluster.py's: each node in a network namespace of its own, one
CPU each (`ray start --num-cpus 1`), so "2 nodes" is 2 workers as `--workers 2` is locally.
Inputs: five real WARCs from ../shared/data/warc (trafilatura-pages, articles-61, aut-example,
sample-0000, sample-0001; 22 MB). Each configuration runs `fruitstand run` (default recipe) as a
subprocess in the head's namespace; wall time from spawn to exit, Ray's start excluded (the
cluster is up before), the driver's connection included. Needs root (ip netns).

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


def timed(cluster: Cluster, out: Path, *extra: str) -> float:
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    r = cluster.exec(_cmd(out, *extra), capture_output=True, text=True, timeout=600)
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
        c = Cluster(nodes=nodes)
        try:
            c.up()
            time.sleep(2)
            for _ in range(args.repeat):
                times.setdefault(f"ray, {nodes} node(s)", []).append(
                    timed(c, SCRATCH / "out", "--executor", "ray", "--address", c.address))
                times.setdefault(f"local, --workers {nodes}", []).append(
                    timed(c, SCRATCH / "out", "--workers", str(nodes)))
        finally:
            c.down()
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:<22} {med[k]:7.2f} s  (runs {', '.join(f'{t:.2f}' for t in v)})")
    print(f"ratio: 2 nodes are {med['ray, 1 node(s)'] / med['ray, 2 node(s)']:.2f}x faster than 1 on Ray "
          f"(local: --workers 2 {med['local, --workers 1'] / med['local, --workers 2']:.2f}x --workers 1); "
          f"Ray takes {med['ray, 2 node(s)'] / med['local, --workers 2']:.2f}x the local executor's time on 2 workers")


if __name__ == "__main__":
    main()
