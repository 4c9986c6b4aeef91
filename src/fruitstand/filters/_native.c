/* The quality filters' hot loops in C, each the twin of a Python function that stays as the
 * fallback where this extension is not built (setup.py builds it as optional), with the same
 * results: tests/filters/test_native.py compares each pair on real text.
 *
 * Why: they were the largest filter costs of the FineWeb recipe (issue 21; the measurements are in
 * benchmarks/results/recipe-speed.md). Unicode questions (white space, letters) are asked of
 * CPython's own tables (Py_UNICODE_ISSPACE, Py_UNICODE_ISALPHA), the ones str.split and
 * str.isalpha use, so no second copy of the Unicode database can disagree.
 *
 * - ngram_verdict: Gopher's n-gram repetition rules (gopher_repetition.ngram_verdict). The NumPy
 *   twin sorts the n-gram hashes once per n (up to nine sorts a document) and joins and re-encodes
 *   the tokens to hash them; here each token is hashed from its code points in place and each n is
 *   one pass over a hash table. The hashes are the twin's, bit for bit (a token: Horner's rule over
 *   its code points + 1 with multiplier B, then murmur3's finaliser; an n-gram: Horner's rule over
 *   its token hashes with FNV's prime), and so is the walk, so even two n-grams that share a hash
 *   give the same verdict on both sides.
 * - space_tokens: text.space_tokens's split into white-space chunks, where a chunk of letters alone
 *   is its own token and any other goes through the memo (and the regex, on a miss): one pass
 *   over the text instead of str.split, a map of str.isalpha and a Python loop over the others.
 * - script_counts: lang.scripts.script_counts' letters per script, a binary search per code point
 *   (skipped while the text stays in one range) instead of a UTF-32 copy, searchsorted and bincount.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MULT 0x9E3779B97F4A7C15ULL
#define NGRAM_MULT 0x100000001B3ULL

static inline uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t token_hash(PyObject *tok)
{
    Py_ssize_t len = PyUnicode_GET_LENGTH(tok);
    int kind = PyUnicode_KIND(tok);
    const void *data = PyUnicode_DATA(tok);
    uint64_t h = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *s = data;
        for (Py_ssize_t i = 0; i < len; i++) h = h * TOKEN_MULT + (uint64_t)s[i] + 1;
    } else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *s = data;
        for (Py_ssize_t i = 0; i < len; i++) h = h * TOKEN_MULT + (uint64_t)s[i] + 1;
    } else {
        const Py_UCS4 *s = data;
        for (Py_ssize_t i = 0; i < len; i++) h = h * TOKEN_MULT + (uint64_t)s[i] + 1;
    }
    return fmix64(h);
}

/* An open-addressing table of n-gram hashes: key, count, first position; 16 bytes a slot, at most
 * two thirds full (a 1,000,000-token text: 2^21 slots, 32 MiB, about what the NumPy twin's sorts use). */
typedef struct {
    uint64_t *keys;
    uint32_t *count;
    uint32_t *first;
    int bits;
    size_t mask;
} table;

static int table_init(table *t, Py_ssize_t entries)
{
    int bits = 4;
    while (((size_t)1 << bits) < (size_t)entries + (size_t)entries / 2) bits++;
    size_t size = (size_t)1 << bits;
    t->bits = bits;
    t->mask = size - 1;
    t->keys = PyMem_Malloc(size * sizeof(uint64_t));
    t->count = PyMem_Malloc(size * sizeof(uint32_t));
    t->first = PyMem_Malloc(size * sizeof(uint32_t));
    if (!t->keys || !t->count || !t->first) return -1;
    return 0;
}

static void table_free(table *t)
{
    PyMem_Free(t->keys);
    PyMem_Free(t->count);
    PyMem_Free(t->first);
}

static inline void table_clear(table *t)
{
    memset(t->count, 0, (t->mask + 1) * sizeof(uint32_t));
}

/* The slot of `key`: its own if present, else the empty one where it would go. */
static inline size_t table_slot(const table *t, uint64_t key)
{
    size_t i = (size_t)((key * TOKEN_MULT) >> (64 - t->bits));
    while (t->count[i] && t->keys[i] != key) i = (i + 1) & t->mask;
    return i;
}

static inline uint64_t ngram_at(const uint64_t *th, Py_ssize_t pos, int n)
{
    uint64_t h = 0;
    for (int k = 0; k < n; k++) h = h * NGRAM_MULT + th[pos + k];
    return h;
}

/* top_ngram: (characters of the first-seen most frequent n-gram joined by spaces) * its count. */
static void top_ngram(table *t, const uint64_t *th, const int64_t *cum, Py_ssize_t ntoks, int n,
                      int64_t *chars, int64_t *best_out)
{
    Py_ssize_t m = ntoks - n + 1;
    table_clear(t);
    for (Py_ssize_t pos = 0; pos < m; pos++) {
        uint64_t h = ngram_at(th, pos, n);
        size_t i = table_slot(t, h);
        if (!t->count[i]) {
            t->keys[i] = h;
            t->first[i] = (uint32_t)pos;
        }
        t->count[i]++;
    }
    Py_ssize_t best = 0, at = 0;
    for (size_t i = 0; i <= t->mask; i++) {
        Py_ssize_t c = t->count[i];
        if (c > best || (c == best && c && t->first[i] < at)) {
            best = c;
            at = t->first[i];
        }
    }
    *chars = (int64_t)(cum[at + n] - cum[at] + n - 1) * best;
    *best_out = best;
}

/* repeated_ngram_chars: characters in n-grams that repeat an earlier one, each word counted once
 * (after a repeat, the walk goes on past its words; a position it skips is not remembered). */
static int64_t repeated_ngram_chars(table *t, const uint64_t *th, const int64_t *cum, Py_ssize_t ntoks, int n)
{
    Py_ssize_t m = ntoks - n + 1;
    table_clear(t);
    int64_t total = 0;
    Py_ssize_t idx = 0;
    for (Py_ssize_t pos = 0; pos < m; pos++) {
        if (pos < idx) continue;
        uint64_t h = ngram_at(th, pos, n);
        size_t i = table_slot(t, h);
        if (t->count[i]) {
            total += cum[pos + n] - cum[pos];
            idx = pos + n;
        } else {
            t->keys[i] = h;
            t->count[i] = 1;
            idx = pos + 1;
        }
    }
    return total;
}

static int64_t longest_ngram(const int64_t *cum, Py_ssize_t ntoks, int n)
{
    int64_t longest = 0;
    for (Py_ssize_t i = 0; i + n <= ntoks; i++) {
        int64_t l = cum[i + n] - cum[i];
        if (l > longest) longest = l;
    }
    return longest + n - 1;
}

typedef struct {
    int n;
    double frac;
} rule;

static int read_rules(PyObject *seq, rule **out, Py_ssize_t *count)
{
    PyObject *fast = PySequence_Fast(seq, "the rules must be a sequence of (n, fraction) pairs");
    if (!fast) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(fast);
    *out = PyMem_Malloc((k ? k : 1) * sizeof(rule));
    if (!*out) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(fast, i);
        long n;
        double frac;
        if (!PyArg_ParseTuple(pair, "ld", &n, &frac)) {
            Py_DECREF(fast);
            return -1;
        }
        if (n < 1 || n > 1000) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_ValueError, "an n-gram size must be between 1 and 1000");
            return -1;
        }
        (*out)[i].n = (int)n;
        (*out)[i].frac = frac;
    }
    *count = k;
    Py_DECREF(fast);
    return 0;
}

PyDoc_STRVAR(ngram_verdict_doc,
"ngram_verdict(tokens, size, top, dup) -> str | None\n\n"
"The reason the first failing n-gram rule gives (`gopher_rep_top_N_gram`, `gopher_rep_dup_N_gram`),\n"
"or None. `top` and `dup`: (n, fraction) pairs of ints and floats, `dup` sorted.");

static PyObject *ngram_verdict(PyObject *self, PyObject *args)
{
    PyObject *toks_obj, *top_obj, *dup_obj;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "OnOO", &toks_obj, &size, &top_obj, &dup_obj)) return NULL;
    PyObject *toks = PySequence_Fast(toks_obj, "tokens must be a sequence of str");
    if (!toks) return NULL;
    Py_ssize_t ntoks = PySequence_Fast_GET_SIZE(toks);
    PyObject **items = PySequence_Fast_ITEMS(toks);
    rule *top = NULL, *dup = NULL;
    Py_ssize_t ntop = 0, ndup = 0;
    uint64_t *th = NULL;
    int64_t *cum = NULL, *counted_best = NULL;
    int *counted_n = NULL;
    table t = {0};
    PyObject *result = NULL;
    int have_table = 0, ncounted = 0;

    if (read_rules(top_obj, &top, &ntop) < 0 || read_rules(dup_obj, &dup, &ndup) < 0) goto done;
    if (size <= 0) {
        PyErr_SetString(PyExc_ValueError, "size must be positive");
        goto done;
    }
    if (ntoks == 0) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    if (ntoks >= ((Py_ssize_t)1 << 31)) { /* the table's counts and positions are 32-bit */
        PyErr_SetString(PyExc_OverflowError, "too many tokens for ngram_verdict");
        goto done;
    }
    th = PyMem_Malloc(ntoks * sizeof(uint64_t));
    cum = PyMem_Malloc((ntoks + 1) * sizeof(int64_t));
    counted_n = PyMem_Malloc((ntop ? ntop : 1) * sizeof(int));
    counted_best = PyMem_Malloc((ntop ? ntop : 1) * sizeof(int64_t));
    if (!th || !cum || !counted_n || !counted_best) {
        PyErr_NoMemory();
        goto done;
    }
    cum[0] = 0;
    for (Py_ssize_t i = 0; i < ntoks; i++) {
        PyObject *tok = items[i];
        if (!PyUnicode_Check(tok)) {
            PyErr_SetString(PyExc_TypeError, "tokens must be str");
            goto done;
        }
        th[i] = token_hash(tok);
        cum[i + 1] = cum[i] + PyUnicode_GET_LENGTH(tok);
    }
    if (table_init(&t, ntoks) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    have_table = 1;

    /* The top n-gram rules, skipping an n whose bound (the longest n-gram times the least top count
     * of a shorter n already counted: no n-gram occurs more often than its first tokens do) is
     * within the limit, exactly as GopherRepetition.keep does. */
    for (Py_ssize_t r = 0; r < ntop; r++) {
        int n = top[r].n;
        double frac = top[r].frac;
        if (ntoks < n) continue;
        int have_bound = 0;
        int64_t bound = 0;
        for (int c = 0; c < ncounted; c++) {
            if (counted_n[c] < n && (!have_bound || counted_best[c] < bound)) {
                bound = counted_best[c];
                have_bound = 1;
            }
        }
        if (have_bound && (double)(longest_ngram(cum, ntoks, n) * bound) / (double)size <= frac) continue;
        int64_t chars, best;
        top_ngram(&t, th, cum, ntoks, n, &chars, &best);
        if ((double)chars / (double)size > frac) {
            result = PyUnicode_FromFormat("gopher_rep_top_%d_gram", n);
            goto done;
        }
        counted_n[ncounted] = n;
        counted_best[ncounted] = best;
        ncounted++;
    }
    for (Py_ssize_t r = 0; r < ndup; r++) {
        int n = dup[r].n;
        int64_t repeated = ntoks >= n ? repeated_ngram_chars(&t, th, cum, ntoks, n) : 0;
        if ((double)repeated / (double)size > dup[r].frac) {
            result = PyUnicode_FromFormat("gopher_rep_dup_%d_gram", n);
            goto done;
        }
        if (!repeated) break;
    }
    result = Py_NewRef(Py_None);

done:
    if (have_table) table_free(&t);
    PyMem_Free(th);
    PyMem_Free(cum);
    PyMem_Free(counted_n);
    PyMem_Free(counted_best);
    PyMem_Free(top);
    PyMem_Free(dup);
    Py_DECREF(toks);
    return result;
}


/* --- space_tokens ------------------------------------------------------------------------- */

/* Extend `out` with the tokens of a chunk that is not letters alone: from `memo`, else from
 * `old` (and then kept in `memo`), else from `find(chunk)` (kept in `memo` when at most `keep_len`
 * characters long). */
static int chunk_tokens(PyObject *out, PyObject *chunk, PyObject *memo, PyObject *old, PyObject *find,
                        Py_ssize_t keep_len)
{
    PyObject *toks = PyDict_GetItemWithError(memo, chunk); /* borrowed */
    if (toks) return PyList_SetSlice(out, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, toks);
    if (PyErr_Occurred()) return -1;
    toks = PyDict_GetItemWithError(old, chunk);
    if (toks) {
        Py_INCREF(toks);
    } else {
        if (PyErr_Occurred()) return -1;
        toks = PyObject_CallOneArg(find, chunk);
        if (!toks) return -1;
    }
    int err = 0;
    if (PyUnicode_GET_LENGTH(chunk) <= keep_len) err = PyDict_SetItem(memo, chunk, toks);
    if (!err) err = PyList_SetSlice(out, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, toks);
    Py_DECREF(toks);
    return err;
}

/* str.isalpha of one character: ASCII from a table, the rest from CPython's Unicode database. */
static inline int is_alpha(Py_UCS4 c)
{
    if (c < 128) return ((c | 32) - 'a') < 26;
    return Py_UNICODE_ISALPHA(c);
}

#define SCAN_CHUNK(T)                                                        \
    do {                                                                     \
        const T *s = data;                                                   \
        while (i < len && Py_UNICODE_ISSPACE(s[i])) i++;                     \
        start = i;                                                           \
        alpha = 1;                                                           \
        while (i < len && !Py_UNICODE_ISSPACE(s[i])) {                       \
            if (alpha && !is_alpha(s[i])) alpha = 0;                         \
            i++;                                                             \
        }                                                                    \
    } while (0)

PyDoc_STRVAR(space_tokens_doc,
"space_tokens(text, memo, old, find, keep_len) -> list[str]\n\n"
"The tokens of `text.split()`'s chunks: a chunk of letters alone (str.isalpha) as it is, any other\n"
"from the dict `memo`, else from the dict `old` (moved into `memo`), else `find(chunk)`; a chunk\n"
"looked up anew is kept in `memo` when it has at most `keep_len` characters.");

static PyObject *space_tokens(PyObject *self, PyObject *args)
{
    PyObject *text, *memo, *old, *find;
    Py_ssize_t keep_len;
    if (!PyArg_ParseTuple(args, "UO!O!On", &text, &PyDict_Type, &memo, &PyDict_Type, &old, &find, &keep_len))
        return NULL;
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    Py_ssize_t i = 0, start;
    int alpha;
    while (i < len) {
        /* The chunk [start, i), and whether it is letters alone; one loop per storage width. */
        if (kind == PyUnicode_1BYTE_KIND) {
            SCAN_CHUNK(Py_UCS1);
        } else if (kind == PyUnicode_2BYTE_KIND) {
            SCAN_CHUNK(Py_UCS2);
        } else {
            SCAN_CHUNK(Py_UCS4);
        }
        if (start >= len) break;
        PyObject *chunk = PyUnicode_Substring(text, start, i);
        if (!chunk) goto fail;
        int err = alpha ? PyList_Append(out, chunk) : chunk_tokens(out, chunk, memo, old, find, keep_len);
        Py_DECREF(chunk);
        if (err) goto fail;
    }
    return out;

fail:
    Py_DECREF(out);
    return NULL;
}


/* --- script_counts ------------------------------------------------------------------------- */

PyDoc_STRVAR(script_counts_doc,
"script_counts(text, starts, ids, n_scripts) -> bytes\n\n"
"lang.scripts.script_counts' tally: for each code point of `text`, the id (`ids`, intp) of the last\n"
"range in `starts` (sorted uint32 first code points) at or below it; n_scripts int64 counts.");

static PyObject *script_counts(PyObject *self, PyObject *args)
{
    PyObject *text, *starts_obj, *ids_obj;
    Py_ssize_t n_scripts;
    if (!PyArg_ParseTuple(args, "UOOn", &text, &starts_obj, &ids_obj, &n_scripts)) return NULL;
    Py_buffer sv, iv;
    if (PyObject_GetBuffer(starts_obj, &sv, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(ids_obj, &iv, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&sv);
        return NULL;
    }
    Py_ssize_t n_ranges = sv.len / (Py_ssize_t)sizeof(uint32_t);
    PyObject *out = NULL;
    if (n_ranges < 1 || iv.len != n_ranges * (Py_ssize_t)sizeof(Py_ssize_t) || n_scripts < 1 ||
        ((const uint32_t *)sv.buf)[0] != 0) {
        PyErr_SetString(PyExc_ValueError, "starts must begin at 0, one id per range");
        goto done;
    }
    const uint32_t *starts = sv.buf;
    const Py_ssize_t *ids = iv.buf;
    for (Py_ssize_t r = 0; r < n_ranges; r++) {
        if (ids[r] < 0 || ids[r] >= n_scripts) {
            PyErr_SetString(PyExc_ValueError, "a script id is out of range");
            goto done;
        }
    }
    out = PyBytes_FromStringAndSize(NULL, n_scripts * (Py_ssize_t)sizeof(int64_t));
    if (!out) goto done;
    int64_t *counts = (int64_t *)PyBytes_AS_STRING(out);
    memset(counts, 0, n_scripts * sizeof(int64_t));
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 lo = 1, hi = 0; /* the range of the last lookup: [lo, hi) -> last_id */
    Py_ssize_t last_id = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!(c >= lo && c < hi)) {
            /* searchsorted(starts, c, side="right") - 1: the last start <= c */
            Py_ssize_t a = 0, b = n_ranges;
            while (b - a > 1) {
                Py_ssize_t m = (a + b) / 2;
                if (starts[m] <= c) a = m;
                else b = m;
            }
            lo = starts[a];
            hi = a + 1 < n_ranges ? starts[a + 1] : 0x110000;
            last_id = ids[a];
        }
        counts[last_id]++;
    }
done:
    PyBuffer_Release(&sv);
    PyBuffer_Release(&iv);
    return out;
}

static PyMethodDef methods[] = {
    {"ngram_verdict", ngram_verdict, METH_VARARGS, ngram_verdict_doc},
    {"script_counts", script_counts, METH_VARARGS, script_counts_doc},
    {"space_tokens", space_tokens, METH_VARARGS, space_tokens_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "fruitstand.filters._native",
    "The quality filters' hot loops in C (see _native.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
