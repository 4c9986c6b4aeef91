"""The `fruitstand` command: a thin layer over the library, one subcommand per verb."""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import resources
from pathlib import Path

from fruitstand.execute.outcome import NoDocumentsError
from fruitstand.execute.state import USER_ERRNOS, explain_os_error
from fruitstand.registry import RecipeError

DEFAULT_OUTPUT = "fruitstand-out"


def _sample_input() -> str:
    return str(resources.files("fruitstand.data").joinpath("sample.warc.gz"))


def cmd_run(args: argparse.Namespace) -> int:
    from fruitstand.execute.local import run

    inputs = args.input or [_sample_input()]
    output = args.output or DEFAULT_OUTPUT
    if not args.input:
        print(f"no --input given: running on the bundled sample ({Path(inputs[0]).name}, 61 real news pages)",
              file=sys.stderr)
    progress = False if args.quiet else 1.0 if args.verbose else True
    manifest = run(args.recipe, inputs=inputs, output=output, workers=args.workers, format=args.format,
                   overwrite=args.overwrite, shard_size_mb=args.shard_size, progress=progress,
                   executor=args.executor, address=args.address, limit=args.limit, doc_timeout=args.doc_timeout,
                   text_field=args.text_field, id_field=args.id_field, staging=args.staging,
                   nodes_share=args.nodes_share)
    out = manifest["output"]
    if not args.quiet:
        _print_funnel(manifest, Path(output), verbose=args.verbose)
    where = output.rstrip("/") if "://" in output else str(Path(output).resolve())
    print(f"{out['documents']:,} documents in {len(out['files'])} {out['format']} shard(s): {where}/data")
    print(f"manifest: {where}/manifest.json")
    if "://" not in output and (Path(output) / "report.html").exists():
        print(f"report: {where}/report.html (dataset card: README.md)")
    return 0


def _print_funnel(manifest: dict, output: Path, *, verbose: bool = False) -> None:
    """Documents left after each step, the main reasons for what was dropped, CPU time, on stderr.

    `verbose`: every reason, drops per language, and each step's effective parameters.
    """
    read = manifest["read"]
    print(f"  read      {read['documents']:>10,}  ({read['records']:,} records)", file=sys.stderr)
    for step in manifest["steps"]:
        top = sorted(step["dropped"].items(), key=lambda kv: -kv[1])
        why = ", ".join(f"{k} {v:,}" for k, v in (top if verbose else top[:3]))
        cpu = f"  {step.get('cpu_s', 0):7.1f} s CPU" if verbose else ""
        print(f"  {step['kind']:<18}{step['out']:>10,}{cpu}" + (f"  dropped: {why}" if why else ""), file=sys.stderr)
        if verbose and step.get("dropped_by_language"):
            langs = sorted(step["dropped_by_language"].items(), key=lambda kv: -kv[1])
            print("      by language: " + ", ".join(f"{k} {v:,}" for k, v in langs[:12]), file=sys.stderr)
        if verbose and step.get("params"):
            print("      " + json.dumps(step["params"], default=str), file=sys.stderr)
    errors = [s for s in manifest["steps"] if s.get("tracebacks")]
    if errors:
        n = sum(v for s in errors for k, v in s["dropped"].items() if k.startswith("error:"))
        where = ", ".join(str(output / s["tracebacks"]) for s in errors)
        print(f"  {n:,} documents dropped because a step raised: first tracebacks in {where}", file=sys.stderr)


def cmd_steps(args: argparse.Namespace) -> int:
    from fruitstand.registry import kinds, parameters, step_class

    for kind in kinds():
        try:
            cls = step_class(kind)
            params = parameters(kind)
        except ImportError as exc:  # a step whose optional dependency is missing
            print(f"{kind}  (unavailable: {exc})")
            continue
        doc = (cls.__doc__ or "").strip().splitlines()
        summary = (sys.modules[cls.__module__].__doc__ or "").strip().splitlines()
        print(f"{kind}  {(doc[0] if doc and not doc[0].startswith(cls.__name__ + '(') else summary[0] if summary else '')}")
        for name, default, typ in params:
            print(f"    {name} = {json.dumps(default, default=str)}  ({typ})")
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    from fruitstand.io.readers import read
    from fruitstand.step import StepStats

    stats, n = StepStats(), 0
    for doc in read(args.path, text_field=args.text_field, id_field=args.id_field, stats=stats):
        if args.limit is not None and n >= args.limit:
            break
        n += 1
        rec = {"id": doc.id, **doc.metadata, "text": doc.text if doc.html is None else None,
               "html_bytes": len(doc.html) if doc.html is not None else None}
        print(json.dumps(rec, ensure_ascii=False, default=str))
    if stats.dropped or not n:  # what was passed over, so that a file that gives nothing says why
        skipped = ", ".join(f"{reason} {count:,}" for reason, count in stats.dropped.most_common())
        print(f"{n:,} document(s) read{'; skipped: ' + skipped if skipped else ''}"
              f"{' (stopped at --limit)' if args.limit is not None and n >= args.limit else ''}", file=sys.stderr)
    return 0


def cmd_tokenize(args: argparse.Namespace) -> int:
    from fruitstand.tokens.run import tokenize

    meta = tokenize(args.dir, tokenizer=args.tokenizer, train_tokenizer=args.train_tokenizer, bos=args.bos,
                    shuffle=args.shuffle, workers=args.workers, overwrite=args.overwrite, progress=not args.quiet)
    print(f"{meta['tokens']:,} tokens ({meta['dtype']}) of {meta['documents']:,} documents in "
          f"{len(meta['shards'])} shard(s): {Path(args.dir).resolve() / 'tokens'}")
    return 0


def cmd_taste(args: argparse.Namespace) -> int:
    from fruitstand.taste.run import DEFAULT_TOKENS, calibrate, taste

    common = {"evals": args.eval, "output": args.output, "tokens": args.tokens or DEFAULT_TOKENS,
              "seeds": args.seeds, "first_seed": args.first_seed, "model": args.model, "device": args.device, "threads": args.threads}
    if args.calibrate or args.junk:
        if not (args.calibrate and args.junk) or args.corpora:
            raise RecipeError("calibration takes --calibrate A --junk B and no other corpora")
        calibrate(args.calibrate, args.junk, **common)
        return 0
    result = taste(args.corpora, **common)
    print(f"winner: {result['winner']}; taste.json, taste.svg: {Path(args.output).resolve()}")
    return 0


def _field_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text-field", metavar="NAME", help="JSONL/Parquet field holding the text (default: text)")
    p.add_argument("--id-field", metavar="NAME", help="JSONL/Parquet field holding the id (default: id)")


def cmd_train_classifier(args: argparse.Namespace) -> int:
    from fruitstand.classify.train import train_classifier

    manifest = train_classifier(args.positive, args.negative, args.output, holdout=args.holdout,
                                max_docs=args.max_docs, bits=args.bits, epochs=args.epochs, seed=args.seed,
                                overwrite=args.overwrite)
    docs, m = manifest["documents"], manifest["metrics"]
    print(f"trained on {docs['train']:,} documents ({docs['positive']:,} positive, {docs['negative']:,} negative)")
    if m:
        print(f"held out {m['held_out_documents']:,}: AUC {m['auc']:.4f}, precision {m['precision']:.4f}, "
              f"recall {m['recall']:.4f} at score >= {m['threshold']}")
    print(f"model: {Path(args.output).resolve()} ({Path(args.output).stat().st_size:,} bytes)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from fruitstand.report import report

    path = report(args.dir, card=not args.no_card)
    print(f"report: {path.resolve()}")
    if not args.no_card:
        print(f"dataset card: {(path.parent / 'README.md').resolve()}")
    return 0


_FORMAT = argparse.RawDescriptionHelpFormatter


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fruitstand",
        description="Build clean, deduplicated, language-tagged LLM training data from raw public text.",
        epilog="examples:\n"
               "  fruitstand run --input crawl/*.warc.gz --output out/     the default (FineWeb) recipe\n"
               "  fruitstand report out/                                   redraw out/report.html and out/README.md\n"
               "  fruitstand steps                                         every step kind and its parameters\n"
               "`fruitstand SUBCOMMAND --help` lists each option with its default and an example.",
        formatter_class=_FORMAT,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    p = sub.add_parser("run", help="run a recipe over inputs",
                       description="Run a recipe (default: the built-in FineWeb recipe) and write shards and a manifest.",
                       epilog="example: fruitstand run my.toml --input crawl/*.warc.gz --output out/ --workers 4",
                       formatter_class=_FORMAT)
    p.add_argument("recipe", nargs="?", help="recipe TOML file (default: the built-in recipe)")
    p.add_argument("--input", "-i", nargs="+", metavar="PATH",
                   help="input files, folders, URLs (https://, s3://, gs://, hf://) or lists of them such as "
                        "Common Crawl's warc.paths.gz (default: bundled sample)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="take only the first N files of a list such as warc.paths.gz, a trial run (default: all)")
    p.add_argument("--output", "-o", metavar="DIR", help=f"output folder (default: ./{DEFAULT_OUTPUT})")
    p.add_argument("--workers", "-w", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--format", choices=("parquet", "jsonl"), default="parquet", help="shard format (default: parquet)")
    p.add_argument("--shard-size", type=float, default=256, metavar="MB", help="text per shard in MB (default: 256)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier run in DIR (default: off)")
    p.add_argument("--staging", metavar="DIR", default=None,
                   help="with an s3:// or gs:// --output: the local folder the run works in before it is "
                        "published; with --nodes-share storage, only the driver's records (done tasks, manifest) "
                        "(default: one under ~/.cache/fruitstand/staging/)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="where tasks run: this machine's processes, or a Ray cluster (default: local)")
    p.add_argument("--address", metavar="ADDR", default=None,
                   help="the Ray cluster to join, e.g. 10.0.0.1:6379 (default: start a Ray on this machine)")
    p.add_argument("--nodes-share", choices=("filesystem", "storage"), default="filesystem",
                   help="with --executor ray on several machines, what they share: a filesystem holding --output "
                        "(or --staging), checked before the first task; or only the s3:// or gs:// --output: "
                        "each task fetches what it reads from there and uploads what it wrote, in a folder of "
                        "its own node ($FRUITSTAND_NODE_STAGING, default under /tmp), and every node needs the "
                        "storage's credentials in its own environment (default: filesystem)")
    p.add_argument("--doc-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="seconds one document may take; a slower one is skipped and counted as doc_timeout, "
                        "0 turns the limit off (default: 60)")
    talk = p.add_mutually_exclusive_group()
    talk.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary: errors only (default: off)")
    talk.add_argument("--verbose", "-v", action="store_true",
                      help="progress every second, and a summary with every drop reason, drops per language, "
                           "CPU seconds and parameters of each step (default: off)")
    _field_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("steps", help="list every step kind with its parameters and defaults",
                       description="List every step kind with its parameters and defaults.",
                       epilog="example: fruitstand steps", formatter_class=_FORMAT)
    p.set_defaults(func=cmd_steps)

    p = sub.add_parser("read", help="print the documents of an input as JSON lines",
                       description="Print the documents an input holds, one JSON object per line.",
                       epilog="example: fruitstand read crawl.warc.gz --limit 3", formatter_class=_FORMAT)
    p.add_argument("path", help="an input file or folder (WARC, ARC, JSONL, Parquet, folder of .txt)")
    p.add_argument("--limit", "-n", type=int, default=None, metavar="N",
                   help="stop after N documents (default: all)")
    _field_options(p)
    p.set_defaults(func=cmd_read)

    p = sub.add_parser("tokenize", help="write token shards of an output folder for training",
                       description="Tokenize an output folder's documents into DIR/tokens/: tokenizer.json, "
                                   "raw uint16/uint32 shards (*.bin), per-document start offsets (*.idx), meta.json.",
                       epilog="example: fruitstand tokenize out/ --train-tokenizer 32768 --shuffle 0",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", metavar="DIR", help="a fruitstand output folder (holding data/)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--tokenizer", metavar="PATH", help="use this local tokenizer.json (default: train one)")
    which.add_argument("--train-tokenizer", type=int, metavar="VOCAB", default=None,
                       help="train a byte-level BPE of VOCAB tokens on the corpus (default: 32768)")
    p.add_argument("--bos", action="store_true", help="lead every document with a BOS token (default: EOS only)")
    p.add_argument("--shuffle", type=int, metavar="SEED", default=None,
                   help="shuffle the documents with this seed (default: keep their order)")
    p.add_argument("--workers", "-w", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--overwrite", action="store_true", help="replace DIR/tokens made with other settings (default: off)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar (default: off)")
    p.set_defaults(func=cmd_tokenize)

    p = sub.add_parser("taste", help="train the same small model on each corpus and say which is better",
                       description="Train identical small transformers on the same number of tokens of each corpus "
                                   "(same seeds, one shared tokenizer) and score them on every eval set: bits per "
                                   "byte on held-out text, accuracy and normalised probability on multiple choice. "
                                   "The winner beats the others on the first eval set by more than the seeds' spread.",
                       epilog="example: fruitstand taste curated/ raw.jsonl --eval heldout.txt arc_easy.jsonl "
                              "--output taste-out/\nexample: fruitstand taste --calibrate curated/ --junk raw.jsonl "
                              "--eval heldout.txt --output taste-out/",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpora", nargs="*", metavar="CORPUS",
                   help="fruitstand output folders, or Parquet/JSONL files with `text` (two or more)")
    p.add_argument("--eval", nargs="+", metavar="PATH", required=True,
                   help="held-out .txt / JSONL `text`, or multiple-choice JSONL; the first decides the winner")
    p.add_argument("--output", "-o", metavar="DIR", required=True, help="where taste.json and taste.svg go")
    p.add_argument("--tokens", type=int, default=None, metavar="N", help="training tokens per model (default: 200000)")
    p.add_argument("--seeds", type=int, default=2, metavar="K", help="seeds per corpus (default: 2)")
    p.add_argument("--first-seed", type=int, default=0, metavar="S", help="seeds are S .. S+K-1 (default: 0)")
    p.add_argument("--model", choices=("tiny", "small"), default="tiny",
                   help="tiny: ~1M parameters; small: ~7M (default: tiny)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto uses a CUDA GPU when there is one, with bf16 autocast (default: auto)")
    p.add_argument("--threads", type=int, default=None, metavar="N", help="CPU threads for PyTorch (default: its own)")
    p.add_argument("--calibrate", metavar="A", help="calibrate: train on A diluted with 0, 25, 50, 100%% of --junk (default: none, compare corpora)")
    p.add_argument("--junk", metavar="B", help="the corpus --calibrate dilutes A with (default: none)")
    p.set_defaults(func=cmd_taste)

    p = sub.add_parser("report", help="write report.html and the dataset card README.md of an output folder",
                       description="Draw DIR/report.html (funnel, drop reasons, CPU time, distributions, mix, sampled "
                                   "documents, dedup clusters, provenance) and the Hugging Face dataset card "
                                   "DIR/README.md from DIR's manifest and run statistics. `fruitstand run` writes "
                                   "both at its end; run this to redraw them (after `fruitstand tokenize`, say).",
                       epilog="example: fruitstand report out/", formatter_class=_FORMAT)
    p.add_argument("dir", metavar="DIR", help="the --output folder of a finished run")
    p.add_argument("--no-card", action="store_true", help="write report.html only, not README.md (default: off)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("train-classifier", help="train a quality classifier on good and bad documents",
                       description="Train a hashed n-gram quality classifier (word, word-bigram and byte n-gram "
                                   "features, every script) for the quality_classifier step.",
                       epilog="example: fruitstand train-classifier --positive wiki.jsonl --negative crawl.warc.gz "
                              "--output quality.npz",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--positive", nargs="+", required=True, metavar="PATH", help="inputs of good text (any fruitstand input)")
    p.add_argument("--negative", nargs="+", required=True, metavar="PATH", help="inputs of bad text (any fruitstand input)")
    p.add_argument("--output", "-o", required=True, metavar="MODEL", help="model file to write (.npz)")
    p.add_argument("--holdout", type=float, default=0.1, help="share of documents held out for the printed scores")
    p.add_argument("--max-docs", type=int, default=None, help="at most this many documents of each class")
    p.add_argument("--bits", type=int, default=20, help="2**BITS hashed feature buckets")
    p.add_argument("--epochs", type=int, default=6, help="passes over the training documents")
    p.add_argument("--seed", type=int, default=0, help="seed of the training order")
    p.add_argument("--overwrite", action="store_true", help="replace MODEL if it exists")
    p.set_defaults(func=cmd_train_classifier)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.func in (cmd_run, cmd_tokenize):
        # One process per core already: OpenBLAS's own thread pool, started when NumPy loads (one
        # thread per core, in every process), only costs each process ~0.11 CPU-s here
        # (benchmarks/results/recipe-speed.md). Set before NumPy loads, where the user has not chosen;
        # the small matrices of the block model give the same bits either way (extract_check --check).
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        return args.func(args)
    except RecipeError as exc:
        print(f"fruitstand: error: {exc}", file=sys.stderr)
        return 2
    except NoDocumentsError as exc:
        print(f"fruitstand: error: {exc}", file=sys.stderr)
        return 3
    except OSError as exc:  # a full disk, a folder made read-only mid-run: one line, then resume
        if exc.errno not in USER_ERRNOS:
            raise
        print(f"fruitstand: error: {explain_os_error(exc, getattr(args, 'output', None) or 'the output')}",
              file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:  # a step whose optional dependency is not installed
        print(f"fruitstand: error: the Python module {exc.name!r} is not installed: install it, "
              "or leave out the step that needs it (`fruitstand steps` shows which are unavailable)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fruitstand: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
