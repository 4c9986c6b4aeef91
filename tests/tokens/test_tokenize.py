"""`fruitstand tokenize`: token shards that decode back to every document exactly, in every language.

Corpus: every language of ../shared/data/lang (Leipzig sentences), real Common Crawl text
(allenai/dolma's CC-MAIN sample) and Urdu news, written as a fruitstand output folder.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fruitstand
from fruitstand.registry import RecipeError
from fruitstand.tokens import bpe
from fruitstand.tokens.shards import TokenShards, TokenShardWriter
from tests.conftest import REPO, tree_digest

VOCAB = 1500


def _corpus(shared: Path) -> list[str]:
    texts = []
    for f in sorted((shared / "lang").glob("*.txt")):
        lines = f.read_text(encoding="utf-8").splitlines()
        texts += ["\n".join(lines[i:i + 25]) for i in range(0, 50, 25)]
    with gzip.open(shared / "text" / "CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", "rt") as fh:
        texts += [json.loads(line)["text"] for _, line in zip(range(80), fh)]
    texts += [f.read_text(encoding="utf-8") for f in sorted((shared / "urdu-news").glob("train-sp*.txt"))[:10]]
    # Text a tokenizer might change or cut: its own special tokens, zero-width and combining marks, spaces.
    texts += ["quotes <|endoftext|> and <|bos|> </s>\n\tx\u0301 \u200b\u200d  end  ", " ", "\n\n"]
    return texts


def _output_folder(root: Path, texts: list[str], shards: int = 3) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    for k, part in enumerate(np.array_split(np.arange(len(texts)), shards)):
        table = pa.table({"id": [f"d{i}" for i in part], "text": [texts[i] for i in part]})
        pq.write_table(table, data / f"part-{k:05d}-0000.parquet")
    return root


@pytest.fixture(scope="module")
def corpus(shared, tmp_path_factory) -> tuple[Path, list[str]]:
    texts = _corpus(shared)
    return _output_folder(tmp_path_factory.mktemp("out"), texts), texts


@pytest.fixture(scope="module")
def tokenized(corpus) -> tuple[Path, list[str], dict]:
    folder, texts = corpus
    meta = fruitstand.tokenize(folder, train_tokenizer=VOCAB, workers=2)
    return folder, texts, meta


def _decoded(tokens: Path) -> list[str]:
    shards = TokenShards.open(tokens)
    tok = shards.tokenizer()
    return [bpe.decode(tok, doc) for doc in shards.documents()]


def test_every_document_decodes_to_its_text(tokenized):
    folder, texts, meta = tokenized
    assert meta["documents"] == len(texts)
    # The text as fruitstand reads it (io/base.py normalises line ends and control characters once, at reading).
    stored = [d.text for d in fruitstand.read(folder / "data")]
    assert _decoded(folder / "tokens") == stored  # every language, real crawl text, in the corpus's order
    assert sum(a != b for a, b in zip(stored, texts)) < len(texts) // 20
    assert meta["vocab_size"] == VOCAB and meta["dtype"] == "uint16"


def test_the_bpe_itself_changes_no_text(tokenized):
    """No normaliser at all: CRLF, C1 controls, BOMs, combining marks come back as they went in."""
    folder, texts, _ = tokenized
    tok = bpe.load_tokenizer(folder / "tokens" / "tokenizer.json")
    eos, _ = bpe.special_ids(tok)
    odd = texts + ["a\r\nb\rc\x85d\x92e\x00f\ufeff", "\u0915\u094d\u200d\u0937 e\u0301 \U0001F469\u200d\U0001F52C"]
    ids, starts = bpe.encode(tok, odd, eos_id=eos)
    ends = np.append(starts[1:], len(ids))
    assert [bpe.decode(tok, ids[s:e]) for s, e in zip(starts, ends)] == odd


def test_shards_read_as_nanogpt_reads_them(tokenized):
    folder, texts, meta = tokenized
    out = folder / "tokens"
    total = 0
    for shard in meta["shards"]:
        toks = np.memmap(out / shard["bin"], dtype=np.uint16, mode="r")
        starts = np.fromfile(out / shard["idx"], dtype="<u8")
        assert len(toks) == shard["tokens"] and len(starts) == shard["documents"]
        assert starts[0] == 0 and np.all(np.diff(starts.astype(np.int64)) > 0)
        ends = np.append(starts[1:].astype(np.int64), len(toks))
        assert np.all(toks[ends - 1] == meta["eos_id"])  # an EOS after every document ...
        assert (toks == meta["eos_id"]).sum() == len(starts)  # ... and nowhere else
        total += len(toks)
    assert total == meta["tokens"]
    assert meta["bos_id"] is None
    assert meta["tokenizer_sha256"] == bpe.tokenizer_hash(bpe.load_tokenizer(out / "tokenizer.json"))


def test_same_corpus_same_bytes_any_workers_and_resume(corpus, tokenized, tmp_path):
    folder, texts = corpus
    again = _output_folder(tmp_path / "again", texts)
    fruitstand.tokenize(again, train_tokenizer=VOCAB, workers=0)
    assert tree_digest(again / "tokens") == tree_digest(folder / "tokens")
    # A run killed (SIGKILL) once its first task's shard is committed, then run again.
    shutil.rmtree(again / "tokens")
    cmd = [sys.executable, "-m", "fruitstand", "tokenize", str(again), "--train-tokenizer", str(VOCAB), "-w", "1", "-q"]
    proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if list((again / "tokens" / ".job" / "tokens").glob("*.idx")):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    fruitstand.tokenize(again, train_tokenizer=VOCAB, workers=2)
    assert tree_digest(again / "tokens") == tree_digest(folder / "tokens")


def test_shuffle_and_bos(corpus, tokenized, tmp_path):
    folder, texts = corpus
    tok_json = folder / "tokens" / "tokenizer.json"
    metas, decoded = [], []
    for name, workers in (("a", 2), ("b", 0)):
        out = _output_folder(tmp_path / name, texts)
        metas.append(fruitstand.tokenize(out, tokenizer=tok_json, bos=True, shuffle=7, workers=workers))
        decoded.append(_decoded(out / "tokens"))
        shards = TokenShards.open(out / "tokens")
        for k in range(len(shards.meta["shards"])):
            assert np.all(shards.tokens(k)[shards.starts(k)] == metas[-1]["bos_id"])
    assert tree_digest(tmp_path / "a" / "tokens") == tree_digest(tmp_path / "b" / "tokens")
    stored = [d.text for d in fruitstand.read(folder / "data")]
    assert decoded[0] != stored and sorted(decoded[0]) == sorted(stored)
    assert metas[0]["tokens"] == TokenShards.open(folder / "tokens").meta["tokens"] + len(texts)  # one BOS each


def test_refuses_other_settings_without_overwrite(tokenized):
    folder, _, _ = tokenized
    with pytest.raises(RecipeError, match="--overwrite"):
        fruitstand.tokenize(folder, train_tokenizer=VOCAB, bos=True)
    with pytest.raises(RecipeError, match="no data/ folder"):
        fruitstand.tokenize(folder / "tokens")


def test_uint32_when_the_vocabulary_does_not_fit_uint16(tmp_path):
    assert bpe.dtype_for(65536) == np.dtype("<u2") and bpe.dtype_for(65537) == np.dtype("<u4")
    w = TokenShardWriter(tmp_path, "part-00000", bpe.dtype_for(100_000))
    w.write(np.array([70_000, 5, 99_999], dtype=np.uint32), np.array([0], dtype=np.int64))
    w.close()
    assert np.memmap(tmp_path / "part-00000.bin", dtype="<u4", mode="r").tolist() == [70_000, 5, 99_999]
    with pytest.raises(ValueError, match="does not fit"):
        TokenShardWriter(tmp_path, "x", np.dtype("<u2")).write(np.array([70_000], dtype=np.uint32), np.zeros(1, np.int64))
