"""pii: find e-mail addresses, IP addresses, phone numbers, payment cards and IBANs, and replace them.

One scan, linear in the text's length: a single compiled pattern whose alternatives each start
at a cheap anchor (`@`, a digit, `+`, `(`, a hex digit, two letters before two digits) and
are bounded in length, with possessive repeats, so no input makes it backtrack far. Each
candidate is then checked by plain code on a window of at most a few hundred characters:

- e-mail: the local part (at most 64 characters) and the domain (labels, a TLD of letters)
  are grown outward from the `@`; asset names such as `logo@2x.png` are not addresses, and
  addresses at the domains reserved for examples (`example.com`, `.test`, RFC 2606) are nobody's.
  Addresses written out in words (`jane at mail dot com`, `jane(at)mail.de`) are found by
  `spelled.py`, run only on texts that hold "dot", "DOT" or a bracketed "at" (which the scan
  notes at each bracket it passes): a second, rare pass.
- IPv4 and IPv6: parsed by `ipaddress`; private (RFC 1918, link-local, unique-local, shared),
  loopback and documentation addresses (RFC 5737, RFC 3849) are left alone unless asked for,
  and so are unspecified, multicast and reserved ones, which name no host. A dotted quad
  inside a longer dotted run (`30.0.101.1960`) or after "version"/"v" is a version number.
- payment card: 12-19 digits, contiguous or in the printed groupings (4-4-4-4, 4-6-5), and the
  Luhn check (ISO/IEC 7812); then an issuer prefix that exists, or, for a number outside every
  published range (Maestro and private-label cards use such prefixes), the 4-4-4-4 grouping or
  a word that says card (`card`, `credit`, `visa`, `карта`, `卡号`, ...) within 40 characters before it.
  A bare digit run with neither still needs an issuer range; a SIM's ICCID (prefix 89) is no card.
- IBAN: a country of the IBAN registry, that country's length, and the mod-97 check
  (ISO 13616).
- phone: a grouped number of 7-15 digits (E.164's limit), the groups parted by spaces (also
  no-break and thin ones), hyphens (also Unicode's dashes and the minus sign; a dash or slash may have a space on both sides) or
  dots. International (`+CC`, `00CC`), North American (`(NXX) NXX-XXXX`) and trunk-prefixed
  national numbers (`0...`, 9-11 digits) count on their own; other groupings (`467 3395`,
  `99 668472`) count only next to a word that says phone (`tel`, `call`, `fax`, `mobile`, ... in
  several languages), as presidio's context rule does. Dates, ISBNs, ZIP+4 codes, prices,
  thousands and ranges (`1990–2005`, `8.30–12.30`) never count.

Numbers inside longer digit runs never match: every number pattern needs a non-word
character (or the text's edge) on both sides. `replace = "placeholder"` writes `<EMAIL>`,
`<IP>`, `<PHONE>`, `<CARD>`, `<IBAN>`; `"fake"` writes a reserved example of the same kind
(FineWeb's way for e-mails and IPs: `example.com`/`example.org` addresses, documentation
networks; for the others NANP's fictional 555-01XX numbers, published test card numbers and
the registry's example IBANs), chosen by a hash of the value, so output is deterministic.
Hits per type go to the step's extra counters; `max_hits` drops a page with more hits than
that (Dolma's rule is 5).
"""

from __future__ import annotations

import ipaddress
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

from fruitstand import params
from fruitstand.document import Document
from fruitstand.privacy.spelled import BRACKETED_AT, spelled_emails
from fruitstand.registry import RecipeError
from fruitstand.step import Mapper

TYPES = ("email", "ip", "phone", "card", "iban")
PLACEHOLDERS = {"email": "<EMAIL>", "ip": "<IP>", "phone": "<PHONE>", "card": "<CARD>", "iban": "<IBAN>"}

# Separators printed between a number's groups, for character classes: the space, no-break and
# thin spaces (U+2000-U+200A, U+202F, U+205F, U+3000), and the hyphen-minus, Unicode's hyphens and
# dashes (U+2010-U+2015: en and em dash, ...) and the minus sign. Candidates are checked with
# them folded to ' ' and '-' (one character for one, so offsets stay put).
_SP = r" \xa0\u2000-\u200a\u202f\u205f\u3000"
_DA = r"\-\u2010-\u2015\u2212"
_FOLD = {**{c: " " for c in (0xA0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)},
         **{c: "-" for c in (*range(0x2010, 0x2016), 0x2212)}}


def _fold(candidate: str) -> str:
    return candidate if candidate.isascii() else candidate.translate(_FOLD)


# Not preceded by a word character, nor by a digit and a separator (the middle of a number),
# nor by '/' (a path or a fraction).
_NUM_START = rf"(?<![\w/])(?<!\d[.,{_DA}])"
_PHONE = (
    rf"{_NUM_START}"
    rf"(?:(?:\+[{_SP}]?\d{{1,3}}|\(\+?\d{{1,5}}\)[{_SP}.{_DA}]?\d{{1,8}}|\d{{1,8}})"
    rf"(?:(?:[{_SP}][{_DA}/][{_SP}]|[{_SP}.{_DA}/]|[{_SP}]?\(0\)[{_SP}]?|[{_SP}.{_DA}]?\(\d{{1,5}}\)[{_SP}.{_DA}]?)\d{{1,8}}){{1,6}}+|\+?\d{{7,15}})"
    rf"(?:[{_SP}]?(?:x|ext\.?|#)[{_SP}]?\d{{1,5}})?+"
    r"(?![\w@]|[.,]\d)"
)
# The one scan: a character class, which the regex engine skips to in a tight loop.
_ANCHOR = re.compile(r"[@:+(0-9\[{<]")  # '[', '{', '<' (and '(') may open a written-out e-mail's "(at)"
# Tried where an anchor is found (or a few hex digits before a ':'), in this order.
_AT_ANCHOR = re.compile(
    r"(?P<ipv6>(?<![\w:.])[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){2,7}+(?:\.\d{1,3}){0,3}+)"
    rf"|(?P<ipv4>(?<![\w.])\d{{1,3}}(?:\.\d{{1,3}}){{3}}(?!\w|\.\d))"
    rf"|(?P<card>{_NUM_START}\d(?:[{_SP}{_DA}]?\d){{11,18}}+(?![\w@]|[.,]\d))"
    rf"|(?P<phone>{_PHONE})"
)
_IBAN_START = re.compile(r"(?<!\w)[A-Za-z]{2}\d\d(?=[ ]?[A-Za-z0-9])")
_RUN = re.compile(rf"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|\d[\d.,/{_DA}]*|@+")
_HEX = frozenset("0123456789abcdefABCDEF")
_PHONE_ONLY = re.compile(_PHONE)

# --- e-mail -------------------------------------------------------------------------------
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-'")
_DOMAIN = re.compile(r"[\w-]{1,63}+(?:\.[\w-]{1,63}+){1,8}+")
_NOT_TLD = frozenset("png jpg jpeg gif svg webp bmp ico js css map json txt html htm php xml pdf zip gz".split())


# RFC 2606 / 6761 names reserved for examples and tests: addresses there belong to nobody.
_RESERVED_DOMAIN = re.compile(r"(?i)[@.](?:example\.(?:com|org|net)|example|test|invalid|localhost)\Z")


def _email(text: str, at: int) -> tuple[int, int] | None:
    start = at
    low = max(0, at - 64)
    while start > low and (text[start - 1] in _LOCAL_CHARS or (text[start - 1].isalnum())):
        start -= 1
    while start < at and text[start] in ".-'":
        start += 1
    if start == at or text[at - 1] == ".":
        return None
    m = _DOMAIN.match(text, at + 1, at + 256)
    if not m:
        return None
    labels = m.group().split(".")
    while len(labels) >= 2:
        tld = labels[-1]
        if tld.isalpha() and len(tld) >= 2 and tld.lower() not in _NOT_TLD or tld.lower().startswith("xn--"):
            break
        labels.pop()
    else:
        return None
    if any(not lab or lab[0] == "-" or lab[-1] == "-" or lab[0] == "_" for lab in labels):
        return None
    return start, at + 1 + len(".".join(labels))


# --- IP addresses ---------------------------------------------------------------------------
_DOC_NETS = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))
_SHARED_NET = ipaddress.ip_network("100.64.0.0/10")
_VERSION_BEFORE = re.compile(r"(?i)(?:\bv|\bver\.?|version|release|build|firmware|update|android|ios|chrome)[ :]*\Z")


def ip_class(value: str) -> str | None:
    """"public", "private", "loopback", "documentation", or None (not an address, or one naming no host)."""
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if ip.is_loopback:
        return "loopback"
    if any(ip.version == n.version and ip in n for n in _DOC_NETS):
        return "documentation"
    if ip.is_link_local or (ip.version == 4 and ip in _SHARED_NET) or ip.is_private:
        return "private"
    if ip.is_multicast or ip.is_unspecified:
        return None
    # Unassigned space names no host today, but a full eight-group IPv6 address reads as nothing else.
    if not ip.is_global and not (ip.version == 6 and value.count(":") == 7):
        return None
    return "public"


# --- payment cards --------------------------------------------------------------------------
_CARD_SHAPE = re.compile(r"\d{12,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5}")
# Issuer identification number ranges in use (ISO/IEC 7812 registrations as the schemes publish them):
# Visa 4; Mastercard 51-55, 2221-2720; Amex 34, 37; Discover 6011, 644-649, 65; Diners 300-305, 3095,
# 36, 38-39; JCB 3528-3589 (and its old 1800, 2131); UnionPay 62, 81; Maestro 50, 56-69; Mir 2200-2204.
_IIN = re.compile(r"4|5[0-5]|5[6-9]|6|222[1-9]|22[3-9]|2[3-6]|27[01]|2720|220[0-4]|3[47]|30[0-5]|3095|3[689]|35|1800|2131|81")


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Words that say "payment card", within 40 characters before a number. They let a Luhn-valid
# number outside the published issuer ranges count (Maestro and private-label cards carry prefixes
# no scheme lists); a bare digit run without them still needs an issuer range. Not the words that
# also mean "map" or "paper" (German "Karte", Dutch "kaart", Italian "carta").
_CARD_WORDS = (
    r"card|cards|credit|debit|visa|mastercard|maestro|amex|cc|"
    r"carte|cartes|tarjeta|tarjetas|kreditkarte|bankkarte|kartennummer|creditcard|cartão|cartao|karta|"
    r"kartu|kredi|карта|карты|карту|картой|картка|кредитная|дебетовая|بطاقة|بطاقه|کارڈ|کارت|कार्ड|כרטיס"
)
_CARD_WORD_SET = frozenset(_CARD_WORDS.split("|"))
# Not a bare 卡, which is in many Chinese words (卡车 "truck", 卡通 "cartoon").
_CJK_CARD_WORDS = ("卡号", "卡號", "信用卡", "银行卡", "銀行卡", "借记卡", "借記卡", "储蓄卡", "カード", "카드")
# 4-4-4-4 with one kind of separator: how the 16 digits of a card are printed.
_CARD_GROUPED = re.compile(r"\d{4}([ -])\d{4}\1\d{4}\1\d{4}")


def _card_context(text: str, start: int) -> bool:
    """Whether a word that says "card" is within 40 characters before text[start], not in a URL."""
    if _in_url(text, start):
        return False
    before = text[max(0, start - 40) : start].lower()
    return not _CARD_WORD_SET.isdisjoint(_WORD.findall(before)) or any(w in before for w in _CJK_CARD_WORDS)


def _card(candidate: str, text: str = "", start: int = 0) -> bool:
    """Card shape and Luhn, and an issuer range, or (outside the ranges) 4-4-4-4 grouping or a card word before it."""
    if not _CARD_SHAPE.fullmatch(candidate):
        return False
    digits = candidate.replace(" ", "").replace("-", "")
    if not luhn(digits):
        return False
    if _IIN.match(digits):
        return True
    # Outside every range: not the telecom industry's numbers (ISO/IEC 7812 MII 89 is a SIM's ICCID).
    return not digits.startswith("89") and (bool(_CARD_GROUPED.fullmatch(candidate)) or _card_context(text, start))


# --- IBAN -----------------------------------------------------------------------------------
# Lengths from the SWIFT IBAN registry.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}


def iban_ok(compact: str) -> bool:
    """The mod-97 check of ISO 13616 on an IBAN without spaces."""
    s = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


_IBAN_BODY = re.compile(r"[A-Za-z0-9]{4}(?: [A-Za-z0-9]{4}){2,8}+(?: [A-Za-z0-9]{1,3})?+|[A-Za-z0-9]{15,34}+")


def _iban(text: str, start: int) -> int | None:
    """The end of the IBAN starting at `start` (printed in groups of four or without spaces), or None."""
    country = text[start : start + 2]
    length = IBAN_LENGTHS.get(country.upper())
    m = _IBAN_BODY.match(text, start) if length else None
    if m is None:
        return None
    body = m.group()
    if " " in body:  # a word after the last group may have been swept in: cut at the country's length
        kept, taken = [], 0
        for g in body.split(" "):
            if taken >= length:
                break
            kept.append(g)
            taken += len(g)
        if taken != length:
            return None
        body = " ".join(kept)
    elif len(body) != length or (m.end() < len(text) and text[m.end()].isalnum()):
        return None
    compact = body.replace(" ", "")
    if compact != compact.upper() and compact != compact.lower():  # mixed case: a word, not an IBAN
        return None
    return start + len(body) if iban_ok(compact.upper()) else None


# --- phone numbers --------------------------------------------------------------------------
_EXT = re.compile(r"[ \xa0]?(?:x|ext\.?|#)[ \xa0]?\d{1,5}\Z")
_NANP = re.compile(r"(?:\+?1[ .-]?|001[ .-]?)?(?:\([2-9]\d\d\)[ ]?|[2-9]\d\d[ .-])[2-9]\d\d[ .-]\d{4}")
_DATE = re.compile(r"\d{4}([-/.])\d{1,2}\1\d{1,2}|\d{1,2}([-/.])\d{1,2}\2(?:\d{4}|\d{2})|(?:19|20)\d\d[-/](?:19|20)?\d\d")
# A date, maybe with the hour after it (the minutes follow a ':', which ends the candidate).
_DATE_START = re.compile(r"(?:\d{4}([-/.])\d{1,2}\1\d{1,2}|\d{1,2}([-/.])\d{1,2}\2\d{4})(?!\d)")
_TIME_RANGE = re.compile(r"\d{1,2}[.:]\d\d[ \xa0]?[-/][ \xa0]?\d{1,2}[.:]\d\d")
_ZIP4 = re.compile(r"\d{5}-\d{4}")
_SSN = re.compile(r"\d{3}-\d{2}-\d{4}")
_GROUPS = re.compile(r"\d+")
_SPACED = re.compile(r" ([-/]) ")
_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥₹₽₩¢]|\b(?:USD|EUR|GBP|CHF|JPY|INR|Rs\.?|R\$))[ ]?\Z")
_AFTER_NUMBER = re.compile(r"[ ]?(?:%|[$€£¥₹]|(?:USD|EUR|GBP|CHF|km|kg|mi|m|cm|mm|ft|lbs?|tons?|people|votes|views|times)\b)", re.I)
# A number followed by a street name is a house number (with a postcode before it), not a phone.
_STREET_AFTER = re.compile(
    r"[ ]+(?:[A-Z][\w'-]*[ ]){1,3}?(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Lane|Ln|Dr|Drive|Way|Court|Ct|"
    r"Place|Pl|Square|Sq|Row|Hill|Park|Straße|Strasse|Str|Gasse|Weg|Allee|Platz|gatan|vägen|vej|gade)\b\.?"
)
_ISBN_BEFORE = re.compile(r"(?i)\bisbn(?:-1[03])?[:\s]*\Z")
# Words that say "this is a phone number", within 40 characters before it or just after it.
_PHONE_WORDS = (
    r"phone|telephone|tel|tél|téléphone|mobile|mob|cell|cellphone|fax|call|calls|calling|ring|text|texts|sms|"
    r"whatsapp|viber|contact|reach|dial|desk|office|landline|hotline|helpline|answering|message|messages|"
    r"handy|telefon|telefono|teléfono|telefone|telemóvel|celular|móvil|movil|portable|numéro|nummer|rufnummer|"
    r"appel|appelez|llame|llamar|anrufen|chiamare|ligue|телефон|тел|моб|факс|电话|電話|手机|手機|携帯|전화|"
    r"هاتف|جوال|فون|फ़ोन|फोन|टेलीफोन|מספר|טלפון"
)
_PHONE_WORD_SET = frozenset(_PHONE_WORDS.split("|"))
_AFTER_WORD_SET = _PHONE_WORD_SET | {"home", "work"}
_WORD = re.compile(r"\w+")
_CJK_PHONE_WORDS = tuple(w for w in _PHONE_WORD_SET if not w.isascii() and len(w) <= 2 and ord(w[0]) > 0x2E80)


def _phone_context(text: str, start: int, end: int) -> bool:
    """Whether a word that says "phone" is within 40 characters before, or right after, text[start:end]."""
    before = text[max(0, start - 40) : start].lower()
    if not _PHONE_WORD_SET.isdisjoint(_WORD.findall(before)) or any(w in before for w in _CJK_PHONE_WORDS):
        return True
    after = _WORD.search(text, end, end + 16)
    return after is not None and after.start() - end <= 3 and after.group().lower() in _AFTER_WORD_SET


def _isbn(digits: str) -> bool:
    if len(digits) == 13 and digits[:3] in ("978", "979"):
        return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    if len(digits) == 10:
        return sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11 == 0
    return False


def _phone_kind(candidate: str) -> str | None:
    """"strong" (a phone on its own), "weak" (a phone only in context), or None."""
    m = _EXT.search(candidate)
    main = candidate[: m.start()] if m else candidate
    if " - " in main or " / " in main:
        main = _SPACED.sub(r"\1", main)  # "0471 - 46 838", "089 / 1234": the separator is the dash or slash
    digits = "".join(_GROUPS.findall(main))
    n = len(digits)
    if n < 7 or n > 15 or _DATE_START.match(main) or _DATE.fullmatch(main) or _ZIP4.fullmatch(main) \
            or _SSN.fullmatch(main):
        return None
    if main.count("-") >= 3 and _isbn(digits):  # ISBNs print as 4 or 5 hyphenated groups
        return None
    groups = len(_GROUPS.findall(main))
    if main[0] == "+":
        return "strong" if n >= 8 else None
    if _NANP.fullmatch(main):
        return "strong"
    if main.startswith("00") and n >= 10 and groups >= 2:
        return "strong"
    if (main.startswith("(0") or (main.startswith("0") and main[1:2].isdigit())) and 9 <= n <= 12 and groups >= 2:
        return "strong"
    if _TIME_RANGE.fullmatch(main):
        return None
    parts = main.split("-")
    if len(parts) == 2 and all(p.isdigit() and len(p) >= 4 for p in parts) and int(parts[0]) < int(parts[1]):
        return None  # a range of numbers: 16384-40959
    if n <= 12 and (groups >= 2 or 9 <= n <= 11):
        return "weak"
    return None


def _in_url(text: str, start: int) -> bool:
    """Whether text[start] is inside a URL's path or query (the word it is part of holds '/' and '.')."""
    token = text[max(0, start - 200) : start].rsplit(None, 1)[-1] if start and not text[start - 1].isspace() else ""
    return "/" in token and "." in token


def _phone(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The phone number in text[start:end] (a candidate of the scan), trimmed of stray groups."""
    candidate = _fold(text[start:end])
    kind = _phone_kind(candidate)
    if kind != "strong":
        # A neighbouring number may have been swept in: drop one leading or up to two trailing
        # groups set off by a space (not the "01/" of a date, nor the "-2" of a range), and take
        # a number that stands on its own over one that needs context.
        bounds = [(g.start(), g.end()) for g in _GROUPS.finditer(candidate)]
        best = None
        for lead in (0, 1):
            for trail in (1, 2) if lead == 0 else (0, 1, 2):
                if len(bounds) - lead - trail < 1:
                    continue
                s, e = bounds[lead][0], bounds[len(bounds) - 1 - trail][1]
                if (lead and candidate[s - 1] not in " +(") or (trail and candidate[e] not in " "):
                    continue
                if lead and candidate[s - 1] in "+(":
                    s -= 1
                k = _phone_kind(candidate[s:e])
                if k == "strong" or (k and kind is None and best is None):
                    best = (k, s, e)
                    if k == "strong":
                        break
            if best and best[0] == "strong":
                break
        if best:
            kind, s, e = best
            start, end, candidate = start + s, start + e, candidate[s:e]
        if kind is None:
            return None
    if _in_url(text, start):
        return None
    before = text[max(0, start - 4) : start]
    if _CURRENCY_BEFORE.search(before) or _ISBN_BEFORE.search(text[max(0, start - 12) : start]):
        return None
    if _STREET_AFTER.match(text, end, end + 48) or (text[end : end + 1] == ":" and text[end + 1 : end + 2].isdigit()):
        return None
    if _AFTER_NUMBER.match(text, end, end + 8) and kind == "weak":
        return None
    if kind == "weak" and not _phone_context(text, start, end):
        return None
    return start, end


class Hit(NamedTuple):
    type: str  # one of TYPES
    start: int
    end: int
    value: str


def find(text: str, *, types: Iterable[str] = TYPES, redact_private_ips: bool = False,
         redact_loopback_ips: bool = False, redact_documentation_ips: bool = False,
         kept: Counter | None = None) -> list[Hit]:
    """Every personal-data span in `text`, left to right, not overlapping. `kept` counts look-alikes left alone."""
    wanted = frozenset(types)
    ip_ok = {"public"} | {c for c, on in (("private", redact_private_ips), ("loopback", redact_loopback_ips),
                                           ("documentation", redact_documentation_ips)) if on}
    hits: list[Hit] = []
    pos, n = 0, len(text)
    bracketed_at = False
    anchor = _ANCHOR.search
    while pos < n:
        a = anchor(text, pos)
        if a is None:
            break
        p = a.start()
        c = text[p]
        if c in "([{<":
            bracketed_at = bracketed_at or BRACKETED_AT.match(text, p) is not None
            if c != "(":
                pos = p + 1
                continue
        found: tuple[str, int, int] | None = None
        s = e = p
        kind = None
        if c == "@":
            span = _email(text, p) if "email" in wanted else None
            if span and _RESERVED_DOMAIN.search(text, span[0], span[1]):
                if kept is not None:
                    kept["kept_example_email"] += 1
                span = None
            if span:
                found = ("email", *span)
        else:
            if c == ":":  # an IPv6 address may start with hex letters: step back over them
                while s > p - 4 and s > 0 and text[s - 1] in _HEX:
                    s -= 1
            elif c.isdigit() and p >= 2 and _IBAN_START.match(text, p - 2) and "iban" in wanted:
                end = _iban(text, p - 2)
                if end:
                    found = ("iban", p - 2, end)
            m = None if found or s == p and c == ":" else _AT_ANCHOR.match(text, s)
            if m is not None:
                kind = m.lastgroup
                s, e = m.span()
        if kind in ("ipv4", "ipv6"):
            value = m.group()
            if kind == "ipv6":
                value = value.rstrip(".:")
                e = s + len(value)
                if (value.count(":") < 7 and "::" not in value) or (e < n and (text[e].isalnum() or text[e] == ":")):
                    value = ""
            cls = ip_class(value) if value else None
            if cls is not None and kind == "ipv4" and _VERSION_BEFORE.search(text, max(0, s - 16), s):
                cls = "version"
            if cls in ip_ok and "ip" in wanted:
                found = ("ip", s, e)
            elif kept is not None and cls is not None:
                kept[f"kept_{cls}_ip"] += 1
        elif kind in ("card", "phone"):
            if kind == "card":
                number = _fold(m.group())
                if "card" in wanted and _card(number, text, s):
                    found = ("card", s, e)
                elif kept is not None and not luhn(number.replace(" ", "").replace("-", "")):
                    kept["kept_number_failing_luhn"] += 1
            if found is None and "phone" in wanted:
                if kind == "card":  # a card-shaped run that is no card may still be a phone number
                    pm = _PHONE_ONLY.match(text, s)
                    e = pm.end() if pm else e
                span = _phone(text, s, e)
                if span:
                    found = ("phone", *span)
        if found is not None:
            hits.append(Hit(found[0], found[1], found[2], text[found[1] : found[2]]))
            pos = found[2]
        elif e > p:
            pos = e
        else:  # nothing starts here: skip the rest of this number, address or run of '@'
            r = _RUN.match(text, p)
            pos = r.end() if r else p + 1
    if "email" in wanted and (bracketed_at or "dot" in text or "DOT" in text):
        hits = _with_spelled(text, hits, kept)
    return hits


def _with_spelled(text: str, hits: list[Hit], kept: Counter | None) -> list[Hit]:
    """`hits` with the written-out e-mail addresses added; a hit inside one of them gives way."""
    spelled = []
    for s, e, address in spelled_emails(text):
        if _RESERVED_DOMAIN.search(address):
            if kept is not None:
                kept["kept_example_email"] += 1
        else:
            spelled.append(Hit("email", s, e, text[s:e]))
    if not spelled:
        return hits
    out = [h for h in hits if not any(h.start < w.end and w.start < h.end for w in spelled)] + spelled
    return sorted(out, key=lambda h: h.start)


# --- replacement ----------------------------------------------------------------------------
_FAKE = {
    "email": ("email@example.com", "firstname.lastname@example.org"),
    "phone": tuple(f"555-01{i:02d}" for i in range(100)),
    "card": ("4111 1111 1111 1111", "5555 5555 5555 4444", "3782 822463 10005"),
    "iban": ("GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00"),
}


def fake(hit: Hit) -> str:
    """A reserved example of the same kind as `hit`, chosen by a hash of its value."""
    h = zlib.crc32(hit.value.encode("utf-8"))
    if hit.type == "ip":
        if ":" in hit.value:
            return f"2001:db8::{h % 0xFFFF + 1:x}"
        net = ("192.0.2", "198.51.100", "203.0.113")[h % 3]
        return f"{net}.{h % 254 + 1}"
    choices = _FAKE[hit.type]
    return choices[h % len(choices)]


@dataclass
class PII(Mapper):
    """Replace e-mails, IPs, phone numbers, payment cards and IBANs; drop pages with more than `max_hits`."""

    kind: ClassVar[str] = "pii"

    types: list[str] = field(default_factory=lambda: list(TYPES))
    replace: str = "placeholder"  # or "fake"
    placeholders: dict[str, str] = field(default_factory=dict)  # overrides PLACEHOLDERS per type
    redact_private_ips: bool = False
    redact_loopback_ips: bool = False
    redact_documentation_ips: bool = False
    max_hits: int = -1  # -1: never drop; Dolma drops pages with more than 5

    def __post_init__(self) -> None:
        bad = [t for t in self.types if t not in TYPES] + [t for t in self.placeholders if t not in TYPES]
        if bad:
            raise RecipeError(f"step 'pii': unknown type {bad[0]!r}; types are {', '.join(TYPES)}")
        if self.replace not in ("placeholder", "fake"):
            raise RecipeError(f"step 'pii': replace = {self.replace!r} should be \"placeholder\" or \"fake\"")

    def validate(self) -> None:
        params.at_least(self, "max_hits", 0, off=-1)

    def redact(self, text: str, counts: Counter | None = None) -> tuple[str, list[Hit]]:
        """`text` with every hit replaced, and the hits."""
        hits = find(text, types=self.types, redact_private_ips=self.redact_private_ips,
                    redact_loopback_ips=self.redact_loopback_ips,
                    redact_documentation_ips=self.redact_documentation_ips, kept=counts)
        if not hits:
            return text, hits
        names = {**PLACEHOLDERS, **self.placeholders}
        parts, last = [], 0
        for h in hits:
            parts.append(text[last : h.start])
            parts.append(fake(h) if self.replace == "fake" else names[h.type])
            last = h.end
        parts.append(text[last:])
        return "".join(parts), hits

    def apply(self, doc: Document) -> Document | tuple[None, str]:
        kept: Counter = Counter()
        text, hits = self.redact(doc.text, kept)
        for key, n in kept.items():
            self.ctx.count(key, n)
        if not hits:
            return doc
        for h in hits:
            self.ctx.count(h.type)
        self.ctx.count("documents_with_pii")
        if 0 <= self.max_hits < len(hits):
            return None, "pii_too_many"
        doc.text = text
        return doc
