"""`tokenize`: a step that writes each task's documents as a token shard (side output `tokens`).

What `fruitstand tokenize DIR` runs over DIR's data shards (with `keep = false`: the documents
end here, nothing is written twice), and what a recipe can end with to tokenize as it curates.
Each task writes `tokens/part-NNNNN.bin` (raw little-endian ids, EOS after every document,
BOS before it with `bos = true`) and `part-NNNNN.idx` (each document's start, uint64),
committed with the task by the engine, so a killed run leaves no half shard.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fruitstand import params
from fruitstand.document import Document
from fruitstand.step import BatchMapper
from fruitstand.tokens import bpe
from fruitstand.tokens.shards import INDEX_DTYPE


@dataclass
class Tokenize(BatchMapper):
    kind = "tokenize"
    side_outputs: ClassVar[tuple[str, ...]] = ("tokens",)

    # A local tokenizer.json (`fruitstand tokenize` trains one when asked).
    tokenizer: str = ""
    # Its sha256 (bpe.tokenizer_hash), checked at set-up when given, so shards never mix two tokenizers.
    sha256: str = ""
    bos: bool = False
    # Pass documents on to the next step and the data shards; false makes the step the end of the run.
    keep: bool = True
    batch_size: int = 512

    def validate(self) -> None:
        if not self.tokenizer or not os.path.isfile(self.tokenizer):
            raise params.fail(self, "tokenizer", "a tokenizer.json file that exists (`fruitstand tokenize` trains one)")
        params.at_least(self, "batch_size", 1)

    def setup(self) -> None:
        if not self.tokenizer:
            raise ValueError("tokenize: give tokenizer = \"path/to/tokenizer.json\"")
        self._tok = bpe.load_tokenizer(self.tokenizer)
        if self.sha256 and bpe.tokenizer_hash(self._tok) != self.sha256:
            raise ValueError(f"tokenize: {self.tokenizer} is not the tokenizer this run started with")
        self._eos, bos_id = bpe.special_ids(self._tok)
        if self._eos is None:
            raise ValueError(f"tokenize: {self.tokenizer} has no end-of-document token")
        if self.bos and bos_id is None:
            raise ValueError(f"tokenize: {self.tokenizer} has no beginning-of-document token (bos = true)")
        self._bos = bos_id if self.bos else None
        self._dtype = bpe.dtype_for(self._tok.get_vocab_size(with_added_tokens=True))

    def open(self, ctx) -> None:
        self._bin = None
        self._starts: list[np.ndarray] = []
        self._written = 0

    def apply_batch(self, docs: list[Document]) -> list:
        tokens, starts = bpe.encode(self._tok, [d.text for d in docs], eos_id=self._eos, bos_id=self._bos)
        if self._bin is None:
            self._bin = self.ctx.output("tokens").open(f"{self.ctx.part}.bin", "wb")
        self._bin.write(tokens.astype(self._dtype).tobytes())
        self._starts.append(starts.astype(INDEX_DTYPE) + self._written)
        self._written += int(tokens.size)
        self.ctx.count("tokens", int(tokens.size))
        return docs if self.keep else [(None, "tokenized")] * len(docs)

    def finish(self) -> None:
        if self._bin is None:  # a task with no document leaves no shard
            return
        with self.ctx.output("tokens").open(f"{self.ctx.part}.idx", "wb") as fh:
            fh.write(np.concatenate(self._starts).tobytes())
