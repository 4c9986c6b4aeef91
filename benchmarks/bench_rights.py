"""Speed of the rights steps on real WARCs, robots.txt lookups at a million hosts, and the
share of Google's robots.txt conformance checks passed.

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/bench_rights.py [--hosts 1000000]

1. Pages per second of `opt_out` (headers and head scan; then with a robots.txt WARC index),
   `license` and, as the reference, `extract`, each over the same HTML pages of every real WARC
   in ../shared/data/warc, in one process (median of 3 passes).
2. robots.txt at scale: a WARC of `--hosts` robots.txt captures (real files from
   ../shared/data/robots/protego under 4 KB, cycled, each under its own host name; every tenth
   given a real-world `User-agent: GPTBot / Disallow: /private/` group) is written once
   under .bench/, indexed (time, index bytes, process memory), then looked up for 100,000
   pages of random hosts (every lookup a cache miss: seek, inflate, parse, compile) and for
   100,000 pages of 1,000 hosts (the LRU's case: a crawl's pages come host by host).
3. Google's robots_test.cc checks (tests/data/google_robotstxt_cases.json) passed by
   fruitstand's matcher and by Python's urllib.robotparser (and protego, when installed).

The last line is the rights steps' cost against extraction's. Results: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
SCRATCH = REPO / ".bench"
sys.path.insert(0, str(REPO / "src"))

from fruitstand.document import Document  # noqa: E402
from fruitstand.io.readers import read  # noqa: E402
from fruitstand.registry import make_step  # noqa: E402
from fruitstand.step import StepStats  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load_pages() -> list[Document]:
    docs = []
    for path in sorted((DATA / "warc").glob("*.warc.gz")):
        if "wat" in path.name or "wet" in path.name:
            continue
        docs += [d for d in read(path) if d.html is not None]
    return docs


def copy(docs: list[Document]) -> list[Document]:
    return [Document(d.id, d.text, dict(d.metadata), d.html, d.http_headers, d.warc_headers) for d in docs]


def time_step(table: dict, docs: list[Document], passes: int = 3) -> tuple[float, int]:
    step = make_step(table)
    step.setup()
    times, out = [], 0
    for _ in range(passes):
        batch = copy(docs)
        t = time.perf_counter()
        out = sum(1 for _ in step.process(batch, StepStats()))
        times.append(time.perf_counter() - t)
    return len(docs) / statistics.median(times), out


def robots_warc(n_hosts: int) -> tuple[Path, list[str]]:
    """A gzipped WARC of `n_hosts` robots.txt captures, written once (cached under .bench/)."""
    files = sorted(p for p in (DATA / "robots" / "protego").iterdir() if 0 < p.stat().st_size < 4096)
    bodies = [p.read_bytes() for p in files]
    hosts = [f"h{i}.{files[i % len(files)].name}" for i in range(n_hosts)]
    path = SCRATCH / f"robots-{n_hosts}.warc.gz"
    if path.exists():
        return path, hosts
    SCRATCH.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for i, host in enumerate(hosts):
            body = bodies[i % len(bodies)]
            if i % 10 == 0:
                body += b"\n\nUser-agent: GPTBot\nDisallow: /private/\n"
            http = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body
            head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://{host}/robots.txt\r\n"
                    f"WARC-Date: 2024-05-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:{uuid.UUID(int=i)}>\r\n"
                    f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n").encode()
            fh.write(gzip.compress(head + http + b"\r\n\r\n", compresslevel=6))
    tmp.rename(path)
    return path, hosts


def bench_robots_scale(n_hosts: int) -> dict:
    import tempfile

    from fruitstand.rights.captures import CaptureIndex
    from fruitstand.rights.opt_out import OptOut

    path, hosts = robots_warc(n_hosts)
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="rights-cache-", dir=SCRATCH)  # a first run's build
    before = rss_mb()
    t = time.perf_counter()
    step = OptOut(robots=str(path))
    step.setup()
    build_s = time.perf_counter() - t
    index = step._robots
    after = rss_mb()
    t = time.perf_counter()
    CaptureIndex(path, lambda cap: cap)  # what every other worker and later run does: load it
    load_s = time.perf_counter() - t
    rng = random.Random(1)
    html = b"<html><head><title>x</title></head><body>text</body></html>"

    def lookups(chosen: list[str]) -> tuple[float, list[bool]]:
        docs = [Document(str(i), "", {"url": f"https://{h}/private/page{i}.html"}, html=html, http_headers=[])
                for i, h in enumerate(chosen)]
        t0 = time.perf_counter()
        verdicts = [bool(step.signals(d)) for d in docs]
        return len(docs) / (time.perf_counter() - t0), verdicts

    cold_hosts = [hosts[rng.randrange(n_hosts)] for _ in range(100_000)]
    cold_rate, verdicts = lookups(cold_hosts)
    injected = [int(h[1:].split(".", 1)[0]) % 10 == 0 for h in cold_hosts]
    cold_dropped = sum(verdicts)
    # Every page of a host given the GPTBot group must go; the others go only where the real
    # 2019 file itself bars an AI training crawler (CCBot, Scrapy, ... groups).
    expected = sum(injected)
    missed = sum(1 for v, i in zip(verdicts, injected) if i and not v)
    few = [hosts[rng.randrange(n_hosts)] for _ in range(1000)]
    warm_rate, _ = lookups([few[rng.randrange(1000)] for _ in range(100_000)])
    return {"hosts": index.hosts, "warc_mb": path.stat().st_size / 2**20, "build_s": build_s, "load_s": load_s,
            "index_mb": index.nbytes() / 2**20, "rss_growth_mb": after - before, "peak_rss_mb":
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "cold_per_s": cold_rate,
            "warm_per_s": warm_rate, "cold_dropped": cold_dropped, "cold_expected": expected, "missed": missed}


def conformance() -> dict[str, tuple[int, int]]:
    from urllib.robotparser import RobotFileParser

    from fruitstand.rights.robots import RobotsTxt, url_path

    cases = json.loads((REPO / "tests" / "data" / "google_robotstxt_cases.json").read_text())["allowed"]
    out = {}
    ok = sum(RobotsTxt.parse(c["robotstxt"].encode()).allowed(c["agent"], url_path(c["url"], encode=False)) == c["allowed"]
             for c in cases)
    out["fruitstand"] = (ok, len(cases))
    ok = 0
    for c in cases:
        rp = RobotFileParser()
        rp.parse(c["robotstxt"].splitlines())
        ok += rp.can_fetch(c["agent"], c["url"]) == c["allowed"]
    out["urllib.robotparser"] = (ok, len(cases))
    try:
        from protego import Protego
    except ImportError:
        return out
    ok = sum(Protego.parse(c["robotstxt"]).can_fetch(c["url"], c["agent"]) == c["allowed"] for c in cases)
    out["protego"] = (ok, len(cases))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=1_000_000)
    args = ap.parse_args()

    docs = load_pages()
    print(f"{len(docs)} HTML pages from {DATA / 'warc'}")
    robots_folder, _ = robots_warc(20_000)
    rates = {}
    for name, table in [("extract", {"kind": "extract"}), ("opt_out", {"kind": "opt_out"}),
                        ("opt_out+robots", {"kind": "opt_out", "robots": str(robots_folder)}),
                        ("license", {"kind": "license"})]:
        rate, out = time_step(table, docs)
        rates[name] = rate
        print(f"{name:15s} {rate:9.0f} pages/s  ({out} of {len(docs)} kept)")

    s = bench_robots_scale(args.hosts)
    print(f"robots.txt index: {s['hosts']:,} hosts from a {s['warc_mb']:.0f} MB WARC built in {s['build_s']:.1f} s, "
          f"loaded from the cache in {s['load_s']:.2f} s; "
          f"index {s['index_mb']:.1f} MB, process grew {s['rss_growth_mb']:.0f} MB (peak RSS {s['peak_rss_mb']:.0f} MB)")
    print(f"robots.txt lookups: {s['cold_per_s']:,.0f} pages/s over random hosts (each a cache miss), "
          f"{s['warm_per_s']:,.0f} pages/s over 1,000 hosts; dropped {s['cold_dropped']:,} of 100,000: all but "
          f"{s['missed']} of the {s['cold_expected']:,} on hosts given the GPTBot group, and "
          f"{s['cold_dropped'] - s['cold_expected'] + s['missed']:,} whose real file bars another AI crawler")
    for name, (ok, n) in conformance().items():
        print(f"Google robots_test.cc checks passed by {name}: {ok} of {n} ({ok / n:.1%})")
    both = 1 / (1 / rates["opt_out"] + 1 / rates["license"])
    print(f"ratio: opt_out + license run at {both / rates['extract']:.1f}x extract's speed "
          f"(they add {rates['extract'] / both:.1%} to extraction's time)")


if __name__ == "__main__":
    main()
