"""The one record type that flows through every step.

A document is its text plus a flat metadata dict. `url`, `source`, `language`,
`language_score` live in metadata like every field a step adds, so readers, writers and
steps treat them alike.

Web-archive records also carry their raw record: the HTML bytes, the HTTP headers and the
WARC headers, each header list as (name, value) pairs in the order sent, repeats kept
(`X-Robots-Tag` and `Link` often come twice). `extract` reads it, and so do the steps that
declare `reads_raw` (licence and opt-out detection); the run drops it after the last step
that needs it (`raw_until` in step.py), so it is never written out nor stored between
stages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Columns every output shard has, in this order, before the free-form metadata columns.
CORE_COLUMNS = ("id", "text", "url", "language")

# (name, value) pairs in the order received; a name may repeat.
Headers = list[tuple[str, str]]


@dataclass(slots=True)
class Document:
    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    # The raw record of a web-archive document, until the last step that reads it.
    html: bytes | None = None
    http_headers: Headers | None = None
    warc_headers: Headers | None = None

    @property
    def url(self) -> str | None:
        return self.metadata.get("url")

    @property
    def language(self) -> str | None:
        return self.metadata.get("language")

    def drop_raw(self) -> None:
        self.html = self.http_headers = self.warc_headers = None


def header_values(headers: Headers | dict[str, str] | None, name: str) -> list[str]:
    """Every value of header `name` (any case), in order; a dict (one value per name) also works."""
    if not headers:
        return []
    pairs: Iterable[tuple[str, str]] = headers.items() if isinstance(headers, dict) else headers
    name = name.lower()
    return [v for k, v in pairs if k.lower() == name]
