"""Steps used only by the executor's tests, loaded by the "module:Class" kind form."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from fruitstand.step import BatchFilter, BatchMapper, Filter, Resources


@dataclass
class _OnMarker(Filter):
    """Keeps every document, but misbehaves (`misbehave`) on those whose text contains `marker`."""

    marker: str = " the "

    def keep(self, doc):
        if self.marker in doc.text:
            self.misbehave(doc)
        return True


@dataclass
class HangOn(_OnMarker):
    """Hangs (as a stuck C parser would) on documents whose text contains `marker`."""

    kind = "tests.execute.steps:HangOn"
    marker: str = "HANG"

    def misbehave(self, doc):
        time.sleep(3600)


@dataclass
class Sampler(BatchMapper):
    """Counts batches and words, writes one JSON line per document and one binary file per task."""

    kind = "tests.execute.steps:Sampler"
    side_outputs = ("picked", "tokens")
    batch_size: int = 7
    fail_on: str = ""  # a batch holding this text raises; alone, only its document does

    def open(self, ctx):
        self._words = 0

    def apply_batch(self, docs):
        if self.fail_on and any(self.fail_on in d.text for d in docs):
            raise ValueError("poisoned batch")
        self.ctx.count("batches")
        for d in docs:
            self.ctx.output("picked").write({"id": d.id, "chars": len(d.text)})
            self._words += len(d.text.split())
        return docs

    def finish(self):
        with self.ctx.output("tokens").open(f"{self.ctx.part}.bin") as fh:
            fh.write(self._words.to_bytes(8, "little"))
        self.ctx.log("words", words=self._words)


@dataclass
class ShortOnly(BatchFilter):
    """Keeps documents under `max_chars`; counts the long ones it saw."""

    kind = "tests.execute.steps:ShortOnly"
    batch_size: int = 5
    max_chars: int = 3000

    def keep_batch(self, docs):
        out = []
        for d in docs:
            if len(d.text) >= self.max_chars:
                self.ctx.count("long")
                out.append((False, "too_long"))
            else:
                out.append(True)
        return out


@dataclass
class HangBatch(BatchFilter):
    """Hangs on any batch holding `marker` (a model call that never returns)."""

    kind = "tests.execute.steps:HangBatch"
    batch_size: int = 4
    marker: str = "HANG"

    def keep_batch(self, docs):
        if any(self.marker in d.text for d in docs):
            time.sleep(3600)
        return [True] * len(docs)


@dataclass
class Heavy(Filter):
    """Declares more memory than any machine has: its stage runs on one process. Each task writes the
    process it ran in and when (CLOCK_MONOTONIC, one clock for every process of the machine)."""

    kind = "tests.execute.steps:Heavy"
    resources = Resources(memory_gb=1e6)
    side_outputs = ("pids",)

    def setup(self):
        self._pid = os.getpid()
        self._began = None

    def keep(self, doc):
        if self._began is None:
            self._began = time.monotonic()
        return True

    def finish(self):
        began, self._began = self._began, None
        with self.ctx.output("pids").open(f"{self.ctx.part}.txt", "w") as fh:
            fh.write(f"{self._pid} {began} {time.monotonic()}")


@dataclass
class Slow(Filter):
    """Takes `seconds` per document: a run that lasts long enough to be watched, locked or killed."""

    kind = "tests.execute.steps:Slow"
    seconds: float = 0.05

    def keep(self, doc):
        time.sleep(self.seconds)
        return True


@dataclass
class Boom(_OnMarker):
    """Raises ValueError on documents whose text contains `marker`: a step with a bug."""

    kind = "tests.execute.steps:Boom"

    def misbehave(self, doc):
        raise ValueError(f"boom in {doc.id}")


@dataclass
class Crash(_OnMarker):
    """Ends its process at once on documents whose text contains `marker`: a crash in a C library."""

    kind = "tests.execute.steps:Crash"

    def misbehave(self, doc):
        os._exit(3)


@dataclass
class CrashOnce(_OnMarker):
    """Ends its process on the first document holding `marker` of the first attempt only: it creates the
    file `flag` first, so a retry (which finds it) keeps every document, as a run that never crashed would."""

    kind = "tests.execute.steps:CrashOnce"
    flag: str = ""

    def misbehave(self, doc):
        if not os.path.exists(self.flag):
            open(self.flag, "x").close()
            os._exit(3)
