"""Inputs over HTTP (nginx, real range requests), S3 (moto's server) and GCS (gcp-storage-emulator) give the
same bytes as local files; outputs on S3 and GCS are published whole."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

import fruitstand
from fruitstand.io import fs
from tests.conftest import tree_digest, without_timings
from tests.io.servers import free_port, moto_env, start_gcs, start_moto, start_nginx, stop

EXTRACT = Path(__file__).resolve().parents[1] / "execute" / "extract.toml"
RANGED = ["articles-61.warc.gz", "aut-example.warc.gz"]  # gzipped per record: cut into byte ranges
SMALL = ["sample-0000.warc.gz", "sample-0001.warc.gz", "resiliparse-warcfile.warc.gz"]


@pytest.fixture(scope="module")
def http(shared, tmp_path_factory):
    """nginx serving ../shared/data and a warc.paths.gz listing three WARCs relative to its root."""
    root = tmp_path_factory.mktemp("www")
    (root / "warc").symlink_to(shared / "warc")
    lines = "".join(f"warc/{w}\n" for w in SMALL)
    (root / "warc.paths.gz").write_bytes(gzip.compress(lines.encode(), mtime=0))
    base, log, proc = start_nginx(root, tmp_path_factory.mktemp("nginx"))
    yield base, log
    stop(proc)


@pytest.fixture(scope="module")
def s3(shared, tmp_path_factory):
    endpoint, proc = start_moto(tmp_path_factory.mktemp("moto"))
    env = moto_env(endpoint)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket="crawl")
        for w in SMALL:
            client.upload_file(str(shared / "warc" / w), "crawl", f"warc/{w}")
        yield "s3://crawl/warc/"
    stop(proc)


@pytest.fixture(scope="module")
def gcs(shared, tmp_path_factory):
    """A GCS JSON-API server with bucket `crawl` holding RANGED under warc/, reached by pyarrow's own GCS
    client through STORAGE_EMULATOR_HOST, which the run's worker processes inherit."""
    import pyarrow.fs as pafs

    host, proc = start_gcs(tmp_path_factory.mktemp("gcs"), "crawl")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORAGE_EMULATOR_HOST", host)
        fs._arrow_fs.cache_clear()
        client = pafs.GcsFileSystem(anonymous=True, endpoint_override=host.removeprefix("http://"), scheme="http")
        for w in RANGED:
            with client.open_output_stream(f"crawl/warc/{w}", compression=None) as f:
                f.write((shared / "warc" / w).read_bytes())
        yield client
    fs._arrow_fs.cache_clear()
    stop(proc)


def test_gcs_inputs_cut_into_ranges_and_output_published(shared, gcs, tmp_path):
    """Listing, ranged reads from two worker processes and an output published object by object, all
    through pyarrow's GCS client talking to a GCS server: the local run's tasks, reads and bytes. The
    shards are JSONL (`.jsonl.zst`): pyarrow's streams compress and decompress by the file name unless
    told not to, which would publish a second zstd layer around each shard."""
    import pyarrow.fs as pafs

    local = fruitstand.run(EXTRACT, inputs=[shared / "warc" / w for w in RANGED], output=tmp_path / "local",
                           workers=2, split_mb=0.5, format="jsonl")
    m = fruitstand.run(EXTRACT, inputs=["gs://crawl/warc/"], output="gs://crawl/out/run1/", workers=2,
                       split_mb=0.5, staging=tmp_path / "st", format="jsonl")
    assert m["tasks"] == local["tasks"] > len(RANGED)  # the files were cut into byte ranges
    assert without_timings(m["read"]) == without_timings(local["read"])
    assert without_timings(m["steps"]) == without_timings(local["steps"])
    assert m["output"] == local["output"] and m["output"]["documents"] > 0
    published = sorted(i.path for i in gcs.get_file_info(pafs.FileSelector("crawl/out/run1", recursive=True))
                       if i.type == pafs.FileType.File)
    assert "crawl/out/run1/manifest.json" in published
    assert all(f.endswith(".jsonl.zst") for f in local["output"]["files"])
    for f in local["output"]["files"]:
        with gcs.open_input_file(f"crawl/out/run1/{f}") as got:
            assert got.read() == (tmp_path / "local" / f).read_bytes(), f
    # and read back through fruitstand's own download, as a resumed or repeated run does
    fs.download(f"gs://crawl/out/run1/{f}", tmp_path / "back")
    assert (tmp_path / "back").read_bytes() == (tmp_path / "local" / f).read_bytes()


def test_http_byte_ranges_match_local_files(shared, http, tmp_path):
    base, log = http
    local = fruitstand.run(EXTRACT, inputs=[shared / "warc" / w for w in RANGED], output=tmp_path / "local",
                           workers=2, split_mb=0.5)
    remote = fruitstand.run(EXTRACT, inputs=[f"{base}/warc/{w}" for w in RANGED], output=tmp_path / "http",
                            workers=2, split_mb=0.5)
    assert remote["tasks"] == local["tasks"] > len(RANGED)  # the files were cut into ranges
    assert tree_digest(tmp_path / "http" / "data") == tree_digest(tmp_path / "local" / "data")
    assert without_timings(remote["read"]) == without_timings(local["read"])
    assert without_timings(remote["steps"]) == without_timings(local["steps"])
    assert [i["size"] for i in remote["inputs"]] == [i["size"] for i in local["inputs"]]
    # Cut into ranges, no task reads a file whole: not hashed (no second download), its version kept.
    assert all(i["sha256"] is None and i["version"] for i in remote["inputs"])
    statuses = [line.split('"')[2].split()[0] for line in log.read_text().splitlines()]
    assert statuses.count("206") >= remote["tasks"]  # real range requests, one or more per task


def test_a_paths_list_with_limit(shared, http, tmp_path):
    base, _ = http
    m = fruitstand.run(EXTRACT, inputs=[f"{base}/warc.paths.gz"], output=tmp_path / "o", workers=2, limit=2)
    assert [i["name"] for i in m["inputs"]] == [f"warc/{w}" for w in SMALL[:2]]
    ref = fruitstand.run(EXTRACT, inputs=[shared / "warc" / w for w in SMALL[:2]], output=tmp_path / "ref",
                         workers=2, split_mb=1024)
    assert m["output"]["documents"] == ref["output"]["documents"] > 0
    assert without_timings(m["read"]) == without_timings(ref["read"])
    # The same documents; `source` names the listed path, so compare what else is in the shards.
    import pyarrow.parquet as pq

    a = pq.read_table(tmp_path / "o" / "data").drop_columns(["source"])
    b = pq.read_table(tmp_path / "ref" / "data").drop_columns(["source"])
    assert a.equals(b)


def test_s3_folder_with_default_recipe_matches_local(shared, s3, tmp_path):
    assert [u for u, _, _ in fs.list_files(s3)] == [s3 + w for w in sorted(SMALL)]
    local_dir = tmp_path / "in"
    local_dir.mkdir()
    for w in SMALL:
        os.symlink(shared / "warc" / w, local_dir / w)
    local = fruitstand.run(inputs=[local_dir], output=tmp_path / "local", workers=2)
    remote = fruitstand.run(inputs=[s3], output=tmp_path / "s3", workers=2)
    assert tree_digest(tmp_path / "s3" / "data") == tree_digest(tmp_path / "local" / "data")
    assert without_timings(remote["steps"]) == without_timings(local["steps"]) and remote["output"]["documents"] > 0
    # Each file read whole by one task: hashed as it streamed, the same digest as the local file's.
    assert [i["sha256"] for i in remote["inputs"]] == [i["sha256"] for i in local["inputs"]]
    assert all(i["version"] and len(i["sha256"]) == 64 for i in remote["inputs"])


def test_missing_remote_inputs_are_one_line_errors(http, s3, tmp_path):
    base, _ = http
    with pytest.raises(fruitstand.RecipeError, match="input not found"):
        fruitstand.run(inputs=[f"{base}/warc/nothing.warc.gz"], output=tmp_path / "a")
    with pytest.raises(fruitstand.RecipeError, match="no readable files under"):
        fruitstand.run(inputs=["s3://crawl/nothing/"], output=tmp_path / "b")


def test_output_to_s3_is_published_whole_and_resumes(shared, s3, tmp_path, monkeypatch):
    import boto3
    import pyarrow.parquet as pq

    inputs = [shared / "warc" / w for w in SMALL]
    local = fruitstand.run(EXTRACT, inputs=inputs, output=tmp_path / "local", workers=2, shard_size_mb=0.05)
    url = "s3://crawl/out/run1/"
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])

    def keys() -> list[str]:
        return sorted(o["Key"] for o in client.list_objects_v2(Bucket="crawl", Prefix="out/run1/").get("Contents", []))

    # A publish cut short after two objects: no manifest, so the output is not there yet ...
    real, calls = fs.upload, []

    def flaky(local_path, target):
        calls.append(target)
        if len(calls) > 2:
            raise ConnectionError("network gone")
        real(local_path, target)

    monkeypatch.setattr(fs, "upload", flaky)
    with pytest.raises(fruitstand.RecipeError, match=r"^publishing to s3://crawl/out/run1/ stopped: network gone; "
                       r"the run is complete in .*: run the same command again to finish publishing$"):
        fruitstand.run(EXTRACT, inputs=inputs, output=url, workers=2, shard_size_mb=0.05, staging=tmp_path / "st")
    assert len(keys()) == 2 and "out/run1/manifest.json" not in keys()
    monkeypatch.setattr(fs, "upload", real)
    # ... and the same command again publishes the rest, the manifest last.
    m = fruitstand.run(EXTRACT, inputs=inputs, output=url, workers=2, shard_size_mb=0.05, staging=tmp_path / "st")
    report = [f for f in ("report.html", "README.md") if (tmp_path / "local" / f).exists()]
    assert report == ["report.html", "README.md"]  # the report and the dataset card are published with the data
    side = [f for files in local["side_outputs"].values() for f in files]
    assert side  # the report's sampled documents (samples/), published as side outputs are
    assert keys() == sorted(["out/run1/manifest.json",
                             *(f"out/run1/{f}" for f in [*local["output"]["files"], *side, *report])])
    for f in [*local["output"]["files"], *side]:
        body = client.get_object(Bucket="crawl", Key=f"out/run1/{f}")["Body"].read()
        assert body == (tmp_path / "local" / f).read_bytes(), f
    assert m["output"] == local["output"]
    assert not (tmp_path / "st" / "data").exists()  # the published copy is the output
    table = pq.read_table("crawl/out/run1/data", filesystem=fs._filesystem("s3://crawl/")[0])
    assert table.num_rows == local["output"]["documents"]
    # The same command again finds the published run; another recipe is refused without --overwrite.
    again = fruitstand.run(EXTRACT, inputs=inputs, output=url, workers=2, shard_size_mb=0.05, staging=tmp_path / "x")
    assert again == m and not (tmp_path / "x").exists()
    with pytest.raises(fruitstand.RecipeError, match="another recipe or input"):
        fruitstand.run(EXTRACT, inputs=inputs[:1], output=url, workers=1, staging=tmp_path / "y")


@pytest.fixture
def fake_stores(shared, monkeypatch):
    """gs:// and hf:// served from memory: an fsspec filesystem registered for `hf`, and the same behind
    pyarrow's filesystem interface for `gs` (where io/fs.py asks pyarrow). No Google or Hugging Face
    server is reached: what this checks is that the URLs reach a filesystem with the right paths (GCS
    against a server: test_gcs_inputs_cut_into_ranges_and_output_published; no Hub server runs offline)."""
    import sys

    import pyarrow.fs as pafs
    from fsspec.implementations.memory import MemoryFileSystem

    class FakeHub(MemoryFileSystem):
        protocol = ("hf",)
        store: dict = {}
        pseudo_dirs = [""]

        @classmethod
        def _strip_protocol(cls, path):
            return super()._strip_protocol(str(path).removeprefix("hf://"))

    class FakeGcs(MemoryFileSystem):
        protocol = ("gs",)
        store: dict = {}
        pseudo_dirs = [""]

    hub, gcs = FakeHub(), FakeGcs()
    for w in SMALL[:2]:
        data = (shared / "warc" / w).read_bytes()
        hub.pipe(f"datasets/someone/crawl/warc/{w}", data)
        gcs.pipe(f"bucket/warc/{w}", data)
    monkeypatch.setitem(sys.modules["fsspec.registry"]._registry, "hf", FakeHub)
    class Handler(pafs.FSSpecHandler):  # paths as pyarrow's GCS gives them: "bucket/key", no leading "/"
        def get_file_info_selector(self, selector):
            infos = super().get_file_info_selector(selector)
            return [pafs.FileInfo(i.path.lstrip("/"), i.type, size=i.size, mtime=i.mtime) for i in infos]

    monkeypatch.setattr(fs, "_arrow_fs", lambda kind, bucket: pafs.PyFileSystem(Handler(gcs)))
    return hub, gcs


def test_gs_and_hf_urls_reach_their_filesystems(shared, fake_stores, tmp_path):
    """In-process (workers=0): the fake filesystems live in this process only."""
    local = fruitstand.run(EXTRACT, inputs=[shared / "warc" / w for w in SMALL[:2]], output=tmp_path / "local",
                           workers=0)
    assert [u for u, _, _ in fs.list_files("gs://bucket/warc/")] == [f"gs://bucket/warc/{w}" for w in SMALL[:2]]
    hub_urls = [f"hf://datasets/someone/crawl/warc/{w}" for w in SMALL[:2]]
    for name, inputs in (("gs", ["gs://bucket/warc/"]), ("hf", hub_urls)):
        m = fruitstand.run(EXTRACT, inputs=inputs, output=tmp_path / name, workers=0)
        assert tree_digest(tmp_path / name / "data") == tree_digest(tmp_path / "local" / "data"), name
        assert without_timings(m["read"]) == without_timings(local["read"])
        assert [i["sha256"] for i in m["inputs"]] == [i["sha256"] for i in local["inputs"]], name


def test_an_output_on_the_hub_is_published_through_fsspec(shared, fake_stores, tmp_path):
    """`--output hf://datasets/...`: the shards, side outputs and report go up object by object through
    fsspec (HfFileSystem in real use; the in-memory fake here), the manifest last, the bytes as written."""
    hub, _ = fake_stores
    inputs = [shared / "warc" / w for w in SMALL[:2]]
    local = fruitstand.run(EXTRACT, inputs=inputs, output=tmp_path / "local", workers=0, format="jsonl")
    url = "hf://datasets/someone/cleaned/"
    m = fruitstand.run(EXTRACT, inputs=inputs, output=url, workers=0, format="jsonl", staging=tmp_path / "st")
    assert m["output"] == local["output"] and m["output"]["documents"] > 0
    for f in local["output"]["files"]:
        assert hub.cat(f"datasets/someone/cleaned/{f}") == (tmp_path / "local" / f).read_bytes(), f
    assert hub.exists("datasets/someone/cleaned/manifest.json")
    # the same command again finds the published run instead of running it again
    assert fruitstand.run(EXTRACT, inputs=inputs, output=url, workers=0, format="jsonl",
                          staging=tmp_path / "again") == m


@pytest.mark.slow
def test_an_unreachable_store_is_a_one_line_error_in_bounded_time(shared, tmp_path, monkeypatch):
    """No server behind the endpoint (as offline, or with a wrong endpoint): a one-line error that says
    what to check, after the retries; GCS's retry limit is fruitstand's (its own default is 15 minutes,
    which looked hung), cut to 2 s here, as HTTP's five tries are to two."""
    import time

    closed = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setattr(fs, "GCS_RETRY_S", 2)
    monkeypatch.setattr(fs, "_RETRIES", 2)  # HTTP: two tries, not five (0.5 s apart)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", closed)
    for k, v in moto_env(closed).items():
        monkeypatch.setenv(k, v)
    fs._arrow_fs.cache_clear()
    try:
        for url in ("gs://crawl/warc/", "s3://crawl/warc/", "s3://crawl/warc/one.warc.gz",
                    f"{closed}/warc.paths.gz", f"{closed}/warc/one.warc.gz"):
            start = time.monotonic()
            with pytest.raises(fruitstand.RecipeError) as err:
                fruitstand.run(EXTRACT, inputs=[url], output=tmp_path / "out", workers=0)
            message = str(err.value)
            assert message.startswith(f"can't reach {url}: ") and "\n" not in message, message
            assert message.endswith("(check the network, the URL and the credentials)"), message
            assert time.monotonic() - start < 60, url
        for url in ("gs://crawl/out/", "s3://crawl/out/"):  # an output is checked before any work
            with pytest.raises(fruitstand.RecipeError, match=rf"^--output can't reach {url}: .*credentials\)$"):
                fruitstand.run(EXTRACT, inputs=[shared / "warc" / SMALL[0]], output=url, workers=0,
                               staging=tmp_path / url[:2])
            assert not (tmp_path / url[:2]).exists() or not any((tmp_path / url[:2]).rglob("*.parquet"))
    finally:
        fs._arrow_fs.cache_clear()


def test_an_output_bucket_that_does_not_exist_is_refused_before_any_work(shared, s3, tmp_path):
    with pytest.raises(fruitstand.RecipeError, match=r"^--output s3://nobucket/out/: there is no bucket 'nobucket'"):
        fruitstand.run(EXTRACT, inputs=[shared / "warc" / SMALL[0]], output="s3://nobucket/out/", workers=0,
                       staging=tmp_path / "st")
    assert not (tmp_path / "st").exists()  # refused before the run claimed its staging folder
