"""Train the quality model shipped as `quality_classifier`'s `model = "default"`.

    .venv/bin/python scripts/train_default_classifier.py [--shared ../shared/data]

Positive ("reference") text, openly licensed or published for research, as the issue asks:
Wikipedia pages (CC BY-SA; gensim's test dump), news (BBC News, ABC news from the Lee corpus,
Urdu news), clean extracted articles (the article-extraction benchmark's and goose3's expected
texts, several languages), and sentences in 75 languages (lingua's test data, Leipzig Corpora
Collection) grouped into paragraphs. Negative text: raw web text as a pipeline first sees it:
Common Crawl WET-derived documents and every HTML page of the real crawl WARCs, extracted by
`extract` but not filtered. The data, its licences and the model's limits are in
`src/fruitstand/classify/data/MODEL_CARD.md`; rerun this script after changing it.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import json
import re
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "fruitstand" / "classify" / "data" / "default.npz"
CRAWL_WARCS = ("aut-example.warc.gz", "sample-0000.warc.gz", "sample-0001.warc.gz", "science-0.warc.gz",
               "science-1.warc.gz", "whirlwind.warc.gz", "pywb-iana.warc.gz", "resiliparse-warcfile.warc.gz",
               "ukwa-IAH-urls-wget.warc.gz")


def wiki_pages(path: Path) -> list[str]:
    """Plain text of each page of a MediaWiki XML dump: markup cut with a few regexes."""
    out = []
    with bz2.open(path) as fh:
        for _, el in ElementTree.iterparse(fh):
            if el.tag.endswith("}text") and el.text:
                text = wikitext_to_plain(el.text)
                if len(text) > 500 and not text.lower().startswith("#redirect"):
                    out.append(text)
            el.clear()
    return out


def wikitext_to_plain(s: str) -> str:
    s = re.sub(r"<!--.*?-->", "", s, flags=re.S)
    s = re.sub(r"<ref[^>/]*/>", "", s)
    s = re.sub(r"<ref[^>]*>.*?</ref>", "", s, flags=re.S)
    for _ in range(5):  # nested templates, innermost first
        s = re.sub(r"\{\{[^{}]*\}\}", "", s)
    s = re.sub(r"\{\|.*?\|\}", "", s, flags=re.S)  # tables
    s = re.sub(r"\[\[(?:File|Image|Category):[^\[\]]*(?:\[\[[^\]]*\]\][^\[\]]*)*\]\]", "", s)
    s = re.sub(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]", r"\1", s)
    s = re.sub(r"\[https?://\S+ ([^\]]*)\]", r"\1", s)
    s = re.sub(r"'{2,}", "", s)
    s = re.sub(r"^=+\s*(.*?)\s*=+\s*$", r"\1", s, flags=re.M)
    s = re.sub(r"<[^>]+>", "", s)
    lines = [ln.strip() for ln in s.splitlines()]
    return "\n".join(ln for ln in lines if ln and not ln.startswith(("*", "|", "!", "{", "}")))


def positives(shared: Path, *, sentences: bool = True) -> list[str]:
    docs = wiki_pages(shared / "text" / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt", encoding="utf-8") as fh:
        docs += sorted({json.loads(line)["text"] for line in fh})
    docs += [ln.strip() for ln in (shared / "text" / "lee_background.cor").read_text(encoding="utf-8").splitlines()
             if len(ln) > 200]
    truth = json.loads((shared / "extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    docs += [v["articleBody"] for v in truth.values() if v.get("articleBody")]
    for path in sorted((shared / "html" / "goose3" / "content").glob("*.json")):
        text = json.loads(path.read_text(encoding="utf-8")).get("expected", {}).get("cleaned_text") or ""
        if len(text) > 200:
            docs.append(text)
    for path in sorted((shared / "urdu-news").glob("train-*.txt")):
        docs.append(path.read_text(encoding="utf-8"))
    for path in sorted((shared / "lang").glob("*.txt")) if sentences else ():
        sentences = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        docs += [" ".join(sentences[i:i + 20]) for i in range(0, len(sentences), 20)]
    return docs


def negatives(shared: Path) -> list[str]:
    from fruitstand.extract.extract import Extract
    from fruitstand.io.readers import read

    docs = []
    for name in ("CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", "cc_en_head-0091.jsonl.gz",
                 "cc_en_head-0174.jsonl.gz"):
        docs += [d.text for d in read(shared / "text" / name) if d.text.strip()]
    extract = Extract()
    extract.setup()
    for name in CRAWL_WARCS:
        for doc in read(shared / "warc" / name):
            out = extract.apply(doc)
            if out is not None and not isinstance(out, tuple) and out.text.strip():
                docs.append(out.text)
    return docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--output", default=str(OUT))
    args = parser.parse_args()
    from fruitstand.classify.train import train_classifier

    shared = Path(args.shared)
    pos, neg = positives(shared), negatives(shared)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, docs in (("reference", pos), ("raw-web", neg)):
            p = Path(tmp) / f"{name}.jsonl"
            with open(p, "w", encoding="utf-8") as fh:
                for i, text in enumerate(docs):
                    fh.write(json.dumps({"id": f"{name}-{i:05d}", "text": text}, ensure_ascii=False) + "\n")
            paths.append(str(p))
        manifest = train_classifier([paths[0]], [paths[1]], args.output, overwrite=True)
    print(json.dumps({"documents": manifest["documents"], "metrics": manifest["metrics"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
