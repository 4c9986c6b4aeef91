"""How a worker process allocates: memory goes back to the system when it is freed.

A worker's peak memory is what it holds at once plus what its allocators keep after freeing.
Left to their defaults, both of the allocators a worker uses keep a great deal:
- pyarrow's default pool (jemalloc in the wheels) keeps freed pages for reuse; the system
  pool hands Parquet's buffers to malloc like every other allocation in the process.
- glibc's malloc raises its mmap threshold each time a large block is freed (up to 32 MiB),
  so that after the first batches of a task, arrays of a few MiB come from the heap and stay
  resident after they are freed. A fixed threshold keeps large blocks in their own mappings,
  unmapped on free, and a fixed trim threshold gives back the top of the heap.

Both are set in every worker process before its first task (the local pool's workers, the
child process each Ray worker runs its tasks in), never in a caller's own Python process.
Peak memory and CPU time with and without: benchmarks/RESULTS.md (issue 21, MinHash memory).
"""

from __future__ import annotations

import ctypes
import os
import sys

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Blocks of this size or more get their own mapping (glibc's starting value, kept fixed).
MMAP_THRESHOLD = 128 << 10
TRIM_THRESHOLD = 128 << 10


def tune_allocators() -> None:
    """Make this process give freed memory back: pyarrow's system pool, glibc's fixed thresholds.

    Where the user has chosen (ARROW_DEFAULT_MEMORY_POOL, MALLOC_*_ set), their choice stands;
    where there is no glibc (macOS, musl's stub), only pyarrow's pool is set.
    """
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        if "pyarrow" in sys.modules:
            import pyarrow as pa

            pa.set_memory_pool(pa.system_memory_pool())
        else:  # read when pyarrow first loads; also what this process's children inherit
            os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    if any(k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
