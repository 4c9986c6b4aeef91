"""What a taste test reads: corpora (an output folder, Parquet or JSONL with `text`) and eval sets.

Eval sets, told apart by their records:
- held-out text: a `.txt` file (its whole text), or JSONL with `text`: scored in bits per byte;
- multiple choice: JSONL with `context`, `choices`, `label`, or the shape of the evaluation
  files lm-evaluation-harness and llm-foundry ship (`query`, `choices`, `gold`).
Everything is checked before any model trains: a bad path is one line that says what to do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from fruitstand.registry import RecipeError


@dataclass
class EvalSet:
    name: str
    kind: str  # "text" | "choice"
    texts: list[str] = field(default_factory=list)  # kind "text"
    items: list[tuple[str, list[str], int]] = field(default_factory=list)  # kind "choice": context, choices, gold


def corpus_files(path: str) -> Path:
    """The folder or file to read for a corpus given on the command line."""
    p = Path(path)
    if not p.exists():
        raise RecipeError(f"corpus not found: {path} (give a fruitstand output folder, or Parquet/JSONL with `text`)")
    if p.is_dir() and (p / "data").is_dir():  # a fruitstand output folder: its shards, not its manifest
        return p / "data"
    return p


def read_corpus(path: str, max_chars: int) -> list[str]:
    """The corpus's documents (non-empty texts) in its stable order, up to about `max_chars` characters."""
    from fruitstand.io.inputs import find_inputs, plan_tasks
    from fruitstand.io.readers import ReadLimits, read_task
    from fruitstand.step import StepStats

    files = [f for f in find_inputs([corpus_files(path)]) if f.format in ("parquet", "jsonl", "text")]
    if not files:
        raise RecipeError(f"corpus {path} holds no Parquet, JSONL or .txt files with text")
    texts, size = [], 0
    for task in plan_tasks(files, split_bytes=1 << 62):
        for doc in read_task(task, StepStats(), ReadLimits()):
            if doc.text and doc.text.strip():
                texts.append(doc.text)
                size += len(doc.text)
                if size >= max_chars:
                    return texts
    if not texts:
        raise RecipeError(f"corpus {path} holds no text")
    return texts


def hash_order(texts: list[str]) -> list[str]:
    """The documents in the order of their content hash: a mixed sample whatever order the shards are in."""
    return sorted(texts, key=lambda t: hashlib.blake2b(t.encode("utf-8", "replace"), digest_size=8).digest())


def load_eval(path: str, *, max_bytes: int = 100_000, max_items: int = 300) -> EvalSet:
    """An eval set: the first `max_bytes` of held-out text, or the first `max_items` questions."""
    p = Path(path)
    if not p.is_file():
        raise RecipeError(f"--eval {path}: no such file (give a .txt, or JSONL with `text` or with choices)")
    name = p.name.removesuffix(".jsonl").removesuffix(".txt")
    if p.suffix == ".txt":
        data = p.read_bytes()[:max_bytes].decode("utf-8", "ignore")
        return EvalSet(name, "text", texts=[data])
    if p.suffix != ".jsonl":
        raise RecipeError(f"--eval {path}: give a .txt file or a .jsonl file")
    out = EvalSet(name, "")
    size = 0
    with open(p, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                raise RecipeError(f"--eval {path}: line {n} is not JSON") from None
            kind, value = _record(rec)
            if kind is None:
                raise RecipeError(f"--eval {path}: line {n} has neither `text` nor `context`/`query`, `choices` "
                                  "and `label`/`gold`: not an eval set taste can score")
            if out.kind and kind != out.kind:
                raise RecipeError(f"--eval {path}: line {n} mixes held-out text and multiple-choice records")
            out.kind = kind
            if kind == "text":
                out.texts.append(value)
                size += len(value.encode())
                if size >= max_bytes:
                    break
            else:
                out.items.append(value)
                if len(out.items) >= max_items:
                    break
    if not out.kind:
        raise RecipeError(f"--eval {path}: the file holds no records")
    return out


def _record(rec) -> tuple[str | None, object]:
    if not isinstance(rec, dict):
        return None, None
    if isinstance(rec.get("text"), str) and "choices" not in rec:
        return "text", rec["text"]
    context = rec.get("context", rec.get("query"))
    choices = rec.get("choices")
    gold = rec.get("label", rec.get("gold"))
    if (isinstance(context, str) and isinstance(choices, list) and len(choices) >= 2
            and all(isinstance(c, str) for c in choices) and isinstance(gold, int) and 0 <= gold < len(choices)):
        return "choice", (context, choices, gold)
    return None, None
