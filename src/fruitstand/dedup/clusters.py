"""Connected components of duplicate pairs: a union-find vectorised with NumPy.

Only documents that appear in some candidate pair get a slot, so memory follows the number
of duplicate candidates, not the corpus. Nodes are numbered in key order; each round hooks
every edge's larger root under its smaller one (`np.minimum.at`), then jumps pointers until
every node points at its root. Roots only ever move to smaller numbers, so the root of a
cluster ends as its smallest key: the document that came first, which is the one kept.
The number of rounds grows with the logarithm of a cluster's diameter, not its size.
Slots are int32 below 2**31 candidates (half the memory of int64).
"""

from __future__ import annotations

from fruitstand import lazy

np = lazy.module("numpy")


def distinct(a: np.ndarray) -> np.ndarray:
    """`np.unique(a)` of a 1-d array (sorted, distinct), without np.unique's import of numpy.ma
    (~15 ms in a process that needs nothing else of it)."""
    s = np.sort(a)
    return s[np.concatenate(([True], s[1:] != s[:-1]))] if len(s) > 1 else s


def components(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Given edges (u[i], v[i]) between uint64 keys, return (members, roots): every key that
    is not the smallest of its component, sorted, and the smallest key of its component."""
    if len(u) == 0:
        return np.empty(0, np.uint64), np.empty(0, np.uint64)
    nodes = distinct(np.concatenate([u, v]))
    # Slot numbers fit 32 bits below 2**31 candidates.
    index = np.int32 if len(nodes) < 2**31 else np.int64
    iu = np.searchsorted(nodes, u).astype(index)
    iv = np.searchsorted(nodes, v).astype(index)
    parent = np.arange(len(nodes), dtype=index)
    while len(iu):
        pu, pv = parent[iu], parent[iv]
        live = pu != pv
        iu, iv, pu, pv = iu[live], iv[live], pu[live], pv[live]
        if not len(iu):
            break
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    members = np.flatnonzero(parent != np.arange(len(nodes)))
    return nodes[members], nodes[parent[members]]
