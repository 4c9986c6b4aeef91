"""`extract.nodecache.page_scope`: resiliparse's node wrappers in a plain dict for one page, the
original cache always put back, and the same text out (issue 21's speed work: nothing may change).
Pages: the article-extraction benchmark's (shared/data/extraction, SOURCES.md)."""

from __future__ import annotations

import gzip
import threading

import pytest
from resiliparse.parse.html import HTMLTree

from fruitstand.document import Document
from fruitstand.extract import nodecache
from fruitstand.extract.extract import Extract
from tests.filters.realtext import DATA

pytestmark = pytest.mark.skipif(nodecache._ORIGINAL is None, reason="this resiliparse has no node cache")


def _cache():
    return nodecache._node_module._node_cache


def test_the_scope_installs_a_dict_and_puts_the_original_back_even_on_errors():
    assert _cache() is nodecache._ORIGINAL
    with nodecache.page_scope():
        assert type(_cache()) is dict
        with nodecache.page_scope():  # nested: the outer scope's dict stays
            inner = _cache()
        assert _cache() is inner
    assert _cache() is nodecache._ORIGINAL
    with pytest.raises(RuntimeError), nodecache.page_scope():
        raise RuntimeError("boom")
    assert _cache() is nodecache._ORIGINAL
    seen = []
    thread = threading.Thread(target=lambda: seen.append(nodecache.page_scope().__enter__() or _cache()))
    thread.start()
    thread.join()
    assert seen == [nodecache._ORIGINAL]  # not on another thread


def test_wrappers_made_inside_and_outside_equal_and_mutations_stay_safe():
    html = "<html><body><div id=a><p>one</p><p>two</p></div><div id=b><p>three</p></div></body></html>"
    tree = HTMLTree.parse(html)
    outside = tree.body.get_elements_by_tag_name("p").values()
    with nodecache.page_scope():
        inside = tree.body.get_elements_by_tag_name("p").values()
        assert inside == outside and {hash(p) for p in inside} == {hash(p) for p in outside}
        b = tree.body.get_element_by_id("b")
        tree.body.replace_children(b)  # the first div's subtree leaves the tree
        outside[1].parent.remove_child(outside[1]) if outside[1].parent is not None else None
    assert [p.text for p in tree.body.get_elements_by_tag_name("p").values()] == ["three"]
    assert [p.text for p in outside] == ["one", "two", "three"]  # old wrappers still read their nodes


@pytest.fixture(scope="module")
def pages() -> list[bytes]:
    return [gzip.decompress(p.read_bytes()) for p in sorted((DATA / "extraction" / "html").glob("*.html.gz"))[:24]]


def _texts(step: Extract, pages: list[bytes]) -> list[str]:
    out = []
    for html in pages:
        doc = step.apply(Document("k", "", {}, html=html))
        out.append(doc.text if isinstance(doc, Document) else str(doc))
    return out


@pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data")
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # a tree freed on another thread
def test_the_same_text_with_and_without_the_scope_and_across_threads(pages, monkeypatch):
    step = Extract()
    step.setup()
    with_scope = _texts(step, pages)
    assert _cache() is nodecache._ORIGINAL
    results: list[list[str]] = [[] for _ in range(4)]
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, _texts(step, pages))) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == with_scope for r in results)
    assert _cache() is nodecache._ORIGINAL  # other threads never install the dict
    monkeypatch.setattr(nodecache, "_ORIGINAL", None)  # the scope does nothing: resiliparse's weak cache
    assert _texts(step, pages) == with_scope
