"""Turn a page's raw bytes into text, trusting evidence in the order that is right most often.

1. Bytes that are valid UTF-8 and hold non-ASCII are UTF-8, whatever the page claims: a
   random byte string in another encoding almost never decodes as UTF-8, while servers
   that send `charset=iso-8859-1` for UTF-8 pages are common, and believing them is what
   produces mojibake ("cafÃ©").
2. Otherwise the HTTP `Content-Type` charset, then the page's `<meta charset>`, then
   uchardet's guess (resiliparse). A header saying iso-8859-1/windows-1252 yields to a
   `<meta>` naming something else, or to uchardet when there is none (it was Apache's
   default label for every page). Names
   are mapped the WHATWG way (`iso-8859-1` reads as `windows-1252`, as browsers do).
3. UTF-16 is read only with its byte-order mark; other input with NUL bytes in its first
   4 KB is binary (an image or PDF labelled text/html) and is not decoded at all.
4. Bytes the chosen codec cannot read are dropped, never raised: one broken page must not
   cost a run, and the text filters downstream judge what is left.
"""

from __future__ import annotations

import re

from resiliparse.parse.encoding import bytes_to_str, detect_encoding, map_encoding_to_html5

from fruitstand.document import Headers, header_values

_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def header_charset(headers: Headers | dict[str, str] | None) -> str | None:
    """The charset of a `Content-Type` header (any key case), as a WHATWG encoding name."""
    for value in header_values(headers, "content-type"):
        match = _CHARSET.search(value)
        if match:
            return map_encoding_to_html5(match.group(1), fallback_utf8=False)
    return None


def looks_binary(html: bytes) -> bool:
    """Images, PDFs, archives served as HTML: NUL bytes, which no ASCII-compatible text has."""
    return html.count(b"\x00", 0, 4096) >= 4 and not html.startswith((b"\xff\xfe", b"\xfe\xff"))


def decode_html(html: bytes, headers: Headers | dict[str, str] | None = None) -> str:
    if html.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its BOM (rare, but NULs galore)
        return html.decode("utf-16", errors="ignore")
    try:
        return html.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    encoding = header_charset(headers)
    if encoding is None or encoding in ("cp1252", "windows-1252"):
        # iso-8859-1 was Apache's default label, sent for pages in any encoding: a <meta>
        # naming another charset knows better, and without one the bytes themselves do
        # (uchardet reads a real Latin-1 page as windows-1252 anyway).
        meta = _META_CHARSET.search(html, 0, 4096)
        meta_encoding = map_encoding_to_html5(meta.group(1).decode("ascii"), fallback_utf8=False) if meta else None
        encoding = meta_encoding or detect_encoding(html)
    if encoding in ("utf-8", None):
        # Declared UTF-8 but invalid: a page mixing encodings; let detection pick the rest.
        encoding = detect_encoding(html)
    try:
        # No fallback chain: after a failed UTF-8 read, falling back to windows-1252 (which
        # accepts any bytes) would turn a GBK page with one bad byte into mojibake.
        return bytes_to_str(html, encoding, errors="ignore", fallback_encodings=())
    except (UnicodeError, LookupError):
        return html.decode("utf-8", errors="ignore")
