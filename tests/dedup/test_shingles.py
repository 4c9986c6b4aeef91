"""Normalisation and vectorised shingle hashing against a plain-Python reference."""

from __future__ import annotations

import numpy as np

from fruitstand.dedup.shingles import (
    Normaliser,
    ShingleHasher,
    _char_value,
    _CharMap,
    _map_chars,
    _map_chars_collapsed,
    tokenise,
)


def test_normaliser_folds_case_punctuation_digits_and_space():
    norm = Normaliser()
    assert norm("Hello,  World!\n\tIt's 2024.") == "hello world it s 0000"
    assert norm("Ünïcode — “quotes” £5") == "ünïcode quotes 0"
    # Devanagari vowel signs are marks, not punctuation: words stay whole
    assert norm("नमस्ते, दुनिया।") == "नमस्ते दुनिया"
    assert norm("ＡＢＣ１２") == "abc00"  # NFKC folds full-width forms


def test_normalisation_maps_every_code_point_as_the_per_character_table_does():
    # Normaliser maps characters through a NumPy lookup; str.translate with the lazily filled
    # table is the definition. Every code point of the BMP, 5,000 beyond it, a lone surrogate.
    table = _CharMap()
    rng = np.random.default_rng(1)
    astral = "".join(map(chr, rng.choice(np.arange(0x10000, 0x110000), 5000, replace=False).tolist()))
    for text in ("".join(map(chr, range(0x10000))), astral, "a\ud800b 𝟗 x", "Ünïcode ٣ ۔ 。", ""):
        assert _map_chars(text, table) == text.translate(table)


def test_collapsed_mapping_is_the_mapping_split_and_joined():
    assert all(_char_value(c) == 32 for c in range(0x110000) if chr(c).isspace())  # the only white space left
    table = _CharMap()
    rng = np.random.default_rng(2)
    pieces = [" ", "  ", "\n", "\t\u3000", "a", "Bc", "\u00a0", "—", "٣", "\ud800", "𝟗", "x\u2028y", "\x1c", "é"]
    texts = ["".join(rng.choice(pieces, rng.integers(0, 12)).tolist()) for _ in range(3000)]
    texts += ["".join(map(chr, range(0x10000))), "", " ", "   a   "]
    for text in texts:
        assert _map_chars_collapsed(text, table) == " ".join(_map_chars(text, table).split()), repr(text)


def test_unsegmented_scripts_become_characters(shared):
    zh = (shared / "lang" / "zh.txt").read_text(encoding="utf-8").splitlines()[0]
    th = (shared / "lang" / "th.txt").read_text(encoding="utf-8").splitlines()[0]
    norm = Normaliser()
    assert tokenise(norm(zh), "Hani").split() == list(norm(zh).replace(" ", ""))
    assert len(tokenise(norm(th)).split()) > 3 * len(norm(th).split())  # no script tag: detected
    en = "the quick brown fox jumps"
    assert tokenise(en) == en and tokenise(en, "Latn") == en


def _reference(tokens: str, n: int) -> list[str]:
    w = tokens.split()
    return [" ".join(w[i:i + n]) for i in range(max(1, len(w) - n + 1))] if w else []


def test_hashes_match_the_shingles_they_stand_for(shared):
    norm = Normaliser()
    lines = (shared / "lang" / "en.txt").read_text(encoding="utf-8").splitlines()[:200]
    docs = [tokenise(norm(" ".join(lines[i:i + 3]))) for i in range(0, 200, 3)]
    docs += ["", "two words", "exactly five words right here", docs[0]]
    hashes, offsets = ShingleHasher(seed=1)(docs, 5)
    assert len(offsets) == len(docs) + 1 and offsets[-1] == len(hashes)
    seen: dict[str, int] = {}
    for i, d in enumerate(docs):
        ref = _reference(d, 5)
        got = hashes[offsets[i]:offsets[i + 1]].tolist()
        assert len(got) == len(ref)
        for s, h in zip(ref, got):
            assert seen.setdefault(s, h) == h
    assert len(set(seen.values())) == len(seen)  # no collisions among distinct shingles
    assert offsets[len(docs) - 4] == offsets[len(docs) - 3]  # the empty document has none
    # the same document alone gives the same hashes (batching does not matter)
    alone, _ = ShingleHasher(seed=1)([docs[5]], 5)
    np.testing.assert_array_equal(alone, hashes[offsets[5]:offsets[6]])


def test_long_batches_hash_alike_without_growing_the_powers_cache():
    from fruitstand.dedup import shingles

    rng = np.random.default_rng(9)
    words = [" ".join(f"w{x}" for x in rng.integers(0, 500, n)) for n in (40, 3, 120_000, 70)]
    long_ = shingles._CACHED_POWERS + 1000
    assert len(" ".join(words).encode()) > long_  # the third document alone makes a long batch
    warm = ShingleHasher(seed=4)
    warm([words[0]], 5)
    cached = len(warm._pow)
    got_long = warm(words, 5)
    assert len(warm._pow) == cached  # the long batch's tables were its own
    got_short = warm([words[1], words[3]], 5)
    for got, batch in ((got_long, words), (got_short, [words[1], words[3]])):
        fresh = ShingleHasher(seed=4)(batch, 5)
        np.testing.assert_array_equal(got[0], fresh[0])
        np.testing.assert_array_equal(got[1], fresh[1])
