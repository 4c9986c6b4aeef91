"""Every mistake in a parameter's value is one line, before any work (fruitstand issue 13).

Each step kind's `validate()` checks its values (fruitstand/params.py); the run checks its own
options. A value that fails leaves no output folder behind, so the corrected run just runs.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import fruitstand
from fruitstand.recipe import Recipe
from fruitstand.registry import RecipeError, kinds

# One wrong value per parameter rule, for every built-in kind: (table, words the message must hold).
BAD = [
    ({"kind": "extract", "backend": "trafilature"}, "did you mean 'trafilatura'"),
    ({"kind": "extract", "max_html_bytes": 0}, "max_html_bytes = 0 should be at least 1"),
    ({"kind": "extract", "timeout_s": 0}, "timeout_s"),
    ({"kind": "url_filter", "soft_word_threshold": 0}, "soft_word_threshold"),
    ({"kind": "url_filter", "extra_domains": ["https://example.com/page"]}, "bare domain"),
    ({"kind": "langid", "min_score": 1.5}, "min_score"),
    ({"kind": "langid", "max_chars": 0}, "max_chars"),
    ({"kind": "gopher_repetition", "dup_line_frac": 2.0}, "dup_line_frac = 2.0 should be between 0 and 1"),
    ({"kind": "gopher_repetition", "top_n_grams": [[0, 0.2]]}, "top_n_grams"),
    ({"kind": "gopher_repetition", "dup_n_grams": [[5, 1.5]]}, "dup_n_grams"),
    ({"kind": "gopher_quality", "min_doc_words": -5}, "min_doc_words = -5 should be at least 0"),
    ({"kind": "gopher_quality", "min_doc_words": 500, "max_doc_words": 100}, "at most max_doc_words"),
    ({"kind": "gopher_quality", "max_symbol_word_ratio": 3}, "max_symbol_word_ratio"),
    ({"kind": "c4_quality", "max_word_length": 0}, "or -1 to turn it off"),
    ({"kind": "c4_quality", "min_num_sentences": -3}, "min_num_sentences"),
    ({"kind": "fineweb_quality", "line_punct_thr": 1.2}, "line_punct_thr"),
    ({"kind": "fineweb_quality", "short_line_length": -1}, "short_line_length"),
    ({"kind": "exact_dedup", "memory_mb": 0}, "memory_mb = 0 should be at least 4"),
    ({"kind": "minhash_dedup", "bands": 0}, "bands = 0 should be between 1 and 256 (default: 14)"),
    ({"kind": "minhash_dedup", "rows": 0}, "rows"),
    ({"kind": "minhash_dedup", "ngram": 0}, "ngram"),
    ({"kind": "line_dedup", "unit": "lines"}, "did you mean 'line'"),
    ({"kind": "line_dedup", "min_count": 1}, "min_count"),
    ({"kind": "opt_out", "mode": "tags"}, "mode = 'tags' should be one of drop, tag"),
    ({"kind": "opt_out", "robots": "/nowhere/robots.warc.gz"}, "not found"),
    ({"kind": "license", "keep": "opne"}, "keep = 'opne' should be one of any, open"),
    ({"kind": "quality_classifier", "threshold": 1.5}, "threshold = 1.5 should be between 0 and 1"),
    ({"kind": "pii", "replace": "fakes"}, "replace"),
    ({"kind": "pii", "max_hits": -5}, "or -1 to turn it off"),
    ({"kind": "decontaminate", "mode": "masks"}, "mode"),
    ({"kind": "decontaminate", "boilerplate_items": 0}, "boilerplate_items"),
    ({"kind": "tokenize", "tokenizer": "/nowhere/tokenizer.json"}, "a tokenizer.json file that exists"),
]
# Kinds with a parameter that has no usable default: built with defaults they fail, naming it.
REQUIRED = {"tokenize": "tokenizer"}


def test_every_kind_has_its_values_checked():
    missing = set(kinds()) - {t["kind"] for t, _ in BAD}
    assert not missing, f"give {sorted(missing)} a validate() (fruitstand.params) and a case in BAD"


@pytest.mark.parametrize(("table", "message"), BAD, ids=lambda v: v.get("kind") if isinstance(v, dict) else None)
def test_a_wrong_value_is_one_line_naming_the_fix(table, message):
    steps = [table] if table["kind"] == "extract" else [{"kind": "extract"}, table]
    with pytest.raises(RecipeError) as info:
        Recipe(steps).validate({"warc"})
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith(f"step {table['kind']!r}") or str(info.value).startswith(table["kind"])


def test_the_defaults_pass():
    Recipe.default().validate({"warc"})
    for kind in kinds():
        recipe = Recipe([{"kind": "extract"}, {"kind": kind}] if kind != "extract" else [{"kind": kind}])
        if kind in REQUIRED:
            with pytest.raises(RecipeError, match=REQUIRED[kind]):
                recipe.validate({"warc"})
        else:
            recipe.validate({"warc"})


@pytest.mark.parametrize(("args", "message"), [
    (["--shard-size", "0"], "--shard-size 0"),
    (["--workers", "-2"], "--workers -2"),
    (["recipe"], "did you mean 'trafilatura'"),
])
def test_cli_value_errors_come_before_any_work_and_the_fixed_run_runs(tmp_path, shared, args, message):
    recipe = tmp_path / "bad.toml"
    recipe.write_text('[[step]]\nkind = "extract"\nbackend = "trafilature"\n')
    args = [str(recipe) if a == "recipe" else a for a in args]
    out = tmp_path / "out"
    warc = str(shared / "warc" / "sample-0000.warc.gz")
    cmd = [sys.executable, "-m", "fruitstand", "run", "--input", warc, "--output", str(out), "--quiet"]
    proc = subprocess.run(cmd + args, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("fruitstand: error: ")
    assert message in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not out.exists()  # nothing half-made to block the corrected run


def test_a_run_that_stopped_before_any_task_does_not_block_another_recipe(tmp_path, shared):
    from fruitstand.execute.state import OutputDir

    out = OutputDir(tmp_path / "o")
    out.claim({"fingerprint": "a run killed while starting"}, overwrite=False)  # run.json, no task done
    m = fruitstand.run([{"kind": "extract"}], inputs=[shared / "warc" / "sample-0000.warc.gz"],
                       output=tmp_path / "o", workers=0)
    assert m["output"]["documents"] > 0
