"""Two corpora from the same real WARCs (../shared/data/warc): curated by the default recipe, and raw.

The raw corpus is what a crawl gives before curation: each page's whole text (resiliparse
without main-content extraction, so the site's real navigation, footers and cookie notices
stay), no filter, no dedup, plus the junk every crawl holds: keyword-spam pages, one page
repeated many times, and pages whose UTF-8 was decoded as cp1252 (mojibake).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import fruitstand

WARCS = ["trafilatura-pages.warc.gz", "articles-61.warc.gz"]
_SPAM = ["cheap", "best", "buy", "online", "discount", "casino", "bonus", "free", "viagra", "loans", "replica",
         "watches", "download", "crack", "keygen", "2024", "top", "deal", "sale", "win", "slots", "pills"]


def curated(shared: Path, out: Path) -> Path:
    fruitstand.run(None, inputs=[shared / "warc" / w for w in WARCS], output=out, workers=2, format="jsonl")
    return out


def raw(shared: Path, out: Path, seed: int = 0) -> Path:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    rng = random.Random(seed)
    texts = []
    for w in WARCS:
        for doc in fruitstand.read(shared / "warc" / w):
            if doc.html is None:
                continue
            try:
                tree = HTMLTree.parse_from_bytes(doc.html, "utf-8")
                text = extract_plain_text(tree, main_content=False, preserve_formatting=True)
            except Exception:  # noqa: BLE001 - a page resiliparse can't read is left out, as a crawl would
                continue
            if text.strip():
                texts.append(text)
    junk = []
    for _ in range(len(texts) // 4):  # keyword spam
        words = [rng.choice(_SPAM) for _ in range(rng.randint(80, 300))]
        junk.append(" ".join(words))
    junk += [texts[len(texts) // 3]] * 60  # one page many times
    for k in rng.sample(range(len(texts)), len(texts) // 5):  # mojibake
        texts[k] = texts[k].encode("utf-8").decode("cp1252", errors="replace")
    docs = texts + junk
    rng.shuffle(docs)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "raw.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i, t in enumerate(docs):
            fh.write(json.dumps({"id": f"raw-{i}", "text": t}, ensure_ascii=False) + "\n")
    return path
