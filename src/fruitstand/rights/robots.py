"""robots.txt as RFC 9309 reads it: groups per user agent, longest match, Allow on ties.

`RobotsTxt.parse(data)` reads a file's bytes; `allowed(agent, path)` answers for one agent
and one URL path (with its query). What the RFC leaves open is done as Google's parser
does it (github google/robotstxt, whose conformance tests tests/data holds):

- lines end in LF, CR or CRLF; a UTF-8 byte-order mark (or part of one) is skipped, UTF-16
  with its mark is decoded; `#`
  starts a comment; a line over 16,663 bytes is cut there;
- a missing colon is forgiven ("disallow /") and so are frequent typos ("dissallow",
  "useragent");
- a group is one or more `user-agent` lines and the rules after them; groups naming the
  same agent are merged; rules before the first group are ignored; other lines (Sitemap,
  Crawl-delay, ...) do not end a group;
- a user-agent line names the product token up to its first character outside
  [A-Za-z0-9_-] ("Googlebot/2.1" names "googlebot"), compared without case (digits are
  kept, unlike Google's reading: sites write "AI2Bot", which Google would read as "ai");
- an agent with no group of its own obeys the `*` groups (`star = False` turns this off,
  for opt-out checks that count only rules naming a crawler);
- a pattern matches a prefix of the path, `*` matches any run of characters and a final
  `$` the path's end; the longest pattern (in octets) wins and Allow wins a tie; an
  empty pattern matches nothing; `Allow: /dir/index.html` also allows `/dir/`;
- patterns are percent-encoded as the RFC says (octets outside US-ASCII as %XX, %xx
  written upper-case); the caller passes paths already encoded (`url_path` does it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 2083 * 8 - 1  # Google's limit: 8 times the longest URL browsers took
_AGENT_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_KEYS = {
    "user-agent": "user-agent", "useragent": "user-agent", "user agent": "user-agent",
    "allow": "allow",
    "disallow": "disallow", "dissallow": "disallow", "dissalow": "disallow", "disalow": "disallow",
    "diasllow": "disallow", "disallaw": "disallow",
}
_NO_COLON = re.compile(r"\s*(user-agent|useragent|allow|disallow|dissallow|dissalow|disalow|diasllow|disallaw)"
                       r"\s+(\S.*)?$", re.IGNORECASE)


def agent_token(name: str) -> str:
    """The product token a user-agent value names, lower-cased ("" for none; "*" for the star)."""
    name = name.strip()
    if name.startswith("*"):
        return "*"
    m = _AGENT_TOKEN.match(name)
    return m.group(0).lower() if m else ""


def escape_pattern(pattern: str) -> str:
    """Octets outside US-ASCII percent-encoded, existing %xx escapes upper-cased (RFC 9309 2.2.2)."""
    if pattern.isascii() and "%" not in pattern:
        return pattern
    out = []
    data = pattern.encode("utf-8")
    i = 0
    while i < len(data):
        b = data[i]
        if b == 0x25 and i + 3 <= len(data) and re.fullmatch(rb"[0-9A-Fa-f]{2}", data[i + 1:i + 3]):
            out.append("%" + data[i + 1:i + 3].decode().upper())
            i += 3
            continue
        out.append(chr(b) if b < 0x80 else f"%{b:02X}")
        i += 1
    return "".join(out)


class Rule:
    """One Allow or Disallow pattern; a pattern with `*` or a final `$` becomes a regex on its
    first use (most rules of a file belong to other crawlers and are never matched)."""

    __slots__ = ("allow", "pattern", "_regex")

    def __init__(self, allow: bool, pattern: str):
        self.allow = allow
        self.pattern = pattern
        self._regex: re.Pattern | None | bool = False  # False: not compiled yet; None: a plain prefix

    def __repr__(self) -> str:
        return f"Rule({'allow' if self.allow else 'disallow'} {self.pattern!r})"

    def matches(self, path: str) -> bool:
        regex = self._regex
        if regex is False:
            regex = self._regex = _compile(self.pattern)
        if regex is None:
            return path.startswith(self.pattern)
        return regex.match(path) is not None


def _compile(pattern: str) -> re.Pattern | None:
    if "*" not in pattern and not pattern.endswith("$"):
        return None
    body, end = (pattern[:-1], r"\Z") if pattern.endswith("$") else (pattern, "")
    return re.compile(".*?".join(map(re.escape, body.split("*"))) + end, re.DOTALL)


class Rules:
    """The merged rules of the groups that apply to one agent."""

    __slots__ = ("rules",)

    def __init__(self, rules: list[Rule]):
        # Longest first, Allow before Disallow on a tie: the first match decides.
        self.rules = sorted(rules, key=lambda r: (-len(r.pattern), not r.allow))

    def allowed(self, path: str) -> bool:
        for rule in self.rules:
            if rule.matches(path):
                return rule.allow
        return True

    def disallows_anything(self) -> bool:
        return any(not r.allow for r in self.rules)


@dataclass
class RobotsTxt:
    groups: dict[str, list[Rule]]  # agent token -> merged rules ("*" for the star groups)

    @classmethod
    def parse(cls, data: bytes | str) -> RobotsTxt:
        if isinstance(data, bytes) and data.startswith((b"\xff\xfe", b"\xfe\xff")):
            data = data.decode("utf-16", errors="replace")  # a UTF-16 file with its byte-order mark
        if isinstance(data, bytes):
            for bom in (b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"):
                if data.startswith(bom):
                    data = data[len(bom):]
                    break
            data = data.decode("utf-8", errors="replace")
        groups: dict[str, list[Rule]] = {}
        current: list[str] = []  # agents of the group being read
        in_rules = False  # a rule was read since the last user-agent line
        for line in data.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            line = line[:MAX_LINE].split("#", 1)[0].strip()
            if not line:
                continue
            key, sep, value = line.partition(":")
            key = key.strip().lower()
            if not sep or key not in _KEYS:
                m = _NO_COLON.match(line) if not sep or key not in _KEYS else None
                if m is None:
                    continue  # Sitemap, Crawl-delay, junk: no group ends here
                key, value = m.group(1).lower(), m.group(2) or ""
            key, value = _KEYS[key], value.strip()
            if key == "user-agent":
                if in_rules:
                    current, in_rules = [], False
                token = agent_token(value)
                if token:
                    current.append(token)
                    groups.setdefault(token, [])
                continue
            in_rules = True
            if not current or not value:
                continue  # a rule outside any group, or an empty pattern: matches nothing
            pattern = escape_pattern(value)
            rules = [Rule(key == "allow", pattern)]
            if key == "allow" and pattern.endswith("/index.html"):
                rules.append(Rule(True, pattern[:-len("index.html")] + "$"))
            for agent in current:
                groups[agent].extend(rules)
        return cls(groups)

    def rules_for(self, agent: str, *, star: bool = True) -> Rules | None:
        """The rules `agent` obeys (a product token or a full name); None when no group applies."""
        rules = self.groups.get(agent.lower())
        if rules is None and star:
            rules = self.groups.get("*")
        return Rules(rules) if rules is not None else None

    def allowed(self, agent: str, path: str, *, star: bool = True) -> bool:
        rules = self.rules_for(agent, star=star)
        return True if rules is None else rules.allowed(path)


def url_path(url: str, *, encode: bool = True) -> str:
    """The path, parameters and query of `url` (no fragment), "/" when empty; percent-encoded
    as robots.txt patterns are unless `encode` is False (Google's GetPathParamsQuery)."""
    start = 0
    if url.startswith("//"):
        start = 2
    else:
        scheme = url.find("://")
        if scheme >= 0 and url.find("/", 0, scheme) < 0 and url.find("?", 0, scheme) < 0:
            start = scheme + 3
    end = url.find("#", start)
    end = len(url) if end < 0 else end
    slash = url.find("/", start, end)
    query = url.find("?", start, end)
    cut = min(i for i in (slash, query, end) if i >= 0)
    if start == 0 and cut == slash == 0:  # a bare path
        cut = 0
    path = url[cut:end] if cut < end else "/"
    if not path.startswith("/"):
        path = "/" + path
    return escape_pattern(path) if encode else path
