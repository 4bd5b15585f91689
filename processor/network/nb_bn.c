/* nb_bn.c - batch normalisation forward/backward and the BN-augmented frozen MLP.
 *
 * DESIGN: batch norm as in Ioffe & Szegedy (2015) with the Keras defaults of method.md
 * §2.4 (momentum 0.99, eps 1e-3, biased batch variance, running mean 0 / variance 1 at the
 * start). Every per-feature loop runs rows outer, features inner, so the compiler vectorises
 * it; per-feature sums go straight into the caller's [n] arrays.
 * nb_bn_net is the network that importance fine-tuning trains for one class: the trained
 * dense layers (frozen), a BN in front of each of them, and the 2-unit one-vs-rest head of
 * §2.4 step 2. Its backward pass needs no weight gradients, only dx through each frozen dense
 * layer (one sgemm, nb_mlp_dense_backward) and through ReLU and BN, down to the input BN,
 * whose dx is skipped. Gradient formulas checked against central differences in
 * tests/test_bn.c.
 * Threading: none inside; one nb_bn_net per thread (its workspace is its own). Reads no
 * config keys (nb_importance passes flags, L1/L2 factors and batch size).
 */
#include "nb_bn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nb_mlp.h"

/* Training-mode forward; row b of the input is rows[b] if rows is not NULL, else x + b*n. */
static void forward_train(const float *x, const float *const *rows, size_t batch, size_t n,
                          const float *gamma, const float *beta, float eps, float *xhat,
                          float *inv_std, float *y, float *batch_mean, float *batch_var) {
    float *mu = batch_mean, *var = batch_var;
    float inv_b = 1.0f / (float)batch;
    memset(mu, 0, n * sizeof *mu);
    memset(var, 0, n * sizeof *var);
    for (size_t b = 0; b < batch; b++) {
        const float *xr = rows ? rows[b] : x + b * n;
        if (rows && b + 2 < batch) /* scattered rows: fetch two ahead, a cache line at a time */
            for (size_t i = 0; i < n; i += 64 / sizeof(float))
                __builtin_prefetch(rows[b + 2] + i);
        for (size_t i = 0; i < n; i++)
            mu[i] += xr[i];
    }
    for (size_t i = 0; i < n; i++)
        mu[i] *= inv_b;
    for (size_t b = 0; b < batch; b++) {
        const float *xr = rows ? rows[b] : x + b * n;
        for (size_t i = 0; i < n; i++) {
            float d = xr[i] - mu[i];
            var[i] += d * d;
        }
    }
    for (size_t i = 0; i < n; i++) {
        var[i] *= inv_b;
        inv_std[i] = 1.0f / sqrtf(var[i] + eps);
    }
    for (size_t b = 0; b < batch; b++) {
        const float *xr = rows ? rows[b] : x + b * n;
        float *hr = xhat + b * n, *yr = y + b * n;
        if (beta) {
            for (size_t i = 0; i < n; i++) {
                float h = (xr[i] - mu[i]) * inv_std[i];
                hr[i] = h;
                yr[i] = gamma[i] * h + beta[i];
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                float h = (xr[i] - mu[i]) * inv_std[i];
                hr[i] = h;
                yr[i] = gamma[i] * h;
            }
        }
    }
}

void nb_bn_forward_train(const float *x, size_t batch, size_t n, const float *gamma,
                         const float *beta, float eps, float *xhat, float *inv_std, float *y,
                         float *batch_mean, float *batch_var) {
    forward_train(x, NULL, batch, n, gamma, beta, eps, xhat, inv_std, y, batch_mean, batch_var);
}

void nb_bn_update_running(float *running_mean, float *running_var, const float *batch_mean,
                          const float *batch_var, size_t n, float momentum) {
    for (size_t i = 0; i < n; i++) {
        running_mean[i] = momentum * running_mean[i] + (1.0f - momentum) * batch_mean[i];
        running_var[i] = momentum * running_var[i] + (1.0f - momentum) * batch_var[i];
    }
}

void nb_bn_forward_infer(const float *x, size_t batch, size_t n, const float *gamma,
                         const float *beta, const float *running_mean, const float *running_var,
                         float eps, float *y) {
    for (size_t b = 0; b < batch; b++) {
        const float *xr = x + b * n;
        float *yr = y + b * n;
        for (size_t i = 0; i < n; i++) {
            float h = (xr[i] - running_mean[i]) / sqrtf(running_var[i] + eps);
            yr[i] = gamma[i] * h + (beta ? beta[i] : 0.0f);
        }
    }
}

void nb_bn_backward(const float *dy, const float *xhat, const float *inv_std, const float *gamma,
                    size_t batch, size_t n, float *dx, float *dgamma, float *dbeta) {
    memset(dgamma, 0, n * sizeof *dgamma);
    memset(dbeta, 0, n * sizeof *dbeta);
    for (size_t b = 0; b < batch; b++) {
        const float *dr = dy + b * n, *hr = xhat + b * n;
        for (size_t i = 0; i < n; i++) {
            dgamma[i] += dr[i] * hr[i];
            dbeta[i] += dr[i];
        }
    }
    if (!dx)
        return;
    /* dx = gamma*inv_std/B * (B*dy - sum dy - xhat * sum dy*xhat) */
    float fb = (float)batch, inv_b = 1.0f / fb;
    for (size_t b = 0; b < batch; b++) {
        const float *dr = dy + b * n, *hr = xhat + b * n;
        float *xr = dx + b * n;
        for (size_t i = 0; i < n; i++)
            xr[i] = gamma[i] * inv_std[i] * inv_b * (fb * dr[i] - dbeta[i] - hr[i] * dgamma[i]);
    }
}

/* ---- nb_bn_net ------------------------------------------------------------------------ */

/* ReLU in place and its backward; the same as nb_mlp_relu_forward/backward, written to
 * vectorise without a branch per element (they sit in the innermost training loop). */
static void relu_forward(float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++)
        y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

static void relu_backward(const float *restrict y, float *restrict dy, size_t n) {
    for (size_t i = 0; i < n; i++)
        dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

nb_status nb_bn_net_init(nb_bn_net *bn, const nb_network *net, size_t max_batch) {
    memset(bn, 0, sizeof *bn);
    size_t L = net->n_layers;
    if (L < 2 || net->layer_size[L - 1] < 2)
        return NB_RAISE(NB_E_INVALID, "bn network",
                        "needs >= 2 layers and >= 2 output classes (got %zu layers)", L);
    if (max_batch == 0)
        return NB_RAISE(NB_E_INVALID, "bn network", "batch size 0");
    nb_bn_net b = {0};
    b.net = net;
    b.n_layers = L;
    b.max_batch = max_batch;
    b.eps = NB_BN_EPS;
    b.momentum = NB_BN_MOMENTUM;
    b.param_offset = calloc(L, sizeof *b.param_offset);
    if (!b.param_offset)
        return NB_RAISE(NB_E_NOMEM, "bn network", "offsets");
    for (size_t l = 0; l + 1 < L; l++) {
        b.param_offset[l] = b.n_params;
        b.n_params += net->layer_size[l];
        if (net->layer_size[l] > b.widest)
            b.widest = net->layer_size[l];
    }
    b.param_offset[L - 1] = b.n_params;
    size_t P = b.n_params, BP = max_batch * P, BW = max_batch * b.widest;
    size_t nh = net->layer_size[L - 2];
    b.head_w = malloc(2 * nh * sizeof(float));
    b.gamma = malloc(P * sizeof(float));
    b.beta = malloc(P * sizeof(float));
    b.run_mean = malloc(P * sizeof(float));
    b.run_var = malloc(P * sizeof(float));
    b.act = malloc(BP * sizeof(float));
    b.xhat = malloc(BP * sizeof(float));
    b.inv_std = malloc(P * sizeof(float));
    b.bmean = malloc(P * sizeof(float));
    b.bvar = malloc(P * sizeof(float));
    b.sum_dy = malloc(P * sizeof(float));
    b.zbuf = malloc(BW * sizeof(float));
    b.g0 = malloc(BW * sizeof(float));
    b.g1 = malloc(BW * sizeof(float));
    b.logits = malloc(2 * max_batch * sizeof(float));
    b.dlogits = malloc(2 * max_batch * sizeof(float));
    if (!b.head_w || !b.gamma || !b.beta || !b.run_mean || !b.run_var || !b.act || !b.xhat ||
        !b.inv_std || !b.bmean || !b.bvar || !b.sum_dy || !b.zbuf || !b.g0 || !b.g1 || !b.logits ||
        !b.dlogits) {
        nb_bn_net_deinit(&b);
        return NB_RAISE(NB_E_NOMEM, "bn network", "workspace for batch %zu x %zu", max_batch,
                        b.widest);
    }
    *bn = b;
    return NB_OK;
}

void nb_bn_net_deinit(nb_bn_net *bn) {
    if (!bn)
        return;
    free(bn->param_offset);
    free(bn->head_w);
    free(bn->gamma);
    free(bn->beta);
    free(bn->run_mean);
    free(bn->run_var);
    free(bn->act);
    free(bn->xhat);
    free(bn->inv_std);
    free(bn->bmean);
    free(bn->bvar);
    free(bn->sum_dy);
    free(bn->zbuf);
    free(bn->g0);
    free(bn->g1);
    free(bn->logits);
    free(bn->dlogits);
    memset(bn, 0, sizeof *bn);
}

void nb_bn_net_reset(nb_bn_net *bn, size_t cls, float gamma_init, bool centering) {
    const nb_network *net = bn->net;
    size_t L = bn->n_layers, nh = net->layer_size[L - 2], C = net->layer_size[L - 1];
    const float *w = nb_network_weight(net, L - 2), *bias = nb_network_bias(net, L - 2);
    /* unit 0 = row cls; unit 1 = sum over classes minus row cls (summed in double, fixed order) */
    for (size_t i = 0; i < nh; i++) {
        double sum = 0.0;
        for (size_t c = 0; c < C; c++)
            if (c != cls)
                sum += w[c * nh + i];
        bn->head_w[i] = w[cls * nh + i];
        bn->head_w[nh + i] = (float)sum;
    }
    double bsum = 0.0;
    for (size_t c = 0; c < C; c++)
        if (c != cls)
            bsum += bias[c];
    bn->head_b[0] = bias[cls];
    bn->head_b[1] = (float)bsum;
    for (size_t k = 0; k < bn->n_params; k++) {
        bn->gamma[k] = gamma_init;
        bn->beta[k] = 0.0f;
        bn->run_mean[k] = 0.0f;
        bn->run_var[k] = 1.0f;
    }
    bn->centering = centering;
}

double nb_bn_net_loss_grad(nb_bn_net *bn, const float *x, const uint8_t *labels, size_t batch,
                           double l1, double l2, bool update_running, float *dgamma, float *dbeta,
                           size_t *n_correct) {
    return nb_bn_net_loss_grad_rows(bn, x, NULL, labels, batch, l1, l2, update_running, dgamma,
                                    dbeta, n_correct);
}

double nb_bn_net_loss_grad_rows(nb_bn_net *bn, const float *x, const float *const *rows,
                                const uint8_t *labels, size_t batch, double l1, double l2,
                                bool update_running, float *dgamma, float *dbeta,
                                size_t *n_correct) {
    const nb_network *net = bn->net;
    size_t L = bn->n_layers, B = batch;
    const size_t *ns = net->layer_size, *po = bn->param_offset;
    const float *in = x;
    /* forward, training mode */
    for (size_t l = 0; l + 1 < L; l++) {
        size_t n = ns[l], k = po[l];
        float *xh = bn->xhat + bn->max_batch * k;
        forward_train(in, l == 0 ? rows : NULL, B, n, bn->gamma + k,
                      bn->centering ? bn->beta + k : NULL, bn->eps, xh, bn->inv_std + k, bn->zbuf,
                      bn->bmean + k, bn->bvar + k);
        if (update_running)
            nb_bn_update_running(bn->run_mean + k, bn->run_var + k, bn->bmean + k, bn->bvar + k, n,
                                 bn->momentum);
        if (l + 2 < L) {
            float *a = bn->act + bn->max_batch * po[l + 1];
            nb_mlp_dense_forward(bn->zbuf, B, n, nb_network_weight(net, l), nb_network_bias(net, l),
                                 ns[l + 1], a);
            relu_forward(a, B * ns[l + 1]);
            in = a;
        } else {
            nb_mlp_dense_forward(bn->zbuf, B, n, bn->head_w, bn->head_b, 2, bn->logits);
        }
    }
    double loss = nb_mlp_softmax_xent(bn->logits, labels, B, 2, bn->dlogits, n_correct);
    /* backward: g0 = d loss / d (BN output of layer l) */
    float *g0 = bn->g0, *g1 = bn->g1;
    nb_mlp_dense_backward(NULL, B, ns[L - 2], bn->head_w, 2, bn->dlogits, g0, NULL, NULL);
    for (size_t l = L - 1; l-- > 0;) {
        size_t n = ns[l], k = po[l];
        float *db = bn->centering && dbeta ? dbeta + k : bn->sum_dy + k;
        nb_bn_backward(g0, bn->xhat + bn->max_batch * k, bn->inv_std + k, bn->gamma + k, B, n,
                       l > 0 ? g0 : NULL, dgamma + k, db);
        if (l == 0)
            break;
        relu_backward(bn->act + bn->max_batch * k, g0, B * n);
        nb_mlp_dense_backward(NULL, B, ns[l - 1], nb_network_weight(net, l - 1), n, g0, g1, NULL,
                              NULL);
        float *t = g0;
        g0 = g1;
        g1 = t;
    }
    if (dbeta && !bn->centering)
        memset(dbeta, 0, bn->n_params * sizeof *dbeta);
    /* regulariser on gamma */
    double pen = 0.0;
    for (size_t k = 0; k < bn->n_params; k++) {
        double g = bn->gamma[k];
        double sign = g > 0.0 ? 1.0 : (g < 0.0 ? -1.0 : 0.0);
        pen += l1 * fabs(g) + l2 * g * g;
        dgamma[k] += (float)(l1 * sign + 2.0 * l2 * g);
    }
    return loss + pen;
}

void nb_bn_net_predict(nb_bn_net *bn, const float *x, size_t batch, float *logits) {
    const nb_network *net = bn->net;
    size_t L = bn->n_layers;
    const size_t *ns = net->layer_size, *po = bn->param_offset;
    const float *in = x;
    float *bufs[2] = {bn->g0, bn->g1};
    for (size_t l = 0; l + 1 < L; l++) {
        size_t n = ns[l], k = po[l];
        nb_bn_forward_infer(in, batch, n, bn->gamma + k, bn->centering ? bn->beta + k : NULL,
                            bn->run_mean + k, bn->run_var + k, bn->eps, bn->zbuf);
        if (l + 2 < L) {
            float *a = bufs[l & 1];
            nb_mlp_dense_forward(bn->zbuf, batch, n, nb_network_weight(net, l),
                                 nb_network_bias(net, l), ns[l + 1], a);
            relu_forward(a, batch * ns[l + 1]);
            in = a;
        } else {
            nb_mlp_dense_forward(bn->zbuf, batch, n, bn->head_w, bn->head_b, 2, logits);
        }
    }
}
