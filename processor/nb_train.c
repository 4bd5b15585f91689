/* nb_train.c - mini-batch Adam training of a dense ReLU network with softmax cross-entropy.
 *
 * DESIGN: data flow per step: gather the batch's rows (shuffled index order) into act[0],
 * forward layer by layer into act[l+1] (nb_mlp_dense_forward + ReLU on hidden layers),
 * softmax cross-entropy gives delta[L-1] = dLoss/dlogits, then backward pair by pair:
 * dW, db into flat gradient arrays laid out like the network's weights/biases, delta[l] =
 * delta[l+1] * W masked by ReLU (skipped for the input layer, which needs no gradient).
 * One fused element-wise pass then adds the L1 subgradient lambda*sign(w) and applies Adam
 * (Kingma & Ba 2015, Algorithm 1, PyTorch's arrangement of the bias corrections) to weights
 * and biases. Glorot-uniform initial weights (nb_random), zero biases; each epoch shuffles an
 * index permutation with nb_rng stream (seed, NB_TRAIN_STREAM_SHUFFLE), pair l's initial
 * weights come from stream (seed, NB_TRAIN_STREAM_INIT + l).
 * All buffers (activations, deltas, gradients, Adam moments, permutation) are allocated
 * once before the first epoch; the step loop allocates nothing.
 * Threading: sgemm runs on OpenBLAS's threads (the only parallel part); everything else
 * (gather, softmax, bias gradients, the Adam update as one SIMD loop) runs on the calling
 * thread in a fixed order. The element-wise loops are deliberately not OpenMP loops: a step
 * is ~1 ms, and waking OpenMP threads while OpenBLAS's worker threads still spin after their
 * sgemm oversubscribed the 2-core test machine: 3 Fashion-MNIST epochs took 2.1-5.1 s with
 * OpenMP gather/Adam loops and 1.05-1.09 s without (784-81-49-10, batch 128, 2 threads).
 * Reads no config keys (settings come from nb_train_desc; see nb_train.h for defaults).
 */
#include "nb_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_log.h"
#include "nb_mlp.h"
#include "nb_random.h"
#include "nb_rng.h"

enum {
    NB_TRAIN_STREAM_SHUFFLE = 1,
    NB_TRAIN_STREAM_INIT = 1000,
};

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
        return NB_RAISE(NB_E_INVALID, "train batch_size", "%zu, allowed 1..1048576",
                        d->batch_size);
    if (!(d->learning_rate > 0.0 && d->learning_rate <= 10.0))
        return NB_RAISE(NB_E_INVALID, "train learning_rate", "%g, allowed (0, 10]",
                        d->learning_rate);
    if (!(d->beta1 > 0.0 && d->beta1 < 1.0))
        return NB_RAISE(NB_E_INVALID, "train beta1", "%g, allowed (0, 1)", d->beta1);
    if (!(d->beta2 > 0.0 && d->beta2 < 1.0))
        return NB_RAISE(NB_E_INVALID, "train beta2", "%g, allowed (0, 1)", d->beta2);
    if (!(d->epsilon > 0.0 && d->epsilon <= 1.0))
        return NB_RAISE(NB_E_INVALID, "train epsilon", "%g, allowed (0, 1]", d->epsilon);
    if (!(d->l1 >= 0.0 && d->l1 <= 100.0))
        return NB_RAISE(NB_E_INVALID, "train l1", "%g, allowed [0, 100]", d->l1);
    return NB_OK;
}

/* Every buffer of a training run; one allocation each, made before the first step. */
typedef struct train_work {
    size_t L;          /* layers */
    size_t B;          /* batch size */
    float **act;       /* [L]: act[l] float32[B][n_l]; act[0] is the gathered input */
    float **delta;     /* [L]: delta[l] float32[B][n_l], l >= 1 */
    float *gw, *gb;    /* gradients, laid out like net->weights / net->biases */
    float *mw, *vw;    /* Adam moments of the weights */
    float *mb, *vb;    /* Adam moments of the biases */
    uint32_t *perm;    /* [n] sample order of the current epoch */
    uint8_t *labels;   /* [B] labels of the current batch */
} train_work;

static void work_free(train_work *w) {
    if (w->act)
        for (size_t l = 0; l < w->L; l++)
            free(w->act[l]);
    if (w->delta)
        for (size_t l = 0; l < w->L; l++)
            free(w->delta[l]);
    free(w->act);
    free(w->delta);
    free(w->gw);
    free(w->gb);
    free(w->mw);
    free(w->vw);
    free(w->mb);
    free(w->vb);
    free(w->perm);
    free(w->labels);
    memset(w, 0, sizeof *w);
}

static nb_status work_alloc(train_work *w, const nb_network *net, size_t B, size_t n) {
    memset(w, 0, sizeof *w);
    const size_t L = net->n_layers;
    const size_t n_w = net->weight_offset[L - 1], n_b = net->bias_offset[L - 1];
    w->L = L;
    w->B = B;
    w->act = calloc(L, sizeof *w->act);
    w->delta = calloc(L, sizeof *w->delta);
    bool ok = w->act && w->delta;
    for (size_t l = 0; ok && l < L; l++) {
        w->act[l] = malloc(B * net->layer_size[l] * sizeof(float));
        w->delta[l] = l ? malloc(B * net->layer_size[l] * sizeof(float)) : NULL;
        ok = w->act[l] && (l == 0 || w->delta[l]);
    }
    if (ok) {
        w->gw = malloc(n_w * sizeof(float));
        w->gb = malloc(n_b * sizeof(float));
        w->mw = calloc(n_w, sizeof(float));
        w->vw = calloc(n_w, sizeof(float));
        w->mb = calloc(n_b, sizeof(float));
        w->vb = calloc(n_b, sizeof(float));
        w->perm = malloc((n ? n : 1) * sizeof(uint32_t));
        w->labels = malloc(B);
        ok = w->gw && w->gb && w->mw && w->vw && w->mb && w->vb && w->perm && w->labels;
    }
    if (!ok) {
        work_free(w);
        return NB_RAISE(NB_E_NOMEM, "training", "cannot allocate buffers for batch %zu", B);
    }
    return NB_OK;
}

/* Copies rows perm[0..m) of images/labels into act0 and lab. */
static void gather_batch(const nb_dataset *ds, const uint32_t *perm, size_t m, float *act0,
                         uint8_t *lab) {
    const size_t dim = ds->dim;
    for (size_t r = 0; r < m; r++) {
        memcpy(act0 + r * dim, ds->images + (size_t)perm[r] * dim, dim * sizeof(float));
        lab[r] = ds->labels[perm[r]];
    }
}

/* One Adam step on n parameters p with gradient g (plus l1 * sign(p) if l1 > 0).
 * step = lr / (1 - beta1^t), inv_bc2 = 1 / sqrt(1 - beta2^t). */
static void adam_update(float *p, const float *g, float *m, float *v, size_t n, float beta1,
                        float beta2, float step, float inv_bc2, float eps, float l1) {
    const ptrdiff_t count = (ptrdiff_t)n;
    const float one_b1 = 1.0f - beta1, one_b2 = 1.0f - beta2;
#pragma omp simd
    for (ptrdiff_t i = 0; i < count; i++) {
        float gi = g[i];
        if (l1 > 0.0f)
            gi += l1 * (float)((p[i] > 0.0f) - (p[i] < 0.0f));
        const float mi = beta1 * m[i] + one_b1 * gi;
        const float vi = beta2 * v[i] + one_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= step * mi / (sqrtf(vi) * inv_bc2 + eps);
    }
}

/* Forward + backward + Adam for one batch of m rows already in act[0] / labels.
 * Returns the batch's mean cross-entropy and adds the correct count to *correct. */
static double train_step(nb_network *net, train_work *w, size_t m, const nb_train_desc *d,
                         uint64_t t, size_t *correct) {
    const size_t L = net->n_layers;
    const size_t *n = net->layer_size;
    for (size_t l = 0; l + 1 < L; l++) {
        nb_mlp_dense_forward(w->act[l], m, n[l], net->weights + net->weight_offset[l],
                             net->biases + net->bias_offset[l], n[l + 1], w->act[l + 1]);
        if (l + 2 < L)
            nb_mlp_relu_forward(w->act[l + 1], m * n[l + 1]);
    }
    size_t c = 0;
    double loss = nb_mlp_softmax_xent(w->act[L - 1], w->labels, m, n[L - 1], w->delta[L - 1], &c);
    *correct += c;
    for (size_t l = L - 1; l-- > 0;) {
        float *dx = l > 0 ? w->delta[l] : NULL;
        nb_mlp_dense_backward(w->act[l], m, n[l], net->weights + net->weight_offset[l],
                              n[l + 1], w->delta[l + 1], dx, w->gw + net->weight_offset[l],
                              w->gb + net->bias_offset[l]);
        if (dx)
            nb_mlp_relu_backward(w->act[l], dx, m * n[l]);
    }
    const double bc1 = 1.0 - pow(d->beta1, (double)t);
    const double bc2 = 1.0 - pow(d->beta2, (double)t);
    const float step = (float)(d->learning_rate / bc1);
    const float inv_bc2 = (float)(1.0 / sqrt(bc2));
    const size_t n_w = net->weight_offset[L - 1], n_b = net->bias_offset[L - 1];
    adam_update(net->weights, w->gw, w->mw, w->vw, n_w, (float)d->beta1, (float)d->beta2, step,
                inv_bc2, (float)d->epsilon, (float)d->l1);
    adam_update(net->biases, w->gb, w->mb, w->vb, n_b, (float)d->beta1, (float)d->beta2, step,
                inv_bc2, (float)d->epsilon, 0.0f);
    return loss;
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
        return NB_RAISE(NB_E_INVALID, "training set", "%zu images, at most %u supported",
                        train->n, (unsigned)UINT32_MAX);
    size_t C = 0;
    for (size_t i = 0; i < train->n; i++)
        if ((size_t)train->labels[i] + 1 > C)
            C = (size_t)train->labels[i] + 1;
    if (C < 2)
        return NB_RAISE(NB_E_INVALID, "training set", "%zu class(es) in the labels, need >= 2", C);
    if (C != train->n_classes)
        return NB_RAISE(NB_E_INVALID, "training set",
                        "n_classes is %zu but the largest label is %zu", train->n_classes,
                        C - 1);
    if (test) {
        if (test->dim != train->dim)
            return NB_RAISE(NB_E_MISMATCH, "test set",
                            "images have %zu values (%zux%zu), training images %zu (%zux%zu)",
                            test->dim, test->rows, test->cols, train->dim, train->rows,
                            train->cols);
        for (size_t i = 0; i < test->n; i++)
            if (test->labels[i] >= C)
                return NB_RAISE(NB_E_MISMATCH, "test set",
                                "label %u of image %zu, but the training set has %zu classes",
                                (unsigned)test->labels[i], i, C);
    }
    return NB_OK;
}

nb_status nb_train_network(const nb_train_desc *desc, const nb_dataset *train,
                           const nb_dataset *test, nb_network *net_out) {
    memset(net_out, 0, sizeof *net_out);
    nb_train_desc d;
    nb_train_desc_resolve(desc, &d);
    NB_TRY(nb_train_desc_validate(&d));
    NB_TRY(check_data(train, test));

    const size_t L = d.n_hidden + 2;
    size_t sizes[NB_TRAIN_MAX_HIDDEN + 2];
    sizes[0] = train->dim;
    for (size_t k = 0; k < d.n_hidden; k++)
        sizes[k + 1] = d.hidden[k];
    sizes[L - 1] = train->n_classes;

    nb_network net;
    NB_TRY(nb_network_init(&net, L, sizes));
    for (size_t l = 0; l + 1 < L; l++) {
        nb_rng rng;
        nb_rng_init_stream(&rng, d.seed, NB_TRAIN_STREAM_INIT + l);
        nb_random_glorot_uniform(&rng, net.weights + net.weight_offset[l], sizes[l + 1],
                                 sizes[l]);
        /* biases stay zero (nb_network_init) */
    }

    const size_t n = train->n;
    const size_t B = d.batch_size < n ? d.batch_size : n;
    train_work w;
    nb_status s = work_alloc(&w, &net, B, n);
    if (s != NB_OK) {
        nb_network_deinit(&net);
        return s;
    }
    for (size_t i = 0; i < n; i++)
        w.perm[i] = (uint32_t)i;

    nb_rng shuffle;
    nb_rng_init_stream(&shuffle, d.seed, NB_TRAIN_STREAM_SHUFFLE);
    const size_t n_batches = (n + B - 1) / B;
    uint64_t t = 0;
    double last_test_accuracy = NAN;
    for (int epoch = 1; epoch <= d.epochs && s == NB_OK; epoch++) {
        const double t0 = nb_time_now();
        nb_rng_shuffle_u32(&shuffle, w.perm, n);
        char label[64], note[160];
        snprintf(label, sizeof label, "epoch %d/%d", epoch, d.epochs);
        nb_progress bar;
        nb_progress_begin(&bar, label, n_batches);
        double loss_sum = 0.0;
        size_t correct = 0;
        for (size_t b = 0; b < n_batches; b++) {
            const size_t i0 = b * B;
            const size_t m = n - i0 < B ? n - i0 : B;
            gather_batch(train, w.perm + i0, m, w.act[0], w.labels);
            t++;
            const double loss = train_step(&net, &w, m, &d, t, &correct);
            loss_sum += loss * (double)m;
            if (!isfinite(loss)) {
                s = NB_RAISE(NB_E_NUMERIC, "training",
                             "loss is %g at epoch %d, batch %zu: training diverged (lower the "
                             "learning rate)",
                             loss, epoch, b + 1);
                break;
            }
            snprintf(note, sizeof note, "loss %.4f", loss_sum / (double)(i0 + m));
            nb_progress_update(&bar, b + 1, note);
        }
        if (s != NB_OK) {
            nb_progress_end(&bar, "diverged");
            break;
        }
        nb_train_epoch_stats st = {
            .epoch = epoch,
            .epochs = d.epochs,
            .loss = loss_sum / (double)n,
            .l1_penalty = l1_penalty(&net, d.l1),
            .train_accuracy = (double)correct / (double)n,
            .test_accuracy = NAN,
            .test_loss = NAN,
        };
        if (test && test->n > 0) {
            s = nb_mlp_evaluate(&net, test, &st.test_loss, &st.test_accuracy, NULL);
            if (s != NB_OK) {
                nb_progress_end(&bar, NULL);
                break;
            }
        }
        last_test_accuracy = st.test_accuracy;
        st.seconds = nb_time_now() - t0;
        if (d.l1 > 0.0)
            snprintf(note, sizeof note,
                     "loss %.4f + L1 %.4f, train accuracy %.4f (running), test accuracy %.4f",
                     st.loss, st.l1_penalty, st.train_accuracy, st.test_accuracy);
        else
            snprintf(note, sizeof note,
                     "loss %.4f, train accuracy %.4f (running), test accuracy %.4f", st.loss,
                     st.train_accuracy, st.test_accuracy);
        nb_progress_end(&bar, note);
        if (d.on_epoch && !d.on_epoch(d.user, &st))
            s = NB_RAISE(NB_E_CANCELLED, "training", "stopped after epoch %d", epoch);
    }
    work_free(&w);

    if (s == NB_OK) {
        double acc = NAN;
        s = nb_mlp_evaluate(&net, train, NULL, &acc, NULL);
        net.train_accuracy = acc;
    }
    net.test_accuracy = last_test_accuracy;
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
