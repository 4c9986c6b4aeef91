"""The report's cost: drawing report.html + README.md at 10^4, 10^5 and 10^6 documents, and recording in the run.

1. Drawing. The report reads the manifest and the tasks' sketches (src/fruitstand/report/sketch.py),
   never the corpus, so its cost depends on steps, reasons, bins and distinct domains, not on
   documents. The run statistics here are **synthetic**, of the sizes a run of N documents gives:
   64 tasks (fewer below 64k documents) over three stages, the default recipe's 9 steps and their
   drop reasons, 150 languages, N/4 distinct domains (each task keeps its 2,000 most frequent, as
   the run does), histograms filled from random draws, 3 sampled 600-character texts per reason.
   Timed: `fruitstand.report(DIR)` (merge the sketches, draw the HTML, write the card), median of 3.
2. Recording. The in-run cost of gathering those statistics, on real text (BBC News articles,
   copied to 10^4 documents with distinct ids): the default recipe's text steps (langid, Gopher,
   C4, FineWeb rules) run in-process with and without the per-step recorder; the last line is
   the recorder's share of the steps' time.

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/bench_report.py

Latest figures: benchmarks/RESULTS.md ("Issue 18: report").
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fruitstand  # noqa: E402
from _harness import DATA, SCRATCH  # noqa: E402
from fruitstand.document import Document  # noqa: E402
from fruitstand.registry import make_step  # noqa: E402
from fruitstand.report.sketch import (  # noqa: E402
    DOMAIN_CAP,
    LOG_BINS,
    MIX_FIELDS,
    NBINS,
    SIGNALS,
    SNIPPET,
    TaskSketch,
)
from fruitstand.step import StepStats  # noqa: E402

STEPS = {  # the default recipe's steps and drop reasons (as its manifest names them), share of input dropped
    "extract": (["empty_text", "binary_content", "html_too_large"], 0.02),
    "url_filter": (["url_blocked_domain", "url_banned_word", "url_soft_banned_words"], 0.03),
    "langid": (["low_language_score"], 0.05),
    "gopher_repetition": ([f"gopher_rep_{k}" for k in ("dup_line_frac", "dup_para_frac", "dup_line_char_frac",
                                                       "dup_para_char_frac", "top_2_gram", "top_3_gram",
                                                       "top_4_gram", "dup_5_gram", "dup_10_gram")], 0.08),
    "gopher_quality": ([f"gopher_{k}" for k in ("short_doc", "long_doc", "below_avg_threshold", "above_avg_threshold",
                                                 "too_many_hashes", "too_many_ellipsis", "too_many_bullets",
                                                 "too_many_end_ellipsis", "below_alpha_threshold",
                                                 "enough_stop_words")], 0.2),
    "c4_quality": (["c4_too_few_sentences", "c4_lorem_ipsum", "c4_javascript", "c4_curly_bracket", "c4_policy"], 0.1),
    "fineweb_quality": (["fineweb_line_punct_ratio", "fineweb_short_line_ratio", "fineweb_char_dup_ratio",
                         "fineweb_list_ratio"], 0.1),
    "exact_dedup": (["exact_duplicate"], 0.05),
    "minhash_dedup": (["minhash_duplicate"], 0.1),
}
STAGE_OF = {k: (0 if i < 7 else i - 6) for i, k in enumerate(STEPS)}


def _sample(rng: np.random.Generator, k: int) -> dict:
    words = rng.choice(["data", "corpus", "the", "of", "and", "report", "fruit", "stand", "news", "web"], 120)
    text = " ".join(words)[:SNIPPET]
    return {"id": f"doc-{k}", "hash": f"{int(rng.integers(0, 2**63)):016x}", "chars": 3000, "text": text,
            "url": f"https://site{k % 997}.example/{k}", "language": "eng", "script": "Latn"}


def synthetic_run(folder: Path, n_docs: int, seed: int = 0) -> None:
    """manifest.json and .fruitstand/report/*.json as a run of n_docs documents would leave them."""
    rng = np.random.default_rng(seed)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / ".fruitstand" / "report").mkdir(parents=True)
    (folder / "data").mkdir()
    n_tasks = max(1, min(64, n_docs // 1000))
    langs = [f"l{i:02d}" for i in range(150)]
    lang_p = 1 / np.arange(1, 151) ** 1.2
    lang_p /= lang_p.sum()
    steps_m, left = [], n_docs
    for kind, (reasons, share) in STEPS.items():
        drop = int(left * share)
        per = rng.multinomial(drop, np.ones(len(reasons)) / len(reasons))
        steps_m.append({"kind": kind, "in": left, "out": left - drop,
                        "dropped": {r: int(c) for r, c in zip(reasons, per) if c}})
        left -= drop
    manifest = {"fruitstand": fruitstand.__version__, "recipe": {"name": "default", "step": [{"kind": k} for k in STEPS]},
                "inputs": [{"path": f"/crawl/part-{i}.warc.gz", "name": f"part-{i}.warc.gz", "format": "warc",
                            "size": 1 << 30, "sha256": f"{i:064x}"} for i in range(max(1, n_docs // 40_000))],
                "read": {"records": n_docs * 3, "documents": n_docs, "skipped": {"record_type:request": n_docs}},
                "steps": steps_m,
                "output": {"format": "parquet", "documents": left, "files": [f"data/part-{t:05d}-0000.parquet"
                                                                             for t in range(n_tasks)],
                           "schema": {"id": "string", "text": "string", "url": "string", "language": "string"}},
                "tasks": n_tasks, "versions": {"python": sys.version.split()[0]}, "wall_time_s": 1.0}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    domains_total = max(10, n_docs // 4)
    for stage in range(3):
        for t in range(n_tasks):
            steps = []
            for i, (kind, m) in enumerate(zip(STEPS, steps_m)):
                ours = STAGE_OF[kind] == stage
                f = 1 / n_tasks
                steps.append({
                    "docs_in": int(m["in"] * f) if ours else 0, "docs_out": int(m["out"] * f) if ours else 0,
                    "chars_in": int(m["in"] * f * 3000) if ours else 0, "chars_out": int(m["out"] * f * 3000) if ours else 0,
                    "length_kept": np.bincount(rng.normal(45, 6, int(m["out"] * f) if ours else 0).clip(0, LOG_BINS - 1)
                                               .astype(int), minlength=LOG_BINS).tolist(),
                    "length_dropped": np.bincount(rng.normal(38, 9, int((m["in"] - m["out"]) * f) if ours else 0)
                                                  .clip(0, LOG_BINS - 1).astype(int), minlength=LOG_BINS).tolist(),
                    "samples": ({r: [_sample(rng, t * 1000 + i * 10 + j) for j in range(3)]
                                 for r in [*m["dropped"], "kept"]} if ours else {}),
                })
            per_task = n_docs // n_tasks
            signals = {side: {name: np.bincount(rng.integers(0, NBINS[name], per_task // (1 if side == "kept" else 3)),
                                                minlength=NBINS[name]).tolist() for name in SIGNALS}
                       for side in ("kept", "dropped")} if stage == 2 else {"kept": {}, "dropped": {}}
            mix = {"kept": {}, "dropped": {}}
            if stage == 2:
                for side in ("kept", "dropped"):
                    n = per_task if side == "kept" else per_task // 3
                    counts = {f: {} for f in MIX_FIELDS}
                    counts["language"] = dict(zip(langs, rng.multinomial(n, lang_p).tolist()))
                    counts["script"] = {"Latn": n // 2, "Cyrl": n // 4, "Hani": n // 4}
                    doms = rng.zipf(1.3, n) % domains_total
                    uniq, cnt = np.unique(doms, return_counts=True)
                    top = np.argsort(-cnt, kind="stable")[:DOMAIN_CAP]
                    counts["domain"] = {f"d{int(uniq[j])}.example": int(cnt[j]) for j in top}
                    counts["domain"]["(other)"] = int(n - cnt[top].sum())
                    counts["license"] = {"(none)": n}
                    counts["opt_out"] = {"(none)": n}
                    mix[side] = counts
            part = {"steps": steps, "signals": signals, "mix": mix}
            (folder / ".fruitstand" / "report" / f"stage{stage}-task{t:05d}.json").write_text(json.dumps(part))


def bench_draw(sizes: list[int], repeats: int) -> list[dict]:
    rows = []
    for n in sizes:
        folder = SCRATCH / "report" / f"n{n}"
        synthetic_run(folder, n)
        sketch_bytes = sum(p.stat().st_size for p in (folder / ".fruitstand" / "report").iterdir())
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fruitstand.report(folder)
            times.append(time.perf_counter() - t)
        rows.append({"documents": n, "seconds": statistics.median(times), "html_bytes": (folder / "report.html").stat().st_size,
                     "card_bytes": (folder / "README.md").stat().st_size, "sketch_bytes": sketch_bytes})
        print(f"draw  {n:>9,} documents: {rows[-1]['seconds']:.2f} s  report.html {rows[-1]['html_bytes'] / 1024:,.0f} KiB  "
              f"README.md {rows[-1]['card_bytes'] / 1024:,.1f} KiB  (task statistics read: {sketch_bytes / 2**20:,.1f} MiB)",
              flush=True)
    return rows


def _docs(n: int) -> list[Document]:
    base = []
    with gzip.open(DATA / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        for line in fh:
            rec = json.loads(line)
            base.append((rec["id"], rec["text"]))
    return [Document(f"{base[k % len(base)][0]}#{k}", base[k % len(base)][1], {"url": f"https://bbc.example/{k}"})
            for k in range(n)]


def bench_record(n: int, repeats: int) -> tuple[float, float]:
    kinds = ["langid", "gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality"]
    steps = [make_step({"kind": k}) for k in kinds]
    for s in steps:
        s.setup()
    docs = _docs(n)

    def once(record: bool) -> float:
        batch = [Document(d.id, d.text, dict(d.metadata)) for d in docs]
        sketch = TaskSketch(len(steps))
        stream = iter(batch)
        t = time.process_time()
        for i, s in enumerate(steps):
            stats = StepStats()
            if record:
                stream = sketch.watch(i, functools.partial(s.process, stats=stats), stream, stats, s.kind)
            else:
                stream = s.process(stream, stats)
        if record:
            stream = sketch.written(stream)
        for _ in stream:
            pass
        if record:
            json.dumps(sketch.to_json())
        return time.process_time() - t

    once(False)  # warm-up: models and configs load
    plain, recorded = [], []
    for _ in range(repeats):
        plain.append(once(False))
        recorded.append(once(True))
    return statistics.median(plain), statistics.median(recorded)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--record-docs", type=int, default=10_000)
    args = ap.parse_args()
    bench_draw([int(s) for s in args.sizes.split(",")], args.repeats)
    plain, recorded = bench_record(args.record_docs, args.repeats)
    n = args.record_docs
    print(f"record {n:,} real documents through 5 text steps: {plain:.2f} CPU s plain, {recorded:.2f} CPU s recorded "
          f"(+{1e6 * (recorded - plain) / n:.0f} us per document)")
    print(f"ratio: recording costs {recorded / plain - 1:+.1%} of the steps' CPU time")


if __name__ == "__main__":
    main()
