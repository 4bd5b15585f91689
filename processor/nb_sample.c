/* nb_sample.c - initial sampling and chord-length resampling of edge polylines (CSR).
 *
 * DESIGN: data flow node positions -> straight sampled edges (nb_sample_initial), then every
 * edge iteration polylines -> resampled polylines (nb_sample_resample) into a second buffer
 * (ping-pong, owned by the caller, grown by 1.5x only when a pass needs more room, so the
 * steady state allocates nothing). Algorithm: reference spec §4.7 (walk the polyline, emit a
 * point whenever the chord from the last emitted point reaches l, interpolating the distance
 * linearly between the previous vertex and the next; end handling at 0.3 l / 0.7 l), without
 * its P-slot cap and without collapsing an edge that has no interior point. Arithmetic is in
 * double, storage float32; endpoints are copied, never recomputed.
 * Threading: parallel over edges (OpenMP). Resampling is one pass: each thread walks its
 * contiguous range of edges and appends their points to its own staging row (kept in the
 * output buffer, so the steady state allocates nothing), recording each edge's count; a
 * serial exclusive prefix sum (E adds) gives the offsets and one memcpy per thread puts the
 * rows in place. Initial sampling counts, sums, then writes. Every edge's output depends
 * only on its input, so the result is identical for any thread count. Small inputs run on
 * one thread (NB_SAMPLE_PARALLEL_MIN).
 * Config keys read (through arguments): layer_width / sampling_rate (the spacing).
 */
#include "nb_sample.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

void nb_sample_deinit(nb_sample_buffer *buf) {
    if (!buf)
        return;
    free(buf->offset);
    free(buf->points);
    stage_free(buf->stage);
    memset(buf, 0, sizeof *buf);
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
    float *p;    /* float32[cap][3] */
    size_t cap;  /* points */
    size_t used; /* points written by the last call */
} stage_row;

typedef struct sample_stage {
    int n_rows;
    stage_row *rows;
} sample_stage;

static void stage_free(void *stage) {
    sample_stage *sg = stage;
    if (!sg)
        return;
    for (int t = 0; t < sg->n_rows; t++)
        free(sg->rows[t].p);
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

/* Resamples one polyline p[n][3] (n >= 2) at chord spacing l (spec §4.7) onto the end of
 * `row`. Returns the number of points appended, 0 if the row could not grow. Distances are
 * compared squared; square roots are taken only where a point is emitted. */
static size_t resample_edge(const float *p, size_t n, double l, stage_row *row) {
    const double emit2 = (0.99 * l) * (0.99 * l);
    const size_t first = row->used;
    double last[3] = {p[0], p[1], p[2]};
    double prev2[3] = {last[0], last[1], last[2]};
    double anchor[3] = {last[0], last[1], last[2]};
    double d_anchor2 = 0.0; /* squared distance of anchor from last */
    if (!stage_push(row, last))
        return 0;
    memcpy(row->p + 3 * first, p, 3 * sizeof(float)); /* the start point, bit-exact */
    for (size_t k = 1; k < n; k++) {
        const double q[3] = {p[3 * k], p[3 * k + 1], p[3 * k + 2]};
        double d_q2 = dist2(last, q);
        if (d_q2 >= emit2) {
            double d_anchor = sqrt(d_anchor2);
            do {
                double d_q = sqrt(d_q2);
                double t = (l - d_anchor) / (d_q - d_anchor);
                t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
                double next[3];
                for (int c = 0; c < 3; c++)
                    next[c] = anchor[c] + t * (q[c] - anchor[c]);
                if (!stage_push(row, next))
                    return 0;
                memcpy(prev2, last, sizeof last);
                memcpy(last, next, sizeof last);
                memcpy(anchor, next, sizeof anchor);
                d_anchor = 0.0;
                d_q2 = dist2(last, q);
            } while (d_q2 >= emit2);
        }
        memcpy(anchor, q, sizeof anchor);
        d_anchor2 = d_q2;
    }
    const float *end = p + 3 * (n - 1);
    const double e[3] = {end[0], end[1], end[2]};
    double f = sqrt(dist2(last, e));
    if (row->used - first > 1) { /* end handling applies only when an interior point was emitted */
        if (f < 0.3 * l) {
            row->used--;
        } else if (f < 0.7 * l) {
            float *d = row->p + 3 * (row->used - 1);
            for (int c = 0; c < 3; c++)
                d[c] = (float)(0.5 * (prev2[c] + e[c]));
        }
    }
    if (!stage_push(row, e))
        return 0;
    memcpy(row->p + 3 * (row->used - 1), end, 3 * sizeof(float)); /* bit-exact end point */
    return row->used - first;
}

nb_status nb_sample_resample(const nb_sample_buffer *in, double spacing, int threads,
                             nb_sample_buffer *out) {
    if (!(isfinite(spacing) && spacing > 0.0))
        return NB_RAISE(NB_E_INVALID, "sample spacing", "must be finite and > 0, got %g", spacing);
    size_t ne = in->n_edges;
    for (size_t e = 0; e < ne; e++)
        if (in->offset[e + 1] < in->offset[e] + 2)
            return NB_RAISE(NB_E_INVALID, "edge polylines", "edge %zu has %llu points (< 2)", e,
                            (unsigned long long)(in->offset[e + 1] - in->offset[e]));
    NB_TRY(nb_sample_reserve(out, ne, 0));
    int nt = thread_count_for(threads, in->n_points);
    NB_TRY(stage_reserve(out, nt));
    sample_stage *sg = out->stage;
    const uint64_t *ioff = in->offset;
    const float *ipts = in->points;
    uint64_t *ooff = out->offset;
    int parts = 1, failed = 0;
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        if (t == 0)
            parts = T;
        size_t e0 = ne * (size_t)t / (size_t)T, e1 = ne * (size_t)(t + 1) / (size_t)T;
        stage_row *row = &sg->rows[t];
        row->used = 0;
        for (size_t e = e0; e < e1; e++) {
            size_t m =
                resample_edge(ipts + 3 * ioff[e], (size_t)(ioff[e + 1] - ioff[e]), spacing, row);
            if (m == 0) {
#pragma omp atomic write
                failed = 1;
                break;
            }
            ooff[e + 1] = m;
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
#pragma omp parallel for schedule(static, 1) num_threads(nt)
    for (int t = 0; t < parts; t++) {
        size_t e0 = ne * (size_t)t / (size_t)parts;
        if (sg->rows[t].used)
            memcpy(opts + 3 * ooff[e0], sg->rows[t].p, sg->rows[t].used * 3 * sizeof(float));
    }
    return NB_OK;
}
