"""opt_out on real pages (articles-61) with each signal added, each trap, and pages with none."""

from __future__ import annotations

import json

import pytest

from fruitstand.document import Document
from fruitstand.rights.opt_out import OptOut, ai_training_agents
from fruitstand.step import StepStats
from tests.io.build import html_records


@pytest.fixture(scope="module")
def pages(shared):
    return html_records(shared / "warc" / "articles-61.warc.gz", 12)


def with_head(body: bytes, tags: str) -> bytes:
    """The page with `tags` added at the start of its <head> (or of the page when it has none)."""
    i = body.lower().find(b"<head")
    if i < 0:
        return tags.encode() + body
    j = body.index(b">", i) + 1
    return body[:j] + tags.encode() + body[j:]


def doc(url: str, body: bytes, headers=None) -> Document:
    return Document(url, "", {"url": url}, html=body, http_headers=headers or [("Content-Type", "text/html")])


def run(step: OptOut, docs: list[Document]) -> tuple[list[Document], StepStats]:
    step.setup()
    stats = StepStats()
    return list(step.process(docs, stats)), stats


def test_real_pages_carry_no_signal(pages):
    kept, stats = run(OptOut(), [doc(u, b) for u, b, _ in pages])
    assert len(kept) == len(pages) and not stats.dropped


def test_each_signal_is_its_own_drop_reason(pages):
    (u0, b0, _), (u1, b1, _), (u2, b2, _), (u3, b3, _), (u4, b4, _) = pages[:5]
    docs = [
        doc(u0, b0, [("Content-Type", "text/html"), ("X-Robots-Tag", "noindex"), ("X-Robots-Tag", "noai, noimageai")]),
        doc(u1, with_head(b1, '<meta name="robots" content="NoAI">')),
        doc(u2, with_head(b2, '<meta name="GPTBot" content="noai">')),
        doc(u3, b3, [("tdm-reservation", "1")]),
        doc(u4, with_head(b4, "<meta name='tdm-reservation' content='1'><meta name='tdm-policy' content='https://x/p.json'>")),
    ]
    kept, stats = run(OptOut(), docs)
    assert kept == []
    assert stats.dropped == {"opt_out:noai": 3, "opt_out:tdmrep": 2}


def test_traps_are_not_signals(pages):
    (u0, b0, _), (u1, b1, _), (u2, b2, _), (u3, b3, _), (u4, b4, _) = pages[:5]
    docs = [
        # a directive scoped to a bot that is not an AI crawler
        doc(u0, b0, [("X-Robots-Tag", "googlebot: noai"), ("X-Robots-Tag", "unavailable_after: 25 Jun 2030 15:00:00 PST")]),
        # noai in the body, not in a meta of the head
        doc(u1, b1.replace(b"</body>", b'<p>Add <meta name="robots" content="noai"> to opt out.</p></body>')),
        # a meta inside an HTML comment
        doc(u2, with_head(b2, '<!-- <meta name="robots" content="noai"> -->')),
        # TDMRep: the page's meta says 0, which supersedes the header's 1
        doc(u3, with_head(b3, '<meta name="tdm-reservation" content="0">'), [("tdm-reservation", "1")]),
        # other robots directives
        doc(u4, with_head(b4, '<meta name="robots" content="noindex, nofollow, noarchive">')),
    ]
    kept, stats = run(OptOut(), docs)
    assert len(kept) == 5 and not stats.dropped


def test_tag_mode_keeps_pages_and_names_signals(pages):
    (u0, b0, _), (u1, b1, _) = pages[:2]
    docs = [doc(u0, with_head(b0, '<meta name="robots" content="noai">'), [("tdm-reservation", "1")]), doc(u1, b1)]
    step = OptOut(mode="tag")
    kept, stats = run(step, docs)
    assert [d.metadata.get("opt_out") for d in kept] == ["noai,tdmrep", None]
    assert not stats.dropped and dict(step.ctx.stats.extra) == {"noai": 1, "tdmrep": 1}


def test_configured_tokens_and_agents(pages):
    (u0, b0, _), (u1, b1, _) = pages[:2]
    docs = [doc(u0, with_head(b0, '<meta name="robots" content="notrain">')),
            doc(u1, with_head(b1, '<meta name="MyBot" content="noai">'))]
    kept, _ = run(OptOut(), docs)
    assert len(kept) == 2
    kept, stats = run(OptOut(tokens=["notrain", "noai"], agents=["ai-training", "MyBot"]), docs)
    assert kept == [] and stats.dropped == {"opt_out:noai": 2}


def test_tdmrep_file_first_match_then_header_then_meta(pages, tmp_path):
    """/.well-known/tdmrep.json from a folder of HOST.json files: rules in order, the first match
    wins (the report's example); the header and then the HTML supersede it."""
    (tmp_path / "provider.com.json").write_text(json.dumps([
        {"location": "/directory-a/", "tdm-reservation": 1},
        {"location": "/directory-b/html/", "tdm-reservation": 1, "tdm-policy": "https://provider.com/policies/policy.json"},
        {"location": "/directory-b/images/*.jpg", "tdm-reservation": 0},
        {"location": "/directory-b/", "tdm-reservation": 1},
    ]))
    body = pages[0][1]
    step = OptOut(mode="tag", tdmrep=str(tmp_path))
    step.setup()
    cases = {
        "https://provider.com/directory-a/page.html": ["tdmrep"],
        "https://provider.com/directory-b/html/x.html": ["tdmrep"],
        "https://provider.com/directory-b/images/a.jpg": [],  # the first match says 0
        "https://provider.com/directory-b/%69mages/a.jpg": [],  # %69 is "i": decoded before matching
        "https://provider.com/directory-b/other": ["tdmrep"],
        "https://provider.com/elsewhere": [],
        "https://other.org/directory-a/page.html": [],  # no file for this host
    }
    assert {u: step.signals(doc(u, body)) for u in cases} == cases
    # the page's own header and meta come after the file
    u = "https://provider.com/directory-a/page.html"
    assert step.signals(doc(u, body, [("tdm-reservation", "0")])) == []
    assert step.signals(doc(u, with_head(body, '<meta name="tdm-reservation" content="0">'))) == []
    assert step.signals(doc("https://provider.com/elsewhere", with_head(body, '<meta name="tdm-reservation" content="1">'))) == ["tdmrep"]


def test_robots_folder_of_host_files(shared, pages, tmp_path):
    """A folder of HOST.txt files (real robots.txt files): dropped where one of the AI training
    agents is disallowed; rules for `*` alone count only with star = true."""
    protego = shared / "robots" / "protego"
    for host in ("ballotpedia.org", "www.who.int", "9gag.com"):
        (tmp_path / f"{host}.txt").write_bytes((protego / host).read_bytes())
    body = pages[0][1]
    urls = {
        "https://ballotpedia.org/Main_Page": "robots.txt",  # User-agent: CCBot / Disallow: /
        "http://www.who.int/news-room": "robots.txt",
        "https://9gag.com/search?query=cats": None,  # disallowed to * only
        "https://9gag.com/gag/abc": None,
        "https://unknown.example/page": None,  # no robots.txt known
    }
    step = OptOut(mode="tag", robots=str(tmp_path))
    step.setup()
    assert {u: (step.signals(doc(u, body)) or [None])[0] for u in urls} == urls
    star = OptOut(mode="tag", robots=str(tmp_path), star=True)
    star.setup()
    assert star.signals(doc("https://9gag.com/search?query=cats", body)) == ["robots.txt"]
    assert star.signals(doc("https://9gag.com/gag/abc", body)) == []


def test_default_agents_are_the_ai_training_crawlers():
    agents = ai_training_agents()
    for name in ("GPTBot", "CCBot", "ClaudeBot", "Google-Extended", "Applebot-Extended", "Bytespider", "meta-externalagent"):
        assert name in agents
    for name in ("ChatGPT-User", "PerplexityBot", "OAI-SearchBot", "Claude-User"):  # assistants and search, not training
        assert name not in agents


def test_text_documents_without_raw_record(pages, tmp_path):
    (tmp_path / "ballotpedia.org.txt").write_text("User-agent: GPTBot\nDisallow: /\n")
    docs = [Document("a", "some text", {"url": "https://ballotpedia.org/x"}), Document("b", "other text", {})]
    kept, stats = run(OptOut(robots=str(tmp_path)), docs)
    assert [d.id for d in kept] == ["b"] and stats.dropped == {"opt_out:robots.txt": 1}


def test_bad_parameters_are_refused_at_validation(tmp_path):
    from fruitstand import Recipe, RecipeError

    for table, words in [({"mode": "remove"}, "mode = 'remove' should be one of drop, tag"),
                         ({"robots": str(tmp_path / "none.warc.gz")}, "not found: give a WARC of robots.txt captures"),
                         ({"tdmrep": str(tmp_path / "nowhere")}, "folder of HOST.json files")]:
        with pytest.raises(RecipeError, match=words) as err:
            Recipe([{"kind": "opt_out", **table}, {"kind": "extract"}]).validate({"warc"})
        assert "\n" not in str(err.value)
    with pytest.raises(RecipeError, match="keep = 'all'"):
        Recipe([{"kind": "license", "keep": "all"}]).validate({"jsonl"})
