/* nb_graph.c - shape inference over an operator chain, and the graph view that importance,
 * bundling and rendering draw (rules in nb_graph.h and docs/models.md).
 *
 * Shapes follow PyTorch/ONNX: for a convolution or pooling window along one axis of input size
 * n, padding p0 + p1, kernel k, dilation d, stride s, the output size is
 * floor((n + p0 + p1 - d*(k-1) - 1) / s) + 1, which must be >= 1.
 */
#include "nb_graph.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_node_op(nb_op_kind kind) {
    return kind == NB_OP_DENSE || kind == NB_OP_CONV2D;
}

static bool is_pool_op(nb_op_kind kind) {
    return kind == NB_OP_MAXPOOL || kind == NB_OP_AVGPOOL || kind == NB_OP_GLOBAL_AVGPOOL;
}

/* "operator K (kind)" for error subjects. */
static const char *op_subject(char *buf, size_t cap, size_t k, const nb_op *op) {
    const char *name = nb_op_kind_name(op->kind);
    snprintf(buf, cap, "operator %zu (%s)", k, name ? name : "unknown kind");
    return buf;
}

/* Output size along one axis, or 0 when the window does not fit. */
static size_t window_out(size_t n, size_t pad0, size_t pad1, size_t k, size_t d, size_t s) {
    size_t span = d * (k - 1) + 1, padded = n + pad0 + pad1;
    return padded < span ? 0 : (padded - span) / s + 1;
}

static nb_status infer_window(nb_op *op, const char *subject, bool dilated) {
    if (op->kernel_h < 1 || op->kernel_w < 1 || op->stride_h < 1 || op->stride_w < 1)
        return NB_RAISE(NB_E_INVALID, subject, "kernel %zux%zu, stride %zux%zu: each must be >= 1",
                        op->kernel_h, op->kernel_w, op->stride_h, op->stride_w);
    size_t dh = dilated ? op->dilation_h : 1, dw = dilated ? op->dilation_w : 1;
    if (dh < 1 || dw < 1)
        return NB_RAISE(NB_E_INVALID, subject, "dilation %zux%zu: each must be >= 1", dh, dw);
    if (!dilated && (op->pad_top >= op->kernel_h || op->pad_bottom >= op->kernel_h ||
                     op->pad_left >= op->kernel_w || op->pad_right >= op->kernel_w))
        return NB_RAISE(NB_E_INVALID, subject, "padding must be smaller than the %zux%zu window",
                        op->kernel_h, op->kernel_w);
    op->out_h = window_out(op->in_h, op->pad_top, op->pad_bottom, op->kernel_h, dh, op->stride_h);
    op->out_w = window_out(op->in_w, op->pad_left, op->pad_right, op->kernel_w, dw, op->stride_w);
    if (op->out_h == 0 || op->out_w == 0)
        return NB_RAISE(NB_E_MISMATCH, subject,
                        "a %zux%zu window (dilation %zux%zu) does not fit the %zux%zu input with "
                        "padding %zu,%zu,%zu,%zu",
                        op->kernel_h, op->kernel_w, dh, dw, op->in_h, op->in_w, op->pad_top,
                        op->pad_left, op->pad_bottom, op->pad_right);
    return NB_OK;
}

static nb_status infer_one(nb_op *op, const char *subject, bool last) {
    size_t in_count = op->in_c * op->in_h * op->in_w;
    switch (op->kind) {
    case NB_OP_DENSE:
        if (op->out_c < 1)
            return NB_RAISE(NB_E_INVALID, subject, "0 output units");
        op->out_h = op->out_w = 1;
        return NB_OK;
    case NB_OP_CONV2D:
        if (op->out_c < 1)
            return NB_RAISE(NB_E_INVALID, subject, "0 output channels");
        return infer_window(op, subject, true);
    case NB_OP_MAXPOOL:
    case NB_OP_AVGPOOL:
        op->out_c = op->in_c;
        return infer_window(op, subject, false);
    case NB_OP_GLOBAL_AVGPOOL:
        op->out_c = op->in_c;
        op->out_h = op->out_w = 1;
        return NB_OK;
    case NB_OP_FLATTEN:
        op->out_c = in_count;
        op->out_h = op->out_w = 1;
        return NB_OK;
    case NB_OP_SOFTMAX:
        if (!last)
            return NB_RAISE(NB_E_UNSUPPORTED, subject,
                            "softmax is supported as the last operator only");
        /* fall through */
    case NB_OP_BATCHNORM:
    case NB_OP_DROPOUT:
    case NB_OP_RELU:
    case NB_OP_LEAKY_RELU:
    case NB_OP_SIGMOID:
    case NB_OP_TANH:
    case NB_OP_GELU:
        op->out_c = op->in_c;
        op->out_h = op->in_h;
        op->out_w = op->in_w;
        return NB_OK;
    case NB_OP_COUNT:
        break;
    }
    return NB_RAISE(NB_E_INVALID, subject, "unknown operator kind %d", (int)op->kind);
}

nb_status nb_graph_infer_shapes(nb_network *net) {
    if (net->n_ops == 0 || !net->ops)
        return NB_RAISE(NB_E_INVALID, "network", "no operators");
    if (net->in_c < 1 || net->in_h < 1 || net->in_w < 1)
        return NB_RAISE(NB_E_INVALID, "network", "input shape %zux%zux%zu has a zero size",
                        net->in_c, net->in_h, net->in_w);
    size_t c = net->in_c, h = net->in_h, w = net->in_w;
    bool any_node = false;
    char subject[64];
    for (size_t k = 0; k < net->n_ops; k++) {
        nb_op *op = &net->ops[k];
        op_subject(subject, sizeof subject, k, op);
        op->in_c = c;
        op->in_h = h;
        op->in_w = w;
        NB_TRY(infer_one(op, subject, k + 1 == net->n_ops));
        if (op->kind == NB_OP_BATCHNORM && op->eps <= 0.0f)
            return NB_RAISE(NB_E_INVALID, subject, "epsilon %g must be > 0", (double)op->eps);
        any_node = any_node || is_node_op(op->kind);
        c = op->out_c;
        h = op->out_h;
        w = op->out_w;
    }
    if (!any_node)
        return NB_RAISE(NB_E_UNSUPPORTED, "network", "no dense or convolution operator");
    if (h != 1 || w != 1)
        return NB_RAISE(NB_E_MISMATCH, "network",
                        "the last operator gives %zux%zux%zu values, expected a vector of class "
                        "scores (c x 1 x 1)",
                        c, h, w);
    return NB_OK;
}

/* True when node layer 0 is the flattened input (its values are nodes), false when it is the
 * input's channels: flat iff the first node operator is DENSE and no pooling precedes it. */
static bool input_is_flat(const nb_network *net) {
    for (size_t k = 0; k < net->n_ops; k++) {
        nb_op_kind kind = net->ops[k].kind;
        if (is_pool_op(kind))
            return false;
        if (is_node_op(kind))
            return kind == NB_OP_DENSE;
    }
    return false;
}

size_t nb_graph_node_layers(const nb_network *net, size_t *layer_size) {
    size_t L = 1;
    if (layer_size)
        layer_size[0] = input_is_flat(net) ? net->in_c * net->in_h * net->in_w : net->in_c;
    for (size_t k = 0; k < net->n_ops; k++) {
        if (!is_node_op(net->ops[k].kind))
            continue;
        if (layer_size)
            layer_size[L] = net->ops[k].out_c;
        L++;
    }
    return L;
}

size_t nb_graph_layer_op(const nb_network *net, size_t layer) {
    if (layer == 0)
        return SIZE_MAX;
    size_t l = 0;
    for (size_t k = 0; k < net->n_ops; k++)
        if (is_node_op(net->ops[k].kind) && ++l == layer)
            return k;
    return SIZE_MAX;
}

/* Edge weights float32[out][prev] and biases of the pair that ends at node operator op, whose
 * previous node layer has `prev` nodes. */
static nb_status pair_weights(const nb_op *op, size_t prev, const char *subject, float *w,
                              float *b) {
    size_t out = op->out_c;
    if (op->kind == NB_OP_CONV2D) {
        if (op->in_c != prev)
            return NB_RAISE(NB_E_MISMATCH, subject,
                            "%zu input channels, the previous layer has %zu", op->in_c, prev);
        size_t kk = op->kernel_h * op->kernel_w;
        for (size_t o = 0; o < out; o++)
            for (size_t i = 0; i < prev; i++) {
                const float *kern = op->weight + (o * prev + i) * kk;
                double sum = 0.0;
                for (size_t q = 0; q < kk; q++)
                    sum += fabs((double)kern[q]);
                w[o * prev + i] = (float)sum;
            }
    } else {
        size_t in = op->in_c * op->in_h * op->in_w;
        if (in % prev != 0)
            return NB_RAISE(NB_E_MISMATCH, subject,
                            "%zu inputs do not split into the previous layer's %zu nodes", in,
                            prev);
        size_t block = in / prev;
        for (size_t j = 0; j < out; j++) {
            const float *row = op->weight + j * in;
            for (size_t p = 0; p < prev; p++) {
                if (block == 1) {
                    w[j * prev + p] = row[p];
                    continue;
                }
                double sum = 0.0;
                for (size_t q = 0; q < block; q++)
                    sum += fabs((double)row[p * block + q]);
                w[j * prev + p] = (float)sum;
            }
        }
    }
    for (size_t o = 0; o < out; o++)
        b[o] = op->bias ? op->bias[o] : 0.0f;
    return NB_OK;
}

nb_status nb_graph_build(nb_network *net) {
    NB_TRY(nb_graph_infer_shapes(net));
    char subject[64];
    for (size_t k = 0; k < net->n_ops; k++) {
        const nb_op *op = &net->ops[k];
        if (is_node_op(op->kind) && !op->weight)
            return NB_RAISE(NB_E_MISSING, op_subject(subject, sizeof subject, k, op),
                            "no weight array");
    }
    size_t L = nb_graph_node_layers(net, NULL);
    size_t *sizes = malloc(L * sizeof *sizes);
    if (!sizes)
        return NB_RAISE(NB_E_NOMEM, "network", "cannot allocate %zu layer sizes", L);
    nb_graph_node_layers(net, sizes);
    nb_network g;
    nb_status s = nb_network_init(&g, L, sizes);
    free(sizes);
    if (s != NB_OK)
        return s;
    for (size_t l = 1; l < L && s == NB_OK; l++) {
        size_t k = nb_graph_layer_op(net, l);
        s = pair_weights(&net->ops[k], g.layer_size[l - 1],
                         op_subject(subject, sizeof subject, k, &net->ops[k]),
                         nb_network_weight(&g, l - 1), nb_network_bias(&g, l - 1));
    }
    if (s == NB_OK && net->class_names && net->n_classes == g.n_classes)
        for (size_t c = 0; c < g.n_classes && s == NB_OK; c++)
            if (net->class_names[c])
                s = nb_network_set_class_name(&g, c, net->class_names[c]);
    if (s != NB_OK) {
        nb_network_deinit(&g);
        return s;
    }
    memcpy(g.activation, net->activation, sizeof g.activation);
    memcpy(g.source, net->source, sizeof g.source);
    memcpy(g.dataset, net->dataset, sizeof g.dataset);
    g.epochs = net->epochs;
    g.seed = net->seed;
    g.l1 = net->l1;
    g.train_accuracy = net->train_accuracy;
    g.test_accuracy = net->test_accuracy;
    g.in_c = net->in_c;
    g.in_h = net->in_h;
    g.in_w = net->in_w;
    g.n_ops = net->n_ops;
    g.ops = net->ops;
    net->n_ops = 0;
    net->ops = NULL;
    nb_network_deinit(net);
    *net = g;
    return NB_OK;
}

size_t nb_graph_op_macs(const nb_op *op) {
    switch (op->kind) {
    case NB_OP_DENSE:
        return op->out_c * op->in_c * op->in_h * op->in_w;
    case NB_OP_CONV2D:
        return op->out_c * op->out_h * op->out_w * op->in_c * op->kernel_h * op->kernel_w;
    case NB_OP_MAXPOOL:
    case NB_OP_AVGPOOL:
        return op->out_c * op->out_h * op->out_w * op->kernel_h * op->kernel_w;
    case NB_OP_GLOBAL_AVGPOOL:
        return op->in_c * op->in_h * op->in_w;
    default:
        return 0;
    }
}

size_t nb_graph_op_params(const nb_op *op) {
    size_t n = 0;
    if (op->weight)
        n += nb_op_weight_count(op);
    if (op->bias)
        n += nb_op_bias_count(op);
    if (op->kind == NB_OP_BATCHNORM)
        n += 4 * nb_op_channel_count(op);
    return n;
}
