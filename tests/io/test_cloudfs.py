"""pyarrow's cloud filesystems stay unloaded in a worker until one is used, then work as usual."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _fresh(code: str) -> str:
    """Run `code` in a fresh interpreter (this one has pyarrow.fs loaded already); its stdout."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_parquet_loads_without_cloud_filesystems_until_one_is_asked_for():
    out = _fresh("""
        import sys
        from fruitstand.io import cloudfs
        cloudfs.defer()
        import pyarrow as pa, pyarrow.parquet as pq
        pq.write_table(pa.table({"a": [1, 2]}), "/dev/null")
        print("after parquet", cloudfs.loaded(), "pyarrow._s3fs" in sys.modules)
        import pyarrow.fs as pafs
        print(pafs.LocalFileSystem().get_file_info("/").type == pafs.FileType.Directory)
        s3 = pafs.S3FileSystem(anonymous=True, region="us-east-1")
        from pyarrow.fs import GcsFileSystem
        print("after S3FileSystem", cloudfs.loaded(), type(s3).__name__, GcsFileSystem.__name__)
        try:
            pafs.NoSuchFileSystem
        except AttributeError:
            print("unknown name: AttributeError")
    """)
    assert "after parquet False False" in out
    assert "\nTrue\n" in out
    assert "after S3FileSystem True S3FileSystem GcsFileSystem" in out
    assert "unknown name: AttributeError" in out


def test_io_fs_loads_them_before_a_uri_names_one():
    """`FileSystem.from_uri("s3://...")` knows only the schemes whose library is loaded."""
    out = _fresh("""
        from fruitstand.io import cloudfs
        cloudfs.defer()
        import pyarrow.parquet
        from fruitstand.io import fs
        print(type(fs._arrow_fs("s3", "")).__name__, cloudfs.loaded())
    """)
    assert out.split() == ["S3FileSystem", "True"]


def test_defer_after_pyarrow_fs_is_loaded_changes_nothing():
    out = _fresh("""
        import pyarrow.fs
        from fruitstand.io import cloudfs
        cloudfs.defer()
        import sys
        print(cloudfs.loaded(), any(type(f).__name__ == "_Finder" for f in sys.meta_path))
    """)
    assert out.split() == ["True", "False"]


def test_a_worker_writes_parquet_without_them(tmp_path):
    """The pool's initializer defers them: a worker that wrote a Parquet shard never loaded S3."""
    out = _fresh(f"""
        import os, sys
        from fruitstand.execute.worker import init_worker
        init_worker(None, os.getppid())
        from pathlib import Path
        from fruitstand.document import Document
        from fruitstand.io.writers import Schema, ShardWriter
        w = ShardWriter(Path({str(tmp_path)!r}), "part", Schema())
        w.write(Document("a", "some text", {{}}))
        print(w.close(), "pyarrow._s3fs" in sys.modules, "pyarrow.parquet" in sys.modules)
    """)
    assert out.split()[-2:] == ["False", "True"]
