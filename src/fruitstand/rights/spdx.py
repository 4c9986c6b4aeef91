"""Licence URLs and names to SPDX ids: Creative Commons (every version and port), public domain, GFDL.

`from_url` reads a licence's deed URL (`https://creativecommons.org/licenses/by-sa/2.0/`,
protocol-relative `//creativecommons.org/...` as Wikipedia writes it, `/deed.de` and
`/legalcode` tails); `from_text` reads a licence's name ("CC BY-NC-ND 4.0", "Creative Commons
Attribution-ShareAlike 3.0 Unported", "Namensnennung - Weitergabe unter gleichen
Bedingungen"). Both keep the version and the elements exactly: BY-SA 2.0 is never BY 2.0.
National ports that SPDX lists keep their id (CC-BY-SA-2.0-UK, CC-BY-3.0-DE, ...); the
others become `LicenseRef-CC-BY-SA-3.0-US`-style ids, the port kept. A name with no version
("CC-BY") becomes `LicenseRef-CC-BY`. Anything else is None: a URL that is not a licence
(terms of use, a licensing FAQ) never yields an id.
"""

from __future__ import annotations

import re

# Ported Creative Commons licences in the SPDX list (3.2x).
SPDX_PORTS = {
    "CC-BY-2.5-AU", "CC-BY-3.0-AT", "CC-BY-3.0-AU", "CC-BY-3.0-DE", "CC-BY-3.0-IGO", "CC-BY-3.0-NL",
    "CC-BY-3.0-US", "CC-BY-NC-3.0-DE", "CC-BY-NC-ND-3.0-DE", "CC-BY-NC-ND-3.0-IGO", "CC-BY-NC-SA-2.0-DE",
    "CC-BY-NC-SA-2.0-FR", "CC-BY-NC-SA-2.0-UK", "CC-BY-NC-SA-3.0-DE", "CC-BY-NC-SA-3.0-IGO", "CC-BY-ND-3.0-DE",
    "CC-BY-SA-2.0-UK", "CC-BY-SA-2.1-JP", "CC-BY-SA-3.0-AT", "CC-BY-SA-3.0-DE", "CC-BY-SA-3.0-IGO",
}
_VERSIONS = {"1.0", "2.0", "2.1", "2.5", "3.0", "4.0"}
_ELEMENTS = ("by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd", "by-nd-nc")
_CC_URL = re.compile(
    r"^(?:https?:)?//(?:[a-z]+\.)?creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/?(\d\.\d)?/?([a-z]{2,3}|scotland)?(?:/|$|[?#])",
    re.IGNORECASE)
_GFDL_URL = re.compile(r"^(?:https?:)?//(?:www\.)?gnu\.org/(?:licenses/)?(?:copyleft/)?fdl(?:-(1\.[123]))?", re.IGNORECASE)


def cc_id(elements: str, version: str | None, port: str | None = None) -> str | None:
    """The SPDX id of Creative Commons `elements` ("by-nc-sa"), `version` and `port`."""
    elements = elements.lower().strip("-")
    if elements == "by-nd-nc":  # the 1.0 name of BY-NC-ND
        elements = "by-nc-nd"
    if elements not in _ELEMENTS:
        return None
    base = "CC-" + elements.upper()
    if version is None:
        return f"LicenseRef-{base}"
    if version not in _VERSIONS:
        return None
    if not port:
        return f"{base}-{version}"
    port = "UK" if port.lower() in ("uk", "scotland", "gb") else port.upper()
    spdx = f"{base}-{version}-{port}"
    return spdx if spdx in SPDX_PORTS else f"LicenseRef-{spdx}"


_WAYBACK = re.compile(r"^(?:https?:)?//(?:web\.)?archive\.org/web/\d+[a-z_]*/", re.IGNORECASE)


def from_url(url: str) -> str | None:
    url = _WAYBACK.sub("", url.strip())  # an archived page links its licence through the Wayback Machine
    m = _CC_URL.match(url)
    if m:
        kind, name, version, port = m.group(1).lower(), m.group(2).lower(), m.group(3), m.group(4)
        if kind == "publicdomain":
            if name == "zero":
                return "CC0-1.0"
            if name == "mark":
                return "CC-PDM-1.0"
            return None
        if name == "publicdomain":
            return "CC-PDDC"
        if version is None:  # creativecommons.org/licenses/by-sa/ with no version: not a deed
            return None
        return cc_id(name, version, port)
    m = _GFDL_URL.match(url)
    if m:
        return f"GFDL-{m.group(1) or '1.3'}-or-later"
    return None


# Element words of licence names, in the languages CC deeds were translated to most.
_BY = r"attribution|namensnennung|reconocimiento|atribuci[oó]n|paternit[eé]|attribuzione|naamsvermelding|uznanie autorstwa"
_SA = (r"share[- ]?alike|weitergabe unter gleichen bedingungen|compartir ?igual|partage dans les m[eê]mes conditions|"
       r"condividi allo stesso modo|gelijk delen|na tych samych warunkach")
_NC = (r"non[- ]?commercial|nicht[- ]?kommerziell|keine kommerzielle|no ?comercial|pas d.utilisation commerciale|"
       r"non commerciale|niet[- ]?commercieel|u[żz]ycie niekomercyjne")
_ND = (r"no[- ]?deriv(?:ative)?s?|no derivative works|keine bearbeitungen?|sin ?obra ?derivada|sin derivadas|"
       r"pas de modification|non opere derivate|geen afgeleide werken|bez utwor[oó]w zale[żz]nych")
_CODE = re.compile(r"\bCC[ -]?(BY(?:[ -](?:NC|SA|ND)){0,2})\b(?:[ -]?(\d\.\d))?", re.IGNORECASE)
_CC0 = re.compile(r"\bCC[ -]?0\b|\bCC[ -]?zero\b|creative commons zero|public domain dedication|\bcc0 1\.0", re.IGNORECASE)
_NAME = re.compile(r"creative[ -]?commons\b(.{0,120})", re.IGNORECASE | re.DOTALL)
_VERSION = re.compile(r"(?<![\d.])(1\.0|2\.0|2\.1|2\.5|3\.0|4\.0)(?![\d.])")
_PORTS = {
    "united states": "US", "deutschland": "DE", "germany": "DE", "österreich": "AT", "austria": "AT",
    "england": "UK", "scotland": "UK", "france": "FR", "españa": "ES", "spain": "ES", "italia": "IT",
    "nederland": "NL", "netherlands": "NL", "japan": "JP", "australia": "AU", "igo": "IGO", "schweiz": "CH",
    "switzerland": "CH", "polska": "PL", "poland": "PL", "canada": "CA", "brasil": "BR", "brazil": "BR",
}


def from_text(text: str) -> str | None:
    """The licence a short text names ("CC BY-SA 4.0", "Creative Commons Attribution 3.0 Unported")."""
    text = " ".join(text.split())
    if _CC0.search(text):
        return "CC0-1.0"
    m = _CODE.search(text)
    if m:
        elements = re.sub(r"[ -]+", "-", m.group(1).lower())
        version = m.group(2)
        if version is None:  # "CC BY-SA, version 4.0" and similar: a version just after
            v = _VERSION.search(text, m.end(), m.end() + 20)
            version = v.group(1) if v else None
        return cc_id(_ordered(elements), version, _port(text[m.end():m.end() + 60]))
    m = _NAME.search(text)
    if not m:
        return None
    rest = m.group(1).lower()
    code = re.match(r"[\s:(-]*(by(?:[ -](?:nc|sa|nd)){0,2})\b", rest)
    if code:  # "Creative Commons BY-SA", "Creative Commons (BY-NC-ND)"
        elements = re.sub(r"[ -]+", "-", code.group(1))
    elif re.search(_BY, rest) or re.search(r"\bby\b", rest):
        elements = "by" + "".join(f"-{e}" for e, words in (("nc", _NC), ("sa", _SA), ("nd", _ND)) if re.search(words, rest))
    else:
        return None
    v = _VERSION.search(rest)
    return cc_id(_ordered(elements), v.group(1) if v else None, _port(rest))


def _ordered(elements: str) -> str:
    parts = set(elements.split("-")) - {"by"}
    return "by" + "".join(f"-{e}" for e in ("nc", "sa", "nd") if e in parts)


def _port(text: str) -> str | None:
    low = text.lower()
    for name, code in _PORTS.items():
        if re.search(rf"\b{name}\b", low):
            return code
    return None


def family(spdx: str) -> str | None:
    """The kind of licence an id names: "public-domain", "BY", "BY-SA", "BY-NC", "BY-ND", "BY-NC-SA",
    "BY-NC-ND" (Creative Commons elements), or None for others (GFDL)."""
    if spdx in ("CC0-1.0", "CC-PDDC", "CC-PDM-1.0"):
        return "public-domain"
    m = re.match(r"^(?:LicenseRef-)?CC-(BY(?:-NC)?(?:-SA|-ND)?)(?:-|$)", spdx)
    return m.group(1) if m else None
