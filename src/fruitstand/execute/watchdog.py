"""A per-document time limit that works even when a C library never returns.

A Python signal cannot interrupt resiliparse or lxml in the middle of a page, so the limit
is enforced from outside: a watchdog thread in the worker sees a document that has taken
longer than the limit, writes its position to the task's skip file, and ends the worker
process at once. The executor starts a fresh worker, and the re-run task skips that
document, counting it as `doc_timeout`. Everything else the task does is unchanged, so its
output is the same as if the document had never been there.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from fruitstand.document import Document
from fruitstand.step import StepStats

EXIT_CODE = 75


def load_skips(path: Path) -> set[int]:
    try:
        return set(json.loads(path.read_text()))
    except (OSError, ValueError):
        return set()


class Watchdog:
    def __init__(self, timeout: float, skip_file: Path):
        self.timeout = timeout
        self.skip_file = skip_file
        self.skips = load_skips(skip_file)
        self._position: int | None = None
        self._since = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Watchdog:
        if self.timeout > 0:
            self._thread = threading.Thread(target=self._watch, daemon=True, name="fruitstand-watchdog")
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()

    def guard(self, docs: Iterator[Document], stats: StepStats, *, counted: bool) -> Iterator[Document]:
        """Pass documents on, skipping the ones that timed out before; time each one.

        `counted`: the reader already counted the document as read, so take it back.
        """
        for pos, doc in enumerate(docs):
            if pos in self.skips:
                stats.drop("doc_timeout")
                stats.docs_out -= counted
                continue
            self._since = time.monotonic()
            self._position = pos
            yield doc
        self._position = None

    def _watch(self) -> None:
        interval = min(1.0, self.timeout / 4)
        while not self._stop.wait(interval):
            pos = self._position
            if pos is not None and time.monotonic() - self._since > self.timeout and pos == self._position:
                self.skip_file.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.skip_file.with_name(f".{self.skip_file.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(sorted(self.skips | {pos})))
                os.replace(tmp, self.skip_file)
                os._exit(EXIT_CODE)
