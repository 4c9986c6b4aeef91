"""The optional C extensions: `filters/_native.c` and `extract/_native.c`.

setup.py (`NATIVE`) builds them where a compiler is found; each function in them has a Python twin
beside its caller that gives the same results (tests/filters/test_native.py,
tests/extract/test_native.py), so an install without a compiler runs the twins, slower. Setting
FRUITSTAND_PURE_PYTHON=1 chooses the twins anyway (to compare, or to rule the extensions out).
Why and what they gain: benchmarks/results/recipe-speed.md, eighth round.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

PURE_PYTHON = bool(os.environ.get("FRUITSTAND_PURE_PYTHON"))


def load(name: str) -> ModuleType | None:
    """The extension `fruitstand.<name>`, or None where it is not built or FRUITSTAND_PURE_PYTHON is set."""
    if PURE_PYTHON:
        return None
    try:
        return importlib.import_module(f"fruitstand.{name}")
    except ImportError:
        return None
