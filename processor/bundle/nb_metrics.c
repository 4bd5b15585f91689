/* nb_metrics.c - distortion, mean edge-length difference and voxel ink ratio of a bundle.
 *
 * DESIGN: data flow CSR polylines -> nb_bundle_metrics. Definitions from the edge-bundling
 * literature (Lhuillier, Hurter, Telea, "State of the art in edge and trail bundling
 * techniques", CGF 2017: distortion, MELD; ink ratio: rasterised coverage of the bundled over
 * the straight drawing, here counted in 3-D voxels; see docs/metrics.md). Voxels are visited with
 * the exact grid traversal of Amanatides & Woo ("A fast voxel traversal algorithm for ray tracing",
 * Eurographics 1987), stepping one axis at a time until the end voxel, so every voxel a segment
 * passes through is counted once. Threading: lengths are summed per block of NB_METRICS_BLOCK edges
 * in parallel and the blocks added in order (thread-count independent); voxels live in one shared
 * bit set updated with atomic ORs (set union: order-independent). Config keys read: none (the
 * caller passes the voxel size, nnbundle uses the grid cell h).
 */
#include "nb_metrics.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define NB_METRICS_BLOCK        4096
#define NB_METRICS_MIN_STRAIGHT 1e-9
#define NB_METRICS_PARALLEL_MIN 32768 /* points; below, one thread */

typedef struct block_sum {
    double distortion, length_diff, max_distortion;
    double min_turn_cos; /* cosine of the sharpest turn */
    size_t counted;
    size_t bad_edge; /* first edge with a non-finite point, or SIZE_MAX */
} block_sum;

typedef struct lattice {
    double inv_voxel;
    int64_t lo[3];
    uint64_t n[3];
    uint64_t *bits;
} lattice;

/* floor() for lattice coordinates (|x| < 2^62): a cast, not a libm call (the baseline
 * x86-64 target has no SSE4.1 round instruction, so floor() is a function call). */
static inline int64_t floor_i64(double x) {
    int64_t i = (int64_t)x;
    return i - (int64_t)((double)i > x);
}

static void mark(const lattice *lt, const int64_t c[3]) {
    uint64_t idx =
        (uint64_t)(c[0] - lt->lo[0]) +
        lt->n[0] * ((uint64_t)(c[1] - lt->lo[1]) + lt->n[1] * (uint64_t)(c[2] - lt->lo[2]));
    uint64_t *word = lt->bits + (idx >> 6);
    uint64_t bit = (uint64_t)1 << (idx & 63);
    uint64_t seen;
#pragma omp atomic read
    seen = *word;
    if (!(seen & bit)) {
#pragma omp atomic update
        *word |= bit;
    }
}

/* Marks every voxel the segment a-b (world units) passes through. */
static void mark_segment(const lattice *lt, const float *pa, const float *pb) {
    double a[3], b[3];
    int64_t c[3];
    int step[3];
    uint64_t left[3];
    double t_max[3], t_delta[3];
    for (int k = 0; k < 3; k++) {
        a[k] = (double)pa[k] * lt->inv_voxel;
        b[k] = (double)pb[k] * lt->inv_voxel;
        c[k] = floor_i64(a[k]);
        int64_t ce = floor_i64(b[k]);
        double d = b[k] - a[k];
        if (ce > c[k]) {
            step[k] = 1;
            left[k] = (uint64_t)(ce - c[k]);
            t_delta[k] = 1.0 / d;
            t_max[k] = ((double)c[k] + 1.0 - a[k]) / d;
        } else if (ce < c[k]) {
            step[k] = -1;
            left[k] = (uint64_t)(c[k] - ce);
            t_delta[k] = -1.0 / d;
            t_max[k] = (a[k] - (double)c[k]) / -d;
        } else {
            step[k] = 0;
            left[k] = 0;
            t_delta[k] = 0.0;
            t_max[k] = INFINITY;
        }
    }
    mark(lt, c);
    while (left[0] + left[1] + left[2] > 0) {
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (left[j] && (k < 0 || t_max[j] < t_max[k]))
                k = j;
        c[k] += step[k];
        left[k]--;
        t_max[k] += t_delta[k];
        mark(lt, c);
    }
}

static double seg_len(const float *a, const float *b) {
    double dx = (double)b[0] - a[0], dy = (double)b[1] - a[1], dz = (double)b[2] - a[2];
    return sqrt(dx * dx + dy * dy + dz * dz);
}

static uint64_t popcount_all(const uint64_t *bits, size_t n_words) {
    uint64_t total = 0;
    for (size_t i = 0; i < n_words; i++)
        total += (uint64_t)__builtin_popcountll(bits[i]);
    return total;
}

nb_status nb_metrics_compute(size_t n_edges, const uint64_t *offset, const float *points,
                             double voxel, int threads, nb_bundle_metrics *out,
                             double *voxel_used) {
    return nb_metrics_compute_against(n_edges, offset, points, NULL, voxel, threads, out,
                                      voxel_used);
}

/* Cosine of the turn at the joint b of segments a-b and b-c (1 = straight on), or 1 when a
 * segment is shorter than NB_METRICS_MIN_STRAIGHT. */
static double turn_cos(const float *a, const float *b, const float *c) {
    double u[3], v[3], uu = 0.0, vv = 0.0, uv = 0.0;
    for (int k = 0; k < 3; k++) {
        u[k] = (double)b[k] - a[k];
        v[k] = (double)c[k] - b[k];
        uu += u[k] * u[k];
        vv += v[k] * v[k];
        uv += u[k] * v[k];
    }
    const double m = NB_METRICS_MIN_STRAIGHT * NB_METRICS_MIN_STRAIGHT;
    if (!(uu > m) || !(vv > m))
        return 1.0;
    double cs = uv / sqrt(uu * vv);
    return cs > 1.0 ? 1.0 : (cs < -1.0 ? -1.0 : cs);
}

#define BLOCK_SUM_ZERO ((block_sum){0.0, 0.0, 0.0, 1.0, 0, SIZE_MAX})

/* Length, turn and distortion sums of edges [e0, e1) (one block, in edge order), added to s
 * (the part of the block before e0; BLOCK_SUM_ZERO for a whole block). */
static block_sum measure_block(block_sum s, const uint64_t *offset, const float *points, size_t e0,
                               size_t e1) {
    for (size_t e = e0; e < e1; e++) {
        const float *p = points + 3 * offset[e];
        size_t n = (size_t)(offset[e + 1] - offset[e]);
        double len = 0.0;
        int finite = 1;
        for (size_t i = 0; i < 3 * n; i++)
            finite &= isfinite(p[i]) != 0;
        if (!finite) {
            if (s.bad_edge == SIZE_MAX)
                s.bad_edge = e;
            continue;
        }
        if (n < 2)
            continue;
        for (size_t i = 0; i + 1 < n; i++)
            len += seg_len(p + 3 * i, p + 3 * (i + 1));
        for (size_t i = 1; i + 1 < n; i++) {
            double cs = turn_cos(p + 3 * (i - 1), p + 3 * i, p + 3 * (i + 1));
            s.min_turn_cos = cs < s.min_turn_cos ? cs : s.min_turn_cos;
        }
        double straight = seg_len(p, p + 3 * (n - 1));
        if (straight < NB_METRICS_MIN_STRAIGHT)
            continue;
        double dist = len / straight;
        s.distortion += dist;
        s.length_diff += fabs(len - straight);
        s.max_distortion = dist > s.max_distortion ? dist : s.max_distortion;
        s.counted++;
    }
    return s;
}

/* t += b, one block after the other in block order. */
static void add_block(block_sum *t, const block_sum *b) {
    t->distortion += b->distortion;
    t->length_diff += b->length_diff;
    t->max_distortion = fmax(t->max_distortion, b->max_distortion);
    t->min_turn_cos = fmin(t->min_turn_cos, b->min_turn_cos);
    t->counted += b->counted;
}

/* The sums over every edge: blocks of NB_METRICS_BLOCK edges in parallel, added in block
 * order (thread-count independent). NB_E_NUMERIC names the first edge with a non-finite
 * point. */
static nb_status measure_edges(size_t n_edges, const uint64_t *offset, const float *points, int nt,
                               block_sum *total) {
    size_t n_blocks = (n_edges + NB_METRICS_BLOCK - 1) / NB_METRICS_BLOCK;
    block_sum *blocks = calloc(n_blocks ? n_blocks : 1, sizeof *blocks);
    if (!blocks)
        return NB_RAISE(NB_E_NOMEM, "metrics", "no room for %zu blocks", n_blocks);
    long nb = (long)n_blocks;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (long bi = 0; bi < nb; bi++) {
        size_t e0 = (size_t)bi * NB_METRICS_BLOCK;
        size_t e1 = e0 + NB_METRICS_BLOCK < n_edges ? e0 + NB_METRICS_BLOCK : n_edges;
        blocks[bi] = measure_block(BLOCK_SUM_ZERO, offset, points, e0, e1);
    }
    block_sum t = BLOCK_SUM_ZERO;
    for (size_t bi = 0; bi < n_blocks; bi++) {
        if (blocks[bi].bad_edge != SIZE_MAX) {
            size_t bad = blocks[bi].bad_edge;
            free(blocks);
            return NB_RAISE(NB_E_NUMERIC, "edge polylines", "edge %zu has a non-finite point", bad);
        }
        add_block(&t, &blocks[bi]);
    }
    free(blocks);
    *total = t;
    return NB_OK;
}

/* The lattice of voxels of edge v (grown until it fits NB_METRICS_MAX_VOXELS and
 * NB_METRICS_MAX_AXIS, and coarse enough to keep coordinates far inside int64) over the box
 * [lo, hi]; returns the voxel edge used, fills *lt (bits not allocated) and *cells. */
static double size_lattice(const double lo[3], const double hi[3], double v, lattice *lt,
                           uint64_t *cells) {
    double reach = fmax(fmax(fabs(lo[0]), fabs(hi[0])),
                        fmax(fmax(fabs(lo[1]), fabs(hi[1])), fmax(fabs(lo[2]), fabs(hi[2]))));
    v = fmax(v, reach / 4503599627370496.0); /* 2^52 */
    for (;;) {
        lt->inv_voxel = 1.0 / v;
        double fcells = 1.0; /* in double: the product may exceed 2^64 */
        for (int k = 0; k < 3; k++) {
            lt->lo[k] = floor_i64(lo[k] * lt->inv_voxel);
            lt->n[k] = (uint64_t)(floor_i64(hi[k] * lt->inv_voxel) - lt->lo[k] + 1);
            fcells *= (double)lt->n[k];
        }
        uint64_t longest = lt->n[0] > lt->n[1] ? lt->n[0] : lt->n[1];
        longest = longest > lt->n[2] ? longest : lt->n[2];
        if (fcells <= (double)NB_METRICS_MAX_VOXELS && longest <= NB_METRICS_MAX_AXIS) {
            *cells = lt->n[0] * lt->n[1] * lt->n[2];
            return v;
        }
        v *= fmax(cbrt(fcells / (double)NB_METRICS_MAX_VOXELS),
                  (double)longest / (double)NB_METRICS_MAX_AXIS) *
             1.01;
    }
}

/* What the ink passes draw: every polyline, the straight edge between its ends, or the
 * straight edge between the laid-out ends. */
typedef enum ink_kind { INK_POLYLINES, INK_STRAIGHT, INK_LAYOUT } ink_kind;

typedef struct ink_input {
    size_t n_edges;
    const uint64_t *offset;
    const float *points;
    const float *layout_ends;
    int nt;
} ink_input;

/* Marks the voxels of every edge's drawing of `kind` in lt. */
static void ink_mark(const lattice *lt, const ink_input *in, ink_kind kind) {
    const long ne = (long)in->n_edges;
#pragma omp parallel for schedule(dynamic, 1024) num_threads(in->nt)
    for (long e = 0; e < ne; e++) {
        const float *p = in->points + 3 * in->offset[e];
        size_t n = (size_t)(in->offset[e + 1] - in->offset[e]);
        if (kind == INK_LAYOUT) {
            mark_segment(lt, in->layout_ends + 6 * e, in->layout_ends + 6 * e + 3);
        } else if (kind == INK_STRAIGHT) {
            if (n >= 1)
                mark_segment(lt, p, p + 3 * (n - 1));
        } else {
            for (size_t i = 0; i + 1 < n; i++)
                mark_segment(lt, p + 3 * i, p + 3 * (i + 1));
            if (n == 1)
                mark_segment(lt, p, p);
        }
    }
}

/* Marks the voxels of every edge's drawing of `kind` in lt (cleared by the caller) and counts
 * them. */
static uint64_t ink_voxels(const lattice *lt, size_t n_words, const ink_input *in, ink_kind kind) {
    ink_mark(lt, in, kind);
    return popcount_all(lt->bits, n_words);
}

/* Grows the box [lo, hi] over n points float32[n][3]. */
static void box_add(double lo[3], double hi[3], const float *pts, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            lo[k] = fmin(lo[k], pts[3 * i + k]);
            hi[k] = fmax(hi[k], pts[3 * i + k]);
        }
}

/* Ink ratios of the polylines against the straight edges (and the laid-out ones) on a lattice
 * of voxel edge v over every point; *voxel_used: the edge after growing. */
static nb_status ink_ratios(const ink_input *in, double v, nb_bundle_metrics *m,
                            double *voxel_used) {
    size_t n_points = in->n_edges ? (size_t)in->offset[in->n_edges] : 0;
    *voxel_used = v;
    if (n_points == 0)
        return NB_OK;
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    box_add(lo, hi, in->points, n_points);
    if (in->layout_ends)
        box_add(lo, hi, in->layout_ends, 2 * in->n_edges);
    lattice lt;
    uint64_t cells = 0;
    *voxel_used = size_lattice(lo, hi, v, &lt, &cells);
    size_t n_words = (size_t)((cells + 63) / 64);
    lt.bits = calloc(n_words, sizeof *lt.bits);
    if (!lt.bits)
        return NB_RAISE(NB_E_NOMEM, "ink ratio", "no room for %llu voxels",
                        (unsigned long long)cells);
    uint64_t bundled = ink_voxels(&lt, n_words, in, INK_POLYLINES);
    memset(lt.bits, 0, n_words * sizeof *lt.bits);
    uint64_t straight = ink_voxels(&lt, n_words, in, INK_STRAIGHT);
    m->ink_ratio = straight > 0 ? (double)bundled / (double)straight : 1.0;
    if (in->layout_ends) {
        memset(lt.bits, 0, n_words * sizeof *lt.bits);
        uint64_t laid = ink_voxels(&lt, n_words, in, INK_LAYOUT);
        m->ink_ratio_layout = laid > 0 ? (double)bundled / (double)laid : 1.0;
    }
    free(lt.bits);
    return NB_OK;
}

nb_status nb_metrics_compute_against(size_t n_edges, const uint64_t *offset, const float *points,
                                     const float *layout_ends, double voxel, int threads,
                                     nb_bundle_metrics *out, double *voxel_used) {
    if (!(isfinite(voxel) && voxel > 0.0))
        return NB_RAISE(NB_E_INVALID, "ink voxel", "must be finite and > 0, got %g", voxel);
    size_t total_points = n_edges ? (size_t)offset[n_edges] : 0;
    int nt = total_points < NB_METRICS_PARALLEL_MIN ? 1
             : threads > 0                          ? threads
                                                    : omp_get_max_threads();
    block_sum total = BLOCK_SUM_ZERO;
    NB_TRY(measure_edges(n_edges, offset, points, nt, &total));
    for (size_t i = 0; layout_ends && i < 6 * n_edges; i++)
        if (!isfinite(layout_ends[i]))
            return NB_RAISE(NB_E_NUMERIC, "layout ends", "edge %zu has a non-finite end", i / 6);
    nb_bundle_metrics m = {1.0, 1.0, 0.0, 1.0, layout_ends ? 1.0 : NAN, 0.0};
    m.max_turn_degrees = acos(total.min_turn_cos) * 57.29577951308232 /* 180 / pi */;
    if (total.counted > 0) {
        m.mean_distortion = total.distortion / (double)total.counted;
        m.max_distortion = total.max_distortion;
        m.mean_length_diff = total.length_diff / (double)total.counted;
    }
    const ink_input in = {n_edges, offset, points, layout_ends, nt};
    double v;
    NB_TRY(ink_ratios(&in, voxel, &m, &v));
    *out = m;
    if (voxel_used)
        *voxel_used = v;
    return NB_OK;
}

/* ---- piece by piece ---------------------------------------------------------------------- */

struct nb_metrics_acc {
    double voxel;
    int threads;
    bool with_layout;
    size_t n_edges, n_points; /* measured so far */
    block_sum total;          /* the finished blocks, added in block order */
    block_sum open;           /* the block that the next piece continues (edges n_edges - n_edges %
                                 NB_METRICS_BLOCK ... n_edges - 1) */
    double lo[3], hi[3];      /* box of every point and layout end */
    bool ink_begun;
    double voxel_used;
    size_t n_words;
    lattice lt[3]; /* INK_POLYLINES, INK_STRAIGHT, INK_LAYOUT: the same lattice, one bit set each */
};

nb_status nb_metrics_acc_create(double voxel, int threads, bool with_layout, nb_metrics_acc **out) {
    if (!(isfinite(voxel) && voxel > 0.0))
        return NB_RAISE(NB_E_INVALID, "ink voxel", "must be finite and > 0, got %g", voxel);
    nb_metrics_acc *a = calloc(1, sizeof *a);
    if (!a)
        return NB_RAISE(NB_E_NOMEM, "metrics", "no room for the accumulator");
    a->voxel = voxel;
    a->threads = threads;
    a->with_layout = with_layout;
    a->total = BLOCK_SUM_ZERO;
    a->open = BLOCK_SUM_ZERO;
    for (int k = 0; k < 3; k++) {
        a->lo[k] = INFINITY;
        a->hi[k] = -INFINITY;
    }
    *out = a;
    return NB_OK;
}

void nb_metrics_acc_destroy(nb_metrics_acc *a) {
    if (!a)
        return;
    for (int k = 0; k < 3; k++)
        free(a->lt[k].bits);
    free(a);
}

static int piece_threads(const nb_metrics_acc *a, size_t n_points) {
    return n_points < NB_METRICS_PARALLEL_MIN ? 1
           : a->threads > 0                   ? a->threads
                                              : omp_get_max_threads();
}

nb_status nb_metrics_acc_measure(nb_metrics_acc *a, size_t n_edges, const uint64_t *offset,
                                 const float *points, const float *layout_ends) {
    if (a->ink_begun)
        return NB_RAISE(NB_E_INVALID, "metrics", "a piece measured after nb_metrics_acc_ink_begin");
    const size_t B = NB_METRICS_BLOCK, g0 = a->n_edges, g1 = g0 + n_edges;
    const size_t n_points = n_edges ? (size_t)(offset[n_edges] - offset[0]) : 0;
    const float *pts = points + 3 * (n_edges ? offset[0] : 0);
    /* edges [g0, head) finish the open block; whole blocks [head, tail); [tail, g1) open the
     * next one (local index = global - g0) */
    size_t head = g0 % B ? (g0 / B + 1) * B : g0;
    head = head < g1 ? head : g1;
    size_t tail = head + (g1 - head) / B * B;
    block_sum open = measure_block(a->open, offset, points, 0, head - g0);
    size_t n_blocks = (tail - head) / B;
    block_sum *blocks = calloc(n_blocks ? n_blocks : 1, sizeof *blocks);
    if (!blocks)
        return NB_RAISE(NB_E_NOMEM, "metrics", "no room for %zu blocks", n_blocks);
    const long nb = (long)n_blocks;
    const size_t base = head - g0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(piece_threads(a, n_points))
    for (long bi = 0; bi < nb; bi++)
        blocks[bi] = measure_block(BLOCK_SUM_ZERO, offset, points, base + (size_t)bi * B,
                                   base + (size_t)(bi + 1) * B);
    block_sum rest = measure_block(BLOCK_SUM_ZERO, offset, points, tail - g0, n_edges);
    /* the first non-finite point in edge order, named by its global edge */
    size_t bad = open.bad_edge;
    for (size_t bi = 0; bad == SIZE_MAX && bi < n_blocks; bi++)
        bad = blocks[bi].bad_edge;
    bad = bad == SIZE_MAX ? rest.bad_edge : bad;
    if (bad != SIZE_MAX) {
        free(blocks);
        return NB_RAISE(NB_E_NUMERIC, "edge polylines", "edge %zu has a non-finite point",
                        g0 + bad);
    }
    for (size_t i = 0; layout_ends && i < 6 * n_edges; i++)
        if (!isfinite(layout_ends[i])) {
            free(blocks);
            return NB_RAISE(NB_E_NUMERIC, "layout ends", "edge %zu has a non-finite end",
                            g0 + i / 6);
        }
    if (head > g0 && head % B == 0) { /* the open block is complete */
        add_block(&a->total, &open);
        open = BLOCK_SUM_ZERO;
    }
    for (size_t bi = 0; bi < n_blocks; bi++)
        add_block(&a->total, &blocks[bi]);
    free(blocks);
    if (tail < g1 || (head == g1 && head % B != 0))
        a->open = tail < g1 ? rest : open;
    else
        a->open = BLOCK_SUM_ZERO;
    box_add(a->lo, a->hi, pts, n_points);
    if (layout_ends)
        box_add(a->lo, a->hi, layout_ends, 2 * n_edges);
    a->n_edges = g1;
    a->n_points += n_points;
    return NB_OK;
}

nb_status nb_metrics_acc_ink_begin(nb_metrics_acc *a) {
    if (a->ink_begun)
        return NB_OK;
    a->voxel_used = a->voxel;
    if (a->n_points > 0) {
        uint64_t cells = 0;
        a->voxel_used = size_lattice(a->lo, a->hi, a->voxel, &a->lt[0], &cells);
        a->n_words = (size_t)((cells + 63) / 64);
        for (int k = 0; k < (a->with_layout ? 3 : 2); k++) {
            if (k > 0)
                a->lt[k] = a->lt[0];
            a->lt[k].bits = calloc(a->n_words, sizeof *a->lt[k].bits);
            if (!a->lt[k].bits) {
                for (int j = 0; j < k; j++) {
                    free(a->lt[j].bits);
                    a->lt[j].bits = NULL;
                }
                return NB_RAISE(NB_E_NOMEM, "ink ratio", "no room for %d x %llu voxels",
                                a->with_layout ? 3 : 2, (unsigned long long)cells);
            }
        }
    }
    a->ink_begun = true;
    return NB_OK;
}

nb_status nb_metrics_acc_ink(nb_metrics_acc *a, size_t n_edges, const uint64_t *offset,
                             const float *points, const float *layout_ends) {
    if (!a->ink_begun)
        return NB_RAISE(NB_E_INVALID, "metrics", "nb_metrics_acc_ink before _ink_begin");
    if (a->n_points == 0 || n_edges == 0)
        return NB_OK;
    const size_t n_points = (size_t)(offset[n_edges] - offset[0]);
    const ink_input in = {n_edges, offset, points, layout_ends, piece_threads(a, n_points)};
    ink_mark(&a->lt[INK_POLYLINES], &in, INK_POLYLINES);
    ink_mark(&a->lt[INK_STRAIGHT], &in, INK_STRAIGHT);
    if (a->with_layout && layout_ends)
        ink_mark(&a->lt[INK_LAYOUT], &in, INK_LAYOUT);
    return NB_OK;
}

nb_status nb_metrics_acc_result(const nb_metrics_acc *a, nb_bundle_metrics *out,
                                double *voxel_used) {
    if (!a->ink_begun)
        return NB_RAISE(NB_E_INVALID, "metrics", "nb_metrics_acc_result before the ink pass");
    block_sum total = a->total;
    add_block(&total, &a->open); /* the last, partial block */
    nb_bundle_metrics m = {1.0, 1.0, 0.0, 1.0, a->with_layout ? 1.0 : NAN, 0.0};
    m.max_turn_degrees = acos(total.min_turn_cos) * 57.29577951308232 /* 180 / pi */;
    if (total.counted > 0) {
        m.mean_distortion = total.distortion / (double)total.counted;
        m.max_distortion = total.max_distortion;
        m.mean_length_diff = total.length_diff / (double)total.counted;
    }
    if (a->n_points > 0) {
        uint64_t bundled = popcount_all(a->lt[INK_POLYLINES].bits, a->n_words);
        uint64_t straight = popcount_all(a->lt[INK_STRAIGHT].bits, a->n_words);
        m.ink_ratio = straight > 0 ? (double)bundled / (double)straight : 1.0;
        if (a->with_layout) {
            uint64_t laid = popcount_all(a->lt[INK_LAYOUT].bits, a->n_words);
            m.ink_ratio_layout = laid > 0 ? (double)bundled / (double)laid : 1.0;
        }
    }
    *out = m;
    if (voxel_used)
        *voxel_used = a->voxel_used;
    return NB_OK;
}
