"""pyarrow's cloud filesystems (S3, GCS, Azure, HDFS), loaded when first asked for, not with Parquet.

`import pyarrow.parquet` imports `pyarrow.fs`, and that imports every cloud filesystem the wheel
was built with: the S3 one alone maps the AWS SDK (libarrow_s3), about 7 MiB of resident memory
in each process, in every worker that writes a Parquet shard of a run that never touches a
bucket. `defer()`, called in each worker before its first task, lets `pyarrow.fs` load without
them; the first use of one (`pyarrow.fs.S3FileSystem`, `from pyarrow.fs import GcsFileSystem`)
loads them all and `pyarrow.fs` again, so nothing that asks for them sees a difference.
`pyarrow.fs.FileSystem.from_uri("s3://...")` knows only the schemes whose library is loaded:
io/fs.py calls `load()` before it. Measured: benchmarks/RESULTS.md (issue 21, MinHash memory).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from typing import Any

CLOUD_MODULES = ("pyarrow._s3fs", "pyarrow._gcsfs", "pyarrow._azurefs", "pyarrow._hdfs")
_HELD = "_fruitstand_held_back"  # set in pyarrow.fs while its cloud names are missing


def defer() -> None:
    """Load pyarrow's cloud filesystems only when one is used (this process; idempotent)."""
    if "pyarrow.fs" in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())


def load() -> None:
    """Load them now, if `defer()` held them back (and stop holding them back)."""
    for f in [f for f in sys.meta_path if isinstance(f, _Finder)]:
        sys.meta_path.remove(f)
    module = sys.modules.get("pyarrow.fs")
    if module is not None and module.__dict__.pop(_HELD, False):
        importlib.reload(module)  # runs pyarrow/fs.py again, with them; restores its own __getattr__


def loaded() -> bool:
    """Whether this process has pyarrow's cloud filesystems loaded (tests, diagnostics)."""
    return any(sys.modules.get(m) is not None for m in CLOUD_MODULES)


class _Finder(importlib.abc.MetaPathFinder):
    """Hands `pyarrow.fs` a loader that runs it with the cloud modules held back; then steps aside."""

    def find_spec(self, name: str, path: Any, target: Any = None):
        if name != "pyarrow.fs":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader):
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module) -> None:
        held = [m for m in CLOUD_MODULES if m not in sys.modules]
        for m in held:
            sys.modules[m] = None  # `from pyarrow._s3fs import ...` raises ImportError: pyarrow.fs goes on
        try:
            self.inner.exec_module(module)
        finally:
            for m in held:
                if sys.modules.get(m, False) is None:
                    del sys.modules[m]
        if not held:
            return
        own = module.__dict__.get("__getattr__")

        def __getattr__(name: str):  # a name pyarrow.fs lacks: load the cloud modules, then look again
            if name.startswith("__") or not module.__dict__.get(_HELD):
                if own is not None:
                    return own(name)
                raise AttributeError(name)
            load()
            return getattr(module, name)

        module.__getattr__ = __getattr__
        setattr(module, _HELD, True)
