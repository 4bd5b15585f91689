/* nb_model.c - allocation, copying and indexing of the in-memory .nnb.h5 groups.
 *
 * DESIGN: each group (nb_network, nb_importance, nb_bundle_data) owns a few flat, row-major
 * arrays plus offset tables computed once at init, so per-layer views are pointer
 * arithmetic (weights + weight_offset[l]). Every size product is overflow-checked and the
 * total checked against the memory limit (nb_input.h) before allocation; arrays of zero elements
 * are still allocated (one element) so that a present group never has NULL arrays. On failure the
 * struct is zeroed, never half-built. Layout and conventions: method.md §1, docs/file_format.md.
 * Threading: no shared state; a struct belongs to its caller. Reads no config keys.
 */
#include "nb_model.h"
#include "nb_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a * b into *out, false on size_t overflow. */
static bool mul_ok(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *out = a * b;
    return true;
}

static bool add_ok(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a)
        return false;
    *out = a + b;
    return true;
}

/* calloc of n elements of `size` bytes, at least one element, NULL on overflow/failure. */
static void *alloc_array(size_t n, size_t size) {
    return calloc(n ? n : 1, size);
}

static void *dup_array(const void *src, size_t n, size_t size) {
    void *p = alloc_array(n, size);
    if (p && src && n)
        memcpy(p, src, n * size);
    return p;
}

static char *dup_string(const char *s) {
    size_t len = strlen(s);
    char *p = malloc(len + 1);
    if (p)
        memcpy(p, s, len + 1);
    return p;
}

static void copy_text(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

/* ---- /network ------------------------------------------------------------------------- */

nb_status nb_network_init(nb_network *net, size_t n_layers, const size_t *layer_size) {
    memset(net, 0, sizeof *net);
    if (n_layers < 2 || !layer_size)
        return NB_RAISE(NB_E_INVALID, "network", "%zu layers, need at least 2", n_layers);
    for (size_t l = 0; l < n_layers; l++)
        if (layer_size[l] == 0)
            return NB_RAISE(NB_E_INVALID, "network", "layer %zu has 0 nodes", l);

    size_t n_w = 0, n_b = 0;
    for (size_t l = 0; l + 1 < n_layers; l++) {
        size_t pair;
        if (!mul_ok(layer_size[l], layer_size[l + 1], &pair) || !add_ok(n_w, pair, &n_w) ||
            !add_ok(n_b, layer_size[l + 1], &n_b))
            return NB_RAISE(NB_E_INVALID, "network", "layer sizes overflow size_t");
    }
    if (n_w > SIZE_MAX / sizeof(float))
        return NB_RAISE(NB_E_NOMEM, "network", "%zu weights do not fit in memory", n_w);
    /* before allocating: a size list (a file's, an option's) must not outgrow the limit */
    char what[96];
    snprintf(what, sizeof what, "a network of %zu weights (float32)", n_w);
    NB_TRY(nb_input_check(nb_input_mul(n_w + n_b, sizeof(float)), "network", what));

    nb_network n = {0};
    n.n_layers = n_layers;
    n.n_classes = layer_size[n_layers - 1];
    n.layer_size = dup_array(layer_size, n_layers, sizeof(size_t));
    n.weight_offset = alloc_array(n_layers, sizeof(size_t));
    n.bias_offset = alloc_array(n_layers, sizeof(size_t));
    n.weights = alloc_array(n_w, sizeof(float));
    n.biases = alloc_array(n_b, sizeof(float));
    n.class_names = alloc_array(n.n_classes, sizeof(char *));
    if (!n.layer_size || !n.weight_offset || !n.bias_offset || !n.weights || !n.biases ||
        !n.class_names) {
        nb_network_deinit(&n);
        return NB_RAISE(NB_E_NOMEM, "network", "cannot allocate %zu weights", n_w);
    }
    size_t w = 0, b = 0;
    for (size_t l = 0; l < n_layers; l++) {
        n.weight_offset[l] = w;
        n.bias_offset[l] = b;
        if (l + 1 < n_layers) {
            w += layer_size[l] * layer_size[l + 1];
            b += layer_size[l + 1];
        }
    }
    for (size_t c = 0; c < n.n_classes; c++) {
        char name[32];
        snprintf(name, sizeof name, "%zu", c);
        n.class_names[c] = dup_string(name);
        if (!n.class_names[c]) {
            nb_network_deinit(&n);
            return NB_RAISE(NB_E_NOMEM, "network", "cannot allocate class names");
        }
    }
    copy_text(n.activation, sizeof n.activation, "relu");
    n.in_c = layer_size[0];
    n.in_h = 1;
    n.in_w = 1;
    n.train_accuracy = NAN;
    n.test_accuracy = NAN;
    *net = n;
    return NB_OK;
}

void nb_network_deinit(nb_network *net) {
    if (!net)
        return;
    if (net->class_names)
        for (size_t c = 0; c < net->n_classes; c++)
            free(net->class_names[c]);
    free(net->class_names);
    free(net->layer_size);
    free(net->weight_offset);
    free(net->bias_offset);
    free(net->weights);
    free(net->biases);
    for (size_t i = 0; i < net->n_ops; i++)
        nb_op_deinit(&net->ops[i]);
    free(net->ops);
    memset(net, 0, sizeof *net);
}

nb_status nb_network_copy(nb_network *dst, const nb_network *src) {
    nb_network n;
    nb_status s = nb_network_init(&n, src->n_layers, src->layer_size);
    if (s != NB_OK) {
        memset(dst, 0, sizeof *dst);
        return s;
    }
    size_t n_w = src->weight_offset[src->n_layers - 1];
    size_t n_b = src->bias_offset[src->n_layers - 1];
    memcpy(n.weights, src->weights, n_w * sizeof(float));
    memcpy(n.biases, src->biases, n_b * sizeof(float));
    for (size_t c = 0; c < n.n_classes; c++) {
        if (nb_network_set_class_name(&n, c, src->class_names[c] ? src->class_names[c] : "") !=
            NB_OK) {
            nb_network_deinit(&n);
            memset(dst, 0, sizeof *dst);
            return NB_E_NOMEM;
        }
    }
    memcpy(n.activation, src->activation, sizeof n.activation);
    memcpy(n.source, src->source, sizeof n.source);
    memcpy(n.dataset, src->dataset, sizeof n.dataset);
    n.epochs = src->epochs;
    n.seed = src->seed;
    n.l1 = src->l1;
    n.train_accuracy = src->train_accuracy;
    n.test_accuracy = src->test_accuracy;
    n.in_c = src->in_c;
    n.in_h = src->in_h;
    n.in_w = src->in_w;
    if (src->n_ops > 0) {
        n.ops = calloc(src->n_ops, sizeof *n.ops);
        if (!n.ops) {
            nb_network_deinit(&n);
            memset(dst, 0, sizeof *dst);
            return NB_RAISE(NB_E_NOMEM, "network", "cannot copy %zu operators", src->n_ops);
        }
        n.n_ops = src->n_ops;
        for (size_t i = 0; i < src->n_ops; i++) {
            if (nb_op_copy(&n.ops[i], &src->ops[i]) != NB_OK) {
                nb_network_deinit(&n);
                memset(dst, 0, sizeof *dst);
                return NB_E_NOMEM;
            }
        }
    }
    *dst = n;
    return NB_OK;
}

/* ---- operators ------------------------------------------------------------------------ */

static const char *const op_kind_names[NB_OP_COUNT] = {
    [NB_OP_DENSE] = "dense",
    [NB_OP_CONV2D] = "conv2d",
    [NB_OP_MAXPOOL] = "maxpool",
    [NB_OP_AVGPOOL] = "avgpool",
    [NB_OP_GLOBAL_AVGPOOL] = "global_avgpool",
    [NB_OP_FLATTEN] = "flatten",
    [NB_OP_BATCHNORM] = "batchnorm",
    [NB_OP_DROPOUT] = "dropout",
    [NB_OP_RELU] = "relu",
    [NB_OP_LEAKY_RELU] = "leaky_relu",
    [NB_OP_SIGMOID] = "sigmoid",
    [NB_OP_TANH] = "tanh",
    [NB_OP_GELU] = "gelu",
    [NB_OP_SOFTMAX] = "softmax",
};

const char *nb_op_kind_name(nb_op_kind kind) {
    return (unsigned)kind < NB_OP_COUNT ? op_kind_names[kind] : NULL;
}

nb_status nb_op_kind_parse(const char *name, nb_op_kind *kind) {
    for (int k = 0; k < NB_OP_COUNT; k++) {
        if (name && strcmp(name, op_kind_names[k]) == 0) {
            *kind = (nb_op_kind)k;
            return NB_OK;
        }
    }
    return NB_RAISE(NB_E_INVALID, name ? name : "(null)", "not an operator kind");
}

size_t nb_op_weight_count(const nb_op *op) {
    if (op->kind == NB_OP_DENSE)
        return op->out_c * op->in_c * op->in_h * op->in_w;
    if (op->kind == NB_OP_CONV2D)
        return op->out_c * op->in_c * op->kernel_h * op->kernel_w;
    return 0;
}

size_t nb_op_bias_count(const nb_op *op) {
    return op->kind == NB_OP_DENSE || op->kind == NB_OP_CONV2D ? op->out_c : 0;
}

size_t nb_op_channel_count(const nb_op *op) {
    return op->kind == NB_OP_BATCHNORM ? op->in_c : 0;
}

void nb_op_deinit(nb_op *op) {
    if (!op)
        return;
    free(op->weight);
    free(op->bias);
    free(op->gamma);
    free(op->beta);
    free(op->mean);
    free(op->var);
    memset(op, 0, sizeof *op);
}

nb_status nb_op_copy(nb_op *dst, const nb_op *src) {
    nb_op o = *src;
    size_t nw = nb_op_weight_count(src), nbias = nb_op_bias_count(src);
    size_t nc = nb_op_channel_count(src);
    o.weight = src->weight ? dup_array(src->weight, nw, sizeof(float)) : NULL;
    o.bias = src->bias ? dup_array(src->bias, nbias, sizeof(float)) : NULL;
    o.gamma = src->gamma ? dup_array(src->gamma, nc, sizeof(float)) : NULL;
    o.beta = src->beta ? dup_array(src->beta, nc, sizeof(float)) : NULL;
    o.mean = src->mean ? dup_array(src->mean, nc, sizeof(float)) : NULL;
    o.var = src->var ? dup_array(src->var, nc, sizeof(float)) : NULL;
    if ((src->weight && nw && !o.weight) || (src->bias && nbias && !o.bias) ||
        (src->gamma && nc && !o.gamma) || (src->beta && nc && !o.beta) ||
        (src->mean && nc && !o.mean) || (src->var && nc && !o.var)) {
        nb_op_deinit(&o);
        memset(dst, 0, sizeof *dst);
        return NB_RAISE(NB_E_NOMEM, "network", "cannot copy an operator");
    }
    *dst = o;
    return NB_OK;
}

float *nb_network_weight(const nb_network *net, size_t pair) {
    return net->weights + net->weight_offset[pair];
}

float *nb_network_bias(const nb_network *net, size_t pair) {
    return net->biases + net->bias_offset[pair];
}

size_t nb_network_n_nodes(const nb_network *net) {
    size_t n = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        n += net->layer_size[l];
    return n;
}

size_t nb_network_n_edges(const nb_network *net) {
    return net->n_layers ? net->weight_offset[net->n_layers - 1] : 0;
}

nb_status nb_network_set_class_name(nb_network *net, size_t c, const char *name) {
    if (c >= net->n_classes || !name)
        return NB_RAISE(NB_E_INVALID, "network class_names", "class %zu of %zu", c, net->n_classes);
    char *copy = dup_string(name);
    if (!copy)
        return NB_RAISE(NB_E_NOMEM, "network class_names", "cannot copy class name %zu", c);
    free(net->class_names[c]);
    net->class_names[c] = copy;
    return NB_OK;
}

/* ---- /importance ---------------------------------------------------------------------- */

nb_status nb_importance_init(nb_importance *imp, size_t n_layers, const size_t *layer_size,
                             size_t top_k) {
    memset(imp, 0, sizeof *imp);
    if (n_layers < 2 || !layer_size)
        return NB_RAISE(NB_E_INVALID, "importance", "%zu layers, need at least 2", n_layers);
    for (size_t l = 0; l < n_layers; l++)
        if (layer_size[l] == 0)
            return NB_RAISE(NB_E_INVALID, "importance", "layer %zu has 0 nodes", l);
    size_t n_classes = layer_size[n_layers - 1];

    size_t n_node = 0, n_edge = 0, n_top = 0;
    for (size_t l = 0; l < n_layers; l++) {
        size_t t;
        if (!mul_ok(layer_size[l], n_classes, &t) || !add_ok(n_node, t, &n_node))
            return NB_RAISE(NB_E_INVALID, "importance", "layer sizes overflow size_t");
        if (l + 1 < n_layers &&
            (!mul_ok(layer_size[l], layer_size[l + 1], &t) || !add_ok(n_edge, t, &n_edge)))
            return NB_RAISE(NB_E_INVALID, "importance", "layer sizes overflow size_t");
        if (l > 0 && l + 1 < n_layers &&
            (!mul_ok(layer_size[l], top_k, &t) || !add_ok(n_top, t, &n_top)))
            return NB_RAISE(NB_E_INVALID, "importance", "top_k %zu overflows size_t", top_k);
    }
    if (n_edge > SIZE_MAX / sizeof(float) || n_node > SIZE_MAX / sizeof(float) ||
        n_top > SIZE_MAX / sizeof(int32_t))
        return NB_RAISE(NB_E_NOMEM, "importance", "arrays do not fit in memory");
    {
        char what[128];
        snprintf(what, sizeof what, "importance of %zu edges and %zu node-class pairs (float32)",
                 n_edge, n_node);
        size_t bytes = nb_input_mul(n_edge, sizeof(float));
        size_t more = nb_input_mul(n_node, sizeof(float));
        NB_TRY(
            nb_input_check(bytes > SIZE_MAX - more ? SIZE_MAX : bytes + more, "importance", what));
    }

    nb_importance m = {0};
    m.n_layers = n_layers;
    m.n_classes = n_classes;
    m.top_k = top_k;
    m.layer_size = dup_array(layer_size, n_layers, sizeof(size_t));
    m.node_offset = alloc_array(n_layers + 1, sizeof(size_t));
    m.edge_offset = alloc_array(n_layers, sizeof(size_t));
    m.top_offset = alloc_array(n_layers + 1, sizeof(size_t));
    m.node = alloc_array(n_node, sizeof(float));
    m.edge = alloc_array(n_edge, sizeof(float));
    m.top = alloc_array(n_top, sizeof(int32_t));
    m.finetune_accuracy = alloc_array(n_classes, sizeof(double));
    if (!m.layer_size || !m.node_offset || !m.edge_offset || !m.top_offset || !m.node || !m.edge ||
        !m.top || !m.finetune_accuracy) {
        nb_importance_deinit(&m);
        return NB_RAISE(NB_E_NOMEM, "importance", "cannot allocate %zu edge values", n_edge);
    }
    size_t no = 0, eo = 0, to = 0;
    for (size_t l = 0; l < n_layers; l++) {
        m.node_offset[l] = no;
        m.edge_offset[l] = eo;
        m.top_offset[l] = to;
        no += layer_size[l] * n_classes;
        if (l + 1 < n_layers)
            eo += layer_size[l] * layer_size[l + 1];
        if (l > 0 && l + 1 < n_layers)
            to += layer_size[l] * top_k;
    }
    m.node_offset[n_layers] = no;
    m.top_offset[n_layers] = to;
    for (size_t i = 0; i < n_top; i++)
        m.top[i] = -1;
    for (size_t c = 0; c < n_classes; c++)
        m.finetune_accuracy[c] = NAN;
    *imp = m;
    return NB_OK;
}

void nb_importance_deinit(nb_importance *imp) {
    if (!imp)
        return;
    free(imp->layer_size);
    free(imp->node_offset);
    free(imp->edge_offset);
    free(imp->top_offset);
    free(imp->node);
    free(imp->edge);
    free(imp->top);
    free(imp->finetune_accuracy);
    memset(imp, 0, sizeof *imp);
}

nb_status nb_importance_copy(nb_importance *dst, const nb_importance *src) {
    nb_importance m;
    nb_status s = nb_importance_init(&m, src->n_layers, src->layer_size, src->top_k);
    if (s != NB_OK) {
        memset(dst, 0, sizeof *dst);
        return s;
    }
    memcpy(m.node, src->node, m.node_offset[m.n_layers] * sizeof(float));
    memcpy(m.edge, src->edge, m.edge_offset[m.n_layers - 1] * sizeof(float));
    memcpy(m.top, src->top, m.top_offset[m.n_layers] * sizeof(int32_t));
    memcpy(m.finetune_accuracy, src->finetune_accuracy, m.n_classes * sizeof(double));
    memcpy(m.method, src->method, sizeof m.method);
    memcpy(m.flags, src->flags, sizeof m.flags);
    m.epochs = src->epochs;
    m.seed = src->seed;
    *dst = m;
    return NB_OK;
}

float *nb_importance_node(const nb_importance *imp, size_t layer) {
    return imp->node + imp->node_offset[layer];
}

float *nb_importance_edge(const nb_importance *imp, size_t pair) {
    return imp->edge + imp->edge_offset[pair];
}

int32_t *nb_importance_top(const nb_importance *imp, size_t layer) {
    if (imp->top_k == 0 || layer == 0 || layer + 1 >= imp->n_layers)
        return NULL;
    return imp->top + imp->top_offset[layer];
}

/* ---- /bundle -------------------------------------------------------------------------- */

nb_status nb_bundle_data_init(nb_bundle_data *b, size_t n_layers, size_t n_nodes, size_t n_edges,
                              size_t n_points) {
    memset(b, 0, sizeof *b);
    size_t n3;
    size_t s3;
    if (!mul_ok(n_nodes, 3, &n3) || !mul_ok(n_points, 3, &s3) || n3 > SIZE_MAX / sizeof(float) ||
        s3 > SIZE_MAX / sizeof(float) || n_edges > SIZE_MAX / sizeof(uint64_t) - 1 ||
        n_layers > SIZE_MAX / sizeof(int64_t) - 1)
        return NB_RAISE(NB_E_NOMEM, "bundle", "counts overflow size_t");
    {
        char what[96];
        snprintf(what, sizeof what, "a bundle of %zu polyline points (float32 x 3)", n_points);
        NB_TRY(nb_input_check(nb_input_mul(s3, sizeof(float)), "bundle", what));
    }

    nb_bundle_data d = {0};
    d.n_layers = n_layers;
    d.n_nodes = n_nodes;
    d.n_edges = n_edges;
    d.n_points = n_points;
    d.node_position = alloc_array(n3, sizeof(float));
    d.layer_offset = alloc_array(n_layers + 1, sizeof(int64_t));
    d.edge_source = alloc_array(n_edges, sizeof(uint32_t));
    d.edge_target = alloc_array(n_edges, sizeof(uint32_t));
    d.edge_alpha = alloc_array(n_edges, sizeof(float));
    d.edge_point_offset = alloc_array(n_edges + 1, sizeof(uint64_t));
    d.point_position = alloc_array(s3, sizeof(float));
    if (!d.node_position || !d.layer_offset || !d.edge_source || !d.edge_target || !d.edge_alpha ||
        !d.edge_point_offset || !d.point_position) {
        nb_bundle_data_deinit(&d);
        return NB_RAISE(NB_E_NOMEM, "bundle", "cannot allocate %zu edges, %zu points", n_edges,
                        n_points);
    }
    d.metrics.mean_distortion = NAN;
    d.metrics.max_distortion = NAN;
    d.metrics.mean_length_diff = NAN;
    d.metrics.ink_ratio = NAN;
    d.metrics.ink_ratio_layout = NAN;
    d.metrics.max_turn_degrees = NAN;
    *b = d;
    return NB_OK;
}

void nb_bundle_data_deinit(nb_bundle_data *b) {
    if (!b)
        return;
    free(b->node_position);
    free(b->layer_offset);
    free(b->edge_source);
    free(b->edge_target);
    free(b->edge_alpha);
    free(b->edge_point_offset);
    free(b->point_position);
    free(b->config_json);
    memset(b, 0, sizeof *b);
}

nb_status nb_bundle_data_copy(nb_bundle_data *dst, const nb_bundle_data *src) {
    nb_bundle_data d;
    nb_status s = nb_bundle_data_init(&d, src->n_layers, src->n_nodes, src->n_edges, src->n_points);
    if (s != NB_OK) {
        memset(dst, 0, sizeof *dst);
        return s;
    }
    memcpy(d.node_position, src->node_position, src->n_nodes * 3 * sizeof(float));
    memcpy(d.layer_offset, src->layer_offset, (src->n_layers + 1) * sizeof(int64_t));
    memcpy(d.edge_source, src->edge_source, src->n_edges * sizeof(uint32_t));
    memcpy(d.edge_target, src->edge_target, src->n_edges * sizeof(uint32_t));
    memcpy(d.edge_alpha, src->edge_alpha, src->n_edges * sizeof(float));
    memcpy(d.edge_point_offset, src->edge_point_offset, (src->n_edges + 1) * sizeof(uint64_t));
    memcpy(d.point_position, src->point_position, src->n_points * 3 * sizeof(float));
    if (src->config_json) {
        d.config_json = dup_string(src->config_json);
        if (!d.config_json) {
            nb_bundle_data_deinit(&d);
            memset(dst, 0, sizeof *dst);
            return NB_RAISE(NB_E_NOMEM, "bundle config_json", "cannot copy");
        }
    }
    d.node_iterations = src->node_iterations;
    d.edge_iterations = src->edge_iterations;
    d.n_edges_total = src->n_edges_total;
    d.metrics = src->metrics;
    d.time_layout = src->time_layout;
    d.time_node_phase = src->time_node_phase;
    d.time_edge_phase = src->time_edge_phase;
    d.time_total = src->time_total;
    *dst = d;
    return NB_OK;
}

/* ---- the whole file ------------------------------------------------------------------- */

void nb_model_deinit(nb_model *m) {
    if (!m)
        return;
    nb_network_deinit(&m->network);
    nb_importance_deinit(&m->importance);
    nb_bundle_data_deinit(&m->bundle);
    memset(m, 0, sizeof *m);
}
