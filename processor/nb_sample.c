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
 * Threading: parallel over edges (OpenMP, static schedule) in two passes - count each edge's
 * output, exclusive prefix sum (serial, E adds), write - so every edge's output depends only
 * on its input and the result is identical for any thread count. Nothing is shared but the
 * read-only input and disjoint output ranges.
 * Config keys read (through arguments): layer_width / sampling_rate (the spacing).
 */
#include "nb_sample.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static int thread_count(int threads) {
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
        return NB_RAISE(NB_E_INVALID, "sample spacing", "must be finite and > 0, got %g",
                        spacing);
    /* Count first into a scratch array so that a failed reserve leaves out unchanged. */
    uint64_t *count = malloc((n_edges + 1) * sizeof *count);
    if (!count)
        return NB_RAISE(NB_E_NOMEM, "edge polylines", "cannot count %zu edges", n_edges);
    int nt = thread_count(threads);
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

/* Resamples one polyline p[n][3] (n >= 2) at chord spacing l (spec §4.7). Writes to out when
 * out is not NULL; returns the number of output points either way (the same both times). */
static size_t resample_edge(const float *p, size_t n, double l, float *out) {
    const double emit_at = 0.99 * l;
    double last[3] = {p[0], p[1], p[2]};
    double prev2[3] = {last[0], last[1], last[2]};
    double anchor[3] = {last[0], last[1], last[2]};
    double d_anchor = 0.0;
    size_t w = 1; /* points written; the start point is point 0 */
    if (out)
        memcpy(out, p, 3 * sizeof(float));
    for (size_t k = 1; k < n; k++) {
        const double q[3] = {p[3 * k], p[3 * k + 1], p[3 * k + 2]};
        double d_q = dist3(last, q);
        while (d_q >= emit_at) {
            double t = (l - d_anchor) / (d_q - d_anchor);
            t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
            double next[3];
            for (int c = 0; c < 3; c++)
                next[c] = anchor[c] + t * (q[c] - anchor[c]);
            if (out)
                for (int c = 0; c < 3; c++)
                    out[3 * w + c] = (float)next[c];
            w++;
            memcpy(prev2, last, sizeof last);
            memcpy(last, next, sizeof last);
            memcpy(anchor, next, sizeof anchor);
            d_anchor = 0.0;
            d_q = dist3(last, q);
        }
        memcpy(anchor, q, sizeof anchor);
        d_anchor = d_q;
    }
    const float *end = p + 3 * (n - 1);
    const double e[3] = {end[0], end[1], end[2]};
    double f = dist3(last, e);
    if (w > 1) { /* end handling applies only when an interior point was emitted */
        if (f < 0.3 * l) {
            w--;
        } else if (f < 0.7 * l && out) {
            for (int c = 0; c < 3; c++)
                out[3 * (w - 1) + c] = (float)(0.5 * (prev2[c] + e[c]));
        }
    }
    if (out)
        memcpy(out + 3 * w, end, 3 * sizeof(float));
    return w + 1;
}

nb_status nb_sample_resample(const nb_sample_buffer *in, double spacing, int threads,
                             nb_sample_buffer *out) {
    if (!(isfinite(spacing) && spacing > 0.0))
        return NB_RAISE(NB_E_INVALID, "sample spacing", "must be finite and > 0, got %g",
                        spacing);
    size_t ne = in->n_edges;
    for (size_t e = 0; e < ne; e++)
        if (in->offset[e + 1] < in->offset[e] + 2)
            return NB_RAISE(NB_E_INVALID, "edge polylines", "edge %zu has %llu points (< 2)", e,
                            (unsigned long long)(in->offset[e + 1] - in->offset[e]));
    NB_TRY(nb_sample_reserve(out, ne, 0));
    int nt = thread_count(threads);
    long nel = (long)ne;
    const uint64_t *ioff = in->offset;
    const float *ipts = in->points;
    uint64_t *ooff = out->offset;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (long e = 0; e < nel; e++)
        ooff[e + 1] = resample_edge(ipts + 3 * ioff[e], (size_t)(ioff[e + 1] - ioff[e]), spacing,
                                    NULL);
    ooff[0] = 0;
    for (size_t e = 0; e < ne; e++)
        ooff[e + 1] += ooff[e];
    out->n_edges = ne;
    out->n_points = 0;
    NB_TRY(nb_sample_reserve(out, ne, (size_t)ooff[ne]));
    out->n_points = (size_t)ooff[ne];
    float *opts = out->points;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (long e = 0; e < nel; e++)
        resample_edge(ipts + 3 * ioff[e], (size_t)(ioff[e + 1] - ioff[e]), spacing,
                      opts + 3 * ooff[e]);
    return NB_OK;
}
