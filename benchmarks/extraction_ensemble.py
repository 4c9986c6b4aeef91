"""What an ensemble would give: `extract`, with the pages its cheap failure check flags sent to trafilatura.

The check is the one `extract` already makes before its second chance (main_content.settle: the
model kept under SECOND_CHANCE_BELOW characters with no container, under SECOND_CHANCE_CONTAINER
with one). Flagged pages get trafilatura's text instead (`fast=True`, its cheaper mode; or only
where trafilatura's text is the longer one). Printed: each benchmark's own metric on both halves
(the choose half is where this was judged, benchmarks/extraction_quality.half), the share of pages
flagged, and the cost in pages per CPU-second over all pages (median of `--repeats` passes).

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/extraction_ensemble.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import trafilatura

from extraction_quality import CHOOSE, HELD_OUT, load_all, score
from fruitstand.document import Document
from fruitstand.extract import main_content
from fruitstand.extract.decode import decode_html
from fruitstand.extract.extract import Extract


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    step = Extract()
    step.setup()
    flagged: set = set()
    current: list = [None]
    whole_page = main_content.whole_page

    def watched(page, kept, tree=None):  # called exactly where the check fires
        flagged.add(current[0])
        return whole_page(page, kept, tree)

    def ours(html: bytes) -> str:
        out = step.apply(Document("x", "", {}, html=html))
        return out.text if isinstance(out, Document) else ""

    def theirs(html: bytes) -> str:
        return trafilatura.extract(decode_html(html), include_comments=False, fast=True) or ""

    main_content.whole_page = watched
    data = load_all()
    texts, alt = {}, {}
    for bench, (pages, _) in data.items():
        for key, html in pages.items():
            current[0] = bench, key
            texts[bench, key] = ours(html)
    main_content.whole_page = whole_page
    for item in flagged:
        alt[item] = theirs(data[item[0]][0][item[1]])
    variants = {
        "extract (default)": texts,
        "flagged pages -> trafilatura": {k: alt.get(k, v) for k, v in texts.items()},
        "... where trafilatura's is longer": {k: alt[k] if k in alt and len(alt[k]) > len(v) else v
                                              for k, v in texts.items()},
    }
    print(f"flagged {len(flagged)} of {len(texts)} pages ({len(flagged) / len(texts):.1%})")
    for bench, (pages, labels) in data.items():
        for name, out in variants.items():
            mine = {k: out[bench, k] for k in pages}
            f1 = {w: score(bench, labels, mine, w)[0] for w in (CHOOSE, HELD_OUT)}
            print(f"{bench:17} {name:36} choose {f1[CHOOSE]:.4f}  held-out {f1[HELD_OUT]:.4f}")

    every = [(bench, key, html) for bench, (pages, _) in data.items() for key, html in pages.items()]
    base, extra = [], []
    for _ in range(args.repeats):
        start = time.process_time()
        for _, _, html in every:
            ours(html)
        base.append(time.process_time() - start)
        start = time.process_time()
        for bench, key, html in every:
            if (bench, key) in flagged:
                theirs(html)
        extra.append(time.process_time() - start)
    a, t = statistics.median(base), statistics.median(extra)
    print(f"pages/s over all {len(every)} pages: extract {len(every) / a:.0f}, with flagged pages also "
          f"through trafilatura {len(every) / (a + t):.0f} ({t / a:+.0%} time)")


if __name__ == "__main__":
    main()
