"""Every `pii` hit on the real pages of ../shared/data, with its context, for a person to review.

    .venv/bin/python benchmarks/pii_review.py [--show]

Pages: the HTML responses of every WARC in shared/data/warc (extracted by fruitstand's
`extract`), the Common Crawl WET-derived and CCNet documents and BBC News articles of
shared/data/text, and the Urdu news articles. Prints the counts per type and source; with
`--show`, each hit with 60 characters either side (on the terminal only: the review's verdicts
and counts, not the personal data, go in benchmarks/results/privacy.md).
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import Counter
from pathlib import Path

from fruitstand.document import Document
from fruitstand.extract.extract import Extract
from fruitstand.io.readers import read
from fruitstand.privacy.pii import find

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pages():
    ex = Extract()
    ex.setup()
    for warc in sorted((DATA / "warc").glob("*.warc.gz")):
        if warc.name.endswith((".wat.gz",)):
            continue
        for doc in read(warc):
            if warc.name.endswith(".wet.gz"):
                yield f"warc/{warc.name}", doc.text
                continue
            try:
                out = ex.apply(doc)
            except Exception:
                continue
            if isinstance(out, Document) and out.text:
                yield f"warc/{warc.name}", out.text
    for name in sorted((DATA / "text").glob("*.jsonl.gz")):
        with gzip.open(name, "rt", encoding="utf-8") as f:
            for line in f:
                yield f"text/{name.name}", json.loads(line)["text"]
    for p in sorted((DATA / "urdu-news").glob("*.txt")):
        yield "urdu-news", p.read_text(encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args()
    n_pages, by_type, by_source = 0, Counter(), Counter()
    for source, text in pages():
        n_pages += 1
        for h in find(text):
            by_type[h.type] += 1
            by_source[source] += 1
            if args.show:
                ctx = (text[max(0, h.start - 60) : h.start] + "[[" + h.value + "]]" + text[h.end : h.end + 60])
                print(f"{h.type:6} {source:50} {ctx!r}")
    print(f"{n_pages} pages, {sum(by_type.values())} hits: {dict(by_type)}")
    for s, n in by_source.most_common():
        print(f"  {s}: {n}")


if __name__ == "__main__":
    main()
