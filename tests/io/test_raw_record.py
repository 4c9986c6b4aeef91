"""The raw-record seam: repeated HTTP headers kept, WARC headers carried, the raw record kept
for the steps that declare `reads_raw` and dropped after the last of them."""

from __future__ import annotations

import io
import json

import pytest
import zstandard
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import fruitstand
from fruitstand import Recipe, RecipeError
from fruitstand.document import header_values
from fruitstand.step import raw_until
from tests.io.build import html_records

LINK = '<https://creativecommons.org/licenses/by-sa/4.0/>; rel="license"'


def warc_with_repeats(shared, path, n=3):
    """Real pages (articles-61) re-written with repeated X-Robots-Tag and Link headers."""
    pages = html_records(shared / "warc" / "articles-61.warc.gz", n)
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, body, _ in pages:
            http = StatusAndHeaders("200 OK", [
                ("Content-Type", "text/html; charset=utf-8"), ("X-Robots-Tag", "noai"),
                ("Link", '<https://example.org/style.css>; rel="preload"'),
                ("X-Robots-Tag", "GPTBot: noindex"), ("Link", LINK)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          length=len(body), http_headers=http))
    return pages


def test_repeated_http_headers_kept_in_order_and_no_fake_charset(shared, tmp_path):
    pages = warc_with_repeats(shared, tmp_path / "p.warc.gz")
    docs = list(fruitstand.read(tmp_path / "p.warc.gz"))
    assert len(docs) == len(pages)
    for doc, (url, body, _) in zip(docs, pages):
        assert doc.html == body
        assert header_values(doc.http_headers, "x-robots-tag") == ["noai", "GPTBot: noindex"]
        assert header_values(doc.http_headers, "LINK")[1] == LINK
        assert not any(k.startswith("_") for k, _ in doc.http_headers)
        assert header_values(doc.warc_headers, "WARC-Target-URI") == [url]
        assert header_values(doc.warc_headers, "WARC-Type") == ["response"]


def test_arc_records_carry_both_header_lists(shared):
    doc = next(fruitstand.read(shared / "warc" / "aut-example.arc.gz"))
    assert header_values(doc.http_headers, "content-type") and header_values(doc.warc_headers, "WARC-Target-URI")


def test_charset_still_read_from_content_type(shared):
    """Without the fake `_charset` header the page's encoding comes from Content-Type itself."""
    from fruitstand.extract.decode import decode_html

    text = "Ceci est écrit en français, déjà."
    html = f"<html><body><p>{text}</p></body></html>".encode("cp1252")
    assert text in decode_html(html, [("Content-Type", "text/html; charset=windows-1252")])


STEPS = ["extract", "tests.io.raw_steps:ReadsRaw", "tests.io.raw_steps:After"]


def test_raw_until_is_the_last_step_that_reads_it():
    steps = Recipe([{"kind": k} for k in STEPS]).validate({"warc"})
    assert raw_until(steps) == 1
    steps = Recipe([{"kind": k} for k in ("extract", "tests.io.raw_steps:After")]).validate({"warc"})
    assert raw_until(steps) == 0
    assert raw_until(Recipe([{"kind": "tests.io.raw_steps:After"}]).validate({"jsonl"})) == -1


def test_raw_step_after_a_whole_corpus_step_is_refused_in_one_line():
    recipe = Recipe([{"kind": "extract"}, {"kind": "exact_dedup"}, {"kind": "tests.io.raw_steps:ReadsRaw"}])
    with pytest.raises(RecipeError) as err:
        recipe.validate({"warc"})
    msg = str(err.value)
    assert "\n" not in msg and "move 'tests.io.raw_steps:ReadsRaw' before 'exact_dedup'" in msg
    # before the dedup it is fine
    Recipe([{"kind": "extract"}, {"kind": "tests.io.raw_steps:ReadsRaw"}, {"kind": "exact_dedup"}]).validate({"warc"})


@pytest.mark.parametrize("workers", [0, 1])
def test_raw_record_lives_until_its_last_reader_then_is_dropped(shared, tmp_path, workers):
    pages = warc_with_repeats(shared, tmp_path / "p.warc.gz")
    recipe = [{"kind": "extract"}, {"kind": "tests.io.raw_steps:After"}, {"kind": "tests.io.raw_steps:ReadsRaw"},
              {"kind": "tests.io.raw_steps:After"}, {"kind": "exact_dedup"}]
    out = tmp_path / "out"
    fruitstand.run(recipe, inputs=[tmp_path / "p.warc.gz"], output=out, workers=workers, format="jsonl")
    rows = [json.loads(line) for f in sorted((out / "data").glob("*.jsonl.zst"))
            for line in zstandard.ZstdDecompressor().decompress(f.read_bytes(), max_output_size=1 << 26).splitlines()]
    assert len(rows) == len(pages)
    by_url = {u: b for u, b, _ in pages}
    for row in rows:
        assert row["seen_html_bytes"] == len(by_url[row["url"]])  # after extract, still there
        assert row["seen_robots_tags"] == "noai|GPTBot: noindex"
        assert row["seen_warc_uri"] == row["url"]
        assert row["raw_left"] == 0  # the second After ran after ReadsRaw: dropped by then
        assert not any(k in row for k in ("html", "http_headers", "warc_headers"))
    assert not list((out / ".fruitstand").rglob("*html*"))
