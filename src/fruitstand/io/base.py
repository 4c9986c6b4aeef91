"""What every reader shares: its limits, its progress callback, how it counts a skip, and
the sniff that tells bytes that are no text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fruitstand.io.inputs import Task
from fruitstand.step import StepStats


@dataclass(frozen=True)
class ReadLimits:
    # A record larger than this is skipped unread (a 100 MB "page" is never a document).
    max_record_bytes: int = 10_000_000


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
