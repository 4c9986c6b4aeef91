"""The output folder's state: what run it belongs to, which tasks are done, the manifest.

Layout of an output folder:

    DIR/data/part-00000-0000.parquet   the documents, one or more shards per task
    DIR/<name>/...                     side outputs a step writes (step.py StepContext.output)
    DIR/manifest.json                  written last: its presence means the run finished
    DIR/.fruitstand/run.json           the run's identity (recipe, inputs, format, schema)
    DIR/.fruitstand/done/*.json        one file per finished task or reduce job, with counters
    DIR/.fruitstand/work/NN-kind/      side data of whole-corpus steps (kept: dedup references)
    DIR/.fruitstand/work/docs/         documents stored between stages (deleted at the end)
    DIR/.fruitstand/side/              side files of tasks not yet committed

A task's done file is written after its shards are in place; a killed run re-runs every
task without one, and those rewrite their shards byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from fruitstand.io.writers import atomic_write_json
from fruitstand.registry import RecipeError

MANIFEST = "manifest.json"


class OutputDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.state = self.path / ".fruitstand"
        self.done = self.state / "done"

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def claim(self, identity: dict[str, Any], *, overwrite: bool) -> str:
        """Make the folder ours for this run. Returns "new", "resume" or "finished".

        Refuses (RecipeError) when the folder holds another run's output or anything else,
        unless `overwrite`: a user's earlier output is never lost by accident.
        """
        run_file = self.state / "run.json"
        if self.path.exists() and not self.path.is_dir():
            raise RecipeError(f"--output {self.path} is a file: give a folder")
        if run_file.exists():
            try:
                previous = json.loads(run_file.read_text())
            except (OSError, ValueError):
                previous = {}
            same = previous.get("fingerprint") == identity["fingerprint"]
            if same and not overwrite:
                return "finished" if self.manifest_path.exists() else "resume"
            if not overwrite:
                what = "a finished run" if self.manifest_path.exists() else "an unfinished run"
                raise RecipeError(
                    f"{self.path} holds {what} of another recipe or input: "
                    "choose another --output, or pass --overwrite to replace it"
                )
            self.clear(previous.get("side_outputs", []))
        elif self.path.exists() and any(self.path.iterdir()):
            if not overwrite:
                raise RecipeError(
                    f"{self.path} is not empty and holds no fruitstand run: "
                    "choose another --output, or pass --overwrite to write into it"
                )
            self.clear()
        self.path.mkdir(parents=True, exist_ok=True)
        self.done.mkdir(parents=True, exist_ok=True)
        atomic_write_json(run_file, identity)
        return "new"

    def clear(self, side_outputs: list[str] = ()) -> None:
        """Remove what a fruitstand run writes (with the side outputs it named); leave anything else alone."""
        for name in ("data", ".fruitstand", *side_outputs):
            shutil.rmtree(self.path / name, ignore_errors=True)
        for name in (MANIFEST, "report.html"):
            (self.path / name).unlink(missing_ok=True)

    def clean_partial(self, side_outputs: list[str] = ()) -> None:
        """Remove temporary files a killed run left behind."""
        for folder in (self.path / "data", self.state / "work", *(self.path / n for n in side_outputs)):
            if folder.exists():
                for tmp in folder.rglob(".*.tmp"):
                    tmp.unlink(missing_ok=True)

    def marker(self, key: str) -> Path:
        return self.done / f"{key}.json"

    def done_keys(self) -> set[str]:
        """Every task and job recorded done, in one listing of the folder."""
        try:
            return {n[:-5] for n in os.listdir(self.done) if n.endswith(".json")}
        except FileNotFoundError:
            return set()

    def is_done(self, key: str) -> bool:
        return self.marker(key).exists()

    def mark_done(self, key: str, result: dict[str, Any]) -> None:
        atomic_write_json(self.marker(key), result)

    def load(self, key: str) -> dict[str, Any]:
        return json.loads(self.marker(key).read_text())
