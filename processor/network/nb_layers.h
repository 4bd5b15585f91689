/* nb_layers.h - forward and backward passes of an operator chain (nb_op, docs/models.md) on
 * OpenBLAS: dense layers as sgemm, convolutions as im2col + sgemm, pooling, batch norm,
 * activations, and a trainer (softmax cross-entropy, Adam) over all or some parameters.
 *
 * Tensors are float32, row-major, one sample after another: a batch of n samples of the shape
 * [c][h][w] is float32[n][c*h*w] in CHW order (the layout of nb_dataset images and of PyTorch's
 * NCHW). Operator shapes (in_* / out_*) must be filled (nb_graph_infer_shapes); every function
 * checks that they chain and refuses a network whose shapes do not.
 *
 * Threading: samples (forward) and fixed shards of a batch (backward) run on OpenMP threads,
 * each with single-threaded OpenBLAS; OpenBLAS is set to one thread for the duration of every
 * call here and restored afterwards, so do not call these functions while another thread of the
 * process uses OpenBLAS. Every reduction (weight gradients over shards, batch statistics,
 * pooling) runs in a fixed order, so results depend on the inputs only, never on the thread
 * count (tests/test_layers.c compares 1 and 2 threads bit for bit).
 * [API OWNED BY THE ENGINE WORK; other stages call only what is declared here.]
 */
#ifndef NB_LAYERS_H
#define NB_LAYERS_H

#include <stdbool.h>
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
 * BATCHNORM uses the stored running statistics (inference mode); DROPOUT is the identity.
 * Window operators (CONV2D, MAXPOOL, AVGPOOL) follow PyTorch: output size along an axis
 * floor((n + pad0 + pad1 - dilation*(kernel-1) - 1) / stride) + 1; a pooling dilation of 0
 * means 1. A pooling window over padding only gives 0 (nb_graph_infer_shapes refuses such
 * paddings anyway).
 * Processes chunks of samples with its own workspace (allocated here, freed on return).
 * NB_OK, NB_E_INVALID (no operators, a SOFTMAX before the last operator, a zero kernel, stride
 * or convolution dilation, an unknown kind, a negative eps; subject "operator K (kind)"),
 * NB_E_MISMATCH (shapes that do not chain or that the hyper-parameters do not give, shapes not
 * inferred; subject "operator K (kind)"), NB_E_MISSING (a DENSE/CONV2D without weights, a
 * BATCHNORM without gamma/beta/mean/var), NB_E_NOMEM. */
nb_status nb_layers_forward(const nb_network *net, const float *x, size_t n, float *logits,
                            float *activations);

/* Forward of one operator for x[n][in_c*in_h*in_w] into y[n][out_c*out_h*out_w] (shapes from
 * the op; y must not alias x). Unlike nb_layers_forward, a SOFTMAX is applied (over all
 * out_c*out_h*out_w values of a sample). BATCHNORM in inference mode. For the single-operator
 * conformance tests (ONNX node tests). NB_OK, NB_E_INVALID (a zero or inconsistent shape, bad
 * kind; subject "operator (kind)"), NB_E_MISSING (parameters absent), NB_E_NOMEM. */
nb_status nb_layers_op_forward(const nb_op *op, const float *x, size_t n, float *y);

/* Number of values of one sample at the chain's output (the logits' C): out_c*out_h*out_w of
 * the last operator; 0 without operators. */
size_t nb_layers_output_size(const nb_network *net);

/* ---- training ------------------------------------------------------------------------------ */

/* Which parameters a trainer changes. Everything else is frozen (still differentiated through). */
typedef enum nb_layers_train_what {
    NB_LAYERS_TRAIN_ALL = 0,       /* DENSE/CONV2D weight and bias, BATCHNORM gamma and beta */
    NB_LAYERS_TRAIN_BN_GAMMA,      /* only every BATCHNORM's gamma (BN-gamma importance) */
    NB_LAYERS_TRAIN_BN_GAMMA_BETA, /* gamma and beta (BN-gamma importance with centering) */
} nb_layers_train_what;

/* Trainer settings. Zero means "use the default" (in brackets):
 *   train             [NB_LAYERS_TRAIN_ALL]
 *   learning_rate     [1e-3]   Adam step size, (0, 10]
 *   beta1, beta2      [0.9, 0.999] Adam moment decay rates, (0, 1)
 *   epsilon           [1e-8]   Adam denominator guard, (0, 1]
 *   l1                [0]      lambda * sum |w| on trained DENSE/CONV2D weights (not biases),
 *                              subgradient lambda * sign(w), sign(0) = 0; [0, 100]
 *   gamma_l1, gamma_l2 [0, 0]  l1 * sum |gamma| + l2 * sum gamma^2 on trained BATCHNORM gammas
 *                              (the `l1`/`l2` flags of the BN-gamma importance); [0, 100]
 *   bn_momentum       [NB_BN_MOMENTUM = 0.99] running statistics of every BATCHNORM, Keras
 *                              convention: running = m * running + (1 - m) * batch statistic,
 *                              variance biased (PyTorch's momentum 0.1 is m = 0.9 here, and
 *                              PyTorch stores the unbiased variance); [0, 1)
 *   threads           [0]      OpenMP threads: 0 = omp_get_max_threads(); changes speed only
 * In training mode every BATCHNORM normalises with the batch's statistics per channel (over
 * the batch and all positions, biased variance, eps from the op) and updates its running
 * mean/var with bn_momentum; DROPOUT is the identity (no random masks: results stay
 * reproducible; the rate is recorded only). Adam as nb_train.h (PyTorch's arrangement). */
typedef struct nb_layers_train_desc {
    nb_layers_train_what train;
    double learning_rate;
    double beta1, beta2;
    double epsilon;
    double l1;
    double gamma_l1, gamma_l2;
    double bn_momentum;
    int threads;
} nb_layers_train_desc;

/* Copies desc into *out with every zero field replaced by its default. */
void nb_layers_train_desc_resolve(const nb_layers_train_desc *desc, nb_layers_train_desc *out);
/* Checks Adam's hyper-parameters (shared by nb_train_desc and nb_layers_train_desc): learning
 * rate in (0, 10], beta1 and beta2 in (0, 1), epsilon in (0, 1], L1 weight penalty in
 * [0, 100]. NB_OK or NB_E_INVALID with subject "train learning_rate", "train beta1", "train
 * beta2", "train epsilon" or "train l1". */
nb_status nb_layers_check_adam(double learning_rate, double beta1, double beta2, double epsilon,
                               double l1);
/* Checks a resolved desc against the ranges above: NB_OK or NB_E_INVALID naming the field
 * ("train learning_rate", ...). */
nb_status nb_layers_train_desc_validate(const nb_layers_train_desc *desc);

/* A training run on one network: workspace for batches of up to max_batch samples, Adam
 * moments, gradients. Opaque. */
typedef struct nb_layers_trainer nb_layers_trainer;

/* Creates a trainer for net (n_ops > 0, shapes inferred; borrowed: it must outlive the trainer
 * and its operators' parameters are updated in place by nb_layers_trainer_step; the chain's
 * output, the logits, must have >= 2 values). Every workspace buffer is allocated here; steps
 * allocate nothing. Returns NB_OK, NB_E_INVALID (bad desc, max_batch 0, no operators, or
 * nothing to train: e.g. TRAIN_BN_GAMMA on a chain without BATCHNORM; subject "trainer"),
 * the shape statuses of nb_layers_forward, NB_E_NOMEM. On failure *out is NULL. */
nb_status nb_layers_trainer_create(nb_network *net, size_t max_batch,
                                   const nb_layers_train_desc *desc, nb_layers_trainer **out);
void nb_layers_trainer_destroy(nb_layers_trainer *tr); /* NULL is a no-op */

/* Threads of the following steps: 1 .. the count the trainer was created with (desc.threads,
 * or omp_get_max_threads()); values outside are clamped. Changes the speed only, never the
 * results (so a caller may let an nb_tuner pick the count per step). Returns the count set. */
int nb_layers_trainer_set_threads(nb_layers_trainer *tr, int threads);

/* One Adam step on the batch x[batch][in_c*in_h*in_w] with labels[batch] (< C): training-mode
 * forward, mean softmax cross-entropy of the logits (a final SOFTMAX is the one inside the
 * loss), backward, running statistics updated, Adam on the trained parameters (penalties added
 * to their gradients). *loss (may be NULL) gets the mean cross-entropy in nats, penalties not
 * included; *n_correct (may be NULL) the count of argmax(logits) == label.
 * Returns NB_OK, NB_E_INVALID (batch 0 or > max_batch), NB_E_MISMATCH (a label >= C, subject
 * "labels"), NB_E_NUMERIC (the loss is NaN or infinite, subject "training"; the parameters are
 * then left unchanged). */
nb_status nb_layers_trainer_step(nb_layers_trainer *tr, const float *x, const uint8_t *labels,
                                 size_t batch, double *loss, size_t *n_correct);

/* The step's forward and backward without any update (neither parameters nor running
 * statistics change): the mean cross-entropy, and the gradients of it (without penalties)
 * with respect to the trained parameters, readable with nb_layers_trainer_gradient until the
 * next call. If dx is not NULL it receives d loss / d x, float32[batch][in_c*in_h*in_w].
 * Statuses as nb_layers_trainer_step. For gradient checks and saliency. */
nb_status nb_layers_trainer_loss_grad(nb_layers_trainer *tr, const float *x, const uint8_t *labels,
                                      size_t batch, double *loss, size_t *n_correct, float *dx);

/* The parameter arrays of an operator, for nb_layers_trainer_gradient. */
typedef enum nb_layers_param {
    NB_LAYERS_PARAM_WEIGHT = 0, /* DENSE/CONV2D weight, nb_op_weight_count values */
    NB_LAYERS_PARAM_BIAS,       /* DENSE/CONV2D bias, out_c values */
    NB_LAYERS_PARAM_GAMMA,      /* BATCHNORM gamma, in_c values */
    NB_LAYERS_PARAM_BETA,       /* BATCHNORM beta, in_c values */
} nb_layers_param;

/* The gradient of the last step / loss_grad call for parameter array `which` of operator
 * `op_index`, laid out like that array; NULL when that array is not trained (or absent).
 * Owned by the trainer. */
const float *nb_layers_trainer_gradient(const nb_layers_trainer *tr, size_t op_index,
                                        nb_layers_param which);

#endif /* NB_LAYERS_H */
