"""Train one small model on a token stream, and score it: bits per byte, multiple choice.

Training samples windows of the stream at random (nanoGPT's `get_batch`), from a NumPy
generator seeded by the seed alone, with AdamW, a short warm-up and a cosine decay. The
initial weights come from `torch.manual_seed(seed)`, so every corpus starts from the same
model for the same seed.

Multiple choice is scored as lm-evaluation-harness scores it: the log-likelihood of each
choice as a continuation of the context (context and continuation encoded together, the
context's trailing space moved to the continuation), `acc` by the highest log-likelihood,
`acc_norm` by the highest log-likelihood per byte of the choice; and the continuous score
DataDecide found predicts best at small scale: the probability of the right answer,
normalised over the choices.
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np
import torch
from torch.nn import functional as F

from fruitstand.taste.model import GPT, ModelConfig


def pick_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _autocast(device: str):
    if device == "cuda":  # bf16 on the GPU; full precision on the CPU (bf16 matmuls are slower there)
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train(stream: np.ndarray, cfg: ModelConfig, *, seed: int, tokens: int, batch: int, lr: float,
          device: str, points: int = 40) -> tuple[GPT, list[list[float]], float]:
    """A model trained on `tokens` tokens of `stream`; its loss curve [[tokens seen, loss], ...] and seconds."""
    started = time.perf_counter()
    torch.manual_seed(seed)
    model = GPT(cfg).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95), fused=device == "cuda")
    t = cfg.context
    steps = max(1, tokens // (batch * t))
    warmup = max(1, steps // 20)
    rng = np.random.default_rng(seed)
    offsets = np.arange(t + 1)
    every = max(1, steps // points)
    curve, running = [], []
    model.train()
    for step in range(steps):
        frac = step / max(1, steps - 1)
        scale = (step + 1) / warmup if step < warmup else 0.1 + 0.45 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr * scale
        starts = rng.integers(0, len(stream) - t - 1, size=batch)
        window = torch.from_numpy(stream[starts[:, None] + offsets].astype(np.int64)).to(device)
        with _autocast(device):
            loss = model.loss(window[:, :-1], window[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running.append(loss.item())
        if (step + 1) % every == 0 or step == steps - 1:
            curve.append([(step + 1) * batch * t, round(float(np.mean(running)), 4)])
            running = []
    model.eval()
    return model, curve, time.perf_counter() - started


@torch.no_grad()
def _token_logprobs(model: GPT, rows: list[list[int]], device: str, batch: int = 64) -> list[np.ndarray]:
    """log p(row[i+1] | row[:i+1]) for every row (each at most context + 1 tokens long).

    Rows are batched by length (shortest first), so a batch pads little.
    """
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    out: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for k in range(0, len(order), batch):
        chunk = order[k:k + batch]
        width = max(len(rows[i]) for i in chunk) - 1
        x = torch.zeros(len(chunk), width, dtype=torch.long)
        y = torch.zeros(len(chunk), width, dtype=torch.long)
        for j, i in enumerate(chunk):
            r = torch.tensor(rows[i])
            x[j, :len(r) - 1] = r[:-1]
            y[j, :len(r) - 1] = r[1:]
        with _autocast(device):
            logits = model(x.to(device))
        nll = F.cross_entropy(logits.float().flatten(0, 1), y.to(device).flatten(), reduction="none")
        logp = -nll.view(len(chunk), width).cpu().numpy()
        for j, i in enumerate(chunk):
            out[i] = logp[j, :len(rows[i]) - 1]
    return out


def bits_per_byte(model: GPT, tok, texts: list[str], eos_id: int, device: str) -> float:
    """Bits per UTF-8 byte of held-out text: each document after an EOS, in windows of the context.

    Windows overlap by half, and each token is scored once, with at least half a context
    before it (except at a document's start): the usual sliding-window evaluation.
    """
    t = model.cfg.context
    half = t // 2
    rows, keep = [], []
    for enc in tok.encode_batch([x for x in texts if x], add_special_tokens=False):
        ids = [eos_id, *enc.ids]
        start = 0
        while True:
            end = min(start + t + 1, len(ids))
            rows.append(ids[start:end])
            keep.append(0 if start == 0 else half)  # targets already scored by the previous window
            if end == len(ids):
                break
            start += half
    nats = sum(float(lp[k:].sum()) for lp, k in zip(_token_logprobs(model, rows, device), keep))
    nbytes = sum(len(x.encode("utf-8")) for x in texts)
    return -nats / math.log(2) / max(1, nbytes)


def _encode_pair(tok, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """lm-evaluation-harness's split: trailing spaces of the context move to the continuation."""
    spaces = len(context) - len(context.rstrip(" "))
    if spaces:
        context, continuation = context[:-spaces], context[-spaces:] + continuation
    whole = tok.encode(context + continuation, add_special_tokens=False).ids
    ctx = tok.encode(context, add_special_tokens=False).ids
    return whole[:len(ctx)], whole[len(ctx):]


def multiple_choice(model: GPT, tok, items: list[tuple[str, list[str], int]], eos_id: int,
                    device: str) -> dict[str, float]:
    """acc, acc_norm and prob_norm (probability of the right answer, normalised over the choices)."""
    t = model.cfg.context
    rows, spans, lengths = [], [], []
    for context, choices, _ in items:
        for choice in choices:
            cont_text = choice if context.endswith((" ", "\n")) or choice.startswith((" ", "\n")) else " " + choice
            ctx, cont = _encode_pair(tok, context, cont_text)
            ids = ([eos_id, *ctx, *cont])[-(t + 1):]
            rows.append(ids)
            spans.append(min(len(cont), len(ids) - 1))
            lengths.append(len(cont_text.encode("utf-8")))
    lls = [float(lp[-n:].sum()) for lp, n in zip(_token_logprobs(model, rows, device), spans)]
    acc = acc_norm = prob = 0.0
    k = 0
    for _, choices, gold in items:
        ll = np.array(lls[k:k + len(choices)])
        per_byte = ll / np.array(lengths[k:k + len(choices)])
        k += len(choices)
        acc += float(np.argmax(ll) == gold)
        acc_norm += float(np.argmax(per_byte) == gold)
        p = np.exp(ll - ll.max())
        prob += float(p[gold] / p.sum())
    n = max(1, len(items))
    return {"acc": acc / n, "acc_norm": acc_norm / n, "prob_norm": prob / n, "items": len(items)}
