/* nb_gui_activation.h - the activation view: one test image through the network (GL-free).
 *
 * The network runs forward on one image (nb_mlp_forward with activations); every node gets a
 * display value in [0, 1] that the renderer maps to node colour and size: input nodes their
 * pixel value, hidden nodes their ReLU output divided by the layer's maximum for this image,
 * output nodes the softmax probability. The predicted class is the argmax of the logits.
 */
#ifndef NB_GUI_ACTIVATION_H
#define NB_GUI_ACTIVATION_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_idx.h"
#include "nb_model.h"
#include "nb_status.h"

typedef struct nb_gui_activation {
    size_t n_nodes;   /* sum of layer sizes */
    size_t n_classes; /* output layer size */
    size_t image;     /* test-set index of the last run */
    int label;        /* its label, -1 before the first run */
    size_t predicted; /* argmax of the logits (lowest index on ties) */
    float *raw;       /* [n_nodes] activations: input, hidden after ReLU, logits */
    float *value;     /* [n_nodes] display values in [0, 1] (see above) */
    float *prob;      /* [n_classes] softmax of the logits */
    bool valid;       /* a run succeeded */
} nb_gui_activation;

/* Allocates buffers for net's shape. NB_OK, NB_E_NOMEM (zeroed). */
nb_status nb_gui_activation_init(nb_gui_activation *a, const nb_network *net);
void nb_gui_activation_deinit(nb_gui_activation *a); /* safe on a zeroed struct */

/* Runs image `image` of `ds` through net. Returns NB_OK, NB_E_INVALID (image >= ds->n;
 * subject "image <i>"), NB_E_MISMATCH (ds->dim != n_0, or a buffer made for another shape;
 * subject names the data set), NB_E_NOMEM. On failure *a is unchanged. */
nb_status nb_gui_activation_run(nb_gui_activation *a, const nb_network *net, const nb_dataset *ds,
                                size_t image);

/* Converts display values to per-layer normalised values for an arbitrary activation vector:
 * value[i] = max(raw[i], 0) / max over the layer (0 if the layer's maximum is <= 0), input
 * layer clamped to [0, 1], output layer softmax(raw) into value and prob[n_classes].
 * Used by nb_gui_activation_run; exposed for tests. */
void nb_gui_activation_normalise(const nb_network *net, const float *raw, float *value,
                                 float *prob);

#endif /* NB_GUI_ACTIVATION_H */
