"""Bytes each stage of the default recipe moves per document, and its CPU per document, on real WARCs.

Runs the default recipe (local executor, 2 workers) on five WARCs of ../shared/data/warc and
measures, per stage: input bytes read, bytes of documents stored for the next stage, bytes of
whole-corpus side data (dedup signatures, hashes, ...), output bytes, and CPU seconds of its
tasks, each divided by the documents read (HTML responses). These are the inputs of
docs/scaling.md's estimate.

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/stage_bytes.py
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from fruitstand.execute.executor import execute  # noqa: E402
from fruitstand.execute.local import LocalExecutor  # noqa: E402
from fruitstand.execute.plan import make_plan  # noqa: E402

DATA = (REPO / ".." / "shared" / "data" / "warc").resolve()
WARCS = ["trafilatura-pages.warc.gz", "articles-61.warc.gz", "aut-example.warc.gz", "sample-0000.warc.gz",
         "sample-0001.warc.gz"]


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


class Measuring(LocalExecutor):
    """The local executor, noting the stored documents and side data after each stage."""

    sizes: list[dict[str, int]] = []

    def run_tasks(self, stage, tasks, resources):
        yield from super().run_tasks(stage, tasks, resources)
        spec = self.spec
        g = spec.global_indices()
        self.sizes.append({"stored": _size(spec.docs_dir(stage)) if stage < len(g) else 0,
                           "side": _size(spec.step_workdir(g[stage])) if stage < len(g) else 0})


def main() -> None:
    out = REPO / ".bench" / "stage-bytes"
    shutil.rmtree(out, ignore_errors=True)
    plan = make_plan(None, inputs=[DATA / w for w in WARCS], output=out)
    plan.output.claim(plan.identity, overwrite=True)
    ex = Measuring(2)
    m = execute(plan, ex)
    done = [json.loads(p.read_text()) for p in sorted((out / ".fruitstand" / "done").glob("stage*.json"))]
    n = m["read"]["documents"]
    inputs = sum(i["size"] for i in m["inputs"])
    print(f"{n} HTML documents read from {inputs / 1e6:.1f} MB of gzipped WARC ({inputs / n / 1e3:.1f} kB each); "
          f"{m['output']['documents']} written, {_size(out / 'data') / 1e3:.0f} kB of Parquet")
    for stage, sz in enumerate(ex.sizes):
        cpu = sum(sum(x.get("cpu_s", 0) for x in r["steps"]) + ((r["read"] or {}).get("cpu_s", 0))
                  for r in done if r["stage"] == stage)
        docs_in = n if stage == 0 else sum(r["documents"] for r in done if r["stage"] == stage - 1)
        print(f"stage {stage}: {docs_in} docs in, stored for next stage {sz['stored'] / max(1, n):.0f} B/doc read, "
              f"dedup side data {sz['side'] / max(1, n):.0f} B/doc, steps' and reader's CPU {cpu / n * 1e3:.1f} ms/doc read")
    print(f"output: {_size(out / 'data') / max(1, n):.0f} B per document read")


if __name__ == "__main__":
    main()
