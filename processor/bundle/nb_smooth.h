/* nb_smooth.h - Laplacian smoothing of edge polylines (moving average along each edge).
 *
 * Source: method.md §4.10. Each pass replaces every interior point j of an edge with N
 * points by the mean of points max(0, j-r) .. min(N-1, j+r) of the previous pass (Jacobi),
 * r = max(1, floor(N * percent / 100 * factor)); endpoints never move.
 */
#ifndef NB_SMOOTH_H
#define NB_SMOOTH_H

#include <stddef.h>
#include <stdint.h>

#include "nb_status.h"

/* The window half-width r for an edge of n_points points (method.md §4.10):
 * max(1, floor(n_points * percent / 100 * factor)). percent in (0, 100], factor in (0, 1]. */
size_t nb_smooth_radius(size_t n_points, double percent, double factor);

/* Smooths one polyline p[n][3] in place with `passes` Jacobi passes (window as in
 * nb_smooth_radius), using scratch[3n] floats; endpoints are not touched. Arguments are not
 * checked (nb_smooth_polylines checks them). Thread-safe for distinct p and scratch. */
void nb_smooth_edge(float *p, size_t n, float *scratch, int passes, double percent, double factor);

/* nb_smooth_edge for a polyline sampled at spacing_ratio (>= 1) times the sample spacing l that
 * the window rule assumes (the edge phase's coarse early iterations, docs/bundling.md): the
 * window of the same polyline sampled at l, r_l = nb_smooth_radius((n - 1) * ratio + 1, ...),
 * has the per-pass variance V = r_l (r_l + 1) / 3 l^2 along the edge; it is kept in world units:
 * with v = V / s^2 (samples^2, s = ratio l), the largest r with r (r + 1) / 3 <= v while
 * v >= 2/3, else r = 1 passes relaxed by alpha = 1.5 v (p <- p + alpha (mean - p), variance
 * alpha 2/3 s^2 = V).
 * Without it, 8 full 3-point passes at 7.5 l straighten whole edges. spacing_ratio <= 1 is
 * nb_smooth_edge exactly (bit for bit). */
void nb_smooth_edge_scaled(float *p, size_t n, float *scratch, int passes, double percent,
                           double factor, double spacing_ratio);

/* Runs `passes` Jacobi smoothing passes over every polyline, in place.
 *   n_edges, offset[n_edges+1], points float32[offset[n_edges]][3]: CSR polylines, world units.
 *   passes:  >= 0 (config smoothing_iterations); 0 does nothing.
 *   percent: window size in percent of the edge's points (config smoothing_percent), (0, 100].
 *   factor:  schedule factor, r_e^(k+1) after edge iteration k (method.md §4.6), (0, 1].
 *   threads: OpenMP threads (<= 0: all); the result does not depend on it.
 * Each edge is smoothed independently in a per-thread scratch copy, so all passes of one edge
 * run in cache; r = 1 (most edges) takes a 3-point fast path.
 * Returns NB_OK, NB_E_INVALID (passes < 0, percent or factor out of range), NB_E_NOMEM. */
nb_status nb_smooth_polylines(size_t n_edges, const uint64_t *offset, float *points, int passes,
                              double percent, double factor, int threads);

/* nb_smooth_polylines with nb_smooth_edge_scaled (spacing_ratio: finite, <= 1 means 1; else
 * NB_E_INVALID, subject "smoothing spacing ratio"). */
nb_status nb_smooth_polylines_scaled(size_t n_edges, const uint64_t *offset, float *points,
                                     int passes, double percent, double factor,
                                     double spacing_ratio, int threads);

#endif /* NB_SMOOTH_H */
