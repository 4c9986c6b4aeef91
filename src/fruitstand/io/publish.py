"""An output on object storage (`--output s3://bucket/prefix/`): run in a local staging folder, publish.

The run itself (tasks, done files, documents between stages, dedup side data) happens in a
staging folder on a disk every worker reaches (by default under ~/.cache/fruitstand/staging/,
one per output URL), so it resumes after any kill exactly as a local run does. Once the run
is complete its shards and side outputs are uploaded, each object whole (io/fs.py `upload`),
and `manifest.json` last: its presence under the URL says the dataset is complete, as a
local folder's does. A publish cut short is run again by the same command: objects already
there with the right size are kept.

With nodes that share only object storage (execute/exchange.py) the tasks upload their shards
and side outputs as they go; the staging folder holds only the driver's records, and publishing
is one listing that checks every file of the manifest is there, then the manifest.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from fruitstand.io import fs
from fruitstand.io.writers import MANIFEST
from fruitstand.registry import RecipeError

REPORT_FILES = ("report.html", "README.md")


def staging_for(url: str, staging: str | None = None) -> Path:
    if staging is not None:
        return Path(staging)
    digest = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    return Path.home() / ".cache" / "fruitstand" / "staging" / digest


def _join(url: str, rel: str) -> str:
    return url.rstrip("/") + "/" + rel


def remote_manifest(url: str) -> dict[str, Any] | None:
    try:
        return json.loads(fs.read_bytes(_join(url, MANIFEST)))
    except FileNotFoundError:
        return None
    except OSError as exc:  # asked before any work: a store out of reach is said then, in one line
        raise RecipeError(f"--output {fs.unreachable(url, exc)}") from None


def check_target(url: str, fingerprint: str, *, overwrite: bool) -> dict[str, Any] | None:
    """The finished manifest of this same run, if published already; refuse another run's."""
    if not fs.writable(url):
        raise RecipeError(f"--output {url}: can't write there (HTTP is read-only): give a folder, s3:// or gs://")
    previous = remote_manifest(url)
    if previous is None:
        try:
            bucket = fs.missing_bucket(url)
        except OSError:  # credentials for objects under a prefix only may not see the bucket: the upload will say
            bucket = None
        if bucket is not None:
            raise RecipeError(f"--output {url}: there is no bucket {bucket!r} (or these credentials can't see it): "
                              "create it first, or check the URL")
        return None
    if previous.get("fingerprint") == fingerprint and not overwrite:
        return previous
    if not overwrite:
        raise RecipeError(f"{url} holds a finished run of another recipe or input: "
                          "choose another --output, or pass --overwrite to replace it")
    for name in ("data", *previous.get("side_outputs", {})):
        fs.delete(_join(url, name))
    for name in (*REPORT_FILES, MANIFEST):
        fs.delete(_join(url, name))
    return None


def clear_run(url: str, side_outputs: list[str]) -> None:
    """Remove what a run writes under `url` before it is published (nodes that share only object
    storage write there as they go: execute/exchange.py), with its side outputs."""
    for name in (".fruitstand", "data", *side_outputs):
        fs.delete(_join(url, name))


def publish(staging: Path, url: str, manifest: dict[str, Any], *, in_place: bool = False) -> None:
    """Upload the shards and side outputs, then the manifest. `in_place`: the tasks wrote them at the
    URL already (execute/exchange.py): one listing checks each is there, and only the manifest goes up.
    A publish cut short is one line: the run is complete in `staging`, and the same command finishes it."""
    try:
        _publish(staging, url, manifest, in_place)
    except OSError as exc:
        raise RecipeError(f"publishing to {url} stopped: {fs.reason(url, exc)}; the run is complete in {staging}: "
                          "run the same command again to finish publishing") from None


def _publish(staging: Path, url: str, manifest: dict[str, Any], in_place: bool) -> None:
    files = list(manifest["output"]["files"])
    for names in manifest.get("side_outputs", {}).values():
        files += names
    if in_place:
        there = {u[len(url.rstrip("/")) + 1:] for name in ("data", *manifest.get("side_outputs", {}))
                 for u, _, _ in fs.list_files(_join(url, name) + "/")}
        missing = sorted(set(files) - there)
        if missing:
            raise RecipeError(f"{len(missing)} output file(s) are missing under {url} (first: {missing[0]}): "
                              "run the same command again with --overwrite")
        _upload_report(staging, url)
        fs.upload(staging / MANIFEST, _join(url, MANIFEST))  # last: the dataset is complete
        return
    for rel in files:
        local = staging / rel
        target = _join(url, rel)
        try:
            if fs.info(target)[0] == local.stat().st_size:
                continue  # published by an earlier try
        except FileNotFoundError:
            pass
        fs.upload(local, target)
    _upload_report(staging, url)
    fs.upload(staging / MANIFEST, _join(url, MANIFEST))  # last: the dataset is complete


def _upload_report(staging: Path, url: str) -> None:
    """report.html and the dataset card README.md, drawn in the staging folder after the run: a
    person opening the URL finds them beside the data (re-uploaded on every publish: they are small,
    and a report drawn again must replace the old one)."""
    for name in REPORT_FILES:
        if (staging / name).exists():
            fs.upload(staging / name, _join(url, name))
