"""fix_mojibake gives ftfy.fix_text's text (with its config) on every text it repairs."""

from __future__ import annotations

import random

import ftfy

from fruitstand.extract.mojibake import _ftfy_config, fix_mojibake, might_be_mojibake

PIECES = ["plain ASCII words", "SayunÂ´s", "cafÃ©", "naÃ¯ve â€œquotedâ€\x9d", "\u201ccurly\u201d", "\x1b[31mred\x1b[0m",
          "\r", "\r\n", "\x00", "\x0b", "\x0c", "\x7f", "\t", "\u2028", "\x85", "\x93", "\ufeff", "\u206a",
          "\ud83d\ude00", "\ud800", "Ã\xa0 la", "ÃƒÂ©", " ", "|", "&amp;", "\u00e9t\u00e9", "中文"]


def _texts(n: int, seed: int = 21) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        lines = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 12))]
        out.append("\n".join(lines) + rng.choice(["", "\n"]))
    return out


def test_same_text_as_ftfy():
    config = _ftfy_config()
    flagged = 0
    for text in _texts(1500):
        if might_be_mojibake(text):
            flagged += 1
            assert fix_mojibake(text) == ftfy.fix_text(text, config), repr(text)
        else:
            assert fix_mojibake(text) == text
    assert flagged > 500


def test_long_ascii_listing_with_one_bad_line():
    text = "Web | Moving Images | Texts\n" * 5000 + "SayunÂ´s page\n" + "x\ty\n" * 100 + "end"
    assert fix_mojibake(text) == ftfy.fix_text(text, _ftfy_config())
    assert "Sayun´s" in fix_mojibake(text)
