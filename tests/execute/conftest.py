"""Fixtures shared by the executor's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import fruitstand

# Real WARCs for the default recipe's end-to-end runs: several tasks, three stages, small enough to run often.
DEFAULT_WARCS = ["articles-61.warc.gz", "sample-0000.warc.gz", "sample-0001.warc.gz", "resiliparse-warcfile.warc.gz"]


@pytest.fixture(scope="session")
def default_run(shared, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """The default recipe on DEFAULT_WARCS with 2 local workers and 0.05 MB shards: the output that the
    resume and Ray tests must reproduce byte for byte. Run once per session; read it, never write it."""
    out = tmp_path_factory.mktemp("default-run") / "out"
    m = fruitstand.run(inputs=[shared / "warc" / w for w in DEFAULT_WARCS], output=out, workers=2, shard_size_mb=0.05)
    return out, m
