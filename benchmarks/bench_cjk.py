"""Chinese, Japanese and Thai through the quality steps, reference segmenters against today's (issue 21).

    flock /tmp/fruitstand-bench.lock .venv/bin/python benchmarks/bench_cjk.py

Every document goes through the default recipe's quality steps in their order, `langid`,
`gopher_repetition`, `gopher_quality`, `c4_quality`, `fineweb_quality` (the recipe's parameters),
and every step sees every document: one that a step drops goes on to the next, FineWeb reads C4's
text where C4 kept the page and the original where it dropped it. Two sides, in one process,
alternating round by round: `reference` (jieba, fugashi node objects, PyThaiNLP: the segmenters
before issue 21, `FRUITSTAND_SEGMENTERS=reference`; Japanese line by line on both sides, as
segment.japanese defines it) and `fast` (the default: `filters/lang/segment.py`).
Each figure is the median over the rounds of MB of UTF-8 text per CPU-second (one core), every
cache and memo emptied before each measurement, the segmenters loaded before; the sides' verdicts
and texts are compared and must be the same. "words alone" is one `text.tokens` call per document
(the segmenter and its memo, no rule). Start-up (loading a segmenter in a fresh process) is timed
apart, once per side.

Real text only: `lang/{zh,ja,th}.txt` (Leipzig sentences, 12 to a document, as in the decision
fingerprint) and the Chinese and Japanese pages that `extract` + `langid` find in `shared/data`'s
WARCs and HTML folders; English (the first 300 BBC News articles and 500 Common Crawl documents)
for reference. Results: benchmarks/RESULTS.md (issue 21) and benchmarks/results/quality-filters.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from fruitstand.document import Document
from fruitstand.filters import text as textmod
from fruitstand.filters.lang import segment
from fruitstand.registry import make_step

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
KINDS = ("langid", "gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality")
PAGE_SOURCES = ("warc/resiliparse-warcfile.warc.gz", "warc/trafilatura-pages.warc.gz", "warc/articles-61.warc.gz",
                "html/readability", "html/goose3")
SENTENCES_PER_DOC = 12


def steps() -> list:
    tables = tomllib.loads((REPO / "src" / "fruitstand" / "recipes" / "default.toml").read_text())["step"]
    built = [make_step(t) for t in tables if t.get("kind") in KINDS]
    for s in built:
        s.setup()
    return built


def _pages() -> dict[str, list[str]]:
    """Chinese and Japanese pages of shared/data, as `extract` and `langid` see them."""
    from fruitstand import read
    from fruitstand.extract.extract import Extract

    ex = Extract()
    lid = make_step({"kind": "langid", "min_score": 0})
    lid.setup()
    out: dict[str, list[str]] = {"cmn": [], "jpn": []}
    def consider(doc: Document) -> None:
        got = ex.apply(doc)
        if isinstance(got, Document):
            lid.keep(got)
            if got.metadata["language"] in out:
                out[got.metadata["language"]].append(got.text)
    for src in PAGE_SOURCES:
        path = DATA / src
        if path.is_file():
            for doc in read(path):
                consider(doc)
        else:
            for f in sorted(path.rglob("*.html*")):
                raw = f.read_bytes()
                consider(Document(str(f), "", {}, html=gzip.decompress(raw) if f.suffix == ".gz" else raw))
    return out


def corpora() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    pages = _pages()
    for code, lang in (("zh", "cmn"), ("ja", "jpn"), ("th", "tha")):
        lines = [s.strip() for s in (DATA / "lang" / f"{code}.txt").read_text(encoding="utf-8").splitlines() if s.strip()]
        docs = ["\n".join(lines[i:i + SENTENCES_PER_DOC]) for i in range(0, len(lines), SENTENCES_PER_DOC)]
        out[lang] = docs + pages.get(lang, [])
    en = []
    for name, limit in (("CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz", 500), ("bbc-news.jsonl.gz", 300)):
        with gzip.open(DATA / "text" / name, "rt", encoding="utf-8") as f:
            en += [json.loads(line)["text"] for _, line in zip(range(limit), f)]
    out["eng"] = en
    return out


def clear() -> None:
    textmod._tokens.cache_clear()
    for memo in ("_CHUNK_TOKENS", "_CHUNK_TOKENS_OLD"):
        getattr(textmod, memo, {}).clear()
    segment.clear_memo()


def run(built: list, docs: list[str]) -> list:
    """Each document through every step; what each step decided, and the text at the end."""
    out = []
    for i, t in enumerate(docs):
        doc = Document(f"d{i}", t, {})
        verdicts = []
        for step in built:
            if step.kind == "c4_quality":
                got = step.apply(doc)
                if isinstance(got, Document):
                    doc = got
                    verdicts.append(True)
                else:
                    verdicts.append(got[1])
            else:
                verdicts.append(step.keep(doc))
        out.append((verdicts, doc.text))
    return out


def startup(side: str, lang: str) -> float:
    """Wall seconds, in a fresh process, from before the import of the filters to the first page's tokens."""
    code = ("import time; t = time.perf_counter(); from fruitstand.filters import text; "
            f"text.tokens({_FIRST[lang]!r}, {lang!r}); print(time.perf_counter() - t)")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    if side == "reference":
        env["FRUITSTAND_SEGMENTERS"] = "reference"
    else:
        env.pop("FRUITSTAND_SEGMENTERS", None)
    return float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)


_SCRIPT = {"cmn": "Hani", "jpn": "Jpan", "tha": "Thai", "eng": "Latn"}
_FIRST = {"cmn": "欢迎来电：021-56692669，中国人民。", "jpn": "日本語の文章です。", "tha": "ภาษาไทยง่ายนิดเดียว"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--languages", default="cmn,jpn,tha,eng")
    args = ap.parse_args()
    langs = args.languages.split(",")
    built = steps()
    texts = {k: v for k, v in corpora().items() if k in langs}
    rows = []
    for lang in langs:
        docs = texts[lang]
        size = sum(len(d.encode("utf-8")) for d in docs)
        metas = [(lang, _SCRIPT.get(lang)) for _ in docs]
        results, rates, alone = {}, {"reference": [], "fast": []}, {"reference": [], "fast": []}
        for side in ("reference", "fast"):  # warm-up: load the segmenters, keep the decisions
            with segment.reference() if side == "reference" else _nothing():
                clear()
                results[side] = run(built, docs)
        for _ in range(args.rounds):
            for side in ("reference", "fast"):
                with segment.reference() if side == "reference" else _nothing():
                    clear()
                    t = time.process_time()
                    run(built, docs)
                    rates[side].append(size / (time.process_time() - t) / 1e6)
                    clear()
                    t = time.process_time()
                    for d, meta in zip(docs, metas):
                        textmod.tokens(d, *meta)
                    alone[side].append(size / (time.process_time() - t) / 1e6)
        same = results["reference"] == results["fast"]
        ref, fast = statistics.median(rates["reference"]), statistics.median(rates["fast"])
        seg_ref, seg_fast = statistics.median(alone["reference"]), statistics.median(alone["fast"])
        rows.append((lang, len(docs), size / 1e6, seg_ref, seg_fast, ref, fast, same))
        print(f"{lang}: {len(docs)} docs {size / 1e6:.3f} MB  words alone {seg_ref:.2f} -> {seg_fast:.2f} MB/s  "
              f"quality steps {ref:.2f} -> {fast:.2f} MB/s  same decisions and text: {'yes' if same else 'NO'}", flush=True)
    print()
    print("start-up, s (fresh process: import + first text's tokens; reference / fast):")
    for lang in (x for x in langs if x in _FIRST):
        print(f"  {lang}: {startup('reference', lang):.2f} / {startup('fast', lang):.2f}")
    print()
    print("| language | docs | MB | words alone, reference / fast MB/s | quality steps, reference MB/s | "
          "quality steps, fast MB/s | same decisions | fast / reference |")
    print("|---|---|---|---|---|---|---|---|")
    for lang, n, mb, seg_ref, seg_fast, ref, fast, same in rows:
        print(f"| {lang} | {n} | {mb:.3f} | {seg_ref:.2f} / {seg_fast:.2f} | {ref:.2f} | {fast:.2f} | "
              f"{'yes' if same else 'NO'} | {fast / ref:.2f}x |")
    if not all(r[-1] for r in rows):
        sys.exit(1)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    main()
