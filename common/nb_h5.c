/* nb_h5.c - reading, validating and atomically writing .nnb.h5 files (HDF5 1.10 API).
 *
 * DESIGN: the file layout is DESIGN.md's table, documented field by field in
 * docs/file_format.md. Writing: nb_model_validate first (we never write a file we would
 * refuse to read), then every present group goes into "<path>.tmp.<pid>" (datasets over
 * 64 KiB chunked with shuffle + deflate level 1), the file is closed, fsync'd and renamed
 * over path; on any failure the temporary file is removed and path is untouched. Reading:
 * the root attributes identify the file; /network is required; each dataset is checked for
 * link kind (hard links only), object kind, dtype class/size/sign, rank and shape (against
 * layer_sizes, or bounded by sane limits before anything is allocated for sizes the file
 * declares), then read; nb_model_validate then checks contents (finite values, ranges,
 * monotone CSR offsets, node ids in range and in adjacent layers). HDF5's automatic error
 * printing is switched off for the duration of each call (and restored after); HDF5
 * failures become NB_E_IO / NB_E_FORMAT with HDF5's innermost message appended. Subjects
 * read "<path> /group/dataset" or "<path> /group attribute".
 * Threading: no shared state of ours; HDF5 (thread-safe build) serialises its own calls.
 * The error-printing switch is per thread in HDF5. Reads no config keys (the bundle's
 * resolved config is stored as JSON text).
 */
#include "nb_h5.h"
#include "nb_file.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NB_VERSION
#define NB_VERSION "unknown"
#endif

#define SUBJ_MAX              512
#define CHUNK_THRESHOLD_BYTES (64u * 1024u)
#define CHUNK_TARGET_BYTES    (256u * 1024u)
#define DEFLATE_LEVEL         1

/* The float64 attributes of /bundle (metrics and timings; NaN = not measured): one table for
 * validation, writing and reading. */
static const struct {
    const char *name;
    size_t offset; /* of the double in nb_bundle_data */
} bundle_f64_attrs[] = {
    {"mean_distortion", offsetof(nb_bundle_data, metrics.mean_distortion)},
    {"max_distortion", offsetof(nb_bundle_data, metrics.max_distortion)},
    {"mean_length_diff", offsetof(nb_bundle_data, metrics.mean_length_diff)},
    {"ink_ratio", offsetof(nb_bundle_data, metrics.ink_ratio)},
    {"ink_ratio_layout", offsetof(nb_bundle_data, metrics.ink_ratio_layout)},
    {"max_turn_degrees", offsetof(nb_bundle_data, metrics.max_turn_degrees)},
    {"time_layout", offsetof(nb_bundle_data, time_layout)},
    {"time_node_phase", offsetof(nb_bundle_data, time_node_phase)},
    {"time_edge_phase", offsetof(nb_bundle_data, time_edge_phase)},
    {"time_total", offsetof(nb_bundle_data, time_total)},
};
#define N_BUNDLE_F64 (sizeof bundle_f64_attrs / sizeof bundle_f64_attrs[0])

static const double *bundle_f64_const(const nb_bundle_data *b, size_t i) {
    return (const double *)(const void *)((const char *)b + bundle_f64_attrs[i].offset);
}

/* ---- errors --------------------------------------------------------------------------- */

/* Raises with subject "<path> <obj>" (obj may be NULL). */
__attribute__((format(printf, 5, 6))) static nb_status
raise_at(nb_status st, int line, const char *path, const char *obj, const char *fmt, ...) {
    char subject[SUBJ_MAX], reason[1024];
    if (obj && obj[0])
        snprintf(subject, sizeof subject, "%s %s", path ? path : "model", obj);
    else
        snprintf(subject, sizeof subject, "%s", path ? path : "model");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return nb_error_raise(st, __FILE__, line, subject, "%s", reason);
}
#define RAISE(st, path, obj, ...) raise_at((st), __LINE__, (path), (obj), __VA_ARGS__)

static herr_t walk_cb(unsigned n, const H5E_error2_t *err, void *data) {
    (void)n;
    if (err->desc && err->desc[0])
        snprintf((char *)data, 256, "%s", err->desc);
    return 0;
}

/* HDF5's innermost error description of the current stack ("" if none); clears it. */
static const char *h5_msg(char buf[256]) {
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, buf);
    H5Eclear2(H5E_DEFAULT);
    return buf[0] ? buf : "HDF5 error";
}

typedef struct h5_quiet {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

static void quiet_begin(h5_quiet *q) {
    q->func = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(const h5_quiet *q) {
    H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* ---- dtypes --------------------------------------------------------------------------- */

typedef enum dkind { K_F32, K_F64, K_I32, K_I64, K_U32, K_U64 } dkind;

static const char *kind_name(dkind k) {
    static const char *const names[] = {"float32", "float64", "int32", "int64", "uint32", "uint64"};
    return names[k];
}

static hid_t kind_mem(dkind k) {
    switch (k) {
    case K_F32:
        return H5T_NATIVE_FLOAT;
    case K_F64:
        return H5T_NATIVE_DOUBLE;
    case K_I32:
        return H5T_NATIVE_INT32;
    case K_I64:
        return H5T_NATIVE_INT64;
    case K_U32:
        return H5T_NATIVE_UINT32;
    case K_U64:
        return H5T_NATIVE_UINT64;
    }
    return H5I_INVALID_HID;
}

static hid_t kind_file(dkind k) {
    switch (k) {
    case K_F32:
        return H5T_IEEE_F32LE;
    case K_F64:
        return H5T_IEEE_F64LE;
    case K_I32:
        return H5T_STD_I32LE;
    case K_I64:
        return H5T_STD_I64LE;
    case K_U32:
        return H5T_STD_U32LE;
    case K_U64:
        return H5T_STD_U64LE;
    }
    return H5I_INVALID_HID;
}

static size_t kind_size(dkind k) {
    return (k == K_F32 || k == K_I32 || k == K_U32) ? 4 : 8;
}

/* "float64", "uint8", "string", ... for a file datatype. */
static void describe_type(hid_t t, char *buf, size_t cap) {
    H5T_class_t c = H5Tget_class(t);
    size_t bits = H5Tget_size(t) * 8;
    switch (c) {
    case H5T_FLOAT:
        snprintf(buf, cap, "float%zu", bits);
        break;
    case H5T_INTEGER:
        snprintf(buf, cap, "%s%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int", bits);
        break;
    case H5T_STRING:
        snprintf(buf, cap, "string");
        break;
    case H5T_COMPOUND:
        snprintf(buf, cap, "compound");
        break;
    case H5T_ARRAY:
        snprintf(buf, cap, "array");
        break;
    case H5T_VLEN:
        snprintf(buf, cap, "vlen");
        break;
    case H5T_ENUM:
        snprintf(buf, cap, "enum");
        break;
    default:
        snprintf(buf, cap, "HDF5 class %d", (int)c);
        break;
    }
}

static bool type_matches(hid_t t, dkind k) {
    H5T_class_t c = H5Tget_class(t);
    if (H5Tget_size(t) != kind_size(k))
        return false;
    if (k == K_F32 || k == K_F64)
        return c == H5T_FLOAT;
    if (c != H5T_INTEGER)
        return false;
    bool is_signed = H5Tget_sign(t) == H5T_SGN_2;
    return (k == K_I32 || k == K_I64) ? is_signed : !is_signed;
}

static void dims_text(const hsize_t *d, int rank, char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < rank; i++) {
        int n = snprintf(buf + used, cap - used, "%s%llu", i ? "x" : "", (unsigned long long)d[i]);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    if (rank == 0)
        snprintf(buf, cap, "scalar");
}

/* ---- validation of in-memory data (shared by reader and writer) ----------------------- */

static bool is_finite_or_nan(double v) {
    return !isinf(v);
}

static bool fraction_or_nan(double v) {
    return isnan(v) || (v >= 0.0 && v <= 1.0);
}

/* All values finite and, if `unit`, in [0, 1]. Reports the first bad index. */
static nb_status check_floats(const float *v, size_t n, size_t cols, bool unit, const char *path,
                              const char *obj) {
    for (size_t i = 0; i < n; i++) {
        float x = v[i];
        if (!isfinite(x) || (unit && !(x >= 0.0f && x <= 1.0f))) {
            char where[64], what[64];
            if (cols)
                snprintf(where, sizeof where, "[%zu, %zu]", i / cols, i % cols);
            else
                snprintf(where, sizeof where, "[%zu]", i);
            if (isnan(x))
                snprintf(what, sizeof what, "NaN");
            else if (isinf(x))
                snprintf(what, sizeof what, "infinite value");
            else
                snprintf(what, sizeof what, "value %g", (double)x);
            return RAISE(NB_E_NUMERIC, path, obj, "%s at %s%s", what, where,
                         unit && isfinite(x) ? ", expected a value in [0, 1]" : "");
        }
    }
    return NB_OK;
}

static nb_status check_network_shape(const size_t *sizes, size_t n_layers, const char *path) {
    const char *obj = "/network/layer_sizes";
    if (n_layers < 2 || n_layers > NB_H5_MAX_LAYERS)
        return RAISE(NB_E_FORMAT, path, obj, "%zu layers, expected 2..%d", n_layers,
                     NB_H5_MAX_LAYERS);
    size_t n_nodes = 0, n_w = 0;
    for (size_t l = 0; l < n_layers; l++)
        if (sizes[l] < 1 || sizes[l] > NB_H5_MAX_LAYER_SIZE)
            return RAISE(NB_E_FORMAT, path, obj, "layer %zu has %zu nodes, expected 1..%d", l,
                         sizes[l], NB_H5_MAX_LAYER_SIZE);
    for (size_t l = 0; l < n_layers; l++) {
        n_nodes += sizes[l];
        if (l + 1 < n_layers) {
            if (sizes[l + 1] > NB_H5_MAX_ELEMENTS / sizes[l])
                return RAISE(NB_E_FORMAT, path, obj, "layer pair %zu has over %llu weights", l,
                             (unsigned long long)NB_H5_MAX_ELEMENTS);
            n_w += sizes[l] * sizes[l + 1];
        }
    }
    /* sizes <= 2^24 and L <= 1024 keep these sums far from overflow */
    if (n_w > NB_H5_MAX_ELEMENTS)
        return RAISE(NB_E_FORMAT, path, obj, "%zu weights, at most %llu", n_w,
                     (unsigned long long)NB_H5_MAX_ELEMENTS);
    size_t n_classes = sizes[n_layers - 1];
    if (n_classes > NB_H5_MAX_ELEMENTS / n_nodes)
        return RAISE(NB_E_FORMAT, path, obj, "%zu nodes x %zu classes is too large", n_nodes,
                     n_classes);
    return NB_OK;
}

static nb_status validate_network(const nb_network *net, const char *path) {
    char obj[128];
    if (!net->layer_size || !net->weights || !net->biases || !net->class_names)
        return RAISE(NB_E_INVALID, path, "/network", "network is not initialised");
    NB_TRY(check_network_shape(net->layer_size, net->n_layers, path));
    if (net->n_classes != net->layer_size[net->n_layers - 1])
        return RAISE(NB_E_FORMAT, path, "/network n_classes",
                     "%zu classes, but the output layer has %zu nodes", net->n_classes,
                     net->layer_size[net->n_layers - 1]);
    for (size_t c = 0; c < net->n_classes; c++)
        if (!net->class_names[c] || strlen(net->class_names[c]) >= NB_NAME_MAX)
            return RAISE(NB_E_FORMAT, path, "/network class_names",
                         "class %zu has no name or one of %d or more bytes", c, NB_NAME_MAX);
    for (size_t l = 0; l + 1 < net->n_layers; l++) {
        size_t in = net->layer_size[l], out = net->layer_size[l + 1];
        snprintf(obj, sizeof obj, "/network/dense_%zu/weight", l);
        NB_TRY(check_floats(nb_network_weight(net, l), in * out, in, false, path, obj));
        snprintf(obj, sizeof obj, "/network/dense_%zu/bias", l);
        NB_TRY(check_floats(nb_network_bias(net, l), out, 0, false, path, obj));
    }
    if (!memchr(net->activation, '\0', sizeof net->activation) ||
        !memchr(net->source, '\0', sizeof net->source) ||
        !memchr(net->dataset, '\0', sizeof net->dataset))
        return RAISE(NB_E_INVALID, path, "/network", "unterminated string attribute");
    if (net->epochs < 0)
        return RAISE(NB_E_FORMAT, path, "/network epochs", "%d epochs", net->epochs);
    if (!isfinite(net->l1) || net->l1 < 0)
        return RAISE(NB_E_NUMERIC, path, "/network l1", "l1 %g, expected a finite value >= 0",
                     net->l1);
    if (!fraction_or_nan(net->train_accuracy))
        return RAISE(NB_E_NUMERIC, path, "/network train_accuracy", "%g, expected NaN or [0, 1]",
                     net->train_accuracy);
    if (!fraction_or_nan(net->test_accuracy))
        return RAISE(NB_E_NUMERIC, path, "/network test_accuracy", "%g, expected NaN or [0, 1]",
                     net->test_accuracy);
    return NB_OK;
}

static nb_status validate_importance(const nb_importance *imp, const nb_network *net,
                                     const char *path) {
    char obj[128];
    if (!imp->layer_size || !imp->node || !imp->edge || !imp->top || !imp->finetune_accuracy ||
        !imp->node_offset || !imp->edge_offset || !imp->top_offset)
        return RAISE(NB_E_INVALID, path, "/importance", "importance is not initialised");
    if (imp->n_layers != net->n_layers)
        return RAISE(NB_E_MISMATCH, path, "/importance", "%zu layers, the network has %zu",
                     imp->n_layers, net->n_layers);
    for (size_t l = 0; l < net->n_layers; l++)
        if (imp->layer_size[l] != net->layer_size[l])
            return RAISE(NB_E_MISMATCH, path, "/importance",
                         "layer %zu has %zu nodes, the network %zu", l, imp->layer_size[l],
                         net->layer_size[l]);
    if (imp->n_classes != net->n_classes)
        return RAISE(NB_E_MISMATCH, path, "/importance", "%zu classes, the network has %zu",
                     imp->n_classes, net->n_classes);
    if (imp->top_k > NB_H5_MAX_TOP_K)
        return RAISE(NB_E_FORMAT, path, "/importance top_k", "top_k %zu, at most %d", imp->top_k,
                     NB_H5_MAX_TOP_K);
    size_t C = imp->n_classes;
    for (size_t l = 0; l < imp->n_layers; l++) {
        snprintf(obj, sizeof obj, "/importance/node_%zu", l);
        NB_TRY(
            check_floats(nb_importance_node(imp, l), imp->layer_size[l] * C, C, true, path, obj));
        if (l + 1 < imp->n_layers) {
            snprintf(obj, sizeof obj, "/importance/edge_%zu", l);
            NB_TRY(check_floats(nb_importance_edge(imp, l),
                                imp->layer_size[l] * imp->layer_size[l + 1], imp->layer_size[l],
                                true, path, obj));
        }
        const int32_t *top = nb_importance_top(imp, l);
        if (top) {
            snprintf(obj, sizeof obj, "/importance/top_%zu", l);
            for (size_t i = 0; i < imp->layer_size[l] * imp->top_k; i++)
                if (top[i] < -1)
                    return RAISE(NB_E_FORMAT, path, obj,
                                 "image index %d at [%zu, %zu], expected >= -1", (int)top[i],
                                 i / imp->top_k, i % imp->top_k);
        }
    }
    for (size_t c = 0; c < C; c++)
        if (!fraction_or_nan(imp->finetune_accuracy[c]))
            return RAISE(NB_E_NUMERIC, path, "/importance/finetune_accuracy",
                         "class %zu: %g, expected NaN or [0, 1]", c, imp->finetune_accuracy[c]);
    if (!memchr(imp->method, '\0', sizeof imp->method) ||
        !memchr(imp->flags, '\0', sizeof imp->flags))
        return RAISE(NB_E_INVALID, path, "/importance", "unterminated string attribute");
    if (imp->epochs < 0)
        return RAISE(NB_E_FORMAT, path, "/importance epochs", "%d epochs", imp->epochs);
    return NB_OK;
}

/* Layer of global node id v, given layer_offset[L+1] (validated, strictly increasing). */
static size_t layer_of(const int64_t *layer_offset, size_t n_layers, uint32_t v) {
    size_t lo = 0, hi = n_layers; /* layer_offset[lo] <= v < layer_offset[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((int64_t)v >= layer_offset[mid])
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static nb_status validate_bundle(const nb_bundle_data *b, const nb_network *net, const char *path) {
    if (!b->node_position || !b->layer_offset || !b->edge_source || !b->edge_target ||
        !b->edge_alpha || !b->edge_point_offset || !b->point_position)
        return RAISE(NB_E_INVALID, path, "/bundle", "bundle is not initialised");
    size_t L = net->n_layers, N = nb_network_n_nodes(net);
    if (b->n_layers != L)
        return RAISE(NB_E_MISMATCH, path, "/bundle/layer_offset", "%zu layers, the network has %zu",
                     b->n_layers, L);
    if (b->n_nodes != N)
        return RAISE(NB_E_MISMATCH, path, "/bundle/node_position", "%zu nodes, the network has %zu",
                     b->n_nodes, N);
    int64_t expect = 0;
    for (size_t l = 0; l <= L; l++) {
        if (b->layer_offset[l] != expect)
            return RAISE(NB_E_FORMAT, path, "/bundle/layer_offset",
                         "entry %zu is %lld, expected %lld (from layer_sizes)", l,
                         (long long)b->layer_offset[l], (long long)expect);
        if (l < L)
            expect += (int64_t)net->layer_size[l];
    }
    NB_TRY(check_floats(b->node_position, N * 3, 3, false, path, "/bundle/node_position"));

    size_t E = b->n_edges;
    if (E > nb_network_n_edges(net))
        return RAISE(NB_E_FORMAT, path, "/bundle/edge_source",
                     "%zu edges, the network has only %zu", E, nb_network_n_edges(net));
    if (b->n_edges_total > nb_network_n_edges(net))
        return RAISE(NB_E_FORMAT, path, "/bundle n_edges_total",
                     "%zu edges before pruning, the network has only %zu", b->n_edges_total,
                     nb_network_n_edges(net));
    for (size_t e = 0; e < E; e++) {
        uint32_t s = b->edge_source[e], t = b->edge_target[e];
        if (s >= N)
            return RAISE(NB_E_FORMAT, path, "/bundle/edge_source",
                         "edge %zu: node id %u, expected < %zu", e, s, N);
        if (t >= N)
            return RAISE(NB_E_FORMAT, path, "/bundle/edge_target",
                         "edge %zu: node id %u, expected < %zu", e, t, N);
        size_t ls = layer_of(b->layer_offset, L, s), lt = layer_of(b->layer_offset, L, t);
        if (lt != ls + 1)
            return RAISE(NB_E_FORMAT, path, "/bundle/edge_target",
                         "edge %zu: target %u is in layer %zu, source %u in layer %zu "
                         "(expected adjacent layers)",
                         e, t, lt, s, ls);
    }
    NB_TRY(check_floats(b->edge_alpha, E, 0, true, path, "/bundle/edge_alpha"));
    if (b->edge_point_offset[0] != 0)
        return RAISE(NB_E_FORMAT, path, "/bundle/edge_point_offset", "entry 0 is %llu, expected 0",
                     (unsigned long long)b->edge_point_offset[0]);
    for (size_t e = 0; e < E; e++) {
        uint64_t a = b->edge_point_offset[e], z = b->edge_point_offset[e + 1];
        if (z < a || z - a < 2)
            return RAISE(NB_E_FORMAT, path, "/bundle/edge_point_offset",
                         "edge %zu spans points [%llu, %llu): offsets must increase by at "
                         "least 2",
                         e, (unsigned long long)a, (unsigned long long)z);
        if (z > b->n_points)
            return RAISE(NB_E_FORMAT, path, "/bundle/edge_point_offset",
                         "edge %zu ends at point %llu, beyond the %zu points", e,
                         (unsigned long long)z, b->n_points);
    }
    if (b->edge_point_offset[E] != b->n_points)
        return RAISE(NB_E_FORMAT, path, "/bundle/edge_point_offset",
                     "last entry is %llu, expected the point count %zu",
                     (unsigned long long)b->edge_point_offset[E], b->n_points);
    NB_TRY(
        check_floats(b->point_position, b->n_points * 3, 3, false, path, "/bundle/point_position"));
    if (b->node_iterations < 0 || b->edge_iterations < 0)
        return RAISE(NB_E_FORMAT, path, "/bundle", "negative iteration count (%d, %d)",
                     b->node_iterations, b->edge_iterations);
    for (size_t i = 0; i < N_BUNDLE_F64; i++)
        if (!is_finite_or_nan(*bundle_f64_const(b, i))) {
            char obj[64];
            snprintf(obj, sizeof obj, "/bundle %s", bundle_f64_attrs[i].name);
            return RAISE(NB_E_NUMERIC, path, obj, "infinite value");
        }
    return NB_OK;
}

nb_status nb_model_validate(const nb_model *m, const char *path) {
    if (!m->has_network) {
        if (m->has_importance || m->has_bundle)
            return RAISE(NB_E_MISSING, path, "/network",
                         "importance or bundle data without a network");
        return NB_OK;
    }
    NB_TRY(validate_network(&m->network, path));
    if (m->has_importance)
        NB_TRY(validate_importance(&m->importance, &m->network, path));
    if (m->has_bundle)
        NB_TRY(validate_bundle(&m->bundle, &m->network, path));
    return NB_OK;
}

/* ---- writing -------------------------------------------------------------------------- */

typedef struct writer {
    const char *path; /* the final path, for error subjects */
    char h5err[256];
} writer;

static nb_status w_fail(writer *w, int line, const char *obj, const char *what) {
    return raise_at(NB_E_IO, line, w->path, obj, "cannot write %s: %s", what, h5_msg(w->h5err));
}
#define W_FAIL(w, obj, what) w_fail((w), __LINE__, (obj), (what))

/* Dataset of `kind` with the given dims; chunked + shuffle + deflate above 64 KiB. */
static nb_status write_dset(writer *w, hid_t loc, const char *obj, const char *name, dkind kind,
                            int rank, const hsize_t *dims, const void *data) {
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    nb_status st = NB_OK;
    if (space < 0 || dcpl < 0) {
        st = W_FAIL(w, obj, "the dataspace");
        goto out;
    }
    if (n * kind_size(kind) > CHUNK_THRESHOLD_BYTES) {
        /* chunk = whole rows, ~256 KiB; a row longer than that is split */
        hsize_t chunk[2] = {1, 1};
        hsize_t target = CHUNK_TARGET_BYTES / kind_size(kind);
        if (rank == 1) {
            chunk[0] = dims[0] < target ? dims[0] : target;
        } else {
            hsize_t row = dims[1] ? dims[1] : 1;
            if (row >= target) {
                chunk[0] = 1;
                chunk[1] = target;
            } else {
                hsize_t rows = target / row;
                chunk[0] = dims[0] < rows ? dims[0] : rows;
                chunk[1] = row;
            }
        }
        if (H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_shuffle(dcpl) < 0 ||
            H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0) {
            st = W_FAIL(w, obj, "the chunking/compression properties");
            goto out;
        }
    }
    hid_t d = H5Dcreate2(loc, name, kind_file(kind), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0) {
        st = W_FAIL(w, obj, "the dataset");
        goto out;
    }
    if (n > 0 && H5Dwrite(d, kind_mem(kind), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        st = W_FAIL(w, obj, "the data");
    if (H5Dclose(d) < 0 && st == NB_OK)
        st = W_FAIL(w, obj, "the dataset (close)");
out:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return st;
}

static nb_status write_attr(writer *w, hid_t loc, const char *obj, const char *name, dkind kind,
                            const void *value) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = space >= 0 ? H5Acreate2(loc, name, kind_file(kind), space, H5P_DEFAULT, H5P_DEFAULT)
                         : H5I_INVALID_HID;
    nb_status st = NB_OK;
    if (a < 0 || H5Awrite(a, kind_mem(kind), value) < 0) {
        char what[160];
        snprintf(what, sizeof what, "attribute %s", name);
        st = W_FAIL(w, obj, what);
    }
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    return st;
}

static nb_status write_i64(writer *w, hid_t loc, const char *obj, const char *name, int64_t v) {
    return write_attr(w, loc, obj, name, K_I64, &v);
}

static nb_status write_u64(writer *w, hid_t loc, const char *obj, const char *name, uint64_t v) {
    return write_attr(w, loc, obj, name, K_U64, &v);
}

static nb_status write_f64(writer *w, hid_t loc, const char *obj, const char *name, double v) {
    return write_attr(w, loc, obj, name, K_F64, &v);
}

/* Fixed-length UTF-8 string attribute: scalar (n == 0, strings[0]) or array of n, each
 * NUL-terminated in a cell of (longest + 1) bytes. Fixed rather than variable length: the
 * strings then live in the attribute itself, not in HDF5's global heap, whose corruption
 * HDF5 1.10 does not survive (a fuzzed file crashed H5Aread in H5HG_read). */
static nb_status write_strings(writer *w, hid_t loc, const char *obj, const char *name,
                               const char *const *strings, size_t n) {
    size_t count = n ? n : 1, cell = 1;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(strings[i]) + 1;
        if (len > cell)
            cell = len;
    }
    char *buf = calloc(count, cell);
    if (!buf)
        return RAISE(NB_E_NOMEM, w->path, obj, "cannot allocate attribute %s", name);
    for (size_t i = 0; i < count; i++)
        memcpy(buf + i * cell, strings[i], strlen(strings[i]));
    hid_t t = H5Tcopy(H5T_C_S1);
    hsize_t dim = n;
    hid_t space = n ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_SCALAR);
    nb_status st = NB_OK;
    hid_t a = H5I_INVALID_HID;
    if (t < 0 || space < 0 || H5Tset_size(t, cell) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0)
        goto fail;
    a = H5Acreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, t, buf) < 0)
        goto fail;
    goto out;
fail : {
    char what[160];
    snprintf(what, sizeof what, "attribute %s", name);
    st = W_FAIL(w, obj, what);
}
out:
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    if (t >= 0)
        H5Tclose(t);
    free(buf);
    return st;
}

static nb_status write_string(writer *w, hid_t loc, const char *obj, const char *name,
                              const char *s) {
    const char *one[1] = {s ? s : ""};
    return write_strings(w, loc, obj, name, one, 0);
}

static hid_t create_group(writer *w, hid_t loc, const char *name, const char *obj, nb_status *st) {
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        *st = W_FAIL(w, obj, "the group");
    return g;
}

static nb_status write_network(writer *w, hid_t file, const nb_network *net) {
    nb_status st = NB_OK;
    hid_t g = create_group(w, file, "network", "/network", &st);
    if (g < 0)
        return st;
    size_t L = net->n_layers;
    int32_t *sizes = malloc(L * sizeof(int32_t));
    if (!sizes) {
        H5Gclose(g);
        return RAISE(NB_E_NOMEM, w->path, "/network/layer_sizes", "cannot allocate");
    }
    for (size_t l = 0; l < L; l++)
        sizes[l] = (int32_t)net->layer_size[l];
    hsize_t dl = L;
    st = write_dset(w, g, "/network/layer_sizes", "layer_sizes", K_I32, 1, &dl, sizes);
    free(sizes);
    for (size_t l = 0; st == NB_OK && l + 1 < L; l++) {
        char name[64], obj[96];
        snprintf(name, sizeof name, "dense_%zu", l);
        snprintf(obj, sizeof obj, "/network/%s", name);
        hid_t d = create_group(w, g, name, obj, &st);
        if (d < 0)
            break;
        hsize_t dims[2] = {net->layer_size[l + 1], net->layer_size[l]};
        snprintf(obj, sizeof obj, "/network/%s/weight", name);
        st = write_dset(w, d, obj, "weight", K_F32, 2, dims, nb_network_weight(net, l));
        if (st == NB_OK) {
            snprintf(obj, sizeof obj, "/network/%s/bias", name);
            st = write_dset(w, d, obj, "bias", K_F32, 1, dims, nb_network_bias(net, l));
        }
        H5Gclose(d);
    }
    const char *o = "/network";
    if (st == NB_OK)
        st = write_i64(w, g, o, "n_classes", (int64_t)net->n_classes);
    if (st == NB_OK)
        st = write_strings(w, g, o, "class_names", (const char *const *)net->class_names,
                           net->n_classes);
    if (st == NB_OK)
        st = write_string(w, g, o, "activation", net->activation);
    if (st == NB_OK)
        st = write_string(w, g, o, "source", net->source);
    if (st == NB_OK)
        st = write_string(w, g, o, "dataset", net->dataset);
    if (st == NB_OK)
        st = write_i64(w, g, o, "epochs", net->epochs);
    if (st == NB_OK)
        st = write_u64(w, g, o, "seed", net->seed);
    if (st == NB_OK)
        st = write_f64(w, g, o, "l1", net->l1);
    if (st == NB_OK)
        st = write_f64(w, g, o, "train_accuracy", net->train_accuracy);
    if (st == NB_OK)
        st = write_f64(w, g, o, "test_accuracy", net->test_accuracy);
    H5Gclose(g);
    return st;
}

static nb_status write_importance(writer *w, hid_t file, const nb_importance *imp) {
    nb_status st = NB_OK;
    hid_t g = create_group(w, file, "importance", "/importance", &st);
    if (g < 0)
        return st;
    size_t L = imp->n_layers, C = imp->n_classes;
    for (size_t l = 0; st == NB_OK && l < L; l++) {
        char name[64], obj[96];
        snprintf(name, sizeof name, "node_%zu", l);
        snprintf(obj, sizeof obj, "/importance/%s", name);
        hsize_t dn[2] = {imp->layer_size[l], C};
        st = write_dset(w, g, obj, name, K_F32, 2, dn, nb_importance_node(imp, l));
        if (st == NB_OK && l + 1 < L) {
            snprintf(name, sizeof name, "edge_%zu", l);
            snprintf(obj, sizeof obj, "/importance/%s", name);
            hsize_t de[2] = {imp->layer_size[l + 1], imp->layer_size[l]};
            st = write_dset(w, g, obj, name, K_F32, 2, de, nb_importance_edge(imp, l));
        }
        const int32_t *top = nb_importance_top(imp, l);
        if (st == NB_OK && top) {
            snprintf(name, sizeof name, "top_%zu", l);
            snprintf(obj, sizeof obj, "/importance/%s", name);
            hsize_t dt[2] = {imp->layer_size[l], imp->top_k};
            st = write_dset(w, g, obj, name, K_I32, 2, dt, top);
        }
    }
    hsize_t dc = C;
    if (st == NB_OK)
        st = write_dset(w, g, "/importance/finetune_accuracy", "finetune_accuracy", K_F64, 1, &dc,
                        imp->finetune_accuracy);
    const char *o = "/importance";
    if (st == NB_OK)
        st = write_string(w, g, o, "method", imp->method);
    if (st == NB_OK)
        st = write_string(w, g, o, "flags", imp->flags);
    if (st == NB_OK)
        st = write_i64(w, g, o, "epochs", imp->epochs);
    if (st == NB_OK)
        st = write_u64(w, g, o, "seed", imp->seed);
    if (st == NB_OK)
        st = write_i64(w, g, o, "top_k", (int64_t)imp->top_k);
    H5Gclose(g);
    return st;
}

static nb_status write_bundle(writer *w, hid_t file, const nb_bundle_data *b) {
    nb_status st = NB_OK;
    hid_t g = create_group(w, file, "bundle", "/bundle", &st);
    if (g < 0)
        return st;
    hsize_t dn[2] = {b->n_nodes, 3}, dl = b->n_layers + 1, de = b->n_edges, deo = b->n_edges + 1,
            dp[2] = {b->n_points, 3};
    st = write_dset(w, g, "/bundle/node_position", "node_position", K_F32, 2, dn, b->node_position);
    if (st == NB_OK)
        st = write_dset(w, g, "/bundle/layer_offset", "layer_offset", K_I64, 1, &dl,
                        b->layer_offset);
    if (st == NB_OK)
        st = write_dset(w, g, "/bundle/edge_source", "edge_source", K_U32, 1, &de, b->edge_source);
    if (st == NB_OK)
        st = write_dset(w, g, "/bundle/edge_target", "edge_target", K_U32, 1, &de, b->edge_target);
    if (st == NB_OK)
        st = write_dset(w, g, "/bundle/edge_point_offset", "edge_point_offset", K_U64, 1, &deo,
                        b->edge_point_offset);
    if (st == NB_OK)
        st = write_dset(w, g, "/bundle/point_position", "point_position", K_F32, 2, dp,
                        b->point_position);
    if (st == NB_OK)
        st = write_dset(w, g, "/bundle/edge_alpha", "edge_alpha", K_F32, 1, &de, b->edge_alpha);
    const char *o = "/bundle";
    if (st == NB_OK && b->config_json)
        st = write_string(w, g, o, "config_json", b->config_json);
    if (st == NB_OK)
        st = write_i64(w, g, o, "node_iterations", b->node_iterations);
    if (st == NB_OK)
        st = write_i64(w, g, o, "edge_iterations", b->edge_iterations);
    if (st == NB_OK)
        st = write_u64(w, g, o, "n_edges_total", (uint64_t)b->n_edges_total);
    for (size_t i = 0; st == NB_OK && i < N_BUNDLE_F64; i++)
        st = write_f64(w, g, o, bundle_f64_attrs[i].name, *bundle_f64_const(b, i));
    H5Gclose(g);
    return st;
}

static nb_status write_file(writer *w, hid_t file, const nb_model *m) {
    int64_t version = NB_FORMAT_VERSION;
    NB_TRY(write_string(w, file, "/", "format", "nnbundle"));
    NB_TRY(write_i64(w, file, "/", "format_version", version));
    NB_TRY(write_string(w, file, "/", "software_version", NB_VERSION));
    NB_TRY(write_network(w, file, &m->network));
    if (m->has_importance)
        NB_TRY(write_importance(w, file, &m->importance));
    if (m->has_bundle)
        NB_TRY(write_bundle(w, file, &m->bundle));
    return NB_OK;
}

/* The file at tmp_path (nb_file_save_with's callback): created, written, closed. */
typedef struct save_job {
    writer *w;
    const nb_model *m;
} save_job;

static nb_status create_and_write(const char *tmp, void *user) {
    save_job *job = user;
    writer *w = job->w;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* 1.8 file format: attributes over 64 KiB (many long class names) go to dense storage;
     * readable by any HDF5 >= 1.8 */
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0) {
        nb_status st =
            RAISE(NB_E_IO, w->path, NULL, "cannot set up file access: %s", h5_msg(w->h5err));
        if (fapl >= 0)
            H5Pclose(fapl);
        return st;
    }
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (file < 0) {
        /* before H5Pclose, which would clear HDF5's error stack */
        nb_status st = RAISE(NB_E_IO, w->path, NULL, "cannot create %s: %s", tmp, h5_msg(w->h5err));
        H5Pclose(fapl);
        return st;
    }
    H5Pclose(fapl);
    nb_status st = write_file(w, file, job->m);
    if (H5Fclose(file) < 0 && st == NB_OK)
        st = RAISE(NB_E_IO, w->path, NULL, "cannot close %s: %s", tmp, h5_msg(w->h5err));
    return st;
}

nb_status nb_h5_save(const char *path, const nb_model *m) {
    if (!path || !m)
        return RAISE(NB_E_INVALID, path, NULL, "no path or model");
    if (!m->has_network)
        return RAISE(NB_E_INVALID, path, "/network", "the model has no network to write");
    NB_TRY(nb_model_validate(m, path));
    h5_quiet q;
    quiet_begin(&q);
    writer w = {.path = path};
    save_job job = {.w = &w, .m = m};
    nb_status st = nb_file_save_with(path, create_and_write, &job);
    quiet_end(&q);
    return st;
}

/* ---- reading -------------------------------------------------------------------------- */

typedef struct reader {
    const char *path;
    char h5err[256];
} reader;

/* loc/name must be a hard link to an object of type `type`. NB_E_MISSING if absent. */
static nb_status check_link(reader *r, hid_t loc, const char *name, H5O_type_t type,
                            const char *obj) {
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex < 0)
        return RAISE(NB_E_FORMAT, r->path, obj, "cannot look up: %s", h5_msg(r->h5err));
    if (ex == 0)
        return RAISE(NB_E_MISSING, r->path, obj, "%s not found",
                     type == H5O_TYPE_GROUP ? "group" : "dataset");
    H5L_info_t li;
    if (H5Lget_info(loc, name, &li, H5P_DEFAULT) < 0)
        return RAISE(NB_E_FORMAT, r->path, obj, "cannot read the link: %s", h5_msg(r->h5err));
    if (li.type != H5L_TYPE_HARD)
        return RAISE(NB_E_FORMAT, r->path, obj, "is a soft or external link, not a %s",
                     type == H5O_TYPE_GROUP ? "group" : "dataset");
    H5O_info_t oi;
    if (H5Oget_info_by_name2(loc, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return RAISE(NB_E_FORMAT, r->path, obj, "cannot read the object: %s", h5_msg(r->h5err));
    if (oi.type != type)
        return RAISE(NB_E_FORMAT, r->path, obj, "is not a %s",
                     type == H5O_TYPE_GROUP ? "group" : "dataset");
    return NB_OK;
}

static nb_status open_group(reader *r, hid_t loc, const char *name, const char *obj, hid_t *g) {
    NB_TRY(check_link(r, loc, name, H5O_TYPE_GROUP, obj));
    *g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (*g < 0)
        return RAISE(NB_E_FORMAT, r->path, obj, "cannot open the group: %s", h5_msg(r->h5err));
    return NB_OK;
}

/* Opens dataset loc/name, checks dtype and rank, returns its dims. */
static nb_status open_dset(reader *r, hid_t loc, const char *name, const char *obj, dkind kind,
                           int rank, hsize_t *dims, hid_t *out) {
    *out = H5I_INVALID_HID;
    NB_TRY(check_link(r, loc, name, H5O_TYPE_DATASET, obj));
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return RAISE(NB_E_FORMAT, r->path, obj, "cannot open the dataset: %s", h5_msg(r->h5err));
    hid_t t = H5Dget_type(d);
    hid_t s = H5Dget_space(d);
    nb_status st = NB_OK;
    if (t < 0 || s < 0) {
        st = RAISE(NB_E_FORMAT, r->path, obj, "cannot read the dataset header: %s",
                   h5_msg(r->h5err));
    } else if (!type_matches(t, kind)) {
        char found[64];
        describe_type(t, found, sizeof found);
        st = RAISE(NB_E_FORMAT, r->path, obj, "dtype %s, expected %s", found, kind_name(kind));
    } else {
        int nd = H5Sget_simple_extent_ndims(s);
        if (H5Sget_simple_extent_type(s) != H5S_SIMPLE || nd != rank) {
            st = RAISE(NB_E_FORMAT, r->path, obj, "rank %d, expected %d",
                       H5Sget_simple_extent_type(s) == H5S_SIMPLE ? nd : 0, rank);
        } else if (H5Sget_simple_extent_dims(s, dims, NULL) < 0) {
            st = RAISE(NB_E_FORMAT, r->path, obj, "cannot read the shape: %s", h5_msg(r->h5err));
        }
    }
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (st != NB_OK) {
        H5Dclose(d);
        return st;
    }
    *out = d;
    return NB_OK;
}

static nb_status check_shape(reader *r, const char *obj, int rank, const hsize_t *got,
                             const hsize_t *want) {
    for (int i = 0; i < rank; i++)
        if (got[i] != want[i]) {
            char g[96], w[96];
            dims_text(got, rank, g, sizeof g);
            dims_text(want, rank, w, sizeof w);
            return RAISE(NB_E_FORMAT, r->path, obj, "shape %s, expected %s", g, w);
        }
    return NB_OK;
}

static nb_status read_dset_data(reader *r, hid_t d, const char *obj, dkind kind, hsize_t n,
                                void *buf) {
    if (n > 0 && H5Dread(d, kind_mem(kind), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        return RAISE(NB_E_FORMAT, r->path, obj, "cannot read the data: %s", h5_msg(r->h5err));
    return NB_OK;
}

/* Reads loc/name, which must be `kind` with exactly the dims `want`, into buf. */
static nb_status read_fixed(reader *r, hid_t loc, const char *name, const char *obj, dkind kind,
                            int rank, const hsize_t *want, void *buf) {
    hid_t d = H5I_INVALID_HID;
    hsize_t dims[2];
    NB_TRY(open_dset(r, loc, name, obj, kind, rank, dims, &d));
    nb_status st = check_shape(r, obj, rank, dims, want);
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= want[i];
    if (st == NB_OK)
        st = read_dset_data(r, d, obj, kind, n, buf);
    H5Dclose(d);
    return st;
}

/* ---- attributes ---- */

/* Opens attribute `name` of loc; *a < 0 if absent (NB_OK). The dataspace must hold exactly one
 * element (scalar or [1]) unless n_expected > 0 (a 1-D array of that many). */
static nb_status open_attr(reader *r, hid_t loc, const char *name, const char *obj, bool required,
                           hsize_t n_expected, hid_t *a) {
    *a = H5I_INVALID_HID;
    htri_t ex = H5Aexists(loc, name);
    if (ex < 0)
        return RAISE(NB_E_FORMAT, r->path, obj, "cannot look up the attribute: %s",
                     h5_msg(r->h5err));
    if (ex == 0)
        return required ? RAISE(NB_E_MISSING, r->path, obj, "attribute not found") : NB_OK;
    hid_t id = H5Aopen(loc, name, H5P_DEFAULT);
    if (id < 0)
        return RAISE(NB_E_FORMAT, r->path, obj, "cannot open the attribute: %s", h5_msg(r->h5err));
    hid_t s = H5Aget_space(id);
    hssize_t npts = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    int nd = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    if (s >= 0)
        H5Sclose(s);
    bool ok = n_expected ? (nd == 1 && npts == (hssize_t)n_expected) : (npts == 1 && nd <= 1);
    if (!ok) {
        H5Aclose(id);
        if (n_expected)
            return RAISE(NB_E_FORMAT, r->path, obj, "%lld values (rank %d), expected %llu",
                         (long long)npts, nd, (unsigned long long)n_expected);
        return RAISE(NB_E_FORMAT, r->path, obj, "%lld values, expected a single value",
                     (long long)npts);
    }
    *a = id;
    return NB_OK;
}

/* Integer attribute (any integer dtype) into *v; absent + !required keeps *v. */
static nb_status read_attr_int(reader *r, hid_t loc, const char *name, const char *gobj,
                               bool required, bool is_unsigned, void *v) {
    char obj[160];
    snprintf(obj, sizeof obj, "%s %s", gobj, name);
    hid_t a = H5I_INVALID_HID;
    NB_TRY(open_attr(r, loc, name, obj, required, 0, &a));
    if (a < 0)
        return NB_OK;
    hid_t t = H5Aget_type(a);
    nb_status st = NB_OK;
    if (t < 0 || H5Tget_class(t) != H5T_INTEGER) {
        char found[64] = "?";
        if (t >= 0)
            describe_type(t, found, sizeof found);
        st = RAISE(NB_E_FORMAT, r->path, obj, "dtype %s, expected an integer", found);
    } else if (H5Aread(a, is_unsigned ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64, v) < 0) {
        st = RAISE(NB_E_FORMAT, r->path, obj, "cannot read: %s", h5_msg(r->h5err));
    }
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return st;
}

static nb_status read_i64(reader *r, hid_t loc, const char *name, const char *gobj, bool required,
                          int64_t min, int64_t max, int64_t *v) {
    int64_t x = *v;
    NB_TRY(read_attr_int(r, loc, name, gobj, required, false, &x));
    if (x < min || x > max) {
        char obj[160];
        snprintf(obj, sizeof obj, "%s %s", gobj, name);
        return RAISE(NB_E_FORMAT, r->path, obj, "%lld, expected %lld..%lld", (long long)x,
                     (long long)min, (long long)max);
    }
    *v = x;
    return NB_OK;
}

/* Float attribute (float or integer dtype); NaN allowed, infinity not. */
static nb_status read_f64(reader *r, hid_t loc, const char *name, const char *gobj, bool required,
                          double *v) {
    char obj[160];
    snprintf(obj, sizeof obj, "%s %s", gobj, name);
    hid_t a = H5I_INVALID_HID;
    NB_TRY(open_attr(r, loc, name, obj, required, 0, &a));
    if (a < 0)
        return NB_OK;
    hid_t t = H5Aget_type(a);
    nb_status st = NB_OK;
    double x = 0;
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (c != H5T_FLOAT && c != H5T_INTEGER) {
        char found[64] = "?";
        if (t >= 0)
            describe_type(t, found, sizeof found);
        st = RAISE(NB_E_FORMAT, r->path, obj, "dtype %s, expected a number", found);
    } else if (H5Aread(a, H5T_NATIVE_DOUBLE, &x) < 0) {
        st = RAISE(NB_E_FORMAT, r->path, obj, "cannot read: %s", h5_msg(r->h5err));
    } else if (isinf(x)) {
        st = RAISE(NB_E_NUMERIC, r->path, obj, "infinite value");
    }
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    if (st == NB_OK)
        *v = x;
    return st;
}

/* String attribute(s), fixed or variable length: n == 0 reads a scalar into out[0], else a
 * 1-D array of n. Each string is malloc'd (caller frees); longer than max_len bytes fails.
 * Absent + !required: out untouched, *found = false. */
static nb_status read_strings(reader *r, hid_t loc, const char *name, const char *gobj,
                              bool required, size_t n, size_t max_len, char **out, bool *found) {
    char obj[160];
    snprintf(obj, sizeof obj, "%s %s", gobj, name);
    *found = false;
    hid_t a = H5I_INVALID_HID;
    NB_TRY(open_attr(r, loc, name, obj, required, n, &a));
    if (a < 0)
        return NB_OK;
    size_t count = n ? n : 1;
    hid_t ft = H5Aget_type(a);
    hid_t mt = H5I_INVALID_HID;
    nb_status st = NB_OK;
    char *buf = NULL;
    char **ptrs = NULL;
    size_t done = 0;
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING) {
        char found_t[64] = "?";
        if (ft >= 0)
            describe_type(ft, found_t, sizeof found_t);
        st = RAISE(NB_E_FORMAT, r->path, obj, "dtype %s, expected a string", found_t);
        goto out;
    }
    mt = H5Tcopy(H5T_C_S1);
    /* HDF5 converts no strings between character sets: read in the file's own */
    if (mt < 0 || H5Tset_cset(mt, H5Tget_cset(ft)) < 0) {
        st = RAISE(NB_E_FORMAT, r->path, obj, "cannot read: %s", h5_msg(r->h5err));
        goto out;
    }
    if (H5Tis_variable_str(ft) > 0) {
        ptrs = calloc(count, sizeof *ptrs);
        if (!ptrs) {
            st = RAISE(NB_E_NOMEM, r->path, obj, "cannot allocate");
            goto out;
        }
        if (H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Aread(a, mt, ptrs) < 0) {
            free(ptrs);
            ptrs = NULL;
            st = RAISE(NB_E_FORMAT, r->path, obj, "cannot read: %s", h5_msg(r->h5err));
            goto out;
        }
        for (; done < count; done++) {
            const char *s = ptrs[done] ? ptrs[done] : "";
            size_t len = strlen(s);
            if (len > max_len) {
                st = RAISE(NB_E_FORMAT, r->path, obj, "string %zu has %zu bytes, at most %zu", done,
                           len, max_len);
                break;
            }
            out[done] = malloc(len + 1);
            if (!out[done]) {
                st = RAISE(NB_E_NOMEM, r->path, obj, "cannot allocate");
                break;
            }
            memcpy(out[done], s, len + 1);
        }
        hid_t space = H5Aget_space(a);
        H5Dvlen_reclaim(mt, space, H5P_DEFAULT, ptrs);
        H5Sclose(space);
        free(ptrs);
    } else {
        size_t size = H5Tget_size(ft);
        if (size == 0 || size > max_len + 1) {
            st = RAISE(NB_E_FORMAT, r->path, obj, "fixed-length string of %zu bytes, at most %zu",
                       size, max_len);
            goto out;
        }
        if (H5Tset_size(mt, size + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0) {
            st = RAISE(NB_E_FORMAT, r->path, obj, "cannot read: %s", h5_msg(r->h5err));
            goto out;
        }
        buf = calloc(count, size + 1);
        if (!buf) {
            st = RAISE(NB_E_NOMEM, r->path, obj, "cannot allocate");
            goto out;
        }
        if (H5Aread(a, mt, buf) < 0) {
            st = RAISE(NB_E_FORMAT, r->path, obj, "cannot read: %s", h5_msg(r->h5err));
            goto out;
        }
        for (; done < count; done++) {
            const char *s = buf + done * (size + 1);
            size_t len = strnlen(s, size);
            out[done] = malloc(len + 1);
            if (!out[done]) {
                st = RAISE(NB_E_NOMEM, r->path, obj, "cannot allocate");
                break;
            }
            memcpy(out[done], s, len);
            out[done][len] = '\0';
        }
    }
out:
    if (st != NB_OK)
        for (size_t i = 0; i < done; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    else
        *found = true;
    free(buf);
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    H5Aclose(a);
    return st;
}

/* A scalar string attribute into a fixed buffer (cap bytes with the NUL). */
static nb_status read_string_buf(reader *r, hid_t loc, const char *name, const char *gobj,
                                 bool required, char *dst, size_t cap) {
    char *s = NULL;
    bool found;
    NB_TRY(read_strings(r, loc, name, gobj, required, 0, cap - 1, &s, &found));
    if (found) {
        memcpy(dst, s, strlen(s) + 1);
        free(s);
    }
    return NB_OK;
}

/* ---- groups ---- */

static nb_status read_root(reader *r, hid_t file) {
    char format[64] = "";
    nb_status st = read_string_buf(r, file, "format", "/", true, format, sizeof format);
    if (st == NB_E_MISSING)
        return RAISE(NB_E_FORMAT, r->path, "/ format",
                     "not an nnbundle file (no \"format\" attribute)");
    NB_TRY(st);
    if (strcmp(format, "nnbundle") != 0)
        return RAISE(NB_E_FORMAT, r->path, "/ format", "format \"%s\", expected \"nnbundle\"",
                     format);
    int64_t version = 0;
    NB_TRY(read_i64(r, file, "format_version", "/", true, 1, INT64_MAX, &version));
    if (version > NB_FORMAT_VERSION)
        return RAISE(NB_E_FORMAT, r->path, "/ format_version",
                     "version %lld is newer than this nnbundle reads (%d)", (long long)version,
                     NB_FORMAT_VERSION);
    return NB_OK;
}

static nb_status read_network(reader *r, hid_t file, nb_network *net) {
    hid_t g = H5I_INVALID_HID;
    NB_TRY(open_group(r, file, "network", "/network", &g));
    const char *ls_obj = "/network/layer_sizes";
    hid_t d = H5I_INVALID_HID;
    hsize_t dims[1];
    nb_status st = open_dset(r, g, "layer_sizes", ls_obj, K_I32, 1, dims, &d);
    if (st != NB_OK) {
        H5Gclose(g);
        return st;
    }
    size_t L = (size_t)dims[0];
    if (L < 2 || L > NB_H5_MAX_LAYERS) {
        H5Dclose(d);
        H5Gclose(g);
        return RAISE(NB_E_FORMAT, r->path, ls_obj, "%zu layers, expected 2..%d", L,
                     NB_H5_MAX_LAYERS);
    }
    int32_t raw[NB_H5_MAX_LAYERS];
    size_t sizes[NB_H5_MAX_LAYERS];
    st = read_dset_data(r, d, ls_obj, K_I32, L, raw);
    H5Dclose(d);
    for (size_t l = 0; st == NB_OK && l < L; l++) {
        if (raw[l] < 1)
            st = RAISE(NB_E_FORMAT, r->path, ls_obj, "layer %zu has %d nodes, expected >= 1", l,
                       (int)raw[l]);
        sizes[l] = (size_t)(raw[l] > 0 ? raw[l] : 0);
    }
    if (st == NB_OK)
        st = check_network_shape(sizes, L, r->path);
    if (st == NB_OK)
        st = nb_network_init(net, L, sizes);
    for (size_t l = 0; st == NB_OK && l + 1 < L; l++) {
        char name[64], obj[128];
        snprintf(name, sizeof name, "dense_%zu", l);
        snprintf(obj, sizeof obj, "/network/%s", name);
        hid_t dg = H5I_INVALID_HID;
        st = open_group(r, g, name, obj, &dg);
        if (st != NB_OK)
            break;
        hsize_t wd[2] = {sizes[l + 1], sizes[l]};
        snprintf(obj, sizeof obj, "/network/%s/weight", name);
        st = read_fixed(r, dg, "weight", obj, K_F32, 2, wd, nb_network_weight(net, l));
        if (st == NB_OK) {
            snprintf(obj, sizeof obj, "/network/%s/bias", name);
            st = read_fixed(r, dg, "bias", obj, K_F32, 1, wd, nb_network_bias(net, l));
        }
        H5Gclose(dg);
    }
    const char *o = "/network";
    if (st == NB_OK) {
        int64_t C = (int64_t)net->n_classes;
        st = read_i64(r, g, "n_classes", o, false, 0, INT64_MAX, &C);
        if (st == NB_OK && (size_t)C != net->n_classes)
            st = RAISE(NB_E_FORMAT, r->path, "/network n_classes",
                       "%lld classes, but the output layer has %zu nodes", (long long)C,
                       net->n_classes);
    }
    if (st == NB_OK) {
        char **names = calloc(net->n_classes, sizeof *names);
        bool found = false;
        if (!names)
            st = RAISE(NB_E_NOMEM, r->path, "/network class_names", "cannot allocate");
        else
            st = read_strings(r, g, "class_names", o, false, net->n_classes, NB_NAME_MAX - 1, names,
                              &found);
        if (st == NB_OK && found)
            for (size_t c = 0; c < net->n_classes; c++) {
                free(net->class_names[c]);
                net->class_names[c] = names[c];
            }
        free(names);
    }
    if (st == NB_OK)
        st = read_string_buf(r, g, "activation", o, false, net->activation, sizeof net->activation);
    if (st == NB_OK)
        st = read_string_buf(r, g, "source", o, false, net->source, sizeof net->source);
    if (st == NB_OK)
        st = read_string_buf(r, g, "dataset", o, false, net->dataset, sizeof net->dataset);
    int64_t epochs = 0;
    if (st == NB_OK)
        st = read_i64(r, g, "epochs", o, false, 0, INT32_MAX, &epochs);
    net->epochs = (int)epochs;
    if (st == NB_OK)
        st = read_attr_int(r, g, "seed", o, false, true, &net->seed);
    if (st == NB_OK)
        st = read_f64(r, g, "l1", o, false, &net->l1);
    if (st == NB_OK)
        st = read_f64(r, g, "train_accuracy", o, false, &net->train_accuracy);
    if (st == NB_OK)
        st = read_f64(r, g, "test_accuracy", o, false, &net->test_accuracy);
    H5Gclose(g);
    return st;
}

static nb_status read_importance(reader *r, hid_t file, const nb_network *net, nb_importance *imp) {
    hid_t g = H5I_INVALID_HID;
    NB_TRY(open_group(r, file, "importance", "/importance", &g));
    const char *o = "/importance";
    int64_t top_k = 0;
    nb_status st = read_i64(r, g, "top_k", o, false, 0, NB_H5_MAX_TOP_K, &top_k);
    size_t L = net->n_layers, C = net->n_classes;
    if (st == NB_OK) {
        size_t hidden = 0;
        for (size_t l = 1; l + 1 < L; l++)
            hidden += net->layer_size[l];
        if ((size_t)top_k > 0 && hidden > NB_H5_MAX_ELEMENTS / (size_t)top_k)
            st = RAISE(NB_E_FORMAT, r->path, "/importance top_k",
                       "top_k %lld over %zu hidden nodes is too large", (long long)top_k, hidden);
    }
    if (st == NB_OK)
        st = nb_importance_init(imp, L, net->layer_size, (size_t)top_k);
    for (size_t l = 0; st == NB_OK && l < L; l++) {
        char name[64], obj[128];
        snprintf(name, sizeof name, "node_%zu", l);
        snprintf(obj, sizeof obj, "/importance/%s", name);
        hsize_t dn[2] = {net->layer_size[l], C};
        st = read_fixed(r, g, name, obj, K_F32, 2, dn, nb_importance_node(imp, l));
        if (st == NB_OK && l + 1 < L) {
            snprintf(name, sizeof name, "edge_%zu", l);
            snprintf(obj, sizeof obj, "/importance/%s", name);
            hsize_t de[2] = {net->layer_size[l + 1], net->layer_size[l]};
            st = read_fixed(r, g, name, obj, K_F32, 2, de, nb_importance_edge(imp, l));
        }
        int32_t *top = nb_importance_top(imp, l);
        if (st == NB_OK && top) {
            snprintf(name, sizeof name, "top_%zu", l);
            snprintf(obj, sizeof obj, "/importance/%s", name);
            hsize_t dt[2] = {net->layer_size[l], (hsize_t)top_k};
            st = read_fixed(r, g, name, obj, K_I32, 2, dt, top);
        }
    }
    if (st == NB_OK && H5Lexists(g, "finetune_accuracy", H5P_DEFAULT) > 0) {
        hsize_t dc = C;
        st = read_fixed(r, g, "finetune_accuracy", "/importance/finetune_accuracy", K_F64, 1, &dc,
                        imp->finetune_accuracy);
    }
    if (st == NB_OK)
        st = read_string_buf(r, g, "method", o, false, imp->method, sizeof imp->method);
    if (st == NB_OK)
        st = read_string_buf(r, g, "flags", o, false, imp->flags, sizeof imp->flags);
    int64_t epochs = 0;
    if (st == NB_OK)
        st = read_i64(r, g, "epochs", o, false, 0, INT32_MAX, &epochs);
    imp->epochs = (int)epochs;
    if (st == NB_OK)
        st = read_attr_int(r, g, "seed", o, false, true, &imp->seed);
    H5Gclose(g);
    return st;
}

/* Opens a 1-D or 2-D bundle dataset whose first dimension the file declares. */
static nb_status open_counted(reader *r, hid_t g, const char *name, const char *obj, dkind kind,
                              int rank, hsize_t max_first, hsize_t *dims, hid_t *d) {
    NB_TRY(open_dset(r, g, name, obj, kind, rank, dims, d));
    if (dims[0] > max_first || (rank == 2 && dims[1] != 3)) {
        char got[96];
        dims_text(dims, rank, got, sizeof got);
        H5Dclose(*d);
        *d = H5I_INVALID_HID;
        return RAISE(NB_E_FORMAT, r->path, obj, "shape %s, expected at most %llu%s", got,
                     (unsigned long long)max_first, rank == 2 ? "x3" : " entries");
    }
    return NB_OK;
}

static nb_status read_bundle(reader *r, hid_t file, const nb_network *net, nb_bundle_data *b) {
    hid_t g = H5I_INVALID_HID;
    NB_TRY(open_group(r, file, "bundle", "/bundle", &g));
    size_t L = net->n_layers, N = nb_network_n_nodes(net), E_net = nb_network_n_edges(net);
    hid_t d_src = H5I_INVALID_HID, d_pts = H5I_INVALID_HID;
    hsize_t de[1], dp[2];
    nb_status st =
        open_counted(r, g, "edge_source", "/bundle/edge_source", K_U32, 1, E_net, de, &d_src);
    if (st == NB_OK)
        st = open_counted(r, g, "point_position", "/bundle/point_position", K_F32, 2,
                          NB_H5_MAX_POINTS, dp, &d_pts);
    size_t E = (size_t)de[0], S = (size_t)dp[0];
    if (st == NB_OK)
        st = nb_bundle_data_init(b, L, N, E, S);
    if (st == NB_OK)
        st = read_dset_data(r, d_src, "/bundle/edge_source", K_U32, E, b->edge_source);
    if (st == NB_OK)
        st = read_dset_data(r, d_pts, "/bundle/point_position", K_F32, (hsize_t)S * 3,
                            b->point_position);
    if (d_src >= 0)
        H5Dclose(d_src);
    if (d_pts >= 0)
        H5Dclose(d_pts);
    hsize_t dn[2] = {N, 3}, dl = L + 1, deo = (hsize_t)E + 1;
    if (st == NB_OK)
        st = read_fixed(r, g, "node_position", "/bundle/node_position", K_F32, 2, dn,
                        b->node_position);
    if (st == NB_OK)
        st = read_fixed(r, g, "layer_offset", "/bundle/layer_offset", K_I64, 1, &dl,
                        b->layer_offset);
    if (st == NB_OK)
        st = read_fixed(r, g, "edge_target", "/bundle/edge_target", K_U32, 1, de, b->edge_target);
    if (st == NB_OK)
        st = read_fixed(r, g, "edge_point_offset", "/bundle/edge_point_offset", K_U64, 1, &deo,
                        b->edge_point_offset);
    if (st == NB_OK)
        st = read_fixed(r, g, "edge_alpha", "/bundle/edge_alpha", K_F32, 1, de, b->edge_alpha);
    const char *o = "/bundle";
    if (st == NB_OK) {
        char *json = NULL;
        bool found = false;
        st = read_strings(r, g, "config_json", o, false, 0, NB_H5_MAX_CONFIG_JSON, &json, &found);
        if (found)
            b->config_json = json;
    }
    int64_t it = 0;
    if (st == NB_OK)
        st = read_i64(r, g, "node_iterations", o, false, 0, INT32_MAX, &it);
    b->node_iterations = (int)it;
    it = 0;
    if (st == NB_OK)
        st = read_i64(r, g, "edge_iterations", o, false, 0, INT32_MAX, &it);
    b->edge_iterations = (int)it;
    uint64_t total = E;
    if (st == NB_OK)
        st = read_attr_int(r, g, "n_edges_total", o, false, true, &total);
    b->n_edges_total = (size_t)total;
    for (size_t i = 0; st == NB_OK && i < N_BUNDLE_F64; i++)
        st = read_f64(r, g, bundle_f64_attrs[i].name, o, false,
                      (double *)(void *)((char *)b + bundle_f64_attrs[i].offset));
    H5Gclose(g);
    return st;
}

/* Opens path read-only, telling "missing", "not HDF5" and "corrupt" apart. */
static nb_status open_file(reader *r, hid_t *file) {
    if (access(r->path, R_OK) != 0)
        return RAISE(NB_E_IO, r->path, NULL, "cannot open: %s", strerror(errno));
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        return RAISE(NB_E_IO, r->path, NULL, "cannot set up file access: %s", h5_msg(r->h5err));
    }
    *file = H5Fopen(r->path, H5F_ACC_RDONLY, fapl);
    /* every HDF5 API call clears the error stack: take the message before H5Pclose */
    char msg[256];
    snprintf(msg, sizeof msg, "%s", *file >= 0 ? "" : h5_msg(r->h5err));
    H5Pclose(fapl);
    if (*file >= 0)
        return NB_OK;
    htri_t is_h5 = H5Fis_hdf5(r->path);
    H5Eclear2(H5E_DEFAULT);
    if (is_h5 > 0)
        return RAISE(NB_E_FORMAT, r->path, NULL, "corrupt or truncated HDF5 file: %s", msg);
    return RAISE(NB_E_IO, r->path, NULL, "not an HDF5 file (%s)", msg);
}

static nb_status load_model(reader *r, nb_model *m) {
    hid_t file = H5I_INVALID_HID;
    NB_TRY(open_file(r, &file));
    nb_status st = read_root(r, file);
    if (st == NB_OK)
        st = read_network(r, file, &m->network);
    if (st == NB_OK)
        m->has_network = true;
    if (st == NB_OK && H5Lexists(file, "importance", H5P_DEFAULT) > 0) {
        st = read_importance(r, file, &m->network, &m->importance);
        m->has_importance = true; /* so that deinit frees what was read */
    }
    if (st == NB_OK && H5Lexists(file, "bundle", H5P_DEFAULT) > 0) {
        st = read_bundle(r, file, &m->network, &m->bundle);
        m->has_bundle = true;
    }
    if (H5Fclose(file) < 0 && st == NB_OK)
        st = RAISE(NB_E_IO, r->path, NULL, "cannot close: %s", h5_msg(r->h5err));
    if (st == NB_OK)
        st = nb_model_validate(m, r->path);
    return st;
}

nb_status nb_h5_load(const char *path, nb_model *m) {
    if (!m)
        return RAISE(NB_E_INVALID, path, NULL, "no model to load into");
    memset(m, 0, sizeof *m);
    if (!path)
        return RAISE(NB_E_INVALID, "(null)", NULL, "no path");
    h5_quiet q;
    quiet_begin(&q);
    reader r = {.path = path};
    nb_status st = load_model(&r, m);
    quiet_end(&q);
    if (st != NB_OK)
        nb_model_deinit(m);
    return st;
}
