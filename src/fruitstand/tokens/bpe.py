"""Byte-level BPE: train one on a corpus, load one, and encode texts into flat token arrays.

Byte-level so that every text in every script encodes and decodes back to itself exactly:
the tokenizer has no normaliser (no NFC, no lower-casing, no whitespace stripping), its
alphabet is the 256 bytes, and special tokens written in a document's text are encoded as
plain text (`encode_special_tokens`), so a page that quotes "<|endoftext|>" is not cut.

The end-of-document token (and the optional beginning-of-document token) are added here,
as numbers, between documents: the tokenizer's own post-processor is not used, so a loaded
tokenizer that would add its BOS to every call does not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

EOS = "<|endoftext|>"
BOS = "<|bos|>"
# Names other tokenizers give their end- and start-of-document tokens (GPT-2, Llama 3, T5, Mistral).
_EOS_NAMES = (EOS, "<|end_of_text|>", "</s>", "<eos>", "<|eos|>")
_BOS_NAMES = (BOS, "<|begin_of_text|>", "<s>", "<bos>", "<|startoftext|>")


def train_bpe(texts: Iterable[str], vocab_size: int, *, min_frequency: int = 2):
    """A byte-level BPE with `vocab_size` tokens (EOS and BOS included) trained on `texts`.

    The trainer counts words and merges the most frequent pair, breaking ties by the pair
    itself, so the same texts give the same tokenizer, byte for byte.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if vocab_size < 256 + 2:
        raise ValueError(f"vocabulary of {vocab_size}: a byte-level BPE needs at least 258 (256 bytes, EOS, BOS)")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
                                  special_tokens=[EOS, BOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    tok.encode_special_tokens = True
    return tok


def load_tokenizer(path: str):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.encode_special_tokens = True
    return tok


def from_json(data: str):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(data)
    tok.encode_special_tokens = True
    return tok


def tokenizer_hash(tok) -> str:
    """sha256 of the tokenizer's JSON: what a token shard's numbers mean."""
    return hashlib.sha256(tok.to_str().encode()).hexdigest()


def special_ids(tok) -> tuple[int | None, int | None]:
    """(eos_id, bos_id) of a tokenizer, found by the usual names; None where it has none."""
    def find(names: Sequence[str]) -> int | None:
        for name in names:
            i = tok.token_to_id(name)
            if i is not None:
                return i
        return None

    return find(_EOS_NAMES), find(_BOS_NAMES)


def dtype_for(vocab_size: int) -> np.dtype:
    """uint16 when every id fits (nanoGPT's and litgpt's shards), else uint32; little-endian."""
    return np.dtype("<u2") if vocab_size <= 1 << 16 else np.dtype("<u4")


def encode(tok, texts: Sequence[str], *, eos_id: int, bos_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of `texts`, concatenated, each document followed by `eos_id` (and led by `bos_id`).

    Returns (tokens as uint32, each document's start offset as int64). One `encode_batch`
    call for the whole batch (the Rust side runs it on its thread pool).
    """
    batch = getattr(tok, "encode_batch_fast", tok.encode_batch)
    try:
        encodings = batch(list(texts), add_special_tokens=False)
    except (TypeError, ValueError, UnicodeError):  # a lone surrogate: no UTF-8 for the Rust side
        encodings = batch([t.encode("utf-8", "replace").decode("utf-8") for t in texts], add_special_tokens=False)
    extra = 1 + (bos_id is not None)
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings)) + extra
    starts = np.zeros(len(encodings), dtype=np.int64)
    if len(encodings) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    out = np.empty(int(lengths.sum()), dtype=np.uint32)
    lead = int(bos_id is not None)
    for s, n, e in zip(starts.tolist(), lengths.tolist(), encodings):
        out[s + lead:s + n - 1] = e.ids
    if bos_id is not None:
        out[starts] = bos_id
    out[starts + lengths - 1] = eos_id
    return out, starts


def decode(tok, ids: Sequence[int] | np.ndarray) -> str:
    """The text of one document's tokens (its EOS/BOS dropped)."""
    ids = np.asarray(ids).tolist()
    eos, bos = special_ids(tok)
    if ids and ids[-1] == eos:
        ids = ids[:-1]
    if ids and bos is not None and ids[0] == bos:
        ids = ids[1:]
    return tok.decode(ids, skip_special_tokens=False)
