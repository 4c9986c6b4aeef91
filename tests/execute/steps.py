"""Steps used only by the executor's tests, loaded by the "module:Class" kind form."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fruitstand.step import Filter


@dataclass
class HangOn(Filter):
    """Hangs (as a stuck C parser would) on documents whose text contains `marker`."""

    kind = "tests.execute.steps:HangOn"
    marker: str = "HANG"

    def keep(self, doc):
        if self.marker in doc.text:
            time.sleep(3600)
        return True


@dataclass
class Slow(Filter):
    """Takes `seconds` per document: a run that lasts long enough to be watched, locked or killed."""

    kind = "tests.execute.steps:Slow"
    seconds: float = 0.05

    def keep(self, doc):
        time.sleep(self.seconds)
        return True


@dataclass
class Boom(Filter):
    """Raises ValueError on documents whose text contains `marker`: a step with a bug."""

    kind = "tests.execute.steps:Boom"
    marker: str = " the "

    def keep(self, doc):
        if self.marker in doc.text:
            raise ValueError(f"boom in {doc.id}")
        return True
