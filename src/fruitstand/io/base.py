"""What every reader shares: its limits, its progress callback, how it counts a skip, the
sniff that tells bytes that are no text, and the one normalisation every text gets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fruitstand.io.inputs import Task
from fruitstand.step import StepStats


@dataclass(frozen=True)
class ReadLimits:
    """How readers read: their limits, and where JSONL and Parquet records keep text and id."""

    # A record larger than this is skipped unread (a 100 MB "page" is never a document).
    max_record_bytes: int = 10_000_000
    # The field holding the text (`--text-field`: `content`, `raw_content`, ...) and the id.
    text_field: str = "text"
    id_field: str = "id"


# Called with the number of input bytes consumed so far, now and then, for progress.
Progress = Callable[[int], None]


def skip(stats: StepStats, reason: str) -> None:
    """Count a stretch of input that held no document as one record skipped for `reason`."""
    stats.docs_in += 1
    stats.drop(reason)


def source_name(task: Task) -> str:
    return task.name or Path(task.path).name


# Control bytes that never occur in text (tab, newlines, form feed and ESC, which ISO-2022 uses, are left out).
_CONTROL = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])


def looks_binary(data: bytes) -> bool:
    """True when the first 4 KB are more than 1% control bytes: an image, a compressed blob, junk."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark
        return False
    return len(head) - len(head.translate(None, _CONTROL)) > len(head) // 100


# Text normalisation, done once, here, for every document a reader yields (readers.read_task):
# - line ends: CRLF, CR, NEL (U+0085), vertical tab, form feed and U+2028 become "\n", U+2029
#   (paragraph separator) a blank line, so every later step splits lines on "\n" alone (a CRLF
#   corpus otherwise keeps a "\r" on every line and fails the line rules of Gopher and C4);
# - control characters (C0 but tab and newline, DEL, C1) are removed: NUL and the like are no
#   text, and Arrow, JSON consumers and tokenizers each treat them differently;
# - a leading byte-order mark is removed.
# Nothing else changes (no Unicode normal form, no whitespace folding): steps see the text as sent.
_ODD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_LINE_ENDS = re.compile("\r\n?|[\x0b\x0c\x85\u2028]")
_CONTROL_CHARS = dict.fromkeys([*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def normalise_text(text: str) -> str:
    if _ODD.search(text) is None:  # nearly every document: one scan, no copy
        return text
    if text.startswith("\ufeff"):
        text = text[1:]
    text = _LINE_ENDS.sub("\n", text).replace("\u2029", "\n\n")
    return text.translate(_CONTROL_CHARS)
