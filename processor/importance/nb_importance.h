/* nb_importance.h - per-class importance of every node and edge of a trained network.
 *
 * Source: reference spec §2.2-2.7. Strategies live in one table (nb_importance_strategies):
 *   "bn-gamma"  batch-norm gamma fine-tuning per class (§2.4), node importance = |gamma|
 *               normalised per layer over nodes and classes (§2.5); needs data.
 *   "magnitude" node importance 1 for every hidden/input node and class; alpha only.
 * Every strategy also fills edge alpha = |w| / (global max |w| of the layer pair) (fixes the
 * running row maximum of §2.5) and the one-hot output layer. A new criterion is one table entry
 * (plus its name in the importance_method key of nb_config). Method, flags and the
 * differences from the reference: docs/importance.md.
 */
#ifndef NB_IMPORTANCE_H
#define NB_IMPORTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_config.h"
#include "nb_idx.h"
#include "nb_model.h"
#include "nb_status.h"

/* Called from the thread that called nb_importance_compute whenever the number of finished
 * classes has grown (possibly while other threads still train: it runs on the calling thread
 * inside the parallel region, never concurrently with itself).
 * When it runs, out->finetune_accuracy[c] already holds the fine-tune test accuracy of every
 * finished class c (NaN for the others), so a caller that keeps a pointer to `out` in `user`
 * may report it. Return false to cancel: running classes stop at their next epoch and
 * nb_importance_compute returns NB_E_CANCELLED. */
typedef bool (*nb_importance_progress_fn)(void *user, size_t classes_done, size_t n_classes);

typedef struct nb_importance_strategy {
    const char *name; /* config value of importance_method */
    bool needs_data;  /* true: train/test sets required */
    nb_status (*compute)(const nb_processing_config *cfg, const nb_network *net,
                         const nb_dataset *train, const nb_dataset *test,
                         nb_importance_progress_fn progress, void *user, nb_importance *out);
} nb_importance_strategy;

extern const nb_importance_strategy nb_importance_strategies[];
extern const size_t nb_importance_n_strategies;

/* The strategy called `name` ("bn-gamma", "magnitude"), or NULL. */
const nb_importance_strategy *nb_importance_find_strategy(const char *name);

/* The strategy selected by cfg->importance_method (through the config key's enum names), or
 * NULL if the value names none. */
const nb_importance_strategy *nb_importance_strategy_of(const nb_processing_config *cfg);

/* Computes importance with cfg->importance_method. train/test may be NULL for strategies that
 * need no data; when `test` is given and cfg->importance_top_k > 0, out->top holds, for every
 * hidden node, the indices of the top_k test images with the largest ReLU output of the
 * trained network (largest first, ties by lower index; -1 where the test set is smaller).
 * *out is initialised here (caller deinits with nb_importance_deinit); on failure it is zeroed.
 * Config keys read: importance_method, importance_flags, importance_epochs,
 * importance_learning_rate, importance_batch_size, importance_l1, importance_l2,
 * importance_top_k, seed.
 * Returns NB_OK, NB_E_MISMATCH (image size != n_0, class count != n_{L-1}, a class without
 * images; subject "train set" / "test set"), NB_E_CONFIG (unknown method or flags; subject
 * "importance_method" / "importance_flags"; epochs, batch size or learning rate < 1 / <= 0, or
 * a negative penalty factor: subject "importance"), NB_E_INVALID (network with < 2 outputs),
 * NB_E_MISSING (data required but NULL; subject "train set" / "test set"), NB_E_NUMERIC
 * (fine-tuning diverged; subject "class c"), NB_E_CANCELLED, NB_E_NOMEM.
 * Deterministic for a given cfg->seed whatever the thread count: classes run in parallel
 * (OpenMP), each with its own workspace and nb_rng stream, with OpenBLAS single-threaded
 * inside (its thread count is restored afterwards). */
nb_status nb_importance_compute(const nb_processing_config *cfg, const nb_network *net,
                                const nb_dataset *train, const nb_dataset *test,
                                nb_importance_progress_fn progress, void *user, nb_importance *out);

/* Random per-class importance of spec §2.7 (for `nnbundle random`, tests, benchmarks):
 * per non-output node one random class gets max(u1,u2), the others min(u1,u2)^2 (u uniform
 * in [0,1) from nb_rng seeded with `seed`, drawn layer by layer, node by node: u1, u2, class);
 * output one-hot; alpha from the network's weights as above (the reference draws alpha
 * uniformly; with a random network |w| is just as random). method "random", top_k 0.
 * *out is initialised here. Returns NB_OK, NB_E_INVALID (network with < 2 layers), NB_E_NOMEM. */
nb_status nb_importance_random(const nb_network *net, uint64_t seed, nb_importance *out);

/* Fills imp->edge with alpha = |w| / max|w| per layer pair (the global maximum of the pair's
 * matrix; 0 everywhere for an all-zero matrix). imp must have the network's shape. */
void nb_importance_fill_alpha(const nb_network *net, nb_importance *imp);

#endif /* NB_IMPORTANCE_H */
