"""The quality_classifier step in runs on real WARCs, and `fruitstand train-classifier`."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

import fruitstand
from fruitstand import RecipeError
from fruitstand.cli import main
from fruitstand.filters.quality_classifier import pareto_keep
from tests.conftest import tree_digest


def _scores(out):
    table = pq.read_table(sorted((out / "data").glob("*.parquet")))
    return table.column("id").to_pylist(), table.column("quality_score").to_pylist()


@pytest.fixture(scope="module")
def warcs(shared):
    return [shared / "warc" / "articles-61.warc.gz", shared / "warc" / "trafilatura-pages.warc.gz"]


@pytest.fixture(scope="module")
def scored(warcs, tmp_path_factory):
    out = tmp_path_factory.mktemp("q") / "out"
    m = fruitstand.run([{"kind": "extract"}, {"kind": "quality_classifier"}], inputs=warcs, output=out, workers=0)
    return out, m


def test_every_document_gets_a_score_and_none_is_dropped(scored):
    out, m = scored
    step = m["steps"][1]
    assert step["kind"] == "quality_classifier" and step["in"] == step["out"] > 500
    ids, scores = _scores(out)
    assert len(scores) == step["out"] and all(0 <= s <= 1 for s in scores)
    assert len(set(np.round(scores, 3))) > 50  # a spread, not a constant


def test_threshold_keeps_exactly_the_documents_scoring_above_it(scored, warcs, tmp_path):
    out, _ = scored
    ids, scores = _scores(out)
    cut = float(np.median(scores))
    m = fruitstand.run([{"kind": "extract"}, {"kind": "quality_classifier", "threshold": cut}], inputs=warcs,
                       output=tmp_path / "t", workers=0)
    kept, _ = _scores(tmp_path / "t")
    assert set(kept) == {i for i, s in zip(ids, scores) if s >= cut}
    assert m["steps"][1]["dropped"] == {"low_quality_score": len(ids) - len(kept)}


@pytest.mark.slow
def test_keep_top_is_a_corpus_wide_share_and_the_same_on_any_worker_count(scored, warcs, tmp_path):
    out, _ = scored
    ids, scores = _scores(out)
    recipe = [{"kind": "extract"}, {"kind": "quality_classifier", "keep_top": 0.3}]
    m1 = fruitstand.run(recipe, inputs=warcs, output=tmp_path / "w0", workers=0, split_mb=1)
    fruitstand.run(recipe, inputs=warcs, output=tmp_path / "w2", workers=2, split_mb=1)
    assert tree_digest(tmp_path / "w0" / "data") == tree_digest(tmp_path / "w2" / "data")
    kept, kept_scores = _scores(tmp_path / "w0")
    n = len(ids)
    assert int(np.ceil(0.3 * n)) <= len(kept) <= int(np.ceil(0.3 * n)) + 2
    assert min(kept_scores) >= np.quantile(scores, 0.69)  # the best, not any 30%
    assert m1["steps"][1]["dropped"] == {"below_top_share": n - len(kept)}


def test_pareto_sampling_is_keyed_by_document():
    ids = [f"doc-{i}" for i in range(4000)]
    a = [pareto_keep(i, 0.8, 9.0) for i in ids]
    assert a == [pareto_keep(i, 0.8, 9.0) for i in ids]
    # P(pareto(9) > 0.2) = 1.2 ** -9
    assert abs(np.mean(a) - 1.2 ** -9) < 0.03
    assert np.mean([pareto_keep(i, 0.99, 9.0) for i in ids]) > 0.85


@pytest.mark.parametrize("params, words", [
    ({"threshold": 0.5, "keep_top": 0.1}, "one of threshold, keep_top, pareto"),
    ({"keep_top": 1.5}, "between 0 and 1"),
    ({"pareto": 0}, "above 0"),
    ({"model": "no/such/model.npz"}, "train-classifier"),
])
def test_bad_parameters_are_one_line_before_any_work(params, words, warcs, tmp_path):
    with pytest.raises(RecipeError, match=words):
        fruitstand.run([{"kind": "extract"}, {"kind": "quality_classifier", **params}], inputs=warcs,
                       output=tmp_path / "x")
    assert not (tmp_path / "x" / "data").exists()


def test_train_classifier_cli_on_real_text(shared, tmp_path, capsys):
    model = tmp_path / "q.npz"
    rc = main(["train-classifier", "--positive", str(shared / "text" / "bbc-news.jsonl.gz"),
               "--negative", str(shared / "warc" / "sample-0000.warc.gz"),
               str(shared / "text" / "CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"),
               "--output", str(model), "--max-docs", "600"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "AUC" in printed and model.stat().st_size < 2 << 20
    from fruitstand.classify.model import LinearModel

    m = LinearModel.load(model)
    assert m.manifest["metrics"]["auc"] > 0.95
    assert m.manifest["documents"]["negative"] == m.manifest["documents"]["positive"] == 600
    assert [p["path"] for p in m.manifest["negative"]][0] == "sample-0000.warc.gz"
    assert main(["train-classifier", "--positive", "x", "--negative", "y", "--output", str(model)]) == 2
    assert "exists" in capsys.readouterr().err


def test_default_model_card_matches_the_model():
    from fruitstand.classify.model import LinearModel
    from fruitstand.filters.quality_classifier import model_path

    m = LinearModel.load(model_path("default"))
    card = (model_path("default").rsplit("/", 1)[0] + "/MODEL_CARD.md")
    text = open(card, encoding="utf-8").read()
    assert f"{m.manifest['metrics']['auc']:.4f}" in text
    assert json.dumps(m.manifest["documents"]["train"]) in text.replace(",", "")
