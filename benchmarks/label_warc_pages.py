"""The hand-labelling view behind benchmarks/data/warc-pages (its README.md says the protocol).

A page's record (as `fruitstand.io.archives.read_warc` hands it to `extract`: chunks and gzip
undone) is decoded to text as `extract` decodes it (`fruitstand.extract.decode.decode_html`: so a
charset mistake there would be shared by the labels and the extractor), then parsed with lxml,
not with fruitstand's or trafilatura's extraction, and every
block-level element's own text becomes one numbered line with the last four elements of its
path (tag, id, classes). A labeller reads these lines and writes down which of them are the
page's main content; the label is those lines, in order, joined by newlines.

    PYTHONPATH=src .venv/bin/python benchmarks/label_warc_pages.py dump WARC RECORD_ID   # the numbered view
    PYTHONPATH=src .venv/bin/python benchmarks/label_warc_pages.py check                  # labels == their lines

`check` rebuilds every stored label from its `lines` and says where one differs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import lxml.html

from extraction_quality import warc_html
from fruitstand.extract.decode import decode_html

LABELS = Path(__file__).resolve().parent / "data" / "warc-pages" / "labels.jsonl.gz"
BLOCK = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table tr td th section article header footer nav aside main "
    "form blockquote pre br hr figure figcaption address center title option select label button".split())
SKIP = frozenset(("script", "style", "noscript", "template", "head"))


def _name(el) -> str:
    name = el.tag
    if el.get("id"):
        name += "#" + el.get("id")[:20]
    if el.get("class"):
        name += "." + ".".join(el.get("class").split())[:30]
    return name


def view(html: bytes) -> list[tuple[str, str]]:
    """(element path, text) per line of the page's labelling view."""
    doc = lxml.html.document_fromstring(decode_html(html).encode(), parser=lxml.html.HTMLParser(encoding="utf-8"))
    lines: list[tuple[str, str]] = []
    pending: list[str] = []

    def flush(path: list[str]) -> None:
        text = " ".join("".join(pending).split())
        pending.clear()
        if text:
            lines.append((">".join(path[-4:]), text))

    def walk(el, path: list[str]) -> None:
        if not isinstance(el.tag, str) or el.tag in SKIP:
            if el.tail:
                pending.append(el.tail)
            return
        mine = [*path, _name(el)]
        if el.tag in BLOCK:
            flush(path)
        if el.text:
            pending.append(el.text)
        for child in el:
            walk(child, mine)
        if el.tag in BLOCK:
            flush(mine)
        if el.tail:
            pending.append(el.tail)

    body = doc.find("body")
    walk(body if body is not None else doc, [])
    return lines


def label_text(lines: list[tuple[str, str]], chosen: list[int]) -> str:
    return "\n".join(lines[i][1] for i in chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("dump")
    one.add_argument("warc")
    one.add_argument("record_id")
    sub.add_parser("check")
    args = parser.parse_args()
    if args.what == "dump":
        for i, (path, text) in enumerate(view(warc_html(args.warc)[args.record_id])):
            print(f"{i:03d} [{path}] {text}")
        return
    labels = [json.loads(line) for line in gzip.open(LABELS, "rt", encoding="utf-8")]
    pages = {warc: warc_html(warc) for warc in {r["warc"] for r in labels}}
    bad = [r["key"] for r in labels if label_text(view(pages[r["warc"]][r["record_id"]]), r["lines"]) != r["text"]]
    print(f"{len(labels)} labels, {len(bad)} differ from their lines" + "".join(f"\n  {k}" for k in bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
