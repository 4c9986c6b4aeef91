"""What the report and the card are drawn from: an output folder's manifest, its run statistics, its token shards.

Nothing here reads the corpus: the manifest, the tasks' sketches (report/sketch.py), their
sampled documents (OUTPUT/samples/) and the token shards' `meta.json` are small whatever the
corpus size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fruitstand.io.side import SAMPLES
from fruitstand.registry import RecipeError
from fruitstand.report.sketch import SKETCHES, merge


@dataclass
class RunFacts:
    path: Path
    manifest: dict[str, Any]
    sketch: dict[str, Any] | None
    tokens: dict[str, Any] | None

    @property
    def steps(self) -> list[dict[str, Any]]:
        return self.manifest.get("steps", [])

    def step_sketch(self, i: int) -> dict[str, Any] | None:
        if self.sketch and i < len(self.sketch["steps"]):
            return self.sketch["steps"][i]
        return None

    @property
    def token_total(self) -> int | None:
        meta = self.tokens
        if not meta:  # a tokenizing step in the recipe counts its tokens in the manifest
            counted = [s["extra"]["tokens"] for s in self.steps if isinstance(s.get("extra", {}).get("tokens"), int)]
            return counted[-1] if counted else None
        if isinstance(meta.get("tokens"), int):
            return meta["tokens"]
        shards = meta.get("shards")
        if isinstance(shards, list):
            total = sum(s.get("tokens", 0) for s in shards if isinstance(s, dict))
            return total or None
        return None


def load(path: str | Path) -> RunFacts:
    path = Path(path)
    mpath = path / "manifest.json"
    if not mpath.is_file():
        raise RecipeError(f"{path} has no manifest.json: give the --output folder of a finished `fruitstand run`")
    try:
        manifest = json.loads(mpath.read_text())
    except ValueError as exc:
        raise RecipeError(f"{mpath} is not valid JSON ({exc}): run `fruitstand run` again to rewrite it") from None
    files = sorted((path / SKETCHES).glob("*.json"))
    sampled = sorted((path / SAMPLES).glob("*.jsonl"))
    sketch = merge((json.loads(p.read_bytes()) for p in files), _lines(sampled)) if files else None
    tokens = None
    tpath = path / "tokens" / "meta.json"
    if tpath.is_file():
        try:
            tokens = json.loads(tpath.read_text())
        except ValueError:
            tokens = None
    return RunFacts(path, manifest, sketch, tokens)


def _lines(files: list[Path]) -> Iterator[dict[str, Any]]:
    for p in files:
        with open(p, "rb") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def effective_params(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Each step's parameters as the run used them: the manifest's record when it has one,
    else the recipe's values over the defaults of the installed step classes."""
    tables = manifest.get("recipe", {}).get("step", [])
    out = []
    for i, table in enumerate(tables):
        step = manifest.get("steps", [{}] * len(tables))[i] if i < len(manifest.get("steps", [])) else {}
        recorded = step.get("params") or step.get("parameters")
        if isinstance(recorded, dict):
            out.append(dict(recorded))
            continue
        params = {k: v for k, v in table.items() if k != "kind"}
        try:
            from fruitstand.registry import parameters

            merged = {name: default for name, default, _ in parameters(table["kind"])}
            merged.update(params)
            params = merged
        except Exception:  # a user's step that no longer imports: the recipe's own values
            pass
        out.append(params)
    return out


def cpu_seconds(entry: dict[str, Any]) -> float | None:
    """A step's CPU seconds from the manifest, under whichever name the executor records it."""
    for key in ("cpu_s", "cpu_seconds", "cpu_time_s", "cpu"):
        v = entry.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return None


def drops_by_language(entry: dict[str, Any]) -> dict[str, int] | None:
    """A step's drops per language, when the manifest records them ({lang: n} or {lang: {reason: n}})."""
    for key in ("dropped_by_language", "drops_by_language", "dropped_per_language", "languages"):
        v = entry.get(key)
        if isinstance(v, dict) and v:
            out = {}
            for lang, n in v.items():
                out[str(lang)] = sum(n.values()) if isinstance(n, dict) else int(n)
            return out
    return None
