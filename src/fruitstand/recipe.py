"""A recipe: the steps of a run, in order, as a TOML file of `[[step]]` tables.

    [[step]]
    kind = "extract"

    [[step]]
    kind = "langid"
    languages = ["urd", "eng"]

Validation happens before any work starts and fails with one line a user can act on:
an unknown kind or parameter (naming the closest match), a wrong type, or a step that needs
text placed where documents are still HTML.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fruitstand.io.inputs import HTML_FORMATS
from fruitstand.registry import RecipeError, make_step
from fruitstand.step import GlobalStep, Step


@dataclass
class Recipe:
    steps: list[dict[str, Any]] = field(default_factory=list)
    name: str = "custom"

    @classmethod
    def from_toml(cls, path: str | Path) -> Recipe:
        p = Path(path)
        if not p.is_file():
            raise RecipeError(f"recipe not found: {path} (give a .toml file, or leave it out for the default recipe)")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RecipeError(f"recipe {path} is not valid TOML: {exc}") from None
        return cls.from_dict(data, name=p.stem)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, name: str = "custom") -> Recipe:
        _refuse_credentials(data)
        unknown = set(data) - {"step", "name"}
        if unknown:
            raise RecipeError(f"recipe has unknown table(s) {sorted(unknown)}: a recipe holds [[step]] tables only")
        steps = data.get("step", [])
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            raise RecipeError("recipe steps must be [[step]] tables")
        return cls([dict(s) for s in steps], str(data.get("name", name)))

    @classmethod
    def default(cls) -> Recipe:
        text = resources.files("fruitstand.recipes").joinpath("default.toml").read_text(encoding="utf-8")
        return cls.from_dict(tomllib.loads(text), name="default")

    @classmethod
    def coerce(cls, recipe: Recipe | str | Path | dict | list | None) -> Recipe:
        if recipe is None:
            return cls.default()
        if isinstance(recipe, Recipe):
            return recipe
        if isinstance(recipe, dict):
            return cls.from_dict(recipe)
        if isinstance(recipe, list):
            _refuse_credentials(recipe)
            return cls(list(recipe))
        return cls.from_toml(recipe)

    def build(self) -> list[Step]:
        return [make_step(table) for table in self.steps]

    def validate(self, input_formats: set[str] | None = None) -> list[Step]:
        """Build every step and check the order makes sense for these inputs."""
        steps = self.build()
        for s in steps:
            s.validate()
        html = bool(input_formats and input_formats & HTML_FORMATS)
        has_extract = any(s.produces_text for s in steps)
        if html and not has_extract:
            raise RecipeError(
                "the input holds web archives (HTML) but the recipe has no extract step: "
                'add [[step]] kind = "extract" first'
            )
        seen_extract = not html
        for s in steps:
            if s.needs == "html" and seen_extract and html:
                raise RecipeError(f"step {s.kind!r} needs HTML but comes after extract: move it before extract")
            if s.needs == "text" and not seen_extract:
                raise RecipeError(f"step {s.kind!r} needs text but comes before extract: move it after extract")
            if s.produces_text:
                seen_extract = True
            if isinstance(s, GlobalStep) and s.needs == "html":  # pragma: no cover - no such step today
                raise RecipeError(f"step {s.kind!r}: whole-corpus steps must work on text")
        _check_raw_lifetime(steps)
        return steps

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "step": self.steps}

    def fingerprint(self) -> str:
        """Identifies the recipe with every default filled in, so equal recipes match."""
        full = [{"kind": s.kind, **s.params()} for s in self.build()]
        return hashlib.sha256(json.dumps(full, sort_keys=True, default=str).encode()).hexdigest()


# Keys that name a secret. A recipe is shared, committed and copied into every manifest and dataset card,
# so a credential in it would be published with the data: they come from the environment and the
# storage libraries' own config files (AWS_*, ~/.aws/, GOOGLE_APPLICATION_CREDENTIALS, HF_TOKEN, ...).
_SECRET_KEY = re.compile(r"secret|passw|credential|access_?key|api_?key|private_?key|(^|_)(auth_)?token$|^auth(orization)?$",
                         re.IGNORECASE)


def _refuse_credentials(value: Any, where: str = "the recipe") -> None:
    """One line naming the key (never its value) when a table of the recipe holds a credential."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_credentials(item, f"{where}, table {i + 1}" if where == "the recipe" else where)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _SECRET_KEY.search(key):
                raise RecipeError(f"{where} holds a credential ({key!r}): remove it; fruitstand takes credentials from "
                                  "the environment and the usual config files (AWS_* or ~/.aws/, "
                                  "GOOGLE_APPLICATION_CREDENTIALS, HF_TOKEN), never from a recipe")
            _refuse_credentials(item, where)


def _check_raw_lifetime(steps: list[Step]) -> None:
    """The raw record lives through one stage only: documents stored for a whole-corpus step
    keep their text and metadata, not their HTML and headers (document.py)."""
    first_global = next((s for s in steps if isinstance(s, GlobalStep)), None)
    if first_global is None:
        return
    after = steps[steps.index(first_global) + 1:]
    late = next((s for s in after if s.reads_raw or s.needs == "html"), None)
    if late is not None:
        raise RecipeError(
            f"step {late.kind!r} reads the raw record (HTML and headers), which is not kept past "
            f"whole-corpus step {first_global.kind!r}: move {late.kind!r} before {first_global.kind!r}"
        )
