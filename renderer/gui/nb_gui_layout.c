/* nb_gui_layout.c - sidebar width, the free rectangle left by the panels, covered share.
 *
 * DESIGN: the free rectangle is the maximal empty axis-parallel rectangle among a handful of
 * obstacles (the panel windows, at most NB_GUI_INPUT_MAX_RECTS): for every pair of
 * candidate left/right edges (the window edges and every panel edge), the panels that
 * overlap that column split it vertically; the largest gap times the column width is a
 * candidate. An empty maximal rectangle has each side on a window or panel edge, so this is
 * exact. O(n^3 log n) for n panels, microseconds per frame. The covered share is the union
 * area by coordinate compression (the same candidate edges; a cell is covered if its centre
 * lies in a panel). No state, no threads. Config keys read: none.
 */
#include "nb_gui_layout.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EDGES 64 /* 2 window edges + 2 per rectangle, rectangles capped at 31 */

float nb_gui_layout_sidebar_width(float width) {
    float s = NB_GUI_LAYOUT_SIDEBAR_SHARE * width;
    s = s < NB_GUI_LAYOUT_SIDEBAR_MIN ? NB_GUI_LAYOUT_SIDEBAR_MIN : s;
    s = s > NB_GUI_LAYOUT_SIDEBAR_MAX ? NB_GUI_LAYOUT_SIDEBAR_MAX : s;
    return s > width ? width : s;
}

static float clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Clipped, non-empty rectangles (at most (MAX_EDGES - 2) / 2). */
static size_t clip_rects(float w, float h, const float (*rects)[4], size_t n, float (*out)[4]) {
    size_t k = 0;
    for (size_t i = 0; i < n && k < (MAX_EDGES - 2) / 2; i++) {
        float r[4] = {clampf(rects[i][0], 0.0f, w), clampf(rects[i][1], 0.0f, h),
                      clampf(rects[i][2], 0.0f, w), clampf(rects[i][3], 0.0f, h)};
        if (!(r[2] > r[0] && r[3] > r[1])) /* also drops NaN */
            continue;
        memcpy(out[k++], r, sizeof r);
    }
    return k;
}

/* Sorted distinct edges: 0, size and the rectangles' edges on one axis (a = 0: x, 1: y). */
static size_t edges(float size, const float (*r)[4], size_t n, int a, float *e) {
    size_t k = 0;
    e[k++] = 0.0f;
    e[k++] = size;
    for (size_t i = 0; i < n; i++) {
        e[k++] = r[i][a];
        e[k++] = r[i][a + 2];
    }
    qsort(e, k, sizeof *e, cmp_float);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || e[i] != e[u - 1])
            e[u++] = e[i];
    return u;
}

void nb_gui_layout_free_rect(float w, float h, const float (*rects)[4], size_t n, float out[4]) {
    const float whole[4] = {0.0f, 0.0f, w, h};
    memcpy(out, whole, sizeof whole);
    float r[MAX_EDGES / 2][4];
    size_t m = clip_rects(w, h, rects, n, r);
    if (m == 0 || !(w > 0.0f && h > 0.0f))
        return;
    float xs[MAX_EDGES];
    size_t nx = edges(w, (const float(*)[4])r, m, 0, xs);
    double best = -1.0;
    float best_rect[4] = {0};
    for (size_t i = 0; i < nx; i++)
        for (size_t j = i + 1; j < nx; j++) {
            float x0 = xs[i], x1 = xs[j];
            /* the vertical intervals of the panels overlapping column (x0, x1), sorted */
            float iv[MAX_EDGES / 2][2];
            size_t k = 0;
            for (size_t q = 0; q < m; q++)
                if (r[q][0] < x1 && r[q][2] > x0) {
                    iv[k][0] = r[q][1];
                    iv[k][1] = r[q][3];
                    k++;
                }
            qsort(iv, k, sizeof iv[0], cmp_float); /* by y0 (first float of each pair) */
            float y = 0.0f;
            for (size_t q = 0; q <= k; q++) {
                float next = q < k ? iv[q][0] : h;
                if (next > y) {
                    double area = (double)(x1 - x0) * (double)(next - y);
                    if (area > best) {
                        best = area;
                        const float c[4] = {x0, y, x1, next};
                        memcpy(best_rect, c, sizeof c);
                    }
                }
                if (q < k && iv[q][1] > y)
                    y = iv[q][1];
            }
        }
    if (best >= NB_GUI_LAYOUT_MIN_FREE * (double)w * (double)h)
        memcpy(out, best_rect, sizeof best_rect);
}

double nb_gui_layout_covered_share(float w, float h, const float (*rects)[4], size_t n) {
    if (!(w > 0.0f && h > 0.0f))
        return 0.0;
    float r[MAX_EDGES / 2][4];
    size_t m = clip_rects(w, h, rects, n, r);
    float xs[MAX_EDGES], ys[MAX_EDGES];
    size_t nx = edges(w, (const float(*)[4])r, m, 0, xs);
    size_t ny = edges(h, (const float(*)[4])r, m, 1, ys);
    double covered = 0.0;
    for (size_t i = 0; i + 1 < nx; i++)
        for (size_t j = 0; j + 1 < ny; j++) {
            float cx = 0.5f * (xs[i] + xs[i + 1]), cy = 0.5f * (ys[j] + ys[j + 1]);
            bool in = false;
            for (size_t q = 0; q < m && !in; q++)
                in = cx > r[q][0] && cx < r[q][2] && cy > r[q][1] && cy < r[q][3];
            if (in)
                covered += (double)(xs[i + 1] - xs[i]) * (double)(ys[j + 1] - ys[j]);
        }
    return covered / ((double)w * (double)h);
}
