/* nb_gui_stats.h - figures for the Statistics panel and the layer table (GL-free).
 *
 * Everything is derived from an nb_model (a loaded .nnb.h5 or a processing snapshot): node,
 * edge, pruned-edge and sample counts, the /bundle quality metrics and timings, and per layer
 * its size, parameter count, multiply-accumulates per input, share of its incoming edges kept
 * after pruning and mean importance per class; for a network with operators (docs/models.md)
 * the node layers' parameters and MACs come from the operators (nb_graph_op_params/macs of
 * every operator from the layer's dense or conv2d up to the next one) and the table also
 * lists every operator. A frame-time window gives the FPS.
 */
#ifndef NB_GUI_STATS_H
#define NB_GUI_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_model.h"
#include "nb_status.h"

typedef struct nb_gui_stats {
    size_t n_layers;
    size_t n_nodes;       /* nodes drawn (bundle) or in the network */
    size_t n_edges;       /* edges kept after pruning (bundle), else all weights */
    size_t n_edges_total; /* before pruning */
    size_t n_pruned;      /* n_edges_total - n_edges */
    size_t n_samples;     /* polyline points of all edges (/bundle point_position rows) */
    size_t n_params;      /* weights + biases (a network with operators: of its operators) */
    bool has_bundle;      /* metrics, timings and iterations below are valid */
    nb_bundle_metrics metrics;
    int node_iterations, edge_iterations;
    double time_layout, time_node_phase, time_edge_phase, time_total; /* seconds */
} nb_gui_stats;

/* Fills *s from m (which must hold at least /network or /bundle; otherwise *s is zeroed). */
void nb_gui_stats_of(const nb_model *m, nb_gui_stats *s);

typedef struct nb_gui_layer_row {
    size_t size; /* n_l */
    /* weights + biases feeding layer l: n_{l-1} n_l + n_l (0 for l = 0); with operators the
     * parameters of the layer's operators (its dense/conv2d and those up to the next) */
    size_t params;
    /* multiply-accumulates per input for layer l: n_{l-1} n_l (0 for l = 0); with operators
     * those of the layer's operators (a convolution: weights x output positions) */
    size_t macs;
    size_t edges;      /* graph edges of pair l-1 -> l: n_{l-1} n_l (0 for l = 0) */
    size_t kept;       /* edges of pair l-1 -> l kept in /bundle (0 for l = 0) */
    double kept_share; /* kept / edges; NaN for l = 0 or without /bundle */
    const char *kind;  /* "input", "dense" or "conv2d" (operators); "dense" for l > 0 of a
                          classic network */
    const float *mean_importance; /* [n_classes] mean over the layer's nodes of node
                                     importance; NULL without /importance */
} nb_gui_layer_row;

/* One operator of a network with operators. */
typedef struct nb_gui_op_row {
    const char *kind;           /* nb_op_kind_name */
    size_t out_c, out_h, out_w; /* output shape */
    size_t params, macs;        /* nb_graph_op_params / nb_graph_op_macs */
    size_t layer;               /* node layer it belongs to (0: before the first dense
                                   or conv2d) */
    bool node;                  /* it is the dense/conv2d that makes node layer `layer` */
} nb_gui_op_row;

typedef struct nb_gui_layer_table {
    size_t n_layers;
    size_t n_ops;           /* 0 for a classic dense network */
    nb_gui_op_row *op;      /* [n_ops] */
    size_t n_classes;       /* 0 without /importance */
    nb_gui_layer_row *row;  /* [n_layers] */
    float *mean_importance; /* [n_layers][n_classes], rows point here */
    size_t total_params, total_macs;
} nb_gui_layer_table;

/* Builds the table from m (needs /network; /importance and /bundle optional). Edges of the
 * bundle are assigned to pairs by their source node's layer (layer_offset). Returns NB_OK,
 * NB_E_MISSING (no /network), NB_E_NOMEM; on failure *t is zeroed. */
nb_status nb_gui_layer_table_init(nb_gui_layer_table *t, const nb_model *m);
void nb_gui_layer_table_deinit(nb_gui_layer_table *t); /* safe on a zeroed table */

/* The layer of global node id g given layer_offset[L+1] (binary search); L if g is past the
 * end. */
size_t nb_gui_layer_of(const int64_t *layer_offset, size_t n_layers, size_t g);

/* Frames per second over a sliding window of the last NB_GUI_FPS_WINDOW frame times. */
#define NB_GUI_FPS_WINDOW 60
typedef struct nb_gui_fps {
    double dt[NB_GUI_FPS_WINDOW]; /* seconds */
    size_t n, next;
    double sum;
} nb_gui_fps;

void nb_gui_fps_init(nb_gui_fps *f);
/* Adds one frame's duration (seconds, > 0; others are ignored). */
void nb_gui_fps_add(nb_gui_fps *f, double dt);
/* Frames per second over the window, 0 before the first frame. */
double nb_gui_fps_value(const nb_gui_fps *f);

#endif /* NB_GUI_STATS_H */
