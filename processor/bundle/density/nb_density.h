/* nb_density.h - kernel density of node importance (2-D) and of edge segments (3-D), and the
 * advection steps that move nodes and samples along its gradient.
 *
 * Source: method.md §4.2-4.6 (grid, splat kernel, node density and advection) and
 * §4.8-4.9 (segment density and sample advection), with the fixes of method.md §8.1: zero gradient
 * means no move (never NaN), a sample leaving the grid is clamped (never frozen), any number of
 * classes. Two back-ends (nb_density_backend): NB_DENSITY_EXACT evaluates the reference
 * segment kernel on its true support (method.md §9.6); NB_DENSITY_FAST splats into a grid whose
 * cell follows the bandwidth and convolves with a separable kernel, so its cost per iteration
 * does not grow with the bandwidth. Results are bit-identical for any thread count: exact
 * accumulates in fixed point (int64), fast in float with one writer per grid node and one
 * fixed order of contributions. docs/density.md describes both and their agreement.
 *
 * Node densities use the reference kernel in both back-ends (nodes are few).
 */
#ifndef NB_DENSITY_H
#define NB_DENSITY_H

#include <stddef.h>
#include <stdint.h>

#include "nb_config.h"
#include "nb_edge_importance.h"
#include "nb_status.h"

/* An axis-aligned grid (method.md §4.2). Cell (ix, iy, iz) covers
 * [origin + i*cell, origin + (i+1)*cell) per axis; its centre is origin + (i + 0.5)*cell.
 * The grid box used for clamping is [origin, origin + n*cell] per axis. */
typedef struct nb_grid {
    double origin[3]; /* min corner, world units */
    double cell;      /* cell edge h, world units (= layer_width / (3 * sampling_rate)) */
    size_t n[3];      /* cells per axis (n[2] = 1 for the 2-D node map) */
} nb_grid;

/* The polylines of one layer pair and what the density needs to weigh their segments. */
typedef struct nb_sample_set {
    size_t n_edges;
    const uint64_t *point_offset;    /* [n_edges+1] CSR into points (offsets local to this set) */
    float *points;                   /* float32[S][3] world units; interior points are moved */
    const uint32_t *edge_source;     /* [n_edges] node ids into node_importance */
    const uint32_t *edge_target;     /* [n_edges] */
    const float *edge_alpha;         /* [n_edges] */
    const float *node_importance;    /* float32[N][n_classes] */
    const nb_node_stats *node_stats; /* [N] */
    int edge_importance_type;        /* 0..3, q from nb_edge_importance_eval at t = k/n_points */
    double step_fraction;            /* step = step_fraction * bandwidth, in (0, 1]; 0 means 1,
                                        the reference's full-bandwidth step (method.md §4.9) */
    size_t n_nodes;                  /* optional N: if > 0, every node id is checked against it */
    double repulsion_saturation;     /* kappa >= 0: the repulsion term uses the saturated norm
                                        R(|D|) = s tanh(|D| / s), s = kappa * the
                                        density-weighted mean density of the pair's grid
                                        (sum |D|^2 / sum |D|); 0: the exact |D| (reference) */
    int whole_support;               /* exact: 0 = the reference window (cells -R..R+1 around a
                                        segment's midpoint cell, R = ceil(b/h) + 1), which cuts
                                        off the support of segments longer than ~2h; 1 = a
                                        window that holds the whole support of the longest
                                        segment (coarse sampling, edge_spacing_bandwidth).
                                        fast: no effect (its kernel has no window) */
} nb_sample_set;

typedef struct nb_density nb_density; /* opaque workspace: grids, per-thread scratch */

/* Creates a workspace for `n_classes` channels and the given back-end.
 *   strength: density_strength S of method.md §4.3 (fixed-point scale before truncation).
 *   threads:  OpenMP threads to use (<= 0: omp_get_max_threads()); results do not depend on it.
 * Returns NB_OK, NB_E_INVALID (subjects "density", "n_classes", "density_strength", "out"),
 * NB_E_NOMEM. The caller owns *out (nb_density_destroy). */
nb_status nb_density_create(nb_density_backend backend, size_t n_classes, double strength,
                            int threads, nb_density **out);
void nb_density_destroy(nb_density *d);

/* One node-advection iteration (method.md §4.4-4.5): splat all nodes' class importance into the
 * 2-D map of `grid` (x, y only) with `bandwidth`, then move every node's x, y by
 * step_fraction * bandwidth along the normalised one-sided gradient of
 * phi(D) = n_hat . D - similarity * |D|, clamped to the grid minus the margin of method.md §4.5.
 *   pos: float32[n_nodes][3] in/out (z untouched). importance: float32[n_nodes][n_classes].
 * A node with a zero importance vector, or whose gradient is zero or not finite, stays.
 * Jacobi update. Returns NB_OK, NB_E_INVALID (subjects "density", "grid", "pos", "importance",
 * "bandwidth", "similarity", "node_step"), NB_E_NUMERIC ("pos": a non-finite position),
 * NB_E_NOMEM; on failure pos is unchanged. */
nb_status nb_density_advect_nodes(nb_density *d, const nb_grid *grid, size_t n_nodes, float *pos,
                                  const float *importance, double bandwidth, double similarity,
                                  double step_fraction);

/* One sample-advection iteration for one layer pair (method.md §4.8-4.9): splat every segment of
 * `set` with `bandwidth`, then move every interior point (not the first or last of an edge)
 * by set->step_fraction * bandwidth (0: the reference's full bandwidth) along the normalised
 * gradient of phi(D) = q . D - similarity * R(|D|), clamped to `grid`, with R the identity or,
 * with set->repulsion_saturation > 0, the saturating norm documented at nb_sample_set
 * (docs/bundling.md, "Edge phase"). Jacobi update. Returns
 * NB_OK, NB_E_INVALID (subjects "density", "grid", "sample_set", "sample_set point_offset",
 * "sample_set edge_importance_type", "sample_set edge_source", "sample_set edge_target",
 * "edge_step" (step_fraction outside [0, 1]), "bandwidth", "similarity"),
 * NB_E_NUMERIC ("sample_set points": a non-finite point), NB_E_NOMEM; on failure the points
 * are unchanged. */
nb_status nb_density_advect_samples(nb_density *d, const nb_grid *grid, nb_sample_set *set,
                                    double bandwidth, double similarity);

/* nb_density_advect_nodes with a step length per node: node i moves
 * step_weight[i] * step_fraction * bandwidth (step_weight: float32[n_nodes], each in [0, 1],
 * or NULL for 1 everywhere; a weight of 0 keeps the node where it is). The clamp box is the
 * one of the full step. Same statuses; weights are not checked (the caller's own data). */
nb_status nb_density_advect_nodes_weighted(nb_density *d, const nb_grid *grid, size_t n_nodes,
                                           float *pos, const float *importance,
                                           const float *step_weight, double bandwidth,
                                           double similarity, double step_fraction);

/* ---- the two halves of each step, for tests, benchmarks and debug views -------------- */

/* Splats the nodes into the 2-D node map only (first half of nb_density_advect_nodes).
 * Same arguments and statuses. The map stays valid until the next node splat. */
nb_status nb_density_splat_nodes(nb_density *d, const nb_grid *grid, size_t n_nodes,
                                 const float *pos, const float *importance, double bandwidth);

/* Class density of node-map cell (ix, iy) after nb_density_splat_nodes:
 * out: double[n_classes], fixed-point units of method.md §4.3 (sum of trunc(S*value*N[i,c])).
 * Returns NB_OK, NB_E_INVALID ("density": no node map yet; "cell": outside the map). */
nb_status nb_density_query_node_density(const nb_density *d, size_t ix, size_t iy, double *out);

/* Splats the segments of `set` only (first half of nb_density_advect_samples); same
 * arguments and statuses. The density stays valid until the next sample splat. */
nb_status nb_density_splat_samples(nb_density *d, const nb_grid *grid, const nb_sample_set *set,
                                   double bandwidth);

/* Class density at world point p[3] after nb_density_splat_samples: exact: the value of the
 * cell containing p (fixed-point units of method.md §4.3; 0 outside the splatted region); fast:
 * the trilinear interpolation of the smoothed density (arbitrary but consistent units: only
 * ratios and directions are meaningful). out: double[n_classes].
 * Returns NB_OK, NB_E_INVALID ("density": no sample density yet; "p": not finite). */
nb_status nb_density_query_sample_density(const nb_density *d, const double p[3], double *out);

/* ---- the reference kernel (method.md §4.3), exposed for tests and documentation ------------ */

/* The 1-D integral of K(u) = 1 - u^2 along a cell's segment, in bandwidth units:
 * a = distance of the far end, e = distance of the near end (world units, >= 0), inside != 0
 * when the splat centre lies on the cell's segment. 0 when a >= b and e >= b. */
double nb_density_kernel_value(double a, double e, int inside, double bandwidth);

/* Node kernel value (before the factor S) for a cell centre at distance `dist` (xy plane)
 * from the node, cell half-length kappa = 1.36602540378 * cell. dist = 0 is well defined
 * (the reference loses it: 0/0; see docs/density.md). */
double nb_density_node_kernel(double dist, double cell, double bandwidth);

/* Segment kernel value (before the factor S) of segment (a, b) for the cell centred at g:
 * the "ellipse distance" |p - a| + |p - b| - |b - a| evaluated at the two ends of the cell's
 * segment, which points towards the segment midpoint. */
double nb_density_segment_kernel(const double a[3], const double b[3], const double g[3],
                                 double cell, double bandwidth);

/* ---- tuning and instrumentation --------------------------------------------------------- */

/* Fast back-end resolution: the grid cell is max(1.25 h, 4.5 s_perp / k) with k =
 * cells_per_bandwidth (default 8; range [2, 64]) and s_perp the perpendicular standard
 * deviation of the exact kernel's footprint of a 3h segment (about 0.22 b while b >> h), so
 * about b / k early in the schedule. Returns NB_OK or NB_E_INVALID ("cells_per_bandwidth").
 * No effect on the exact back-end. */
nb_status nb_density_set_fast_resolution(nb_density *d, double cells_per_bandwidth);

/* Fast back-end kernel width: the per-axis variance of its separable kernel is
 * variance_scale times the perpendicular variance of the exact kernel's footprint of a
 * segment of length 3h (minus what cloud-in-cell splatting and interpolation add). Default
 * 0.7, calibrated so that bundle metrics match exact (docs/density.md); range [0.25, 2].
 * Returns NB_OK or NB_E_INVALID ("variance_scale"). No effect on the exact back-end. */
nb_status nb_density_set_fast_kernel_scale(nb_density *d, double variance_scale);

/* Adaptive thread count (default on = 1): node calls and the calls of each layer pair keep
 * the faster of 1 and `threads` threads (nb_tuner.h, default settings: on a busy machine
 * OpenMP barriers can cost more than a second thread gains). A 1-thread trial runs only when
 * the process got less than 0.8 of `threads` cores during its recent calls, so an idle machine
 * never pays for trials; on = 2 trials every few calls regardless (tests). Results never
 * depend on it. Off (0): every call uses `threads`. Returns NB_OK or NB_E_INVALID
 * ("density"). */
nb_status nb_density_set_thread_tuning(nb_density *d, int on);

/* What the last calls did (for benchmarks and logs). */
typedef struct nb_density_stats {
    double splat_seconds;  /* wall time of the last sample splat (incl. convolution) */
    double advect_seconds; /* wall time of the last sample move */
    double node_seconds;   /* wall time of the last node iteration (splat + move) */
    size_t cells;          /* cells of the last sample density grid (its active box) */
    double cell;           /* its cell edge, world units */
    size_t kernel_taps;    /* fast: taps of the 1-D kernel per axis; exact: 0 */
    size_t moved;          /* points moved by the last sample or node move */
    uint64_t bytes;        /* bytes held by the workspace */
    int threads;           /* threads used by the last call */
} nb_density_stats;

/* Copies the statistics of the last calls into *out. */
void nb_density_query_stats(const nb_density *d, nb_density_stats *out);

/* "fast" or "exact" ("unknown" otherwise). Static storage. */
const char *nb_density_backend_name(nb_density_backend backend);

#endif /* NB_DENSITY_H */
