/* clsdata: characters -> words, pdfplumber's `extract_words` with the project's settings, in one call (ADR 0010).
 *
 * The C twin of `_chars_to_words` in pipeline/layout.py (itself asserted equal to pdfplumber's `extract_words`):
 * runs of equal (upright, font, size) characters; in each run, lines clustered by top (upright text) or x0
 * (rotated text), characters sorted by x0 (or by top, bottom) within a line, stable; a word ends at a blank
 * character, at a gap wider than the x tolerance, or when the next character steps back or leaves the line.
 * Ligature characters are written out (U+FB00..U+FB06). tests/test_backends.py compares the two exactly on every
 * fixture, real-world and malformed file. Pure C99, no dependency. */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "unicode.h"

static const char *ligature(uint32_t c) {  /* `_LIGATURES` of pipeline/layout.py */
    switch (c) {
    case 0xFB00: return "ff";
    case 0xFB01: return "fi";
    case 0xFB02: return "fl";
    case 0xFB03: return "ffi";
    case 0xFB04: return "ffl";
    case 0xFB05: case 0xFB06: return "st";
    default: return 0;
    }
}

typedef struct {
    const uint32_t *cp;
    const int *start;
    const double *geo;  /* per character: x0, x1, top, bottom, size, baseline */
    const uint8_t *flags;
} chars_t;

typedef struct {  /* a character's place in the sort of its run */
    int index, cluster;
    double a, b;  /* secondary keys: x0 (upright), or top and bottom (rotated) */
} item_t;

static int by_value(const void *p, const void *q) {
    double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

static int by_line(const void *p, const void *q) {  /* (cluster, a, b, index): a stable sort by (a, b) per line */
    const item_t *x = p, *y = q;
    if (x->cluster != y->cluster) return x->cluster < y->cluster ? -1 : 1;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    if (x->b != y->b) return x->b < y->b ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int blank(const chars_t *c, int i) {  /* str.isspace(): not empty and only blanks */
    if (c->start[i + 1] == c->start[i]) return 0;
    for (int k = c->start[i]; k < c->start[i + 1]; k++)
        if (!is_space(c->cp[k])) return 0;
    return 1;
}

typedef struct {
    double *wgeo;
    int *wfirst, *wstart;
    uint32_t *out;
    int n;  /* words written */
} words_t;

/* One word from the characters items[from .. to) (`_merge`). */
static void merge(const chars_t *c, const item_t *items, int from, int to, words_t *w) {
    int first = items[from].index, at = w->wstart[w->n];
    const double *g = c->geo + 6 * first;
    double x0 = g[0], x1 = g[1], top = g[2], bottom = g[3];
    for (int k = from; k < to; k++) {
        int i = items[k].index;
        const double *h = c->geo + 6 * i;
        if (h[0] < x0) x0 = h[0];
        if (h[1] > x1) x1 = h[1];
        if (h[2] < top) top = h[2];
        if (h[3] > bottom) bottom = h[3];
        const char *lig = c->start[i + 1] - c->start[i] == 1 ? ligature(c->cp[c->start[i]]) : 0;
        if (lig)
            while (*lig) w->out[at++] = (uint32_t)*lig++;
        else
            for (int p = c->start[i]; p < c->start[i + 1]; p++) w->out[at++] = c->cp[p];
    }
    double *o = w->wgeo + 4 * w->n;
    o[0] = x0;
    o[1] = x1;
    o[2] = top;
    o[3] = bottom;
    w->wfirst[w->n] = first;
    w->n++;
    w->wstart[w->n] = at;
}

/* The run of characters [i, j): lines, sort, split into words. `values`, `number`, `items`: scratch of j - i. */
static void run_words(const chars_t *c, int i, int j, double xt, double yt, double *values, int *number,
                      item_t *items, words_t *w) {
    int upright = c->flags[i] & 1, m = j - i;
    int key = upright ? 2 : 0;  /* lines by top, or by x0 */
    double tolerance = upright ? yt : xt;
    for (int k = 0; k < m; k++) values[k] = c->geo[6 * (i + k) + key];
    qsort(values, (size_t)m, sizeof(double), by_value);
    for (int k = 0; k < m; k++) {  /* each character's cluster: distinct values chained within the tolerance */
        double v = c->geo[6 * (i + k) + key];
        int lo = 0, hi = m - 1;
        while (lo < hi) {  /* the first sorted position of v */
            int mid = (lo + hi) / 2;
            if (values[mid] < v) lo = mid + 1; else hi = mid;
        }
        items[k].index = i + k;
        items[k].cluster = lo;  /* a position for now: turned into a cluster number below */
    }
    /* the cluster number of each sorted position (equal values: their first position's) */
    int index = 0;
    double last = values[0];
    for (int k = 0; k < m; k++) {
        if (values[k] > last + tolerance) index++;
        number[k] = index;
        last = values[k];
    }
    for (int k = 0; k < m; k++) {
        const double *g = c->geo + 6 * items[k].index;
        items[k].cluster = number[items[k].cluster];
        items[k].a = upright ? g[0] : g[2];
        items[k].b = upright ? 0.0 : g[3];
    }
    qsort(items, (size_t)m, sizeof(item_t), by_line);
    int from = 0;  /* the current word is items[from .. k) */
    for (int k = 0; k < m; k++) {
        if (k > from && items[k].cluster != items[k - 1].cluster) {  /* a new line */
            merge(c, items, from, k, w);
            from = k;
        }
        int ci = items[k].index;
        if (blank(c, ci)) {
            if (k > from) merge(c, items, from, k, w);
            from = k + 1;
            continue;
        }
        if (k > from) {
            const double *g = c->geo + 6 * ci, *p = c->geo + 6 * items[k - 1].index;
            int split = upright ? (g[0] < p[0] || g[0] > p[1] + xt || fabs(g[2] - p[2]) > yt)
                                : (g[2] < p[2] || g[2] > p[3] + yt || fabs(g[0] - p[0]) > xt);
            if (split) {
                merge(c, items, from, k, w);
                from = k;
            }
        }
    }
    if (m > from) merge(c, items, from, m, w);
}

/* n characters: code points cp[start[i] .. start[i + 1]), geo[6i .. 6i + 6) (x0, x1, top, bottom, size,
 * baseline), font[i] (equal font names, equal numbers), flags[i] (bit 0: upright).
 * Out, per word k (at most n): wgeo[4k .. 4k + 4) (x0, x1, top, bottom), wfirst[k] (its first character, which
 * gives its font, size and uprightness), its text out[wstart[k] .. wstart[k + 1]) (out: room for 3 x start[n]
 * code points). Returns the number of words, -1 when out of memory. */
int clsdata_words(int n, const uint32_t *cp, const int *start, const double *geo, const int *font,
                  const uint8_t *flags, double xt, double yt, double *wgeo, int *wfirst, int *wstart,
                  uint32_t *out) {
    chars_t c = {cp, start, geo, flags};
    words_t w = {wgeo, wfirst, wstart, out, 0};
    wstart[0] = 0;
    if (n <= 0) return 0;
    double *values = (double *)malloc(sizeof(double) * (size_t)n);
    int *number = (int *)malloc(sizeof(int) * (size_t)n);
    item_t *items = (item_t *)malloc(sizeof(item_t) * (size_t)n);
    if (!values || !number || !items) {
        free(values);
        free(number);
        free(items);
        return -1;
    }
    int i = 0;
    while (i < n) {  /* runs of equal (upright, font, size) */
        int j = i + 1;
        while (j < n && (flags[j] & 1) == (flags[i] & 1) && font[j] == font[i] && geo[6 * j + 4] == geo[6 * i + 4])
            j++;
        run_words(&c, i, j, xt, yt, values, number, items, &w);
        i = j;
    }
    free(values);
    free(number);
    free(items);
    return w.n;
}
