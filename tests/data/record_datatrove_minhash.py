"""Record what datatrove's MinHash dedup removes from the planted test corpus.

Run once, in a virtual environment with datatrove (not fruitstand's), from the repo root:

    /work/main/.venv-datatrove/bin/python tests/data/record_datatrove_minhash.py

It builds the corpus of `tests/dedup/planted.py` (standard library only, so the very same
documents), writes each task as a JSONL file, runs datatrove's four MinHash stages with
their default configuration (FineWeb's: 5-grams, 14 buckets of 8 hashes) on 2 workers, and
writes the removed document ids, with datatrove's version and the stages' wall times, to
`tests/data/datatrove_minhash_planted.json`. `tests/dedup/test_minhash_dedup.py` scores those
ids and fruitstand's with the same function.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "dedup"))

import planted  # noqa: E402
from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.dedup import MinhashDedupSignature  # noqa: E402
from datatrove.pipeline.dedup.minhash import (  # noqa: E402
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
)
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

WORKERS = 2


def main() -> None:
    corpus = planted.build()
    n_tasks = len(corpus["tasks"])
    config = MinhashConfig()
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "input").mkdir()
        for i, task in enumerate(corpus["tasks"]):
            with open(root / "input" / f"{i:05d}.jsonl", "w") as fh:
                for doc in task:
                    fh.write(json.dumps({"id": doc["id"], "text": doc["text"]}) + "\n")

        def reader():
            return JsonlReader(str(root / "input"), glob_pattern="*.jsonl")

        stages = [
            ("signatures", [reader(), MinhashDedupSignature(str(root / "sigs"), config=config)], n_tasks),
            ("buckets", [MinhashDedupBuckets(str(root / "sigs"), str(root / "buckets"), config=config)],
             config.num_buckets),
            ("clusters", [MinhashDedupCluster(str(root / "buckets"), str(root / "remove"), config=config)], 1),
            ("filter", [reader(), MinhashDedupFilter(str(root / "remove"),
                                                     exclusion_writer=JsonlWriter(str(root / "removed")))], n_tasks),
        ]
        for name, pipeline, tasks in stages:
            start = time.perf_counter()
            LocalPipelineExecutor(pipeline, tasks=tasks, workers=WORKERS,
                                  logging_dir=str(root / "logs" / name)).run()
            seconds[name] = round(time.perf_counter() - start, 2)
        removed = []
        for path in sorted((root / "removed").glob("*.jsonl.gz")):
            import gzip

            with gzip.open(path, "rt") as fh:
                removed += [json.loads(line)["id"] for line in fh]
    out = {
        "datatrove": importlib.metadata.version("datatrove"),
        "config": {"n_grams": config.n_grams, "num_buckets": config.num_buckets,
                   "hashes_per_bucket": config.hashes_per_bucket, "seed": config.seed},
        "corpus": {"seed": 0, "n_tasks": n_tasks, "documents": sum(map(len, corpus["tasks"]))},
        "workers": WORKERS,
        "seconds": seconds,
        "removed": sorted(removed),
    }
    (HERE / "datatrove_minhash_planted.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "removed"}), len(removed), "removed")


if __name__ == "__main__":
    main()
