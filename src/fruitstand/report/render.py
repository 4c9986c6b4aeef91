"""report.html: one self-contained page (styles, script and SVG charts inline; nothing fetched at view time).

Sections, in order: summary, funnel, drop reasons, CPU time, distributions, mix, samples,
dedup clusters, provenance. Each is drawn from `RunFacts` alone (manifest + merged run
statistics), so its size depends on the number of steps, reasons and bins, not documents.
A section whose data this run did not record says so instead of disappearing.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from fruitstand.report import svg
from fruitstand.report.data import RunFacts, cpu_seconds, drops_by_language, effective_params
from fruitstand.report.sketch import MIX_FIELDS, NBINS, SIGNALS, log_edges

SECTIONS = ("summary", "funnel", "reasons", "cpu", "distributions", "mix", "samples", "dedup", "provenance")
_TITLES = {"summary": "Summary", "funnel": "Funnel", "reasons": "Drop reasons", "cpu": "CPU time",
           "distributions": "Distributions", "mix": "Mix", "samples": "Samples per rule",
           "dedup": "Dedup clusters", "provenance": "Provenance"}
_MIX_TITLES = {"language": "Language", "script": "Script", "domain": "Domain (top 50)", "license": "Licence",
               "opt_out": "Opt-out"}
_MIX_LIMIT = {"domain": 50}
_STEP_OF = {"license": "license", "opt_out": "opt_out", "language": "langid", "script": "langid"}
_ABSENT = {"license": "no licence step in this recipe: add `kind = \"license\"` to record each document's licence",
           "opt_out": "no opt-out step in this recipe: add `kind = \"opt_out\"` to record robots.txt / TDMRep / noai",
           "script": "no language step recorded a script", "language": "no language step in this recipe",
           "domain": "the documents carry no URL"}

_CSS = """
:root{--kept:#2a9d8f;--dropped:#e76f51;--ink:#1f2937;--muted:#6b7280;--line:#e3e7ee;--bg:#f4f6fa}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:var(--ink);background:var(--bg)}header{background:#18233a;color:#fff;padding:22px 32px 18px}
header h1{margin:0;font-size:22px;font-weight:650}header p{margin:4px 0 0;color:#b8c2d6;font-size:13px}
nav{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;
display:flex;gap:18px;flex-wrap:wrap}nav a{color:#36507d;text-decoration:none;font-size:13px}nav a:hover{text-decoration:underline}
main{max-width:1180px;margin:0 auto;padding:18px 24px 60px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:16px 0;
box-shadow:0 1px 2px rgba(20,30,60,.04);scroll-margin-top:48px}section h2{margin:0 0 12px;font-size:17px}
h3{font-size:14px;margin:14px 0 6px}.note{color:var(--muted);font-size:12.5px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.stat{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fbfcfe}
.stat b{display:block;font-size:22px;font-weight:650}.stat span{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);
vertical-align:top}th{color:var(--muted);font-weight:600;font-size:12px}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:inline-block;height:9px;background:var(--dropped);border-radius:2px;vertical-align:middle}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(430px,1fr));gap:14px}
.grid>div{min-width:0}.chart{max-width:100%;height:auto;display:block}
.legend{display:flex;gap:14px;font-size:12px;color:var(--muted);margin:0 0 8px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
details{border:1px solid var(--line);border-radius:8px;margin:8px 0;background:#fcfdff}
summary{cursor:pointer;padding:7px 12px;font-weight:600}summary .note{font-weight:normal;margin-left:6px}
.docs{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:10px;padding:0 12px 12px}
.doc{border:1px solid var(--line);border-left:4px solid var(--dropped);border-radius:6px;padding:8px 10px;background:#fff;min-width:0}
.doc.kept{border-left-color:var(--kept)}.doc .meta{font-size:11.5px;color:var(--muted);overflow-wrap:anywhere}
.doc .text{white-space:pre-wrap;font-size:12.5px;max-height:190px;overflow:auto;margin-top:6px;overflow-wrap:anywhere}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:10px;padding:0 12px 12px}
code{font-size:12px;background:#f1f4f9;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
.tag{display:inline-block;padding:0 6px;border-radius:9px;font-size:11px;background:#eef2f8;color:#36507d;margin-left:6px}
#js-errors:empty{display:none}#js-errors{background:#fde8e4;color:#8a2a14;padding:8px 32px;white-space:pre-wrap}
footer{text-align:center;color:var(--muted);font-size:12px;padding:12px}
"""

# Errors are written into the page, where the test (and a reader) sees them; every section is checked shown.
_JS = """
(function(){var box=document.getElementById('js-errors');
function report(m){box.textContent+=m+'\\n';}
window.addEventListener('error',function(e){report('error: '+e.message);});
window.addEventListener('unhandledrejection',function(e){report('promise: '+e.reason);});
document.addEventListener('DOMContentLoaded',function(){
var ids=%s,shown=[];ids.forEach(function(id){var s=document.getElementById(id);
if(s&&s.getBoundingClientRect().height>0&&getComputedStyle(s).display!=='none')shown.push(id);});
document.body.setAttribute('data-sections-shown',shown.join(' '));
document.body.setAttribute('data-height',document.documentElement.scrollHeight);
document.querySelectorAll('nav a').forEach(function(a){a.addEventListener('click',function(){
var d=document.querySelector(a.getAttribute('href')+' details');if(d)d.open=true;});});});})();
"""


def _e(v: Any) -> str:
    return escape(str(v))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _pct(a: float, b: float) -> str:
    return f"{a / b:.1%}" if b else "–"


def _section(sid: str, body: str, note: str = "") -> str:
    return (f'<section id="{sid}"><h2>{_TITLES[sid]}</h2>' + (f'<p class="note">{note}</p>' if note else "")
            + body + "</section>")


def _legend() -> str:
    return ('<div class="legend"><span><i style="background:var(--kept)"></i>kept</span>'
            '<span><i style="background:var(--dropped)"></i>dropped</span></div>')


def _text_from(f: RunFacts) -> int:
    """Index of the step after which characters are counted: the last that made text out of HTML
    (its characters out exceed those in), or -1 when the input was text already (count it as read)."""
    steps = f.sketch["steps"] if f.sketch else []
    return max((i for i, s in enumerate(steps) if s["chars_out"] > s["chars_in"]), default=-1)


def _char_base(f: RunFacts) -> int:
    """Characters of text at the start: as read, or as the last HTML-to-text step left them."""
    k = _text_from(f)
    steps = f.sketch["steps"]
    return steps[0]["chars_in"] if k < 0 else steps[k]["chars_out"]


def _summary(f: RunFacts) -> str:
    m = f.manifest
    read = m.get("read", {})
    out = m.get("output", {})
    docs_in, docs_out = read.get("documents", 0), out.get("documents", 0)
    cards = [("documents read", svg.num(docs_in)), ("documents kept", svg.num(docs_out)),
             ("kept", _pct(docs_out, docs_in))]
    if f.sketch and f.sketch["steps"]:
        cards += [("characters of text", svg.num(_char_base(f))), ("characters kept", svg.num(f.sketch["steps"][-1]["chars_out"]))]
    if f.token_total is not None:
        cards.append(("tokens in token shards", svg.num(f.token_total)))
    cards += [("input files", svg.num(len(m.get("inputs", [])))), ("output shards", svg.num(len(out.get("files", [])))),
              ("wall time", f"{m.get('wall_time_s', 0):,.1f} s")]
    body = '<div class="cards">' + "".join(f'<div class="stat"><b>{_e(v)}</b><span>{_e(k)}</span></div>'
                                           for k, v in cards) + "</div>"
    return _section("summary", body)


def _funnel(f: RunFacts) -> str:
    m = f.manifest
    read = m.get("read", {})
    start = _text_from(f)
    first = f.step_sketch(0)
    rows: list[tuple[str, float | None, float | None]] = [
        ("read", read.get("documents"), (first["chars_in"] or None) if first and start < 0 else None)]
    for i, step in enumerate(f.steps):
        sk = f.step_sketch(i)
        chars = sk["chars_out"] if sk and i >= start else None  # before HTML became text: not comparable
        rows.append((step["kind"], step.get("out"), chars))
    chart = svg.funnel(rows)
    table = ['<table><tr><th>step</th><th class="n">documents in</th><th class="n">out</th><th class="n">dropped</th>'
             '<th class="n">kept</th><th class="n">characters out</th><th class="n">characters kept</th></tr>']
    for i, step in enumerate(f.steps):
        sk = f.step_sketch(i)
        cin, cout = (sk["chars_in"], sk["chars_out"]) if sk else (None, None)
        table.append(f'<tr><td>{_e(step["kind"])}</td><td class="n">{step.get("in", 0):,}</td>'
                     f'<td class="n">{step.get("out", 0):,}</td><td class="n">{step.get("in", 0) - step.get("out", 0):,}</td>'
                     f'<td class="n">{_pct(step.get("out", 0), step.get("in", 0))}</td>'
                     f'<td class="n">{"–" if cout is None else f"{cout:,}"}</td>'
                     f'<td class="n">{"–" if not cin or i <= _text_from(f) else _pct(cout, cin)}</td></tr>')
    tok = f.token_total
    if tok is not None:
        table.append(f'<tr><td>tokenize</td><td class="n">{m.get("output", {}).get("documents", 0):,}</td>'
                     f'<td class="n" colspan="5">{tok:,} tokens in <code>tokens/</code></td></tr>')
    table.append("</table>")
    note = ("Documents and characters left after each step, as a share of what was read. "
            "Characters are counted from the first step that has text (after extraction, for web archives).")
    return _section("funnel", chart + "".join(table), note)


def _reasons(f: RunFacts) -> str:
    parts = []
    skipped = f.manifest.get("read", {}).get("skipped", {})
    blocks = [("read (input records skipped)", f.manifest.get("read", {}).get("records", 0), skipped, None, None)]
    for i, step in enumerate(f.steps):
        blocks.append((step["kind"], step.get("in", 0), step.get("dropped", {}), drops_by_language(step), f.step_sketch(i)))
    for name, n_in, dropped, by_lang, sk in blocks:
        if not dropped:
            continue
        total = sum(dropped.values())
        rows = "".join(
            f'<tr><td><code>{_e(r)}</td><td class="n">{c:,}</td><td class="n">{_pct(c, n_in)}</td>'
            f'<td><span class="bar" style="width:{max(2, 160 * c / total):.0f}px"></span></td></tr>'
            for r, c in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])))
        html = [f'<div><h3>{_e(name)} <span class="tag">{total:,} dropped of {n_in:,}</span></h3>'
                f'<table><tr><th>reason</th><th class="n">documents</th><th class="n">of input</th><th></th></tr>{rows}</table>']
        if by_lang:
            top = sorted(by_lang.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
            html.append('<p class="note">dropped per language: ' + ", ".join(f"{_e(k)} {v:,}" for k, v in top) + "</p>")
        if sk and any(sk["length_dropped"]):
            html.append(svg.histogram(sk["length_kept"], sk["length_dropped"], log_edges(), log=True,
                                      title="document length (characters): kept vs dropped", width=430, height=150))
        html.append("</div>")
        parts.append("".join(html))
    if not parts:
        return _section("reasons", '<p class="note">No step dropped anything.</p>')
    return _section("reasons", _legend() + '<div class="grid">' + "".join(parts) + "</div>",
                    "What each step dropped and why, with the reason names the manifest counts.")


def _cpu(f: RunFacts) -> str:
    rows = []
    read = f.manifest.get("read_cpu_s")
    if not isinstance(read, (int, float)) or isinstance(read, bool):
        read = cpu_seconds(f.manifest.get("read", {}))
    if read is not None:
        rows.append(("read", read))
    rows += [(s["kind"], c) for s in f.steps if (c := cpu_seconds(s)) is not None]
    if not rows:
        wall = f.manifest.get("wall_time_s")
        return _section("cpu", f'<p class="note">This run\'s manifest records no CPU time per step '
                               f'(wall time {wall if wall is not None else "–"} s).</p>')
    total = sum(v for _, v in rows)
    docs = f.manifest.get("read", {}).get("documents", 0)
    chart = svg.bars(rows, fmt=lambda v: f"{v:,.2f}", unit=" s", width=720)
    note = f"CPU seconds per step, summed over workers: {total:,.1f} s in all" + (
        f", {1e3 * total / docs:,.2f} ms per document read." if docs else ".")
    return _section("cpu", chart, note)


def _distributions(f: RunFacts) -> str:
    if not f.sketch:
        return _section("distributions", '<p class="note">This run recorded no run statistics.</p>')
    hist = f.sketch["signals"]
    kept, dropped = hist.get("kept", {}), hist.get("dropped", {})
    charts = []
    for name, (label, scale) in SIGNALS.items():
        k, d = kept.get(name, [0] * NBINS[name]), dropped.get(name, [0] * NBINS[name])
        if not any(k) and not any(d):
            continue
        if scale == "log":
            edges, log = log_edges(), True
        else:
            lo, hi, n = scale
            edges, log = [lo + (hi - lo) * b / n for b in range(n + 1)], False
        charts.append(f'<div>{svg.histogram(k, d, edges, log=log, title=label)}'
                      f'<p class="note">{sum(k):,} kept, {sum(d):,} dropped documents</p></div>')
    note = ("Each signal of the documents written (kept) against those any step dropped, as a share of each "
            "group, so the shapes compare whatever the group sizes. Measured once per document, when it left the run.")
    return _section("distributions", _legend() + '<div class="grid">' + "".join(charts) + "</div>", note)


def _mix(f: RunFacts) -> str:
    if not f.sketch:
        return _section("mix", '<p class="note">This run recorded no run statistics.</p>')
    mix = f.sketch["mix"]
    kinds = {s["kind"] for s in f.steps}
    charts = []
    for field in MIX_FIELDS:
        k, d = mix.get("kept", {}).get(field, {}), mix.get("dropped", {}).get(field, {})
        names = set(k) | set(d)
        recorded = names - {"(none)"}
        if not recorded:
            step = _STEP_OF.get(field)
            why = (f"the {step} step ran and found none on any of the {sum(k.values()) + sum(d.values()):,} documents"
                   if step in kinds else _ABSENT[field])
            charts.append(f'<div><h3>{_MIX_TITLES[field]}</h3><p class="note">{_e(why)}.</p></div>')
            continue
        order = sorted(recorded, key=lambda n: (-(k.get(n, 0) + d.get(n, 0)), n))
        limit = _MIX_LIMIT.get(field, 30)
        rows = [(n, k.get(n, 0), d.get(n, 0)) for n in order[:limit]]
        rest = order[limit:]
        if rest:
            rows.append((f"{len(rest):,} more", sum(k.get(n, 0) for n in rest), sum(d.get(n, 0) for n in rest)))
        unknown = k.get("(none)", 0) + d.get("(none)", 0)
        note = f"{sum(k.values()):,} documents kept" + (f"; {_plural(unknown, 'document')} without one" if unknown else "")
        charts.append(f'<div><h3>{_MIX_TITLES[field]} <span class="tag">{len(recorded):,} distinct</span></h3>'
                      f'{svg.hbars(rows, width=540)}<p class="note">{note}</p></div>')
    return _section("mix", '<div class="grid">' + "".join(charts) + "</div>",
                    "Of the documents written (kept) and of those dropped, wherever they were dropped.")


def _doc_card(e: dict[str, Any], kept: bool) -> str:
    meta = [f"<b>{_e(e['id'])}</b>"]
    if e.get("url"):
        meta.append(_e(e["url"]))
    meta.append(f"{e.get('chars', 0):,} chars")
    if e.get("language"):
        meta.append(_e(e["language"]) + (f"_{_e(e['script'])}" if e.get("script") else ""))
    text = e.get("text", "")
    more = "…" if e.get("chars", 0) > len(text) else ""
    return (f'<div class="doc{" kept" if kept else ""}"><div class="meta">{" · ".join(meta)}</div>'
            f'<div class="text" dir="auto">{_e(text)}{more}</div></div>')


def _samples(f: RunFacts) -> str:
    if not f.sketch:
        return _section("samples", '<p class="note">This run recorded no samples.</p>')
    parts = []
    for i, step in enumerate(f.steps):
        sk = f.step_sketch(i)
        dropped = step.get("dropped", {})
        if not sk or not dropped:
            continue
        samples = sk["samples"]
        parts.append(f'<h3>{_e(step["kind"])}</h3>')
        for j, (reason, count) in enumerate(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))):
            docs = samples.get(reason, [])
            parts.append(f'<details{" open" if j == 0 else ""}><summary>dropped: <code>{_e(reason)}</code>'
                         f'<span class="note">{_plural(count, "document")}, {len(docs)} shown</span></summary><div class="docs">'
                         + "".join(_doc_card(e, False) for e in docs) + "</div></details>")
        kept = samples.get("kept", [])
        parts.append(f'<details><summary>kept<span class="note">{_plural(step.get("out", 0), "document")}, {len(kept)} shown'
                     f'</span></summary><div class="docs">' + "".join(_doc_card(e, True) for e in kept) + "</div></details>")
    if not parts:
        parts.append('<p class="note">No step dropped anything.</p>')
    note = ("For each rule, a few documents it dropped and a few it kept, chosen by the hash of their id "
            "(the same documents whatever the number of workers), so a person can judge the rule.")
    return _section("samples", "".join(parts), note)


def _dedup(f: RunFacts) -> str:
    parts = []
    for step in f.steps:
        rep = step.get("report")
        if not isinstance(rep, dict):
            continue
        pairs = rep.get("pairs", [])
        extra = step.get("extra", {})
        head = (f'<h3>{_e(step["kind"])} <span class="tag">{rep.get("clusters", extra.get("clusters", 0)):,} clusters</span>'
                f'<span class="tag">{extra.get("removed", step.get("in", 0) - step.get("out", 0)):,} removed</span></h3>')
        clusters: dict[str, list[dict[str, Any]]] = {}
        for p in pairs:
            clusters.setdefault(p["kept"], []).append(p)
        body = []
        for j, (kept_id, members) in enumerate(clusters.items()):
            sim = [p.get("true_jaccard", p.get("estimated_jaccard")) for p in members]
            sims = ", ".join(f"{s:.2f}" for s in sim if isinstance(s, (int, float)))
            summ = (f'<summary>kept <code>{_e(kept_id)}</code><span class="note">{_plural(len(members), "removed member")}'
                    + (f"; Jaccard {sims}" if sims else "; exact copies") + "</span></summary>")
            kept_card = _doc_card({"id": kept_id, "text": members[0].get("kept_text", ""),
                                   "chars": members[0].get("kept_chars", 0)}, True)
            removed = "".join(_doc_card({"id": p["removed"], "text": p.get("removed_text", ""),
                                         "chars": p.get("removed_chars", 0)}, False) for p in members)
            body.append(f'<details{" open" if j == 0 else ""}>{summ}<div class="pair"><div>{kept_card}</div><div>{removed}</div></div></details>')
        parts.append(head + ("".join(body) or '<p class="note">no duplicates found</p>'))
    if not parts:
        return _section("dedup", '<p class="note">No dedup step in this recipe.</p>')
    return _section("dedup", "".join(parts),
                    "A sample of clusters (up to 20 removed documents per step): the member kept, left, and the "
                    "members removed as its duplicates, right.")


def _provenance(f: RunFacts) -> str:
    m = f.manifest
    rows = "".join(f'<tr><td>{_e(i.get("name", i.get("path", "")))}</td><td>{_e(i.get("format", ""))}</td>'
                   f'<td class="n">{i.get("size", 0):,}</td><td><code>{_e(i.get("sha256", ""))}</code></td></tr>'
                   for i in m.get("inputs", []))
    inputs = f'<h3>Inputs</h3><table><tr><th>file</th><th>format</th><th class="n">bytes</th><th>sha256</th></tr>{rows}</table>'
    steps = []
    for table, params in zip(m.get("recipe", {}).get("step", []), effective_params(m)):
        ps = ", ".join(f"{_e(k)}={_e(json.dumps(v, default=str, ensure_ascii=False))}" for k, v in params.items())
        steps.append(f'<tr><td>{_e(table["kind"])}</td><td><code>{ps or "–"}</code></td></tr>')
    recipe = (f'<h3>Recipe <span class="tag">{_e(m.get("recipe", {}).get("name", ""))}</span></h3>'
              f'<table><tr><th>step</th><th>effective parameters</th></tr>{"".join(steps)}</table>')
    vers = ", ".join(f"{_e(k)} {_e(v)}" for k, v in m.get("versions", {}).items())
    out = m.get("output", {})
    side = m.get("side_outputs") or {}
    sides = "".join(f"; side output <code>{_e(name)}/</code>: {len(files):,} file(s)" for name, files in side.items())
    tail = (f'<h3>Output</h3><p>{out.get("documents", 0):,} documents, {len(out.get("files", []))} {_e(out.get("format", ""))} '
            f'shard(s) in <code>data/</code>{sides}; {m.get("tasks", 0)} task(s) on the {_e(m.get("executor", "local"))} '
            f'executor.</p><p class="note">versions: {vers}</p>')
    return _section("provenance", inputs + recipe + tail)


def render(f: RunFacts) -> str:
    name = f.manifest.get("recipe", {}).get("name", "run")
    out = f.manifest.get("output", {})
    nav = "".join(f'<a href="#{s}">{_TITLES[s]}</a>' for s in SECTIONS)
    body = [_summary(f), _funnel(f), _reasons(f), _cpu(f), _distributions(f), _mix(f), _samples(f), _dedup(f),
            _provenance(f)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>fruitstand report: {_e(f.path.name)}</title><style>{_CSS}</style>"
            f"<script>{_JS % json.dumps(list(SECTIONS))}</script></head><body>"
            '<div id="js-errors"></div>'
            f"<header><h1>fruitstand report · {_e(f.path.name)}</h1>"
            f"<p>recipe <b>{_e(name)}</b> · {out.get('documents', 0):,} documents kept of "
            f"{f.manifest.get('read', {}).get('documents', 0):,} read · fruitstand {_e(f.manifest.get('fruitstand', ''))}</p>"
            f"</header><nav>{nav}</nav><main>{''.join(body)}</main>"
            "<footer>Written by <code>fruitstand report</code> from manifest.json and the run's statistics; "
            "self-contained, works offline.</footer></body></html>\n")
