"""`extract`: turn a web page's HTML into its main text and title.

The default backend is resiliparse's C++ parser on the page cut of its scripts, styles
and SVG (prune.py), narrowed to the article's container (main_content.py), whose blocks a
small learned model then keeps or drops (blocks.py, weights shipped in the package). It is
measured against trafilatura on four labelled benchmarks, on pages used for no choice
(held-out halves), at about ten times trafilatura's speed; DCLM found resiliparse and
trafilatura equally good for model quality (numbers, command, what is still below
trafilatura: benchmarks/results/extraction.md). `backend = "trafilatura"`
runs trafilatura's own extraction (its settings that scored best), under a per-page time
limit. The HTML and headers are left on the document for later steps that read them; the
run drops them after the last (step.raw_until), and they are never written out.

Drop reasons: `html_too_large` (over `max_html_bytes`, left unparsed: a page that size is
a data dump, not an article), `binary_content` (NUL bytes: an image or PDF served as
HTML), `empty_text` (under `min_chars` of text after extraction),
`extract_timeout` (trafilatura past `timeout_s`).
"""

from __future__ import annotations

from dataclasses import dataclass

from fruitstand import params
from fruitstand.document import Document
from fruitstand.extract import nodecache
from fruitstand.extract.blocks import default_model
from fruitstand.extract.deadline import Deadline, DeadlineExceeded
from fruitstand.extract.decode import decode_html, looks_binary
from fruitstand.extract.main_content import main_text
from fruitstand.extract.mojibake import fix_mojibake
from fruitstand.extract.prune import drop_inert
from fruitstand.step import Mapper

BACKENDS = ("resiliparse", "trafilatura")


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
    # resiliparse: extract the article's container (found from its paragraphs) and trim
    # label-like lines off both ends (main_content.py); False gives one pass of resiliparse's
    # main-content rules over the whole page.
    find_container: bool = True
    # resiliparse: keep the container's blocks that a small learned model scores as article
    # (blocks.py; its weights ship in the package); False keeps them all and trims the edges.
    block_model: bool = True
    # Repair UTF-8-read-as-Latin-1 mojibake with ftfy where a cheap check finds signs of it.
    fix_mojibake: bool = True
    # trafilatura only: seconds one page may take before it is dropped as extract_timeout.
    timeout_s: float = 10.0

    def validate(self) -> None:
        params.one_of(self, "backend", BACKENDS)
        params.at_least(self, "max_html_bytes", 1)
        params.at_least(self, "min_chars", 0)
        params.at_least(self, "timeout_s", 0.001)

    def setup(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"extract: unknown backend {self.backend!r}; use one of {', '.join(BACKENDS)}")
        if self.backend == "resiliparse" and self.block_model:
            default_model()  # read once, before the first page (and a broken file fails here)
        if self.backend == "trafilatura":
            import trafilatura  # noqa: F401  (import cost paid once, not on the first page)

            self._deadline = Deadline()

    def apply(self, doc: Document) -> Document | tuple[None, str]:
        html = doc.html
        if html is None:  # already text (WET, JSONL, ...): nothing to extract
            return doc
        headers = doc.http_headers  # the raw record stays: the run drops it after its last reader
        if len(html) > self.max_html_bytes:
            return None, "html_too_large"
        if looks_binary(html):
            return None, "binary_content"
        if self.backend == "resiliparse":  # trafilatura reads JSON-LD scripts: it gets the page whole
            html = drop_inert(html)
        page = decode_html(html, headers)
        title, text = self._extract(page)
        if text is None:
            return None, "extract_timeout"
        if self.fix_mojibake:
            text = fix_mojibake(text)
            title = fix_mojibake(title)
        if len(text) < self.min_chars or not text.strip():
            return None, "empty_text"
        doc.text = text
        if title:
            doc.metadata["title"] = title
        return doc

    def _extract(self, page: str) -> tuple[str, str | None]:
        from resiliparse.parse.html import HTMLTree

        if self.backend == "resiliparse":
            with nodecache.page_scope():  # resiliparse's node wrappers in a plain dict for this page
                tree = HTMLTree.parse(page)
                title = " ".join((tree.title or "").split())
                keep = self.find_container
                model = default_model() if self.block_model else None
                return title, main_text(page, tree, find_container=keep, trim_edges=keep, model=model)
        tree = HTMLTree.parse(page)
        title = " ".join((tree.title or "").split())
        import trafilatura

        # Defaults beat favor_precision/favor_recall on the benchmark; fast=True skips the
        # readability/justext fallbacks at the same F1 and several times the speed.
        def run() -> str:
            return trafilatura.extract(page, fast=True, include_comments=False) or ""

        if "_deadline" not in self.__dict__:  # apply() called without setup()
            self._deadline = Deadline()
        try:
            return title, self._deadline.call(run, self.timeout_s).strip()
        except DeadlineExceeded:
            return title, None
