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

#endif /* NB_METRICS_H */
