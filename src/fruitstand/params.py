"""Checks of parameter values, for the steps' `validate()` hooks.

Each raises `RecipeError` with one line naming the step, the parameter, the value given, what
it should be and the default, so a typo fails before any work starts instead of crashing a
worker (or silently passing or dropping everything) in the middle of a run.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

from fruitstand.registry import RecipeError


def _default(step: Any, name: str) -> Any:
    for f in dataclasses.fields(step):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                return f.default_factory()  # type: ignore[misc]
    return None


def fail(step: Any, name: str, should: str) -> RecipeError:
    value = getattr(step, name)
    default = _default(step, name)
    return RecipeError(f"step {step.kind!r}: {name} = {value!r} should be {should} (default: {default!r})")


def at_least(step: Any, name: str, low: float, *, off: Any = "no-off") -> None:
    """`name` >= `low`; `off` is a value that turns the rule off (None, -1) and is always accepted."""
    value = getattr(step, name)
    if value == off and (value is None) == (off is None):
        return
    if value is None or value < low:
        extra = "" if off == "no-off" else f", or {off!r} to turn it off"
        raise fail(step, name, f"at least {low}{extra}")


def between(step: Any, name: str, low: float, high: float, *, off: Any = "no-off") -> None:
    """low <= `name` <= high; `off` as in `at_least`."""
    value = getattr(step, name)
    if value == off and (value is None) == (off is None):
        return
    if value is None or not low <= value <= high:
        extra = "" if off == "no-off" else f", or {off!r} to turn it off"
        raise fail(step, name, f"between {low} and {high}{extra}")


def one_of(step: Any, name: str, options: tuple[str, ...]) -> None:
    value = getattr(step, name)
    if value not in options:
        match = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
        hint = f" (did you mean {match[0]!r}?)" if match else ""
        raise RecipeError(f"step {step.kind!r}: {name} = {value!r} should be one of "
                          f"{', '.join(map(repr, options))}{hint}")


def ngram_thresholds(step: Any, name: str) -> None:
    """A list of [n, fraction] pairs (Gopher's n-gram rules), or None."""
    value = getattr(step, name)
    if value is None:
        return
    for pair in value:
        ok = (isinstance(pair, (list, tuple)) and len(pair) == 2 and float(pair[0]).is_integer()
              and pair[0] >= 1 and 0 < pair[1] <= 1)
        if not ok:
            raise fail(step, name, "a list of [n, fraction] pairs with n >= 1 and 0 < fraction <= 1")
