"""`fruitstand taste`: curated web text trains a better small model than the raw crawl, in either order.

Both corpora come from the same real WARCs (corpora.py); the held-out text is real English
sentences (Leipzig, the first 30 kB of ../shared/data/lang/en.txt), and COPA (../shared/data/evals) is
scored as a multiple-choice set. Budget: 50,000 training tokens per model, the tiny model,
two seeds (chosen by repeated runs with other seeds: see benchmarks/results/taste.md).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from fruitstand.registry import RecipeError  # noqa: E402
from fruitstand.taste import taste  # noqa: E402
from fruitstand.taste.data import load_eval  # noqa: E402
from fruitstand.taste.run import _mix, verdict  # noqa: E402
from tests.taste.corpora import curated, raw  # noqa: E402

TOKENS = int(os.environ.get("TASTE_TEST_TOKENS", 50_000))
FIRST_SEED = int(os.environ.get("TASTE_TEST_SEED", 0))


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """One output folder for the module: a model already trained on the same tokens is not trained again."""
    return tmp_path_factory.mktemp("taste")


@pytest.fixture(scope="module")
def corpora(shared, tmp_path_factory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("corpora")
    return str(curated(shared, root / "curated")), str(raw(shared, root / "raw"))


@pytest.fixture(scope="module")
def heldout(shared, tmp_path_factory) -> str:
    """The first 30 kB of the English sentences: clean text no corpus holds."""
    path = tmp_path_factory.mktemp("heldout") / "en.txt"
    path.write_bytes((shared / "lang" / "en.txt").read_bytes()[:30_000])
    return str(path)


def _taste(corpora: list[str], out: Path, shared: Path, heldout: str) -> dict:
    evals = [heldout, str(shared / "evals" / "copa.jsonl")]
    return taste(corpora, evals=evals, output=out, tokens=TOKENS, seeds=2, model="tiny", device="cpu", threads=2,
                 first_seed=FIRST_SEED, quiet=True)


def _by_corpus(result: dict) -> dict:
    return {(r["corpus"], r["seed"]): r["scores"] for r in result["runs"]}


@pytest.mark.slow
def test_curated_wins_in_both_orders(corpora, shared, heldout, tmp_path):
    cur, junk = corpora
    first = _taste([cur, junk], tmp_path / "out", shared, heldout)
    trained = sorted((tmp_path / "out" / "runs").glob("*.json"))
    assert len(trained) == 4
    # The other order, in the same folder: every model's key (tokenizer, token stream, seed, size, budget)
    # comes out the same, so all four are found done and none trains again; the verdict is the same.
    second = _taste([junk, cur], tmp_path / "out", shared, heldout)
    assert sorted((tmp_path / "out" / "runs").glob("*.json")) == trained
    assert first["winner"] == second["winner"] == cur
    assert _by_corpus(first) == _by_corpus(second)
    assert first["tokenizer_sha256"] == second["tokenizer_sha256"]
    means = {c["corpus"]: c["mean"] for c in first["means"]}
    assert means[cur] < means[junk]
    run = first["runs"][0]
    assert len(run["curve"]) >= 10 and run["curve"][-1][0] >= TOKENS * 0.9 and run["device"] == "cpu"
    assert {"acc", "acc_norm", "prob_norm"} <= set(run["scores"]["copa"])
    assert 0.0 <= run["scores"]["copa"]["prob_norm"] <= 1.0 and run["scores"]["copa"]["items"] == 100
    saved = json.loads((tmp_path / "out" / "taste.json").read_text())
    assert saved["winner"] == cur and saved["sensitivity"]["published_scales"]
    assert (tmp_path / "out" / "taste.svg").read_text().startswith("<svg")


@pytest.mark.slow
def test_a_corpus_against_itself_is_a_tie(corpora, shared, heldout, tmp_path, out):
    cur, _ = corpora
    copy = tmp_path / "copy"
    shutil.copytree(cur, copy)
    result = _taste([cur, str(copy)], out, shared, heldout)
    assert result["winner"] == "tie"
    scores = _by_corpus(result)
    assert scores[(cur, FIRST_SEED)] == scores[(str(copy), FIRST_SEED)]


def test_verdict_needs_more_than_the_spread():
    def runs(values: dict[int, list[float]]) -> list[dict]:
        return [{"index": i, "seed": s, "scores": {"e": {"bits_per_byte": v}}}
                for i, vs in values.items() for s, v in enumerate(vs)]

    clear = verdict(runs({0: [1.00, 1.02], 1: [1.10, 1.11]}), ["a", "b"], "e", "bits_per_byte", True)
    assert clear["winner"] == "a" and clear["differences"][0]["spread"] == pytest.approx(0.02)
    close = verdict(runs({0: [1.00, 1.08], 1: [1.05, 1.06]}), ["a", "b"], "e", "bits_per_byte", True)
    assert close["winner"] == "tie"
    swapped = verdict(runs({0: [1.10, 1.11], 1: [1.00, 1.02]}), ["b", "a"], "e", "bits_per_byte", True)
    assert swapped["winner"] == "a"
    one_seed = verdict(runs({0: [1.0], 1: [2.0]}), ["a", "b"], "e", "bits_per_byte", True)
    assert one_seed["winner"] == "tie"


def test_eval_shapes(shared, tmp_path):
    arc = load_eval(str(shared / "evals" / "arc_easy.jsonl"), max_items=50)
    assert arc.kind == "choice" and len(arc.items) == 50 and len(arc.items[0][1]) == 4
    copa = load_eval(str(shared / "evals" / "copa.jsonl"))
    assert copa.kind == "choice" and len(copa.items) == 100
    text = load_eval(str(shared / "lang" / "ur.txt"))
    assert text.kind == "text" and "\n" in text.texts[0]
    mine = tmp_path / "mc.jsonl"
    mine.write_text(json.dumps({"context": "The sky is", "choices": ["blue", "loud"], "label": 0}) + "\n")
    assert load_eval(str(mine)).items == [("The sky is", ["blue", "loud"], 0)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "x"}) + "\n")
    with pytest.raises(RecipeError, match="not an eval set"):
        load_eval(str(bad))
    with pytest.raises(RecipeError, match="no such file"):
        load_eval(str(tmp_path / "missing.txt"))
    with pytest.raises(RecipeError, match="corpus not found"):
        taste([str(tmp_path / "nope"), str(tmp_path / "nope2")], evals=[str(mine)], output=tmp_path / "o")


def test_dilution_takes_whole_documents_in_the_share_asked():
    a = np.array([5, 6, 0] * 1000, dtype=np.uint32)
    b = np.array([7, 8, 9, 0] * 1000, dtype=np.uint32)
    for p in (0.25, 0.5):
        mixed = _mix(a, b, p, 0, 3000)
        share = np.isin(mixed, [7, 8, 9]).sum() / np.isin(mixed, [5, 6, 7, 8, 9]).sum()
        assert abs(share - p) < 0.03
    assert _mix(a, b, 0.0, 0, 3000).tolist() == a.tolist()
