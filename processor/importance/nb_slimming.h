/* nb_slimming.h - the network that BN-gamma importance fine-tunes for one class when the
 * network is an operator chain (a CNN, an imported model): the frozen chain with a batch norm
 * in front of every node operator and a 2-unit one-vs-rest head.
 *
 * Source: Z. Liu et al., "Learning Efficient Convolutional Networks through Network
 * Slimming", ICCV 2017 (a channel's batch-norm gamma as its importance); method.md §2.4 and
 * docs/importance.md (the dense form, nb_bn.h, which this generalises).
 * Node layer l < L-1 of the graph view (nb_graph.h) gets one batch norm over its n_l nodes:
 *   l = 0, flat input:  FLATTEN + BATCHNORM(in_c*in_h*in_w) before the first operator;
 *   l = 0, channels:    BATCHNORM(in_c) before the first operator;
 *   l >= 1:             BATCHNORM(out_c) after the node operator of layer l and the
 *                       element-wise operators that directly follow it (activations, dropout),
 *                       i.e. on exactly the values whose spatial means are the layer's node
 *                       activations; for a convolution one gamma per channel.
 * The last node operator (C outputs) becomes the head: output 0 = class c's row (weights and
 * bias), output 1 = the sum of the other classes' rows; a final SOFTMAX is dropped (the loss
 * has its own). The network's own batch norms are folded into the dense or conv2d operator
 * they directly follow, so that training mode (batch statistics) touches only the inserted
 * ones; a batch norm anywhere else is NB_E_UNSUPPORTED. The inserted batch norms use Keras's
 * eps 1e-3 (NB_BN_EPS) and start at gamma = gamma_init, beta = 0, running mean 0, variance 1.
 */
#ifndef NB_SLIMMING_H
#define NB_SLIMMING_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_model.h"
#include "nb_status.h"

/* Running-statistics momentum of the inserted batch norms while fine-tuning (Keras
 * convention: running = m * running + (1 - m) * batch). The dense method keeps Keras's 0.99;
 * a CNN's fine-tune affords far fewer steps (one epoch of Fashion-MNIST is 94 steps per
 * class), after which 0.99 leaves the running statistics mostly at their start (mean 0,
 * variance 1) and the inference-mode test accuracy at chance although training-mode accuracy
 * is 0.93 (measured); 0.9 (PyTorch's default momentum 0.1) tracks them within ~30 steps. */
#define NB_SLIMMING_MOMENTUM 0.9

typedef struct nb_slimming_net {
    nb_network net;    /* the fine-tune chain (operators and input shape only), owned */
    size_t n_layers;   /* L of the source graph view */
    size_t *bn_op;     /* [L-1]: index in net.ops of node layer l's batch norm */
    size_t *gamma_off; /* [L]: node layer l's gammas at gamma_off[l] in a [n_params] vector */
    size_t n_params;   /* sum_{l<L-1} n_l */
    size_t head_op;    /* index in net.ops of the 2-unit head */
    nb_op head_src;    /* the source's last node operator, batch norm folded (C outputs) */
} nb_slimming_net;

/* Builds the fine-tune chain of src (n_ops > 0, shapes inferred, graph view built by
 * nb_graph_build) with the head of class 0 and shapes inferred. Returns NB_OK, NB_E_INVALID
 * (no operators, fewer than 2 classes), NB_E_UNSUPPORTED (a batch norm that does not follow a
 * dense or conv2d operator; subject "operator K (batchnorm)"), the statuses of
 * nb_graph_infer_shapes, NB_E_NOMEM. On failure *s is zeroed. */
nb_status nb_slimming_init(nb_slimming_net *s, const nb_network *src);
void nb_slimming_deinit(nb_slimming_net *s); /* safe on a zeroed struct */

/* Prepares a fresh fine-tune for class cls (< C): the head of cls, every inserted gamma =
 * gamma_init, beta = 0, running mean 0 and variance 1. */
void nb_slimming_reset(nb_slimming_net *s, size_t cls, float gamma_init);

/* The inserted gammas, node layer by node layer, into gamma[n_params]. */
void nb_slimming_gamma(const nb_slimming_net *s, float *gamma);

#endif /* NB_SLIMMING_H */
