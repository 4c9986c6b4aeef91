"""Build the eval sets `decontaminate` ships (src/fruitstand/privacy/evals/*.jsonl.gz) from ../shared/data.

    .venv/bin/python scripts/build_builtin_evals.py

Sources and licences: src/fruitstand/privacy/evals/SOURCES.md. Each output row is one eval item;
the files are gzip with a zero timestamp, so a rebuild is byte-identical.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
OUT = REPO / "src" / "fruitstand" / "privacy" / "evals"


def _rows(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _write(name: str, rows: list[dict]) -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    (OUT / f"{name}.jsonl.gz").write_bytes(buf.getvalue())
    print(f"{name}: {len(rows)} items, {len(buf.getvalue()) / 1e6:.2f} MB")


def mmlu_test() -> list[dict]:
    """decon's rows are one per (question, option): put each question's options back together."""
    items: dict[int, dict] = {}
    for path in sorted((SHARED / "decon" / "bundled-evals").glob("mmlu_test-*.jsonl.gz")):
        for r in _rows(path):
            item = items.setdefault(r["eval_instance_index"], {"question": r["question"], "choices": [], "answer": None})
            if r.get("is_correct"):
                item["answer"] = len(item["choices"])
            item["choices"].append(r["answer"])
    return [items[k] for k in sorted(items)]


def gsm8k_test() -> list[dict]:
    return [{"question": r["question"], "answer": r["answer"]}
            for r in _rows(SHARED / "decon" / "bundled-evals" / "gsm8k_test-1.jsonl.gz")]


def human_eval() -> list[dict]:
    return [{"task_id": r["task_id"], "prompt": r["prompt"], "canonical_solution": r["canonical_solution"]}
            for r in _rows(SHARED / "evals" / "human_eval.jsonl")]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    _write("mmlu_test", mmlu_test())
    _write("gsm8k_test", gsm8k_test())
    _write("human_eval", human_eval())


if __name__ == "__main__":
    main()
