/* nb_h5_schema.h - the .nnb.h5 schema as data: every group, dataset and attribute, once.
 *
 * The writer (nb_h5_save), the reader (nb_h5_load) and the validator (nb_model_validate) all
 * walk the tables of nb_h5_schema.c; no other code names a dataset or an attribute of the
 * file. A row says what the file holds (name, dtype, rank, shape in the network's counts,
 * required or optional), where it lives in memory (offsetof into the group's struct of
 * nb_model.h) and the rule its values obey. docs/file_format.md describes the same layout
 * for people, with units.
 *
 * Shapes are written in the counts of nb_h5_dims: L layers of n_l nodes, C classes, N nodes
 * in all, top_k, and the two counts a file declares itself, E edges and S points of /bundle.
 * A repeated dataset (one per layer, per layer pair or per hidden layer) is named by a prefix
 * and its index ("node_" gives node_0, node_1, ...) and may live in a subgroup of its own per
 * index ("dense_" gives /network/dense_0/weight); in memory, instance l starts at the group's
 * array plus entry l of the group's offset table (weights + weight_offset[l]). Consecutive
 * repeated rows are written and read index by index (dense_0/weight, dense_0/bias, dense_1/
 * weight, ...), the other rows in table order; consecutive rows with a subgroup share it.
 *
 * Adding a dataset to a group: a field in the group's struct (nb_model.h) and its allocation
 * in the group's init (nb_model.c); one row in the group's dataset table in nb_h5_schema.c,
 * with its shape and its rule (a new rule is one nb_h5_rule function there); one line in
 * docs/file_format.md. Mark it NB_H5_OPTIONAL when files written before it must still load
 * (the init's value then stands). An attribute likewise: a field, one row in the group's
 * attribute table, one line of docs.
 * Adding a group (a new layer kind's parameters, say): its struct with init and deinit
 * (nb_model.h/.c) and a member plus a has_ flag in nb_model; its two tables; a count hook if
 * it holds counts of its own (like /bundle's E and S), a match hook if its shape must equal
 * the network's; one row in nb_h5_groups[] (the network stays first: every shape depends on
 * it). Raise NB_FORMAT_VERSION only for a change an older reader would misread; an optional
 * dataset, attribute or group does not need it.
 */
#ifndef NB_H5_SCHEMA_H
#define NB_H5_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_model.h"
#include "nb_status.h"

/* A dtype as the file stores it (little-endian). Reading accepts either byte order; integer
 * attributes any integer dtype, float attributes any float or integer dtype, strings fixed
 * or variable length. */
typedef enum nb_h5_dtype {
    NB_H5_F32,
    NB_H5_F64,
    NB_H5_I32,
    NB_H5_I64,
    NB_H5_U32,
    NB_H5_U64,
    NB_H5_STRING, /* attributes only: fixed-length, NUL-terminated UTF-8 */
} nb_h5_dtype;

/* The counts shapes are written in, from the network (and, for top_k, E, S, their groups). */
typedef struct nb_h5_dims {
    size_t L;        /* layers */
    const size_t *n; /* [L] nodes per layer */
    size_t C;        /* classes = n[L-1] */
    size_t N;        /* nodes, sum of n_l */
    size_t weights;  /* sum of n_l * n_{l+1}: also the most edges a bundle can keep */
    size_t hidden;   /* nodes of the hidden layers 1..L-2 */
    size_t top_k;    /* /importance top_k */
    size_t E;        /* /bundle edges (declared by edge_source) */
    size_t S;        /* /bundle points (declared by point_position) */
} nb_h5_dims;

/* One dimension of a shape; LAYER and NEXT are those of the instance's layer l. */
typedef enum nb_h5_dim {
    NB_H5_DIM_L,     /* L */
    NB_H5_DIM_L1,    /* L + 1 */
    NB_H5_DIM_LAYER, /* n_l */
    NB_H5_DIM_NEXT,  /* n_{l+1} */
    NB_H5_DIM_C,
    NB_H5_DIM_TOP_K,
    NB_H5_DIM_N,
    NB_H5_DIM_E,
    NB_H5_DIM_E1, /* E + 1 */
    NB_H5_DIM_S,
    NB_H5_DIM_3, /* x, y, z */
} nb_h5_dim;

/* Which instances of a dataset exist. */
typedef enum nb_h5_each {
    NB_H5_ONCE,        /* one, named `name` */
    NB_H5_EACH_LAYER,  /* l = 0..L-1 */
    NB_H5_EACH_PAIR,   /* l = 0..L-2, layer pair l -> l+1 */
    NB_H5_EACH_HIDDEN, /* l = 1..L-2, and only when top_k > 0 */
} nb_h5_each;

enum {
    /* May be absent from a file; the group init's value stands. */
    NB_H5_OPTIONAL = 1 << 0,
    /* Declares a count: a dataset's first dimension (E, S) is taken from the file, bounded
     * before anything is allocated; an attribute's value (top_k) likewise. */
    NB_H5_DECLARES = 1 << 1,
    /* /network/layer_sizes: int32 in the file, size_t in memory; declares L and every n_l. */
    NB_H5_SIZES = 1 << 2,
    /* An attribute written from memory and, on reading, checked by its rule but not stored
     * (n_classes: it must agree with layer_sizes). */
    NB_H5_DERIVED = 1 << 3,
};

/* What a rule checks: one dataset instance or one attribute, in memory. */
typedef struct nb_h5_values {
    const void *data;       /* the instance's first element, or the attribute's field */
    size_t n;               /* elements (1 for a scalar attribute, C for class_names) */
    size_t cols;            /* row length of a rank-2 dataset, else 0 */
    const void *group;      /* the group's struct, for rules across datasets */
    const nb_h5_dims *dims; /* the counts */
} nb_h5_values;

/* A rule on values: NB_OK, or a raised status (NB_E_FORMAT, NB_E_NUMERIC) with subject
 * `subject` ("<path> /group/dataset" or "<path> /group attribute"). */
typedef nb_status (*nb_h5_rule)(const nb_h5_values *v, const char *subject);

typedef struct nb_h5_dataset {
    const char *name;     /* the name, or the prefix of a repeated dataset's names */
    const char *subgroup; /* NULL, or the prefix of a per-instance subgroup's names */
    nb_h5_each each;
    nb_h5_dtype dtype; /* NB_H5_F32 .. NB_H5_U64 (same C type in memory: float, int64_t, ...) */
    int rank;          /* 1 or 2 */
    nb_h5_dim shape[2];
    size_t data;     /* offsetof the array pointer in the group's struct */
    size_t index;    /* repeated datasets: offsetof the size_t offset table (in elements) */
    unsigned flags;  /* NB_H5_OPTIONAL, NB_H5_DECLARES, NB_H5_SIZES */
    nb_h5_rule rule; /* NULL: dtype and shape only */
} nb_h5_dataset;

/* How an attribute is stored in memory. */
typedef enum nb_h5_ctype {
    NB_H5_C_INT,    /* int */
    NB_H5_C_SIZE,   /* size_t */
    NB_H5_C_U64,    /* uint64_t */
    NB_H5_C_DOUBLE, /* double; the file never holds an infinity (NaN = unknown) */
    NB_H5_C_CHARS,  /* char[size], NUL-terminated */
    NB_H5_C_TEXT,   /* char *, malloc'd; NULL is not written */
    NB_H5_C_NAMES,  /* char *[C], one string per class */
} nb_h5_ctype;

typedef struct nb_h5_attr {
    const char *name;
    nb_h5_dtype dtype; /* as written: NB_H5_I64, NB_H5_U64, NB_H5_F64 or NB_H5_STRING */
    nb_h5_ctype ctype;
    size_t field;     /* offsetof in the group's struct */
    size_t size;      /* CHARS: buffer bytes; TEXT, NAMES: longest string accepted, bytes */
    int64_t min, max; /* NB_H5_I64: the range accepted on reading and validating */
    unsigned flags;   /* NB_H5_DECLARES, NB_H5_DERIVED */
    nb_h5_rule rule;  /* NULL: type (and range) only */
} nb_h5_attr;

typedef struct nb_h5_group {
    const char *name; /* "network" for /network */
    size_t member;    /* offsetof the group's struct in nb_model */
    size_t present;   /* offsetof its bool has_ flag in nb_model */
    bool required;    /* a file without it is NB_E_MISSING */
    const nb_h5_dataset *datasets;
    size_t n_datasets;
    const nb_h5_attr *attrs;
    size_t n_attrs;
    /* The counts the group holds in memory (network: L and n; importance: top_k; bundle: E
     * and S) into k. */
    void (*count)(const void *grp, nb_h5_dims *k);
    /* Checks that the group's own record of the network's shape equals k's (NB_E_MISMATCH
     * naming the group); NULL for the network itself. */
    nb_status (*match)(const void *grp, const nb_h5_dims *k, const char *path);
    /* Allocates the group for reading a file with counts k (defaults in place). */
    nb_status (*init)(void *grp, const nb_h5_dims *k);
} nb_h5_group;

/* The groups, in the order they are written, read and validated: /network first. */
extern const nb_h5_group nb_h5_groups[];
extern const size_t nb_h5_n_groups;

/* ---- /network/ops: the operator chain (docs/file_format.md, format_version 2) ---------
 *
 * A network with operators (nb_network.n_ops > 0) adds the group /network/ops, with the
 * attributes in_c, in_h, in_w (the input shape) and n_ops, and one subgroup per operator
 * named by its index in three or more digits (/network/ops/000, /network/ops/001, ...). An
 * operator's subgroup has the string attribute `kind` (nb_op_kind_name), the attributes of
 * nb_h5_op_attrs whose kinds include it (every one required) and the datasets of
 * nb_h5_op_datasets whose kinds include it. The names are those of nb_op's fields. */

#define NB_H5_OPS_NAME     "ops"
#define NB_H5_OP_KIND      "kind"
#define NB_H5_OPS_COUNT    "n_ops"
#define NB_H5_MAX_OPS      1024
#define NB_H5_OP_BIT(kind) (1u << (kind))

/* How an operator attribute is held in nb_op and written: size_t and bool as int64, float
 * as float64. */
typedef enum nb_h5_op_ctype {
    NB_H5_OP_SIZE,
    NB_H5_OP_BOOL,
    NB_H5_OP_FLOAT,
} nb_h5_op_ctype;

typedef struct nb_h5_op_attr {
    const char *name;
    nb_h5_op_ctype ctype;
    size_t field;     /* offsetof in nb_op */
    unsigned kinds;   /* NB_H5_OP_BIT of every kind that has it */
    int64_t min, max; /* size and bool attributes: the range accepted */
} nb_h5_op_attr;

/* Which count a dataset's shape follows. */
typedef enum nb_h5_op_count {
    NB_H5_OP_WEIGHTS,  /* DENSE [out_c][in_c*in_h*in_w], CONV2D [out_c][in_c][kernel_h][kernel_w] */
    NB_H5_OP_BIASES,   /* [out_c] */
    NB_H5_OP_CHANNELS, /* BATCHNORM [in_c] */
} nb_h5_op_count;

typedef struct nb_h5_op_dataset {
    const char *name;
    size_t field;   /* offsetof the float * in nb_op */
    unsigned kinds; /* NB_H5_OP_BIT of every kind that has it */
    nb_h5_op_count count;
    bool optional;         /* absent: NULL in memory (a bias of zeros) */
    bool positive_or_zero; /* values must be >= 0 (running variance) */
} nb_h5_op_dataset;

extern const nb_h5_op_attr nb_h5_op_attrs[];
extern const size_t nb_h5_n_op_attrs;
extern const nb_h5_op_dataset nb_h5_op_datasets[];
extern const size_t nb_h5_n_op_datasets;

/* The HDF5 shape of dataset ds of operator op (recorded shapes): its rank (1, 2 or 4) and
 * dims[rank]; 0 when ds does not belong to op's kind. */
int nb_h5_op_shape(const nb_h5_op_dataset *ds, const nb_op *op, size_t dims[4]);

/* Checks operator k's kind, hyper-parameters and recorded shapes, without its arrays: its
 * input shape equals in_c/in_h/in_w (the previous operator's output, or the network's
 * input); every dimension 1..NB_H5_MAX_LAYER_SIZE and at most NB_H5_MAX_ELEMENTS values per
 * tensor and per weight array; the output shape follows from the input as nb_graph.h and
 * docs/models.md say (convolution and pooling: floor((in + pad_before + pad_after -
 * dilation * (kernel - 1) - 1) / stride) + 1, pooling without dilation and with padding
 * smaller than its window); kernel, stride, dilation >= 1; eps finite and > 0; alpha finite;
 * SOFTMAX only as the last operator (`last`). NB_OK, NB_E_FORMAT (a bad shape or kind) or
 * NB_E_NUMERIC, with subject `subject` ("<path> /network/ops/003"). */
nb_status nb_h5_op_check(const nb_op *op, size_t in_c, size_t in_h, size_t in_w, bool last,
                         const char *subject);

/* Checks a network's operator chain (no-op when n_ops == 0): every operator passes
 * nb_h5_op_check; every array of its kind is present (a bias may be NULL), finite, running
 * variances >= 0; at least one DENSE or CONV2D; the node layers of the chain (nb_graph.h:
 * the input, flat when the first node operator is a DENSE with no pooling before it, else
 * its channels; then the out_c of every DENSE and CONV2D) equal the graph view's
 * layer_size; the chain ends in the C class scores (C x 1 x 1).
 * NB_OK, NB_E_FORMAT, NB_E_NUMERIC, NB_E_MISMATCH (the graph view), subjects
 * "<path> /network/ops/003[/dataset]" (path NULL: "model"). */
nb_status nb_h5_ops_validate(const nb_network *net, const char *path);

/* The root group's attributes: format = "nnbundle" identifies the file (required),
 * format_version = NB_FORMAT_VERSION (required; newer is refused), software_version =
 * the writer's NB_VERSION (informative, not read). */
typedef struct nb_h5_root_attr {
    const char *name;
    nb_h5_dtype dtype; /* NB_H5_STRING or NB_H5_I64 */
    const char *text;  /* the string written */
    int64_t value;     /* the integer written */
} nb_h5_root_attr;

enum { NB_H5_ROOT_FORMAT, NB_H5_ROOT_VERSION, NB_H5_ROOT_SOFTWARE, NB_H5_N_ROOT };
extern const nb_h5_root_attr nb_h5_root[NB_H5_N_ROOT];

/* Fills the network counts of k (L, n, C, N, weights, hidden) from layer sizes that passed
 * the layer_sizes rule. */
void nb_h5_dims_of_network(nb_h5_dims *k, size_t n_layers, const size_t *layer_size);

/* Rules shared by many rows (float32 values). */
nb_status nb_h5_rule_finite(const nb_h5_values *v, const char *subject); /* no NaN, no inf */
nb_status nb_h5_rule_unit(const nb_h5_values *v, const char *subject);   /* finite, [0, 1] */

#endif /* NB_H5_SCHEMA_H */
