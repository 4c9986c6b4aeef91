"""Token shards: raw little-endian token ids (`.bin`) and each document's start (`.idx`).

The layout nanoGPT and litgpt read: `np.memmap(path, dtype=meta["dtype"], mode="r")` is the
whole shard's token stream. The `.idx` file beside it is raw little-endian uint64, one
entry per document: the offset of its first token (its BOS when there is one), so training
code can keep attention inside documents. Every document ends with `eos_id`.

A shard is written to a hidden temporary name and renamed into place when complete (the
index last), so a shard that is visible is whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

INDEX_DTYPE = np.dtype("<u8")
_GATHER_TOKENS = 8 << 20


class TokenShardWriter:
    """Appends batches of (tokens, starts) to one shard; `close()` makes it visible."""

    def __init__(self, folder: Path, name: str, dtype: np.dtype):
        self.folder, self.name, self.dtype = Path(folder), name, np.dtype(dtype)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.bin_path = self.folder / f"{name}.bin"
        self.idx_path = self.folder / f"{name}.idx"
        self._tmp = self.folder / f".{name}.bin.tmp"
        self._fh = open(self._tmp, "wb")
        self._starts: list[np.ndarray] = []
        self.tokens = 0
        self.documents = 0

    def write(self, tokens: np.ndarray, starts: np.ndarray) -> None:
        if tokens.size and int(tokens.max()) > np.iinfo(self.dtype).max:
            raise ValueError(f"token id {int(tokens.max())} does not fit {self.dtype}")
        self._fh.write(np.ascontiguousarray(tokens, dtype=self.dtype.newbyteorder("<")).tobytes())
        self._starts.append(starts.astype(INDEX_DTYPE) + self.tokens)
        self.tokens += int(tokens.size)
        self.documents += int(starts.size)

    def close(self) -> dict:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self._tmp, self.bin_path)
        starts = np.concatenate(self._starts) if self._starts else np.zeros(0, INDEX_DTYPE)
        tmp = self.folder / f".{self.name}.idx.tmp"
        with open(tmp, "wb") as fh:
            fh.write(starts.astype(INDEX_DTYPE).tobytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.idx_path)
        return {"name": self.name, "bin": self.bin_path.name, "idx": self.idx_path.name,
                "documents": self.documents, "tokens": self.tokens}

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self._tmp.unlink(missing_ok=True)


@dataclass
class TokenShards:
    """A `tokens/` folder, read back: `len()` documents, `doc(i)` the i-th one's tokens."""

    folder: Path
    meta: dict

    @classmethod
    def open(cls, folder: str | os.PathLike) -> TokenShards:
        folder = Path(folder)
        return cls(folder, json.loads((folder / "meta.json").read_text()))

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.meta["dtype"]).newbyteorder("<")

    def tokens(self, shard: int) -> np.ndarray:
        info = self.meta["shards"][shard]
        if info["tokens"] == 0:
            return np.zeros(0, self.dtype)
        return np.memmap(self.folder / info["bin"], dtype=self.dtype, mode="r")

    def starts(self, shard: int) -> np.ndarray:
        return np.fromfile(self.folder / self.meta["shards"][shard]["idx"], dtype=INDEX_DTYPE)

    def documents(self) -> Iterator[np.ndarray]:
        """Every document's tokens (BOS, text, EOS), shard by shard."""
        for k in range(len(self.meta["shards"])):
            toks, starts = self.tokens(k), self.starts(k).astype(np.int64)
            ends = np.append(starts[1:], len(toks))
            for s, e in zip(starts.tolist(), ends.tolist()):
                yield toks[s:e]

    def tokenizer(self):
        from fruitstand.tokens.bpe import load_tokenizer

        return load_tokenizer(self.folder / "tokenizer.json")


def gather(shards: TokenShards, order: np.ndarray, folder: Path, name: str, dtype: np.dtype,
           doc_shard: np.ndarray, doc_start: np.ndarray, doc_len: np.ndarray) -> dict:
    """Write the documents `order` (global document numbers) as one shard, in that order.

    Vectorised: the token positions of all the shard's documents are built at once
    (`np.repeat` of each start, plus a running offset), one fancy-index per source shard.
    """
    writer = TokenShardWriter(folder, name, dtype)
    try:
        lens_all = doc_len[order]
        ends = np.cumsum(lens_all)
        first = 0
        while first < len(order):  # pieces of about _GATHER_TOKENS tokens: bounded memory
            last = max(first + 1, int(np.searchsorted(ends, ends[first] - lens_all[first] + _GATHER_TOKENS)))
            part, lens = order[first:last], lens_all[first:last]
            starts = np.zeros(len(part), dtype=np.int64)
            if len(part) > 1:
                np.cumsum(lens[:-1], out=starts[1:])
            total = int(lens.sum())
            out = np.empty(total, dtype=dtype)
            pos = np.arange(total, dtype=np.int64) - np.repeat(starts, lens)  # offset inside its document
            src_start = np.repeat(doc_start[part], lens) + pos
            src_shard = np.repeat(doc_shard[part], lens)
            for k in np.unique(src_shard).tolist():
                mask = src_shard == k
                out[mask] = shards.tokens(k)[src_start[mask]]
            writer.write(out, starts)
            first = last
        return writer.close()
    except BaseException:
        writer.abort()
        raise
