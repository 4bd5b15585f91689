/* nb_gui_activation.c - forward pass of one test image for the GUI's activation view.
 *
 * DESIGN: nb_mlp_forward (processor/network/nb_mlp.h, OpenBLAS) with n = 1 fills every layer's
 * output (input, ReLU hidden layers, logits); the display value of a hidden node is its output over
 * the layer's maximum for this image, so every layer uses its full colour range; the output
 * layer shows the softmax probabilities (max-subtracted, stable). The predicted class is
 * argmax of the logits. For a network with operators nb_mlp_forward hands the image to
 * nb_layers_forward, whose node values are a channel's spatial mean (docs/models.md). Runs on the
 * GUI thread (one image is a few hundred thousand multiply-adds for 784-81-49-10). Config keys
 * read: none.
 */
#include "nb_gui_activation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nb_mlp.h"

nb_status nb_gui_activation_init(nb_gui_activation *a, const nb_network *net) {
    memset(a, 0, sizeof *a);
    size_t n = nb_network_n_nodes(net), C = net->layer_size[net->n_layers - 1];
    float *buf = calloc(2 * n + C, sizeof *buf);
    if (!buf)
        return NB_RAISE(NB_E_NOMEM, "activation view", "%zu nodes", n);
    a->n_nodes = n;
    a->n_classes = C;
    a->raw = buf;
    a->value = buf + n;
    a->prob = buf + 2 * n;
    a->label = -1;
    return NB_OK;
}

void nb_gui_activation_deinit(nb_gui_activation *a) {
    free(a->raw);
    memset(a, 0, sizeof *a);
}

void nb_gui_activation_normalise(const nb_network *net, const float *raw, float *value,
                                 float *prob) {
    size_t first = 0, L = net->n_layers;
    for (size_t l = 0; l < L; l++) {
        size_t n = net->layer_size[l];
        const float *r = raw + first;
        float *v = value + first;
        if (l == 0) {
            for (size_t i = 0; i < n; i++)
                v[i] = r[i] < 0.0f ? 0.0f : r[i] > 1.0f ? 1.0f : r[i];
        } else if (l + 1 < L) {
            float mx = 0.0f;
            for (size_t i = 0; i < n; i++)
                mx = r[i] > mx ? r[i] : mx;
            for (size_t i = 0; i < n; i++)
                v[i] = mx > 0.0f && r[i] > 0.0f ? r[i] / mx : 0.0f;
        } else {
            float mx = r[0];
            for (size_t i = 1; i < n; i++)
                mx = r[i] > mx ? r[i] : mx;
            double sum = 0.0;
            for (size_t i = 0; i < n; i++)
                sum += exp((double)(r[i] - mx));
            for (size_t i = 0; i < n; i++) {
                v[i] = (float)(exp((double)(r[i] - mx)) / sum);
                prob[i] = v[i];
            }
        }
        first += n;
    }
}

nb_status nb_gui_activation_run(nb_gui_activation *a, const nb_network *net, const nb_dataset *ds,
                                size_t image) {
    if (image >= ds->n)
        return NB_RAISE(NB_E_INVALID, "image", "index %zu of %zu test images", image, ds->n);
    size_t C = net->layer_size[net->n_layers - 1];
    size_t inputs = net->n_ops > 0 ? net->in_c * net->in_h * net->in_w : net->layer_size[0];
    if (ds->dim != inputs)
        return NB_RAISE(NB_E_MISMATCH, "test set", "images of %zu values, network input %zu",
                        ds->dim, inputs);
    if (a->n_nodes != nb_network_n_nodes(net) || a->n_classes != C)
        return NB_RAISE(NB_E_MISMATCH, "activation view", "buffers for %zu nodes, network has %zu",
                        a->n_nodes, nb_network_n_nodes(net));
    float *raw = malloc(a->n_nodes * sizeof *raw);
    float *logits = malloc(C * sizeof *logits);
    nb_status s =
        raw && logits ? NB_OK : NB_RAISE(NB_E_NOMEM, "activation view", "%zu nodes", a->n_nodes);
    if (s == NB_OK)
        s = nb_mlp_forward(net, ds->images + image * ds->dim, 1, logits, raw);
    if (s == NB_OK) {
        memcpy(a->raw, raw, a->n_nodes * sizeof *raw);
        nb_gui_activation_normalise(net, a->raw, a->value, a->prob);
        size_t best = 0;
        for (size_t c = 1; c < C; c++)
            if (logits[c] > logits[best])
                best = c;
        a->predicted = best;
        a->image = image;
        a->label = ds->labels ? (int)ds->labels[image] : -1;
        a->valid = true;
    }
    free(raw);
    free(logits);
    return s;
}
