/* nb_layers.c - placeholder until the operator engine lands (issue 12). */
#include "nb_layers.h"

nb_status nb_layers_forward(const nb_network *net, const float *x, size_t n, float *logits,
                            float *activations) {
    (void)net;
    (void)x;
    (void)n;
    (void)logits;
    (void)activations;
    return NB_RAISE(NB_E_UNSUPPORTED, "network", "operator chains are not built yet");
}
