/* nb_slimming.c - the fine-tune chain of BN-gamma importance on operator networks.
 *
 * DESIGN: nb_slimming_init copies the source chain operator by operator (deep copies, so the
 * trainer may update the copy in place): a batch norm right after a dense or conv2d is folded
 * into it (w' = w * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta,
 * per output channel, in double), a final softmax is dropped, and the batch norms of the node
 * layers are inserted where nb_slimming.h says; the last node operator is re-made with 2
 * outputs (the head). Shapes are inferred by nb_graph_infer_shapes. nb_slimming_reset rewrites
 * only the head's arrays and the inserted batch norms' parameters, so one chain serves every
 * class. Source: Liu et al., ICCV 2017; method.md §2.4. Threading: none; one struct per
 * thread. Reads no config keys.
 */
#include "nb_slimming.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_bn.h"
#include "nb_graph.h"

static bool is_node(nb_op_kind k) {
    return k == NB_OP_DENSE || k == NB_OP_CONV2D;
}

/* Element-wise operators that keep a node layer's values per channel (they follow its node
 * operator in the activations of nb_layers_forward). */
static bool is_elementwise(nb_op_kind k) {
    return k == NB_OP_RELU || k == NB_OP_LEAKY_RELU || k == NB_OP_SIGMOID || k == NB_OP_TANH ||
           k == NB_OP_GELU || k == NB_OP_DROPOUT || k == NB_OP_BATCHNORM;
}

static bool is_pool(nb_op_kind k) {
    return k == NB_OP_MAXPOOL || k == NB_OP_AVGPOOL || k == NB_OP_GLOBAL_AVGPOOL;
}

/* Folds batch norm bn into the node operator op (deep copy already made). */
static void fold_batchnorm(nb_op *op, const nb_op *bn) {
    size_t per = nb_op_weight_count(op) / op->out_c;
    for (size_t o = 0; o < op->out_c; o++) {
        double scale = (double)bn->gamma[o] / sqrt((double)bn->var[o] + (double)bn->eps);
        for (size_t q = 0; q < per; q++)
            op->weight[o * per + q] = (float)((double)op->weight[o * per + q] * scale);
        double b = op->bias ? (double)op->bias[o] : 0.0;
        op->bias[o] = (float)((b - (double)bn->mean[o]) * scale + (double)bn->beta[o]);
    }
}

/* A batch norm over n channels with gamma 1, beta 0, running mean 0 and variance 1. */
static nb_status make_batchnorm(nb_op *op, size_t n) {
    memset(op, 0, sizeof *op);
    op->kind = NB_OP_BATCHNORM;
    op->eps = NB_BN_EPS;
    op->gamma = malloc(n * sizeof(float));
    op->beta = calloc(n, sizeof(float));
    op->mean = calloc(n, sizeof(float));
    op->var = malloc(n * sizeof(float));
    if (!op->gamma || !op->beta || !op->mean || !op->var) {
        nb_op_deinit(op);
        return NB_RAISE(NB_E_NOMEM, "importance", "a batch norm of %zu channels", n);
    }
    for (size_t i = 0; i < n; i++)
        op->gamma[i] = op->var[i] = 1.0f;
    return NB_OK;
}

/* A node operator copied with its bias made explicit (zeros where it had none). */
static nb_status copy_node(nb_op *dst, const nb_op *src) {
    NB_TRY(nb_op_copy(dst, src));
    if (!dst->bias) {
        dst->bias = calloc(src->out_c, sizeof(float));
        if (!dst->bias) {
            nb_op_deinit(dst);
            return NB_RAISE(NB_E_NOMEM, "importance", "a bias of %zu values", src->out_c);
        }
    }
    return NB_OK;
}

/* The head: a copy of the folded last node operator with 2 outputs. */
static nb_status make_head(nb_op *head, const nb_op *src) {
    memset(head, 0, sizeof *head);
    *head = *src;
    head->weight = head->bias = NULL;
    head->out_c = 2;
    size_t per = nb_op_weight_count(src) / src->out_c;
    head->weight = malloc(2 * per * sizeof(float));
    head->bias = malloc(2 * sizeof(float));
    if (!head->weight || !head->bias) {
        nb_op_deinit(head);
        return NB_RAISE(NB_E_NOMEM, "importance", "the 2-unit head");
    }
    return NB_OK;
}

void nb_slimming_deinit(nb_slimming_net *s) {
    if (!s)
        return;
    nb_network_deinit(&s->net);
    free(s->bn_op);
    free(s->gamma_off);
    nb_op_deinit(&s->head_src);
    memset(s, 0, sizeof *s);
}

/* Appends op (moved) to the chain being built. */
static void push(nb_slimming_net *s, nb_op *op) {
    s->net.ops[s->net.n_ops++] = *op;
    memset(op, 0, sizeof *op);
}

/* Node layer l's batch norm (n nodes) appended; flat: FLATTEN first. */
static nb_status push_batchnorm(nb_slimming_net *s, size_t l, size_t n, bool flat) {
    nb_op op;
    if (flat) {
        memset(&op, 0, sizeof op);
        op.kind = NB_OP_FLATTEN;
        push(s, &op);
    }
    NB_TRY(make_batchnorm(&op, n));
    s->bn_op[l] = s->net.n_ops;
    push(s, &op);
    return NB_OK;
}

static bool input_is_flat(const nb_network *src) {
    for (size_t k = 0; k < src->n_ops; k++) {
        if (is_pool(src->ops[k].kind))
            return false;
        if (is_node(src->ops[k].kind))
            return src->ops[k].kind == NB_OP_DENSE;
    }
    return false;
}

static nb_status build(nb_slimming_net *s, const nb_network *src) {
    const size_t L = src->n_layers, K = src->n_ops;
    char subject[64];
    /* at most: flatten + batch norm per node layer, plus the source's operators */
    s->net.ops = calloc(K + 2 * L + 1, sizeof *s->net.ops);
    s->bn_op = calloc(L, sizeof *s->bn_op);
    s->gamma_off = calloc(L, sizeof *s->gamma_off);
    if (!s->net.ops || !s->bn_op || !s->gamma_off)
        return NB_RAISE(NB_E_NOMEM, "importance", "the fine-tune chain of %zu operators", K);
    s->net.in_c = src->in_c;
    s->net.in_h = src->in_h;
    s->net.in_w = src->in_w;
    s->n_layers = L;
    for (size_t l = 0; l + 1 < L; l++) {
        s->gamma_off[l] = s->n_params;
        s->n_params += src->layer_size[l];
    }
    s->gamma_off[L - 1] = s->n_params;
    bool flat = input_is_flat(src);
    NB_TRY(push_batchnorm(s, 0, src->layer_size[0], flat && src->in_h * src->in_w > 1));
    size_t layer = 0;
    bool pending = false; /* a hidden node layer waits for its batch norm */
    for (size_t k = 0; k < K; k++) {
        const nb_op *op = &src->ops[k];
        snprintf(subject, sizeof subject, "operator %zu (%s)", k, nb_op_kind_name(op->kind));
        if (pending && !is_elementwise(op->kind)) {
            NB_TRY(push_batchnorm(s, layer, src->layer_size[layer], false));
            pending = false;
        }
        if (op->kind == NB_OP_SOFTMAX && k + 1 == K)
            break;
        if (op->kind == NB_OP_BATCHNORM) {
            /* folded into the node operator it follows, already copied */
            nb_op *prev = s->net.n_ops ? &s->net.ops[s->net.n_ops - 1] : NULL;
            bool after_head = layer == L - 1 && prev == &s->net.ops[s->head_op];
            nb_op *into = after_head ? &s->head_src : prev;
            if (!prev || !is_node(prev->kind) || into->out_c != op->in_c)
                return NB_RAISE(NB_E_UNSUPPORTED, subject,
                                "bn-gamma needs every batch norm right after a dense or conv2d "
                                "operator (to fold it); this one follows %s",
                                prev ? nb_op_kind_name(prev->kind) : "the input");
            fold_batchnorm(into, op);
            continue;
        }
        nb_op copy;
        if (is_node(op->kind)) {
            layer++;
            if (layer == L - 1) { /* the head */
                NB_TRY(copy_node(&s->head_src, op));
                NB_TRY(make_head(&copy, &s->head_src));
                s->head_op = s->net.n_ops;
                push(s, &copy);
                continue;
            }
            NB_TRY(copy_node(&copy, op));
            pending = true;
        } else {
            NB_TRY(nb_op_copy(&copy, op));
        }
        push(s, &copy);
    }
    if (layer != L - 1)
        return NB_RAISE(NB_E_INVALID, "importance",
                        "the chain has %zu node operators, the graph view %zu layers", layer, L);
    return nb_graph_infer_shapes(&s->net);
}

nb_status nb_slimming_init(nb_slimming_net *s, const nb_network *src) {
    memset(s, 0, sizeof *s);
    if (src->n_ops == 0 || !src->ops)
        return NB_RAISE(NB_E_INVALID, "network", "bn-gamma on operators: no operators");
    if (src->n_layers < 2 || src->layer_size[src->n_layers - 1] < 2)
        return NB_RAISE(NB_E_INVALID, "network",
                        "one-vs-rest fine-tuning needs >= 2 output classes");
    nb_status st = build(s, src);
    if (st != NB_OK) {
        nb_slimming_deinit(s);
        return st;
    }
    nb_slimming_reset(s, 0, 1.0f);
    return NB_OK;
}

void nb_slimming_reset(nb_slimming_net *s, size_t cls, float gamma_init) {
    const nb_op *src = &s->head_src;
    nb_op *head = &s->net.ops[s->head_op];
    size_t C = src->out_c, per = nb_op_weight_count(src) / C;
    /* unit 0 = row cls; unit 1 = sum over the other classes (in double, fixed order) */
    for (size_t q = 0; q < per; q++) {
        double sum = 0.0;
        for (size_t c = 0; c < C; c++)
            if (c != cls)
                sum += src->weight[c * per + q];
        head->weight[q] = src->weight[cls * per + q];
        head->weight[per + q] = (float)sum;
    }
    double bsum = 0.0;
    for (size_t c = 0; c < C; c++)
        if (c != cls)
            bsum += src->bias[c];
    head->bias[0] = src->bias[cls];
    head->bias[1] = (float)bsum;
    for (size_t l = 0; l + 1 < s->n_layers; l++) {
        nb_op *bn = &s->net.ops[s->bn_op[l]];
        for (size_t i = 0; i < bn->in_c; i++) {
            bn->gamma[i] = gamma_init;
            bn->beta[i] = 0.0f;
            bn->mean[i] = 0.0f;
            bn->var[i] = 1.0f;
        }
    }
}

void nb_slimming_gamma(const nb_slimming_net *s, float *gamma) {
    for (size_t l = 0; l + 1 < s->n_layers; l++) {
        const nb_op *bn = &s->net.ops[s->bn_op[l]];
        memcpy(gamma + s->gamma_off[l], bn->gamma, bn->in_c * sizeof(float));
    }
}
