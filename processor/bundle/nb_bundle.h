/* nb_bundle.h - the bundling driver: layout, pruning, node phase, edge phase, final resample.
 *
 * Source: method.md §3 (layout), §3.4 (pruning), §4.1-4.12 (bundling, order of
 * operations) with the fixes of method.md §8.1. Data flow:
 *   nb_bundle_create   lay out the nodes (§3), prune (§3.4, exact count via nb_prune.h),
 *                      build the node map and one grid per layer pair (§4.2)
 *   nb_bundle_step     one iteration of the current phase:
 *                        node phase k (§4.4-4.6): 2-D density + node advection with
 *                          bandwidth b_k = node_bandwidth * W * r_n^k and similarity sigma_k,
 *                          node i stepping w_i * node_step * b_k (w_i from its class contrast,
 *                          node_class_contrast), then the layout guard of each layer
 *                          (node_min_distance, node_min_spread; docs/bundling.md "Node
 *                          phase"), while b_k >= 2h; at its end straight edges are rebuilt
 *                          between the moved nodes and sampled at l = W / sampling_rate (§4.7)
 *                        edge phase k (§4.7-4.10): resample every edge at max(l,
 *                          edge_spacing_bandwidth * b_k) (the reference: l; CUBu); per layer pair
 *                          segment density + sample advection with b_k = edge_bandwidth * W *
 *                          r_e^k (interior points move edge_step * b_k; the reference moves
 *                          b_k) and similarity min(sigma_k, edge_similarity_max) (the
 *                          reference: sigma_k), repulsion saturating with density
 *                          (edge_repulsion_saturation; docs/bundling.md "Edge phase"), the
 *                          fast back-end's kernel width fast_kernel_scale (docs/density.md
 *                          "Calibration with the whole pipeline"); with
 *                          edge_clamp_to_layers z is clamped between
 *                          the pair's two layer planes (the reference: no clamp);
 *                          smoothing_iterations Laplacian passes with factor r_e^(k+1), their
 *                          variance kept in world units at the coarser spacing;
 *                          while b_k >= 2h
 *   nb_bundle_finish   runs what is left, resamples once more, computes the metrics
 *                      (nb_metrics.h, voxel = h; the layout ink ratio against the straight
 *                      edges between the laid-out nodes) and returns the /bundle group
 * sigma_k = sqrt(max(0, 1 - (b_k - 2h) / (b_0 - 2h))) (§4.6). Defaults (W = 1, rho = 15) give
 * 56 node and 23 edge iterations. node_advection / edge_advection = false skip a phase (no
 * iterations; with both off the result is the straight edges, sampled at l).
 * Results are identical for any thread count (every stage is deterministic, see the modules).
 *
 * Thread safety: a state is used by one thread at a time (create, step, snapshot, finish,
 * destroy must be serialised by the caller, e.g. all on one worker thread, or guarded by a
 * mutex). Two calls are safe from any thread at any time while another thread works on the
 * state: nb_bundle_cancel and nb_bundle_query_progress (both use atomics). A GUI therefore
 * runs step (or finish) on a worker thread, polls progress from the UI thread, asks the
 * worker for snapshots between steps, and cancels with nb_bundle_cancel; a cancelled step or
 * finish returns NB_E_CANCELLED between iterations and leaves the state consistent (it can
 * still be snapshotted and destroyed).
 */
#ifndef NB_BUNDLE_H
#define NB_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_config.h"
#include "nb_model.h"
#include "nb_status.h"

typedef enum nb_bundle_phase {
    NB_BUNDLE_PHASE_NODE = 0,     /* node iterations remain */
    NB_BUNDLE_PHASE_EDGE = 1,     /* edge iterations remain */
    NB_BUNDLE_PHASE_DONE = 2,     /* all iterations run; finish resamples and measures */
    NB_BUNDLE_PHASE_FINISHED = 3, /* finish has completed */
} nb_bundle_phase;

typedef struct nb_bundle_progress {
    nb_bundle_phase phase;
    int iteration;       /* iterations of the current phase done (0..n_iterations) */
    int n_iterations;    /* iteration count of the current phase (0 when DONE/FINISHED) */
    int node_iterations; /* iteration count of the node phase (0 if node_advection is off) */
    int edge_iterations; /* iteration count of the edge phase (0 if edge_advection is off) */
} nb_bundle_progress;

/* Wall-clock seconds spent so far, by stage. */
typedef struct nb_bundle_timings {
    double layout;         /* create: layout, pruning, grids, density workspace */
    double node_phase;     /* all node iterations */
    double straight;       /* rebuilding and sampling the straight edges after the node phase */
    double edge_phase;     /* all edge iterations (= resample + density + smoothing + rest) */
    double resample;       /* per-iteration resampling (edge phase), including the smoothing
                              of the previous iteration, which runs fused into it */
    double density;        /* segment density + sample advection (edge phase) */
    double smoothing;      /* separate smoothing passes: ~0, smoothing is fused (above) */
    double final_resample; /* the resample after the last iteration (with its smoothing) */
    double metrics;        /* quality metrics */
    double total;          /* everything from create to the end of finish */
} nb_bundle_timings;

typedef struct nb_bundle_state nb_bundle_state; /* opaque */

/* Number of iterations k = 0, 1, ... with b0 * reduction^k >= limit (method.md §4.6): the phase
 * runs while its bandwidth is at least two grid cells. 0 if b0 < limit. Arguments must be
 * finite, b0 > 0, limit > 0, reduction in (0, 1). */
int nb_bundle_iteration_count(double b0, double reduction, double limit);

/* Similarity threshold sigma_k = min(max, sqrt(max(0, 1 - (b - limit) / (b0 - limit))))
 * (method.md §4.6 with max = 1; the edge phase passes edge_similarity_max, the node phase 1);
 * min(max, 1) when b0 <= limit. Bandwidths in world units, result a cosine in [0, max]. */
double nb_bundle_similarity(double b, double b0, double limit, double max);

/* What a bundling run reads: one field per processing key of the stage, named like the key;
 * its meaning, default and range are the key's (common/nb_processing_config.c, configs/README.md).
 * A zero field means the key's default; NB_SETTING_ZERO asks for 0 (false) where the default
 * is not 0. nb_bundle_create resolves and validates the settings against the key table. */
typedef struct nb_bundle_settings {
    double layer_distance;
    double layer_width;
    double prune_percentage;
    double sampling_rate;
    double node_bandwidth;
    double edge_bandwidth;
    double node_bandwidth_reduction;
    double edge_bandwidth_reduction;
    double node_step;
    double node_class_contrast;
    double node_min_spread;
    double node_min_distance;
    double edge_step;
    double edge_similarity_max;
    double edge_repulsion_saturation;
    double edge_spacing_bandwidth;
    double density_strength;
    double smoothing_percent;
    double fast_kernel_scale;
    int edge_importance_type;
    int smoothing_iterations;
    int edge_clamp_to_layers; /* bool */
    int smoothing;            /* bool */
    int node_advection;       /* bool */
    int edge_advection;       /* bool */
    nb_density_backend density;
    /* The processing config whose other keys are recorded with these settings in the result's
     * config_json (not owned; read during nb_bundle_create only); NULL records the defaults. */
    const nb_processing_config *record;
} nb_bundle_settings;

/* Checks cfg against the key table (nb_config_validate), then fills *out with the values of
 * its bundle keys (zeros that are not the default become NB_SETTING_ZERO) and record = cfg.
 * Returns NB_OK or NB_E_CONFIG ("processing <key>"; *out untouched). */
nb_status nb_bundle_settings_from_config(const nb_processing_config *cfg, nb_bundle_settings *out);

/* out = settings with every zero replaced by the key's default and NB_SETTING_ZERO by 0. */
void nb_bundle_settings_resolve(const nb_bundle_settings *settings, nb_bundle_settings *out);

/* Resolves settings and checks every field against the key table (by writing the fields into
 * a processing config over settings->record, or the defaults, and running
 * nb_config_validate). Returns NB_OK or NB_E_CONFIG with the table's subject and message
 * ("processing node_bandwidth": "20 is out of range (0, 10]"). */
nb_status nb_bundle_settings_validate(const nb_bundle_settings *settings);

/* Sets up a bundling run.
 *   settings: what the run reads (above); validated here (nb_bundle_settings_validate).
 *   net:     the network (layer sizes; edges are its weights, pair-major, out x in order).
 *   imp:     importance of the same shape (node class importance [N][C], alpha per edge).
 *   threads: OpenMP threads (<= 0: all cores); results do not depend on it.
 * Copies what it needs: settings, net and imp may be freed after the call. Edges keep the
 * weight order (pair-major, then out x in); pruned edges are dropped. The caller owns *out
 * (nb_bundle_destroy).
 * Logs a warning (nb_log_warn) naming the layers whose class vectors are nearly parallel to
 * their layer's mean (mean cosine >= 0.95).
 * Returns NB_OK, NB_E_CONFIG (a setting outside its key's range, subject "processing <key>";
 * sampling_rate giving too many grid cells, subject "sampling_rate"), NB_E_MISMATCH
 * (importance shape differs from the network; subject "importance"), NB_E_INVALID (a network
 * with more than 2^32 nodes), NB_E_NOMEM, or a status of nb_density_create. */
nb_status nb_bundle_create(const nb_bundle_settings *settings, const nb_network *net,
                           const nb_importance *imp, int threads, nb_bundle_state **out);

/* Runs one iteration of the current phase (a node iteration, else an edge iteration; moving
 * from the node to the edge phase rebuilds the straight edges). Does nothing in phase DONE or
 * FINISHED. Returns NB_OK, NB_E_CANCELLED (nb_bundle_cancel was called; nothing was run),
 * NB_E_NOMEM, or a status of the density back-end. */
nb_status nb_bundle_step(nb_bundle_state *st);

/* Layer pair `pair`'s polylines after its edge phase (borrowed from the state: valid until the
 * next call that changes the state). Offsets are local to the pair (offset[0] = 0); its edges
 * are the global edges first_edge ... first_edge + n_edges - 1 (weight order). */
typedef struct nb_bundle_pair_view {
    size_t pair;
    size_t first_edge;      /* global index of the pair's first kept edge */
    size_t n_edges;         /* E_p */
    size_t n_points;        /* S_p */
    const uint64_t *offset; /* [E_p + 1] */
    const float *points;    /* float32[S_p][3], world units */
} nb_bundle_pair_view;

/* Runs every remaining edge iteration of layer pair `pair` (0 ... L-2) and its final resample
 * at l, without touching the other pairs: the edge phase treats pairs independently (each
 * has its own grid and polylines), so running pairs one after another, in any order, or on
 * different processes, gives the same polylines bit for bit as nb_bundle_step / finish. The
 * node phase must be over (step until the progress phase is EDGE or DONE). A later
 * nb_bundle_step skips the pairs run this way. Memory: only this pair's polylines grow
 * (docs/bundling.md, "Memory").
 * Returns NB_OK, NB_E_INVALID (pair out of range, the node phase not finished, or the pair
 * released; subject "pair"), NB_E_CANCELLED (between iterations), NB_E_NOMEM, or a status of
 * the density back-end. */
nb_status nb_bundle_pair_edge_phase(nb_bundle_state *st, size_t pair);

/* One step of nb_bundle_pair_edge_phase: the pair's next edge iteration, or, after its last,
 * its final resample; *done = true once the final resample has run (then a call does
 * nothing). For a progress display: a pair takes edge_iterations + 1 steps. Same statuses as
 * nb_bundle_pair_edge_phase. */
nb_status nb_bundle_pair_step(nb_bundle_state *st, size_t pair, bool *done);

/* *out = pair `pair`'s current polylines (final once nb_bundle_pair_edge_phase returned; any
 * pending smoothing is not applied). After the node phase, a pair that has not started yet is
 * given its straight edges, sampled here (they are otherwise sampled at the pair's first
 * iteration; the same points either way); during the node phase the view is empty. Returns
 * NB_OK, NB_E_INVALID (out of range, released; subject "pair") or NB_E_NOMEM. */
nb_status nb_bundle_query_pair(const nb_bundle_state *st, size_t pair, nb_bundle_pair_view *out);

/* Frees pair `pair`'s polylines once the caller has stored them (after
 * nb_bundle_pair_edge_phase), so that a network whose polylines do not fit in memory at once
 * can be bundled pair by pair. A released pair can no longer be snapshotted or finished
 * (those return NB_E_INVALID). No-op if already released or out of range. */
void nb_bundle_pair_release(nb_bundle_state *st, size_t pair);

/* Number of layer pairs, L - 1. */
size_t nb_bundle_query_pair_count(const nb_bundle_state *st);

/* Kept edges of layer pair `pair` (0 when out of range), in any phase, released or not. Unlike
 * nb_bundle_query_pair it samples nothing: for sizing work (progress totals, the MPI owners)
 * without making a pair that has not started hold its straight edges. */
size_t nb_bundle_query_pair_edges(const nb_bundle_state *st, size_t pair);

/* Installs layer pair `pair`'s final polylines computed elsewhere (another MPI rank,
 * nb_bundle_mpi.h): a copy of offset (uint64[E_p + 1], local to the pair) and points
 * (float32[n_points][3]); the pair counts as run to its end (nb_bundle_pair_edge_phase) and
 * is no longer released, so nb_bundle_finish assembles and measures it as if it had been
 * computed here. The node phase must be over. Returns NB_OK, NB_E_INVALID (out of range, or
 * the node phase not finished; subject "pair"), NB_E_FORMAT (offsets not from 0 to
 * n_points, or an edge with < 2 points; subject "pair"), NB_E_NOMEM (pair unchanged). */
nb_status nb_bundle_pair_install(nb_bundle_state *st, size_t pair, size_t n_points,
                                 const uint64_t *offset, const float *points);

/* Where the run stands. Safe from any thread while another works on st. */
void nb_bundle_query_progress(const nb_bundle_state *st, nb_bundle_progress *out);

/* Timings so far. Same threading rule as step. */
void nb_bundle_query_timings(const nb_bundle_state *st, nb_bundle_timings *out);

/* A copy of the current geometry in the /bundle form: node positions, edges (during the node
 * phase as straight 2-point polylines between the current node positions), current polylines
 * otherwise; iteration counts so far; metrics left NaN (only finish computes them).
 * *out is initialised here (caller deinits with nb_bundle_data_deinit).
 * Returns NB_OK or NB_E_NOMEM (*out zeroed). */
nb_status nb_bundle_query_snapshot(const nb_bundle_state *st, nb_bundle_data *out);

/* Runs the remaining iterations, the final resample and the metrics, and returns the /bundle
 * group (resolved config as JSON, iteration counts, timings, metrics). *out is initialised
 * here (caller deinits). Calling finish again after success returns the same result.
 * Returns NB_OK, NB_E_CANCELLED (between iterations; *out untouched), NB_E_NOMEM, or a status
 * of a stage. */
nb_status nb_bundle_finish(nb_bundle_state *st, nb_bundle_data *out);

/* Where nb_bundle_stream_pair puts a finished layer pair's polylines, so that the run never
 * holds more than one pair's (docs/bundling.md, "Memory"). Both callbacks return NB_OK or a
 * status that stops the run (passed on unchanged). */
typedef struct nb_bundle_sink {
    /* Stores pair v->pair's final polylines (the view is valid during the call only). Called
     * once per pair, in pair order. */
    nb_status (*put)(void *user, const nb_bundle_pair_view *v);
    /* Gives back what put stored for pair `pair` (n_points points): *points = float32[n][3],
     * borrowed until the next call. Called once per pair, in order, by
     * nb_bundle_finish_streamed (the ink ratio's second pass). */
    nb_status (*get)(void *user, size_t pair, size_t n_points, const float **points);
    void *user;
} nb_bundle_sink;

/* Runs the rest of layer pair `pair` (nb_bundle_pair_edge_phase), measures it (pass 1 of the
 * metrics: nb_metrics_acc_measure), hands its polylines to sink->put and releases them
 * (nb_bundle_pair_release). Pairs must be streamed in order, 0, 1, ..., L-2, after the node
 * phase. Returns NB_OK, NB_E_INVALID (out of range or out of order; subject "pair"),
 * NB_E_NUMERIC (a non-finite point), the statuses of nb_bundle_pair_edge_phase, or the sink's.
 * After a failure the state can only be destroyed. */
nb_status nb_bundle_stream_pair(nb_bundle_state *st, size_t pair, const nb_bundle_sink *sink);

/* nb_bundle_finish for a streamed run: runs what is left of the node phase, streams the pairs
 * not streamed yet (nb_bundle_stream_pair), reads each pair back once through sink->get for
 * the ink ratio, and returns the /bundle group without its polylines: everything as
 * nb_bundle_finish gives it (the same bits: the metrics too), except point_position = NULL;
 * n_points and edge_point_offset are set. The points are the concatenation, in pair order, of
 * what sink->put received. Can be called once. Returns NB_OK, NB_E_INVALID (called again),
 * NB_E_CANCELLED, NB_E_NOMEM, the statuses of nb_bundle_stream_pair and the sink's. */
nb_status nb_bundle_finish_streamed(nb_bundle_state *st, const nb_bundle_sink *sink,
                                    nb_bundle_data *out);

/* Asks a running step/finish to stop at the next iteration boundary. Any thread. */
void nb_bundle_cancel(nb_bundle_state *st);

/* Frees the state; NULL is a no-op. */
void nb_bundle_destroy(nb_bundle_state *st);

#endif /* NB_BUNDLE_H */
