/* nb_importance.h - per-class importance of every node and edge of a trained network.
 *
 * Source: reference spec §2.2-2.7. Strategies live in one table (nb_importance_strategies):
 *   "bn-gamma"  batch-norm gamma fine-tuning per class (§2.4), node importance = |gamma|
 *               normalised per layer over nodes and classes (§2.5); needs data.
 *   "magnitude" node importance 1 for every hidden/input node and class; alpha only.
 * Every strategy also fills edge alpha = |w| / (global max |w| of the layer pair) (fixes the
 * running row maximum of §2.5) and the one-hot output layer. A new criterion is one table entry.
 */
#ifndef NB_IMPORTANCE_H
#define NB_IMPORTANCE_H

#include <stddef.h>

#include "nb_config.h"
#include "nb_idx.h"
#include "nb_model.h"
#include "nb_status.h"

/* Called after each class finishes (from the calling thread); return false to cancel. */
typedef bool (*nb_importance_progress_fn)(void *user, size_t classes_done, size_t n_classes);

typedef struct nb_importance_strategy {
    const char *name;   /* config value of importance_method */
    bool needs_data;    /* true: train/test sets required */
    nb_status (*compute)(const nb_processing_config *cfg, const nb_network *net,
                         const nb_dataset *train, const nb_dataset *test,
                         nb_importance_progress_fn progress, void *user, nb_importance *out);
} nb_importance_strategy;

extern const nb_importance_strategy nb_importance_strategies[];
extern const size_t nb_importance_n_strategies;

/* Computes importance with cfg->importance_method. train/test may be NULL for strategies that
 * need no data. *out is initialised here (caller deinits with nb_importance_deinit).
 * Returns NB_OK, NB_E_MISMATCH (image size != n_0, class count != n_{L-1}; subject names the
 * data set), NB_E_CONFIG (bad flags), NB_E_MISSING (data required but NULL), NB_E_CANCELLED,
 * NB_E_NOMEM. Deterministic for a given cfg->seed whatever the thread count. */
nb_status nb_importance_compute(const nb_processing_config *cfg, const nb_network *net,
                                const nb_dataset *train, const nb_dataset *test,
                                nb_importance_progress_fn progress, void *user,
                                nb_importance *out);

/* Random per-class importance of spec §2.7 (for `nnbundle random`, tests, benchmarks):
 * per non-output node one random class gets max(u1,u2), the others min(u1,u2)^2; output
 * one-hot; alpha from the network's weights as above. */
nb_status nb_importance_random(const nb_network *net, uint64_t seed, nb_importance *out);

/* Fills imp->edge with alpha = |w| / max|w| per layer pair. */
void nb_importance_fill_alpha(const nb_network *net, nb_importance *imp);

#endif /* NB_IMPORTANCE_H */
