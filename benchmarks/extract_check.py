"""`extract`'s output on every real page in ../shared/data, saved and compared exactly; its CPU per page.

    .venv/bin/python benchmarks/extract_check.py --save /tmp/before.jsonl.gz   # on the old code
    .venv/bin/python benchmarks/extract_check.py --check /tmp/before.jsonl.gz  # on the new: exit 1 if any differs
    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/extract_check.py --time [--baseline-src DIR]

Pages: every HTML document `fruitstand.read` finds in extraction/, each folder of html/ and
each WARC/ARC of warc/ (the same pages several of them hold are read from each). Each page runs
through the `extract` step with its defaults and with `block_model = false`, with
`find_container = false` and with both off (every code path of the resiliparse backend); a
page's record is its id, the step's drop reason or its (title, text), one JSON line per page
and configuration. `--check` compares every record with a saved file and prints the first
differences: for a speed change, zero differences is the test. The C extensions against their Python
twins: `--save` under `FRUITSTAND_PURE_PYTHON=1`, then `--check` without it.

`--time` runs extract's per-page work in-process (the step's `apply` on pages already read, no
reader or writer) and the extraction limit (resiliparse's `detect_encoding` + `bytes_to_str`,
`HTMLTree.parse`, `extract_plain_text(main_content=True)`, as benchmarks/bench_extract.py's
limit side) on the WARCs bench_recipe_speed.py reads, alternated, and prints the medians and
extract's rate as a share of the limit's. With `--baseline-src`, the same for another `src`
folder (e.g. a `git archive` of the commit before a change), in its own process, alternated.
Results: benchmarks/results/recipe-speed.md.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
CONFIGS = {
    "default": {},
    "no_block_model": {"block_model": False},
    "no_container": {"find_container": False},
    "plain_rules": {"find_container": False, "block_model": False},
}
# bench_recipe_speed.py's "small" base set (bench_extract.BASES).
BENCH_WARCS = [
    "articles-61.warc.gz", "sample-0000.warc.gz", "sample-0001.warc.gz", "science-0.warc.gz",
    "science-1.warc.gz", "resiliparse-warcfile.warc.gz", "pywb-iana.warc.gz", "whirlwind.warc.gz",
    "ukwa-IAH-20080430204825-00000-blackbook-truncated.warc.gz", "ukwa-IAH-urls-wget.warc.gz",
]


def corpora() -> list[Path]:
    crawls = [p for p in sorted((DATA / "warc").iterdir()) if ".wat" not in p.name and ".wet" not in p.name]
    return [DATA / "extraction", *sorted(p for p in (DATA / "html").iterdir() if p.is_dir()), *crawls]


def pages(roots: list[Path]) -> list:
    from fruitstand import read

    out = []
    for root in roots:
        for doc in read(root):
            if doc.html is not None:
                doc.id = f"{root.name}/{doc.id}"
                out.append(doc)
    return out


def records(docs: list) -> list[dict]:
    from fruitstand.extract.extract import Extract

    out = []
    for name, params in CONFIGS.items():
        step = Extract(**params)
        step.setup()
        for doc in docs:
            result = step.apply(copy.deepcopy(doc))
            if isinstance(result, tuple):
                out.append({"config": name, "id": doc.id, "drop": result[1]})
            else:
                out.append({"config": name, "id": doc.id, "title": result.metadata.get("title"), "text": result.text})
    return out


def check(saved: Path, now: list[dict]) -> int:
    with gzip.open(saved, "rt", encoding="utf-8") as f:
        before = [json.loads(line) for line in f]
    if len(before) != len(now):
        print(f"{len(before)} records saved, {len(now)} now")
        return 1
    differ = [(a, b) for a, b in zip(before, now) if a != b]
    for a, b in differ[:10]:
        print(f"DIFFERS {a['config']} {a['id']}")
        for key in ("drop", "title", "text"):
            if a.get(key) != b.get(key):
                print(f"  {key}: {str(a.get(key))[:300]!r}\n   now: {str(b.get(key))[:300]!r}")
    pages = len({r["id"] for r in now})
    print(f"{len(now)} records ({pages} pages x {len(CONFIGS)} configurations): {len(differ)} differ")
    return 1 if differ else 0


# --- timing -------------------------------------------------------------------------------------------


def _time_rounds(rounds: int) -> None:
    """Print JSON: per-round CPU seconds of the limit and of extract over the bench WARCs' pages."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree

    from fruitstand.extract.extract import Extract

    docs = pages([DATA / "warc" / name for name in BENCH_WARCS])
    bodies = [d.html for d in docs]
    step = Extract()
    step.setup()

    def limit() -> None:
        for body in bodies:
            extract_plain_text(HTMLTree.parse(bytes_to_str(body, detect_encoding(body))), main_content=True)

    def extract() -> None:
        for doc in docs:
            step.apply(copy.copy(doc))

    extract()  # warm: the model, ftfy's import if a page needs it
    out: dict[str, list[float]] = {"limit": [], "extract": []}
    for _ in range(rounds):
        for name, fn in (("limit", limit), ("extract", extract)):
            t = time.process_time()
            fn()
            out[name].append(time.process_time() - t)
    print(json.dumps({"pages": len(docs), **out}))


def _timed(src: Path, rounds: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.run([sys.executable, __file__, "--time-rounds", str(rounds)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_sides(baseline: Path | None, rounds: int, repeats: int) -> None:
    sides = {"current": REPO / "src"} | ({"baseline": baseline} if baseline else {})
    runs: dict[str, list[dict]] = {k: [] for k in sides}
    for r in range(repeats):
        for name, src in sides.items():
            runs[name].append(_timed(src, rounds))
            got = runs[name][-1]
            print(f"  repeat {r + 1} {name}: limit {1000 * min(got['limit']) / got['pages']:.2f} ms/page, "
                  f"extract {1000 * min(got['extract']) / got['pages']:.2f} ms/page", flush=True)
    print(f"\nin-process, {runs['current'][0]['pages']} pages of the bench WARCs; per process the fastest of "
          f"{rounds} rounds, then the median of {repeats} processes")
    for name, got in runs.items():
        n = got[0]["pages"]
        limit = statistics.median(min(g["limit"]) for g in got) / n
        ext = statistics.median(min(g["extract"]) for g in got) / n
        share = statistics.median(min(g["limit"]) / min(g["extract"]) for g in got)
        print(f"{name}: limit {1000 * limit:.3f} ms/page, extract {1000 * ext:.3f} ms/page, "
              f"extract's pages per CPU-second {100 * share:.0f}% of the limit's")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", type=Path, help="write every page's records here (.jsonl.gz)")
    what.add_argument("--check", type=Path, help="compare every page's records with this saved file")
    what.add_argument("--time", action="store_true", help="extract's CPU per page against the limit's")
    what.add_argument("--time-rounds", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--baseline-src", type=Path, help="with --time: also time this `src` folder")
    ap.add_argument("--rounds", type=int, default=5, help="with --time: rounds per process (fastest kept)")
    ap.add_argument("--repeats", type=int, default=3, help="with --time: processes per side (median)")
    args = ap.parse_args()
    if args.time_rounds:
        _time_rounds(args.time_rounds)
        return
    if args.time:
        time_sides(args.baseline_src, args.rounds, args.repeats)
        return
    now = records(pages(corpora()))
    if args.save:
        with gzip.open(args.save, "wt", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in now)
        print(f"{len(now)} records written to {args.save}")
        return
    sys.exit(check(args.check, now))


if __name__ == "__main__":
    main()
