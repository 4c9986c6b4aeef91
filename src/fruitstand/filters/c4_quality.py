"""C4's rules: keep only the lines that read as sentences, drop pages left with too few.

From Raffel et al. 2020 (T5, section 2.2) and the tensorflow-datasets `c4_utils.py` it
points to, as datatrove's C4QualityFilter applies them, line by line:

- a line is dropped if it has a word over 1,000 characters, does not end in terminal
  punctuation (or ends in an ellipsis), has fewer than 3 words, mentions "javascript", or
  holds a cookie or terms-of-use phrase; Wikipedia-style citations (`[1]`, `[edit]`) are cut;
- a page is dropped if it says "lorem ipsum" (`c4_lorem_ipsum`), holds a curly bracket
  (`c4_curly_bracket`), or keeps fewer than 5 sentences (`c4_too_few_sentences`).

The page that passes is the kept lines joined by newlines: this step is a Mapper. Counts of
dropped lines per reason go to the step's extra counters (`c4_lines_*`).

Language awareness: a line may end in its script's terminal mark (`۔`, `؟`, `।`, `。`, ...)
as well as C4's `. ? ! " '`, or in a closing quote after one (`۔”`, `。」`); sentences
are counted per script by `text.sentence_count` (Urdu `۔` glued to the next word still ends a
sentence); words of Chinese, Japanese and Thai lines are their segmenter's words, not spaces.
The cookie/policy phrases and "javascript" are English, as in C4. Thai writes no terminal
marks, so its config turns the terminal-punctuation rule off; languages whose sentences are
longer than English ones need fewer of them (`min_num_sentences` in their config).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from fruitstand import params
from fruitstand.document import Document
from fruitstand.filters import configs
from fruitstand.filters.text import (
    CLOSERS,
    SEGMENTED_SCRIPTS,
    sentence_count,
    terminal_punctuation,
    tokens,
    words,
    words_up_to,
)
from fruitstand.step import Mapper, StepStats

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
C4_END_PUNCTUATION = (".", "?", "!", '"', "'")
POLICY_SUBSTRINGS = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
# Each policy phrase holds one of these (tested): three `in` tests a line, the phrases only where one hits.
POLICY_KEYS = ("polic", "cookies", "terms of use")


@functools.cache
def end_punctuation(script: str) -> tuple[str, ...]:
    """C4's line endings plus the script's own terminal marks, each also followed by a
    closing quote (`۔”`, `。」`; right-to-left text often closes with `“`)."""
    marks = tuple(c for c in terminal_punctuation(script) if c not in C4_END_PUNCTUATION)
    if script == "Latn":
        return C4_END_PUNCTUATION
    return C4_END_PUNCTUATION + marks + tuple(m + q for m in marks for q in CLOSERS + "“")


@dataclass
class C4Quality(Mapper):
    kind: ClassVar[str] = "c4_quality"

    remove_citations: bool = True
    filter_no_terminal_punct: bool = True
    min_num_sentences: int = 5  # -1 turns it off
    min_words_per_line: int = 3  # -1 turns it off
    max_word_length: int = 1000  # -1 turns it off
    filter_lorem_ipsum: bool = True
    filter_javascript: bool = True
    filter_curly_bracket: bool = True
    filter_policy: bool = True
    language_thresholds: bool = True

    def validate(self) -> None:
        params.at_least(self, "min_num_sentences", 0, off=-1)
        params.at_least(self, "min_words_per_line", 0, off=-1)
        params.at_least(self, "max_word_length", 1, off=-1)

    def process(self, docs: Iterable[Document], stats: StepStats) -> Iterator[Document]:
        self.__dict__["_line_stats"] = stats.extra
        yield from super().process(docs, stats)

    def apply(self, doc: Document) -> Document | tuple[None, str]:
        cfg = configs.for_document(doc)
        p = configs.resolve(self, self.kind, cfg)
        segmented = cfg.script in SEGMENTED_SCRIPTS
        language = doc.metadata.get("language")
        ends = end_punctuation(cfg.script)
        line_stats = self.__dict__.get("_line_stats")
        if line_stats is None:  # called outside `process`: count into a throwaway
            line_stats = Counter()

        n_sentences = 0
        need = p.min_num_sentences
        kept = []
        for line in doc.text.splitlines():
            line = line.strip()
            if not line:
                continue
            # Words are parts of the line: only a line longer than the limit can hold a longer word.
            # Elsewhere only their count up to min_words_per_line is read: a stripped line split at
            # most that many times has min(words, min_words_per_line + 1) parts, without the rest made.
            if p.max_word_length != -1 and len(line) > p.max_word_length:
                line_words = words(line, language, cfg.script) if segmented else line.split()
                if any(len(w) > p.max_word_length for w in line_words):
                    line_stats["c4_lines_too_long_word"] += 1
                    continue
                n_words = len(line_words)
            elif segmented:
                n_words = None  # segmented once the line has passed the test before the count's
            else:
                n_words = len(line.split(None, p.min_words_per_line))
            words_of = line
            if p.remove_citations:
                line = CITATION.sub("", line)
            if p.filter_no_terminal_punct and (not line.endswith(ends) or line.endswith("...")):
                line_stats["c4_lines_no_terminal_punct"] += 1
                continue
            if n_words is None:  # (min_words_per_line -1, off: nothing to count)
                n_words = 0 if p.min_words_per_line == -1 else words_up_to(
                    tokens(words_of, language, cfg.script), p.min_words_per_line)
            if n_words < p.min_words_per_line:
                line_stats["c4_lines_too_few_words"] += 1
                continue
            lower = line.lower()
            if p.filter_lorem_ipsum and "lorem ipsum" in lower:
                return None, "c4_lorem_ipsum"
            if p.filter_javascript and "javascript" in lower:
                line_stats["c4_lines_javascript"] += 1
                continue
            if p.filter_curly_bracket and "{" in line:
                return None, "c4_curly_bracket"
            if (p.filter_policy and ("polic" in lower or "cookies" in lower or "terms of use" in lower)
                    and any(phrase in lower for phrase in POLICY_SUBSTRINGS)):
                line_stats["c4_lines_policy"] += 1
                continue
            # Only the threshold reads the count, and a kept line holds a sentence or more (or none,
            # when it was a citation alone): counting stops once the threshold is met.
            if n_sentences < need:
                n_sentences += sentence_count(line)
            kept.append(line)
        if n_sentences < need:
            return None, "c4_too_few_sentences"
        doc.text = "\n".join(kept).strip()
        return doc
