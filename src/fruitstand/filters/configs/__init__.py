"""Per-language thresholds and stop words for the quality filters, kept as data.

One TOML file per language and script, `{iso3}_{script}.toml` as FineWeb-2's
`configs/{iso3}_{script}.yml` are named, written by `scripts/make_filter_configs.py` (see its
docstring for how every value is derived). A file holds `stop_words` and one table per filter
kind (`[gopher_quality]`, `[fineweb_quality]`, ...) whose keys are that filter's parameters.

Which file a document gets, first match wins:

1. `{language}_{script}.toml` from the langid step's `language` and `script` metadata
   (a macrolanguage code is read as its main member: `zho` -> `cmn`, `ara` -> `arb`, ...);
2. `{language}_{main script}.toml` when the script is missing;
3. `und_{script}.toml`, the script's fallback: the median of that script's languages'
   thresholds, with no stop words (the stop-word rule cannot know the language);
4. `default.toml`: the published English thresholds, no stop words.

With no `script` in the metadata the script is the text's dominant one (`text.dominant_script`).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from types import SimpleNamespace
from typing import Any

from fruitstand.document import Document
from fruitstand.filters.text import dominant_script

# Macrolanguage or retired codes -> the individual language FineWeb-2 (GlotLID) names.
ALIASES = {
    "zho": "cmn", "chi": "cmn", "ara": "arb", "fas": "pes", "per": "pes", "msa": "zsm", "may": "zsm",
    "swa": "swh", "est": "ekk", "lav": "lvs", "aze": "azj", "nor": "nob", "mon": "khk", "sqi": "als",
    "alb": "als", "uzb": "uzn", "hbs": "hrv", "kur": "kmr", "fil": "tgl",
}


@dataclass(frozen=True)
class LanguageConfig:
    name: str  # the file it came from, without .toml: "urd_Arab", "und_Hani", "default"
    script: str
    stop_words: frozenset[str] = frozenset()
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)


def _files() -> dict[str, str]:
    root = resources.files(__package__)
    return {p.name[:-5]: p.name for p in root.iterdir() if p.name.endswith(".toml")}


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, str]]:
    """Available config names, and each language's main script (its first file, by name)."""
    names = _files()
    main_script: dict[str, str] = {}
    for name in sorted(names):
        lang, _, script = name.partition("_")
        if script and lang != "und":
            main_script.setdefault(lang, script)
    return names, main_script


@cache
def _read(name: str, script: str) -> LanguageConfig:
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    stop = frozenset(data.pop("stop_words", ()))
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    return LanguageConfig(name=name, script=script, stop_words=stop, tables=tables)


@lru_cache(maxsize=4096)
def load(language: str | None, script: str) -> LanguageConfig:
    """The config for a language (ISO 639-3) written in a script (ISO 15924)."""
    names, main_script = _index()
    lang = ALIASES.get(language or "", language or "")
    for name in (f"{lang}_{script}", f"und_{script}"):
        if name in names:
            return _read(name, script)
    return _read("default", script)


def for_document(doc: Document) -> LanguageConfig:
    """The config for a document, from its langid metadata or, lacking it, its text."""
    language = doc.metadata.get("language")
    script = doc.metadata.get("script")
    if not script:
        _, main_script = _index()
        lang = ALIASES.get(language or "", language or "")
        script = main_script.get(lang) or dominant_script(doc.text)
    return load(language, script)


def resolve(step: Any, kind: str, cfg: LanguageConfig) -> SimpleNamespace:
    """The step's parameters for one language.

    A parameter left at its published default takes the language's value when the config
    has one; a parameter the recipe changed applies to every language as given. With
    `language_thresholds = false` the step's own values apply everywhere.
    """
    cache = step.__dict__.setdefault("_per_language", {})
    if cfg.name in cache:
        return cache[cfg.name]
    values = {f.name: getattr(step, f.name) for f in dataclasses.fields(step)}
    if values.get("language_thresholds", True):
        table = cfg.tables.get(kind, {})
        for f in dataclasses.fields(step):
            if f.name in table and _plain(values[f.name]) == _plain(f.default):
                values[f.name] = table[f.name]
    out = SimpleNamespace(**values, config=cfg.name, script=cfg.script, language_stop_words=cfg.stop_words)
    cache[cfg.name] = out
    return out


def _plain(value: Any) -> Any:
    """Tuples as lists, so a recipe's TOML arrays compare equal to tuple defaults."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
