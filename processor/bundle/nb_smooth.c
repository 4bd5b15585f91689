/* nb_smooth.c - Laplacian (moving-average) smoothing of edge polylines, endpoints fixed.
 *
 * DESIGN: data flow CSR polylines -> the same polylines, smoothed in place. Algorithm:
 * method.md §4.10 - `passes` Jacobi passes, each replacing interior point j by the mean
 * of the points in the window [j-r, j+r] clipped to the edge (endpoints counted once), with
 * r = max(1, floor(N * percent/100 * factor)). Since edges never interact, all passes of one
 * edge run back to back in two per-thread scratch rows (ping-pong) and the result is copied
 * back once, so an edge stays in L1 for the whole call. r = 1 is a 3-point average over the
 * flattened xyz row (out[i] = (p[i-3] + p[i] + p[i+3]) / 3, vectorisable); larger windows
 * use a sliding window sum in double. Threading: parallel over edges (dynamic schedule in
 * chunks, since edge lengths vary); per-thread scratch allocated once before the region and
 * sized to the longest edge; every edge's result depends only on that edge, so the output is
 * identical for any thread count. Config keys read (through arguments): smoothing_iterations,
 * smoothing_percent, edge_bandwidth_reduction (the factor).
 */
#include "nb_smooth.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define NB_SMOOTH_PARALLEL_MIN 32768

size_t nb_smooth_radius(size_t n_points, double percent, double factor) {
    double r = floor((double)n_points * percent / 100.0 * factor);
    return r < 1.0 ? 1 : (size_t)r;
}

/* One pass with r = 1 over the flattened row of n points (n >= 3): endpoints copied. */
static void pass_r1(const float *restrict src, float *restrict dst, size_t n) {
    const float third = 1.0f / 3.0f;
    size_t m = 3 * n;
    dst[0] = src[0];
    dst[1] = src[1];
    dst[2] = src[2];
    for (size_t i = 3; i < m - 3; i++)
        dst[i] = (src[i - 3] + src[i] + src[i + 3]) * third;
    dst[m - 3] = src[m - 3];
    dst[m - 2] = src[m - 2];
    dst[m - 1] = src[m - 1];
}

/* One pass with window half-width r >= 1 (sliding sum in double). */
static void pass_window(const float *restrict src, float *restrict dst, size_t n, size_t r) {
    for (int c = 0; c < 3; c++) {
        /* window [lo, hi] for j = 1 starts at [0, min(n-1, 1+r)] */
        size_t lo = 0, hi = 1 + r < n - 1 ? 1 + r : n - 1;
        double sum = 0.0;
        for (size_t k = lo; k <= hi; k++)
            sum += src[3 * k + c];
        dst[c] = src[c];
        for (size_t j = 1; j + 1 < n; j++) {
            size_t want_lo = j > r ? j - r : 0;
            size_t want_hi = j + r < n - 1 ? j + r : n - 1;
            while (hi < want_hi)
                sum += src[3 * ++hi + c];
            while (lo < want_lo)
                sum -= src[3 * lo++ + c];
            dst[3 * j + c] = (float)(sum / (double)(hi - lo + 1));
        }
        dst[3 * (n - 1) + c] = src[3 * (n - 1) + c];
    }
}

/* One relaxed 3-point pass: dst = src + alpha (mean - src), endpoints copied (alpha < 1). */
static void pass_r1_relaxed(const float *restrict src, float *restrict dst, size_t n, float alpha) {
    const float third = 1.0f / 3.0f;
    size_t m = 3 * n;
    for (size_t i = 0; i < 3; i++) {
        dst[i] = src[i];
        dst[m - 3 + i] = src[m - 3 + i];
    }
    for (size_t i = 3; i < m - 3; i++)
        dst[i] = src[i] + alpha * ((src[i - 3] + src[i] + src[i + 3]) * third - src[i]);
}

void nb_smooth_edge(float *p, size_t n, float *scratch, int passes, double percent, double factor) {
    nb_smooth_edge_scaled(p, n, scratch, passes, percent, factor, 1.0);
}

void nb_smooth_edge_scaled(float *p, size_t n, float *scratch, int passes, double percent,
                           double factor, double spacing_ratio) {
    if (n < 3 || passes <= 0)
        return;
    size_t r;
    float alpha = 1.0f;
    if (spacing_ratio > 1.0) {
        double nl = floor((double)(n - 1) * spacing_ratio + 0.5) + 1.0;
        double rl = (double)nb_smooth_radius((size_t)nl, percent, factor);
        double v = rl * (rl + 1.0) / (3.0 * spacing_ratio * spacing_ratio); /* samples^2 */
        if (v >= 2.0 / 3.0) {
            r = (size_t)floor(0.5 * (sqrt(1.0 + 12.0 * v) - 1.0)); /* r (r + 1) / 3 <= v */
        } else {
            r = 1;
            alpha = (float)(1.5 * v);
        }
    } else {
        r = nb_smooth_radius(n, percent, factor);
    }
    float *src = p, *dst = scratch;
    for (int k = 0; k < passes; k++) {
        if (r == 1 && alpha < 1.0f)
            pass_r1_relaxed(src, dst, n, alpha);
        else if (r == 1)
            pass_r1(src, dst, n);
        else
            pass_window(src, dst, n, r);
        float *t = src;
        src = dst;
        dst = t;
    }
    if (src != p)
        memcpy(p, src, 3 * n * sizeof *p);
}

nb_status nb_smooth_polylines(size_t n_edges, const uint64_t *offset, float *points, int passes,
                              double percent, double factor, int threads) {
    return nb_smooth_polylines_scaled(n_edges, offset, points, passes, percent, factor, 1.0,
                                      threads);
}

nb_status nb_smooth_polylines_scaled(size_t n_edges, const uint64_t *offset, float *points,
                                     int passes, double percent, double factor,
                                     double spacing_ratio, int threads) {
    if (!isfinite(spacing_ratio))
        return NB_RAISE(NB_E_INVALID, "smoothing spacing ratio", "must be finite, got %g",
                        spacing_ratio);
    if (passes < 0)
        return NB_RAISE(NB_E_INVALID, "smoothing_iterations", "must be >= 0, got %d", passes);
    if (!(percent > 0.0 && percent <= 100.0))
        return NB_RAISE(NB_E_INVALID, "smoothing_percent", "must be in (0, 100], got %g", percent);
    if (!(factor > 0.0 && factor <= 1.0))
        return NB_RAISE(NB_E_INVALID, "smoothing factor", "must be in (0, 1], got %g", factor);
    if (passes == 0 || n_edges == 0)
        return NB_OK;
    size_t longest = 0;
    for (size_t e = 0; e < n_edges; e++) {
        size_t n = (size_t)(offset[e + 1] - offset[e]);
        longest = n > longest ? n : longest;
    }
    if (longest < 3)
        return NB_OK;
    /* Below NB_SMOOTH_PARALLEL_MIN points one thread is faster than a parallel region. */
    int nt = (size_t)offset[n_edges] - (size_t)offset[0] < NB_SMOOTH_PARALLEL_MIN ? 1
             : threads > 0                                                        ? threads
                           : omp_get_max_threads();
    size_t row = 3 * longest;
    float *scratch = malloc((size_t)nt * row * sizeof *scratch);
    if (!scratch)
        return NB_RAISE(NB_E_NOMEM, "smoothing", "no scratch for %d threads x %zu points", nt,
                        longest);
    long ne = (long)n_edges;
#pragma omp parallel num_threads(nt)
    {
        float *tmp = scratch + (size_t)omp_get_thread_num() * row;
#pragma omp for schedule(dynamic, 256)
        for (long e = 0; e < ne; e++) {
            size_t n = (size_t)(offset[e + 1] - offset[e]);
            if (n < 3)
                continue;
            nb_smooth_edge_scaled(points + 3 * offset[e], n, tmp, passes, percent, factor,
                                  spacing_ratio);
        }
    }
    free(scratch);
    return NB_OK;
}
