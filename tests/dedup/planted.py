"""A dedup test corpus: real text with planted duplicates of known similarity.

Standard library only, so that `tests/data/record_datatrove_minhash.py` can build the very
same corpus in datatrove's own virtual environment.

Base documents: BBC News articles and Common Crawl pages (English), Urdu news articles and
Chinese sentences grouped ten to a document (all from `../shared/data`, see its
SOURCES.md). Base documents that already have a near-duplicate among themselves (true
word 5-gram Jaccard >= 0.4, or equal text) are left out, so the planted copies are the
only duplicates. Planted, for a random share of the base documents: exact copies, copies
differing only in case and punctuation, adjacent-word swaps, an inserted cookie banner and
truncations, at several strengths. The documents are then shuffled into `n_tasks` tasks.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")

# A made-up but typical consent banner, inserted as boilerplate.
BANNER = ("We use cookies and similar technologies to improve your experience on our website, to analyse "
          "traffic and to show you personalised content and advertising. By clicking accept you agree to our "
          "use of cookies as described in our cookie policy. You can change your preferences at any time.")


def tokens(text: str, chars: bool) -> list[str]:
    words = _WORD.findall(_DIGIT.sub("0", text.lower()))
    return list("".join(words)) if chars else words


def shingles(text: str, chars: bool, n: int = 5) -> set:
    t = tokens(text, chars)
    return {tuple(t[i:i + n]) for i in range(max(1, len(t) - n + 1))} if t else set()


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def base_documents() -> list[dict]:
    docs = []
    with gzip.open(DATA / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        docs += [{"id": f"bbc-{i}", "text": json.loads(line)["text"]} for i, line in enumerate(fh)]
    cc = DATA / "text" / "CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
    with gzip.open(cc, "rt") as fh:
        docs += [{"id": f"cc-{i}", "text": json.loads(line)["text"]} for i, line in enumerate(fh)]
    for path in sorted((DATA / "urdu-news").glob("*.txt")):
        if path.name.startswith("README"):
            continue
        docs.append({"id": f"urdu-{path.stem}", "text": path.read_text(encoding="utf-8")})
    zh = (DATA / "lang" / "zh.txt").read_text(encoding="utf-8").splitlines()
    for i in range(0, len(zh) - 9, 10):
        docs.append({"id": f"zh-{i // 10}", "text": "".join(zh[i:i + 10]), "script": "Hani"})
    return [d for d in docs if len(tokens(d["text"], "script" in d)) >= 30]


def drop_natural_duplicates(docs: list[dict], threshold: float = 0.4) -> list[dict]:
    """Leave out every document with an earlier one at true Jaccard >= threshold (digits
    folded to 0, as the dedup steps' normalisation does)."""
    sets = [shingles(d["text"], "script" in d) for d in docs]
    index: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            index[sh].append(i)
    shared: Counter = Counter()
    for holders in index.values():
        if 1 < len(holders) <= 200:
            for a in range(len(holders)):
                for b in range(a + 1, len(holders)):
                    shared[holders[a], holders[b]] += 1
    drop = set()
    for (a, b), common in shared.items():
        if a not in drop and common / (len(sets[a]) + len(sets[b]) - common) >= threshold:
            drop.add(b)
    return [d for i, d in enumerate(docs) if i not in drop]


def _swap(words: list[str], k: int, rng: random.Random) -> list[str]:
    words = list(words)
    for _ in range(k):
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return words


def variants(doc: dict, rng: random.Random) -> list[tuple[str, str]]:
    """(edit name, text) of the copies planted for one document."""
    text = doc["text"]
    chars = "script" in doc
    parts = list(text) if chars else text.split(" ")
    glue = "" if chars else " "
    n = len(parts)
    kind = rng.choice(["exact", "normalised", "swap", "banner", "truncate", "mixed"])
    if kind == "exact":
        return [("exact", text)]
    if kind == "normalised":
        return [("normalised", re.sub(r"[,.;:!?]", "", text).upper())]
    if kind == "swap":
        return [(f"swap{k}", glue.join(_swap(parts, k, rng))) for k in rng.sample([1, 3, 6, 12, 25, 50], 2)]
    if kind == "banner":
        where = rng.choice(["start", "end"])
        return [(f"banner-{where}", BANNER + "\n\n" + text if where == "start" else text + "\n\n" + BANNER)]
    if kind == "truncate":
        keep = rng.choice([0.95, 0.85, 0.7, 0.5])
        return [(f"truncate{keep}", glue.join(parts[: max(1, int(n * keep))]))]
    return [("mixed", glue.join(_swap(parts[: int(n * 0.9)], 3, rng)) + "\n\n" + BANNER)]


def build(seed: int = 0, n_tasks: int = 3, share: float = 0.25) -> dict:
    """The corpus: {"tasks": [[{"id", "text", "script"?}, ...], ...], "groups": {id: group},
    "pairs": [(original id, copy id, true Jaccard, edit)]}."""
    rng = random.Random(seed)
    base = drop_natural_duplicates(base_documents())
    docs, groups, pairs = [], {}, []
    for doc in base:
        docs.append(doc)
        if rng.random() >= share:
            continue
        groups[doc["id"]] = doc["id"]
        s = shingles(doc["text"], "script" in doc)
        for j, (edit, text) in enumerate(variants(doc, rng)):
            copy = {**doc, "id": f"{doc['id']}~{j}-{edit}", "text": text}
            docs.append(copy)
            groups[copy["id"]] = doc["id"]
            pairs.append((doc["id"], copy["id"], round(jaccard(s, shingles(text, "script" in doc)), 4), edit))
    rng.shuffle(docs)
    tasks: list[list[dict]] = [[] for _ in range(n_tasks)]
    for doc in docs:
        tasks[rng.randrange(n_tasks)].append(doc)
    return {"tasks": tasks, "groups": groups, "pairs": pairs}


def score(corpus: dict, kept_ids: set[str]) -> dict[str, float]:
    """Recall on pairs with true Jaccard >= 0.8, precision of removals, and the checks of the issue."""
    all_ids = [d["id"] for t in corpus["tasks"] for d in t]
    removed = set(all_ids) - kept_ids
    groups = corpus["groups"]
    high = [(a, b) for a, b, j, _ in corpus["pairs"] if j >= 0.8]
    members: dict[str, list[str]] = defaultdict(list)
    for i, g in groups.items():
        members[g].append(i)
    singles = [i for i in all_ids if i not in groups]
    exact = [(a, b) for a, b, _, e in corpus["pairs"] if e == "exact"]
    return {
        "recall_08": sum(a in removed or b in removed for a, b in high) / len(high),
        "precision": sum(i in groups for i in removed) / max(1, len(removed)),
        "groups_wiped": sum(all(m in removed for m in ms) for ms in members.values()),
        "singles_kept": sum(i in kept_ids for i in singles) / len(singles),
        "exact_caught": sum((a in removed) != (b in removed) for a, b in exact) / max(1, len(exact)),
        "removed": len(removed),
    }
