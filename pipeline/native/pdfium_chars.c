/* clsdata: PDFium's characters and paths of one page, in pdfplumber's geometry, one call each (ADR 0010).
 *
 * `clsdata_page_glyphs` is the C twin of `_chars_py` in pipeline/pdfium.py, `clsdata_page_paths` of `_objects`
 * and `_path`; they must stay equal to them, operation for operation (tests/test_backends.py compares them bit
 * for bit on every fixture, real-world and malformed file). Per character, the Python reference makes ~6 PDFium
 * calls through ctypes (~1 us each) and as much arithmetic again, ~8 us; this loop takes well under 1 us.
 *
 * It links against nothing: PDFium's function addresses come from pypdfium2 (which loaded the library) in `fns`,
 * in the order of `enum fn` / `enum path_fn`. Built on first use with the system C compiler
 * (pipeline/native/__init__.py), with -ffp-contract=off so that no multiply-add is fused: the arithmetic is
 * Python's, in doubles. */

#include <math.h>
#include <stdint.h>

#include "unicode.h"

typedef struct { float left, top, right, bottom; } rectf;
typedef struct { float a, b, c, d, e, f; } matrixf;

typedef unsigned int (*unicode_fn)(void *, int);
typedef int (*flag_fn)(void *, int);
typedef void *(*object_fn)(void *, int);
typedef int (*origin_fn)(void *, int, double *, double *);
typedef int (*box_fn)(void *, int, rectf *);
typedef int (*matrix_fn)(void *, int, matrixf *);
typedef int (*size_fn)(void *, float *);
typedef void *(*font_fn)(void *);
typedef int (*width_fn)(void *, uint32_t, float, float *);
typedef int (*descent_fn)(void *, float, float *);
typedef int (*char_box_fn)(void *, int, double *, double *, double *, double *);

enum fn {
    UNICODE, MAP_ERROR, GENERATED, HYPHEN, TEXT_OBJECT, ORIGIN, LOOSE_BOX, MATRIX, FONT_SIZE, FONT, GLYPH_WIDTH,
    DESCENT, CHAR_BOX, N_FN
};

/* out_flags bits */
enum { UPRIGHT = 1 };

typedef struct {  /* what a text object's characters share (`_Run` in pipeline/pdfium.py) */
    void *object, *font;
    int ok;
    double size, a, b, ta, tb, low0, low1, high0, high1;
    int upright;
} run_t;

/* The advance in text space from a loose box (page space): its extent along the baseline (`_loose_advance`). */
static double loose_advance(const run_t *run, rectf box) {
    if (fabs(run->ta) >= fabs(run->tb))
        return run->ta != 0 ? ((double)box.right - (double)box.left) / fabs(run->ta) : 0.0;
    return run->tb != 0 ? ((double)box.top - (double)box.bottom) / fabs(run->tb) : 0.0;
}

/* pdfminer's bbox of a glyph at (e, f) into g[0..4] (x0, x1, top, bottom, size) (`_glyph_box`). */
static void glyph_box(const run_t *run, double e, double f, double adv, double height, double *g) {
    double xs[4] = {run->low0 + e, run->a * adv + run->low0 + e, run->a * adv + run->high0 + e, run->high0 + e};
    double ys[4] = {run->low1 + f, run->b * adv + run->low1 + f, run->b * adv + run->high1 + f, run->high1 + f};
    double x0 = xs[0], x1 = xs[0], y0 = ys[0], y1 = ys[0];
    for (int k = 1; k < 4; k++) {  /* the four corners' bounds, as pdfminer's apply_matrix_rect */
        if (xs[k] < x0) x0 = xs[k];
        if (xs[k] > x1) x1 = xs[k];
        if (ys[k] < y0) y0 = ys[k];
        if (ys[k] > y1) y1 = ys[k];
    }
    g[0] = x0;
    g[1] = x1;
    g[2] = height - y1;
    g[3] = height - y0;
    g[4] = y1 - y0;  /* pdfminer: the height, rotated or not (vertical CID fonts aside) */
}

/* The ligature whose letters PDFium expanded a glyph into (`_LIGATURES`), or 0. */
static uint32_t ligature_point(const uint32_t *s, int n) {
    if (n == 2 && s[0] == 'f' && s[1] == 'f') return 0xFB00;
    if (n == 2 && s[0] == 'f' && s[1] == 'i') return 0xFB01;
    if (n == 2 && s[0] == 'f' && s[1] == 'l') return 0xFB02;
    if (n == 3 && s[0] == 'f' && s[1] == 'f' && s[2] == 'i') return 0xFB03;
    if (n == 3 && s[0] == 'f' && s[1] == 'f' && s[2] == 'l') return 0xFB04;
    if (n == 2 && s[0] == 's' && s[1] == 't') return 0xFB06;
    return 0;
}

typedef struct {  /* an unmapped glyph to re-size by the next glyph's origin (`_settle` in pipeline/pdfium.py) */
    int index;  /* its output index, -1 when none */
    run_t run;
    void *key;
    double e, f, x, y;
} pending_t;

static void settle(const pending_t *p, void *key, double x, double y, double height, double *geo) {
    double adv;
    if (p->index < 0 || key != p->key) return;
    if (fabs(p->run.ta) >= fabs(p->run.tb))
        adv = p->run.ta != 0 && fabs(y - p->y) < 0.01 ? (x - p->x) / p->run.ta : 0.0;
    else
        adv = p->run.tb != 0 && fabs(x - p->x) < 0.01 ? (y - p->y) / p->run.tb : 0.0;
    if (adv > 0) glyph_box(&p->run, p->e, p->f, adv, height, geo + 6 * p->index);
}

/* FPDFFont_GetGlyphWidth maps a code point back to a code through the font's Unicode map; finding none, it answers
 * code 0's width (a symbolic font's /MissingWidth: Symbol's bullet, code 183, gets 250 instead of its 460). Its width
 * for U+FFFF, which no font maps, is that failed lookup's (`_no_code_width`). Cached per font in a few slots (a pure
 * function of the font: the cache changes no result). */
#define NO_CODE 0xFFFFu
#define NO_CODE_SLOTS 64
typedef struct { void *font; int ok; float width; } no_code_t;

static int no_code_width(width_fn glyph_width, no_code_t *cache, void *font, float *w) {
    no_code_t *slot = cache + (((uintptr_t)font >> 4) & (NO_CODE_SLOTS - 1));
    if (slot->font != font) {
        slot->font = font;
        slot->width = 0;
        slot->ok = glyph_width(font, NO_CODE, 1000.0f, &slot->width) != 0;
    }
    *w = slot->width;
    return slot->ok;
}

/* A blank text object (`blanks`, from `clsdata_page_paths`) on the baseline of the glyph placed at (pe, pf) with the
 * run's direction, after it and before (qe, qf): its index, or -1 (`_blank_between` in pipeline/pdfium.py). */
static int blank_between(const double *blanks, int n_blanks, const run_t *run, double pe, double pf, double qe,
                         double qf) {
    double a = run->a, b = run->b, reach = (qe - pe) * a + (qf - pf) * b, tol = 0.1 * run->size;
    for (int k = 0; k < n_blanks; k++) {
        double de = blanks[2 * k] - pe, df = blanks[2 * k + 1] - pf;
        double along = de * a + df * b, across = de * b - df * a;
        if (along > 0 && along < reach && across * across <= tol * tol * (a * a + b * b)) return k;
    }
    return -1;
}

/* ctm: pdfminer's page matrix (a, b, c, d, e, f); height: the page's; blanks: the page origins (e, f) of the text
 * objects PDFium's text page leaves out for drawing only blank glyphs (n_blanks of them).
 * Per output character j (at most n): its text as UTF-32 code points text[start[j] .. start[j + 1]), x0, x1, top,
 * bottom, size, baseline in geo[6j .. 6j + 6), its font handle, flags (UPRIGHT).
 * counts[0] = glyphs, counts[1] = unmapped glyphs. Returns the number of output characters. */
int clsdata_page_glyphs(void *textpage, int n, void **fns, const double *ctm, double height, const double *blanks,
                        int n_blanks, uint32_t *text, int32_t *start, double *geo, uint64_t *out_font,
                        uint8_t *out_flags, int32_t *counts) {
    unicode_fn get_unicode = (unicode_fn)fns[UNICODE];
    flag_fn map_error = (flag_fn)fns[MAP_ERROR], generated = (flag_fn)fns[GENERATED], hyphen = (flag_fn)fns[HYPHEN];
    object_fn text_object = (object_fn)fns[TEXT_OBJECT];
    origin_fn get_origin = (origin_fn)fns[ORIGIN];
    box_fn loose_box = (box_fn)fns[LOOSE_BOX];
    matrix_fn get_matrix = (matrix_fn)fns[MATRIX];
    size_fn font_size = (size_fn)fns[FONT_SIZE];
    font_fn get_font = (font_fn)fns[FONT];
    width_fn glyph_width = (width_fn)fns[GLYPH_WIDTH];
    descent_fn get_descent = (descent_fn)fns[DESCENT];
    char_box_fn char_box = (char_box_fn)fns[CHAR_BOX];
    const double A = ctm[0], B = ctm[1], C = ctm[2], D = ctm[3], E = ctm[4], F = ctm[5];
    run_t run = {0}, placed_run = {0};  /* placed: the run and origin of the last output glyph, when it is `last` */
    int placed = 0;
    double placed_e = 0, placed_f = 0;
    pending_t pending = {-1};
    int have_last = 0, m = 0, t = 0, glyphs = 0, unmapped_count = 0;
    void *last_key = 0;
    double last_x = 0, last_y = 0;
    no_code_t no_code[NO_CODE_SLOTS] = {{0}};
    start[0] = 0;
    for (int i = 0; i < n; i++) {
        unsigned int code = get_unicode(textpage, i);
        int is_generated = -1;  /* not asked yet */
        if (code == 10 || code == 13) {
            is_generated = generated(textpage, i) == 1;
            if (is_generated) continue;
        }
        if (code != 2 && code > 0 && code < 0x110000 && is_space(code) && map_error(textpage, i) != 1) {
            if (is_generated < 0) is_generated = generated(textpage, i) == 1;
            if (m > 0 && !is_generated) {
                rectf box = {0, 0, 0, 0};
                if (pending.index >= 0) {
                    double sx = 0, sy = 0;
                    get_origin(textpage, i, &sx, &sy);
                    settle(&pending, text_object(textpage, i), sx, sy, height, geo);
                }
                double *prev = geo + 6 * (m - 1), *g = geo + 6 * m;
                double x0, x1, top, bottom;
                loose_box(textpage, i, &box);
                x0 = A * (double)box.left + C * (double)box.top + E;
                top = height - (B * (double)box.left + D * (double)box.top + F);
                x1 = A * (double)box.right + C * (double)box.bottom + E;
                bottom = height - (B * (double)box.right + D * (double)box.bottom + F);
                g[0] = x0 < x1 ? x0 : x1;
                g[1] = x0 > x1 ? x0 : x1;  /* Python's max(x0, x1): the first when equal, same value */
                g[2] = top < bottom ? top : bottom;
                g[3] = top > bottom ? top : bottom;
                g[4] = prev[4];
                g[5] = prev[5];
                out_font[m] = out_font[m - 1];
                out_flags[m] = out_flags[m - 1];
                text[t++] = 0x20;
                start[++m] = t;
            } else if (is_generated && n_blanks > 0 && placed && i + 1 < n && generated(textpage, i + 1) != 1) {
                /* PDFium's own space where a blank text object it left out stands: that object's typed space */
                double qx = 0, qy = 0;
                get_origin(textpage, i + 1, &qx, &qy);
                double qe = qx * A + qy * C + E, qf = qx * B + qy * D + F;
                int k = blank_between(blanks, n_blanks, &placed_run, placed_e, placed_f, qe, qf);
                if (k >= 0) {  /* it spans from its origin to the next glyph's, as wide as pdfminer's space and gap */
                    double *prev = geo + 6 * (m - 1), *g = geo + 6 * m, ra = placed_run.a, rb = placed_run.b;
                    double adv = ((qe - blanks[2 * k]) * ra + (qf - blanks[2 * k + 1]) * rb) / (ra * ra + rb * rb);
                    glyph_box(&placed_run, blanks[2 * k], blanks[2 * k + 1], adv, height, g);
                    g[4] = prev[4];
                    g[5] = height - blanks[2 * k + 1];
                    out_font[m] = out_font[m - 1];
                    out_flags[m] = out_flags[m - 1];
                    text[t++] = 0x20;
                    start[++m] = t;
                }
            }
            have_last = 0;
            placed = 0;
            pending.index = -1;
            continue;
        }
        uint32_t ch;
        if (code == 2 || ((code == 0x2D || code == 0xAD) && hyphen(textpage, i) == 1))
            ch = 0x2D;
        else if (code > 0 && code < 0x110000 && !(code >= 0xD800 && code < 0xE000))
            ch = code;
        else
            ch = 0xFFFD;
        int unmapped = code == 0 || map_error(textpage, i) == 1;  /* code 0 without Unicode: no map error in PDFium */
        void *key = text_object(textpage, i);
        double x = 0, y = 0;
        get_origin(textpage, i, &x, &y);
        if (have_last && key && key == last_key && x == last_x && y == last_y && m > 0) {
            text[t++] = ch;  /* a ligature expanded by PDFium: one pdfminer character, as wide as its loose box */
            start[m] = t;
            if (placed) {
                uint32_t point = ligature_point(text + start[m - 1], t - start[m - 1]);
                float w = 0;
                double adv = 0;
                if (point && placed_run.font && glyph_width(placed_run.font, point, 1000.0f, &w))
                    adv = ((double)w / 1000.0) * placed_run.size;
                if (adv == 0) {
                    rectf box = {0, 0, 0, 0};
                    loose_box(textpage, i, &box);
                    adv = loose_advance(&placed_run, box);
                }
                glyph_box(&placed_run, placed_e, placed_f, adv, height, geo + 6 * (m - 1));
            }
            continue;
        }
        placed = 0;
        have_last = 1;
        last_key = key;
        last_x = x;
        last_y = y;
        if (pending.index >= 0) {
            settle(&pending, key, x, y, height, geo);
            pending.index = -1;
        }
        glyphs++;
        if (unmapped) {
            unmapped_count++;
            ch = 0xFFFD;
        }
        if (!key) continue;
        if (key != run.object) {
            float size = 0, descent = 0;
            matrixf mx = {1, 0, 0, 1, 0, 0};
            run.object = key;
            run.ok = font_size(key, &size) != 0;
            if (run.ok) {
                double a, b, c, d, desc, s;
                run.font = get_font(key);
                get_matrix(textpage, i, &mx);
                s = (double)size;
                desc = run.font && get_descent(run.font, 1000.0f, &descent) ? (double)descent / 1000.0 : 0.0;
                a = (double)mx.a * A + (double)mx.b * C;
                b = (double)mx.a * B + (double)mx.b * D;
                c = (double)mx.c * A + (double)mx.d * C;
                d = (double)mx.c * B + (double)mx.d * D;
                desc = desc * s;
                run.size = s;
                run.a = a;
                run.b = b;
                run.ta = (double)mx.a;
                run.tb = (double)mx.b;
                run.upright = a * d > 0 && b * c <= 0;
                run.low0 = c * desc;
                run.low1 = d * desc;
                run.high0 = c * (desc + s);
                run.high1 = d * (desc + s);
            }
        }
        if (!run.ok) continue;
        double adv = 0;
        int known = 0;
        {
            uint32_t point = unmapped ? code : ch;
            float w = 0;
            if (run.font && glyph_width(run.font, point, 1000.0f, &w)) {
                adv = ((double)w / 1000.0) * run.size;
                known = 1;
            }
            if (known && adv != 0 && run.tb == 0 && run.ta > 0 && point != NO_CODE) {
                float missing = 0;  /* the width of a failed lookup: the loose box's end, past the ink, is the glyph's */
                if (no_code_width(glyph_width, no_code, run.font, &missing) && missing == w) {
                    rectf box = {0, 0, 0, 0};
                    double l = 0, r = 0, b = 0, t = 0;
                    loose_box(textpage, i, &box);
                    char_box(textpage, i, &l, &r, &b, &t);
                    if ((double)box.right > r) adv = ((double)box.right - x) / run.ta;
                }
            }
        }
        if (known && adv == 0) known = 0;  /* as `_chars_py`: 0 is no width, the loose box has it */
        if (!known) {
            rectf box = {0, 0, 0, 0};
            loose_box(textpage, i, &box);
            adv = loose_advance(&run, box);
        }
        double e = x * A + y * C + E, f = x * B + y * D + F;
        double *g = geo + 6 * m;
        glyph_box(&run, e, f, adv, height, g);
        g[5] = height - f;
        placed = 1;
        placed_run = run;
        placed_e = e;
        placed_f = f;
        out_font[m] = (uint64_t)(uintptr_t)run.font;
        out_flags[m] = (uint8_t)(run.upright ? UPRIGHT : 0);
        text[t++] = ch;
        start[++m] = t;
        if (unmapped) {  /* its width came through a Unicode lookup that has no meaning for it */
            pending.index = m - 1;
            pending.run = run;
            pending.key = key;
            pending.e = e;
            pending.f = f;
            pending.x = x;
            pending.y = y;
        }
    }
    counts[0] = glyphs;
    counts[1] = unmapped_count;
    return m;
}

/* ---- Paths: the C twin of `_objects` / `_path` in pipeline/pdfium.py ---------------------------------- */

typedef int (*count_fn)(void *);
typedef void *(*index_fn)(void *, int);
typedef void *(*form_index_fn)(void *, unsigned long);
typedef int (*type_fn)(void *);
typedef int (*objmatrix_fn)(void *, matrixf *);
typedef int (*drawmode_fn)(void *, int *, int *);
typedef int (*point_fn)(void *, float *, float *);
typedef int (*bounds_fn)(void *, float *, float *, float *, float *);

enum path_fn {
    PAGE_COUNT, PAGE_OBJECT, FORM_COUNT, FORM_OBJECT, OBJECT_TYPE, OBJECT_MATRIX, DRAW_MODE, COUNT_SEGMENTS,
    SEGMENT, SEGMENT_TYPE, SEGMENT_CLOSE, POINT, BOUNDS, N_PATH_FN
};

enum { PAGEOBJ_TEXT = 1, PAGEOBJ_PATH = 2, PAGEOBJ_IMAGE = 3, PAGEOBJ_FORM = 5, SEGMENT_BEZIERTO = 1,
       SEGMENT_MOVETO = 2 };

typedef struct {
    void **fns;
    double height, page_area;
    double *edges, *fills;  /* 5 per edge: x0, x1, top, bottom, orientation (0 none, 1 v, 2 h); 4 per fill */
    double *blanks;  /* 2 per blank text object: its origin (e, f) in pdfminer's page space */
    int edge_cap, fill_cap, blank_cap, n_edges, n_fills, n_blanks;
    double image_share;
} paths_t;

static void add_edge(paths_t *p, double ax, double ay, double bx, double by) {
    if (p->n_edges < p->edge_cap) {
        double *e = p->edges + 5 * p->n_edges;
        e[0] = ax <= bx ? ax : bx;
        e[1] = ax <= bx ? bx : ax;
        e[2] = ay <= by ? ay : by;
        e[3] = ay <= by ? by : ay;
        e[4] = ax == bx ? 1 : (ay == by ? 2 : 0);
    }
    p->n_edges++;
}

typedef struct { int points; double first_x, first_y, last_x, last_y, x0, y0, x1, y1; } subpath_t;

static void end_subpath(paths_t *p, subpath_t *s, int filled) {
    if (s->points > 2 && filled) {
        if (p->n_fills < p->fill_cap) {
            double *f = p->fills + 4 * p->n_fills;
            f[0] = s->x0; f[1] = s->y0; f[2] = s->x1; f[3] = s->y1;
        }
        p->n_fills++;
    }
    s->points = 0;
}

static void add_point(paths_t *p, subpath_t *s, double x, double y) {
    if (s->points == 0) {
        s->first_x = s->x0 = s->x1 = x;
        s->first_y = s->y0 = s->y1 = y;
    } else {
        add_edge(p, s->last_x, s->last_y, x, y);
        if (x < s->x0) s->x0 = x;
        if (x > s->x1) s->x1 = x;
        if (y < s->y0) s->y0 = y;
        if (y > s->y1) s->y1 = y;
    }
    s->last_x = x;
    s->last_y = y;
    s->points++;
}

static void one_path(paths_t *p, void *obj, const double *m) {
    void **fns = p->fns;
    int fillmode = 0, stroke = 0;
    if (!((drawmode_fn)fns[DRAW_MODE])(obj, &fillmode, &stroke)) return;
    int filled = fillmode != 0;
    if (!filled && !stroke) return;
    float x = 0, y = 0;
    subpath_t s = {0};
    int n = ((count_fn)fns[COUNT_SEGMENTS])(obj), bezier = 0;
    for (int k = 0; k < n; k++) {
        void *seg = ((index_fn)fns[SEGMENT])(obj, k);
        int kind = ((type_fn)fns[SEGMENT_TYPE])(seg);
        if (kind == SEGMENT_BEZIERTO) {  /* 2 control points, then the curve's end: pdfminer keeps the end only */
            if (++bezier % 3) continue;
        } else {
            bezier = 0;
        }
        ((point_fn)fns[POINT])(seg, &x, &y);
        double px = m[0] * (double)x + m[2] * (double)y + m[4];
        double py = p->height - (m[1] * (double)x + m[3] * (double)y + m[5]);
        if (kind == SEGMENT_MOVETO && s.points > 0) end_subpath(p, &s, filled);
        add_point(p, &s, px, py);
        if (((type_fn)fns[SEGMENT_CLOSE])(seg) && (s.first_x != px || s.first_y != py))
            add_point(p, &s, s.first_x, s.first_y);
    }
    end_subpath(p, &s, filled);
}

static void compose(const double *in, const double *out, double *r) {
    double a = in[0], b = in[1], c = in[2], d = in[3], e = in[4], f = in[5];
    double A = out[0], B = out[1], C = out[2], D = out[3], E = out[4], F = out[5];
    r[0] = a * A + b * C;
    r[1] = a * B + b * D;
    r[2] = c * A + d * C;
    r[3] = c * B + d * D;
    r[4] = e * A + f * C + E;
    r[5] = e * B + f * D + F;
}

static void objects(paths_t *p, void *container, int form, const double *m, int depth) {
    void **fns = p->fns;
    int count = form ? ((count_fn)fns[FORM_COUNT])(container) : ((count_fn)fns[PAGE_COUNT])(container);
    for (int k = 0; k < count; k++) {
        void *obj = form ? ((form_index_fn)fns[FORM_OBJECT])(container, (unsigned long)k)
                         : ((index_fn)fns[PAGE_OBJECT])(container, k);
        if (!obj) continue;
        int kind = ((type_fn)fns[OBJECT_TYPE])(obj);
        if (kind == PAGEOBJ_IMAGE) {
            float l = 0, b = 0, r = 0, t = 0;
            double area = 0, share;
            if (((bounds_fn)fns[BOUNDS])(obj, &l, &b, &r, &t)) {
                double w = (double)r - (double)l, h = (double)t - (double)b;
                area = (w > 0 ? w : 0.0) * (h > 0 ? h : 0.0);
            }
            share = p->image_share + area / (p->page_area > 1.0 ? p->page_area : 1.0);
            p->image_share = share < 1.0 ? share : 1.0;
            continue;
        }
        if (kind == PAGEOBJ_TEXT) {  /* `_blank` in pipeline/pdfium.py */
            float l = 0, b = 0, r = 0, t = 0;
            if (((bounds_fn)fns[BOUNDS])(obj, &l, &b, &r, &t) && (double)r - (double)l < 0.01 &&
                (double)t - (double)b < 0.01) {
                if (p->n_blanks < p->blank_cap) {
                    p->blanks[2 * p->n_blanks] = m[0] * (double)l + m[2] * (double)b + m[4];
                    p->blanks[2 * p->n_blanks + 1] = m[1] * (double)l + m[3] * (double)b + m[5];
                }
                p->n_blanks++;
            }
            continue;
        }
        if (kind != PAGEOBJ_PATH && (kind != PAGEOBJ_FORM || depth >= 15)) continue;
        matrixf mx;
        double own[6] = {1, 0, 0, 1, 0, 0}, composed[6];
        if (((objmatrix_fn)fns[OBJECT_MATRIX])(obj, &mx)) {
            own[0] = mx.a; own[1] = mx.b; own[2] = mx.c; own[3] = mx.d; own[4] = mx.e; own[5] = mx.f;
        }
        compose(own, m, composed);
        if (kind == PAGEOBJ_PATH)
            one_path(p, obj, composed);
        else
            objects(p, obj, 1, composed, depth + 1);
    }
}

/* Every painted path of a page: edges (5 doubles each) and filled subpaths' boxes (4 each), and the origins of its
 * blank text objects (2 each), written while they fit their capacities; counts[0], counts[1] and counts[2] are the
 * numbers found (call again with room when larger). */
int clsdata_page_paths(void *page, void **fns, const double *ctm, double height, double page_area, double *edges,
                       int edge_cap, double *fills, int fill_cap, double *blanks, int blank_cap, int32_t *counts,
                       double *image_share) {
    paths_t p = {fns, height, page_area, edges, fills, blanks, edge_cap, fill_cap, blank_cap, 0, 0, 0, 0.0};
    objects(&p, page, 0, ctm, 0);
    counts[0] = p.n_edges;
    counts[1] = p.n_fills;
    counts[2] = p.n_blanks;
    *image_share = p.image_share;
    return p.n_edges <= edge_cap && p.n_fills <= fill_cap && p.n_blanks <= blank_cap;
}
