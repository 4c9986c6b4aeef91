"""Through the CLI: a WARC of pages and a WARC of robots.txt captures (real robots.txt files,
written with warcio as Common Crawl's robots.txt WARCs are) drop exactly the disallowed pages;
the default recipe's licence and opt-out fields reach the output."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.io.build import html_records

# host -> (robots.txt capture: status and real file from ../shared/data/robots/protego, or None for
# no capture), and whether its pages are reserved from AI training crawlers (read by hand).
HOSTS = {
    "ballotpedia.org": ((200, "ballotpedia.org"), True),  # User-agent: CCBot / Disallow: /
    "www.who.int": ((200, "www.who.int"), True),  # User-agent: CCBot / Disallow:/
    "www.nngroup.com": ((200, "www.nngroup.com"), True),
    "9gag.com": ((200, "9gag.com"), False),  # rules for * and Mediapartners-Google only
    "10times.com": ((200, "10times.com"), False),  # the same
    "gone.example": ((404, None), False),  # no robots.txt: all allowed
    "down.example": ((503, None), True),  # unreachable: complete disallow (RFC 9309 2.3.1.4)
    "nocapture.example": (None, False),
}
PATHS = ["/search?query=cats", "/wiki/Main_Page"]


def write_records(path, records):
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, status, body, ctype in records:
            http = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          length=len(body), http_headers=http))


def build(shared, tmp_path):
    pages = html_records(shared / "warc" / "articles-61.warc.gz", 2 * len(HOSTS))
    records, expected_kept = [], set()
    for i, (host, (_, reserved)) in enumerate(HOSTS.items()):
        for j, path in enumerate(PATHS):
            url = f"https://{host}{path}"
            records.append((url, "200 OK", pages[2 * i + j][1], "text/html; charset=utf-8"))
            if not reserved:
                expected_kept.add(url)
    write_records(tmp_path / "pages.warc.gz", records)
    robots = []
    for host, (capture, _) in HOSTS.items():
        if capture is None:
            continue
        status, name = capture
        body = (shared / "robots" / "protego" / name).read_bytes() if name else b"error"
        robots.append((f"http://{host}/robots.txt", f"{status} X", body, "text/plain"))
    write_records(tmp_path / "robots.warc.gz", robots)
    return expected_kept


def run_cli(tmp_path, recipe: str, out: str):
    (tmp_path / f"{out}.toml").write_text(recipe)
    proc = subprocess.run([sys.executable, "-m", "fruitstand", "run", str(tmp_path / f"{out}.toml"), "--quiet",
                           "--input", str(tmp_path / "pages.warc.gz"), "--output", str(tmp_path / out), "--workers", "1"],
                          capture_output=True, text=True, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    manifest = json.loads((tmp_path / out / "manifest.json").read_text())
    return pq.read_table(tmp_path / out / "data").to_pylist(), manifest


def test_robots_warc_drops_exactly_the_disallowed_pages(shared, tmp_path):
    expected = build(shared, tmp_path)
    recipe = f'[[step]]\nkind = "opt_out"\nrobots = "{tmp_path / "robots.warc.gz"}"\n\n[[step]]\nkind = "extract"\n'
    rows, m = run_cli(tmp_path, recipe, "out")
    assert {r["url"] for r in rows} == expected
    opt_out = m["steps"][0]
    assert opt_out["kind"] == "opt_out" and opt_out["dropped"] == {"opt_out:robots.txt": 2 * len(HOSTS) - len(expected)}
    # with star = true the `*` rules count too: 9gag.com disallows /search to every bot
    star = recipe.replace('robots = ', 'star = true\nrobots = ')
    rows, _ = run_cli(tmp_path, star, "star")
    assert {r["url"] for r in rows} == expected - {"https://9gag.com/search?query=cats"}


def test_default_recipe_writes_license_fields(shared, tmp_path):
    """The default recipe's first steps (opt_out first, license after extract) on real pages:
    Wikipedia's licence found, the news pages' null, nothing reserved."""
    from fruitstand import Recipe

    head = Recipe.default().steps[:3]
    assert [s["kind"] for s in head] == ["opt_out", "extract", "license"]
    pages = html_records(shared / "warc" / "articles-61.warc.gz", 6)
    wiki = (shared / "html" / "readability" / "wikipedia-4" / "source.html.gz").read_bytes()
    import gzip

    records = [(u, "200 OK", b, "text/html; charset=utf-8") for u, b, _ in pages]
    records.append(("https://en.wikipedia.org/wiki/Mozilla", "200 OK", gzip.decompress(wiki), "text/html; charset=utf-8"))
    write_records(tmp_path / "pages.warc.gz", records)
    rows, m = run_cli(tmp_path, "".join(f'[[step]]\nkind = "{s["kind"]}"\n\n' for s in head), "d")
    assert m["steps"][0]["dropped"] == {} and len(rows) == len(records)
    rows = {r["url"]: r for r in rows}
    wiki_row = rows["https://en.wikipedia.org/wiki/Mozilla"]
    assert (wiki_row["license"], wiki_row["license_source"]) == ("CC-BY-SA-4.0", "footer")
    assert all(r["license"] is None for u, r in rows.items() if u != "https://en.wikipedia.org/wiki/Mozilla")


def test_capture_index_is_cached_and_reads_like_fastwarc(shared, tmp_path, monkeypatch):
    """The robots WARC's index is saved in the user's cache folder and loaded by the next
    process; a capture read from its gzip member equals fastwarc's reading of the record."""
    from fastwarc.warc import ArchiveIterator

    from fruitstand.rights.captures import CaptureIndex

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    build(shared, tmp_path)
    first = CaptureIndex(tmp_path / "robots.warc.gz", lambda cap: cap)
    assert len(list((tmp_path / "cache" / "fruitstand" / "captures").glob("*.npz"))) == 1
    again = CaptureIndex(tmp_path / "robots.warc.gz", lambda cap: cap)
    assert (again._hashes == first._hashes).all() and (again._offset_of == first._offset_of).all()
    with open(tmp_path / "robots.warc.gz", "rb") as fh:
        for rec in ArchiveIterator(fh, parse_http=True):
            host = rec.headers.get("WARC-Target-URI").split("/")[2]
            cap = again.get(host)
            assert (cap.status, cap.body) == (rec.http_headers.status_code, rec.reader.read())
    assert again.get("nocapture.example") is None
