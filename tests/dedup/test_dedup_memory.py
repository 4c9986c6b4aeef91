"""Peak memory of the dedup steps stays within `memory_mb` as the corpus grows tenfold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MEMORY_MB = 8


def probe(kind: str, scale: int, workdir: Path) -> float:
    """Peak resident memory (MB) a fresh process adds while the step runs, beyond its warm base."""
    out = subprocess.run([sys.executable, "-m", "tests.dedup.memory_probe", kind, str(scale), str(MEMORY_MB),
                          str(workdir)], cwd=REPO, capture_output=True, text=True, timeout=300, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["kept"] >= 0.95 * 3000 * scale  # the copies are distinct: nearly all kept
    return data["peak_mb"] - data["base_mb"]


@pytest.mark.slow
def test_minhash_memory_bounded_as_corpus_grows_tenfold(shared, tmp_path):
    small = probe("minhash_dedup", 1, tmp_path / "x1")
    large = probe("minhash_dedup", 10, tmp_path / "x10")  # 30,000 documents, several runs per task
    assert large < MEMORY_MB
    assert large - small < MEMORY_MB / 2


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["exact_dedup", "line_dedup"])
def test_exact_and_line_memory_bounded(shared, tmp_path, kind):
    assert probe(kind, 10, tmp_path) < MEMORY_MB
