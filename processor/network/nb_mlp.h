/* nb_mlp.h - dense layers, ReLU and softmax cross-entropy on OpenBLAS, forward and backward.
 *
 * The building blocks of training (nb_train), importance fine-tuning (nb_importance),
 * evaluation (nb_evaluate) and the viewer's activation view. Matrices are row-major
 * float32; a weight matrix is [n_out][n_in] (PyTorch nn.Linear), so a batch forward is
 * Y = X * W^T + b, computed with cblas_sgemm. Functions are re-entrant; BLAS threads are
 * OpenBLAS's own (pthread variant).
 */
#ifndef NB_MLP_H
#define NB_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "nb_idx.h"
#include "nb_model.h"
#include "nb_status.h"

/* y[batch][n_out] = x[batch][n_in] * w[n_out][n_in]^T + b[n_out]  (b may be NULL). */
void nb_mlp_dense_forward(const float *x, size_t batch, size_t n_in, const float *w, const float *b,
                          size_t n_out, float *y);

/* Backward of nb_mlp_dense_forward for upstream gradient dy[batch][n_out]:
 *   dx[batch][n_in] = dy * w          (skipped if dx is NULL)
 *   dw[n_out][n_in] = dy^T * x        (overwritten; skipped if NULL)
 *   db[n_out]       = sum_batch dy    (overwritten; skipped if NULL) */
void nb_mlp_dense_backward(const float *x, size_t batch, size_t n_in, const float *w, size_t n_out,
                           const float *dy, float *dx, float *dw, float *db);

/* In place: y = max(y, 0) over n values. */
void nb_mlp_relu_forward(float *y, size_t n);

/* In place: dy[i] = 0 where the ReLU output y[i] <= 0. */
void nb_mlp_relu_backward(const float *y, float *dy, size_t n);

/* Mean softmax cross-entropy of logits[batch][C] against labels[batch] (values < C).
 * If dlogits is not NULL it receives d(mean loss)/d(logits) = (softmax - onehot) / batch.
 * If n_correct is not NULL it receives the count of argmax(logits) == label.
 * Numerically stable (max subtracted). Returns the mean loss in nats. */
double nb_mlp_softmax_xent(const float *logits, const uint8_t *labels, size_t batch, size_t C,
                           float *dlogits, size_t *n_correct);

/* Forward pass of the whole network (ReLU hidden layers) for x[n][n_0]:
 * logits[n][C] (pre-softmax). If activations is not NULL it receives every layer's output
 * for every input, float32[n][sum_l n_l] layer-major per input (layer 0 = the input, hidden
 * layers after ReLU, last = logits). Processes in chunks; allocates its own workspace.
 * A network with operators (n_ops > 0) runs nb_layers_forward instead (same layout; its
 * statuses). Returns NB_OK, NB_E_NOMEM. */
nb_status nb_mlp_forward(const nb_network *net, const float *x, size_t n, float *logits,
                         float *activations);

/* Mean loss and accuracy of the network on a data set; pred[n] (argmax) if not NULL.
 * A network with operators is run by nb_layers_forward (ds->dim must be in_c*in_h*in_w).
 * Returns NB_OK, NB_E_MISMATCH (ds->dim != n_0 or a label >= C; subject names the data set),
 * NB_E_NOMEM, and for operators the statuses of nb_layers_forward. */
nb_status nb_mlp_evaluate(const nb_network *net, const nb_dataset *ds, double *loss,
                          double *accuracy, uint8_t *pred);

#endif /* NB_MLP_H */
