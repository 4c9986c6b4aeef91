"""Issue 21: the FineWeb recipe's CPU cost against extraction alone, the physical limit.

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/bench_recipe_speed.py

Sides, on the same prepared WARCs (_harness.scaled_warcs) at two scales (x1 and x4 of the base
set: by default "mixed", every real WARC of shared/data/warc but trafilatura-pages, 292 HTML
pages in 11 crawls, the largest set that keeps one run near five minutes with datatrove in it;
`--base all` adds trafilatura-pages' 516, ~12 minutes), alternated, each run as its own
command (interpreter start and imports counted):
  limit (1 process)   fastwarc + resiliparse main-content extraction as shipped, nothing written
                      (bench_extract.run_limit)
  extract             `fruitstand run` with the `extract` step alone
  fineweb             the default recipe's FineWeb steps with their parameters: extract,
                      url_filter, langid, Gopher repetition + quality, C4, FineWeb, exact and
                      MinHash dedup
  fineweb-pure        the same with FRUITSTAND_PURE_PYTHON=1: the C extensions' Python twins alone, as
                      an install without a compiler runs (with --sides only)
  default             the whole built-in default recipe
  datatrove           datatrove's FineWeb pipeline as bench_fineweb.py builds it (Trafilatura,
                      no language filter: it cannot run offline), at the smaller scale only, once
                      (its start-up alone is ~20 CPU-seconds)
  datatrove+resiliparse  the same with resiliparse as its extractor (with --sides only)
fruitstand and datatrove run with one worker, so every side's CPU seconds are one process's
work plus its start-up. The scaled copies repeat the same pages, so at the larger scale the
dedup steps drop the copies; every filter still sees every page.

Before timing, one untimed run fills the per-user cache (fruitstand.cache: the URL blocklist's
table, py3langid's model, jieba's dictionary), as any machine has after its first run.

The ratios come last: each side's docs per CPU-second as a share of the limit's, at each scale
(start-up included) and in the steady state (added docs / added CPU seconds between the scales,
which cancels the fixed start-up cost; also as CPU milliseconds per added page), and each side's
fixed start-up (CPU seconds at x1 less x1's documents at the steady-state rate). At real crawl
sizes the start-up amortises, so the marginal rate is the one a large run approaches. The x4 copies repeat the x1 pages, so per-process
memos (the tokenizer's) are warmer there than on a crawl of new pages. Issue 21's goal:
fineweb at 50% or more of the limit. Results: benchmarks/RESULTS.md and
benchmarks/results/recipe-speed.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

import _harness as h
from bench_extract import BASES
from bench_fineweb import DEFAULT_RECIPE

HERE = Path(__file__).resolve().parent
RECIPE_BASES = {"mixed": [*BASES["small"], "aut-example.warc.gz"], **BASES}
FINEWEB_KINDS = ["extract", "url_filter", "langid", "gopher_repetition", "gopher_quality", "c4_quality",
                 "fineweb_quality", "exact_dedup", "minhash_dedup"]
ALL_SIDES = ["limit (1 process)", "extract", "fineweb", "fineweb-pure", "default", "datatrove", "datatrove+resiliparse"]
DEFAULT_SIDES = [s for s in ALL_SIDES if s not in ("datatrove+resiliparse", "fineweb-pure")]


def _recipe(name: str, kinds: list[str] | None) -> Path:
    """The default recipe's steps of `kinds` (all when None), with their parameters, in its order."""
    steps = [s for s in tomllib.loads(DEFAULT_RECIPE.read_text()).get("step", []) if kinds is None or s.get("kind") in kinds]
    body = "".join("\n[[step]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in s.items()) for s in steps)
    path = h.SCRATCH / f"speed-{name}.toml"
    path.write_text(f'name = "speed-{name}"\n' + body)
    return path


def _sides(folder: Path, files: list[Path], which: list[str], baseline: Path | None = None) -> dict:
    out = h.SCRATCH / "speed-out"
    recipes = {"extract": _recipe("extract", ["extract"]), "fineweb": _recipe("fineweb", FINEWEB_KINDS),
               "default": DEFAULT_RECIPE}

    side = h.measured_side

    sides = {"limit (1 process)": side([h.FRUITSTAND_PY, HERE / "bench_extract.py", "--run-limit", folder], None)}
    for name, recipe in recipes.items():
        sides[name] = side(h.fruitstand_cmd(recipe, files, out / name, 1), out / name)
    if baseline is not None:  # the same FineWeb recipe on other sources (before/after a change), alternated
        sides["fineweb@baseline"] = side(h.fruitstand_cmd(recipes["fineweb"], files, out / "baseline", 1),
                                         out / "baseline", env={"PYTHONPATH": str(baseline)})
    # The same FineWeb recipe with the C extensions' Python twins alone: what an install without a
    # compiler gets (the same output; tests/filters/test_recipe_fingerprint.py).
    sides["fineweb-pure"] = side(h.fruitstand_cmd(recipes["fineweb"], files, out / "pure", 1), out / "pure",
                                 env={"FRUITSTAND_PURE_PYTHON": "1"})
    for name, extractor in (("datatrove", "trafilatura"), ("datatrove+resiliparse", "resiliparse")):
        dest = out / name.replace("+", "-")
        sides[name] = side([h.DATATROVE_PY, Path(__file__).resolve(), "--run-datatrove", folder, dest, extractor], dest)
    return {k: v for k, v in sides.items() if k in which or k == "fineweb@baseline"}


def _warm_caches(files: list[Path]) -> None:
    """One untimed FineWeb run: builds what the per-user cache keeps for every later process."""
    out = h.SCRATCH / "speed-out" / "warm-up"
    run = h.measure(h.fruitstand_cmd(_recipe("fineweb", FINEWEB_KINDS), files, out, 1))
    if run.rc != 0:
        sys.exit(f"the warm-up run failed (exit {run.rc}):\n{run.tail}")
    print(f"  warm-up (caches filled, not timed): CPU {run.cpu_s:.1f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", choices=sorted(RECIPE_BASES), default="mixed")
    ap.add_argument("--scales", default="1,4", help="copies of the base set, two comma-separated")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sides", default=",".join(DEFAULT_SIDES), help="any of: " + ", ".join(s.split(" ", 1)[0] for s in ALL_SIDES))
    ap.add_argument("--datatrove-scales", default="1", help="scales at which the datatrove sides run")
    ap.add_argument("--datatrove-repeats", type=int, default=1,
                    help="datatrove's runs per scale (~25 CPU-s each even at x1: start-up dominates)")
    ap.add_argument("--baseline-src", type=Path,
                    help="also run the FineWeb recipe with this `src` folder first on PYTHONPATH (e.g. a "
                         "`git archive` of the commit before a change), alternated with the others")
    args = ap.parse_args()
    if args.baseline_src is not None:
        h.compile_sources(args.baseline_src)
    names = {s.split(" ", 1)[0]: s for s in ALL_SIDES}  # "limit" names "limit (1 process)"
    unknown = [s for s in args.sides.split(",") if s not in names and s not in ALL_SIDES]
    if unknown:
        ap.error(f"unknown side(s) {', '.join(unknown)}: use any of {', '.join(names)}")
    sides = h.ready_sides([names.get(s, s) for s in args.sides.split(",")])
    if not h.DATATROVE_PY.exists():
        print("no .venv-datatrove (benchmarks/setup_datatrove.sh): skipping the datatrove sides")
        sides = [s for s in sides if not s.startswith("datatrove")]

    rows, per_scale = [], {}
    for scale in (int(s) for s in args.scales.split(",")):
        folder, files, n_html = h.scaled_warcs(RECIPE_BASES[args.base], scale, tag=args.base)
        if not per_scale:
            _warm_caches(files)
        print(f"{args.base} x{scale}: {len(files)} files, {n_html} HTML records", flush=True)
        ours = _sides(folder, files, [s for s in sides if not s.startswith("datatrove")], args.baseline_src)
        runs = h.alternate(ours, args.repeats, label=f"x{scale}")
        theirs = _sides(folder, files, [s for s in sides if s.startswith("datatrove")])
        if theirs and str(scale) in args.datatrove_scales.split(","):
            runs.update(h.alternate(theirs, args.datatrove_repeats, label=f"x{scale}"))
        med = {k: h.median_run(v) for k, v in runs.items()}
        per_scale[scale] = (n_html, med)
        rows += [h.scaled_row(scale, name, n_html, m) for name, m in med.items()]

    print(f"\nmedians of {args.repeats} alternated runs (datatrove: {args.datatrove_repeats}), 1 process/worker each")
    print(h.table(h.SCALED_HEADER, rows))
    print("\ndocs per CPU-second as a share of the extraction limit's (issue 21 floor for fineweb: 50%)")
    ref = "limit (1 process)"
    for scale, (_n, med) in per_scale.items():
        if ref in med:
            print(f"x{scale}: " + ", ".join(f"{k} {100 * med[ref].cpu_s / m.cpu_s:.0f}%" for k, m in med.items() if k != ref))
    if len(per_scale) >= 2:
        lo, hi = min(per_scale), max(per_scale)
        dn = per_scale[hi][0] - per_scale[lo][0]
        added = {k: per_scale[hi][1][k].cpu_s - per_scale[lo][1][k].cpu_s
                 for k in per_scale[hi][1] if k in per_scale[lo][1]}
        print(f"steady state x{lo} -> x{hi} (added docs / added CPU-s): "
              + ", ".join(f"{k} {dn / v:.0f} docs/CPU-s" for k, v in added.items() if v > 0))
        n_lo = per_scale[lo][0]
        print(f"fixed start-up (CPU-s at x{lo} less its docs at the steady rate): "
              + ", ".join(f"{k} {per_scale[lo][1][k].cpu_s - n_lo * v / dn:.1f} s" for k, v in added.items() if v > 0))
        print(f"marginal CPU per added page (x{lo} -> x{hi}): "
              + ", ".join(f"{k} {1000 * v / dn:.1f} ms" for k, v in added.items() if v > 0))
        if ref in added and added[ref] > 0:
            print("steady state (marginal rate), share of the limit's rate: "
                  + ", ".join(f"{k} {100 * added[ref] / v:.0f}%" for k, v in added.items() if k != ref and v > 0))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run-datatrove":
        from bench_fineweb import run_datatrove

        run_datatrove(sys.argv[2], sys.argv[3], sys.argv[4], 1)
    else:
        main()
