/* nb_layers.h - forward and backward passes of an operator chain (nb_op, docs/models.md) on
 * OpenBLAS: dense layers as sgemm, convolutions as im2col + sgemm, pooling, batch norm,
 * activations. Thread-count independent results (fixed reduction order), like nb_mlp.
 * [API OWNED BY THE ENGINE WORK; other stages call only what is declared here.]
 */
#ifndef NB_LAYERS_H
#define NB_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "nb_idx.h"
#include "nb_model.h"
#include "nb_status.h"

/* Forward pass of a network with operators (n_ops > 0, shapes inferred) for x[n][in_c*in_h*in_w]:
 * logits[n][C] (the input of a final SOFTMAX, i.e. pre-softmax). If activations is not NULL it
 * receives every node layer's value for every input, float32[n][sum_l n_l] layer-major per
 * input, same layout as nb_mlp_forward: layer 0 = the input (per channel: the spatial mean when
 * the input layer is channels), node layer l >= 1 = the output of its DENSE/CONV2D operator
 * after the element-wise operators that directly follow it (batch norm, dropout,
 * activations), per channel the spatial mean; the last = logits.
 * NB_OK, NB_E_INVALID (no operators), NB_E_NOMEM. */
nb_status nb_layers_forward(const nb_network *net, const float *x, size_t n, float *logits,
                            float *activations);

#endif /* NB_LAYERS_H */
