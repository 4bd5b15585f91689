/* nb_model.h - the in-memory form of the three groups of a .nnb.h5 file.
 *
 * nb_network    <-> /network     layer sizes, dense weights and biases, provenance
 * nb_importance <-> /importance  per-class node importance, edge alpha, top-activating inputs
 * nb_bundle_data <-> /bundle      node positions, edges as polylines (CSR), metrics
 * All arrays are flat, contiguous, row-major, owned by the struct (freed by *_deinit).
 * Layer pair l connects layer l (n_l nodes, "in") to layer l+1 (n_{l+1} nodes, "out").
 * Global node id of node i of layer l = sum_{k<l} n_k + i (layer-major order).
 * Schema with units: docs/file_format.md. Source: method.md §1.
 */
#ifndef NB_MODEL_H
#define NB_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_status.h"

#define NB_NAME_MAX 256

/* ---- /network ---- */

/* The operators of a network's forward pass (docs/models.md). A network is a chain of
 * operators applied in order to an input tensor float32[in_c][in_h][in_w] (CHW, one image);
 * a dense MLP on flat vectors has in_h = in_w = 1. Every operator maps one tensor to one
 * tensor; each records its input and output shapes (filled by nb_graph_infer_shapes). */
typedef enum nb_op_kind {
    NB_OP_DENSE = 0,      /* y[o] = sum_i W[o][i] x[i] + b[o]; input flattened CHW */
    NB_OP_CONV2D,         /* 2-D cross-correlation (PyTorch Conv2d, groups = 1) */
    NB_OP_MAXPOOL,        /* max over kernel windows, padding never wins */
    NB_OP_AVGPOOL,        /* mean over kernel windows (count_include_pad as stored) */
    NB_OP_GLOBAL_AVGPOOL, /* [c][h][w] -> [c][1][1] */
    NB_OP_FLATTEN,        /* [c][h][w] -> [c*h*w][1][1], CHW order (identity on data) */
    NB_OP_BATCHNORM,      /* per channel: gamma * (x - mean) / sqrt(var + eps) + beta */
    NB_OP_DROPOUT,        /* identity (inference) */
    NB_OP_RELU,
    NB_OP_LEAKY_RELU, /* x > 0 ? x : alpha * x */
    NB_OP_SIGMOID,
    NB_OP_TANH,
    NB_OP_GELU,    /* exact erf form; gelu_tanh selects the tanh approximation */
    NB_OP_SOFTMAX, /* over all C*H*W values of one input (last operator only) */
    NB_OP_COUNT
} nb_op_kind;

/* One operator. Parameters are owned (malloc'd), float32, PyTorch layout:
 *   DENSE:     weight [out_c][in_c*in_h*in_w], bias [out_c] (bias may be NULL: zero)
 *   CONV2D:    weight [out_c][in_c][kernel_h][kernel_w], bias [out_c] (may be NULL)
 *   BATCHNORM: gamma, beta, mean, var, each [in_c] (= out_c)
 * Every other pointer is NULL. */
typedef struct nb_op {
    nb_op_kind kind;
    size_t in_c, in_h, in_w;    /* input shape */
    size_t out_c, out_h, out_w; /* output shape */
    /* CONV2D, MAXPOOL, AVGPOOL */
    size_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    size_t pad_top, pad_left, pad_bottom, pad_right;
    bool count_include_pad; /* AVGPOOL */
    bool gelu_tanh;         /* GELU */
    float alpha;            /* LEAKY_RELU slope; DROPOUT rate (recorded only) */
    float eps;              /* BATCHNORM */
    float *weight, *bias;
    float *gamma, *beta, *mean, *var;
} nb_op;

/* Canonical lower-case name of a kind ("dense", "conv2d", "maxpool", "avgpool",
 * "global_avgpool", "flatten", "batchnorm", "dropout", "relu", "leaky_relu", "sigmoid",
 * "tanh", "gelu", "softmax"), or NULL for an out-of-range kind. */
const char *nb_op_kind_name(nb_op_kind kind);
/* Inverse of nb_op_kind_name: NB_OK, or NB_E_INVALID naming `name`. */
nb_status nb_op_kind_parse(const char *name, nb_op_kind *kind);
/* Number of float32 values of weight, bias, and of each of gamma/beta/mean/var, from the
 * recorded shapes (0 where the kind has no such array). */
size_t nb_op_weight_count(const nb_op *op);
size_t nb_op_bias_count(const nb_op *op);
size_t nb_op_channel_count(const nb_op *op);        /* BATCHNORM: in_c, else 0 */
void nb_op_deinit(nb_op *op);                       /* frees the arrays, zeroes *op */
nb_status nb_op_copy(nb_op *dst, const nb_op *src); /* deep; NB_OK or NB_E_NOMEM (dst zeroed) */

typedef struct nb_network {
    size_t n_layers;       /* L >= 2 */
    size_t *layer_size;    /* [L], each >= 1 */
    size_t *weight_offset; /* [L]: pair l's weights start at weights + weight_offset[l];
                              weight_offset[L-1] = total weight count */
    size_t *bias_offset;   /* [L]: same for biases */
    float *weights;        /* pair l: float32[n_{l+1}][n_l] (out x in, PyTorch nn.Linear) */
    float *biases;         /* pair l: float32[n_{l+1}] */
    size_t n_classes;      /* = layer_size[L-1] */
    char **class_names;    /* [n_classes] NUL-terminated strings ("0".."C-1" by default) */
    char activation[32];   /* "relu" (hidden layers; output is softmax) */
    /* The operator chain (docs/models.md). n_ops == 0 (ops NULL): the classic dense network,
     * dense + ReLU per pair and the weights above are the forward pass. n_ops > 0: the
     * operators are the forward pass, and layer_size/weights/biases above are the *graph
     * view* derived from them by nb_graph_build (node layers = the input and the output of
     * every DENSE/CONV2D; a convolution's nodes are its channels; edge weights of pairs that
     * involve channels are L1 kernel magnitudes). */
    size_t in_c, in_h, in_w; /* input shape; the classic network: n_0 x 1 x 1 */
    size_t n_ops;
    nb_op *ops; /* [n_ops], owned */
    /* provenance (attributes) */
    char source[32];           /* "train", "random", "import" */
    char dataset[NB_NAME_MAX]; /* data directory or name, "" if none */
    int epochs;
    uint64_t seed;
    double l1;             /* L1 weight penalty used in training */
    double train_accuracy; /* NaN if unknown */
    double test_accuracy;  /* NaN if unknown */
} nb_network;

/* Allocates a zero-weight network with the given layer sizes (L = n_layers >= 2) and class
 * names "0".."C-1", activation "relu", accuracies NaN. Returns NB_OK, NB_E_INVALID (L < 2 or
 * a zero size), NB_E_NOMEM. On failure *net is zeroed. */
nb_status nb_network_init(nb_network *net, size_t n_layers, const size_t *layer_size);
void nb_network_deinit(nb_network *net); /* frees; safe on a zeroed struct */

/* Deep copy. NB_OK or NB_E_NOMEM (dst zeroed). */
nb_status nb_network_copy(nb_network *dst, const nb_network *src);
/* (nb_network_init leaves source, dataset "" and epochs, seed, l1 zero.) */

/* Pointers to pair l's weight matrix float32[n_{l+1}][n_l] and bias float32[n_{l+1}]. */
float *nb_network_weight(const nb_network *net, size_t pair);
float *nb_network_bias(const nb_network *net, size_t pair);

/* Total node count sum_l n_l, and total edge (weight) count sum_l n_l * n_{l+1}. */
size_t nb_network_n_nodes(const nb_network *net);
size_t nb_network_n_edges(const nb_network *net);

/* Sets class name c (copied). NB_OK or NB_E_NOMEM. */
nb_status nb_network_set_class_name(nb_network *net, size_t c, const char *name);

/* ---- /importance ---- */

typedef struct nb_importance {
    size_t n_layers;     /* L, same as the network */
    size_t n_classes;    /* C */
    size_t *layer_size;  /* [L] copy of the network's */
    size_t *node_offset; /* [L+1] offsets into node (in floats) */
    float *node;         /* layer l: float32[n_l][C] normalised importance in [0,1] (§2.5);
                            output layer one-hot */
    size_t *edge_offset; /* [L] offsets into edge (in floats); last = total */
    float *edge;         /* pair l: float32[n_{l+1}][n_l] alpha in [0, 1]: |w| / max |w| of the
                            pair, or the method's class-blind edge score / its pair maximum
                            (docs/importance.md) */
    char method[32];     /* the method that made the values: "activation", "bn-gamma",
                            "magnitude", "taylor", "taylor-mean", "obd", "random" */
    char flags[64];      /* "gamma,l1" etc. ("" for magnitude) */
    int epochs;
    uint64_t seed;
    double *finetune_accuracy; /* [C] test accuracy of each class's fine-tuned 2-unit model,
                                  NaN when not applicable */
    size_t top_k;              /* top-activating test images per hidden node (0 = none stored) */
    size_t *top_offset;        /* [L+1] offsets into top (in int32 values); layer l holds
                                  [n_l][top_k] for hidden layers 1..L-2, nothing otherwise */
    int32_t *top;              /* test-set image indices, -1 where fewer images exist */
} nb_importance;

/* Allocates zeroed importance arrays for a network shape (top_k may be 0); n_classes =
 * layer_size[L-1]. Exceptions to "zeroed": top[] is filled with -1 (no image) and
 * finetune_accuracy[] with NaN (unknown); method and flags are "".
 * NB_OK, NB_E_INVALID, NB_E_NOMEM. On failure *imp is zeroed. */
nb_status nb_importance_init(nb_importance *imp, size_t n_layers, const size_t *layer_size,
                             size_t top_k);
void nb_importance_deinit(nb_importance *imp);

/* Deep copy. NB_OK or NB_E_NOMEM (dst zeroed). */
nb_status nb_importance_copy(nb_importance *dst, const nb_importance *src);

/* Pointers into the flat arrays. */
float *nb_importance_node(const nb_importance *imp, size_t layer);  /* [n_l][C] */
float *nb_importance_edge(const nb_importance *imp, size_t pair);   /* [n_{l+1}][n_l] */
int32_t *nb_importance_top(const nb_importance *imp, size_t layer); /* [n_l][top_k] or NULL */

/* ---- /bundle ---- */

typedef struct nb_bundle_metrics {
    double mean_distortion; /* mean over edges of polyline length / straight length */
    double max_distortion;
    double mean_length_diff; /* MELD, world units */
    double ink_ratio;        /* bundled / straight occupancy (see docs/metrics.md) */
    double ink_ratio_layout; /* bundled / straight between the laid-out (pre-node-phase)
                                node positions; NaN when not measured */
    double max_turn_degrees; /* sharpest turn between consecutive segments of any polyline,
                                degrees in [0, 180]; NaN when not measured */
} nb_bundle_metrics;

typedef struct nb_bundle_data {
    size_t n_layers;
    size_t n_nodes;        /* N */
    float *node_position;  /* float32[N][3], world units */
    int64_t *layer_offset; /* [L+1]: nodes of layer l are [layer_offset[l], layer_offset[l+1]) */
    size_t n_edges;        /* E (after pruning) */
    uint32_t *edge_source; /* [E] global node ids */
    uint32_t *edge_target; /* [E] */
    float *edge_alpha;     /* [E] normalised |w| */
    uint64_t *edge_point_offset; /* [E+1] CSR into point_position; edge e has
                                    edge_point_offset[e+1]-edge_point_offset[e] >= 2 points,
                                    first = source node, last = target node */
    size_t n_points;             /* S = edge_point_offset[E] */
    float *point_position;       /* float32[S][3], world units */
    /* attributes */
    char *config_json; /* resolved processing config (malloc'd), may be NULL */
    int node_iterations;
    int edge_iterations;
    size_t n_edges_total; /* before pruning */
    nb_bundle_metrics metrics;
    double time_layout, time_node_phase, time_edge_phase, time_total; /* seconds */
} nb_bundle_data;

/* Allocates arrays for the given counts (contents zero; counts of 0 are allowed, arrays are
 * still non-NULL). The metrics are set to NaN ("not measured"), config_json to NULL.
 * NB_OK, NB_E_NOMEM. On failure *b is zeroed. */
nb_status nb_bundle_data_init(nb_bundle_data *b, size_t n_layers, size_t n_nodes, size_t n_edges,
                              size_t n_points);
void nb_bundle_data_deinit(nb_bundle_data *b); /* frees config_json too */

/* Deep copy (config_json included). NB_OK or NB_E_NOMEM (dst zeroed). */
nb_status nb_bundle_data_copy(nb_bundle_data *dst, const nb_bundle_data *src);

/* ---- the whole file ---- */

/* A .nnb.h5 file in memory; each group is optional (has_* flags). */
typedef struct nb_model {
    bool has_network, has_importance, has_bundle;
    nb_network network;
    nb_importance importance;
    nb_bundle_data bundle;
} nb_model;

void nb_model_deinit(nb_model *m); /* frees every present group */

#endif /* NB_MODEL_H */
