"""The dataset card: `README.md` in the Hugging Face card format, filled from the manifest.

Its YAML header carries `configs`/`data_files` pointing at the shards, so
`datasets.load_dataset(DIR)` reads `data/` (Parquet or JSONL) instead of guessing from every
file in the folder (it would take `manifest.json` for data). `language` comes from the
language mix the run recorded (ISO 639-1 where the language has one, as the Hub prefers,
else ISO 639-3), `license` from the `license` column when a licence step ran, else
`unknown`. The body says where the data came from (files and sha256), what every step did
with which parameters, what it removed and why, what the card cannot promise, and how to cite.
Nothing in it depends on the clock, so the same run gives the same card.
"""

from __future__ import annotations

import json
from typing import Any

from fruitstand.filters.lang.codes import LABEL_TO_ISO3
from fruitstand.io.writers import atomic_write_bytes
from fruitstand.report.data import RunFacts, effective_params

_ISO1 = {}
for _label, _code in LABEL_TO_ISO3.items():
    if len(_label) == 2 and _label not in ("iw", "jw", "nb"):
        _ISO1.setdefault(_code, _label)

_SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"),
          (10_000_000_000, "1B<n<10B"), (100_000_000_000, "10B<n<100B"), (1_000_000_000_000, "100B<n<1T")]
_NOT_LANGUAGES = {"und", "zxx", "(none)", "mul", ""}
# Licence ids the Hugging Face Hub accepts in a card (its documented list, the ones web text carries).
_HUB_LICENSES = frozenset((
    "apache-2.0", "mit", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0",
    "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "gfdl", "gpl-2.0", "gpl-3.0",
    "lgpl-2.1", "lgpl-3.0", "agpl-3.0", "bsd-2-clause", "bsd-3-clause", "mpl-2.0", "odc-by", "odbl", "pddl",
    "unlicense", "wtfpl", "cdla-permissive-2.0", "etalab-2.0", "other", "unknown",
))


def size_category(n: int) -> str:
    for limit, name in _SIZES:
        if n < limit:
            return name
    return "n>1T"


def hub_language(code: str) -> str:
    return _ISO1.get(code, code)


def _q(s: Any) -> str:
    """A YAML scalar: a JSON string is a valid YAML double-quoted string."""
    return json.dumps(str(s))


def _kept_mix(f: RunFacts, field: str) -> dict[str, int]:
    if not f.sketch:
        return {}
    return {k: v for k, v in f.sketch["mix"].get("kept", {}).get(field, {}).items() if v}


def languages(f: RunFacts) -> list[str]:
    mix = _kept_mix(f, "language")
    out: list[str] = []
    for code, _ in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0])):
        if code not in _NOT_LANGUAGES:
            c = hub_language(code)
            if c not in out:
                out.append(c)
    return out


def hub_license(spdx: str) -> str:
    """The Hub's licence id for an SPDX id (the Hub knows a fixed list; others are `other`)."""
    lid = spdx.lower()
    if lid in _HUB_LICENSES:
        return lid
    if lid.startswith("cc-"):
        return "cc"
    return "other"


def licenses(f: RunFacts) -> list[str]:
    """The kept documents' licences, most documents first; `unknown` for those without one."""
    mix = _kept_mix(f, "license")
    named = sorted((k for k in mix if k not in ("(none)", "")), key=lambda k: (-mix[k], k))
    out = [hub_license(k) for k in named]
    if not out or "(none)" in mix:
        out.append("unknown")
    return list(dict.fromkeys(out))


def data_glob(f: RunFacts) -> str:
    fmt = f.manifest.get("output", {}).get("format", "parquet")
    return "data/*.parquet" if fmt == "parquet" else "data/*.jsonl.zst"


def pretty_name(f: RunFacts) -> str:
    return f.path.resolve().name or "fruitstand corpus"


def header(f: RunFacts) -> str:
    m = f.manifest
    n = m.get("output", {}).get("documents", 0)
    lines = ["---", f"pretty_name: {_q(pretty_name(f))}"]
    langs = languages(f)
    if langs:
        lines.append("language:")
        lines += [f"- {_q(c)}" for c in langs]
    lics = licenses(f)
    lines.append(f"license: {_q(lics[0])}" if len(lics) == 1 else "license:\n" + "\n".join(f"- {_q(x)}" for x in lics))
    lines += ["size_categories:", f"- {_q(size_category(n))}", "task_categories:", "- text-generation",
              "task_ids:", "- language-modeling", "tags:", "- fruitstand", "configs:", "- config_name: default",
              "  data_files:", "  - split: train", f"    path: {_q(data_glob(f))}", "---"]
    return "\n".join(lines) + "\n"


def _md(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def body(f: RunFacts) -> str:
    m = f.manifest
    out = m.get("output", {})
    read = m.get("read", {})
    n, n_in = out.get("documents", 0), read.get("documents", 0)
    recipe = m.get("recipe", {})
    chars = f.sketch["steps"][-1]["chars_out"] if f.sketch and f.sketch["steps"] else None
    w: list[str] = [f"# {pretty_name(f)}", ""]
    w.append(f"{n:,} documents" + (f" ({chars:,} characters)" if chars is not None else "")
             + f" in {len(out.get('files', []))} {out.get('format', 'parquet')} shard(s), kept from {n_in:,} documents "
             f"read out of {len(m.get('inputs', []))} input file(s) by [fruitstand](https://pypi.org/project/fruitstand/) "
             f"{m.get('fruitstand', '')} with the recipe `{recipe.get('name', '')}`. `report.html` beside this card shows "
             "the funnel, the distributions and sampled documents of every rule.")
    if f.token_total is not None:
        w.append(f"\n`tokens/` holds the same documents as {f.token_total:,} tokens (see `tokens/meta.json`).")
    w += ["", "## Loading", "", "```python", "import datasets", "",
          'ds = datasets.load_dataset("path/to/this/folder", split="train")', "```", "",
          f"Columns: {', '.join(f'`{c}` ({t})' for c, t in out.get('schema', {}).items())}.", ""]
    w += ["## Sources", "", "| file | format | bytes | sha256 |", "|---|---|---:|---|"]
    w += [f"| {_md(i.get('name', ''))} | {i.get('format', '')} | {i.get('size', 0):,} | `{i.get('sha256', '')}` |"
          for i in m.get("inputs", [])]
    w += ["", "## Processing", "",
          "Every step in order, with the parameters it ran with, the documents it received and kept, and why it "
          "dropped the others (reason: documents).", "",
          "| # | step | parameters | in | out | removed, by reason |", "|---:|---|---|---:|---:|---|"]
    skipped = read.get("skipped", {})
    w.append(f"| 0 | read | | {read.get('records', 0):,} | {n_in:,} | "
             + (", ".join(f"{_md(k)}: {v:,}" for k, v in sorted(skipped.items(), key=lambda kv: -kv[1])) or "–") + " |")
    for i, (step, params) in enumerate(zip(m.get("steps", []), effective_params(m)), 1):
        ps = ", ".join(f"`{_md(k)}={_md(json.dumps(v, default=str, ensure_ascii=False))}`" for k, v in params.items())
        why = ", ".join(f"{_md(k)}: {v:,}" for k, v in sorted(step.get("dropped", {}).items(), key=lambda kv: -kv[1]))
        w.append(f"| {i} | {step['kind']} | {ps or '–'} | {step.get('in', 0):,} | {step.get('out', 0):,} | {why or '–'} |")
    lang_mix = _kept_mix(f, "language")
    if lang_mix:
        total = sum(lang_mix.values()) or 1
        top = sorted(lang_mix.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
        w += ["", "## Languages", "", "| language (ISO 639-3) | documents | share |", "|---|---:|---:|"]
        w += [f"| {_md(k)} | {v:,} | {v / total:.1%} |" for k, v in top]
        if len(lang_mix) > 15:
            w.append(f"| {len(lang_mix) - 15} more | {sum(v for _, v in sorted(lang_mix.items(), key=lambda kv: -kv[1])[15:]):,} | |")
    lic = _kept_mix(f, "license")
    w += ["", "## Licensing", ""]
    if lic and set(lic) != {"(none)"}:
        w.append("Per document, as the `license` step found it (the `license` column):")
        w += [""] + [f"- {_md(k)}: {v:,} documents" for k, v in sorted(lic.items(), key=lambda kv: -kv[1])]
    else:
        ran = any(s.get("kind") == "license" for s in m.get("steps", []))
        w.append(("The `license` step found no licence statement in any kept document" if ran else
                  "No licence step ran") + ", so each document's licence is unknown: the texts stay their authors' "
                 "and publishers' copyright. Check the sources' terms before publishing or training.")
    w += ["", "## Known limits", "",
          "- Language identification, quality rules and deduplication are heuristics: they let some low-quality, "
          "duplicated or misidentified text through and drop some good text (see the samples in `report.html`).",
          "- The quality rules' thresholds were set on mostly English web text; in other languages they are scaled "
          "per language where fruitstand has measurements and fall back to per-script defaults elsewhere.",
          "- MinHash deduplication finds near-duplicates with a probability that falls with their similarity; "
          "exact deduplication only finds identical texts.",
          "- Web text carries personal information, offensive content and the biases of who writes on the web; "
          + ("a `pii` step ran, which masks common identifiers only." if any(s.get("kind") == "pii" for s in m.get("steps", []))
             else "no PII step ran on this data."),
          "- Licences and opt-outs are as declared in the pages, HTTP headers and robots.txt a step read, "
          "when such a step ran; absence of a declaration is not permission.", ""]
    w += ["## Citation", "", "If you use this corpus, cite it and the rules it applies:", "", "```bibtex",
          f"@misc{{{pretty_name(f).replace(' ', '_')},",
          f"  title = {{{pretty_name(f)}: a corpus built with fruitstand (recipe {recipe.get('name', '')})}},",
          f"  note = {{{n:,} documents; fruitstand {m.get('fruitstand', '')}}}",
          "}",
          "@article{penedo2024fineweb, title = {The FineWeb Datasets: Decanting the Web for the Finest Text Data at Scale},",
          "  author = {Penedo, Guilherme and others}, journal = {arXiv:2406.17557}, year = {2024}}",
          "@article{rae2021gopher, title = {Scaling Language Models: Methods, Analysis & Insights from Training Gopher},",
          "  author = {Rae, Jack W. and others}, journal = {arXiv:2112.11446}, year = {2021}}",
          "@article{raffel2020c4, title = {Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer},",
          "  author = {Raffel, Colin and others}, journal = {JMLR}, volume = {21}, year = {2020}}",
          "```", ""]
    return "\n".join(w)


def card(f: RunFacts) -> str:
    return header(f) + "\n" + body(f)


def write_card(f: RunFacts) -> None:
    atomic_write_bytes(f.path / "README.md", card(f).encode())
