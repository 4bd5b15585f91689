/* nb_layers.c - the operator engine: forward, backward and Adam training of an nb_op chain.
 *
 * DESIGN: a batch of m samples of shape [c][h][w] is float32[m][c*h*w] (CHW). Each operator
 * maps its input batch to its output batch:
 *   DENSE      one sgemm per block of NB_LAYERS_ROWS rows: Y = X W^T + b (nb_mlp_dense_forward)
 *   CONV2D     per sample: im2col of x[c][h][w] into col[c*kh*kw][oh*ow] (zeros where a tap
 *              falls into the padding), then y[o][p] = b[o] + W[o][k] col[k][p], one sgemm
 *              (M = out_c, N = oh*ow, K = c*kh*kw); a 1x1 kernel with stride 1 and no padding
 *              uses x itself as col. Backward per sample: dW += dY col^T, db += row sums of dY,
 *              dcol = W^T dY, col2im adds dcol back onto dx (K. Chellapilla, S. Puri, P. Simard,
 *              "High Performance Convolutional Neural Networks for Document Processing", 2006).
 *   MAXPOOL    max over the taps inside the input (padding never wins; the first maximum in
 *              row-major tap order, NaN propagates), the winner's index kept for backward;
 *   AVGPOOL    mean over the taps inside the input, or over the taps inside the padded input
 *              with count_include_pad (PyTorch AvgPool2d, ONNX AveragePool);
 *   GLOBAL_AVGPOOL mean over positions; FLATTEN and DROPOUT are the identity (their output
 *              is their input buffer, no copy); BATCHNORM inference = a per-channel affine map
 *              scale = gamma / sqrt(var + eps), shift = beta - mean * scale (the folded form);
 *              in training it normalises with the batch statistics per channel (over samples
 *              and positions, biased variance, accumulated in double), S. Ioffe, C. Szegedy,
 *              ICML 2015; activations element-wise (GELU: D. Hendrycks, K. Gimpel 2016, erf
 *              form or its tanh approximation); SOFTMAX over one sample's values.
 * A RELU right after a DENSE/CONV2D is applied in place by that operator's kernel while its
 * output is in cache (training keeps only the rectified output; ReLU's backward needs no more).
 * nb_layers_forward walks the chain in chunks of NB_LAYERS_CHUNK samples through two ping-pong
 * buffers (a final SOFTMAX is not applied: the logits are its input). The trainer keeps every
 * operator's output for a batch of up to max_batch samples, computes the mean softmax
 * cross-entropy (nb_mlp_softmax_xent), runs backward operator by operator through two gradient
 * ping-pong buffers, and updates the trained arrays with Adam (Kingma & Ba 2015, PyTorch's
 * arrangement of the bias corrections, as nb_train.c). All buffers are allocated when the
 * trainer is created (per-thread im2col buffers included); a step allocates nothing.
 * Threading: OpenMP over samples (convolution, pooling, element-wise), over fixed row blocks
 * (dense forward), over channels (batch norm) and over fixed shards of the batch (backward of
 * DENSE and CONV2D: each shard sums its samples' weight gradients in sample order into its own
 * array, and the shards are summed in shard order afterwards). The blocks and shards depend on
 * the batch size (and the trainer's max_batch) only. OpenBLAS runs single-threaded inside
 * (openblas_set_num_threads(1) for the duration of each public call, restored after), because its
 * multi-threaded sgemm rounds differently from its single-threaded one (nb_train.c). Hence results
 * depend on the data only, never on the thread count. Reads no config keys.
 */
#include "nb_layers.h"

#include <assert.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_bn.h"
#include "nb_graph.h"
#include "nb_mlp.h"

/* Samples per chunk of nb_layers_forward. */
#define NB_LAYERS_CHUNK 64
/* Rows per block of a dense forward and per shard of a backward pass (a batch of up to
 * NB_LAYERS_MAX_SHARDS * NB_LAYERS_ROWS rows; larger batches get larger shards). */
#define NB_LAYERS_ROWS       32
#define NB_LAYERS_MAX_SHARDS 16
/* Below this many values (element-wise passes) or multiply-adds (products, windows) a pass runs
 * on one thread: an OpenMP region's fork and barrier cost more than they save, and far more on
 * a loaded machine, where each barrier waits for the other threads to be scheduled (nb_train.h;
 * the unit tests ran 7x slower with 2 threads before these limits, at load average 4). */
#define NB_LAYERS_PAR_VALUES (1u << 16)
#define NB_LAYERS_PAR_WORK   (1u << 18)
/* Parameters per Adam work item. */
#define NB_LAYERS_ADAM_BLOCK 4096
/* No input position: an output window that covers only padding. */
#define NB_LAYERS_NO_INDEX UINT32_MAX

static int blas_int(size_t v) {
    assert(v <= (size_t)INT_MAX);
    return (int)v;
}

static size_t in_size(const nb_op *op) {
    return op->in_c * op->in_h * op->in_w;
}

static size_t out_size(const nb_op *op) {
    return op->out_c * op->out_h * op->out_w;
}

/* The output is the input buffer (no data change). */
static bool is_identity(nb_op_kind k) {
    return k == NB_OP_FLATTEN || k == NB_OP_DROPOUT;
}

/* Operators that belong to the node layer of the DENSE/CONV2D before them (nb_layers.h). */
static bool is_elementwise(nb_op_kind k) {
    return k == NB_OP_BATCHNORM || k == NB_OP_DROPOUT || k == NB_OP_RELU || k == NB_OP_LEAKY_RELU ||
           k == NB_OP_SIGMOID || k == NB_OP_TANH || k == NB_OP_GELU;
}

static bool is_node(nb_op_kind k) {
    return k == NB_OP_DENSE || k == NB_OP_CONV2D;
}

/* Dilation of a windowed operator along h or w: pooling treats 0 as 1 (ONNX's default; the
 * shape inference of nb_graph.c does not dilate pooling windows). */
static size_t dil_h(const nb_op *op) {
    return op->dilation_h ? op->dilation_h : 1;
}

static size_t dil_w(const nb_op *op) {
    return op->dilation_w ? op->dilation_w : 1;
}

/* Values of one im2col matrix of a CONV2D (0 when x is used directly or for other kinds). */
static size_t col_size(const nb_op *op) {
    if (op->kind != NB_OP_CONV2D)
        return 0;
    if (op->kernel_h == 1 && op->kernel_w == 1 && op->stride_h == 1 && op->stride_w == 1 &&
        op->pad_top == 0 && op->pad_left == 0 && op->pad_bottom == 0 && op->pad_right == 0)
        return 0;
    return op->in_c * op->kernel_h * op->kernel_w * op->out_h * op->out_w;
}

/* ---- validation ------------------------------------------------------------------------------ */

/* Output length of a windowed operator along one axis: floor((n + pads - d*(k-1) - 1)/s) + 1,
 * or 0 when the dilated window does not fit. */
static size_t window_out(size_t n, size_t pad0, size_t pad1, size_t k, size_t s, size_t d) {
    const size_t span = d * (k - 1) + 1;
    if (n + pad0 + pad1 < span)
        return 0;
    return (n + pad0 + pad1 - span) / s + 1;
}

/* Checks one operator's recorded shapes and parameters. `subject` names it. */
static nb_status check_op(const nb_op *op, const char *subject) {
    if ((unsigned)op->kind >= NB_OP_COUNT)
        return NB_RAISE(NB_E_INVALID, subject, "operator kind %d is not known", (int)op->kind);
    if (op->in_c == 0 || op->in_h == 0 || op->in_w == 0 || op->out_c == 0 || op->out_h == 0 ||
        op->out_w == 0)
        return NB_RAISE(NB_E_MISMATCH, subject,
                        "shape %zux%zux%zu -> %zux%zux%zu has a zero size (shapes not inferred?)",
                        op->in_c, op->in_h, op->in_w, op->out_c, op->out_h, op->out_w);
    const bool same = op->out_c == op->in_c && op->out_h == op->in_h && op->out_w == op->in_w;
    switch (op->kind) {
    case NB_OP_DENSE:
        if (op->out_h != 1 || op->out_w != 1)
            return NB_RAISE(NB_E_MISMATCH, subject, "output %zux%zux%zu, expected %zux1x1",
                            op->out_c, op->out_h, op->out_w, op->out_c);
        if (!op->weight)
            return NB_RAISE(NB_E_MISSING, subject, "no weight");
        return NB_OK;
    case NB_OP_CONV2D:
    case NB_OP_MAXPOOL:
    case NB_OP_AVGPOOL: {
        if (op->kernel_h == 0 || op->kernel_w == 0 || op->stride_h == 0 || op->stride_w == 0 ||
            (op->kind == NB_OP_CONV2D && (op->dilation_h == 0 || op->dilation_w == 0)))
            return NB_RAISE(NB_E_INVALID, subject,
                            "kernel %zux%zu, stride %zux%zu, dilation %zux%zu: each must be >= 1",
                            op->kernel_h, op->kernel_w, op->stride_h, op->stride_w, op->dilation_h,
                            op->dilation_w);
        const size_t oh = window_out(op->in_h, op->pad_top, op->pad_bottom, op->kernel_h,
                                     op->stride_h, dil_h(op));
        const size_t ow = window_out(op->in_w, op->pad_left, op->pad_right, op->kernel_w,
                                     op->stride_w, dil_w(op));
        if (op->out_h != oh || op->out_w != ow)
            return NB_RAISE(NB_E_MISMATCH, subject,
                            "output %zux%zu, but input %zux%zu with kernel %zux%zu, stride "
                            "%zux%zu, dilation %zux%zu, padding t%zu l%zu b%zu r%zu gives %zux%zu",
                            op->out_h, op->out_w, op->in_h, op->in_w, op->kernel_h, op->kernel_w,
                            op->stride_h, op->stride_w, dil_h(op), dil_w(op), op->pad_top,
                            op->pad_left, op->pad_bottom, op->pad_right, oh, ow);
        if (op->kind == NB_OP_CONV2D) {
            if (!op->weight)
                return NB_RAISE(NB_E_MISSING, subject, "no weight");
        } else if (op->out_c != op->in_c) {
            return NB_RAISE(NB_E_MISMATCH, subject, "%zu output channels, input has %zu", op->out_c,
                            op->in_c);
        }
        return NB_OK;
    }
    case NB_OP_GLOBAL_AVGPOOL:
        if (op->out_c != op->in_c || op->out_h != 1 || op->out_w != 1)
            return NB_RAISE(NB_E_MISMATCH, subject, "output %zux%zux%zu, expected %zux1x1",
                            op->out_c, op->out_h, op->out_w, op->in_c);
        return NB_OK;
    case NB_OP_FLATTEN:
        if (op->out_c != in_size(op) || op->out_h != 1 || op->out_w != 1)
            return NB_RAISE(NB_E_MISMATCH, subject, "output %zux%zux%zu, expected %zux1x1",
                            op->out_c, op->out_h, op->out_w, in_size(op));
        return NB_OK;
    case NB_OP_BATCHNORM:
        if (!op->gamma || !op->beta || !op->mean || !op->var)
            return NB_RAISE(NB_E_MISSING, subject, "gamma, beta, mean and var are required");
        if (!(op->eps >= 0.0f))
            return NB_RAISE(NB_E_INVALID, subject, "eps %g, must be >= 0", (double)op->eps);
        break;
    default:
        break;
    }
    if (!same)
        return NB_RAISE(NB_E_MISMATCH, subject, "output %zux%zux%zu differs from input %zux%zux%zu",
                        op->out_c, op->out_h, op->out_w, op->in_c, op->in_h, op->in_w);
    return NB_OK;
}

static void op_subject(char *buf, size_t size, size_t k, const nb_op *op) {
    const char *name = nb_op_kind_name(op->kind);
    snprintf(buf, size, "operator %zu (%s)", k, name ? name : "?");
}

/* Checks a whole chain: every operator, input shape = previous output shape, SOFTMAX last. */
static nb_status check_chain(const nb_network *net) {
    if (net->n_ops == 0 || !net->ops)
        return NB_RAISE(NB_E_INVALID, "network", "no operators");
    char subject[64];
    for (size_t k = 0; k < net->n_ops; k++) {
        const nb_op *op = &net->ops[k];
        op_subject(subject, sizeof subject, k, op);
        NB_TRY(check_op(op, subject));
        const size_t pc = k ? net->ops[k - 1].out_c : net->in_c;
        const size_t ph = k ? net->ops[k - 1].out_h : net->in_h;
        const size_t pw = k ? net->ops[k - 1].out_w : net->in_w;
        if (op->in_c != pc || op->in_h != ph || op->in_w != pw)
            return NB_RAISE(NB_E_MISMATCH, subject, "input %zux%zux%zu, but %s gives %zux%zux%zu",
                            op->in_c, op->in_h, op->in_w,
                            k ? "the previous operator" : "the network input", pc, ph, pw);
        if (op->kind == NB_OP_SOFTMAX && k + 1 != net->n_ops)
            return NB_RAISE(NB_E_INVALID, subject, "softmax is allowed only as the last operator");
    }
    return NB_OK;
}

/* Index one past the last operator that is run: a final SOFTMAX is left out (its input is the
 * logits). */
static size_t run_end(const nb_network *net) {
    return net->ops[net->n_ops - 1].kind == NB_OP_SOFTMAX ? net->n_ops - 1 : net->n_ops;
}

/* Operator k is a RELU that its DENSE/CONV2D predecessor applies in place (ops before `end`):
 * then its output is its input buffer. Saves a pass over the largest tensors of a CNN. */
static bool fused_relu(const nb_network *net, size_t k) {
    return k > 0 && net->ops[k].kind == NB_OP_RELU && is_node(net->ops[k - 1].kind);
}

size_t nb_layers_output_size(const nb_network *net) {
    return net->n_ops ? out_size(&net->ops[net->n_ops - 1]) : 0;
}

/* ---- kernels -----------------------------------------------------------------------------------
 */

/* What the kernels share: per-thread im2col buffers. */
typedef struct kernel_ctx {
    int n_threads;
    size_t col_stride; /* floats per thread in col (and dcol) */
    float *col;        /* [n_threads][col_stride] */
    float *dcol;       /* [n_threads][col_stride], training only */
} kernel_ctx;

/* Output positions o in [0, n_out) whose tap o*s + off lies in [0, n): [*lo, *hi). */
static void valid_range(ptrdiff_t off, size_t s, size_t n, size_t n_out, size_t *lo, size_t *hi) {
    const ptrdiff_t S = (ptrdiff_t)s;
    ptrdiff_t a = off >= 0 ? 0 : (-off + S - 1) / S;
    const ptrdiff_t last = (ptrdiff_t)n - 1 - off; /* o*s <= last */
    ptrdiff_t b = last < 0 ? 0 : last / S + 1;
    if (b > (ptrdiff_t)n_out)
        b = (ptrdiff_t)n_out;
    if (a > b)
        a = b;
    *lo = (size_t)a;
    *hi = (size_t)b;
}

/* col[(c*kh + i)*kw + j][oh*OW + ow] = x[c][oh*sh - pt + i*dh][ow*sw - pl + j*dw] (0 outside). */
static void im2col(const nb_op *op, const float *x, float *col) {
    const size_t H = op->in_h, W = op->in_w, OH = op->out_h, OW = op->out_w, P = OH * OW;
    const size_t kh = op->kernel_h, kw = op->kernel_w, sw = op->stride_w;
    for (size_t c = 0; c < op->in_c; c++)
        for (size_t i = 0; i < kh; i++)
            for (size_t j = 0; j < kw; j++) {
                float *row = col + ((c * kh + i) * kw + j) * P;
                const ptrdiff_t off_w = (ptrdiff_t)(j * dil_w(op)) - (ptrdiff_t)op->pad_left;
                size_t w0, w1;
                valid_range(off_w, sw, W, OW, &w0, &w1);
                for (size_t oh = 0; oh < OH; oh++) {
                    float *r = row + oh * OW;
                    const ptrdiff_t ih =
                        (ptrdiff_t)(oh * op->stride_h + i * dil_h(op)) - (ptrdiff_t)op->pad_top;
                    if (ih < 0 || ih >= (ptrdiff_t)H || w0 == w1) {
                        memset(r, 0, OW * sizeof *r);
                        continue;
                    }
                    const float *xr = x + (c * H + (size_t)ih) * W;
                    for (size_t ow = 0; ow < w0; ow++)
                        r[ow] = 0.0f;
                    if (sw == 1) {
                        memcpy(r + w0, xr + (ptrdiff_t)w0 + off_w, (w1 - w0) * sizeof *r);
                    } else {
                        for (size_t ow = w0; ow < w1; ow++)
                            r[ow] = xr[(ptrdiff_t)(ow * sw) + off_w];
                    }
                    for (size_t ow = w1; ow < OW; ow++)
                        r[ow] = 0.0f;
                }
            }
}

/* dx[c][h][w] = sum of the col entries im2col took from it (dx is overwritten). */
static void col2im(const nb_op *op, const float *col, float *dx) {
    const size_t H = op->in_h, W = op->in_w, OH = op->out_h, OW = op->out_w, P = OH * OW;
    const size_t kh = op->kernel_h, kw = op->kernel_w, sw = op->stride_w;
    memset(dx, 0, in_size(op) * sizeof *dx);
    for (size_t c = 0; c < op->in_c; c++)
        for (size_t i = 0; i < kh; i++)
            for (size_t j = 0; j < kw; j++) {
                const float *row = col + ((c * kh + i) * kw + j) * P;
                const ptrdiff_t off_w = (ptrdiff_t)(j * dil_w(op)) - (ptrdiff_t)op->pad_left;
                size_t w0, w1;
                valid_range(off_w, sw, W, OW, &w0, &w1);
                for (size_t oh = 0; oh < OH; oh++) {
                    const ptrdiff_t ih =
                        (ptrdiff_t)(oh * op->stride_h + i * dil_h(op)) - (ptrdiff_t)op->pad_top;
                    if (ih < 0 || ih >= (ptrdiff_t)H)
                        continue;
                    float *xr = dx + (c * H + (size_t)ih) * W;
                    const float *r = row + oh * OW;
                    for (size_t ow = w0; ow < w1; ow++)
                        xr[(ptrdiff_t)(ow * sw) + off_w] += r[ow];
                }
            }
}

/* Sum of v[0..n) in a fixed order: 8 interleaved partial sums (vectorisable without reordering
 * by the compiler), combined pairwise, then the tail. */
static float sum_fixed(const float *v, size_t n) {
    float acc[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t k = 0; k < 8; k++)
            acc[k] += v[i + k];
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; i++)
        s += v[i];
    return s;
}

/* In place: y = max(y, 0) (NaN becomes 0, as the RELU operator). */
static void relu_inplace(float *y, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

/* relu: a RELU operator follows and is applied here, while the block is in cache. */
static void dense_forward(const nb_op *op, const float *x, size_t m, float *y, int n_threads,
                          bool relu) {
    const size_t n_in = in_size(op), n_out = op->out_c;
    const ptrdiff_t n_blocks = (ptrdiff_t)((m + NB_LAYERS_ROWS - 1) / NB_LAYERS_ROWS);
#pragma omp parallel for schedule(static)                                                          \
    num_threads(n_threads) if (n_blocks > 1 && m * n_in * n_out >= NB_LAYERS_PAR_WORK)
    for (ptrdiff_t b = 0; b < n_blocks; b++) {
        const size_t r0 = (size_t)b * NB_LAYERS_ROWS;
        const size_t rows = m - r0 < NB_LAYERS_ROWS ? m - r0 : NB_LAYERS_ROWS;
        nb_mlp_dense_forward(x + r0 * n_in, rows, n_in, op->weight, op->bias, n_out,
                             y + r0 * n_out);
        if (relu)
            relu_inplace(y + r0 * n_out, rows * n_out);
    }
}

/* y[o][p] = b[o] + sum_k W[o][k] col[k][p] for one sample. */
static void conv_forward_sample(const nb_op *op, const float *x, float *y, float *col, bool relu) {
    const size_t P = op->out_h * op->out_w, K = op->in_c * op->kernel_h * op->kernel_w;
    const float *cm = x;
    if (col_size(op)) {
        im2col(op, x, col);
        cm = col;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blas_int(op->out_c), blas_int(P),
                blas_int(K), 1.0f, op->weight, blas_int(K), cm, blas_int(P), 0.0f, y, blas_int(P));
    /* bias (and the fused ReLU) in one pass while y is in cache */
    for (size_t o = 0; o < op->out_c; o++) {
        float *yo = y + o * P;
        const float b = op->bias ? op->bias[o] : 0.0f;
        if (relu) {
#pragma omp simd
            for (size_t p = 0; p < P; p++) {
                const float v = yo[p] + b;
                yo[p] = v > 0.0f ? v : 0.0f;
            }
        } else if (op->bias) {
#pragma omp simd
            for (size_t p = 0; p < P; p++)
                yo[p] += b;
        }
    }
}

static void conv_forward(const nb_op *op, const float *x, size_t m, float *y, const kernel_ctx *ctx,
                         bool relu) {
    const size_t ni = in_size(op), no = out_size(op);
#pragma omp parallel for schedule(static) num_threads(                                             \
    ctx->n_threads) if (m > 1 && m * out_size(op) * op->in_c * op->kernel_h * op->kernel_w >=      \
                                     NB_LAYERS_PAR_WORK)
    for (ptrdiff_t r = 0; r < (ptrdiff_t)m; r++) {
        float *col = ctx->col ? ctx->col + (size_t)omp_get_thread_num() * ctx->col_stride : NULL;
        conv_forward_sample(op, x + (size_t)r * ni, y + (size_t)r * no, col, relu);
    }
}

/* Max pooling of one sample; idx (may be NULL) receives the winning input index per output. */
static void maxpool_sample(const nb_op *op, const float *x, float *y, uint32_t *idx) {
    const size_t H = op->in_h, W = op->in_w, OH = op->out_h, OW = op->out_w;
    if (op->kernel_h == 2 && op->kernel_w == 2 && op->stride_h == 2 && op->stride_w == 2 &&
        dil_h(op) == 1 && dil_w(op) == 1 && op->pad_top == 0 && op->pad_left == 0) {
        /* the common 2x2/2 window without padding: every tap is inside, taps in row-major
         * order as below (so ties and NaN resolve the same way) */
        for (size_t c = 0; c < op->in_c; c++)
            for (size_t oh = 0; oh < OH; oh++) {
                const size_t r0 = (c * H + 2 * oh) * W;
                float *yr = y + (c * OH + oh) * OW;
                uint32_t *ir = idx ? idx + (c * OH + oh) * OW : NULL;
                for (size_t ow = 0; ow < OW; ow++) {
                    const size_t a0 = r0 + 2 * ow, a1 = a0 + 1, a2 = a0 + W, a3 = a2 + 1;
                    const float v1 = x[a1], v2 = x[a2], v3 = x[a3];
                    float best = x[a0];
                    size_t b = a0;
                    if (isnan(best + v1 + v2 + v3)) { /* rare: the first NaN wins */
                        b = isnan(best) ? a0 : isnan(v1) ? a1 : isnan(v2) ? a2 : a3;
                    } else {
                        /* maxss and masks: no data-dependent branches (they dominated) */
                        size_t t = (size_t)0 - (size_t)(v1 > best);
                        b ^= (b ^ a1) & t;
                        best = v1 > best ? v1 : best;
                        t = (size_t)0 - (size_t)(v2 > best);
                        b ^= (b ^ a2) & t;
                        best = v2 > best ? v2 : best;
                        t = (size_t)0 - (size_t)(v3 > best);
                        b ^= (b ^ a3) & t;
                    }
                    yr[ow] = x[b];
                    if (ir)
                        ir[ow] = (uint32_t)b;
                }
            }
        return;
    }
    for (size_t c = 0; c < op->in_c; c++) {
        const float *xc = x + c * H * W;
        for (size_t oh = 0; oh < OH; oh++)
            for (size_t ow = 0; ow < OW; ow++) {
                float best = 0.0f;
                uint32_t bi = NB_LAYERS_NO_INDEX;
                for (size_t i = 0; i < op->kernel_h; i++) {
                    const ptrdiff_t ih =
                        (ptrdiff_t)(oh * op->stride_h + i * dil_h(op)) - (ptrdiff_t)op->pad_top;
                    if (ih < 0 || ih >= (ptrdiff_t)H)
                        continue;
                    for (size_t j = 0; j < op->kernel_w; j++) {
                        const ptrdiff_t iw = (ptrdiff_t)(ow * op->stride_w + j * dil_w(op)) -
                                             (ptrdiff_t)op->pad_left;
                        if (iw < 0 || iw >= (ptrdiff_t)W)
                            continue;
                        const size_t at = (size_t)ih * W + (size_t)iw;
                        const float v = xc[at];
                        if (bi == NB_LAYERS_NO_INDEX || v > best || isnan(v)) {
                            best = v;
                            bi = (uint32_t)(c * H * W + at);
                            if (isnan(v))
                                goto done;
                        }
                    }
                }
            done:
                y[(c * OH + oh) * OW + ow] = best;
                if (idx)
                    idx[(c * OH + oh) * OW + ow] = bi;
            }
    }
}

/* Taps of a window along one axis starting at `start` (= o*s - pad0): inside [0, n) and
 * inside the padded extent [-pad0, n + pad1). */
static void tap_counts(ptrdiff_t start, size_t k, size_t d, size_t n, size_t pad0, size_t pad1,
                       size_t *inside, size_t *padded) {
    size_t a = 0, b = 0;
    for (size_t i = 0; i < k; i++) {
        const ptrdiff_t t = start + (ptrdiff_t)(i * d);
        a += t >= 0 && t < (ptrdiff_t)n;
        b += t >= -(ptrdiff_t)pad0 && t < (ptrdiff_t)(n + pad1);
    }
    *inside = a;
    *padded = b;
}

/* Divisor of the average-pool window (oh, ow); 0 if it covers no input. */
static float avg_divisor(const nb_op *op, size_t oh, size_t ow) {
    const ptrdiff_t sh = (ptrdiff_t)(oh * op->stride_h) - (ptrdiff_t)op->pad_top;
    const ptrdiff_t sw = (ptrdiff_t)(ow * op->stride_w) - (ptrdiff_t)op->pad_left;
    size_t ih, ph, iw, pw;
    tap_counts(sh, op->kernel_h, dil_h(op), op->in_h, op->pad_top, op->pad_bottom, &ih, &ph);
    tap_counts(sw, op->kernel_w, dil_w(op), op->in_w, op->pad_left, op->pad_right, &iw, &pw);
    if (ih * iw == 0)
        return 0.0f;
    return (float)(op->count_include_pad ? ph * pw : ih * iw);
}

/* Average pooling of one sample (forward), or its backward (dx += dy / divisor) when dy is
 * given: then x is unused and y is dx (overwritten). */
static void avgpool_sample(const nb_op *op, const float *x, const float *dy, float *y) {
    const size_t H = op->in_h, W = op->in_w, OH = op->out_h, OW = op->out_w;
    if (dy)
        memset(y, 0, in_size(op) * sizeof *y);
    for (size_t c = 0; c < op->in_c; c++)
        for (size_t oh = 0; oh < OH; oh++)
            for (size_t ow = 0; ow < OW; ow++) {
                const float div = avg_divisor(op, oh, ow);
                const size_t o = (c * OH + oh) * OW + ow;
                const float g = dy && div > 0.0f ? dy[o] / div : 0.0f;
                double sum = 0.0;
                for (size_t i = 0; i < op->kernel_h; i++) {
                    const ptrdiff_t ih =
                        (ptrdiff_t)(oh * op->stride_h + i * dil_h(op)) - (ptrdiff_t)op->pad_top;
                    if (ih < 0 || ih >= (ptrdiff_t)H)
                        continue;
                    for (size_t j = 0; j < op->kernel_w; j++) {
                        const ptrdiff_t iw = (ptrdiff_t)(ow * op->stride_w + j * dil_w(op)) -
                                             (ptrdiff_t)op->pad_left;
                        if (iw < 0 || iw >= (ptrdiff_t)W)
                            continue;
                        const size_t at = (c * H + (size_t)ih) * W + (size_t)iw;
                        if (dy)
                            y[at] += g;
                        else
                            sum += (double)x[at];
                    }
                }
                if (!dy)
                    y[o] = div > 0.0f ? (float)(sum / (double)div) : 0.0f;
            }
}

static void global_avgpool_sample(const nb_op *op, const float *x, float *y) {
    const size_t P = op->in_h * op->in_w;
    for (size_t c = 0; c < op->in_c; c++) {
        double s = 0.0;
        for (size_t p = 0; p < P; p++)
            s += (double)x[c * P + p];
        y[c] = (float)(s / (double)P);
    }
}

static float gelu(float x, bool tanh_form) {
    if (tanh_form) {
        const float k = 0.7978845608028654f; /* sqrt(2/pi) */
        return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
    }
    return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
}

static float gelu_grad(float x, bool tanh_form) {
    if (tanh_form) {
        const float k = 0.7978845608028654f;
        const float t = tanhf(k * (x + 0.044715f * x * x * x));
        return 0.5f * (1.0f + t) +
               0.5f * x * (1.0f - t * t) * k * (1.0f + 3.0f * 0.044715f * x * x);
    }
    const float cdf = 0.5f * (1.0f + erff(x * 0.7071067811865476f));
    const float pdf = 0.3989422804014327f * expf(-0.5f * x * x);
    return cdf + x * pdf;
}

static float sigmoid(float x) {
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    const float e = expf(x);
    return e / (1.0f + e);
}

/* Element-wise activation of n values (y may alias x). */
static void activation_forward(const nb_op *op, const float *x, float *y, size_t n, int n_threads) {
    const ptrdiff_t count = (ptrdiff_t)n;
    const float alpha = op->alpha;
    const bool tanh_form = op->gelu_tanh;
    const int nt = n >= NB_LAYERS_PAR_VALUES ? n_threads : 1;
    /* one loop per kind, so that ReLU and leaky ReLU vectorise */
    switch (op->kind) {
    case NB_OP_RELU:
#pragma omp parallel for simd schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case NB_OP_LEAKY_RELU:
#pragma omp parallel for simd schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
        break;
    case NB_OP_SIGMOID:
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            y[i] = sigmoid(x[i]);
        break;
    case NB_OP_TANH:
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            y[i] = tanhf(x[i]);
        break;
    default: /* NB_OP_GELU */
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            y[i] = gelu(x[i], tanh_form);
        break;
    }
}

/* dx = dy * f'(x), from the input x or the output y as fits the kind (dx may alias dy). */
static void activation_backward(const nb_op *op, const float *x, const float *y, const float *dy,
                                float *dx, size_t n, int n_threads) {
    const ptrdiff_t count = (ptrdiff_t)n;
    const float alpha = op->alpha;
    const bool tanh_form = op->gelu_tanh;
    const int nt = n >= NB_LAYERS_PAR_VALUES ? n_threads : 1;
    switch (op->kind) {
    case NB_OP_RELU:
#pragma omp parallel for simd schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case NB_OP_LEAKY_RELU:
#pragma omp parallel for simd schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
        break;
    case NB_OP_SIGMOID:
#pragma omp parallel for simd schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case NB_OP_TANH:
#pragma omp parallel for simd schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    default: /* NB_OP_GELU */
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (ptrdiff_t i = 0; i < count; i++)
            dx[i] = dy[i] * gelu_grad(x[i], tanh_form);
        break;
    }
}

static void softmax_sample(const float *x, float *y, size_t n) {
    float zmax = x[0];
    for (size_t i = 1; i < n; i++)
        zmax = x[i] > zmax ? x[i] : zmax;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += exp((double)x[i] - (double)zmax);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(exp((double)x[i] - (double)zmax) / sum);
}

/* Inference batch norm: y = x * scale[c] + shift[c] with the folded running statistics. */
static void batchnorm_infer(const nb_op *op, const float *x, size_t m, float *y, int n_threads) {
    const size_t C = op->in_c, P = op->in_h * op->in_w;
#pragma omp parallel for schedule(static)                                                          \
    num_threads(n_threads) if (m * C * P >= NB_LAYERS_PAR_VALUES)
    for (ptrdiff_t c = 0; c < (ptrdiff_t)C; c++) {
        const double inv = 1.0 / sqrt((double)op->var[c] + (double)op->eps);
        const float scale = (float)((double)op->gamma[c] * inv);
        const float shift = (float)((double)op->beta[c] - (double)op->mean[c] * (double)scale);
        for (size_t r = 0; r < m; r++) {
            const float *xr = x + (r * C + (size_t)c) * P;
            float *yr = y + (r * C + (size_t)c) * P;
            for (size_t p = 0; p < P; p++)
                yr[p] = xr[p] * scale + shift;
        }
    }
}

/* Training batch norm: per channel c over the m samples and P positions,
 * mean[c], var[c] (biased), inv_std[c] = 1/sqrt(var + eps), xhat = (x - mean) * inv_std,
 * y = gamma * xhat + beta. Sums in double, samples in order. */
static void batchnorm_train(const nb_op *op, const float *x, size_t m, float *y, float *xhat,
                            float *inv_std, float *mean, float *var, int n_threads) {
    const size_t C = op->in_c, P = op->in_h * op->in_w;
    const double N = (double)(m * P);
#pragma omp parallel for schedule(static)                                                          \
    num_threads(n_threads) if (m * C * P >= NB_LAYERS_PAR_VALUES)
    for (ptrdiff_t cc = 0; cc < (ptrdiff_t)C; cc++) {
        const size_t c = (size_t)cc;
        double s = 0.0;
        for (size_t r = 0; r < m; r++) {
            const float *xr = x + (r * C + c) * P;
            for (size_t p = 0; p < P; p++)
                s += (double)xr[p];
        }
        const double mu = s / N;
        double s2 = 0.0;
        for (size_t r = 0; r < m; r++) {
            const float *xr = x + (r * C + c) * P;
            for (size_t p = 0; p < P; p++) {
                const double d = (double)xr[p] - mu;
                s2 += d * d;
            }
        }
        const double v = s2 / N;
        const float is = (float)(1.0 / sqrt(v + (double)op->eps));
        const float fmu = (float)mu, g = op->gamma[c], b = op->beta[c];
        mean[c] = fmu;
        var[c] = (float)v;
        inv_std[c] = is;
        for (size_t r = 0; r < m; r++) {
            const float *xr = x + (r * C + c) * P;
            float *hr = xhat + (r * C + c) * P;
            float *yr = y + (r * C + c) * P;
            for (size_t p = 0; p < P; p++) {
                const float h = (xr[p] - fmu) * is;
                hr[p] = h;
                yr[p] = g * h + b;
            }
        }
    }
}

/* Backward of batchnorm_train per channel: dgamma = sum dy*xhat, dbeta = sum dy (written where
 * not NULL), dx = gamma*inv_std/N * (N*dy - dbeta - xhat*dgamma) (dx may alias dy; skipped if
 * NULL). */
static void batchnorm_backward(const nb_op *op, const float *xhat, const float *inv_std,
                               const float *dy, size_t m, float *dx, float *dgamma, float *dbeta,
                               int n_threads) {
    const size_t C = op->in_c, P = op->in_h * op->in_w;
    const double N = (double)(m * P);
#pragma omp parallel for schedule(static)                                                          \
    num_threads(n_threads) if (m * C * P >= NB_LAYERS_PAR_VALUES)
    for (ptrdiff_t cc = 0; cc < (ptrdiff_t)C; cc++) {
        const size_t c = (size_t)cc;
        double sg = 0.0, sb = 0.0;
        for (size_t r = 0; r < m; r++) {
            const float *gr = dy + (r * C + c) * P;
            const float *hr = xhat + (r * C + c) * P;
            for (size_t p = 0; p < P; p++) {
                sg += (double)gr[p] * (double)hr[p];
                sb += (double)gr[p];
            }
        }
        if (dgamma)
            dgamma[c] = (float)sg;
        if (dbeta)
            dbeta[c] = (float)sb;
        if (!dx)
            continue;
        const float k = (float)((double)op->gamma[c] * (double)inv_std[c] / N);
        const float fN = (float)N, fsb = (float)sb, fsg = (float)sg;
        for (size_t r = 0; r < m; r++) {
            const float *gr = dy + (r * C + c) * P;
            const float *hr = xhat + (r * C + c) * P;
            float *dr = dx + (r * C + c) * P;
            for (size_t p = 0; p < P; p++)
                dr[p] = k * (fN * gr[p] - fsb - hr[p] * fsg);
        }
    }
}

/* Training state of one operator's forward (NULL pointers in inference). */
typedef struct op_train_state {
    uint32_t *argmax;            /* MAXPOOL: [m][out] */
    float *xhat;                 /* BATCHNORM: [m][in] */
    float *inv_std, *mean, *var; /* BATCHNORM: [in_c] batch statistics */
} op_train_state;

/* y[m][out] = op(x[m][in]). Identity kinds are not called here (their output is x). A SOFTMAX
 * is applied. st != NULL: training mode (BATCHNORM batch statistics, MAXPOOL indices). */
static void op_forward(const nb_op *op, const float *x, size_t m, float *y, const kernel_ctx *ctx,
                       const op_train_state *st, bool relu) {
    const size_t ni = in_size(op), no = out_size(op);
    const int nt = ctx->n_threads;
    switch (op->kind) {
    case NB_OP_DENSE:
        dense_forward(op, x, m, y, nt, relu);
        break;
    case NB_OP_CONV2D:
        conv_forward(op, x, m, y, ctx, relu);
        break;
    case NB_OP_MAXPOOL:
#pragma omp parallel for schedule(static)                                                          \
    num_threads(nt) if (m > 1 && m * no * op->kernel_h * op->kernel_w >= NB_LAYERS_PAR_WORK)
        for (ptrdiff_t r = 0; r < (ptrdiff_t)m; r++)
            maxpool_sample(op, x + (size_t)r * ni, y + (size_t)r * no,
                           st ? st->argmax + (size_t)r * no : NULL);
        break;
    case NB_OP_AVGPOOL:
#pragma omp parallel for schedule(static)                                                          \
    num_threads(nt) if (m > 1 && m * no * op->kernel_h * op->kernel_w >= NB_LAYERS_PAR_WORK)
        for (ptrdiff_t r = 0; r < (ptrdiff_t)m; r++)
            avgpool_sample(op, x + (size_t)r * ni, NULL, y + (size_t)r * no);
        break;
    case NB_OP_GLOBAL_AVGPOOL:
#pragma omp parallel for schedule(static) num_threads(nt) if (m * ni >= NB_LAYERS_PAR_VALUES)
        for (ptrdiff_t r = 0; r < (ptrdiff_t)m; r++)
            global_avgpool_sample(op, x + (size_t)r * ni, y + (size_t)r * no);
        break;
    case NB_OP_BATCHNORM:
        if (st)
            batchnorm_train(op, x, m, y, st->xhat, st->inv_std, st->mean, st->var, nt);
        else
            batchnorm_infer(op, x, m, y, nt);
        break;
    case NB_OP_FLATTEN:
    case NB_OP_DROPOUT:
        memcpy(y, x, m * ni * sizeof *y);
        break;
    case NB_OP_SOFTMAX:
        for (size_t r = 0; r < m; r++)
            softmax_sample(x + r * ni, y + r * no, no);
        break;
    default:
        activation_forward(op, x, y, m * ni, nt);
        break;
    }
}

/* ---- node layers (the activations of nb_layers_forward) ----------------------------------------
 */

/* Per operator k, the node layer its output is recorded as (0 = none): a DENSE/CONV2D with
 * the element-wise operators after it, recorded after the last of them (nb_layers.h). */
static void node_plan(const nb_network *net, size_t end, size_t *record) {
    size_t layers = 1;
    for (size_t k = 0; k < net->n_ops; k++)
        record[k] = 0;
    for (size_t k = 0; k < end; k++) {
        if (!is_node(net->ops[k].kind))
            continue;
        size_t last = k;
        while (last + 1 < end && is_elementwise(net->ops[last + 1].kind))
            last++;
        record[last] = layers++;
    }
}

/* The node values of one sample's tensor [c][h][w]: c spatial means, or the values when
 * h = w = 1. */
static void node_values(const float *t, size_t c, size_t hw, float *out) {
    for (size_t i = 0; i < c; i++) {
        if (hw == 1) {
            out[i] = t[i];
            continue;
        }
        double s = 0.0;
        for (size_t p = 0; p < hw; p++)
            s += (double)t[i * hw + p];
        out[i] = (float)(s / (double)hw);
    }
}

/* ---- public forward ----------------------------------------------------------------------------
 */

/* Per-thread im2col buffers for the operators ops[0..n_ops) on n_threads threads (0: as many
 * as omp_get_max_threads()); dcol too when training. */
static nb_status ctx_alloc(kernel_ctx *ctx, const nb_op *ops, size_t n_ops, int n_threads,
                           bool training) {
    memset(ctx, 0, sizeof *ctx);
    ctx->n_threads = n_threads > 0 ? n_threads : omp_get_max_threads();
    if (ctx->n_threads < 1)
        ctx->n_threads = 1;
    for (size_t k = 0; k < n_ops; k++) {
        const size_t s = col_size(&ops[k]);
        ctx->col_stride = s > ctx->col_stride ? s : ctx->col_stride;
    }
    /* the training backward of a 1x1 convolution writes dcol straight into dx: nothing more */
    if (ctx->col_stride == 0)
        return NB_OK;
    const size_t total = (size_t)ctx->n_threads * ctx->col_stride;
    ctx->col = malloc(total * sizeof(float));
    ctx->dcol = training ? malloc(total * sizeof(float)) : NULL;
    if (!ctx->col || (training && !ctx->dcol)) {
        free(ctx->col);
        free(ctx->dcol);
        memset(ctx, 0, sizeof *ctx);
        return NB_RAISE(NB_E_NOMEM, "network", "im2col buffers of %zu floats", total);
    }
    return NB_OK;
}

static void ctx_free(kernel_ctx *ctx) {
    free(ctx->col);
    free(ctx->dcol);
    memset(ctx, 0, sizeof *ctx);
}

nb_status nb_layers_forward(const nb_network *net, const float *x, size_t n, float *logits,
                            float *activations) {
    NB_TRY(check_chain(net));
    const size_t end = run_end(net), n_in = net->in_c * net->in_h * net->in_w;
    const size_t C = out_size(&net->ops[end - 1]);
    size_t widest = 0;
    for (size_t k = 0; k < end; k++)
        widest = out_size(&net->ops[k]) > widest ? out_size(&net->ops[k]) : widest;
    const size_t chunk = n < NB_LAYERS_CHUNK ? (n ? n : 1) : NB_LAYERS_CHUNK;
    /* node layer 0 as the graph view has it: the input's values or its channels */
    const size_t n_layers = nb_graph_node_layers(net, NULL);
    size_t *record = malloc((net->n_ops + n_layers) * sizeof *record);
    float *buf = malloc(2 * chunk * widest * sizeof *buf);
    kernel_ctx ctx;
    nb_status s = ctx_alloc(&ctx, net->ops, end, 0, false);
    if (!record || !buf || s != NB_OK) {
        free(record);
        free(buf);
        if (s == NB_OK)
            ctx_free(&ctx);
        return s != NB_OK ? s
                          : NB_RAISE(NB_E_NOMEM, "network", "forward workspace of %zu floats",
                                     2 * chunk * widest);
    }
    size_t *layer_size = record + net->n_ops;
    nb_graph_node_layers(net, layer_size);
    const size_t n0 = layer_size[0];
    node_plan(net, end, record);
    size_t act_stride = n0;
    for (size_t k = 0; k < end; k++)
        if (record[k])
            act_stride += net->ops[k].out_c;
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    for (size_t i0 = 0; i0 < n; i0 += chunk) {
        const size_t m = n - i0 < chunk ? n - i0 : chunk;
        const float *in = x + i0 * n_in;
        float *act = activations ? activations + i0 * act_stride : NULL;
        if (act)
            for (size_t r = 0; r < m; r++)
                node_values(in + r * n_in, n0, n_in / n0, act + r * act_stride);
        size_t col = n0;
        float *out = buf;
        for (size_t k = 0; k < end; k++) {
            const nb_op *op = &net->ops[k];
            if (!is_identity(op->kind) && !fused_relu(net, k)) {
                op_forward(op, in, m, out, &ctx, NULL, k + 1 < end && fused_relu(net, k + 1));
                in = out;
                out = out == buf ? buf + chunk * widest : buf;
            }
            if (act && record[k]) {
                const size_t no = out_size(op);
                for (size_t r = 0; r < m; r++)
                    node_values(in + r * no, op->out_c, op->out_h * op->out_w,
                                act + r * act_stride + col);
                col += op->out_c;
            }
        }
        memcpy(logits + i0 * C, in, m * C * sizeof *logits);
    }
    openblas_set_num_threads(blas_threads);
    ctx_free(&ctx);
    free(buf);
    free(record);
    return NB_OK;
}

nb_status nb_layers_op_forward(const nb_op *op, const float *x, size_t n, float *y) {
    char subject[64];
    const char *name = nb_op_kind_name(op->kind);
    snprintf(subject, sizeof subject, "operator (%s)", name ? name : "?");
    nb_status s = check_op(op, subject);
    if (s != NB_OK)
        return s == NB_E_MISMATCH ? NB_RAISE(NB_E_INVALID, subject, "%s", nb_error_reason()) : s;
    kernel_ctx ctx;
    NB_TRY(ctx_alloc(&ctx, op, 1, 0, false));
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    op_forward(op, x, n, y, &ctx, NULL, false);
    openblas_set_num_threads(blas_threads);
    ctx_free(&ctx);
    return NB_OK;
}

/* ---- training ------------------------------------------------------------------------------ */

void nb_layers_train_desc_resolve(const nb_layers_train_desc *desc, nb_layers_train_desc *out) {
    nb_layers_train_desc d = *desc;
    if (d.learning_rate == 0.0)
        d.learning_rate = 1e-3;
    if (d.beta1 == 0.0)
        d.beta1 = 0.9;
    if (d.beta2 == 0.0)
        d.beta2 = 0.999;
    if (d.epsilon == 0.0)
        d.epsilon = 1e-8;
    if (d.bn_momentum == 0.0)
        d.bn_momentum = NB_BN_MOMENTUM;
    *out = d;
}

nb_status nb_layers_check_adam(double learning_rate, double beta1, double beta2, double epsilon,
                               double l1) {
    if (!(learning_rate > 0.0 && learning_rate <= 10.0))
        return NB_RAISE(NB_E_INVALID, "train learning_rate", "%g, allowed (0, 10]", learning_rate);
    if (!(beta1 > 0.0 && beta1 < 1.0))
        return NB_RAISE(NB_E_INVALID, "train beta1", "%g, allowed (0, 1)", beta1);
    if (!(beta2 > 0.0 && beta2 < 1.0))
        return NB_RAISE(NB_E_INVALID, "train beta2", "%g, allowed (0, 1)", beta2);
    if (!(epsilon > 0.0 && epsilon <= 1.0))
        return NB_RAISE(NB_E_INVALID, "train epsilon", "%g, allowed (0, 1]", epsilon);
    if (!(l1 >= 0.0 && l1 <= 100.0))
        return NB_RAISE(NB_E_INVALID, "train l1", "%g, allowed [0, 100]", l1);
    return NB_OK;
}

nb_status nb_layers_train_desc_validate(const nb_layers_train_desc *d) {
    if ((unsigned)d->train > NB_LAYERS_TRAIN_BN_GAMMA_BETA)
        return NB_RAISE(NB_E_INVALID, "train what", "%d is not a nb_layers_train_what",
                        (int)d->train);
    NB_TRY(nb_layers_check_adam(d->learning_rate, d->beta1, d->beta2, d->epsilon, d->l1));
    if (!(d->gamma_l1 >= 0.0 && d->gamma_l1 <= 100.0))
        return NB_RAISE(NB_E_INVALID, "train gamma_l1", "%g, allowed [0, 100]", d->gamma_l1);
    if (!(d->gamma_l2 >= 0.0 && d->gamma_l2 <= 100.0))
        return NB_RAISE(NB_E_INVALID, "train gamma_l2", "%g, allowed [0, 100]", d->gamma_l2);
    if (!(d->bn_momentum >= 0.0 && d->bn_momentum < 1.0))
        return NB_RAISE(NB_E_INVALID, "train bn_momentum", "%g, allowed [0, 1)", d->bn_momentum);
    if (d->threads < 0 || d->threads > 1024)
        return NB_RAISE(NB_E_INVALID, "train threads", "%d, allowed 0..1024", d->threads);
    return NB_OK;
}

/* One trained parameter array. */
typedef struct param_array {
    float *p;     /* the operator's array, updated in place */
    size_t count; /* values */
    size_t off;   /* its gradient and Adam moments start at grad/m/v + off */
    bool sharded; /* DENSE/CONV2D: partial gradients per shard at shard_grad[s] + off */
    float l1, l2; /* penalty factors (l1 * |p| + l2 * p^2) */
} param_array;

/* A block of Adam work: values [i0, i1) of array `a`. */
typedef struct adam_block {
    size_t a, i0, i1;
} adam_block;

struct nb_layers_trainer {
    nb_network *net; /* borrowed */
    nb_layers_train_desc d;
    size_t max_batch;
    size_t end;        /* operators run: [0, end) (a final SOFTMAX is in the loss) */
    size_t n_in, C;    /* input values per sample, logits per sample */
    size_t shard_rows; /* rows per backward shard (fixed by max_batch) */
    size_t max_shards;
    int max_threads;   /* threads the per-thread buffers were allocated for */
    kernel_ctx ctx;    /* ctx.n_threads: threads of the next steps (<= max_threads) */
    float **y;         /* [end] op k's output, float32[max_batch][out_k]; NULL for identities */
    const float **yp;  /* [end] op k's output of the current batch (identities: their input) */
    uint32_t **argmax; /* [end] MAXPOOL: [max_batch][out_k] winning input index */
    float **xhat;      /* [end] BATCHNORM: [max_batch][in_k] */
    float **stats;     /* [end] BATCHNORM: [3][in_c] inv_std, batch mean, batch variance */
    float *gbuf[2];    /* gradient ping-pong, float32[max_batch][widest tensor] */
    float *dlogits;    /* [max_batch][C] */
    size_t (*off)[4];  /* [end][nb_layers_param]: gradient offset, SIZE_MAX if not trained */
    size_t first_trained;
    param_array *arr; /* [n_arrays] */
    size_t n_arrays;
    adam_block *blocks; /* [n_blocks] */
    size_t n_blocks;
    size_t n_params;
    float *grad, *m, *v; /* [n_params] */
    float *shard_grad;   /* [max_shards][n_params]; only the sharded ranges are used */
    uint64_t t;          /* Adam steps so far */
};

void nb_layers_trainer_destroy(nb_layers_trainer *tr) {
    if (!tr)
        return;
    for (size_t k = 0; k < tr->end; k++) {
        if (tr->y)
            free(tr->y[k]);
        if (tr->argmax)
            free(tr->argmax[k]);
        if (tr->xhat)
            free(tr->xhat[k]);
        if (tr->stats)
            free(tr->stats[k]);
    }
    free(tr->y);
    free(tr->yp);
    free(tr->argmax);
    free(tr->xhat);
    free(tr->stats);
    free(tr->gbuf[0]);
    free(tr->gbuf[1]);
    free(tr->dlogits);
    free(tr->off);
    free(tr->arr);
    free(tr->blocks);
    free(tr->grad);
    free(tr->m);
    free(tr->v);
    free(tr->shard_grad);
    ctx_free(&tr->ctx);
    free(tr);
}

/* Registers the trained arrays of every operator (offsets, penalties, Adam blocks). */
static nb_status plan_params(nb_layers_trainer *tr) {
    const nb_layers_train_desc *d = &tr->d;
    const bool all = d->train == NB_LAYERS_TRAIN_ALL;
    const bool beta = all || d->train == NB_LAYERS_TRAIN_BN_GAMMA_BETA;
    tr->arr = calloc(4 * tr->end, sizeof *tr->arr);
    if (!tr->arr)
        return NB_RAISE(NB_E_NOMEM, "trainer", "parameter table");
    tr->first_trained = SIZE_MAX;
    size_t n_blocks = 0;
    for (size_t k = 0; k < tr->end; k++) {
        nb_op *op = &tr->net->ops[k];
        float *p[4] = {NULL, NULL, NULL, NULL};
        size_t count[4] = {nb_op_weight_count(op), nb_op_bias_count(op), nb_op_channel_count(op),
                           nb_op_channel_count(op)};
        if (all && (op->kind == NB_OP_DENSE || op->kind == NB_OP_CONV2D)) {
            p[NB_LAYERS_PARAM_WEIGHT] = op->weight;
            p[NB_LAYERS_PARAM_BIAS] = op->bias;
        }
        if (op->kind == NB_OP_BATCHNORM) {
            p[NB_LAYERS_PARAM_GAMMA] = op->gamma;
            p[NB_LAYERS_PARAM_BETA] = beta ? op->beta : NULL;
        }
        for (int w = 0; w < 4; w++) {
            tr->off[k][w] = SIZE_MAX;
            if (!p[w] || count[w] == 0)
                continue;
            param_array *a = &tr->arr[tr->n_arrays++];
            a->p = p[w];
            a->count = count[w];
            a->off = tr->n_params;
            a->sharded = w <= NB_LAYERS_PARAM_BIAS;
            a->l1 = (float)(w == NB_LAYERS_PARAM_WEIGHT  ? d->l1
                            : w == NB_LAYERS_PARAM_GAMMA ? d->gamma_l1
                                                         : 0.0);
            a->l2 = (float)(w == NB_LAYERS_PARAM_GAMMA ? d->gamma_l2 : 0.0);
            tr->off[k][w] = tr->n_params;
            tr->n_params += count[w];
            n_blocks += (count[w] + NB_LAYERS_ADAM_BLOCK - 1) / NB_LAYERS_ADAM_BLOCK;
            if (tr->first_trained == SIZE_MAX)
                tr->first_trained = k;
        }
    }
    if (tr->n_arrays == 0)
        return NB_RAISE(NB_E_INVALID, "trainer", "nothing to train: %s",
                        all ? "no operator has parameters" : "the chain has no batch norm");
    tr->blocks = malloc(n_blocks * sizeof *tr->blocks);
    if (!tr->blocks)
        return NB_RAISE(NB_E_NOMEM, "trainer", "parameter table");
    for (size_t a = 0; a < tr->n_arrays; a++)
        for (size_t i0 = 0; i0 < tr->arr[a].count; i0 += NB_LAYERS_ADAM_BLOCK) {
            const size_t i1 = i0 + NB_LAYERS_ADAM_BLOCK;
            tr->blocks[tr->n_blocks++] =
                (adam_block){a, i0, i1 < tr->arr[a].count ? i1 : tr->arr[a].count};
        }
    return NB_OK;
}

/* Allocates the per-operator buffers and the gradient arrays. */
static nb_status alloc_buffers(nb_layers_trainer *tr) {
    const size_t B = tr->max_batch, end = tr->end;
    size_t widest = tr->n_in;
    for (size_t k = 0; k < end; k++) {
        const nb_op *op = &tr->net->ops[k];
        widest = out_size(op) > widest ? out_size(op) : widest;
        if (!is_identity(op->kind) && !fused_relu(tr->net, k) &&
            !(tr->y[k] = malloc(B * out_size(op) * sizeof(float))))
            return NB_RAISE(NB_E_NOMEM, "trainer", "outputs of operator %zu", k);
        if (op->kind == NB_OP_MAXPOOL &&
            !(tr->argmax[k] = malloc(B * out_size(op) * sizeof(uint32_t))))
            return NB_RAISE(NB_E_NOMEM, "trainer", "indices of operator %zu", k);
        if (op->kind == NB_OP_BATCHNORM &&
            (!(tr->xhat[k] = malloc(B * in_size(op) * sizeof(float))) ||
             !(tr->stats[k] = malloc(3 * op->in_c * sizeof(float)))))
            return NB_RAISE(NB_E_NOMEM, "trainer", "statistics of operator %zu", k);
    }
    const size_t np = tr->n_params;
    tr->gbuf[0] = malloc(B * widest * sizeof(float));
    tr->gbuf[1] = malloc(B * widest * sizeof(float));
    tr->dlogits = malloc(B * tr->C * sizeof(float));
    tr->grad = calloc(np, sizeof(float));
    tr->m = calloc(np, sizeof(float));
    tr->v = calloc(np, sizeof(float));
    tr->shard_grad = malloc(tr->max_shards * np * sizeof(float));
    if (!tr->gbuf[0] || !tr->gbuf[1] || !tr->dlogits || !tr->grad || !tr->m || !tr->v ||
        !tr->shard_grad)
        return NB_RAISE(NB_E_NOMEM, "trainer", "gradient buffers for batch %zu", B);
    return NB_OK;
}

nb_status nb_layers_trainer_create(nb_network *net, size_t max_batch,
                                   const nb_layers_train_desc *desc, nb_layers_trainer **out) {
    *out = NULL;
    nb_layers_train_desc d;
    nb_layers_train_desc_resolve(desc, &d);
    NB_TRY(nb_layers_train_desc_validate(&d));
    NB_TRY(check_chain(net));
    if (max_batch == 0 || max_batch > (size_t)INT_MAX / 2)
        return NB_RAISE(NB_E_INVALID, "trainer", "max_batch %zu, allowed 1..%d", max_batch,
                        INT_MAX / 2);
    const size_t end = run_end(net);
    if (end == 0)
        return NB_RAISE(NB_E_INVALID, "trainer", "the chain is only a softmax");
    const size_t C = out_size(&net->ops[end - 1]);
    if (C < 2)
        return NB_RAISE(NB_E_INVALID, "trainer", "the chain's output has %zu value(s), need >= 2",
                        C);
    nb_layers_trainer *tr = calloc(1, sizeof *tr);
    if (!tr)
        return NB_RAISE(NB_E_NOMEM, "trainer", "trainer");
    tr->net = net;
    tr->d = d;
    tr->max_batch = max_batch;
    tr->end = end;
    tr->n_in = net->in_c * net->in_h * net->in_w;
    tr->C = C;
    tr->shard_rows = (max_batch + NB_LAYERS_MAX_SHARDS - 1) / NB_LAYERS_MAX_SHARDS;
    if (tr->shard_rows < NB_LAYERS_ROWS)
        tr->shard_rows = NB_LAYERS_ROWS;
    tr->max_shards = (max_batch + tr->shard_rows - 1) / tr->shard_rows;
    tr->y = calloc(end, sizeof *tr->y);
    tr->yp = calloc(end, sizeof *tr->yp);
    tr->argmax = calloc(end, sizeof *tr->argmax);
    tr->xhat = calloc(end, sizeof *tr->xhat);
    tr->stats = calloc(end, sizeof *tr->stats);
    tr->off = calloc(end, sizeof *tr->off);
    nb_status s = NB_OK;
    if (!tr->y || !tr->yp || !tr->argmax || !tr->xhat || !tr->stats || !tr->off)
        s = NB_RAISE(NB_E_NOMEM, "trainer", "operator tables");
    if (s == NB_OK)
        s = plan_params(tr);
    if (s == NB_OK)
        s = alloc_buffers(tr);
    if (s == NB_OK)
        s = ctx_alloc(&tr->ctx, net->ops, end, d.threads, true);
    if (s == NB_OK)
        tr->max_threads = tr->ctx.n_threads;
    if (s != NB_OK) {
        nb_layers_trainer_destroy(tr);
        return s;
    }
    *out = tr;
    return NB_OK;
}

int nb_layers_trainer_set_threads(nb_layers_trainer *tr, int threads) {
    tr->ctx.n_threads = threads < 1 ? 1 : threads > tr->max_threads ? tr->max_threads : threads;
    return tr->ctx.n_threads;
}

const float *nb_layers_trainer_gradient(const nb_layers_trainer *tr, size_t op_index,
                                        nb_layers_param which) {
    if (op_index >= tr->end || (unsigned)which > NB_LAYERS_PARAM_BETA ||
        tr->off[op_index][which] == SIZE_MAX)
        return NULL;
    return tr->grad + tr->off[op_index][which];
}

/* Training-mode forward of the batch x[m]: fills yp[] (and y[], argmax, BN statistics). */
static void train_forward(nb_layers_trainer *tr, const float *x, size_t m) {
    const float *in = x;
    for (size_t k = 0; k < tr->end; k++) {
        const nb_op *op = &tr->net->ops[k];
        if (is_identity(op->kind) || fused_relu(tr->net, k)) {
            tr->yp[k] = in;
            continue;
        }
        const size_t c = op->in_c;
        op_train_state st = {.argmax = tr->argmax[k], .xhat = tr->xhat[k]};
        if (tr->stats[k]) {
            st.inv_std = tr->stats[k];
            st.mean = tr->stats[k] + c;
            st.var = tr->stats[k] + 2 * c;
        }
        op_forward(op, in, m, tr->y[k], &tr->ctx, &st,
                   k + 1 < tr->end && fused_relu(tr->net, k + 1));
        tr->yp[k] = in = tr->y[k];
    }
}

/* grad[off + i] = sum over shards 0..S-1 (in order) of shard_grad[s][off + i], i < count. */
static void reduce_shards(nb_layers_trainer *tr, size_t off, size_t count, size_t S) {
    const size_t np = tr->n_params;
    const ptrdiff_t n_blocks =
        (ptrdiff_t)((count + NB_LAYERS_ADAM_BLOCK - 1) / NB_LAYERS_ADAM_BLOCK);
#pragma omp parallel for schedule(static)                                                          \
    num_threads(tr->ctx.n_threads) if (n_blocks > 1 && count * S >= NB_LAYERS_PAR_VALUES)
    for (ptrdiff_t b = 0; b < n_blocks; b++) {
        const size_t i0 = off + (size_t)b * NB_LAYERS_ADAM_BLOCK;
        const size_t i1 =
            i0 + NB_LAYERS_ADAM_BLOCK < off + count ? i0 + NB_LAYERS_ADAM_BLOCK : off + count;
        float *g = tr->grad;
        memcpy(g + i0, tr->shard_grad + i0, (i1 - i0) * sizeof *g);
        for (size_t s = 1; s < S; s++) {
            const float *gs = tr->shard_grad + s * np;
            for (size_t i = i0; i < i1; i++)
                g[i] += gs[i];
        }
    }
}

/* Backward of one convolution shard: samples [0, rows) in order; gw, gb (may be NULL) are the
 * shard's partial gradients (overwritten), dx (may be NULL) the input gradients. */
static void conv_backward_shard(const nb_op *op, const float *x, const float *dy, size_t rows,
                                float *gw, float *gb, float *dx, float *col, float *dcol) {
    const size_t P = op->out_h * op->out_w, K = op->in_c * op->kernel_h * op->kernel_w;
    const size_t ni = in_size(op), no = out_size(op);
    const bool use_col = col_size(op) > 0;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ni, *dyr = dy + r * no;
        if (gw) {
            const float *cm = xr;
            if (use_col) {
                im2col(op, xr, col);
                cm = col;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blas_int(op->out_c), blas_int(K),
                        blas_int(P), 1.0f, dyr, blas_int(P), cm, blas_int(P), r ? 1.0f : 0.0f, gw,
                        blas_int(K));
        }
        if (gb)
            for (size_t o = 0; o < op->out_c; o++) {
                const float sum = sum_fixed(dyr + o * P, P);
                gb[o] = r ? gb[o] + sum : sum;
            }
        if (dx) {
            float *target = use_col ? dcol : dx + r * ni;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blas_int(K), blas_int(P),
                        blas_int(op->out_c), 1.0f, op->weight, blas_int(K), dyr, blas_int(P), 0.0f,
                        target, blas_int(P));
            if (use_col)
                col2im(op, dcol, dx + r * ni);
        }
    }
}

/* Backward of a DENSE or CONV2D over fixed shards of the batch, then the shard sums. */
static void backward_weighted(nb_layers_trainer *tr, size_t k, const float *x, const float *dy,
                              size_t m, float *dx) {
    const nb_op *op = &tr->net->ops[k];
    const size_t ni = in_size(op), no = out_size(op), np = tr->n_params;
    const size_t ow = tr->off[k][NB_LAYERS_PARAM_WEIGHT], ob = tr->off[k][NB_LAYERS_PARAM_BIAS];
    const size_t S = (m + tr->shard_rows - 1) / tr->shard_rows;
    const kernel_ctx *ctx = &tr->ctx;
#pragma omp parallel for schedule(static) num_threads(                                             \
    ctx->n_threads) if (S > 1 && m * nb_op_weight_count(op) *                                      \
                                         (op->kind == NB_OP_CONV2D ? op->out_h * op->out_w : 1) >= \
                                     NB_LAYERS_PAR_WORK)
    for (ptrdiff_t s = 0; s < (ptrdiff_t)S; s++) {
        const size_t r0 = (size_t)s * tr->shard_rows;
        const size_t rows = m - r0 < tr->shard_rows ? m - r0 : tr->shard_rows;
        float *gs = tr->shard_grad + (size_t)s * np;
        float *gw = ow != SIZE_MAX ? gs + ow : NULL, *gb = ob != SIZE_MAX ? gs + ob : NULL;
        float *dxs = dx ? dx + r0 * ni : NULL;
        if (op->kind == NB_OP_DENSE) {
            nb_mlp_dense_backward(x + r0 * ni, rows, ni, op->weight, no, dy + r0 * no, dxs, gw, gb);
        } else {
            const size_t t = (size_t)omp_get_thread_num();
            conv_backward_shard(op, x + r0 * ni, dy + r0 * no, rows, gw, gb, dxs,
                                ctx->col ? ctx->col + t * ctx->col_stride : NULL,
                                ctx->dcol ? ctx->dcol + t * ctx->col_stride : NULL);
        }
    }
    if (ow != SIZE_MAX)
        reduce_shards(tr, ow, nb_op_weight_count(op), S);
    if (ob != SIZE_MAX)
        reduce_shards(tr, ob, nb_op_bias_count(op), S);
}

/* Backward of operator k (not an identity): input x, output y, upstream dy, all [m] samples;
 * writes its trained arrays' gradients and, if dx is not NULL, dx[m][in]. */
static void op_backward(nb_layers_trainer *tr, size_t k, const float *x, const float *y,
                        const float *dy, size_t m, float *dx) {
    const nb_op *op = &tr->net->ops[k];
    const size_t ni = in_size(op), no = out_size(op);
    const int nt = tr->ctx.n_threads;
    switch (op->kind) {
    case NB_OP_DENSE:
    case NB_OP_CONV2D:
        backward_weighted(tr, k, x, dy, m, dx);
        break;
    case NB_OP_MAXPOOL:
        if (!dx)
            break;
#pragma omp parallel for schedule(static) num_threads(nt) if (m * ni >= NB_LAYERS_PAR_VALUES)
        for (ptrdiff_t r = 0; r < (ptrdiff_t)m; r++) {
            float *dxr = dx + (size_t)r * ni;
            const float *dyr = dy + (size_t)r * no;
            const uint32_t *idx = tr->argmax[k] + (size_t)r * no;
            memset(dxr, 0, ni * sizeof *dxr);
            for (size_t o = 0; o < no; o++)
                if (idx[o] != NB_LAYERS_NO_INDEX)
                    dxr[idx[o]] += dyr[o];
        }
        break;
    case NB_OP_AVGPOOL:
        if (!dx)
            break;
#pragma omp parallel for schedule(static)                                                          \
    num_threads(nt) if (m > 1 && m * no * op->kernel_h * op->kernel_w >= NB_LAYERS_PAR_WORK)
        for (ptrdiff_t r = 0; r < (ptrdiff_t)m; r++)
            avgpool_sample(op, NULL, dy + (size_t)r * no, dx + (size_t)r * ni);
        break;
    case NB_OP_GLOBAL_AVGPOOL: {
        if (!dx)
            break;
        const size_t P = op->in_h * op->in_w;
        for (size_t r = 0; r < m; r++)
            for (size_t c = 0; c < op->in_c; c++) {
                const float g = dy[r * no + c] / (float)P;
                for (size_t p = 0; p < P; p++)
                    dx[r * ni + c * P + p] = g;
            }
        break;
    }
    case NB_OP_BATCHNORM: {
        const size_t og = tr->off[k][NB_LAYERS_PARAM_GAMMA], obe = tr->off[k][NB_LAYERS_PARAM_BETA];
        batchnorm_backward(op, tr->xhat[k], tr->stats[k], dy, m, dx,
                           og != SIZE_MAX ? tr->grad + og : NULL,
                           obe != SIZE_MAX ? tr->grad + obe : NULL, nt);
        break;
    }
    default: /* activations */
        if (dx)
            activation_backward(op, x, y, dy, dx, m * ni, nt);
        break;
    }
}

/* Backward from dlogits down to the first trained operator (to the input when dx_out is not
 * NULL, which then receives d loss / d x). */
static void train_backward(nb_layers_trainer *tr, const float *x, size_t m, float *dx_out) {
    const size_t stop = dx_out ? 0 : tr->first_trained;
    const float *dy = tr->dlogits;
    for (size_t k = tr->end; k-- > stop;) {
        const nb_op *op = &tr->net->ops[k];
        if (is_identity(op->kind))
            continue;
        const bool need_dx = dx_out || k > tr->first_trained;
        float *dx = need_dx ? (dy == tr->gbuf[0] ? tr->gbuf[1] : tr->gbuf[0]) : NULL;
        op_backward(tr, k, k ? tr->yp[k - 1] : x, tr->yp[k], dy, m, dx);
        if (!need_dx)
            break;
        dy = dx;
    }
    if (dx_out)
        memcpy(dx_out, dy, m * tr->n_in * sizeof *dx_out);
}

/* Adam on every trained array, penalties added to the gradient (element-wise, so the split
 * into blocks cannot change results). */
static void adam_update(nb_layers_trainer *tr) {
    tr->t++;
    const nb_layers_train_desc *d = &tr->d;
    const double bc1 = 1.0 - pow(d->beta1, (double)tr->t);
    const double bc2 = 1.0 - pow(d->beta2, (double)tr->t);
    const float b1 = (float)d->beta1, b2 = (float)d->beta2, step = (float)(d->learning_rate / bc1),
                inv_bc2 = (float)(1.0 / sqrt(bc2)), eps = (float)d->epsilon;
    const ptrdiff_t n_blocks = (ptrdiff_t)tr->n_blocks;
#pragma omp parallel for schedule(static)                                                          \
    num_threads(tr->ctx.n_threads) if (tr->n_params >= NB_LAYERS_PAR_VALUES)
    for (ptrdiff_t b = 0; b < n_blocks; b++) {
        const adam_block *blk = &tr->blocks[b];
        const param_array *a = &tr->arr[blk->a];
        float *p = a->p, *g = tr->grad + a->off, *mm = tr->m + a->off, *vv = tr->v + a->off;
        const float l1 = a->l1, l2x2 = 2.0f * a->l2;
#pragma omp simd
        for (size_t i = blk->i0; i < blk->i1; i++) {
            const float gi = g[i] + (p[i] > 0.0f ? l1 : (p[i] < 0.0f ? -l1 : 0.0f)) + l2x2 * p[i];
            const float mi = b1 * mm[i] + (1.0f - b1) * gi;
            const float vi = b2 * vv[i] + (1.0f - b2) * gi * gi;
            mm[i] = mi;
            vv[i] = vi;
            p[i] -= step * mi / (sqrtf(vi) * inv_bc2 + eps);
        }
    }
}

/* Forward, loss and backward of one batch (the shared part of step and loss_grad). */
static nb_status train_pass(nb_layers_trainer *tr, const float *x, const uint8_t *labels,
                            size_t batch, double *loss, size_t *n_correct, float *dx) {
    if (batch == 0 || batch > tr->max_batch)
        return NB_RAISE(NB_E_INVALID, "trainer", "batch of %zu, allowed 1..%zu", batch,
                        tr->max_batch);
    for (size_t i = 0; i < batch; i++)
        if (labels[i] >= tr->C)
            return NB_RAISE(NB_E_MISMATCH, "labels",
                            "label %u of sample %zu, the chain has %zu "
                            "outputs",
                            (unsigned)labels[i], i, tr->C);
    train_forward(tr, x, batch);
    size_t correct = 0;
    const double l =
        nb_mlp_softmax_xent(tr->yp[tr->end - 1], labels, batch, tr->C, tr->dlogits, &correct);
    if (loss)
        *loss = l;
    if (n_correct)
        *n_correct = correct;
    if (!isfinite(l))
        return NB_RAISE(NB_E_NUMERIC, "training",
                        "loss is %g: training diverged (lower the learning rate)", l);
    train_backward(tr, x, batch, dx);
    return NB_OK;
}

nb_status nb_layers_trainer_loss_grad(nb_layers_trainer *tr, const float *x, const uint8_t *labels,
                                      size_t batch, double *loss, size_t *n_correct, float *dx) {
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    const nb_status s = train_pass(tr, x, labels, batch, loss, n_correct, dx);
    openblas_set_num_threads(blas_threads);
    return s;
}

nb_status nb_layers_trainer_step(nb_layers_trainer *tr, const float *x, const uint8_t *labels,
                                 size_t batch, double *loss, size_t *n_correct) {
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    const nb_status s = train_pass(tr, x, labels, batch, loss, n_correct, NULL);
    if (s == NB_OK) {
        for (size_t k = 0; k < tr->end; k++) {
            nb_op *op = &tr->net->ops[k];
            if (op->kind == NB_OP_BATCHNORM)
                nb_bn_update_running(op->mean, op->var, tr->stats[k] + op->in_c,
                                     tr->stats[k] + 2 * op->in_c, op->in_c,
                                     (float)tr->d.bn_momentum);
        }
        adam_update(tr);
    }
    openblas_set_num_threads(blas_threads);
    return s;
}
