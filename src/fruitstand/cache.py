"""fruitstand's per-user cache: segmenters' dictionaries, built indexes that every worker loads.

One folder: `$FRUITSTAND_CACHE`, else `$XDG_CACHE_HOME/fruitstand`, else `~/.cache/fruitstand`,
never /tmp. An index whose build takes seconds (the decontamination n-grams of the built-in
eval sets, the robots.txt capture index) is built by the first process that needs it and
loaded by every later one; a cache folder that cannot be written is simply not used.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cache_root() -> Path:
    root = os.environ.get("FRUITSTAND_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fruitstand"


def cache_dir(name: str) -> Path:
    """The cache folder `name`, made if missing."""
    path = cache_root() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_arrays(name: str, key: str, fields: tuple[str, ...],
                  build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays stored under `name/key.npz`, or `build()`'s, saved there for next time.

    `key` must change whenever what `build` makes would: the inputs' identity and the format's
    version. A file missing one of `fields` (or unreadable) is built again.
    """
    path = cache_root() / name / f"{key}.npz"
    try:
        with np.load(path) as z:
            return {f: z[f] for f in fields}
    except (OSError, KeyError, ValueError):
        pass
    arrays = build()
    _save(path, lambda tmp: np.savez(tmp, **arrays))
    return arrays


def mapped_arrays(name: str, key: str, fields: tuple[str, ...], build: Callable[[], dict[str, np.ndarray]],
                  check: Callable[[dict[str, np.ndarray]], bool] | None = None) -> dict[str, np.ndarray]:
    """As `cached_arrays`, but one `name/key.FIELD.npy` per field, loaded memory-mapped read-only.

    For large read-only tables every worker needs (the URL blocklist's hashes, a model's
    matrices): loading takes milliseconds whatever their size, and the workers of a machine share
    one copy in the page cache. Each file is written to a temporary name and renamed, so a
    reader sees a whole file or none; a missing or unreadable one, or a set `check` rejects, is
    built and written again.
    """
    folder = cache_root() / name
    try:
        arrays = {f: np.load(folder / f"{key}.{f}.npy", mmap_mode="r", allow_pickle=False) for f in fields}
        if check is None or check(arrays):
            return arrays
    except (OSError, ValueError):
        pass
    arrays = build()
    for f in fields:
        if not _save(folder / f"{key}.{f}.npy",
                     lambda tmp, a=arrays[f]: np.save(tmp, np.ascontiguousarray(a), allow_pickle=False)):
            break
    return arrays


def _save(path: Path, write: Callable[[Path], None]) -> bool:
    """`write` a temporary file beside `path` (named for this process and thread), then rename it
    there, so a reader sees a whole file or none. A cache that cannot be written (read-only home,
    full disk) only costs the next run a rebuild: False, and no temporary file left behind."""
    tmp = path.with_name(f"{path.stem}.{os.getpid()}-{threading.get_ident()}.tmp{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False
