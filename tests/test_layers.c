/* test_layers.c - the operator engine (nb_layers): every operator kind against a naive
 * reference (direct loops in double), padding/stride/dilation combinations, the chain forward
 * with its node-layer activations, thread-count independence, the nb_mlp dispatch, refusals. */

#include <cblas.h>
#include <omp.h>

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
        cmocka_unit_test(test_forward_is_thread_count_independent),
        cmocka_unit_test(test_mlp_evaluate_dispatches),
        cmocka_unit_test(test_forward_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
