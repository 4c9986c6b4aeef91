"""FineWeb's own quality rules: punctuation, short lines, duplicated lines, list-like pages.

From Penedo et al. 2024 ("The FineWeb Datasets", section 3.5: three rules chosen by ablation
on top of C4 and Gopher), as datatrove's FineWebQualityFilter applies them. Over the
non-empty lines of a page, it is dropped when

- fewer than 12 % of lines end in terminal punctuation (`fineweb_line_punct_ratio`);
- more than 67 % of lines are 30 characters or shorter (`fineweb_short_line_ratio`);
- more than 1 % of its characters sit in lines that repeat an earlier one
  (`fineweb_char_dup_ratio`);
- it has more than 0.3 newlines per word (`fineweb_list_ratio`); and an empty page is
  `fineweb_empty`.

Language awareness: terminal punctuation is every Unicode `Sentence_Terminal` mark (`۔`, `؟`,
`।`, `。` as well as `.!?`), and CJK lines may close a quote after it (`。」`); words are
`text.tokens` segmented per script; and the thresholds the generator found to depend on the
language are read from its config: `line_punct_thr` (0 for Thai, which ends sentences with a
space), `short_line_length` (scaled to characters per word: 30 Latin characters are ~5 words,
~10 Chinese ones are) and `new_line_ratio` (scaled to words per sentence).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fruitstand import params
from fruitstand.document import Document
from fruitstand.filters import configs
from fruitstand.filters.gopher_repetition import duplicates
from fruitstand.filters.text import min_tokens, terminal_marks, tokens
from fruitstand.step import Filter

_CJK_CLOSERS = "」』”）)"


@dataclass
class FineWebQuality(Filter):
    kind: ClassVar[str] = "fineweb_quality"

    line_punct_thr: float = 0.12
    # Keep pages with no punctuated line at all (datatrove's option; off as in FineWeb).
    line_punct_exclude_zero: bool = False
    short_line_thr: float = 0.67
    short_line_length: int = 30
    char_duplicates_ratio: float = 0.01
    new_line_ratio: float = 0.3
    language_thresholds: bool = True

    def validate(self) -> None:
        for name in ("line_punct_thr", "short_line_thr", "char_duplicates_ratio"):
            params.between(self, name, 0, 1)
        params.at_least(self, "short_line_length", 0)
        params.at_least(self, "new_line_ratio", 0)

    def keep(self, doc: Document) -> bool | tuple[bool, str]:
        cfg = configs.for_document(doc)
        p = configs.resolve(self, self.kind, cfg)
        text = doc.text
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return False, "fineweb_empty"

        ends = tuple(terminal_marks())
        if cfg.script in ("Hani", "Jpan"):
            lines_ = [line.rstrip(_CJK_CLOSERS) for line in lines]
        else:
            lines_ = lines
        ratio = sum(line.endswith(ends) for line in lines_) / len(lines)
        if ratio < p.line_punct_thr and not (ratio == 0 and p.line_punct_exclude_zero):
            return False, "fineweb_line_punct_ratio"

        ratio = sum(len(line) <= p.short_line_length for line in lines) / len(lines)
        if ratio > p.short_line_thr:
            return False, "fineweb_short_line_ratio"

        ratio = duplicates(lines)[1] / max(1, len(text.replace("\n", "")))
        if ratio > p.char_duplicates_ratio:
            return False, "fineweb_char_dup_ratio"

        # Tokens only when a floor for their number (the white-space chunks) leaves it open.
        newlines, language = text.count("\n"), doc.metadata.get("language")
        floor = min_tokens(text, language, cfg.script)
        if floor is None or newlines / max(1, floor) > p.new_line_ratio:
            n_words = len(tokens(text, language, cfg.script))
            if newlines / max(1, n_words) > p.new_line_ratio:
                return False, "fineweb_list_ratio"
        return True
