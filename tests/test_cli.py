"""The command line's help: every subcommand has an example, every option says its default."""

from __future__ import annotations

import argparse
import subprocess
import sys

from fruitstand.cli import build_parser


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_subcommand_has_an_example_and_every_option_its_default():
    parser = build_parser()
    subs = _subcommands(parser)
    assert {"run", "steps", "read", "report"} <= set(subs)
    top = parser.format_help()
    for name in subs:
        assert name in top
    assert "example" in top
    for name, sub in subs.items():
        text = sub.format_help()
        assert f"example: fruitstand {name}" in text or "examples:" in text, name
        formatter = sub._get_formatter()  # a formatter that adds each default counts
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"fruitstand {name} {action.dest}: no help"
            required_positional = not action.option_strings and action.nargs is None
            if not required_positional and not action.required:
                shown = formatter._get_help_string(action)
                assert "default" in shown, f"fruitstand {name} {'/'.join(action.option_strings)}: no default"


def test_help_runs_from_the_command_line():
    res = subprocess.run([sys.executable, "-m", "fruitstand", "report", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "example: fruitstand report out/" in res.stdout


def test_numpy_loads_after_the_cli_has_set_openblas_threads():
    """`main` sets OPENBLAS_NUM_THREADS for run/tokenize before NumPy loads; a module the CLI imports
    at start that imports NumPy at its top (report/sketch.py did) starts OpenBLAS's thread pool
    first, ~0.1 CPU-s a run (benchmarks/results/recipe-speed.md)."""
    code = ("import sys, fruitstand.cli, fruitstand.execute.local, fruitstand.report.sketch; "
            "assert 'numpy' not in sys.modules, 'numpy imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def test_read_says_what_it_skipped_on_stderr(shared, tmp_path):
    """`fruitstand read FILE` is what a run's "no documents written" error points to: a damaged file
    must not read as an empty one. The documents go to stdout as JSON lines, the tally to stderr."""
    import json

    bad = tmp_path / "damaged.warc.gz"
    bad.write_bytes(b"not a warc at all")
    r = subprocess.run([sys.executable, "-m", "fruitstand", "read", str(bad)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == ""
    assert r.stderr.strip() == "0 document(s) read; skipped: corrupt_input 1"
    r = subprocess.run([sys.executable, "-m", "fruitstand", "read", str(shared / "warc" / "sample-0000.warc.gz"),
                        "--limit", "2"], capture_output=True, text=True)
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] and len(r.stdout.splitlines()) == 2
    assert r.stderr.startswith("2 document(s) read; skipped: ") and r.stderr.rstrip().endswith("(stopped at --limit)")
