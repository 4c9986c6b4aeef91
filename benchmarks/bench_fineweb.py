"""Issue 4: the FineWeb pipeline, fruitstand's default recipe against datatrove's, with 2 workers.

    .venv/bin/python benchmarks/bench_fineweb.py                 # the small WARC set, median of 3
    .venv/bin/python benchmarks/bench_fineweb.py --scales 1,4 --repeats 1   # + steady-state rate

Sides, on the same prepared WARCs (_harness.scaled_warcs), alternated, Parquet out:
  fruitstand             `fruitstand run` with the built-in default recipe's FineWeb steps (extract
                         with resiliparse, url_filter, langid, Gopher repetition + quality, C4,
                         FineWeb filters; its exact/MinHash dedup steps left out, as datatrove's
                         FineWeb filtering has none)
  datatrove              datatrove's FineWeb pipeline as its examples/fineweb.py builds it:
                         WarcReader -> URLFilter -> Trafilatura(favour_precision=True) ->
                         GopherRepetition -> GopherQuality -> C4Quality(filter_no_terminal_punct=False)
                         -> FineWebQuality -> ParquetWriter. Its LanguageFilter is left out: it
                         downloads its fastText model at run time and cannot run offline, so
                         fruitstand's langid time counts against fruitstand only.
  datatrove+resiliparse  the same with resiliparse in datatrove's extractor sandbox, to separate
                         the extractor's share of the gap from the filters' and the executor's
Throughput is HTML records in the input per wall-clock second of the whole command.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

import _harness as h
from bench_extract import BASES

WORKERS = 2
FINEWEB_KINDS = ["extract", "url_filter", "langid", "gopher_repetition", "gopher_quality", "c4_quality",
                 "fineweb_quality"]
DEFAULT_RECIPE = h.REPO / "src" / "fruitstand" / "recipes" / "default.toml"


def run_datatrove(folder: str, output: str, extractor: str, workers: int) -> None:
    """datatrove's FineWeb pipeline minus its language filter (datatrove venv)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        URLFilter,
    )
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    step = Trafilatura(favour_precision=True) if extractor == "trafilatura" else h.datatrove_resiliparse()
    pipeline = [
        WarcReader(folder, glob_pattern="*.warc.gz"),
        URLFilter(),
        step,
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(filter_no_terminal_punct=False),
        FineWebQualityFilter(),
        ParquetWriter(output),
    ]
    tasks = len(list(Path(folder).glob("*.warc.gz")))
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=output + "-logs").run()


def fruitstand_recipe() -> tuple[Path, list[str]]:
    """The built-in default recipe's FineWeb steps, with their parameters, in its order.

    Its dedup steps are left out: datatrove's FineWeb filtering pipeline has none (its MinHash is a
    separate run, see bench_minhash.py), and on copies of one input they would drop the copies.
    """
    steps = [s for s in tomllib.loads(DEFAULT_RECIPE.read_text()).get("step", []) if s.get("kind") in FINEWEB_KINDS]
    recipe = h.SCRATCH / "fineweb.toml"
    body = "".join("\n[[step]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in s.items()) for s in steps)
    recipe.write_text('name = "fineweb-bench"\n' + body)
    return recipe, [s["kind"] for s in steps]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", choices=sorted(BASES), default="small")
    ap.add_argument("--scales", default="1", help="copies of the base set, comma-separated (two give a steady state)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sides", default="fruitstand,datatrove,datatrove+resiliparse")
    args = ap.parse_args()
    which = h.ready_sides(args.sides.split(","))
    recipe, kinds = fruitstand_recipe()
    if "fruitstand" in which:
        missing = [k for k in FINEWEB_KINDS if k not in kinds]
        print(f"fruitstand recipe {recipe.name}: {', '.join(kinds)}"
              + (f" (missing: {', '.join(missing)})" if missing else ""))
    out = h.SCRATCH / "fineweb-out"
    me = Path(__file__).resolve()

    side = h.measured_side

    rows, ratios, per_scale = [], [], {}
    for scale in (int(s) for s in args.scales.split(",")):
        folder, files, n_html = h.scaled_warcs(BASES[args.base], scale, tag=args.base)
        print(f"{args.base} x{scale}: {len(files)} files, {n_html} HTML records", flush=True)
        sides = {
            "fruitstand": side(h.fruitstand_cmd(recipe, files, out / "fs", WORKERS), out / "fs"),
            "datatrove": side([h.DATATROVE_PY, me, "--run-datatrove", folder, out / "dt", "trafilatura"],
                              out / "dt"),
            "datatrove+resiliparse": side(
                [h.DATATROVE_PY, me, "--run-datatrove", folder, out / "dtr", "resiliparse"], out / "dtr"),
        }
        runs = h.alternate({k: v for k, v in sides.items() if k in which}, args.repeats, label=f"x{scale}")
        med = {k: h.median_run(v) for k, v in runs.items()}
        per_scale[scale] = (n_html, med)
        rows += [h.scaled_row(scale, name, n_html, m) for name, m in med.items()]
        for ref in ("datatrove", "datatrove+resiliparse"):
            if "fruitstand" in med and ref in med:
                ratios.append(h.ratio_line(f"x{scale}: fruitstand / {ref}", med["fruitstand"], med[ref]))
    print(f"\nmedians of {args.repeats} alternated runs, {WORKERS} workers")
    print(h.table(h.SCALED_HEADER, rows))
    print("\n".join(ratios))
    print(h.marginal(per_scale, "fruitstand", ["datatrove", "datatrove+resiliparse"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run-datatrove":
        run_datatrove(sys.argv[2], sys.argv[3], sys.argv[4], WORKERS)
    else:
        main()
