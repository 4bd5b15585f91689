/* nb_mlp.c - dense layers, ReLU and softmax cross-entropy on OpenBLAS, forward and backward.
 *
 * DESIGN: every matrix is row-major float32 and a weight matrix is [n_out][n_in] (PyTorch
 * nn.Linear), so one dense layer over a batch is a single cblas_sgemm:
 *     forward   Y[B][O]  = X[B][I] * W^T            (bias rows copied into Y first, beta = 1)
 *     backward  dX[B][I] = dY[B][O] * W
 *               dW[O][I] = dY^T * X                 (sum over the batch inside the GEMM)
 *               db[O]    = column sums of dY        (serial, fixed order)
 * Softmax cross-entropy subtracts the row maximum before exponentiating (log-sum-exp trick)
 * and accumulates the loss in double. nb_mlp_forward walks the layers chunk by chunk
 * (NB_MLP_CHUNK inputs) through two ping-pong buffers, so memory stays O(chunk * widest
 * layer) whatever n is; nb_mlp_evaluate adds the loss and argmax per chunk.
 * Threading: the matrix products use OpenBLAS's own threads; ReLU loops are OpenMP loops
 * (element-wise, so the result does not depend on the thread count); everything else is
 * serial. Whether sgemm itself gives bit-identical results for different thread counts is up
 * to OpenBLAS (it partitions M/N, not the reduction dimension, for these shapes).
 * A network with operators (n_ops > 0) is handed to the operator engine (nb_layers.c) by
 * nb_mlp_forward and nb_mlp_evaluate, so their callers need not know which kind they run.
 * Reads no config keys.
 */
#include "nb_mlp.h"

#include <assert.h>
#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nb_layers.h"

/* Inputs per chunk in nb_mlp_forward / nb_mlp_evaluate: large enough for efficient GEMMs,
 * small enough that the workspace stays in cache-friendly sizes. */
#define NB_MLP_CHUNK 512

/* Below this many elements an OpenMP region costs more than it saves: ReLU is memory-bound,
 * and waking OpenMP threads between sgemm calls (whose OpenBLAS workers still spin) made
 * training several times slower on 2 cores (see nb_train.c). */
#define NB_MLP_OMP_MIN (1u << 20)

static int blas_int(size_t v) {
    assert(v <= (size_t)INT_MAX);
    return (int)v;
}

void nb_mlp_dense_forward(const float *x, size_t batch, size_t n_in, const float *w, const float *b,
                          size_t n_out, float *y) {
    if (batch == 0 || n_out == 0)
        return;
    float beta = 0.0f;
    if (b) {
        for (size_t r = 0; r < batch; r++)
            memcpy(y + r * n_out, b, n_out * sizeof *y);
        beta = 1.0f;
    }
    if (n_in == 0) {
        if (!b)
            memset(y, 0, batch * n_out * sizeof *y);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blas_int(batch), blas_int(n_out),
                blas_int(n_in), 1.0f, x, blas_int(n_in), w, blas_int(n_in), beta, y,
                blas_int(n_out));
}

void nb_mlp_dense_backward(const float *x, size_t batch, size_t n_in, const float *w, size_t n_out,
                           const float *dy, float *dx, float *dw, float *db) {
    if (dx && n_in > 0) {
        if (batch == 0) {
            /* nothing to do: dx has zero rows */
        } else if (n_out == 0) {
            memset(dx, 0, batch * n_in * sizeof *dx);
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blas_int(batch), blas_int(n_in),
                        blas_int(n_out), 1.0f, dy, blas_int(n_out), w, blas_int(n_in), 0.0f, dx,
                        blas_int(n_in));
        }
    }
    if (dw && n_out > 0 && n_in > 0) {
        if (batch == 0)
            memset(dw, 0, n_out * n_in * sizeof *dw);
        else
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blas_int(n_out), blas_int(n_in),
                        blas_int(batch), 1.0f, dy, blas_int(n_out), x, blas_int(n_in), 0.0f, dw,
                        blas_int(n_in));
    }
    if (db && n_out > 0) {
        memset(db, 0, n_out * sizeof *db);
        for (size_t r = 0; r < batch; r++) {
            const float *row = dy + r * n_out;
            for (size_t o = 0; o < n_out; o++)
                db[o] += row[o];
        }
    }
}

void nb_mlp_relu_forward(float *y, size_t n) {
    if (n >= NB_MLP_OMP_MIN) {
        const ptrdiff_t count = (ptrdiff_t)n;
#pragma omp parallel for simd schedule(static)
        for (ptrdiff_t i = 0; i < count; i++)
            y[i] = y[i] > 0.0f ? y[i] : 0.0f;
        return;
    }
    /* small arrays (every training step): no OpenMP call at all */
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

void nb_mlp_relu_backward(const float *y, float *dy, size_t n) {
    if (n >= NB_MLP_OMP_MIN) {
        const ptrdiff_t count = (ptrdiff_t)n;
#pragma omp parallel for simd schedule(static)
        for (ptrdiff_t i = 0; i < count; i++)
            dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        return;
    }
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

double nb_mlp_softmax_xent(const float *logits, const uint8_t *labels, size_t batch, size_t C,
                           float *dlogits, size_t *n_correct) {
    double loss = 0.0;
    size_t correct = 0;
    const double inv_batch = batch ? 1.0 / (double)batch : 0.0;
    for (size_t r = 0; r < batch; r++) {
        const float *z = logits + r * C;
        size_t arg = 0;
        float zmax = z[0];
        for (size_t c = 1; c < C; c++)
            if (z[c] > zmax) {
                zmax = z[c];
                arg = c;
            }
        double sum = 0.0;
        for (size_t c = 0; c < C; c++)
            sum += exp((double)z[c] - (double)zmax);
        const double log_sum = log(sum);
        const size_t label = labels[r];
        assert(label < C);
        loss += log_sum - ((double)z[label] - (double)zmax);
        if (arg == label)
            correct++;
        if (dlogits) {
            float *d = dlogits + r * C;
            for (size_t c = 0; c < C; c++) {
                double p = exp((double)z[c] - (double)zmax - log_sum);
                d[c] = (float)((p - (c == label ? 1.0 : 0.0)) * inv_batch);
            }
        }
    }
    if (n_correct)
        *n_correct = correct;
    return loss * inv_batch;
}

static size_t max_width(const nb_network *net) {
    size_t m = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layer_size[l] > m)
            m = net->layer_size[l];
    return m;
}

/* Forward of rows [0, m) of x through every layer; returns a pointer to the logits (one of
 * the two buffers). If act is not NULL, copies each layer's output into act (row stride
 * act_stride, layer l at column act_col[l]). */
static const float *forward_chunk(const nb_network *net, const float *x, size_t m, float *buf0,
                                  float *buf1, float *act, size_t act_stride) {
    const size_t L = net->n_layers;
    const float *in = x;
    float *out = buf0;
    size_t col = 0;
    if (act) {
        for (size_t r = 0; r < m; r++)
            memcpy(act + r * act_stride, x + r * net->layer_size[0],
                   net->layer_size[0] * sizeof *act);
        col = net->layer_size[0];
    }
    for (size_t l = 0; l + 1 < L; l++) {
        const size_t n_in = net->layer_size[l], n_out = net->layer_size[l + 1];
        nb_mlp_dense_forward(in, m, n_in, net->weights + net->weight_offset[l],
                             net->biases + net->bias_offset[l], n_out, out);
        if (l + 2 < L)
            nb_mlp_relu_forward(out, m * n_out);
        if (act) {
            for (size_t r = 0; r < m; r++)
                memcpy(act + r * act_stride + col, out + r * n_out, n_out * sizeof *act);
            col += n_out;
        }
        in = out;
        out = out == buf0 ? buf1 : buf0;
    }
    return in;
}

nb_status nb_mlp_forward(const nb_network *net, const float *x, size_t n, float *logits,
                         float *activations) {
    if (net->n_ops > 0)
        return nb_layers_forward(net, x, n, logits, activations);
    const size_t L = net->n_layers;
    const size_t n0 = net->layer_size[0], C = net->layer_size[L - 1];
    const size_t width = max_width(net);
    const size_t chunk = n < NB_MLP_CHUNK ? (n ? n : 1) : NB_MLP_CHUNK;
    float *buf = malloc(2 * chunk * width * sizeof *buf);
    if (!buf)
        return NB_RAISE(NB_E_NOMEM, "network", "forward workspace of %zu floats",
                        2 * chunk * width);
    size_t act_stride = 0;
    for (size_t l = 0; l < L; l++)
        act_stride += net->layer_size[l];
    for (size_t i0 = 0; i0 < n; i0 += chunk) {
        const size_t m = n - i0 < chunk ? n - i0 : chunk;
        const float *z =
            forward_chunk(net, x + i0 * n0, m, buf, buf + chunk * width,
                          activations ? activations + i0 * act_stride : NULL, act_stride);
        memcpy(logits + i0 * C, z, m * C * sizeof *logits);
    }
    free(buf);
    return NB_OK;
}

/* Loss and accuracy from the logits[n][C] of the whole data set (labels checked). */
static void score_logits(const float *z, const uint8_t *labels, size_t n, size_t C,
                         double *loss_sum, size_t *correct, uint8_t *pred) {
    size_t c_all = 0;
    *loss_sum = nb_mlp_softmax_xent(z, labels, n, C, NULL, &c_all) * (double)n;
    *correct = c_all;
    if (pred)
        for (size_t r = 0; r < n; r++) {
            const float *row = z + r * C;
            size_t arg = 0;
            for (size_t c = 1; c < C; c++)
                if (row[c] > row[arg])
                    arg = c;
            pred[r] = (uint8_t)arg;
        }
}

/* nb_mlp_evaluate for a network with operators: one nb_layers_forward over the data set. */
static nb_status evaluate_ops(const nb_network *net, const nb_dataset *ds, double *loss,
                              double *accuracy, uint8_t *pred) {
    const size_t n_in = net->in_c * net->in_h * net->in_w, C = nb_layers_output_size(net);
    if (ds->dim != n_in)
        return NB_RAISE(NB_E_MISMATCH, "data set",
                        "images have %zu values (%zux%zux%zu), the network's input is %zux%zux%zu",
                        ds->dim, ds->channels, ds->rows, ds->cols, net->in_c, net->in_h, net->in_w);
    for (size_t i = 0; i < ds->n; i++)
        if (ds->labels[i] >= C)
            return NB_RAISE(NB_E_MISMATCH, "data set",
                            "label %u of image %zu is not below the network's %zu classes",
                            (unsigned)ds->labels[i], i, C);
    const size_t n = ds->n;
    float *z = malloc((n ? n : 1) * C * sizeof *z);
    if (!z)
        return NB_RAISE(NB_E_NOMEM, "network", "logits of %zu images", n);
    nb_status s = nb_layers_forward(net, ds->images, n, z, NULL);
    double loss_sum = 0.0;
    size_t correct = 0;
    if (s == NB_OK && n > 0)
        score_logits(z, ds->labels, n, C, &loss_sum, &correct, pred);
    free(z);
    NB_TRY(s);
    if (loss)
        *loss = n ? loss_sum / (double)n : NAN;
    if (accuracy)
        *accuracy = n ? (double)correct / (double)n : NAN;
    return NB_OK;
}

nb_status nb_mlp_evaluate(const nb_network *net, const nb_dataset *ds, double *loss,
                          double *accuracy, uint8_t *pred) {
    if (net->n_ops > 0)
        return evaluate_ops(net, ds, loss, accuracy, pred);
    const size_t L = net->n_layers;
    const size_t n0 = net->layer_size[0], C = net->layer_size[L - 1];
    if (ds->dim != n0)
        return NB_RAISE(NB_E_MISMATCH, "data set",
                        "images have %zu values (%zux%zu), the network's input layer has %zu",
                        ds->dim, ds->rows, ds->cols, n0);
    for (size_t i = 0; i < ds->n; i++)
        if (ds->labels[i] >= C)
            return NB_RAISE(NB_E_MISMATCH, "data set",
                            "label %u of image %zu is not below the network's %zu classes",
                            (unsigned)ds->labels[i], i, C);
    const size_t n = ds->n;
    const size_t width = max_width(net);
    const size_t chunk = n < NB_MLP_CHUNK ? (n ? n : 1) : NB_MLP_CHUNK;
    float *buf = malloc(2 * chunk * width * sizeof *buf);
    if (!buf)
        return NB_RAISE(NB_E_NOMEM, "network", "evaluation workspace of %zu floats",
                        2 * chunk * width);
    double loss_sum = 0.0;
    size_t correct = 0;
    for (size_t i0 = 0; i0 < n; i0 += chunk) {
        const size_t m = n - i0 < chunk ? n - i0 : chunk;
        const float *z =
            forward_chunk(net, ds->images + i0 * n0, m, buf, buf + chunk * width, NULL, 0);
        size_t c_chunk = 0;
        loss_sum += nb_mlp_softmax_xent(z, ds->labels + i0, m, C, NULL, &c_chunk) * (double)m;
        correct += c_chunk;
        if (pred) {
            for (size_t r = 0; r < m; r++) {
                const float *row = z + r * C;
                size_t arg = 0;
                for (size_t c = 1; c < C; c++)
                    if (row[c] > row[arg])
                        arg = c;
                pred[i0 + r] = (uint8_t)arg;
            }
        }
    }
    free(buf);
    if (loss)
        *loss = n ? loss_sum / (double)n : NAN;
    if (accuracy)
        *accuracy = n ? (double)correct / (double)n : NAN;
    return NB_OK;
}
