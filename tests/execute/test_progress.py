"""Progress where no one watches a bar live: plain lines on stderr every few seconds, and no rich import."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from fruitstand.execute.progress import Progress


def test_plain_line_on_stderr_when_output_is_not_a_terminal(capsys):
    bar = Progress(True, total_bytes=4_200_000, total_tasks=2)
    bar.start()
    bar.advance(100, 2_000_000)
    bar.task_done(39, 2_200_000)
    bar.task_done(0, 0)
    bar.stop()
    assert capsys.readouterr().err.startswith("fruitstand: 4.2 MB, 139 docs, 2/2 tasks in 0:00")


def test_hidden_bar_prints_nothing(capsys):
    bar = Progress(False, total_bytes=10, total_tasks=1)
    bar.start()
    bar.task_done(5, 10)
    bar.stop()
    assert capsys.readouterr() == ("", "")


def test_no_rich_import_off_a_terminal():
    code = ("import sys; from fruitstand.execute.progress import Progress; p = Progress(True, 1, 1); p.start(); "
            "p.stop(); assert 'rich' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def _run_cli(tmp_path, shared, *flags: str, slow: float = 0.05) -> tuple[subprocess.CompletedProcess, dict]:
    recipe = tmp_path / "watched.toml"
    recipe.write_text('[[step]]\nkind = "extract"\n\n[[step]]\nkind = "langid"\n\n[[step]]\nkind = "gopher_quality"\n'
                      f'\n[[step]]\nkind = "tests.execute.steps:Slow"\nseconds = {slow}\n')
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "fruitstand", "run", str(recipe), "--input",
                           str(shared / "warc" / "articles-61.warc.gz"), "--output", str(out), "--workers", "1", *flags],
                          capture_output=True, text=True, timeout=120)  # stdout is a pipe: no terminal
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads((out / "manifest.json").read_text())


LINE = re.compile(r"^fruitstand: [\d,]+ docs, [\d,.]+/[\d,.]+ MB \(\d+%\), [\d,.]+ MB/s, [\d,]+ docs/s, "
                  r"\d+/\d+ tasks, [\d:]+ elapsed, ETA ([\d:]+|\?)$")


def test_batch_job_gets_progress_lines_on_stderr_and_the_manifest_cpu_and_languages(tmp_path, shared):
    proc, m = _run_cli(tmp_path, shared, "--verbose")  # a line a second; the run takes 3 s and more
    lines = [line for line in proc.stderr.splitlines() if LINE.match(line)]
    assert len(lines) >= 2, proc.stderr
    assert f"{m['output']['documents']} documents in 1 parquet shard(s)" in proc.stdout
    assert not [line for line in proc.stdout.splitlines() if LINE.match(line)]
    # the verbose summary: CPU seconds, drops per language and effective parameters of each step
    assert "s CPU" in proc.stderr and "by language: eng" in proc.stderr and '"min_doc_words": 50' in proc.stderr
    steps = {s["kind"]: s for s in m["steps"]}
    assert steps["extract"]["cpu_s"] > 0 and steps["gopher_quality"]["cpu_s"] > 0
    assert sum(s["cpu_s"] for s in m["steps"]) + m["read_cpu_s"] < float(m["wall_time_s"]) * 1.5
    for s in m["steps"]:
        assert sum(s.get("dropped_by_language", {}).values()) == sum(s["dropped"].values())
    assert set(steps["gopher_quality"]["dropped_by_language"]) <= {"eng", "por", "spa", "fra", "deu", "und"}
    assert steps["gopher_quality"]["params"]["min_doc_words"] == 50 and "max_avg_word_length" in steps[
        "gopher_quality"]["params"]


def test_quiet_prints_only_the_result(tmp_path, shared):
    proc, _ = _run_cli(tmp_path, shared, "--quiet", slow=0)
    assert proc.stderr == "" and " documents in 1 parquet shard(s)" in proc.stdout
