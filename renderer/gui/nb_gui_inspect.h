/* nb_gui_inspect.h - what the side panel shows about a picked node, and small images (GL-free).
 *
 * For a node (global id, layer-major order as in nb_model.h): its layer and index, class
 * importance, strongest incoming and outgoing edges by |weight| (and whether each survived
 * pruning in /bundle), for a hidden node its top-activating test images (/importance top), for
 * a first-hidden-layer node its input weights as an image. On a network with operators
 * (docs/models.md) a convolution's nodes are its channels: the top-activating images are
 * those of the channel's largest spatial mean, and a first-layer channel shows its kernel.
 * Image helpers turn grey or RGB (CHW) values and signed weights into RGBA8 pixels for GL
 * textures.
 */
#ifndef NB_GUI_INSPECT_H
#define NB_GUI_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_model.h"
#include "nb_status.h"

#define NB_GUI_INSPECT_EDGES 5 /* strongest edges listed per direction */
#define NB_GUI_INSPECT_TOP   9 /* top-activating images shown */

typedef struct nb_gui_edge_ref {
    size_t node;  /* global id of the node at the other end */
    size_t layer; /* its layer */
    size_t index; /* its index in that layer */
    float weight; /* signed weight of the edge */
    bool kept;    /* the edge is drawn (present in /bundle); true without /bundle */
} nb_gui_edge_ref;

typedef struct nb_gui_node_info {
    size_t node, layer, index;
    size_t n_layers;
    bool hidden;             /* 0 < layer < L-1 */
    bool channel;            /* the node is a channel (of a conv2d, or of a channels input) */
    const char *kind;        /* "conv2d" / "dense": the operator of its layer (static); NULL
                                for the input and for classic dense networks */
    const char *class_name;  /* output node: the name of its class (class = index) from
                                /network class_names, borrowed from the model; else NULL */
    size_t n_classes;        /* 0 without /importance */
    const float *importance; /* [n_classes] into the model, NULL without /importance */
    float importance_mean, importance_norm;
    float bias; /* bias of the node (0 for input nodes) */
    nb_gui_edge_ref in[NB_GUI_INSPECT_EDGES], out[NB_GUI_INSPECT_EDGES];
    size_t n_in, n_out;              /* listed, strongest first (ties: lower index first) */
    int32_t top[NB_GUI_INSPECT_TOP]; /* test-set indices, strongest first */
    size_t n_top;                    /* 0 unless hidden and /importance stores top images */
    bool has_input_image;            /* layer 1: input weights shown as an image */
} nb_gui_node_info;

/* Splits a global node id into (layer, index) by the network's layer sizes. Returns false if
 * node >= total node count. */
bool nb_gui_inspect_locate(const nb_network *net, size_t node, size_t *layer, size_t *index);

/* Global id of node `index` of `layer`. */
size_t nb_gui_inspect_global(const nb_network *net, size_t layer, size_t index);

/* Fills *info for a node. Needs /network. Returns NB_OK, NB_E_MISSING (no /network),
 * NB_E_INVALID (node out of range; subject "node <id>"). *info untouched on failure.
 * The importance pointer borrows from m. */
nb_status nb_gui_inspect_node(const nb_model *m, size_t node, nb_gui_node_info *info);

/* Input weights of first-hidden-layer node `index`: pointer into the network's pair 0 row
 * (float32[n_0]) and an image shape: 28x28 for 784 inputs, s x s for a perfect square s^2,
 * else n_0 x 1. Returns NULL if the network has fewer than 2 layers or index >= n_1. */
const float *nb_gui_inspect_input_weights(const nb_network *net, size_t index, size_t *width,
                                          size_t *height);

/* The input weights of first-hidden-layer node `index` as an image, in *values (malloc'd,
 * caller frees; float32[height][width], signed): a classic network's (and a flat-input dense
 * operator's) row of pair 0 in the shape of nb_gui_inspect_input_weights (in_h x in_w for a
 * one-channel image input, summed over the channels of a multi-channel one); a first conv2d's
 * kernel W[index] summed over its input channels (kernel_h x kernel_w). Returns NB_OK,
 * NB_E_INVALID (no layer 1 or index out of range; subject "node"), NB_E_NOMEM. */
nb_status nb_gui_inspect_input_image(const nb_network *net, size_t index, float **values,
                                     size_t *width, size_t *height);

/* Pixels of one CHW image (values in [0, 1], clamped; channels x n values, n = rows * cols)
 * to opaque RGBA8 rgba[n][4]: three channels as red, green, blue; any other count shows its
 * first channel in grey. */
void nb_gui_image_chw_rgba(const float *pixels, size_t channels, size_t n, uint8_t *rgba);

/* Grey pixels in [0, 1] (clamped) to opaque RGBA8: rgba[n][4]. */
void nb_gui_image_gray_rgba(const float *pixels, size_t n, uint8_t *rgba);

/* Signed values to a diverging map around 0: negative blue (0.13, 0.40, 0.67), zero white,
 * positive red (0.70, 0.09, 0.17), |v| / max|v| (max|v| = 0 gives all white); rgba[n][4];
 * *max_abs (may be NULL) gets the scale. */
void nb_gui_image_diverging_rgba(const float *v, size_t n, uint8_t *rgba, float *max_abs);

/* The panel's heading for a node: "Node L:I (input, id G)", "Node L:I (hidden, id G)" or, for
 * an output node, "Node L:I (output, class I \"NAME\", id G)" (the name left out when it is
 * the default "I"). A channel reads "Channel L:I (input, id G)" or "Channel L:I (hidden
 * conv2d, id G)", a hidden node of an operator network "Node L:I (hidden dense, id G)". Truncated
 * to size bytes (NUL included). */
void nb_gui_inspect_title(const nb_gui_node_info *info, char *buf, size_t size);

/* Label of class c for charts: "c NAME", or "c" when names is NULL, c >= n_names, or the
 * name is empty or the default "c". Truncated to size bytes (NUL included). */
void nb_gui_inspect_class_label(const char *const *names, size_t n_names, size_t c, char *buf,
                                size_t size);

#endif /* NB_GUI_INSPECT_H */
