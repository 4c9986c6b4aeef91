"""Write src/fruitstand/filters/configs/*.toml: per-language thresholds and stop words.

    .venv/bin/python scripts/make_filter_configs.py [--lang-dir ../shared/data/lang]

How FineWeb-2 did it, and what we do instead. FineWeb-2 (Penedo et al. 2025) measured each
filter's metric over reference text per language (Wikipedia and GlotLID's training corpus)
and moved the English threshold to the matching point of that language's distribution,
comparing several ways to do so (a fixed tail fraction, mean and standard deviation,
quantile matching, median ratio) in ablations; its stop words are each language's most
frequent words in that reference text. We do not have their corpora, so this script applies
the same idea to what the project has: 500 real sentences per language from the Leipzig
corpora (`shared/data/lang/XX.txt`, 75 languages) and the word-frequency lists that `wordfreq`
ships (42 languages). English is the anchor: `eng_Latn.toml` holds the published values.

For each language L, with its sentences grouped into pseudo-documents of 10:

- stop words: the most frequent words of wordfreq's list for L (whole frequency bins until
  there are at least 10; no punctuation or numbers), or, when wordfreq has no list (Thai,
  Swahili, ...), the most frequent words of L's own sentences that stopwordsiso lists as
  stop words (all words where it has no list). Gopher asks for 2 of them in a document.
- Gopher's word-length bounds [3, 10] are scaled by L's median word length over English's
  (the "median ratio" method): Chinese words are 1.7 characters, Urdu 3.6, Finnish 7.8.
- Bounded ratios are only ever loosened, never tightened: clean news sentences are a thin
  sample, and a stricter bound learnt from them would drop real web text. So Gopher's least
  alphabetic-token fraction (0.8) drops by the ratio of L's non-alphabetic fraction to
  English's when L's is higher; FineWeb's least punctuated-line fraction (0.12) drops by the
  ratio of L's sentences ending in a terminal mark (Thai: none, so 0); FineWeb's newlines
  per word (0.3) rises when L's sentences have fewer words.
- FineWeb's short-line length (30 characters) is scaled by characters per word.
- C4's terminal-punctuation rule is turned off for languages whose sentences mostly end
  without a mark (Thai); its least number of sentences per page (5, about 85 English
  words) drops to keep that many words where sentences are longer (4 for Urdu: 22 words).
- Gopher's repetition fractions are kept: they count characters, and the background
  repetition measured on L's sentences is under 0.03 for every language, far below them.

Script fallbacks `und_{script}.toml` take the median of each value over the script's
languages and have no stop words; `default.toml` holds the published values alone.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import Counter
from pathlib import Path

import langcodes
import regex
import stopwordsiso
import wordfreq

from fruitstand.filters.text import CLOSERS, dominant_script, drop_punctuation, terminal_punctuation, tokens

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/fruitstand/filters/configs"
# ISO 639-1 -> the individual ISO 639-3 code FineWeb-2/GlotLID use where 639-1 names a macrolanguage.
INDIVIDUAL = {"zh": "cmn", "ar": "arb", "fa": "pes", "ms": "zsm", "sw": "swh", "et": "ekk", "lv": "lvs",
              "az": "azj", "nb": "nob", "mn": "khk", "sq": "als", "uz": "uzn", "tl": "tgl"}
GOPHER_STOP_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]
PUBLISHED = {
    "gopher_quality": {"min_avg_word_length": 3, "max_avg_word_length": 10, "max_non_alpha_words_ratio": 0.8},
    "fineweb_quality": {"line_punct_thr": 0.12, "short_line_length": 30, "new_line_ratio": 0.3},
    "c4_quality": {"filter_no_terminal_punct": True, "min_num_sentences": 5},
}
_NOT_A_WORD = regex.compile(r"^[\p{P}\p{S}\p{N}\s]+$")
_HAS_LETTER = regex.compile(r"\p{L}")


def stats(sentences: list[str], script: str) -> dict[str, float]:
    docs = [" ".join(sentences[i : i + 10]) for i in range(0, len(sentences), 10)]
    word_len, non_alpha, chars_per_word = [], [], []
    for doc in docs:
        toks = tokens(doc, None, script)
        ws = drop_punctuation(toks)
        word_len.append(sum(map(len, ws)) / len(ws))
        non_alpha.append(1 - sum(1 for t in toks if _HAS_LETTER.search(t)) / len(toks))
        chars_per_word.append(len(doc) / len(ws))
    marks = tuple(terminal_punctuation(script))
    ended = sum(1 for s in sentences if marks and s.rstrip(CLOSERS + " ").endswith(marks))
    return {
        "word_len": statistics.median(word_len),
        "non_alpha": statistics.median(non_alpha),
        "chars_per_word": statistics.median(chars_per_word),
        "words_per_sentence": statistics.median(len(drop_punctuation(tokens(s, None, script))) for s in sentences),
        "ended": ended / len(sentences),
    }


def stop_words(code1: str, sentences: list[str], script: str) -> tuple[list[str], str]:
    if code1 in wordfreq.available_languages():
        ranked = [[w for w in band if not _NOT_A_WORD.match(w)] for band in wordfreq.get_frequency_list(code1)]
        source = f"wordfreq {wordfreq.__version__ if hasattr(wordfreq, '__version__') else ''} list '{code1}'"
    else:
        # Rank by frequency in L's own sentences; where stopwordsiso lists L's stop words, rank
        # only those (500 sentences are too few to keep dates and names out of the top).
        listed = stopwordsiso.stopwords(code1) if stopwordsiso.has_lang(code1) else None
        counts = Counter(w.lower() for s in sentences for w in tokens(s, None, script)
                         if not _NOT_A_WORD.match(w) and (listed is None or w.lower() in listed))
        ranked = [[w] for w, _ in counts.most_common(40)]
        source = f"the 500 sentences of shared/data/lang/{code1}.txt" + (" ranking stopwordsiso's list" if listed else "")
    out: list[str] = []
    for band in ranked:
        out += band
        if len(out) >= 10:
            break
    return out, source.replace("  ", " ")


def derive(st: dict[str, float], en: dict[str, float]) -> dict[str, dict]:
    ratio = st["word_len"] / en["word_len"]
    na = min(0.8, round(1 - 0.2 * st["non_alpha"] / en["non_alpha"], 3))
    return {
        "gopher_quality": {
            "min_avg_word_length": math.floor(30 * ratio) / 10,
            "max_avg_word_length": math.ceil(100 * ratio) / 10,
            "max_non_alpha_words_ratio": na,
        },
        "fineweb_quality": {
            "line_punct_thr": min(0.12, round(0.12 * st["ended"] / en["ended"], 3)),
            "short_line_length": round(30 * st["chars_per_word"] / en["chars_per_word"]),
            "new_line_ratio": max(0.3, round(0.3 * en["words_per_sentence"] / st["words_per_sentence"], 3)),
        },
        "c4_quality": {
            "filter_no_terminal_punct": st["ended"] >= 0.5,
            "min_num_sentences": min(5, round(5 * en["words_per_sentence"] / st["words_per_sentence"])),
        },
    }


def toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return repr(value)


def write(name: str, header: str, language: str, script: str, stops: list[str], tables: dict) -> None:
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ["# Written by scripts/make_filter_configs.py: edit that, not this.", ""]
    lines += [f"language = {toml(language)}", f"script = {toml(script)}", f"stop_words = {toml(stops)}"]
    for table, values in tables.items():
        lines += ["", f"[{table}]"] + [f"{k} = {toml(v)}" for k, v in values.items()]
    (OUT / f"{name}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang-dir", type=Path, default=ROOT.parent / "shared/data/lang")
    args = ap.parse_args()
    sentences = {
        p.stem: [s.strip() for s in p.read_text(encoding="utf-8").splitlines() if s.strip()]
        for p in sorted(args.lang_dir.glob("*.txt"))
    }
    en = stats(sentences["en"], "Latn")
    for old in OUT.glob("*.toml"):
        old.unlink()
    write("default", "Global fallback: the published English thresholds, no stop words (the language is unknown).",
          "und", "Zyyy", [], PUBLISHED)
    write("eng_Latn", "English: Gopher's stop words and the published thresholds.", "eng", "Latn",
          GOPHER_STOP_WORDS, PUBLISHED)
    by_script: dict[str, list[dict]] = {"Latn": [PUBLISHED]}
    for code1, sents in sentences.items():
        if code1 == "en":
            continue
        script = dominant_script(" ".join(sents[:100]))
        code3 = INDIVIDUAL.get(code1) or langcodes.Language.get(code1).to_alpha3()
        st = stats(sents, script)
        tables = derive(st, en)
        stops, source = stop_words(code1, sents, script)
        measured = ", ".join(f"{k} {v:.3g}" for k, v in st.items())
        header = (f"Language {code3} ({code1}), script {script}.\n"
                  f"Stop words: {source}. Measured on shared/data/lang/{code1}.txt (English in brackets):\n"
                  f"{measured}\n(" + ", ".join(f"{k} {v:.3g}" for k, v in en.items()) + ")")
        write(f"{code3}_{script}", header, code3, script, stops, tables)
        by_script.setdefault(script, []).append(tables)
    for script, all_tables in sorted(by_script.items()):
        merged = {
            table: {key: statistics.median_low([t[table][key] for t in all_tables]) for key in all_tables[0][table]}
            for table in all_tables[0]
        }
        write(f"und_{script}", f"{script} script, language unknown: the median of its {len(all_tables)} language(s) "
              "here, no stop words.", "und", script, [], merged)


if __name__ == "__main__":
    main()
