"""Main text of a parsed page: resiliparse's rules, narrowed to the article's container.

resiliparse's main-content mode walks the DOM in C++ and drops elements its class/id/tag
rules call boilerplate (navigation, footers, ads, share bars, comments). Anything those
rules do not name survives: teasers of other articles, image credits, "Explore further"
boxes, newsletter prompts. On the article-extraction benchmark that costs precision
(0.89 against trafilatura's 0.95; benchmarks/results/extraction.md).

The fix keeps resiliparse doing all the per-node work and adds one structural step in the
spirit of Readability's paragraph scoring, cheap enough to run on every page:

1. Extract the whole page with resiliparse's rules (`full`).
2. Paragraphs (`<p>`, `<pre>`) of at least `MIN_PARAGRAPH` bytes that survived those
   rules (their opening words occur in `full`) vote for their ancestors with their length.
   (A link-density test on them changed nothing measurable and cost time: dropped.)
3. The container is the deepest element holding `CONTAINER_SHARE` of the voted bytes or
   of the voting paragraphs: the article body, without the sidebars, teasers and comment
   threads around it (the count rule keeps one long footer notice from widening it).
4. resiliparse extracts that element alone, wrapped in plain `<div>`s to its original depth
   (its rules depend on depth below `<body>`, e.g. lists near the top are navigation).

The page keeps `full` when paragraphs are not the page's main carrier of text (they hold
under `PARAGRAPH_COVER` of `full`'s long lines: text in `<div>`s and `<br>`s, tables) or
when the narrowed text comes out empty. Last, lines without sentence punctuation and
under `EDGE_LINE` characters are cut from both ends (datelines, "Share", "Explore further").
"""

from __future__ import annotations

import re

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

# Thresholds were chosen on the 61-page benchmark and checked on trafilatura's 494-page
# evaluation set (benchmarks/extraction_quality.py); each is a plateau, not a peak.
# Lengths of paragraphs are in UTF-8 bytes: a Chinese character (3 bytes) says about what
# three Latin letters do, so one threshold serves both (60 bytes: 20 Hanzi, 60 letters).
MIN_PARAGRAPH = 60  # bytes; shorter <p>s are captions, datelines, buttons
CONTAINER_SHARE = 0.9  # of the voted paragraph bytes, or of the voting paragraphs
PARAGRAPH_COVER = 0.5  # of the text in `full`'s lines of MIN_PARAGRAPH bytes or more
EDGE_LINE = 40  # characters
PROBE = 32  # leading characters of a paragraph looked up in `full`
# Bounds for pathological pages: paragraphs (more: no container step), ancestors walked.
MAX_PARAGRAPHS = 5000
MAX_DEPTH = 256
# resiliparse's main-content rules recurse and rescan subtrees: a DOM nested 40,000 deep
# took 90 s with a 1 GB stack and overflows the default 8 MB one (the process dies). Pages
# nested deeper than this get plain extraction, which is linear (1,000,000 deep: 0.9 s).
# Only pages with more tags than this can be that deep, and only they pay for the check
# (a CSS child-combinator chain, 0.4 ms).
MAX_NESTING = 2000
# The same pass takes ~10 s on a million tags; pages with more than this many are tag soup
# or giant listings, not articles, and get the plain pass too.
MAX_TAGS = 300_000
_TOO_DEEP = " > ".join(["*"] * MAX_NESTING)

# Image captions and credits are not article text (the benchmark's ground truth leaves
# them out; +0.007 F1 there, +0.003 on trafilatura's set).
SKIP = ["figcaption", '[class*="caption"]', '[class*="credit"]']
OPTIONS = dict(main_content=True, comments=False, alt_texts=False, skip_elements=SKIP)

_SENTENCE_END = re.compile(r"[.!?。！？:;…\"”»)\]]\s*$")


def main_text(tree: HTMLTree, *, find_container: bool = True, trim_edges: bool = True, n_tags: int = 0) -> str:
    """Main text of `tree`; `n_tags` (the page's count of "<") enables the nesting check."""
    body = tree.body
    if body is None:
        return ""
    if n_tags > MAX_TAGS or (n_tags > MAX_NESTING and body.query_selector(_TOO_DEEP) is not None):
        return extract_plain_text(tree, alt_texts=False).strip()
    text = extract_plain_text(tree, **OPTIONS)
    if find_container and text:
        container, depth = _container(body, text)
        if container is not None:
            # Rebuild the body as nested bare <div>s around the container, so every node
            # below it sits at the depth resiliparse's rules saw the first time.
            outer = inner = tree.create_element("div")
            for _ in range(depth - 2):
                child = tree.create_element("div")
                inner.append_child(child)
                inner = child
            inner.append_child(container)
            body.replace_children(outer)
            narrowed = extract_plain_text(tree, **OPTIONS)
            if narrowed.strip():
                text = narrowed
    return _trim(text) if trim_edges else text.strip()


def _container(body, full: str):
    """(element, depth below body) holding most surviving paragraph text, or (None, 0)."""
    votes: dict = {}
    counts: dict = {}
    n_voters = 0
    chains: dict = {body: ()}  # element -> its ancestors below body, nearest first
    voted = 0
    # .values() first: indexing or iterating a resiliparse node list walks it from the start.
    p_nodes, pre_nodes = body.get_elements_by_tag_name("p"), body.get_elements_by_tag_name("pre")
    if len(p_nodes) + len(pre_nodes) > MAX_PARAGRAPHS:  # wrapping each one costs ~4 us
        return None, 0
    for p in p_nodes.values() + pre_nodes.values():
        para = " ".join(p.text.split())
        n = len(para.encode())
        if n < MIN_PARAGRAPH or para[:PROBE] not in full:
            continue
        chain = _chain(p.parent, chains)
        if chain is None:
            continue
        voted += n
        n_voters += 1
        for ancestor in chain:
            votes[ancestor] = votes.get(ancestor, 0) + n
            counts[ancestor] = counts.get(ancestor, 0) + 1
    long_lines = sum(n for n in map(len, full.encode().split(b"\n")) if n >= MIN_PARAGRAPH)
    if voted < 200 or voted < PARAGRAPH_COVER * long_lines:
        return None, 0
    best, best_depth = None, 0
    for node, v in votes.items():
        held = v >= CONTAINER_SHARE * voted or counts[node] >= CONTAINER_SHARE * n_voters
        if held and len(chains[node]) >= best_depth:
            best, best_depth = node, len(chains[node])
    return best, best_depth


def _chain(node, chains: dict):
    """`node` and its ancestors below body, nearest first, memoised in `chains`.

    None when the element is detached or nested deeper than MAX_DEPTH (a pathological page:
    the memo would grow with the square of the depth).
    """
    path = []
    while node is not None and node not in chains:
        path.append(node)
        node = node.parent
        if len(path) > MAX_DEPTH:
            node = None
    tail = chains.get(node) if node is not None else None
    for element in reversed(path):
        if tail is not None:
            tail = (element, *tail) if len(tail) < MAX_DEPTH else None
        chains[element] = tail
    return tail


def _trim(text: str) -> str:
    lines = text.strip().split("\n")
    start, end = 0, len(lines)
    while start < end and _is_edge_junk(lines[start]):
        start += 1
    while end > start and _is_edge_junk(lines[end - 1]):
        end -= 1
    return "\n".join(lines[start:end])


def _is_edge_junk(line: str) -> bool:
    s = line.strip()
    return not s or (len(s) < EDGE_LINE and not _SENTENCE_END.search(s))
