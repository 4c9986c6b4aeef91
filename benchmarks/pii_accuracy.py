"""Precision and recall of the `pii` step per type on presidio-research's labelled synthetic texts.

    .venv/bin/python benchmarks/pii_accuracy.py [--split choose|held-out|all] [--show-errors]

Data: `../shared/data/pii/synth_dataset_v2.json` (1,500 texts, 2,863 labelled spans). Split by
template: texts of even `template_id` are the choose split (the rules, context words and formats
were chosen looking at them; once called "dev"), odd ones the held-out split, looked at only to
report (once called "test"; both old names still work).

Label mapping: EMAIL_ADDRESS -> email, IP_ADDRESS -> ip, PHONE_NUMBER -> phone, CREDIT_CARD ->
card, IBAN_CODE -> iban. Every other label (PERSON, US_SSN, DATE_TIME, ZIP_CODE, ...) is a type
the step does not look for: a hit on one of those counts as a false positive of the hit's type.

Span rule: a hit is a true positive when it overlaps a labelled span of its own type; a labelled
span is found when some hit of its type overlaps it. The strict figures ("exact") ask for the same
start and end, after trimming spaces and trailing punctuation from both.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from fruitstand.privacy.pii import TYPES, find

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pii" / "synth_dataset_v2.json"
LABELS = {"EMAIL_ADDRESS": "email", "IP_ADDRESS": "ip", "PHONE_NUMBER": "phone", "CREDIT_CARD": "card",
          "IBAN_CODE": "iban"}


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in " \n\t":
        s += 1
    while e > s and text[e - 1] in " \n\t.,;:":
        e -= 1
    return s, e


SPLITS = {"choose": lambda t: t % 2 == 0, "held-out": lambda t: t % 2 == 1, "all": lambda t: True}
SPLITS["dev"], SPLITS["test"] = SPLITS["choose"], SPLITS["held-out"]


def evaluate(split: str = "held-out", show_errors: bool = False) -> dict[str, dict[str, float]]:
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    keep = SPLITS[split]
    c = {k: Counter() for k in TYPES}
    for row in rows:
        if not keep(row["template_id"]):
            continue
        text = row["full_text"]
        gold = [(LABELS.get(s["entity_type"]), s["start_position"], s["end_position"]) for s in row["spans"]]
        hits = find(text)
        for t, s, e in gold:
            if t is None:
                continue
            c[t]["gold"] += 1
            if any(h.type == t and h.start < e and s < h.end for h in hits):
                c[t]["found"] += 1
            elif show_errors:
                print(f"MISSED {t}: {text[s:e]!r} in {text[max(0, s - 40):e + 20]!r}")
            if any(h.type == t and _trim(text, h.start, h.end) == _trim(text, s, e) for h in hits):
                c[t]["found_exact"] += 1
        for h in hits:
            c[h.type]["hits"] += 1
            if any(t == h.type and h.start < e and s < h.end for t, s, e in gold):
                c[h.type]["tp"] += 1
            elif show_errors:
                over = [k for k, s, e in gold if h.start < e and s < h.end]
                print(f"FALSE {h.type}: {h.value!r} (labelled {over or 'nothing'}) in {text[max(0, h.start - 40):h.end + 20]!r}")
            if any(t == h.type and _trim(text, h.start, h.end) == _trim(text, s, e) for t, s, e in gold):
                c[h.type]["tp_exact"] += 1
    out = {}
    for t in TYPES:
        k = c[t]
        out[t] = {"gold": k["gold"], "hits": k["hits"],
                  "precision": k["tp"] / k["hits"] if k["hits"] else float("nan"),
                  "recall": k["found"] / k["gold"] if k["gold"] else float("nan"),
                  "precision_exact": k["tp_exact"] / k["hits"] if k["hits"] else float("nan"),
                  "recall_exact": k["found_exact"] / k["gold"] if k["gold"] else float("nan")}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="held-out", choices=list(SPLITS))
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args()
    res = evaluate(args.split, args.show_errors)
    print(f"split: {args.split}")
    print("| type | labelled | hits | precision | recall | precision (exact) | recall (exact) |")
    print("|---|---|---|---|---|---|---|")
    for t, r in res.items():
        print(f"| {t} | {r['gold']} | {r['hits']} | {r['precision']:.3f} | {r['recall']:.3f} | "
              f"{r['precision_exact']:.3f} | {r['recall_exact']:.3f} |")


if __name__ == "__main__":
    main()
