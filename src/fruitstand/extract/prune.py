"""Cut what extraction never reads out of a page before it is parsed.

On real pages most bytes are not text: inline scripts and JSON, style sheets, SVG icons
and comments are about 70% of the HTML of the extraction benchmark's 61 pages (14.6 MB
of 4.6 MB kept). resiliparse's parser still has to tokenise all of it and its
main-content pass still walks the SVG nodes, so cutting it first makes parsing about 40%
and extraction about 25% cheaper. The text out is the same on 58 of the 61 benchmark pages
and 461 of trafilatura's 494 evaluation pages (after `main_content.main_text`: 61 and 489);
where it differs, resiliparse's link-density rule had counted script text as words and
kept a menu, or the page's `<meta charset>` is found only once the scripts before it are
gone. Both benchmarks score the same or slightly better (benchmarks/results/extraction.md).

The cut follows the HTML parser's own rules for these elements: a `<script>` or
`<style>` ends at the first matching end tag whatever it holds (raw text), a comment at
the first `-->`, and the text of a `<title>` or `<textarea>` is never taken for tags
("How to use <script>" as a title stays whole). The elements stay, empty and without attributes, so the element
structure (which resiliparse's rules look at: "is this footer the page's last element?")
is unchanged; `<svg/>` has no content and is left alone.
Only lower-case start tags are cut (upper-case ones are rare and merely stay); end tags
are found in any case. Where an end is
missing, or the bytes could be ISO-2022 (whose two-byte characters are ASCII bytes),
the rest of the page is left as it is. Every search moves forward: linear in the page.
"""

from __future__ import annotations

import re

from fruitstand import native

_native = native.load("extract._native")  # or None: the Python twins (fruitstand/native.py)

_START = re.compile(rb"<(script|style|svg|title|textarea)[\s/>]|<!--")
_TEXT_ONLY = (b"title", b"textarea")  # their content is text ("<script>" there is no tag): kept, skipped over
_COMMENT_END = re.compile(rb"--!?>")
_END_TAGS = {name: re.compile(rb"</(?i:" + name + rb")(?=[\s/>]|\Z)")
             for name in (b"script", b"style", b"svg", b"title", b"textarea")}


def drop_inert(html: bytes) -> bytes:
    """`html` without the contents of its scripts, style sheets and SVG, and its comments. In C
    (`_native.drop_inert`, the same bytes) where the extension is built; `_drop_inert` is its twin."""
    if _native is not None and type(html) is bytes:
        return _native.drop_inert(html)
    return _drop_inert(html)


def _drop_inert(html: bytes) -> bytes:
    """`drop_inert` in Python."""
    if b"\x1b" in html:  # ESC: ISO-2022 text, where "<!--" can be part of a character
        return html
    kept: list[bytes] = []
    pos = 0
    match = _START.search(html)
    while match is not None:
        start, name = match.start(), match.group(1)
        if name is None:  # a comment: gone whole
            end = _comment_end(html, start)
            if end < 0:
                break
            kept.append(html[pos:start])
            pos = end
        else:
            tag_end = html.find(b">", start)
            if tag_end < 0:
                break
            if name == b"svg" and html[tag_end - 1] == 0x2F:  # <svg ... />: an empty element
                match = _START.search(html, tag_end + 1)
                continue
            end = _end_tag(html, name, tag_end + 1)
            if end < 0:
                break
            if name in _TEXT_ONLY:
                match = _START.search(html, end)
                continue
            # A bare start tag: its attributes go too (a ">" inside a quoted value would
            # otherwise leave a quote open that swallows the page after it).
            kept += (html[pos:start], b"<", name, b">")
            pos = end  # the end tag stays
        match = _START.search(html, pos)
    if not kept:
        return html
    kept.append(html[pos:])
    return b"".join(kept)


def _end_tag(html: bytes, name: bytes, pos: int) -> int:
    """Offset of the first end tag of `name` at or after `pos`, in any case, whose name ends
    there (`</scripts` is no end; `</SCRIPT>` is)."""
    match = _END_TAGS[name].search(html, pos)
    return match.start() if match else -1


def _comment_end(html: bytes, start: int) -> int:
    """Offset just after the comment starting at `start`, or -1 if it never ends.

    As the HTML parser reads them: `<!-->` and `<!--->` are whole (empty) comments, and
    `--!>` ends one as `-->` does.
    """
    if html.startswith(b">", start + 4):
        return start + 5
    if html.startswith(b"->", start + 4):
        return start + 6
    end = _COMMENT_END.search(html, start + 4)  # one search for both: each scans only this far
    return end.end() if end else -1
