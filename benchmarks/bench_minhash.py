"""Issue 5: MinHash dedup, fruitstand's `minhash_dedup` against datatrove's four MinHash stages.

    .venv/bin/python benchmarks/bench_minhash.py                  # 6,000 documents, median of 3
    .venv/bin/python benchmarks/bench_minhash.py --docs 20000 --repeats 1   # ~6 min, most of it datatrove

The corpus (built once under .bench/): the 2,952 real documents of shared/data/text/*.jsonl.gz
(Common Crawl WET, BBC News, CCNet), then new documents made of 8-40 real sentences drawn at
random from all of them (so they share no more text with each other than a web crawl's pages
do), until `--docs`; then planted duplicates: 15% of documents get a near-duplicate with 1-3% of
its words replaced or deleted (5-gram Jaccard ~0.75-0.9), 5% an exact copy. Eight JSONL files.

Both sides run FineWeb's settings (word 5-grams, 14 bands x 8 rows, 64-bit hashes), 2 workers:
  fruitstand  `fruitstand run` with one `minhash_dedup` step, Parquet out
  datatrove   MinhashDedupSignature -> MinhashDedupBuckets -> MinhashDedupCluster ->
              MinhashDedupFilter -> ParquetWriter, each stage a LocalPipelineExecutor, in one process
Reported: input documents per wall-clock second of the whole command, peak memory (summed RSS
and PSS of the process tree, and the largest RSS of any one process, all sampled from /proc
every 0.02 s the same way on both sides), documents removed, and the share of planted duplicate
groups left with exactly one member ("caught"). Memory ratios are printed last.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import sys
from pathlib import Path

import _harness as h

WORKERS = 2
N_FILES = 8
NEAR_DUP, EXACT_DUP = 0.15, 0.05
# Memory is sampled this often: fruitstand's run lasts ~1.5 s at 6,000 documents, and a peak held for
# less than the harness default of 0.1 s can be missed. (The peak itself varies with the machine: 280-360
# MiB over one day, higher when both workers run flat out at once on an idle machine.)
SAMPLE_S = 0.02


def run_datatrove(folder: str, output: str, workers: int) -> None:
    """datatrove's four MinHash stages with FineWeb's config (datatrove venv)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import ParquetWriter
    from datatrove.utils.hashing import HashConfig

    cfg = MinhashConfig(hash_config=HashConfig(precision=64), n_grams=5, num_buckets=14, hashes_per_bucket=8)
    work = output + "-work"
    n_files = len(list(Path(folder).glob("*.jsonl")))
    stages = [
        ([JsonlReader(folder, glob_pattern="*.jsonl"), MinhashDedupSignature(work + "/sigs", config=cfg)], n_files),
        ([MinhashDedupBuckets(work + "/sigs", work + "/buckets", config=cfg)], cfg.num_buckets),
        ([MinhashDedupCluster(work + "/buckets", work + "/remove", config=cfg)], 1),
        ([JsonlReader(folder, glob_pattern="*.jsonl"), MinhashDedupFilter(work + "/remove"), ParquetWriter(output)],
         n_files),
    ]
    for i, (pipeline, tasks) in enumerate(stages):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(workers, tasks),
                              logging_dir=f"{output}-logs/{i}").run()


# --- corpus ----------------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _edit(text: str, rate: float, rng: random.Random, vocab: list[str]) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), max(1, int(len(words) * rate))):
        words[i] = rng.choice(vocab) if rng.random() < 0.5 else ""
    return " ".join(w for w in words if w)


def build_corpus(n_docs: int) -> tuple[Path, int, dict[str, list[str]]]:
    """The benchmark corpus (cached): (folder, documents, planted groups: original id -> copy ids)."""
    folder = h.SCRATCH / f"minhash-corpus-{n_docs}"
    groups_file = folder / "groups.json"
    if groups_file.exists():
        return folder, sum(1 for p in folder.glob("*.jsonl") for _ in open(p)), json.loads(groups_file.read_text())
    rng = random.Random(0)
    real = []
    for path in sorted((h.DATA / "text").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            real.extend(t for t in (json.loads(line).get("text", "") for line in f) if len(t) > 200)
    sentences = [s for t in real for s in _SENTENCE.split(t) if len(s) > 30]
    vocab = sorted({w for s in sentences[:20000] for w in s.split()})
    n_base = int(n_docs / (1 + NEAR_DUP + EXACT_DUP))
    docs = [(f"real-{i}", t) for i, t in enumerate(real)]
    while len(docs) < n_base:
        docs.append((f"mix-{len(docs)}", " ".join(rng.sample(sentences, rng.randint(8, 40)))))
    groups: dict[str, list[str]] = {}
    planted = []
    for doc_id, text in docs:
        u = rng.random()
        if u < NEAR_DUP:
            planted.append((doc_id + "~near", _edit(text, rng.uniform(0.01, 0.03), rng, vocab)))
        elif u < NEAR_DUP + EXACT_DUP:
            planted.append((doc_id + "~exact", text))
        else:
            continue
        groups[doc_id] = [planted[-1][0]]
    docs += planted
    rng.shuffle(docs)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for k in range(N_FILES):
        with open(folder / f"part-{k:02d}.jsonl", "w") as f:
            for doc_id, text in docs[k::N_FILES]:
                f.write(json.dumps({"id": doc_id, "text": text}) + "\n")
    groups_file.write_text(json.dumps(groups))
    return folder, len(docs), groups


def _caught(output: Path, groups: dict[str, list[str]]) -> tuple[int, float]:
    """(documents kept, share of planted groups with exactly one survivor)."""
    import pyarrow.parquet as pq

    kept = set()
    for p in output.rglob("*.parquet"):
        kept.update(pq.read_table(p, columns=["id"]).column("id").to_pylist())
    one = sum(((orig in kept) + sum(c in kept for c in copies)) == 1 for orig, copies in groups.items())
    return len(kept), one / max(1, len(groups))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=6000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sides", default="fruitstand,datatrove")
    args = ap.parse_args()
    which = h.ready_sides(args.sides.split(","))

    folder, n_docs, groups = build_corpus(args.docs)
    files = sorted(folder.glob("*.jsonl"))
    mb = sum(p.stat().st_size for p in files) / 2**20
    print(f"corpus: {n_docs} documents, {mb:.0f} MB in {len(files)} files, {len(groups)} planted duplicate groups")
    out = h.SCRATCH / "minhash-out"
    recipe = h.SCRATCH / "minhash.toml"
    recipe.write_text('[[step]]\nkind = "minhash_dedup"\n')
    me = Path(__file__).resolve()

    def side(cmd, dest):
        def go():
            for p in (dest, f"{dest}-logs", f"{dest}-work"):
                shutil.rmtree(p, ignore_errors=True)
            run = h.measure(cmd, interval=SAMPLE_S)
            if run.rc == 0:
                run.extra["kept"], run.extra["caught"] = _caught(dest, groups)
            return run
        return go

    sides = {
        "fruitstand": side(h.fruitstand_cmd(recipe, files, out / "fs", WORKERS), out / "fs"),
        "datatrove": side([h.DATATROVE_PY, me, "--run-datatrove", folder, out / "dt"], out / "dt"),
    }
    runs = h.alternate({k: v for k, v in sides.items() if k in which}, args.repeats, label="minhash")
    med = {k: h.median_run(v) for k, v in runs.items()}
    rows = [[name, n_docs, n_docs - m.extra["kept"], f"{m.extra['caught']:.1%}", f"{m.wall_s:.2f}",
             f"{n_docs / m.wall_s:.0f}", f"{m.cpu_s:.1f}", f"{n_docs / m.cpu_s:.0f}", f"{h.mib(m.peak_rss):.0f}",
             f"{h.mib(m.peak_pss):.0f}", f"{h.mib(m.peak_proc_rss):.0f}"]
            for name, m in med.items()]
    print(f"\nmedians of {args.repeats} alternated runs, {WORKERS} workers")
    print(h.table(["side", "docs in", "removed", "planted caught", "wall s", "docs/s", "CPU s",
                   "docs/CPU-s", "peak RSS MiB", "peak PSS MiB", "largest process MiB"], rows))
    if len(med) == 2:
        f, d = med["fruitstand"], med["datatrove"]
        print(h.ratio_line("fruitstand / datatrove", f, d))
        print(f"peak memory, fruitstand / datatrove (goal <= 0.50): process tree RSS {f.peak_rss / d.peak_rss:.2f}x, "
              f"tree PSS {f.peak_pss / d.peak_pss:.2f}x, largest process RSS {f.peak_proc_rss / d.peak_proc_rss:.2f}x")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run-datatrove":
        run_datatrove(sys.argv[2], sys.argv[3], WORKERS)
    else:
        main()
