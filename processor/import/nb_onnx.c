/* nb_onnx.c - the ONNX reader: a ModelProto whose graph is a chain of supported operators,
 * read into an nb_network with an operator chain (nb_op) and its graph view.
 *
 * DESIGN: the file is read whole and unpacked with protobuf-c (code generated at build time
 * by protoc-c from libonnx-dev's onnx.proto, see CMakeLists.txt). The graph must be a chain:
 * from the one graph input that is not an initializer, every tensor is consumed by exactly
 * one node, whose other inputs are constants (initializers or Constant nodes), down to the
 * one graph output. The walk follows the chain tensor node by node and maps each node to 0
 * or 1 nb_op (Identity, Pad and a rank-2 Flatten to none, MatMul + Add of a constant to one
 * DENSE with bias, a zero Pad into the next Conv/AveragePool's padding), while it tracks the
 * tensor's shape [N][c][h][w] (rank 2 to 4; [N,C,L] is read as C x L x 1, so 1-D
 * convolutions and pools are 2-D ones with a width of 1; the batch dimension N is symbolic
 * or a number and is ignored: nnbundle runs one image at a time). Two non-chain subgraphs
 * that torch.onnx writes are accepted: GELU (opset < 20), x * 0.5 * (1 + erf(x / sqrt 2)) as
 * Div, Erf, Add, Mul, Mul (either Mul order), read as one GELU; and a Reshape whose target is
 * computed from Shape(x) by Gather/Unsqueeze/Concat (x.view(x.size(0), -1)), which is
 * evaluated here. A transposed constant matrix (Transpose of an initializer) is folded. A
 * node left off the chain, a second consumer, an operator, attribute, data type or
 * shape outside the supported set is refused, naming the file, the node (its name, or
 * #index when it has none) with its operator type, and the attribute or initializer.
 * Weights are converted to float32 in PyTorch layout (Gemm: alpha*B or alpha*B^T as
 * [out][in], beta*C as bias) and checked to be finite.
 * Operator semantics: onnx.ai/onnx/operators (opset 1 to 20 of the default domain).
 * Single-threaded; no global state. Reads no config keys.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nb_graph.h"
#include "nb_import.h"
#include "nb_input.h"
#include "onnx.pb-c.h"

#define ONNX_MAX_FILE ((long)1 << 31) /* protobuf messages are limited to 2 GiB */
#define ONNX_MAX_RANK 8
#define ONNX_BATCH    INT64_MIN /* the batch dimension in a computed shape */

static const char supported_ops[] =
    "Gemm, MatMul, Add (bias), Conv, MaxPool, AveragePool, GlobalAveragePool, Flatten, "
    "Reshape (flattening, also to a shape computed by Shape/Gather/Unsqueeze/Concat), "
    "BatchNormalization, Dropout, Identity, Relu, LeakyRelu, Sigmoid, "
    "Tanh, Gelu (and its Div-Erf-Add-Mul-Mul form), Softmax (last), Constant, Pad (zeros, "
    "before Conv/AveragePool)";

/* A constant tensor (initializer or Constant node output), values as double (exact for
 * float32 and for int64 shapes below 2^53). */
typedef struct onnx_const {
    size_t rank;
    int64_t dims[ONNX_MAX_RANK];
    size_t count;
    double *v; /* owned */
} onnx_const;

typedef struct onnx_ctx {
    const char *path;
    const nb_import_onnx_options *opt;
    const Onnx__GraphProto *g;
    int64_t opset; /* default domain */
    bool *visited; /* [n_node] */
    char subject[512];
    /* the chain tensor */
    const char *cur;
    size_t rank; /* 2..4, batch included */
    size_t c, h, w;
    int64_t batch; /* 0 = symbolic */
    /* the operators so far */
    nb_op *ops;
    size_t n_ops, cap_ops;
    bool last_is_node_op; /* the last emitted op is a DENSE/CONV2D whose output is cur */
    /* zero padding of a Pad node not yet applied: the next node must be a Conv or an
     * AveragePool, which take it as their own (top, left, bottom, right) */
    size_t pend_pad[4];
    bool pend;
    /* the target shape of the next Reshape when it is computed from Shape(x) (x.view(
     * x.size(0), -1) in torch); NULL: read it from the Reshape's constant input */
    const int64_t *reshape_to;
    size_t reshape_rank;
} onnx_ctx;

/* ---- names and subjects ---- */

/* Control characters of names from the file would garble the terminal: shown as '?'. */
static const char *clean_subject(onnx_ctx *x) {
    for (char *p = x->subject; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return x->subject;
}

static const char *node_subject(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    if (n->name && n->name[0])
        snprintf(x->subject, sizeof x->subject, "%s node '%s' (%s)", x->path, n->name,
                 n->op_type ? n->op_type : "?");
    else
        snprintf(x->subject, sizeof x->subject, "%s node #%zu (%s)", x->path, k,
                 n->op_type ? n->op_type : "?");
    return clean_subject(x);
}

static bool is_op(const Onnx__NodeProto *n, const char *type) {
    return n->op_type && !strcmp(n->op_type, type);
}

static bool is_graph_output(const onnx_ctx *x, const char *name) {
    for (size_t i = 0; i < x->g->n_output; i++)
        if (x->g->output[i]->name && !strcmp(x->g->output[i]->name, name))
            return true;
    return false;
}

static const Onnx__TensorProto *find_initializer(const onnx_ctx *x, const char *name) {
    for (size_t i = 0; i < x->g->n_initializer; i++)
        if (x->g->initializer[i]->name && !strcmp(x->g->initializer[i]->name, name))
            return x->g->initializer[i];
    return NULL;
}

/* Index of the node that writes `name`, or SIZE_MAX. */
static size_t producer(const onnx_ctx *x, const char *name) {
    for (size_t k = 0; k < x->g->n_node; k++)
        for (size_t o = 0; o < x->g->node[k]->n_output; o++)
            if (!strcmp(x->g->node[k]->output[o], name))
                return k;
    return SIZE_MAX;
}

/* Nodes that read `name` (up to cap of them listed in out); returns their count. */
static size_t consumers(const onnx_ctx *x, const char *name, size_t *out, size_t cap) {
    size_t n = 0;
    for (size_t k = 0; k < x->g->n_node; k++) {
        const Onnx__NodeProto *node = x->g->node[k];
        for (size_t i = 0; i < node->n_input; i++)
            if (!strcmp(node->input[i], name)) {
                if (n < cap)
                    out[n] = k;
                n++;
                break;
            }
    }
    return n;
}

/* ---- attributes ---- */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

static int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t def) {
    const Onnx__AttributeProto *a = attr(n, name);
    return a ? a->i : def;
}

static float attr_float(const Onnx__NodeProto *n, const char *name, float def) {
    const Onnx__AttributeProto *a = attr(n, name);
    return a ? a->f : def;
}

/* The string attribute as a NUL-terminated copy in buf ("" if absent). */
static const char *attr_string(const Onnx__NodeProto *n, const char *name, char *buf, size_t cap) {
    const Onnx__AttributeProto *a = attr(n, name);
    buf[0] = '\0';
    if (a && a->s.data) {
        size_t len = a->s.len < cap - 1 ? a->s.len : cap - 1;
        memcpy(buf, a->s.data, len);
        buf[len] = '\0';
    }
    return buf;
}

/* Refuses every attribute of node k not in the NULL-terminated list `known`. */
static nb_status check_attributes(onnx_ctx *x, size_t k, const char *const *known) {
    const Onnx__NodeProto *n = x->g->node[k];
    for (size_t i = 0; i < n->n_attribute; i++) {
        const char *name = n->attribute[i]->name ? n->attribute[i]->name : "";
        bool ok = false;
        for (const char *const *p = known; *p && !ok; p++)
            ok = !strcmp(*p, name);
        if (!ok)
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k), "attribute '%s' is not supported",
                            name);
    }
    return NB_OK;
}

/* ---- tensors ---- */

static void const_deinit(onnx_const *t) {
    free(t->v);
    memset(t, 0, sizeof *t);
}

static uint32_t load_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_u64(const uint8_t *p) {
    return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

/* Converts a TensorProto (float, double, int32, int64; raw_data little-endian or typed
 * fields) to doubles. `what` names it in errors ("initializer 'W'"). */
static nb_status tensor_to_const(onnx_ctx *x, const Onnx__TensorProto *t, const char *subject,
                                 const char *what, onnx_const *out) {
    memset(out, 0, sizeof *out);
    if (t->n_dims > ONNX_MAX_RANK)
        return NB_RAISE(NB_E_UNSUPPORTED, subject, "%s has rank %zu (at most %d)", what, t->n_dims,
                        ONNX_MAX_RANK);
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return NB_RAISE(NB_E_UNSUPPORTED, subject,
                        "%s is stored in an external data file (not supported: save the model "
                        "with its weights inside)",
                        what);
    if (t->segment)
        return NB_RAISE(NB_E_UNSUPPORTED, subject, "%s is a segmented tensor", what);
    size_t count = 1;
    for (size_t d = 0; d < t->n_dims; d++) {
        if (t->dims[d] < 0 || (t->dims[d] > 0 && count > ((size_t)1 << 40) / (size_t)t->dims[d]))
            return NB_RAISE(NB_E_FORMAT, subject, "%s has a bad dimension %lld", what,
                            (long long)t->dims[d]);
        count *= (size_t)t->dims[d];
        out->dims[d] = t->dims[d];
    }
    out->rank = t->n_dims;
    out->count = count;
    const int32_t type = t->data_type;
    size_t elem = 0, typed = 0;
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        elem = 4, typed = t->n_float_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        elem = 8, typed = t->n_double_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        elem = 4, typed = t->n_int32_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: /* int32_data, or one byte each in raw_data */
        elem = 1, typed = t->n_int32_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        elem = 8, typed = t->n_int64_data;
        break;
    default:
        return NB_RAISE(NB_E_UNSUPPORTED, subject,
                        "%s has data type %d (supported: float32, float64, int32, int64, bool)",
                        what, (int)type);
    }
    const bool raw = t->has_raw_data;
    if (raw ? t->raw_data.len != count * elem : typed != count)
        return NB_RAISE(NB_E_FORMAT, subject,
                        "%s holds %zu values for its shape of %zu values (truncated or malformed)",
                        what, raw ? t->raw_data.len / elem : typed, count);
    out->v = malloc((count ? count : 1) * sizeof *out->v);
    if (!out->v)
        return NB_RAISE(NB_E_NOMEM, subject, "%s: %zu values", what, count);
    const uint8_t *r = t->raw_data.data;
    for (size_t i = 0; i < count; i++) {
        double v = 0.0;
        switch (type) {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
            if (raw) {
                uint32_t u = load_u32(r + 4 * i);
                float f;
                memcpy(&f, &u, sizeof f);
                v = f;
            } else {
                v = t->float_data[i];
            }
            break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
            if (raw) {
                uint64_t u = load_u64(r + 8 * i);
                memcpy(&v, &u, sizeof v);
            } else {
                v = t->double_data[i];
            }
            break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
            v = raw ? (double)(int32_t)load_u32(r + 4 * i) : (double)t->int32_data[i];
            break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
            v = raw ? (double)(r[i] != 0) : (double)(t->int32_data[i] != 0);
            break;
        default:
            v = raw ? (double)(int64_t)load_u64(r + 8 * i) : (double)t->int64_data[i];
            break;
        }
        out->v[i] = v;
    }
    (void)x;
    return NB_OK;
}

/* The constant named `name`, an input of node k: an initializer or the output of a Constant
 * node. NB_E_MISSING when it is neither (naming the graph input it is, if it is one), or
 * NB_E_UNSUPPORTED when another node computes it (the graph is then not a chain). */
static nb_status get_const(onnx_ctx *x, size_t k, const char *name, const char *role,
                           onnx_const *out);

static nb_status get_const_raw(onnx_ctx *x, size_t k, const char *name, const char *role,
                               onnx_const *out) {
    char what[300];
    snprintf(what, sizeof what, "%s '%s'", role, name);
    const Onnx__TensorProto *t = find_initializer(x, name);
    if (t)
        return tensor_to_const(x, t, node_subject(x, k), what, out);
    size_t p = producer(x, name);
    if (p != SIZE_MAX && is_op(x->g->node[p], "Constant")) {
        const Onnx__NodeProto *cn = x->g->node[p];
        x->visited[p] = true;
        const Onnx__AttributeProto *a;
        if ((a = attr(cn, "value")) && a->t)
            return tensor_to_const(x, a->t, node_subject(x, k), what, out);
        memset(out, 0, sizeof *out);
        size_t n = 1;
        const float *fs = NULL;
        const int64_t *is = NULL;
        double one = 0.0;
        if ((a = attr(cn, "value_float"))) {
            one = a->f;
        } else if ((a = attr(cn, "value_int"))) {
            one = (double)a->i;
        } else if ((a = attr(cn, "value_floats"))) {
            fs = a->floats, n = a->n_floats, out->rank = 1, out->dims[0] = (int64_t)n;
        } else if ((a = attr(cn, "value_ints"))) {
            is = a->ints, n = a->n_ints, out->rank = 1, out->dims[0] = (int64_t)n;
        } else {
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, p),
                            "Constant without a tensor, float or int value is not supported");
        }
        out->count = n;
        out->v = malloc((n ? n : 1) * sizeof *out->v);
        if (!out->v)
            return NB_RAISE(NB_E_NOMEM, node_subject(x, k), "%s", what);
        for (size_t i = 0; i < n; i++)
            out->v[i] = fs ? fs[i] : is ? (double)is[i] : one;
        return NB_OK;
    }
    if (p != SIZE_MAX && is_op(x->g->node[p], "Transpose") && x->g->node[p]->n_input == 1 &&
        !x->visited[p] && strcmp(x->g->node[p]->input[0], x->cur) != 0) {
        /* a transposed constant matrix (older torch.onnx: MatMul(x, Transpose(W))) */
        const Onnx__NodeProto *tn = x->g->node[p];
        const Onnx__AttributeProto *perm = attr(tn, "perm");
        onnx_const src = {0};
        NB_TRY(get_const(x, p, tn->input[0], "transposed constant", &src));
        if (src.rank != 2 ||
            (perm && (perm->n_ints != 2 || perm->ints[0] != 1 || perm->ints[1] != 0))) {
            const_deinit(&src);
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, p),
                            "only a transposed matrix constant (perm [1,0]) is supported");
        }
        const size_t r = (size_t)src.dims[0], c = (size_t)src.dims[1];
        *out = src;
        out->v = malloc((src.count ? src.count : 1) * sizeof *out->v);
        if (!out->v) {
            const_deinit(&src);
            return NB_RAISE(NB_E_NOMEM, node_subject(x, k), "%s", what);
        }
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++)
                out->v[j * r + i] = src.v[i * c + j];
        out->dims[0] = (int64_t)c, out->dims[1] = (int64_t)r;
        const_deinit(&src);
        x->visited[p] = true;
        return NB_OK;
    }
    if (p != SIZE_MAX)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "%s is computed by node '%s' (%s), not a constant: the graph is not a "
                        "chain",
                        what, x->g->node[p]->name ? x->g->node[p]->name : "",
                        x->g->node[p]->op_type ? x->g->node[p]->op_type : "?");
    for (size_t i = 0; i < x->g->n_input; i++)
        if (x->g->input[i]->name && !strcmp(x->g->input[i]->name, name))
            return NB_RAISE(NB_E_MISSING, node_subject(x, k),
                            "%s is a graph input without an initializer (missing initializer)",
                            what);
    return NB_RAISE(NB_E_MISSING, node_subject(x, k),
                    "%s is neither an initializer nor a node output (missing initializer)", what);
}

/* get_const_raw, then every value finite (NB_E_NUMERIC naming the value's index in the
 * file's row-major order). */
static nb_status get_const(onnx_ctx *x, size_t k, const char *name, const char *role,
                           onnx_const *out) {
    NB_TRY(get_const_raw(x, k, name, role, out));
    for (size_t i = 0; i < out->count; i++)
        if (!isfinite(out->v[i])) {
            const double v = out->v[i];
            const_deinit(out);
            return NB_RAISE(NB_E_NUMERIC, node_subject(x, k),
                            "%s '%s' value %zu is %g (weights must be finite)", role, name, i, v);
        }
    return NB_OK;
}

/* Optional constant input i of node k: absent (out->v NULL) when the node has no such input
 * or its name is "". */
static nb_status get_opt_const(onnx_ctx *x, size_t k, size_t i, const char *role, onnx_const *out) {
    memset(out, 0, sizeof *out);
    const Onnx__NodeProto *n = x->g->node[k];
    if (i >= n->n_input || !n->input[i][0])
        return NB_OK;
    return get_const(x, k, n->input[i], role, out);
}

/* Float32 copy of a constant, every value finite (else NB_E_NUMERIC naming it), scaled. */
static nb_status const_floats(onnx_ctx *x, size_t k, const onnx_const *t, const char *role,
                              const char *name, double scale, float **out) {
    float *f = malloc((t->count ? t->count : 1) * sizeof *f);
    if (!f)
        return NB_RAISE(NB_E_NOMEM, node_subject(x, k), "%s '%s'", role, name);
    for (size_t i = 0; i < t->count; i++) {
        double v = t->v[i] * scale;
        if (!isfinite(v) || fabs(v) > 3.4e38) {
            free(f);
            return NB_RAISE(NB_E_NUMERIC, node_subject(x, k),
                            "%s '%s' value %zu is %g (weights must be finite float32)", role, name,
                            i, t->v[i]);
        }
        f[i] = (float)v;
    }
    *out = f;
    return NB_OK;
}

static void dims_text(const onnx_const *t, char *buf, size_t cap) {
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (size_t d = 0; d < t->rank && len < cap; d++)
        len +=
            (size_t)snprintf(buf + len, cap - len, "%s%lld", d ? "," : "", (long long)t->dims[d]);
    if (len < cap)
        snprintf(buf + len, cap - len, "]");
}

/* ---- the chain ---- */

static size_t cur_size(const onnx_ctx *x) {
    return x->c * x->h * x->w;
}

static void shape_text(const onnx_ctx *x, char *buf, size_t cap) {
    if (x->rank == 2)
        snprintf(buf, cap, "[N,%zu]", x->c);
    else if (x->rank == 3)
        snprintf(buf, cap, "[N,%zu,%zu]", x->c, x->h);
    else
        snprintf(buf, cap, "[N,%zu,%zu,%zu]", x->c, x->h, x->w);
}

/* Appends an operator with input shape = the chain's and output shape (c, h, w); takes
 * ownership of op's arrays (freed on failure). */
static nb_status push_op(onnx_ctx *x, size_t k, nb_op *op, size_t c, size_t h, size_t w) {
    if (x->n_ops == x->cap_ops) {
        size_t cap = x->cap_ops ? 2 * x->cap_ops : 16;
        nb_op *p = realloc(x->ops, cap * sizeof *p);
        if (!p) {
            nb_op_deinit(op);
            return NB_RAISE(NB_E_NOMEM, node_subject(x, k), "operator list");
        }
        x->ops = p, x->cap_ops = cap;
    }
    op->in_c = x->c, op->in_h = x->h, op->in_w = x->w;
    op->out_c = c, op->out_h = h, op->out_w = w;
    x->ops[x->n_ops++] = *op;
    x->c = c, x->h = h, x->w = w;
    x->last_is_node_op = op->kind == NB_OP_DENSE || op->kind == NB_OP_CONV2D;
    return NB_OK;
}

static nb_status push_simple(onnx_ctx *x, size_t k, nb_op_kind kind) {
    nb_op op = {.kind = kind};
    return push_op(x, k, &op, x->c, x->h, x->w);
}

/* The chain tensor must be input 0 of node k and every other input a constant. */
static nb_status chain_is_input0(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    if (n->n_input < 1 || strcmp(n->input[0], x->cur) != 0)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "reads the chain tensor '%s' as an input other than its first", x->cur);
    for (size_t i = 1; i < n->n_input; i++)
        if (!strcmp(n->input[i], x->cur))
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                            "reads the chain tensor '%s' twice: the graph is not a chain", x->cur);
    return NB_OK;
}

/* Convolutions and pools: a [N,C,L] (1-D, read as C x L x 1) or [N,C,H,W] input. */
static nb_status need_spatial(onnx_ctx *x, size_t k) {
    if (x->rank == 3 || x->rank == 4)
        return NB_OK;
    char s[96];
    shape_text(x, s, sizeof s);
    return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                    "input '%s' has shape %s: this operator needs [N,C,L] or [N,C,H,W]", x->cur, s);
}

/* Reads a per-spatial-dimension int list attribute (kernel_shape, strides, dilations): 2
 * values on [N,C,H,W], 1 on [N,C,L] (the second is then 1); absent: def0, def1. */
static nb_status attr_pair(onnx_ctx *x, size_t k, const char *name, size_t def0, size_t def1,
                           size_t *a0, size_t *a1) {
    const Onnx__AttributeProto *a = attr(x->g->node[k], name);
    const size_t sp = x->rank - 2;
    *a0 = def0, *a1 = def1;
    if (!a)
        return NB_OK;
    if (a->n_ints != sp)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute %s has %zu values for %zu spatial dimensions (only 1-D and "
                        "2-D operators are supported)",
                        name, a->n_ints, sp);
    for (size_t i = 0; i < sp; i++)
        if (a->ints[i] < 1 || a->ints[i] > 65536)
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                            "attribute %s value %lld out of range", name, (long long)a->ints[i]);
    *a0 = (size_t)a->ints[0];
    *a1 = sp == 2 ? (size_t)a->ints[1] : 1;
    return NB_OK;
}

/* Window geometry of Conv/MaxPool/AveragePool: strides, dilations, pads or auto_pad, output
 * size. op's kernel must be set. */
static nb_status window_geometry(onnx_ctx *x, size_t k, nb_op *op, size_t *out_h, size_t *out_w) {
    const Onnx__NodeProto *n = x->g->node[k];
    NB_TRY(attr_pair(x, k, "strides", 1, 1, &op->stride_h, &op->stride_w));
    NB_TRY(attr_pair(x, k, "dilations", 1, 1, &op->dilation_h, &op->dilation_w));
    const size_t ext_h = (op->kernel_h - 1) * op->dilation_h + 1;
    const size_t ext_w = (op->kernel_w - 1) * op->dilation_w + 1;
    char autopad[32];
    attr_string(n, "auto_pad", autopad, sizeof autopad);
    const Onnx__AttributeProto *pads = attr(n, "pads");
    if (!autopad[0] || !strcmp(autopad, "NOTSET")) {
        if (pads) {
            const size_t sp = x->rank - 2;
            if (pads->n_ints != 2 * sp)
                return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                                "attribute pads has %zu values for %zu spatial dimensions",
                                pads->n_ints, sp);
            for (size_t i = 0; i < 2 * sp; i++)
                if (pads->ints[i] < 0 || pads->ints[i] > 65536)
                    return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                                    "attribute pads value %lld is not supported",
                                    (long long)pads->ints[i]);
            /* ONNX order: [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right];
             * 1-D: [begin, end] along L (= H) */
            op->pad_top = (size_t)pads->ints[0], op->pad_bottom = (size_t)pads->ints[sp];
            if (sp == 2)
                op->pad_left = (size_t)pads->ints[1], op->pad_right = (size_t)pads->ints[3];
        }
    } else if (!strcmp(autopad, "VALID")) {
        /* no padding */
    } else if (!strcmp(autopad, "SAME_UPPER") || !strcmp(autopad, "SAME_LOWER")) {
        /* out = ceil(in / stride); the total padding is split, the odd pixel at the end
         * (SAME_UPPER) or at the beginning (SAME_LOWER). */
        const size_t oh = (x->h + op->stride_h - 1) / op->stride_h;
        const size_t ow = (x->w + op->stride_w - 1) / op->stride_w;
        const size_t need_h = (oh - 1) * op->stride_h + ext_h;
        const size_t need_w = (ow - 1) * op->stride_w + ext_w;
        const size_t th = need_h > x->h ? need_h - x->h : 0;
        const size_t tw = need_w > x->w ? need_w - x->w : 0;
        const bool upper = !strcmp(autopad, "SAME_UPPER");
        op->pad_top = upper ? th / 2 : th - th / 2;
        op->pad_bottom = th - op->pad_top;
        op->pad_left = upper ? tw / 2 : tw - tw / 2;
        op->pad_right = tw - op->pad_left;
    } else {
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute auto_pad='%s' is not supported", autopad);
    }
    if (x->pend) {
        /* a preceding Pad: zeros, like the operator's own padding (Conv), or counted in the
         * mean (AveragePool, which then must not pad itself without counting) */
        if (op->kind == NB_OP_AVGPOOL && !op->count_include_pad &&
            (op->pad_top || op->pad_left || op->pad_bottom || op->pad_right))
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                            "attribute count_include_pad=0 with pads after a Pad node");
        if (op->kind == NB_OP_AVGPOOL)
            op->count_include_pad = true;
        op->pad_top += x->pend_pad[0], op->pad_left += x->pend_pad[1];
        op->pad_bottom += x->pend_pad[2], op->pad_right += x->pend_pad[3];
        x->pend = false;
    }
    const size_t ph = x->h + op->pad_top + op->pad_bottom;
    const size_t pw = x->w + op->pad_left + op->pad_right;
    if (ph < ext_h || pw < ext_w)
        return NB_RAISE(NB_E_MISMATCH, node_subject(x, k),
                        "window %zux%zu (dilated) does not fit the padded input %zux%zu", ext_h,
                        ext_w, ph, pw);
    *out_h = (ph - ext_h) / op->stride_h + 1;
    *out_w = (pw - ext_w) / op->stride_w + 1;
    /* ceil_mode=1 is the same operator where the windows tile the padded input exactly */
    if (attr_int(n, "ceil_mode", 0) != 0 &&
        ((ph - ext_h) % op->stride_h != 0 || (pw - ext_w) % op->stride_w != 0))
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute ceil_mode=1 is not supported where it adds a partial window "
                        "(here %zux%zu padded input, window %zux%zu, stride %zux%zu); only "
                        "floor (0)",
                        ph, pw, ext_h, ext_w, op->stride_h, op->stride_w);
    return NB_OK;
}

static nb_status map_dense(onnx_ctx *x, size_t k, bool gemm) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const gemm_attrs[] = {"alpha",  "beta",      "transA",
                                             "transB", "broadcast", NULL};
    static const char *const no_attrs[] = {NULL};
    NB_TRY(check_attributes(x, k, gemm ? gemm_attrs : no_attrs));
    NB_TRY(chain_is_input0(x, k));
    if (n->n_input < 2)
        return NB_RAISE(NB_E_FORMAT, node_subject(x, k), "has %zu inputs, needs 2", n->n_input);
    if (x->rank != 2) {
        char s[96];
        shape_text(x, s, sizeof s);
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "input '%s' has shape %s: a dense layer needs a [N,features] input "
                        "(Flatten first)",
                        x->cur, s);
    }
    if (gemm && attr_int(n, "transA", 0) != 0)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute transA=%lld is not supported (only 0)",
                        (long long)attr_int(n, "transA", 0));
    const bool trans_b = gemm && attr_int(n, "transB", 0) != 0;
    const double alpha = gemm ? attr_float(n, "alpha", 1.0f) : 1.0;
    const double beta = gemm ? attr_float(n, "beta", 1.0f) : 1.0;
    onnx_const b = {0}, cb = {0};
    nb_status s = get_const(x, k, n->input[1], "weight", &b);
    if (s != NB_OK)
        return s;
    char d[128];
    dims_text(&b, d, sizeof d);
    const size_t in = cur_size(x);
    if (b.rank != 2 || (size_t)b.dims[trans_b ? 1 : 0] != in) {
        s = NB_RAISE(NB_E_MISMATCH, node_subject(x, k),
                     "weight '%s' has shape %s, expected [%zu,out]%s for the input of %zu "
                     "features",
                     n->input[1], d, in, trans_b ? " transposed (transB=1)" : "", in);
        const_deinit(&b);
        return s;
    }
    const size_t out = (size_t)b.dims[trans_b ? 0 : 1];
    if (out == 0) {
        const_deinit(&b);
        return NB_RAISE(NB_E_MISMATCH, node_subject(x, k), "weight '%s' has no outputs",
                        n->input[1]);
    }
    nb_op op = {.kind = NB_OP_DENSE};
    /* PyTorch layout W[o][i]: transB=1 stores B as [out][in] already. */
    onnx_const wt = {.rank = 2, .count = b.count, .v = malloc(b.count * sizeof(double))};
    if (!wt.v) {
        const_deinit(&b);
        return NB_RAISE(NB_E_NOMEM, node_subject(x, k), "weight");
    }
    for (size_t o = 0; o < out; o++)
        for (size_t i = 0; i < in; i++)
            wt.v[o * in + i] = trans_b ? b.v[o * in + i] : b.v[i * out + o];
    s = const_floats(x, k, &wt, "weight", n->input[1], alpha, &op.weight);
    const_deinit(&wt);
    const_deinit(&b);
    if (s != NB_OK)
        return s;
    if (gemm && (s = get_opt_const(x, k, 2, "bias", &cb)) != NB_OK) {
        nb_op_deinit(&op);
        return s;
    }
    if (cb.v) {
        dims_text(&cb, d, sizeof d);
        const bool per_out = cb.count == out && cb.rank >= 1 && (size_t)cb.dims[cb.rank - 1] == out;
        if (cb.count != 1 && !per_out) {
            s = NB_RAISE(NB_E_MISMATCH, node_subject(x, k),
                         "bias '%s' has shape %s, expected [%zu] (or one value)", n->input[2], d,
                         out);
        } else {
            s = NB_OK;
            if (cb.count == 1 && out > 1) {
                double *v = realloc(cb.v, out * sizeof *v);
                if (!v)
                    s = NB_RAISE(NB_E_NOMEM, node_subject(x, k), "bias");
                else
                    for (size_t o = 1; o < out; o++)
                        v[o] = v[0];
                if (v)
                    cb.v = v, cb.count = out;
            }
            if (s == NB_OK)
                s = const_floats(x, k, &cb, "bias", n->input[2], beta, &op.bias);
        }
        const_deinit(&cb);
        if (s != NB_OK) {
            nb_op_deinit(&op);
            return s;
        }
    }
    return push_op(x, k, &op, out, 1, 1);
}

/* Add of a constant right after a DENSE or CONV2D: folded into its bias. */
static nb_status map_add(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const no_attrs[] = {"broadcast", "axis", NULL};
    NB_TRY(check_attributes(x, k, no_attrs));
    if (n->n_input != 2 || !strcmp(n->input[0], n->input[1]))
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "Add is supported only as the bias of a MatMul, Gemm or Conv");
    const char *other = !strcmp(n->input[0], x->cur) ? n->input[1] : n->input[0];
    if (!x->last_is_node_op)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "Add is supported only as the bias right after a MatMul, Gemm or Conv");
    nb_op *op = &x->ops[x->n_ops - 1];
    onnx_const b = {0};
    NB_TRY(get_const(x, k, other, "bias", &b));
    char d[128];
    dims_text(&b, d, sizeof d);
    const size_t out = op->out_c;
    bool ok = b.count == 1;
    if (!ok && b.count == out && b.rank >= 1) {
        /* the channel axis: last for a dense output [N,out]; [out,1,1] for a convolution */
        if (op->kind == NB_OP_DENSE)
            ok = (size_t)b.dims[b.rank - 1] == out;
        else
            ok = b.rank >= 3 && (size_t)b.dims[b.rank - 3] == out;
    }
    if (!ok) {
        const_deinit(&b);
        return NB_RAISE(NB_E_MISMATCH, node_subject(x, k),
                        "bias '%s' has shape %s, expected %s (or one value)", other, d,
                        op->kind == NB_OP_DENSE ? "[out]" : "[out,1,1]");
    }
    float *add = NULL;
    nb_status s = const_floats(x, k, &b, "bias", other, 1.0, &add);
    const_deinit(&b);
    if (s != NB_OK)
        return s;
    if (!op->bias) {
        op->bias = calloc(out, sizeof *op->bias);
        if (!op->bias) {
            free(add);
            return NB_RAISE(NB_E_NOMEM, node_subject(x, k), "bias");
        }
    }
    for (size_t o = 0; o < out; o++)
        op->bias[o] += add[b.count == 1 ? 0 : o];
    free(add);
    return NB_OK;
}

static nb_status map_conv(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const known[] = {"auto_pad", "dilations", "group", "kernel_shape",
                                        "pads",     "strides",   NULL};
    NB_TRY(check_attributes(x, k, known));
    NB_TRY(chain_is_input0(x, k));
    if (n->n_input < 2)
        return NB_RAISE(NB_E_FORMAT, node_subject(x, k), "has %zu inputs, needs 2", n->n_input);
    if (attr_int(n, "group", 1) != 1)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute group=%lld is not supported (grouped and depthwise "
                        "convolutions; only group=1)",
                        (long long)attr_int(n, "group", 1));
    onnx_const wc = {0}, bc = {0};
    NB_TRY(get_const(x, k, n->input[1], "weight", &wc));
    char d[128];
    dims_text(&wc, d, sizeof d);
    nb_status s = need_spatial(x, k);
    if (s == NB_OK && wc.rank != x->rank)
        s = NB_RAISE(NB_E_MISMATCH, node_subject(x, k),
                     "weight '%s' has shape %s: expected rank %zu ([out,in,%s]) for the "
                     "rank-%zu input",
                     n->input[1], d, x->rank, x->rank == 4 ? "kh,kw" : "k", x->rank);
    if (s == NB_OK && (size_t)wc.dims[1] != x->c)
        s = NB_RAISE(NB_E_MISMATCH, node_subject(x, k),
                     "weight '%s' has shape %s, expected [out,%zu,kh,kw] for %zu input channels",
                     n->input[1], d, x->c, x->c);
    if (s == NB_OK && (wc.dims[0] < 1 || wc.dims[2] < 1 || (x->rank == 4 && wc.dims[3] < 1)))
        s = NB_RAISE(NB_E_MISMATCH, node_subject(x, k), "weight '%s' has an empty shape %s",
                     n->input[1], d);
    nb_op op = {.kind = NB_OP_CONV2D};
    if (s == NB_OK) {
        /* 1-D: [out][in][k] is [out][in][k][1] in memory */
        op.kernel_h = (size_t)wc.dims[2], op.kernel_w = x->rank == 4 ? (size_t)wc.dims[3] : 1;
        size_t kh, kw;
        s = attr_pair(x, k, "kernel_shape", op.kernel_h, op.kernel_w, &kh, &kw);
        if (s == NB_OK && (kh != op.kernel_h || kw != op.kernel_w))
            s = NB_RAISE(NB_E_MISMATCH, node_subject(x, k),
                         "attribute kernel_shape=[%zu,%zu] does not match weight '%s' %s", kh, kw,
                         n->input[1], d);
    }
    size_t oh = 0, ow = 0;
    if (s == NB_OK)
        s = window_geometry(x, k, &op, &oh, &ow);
    if (s == NB_OK)
        s = const_floats(x, k, &wc, "weight", n->input[1], 1.0, &op.weight);
    const size_t out = s == NB_OK ? (size_t)wc.dims[0] : 0;
    const_deinit(&wc);
    if (s == NB_OK)
        s = get_opt_const(x, k, 2, "bias", &bc);
    if (s == NB_OK && bc.v) {
        dims_text(&bc, d, sizeof d);
        if (bc.count != out)
            s = NB_RAISE(NB_E_MISMATCH, node_subject(x, k),
                         "bias '%s' has shape %s, expected [%zu]", n->input[2], d, out);
        else
            s = const_floats(x, k, &bc, "bias", n->input[2], 1.0, &op.bias);
    }
    const_deinit(&bc);
    if (s != NB_OK) {
        nb_op_deinit(&op);
        return s;
    }
    return push_op(x, k, &op, out, oh, ow);
}

static nb_status map_pool(onnx_ctx *x, size_t k, bool max) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const max_attrs[] = {"auto_pad",     "ceil_mode", "dilations",
                                            "kernel_shape", "pads",      "storage_order",
                                            "strides",      NULL};
    static const char *const avg_attrs[] = {
        "auto_pad",     "ceil_mode", "count_include_pad", "dilations",
        "kernel_shape", "pads",      "strides",           NULL};
    NB_TRY(check_attributes(x, k, max ? max_attrs : avg_attrs));
    NB_TRY(chain_is_input0(x, k));
    NB_TRY(need_spatial(x, k));
    const Onnx__AttributeProto *ks = attr(n, "kernel_shape");
    if (!ks)
        return NB_RAISE(NB_E_FORMAT, node_subject(x, k), "attribute kernel_shape is missing");
    nb_op op = {.kind = max ? NB_OP_MAXPOOL : NB_OP_AVGPOOL};
    NB_TRY(attr_pair(x, k, "kernel_shape", 1, 1, &op.kernel_h, &op.kernel_w));
    op.count_include_pad = !max && attr_int(n, "count_include_pad", 0) != 0;
    size_t oh, ow;
    NB_TRY(window_geometry(x, k, &op, &oh, &ow));
    if (!max && (op.dilation_h != 1 || op.dilation_w != 1))
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute dilations=[%zu,%zu] is not supported for AveragePool",
                        op.dilation_h, op.dilation_w);
    if (op.pad_top >= op.kernel_h || op.pad_bottom >= op.kernel_h || op.pad_left >= op.kernel_w ||
        op.pad_right >= op.kernel_w)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute pads: padding of %zu,%zu,%zu,%zu is not smaller than the "
                        "%zux%zu window (a window of padding only)",
                        op.pad_top, op.pad_left, op.pad_bottom, op.pad_right, op.kernel_h,
                        op.kernel_w);
    if (attr_int(n, "storage_order", 0) != 0 && n->n_output > 1 && n->output[1][0])
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k), "attribute storage_order=1");
    return push_op(x, k, &op, x->c, oh, ow);
}

static nb_status map_batchnorm(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const known[] = {
        "epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs", NULL};
    NB_TRY(check_attributes(x, k, known));
    NB_TRY(chain_is_input0(x, k));
    if (attr_int(n, "training_mode", 0) != 0)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute training_mode=1 is not supported (inference only)");
    if (attr_int(n, "spatial", 1) != 1)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute spatial=0 is not supported (one statistic per channel only)");
    if (n->n_input != 5)
        return NB_RAISE(NB_E_FORMAT, node_subject(x, k), "has %zu inputs, needs 5", n->n_input);
    static const char *const roles[4] = {"scale", "bias", "mean", "var"};
    nb_op op = {.kind = NB_OP_BATCHNORM, .eps = attr_float(n, "epsilon", 1e-5f)};
    float **dst[4] = {&op.gamma, &op.beta, &op.mean, &op.var};
    for (size_t i = 0; i < 4; i++) {
        onnx_const t = {0};
        nb_status s = get_const(x, k, n->input[i + 1], roles[i], &t);
        if (s == NB_OK && t.count != x->c) {
            char d[128];
            dims_text(&t, d, sizeof d);
            s = NB_RAISE(NB_E_MISMATCH, node_subject(x, k),
                         "%s '%s' has shape %s, expected [%zu] (one per channel)", roles[i],
                         n->input[i + 1], d, x->c);
        }
        if (s == NB_OK)
            s = const_floats(x, k, &t, roles[i], n->input[i + 1], 1.0, dst[i]);
        const_deinit(&t);
        if (s != NB_OK) {
            nb_op_deinit(&op);
            return s;
        }
    }
    if (!(op.eps >= 0.0f) || !isfinite(op.eps)) {
        nb_op_deinit(&op);
        return NB_RAISE(NB_E_NUMERIC, node_subject(x, k), "attribute epsilon=%g is not >= 0",
                        (double)attr_float(n, "epsilon", 0.0f));
    }
    for (size_t c = 0; c < x->c; c++)
        if (op.var[c] < 0.0f) {
            const double v = op.var[c];
            nb_op_deinit(&op);
            return NB_RAISE(NB_E_NUMERIC, node_subject(x, k), "var '%s' value %zu is negative (%g)",
                            n->input[4], c, v);
        }
    return push_op(x, k, &op, x->c, x->h, x->w);
}

static nb_status map_dropout(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const known[] = {"ratio", "seed", "is_test", "consumed_inputs", NULL};
    NB_TRY(check_attributes(x, k, known));
    NB_TRY(chain_is_input0(x, k));
    nb_op op = {.kind = NB_OP_DROPOUT, .alpha = attr_float(n, "ratio", 0.5f)};
    onnx_const t = {0};
    NB_TRY(get_opt_const(x, k, 1, "ratio", &t));
    if (t.v && t.count == 1)
        op.alpha = (float)t.v[0];
    const_deinit(&t);
    NB_TRY(get_opt_const(x, k, 2, "training_mode", &t));
    const bool training = t.v && t.count == 1 && t.v[0] != 0.0;
    const_deinit(&t);
    if (training)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "input training_mode=true is not supported (inference only)");
    return push_op(x, k, &op, x->c, x->h, x->w);
}

static nb_status map_flatten(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const known[] = {"axis", NULL};
    NB_TRY(check_attributes(x, k, known));
    NB_TRY(chain_is_input0(x, k));
    int64_t axis = attr_int(n, "axis", 1);
    if (axis < 0)
        axis += (int64_t)x->rank;
    if (axis != 1)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute axis=%lld is not supported (only 1: [N,...] -> [N,features])",
                        (long long)attr_int(n, "axis", 1));
    if (x->rank == 2)
        return NB_OK;
    x->rank = 2;
    nb_op op = {.kind = NB_OP_FLATTEN};
    return push_op(x, k, &op, cur_size(x), 1, 1);
}

/* Reshape to [N,-1], [0,-1], [-1,features], [N,features] or [1,-1]: a flatten. */
static nb_status map_reshape(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const known[] = {"allowzero", "shape", "consumed_inputs", NULL};
    NB_TRY(check_attributes(x, k, known));
    NB_TRY(chain_is_input0(x, k));
    int64_t shape[ONNX_MAX_RANK];
    size_t rank = 0;
    const Onnx__AttributeProto *sa = attr(n, "shape");
    if (x->reshape_to) {
        rank = x->reshape_rank;
        memcpy(shape, x->reshape_to, rank * sizeof *shape);
    } else if (n->n_input >= 2) {
        onnx_const t = {0};
        NB_TRY(get_const(x, k, n->input[1], "shape", &t));
        if (t.rank != 1 || t.count > ONNX_MAX_RANK) {
            const_deinit(&t);
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k), "shape '%s' is not a short list",
                            n->input[1]);
        }
        rank = t.count;
        for (size_t i = 0; i < rank; i++)
            shape[i] = (int64_t)t.v[i];
        const_deinit(&t);
    } else if (sa && sa->n_ints <= ONNX_MAX_RANK) {
        rank = sa->n_ints;
        for (size_t i = 0; i < rank; i++)
            shape[i] = sa->ints[i];
    } else {
        return NB_RAISE(NB_E_FORMAT, node_subject(x, k), "has no target shape");
    }
    const int64_t f = (int64_t)cur_size(x);
    bool ok = rank == 2;
    if (ok) {
        const int64_t a = shape[0], b = shape[1];
        const bool batch_ok =
            a == 0 || a == 1 || a == ONNX_BATCH || (x->batch > 0 && a == x->batch);
        ok = (batch_ok && (b == -1 || b == f)) || (a == -1 && b == f);
        if (ok && a == 0 && attr_int(n, "allowzero", 0) != 0)
            ok = false;
    }
    if (!ok) {
        char s[96], t[160];
        shape_text(x, s, sizeof s);
        size_t len = (size_t)snprintf(t, sizeof t, "[");
        for (size_t i = 0; i < rank && len < sizeof t; i++)
            len += shape[i] == ONNX_BATCH
                       ? (size_t)snprintf(t + len, sizeof t - len, "%sN", i ? "," : "")
                       : (size_t)snprintf(t + len, sizeof t - len, "%s%lld", i ? "," : "",
                                          (long long)shape[i]);
        if (len < sizeof t)
            snprintf(t + len, sizeof t - len, "]");
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "Reshape of %s to %s is not supported (only flattening to [N,-1])", s, t);
    }
    if (x->rank == 2)
        return NB_OK;
    x->rank = 2;
    nb_op op = {.kind = NB_OP_FLATTEN};
    return push_op(x, k, &op, cur_size(x), 1, 1);
}

/* Pad with zeros (mode constant, value 0) of H and W only: held for the next Conv or
 * AveragePool (torch.onnx writes AvgPool2d as Pad + AveragePool). */
static nb_status map_pad(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const known[] = {"mode", "pads", "value", NULL};
    NB_TRY(check_attributes(x, k, known));
    NB_TRY(chain_is_input0(x, k));
    char mode[32];
    attr_string(n, "mode", mode, sizeof mode);
    if (mode[0] && strcmp(mode, "constant") != 0)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute mode='%s' is not supported (only constant zero padding)", mode);
    int64_t pads[2 * ONNX_MAX_RANK];
    size_t np = 0;
    double value = attr_float(n, "value", 0.0f);
    if (n->n_input >= 2) {
        onnx_const t = {0};
        NB_TRY(get_const(x, k, n->input[1], "pads", &t));
        np = t.count <= 2 * ONNX_MAX_RANK ? t.count : 0;
        for (size_t i = 0; i < np; i++)
            pads[i] = (int64_t)t.v[i];
        const_deinit(&t);
        NB_TRY(get_opt_const(x, k, 2, "constant_value", &t));
        if (t.v && t.count >= 1)
            value = t.v[0];
        const_deinit(&t);
        if (n->n_input >= 4 && n->input[3][0])
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k), "input axes is not supported");
    } else {
        const Onnx__AttributeProto *a = attr(n, "pads");
        np = a && a->n_ints <= 2 * ONNX_MAX_RANK ? a->n_ints : 0;
        for (size_t i = 0; i < np; i++)
            pads[i] = a->ints[i];
    }
    if (np != 2 * x->rank)
        return NB_RAISE(NB_E_FORMAT, node_subject(x, k), "has %zu pads for a rank-%zu input", np,
                        x->rank);
    if (value != 0.0)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "padding value %g is not supported (only 0)", value);
    bool zero = true;
    for (size_t i = 0; i < np; i++) {
        const size_t d = i % x->rank;
        if (pads[i] < 0 || pads[i] > 65536 || (d < 2 && pads[i] != 0))
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                            "pads value %lld on dimension %zu is not supported (only spatial "
                            "zero padding >= 0)",
                            (long long)pads[i], d);
        zero = zero && pads[i] == 0;
    }
    if (zero)
        return NB_OK;
    NB_TRY(need_spatial(x, k));
    /* [n_b, c_b, h_b, (w_b,) n_e, c_e, h_e, (w_e)] */
    const size_t r = x->rank;
    x->pend_pad[0] = (size_t)pads[2], x->pend_pad[2] = (size_t)pads[r + 2];
    x->pend_pad[1] = r == 4 ? (size_t)pads[3] : 0, x->pend_pad[3] = r == 4 ? (size_t)pads[7] : 0;
    x->pend = true;
    return NB_OK;
}

static nb_status map_softmax(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const known[] = {"axis", NULL};
    NB_TRY(check_attributes(x, k, known));
    NB_TRY(chain_is_input0(x, k));
    const bool per_axis = x->opset >= 13; /* opset 13: one axis; before: all from axis on */
    int64_t axis = attr_int(n, "axis", per_axis ? -1 : 1);
    if (axis < 0)
        axis += (int64_t)x->rank;
    const size_t dims[4] = {0, x->c, x->h, x->w};
    size_t outside = 1; /* values per sample outside the softmax */
    for (size_t d = 1; d < x->rank; d++)
        if (per_axis ? (int64_t)d != axis : (int64_t)d < axis)
            outside *= dims[d];
    if (axis < 1 || axis >= (int64_t)x->rank || outside != 1)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "attribute axis=%lld (opset %lld) is not supported: only a softmax over "
                        "all values of one sample",
                        (long long)attr_int(n, "axis", per_axis ? -1 : 1), (long long)x->opset);
    if (!is_graph_output(x, n->output[0]))
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "Softmax is supported only as the last operator");
    return push_simple(x, k, NB_OP_SOFTMAX);
}

static nb_status map_activation(onnx_ctx *x, size_t k, nb_op_kind kind) {
    const Onnx__NodeProto *n = x->g->node[k];
    static const char *const leaky[] = {"alpha", "consumed_inputs", NULL};
    static const char *const gelu[] = {"approximate", NULL};
    static const char *const none[] = {"consumed_inputs", NULL};
    NB_TRY(check_attributes(x, k,
                            kind == NB_OP_LEAKY_RELU ? leaky
                            : kind == NB_OP_GELU     ? gelu
                                                     : none));
    NB_TRY(chain_is_input0(x, k));
    nb_op op = {.kind = kind};
    if (kind == NB_OP_LEAKY_RELU)
        op.alpha = attr_float(n, "alpha", 0.01f);
    if (kind == NB_OP_GELU) {
        char a[32];
        attr_string(n, "approximate", a, sizeof a);
        if (a[0] && strcmp(a, "none") != 0 && strcmp(a, "tanh") != 0)
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                            "attribute approximate='%s' is not supported", a);
        op.gelu_tanh = !strcmp(a, "tanh");
    }
    return push_op(x, k, &op, x->c, x->h, x->w);
}

/* ---- the torch GELU subgraph ---- */

/* The one consumer of tensor `name`, if it has exactly one, is not a graph output and has
 * type `type`; else SIZE_MAX. */
static size_t sole_consumer(const onnx_ctx *x, const char *name, const char *type) {
    size_t c[2];
    if (is_graph_output(x, name) || consumers(x, name, c, 2) != 1 || !is_op(x->g->node[c[0]], type))
        return SIZE_MAX;
    return c[0];
}

/* Node k is a binary op of `a` and a scalar constant within 1e-4 of `value` (either order). */
static bool binary_with_scalar(onnx_ctx *x, size_t k, const char *a, double value) {
    const Onnx__NodeProto *n = x->g->node[k];
    if (n->n_input != 2 || n->n_output < 1)
        return false;
    int ai = !strcmp(n->input[0], a) ? 0 : !strcmp(n->input[1], a) ? 1 : -1;
    if (ai < 0 || (is_op(n, "Div") && ai != 0))
        return false;
    const char *other = n->input[1 - ai];
    if (!find_initializer(x, other)) {
        size_t p = producer(x, other);
        if (p == SIZE_MAX || !is_op(x->g->node[p], "Constant"))
            return false;
    }
    onnx_const t = {0};
    nb_status s = get_const(x, k, other, "constant", &t);
    bool ok = s == NB_OK && t.count == 1 && fabs(t.v[0] - value) < 1e-4 * fabs(value);
    const_deinit(&t);
    nb_error_clear();
    return ok;
}

/* Node k is Mul(a, b) in either order. */
static bool mul_of(const onnx_ctx *x, size_t k, const char *a, const char *b) {
    const Onnx__NodeProto *n = x->g->node[k];
    return is_op(n, "Mul") && n->n_input == 2 &&
           ((!strcmp(n->input[0], a) && !strcmp(n->input[1], b)) ||
            (!strcmp(n->input[0], b) && !strcmp(n->input[1], a)));
}

/* Recognises GELU(x) = x * 0.5 * (1 + erf(x / sqrt 2)) written as
 *   d = Div(x, 1.4142) | Mul(x, 0.7071);  e = Erf(d);  a = Add(e, 1);  then either
 *   m = Mul(x, a), y = Mul(m, 0.5)    (torch.onnx, opset < 20)   or
 *   h = Mul(x, 0.5), y = Mul(h, a).
 * cons[2] are the two consumers of x. Marks the five nodes visited and sets *out = y's node.
 * Returns false (nothing marked) if the subgraph is anything else. */
static bool match_gelu(onnx_ctx *x, const size_t cons[2], size_t *out) {
    const double sqrt2 = 1.4142135623730951;
    for (int t = 0; t < 2; t++) {
        size_t d = cons[t], other = cons[1 - t];
        if (!(is_op(x->g->node[d], "Div") && binary_with_scalar(x, d, x->cur, sqrt2)) &&
            !(is_op(x->g->node[d], "Mul") && binary_with_scalar(x, d, x->cur, 1.0 / sqrt2)))
            continue;
        size_t e = sole_consumer(x, x->g->node[d]->output[0], "Erf");
        if (e == SIZE_MAX)
            continue;
        size_t a = sole_consumer(x, x->g->node[e]->output[0], "Add");
        if (a == SIZE_MAX || !binary_with_scalar(x, a, x->g->node[e]->output[0], 1.0))
            continue;
        const char *aout = x->g->node[a]->output[0];
        const char *oout = x->g->node[other]->output[0];
        size_t y = SIZE_MAX;
        if (mul_of(x, other, x->cur, aout)) {
            size_t m = sole_consumer(x, oout, "Mul");
            if (m != SIZE_MAX && binary_with_scalar(x, m, oout, 0.5))
                y = m;
        } else if (is_op(x->g->node[other], "Mul") && binary_with_scalar(x, other, x->cur, 0.5)) {
            size_t m = sole_consumer(x, aout, "Mul");
            if (m != SIZE_MAX && sole_consumer(x, oout, "Mul") == m && mul_of(x, m, oout, aout))
                y = m;
        }
        if (y == SIZE_MAX)
            continue;
        x->visited[d] = x->visited[e] = x->visited[a] = x->visited[other] = x->visited[y] = true;
        *out = y;
        return true;
    }
    return false;
}

/* ---- shapes computed from the data: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), -1)) */

#define SHAPE_MAX_NODES 16

typedef struct shape_eval {
    size_t shape_node;             /* the Shape(x) node */
    size_t nodes[SHAPE_MAX_NODES]; /* nodes evaluated (marked visited on success) */
    size_t n_nodes;
} shape_eval;

/* Evaluates the int64 tensor `name` (rank <= 1, <= ONNX_MAX_RANK values) built from Shape(x)
 * and constants by Gather (axis 0), Unsqueeze, Squeeze, Concat (axis 0), Cast and Identity;
 * the batch dimension is ONNX_BATCH. False for anything else (no error recorded). */
static bool eval_shape(onnx_ctx *x, shape_eval *e, const char *name, int64_t *v, size_t *n,
                       int depth) {
    if (depth > SHAPE_MAX_NODES)
        return false;
    const Onnx__NodeProto *sn = x->g->node[e->shape_node];
    if (!strcmp(name, sn->output[0])) {
        if (sn->n_attribute)
            return false; /* start/end (opset 15) */
        const size_t dims[4] = {0, x->c, x->h, x->w};
        for (size_t i = 0; i < x->rank; i++)
            v[i] = i == 0 ? ONNX_BATCH : (int64_t)dims[i];
        *n = x->rank;
        return true;
    }
    const size_t p = producer(x, name);
    if (find_initializer(x, name) || (p != SIZE_MAX && is_op(x->g->node[p], "Constant"))) {
        onnx_const t = {0};
        bool ok = get_const(x, e->shape_node, name, "shape", &t) == NB_OK && t.rank <= 1 &&
                  t.count <= ONNX_MAX_RANK;
        for (size_t i = 0; ok && i < t.count; i++)
            v[i] = (int64_t)t.v[i];
        *n = ok ? t.count : 0;
        const_deinit(&t);
        nb_error_clear();
        return ok;
    }
    if (p == SIZE_MAX || x->visited[p] || e->n_nodes == SHAPE_MAX_NODES)
        return false;
    const Onnx__NodeProto *nd = x->g->node[p];
    e->nodes[e->n_nodes++] = p;
    int64_t a[ONNX_MAX_RANK], b[ONNX_MAX_RANK];
    size_t na = 0, nb = 0;
    if (nd->n_input < 1 || !eval_shape(x, e, nd->input[0], a, &na, depth + 1))
        return false;
    if (is_op(nd, "Unsqueeze") || is_op(nd, "Squeeze") || is_op(nd, "Cast") ||
        is_op(nd, "Identity")) {
        memcpy(v, a, na * sizeof *v);
        *n = na;
        return true;
    }
    if (is_op(nd, "Gather")) {
        if (attr_int(nd, "axis", 0) != 0 || nd->n_input != 2 ||
            !eval_shape(x, e, nd->input[1], b, &nb, depth + 1))
            return false;
        for (size_t i = 0; i < nb; i++) {
            const int64_t j = b[i] < 0 ? b[i] + (int64_t)na : b[i];
            if (j < 0 || j >= (int64_t)na)
                return false;
            v[i] = a[j];
        }
        *n = nb;
        return true;
    }
    if (is_op(nd, "Concat")) {
        if (attr_int(nd, "axis", 0) != 0)
            return false;
        memcpy(v, a, na * sizeof *v);
        *n = na;
        for (size_t i = 1; i < nd->n_input; i++) {
            if (!eval_shape(x, e, nd->input[i], b, &nb, depth + 1) || *n + nb > ONNX_MAX_RANK)
                return false;
            memcpy(v + *n, b, nb * sizeof *v);
            *n += nb;
        }
        return true;
    }
    return false;
}

/* cons[2] are a Reshape of the chain tensor and a Shape of it whose value becomes the
 * Reshape's target: evaluates the target into x->reshape_to, marks the shape nodes visited
 * and returns the Reshape's index; SIZE_MAX if the pair is anything else. */
static size_t match_shape_reshape(onnx_ctx *x, const size_t cons[2], int64_t *shape) {
    for (int t = 0; t < 2; t++) {
        const Onnx__NodeProto *r = x->g->node[cons[t]], *sh = x->g->node[cons[1 - t]];
        if (!is_op(r, "Reshape") || !is_op(sh, "Shape") || r->n_input != 2 ||
            strcmp(r->input[0], x->cur) != 0 || sh->n_output != 1)
            continue;
        shape_eval e = {.shape_node = cons[1 - t]};
        size_t n = 0;
        if (!eval_shape(x, &e, r->input[1], shape, &n, 0))
            continue;
        for (size_t i = 0; i < e.n_nodes; i++)
            x->visited[e.nodes[i]] = true;
        x->visited[cons[1 - t]] = true;
        x->reshape_to = shape;
        x->reshape_rank = n;
        return cons[t];
    }
    return SIZE_MAX;
}

/* ---- the walk ---- */

/* Maps node k (which reads the chain tensor) and moves the chain tensor to its output. */
static nb_status map_node(onnx_ctx *x, size_t k) {
    const Onnx__NodeProto *n = x->g->node[k];
    const char *type = n->op_type ? n->op_type : "";
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "operator %s of domain '%s' is not supported (supported: %s)", type,
                        n->domain, supported_ops);
    if (n->n_output < 1 || !n->output[0][0])
        return NB_RAISE(NB_E_FORMAT, node_subject(x, k), "has no output");
    /* Extra outputs (Dropout's mask, MaxPool's indices, BatchNormalization's running
     * statistics) are refused if anything reads them. */
    for (size_t o = 1; o < n->n_output; o++) {
        size_t c[1];
        if (n->output[o][0] &&
            (is_graph_output(x, n->output[o]) || consumers(x, n->output[o], c, 1)))
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                            "output %zu '%s' is used: the graph is not a chain", o, n->output[o]);
    }
    if (x->pend && strcmp(type, "Conv") != 0 && strcmp(type, "AveragePool") != 0)
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                        "follows a Pad node: zero padding is supported only before a Conv or an "
                        "AveragePool");
    nb_status s;
    if (!strcmp(type, "Gemm"))
        s = map_dense(x, k, true);
    else if (!strcmp(type, "MatMul"))
        s = map_dense(x, k, false);
    else if (!strcmp(type, "Add"))
        s = map_add(x, k);
    else if (!strcmp(type, "Conv"))
        s = map_conv(x, k);
    else if (!strcmp(type, "MaxPool"))
        s = map_pool(x, k, true);
    else if (!strcmp(type, "AveragePool"))
        s = map_pool(x, k, false);
    else if (!strcmp(type, "GlobalAveragePool")) {
        s = chain_is_input0(x, k);
        if (s == NB_OK)
            s = need_spatial(x, k);
        if (s == NB_OK) {
            nb_op op = {.kind = NB_OP_GLOBAL_AVGPOOL};
            s = push_op(x, k, &op, x->c, 1, 1);
        }
    } else if (!strcmp(type, "Flatten"))
        s = map_flatten(x, k);
    else if (!strcmp(type, "Reshape"))
        s = map_reshape(x, k);
    else if (!strcmp(type, "BatchNormalization"))
        s = map_batchnorm(x, k);
    else if (!strcmp(type, "Dropout"))
        s = map_dropout(x, k);
    else if (!strcmp(type, "Identity"))
        s = chain_is_input0(x, k);
    else if (!strcmp(type, "Relu"))
        s = map_activation(x, k, NB_OP_RELU);
    else if (!strcmp(type, "LeakyRelu"))
        s = map_activation(x, k, NB_OP_LEAKY_RELU);
    else if (!strcmp(type, "Sigmoid"))
        s = map_activation(x, k, NB_OP_SIGMOID);
    else if (!strcmp(type, "Tanh"))
        s = map_activation(x, k, NB_OP_TANH);
    else if (!strcmp(type, "Gelu"))
        s = map_activation(x, k, NB_OP_GELU);
    else if (!strcmp(type, "Softmax"))
        s = map_softmax(x, k);
    else if (!strcmp(type, "Pad"))
        s = map_pad(x, k);
    else
        s = NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                     "operator %s is not supported (supported: %s)", type, supported_ops);
    if (s != NB_OK)
        return s;
    x->visited[k] = true;
    x->cur = n->output[0];
    return NB_OK;
}

/* The input: the first graph input that no initializer names; its shape [N,c(,h(,w))]. */
static nb_status read_input(onnx_ctx *x, const char **input_name) {
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < x->g->n_input; i++)
        if (x->g->input[i]->name && !find_initializer(x, x->g->input[i]->name)) {
            in = x->g->input[i];
            break;
        }
    if (!in)
        return NB_RAISE(NB_E_FORMAT, x->path,
                        "the graph has no input that is not an initializer (no data input)");
    snprintf(x->subject, sizeof x->subject, "%s input '%s'", x->path, in->name);
    clean_subject(x);
    const Onnx__TypeProto *tp = in->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return NB_RAISE(NB_E_UNSUPPORTED, x->subject, "is not a tensor");
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return NB_RAISE(NB_E_UNSUPPORTED, x->subject, "has data type %d (only float32)",
                        (int)tt->elem_type);
    if (!tt->shape)
        return NB_RAISE(NB_E_MISSING, x->subject,
                        "has no shape (export the model with a fixed input shape)");
    const size_t rank = tt->shape->n_dim;
    if (rank < 2 || rank > 4)
        return NB_RAISE(NB_E_UNSUPPORTED, x->subject,
                        "has rank %zu; supported: [N,features], [N,C,L], [N,C,H,W]", rank);
    size_t d[4] = {0, 1, 1, 1};
    for (size_t i = 0; i < rank; i++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[i];
        const bool value = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        if (i == 0) {
            x->batch = value ? dim->dim_value : 0;
            continue;
        }
        if (!value || dim->dim_value < 1 || dim->dim_value > ((int64_t)1 << 30))
            return NB_RAISE(NB_E_UNSUPPORTED, x->subject,
                            "dimension %zu is %s: only the batch dimension may be symbolic", i,
                            value ? "out of range" : "symbolic");
        d[i] = (size_t)dim->dim_value;
    }
    if (d[1] * d[2] > ((size_t)1 << 28) / d[3])
        return NB_RAISE(NB_E_UNSUPPORTED, x->subject,
                        "%zux%zux%zu values per sample is more than %zu", d[1], d[2], d[3],
                        (size_t)1 << 28);
    x->rank = rank, x->c = d[1], x->h = d[2], x->w = d[3];
    *input_name = in->name;
    return NB_OK;
}

/* The graph output's declared shape, if any, must be the chain's. */
static nb_status check_output_shape(onnx_ctx *x) {
    const Onnx__ValueInfoProto *out = x->g->output[0];
    snprintf(x->subject, sizeof x->subject, "%s output '%s'", x->path, out->name ? out->name : "");
    clean_subject(x);
    if (!out->type || out->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !out->type->tensor_type || !out->type->tensor_type->shape)
        return NB_OK;
    const Onnx__TensorShapeProto *sp = out->type->tensor_type->shape;
    const size_t want[4] = {0, x->c, x->h, x->w};
    bool ok = sp->n_dim == x->rank;
    for (size_t i = 1; ok && i < sp->n_dim; i++)
        if (sp->dim[i]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
            sp->dim[i]->dim_value != (int64_t)want[i])
            ok = false;
    if (ok)
        return NB_OK;
    char s[96], d[160];
    shape_text(x, s, sizeof s);
    size_t len = (size_t)snprintf(d, sizeof d, "[");
    for (size_t i = 0; i < sp->n_dim && len < sizeof d; i++) {
        const Onnx__TensorShapeProto__Dimension *dim = sp->dim[i];
        if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
            len += (size_t)snprintf(d + len, sizeof d - len, "%s%lld", i ? "," : "",
                                    (long long)dim->dim_value);
        else
            len += (size_t)snprintf(d + len, sizeof d - len, "%s?", i ? "," : "");
    }
    if (len < sizeof d)
        snprintf(d + len, sizeof d - len, "]");
    return NB_RAISE(NB_E_MISMATCH, x->subject, "declared shape %s, but the operators compute %s", d,
                    s);
}

static nb_status walk(onnx_ctx *x) {
    const Onnx__GraphProto *g = x->g;
    if (g->n_output != 1)
        return NB_RAISE(NB_E_UNSUPPORTED, x->path, "the graph has %zu outputs (only one)",
                        g->n_output);
    if (g->n_sparse_initializer)
        return NB_RAISE(NB_E_UNSUPPORTED, x->path, "sparse initializers are not supported");
    for (size_t k = 0; k < g->n_node; k++)
        if (!g->node[k]->op_type || !g->node[k]->op_type[0])
            return NB_RAISE(NB_E_FORMAT, node_subject(x, k), "has no operator type");
    const char *input = NULL;
    NB_TRY(read_input(x, &input));
    x->cur = input;
    const char *output = g->output[0]->name ? g->output[0]->name : "";
    for (size_t steps = 0;; steps++) {
        size_t cons[4];
        const size_t nc = consumers(x, x->cur, cons, 4);
        if (!strcmp(x->cur, output)) {
            if (nc == 0 && x->pend)
                return NB_RAISE(NB_E_UNSUPPORTED, x->path,
                                "the graph ends with a Pad node (supported only before a Conv or "
                                "an AveragePool)");
            if (nc == 0)
                break;
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, cons[0]),
                            "reads the graph output '%s': the graph is not a chain", output);
        }
        if (steps > g->n_node)
            return NB_RAISE(NB_E_FORMAT, x->path, "the graph has a cycle");
        if (nc == 0) {
            snprintf(x->subject, sizeof x->subject, "%s tensor '%s'", x->path, x->cur);
            clean_subject(x);
            return NB_RAISE(NB_E_UNSUPPORTED, x->subject,
                            "is read by no node and is not the graph output '%s': the graph "
                            "is not a chain",
                            output);
        }
        if (nc == 1) {
            if (x->visited[cons[0]])
                return NB_RAISE(NB_E_FORMAT, node_subject(x, cons[0]), "is on a cycle");
            NB_TRY(map_node(x, cons[0]));
            continue;
        }
        size_t y;
        if (nc == 2 && !x->pend && match_gelu(x, cons, &y)) {
            nb_op op = {.kind = NB_OP_GELU};
            NB_TRY(push_op(x, y, &op, x->c, x->h, x->w));
            x->last_is_node_op = false;
            x->cur = g->node[y]->output[0];
            continue;
        }
        int64_t shape[ONNX_MAX_RANK];
        const size_t r = nc == 2 && !x->pend ? match_shape_reshape(x, cons, shape) : SIZE_MAX;
        if (r != SIZE_MAX) {
            nb_status s = map_node(x, r);
            x->reshape_to = NULL;
            if (s != NB_OK)
                return s;
            continue;
        }
        char first[300];
        snprintf(first, sizeof first, "%s", node_subject(x, cons[0]) + strlen(x->path) + 1);
        return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, cons[1]),
                        "tensor '%s' is read by %zu nodes (also %s): the graph is not a chain "
                        "(only the Div-Erf-Add-Mul-Mul form of GELU may branch)",
                        x->cur, nc, first);
    }
    for (size_t k = 0; k < g->n_node; k++)
        if (!x->visited[k] && !is_op(g->node[k], "Constant"))
            return NB_RAISE(NB_E_UNSUPPORTED, node_subject(x, k),
                            "is not on the chain from input '%s' to output '%s': the graph is "
                            "not a chain",
                            input, output);
    return check_output_shape(x);
}

static nb_status read_file(const char *path, uint8_t **data, size_t *len) {
    if (access(path, F_OK) == 0) /* a FIFO would block fopen forever */
        NB_TRY(nb_input_check_file(path, NULL));
    FILE *f = fopen(path, "rb");
    if (!f)
        return NB_RAISE(NB_E_IO, path, "cannot open the model");
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NB_RAISE(NB_E_IO, path, "cannot read the model (not a regular file?)");
    }
    if (size == 0 || size >= ONNX_MAX_FILE) {
        fclose(f);
        return NB_RAISE(NB_E_FORMAT, path, "size %ld bytes is not that of an ONNX model", size);
    }
    uint8_t *buf = malloc((size_t)size);
    if (!buf) {
        fclose(f);
        return NB_RAISE(NB_E_NOMEM, path, "%ld bytes", size);
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        free(buf);
        return NB_RAISE(NB_E_IO, path, "read %zu of %ld bytes", got, size);
    }
    *data = buf;
    *len = got;
    return NB_OK;
}

static nb_status finish_network(onnx_ctx *x, const char *path, nb_network *net) {
    size_t last = SIZE_MAX;
    for (size_t i = 0; i < x->n_ops; i++)
        if (x->ops[i].kind == NB_OP_DENSE || x->ops[i].kind == NB_OP_CONV2D)
            last = i;
    if (last == SIZE_MAX)
        return NB_RAISE(NB_E_UNSUPPORTED, path,
                        "the graph has no layer with weights (Gemm, MatMul or Conv)");
    if (x->ops[last].kind != NB_OP_DENSE)
        return NB_RAISE(NB_E_UNSUPPORTED, path,
                        "the last layer with weights is a Conv: nnbundle needs a dense "
                        "(Gemm/MatMul) output layer, one unit per class");
    const size_t classes = x->ops[last].out_c;
    memset(net, 0, sizeof *net);
    net->n_classes = classes;
    net->class_names = calloc(classes, sizeof *net->class_names);
    if (!net->class_names)
        return NB_RAISE(NB_E_NOMEM, path, "%zu class names", classes);
    for (size_t c = 0; c < classes; c++) {
        char name[32];
        snprintf(name, sizeof name, "%zu", c);
        net->class_names[c] = strdup(name);
        if (!net->class_names[c]) {
            nb_network_deinit(net);
            return NB_RAISE(NB_E_NOMEM, path, "class names");
        }
    }
    net->in_c = x->ops[0].in_c, net->in_h = x->ops[0].in_h, net->in_w = x->ops[0].in_w;
    net->n_ops = x->n_ops;
    net->ops = x->ops;
    /* activation: the chain's activation kinds in order of appearance ("relu", "gelu,
     * leaky_relu"; "none"), as far as they fit; the operators are the forward pass */
    size_t len = 0;
    bool seen[NB_OP_COUNT] = {false};
    net->activation[0] = '\0';
    for (size_t i = 0; i < x->n_ops; i++) {
        const nb_op_kind kd = x->ops[i].kind;
        if ((kd != NB_OP_RELU && kd != NB_OP_LEAKY_RELU && kd != NB_OP_SIGMOID &&
             kd != NB_OP_TANH && kd != NB_OP_GELU) ||
            seen[kd])
            continue;
        seen[kd] = true;
        const char *name = nb_op_kind_name(kd);
        if (len + strlen(name) + 2 > sizeof net->activation)
            break;
        len += (size_t)snprintf(net->activation + len, sizeof net->activation - len, "%s%s",
                                len ? "," : "", name);
    }
    if (!len)
        snprintf(net->activation, sizeof net->activation, "%s", "none");
    snprintf(net->source, sizeof net->source, "%s", "import");
    snprintf(net->dataset, sizeof net->dataset, "%s", path);
    net->train_accuracy = NAN;
    net->test_accuracy = NAN;
    nb_status s = nb_graph_build(net);
    if (s != NB_OK) {
        /* the operators stay with the caller's context, which frees them */
        char what[1024];
        snprintf(what, sizeof what, "%s: %s", nb_error_subject(), nb_error_reason());
        net->ops = NULL, net->n_ops = 0;
        nb_network_deinit(net);
        memset(net, 0, sizeof *net);
        return NB_RAISE(s, path, "%s", what);
    }
    x->ops = NULL, x->n_ops = x->cap_ops = 0; /* now owned by net */
    return NB_OK;
}

nb_status nb_import_onnx_ex(const char *path, const nb_import_onnx_options *opt, nb_network *net) {
    static const nb_import_onnx_options defaults = {0};
    memset(net, 0, sizeof *net);
    uint8_t *data = NULL;
    size_t len = 0;
    NB_TRY(read_file(path, &data, &len));
    Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, len, data);
    free(data);
    if (!model)
        return NB_RAISE(NB_E_FORMAT, path,
                        "not a valid ONNX model (protobuf parse failed: truncated or not ONNX)");
    nb_status s = NB_OK;
    onnx_ctx x = {.path = path, .opt = opt ? opt : &defaults, .g = model->graph, .opset = 1};
    if (!model->graph || model->graph->n_node == 0)
        s = NB_RAISE(NB_E_FORMAT, path, "the model has no graph nodes (truncated or not ONNX?)");
    for (size_t i = 0; s == NB_OK && i < model->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = model->opset_import[i];
        if ((!os->domain || !os->domain[0] || !strcmp(os->domain, "ai.onnx")) && os->has_version)
            x.opset = os->version;
    }
    if (s == NB_OK) {
        x.visited = calloc(model->graph->n_node, sizeof *x.visited);
        if (!x.visited)
            s = NB_RAISE(NB_E_NOMEM, path, "%zu nodes", model->graph->n_node);
    }
    if (s == NB_OK)
        s = walk(&x);
    if (s == NB_OK) {
        if (x.opt->chain_only) {
            net->in_c = x.n_ops ? x.ops[0].in_c : x.c;
            net->in_h = x.n_ops ? x.ops[0].in_h : x.h;
            net->in_w = x.n_ops ? x.ops[0].in_w : x.w;
            net->n_ops = x.n_ops;
            net->ops = x.ops;
            x.ops = NULL, x.n_ops = 0;
        } else {
            s = finish_network(&x, path, net);
        }
    }
    for (size_t i = 0; i < x.n_ops; i++)
        nb_op_deinit(&x.ops[i]);
    free(x.ops);
    free(x.visited);
    onnx__model_proto__free_unpacked(model, NULL);
    return s;
}

nb_status nb_import_onnx(const char *path, nb_network *net) {
    return nb_import_onnx_ex(path, NULL, net);
}
