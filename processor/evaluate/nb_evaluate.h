/* nb_evaluate.h - pruning curves: does the importance order the edges the right way?
 *
 * Source: method.md §6 (evaluation), §3.4 and §6.1 (pruning scores), §2.3-2.5
 * (importance). For each method and prune level p, the round(p * E) lowest-scoring edges are
 * zeroed in a COPY of the network (nb_prune_mask; biases untouched) and the copy is evaluated:
 * mean cross-entropy, accuracy, and per class recall (TPR) and balanced one-vs-rest accuracy
 * (TPR + TNR) / 2 from arg-max predictions, on every data set given (test, train).
 *
 * Methods (names as in --methods and in the CSV):
 *   "alpha_mean_gamma"  alpha * mean_c gamma of the source node (NB_PRUNE_ALPHA_MEAN_GAMMA,
 *                       the reference's BNN_EDGE)
 *   "mean_gamma"        mean_c gamma of the source node (BNN_ONLY; effectively node pruning)
 *   "alpha"             alpha = |w| / max |w| of the layer pair (EDGE_ONLY)
 *   "random"            a seeded random order, averaged over `random_draws` draws
 *   "reverse"           alpha * mean gamma, MOST important pruned first (a lower bound)
 *   "importance"        the caller's edge scores of an importance method
 *                       (nb_importance_edge_scores), named in the CSV by desc->score_name
 * Class-specific mode scores edges by one class c only (nb_prune_scores with cls = c) and
 * asks whether class c keeps its recall better than the other classes (method.md §6.3 caveats:
 * the reference plotted "relative accuracy" from overall pruning instead).
 *
 * Differences from the reference: exact pruned counts (ties never prune more than p), the
 * global-max alpha of nb_importance, seeded random baseline, reverse-order lower bound,
 * per-class recall next to the balanced accuracy, train and test both measured.
 */
#ifndef NB_EVALUATE_H
#define NB_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nb_idx.h"
#include "nb_importance.h"
#include "nb_model.h"
#include "nb_status.h"

typedef enum nb_evaluate_method {
    NB_EVALUATE_ALPHA_MEAN_GAMMA = 0, /* "alpha_mean_gamma" */
    NB_EVALUATE_MEAN_GAMMA = 1,       /* "mean_gamma" */
    NB_EVALUATE_ALPHA = 2,            /* "alpha" */
    NB_EVALUATE_RANDOM = 3,           /* "random" */
    NB_EVALUATE_REVERSE = 4,          /* "reverse" */
    NB_EVALUATE_IMPORTANCE = 5,       /* desc->edge_scores, named desc->score_name */
    NB_EVALUATE_N_METHODS = 6,
} nb_evaluate_method;

/* The five orders made from a stored nb_importance (not NB_EVALUATE_IMPORTANCE). */
#define NB_EVALUATE_ALL_METHODS   ((1u << NB_EVALUATE_IMPORTANCE) - 1u)
#define NB_EVALUATE_MAX_LEVELS    1001
#define NB_EVALUATE_MAX_SETS      4
#define NB_EVALUATE_DEFAULT_DRAWS 5

/* "alpha_mean_gamma" etc. ("importance" for NB_EVALUATE_IMPORTANCE, whose points the CSV names
 * by their score_name); "unknown" outside the enum. Static storage. */
const char *nb_evaluate_method_name(nb_evaluate_method m);

/* Parses a comma list of method names ("alpha,random") into a bit set of (1u << method).
 * "all" selects every method of NB_EVALUATE_ALL_METHODS ("importance" is not a name here). Returns
 * NB_OK or NB_E_INVALID (subject "--methods", the unknown name in the reason); *mask is untouched
 * on failure. */
nb_status nb_evaluate_parse_methods(const char *list, unsigned *mask);

/* Parses a comma list of prune levels in PERCENT ("0,10,90,99.5") into fractions
 * levels[*n] in [0, 1], in the given order. At most max_n values. Returns NB_OK or
 * NB_E_INVALID (subject "--levels": junk, a value outside [0, 100], empty, or more than
 * max_n values); outputs untouched on failure. */
nb_status nb_evaluate_parse_levels(const char *list, double *levels, size_t max_n, size_t *n);

/* One data set to measure on. */
typedef struct nb_evaluate_set {
    const char *name;       /* "test", "train": the CSV's set column (no commas) */
    const char *source;     /* subject for errors, e.g. the data directory */
    const nb_dataset *data; /* images [n][n_0], labels < C */
} nb_evaluate_set;

/* Called after each evaluated network (from the calling thread); return false to cancel. */
typedef bool (*nb_evaluate_progress_fn)(void *user, size_t done, size_t total);

/* What to evaluate. Zero means default:
 *   levels / n_levels  [NULL/0]  fractions in [0, 1]; default 0, 0.1, ..., 1.0 (11 levels)
 *   methods            [0]       bit set of (1u << nb_evaluate_method); 0 = all five of
 *                                NB_EVALUATE_ALL_METHODS; class-specific mode: 0 =
 *                                alpha_mean_gamma only, and only alpha_mean_gamma, mean_gamma
 *                                and importance are allowed
 *   edge_scores        [NULL]    float32[C+1][E] edge scores (row c: class c's, row C: the
 *                                class-blind score; edge order of nb_prune.h;
 *                                nb_importance_edge_scores) for the "importance" method:
 *                                class-blind curves prune by row C, class c's by row c;
 *                                required when methods has NB_EVALUATE_IMPORTANCE
 *   score_name         [NULL]    the CSV's method column for those points (e.g. "taylor"; no
 *                                commas, < 32 characters; NULL: "importance")
 *   class_specific     [false]   score by one class at a time (every class of the network)
 *   seed               [0]       seed of the random order (any value valid)
 *   random_draws       [5]       draws averaged for "random", 1..1000
 *   progress, user     [NULL]    progress / cancellation callback */
typedef struct nb_evaluate_desc {
    const double *levels;
    size_t n_levels;
    unsigned methods;
    bool class_specific;
    uint64_t seed;
    size_t random_draws;
    const float *edge_scores;
    const char *score_name;
    nb_evaluate_progress_fn progress;
    void *user;
} nb_evaluate_desc;

/* Results: one "point" per (method, scored class, level), in method-major, then scored
 * class, then level order. Arrays are owned by the struct (nb_evaluate_result_deinit).
 * For "random" every value is the mean over the draws. */
typedef struct nb_evaluate_result {
    size_t n_points;
    size_t n_sets;
    size_t n_classes;                        /* C */
    size_t n_edges;                          /* E of the network */
    char set_name[NB_EVALUATE_MAX_SETS][16]; /* copied from the sets */
    char score_name[32];                     /* name of the "importance" points */
    nb_evaluate_method *method;              /* [n_points] */
    int *scored_class;                       /* [n_points] -1 = all classes, else c */
    double *level;                           /* [n_points] requested fraction in [0, 1] */
    size_t *n_pruned;                        /* [n_points] edges zeroed (= round(level * E)) */
    size_t *n_draws;                         /* [n_points] 1, or random_draws for "random" */
    double *loss;        /* [n_points][n_sets] mean softmax cross-entropy, nats */
    double *accuracy;    /* [n_points][n_sets] fraction of arg-max == label, [0, 1] */
    double *accuracy_sd; /* [n_points][n_sets] sample SD of accuracy over draws (0 if 1 draw) */
    double *recall;      /* [n_points][n_sets][C] TPR of class c; NaN if c has no images */
    double *balanced;    /* [n_points][n_sets][C] (TPR + TNR) / 2; NaN if undefined */
} nb_evaluate_result;

/* Checks that a loaded model can be evaluated: it has /importance (else NB_E_MISSING, subject
 * "<path> /importance", reason telling to run `nnbundle importance` first) whose shape matches
 * the network (else NB_E_MISMATCH, subject "<path> /importance"). `path` names the file. */
nb_status nb_evaluate_check_model(const nb_model *m, const char *path);

/* Checks that a data set fits the network: image size == n_0 and every label < C
 * (NB_E_MISMATCH), at least one image (NB_E_INVALID); subject = set->source (or name). */
nb_status nb_evaluate_check_set(const nb_network *net, const nb_evaluate_set *set);

/* Runs the pruning experiment described by desc on every set. net and imp are read only
 * (the pruned networks are private copies). imp must match net (nb_evaluate_check_model);
 * it may be NULL when the methods are only "importance" and "random" (NB_E_MISSING otherwise,
 * subject "importance").
 * *out is initialised here; on failure it is zeroed (nothing to free).
 * Returns NB_OK, NB_E_INVALID (bad level, method or draw count; subject "levels",
 * "methods", "random_draws"; more than NB_EVALUATE_MAX_SETS sets; no set), NB_E_MISMATCH
 * (see nb_evaluate_check_set; importance shape), NB_E_CANCELLED, NB_E_NOMEM.
 * Deterministic, bit for bit, for a given seed whatever the thread count.
 * Threads: OpenMP over fixed chunks of images (omp_get_max_threads() threads), each chunk
 * with single-threaded sgemm; OpenBLAS's thread count is set to 1 during the call and
 * restored afterwards, so do not run other BLAS work in parallel with this call.
 * Cost: one forward pass over every set per distinct pruned network (points x draws, minus
 * the shared unpruned and fully pruned networks, each evaluated once). */
nb_status nb_evaluate_run(const nb_network *net, const nb_importance *imp,
                          const nb_evaluate_set *sets, size_t n_sets, const nb_evaluate_desc *desc,
                          nb_evaluate_result *out);

void nb_evaluate_result_deinit(nb_evaluate_result *r); /* frees; safe on a zeroed struct */

/* Spearman rank correlation of a[n] and b[n] (average ranks for ties; Pearson correlation of
 * the ranks). NaN for n < 2 or a constant input. NB_OK or NB_E_NOMEM. */
nb_status nb_evaluate_spearman(const float *a, const float *b, size_t n, double *rho);

/* Split-half stability of an importance method's node ranking on one network: the training
 * images of every class are shuffled (nb_rng seeded with `seed`) and cut into two disjoint
 * halves; the method runs on each half (settings->seed = seed on the first, seed + 1 on the
 * second; test: the test set, which nb_importance_compute requires of every method that needs
 * data) and
 * rho[l] (l = 0..L-2: the input and hidden layers) is the Spearman correlation of the two
 * runs' class-mean node importance of layer l. seconds (may be NULL) gets the mean wall time
 * of one run. Returns NB_OK or the statuses of nb_importance_compute, NB_E_NOMEM. */
nb_status nb_evaluate_stability(const nb_importance_settings *settings, const nb_network *net,
                                const nb_dataset *train, const nb_dataset *test, uint64_t seed,
                                double *rho, double *seconds);

/* Per-class counts from arg-max predictions: recall[c] = TP_c / P_c and
 * balanced[c] = (TP_c / P_c + TN_c / N_c) / 2 over n predictions of labels < C.
 * NaN where P_c or N_c is 0. Exposed for tests. */
void nb_evaluate_class_metrics(const uint8_t *labels, const uint8_t *pred, size_t n, size_t C,
                               double *recall, double *balanced);

/* Writes the result as long-format CSV to f (header only when `header`; the
 * nb_evaluate_write_csv_stream form always writes it). Header:
 *   method,scored_class,level_percent,pruned_fraction,set,metric,class,value
 * method: a method name; scored_class: "all" or the class index used to score edges;
 * level_percent: requested level (0..100); pruned_fraction: n_pruned / E (0..1); set: set
 * name; metric and class:
 *   loss               all   mean cross-entropy (nats)
 *   accuracy           all   fraction correct
 *   accuracy_sd        all   SD over random draws (only for points with more than 1 draw)
 *   recall             c     TPR of class c
 *   balanced_accuracy  c     (TPR + TNR) / 2 of class c
 *   recall_others_mean c     class-specific points only: mean recall of the classes != c
 * value: %.9g, "nan" if undefined. Returns NB_OK or NB_E_IO (subject = `name`). */
nb_status nb_evaluate_write_csv_rows(const nb_evaluate_result *r, FILE *f, const char *name,
                                     bool header);
nb_status nb_evaluate_write_csv_stream(const nb_evaluate_result *r, FILE *f, const char *name);

/* Same, to `path`, written atomically (nb_file: temporary file beside it, fsync, rename;
 * nothing is left on failure). NB_OK or NB_E_IO (subject = path). */
nb_status nb_evaluate_write_csv(const nb_evaluate_result *r, const char *path);

#endif /* NB_EVALUATE_H */
