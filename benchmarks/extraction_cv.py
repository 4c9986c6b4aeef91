"""Cross-validation of `extract`'s block model inside the choose halves: the figure every
extraction choice is made on (benchmarks/results/extraction.md records each variant's).

Only the "choose" half of each labelled set is used (`extraction_quality.half`): held-out
pages are loaded with their sets but never parsed, trained on or scored here (benchmarks/extraction_quality.py scores
them, once per kept change).

For each of SEEDS (initial seeds of the network, `train_block_model.fit`), with the code as it
is in `src/` (its rules, its features) and the trainer's labels, network and `settle` emulation:

- **CV**: 3 folds of the choose pages (md5 of the page key, as train_block_model.py); each
  fold's pages scored by a network trained on the other two folds' pages of all five sets.
- **LOBO** (leave one benchmark out): each set's choose half scored by a network trained on the
  other four sets' choose halves only (how the model does on a kind of page it never saw).

Printed: per seed, then the mean over seeds, each benchmark's own metric and their mean.
One retraining moves scattered pages: CV means differing by under ~0.002 (trafilatura-eval's
seed-to-seed spread is up to 0.006) are noise. The threshold defaults to the shipped model's.

    PYTHONPATH=src .venv/bin/python benchmarks/extraction_cv.py [--threshold T] [--seeds 0 1 2] [--no-lobo]
"""

from __future__ import annotations

import argparse
import hashlib
import warnings

import numpy as np

import train_block_model as trainer
from extraction_quality import CHOOSE, half, load_all
from fruitstand.extract import blocks


def choose_pages(data: dict) -> list:
    """The trainer's page tuples for the choose halves only."""
    pages = []
    for bench, (htmls, truth) in data.items():
        for key, html in htmls.items():
            if half(key) != CHOOSE:
                continue
            found, mode, page = trainer.page_blocks(html)
            x = blocks.features(found, mode) if found else None
            y, w = trainer.labels(bench, found, truth[key]) if found else (None, None)
            pages.append((bench, key, found, mode, x, y, w, CHOOSE, page))
    return pages


def cross_validate(data: dict, pages: list, threshold: float, seed: int) -> dict[str, float]:
    fold = {p[1]: int(hashlib.md5(p[1].encode()).hexdigest(), 16) % 3 for p in pages}
    out: dict = {}
    for f in range(3):
        model = trainer.fit(*trainer.stack([p for p in pages if fold[p[1]] != f]), seed=seed)
        model.threshold = threshold
        out.update(trainer.texts(model, [p for p in pages if fold[p[1]] == f]))
    return trainer.scores(data, pages, out)


def leave_one_out(data: dict, pages: list, threshold: float, seed: int) -> dict[str, float]:
    result = {}
    for bench in data:
        model = trainer.fit(*trainer.stack([p for p in pages if p[0] != bench]), seed=seed)
        model.threshold = threshold
        mine = [p for p in pages if p[0] == bench]
        result[bench] = trainer.scores(data, mine, trainer.texts(model, mine))[bench]
    return result


def _line(label: str, s: dict[str, float]) -> str:
    return f"{label}: " + " ".join(f"{b} {v:.4f}" for b, v in s.items()) + f" mean {np.mean(list(s.values())):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threshold", type=float, default=None, help="default: the shipped model's")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(trainer.CV_SEEDS))
    parser.add_argument("--no-lobo", action="store_true", help="skip leave-one-benchmark-out")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.threshold is None:  # read directly: the file may predate a feature change being tried
        with np.load(blocks.MODEL_PATH) as weights:
            args.threshold = float(weights["threshold"])
    threshold = args.threshold
    data = load_all()
    pages = choose_pages(data)
    print(f"choose halves: {len(pages)} pages, {sum(len(p[2]) for p in pages)} blocks; threshold {threshold}")
    runs = {"CV": [], "LOBO": []}
    for seed in args.seeds:
        runs["CV"].append(cross_validate(data, pages, threshold, seed))
        print(_line(f"seed {seed} CV", runs["CV"][-1]), flush=True)
        if not args.no_lobo:
            runs["LOBO"].append(leave_one_out(data, pages, threshold, seed))
            print(_line(f"seed {seed} LOBO", runs["LOBO"][-1]), flush=True)
    for name, rows in runs.items():
        if rows:
            print(_line(f"{name} mean of {len(rows)} seeds", {b: float(np.mean([r[b] for r in rows])) for b in rows[0]}))


if __name__ == "__main__":
    main()
