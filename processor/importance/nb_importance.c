/* nb_importance.c - per-class node importance and edge alpha of a trained network.
 *
 * DESIGN: one table of strategies, selected by the importance_method config key; every
 * strategy writes a complete nb_importance (node importance per layer and class, one-hot
 * output layer, edge alpha, top-activating test images). bn-gamma and magnitude:
 * alpha = |w| / global max |w| of the layer pair (method.md §2.5 with its running-row-maximum
 * defect fixed).
 *   "activation" (default), "taylor", "taylor-mean", "obd": per-class per-weight scores from
 *       nb_saliency (one forward/backward pass over each class's training images, sgemm);
 *       row C, the class-blind score, is the same statistic over all classes (class mean; RMS
 *       for activation); node importance = the class contrast of the sum of the node's
 *       outgoing scores per class (class_contrast), normalised per layer; alpha =
 *       class-blind score / the pair's maximum.
 *   "bn-gamma" (method.md §2.2-2.5): for every class c, a one-vs-rest data set (all training
 *       images of c as positives, label 0; an equal number drawn class-balanced and seeded
 *       from the OTHER classes as negatives, label 1 - the reference also drew from c); a
 *       nb_bn_net (BN in front of every frozen dense layer, 2-unit head) whose gamma (and beta
 *       with centering) is trained with Adam (Keras defaults: beta1 0.9, beta2 0.999,
 *       eps 1e-7), minibatches reshuffled every epoch, L1/L2 penalty on gamma; then the
 *       fine-tune test accuracy on the class's test split (built the same way) in inference
 *       mode. Node importance = |gamma| / max |gamma| over the layer's nodes and all classes.
 *   "magnitude": node importance 1 for every non-output node and class (no data).
 *   "random":    method.md §2.7, for `nnbundle random` (not in the table: it takes a seed only).
 *   "bn-gamma" on a network with operators (a CNN, an imported model): the same splits and
 *       settings, but the network fine-tuned is nb_slimming's chain (a batch norm in front of
 *       every node operator, so one gamma per channel of a convolution: network slimming,
 *       Liu et al., ICCV 2017), trained by the operator engine's trainer with only the batch
 *       norms' gamma (and beta) free; the classes run one after another, each step spread over
 *       the threads by the engine (whose results do not depend on the thread count).
 * Top-activating inputs: the trained network's ReLU outputs over the test set, chunk by chunk
 * (networks with operators: nb_layers_forward's node values, a channel's spatial mean).
 * Threading: bn-gamma runs the classes in parallel (OpenMP, dynamic schedule, at most one
 * thread per class). Each thread owns a workspace allocated before the region (nb_bn_net,
 * batch buffers, Adam moments); each class draws from its own nb_rng streams (seed, 3c..3c+2)
 * and OpenBLAS is set to one thread for the region (restored after), so every class's result
 * is a fixed sequential computation: identical whatever the thread count. Worker statuses are
 * recorded per class and raised after the region. Progress and cancellation: the calling
 * thread polls per-class "done" flags (OpenMP seq_cst atomics) between its epochs.
 * Config keys read: the fields of nb_importance_settings (importance_method, importance_flags,
 * importance_epochs, importance_learning_rate, importance_batch_size, importance_l1,
 * importance_l2, importance_top_k, seed); they are resolved and checked against the key table
 * in one place (nb_importance_settings_resolve / _validate), never range-checked here.
 */
#include "nb_importance.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_bn.h"
#include "nb_layers.h"
#include "nb_log.h"
#include "nb_mlp.h"
#include "nb_prune.h"
#include "nb_rng.h"
#include "nb_saliency.h"
#include "nb_slimming.h"

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

/* Output layer: node i has importance 1 for class i, 0 otherwise (method.md §2.5). */
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
        /* a network with operators goes to nb_layers_forward (nb_mlp_forward dispatches) */
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

/* ---- settings ------------------------------------------------------------------------------
 * The processing keys of this stage as (settings field, key) by type; each list drives
 * from_config, resolve and the mapping back onto a processing config for validation by the key
 * table. method and flags are mapped by hand. */
#define IMPORTANCE_REALS(X)                                                                        \
    X(learning_rate, importance_learning_rate) X(l1, importance_l1) X(l2, importance_l2)
#define IMPORTANCE_INTS(X)                                                                         \
    X(epochs, importance_epochs)                                                                   \
    X(batch_size, importance_batch_size)                                                           \
    X(top_k, importance_top_k)                                                                     \
    X(seed, seed)

nb_status nb_importance_settings_from_config(const nb_processing_config *cfg,
                                             nb_importance_settings *out) {
    NB_TRY(nb_config_validate(&nb_processing_schema, cfg));
    memset(out, 0, sizeof *out);
#define FROM(f, k)     out->f = nb_setting_from_value(#k, cfg->k);
#define FROM_INT(f, k) out->f = (int)nb_setting_from_value(#k, (double)cfg->k);
    IMPORTANCE_REALS(FROM)
    IMPORTANCE_INTS(FROM_INT)
#undef FROM
#undef FROM_INT
    out->method = (nb_importance_method)nb_setting_from_value("importance_method",
                                                              (double)cfg->importance_method);
    out->flags = cfg->importance_flags;
    return NB_OK;
}

void nb_importance_settings_resolve(const nb_importance_settings *settings,
                                    nb_importance_settings *out) {
    nb_importance_settings r = *settings;
#define RESOLVE(f, k)     r.f = nb_setting_value(#k, settings->f);
#define RESOLVE_INT(f, k) r.f = (int)nb_setting_value(#k, (double)settings->f);
    IMPORTANCE_REALS(RESOLVE)
    IMPORTANCE_INTS(RESOLVE_INT)
#undef RESOLVE
#undef RESOLVE_INT
    r.method =
        (nb_importance_method)nb_setting_value("importance_method", (double)settings->method);
    if (!r.flags) {
        const nb_config_key *key = nb_config_find(&nb_processing_schema, "importance_flags");
        r.flags = key && key->def_string ? key->def_string : "";
    }
    *out = r;
}

nb_status nb_importance_settings_validate(const nb_importance_settings *settings) {
    nb_importance_settings r;
    nb_processing_config cfg;
    nb_importance_settings_resolve(settings, &r);
    nb_config_defaults(&nb_processing_schema, &cfg);
#define BACK(f, k) cfg.k = r.f;
    IMPORTANCE_REALS(BACK)
    IMPORTANCE_INTS(BACK)
#undef BACK
    cfg.importance_method = (int)r.method;
    if (strlen(r.flags) >= sizeof cfg.importance_flags)
        return NB_RAISE(NB_E_CONFIG, "processing importance_flags", "%zu characters, at most %zu",
                        strlen(r.flags), sizeof cfg.importance_flags - 1);
    memcpy(cfg.importance_flags, r.flags, strlen(r.flags) + 1);
    return nb_config_validate(&nb_processing_schema, &cfg);
}

/* Allocates *imp for the network with top_k = settings->top_k when a test set is given
 * (0 otherwise), the one-hot output layer and alpha filled. */
static nb_status init_result(const nb_importance_settings *settings, const nb_network *net,
                             const nb_dataset *test, nb_importance *imp) {
    size_t top_k = test && settings->top_k > 0 ? (size_t)settings->top_k : 0;
    NB_TRY(nb_importance_init(imp, net->n_layers, net->layer_size, top_k));
    fill_one_hot_output(imp);
    nb_importance_fill_alpha(net, imp);
    imp->seed = (uint64_t)settings->seed;
    return NB_OK;
}

/* ---- strategy "magnitude" ------------------------------------------------------------- */

static nb_status compute_magnitude(const nb_importance_settings *settings, const nb_network *net,
                                   const nb_dataset *train, const nb_dataset *test,
                                   nb_importance_progress_fn progress, void *user,
                                   nb_importance *out) {
    (void)train;
    /* results go straight into *out: the progress callback may look at it */
    NB_TRY(init_result(settings, net, test, out));
    for (size_t l = 0; l + 1 < out->n_layers; l++) {
        float *node = nb_importance_node(out, l);
        for (size_t k = 0; k < out->layer_size[l] * out->n_classes; k++)
            node[k] = 1.0f;
    }
    set_text(out->method, sizeof out->method, nb_importance_method_name(settings->method));
    nb_status s = fill_top(net, test, out);
    if (s == NB_OK && progress && !progress(user, out->n_classes, out->n_classes))
        s = NB_RAISE(NB_E_CANCELLED, "importance", "cancelled");
    if (s != NB_OK)
        nb_importance_deinit(out); /* zeroes *out */
    return s;
}

/* ---- strategy "bn-gamma" -------------------------------------------------------------- */

#define ADAM_BETA1 0.9
#define ADAM_BETA2 0.999
#define ADAM_EPS   1e-7

/* Images of each class in data-set order: class k's indices are index[offset[k]..offset[k+1]). */
typedef struct class_index {
    size_t *offset;  /* [C+1] */
    uint32_t *index; /* [n] */
} class_index;

static void class_index_deinit(class_index *ci) {
    free(ci->offset);
    free(ci->index);
    ci->offset = NULL;
    ci->index = NULL;
}

static nb_status class_index_init(class_index *ci, const nb_dataset *ds, size_t C) {
    ci->offset = calloc(C + 1, sizeof *ci->offset);
    ci->index = malloc((ds->n ? ds->n : 1) * sizeof *ci->index);
    size_t *fill = calloc(C, sizeof *fill);
    if (!ci->offset || !ci->index || !fill) {
        free(fill);
        class_index_deinit(ci);
        return NB_RAISE(NB_E_NOMEM, "importance", "class index of %zu images", ds->n);
    }
    for (size_t k = 0; k < ds->n; k++)
        ci->offset[ds->labels[k] + 1]++;
    for (size_t c = 0; c < C; c++)
        ci->offset[c + 1] += ci->offset[c];
    for (size_t k = 0; k < ds->n; k++) {
        size_t c = ds->labels[k];
        ci->index[ci->offset[c] + fill[c]++] = (uint32_t)k;
    }
    free(fill);
    return NB_OK;
}

/* One-vs-rest split for class cls: every image of cls (label 0), then as many images of the
 * other classes (label 1): the count is shared out round-robin in class order, a class with
 * fewer images than its share gives the rest to the others; each class's images are a seeded
 * draw without replacement (partial Fisher-Yates on `scratch`, size >= the largest class).
 * idx/lab need room for 2 * count(cls). Returns the split size. */
static size_t build_split(const class_index *ci, size_t C, size_t cls, nb_rng *rng, size_t *quota,
                          uint32_t *scratch, uint32_t *idx, uint8_t *lab) {
    size_t n = 0, n_pos = ci->offset[cls + 1] - ci->offset[cls];
    for (size_t k = ci->offset[cls]; k < ci->offset[cls + 1]; k++) {
        idx[n] = ci->index[k];
        lab[n++] = 0;
    }
    for (size_t c = 0; c < C; c++)
        quota[c] = 0;
    size_t left = n_pos;
    bool progress = true;
    while (left > 0 && progress) {
        progress = false;
        for (size_t c = 0; c < C && left > 0; c++) {
            if (c == cls || quota[c] >= ci->offset[c + 1] - ci->offset[c])
                continue;
            quota[c]++;
            left--;
            progress = true;
        }
    }
    for (size_t c = 0; c < C; c++) {
        if (c == cls || quota[c] == 0)
            continue;
        size_t avail = ci->offset[c + 1] - ci->offset[c];
        memcpy(scratch, ci->index + ci->offset[c], avail * sizeof *scratch);
        for (size_t k = 0; k < quota[c]; k++) {
            size_t j = k + (size_t)nb_rng_below(rng, avail - k);
            uint32_t t = scratch[k];
            scratch[k] = scratch[j];
            scratch[j] = t;
            idx[n] = scratch[k];
            lab[n++] = 1;
        }
    }
    return n;
}

typedef struct bn_params {
    size_t epochs, batch;
    double lr, l1, l2;
    float gamma_init;
    bool centering;
    uint64_t seed;
} bn_params;

/* Per-thread workspace. */
typedef struct bn_work {
    nb_bn_net bn;
    size_t *quota;                      /* [C] */
    uint32_t *scratch;                  /* [largest class] */
    uint32_t *idx, *order;              /* [2 * largest train class] */
    uint8_t *lab, *blab;                /* [2 * largest class], [batch] */
    float *xb;                          /* [batch][n_0] */
    const float **rows;                 /* [batch] minibatch rows in the training set */
    float *dg, *db, *mg, *vg, *mb, *vb; /* [n_params] gradients and Adam moments */
    float *logits;                      /* [batch][2] */
} bn_work;

static void bn_work_deinit(bn_work *w) {
    nb_bn_net_deinit(&w->bn);
    free(w->quota);
    free(w->scratch);
    free(w->idx);
    free(w->order);
    free(w->lab);
    free(w->blab);
    free(w->xb);
    free(w->rows);
    free(w->dg);
    free(w->db);
    free(w->mg);
    free(w->vg);
    free(w->mb);
    free(w->vb);
    free(w->logits);
    memset(w, 0, sizeof *w);
}

static nb_status bn_work_init(bn_work *w, const nb_network *net, size_t batch, size_t max_class,
                              size_t C) {
    memset(w, 0, sizeof *w);
    NB_TRY(nb_bn_net_init(&w->bn, net, batch));
    size_t P = w->bn.n_params, n0 = net->layer_size[0], m = 2 * max_class + 1;
    w->quota = malloc(C * sizeof *w->quota);
    w->scratch = malloc((max_class + 1) * sizeof *w->scratch);
    w->idx = malloc(m * sizeof *w->idx);
    w->order = malloc(m * sizeof *w->order);
    w->lab = malloc(m * sizeof *w->lab);
    w->blab = malloc(batch * sizeof *w->blab);
    w->xb = malloc(batch * n0 * sizeof *w->xb);
    w->rows = malloc(batch * sizeof *w->rows);
    w->dg = malloc(P * sizeof(float));
    w->db = malloc(P * sizeof(float));
    w->mg = malloc(P * sizeof(float));
    w->vg = malloc(P * sizeof(float));
    w->mb = malloc(P * sizeof(float));
    w->vb = malloc(P * sizeof(float));
    w->logits = malloc(2 * batch * sizeof(float));
    if (!w->quota || !w->scratch || !w->idx || !w->order || !w->lab || !w->blab || !w->xb ||
        !w->rows || !w->dg || !w->db || !w->mg || !w->vg || !w->mb || !w->vb || !w->logits) {
        bn_work_deinit(w);
        return NB_RAISE(NB_E_NOMEM, "importance", "fine-tune workspace");
    }
    return NB_OK;
}

/* Shared state of one bn-gamma run; the per-class arrays are written by the thread that runs
 * the class, `done` last (atomic), and read by the calling thread once `done` is set. */
typedef struct bn_shared {
    const nb_network *net;
    const nb_dataset *train, *test;
    const class_index *ci_train, *ci_test;
    size_t C;
    bn_params prm;
    float *gamma;        /* [C][n_params] trained gamma per class */
    double *accuracy;    /* [C] */
    nb_status *status;   /* [C] */
    char (*reason)[160]; /* [C] */
    int *done;           /* [C] 0/1, OpenMP atomics */
    int cancel;          /* OpenMP atomics */
    /* calling thread only */
    nb_importance_progress_fn progress;
    void *user;
    nb_importance *out;
    size_t reported;
    bool *copied; /* [C] */
} bn_shared;

/* Calling thread: copy newly finished accuracies to out, report if the count grew. */
static void poll_progress(bn_shared *sh) {
    size_t n_done = 0;
    for (size_t c = 0; c < sh->C; c++) {
        int d;
#pragma omp atomic read seq_cst
        d = sh->done[c];
        if (!d)
            continue;
        n_done++;
        if (!sh->copied[c]) {
            sh->out->finetune_accuracy[c] = sh->accuracy[c];
            sh->copied[c] = true;
        }
    }
    if (n_done > sh->reported) {
        sh->reported = n_done;
        if (sh->progress && !sh->progress(sh->user, n_done, sh->C)) {
#pragma omp atomic write seq_cst
            sh->cancel = 1;
        }
    }
}

static bool cancelled(bn_shared *sh) {
    int c;
#pragma omp atomic read seq_cst
    c = sh->cancel;
    return c != 0;
}

static void adam_step(float *p, const float *g, float *m, float *v, size_t n, double lr_t) {
    const float b1 = (float)ADAM_BETA1, b2 = (float)ADAM_BETA2;
    const float lr = (float)lr_t, eps = (float)ADAM_EPS;
    for (size_t k = 0; k < n; k++) {
        m[k] = b1 * m[k] + (1.0f - b1) * g[k];
        v[k] = b2 * v[k] + (1.0f - b2) * g[k] * g[k];
        p[k] -= lr * m[k] / (sqrtf(v[k]) + eps);
    }
}

/* Fine-tunes class cls in workspace w; the calling thread passes poll = true. */
static nb_status finetune_class(bn_shared *sh, bn_work *w, size_t cls, bool poll) {
    const nb_network *net = sh->net;
    const nb_dataset *tr = sh->train, *te = sh->test;
    const bn_params *p = &sh->prm;
    size_t C = sh->C, n0 = net->layer_size[0], B = w->bn.max_batch, P = w->bn.n_params;
    char subject[32];
    snprintf(subject, sizeof subject, "class %zu", cls);
    nb_rng rng_split, rng_shuffle;
    nb_rng_init_stream(&rng_split, p->seed, 3 * (uint64_t)cls);
    nb_rng_init_stream(&rng_shuffle, p->seed, 3 * (uint64_t)cls + 2);
    size_t n = build_split(sh->ci_train, C, cls, &rng_split, w->quota, w->scratch, w->idx, w->lab);
    for (size_t k = 0; k < n; k++)
        w->order[k] = (uint32_t)k;
    nb_bn_net_reset(&w->bn, cls, p->gamma_init, p->centering);
    memset(w->mg, 0, P * sizeof(float));
    memset(w->vg, 0, P * sizeof(float));
    memset(w->mb, 0, P * sizeof(float));
    memset(w->vb, 0, P * sizeof(float));
    double b1t = 1.0, b2t = 1.0;
    for (size_t epoch = 0; epoch < p->epochs; epoch++) {
        nb_rng_shuffle_u32(&rng_shuffle, w->order, n);
        for (size_t start = 0; start < n; start += B) {
            size_t nb = n - start < B ? n - start : B;
            for (size_t r = 0; r < nb; r++) {
                uint32_t k = w->order[start + r];
                w->rows[r] = tr->images + (size_t)w->idx[k] * tr->dim;
                w->blab[r] = w->lab[k];
            }
            double loss = nb_bn_net_loss_grad_rows(&w->bn, NULL, w->rows, w->blab, nb, p->l1, p->l2,
                                                   true, w->dg, w->db, NULL);
            if (!isfinite(loss))
                return NB_RAISE(NB_E_NUMERIC, subject, "loss is %g in epoch %zu", loss, epoch + 1);
            b1t *= ADAM_BETA1;
            b2t *= ADAM_BETA2;
            double lr_t = p->lr * sqrt(1.0 - b2t) / (1.0 - b1t);
            adam_step(w->bn.gamma, w->dg, w->mg, w->vg, P, lr_t);
            if (p->centering)
                adam_step(w->bn.beta, w->db, w->mb, w->vb, P, lr_t);
        }
        if (poll)
            poll_progress(sh);
        if (cancelled(sh))
            return NB_RAISE(NB_E_CANCELLED, subject, "cancelled in epoch %zu", epoch + 1);
    }
    for (size_t k = 0; k < P; k++)
        if (!isfinite(w->bn.gamma[k]))
            return NB_RAISE(NB_E_NUMERIC, subject, "gamma %zu is not finite", k);
    /* test accuracy of the fine-tuned 2-unit model */
    nb_rng rng_test;
    nb_rng_init_stream(&rng_test, p->seed, 3 * (uint64_t)cls + 1);
    size_t nt = build_split(sh->ci_test, C, cls, &rng_test, w->quota, w->scratch, w->idx, w->lab);
    size_t correct = 0;
    for (size_t start = 0; start < nt; start += B) {
        size_t nb = nt - start < B ? nt - start : B;
        for (size_t r = 0; r < nb; r++)
            memcpy(w->xb + r * n0, te->images + (size_t)w->idx[start + r] * te->dim,
                   n0 * sizeof(float));
        nb_bn_net_predict(&w->bn, w->xb, nb, w->logits);
        for (size_t r = 0; r < nb; r++) {
            size_t pred = w->logits[2 * r + 1] > w->logits[2 * r] ? 1 : 0;
            correct += pred == w->lab[start + r];
        }
    }
    sh->accuracy[cls] = nt ? (double)correct / (double)nt : NAN;
    memcpy(sh->gamma + cls * P, w->bn.gamma, P * sizeof(float));
    return NB_OK;
}

nb_status nb_importance_check_images(const nb_network *net, const nb_dataset *ds,
                                     const char *subject) {
    if (net->n_ops > 0 && net->in_h * net->in_w > 1) {
        size_t channels = ds->channels ? ds->channels : 1;
        if (channels != net->in_c || ds->rows != net->in_h || ds->cols != net->in_w)
            return NB_RAISE(NB_E_MISMATCH, subject,
                            "images are %zux%zux%zu (channels x rows x cols), the network's "
                            "input is %zux%zux%zu",
                            channels, ds->rows, ds->cols, net->in_c, net->in_h, net->in_w);
        return NB_OK;
    }
    size_t n0 = net->n_ops > 0 ? net->in_c : net->layer_size[0];
    if (ds->dim != n0)
        return NB_RAISE(NB_E_MISMATCH, subject,
                        "images have %zu values (%zux%zux%zu), the network's input layer has %zu "
                        "nodes",
                        ds->dim, ds->channels ? ds->channels : 1, ds->rows, ds->cols, n0);
    return NB_OK;
}

static nb_status check_data(const nb_network *net, const nb_dataset *ds, const char *name,
                            bool need_all_classes) {
    size_t C = net->layer_size[net->n_layers - 1];
    NB_TRY(nb_importance_check_images(net, ds, name));
    size_t *count = calloc(C, sizeof *count);
    if (!count)
        return NB_RAISE(NB_E_NOMEM, name, "class counts");
    size_t max_label = 0;
    for (size_t k = 0; k < ds->n; k++) {
        max_label = ds->labels[k] > max_label ? ds->labels[k] : max_label;
        if (ds->labels[k] < C)
            count[ds->labels[k]]++;
    }
    size_t n_classes = ds->n ? max_label + 1 : 0;
    if (n_classes != C || ds->n_classes != C) {
        free(count);
        return NB_RAISE(NB_E_MISMATCH, name,
                        "%zu classes (labels 0..%zu), the network's output "
                        "layer has %zu nodes",
                        n_classes, max_label, C);
    }
    for (size_t c = 0; need_all_classes && c < C; c++)
        if (count[c] == 0) {
            free(count);
            return NB_RAISE(NB_E_MISMATCH, name, "class %zu has no images", c);
        }
    free(count);
    return NB_OK;
}

/* Fine-tuning parameters of the resolved settings and their parsed flags (batch: later). */
static bn_params bn_params_of(const nb_importance_settings *settings, unsigned flags) {
    bn_params prm = {0};
    prm.epochs = (size_t)settings->epochs;
    prm.lr = settings->learning_rate;
    prm.l1 = (flags & NB_IMPORTANCE_FLAG_L1) ? settings->l1 : 0.0;
    prm.l2 = (flags & NB_IMPORTANCE_FLAG_L2) ? settings->l2 : 0.0;
    prm.gamma_init = (flags & NB_IMPORTANCE_FLAG_GAMMA) ? 1.0f : 0.0f;
    prm.centering = (flags & NB_IMPORTANCE_FLAG_CENTERING) != 0;
    prm.seed = (uint64_t)settings->seed;
    return prm;
}

/* The largest class of either set and the largest train split (2 x a class). */
static void class_extents(const class_index *tr, const class_index *te, size_t C, size_t *max_class,
                          size_t *max_split) {
    *max_class = *max_split = 0;
    for (size_t c = 0; c < C; c++) {
        size_t a = tr->offset[c + 1] - tr->offset[c];
        size_t b = te->offset[c + 1] - te->offset[c];
        *max_class = a > *max_class ? a : *max_class;
        *max_class = b > *max_class ? b : *max_class;
        *max_split = 2 * a > *max_split ? 2 * a : *max_split;
    }
}

/* The per-class result arrays of sh (C classes, P gamma values each) and one workspace per
 * thread (at most one thread per class) in *work / *n_work. */
static nb_status bn_shared_alloc(bn_shared *sh, size_t P, size_t max_class, bn_work **work,
                                 size_t *n_work) {
    const size_t C = sh->C;
    sh->gamma = calloc(C * P, sizeof *sh->gamma);
    sh->accuracy = calloc(C, sizeof *sh->accuracy);
    sh->status = calloc(C, sizeof *sh->status);
    sh->reason = calloc(C, sizeof *sh->reason);
    sh->done = calloc(C, sizeof *sh->done);
    sh->copied = calloc(C, sizeof *sh->copied);
    int max_threads = omp_get_max_threads();
    size_t n = (size_t)(max_threads > 0 ? max_threads : 1);
    *n_work = n < C ? n : C;
    *work = calloc(*n_work, sizeof **work);
    if (!sh->gamma || !sh->accuracy || !sh->status || !sh->reason || !sh->done || !sh->copied ||
        !*work)
        return NB_RAISE(NB_E_NOMEM, "importance", "per-class results (%zu x %zu)", C, P);
    for (size_t t = 0; t < *n_work; t++)
        NB_TRY(bn_work_init(&(*work)[t], sh->net, sh->prm.batch, max_class, C));
    return NB_OK;
}

static void bn_shared_free(bn_shared *sh, bn_work *work, size_t n_work) {
    for (size_t t = 0; work && t < n_work; t++)
        bn_work_deinit(&work[t]);
    free(work);
    free(sh->gamma);
    free(sh->accuracy);
    free(sh->status);
    free(sh->reason);
    free(sh->done);
    free(sh->copied);
}

/* Fine-tunes every class, in parallel over classes (one workspace per thread, OpenBLAS on one
 * thread meanwhile); the calling thread reports progress. Raises the first failed class. */
static nb_status finetune_classes(bn_shared *sh, bn_work *work, size_t n_work) {
    const size_t C = sh->C;
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
#pragma omp parallel num_threads((int)n_work)
    {
        size_t tid = (size_t)omp_get_thread_num();
        bool master = omp_get_thread_num() == 0;
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < C; c++) {
            nb_status cs;
            if (cancelled(sh)) {
                cs = NB_E_CANCELLED;
                snprintf(sh->reason[c], sizeof sh->reason[c], "cancelled");
            } else {
                double t0 = nb_time_now();
                nb_error_clear();
                cs = finetune_class(sh, &work[tid], c, master);
                if (cs != NB_OK) /* the status is raised again below: not twice in the text */
                    snprintf(sh->reason[c], sizeof sh->reason[c], "%s%s%s", nb_error_subject(),
                             nb_error_subject()[0] ? ": " : "", nb_error_reason());
                else
                    nb_log_debug("importance: class %zu fine-tuned in %.2f s, test accuracy %.4f",
                                 c, nb_time_now() - t0, sh->accuracy[c]);
            }
            sh->status[c] = cs;
#pragma omp atomic write seq_cst
            sh->done[c] = 1;
            if (master)
                poll_progress(sh);
        }
    }
    openblas_set_num_threads(blas_threads);
    poll_progress(sh);
    for (size_t c = 0; c < C; c++)
        if (sh->status[c] != NB_OK) {
            char subject[32];
            snprintf(subject, sizeof subject, "class %zu", c);
            return NB_RAISE(sh->status[c], subject, "fine-tuning failed: %s", sh->reason[c]);
        }
    return NB_OK;
}

/* Node importance = |gamma| normalised by its maximum over the layer's nodes and all classes
 * (method.md §2.5); gamma: float[C][P], P = the nodes of every layer but the output. */
static void store_gamma(const nb_network *net, const float *gamma, size_t P, nb_importance *imp) {
    const size_t L = net->n_layers, C = imp->n_classes;
    size_t k0 = 0;
    for (size_t l = 0; l + 1 < L; l++) {
        size_t n = net->layer_size[l];
        float max = 0.0f;
        for (size_t c = 0; c < C; c++)
            for (size_t i = 0; i < n; i++) {
                float g = fabsf(gamma[c * P + k0 + i]);
                max = g > max ? g : max;
            }
        float inv = max > 0.0f ? 1.0f / max : 0.0f;
        float *node = nb_importance_node(imp, l);
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < C; c++)
                node[i * C + c] = fabsf(gamma[c * P + k0 + i]) * inv;
        k0 += n;
    }
}

/* ---- bn-gamma on a network with operators --------------------------------------------- */

/* Workspace of the operator fine-tune (one, the classes run in turn). */
typedef struct ops_work {
    nb_slimming_net sl;
    size_t *quota;
    uint32_t *scratch, *idx, *order;
    uint8_t *lab, *blab;
    float *xb, *logits;
} ops_work;

static void ops_work_deinit(ops_work *w) {
    nb_slimming_deinit(&w->sl);
    free(w->quota);
    free(w->scratch);
    free(w->idx);
    free(w->order);
    free(w->lab);
    free(w->blab);
    free(w->xb);
    free(w->logits);
    memset(w, 0, sizeof *w);
}

static nb_status ops_work_init(ops_work *w, const nb_network *net, size_t batch, size_t dim,
                               size_t max_class, size_t C) {
    memset(w, 0, sizeof *w);
    NB_TRY(nb_slimming_init(&w->sl, net));
    size_t m = 2 * max_class + 1;
    w->quota = malloc(C * sizeof *w->quota);
    w->scratch = malloc((max_class + 1) * sizeof *w->scratch);
    w->idx = malloc(m * sizeof *w->idx);
    w->order = malloc(m * sizeof *w->order);
    w->lab = malloc(m * sizeof *w->lab);
    w->blab = malloc(batch * sizeof *w->blab);
    w->xb = malloc(batch * dim * sizeof *w->xb);
    w->logits = malloc(2 * batch * sizeof *w->logits);
    if (!w->quota || !w->scratch || !w->idx || !w->order || !w->lab || !w->blab || !w->xb ||
        !w->logits) {
        ops_work_deinit(w);
        return NB_RAISE(NB_E_NOMEM, "importance", "fine-tune workspace");
    }
    return NB_OK;
}

/* Fine-tunes class cls on the chain of w: gamma (P values) and the test accuracy. */
static nb_status finetune_ops_class(const bn_shared *sh, ops_work *w, size_t cls, float *gamma,
                                    double *accuracy) {
    const nb_dataset *tr = sh->train, *te = sh->test;
    const bn_params *p = &sh->prm;
    const size_t C = sh->C, B = p->batch, dim = tr->dim;
    char subject[32];
    snprintf(subject, sizeof subject, "class %zu", cls);
    nb_rng rng_split, rng_shuffle, rng_test;
    nb_rng_init_stream(&rng_split, p->seed, 3 * (uint64_t)cls);
    nb_rng_init_stream(&rng_shuffle, p->seed, 3 * (uint64_t)cls + 2);
    nb_rng_init_stream(&rng_test, p->seed, 3 * (uint64_t)cls + 1);
    size_t n = build_split(sh->ci_train, C, cls, &rng_split, w->quota, w->scratch, w->idx, w->lab);
    for (size_t k = 0; k < n; k++)
        w->order[k] = (uint32_t)k;
    nb_slimming_reset(&w->sl, cls, p->gamma_init);
    nb_layers_train_desc desc = {
        .train = p->centering ? NB_LAYERS_TRAIN_BN_GAMMA_BETA : NB_LAYERS_TRAIN_BN_GAMMA,
        .learning_rate = p->lr,
        .epsilon = ADAM_EPS,
        .gamma_l1 = p->l1,
        .gamma_l2 = p->l2,
        .bn_momentum = NB_SLIMMING_MOMENTUM,
    };
    nb_layers_trainer *trainer = NULL;
    NB_TRY(nb_layers_trainer_create(&w->sl.net, B, &desc, &trainer));
    nb_status st = NB_OK;
    for (size_t epoch = 0; epoch < p->epochs && st == NB_OK; epoch++) {
        nb_rng_shuffle_u32(&rng_shuffle, w->order, n);
        for (size_t start = 0; start < n && st == NB_OK; start += B) {
            size_t nb = n - start < B ? n - start : B;
            for (size_t r = 0; r < nb; r++) {
                uint32_t k = w->order[start + r];
                memcpy(w->xb + r * dim, tr->images + (size_t)w->idx[k] * dim, dim * sizeof(float));
                w->blab[r] = w->lab[k];
            }
            st = nb_layers_trainer_step(trainer, w->xb, w->blab, nb, NULL, NULL);
            if (st != NB_OK)
                st = NB_RAISE(st, subject, "epoch %zu: %s", epoch + 1, nb_error_message());
        }
    }
    nb_layers_trainer_destroy(trainer);
    NB_TRY(st);
    nb_slimming_gamma(&w->sl, gamma);
    for (size_t k = 0; k < w->sl.n_params; k++)
        if (!isfinite(gamma[k]))
            return NB_RAISE(NB_E_NUMERIC, subject, "gamma %zu is not finite", k);
    /* test accuracy of the fine-tuned 2-unit chain, inference mode */
    size_t nt = build_split(sh->ci_test, C, cls, &rng_test, w->quota, w->scratch, w->idx, w->lab);
    size_t correct = 0;
    for (size_t start = 0; start < nt; start += B) {
        size_t nb = nt - start < B ? nt - start : B;
        for (size_t r = 0; r < nb; r++)
            memcpy(w->xb + r * dim, te->images + (size_t)w->idx[start + r] * dim,
                   dim * sizeof(float));
        NB_TRY(nb_layers_forward(&w->sl.net, w->xb, nb, w->logits, NULL));
        for (size_t r = 0; r < nb; r++) {
            size_t pred = w->logits[2 * r + 1] > w->logits[2 * r] ? 1 : 0;
            correct += pred == w->lab[start + r];
        }
    }
    *accuracy = nt ? (double)correct / (double)nt : NAN;
    return NB_OK;
}

/* Every class in turn; the progress callback after each (false cancels). */
static nb_status finetune_ops(bn_shared *sh, size_t max_class, size_t P) {
    ops_work w;
    NB_TRY(ops_work_init(&w, sh->net, sh->prm.batch, sh->train->dim, max_class, sh->C));
    nb_status st = NB_OK;
    for (size_t c = 0; c < sh->C && st == NB_OK; c++) {
        double t0 = nb_time_now();
        st = finetune_ops_class(sh, &w, c, sh->gamma + c * P, &sh->accuracy[c]);
        if (st != NB_OK)
            break;
        nb_log_debug("importance: class %zu fine-tuned in %.2f s, test accuracy %.4f", c,
                     nb_time_now() - t0, sh->accuracy[c]);
        sh->out->finetune_accuracy[c] = sh->accuracy[c];
        if (sh->progress && !sh->progress(sh->user, c + 1, sh->C))
            st = NB_RAISE(NB_E_CANCELLED, "importance", "cancelled after %zu classes", c + 1);
    }
    ops_work_deinit(&w);
    return st;
}

static nb_status compute_bn_gamma(const nb_importance_settings *settings, const nb_network *net,
                                  const nb_dataset *train, const nb_dataset *test,
                                  nb_importance_progress_fn progress, void *user,
                                  nb_importance *out) {
    size_t L = net->n_layers, C = net->layer_size[L - 1];
    if (C < 2)
        return NB_RAISE(NB_E_INVALID, "network",
                        "one-vs-rest fine-tuning needs >= 2 output classes, the output layer "
                        "has %zu",
                        C);
    unsigned flags = 0;
    NB_TRY(nb_config_parse_importance_flags(settings->flags, &flags));
    NB_TRY(check_data(net, train, "train set", true));
    NB_TRY(check_data(net, test, "test set", false));

    bn_shared sh = {0};
    sh.net = net;
    sh.train = train;
    sh.test = test;
    sh.C = C;
    sh.prm = bn_params_of(settings, flags);
    sh.progress = progress;
    sh.user = user;
    sh.out = out; /* accuracies become visible to the progress callback through here */

    class_index ci_train = {0}, ci_test = {0};
    bn_work *work = NULL;
    size_t n_work = 0, max_class = 0, max_split = 0, P = 0;
    for (size_t l = 0; l + 1 < L; l++)
        P += net->layer_size[l];
    nb_status s = class_index_init(&ci_train, train, C);
    if (s == NB_OK)
        s = class_index_init(&ci_test, test, C);
    sh.ci_train = &ci_train;
    sh.ci_test = &ci_test;
    if (s == NB_OK) {
        class_extents(&ci_train, &ci_test, C, &max_class, &max_split);
        /* no batch larger than the largest split (tiny data sets, huge batch settings) */
        size_t batch = (size_t)settings->batch_size;
        sh.prm.batch = batch < max_split ? batch : max_split;
        s = init_result(settings, net, test, out);
    }
    if (s == NB_OK && net->n_ops > 0) {
        sh.gamma = calloc(C * P, sizeof *sh.gamma);
        sh.accuracy = calloc(C, sizeof *sh.accuracy);
        if (!sh.gamma || !sh.accuracy)
            s = NB_RAISE(NB_E_NOMEM, "importance", "per-class results (%zu x %zu)", C, P);
        if (s == NB_OK)
            s = finetune_ops(&sh, max_class, P);
    } else if (s == NB_OK) {
        s = bn_shared_alloc(&sh, P, max_class, &work, &n_work);
        if (s == NB_OK)
            s = finetune_classes(&sh, work, n_work);
    }
    if (s == NB_OK) {
        store_gamma(net, sh.gamma, P, out);
        for (size_t c = 0; c < C; c++)
            out->finetune_accuracy[c] = sh.accuracy[c];
        set_text(out->method, sizeof out->method, nb_importance_method_name(settings->method));
        set_text(out->flags, sizeof out->flags, settings->flags);
        out->epochs = settings->epochs;
        s = fill_top(net, test, out);
    }
    bn_shared_free(&sh, work, n_work);
    class_index_deinit(&ci_train);
    class_index_deinit(&ci_test);
    if (s != NB_OK)
        nb_importance_deinit(out); /* zeroes *out */
    return s;
}

/* ---- gradient strategies: "taylor", "taylor-mean", "obd", "activation" -----------------
 * Per-class per-weight saliency S_c (nb_saliency.h) over all training images of class c.
 * Node importance of node i of layer l for class c: from x_ic, the sum of S_c over the node's
 * outgoing edges (for activation: rms_c(a_i) * sum_j |w_ji|, the node's activation times its
 * outgoing weight magnitude), its class contrast (class_contrast below), normalised by the
 * maximum over the layer's nodes and all classes (as bn-gamma's |gamma|); alpha: the
 * class-blind score normalised by the pair's maximum. The pruning scores
 * (nb_importance_edge_scores) are the per-class S_c themselves, not these node values. */

static nb_saliency_kind saliency_kind_of(nb_importance_method m) {
    switch (m) {
    case NB_IMPORTANCE_TAYLOR_MEAN:
        return NB_SALIENCY_TAYLOR_MEAN;
    case NB_IMPORTANCE_OBD:
        return NB_SALIENCY_OBD;
    case NB_IMPORTANCE_ACTIVATION:
        return NB_SALIENCY_ACTIVATION;
    default:
        return NB_SALIENCY_TAYLOR;
    }
}

static bool is_saliency_method(nb_importance_method m) {
    return m == NB_IMPORTANCE_TAYLOR || m == NB_IMPORTANCE_TAYLOR_MEAN || m == NB_IMPORTANCE_OBD ||
           m == NB_IMPORTANCE_ACTIVATION;
}

/* Row C of scores[C+1][E]: the class-blind score, the method's statistic over the images of
 * all classes, each class weighted equally: the class mean of the per-class scores (they are
 * expectations over each class's images: taylor, obd; for taylor-mean the mean of the
 * per-class |w E g|), and for activation the root mean square, |w| sqrt(mean_c E_c a^2). */
static void fill_blind_row(nb_importance_method method, size_t C, size_t E, float *scores) {
    float *blind = scores + C * E;
    const bool rms = method == NB_IMPORTANCE_ACTIVATION;
    for (size_t e = 0; e < E; e++) {
        double sum = 0.0;
        for (size_t c = 0; c < C; c++) {
            const double v = (double)scores[c * E + e];
            sum += rms ? v * v : v;
        }
        blind[e] = (float)(rms ? sqrt(sum / (double)C) : sum / (double)C);
    }
}

/* The class contrast of one layer's node sums, in place: node[n][C] holds the sums x_ic of
 * class c's scores over node i's outgoing edges (>= 0). Each class is first measured against
 * the layer, r_ic = x_ic / mean_i' x_i'c (1 = the layer's average for class c: a class whose
 * images are brighter everywhere, Bag, does not own every node), then against the node's own
 * class mean, d_ic = max(0, r_ic - mean_c' r_ic'): what node i does for class c beyond what
 * it does for every class. Last, d / max d over the layer (nodes and classes), so the values
 * are in [0, 1]. A class whose column is all 0 gives r = 0; a layer with no contrast at all
 * (every node the same for every class) gives 0 everywhere. mean: double[C] scratch. */
static void class_contrast(size_t n, size_t C, float *node, double *mean) {
    for (size_t c = 0; c < C; c++)
        mean[c] = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < C; c++)
            mean[c] += (double)node[i * C + c];
    for (size_t c = 0; c < C; c++)
        mean[c] = mean[c] > 0.0 ? (double)n / mean[c] : 0.0; /* 1 / the layer's mean */
    float dmax = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float *v = node + i * C;
        double m = 0.0;
        for (size_t c = 0; c < C; c++)
            m += (double)v[c] * mean[c];
        m /= (double)C;
        for (size_t c = 0; c < C; c++) {
            const double d = (double)v[c] * mean[c] - m;
            v[c] = d > 0.0 ? (float)d : 0.0f;
            dmax = v[c] > dmax ? v[c] : dmax;
        }
    }
    const float inv = dmax > 0.0f ? 1.0f / dmax : 0.0f;
    for (size_t k = 0; k < n * C; k++)
        node[k] *= inv;
}

/* Node importance and alpha of imp from edge scores[C+1][E] (the rule above; alpha from the
 * class-blind row C). work: double[C] scratch. */
static void store_edge_scores(const nb_network *net, const float *scores, double *work,
                              nb_importance *imp) {
    const size_t L = net->n_layers, C = imp->n_classes, E = nb_network_n_edges(net);
    size_t e0 = 0;
    for (size_t l = 0; l + 1 < L; l++) {
        const size_t n_in = net->layer_size[l], n_out = net->layer_size[l + 1];
        float *node = nb_importance_node(imp, l), *alpha = nb_importance_edge(imp, l);
        float amax = 0.0f;
        for (size_t e = 0; e < n_in * n_out; e++) {
            alpha[e] = scores[C * E + e0 + e];
            amax = alpha[e] > amax ? alpha[e] : amax;
        }
        const float ainv = amax > 0.0f ? 1.0f / amax : 0.0f;
        for (size_t e = 0; e < n_in * n_out; e++)
            alpha[e] *= ainv;
        /* node i, class c: the sum of class c's scores of its outgoing edges */
        for (size_t i = 0; i < n_in; i++)
            for (size_t c = 0; c < C; c++) {
                const float *s = scores + c * E + e0;
                double sum = 0.0;
                for (size_t j = 0; j < n_out; j++)
                    sum += (double)s[j * n_in + i];
                node[i * C + c] = (float)sum;
            }
        class_contrast(n_in, C, node, work);
        e0 += n_in * n_out;
    }
}

static nb_status compute_saliency(const nb_importance_settings *settings, const nb_network *net,
                                  const nb_dataset *train, const nb_dataset *test,
                                  nb_importance_progress_fn progress, void *user,
                                  nb_importance *out) {
    const size_t C = net->layer_size[net->n_layers - 1], E = nb_network_n_edges(net);
    if (C < 2)
        return NB_RAISE(NB_E_INVALID, "network",
                        "per-class saliency needs >= 2 output classes, the output layer has %zu",
                        C);
    NB_TRY(check_data(net, train, "train set", true));
    NB_TRY(check_data(net, test, "test set", false));
    float *scores = malloc((C + 1) * E * sizeof *scores);
    double *work = malloc(C * sizeof *work);
    if (!scores || !work) {
        free(scores);
        free(work);
        return NB_RAISE(NB_E_NOMEM, "importance", "edge scores (%zu x %zu)", C + 1, E);
    }
    nb_status s = init_result(settings, net, test, out);
    if (s == NB_OK)
        s = nb_saliency_scores(net, train, NULL, 0, saliency_kind_of(settings->method), scores);
    if (s == NB_OK) {
        fill_blind_row(settings->method, C, E, scores);
        store_edge_scores(net, scores, work, out);
        set_text(out->method, sizeof out->method, nb_importance_method_name(settings->method));
        s = fill_top(net, test, out);
    }
    free(scores);
    free(work);
    if (s == NB_OK && progress && !progress(user, C, C))
        s = NB_RAISE(NB_E_CANCELLED, "importance", "cancelled");
    if (s != NB_OK)
        nb_importance_deinit(out);
    return s;
}

/* ---- the table ------------------------------------------------------------------------
 * One row per method, indexed by nb_importance_method; the names are the enum words of the
 * importance_method key (common/nb_processing_config.c). */

static const nb_importance_strategy strategies[] = {
    [NB_IMPORTANCE_BN_GAMMA] = {true, compute_bn_gamma},
    [NB_IMPORTANCE_MAGNITUDE] = {false, compute_magnitude},
    [NB_IMPORTANCE_TAYLOR] = {true, compute_saliency},
    [NB_IMPORTANCE_TAYLOR_MEAN] = {true, compute_saliency},
    [NB_IMPORTANCE_OBD] = {true, compute_saliency},
    [NB_IMPORTANCE_ACTIVATION] = {true, compute_saliency},
};

const nb_importance_strategy *nb_importance_strategy_of(nb_importance_method method) {
    const size_t n = sizeof strategies / sizeof strategies[0];
    if ((int)method < 0 || (size_t)method >= n || !strategies[method].compute)
        return NULL;
    return &strategies[method];
}

const char *nb_importance_method_name(nb_importance_method method) {
    return nb_config_enum_name(&nb_processing_schema, "importance_method", (int)method);
}

const nb_importance_strategy *nb_importance_find_strategy(const char *name) {
    const nb_config_key *key = nb_config_find(&nb_processing_schema, "importance_method");
    int method = nb_config_key_enum_index(key, name);
    return method >= 0 ? nb_importance_strategy_of((nb_importance_method)method) : NULL;
}

nb_status nb_importance_compute(const nb_importance_settings *settings, const nb_network *net,
                                const nb_dataset *train, const nb_dataset *test,
                                nb_importance_progress_fn progress, void *user,
                                nb_importance *out) {
    memset(out, 0, sizeof *out);
    NB_TRY(nb_importance_settings_validate(settings));
    nb_importance_settings r;
    nb_importance_settings_resolve(settings, &r);
    const nb_importance_strategy *st = nb_importance_strategy_of(r.method);
    if (!st)
        return NB_RAISE(NB_E_CONFIG, "importance_method", "value %d names no strategy",
                        (int)r.method);
    const char *name = nb_importance_method_name(r.method);
    if (st->needs_data && !train)
        return NB_RAISE(NB_E_MISSING, "train set", "method %s needs a training set", name);
    if (st->needs_data && !test)
        return NB_RAISE(NB_E_MISSING, "test set", "method %s needs a test set", name);
    return st->compute(&r, net, train, test, progress, user, out);
}

nb_status nb_importance_edge_scores(const nb_importance_settings *settings, const nb_network *net,
                                    const nb_dataset *train, const nb_dataset *test,
                                    float *scores) {
    NB_TRY(nb_importance_settings_validate(settings));
    nb_importance_settings r;
    nb_importance_settings_resolve(settings, &r);
    const size_t C = net->layer_size[net->n_layers - 1], E = nb_network_n_edges(net);
    if (is_saliency_method(r.method)) {
        if (!train)
            return NB_RAISE(NB_E_MISSING, "train set", "method %s needs a training set",
                            nb_importance_method_name(r.method));
        NB_TRY(check_data(net, train, "train set", true));
        NB_TRY(nb_saliency_scores(net, train, NULL, 0, saliency_kind_of(r.method), scores));
        fill_blind_row(r.method, C, E, scores);
        return NB_OK;
    }
    r.top_k = NB_SETTING_ZERO; /* no top-activating images needed */
    nb_importance imp;
    NB_TRY(nb_importance_compute(&r, net, train, test, NULL, NULL, &imp));
    nb_status s = NB_OK;
    for (size_t c = 0; c <= C && s == NB_OK; c++)
        s = nb_prune_scores(&imp, NB_PRUNE_ALPHA_MEAN_GAMMA, c < C ? (int)c : -1, scores + c * E);
    nb_importance_deinit(&imp);
    return s;
}
