"""Main-content extraction: F1 and speed of the `extract` default against trafilatura, per benchmark.

Five labelled sets of real pages (../shared/data; SOURCES.md there), each with its own metric:

- `article`: scrapinghub/article-extraction-benchmark, 61 pages with hand-made article bodies,
  scored as its evaluate.py does: word tokens (`\\w+`), 4-gram shingle multisets, per-page
  TP/FP/FN normalised to sum to 1, precision and recall averaged over pages, F1 of the means.
- `trafilatura-eval`: trafilatura's evaluation pages (494, mostly German, English, French,
  Spanish, Polish): snippets the text must hold (`with`) and must not (`without`), matched
  with white space collapsed; P/R/F1 over all snippets (trafilatura's home ground).
- `goose3`: goose3's 51 test pages (BBC Chinese, CNN Arabic, Korean, Spanish, French, ...);
  its expected text is often only the article's opening, so the score is the share of the
  expected word 4-grams found (recall; precision cannot be measured there).
- `readability`: Mozilla Readability's 130 test pages; the expected text is Readability's
  reviewed output (its `expected.html`, as text); scored like `article`.
- `warc-pages`: 54 real pages of the shared WARCs (archive.org, iana.org, personal and lab
  sites, blogs, a Wikipedia article, spammy Dutch, Russian and Chinese pages), main content
  labelled by hand for this project (benchmarks/data/warc-pages/README.md); scored like `article`.

Every set is cut in two by a hash of the page's key (`half`): the "choose" half is what the
block model was trained and its threshold chosen on (benchmarks/train_block_model.py), the
"held-out" half was used for nothing and is what counts. Both are printed, apart.

Speed: pages per CPU-second of this one process (`time.process_time`), decoding included,
median of `--repeats` passes over each benchmark's held-out pages; within a pass each page
goes through every extractor in turn (the order rotating), so what load remains hits them alike.

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/extraction_quality.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
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
from fruitstand.extract.decode import decode_html
from fruitstand.extract.extract import Extract
from fruitstand.io.archives import read_warc
from fruitstand.io.base import ReadLimits
from fruitstand.io.inputs import Task
from fruitstand.report.sketch import domain
from fruitstand.step import StepStats

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
BENCH = DATA / "extraction"
TRAF_EVAL = DATA / "html" / "trafilatura-eval"
GOOSE3 = DATA / "html" / "goose3" / "content"
READABILITY = DATA / "html" / "readability"
WARC_PAGES = Path(__file__).resolve().parent / "data" / "warc-pages" / "labels.jsonl.gz"

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


def snippet_norm(s: str) -> str:
    """A text or snippet as the snippet metric compares them: white space runs as one space."""
    return " ".join(s.split())


def snippet_scores(spec: dict[str, dict], pred: dict[str, str]) -> tuple[float, float, float]:
    norm = snippet_norm
    tp = fp = fn = 0
    for url, want in spec.items():
        text = norm(pred.get(url) or "")
        found = [norm(s) in text for s in want["with"]]
        tp, fn = tp + sum(found), fn + len(found) - sum(found)
        fp += sum(norm(s) in text for s in want["without"])
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall), precision, recall


# ---- goose3 and Readability ---------------------------------------------------------------
def load_goose3() -> tuple[dict[str, bytes], dict[str, str]]:
    pages, truth = {}, {}
    for spec in sorted(GOOSE3.glob("*.json")):
        expected = json.loads(spec.read_text())["expected"]
        page = spec.with_suffix(".html")
        if page.exists() and isinstance(expected, dict) and expected.get("cleaned_text"):
            pages[spec.stem], truth[spec.stem] = page.read_bytes(), expected["cleaned_text"]
    return pages, truth


def shingle_recall(truth: dict[str, str], pred: dict[str, str]) -> tuple[float]:
    """Mean over pages of the share of the expected text's word 4-grams found in the text."""
    shares = []
    for key, text in truth.items():
        want = _shingles(text)
        shares.append(sum((want & _shingles(pred.get(key) or "")).values()) / max(1, sum(want.values())))
    return (statistics.mean(shares),)


def load_readability() -> tuple[dict[str, bytes], dict[str, str]]:
    pages, truth = {}, {}
    for case in sorted(p for p in READABILITY.iterdir() if (p / "source.html.gz").exists()):
        expected = gzip.decompress((case / "expected.html.gz").read_bytes()).decode("utf-8", "replace")
        pages[case.name] = gzip.decompress((case / "source.html.gz").read_bytes())
        truth[case.name] = extract_plain_text(HTMLTree.parse(expected), alt_texts=False)
    return pages, truth


def load_warc_pages() -> tuple[dict[str, bytes], dict[str, str]]:
    """The hand-labelled WARC pages: HTML read from ../shared/data/warc as a pipeline reads it."""
    labels = [json.loads(line) for line in gzip.open(WARC_PAGES, "rt", encoding="utf-8")]
    wanted: dict[str, dict[str, str]] = {}
    for label in labels:
        wanted.setdefault(label["warc"], {})[label["record_id"]] = label["key"]
    pages = {}
    for warc, ids in wanted.items():
        for rid, html in warc_html(warc).items():
            if rid in ids:
                pages[ids[rid]] = html
    return pages, {label["key"]: label["text"] for label in labels}


def warc_html(warc: str) -> dict[str, bytes]:
    """Record id -> HTML bytes of a ../shared/data/warc file's HTML responses, as read_warc gives them."""
    task = Task(0, str(DATA / "warc" / warc), "warc")
    return {doc.id: doc.html for doc in read_warc(task, StepStats(), ReadLimits(), lambda _: None) if doc.html}


# ---- the five benchmarks, each cut in two -------------------------------------------------
BENCHMARKS: dict[str, tuple[Callable, Callable]] = {  # name -> (loader, scorer)
    "article": (load_benchmark, benchmark_scores),
    "trafilatura-eval": (load_trafilatura_eval, snippet_scores),
    "goose3": (load_goose3, shingle_recall),
    "readability": (load_readability, benchmark_scores),
    "warc-pages": (load_warc_pages, benchmark_scores),
}
CHOOSE, HELD_OUT = 0, 1


def half(key: str) -> int:
    """CHOOSE or HELD_OUT: which half of its benchmark a page (by its key) is in."""
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2


def load_all() -> dict[str, tuple[dict[str, bytes], dict]]:
    """benchmark -> (pages, labels), every page of every set."""
    return {name: loader() for name, (loader, _) in BENCHMARKS.items()}


def score(name: str, labels: dict, pred: dict[str, str], which: int | None = None) -> tuple[float, ...]:
    """The benchmark's own metric over its pages in half `which` (None: all of them)."""
    labels = {k: v for k, v in labels.items() if which is None or half(k) == which}
    return BENCHMARKS[name][1](labels, pred)


# ---- extractors: bytes -> text -------------------------------------------------------------
def _trafilatura(**options) -> Callable[[bytes], str]:
    import trafilatura

    return lambda html: trafilatura.extract(decode_html(html), include_comments=False, **options) or ""


def _default_step(**params) -> Callable[[bytes], str]:
    step = Extract(**params)
    step.setup()

    def run(html: bytes) -> str:
        out = step.apply(Document("x", "", {}, html=html))
        return out.text if isinstance(out, Document) else ""

    return run


EXTRACTORS: dict[str, Callable[[], Callable[[bytes], str]]] = {
    "fruitstand (default)": _default_step,
    "fruitstand, no block model": lambda: _default_step(block_model=False),
    "trafilatura": lambda: _trafilatura(),
}
DEFAULT, REFERENCE = "fruitstand (default)", "trafilatura"


def pages_per_second(extractors: dict, pages: list[bytes], repeats: int) -> dict[str, float]:
    """Pages per CPU-second of each extractor, median of `repeats` interleaved passes."""
    names = list(extractors)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        spent = dict.fromkeys(names, 0.0)
        for i, html in enumerate(pages):
            shift = (r + i) % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.process_time()
                extractors[name](html)
                spent[name] += time.process_time() - start
        for name in names:
            seconds[name].append(spent[name])
    return {name: len(pages) / statistics.median(s) for name, s in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over each benchmark's held-out pages")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    extractors = {name: make() for name, make in EXTRACTORS.items()}
    rows, ratios = [], []
    for bench, (pages, labels) in load_all().items():
        outputs = {name: {k: fn(html) for k, html in pages.items()} for name, fn in extractors.items()}
        held = [html for k, html in pages.items() if half(k) == HELD_OUT]
        speed = pages_per_second(extractors, held, args.repeats)
        n = {w: sum(half(k) == w for k in pages) for w in (CHOOSE, HELD_OUT)}
        for name in extractors:
            f1 = {w: score(bench, labels, outputs[name], w) for w in (HELD_OUT, CHOOSE)}
            rows.append((bench, n, name, f1, speed[name]))
        f1_default = score(bench, labels, outputs[DEFAULT], HELD_OUT)[0]
        f1_reference = score(bench, labels, outputs[REFERENCE], HELD_OUT)[0]
        ratios.append((bench, f1_default, f1_reference, speed[DEFAULT] / speed[REFERENCE]))
        if bench == "warc-pages":  # keyed by URL: also its held-out pages from hosts no choose page has
            unseen = _unseen_hosts(labels)
            unseen_f1 = {name: BENCHMARKS[bench][1](unseen, outputs[name])[0] for name in (DEFAULT, REFERENCE)}
    print(f"{'benchmark':17} {'pages held/choose':>17}  {'extractor':27} {'held-out F1 (P / R)':>22} "
          f"{'choose F1':>9} {'pages/s':>8}")
    for bench, n, name, f1, speed in rows:
        held = " / ".join(f"{x:.3f}" for x in f1[HELD_OUT][1:])
        held = f"{f1[HELD_OUT][0]:.3f}" + (f" ({held})" if held else "")
        print(f"{bench:17} {n[HELD_OUT]:>8} / {n[CHOOSE]:<6}  {name:27} {held:>22} {f1[CHOOSE][0]:9.3f} {speed:8.1f}")
    print()
    for bench, f1, ref, ratio in ratios:
        verdict = "at least" if f1 >= ref else "BELOW"
        print(f"{bench}: held-out F1 {f1:.3f} vs {REFERENCE} {ref:.3f} ({verdict}), speed {ratio:.1f}x {REFERENCE}")
        if bench == "warc-pages":
            print(f"  {len(unseen)} of its held-out pages from hosts no choose page has: F1 {unseen_f1[DEFAULT]:.3f} "
                  f"vs {REFERENCE} {unseen_f1[REFERENCE]:.3f} (the other held-out pages share a site template "
                  "with choose pages)")


def _unseen_hosts(labels: dict) -> dict:
    """The held-out labels whose URL's host has no page in the choose half."""
    seen = {domain(k) for k in labels if half(k) == CHOOSE}
    return {k: v for k, v in labels.items() if half(k) == HELD_OUT and domain(k) not in seen}


if __name__ == "__main__":
    main()
