"""The manifest: what a run read, what each step kept and dropped and why, what it wrote.

It is built from the run's identity and the done files of its tasks alone, so the report
(and a resumed run) can draw it again without re-running anything.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
from pathlib import Path
from typing import Any

from fruitstand.step import StepStats

# Distributions whose versions decide the output; recorded for reproducibility.
_DEPENDENCIES = (
    "fastwarc", "resiliparse", "warcio", "trafilatura", "pyarrow", "zstandard", "xxhash", "numpy",
    "ftfy", "orjson", "fasttext-predict", "wordfreq", "jieba", "rensa", "ray",
)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("fruitstand", *_DEPENDENCIES):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def build_manifest(identity: dict[str, Any], task_results: list[dict[str, Any]],
                   reduce_results: dict[int, list[dict[str, Any]]], workdirs: dict[int, Path],
                   wall_time: float, *, executor: str = "local") -> dict[str, Any]:
    steps_tables = identity["recipe"]["step"]
    read = StepStats()
    per_step = [StepStats() for _ in steps_tables]
    files: list[str] = []
    side: dict[str, list[str]] = {}
    digests: dict[str, str] = {}
    documents = 0
    n_stages = 1 + len(reduce_results)
    for r in task_results:
        if r["read"] is not None:
            read.merge(StepStats.from_json(r["read"]))
        for i, s in enumerate(r["steps"]):
            per_step[i].merge(StepStats.from_json(s))
        for i in r.get("inputs", [r["input"]] if "input" in r else []):  # "input": done files of older runs
            digests[i["path"]] = i["sha256"]
        for name, names in r.get("side_outputs", {}).items():
            side.setdefault(name, []).extend(f"{name}/{f}" for f in names)
        if r["stage"] == n_stages - 1:
            files.extend(f"data/{name}" for name in r["files"])
            documents += r["documents"]
    for i, jobs in reduce_results.items():
        for counters in jobs:
            per_step[i].extra.update(counters)
    steps = []
    effective = identity.get("effective_steps") or [{} for _ in steps_tables]
    for i, table in enumerate(steps_tables):
        entry = {"kind": table["kind"], **per_step[i].to_json(),
                 "params": {k: v for k, v in effective[i].items() if k != "kind"}}
        report = workdirs.get(i, Path("/nonexistent")) / "report.json"
        if report.exists():
            entry["report"] = json.loads(report.read_text())
        steps.append(entry)
    return {
        "fruitstand": identity["versions"].get("fruitstand"),
        "recipe": identity["recipe"],
        # sha256 from the task that read each file's first slice (execute/task.py)
        # (a remote file is not fetched twice to be hashed: its server's version stands for it)
        "inputs": [{**{k: v for k, v in i.items() if k != "mtime"}, "sha256": digests.get(i["path"]),
                    **({"version": i["mtime"]} if "://" in i["path"] and i.get("mtime") else {})}
                   for i in identity["inputs"]],
        "read": {"records": read.docs_in, "documents": read.docs_out, "skipped": dict(sorted(read.dropped.items())),
                 **({"extra": dict(read.extra)} if read.extra else {})},
        # Kept out of "read", whose counts runs on other executors and splits compare exactly.
        "read_cpu_s": round(read.cpu_s, 3),
        "steps": steps,
        "funnel": [{"step": "read", "documents": read.docs_out}]
        + [{"step": s["kind"], "documents": s["out"]} for s in steps],
        "output": {"format": identity["format"], "documents": documents, "files": sorted(files),
                   "schema": identity["schema"]},
        "side_outputs": {name: sorted(names) for name, names in sorted(side.items())},
        "tasks": len([r for r in task_results if r["stage"] == 0]),
        "fingerprint": identity["fingerprint"],
        "executor": executor,
        "versions": identity["versions"],
        "wall_time_s": round(wall_time, 3),
    }
