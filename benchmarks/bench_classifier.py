"""Documents per CPU-second of quality scoring: fruitstand's quality_classifier against datatrove's fastText filter.

    .venv/bin/python benchmarks/bench_classifier.py [--repeats 3]

Both sides score the same real web documents (Common Crawl WET-derived documents, BBC News,
the crawl WARCs' pages after `extract`), one process each, in CPU seconds (median of the
repeats). Both models are trained on the same documents, those of
`scripts/train_default_classifier.py`: fruitstand's default model, and for datatrove a fastText
bigram model (DCLM's setting: wordNgrams=2), trained offline in the datatrove venv, since
datatrove applies fastText models but has no model of this kind to give it. datatrove's
`FastTextClassifierFilter` is timed through its `filter()` on datatrove Documents, fruitstand's
step through `keep_batch` in batches of its default size. Results: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "benchmarks"))

import _harness  # noqa: E402

DATATROVE_SIDE = r"""
import json, statistics, sys, time
import fasttext
from datatrove.data import Document
from datatrove.pipeline.filters.fasttext_filter import FastTextClassifierFilter

train, docs_path, model_path, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
model = fasttext.train_supervised(input=train, wordNgrams=2, epoch=6, dim=32, thread=1, seed=0, verbose=0)
model.save_model(model_path)
texts = [json.loads(line)["text"] for line in open(docs_path, encoding="utf-8")]
f = FastTextClassifierFilter(model_path, keep_labels=("good", 0.5), newline_replacement=" ")
f.model  # load once, as a worker would
times = []
for _ in range(repeats):
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    start = time.process_time()
    kept = sum(1 for d in docs if f.filter(d) is True)
    times.append(time.process_time() - start)
print(json.dumps({"seconds": statistics.median(times), "kept": kept}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import train_default_classifier as tdc

    from fruitstand.document import Document
    from fruitstand.filters.quality_classifier import QualityClassifier

    shared = Path(tdc.REPO.parent / "shared" / "data")
    pos, neg = tdc.positives(shared), tdc.negatives(shared)
    # Web documents to score: the raw web side (what a filter meets in a crawl) and BBC News.
    texts = neg + pos[206:206 + 1000]
    size_mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    step = QualityClassifier()
    step.setup()
    times = []
    for _ in range(args.repeats):
        docs = [Document(str(i), t, {}) for i, t in enumerate(texts)]
        start = time.process_time()
        for k in range(0, len(docs), step.batch_size):
            step.keep_batch(docs[k:k + step.batch_size])
        times.append(time.process_time() - start)
    ours = statistics.median(times)
    rows = [["fruitstand quality_classifier", f"{len(texts) / ours:,.0f}", f"{size_mb / ours:.1f}"]]
    if _harness.DATATROVE_PY.exists():
        with tempfile.TemporaryDirectory() as tmp:
            train = Path(tmp) / "train.txt"
            with open(train, "w", encoding="utf-8") as fh:
                for label, docs in (("good", pos), ("bad", neg)):
                    for t in docs:
                        fh.write(f"__label__{label} " + " ".join(t.split()) + "\n")
            score = Path(tmp) / "docs.jsonl"
            score.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
            res = subprocess.run([str(_harness.DATATROVE_PY), "-c", DATATROVE_SIDE, str(train), str(score),
                                  str(Path(tmp) / "ft.bin"), str(args.repeats)], capture_output=True, text=True)
            if res.returncode != 0:
                print(res.stderr[-2000:], file=sys.stderr)
                return 1
            theirs = json.loads(res.stdout.strip().splitlines()[-1])["seconds"]
        rows.append(["datatrove FastTextClassifierFilter (bigram fastText)", f"{len(texts) / theirs:,.0f}",
                     f"{size_mb / theirs:.1f}"])
    print(f"{len(texts):,} documents, {size_mb:.1f} MB, median of {args.repeats}, one process, CPU seconds")
    print(_harness.table(["side", "docs per CPU-s", "MB per CPU-s"], rows))
    if len(rows) > 1:
        print(f"fruitstand / datatrove docs per CPU-second: {theirs / ours:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
