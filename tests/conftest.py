"""Shared fixtures: where the real third-party data lives (see ../shared/data/SOURCES.md)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"real test data not found at {SHARED}: CI needs ../shared beside the checkout")
    return SHARED


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every visible file under `folder`, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def without_timings(value):
    """A manifest (or part of one) without what differs between two runs of the same work:
    timings (wall_time_s, cpu_s, ...) and the executor's name."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items()
                if k not in ("wall_time_s", "executor") and not k.endswith("_s") and "cpu" not in k}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value
