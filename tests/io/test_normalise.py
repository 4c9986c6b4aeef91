"""Text is normalised once, at reading (io/base.py `normalise_text`): a corpus keeps the same
documents whatever its line ends, and control characters never reach a step (issue 13).
"""

from __future__ import annotations

import gzip
import json
import shutil

import pyarrow.parquet as pq

import fruitstand
from fruitstand.io.readers import read

QUALITY = [{"kind": "gopher_repetition"}, {"kind": "gopher_quality"}, {"kind": "c4_quality"},
           {"kind": "fineweb_quality"}]
VARIANTS = {
    "lf": lambda t: t,
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "cr": lambda t: t.replace("\n", "\r"),
    "u2028": lambda t: t.replace("\n", "\u2028"),
    "controls": lambda t: "\ufeff" + t.replace(". ", ".\x00 ", 3).replace("\n", "\x07\n", 2) + "\x1b",
}


def kept(out) -> dict[str, str]:
    table = pq.read_table(out / "data", columns=["id", "text"])
    return dict(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))


def test_line_ends_and_control_characters_do_not_change_what_is_kept(shared, tmp_path):
    with gzip.open(shared / "text" / "bbc-news.jsonl.gz", "rt") as fh:
        recs = [json.loads(next(fh)) for _ in range(100)]
    src = tmp_path / "in"
    src.mkdir()
    for name, change in VARIANTS.items():
        (src / f"{name}.jsonl").write_text("".join(
            json.dumps({"id": f"{name}/{r['id']}", "text": change(r["text"])}) + "\n" for r in recs))
    fruitstand.run(QUALITY, inputs=[src], output=tmp_path / "o", workers=0)
    out = kept(tmp_path / "o")
    base = {k.split("/", 1)[1]: v for k, v in out.items() if k.startswith("lf/")}
    assert 80 <= len(base) < 100  # the filters do drop some: the comparison means something
    for name in VARIANTS:
        got = {k.split("/", 1)[1]: v for k, v in out.items() if k.startswith(f"{name}/")}
        if name == "u2028":  # a line separator is a line end; nothing else differs
            assert got == base
        elif name == "controls":
            assert got.keys() == base.keys()
            assert all(t == base[k].replace(".\x00 ", ". ") for k, t in got.items())
        else:
            assert got == base, name


def test_crlf_urdu_news_files_keep_what_their_lf_copies_keep(shared, tmp_path):
    news = sorted((shared / "urdu-news").glob("*.txt"))[:20]
    assert sum(b"\r\n" in f.read_bytes() for f in news) >= 15  # the corpus as published: Windows line ends
    for f in news:
        shutil.copy(f, tmp_path / f"crlf-{f.name}")
        (tmp_path / f"lf-{f.name}").write_bytes(f.read_bytes().replace(b"\r\n", b"\n"))
    recipe = [{"kind": "langid", "languages": ["urd"]}, *QUALITY]
    fruitstand.run(recipe, inputs=[tmp_path], output=tmp_path / "o", workers=0)
    out = kept(tmp_path / "o")
    lf = {k[3:]: v for k, v in out.items() if k.startswith("lf-")}
    crlf = {k[5:]: v for k, v in out.items() if k.startswith("crlf-")}
    assert len(lf) >= 5 and crlf == lf


def test_normalised_in_every_reader(shared, tmp_path):
    """The same CRLF text through JSONL, Parquet and .txt reads as one LF text."""
    import pyarrow as pa

    text = (shared / "urdu-news" / "test-bus100.txt").read_bytes().decode("utf-8")
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "a", "text": text}) + "\n")
    pq.write_table(pa.table({"id": ["b"], "text": [text]}), tmp_path / "b.parquet")
    (tmp_path / "c.txt").write_text(text, newline="")
    texts = [d.text for d in read(tmp_path)]
    assert len(texts) == 3 and "\r" not in texts[0] and texts[0].strip() == texts[1].strip() == texts[2]
