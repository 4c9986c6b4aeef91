"""The output folder (fruitstand issue 13): one run at a time; a folder that cannot be written, or
a disk that fills up, is one line, never a traceback or a corrupt shard, and the same command
completes once the cause is fixed; workers die with a SIGKILLed parent.

The full disk is a real one where this user may mount: a small tmpfs (root, as in CI's
container); elsewhere it is a fake ENOSPC raised where a shard is closed. Inputs are real pages
from ../shared/data (SOURCES.md).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest

import fruitstand
from fruitstand import cli
from tests.conftest import tree_digest

EXTRACT = [{"kind": "extract"}]


def _cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fruitstand", "run", *args], capture_output=True, text=True,
                          timeout=kw.pop("timeout", 120), **kw)


def _one_line_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode not in (0, None), proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("fruitstand: error: ")
    for w in words:
        assert w in proc.stderr, proc.stderr


def _slow_recipe(tmp_path: Path, seconds: float) -> str:
    recipe = tmp_path / "slow.toml"
    recipe.write_text(f'[[step]]\nkind = "extract"\n\n[[step]]\nkind = "tests.execute.steps:Slow"\nseconds = {seconds}\n')
    return str(recipe)


def test_output_under_a_file_is_one_line(tmp_path, shared):
    (tmp_path / "file.txt").write_text("not a folder")
    proc = _cli("--input", str(shared / "warc" / "sample-0000.warc.gz"), "--output", str(tmp_path / "file.txt" / "out"),
                "--quiet")
    _one_line_error(proc, "is a file, not a folder")


def _mount_tmpfs(path: Path, size: str, *options: str) -> bool:
    path.mkdir(exist_ok=True)
    if os.geteuid() != 0:
        return False
    opts = ",".join([f"size={size}", *options])
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_unwritable_output_is_one_line_and_the_rerun_completes(tmp_path, shared):
    disk = tmp_path / "disk"
    warc = str(shared / "warc" / "sample-0000.warc.gz")
    if _mount_tmpfs(disk, "4m"):  # root ignores permissions: a read-only file system instead
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        fix = ["mount", "-o", "remount,rw", str(disk)]
    else:
        disk.chmod(0o500)
        fix = ["chmod", "0700", str(disk)]
    try:
        recipe = tmp_path / "extract.toml"
        recipe.write_text('[[step]]\nkind = "extract"\n')
        args = [str(recipe), "--input", warc, "--output", str(disk / "out"), "--quiet", "--workers", "0"]
        _one_line_error(_cli(*args), f"can't create --output {disk / 'out'}")
        subprocess.run(fix, check=True)
        proc = _cli(*args)
        assert proc.returncode == 0, proc.stderr
    finally:
        _umount(disk)


def test_full_disk_is_one_line_leaves_no_corrupt_shard_and_the_rerun_completes(tmp_path, shared, monkeypatch, capsys):
    inputs = [str(shared / "warc" / "articles-61.warc.gz")]
    recipe = tmp_path / "extract.toml"
    recipe.write_text('[[step]]\nkind = "extract"\n')
    fruitstand.run(str(recipe), inputs=inputs, output=tmp_path / "reference", workers=0)
    disk = tmp_path / "disk"
    real = _mount_tmpfs(disk, "1m")
    try:
        if real:  # leave room for the run's state, not for its 180 kB shard
            st = os.statvfs(disk)
            (disk / "filler").write_bytes(b"\0" * (st.f_bavail * st.f_frsize - (96 << 10)))
        else:  # no mount permitted: the shard's close fails as a full disk fails
            from fruitstand.io.writers import ShardWriter

            def full(self):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self._tmp))

            monkeypatch.setattr(ShardWriter, "_close_shard", full)
        argv = ["run", str(recipe), "--input", *inputs, "--output", str(disk / "out"), "--quiet", "--workers", "0"]
        assert cli.main(argv) == 1
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "no space left on the device: free some space" in err
        assert "run the same command again" in err and "Traceback" not in err
        data = disk / "out" / "data"
        assert not [p for p in data.rglob("*") if p.is_file()] if data.exists() else True  # no shard, whole or half
        if real:
            (disk / "filler").unlink()
        else:
            monkeypatch.undo()
        assert cli.main(argv) == 0
        assert tree_digest(data) == tree_digest(tmp_path / "reference" / "data")
    finally:
        if real:
            _umount(disk)


@pytest.mark.slow
def test_a_second_run_into_a_folder_in_use_refuses_and_the_manifest_matches_the_data(tmp_path, shared):
    out = tmp_path / "out"
    args = [_slow_recipe(tmp_path, 0.15), "--input", str(shared / "warc" / "articles-61.warc.gz"), "--output",
            str(out), "--workers", "1", "--quiet"]
    first = subprocess.Popen([sys.executable, "-m", "fruitstand", "run", *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / ".fruitstand" / "run.json").exists():  # the first run holds the folder
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        second = _cli(*args)
        _one_line_error(second, "is in use by another fruitstand run")
        assert first.wait(timeout=120) == 0, first.stderr.read()
    finally:
        first.kill()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["output"]["documents"] == pq.read_table(out / "data").num_rows == 61
    again = _cli(*args)  # the folder is free again: the finished run is found
    assert again.returncode == 0, again.stderr


@pytest.mark.slow
def test_workers_die_with_a_sigkilled_parent(tmp_path, shared):
    args = [_slow_recipe(tmp_path, 0.3), "--input", str(shared / "warc" / "articles-61.warc.gz"),
            "--output", str(tmp_path / "out"), "--workers", "2", "--quiet"]
    parent = subprocess.Popen([sys.executable, "-m", "fruitstand", "run", *args], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        workers: list[psutil.Process] = []
        while not workers:  # a worker started, and busy with a task (small inputs may make one task)
            assert parent.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
            workers = [p for p in psutil.Process(parent.pid).children() if "spawn_main" in _cmdline(p)]
        time.sleep(1.0)
        left = psutil.Process(parent.pid).children(recursive=True)  # the workers and the resource tracker
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and [p for p in left if _alive(p)]:
            time.sleep(0.2)
        assert not [p for p in left if _alive(p)], [_cmdline(p) for p in left if _alive(p)]
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:  # a short-lived child that is already gone
        return ""


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
