"""Gopher's quality rules: drop documents that do not read like prose.

From Rae et al. 2021 (Gopher, section A.1.1), as datatrove's GopherQualityFilter applies
them; a document is dropped, with the reason in brackets, when it has

- fewer than 50 or more than 100,000 words (`gopher_short_doc`, `gopher_long_doc`);
- a mean word length outside 3..10 characters (`gopher_below_avg_threshold`,
  `gopher_above_avg_threshold`);
- more than 0.1 `#` or ellipses per word (`gopher_too_many_hashes`, `gopher_too_many_ellipsis`);
- more than 90 % of lines starting with a bullet (`gopher_too_many_bullets`) or 30 % ending in
  an ellipsis (`gopher_too_many_end_ellipsis`);
- fewer than 80 % of its tokens holding a letter (`gopher_below_alpha_threshold`);
- fewer than 2 of the language's stop words (`gopher_enough_stop_words`, datatrove's name).

Words are `text.tokens` (punctuation marks count as tokens for the alphabetic ratio and the
per-word ratios, as spaCy's do in datatrove; word counts and lengths leave them out),
segmented per script. Stop words and the word-length and alphabetic bounds come from the
language's config: Gopher's eight English words for English, the most frequent words of
wordfreq's list for the others, and bounds scaled to the language's word lengths (Chinese
words are 1-2 characters, Urdu ones ~3.6, Finnish ones ~7.8). A script fallback config has no
stop words, so the stop-word rule is skipped for languages nobody measured. Stop words match
case-insensitively (datatrove matches case-sensitively; "The" counts here).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import compress, repeat
from operator import not_
from typing import ClassVar

import regex

from fruitstand import params
from fruitstand.document import Document
from fruitstand.filters import configs
from fruitstand.filters.text import drop_punctuation, tokens
from fruitstand.step import Filter

# Gopher's English stop words (Rae et al. 2021, A.1.1).
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
_HAS_LETTER = regex.compile(r"^[^\n]*?\p{L}", regex.MULTILINE)
_PUNCT_LINES = regex.compile(r"^[\p{P}\p{S}]+$", regex.MULTILINE)


def token_stats(toks: list[str]) -> tuple[int, int, int]:
    """(words, characters in words, tokens holding a letter): `drop_punctuation`'s words counted
    without building them, and the letter rule's count of the newline-joined tokens' lines that
    hold a letter. A token of letters alone (`str.isalpha`: every such character is a `\\p{L}`)
    is a word with a letter, so only the other tokens (a quarter, in English) are joined and
    searched: the all-punctuation ones are subtracted, the ones with a letter added."""
    alpha = list(map(str.isalpha, toks))
    other = list(compress(toks, map(not_, alpha)))
    chars = sum(map(len, toks))
    if not other:
        return len(toks), chars, len(toks)
    joined = "\n".join(other)
    if joined.count("\n") == len(other) - 1 and "" not in other:  # one line per token
        punct = _PUNCT_LINES.findall(joined)
        with_letter = len(toks) - len(other) + len(_HAS_LETTER.findall(joined))
        return len(toks) - len(punct), chars - sum(map(len, punct)), with_letter
    words = drop_punctuation(toks)
    return len(words), sum(map(len, words)), len(_HAS_LETTER.findall("\n".join(toks)))


@functools.lru_cache(maxsize=64)
def _all_lower(words: frozenset) -> bool:
    return all(w == w.lower() for w in words)


@dataclass
class GopherQuality(Filter):
    kind: ClassVar[str] = "gopher_quality"

    min_doc_words: int | None = 50
    max_doc_words: int | None = 100_000
    min_avg_word_length: float | None = 3
    max_avg_word_length: float | None = 10
    max_symbol_word_ratio: float | None = 0.1
    max_bullet_lines_ratio: float | None = 0.9
    max_ellipsis_lines_ratio: float | None = 0.3
    # The least fraction of tokens holding a letter (datatrove's name for it).
    max_non_alpha_words_ratio: float | None = 0.8
    min_stop_words: int | None = 2
    # None: the language's stop words from configs/ (Gopher's for English).
    stop_words: list[str] | None = None
    language_thresholds: bool = True

    def validate(self) -> None:
        for name in ("min_doc_words", "max_doc_words", "min_stop_words"):
            params.at_least(self, name, 0, off=None)
        for name in ("min_avg_word_length", "max_avg_word_length"):
            params.at_least(self, name, 0, off=None)
        for name in ("max_symbol_word_ratio", "max_bullet_lines_ratio", "max_ellipsis_lines_ratio",
                     "max_non_alpha_words_ratio"):
            params.between(self, name, 0, 1, off=None)
        if self.min_doc_words and self.max_doc_words and self.min_doc_words > self.max_doc_words:
            raise params.fail(self, "min_doc_words", f"at most max_doc_words ({self.max_doc_words})")
        if (self.min_avg_word_length and self.max_avg_word_length
                and self.min_avg_word_length > self.max_avg_word_length):
            raise params.fail(self, "min_avg_word_length", f"at most max_avg_word_length ({self.max_avg_word_length})")

    def keep(self, doc: Document) -> bool | tuple[bool, str]:
        cfg = configs.for_document(doc)
        p = configs.resolve(self, self.kind, cfg)
        text = doc.text
        toks = tokens(text, doc.metadata.get("language"), cfg.script)
        n_toks = len(toks)
        n_words, word_chars, with_letter = token_stats(toks)

        if p.min_doc_words and n_words < p.min_doc_words:
            return False, "gopher_short_doc"
        if p.max_doc_words and n_words > p.max_doc_words:
            return False, "gopher_long_doc"
        if not n_words:
            return False, "gopher_short_doc"

        avg = word_chars / n_words
        if p.min_avg_word_length and avg < p.min_avg_word_length:
            return False, "gopher_below_avg_threshold"
        if p.max_avg_word_length and avg > p.max_avg_word_length:
            return False, "gopher_above_avg_threshold"

        if p.max_symbol_word_ratio and text.count("#") / n_toks > p.max_symbol_word_ratio:
            return False, "gopher_too_many_hashes"
        if p.max_symbol_word_ratio and (text.count("...") + text.count("…")) / n_toks > p.max_symbol_word_ratio:
            return False, "gopher_too_many_ellipsis"

        lines = text.splitlines() or [""]
        if p.max_bullet_lines_ratio:  # map, not a generator: no Python per line
            bullets = sum(map(str.startswith, map(str.lstrip, lines), repeat(("•", "-"))))
            if bullets / len(lines) > p.max_bullet_lines_ratio:
                return False, "gopher_too_many_bullets"
        if p.max_ellipsis_lines_ratio:
            ellipses = sum(map(str.endswith, map(str.rstrip, lines), repeat(("...", "…"))))
            if ellipses / len(lines) > p.max_ellipsis_lines_ratio:
                return False, "gopher_too_many_end_ellipsis"

        if p.max_non_alpha_words_ratio:
            if with_letter / n_toks < p.max_non_alpha_words_ratio:
                return False, "gopher_below_alpha_threshold"

        stop = frozenset(p.stop_words) if p.stop_words is not None else p.language_stop_words
        if p.min_stop_words and stop:
            # A token equal to a lower-case stop word is one lower-cased too: where the stop words are
            # all lower-case and enough tokens are stop words as they stand, no token is lower-cased.
            if not (_all_lower(stop) and len(stop.intersection(toks)) >= p.min_stop_words):
                if len(stop.intersection(map(str.lower, toks))) < p.min_stop_words:
                    return False, "gopher_enough_stop_words"
        return True
