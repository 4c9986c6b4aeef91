"""Run one recipe several times from one long-lived Ray driver, as a notebook that called
`ray.init` itself would (fruitstand then leaves the connection open), and print, as JSON, what
the driver still holds after each run: the object references Ray counts for it (results,
arguments put in the object store, the exchange's shared records) and the memory of its process.

    python -m tests.execute.ray_repeat ADDRESS OUTPUT_DIR RUNS INPUT...
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

import ray

import fruitstand


def held() -> int:
    return len(ray._private.worker.global_worker.core_worker.get_all_reference_counts())


def main() -> None:
    address, out, runs, *inputs = sys.argv[1:]
    ray.init(address=address, configure_logging=False, log_to_driver=False)
    record = {"before": held(), "runs": []}
    probe = ray.put(b"x" * 1000)  # the count sees what this driver holds
    record["with_probe"] = held()
    del probe
    for i in range(int(runs)):
        m = fruitstand.run(inputs=inputs, output=Path(out) / f"run{i}", executor="ray", address=address,
                           shard_size_mb=0.05)
        record["runs"].append({"documents": m["output"]["documents"], "held": held(),
                               "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024})
    record["still_connected"] = ray.is_initialized()
    print(json.dumps(record))


if __name__ == "__main__":
    main()
