/* nb_evaluate.c - pruning curves that test whether the importance orders edges correctly.
 *
 * DESIGN. Data flow: (network, importance, data sets) -> per (method, scored class) a score
 * per edge (nb_prune_scores; negated for "reverse"; seeded uniform draws for "random") ->
 * per level an exact-count keep mask (nb_prune_mask: round(p * E) lowest scores zeroed, ties
 * by edge index) -> a private copy of the weights with the pruned edges set to 0 (biases
 * untouched, method.md §6.2) -> a chunked forward pass on every set (loss, accuracy, arg-max
 * predictions) -> per-class recall and balanced accuracy from the confusion counts -> means
 * (and the accuracy SD) over random draws -> nb_evaluate_result -> long-format CSV.
 * Algorithm: method.md §6.1-6.2, with the differences listed in nb_evaluate.h.
 * The unpruned and the fully pruned networks are the same whatever the order, so each is
 * evaluated once and reused (11 levels x 9 orders -> 9 * 9 + 2 forward passes).
 * Threading: each data set is cut into fixed chunks of NB_EVALUATE_CHUNK images; an OpenMP
 * loop runs one chunk per iteration (dense layers = single-threaded OpenBLAS sgemm through
 * nb_mlp_dense_forward, ReLU, softmax cross-entropy, arg-max) on a per-thread workspace
 * allocated before the region; per-chunk loss sums and correct counts are reduced in chunk
 * order afterwards. OpenBLAS is set to one thread for the duration of nb_evaluate_run (and
 * restored): with its own threads, sgemm rounds differently for 1 and 2 threads, and its
 * spinning workers fought the OpenMP threads (10x slower on 2 shared cores, measured).
 * So every value is bit-identical whatever the thread count. Masking and counting are
 * serial O(E + n C).
 * Networks with operators (CNNs, imported models; docs/models.md): edges are those of the
 * graph view; a pruned edge zeroes the operator parameters that make it (nb_prune_apply_ops:
 * a convolution's kernel slice W[o][i], a dense layer's block of one channel's inputs), and
 * the forward pass is the operator engine's (nb_layers_forward, which spreads the images of a
 * chunk over the OpenMP threads with a fixed reduction order), chunk after chunk; loss,
 * accuracy and predictions as for dense networks. Results are again independent of the
 * thread count.
 * The "importance" method prunes by caller-given edge scores (desc->edge_scores: row C
 * class-blind, row c class c's), so every importance method can be tested by its own
 * per-edge score. nb_evaluate_stability runs an importance method on two disjoint halves of
 * the training set and compares the node rankings (Spearman with average ranks for ties).
 * Config keys read: none (levels, methods, seed and draws come from nb_evaluate_desc).
 */
#include "nb_evaluate.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nb_file.h"
#include "nb_importance.h"
#include "nb_layers.h"
#include "nb_log.h"
#include "nb_mlp.h"
#include "nb_prune.h"
#include "nb_rng.h"

/* Images per forward chunk: large enough for efficient sgemm, small enough for cache and
 * for balancing 60 chunks of the 60 000-image training set over the threads. */
#define NB_EVALUATE_CHUNK 1024

static const char *const method_names[NB_EVALUATE_N_METHODS] = {
    "alpha_mean_gamma", "mean_gamma", "alpha", "random", "reverse", "importance",
};

const char *nb_evaluate_method_name(nb_evaluate_method m) {
    if ((int)m < 0 || m >= NB_EVALUATE_N_METHODS)
        return "unknown";
    return method_names[m];
}

nb_status nb_evaluate_parse_methods(const char *list, unsigned *mask) {
    if (!list || !*list)
        return NB_RAISE(NB_E_INVALID, "--methods", "empty method list");
    unsigned bits = 0;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool found = false;
        if (len == 3 && !strncmp(p, "all", 3)) {
            bits |= NB_EVALUATE_ALL_METHODS;
            found = true;
        }
        for (int m = 0; m < NB_EVALUATE_IMPORTANCE && !found; m++) {
            if (strlen(method_names[m]) == len && !strncmp(p, method_names[m], len)) {
                bits |= 1u << m;
                found = true;
            }
        }
        if (!found)
            return NB_RAISE(NB_E_INVALID, "--methods",
                            "unknown method '%.*s' (alpha_mean_gamma, mean_gamma, alpha, "
                            "random, reverse, all)",
                            (int)(len > 64 ? 64 : len), p);
        if (!end)
            break;
        p = end + 1;
        if (!*p)
            return NB_RAISE(NB_E_INVALID, "--methods", "trailing comma in '%s'", list);
    }
    *mask = bits;
    return NB_OK;
}

nb_status nb_evaluate_parse_levels(const char *list, double *levels, size_t max_n, size_t *n) {
    if (!list || !*list)
        return NB_RAISE(NB_E_INVALID, "--levels", "empty level list");
    double *tmp = malloc((max_n ? max_n : 1) * sizeof *tmp);
    if (!tmp)
        return NB_RAISE(NB_E_NOMEM, "--levels", "%zu levels", max_n);
    size_t k = 0;
    const char *p = list;
    for (;;) {
        char *end = NULL;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || (*end && *end != ',') || !isfinite(v) || v < 0.0 || v > 100.0) {
            size_t len = strcspn(p, ",");
            free(tmp);
            return NB_RAISE(NB_E_INVALID, "--levels", "'%.*s' is not a percentage in [0, 100]",
                            (int)(len > 64 ? 64 : len), p);
        }
        if (k >= max_n) {
            free(tmp);
            return NB_RAISE(NB_E_INVALID, "--levels", "more than %zu levels", max_n);
        }
        tmp[k++] = v / 100.0;
        if (!*end)
            break;
        p = end + 1;
    }
    memcpy(levels, tmp, k * sizeof *levels);
    *n = k;
    free(tmp);
    return NB_OK;
}

/* Shape agreement of importance and network; `subject` names the importance. */
static nb_status check_shape(const nb_network *net, const nb_importance *imp, const char *subject) {
    if (imp->n_layers != net->n_layers)
        return NB_RAISE(NB_E_MISMATCH, subject, "%zu layers, the network has %zu", imp->n_layers,
                        net->n_layers);
    for (size_t l = 0; l < net->n_layers; l++)
        if (imp->layer_size[l] != net->layer_size[l])
            return NB_RAISE(NB_E_MISMATCH, subject, "layer %zu has %zu nodes, the network %zu", l,
                            imp->layer_size[l], net->layer_size[l]);
    if (imp->n_classes != net->n_classes)
        return NB_RAISE(NB_E_MISMATCH, subject, "%zu classes, the network has %zu", imp->n_classes,
                        net->n_classes);
    return NB_OK;
}

nb_status nb_evaluate_check_model(const nb_model *m, const char *path) {
    char subject[NB_NAME_MAX + 32];
    const char *p = path ? path : "model";
    if (!m->has_network) {
        snprintf(subject, sizeof subject, "%s /network", p);
        return NB_RAISE(NB_E_MISSING, subject, "the file holds no network");
    }
    snprintf(subject, sizeof subject, "%s /importance", p);
    if (!m->has_importance)
        return NB_RAISE(NB_E_MISSING, subject,
                        "the file holds no importance; run `nnbundle importance %s --data DIR` "
                        "first",
                        p);
    return check_shape(&m->network, &m->importance, subject);
}

nb_status nb_evaluate_check_set(const nb_network *net, const nb_evaluate_set *set) {
    const char *subject = set->source ? set->source : set->name;
    const nb_dataset *ds = set->data;
    const size_t C = net->n_classes;
    if (!ds || ds->n == 0)
        return NB_RAISE(NB_E_INVALID, subject, "the %s set has no images", set->name);
    if (net->n_ops > 0) {
        NB_TRY(nb_importance_check_images(net, ds, subject));
    } else if (ds->dim != net->layer_size[0]) {
        return NB_RAISE(NB_E_MISMATCH, subject,
                        "%s images have %zu pixels (%zux%zu), the network's input layer has %zu "
                        "nodes",
                        set->name, ds->dim, ds->rows, ds->cols, net->layer_size[0]);
    }
    for (size_t i = 0; i < ds->n; i++)
        if (ds->labels[i] >= C)
            return NB_RAISE(NB_E_MISMATCH, subject,
                            "%s label %u of image %zu is not below the network's %zu classes",
                            set->name, (unsigned)ds->labels[i], i, C);
    return NB_OK;
}

void nb_evaluate_class_metrics(const uint8_t *labels, const uint8_t *pred, size_t n, size_t C,
                               double *recall, double *balanced) {
    /* one pass per class: O(n C), negligible next to a forward pass */
    for (size_t c = 0; c < C; c++) {
        size_t pos = 0, predicted = 0, tp = 0;
        for (size_t i = 0; i < n; i++) {
            const bool is_c = labels[i] == c, said_c = pred[i] == c;
            pos += is_c;
            predicted += said_c;
            tp += is_c && said_c;
        }
        const size_t neg = n - pos;
        const size_t tn = neg - (predicted - tp);
        const double tpr = pos ? (double)tp / (double)pos : NAN;
        const double tnr = neg ? (double)tn / (double)neg : NAN;
        recall[c] = tpr;
        balanced[c] = 0.5 * (tpr + tnr);
    }
}

void nb_evaluate_result_deinit(nb_evaluate_result *r) {
    if (!r)
        return;
    free(r->method);
    free(r->scored_class);
    free(r->level);
    free(r->n_pruned);
    free(r->n_draws);
    free(r->loss);
    free(r->accuracy);
    free(r->accuracy_sd);
    free(r->recall);
    free(r->balanced);
    memset(r, 0, sizeof *r);
}

static nb_status result_alloc(nb_evaluate_result *r, size_t n_points, size_t n_sets, size_t C) {
    memset(r, 0, sizeof *r);
    r->n_points = n_points;
    r->n_sets = n_sets;
    r->n_classes = C;
    const size_t ps = n_points * n_sets, psc = ps * C;
    r->method = calloc(n_points, sizeof *r->method);
    r->scored_class = calloc(n_points, sizeof *r->scored_class);
    r->level = calloc(n_points, sizeof *r->level);
    r->n_pruned = calloc(n_points, sizeof *r->n_pruned);
    r->n_draws = calloc(n_points, sizeof *r->n_draws);
    r->loss = calloc(ps, sizeof *r->loss);
    r->accuracy = calloc(ps, sizeof *r->accuracy);
    r->accuracy_sd = calloc(ps, sizeof *r->accuracy_sd);
    r->recall = calloc(psc, sizeof *r->recall);
    r->balanced = calloc(psc, sizeof *r->balanced);
    if (!r->method || !r->scored_class || !r->level || !r->n_pruned || !r->n_draws || !r->loss ||
        !r->accuracy || !r->accuracy_sd || !r->recall || !r->balanced) {
        nb_evaluate_result_deinit(r);
        return NB_RAISE(NB_E_NOMEM, "evaluate", "results for %zu points", n_points);
    }
    return NB_OK;
}

/* Metrics of one pruned network on every set: [set] loss, accuracy, [set][C] recall and
 * balanced accuracy. */
typedef struct eval_metrics {
    double loss[NB_EVALUATE_MAX_SETS];
    double accuracy[NB_EVALUATE_MAX_SETS];
    double *recall;   /* [n_sets][C] */
    double *balanced; /* [n_sets][C] */
    bool valid;
} eval_metrics;

/* Everything one run needs, allocated once before the loops. */
typedef struct eval_work {
    const nb_network *net;
    const nb_evaluate_set *sets;
    size_t n_sets;
    size_t E;
    size_t *edge_offset;      /* [L] first global edge index of pair l */
    const float *edge_scores; /* [C][E] desc->edge_scores or NULL */
    nb_network pruned;        /* private copy whose weights are overwritten per level */
    float *scores;            /* [E] */
    uint8_t *keep;            /* [E] */
    uint8_t *pred;            /* [max set size] */
    size_t n_threads;         /* OpenMP threads the workspace was sized for */
    size_t ws_stride;         /* floats per thread in ws: 2 * chunk * widest layer */
    float *ws;                /* [n_threads][ws_stride] forward ping-pong buffers */
    float *logits;            /* [NB_EVALUATE_CHUNK][C] networks with operators */
    double *chunk_loss;       /* [max chunks] summed cross-entropy of each chunk */
    size_t *chunk_correct;    /* [max chunks] */
    eval_metrics cur, none_pruned, all_pruned;
} eval_work;

static void metrics_free(eval_metrics *m) {
    free(m->recall);
    free(m->balanced);
}

static nb_status metrics_alloc(eval_metrics *m, size_t n_sets, size_t C) {
    memset(m, 0, sizeof *m);
    m->recall = calloc(n_sets * C, sizeof *m->recall);
    m->balanced = calloc(n_sets * C, sizeof *m->balanced);
    if (!m->recall || !m->balanced) {
        metrics_free(m);
        return NB_RAISE(NB_E_NOMEM, "evaluate", "metric buffers");
    }
    return NB_OK;
}

static void metrics_copy(eval_metrics *dst, const eval_metrics *src, size_t n_sets, size_t C) {
    memcpy(dst->loss, src->loss, sizeof dst->loss);
    memcpy(dst->accuracy, src->accuracy, sizeof dst->accuracy);
    memcpy(dst->recall, src->recall, n_sets * C * sizeof *dst->recall);
    memcpy(dst->balanced, src->balanced, n_sets * C * sizeof *dst->balanced);
    dst->valid = true;
}

static void work_free(eval_work *w) {
    free(w->edge_offset);
    nb_network_deinit(&w->pruned);
    free(w->scores);
    free(w->keep);
    free(w->pred);
    free(w->ws);
    free(w->logits);
    free(w->chunk_loss);
    free(w->chunk_correct);
    metrics_free(&w->cur);
    metrics_free(&w->none_pruned);
    metrics_free(&w->all_pruned);
}

static nb_status work_init(eval_work *w, const nb_network *net, const nb_evaluate_set *sets,
                           size_t n_sets) {
    memset(w, 0, sizeof *w);
    w->net = net;
    w->sets = sets;
    w->n_sets = n_sets;
    w->E = nb_network_n_edges(net);
    size_t max_n = 0;
    for (size_t s = 0; s < n_sets; s++)
        if (sets[s].data->n > max_n)
            max_n = sets[s].data->n;
    const size_t L = net->n_layers, C = net->n_classes;
    w->edge_offset = calloc(L, sizeof *w->edge_offset);
    w->scores = malloc((w->E ? w->E : 1) * sizeof *w->scores);
    w->keep = malloc((w->E ? w->E : 1) * sizeof *w->keep);
    w->pred = malloc(max_n * sizeof *w->pred);
    size_t width = 0;
    for (size_t l = 0; l < L; l++)
        width = net->layer_size[l] > width ? net->layer_size[l] : width;
    const int max_threads = omp_get_max_threads();
    w->n_threads = max_threads > 0 ? (size_t)max_threads : 1;
    w->ws_stride = 2 * NB_EVALUATE_CHUNK * width;
    w->ws = malloc(w->n_threads * w->ws_stride * sizeof *w->ws);
    w->logits = malloc(NB_EVALUATE_CHUNK * C * sizeof *w->logits);
    const size_t max_chunks = (max_n + NB_EVALUATE_CHUNK - 1) / NB_EVALUATE_CHUNK;
    w->chunk_loss = malloc(max_chunks * sizeof *w->chunk_loss);
    w->chunk_correct = malloc(max_chunks * sizeof *w->chunk_correct);
    nb_status s = NB_OK;
    if (!w->edge_offset || !w->scores || !w->keep || !w->pred || !w->ws || !w->logits ||
        !w->chunk_loss || !w->chunk_correct)
        s = NB_RAISE(NB_E_NOMEM, "evaluate", "work buffers for %zu edges, %zu images", w->E, max_n);
    if (s == NB_OK)
        s = nb_network_copy(&w->pruned, net);
    if (s == NB_OK)
        s = metrics_alloc(&w->cur, n_sets, C);
    if (s == NB_OK)
        s = metrics_alloc(&w->none_pruned, n_sets, C);
    if (s == NB_OK)
        s = metrics_alloc(&w->all_pruned, n_sets, C);
    if (s != NB_OK) {
        work_free(w);
        memset(w, 0, sizeof *w);
        return s;
    }
    for (size_t l = 0; l + 1 < L; l++)
        w->edge_offset[l + 1] = w->edge_offset[l] + net->layer_size[l] * net->layer_size[l + 1];
    return NB_OK;
}

/* Forward pass of w->pruned over ds (validated: dim == n_0, labels < C): mean loss,
 * accuracy, and arg-max predictions into w->pred (first maximum wins, as in
 * nb_mlp_softmax_xent). One OpenMP iteration per chunk of NB_EVALUATE_CHUNK images; each
 * chunk is computed by one thread with single-threaded sgemm, so the result does not depend
 * on the thread count. */
/* Loss sum, correct count and arg-max predictions of one chunk's logits z[m][C]. */
static void score_chunk(eval_work *w, const float *z, const nb_dataset *ds, size_t i0, size_t m,
                        size_t k) {
    const size_t C = w->pruned.n_classes;
    size_t correct = 0;
    w->chunk_loss[k] = nb_mlp_softmax_xent(z, ds->labels + i0, m, C, NULL, &correct) * (double)m;
    w->chunk_correct[k] = correct;
    for (size_t r = 0; r < m; r++) {
        const float *row = z + r * C;
        size_t arg = 0;
        for (size_t c = 1; c < C; c++)
            if (row[c] > row[arg])
                arg = c;
        w->pred[i0 + r] = (uint8_t)arg;
    }
}

/* forward_set for a network with operators: the engine's forward, chunk after chunk (it
 * parallelises inside a chunk). */
static nb_status forward_set_ops(eval_work *w, const nb_dataset *ds, double *loss,
                                 double *accuracy) {
    const size_t n = ds->n, n_chunks = (n + NB_EVALUATE_CHUNK - 1) / NB_EVALUATE_CHUNK;
    for (size_t k = 0; k < n_chunks; k++) {
        const size_t i0 = k * NB_EVALUATE_CHUNK;
        const size_t m = n - i0 < NB_EVALUATE_CHUNK ? n - i0 : NB_EVALUATE_CHUNK;
        NB_TRY(nb_layers_forward(&w->pruned, ds->images + i0 * ds->dim, m, w->logits, NULL));
        score_chunk(w, w->logits, ds, i0, m, k);
    }
    double loss_sum = 0.0;
    size_t correct = 0;
    for (size_t k = 0; k < n_chunks; k++) {
        loss_sum += w->chunk_loss[k];
        correct += w->chunk_correct[k];
    }
    *loss = loss_sum / (double)n;
    *accuracy = (double)correct / (double)n;
    return NB_OK;
}

static void forward_set(eval_work *w, const nb_dataset *ds, double *loss, double *accuracy) {
    const nb_network *net = &w->pruned;
    const size_t L = net->n_layers, n0 = net->layer_size[0];
    const size_t n = ds->n;
    const ptrdiff_t n_chunks = (ptrdiff_t)((n + NB_EVALUATE_CHUNK - 1) / NB_EVALUATE_CHUNK);
    const int n_threads = (int)w->n_threads;
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
    for (ptrdiff_t k = 0; k < n_chunks; k++) {
        const int tid = omp_get_thread_num();
        float *buf0 = w->ws + (size_t)tid * w->ws_stride;
        float *buf1 = buf0 + w->ws_stride / 2;
        const size_t i0 = (size_t)k * NB_EVALUATE_CHUNK;
        const size_t m = n - i0 < NB_EVALUATE_CHUNK ? n - i0 : NB_EVALUATE_CHUNK;
        const float *in = ds->images + i0 * n0;
        float *out = buf0;
        for (size_t l = 0; l + 1 < L; l++) {
            const size_t n_in = net->layer_size[l], n_out = net->layer_size[l + 1];
            nb_mlp_dense_forward(in, m, n_in, nb_network_weight(net, l), nb_network_bias(net, l),
                                 n_out, out);
            if (l + 2 < L)
                for (size_t i = 0; i < m * n_out; i++)
                    out[i] = out[i] > 0.0f ? out[i] : 0.0f;
            in = out;
            out = out == buf0 ? buf1 : buf0;
        }
        score_chunk(w, in, ds, i0, m, (size_t)k);
    }
    double loss_sum = 0.0;
    size_t correct = 0;
    for (ptrdiff_t k = 0; k < n_chunks; k++) {
        loss_sum += w->chunk_loss[k];
        correct += w->chunk_correct[k];
    }
    *loss = loss_sum / (double)n;
    *accuracy = (double)correct / (double)n;
}

/* Copies the original weights into w->pruned, zeroing edges with keep == 0, then evaluates
 * the copy on every set into w->cur. */
static nb_status evaluate_masked(eval_work *w) {
    const nb_network *net = w->net;
    const size_t C = net->n_classes;
    if (net->n_ops > 0) {
        NB_TRY(nb_prune_apply_ops(net, w->keep, &w->pruned));
        for (size_t s = 0; s < w->n_sets; s++) {
            const nb_dataset *ds = w->sets[s].data;
            NB_TRY(forward_set_ops(w, ds, &w->cur.loss[s], &w->cur.accuracy[s]));
            nb_evaluate_class_metrics(ds->labels, w->pred, ds->n, C, w->cur.recall + s * C,
                                      w->cur.balanced + s * C);
        }
        return NB_OK;
    }
    for (size_t l = 0; l + 1 < net->n_layers; l++) {
        const size_t count = net->layer_size[l] * net->layer_size[l + 1];
        const float *src = nb_network_weight(net, l);
        float *dst = nb_network_weight(&w->pruned, l);
        const uint8_t *keep = w->keep + w->edge_offset[l];
        for (size_t k = 0; k < count; k++)
            dst[k] = keep[k] ? src[k] : 0.0f;
    }
    for (size_t s = 0; s < w->n_sets; s++) {
        const nb_dataset *ds = w->sets[s].data;
        forward_set(w, ds, &w->cur.loss[s], &w->cur.accuracy[s]);
        nb_evaluate_class_metrics(ds->labels, w->pred, ds->n, C, w->cur.recall + s * C,
                                  w->cur.balanced + s * C);
    }
    return NB_OK;
}

/* Evaluates the mask in w->keep (n_pruned edges zeroed) into w->cur, reusing the cached
 * unpruned / fully pruned results, which do not depend on the order. */
static nb_status evaluate_level(eval_work *w, size_t n_pruned) {
    const size_t C = w->net->n_classes;
    eval_metrics *cache = n_pruned == 0      ? &w->none_pruned
                          : n_pruned == w->E ? &w->all_pruned
                                             : NULL;
    if (cache && cache->valid) {
        metrics_copy(&w->cur, cache, w->n_sets, C);
        return NB_OK;
    }
    NB_TRY(evaluate_masked(w));
    if (cache)
        metrics_copy(cache, &w->cur, w->n_sets, C);
    return NB_OK;
}

/* Fills w->scores for (method, cls, draw). */
static nb_status method_scores(eval_work *w, const nb_importance *imp, nb_evaluate_method m,
                               int cls, uint64_t seed, size_t draw) {
    if (!imp && m != NB_EVALUATE_IMPORTANCE && m != NB_EVALUATE_RANDOM)
        return NB_RAISE(NB_E_MISSING, "importance", "method %s needs the stored importance",
                        nb_evaluate_method_name(m));
    switch (m) {
    case NB_EVALUATE_ALPHA_MEAN_GAMMA:
        return nb_prune_scores(imp, NB_PRUNE_ALPHA_MEAN_GAMMA, cls, w->scores);
    case NB_EVALUATE_MEAN_GAMMA:
        return nb_prune_scores(imp, NB_PRUNE_MEAN_GAMMA, cls, w->scores);
    case NB_EVALUATE_ALPHA:
        return nb_prune_scores(imp, NB_PRUNE_ALPHA, cls, w->scores);
    case NB_EVALUATE_REVERSE:
        NB_TRY(nb_prune_scores(imp, NB_PRUNE_ALPHA_MEAN_GAMMA, cls, w->scores));
        for (size_t e = 0; e < w->E; e++)
            w->scores[e] = -w->scores[e];
        return NB_OK;
    case NB_EVALUATE_IMPORTANCE: {
        /* row c: class c's score; row C: the class-blind score */
        const size_t row = cls >= 0 ? (size_t)cls : w->net->n_classes;
        memcpy(w->scores, w->edge_scores + row * w->E, w->E * sizeof *w->scores);
        return NB_OK;
    }
    case NB_EVALUATE_RANDOM: {
        nb_rng rng;
        nb_rng_init_stream(&rng, seed, (uint64_t)draw);
        for (size_t e = 0; e < w->E; e++)
            w->scores[e] = (float)nb_rng_uniform(&rng);
        return NB_OK;
    }
    default:
        return NB_RAISE(NB_E_INVALID, "methods", "unknown method %d", (int)m);
    }
}

static const double default_levels[] = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

/* The resolved desc of one run: levels, draws and methods with their defaults. */
typedef struct eval_plan {
    const double *levels;
    size_t n_levels;
    size_t draws;     /* draws of the random method */
    unsigned methods; /* bits of nb_evaluate_method */
    size_t n_scored;  /* scored classes per method: C (class-specific) or 1 */
    size_t n_points, total;
} eval_plan;

/* Resolves desc (NULL: all defaults) into *p and checks it. NB_E_INVALID ("levels",
 * "random_draws", "methods"). */
static nb_status plan_of(const nb_evaluate_desc *d, size_t C, eval_plan *p) {
    memset(p, 0, sizeof *p);
    p->levels = d->levels && d->n_levels ? d->levels : default_levels;
    p->n_levels =
        d->levels && d->n_levels ? d->n_levels : sizeof default_levels / sizeof *default_levels;
    p->draws = d->random_draws ? d->random_draws : NB_EVALUATE_DEFAULT_DRAWS;
    if (p->n_levels > NB_EVALUATE_MAX_LEVELS)
        return NB_RAISE(NB_E_INVALID, "levels", "%zu levels, at most %d", p->n_levels,
                        NB_EVALUATE_MAX_LEVELS);
    for (size_t k = 0; k < p->n_levels; k++)
        if (!(p->levels[k] >= 0.0 && p->levels[k] <= 1.0))
            return NB_RAISE(NB_E_INVALID, "levels", "level %g is not a fraction in [0, 1]",
                            p->levels[k]);
    if (p->draws > 1000)
        return NB_RAISE(NB_E_INVALID, "random_draws", "%zu draws, at most 1000", p->draws);
    unsigned methods = d->methods;
    if (methods & ~(NB_EVALUATE_ALL_METHODS | (1u << NB_EVALUATE_IMPORTANCE)))
        return NB_RAISE(NB_E_INVALID, "methods", "unknown method bits 0x%x", methods);
    if ((methods & (1u << NB_EVALUATE_IMPORTANCE)) && !d->edge_scores)
        return NB_RAISE(NB_E_INVALID, "methods", "method importance needs edge_scores");
    if (d->score_name && (strlen(d->score_name) >= 32 || strchr(d->score_name, ',')))
        return NB_RAISE(NB_E_INVALID, "methods", "score name '%s' is too long or has a comma",
                        d->score_name);
    if (d->class_specific) {
        if (!methods)
            methods = 1u << NB_EVALUATE_ALPHA_MEAN_GAMMA;
        const unsigned allowed = (1u << NB_EVALUATE_ALPHA_MEAN_GAMMA) |
                                 (1u << NB_EVALUATE_MEAN_GAMMA) | (1u << NB_EVALUATE_IMPORTANCE);
        if (methods & ~allowed)
            return NB_RAISE(NB_E_INVALID, "methods",
                            "class-specific pruning needs a class-dependent score "
                            "(alpha_mean_gamma, mean_gamma or importance)");
    } else if (!methods) {
        methods = NB_EVALUATE_ALL_METHODS;
    }
    p->methods = methods;
    p->n_scored = d->class_specific ? C : 1;
    for (int m = 0; m < NB_EVALUATE_N_METHODS; m++) {
        if (!(methods & (1u << m)))
            continue;
        p->n_points += p->n_scored * p->n_levels;
        p->total += p->n_scored * p->n_levels * (m == NB_EVALUATE_RANDOM ? p->draws : 1);
    }
    return NB_OK;
}

/* Every set valid for the network, with a short name without commas (it becomes a CSV
 * column value). */
static nb_status check_sets(const nb_network *net, const nb_evaluate_set *sets, size_t n_sets) {
    for (size_t s = 0; s < n_sets; s++) {
        NB_TRY(nb_evaluate_check_set(net, &sets[s]));
        if (!sets[s].name || strlen(sets[s].name) >= sizeof((nb_evaluate_result *)0)->set_name[0] ||
            strchr(sets[s].name, ','))
            return NB_RAISE(NB_E_INVALID, "sets", "set name '%s' is empty, too long or has a comma",
                            sets[s].name ? sets[s].name : "");
    }
    return NB_OK;
}

/* Adds the figures of the network just evaluated (w->cur) to point p of r. */
static void add_figures(nb_evaluate_result *r, const eval_work *w, size_t p) {
    const size_t n_sets = r->n_sets, C = r->n_classes;
    for (size_t s = 0; s < n_sets; s++) {
        const size_t ps = p * n_sets + s;
        r->loss[ps] += w->cur.loss[s];
        r->accuracy[ps] += w->cur.accuracy[s];
        r->accuracy_sd[ps] += w->cur.accuracy[s] * w->cur.accuracy[s];
        for (size_t c = 0; c < C; c++) {
            r->recall[ps * C + c] += w->cur.recall[s * C + c];
            r->balanced[ps * C + c] += w->cur.balanced[s * C + c];
        }
    }
}

/* Point p of r: sums over n_draws -> means; sum of squares -> sample SD. */
static void average_figures(nb_evaluate_result *r, size_t p, size_t n_draws) {
    const size_t n_sets = r->n_sets, C = r->n_classes;
    const double nd = (double)n_draws;
    for (size_t s = 0; s < n_sets; s++) {
        const size_t ps = p * n_sets + s;
        const double mean = r->accuracy[ps] / nd;
        double var = n_draws > 1 ? (r->accuracy_sd[ps] - nd * mean * mean) / (nd - 1.0) : 0.0;
        r->loss[ps] /= nd;
        r->accuracy[ps] = mean;
        r->accuracy_sd[ps] = var > 0.0 ? sqrt(var) : 0.0;
        for (size_t c = 0; c < C; c++) {
            r->recall[ps * C + c] /= nd;
            r->balanced[ps * C + c] /= nd;
        }
    }
}

/* The curve of method m scored for class cls (-1: all) at points base..base+n_levels: every
 * draw prunes at every level and evaluates; *done counts the networks for progress. */
static nb_status run_curve(eval_work *w, const nb_importance *imp, const eval_plan *p,
                           const nb_evaluate_desc *d, int m, int cls, size_t base,
                           nb_evaluate_result *r, size_t *done) {
    const size_t n_draws = m == NB_EVALUATE_RANDOM ? p->draws : 1;
    for (size_t k = 0; k < p->n_levels; k++) {
        r->method[base + k] = (nb_evaluate_method)m;
        r->scored_class[base + k] = cls;
        r->level[base + k] = p->levels[k];
        r->n_draws[base + k] = n_draws;
    }
    for (size_t draw = 0; draw < n_draws; draw++) {
        NB_TRY(method_scores(w, imp, (nb_evaluate_method)m, cls, d->seed, draw));
        for (size_t k = 0; k < p->n_levels; k++) {
            size_t n_pruned = 0;
            NB_TRY(nb_prune_mask(w->scores, w->E, p->levels[k], w->keep, &n_pruned));
            NB_TRY(evaluate_level(w, n_pruned));
            r->n_pruned[base + k] = n_pruned;
            add_figures(r, w, base + k);
            ++*done;
            if (d->progress && !d->progress(d->user, *done, p->total))
                return NB_RAISE(NB_E_CANCELLED, "evaluate", "cancelled after %zu of %zu networks",
                                *done, p->total);
        }
    }
    for (size_t k = 0; k < p->n_levels; k++) {
        average_figures(r, base + k, n_draws);
        /* a NaN loss (overflowing logits) would go into the CSV as "nan": name it instead */
        for (size_t s = 0; s < r->n_sets; s++) {
            const size_t ps = (base + k) * r->n_sets + s;
            if (!isfinite(r->loss[ps]) || isnan(r->accuracy[ps]))
                return NB_RAISE(NB_E_NUMERIC, r->set_name[s],
                                "%s loss at prune level %g%% (method %s, class %d): the "
                                "pruned network's outputs are not finite",
                                isnan(r->loss[ps]) ? "NaN" : "infinite", p->levels[k],
                                nb_evaluate_method_name((nb_evaluate_method)m), cls);
        }
    }
    return NB_OK;
}

nb_status nb_evaluate_run(const nb_network *net, const nb_importance *imp,
                          const nb_evaluate_set *sets, size_t n_sets, const nb_evaluate_desc *desc,
                          nb_evaluate_result *out) {
    const nb_evaluate_desc zero = {0};
    const nb_evaluate_desc *d = desc ? desc : &zero;
    const size_t C = net->n_classes;
    eval_plan plan;
    if (n_sets == 0 || n_sets > NB_EVALUATE_MAX_SETS)
        return NB_RAISE(NB_E_INVALID, "sets", "%zu data sets, expected 1..%d", n_sets,
                        NB_EVALUATE_MAX_SETS);
    NB_TRY(plan_of(d, C, &plan));
    if (imp)
        NB_TRY(check_shape(net, imp, "importance"));
    else if (plan.methods & NB_EVALUATE_ALL_METHODS & ~(1u << NB_EVALUATE_RANDOM))
        return NB_RAISE(NB_E_MISSING, "importance",
                        "no stored importance for the methods asked for");
    NB_TRY(check_sets(net, sets, n_sets));

    nb_evaluate_result r;
    NB_TRY(result_alloc(&r, plan.n_points, n_sets, C));
    eval_work w;
    nb_status st = work_init(&w, net, sets, n_sets);
    if (st != NB_OK) {
        nb_evaluate_result_deinit(&r);
        return st;
    }
    r.n_edges = w.E;
    w.edge_scores = d->edge_scores;
    snprintf(r.score_name, sizeof r.score_name, "%s", d->score_name ? d->score_name : "importance");
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    for (size_t s = 0; s < n_sets; s++)
        snprintf(r.set_name[s], sizeof r.set_name[s], "%s", sets[s].name);
    size_t point0 = 0, done = 0;
    for (int m = 0; m < NB_EVALUATE_N_METHODS && st == NB_OK; m++) {
        if (!(plan.methods & (1u << m)))
            continue;
        for (size_t ci = 0; ci < plan.n_scored && st == NB_OK; ci++)
            st = run_curve(&w, imp, &plan, d, m, d->class_specific ? (int)ci : -1,
                           point0 + ci * plan.n_levels, &r, &done);
        point0 += plan.n_scored * plan.n_levels;
    }
    openblas_set_num_threads(blas_threads);
    work_free(&w);
    if (st != NB_OK) {
        nb_evaluate_result_deinit(&r);
        return st;
    }
    *out = r;
    return NB_OK;
}

/* "%.9g", or "nan" for a NaN (printf's spelling varies between "nan" and "-nan"). */
static int print_value(FILE *f, double v) {
    return isnan(v) ? fprintf(f, "nan") : fprintf(f, "%.9g", v);
}

nb_status nb_evaluate_write_csv_stream(const nb_evaluate_result *r, FILE *f, const char *name) {
    return nb_evaluate_write_csv_rows(r, f, name, true);
}

nb_status nb_evaluate_write_csv_rows(const nb_evaluate_result *r, FILE *f, const char *name,
                                     bool header) {
    const size_t C = r->n_classes;
    bool ok = !header || fprintf(f, "method,scored_class,level_percent,pruned_fraction,set,"
                                    "metric,class,value\n") > 0;
    for (size_t p = 0; p < r->n_points && ok; p++) {
        char prefix[160];
        char scored[24];
        if (r->scored_class[p] < 0)
            snprintf(scored, sizeof scored, "all");
        else
            snprintf(scored, sizeof scored, "%d", r->scored_class[p]);
        const double frac = r->n_edges ? (double)r->n_pruned[p] / (double)r->n_edges : 0.0;
        for (size_t s = 0; s < r->n_sets && ok; s++) {
            snprintf(prefix, sizeof prefix, "%s,%s,%.9g,%.9g,%s",
                     r->method[p] == NB_EVALUATE_IMPORTANCE ? r->score_name
                                                            : nb_evaluate_method_name(r->method[p]),
                     scored, 100.0 * r->level[p], frac, r->set_name[s]);
            const size_t ps = p * r->n_sets + s;
            ok = ok && fprintf(f, "%s,loss,all,", prefix) > 0 && print_value(f, r->loss[ps]) > 0;
            ok = ok && fprintf(f, "\n%s,accuracy,all,", prefix) > 0 &&
                 print_value(f, r->accuracy[ps]) > 0;
            if (r->n_draws[p] > 1)
                ok = ok && fprintf(f, "\n%s,accuracy_sd,all,", prefix) > 0 &&
                     print_value(f, r->accuracy_sd[ps]) > 0;
            for (size_t c = 0; c < C && ok; c++)
                ok = fprintf(f, "\n%s,recall,%zu,", prefix, c) > 0 &&
                     print_value(f, r->recall[ps * C + c]) > 0;
            for (size_t c = 0; c < C && ok; c++)
                ok = fprintf(f, "\n%s,balanced_accuracy,%zu,", prefix, c) > 0 &&
                     print_value(f, r->balanced[ps * C + c]) > 0;
            if (r->scored_class[p] >= 0 && C > 1) {
                const size_t sc = (size_t)r->scored_class[p];
                double sum = 0.0;
                for (size_t c = 0; c < C; c++)
                    if (c != sc)
                        sum += r->recall[ps * C + c];
                ok = ok && fprintf(f, "\n%s,recall_others_mean,%zu,", prefix, sc) > 0 &&
                     print_value(f, sum / (double)(C - 1)) > 0;
            }
            ok = ok && fputc('\n', f) != EOF;
        }
    }
    if (!ok || ferror(f))
        return NB_RAISE(NB_E_IO, name, "cannot write CSV: %s", strerror(errno));
    return NB_OK;
}

nb_status nb_evaluate_write_csv(const nb_evaluate_result *r, const char *path) {
    nb_file_atomic a;
    NB_TRY(nb_file_atomic_begin(&a, path, true));
    nb_status s = nb_evaluate_write_csv_stream(r, a.stream, path);
    if (s != NB_OK) {
        nb_file_atomic_abort(&a);
        return s;
    }
    return nb_file_atomic_commit(&a);
}

/* ---- stability of a method's node ranking ------------------------------------------------ */

typedef struct rank_pair {
    float v;
    size_t i;
} rank_pair;

static int rank_pair_cmp(const void *a, const void *b) {
    const rank_pair *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

/* Average ranks (1-based) of v[n] into rank[n]; p: scratch [n]. */
static void average_ranks(const float *v, size_t n, rank_pair *p, double *rank) {
    for (size_t i = 0; i < n; i++)
        p[i] = (rank_pair){v[i], i};
    qsort(p, n, sizeof *p, rank_pair_cmp);
    for (size_t k = 0; k < n;) {
        size_t e = k + 1;
        while (e < n && p[e].v == p[k].v)
            e++;
        const double r = 0.5 * (double)(k + 1 + e); /* mean of ranks k+1 .. e */
        for (size_t t = k; t < e; t++)
            rank[p[t].i] = r;
        k = e;
    }
}

nb_status nb_evaluate_spearman(const float *a, const float *b, size_t n, double *rho) {
    *rho = NAN;
    if (n < 2)
        return NB_OK;
    rank_pair *p = malloc(n * sizeof *p);
    double *ra = malloc(n * sizeof *ra), *rb = malloc(n * sizeof *rb);
    if (!p || !ra || !rb) {
        free(p);
        free(ra);
        free(rb);
        return NB_RAISE(NB_E_NOMEM, "spearman", "ranks of %zu values", n);
    }
    average_ranks(a, n, p, ra);
    average_ranks(b, n, p, rb);
    const double mean = 0.5 * (double)(n + 1);
    double sab = 0.0, saa = 0.0, sbb = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double x = ra[i] - mean, y = rb[i] - mean;
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if (saa > 0.0 && sbb > 0.0)
        *rho = sab / sqrt(saa * sbb);
    free(p);
    free(ra);
    free(rb);
    return NB_OK;
}

/* A data set of the images idx[n] of src (images and labels copied; no class names). */
static nb_status subset_of(const nb_dataset *src, const uint32_t *idx, size_t n, nb_dataset *dst) {
    memset(dst, 0, sizeof *dst);
    dst->n = n;
    dst->channels = src->channels;
    dst->rows = src->rows;
    dst->cols = src->cols;
    dst->dim = src->dim;
    dst->n_classes = src->n_classes;
    dst->images = malloc((n ? n : 1) * src->dim * sizeof *dst->images);
    dst->labels = malloc((n ? n : 1) * sizeof *dst->labels);
    if (!dst->images || !dst->labels) {
        nb_dataset_deinit(dst);
        return NB_RAISE(NB_E_NOMEM, "stability", "half of the training set (%zu images)", n);
    }
    for (size_t k = 0; k < n; k++) {
        memcpy(dst->images + k * src->dim, src->images + (size_t)idx[k] * src->dim,
               src->dim * sizeof *dst->images);
        dst->labels[k] = src->labels[idx[k]];
    }
    return NB_OK;
}

/* Class-mean node importance of layer l of imp into v[n_l]. */
static void class_mean_nodes(const nb_importance *imp, size_t l, float *v) {
    const size_t C = imp->n_classes;
    const float *node = nb_importance_node(imp, l);
    for (size_t i = 0; i < imp->layer_size[l]; i++) {
        double sum = 0.0;
        for (size_t c = 0; c < C; c++)
            sum += (double)node[i * C + c];
        v[i] = (float)(sum / (double)C);
    }
}

nb_status nb_evaluate_stability(const nb_importance_settings *settings, const nb_network *net,
                                const nb_dataset *train, const nb_dataset *test, uint64_t seed,
                                double *rho, double *seconds) {
    const size_t n = train->n, C = net->n_classes, L = net->n_layers;
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    uint32_t *half[2] = {malloc((n ? n : 1) * sizeof(uint32_t)),
                         malloc((n ? n : 1) * sizeof(uint32_t))};
    size_t width = 0;
    for (size_t l = 0; l < L; l++)
        width = net->layer_size[l] > width ? net->layer_size[l] : width;
    float *va = malloc(width * sizeof *va), *vb = malloc(width * sizeof *vb);
    nb_dataset part[2] = {{0}, {0}};
    nb_importance imp[2] = {{0}, {0}};
    nb_status st = NB_OK;
    if (!order || !half[0] || !half[1] || !va || !vb)
        st = NB_RAISE(NB_E_NOMEM, "stability", "index of %zu images", n);
    size_t m[2] = {0, 0};
    if (st == NB_OK) {
        nb_rng rng;
        nb_rng_init(&rng, seed);
        for (size_t k = 0; k < n; k++)
            order[k] = (uint32_t)k;
        nb_rng_shuffle_u32(&rng, order, n);
        /* alternate within each class, so both halves have half of every class */
        size_t *seen = calloc(C + 1, sizeof *seen);
        if (!seen)
            st = NB_RAISE(NB_E_NOMEM, "stability", "class counts");
        for (size_t k = 0; k < n && st == NB_OK; k++) {
            const size_t c = train->labels[order[k]] < C ? train->labels[order[k]] : C;
            const size_t h = seen[c]++ % 2;
            half[h][m[h]++] = order[k];
        }
        free(seen);
    }
    double total = 0.0;
    for (int h = 0; h < 2 && st == NB_OK; h++) {
        st = subset_of(train, half[h], m[h], &part[h]);
        if (st != NB_OK)
            break;
        nb_importance_settings s = *settings;
        s.seed = (int)(seed + (uint64_t)h) ? (int)(seed + (uint64_t)h) : NB_SETTING_ZERO;
        s.top_k = NB_SETTING_ZERO;
        const double t0 = nb_time_now();
        st = nb_importance_compute(&s, net, &part[h], test, NULL, NULL, &imp[h]);
        total += nb_time_now() - t0;
    }
    for (size_t l = 0; l + 1 < L && st == NB_OK; l++) {
        class_mean_nodes(&imp[0], l, va);
        class_mean_nodes(&imp[1], l, vb);
        st = nb_evaluate_spearman(va, vb, net->layer_size[l], &rho[l]);
    }
    if (st == NB_OK && seconds)
        *seconds = total / 2.0;
    for (int h = 0; h < 2; h++) {
        nb_importance_deinit(&imp[h]);
        nb_dataset_deinit(&part[h]);
        free(half[h]);
    }
    free(order);
    free(va);
    free(vb);
    return st;
}
