"""Peak memory of a dedup step as the corpus grows: run as a script in a fresh process.

    python -m tests.dedup.memory_probe KIND SCALE MEMORY_MB WORKDIR

Documents are BBC News paragraphs, `SCALE` copies of them, each copy made distinct by a
copy tag after every fourth word (so every 5-gram differs between copies), streamed from a
generator so that the probe itself holds no corpus. After a warm-up run on a tiny corpus
(imports, lazily built tables), the peak resident set size is reset and the step runs
map, reduce jobs and filter over two tasks. Prints {"base_mb", "peak_mb"} as JSON.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from fruitstand.document import Document
from fruitstand.registry import make_step
from fruitstand.step import StepStats, TaskContext

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def paragraphs() -> list[str]:
    with gzip.open(DATA / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        paras = [p for line in fh for p in json.loads(line)["text"].split("\n") if len(p.split()) >= 20]
    return paras[:3000]


def documents(paras: list[str], scale: int, task: int, n_tasks: int):
    for copy in range(scale):
        tag = "copy" + "".join(chr(97 + int(d)) for d in str(copy))  # letters: digits normalise to 0
        for i in range(task, len(paras), n_tasks):
            words = paras[i].split()
            for j in range(4, len(words), 5):
                words.insert(j, tag)
            yield Document(f"{copy}-{i}", " ".join(words))


def run(kind: str, paras: list[str], scale: int, memory_mb: int, workdir: Path) -> int:
    step = make_step({"kind": kind, "memory_mb": memory_mb})
    n = 2
    for t in range(n):
        for _ in step.map(documents(paras, scale, t, n), StepStats(), TaskContext(workdir, t, n)):
            pass
    for stage in step.reduce_stages(workdir, n):
        for _, job in stage:
            job()
    kept = 0
    for t in range(n):
        kept += sum(1 for _ in step.filter(documents(paras, scale, t, n), StepStats(), TaskContext(workdir, t, n)))
    return kept


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def main() -> None:
    kind, scale, memory_mb, workdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    paras = paragraphs()
    run(kind, paras[:200], 1, memory_mb, workdir / "warmup")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (VmHWM), Linux >= 4.0
    base = _status("VmRSS")
    kept = run(kind, paras, scale, memory_mb, workdir / "run")
    print(json.dumps({"base_mb": round(base, 1), "peak_mb": round(_status("VmHWM"), 1), "kept": kept}))


if __name__ == "__main__":
    main()
