"""The taste test's speed and power: training tokens/s on the CPU (and a GPU where there is one), and
the calibration curve (how much junk this budget can see).

1. Throughput: `tiny` and `small` models, `--steps` timed optimiser steps each on a real token
   stream, after two warm-up steps, with `torch.set_num_threads(--threads)`; on CUDA as well
   when `torch.cuda.is_available()` (bf16 autocast).
2. Calibration: `fruitstand taste --calibrate CURATED --junk RAW` with the corpora of
   tests/taste/corpora.py (the default recipe's output of real WARCs, and the same WARCs' raw
   page text with crawl junk), held-out text ../shared/data/lang/en.txt, `--tokens` per model.
3. The default run: two corpora x two seeds of the tiny model at the default budget (the
   issue's 10-minute goal on 2 CPU cores), timed end to end (`--default-run`).

Run under `flock /tmp/fruitstand-bench.lock`. Latest figures: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
SCRATCH = REPO / ".bench" / "taste"


def throughput(device: str, threads: int, steps: int) -> None:
    import numpy as np
    import torch

    from fruitstand.taste.model import GPT, SIZES, ModelConfig
    from fruitstand.taste.train import _autocast

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    for name, s in SIZES.items():
        cfg = ModelConfig(s["vocab_size"], s["n_layer"], s["n_head"], s["d_model"], s["context"])
        torch.manual_seed(0)
        model = GPT(cfg).to(device)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        x = torch.from_numpy(rng.integers(0, cfg.vocab_size, (s["batch"], cfg.context + 1))).to(device)
        for i in range(steps + 2):
            if i == 2:
                if device == "cuda":
                    torch.cuda.synchronize()
                t = time.perf_counter()
            with _autocast(device):
                loss = model.loss(x[:, :-1], x[:, 1:])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if device == "cuda":
            torch.cuda.synchronize()
        dt = (time.perf_counter() - t) / steps
        print(f"throughput {device} {name:<6} {model.n_params():>10,} params  "
              f"{s['batch'] * cfg.context / dt:>10,.0f} training tokens/s  ({threads} threads)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--tokens", type=int, default=150_000, help="training tokens per calibration model")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--skip-calibration", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--default-run", action="store_true", help="also time the default 2 corpora x 2 seeds run")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO))
    import torch

    if not args.skip_throughput:
        throughput("cpu", args.threads, args.steps)
        if torch.cuda.is_available():
            throughput("cuda", args.threads, args.steps * 5)
        else:
            print("throughput cuda: no GPU here")
    if args.skip_calibration and not args.default_run:
        return
    from tests.taste.corpora import curated, raw

    from fruitstand.taste import calibrate, taste

    cur = SCRATCH / "curated"
    if not (cur / "manifest.json").exists():
        curated(DATA, cur)
    junk = SCRATCH / "raw" / "raw.jsonl"
    if not junk.exists():
        raw(DATA, SCRATCH / "raw")
    evals = [str(DATA / "lang" / "en.txt")]
    if not args.skip_calibration:
        t = time.perf_counter()
        cal = calibrate(str(cur), str(junk), evals=evals, output=SCRATCH / f"calibrate-{args.tokens}",
                        tokens=args.tokens, seeds=args.seeds, device="cpu", threads=args.threads)
        print(f"calibration: {time.perf_counter() - t:.0f} s; smallest dilution detected: {cal['smallest_detected']}")
    if args.default_run:
        t = time.perf_counter()
        res = taste([str(cur), str(junk)], evals=evals, output=SCRATCH / "default-run", device="cpu",
                    threads=args.threads)
        print(f"default run (tiny, {res['tokens']:,} tokens, 2 corpora x 2 seeds): {time.perf_counter() - t:.0f} s "
              f"wall, winner {res['winner']}")


if __name__ == "__main__":
    main()
