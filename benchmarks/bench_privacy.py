"""Speed of `pii` and `decontaminate` on real text, against datatrove's PIIFormatter and NGramsDecontFilter.

    .venv/bin/python benchmarks/bench_privacy.py [--repeats 3] [--steps pii,decontaminate] [--baseline-src DIR]

Text: the 697 Common Crawl WET documents of shared/data/text/CC-MAIN-...-00140 plus the 2,225 BBC
News articles (7.9 MB of UTF-8), the same documents on both sides, one process each (MB/s per
core). Each side runs in its own interpreter (datatrove in .venv-datatrove), the sides alternate,
each is timed `--repeats` times under /tmp/fruitstand-bench.lock (taken per timed process, so
do not wrap the whole command in it), and the median is reported. `--baseline-src` also times
fruitstand from another source tree (an earlier commit's `src`, e.g. from `git archive`), in
turn with the others, so a change that slows a step shows as a ratio below 1.

- pii: fruitstand's `pii` (all five types, placeholders) against datatrove's `PIIFormatter`
  (e-mails and public IPv4 only, its defaults): datatrove does less work.
- decontaminate: both index the same eval items (the built-in MMLU test, GSM8K test and
  HumanEval sets: every string of every item) with 13-grams. datatrove's index is built the way
  its NGramsDecontIndexer does (its English word tokenizer, `simplify_text`, xxhash of the joined
  n-gram), written as its `.index.hashes` files, then `NGramsDecontFilter.filter` runs per
  document. Index building and loading are timed apart from the filtering.

Results: benchmarks/RESULTS.md ("Issue 16").
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
FILES = ("CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", "bbc-news.jsonl.gz")
EVALS = ("mmlu_test", "gsm8k_test", "human_eval")


def texts() -> list[str]:
    out = []
    for name in FILES:
        with gzip.open(DATA / "text" / name, "rt", encoding="utf-8") as f:
            out += [json.loads(line)["text"] for line in f]
    return out


def eval_items() -> list[list[str]]:
    """Every eval item's strings, from the built-in files (read without importing fruitstand)."""
    items = []
    for name in EVALS:
        with gzip.open(REPO / "src" / "fruitstand" / "privacy" / "evals" / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                strings = []
                for v in row.values():
                    strings += [v] if isinstance(v, str) else [x for x in v if isinstance(x, str)] if isinstance(v, list) else []
                items.append(strings)
    return items


def _time(fn, docs) -> float:
    start = time.process_time()
    for d in docs:
        fn(d)
    return time.process_time() - start


def side_fruitstand(step: str) -> dict:
    from fruitstand.document import Document
    from fruitstand.privacy.decontaminate import Decontaminate
    from fruitstand.privacy.pii import PII

    docs = texts()
    if step == "pii":
        s = PII()
        return {"cpu_s": _time(lambda t: s.apply(Document("b", t)), docs)}
    with tempfile.TemporaryDirectory() as cache:
        import os

        os.environ["XDG_CACHE_HOME"] = cache  # time a cold build, then the cached load
        s = Decontaminate(evals=[f"builtin:{n}" for n in EVALS])
        t0 = time.process_time()
        s.setup()
        build = time.process_time() - t0
        s2 = Decontaminate(evals=s.evals)
        t0 = time.process_time()
        s2.setup()
        load = time.process_time() - t0
    dropped = sum(1 for d in docs if s.matches(d))
    return {"cpu_s": _time(s.matches, docs), "index_s": build, "load_s": load, "dropped": dropped,
            "index_size": int(len(s.index.hashes))}


def side_datatrove(step: str) -> dict:
    from datatrove.data import Document

    docs = texts()
    if step == "pii":
        from datatrove.pipeline.formatters import PIIFormatter

        f = PIIFormatter()
        return {"cpu_s": _time(f.format, docs)}
    import numpy as np
    from datatrove.pipeline.decont import NGramsDecontFilter
    from datatrove.pipeline.decont.n_grams import NGramsDecontConfig
    from datatrove.utils.hashing import create_hash_func
    from datatrove.utils.text import ngrams, simplify_text
    from datatrove.utils.word_tokenizers import load_word_tokenizer

    config = NGramsDecontConfig(n_grams=13)
    tok = load_word_tokenizer("en")
    hash_func = create_hash_func(config.hash_config)
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.process_time()
        hashes = set()
        for strings in eval_items():
            for s in strings:
                words = tok.word_tokenize(simplify_text(s, config.norm_config))
                hashes.update(map(hash_func, map(" ".join, ngrams(words, config.n_grams))))
        np.array(sorted(hashes), dtype=config.hash_config.np_descr).tofile(f"{folder}/evals.index.hashes")
        build = time.process_time() - t0
        flt = NGramsDecontFilter(index_folder=folder, config=config, language="en")
        t0 = time.process_time()
        flt.load_index_hashes()
        load = time.process_time() - t0
        docs_dt = [Document(text=t, id=str(i)) for i, t in enumerate(docs)]
        dropped = sum(1 for d in docs_dt if flt.filter(d) is not True)
        cpu = _time(flt.filter, docs_dt)
    return {"cpu_s": cpu, "index_s": build, "load_s": load, "dropped": dropped, "index_size": len(hashes)}


def run_side(side: str, step: str, baseline_src: str | None = None) -> dict:
    py = REPO / (".venv-datatrove" if side == "datatrove" else ".venv") / "bin" / "python"
    env_path = {"fruitstand": str(REPO / "src"), "baseline": baseline_src}.get(side) or ""
    cmd = ["flock", "/tmp/fruitstand-bench.lock", str(py), __file__, "--side",
           "datatrove" if side == "datatrove" else "fruitstand", "--step", step]
    import os

    env = {**os.environ, "PYTHONPATH": env_path}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"{side} {step} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side")
    ap.add_argument("--step")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", default="pii,decontaminate")
    ap.add_argument("--baseline-src", help="also time fruitstand from this src directory (an earlier version)")
    args = ap.parse_args()
    if args.side:  # one timed side, in its own venv
        fn = side_fruitstand if args.side == "fruitstand" else side_datatrove
        print(json.dumps(fn(args.step)))
        return
    mb = sum(len(t.encode("utf-8")) for t in texts()) / 1e6
    print(f"{len(texts())} documents, {mb:.2f} MB; median of {args.repeats}, CPU seconds of one process")
    ratios, base_ratios = {}, {}
    sides = ("fruitstand", "datatrove") + (("baseline",) if args.baseline_src else ())
    for step in args.steps.split(","):
        runs = {side: [] for side in sides}
        for r in range(args.repeats):
            for side in (sides if r % 2 == 0 else sides[::-1]):
                runs[side].append(run_side(side, step, args.baseline_src))
        med = {side: statistics.median(x["cpu_s"] for x in rs) for side, rs in runs.items()}
        for side, rs in runs.items():
            extra = ""
            if "index_s" in rs[0]:
                extra = (f", index of {rs[0]['index_size']:,} n-grams built in {statistics.median(x['index_s'] for x in rs):.2f} s,"
                         f" loaded in {statistics.median(x['load_s'] for x in rs):.2f} s, {rs[0]['dropped']} documents hit")
            print(f"{step:14} {side:11} {mb / med[side]:7.2f} MB/s per core ({med[side]:.2f} CPU s){extra}")
        ratios[step] = med["datatrove"] / med["fruitstand"]
        if args.baseline_src:
            base_ratios[step] = med["baseline"] / med["fruitstand"]
    if base_ratios:
        print("fruitstand / baseline speed: " + ", ".join(f"{k} {v:.2f}x" for k, v in base_ratios.items()))
    print("fruitstand / datatrove speed: " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))


if __name__ == "__main__":
    main()
