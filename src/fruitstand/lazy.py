"""A module that is imported when one of its names is first used, not when it is named.

The driver process imports every step's module to build and check the recipe, but runs none
of a dedup step's array code: with `np = lazy.module("numpy")` at the top of those modules,
NumPy (about 20 MiB of resident memory) loads in the workers that use it, not in the driver.
Measured: benchmarks/RESULTS.md (issue 21, MinHash memory). Names the module's own code reads
at import time (`U64 = np.uint64` at the top level) would load it at once: such modules spell
dtypes as strings ("uint64") and build scalars inside functions.
"""

from __future__ import annotations

import importlib
import sys
import types


class _Lazy(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__") and self.__name__ not in sys.modules:
            raise AttributeError(name)  # introspection (copy, pickle, inspect) does not load it
        real = importlib.import_module(self.__name__)
        value = getattr(real, name)
        setattr(self, name, value)  # found directly from now on, without this method
        return value


def module(name: str) -> types.ModuleType:
    """A stand-in for `import name` that imports it on the first attribute read."""
    return _Lazy(name)
