/* nb_train.h - training a dense ReLU network, or a CNN described by a short architecture
 * string, with a softmax output on a data set.
 *
 * Mini-batch Adam on the mean softmax cross-entropy, optionally plus an L1 penalty
 * lambda * sum |w| on the weights (not the biases). Weights start Glorot-uniform
 * (nb_random_glorot_uniform), biases at zero; the training set is shuffled every epoch with
 * a seeded nb_rng. Sources: D. P. Kingma, J. Ba, "Adam: A Method for Stochastic
 * Optimization", ICLR 2015 (Algorithm 1, in PyTorch's form: the update is
 * lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)); Glorot & Bengio 2010.
 *
 * Threading: data-parallel over fixed shards of each batch (OpenMP), each shard on
 * single-threaded OpenBLAS sgemm; partial gradients are summed in shard order. The result is
 * bit-identical for a given seed and data set whatever the thread count (OMP_NUM_THREADS,
 * --threads and desc.threads change only the speed); tests/test_train.c checks 1 vs 2
 * threads. A step is about a millisecond of work with two barriers, which only pays on
 * cores that are free: by default (desc.threads = 0) each step runs on 1 thread or on
 * omp_get_max_threads(), whichever measured faster lately (on 2 cores at load average 10,
 * fixed 2 threads took 141 s for what 1 thread did in 11 s). The number of OpenBLAS threads
 * is set to 1 during nb_train_network and restored afterwards, so do not call it while
 * another thread of the process uses OpenBLAS.
 */
#ifndef NB_TRAIN_H
#define NB_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_idx.h"
#include "nb_model.h"
#include "nb_status.h"

#define NB_TRAIN_MAX_HIDDEN 16

/* ---- architectures (`nnbundle train --arch`) ---------------------------------------------- */

#define NB_TRAIN_MAX_ARCH 32 /* blocks of an architecture string */

/* One block of an architecture string. */
typedef enum nb_train_block {
    NB_TRAIN_BLOCK_CONV = 1, /* "convN": 3x3 convolution, stride 1, padding 1, N channels, ReLU */
    NB_TRAIN_BLOCK_POOL,     /* "pool":  2x2 max pooling, stride 2 */
    NB_TRAIN_BLOCK_FC,       /* "fcN":   dense layer of N units, ReLU */
} nb_train_block;

/* A parsed architecture: blocks in order. n = 0 means none (the dense network of
 * nb_train_desc.hidden). */
typedef struct nb_train_arch {
    size_t n;
    nb_train_block kind[NB_TRAIN_MAX_ARCH];
    size_t size[NB_TRAIN_MAX_ARCH]; /* CONV: channels 1..4096; FC: units 1..1000000; POOL: 0 */
} nb_train_arch;

/* Parses "conv32-pool-conv64-pool-fc128": blocks joined by '-', each "convN", "pool" or "fcN"
 * (lower case, N decimal), at most NB_TRAIN_MAX_ARCH; convolutions and pooling come before the
 * dense layers. The dense output layer to the classes is implied (see nb_train_arch_build).
 * Returns NB_OK or NB_E_INVALID with subject "train arch" and a reason naming the block
 * (empty string or block, unknown block, bad or out-of-range N, conv/pool after fc, too many
 * blocks). On failure *arch is zeroed. */
nb_status nb_train_arch_parse(const char *text, nb_train_arch *arch);

/* Writes the architecture string back ("conv32-pool-fc128") into buf (capacity cap, NUL
 * terminated, truncated if too small). Returns buf. */
const char *nb_train_arch_format(const nb_train_arch *arch, char *buf, size_t cap);

/* Builds the operator chain of arch for images in_c x in_h x in_w and n_classes classes into
 * *net (initialised here; the caller deinits): convN -> CONV2D + RELU, pool -> MAXPOOL, the
 * first fcN after a convolution or pooling -> FLATTEN + DENSE + RELU (later ones DENSE + RELU),
 * then the output DENSE to n_classes, without activation (the softmax is in the loss and in
 * the reading of the logits). A trailing fcN with N = n_classes is that output layer, not a
 * hidden one. Shapes are inferred (nb_graph_infer_shapes); weights are Glorot-uniform with
 * fan-in in_c*kh*kw and fan-out out_c*kh*kw (dense: inputs and units), operator k from
 * nb_rng stream (seed, 1000 + k); biases zero. The graph view is not built (n_layers 0; call
 * nb_graph_build). Class names "0".."C-1", activation "relu".
 * Returns NB_OK, NB_E_INVALID (subject "train arch": a pool on an input smaller than 2x2, an
 * empty or bad arch, n_classes < 2), NB_E_NOMEM. On failure *net is zeroed. */
nb_status nb_train_arch_build(const nb_train_arch *arch, size_t in_c, size_t in_h, size_t in_w,
                              size_t n_classes, uint64_t seed, nb_network *net);

/* What happened in one epoch, passed to nb_train_desc.on_epoch. */
typedef struct nb_train_epoch_stats {
    int epoch;             /* 1-based */
    int epochs;            /* total */
    double loss;           /* mean cross-entropy over the epoch's batches (nats; without L1) */
    double l1_penalty;     /* lambda * sum |w| at the end of the epoch (0 when l1 = 0) */
    double train_accuracy; /* running accuracy over the epoch's batches (weights changing) */
    double test_accuracy;  /* on the test set after the epoch; NaN without a test set */
    double test_loss;      /* mean cross-entropy on the test set; NaN without a test set */
    double seconds;        /* wall time of the epoch, test evaluation included */
} nb_train_epoch_stats;

/* Called after each epoch from the calling thread; return false to stop (NB_E_CANCELLED). */
typedef bool (*nb_train_epoch_fn)(void *user, const nb_train_epoch_stats *stats);

/* Training settings. Zero means "use the default" (in brackets):
 *   n_hidden, hidden  [2, {81, 49}]  hidden layer sizes (1..NB_TRAIN_MAX_HIDDEN layers, each
 *                                    >= 1). The input and output layers come from the data.
 *   epochs            [15]           passes over the training set, 1..100000
 *   batch_size        [128]          images per Adam step, 1..1048576 (the last batch of an
 *                                    epoch holds the remainder)
 *   learning_rate     [1e-3]         Adam step size, (0, 10]
 *   beta1, beta2      [0.9, 0.999]   Adam moment decay rates, (0, 1)
 *   epsilon           [1e-8]         Adam denominator guard, (0, 1]
 *   l1                [0]            L1 penalty factor lambda on weights, [0, 100]; subgradient
 *                                    lambda * sign(w) (sign(0) = 0), biases exempt
 *   seed              [1]            initial weights and shuffling; 0 means 1
 *   dataset_name      [""]           provenance stored in the network (a path or a name)
 *   threads           [0]            threads per step: 0 = adaptive, switching between 1
 *                                    and omp_get_max_threads() by measured step time (see
 *                                    below); N > 0 = always N (for tests and benchmarks)
 *   on_epoch, user    [none]         progress callback
 *   arch              [none]         a CNN (nb_train_arch_build) instead of the dense
 *                                    network of n_hidden/hidden (which are then ignored);
 *                                    trained by the operator engine (nb_layers.h): the same
 *                                    Adam, shuffling and epochs, no L1 on biases, every step
 *                                    on `threads` threads (0 = omp_get_max_threads()); the
 *                                    result does not depend on the thread count either
 * Progress bars and log lines follow nb_log's level (NB_LOG_QUIET silences them).
 */
typedef struct nb_train_desc {
    size_t n_hidden;
    size_t hidden[NB_TRAIN_MAX_HIDDEN];
    int epochs;
    size_t batch_size;
    double learning_rate;
    double beta1;
    double beta2;
    double epsilon;
    double l1;
    uint64_t seed;
    const char *dataset_name;
    int threads;
    nb_train_epoch_fn on_epoch;
    void *user;
    nb_train_arch arch;
} nb_train_desc;

/* Copies desc into *out with every zero field replaced by its default. */
void nb_train_desc_resolve(const nb_train_desc *desc, nb_train_desc *out);

/* Checks a resolved desc against the ranges above. Returns NB_OK or NB_E_INVALID with the
 * field named in the subject ("train epochs", "train hidden", ...). */
nb_status nb_train_desc_validate(const nb_train_desc *desc);

/* Trains a network of shape [train->dim, hidden..., C] with C = train->n_classes (or, with
 * desc->arch, the CNN it describes on images train->channels x rows x cols; the result has its
 * operators and its graph view, nb_graph_build) and writes it to *net (initialised here; the
 * caller deinits it). `test` may be NULL; if given it is
 * evaluated after every epoch (logged, passed to on_epoch) and its final accuracy stored.
 * Progress: one nb_progress bar per epoch with the running loss, then a log line with the
 * epoch's loss, running train accuracy and test accuracy.
 * Provenance in *net: source "train", dataset = desc->dataset_name, epochs, seed, l1,
 * train_accuracy (whole training set, final weights), test_accuracy (NaN without test).
 * Returns NB_OK; NB_E_INVALID (bad desc; training set empty or with < 2 classes: subject
 * "training set"; an arch that does not fit the images: subject "train arch"); NB_E_MISMATCH (test
 * image size differs from the training set's, or a test label >= C: subject "test set");
 * NB_E_NUMERIC (the loss became NaN or infinite: subject "training", diverged, lower the learning
 * rate); NB_E_CANCELLED (on_epoch returned false); NB_E_NOMEM. On failure *net is zeroed. */
nb_status nb_train_network(const nb_train_desc *desc, const nb_dataset *train,
                           const nb_dataset *test, nb_network *net);

#endif /* NB_TRAIN_H */
