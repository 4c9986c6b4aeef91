"""Record datatrove's FineWeb filtering decisions on real English text held out from tuning.

    /work/main/.venv-datatrove/bin/python tests/data/record_datatrove_fineweb.py

(any venv with `datatrove[processing]` 0.10, spacy, orjson and lxml_html_clean). Writes
`tests/data/datatrove_fineweb_decisions.json`, which `tests/filters/test_fineweb_default.py`
compares fruitstand's default recipe with.

The chain is FineWeb's as datatrove's examples/fineweb.py builds it, after extraction and
language ID: GopherRepetitionFilter() -> GopherQualityFilter() ->
C4QualityFilter(filter_no_terminal_punct=False) -> FineWebQualityFilter(), each seeing what the
one before it left (C4 edits the text). A kept document is "keep:" and the SHA-1 of its final
text; a dropped one "FILTER:reason", naming the first filter that dropped it.

Documents (`shared/data/text`, see `shared/data/SOURCES.md`), none of them among those the
filters were tuned on (record_datatrove_decisions.py used the first 500 Common Crawl lines and
the first 300 BBC articles): the rest of the Common Crawl sample (lines 500-696), both CCNet
samples (20 pages) and BBC articles 1000-1199, those whose letters are at least 90 % Latin.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data" / "text"
SOURCES = {  # prefix: (file, first line, end line)
    "cc": ("CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", 500, 697),
    "ccnet91": ("cc_en_head-0091.jsonl.gz", 0, 10),
    "ccnet174": ("cc_en_head-0174.jsonl.gz", 0, 10),
    "bbc": ("bbc-news.jsonl.gz", 1000, 1200),
}
FILTERS = ("gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality")


def latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c < "\u0250" for c in letters) / max(1, len(letters))


def documents() -> dict[str, str]:
    """The documents compared, by id (`cc:517` is line 517 of the Common Crawl sample)."""
    out = {}
    for prefix, (name, first, end) in SOURCES.items():
        with gzip.open(DATA / name, "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i >= end:
                    break
                if i >= first:
                    text = json.loads(line)["text"]
                    if latin_share(text) >= 0.9:
                        out[f"{prefix}:{i}"] = text
    return out


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def main() -> None:
    # Imported here: the test reads `documents()` from this file without datatrove installed.
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    chain = list(zip(FILTERS, [GopherRepetitionFilter(), GopherQualityFilter(),
                               C4QualityFilter(filter_no_terminal_punct=False), FineWebQualityFilter()]))
    decisions = {}
    for doc_id, text in documents().items():
        doc = Document(text=text, id=doc_id)
        verdict = "keep"
        for name, step in chain:
            out = step.filter(doc)
            if out is not True:
                verdict = f"{name}:{out[1] if isinstance(out, tuple) else 'drop'}"
                break
        decisions[doc_id] = f"keep:{text_digest(doc.text)}" if verdict == "keep" else verdict
    out = {
        "datatrove": "0.10",
        "chain": "GopherRepetitionFilter() GopherQualityFilter() C4QualityFilter(filter_no_terminal_punct=False) "
                 "FineWebQualityFilter()",
        "sources": {k: {"file": v[0], "lines": [v[1], v[2]]} for k, v in SOURCES.items()},
        "decisions": decisions,
    }
    (HERE / "datatrove_fineweb_decisions.json").write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")
    print(sum(v.startswith("keep") for v in decisions.values()), "kept of", len(decisions))


if __name__ == "__main__":
    main()
