"""No silent success (fruitstand issue 13): a run that writes nothing fails in one line naming
the main reason and the fix; a step's exceptions are counted drops whose first tracebacks are kept.

Real inputs from ../shared/data (SOURCES.md): an Archive-It crawl of office documents (no HTML),
61 English news pages.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import fruitstand

EXTRACT = [{"kind": "extract"}]


def test_cli_run_on_inputs_without_documents_fails_in_one_line(tmp_path, shared):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "fruitstand", "run", "--input",
                           str(shared / "warc" / "aut-example.docs.warc.gz"), "--output", str(out), "--workers", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("fruitstand: error:")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr
    assert "no documents written" in errors[0] and "not_html" in errors[0] and "give WARC files" in errors[0]
    manifest = json.loads((out / "manifest.json").read_text())  # written all the same, to look at
    assert manifest["output"]["documents"] == 0 and manifest["read"]["skipped"]["not_html"] > 0


def test_api_raises_when_a_step_drops_everything_and_again_on_rerun(tmp_path, shared):
    recipe = [*EXTRACT, {"kind": "langid", "languages": ["urd"]}]
    inputs = [shared / "warc" / "articles-61.warc.gz"]
    for _ in range(2):  # the finished run is not a success on the second call either
        with pytest.raises(fruitstand.NoDocumentsError, match=r"step 'langid' dropped all 61 documents") as info:
            fruitstand.run(recipe, inputs=inputs, output=tmp_path / "o", workers=0)
        assert "\n" not in str(info.value) and info.value.manifest["steps"][1]["out"] == 0


def test_step_exceptions_are_counted_and_their_first_tracebacks_kept(tmp_path, shared):
    recipe = [*EXTRACT, {"kind": "tests.execute.steps:Boom", "marker": " the "}]
    m = fruitstand.run(recipe, inputs=[shared / "warc" / "articles-61.warc.gz"], output=tmp_path / "o", workers=1)
    boom = m["steps"][1]
    raised = boom["dropped"]["error:ValueError"]
    assert raised > 3 and boom["out"] == 61 - raised - sum(v for k, v in boom["dropped"].items() if k != "error:ValueError")
    path = tmp_path / "o" / boom["tracebacks"]
    assert boom["tracebacks"].startswith(".fruitstand/errors/") and path.is_file()
    text = path.read_text()
    assert text.count("Traceback (most recent call last)") == 3  # the first few, not one per document
    assert "ValueError: boom in" in text and "in keep" in text and "document '" in text


def test_cli_summary_says_where_the_tracebacks_are(tmp_path, shared):
    recipe = tmp_path / "boom.toml"
    recipe.write_text('[[step]]\nkind = "extract"\n\n[[step]]\nkind = "tests.execute.steps:Boom"\n')
    proc = subprocess.run([sys.executable, "-m", "fruitstand", "run", str(recipe), "--input",
                           str(shared / "warc" / "articles-61.warc.gz"), "--output", str(tmp_path / "o"),
                           "--workers", "0"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "dropped because a step raised: first tracebacks in" in proc.stderr
    assert str(tmp_path / "o" / ".fruitstand" / "errors") in proc.stderr
