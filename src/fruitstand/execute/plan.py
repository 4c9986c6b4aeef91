"""Planning a run: recipe, inputs, tasks, output schema and identity, before any work starts.

`make_plan` is everything the driver does before the first task, and it does nothing per
byte of the corpus: it lists the inputs (name, size, mtime), cuts them into tasks, fixes the
output schema and the run's identity. Hashing the inputs (sha256, for the manifest) is done
by the tasks (execute/task.py). Every error a user can fix is raised here, as one line.

A plan is executed by any `Executor` (execute/executor.py): stages of tasks, with the reduce
jobs of a whole-corpus step between two stages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from fruitstand.execute.state import OutputDir
from fruitstand.execute.task import RunSpec, stage_steps
from fruitstand.io.inputs import InputFile, Task, default_split, find_inputs, plan_tasks
from fruitstand.io.readers import ReadLimits
from fruitstand.io.side import RUN_OUTPUTS
from fruitstand.io.writers import Schema
from fruitstand.recipe import Recipe
from fruitstand.registry import RecipeError
from fruitstand.step import Resources, Step

_SIDE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_RESERVED = {"data", "manifest.json", "report.html", "readme.md"}


@dataclass
class Plan:
    recipe: Recipe
    steps: list[Step]
    files: list[InputFile]
    tasks: list[Task]
    spec: RunSpec
    identity: dict[str, Any]
    output: OutputDir

    @property
    def n_stages(self) -> int:
        return 1 + len(self.spec.global_indices())

    def global_step(self, stage: int) -> int | None:
        """Index of the whole-corpus step whose reduce follows `stage`, or None after the last."""
        g = self.spec.global_indices()
        return g[stage] if stage < len(g) else None

    def resources(self, stage: int) -> Resources:
        """What one process running `stage` needs: the most any of its steps asks for."""
        need = Resources()
        for i in stage_steps(self.spec, stage):
            need = need.combine(self.steps[i].resources)
        return need


def make_plan(recipe: Recipe | str | os.PathLike | None = None, *, inputs: list[str | os.PathLike] | str,
              output: str | os.PathLike, format: str = "parquet", shard_size_mb: float = 256,
              split_mb: float | None = None, limits: ReadLimits | None = None, limit: int | None = None,
              text_field: str | None = None, id_field: str | None = None) -> Plan:
    """Plan a run; `limit` keeps the first N files of path lists (a trial run on part of a crawl)."""
    recipe = Recipe.coerce(recipe)
    limits = limits or ReadLimits()
    for flag, value in (("--text-field", text_field), ("--id-field", id_field)):
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise RecipeError(f"{flag} {value!r}: give the name of a field of the input's records")
    limits = dataclasses.replace(limits, text_field=text_field or limits.text_field,
                                 id_field=id_field or limits.id_field)
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    _check_options(format, shard_size_mb, split_mb)
    files = find_inputs(list(inputs), limit=limit)
    steps = recipe.validate({f.format for f in files})
    if split_mb is None:  # cut by the inputs' total size (io/inputs.py), recorded for resuming
        split_mb = default_split(files) / (1 << 20)
    tasks = plan_tasks(files, split_bytes=max(1, int(split_mb * (1 << 20))))

    # The manifest module (importlib.metadata) only here: every worker process imports task.py.
    from fruitstand.execute.manifest import versions

    schema = _schema(files, steps)
    identity = {
        "recipe": {"name": recipe.name, "step": recipe.steps},
        "recipe_fingerprint": recipe.fingerprint(),
        "effective_steps": _effective(steps),
        "inputs": [{"path": f.path, "name": f.name, "format": f.format, "size": f.size, "mtime": f.mtime}
                   for f in files],
        "format": format,
        "shard_size_mb": shard_size_mb,
        "split_mb": split_mb,
        "fields": {"text": limits.text_field, "id": limits.id_field},
        "schema": schema.to_json(),
        "side_outputs": _side_outputs(steps),
        "versions": versions(),
    }
    identity["fingerprint"] = _fingerprint(identity)
    out = OutputDir(output)
    spec = RunSpec(str(out.path), recipe.steps, schema.to_json(), format, max(1, int(shard_size_mb * (1 << 20))),
                   limits, len(tasks))
    return Plan(recipe, steps, files, tasks, spec, identity, out)


def _check_options(format: str, shard_size_mb: float, split_mb: float | None) -> None:
    """The run's own options, checked before anything is read or written."""
    if format not in ("parquet", "jsonl"):
        raise RecipeError(f"unknown --format {format!r}: use parquet or jsonl")
    if not shard_size_mb > 0:
        raise RecipeError(f"--shard-size {shard_size_mb}: give the MB of text per shard, more than 0 (default 256)")
    if split_mb is not None and not split_mb > 0:
        raise RecipeError(f"split_mb = {split_mb}: give the MB of input per task, more than 0, or leave it out")


def _effective(steps: list[Step]) -> list[dict[str, Any]]:
    """Every step's parameters with the defaults filled in, as the manifest records them."""
    return [json.loads(json.dumps({"kind": s.kind, **s.params()}, default=str)) for s in steps]


def _side_outputs(steps: list[Step]) -> list[str]:
    names: dict[str, str] = {}
    for s in steps:
        for name in s.side_outputs:
            if not _SIDE_NAME.fullmatch(name) or name in _RESERVED or name in RUN_OUTPUTS:
                raise RecipeError(f"step {s.kind!r}: side output name {name!r} must be lower-case letters, digits, "
                                  f"'-' or '_', and none of 'data', {', '.join(map(repr, RUN_OUTPUTS))}")
            if name in names and names[name] != s.kind:
                raise RecipeError(f"steps {names[name]!r} and {s.kind!r} both write side output {name!r}")
            names[name] = s.kind
    return sorted([*names, *RUN_OUTPUTS])


def _fingerprint(identity: dict[str, Any]) -> str:
    key = {k: identity[k] for k in ("recipe_fingerprint", "format", "shard_size_mb", "split_mb", "fields")}
    key["inputs"] = [(i["name"], i["size"], i["mtime"]) for i in identity["inputs"]]
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _schema(files: list[InputFile], steps: list) -> Schema:
    """Output columns, from the recipe and the input formats alone (io/writers.py `Schema`)."""
    schema = Schema()
    schema.add("source", "string")
    if any(f.format in ("warc", "arc") for f in files):
        schema.add("date", "string")
    for step in steps:
        for name, kind in step.columns.items():
            schema.add(name, kind)
    return schema
