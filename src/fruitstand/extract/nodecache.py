"""resiliparse's node wrappers, cached in a plain dict for the length of one page.

resiliparse gives each DOM node one Python wrapper at a time through a module-level
`weakref.WeakValueDictionary` (`resiliparse.parse.html.node._node_cache`), and that class is
pure Python: every `.values()`, `.parent` and `.children` pays a Python-level lookup, a
`KeyedRef` and, when the wrapper dies, a callback. The vote over a page's paragraphs makes
thousands of them. Inside `page_scope()` the cache is a plain dict instead, so a lookup is
one C-level dict probe; when the scope ends the dict goes, and with it every wrapper and tree
it kept (a page's worth, about what the vote's own maps already hold). Wrappers compare and
hash by the node they wrap, so a wrapper made anew after the scope equals the old one: the
cache only spares the work, it never changes a result (`extract_check.py --check`: the same
output; the cost: benchmarks/results/recipe-speed.md).

Where resiliparse has no such cache (another version), `page_scope()` does nothing; so it does
outside the main thread. resiliparse's trees must be freed on the thread that made them (they
are pyo3 `unsendable` objects), and a dict that two threads filled would free one thread's trees
on the other's; fruitstand's executors run steps on their processes' main threads, where the
scope is used. A program that parses pages with resiliparse on other threads while `extract` runs
on the main one should set `nodecache.ENABLED = False`. The dict is installed only over the
original cache and put back only by the scope that installed it, so a nested scope does nothing.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

try:
    from resiliparse.parse.html import node as _node_module
except ImportError:  # another resiliparse layout
    _node_module = None

ENABLED = True
_ORIGINAL = getattr(_node_module, "_node_cache", None)
if not isinstance(_ORIGINAL, weakref.WeakValueDictionary):
    _ORIGINAL = None


@contextmanager
def page_scope() -> Iterator[None]:
    """resiliparse's node cache as a plain dict while the block runs (see the module docstring)."""
    if (not ENABLED or _ORIGINAL is None or _node_module._node_cache is not _ORIGINAL
            or threading.current_thread() is not threading.main_thread()):
        yield  # no such cache, a scope already open, or not the main thread: resiliparse's own cache
        return
    mine: dict = {}
    _node_module._node_cache = mine
    try:
        yield
    finally:
        if _node_module._node_cache is mine:
            _node_module._node_cache = _ORIGINAL
