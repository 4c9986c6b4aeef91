"""Fast reads of the opt-out signals a page carries in its headers and its HTML <head>.

No HTML parser: `<meta>` tags are found by a byte scan of the page's head (up to `</head>`
or `<body`, at most 256 KB), which is where they are allowed; attributes in any quoting and
case. This costs microseconds a page, so the opt-out step can run before extraction.
"""

from __future__ import annotations

import html as html_lib
import re

from fruitstand.document import Headers, header_values

_HEAD_LIMIT = 256 << 10
_HEAD_END = re.compile(rb"</head\s*>|<body[\s>]", re.IGNORECASE)
_META = re.compile(rb"<meta\s([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(rb"""([a-zA-Z_:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)


def head_of(html: bytes) -> bytes:
    head = html[:_HEAD_LIMIT]
    m = _HEAD_END.search(head)
    head = head[:m.start()] if m else head
    return _COMMENT.sub(b"", head) if b"<!--" in head else head


def meta_tags(html: bytes | None) -> list[dict[str, str]]:
    """The attributes of every <meta> in the page's head: names lower-cased, values unescaped."""
    return tags(head_of(html), b"meta") if html else []


def tags(head: bytes, name: bytes, holding: tuple[bytes, ...] = ()) -> list[dict[str, str]]:
    """The attributes of every `<NAME ...>` tag in `head` (a page's head, from head_of); with
    `holding`, only of the tags whose lower-cased text holds one of those words."""
    pattern = _META if name == b"meta" else re.compile(rb"<" + name + rb"\s([^>]*)>", re.IGNORECASE)
    out = []
    for m in pattern.finditer(head):
        if holding and not any(w in m.group(1).lower() for w in holding):
            continue
        attrs = {}
        for a in _ATTR.finditer(m.group(1)):
            value = a.group(2) if a.group(2) is not None else a.group(3) if a.group(3) is not None else a.group(4)
            attrs[a.group(1).decode("ascii", "replace").lower()] = html_lib.unescape(value.decode("utf-8", "replace"))
        out.append(attrs)
    return out


def robots_directives(headers: Headers | None, metas: list[dict[str, str]], agents: set[str]) -> set[str]:
    """Directives (lower-cased) that apply to all robots or to one of `agents` (lower-cased tokens):
    from `X-Robots-Tag` headers ("noai", "GPTBot: noai, noindex") and `<meta name="robots">` or
    `<meta name="BOTNAME">`."""
    found: set[str] = set()
    for value in header_values(headers, "x-robots-tag"):
        # "bot: a, b" scopes the directives to one bot; an unscoped list applies to every bot.
        scope, sep, rest = value.partition(":")
        if sep and re.fullmatch(r"\s*[A-Za-z][A-Za-z0-9_ -]*\s*", scope) and scope.strip().lower() not in (
                "unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"):
            bot = scope.strip().lower()
            if bot not in agents and bot not in ("robots", "*"):
                continue
            value = rest
        found.update(d.strip().lower() for d in value.split(",") if d.strip())
    for meta in metas:
        name = meta.get("name", "").strip().lower()
        if name == "robots" or name in agents:
            found.update(d.strip().lower() for d in meta.get("content", "").split(",") if d.strip())
    return found


def tdm_reservation(headers: Headers | None, metas: list[dict[str, str]]) -> int | None:
    """The TDMRep `tdm-reservation` of a page's header and HTML (1, 0 or None), HTML last:
    TDMRep's processing priority (the header supersedes the site's tdmrep.json, the HTML
    supersedes the header; an absent value resets nothing)."""
    value = None
    for v in header_values(headers, "tdm-reservation"):
        value = _bit(v, value)
    for meta in metas:
        if meta.get("name", "").strip().lower() in ("tdm-reservation", "tdm:reservation"):
            value = _bit(meta.get("content", ""), value)
    return value


def _bit(text: str, default: int | None) -> int | None:
    text = text.strip()
    return 1 if text == "1" else 0 if text == "0" else default
