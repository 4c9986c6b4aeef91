"""robots.txt matching: Google's conformance checks, the RFC 9309 examples, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fruitstand.rights.robots import RobotsTxt, agent_token, escape_pattern, url_path

DATA = Path(__file__).resolve().parents[1] / "data" / "google_robotstxt_cases.json"


@pytest.fixture(scope="module")
def google():
    return json.loads(DATA.read_text(encoding="utf-8"))


def test_every_google_conformance_check_passes(google):
    """google/robotstxt robots_test.cc: every IsUserAgentAllowed check (the URL passed as Google's
    caller would: already percent-encoded, so url_path(encode=False))."""
    failed = [(c["test"], c["agent"], c["url"][:60]) for c in google["allowed"]
              if RobotsTxt.parse(c["robotstxt"].encode("utf-8")).allowed(c["agent"], url_path(c["url"], encode=False))
              != c["allowed"]]
    assert len(google["allowed"]) == 145
    assert failed == []


def test_google_path_and_escape_checks(google):
    assert [url_path(c["url"], encode=False) for c in google["path"]] == [c["path"] for c in google["path"]]
    assert [escape_pattern(c["pattern"]) for c in google["escape"]] == [c["escaped"] for c in google["escape"]]


def test_urls_are_percent_encoded_before_matching():
    robots = RobotsTxt.parse("User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/ツ\n".encode())
    assert robots.allowed("FooBot", url_path("http://foo.bar/foo/bar/ツ"))
    assert robots.allowed("FooBot", url_path("http://foo.bar/foo/bar/%e3%83%84"))  # case of escapes does not matter
    assert not robots.allowed("FooBot", url_path("http://foo.bar/foo/baz"))


def test_rfc9309_simple_example(shared):
    robots = RobotsTxt.parse((shared / "robots" / "crawler-commons" / "rfc9309-example-simple-robots.txt").read_bytes())
    cases = [
        ("foobot", "/example/page.html", True), ("foobot", "/example/allowed.gif", True), ("foobot", "/x", False),
        ("barbot", "/example/page.html", False), ("bazbot", "/example/page.html", False), ("barbot", "/x", True),
        ("quxbot", "/example/page.html", True), ("quxbot", "/a.gif", True),
        ("otherbot", "/a.gif", False), ("otherbot", "/a.gif?x", True), ("otherbot", "/example/x", False),
        ("otherbot", "/publications/x", True),
    ]
    assert [(a, p, robots.allowed(a, p)) for a, p, _ in cases] == cases


def test_rfc9309_group_merging_and_longest_match(shared):
    folder = shared / "robots" / "crawler-commons"
    merged = RobotsTxt.parse((folder / "rfc9309-example-rule-group-merging.txt").read_bytes())
    assert [merged.allowed("ExampleBot", p) for p in ("/foo", "/bar", "/baz", "/qux")] == [False, False, False, True]
    assert [merged.allowed("BazBot", p) for p in ("/foo", "/baz")] == [True, False]
    assert not merged.allowed("Other", "/foo") and merged.allowed("Other", "/baz")
    longest = RobotsTxt.parse((folder / "rfc9309-example-longest-match-robots.txt").read_bytes())
    assert longest.allowed("foobot", "/example/page/") and not longest.allowed("foobot", "/example/page/disallowed.gif")


def test_byte_order_marks_and_typos(shared):
    folder = shared / "robots" / "crawler-commons"
    for name in ("robots-with-utf8-bom.txt", "robots-with-utf16le-bom.txt", "robots-with-utf16be-bom.txt"):
        robots = RobotsTxt.parse((folder / name).read_bytes())
        assert "*" in robots.groups and robots.groups["*"], name
    typos = RobotsTxt.parse((folder / "directive-typos-robots.txt").read_bytes())
    assert not typos.allowed("bot1", "/dissalow/x")  # a frequent typo Google accepts
    assert not typos.allowed("bot2", "/useragent/x")
    assert not typos.allowed("bot4", "/useragent-no-colon/x")
    assert typos.allowed("bot3", "/useg-agent/x")  # no such directive: no group for bot3


def test_star_groups_count_only_when_asked():
    robots = RobotsTxt.parse(b"User-agent: *\nDisallow: /\n\nUser-agent: GPTBot\nDisallow: /private/\n")
    assert not robots.allowed("gptbot", "/private/x", star=False) and robots.allowed("gptbot", "/x", star=False)
    assert robots.allowed("ccbot", "/x", star=False) and not robots.allowed("ccbot", "/x", star=True)


def test_agent_tokens():
    assert agent_token("Googlebot/2.1") == "googlebot"
    assert agent_token("AI2Bot") == "ai2bot" and agent_token("Kangaroo Bot") == "kangaroo"
    assert agent_token("* # all") == "*"


def test_real_robots_files_parse_and_answer(shared):
    """The 2,116 real robots.txt files (protego's, 2019): every one parses, and the 15 that name
    CCBot bar it where they say so."""
    files = sorted((shared / "robots" / "protego").iterdir())
    assert len(files) > 2000
    parsed = {f.name: RobotsTxt.parse(f.read_bytes()) for f in files}
    assert not parsed["ballotpedia.org"].allowed("CCBot", "/wiki/Main_Page")
    assert parsed["ballotpedia.org"].allowed("GPTBot", "/wiki/Main_Page", star=True)
    assert not parsed["ballotpedia.org"].allowed("GPTBot", "/wiki/index.php/User:Someone", star=True)
    assert not parsed["www.who.int"].allowed("ccbot", "/news")  # "Disallow:/" without a space
    assert not parsed["9gag.com"].allowed("Anybot", "/search?query=x") and parsed["9gag.com"].allowed("Anybot", "/gag/1")
    ccbot = [name for name, r in parsed.items() if "ccbot" in r.groups]
    assert len(ccbot) >= 12
