"""`extract`: turn a web page's HTML into its main text.

resiliparse is the default backend: a C++ DOM parser with main-content heuristics, many
times faster than trafilatura, and DCLM found the two equally good for model quality.
trafilatura is there as `backend = "trafilatura"`. The HTML is dropped once text exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from fruitstand.document import Document
from fruitstand.step import Mapper


def _decode(html: bytes, headers: dict[str, str] | None) -> str:
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    return bytes_to_str(html, detect_encoding(html))


@dataclass
class Extract(Mapper):
    kind = "extract"
    needs = "html"
    produces_text = True
    columns = {"title": "string"}

    backend: str = "resiliparse"
    # Pages larger than this are skipped unparsed (a 100 MB page is never an article).
    max_html_bytes: int = 5_000_000
    # Extracted texts shorter than this (in characters) are dropped as empty.
    min_chars: int = 1

    def setup(self) -> None:
        if self.backend not in ("resiliparse", "trafilatura"):
            raise ValueError(f"extract: unknown backend {self.backend!r} (resiliparse or trafilatura)")

    def apply(self, doc: Document) -> Document | tuple[None, str]:
        html = doc.html
        if html is None:  # already text (WET, JSONL, ...): nothing to extract
            return doc
        doc.html = None
        doc.http_headers = None
        if len(html) > self.max_html_bytes:
            return None, "html_too_large"
        if self.backend == "trafilatura":
            import trafilatura

            text = trafilatura.extract(_decode(html, None), favor_precision=True, include_comments=False) or ""
        else:
            from resiliparse.extract.html2text import extract_plain_text
            from resiliparse.parse.html import HTMLTree

            tree = HTMLTree.parse(_decode(html, None))
            text = extract_plain_text(tree, main_content=True)
        text = text.strip()
        if len(text) < self.min_chars:
            return None, "empty_text"
        doc.text = text
        return doc
