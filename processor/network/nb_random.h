/* nb_random.h - seeded random weights: Glorot-uniform initialisation and random networks.
 *
 * Source: X. Glorot, Y. Bengio, "Understanding the difficulty of training deep feedforward
 * neural networks", AISTATS 2010 (eq. 16, the "normalized initialization"; Keras'
 * glorot_uniform). Used by nb_train for its initial weights and by `nnbundle random`, tests
 * and benchmarks for networks of any shape. Deterministic for a given seed; single-threaded.
 */
#ifndef NB_RANDOM_H
#define NB_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "nb_model.h"
#include "nb_rng.h"
#include "nb_status.h"

/* Fills w: float32[n_out][n_in] (row-major, out x in) with draws from U(-a, a),
 * a = sqrt(6 / (n_in + n_out)), in row-major order from rng. n_in + n_out > 0. */
void nb_random_glorot_uniform(nb_rng *rng, float *w, size_t n_out, size_t n_in);

/* Half-width of the uniform distribution of random biases in nb_random_network_init. */
#define NB_RANDOM_BIAS_RANGE 0.1f

/* Initialises *net (nb_network_init; caller deinits) with L = n_layers layers of the given
 * sizes, Glorot-uniform weights and biases from U(-NB_RANDOM_BIAS_RANGE, NB_RANDOM_BIAS_RANGE).
 * Layer pair l draws from nb_rng stream (seed, l), so a pair's values do not depend on the
 * other pairs' sizes. Provenance: source "random", seed, epochs 0, accuracies NaN.
 * Returns NB_OK, NB_E_INVALID (L < 2, a zero size; subject "network"), NB_E_NOMEM.
 * On failure *net is zeroed. */
nb_status nb_random_network_init(nb_network *net, size_t n_layers, const size_t *layer_size,
                                 uint64_t seed);

#endif /* NB_RANDOM_H */
