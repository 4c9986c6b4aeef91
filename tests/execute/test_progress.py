"""Progress where no one watches a bar live: plain lines on stderr every few seconds, and no rich import."""

from __future__ import annotations

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
