"""The writing system of a text: the ISO 15924 code most of its letters belong to.

Python's `unicodedata` has no Script property, so the Unicode blocks that hold the
letters of living scripts are listed here by their first code point (Unicode 15 block
chart); everything between them (digits, punctuation, symbols, combining marks, emoji)
counts as `Zyyy` (common) and never votes. One `np.searchsorted` over the text's code
points labels every character at once, so a 4,000-character sample costs microseconds.

Japanese mixes Han with kana and Korean may mix Han with Hangul: `script_for` turns the
letter counts into the code FineWeb-2 uses for them (`jpn_Jpan`, `kor_Hang`, `cmn_Hani`).
"""

from __future__ import annotations

import numpy as np

from fruitstand import native

_native = native.load("filters._native")  # or None: the Python twins (fruitstand/native.py)

# (first code point of a range, script); a range runs to the next entry's start.
_RANGES: tuple[tuple[int, str], ...] = (
    (0x0000, "Zyyy"), (0x0041, "Latn"), (0x005B, "Zyyy"), (0x0061, "Latn"), (0x007B, "Zyyy"),
    (0x00C0, "Latn"), (0x02B0, "Zyyy"), (0x0370, "Grek"), (0x0400, "Cyrl"), (0x0530, "Armn"),
    (0x0590, "Hebr"), (0x0600, "Arab"), (0x0700, "Syrc"), (0x0750, "Arab"), (0x0780, "Thaa"),
    (0x07C0, "Nkoo"), (0x0800, "Zyyy"), (0x0870, "Arab"), (0x0900, "Deva"), (0x0980, "Beng"),
    (0x0A00, "Guru"), (0x0A80, "Gujr"), (0x0B00, "Orya"), (0x0B80, "Taml"), (0x0C00, "Telu"),
    (0x0C80, "Knda"), (0x0D00, "Mlym"), (0x0D80, "Sinh"), (0x0E00, "Thai"), (0x0E80, "Laoo"),
    (0x0F00, "Tibt"), (0x1000, "Mymr"), (0x10A0, "Geor"), (0x1100, "Hang"), (0x1200, "Ethi"),
    (0x13A0, "Cher"), (0x1400, "Cans"), (0x1680, "Zyyy"), (0x1780, "Khmr"), (0x1800, "Mong"),
    (0x18B0, "Cans"), (0x1900, "Zyyy"), (0x1C80, "Cyrl"), (0x1C90, "Geor"), (0x1CC0, "Zyyy"),
    (0x1D00, "Latn"), (0x1DC0, "Zyyy"), (0x1E00, "Latn"), (0x1F00, "Grek"), (0x2000, "Zyyy"),
    (0x2C60, "Latn"), (0x2C80, "Zyyy"), (0x2D00, "Geor"), (0x2D30, "Tfng"), (0x2D80, "Ethi"),
    (0x2DE0, "Cyrl"), (0x2E00, "Zyyy"), (0x2E80, "Hani"), (0x2FE0, "Zyyy"), (0x3040, "Hira"),
    (0x30A0, "Kana"), (0x3100, "Bopo"), (0x3130, "Hang"), (0x3190, "Zyyy"), (0x31A0, "Bopo"),
    (0x31C0, "Zyyy"), (0x31F0, "Kana"), (0x3200, "Zyyy"), (0x3400, "Hani"), (0x4DC0, "Zyyy"),
    (0x4E00, "Hani"), (0xA000, "Yiii"), (0xA4D0, "Zyyy"), (0xA640, "Cyrl"), (0xA6A0, "Zyyy"),
    (0xA720, "Latn"), (0xA800, "Zyyy"), (0xA960, "Hang"), (0xA980, "Zyyy"), (0xAB30, "Latn"),
    (0xAB70, "Cher"), (0xABC0, "Zyyy"), (0xAC00, "Hang"), (0xD800, "Zyyy"), (0xF900, "Hani"),
    (0xFB00, "Latn"), (0xFB13, "Armn"), (0xFB1D, "Hebr"), (0xFB50, "Arab"), (0xFE00, "Zyyy"),
    (0xFE70, "Arab"), (0xFF00, "Zyyy"), (0xFF21, "Latn"), (0xFF3B, "Zyyy"), (0xFF41, "Latn"),
    (0xFF5B, "Zyyy"), (0xFF66, "Kana"), (0xFFA0, "Hang"), (0xFFE0, "Zyyy"), (0x20000, "Hani"),
    (0x323B0, "Zyyy"),
)
_STARTS = np.array([start for start, _ in _RANGES], dtype=np.uint32)
SCRIPTS: tuple[str, ...] = tuple(dict.fromkeys(name for _, name in _RANGES))
_SCRIPT_ID = np.array([SCRIPTS.index(name) for _, name in _RANGES], dtype=np.intp)
_COMMON, _HANI, _HIRA, _KANA, _HANG = (SCRIPTS.index(s) for s in ("Zyyy", "Hani", "Hira", "Kana", "Hang"))


def script_counts(text: str) -> np.ndarray:
    """Letters per script (indexed like `SCRIPTS`); common characters are not counted. Tallied in C
    (`filters._native.script_counts`, the same counts) where the extension is built."""
    if _native is not None:
        counts = np.frombuffer(_native.script_counts(text, _STARTS, _SCRIPT_ID, len(SCRIPTS)), np.int64).copy()
        counts[_COMMON] = 0
        return counts
    return _script_counts(text)


def _script_counts(text: str) -> np.ndarray:
    """`script_counts` in NumPy."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    counts = np.bincount(_SCRIPT_ID[np.searchsorted(_STARTS, points, side="right") - 1], minlength=len(SCRIPTS))
    counts[_COMMON] = 0
    return counts


def script_for(counts: np.ndarray, language: str | None = None) -> str:
    """The ISO 15924 code of the text, `Zyyy` when it has no letters.

    Han and kana together are Japanese (`Jpan`); for Korean, Han joins Hangul (`Hang`);
    otherwise kana alone is Japanese and the script with the most letters wins.
    """
    if not counts.any():
        return "Zyyy"
    kana = counts[_HIRA] + counts[_KANA]
    if language == "jpn" or (kana and kana * 10 >= counts[_HANI]):
        if kana + counts[_HANI] >= counts.max():
            return "Jpan"
    if language == "kor" and counts[_HANG] + counts[_HANI] >= counts.max():
        return "Hang"
    return SCRIPTS[int(counts.argmax())]


def dominant_script(text: str, language: str | None = None) -> str:
    return script_for(script_counts(text), language)
