"""Record datatrove's Gopher, C4 and FineWeb decisions on real English documents.

    /work/main/.venv-datatrove/bin/python tests/data/record_datatrove_decisions.py

(any venv with `datatrove[processing]` 0.10, spacy, orjson and lxml_html_clean). Writes
`tests/data/datatrove_decisions.json`, which `tests/filters/test_datatrove_agreement.py`
compares fruitstand's filters with, so the test suite itself needs no datatrove.

Documents: the first 500 of the Common Crawl sample and the first 300 BBC News articles in
`shared/data/text` (see `shared/data/SOURCES.md`) whose letters are at least 90 % Latin,
each filter run alone on the raw text with
datatrove's English defaults. A kept document is "keep", a dropped one its reason; for C4,
which edits the text, a kept document also records the SHA-1 of its cleaned text.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data" / "text"
SOURCES = {
    "cc": ("CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", 500),
    "bbc": ("bbc-news.jsonl.gz", 300),
}


def latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c < "\u0250" for c in letters) / max(1, len(letters))


def documents() -> dict[str, str]:
    """The documents compared, by id (`cc:17` is line 17 of the Common Crawl sample).

    Pages mostly in another script (the crawl sample holds a few Japanese and Korean ones)
    are left out: the comparison is of English rules on English-script text.
    """
    out = {}
    for prefix, (name, limit) in SOURCES.items():
        with gzip.open(DATA / name, "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i == limit:
                    break
                text = json.loads(line)["text"]
                if latin_share(text) >= 0.9:
                    out[f"{prefix}:{i}"] = text
    return out


def decide(step, doc_id: str, text: str) -> str:
    from datatrove.data import Document

    doc = Document(text=text, id=doc_id)
    verdict = step.filter(doc)
    if verdict is True:
        if type(step).__name__ == "C4QualityFilter":
            return "keep:" + hashlib.sha1(doc.text.encode("utf-8")).hexdigest()[:12]
        return "keep"
    return verdict[1] if isinstance(verdict, tuple) else "drop"


def main() -> None:
    # Imported here: the test reads `documents()` from this file without datatrove installed.
    import datatrove
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    docs = documents()
    steps = {
        "gopher_repetition": GopherRepetitionFilter(),
        "gopher_quality": GopherQualityFilter(),
        "c4_quality": C4QualityFilter(),
        "fineweb_quality": FineWebQualityFilter(),
    }
    decisions = {name: {i: decide(step, i, t) for i, t in docs.items()} for name, step in steps.items()}
    out = {
        "datatrove": datatrove.__version__ if hasattr(datatrove, "__version__") else "0.10",
        "sources": {k: {"file": v[0], "first": v[1]} for k, v in SOURCES.items()},
        "decisions": decisions,
    }
    (HERE / "datatrove_decisions.json").write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")
    for name, d in decisions.items():
        print(name, sum(v.startswith("keep") for v in d.values()), "kept of", len(d))


if __name__ == "__main__":
    main()
