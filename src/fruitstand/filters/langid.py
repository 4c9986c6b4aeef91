"""`langid`: tag each document's language, script and confidence; keep the chosen ones.

Sets `language` (ISO 639-3 as FineWeb-2 names its datasets: `urd`, `eng`, `cmn`, `arb`,
`zsm`, ...), `script` (ISO 15924: `Arab`, `Latn`, `Hani`, `Jpan`, ...) and
`language_score` in [0, 1]. Drops a document whose language is not in `languages`
(`language_not_kept`) or whose score is under `min_score` (`low_language_score`).

Why CLD2, then py3langid. Measured on the 37,080 sentences of 75 languages in
`shared/data/lang` (lingua's test sentences, Leipzig corpora) and on 2,500 whole
documents, each candidate in its own process, rates in CPU time (`python
benchmarks/langid_accuracy.py`; full table in `benchmarks/results/langid.md`):

| candidate                          | 75 languages |  Urdu | sentences/s/core | peak RSS |
|------------------------------------|-------------:|------:|-----------------:|---------:|
| fastText lid.176.ftz (FineWeb's)   |        79.6% | 97.8% |           18,700 |    78 MB |
| py3langid 0.4                      |        92.2% | 99.8% |            7,600 |   140 MB |
| CLD2 (pycld2, best effort)         |        95.2% | 99.4% |          103,000 |    76 MB |
| lingua 2.1, low accuracy           |        93.9% | 90.8% |            1,300 |   163 MB |
| lingua 2.1, high accuracy          |        95.9% | 92.0% |              390 |  1.25 GB |
| fastText, then py3langid if p<0.7  |        91.9% | 99.8% |            8,700 |   154 MB |
| **CLD2, then py3langid if unsure** |    **95.9%** | **99.8%** |       **35,000** | **157 MB** |

fastText's compressed lid.176 has no model for eight of the 75 (Luganda, Maori, Shona,
Sotho, Tswana, Tsonga, Xhosa, Zulu) and mixes up Bokmål/Nynorsk, Bosnian/Croatian and
Malay/Indonesian; lingua matches the chosen pair's accuracy only in high-accuracy mode,
90 times slower and with 1.25 GB of models, and misreads 8% of Urdu. CLD2 covers all 75
and is the fastest; asking py3langid on the ~3% of sentences CLD2 does not mark reliable
removes 15% of its errors and brings Urdu to 99.8%. The errors left are mostly
Malay read as Indonesian and Bosnian as Croatian or Serbian, which no candidate
separates on single sentences (best: 31% and 48%). All whole documents with a known
language (250 Urdu news articles, 2,225 BBC and 20 CCNet English pages, 29 goose3
pages in 7 languages) come out right, at ~7,000 documents/s/core.

`min_score` = 0.65 follows FineWeb's English threshold. CLD2's score is the share of the
text in its language (its answer stands only from 0.70) and py3langid's probability is
calibrated: on the sentences, its answers scored 0.65-0.8 were right 77% of the time,
those under 0.5 less than half. At 0.65 the step keeps 98.8% of the sentences, 96.4% of
them rightly labelled (95.9% with no threshold). FineWeb-2 tunes the threshold per
language (0.3 to 0.9, with GlotLID): set `min_score` per recipe for such work; 0 keeps all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fruitstand import params
from fruitstand.document import Document
from fruitstand.filters.lang.codes import parse_language
from fruitstand.filters.lang.identify import Identifier
from fruitstand.registry import RecipeError
from fruitstand.step import Filter


@dataclass
class LangID(Filter):
    kind = "langid"
    columns = {"script": "string", "language_score": "float"}

    # Codes to keep: ISO 639-3 (`urd`; macrolanguages such as `zho` are accepted) or with
    # a script (`srp_Latn`); empty keeps every language.
    languages: list[str] = field(default_factory=list)
    # Documents scoring under this are dropped; 0 keeps all.
    min_score: float = 0.65
    # Longer texts are identified from their first `max_chars` characters, which bounds
    # the time per document; 2,000 characters gave the same answers as the whole text on
    # the documents measured.
    max_chars: int = 2000

    def __post_init__(self) -> None:
        try:
            parsed = [parse_language(spec) for spec in self.languages]
        except ValueError as exc:
            raise RecipeError(f"step 'langid': {exc}") from None
        self._codes = frozenset(code for code, script in parsed if script is None)
        self._pairs = frozenset((code, script) for code, script in parsed if script is not None)
        if not 0.0 <= self.min_score <= 1.0:
            raise RecipeError(f"step 'langid': min_score = {self.min_score} should be between 0 and 1")
        if self.max_chars < 1:
            raise RecipeError(f"step 'langid': max_chars = {self.max_chars} should be at least 1")
        self._identifier: Identifier | None = None

    def validate(self) -> None:
        # languages are parsed in __post_init__ (an unknown code fails when the step is built)
        params.between(self, "min_score", 0, 1)
        params.at_least(self, "max_chars", 1)

    def setup(self) -> None:
        if self._identifier is None:
            self._identifier = Identifier(self.max_chars)

    def keep(self, doc: Document) -> bool | tuple[bool, str]:
        if self._identifier is None:
            self.setup()
        guess = self._identifier.identify(doc.text)
        meta = doc.metadata
        meta["language"] = guess.language
        meta["script"] = guess.script
        meta["language_score"] = guess.score
        if (self._codes or self._pairs) and not (
            guess.language in self._codes or (guess.language, guess.script) in self._pairs
        ):
            return False, "language_not_kept"
        if guess.score < self.min_score:
            return False, "low_language_score"
        return True

    def __getstate__(self) -> dict:
        # A step pickles as its parameters; the models load again in the worker's setup().
        state = dict(self.__dict__)
        state["_identifier"] = None
        return state
