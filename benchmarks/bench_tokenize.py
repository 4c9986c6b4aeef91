"""Tokens per second of `fruitstand tokenize` against a single-process `tokenizers` encode loop.

Corpus: real text from ../shared/data (BBC News, Common Crawl via allenai/dolma, Urdu news,
75 languages of Leipzig sentences), copied `--scale` times into a fruitstand output folder
of Parquet shards. One tokenizer (a 32768-token byte-level BPE trained on the corpus, not
timed) serves every side:

- `encode loop`: one process, `Tokenizer.encode(text)` per document (the reference);
- `encode_batch, 1 process`: the same in batches (the Rust side's thread pool);
- `fruitstand tokenize -w N`: the whole command (reading shards, encoding, writing shards and
  index, process start-up included), for each N in `--workers`.

Sides alternate within each repeat; medians are printed, then the ratios. Run under
`flock /tmp/fruitstand-bench.lock`. Latest figures: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
SCRATCH = REPO / ".bench" / "tokenize"


def corpus_texts() -> list[str]:
    texts = []
    for name in ("bbc-news.jsonl.gz", "CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"):
        with gzip.open(DATA / "text" / name, "rt", encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh]
    texts += [p.read_text(encoding="utf-8") for p in sorted((DATA / "urdu-news").glob("*.txt"))]
    for p in sorted((DATA / "lang").glob("*.txt")):
        lines = p.read_text(encoding="utf-8").splitlines()
        texts += ["\n".join(lines[i:i + 20]) for i in range(0, len(lines), 20)]
    return texts


def build(scale: int, shards: int = 8) -> tuple[Path, list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = corpus_texts() * scale
    folder = SCRATCH / f"corpus-x{scale}"
    if not (folder / "data").is_dir():
        (folder / "data").mkdir(parents=True)
        per = -(-len(texts) // shards)
        for k in range(shards):
            part = texts[k * per:(k + 1) * per]
            pq.write_table(pa.table({"id": [f"{k}-{i}" for i in range(len(part))], "text": part}),
                           folder / "data" / f"part-{k:05d}-0000.parquet")
    return folder, texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from fruitstand.tokens import bpe

    folder, texts = build(args.scale)
    tok_path = SCRATCH / "tokenizer.json"
    if not tok_path.exists():
        tok_path.write_text(bpe.train_bpe(corpus_texts(), 32768).to_str())
    tok = bpe.load_tokenizer(tok_path)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"corpus: {len(texts):,} documents, {mb:.1f} MB of UTF-8, x{args.scale}")

    def loop() -> tuple[float, int]:
        t = time.perf_counter()
        n = sum(len(tok.encode(x, add_special_tokens=False).ids) + 1 for x in texts)
        return time.perf_counter() - t, n

    def batch() -> tuple[float, int]:
        t = time.perf_counter()
        n = 0
        for k in range(0, len(texts), 1024):
            toks, _ = bpe.encode(tok, texts[k:k + 1024], eos_id=0)
            n += len(toks)
        return time.perf_counter() - t, n

    def command(workers: int):
        def side() -> tuple[float, int]:
            shutil.rmtree(folder / "tokens", ignore_errors=True)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "fruitstand", "tokenize", str(folder), "--tokenizer",
                            str(tok_path), "-w", str(workers), "-q"], check=True, capture_output=True,
                           env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
            wall = time.perf_counter() - t
            return wall, json.loads((folder / "tokens" / "meta.json").read_text())["tokens"]
        return side

    sides = {"encode loop (1 process)": loop, "encode_batch (1 process)": batch}
    sides.update({f"fruitstand tokenize -w {w}": command(w) for w in args.workers})
    times: dict[str, list[float]] = {k: [] for k in sides}
    tokens: dict[str, int] = {}
    for _ in range(args.repeats):
        for name, fn in sides.items():
            wall, n = fn()
            times[name].append(wall)
            tokens[name] = n
    base = statistics.median(times["encode loop (1 process)"])
    print(f"{'side':<28}{'tokens':>12}{'median s':>10}{'tokens/s':>12}{'vs loop':>9}")
    for name in sides:
        med = statistics.median(times[name])
        print(f"{name:<28}{tokens[name]:>12,}{med:>10.2f}{tokens[name] / med:>12,.0f}{base / med:>8.2f}x")
    one, many = f"fruitstand tokenize -w {args.workers[0]}", f"fruitstand tokenize -w {args.workers[-1]}"
    print(f"speed-up with workers ({args.workers[0]} -> {args.workers[-1]}): "
          f"{statistics.median(times[one]) / statistics.median(times[many]):.2f}x")
    print(f"ratio: fruitstand tokenize -w {args.workers[-1]} / encode loop = "
          f"{base / statistics.median(times[many]):.2f}x tokens/s")


if __name__ == "__main__":
    main()
