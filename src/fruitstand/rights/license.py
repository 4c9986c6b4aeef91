"""`license`: the page's own licence, from its HTML and headers, as an SPDX id.

Where a licence is read, in this order (the first that names a known licence wins, and
becomes `license_source`):

1. `http-link`: a `Link: <URL>; rel="license"` header;
2. `link`: `<link rel="license" href>` in the head;
3. `meta`: `<meta name="license|dc.rights|dcterms.license|dc.license|dcterms.rights">`,
   a URL or a licence's name;
4. `json-ld`: the `license` of the page's own JSON-LD objects (the page, article or work;
   never an ImageObject's or VideoObject's: those are credits);
5. `a-rel`: `<a rel="license" href>` in the body;
6. `rdf`: the old Creative Commons RDF block (`<license rdf:resource=...>`) in an HTML comment;
7. `footer`: a link to a licence deed, or a licence's name, in the page's own footer (a
   `<footer>`, or an element whose id or class says footer, copyright, colophon or licence),
   or a licence link beside a licence sentence ("licensed under", "Lizenz", ...).

Not the page's licence, and ignored: anything inside user comments (ids and classes with
comment, reply, respond, disqus), image and embed credits (`<figure>`, captions, credit and
attribution boxes, iframes), script and style text (the parser keeps them apart; JSON-LD
is the one script read), a comment that is not CC's RDF (a CSS library's licence), and a
`rel=license` link to a page that is not a licence deed (terms of use, `#license`).

URLs and names map to SPDX ids in spdx.py (every CC version and port, public domain marks,
GFDL; `//creativecommons.org` links included). A page naming none gets `license = null`.
`keep = "open"` drops the rest (`license:none`, `license:not_open`) and keeps public domain,
CC0, CC BY and CC BY-SA; ids or families in `allow` ("CC-BY-NC", "CC-BY-NC-ND-4.0") are kept too.

Speed: a byte scan first (no licence word, no parse: most pages), then resiliparse's
lexbor parser on the pages that may hold one (numbers: benchmarks/RESULTS.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fruitstand.document import Document, Headers, header_values
from fruitstand.registry import RecipeError
from fruitstand.rights.signals import head_of, tags
from fruitstand.rights.spdx import family, from_text, from_url
from fruitstand.step import Mapper

KEEP = ("any", "open")
OPEN_FAMILIES = ("public-domain", "BY", "BY-SA")
# Words one of which every licence statement this step reads holds (lower-cased bytes).
_HINTS = (b"licen", b"rights", b"creativecommons", b"lizenz", b"/fdl")  # CC0 and PDM URLs hold "creativecommons"
_LINK_HEADER = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]*)*)')
_REL_LICENSE = re.compile(r'rel\s*=\s*"?[^";,]*\blicense\b', re.IGNORECASE)
# What the body stages look for (lower-cased bytes): a page with none of them is not parsed,
# and each stage runs only where its own hint is (lexbor's attribute selectors cost ~1 ms a page).
_LINK_HINTS = (b"creativecommons.org", b"gnu.org")
_NAME_HINTS = (b"commons", b"cc-by", b"cc by", b"cc0", b"cc-0", b"public domain")
_REL_HINT = re.compile(rb"rel\s*=\s*[\"']?[^\"'>]*\blicense")
_JSON_LD = re.compile(rb"<script[^>]+application/ld\+json[^>]*>(.*?)</script", re.IGNORECASE | re.DOTALL)
_RDF_LICENSE = re.compile(rb"""<(?:cc:)?license\s+rdf:resource\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_META_NAMES = ("license", "dc.rights", "dcterms.license", "dc.license", "dcterms.rights", "dc:rights", "dcterms:license")
# Where a licence link or sentence is not the page's: user comments, media credits.
_TRAP = re.compile(r"comment|reply|respond|disqus|caption|gallery|lightbox|embed|"
                   r"(?:photo|image|img|media|bild|foto|picture|thumb)\S*?(?:credit|licen|copyright|source|attribution)",
                   re.IGNORECASE)
# A short block that credits a picture, a map or a source: "Bild: ... CC BY 2.0", "Photo by ..."
_CREDIT_TEXT = re.compile(r"\b(?:bild|bilder|foto|fotos|photo|photos|image|images|picture|grafik|abbildung|titelbild|"
                          r"beitragsbild|bildquelle|quelle|source|credit|credits|karte|map|tiles|imagen|fuente)\b",
                          re.IGNORECASE)
_TRAP_TAGS = {"figure", "figcaption", "iframe", "object", "picture", "video", "audio", "blockquote"}
_FOOTER = re.compile(r"footer|copyright|colophon|site-info|licen[cs]e|legal|imprint|impressum", re.IGNORECASE)
_CUE = re.compile(r"licen[cs]|lizenz|lizenziert|licencia|licenza|licentie|creative commons|public domain|"
                  r"gemeinfrei|dominio p[uú]blico|domaine public|rights|rechte|derechos|droits", re.IGNORECASE)
# In a footer, a copyright line also introduces the site's licence ("Copyleft © 2016 X, CC-BY-SA").
_FOOTER_CUE = re.compile(_CUE.pattern + r"|copyleft|©|\(c\)|copyright", re.IGNORECASE)
_PAGE_TYPES_SKIP = {"imageobject", "videoobject", "mediaobject", "audioobject", "person", "organization"}


def link_header_license(headers: Headers | None) -> str | None:
    for value in header_values(headers, "link"):
        for m in _LINK_HEADER.finditer(value):
            if _REL_LICENSE.search(m.group(2)):
                spdx = from_url(m.group(1))
                if spdx:
                    return spdx
    return None


def detect(html: bytes | None, headers: Headers | None = None) -> tuple[str | None, str | None]:
    """(SPDX id, where it was found) of the page's own licence; (None, None) when it names none."""
    spdx = link_header_license(headers)
    if spdx:
        return spdx, "http-link"
    if not html:
        return None, None
    low = html.lower()  # one pass in C; a case-blind regex over the page costs ten times more
    if not any(h in low for h in _HINTS):
        return None, None
    head = head_of(html)
    for attrs in tags(head, b"link", (b"licen",)):
        if "license" in attrs.get("rel", "").lower().split() and (spdx := from_url(attrs.get("href", ""))):
            return spdx, "link"
    for attrs in tags(head, b"meta", (b"licen", b"rights")):
        if attrs.get("name", "").strip().lower() in _META_NAMES:
            content = attrs.get("content", "").strip()
            if spdx := from_url(content) or from_text(content):
                return spdx, "meta"
    if b"ld+json" in low:
        for m in _JSON_LD.finditer(html):
            if spdx := _json_ld_license(m.group(1)):
                return spdx, "json-ld"
    has_link = any(h in low for h in _LINK_HINTS)
    has_name = any(h in low for h in _NAME_HINTS)
    has_rel = b"license" in low and _REL_HINT.search(low) is not None
    if not (has_link or has_name or has_rel):
        return None, None  # nothing a body link or footer sentence could name: no parse
    from resiliparse.parse.html import HTMLTree

    from fruitstand.extract.decode import decode_html

    tree = HTMLTree.parse(decode_html(html, headers))
    body = tree.body
    if body is not None and has_rel:
        for node in _nodes(body.query_selector_all('a[rel~="license" i]')):
            if _has_rel(node, "license") and not _in_trap(node) and (spdx := from_url(node.getattr("href") or "")):
                return spdx, "a-rel"
    for block in _rdf_comments(html, low) if b"rdf:rdf" in low else ():
        for lic in _RDF_LICENSE.finditer(block):
            if spdx := from_url(lic.group(1).decode("ascii", "replace")):
                return spdx, "rdf"
    if body is not None and (spdx := _footer_license(body, links=has_link, names=has_name)):
        return spdx, "footer"
    return None, None


def _rdf_comments(html: bytes, low: bytes) -> list[bytes]:
    """The HTML comments that hold an `rdf:RDF` block (CC's old embed), found in linear time."""
    out, pos = [], 0
    while (i := low.find(b"rdf:rdf", pos)) >= 0 and len(out) < 8:
        start, end = low.rfind(b"<!--", 0, i), low.find(b"-->", i)
        if start >= 0 and end >= 0 and low.find(b"-->", start, i) < 0:
            out.append(html[start + 4:end])
        pos = i + 7 if end < 0 else end + 3
    return out


def _nodes(collection, limit: int = 200) -> list:
    """The first `limit` nodes of a resiliparse node list, by index: iterating the list itself
    costs time in proportion to its length at every step (50 steps over 50,000 links: 50 s)."""
    return [collection.item(i) for i in range(min(len(collection), limit))]


def _has_rel(node, rel: str) -> bool:
    return rel in (node.getattr("rel") or "").lower().split()


def _in_trap(node, *, itself: bool = False) -> bool:
    """Inside a user comment or a media credit (or, with `itself`, one)."""
    return _within(node if itself else node.parent, _TRAP_TAGS, _TRAP)


def _in_footer(node) -> bool:
    return _within(node, ("footer",), _FOOTER)


def _within(node, tags, words) -> bool:
    """`node` or an ancestor below <body> is one of `tags` or has an id/class matching `words`."""
    n = node
    while n is not None and n.tag not in ("body", "html", "#document"):
        if n.tag in tags:
            return True
        ident = (n.getattr("id") or "") + " " + (n.getattr("class") or "")
        if ident.strip() and words.search(ident):
            return True
        n = n.parent
    return False


def _block_text(node, cache: dict) -> str:
    """The text of the nearest block around `node` (its sentence, roughly); `cache` keeps each
    block's text, so many links in one block cost one read."""
    n = node.parent
    while n is not None and n.tag in ("a", "span", "strong", "em", "b", "i", "small", "img", "font", "u"):
        n = n.parent
    if n is None or n.tag in ("body", "html", "#document"):
        return ""  # a link loose in the body has no sentence of its own
    if n not in cache:
        cache[n] = n.text[:600]
    return cache[n]


def _footer_license(body, *, links: bool = True, names: bool = True) -> str | None:
    blocks: dict = {}
    for node in _nodes(body.query_selector_all('a[href*="creativecommons.org"], a[href*="gnu.org"]')) if links else ():
        spdx = from_url(node.getattr("href") or "")
        if not spdx or _in_trap(node):
            continue
        if _in_footer(node) or _is_badge(node):
            return spdx
        block = _block_text(node, blocks)
        if _CUE.search(block) and not (len(block) < 400 and _CREDIT_TEXT.search(block)):
            return spdx
    regions = ("footer, [id*=footer], [class*=footer], [id*=copyright], [class*=copyright], "
               "[class*=license], [id*=license], [class*=licence], [id*=colophon]")
    for node in _nodes(body.query_selector_all(regions)) if names else ():
        if _in_trap(node, itself=True):
            continue
        text = node.text
        if len(text) > 3000:  # a whole page wrapped in a "footer" class: not a footer
            continue
        for sentence in re.split(r"(?<=[.!?;])\s+", " ".join(text.split())):
            # A footer sentence naming a licence, not crediting a picture in a box above the footer.
            if _FOOTER_CUE.search(sentence) and not _CREDIT_TEXT.search(sentence) and (spdx := from_text(sentence)):
                return spdx
    return None


def _is_badge(node) -> bool:
    """A link around a Creative Commons badge image (the 88x31 button CC's chooser gives)."""
    for img in _nodes(node.query_selector_all("img"), 4):
        src = (img.getattr("src") or "").lower()
        alt = (img.getattr("alt") or "").lower()
        if "creativecommons" in src or "88x31" in src or "80x15" in src or "creative commons" in alt or alt.startswith("cc"):
            return True
    return False


def _json_ld_license(text: bytes) -> str | None:
    import orjson

    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    stack = data if isinstance(data, list) else [data]
    seen = 0
    while stack and seen < 200:
        obj = stack.pop(0)
        seen += 1
        if not isinstance(obj, dict):
            continue
        types = obj.get("@type")
        types = {t.lower() for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}
        if types & _PAGE_TYPES_SKIP:
            continue
        for value in _as_list(obj.get("license")):
            if isinstance(value, dict):
                value = value.get("@id") or value.get("url") or value.get("name") or ""
            if isinstance(value, str) and (spdx := from_url(value) or from_text(value)):
                return spdx
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "hasPart"):
            stack.extend(v for v in _as_list(obj.get(key)) if isinstance(v, dict))
    return None


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


@dataclass
class License(Mapper):
    kind = "license"
    needs = "any"
    reads_raw = True
    columns = {"license": "string", "license_source": "string"}

    # "any" keeps every page (the licence is a field); "open" keeps public domain, CC0, CC BY, CC BY-SA.
    keep: str = "any"
    # With keep = "open", ids or families also kept: "CC-BY-NC", "CC-BY-NC-ND-4.0", "GFDL-1.3-or-later".
    allow: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.keep not in KEEP:
            raise RecipeError(f"step 'license': keep = {self.keep!r} should be one of {', '.join(KEEP)}")

    def is_open(self, spdx: str) -> bool:
        if family(spdx) in OPEN_FAMILIES:
            return True
        bare = spdx.removeprefix("LicenseRef-")
        return any(bare == a or spdx == a or re.match(re.escape(a.removeprefix("LicenseRef-")) + r"-\d", bare)
                   for a in self.allow)

    def apply(self, doc: Document) -> Document | tuple[None, str]:
        try:
            spdx, source = detect(doc.html, doc.http_headers)
        except Exception:  # a page the detector cannot read keeps its text: its licence is unknown
            spdx, source = None, None
            self.ctx.count("unreadable")
        doc.metadata["license"] = spdx
        doc.metadata["license_source"] = source
        if source is not None:
            self.ctx.count(f"from:{source}")
        if self.keep == "open":
            if spdx is None:
                return None, "license:none"
            if not self.is_open(spdx):
                return None, "license:not_open"
        return doc
