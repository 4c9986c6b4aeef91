"""report.html of a real run: written by the run, self-contained, true to the manifest, and shown whole by a browser.

The browser check opens the page in headless Chromium, reads back the DOM after the page's
script ran (every section shown, no script error) and the console, and saves a screenshot
to test-output/report/ in the checkout for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import fruitstand
from fruitstand.report.data import load
from fruitstand.report.render import SECTIONS
from tests.conftest import REPO
from tests.report import browser

SHOTS = REPO / "test-output" / "report"


def test_run_writes_report_and_card(parquet_run):
    out, manifest = parquet_run
    html = (out / "report.html").read_text()
    assert (out / "README.md").is_file()
    assert len(html) < 1_000_000
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in html
    for step in manifest["steps"]:
        for reason in step["dropped"]:
            assert reason in html
    # documents and characters only shrink through the funnel, counted from when the HTML became text
    shares = [int(x) for x in re.findall(r"· (\d+)%</text>", html)]
    assert len(shares) > len(manifest["steps"]) + 1 and max(shares) == 100


def test_report_is_self_contained(parquet_run):
    html = (parquet_run[0] / "report.html").read_text()
    assert not re.search(r"""<(script|img|iframe|link|source)[^>]+(src|href)=""", html, re.I)
    assert "@import" not in html and "url(" not in html


def test_recorded_counts_agree_with_the_steps(parquet_run):
    """The statistics gathered beside each step see exactly what the step's own counters saw."""
    out, manifest = parquet_run
    facts = load(out)
    for i, step in enumerate(manifest["steps"]):
        sk = facts.sketch["steps"][i]
        assert (sk["docs_in"], sk["docs_out"]) == (step["in"], step["out"]), step["kind"]
        assert sum(sk["length_dropped"]) == sum(step["dropped"].values())
        assert set(sk["samples"]) - {"kept"} == set(step["dropped"])
    kept = facts.sketch["signals"]["kept"]["length"]
    assert sum(kept) == manifest["output"]["documents"]


def test_samples_are_what_the_rules_did(parquet_run):
    """Sampled documents a step dropped are absent from the output, those the last step kept are in it."""
    out, manifest = parquet_run
    ids = set(pq.read_table(out / "data", columns=["id"]).column("id").to_pylist())
    facts = load(out)
    dropped_samples = 0
    for i, step in enumerate(manifest["steps"]):
        for reason, docs in facts.sketch["steps"][i]["samples"].items():
            if reason != "kept":
                assert 1 <= len(docs) <= min(3, step["dropped"][reason])
                assert not ids & {d["id"] for d in docs}
                dropped_samples += len(docs)
    last = facts.sketch["steps"][-1]["samples"]["kept"]
    assert len(last) == 3 and {d["id"] for d in last} <= ids
    assert dropped_samples >= 8
    # exact and near duplicates: the removed member of every sampled pair is gone, its kept member is there
    for step in manifest["steps"]:
        if step["kind"] in ("exact_dedup", "minhash_dedup"):
            pairs = step["report"]["pairs"]
            assert pairs and all(p["kept"] in ids and p["removed"] not in ids for p in pairs)
            assert all(p["kept_text"] and p["removed_text"] for p in pairs)


def test_samples_are_a_side_output_the_report_reads(parquet_run, tmp_path):
    """The sampled documents are files of the run's `samples` side output, listed in the manifest;
    the report shows what they hold and nothing when they are gone."""
    out, manifest = parquet_run
    files = manifest["side_outputs"]["samples"]
    assert files and all((out / f).is_file() for f in files)
    lines = [json.loads(line) for f in files for line in (out / f).read_text().splitlines()]
    steps = {(r["step"], r["kind"]) for r in lines}
    assert {k for _, k in steps} >= {"extract", "gopher_quality", "minhash_dedup"}
    assert all(manifest["steps"][i]["kind"] == k for i, k in steps)
    dropped = [r for r in lines if r["outcome"] != "kept"]
    assert dropped and all(r["outcome"] in manifest["steps"][r["step"]]["dropped"] for r in dropped)
    # Each task wrote its own few; the report shows the few of smallest hash over all tasks.
    sketch = load(out).sketch
    for i, step in enumerate(sketch["steps"]):
        for outcome, docs in step["samples"].items():
            mine = sorted((r["hash"], r["id"]) for r in lines if (r["step"], r["outcome"]) == (i, outcome))
            assert [d["id"] for d in docs] == [doc_id for _, doc_id in mine[:3]]
    assert sum(len(docs) for step in sketch["steps"] for docs in step["samples"].values()) >= 20
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    shutil.rmtree(copy / "samples")
    assert all(not step["samples"] for step in load(copy).sketch["steps"])
    html = Path(fruitstand.report(copy)).read_text()
    assert dropped[0]["id"] not in html and dropped[0]["id"] in (out / "report.html").read_text()


def test_report_again_gives_the_same_bytes(parquet_run):
    out, _ = parquet_run
    before = (out / "report.html").read_bytes(), (out / "README.md").read_bytes()
    fruitstand.report(out)
    assert ((out / "report.html").read_bytes(), (out / "README.md").read_bytes()) == before


def test_report_of_a_folder_without_a_run(tmp_path):
    with pytest.raises(fruitstand.RecipeError, match="no manifest.json"):
        fruitstand.report(tmp_path)


@pytest.mark.slow
def test_report_in_headless_chromium(parquet_run):
    if browser.chromium() is None:
        pytest.fail("chromium is not installed: .ci/run installs it (apt-get install -y chromium)")
    out, _ = parquet_run
    page = out / "report.html"
    dom, console_errors = browser.dump_dom(page)
    assert console_errors == []
    match = re.search(r'data-sections-shown="([^"]*)"', dom)
    assert match, "the page's script did not run"
    assert match.group(1).split() == list(SECTIONS)
    assert re.search(r'<div id="js-errors"></div>', dom), "the page caught a script error"
    height = int(re.search(r'data-height="(\d+)"', dom).group(1))
    assert height > 2000
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "report.png"
    shot.unlink(missing_ok=True)
    browser.screenshot(page, shot, min(height, 16000))
    shutil.copyfile(page, SHOTS / "report.html")
    assert shot.stat().st_size > 50_000
    (SHOTS / "README.txt").write_text(json.dumps({"report": str(SHOTS / "report.html"), "screenshot": str(shot)}))


def test_report_degrades_without_run_statistics(parquet_run, tmp_path):
    """A manifest alone (an older run, or statistics deleted) still gives every section."""
    out, manifest = parquet_run
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    html = Path(fruitstand.report(tmp_path)).read_text()
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in html
    assert "recorded no run statistics" in html


def test_cpu_time_and_drops_per_language_when_the_manifest_has_them(parquet_run, tmp_path):
    """The executor's CPU seconds per step (`cpu_s`) and drops per language (`dropped_by_language`)."""
    out, manifest = parquet_run
    m = json.loads(json.dumps(manifest))
    m["read"]["cpu_s"] = 1.5
    for i, step in enumerate(m["steps"]):
        step["cpu_s"] = 0.25 * (i + 1)
        if step["dropped"]:
            step["dropped_by_language"] = {"eng": sum(step["dropped"].values()) - 1, "urd": 1}
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    shutil.copytree(out / ".fruitstand" / "report", tmp_path / ".fruitstand" / "report")
    html = Path(fruitstand.report(tmp_path)).read_text()
    cpu = re.search(r'<section id="cpu">.*?</section>', html, re.S).group(0)
    assert cpu.count("<rect") == len(m["steps"]) + 1
    assert f"{m['steps'][-1]['kind']}: {0.25 * len(m['steps']):,.2f} s" in cpu
    assert "dropped per language: eng" in html and "urd 1" in html


def test_a_real_run_shows_reading_among_the_cpu_rows(parquet_run):
    """The executor records reading's CPU seconds as the manifest's `read_cpu_s`."""
    out, manifest = parquet_run
    assert manifest["read_cpu_s"] > 0
    html = (out / "report.html").read_text()
    cpu = re.search(r'<section id="cpu">.*?</section>', html, re.S).group(0)
    assert "read: " in cpu and cpu.count("<rect") == len(manifest["steps"]) + 1
