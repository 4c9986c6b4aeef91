"""Words, sentences and scripts for the rules that count them, in any language.

The Gopher, C4 and FineWeb rules were written for English, where words are runs of letters
between spaces and sentences end in `.`, `?` or `!`. This module gives them the same notions
in other writing systems:

- `dominant_script(text)`: the ISO 15924 code of the script most letters are in, by a
  Unicode-range count over the first few thousand characters (used when no langid step ran).
- `tokens(text, language, script)`: words *and* punctuation marks, in order, as spaCy's
  tokenizer gives them to datatrove's rules (a punctuation mark is its own token; a run of
  dots is one). Chinese is segmented with jieba, Japanese with MeCab (fugashi + unidic-lite),
  Thai with PyThaiNLP's newmm; every other script with one Unicode regex (letters + combining
  marks + digits are word characters, so Devanagari matras and the Urdu zer stay inside the
  word, and `۔` glued to the next word still splits it).
- `words(...)`: the same without the punctuation tokens; the dedup step shingles these.
- `terminal_punctuation(script)`: each script's sentence-ending marks (Urdu `۔`, Arabic `؟`,
  Devanagari `।`, CJK `。！？`, Armenian `։`, Ethiopic `።`, ...): the Unicode
  `Sentence_Terminal` characters of that script plus the shared marks it uses;
  `terminal_marks()`: all of them, any script; `sentence_count(line)`: sentences in a line.

Segmenters load on the first text that needs them and write their caches under
fruitstand's cache folder (`cache.py`: `$FRUITSTAND_CACHE`, default `~/.cache/fruitstand`), never
into /tmp or the home folder.
When a segmenter is not installed, the text falls back to characters (CJK) or to spaces
(Thai), which keeps the rules running with looser word counts.
"""

from __future__ import annotations

from functools import cache, lru_cache
from itertools import compress
from operator import not_

import regex

from fruitstand import native
from fruitstand.filters.lang import segment

_native = native.load("filters._native")  # or None: the Python twins (fruitstand/native.py)

# --- scripts -------------------------------------------------------------------------------

# Letters only (no digits or punctuation), as Unicode script properties: one findall each.
_SCRIPTS = {
    "Latn": r"\p{Latin}",
    "Cyrl": r"\p{Cyrillic}",
    "Arab": r"\p{Arabic}",
    "Hani": r"\p{Han}",
    "Kana": r"[\p{Hiragana}\p{Katakana}]",
    "Hang": r"\p{Hangul}",
    "Thai": r"\p{Thai}",
    "Deva": r"\p{Devanagari}",
    "Beng": r"\p{Bengali}",
    "Guru": r"\p{Gurmukhi}",
    "Gujr": r"\p{Gujarati}",
    "Taml": r"\p{Tamil}",
    "Telu": r"\p{Telugu}",
    "Knda": r"\p{Kannada}",
    "Mlym": r"\p{Malayalam}",
    "Sinh": r"\p{Sinhala}",
    "Grek": r"\p{Greek}",
    "Hebr": r"\p{Hebrew}",
    "Armn": r"\p{Armenian}",
    "Geor": r"\p{Georgian}",
    "Ethi": r"\p{Ethiopic}",
    "Khmr": r"\p{Khmer}",
    "Laoo": r"\p{Lao}",
    "Mymr": r"\p{Myanmar}",
    "Tibt": r"\p{Tibetan}",
}
_SCRIPT_RX = {name: regex.compile(pattern) for name, pattern in _SCRIPTS.items()}

# Scripts written without spaces between words, and what segments them.
SEGMENTED_SCRIPTS = frozenset({"Hani", "Jpan", "Thai"})


def dominant_script(text: str, sample: int = 4000) -> str:
    """ISO 15924 code of the script most letters of `text` are in ("Latn" when none).

    Japanese mixes Han with kana: any text where kana make a tenth of the Han + kana
    letters is `Jpan`; Han alone is `Hani`.
    """
    head = text[:sample]
    counts = {name: len(rx.findall(head)) for name, rx in _SCRIPT_RX.items()}
    if counts["Kana"] and counts["Kana"] * 10 >= counts["Kana"] + counts["Hani"]:
        return "Jpan"
    counts.pop("Kana")
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else "Latn"


# --- punctuation ---------------------------------------------------------------------------

# Sentence-ending marks of the scripts whose marks are shared (Unicode script "Common") and so
# cannot be found by script property alone. Thai ends sentences with a space: no mark.
_SHARED_TERMINALS = {
    "Latn": ".!?",
    "Cyrl": ".!?",
    "Grek": ".!;\u037e",
    "Arab": ".!?\u061f\u06d4",  # ؟ Arabic question mark, ۔ Urdu full stop
    "Hani": "\u3002\uff01\uff1f\uff61",  # 。！？｡
    "Jpan": "\u3002\uff01\uff1f\uff61",
    "Hang": ".!?\u3002",
    "Thai": "",
    # Indic scripts share the danda । and double danda ॥.
    **{s: ".!?\u0964\u0965" for s in ("Deva", "Beng", "Guru", "Gujr", "Orya", "Taml", "Telu", "Knda", "Mlym")},
}


@lru_cache(maxsize=1)
def terminal_marks() -> frozenset[str]:
    """Every sentence-ending mark Unicode knows (`Sentence_Terminal`: `.!?۔؟।。։።`, ...)."""
    every = "".join(map(chr, range(0x20, 0xD800))) + "".join(map(chr, range(0xE000, 0x30000)))
    return frozenset(regex.findall(r"\p{Sentence_Terminal}", every))


@cache
def terminal_punctuation(script: str | None) -> str:
    """The sentence-ending marks a script uses, as one string."""
    shared = _SHARED_TERMINALS.get(script or "Latn", ".!?")
    rx = _SCRIPT_RX.get(script or "")
    own = sorted(c for c in terminal_marks() if rx is not None and rx.match(c))
    return "".join(dict.fromkeys(shared + "".join(own)))


# Quotes and brackets that may close a sentence after its mark: `."`, `。」`, `؟”`.
CLOSERS = "\"'”’»」』）)]"

_PUNCT_TOKEN = regex.compile(r"[\p{P}\p{S}]+")
_WORD_LINES = regex.compile(r"^(?![\p{P}\p{S}]+$).+$", regex.MULTILINE)


def is_punctuation(token: str) -> bool:
    """True when every character of the token is punctuation or a symbol."""
    return _PUNCT_TOKEN.fullmatch(token) is not None


def drop_punctuation(toks: list[str]) -> list[str]:
    """The tokens that are not punctuation alone (one regex pass, no per-token Python)."""
    return _WORD_LINES.findall("\n".join(toks))


def word_count(toks: list[str]) -> int:
    """`len(drop_punctuation(toks))`, the regex run on the tokens that are not `str.isalnum` alone
    (an alphanumeric character is a letter or a number, never punctuation or a symbol, nor a
    newline: such a token is a word, a line of its own in the joined tokens)."""
    rest = list(compress(toks, map(not_, map(str.isalnum, toks))))
    if not rest:
        return len(toks)
    joined = "\n".join(rest)
    if joined.count("\n") != len(rest) - 1 or "" in rest:  # a token holds a newline, or is empty
        return len(drop_punctuation(toks))
    return len(toks) - len(rest) + len(_WORD_LINES.findall(joined))


def words_up_to(toks: list[str], limit: int) -> int:
    """`min(word_count(toks), limit)`, reading tokens only until `limit` words are found (C4 asks
    whether a line has 3; a segmented line has dozens, and Thai words, whose vowel signs are not
    `str.isalnum`, would each go through the regex)."""
    n = 0
    for t in toks:
        if n >= limit:
            return n
        if "\n" in t:  # a token with a newline is several lines of the joined tokens
            return min(word_count(toks), limit)
        if t and (t.isalnum() or _PUNCT_TOKEN.fullmatch(t) is None):
            n += 1
    return n


# A run of terminal marks (an ellipsis is not one), then closers, then a space or the end;
# CJK marks end a sentence wherever they stand. A period after an initial (`J.`), inside a
# dotted abbreviation (`p.m.`) or after a title spaCy's English tokenizer keeps whole (`Mr.`)
# ends nothing: this counts sentences the way datatrove's C4 rule does with spaCy.
_TITLES = "Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|Mt|Gen|Gov|Sen|Rep|Lt|Col|Capt|Sgt|Inc|Ltd|Co|Corp|vs|No|Jan|Feb|Aug|Sept?|Oct|Nov|Dec"
_SENT_END = regex.compile(
    r"(?:[\p{Sentence_Terminal}--[.]]+|(?<!\b(?:" + _TITLES + r"|\p{L})|\.\p{L}|\.)\.(?!\.))"
    r"[\"'”’»」』）)\]]*(?=\s|$)"
    r"|[。！？｡]+[」』”）)]*(?=\S)",
    regex.V1,
)
# Urdu and Arabic writers often glue the next word to `۔`/`؟`: a boundary all the same.
_SENT_END_GLUED = regex.compile(r"[۔؟।॥]+(?=\p{L})")


def sentence_count(line: str) -> int:
    """Sentences in one line of text: its internal sentence boundaries plus one."""
    line = line.strip()
    if not line:
        return 0
    ends = len(_SENT_END.findall(line)) + len(_SENT_END_GLUED.findall(line))
    closed = _SENT_END.search(line[-4:]) is not None or line.endswith(tuple("。！？｡"))
    return max(1, ends + (0 if closed else 1))


# --- words ---------------------------------------------------------------------------------

# One pass for space-separated scripts, splitting as spaCy's tokenizer does (datatrove's
# English rules count its tokens): URLs, e-mail addresses and @handles whole; numbers with
# their separators (1,000 / 3.5 / 12:30) and a letter-digit hyphen (COVID-19); dotted abbreviations (U.S., a.m., e.g.), a title
# or an initial with its period (Mr., J.); dotted names (item.author); English clitics
# apart (do|n't, it|'s, you|'re); words (letters, marks, digits, inner apostrophes); a run
# of dots or of hyphens; any other non-space character on its own.
_TITLE_ABBREVIATIONS = "Mr|Mrs|Ms|Dr|St|Jr|Sr|Mt|Gov|Gen|Sen|Rep|Inc|Ltd|Co|Corp|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
# A unit after a number is its own token (42|m, 10|km; 6.8bn stays whole), as in spaCy.
_UNITS = "km|m|cm|mm|kg|g|mg|lb|lbs|oz|ft|yd|in|ha|nm|t|mph|MB|GB|TB|KB|kb|gb|tb|mb|T|G|M|K"
_TOKEN = regex.compile(
    # Fast paths first: a plain word before a space or a plain punctuation mark (most tokens),
    # a lowercase word ending a sentence, and the plain punctuation marks themselves.
    r"""[\p{L}\p{M}]+(?=[\s,;!?"“”()\[\]]|$)
    |(?!vs\.)\p{Ll}[\p{Ll}\p{M}]+(?=\.(?:\s|$))
    |[,;!?"“”()\[\]]
    |(?:https?://|www\.)[^\s<>"]+[^\s<>".,;:!?)\]'’”]
    |[\w.+-]+@\w[\w-]*(?:\.\w[\w-]*)+
    |@\w+
    |\d+(?:[.,:/]\d+)*(?=(?:""" + _UNITS + r""")\b)
    |\d+(?:[.,:/]\d+)+\w*
    |\p{L}+-\d\w*|\w+(?:&\w+)+\.?
    |(?:\p{L}\.){2,}
    |\b(?:""" + _TITLE_ABBREVIATIONS + r"""|\p{Lu})\.
    |\w+(?:\.(?!\p{Lu})\w+)+
    |\w+?(?=(?i:n['’]t)\b)
    |(?i:n['’]t)\b
    |\w+(?=['’](?i:s|re|ve|m|ll|d)\b)
    |['’](?i:s|re|ve|m|ll|d)\b
    |\w+(?:['’]\w+)*
    |\.{2,}|-{2,}
    |\S""",
    regex.VERBOSE,
)


_CJK_CHAR = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]|[^\p{Han}\p{Hiragana}\p{Katakana}\s]+")


def tokens(text: str, language: str | None = None, script: str | None = None) -> list[str]:
    """Words and punctuation marks of `text`, in order, segmented for its script."""
    return list(_tokens(text, language, script or dominant_script(text)))


# The rules of one document ask for its tokens several times: keep the last few.
@lru_cache(maxsize=8)
def _tokens(text: str, language: str | None, script: str) -> tuple[str, ...]:
    return tuple(_segment(text, language, script))


def _segment(text: str, language: str | None, script: str) -> list[str]:
    if script == "Jpan" or language == "jpn":
        toks = segment.japanese(text)
        return _CJK_CHAR.findall(text) if toks is None else toks
    if script == "Hani":
        toks = segment.chinese(text)
        return _CJK_CHAR.findall(text) if toks is None else toks
    if script == "Thai":
        toks = segment.thai(text)
        if toks is not None:
            return toks
    return space_tokens(text)


def min_tokens(text: str, language: str | None, script: str) -> int | None:
    """At most `len(tokens(text, language, script))`, found without tokenising: the text's
    white-space chunks, where it goes to `space_tokens` (each chunk holds a token or more, and no
    token spans two); None for the segmented scripts."""
    if script in SEGMENTED_SCRIPTS or language == "jpn" or any(c in text for c in _SPLIT_ONLY):
        return None
    return len(text.split())


# `_TOKEN` never matches white space, and each of its lookarounds treats white space and either
# end of the text alike, so a text's tokens are its white-space-separated chunks' tokens, in
# order. Chunks repeat (a page's words, a crawl's vocabulary), so each short chunk's tokens are
# looked up in a bounded memo and the regex runs on new chunks only: the same tokens as one
# `_TOKEN.findall(text)`, and far faster when the rules tokenise a text again after C4 removed
# some of its lines. The memo has two generations: when the new one is full it becomes the old
# one, and a chunk found only in the old one moves back, so the crawl's frequent chunks stay
# (one flat memo that starts over when full missed most chunks once a crawl's vocabulary
# outgrew it). A chunk of letters alone (three in four, in English) is its own single token
# (`_TOKEN`'s first branch takes all of it; every `str.isalpha` character is `\p{L}`, checked in
# tests), so it needs neither the regex nor the memo: only the other chunks are looked up.
_CHUNK_TOKENS: dict[str, list[str]] = {}
_CHUNK_TOKENS_OLD: dict[str, list[str]] = {}
_CHUNK_MEMO_SIZE = 100_000  # entries per generation (a few hundred bytes each)
_CHUNK_MEMO_LEN = 48  # longer chunks (URLs, minified code) are tokenised but not kept
# str.split() splits at these four separators; the regex's \s (Unicode White_Space) does not.
_SPLIT_ONLY = ("\x1c", "\x1d", "\x1e", "\x1f")


def space_tokens(text: str) -> list[str]:
    """`_TOKEN.findall(text)`, chunk by chunk (see above): all-letter chunks as they are, the
    others through the memo. In C (`_native.space_tokens`, the same tokens and the same memo
    updates) where the extension is built; `_space_tokens` is its Python twin."""
    global _CHUNK_TOKENS, _CHUNK_TOKENS_OLD
    if any(c in text for c in _SPLIT_ONLY):
        return _TOKEN.findall(text)
    if _native is None:
        out = _space_tokens(text)
    else:
        out = _native.space_tokens(text, _CHUNK_TOKENS, _CHUNK_TOKENS_OLD, _TOKEN.findall, _CHUNK_MEMO_LEN)
    if len(_CHUNK_TOKENS) > _CHUNK_MEMO_SIZE:  # the memo's new generation is full: it becomes the old one
        _CHUNK_TOKENS_OLD, _CHUNK_TOKENS = _CHUNK_TOKENS, {}
    return out


def _space_tokens(text: str) -> list[str]:
    """`space_tokens` in Python, for a text without `_SPLIT_ONLY` characters (the memo's generations
    are turned over by the caller, as for the C twin)."""
    chunks = text.split()
    letters = list(map(str.isalpha, chunks))  # C loops; Python runs per other chunk only
    try:
        i = letters.index(False)
    except ValueError:
        return chunks
    out = chunks[:i]
    memo, old, find, short = _CHUNK_TOKENS, _CHUNK_TOKENS_OLD, _TOKEN.findall, _CHUNK_MEMO_LEN
    while True:
        chunk = chunks[i]
        toks = memo.get(chunk)
        if toks is None:
            toks = old.get(chunk)
            if toks is None:
                toks = find(chunk)
            if len(chunk) <= short:
                memo[chunk] = toks
        out += toks
        try:
            j = letters.index(False, i + 1)
        except ValueError:
            out += chunks[i + 1 :]
            break
        out += chunks[i + 1 : j]
        i = j
    return out


def words(text: str, language: str | None = None, script: str | None = None) -> list[str]:
    """Words of `text` (no punctuation tokens), segmented for its script."""
    return drop_punctuation(tokens(text, language, script))
