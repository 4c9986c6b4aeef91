"""fruitstand installs as a package (fruitstand issue 13): a wheel built from the source holds the
UT1 URL blocklist with its CC BY-SA notice, and installed in a fresh venv it runs the default
recipe on a real WARC (../shared/data/warc, SOURCES.md).

To stay within a minute and offline, the fresh venv gets the wheel alone (`--no-deps`) and sees
the test venv's site-packages through a .pth file for the dependencies; that the wheel's declared
dependencies are what it needs is checked separately: every `Requires-Dist` is installed there at
a version its specifier allows, and nothing from the source tree or the editable install is on
the fresh venv's path (fruitstand is imported from the wheel's files).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LISTS = ("blocked_domains.txt.zst", "blocked_urls.txt.zst")
pytestmark = pytest.mark.skipif(not all((REPO / "src/fruitstand/filters/data" / n).is_file() for n in LISTS),
                                reason="the URL blocklist is not built (make install)")


def _source_copy(dest: Path) -> Path:
    """The files a wheel is built from: what git tracks, plus the built blocklist (git ignores it)."""
    tracked = subprocess.run(["git", "ls-files", "-z", "src", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md",
                              "scripts/build_url_blocklist.py"], cwd=REPO, capture_output=True, check=True).stdout
    names = [n for n in tracked.decode().split("\0") if n]
    names += [f"src/fruitstand/filters/data/{n}" for n in LISTS]
    for name in names:
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = _source_copy(tmp_path_factory.mktemp("source"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(src)], check=True, capture_output=True, timeout=120)
    (found,) = dist.glob("fruitstand-*.whl")
    return found


def test_wheel_holds_the_blocklist_with_its_notice_and_declares_what_it_needs(wheel):
    from packaging.requirements import Requirement
    from packaging.version import Version

    names = set(zipfile.ZipFile(wheel).namelist())
    for n in (*LISTS, "NOTICE-UT1.txt", "README.md"):
        assert f"fruitstand/filters/data/{n}" in names
    assert "fruitstand/recipes/default.toml" in names
    for pkg in ("extract", "filters"):  # the C extensions (setup.py NATIVE), built for this platform
        assert any(n.startswith(f"fruitstand/{pkg}/_native.") and n.endswith((".so", ".pyd")) for n in names), pkg
    assert any(n.endswith("licenses/src/fruitstand/filters/data/NOTICE-UT1.txt") for n in names)
    meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    meta = Parser().parsestr(zipfile.ZipFile(wheel).read(meta_name).decode())
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist")]
    import importlib.metadata as md

    core = [r for r in requires if r.marker is None]
    assert {"fastwarc", "resiliparse", "pyarrow", "pycld2", "rensa"} <= {r.name for r in core}
    for r in core:  # each core dependency resolves to an installed version it allows
        assert r.specifier.contains(Version(md.version(r.name)), prereleases=True), (r, md.version(r.name))
    extras = {r.name for r in requires if r.marker is not None and r.marker.evaluate({"extra": "ray"})}
    assert "ray" in extras  # [ray] installs Ray
    assert set(meta.get_all("Provides-Extra")) >= {"ray", "taste", "dev", "all"}


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_the_default_recipe_on_a_real_warc(wheel, tmp_path, shared):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # dependencies (and pip) from here
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "FRUITSTAND_PURE_PYTHON")}
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True,
                   env=env, capture_output=True, timeout=120)
    where = subprocess.run([str(py), "-c", "import fruitstand; print(fruitstand.__file__)"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(site)  # the wheel's files, not the source tree
    native = subprocess.run([str(py), "-c", "from fruitstand.extract import blocks; from fruitstand.filters import text; "
                             "print(blocks._native.__file__, text._native.__file__)"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(f).is_relative_to(site) for f in native)  # the wheel's compiled extensions are the ones used
    out = tmp_path / "out"
    proc = subprocess.run([str(venv / "bin" / "fruitstand"), "run", "--input", str(shared / "warc" / "sample-0000.warc.gz"),
                           "--output", str(out), "--workers", "1", "--quiet"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "manifest.json").read_text())
    steps = {s["kind"]: s for s in m["steps"]}
    assert steps["url_filter"]["in"] > 0 and m["output"]["documents"] > 0
    assert steps["c4_quality"]["params"]["filter_no_terminal_punct"] is False
