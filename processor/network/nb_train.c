/* nb_train.c - mini-batch Adam training of a dense ReLU network with softmax cross-entropy.
 *
 * DESIGN: data flow per step: the batch (next B indices of the epoch's shuffled order) is cut
 * into shards of NB_TRAIN_SHARD_ROWS rows (the cut depends only on the batch size). Each
 * shard gathers its rows, runs forward layer by layer (nb_mlp_dense_forward + ReLU on hidden
 * layers), softmax cross-entropy gives dLoss/dlogits of the batch mean, then backward pair
 * by pair: partial dW, db into the shard's own gradient arrays, delta[l] = delta[l+1] * W
 * masked by ReLU (skipped for the input layer, which needs no gradient). One element-wise
 * pass then sums the shards' partial gradients in shard order, adds the L1 subgradient
 * lambda*sign(w) (weights only) and applies Adam (Kingma & Ba 2015, Algorithm 1, in PyTorch's
 * arrangement of the bias corrections). Glorot-uniform initial weights (nb_random), zero
 * biases; each epoch shuffles an index permutation with nb_rng stream
 * (seed, NB_TRAIN_STREAM_SHUFFLE); pair l's initial weights come from stream
 * (seed, NB_TRAIN_STREAM_INIT + l). All buffers are allocated before the first epoch; the
 * step loop allocates nothing.
 * Threading: shards run in parallel on OpenMP threads (one shard per iteration, each with
 * single-threaded sgemm: OpenBLAS is set to one thread for the duration of the call and
 * restored after), then the Adam update runs as an OpenMP loop over fixed blocks of
 * parameters. Evaluation passes run fixed chunks of images in parallel and sum per-chunk
 * results in chunk order. Every value therefore depends on the seed and the data only, never
 * on the thread count. Why not OpenBLAS's own threads: with 2 threads its sgemm rounds
 * differently than with 1 (measured: 10-30 % of the entries of 128x81x784 products differ in
 * the last bits), and on the 2-core test machine its spinning workers next to OpenMP loops
 * made training 2-5x slower; its 2-thread speed-up on these small products was nil anyway.
 * Networks with an architecture string (desc.arch, `--arch`) are built by
 * nb_train_arch_build and trained by the operator engine (nb_layers.h): the same epochs,
 * shuffling stream and Adam settings, each batch gathered into one buffer and given to
 * nb_layers_trainer_step, the test set evaluated after every epoch with nb_mlp_evaluate (which
 * runs nb_layers_forward), and the graph view built at the end (nb_graph_build). The engine
 * reduces in a fixed order too, so these are also thread-count independent.
 * Reads no config keys (settings come from nb_train_desc; see nb_train.h for defaults).
 */
#include "nb_train.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_graph.h"
#include "nb_h5.h"
#include "nb_input.h"
#include "nb_layers.h"
#include "nb_log.h"
#include "nb_mlp.h"
#include "nb_random.h"
#include "nb_rng.h"
#include "nb_tuner.h"

enum {
    NB_TRAIN_STREAM_SHUFFLE = 1,
    NB_TRAIN_STREAM_INIT = 1000,
};

/* ---- architecture strings ------------------------------------------------------------------ */

#define NB_TRAIN_MAX_CONV 4096
#define NB_TRAIN_MAX_FC   1000000

/* Checks a parsed (or hand-made) architecture: kinds, sizes, order. */
static nb_status check_arch(const nb_train_arch *a) {
    if (a->n > NB_TRAIN_MAX_ARCH)
        return NB_RAISE(NB_E_INVALID, "train arch", "%zu blocks, at most %d", a->n,
                        NB_TRAIN_MAX_ARCH);
    bool fc = false;
    for (size_t k = 0; k < a->n; k++) {
        switch (a->kind[k]) {
        case NB_TRAIN_BLOCK_CONV:
        case NB_TRAIN_BLOCK_POOL:
            if (fc)
                return NB_RAISE(NB_E_INVALID, "train arch",
                                "block %zu (%s) follows a dense layer: convolutions and pooling "
                                "come first",
                                k + 1, a->kind[k] == NB_TRAIN_BLOCK_CONV ? "conv" : "pool");
            if (a->kind[k] == NB_TRAIN_BLOCK_CONV &&
                (a->size[k] < 1 || a->size[k] > NB_TRAIN_MAX_CONV))
                return NB_RAISE(NB_E_INVALID, "train arch",
                                "block %zu: conv%zu, channels must be 1..%d", k + 1, a->size[k],
                                NB_TRAIN_MAX_CONV);
            break;
        case NB_TRAIN_BLOCK_FC:
            fc = true;
            if (a->size[k] < 1 || a->size[k] > NB_TRAIN_MAX_FC)
                return NB_RAISE(NB_E_INVALID, "train arch", "block %zu: fc%zu, units must be 1..%d",
                                k + 1, a->size[k], NB_TRAIN_MAX_FC);
            break;
        default:
            return NB_RAISE(NB_E_INVALID, "train arch", "block %zu has unknown kind %d", k + 1,
                            (int)a->kind[k]);
        }
    }
    return NB_OK;
}

/* N of "convN"/"fcN": decimal digits only, 1..max. */
static bool parse_count(const char *digits, size_t len, size_t max, size_t *out) {
    if (len == 0 || len > 9)
        return false;
    size_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return false;
        v = v * 10 + (size_t)(digits[i] - '0');
    }
    if (v < 1 || v > max)
        return false;
    *out = v;
    return true;
}

nb_status nb_train_arch_parse(const char *text, nb_train_arch *arch) {
    memset(arch, 0, sizeof *arch);
    if (!text || !*text)
        return NB_RAISE(NB_E_INVALID, "train arch",
                        "empty; expected blocks like conv32-pool-conv64-pool-fc128");
    nb_train_arch a = {0};
    const char *p = text;
    for (;;) {
        const char *dash = strchr(p, '-');
        const size_t len = dash ? (size_t)(dash - p) : strlen(p);
        if (len == 0)
            return NB_RAISE(NB_E_INVALID, "train arch",
                            "'%s': empty block at character %zu (a leading, trailing or doubled "
                            "'-')",
                            text, (size_t)(p - text) + 1);
        if (a.n == NB_TRAIN_MAX_ARCH)
            return NB_RAISE(NB_E_INVALID, "train arch", "'%s': more than %d blocks", text,
                            NB_TRAIN_MAX_ARCH);
        const int shown = len > 40 ? 40 : (int)len;
        if (len == 4 && !strncmp(p, "pool", 4)) {
            a.kind[a.n] = NB_TRAIN_BLOCK_POOL;
        } else if (len >= 4 && !strncmp(p, "conv", 4)) {
            a.kind[a.n] = NB_TRAIN_BLOCK_CONV;
            if (!parse_count(p + 4, len - 4, NB_TRAIN_MAX_CONV, &a.size[a.n]))
                return NB_RAISE(NB_E_INVALID, "train arch",
                                "block '%.*s': conv needs a channel count 1..%d (e.g. conv32)",
                                shown, p, NB_TRAIN_MAX_CONV);
        } else if (len >= 2 && !strncmp(p, "fc", 2)) {
            a.kind[a.n] = NB_TRAIN_BLOCK_FC;
            if (!parse_count(p + 2, len - 2, NB_TRAIN_MAX_FC, &a.size[a.n]))
                return NB_RAISE(NB_E_INVALID, "train arch",
                                "block '%.*s': fc needs a unit count 1..%d (e.g. fc128)", shown, p,
                                NB_TRAIN_MAX_FC);
        } else {
            return NB_RAISE(NB_E_INVALID, "train arch",
                            "unknown block '%.*s' (expected convN, pool or fcN)", shown, p);
        }
        a.n++;
        if (!dash)
            break;
        p = dash + 1;
    }
    NB_TRY(check_arch(&a));
    *arch = a;
    return NB_OK;
}

const char *nb_train_arch_format(const nb_train_arch *arch, char *buf, size_t cap) {
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    size_t len = 0;
    for (size_t k = 0; k < arch->n && len < cap; k++) {
        const char *sep = k ? "-" : "";
        int w;
        if (arch->kind[k] == NB_TRAIN_BLOCK_POOL)
            w = snprintf(buf + len, cap - len, "%spool", sep);
        else
            w = snprintf(buf + len, cap - len, "%s%s%zu", sep,
                         arch->kind[k] == NB_TRAIN_BLOCK_CONV ? "conv" : "fc", arch->size[k]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return buf;
}

/* U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010), count values. */
static void glorot_fill(nb_rng *rng, float *w, size_t count, size_t fan_in, size_t fan_out) {
    const double a = sqrt(6.0 / (double)(fan_in + fan_out));
    for (size_t k = 0; k < count; k++)
        w[k] = (float)((2.0 * nb_rng_uniform(rng) - 1.0) * a);
}

/* The operators of arch (shapes not yet inferred) into ops[] (capacity 3 * n + 1); returns
 * their count. */
static size_t arch_ops(const nb_train_arch *arch, size_t n_classes, nb_op *ops) {
    size_t n_blocks = arch->n, n = 0;
    if (n_blocks && arch->kind[n_blocks - 1] == NB_TRAIN_BLOCK_FC &&
        arch->size[n_blocks - 1] == n_classes)
        n_blocks--; /* the explicit output layer */
    bool spatial = false;
    for (size_t k = 0; k < n_blocks; k++) {
        switch (arch->kind[k]) {
        case NB_TRAIN_BLOCK_CONV:
            ops[n++] = (nb_op){.kind = NB_OP_CONV2D,
                               .out_c = arch->size[k],
                               .kernel_h = 3,
                               .kernel_w = 3,
                               .stride_h = 1,
                               .stride_w = 1,
                               .dilation_h = 1,
                               .dilation_w = 1,
                               .pad_top = 1,
                               .pad_left = 1,
                               .pad_bottom = 1,
                               .pad_right = 1};
            ops[n++] = (nb_op){.kind = NB_OP_RELU};
            spatial = true;
            break;
        case NB_TRAIN_BLOCK_POOL:
            ops[n++] = (nb_op){.kind = NB_OP_MAXPOOL,
                               .kernel_h = 2,
                               .kernel_w = 2,
                               .stride_h = 2,
                               .stride_w = 2,
                               .dilation_h = 1,
                               .dilation_w = 1};
            spatial = true;
            break;
        default: /* FC */
            if (spatial)
                ops[n++] = (nb_op){.kind = NB_OP_FLATTEN};
            spatial = false;
            ops[n++] = (nb_op){.kind = NB_OP_DENSE, .out_c = arch->size[k]};
            ops[n++] = (nb_op){.kind = NB_OP_RELU};
            break;
        }
    }
    if (spatial)
        ops[n++] = (nb_op){.kind = NB_OP_FLATTEN};
    ops[n++] = (nb_op){.kind = NB_OP_DENSE, .out_c = n_classes};
    return n;
}

nb_status nb_train_arch_build(const nb_train_arch *arch, size_t in_c, size_t in_h, size_t in_w,
                              size_t n_classes, uint64_t seed, nb_network *net) {
    memset(net, 0, sizeof *net);
    if (arch->n == 0)
        return NB_RAISE(NB_E_INVALID, "train arch", "no blocks");
    NB_TRY(check_arch(arch));
    if (n_classes < 2)
        return NB_RAISE(NB_E_INVALID, "train arch", "%zu classes, need >= 2", n_classes);
    /* 2x2 pooling needs at least 2x2 */
    size_t h = in_h, w = in_w;
    for (size_t k = 0; k < arch->n; k++)
        if (arch->kind[k] == NB_TRAIN_BLOCK_POOL) {
            if (h < 2 || w < 2)
                return NB_RAISE(NB_E_INVALID, "train arch",
                                "block %zu (pool): its input is %zux%zu, too small for 2x2 "
                                "pooling (images are %zux%zu)",
                                k + 1, h, w, in_h, in_w);
            h /= 2;
            w /= 2;
        }
    nb_network n = {.in_c = in_c, .in_h = in_h, .in_w = in_w, .n_classes = n_classes};
    n.ops = calloc(3 * arch->n + 2, sizeof *n.ops);
    if (!n.ops)
        return NB_RAISE(NB_E_NOMEM, "train arch", "operator table");
    n.n_ops = arch_ops(arch, n_classes, n.ops);
    snprintf(n.activation, sizeof n.activation, "relu");
    nb_status s = nb_graph_infer_shapes(&n);
    for (size_t k = 0; k < n.n_ops && s == NB_OK; k++) {
        nb_op *op = &n.ops[k];
        const size_t nw = nb_op_weight_count(op);
        if (!nw)
            continue;
        op->weight = malloc(nw * sizeof *op->weight);
        op->bias = calloc(op->out_c, sizeof *op->bias);
        if (!op->weight || !op->bias) {
            s = NB_RAISE(NB_E_NOMEM, "train arch", "weights of operator %zu", k);
            break;
        }
        const size_t kk = op->kind == NB_OP_CONV2D ? op->kernel_h * op->kernel_w : 1;
        nb_rng rng;
        nb_rng_init_stream(&rng, seed, NB_TRAIN_STREAM_INIT + k);
        glorot_fill(&rng, op->weight, nw, nw / op->out_c, op->out_c * kk);
    }
    if (s != NB_OK) {
        nb_network_deinit(&n);
        return s;
    }
    *net = n;
    return NB_OK;
}

void nb_train_desc_resolve(const nb_train_desc *desc, nb_train_desc *out) {
    nb_train_desc d = *desc;
    if (d.n_hidden == 0) {
        d.n_hidden = 2;
        memset(d.hidden, 0, sizeof d.hidden);
        d.hidden[0] = 81;
        d.hidden[1] = 49;
    }
    if (d.epochs == 0)
        d.epochs = 15;
    if (d.batch_size == 0)
        d.batch_size = 128;
    if (d.learning_rate == 0.0)
        d.learning_rate = 1e-3;
    if (d.beta1 == 0.0)
        d.beta1 = 0.9;
    if (d.beta2 == 0.0)
        d.beta2 = 0.999;
    if (d.epsilon == 0.0)
        d.epsilon = 1e-8;
    if (d.seed == 0)
        d.seed = 1;
    if (!d.dataset_name)
        d.dataset_name = "";
    *out = d;
}

nb_status nb_train_desc_validate(const nb_train_desc *d) {
    if (d->n_hidden < 1 || d->n_hidden > NB_TRAIN_MAX_HIDDEN)
        return NB_RAISE(NB_E_INVALID, "train hidden", "%zu hidden layers, allowed 1..%d",
                        d->n_hidden, NB_TRAIN_MAX_HIDDEN);
    for (size_t k = 0; k < d->n_hidden; k++)
        if (d->hidden[k] < 1 || d->hidden[k] > 1000000)
            return NB_RAISE(NB_E_INVALID, "train hidden",
                            "hidden layer %zu has %zu nodes, allowed 1..1000000", k + 1,
                            d->hidden[k]);
    if (d->epochs < 1 || d->epochs > 100000)
        return NB_RAISE(NB_E_INVALID, "train epochs", "%d, allowed 1..100000", d->epochs);
    if (d->batch_size < 1 || d->batch_size > 1048576)
        return NB_RAISE(NB_E_INVALID, "train batch_size", "%zu, allowed 1..1048576", d->batch_size);
    NB_TRY(nb_layers_check_adam(d->learning_rate, d->beta1, d->beta2, d->epsilon, d->l1));
    if (d->threads < 0 || d->threads > 1024)
        return NB_RAISE(NB_E_INVALID, "train threads", "%d, allowed 0..1024", d->threads);
    return check_arch(&d->arch);
}

/* Rows per shard: a batch is cut into shards of this many rows (more when the batch has more
 * than NB_TRAIN_MAX_SHARDS * NB_TRAIN_SHARD_ROWS rows). Large enough for efficient sgemm,
 * small enough that a 128-image batch gives 4 shards to spread over the threads. */
#define NB_TRAIN_SHARD_ROWS 32
#define NB_TRAIN_MAX_SHARDS 16

/* Images per chunk of the evaluation passes (test set each epoch, training set at the end). */
#define NB_TRAIN_EVAL_CHUNK 1024

/* Buffers of one shard: its slice of the batch and its partial gradients. */
typedef struct shard_work {
    float **act;    /* [L]: act[l] float32[rows][n_l]; act[0] is the gathered input */
    float **delta;  /* [L]: delta[l] float32[rows][n_l], l >= 1 */
    float *gw, *gb; /* partial gradients, laid out like net->weights / net->biases */
    uint8_t *labels;
    double loss_sum; /* sum over the shard's rows of the cross-entropy */
    size_t correct;
} shard_work;

/* Every buffer of a training run, allocated before the first step. */
typedef struct train_work {
    size_t L;
    size_t shard_rows;  /* rows per shard (fixed by the batch size only) */
    size_t n_shards;    /* shards of a full batch */
    shard_work *shard;  /* [n_shards] */
    float *mw, *vw;     /* Adam moments of the weights */
    float *mb, *vb;     /* Adam moments of the biases */
    uint32_t *perm;     /* [n] sample order of the current epoch */
    int n_threads;      /* most OpenMP threads: desc.threads, else omp_get_max_threads() */
    float *eval_buf;    /* [n_threads][2][NB_TRAIN_EVAL_CHUNK][widest layer] */
    size_t eval_stride; /* floats per thread in eval_buf */
    double *chunk_loss; /* [chunks of the larger data set] */
    size_t *chunk_correct;
} train_work;

static void work_free(train_work *w) {
    if (w->shard)
        for (size_t k = 0; k < w->n_shards; k++) {
            shard_work *sh = &w->shard[k];
            for (size_t l = 0; l < w->L; l++) {
                if (sh->act)
                    free(sh->act[l]);
                if (sh->delta)
                    free(sh->delta[l]);
            }
            free(sh->act);
            free(sh->delta);
            free(sh->gw);
            free(sh->gb);
            free(sh->labels);
        }
    free(w->shard);
    free(w->mw);
    free(w->vw);
    free(w->mb);
    free(w->vb);
    free(w->perm);
    free(w->eval_buf);
    free(w->chunk_loss);
    free(w->chunk_correct);
    memset(w, 0, sizeof *w);
}

static nb_status work_alloc(train_work *w, const nb_network *net, size_t B, size_t n,
                            size_t n_eval_max, int threads) {
    memset(w, 0, sizeof *w);
    const size_t L = net->n_layers;
    const size_t n_w = net->weight_offset[L - 1], n_b = net->bias_offset[L - 1];
    size_t width = 0;
    for (size_t l = 0; l < L; l++)
        width = net->layer_size[l] > width ? net->layer_size[l] : width;
    w->L = L;
    w->shard_rows = (B + NB_TRAIN_MAX_SHARDS - 1) / NB_TRAIN_MAX_SHARDS;
    if (w->shard_rows < NB_TRAIN_SHARD_ROWS)
        w->shard_rows = NB_TRAIN_SHARD_ROWS;
    if (w->shard_rows > B)
        w->shard_rows = B;
    w->n_shards = (B + w->shard_rows - 1) / w->shard_rows;
    w->n_threads = threads > 0 ? threads : omp_get_max_threads();
    if (w->n_threads < 1)
        w->n_threads = 1;
    w->shard = calloc(w->n_shards, sizeof *w->shard);
    bool ok = w->shard != NULL;
    for (size_t k = 0; ok && k < w->n_shards; k++) {
        shard_work *sh = &w->shard[k];
        sh->act = calloc(L, sizeof *sh->act);
        sh->delta = calloc(L, sizeof *sh->delta);
        ok = sh->act && sh->delta;
        for (size_t l = 0; ok && l < L; l++) {
            sh->act[l] = malloc(w->shard_rows * net->layer_size[l] * sizeof(float));
            sh->delta[l] = l ? malloc(w->shard_rows * net->layer_size[l] * sizeof(float)) : NULL;
            ok = sh->act[l] && (l == 0 || sh->delta[l]);
        }
        if (ok) {
            sh->gw = malloc(n_w * sizeof(float));
            sh->gb = malloc(n_b * sizeof(float));
            sh->labels = malloc(w->shard_rows);
            ok = sh->gw && sh->gb && sh->labels;
        }
    }
    if (ok) {
        const size_t n_chunks = (n_eval_max + NB_TRAIN_EVAL_CHUNK - 1) / NB_TRAIN_EVAL_CHUNK;
        w->mw = calloc(n_w, sizeof(float));
        w->vw = calloc(n_w, sizeof(float));
        w->mb = calloc(n_b, sizeof(float));
        w->vb = calloc(n_b, sizeof(float));
        w->perm = malloc((n ? n : 1) * sizeof(uint32_t));
        w->eval_stride = 2 * NB_TRAIN_EVAL_CHUNK * width;
        w->eval_buf = malloc((size_t)w->n_threads * w->eval_stride * sizeof(float));
        w->chunk_loss = malloc((n_chunks ? n_chunks : 1) * sizeof(double));
        w->chunk_correct = malloc((n_chunks ? n_chunks : 1) * sizeof(size_t));
        ok = w->mw && w->vw && w->mb && w->vb && w->perm && w->eval_buf && w->chunk_loss &&
             w->chunk_correct;
    }
    if (!ok) {
        work_free(w);
        return NB_RAISE(NB_E_NOMEM, "training", "cannot allocate buffers for batch %zu", B);
    }
    return NB_OK;
}

/* Forward + backward of one shard: rows perm[0..m) of the data set. Leaves the shard's
 * partial gradients of the batch-mean loss (batch of m_batch rows) in sh->gw, sh->gb.
 * Single-threaded (sgemm runs with OpenBLAS set to one thread). */
static void shard_step(const nb_network *net, const nb_dataset *ds, const uint32_t *perm, size_t m,
                       size_t m_batch, shard_work *sh) {
    const size_t L = net->n_layers;
    const size_t *n = net->layer_size;
    const size_t dim = ds->dim;
    for (size_t r = 0; r < m; r++) {
        memcpy(sh->act[0] + r * dim, ds->images + (size_t)perm[r] * dim, dim * sizeof(float));
        sh->labels[r] = ds->labels[perm[r]];
    }
    for (size_t l = 0; l + 1 < L; l++) {
        nb_mlp_dense_forward(sh->act[l], m, n[l], net->weights + net->weight_offset[l],
                             net->biases + net->bias_offset[l], n[l + 1], sh->act[l + 1]);
        if (l + 2 < L)
            nb_mlp_relu_forward(sh->act[l + 1], m * n[l + 1]);
    }
    size_t c = 0;
    const size_t C = n[L - 1];
    float *dz = sh->delta[L - 1];
    const double loss = nb_mlp_softmax_xent(sh->act[L - 1], sh->labels, m, C, dz, &c);
    sh->loss_sum = loss * (double)m;
    sh->correct = c;
    /* nb_mlp_softmax_xent gives d(shard mean)/dz; the step follows the batch mean */
    if (m != m_batch) {
        const float scale = (float)((double)m / (double)m_batch);
        for (size_t k = 0; k < m * C; k++)
            dz[k] *= scale;
    }
    for (size_t l = L - 1; l-- > 0;) {
        float *dx = l > 0 ? sh->delta[l] : NULL;
        nb_mlp_dense_backward(sh->act[l], m, n[l], net->weights + net->weight_offset[l], n[l + 1],
                              sh->delta[l + 1], dx, sh->gw + net->weight_offset[l],
                              sh->gb + net->bias_offset[l]);
        if (dx)
            nb_mlp_relu_backward(sh->act[l], dx, m * n[l]);
    }
}

/* Adam on parameters [i0, i1) of p: gradient = sum over shards 0..S-1 of the partial
 * gradients (in that order), plus l1 * sign(p) when l1 > 0.
 * step = lr / (1 - beta1^t), inv_bc2 = 1 / sqrt(1 - beta2^t). */
typedef struct adam_args {
    float beta1, beta2, step, inv_bc2, eps, l1;
} adam_args;

static void adam_range(float *p, float *m, float *v, const train_work *w, size_t S, bool weights,
                       size_t i0, size_t i1, const adam_args *a) {
    /* sum the shards' partial gradients into shard 0's array, in shard order */
    float *g = (weights ? w->shard[0].gw : w->shard[0].gb) + i0;
    const size_t n = i1 - i0;
    for (size_t k = 1; k < S; k++) {
        const float *gk = (weights ? w->shard[k].gw : w->shard[k].gb) + i0;
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            g[i] += gk[i];
    }
    p += i0;
    m += i0;
    v += i0;
    const float beta1 = a->beta1, beta2 = a->beta2, one_b1 = 1.0f - a->beta1,
                one_b2 = 1.0f - a->beta2, l1 = a->l1, step = a->step, inv_bc2 = a->inv_bc2,
                eps = a->eps;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        /* l1 * sign(p), written as a select so that GCC vectorises it */
        const float gi = g[i] + (p[i] > 0.0f ? l1 : (p[i] < 0.0f ? -l1 : 0.0f));
        const float mi = beta1 * m[i] + one_b1 * gi;
        const float vi = beta2 * v[i] + one_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= step * mi / (sqrtf(vi) * inv_bc2 + eps);
    }
}

/* Parameters per Adam work item: fixed, so the split does not depend on the thread count
 * (it could not change results anyway: the update is element-wise). */
#define NB_TRAIN_ADAM_BLOCK 4096

/* One Adam step on the batch perm[0..m): shards in parallel, then the update in parallel.
 * Returns the batch's summed cross-entropy; adds its correct count to *correct. */
static double train_step(nb_network *net, train_work *w, const nb_dataset *ds, const uint32_t *perm,
                         size_t m, const nb_train_desc *d, uint64_t t, int threads,
                         size_t *correct) {
    const size_t L = net->n_layers;
    const size_t S = (m + w->shard_rows - 1) / w->shard_rows;
    const size_t n_w = net->weight_offset[L - 1], n_b = net->bias_offset[L - 1];
    const double bc1 = 1.0 - pow(d->beta1, (double)t);
    const double bc2 = 1.0 - pow(d->beta2, (double)t);
    const adam_args aw = {
        (float)d->beta1,          (float)d->beta2,   (float)(d->learning_rate / bc1),
        (float)(1.0 / sqrt(bc2)), (float)d->epsilon, (float)d->l1};
    adam_args ab = aw;
    ab.l1 = 0.0f; /* biases are not penalised */
    /* weight blocks, then one block with every bias */
    const ptrdiff_t n_wblocks = (ptrdiff_t)((n_w + NB_TRAIN_ADAM_BLOCK - 1) / NB_TRAIN_ADAM_BLOCK);
    const int n_threads = threads < (int)S ? threads : (int)S;
    /* Two barriers per step (end of the shard loop, end of the region): each one costs a
     * time slice when the machine is oversubscribed, so there are no more. */
#pragma omp parallel num_threads(n_threads)
    {
#pragma omp for schedule(static)
        for (ptrdiff_t k = 0; k < (ptrdiff_t)S; k++) {
            const size_t r0 = (size_t)k * w->shard_rows;
            const size_t rows = m - r0 < w->shard_rows ? m - r0 : w->shard_rows;
            shard_step(net, ds, perm + r0, rows, m, &w->shard[k]);
        }
#pragma omp for schedule(static) nowait
        for (ptrdiff_t k = 0; k <= n_wblocks; k++) {
            if (k == n_wblocks) {
                adam_range(net->biases, w->mb, w->vb, w, S, false, 0, n_b, &ab);
            } else {
                const size_t i0 = (size_t)k * NB_TRAIN_ADAM_BLOCK;
                const size_t i1 = i0 + NB_TRAIN_ADAM_BLOCK < n_w ? i0 + NB_TRAIN_ADAM_BLOCK : n_w;
                adam_range(net->weights, w->mw, w->vw, w, S, true, i0, i1, &aw);
            }
        }
    }
    double loss_sum = 0.0;
    for (size_t k = 0; k < S; k++) {
        loss_sum += w->shard[k].loss_sum;
        *correct += w->shard[k].correct;
    }
    return loss_sum;
}

/* Thread count of the steps (nb_tuner.h). A step is ~1 ms of work and needs two barriers;
 * when the machine is oversubscribed every barrier waits for the other threads to be
 * scheduled again, and 2 threads ran 12x slower than 1 (141 s vs 11 s for the full
 * Fashion-MNIST run at load average 10 on 2 cores). Steps this short are noisy and too short
 * to measure CPU time over, so the tuner starts on 1 thread, always tries the other count
 * (16 steps before the first trial, 200 after a switch, up to 6400 after failed trials),
 * times 7 steps per trial after one untimed warm-up step, and switches at a 15 % win. fixed
 * > 0: always that many threads. */
static void tuner_init(nb_tuner *tu, int max_threads, int fixed) {
    const nb_tuner_desc desc = {
        .threads = fixed > 0 ? fixed : max_threads,
        .mode = fixed > 0 ? NB_TUNER_FIXED : NB_TUNER_ALWAYS_TRY,
        .start = 1,
        .first_wait = 16,
        .period = 200,
        .max_wait = 6400,
        .trial_calls = 7,
        .warmup_calls = 1,
        .win = 0.85,
        .weight = 0.1,
        .name = "training",
    };
    nb_tuner_init(tu, &desc);
}

/* Mean loss and accuracy of net on ds (validated): chunks of NB_TRAIN_EVAL_CHUNK images in
 * parallel on `threads` threads (the tuner's current choice), sums in chunk order, so the
 * same result for every thread count. */
static void evaluate_set(const nb_network *net, const nb_dataset *ds, train_work *w, int threads,
                         double *loss, double *accuracy) {
    const size_t L = net->n_layers, C = net->layer_size[L - 1], n0 = net->layer_size[0];
    const size_t n = ds->n;
    const ptrdiff_t n_chunks = (ptrdiff_t)((n + NB_TRAIN_EVAL_CHUNK - 1) / NB_TRAIN_EVAL_CHUNK);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (ptrdiff_t k = 0; k < n_chunks; k++) {
        float *buf0 = w->eval_buf + (size_t)omp_get_thread_num() * w->eval_stride;
        float *buf1 = buf0 + w->eval_stride / 2;
        const size_t i0 = (size_t)k * NB_TRAIN_EVAL_CHUNK;
        const size_t m = n - i0 < NB_TRAIN_EVAL_CHUNK ? n - i0 : NB_TRAIN_EVAL_CHUNK;
        const float *in = ds->images + i0 * n0;
        float *out = buf0;
        for (size_t l = 0; l + 1 < L; l++) {
            const size_t n_out = net->layer_size[l + 1];
            nb_mlp_dense_forward(in, m, net->layer_size[l], net->weights + net->weight_offset[l],
                                 net->biases + net->bias_offset[l], n_out, out);
            if (l + 2 < L)
                nb_mlp_relu_forward(out, m * n_out);
            in = out;
            out = out == buf0 ? buf1 : buf0;
        }
        size_t c = 0;
        w->chunk_loss[k] = nb_mlp_softmax_xent(in, ds->labels + i0, m, C, NULL, &c) * (double)m;
        w->chunk_correct[k] = c;
    }
    double sum = 0.0;
    size_t correct = 0;
    for (ptrdiff_t k = 0; k < n_chunks; k++) {
        sum += w->chunk_loss[k];
        correct += w->chunk_correct[k];
    }
    *loss = n ? sum / (double)n : NAN;
    *accuracy = n ? (double)correct / (double)n : NAN;
}

static double l1_penalty(const nb_network *net, double l1) {
    if (l1 <= 0.0)
        return 0.0;
    const size_t n_w = net->weight_offset[net->n_layers - 1];
    double s = 0.0;
    for (size_t i = 0; i < n_w; i++)
        s += fabs((double)net->weights[i]);
    return l1 * s;
}

static nb_status check_data(const nb_dataset *train, const nb_dataset *test) {
    if (!train || train->n == 0 || !train->images || !train->labels)
        return NB_RAISE(NB_E_INVALID, "training set", "no images");
    if (train->dim == 0)
        return NB_RAISE(NB_E_INVALID, "training set", "images have 0 values");
    if (train->n > UINT32_MAX)
        return NB_RAISE(NB_E_INVALID, "training set", "%zu images, at most %u supported", train->n,
                        (unsigned)UINT32_MAX);
    size_t C = 0;
    for (size_t i = 0; i < train->n; i++)
        if ((size_t)train->labels[i] + 1 > C)
            C = (size_t)train->labels[i] + 1;
    if (C < 2)
        return NB_RAISE(NB_E_INVALID, "training set", "%zu class(es) in the labels, need >= 2", C);
    if (C != train->n_classes)
        return NB_RAISE(NB_E_INVALID, "training set",
                        "n_classes is %zu but the largest label is %zu", train->n_classes, C - 1);
    NB_TRY(nb_dataset_check_classes(train, "training set"));
    if (test) {
        if (test->dim != train->dim)
            return NB_RAISE(NB_E_MISMATCH, "test set",
                            "images have %zu values (%zux%zu), training images %zu (%zux%zu)",
                            test->dim, test->rows, test->cols, train->dim, train->rows,
                            train->cols);
        if (test->n > 0 && (test->rows != train->rows || test->cols != train->cols ||
                            test->channels != train->channels))
            return NB_RAISE(NB_E_MISMATCH, "test set",
                            "images of %zux%zu (%zu channel(s)), training images %zux%zu (%zu)",
                            test->rows, test->cols, test->channels, train->rows, train->cols,
                            train->channels);
        for (size_t i = 0; i < test->n; i++)
            if (test->labels[i] >= C)
                return NB_RAISE(NB_E_MISMATCH, "test set",
                                "label %u of image %zu, but the training set has %zu classes",
                                (unsigned)test->labels[i], i, C);
    }
    return NB_OK;
}

/* Before anything is allocated: a dense network the file format can hold (NB_H5_MAX_ELEMENTS
 * weights, else hours of training end in a file that cannot be written) and whose weights,
 * gradient and Adam's two moments (4 x float32 per weight) fit the memory limit. */
static nb_status check_size(const nb_train_desc *d, const nb_dataset *train) {
    char subject[300];
    snprintf(subject, sizeof subject, "%s (training)",
             d->dataset_name && d->dataset_name[0] ? d->dataset_name : "data");
    size_t prev = train->dim, n_w = 0;
    for (size_t k = 0; k <= d->n_hidden; k++) {
        size_t next = k < d->n_hidden ? d->hidden[k] : train->n_classes;
        size_t pair = nb_input_mul(prev, next);
        if (pair > NB_H5_MAX_ELEMENTS || n_w + pair > NB_H5_MAX_ELEMENTS)
            return NB_RAISE(NB_E_INVALID, subject,
                            "%zux%zu images and the layer sizes make over %zu weights, more "
                            "than a .nnb.h5 file holds (NB_H5_MAX_ELEMENTS, docs/file_format.md)",
                            train->rows, train->cols, (size_t)NB_H5_MAX_ELEMENTS);
        n_w += pair;
        prev = next;
    }
    char what[128];
    snprintf(what, sizeof what, "training %zu weights (weights, gradient, Adam moments)", n_w);
    return nb_input_check(nb_input_mul(n_w, 4 * sizeof(float)), subject, what);
}

/* The untrained network: layer sizes from the data and desc, Glorot-uniform weights (pair l
 * from stream (seed, NB_TRAIN_STREAM_INIT + l)), zero biases. */
static nb_status init_network(const nb_train_desc *d, const nb_dataset *train, nb_network *net) {
    const size_t L = d->n_hidden + 2;
    size_t sizes[NB_TRAIN_MAX_HIDDEN + 2];
    sizes[0] = train->dim;
    for (size_t k = 0; k < d->n_hidden; k++)
        sizes[k + 1] = d->hidden[k];
    sizes[L - 1] = train->n_classes;
    NB_TRY(nb_network_init(net, L, sizes));
    for (size_t l = 0; l + 1 < L; l++) {
        nb_rng rng;
        nb_rng_init_stream(&rng, d->seed, NB_TRAIN_STREAM_INIT + l);
        nb_random_glorot_uniform(&rng, net->weights + net->weight_offset[l], sizes[l + 1],
                                 sizes[l]);
        /* biases stay zero (nb_network_init) */
    }
    return NB_OK;
}

/* What the epochs of one training run share. */
typedef struct train_run {
    const nb_train_desc *d;
    const nb_dataset *train, *test;
    nb_network *net;
    train_work *w;
    nb_tuner tuner;
    nb_rng shuffle;
    size_t B;   /* images per step */
    uint64_t t; /* steps so far (Adam's time step) */
} train_run;

/* Closes an epoch's progress bar with its summary line. */
static void end_epoch_bar(nb_progress *bar, const nb_train_desc *d,
                          const nb_train_epoch_stats *st) {
    char summary[160];
    if (d->l1 > 0.0)
        snprintf(summary, sizeof summary,
                 "loss %.4f + L1 %.4f, train accuracy %.4f (running), test accuracy %.4f", st->loss,
                 st->l1_penalty, st->train_accuracy, st->test_accuracy);
    else
        snprintf(summary, sizeof summary,
                 "loss %.4f, train accuracy %.4f (running), test accuracy %.4f", st->loss,
                 st->train_accuracy, st->test_accuracy);
    nb_progress_end(bar, summary);
}

/* The steps of one epoch (a fresh shuffle, then batches of B) with a progress bar; fills the
 * epoch's loss and running train accuracy. NB_E_NUMERIC if the loss diverges. */
static nb_status run_epoch(train_run *tr, int epoch, nb_train_epoch_stats *st) {
    const nb_train_desc *d = tr->d;
    const size_t n = tr->train->n, B = tr->B, n_batches = (n + B - 1) / B;
    nb_rng_shuffle_u32(&tr->shuffle, tr->w->perm, n);
    char label[64], note[64];
    snprintf(label, sizeof label, "epoch %d/%d", epoch, d->epochs);
    nb_progress bar;
    nb_progress_begin(&bar, label, n_batches);
    double loss_sum = 0.0;
    size_t correct = 0;
    for (size_t b = 0; b < n_batches; b++) {
        const size_t i0 = b * B;
        const size_t m = n - i0 < B ? n - i0 : B;
        const int threads = nb_tuner_begin(&tr->tuner);
        const double t_step = nb_time_now();
        tr->t++;
        const double batch_loss =
            train_step(tr->net, tr->w, tr->train, tr->w->perm + i0, m, d, tr->t, threads, &correct);
        nb_tuner_end(&tr->tuner, nb_time_now() - t_step, 1.0);
        loss_sum += batch_loss;
        if (!isfinite(batch_loss)) {
            nb_progress_end(&bar, "diverged");
            return NB_RAISE(NB_E_NUMERIC, "training",
                            "loss is %g at epoch %d, batch %zu: training diverged (lower the "
                            "learning rate)",
                            batch_loss / (double)m, epoch, b + 1);
        }
        snprintf(note, sizeof note, "loss %.4f", loss_sum / (double)(i0 + m));
        nb_progress_update(&bar, b + 1, note);
    }
    *st = (nb_train_epoch_stats){
        .epoch = epoch,
        .epochs = d->epochs,
        .loss = loss_sum / (double)n,
        .l1_penalty = l1_penalty(tr->net, d->l1),
        .train_accuracy = (double)correct / (double)n,
        .test_accuracy = NAN,
        .test_loss = NAN,
    };
    if (tr->test)
        evaluate_set(tr->net, tr->test, tr->w, nb_tuner_current(&tr->tuner), &st->test_loss,
                     &st->test_accuracy);
    end_epoch_bar(&bar, d, st);
    return NB_OK;
}

/* ---- networks with operators (desc.arch) ---------------------------------------------------- */

/* What the epochs of an operator-chain training share. */
typedef struct ops_run {
    const nb_train_desc *d;
    const nb_dataset *train, *test;
    nb_network *net;
    nb_layers_trainer *tr;
    nb_tuner tuner; /* threads per step (desc.threads > 0: fixed) */
    nb_rng shuffle;
    size_t B;
    uint32_t *perm; /* [n] */
    float *xb;      /* [B][dim] the gathered batch */
    uint8_t *lb;    /* [B] */
} ops_run;

/* L1 penalty of the DENSE/CONV2D weights (reported like the dense path's). */
static double ops_l1_penalty(const nb_network *net, double l1) {
    if (l1 <= 0.0)
        return 0.0;
    double s = 0.0;
    for (size_t k = 0; k < net->n_ops; k++) {
        const nb_op *op = &net->ops[k];
        const size_t nw = nb_op_weight_count(op);
        for (size_t i = 0; i < nw && op->weight; i++)
            s += fabs((double)op->weight[i]);
    }
    return l1 * s;
}

/* One epoch of operator-chain training (run_epoch's counterpart). */
static nb_status run_epoch_ops(ops_run *r, int epoch, nb_train_epoch_stats *st) {
    const nb_train_desc *d = r->d;
    const nb_dataset *ds = r->train;
    const size_t n = ds->n, B = r->B, dim = ds->dim, n_batches = (n + B - 1) / B;
    nb_rng_shuffle_u32(&r->shuffle, r->perm, n);
    char label[64], note[64];
    snprintf(label, sizeof label, "epoch %d/%d", epoch, d->epochs);
    nb_progress bar;
    nb_progress_begin(&bar, label, n_batches);
    double loss_sum = 0.0;
    size_t correct = 0;
    for (size_t b = 0; b < n_batches; b++) {
        const size_t i0 = b * B;
        const size_t m = n - i0 < B ? n - i0 : B;
        for (size_t i = 0; i < m; i++) {
            const size_t src = r->perm[i0 + i];
            memcpy(r->xb + i * dim, ds->images + src * dim, dim * sizeof *r->xb);
            r->lb[i] = ds->labels[src];
        }
        double loss = 0.0;
        size_t c = 0;
        nb_layers_trainer_set_threads(r->tr, nb_tuner_begin(&r->tuner));
        const double t_step = nb_time_now();
        const nb_status s = nb_layers_trainer_step(r->tr, r->xb, r->lb, m, &loss, &c);
        nb_tuner_end(&r->tuner, nb_time_now() - t_step, (double)m);
        if (s == NB_E_NUMERIC) {
            nb_progress_end(&bar, "diverged");
            return NB_RAISE(NB_E_NUMERIC, "training",
                            "loss is %g at epoch %d, batch %zu: training diverged (lower the "
                            "learning rate)",
                            loss, epoch, b + 1);
        }
        if (s != NB_OK) {
            nb_progress_end(&bar, "failed");
            return s;
        }
        loss_sum += loss * (double)m;
        correct += c;
        snprintf(note, sizeof note, "loss %.4f", loss_sum / (double)(i0 + m));
        nb_progress_update(&bar, b + 1, note);
    }
    *st = (nb_train_epoch_stats){
        .epoch = epoch,
        .epochs = d->epochs,
        .loss = loss_sum / (double)n,
        .l1_penalty = ops_l1_penalty(r->net, d->l1),
        .train_accuracy = (double)correct / (double)n,
        .test_accuracy = NAN,
        .test_loss = NAN,
    };
    nb_status s = NB_OK;
    if (r->test)
        s = nb_mlp_evaluate(r->net, r->test, &st->test_loss, &st->test_accuracy, NULL);
    end_epoch_bar(&bar, d, st);
    return s;
}

/* nb_train_network for desc.arch: build, train with the operator engine, graph view. */
static nb_status train_ops(const nb_train_desc *d, const nb_dataset *train, const nb_dataset *test,
                           nb_network *net_out) {
    nb_network net;
    NB_TRY(nb_train_arch_build(&d->arch, train->channels ? train->channels : 1, train->rows,
                               train->cols, train->n_classes, d->seed, &net));
    if (net.in_c * net.in_h * net.in_w != train->dim) {
        nb_network_deinit(&net);
        return NB_RAISE(NB_E_INVALID, "training set", "images of %zu values are not %zux%zux%zu",
                        train->dim, train->channels, train->rows, train->cols);
    }
    const size_t n = train->n;
    ops_run r = {.d = d, .train = train, .test = test, .net = &net};
    r.B = d->batch_size < n ? d->batch_size : n;
    const nb_layers_train_desc ld = {.learning_rate = d->learning_rate,
                                     .beta1 = d->beta1,
                                     .beta2 = d->beta2,
                                     .epsilon = d->epsilon,
                                     .l1 = d->l1,
                                     .threads = d->threads};
    nb_status s = nb_layers_trainer_create(&net, r.B, &ld, &r.tr);
    if (s == NB_OK) {
        r.perm = malloc(n * sizeof *r.perm);
        r.xb = malloc(r.B * train->dim * sizeof *r.xb);
        r.lb = malloc(r.B);
        if (!r.perm || !r.xb || !r.lb)
            s = NB_RAISE(NB_E_NOMEM, "training", "batch buffers for batch %zu", r.B);
    }
    if (s == NB_OK) {
        for (size_t i = 0; i < n; i++)
            r.perm[i] = (uint32_t)i;
        nb_rng_init_stream(&r.shuffle, d->seed, NB_TRAIN_STREAM_SHUFFLE);
        /* steps of a CNN take 10 ms or more: the tuner's defaults (as the density back-ends),
         * starting on every thread, trials of 1 thread when the CPU efficiency drops */
        const int max_threads = nb_layers_trainer_set_threads(r.tr, 1 << 20);
        const nb_tuner_desc td = {.threads = max_threads,
                                  .mode = d->threads > 0 ? NB_TUNER_FIXED : NB_TUNER_ADAPTIVE,
                                  .name = "training"};
        nb_tuner_init(&r.tuner, &td);
    }
    double last_test_accuracy = NAN;
    for (int epoch = 1; epoch <= d->epochs && s == NB_OK; epoch++) {
        const double t0 = nb_time_now();
        nb_train_epoch_stats st;
        s = run_epoch_ops(&r, epoch, &st);
        if (s != NB_OK)
            break;
        last_test_accuracy = st.test_accuracy;
        st.seconds = nb_time_now() - t0;
        if (d->on_epoch && !d->on_epoch(d->user, &st))
            s = NB_RAISE(NB_E_CANCELLED, "training", "stopped after epoch %d", epoch);
    }
    nb_layers_trainer_destroy(r.tr);
    free(r.perm);
    free(r.xb);
    free(r.lb);
    if (s == NB_OK)
        s = nb_mlp_evaluate(&net, train, NULL, &net.train_accuracy, NULL);
    if (s == NB_OK) {
        net.test_accuracy = last_test_accuracy;
        snprintf(net.source, sizeof net.source, "train");
        snprintf(net.dataset, sizeof net.dataset, "%s", d->dataset_name);
        net.epochs = d->epochs;
        net.seed = d->seed;
        net.l1 = d->l1;
        s = nb_graph_build(&net);
    }
    if (s != NB_OK) {
        nb_network_deinit(&net);
        return s;
    }
    *net_out = net;
    return NB_OK;
}

nb_status nb_train_network(const nb_train_desc *desc, const nb_dataset *train,
                           const nb_dataset *test, nb_network *net_out) {
    memset(net_out, 0, sizeof *net_out);
    nb_train_desc d;
    nb_train_desc_resolve(desc, &d);
    NB_TRY(nb_train_desc_validate(&d));
    NB_TRY(check_data(train, test));
    if (test && test->n == 0)
        test = NULL;
    if (d.arch.n > 0)
        return train_ops(&d, train, test, net_out);
    nb_network net;
    NB_TRY(check_size(&d, train));
    NB_TRY(init_network(&d, train, &net));

    const size_t n = train->n;
    train_work w;
    train_run tr = {.d = &d, .train = train, .test = test, .net = &net, .w = &w};
    tr.B = d.batch_size < n ? d.batch_size : n;
    nb_status s = work_alloc(&w, &net, tr.B, n, test && test->n > n ? test->n : n, d.threads);
    if (s != NB_OK) {
        nb_network_deinit(&net);
        return s;
    }
    for (size_t i = 0; i < n; i++)
        w.perm[i] = (uint32_t)i;
    /* One OpenBLAS thread: the parallelism is over shards and chunks (see DESIGN). */
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    nb_rng_init_stream(&tr.shuffle, d.seed, NB_TRAIN_STREAM_SHUFFLE);
    tuner_init(&tr.tuner, w.n_threads, d.threads);
    double last_test_accuracy = NAN;
    for (int epoch = 1; epoch <= d.epochs && s == NB_OK; epoch++) {
        const double t0 = nb_time_now();
        nb_train_epoch_stats st;
        s = run_epoch(&tr, epoch, &st);
        if (s != NB_OK)
            break;
        last_test_accuracy = st.test_accuracy;
        st.seconds = nb_time_now() - t0;
        if (d.on_epoch && !d.on_epoch(d.user, &st))
            s = NB_RAISE(NB_E_CANCELLED, "training", "stopped after epoch %d", epoch);
    }
    if (s == NB_OK) {
        double loss = NAN, acc = NAN;
        evaluate_set(&net, train, &w, nb_tuner_current(&tr.tuner), &loss, &acc);
        net.train_accuracy = acc;
        net.test_accuracy = last_test_accuracy;
    }
    openblas_set_num_threads(blas_threads);
    work_free(&w);
    if (s != NB_OK) {
        nb_network_deinit(&net);
        return s;
    }
    snprintf(net.source, sizeof net.source, "train");
    snprintf(net.dataset, sizeof net.dataset, "%s", d.dataset_name);
    net.epochs = d.epochs;
    net.seed = d.seed;
    net.l1 = d.l1;
    *net_out = net;
    return NB_OK;
}
