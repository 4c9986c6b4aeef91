"""How long resiliparse takes on pathological HTML, and whether another thread can run meanwhile.

Each page is a real article (the first page of ../shared/data/extraction/html) wrapped in or
preceded by a pathological construct; each case runs in its own process under a time limit.

    python benchmarks/pathological_html.py            # the table in results/bad-input.md
    python benchmarks/pathological_html.py gil        # does extraction hold the GIL?
    python benchmarks/pathological_html.py faulthandler   # can faulthandler's C timer end it?
    python benchmarks/pathological_html.py depth      # a cheap depth probe on real pages
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import threading
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

CASES = [  # (construct, n, main_content)
    ("nested_div", 2_000, True), ("nested_div", 5_000, True), ("nested_div", 10_000, True),
    ("nested_div", 20_000, True), ("nested_div", 10_000, False),
    ("font_div", 2_000, True), ("font_div", 5_000, True),
    ("formatting", 30_000, True), ("formatting", 60_000, True),
    ("many_attrs", 10_000, True), ("many_attrs", 20_000, True), ("many_attrs", 40_000, True),
    ("p_tags", 100_000, True), ("p_tags", 1_200_000, True), ("span_tags", 330_000, True),
    ("huge_attr", 4_800_000, True), ("nested_a", 100_000, True), ("nested_table", 100_000, True),
]


def page(kind: str, n: int) -> str:
    html = gzip.decompress(sorted((DATA / "extraction" / "html").glob("*.html.gz"))[0].read_bytes()).decode()
    at = html.index("<body")
    head, body = html[:at], html[at:]
    pre = {
        "nested_div": "<div>" * n, "font_div": "<font><div>" * n,
        "formatting": "<b><i><u><s><em><strong>" * (n // 6) + "<div>" * (n // 6),
        "many_attrs": "<div " + " ".join(f"a{i}=x" for i in range(n)) + ">",
        "p_tags": "<p>w" * n, "span_tags": "<span>w</span> " * n, "huge_attr": '<div data-x="' + "A" * n + '">',
        "nested_a": "<a>" * n, "nested_table": "<table>" * n,
    }[kind]
    return head + "<body>" + pre + body


def one(kind: str, n: int, main_content: bool) -> None:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    html = page(kind, n)
    t0 = time.perf_counter()
    tree = HTMLTree.parse(html)
    t1 = time.perf_counter()
    extract_plain_text(tree, main_content=main_content)
    t2 = time.perf_counter()
    print(f"| {kind} | {n:,} | {len(html.encode()) / 1e6:.2f} | {main_content} | {t1 - t0:.2f} | {t2 - t1:.2f} |", flush=True)


def table(limit: float = 60.0) -> None:
    print("| construct | n | MB | main_content | parse s | extract s |\n|---|---|---|---|---|---|")
    for kind, n, mc in CASES:
        try:
            subprocess.run([sys.executable, __file__, "one", kind, str(n), str(int(mc))], timeout=limit, check=True)
        except subprocess.TimeoutExpired:
            print(f"| {kind} | {n:,} | | {mc} | | > {limit:.0f} (killed) |", flush=True)


def gil() -> None:
    """Count a ticker thread's 0.1 s ticks while the main thread extracts a slow page."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(page("nested_div", 12_000))
    ticks: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.1)

    threading.Thread(target=tick, daemon=True).start()
    time.sleep(0.3)
    t0 = time.monotonic()
    extract_plain_text(tree, main_content=True)
    t1 = time.monotonic()
    stop.set()
    during = sum(t0 < t < t1 for t in ticks)
    print(f"extract took {t1 - t0:.2f} s; ticker thread ran {during} times (about {(t1 - t0) / 0.1:.0f} if the GIL were free)")


def faulthandler_limit(limit: float = 2.0) -> None:
    """Arm faulthandler's timer (a C thread that needs no GIL) and extract a 25 s page."""
    import faulthandler
    import os

    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    with open(os.devnull, "w") as devnull:
        t = time.perf_counter()
        for _ in range(10_000):
            faulthandler.dump_traceback_later(limit, exit=True, file=devnull)
            faulthandler.cancel_dump_traceback_later()
        print(f"arm + cancel: {(time.perf_counter() - t) / 10_000 * 1e6:.0f} us", flush=True)
    if os.fork() == 0:
        tree = HTMLTree.parse(page("nested_div", 20_000))
        faulthandler.dump_traceback_later(limit, exit=True, file=open(os.devnull, "w"))
        extract_plain_text(tree, main_content=True)
        os._exit(0)
    t = time.monotonic()
    _, status = os.wait()
    print(f"child ended after {time.monotonic() - t:.1f} s with exit status {os.waitstatus_to_exitcode(status)} "
          f"(limit {limit} s; 1 = ended by faulthandler)")


def depth_probe(depth: int = 256) -> None:
    """Time a CSS selector that matches only elements `depth` deep, on every real page."""
    import statistics

    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree

    selector = " > ".join(["*"] * depth)
    times, deep, pages = [], 0, 0
    for name in ("trafilatura-pages", "articles-61", "aut-example", "resiliparse-warcfile"):
        with open(DATA / "warc" / f"{name}.warc.gz", "rb") as fh:
            for rec in ArchiveIterator(fh, record_types=WarcRecordType.response, parse_http=True):
                if not rec.is_http or "html" not in (rec.http_content_type or ""):
                    continue
                body = rec.reader.read()
                tree = HTMLTree.parse(bytes_to_str(body, detect_encoding(body)))
                t = time.perf_counter()
                deep += tree.document.query_selector(selector) is not None
                times.append(time.perf_counter() - t)
                pages += 1
    print(f"{pages} real pages, {deep} with elements {depth} deep; probe median {statistics.median(times) * 1e3:.2f} ms, "
          f"max {max(times) * 1e3:.1f} ms")
    for kind, n in (("nested_div", 2_000), ("p_tags", 1_200_000)):
        tree = HTMLTree.parse(page(kind, n))
        t = time.perf_counter()
        hit = tree.document.query_selector(selector) is not None
        print(f"{kind} {n:,}: deep={hit}, probe {(time.perf_counter() - t) * 1e3:.1f} ms")


if __name__ == "__main__":
    if sys.argv[1:2] == ["one"]:
        one(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1")
    elif sys.argv[1:2] == ["gil"]:
        gil()
    elif sys.argv[1:2] == ["faulthandler"]:
        faulthandler_limit()
    elif sys.argv[1:2] == ["depth"]:
        depth_probe()
    else:
        table()
