"""quality_classifier: score every document with a learned quality model and keep the best.

Every leading corpus after FineWeb gained most from a learned filter (DCLM's fastText
classifier kept the top ~10% of its pool; GPT-3 sampled Common Crawl with a Pareto rule over
a logistic regression's score). The model is fruitstand's hashed n-gram linear classifier
(`classify/model.py`), trained by `fruitstand train-classifier`; `model = "default"` is the
one shipped in the package (its card: `classify/data/MODEL_CARD.md`).

Every document gets `quality_score`, the probability of the positive ("good") class. Then,
at most one of:

- `threshold = T`: keep documents scoring at least T;
- `keep_top = F`: keep the best share F of the whole corpus. This is a whole-corpus step:
  every task writes a histogram of its scores (2**16 bins), one reduce job sums them and
  picks the cut, so the cut is the same on one machine or many; the share kept is F or just
  above it (one bin's worth of documents);
- `pareto = ALPHA`: GPT-3's rule, keep when `pareto(ALPHA) > 1 - score`, the Pareto draw keyed
  by the document's id so a rerun keeps the same documents (GPT-3 used ALPHA = 9);
- none: score only, keep everything.

Scoring runs in batches (`batch_size`): one NumPy pass over a batch's bytes (features.py).
"""

from __future__ import annotations

import functools
import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import xxhash

from fruitstand.document import Document
from fruitstand.io.writers import atomic_write_bytes, atomic_write_json
from fruitstand.step import BatchFilter, GlobalStep, ReduceJob, StepContext, StepStats

_BINS = 1 << 16
FIELD = "quality_score"


def model_path(model: str) -> str:
    if model == "default":
        return str(resources.files("fruitstand.classify").joinpath("data", "default.npz"))
    return model


def pareto_keep(doc_id: str, score: float, alpha: float) -> bool:
    """GPT-3's sampling rule with the draw keyed by the document, so it is reproducible."""
    u = (xxhash.xxh64_intdigest(doc_id.encode("utf-8", "surrogatepass")) >> 11) / float(1 << 53)
    draw = (1.0 - u) ** (-1.0 / alpha) - 1.0  # numpy's pareto(alpha): Lomax with scale 1
    return draw > 1.0 - score


@dataclass
class QualityClassifier(BatchFilter):
    """Score documents with a learned quality model (quality_score); keep by threshold, top share or Pareto."""

    kind: ClassVar[str] = "quality_classifier"
    columns: ClassVar[dict[str, str]] = {FIELD: "float"}
    model: str = "default"
    threshold: float | None = None
    keep_top: float | None = None
    pareto: float | None = None
    batch_size: int = 256

    @classmethod
    def resolve_class(cls, table: dict[str, Any]) -> type:
        """keep_top needs the whole corpus: the registry builds the whole-corpus variant then."""
        return QualityClassifierTop if table.get("keep_top") is not None else cls

    def __post_init__(self) -> None:
        from fruitstand.registry import RecipeError

        chosen = [k for k in ("threshold", "keep_top", "pareto") if getattr(self, k) is not None]
        if len(chosen) > 1:
            raise RecipeError(f"step {self.kind!r}: give one of threshold, keep_top, pareto (got {', '.join(chosen)})")
        for name in ("threshold", "keep_top"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise RecipeError(f"step {self.kind!r}: {name} = {value} should be between 0 and 1")
        if self.pareto is not None and self.pareto <= 0:
            raise RecipeError(f"step {self.kind!r}: pareto = {self.pareto} should be above 0 (GPT-3 used 9)")
        if self.batch_size < 1:
            raise RecipeError(f"step {self.kind!r}: batch_size = {self.batch_size} should be 1 or more")
        path = model_path(self.model)
        if not os.path.isfile(path):
            raise RecipeError(f"step {self.kind!r}: model {self.model!r} not found: train one with "
                              "`fruitstand train-classifier` or use model = \"default\"")

    def setup(self) -> None:
        from fruitstand.classify.model import LinearModel

        self._model = LinearModel.load(model_path(self.model))

    def _scores(self, docs: list[Document]) -> np.ndarray:
        if "_model" not in self.__dict__:
            self.setup()
        scores = self._model.predict([d.text for d in docs])
        for doc, s in zip(docs, scores.tolist()):
            doc.metadata[FIELD] = s
        return scores

    def keep_batch(self, docs: list[Document]) -> list[bool | tuple[bool, str]]:
        scores = self._scores(docs).tolist()
        if self.threshold is not None:
            return [s >= self.threshold or (False, "low_quality_score") for s in scores]
        if self.pareto is not None:
            return [pareto_keep(d.id, s, self.pareto) or (False, "pareto_sample") for d, s in zip(docs, scores)]
        return [True] * len(docs)


@dataclass
class QualityClassifierTop(QualityClassifier, GlobalStep):
    """The keep_top variant: score in `map`, pick the corpus-wide cut in a reduce, keep in `filter`."""

    def map(self, docs: Iterable[Document], stats: StepStats, ctx: StepContext) -> Iterator[Document]:
        hist = np.zeros(_BINS, dtype=np.int64)
        batch: list[Document] = []
        size = max(1, self.batch_size)

        def flush() -> Iterator[Document]:
            scores = self._scores(batch)
            np.add.at(hist, _bin(scores), 1)
            yield from batch
            batch.clear()

        for doc in docs:
            batch.append(doc)
            if len(batch) >= size:
                yield from flush()
        if batch:
            yield from flush()
        folder = ctx.workdir / "hist"
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_save(folder / f"{ctx.part}.npy", hist)

    def reduce_stages(self, workdir: Path, n_tasks: int) -> list[list[ReduceJob]]:
        return [[("cut", functools.partial(_cut, str(workdir), float(self.keep_top)))]]

    def filter(self, docs: Iterable[Document], stats: StepStats, ctx: StepContext) -> Iterator[Document]:
        cut = json.loads((ctx.workdir / "cut.json").read_text())["bin"]
        for doc in docs:
            stats.docs_in += 1
            score = doc.metadata.get(FIELD)
            if score is not None and min(int(score * _BINS), _BINS - 1) >= cut:  # _bin of one score
                stats.docs_out += 1
                yield doc
            else:
                stats.drop("below_top_share")

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        return GlobalStep.process(self, docs, stats)


def _bin(scores: np.ndarray) -> np.ndarray:
    return np.minimum((np.asarray(scores, dtype=np.float64) * _BINS).astype(np.int64), _BINS - 1)


def _atomic_save(path: Path, array: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, array)
    atomic_write_bytes(path, buf.getvalue())


def _cut(workdir: str, share: float) -> dict[str, int]:
    """Reduce job: sum the tasks' histograms; the cut is the highest bin keeping at least `share`."""
    work = Path(workdir)
    hist = np.zeros(_BINS, dtype=np.int64)
    for path in sorted((work / "hist").glob("*.npy")):
        hist += np.load(path)
    total = int(hist.sum())
    want = int(np.ceil(share * total))
    above = np.cumsum(hist[::-1])[::-1]  # documents in bin b or higher
    if want <= 0:
        cut = _BINS  # keep nothing
    else:
        cut = int(np.flatnonzero(above >= want).max()) if total else 0
    kept = int(above[cut]) if cut < _BINS else 0
    atomic_write_json(work / "cut.json", {"bin": cut, "threshold": cut / _BINS, "kept": kept, "total": total})
    return {"score_cut_x1e6": int(cut / _BINS * 1e6), "kept_by_cut": kept}
