/* nb_graph.h - an operator chain's shapes, and its graph view (the layered node/edge graph
 * that importance, bundling and rendering draw).
 *
 * Node layers: layer 0 is the input; then one node layer per DENSE or CONV2D operator, whose
 * nodes are its output units (DENSE) or output channels (CONV2D). The input's nodes are its
 * in_c*in_h*in_w values when the first node operator is a DENSE with no pooling before it
 * (the classic MLP picture: one node per pixel), else its in_c channels.
 * Pooling, flatten, batch norm, dropout and activations are not node layers.
 * Edge weights of pair l (layer l -> layer l+1), float32[n_{l+1}][n_l]:
 *   DENSE after DENSE (or on the flat input): the weights themselves (signed)
 *   CONV2D: w(o, i) = sum_{kh,kw} |W[o][i][kh][kw]|            (L1 magnitude of the kernel)
 *   DENSE after channels (a FLATTEN of [c][h][w] between): w(j, c) = sum_{p<h*w} |W[j][c*h*w+p]|
 *   DENSE after GLOBAL_AVGPOOL: w(j, c) = W[j][c] (signed; one value per channel)
 * Biases of pair l: the node operator's bias (0 where it has none).
 * Source: docs/models.md.
 */
#ifndef NB_GRAPH_H
#define NB_GRAPH_H

#include <stddef.h>

#include "nb_model.h"
#include "nb_status.h"

/* Fills every operator's in_* and out_* shapes from net->in_c/in_h/in_w, walking the chain.
 * A DENSE flattens its input (in_c*in_h*in_w values); the out_c of DENSE and CONV2D must be
 * set by the caller, everything else is derived (pooling, batch norm and activations keep the
 * channel count). Checks: input shape >= 1, kernels/strides/dilations >= 1, pooling padding
 * smaller than the window, every window fits (output >= 1 pixel), BATCHNORM eps > 0, SOFTMAX
 * only last, at least one DENSE/CONV2D, and the chain ends in a vector (c x 1 x 1) of class
 * scores. Array sizes (weights of the right count) are the caller's contract.
 * Returns NB_OK, NB_E_MISMATCH (subject "operator K (kind)" or "network"), NB_E_INVALID (a bad
 * hyper-parameter or no operators), NB_E_UNSUPPORTED (softmax before the end, no node
 * operator). Shapes of the operators before the failing one are updated. */
nb_status nb_graph_infer_shapes(nb_network *net);

/* Number of node layers of the chain and, if `layer_size` is not NULL, their sizes
 * (size_t[return value]). The operator shapes must be inferred. */
size_t nb_graph_node_layers(const nb_network *net, size_t *layer_size);

/* Index of the operator that produces node layer l (l >= 1), or SIZE_MAX for l = 0. */
size_t nb_graph_layer_op(const nb_network *net, size_t layer);

/* Builds (or rebuilds) the graph view of a network with operators (n_ops > 0; the graph
 * fields may be empty, as an importer leaves them): infers shapes, then replaces n_layers,
 * layer_size, weight/bias offsets, weights, biases and class names as described above. The
 * class count is the last node layer's size; names are kept when the count is unchanged, else
 * "0".."C-1". Keeps provenance, activation, input shape and the operators (moved).
 * NB_OK, the statuses of nb_graph_infer_shapes, NB_E_MISSING (a node operator without
 * weights), NB_E_MISMATCH, NB_E_NOMEM; on failure only operator shapes may have changed. */
nb_status nb_graph_build(nb_network *net);

/* Multiply-accumulate count of one forward pass of operator k for one input (DENSE, CONV2D:
 * weights x output positions; pooling: window x output; others: 0), and its parameter count
 * (weights + biases + 4 per BATCHNORM channel). */
size_t nb_graph_op_macs(const nb_op *op);
size_t nb_graph_op_params(const nb_op *op);

#endif /* NB_GRAPH_H */
