"""The per-user cache: one root for every cache, built indexes loaded by later processes."""

from __future__ import annotations

import numpy as np

from fruitstand.cache import cache_dir, cache_root, cached_arrays, mapped_arrays


def test_the_root_is_fruitstand_cache_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FRUITSTAND_CACHE", raising=False)
    assert cache_root() == tmp_path / "xdg" / "fruitstand"
    monkeypatch.setenv("FRUITSTAND_CACHE", str(tmp_path / "mine"))
    assert cache_dir("jieba") == tmp_path / "mine" / "jieba" and (tmp_path / "mine" / "jieba").is_dir()


def test_arrays_are_built_once_then_loaded(monkeypatch, tmp_path):
    monkeypatch.setenv("FRUITSTAND_CACHE", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"a": np.arange(5), "b": np.array(["x", "y"])}

    first = cached_arrays("idx", "k1", ("a", "b"), build)
    again = cached_arrays("idx", "k1", ("a", "b"), build)
    assert len(calls) == 1 and np.array_equal(first["a"], again["a"]) and again["b"].tolist() == ["x", "y"]
    cached_arrays("idx", "k1", ("a", "b", "c"), lambda: {**build(), "c": np.zeros(1)})  # a field missing: rebuilt
    assert len(calls) == 2


def test_an_unwritable_cache_is_not_used(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("FRUITSTAND_CACHE", str(blocker))  # a file where the folder should be
    out = cached_arrays("idx", "k", ("a",), lambda: {"a": np.ones(3)})
    assert out["a"].sum() == 3


def test_mapped_arrays_are_built_once_then_memory_mapped(monkeypatch, tmp_path):
    monkeypatch.setenv("FRUITSTAND_CACHE", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"keys": np.arange(1000, dtype=np.uint64), "names": np.array(["eng", "urd"])}

    first = mapped_arrays("tbl", "k1", ("keys", "names"), build)
    again = mapped_arrays("tbl", "k1", ("keys", "names"), build)
    assert len(calls) == 1 and isinstance(again["keys"], np.memmap) and not again["keys"].flags.writeable
    assert np.array_equal(first["keys"], again["keys"]) and again["names"].tolist() == ["eng", "urd"]
    assert sorted(p.name for p in (tmp_path / "tbl").iterdir()) == ["k1.keys.npy", "k1.names.npy"]  # no temp left
    (tmp_path / "tbl" / "k1.names.npy").write_bytes(b"not an array")
    mapped_arrays("tbl", "k1", ("keys", "names"), build)  # an unreadable file: built again
    assert len(calls) == 2
    mapped_arrays("tbl", "k1", ("keys",), build, check=lambda a: len(a["keys"]) == 7)  # rejected: built again
    assert len(calls) == 3
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("FRUITSTAND_CACHE", str(blocker))
    assert mapped_arrays("tbl", "k1", ("keys",), build)["keys"].sum() == sum(range(1000))
