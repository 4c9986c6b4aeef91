"""A hashed n-gram linear text classifier: logistic regression over averaged bucket weights.

The score of a document is `sigmoid(bias + mean of w[bucket] over its features)`: fastText's
averaging without its embedding layer, which for a two-class quality filter loses little
(DCLM's filter is a fastText bigram model) and makes scoring one gather and one bincount per
batch. Training is AdaGrad on mini-batches, classes weighted to count alike, with a fixed
seed: the same documents give the same model, byte for byte.

The saved model is one small `.npz`: weights quantised to int8 with one scale (the file
stays about a megabyte), the feature config, and the training manifest as JSON.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fruitstand.classify.features import FeatureConfig, hashed_features
from fruitstand.io.writers import atomic_write_bytes

FORMAT = "fruitstand-hashed-linear-1"


@dataclass
class TrainConfig:
    epochs: int = 6
    batch_size: int = 64
    learning_rate: float = 0.5
    l2: float = 1e-6
    seed: int = 0


@dataclass
class LinearModel:
    weights: np.ndarray  # float32, 2**bits
    bias: float
    features: FeatureConfig = field(default_factory=FeatureConfig)
    manifest: dict[str, Any] = field(default_factory=dict)

    def logits(self, texts: list[str]) -> np.ndarray:
        buckets, docs = hashed_features(texts, self.features)
        n = len(texts)
        sums = np.bincount(docs, weights=self.weights[buckets], minlength=n)
        counts = np.bincount(docs, minlength=n)
        return self.bias + sums / np.maximum(counts, 1)

    def predict(self, texts: list[str]) -> np.ndarray:
        """Probability of the positive class, one per text, in [0, 1]."""
        return _sigmoid(self.logits(texts))

    def save(self, path: str | Path) -> None:
        """Write the model atomically: a reader never sees half a file."""
        scale = float(np.abs(self.weights).max()) / 127 or 1.0
        q = np.clip(np.rint(self.weights / scale), -127, 127).astype(np.int8)
        meta = {"format": FORMAT, "bias": self.bias, "scale": scale, "features": self.features.to_json(),
                "manifest": self.manifest}
        buf = io.BytesIO()
        np.savez_compressed(buf, weights=q, meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8))
        atomic_write_bytes(Path(path), buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> LinearModel:
        try:
            with np.load(path) as data:
                meta = json.loads(data["meta"].tobytes())
                q = data["weights"]
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"{path} is not a fruitstand classifier model ({exc}): train one with "
                             "`fruitstand train-classifier`") from None
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: unknown model format {meta.get('format')!r}")
        return cls(q.astype(np.float32) * np.float32(meta["scale"]), float(meta["bias"]),
                   FeatureConfig(**meta["features"]), meta.get("manifest", {}))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def train(texts: list[str], labels: np.ndarray, *, features: FeatureConfig | None = None,
          config: TrainConfig | None = None) -> LinearModel:
    """Fit the model on `texts` with 0/1 `labels`."""
    features = features or FeatureConfig()
    config = config or TrainConfig()
    labels = np.asarray(labels, dtype=np.float64)
    n = len(texts)
    if n == 0 or labels.min() == labels.max():
        raise ValueError("training needs documents of both classes")
    # Features once, as (bucket, doc) rows sorted by document, so a batch is a slice.
    buckets, docs = hashed_features(texts, features)
    order = np.argsort(docs, kind="stable")
    buckets, docs = buckets[order], docs[order]
    bounds = np.searchsorted(docs, np.arange(n + 1))
    counts = np.diff(bounds).astype(np.float64)
    # Each class weighs as much as the other in the loss.
    pos = labels.sum()
    cw = np.where(labels > 0, n / (2 * pos), n / (2 * (n - pos)))
    size = 1 << features.bits
    w = np.zeros(size, dtype=np.float64)
    g2 = np.full(size, 1e-8)
    b, gb2 = 0.0, 1e-8
    rng = np.random.default_rng(config.seed)
    for _ in range(config.epochs):
        perm = rng.permutation(n)
        for k in range(0, n, config.batch_size):
            batch = np.sort(perm[k:k + config.batch_size])
            rows = np.concatenate([np.arange(bounds[d], bounds[d + 1]) for d in batch])
            fb, fd = buckets[rows], docs[rows]
            local = np.searchsorted(batch, fd)
            z = b + np.bincount(local, weights=w[fb], minlength=len(batch)) / np.maximum(counts[batch], 1)
            err = (_sigmoid(z) - labels[batch]) * cw[batch] / len(batch)
            grad_rows = err[local] / np.maximum(counts[batch], 1)[local]
            uniq, inv = np.unique(fb, return_inverse=True)
            grad = np.bincount(inv, weights=grad_rows, minlength=len(uniq)) + config.l2 * w[uniq]
            g2[uniq] += grad * grad
            w[uniq] -= config.learning_rate * grad / np.sqrt(g2[uniq])
            gbias = err.sum()
            gb2 += gbias * gbias
            b -= config.learning_rate * gbias / np.sqrt(gb2)
    return LinearModel(w.astype(np.float32), float(b), features)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (ties counted half), by ranks."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels) > 0
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2 + 1
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precision_recall(scores: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> tuple[float, float]:
    pred = np.asarray(scores) >= threshold
    labels = np.asarray(labels) > 0
    tp = int((pred & labels).sum())
    return (tp / max(int(pred.sum()), 1), tp / max(int(labels.sum()), 1))
