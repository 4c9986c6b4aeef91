"""Running one step over one task's documents, as the executor does, for the privacy tests."""

from __future__ import annotations

from fruitstand.document import Document
from fruitstand.step import StepContext, StepStats


def run_step(step, docs: list[Document]) -> tuple[list[Document], StepStats]:
    """The step over one task's documents, as the executor runs it (context, open, process, finish)."""
    ctx = StepContext()
    step.ctx = ctx
    step.open(ctx)
    out = list(step.process(docs, ctx.stats))
    step.finish()
    return out, ctx.stats
