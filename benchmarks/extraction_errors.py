"""The block model's out-of-fold errors on the choose halves, page by page: what to look at
before trying a feature or a rule (benchmarks/results/extraction.md).

The same 3-fold CV as benchmarks/extraction_cv.py (one seed), no held-out page parsed. Printed
per page with an error:

- `trafilatura-eval`: each `without` snippet the page's text keeps (+) and each `with` snippet
  it lacks (-), with the block that holds it: its index of all, kind, model probability, whether
  it was kept, characters, link share, and the block before and after;
- the other sets (`--all`): blocks whose label (trainer.labels) the kept mask contradicts.

    PYTHONPATH=src .venv/bin/python benchmarks/extraction_errors.py [--seed 0] [--all] [--bench NAME]
"""

from __future__ import annotations

import argparse
import hashlib
import warnings

import numpy as np

import train_block_model as trainer
from extraction_cv import choose_pages
from extraction_quality import load_all, snippet_norm
from fruitstand.extract import blocks

KINDS = "other paragraph heading item pre".split()


def _block_line(found: list, i: int, prob, keep) -> str:
    text, kind, links, _ = found[i]
    return (f"#{i}/{len(found)} {KINDS[kind]} p={prob[i]:.2f} {'K' if keep[i] else '-'} "
            f"{len(text)}c links {links / max(1, len(text)):.2f}: {text[:140]!r}")


def _context(found: list, i: int, prob, keep) -> list[str]:
    return [("      before " if j < i else "      after  ") + _block_line(found, j, prob, keep)
            for j in (i - 1, i + 1) if 0 <= j < len(found)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--all", action="store_true", help="also the full-text sets' block errors")
    parser.add_argument("--bench", default=None, help="only this benchmark")
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    data = load_all()
    pages = choose_pages(data)
    fold = {p[1]: int(hashlib.md5(p[1].encode()).hexdigest(), 16) % 3 for p in pages}
    counts = {"kept without": 0, "dropped with": 0}
    for f in range(3):
        model = trainer.fit(*trainer.stack([p for p in pages if fold[p[1]] != f]), seed=args.seed)
        if args.threshold is not None:
            model.threshold = args.threshold
        else:
            with np.load(blocks.MODEL_PATH) as weights:
                model.threshold = float(weights["threshold"])
        mine = [p for p in pages if fold[p[1]] == f]
        out = trainer.texts(model, mine)
        for p in mine:
            bench, key, found, mode, x, y, w = p[:7]
            if args.bench and bench != args.bench:
                continue
            if bench != "trafilatura-eval" and not args.all:
                continue
            if not found:
                continue
            prob = model.probabilities(x)
            keep = model.keep(found, mode, x)
            lines = []
            if bench == "trafilatura-eval":
                text = snippet_norm(out[bench, key])
                spec = data[bench][1][key]
                normed = [snippet_norm(b[0]) for b in found]
                for sign, snippets, bad in (("+", spec["without"], True), ("-", spec["with"], False)):
                    for s in snippets:
                        s = snippet_norm(s)
                        if (s in text) != bad:
                            continue
                        counts["kept without" if bad else "dropped with"] += 1
                        at = next((i for i, t in enumerate(normed) if s in t or (len(t) > 15 and t in s)), None)
                        lines.append(f"  {sign} {s[:100]!r}")
                        if at is not None:
                            lines.append("      block  " + _block_line(found, at, prob, keep))
                            lines.extend(_context(found, at, prob, keep))
                        else:
                            lines.append("      (in no block of the container)")
            else:
                for i in range(len(found)):
                    if w[i] > 0 and bool(keep[i]) != bool(y[i]):
                        lines.append(f"  {'+' if keep[i] else '-'} " + _block_line(found, i, prob, keep))
            if lines:
                print(f"{bench} {key} (mode {mode}, {len(found)} blocks)")
                print("\n".join(lines))
    print(counts)


if __name__ == "__main__":
    main()
