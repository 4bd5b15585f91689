/* nb_prune.c - pruning scores per edge and exact-count pruning masks.
 *
 * DESIGN: scores follow method.md §3.4 / §6.1 from an nb_importance: alpha (normalised
 * |w|), the mean over classes (or one class) of the source node's importance, or their
 * product; the class mean is nb_node_stats_of's, the same the bundler and renderer use. The
 * mask sorts (score, edge index) pairs ascending and prunes the first
 * round(fraction * E), so ties are broken by edge index and the count is exact (the reference
 * prunes every edge tied with the threshold, and crashes at p = 1). O(E log E), serial.
 * nb_prune_apply_ops maps a graph edge back to the operator parameters that make it (a
 * convolution's kernel slice, a dense layer's block of inputs of one channel), the inverse of
 * nb_graph_build's edge weights.
 * Reads no config keys (callers pass prune_percentage).
 */
#include "nb_prune.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nb_edge_importance.h"
#include "nb_graph.h"

nb_status nb_prune_scores(const nb_importance *imp, nb_prune_score kind, int cls, float *scores) {
    size_t C = imp->n_classes;
    if (kind != NB_PRUNE_ALPHA_MEAN_GAMMA && kind != NB_PRUNE_MEAN_GAMMA && kind != NB_PRUNE_ALPHA)
        return NB_RAISE(NB_E_INVALID, "prune score", "unknown score kind %d", (int)kind);
    if (cls < -1 || (cls >= 0 && (size_t)cls >= C))
        return NB_RAISE(NB_E_INVALID, "prune class", "class %d outside -1..%zu", cls,
                        C ? C - 1 : 0);
    for (size_t l = 0; l + 1 < imp->n_layers; l++) {
        size_t n_in = imp->layer_size[l], n_out = imp->layer_size[l + 1];
        const float *node = nb_importance_node(imp, l);
        const float *alpha = nb_importance_edge(imp, l);
        float *out = scores + imp->edge_offset[l];
        for (size_t i = 0; i < n_in; i++) {
            /* the source node's importance: one class, or the mean over classes */
            float m = cls >= 0 ? node[i * C + (size_t)cls] : nb_node_stats_of(node + i * C, C).mean;
            for (size_t j = 0; j < n_out; j++) {
                size_t e = j * n_in + i;
                out[e] = kind == NB_PRUNE_ALPHA        ? alpha[e]
                         : kind == NB_PRUNE_MEAN_GAMMA ? m
                                                       : alpha[e] * m;
            }
        }
    }
    return NB_OK;
}

typedef struct scored_edge {
    float score;
    size_t index;
} scored_edge;

static int cmp_scored(const void *a, const void *b) {
    const scored_edge *x = a, *y = b;
    if (x->score < y->score)
        return -1;
    if (x->score > y->score)
        return 1;
    return (x->index > y->index) - (x->index < y->index);
}

nb_status nb_prune_mask(const float *scores, size_t n_edges, double fraction, uint8_t *keep,
                        size_t *n_pruned) {
    if (!(fraction >= 0.0 && fraction <= 1.0))
        return NB_RAISE(NB_E_INVALID, "prune fraction", "%g is outside [0, 1]", fraction);
    for (size_t e = 0; e < n_edges; e++)
        if (isnan(scores[e]))
            return NB_RAISE(NB_E_INVALID, "prune scores", "score of edge %zu is NaN", e);
    size_t n_prune = (size_t)llround(fraction * (double)n_edges);
    if (n_prune > n_edges)
        n_prune = n_edges;
    scored_edge *order = NULL;
    if (n_prune > 0 && n_prune < n_edges) {
        order = malloc(n_edges * sizeof *order);
        if (!order)
            return NB_RAISE(NB_E_NOMEM, "prune scores", "sorting %zu edges", n_edges);
        for (size_t e = 0; e < n_edges; e++) {
            order[e].score = scores[e];
            order[e].index = e;
        }
        qsort(order, n_edges, sizeof *order, cmp_scored);
    }
    for (size_t e = 0; e < n_edges; e++)
        keep[e] = n_prune < n_edges ? 1 : 0;
    if (order)
        for (size_t k = 0; k < n_prune; k++)
            keep[order[k].index] = 0;
    free(order);
    if (n_pruned)
        *n_pruned = n_prune;
    return NB_OK;
}

nb_status nb_prune_apply_ops(const nb_network *net, const uint8_t *keep, nb_network *pruned) {
    if (net->n_ops == 0 || pruned->n_ops != net->n_ops || pruned->n_layers != net->n_layers)
        return NB_RAISE(NB_E_INVALID, "prune operators",
                        "%zu operators and %zu layers, expected the same chain as the network's "
                        "%zu operators (> 0) and %zu layers",
                        pruned->n_ops, pruned->n_layers, net->n_ops, net->n_layers);
    for (size_t k = 0; k < net->n_ops; k++) {
        const nb_op *a = &net->ops[k];
        nb_op *b = &pruned->ops[k];
        if (a->kind != b->kind || nb_op_weight_count(a) != nb_op_weight_count(b))
            return NB_RAISE(NB_E_INVALID, "prune operators", "operator %zu differs", k);
        if (a->weight && b->weight)
            memcpy(b->weight, a->weight, nb_op_weight_count(a) * sizeof(float));
    }
    size_t e0 = 0;
    for (size_t l = 0; l + 1 < net->n_layers; l++) {
        size_t n_in = net->layer_size[l], n_out = net->layer_size[l + 1];
        size_t k = nb_graph_layer_op(net, l + 1);
        float *gw = nb_network_weight(pruned, l);
        const float *src = nb_network_weight(net, l);
        if (k == SIZE_MAX || !pruned->ops[k].weight)
            return NB_RAISE(NB_E_INVALID, "prune operators", "no node operator for layer %zu",
                            l + 1);
        nb_op *op = &pruned->ops[k];
        size_t per_out = nb_op_weight_count(op) / op->out_c;
        size_t block = per_out / n_in; /* kernel taps, or inputs per node */
        for (size_t j = 0; j < n_out; j++)
            for (size_t i = 0; i < n_in; i++) {
                size_t e = j * n_in + i;
                gw[e] = keep[e0 + e] ? src[e] : 0.0f;
                if (!keep[e0 + e])
                    memset(op->weight + j * per_out + i * block, 0, block * sizeof(float));
            }
        e0 += n_in * n_out;
    }
    return NB_OK;
}
