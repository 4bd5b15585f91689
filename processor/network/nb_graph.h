/* nb_graph.h - an operator chain's shapes, and its graph view (the layered node/edge graph
 * that importance, bundling and rendering draw).
 *
 * Node layers: layer 0 is the input; then one node layer per DENSE or CONV2D operator, whose
 * nodes are its output units (DENSE) or output channels (CONV2D). The input's nodes are its
 * channels when the first node operator is a CONV2D, else its in_c*in_h*in_w flattened values.
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
 * Checks that each operator fits its input: DENSE in-count = previous out count (flattened),
 * CONV2D in_c, kernels/strides/dilations >= 1, outputs >= 1 pixel, BATCHNORM channel count,
 * SOFTMAX only last, at least one DENSE/CONV2D, the last node operator a DENSE whose
 * out_c = n_classes (when net->n_classes > 0). Out shapes of DENSE/CONV2D must already be set
 * (out_c); everything else is derived.
 * Returns NB_OK, NB_E_MISMATCH (subject "operator K (kind)", message says which shape),
 * NB_E_INVALID (a bad hyper-parameter). */
nb_status nb_graph_infer_shapes(nb_network *net);

/* Number of node layers of the chain and, if `layer_size` is not NULL, their sizes
 * (size_t[return value]). The operator shapes must be inferred. */
size_t nb_graph_node_layers(const nb_network *net, size_t *layer_size);

/* Index of the operator that produces node layer l (l >= 1), or SIZE_MAX for l = 0. */
size_t nb_graph_layer_op(const nb_network *net, size_t layer);

/* Rebuilds the graph view of a network with operators (n_ops > 0): infers shapes, then
 * replaces n_layers, layer_size, weight/bias offsets, weights and biases as described above;
 * keeps class names (padding/truncating to the new class count with "0".."C-1"), provenance
 * and the operators. NB_OK, or the statuses of nb_graph_infer_shapes, NB_E_NOMEM; on failure
 * *net is unchanged. */
nb_status nb_graph_build(nb_network *net);

/* Multiply-accumulate count of one forward pass of operator k for one input (DENSE, CONV2D:
 * weights x output positions; pooling: window x output; others: 0), and its parameter count
 * (weights + biases + 4 per BATCHNORM channel). */
size_t nb_graph_op_macs(const nb_op *op);
size_t nb_graph_op_params(const nb_op *op);

#endif /* NB_GRAPH_H */
