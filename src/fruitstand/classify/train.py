"""`fruitstand train-classifier`: a quality model from the user's own idea of good text.

Positive and negative documents come from any fruitstand input (web archives are extracted
with the `extract` step first). A share of each class, chosen by a hash of the document id
so it does not depend on input order, is held out; precision, recall and AUC on it are
printed and stored in the model's training manifest with the inputs' sha256.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from fruitstand.classify.features import FeatureConfig
from fruitstand.classify.model import TrainConfig, auc, precision_recall, train
from fruitstand.io.inputs import sha256_file
from fruitstand.registry import RecipeError


def _texts(paths: list[str], limit: int | None) -> Iterator[tuple[str, str]]:
    from fruitstand.io.readers import read

    extract = None
    n = 0
    for path in paths:
        if not os.path.exists(path):
            raise RecipeError(f"training input not found: {path}")
        for doc in read(path):
            if doc.html is not None:
                if extract is None:
                    from fruitstand.extract.extract import Extract

                    extract = Extract()
                    extract.setup()
                out = extract.apply(doc)
                if out is None or isinstance(out, tuple):
                    continue
                doc = out
            if doc.text and doc.text.strip():
                yield doc.id, doc.text
                n += 1
                if limit is not None and n >= limit:
                    return


def _held_out(doc_id: str, share: float) -> bool:
    return xxhash.xxh64_intdigest(doc_id.encode("utf-8", "surrogatepass")) % 10_000 < share * 10_000


def _sha256(path: str) -> str | None:
    return None if os.path.isdir(path) else sha256_file(path)


def train_classifier(positive: list[str], negative: list[str], output: str | os.PathLike, *,
                     holdout: float = 0.1, max_docs: int | None = None, bits: int = 20, epochs: int = 6,
                     seed: int = 0, overwrite: bool = False) -> dict[str, Any]:
    """Train a quality model on `positive` vs `negative` inputs; write it to `output` (.npz).

    Returns the training manifest (also stored inside the model file).
    """
    out = Path(output)
    if out.exists() and not overwrite:
        raise RecipeError(f"{out} exists: give another --output or --overwrite")
    if not positive or not negative:
        raise RecipeError("give --positive and --negative inputs (any fruitstand input: JSONL, Parquet, WARC, .txt)")
    if not 0 <= holdout < 1:
        raise RecipeError(f"--holdout {holdout}: give a share between 0 and 1")
    rows: list[tuple[str, str, int]] = []
    for label, paths in ((1, positive), (0, negative)):
        got = [(doc_id, text, label) for doc_id, text in _texts(list(map(str, paths)), max_docs)]
        if not got:
            raise RecipeError(f"no documents with text in the {'positive' if label else 'negative'} inputs")
        rows += got
    test = np.array([_held_out(f"{label}:{doc_id}", holdout) for doc_id, _, label in rows], dtype=bool)
    texts = [t for _, t, _ in rows]
    labels = np.array([lab for _, _, lab in rows])
    train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
    features = FeatureConfig(bits=bits)
    model = train([texts[i] for i in train_idx], labels[train_idx], features=features,
                  config=TrainConfig(epochs=epochs, seed=seed))
    metrics: dict[str, Any] = {}
    if len(test_idx) and 0 < labels[test_idx].sum() < len(test_idx):
        scores = model.predict([texts[i] for i in test_idx])
        p, r = precision_recall(scores, labels[test_idx])
        metrics = {"held_out_documents": int(len(test_idx)), "auc": round(auc(scores, labels[test_idx]), 4),
                   "precision": round(p, 4), "recall": round(r, 4), "threshold": 0.5}
    from fruitstand import __version__

    manifest = {
        "fruitstand": __version__,
        "positive": [{"path": os.path.basename(str(p)), "sha256": _sha256(str(p))} for p in positive],
        "negative": [{"path": os.path.basename(str(p)), "sha256": _sha256(str(p))} for p in negative],
        "documents": {"positive": int(labels.sum()), "negative": int(len(labels) - labels.sum()),
                      "train": int(len(train_idx)), "held_out": int(len(test_idx))},
        "holdout": holdout,
        "epochs": epochs,
        "seed": seed,
        "features": features.to_json(),
        "metrics": metrics,
    }
    model.manifest = manifest
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    return manifest
