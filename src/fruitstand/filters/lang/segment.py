"""Word segmenters for the scripts written without spaces: Chinese, Japanese, Thai.

The reference segmenters are jieba (Chinese), MeCab through fugashi with unidic-lite
(Japanese) and PyThaiNLP's newmm (Thai). The rules count their words, so a faster path
must give the same tokens, token for token; each one below does, and falls back to the
reference where it could not:

- Chinese: jieba cuts a text block by block, a block being a run of
  `[\\u4E00-\\u9FD5a-zA-Z0-9+#&._%-]`; every other character is a token of its own (white
  space is dropped). `rjieba` (jieba-rs, Rust) has jieba's dictionary, route and HMM and
  cuts such blocks the same way, except where a block holds one of `+#&._%-` (jieba-rs
  keeps `50-69`, `a.b`, `x_y` whole where jieba splits them at the mark): those blocks go
  to jieba itself, block by block. jieba-rs also counts more code points as Han (CJK
  extension A, compatibility ideographs, ...) and would join them to their neighbours:
  they are set apart by spaces first, which changes no jieba token. As blocks never span
  white space, a text's tokens are its lines' tokens in order, so each line is cut once
  and kept in a bounded memo: the Gopher rules, C4 (line by line) and FineWeb (on the
  lines C4 kept) share one segmentation. `benchmarks/bench_cjk.py` measures it and
  `tests/filters/test_segment.py` checks it token for token against jieba on real text.
- Japanese: MeCab's surfaces, read from its `-Owakati` output (one string, split at its
  separating spaces) instead of one Python node object per token. MeCab's lattice links a
  line to the next, so a text is not cut line by line.
- Thai: PyThaiNLP's newmm.

`FRUITSTAND_SEGMENTERS=reference` in the environment (or `with reference():`) runs the
reference segmenters alone, the way the benchmark measures the speed-up.

Segmenters load on the first text that needs them and write their caches under
fruitstand's cache folder (`cache.py`), never into /tmp or the home folder. When one is not
installed the caller falls back (see `text.tokens`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from fruitstand.cache import cache_dir

_STATE = {"reference": os.environ.get("FRUITSTAND_SEGMENTERS", "") == "reference"}


@contextmanager
def reference() -> Iterator[None]:
    """Within the block, segment with the reference segmenters alone (for benchmarks and tests)."""
    before = _STATE["reference"]
    _STATE["reference"] = True
    clear_memo()
    try:
        yield
    finally:
        _STATE["reference"] = before
        clear_memo()


def strip(toks) -> list[str]:
    """Tokens stripped of white space, the empty ones dropped."""
    return [t for t in map(str.strip, toks) if t]


def _drop_space(toks) -> list[str]:
    """`strip(toks)` for tokens that are white space alone or hold none (jieba's and jieba-rs's)."""
    return list(filter(str.strip, toks))


# --- the reference segmenters --------------------------------------------------------------

@cache
def jieba_tokenizer():
    try:
        import jieba
    except ImportError:
        return None
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.tmp_dir = str(cache_dir("jieba"))  # its prefix-dict cache, else /tmp/jieba.cache
    return tok


@cache
def mecab_tagger():
    try:
        import fugashi

        return fugashi.Tagger()  # finds unidic-lite's dictionary on its own
    except (ImportError, RuntimeError):
        return None


@cache
def thai_word_tokenize():
    # PyThaiNLP creates its data folder on import; point it at ours unless the user chose one.
    if "PYTHAINLP_DATA" not in os.environ and "PYTHAINLP_DATA_DIR" not in os.environ:
        os.environ["PYTHAINLP_DATA"] = str(cache_dir("pythainlp"))
    try:
        from pythainlp.tokenize import word_tokenize
    except ImportError:
        return None
    return word_tokenize


# --- Chinese -------------------------------------------------------------------------------

@cache
def _rjieba_cut():
    try:
        import rjieba
    except ImportError:
        return None
    return rjieba.cut  # the module's own instance (built on import, ~0.2 s)


_ZH_CLASS = "\u4e00-\u9fd5a-zA-Z0-9+#&._%\\-"  # jieba's re_han_default
# A whole block (from its first character: the look-behind) that holds a mark jieba-rs splits
# differently; one pass, linear in the line's length.
_ZH_MARKED_BLOCK = re.compile(f"(?<![{_ZH_CLASS}])[{_ZH_CLASS}]*?[+#&._%\\-][{_ZH_CLASS}]*")
_ZH_MARKS = re.compile(r"[+#&._%\-]")
# Han-like code points that jieba leaves out of its blocks and jieba-rs may take in (a superset).
_ZH_APART = re.compile(
    "[\u2e80-\u2fff\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003ffff]"
)

_SPACE = re.compile(r"\s")
_MEMO: dict[str, list[str]] = {}
_MEMO_SIZE = 20_000  # lines; the memo starts over when full


def clear_memo() -> None:
    _MEMO.clear()
    _TEXTS.clear()
    _TEXTS_CHARS[0] = 0


# Japanese and Thai are cut text by text (see above), and the rules ask for the same text more than
# once: the Gopher rules for the page, C4 for each line, FineWeb for C4's page, which is the same
# page where C4 kept every line as it was. Their tokens are kept here, by text, up to a few million
# characters of text (the memo starts over when full).
_TEXTS: dict[tuple[str, str], list[str]] = {}
_TEXTS_CHARS = [0]
_TEXTS_LIMIT = 4_000_000


def _remembered(kind: str, text: str, cut) -> list[str] | None:
    key = (kind, text)
    toks = _TEXTS.get(key)
    if toks is None:
        toks = cut(text)
        if toks is None:
            return None
        if _TEXTS_CHARS[0] + len(text) > _TEXTS_LIMIT:
            _TEXTS.clear()
            _TEXTS_CHARS[0] = 0
        _TEXTS[key] = toks
        _TEXTS_CHARS[0] += len(text)
    return list(toks)


def chinese(text: str) -> list[str] | None:
    """jieba's tokens of `text` (white space dropped); None when jieba is not installed."""
    if _STATE["reference"] or _rjieba_cut() is None:
        tok = jieba_tokenizer()
        return None if tok is None else strip(tok.cut(text))
    if jieba_tokenizer() is None:  # the fallback for marked blocks must be there too
        return None
    memo = _MEMO
    if len(memo) > _MEMO_SIZE:
        memo.clear()
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()  # white space is never inside a token
        if not line:
            continue
        toks = memo.get(line)
        if toks is None:
            toks = memo[line] = _chinese_line(line)
        out += toks
    return out


def _chinese_line(line: str) -> list[str]:
    cut = _rjieba_cut()
    if _ZH_APART.search(line):
        line = _ZH_APART.sub(r" \g<0> ", line)
    if not _ZH_MARKS.search(line):
        return _drop_space(cut(line)) if _SPACE.search(line) else cut(line)
    out: list[str] = []
    pos = 0
    ref = jieba_tokenizer().cut
    for m in _ZH_MARKED_BLOCK.finditer(line):
        start, end = m.span()
        if start > pos:
            out += cut(line[pos:start])
        out += ref(m.group())
        pos = end
    if pos < len(line):
        out += cut(line[pos:])
    return _drop_space(out)


# --- Japanese ------------------------------------------------------------------------------

@cache
def _mecab_wakati():
    try:
        import fugashi

        return fugashi.Tagger("-Owakati")
    except (ImportError, RuntimeError):
        return None


def japanese(text: str) -> list[str] | None:
    """MeCab's surfaces of `text`; None when fugashi or its dictionary is not installed."""
    if _STATE["reference"]:
        return _japanese_nodes(text)
    return _remembered("ja", text, _japanese_wakati)


def _japanese_nodes(text: str) -> list[str] | None:
    tagger = mecab_tagger()
    return None if tagger is None else [w.surface for w in tagger(text)]


def _japanese_wakati(text: str) -> list[str] | None:
    tagger = _mecab_wakati()
    if tagger is None:
        return _japanese_nodes(text)
    parsed = tagger.parse(text)  # the surfaces, each followed by one space (MeCab skips white space)
    return parsed.split(" ") if parsed else []


# --- Thai ----------------------------------------------------------------------------------

def thai(text: str) -> list[str] | None:
    """newmm's words of `text` (white space dropped); None when PyThaiNLP is not installed."""
    if _STATE["reference"]:
        return _thai_newmm(text)
    return _remembered("th", text, _thai_newmm)


def _thai_newmm(text: str) -> list[str] | None:
    seg = thai_word_tokenize()
    return None if seg is None else strip(seg(text, engine="newmm", keep_whitespace=False))
