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
  to jieba's own code, block by block, on a dictionary of the block's substrings alone (so
  its 1.5-2.5 s prefix-dictionary load is never needed; see `_jieba_block`). jieba-rs also counts more code points as Han (CJK
  extension A, compatibility ideographs, ...) and would join them to their neighbours:
  they are set apart by spaces first, which changes no jieba token. As blocks never span
  white space, a text's tokens are its lines' tokens in order, so each line is cut once
  and kept in a bounded memo: the Gopher rules, C4 (line by line) and FineWeb (on the
  lines C4 kept) share one segmentation. `benchmarks/bench_cjk.py` measures it and
  `tests/filters/test_segment.py` checks it token for token against jieba on real text.
- Japanese: MeCab's surfaces, read from its `-Owakati` output (one string, split at its
  separating spaces) instead of one Python node object per token, each line of a text its own
  MeCab input (on both paths: the line is the unit MeCab's own command reads), kept in the memo
  by line, so the Gopher rules, C4 and FineWeb share one cut of each line. This is the one
  change of unit in this module: cutting a page whole links each line's lattice to the next
  one's and differs in a rare line-end token (see `japanese`).
- Thai: nlpo3 (PyThaiNLP's newmm in Rust) for each run of Thai letters where newmm would cut
  the run alone as it does in its text and nlpo3 forms newmm's character clusters (see
  `_thai_fast`: no dictionary word runs on past the run, as `กทม.` or `ก.พ.` do, no cluster
  the two order differently, no `฿`-like neighbour); newmm itself for what is left, piece by
  piece. A Thai text is cut line by line, the lines kept in the memo, unless a line ends in
  a cluster whose rule looks past the line's end (see `_TH_LOOKS_PAST_LINE`).

`FRUITSTAND_SEGMENTERS=reference` in the environment (or `with reference():`) runs the
reference segmenters alone, the way the benchmark measures the speed-up.

Segmenters load on the first text that needs them and write their caches under
fruitstand's cache folder (`cache.py`), never into /tmp or the home folder. When one is not
installed the caller falls back (see `text.tokens`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np

from fruitstand.cache import cache_dir, mapped_arrays

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
_MEMO_SIZE = 5_000  # lines (~20 MB of tokens at most); the memo starts over when full


def clear_memo() -> None:
    _MEMO.clear()
    _TEXTS.clear()
    _TEXTS_CHARS[0] = 0


# Japanese and Thai are cut line by line (Thai where no line's end looks past it, else text by
# text; see above), and the rules ask for the same text more than once: the Gopher rules for the
# page, C4 for each line, FineWeb for C4's lines. Their tokens are kept here, by line or text, up
# to a few million characters of text (the memo starts over when full).
_TEXTS: dict[tuple[str, str], list[str]] = {}
_TEXTS_CHARS = [0]
_TEXTS_LIMIT = 1_000_000  # characters (~25 MB of tokens)


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
    ref = _jieba_block
    for m in _ZH_MARKED_BLOCK.finditer(line):
        start, end = m.span()
        if start > pos:
            out += cut(line[pos:start])
        out += ref(m.group())
        pos = end
    if pos < len(line):
        out += cut(line[pos:])
    return _drop_space(out)


# jieba's own cut of a marked block, without loading its whole prefix dictionary (a 9 MB marshal of
# 580,000 words and prefixes: 1.5-2.5 s per process): jieba looks up only the block's substrings, so
# it runs on a dictionary of those alone, taken from its word list kept sorted in fruitstand's cache
# (found by bisection: the same words, frequencies, prefixes and total as jieba's). The list is
# memory-mapped (UTF-8 bytes, each word's offset, first code point and frequency), and only the words
# that start with a character some block starts a substring with are decoded, once: every word a
# substring is a prefix of starts with the substring's first character, and the words sorted start
# with each character in one run (0.07 s a process to decode them all and make 350,000 strings).
class _Lexicon:
    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.utf8, self.ends, self.first = arrays["words"], arrays["ends"], arrays["first"]
        self.freqs, self.total = arrays["freqs"], int(arrays["total"][0])
        self._by_first: dict[str, tuple[list[str], list[int]]] = {}

    def starting_with(self, c: str) -> tuple[list[str], list[int]]:
        """The words that start with `c`, sorted, and their frequencies."""
        got = self._by_first.get(c)
        if got is None:
            code = self.first.dtype.type(ord(c))  # a Python int would cast the whole array (0.2 ms a call)
            lo, hi = int(np.searchsorted(self.first, code)), int(np.searchsorted(self.first, code, "right"))
            if lo == hi:
                got = ([], [])
            else:
                a = int(self.ends[lo - 1]) + 1 if lo else 0
                got = (self.utf8[a:int(self.ends[hi - 1])].tobytes().decode("utf-8").split("\n"),
                       self.freqs[lo:hi].tolist())
            self._by_first[c] = got
        return got

    def words(self) -> list[str]:
        """Every word, sorted (for tests)."""
        return self.utf8.tobytes().decode("utf-8").split("\n")


@cache
def _jieba_lexicon() -> _Lexicon:
    tok = jieba_tokenizer()
    import jieba

    def build() -> dict[str, np.ndarray]:
        freq: dict[str, int] = {}
        total = 0
        with tok.get_dict_file() as f:  # as jieba's gen_pfdict reads it
            for line in f:
                line = line.strip().decode("utf-8")
                if line:
                    word, n = line.split(" ")[:2]
                    freq[word] = int(n)
                    total += int(n)
        words = sorted(freq)
        utf8 = np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)
        return {"words": utf8, "ends": np.flatnonzero(np.append(utf8 == 10, True)).astype(np.int64),
                "first": np.array([ord(w[0]) for w in words], dtype=np.int32),
                "freqs": np.array([freq[w] for w in words], dtype=np.int64), "total": np.array([total])}

    dict_file = Path(jieba.__file__).with_name("dict.txt")
    stat = dict_file.stat() if dict_file.exists() else None
    key = f"lexicon-{jieba.__version__}-{stat.st_size if stat else 0}-{int(stat.st_mtime) if stat else 0}-v2"

    def whole(arrays: dict[str, np.ndarray]) -> bool:
        return len(arrays["ends"]) == len(arrays["first"]) == len(arrays["freqs"]) and (
            len(arrays["ends"]) == 0 or int(arrays["ends"][-1]) == len(arrays["words"]))

    return _Lexicon(mapped_arrays("jieba", key, ("words", "ends", "first", "freqs", "total"), build, whole))


def _jieba_block(block: str) -> list[str]:
    """jieba's tokens of one of its blocks (`Tokenizer.cut`, on the block's own dictionary)."""
    lexicon = _jieba_lexicon()
    sub: dict[str, int] = {}
    for k in range(len(block)):
        words, freqs = lexicon.starting_with(block[k])
        n = len(words)
        for end in range(k + 1, len(block) + 1):
            frag = block[k:end]
            i = bisect_left(words, frag)
            if i == n or not words[i].startswith(frag):
                break  # no word starts so: jieba's DAG stops here too
            sub[frag] = freqs[i] if words[i] == frag else 0
    import jieba

    tok = jieba.Tokenizer()  # one per block (a few microseconds): threads never share a dictionary
    tok.FREQ, tok.total, tok.initialized = sub, lexicon.total, True
    return list(tok.cut(block))


# --- Japanese ------------------------------------------------------------------------------

@cache
def _mecab_wakati():
    try:
        import fugashi

        return fugashi.Tagger("-Owakati")
    except (ImportError, RuntimeError):
        return None


def japanese(text: str) -> list[str] | None:
    """MeCab's surfaces of `text`, line by line; None when fugashi or its dictionary is not installed.

    Each line is one MeCab input, as the `mecab` command reads a file: the Gopher rules (the page),
    C4 (each line) and FineWeb (C4's lines) then share one cut of each line through the memo, where
    cutting the page whole and each line again cost two MeCab passes (MeCab's lattice links a line
    to the next, so the page's cut is not its lines'). Against the whole page cut at once, the two
    differ in a line's first or last token now and then (1 token in 8,688 of bench_cjk's Japanese;
    benchmarks/results/quality-filters.md).
    """
    reference = _STATE["reference"]
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()  # MeCab skips white space: never inside a token
        if line:
            toks = _japanese_nodes(line) if reference else _remembered("ja", line, _japanese_wakati)
            if toks is None:
                return None
            out += toks
    return out


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
    if "\n" in text and "\r" not in text:
        lines = [line.strip(" \t") for line in text.split("\n")]
        if not any(map(_TH_LOOKS_PAST_LINE.search, lines)):
            out: list[str] = []
            for line in lines:
                if line:
                    toks = _remembered("th", line, _thai_fast)
                    if toks is None:
                        return None
                    out += toks
            return out
    return _remembered("th", text, _thai_fast)


# A newline is a boundary newmm never cuts across (no word holds one, its non-Thai pattern matches
# it, its skips stop at it), and the spaces and tabs around it are tokens of their own, dropped (not
# other white space: newmm's non-Thai pattern joins `\xa0` or NEL to a digit that follows), so a
# text's words are its lines' words, in order, and C4's lines and the Gopher rules' page share one
# cut: unless a line ends in a cluster whose rule looks one character past it (`เccีtย`, `เc[ิีุู]tย`:
# `$` matches at the end of the line cut out, not before the newline inside the text) or a CR
# stands alone.
_TH_LOOKS_PAST_LINE = re.compile("\u0e40[\u0e01-\u0e2e]{1,2}[\u0e34-\u0e39][\u0e48-\u0e4b]?\u0e22$")


def _thai_newmm(text: str) -> list[str] | None:
    seg = thai_word_tokenize()
    return None if seg is None else strip(seg(text, engine="newmm", keep_whitespace=False))


# newmm cuts a text left to right, and after a run of Thai letters followed by a character it
# matches as non-Thai (a space, a digit, Latin, punctuation) it starts afresh: no cut is left
# pending there, unless a dictionary word runs on across the boundary (1,143 of its 62,106 words
# hold a space, `.`, `-`, `/`, a digit: `กทม.`, `ก.พ.`), the run ends in `ย` (a Thai character
# cluster rule looks one character past it: `$` alone matches the end of the run cut out), or the
# neighbour is a character of the Thai block that newmm does not match as non-Thai (`฿`, `๏`,
# unassigned code points). Every other run is cut the same alone as in its text, and nlpo3
# (PyThaiNLP's newmm in Rust) cuts it as newmm does; what lies between such runs goes to newmm
# itself, piece by piece (the pieces without Thai letters through newmm's own non-Thai pattern
# and number re-joining, as newmm would cut them).
_TH_LETTER = "\u0e01-\u0e3a\u0e40-\u0e4e"
_TH_RUN = re.compile(f"[{_TH_LETTER}]+")
_TH_BLOCK_OTHER = re.compile("[\u0e00\u0e3b-\u0e3f\u0e4f\u0e5a-\u0e7f]")  # newmm matches them as Thai
_TH_DIGIT = re.compile(r"\d")
# Where nlpo3's Thai character clusters differ from PyThaiNLP's (its rules are PyThaiNLP's in
# another order, the two look-ahead rules last and emulated by cutting the match's last character,
# `c[ิุู]์` with a final consonant cluster, `cรรc์` never matching): runs holding one go to newmm.
_TH_CLUSTERS_DIFFER = re.compile(
    "\u0e40[\u0e01-\u0e2e][\u0e01-\u0e2e]\u0e35[\u0e48-\u0e4b]?\u0e22"  # เccีtย
    "|\u0e40[\u0e01-\u0e2e][\u0e34\u0e38\u0e39][\u0e48-\u0e4b]?\u0e22"  # เc[ิุู]tย
    "|\u0e40[\u0e01-\u0e2e]\u0e35[\u0e48-\u0e4b]?\u0e22[\u0e01-\u0e2e]{1,2}[\u0e34\u0e38\u0e39]?\u0e4c"  # เcีtยcc?[ิุู]?์
    "|[\u0e01-\u0e2e][\u0e34\u0e38\u0e39]\u0e4c[\u0e01-\u0e2e]"  # c[ิุู]์c
    "|[\u0e01-\u0e2e]\u0e23\u0e23[\u0e01-\u0e2e]\u0e4c"  # cรรc์
)


@cache
def _thai_fast_parts():
    """(nlpo3's segment, dictionary name, words by their Thai-letter prefix, newmm's non-Thai
    pattern, newmm's number re-joining), or None where nlpo3 or PyThaiNLP is missing."""
    if thai_word_tokenize() is None:
        return None
    try:
        import nlpo3
        from pythainlp.corpus.common import thai_words
        from pythainlp.tokenize._utils import rejoin_formatted_num
        from pythainlp.tokenize.newmm import _PAT_NONTHAI
    except ImportError:
        return None
    words = sorted(thai_words())
    run = re.compile(f"[{_TH_LETTER}]+")
    plain = [w for w in words if run.fullmatch(w)]  # the only ones that can match inside a run
    body = "\n".join(plain) + "\n"
    try:  # nlpo3 reads its dictionary from a file: PyThaiNLP's words, written once to our cache
        path = cache_dir("nlpo3") / f"words_th-{hashlib.sha1(body.encode()).hexdigest()[:16]}.txt"
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(body, encoding="utf-8")
            os.replace(tmp, path)
        _, ok = nlpo3.load_dict(str(path), name := f"fruitstand-{path.stem}")
    except OSError:  # no writable cache: newmm alone, the same words
        return None
    if not ok:
        return None
    # Each such word as (its Thai-letter head, the rest), looked up by the head's last letter and the
    # rest's first two characters (or its one): the run ends in the one, the other follows.
    across: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for w in words:
        head = run.match(w)
        if head is not None and head.end() < len(w):
            rest = w[head.end():]
            across.setdefault((head.group()[-1], rest[:2]), []).append((head.group(), rest))
    return nlpo3.segment, name, across, _PAT_NONTHAI, rejoin_formatted_num


def _thai_fast(text: str) -> list[str] | None:
    parts = _thai_fast_parts()
    if parts is None or "\r" in text:  # a lone CR is matched by none of newmm's non-Thai patterns
        return _thai_newmm(text)
    cut, name, across, nonthai, rejoin = parts
    runs = list(_TH_RUN.finditer(text))
    n = len(text)
    safe = [True] * len(runs)
    flagged = [m.start() for m in _TH_CLUSTERS_DIFFER.finditer(text)]  # rare: found in one pass
    flagged += [m.start() for m in _TH_BLOCK_OTHER.finditer(text)]
    if flagged:
        flagged.sort()
        for i, m in enumerate(runs):  # a flagged cluster inside the run, or a flagged neighbour
            a, b = m.span()
            k = bisect_left(flagged, a - 1)
            if k < len(flagged) and flagged[k] <= b:
                safe[i] = False
    for i, m in enumerate(runs):
        b = m.end()
        r = m.group()
        if b == n:
            continue
        # Dictionary words that start in this run and run on past its end.
        last = r[-1]
        for found in (across.get((last, text[b:b + 2])), across.get((last, text[b]))):
            for head, rest in found or ():
                if r.endswith(head) and text.startswith(rest, b):
                    end, j = b + len(rest), i
                    while j < len(runs) and runs[j].start() < end:
                        safe[j] = False
                        j += 1
    out: list[str] = []
    pos = 0
    for m, ok in zip(runs, safe):
        if ok:
            if m.start() > pos:
                piece = text[pos:m.start()]
                if piece != " ":  # most often the one space between two runs: no word
                    out += _thai_between(piece, nonthai, rejoin, last=False)
            out += cut(m.group(), name)
            pos = m.end()
    if pos < n:
        out += _thai_between(text[pos:], nonthai, rejoin, last=True)
    return out


def _thai_between(piece: str, nonthai, rejoin, last: bool) -> list[str]:
    """newmm's words of a piece of text between two runs that nlpo3 cut."""
    if piece.isspace():  # newmm's white-space tokens, all stripped
        return []
    if _TH_RUN.search(piece) is None and _TH_BLOCK_OTHER.search(piece) is None:
        toks = [m.group() for m in nonthai.finditer(piece)]  # newmm's tokens where no word matches
        return strip(rejoin(toks) if _TH_DIGIT.search(piece) else toks)
    # Followed by a run in its text: a space stands for it, so that `$` matches no earlier.
    return _thai_newmm(piece if last else piece + " ")
