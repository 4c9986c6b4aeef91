"""Headless Chromium for the report tests: the page's DOM after its scripts ran, its console, a screenshot.

Debian's `chromium` (installed by .ci/run's set-up). Flags from ../shared/DEPENDENCIES.md: no
sandbox (CI runs as root), no GPU, no background networking, a fresh profile per call.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-extensions", "--disable-sync", "--hide-scrollbars", "--mute-audio", "--no-default-browser-check"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="fruitstand-chromium-") as profile:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout)


def dump_dom(page: Path) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, and the console messages logged at error level."""
    res = _run(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--window-size=1280,900",
                "--dump-dom", page.resolve().as_uri()])
    console = [line for line in res.stderr.splitlines() if "CONSOLE" in line]
    errors = [line for line in console if re.search(r":ERROR:|\berror\b|Uncaught", line, re.I)]
    return res.stdout, errors


def screenshot(page: Path, out: Path, height: int, width: int = 1280) -> None:
    _run([f"--window-size={width},{height}", "--virtual-time-budget=3000", f"--screenshot={out}",
          page.resolve().as_uri()])
