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
