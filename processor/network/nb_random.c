/* nb_random.c - Glorot-uniform weights and seeded random networks.
 *
 * DESIGN: a weight matrix [n_out][n_in] is filled in row-major order with
 * U(-a, a), a = sqrt(6 / (n_in + n_out)) (Glorot & Bengio 2010, eq. 16). A random network
 * draws layer pair l from its own nb_rng stream (seed, l), biases after weights, so results
 * depend only on the seed and the shape. Single-threaded: the draws are cheap next to
 * anything that uses the network, and a serial stream is trivially thread-count independent.
 * Reads no config keys.
 */
#include "nb_random.h"

#include <math.h>
#include <stdio.h>

void nb_random_glorot_uniform(nb_rng *rng, float *w, size_t n_out, size_t n_in) {
    const double a = sqrt(6.0 / (double)(n_in + n_out));
    const size_t n = n_out * n_in;
    for (size_t k = 0; k < n; k++)
        w[k] = (float)((2.0 * nb_rng_uniform(rng) - 1.0) * a);
}

nb_status nb_random_network_init(nb_network *net, size_t n_layers, const size_t *layer_size,
                                 uint64_t seed) {
    NB_TRY(nb_network_init(net, n_layers, layer_size));
    for (size_t l = 0; l + 1 < n_layers; l++) {
        nb_rng rng;
        nb_rng_init_stream(&rng, seed, l);
        const size_t n_in = layer_size[l], n_out = layer_size[l + 1];
        nb_random_glorot_uniform(&rng, net->weights + net->weight_offset[l], n_out, n_in);
        float *b = net->biases + net->bias_offset[l];
        for (size_t o = 0; o < n_out; o++)
            b[o] = (float)((2.0 * nb_rng_uniform(&rng) - 1.0) * NB_RANDOM_BIAS_RANGE);
    }
    snprintf(net->source, sizeof net->source, "random");
    net->seed = seed;
    net->epochs = 0;
    net->l1 = 0.0;
    net->train_accuracy = NAN;
    net->test_accuracy = NAN;
    return NB_OK;
}
