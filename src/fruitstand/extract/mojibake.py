"""Repair mojibake with ftfy, and only where a one-pass check says there may be some.

ftfy is slow on long text: `fix_text` took 5-9 ms per extracted page here and its own
`badness.is_bad` check 2.6 ms, more than parsing and extracting the page together
(benchmarks/results/extraction.md). Mojibake from UTF-8 read as Latin-1/Windows-1252 --
the kind ftfy can undo -- always shows a lead-byte letter (Â..ô) followed by what a
continuation byte (0x80-0xBF) becomes in those code pages, or a raw C1 control; one
regex search finds either in microseconds, and only texts with a hit pay for ftfy (1 of
the 555 benchmark pages here, and a real case: "SayunÂ´s").

ftfy runs with its encoding repairs only: quotes stay curly, full-width CJK punctuation
and ligatures stay as written, and HTML entities are not decoded a second time.

`ftfy.fix_text` cuts its text into lines (each up to `max_decode_length` characters) and fixes
each one alone with `fix_and_explain`; a flagged page is often long (an archive listing of
300,000 characters) and mostly plain ASCII. A line of printable ASCII, tabs and its newline is
one that every fixer run here leaves as it is (ASCII is never mojibake to ftfy, and no control
character, CR or escape is there to remove), so `fix_mojibake` gives only the other lines to
ftfy: the same text as `ftfy.fix_text`, which `tests/extract/test_mojibake.py` checks.
"""

from __future__ import annotations

import functools
import re

from fruitstand import native

_native = native.load("extract._native")  # or None: the Python twins (fruitstand/native.py)

# What bytes 0x80-0xBF turn into when read as Windows-1252 (Latin-1 where 1252 has none),
# less NBSP (0xA0) and the soft hyphen (0xAD): both are common in clean text ("Groß\xadvä"),
# and a page with real mojibake has plenty of other pairs to give it away.
_CONTINUATION = (
    "\u0080-\u009f\u00a1-\u00ac\u00ae-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
# A UTF-8 lead byte read as a letter, followed by as many continuation bytes as it needs
# (1 after C2-DF, 2 after E0-EF, 3 after F0-F4), or a raw C1 control character. Written
# as one character class first and look-behinds after, so `re` scans with its fast
# character-set search (0.04 ms on a 5,500-character page, against 0.13 ms as a plain
# alternation).
_SUSPECT = re.compile(
    "[\u0080-\u009f\u00c2-\u00f4](?:(?<=[\u0080-\u009f])"
    f"|(?<=[\u00c2-\u00df])[{_CONTINUATION}]"
    f"|(?<=[\u00e0-\u00ef])[{_CONTINUATION}]{{2}}"
    f"|(?<=[\u00f0-\u00f4])[{_CONTINUATION}]{{3}})"
)


def might_be_mojibake(text: str) -> bool:
    """Whether `_SUSPECT` occurs in `text`; in C (`extract._native`, the same answer) where built."""
    if _native is not None:
        return _native.might_be_mojibake(text)
    return _might_be_mojibake(text)


def _might_be_mojibake(text: str) -> bool:
    return not text.isascii() and _SUSPECT.search(text) is not None


def fix_mojibake(text: str) -> str:
    if not might_be_mojibake(text):
        return text
    import ftfy

    config = _ftfy_config()
    fix = ftfy.fix_and_explain
    limit = config.max_decode_length
    out: list[str] = []
    pos, n = 0, len(text)
    while pos < n:  # ftfy.fix_text's segments, each fixed alone unless every fixer would keep it
        end = text.find("\n", pos) + 1 or n
        if end - pos > limit:
            end = pos + limit
        segment = text[pos:end]
        out.append(segment if segment.isascii() and _PLAIN_ASCII.fullmatch(segment) else fix(segment, config).text)
        pos = end
    return "".join(out)


_PLAIN_ASCII = re.compile("[\t\n\x20-\x7e]*")


@functools.cache
def _ftfy_config():
    import ftfy

    return ftfy.TextFixerConfig(
        unescape_html=False,
        uncurl_quotes=False,
        fix_character_width=False,
        fix_latin_ligatures=False,
        normalization=None,
        explain=False,
    )
