/* nb_sample.c - initial sampling and chord-length resampling of edge polylines (CSR).
 *
 * DESIGN: data flow node positions -> straight sampled edges (nb_sample_initial), then every
 * edge iteration polylines -> resampled polylines (nb_sample_resample) into a second buffer
 * (ping-pong, owned by the caller, grown by 1.5x only when a pass needs more room, so the
 * steady state allocates nothing). Algorithm: method.md §4.7 (walk the polyline, emit a
 * point whenever the chord from the last emitted point reaches l, interpolating the distance
 * linearly between the previous vertex and the next; end handling at 0.3 l / 0.7 l), without
 * its P-slot cap and without collapsing an edge that has no interior point. Arithmetic is in
 * double, storage float32; endpoints are copied, never recomputed.
 * Threading: parallel over edges (OpenMP). Resampling is one pass: the edges are cut into
 * NB_SAMPLE_LANES contiguous ranges per thread, each thread walks its ranges interleaved (one
 * vertex per range in turn, so the latency chains overlap) and appends every range's points
 * to its own staging row (kept in the output buffer, so the steady state allocates nothing),
 * recording each edge's count; a serial exclusive prefix sum (E adds) gives the offsets and
 * one memcpy per range puts the rows in place. Initial sampling counts, sums, then writes. Every
 * edge's output depends only on its input, so the result is identical for any thread count. Small
 * inputs run on one thread (NB_SAMPLE_PARALLEL_MIN). Config keys read (through arguments):
 * layer_width / sampling_rate (the spacing).
 */
#include "nb_sample.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nb_smooth.h"

/* Threads for `work` points: below NB_SAMPLE_PARALLEL_MIN one thread does it (a parallel
 * region costs more than the work, and much more on an oversubscribed machine). */
#define NB_SAMPLE_PARALLEL_MIN 32768

static void stage_free(void *stage);

static int thread_count_for(int threads, size_t work) {
    if (work < NB_SAMPLE_PARALLEL_MIN)
        return 1;
    return threads > 0 ? threads : omp_get_max_threads();
}

void nb_sample_init(nb_sample_buffer *buf) {
    memset(buf, 0, sizeof *buf);
}

void nb_sample_trim(nb_sample_buffer *buf) {
    if (!buf)
        return;
    stage_free(buf->stage);
    buf->stage = NULL;
    if (buf->points && buf->n_points > 0 && buf->n_points < buf->point_capacity) {
        float *p = realloc(buf->points, buf->n_points * 3 * sizeof *p);
        if (p) {
            buf->points = p;
            buf->point_capacity = buf->n_points;
        }
    }
}

void nb_sample_deinit(nb_sample_buffer *buf) {
    if (!buf)
        return;
    free(buf->offset);
    free(buf->points);
    stage_free(buf->stage);
    memset(buf, 0, sizeof *buf);
}

void nb_sample_move_stage(nb_sample_buffer *dst, nb_sample_buffer *src) {
    if (dst == src || dst->stage || !src->stage)
        return;
    dst->stage = src->stage;
    src->stage = NULL;
}

static size_t grown(size_t have, size_t need) {
    size_t n = have + have / 2;
    return n > need ? n : need;
}

nb_status nb_sample_reserve(nb_sample_buffer *buf, size_t n_edges, size_t n_points) {
    if (n_edges > buf->edge_capacity || !buf->offset) {
        size_t cap = grown(buf->edge_capacity, n_edges);
        uint64_t *o = realloc(buf->offset, (cap + 1) * sizeof *o);
        if (!o)
            return NB_RAISE(NB_E_NOMEM, "edge polylines", "cannot hold %zu edges", cap);
        if (!buf->offset)
            o[0] = 0;
        buf->offset = o;
        buf->edge_capacity = cap;
    }
    if (n_points > buf->point_capacity) {
        size_t cap = grown(buf->point_capacity, n_points);
        if (cap > SIZE_MAX / (3 * sizeof(float)))
            return NB_RAISE(NB_E_NOMEM, "edge polylines", "cannot hold %zu points", cap);
        float *p = realloc(buf->points, cap * 3 * sizeof *p);
        if (!p)
            return NB_RAISE(NB_E_NOMEM, "edge polylines", "cannot hold %zu points", cap);
        buf->points = p;
        buf->point_capacity = cap;
    }
    return NB_OK;
}

nb_status nb_sample_copy(nb_sample_buffer *dst, const nb_sample_buffer *src) {
    NB_TRY(nb_sample_reserve(dst, src->n_edges, src->n_points));
    memcpy(dst->offset, src->offset, (src->n_edges + 1) * sizeof *dst->offset);
    if (src->n_points)
        memcpy(dst->points, src->points, src->n_points * 3 * sizeof *dst->points);
    dst->n_edges = src->n_edges;
    dst->n_points = src->n_points;
    return NB_OK;
}

nb_status nb_sample_straight(const float *node_pos, size_t n_edges, const uint32_t *source,
                             const uint32_t *target, nb_sample_buffer *out) {
    NB_TRY(nb_sample_reserve(out, n_edges, 2 * n_edges));
    for (size_t e = 0; e < n_edges; e++) {
        memcpy(out->points + 6 * e, node_pos + 3 * (size_t)source[e], 3 * sizeof(float));
        memcpy(out->points + 6 * e + 3, node_pos + 3 * (size_t)target[e], 3 * sizeof(float));
        out->offset[e + 1] = 2 * (uint64_t)(e + 1);
    }
    out->offset[0] = 0;
    out->n_edges = n_edges;
    out->n_points = 2 * n_edges;
    return NB_OK;
}

static double dist3(const double *a, const double *b) {
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrt(dx * dx + dy * dy + dz * dz);
}

/* Segments of a straight edge: n = max(1, ceil(lambda / spacing)). */
static size_t straight_segments(const float *a, const float *b, double spacing) {
    double pa[3] = {a[0], a[1], a[2]}, pb[3] = {b[0], b[1], b[2]};
    double n = ceil(dist3(pa, pb) / spacing);
    return n < 1.0 ? 1 : (size_t)n;
}

nb_status nb_sample_initial(const float *node_pos, size_t n_edges, const uint32_t *source,
                            const uint32_t *target, double spacing, int threads,
                            nb_sample_buffer *out) {
    if (!(isfinite(spacing) && spacing > 0.0))
        return NB_RAISE(NB_E_INVALID, "sample spacing", "must be finite and > 0, got %g", spacing);
    /* Count first into a scratch array so that a failed reserve leaves out unchanged. */
    uint64_t *count = malloc((n_edges + 1) * sizeof *count);
    if (!count)
        return NB_RAISE(NB_E_NOMEM, "edge polylines", "cannot count %zu edges", n_edges);
    int nt = thread_count_for(threads, 8 * n_edges);
    long ne = (long)n_edges;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (long e = 0; e < ne; e++)
        count[e + 1] = straight_segments(node_pos + 3 * (size_t)source[e],
                                         node_pos + 3 * (size_t)target[e], spacing) +
                       1;
    count[0] = 0;
    for (size_t e = 0; e < n_edges; e++)
        count[e + 1] += count[e];
    nb_status s = nb_sample_reserve(out, n_edges, (size_t)count[n_edges]);
    if (s != NB_OK) {
        free(count);
        return s;
    }
    memcpy(out->offset, count, (n_edges + 1) * sizeof *count);
    free(count);
    out->n_edges = n_edges;
    out->n_points = (size_t)out->offset[n_edges];
    const uint64_t *off = out->offset;
    float *pts = out->points;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (long e = 0; e < ne; e++) {
        const float *a = node_pos + 3 * (size_t)source[e];
        const float *b = node_pos + 3 * (size_t)target[e];
        size_t n = (size_t)(off[e + 1] - off[e]) - 1;
        float *p = pts + 3 * off[e];
        memcpy(p, a, 3 * sizeof(float));
        for (size_t i = 1; i < n; i++) {
            double t = (double)i / (double)n;
            for (int c = 0; c < 3; c++)
                p[3 * i + c] = (float)((double)a[c] + t * ((double)b[c] - (double)a[c]));
        }
        memcpy(p + 3 * n, b, 3 * sizeof(float));
    }
    return NB_OK;
}

/* A thread's staging row for nb_sample_resample: points it emitted, in edge order. */
typedef struct stage_row {
    float *p;           /* float32[cap][3] */
    size_t cap;         /* points */
    size_t used;        /* points written by the last call */
    float *scratch;     /* pre-smoothing: the current edge and its ping-pong partner */
    size_t scratch_cap; /* floats */
} stage_row;

typedef struct sample_stage {
    int n_rows;
    stage_row *rows;
} sample_stage;

static void stage_free(void *stage) {
    sample_stage *sg = stage;
    if (!sg)
        return;
    for (int t = 0; t < sg->n_rows; t++) {
        free(sg->rows[t].p);
        free(sg->rows[t].scratch);
    }
    free(sg->rows);
    free(sg);
}

static nb_status stage_reserve(nb_sample_buffer *buf, int n_rows) {
    sample_stage *sg = buf->stage;
    if (!sg) {
        sg = calloc(1, sizeof *sg);
        if (!sg)
            return NB_RAISE(NB_E_NOMEM, "edge polylines", "no room for resampling stages");
        buf->stage = sg;
    }
    if (sg->n_rows < n_rows) {
        stage_row *r = realloc(sg->rows, (size_t)n_rows * sizeof *r);
        if (!r)
            return NB_RAISE(NB_E_NOMEM, "edge polylines", "no room for %d stages", n_rows);
        memset(r + sg->n_rows, 0, (size_t)(n_rows - sg->n_rows) * sizeof *r);
        sg->rows = r;
        sg->n_rows = n_rows;
    }
    return NB_OK;
}

/* Appends one point; false when the row cannot grow. */
static inline bool stage_push(stage_row *row, const double v[3]) {
    if (row->used == row->cap) {
        size_t cap = row->cap < 4096 ? 8192 : 2 * row->cap;
        float *p = realloc(row->p, cap * 3 * sizeof *p);
        if (!p)
            return false;
        row->p = p;
        row->cap = cap;
    }
    float *d = row->p + 3 * row->used++;
    d[0] = (float)v[0];
    d[1] = (float)v[1];
    d[2] = (float)v[2];
    return true;
}

static inline double dist2(const double *a, const double *b) {
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return dx * dx + dy * dy + dz * dz;
}

/* Resampling walks each polyline vertex by vertex; every emitted point depends on the one
 * before (a chain of square root, division and multiply-adds), so one walk is latency-bound.
 * Each thread therefore walks NB_SAMPLE_LANES disjoint ranges of edges at once, one vertex
 * per lane in turn, letting the processor overlap the independent chains. Each lane appends
 * to its own staging row; the rows are concatenated in edge order afterwards. */
#define NB_SAMPLE_LANES 4

typedef struct lane {
    const float *p;  /* current polyline */
    size_t n, k;     /* its points; next vertex to visit */
    double last[3];  /* last emitted point */
    double prev2[3]; /* the one before */
    double anchor[3];
    double d_anchor2; /* squared distance of anchor from last */
    size_t first;     /* row->used when the edge began */
    size_t e, e_end;  /* current edge, end of the lane's range */
    stage_row *row;
    bool active;
} lane;

/* Starts the lane's next edge (or retires the lane): with pre-smoothing (pre->passes > 0)
 * the edge is copied into the row's scratch and smoothed there, so the input is read once.
 * False if the row or its scratch cannot grow. */
static bool lane_begin(lane *ln, const uint64_t *off, const float *pts,
                       const nb_sample_presmooth *pre) {
    ln->active = ln->e < ln->e_end;
    if (!ln->active)
        return true;
    ln->p = pts + 3 * off[ln->e];
    ln->n = (size_t)(off[ln->e + 1] - off[ln->e]);
    if (pre && pre->passes > 0 && ln->n >= 3) {
        stage_row *row = ln->row;
        if (row->scratch_cap < 6 * ln->n) {
            size_t cap = 6 * ln->n > 2 * row->scratch_cap ? 6 * ln->n : 2 * row->scratch_cap;
            float *sc = realloc(row->scratch, cap * sizeof *sc);
            if (!sc)
                return false;
            row->scratch = sc;
            row->scratch_cap = cap;
        }
        memcpy(row->scratch, ln->p, 3 * ln->n * sizeof(float));
        nb_smooth_edge_scaled(row->scratch, ln->n, row->scratch + 3 * ln->n, pre->passes,
                              pre->percent, pre->factor, pre->spacing_ratio);
        ln->p = row->scratch;
    }
    ln->k = 1;
    for (int c = 0; c < 3; c++)
        ln->last[c] = ln->prev2[c] = ln->anchor[c] = ln->p[c];
    ln->d_anchor2 = 0.0;
    ln->first = ln->row->used;
    if (!stage_push(ln->row, ln->last))
        return false;
    memcpy(ln->row->p + 3 * ln->first, ln->p, 3 * sizeof(float)); /* start point, bit-exact */
    return true;
}

/* Visits vertex k (method.md §4.7): emits a point each time the chord from the last emitted point
 * reaches l, interpolating the distance linearly between the anchor and the vertex.
 * Distances are compared squared; square roots are taken only where a point is emitted. */
static bool lane_vertex(lane *ln, double l, double emit2) {
    const float *v = ln->p + 3 * ln->k++;
    const double q[3] = {v[0], v[1], v[2]};
    double d_q2 = dist2(ln->last, q);
    if (d_q2 >= emit2) {
        double d_anchor = sqrt(ln->d_anchor2);
        do {
            double d_q = sqrt(d_q2);
            double t = (l - d_anchor) / (d_q - d_anchor);
            t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
            double next[3];
            for (int c = 0; c < 3; c++)
                next[c] = ln->anchor[c] + t * (q[c] - ln->anchor[c]);
            if (!stage_push(ln->row, next))
                return false;
            memcpy(ln->prev2, ln->last, sizeof ln->last);
            memcpy(ln->last, next, sizeof next);
            memcpy(ln->anchor, next, sizeof next);
            d_anchor = 0.0;
            d_q2 = dist2(ln->last, q);
        } while (d_q2 >= emit2);
    }
    memcpy(ln->anchor, q, sizeof q);
    ln->d_anchor2 = d_q2;
    return true;
}

/* End handling of the current edge, its count into count[e + 1], then the next edge. */
static bool lane_finish(lane *ln, double l, uint64_t *count, const uint64_t *off, const float *pts,
                        const nb_sample_presmooth *pre) {
    stage_row *row = ln->row;
    const float *end = ln->p + 3 * (ln->n - 1);
    const double e[3] = {end[0], end[1], end[2]};
    double f = sqrt(dist2(ln->last, e));
    if (row->used - ln->first > 1) { /* only when an interior point was emitted */
        if (f < 0.3 * l) {
            row->used--;
        } else if (f < 0.7 * l) {
            float *d = row->p + 3 * (row->used - 1);
            for (int c = 0; c < 3; c++)
                d[c] = (float)(0.5 * (ln->prev2[c] + e[c]));
        }
    }
    if (!stage_push(row, e))
        return false;
    memcpy(row->p + 3 * (row->used - 1), end, 3 * sizeof(float)); /* end point, bit-exact */
    count[ln->e + 1] = row->used - ln->first;
    ln->e++;
    return lane_begin(ln, off, pts, pre);
}

/* First edge of part `part` of `parts` equal ranges of n_edges edges. */
static size_t part_start(size_t n_edges, size_t part, size_t parts) {
    /* floor(n_edges * part / parts) without overflow: n_edges = a * parts + b */
    return n_edges / parts * part + n_edges % parts * part / parts;
}

nb_status nb_sample_resample(const nb_sample_buffer *in, double spacing, int threads,
                             nb_sample_buffer *out) {
    return nb_sample_resample_smoothed(in, NULL, spacing, threads, out);
}

nb_status nb_sample_resample_smoothed(const nb_sample_buffer *in, const nb_sample_presmooth *pre,
                                      double spacing, int threads, nb_sample_buffer *out) {
    if (!(isfinite(spacing) && spacing > 0.0))
        return NB_RAISE(NB_E_INVALID, "sample spacing", "must be finite and > 0, got %g", spacing);
    if (pre) {
        if (pre->passes < 0)
            return NB_RAISE(NB_E_INVALID, "smoothing_iterations", "must be >= 0, got %d",
                            pre->passes);
        if (!(pre->percent > 0.0 && pre->percent <= 100.0))
            return NB_RAISE(NB_E_INVALID, "smoothing_percent", "must be in (0, 100], got %g",
                            pre->percent);
        if (!(pre->factor > 0.0 && pre->factor <= 1.0))
            return NB_RAISE(NB_E_INVALID, "smoothing factor", "must be in (0, 1], got %g",
                            pre->factor);
        if (!isfinite(pre->spacing_ratio))
            return NB_RAISE(NB_E_INVALID, "smoothing spacing ratio", "must be finite, got %g",
                            pre->spacing_ratio);
    }
    size_t ne = in->n_edges;
    for (size_t e = 0; e < ne; e++)
        if (in->offset[e + 1] < in->offset[e] + 2)
            return NB_RAISE(NB_E_INVALID, "edge polylines", "edge %zu has %llu points (< 2)", e,
                            (unsigned long long)(in->offset[e + 1] - in->offset[e]));
    NB_TRY(nb_sample_reserve(out, ne, 0));
    int nt = thread_count_for(threads, in->n_points);
    NB_TRY(stage_reserve(out, nt * NB_SAMPLE_LANES));
    sample_stage *sg = out->stage;
    const uint64_t *ioff = in->offset;
    const float *ipts = in->points;
    uint64_t *ooff = out->offset;
    const double emit2 = (0.99 * spacing) * (0.99 * spacing);
    size_t parts = NB_SAMPLE_LANES;
    int failed = 0;
#pragma omp parallel num_threads(nt)
    {
        size_t t = (size_t)omp_get_thread_num(), T = (size_t)omp_get_num_threads();
        if (t == 0)
            parts = T * NB_SAMPLE_LANES;
        lane lanes[NB_SAMPLE_LANES];
        bool ok = true;
        int active = 0;
        for (size_t j = 0; j < NB_SAMPLE_LANES; j++) {
            size_t part = t * NB_SAMPLE_LANES + j, P = T * NB_SAMPLE_LANES;
            lane *ln = &lanes[j];
            ln->e = part_start(ne, part, P);
            ln->e_end = part_start(ne, part + 1, P);
            ln->row = &sg->rows[part];
            ln->row->used = 0;
            ok = ok && lane_begin(ln, ioff, ipts, pre);
            active += ln->active;
        }
        while (ok && active > 0) {
            active = 0;
            for (size_t j = 0; j < NB_SAMPLE_LANES; j++) {
                lane *ln = &lanes[j];
                if (!ln->active)
                    continue;
                ok = ok && lane_vertex(ln, spacing, emit2);
                if (ok && ln->k == ln->n)
                    ok = lane_finish(ln, spacing, ooff, ioff, ipts, pre);
                active += ln->active;
            }
        }
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
    }
    if (failed)
        return NB_RAISE(NB_E_NOMEM, "edge polylines", "no room to resample %zu edges", ne);
    ooff[0] = 0;
    for (size_t e = 0; e < ne; e++)
        ooff[e + 1] += ooff[e];
    out->n_edges = ne;
    out->n_points = 0;
    NB_TRY(nb_sample_reserve(out, ne, (size_t)ooff[ne]));
    out->n_points = (size_t)ooff[ne];
    float *opts = out->points;
    long n_parts = (long)parts;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (long q = 0; q < n_parts; q++) {
        const stage_row *row = &sg->rows[q];
        if (row->used)
            memcpy(opts + 3 * ooff[part_start(ne, (size_t)q, parts)], row->p,
                   row->used * 3 * sizeof(float));
    }
    return NB_OK;
}
