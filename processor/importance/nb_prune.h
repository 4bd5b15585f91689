/* nb_prune.h - pruning scores and exact-count pruning masks.
 *
 * Source: method.md §3.4 and §6.1. Edges are numbered globally in pair-major order, then
 * row-major within a pair's weight matrix: edge (l, out j, in i) has index
 * edge_offset[l] + j * n_l + i (the same layout as nb_importance.edge).
 * Differences from the original: a level p prunes exactly round(p * E) edges (ties broken by
 * edge index, lowest first), so the kept fraction is exact to one edge; p = 1 prunes all
 * (callers that must keep edges, like bundling, reject p >= 1 in config validation).
 */
#ifndef NB_PRUNE_H
#define NB_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "nb_model.h"
#include "nb_status.h"

typedef enum nb_prune_score {
    NB_PRUNE_ALPHA_MEAN_GAMMA = 0, /* alpha * mean_c(source node importance)   ("BNN_EDGE") */
    NB_PRUNE_MEAN_GAMMA = 1,       /* mean_c(source node importance)           ("BNN_ONLY") */
    NB_PRUNE_ALPHA = 2,            /* alpha                                    ("EDGE_ONLY") */
} nb_prune_score;

/* Scores for all E edges into scores[E] (float32), E = sum_l n_l * n_{l+1}, in the edge
 * order above; the source node of edge (l, j, i) is node i of layer l.
 *   cls: -1 = mean over all classes; 0..C-1 = that class's importance only (class-specific).
 * Returns NB_OK, NB_E_INVALID (cls out of range: subject "prune class"; kind not in the enum:
 * subject "prune score"). scores is untouched on failure. */
nb_status nb_prune_scores(const nb_importance *imp, nb_prune_score kind, int cls, float *scores);

/* keep[E] = 0 for the round(fraction * E) lowest-scoring edges (ties: lower index pruned
 * first; round half away from zero), 1 otherwise. fraction in [0, 1]; 1 prunes every edge
 * (evaluation measures 100 %), while the processing config's prune_percentage is limited to
 * [0, 1) by config validation. *n_pruned (may be NULL) gets the count.
 * Returns NB_OK, NB_E_INVALID (fraction outside [0,1] or NaN: subject "prune fraction"; a NaN
 * score: subject "prune scores"), NB_E_NOMEM. keep is untouched on failure. */
nb_status nb_prune_mask(const float *scores, size_t n_edges, double fraction, uint8_t *keep,
                        size_t *n_pruned);

/* Applies an edge mask to the operators of a network with operators (n_ops > 0, graph view
 * built by nb_graph_build; docs/models.md): every operator parameter is copied from `net`
 * into `pruned` (a copy of net: nb_network_copy), then the parameters that make each edge
 * with keep[e] == 0 are zeroed:
 *   CONV2D pair (out channel o, in channel i):  the kernel slice W[o][i][*][*];
 *   DENSE pair (out j, in node p) whose input splits into blocks of b = in/n_l values per
 *   node (b = 1 on a flat input or after global pooling; h*w per channel after a flatten):
 *   W[j][p*b .. p*b + b).
 * Biases stay. Pruning every edge out of a node (the mean_gamma order prunes nodes) thus
 * zeroes that node's channel in every operator that reads it. The graph view of `pruned` is
 * masked the same way, so it stays the view of its operators. keep: uint8[E] in the edge
 * order above. Returns NB_OK, NB_E_INVALID (no operators, or pruned's chain differs from
 * net's: subject "prune operators"). */
nb_status nb_prune_apply_ops(const nb_network *net, const uint8_t *keep, nb_network *pruned);

#endif /* NB_PRUNE_H */
