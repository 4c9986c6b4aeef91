"""Time to first task on 10,000 input files: this code against the driver before the plan/executor split.

The inputs are 10,000 copies of one real WARC (../shared/data/warc/whirlwind.warc.gz, 19 KB)
in a scratch folder. Each side is `fruitstand run` (extraction alone, 2 workers) in a
subprocess; its time to first task is from spawn to the first done file in the output
folder (interpreter start, planning, pool start and the first task itself). The reference is
the same command on the code of commit 6ed2609, whose driver hashed every input (sha256)
before the first task. The in-process planning time of `make_plan` is printed as well.

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/bench_planning.py [--files N]

Figures: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
SCRATCH = REPO / ".bench" / "planning"
BEFORE = "6ed2609"
RECIPE = REPO / "tests" / "execute" / "extract.toml"


def _inputs(n: int) -> Path:
    folder = SCRATCH / f"in-{n}"
    if not (folder / f"{n - 1:05d}.warc.gz").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        src = DATA / "warc" / "whirlwind.warc.gz"
        for i in range(n):
            shutil.copyfile(src, folder / f"{i:05d}.warc.gz")
    return folder


def _old_source() -> Path:
    dest = SCRATCH / f"src-{BEFORE}"
    if not dest.exists():
        blob = subprocess.run(["git", "-C", str(REPO), "archive", BEFORE, "src"], check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            tar.extractall(dest, filter="data")
    return dest / "src"


def first_task(src: Path, inputs: Path, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "fruitstand", "run", str(RECIPE), "--input", str(inputs), "--output", str(out),
           "--workers", "2", "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    done = out / ".fruitstand" / "done"
    try:
        while True:
            if done.is_dir() and any(done.iterdir()):
                return time.perf_counter() - t0
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-2000:])
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        shutil.rmtree(out, ignore_errors=True)


def plan_seconds(inputs: Path) -> float:
    code = ("import time,sys; from fruitstand.execute.plan import make_plan; t=time.perf_counter(); "
            "p=make_plan(sys.argv[1], inputs=[sys.argv[2]], output=sys.argv[3]); "
            "print(time.perf_counter()-t, len(p.tasks))")
    r = subprocess.run([sys.executable, "-c", code, str(RECIPE), str(inputs), str(SCRATCH / "plan-out")],
                       env={**os.environ, "PYTHONPATH": str(REPO / "src")}, capture_output=True, text=True, check=True)
    return float(r.stdout.split()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    inputs = _inputs(args.files)
    old = _old_source()
    new_t, old_t = [], []
    for _ in range(args.repeat):  # alternated, so a slow spell of the shared machine hits both
        new_t.append(first_task(REPO / "src", inputs, SCRATCH / "out-new"))
        old_t.append(first_task(old, inputs, SCRATCH / "out-old"))
    plan = statistics.median(plan_seconds(inputs) for _ in range(args.repeat))
    print(f"{args.files} input files ({sum(f.stat().st_size for f in inputs.iterdir()) / 1e6:.0f} MB)")
    print(f"make_plan: {plan:.2f} s")
    print(f"time to first task: {statistics.median(new_t):.2f} s (runs {', '.join(f'{t:.2f}' for t in new_t)}); "
          f"before the split ({BEFORE}): {statistics.median(old_t):.2f} s (runs {', '.join(f'{t:.2f}' for t in old_t)})")
    print(f"ratio: {statistics.median(old_t) / statistics.median(new_t):.2f}x faster to the first task")


if __name__ == "__main__":
    main()
