"""Two-stage language identification: CLD2 first, py3langid where CLD2 is unsure.

CLD2 (Chrome's detector, C++, via `pycld2`) answers in ~10 µs a sentence and says
whether its answer is reliable and what share of the text's bytes is in the top
language. When it is reliable and that share is at least 70%, its answer stands and the
share is the score. Otherwise (short, mixed or unusual text: ~3% of sentences and of
documents) py3langid's naive Bayes model (its probabilities are scaled by the
square root of the text's length, so they stay calibrated from a sentence to a page)
decides and its probability is the score. Numbers and the alternatives measured
(fastText lid.176, lingua) are in `fruitstand.filters.langid` and
`benchmarks/results/langid.md`.

Both models ship inside their wheels; nothing is downloaded. Long texts are cut to a
bounded sample first, so every document costs at most a few milliseconds.
"""

from __future__ import annotations

import io
import lzma
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pycld2
import xxhash

from fruitstand.cache import mapped_arrays
from fruitstand.filters.lang.codes import to_iso3
from fruitstand.filters.lang.scripts import script_counts, script_for

# CLD2's answer stands when it flags it reliable and at least this share of the text's
# bytes is in the top language; 70 vs 90 changed sentence accuracy by 0.01 point
# (benchmarks/results/langid.md), and below it a text is mixed enough to ask py3langid.
CLD2_MIN_PERCENT = 70
# CLD2 rejects C0/C1 control characters (other than tab and newlines) as invalid UTF-8.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# CLD2's labels for text it could not name: unknown language in a script, joke languages.
_CLD2_UNKNOWN = ("un", "xx", "zz", "tlh")


@dataclass(frozen=True, slots=True)
class Guess:
    language: str  # ISO 639-3 (FineWeb-2 convention), "und" when the text has no letters
    script: str  # ISO 15924
    score: float  # in [0, 1]
    model: str  # "cld2", "py3langid" or "none"


UNDETERMINED = Guess("und", "Zyyy", 0.0, "none")


def sample(text: str, max_chars: int) -> str:
    """The text itself, or its first `max_chars` characters cut at a space."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    cut = head.rfind(" ", max_chars // 2)
    return head[:cut] if cut > 0 else head


# py3langid 0.4's model: an LZMA-compressed .npz of these arrays (py3langid.modelio).
_PY3_FIELDS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


@cache
def _py3langid():
    """py3langid's model (read-only), shared by the steps of a process.

    Decompressing it takes ~0.8 CPU-s, so its arrays are unpacked once into the per-user cache
    (`fruitstand.cache.mapped_arrays`, keyed by the model file's bytes) and memory-mapped by
    every later process, the same values py3langid's own loader gives; anything unexpected
    falls back to that loader.
    """
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    try:
        arrays = _py3langid_arrays(MODEL_DIR / MODEL_FILE)
        return LanguageIdentifier(
            arrays["ptc"], arrays["pc"], arrays["classes"].tolist(), memoryview(arrays["nextmove"]),
            arrays["out_feat"].tolist(), norm_probs=True, tk_row=memoryview(arrays["nextmove_row"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _py3langid_arrays(path: Path) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    key = f"v1-{len(data)}-{xxhash.xxh3_128_hexdigest(data)}"

    def build() -> dict[str, np.ndarray]:
        with np.load(io.BytesIO(lzma.decompress(data)), allow_pickle=False) as z:
            return {f: z[f] for f in _PY3_FIELDS}

    def usable(a: dict[str, np.ndarray]) -> bool:  # memoryviews need native unsigned ints
        return all(a[f].dtype.kind == "u" and a[f].dtype.isnative for f in ("nextmove", "nextmove_row"))

    arrays = mapped_arrays("py3langid", key, _PY3_FIELDS, build, check=usable)
    if not usable(arrays):
        raise ValueError("unexpected py3langid model layout")
    return arrays


class Identifier:
    """Both models, loaded once per process. CLD2's tables are compiled into its module;
    py3langid's model is loaded on the first text CLD2 is unsure of."""

    def __init__(self, max_chars: int = 2000) -> None:
        self.max_chars = max_chars

    @property
    def _py3(self):
        return _py3langid()

    def identify(self, text: str) -> Guess:
        text = _CONTROL.sub(" ", sample(text, self.max_chars))
        counts = script_counts(text)
        if not counts.any():
            return UNDETERMINED
        label, score, model = self._cld2(text)
        if label is None:
            label, score = self._py3.classify(text)
            model = "py3langid"
        code = label if label in ("zh", "zh-Hant", "ja", "ko") else None
        script = script_for(counts, {"ja": "jpn", "ko": "kor"}.get(code))
        if code in ("zh", "zh-Hant") and script in ("Jpan", "Hira", "Kana"):
            script = "Hani"
        return Guess(to_iso3(label, script), script, round(float(score), 4), model)

    @staticmethod
    def _cld2(text: str) -> tuple[str | None, float, str]:
        try:
            reliable, _, details = pycld2.detect(text, isPlainText=True)
        except (pycld2.error, UnicodeEncodeError):  # lone surrogates: py3langid copes
            return None, 0.0, ""
        _, label, percent, _ = details[0]
        if not reliable or percent < CLD2_MIN_PERCENT or label.startswith(_CLD2_UNKNOWN):
            return None, 0.0, ""
        return label, percent / 100, "cld2"
