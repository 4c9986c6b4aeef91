"""execute/exchange.py against moto's S3 server: what a unit pulls, what it pushes, and what it leaves out.
(The whole run through it, on a two-node Ray cluster, is test_ray.py's.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import fruitstand
from fruitstand.execute.exchange import ENV, Exchange
from fruitstand.io import fs
from tests.io.servers import moto_env, start_moto, stop


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    endpoint, proc = start_moto(tmp_path_factory.mktemp("moto"))
    env = moto_env(endpoint)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        import boto3

        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="exch")
        yield "s3://exch"
    stop(proc)


def _put(tmp_path, url: str, data: bytes) -> None:
    src = tmp_path / "src"
    src.write_bytes(data)
    fs.upload(src, url)


def test_a_unit_pushes_what_it_wrote_or_replaced_and_nothing_else(bucket, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "node"))
    ex = Exchange(f"{bucket}/run1", "abc")
    _put(tmp_path, ex.key("work/kept.bin"), b"0123456789")
    _put(tmp_path, ex.key("work/replaced.json"), b"{}")
    with ex.unit() as unit:
        folder = unit.path
        unit.pull({"work/kept.bin": 10, "work/replaced.json": 2})
        assert (folder / "work" / "kept.bin").read_bytes() == b"0123456789"
        assert not unit.pull_if_there("skips/none.json")
        tmp = folder / "work" / "replaced.json.tmp1"
        tmp.write_text('{"a": 1}')
        os.replace(tmp, folder / "work" / "replaced.json")  # as every writer of fruitstand does
        (folder / "data").mkdir()
        (folder / "data" / "part-00000-0000.parquet").write_bytes(b"shard")
        (folder / "data" / ".part-00000-0001.parquet.tmp").write_bytes(b"half")  # writers' temporary files
        (folder / "work" / "r000.bin.tmp4242").write_bytes(b"half")
        (folder / "work" / "names.tmpl").write_bytes(b"kept")
        (folder / ".fruitstand" / "side" / "stage0-task00000").mkdir(parents=True)
        (folder / ".fruitstand" / "side" / "stage0-task00000" / "x.jsonl").write_bytes(b"uncommitted")
        assert unit.written() == ["data/part-00000-0000.parquet", "work/names.tmpl", "work/replaced.json"]
        assert unit.push() == {"data/part-00000-0000.parquet": 5, "work/names.tmpl": 4, "work/replaced.json": 8}
        assert unit.written() == []  # pushed once
    assert not folder.exists()
    assert fs.read_bytes(ex.key("work/replaced.json")) == b'{"a": 1}'
    assert sorted(u for u, _, _ in fs.list_files(ex.url + "/")) == [
        ex.key("data/part-00000-0000.parquet"), ex.key("work/kept.bin"), ex.key("work/names.tmpl"),
        ex.key("work/replaced.json")]
    # A second unit on the node takes the file from the node's cache, by its size ...
    fs.delete(ex.key("work/kept.bin"))
    with ex.unit() as unit:
        unit.pull({"work/kept.bin": 10})
        assert (unit.path / "work" / "kept.bin").read_bytes() == b"0123456789"
        # ... and fetches it again when the size the driver gives is another.
        with pytest.raises(FileNotFoundError):
            unit.pull({"work/kept.bin": 11})
    ex.forget()
    assert not ex.cache.exists()


def test_the_folder_of_a_killed_unit_is_removed_by_the_next(bucket, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "node"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / "node" / "units" / f"{dead.stdout.strip()}-0"
    stale.mkdir(parents=True)
    with Exchange(f"{bucket}/run2", "abc").unit():
        assert not stale.exists()


def test_nodes_share_storage_is_refused_where_it_does_not_apply(tmp_path):
    for kwargs, words in (({"output": tmp_path / "out", "executor": "ray"}, "object-store --output"),
                          ({"output": "s3://exch/x", "executor": "local"}, "for --executor ray"),
                          ({"output": "s3://exch/x", "executor": "ray", "nodes_share": "nfs"}, "use filesystem or")):
        with pytest.raises(fruitstand.RecipeError, match=words):
            fruitstand.run(inputs=[tmp_path], staging=str(tmp_path / "st"), **{"nodes_share": "storage", **kwargs})
