/* nb_saliency.h - per-class saliency of every weight of a network, from its gradients.
 *
 * For class c, the images of class c in the training set (or in a given subset of it) go
 * forward through the trained network and the one-vs-rest loss L_c = -log softmax(z)_c (the
 * cross-entropy of "is class c" on the positives) goes backward; per sample n the gradient of
 * weight w (edge i -> j of pair l) is g_n = delta_j(n) * a_i(n). Per weight and class:
 *   NB_SALIENCY_TAYLOR       E_n |w * g_n|              first-order Taylor, per-sample absolute
 *                                                       value (Molchanov et al., CVPR 2019)
 *   NB_SALIENCY_TAYLOR_MEAN  |w * E_n g_n|              first-order Taylor of the mean gradient
 *                                                       (SNIP's |w g|, Lee et al., ICLR 2019)
 *   NB_SALIENCY_OBD          1/2 w^2 E_n g_n^2          Optimal Brain Damage with the diagonal of
 *                                                       the empirical Fisher (LeCun et al. 1990)
 *   NB_SALIENCY_ACTIVATION   |w| * sqrt(E_n a_i(n)^2)   activation-weighted magnitude, "Wanda"
 *                                                       (Sun et al., ICLR 2024); no backward pass
 * E_n is the mean over the class's images. Scores are >= 0 and not normalised.
 */
#ifndef NB_SALIENCY_H
#define NB_SALIENCY_H

#include <stddef.h>
#include <stdint.h>

#include "nb_idx.h"
#include "nb_model.h"
#include "nb_status.h"

typedef enum nb_saliency_kind {
    NB_SALIENCY_TAYLOR = 0,
    NB_SALIENCY_TAYLOR_MEAN = 1,
    NB_SALIENCY_OBD = 2,
    NB_SALIENCY_ACTIVATION = 3,
} nb_saliency_kind;

/* Per-class saliency of every weight of net: a dense network (n_ops == 0) for every kind; a
 * network with operators for NB_SALIENCY_ACTIVATION only, over its graph view (weights: the
 * graph view's edge weights; a node's activation: nb_mlp_forward's node value, a channel's
 * spatial mean; classes in turn, each chunk spread over the threads by the engine).
 *   train:  images [n][n_0] with labels < C; every class needs at least one image (of those
 *           selected by rows).
 *   rows:   indices into train of the images to use (NULL: all n images), n_rows of them.
 *   scores: float32[C][E] out, E = nb_network_n_edges(net), class-major; edge order of
 *           nb_prune.h (pair l, out j, in i: edge_offset[l] + j * n_l + i).
 * Classes run in parallel (OpenMP, one workspace per thread, OpenBLAS on one thread meanwhile,
 * restored after); each class is a fixed sequential computation, so the result does not depend
 * on the thread count. Returns NB_OK, NB_E_INVALID (network with operators and a kind other than
 * activation: subject "network";
 * kind outside the enum: subject "saliency"), NB_E_MISMATCH (image size != n_0, label >= C, a
 * class without images; subject "train set"), NB_E_NOMEM. scores is undefined on failure. */
nb_status nb_saliency_scores(const nb_network *net, const nb_dataset *train, const uint32_t *rows,
                             size_t n_rows, nb_saliency_kind kind, float *scores);

#endif /* NB_SALIENCY_H */
