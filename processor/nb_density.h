/* nb_density.h - kernel density of node importance (2-D) and of edge segments (3-D), and the
 * advection steps that move nodes and samples along its gradient.
 *
 * Source: reference spec §4.2-4.6 (grid, splat kernel, node density and advection) and
 * §4.8-4.9 (segment density and sample advection), with the fixes of DESIGN.md: zero gradient
 * means no move (never NaN), a sample leaving the grid is clamped (never frozen), any number of
 * classes. Two back-ends (nb_density_backend): NB_DENSITY_EXACT evaluates the reference
 * segment kernel on its true support (spec §9.6); NB_DENSITY_FAST splats into a grid whose
 * cell follows the bandwidth and convolves with a separable kernel, so its cost per iteration
 * does not grow with the bandwidth. Both accumulate in fixed point (integers), so results are
 * bit-identical for any thread count.
 */
#ifndef NB_DENSITY_H
#define NB_DENSITY_H

#include <stddef.h>
#include <stdint.h>

#include "nb_config.h"
#include "nb_edge_importance.h"
#include "nb_status.h"

/* An axis-aligned grid (spec §4.2). */
typedef struct nb_grid {
    double origin[3]; /* min corner, world units */
    double cell;      /* cell edge h, world units (= layer_width / (3 * sampling_rate)) */
    size_t n[3];      /* cells per axis (n[2] = 1 for the 2-D node map) */
} nb_grid;

/* The polylines of one layer pair and what the density needs to weigh their segments. */
typedef struct nb_sample_set {
    size_t n_edges;
    const uint64_t *point_offset;   /* [n_edges+1] CSR into points (offsets local to this set) */
    float *points;                  /* float32[S][3] world units; interior points are moved */
    const uint32_t *edge_source;    /* [n_edges] node ids into node_importance */
    const uint32_t *edge_target;    /* [n_edges] */
    const float *edge_alpha;        /* [n_edges] */
    const float *node_importance;   /* float32[N][n_classes] */
    const nb_node_stats *node_stats; /* [N] */
    int edge_importance_type;       /* 0..3, q from nb_edge_importance_eval at t = k/n_points */
} nb_sample_set;

typedef struct nb_density nb_density; /* opaque workspace: grids, per-thread scratch */

/* Creates a workspace for `n_classes` channels and the given back-end.
 *   strength: density_strength S of spec §4.3 (fixed-point scale before truncation).
 *   threads:  OpenMP threads to use (<= 0: omp_get_max_threads()); results do not depend on it.
 * Returns NB_OK, NB_E_INVALID, NB_E_NOMEM. The caller owns *out (nb_density_destroy). */
nb_status nb_density_create(nb_density_backend backend, size_t n_classes, double strength,
                            int threads, nb_density **out);
void nb_density_destroy(nb_density *d);

/* One node-advection iteration (spec §4.4-4.5): splat all nodes' class importance into the
 * 2-D map of `grid` (x, y only) with `bandwidth`, then move every node's x, y by
 * step_fraction * bandwidth along the normalised one-sided gradient of
 * phi(D) = n_hat . D - similarity * |D|, clamped to the grid minus the margin of spec §4.5.
 *   pos: float32[n_nodes][3] in/out (z untouched). importance: float32[n_nodes][n_classes].
 * Jacobi update. Returns NB_OK, NB_E_NOMEM. */
nb_status nb_density_advect_nodes(nb_density *d, const nb_grid *grid, size_t n_nodes,
                                  float *pos, const float *importance, double bandwidth,
                                  double similarity, double step_fraction);

/* One sample-advection iteration for one layer pair (spec §4.8-4.9): splat every segment of
 * `set` with `bandwidth`, then move every interior point (not the first or last of an edge)
 * by `bandwidth` along the normalised gradient of phi(D) = q . D - similarity * |D|, clamped
 * to `grid`. Jacobi update. Returns NB_OK, NB_E_NOMEM. */
nb_status nb_density_advect_samples(nb_density *d, const nb_grid *grid, nb_sample_set *set,
                                    double bandwidth, double similarity);

#endif /* NB_DENSITY_H */
