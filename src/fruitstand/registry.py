"""Every step kind, by name. Adding a step is one line here and one new file.

Kinds are imported lazily, so listing or validating a recipe loads no model.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import types
import typing
from typing import Any

from fruitstand.step import Step

_KINDS: dict[str, str] = {
    "extract": "fruitstand.extract.extract:Extract",
    "url_filter": "fruitstand.filters.url_filter:URLFilter",
    "langid": "fruitstand.filters.langid:LangID",
    "gopher_repetition": "fruitstand.filters.gopher_repetition:GopherRepetition",
    "gopher_quality": "fruitstand.filters.gopher_quality:GopherQuality",
    "c4_quality": "fruitstand.filters.c4_quality:C4Quality",
    "fineweb_quality": "fruitstand.filters.fineweb_quality:FineWebQuality",
    "exact_dedup": "fruitstand.dedup.exact:ExactDedup",
    "minhash_dedup": "fruitstand.dedup.minhash:MinhashDedup",
    "line_dedup": "fruitstand.dedup.line:LineDedup",
    "opt_out": "fruitstand.rights.opt_out:OptOut",
    "license": "fruitstand.rights.license:License",
    "tokenize": "fruitstand.tokens.step:Tokenize",
    "pii": "fruitstand.privacy.pii:PII",
    "decontaminate": "fruitstand.privacy.decontaminate:Decontaminate",
    "quality_classifier": "fruitstand.filters.quality_classifier:QualityClassifier",
}


class RecipeError(ValueError):
    """A recipe or parameter a user can fix; its message is one line that says how."""


def kinds() -> list[str]:
    return sorted(_KINDS)


def step_class(kind: str) -> type[Step]:
    """The class of a built-in kind, or of a user's own step named "package.module:Class"."""
    if ":" in kind and kind not in _KINDS:
        module, _, name = kind.partition(":")
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise RecipeError(f"can't import step {kind!r}: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, Step)):
            raise RecipeError(f"{kind!r} is not a fruitstand Step subclass")
        return cls
    if kind not in _KINDS:
        raise RecipeError(f"unknown step kind {kind!r}{_closest(kind, _KINDS)}; `fruitstand steps` lists them")
    module, name = _KINDS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def parameters(kind: str) -> list[tuple[str, Any, str]]:
    """(name, default, type) of each parameter of a step kind."""
    cls = step_class(kind)
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        out.append((f.name, default, _type_name(hints.get(f.name, Any))))
    return out


def make_step(table: dict[str, Any]) -> Step:
    """Build a step from a recipe's `[[step]]` table, checking every parameter."""
    table = dict(table)
    kind = table.pop("kind", None)
    if not isinstance(kind, str):
        raise RecipeError("every [[step]] needs kind = \"...\"; `fruitstand steps` lists them")
    cls = step_class(kind)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key, value in table.items():
        if key not in fields:
            raise RecipeError(f"step {kind!r} has no parameter {key!r}{_closest(key, fields)}")
        _check_type(kind, key, value, hints.get(key, Any))
    return resolved_class(cls, table)(**table)


def resolved_class(cls: type[Step], params: dict[str, Any]) -> type[Step]:
    """The class a step table builds: a kind whose parameters choose its shape (quality_classifier
    with keep_top runs over the whole corpus) names it with `resolve_class(params)`."""
    resolve = getattr(cls, "resolve_class", None)
    return resolve(params) if resolve is not None else cls


def _closest(word: str, options) -> str:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _check_type(kind: str, key: str, value: Any, tp: Any) -> None:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return
    if origin is typing.Union or origin is types.UnionType:
        for arg in args:
            try:
                _check_type(kind, key, value, arg)
                return
            except RecipeError:
                pass
        raise RecipeError(f"step {kind!r}: {key} = {value!r} should be {_type_name(tp)}")
    if tp is type(None):
        ok = value is None
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif origin in (list, tuple):
        ok = isinstance(value, (list, tuple))
        if ok and args:
            for item in value:
                _check_type(kind, key, item, args[0])
    elif origin is dict:
        ok = isinstance(value, dict)
    elif isinstance(tp, type):
        ok = isinstance(value, tp)
    else:
        ok = True
    if not ok:
        raise RecipeError(f"step {kind!r}: {key} = {value!r} should be {_type_name(tp)}")
