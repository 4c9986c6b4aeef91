"""Steps used only by the raw-record tests, loaded by the "module:Class" kind form."""

from __future__ import annotations

from dataclasses import dataclass

from fruitstand.document import header_values
from fruitstand.step import Mapper


@dataclass
class ReadsRaw(Mapper):
    """Records what of the raw record it sees; declares that it reads it."""

    kind = "tests.io.raw_steps:ReadsRaw"
    reads_raw = True
    needs = "text"
    columns = {"seen_html_bytes": "int", "seen_robots_tags": "string", "seen_warc_uri": "string"}

    def apply(self, doc):
        doc.metadata["seen_html_bytes"] = len(doc.html) if doc.html is not None else -1
        doc.metadata["seen_robots_tags"] = "|".join(header_values(doc.http_headers, "x-robots-tag"))
        doc.metadata["seen_warc_uri"] = (header_values(doc.warc_headers, "WARC-Target-URI") or [None])[0]
        return doc


@dataclass
class After(Mapper):
    """A plain text step: notes whether the raw record is still there when it runs."""

    kind = "tests.io.raw_steps:After"
    columns = {"raw_left": "int"}  # ("bool" columns fail in writers.py: pa.bool)

    def apply(self, doc):
        doc.metadata["raw_left"] = int(doc.html is not None or doc.http_headers is not None or doc.warc_headers is not None)
        return doc
