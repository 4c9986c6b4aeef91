"""`url_filter`: drop documents whose URL is on a blocklist of adult and spam sites, or reads like one.

FineWeb's first filter (Penedo et al. 2024, after RefinedWeb, Penedo et al. 2023, sec. G.1),
as datatrove's URLFilter applies it, here as five rules tried in this order, each its own
drop reason:

- `url_blocked_domain`: the host or any parent domain (`a.b.example.com`, `b.example.com`,
  `example.com`, `com`) is on the domain list: UT1's 4.56 M, plus `extra_domains(_file)`;
- `url_blocked_url`: `host/path`, or a parent path of it at a `/`, is on the URL list
  (UT1's 19.6 k, such as single subreddits or Tumblr posts, plus `extra_urls`);
- `url_banned_word`: a URL token (a run of letters and digits, lower case, after
  percent-decoding) is a hard word (`data/banned_words.txt` plus `extra_words`);
- `url_soft_banned_words`: at least `soft_word_threshold` (2, as FineWeb) different tokens
  are soft words (`data/soft_banned_words.txt` plus `extra_soft_words`);
- `url_banned_subword`: a subword (`data/banned_subwords.txt` plus `extra_subwords`) occurs
  inside a token, for spam host names glued together (`freepornvideos4u`).

A document without a URL passes; one whose host or a parent is in `allow_domains` passes
every rule. Where the lists come from and why the words are these: `data/README.md`.

Unlike datatrove: every parent domain is checked, not only the registered domain that
tldextract finds (which needs the public-suffix list, fetched from the network); UT1's URL
entries have no scheme, so they are matched without it, and by path prefix; the word lists
are our own, checked against 42 languages' vocabularies.

The 4.56 M domains would take 530 MB and 6 s to load as a Python set, in every worker. They
are kept as 64-bit xxh3 hashes, sorted and indexed by their top bits (a static hash table):
about 52 MB, 1-2 us for a host and its parents. Hashing the list takes ~1.5 CPU-s, so the
table is built once per list (keyed by its bytes' hash) into the per-user cache
(`fruitstand.cache`) and memory-mapped by every later process: a few milliseconds to load,
one copy in memory for all the workers of a machine. Two different domains share a hash
with probability ~2.5e-13 per lookup, so a wrong block is not expected in a web crawl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import numpy as np
import xxhash
import zstandard

from fruitstand import params
from fruitstand.cache import mapped_arrays
from fruitstand.document import Document
from fruitstand.registry import RecipeError
from fruitstand.step import Filter

_hash = xxhash.xxh3_64_intdigest
# scheme://user@host:port/path?query#fragment, each part optional but the host.
_URL = re.compile(
    r"\s*<?(?:[A-Za-z][A-Za-z0-9+.-]*://|//)?(?:[^/?#@\s]*@)?(\[[^\]]*\]|[^/?#:\\\s>]*)(?::\d*)?([^?#\s>]*)"
)
_TOKEN_SPLIT = re.compile(r"[\W_]+")
# URL -> tokens at C speed: ASCII letters lowered, other ASCII bytes made spaces, UTF-8 bytes
# of other scripts kept (they were lowered before encoding), then bytes.split().
_TOKEN_BYTES = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else 32 for c in range(256)
)


class DomainHashes:
    """A read-only set of domains stored as sorted 64-bit hashes, bucketed by their top bits."""

    def __init__(self, hashes: np.ndarray) -> None:
        """`hashes`: xxh3 hashes of the domains, in any order; sorted in place."""
        hashes.sort()  # np.unique is 20x slower here (numpy 2.x hashes first)
        if len(hashes) > 1 and (dup := hashes[1:] == hashes[:-1]).any():
            hashes = hashes[np.concatenate(([True], ~dup))]
        bits = max(8, min(30, int(len(hashes)).bit_length() - 1))  # 1-2 hashes per bucket
        buckets = (hashes >> np.uint64(64 - bits)).view(np.int64)
        offsets = np.zeros((1 << bits) + 1, dtype=np.uint32)
        np.cumsum(np.bincount(buckets, minlength=1 << bits), out=offsets[1:])
        self._use(hashes, offsets)

    def _use(self, keys: np.ndarray, offsets: np.ndarray) -> None:
        self.bits = (len(offsets) - 1).bit_length() - 1
        self._shift = 64 - self.bits
        self.arrays = {"keys": keys, "offsets": offsets}
        # memoryviews give Python ints on indexing and slicing, ten times faster than numpy.
        self._keys, self._offsets = memoryview(keys), memoryview(offsets)

    @staticmethod
    def valid(keys: np.ndarray, offsets: np.ndarray) -> bool:
        """Whether (keys, offsets) can be a table: sorted uint64 keys, uint32 offsets per bucket."""
        n = len(offsets) - 1
        return (keys.dtype == np.uint64 and offsets.dtype == np.uint32 and keys.ndim == 1 and n >= 1
                and not n & (n - 1) and int(offsets[0]) == 0 and int(offsets[-1]) == len(keys))

    @classmethod
    def from_arrays(cls, keys: np.ndarray, offsets: np.ndarray) -> DomainHashes:
        """The table `arrays` holds (sorted unique uint64 keys, uint32 bucket offsets), checked."""
        if not cls.valid(keys, offsets):
            raise ValueError("not a DomainHashes table")
        table = cls.__new__(cls)
        table._use(keys, offsets)
        return table

    @classmethod
    def cached(cls, path: Path) -> DomainHashes:
        """`from_zst(path)`, built once per list and cache folder (fruitstand.cache), then
        memory-mapped: milliseconds instead of ~1.5 CPU-s a process, one copy for all workers.
        A damaged table in the cache is built and written again."""
        data = path.read_bytes()
        key = f"v1-{len(data)}-{xxhash.xxh3_128_hexdigest(data)}"
        del data
        arrays = mapped_arrays("url_blocklist", key, ("keys", "offsets"), lambda: cls.from_zst(path).arrays,
                               check=lambda a: cls.valid(a["keys"], a["offsets"]))
        return cls.from_arrays(arrays["keys"], arrays["offsets"])

    @classmethod
    def from_zst(cls, path: Path, chunk: int = 1 << 23) -> DomainHashes:
        """Hash a zstd-compressed one-domain-a-line file chunk by chunk (peak memory ~chunk)."""
        parts, tail = [], b""
        with path.open("rb") as f, zstandard.ZstdDecompressor().stream_reader(f) as reader:
            while data := reader.read(chunk):
                lines = (tail + data).split(b"\n")
                tail = lines.pop()
                parts.append(np.fromiter(map(_hash, filter(None, lines)), dtype=np.uint64))
        parts.append(np.array([_hash(tail)] if tail else [], dtype=np.uint64))
        hashes = np.concatenate(parts)
        del parts
        return cls(hashes)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, domain: str) -> bool:
        return self.any_of([domain])

    def any_of(self, domains: list[str]) -> bool:
        keys, offsets, shift = self._keys, self._offsets, self._shift
        for d in domains:
            h = _hash(d.encode())
            b = h >> shift
            if h in keys[offsets[b] : offsets[b + 1]]:
                return True
        return False


def clean_domain(entry: str) -> str:
    """A user's list entry as the lists store it: `https://www.Example.com/x` -> `example.com`."""
    host, _ = split_url(entry.strip().lower())
    return host.removeprefix("*.").lstrip(".").removeprefix("www.")


def split_url(url: str) -> tuple[str, str]:
    """(host in lower case, punycode for IDNs, no port; path without query or fragment)."""
    m = _URL.match(url)
    host, path = m.group(1).lower().rstrip("."), m.group(2)
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    return host, path


def _parents(host: str) -> list[str]:
    if host[-1:].isdigit() or host.startswith("["):  # an IP address has no parent domains
        return [host]
    out, i = [host], host.find(".")
    while i != -1:
        out.append(host[i + 1 :])
        i = host.find(".", i + 1)
    return out


def trie_regex(words: set[bytes]) -> re.Pattern[bytes]:
    """One regex for "any of these words", factored as a trie (`porn(?:hub|star)`): sre tries
    one branch per position instead of every word, 40% faster than a flat alternation here."""
    trie: dict = {}
    for w in words:
        node = trie
        for c in w:
            node = node.setdefault(bytes([c]), {})
        node[b""] = {}

    def emit(node: dict) -> bytes:
        if b"" in node:  # a word ends here; longer words through this node add nothing to a search
            return b""
        alts = [re.escape(k) + emit(v) for k, v in sorted(node.items())]
        return alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"

    return re.compile(emit(trie))


def _read_words(name: str) -> set[str]:
    text = resources.files("fruitstand.filters").joinpath("data", name).read_text(encoding="utf-8")
    return {w.strip().lower() for w in text.splitlines() if w.strip() and not w.lstrip().startswith("#")}


@dataclass
class URLFilter(Filter):
    kind: ClassVar[str] = "url_filter"
    needs: ClassVar[str] = "any"

    # The shipped lists (UT1 domains and URLs, our word lists); False keeps only the extras.
    use_default_lists: bool = True
    extra_domains: list[str] = field(default_factory=list)
    # A file of domains, one a line; `#` comments and hosts-file lines (`0.0.0.0 example.com`) work.
    extra_domains_file: str = ""
    extra_urls: list[str] = field(default_factory=list)  # `host/path`: that page and all under it
    extra_words: list[str] = field(default_factory=list)  # one token each
    extra_soft_words: list[str] = field(default_factory=list)
    extra_subwords: list[str] = field(default_factory=list)
    # Domains (with their subdomains) never dropped by this step, whatever the lists say.
    allow_domains: list[str] = field(default_factory=list)
    soft_word_threshold: int = 2

    def __post_init__(self) -> None:
        if self.soft_word_threshold < 1:
            raise RecipeError(
                f"step 'url_filter': soft_word_threshold = {self.soft_word_threshold} should be at least 1"
            )
        if self.use_default_lists and not resources.files("fruitstand.filters").joinpath(
            "data", "blocked_domains.txt.zst"
        ).is_file():
            raise RecipeError(
                "step 'url_filter': the UT1 blocklist is not built yet: run `make install` "
                "(or `python scripts/build_url_blocklist.py`), or set use_default_lists = false"
            )
        if self.extra_domains_file and not Path(self.extra_domains_file).is_file():
            raise RecipeError(f"step 'url_filter': extra_domains_file {self.extra_domains_file!r} is not a file")
        for name in ("extra_words", "extra_soft_words", "extra_subwords"):
            for w in getattr(self, name):
                if len([t for t in _TOKEN_SPLIT.split(w) if t]) != 1:
                    raise RecipeError(f"step 'url_filter': {name} entry {w!r} should be one word of letters and digits")
        self._lists: dict[str, Any] | None = None

    def validate(self) -> None:
        params.at_least(self, "soft_word_threshold", 1)
        for name in ("extra_domains", "allow_domains"):
            for d in getattr(self, name):
                if not d.strip() or "/" in d or " " in d.strip():
                    raise RecipeError(f"step 'url_filter': {name} entry {d!r} should be a bare domain "
                                      "such as 'example.com' (pages go in extra_urls)")
        for u in self.extra_urls:
            if not u.strip():
                raise RecipeError("step 'url_filter': extra_urls holds an empty entry: give host/path")

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_lists": None}  # a step pickles as its parameters

    def setup(self) -> None:
        if self._lists is not None:
            return
        data = resources.files("fruitstand.filters").joinpath("data")
        extra = {clean_domain(d) for d in self.extra_domains}
        if self.extra_domains_file:
            for line in Path(self.extra_domains_file).read_text(encoding="utf-8").splitlines():
                fields = line.split("#", 1)[0].split()
                if fields:
                    extra.add(clean_domain(fields[-1]))
        urls = {u.lower().split("://", 1)[-1].removeprefix("www.").rstrip("/") for u in self.extra_urls}
        words, soft, sub = (
            {w.lower() for w in ws} for ws in (self.extra_words, self.extra_soft_words, self.extra_subwords)
        )
        domains = None
        if self.use_default_lists:
            with resources.as_file(data.joinpath("blocked_domains.txt.zst")) as path:
                domains = DomainHashes.cached(path)
            raw = zstandard.ZstdDecompressor().decompress(data.joinpath("blocked_urls.txt.zst").read_bytes())
            urls |= set(raw.decode("ascii").split())
            words |= _read_words("banned_words.txt")
            soft |= _read_words("soft_banned_words.txt")
            sub |= _read_words("banned_subwords.txt")
        self._lists = {
            "domains": domains,
            "extra_domains": frozenset(extra - {""}),
            "allow": frozenset(clean_domain(d) for d in self.allow_domains) - {""},
            "urls": frozenset(urls),
            "url_hosts": frozenset(u.split("/", 1)[0] for u in urls),
            "words": frozenset(w.encode() for w in words),
            "soft": frozenset(w.encode() for w in soft),
            "subwords": trie_regex({w.encode() for w in sub}) if sub else None,
        }

    def keep(self, doc: Document) -> bool | tuple[bool, str]:
        url = doc.metadata.get("url")
        if not url:
            return True
        if self._lists is None:
            self.setup()
        lists = self._lists
        host, path = split_url(url)
        if host:
            parents = _parents(host)
            if lists["allow"] and not lists["allow"].isdisjoint(parents):
                return True
            extra, domains = lists["extra_domains"], lists["domains"]
            if (extra and not extra.isdisjoint(parents)) or (domains is not None and domains.any_of(parents)):
                return False, "url_blocked_domain"
            host = host.removeprefix("www.")
            if host in lists["url_hosts"] and self._url_listed(host, path.lower().rstrip("/")):
                return False, "url_blocked_url"
        if "%" in url:
            url = unquote(url)
        if not url.isascii():
            url = url.lower()
        text = url.encode("utf-8", "replace").translate(_TOKEN_BYTES)
        tokens = set(text.split())
        if not tokens.isdisjoint(lists["words"]):
            return False, "url_banned_word"
        if len(tokens & lists["soft"]) >= self.soft_word_threshold:
            return False, "url_soft_banned_words"
        if lists["subwords"] is not None and lists["subwords"].search(text):
            return False, "url_banned_subword"
        return True

    def _url_listed(self, host: str, path: str) -> bool:
        urls, i = self._lists["urls"], 0
        while (i := path.find("/", i + 1)) != -1:
            if host + path[:i] in urls:
                return True
        return bool(path) and host + path in urls
