/* nb_metrics.h - quality metrics of a bundle: distortion, edge-length difference, ink ratio.
 *
 * Source: the edge-bundling literature (Lhuillier, Hurter, Telea, CGF 2017: distortion, MELD,
 * ink) and docs/metrics.md (how nnbundle measures them in 3-D). For edge e with polyline length
 * len(e) and straight length |s_e| = distance between its first and last point: distortion(e) =
 * len(e) / |s_e|          (mean and max over edges; 1 = straight) MELD          = mean_e |len(e) -
 * |s_e||  (world units) ink ratio     = occupied voxels of all polylines / occupied voxels of all
 * straight edges, both rasterised into the same axis-aligned voxel lattice (cube side `voxel`,
 * lattice anchored at the world origin) with an exact 3-D DDA traversal of every segment (every
 * voxel a segment passes through counts). ink ratio (layout) = occupied voxels of all polylines /
 * occupied voxels of the straight edges between the laid-out node positions (before the node phase
 * moved them), when those are given max turn      = the largest angle between consecutive segments
 * of any polyline, degrees (0 = straight on, 180 = a full reversal); segments shorter than 1e-9 wu
 *                   are skipped
 * Edges with a straight length below 1e-9 wu are left out of the distortion and MELD means.
 */
#ifndef NB_METRICS_H
#define NB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_model.h"
#include "nb_status.h"

/* Largest voxel lattice the ink ratio rasterises into: at most NB_METRICS_MAX_VOXELS cells
 * (a 32 MiB bit set) and NB_METRICS_MAX_AXIS cells along any axis (which bounds the cost of
 * one segment); beyond either the voxel side is scaled up until the bounding box fits
 * (reported through *voxel_used). */
#define NB_METRICS_MAX_VOXELS ((uint64_t)1 << 28)
#define NB_METRICS_MAX_AXIS   ((uint64_t)1 << 16)

/* Computes all metrics of CSR polylines.
 *   offset[n_edges+1], points float32[offset[n_edges]][3]: polylines, world units.
 *   voxel: voxel side for the ink ratio, world units, > 0 (nnbundle uses the grid cell h).
 *   threads: OpenMP threads (<= 0: all); sums are reduced in a fixed block order and voxels
 *   are set with atomic ORs, so the result does not depend on it.
 *   voxel_used: may be NULL; gets the voxel side actually used (see NB_METRICS_MAX_VOXELS).
 * With no edges (or only degenerate ones) the metrics are the neutral 1, 1, 0, 1.
 * Returns NB_OK, NB_E_INVALID (voxel not finite and > 0), NB_E_NUMERIC (a non-finite point;
 * subject "edge <e>"), NB_E_NOMEM. On failure *out is untouched. */
nb_status nb_metrics_compute(size_t n_edges, const uint64_t *offset, const float *points,
                             double voxel, int threads, nb_bundle_metrics *out, double *voxel_used);

/* nb_metrics_compute, plus the ink ratio against a second straight drawing:
 *   layout_ends: float32[n_edges][2][3], the start and end of every edge as laid out (world
 *   units), or NULL (then out->ink_ratio_layout = NaN).
 * Same statuses (NB_E_NUMERIC also for a non-finite layout end, subject "layout ends"). */
nb_status nb_metrics_compute_against(size_t n_edges, const uint64_t *offset, const float *points,
                                     const float *layout_ends, double voxel, int threads,
                                     nb_bundle_metrics *out, double *voxel_used);

/* The same metrics, piece by piece, for polylines that are never in memory at once (layer pair
 * after layer pair: docs/bundling.md, "Memory"). Two passes over the pieces, in edge order:
 *   nb_metrics_acc_measure   pass 1, each piece once, in order: lengths, turns, distortion
 *                            (summed per block of NB_METRICS_BLOCK global edges, a block split
 *                            over two pieces carried over, blocks added in order: the same
 *                            double sums as nb_metrics_compute) and the bounding box;
 *   nb_metrics_acc_ink_begin sizes the voxel lattice over that box (as nb_metrics_compute does
 *                            over all points): three bit sets of at most NB_METRICS_MAX_VOXELS
 *                            bits (32 MiB) each, whatever the edge count;
 *   nb_metrics_acc_ink       pass 2, each piece once, any order: marks its voxels;
 *   nb_metrics_acc_result    the metrics, equal bit for bit to nb_metrics_compute_against over
 *                            the concatenated pieces (tested).
 * A piece: n_edges polylines, offset[n_edges+1] into points float32[][3] (offsets may be local
 * to the piece), and layout_ends float32[n_edges][2][3] when the accumulator was created
 * with_layout (else NULL). Threads as nb_metrics_compute; one thread at a time per acc. */
typedef struct nb_metrics_acc nb_metrics_acc;

/* An empty accumulator (voxel: as nb_metrics_compute). Returns NB_OK, NB_E_INVALID (voxel),
 * NB_E_NOMEM. The caller owns *out (nb_metrics_acc_destroy). */
nb_status nb_metrics_acc_create(double voxel, int threads, bool with_layout, nb_metrics_acc **out);

/* Pass 1 over the next piece (its edges follow those measured so far). Returns NB_OK,
 * NB_E_NUMERIC (a non-finite point, subject "edge polylines", or layout end, subject "layout
 * ends"; the edge named by its index over all pieces; the accumulator unchanged), NB_E_INVALID
 * (after _ink_begin), NB_E_NOMEM. */
nb_status nb_metrics_acc_measure(nb_metrics_acc *a, size_t n_edges, const uint64_t *offset,
                                 const float *points, const float *layout_ends);

/* Ends pass 1: allocates the lattice. Returns NB_OK or NB_E_NOMEM ("ink ratio"). */
nb_status nb_metrics_acc_ink_begin(nb_metrics_acc *a);

/* Pass 2 over one piece (the same pieces as pass 1). Returns NB_OK or NB_E_INVALID (before
 * _ink_begin). */
nb_status nb_metrics_acc_ink(nb_metrics_acc *a, size_t n_edges, const uint64_t *offset,
                             const float *points, const float *layout_ends);

/* The metrics of every piece (after pass 2); voxel_used as nb_metrics_compute (may be NULL).
 * Returns NB_OK or NB_E_INVALID (before _ink_begin). */
nb_status nb_metrics_acc_result(const nb_metrics_acc *a, nb_bundle_metrics *out,
                                double *voxel_used);

/* Frees a; NULL is a no-op. */
void nb_metrics_acc_destroy(nb_metrics_acc *a);

#endif /* NB_METRICS_H */
