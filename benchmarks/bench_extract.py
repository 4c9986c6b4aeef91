"""Issue 3: WARC -> extract -> Parquet, fruitstand against datatrove, with 2 workers.

    .venv/bin/python benchmarks/bench_extract.py                 # 1x and 10x, median of 3
    .venv/bin/python benchmarks/bench_extract.py --base all --scales 1 --repeats 1
    .venv/bin/python benchmarks/bench_extract.py --layout concat --sides fruitstand --repeats 1

Sides, all on the same prepared WARCs (see _harness.scaled_warcs), alternated, 2 workers each:
  fruitstand             `fruitstand run` with one `extract` step (its default: resiliparse narrowed
                         to the article container), Parquet out
  fruitstand-plain       the same with `find_container = false`: resiliparse's main-content pass
                         alone, the same extraction work as datatrove+resiliparse
  datatrove+resiliparse  WarcReader -> a BaseExtractor calling resiliparse (_harness, since
                         datatrove 0.10 ships no resiliparse extractor) -> ParquetWriter
  datatrove+trafilatura  WarcReader -> Trafilatura(favour_precision=True) -> ParquetWriter,
                         datatrove's own extractor (trafilatura 1.11, which datatrove pins)
  limit                  fastwarc + resiliparse in one process, nothing written: the first step
                         alone, the most any executor could reach per core
Throughput is HTML records in the input per wall-clock second of the whole command (start-up
included), so every side is divided by the same count; documents written are shown beside it.
This file is also the datatrove-side runner: the harness calls it with the datatrove venv.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import _harness as h

# Test crawls from shared/data/warc. "small" keeps the default run within ~5 minutes (datatrove's
# trafilatura side sets the pace); "all" adds the 140 Archive-It pages and 516 trafilatura pages.
BASES = {
    "small": [
        "articles-61.warc.gz", "sample-0000.warc.gz", "sample-0001.warc.gz", "science-0.warc.gz",
        "science-1.warc.gz", "resiliparse-warcfile.warc.gz", "pywb-iana.warc.gz", "whirlwind.warc.gz",
        "ukwa-IAH-20080430204825-00000-blackbook-truncated.warc.gz", "ukwa-IAH-urls-wget.warc.gz",
    ],
}
BASES["all"] = BASES["small"] + ["aut-example.warc.gz", "trafilatura-pages.warc.gz"]
WORKERS = 2


# --- runners, each executed in a subprocess ---------------------------------------------------------


def run_datatrove(folder: str, output: str, extractor: str, workers: int) -> None:
    """datatrove's WarcReader -> extractor -> ParquetWriter (datatrove venv)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    step = Trafilatura(favour_precision=True) if extractor == "trafilatura" else h.datatrove_resiliparse()
    tasks = len(list(Path(folder).glob("*.warc.gz")))
    LocalPipelineExecutor(
        pipeline=[WarcReader(folder, glob_pattern="*.warc.gz"), step, ParquetWriter(output)],
        tasks=tasks, workers=workers, logging_dir=output + "-logs",
    ).run()


def run_limit(folder: str) -> None:
    """fastwarc parsing + resiliparse extraction, one process, no writing (main venv)."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree

    n = 0
    for path in sorted(Path(folder).glob("*.warc.gz")):
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=True):
                if (rec.http_content_type or "").lower() not in ("text/html", "application/xhtml+xml"):
                    continue
                body = rec.reader.read()
                text = extract_plain_text(HTMLTree.parse(bytes_to_str(body, detect_encoding(body))),
                                          main_content=True)
                n += bool(text.strip())
    print(json.dumps({"docs_out": n}))


# --- orchestration (main venv) -------------------------------------------------------------------------


def _sides(folder: Path, files: list[Path], which: list[str]) -> dict:
    out = h.SCRATCH / "extract-out"
    recipe = h.SCRATCH / "extract.toml"
    recipe.write_text('[[step]]\nkind = "extract"\n')
    # The same extraction work as datatrove+resiliparse's side: resiliparse's main-content pass
    # alone, without the container step that buys fruitstand's default its F1.
    plain = h.SCRATCH / "extract-plain.toml"
    plain.write_text('[[step]]\nkind = "extract"\nfind_container = false\n')
    me = Path(__file__).resolve()

    def side(name, cmd, dest):
        return name, h.measured_side(cmd, dest)

    all_sides = dict([
        side("fruitstand", h.fruitstand_cmd(recipe, files, out / "fs", WORKERS), out / "fs"),
        side("fruitstand-plain", h.fruitstand_cmd(plain, files, out / "fsp", WORKERS), out / "fsp"),
        side("datatrove+resiliparse",
             [h.DATATROVE_PY, me, "--run-datatrove", folder, out / "dtr", "resiliparse"], out / "dtr"),
        side("datatrove+trafilatura",
             [h.DATATROVE_PY, me, "--run-datatrove", folder, out / "dtt", "trafilatura"], out / "dtt"),
        side("limit (1 process)", [h.FRUITSTAND_PY, me, "--run-limit", folder], None),
    ])
    return {k: v for k, v in all_sides.items() if k in which}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", choices=sorted(BASES), default="small")
    ap.add_argument("--scales", default="1,10", help="copies of the base set, comma-separated")
    ap.add_argument("--layout", choices=["halves", "concat", "files"], default="halves",
                    help="see _harness.scaled_warcs")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sides", default="fruitstand,fruitstand-plain,datatrove+resiliparse,"
                                       "datatrove+trafilatura,limit (1 process)")
    ap.add_argument("--trafilatura-scales", default="1",
                    help="scales at which datatrove+trafilatura runs (it takes ~4 min a run at x10)")
    args = ap.parse_args()
    sides = h.ready_sides(args.sides.split(","))

    rows, ratios, per_scale = [], [], {}
    for scale in (int(s) for s in args.scales.split(",")):
        which = [s for s in sides if s != "datatrove+trafilatura" or str(scale) in args.trafilatura_scales.split(",")]
        folder, files, n_html = h.scaled_warcs(BASES[args.base], scale, tag=args.base, layout=args.layout)
        print(f"{args.base} x{scale} ({args.layout}): {len(files)} files, {n_html} HTML records", flush=True)
        runs = h.alternate(_sides(folder, files, which), args.repeats, label=f"x{scale}")
        med = {k: h.median_run(v) for k, v in runs.items()}
        per_scale[scale] = (n_html, med)
        rows += [h.scaled_row(scale, name, n_html, m) for name, m in med.items()]
        for fs, ref in (("fruitstand", "datatrove+resiliparse"), ("fruitstand", "datatrove+trafilatura"),
                        ("fruitstand", "limit (1 process)"), ("fruitstand-plain", "datatrove+resiliparse"),
                        ("fruitstand-plain", "limit (1 process)")):
            if fs in med and ref in med:
                ratios.append(h.ratio_line(f"x{scale}: {fs} / {ref}", med[fs], med[ref]))
    print(f"\nmedians of {args.repeats} alternated runs, {WORKERS} workers (limit: 1 process)")
    print(h.table(h.SCALED_HEADER, rows))
    print("\n".join(ratios))
    print(h.marginal(per_scale, "fruitstand", ["datatrove+resiliparse", "datatrove+trafilatura"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run-datatrove":
        run_datatrove(sys.argv[2], sys.argv[3], sys.argv[4], WORKERS)
    elif len(sys.argv) > 1 and sys.argv[1] == "--run-limit":
        run_limit(sys.argv[2])
    else:
        main()
