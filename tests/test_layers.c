/* test_layers.c - the operator engine (nb_layers): every operator kind against a naive
 * reference (direct loops in double), padding/stride/dilation combinations, the chain forward
 * with its node-layer activations, thread-count independence, the nb_mlp dispatch, refusals. */

#include <cblas.h>
#include <omp.h>

#include "nb_graph.h"
#include "nb_layers.h"
#include "nb_mlp.h"
#include "nb_rng.h"
#include "nb_test.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static void fill_uniform(nb_rng *rng, float *v, size_t n, double lo, double hi) {
    for (size_t k = 0; k < n; k++)
        v[k] = (float)(lo + (hi - lo) * nb_rng_uniform(rng));
}

static float *random_array(nb_rng *rng, size_t n, double lo, double hi) {
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    fill_uniform(rng, v, n, lo, hi);
    return v;
}

static size_t win_out(size_t n, size_t p0, size_t p1, size_t k, size_t s, size_t d) {
    return (n + p0 + p1 - d * (k - 1) - 1) / s + 1;
}

/* A windowed operator (CONV2D, MAXPOOL, AVGPOOL) with its shapes filled. */
static nb_op window_op(nb_op_kind kind, size_t c, size_t h, size_t w, size_t out_c, size_t kh,
                       size_t kw, size_t sh, size_t sw, size_t dh, size_t dw, size_t pt, size_t pl,
                       size_t pb, size_t pr) {
    nb_op op = {.kind = kind,
                .in_c = c,
                .in_h = h,
                .in_w = w,
                .out_c = kind == NB_OP_CONV2D ? out_c : c,
                .kernel_h = kh,
                .kernel_w = kw,
                .stride_h = sh,
                .stride_w = sw,
                .dilation_h = dh,
                .dilation_w = dw,
                .pad_top = pt,
                .pad_left = pl,
                .pad_bottom = pb,
                .pad_right = pr};
    op.out_h = win_out(h, pt, pb, kh, sh, dh);
    op.out_w = win_out(w, pl, pr, kw, sw, dw);
    return op;
}

/* An operator that keeps its input's shape. */
static nb_op same_op(nb_op_kind kind, size_t c, size_t h, size_t w) {
    return (nb_op){
        .kind = kind, .in_c = c, .in_h = h, .in_w = w, .out_c = c, .out_h = h, .out_w = w};
}

static size_t op_in(const nb_op *op) {
    return op->in_c * op->in_h * op->in_w;
}

static size_t op_out(const nb_op *op) {
    return op->out_c * op->out_h * op->out_w;
}

static void expect_close_arrays(const float *got, const double *want, size_t n, double rel,
                                double abs_tol) {
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= abs_tol + rel * fabs(want[i])))
            fail_msg("value %zu: got %.9g, want %.9g", i, (double)got[i], want[i]);
}

/* ---- naive references (double) ------------------------------------------------------------- */

static void ref_conv(const nb_op *op, const float *x, size_t n, double *y) {
    const size_t H = op->in_h, W = op->in_w, OH = op->out_h, OW = op->out_w;
    for (size_t s = 0; s < n; s++)
        for (size_t o = 0; o < op->out_c; o++)
            for (size_t oh = 0; oh < OH; oh++)
                for (size_t ow = 0; ow < OW; ow++) {
                    double acc = op->bias ? op->bias[o] : 0.0;
                    for (size_t c = 0; c < op->in_c; c++)
                        for (size_t i = 0; i < op->kernel_h; i++)
                            for (size_t j = 0; j < op->kernel_w; j++) {
                                long ih = (long)(oh * op->stride_h + i * op->dilation_h) -
                                          (long)op->pad_top;
                                long iw = (long)(ow * op->stride_w + j * op->dilation_w) -
                                          (long)op->pad_left;
                                if (ih < 0 || iw < 0 || ih >= (long)H || iw >= (long)W)
                                    continue;
                                acc += (double)op->weight[((o * op->in_c + c) * op->kernel_h + i) *
                                                              op->kernel_w +
                                                          j] *
                                       x[((s * op->in_c + c) * H + (size_t)ih) * W + (size_t)iw];
                            }
                    y[((s * op->out_c + o) * OH + oh) * OW + ow] = acc;
                }
}

static void ref_pool(const nb_op *op, const float *x, size_t n, double *y) {
    const size_t H = op->in_h, W = op->in_w, OH = op->out_h, OW = op->out_w;
    for (size_t s = 0; s < n; s++)
        for (size_t c = 0; c < op->in_c; c++)
            for (size_t oh = 0; oh < OH; oh++)
                for (size_t ow = 0; ow < OW; ow++) {
                    double best = -INFINITY, sum = 0.0;
                    size_t inside = 0, padded = 0;
                    for (size_t i = 0; i < op->kernel_h; i++)
                        for (size_t j = 0; j < op->kernel_w; j++) {
                            long ih =
                                (long)(oh * op->stride_h + i * op->dilation_h) - (long)op->pad_top;
                            long iw =
                                (long)(ow * op->stride_w + j * op->dilation_w) - (long)op->pad_left;
                            if (ih >= -(long)op->pad_top && ih < (long)(H + op->pad_bottom) &&
                                iw >= -(long)op->pad_left && iw < (long)(W + op->pad_right))
                                padded++;
                            if (ih < 0 || iw < 0 || ih >= (long)H || iw >= (long)W)
                                continue;
                            double v = x[((s * op->in_c + c) * H + (size_t)ih) * W + (size_t)iw];
                            inside++;
                            sum += v;
                            best = v > best ? v : best;
                        }
                    double r;
                    if (op->kind == NB_OP_MAXPOOL)
                        r = best;
                    else
                        r = sum / (double)(op->count_include_pad ? padded : inside);
                    y[((s * op->in_c + c) * OH + oh) * OW + ow] = r;
                }
}

static double ref_act(const nb_op *op, double v) {
    switch (op->kind) {
    case NB_OP_RELU:
        return v > 0 ? v : 0;
    case NB_OP_LEAKY_RELU:
        return v > 0 ? v : op->alpha * v;
    case NB_OP_SIGMOID:
        return 1.0 / (1.0 + exp(-v));
    case NB_OP_TANH:
        return tanh(v);
    case NB_OP_GELU:
        if (op->gelu_tanh)
            return 0.5 * v * (1.0 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
        return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    default:
        return v;
    }
}

/* Runs nb_layers_op_forward on n random samples and compares with want (filled by ref). */
static void check_op(const nb_op *op, size_t n, uint64_t seed,
                     void (*ref)(const nb_op *, const float *, size_t, double *), double rel,
                     double abs_tol) {
    nb_rng rng;
    nb_rng_init(&rng, seed);
    float *x = random_array(&rng, n * op_in(op), -2.0, 2.0);
    float *y = malloc(n * op_out(op) * sizeof *y);
    double *want = malloc(n * op_out(op) * sizeof *want);
    assert_true(y && want);
    assert_int_equal(nb_layers_op_forward(op, x, n, y), NB_OK);
    ref(op, x, n, want);
    expect_close_arrays(y, want, n * op_out(op), rel, abs_tol);
    free(x);
    free(y);
    free(want);
}

/* ---- operators ------------------------------------------------------------------------------ */

static void ref_dense(const nb_op *op, const float *x, size_t n, double *y) {
    const size_t NI = op_in(op);
    for (size_t s = 0; s < n; s++)
        for (size_t o = 0; o < op->out_c; o++) {
            double acc = op->bias ? op->bias[o] : 0.0;
            for (size_t i = 0; i < NI; i++)
                acc += (double)op->weight[o * NI + i] * x[s * NI + i];
            y[s * op->out_c + o] = acc;
        }
}

static void test_dense_matches_naive(void **state) {
    (void)state;
    nb_rng rng;
    nb_rng_init(&rng, 1);
    /* a [3][4][5] input is flattened CHW */
    nb_op op = {
        .kind = NB_OP_DENSE, .in_c = 3, .in_h = 4, .in_w = 5, .out_c = 7, .out_h = 1, .out_w = 1};
    op.weight = random_array(&rng, 7 * 60, -0.5, 0.5);
    op.bias = random_array(&rng, 7, -0.5, 0.5);
    check_op(&op, 70, 2, ref_dense, 1e-5, 1e-5);
    free(op.bias);
    op.bias = NULL; /* no bias: zero */
    check_op(&op, 3, 3, ref_dense, 1e-5, 1e-5);
    nb_op_deinit(&op);
}

static void test_conv_matches_naive_for_strides_pads_dilations(void **state) {
    (void)state;
    /* kernel h, w; stride h, w; dilation h, w; pad top, left, bottom, right */
    static const size_t cfg[][10] = {
        {3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, /* "same" 3x3 */
        {3, 3, 1, 1, 1, 1, 0, 0, 0, 0}, /* valid */
        {3, 3, 2, 2, 1, 1, 1, 1, 1, 1}, /* strided */
        {2, 3, 2, 1, 1, 1, 0, 2, 1, 0}, /* asymmetric kernel, stride, padding */
        {3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, /* dilated */
        {3, 2, 2, 3, 2, 1, 1, 0, 3, 2}, /* strided and dilated, uneven pads */
        {1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, /* 1x1 (no im2col) */
        {1, 1, 2, 2, 1, 1, 0, 0, 0, 0}, /* strided 1x1 */
        {5, 5, 1, 1, 1, 1, 4, 4, 4, 4}, /* padding as large as the kernel allows */
    };
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        const size_t *c = cfg[t];
        nb_rng rng;
        nb_rng_init(&rng, 100 + t);
        nb_op op = window_op(NB_OP_CONV2D, 3, 7, 6, 4, c[0], c[1], c[2], c[3], c[4], c[5], c[6],
                             c[7], c[8], c[9]);
        op.weight = random_array(&rng, 4 * 3 * c[0] * c[1], -0.5, 0.5);
        op.bias = t % 2 ? NULL : random_array(&rng, 4, -0.5, 0.5);
        print_message("conv case %zu: %zux%zu -> %zux%zu\n", t, op.in_h, op.in_w, op.out_h,
                      op.out_w);
        check_op(&op, 5, 200 + t, ref_conv, 1e-5, 1e-5);
        nb_op_deinit(&op);
    }
}

static void test_pools_match_naive(void **state) {
    (void)state;
    static const size_t cfg[][10] = {
        {2, 2, 2, 2, 1, 1, 0, 0, 0, 0}, /* the usual 2x2/2 */
        {3, 3, 2, 2, 1, 1, 1, 1, 1, 1}, /* overlapping, padded */
        {3, 2, 1, 2, 1, 1, 1, 0, 0, 1}, /* uneven */
        {2, 2, 1, 1, 2, 2, 1, 1, 1, 1}, /* dilated */
        {3, 3, 3, 3, 1, 1, 0, 0, 2, 2}, /* bottom/right padding only (ceil-mode style) */
    };
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        const size_t *c = cfg[t];
        for (int kind = 0; kind < 3; kind++) {
            nb_op op = window_op(kind == 0 ? NB_OP_MAXPOOL : NB_OP_AVGPOOL, 2, 7, 8, 0, c[0], c[1],
                                 c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]);
            op.count_include_pad = kind == 2;
            check_op(&op, 4, 300 + t, ref_pool, 1e-6, 1e-6);
        }
    }
}

static void ref_gap(const nb_op *op, const float *x, size_t n, double *y) {
    const size_t P = op->in_h * op->in_w;
    for (size_t s = 0; s < n; s++)
        for (size_t c = 0; c < op->in_c; c++) {
            double sum = 0.0;
            for (size_t p = 0; p < P; p++)
                sum += x[(s * op->in_c + c) * P + p];
            y[s * op->in_c + c] = sum / (double)P;
        }
}

static void ref_identity(const nb_op *op, const float *x, size_t n, double *y) {
    for (size_t i = 0; i < n * op_in(op); i++)
        y[i] = x[i];
}

static void test_global_avgpool_flatten_dropout(void **state) {
    (void)state;
    nb_op gap = same_op(NB_OP_GLOBAL_AVGPOOL, 3, 5, 4);
    gap.out_h = gap.out_w = 1;
    check_op(&gap, 6, 4, ref_gap, 1e-6, 1e-6);
    nb_op flat = same_op(NB_OP_FLATTEN, 3, 5, 4);
    flat.out_c = 60;
    flat.out_h = flat.out_w = 1;
    check_op(&flat, 6, 5, ref_identity, 0.0, 0.0);
    nb_op drop = same_op(NB_OP_DROPOUT, 3, 5, 4);
    drop.alpha = 0.5f;
    check_op(&drop, 6, 6, ref_identity, 0.0, 0.0);
}

static void ref_bn(const nb_op *op, const float *x, size_t n, double *y) {
    const size_t P = op->in_h * op->in_w;
    for (size_t s = 0; s < n; s++)
        for (size_t c = 0; c < op->in_c; c++)
            for (size_t p = 0; p < P; p++) {
                size_t i = (s * op->in_c + c) * P + p;
                y[i] = op->gamma[c] * ((double)x[i] - op->mean[c]) /
                           sqrt((double)op->var[c] + op->eps) +
                       op->beta[c];
            }
}

static void test_batchnorm_inference(void **state) {
    (void)state;
    nb_rng rng;
    nb_rng_init(&rng, 7);
    nb_op op = same_op(NB_OP_BATCHNORM, 4, 3, 3);
    op.eps = 1e-5f;
    op.gamma = random_array(&rng, 4, 0.5, 1.5);
    op.beta = random_array(&rng, 4, -0.5, 0.5);
    op.mean = random_array(&rng, 4, -0.5, 0.5);
    op.var = random_array(&rng, 4, 0.1, 2.0);
    check_op(&op, 5, 8, ref_bn, 1e-5, 1e-6);
    nb_op_deinit(&op);
}

static void ref_activation(const nb_op *op, const float *x, size_t n, double *y) {
    for (size_t i = 0; i < n * op_in(op); i++)
        y[i] = ref_act(op, x[i]);
}

static void ref_softmax(const nb_op *op, const float *x, size_t n, double *y) {
    const size_t NI = op_in(op);
    for (size_t s = 0; s < n; s++) {
        double sum = 0.0;
        for (size_t i = 0; i < NI; i++)
            sum += exp(x[s * NI + i]);
        for (size_t i = 0; i < NI; i++)
            y[s * NI + i] = exp(x[s * NI + i]) / sum;
    }
}

static void test_activations_and_softmax(void **state) {
    (void)state;
    const nb_op_kind kinds[] = {NB_OP_RELU, NB_OP_LEAKY_RELU, NB_OP_SIGMOID,
                                NB_OP_TANH, NB_OP_GELU,       NB_OP_GELU};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        nb_op op = same_op(kinds[k], 2, 3, 5);
        op.alpha = 0.1f;
        op.gelu_tanh = k == 5;
        check_op(&op, 7, 10 + k, ref_activation, 2e-6, 2e-6);
    }
    nb_op sm = same_op(NB_OP_SOFTMAX, 10, 1, 1);
    check_op(&sm, 9, 20, ref_softmax, 1e-6, 1e-7);
    /* no overflow for large logits, no NaN for very negative sigmoid inputs */
    float big[3] = {1000.0f, 999.0f, -1000.0f}, p[3];
    nb_op sm3 = same_op(NB_OP_SOFTMAX, 3, 1, 1);
    assert_int_equal(nb_layers_op_forward(&sm3, big, 1, p), NB_OK);
    nb_assert_close(p[0], 1.0 / (1.0 + exp(-1.0)), 1e-6, 0);
    nb_assert_near(p[2], 0.0, 1e-30);
    nb_op sg = same_op(NB_OP_SIGMOID, 3, 1, 1);
    float neg[3] = {-200.0f, 0.0f, 200.0f};
    assert_int_equal(nb_layers_op_forward(&sg, neg, 1, p), NB_OK);
    nb_assert_near(p[0], 0.0, 1e-30);
    nb_assert_near(p[1], 0.5, 0);
    nb_assert_near(p[2], 1.0, 0);
}

static void test_maxpool_padding_never_wins(void **state) {
    (void)state;
    /* all inputs negative: a padded 3x3 window must still return an input value */
    nb_op op = window_op(NB_OP_MAXPOOL, 1, 2, 2, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
    float x[4] = {-4.0f, -3.0f, -2.0f, -1.0f}, y[4];
    assert_int_equal(nb_layers_op_forward(&op, x, 1, y), NB_OK);
    for (int i = 0; i < 4; i++)
        nb_assert_near(y[i], -1.0, 0);
    /* NaN propagates (PyTorch), in the 2x2/2 fast path and in the general one */
    nb_op fast = window_op(NB_OP_MAXPOOL, 1, 2, 4, 0, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0);
    nb_op slow = window_op(NB_OP_MAXPOOL, 1, 2, 4, 0, 2, 2, 1, 2, 1, 1, 0, 0, 0, 0);
    float xn[8] = {1.0f, NAN, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f}, yn[2];
    assert_int_equal(nb_layers_op_forward(&fast, xn, 1, yn), NB_OK);
    assert_true(isnan(yn[0]));
    nb_assert_near(yn[1], 8.0, 0);
    assert_int_equal(nb_layers_op_forward(&slow, xn, 1, yn), NB_OK);
    assert_true(isnan(yn[0]));
    nb_assert_near(yn[1], 8.0, 0);
}

/* ---- chains ---------------------------------------------------------------------------------- */

/* Fills the shapes of a chain from net->in_* (what nb_graph_infer_shapes does). */
static void chain_shapes(nb_network *net) {
    size_t c = net->in_c, h = net->in_h, w = net->in_w;
    for (size_t k = 0; k < net->n_ops; k++) {
        nb_op *op = &net->ops[k];
        op->in_c = c;
        op->in_h = h;
        op->in_w = w;
        switch (op->kind) {
        case NB_OP_DENSE:
            op->out_h = op->out_w = 1;
            break;
        case NB_OP_CONV2D:
        case NB_OP_MAXPOOL:
        case NB_OP_AVGPOOL:
            if (op->kind != NB_OP_CONV2D)
                op->out_c = c;
            op->out_h =
                win_out(h, op->pad_top, op->pad_bottom, op->kernel_h, op->stride_h, op->dilation_h);
            op->out_w =
                win_out(w, op->pad_left, op->pad_right, op->kernel_w, op->stride_w, op->dilation_w);
            break;
        case NB_OP_GLOBAL_AVGPOOL:
            op->out_c = c;
            op->out_h = op->out_w = 1;
            break;
        case NB_OP_FLATTEN:
            op->out_c = c * h * w;
            op->out_h = op->out_w = 1;
            break;
        default:
            op->out_c = c;
            op->out_h = h;
            op->out_w = w;
            break;
        }
        c = op->out_c;
        h = op->out_h;
        w = op->out_w;
    }
}

/* The test CNN on a 2x8x8 input: conv 3x3 pad 1 -> 4x8x8, batch norm, ReLU, maxpool 2/2 ->
 * 4x4x4, conv 3x3 stride 2 pad 1 -> 5x2x2, tanh, flatten -> 20, dense 6, GELU, dense 3,
 * softmax. Parameters random from `seed`. */
static void make_cnn(nb_network *net, uint64_t seed) {
    memset(net, 0, sizeof *net);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    net->in_c = 2;
    net->in_h = 8;
    net->in_w = 8;
    net->n_ops = 11;
    net->ops = calloc(net->n_ops, sizeof *net->ops);
    assert_non_null(net->ops);
    nb_op *o = net->ops;
    o[0] = (nb_op){.kind = NB_OP_CONV2D,
                   .out_c = 4,
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
    o[1] = (nb_op){.kind = NB_OP_BATCHNORM, .eps = 1e-3f};
    o[2] = (nb_op){.kind = NB_OP_RELU};
    o[3] = (nb_op){.kind = NB_OP_MAXPOOL,
                   .kernel_h = 2,
                   .kernel_w = 2,
                   .stride_h = 2,
                   .stride_w = 2,
                   .dilation_h = 1,
                   .dilation_w = 1};
    o[4] = (nb_op){.kind = NB_OP_CONV2D,
                   .out_c = 5,
                   .kernel_h = 3,
                   .kernel_w = 3,
                   .stride_h = 2,
                   .stride_w = 2,
                   .dilation_h = 1,
                   .dilation_w = 1,
                   .pad_top = 1,
                   .pad_left = 1,
                   .pad_bottom = 1,
                   .pad_right = 1};
    o[5] = (nb_op){.kind = NB_OP_TANH};
    o[6] = (nb_op){.kind = NB_OP_FLATTEN};
    o[7] = (nb_op){.kind = NB_OP_DENSE, .out_c = 6};
    o[8] = (nb_op){.kind = NB_OP_GELU};
    o[9] = (nb_op){.kind = NB_OP_DENSE, .out_c = 3};
    o[10] = (nb_op){.kind = NB_OP_SOFTMAX};
    chain_shapes(net);
    for (size_t k = 0; k < net->n_ops; k++) {
        nb_op *op = &o[k];
        const size_t nw = nb_op_weight_count(op), nb = nb_op_bias_count(op);
        const size_t nc = nb_op_channel_count(op);
        if (nw) {
            const double a = 1.5 / sqrt((double)nw / (double)op->out_c);
            op->weight = random_array(&rng, nw, -a, a);
            op->bias = random_array(&rng, nb, -0.2, 0.2);
        }
        if (nc) {
            op->gamma = random_array(&rng, nc, 0.5, 1.5);
            op->beta = random_array(&rng, nc, -0.5, 0.5);
            op->mean = random_array(&rng, nc, -0.2, 0.2);
            op->var = random_array(&rng, nc, 0.5, 1.5);
        }
    }
}

static void free_net(nb_network *net) {
    for (size_t k = 0; k < net->n_ops; k++)
        nb_op_deinit(&net->ops[k]);
    free(net->ops);
    memset(net, 0, sizeof *net);
}

/* The reference forward of make_cnn for one sample, in double through the naive references;
 * fills the node-layer activations (2 + 4 + 5 + 6 + 3 values). */
static void ref_cnn(const nb_network *net, const float *x, double *logits, double *act) {
    double buf[2][1024];
    float fin[1024];
    memcpy(fin, x, op_in(&net->ops[0]) * sizeof *fin);
    size_t col = 0;
    for (size_t c = 0; c < 2; c++) {
        double s = 0;
        for (size_t p = 0; p < 64; p++)
            s += x[c * 64 + p];
        act[col++] = s / 64.0;
    }
    for (size_t k = 0; k + 1 < net->n_ops; k++) {
        const nb_op *op = &net->ops[k];
        double *y = buf[k % 2];
        switch (op->kind) {
        case NB_OP_CONV2D:
            ref_conv(op, fin, 1, y);
            break;
        case NB_OP_MAXPOOL:
            ref_pool(op, fin, 1, y);
            break;
        case NB_OP_BATCHNORM:
            ref_bn(op, fin, 1, y);
            break;
        case NB_OP_DENSE:
            ref_dense(op, fin, 1, y);
            break;
        case NB_OP_FLATTEN:
            ref_identity(op, fin, 1, y);
            break;
        default:
            ref_activation(op, fin, 1, y);
            break;
        }
        for (size_t i = 0; i < op_out(op); i++)
            fin[i] = (float)y[i];
        /* node layers: after relu (k=2), tanh (k=5), gelu (k=8), the last dense (k=9) */
        if (k == 2 || k == 5 || k == 8 || k == 9) {
            const size_t P = op->out_h * op->out_w;
            for (size_t c = 0; c < op->out_c; c++) {
                double s = 0;
                for (size_t p = 0; p < P; p++)
                    s += y[c * P + p];
                act[col++] = s / (double)P;
            }
        }
        if (k == 9)
            memcpy(logits, y, 3 * sizeof *logits);
    }
}

static void test_chain_forward_and_node_activations(void **state) {
    (void)state;
    nb_network net;
    make_cnn(&net, 30);
    /* the test's shapes are those of the graph view's inference */
    nb_op shapes[11];
    memcpy(shapes, net.ops, sizeof shapes);
    net.n_classes = 3;
    assert_int_equal(nb_graph_infer_shapes(&net), NB_OK);
    assert_memory_equal(shapes, net.ops, sizeof shapes);
    enum { N = 70, IN = 128, ACT = 2 + 4 + 5 + 6 + 3 };
    nb_rng rng;
    nb_rng_init(&rng, 31);
    float *x = random_array(&rng, N * IN, 0.0, 1.0);
    float logits[N * 3], act[N * ACT];
    assert_int_equal(nb_layers_output_size(&net), 3);
    assert_int_equal(nb_layers_forward(&net, x, N, logits, act), NB_OK);
    for (size_t s = 0; s < N; s++) {
        double want_z[3] = {0}, want_a[ACT] = {0};
        ref_cnn(&net, x + s * IN, want_z, want_a);
        expect_close_arrays(logits + s * 3, want_z, 3, 1e-4, 1e-5);
        expect_close_arrays(act + s * ACT, want_a, ACT, 1e-4, 1e-5);
    }
    /* activations NULL gives the same logits; nb_mlp_forward dispatches here */
    float z2[N * 3];
    assert_int_equal(nb_mlp_forward(&net, x, N, z2, NULL), NB_OK);
    assert_memory_equal(z2, logits, sizeof z2);
    free(x);
    free_net(&net);
}

/* Node layer 0 is the input's channels when pooling comes before the first dense layer (as the
 * graph view, nb_graph.h), its values when a dense layer reads the input directly. */
static void test_input_node_layer_follows_the_graph_view(void **state) {
    (void)state;
    nb_network net;
    memset(&net, 0, sizeof net);
    net.in_c = 2;
    net.in_h = net.in_w = 4;
    net.n_ops = 3;
    net.ops = calloc(3, sizeof *net.ops);
    assert_non_null(net.ops);
    net.ops[0] =
        (nb_op){.kind = NB_OP_MAXPOOL, .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2};
    net.ops[1] = (nb_op){.kind = NB_OP_FLATTEN};
    net.ops[2] = (nb_op){.kind = NB_OP_DENSE, .out_c = 3};
    net.n_classes = 3;
    nb_rng rng;
    nb_rng_init(&rng, 70);
    net.ops[2].weight = random_array(&rng, 3 * 8, -1.0, 1.0);
    assert_int_equal(nb_graph_infer_shapes(&net), NB_OK);
    float x[32], z[3], act[2 + 3];
    fill_uniform(&rng, x, 32, 0.0, 1.0);
    assert_int_equal(nb_layers_forward(&net, x, 1, z, act), NB_OK);
    for (size_t c = 0; c < 2; c++) {
        double s = 0;
        for (size_t p = 0; p < 16; p++)
            s += x[c * 16 + p];
        nb_assert_close(act[c], s / 16, 1e-6, 0);
    }
    assert_memory_equal(act + 2, z, sizeof z);
    /* without the pooling the dense layer reads the 32 input values: 32 input nodes */
    nb_op_deinit(&net.ops[0]);
    net.ops[0] = (nb_op){.kind = NB_OP_DROPOUT};
    assert_int_equal(nb_graph_infer_shapes(&net), NB_OK);
    free(net.ops[2].weight);
    net.ops[2].weight = random_array(&rng, 3 * 32, -1.0, 1.0);
    float act32[32 + 3];
    assert_int_equal(nb_layers_forward(&net, x, 1, z, act32), NB_OK);
    assert_memory_equal(act32, x, sizeof x);
    free_net(&net);
}

/* Forward results must not depend on OpenMP or OpenBLAS thread counts. */
static void test_forward_is_thread_count_independent(void **state) {
    (void)state;
    nb_network net;
    make_cnn(&net, 40);
    enum { N = 150, IN = 128, ACT = 2 + 4 + 5 + 6 + 3 };
    nb_rng rng;
    nb_rng_init(&rng, 41);
    float *x = random_array(&rng, N * IN, 0.0, 1.0);
    static float z[2][N * 3], a[2][N * ACT];
    const int omp0 = omp_get_max_threads(), blas0 = openblas_get_num_threads();
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        openblas_set_num_threads(t + 1);
        assert_int_equal(nb_layers_forward(&net, x, N, z[t], a[t]), NB_OK);
        /* the caller's OpenBLAS setting is restored */
        assert_int_equal(openblas_get_num_threads(), t + 1);
    }
    omp_set_num_threads(omp0);
    openblas_set_num_threads(blas0);
    assert_memory_equal(z[0], z[1], sizeof z[0]);
    assert_memory_equal(a[0], a[1], sizeof a[0]);
    free(x);
    free_net(&net);
}

static void test_mlp_evaluate_dispatches(void **state) {
    (void)state;
    nb_network net;
    make_cnn(&net, 50);
    enum { N = 40, IN = 128 };
    nb_rng rng;
    nb_rng_init(&rng, 51);
    nb_dataset ds = {.n = N, .channels = 2, .rows = 8, .cols = 8, .dim = IN, .n_classes = 3};
    ds.images = random_array(&rng, N * IN, 0.0, 1.0);
    ds.labels = malloc(N);
    assert_non_null(ds.labels);
    for (size_t i = 0; i < N; i++)
        ds.labels[i] = (uint8_t)(nb_rng_next(&rng) % 3);
    float z[N * 3];
    assert_int_equal(nb_layers_forward(&net, ds.images, N, z, NULL), NB_OK);
    size_t correct = 0;
    const double want_loss = nb_mlp_softmax_xent(z, ds.labels, N, 3, NULL, &correct);
    double loss = 0, acc = 0;
    uint8_t pred[N];
    assert_int_equal(nb_mlp_evaluate(&net, &ds, &loss, &acc, pred), NB_OK);
    nb_assert_close(loss, want_loss, 1e-12, 0);
    nb_assert_same_double(acc, (double)correct / N);
    for (size_t i = 0; i < N; i++) {
        size_t arg = 0;
        for (size_t c = 1; c < 3; c++)
            if (z[i * 3 + c] > z[i * 3 + arg])
                arg = c;
        assert_int_equal(pred[i], arg);
    }
    /* wrong image size, label out of range */
    ds.dim = 64;
    nb_expect_error(nb_mlp_evaluate(&net, &ds, &loss, &acc, NULL), NB_E_MISMATCH, "data set",
                    "network's input is 2x8x8");
    ds.dim = IN;
    ds.labels[5] = 3;
    nb_expect_error(nb_mlp_evaluate(&net, &ds, &loss, &acc, NULL), NB_E_MISMATCH, "data set",
                    "label 3 of image 5");
    nb_dataset_deinit(&ds);
    free_net(&net);
}

/* ---- refusals -------------------------------------------------------------------------------- */

static void test_forward_refusals(void **state) {
    (void)state;
    nb_network net;
    make_cnn(&net, 60);
    float x[128] = {0}, z[3];
    /* no operators */
    nb_network empty = {.in_c = 1, .in_h = 1, .in_w = 1};
    nb_expect_error(nb_layers_forward(&empty, x, 1, z, NULL), NB_E_INVALID, "network",
                    "no operators");
    /* an input shape that does not chain */
    net.ops[5].in_c = net.ops[5].out_c = 6;
    nb_expect_error(nb_layers_forward(&net, x, 1, z, NULL), NB_E_MISMATCH, "operator 5 (tanh)",
                    "input 6x2x2, but the previous operator gives 5x2x2");
    net.ops[5].in_c = net.ops[5].out_c = 5;
    /* the network's input shape */
    net.in_h = 7;
    nb_expect_error(nb_layers_forward(&net, x, 1, z, NULL), NB_E_MISMATCH, "operator 0 (conv2d)",
                    "the network input gives 2x7x8");
    net.in_h = 8;
    /* a convolution output that the hyper-parameters do not give */
    net.ops[4].out_h = 3;
    nb_expect_error(nb_layers_forward(&net, x, 1, z, NULL), NB_E_MISMATCH, "operator 4 (conv2d)",
                    "gives 2x2");
    net.ops[4].out_h = 2;
    /* a zero stride */
    net.ops[3].stride_w = 0;
    nb_expect_error(nb_layers_forward(&net, x, 1, z, NULL), NB_E_INVALID, "operator 3 (maxpool)",
                    "each must be >= 1");
    net.ops[3].stride_w = 2;
    /* missing parameters */
    float *keep = net.ops[7].weight;
    net.ops[7].weight = NULL;
    nb_expect_error(nb_layers_forward(&net, x, 1, z, NULL), NB_E_MISSING, "operator 7 (dense)",
                    "no weight");
    net.ops[7].weight = keep;
    keep = net.ops[1].var;
    net.ops[1].var = NULL;
    nb_expect_error(nb_layers_forward(&net, x, 1, z, NULL), NB_E_MISSING, "operator 1 (batchnorm)",
                    "gamma, beta, mean and var");
    net.ops[1].var = keep;
    /* softmax before the end */
    net.ops[8].kind = NB_OP_SOFTMAX;
    nb_expect_error(nb_layers_forward(&net, x, 1, z, NULL), NB_E_INVALID, "operator 8 (softmax)",
                    "only as the last operator");
    net.ops[8].kind = NB_OP_GELU;
    /* shapes not inferred */
    net.ops[2].out_w = 0;
    nb_expect_error(nb_layers_forward(&net, x, 1, z, NULL), NB_E_MISMATCH, "operator 2 (relu)",
                    "zero size");
    net.ops[2].out_w = 8;
    assert_int_equal(nb_layers_forward(&net, x, 1, z, NULL), NB_OK);
    /* a single operator with a zero shape or a bad kind */
    nb_op bad = same_op(NB_OP_RELU, 0, 1, 1);
    nb_expect_error(nb_layers_op_forward(&bad, x, 1, z), NB_E_INVALID, "operator (relu)",
                    "zero size");
    bad = same_op(NB_OP_COUNT, 1, 1, 1);
    nb_expect_error(nb_layers_op_forward(&bad, x, 1, z), NB_E_INVALID, "operator (?)", "not known");
    free_net(&net);
}

/* ---- training: gradients against central differences ---------------------------------------- */

/* A chain from a list of operator templates on an input c x h x w: shapes filled, parameters
 * random (weights ~ U(-a, a) with a = 1.5/sqrt(fan-in), biases and beta ~ U(-0.2, 0.2), gamma
 * ~ U(0.5, 1.5), running mean 0 and variance 1). */
static void make_chain(nb_network *net, size_t c, size_t h, size_t w, const nb_op *tmpl,
                       size_t n_ops, uint64_t seed) {
    memset(net, 0, sizeof *net);
    net->in_c = c;
    net->in_h = h;
    net->in_w = w;
    net->n_ops = n_ops;
    net->ops = calloc(n_ops, sizeof *net->ops);
    assert_non_null(net->ops);
    memcpy(net->ops, tmpl, n_ops * sizeof *tmpl);
    chain_shapes(net);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    for (size_t k = 0; k < n_ops; k++) {
        nb_op *op = &net->ops[k];
        const size_t nw = nb_op_weight_count(op), nc = nb_op_channel_count(op);
        if (nw) {
            const double a = 1.5 / sqrt((double)nw / (double)op->out_c);
            op->weight = random_array(&rng, nw, -a, a);
            op->bias = random_array(&rng, nb_op_bias_count(op), -0.2, 0.2);
        }
        if (nc) {
            op->eps = op->eps > 0.0f ? op->eps : 1e-3f;
            op->gamma = random_array(&rng, nc, 0.5, 1.5);
            op->beta = random_array(&rng, nc, -0.2, 0.2);
            op->mean = calloc(nc, sizeof(float));
            op->var = malloc(nc * sizeof(float));
            assert_true(op->mean && op->var);
            for (size_t i = 0; i < nc; i++)
                op->var[i] = 1.0f;
        }
    }
}

static double loss_of(nb_layers_trainer *tr, const float *x, const uint8_t *labels, size_t batch) {
    double l = NAN;
    assert_int_equal(nb_layers_trainer_loss_grad(tr, x, labels, batch, &l, NULL, NULL), NB_OK);
    return l;
}

/* Compares analytic and central-difference derivatives of the loss for up to 60 entries of v
 * (every entry when fewer). */
static void check_entries(nb_layers_trainer *tr, float *x, const uint8_t *labels, size_t batch,
                          float *v, const float *analytic, size_t n, float h, const char *what) {
    const size_t step = n > 60 ? n / 60 : 1;
    for (size_t i = 0; i < n; i += step) {
        const float keep = v[i];
        v[i] = keep + h;
        const double lp = loss_of(tr, x, labels, batch);
        v[i] = keep - h;
        const double lm = loss_of(tr, x, labels, batch);
        v[i] = keep;
        const double num = (lp - lm) / (2.0 * (double)h);
        const double a = analytic[i];
        if (!(fabs(a - num) <= 5e-4 + 2e-2 * fabs(num)))
            fail_msg("%s[%zu]: analytic %.6g, numeric %.6g", what, i, a, num);
    }
}

/* Gradient check of a whole chain: every trained array and the input gradient. */
static void grad_check(nb_network *net, size_t batch, float h, uint64_t seed) {
    nb_layers_trainer *tr = NULL;
    const nb_layers_train_desc desc = {.threads = 2};
    assert_int_equal(nb_layers_trainer_create(net, batch, &desc, &tr), NB_OK);
    const size_t n_in = net->in_c * net->in_h * net->in_w, C = nb_layers_output_size(net);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    float *x = random_array(&rng, batch * n_in, -1.0, 1.0);
    uint8_t labels[64];
    for (size_t i = 0; i < batch; i++)
        labels[i] = (uint8_t)(nb_rng_next(&rng) % C);
    float *dx = malloc(batch * n_in * sizeof *dx);
    assert_non_null(dx);
    double l0 = NAN;
    assert_int_equal(nb_layers_trainer_loss_grad(tr, x, labels, batch, &l0, NULL, dx), NB_OK);
    assert_true(isfinite(l0));
    /* the analytic gradients, copied before the finite differences overwrite them */
    size_t n_checked = 0;
    for (size_t k = 0; k < net->n_ops; k++) {
        nb_op *op = &net->ops[k];
        float *arrays[4] = {op->weight, op->bias, op->gamma, op->beta};
        const size_t counts[4] = {nb_op_weight_count(op), nb_op_bias_count(op),
                                  nb_op_channel_count(op), nb_op_channel_count(op)};
        for (int w = 0; w < 4; w++) {
            const float *g = nb_layers_trainer_gradient(tr, k, (nb_layers_param)w);
            if (!g)
                continue;
            float *copy = malloc(counts[w] * sizeof *copy);
            assert_non_null(copy);
            memcpy(copy, g, counts[w] * sizeof *copy);
            char what[64];
            snprintf(what, sizeof what, "op %zu (%s) array %d", k, nb_op_kind_name(op->kind), w);
            check_entries(tr, x, labels, batch, arrays[w], copy, counts[w], h, what);
            free(copy);
            n_checked++;
        }
    }
    assert_true(n_checked > 0);
    check_entries(tr, x, labels, batch, x, dx, batch * n_in, h, "input");
    free(dx);
    free(x);
    nb_layers_trainer_destroy(tr);
}

#define N_OPS(a) (sizeof(a) / sizeof((a)[0]))
#define CONV(oc, k, s, d, p)                                                                       \
    (nb_op) {                                                                                      \
        .kind = NB_OP_CONV2D, .out_c = (oc), .kernel_h = (k), .kernel_w = (k), .stride_h = (s),    \
        .stride_w = (s), .dilation_h = (d), .dilation_w = (d), .pad_top = (p), .pad_left = (p),    \
        .pad_bottom = (p), .pad_right = (p)                                                        \
    }
#define DENSE(oc) ((nb_op){.kind = NB_OP_DENSE, .out_c = (oc)})
#define OP(k)     ((nb_op){.kind = (k)})

static void test_grad_dense_and_activations(void **state) {
    (void)state;
    const nb_op_kind acts[] = {NB_OP_RELU, NB_OP_LEAKY_RELU, NB_OP_SIGMOID, NB_OP_TANH,
                               NB_OP_GELU, NB_OP_GELU,       NB_OP_DROPOUT};
    for (size_t a = 0; a < N_OPS(acts); a++) {
        nb_op t[] = {DENSE(6), OP(acts[a]), DENSE(3)};
        t[1].alpha = 0.1f;
        t[1].gelu_tanh = a == 5;
        nb_network net;
        make_chain(&net, 2, 2, 2, t, N_OPS(t), 500 + a);
        grad_check(&net, 4, 1e-3f, 600 + a);
        free_net(&net);
    }
    /* a final softmax is the one inside the loss */
    nb_op t[] = {DENSE(5), OP(NB_OP_TANH), DENSE(4), OP(NB_OP_SOFTMAX)};
    nb_network net;
    make_chain(&net, 3, 1, 1, t, N_OPS(t), 510);
    grad_check(&net, 5, 1e-3f, 610);
    free_net(&net);
}

static void test_grad_conv_strides_pads_dilations(void **state) {
    (void)state;
    const size_t cfg[][4] = {/* kernel, stride, dilation, pad */
                             {3, 1, 1, 1}, {3, 2, 1, 1}, {2, 1, 2, 0},
                             {3, 2, 2, 2}, {1, 1, 1, 0}, {1, 2, 1, 0}};
    for (size_t c = 0; c < N_OPS(cfg); c++) {
        nb_op t[] = {CONV(3, cfg[c][0], cfg[c][1], cfg[c][2], cfg[c][3]),
                     OP(NB_OP_TANH),
                     CONV(2, 3, 1, 1, 1),
                     OP(NB_OP_SIGMOID),
                     OP(NB_OP_FLATTEN),
                     DENSE(3)};
        nb_network net;
        make_chain(&net, 2, 6, 5, t, N_OPS(t), 700 + c);
        /* asymmetric padding on the second convolution */
        net.ops[2].pad_bottom = 0;
        net.ops[2].pad_left = 2;
        chain_shapes(&net);
        print_message("conv grad case %zu: %zux%zu -> %zux%zu\n", c, net.ops[0].in_h,
                      net.ops[0].in_w, net.ops[2].out_h, net.ops[2].out_w);
        grad_check(&net, 3, 1e-3f, 800 + c);
        free_net(&net);
    }
}

static void test_grad_pooling(void **state) {
    (void)state;
    for (int kind = 0; kind < 3; kind++) {
        nb_op pool = {.kind = kind == 0 ? NB_OP_MAXPOOL : NB_OP_AVGPOOL,
                      .kernel_h = 3,
                      .kernel_w = 2,
                      .stride_h = 2,
                      .stride_w = 1,
                      .dilation_h = 1,
                      .dilation_w = 2,
                      .pad_top = 1,
                      .pad_left = 1,
                      .pad_bottom = 1,
                      .pad_right = 0,
                      .count_include_pad = kind == 2};
        nb_op t[] = {CONV(3, 3, 1, 1, 1), OP(NB_OP_TANH), pool, OP(NB_OP_FLATTEN), DENSE(3)};
        nb_network net;
        make_chain(&net, 2, 6, 6, t, N_OPS(t), 900 + (uint64_t)kind);
        grad_check(&net, 3, 1e-3f, 910 + (uint64_t)kind);
        free_net(&net);
    }
    nb_op t[] = {CONV(4, 3, 1, 1, 0), OP(NB_OP_GELU), OP(NB_OP_GLOBAL_AVGPOOL), DENSE(3)};
    nb_network net;
    make_chain(&net, 2, 5, 5, t, N_OPS(t), 920);
    grad_check(&net, 4, 1e-3f, 921);
    free_net(&net);
}

static void test_grad_batchnorm(void **state) {
    (void)state;
    /* per channel over batch and positions */
    nb_op t[] = {CONV(3, 3, 1, 1, 1), OP(NB_OP_BATCHNORM), OP(NB_OP_TANH), OP(NB_OP_FLATTEN),
                 DENSE(3)};
    nb_network net;
    make_chain(&net, 2, 4, 4, t, N_OPS(t), 1000);
    grad_check(&net, 4, 1e-3f, 1001);
    free_net(&net);
    /* on flat features, batch norm first (its input gradient is checked too) */
    nb_op f[] = {OP(NB_OP_BATCHNORM), DENSE(5), OP(NB_OP_BATCHNORM), OP(NB_OP_SIGMOID), DENSE(3)};
    make_chain(&net, 6, 1, 1, f, N_OPS(f), 1002);
    grad_check(&net, 6, 1e-3f, 1003);
    free_net(&net);
}

/* ---- training: masks, running statistics, determinism, learning, refusals ------------------- */

/* A two-class task on 1x6x6 images: class 1 has a bright 3x3 patch in the top-left corner,
 * class 0 in the bottom-right; background noise. */
static void make_patches(nb_rng *rng, size_t n, float *x, uint8_t *labels) {
    for (size_t s = 0; s < n; s++) {
        const uint8_t cls = (uint8_t)(nb_rng_next(rng) % 2);
        labels[s] = cls;
        float *img = x + s * 36;
        fill_uniform(rng, img, 36, 0.0, 0.3);
        const size_t o = cls ? 0 : 3;
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++)
                img[(o + i) * 6 + o + j] += 0.7f;
    }
}

static void test_train_bn_gamma_only(void **state) {
    (void)state;
    nb_op t[] = {
        CONV(3, 3, 1, 1, 1), OP(NB_OP_BATCHNORM), OP(NB_OP_RELU), OP(NB_OP_FLATTEN), DENSE(4),
        OP(NB_OP_BATCHNORM), OP(NB_OP_RELU),      DENSE(2)};
    nb_network net, before;
    make_chain(&net, 1, 6, 6, t, N_OPS(t), 1100);
    make_chain(&before, 1, 6, 6, t, N_OPS(t), 1100);
    enum { B = 16 };
    nb_rng rng;
    nb_rng_init(&rng, 1101);
    float x[B * 36];
    uint8_t labels[B];
    make_patches(&rng, B, x, labels);
    nb_layers_trainer *tr = NULL;
    nb_layers_train_desc d = {.train = NB_LAYERS_TRAIN_BN_GAMMA, .bn_momentum = 0.9};
    assert_int_equal(nb_layers_trainer_create(&net, B, &d, &tr), NB_OK);
    double loss = NAN;
    size_t correct = 99;
    assert_int_equal(nb_layers_trainer_step(tr, x, labels, B, &loss, &correct), NB_OK);
    assert_true(isfinite(loss) && correct <= B);
    /* only the gammas have gradients and changed; weights, biases and betas did not */
    for (size_t k = 0; k < net.n_ops; k++) {
        const nb_op *a = &net.ops[k], *b = &before.ops[k];
        const bool bn = a->kind == NB_OP_BATCHNORM;
        assert_true((nb_layers_trainer_gradient(tr, k, NB_LAYERS_PARAM_GAMMA) != NULL) == bn);
        assert_null(nb_layers_trainer_gradient(tr, k, NB_LAYERS_PARAM_WEIGHT));
        assert_null(nb_layers_trainer_gradient(tr, k, NB_LAYERS_PARAM_BETA));
        if (nb_op_weight_count(a)) {
            assert_memory_equal(a->weight, b->weight, nb_op_weight_count(a) * sizeof(float));
            assert_memory_equal(a->bias, b->bias, nb_op_bias_count(a) * sizeof(float));
        }
        if (bn) {
            assert_memory_equal(a->beta, b->beta, a->in_c * sizeof(float));
            for (size_t c = 0; c < a->in_c; c++) {
                /* Adam's first step moves every parameter by ~lr */
                nb_assert_near(fabs((double)a->gamma[c] - b->gamma[c]), 1e-3, 1e-5);
                /* running statistics moved by (1 - momentum) towards the batch's */
                assert_true(a->mean[c] != 0.0f && a->var[c] != 1.0f);
            }
        }
    }
    /* the running mean of the first batch norm: 0.9 * 0 + 0.1 * batch mean of the conv output */
    float conv_out[B * 3 * 36];
    assert_int_equal(nb_layers_op_forward(&before.ops[0], x, B, conv_out), NB_OK);
    for (size_t c = 0; c < 3; c++) {
        double s = 0, s2 = 0;
        for (size_t r = 0; r < B; r++)
            for (size_t p = 0; p < 36; p++)
                s += conv_out[(r * 3 + c) * 36 + p];
        const double mu = s / (B * 36);
        for (size_t r = 0; r < B; r++)
            for (size_t p = 0; p < 36; p++)
                s2 += pow(conv_out[(r * 3 + c) * 36 + p] - mu, 2);
        nb_assert_close(net.ops[1].mean[c], 0.1 * mu, 1e-4, 1e-6);
        nb_assert_close(net.ops[1].var[c], 0.9 + 0.1 * s2 / (B * 36), 1e-4, 1e-6);
    }
    nb_layers_trainer_destroy(tr);
    /* with centering the betas train too; an L1 penalty pulls the gammas down */
    d.train = NB_LAYERS_TRAIN_BN_GAMMA_BETA;
    d.gamma_l1 = 100.0;
    assert_int_equal(nb_layers_trainer_create(&net, B, &d, &tr), NB_OK);
    assert_non_null(nb_layers_trainer_gradient(tr, 1, NB_LAYERS_PARAM_BETA));
    const float g0 = net.ops[1].gamma[0];
    for (int i = 0; i < 5; i++)
        assert_int_equal(nb_layers_trainer_step(tr, x, labels, B, NULL, NULL), NB_OK);
    nb_assert_near(net.ops[1].gamma[0], g0 - 5e-3, 2e-4);
    nb_layers_trainer_destroy(tr);
    free_net(&net);
    free_net(&before);
}

/* Training results are bit-identical for 1 and 2 threads (OpenMP and OpenBLAS). */
static void test_training_is_thread_count_independent(void **state) {
    (void)state;
    nb_op t[] = {CONV(4, 3, 1, 1, 1),
                 OP(NB_OP_BATCHNORM),
                 OP(NB_OP_RELU),
                 (nb_op){.kind = NB_OP_MAXPOOL,
                         .kernel_h = 2,
                         .kernel_w = 2,
                         .stride_h = 2,
                         .stride_w = 2,
                         .dilation_h = 1,
                         .dilation_w = 1},
                 CONV(5, 3, 1, 1, 1),
                 OP(NB_OP_RELU),
                 OP(NB_OP_FLATTEN),
                 DENSE(8),
                 OP(NB_OP_GELU),
                 DENSE(2)};
    /* large enough that every pass runs on both threads (NB_LAYERS_PAR_*) */
    enum { B = 100, STEPS = 4, HW = 12 * 12 };
    nb_rng rng;
    nb_rng_init(&rng, 1200);
    float *x = random_array(&rng, B * HW, 0.0, 1.0);
    uint8_t labels[B];
    for (size_t i = 0; i < B; i++)
        labels[i] = (uint8_t)(nb_rng_next(&rng) % 2);
    nb_network net[2];
    double losses[2][STEPS];
    const int omp0 = omp_get_max_threads(), blas0 = openblas_get_num_threads();
    for (int th = 0; th < 2; th++) {
        make_chain(&net[th], 1, 12, 12, t, N_OPS(t), 1201);
        omp_set_num_threads(th + 1);
        openblas_set_num_threads(th + 1);
        nb_layers_trainer *tr = NULL;
        const nb_layers_train_desc d = {.threads = th + 1, .learning_rate = 1e-2};
        assert_int_equal(nb_layers_trainer_create(&net[th], B, &d, &tr), NB_OK);
        for (int i = 0; i < STEPS; i++)
            assert_int_equal(
                nb_layers_trainer_step(tr, x, labels, B - (size_t)i * 7, &losses[th][i], NULL),
                NB_OK);
        assert_int_equal(openblas_get_num_threads(), th + 1);
        nb_layers_trainer_destroy(tr);
    }
    omp_set_num_threads(omp0);
    openblas_set_num_threads(blas0);
    assert_memory_equal(losses[0], losses[1], sizeof losses[0]);
    for (size_t k = 0; k < net[0].n_ops; k++) {
        const nb_op *a = &net[0].ops[k], *b = &net[1].ops[k];
        if (nb_op_weight_count(a))
            assert_memory_equal(a->weight, b->weight, nb_op_weight_count(a) * sizeof(float));
        if (nb_op_channel_count(a)) {
            assert_memory_equal(a->gamma, b->gamma, a->in_c * sizeof(float));
            assert_memory_equal(a->var, b->var, a->in_c * sizeof(float));
        }
    }
    free_net(&net[0]);
    free_net(&net[1]);
    free(x);
}

/* A small CNN learns the patch task: the loss falls and the accuracy on fresh data is high. */
static void test_training_learns(void **state) {
    (void)state;
    nb_op t[] = {CONV(4, 3, 1, 1, 1),
                 OP(NB_OP_RELU),
                 (nb_op){.kind = NB_OP_MAXPOOL,
                         .kernel_h = 2,
                         .kernel_w = 2,
                         .stride_h = 2,
                         .stride_w = 2,
                         .dilation_h = 1,
                         .dilation_w = 1},
                 OP(NB_OP_FLATTEN),
                 DENSE(8),
                 OP(NB_OP_RELU),
                 DENSE(2)};
    nb_network net;
    make_chain(&net, 1, 6, 6, t, N_OPS(t), 1300);
    enum { B = 32, N_TEST = 200 };
    nb_rng rng;
    nb_rng_init(&rng, 1301);
    float x[B * 36];
    uint8_t labels[B];
    nb_layers_trainer *tr = NULL;
    const nb_layers_train_desc d = {.learning_rate = 1e-2};
    assert_int_equal(nb_layers_trainer_create(&net, B, &d, &tr), NB_OK);
    double first = NAN, last = NAN;
    for (int i = 0; i < 60; i++) {
        make_patches(&rng, B, x, labels);
        assert_int_equal(nb_layers_trainer_step(tr, x, labels, B, &last, NULL), NB_OK);
        if (i == 0)
            first = last;
    }
    assert_true(last < 0.25 * first);
    nb_dataset test = {.n = N_TEST, .channels = 1, .rows = 6, .cols = 6, .dim = 36, .n_classes = 2};
    test.images = malloc(N_TEST * 36 * sizeof(float));
    test.labels = malloc(N_TEST);
    assert_true(test.images && test.labels);
    make_patches(&rng, N_TEST, test.images, test.labels);
    double acc = 0;
    assert_int_equal(nb_mlp_evaluate(&net, &test, NULL, &acc, NULL), NB_OK);
    assert_true(acc >= 0.95);
    nb_dataset_deinit(&test);
    nb_layers_trainer_destroy(tr);
    free_net(&net);
}

static void test_trainer_refusals(void **state) {
    (void)state;
    nb_op t[] = {DENSE(4), OP(NB_OP_RELU), DENSE(3)};
    nb_network net;
    make_chain(&net, 2, 1, 1, t, N_OPS(t), 1400);
    nb_layers_trainer *tr = (nb_layers_trainer *)&net; /* must be reset to NULL on failure */
    nb_layers_train_desc d = {.train = NB_LAYERS_TRAIN_BN_GAMMA};
    nb_expect_error(nb_layers_trainer_create(&net, 4, &d, &tr), NB_E_INVALID, "trainer",
                    "no batch norm");
    assert_null(tr);
    d.train = NB_LAYERS_TRAIN_ALL;
    nb_expect_error(nb_layers_trainer_create(&net, 0, &d, &tr), NB_E_INVALID, "trainer",
                    "max_batch 0");
    d.learning_rate = -1.0;
    nb_expect_error(nb_layers_trainer_create(&net, 4, &d, &tr), NB_E_INVALID, "train learning_rate",
                    "allowed (0, 10]");
    d.learning_rate = 0.0;
    d.bn_momentum = 1.0;
    nb_expect_error(nb_layers_trainer_create(&net, 4, &d, &tr), NB_E_INVALID, "train bn_momentum",
                    "allowed [0, 1)");
    d.bn_momentum = 0.0;
    net.ops[1].in_c = 5;
    nb_expect_error(nb_layers_trainer_create(&net, 4, &d, &tr), NB_E_MISMATCH, "operator 1 (relu)",
                    NULL);
    net.ops[1].in_c = 4;
    /* one output only */
    nb_op one[] = {DENSE(1)};
    nb_network tiny;
    make_chain(&tiny, 2, 1, 1, one, 1, 1401);
    nb_expect_error(nb_layers_trainer_create(&tiny, 4, &d, &tr), NB_E_INVALID, "trainer",
                    "need >= 2");
    free_net(&tiny);

    assert_int_equal(nb_layers_trainer_create(&net, 4, &d, &tr), NB_OK);
    float x[10] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f};
    uint8_t labels[5] = {0, 1, 2, 0, 1};
    nb_expect_error(nb_layers_trainer_step(tr, x, labels, 5, NULL, NULL), NB_E_INVALID, "trainer",
                    "batch of 5, allowed 1..4");
    nb_expect_error(nb_layers_trainer_step(tr, x, labels, 0, NULL, NULL), NB_E_INVALID, "trainer",
                    "batch of 0");
    labels[2] = 3;
    nb_expect_error(nb_layers_trainer_step(tr, x, labels, 4, NULL, NULL), NB_E_MISMATCH, "labels",
                    "label 3 of sample 2");
    labels[2] = 2;
    /* a diverged loss leaves the parameters unchanged */
    net.ops[2].weight[0] = INFINITY;
    net.ops[2].weight[1] = -INFINITY;
    float w1 = net.ops[0].weight[1];
    double loss = 0;
    nb_expect_error(nb_layers_trainer_step(tr, x, labels, 4, &loss, NULL), NB_E_NUMERIC, "training",
                    "diverged");
    assert_true(!isfinite(loss));
    nb_assert_same_double(net.ops[0].weight[1], w1);
    nb_layers_trainer_destroy(tr);
    nb_layers_trainer_destroy(NULL);
    free_net(&net);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_matches_naive),
        cmocka_unit_test(test_conv_matches_naive_for_strides_pads_dilations),
        cmocka_unit_test(test_pools_match_naive),
        cmocka_unit_test(test_global_avgpool_flatten_dropout),
        cmocka_unit_test(test_batchnorm_inference),
        cmocka_unit_test(test_activations_and_softmax),
        cmocka_unit_test(test_maxpool_padding_never_wins),
        cmocka_unit_test(test_chain_forward_and_node_activations),
        cmocka_unit_test(test_input_node_layer_follows_the_graph_view),
        cmocka_unit_test(test_forward_is_thread_count_independent),
        cmocka_unit_test(test_mlp_evaluate_dispatches),
        cmocka_unit_test(test_forward_refusals),
        cmocka_unit_test(test_grad_dense_and_activations),
        cmocka_unit_test(test_grad_conv_strides_pads_dilations),
        cmocka_unit_test(test_grad_pooling),
        cmocka_unit_test(test_grad_batchnorm),
        cmocka_unit_test(test_train_bn_gamma_only),
        cmocka_unit_test(test_training_is_thread_count_independent),
        cmocka_unit_test(test_training_learns),
        cmocka_unit_test(test_trainer_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
