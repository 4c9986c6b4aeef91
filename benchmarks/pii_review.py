"""Every `pii` hit on the real pages of ../shared/data, with its context, for a person to review.

    .venv/bin/python benchmarks/pii_review.py [--show] [--baseline-src DIR] [--other]

Pages: the HTML responses of every WARC in shared/data/warc (extracted by fruitstand's
`extract`), the Common Crawl WET-derived and CCNet documents and BBC News articles of
shared/data/text, and the Urdu news articles. Prints the counts per type and source; with
`--show`, each hit with 60 characters either side (on the terminal only: the review's verdicts
and counts, not the personal data, go in benchmarks/results/privacy.md). With `--baseline-src`
(the `src` of an earlier version, e.g. from `git archive`), also the earlier `pii`'s counts on the
same pages, and the hits that overlap none of its hits of their type (with `--show`, only those):
what a change adds, for review. `--other` reads, instead of the pages, the rest of shared/data's
real text: the Wikipedia dump (in 100,000-character pieces), gensim's `.cor` corpora, the
`cc_en_head` samples, and the raw HTML (not extracted) of `html/` and `extraction/`.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import importlib.util
import json
import sys
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


def other_texts():
    wiki = DATA / "text" / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    raw = bz2.open(wiki, "rt", encoding="utf-8", errors="replace").read()
    for i in range(0, len(raw), 100_000):
        yield "text/enwiki", raw[i : i + 100_000]
    for name in ("head500.noblanks.cor", "lee_background.cor", "lee.cor"):
        yield f"text/{name}", (DATA / "text" / name).read_text(encoding="utf-8", errors="replace")
    for name in ("cc_en_head-0091.jsonl.gz", "cc_en_head-0174.jsonl.gz"):
        with gzip.open(DATA / "text" / name, "rt", encoding="utf-8") as f:
            for line in f:
                yield f"text/{name}", json.loads(line).get("text", "")
    for p in sorted([*(DATA / "html").rglob("*"), *(DATA / "extraction").rglob("*")]):
        if not p.is_file() or p.stat().st_size > 5_000_000:
            continue
        data = p.read_bytes()
        if p.suffix == ".gz":
            try:
                data = gzip.decompress(data)
            except OSError:
                continue
        yield str(p.relative_to(DATA))[:48], data.decode("utf-8", "replace")


def _baseline_find(src: str):
    """`find` of the pii module under another source tree, loaded beside this one."""
    spec = importlib.util.spec_from_file_location("baseline_pii", Path(src) / "fruitstand" / "privacy" / "pii.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_pii"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module.find


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--baseline-src", help="also count the hits of the pii step under this src directory")
    ap.add_argument("--other", action="store_true", help="the rest of shared/data's text instead of the pages")
    args = ap.parse_args()
    base_find = _baseline_find(args.baseline_src) if args.baseline_src else None
    n_pages, by_type, by_source, base_type, new_type, lost = 0, Counter(), Counter(), Counter(), Counter(), 0
    for source, text in other_texts() if args.other else pages():
        n_pages += 1
        hits = find(text)
        base = base_find(text) if base_find else None
        for h in hits:
            by_type[h.type] += 1
            by_source[source] += 1
            new = base is not None and not any(b.type == h.type and b.start < h.end and h.start < b.end for b in base)
            new_type[h.type] += new
            if args.show and (base is None or new):
                ctx = (text[max(0, h.start - 60) : h.start] + "[[" + h.value + "]]" + text[h.end : h.end + 60])
                print(f"{h.type:6} {source:50} {ctx!r}")
        if base is not None:
            base_type.update(b.type for b in base)
            lost += sum(not any(b.type == h.type and b.start < h.end and h.start < b.end for h in hits) for b in base)
    print(f"{n_pages} {'texts' if args.other else 'pages'}, {sum(by_type.values())} hits: {dict(by_type)}")
    for s, n in by_source.most_common():
        print(f"  {s}: {n}")
    if base_find:
        print(f"baseline: {sum(base_type.values())} hits: {dict(base_type)}")
        print(f"new (overlapping no baseline hit of their type): {sum(new_type.values())}: "
              f"{ {k: v for k, v in new_type.items() if v} }; baseline hits with no hit now: {lost}")


if __name__ == "__main__":
    main()
