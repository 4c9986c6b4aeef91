"""The one record type that flows through every step.

A document is its text plus a flat metadata dict. `url`, `source`, `language`,
`language_score` live in metadata like every field a step adds, so readers, writers and
steps treat them alike. Raw HTML and HTTP headers ride along only until `extract`
replaces them with text: they are never written out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Columns every output shard has, in this order, before the free-form metadata columns.
CORE_COLUMNS = ("id", "text", "url", "language")


@dataclass(slots=True)
class Document:
    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    # Raw payload of web-archive records, for steps that run before `extract`.
    html: bytes | None = None
    http_headers: dict[str, str] | None = None

    @property
    def url(self) -> str | None:
        return self.metadata.get("url")

    @property
    def language(self) -> str | None:
        return self.metadata.get("language")
