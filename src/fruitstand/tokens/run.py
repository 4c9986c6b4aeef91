"""`fruitstand tokenize DIR`: a fruitstand output folder's documents as token shards in `DIR/tokens/`.

One task per slice of the output's data shards (the same cut `fruitstand run` makes of its
inputs), run on worker processes: each reads its documents, encodes them in batches with
`encode_batch` and writes one shard (`part-NNNNN.bin` + `.idx`) atomically, then records
itself done, so a killed run resumes where it stopped and gives the same files. With
`shuffle`, the documents of all task shards are permuted (a seeded permutation over the
whole corpus) into the final shards. `meta.json`, written last, says the run finished.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fruitstand.io.writers import atomic_write_bytes, atomic_write_json
from fruitstand.registry import RecipeError
from fruitstand.tokens import bpe
from fruitstand.tokens.shards import TokenShards, TokenShardWriter, gather

DEFAULT_VOCAB = 32768
_BATCH_BYTES = 4 << 20  # text per encode_batch call: big enough for the Rust thread pool, small in memory


@dataclass(frozen=True)
class TokenizeSpec:
    """What a tokenize task needs, picklable."""

    tokenizer: str  # path of tokenizer.json
    folder: str  # where the task's shard goes
    dtype: str
    eos_id: int
    bos_id: int | None


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
    tasks = plan_tasks(files, split_bytes=64 << 20)
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
            tok = bpe.train_bpe(_sample_texts(tasks, int(train_sample_mb * (1 << 20))), vocab)
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
    spec = TokenizeSpec(str(tok_path), str(work), dtype.str, eos_id, bos_id if bos else None)

    results = _run_tasks(spec, tasks, state, workers, progress)
    shards = [r for r in results if r["documents"]]
    if shuffle is not None:
        shards = _shuffle(Path(work), shards, out, dtype, shuffle)
    else:
        for r in results:  # a task that held no document leaves no shard
            if not r["documents"]:
                for ext in ("bin", "idx"):
                    (out / f"{r['name']}.{ext}").unlink(missing_ok=True)
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


# --- tasks ----------------------------------------------------------------------------------

_tokenizers: dict[str, Any] = {}


def _tokenizer(path: str):
    if path not in _tokenizers:
        _tokenizers.clear()
        _tokenizers[path] = bpe.load_tokenizer(path)
    return _tokenizers[path]


def tokenize_task(spec: TokenizeSpec, task) -> dict[str, Any]:
    """Encode one task's documents into the shard `part-{task.index:05d}`; return its counts."""
    from fruitstand.io.readers import ReadLimits, read_task
    from fruitstand.step import StepStats

    tok = _tokenizer(spec.tokenizer)
    writer = TokenShardWriter(Path(spec.folder), f"part-{task.index:05d}", np.dtype(spec.dtype))
    texts: list[str] = []
    size = 0
    try:
        for doc in read_task(task, StepStats(), ReadLimits()):
            texts.append(doc.text)
            size += len(doc.text)
            if size >= _BATCH_BYTES:
                writer.write(*bpe.encode(tok, texts, eos_id=spec.eos_id, bos_id=spec.bos_id))
                texts, size = [], 0
        if texts:
            writer.write(*bpe.encode(tok, texts, eos_id=spec.eos_id, bos_id=spec.bos_id))
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def _init_worker() -> None:
    # Each worker is one of N processes already: one Rust thread each, not N x cores.
    os.environ.setdefault("RAYON_NUM_THREADS", "1")


def _run_tasks(spec: TokenizeSpec, tasks, state: Path, workers: int, show: bool) -> list[dict[str, Any]]:
    from fruitstand.execute.progress import Progress

    done_dir = state / "done"
    done_dir.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict] = {}
    todo = []
    for t in tasks:
        marker = done_dir / f"task{t.index:05d}.json"
        if marker.exists():
            results[t.index] = json.loads(marker.read_text())
        else:
            todo.append(t)
    bar = Progress(show, sum(t.size for t in tasks), len(tasks))
    bar.start()

    def finish(t, res: dict) -> None:
        atomic_write_json(done_dir / f"task{t.index:05d}.json", res)
        results[t.index] = res
        bar.task_done(res["documents"], t.size)

    try:
        for t in tasks:
            if t.index in results:
                bar.task_done(results[t.index]["documents"], t.size)
        if workers == 0 or len(todo) <= 1:
            for t in todo:
                finish(t, tokenize_task(spec, t))
        else:
            with ProcessPoolExecutor(min(workers, len(todo)), mp_context=mp.get_context("spawn"),
                                     initializer=_init_worker) as pool:
                futures = {pool.submit(tokenize_task, spec, t): t for t in todo}
                while futures:
                    finished, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                    for fut in finished:
                        finish(futures.pop(fut), fut.result())
    finally:
        bar.stop()
    return [results[t.index] for t in tasks]


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
