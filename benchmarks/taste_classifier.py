"""Does the learned quality filter help? A taste test of classifier-filtered web text against a random subset.

    .venv/bin/python benchmarks/taste_classifier.py [--tokens 300000] [--seeds 3] [--keep-top 0.5]

The raw web text of the project's real crawls (Common Crawl WET-derived documents, the crawl
WARCs' pages and trafilatura's 516 article pages, after `extract`, unfiltered) is split by a
hash of each document: one half are the negatives a classifier is trained on (positives:
Wikipedia, BBC and ABC news, Urdu news, the extraction benchmarks' clean texts), the other
half is the pool. `quality_classifier` with `keep_top` keeps the best share of the pool; a
random subset of the pool with as much text is the control. `fruitstand taste` trains the
same tiny model on the same number of tokens of each, with the same seeds, and scores bits
per byte on held-out clean English sentences (`lang/en.txt`, which no step here trained on).
The last line is the control's bits per byte over the filtered corpus's (above 1: filtering
helped). Results: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import xxhash

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def _half(doc_id: str) -> int:
    return xxhash.xxh64_intdigest(doc_id.encode()) % 2


def _jsonl(path: Path, docs: list[tuple[str, str]]) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        for doc_id, text in docs:
            fh.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=300_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--keep-top", type=float, default=0.5)
    parser.add_argument("--output", default=str(REPO / ".bench" / "taste-classifier"))
    args = parser.parse_args()
    import pyarrow.parquet as pq
    import train_default_classifier as tdc

    import fruitstand
    from fruitstand.classify.train import train_classifier
    from fruitstand.extract.extract import Extract
    from fruitstand.io.readers import read
    from fruitstand.taste.run import taste

    shared = tdc.REPO.parent / "shared" / "data"
    raw = [(f"raw-{i:05d}", t) for i, t in enumerate(tdc.negatives(shared))]
    extract = Extract()
    extract.setup()
    for doc in read(shared / "warc" / "trafilatura-pages.warc.gz"):
        out = extract.apply(doc)
        if out is not None and not isinstance(out, tuple) and out.text.strip():
            raw.append((f"traf-{len(raw):05d}", out.text))
    pos = tdc.positives(shared, sentences=False)  # no lang/ sentences: the evaluation text is lang/en.txt
    negatives = [d for d in raw if _half(d[0]) == 0]
    pool = [d for d in raw if _half(d[0]) == 1]
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        model = t / "quality.npz"
        m = train_classifier([_jsonl(t / "pos.jsonl", [(f"pos-{i}", x) for i, x in enumerate(pos)])],
                             [_jsonl(t / "neg.jsonl", negatives)], model)
        pool_path = _jsonl(t / "pool.jsonl", pool)
        filtered = out / "filtered"
        fruitstand.run([{"kind": "quality_classifier", "model": str(model), "keep_top": args.keep_top}],
                       inputs=[pool_path], output=filtered, overwrite=True, workers=1)
        kept = pq.read_table(sorted((filtered / "data").glob("*.parquet"))).column("text").to_pylist()
        want = sum(len(x) for x in kept)
        chosen, size = [], 0
        for doc_id, text in sorted(pool, key=lambda d: xxhash.xxh64_intdigest(d[0].encode(), seed=7)):
            if size >= want:
                break
            chosen.append((doc_id, text))
            size += len(text)
        random_dir = out / "random"
        random_dir.mkdir(exist_ok=True)
        _jsonl(random_dir / "random.jsonl", chosen)
        result = taste([str(filtered), str(random_dir / "random.jsonl")], evals=[str(shared / "lang" / "en.txt")],
                       output=out / "taste", tokens=args.tokens, seeds=args.seeds, quiet=True)
    print(f"classifier: held-out AUC {m['metrics']['auc']} on {m['metrics']['held_out_documents']} documents; "
          f"pool {len(pool)} documents, filtered keeps {len(kept)} ({want:,} characters), random {len(chosen)}")
    bpb = {}
    for run in result["runs"]:
        name = "filtered" if run["corpus"] == str(filtered) else "random"
        bpb.setdefault(name, []).append(run["scores"][result["eval"]]["bits_per_byte"])
    for name, values in bpb.items():
        print(f"{name:>9}: bits per byte {sum(values) / len(values):.4f} (seeds: {', '.join(f'{v:.4f}' for v in values)})")
    print(f"winner: {result['winner']}")
    print(f"random / filtered bits per byte: {(sum(bpb['random']) / len(bpb['random'])) / (sum(bpb['filtered']) / len(bpb['filtered'])):.4f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
