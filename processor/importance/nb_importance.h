/* nb_importance.h - per-class importance of every node and edge of a trained network.
 *
 * Source: method.md §2.2-2.7. Strategies live in one table indexed by
 * nb_importance_method (nb_importance_strategy_of), named by the importance_method key:
 *   "activation"  (default) per-class edge score |w_ji| rms_c(a_i) (Wanda, Sun et al. 2024;
 *                 nb_saliency.h); needs data; dense networks and operator chains.
 *   "taylor", "taylor-mean", "obd"  per-class gradient saliencies (nb_saliency.h); dense
 *                 networks only; need data.
 *   For these four: node importance of node i for class c = its class contrast: x_ic, the
 *   sum of class c's scores of its outgoing edges, divided by the layer's mean of x_.c,
 *   minus that ratio's mean over the node's classes, clamped at 0, normalised by the
 *   layer's maximum over nodes and classes (docs/importance.md); alpha = the class-blind
 *   score (nb_importance_edge_scores) / the pair's maximum.
 *   "bn-gamma"    batch-norm gamma fine-tuning per class (§2.4), node importance = |gamma|
 *                 normalised per layer over nodes and classes (§2.5); needs data.
 *   "magnitude"   node importance 1 for every hidden/input node and class; alpha only.
 *   For these two: alpha = |w| / (global max |w| of the layer pair) (fixes the running row
 *   maximum of §2.5).
 * Every strategy fills the one-hot output layer and records its name in imp->method. A new
 * criterion is one table row (plus its word in the importance_method key of
 * common/nb_processing_config.c). Methods, measurements and the differences from the
 * reference: docs/importance.md.
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

/* What an importance run reads: one field per processing key of the stage (the key is
 * importance_<field>, except seed); its meaning, default and range are the key's
 * (common/nb_processing_config.c, configs/README.md). A zero field means the key's default;
 * NB_SETTING_ZERO asks for 0 where the default is not 0. nb_importance_compute resolves and
 * validates the settings against the key table. */
typedef struct nb_importance_settings {
    nb_importance_method method;
    const char *flags; /* NULL: the default; "" no flags (not owned, read during compute) */
    int epochs;
    double learning_rate;
    int batch_size;
    double l1;
    double l2;
    int top_k;
    int seed;
} nb_importance_settings;

/* Checks cfg against the key table (nb_config_validate), then fills *out with the values of
 * its importance keys (zeros that are not the default become NB_SETTING_ZERO); flags points
 * into cfg. Returns NB_OK or NB_E_CONFIG ("processing <key>"; *out untouched). */
nb_status nb_importance_settings_from_config(const nb_processing_config *cfg,
                                             nb_importance_settings *out);

/* out = settings with every zero replaced by the key's default and NB_SETTING_ZERO by 0. */
void nb_importance_settings_resolve(const nb_importance_settings *settings,
                                    nb_importance_settings *out);

/* Resolves settings and checks every field against the key table (by writing the fields into
 * a default processing config and running nb_config_validate). Returns NB_OK or NB_E_CONFIG
 * with the table's subject and message ("processing importance_epochs": "0 is out of range
 * [1, 1000]"; "processing importance_flags": an unknown flag or flags longer than the key
 * holds). */
nb_status nb_importance_settings_validate(const nb_importance_settings *settings);

/* One importance method. The table of strategies is indexed by nb_importance_method; a
 * method's name is its enum word in the importance_method key (nb_importance_method_name). */
typedef struct nb_importance_strategy {
    bool needs_data; /* true: train/test sets required */
    /* settings are resolved and validated */
    nb_status (*compute)(const nb_importance_settings *settings, const nb_network *net,
                         const nb_dataset *train, const nb_dataset *test,
                         nb_importance_progress_fn progress, void *user, nb_importance *out);
} nb_importance_strategy;

/* The strategy of method, or NULL if the table has no row for it. */
const nb_importance_strategy *nb_importance_strategy_of(nb_importance_method method);

/* The name of method (its word in the importance_method key, "bn-gamma"), or NULL. Static
 * storage. */
const char *nb_importance_method_name(nb_importance_method method);

/* The strategy whose method is called `name` ("bn-gamma", "magnitude"), or NULL. */
const nb_importance_strategy *nb_importance_find_strategy(const char *name);

/* Computes importance with settings->method. train/test may be NULL for strategies that
 * need no data; when `test` is given and the resolved top_k > 0, out->top holds, for every
 * hidden node, the indices of the top_k test images with the largest ReLU output of the
 * trained network (largest first, ties by lower index; -1 where the test set is smaller).
 * *out is initialised here (caller deinits with nb_importance_deinit); on failure it is zeroed.
 * Returns NB_OK, NB_E_MISMATCH (image size != n_0, class count != n_{L-1}, a class without
 * images; subject "train set" / "test set"), NB_E_CONFIG (a setting outside its key's range,
 * as nb_importance_settings_validate; a method without a strategy: subject
 * "importance_method"), NB_E_INVALID (network with < 2 outputs),
 * NB_E_MISSING (data required but NULL; subject "train set" / "test set"), NB_E_NUMERIC
 * (fine-tuning diverged; subject "class c"), NB_E_CANCELLED, NB_E_NOMEM.
 * Deterministic for a given seed whatever the thread count: classes run in parallel
 * (OpenMP), each with its own workspace and nb_rng stream, with OpenBLAS single-threaded
 * inside (its thread count is restored afterwards). */
nb_status nb_importance_compute(const nb_importance_settings *settings, const nb_network *net,
                                const nb_dataset *train, const nb_dataset *test,
                                nb_importance_progress_fn progress, void *user, nb_importance *out);

/* Random per-class importance of method.md §2.7 (for `nnbundle random`, tests, benchmarks):
 * per non-output node one random class gets max(u1,u2), the others min(u1,u2)^2 (u uniform
 * in [0,1) from nb_rng seeded with `seed`, drawn layer by layer, node by node: u1, u2, class);
 * output one-hot; alpha from the network's weights as above (the reference draws alpha
 * uniformly; with a random network |w| is just as random). method "random", top_k 0.
 * *out is initialised here. Returns NB_OK, NB_E_INVALID (network with < 2 layers), NB_E_NOMEM. */
nb_status nb_importance_random(const nb_network *net, uint64_t seed, nb_importance *out);

/* Whether the images of ds fit the input of net: a classic network (or an operator chain on
 * a flat input, in_h = in_w = 1) takes ds->dim = n_0 values; a chain on images takes images of
 * exactly in_c x in_h x in_w (channels x rows x cols). NB_OK, or NB_E_MISMATCH with subject
 * `subject` saying both shapes. */
nb_status nb_importance_check_images(const nb_network *net, const nb_dataset *ds,
                                     const char *subject);

/* Fills imp->edge with alpha = |w| / max|w| per layer pair (the global maximum of the pair's
 * matrix; 0 everywhere for an all-zero matrix). imp must have the network's shape. */
void nb_importance_fill_alpha(const nb_network *net, nb_importance *imp);

/* The score of every edge under settings->method, the order it prunes in:
 * scores: float32[C+1][E] out (row c: class c's score, row C: the class-blind score; edge
 * order of nb_prune.h), >= 0, larger = more important. taylor, taylor-mean, obd, activation:
 * the method's own per-weight saliency (nb_saliency.h) over all training images of each
 * class, and as class-blind score the same statistic over every class's images, each class
 * weighted equally (the class mean of the rows; activation: their root mean square);
 * bn-gamma and magnitude: the pruning score alpha * node importance of the source node
 * (nb_prune_scores, NB_PRUNE_ALPHA_MEAN_GAMMA) for class c and for the class mean, i.e.
 * alpha * gamma_c and alpha * mean gamma for bn-gamma, alpha for magnitude. train/test as for
 * nb_importance_compute (test may be NULL for methods other than bn-gamma). Returns the
 * statuses of nb_importance_compute and nb_saliency_scores; scores undefined on failure. */
nb_status nb_importance_edge_scores(const nb_importance_settings *settings, const nb_network *net,
                                    const nb_dataset *train, const nb_dataset *test, float *scores);

#endif /* NB_IMPORTANCE_H */
