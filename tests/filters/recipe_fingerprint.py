"""The FineWeb recipe's decisions on real corpora, as one sha256 per corpus (issue 21).

Every document of each corpus below goes through the default recipe's FineWeb steps, with the
default recipe's parameters (extract, url_filter, langid, gopher_repetition, gopher_quality,
c4_quality, fineweb_quality, exact_dedup, minhash_dedup), in one process, one task. Each
document gives one line: its id, its verdict ("kept", or "STEP:REASON" of the step that dropped
it), the columns the steps set, and its text after the last step; the sha256 of those lines,
with the per-step counters, is compared against `tests/data/recipe_fingerprint.json`.

The stored fingerprint is what makes speed work safe: a faster filter must give the same
documents, the same verdicts and the same text. Refresh it ONLY when a rule changes on purpose
(a threshold, a word list, a reader or an extractor change), and say so in the commit:

    PYTHONPATH=src .venv/bin/python -m tests.filters.recipe_fingerprint --refresh
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import tempfile
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fruitstand import read
from fruitstand.document import Document
from fruitstand.registry import make_step
from fruitstand.step import GlobalStep, StepContext, StepStats

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
STORED = REPO / "tests" / "data" / "recipe_fingerprint.json"
DEFAULT_RECIPE = REPO / "src" / "fruitstand" / "recipes" / "default.toml"
FINEWEB_KINDS = ("extract", "url_filter", "langid", "gopher_repetition", "gopher_quality", "c4_quality",
                 "fineweb_quality", "exact_dedup", "minhash_dedup")
WARCS = ("articles-61.warc.gz", "sample-0000.warc.gz", "sample-0001.warc.gz", "pywb-iana.warc.gz",
         "resiliparse-warcfile.warc.gz", "ukwa-IAH-urls-wget.warc.gz")
BBC_DOCS = 400
SENTENCES_PER_DOC = 12


def _bbc() -> Iterator[Document]:
    with gzip.open(DATA / "text" / "bbc-news.jsonl.gz", "rt", encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n == BBC_DOCS:
                return
            yield Document(f"bbc-{n}", json.loads(line)["text"])


def _urdu() -> Iterator[Document]:
    for path in sorted((DATA / "urdu-news").glob("*.txt")):
        yield Document(path.stem, path.read_text(encoding="utf-8").strip())


def _sentences() -> Iterator[Document]:
    """lang/{zh,ja,th}.txt, every SENTENCES_PER_DOC sentences one document."""
    for code in ("zh", "ja", "th"):
        lines = [s.strip() for s in (DATA / "lang" / f"{code}.txt").read_text(encoding="utf-8").splitlines()]
        lines = [s for s in lines if s]
        for i in range(0, len(lines), SENTENCES_PER_DOC):
            yield Document(f"{code}-{i}", "\n".join(lines[i:i + SENTENCES_PER_DOC]))


def corpora() -> dict[str, tuple[bool, object]]:
    """name -> (is HTML, a zero-argument callable yielding its documents)."""
    out: dict[str, tuple[bool, object]] = {
        f"warc/{name}": (True, lambda name=name: read(DATA / "warc" / name)) for name in WARCS
    }
    out["text/bbc-news"] = (False, _bbc)
    out["urdu-news"] = (False, _urdu)
    out["lang/zh+ja+th"] = (False, _sentences)
    return out


_BUILT: dict[str, object] = {}


def steps(html: bool) -> list:
    """The recipe's FineWeb steps (without extract for text corpora); per-document steps are set up
    once and shared by the corpora, whole-corpus ones are fresh for each."""
    tables = [s for s in tomllib.loads(DEFAULT_RECIPE.read_text()).get("step", []) if s.get("kind") in FINEWEB_KINDS]
    built = []
    for t in tables:
        if not html and t["kind"] == "extract":
            continue
        step = _BUILT.get(t["kind"]) or make_step(t)
        if not isinstance(step, GlobalStep):
            if t["kind"] not in _BUILT:
                step.setup()
            _BUILT[t["kind"]] = step
        else:
            step.setup()
        built.append(step)
    return built


def _global(step: GlobalStep, docs: list[Document], verdict: dict[str, str], stats: StepStats, work: Path) -> list:
    ctx = StepContext(workdir=work / step.kind, n_tasks=1, stats=stats)
    ctx.workdir.mkdir(parents=True)
    step.ctx = ctx
    step.open(ctx)
    docs = list(step.map(iter(docs), stats, ctx))
    for stage in step.reduce_stages(ctx.workdir, 1):
        for _name, job in stage:
            job()
    step.open(ctx)
    before = Counter(stats.dropped)
    kept = list(step.filter(iter(docs), stats, ctx))
    step.finish()
    reasons = sorted((stats.dropped - before).elements())
    kept_ids = {id(d) for d in kept}
    dropped = [d for d in docs if id(d) not in kept_ids]
    # A dedup step drops for one reason (or a few, counted below): the per-step counters are hashed too.
    label = f"{step.kind}:{'+'.join(sorted(set(reasons))) or '?'}"
    for d in dropped:
        verdict[d.id] = label
    return kept


def decisions(name: str) -> dict:
    """The per-document lines and counters of one corpus."""
    html, source = corpora()[name]
    built = steps(html)
    columns = sorted({c for s in built for c in s.columns})
    docs = list(source())
    order = [d.id for d in docs]
    verdict: dict[str, str] = {}
    counters = {}
    with tempfile.TemporaryDirectory() as tmp:
        for step in built:
            stats = StepStats()
            if isinstance(step, GlobalStep):
                docs = _global(step, docs, verdict, stats, Path(tmp))
            else:
                step.open(step.ctx)
                survivors = []
                for doc in docs:  # one at a time, to know which reason dropped which document
                    before = Counter(stats.dropped)
                    out = list(step.process([doc], stats))
                    if out:
                        survivors.extend(out)
                    else:
                        verdict[doc.id] = f"{step.kind}:{'+'.join(sorted((stats.dropped - before).elements()))}"
                step.finish()
                docs = survivors
            counters[step.kind] = {"in": stats.docs_in, "out": stats.docs_out, "dropped": dict(sorted(stats.dropped.items()))}
    final = {d.id: d for d in docs}
    h = hashlib.sha256()
    for doc_id in order:
        if doc_id in final:
            d = final[doc_id]
            cols = {c: d.metadata.get(c) for c in columns}
            line = [doc_id, "kept", cols, d.text]
        else:
            line = [doc_id, verdict.get(doc_id, "?")]
        h.update(json.dumps(line, sort_keys=True, ensure_ascii=False, default=str).encode() + b"\n")
    h.update(json.dumps(counters, sort_keys=True).encode())
    verdicts = Counter("kept" if i in final else verdict.get(i, "?") for i in order)
    return {"sha256": h.hexdigest(), "docs": len(order), "kept": len(final),
            "verdicts": dict(sorted(verdicts.items())), "steps": counters}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--refresh", action="store_true", help=f"rewrite {STORED.name} (only when a rule changed on purpose)")
    args = ap.parse_args()
    result = {name: decisions(name) for name in corpora()}
    if args.refresh:
        note = ("The FineWeb recipe's decisions on real corpora (tests/filters/recipe_fingerprint.py). "
                "Refresh only when a rule changes on purpose: "
                "PYTHONPATH=src .venv/bin/python -m tests.filters.recipe_fingerprint --refresh")
        STORED.write_text(json.dumps({"_note": note, **result}, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {STORED}")
    stored = json.loads(STORED.read_text()) if STORED.exists() else {}
    for name, r in result.items():
        same = stored.get(name, {}).get("sha256") == r["sha256"]
        print(f"{name:<40} {r['docs']:5d} docs {r['kept']:5d} kept  {'same' if same else 'DIFFERENT'}")
    sys.exit(0 if all(stored.get(n, {}).get("sha256") == r["sha256"] for n, r in result.items()) else 1)


if __name__ == "__main__":
    main()
