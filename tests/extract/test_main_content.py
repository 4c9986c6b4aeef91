"""The container rules on a real page (phys.org, from the article-extraction benchmark): class
names that look like boilerplate on the article's own wrappers must not cost the article."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from resiliparse.parse.html import HTMLTree

from fruitstand.extract import blocks, main_content
from fruitstand.extract.decode import decode_html
from fruitstand.extract.prune import drop_inert

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
import extraction_quality  # noqa: E402

CONTAINER = 'class="mt-4 article-main"'  # the div the votes pick on this page


@pytest.fixture(scope="module")
def page(shared) -> str:
    pages, _ = extraction_quality.load_benchmark()
    (html,) = [h for url, h in pages.items() if url.startswith("e1c7023ee2")]
    text = decode_html(drop_inert(html))
    assert text.count(CONTAINER) == 1
    return text


def extract(page: str) -> str:
    return main_content.main_text(page, HTMLTree.parse(page))


def test_the_article_container_is_found(page):
    tree = HTMLTree.parse(page)
    element, depth, voted = main_content._container(tree.body)
    assert element.getattr("class") == "mt-4 article-main" and depth > 2 and voted > 3000
    text = extract(page)
    assert "Feedback to editors" not in text and "hibernat" in text.lower()


def test_a_boilerplate_word_on_the_page_wrapper_does_not_silence_the_article(page):
    # e.g. BBC's "blq-int-nav" on the div around the whole page: it holds most paragraphs
    body_at = page.index("<body")
    open_end = page.index(">", body_at) + 1
    wrapped = page[:open_end] + '<div class="site-nav-wrapper">' + page[open_end:].replace("</body>", "</div></body>")
    assert extract(wrapped) == extract(page)


def test_a_skip_selector_matching_the_article_falls_back_to_the_rules(page):
    # "share" on the container itself: the plain pass would skip it all, resiliparse's rules keep it
    renamed = page.replace(CONTAINER, 'class="mt-4 article-main share-target"')
    text, reference = extract(renamed), extract(page)
    assert len(text) > 0.8 * len(reference)
    assert reference.split("\n")[2][:60] in text


def test_a_page_inside_a_noscript_gets_its_article_back():
    # "<noscript><div id=nojs></noscript>": the parser keeps the div open around the whole page,
    # and both resiliparse passes skip a <noscript>'s contents; the second chance unwraps it
    prose = ("The council approved the new budget on Monday after a long debate about school funding, "
             "road repairs and the cost of running the city's libraries for another year. ")
    page = ("<html><body><noscript><div id='nojs'></noscript><div id='menu'><a href='/'>Home</a></div>"
            + "".join(f"<div><p>{prose}Part {i}.</p></div>" for i in range(6)) + "</div></body></html>")
    text = main_content.main_text(page, HTMLTree.parse(page), model=blocks.default_model())
    assert text.count("approved the new budget") == 6
    # The menu's one link: the model retrained with the leads (threshold 0.30) keeps it on this
    # page of six identical paragraphs (0.88 in the whole-page pass; 0.26 under the model before),
    # though not on real pages' held-out halves (precision there rose: results/extraction.md).
    # What must hold is that it scores under the article's paragraphs.
    whole = blocks.split_blocks(main_content.whole_page(page, "", None))
    p = blocks.default_model().probabilities(blocks.features(whole, blocks.MODE_PAGE_WHOLE))
    assert whole[0][0] == "Home" and p[0] < p[1:].min()


def test_soft_hyphens_are_dropped():
    prose = "Schon im Mit\xadtel\xadal\xadter war der Wein das Aus\xadhän\xadge\xadschild der Re\xadgion, weit\xadhin gelobt. "
    page = "<html><body><article>" + "".join(f"<p>{prose * 2}</p>" for _ in range(4)) + "</article></body></html>"
    text = main_content.main_text(page, HTMLTree.parse(page), model=blocks.default_model())
    assert "Mittelalter" in text and "\xad" not in text


def test_an_articles_lead_in_its_header_goes_to_the_model():
    prose = ("The council approved the new budget on Monday after a long debate about school funding, "
             "road repairs and the cost of running the city's libraries for another year. ")
    lead = "Libraries keep their hours, roads get repaired first, and schools wait until spring for new funds."
    page = ("<html><body><article><header><h1>Budget passes</h1><p class='byline'>By A. Writer</p>"
            f"<p>{lead}</p></header><div class='body'>" + "".join(f"<p>{prose}Part {i}.</p>" for i in range(5))
            + "</div></article></body></html>")
    tree = HTMLTree.parse(page)
    container = main_content._container(tree.body)[0]
    assert main_content._leads(tree.body, container) == [lead]
    text = main_content.main_text(page, HTMLTree.parse(page), model=blocks.default_model())
    assert text.startswith(lead) and text.count("approved the new budget") == 5 and "By A. Writer" not in text
    # without the model the container's text is as before: no lead
    assert lead not in main_content.main_text(page, HTMLTree.parse(page))


def test_leads_are_bounded_on_deep_pages_full_of_paragraphs():
    # 3,000 prose paragraphs 1,900 elements deep between the title and the article: 21 s of
    # ancestor walks before the bounds (LEAD_SCAN, MAX_DEPTH)
    prose = "The council approved the new budget on Monday after a long debate about school funding and roads. "
    page = ("<html><body><h1>Title</h1>" + "<div>" * 1900 + "".join(f"<p>{prose}</p>" for _ in range(3000))
            + "</div>" * 1900 + "<article>" + "".join(f"<p>{prose * 3}</p>" for _ in range(200)) + "</article></body></html>")
    start = time.process_time()
    main_content.main_text(page, HTMLTree.parse(page), model=blocks.default_model())
    assert time.process_time() - start < 3


def test_nesting_check_counts_start_tags_only():
    """End tags, comments and doctypes open no level: a page of 1,500 closed paragraphs (3,000+ `<`s)
    is not looked at for depth; one with 2,001 unclosed <div>s is, and gets the plain pass."""
    closed = "<!doctype html><html><body>" + "<p>words in a paragraph</p><!-- c -->" * 1500 + "</body></html>"
    assert closed.count("<") > main_content.MAX_NESTING >= main_content._start_tags(closed, closed.count("<"))
    deep = "<html><body>" + "<div>" * (main_content.MAX_NESTING + 1) + "<p>" + "deep words here. " * 30 + "</p>"
    assert main_content._start_tags(deep, deep.count("<")) > main_content.MAX_NESTING
    plain = main_content.main_text(deep, HTMLTree.parse(deep), model=blocks.default_model())
    assert plain.startswith("deep words here.")


def test_implied_levels_under_the_start_tag_count_stay_bounded():
    """Tables nested without their end tags: the parser adds a tbody and a tr to each, so 998 of them
    (~2,000 start tags, not checked for depth) make a DOM ~4,000 deep; the rules' pass over it stays fast."""
    page = "<html><body>" + "<table><td>" * 998 + "<p>" + "nested words here. " * 30 + "</p>"
    assert main_content._start_tags(page, page.count("<")) <= main_content.MAX_NESTING
    start = time.process_time()
    text = main_content.main_text(page, HTMLTree.parse(page), model=blocks.default_model())
    assert time.process_time() - start < 10
    assert "nested words here." in text
