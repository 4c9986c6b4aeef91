"""Main-content extraction: quality and speed of each candidate, and of the `extract` default.

Quality on the article-extraction benchmark (61 real pages with hand-made article bodies,
../shared/data/extraction; scrapinghub/article-extraction-benchmark), scored as its
evaluate.py does: word tokens (`\\w+`), 4-gram shingle multisets, per-page TP/FP/FN
normalised to sum to 1, precision and recall averaged over pages, F1 of the two means.

Sanity check on trafilatura's evaluation pages (../shared/data/html/trafilatura-eval, 494
pages in many languages): each page lists snippets its main text must hold (`with`) and
must not (`without`); a snippet counts as found when it occurs in the text with runs of
white space collapsed; precision, recall and F1 over all snippets. trafilatura was tuned
on this set, so it is its home ground.

Speed: pages per CPU-second of this one process (`time.process_time`, so other work on a
shared machine does not count), decoding included, median of `--repeats` passes over the
61 pages; within a pass each page goes through every candidate in turn (the order rotating),
so what load remains hits them alike.

    .venv/bin/python benchmarks/extraction_quality.py [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from fruitstand.document import Document
from fruitstand.extract import main_content
from fruitstand.extract.decode import decode_html
from fruitstand.extract.extract import Extract
from fruitstand.extract.prune import drop_inert

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
BENCH = DATA / "extraction"
TRAF_EVAL = DATA / "html" / "trafilatura-eval"

_TOKEN = re.compile(r"\w+")


# ---- the benchmark's metric -------------------------------------------------------------
def _shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = _shingles(true), _shingles(pred)
    tp, fp, fn = sum((t & p).values()), sum((p - t).values()), sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)


def benchmark_scores(truth: dict[str, str], pred: dict[str, str]) -> tuple[float, float, float]:
    """(F1, precision, recall) exactly as article-extraction-benchmark's evaluate.py."""
    rows = [page_tp_fp_fn(truth[k], pred.get(k) or "") for k in truth]
    precision = statistics.mean(_precision(*r) for r in rows if r[0] + r[1] > 0)
    recall = statistics.mean(_recall(*r) for r in rows if r[0] + r[2] > 0)
    return 2 * precision * recall / (precision + recall), precision, recall


def load_benchmark() -> tuple[dict[str, bytes], dict[str, str]]:
    truth = {k: v["articleBody"] for k, v in json.loads((BENCH / "ground-truth.json").read_text()).items()}
    pages = {k: gzip.decompress((BENCH / "html" / f"{k}.html.gz").read_bytes()) for k in truth}
    return pages, truth


# ---- trafilatura's snippet check ----------------------------------------------------------
def load_trafilatura_eval() -> tuple[dict[str, bytes], dict[str, dict]]:
    spec = json.loads((TRAF_EVAL / "evaldata.json").read_text())
    pages = {url: gzip.decompress((TRAF_EVAL / f"{v['file']}.gz").read_bytes()) for url, v in spec.items()}
    return pages, spec


def snippet_scores(spec: dict[str, dict], pred: dict[str, str]) -> tuple[float, float, float]:
    def norm(s: str) -> str:
        return " ".join(s.split())

    tp = fp = fn = 0
    for url, want in spec.items():
        text = norm(pred.get(url) or "")
        found = [norm(s) in text for s in want["with"]]
        tp, fn = tp + sum(found), fn + len(found) - sum(found)
        fp += sum(norm(s) in text for s in want["without"])
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall), precision, recall


# ---- candidates: bytes -> text ------------------------------------------------------------
def _resiliparse(prune: bool = False, **options) -> Callable[[bytes], str]:
    if prune:
        return lambda html: extract_plain_text(HTMLTree.parse(decode_html(drop_inert(html))), **options)
    return lambda html: extract_plain_text(HTMLTree.parse(decode_html(html)), **options)


def _fruitstand(**kwargs) -> Callable[[bytes], str]:
    def run(html: bytes) -> str:
        page = decode_html(drop_inert(html))
        return main_content.main_text(page, HTMLTree.parse(page), **kwargs)

    return run


def _trafilatura(**options) -> Callable[[bytes], str]:
    import trafilatura

    return lambda html: trafilatura.extract(decode_html(html), include_comments=False, **options) or ""


def _trafilatura_baseline(html: bytes) -> str:
    import trafilatura

    return trafilatura.baseline(decode_html(html))[1]


def _justext(html: bytes) -> str:
    import justext

    paragraphs = justext.justext(decode_html(html), justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def _default_step(**params) -> Callable[[bytes], str]:
    step = Extract(**params)
    step.setup()

    def run(html: bytes) -> str:
        out = step.apply(Document("x", "", {}, html=html))
        return out.text if isinstance(out, Document) else ""

    return run


SKIP = main_content.SKIP
CANDIDATES: dict[str, Callable[[], Callable[[bytes], str]]] = {
    "resiliparse all text": lambda: _resiliparse(),
    "resiliparse main_content": lambda: _resiliparse(main_content=True),
    "  comments=False": lambda: _resiliparse(main_content=True, comments=False),
    "  comments=False alt_texts=False": lambda: _resiliparse(main_content=True, comments=False, alt_texts=False),
    "  + post_meta=False": lambda: _resiliparse(main_content=True, comments=False, alt_texts=False, post_meta=False),
    "  + skip captions": lambda: _resiliparse(main_content=True, comments=False, alt_texts=False, skip_elements=SKIP),
    "resiliparse main_content, pruned": lambda: _resiliparse(prune=True, main_content=True),
    "fruitstand container, no trim": lambda: _fruitstand(trim_edges=False),
    "trafilatura": lambda: _trafilatura(),
    "trafilatura fast": lambda: _trafilatura(fast=True),
    "trafilatura favor_precision": lambda: _trafilatura(favor_precision=True),
    "trafilatura favor_recall": lambda: _trafilatura(favor_recall=True),
    "trafilatura baseline()": lambda: _trafilatura_baseline,
    "justext (English stoplist)": lambda: _justext,
    "Extract(find_container=False)": lambda: _default_step(find_container=False),
    "DEFAULT: Extract() step": _default_step,
}
REFERENCE = "trafilatura"  # for F1
SPEED_REFERENCE = "resiliparse main_content"  # as shipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over the 61 pages")
    parser.add_argument("--quick", action="store_true", help="skip trafilatura's 494-page snippet check")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    pages, truth = load_benchmark()
    extractors = {name: make() for name, make in CANDIDATES.items()}
    outputs = {name: {k: fn(html) for k, html in pages.items()} for name, fn in extractors.items()}  # warm-up too
    # Interleaved page by page (each page through every candidate, in an order that rotates),
    # so a slow spell of this shared machine hits all candidates alike, not whole passes of one.
    seconds: dict[str, list[float]] = {name: [] for name in extractors}
    names = list(extractors)
    for r in range(args.repeats):
        spent = dict.fromkeys(names, 0.0)
        for i, html in enumerate(pages.values()):
            shift = (r + i) % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.process_time()
                extractors[name](html)
                spent[name] += time.process_time() - start
        for name in names:
            seconds[name].append(spent[name])

    snippet = {}
    if not args.quick:
        eval_pages, spec = load_trafilatura_eval()
        for name, fn in extractors.items():
            snippet[name] = snippet_scores(spec, {url: fn(html) for url, html in eval_pages.items()})

    speed = {name: len(pages) / statistics.median(s) for name, s in seconds.items()}
    print(f"{'candidate':34} {'F1':>6} {'prec':>6} {'recall':>6} {'pages/s':>8}  trafilatura-eval F1 / P / R")
    for name in extractors:
        f1, p, r = benchmark_scores(truth, outputs[name])
        extra = "  {:.3f} / {:.3f} / {:.3f}".format(*snippet[name]) if name in snippet else ""
        print(f"{name:34} {f1:6.3f} {p:6.3f} {r:6.3f} {speed[name]:8.1f}{extra}")
    name = "DEFAULT: Extract() step"
    f1, ref = benchmark_scores(truth, outputs[name])[0], benchmark_scores(truth, outputs[REFERENCE])[0]
    print(
        f"\ndefault vs {REFERENCE}: F1 {f1:.3f} vs {ref:.3f} ({f1 / ref:.3f}x), "
        f"speed {speed[name]:.0f} vs {speed[REFERENCE]:.0f} pages/s ({speed[name] / speed[REFERENCE]:.1f}x)"
    )
    fast = speed[SPEED_REFERENCE]
    print(f"default vs {SPEED_REFERENCE} (as shipped): speed {speed[name]:.0f} vs {fast:.0f} pages/s "
          f"({speed[name] / fast:.2f}x)")


if __name__ == "__main__":
    main()
