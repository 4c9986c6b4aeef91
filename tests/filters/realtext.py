"""Real text from ../shared/data that the filter tests share (see ../shared/data/SOURCES.md)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import lxml.html

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
URD = {"language": "urd", "script": "Arab"}
CMN = {"language": "cmn", "script": "Hani"}
ENG = {"language": "eng", "script": "Latn"}
THA = {"language": "tha", "script": "Thai"}


def urdu_article(name: str = "test-bus100.txt") -> str:
    """A BBC Urdu story with its sentence marks (urdu-news/test-bus100.txt by default)."""
    return (DATA / "urdu-news" / name).read_text(encoding="utf-8").strip()


def chinese_article(case: str = "gmw") -> str:
    """The <p> paragraphs of a Readability test page's expected Chinese text."""
    html = gzip.open(DATA / "html" / "readability" / case / "expected.html.gz").read().decode("utf-8")
    paras = [p.text_content().strip() for p in lxml.html.fromstring(html).iter("p")]
    return "\n".join(p for p in paras if p)


def english_article(i: int = 0) -> str:
    """The i-th BBC News article."""
    with gzip.open(DATA / "text" / "bbc-news.jsonl.gz", "rt", encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n == i:
                return json.loads(line)["text"]
    raise IndexError(i)


def sentences(code: str, n: int) -> list[str]:
    """The first n sentences of lang/{code}.txt."""
    lines = (DATA / "lang" / f"{code}.txt").read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip()][:n]
