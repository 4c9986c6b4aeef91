"""The report's charts as inline SVG strings: horizontal bars, a funnel, kept-against-dropped histograms.

Charts are drawn here, in Python, so the page needs no charting library and no network, and
a chart's size is that of its bins (fixed), never that of the corpus. Native SVG `<title>`
elements give every bar a tooltip without script.
"""

from __future__ import annotations

import math
from html import escape

KEPT = "#2a9d8f"
DROPPED = "#e76f51"
NEUTRAL = "#5b6c8f"
GRID = "#e3e7ee"
INK = "#1f2937"
MUTED = "#6b7280"


def num(n: float) -> str:
    """A count for people: 1,234 / 12.3k / 4.5M / 1.2G."""
    if n is None:
        return "–"
    n = float(n)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if abs(n) >= div:
            div = 1e3 if suffix == "k" else div
            return f"{n / div:,.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"{n:,.0f}" if n == int(n) else f"{n:,.2f}"


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>")


def _text(x: float, y: float, s: str, *, anchor: str = "start", size: int = 12, fill: str = INK,
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
            f'font-weight="{weight}">{escape(s)}</text>')


def funnel(rows: list[tuple[str, float | None, float | None]], *, width: int = 900, label_w: int = 170,
           units: tuple[str, str] = ("documents", "characters")) -> str:
    """Two bar columns (documents, characters) of what is left after each step, as a share of the first."""
    row_h, top = 26, 28
    col_w = (width - label_w - 20) // 2
    height = top + row_h * len(rows) + 6
    body = [_text(label_w + 4, 16, units[0], weight="bold"), _text(label_w + col_w + 24, 16, units[1], weight="bold")]
    firsts = [next((r[k] for r in rows if r[k]), None) for k in (1, 2)]
    prev: list[float | None] = [None, None]
    for i, (name, docs, chars) in enumerate(rows):
        y = top + i * row_h
        body.append(_text(label_w - 8, y + 16, name, anchor="end"))
        for k, value in enumerate((docs, chars)):
            x0 = label_w + 4 + k * (col_w + 20)
            first = firsts[k]
            body.append(f'<rect x="{x0}" y="{y + 3}" width="{col_w - 110}" height="{row_h - 8}" fill="{GRID}" rx="3"/>')
            if value is None or not first:
                body.append(_text(x0 + 6, y + 16, "not measured", size=11, fill=MUTED))
                continue
            share = value / first
            w = max(1.0, (col_w - 110) * min(1.0, share))
            lost = "" if prev[k] is None else f", {num(prev[k] - value)} fewer than before"
            body.append(f'<rect x="{x0}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{KEPT if k == 0 else NEUTRAL}" '
                        f'rx="3"><title>{escape(name)}: {value:,.0f} {units[k]} ({share:.1%}){escape(lost)}</title></rect>')
            body.append(_text(x0 + col_w - 104, y + 16, f"{num(value)} · {share:.0%}", size=11, fill=INK))
            prev[k] = value
    return _svg(width, height, body, "funnel")


def hbars(rows: list[tuple[str, float, float]], *, width: int = 520, label_w: int = 190, legend: bool = True,
          unit: str = "documents") -> str:
    """One bar per row, split into a kept part and a dropped part (either may be 0)."""
    row_h = 18
    top = 22 if legend else 4
    height = top + row_h * len(rows) + 4
    scale = max((k + d for _, k, d in rows), default=0) or 1
    bar_w = width - label_w - 70
    body = []
    if legend:
        body += [f'<rect x="{label_w}" y="4" width="10" height="10" fill="{KEPT}"/>', _text(label_w + 14, 13, "kept", size=11),
                 f'<rect x="{label_w + 60}" y="4" width="10" height="10" fill="{DROPPED}"/>',
                 _text(label_w + 74, 13, "dropped", size=11)]
    for i, (name, kept, dropped) in enumerate(rows):
        y = top + i * row_h
        short = name if len(name) <= 28 else name[:27] + "…"
        body.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12" fill="{INK}">'
                    f'<title>{escape(name)}</title>{escape(short)}</text>')
        wk, wd = bar_w * kept / scale, bar_w * dropped / scale
        tip = f"{name}: {kept:,.0f} kept, {dropped:,.0f} dropped {unit}"
        if kept:
            body.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(wk, 1):.1f}" height="{row_h - 6}" fill="{KEPT}">'
                        f'<title>{escape(tip)}</title></rect>')
        if dropped:
            body.append(f'<rect x="{label_w + wk:.1f}" y="{y + 3}" width="{max(wd, 1):.1f}" height="{row_h - 6}" '
                        f'fill="{DROPPED}"><title>{escape(tip)}</title></rect>')
        body.append(_text(label_w + wk + wd + 4, y + 14, num(kept + dropped), size=11, fill=MUTED))
    return _svg(width, height, body, "bars")


def bars(rows: list[tuple[str, float]], *, width: int = 520, label_w: int = 170, color: str = NEUTRAL,
         fmt=num, unit: str = "") -> str:
    """Plain horizontal bars, one value per row."""
    row_h = 20
    height = row_h * len(rows) + 6
    scale = max((v for _, v in rows), default=0) or 1
    bar_w = width - label_w - 80
    body = []
    for i, (name, v) in enumerate(rows):
        y = 2 + i * row_h
        body.append(_text(label_w - 6, y + 14, name, anchor="end"))
        w = bar_w * v / scale
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" fill="{color}">'
                    f'<title>{escape(name)}: {escape(fmt(v))}{escape(unit)}</title></rect>')
        body.append(_text(label_w + w + 4, y + 14, fmt(v) + unit, size=11, fill=MUTED))
    return _svg(width, height, body, "bars")


def _log_ticks(lo: float, hi: float) -> list[float]:
    out = []
    p = 10 ** math.floor(math.log10(max(lo, 1)))
    while p <= hi:
        if p >= lo:
            out.append(p)
        p *= 10
    return out


def histogram(kept: list[int], dropped: list[int], edges: list[float], *, log: bool, title: str,
              width: int = 420, height: int = 170) -> str:
    """Kept and dropped as shares of their own totals over the same bins, so their shapes compare."""
    nz = [i for i, (a, b) in enumerate(zip(kept, dropped)) if a or b]
    body: list[str] = []
    left, right, top, bottom = 36, 10, 10, 34
    pw, ph = width - left - right, height - top - bottom
    body.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafbfd" stroke="{GRID}"/>')
    if not nz:
        body.append(_text(left + pw / 2, top + ph / 2, "no documents", anchor="middle", fill=MUTED))
        return _svg(width, height, body, title)
    first, last = (nz[0], nz[-1] + 1) if log else (0, len(kept))  # a linear scale shows its whole range
    n = last - first
    tk, td = sum(kept) or 1, sum(dropped) or 1
    shares = [(kept[i] / tk, dropped[i] / td) for i in range(first, last)]
    peak = max(max(a, b) for a, b in shares) or 1
    bw = pw / n
    for frac in (0.25, 0.5, 0.75):
        y = top + ph * (1 - frac)
        body.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
    body.append(_text(left - 4, top + 10, f"{peak:.0%}", anchor="end", size=10, fill=MUTED))
    body.append(_text(left - 4, top + ph, "0", anchor="end", size=10, fill=MUTED))

    def label(v: float) -> str:
        return num(v) if log else (f"{v:g}" if v >= 1 or v == 0 else f"{v:.2f}")

    for j, (a, b) in enumerate(shares):
        i = first + j
        x = left + j * bw
        rng = f"{label(edges[i])}–{label(edges[i + 1])}"
        if not (a or b):
            continue
        tip = f"{rng}: {kept[i]:,} kept ({a:.1%}), {dropped[i]:,} dropped ({b:.1%})"
        body.append(f"<g><title>{escape(tip)}</title>")
        for k, (share, color) in enumerate(((a, KEPT), (b, DROPPED))):
            if share:
                h = ph * share / peak
                body.append(f'<rect x="{x + k * bw / 2:.1f}" y="{top + ph - h:.1f}" width="{max(bw / 2 - 0.3, 0.6):.1f}" '
                            f'height="{h:.1f}" fill="{color}"/>')
        body.append("</g>")
    lo, hi = edges[first], edges[last]
    if log:
        ticks = _log_ticks(max(lo, 1), hi)
        span = math.log2(hi + 1) - math.log2(lo + 1) or 1
        pos = [(t, left + pw * (math.log2(t + 1) - math.log2(lo + 1)) / span) for t in ticks]
    else:
        step = (hi - lo) / 4
        pos = [(lo + step * k, left + pw * k / 4) for k in range(5)]
    for t, x in pos:
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="{MUTED}"/>')
        body.append(_text(x, top + ph + 15, label(t), anchor="middle", size=10, fill=MUTED))
    body.append(_text(left + pw / 2, height - 4, title, anchor="middle", size=11, fill=INK))
    return _svg(width, height, body, title)
