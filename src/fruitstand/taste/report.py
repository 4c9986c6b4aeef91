"""The taste test's table (printed at the end) and its plot (`taste.svg`, drawn here: no plotting library)."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np

_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def table(result: dict[str, Any]) -> str:
    lines = [f"taste: {result['model']} model ({result['parameters']:,} parameters), {result['tokens']:,} tokens, "
             f"{result['seeds']} seed(s), {result['device']}"]
    labels = result["corpora"]
    width = max(12, *(len(c) for c in labels))
    for ev in result["evals"]:
        keys = ["bits_per_byte"] if ev["kind"] == "text" else ["acc", "acc_norm", "prob_norm"]
        lines.append(f"  {ev['name']}: " + ", ".join(keys) + " (mean over seeds, range in brackets)")
        for i, label in enumerate(labels):
            runs = [r for r in result["runs"] if r["index"] == i]
            cells = []
            for k in keys:
                vals = [r["scores"][ev["name"]][k] for r in runs]
                cells.append(f"{np.mean(vals):.4f} [{np.ptp(vals):.4f}]")
            lines.append(f"    {label:<{width}}  " + "  ".join(cells))
    lower = "lower" if result["lower_is_better"] else "higher"
    lines.append(f"  differences on {result['eval']} ({result['metric']}, {lower} is better):")
    for d in result["differences"]:
        lines.append(f"    {d['best']} vs {d['other']}: {d['difference']:+.4f} (spread {d['spread']:.4f}) "
                     f"{'clear' if d['clear'] else 'within the spread'}")
    sens = result["sensitivity"]
    lines.append(f"winner: {result['winner']}   (sensitivity: {sens['note']}; published scales: "
                 + "; ".join(sens["published_scales"]) + ")")
    return "\n".join(lines)


def svg(result: dict[str, Any], width: int = 720, height: int = 420) -> str:
    """Training loss against tokens seen, one line per corpus and seed, a colour per corpus."""
    left, right, top, bottom = 70, 200, 30, 50
    runs = [r for r in result["runs"] if r["curve"]]
    xs = [p[0] for r in runs for p in r["curve"]] or [1]
    ys = [p[1] for r in runs for p in r["curve"]] or [1]
    x1, y0, y1 = max(xs), min(ys), max(ys)
    y0, y1 = (y0 - 0.05 * (y1 - y0 or 1), y1 + 0.05 * (y1 - y0 or 1))
    w, h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + w * x / x1

    def py(y: float) -> float:
        return top + h * (1 - (y - y0) / (y1 - y0))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="18" font-size="14">training loss, {escape(result["model"])} model</text>',
           f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="black"/>']
    for k in range(5):
        y = y0 + (y1 - y0) * k / 4
        x = x1 * k / 4
        out.append(f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>')
        out.append(f'<text x="{px(x):.1f}" y="{top + h + 16}" text-anchor="middle">{x / 1e3:,.0f}k</text>')
    out.append(f'<text x="{left + w / 2}" y="{height - 10}" text-anchor="middle">tokens seen</text>')
    for r in runs:
        colour = _COLOURS[r["index"] % len(_COLOURS)]
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in r["curve"])
        dash = ' stroke-dasharray="5,3"' if r["seed"] % 2 else ""
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"{dash}/>')
    for i, label in enumerate(result["corpora"]):
        y = top + 10 + 18 * i
        colour = _COLOURS[i % len(_COLOURS)]
        out.append(f'<line x1="{left + w + 12}" y1="{y}" x2="{left + w + 32}" y2="{y}" stroke="{colour}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{left + w + 38}" y="{y + 4}">{escape(label[-24:])}</text>')
    out.append(f'<text x="{left + w + 12}" y="{top + 18 * len(result["corpora"]) + 20}">winner: '
               f'{escape(str(result["winner"])[-24:])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
