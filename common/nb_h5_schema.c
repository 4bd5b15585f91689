/* nb_h5_schema.c - the tables of the .nnb.h5 schema, the groups' hooks and the value rules.
 *
 * DESIGN: one table of datasets and one of attributes per group (nb_h5_schema.h says how to
 * read a row and how to add one), walked by the writer, the reader and the validator of
 * nb_h5.c. The rules are the file's invariants in code: finite floats, importance and alpha
 * in [0, 1], accuracies NaN or in [0, 1], layer_offset = cumulative layer sizes, edge ids
 * < N and in adjacent layers, edge_point_offset a CSR index (starts at 0, steps of >= 2
 * points, ends at S), and the NB_H5_MAX_* bounds that keep a lying header from making the
 * reader allocate without limit. A rule gets the values in memory, so the same check refuses
 * a file on reading and a model on writing; its message names the first bad element.
 * Threading: the tables are const; the rules keep no state. Reads no config keys.
 */
#include "nb_h5_schema.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nb_h5.h"
#include "nb_input.h"

#ifndef NB_VERSION
#define NB_VERSION "unknown"
#endif

/* ---- counts --------------------------------------------------------------------------- */

void nb_h5_dims_of_network(nb_h5_dims *k, size_t n_layers, const size_t *layer_size) {
    k->L = n_layers;
    k->n = layer_size;
    k->C = layer_size[n_layers - 1];
    k->N = k->weights = k->hidden = 0;
    for (size_t l = 0; l < n_layers; l++) {
        k->N += layer_size[l];
        if (l + 1 < n_layers)
            k->weights += layer_size[l] * layer_size[l + 1];
        if (l > 0 && l + 1 < n_layers)
            k->hidden += layer_size[l];
    }
}

/* ---- rules ---------------------------------------------------------------------------- */

/* "[i, j]" or "[i]" for element i of values with `cols` columns (0: one-dimensional). */
static void where(char *buf, size_t cap, size_t i, size_t cols) {
    if (cols)
        snprintf(buf, cap, "[%zu, %zu]", i / cols, i % cols);
    else
        snprintf(buf, cap, "[%zu]", i);
}

/* All float32 values finite and, with `unit`, in [0, 1]; names the first that is not. */
static nb_status check_floats(const nb_h5_values *v, bool unit, const char *subject) {
    const float *x = v->data;
    for (size_t i = 0; i < v->n; i++) {
        if (isfinite(x[i]) && (!unit || (x[i] >= 0.0f && x[i] <= 1.0f)))
            continue;
        char at[64], what[64];
        where(at, sizeof at, i, v->cols);
        if (isnan(x[i]))
            snprintf(what, sizeof what, "NaN");
        else if (isinf(x[i]))
            snprintf(what, sizeof what, "infinite value");
        else
            snprintf(what, sizeof what, "value %g", (double)x[i]);
        return NB_RAISE(NB_E_NUMERIC, subject, "%s at %s%s", what, at,
                        unit && isfinite(x[i]) ? ", expected a value in [0, 1]" : "");
    }
    return NB_OK;
}

nb_status nb_h5_rule_finite(const nb_h5_values *v, const char *subject) {
    return check_floats(v, false, subject);
}

nb_status nb_h5_rule_unit(const nb_h5_values *v, const char *subject) {
    return check_floats(v, true, subject);
}

static bool fraction_or_nan(double v) {
    return isnan(v) || (v >= 0.0 && v <= 1.0);
}

/* A double attribute: an accuracy, NaN when unknown. */
static nb_status rule_accuracy(const nb_h5_values *v, const char *subject) {
    double x = *(const double *)v->data;
    if (!fraction_or_nan(x))
        return NB_RAISE(NB_E_NUMERIC, subject, "%g, expected NaN or [0, 1]", x);
    return NB_OK;
}

/* double[C]: one accuracy per class, NaN when not applicable. */
static nb_status rule_class_accuracies(const nb_h5_values *v, const char *subject) {
    const double *x = v->data;
    for (size_t c = 0; c < v->n; c++)
        if (!fraction_or_nan(x[c]))
            return NB_RAISE(NB_E_NUMERIC, subject, "class %zu: %g, expected NaN or [0, 1]", c,
                            x[c]);
    return NB_OK;
}

static nb_status rule_finite_nonnegative(const nb_h5_values *v, const char *subject) {
    double x = *(const double *)v->data;
    if (!isfinite(x) || x < 0)
        return NB_RAISE(NB_E_NUMERIC, subject, "%g, expected a finite value >= 0", x);
    return NB_OK;
}

/* size_t[L] layer sizes (data NULL: the count alone): 2..NB_H5_MAX_LAYERS layers of
 * 1..NB_H5_MAX_LAYER_SIZE nodes, at most NB_H5_MAX_ELEMENTS weights and node-class pairs. */
static nb_status rule_layer_sizes(const nb_h5_values *v, const char *subject) {
    size_t L = v->n;
    const size_t *n = v->data;
    if (L < 2 || L > NB_H5_MAX_LAYERS)
        return NB_RAISE(NB_E_FORMAT, subject, "%zu layers, expected 2..%d", L, NB_H5_MAX_LAYERS);
    if (!n)
        return NB_OK;
    for (size_t l = 0; l < L; l++)
        if (n[l] < 1 || n[l] > NB_H5_MAX_LAYER_SIZE)
            return NB_RAISE(NB_E_FORMAT, subject, "layer %zu has %zu nodes, expected 1..%d", l,
                            n[l], NB_H5_MAX_LAYER_SIZE);
    size_t n_nodes = 0, n_w = 0;
    for (size_t l = 0; l < L; l++) {
        n_nodes += n[l];
        if (l + 1 < L) {
            if (n[l + 1] > NB_H5_MAX_ELEMENTS / n[l])
                return NB_RAISE(NB_E_FORMAT, subject, "layer pair %zu has over %llu weights", l,
                                (unsigned long long)NB_H5_MAX_ELEMENTS);
            n_w += n[l] * n[l + 1];
        }
    }
    /* sizes <= 2^24 and L <= 1024 keep these sums far from overflow */
    if (n_w > NB_H5_MAX_ELEMENTS)
        return NB_RAISE(NB_E_FORMAT, subject, "%zu weights, at most %llu", n_w,
                        (unsigned long long)NB_H5_MAX_ELEMENTS);
    if (n[L - 1] > NB_H5_MAX_ELEMENTS / n_nodes)
        return NB_RAISE(NB_E_FORMAT, subject, "%zu nodes x %zu classes is too large", n_nodes,
                        n[L - 1]);
    return NB_OK;
}

/* The n_classes attribute (size_t) equals the output layer's size. */
static nb_status rule_class_count(const nb_h5_values *v, const char *subject) {
    size_t C = *(const size_t *)v->data;
    if (C != v->dims->C)
        return NB_RAISE(NB_E_FORMAT, subject, "%zu classes, but the output layer has %zu nodes", C,
                        v->dims->C);
    return NB_OK;
}

/* char *[C]: every class has a name shorter than NB_NAME_MAX bytes. */
static nb_status rule_class_names(const nb_h5_values *v, const char *subject) {
    char *const *names = *(char *const *const *)v->data;
    for (size_t c = 0; c < v->n; c++) {
        if (!names[c] || strlen(names[c]) >= NB_NAME_MAX)
            return NB_RAISE(NB_E_FORMAT, subject,
                            "class %zu has no name or one of %d or more bytes", c, NB_NAME_MAX);
        if (!nb_input_is_utf8(names[c], strlen(names[c])))
            return NB_RAISE(NB_E_FORMAT, subject, "class %zu's name is not valid UTF-8", c);
    }
    return NB_OK;
}

/* activation: a network without operators is dense + ReLU per pair, so it must say "relu"
 * (another word would describe a computation the forward pass does not do); with operators
 * the operators are the forward pass and the attribute only names their activations. */
static nb_status rule_activation(const nb_h5_values *v, const char *subject) {
    const nb_network *net = v->group;
    const char *act = v->data;
    if (net && net->n_ops == 0 && strcmp(act, "relu") != 0)
        return NB_RAISE(NB_E_UNSUPPORTED, subject,
                        "\"%s\": a dense network (no operators) is computed with ReLU only; "
                        "expected \"relu\"",
                        act);
    if (!nb_input_is_utf8(act, strlen(act)))
        return NB_RAISE(NB_E_FORMAT, subject, "not valid UTF-8");
    return NB_OK;
}

/* int32[n_l][top_k] test-image indices, -1 for none. */
static nb_status rule_image_indices(const nb_h5_values *v, const char *subject) {
    const int32_t *top = v->data;
    for (size_t i = 0; i < v->n; i++)
        if (top[i] < -1)
            return NB_RAISE(NB_E_FORMAT, subject, "image index %d at [%zu, %zu], expected >= -1",
                            (int)top[i], i / v->cols, i % v->cols);
    return NB_OK;
}

/* top_k (size_t) stays within NB_H5_MAX_ELEMENTS stored indices. */
static nb_status rule_top_k(const nb_h5_values *v, const char *subject) {
    size_t top_k = *(const size_t *)v->data, hidden = v->dims->hidden;
    if (top_k > 0 && hidden > NB_H5_MAX_ELEMENTS / top_k)
        return NB_RAISE(NB_E_FORMAT, subject, "top_k %zu over %zu hidden nodes is too large", top_k,
                        hidden);
    return NB_OK;
}

/* int64[L+1]: layer_offset[l] = n_0 + ... + n_{l-1}. */
static nb_status rule_layer_offsets(const nb_h5_values *v, const char *subject) {
    const int64_t *off = v->data;
    int64_t expect = 0;
    for (size_t l = 0; l <= v->dims->L; l++) {
        if (off[l] != expect)
            return NB_RAISE(NB_E_FORMAT, subject,
                            "entry %zu is %lld, expected %lld (from layer_sizes)", l,
                            (long long)off[l], (long long)expect);
        if (l < v->dims->L)
            expect += (int64_t)v->dims->n[l];
    }
    return NB_OK;
}

/* uint32[E] global node ids < N. */
static nb_status rule_node_ids(const nb_h5_values *v, const char *subject) {
    const uint32_t *id = v->data;
    for (size_t e = 0; e < v->n; e++)
        if (id[e] >= v->dims->N)
            return NB_RAISE(NB_E_FORMAT, subject, "edge %zu: node id %u, expected < %zu", e, id[e],
                            v->dims->N);
    return NB_OK;
}

/* Layer of global node id g, given layer_offset[L+1] (valid, increasing). */
static size_t layer_of(const int64_t *layer_offset, size_t n_layers, uint32_t g) {
    size_t lo = 0, hi = n_layers; /* layer_offset[lo] <= g < layer_offset[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((int64_t)g >= layer_offset[mid])
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* uint32[E] edge targets: node ids < N, each in the layer after its source's (the rows of
 * layer_offset and edge_source come first in the table, so both are valid here). */
static nb_status rule_edge_targets(const nb_h5_values *v, const char *subject) {
    NB_TRY(rule_node_ids(v, subject));
    const nb_bundle_data *b = v->group;
    const uint32_t *t = v->data;
    for (size_t e = 0; e < v->n; e++) {
        uint32_t s = b->edge_source[e];
        size_t ls = layer_of(b->layer_offset, v->dims->L, s);
        size_t lt = layer_of(b->layer_offset, v->dims->L, t[e]);
        if (lt != ls + 1)
            return NB_RAISE(NB_E_FORMAT, subject,
                            "edge %zu: target %u is in layer %zu, source %u in layer %zu "
                            "(expected adjacent layers)",
                            e, t[e], lt, s, ls);
    }
    return NB_OK;
}

/* uint64[E+1] CSR offsets into the S points: from 0, by >= 2 per edge, to S. */
static nb_status rule_point_offsets(const nb_h5_values *v, const char *subject) {
    const uint64_t *off = v->data;
    size_t E = v->n - 1, S = v->dims->S;
    if (off[0] != 0)
        return NB_RAISE(NB_E_FORMAT, subject, "entry 0 is %llu, expected 0",
                        (unsigned long long)off[0]);
    for (size_t e = 0; e < E; e++) {
        uint64_t a = off[e], z = off[e + 1];
        if (z < a || z - a < 2)
            return NB_RAISE(NB_E_FORMAT, subject,
                            "edge %zu spans points [%llu, %llu): offsets must increase by at "
                            "least 2",
                            e, (unsigned long long)a, (unsigned long long)z);
        if (z > S)
            return NB_RAISE(NB_E_FORMAT, subject,
                            "edge %zu ends at point %llu, beyond the %zu points", e,
                            (unsigned long long)z, S);
    }
    if (off[E] != S)
        return NB_RAISE(NB_E_FORMAT, subject, "last entry is %llu, expected the point count %zu",
                        (unsigned long long)off[E], S);
    return NB_OK;
}

/* n_edges_total (size_t): no more edges before pruning than the network has. */
static nb_status rule_edges_total(const nb_h5_values *v, const char *subject) {
    size_t total = *(const size_t *)v->data;
    if (total > v->dims->weights)
        return NB_RAISE(NB_E_FORMAT, subject, "%zu edges before pruning, the network has only %zu",
                        total, v->dims->weights);
    return NB_OK;
}

/* ---- /network ------------------------------------------------------------------------- */

/* The tables keep one row per dataset or attribute, laid out by hand. */
/* clang-format off */

#define NET(field) offsetof(nb_network, field)

static const nb_h5_dataset network_datasets[] = {
    {.name = "layer_sizes", .dtype = NB_H5_I32, .rank = 1, .shape = {NB_H5_DIM_L},
     .data = NET(layer_size), .flags = NB_H5_SIZES, .rule = rule_layer_sizes},
    {.name = "weight", .subgroup = "dense_", .each = NB_H5_EACH_PAIR,
     .dtype = NB_H5_F32, .rank = 2, .shape = {NB_H5_DIM_NEXT, NB_H5_DIM_LAYER},
     .data = NET(weights), .index = NET(weight_offset), .rule = nb_h5_rule_finite},
    {.name = "bias", .subgroup = "dense_", .each = NB_H5_EACH_PAIR,
     .dtype = NB_H5_F32, .rank = 1, .shape = {NB_H5_DIM_NEXT},
     .data = NET(biases), .index = NET(bias_offset), .rule = nb_h5_rule_finite},
};

#define NET_CHARS(member)                                                                          \
    .name = #member, .dtype = NB_H5_STRING, .ctype = NB_H5_C_CHARS, .field = NET(member),          \
    .size = sizeof(((nb_network *)0)->member)

static const nb_h5_attr network_attrs[] = {
    {.name = "n_classes", .dtype = NB_H5_I64, .ctype = NB_H5_C_SIZE, .field = NET(n_classes),
     .max = INT64_MAX, .flags = NB_H5_DERIVED, .rule = rule_class_count},
    {.name = "class_names", .dtype = NB_H5_STRING, .ctype = NB_H5_C_NAMES,
     .field = NET(class_names), .size = NB_NAME_MAX - 1, .rule = rule_class_names},
    {NET_CHARS(activation), .rule = rule_activation},
    {NET_CHARS(source)},
    {NET_CHARS(dataset)},
    {.name = "epochs", .dtype = NB_H5_I64, .ctype = NB_H5_C_INT, .field = NET(epochs),
     .max = INT32_MAX},
    {.name = "seed", .dtype = NB_H5_U64, .ctype = NB_H5_C_U64, .field = NET(seed)},
    {.name = "l1", .dtype = NB_H5_F64, .ctype = NB_H5_C_DOUBLE, .field = NET(l1),
     .rule = rule_finite_nonnegative},
    {.name = "train_accuracy", .dtype = NB_H5_F64, .ctype = NB_H5_C_DOUBLE,
     .field = NET(train_accuracy), .rule = rule_accuracy},
    {.name = "test_accuracy", .dtype = NB_H5_F64, .ctype = NB_H5_C_DOUBLE,
     .field = NET(test_accuracy), .rule = rule_accuracy},
};

/* clang-format on */

static void network_count(const void *grp, nb_h5_dims *k) {
    const nb_network *net = grp;
    k->L = net->n_layers;
    k->n = net->layer_size;
}

static nb_status network_init(void *grp, const nb_h5_dims *k) {
    return nb_network_init(grp, k->L, k->n);
}

/* ---- /importance ---------------------------------------------------------------------- */

/* clang-format off */

#define IMP(field) offsetof(nb_importance, field)

static const nb_h5_dataset importance_datasets[] = {
    {.name = "node_", .each = NB_H5_EACH_LAYER, .dtype = NB_H5_F32, .rank = 2,
     .shape = {NB_H5_DIM_LAYER, NB_H5_DIM_C},
     .data = IMP(node), .index = IMP(node_offset), .rule = nb_h5_rule_unit},
    {.name = "edge_", .each = NB_H5_EACH_PAIR, .dtype = NB_H5_F32, .rank = 2,
     .shape = {NB_H5_DIM_NEXT, NB_H5_DIM_LAYER},
     .data = IMP(edge), .index = IMP(edge_offset), .rule = nb_h5_rule_unit},
    {.name = "top_", .each = NB_H5_EACH_HIDDEN, .dtype = NB_H5_I32, .rank = 2,
     .shape = {NB_H5_DIM_LAYER, NB_H5_DIM_TOP_K},
     .data = IMP(top), .index = IMP(top_offset), .rule = rule_image_indices},
    {.name = "finetune_accuracy", .dtype = NB_H5_F64, .rank = 1, .shape = {NB_H5_DIM_C},
     .data = IMP(finetune_accuracy), .flags = NB_H5_OPTIONAL, .rule = rule_class_accuracies},
};

static const nb_h5_attr importance_attrs[] = {
    {.name = "method", .dtype = NB_H5_STRING, .ctype = NB_H5_C_CHARS, .field = IMP(method),
     .size = sizeof(((nb_importance *)0)->method)},
    {.name = "flags", .dtype = NB_H5_STRING, .ctype = NB_H5_C_CHARS, .field = IMP(flags),
     .size = sizeof(((nb_importance *)0)->flags)},
    {.name = "epochs", .dtype = NB_H5_I64, .ctype = NB_H5_C_INT, .field = IMP(epochs),
     .max = INT32_MAX},
    {.name = "seed", .dtype = NB_H5_U64, .ctype = NB_H5_C_U64, .field = IMP(seed)},
    {.name = "top_k", .dtype = NB_H5_I64, .ctype = NB_H5_C_SIZE, .field = IMP(top_k),
     .max = NB_H5_MAX_TOP_K, .flags = NB_H5_DECLARES, .rule = rule_top_k},
};

/* clang-format on */

static void importance_count(const void *grp, nb_h5_dims *k) {
    k->top_k = ((const nb_importance *)grp)->top_k;
}

static nb_status importance_match(const void *grp, const nb_h5_dims *k, const char *path) {
    const nb_importance *imp = grp;
    char subject[512];
    snprintf(subject, sizeof subject, "%s /importance", path ? path : "model");
    if (imp->n_layers != k->L)
        return NB_RAISE(NB_E_MISMATCH, subject, "%zu layers, the network has %zu", imp->n_layers,
                        k->L);
    for (size_t l = 0; l < k->L; l++)
        if (imp->layer_size[l] != k->n[l])
            return NB_RAISE(NB_E_MISMATCH, subject, "layer %zu has %zu nodes, the network %zu", l,
                            imp->layer_size[l], k->n[l]);
    if (imp->n_classes != k->C)
        return NB_RAISE(NB_E_MISMATCH, subject, "%zu classes, the network has %zu", imp->n_classes,
                        k->C);
    return NB_OK;
}

static nb_status importance_init(void *grp, const nb_h5_dims *k) {
    return nb_importance_init(grp, k->L, k->n, k->top_k);
}

/* ---- /bundle -------------------------------------------------------------------------- */

/* clang-format off */

#define BUN(field) offsetof(nb_bundle_data, field)

static const nb_h5_dataset bundle_datasets[] = {
    {.name = "node_position", .dtype = NB_H5_F32, .rank = 2, .shape = {NB_H5_DIM_N, NB_H5_DIM_3},
     .data = BUN(node_position), .rule = nb_h5_rule_finite},
    {.name = "layer_offset", .dtype = NB_H5_I64, .rank = 1, .shape = {NB_H5_DIM_L1},
     .data = BUN(layer_offset), .rule = rule_layer_offsets},
    {.name = "edge_source", .dtype = NB_H5_U32, .rank = 1, .shape = {NB_H5_DIM_E},
     .data = BUN(edge_source), .flags = NB_H5_DECLARES, .rule = rule_node_ids},
    {.name = "edge_target", .dtype = NB_H5_U32, .rank = 1, .shape = {NB_H5_DIM_E},
     .data = BUN(edge_target), .rule = rule_edge_targets},
    {.name = "edge_point_offset", .dtype = NB_H5_U64, .rank = 1, .shape = {NB_H5_DIM_E1},
     .data = BUN(edge_point_offset), .rule = rule_point_offsets},
    {.name = "point_position", .dtype = NB_H5_F32, .rank = 2, .shape = {NB_H5_DIM_S, NB_H5_DIM_3},
     .data = BUN(point_position), .flags = NB_H5_DECLARES, .rule = nb_h5_rule_finite},
    {.name = "edge_alpha", .dtype = NB_H5_F32, .rank = 1, .shape = {NB_H5_DIM_E},
     .data = BUN(edge_alpha), .rule = nb_h5_rule_unit},
};

/* Metrics and timings: float64, NaN = not measured. */
#define BUN_F64(name_, field_)                                                                     \
    {.name = name_, .dtype = NB_H5_F64, .ctype = NB_H5_C_DOUBLE, .field = BUN(field_)}

static const nb_h5_attr bundle_attrs[] = {
    {.name = "config_json", .dtype = NB_H5_STRING, .ctype = NB_H5_C_TEXT,
     .field = BUN(config_json), .size = NB_H5_MAX_CONFIG_JSON},
    {.name = "node_iterations", .dtype = NB_H5_I64, .ctype = NB_H5_C_INT,
     .field = BUN(node_iterations), .max = INT32_MAX},
    {.name = "edge_iterations", .dtype = NB_H5_I64, .ctype = NB_H5_C_INT,
     .field = BUN(edge_iterations), .max = INT32_MAX},
    {.name = "n_edges_total", .dtype = NB_H5_U64, .ctype = NB_H5_C_SIZE,
     .field = BUN(n_edges_total), .rule = rule_edges_total},
    BUN_F64("mean_distortion", metrics.mean_distortion),
    BUN_F64("max_distortion", metrics.max_distortion),
    BUN_F64("mean_length_diff", metrics.mean_length_diff),
    BUN_F64("ink_ratio", metrics.ink_ratio),
    BUN_F64("ink_ratio_layout", metrics.ink_ratio_layout),
    BUN_F64("max_turn_degrees", metrics.max_turn_degrees),
    BUN_F64("time_layout", time_layout),
    BUN_F64("time_node_phase", time_node_phase),
    BUN_F64("time_edge_phase", time_edge_phase),
    BUN_F64("time_total", time_total),
};

/* clang-format on */

static void bundle_count(const void *grp, nb_h5_dims *k) {
    const nb_bundle_data *b = grp;
    k->E = b->n_edges;
    k->S = b->n_points;
}

static nb_status bundle_match(const void *grp, const nb_h5_dims *k, const char *path) {
    const nb_bundle_data *b = grp;
    char subject[512];
    if (b->n_layers != k->L) {
        snprintf(subject, sizeof subject, "%s /bundle/layer_offset", path ? path : "model");
        return NB_RAISE(NB_E_MISMATCH, subject, "%zu layers, the network has %zu", b->n_layers,
                        k->L);
    }
    if (b->n_nodes != k->N) {
        snprintf(subject, sizeof subject, "%s /bundle/node_position", path ? path : "model");
        return NB_RAISE(NB_E_MISMATCH, subject, "%zu nodes, the network has %zu", b->n_nodes, k->N);
    }
    return NB_OK;
}

/* A file without n_edges_total had nothing pruned: the init default is E. */
static nb_status bundle_init(void *grp, const nb_h5_dims *k) {
    nb_bundle_data *b = grp;
    NB_TRY(nb_bundle_data_init(b, k->L, k->N, k->E, k->S));
    b->n_edges_total = k->E;
    return NB_OK;
}

/* ---- /network/ops ---------------------------------------------------------------------- */

/* clang-format off */

#define OP(field) offsetof(nb_op, field)
#define K(kind)   NB_H5_OP_BIT(NB_OP_##kind)
#define ALL_KINDS (NB_H5_OP_BIT(NB_OP_COUNT) - 1u)
#define WINDOWED  (K(CONV2D) | K(MAXPOOL) | K(AVGPOOL))
#define SIZE_ATTR(name_, kinds_, min_)                                                           \
    {.name = #name_, .ctype = NB_H5_OP_SIZE, .field = OP(name_), .kinds = kinds_, .min = min_,      \
     .max = NB_H5_MAX_LAYER_SIZE}

const nb_h5_op_attr nb_h5_op_attrs[] = {
    SIZE_ATTR(in_c, ALL_KINDS, 1),
    SIZE_ATTR(in_h, ALL_KINDS, 1),
    SIZE_ATTR(in_w, ALL_KINDS, 1),
    SIZE_ATTR(out_c, ALL_KINDS, 1),
    SIZE_ATTR(out_h, ALL_KINDS, 1),
    SIZE_ATTR(out_w, ALL_KINDS, 1),
    SIZE_ATTR(kernel_h, WINDOWED, 1),
    SIZE_ATTR(kernel_w, WINDOWED, 1),
    SIZE_ATTR(stride_h, WINDOWED, 1),
    SIZE_ATTR(stride_w, WINDOWED, 1),
    SIZE_ATTR(dilation_h, K(CONV2D), 1),
    SIZE_ATTR(dilation_w, K(CONV2D), 1),
    SIZE_ATTR(pad_top, WINDOWED, 0),
    SIZE_ATTR(pad_left, WINDOWED, 0),
    SIZE_ATTR(pad_bottom, WINDOWED, 0),
    SIZE_ATTR(pad_right, WINDOWED, 0),
    {.name = "count_include_pad", .ctype = NB_H5_OP_BOOL, .field = OP(count_include_pad),
     .kinds = K(AVGPOOL), .min = 0, .max = 1},
    {.name = "gelu_tanh", .ctype = NB_H5_OP_BOOL, .field = OP(gelu_tanh), .kinds = K(GELU),
     .min = 0, .max = 1},
    {.name = "alpha", .ctype = NB_H5_OP_FLOAT, .field = OP(alpha),
     .kinds = K(LEAKY_RELU) | K(DROPOUT)},
    {.name = "eps", .ctype = NB_H5_OP_FLOAT, .field = OP(eps), .kinds = K(BATCHNORM)},
};

const nb_h5_op_dataset nb_h5_op_datasets[] = {
    {.name = "weight", .field = OP(weight), .kinds = K(DENSE) | K(CONV2D),
     .count = NB_H5_OP_WEIGHTS},
    {.name = "bias", .field = OP(bias), .kinds = K(DENSE) | K(CONV2D), .count = NB_H5_OP_BIASES,
     .optional = true},
    {.name = "gamma", .field = OP(gamma), .kinds = K(BATCHNORM), .count = NB_H5_OP_CHANNELS},
    {.name = "beta", .field = OP(beta), .kinds = K(BATCHNORM), .count = NB_H5_OP_CHANNELS},
    {.name = "mean", .field = OP(mean), .kinds = K(BATCHNORM), .count = NB_H5_OP_CHANNELS},
    {.name = "var", .field = OP(var), .kinds = K(BATCHNORM), .count = NB_H5_OP_CHANNELS,
     .positive_or_zero = true},
};

/* clang-format on */

const size_t nb_h5_n_op_attrs = sizeof nb_h5_op_attrs / sizeof nb_h5_op_attrs[0];
const size_t nb_h5_n_op_datasets = sizeof nb_h5_op_datasets / sizeof nb_h5_op_datasets[0];

int nb_h5_op_shape(const nb_h5_op_dataset *ds, const nb_op *op, size_t dims[4]) {
    if ((unsigned)op->kind >= NB_OP_COUNT || !(ds->kinds & NB_H5_OP_BIT(op->kind)))
        return 0;
    switch (ds->count) {
    case NB_H5_OP_WEIGHTS:
        dims[0] = op->out_c;
        if (op->kind == NB_OP_DENSE) {
            dims[1] = op->in_c * op->in_h * op->in_w;
            return 2;
        }
        dims[1] = op->in_c;
        dims[2] = op->kernel_h;
        dims[3] = op->kernel_w;
        return 4;
    case NB_H5_OP_BIASES:
        dims[0] = op->out_c;
        return 1;
    case NB_H5_OP_CHANNELS:
        dims[0] = op->in_c;
        return 1;
    }
    return 0;
}

/* a * b, or SIZE_MAX when it exceeds NB_H5_MAX_ELEMENTS (the operands are <= 2^30). */
static size_t bounded_product(size_t a, size_t b) {
    if (a && b > NB_H5_MAX_ELEMENTS / a)
        return SIZE_MAX;
    return a * b;
}

/* Output length of a window of `kernel` taps spread by `dilation` sliding by `stride` over
 * `in` values padded by `before` and `after`: 0 when the window does not fit. */
static size_t window_out(size_t in, size_t before, size_t after, size_t kernel, size_t stride,
                         size_t dilation) {
    size_t padded = in + before + after, span = dilation * (kernel - 1) + 1;
    return padded < span ? 0 : (padded - span) / stride + 1;
}

nb_status nb_h5_op_check(const nb_op *op, size_t in_c, size_t in_h, size_t in_w, bool last,
                         const char *subject) {
    const char *kind = nb_op_kind_name(op->kind);
    if (!kind)
        return NB_RAISE(NB_E_FORMAT, subject, "operator kind %d out of range", (int)op->kind);
    if (op->in_c != in_c || op->in_h != in_h || op->in_w != in_w)
        return NB_RAISE(NB_E_FORMAT, subject,
                        "%s: input %zux%zux%zu, but the tensor before it is %zux%zux%zu", kind,
                        op->in_c, op->in_h, op->in_w, in_c, in_h, in_w);
    size_t dims[6] = {op->in_c, op->in_h, op->in_w, op->out_c, op->out_h, op->out_w};
    for (size_t i = 0; i < 6; i++)
        if (dims[i] < 1 || dims[i] > NB_H5_MAX_LAYER_SIZE)
            return NB_RAISE(NB_E_FORMAT, subject, "%s: %s dimension %zu, expected 1..%d", kind,
                            i < 3 ? "input" : "output", dims[i], NB_H5_MAX_LAYER_SIZE);
    size_t n_in = bounded_product(bounded_product(in_c, in_h), in_w);
    size_t n_out = bounded_product(bounded_product(op->out_c, op->out_h), op->out_w);
    if (n_in == SIZE_MAX || n_out == SIZE_MAX)
        return NB_RAISE(NB_E_FORMAT, subject, "%s: a tensor of over %llu values", kind,
                        (unsigned long long)NB_H5_MAX_ELEMENTS);
    size_t want_c = in_c, want_h = in_h, want_w = in_w;
    switch (op->kind) {
    case NB_OP_DENSE:
        want_c = op->out_c;
        want_h = want_w = 1;
        if (bounded_product(op->out_c, n_in) == SIZE_MAX)
            return NB_RAISE(NB_E_FORMAT, subject, "dense: over %llu weights",
                            (unsigned long long)NB_H5_MAX_ELEMENTS);
        break;
    case NB_OP_CONV2D:
    case NB_OP_MAXPOOL:
    case NB_OP_AVGPOOL: {
        bool conv = op->kind == NB_OP_CONV2D;
        size_t dil_h = conv ? op->dilation_h : 1, dil_w = conv ? op->dilation_w : 1;
        size_t k[6] = {op->kernel_h, op->kernel_w, op->stride_h, op->stride_w, dil_h, dil_w};
        for (size_t i = 0; i < 6; i++)
            if (k[i] < 1 || k[i] > NB_H5_MAX_LAYER_SIZE)
                return NB_RAISE(NB_E_FORMAT, subject,
                                "%s: kernel, stride and dilation must be 1..%d, got %zu", kind,
                                NB_H5_MAX_LAYER_SIZE, k[i]);
        if (op->pad_top > NB_H5_MAX_LAYER_SIZE || op->pad_bottom > NB_H5_MAX_LAYER_SIZE ||
            op->pad_left > NB_H5_MAX_LAYER_SIZE || op->pad_right > NB_H5_MAX_LAYER_SIZE)
            return NB_RAISE(NB_E_FORMAT, subject, "%s: padding over %d", kind,
                            NB_H5_MAX_LAYER_SIZE);
        /* pooling: padding smaller than the window (PyTorch's rule; nb_graph's too) */
        if (!conv && (op->pad_top >= op->kernel_h || op->pad_bottom >= op->kernel_h ||
                      op->pad_left >= op->kernel_w || op->pad_right >= op->kernel_w))
            return NB_RAISE(NB_E_FORMAT, subject,
                            "%s: padding must be smaller than the %zux%zu window", kind,
                            op->kernel_h, op->kernel_w);
        want_c = op->kind == NB_OP_CONV2D ? op->out_c : in_c;
        want_h = window_out(in_h, op->pad_top, op->pad_bottom, op->kernel_h, op->stride_h, dil_h);
        want_w = window_out(in_w, op->pad_left, op->pad_right, op->kernel_w, op->stride_w, dil_w);
        if (want_h == 0 || want_w == 0)
            return NB_RAISE(NB_E_FORMAT, subject,
                            "%s: a %zux%zu kernel (dilation %zux%zu) does not fit the padded "
                            "%zux%zu input",
                            kind, op->kernel_h, op->kernel_w, dil_h, dil_w,
                            in_h + op->pad_top + op->pad_bottom,
                            in_w + op->pad_left + op->pad_right);
        if (op->kind == NB_OP_CONV2D &&
            bounded_product(bounded_product(op->out_c, in_c),
                            bounded_product(op->kernel_h, op->kernel_w)) == SIZE_MAX)
            return NB_RAISE(NB_E_FORMAT, subject, "conv2d: over %llu weights",
                            (unsigned long long)NB_H5_MAX_ELEMENTS);
        break;
    }
    case NB_OP_GLOBAL_AVGPOOL:
        want_h = want_w = 1;
        break;
    case NB_OP_FLATTEN:
        want_c = n_in;
        want_h = want_w = 1;
        break;
    case NB_OP_BATCHNORM:
        if (!isfinite(op->eps) || op->eps <= 0.0f)
            return NB_RAISE(NB_E_NUMERIC, subject, "batchnorm: eps %g, expected a finite value > 0",
                            (double)op->eps);
        break;
    case NB_OP_LEAKY_RELU:
    case NB_OP_DROPOUT:
        if (!isfinite(op->alpha))
            return NB_RAISE(NB_E_NUMERIC, subject, "%s: alpha %g is not finite", kind,
                            (double)op->alpha);
        break;
    case NB_OP_SOFTMAX:
        if (!last)
            return NB_RAISE(NB_E_FORMAT, subject, "softmax is only allowed as the last operator");
        break;
    default:
        break;
    }
    if (op->out_c != want_c || op->out_h != want_h || op->out_w != want_w)
        return NB_RAISE(NB_E_FORMAT, subject, "%s: output %zux%zux%zu, expected %zux%zux%zu", kind,
                        op->out_c, op->out_h, op->out_w, want_c, want_h, want_w);
    return NB_OK;
}

static float *op_array(const nb_op *op, const nb_h5_op_dataset *ds) {
    float *p;
    memcpy(&p, (const char *)op + ds->field, sizeof p);
    return p;
}

/* The arrays of operator op: present where required, finite, >= 0 where the row says. */
static nb_status check_op_arrays(const nb_op *op, const char *opobj) {
    for (size_t i = 0; i < nb_h5_n_op_datasets; i++) {
        const nb_h5_op_dataset *ds = &nb_h5_op_datasets[i];
        size_t dims[4];
        int rank = nb_h5_op_shape(ds, op, dims);
        if (rank == 0)
            continue;
        char subject[512];
        snprintf(subject, sizeof subject, "%s/%s", opobj, ds->name);
        const float *x = op_array(op, ds);
        if (!x) {
            if (ds->optional)
                continue;
            return NB_RAISE(NB_E_MISSING, subject, "%s has no %s", nb_op_kind_name(op->kind),
                            ds->name);
        }
        size_t n = 1;
        for (int d = 0; d < rank; d++)
            n *= dims[d];
        nb_h5_values v = {.data = x, .n = n, .cols = rank == 1 ? 0 : n / dims[0]};
        NB_TRY(nb_h5_rule_finite(&v, subject));
        if (ds->positive_or_zero)
            for (size_t j = 0; j < n; j++)
                if (x[j] < 0.0f)
                    return NB_RAISE(NB_E_NUMERIC, subject, "value %g at [%zu], expected >= 0",
                                    (double)x[j], j);
    }
    return NB_OK;
}

nb_status nb_h5_ops_validate(const nb_network *net, const char *path) {
    if (net->n_ops == 0)
        return NB_OK;
    char subject[512];
    snprintf(subject, sizeof subject, "%s /network/%s", path ? path : "model", NB_H5_OPS_NAME);
    if (!net->ops)
        return NB_RAISE(NB_E_INVALID, subject, "%zu operators but no array", net->n_ops);
    if (net->n_ops > NB_H5_MAX_OPS)
        return NB_RAISE(NB_E_FORMAT, subject, "%zu operators, at most %d", net->n_ops,
                        NB_H5_MAX_OPS);
    size_t c = net->in_c, h = net->in_h, w = net->in_w;
    if (c < 1 || h < 1 || w < 1 || c > NB_H5_MAX_LAYER_SIZE || h > NB_H5_MAX_LAYER_SIZE ||
        w > NB_H5_MAX_LAYER_SIZE)
        return NB_RAISE(NB_E_FORMAT, subject, "input shape %zux%zux%zu, each expected 1..%d", c, h,
                        w, NB_H5_MAX_LAYER_SIZE);
    /* node layers of the chain, compared with the graph view as they come; the input layer
     * is flat when the first node operator is a dense with no pooling before it */
    size_t layer = 0;
    bool pooled = false;
    for (size_t k = 0; k < net->n_ops; k++) {
        const nb_op *op = &net->ops[k];
        char opobj[512];
        snprintf(opobj, sizeof opobj, "%s/%03zu", subject, k);
        NB_TRY(nb_h5_op_check(op, c, h, w, k + 1 == net->n_ops, opobj));
        NB_TRY(check_op_arrays(op, opobj));
        if (op->kind == NB_OP_DENSE || op->kind == NB_OP_CONV2D) {
            if (layer == 0) {
                size_t n0 = op->kind == NB_OP_DENSE && !pooled ? net->in_c * net->in_h * net->in_w
                                                               : net->in_c;
                if (net->n_layers < 1 || net->layer_size[0] != n0)
                    return NB_RAISE(NB_E_MISMATCH, opobj,
                                    "the input node layer has %zu nodes, the graph view (%s "
                                    "/network/layer_sizes) %zu",
                                    n0, path ? path : "model",
                                    net->n_layers ? net->layer_size[0] : 0);
            }
            layer++;
            if (layer >= net->n_layers || net->layer_size[layer] != op->out_c)
                return NB_RAISE(NB_E_MISMATCH, opobj,
                                "%s makes node layer %zu of %zu nodes, the graph view (%s "
                                "/network/layer_sizes) has %s %zu",
                                nb_op_kind_name(op->kind), layer, op->out_c, path ? path : "model",
                                layer >= net->n_layers ? "layers, in all," : "nodes",
                                layer >= net->n_layers ? net->n_layers : net->layer_size[layer]);
        }
        pooled = pooled || op->kind == NB_OP_MAXPOOL || op->kind == NB_OP_AVGPOOL ||
                 op->kind == NB_OP_GLOBAL_AVGPOOL;
        c = op->out_c;
        h = op->out_h;
        w = op->out_w;
    }
    if (layer == 0)
        return NB_RAISE(NB_E_FORMAT, subject, "no dense or conv2d operator");
    if (layer + 1 != net->n_layers)
        return NB_RAISE(NB_E_MISMATCH, subject,
                        "the operators make %zu node layers, the graph view has %zu", layer + 1,
                        net->n_layers);
    size_t C = net->layer_size[net->n_layers - 1];
    if (h != 1 || w != 1 || c != C)
        return NB_RAISE(NB_E_FORMAT, subject,
                        "the chain ends in %zux%zux%zu values, expected the %zu class scores "
                        "(%zux1x1)",
                        c, h, w, C, C);
    return NB_OK;
}

/* ---- the file ------------------------------------------------------------------------- */

#define TABLE(t) t, sizeof t / sizeof t[0]

const nb_h5_group nb_h5_groups[] = {
    {"network", offsetof(nb_model, network), offsetof(nb_model, has_network), true,
     TABLE(network_datasets), TABLE(network_attrs), network_count, NULL, network_init},
    {"importance", offsetof(nb_model, importance), offsetof(nb_model, has_importance), false,
     TABLE(importance_datasets), TABLE(importance_attrs), importance_count, importance_match,
     importance_init},
    {"bundle", offsetof(nb_model, bundle), offsetof(nb_model, has_bundle), false,
     TABLE(bundle_datasets), TABLE(bundle_attrs), bundle_count, bundle_match, bundle_init},
};

const size_t nb_h5_n_groups = sizeof nb_h5_groups / sizeof nb_h5_groups[0];

const nb_h5_root_attr nb_h5_root[NB_H5_N_ROOT] = {
    [NB_H5_ROOT_FORMAT] = {"format", NB_H5_STRING, "nnbundle", 0},
    [NB_H5_ROOT_VERSION] = {"format_version", NB_H5_I64, NULL, NB_FORMAT_VERSION},
    [NB_H5_ROOT_SOFTWARE] = {"software_version", NB_H5_STRING, NB_VERSION, 0},
};
