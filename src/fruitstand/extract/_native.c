/* blocks.split_blocks in C: the same blocks, from one pass over resiliparse's minimal-HTML text;
 * and blocks._char_counts, the blocks' digits, spaces and last characters, without NumPy's
 * per-call overhead on a page's hundred-odd short texts (exact integers, so the same features);
 * and prune.drop_inert, the cut of scripts, styles, SVG and comments out of the raw page, with
 * memchr instead of a regular expression tried at every `<` (the same bytes out); and
 * main_content._minimal_bytes, the UTF-8 size of minimal-HTML text without its tags, counted
 * instead of built; and mojibake.might_be_mojibake, one pass instead of a regex with look-behinds.
 *
 * The Python function (blocks._split_blocks) stays as the twin where this extension is not built
 * (setup.py builds it as optional); tests/extract/test_native.py compares the two on real pages.
 * Why: it was the largest part of the block model's cost in `extract` (issue 21; the measurements
 * are in benchmarks/results/recipe-speed.md): a Python loop over every line of every page, with
 * three regular expressions.
 *
 * Every test is the Python one's, made on the code points: str.strip's white space is CPython's
 * Py_UNICODE_ISSPACE; the anchor pattern `<a\b[^>]*>(.*?)</a>` takes, from each `<a` whose next
 * character is not a word character (Py_UNICODE_ISALNUM or `_`, as `re` decides `\b`), the text
 * between the first `>` and the first `</a>` after it, and `<[^>]*>` removes each `<` up to the
 * next `>`. A line with `&` in its text goes through the `unescape` the caller passes
 * (html.unescape) and str.strip, as in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

enum { OTHER = 0, PARAGRAPH = 1, HEADING = 2, LIST_ITEM = 3, PRE = 4 };

/* The text, widened to code points once (one copy) so that every test below is a plain array read. */
typedef struct {
    const Py_UCS4 *s;
} ustr;

static inline Py_UCS4 at(const ustr *u, Py_ssize_t i) { return u->s[i]; }

/* Does `lit` (ASCII) occur at position i of [.., end)? */
static inline int starts(const ustr *u, Py_ssize_t i, Py_ssize_t end, const char *lit)
{
    for (; *lit; lit++, i++) {
        if (i >= end || at(u, i) != (Py_UCS4)(unsigned char)*lit) return 0;
    }
    return 1;
}

/* The first position >= i of `lit` in [.., end), or -1. */
static Py_ssize_t find(const ustr *u, Py_ssize_t i, Py_ssize_t end, const char *lit)
{
    Py_UCS4 first = (unsigned char)lit[0];
    for (; i < end; i++) {
        if (at(u, i) == first && starts(u, i, end, lit)) return i;
    }
    return -1;
}

static Py_ssize_t count(const ustr *u, Py_ssize_t i, Py_ssize_t end, const char *lit)
{
    Py_ssize_t n = 0, len = (Py_ssize_t)strlen(lit);
    while ((i = find(u, i, end, lit)) >= 0) {
        n++;
        i += len;
    }
    return n;
}

static inline Py_ssize_t find_char(const ustr *u, Py_ssize_t i, Py_ssize_t end, Py_UCS4 c)
{
    for (; i < end; i++) {
        if (at(u, i) == c) return i;
    }
    return -1;
}

/* A growable UCS4 buffer: a line's text with its tags removed. */
typedef struct {
    Py_UCS4 *buf;
    Py_ssize_t len, cap;
} ubuf;

static int ubuf_reserve(ubuf *b, Py_ssize_t n)
{
    if (n <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < n) cap *= 2;
    Py_UCS4 *p = PyMem_Realloc(b->buf, cap * sizeof(Py_UCS4));
    if (!p) {
        PyErr_NoMemory();
        return -1;
    }
    b->buf = p;
    b->cap = cap;
    return 0;
}

/* `<[^>]*>` removed from [i, end), appended to b; returns whether any `&` was copied. */
static int untag(const ustr *u, Py_ssize_t i, Py_ssize_t end, ubuf *b, int *amp)
{
    if (ubuf_reserve(b, b->len + (end - i)) < 0) return -1;
    int no_close = 0;
    while (i < end) {
        Py_UCS4 c = at(u, i);
        if (c == '<' && !no_close) {
            Py_ssize_t close = find_char(u, i + 1, end, '>');
            if (close >= 0) {
                i = close + 1;
                continue;
            }
            no_close = 1; /* no `>` after this `<`, so none after any later one: the rest is text */
        }
        if (c == '&') *amp = 1;
        b->buf[b->len++] = c;
        i++;
    }
    return 0;
}

static inline Py_ssize_t stripped_len(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t *lead)
{
    Py_ssize_t a = 0, z = n;
    while (a < z && Py_UNICODE_ISSPACE(s[a])) a++;
    while (z > a && Py_UNICODE_ISSPACE(s[z - 1])) z--;
    *lead = a;
    return z - a;
}

/* Characters inside links of the line [i, end): the anchors' texts, tags removed, stripped. */
static int link_chars(const ustr *u, Py_ssize_t i, Py_ssize_t end, ubuf *scratch, Py_ssize_t *out)
{
    Py_ssize_t total = 0;
    while ((i = find(u, i, end, "<a")) >= 0) {
        Py_ssize_t after = i + 2;
        if (after < end) {
            Py_UCS4 c = at(u, after);
            if (Py_UNICODE_ISALNUM(c) || c == '_') {  /* no \b after `<a` */
                i += 1;
                continue;
            }
        }
        Py_ssize_t open = find_char(u, after, end, '>');
        Py_ssize_t close = open >= 0 ? find(u, open + 1, end, "</a>") : -1;
        if (close < 0) break; /* no `>` then `</a>` after this `<a`: nor after any later one */
        int amp = 0;
        Py_ssize_t lead;
        scratch->len = 0;
        if (untag(u, open + 1, close, scratch, &amp) < 0) return -1;
        total += stripped_len(scratch->buf, scratch->len, &lead);
        i = close + 4;
    }
    *out = total;
    return 0;
}

PyDoc_STRVAR(split_blocks_doc,
"split_blocks(text, unescape) -> list[tuple[str, int, int, bool]]\n\n"
"blocks.split_blocks: (plain text, kind, characters inside links, blank line before) of each block\n"
"of resiliparse's minimal-HTML output; `unescape` (html.unescape) decodes a line with `&`.");

static PyObject *split_blocks(PyObject *self, PyObject *args)
{
    PyObject *text, *unescape;
    if (!PyArg_ParseTuple(args, "UO", &text, &unescape)) return NULL;
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    Py_UCS4 *wide = PyUnicode_AsUCS4Copy(text);
    if (!wide) return NULL;
    ustr u = {wide};
    int has_pre = find(&u, 0, len, "<pre>") >= 0, has_li = find(&u, 0, len, "li>") >= 0;
    int has_a = find(&u, 0, len, "<a ") >= 0, has_amp = find_char(&u, 0, len, '&') >= 0;
    PyObject *out = PyList_New(0);
    ubuf line_buf = {0}, scratch = {0};
    if (!out) {
        PyMem_Free(wide);
        return NULL;
    }
    Py_ssize_t in_list = 0;
    int in_pre = 0, gap = 0;
    Py_ssize_t pos = 0;
    while (pos <= len) {
        Py_ssize_t nl = find_char(&u, pos, len, '\n');
        Py_ssize_t a = pos, z = nl < 0 ? len : nl;
        pos = z + 1;
        while (a < z && Py_UNICODE_ISSPACE(at(&u, a))) a++;
        while (z > a && Py_UNICODE_ISSPACE(at(&u, z - 1))) z--;
        if (a == z) {
            gap = 1;
            continue;
        }
        int kind;
        if (in_pre) {
            kind = PRE;
        } else if (starts(&u, a, z, "<p>")) {
            kind = in_list ? LIST_ITEM : PARAGRAPH;
        } else if (starts(&u, a, z, "<h") && a + 3 < z && at(&u, a + 2) >= '1' && at(&u, a + 2) <= '6'
                   && at(&u, a + 3) == '>') {
            kind = HEADING;
        } else if (in_list || starts(&u, a, z, "<li>")) {
            kind = LIST_ITEM;
        } else {
            kind = OTHER;
        }
        if (has_pre) {
            if (find(&u, a, z, "<pre>") >= 0) {
                in_pre = 1;
                kind = PRE;
            }
            if (find(&u, a, z, "</pre>") >= 0) in_pre = 0;
        }
        if (has_li && find(&u, a, z, "li>") >= 0) {
            in_list += count(&u, a, z, "<li>") - count(&u, a, z, "</li>");
            if (in_list < 0) in_list = 0;
        }
        Py_ssize_t links = 0;
        if (has_a && find(&u, a, z, "<a ") >= 0 && link_chars(&u, a, z, &scratch, &links) < 0) goto fail;
        int amp = 0;
        line_buf.len = 0;
        if (untag(&u, a, z, &line_buf, &amp) < 0) goto fail;
        PyObject *s;
        if (has_amp && amp) {  /* html.unescape, then str.strip, as the Python twin does */
            PyObject *raw = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, line_buf.buf, line_buf.len);
            if (!raw) goto fail;
            PyObject *decoded = PyObject_CallOneArg(unescape, raw);
            Py_DECREF(raw);
            if (!decoded) goto fail;
            s = PyObject_CallMethod(decoded, "strip", NULL);
            Py_DECREF(decoded);
            if (!s) goto fail;
            if (!PyUnicode_GET_LENGTH(s)) {
                Py_DECREF(s);
                continue;
            }
        } else {
            Py_ssize_t lead, n = stripped_len(line_buf.buf, line_buf.len, &lead);
            if (!n) continue;
            s = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, line_buf.buf + lead, n);
            if (!s) goto fail;
        }
        PyObject *block = PyTuple_New(4), *n_links = PyLong_FromSsize_t(links);
        if (!block || !n_links) {
            Py_DECREF(s);
            Py_XDECREF(block);
            Py_XDECREF(n_links);
            goto fail;
        }
        PyTuple_SET_ITEM(block, 0, s);
        PyTuple_SET_ITEM(block, 1, PyLong_FromLong(kind)); /* 0..4: CPython's cached small ints */
        PyTuple_SET_ITEM(block, 2, n_links);
        PyTuple_SET_ITEM(block, 3, Py_NewRef(gap ? Py_True : Py_False));
        int err = PyList_Append(out, block);
        Py_DECREF(block);
        if (err < 0) goto fail;
        gap = 0;
    }
    PyMem_Free(wide);
    PyMem_Free(line_buf.buf);
    PyMem_Free(scratch.buf);
    return out;

fail:
    PyMem_Free(wide);
    PyMem_Free(line_buf.buf);
    PyMem_Free(scratch.buf);
    Py_DECREF(out);
    return NULL;
}


PyDoc_STRVAR(char_counts_doc,
"char_counts(texts) -> bytes\n\n"
"blocks._char_counts: for each non-empty str of `texts`, three int64s: its digits (str.isdigit),\n"
"its spaces (U+0020) and its last code point.");

static PyObject *char_counts(PyObject *self, PyObject *arg)
{
    PyObject *seq = PySequence_Fast(arg, "texts must be a sequence of str");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * 3 * (Py_ssize_t)sizeof(int64_t));
    if (!out) {
        Py_DECREF(seq);
        return NULL;
    }
    int64_t *row = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t k = 0; k < n; k++, row += 3) {
        PyObject *t = items[k];
        if (!PyUnicode_Check(t) || PyUnicode_GET_LENGTH(t) == 0) {
            PyErr_SetString(PyExc_ValueError, "texts must be non-empty str");
            Py_DECREF(out);
            Py_DECREF(seq);
            return NULL;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(t);
        int kind = PyUnicode_KIND(t);
        const void *data = PyUnicode_DATA(t);
        int64_t digits = 0, spaces = 0;
        for (Py_ssize_t i = 0; i < len; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 128) {
                digits += c >= '0' && c <= '9';
                spaces += c == ' ';
            } else {
                digits += Py_UNICODE_ISDIGIT(c) != 0;
            }
        }
        row[0] = digits;
        row[1] = spaces;
        row[2] = PyUnicode_READ(kind, data, len - 1);
    }
    Py_DECREF(seq);
    return out;
}


/* --- drop_inert ---------------------------------------------------------------------------- */

static const char *const INERT[] = {"script", "style", "svg", "title", "textarea"};
enum { SCRIPT, STYLE, SVG, TITLE, TEXTAREA, N_INERT };

/* re's `\s` in a bytes pattern */
static inline int bspace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static inline int bend(unsigned char c) { return bspace(c) || c == '/' || c == '>'; }

/* _START.search(html, pos): the first `<` at or after pos starting an inert element's start tag
 * (lower-case name, then white space, `/` or `>`) or a comment (`<!--`). Returns its offset, and
 * in *which the element (or -1 for a comment); -1 when there is none. */
static Py_ssize_t find_start(const unsigned char *h, Py_ssize_t n, Py_ssize_t pos, int *which)
{
    while (pos < n) {
        const unsigned char *p = memchr(h + pos, '<', n - pos);
        if (!p) return -1;
        Py_ssize_t i = p - h;
        for (int k = 0; k < N_INERT; k++) {
            Py_ssize_t len = (Py_ssize_t)strlen(INERT[k]);
            if (i + 1 + len < n && memcmp(h + i + 1, INERT[k], len) == 0 && bend(h[i + 1 + len])) {
                *which = k;
                return i;
            }
        }
        if (i + 4 <= n && memcmp(h + i, "<!--", 4) == 0) {
            *which = -1;
            return i;
        }
        pos = i + 1;
    }
    return -1;
}

/* _end_tag: the first `</NAME` at or after pos, NAME in any (ASCII) case, followed by white space,
 * `/`, `>` or the end; -1 when there is none. */
static Py_ssize_t find_end_tag(const unsigned char *h, Py_ssize_t n, Py_ssize_t pos, const char *name)
{
    Py_ssize_t len = (Py_ssize_t)strlen(name);
    while (pos < n) {
        const unsigned char *p = memchr(h + pos, '<', n - pos);
        if (!p) return -1;
        Py_ssize_t i = p - h;
        if (i + 2 + len <= n && h[i + 1] == '/') {
            int same = 1;
            for (Py_ssize_t k = 0; k < len && same; k++) same = (h[i + 2 + k] | 0x20) == (unsigned char)name[k];
            if (same && (i + 2 + len == n || bend(h[i + 2 + len]))) return i;
        }
        pos = i + 1;
    }
    return -1;
}

/* _comment_end: the offset just after the comment starting at `start`, or -1. */
static Py_ssize_t comment_end(const unsigned char *h, Py_ssize_t n, Py_ssize_t start)
{
    if (start + 5 <= n && h[start + 4] == '>') return start + 5;
    if (start + 6 <= n && h[start + 4] == '-' && h[start + 5] == '>') return start + 6;
    for (Py_ssize_t j = start + 4; j + 3 <= n; j++) {
        const unsigned char *p = memchr(h + j, '-', n - j);
        if (!p) return -1;
        j = p - h;
        if (j + 3 > n) return -1;
        if (h[j + 1] != '-') continue;
        if (h[j + 2] == '>') return j + 3;
        if (h[j + 2] == '!' && j + 4 <= n && h[j + 3] == '>') return j + 4;
    }
    return -1;
}

PyDoc_STRVAR(drop_inert_doc,
"drop_inert(html: bytes) -> bytes\n\n"
"prune.drop_inert: `html` without the contents of its scripts, style sheets and SVG, and its comments\n"
"(the same object back when nothing is cut).");

static PyObject *drop_inert(PyObject *self, PyObject *arg)
{
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "drop_inert takes bytes");
        return NULL;
    }
    const unsigned char *h = (const unsigned char *)PyBytes_AS_STRING(arg);
    Py_ssize_t n = PyBytes_GET_SIZE(arg);
    if (memchr(h, 0x1b, n)) return Py_NewRef(arg); /* ESC: ISO-2022, where "<!--" can be text */
    unsigned char *out = NULL;
    Py_ssize_t out_len = 0, pos = 0;
    int cut = 0, which;
    Py_ssize_t start = find_start(h, n, 0, &which);
    while (start >= 0) {
        if (which < 0) {
            Py_ssize_t end = comment_end(h, n, start);
            if (end < 0) break;
            if (!out && !(out = PyMem_Malloc(n ? n : 1))) return PyErr_NoMemory();
            memcpy(out + out_len, h + pos, start - pos);
            out_len += start - pos;
            pos = end;
            cut = 1;
        } else {
            const unsigned char *gt = memchr(h + start, '>', n - start);
            if (!gt) break;
            Py_ssize_t tag_end = gt - h;
            if (which == SVG && h[tag_end - 1] == '/') { /* <svg ... />: an empty element */
                start = find_start(h, n, tag_end + 1, &which);
                continue;
            }
            Py_ssize_t end = find_end_tag(h, n, tag_end + 1, INERT[which]);
            if (end < 0) break;
            if (which == TITLE || which == TEXTAREA) { /* text: kept, and skipped over */
                start = find_start(h, n, end, &which);
                continue;
            }
            Py_ssize_t len = (Py_ssize_t)strlen(INERT[which]);
            if (!out && !(out = PyMem_Malloc(n ? n : 1))) return PyErr_NoMemory();
            memcpy(out + out_len, h + pos, start - pos); /* the bare start tag is never longer than the tag */
            out_len += start - pos;
            out[out_len++] = '<';
            memcpy(out + out_len, INERT[which], len);
            out_len += len;
            out[out_len++] = '>';
            pos = end; /* the end tag stays */
            cut = 1;
        }
        start = find_start(h, n, pos, &which);
    }
    if (!cut) {
        PyMem_Free(out);
        return Py_NewRef(arg);
    }
    memcpy(out + out_len, h + pos, n - pos);
    out_len += n - pos;
    PyObject *result = PyBytes_FromStringAndSize((const char *)out, out_len);
    PyMem_Free(out);
    return result;
}


/* --- features ------------------------------------------------------------------------------ */

enum { N_FEATURES = 34, LONG_BLOCK = 120, WINDOW_R = 2 };
enum { MODE_PAGE_RULES = 2, MODE_CONTAINER = 3, MODE_CONTAINER_RULES = 4 };

/* blocks._SENTENCE_END */
static inline int sentence_end(int64_t c)
{
    switch (c) {
    case '.': case '!': case '?': case ':': case ';': case '"': case ')': case ']':
    case 0x3002: case 0xFF01: case 0xFF1F: case 0x2026: case 0x201D: case 0x00BB:
        return 1;
    default:
        return 0;
    }
}

/* blocks._windows for one column `a` into column `col` of the row-major x: the mean over the
 * 2r+1 rows around each row (zeros past the ends), as running sums in order, then
 * (sum through row i+r - sum through row i-r-1) / (2r+1), as NumPy computes it there. */
static void window_column(const double *a, Py_ssize_t n, double *run, double *x, int col)
{
    Py_ssize_t size = n + 2 * WINDOW_R + 1;
    for (Py_ssize_t t = 0; t <= WINDOW_R; t++) run[t] = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) run[WINDOW_R + 1 + i] = i ? run[WINDOW_R + i] + a[i] : a[0];
    for (Py_ssize_t t = WINDOW_R + 1 + n; t < size; t++) run[t] = run[WINDOW_R + n];
    for (Py_ssize_t i = 0; i < n; i++)
        x[i * N_FEATURES + col] = (run[2 * WINDOW_R + 1 + i] - run[i]) / (double)(2 * WINDOW_R + 1);
}

PyDoc_STRVAR(features_doc,
"features(kinds, links, counts, lengths, log_chars, log_words, mode, log_blocks, log_page_chars) -> bytearray\n\n"
"blocks.features' matrix (row-major float64, FEATURES' columns) from what NumPy computed of it: each\n"
"block's kind and link characters (sequences of int), `counts` (char_counts' int64 rows), `lengths`\n"
"(int64), log1p of its characters and of its words (float64), and the two page-wide logarithms.\n"
"Every other column is the same IEEE arithmetic, in the same order, as the NumPy code.");

static PyObject *features(PyObject *self, PyObject *args)
{
    PyObject *kinds_obj, *links_obj, *counts_obj, *lengths_obj, *lc_obj, *lw_obj;
    int mode;
    double log_blocks, log_page_chars;
    if (!PyArg_ParseTuple(args, "OOOOOOidd", &kinds_obj, &links_obj, &counts_obj, &lengths_obj, &lc_obj, &lw_obj,
                          &mode, &log_blocks, &log_page_chars))
        return NULL;
    PyObject *kinds = NULL, *links = NULL, *out = NULL;
    Py_buffer counts_v = {0}, lengths_v = {0}, lc_v = {0}, lw_v = {0};
    double *buf = NULL;
    kinds = PySequence_Fast(kinds_obj, "kinds must be a sequence");
    links = kinds ? PySequence_Fast(links_obj, "links must be a sequence") : NULL;
    if (!links) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(kinds);
    if (n < 1 || PySequence_Fast_GET_SIZE(links) != n) {
        PyErr_SetString(PyExc_ValueError, "kinds and links: one each per block, at least one block");
        goto done;
    }
    if (PyObject_GetBuffer(counts_obj, &counts_v, PyBUF_SIMPLE) < 0 ||
        PyObject_GetBuffer(lengths_obj, &lengths_v, PyBUF_SIMPLE) < 0 ||
        PyObject_GetBuffer(lc_obj, &lc_v, PyBUF_SIMPLE) < 0 || PyObject_GetBuffer(lw_obj, &lw_v, PyBUF_SIMPLE) < 0)
        goto done;
    if (counts_v.len != n * 3 * (Py_ssize_t)sizeof(int64_t) || lengths_v.len != n * (Py_ssize_t)sizeof(int64_t) ||
        lc_v.len != n * (Py_ssize_t)sizeof(double) || lw_v.len != n * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "a column has the wrong length");
        goto done;
    }
    const int64_t *counts = counts_v.buf, *lengths = lengths_v.buf;
    const double *log_chars = lc_v.buf, *log_words = lw_v.buf;
    out = PyByteArray_FromStringAndSize(NULL, n * N_FEATURES * (Py_ssize_t)sizeof(double));
    /* scratch: link density, paragraph flags, running sums */
    buf = PyMem_Malloc((2 * n + n + 2 * WINDOW_R + 1) * sizeof(double));
    if (!out || !buf) {
        if (!buf) PyErr_NoMemory();
        Py_CLEAR(out);
        goto done;
    }
    double *x = (double *)PyByteArray_AS_STRING(out);
    double *link = buf, *para = buf + n, *run = buf + 2 * n;
    memset(x, 0, n * N_FEATURES * sizeof(double));

    double total = 0.0, page_chars = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double chars = (double)lengths[i];
        page_chars += chars;
        int ends = sentence_end(counts[i * 3 + 2]);
        if (chars >= LONG_BLOCK && ends) total += chars;
    }
    double cum = 0.0, per_page = page_chars > 1.0 ? page_chars : 1.0;
    int64_t start = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double *row = x + i * N_FEATURES;
        long kind = PyLong_AsLong(PySequence_Fast_GET_ITEM(kinds, i));
        long long n_links = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(links, i));
        if (PyErr_Occurred()) {
            Py_CLEAR(out);
            goto done;
        }
        double chars = (double)lengths[i], per_char = chars > 1.0 ? chars : 1.0;
        double ld = (double)n_links / per_char;
        link[i] = ld < 1.0 ? ld : 1.0;
        int ends = sentence_end(counts[i * 3 + 2]);
        int is_long = chars >= LONG_BLOCK && ends;
        double weight = is_long ? chars : 0.0;
        double before = 0.0, after = 0.0;
        if (total != 0.0) {
            cum += weight;
            before = (cum - weight) / total;
            after = (total - cum) / total;
        }
        row[0] = log_chars[i];
        row[1] = link[i];
        row[2] = ends ? 1.0 : 0.0;
        row[3] = log_words[i];
        row[4] = (double)counts[i * 3] / per_char;
        row[5] = before;
        row[6] = after;
        row[7] = (double)i / (double)(n - 1 > 1 ? n - 1 : 1);
        row[8] = (double)start / per_page;
        start += lengths[i];
        row[18] = log_blocks;
        row[19] = log_page_chars;
        row[20] = before == 0.0;
        row[21] = after == 0.0;
        row[22] = is_long;
        row[23] = kind == 1; /* PARAGRAPH, HEADING, LIST_ITEM, PRE, OTHER */
        row[24] = kind == 2;
        row[25] = kind == 3;
        row[26] = kind == 4;
        row[27] = kind == 0;
        para[i] = row[23];
        row[31] = mode == MODE_CONTAINER;
        row[32] = mode == MODE_PAGE_RULES;
        row[33] = mode >= MODE_CONTAINER_RULES;
    }
    window_column(link, n, run, x, 15);
    window_column(log_chars, n, run, x, 16);
    window_column(para, n, run, x, 17);
    /* the neighbours' columns: prev_x of the block before, next_x of the block after (0 past the ends) */
    static const int prev[] = {9, 11, 13, 28, 29}, prev_of[] = {0, 1, 2, 24, 23};
    static const int next[] = {10, 12, 14, 30}, next_of[] = {0, 1, 2, 23};
    for (Py_ssize_t i = 0; i < n; i++) {
        double *row = x + i * N_FEATURES;
        for (int k = 0; k < 5; k++) row[prev[k]] = i ? row[prev_of[k] - N_FEATURES] : 0.0;
        for (int k = 0; k < 4; k++) row[next[k]] = i + 1 < n ? row[next_of[k] + N_FEATURES] : 0.0;
    }

done:
    PyMem_Free(buf);
    if (counts_v.obj) PyBuffer_Release(&counts_v);
    if (lengths_v.obj) PyBuffer_Release(&lengths_v);
    if (lc_v.obj) PyBuffer_Release(&lc_v);
    if (lw_v.obj) PyBuffer_Release(&lw_v);
    Py_XDECREF(kinds);
    Py_XDECREF(links);
    return out;
}


/* --- minimal_bytes ------------------------------------------------------------------------- */

PyDoc_STRVAR(minimal_bytes_doc,
"minimal_bytes(text) -> int | None\n\n"
"main_content._minimal_bytes: the UTF-8 bytes of `text` with `<[^>]*>` removed (a tag may span lines;\n"
"a `<` with no `>` after it is text). None for a text holding a surrogate, which str.encode refuses.");

static PyObject *minimal_bytes(PyObject *self, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "minimal_bytes takes str");
        return NULL;
    }
    Py_ssize_t len = PyUnicode_GET_LENGTH(arg);
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    if (PyUnicode_IS_ASCII(arg)) { /* one byte a character: count what the tags leave */
        const char *s = data;
        Py_ssize_t n = 0, i = 0;
        while (i < len) {
            const char *lt = memchr(s + i, '<', len - i);
            if (!lt) {
                n += len - i;
                break;
            }
            Py_ssize_t j = lt - s;
            const char *gt = memchr(s + j + 1, '>', len - j - 1);
            if (!gt) { /* no `>` after it: the rest is text */
                n += len - i;
                break;
            }
            n += j - i;
            i = gt - s + 1;
        }
        return PyLong_FromSsize_t(n);
    }
    Py_ssize_t n = 0, i = 0;
    int no_close = 0;
    while (i < len) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '<' && !no_close) {
            Py_ssize_t j = i + 1;
            while (j < len && PyUnicode_READ(kind, data, j) != '>') j++;
            if (j < len) {
                i = j + 1;
                continue;
            }
            no_close = 1;
        }
        if (c >= 0xD800 && c <= 0xDFFF) Py_RETURN_NONE;
        n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        i++;
    }
    return PyLong_FromSsize_t(n);
}


/* --- might_be_mojibake --------------------------------------------------------------------- */

/* mojibake._CONTINUATION: what bytes 0x80-0xBF become when UTF-8 is read as Windows-1252, less
 * NBSP and the soft hyphen */
static inline int continuation(Py_UCS4 c)
{
    if (c < 0x80) return 0;
    if (c <= 0x9F) return 1;
    if (c <= 0xBF) return c != 0xA0 && c != 0xAD;
    switch (c) {
    case 0x152: case 0x153: case 0x160: case 0x161: case 0x178: case 0x17D: case 0x17E: case 0x192:
    case 0x2C6: case 0x2DC: case 0x2013: case 0x2014: case 0x2018: case 0x2019: case 0x201A:
    case 0x201B: case 0x201C: case 0x201D: case 0x201E: case 0x2020: case 0x2021: case 0x2022:
    case 0x2026: case 0x2030: case 0x2039: case 0x203A: case 0x20AC: case 0x2122:
        return 1;
    default:
        return 0;
    }
}

PyDoc_STRVAR(might_be_mojibake_doc,
"might_be_mojibake(text) -> bool\n\n"
"mojibake.might_be_mojibake: a C1 control character, or a UTF-8 lead byte read as a letter followed\n"
"by as many continuation bytes as it needs (1 after U+00C2-U+00DF, 2 after U+00E0-U+00EF, 3 after\n"
"U+00F0-U+00F4), read as Windows-1252.");

static PyObject *might_be_mojibake(PyObject *self, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "might_be_mojibake takes str");
        return NULL;
    }
    if (PyUnicode_IS_ASCII(arg)) Py_RETURN_FALSE;
    Py_ssize_t len = PyUnicode_GET_LENGTH(arg);
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x80 || c > 0xF4) continue;
        if (c <= 0x9F) Py_RETURN_TRUE;
        int need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
        if (!need || i + need >= len) continue; /* U+00A0-U+00C1, or too near the end */
        int ok = 1;
        for (int k = 1; k <= need && ok; k++) ok = continuation(PyUnicode_READ(kind, data, i + k));
        if (ok) Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

static PyMethodDef methods[] = {
    {"split_blocks", split_blocks, METH_VARARGS, split_blocks_doc},
    {"might_be_mojibake", might_be_mojibake, METH_O, might_be_mojibake_doc},
    {"minimal_bytes", minimal_bytes, METH_O, minimal_bytes_doc},
    {"features", features, METH_VARARGS, features_doc},
    {"drop_inert", drop_inert, METH_O, drop_inert_doc},
    {"char_counts", char_counts, METH_O, char_counts_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "fruitstand.extract._native",
    "blocks.split_blocks, blocks._char_counts and prune.drop_inert in C (see _native.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
