/* nb_bn.h - batch normalisation, and the frozen MLP with a batch norm in front of every dense
 * layer that importance fine-tuning trains (only gamma, and beta with centering).
 *
 * Batch norm (S. Ioffe, C. Szegedy, "Batch Normalization", ICML 2015; Keras
 * BatchNormalization defaults, method.md §2.4): per feature i over a batch of B rows,
 *   training:  mu = mean_b x, var = mean_b (x - mu)^2 (biased), xhat = (x - mu)/sqrt(var + eps),
 *              y = gamma * xhat + beta; running = momentum * running + (1 - momentum) * batch
 *   inference: y = gamma * (x - running_mean)/sqrt(running_var + eps) + beta
 * All arrays are row-major float32; x, y, xhat: [B][n]; per-feature vectors: [n].
 * Functions are re-entrant and allocation-free, single-threaded (callers parallelise).
 */
#ifndef NB_BN_H
#define NB_BN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_model.h"
#include "nb_status.h"

#define NB_BN_MOMENTUM 0.99f /* Keras default */
#define NB_BN_EPS      1e-3f /* Keras default */

/* Training-mode forward over a batch x[batch][n] (batch >= 1): y = gamma*xhat + beta.
 * beta may be NULL (no shift). Writes xhat[batch][n], inv_std[n] = 1/sqrt(var + eps) (both
 * needed by nb_bn_backward), and batch_mean[n], batch_var[n] (required; also the
 * accumulators, two passes in float32, rows outer so the loops vectorise) for
 * nb_bn_update_running. y may alias x (not xhat). */
void nb_bn_forward_train(const float *x, size_t batch, size_t n, const float *gamma,
                         const float *beta, float eps, float *xhat, float *inv_std, float *y,
                         float *batch_mean, float *batch_var);

/* running_mean = momentum*running_mean + (1-momentum)*batch_mean, same for the variance. */
void nb_bn_update_running(float *running_mean, float *running_var, const float *batch_mean,
                          const float *batch_var, size_t n, float momentum);

/* Inference-mode forward with running statistics; beta may be NULL. y may alias x. */
void nb_bn_forward_infer(const float *x, size_t batch, size_t n, const float *gamma,
                         const float *beta, const float *running_mean, const float *running_var,
                         float eps, float *y);

/* Backward of nb_bn_forward_train for the upstream gradient dy[batch][n]:
 *   dgamma[n] = sum_b dy*xhat, dbeta[n] = sum_b dy   (overwritten; both required, they are
 *                                                      also the accumulators of dx)
 *   dx[batch][n] = inv_std/B * (B*g - sum_b g - xhat * sum_b g*xhat), g = dy*gamma
 *   (skipped if dx is NULL; dx may alias dy). */
void nb_bn_backward(const float *dy, const float *xhat, const float *inv_std, const float *gamma,
                    size_t batch, size_t n, float *dx, float *dgamma, float *dbeta);

/* ---- the network that importance fine-tuning trains (method.md §2.4) ---------------------- */

/* For class c of a trained network with L layers: BN_0 on the input, dense_0, ReLU, BN_1,
 * dense_1, ReLU, ..., BN_{L-2}, then a 2-unit head (unit 0 = class c's output row and bias,
 * unit 1 = sum over all classes minus class c), softmax cross-entropy with label 0 = "is class
 * c", 1 = "other". The dense layers and the head are frozen; the trainable parameters are
 * the gamma (and with centering beta) of every BN, stored layer-major in one vector of
 * n_params = sum_{l<L-1} n_l values (layer l at param_offset[l]). */
typedef struct nb_bn_net {
    const nb_network *net; /* borrowed, frozen */
    size_t n_layers;       /* L */
    size_t n_params;
    size_t *param_offset; /* [L]; param_offset[L-1] = n_params */
    size_t max_batch;
    size_t widest;  /* max_{l<L-1} n_l */
    bool centering; /* beta trainable (else beta is 0 and has no gradient) */
    float eps, momentum;
    float *head_w; /* [2][n_{L-2}] */
    float head_b[2];
    float *gamma, *beta;       /* [n_params] */
    float *run_mean, *run_var; /* [n_params] */
    /* workspace; layer l's block of a [max_batch][n_l] array starts at max_batch*param_offset[l] */
    float *act;              /* post-ReLU outputs of layers 1..L-2 */
    float *xhat;             /* layers 0..L-2 */
    float *inv_std;          /* [n_params] */
    float *bmean, *bvar;     /* [n_params] batch statistics */
    float *sum_dy;           /* [n_params] scratch for dbeta without centering */
    float *zbuf, *g0, *g1;   /* [max_batch][widest] scratch */
    float *logits, *dlogits; /* [max_batch][2] */
} nb_bn_net;

/* Allocates the BN network for `net` (L >= 2, n_{L-1} >= 2) and batches of at most max_batch
 * (>= 1) rows. Call nb_bn_net_reset before use.
 * Returns NB_OK, NB_E_INVALID (subject "bn network"), NB_E_NOMEM. On failure *bn is zeroed. */
nb_status nb_bn_net_init(nb_bn_net *bn, const nb_network *net, size_t max_batch);
void nb_bn_net_deinit(nb_bn_net *bn); /* safe on a zeroed struct */

/* Prepares a fresh fine-tune for class cls (< n_{L-1}): head from the trained output layer,
 * gamma = gamma_init (1 or 0), beta = 0, running mean 0 / variance 1, centering as given. */
void nb_bn_net_reset(nb_bn_net *bn, size_t cls, float gamma_init, bool centering);

/* One training-mode pass over x[batch][n_0] with labels[batch] in {0, 1}:
 * returns the loss = mean cross-entropy + l1*sum|gamma| + l2*sum gamma^2 (Keras adds the
 * regulariser to the batch loss), and writes dgamma[n_params] and, if not NULL,
 * dbeta[n_params] (zero unless centering) = d loss / d parameter. The subgradient of |g| at
 * 0 is 0 (as TensorFlow). If update_running, the running statistics move by one step.
 * *n_correct (may be NULL) gets the count of argmax == label. 1 <= batch <= max_batch. */
double nb_bn_net_loss_grad(nb_bn_net *bn, const float *x, const uint8_t *labels, size_t batch,
                           double l1, double l2, bool update_running, float *dgamma, float *dbeta,
                           size_t *n_correct);

/* The same with the input rows given by pointers: row b is rows[b] (float32[n_0]; x is
 * ignored), so a minibatch is read straight from a data set without a gathering copy. */
double nb_bn_net_loss_grad_rows(nb_bn_net *bn, const float *x, const float *const *rows,
                                const uint8_t *labels, size_t batch, double l1, double l2,
                                bool update_running, float *dgamma, float *dbeta,
                                size_t *n_correct);

/* Inference-mode logits[batch][2] for x[batch][n_0] (running statistics), batch <= max_batch. */
void nb_bn_net_predict(nb_bn_net *bn, const float *x, size_t batch, float *logits);

#endif /* NB_BN_H */
