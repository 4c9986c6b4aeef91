"""`fruitstand taste`: train identical small models on each corpus and compare them on held-out data.

Order never matters: the corpora are worked on in the order of their resolved paths, the
shared tokenizer is trained on an equal sample of each in that order, every model's
initial weights and batches come from its seed alone, and the verdict compares means
whatever order they were given in. Each (corpus, seed) result is kept in `DIR/runs/`, so a
killed run resumes with the models it had finished.

The verdict is honest about its power: the winner must beat every other corpus by more
than the spread of the seeds (the largest range of bits per byte across seeds of the two),
and `--calibrate A --junk B` measures the smallest dilution of A with B this budget can
see, which every verdict quotes beside the published scales.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from fruitstand.io.writers import atomic_write_json
from fruitstand.registry import RecipeError

# Scales at which published corpus comparisons were made, for contrast with a laptop's.
PUBLISHED = [
    "FineWeb ablations: 1.8B-parameter models on 28B tokens per variant",
    "DCLM's smallest scale: 412M parameters, 8.2B tokens",
    "DataDecide: 150M-parameter rankings pick the better corpus ~80% of the time",
]
DEFAULT_TOKENS = 200_000
DILUTIONS = (0.0, 0.25, 0.5, 1.0)


def _need_torch() -> None:
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        raise RecipeError("taste needs PyTorch: pip install 'fruitstand[taste]'") from None


def _config(model: str):
    from fruitstand.taste.model import SIZES, ModelConfig

    if model not in SIZES:
        raise RecipeError(f"--model {model!r}: use {' or '.join(SIZES)}")
    s = SIZES[model]
    return ModelConfig(s["vocab_size"], s["n_layer"], s["n_head"], s["d_model"], s["context"]), s["batch"], s["lr"]


def _check(evals: list[str], tokens: int, seeds: int, device: str) -> str:
    _need_torch()
    from fruitstand.taste.train import pick_device

    if not evals:
        raise RecipeError("give at least one --eval PATH (held-out .txt or JSONL); the first decides the winner")
    if tokens < 10_000:
        raise RecipeError(f"--tokens {tokens}: give at least 10000")
    if seeds < 1:
        raise RecipeError(f"--seeds {seeds}: give 1 or more")
    if device not in ("auto", "cpu", "cuda"):
        raise RecipeError(f"--device {device!r}: use auto, cpu or cuda")
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise RecipeError("--device cuda: no CUDA GPU is available here; use --device auto or cpu")
    from fruitstand.taste.data import load_eval

    for path in evals:  # a bad eval set fails before any corpus is read
        load_eval(path)
    return pick_device(device)


class _Bench:
    """What every model of one taste run shares: tokenizer, eval sets, size, budget, device."""

    def __init__(self, out: Path, samples: list[list[str]], evals: list[str], model: str, tokens: int, device: str):
        from fruitstand.taste.data import load_eval
        from fruitstand.tokens import bpe

        self.out, self.tokens, self.device = out, tokens, device
        self.cfg, self.batch, self.lr = _config(model)
        self.model = model
        self.evals = [load_eval(p) for p in evals]
        budget = min(2_000_000, 8 * tokens, *(sum(len(t) for t in s) for s in samples))  # an equal sample of each
        sample = [t for s in samples for t in _prefix(s, budget)]
        self.tok = bpe.train_bpe(sample, self.cfg.vocab_size)
        self.eos_id, _ = bpe.special_ids(self.tok)
        self.tok_hash = bpe.tokenizer_hash(self.tok)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "tokenizer.json", json.loads(self.tok.to_str()))

    def stream(self, texts: list[str]) -> np.ndarray:
        """The first `tokens` tokens (and at least one context) of `texts`, each document ending in EOS."""
        from fruitstand.tokens import bpe

        parts, total, k = [], 0, 0
        while total < self.tokens + self.cfg.context + 1 and k < len(texts):
            toks, _ = bpe.encode(self.tok, texts[k:k + 256], eos_id=self.eos_id)
            parts.append(toks)
            total += len(toks)
            k += 256
        stream = np.concatenate(parts)[: self.tokens + self.cfg.context + 1]
        if len(stream) < self.cfg.context + 2:
            raise RecipeError("a corpus holds fewer tokens than one context window: give more text")
        return stream

    def run(self, label: str, stream: np.ndarray, seed: int, progress: str) -> dict[str, Any]:
        """Train and evaluate one model, or load its result from an earlier, killed run."""
        key = hashlib.sha256(json.dumps([self.tok_hash, hashlib.sha256(stream.tobytes()).hexdigest(), seed,
                                         self.model, self.tokens, self.device,
                                         [e.name for e in self.evals]]).encode()).hexdigest()[:16]
        path = self.out / "runs" / f"{key}.json"
        if path.exists():
            res = json.loads(path.read_text())
            res["corpus"] = label
            return res
        from fruitstand.taste.train import bits_per_byte, multiple_choice, train

        print(f"taste: {progress} training on {label} (seed {seed}, {self.tokens:,} tokens)", file=sys.stderr, flush=True)
        model, curve, seconds = train(stream, self.cfg, seed=seed, tokens=self.tokens, batch=self.batch, lr=self.lr,
                                      device=self.device)
        started = time.perf_counter()
        scores = {}
        for ev in self.evals:
            if ev.kind == "text":
                scores[ev.name] = {"bits_per_byte": round(bits_per_byte(model, self.tok, ev.texts, self.eos_id,
                                                                        self.device), 5)}
            else:
                scores[ev.name] = {k: round(v, 5) if isinstance(v, float) else v
                                   for k, v in multiple_choice(model, self.tok, ev.items, self.eos_id,
                                                               self.device).items()}
        trained = curve[-1][0] if curve else 0
        res = {"corpus": label, "seed": seed, "tokens": trained, "epochs": round(trained / max(1, len(stream)), 3),
               "train_seconds": round(seconds, 2), "eval_seconds": round(time.perf_counter() - started, 2),
               "tokens_per_second": round(trained / max(seconds, 1e-9)), "device": self.device,
               "parameters": model.n_params(), "curve": curve, "scores": scores}
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, res)
        return res


def _prefix(texts: list[str], chars: int) -> list[str]:
    out, n = [], 0
    for t in texts:
        if n >= chars:
            break
        out.append(t[: chars - n])
        n += len(out[-1])
    return out


def _first_metric(ev_kind: str) -> tuple[str, bool]:
    """The metric the verdict compares on an eval set, and whether lower is better."""
    return ("bits_per_byte", True) if ev_kind == "text" else ("prob_norm", False)


def verdict(runs: list[dict], labels: list[str], eval_name: str, metric: str, lower: bool) -> dict[str, Any]:
    """The winner (a label) if its mean beats every other corpus's by more than the seeds' spread, else "tie"."""
    stats = {}
    for i in sorted({r["index"] for r in runs}):
        label = labels[i]
        vals = [r["scores"][eval_name][metric] for r in runs if r["index"] == i]
        stats[i] = {"corpus": label, "mean": float(np.mean(vals)), "range": float(np.ptp(vals)), "seeds": len(vals)}
    sign = 1 if lower else -1
    # Ties in the mean (the same corpus twice) never depend on the order given: they are ties.
    best = min(stats, key=lambda i: (sign * stats[i]["mean"], labels[i]))
    rows, winner = [], labels[best]
    for i in stats:
        if i == best:
            continue
        diff = sign * (stats[i]["mean"] - stats[best]["mean"])
        spread = max(stats[i]["range"], stats[best]["range"])
        rows.append({"best": labels[best], "other": labels[i], "difference": round(diff, 5),
                     "spread": round(spread, 5), "clear": diff > spread})
        if not diff > spread:
            winner = "tie"
    if min(s["seeds"] for s in stats.values()) < 2:
        winner = "tie"  # one seed: no spread measured, so no difference can be told from noise
    return {"winner": winner, "eval": eval_name, "metric": metric, "lower_is_better": lower,
            "means": list(stats.values()), "differences": rows}


def taste(corpora: list[str], *, evals: list[str], output: str | os.PathLike, tokens: int = DEFAULT_TOKENS,
          seeds: int = 2, model: str = "tiny", device: str = "auto", threads: int | None = None,
          calibration: str | os.PathLike | None = None, first_seed: int = 0, quiet: bool = False) -> dict[str, Any]:
    """Train the same small model on each corpus and say which trains the better one; write DIR/taste.json."""
    from fruitstand.taste.data import corpus_files, hash_order, read_corpus

    if len(corpora) < 2:
        raise RecipeError("give two or more corpora to compare (or --calibrate A --junk B)")
    dev = _check(evals, tokens, seeds, device)
    _config(model)
    for c in corpora:
        corpus_files(c)
    _threads(threads)
    out = Path(output)
    order = sorted(range(len(corpora)), key=lambda i: (str(Path(corpora[i]).resolve()), i))
    texts = {}
    for i in order:
        if i not in texts:
            texts[i] = hash_order(read_corpus(corpora[i], max_chars=tokens * 12))
    bench = _Bench(out, [texts[i] for i in order], evals, model, tokens, dev)
    streams = {i: bench.stream(texts[i]) for i in order}
    runs = []
    n = len(order) * seeds
    for s in range(first_seed, first_seed + seeds):
        for i in order:
            res = bench.run(corpora[i], streams[i], s, f"[{len(runs) + 1}/{n}]")
            runs.append({**res, "index": i})
    runs.sort(key=lambda r: (r["index"], r["seed"]))
    metric, lower = _first_metric(bench.evals[0].kind)
    result = {
        "corpora": list(corpora),
        "model": model, "parameters": runs[0]["parameters"], "tokens": tokens, "seeds": seeds, "device": dev,
        "tokenizer_sha256": bench.tok_hash, "evals": [{"name": e.name, "kind": e.kind} for e in bench.evals],
        **verdict(runs, list(corpora), bench.evals[0].name, metric, lower),
        "sensitivity": _sensitivity(out, calibration),
        "runs": runs,
    }
    _write(out, result, quiet)
    return result


def calibrate(corpus: str, junk: str, *, evals: list[str], output: str | os.PathLike, tokens: int = DEFAULT_TOKENS,
              seeds: int = 2, model: str = "tiny", device: str = "auto", threads: int | None = None,
              first_seed: int = 0, quiet: bool = False) -> dict[str, Any]:
    """Train on `corpus` diluted with 0, 25, 50 and 100% of `junk`; the smallest dilution this budget detects."""
    from fruitstand.taste.data import corpus_files, hash_order, read_corpus

    dev = _check(evals, tokens, seeds, device)
    _config(model)
    corpus_files(corpus), corpus_files(junk)
    _threads(threads)
    out = Path(output)
    clean = hash_order(read_corpus(corpus, max_chars=tokens * 12))
    dirty = hash_order(read_corpus(junk, max_chars=tokens * 12))
    bench = _Bench(out, [clean, dirty], evals, model, tokens, dev)
    a, b = bench.stream(clean), bench.stream(dirty)
    labels = [f"{int(p * 100)}% junk" for p in DILUTIONS]
    runs = []
    for s in range(first_seed, first_seed + seeds):
        for i, p in enumerate(DILUTIONS):
            stream = _mix(a, b, p, bench.eos_id, len(a))
            runs.append({**bench.run(labels[i], stream, s, f"[{len(runs) + 1}/{len(DILUTIONS) * seeds}]"), "index": i})
    metric, lower = _first_metric(bench.evals[0].kind)
    name = bench.evals[0].name
    curve, detected = [], None
    for i, p in enumerate(DILUTIONS):
        v = verdict([r for r in runs if r["index"] in (0, i)], labels, name, metric, lower)
        mean = next(c["mean"] for c in v["means"] if c["corpus"] == labels[i])
        row = next((d for d in v["differences"] if labels[i] in (d["best"], d["other"])), None)
        seen = p > 0 and v["winner"] == labels[0]
        curve.append({"dilution": p, "mean": round(mean, 5), "difference": row["difference"] if row else 0.0,
                      "spread": row["spread"] if row else 0.0, "detected": seen})
        if seen and detected is None:
            detected = p
    result = {"corpus": corpus, "junk": junk, "model": model, "tokens": tokens, "seeds": seeds, "device": dev,
              "eval": name, "metric": metric, "curve": curve, "smallest_detected": detected,
              "runs": sorted(runs, key=lambda r: (r["index"], r["seed"]))}
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "calibration.json", result)
    if not quiet:
        print(f"calibration: {corpus} diluted with {junk}, {tokens:,} tokens, {seeds} seeds, {metric} on {name}")
        for row in curve:
            print(f"  {row['dilution']:>5.0%} junk  {row['mean']:.4f}  difference {row['difference']:+.4f}  "
                  f"spread {row['spread']:.4f}  {'detected' if row['detected'] else '-'}")
        print(f"smallest dilution this budget detects: {_pct(detected)}")
    return result


def _mix(a: np.ndarray, b: np.ndarray, p: float, eos_id: int, n: int) -> np.ndarray:
    """A stream of `n` tokens, a share `p` of them from b: whole documents, interleaved by a fixed rule."""
    if p <= 0:
        return a[:n]
    if p >= 1:
        return b[:n]
    docs_a = np.split(a, np.flatnonzero(a == eos_id)[:-1] + 1)
    docs_b = np.split(b, np.flatnonzero(b == eos_id)[:-1] + 1)
    out, got_a, got_b, ia, ib = [], 0, 0, 0, 0
    while got_a + got_b < n and (ia < len(docs_a) or ib < len(docs_b)):
        take_b = ib < len(docs_b) and (ia >= len(docs_a) or got_b < p * (got_a + got_b + 1))
        if take_b:
            out.append(docs_b[ib])
            got_b += len(docs_b[ib])
            ib += 1
        else:
            out.append(docs_a[ia])
            got_a += len(docs_a[ia])
            ia += 1
    return np.concatenate(out)[:n]


def _pct(p: float | None) -> str:
    return "none up to 100%" if p is None else f"{p:.0%}"


def _sensitivity(out: Path, calibration: str | os.PathLike | None) -> dict[str, Any]:
    path = Path(calibration) if calibration else out / "calibration.json"
    base = {"published_scales": PUBLISHED}
    if not path.is_file():
        return {**base, "smallest_detected_dilution": None,
                "note": "not calibrated: run `fruitstand taste --calibrate A --junk B` with the same budget"}
    cal = json.loads(path.read_text())
    return {**base, "smallest_detected_dilution": cal["smallest_detected"], "calibration": str(path),
            "note": f"{cal['model']} model, {cal['tokens']:,} tokens, {cal['seeds']} seeds: detects "
                    f"{_pct(cal['smallest_detected'])} of {cal['junk']} mixed into {cal['corpus']}"}


def _threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def _write(out: Path, result: dict[str, Any], quiet: bool) -> None:
    from fruitstand.taste.report import svg, table

    atomic_write_json(out / "taste.json", result)
    (out / "taste.svg").write_text(svg(result))
    if not quiet:
        print(table(result))
