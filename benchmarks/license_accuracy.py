"""Precision and recall of the `license` step on hand-labelled real pages (tests/data/license_labels.json).

    .venv/bin/python benchmarks/license_accuracy.py

A prediction is right only when its SPDX id equals the label exactly (version, elements and
port). Precision: right ids / pages given an id; recall: right ids / pages whose label is an
id. Reported per split: `dev` (the pages the rules were written on) and `test` (labelled after).
Results: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared" / "data").resolve()
sys.path.insert(0, str(REPO / "src"))

from fruitstand.rights.license import detect  # noqa: E402


def page_path(key: str) -> Path:
    if key.startswith("html/readability/"):
        return SHARED / key / "source.html.gz"
    return SHARED / f"{key}.html.gz"


def evaluate(labels: dict[str, dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for key, item in labels.items():
        got, _ = detect(gzip.decompress(page_path(key).read_bytes()))
        want = item["license"]
        s = out.setdefault(item["split"], {"pages": 0, "labelled": 0, "predicted": 0, "right": 0, "errors": []})
        s["pages"] += 1
        s["labelled"] += want is not None
        s["predicted"] += got is not None
        s["right"] += got is not None and got == want
        if got != want:
            s["errors"].append((key, want, got))
    return out


def main() -> None:
    labels = json.loads((REPO / "tests" / "data" / "license_labels.json").read_text())["labels"]
    for split, s in sorted(evaluate(labels).items()):
        p = s["right"] / s["predicted"] if s["predicted"] else 0.0
        r = s["right"] / s["labelled"] if s["labelled"] else 0.0
        print(f"{split}: {s['pages']} pages, {s['labelled']} with a licence: precision {p:.3f} "
              f"({s['right']}/{s['predicted']}), recall {r:.3f} ({s['right']}/{s['labelled']})")
        for key, want, got in s["errors"]:
            print(f"    {key}: label {want}, got {got}")


if __name__ == "__main__":
    main()
