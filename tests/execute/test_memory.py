"""Workers give freed memory back to the system (execute/memory.py).

The probe: a large block freed (glibc then raises its mmap threshold), then twelve 1 MiB
arrays allocated and freed below a live allocation. Under glibc's defaults the twelve come
from the heap and stay resident; with the worker's fixed thresholds each has its own mapping,
unmapped on free.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from fruitstand.execute.worker import init_worker

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")


def _anon_mib() -> int:
    with open("/proc/self/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) >> 10
    raise AssertionError("no Anonymous line")


def retained_mib() -> int:
    """Anonymous memory still resident after 12 MiB of arrays are freed."""
    import numpy as np

    big = np.ones(8 << 20, np.uint8)
    del big
    before = _anon_mib()
    blocks = [np.ones(1 << 20, np.uint8) for _ in range(12)]
    pin = bytearray(4096)  # from malloc, after the blocks: the heap's top stays in use
    del blocks
    after = _anon_mib()
    del pin
    return after - before


def pool_backend() -> str:
    import pyarrow as pa

    return pa.default_memory_pool().backend_name


_PROBE = "from tests.execute.test_memory import retained_mib, pool_backend; print(retained_mib(), pool_backend())"
_TUNED = "from fruitstand.execute.memory import tune_allocators; tune_allocators(); " + _PROBE


def _fresh(code: str, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "ARROW_DEFAULT_MEMORY_POOL"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**clean, **env}, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    return out.stdout.split()


@glibc
def test_the_probe_sees_memory_kept_by_glibc_defaults():
    kept, _ = _fresh(_PROBE)
    assert int(kept) >= 10


@glibc
def test_tuned_process_gives_freed_arrays_back_and_uses_the_system_pool():
    kept, backend = _fresh(_TUNED)
    assert int(kept) <= 2
    assert backend == "system"


def test_a_users_own_arrow_pool_stands():
    import pyarrow as pa

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("pyarrow built without jemalloc")
    _, backend = _fresh(_TUNED, ARROW_DEFAULT_MEMORY_POOL="jemalloc")
    assert backend == "jemalloc"


@glibc
def test_pool_workers_are_tuned_before_their_first_task():
    """A worker started as the local pool (and Ray's child process) starts its workers."""
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=init_worker,
                             initargs=(None, os.getpid())) as pool:
        assert pool.submit(retained_mib).result(timeout=60) <= 2
        assert pool.submit(pool_backend).result(timeout=60) == "system"
