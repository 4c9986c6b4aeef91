"""Where inputs live: a local path or a URL, opened as one seekable binary file either way.

- local paths: the file itself (no layer in between);
- `http://`, `https://` (Common Crawl's data.commoncrawl.org): HTTP range requests, one
  streaming request per position read from (a reader that seeks, as the WARC range reader
  does to find its first record, starts a new one), retried from where it broke;
- `s3://`, `gs://` (and `hdfs://`): pyarrow's own filesystems, credentials from the usual
  environment variables and config files (`AWS_*`, `~/.aws/`, `AWS_ENDPOINT_URL` for an
  S3-protocol server of one's own; `GOOGLE_APPLICATION_CREDENTIALS`, `STORAGE_EMULATOR_HOST` for
  a GCS emulator, as Google's own client libraries read it), never the recipe;
- any other scheme fsspec knows (`hf://` through huggingface_hub, ...): fsspec's.

`info(path)` gives a file's size and version (mtime in ns locally; ETag or modification time
remotely) so a task can tell whether its input changed since planning.

A remote file is hashed as it is streamed (sha256 of the bytes the reader pulls, in order,
about 2 ms per MB): when a task's reader has read it from its first byte to its end, the
digest is there for the manifest (`streamed_sha256`) without a second download. A file cut
into byte ranges across tasks, or read out of order (Parquet's footer first), is never read
whole by one reader: it keeps only its server's version.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import time
import urllib.error
from typing import IO

_RETRIES = 5
_HTTP_BUFFER = 1 << 20


def is_url(path: str | os.PathLike) -> bool:
    return "://" in str(path) and not str(path).startswith("file://")


def scheme(path: str) -> str:
    return str(path).split("://", 1)[0].lower() if is_url(path) else ""


def open_input(path: str) -> IO[bytes]:
    """`path` opened for reading bytes, seekable."""
    kind = scheme(path)
    if not kind:
        return open(path.removeprefix("file://"), "rb")
    _streamed.pop(path, None)
    if kind in ("http", "https"):
        raw: io.RawIOBase = _HTTPFile(path)
    else:
        fs, inner = _filesystem(path)
        if fs is not None:
            raw = _ArrowFile(fs.open_input_file(inner))
        else:
            import fsspec

            raw = _ArrowFile(fsspec.open(path, "rb").open())
    return io.BufferedReader(_Hashing(raw, path), _HTTP_BUFFER)


# sha256 of the remote files this process has read whole, by URL (see `streamed_sha256`).
_streamed: dict[str, str] = {}


def streamed_sha256(path: str) -> str | None:
    """The sha256 of remote file `path` if this process's last reader of it read every byte, in order."""
    return _streamed.pop(path, None)


class _Hashing(io.RawIOBase):
    """A raw stream that hashes the file's bytes from its start as they are read.

    Bytes read again after a seek back are not hashed twice; a seek past the hashed part stops
    the hash from growing until the reader comes back to where it ended. Reaching the end with
    every byte hashed records the digest.
    """

    def __init__(self, raw: _ArrowFile | _HTTPFile, path: str):
        self._raw, self._path = raw, path
        self._hash = hashlib.sha256()
        self._upto = 0  # bytes hashed, from the file's first
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = self._raw.seek(offset, whence)
        return self._pos

    def readinto(self, buf) -> int:
        n = self._raw.readinto(buf)
        start, end = self._pos, self._pos + n
        if self._hash is not None and start <= self._upto < end:
            self._hash.update(memoryview(buf)[self._upto - start:n])
            self._upto = end
        elif n == 0 and start == self._upto and self._hash is not None:
            _streamed[self._path] = self._hash.hexdigest()
            self._hash = None  # recorded once
        self._pos = end
        return n

    def close(self) -> None:
        if self._hash is not None and self._upto and self._upto == self._raw.known_size():
            _streamed[self._path] = self._hash.hexdigest()  # read to its last byte, not past it
        self._hash = None
        self._raw.close()
        super().close()


def info(path: str) -> tuple[int, str]:
    """(size in bytes, version) of the file at `path`; FileNotFoundError if there is none."""
    kind = scheme(path)
    if not kind:
        st = os.stat(path.removeprefix("file://"))
        return st.st_size, str(st.st_mtime_ns)
    if kind in ("http", "https"):
        return _http_info(path)
    fs, inner = _filesystem(path)
    if fs is not None:
        import pyarrow.fs as pafs

        fi = fs.get_file_info(inner)
        if fi.type != pafs.FileType.File:
            raise FileNotFoundError(path)
        return fi.size, str(fi.mtime_ns or "")
    import fsspec

    fs_, inner = fsspec.core.url_to_fs(path)
    d = fs_.info(inner)
    return int(d.get("size") or 0), str(d.get("ETag") or d.get("etag") or d.get("mtime") or d.get("LastModified") or "")


def size(path: str) -> int:
    return info(path)[0] if is_url(path) else os.path.getsize(path)


def list_files(url: str) -> list[tuple[str, int, str]]:
    """(url, size, version) of every file under the remote folder `url` (s3://, gs://, fsspec), sorted."""
    fs, inner = _filesystem(url)
    if fs is not None:
        import pyarrow.fs as pafs

        root = url.split("://", 1)[0] + "://"
        infos = fs.get_file_info(pafs.FileSelector(inner.rstrip("/"), recursive=True, allow_not_found=True))
        return sorted((root + f.path, f.size, str(f.mtime_ns or "")) for f in infos if f.type == pafs.FileType.File)
    if scheme(url) in ("http", "https"):
        return []
    import fsspec

    fs_, inner = fsspec.core.url_to_fs(url)
    out = []
    for p, d in fs_.find(inner, detail=True).items():
        out.append((fs_.unstrip_protocol(p), int(d.get("size") or 0), str(d.get("ETag") or d.get("mtime") or "")))
    return sorted(out)


# How long pyarrow's GCS client retries a request that fails for want of a network or a credential
# before it gives up (its own default is 15 minutes: an offline `--input gs://...` looked hung).
GCS_RETRY_S = 60


@functools.cache
def _arrow_fs(kind: str, netloc_hint: str):
    import pyarrow.fs as pafs

    from fruitstand.io import cloudfs

    cloudfs.load()  # from_uri knows a scheme only once its library is loaded (a worker defers them)

    if kind in ("gs", "gcs"):
        emulator = os.environ.get("STORAGE_EMULATOR_HOST")
        if emulator:  # a GCS emulator takes no credentials (and none is looked for: no metadata server)
            import datetime

            scheme_, _, host = emulator.rpartition("://")
            return pafs.GcsFileSystem(anonymous=True, endpoint_override=host.rstrip("/"), scheme=scheme_ or "http",
                                      retry_time_limit=datetime.timedelta(seconds=GCS_RETRY_S))
        return pafs.FileSystem.from_uri(f"{kind}://{netloc_hint}?retry_limit_seconds={GCS_RETRY_S}")[0]
    return pafs.FileSystem.from_uri(f"{kind}://{netloc_hint}")[0]


def _filesystem(url: str):
    """(pyarrow filesystem, path inside it) for the schemes pyarrow serves itself, else (None, url)."""
    kind = scheme(url)
    if kind not in ("s3", "gs", "gcs", "hdfs"):
        return None, url
    rest = url.split("://", 1)[1]
    bucket = rest.split("/", 1)[0]
    try:
        fs = _arrow_fs(kind, bucket)
    except (ImportError, NotImplementedError, ValueError):  # pyarrow built without it, or a URI it can't
        return None, url  # parse: fsspec may serve it
    # Any other error (S3 asks for the bucket's region here: no network, a wrong name, no credentials)
    # is the caller's to report: an OSError, as the requests that follow raise.
    return fs, rest


def missing_bucket(url: str) -> str | None:
    """The bucket of an s3:// or gs:// URL when the store says there is no such bucket (or none these
    credentials may see), else None (other schemes are not asked)."""
    fs, inner = _filesystem(url)
    if fs is None:
        return None
    import pyarrow.fs as pafs

    bucket = inner.split("/", 1)[0]
    return bucket if fs.get_file_info(bucket).type == pafs.FileType.NotFound else None


def reason(url: str, exc: BaseException, limit: int = 300) -> str:
    """The store's own first line for an error at `url`, cut short."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.removeprefix(f"{url}: ")  # the HTTP reader names the URL itself
    return text if len(text) <= limit else text[:limit] + "..."


def unreachable(url: str, exc: BaseException) -> str:
    """One line for an input or output that could not be reached."""
    return f"can't reach {url}: {reason(url, exc)} (check the network, the URL and the credentials)"


class _ArrowFile(io.RawIOBase):
    """A pyarrow RandomAccessFile (or an fsspec file) as a raw Python stream (for io.BufferedReader)."""

    def __init__(self, f):
        self._f = f

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def known_size(self) -> int | None:
        size = getattr(self._f, "size", None)
        return size() if callable(size) else size

    def readinto(self, buf) -> int:
        data = self._f.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def close(self) -> None:
        self._f.close()
        super().close()


def _request(url: str, method: str = "GET", headers: dict[str, str] | None = None):
    import urllib.request  # here, not at the top: it loads ssl (~8 MB in every process)

    req = urllib.request.Request(url, method=method, headers={"User-Agent": "fruitstand", **(headers or {})})
    return urllib.request.urlopen(req, timeout=60)


def _http_info(url: str) -> tuple[int, str]:
    for attempt in range(_RETRIES):
        try:
            with _request(url, "HEAD") as resp:
                length = resp.headers.get("Content-Length")
                version = resp.headers.get("ETag") or resp.headers.get("Last-Modified") or ""
                return int(length) if length is not None else -1, version
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                raise FileNotFoundError(url) from None
            if exc.code < 500 or attempt == _RETRIES - 1:
                raise OSError(f"{url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == _RETRIES - 1:
                raise OSError(f"{url}: {exc}") from None
        time.sleep(0.5 * 2**attempt)
    raise OSError(url)  # pragma: no cover


class _HTTPFile(io.RawIOBase):
    """A file served over HTTP, read with range requests: seekable, resumed after a broken connection."""

    def __init__(self, url: str):
        self.url = url
        self._pos = 0
        self._resp = None
        self._size: int | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def known_size(self) -> int | None:
        return self._size  # from a response already read: no request for it

    def _length(self) -> int:
        if self._size is None:
            self._size = _http_info(self.url)[0]
        return self._size

    def seek(self, offset: int, whence: int = 0) -> int:
        pos = offset if whence == 0 else self._pos + offset if whence == 1 else self._length() + offset
        if pos != self._pos:
            self._drop()
            self._pos = max(0, pos)
        return self._pos

    def _drop(self) -> None:
        if self._resp is not None:
            self._resp.close()
            self._resp = None

    def _open(self) -> bool:
        """Start a request at the position; False at the end of the file."""
        try:
            resp = _request(self.url, headers={"Range": f"bytes={self._pos}-"})
        except urllib.error.HTTPError as exc:
            if exc.code == 416:  # past the end
                return False
            if exc.code in (404, 410):
                raise FileNotFoundError(self.url) from None
            raise
        if resp.status == 200 and self._pos > 0:  # the server ignored the range: read up to it
            left = self._pos
            while left:
                chunk = resp.read(min(left, 1 << 20))
                if not chunk:
                    return False
                left -= len(chunk)
        if self._size is None:
            total = resp.headers.get("Content-Range", "").rpartition("/")[2]
            if total.isdigit():
                self._size = int(total)
            elif resp.status == 200 and resp.headers.get("Content-Length"):
                self._size = int(resp.headers["Content-Length"])
        self._resp = resp
        return True

    def readinto(self, buf) -> int:
        for attempt in range(_RETRIES):
            try:
                if self._resp is None and not self._open():
                    return 0
                n = self._resp.readinto(buf)
                if n == 0 and self._size is not None and self._pos < self._size:
                    raise ConnectionError("connection closed early")
                self._pos += n
                return n
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                if isinstance(exc, FileNotFoundError):
                    raise
                self._drop()
                if attempt == _RETRIES - 1:
                    raise OSError(f"{self.url}: {exc}") from None
                time.sleep(0.5 * 2**attempt)
        return 0  # pragma: no cover

    def close(self) -> None:
        self._drop()
        super().close()


# --- writing to object storage ----------------------------------------------------------------
# An object store has no rename: an object is written whole, from a finished local file, and
# appears only once its upload completes (an S3 multipart upload cut short leaves no object).


def writable(url: str) -> bool:
    return scheme(url) not in ("http", "https")


def upload(local: str | os.PathLike, url: str) -> None:
    """Copy the finished local file to `url`; the object appears whole or not at all."""
    fs, inner = _filesystem(url)
    with open(local, "rb") as src:
        if fs is not None:
            # compression=None: pyarrow's streams otherwise compress by the name (a `.jsonl.zst`
            # shard would be published inside a second zstd frame); the bytes go as they are.
            with fs.open_output_stream(inner, compression=None) as dst:
                while chunk := src.read(8 << 20):
                    dst.write(chunk)
            return
        import fsspec

        with fsspec.open(url, "wb") as dst:
            while chunk := src.read(8 << 20):
                dst.write(chunk)


def read_bytes(url: str) -> bytes:
    with open_input(url) as fh:
        return fh.read()


def delete(url: str) -> None:
    """Remove the object or the whole prefix at `url`, if any."""
    fs, inner = _filesystem(url)
    if fs is not None:
        import pyarrow.fs as pafs

        fi = fs.get_file_info(inner)
        if fi.type == pafs.FileType.File:
            fs.delete_file(inner)
        elif fi.type == pafs.FileType.Directory:
            fs.delete_dir(inner)
        return
    import fsspec

    fs_, inner = fsspec.core.url_to_fs(url)
    if fs_.exists(inner):
        fs_.rm(inner, recursive=True)


def download(url: str, local: str | os.PathLike) -> None:
    """Copy the object at `url` to the local file `local`, which appears whole or not at all
    (written under a temporary name beside it, then moved); FileNotFoundError if there is none."""
    import secrets

    local = os.fspath(local)
    tmp = os.path.join(os.path.dirname(local), f".{os.path.basename(local)}.dl{os.getpid()}-{secrets.token_hex(4)}")
    fs, inner = _filesystem(url)
    try:
        with open(tmp, "wb") as dst:
            if fs is not None:
                import pyarrow.fs as pafs

                if fs.get_file_info(inner).type != pafs.FileType.File:
                    raise FileNotFoundError(url)
                with fs.open_input_stream(inner, compression=None) as src:  # as written: see upload
                    while chunk := src.read(8 << 20):
                        dst.write(chunk)
            else:
                import fsspec

                with fsspec.open(url, "rb") as src:
                    while chunk := src.read(8 << 20):
                        dst.write(chunk)
        os.replace(tmp, local)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
