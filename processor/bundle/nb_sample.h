/* nb_sample.h - edges as polylines: initial sampling of straight edges and resampling.
 *
 * Source: method.md §4.7. Every edge is a polyline of >= 2 points stored in CSR form
 * (offset[E+1] into points[S][3]); its first and last points are the source and target node
 * and never move. Differences from the reference: no per-edge point cap (the reference stops
 * emitting at P - 3 slots and jumps straight to the end), and an edge with no interior point
 * is never collapsed onto its start (its end-handling quirk).
 * Spacing guarantees of nb_sample_resample (chord distances, spacing l): every gap is <= l
 * (+ rounding) except the last, which is <= 1.3 l; on a straight stretch every gap but the
 * last two is in [0.99 l, l] and the last two are in [0.65 l, 1.3 l] (end handling: drop the
 * last point when the end is < 0.3 l away, replace it by the midpoint of its predecessor and
 * the end when < 0.7 l).
 */
#ifndef NB_SAMPLE_H
#define NB_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "nb_status.h"

/* A set of polylines in CSR form with spare capacity, reused across iterations. */
typedef struct nb_sample_buffer {
    size_t n_edges;        /* E */
    size_t n_points;       /* S = offset[E] */
    uint64_t *offset;      /* [E+1], offset[0] = 0; edge e = points [offset[e], offset[e+1]) */
    float *points;         /* float32[S][3], world units */
    size_t edge_capacity;  /* edges offset[] can hold */
    size_t point_capacity; /* points points[] can hold */
    void *stage;           /* internal: per-thread staging of nb_sample_resample, kept for
                              reuse (owned, freed by nb_sample_deinit; never copied) */
} nb_sample_buffer;

/* Zeroes *buf (no allocation). */
void nb_sample_init(nb_sample_buffer *buf);

/* Frees the arrays; safe on a zeroed buffer. Leaves *buf zeroed. */
void nb_sample_deinit(nb_sample_buffer *buf);

/* Frees the resampling staging kept in *buf and shrinks its point array to its n_points
 * (when realloc can; contents kept). For polylines that will not be resampled again. */
void nb_sample_trim(nb_sample_buffer *buf);

/* Moves src's resampling staging (the per-thread rows that nb_sample_resample keeps in its
 * output buffer) to dst when dst has none and src has one; otherwise does nothing. The two
 * ping-pong buffers of a layer pair then share one staging area instead of growing one each:
 * one copy of the pair's points less in memory, and fresh pages are costly to fault in on
 * some virtual machines (docs/bundling.md, "Memory"). dst then owns the stage (freed by
 * nb_sample_deinit(dst) or moved on); the points and offsets of both buffers are unchanged.
 * No status: nothing is allocated. */
void nb_sample_move_stage(nb_sample_buffer *dst, nb_sample_buffer *src);

/* Ensures room for n_edges edges and n_points points, growing by at least 1.5x so repeated
 * growth stays amortised; keeps the contents. Returns NB_OK or NB_E_NOMEM (buffer unchanged). */
nb_status nb_sample_reserve(nb_sample_buffer *buf, size_t n_edges, size_t n_points);

/* Deep copy of src into dst (reusing dst's capacity). NB_OK or NB_E_NOMEM (dst unchanged). */
nb_status nb_sample_copy(nb_sample_buffer *dst, const nb_sample_buffer *src);

/* Straight edges with their two end points only: edge e from node_pos[source[e]] to
 * node_pos[target[e]]. node_pos: float32[N][3]; source, target: [n_edges] node ids < N
 * (unchecked). Returns NB_OK or NB_E_NOMEM (out unchanged). */
nb_status nb_sample_straight(const float *node_pos, size_t n_edges, const uint32_t *source,
                             const uint32_t *target, nb_sample_buffer *out);

/* Initial sampling of straight edges (method.md §4.7 initial_edge_sample): an edge of length
 * lambda gets n = max(1, ceil(lambda / spacing)) equal segments (n + 1 points).
 *   spacing: sample length l = layer_width / sampling_rate, world units, > 0.
 *   threads: OpenMP threads (<= 0: all). The result does not depend on it.
 * Returns NB_OK, NB_E_INVALID (spacing not finite and > 0), NB_E_NOMEM (out unchanged). */
nb_status nb_sample_initial(const float *node_pos, size_t n_edges, const uint32_t *source,
                            const uint32_t *target, double spacing, int threads,
                            nb_sample_buffer *out);

/* Resamples every polyline of `in` at chord spacing `spacing` (method.md §4.7 edge_sample, without
 * the point cap) into `out` (which must not be `in`); first and last points are copied
 * bit-exactly. One pass over the edges in parallel, each thread writing its contiguous range
 * of edges into its own staging row (kept in `out` for the next call), then a prefix sum of
 * the counts and one copy per thread into place; the result does not depend on `threads`
 * (<= 0: all; small inputs run on one thread).
 * Returns NB_OK, NB_E_INVALID (spacing not finite and > 0, or an edge with < 2 points;
 * subject "edge <e>"), NB_E_NOMEM (out's contents undefined but it stays a valid buffer). */
nb_status nb_sample_resample(const nb_sample_buffer *in, double spacing, int threads,
                             nb_sample_buffer *out);

/* Laplacian smoothing of every input edge fused into resampling (nb_smooth_edge; spec
 * §4.10): the same passes nb_smooth_polylines would run, on a copy of each edge in cache, so
 * the polylines are read once instead of twice. passes 0 = no smoothing. */
typedef struct nb_sample_presmooth {
    int passes;           /* smoothing_iterations, >= 0 */
    double percent;       /* smoothing_percent, (0, 100] */
    double factor;        /* schedule factor r_e^(k+1), (0, 1] */
    double spacing_ratio; /* the input's sample spacing over l (nb_smooth_edge_scaled); 0 or
                             <= 1: the input is sampled at l */
} nb_sample_presmooth;

/* nb_sample_resample of the input smoothed by `pre` (may be NULL: no smoothing); `in` is not
 * modified. The result is bit-identical to nb_smooth_polylines on (a copy of) `in` followed by
 * nb_sample_resample. Returns as nb_sample_resample, plus NB_E_INVALID for a bad `pre`
 * (subjects "smoothing_iterations", "smoothing_percent", "smoothing factor"). */
nb_status nb_sample_resample_smoothed(const nb_sample_buffer *in, const nb_sample_presmooth *pre,
                                      double spacing, int threads, nb_sample_buffer *out);

#endif /* NB_SAMPLE_H */
