/* nb_importance.c - per-class node importance and edge alpha of a trained network.
 *
 * DESIGN: one table of strategies, selected by the importance_method config key; every
 * strategy writes a complete nb_importance (node importance per layer and class, one-hot
 * output layer, edge alpha). Shared by all strategies: alpha = |w| / global max |w| of the
 * layer pair (spec §2.5 with its running-row-maximum defect fixed).
 *   "magnitude": node importance 1 for every non-output node and class (no data).
 *   "random":    spec §2.7, for `nnbundle random` (not in the table: it takes a seed only).
 * Threading: serial. Config keys read: importance_method, importance_top_k, seed.
 */
#include "nb_importance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_mlp.h"
#include "nb_rng.h"

void nb_importance_fill_alpha(const nb_network *net, nb_importance *imp) {
    for (size_t l = 0; l + 1 < net->n_layers; l++) {
        size_t n = net->layer_size[l] * net->layer_size[l + 1];
        const float *w = nb_network_weight(net, l);
        float *a = nb_importance_edge(imp, l);
        float max = 0.0f;
        for (size_t k = 0; k < n; k++) {
            float v = fabsf(w[k]);
            if (v > max)
                max = v;
        }
        float inv = max > 0.0f ? 1.0f / max : 0.0f;
        for (size_t k = 0; k < n; k++)
            a[k] = fabsf(w[k]) * inv;
    }
}

/* Output layer: node i has importance 1 for class i, 0 otherwise (spec §2.5). */
static void fill_one_hot_output(nb_importance *imp) {
    size_t L = imp->n_layers, C = imp->n_classes;
    float *node = nb_importance_node(imp, L - 1);
    for (size_t i = 0; i < C; i++)
        for (size_t c = 0; c < C; c++)
            node[i * C + c] = i == c ? 1.0f : 0.0f;
}

static void set_text(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src);
}

nb_status nb_importance_random(const nb_network *net, uint64_t seed, nb_importance *out) {
    nb_importance imp;
    NB_TRY(nb_importance_init(&imp, net->n_layers, net->layer_size, 0));
    size_t C = imp.n_classes;
    nb_rng rng;
    nb_rng_init(&rng, seed);
    for (size_t l = 0; l + 1 < imp.n_layers; l++) {
        float *node = nb_importance_node(&imp, l);
        for (size_t i = 0; i < imp.layer_size[l]; i++) {
            double u1 = nb_rng_uniform(&rng), u2 = nb_rng_uniform(&rng);
            size_t hot = (size_t)nb_rng_below(&rng, C);
            double hi = u1 > u2 ? u1 : u2, lo = u1 > u2 ? u2 : u1;
            for (size_t c = 0; c < C; c++)
                node[i * C + c] = (float)(c == hot ? hi : lo * lo);
        }
    }
    fill_one_hot_output(&imp);
    nb_importance_fill_alpha(net, &imp);
    set_text(imp.method, sizeof imp.method, "random");
    imp.seed = seed;
    *out = imp;
    return NB_OK;
}

/* Top-activating inputs: for every hidden node the top_k test images with the largest ReLU
 * output (largest first, ties by lower index), through the trained network in chunks. */
#define TOP_CHUNK 1024

static nb_status fill_top(const nb_network *net, const nb_dataset *test, nb_importance *imp) {
    size_t K = imp->top_k, L = net->n_layers;
    if (K == 0 || L < 3 || !test || test->n == 0)
        return NB_OK;
    size_t width = nb_network_n_nodes(net);
    size_t chunk = test->n < TOP_CHUNK ? test->n : TOP_CHUNK;
    size_t n_hidden = 0;
    for (size_t l = 1; l + 1 < L; l++)
        n_hidden += net->layer_size[l];
    float *act = malloc(chunk * width * sizeof *act);
    float *logits = malloc(chunk * net->n_classes * sizeof *logits);
    float *best = malloc(n_hidden * K * sizeof *best); /* values matching imp->top */
    if (!act || !logits || !best) {
        free(act);
        free(logits);
        free(best);
        return NB_RAISE(NB_E_NOMEM, "importance", "top-k workspace (%zu x %zu)", chunk, width);
    }
    nb_status s = NB_OK;
    for (size_t b0 = 0; b0 < test->n && s == NB_OK; b0 += chunk) {
        size_t nb = test->n - b0 < chunk ? test->n - b0 : chunk;
        s = nb_mlp_forward(net, test->images + b0 * test->dim, nb, logits, act);
        if (s != NB_OK)
            break;
        size_t node0 = net->layer_size[0], h = 0;
        for (size_t l = 1; l + 1 < L; l++) {
            int32_t *top = nb_importance_top(imp, l);
            for (size_t i = 0; i < net->layer_size[l]; i++, h++) {
                int32_t *t = top + i * K;
                float *v = best + h * K;
                for (size_t r = 0; r < nb; r++) {
                    float a = act[r * width + node0 + i];
                    /* images arrive in increasing index order, so a tie keeps the earlier one */
                    if (t[K - 1] >= 0 && !(a > v[K - 1]))
                        continue;
                    size_t p = K - 1;
                    while (p > 0 && (t[p - 1] < 0 || a > v[p - 1])) {
                        t[p] = t[p - 1];
                        v[p] = v[p - 1];
                        p--;
                    }
                    t[p] = (int32_t)(b0 + r);
                    v[p] = a;
                }
            }
            node0 += net->layer_size[l];
        }
    }
    free(act);
    free(logits);
    free(best);
    return s;
}

/* Allocates *imp for the network with top_k = cfg->importance_top_k when a test set is given
 * (0 otherwise), the one-hot output layer and alpha filled. */
static nb_status init_result(const nb_processing_config *cfg, const nb_network *net,
                             const nb_dataset *test, nb_importance *imp) {
    size_t top_k = test && cfg->importance_top_k > 0 ? (size_t)cfg->importance_top_k : 0;
    NB_TRY(nb_importance_init(imp, net->n_layers, net->layer_size, top_k));
    fill_one_hot_output(imp);
    nb_importance_fill_alpha(net, imp);
    imp->seed = (uint64_t)cfg->seed;
    return NB_OK;
}

/* ---- strategy "magnitude" ------------------------------------------------------------- */

static nb_status compute_magnitude(const nb_processing_config *cfg, const nb_network *net,
                                   const nb_dataset *train, const nb_dataset *test,
                                   nb_importance_progress_fn progress, void *user,
                                   nb_importance *out) {
    (void)train;
    nb_importance imp;
    NB_TRY(init_result(cfg, net, test, &imp));
    for (size_t l = 0; l + 1 < imp.n_layers; l++) {
        float *node = nb_importance_node(&imp, l);
        for (size_t k = 0; k < imp.layer_size[l] * imp.n_classes; k++)
            node[k] = 1.0f;
    }
    set_text(imp.method, sizeof imp.method, "magnitude");
    nb_status s = fill_top(net, test, &imp);
    if (s != NB_OK) {
        nb_importance_deinit(&imp);
        return s;
    }
    if (progress && !progress(user, imp.n_classes, imp.n_classes)) {
        nb_importance_deinit(&imp);
        return NB_RAISE(NB_E_CANCELLED, "importance", "cancelled");
    }
    *out = imp;
    return NB_OK;
}

/* ---- the table ------------------------------------------------------------------------ */

const nb_importance_strategy nb_importance_strategies[] = {
    {"magnitude", false, compute_magnitude},
};
const size_t nb_importance_n_strategies =
    sizeof nb_importance_strategies / sizeof nb_importance_strategies[0];

const nb_importance_strategy *nb_importance_find_strategy(const char *name) {
    for (size_t k = 0; name && k < nb_importance_n_strategies; k++)
        if (!strcmp(nb_importance_strategies[k].name, name))
            return &nb_importance_strategies[k];
    return NULL;
}

const nb_importance_strategy *nb_importance_strategy_of(const nb_processing_config *cfg) {
    const nb_config_key *key = nb_config_find(&nb_processing_schema, "importance_method");
    if (!key || !key->enum_names || cfg->importance_method < 0)
        return NULL;
    for (int k = 0; key->enum_names[k]; k++)
        if (k == cfg->importance_method)
            return nb_importance_find_strategy(key->enum_names[k]);
    return NULL;
}

nb_status nb_importance_compute(const nb_processing_config *cfg, const nb_network *net,
                                const nb_dataset *train, const nb_dataset *test,
                                nb_importance_progress_fn progress, void *user,
                                nb_importance *out) {
    memset(out, 0, sizeof *out);
    const nb_importance_strategy *st = nb_importance_strategy_of(cfg);
    if (!st)
        return NB_RAISE(NB_E_CONFIG, "importance_method", "value %d names no strategy",
                        cfg->importance_method);
    if (st->needs_data && !train)
        return NB_RAISE(NB_E_MISSING, "train set", "method %s needs a training set", st->name);
    if (st->needs_data && !test)
        return NB_RAISE(NB_E_MISSING, "test set", "method %s needs a test set", st->name);
    return st->compute(cfg, net, train, test, progress, user, out);
}
