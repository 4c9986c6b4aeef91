"""Throughput of the quality filters and of `text.words`, per language, on real text.

    .venv/bin/python benchmarks/bench_quality_filters.py

English: the 728 Latin-script pages of the datatrove comparison (Common Crawl sample + BBC
News); Urdu: the 250 urdu-news articles; Chinese: the 500 Leipzig sentences of lang/zh.txt in
documents of 10; Japanese and Thai likewise. Each figure is the median of 3 runs, in MB of
UTF-8 text per second on one core, with the token cache cleared before each run.
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
from pathlib import Path

from fruitstand.document import Document
from fruitstand.filters import text
from fruitstand.filters.c4_quality import C4Quality
from fruitstand.filters.fineweb_quality import FineWebQuality
from fruitstand.filters.gopher_quality import GopherQuality
from fruitstand.filters.gopher_repetition import GopherRepetition

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def corpora() -> dict[str, tuple[list[str], dict]]:
    en = []
    for name, limit in (("CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", 500), ("bbc-news.jsonl.gz", 300)):
        with gzip.open(SHARED / "text" / name, "rt", encoding="utf-8") as f:
            en += [json.loads(line)["text"] for _, line in zip(range(limit), f)]
    out = {"eng": (en, {"language": "eng", "script": "Latn"}),
           "urd": ([p.read_text(encoding="utf-8") for p in sorted((SHARED / "urdu-news").glob("*.txt"))],
                   {"language": "urd", "script": "Arab"})}
    for code, lang, script in (("zh", "cmn", "Hani"), ("ja", "jpn", "Jpan"), ("th", "tha", "Thai")):
        lines = (SHARED / "lang" / f"{code}.txt").read_text(encoding="utf-8").splitlines()
        out[lang] = (["\n".join(lines[i : i + 10]) for i in range(0, len(lines), 10)], {"language": lang, "script": script})
    return out


def rate(fn, docs: list[str]) -> float:
    size = sum(len(d.encode("utf-8")) for d in docs)
    times = []
    for _ in range(3):
        text._tokens.cache_clear()
        start = time.perf_counter()
        for d in docs:
            fn(d)
        times.append(time.perf_counter() - start)
    return size / statistics.median(times) / 1e6


def main() -> None:
    steps = [GopherRepetition(), GopherQuality(), C4Quality(), FineWebQuality()]
    print("| language | docs | MB | words() | " + " | ".join(s.kind for s in steps) + " |")
    print("|---" * (4 + len(steps)) + "|")
    for lang, (docs, meta) in corpora().items():
        text.words(docs[0], meta["language"], meta["script"])  # load the segmenter first
        cells = [f"{rate(lambda d, m=meta: text.words(d, m['language'], m['script']), docs):.2f}"]
        for step in steps:
            run = step.apply if isinstance(step, C4Quality) else step.keep
            cells.append(f"{rate(lambda d, r=run, m=meta: r(Document(id='b', text=d, metadata=dict(m))), docs):.2f}")
        mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
        print(f"| {lang} | {len(docs)} | {mb:.2f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
