"""`opt_out`: drop the pages whose owners reserve them from AI training, counted per signal.

Signals, each a drop reason (`opt_out:noai`, `opt_out:tdmrep`, `opt_out:robots.txt`: a page
with several is dropped for the first; the manifest's `extra` counts every signal seen, in
both modes) and, with `mode = "tag"`, a name in the kept page's `opt_out` field
(comma-separated):

- `noai`: an `X-Robots-Tag` header or `<meta name="robots">` (or a meta named after one of
  `agents`) holding one of `tokens` (`noai`, `noimageai` by default: DeviantArt's and
  Spawning's directives);
- `tdmrep`: the W3C TDM Reservation Protocol (Final Community Group Report, 2024):
  `tdm-reservation: 1` from the site's `/.well-known/tdmrep.json` (`tdmrep = "PATH"`, its
  rules matched in order, the first match used, as the report says), then the HTTP header,
  then `<meta name="tdm-reservation">`; each later source supersedes the earlier, an absent
  value resets nothing, and `0` lifts a reservation;
- `robots.txt`: with `robots = "PATH"` (a WARC of robots.txt captures, a folder of them, or a
  folder of HOST.txt files: captures.py), a page whose host's robots.txt disallows its path
  to any of `agents` (RFC 9309 matching: robots.py). A group for `*` alone counts only with
  `star = true`: it speaks to every crawler, search engines included, and a site that bars
  all bots from a folder has not said anything about AI training. A robots.txt that
  answered 5xx means "complete disallow" (RFC 9309 2.3.1.4), counted as `robots.txt` too;
  4xx or no capture allows all.

`agents` defaults to "ai-training": the AI training crawlers of the ai.robots.txt list
(shipped in rights/data with its MIT licence): those whose stated function is training,
scraping, LLMs, datasets, machine learning or AI models, or that are listed as AI data
scrapers or providers: 78 of its 166 names (74 tokens), GPTBot, CCBot, ClaudeBot, Google-Extended,
Applebot-Extended, Bytespider and meta-externalagent among them. Add names beside it
(`agents = ["ai-training", "MyBot"]`) or replace it.

It reads the raw record (headers and the HTML head), so it runs best first, before
`extract` spends work on pages it drops; on text input (JSONL, WET) only robots.txt applies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from fruitstand.document import Document
from fruitstand.registry import RecipeError
from fruitstand.rights.captures import Capture, CaptureIndex, host_key
from fruitstand.rights.robots import RobotsTxt, Rule, Rules, agent_token, url_path
from fruitstand.rights.signals import meta_tags, robots_directives, tdm_reservation
from fruitstand.step import Mapper

AI_TRAINING = "ai-training"
MODES = ("drop", "tag")
_TRAINING = re.compile(r"train|scrap|\bLLMs?\b|data ?sets?\b|machine learning|data providers?|AI model|"
                       r"AI development|Apple Intelligence", re.IGNORECASE)
_UNRESERVED = re.compile(r"%(4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa]|3[0-9]|2[DEde]|5[Ff]|7[Ee])")
_ALL = "all"  # a host whose robots.txt bars every path (5xx)


def ai_training_agents() -> list[str]:
    """The user agents of the shipped ai.robots.txt list that crawl for AI training."""
    data = json.loads(resources.files("fruitstand.rights").joinpath("data/ai-robots.json").read_text("utf-8"))
    return [name for name, info in data.items() if _TRAINING.search(info.get("function", ""))]


@dataclass
class OptOut(Mapper):
    kind = "opt_out"
    needs = "any"
    reads_raw = True
    columns = {"opt_out": "string"}

    # "drop" removes reserved pages; "tag" keeps them with the signals in `opt_out`.
    mode: str = "drop"
    # robots.txt captures: a WARC, a folder of WARCs, or a folder of HOST.txt files ("" = none).
    robots: str = ""
    # /.well-known/tdmrep.json captures, the same forms (HOST.json files) ("" = none).
    tdmrep: str = ""
    # Crawlers whose robots.txt rules and named meta tags count; "ai-training" = the ai.robots.txt list's.
    agents: list[str] = field(default_factory=lambda: [AI_TRAINING])
    # Whether rules for `*` alone count (they bind every crawler, search engines too).
    star: bool = False
    # X-Robots-Tag / meta robots directives that reserve a page.
    tokens: list[str] = field(default_factory=lambda: ["noai", "noimageai"])

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RecipeError(f"step 'opt_out': mode = {self.mode!r} should be one of {', '.join(MODES)}")
        for name, what in (("robots", "robots.txt"), ("tdmrep", "tdmrep.json")):
            value = getattr(self, name)
            if value and not Path(value).exists():
                raise RecipeError(f"step 'opt_out': {name} = {value!r} not found: give a WARC of {what} captures, "
                                  f"a folder of them, or a folder of HOST{Path(what).suffix} files")

    def setup(self) -> None:
        names = [n for a in self.agents for n in (ai_training_agents() if a == AI_TRAINING else [a])]
        self._agents = sorted({t for t in map(agent_token, names) if t and t != "*"})
        self._agent_set = set(self._agents)
        self._tokens = {t.strip().lower() for t in self.tokens}
        self._robots = CaptureIndex(self.robots, self._compile_robots) if self.robots else None
        self._tdm = CaptureIndex(self.tdmrep, _compile_tdmrep, suffix=".json") if self.tdmrep else None

    def _compile_robots(self, cap: Capture | None) -> list[Rules] | str | None:
        """The rule sets that bind any of our agents, or None when none can disallow anything."""
        if cap is None or 400 <= cap.status < 500 or 300 <= cap.status < 400:
            return None
        if cap.status >= 500:
            return _ALL
        robots = RobotsTxt.parse(cap.body)
        seen, out = set(), []
        for agent in self._agents:
            rules = robots.groups.get(agent)
            key = agent
            if rules is None and self.star:
                rules, key = robots.groups.get("*"), "*"
            if rules is None or key in seen:
                continue
            seen.add(key)
            compiled = Rules(rules)
            if compiled.disallows_anything():
                out.append(compiled)
        return out or None

    def signals(self, doc: Document) -> list[str]:
        if "_agents" not in self.__dict__:
            self.setup()
        found = []
        metas = meta_tags(doc.html) if doc.html else []
        headers = doc.http_headers
        if (headers or metas) and robots_directives(headers, metas, self._agent_set) & self._tokens:
            found.append("noai")
        url = doc.url or ""
        host = host_key(url) if (self._robots or self._tdm) and url else None
        path = url_path(url) if host else "/"
        reserved = None
        if self._tdm is not None and host:
            reserved = _tdm_file_reservation(self._tdm.get(host), path)
        if headers or metas:
            page = tdm_reservation(headers, metas)
            reserved = reserved if page is None else page
        if reserved == 1:
            found.append("tdmrep")
        if self._robots is not None and host:
            rules = self._robots.get(host)
            if rules == _ALL or rules and any(not r.allowed(path) for r in rules):
                found.append("robots.txt")
        return found

    def apply(self, doc: Document) -> Document | tuple[None, str]:
        found = self.signals(doc)
        if not found:
            return doc
        for signal in found:  # every signal a page carries, in `extra`; the drop reason is the first
            self.ctx.count(signal)
        if self.mode == "drop":
            return None, f"opt_out:{found[0]}"
        doc.metadata["opt_out"] = ",".join(found)
        return doc


def _compile_tdmrep(cap: Capture | None) -> list[tuple[Rule, int]] | None:
    """A tdmrep.json's rules in order: (location pattern, reservation); None when there is none."""
    if cap is None or cap.status != 200:
        return None
    try:
        rules = json.loads(cap.body.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return None
    out = []
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict) or not isinstance(rule.get("location"), str):
            continue
        value = rule.get("tdm-reservation")
        if str(value).strip() in ("0", "1"):
            out.append((Rule(True, _decode_unreserved(rule["location"])), int(str(value).strip())))
    return out or None


def _tdm_file_reservation(rules: list[tuple[Rule, int]] | None, path: str) -> int | None:
    if not rules:
        return None
    path = _decode_unreserved(path)
    for rule, value in rules:  # "the most specific match is the first in sequence"
        if rule.matches(path):
            return value
    return None


def _decode_unreserved(text: str) -> str:
    """Percent-escapes of unreserved characters decoded, as TDMRep says before comparing."""
    return _UNRESERVED.sub(lambda m: chr(int(m.group(1), 16)), text) if "%" in text else text
