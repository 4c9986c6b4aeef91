"""Main text of a parsed page: the article's container, found from its paragraphs.

resiliparse's main-content mode walks the DOM in C++ and drops elements its class/id/tag
rules call boilerplate (navigation, footers, ads, share bars, comments). Anything those
rules do not name survives: teasers of other articles, image credits, "Explore further"
boxes, newsletter prompts. On the article-extraction benchmark that costs precision
(0.89 against trafilatura's 0.95; benchmarks/results/extraction.md). Its rules are also
most of its cost: they test a dozen patterns and the link density on every element.

So the page is narrowed first, in the spirit of Readability's paragraph scoring, and only
what is left is extracted:

1. Paragraphs (`<p>`, `<pre>`) of at least `MIN_PARAGRAPH` bytes vote for their ancestors
   with their length, unless an ancestor is boilerplate by its tag or by a word of its
   class or id (`_BOILERPLATE`: nav, sidebar, comments, related, share, ...). A name
   spares an element holding over half of the paragraph text (a page wrapper with an
   unlucky name), and the parent holding the most paragraph bytes in `SPARED_PARAGRAPHS`
   or more paragraphs (an article opened in a "modal" over a stream of teasers); a tag
   (`<footer>`, `<nav>`, `<aside>`, `<form>`) never does.
2. The container is the deepest element holding `CONTAINER_SHARE` of the voted bytes or
   of the voting paragraphs: the article body, without the sidebars, teasers and comment
   threads around it (the count rule keeps one long footer notice from widening it).
3. The container's text is extracted plainly (no per-element rules: the container has
   few boilerplate blocks left), skipping the ones CSS can name cheaply (`SKIP_INSIDE`).
   Should that keep under `KEEP_SHARE` of the voted bytes (a skip selector that matched a
   wrapper of the article), resiliparse's rules run on the container instead, and should
   they too (a "share-target" class fools both), the container's whole text is taken.
   With the block model, the article's lead (standfirst) goes in front: prose paragraphs
   between the page's `<h1>` and the container's body, beside the container or in a
   `<header>` inside it (which `SKIP_INSIDE` drops with its bylines), `_leads`.
4. Pages whose paragraphs hold under `PARAGRAPH_COVER` of the page's text, or under
   `MIN_VOTED` bytes (the article is in `<div>`s and `<br>`s, tables, listings), get
   resiliparse's main-content pass over the whole page.

Last, with the block model (the default, blocks.py) each block of the text is kept or
dropped by the model; without it, lines without sentence punctuation and under `EDGE_LINE`
characters are cut from both ends (datelines, "Share", "Explore further"). Where the model
kept little (`SECOND_CHANCE_BELOW`: a wrong container, or resiliparse's rules dropping the
article), it also scores the whole page's plain text, taken when that holds several times the
long prose (`second_chance`). Soft hyphens are dropped from the result.

Cost: voting touches each paragraph once from Python (~10 us: resiliparse makes a Python
object per node), the plain pass over the container is about a third of a main-content
pass over the page. With extract's pruning (prune.py) the whole is faster than
resiliparse's main-content extraction as shipped, at trafilatura's F1 or better.
"""

from __future__ import annotations

import html as _html
import re

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from fruitstand import native
from fruitstand.extract import blocks

_native = native.load("extract._native")  # or None: the Python twins (fruitstand/native.py)

# Thresholds were chosen on the 61-page benchmark and checked on trafilatura's 494-page
# evaluation set (benchmarks/extraction_quality.py). Each is a plateau on both (within
# 0.002 F1 over the ranges in results/extraction.md) except CONTAINER_SHARE on the 61 pages:
# 0.962 at 0.8-0.85, 0.975 at 0.9, 0.970 at 0.95 (a few pages flip; the 494 are flat).
# Lengths of paragraphs are in UTF-8 bytes: a Chinese character (3 bytes) says about what
# three Latin letters do, so one threshold serves both (60 bytes: 20 Hanzi, 60 letters).
MIN_PARAGRAPH = 60  # bytes; shorter <p>s are captions, datelines, buttons
MIN_VOTED = 200  # bytes of paragraphs a page needs before a container is looked for
CONTAINER_SHARE = 0.9  # of the voted paragraph bytes, or of the voting paragraphs
KEEP_SHARE = 0.5  # of the voted bytes the plain pass must keep, or the rules run instead
BOILERPLATE_MAJORITY = 0.5  # of the paragraph bytes: an element holding more is no sidebar
SPARED_PARAGRAPHS = 3  # the largest parent with this many paragraphs is never silenced by a name
# Of the page's text bytes (white space out) the voting paragraphs must hold: below it the
# article is in <div>s, <br>s or tables, and a few <p>s in a comment box would win the vote
# (such real pages: 3-5%; articles in <p>s: 6-100%, most over 40%; a paywalled snippet 7%).
PARAGRAPH_COVER = 0.05
# Measuring the page's text costs a tenth of the extraction: it is done only where the vote is
# small (every such page seen had under 1,500 voted bytes; a typical article has many more).
COVER_CHECKED_BELOW = 2000
EDGE_LINE = 40  # characters
# A second chance for pages where the first pass kept little: a wrong container (a footer's or
# a comment box's paragraphs), or no container and resiliparse's rules dropping the article
# (paragraphs spread over body's children, a page inside a <noscript>). Where under
# SECOND_CHANCE_BELOW characters were kept, the model also scores the whole page's plain text,
# taken when its long prose (sentence-ending blocks of blocks.LONG_BLOCK characters or more) is
# SECOND_CHANCE_GAIN times the first's and at least that times SECOND_CHANCE_PROSE: a short
# article in a correct container has little long prose around it (choose halves:
# results/extraction.md).
SECOND_CHANCE_BELOW = 1000
SECOND_CHANCE_CONTAINER = 300  # characters, where a container was found (short articles are many)
SECOND_CHANCE_GAIN = 3.0
SECOND_CHANCE_PROSE = 200  # bytes: the least long prose the second pass must add
# Leads: an article's standfirst sits between its title (<h1>) and its body, often in the
# article's <header> (skipped, with bylines and share bars) or in an element beside the
# container. Paragraphs there that read as prose are handed to the model with the container's.
LEAD_MIN = 80  # characters of a lead paragraph, white space collapsed
LEAD_LINKS = 0.2  # of its characters inside links, at most
# Bounds for pathological pages: pages with more <h1>s get no lead; paragraphs looked at after
# the title; ancestors walked from each (MAX_DEPTH). A lead sits just under the title.
LEAD_TITLES = 20
LEAD_SCAN = 40
# Bounds for pathological pages: paragraphs (more: no container step), ancestors walked.
MAX_PARAGRAPHS = 5000
MAX_DEPTH = 256
# resiliparse's main-content rules recurse and rescan subtrees: a DOM nested 40,000 deep
# took 90 s with a 1 GB stack and overflows the default 8 MB one (the process dies). Pages
# nested deeper than this get plain extraction, which is linear (1,000,000 deep: 0.9 s).
# Each level is an element, opened by a start tag or implied by the parser (html, head, body; a
# table's tbody and tr; formatting elements re-opened): only pages with more start tags than this
# can be this deep, but for the implied ones, and only they pay for the check (a CSS
# child-combinator chain, 0.4-0.8 ms). At most 2,000 start tags with the implied elements make at
# most ~6,000 levels: 0.6 s for the rules' pass, within the default stack.
MAX_NESTING = 2000
# The same pass takes ~10 s on a million tags; pages with more than this many are tag soup
# or giant listings, not articles, and get the plain pass too.
MAX_TAGS = 300_000
_TOO_DEEP = " > ".join(["*"] * MAX_NESTING)

# Image captions and credits are not article text (the benchmark's ground truth leaves
# them out; +0.007 F1 there, +0.003 on trafilatura's set).
SKIP = ["figcaption", '[class*="caption"]', '[class*="credit"]']
OPTIONS = dict(main_content=True, comments=False, alt_texts=False, skip_elements=SKIP)

# Inside the container: blocks CSS names cheaply. Each attribute-substring selector costs
# about 1% of the pass, so only the ones that paid on both benchmarks are here (chosen
# greedily; `figure`, forms and hidden inputs are skipped by resiliparse anyway).
SKIP_INSIDE = ["nav", "aside", "footer", "form", "header", "[hidden]", '[aria-hidden="true"]',
               '[style*="display:none"]', '[style*="display: none"]',
               '[class*="caption" i]', '[class*="related" i]', '[class*="share" i]']
PLAIN = dict(alt_texts=False, skip_elements=SKIP_INSIDE)

# Paragraphs under these do not vote: the tags, and class or id words (whole words between
# spaces, "-" or "_", so "nav" is not "canvas" and "overflow-hidden" is no "hidden").
_BOILERPLATE_TAGS = frozenset(["nav", "aside", "footer", "form", "figure", "figcaption", "noscript",
                               "select", "button", "label", "textarea", "template"])
_BOILERPLATE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|breadcrumbs?|footer|sidebar|widget|related|"
    r"recommended|comments?|comment-list|reply|share|sharing|social|newsletter|subscribe|promo|"
    r"sponsored|ads?|advert\w*|modal|popup|cookie|consent|teaser|gallery|carousel|byline|meta|"
    r"tags|author)(?:$|[\s_-])", re.IGNORECASE)

_SENTENCE_END = re.compile(r"[.!?。！？:;…\"”»)\]]\s*$")


def main_text(page: str, tree: HTMLTree, *, find_container: bool = True, trim_edges: bool = True,
              model: blocks.BlockModel | None = None) -> str:
    """Main text of `tree`, parsed from `page` (which is parsed again if the tree must be restored).

    With `model` (blocks.py), every pass gives resiliparse's minimal HTML and the model keeps the
    blocks it scores as article (`trim_edges` is then not needed: the model sees the edges too).
    """
    body = tree.body
    if body is None:
        return ""
    n_tags = page.count("<")
    if n_tags > MAX_TAGS or (n_tags > MAX_NESTING and _start_tags(page, n_tags) > MAX_NESTING
                             and body.query_selector(_TOO_DEEP) is not None):
        return extract_plain_text(tree, alt_texts=False).strip()
    form = blocks.MINIMAL_HTML if model is not None else {}
    size = _minimal_bytes if model is not None else _bytes
    if not find_container:
        text, mode = extract_plain_text(tree, **OPTIONS, **form), blocks.MODE_PAGE_RULES
    else:
        text, mode, tree = _container_text(page, tree, body, form, size)
    if model is not None:
        kept = settle(page, blocks.main_blocks(text, mode, model), mode, model, tree)
        if kept:
            return kept
        text = blocks.join(blocks.split_blocks(text))  # nothing scored as article: the old way
    return _visible(_trim(text) if trim_edges else text.strip())


def _start_tags(page: str, n_tags: int) -> int:
    """At least the page's start tags: its `<`s less those opening an end tag, comment or doctype
    (half the `<`s of a page are end tags: the nesting check then runs on a third as many pages)."""
    return n_tags - page.count("</") - page.count("<!")


def settle(page: str, kept: str, mode: int, model: blocks.BlockModel, tree: HTMLTree | None = None) -> str:
    """The text the model `kept` of the first pass (found by `mode`), or its second chance's."""
    if len(kept) < (SECOND_CHANCE_BELOW if mode == blocks.MODE_PAGE_RULES else SECOND_CHANCE_CONTAINER):
        # the rules' pass leaves the tree whole; a container's replaced the body: parse it again
        kept = second_chance(kept, whole_page(page, kept, tree if mode == blocks.MODE_PAGE_RULES else None), model)
    return _visible(kept)


def whole_page(page: str, kept: str, tree: HTMLTree | None = None) -> str | None:
    """The whole page's text (minimal HTML, `<noscript>`s unwrapped), or None where the page holds
    under SECOND_CHANCE_GAIN times the text kept (nothing a second pass could add). `tree`: the
    page parsed and not changed since (else it is parsed again); its <noscript>s are unwrapped."""
    tree = tree or HTMLTree.parse(page)
    body = tree.body
    if body is None or _text_bytes(body) < SECOND_CHANCE_GAIN * max(_bytes(kept), MIN_VOTED):
        return None
    # Old pages open a <div> in a <noscript> that the parser then keeps open around the
    # whole page ("<noscript><div id=nojs></noscript>"): both extraction passes skip it all.
    for element in body.get_elements_by_tag_name("noscript").values():
        parent = element.parent
        if parent is not None:
            for child in element.child_nodes.values():
                parent.insert_before(child, element)
            parent.remove_child(element)
    return extract_plain_text(tree, **PLAIN, **blocks.MINIMAL_HTML)


def second_chance(kept: str, whole: str | None, model: blocks.BlockModel) -> str:
    """The model's blocks of the whole page's text where they hold SECOND_CHANCE_GAIN times `kept`."""
    if whole is None:
        return kept
    second = blocks.main_blocks(whole, blocks.MODE_PAGE_WHOLE, model)
    return second if _prose(second) > SECOND_CHANCE_GAIN * max(_prose(kept), SECOND_CHANCE_PROSE) else kept


def _prose(text: str) -> int:
    """UTF-8 bytes of the long blocks of `text` that end like a sentence (blocks.LONG_BLOCK)."""
    return sum(len(t.encode()) for t, *_ in blocks.split_blocks(text)
               if len(t) >= blocks.LONG_BLOCK and t[-1] in blocks._SENTENCE_END)


def _visible(text: str) -> str:
    """`text` without soft hyphens (U+00AD: invisible hyphenation hints that split words)."""
    return text.replace("\xad", "") if "\xad" in text else text


def _container_text(page: str, tree: HTMLTree, body, form: dict, size) -> tuple[str, int, HTMLTree]:
    """Text of the article's container (or of the page, by the rules, when none), how it was found,
    and the tree it came from (the page whole when the mode is MODE_PAGE_RULES)."""
    container, depth, voted = _container(body)
    text, mode, leads = "", blocks.MODE_CONTAINER, []
    if container is not None:
        if form:  # the model's input (without it, no lead is added)
            leads = _leads(body, container)
        body.replace_children(container)  # the tree is the container's now
        text = extract_plain_text(tree, **PLAIN, **form)
        if size(text) < KEEP_SHARE * voted:
            # Put the container back at its depth (resiliparse's rules depend on it: lists
            # near the top are navigation) inside bare <div>s, and let the rules judge it.
            outer = inner = tree.create_element("div")
            for _ in range(depth - 2):
                child = tree.create_element("div")
                inner.append_child(child)
                inner = child
            inner.append_child(container)
            body.replace_children(outer)
            text, mode = extract_plain_text(tree, **OPTIONS, **form), blocks.MODE_CONTAINER_RULES
            if size(text) < KEEP_SHARE * voted:  # the rules dislike its name too: take it whole
                text, mode = extract_plain_text(tree, alt_texts=False, **form), blocks.MODE_CONTAINER_WHOLE
    if not (text.strip() if not form else size(text)):
        if container is not None:
            tree = HTMLTree.parse(page)
        text, mode = extract_plain_text(tree, **OPTIONS, **form), blocks.MODE_PAGE_RULES
    elif leads:
        added = "".join(f"<p>{_html.escape(lead, quote=False)}</p>\n\n" for lead in leads if lead not in text)
        text = added + text
    return text, mode, tree


def _leads(body, container) -> list[str]:
    """Prose paragraphs after the page's title and before the container's body, outside it or
    in a <header> inside it: LEAD_MIN characters or more, ending like a sentence, few links, not
    in a figure or under a boilerplate tag or name (other than the container's own ancestors)."""
    above = {}  # the container and its ancestors -> how far up
    node, i = container, 0
    while node is not None:
        above[node] = i
        node, i = node.parent, i + 1
    title, top = None, None  # the <h1> nearest the container, and their common ancestor
    titles = body.get_elements_by_tag_name("h1")
    if len(titles) > LEAD_TITLES:  # a listing, not an article
        return []
    for h1 in titles.values():
        node, steps = h1, 0
        while node is not None and node not in above and steps < MAX_DEPTH:
            node, steps = node.parent, steps + 1
        if node in above and (top is None or above[node] < above[top]):
            title, top = h1, node
    if title is None:
        return []
    out, after_title, memo, scanned = [], False, {}, 0
    # top holds at most MAX_PARAGRAPHS paragraphs (_container) and LEAD_TITLES titles
    found = top.query_selector_all("h1, p")  # item(i) makes one node object; the loop stops early
    for i in range(len(found)):
        element = found.item(i)
        if not after_title:
            after_title = element == title
            continue
        if element.tag != "p":
            continue
        scanned += 1
        if scanned > LEAD_SCAN:
            break
        inside = in_header = bad = False
        node, steps = element.parent, 0
        while node is not None and node != top:
            steps += 1
            if steps > MAX_DEPTH:
                bad = True
                break
            if node == container:
                inside = True
                break
            tag = node.tag
            if tag == "header":
                in_header = True
            elif tag == "figure" or node not in above and _boilerplate(node, memo):
                bad = True
            node = node.parent
        if top == container:
            inside = True
        if inside and not in_header:
            break  # the container's body has begun
        if bad:
            continue
        text = " ".join(element.text.split())
        if len(text) < LEAD_MIN or text[-1] not in blocks._SENTENCE_END:
            continue
        links = element.get_elements_by_tag_name("a")
        if len(links) and sum(len(" ".join(a.text.split())) for a in links.values()) > LEAD_LINKS * len(text):
            continue
        out.append(text)
    return out


def _bytes(text: str) -> int:
    return len(text.encode())


_MARKUP = re.compile(r"<[^>]*>")


def _minimal_bytes(text: str) -> int:
    """UTF-8 bytes of minimal-HTML output's text (tags out; entities counted as written). Counted in
    C where the extension is built (`_native.minimal_bytes`; a text with a surrogate, which
    `str.encode` refuses, goes the Python way)."""
    if _native is not None:
        n = _native.minimal_bytes(text)
        if n is not None:
            return n
    return _minimal_bytes_py(text)


def _minimal_bytes_py(text: str) -> int:
    """`_minimal_bytes` in Python."""
    return len(_MARKUP.sub("", text).encode()) if "<" in text else len(text.encode())


def _container(body) -> tuple:
    """(element, its depth below body, voted bytes) holding most paragraph text, or (None, 0, 0)."""
    p_nodes, pre_nodes = body.get_elements_by_tag_name("p"), body.get_elements_by_tag_name("pre")
    if len(p_nodes) + len(pre_nodes) > MAX_PARAGRAPHS:
        return None, 0, 0
    # .values() makes all the node objects at once; indexing a node list walks it from the start.
    nodes = p_nodes.values()
    if len(pre_nodes):
        nodes += pre_nodes.values()
    per_parent: dict = {}  # parent element -> (bytes, paragraphs) of its long paragraphs
    for p in nodes:
        raw = p.text
        if len(raw) < MIN_PARAGRAPH // 3:  # 60 bytes are at least 20 characters
            continue
        n = len(raw) if raw.isascii() else len(raw.encode())
        if n < 4 * MIN_PARAGRAPH:  # near the threshold the source's indentation could make it up
            n = len(" ".join(raw.split()).encode())
            if n < MIN_PARAGRAPH:
                continue
        parent = p.parent
        n0, k0 = per_parent.get(parent, (0, 0))
        per_parent[parent] = (n0 + n, k0 + 1)
    chains: dict = {body: ()}  # element -> itself and its ancestors below body, nearest first
    voters = [(chain, n, k) for parent, (n, k) in per_parent.items() if (chain := _chain(parent, chains))]
    # A boilerplate name on an element holding most of the text is a page wrapper's
    # ("blq-int-nav", "has-sidebar"): only smaller ones silence their paragraphs.
    everything, everything_counts = _tally(voters)
    wrapper = BOILERPLATE_MAJORITY * sum(n for _, n, _ in voters)
    # Nor does a name silence the parent holding the most paragraph bytes, in SPARED_PARAGRAPHS or
    # more paragraphs: that is the article's own element (an article opened in a "modal" over a
    # stream of one-paragraph teasers that hold more text in all). Tags still do.
    spared = max(voters, key=lambda v: v[1]) if voters else None
    if spared is not None and spared[2] < SPARED_PARAGRAPHS:
        spared = None
    boilerplate: dict = {}  # element -> _TAG, _NAME or 0
    kept = [v for v in voters if not any(
        (kind := _boilerplate(a, boilerplate)) == _TAG or kind and everything[a] < wrapper and v is not spared
        for a in v[0])]
    votes, counts = _tally(kept) if len(kept) < len(voters) else (everything, everything_counts)
    voters = kept
    voted, n_voters = sum(n for _, n, _ in voters), sum(k for _, _, k in voters)
    if voted < MIN_VOTED or voted < COVER_CHECKED_BELOW and voted < PARAGRAPH_COVER * _text_bytes(body):
        return None, 0, 0
    best, best_depth = None, 0
    for node, v in votes.items():
        held = v >= CONTAINER_SHARE * voted or counts[node] >= CONTAINER_SHARE * n_voters
        if held and len(chains[node]) >= best_depth:
            best, best_depth = node, len(chains[node])
    return best, best_depth, voted


def _text_bytes(body) -> int:
    """UTF-8 bytes of the page's text, white space left out (scripts and styles are pruned)."""
    text = body.text
    return len(text.encode()) - text.count(" ") - text.count("\n") - text.count("\t")


def _tally(voters: list) -> tuple[dict, dict]:
    """Bytes and paragraphs below each element, from (chain, bytes, paragraphs) of each parent."""
    votes: dict = {}
    counts: dict = {}
    for chain, n, k in voters:
        for ancestor in chain:
            votes[ancestor] = votes.get(ancestor, 0) + n
            counts[ancestor] = counts.get(ancestor, 0) + k
    return votes, counts


_TAG, _NAME = 2, 1


def _boilerplate(element, memo: dict) -> int:
    """_TAG if the element's tag says boilerplate, _NAME if a word of its class or id does, else 0."""
    known = memo.get(element)
    if known is None:
        if element.tag in _BOILERPLATE_TAGS:
            known = _TAG
        else:
            names = f"{element.getattr('class') or ''} {element.id or ''}"
            known = _NAME if len(names) > 1 and _BOILERPLATE.search(names) is not None else 0
        memo[element] = known
    return known


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
