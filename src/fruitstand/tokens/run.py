"""`fruitstand tokenize DIR`: a fruitstand output folder's documents as token shards in `DIR/tokens/`.

The tokenizer is trained (or loaded) first, in this process. Then the `tokenize` step
(step.py) runs as a job on the engine over DIR's data shards, cut into tasks as `fruitstand
run` cuts its inputs: each task encodes its documents in batches (`encode_batch`) and writes
one shard as its side output `tokens`, committed with the task, so a killed run resumes
where it stopped and gives the same files. With `shuffle`, the documents of all shards are
permuted (one seeded permutation over the whole corpus) into the final shards. `meta.json`,
written last, says the run finished.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from fruitstand.io.writers import atomic_write_bytes, atomic_write_json
from fruitstand.registry import RecipeError
from fruitstand.tokens import bpe
from fruitstand.tokens.shards import TokenShards, gather

DEFAULT_VOCAB = 32768
_BATCH_BYTES = 4 << 20  # text per encode_batch call: big enough for the Rust thread pool, small in memory


def tokenize(path: str | os.PathLike, *, tokenizer: str | os.PathLike | None = None,
             train_tokenizer: int | None = None, bos: bool = False, shuffle: int | None = None,
             workers: int | None = None, overwrite: bool = False, progress: bool = False,
             train_sample_mb: float = 512) -> dict[str, Any]:
    """Tokenize the output folder `path` into `path/tokens/`; return its meta.json.

    `tokenizer`: a local tokenizer.json to use; otherwise a byte-level BPE of
    `train_tokenizer` tokens (default 32768) is trained on the first `train_sample_mb` MB
    of the corpus. `bos`: lead every document with a BOS token as well. `shuffle`: a seed
    for a deterministic shuffle of the documents. `workers`: processes (default: one per
    core; 0 runs in this process).
    """
    from fruitstand.io.inputs import find_inputs, plan_tasks

    root = Path(path)
    data = root / "data"
    if tokenizer is not None and train_tokenizer is not None:
        raise RecipeError("give --tokenizer or --train-tokenizer, not both")
    if not data.is_dir():
        raise RecipeError(f"{root} has no data/ folder: give a fruitstand output folder (fruitstand run --output DIR)")
    if tokenizer is not None and not Path(tokenizer).is_file():
        raise RecipeError(f"--tokenizer {tokenizer}: no such file; give a tokenizer.json or --train-tokenizer VOCAB")
    vocab = train_tokenizer if train_tokenizer is not None else DEFAULT_VOCAB
    if tokenizer is None and not 258 <= vocab <= 1 << 32:
        raise RecipeError(f"--train-tokenizer {vocab}: give a vocabulary of 258 or more tokens")
    if workers is not None and workers < 0:
        raise RecipeError(f"--workers {workers}: give 1 or more (0 runs in-process)")
    files = [f for f in find_inputs([data]) if f.format in ("parquet", "jsonl")]
    if not files:
        raise RecipeError(f"{data} holds no Parquet or JSONL shards")
    workers = (os.cpu_count() or 1) if workers is None else workers

    out = root / "tokens"
    state = out / ".state"
    identity = {
        "inputs": [[f.name, f.size] for f in files],
        "tokenizer": (bpe.tokenizer_hash(bpe.load_tokenizer(tokenizer)) if tokenizer is not None
                      else {"train": vocab, "sample_mb": train_sample_mb}),
        "bos": bos,
        "shuffle": shuffle,
    }
    _claim(out, identity, overwrite)
    if (out / "meta.json").exists():
        return json.loads((out / "meta.json").read_text())
    state.mkdir(parents=True, exist_ok=True)

    tok_path = out / "tokenizer.json"
    if not tok_path.exists():
        if tokenizer is not None:
            tok = bpe.load_tokenizer(tokenizer)
        else:
            tok = bpe.train_bpe(_sample_texts(plan_tasks(files, split_bytes=1 << 62), int(train_sample_mb * (1 << 20))), vocab)
        atomic_write_bytes(tok_path, tok.to_str(pretty=True).encode())
    tok = bpe.load_tokenizer(tok_path)
    eos_id, bos_id = bpe.special_ids(tok)
    if eos_id is None:
        raise RecipeError(f"the tokenizer has no end-of-document token (one of {', '.join(bpe._EOS_NAMES)}): "
                          "add one, or use --train-tokenizer")
    if bos and bos_id is None:
        raise RecipeError("--bos: the tokenizer has no beginning-of-document token; leave out --bos")
    dtype = bpe.dtype_for(tok.get_vocab_size(with_added_tokens=True))
    work = state / "work" if shuffle is not None else out
    shards = _run_job(data, work if shuffle is not None else out, tok_path, bpe.tokenizer_hash(tok), bos,
                      workers, progress)
    for s in shards:
        s["tokens"] = (Path(work if shuffle is not None else out) / s["bin"]).stat().st_size // dtype.itemsize
    if shuffle is not None:
        shards = _shuffle(work, shards, out, dtype, shuffle)
    meta = {
        "dtype": dtype.name,
        "byteorder": "little",
        "eos_id": eos_id,
        "bos_id": bos_id if bos else None,
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "tokenizer": "tokenizer.json",
        "tokenizer_sha256": bpe.tokenizer_hash(tok),
        "index_dtype": "uint64",
        "shuffle_seed": shuffle,
        "documents": sum(s["documents"] for s in shards),
        "tokens": sum(s["tokens"] for s in shards),
        "shards": [{k: s[k] for k in ("bin", "idx", "documents", "tokens")} for s in shards],
    }
    atomic_write_json(out / "meta.json", meta)
    shutil.rmtree(state / "work", ignore_errors=True)  # after meta.json: a kill before it re-runs the shuffle
    shutil.rmtree(out / ".job", ignore_errors=True)
    return meta


def _claim(out: Path, identity: dict, overwrite: bool) -> None:
    path = out / ".state" / "identity.json"
    if out.exists():
        old = json.loads(path.read_text()) if path.exists() else None
        if old == identity:
            return
        if not overwrite:
            raise RecipeError(f"{out} holds tokens made from other inputs or settings: pass --overwrite to replace them")
        shutil.rmtree(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, identity)


def _sample_texts(tasks, budget: int):
    """The corpus's first `budget` bytes of text, document by document, in the shards' order."""
    from fruitstand.io.readers import ReadLimits, read_task
    from fruitstand.step import StepStats

    seen = 0
    for task in tasks:
        for doc in read_task(task, StepStats(), ReadLimits()):
            yield doc.text
            seen += len(doc.text)
            if seen >= budget:
                return


# --- the job -------------------------------------------------------------------------------

def _run_job(data: Path, out: Path, tok_path: Path, tok_hash: str, bos: bool, workers: int,
             progress: bool) -> list[dict[str, Any]]:
    """The `tokenize` step over the data shards on the engine (`out/.job` is its run folder); the shards."""
    from fruitstand.execute.local import run
    from fruitstand.recipe import Recipe

    job = out / ".job"
    recipe = Recipe([{"kind": "tokenize", "tokenizer": str(tok_path.resolve()), "sha256": tok_hash, "bos": bos,
                      "keep": False}], name="tokenize")
    from fruitstand.execute.outcome import NoDocumentsError

    try:
        manifest = run(recipe, inputs=[data], output=job, workers=workers, progress=progress, format="jsonl")
    except NoDocumentsError as exc:  # the step ends the run: every document is dropped once tokenized
        manifest = exc.manifest
        if not manifest["read"]["documents"]:
            raise
    lost = {k: v for k, v in manifest["steps"][-1]["dropped"].items() if k != "tokenized"}
    if lost:
        raise RecipeError(f"tokenize: documents left out of the shards ({', '.join(f'{k} {v}' for k, v in lost.items())}); "
                          f"see {job / '.fruitstand' / 'errors'}")
    shards = []
    for idx in sorted((job / "tokens").glob("part-*.idx")) + sorted(out.glob("part-*.idx")):
        name = idx.stem
        if any(s["name"] == name for s in shards):
            continue
        shards.append({"name": name, "bin": f"{name}.bin", "idx": f"{name}.idx"})
    for s in shards:  # moved out of the job's folder; a move cut short by a kill is finished on resume
        for ext in ("bin", "idx"):
            src = job / "tokens" / f"{s['name']}.{ext}"
            if src.exists():
                os.replace(src, out / src.name)
        s["documents"] = (out / s["idx"]).stat().st_size // 8
    return sorted(shards, key=lambda s: s["name"])


def _shuffle(work: Path, shards: list[dict], out: Path, dtype: np.dtype, seed: int) -> list[dict]:
    """Permute every document of the task shards in `work` into as many shards in `out`."""
    src = TokenShards(work, {"dtype": dtype.str, "shards": shards})
    doc_shard = np.concatenate([np.full(s["documents"], k, dtype=np.int64) for k, s in enumerate(shards)])
    doc_start = np.concatenate([src.starts(k).astype(np.int64) for k in range(len(shards))])
    doc_len = np.concatenate([np.diff(np.append(src.starts(k).astype(np.int64), s["tokens"]))
                              for k, s in enumerate(shards)])
    order = np.random.default_rng(seed).permutation(len(doc_start))
    result = []
    for k, part in enumerate(np.array_split(order, len(shards))):
        result.append(gather(src, part, out, f"part-{k:05d}", dtype, doc_shard, doc_start, doc_len))
    return result
