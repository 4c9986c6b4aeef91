"""A tiny stand-in for the executor: map every task, run the reduce stages, filter every task.

Jobs are pickled and unpickled before they run, as a process pool or Ray would do.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from fruitstand.document import Document
from fruitstand.step import GlobalStep, StepStats, TaskContext


def to_documents(tasks: list[list[dict]]) -> list[list[Document]]:
    return [[Document(d["id"], d["text"], {"script": d["script"]} if "script" in d else {}) for d in t]
            for t in tasks]


def run_global(step: GlobalStep, tasks: list[list[Document]], workdir: Path):
    """Returns (kept documents per task, merged filter stats, reduce counters)."""
    n = len(tasks)
    workdir.mkdir(parents=True, exist_ok=True)
    for i, docs in enumerate(tasks):
        out = list(step.map(iter(docs), StepStats(), TaskContext(workdir, i, n)))
        assert [d.id for d in out] == [d.id for d in docs], "map must yield every document unchanged"
    counters = []
    for stage in step.reduce_stages(workdir, n):
        for _name, job in stage:
            counters.append(pickle.loads(pickle.dumps(job))())
    kept, stats = [], StepStats()
    for i, docs in enumerate(tasks):
        s = StepStats()
        kept.append(list(step.filter(iter(docs), s, TaskContext(workdir, i, n))))
        stats.merge(s)
    return kept, stats, counters
