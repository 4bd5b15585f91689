/* test_mlp.c - nb_mlp: analytic gradients against central finite differences, ReLU, stable
 * softmax cross-entropy, whole-network forward against a hand computation, evaluation errors.
 */

#include "nb_mlp.h"
#include "nb_rng.h"
#include "nb_test.h"

static void fill_uniform(nb_rng *rng, float *a, size_t n, double lo, double hi) {
    for (size_t i = 0; i < n; i++)
        a[i] = (float)(lo + (hi - lo) * nb_rng_uniform(rng));
}

/* Double-precision reference: L(x, w, b) = sum_{r,o} g[r][o] * (x[r] . w[o] + b[o]). */
static double dense_loss_ref(const double *x, const double *w, const double *b, const double *g,
                             size_t B, size_t I, size_t O) {
    double L = 0.0;
    for (size_t r = 0; r < B; r++)
        for (size_t o = 0; o < O; o++) {
            double y = b[o];
            for (size_t i = 0; i < I; i++)
                y += x[r * I + i] * w[o * I + i];
            L += g[r * O + o] * y;
        }
    return L;
}

static void to_double(const float *a, double *d, size_t n) {
    for (size_t i = 0; i < n; i++)
        d[i] = (double)a[i];
}

/* Central difference of dense_loss_ref with respect to every entry of v (one of x, w, b). */
static void central_diff(double *v, size_t n, double *grad, const double *x, const double *w,
                         const double *b, const double *g, size_t B, size_t I, size_t O) {
    const double h = 1e-4;
    for (size_t k = 0; k < n; k++) {
        double keep = v[k];
        v[k] = keep + h;
        double lp = dense_loss_ref(x, w, b, g, B, I, O);
        v[k] = keep - h;
        double lm = dense_loss_ref(x, w, b, g, B, I, O);
        v[k] = keep;
        grad[k] = (lp - lm) / (2.0 * h);
    }
}

static void test_dense_forward_and_gradients(void **state) {
    (void)state;
    enum { B = 5, I = 7, O = 4 };
    nb_rng rng;
    nb_rng_init(&rng, 11);
    float x[B * I], w[O * I], b[O], g[B * O], y[B * O];
    float dx[B * I], dw[O * I], db[O];
    fill_uniform(&rng, x, B * I, -1, 1);
    fill_uniform(&rng, w, O * I, -1, 1);
    fill_uniform(&rng, b, O, -1, 1);
    fill_uniform(&rng, g, B * O, -1, 1);
    double xd[B * I], wd[O * I], bd[O], gd[B * O], ref[B * I];
    to_double(x, xd, B * I);
    to_double(w, wd, O * I);
    to_double(b, bd, O);
    to_double(g, gd, B * O);

    /* forward against the double reference, element by element */
    nb_mlp_dense_forward(x, B, I, w, b, O, y);
    for (size_t r = 0; r < B; r++)
        for (size_t o = 0; o < O; o++) {
            double want = bd[o];
            for (size_t i = 0; i < I; i++)
                want += xd[r * I + i] * wd[o * I + i];
            nb_assert_close(y[r * O + o], want, 1e-5, 1e-6);
        }
    /* without bias */
    nb_mlp_dense_forward(x, B, I, w, NULL, O, y);
    for (size_t o = 0; o < O; o++) {
        double want = 0.0;
        for (size_t i = 0; i < I; i++)
            want += xd[i] * wd[o * I + i];
        nb_assert_close(y[o], want, 1e-5, 1e-6);
    }

    /* poison the outputs: the backward must overwrite, not accumulate */
    for (size_t k = 0; k < B * I; k++)
        dx[k] = 1e6f;
    for (size_t k = 0; k < O * I; k++)
        dw[k] = 1e6f;
    for (size_t k = 0; k < O; k++)
        db[k] = 1e6f;
    nb_mlp_dense_backward(x, B, I, w, O, g, dx, dw, db);

    central_diff(xd, B * I, ref, xd, wd, bd, gd, B, I, O);
    for (size_t k = 0; k < B * I; k++)
        nb_assert_close(dx[k], ref[k], 1e-4, 1e-5);
    central_diff(wd, O * I, ref, xd, wd, bd, gd, B, I, O);
    for (size_t k = 0; k < O * I; k++)
        nb_assert_close(dw[k], ref[k], 1e-4, 1e-5);
    central_diff(bd, O, ref, xd, wd, bd, gd, B, I, O);
    for (size_t k = 0; k < O; k++)
        nb_assert_close(db[k], ref[k], 1e-4, 1e-5);

    /* NULL outputs are skipped; the others are still computed */
    float dw2[O * I];
    nb_mlp_dense_backward(x, B, I, w, O, g, NULL, dw2, NULL);
    for (size_t k = 0; k < O * I; k++)
        nb_assert_close(dw2[k], dw[k], 1e-6, 1e-7);
}

/* Reference softmax cross-entropy in double for one row. */
static double xent_ref(const double *z, size_t C, size_t label) {
    double m = z[0];
    for (size_t c = 1; c < C; c++)
        m = z[c] > m ? z[c] : m;
    double s = 0.0;
    for (size_t c = 0; c < C; c++)
        s += exp(z[c] - m);
    return log(s) + m - z[label];
}

static void test_softmax_xent_gradient(void **state) {
    (void)state;
    enum { B = 6, C = 5 };
    nb_rng rng;
    nb_rng_init(&rng, 12);
    float z[B * C], dz[B * C];
    uint8_t labels[B] = {0, 4, 2, 2, 1, 3};
    fill_uniform(&rng, z, B * C, -3, 3);
    /* make row 0 correct and row 1 wrong for the accuracy count */
    z[0 * C + 0] = 10.0f;
    z[1 * C + 0] = 10.0f;
    double zd[B * C];
    to_double(z, zd, B * C);
    size_t correct = 99;
    double loss = nb_mlp_softmax_xent(z, labels, B, C, dz, &correct);

    double want = 0.0;
    size_t want_correct = 0;
    for (size_t r = 0; r < B; r++) {
        want += xent_ref(zd + r * C, C, labels[r]);
        size_t arg = 0;
        for (size_t c = 1; c < C; c++)
            if (z[r * C + c] > z[r * C + arg])
                arg = c;
        want_correct += arg == labels[r];
    }
    want /= B;
    nb_assert_close(loss, want, 1e-9, 1e-12);
    assert_int_equal(correct, want_correct);
    assert_true(correct >= 1 && correct < B);

    /* d(mean loss)/dz by central differences of the double reference */
    const double h = 1e-5;
    for (size_t r = 0; r < B; r++)
        for (size_t c = 0; c < C; c++) {
            double keep = zd[r * C + c];
            zd[r * C + c] = keep + h;
            double lp = xent_ref(zd + r * C, C, labels[r]);
            zd[r * C + c] = keep - h;
            double lm = xent_ref(zd + r * C, C, labels[r]);
            zd[r * C + c] = keep;
            nb_assert_close(dz[r * C + c], (lp - lm) / (2.0 * h) / B, 1e-4, 1e-7);
        }

    /* NULL outputs are allowed */
    nb_assert_close(nb_mlp_softmax_xent(z, labels, B, C, NULL, NULL), want, 1e-9, 1e-12);
}

static void test_softmax_xent_huge_logits(void **state) {
    (void)state;
    enum { C = 3 };
    const float z[3 * C] = {
        1e30f,   -1e30f,  0.0f,   /* certain and right: loss 0 */
        1000.0f, 1001.0f, 999.0f, /* would overflow exp() in float without the max shift */
        -1e30f,  3e38f,   -3e38f, /* certain and wrong: loss ~ 3e38, finite in double */
    };
    const uint8_t labels[3] = {0, 1, 0};
    float dz[3 * C];
    size_t correct = 0;
    double loss = nb_mlp_softmax_xent(z, labels, 2, C, dz, &correct);
    assert_true(isfinite(loss));
    /* row 0 contributes 0, row 1 log(1 + e^-1 + e^-2) */
    double want1 = log(1.0 + exp(-1.0) + exp(-2.0));
    nb_assert_close(loss, want1 / 2.0, 1e-6, 1e-9);
    assert_int_equal(correct, 2);
    for (size_t k = 0; k < 2 * C; k++)
        assert_true(isfinite(dz[k]));
    nb_assert_close(dz[0], 0.0, 0, 1e-7);
    nb_assert_close(dz[1], 0.0, 0, 1e-7);
    double s = 1.0 + exp(-1.0) + exp(-2.0);
    nb_assert_close(dz[C + 0], exp(-1.0) / s / 2.0, 1e-5, 1e-8);
    nb_assert_close(dz[C + 1], (1.0 / s - 1.0) / 2.0, 1e-5, 1e-8);

    loss = nb_mlp_softmax_xent(z + 2 * C, labels + 2, 1, C, dz, &correct);
    assert_true(isfinite(loss));
    nb_assert_close(loss, 3e38 + 1e30, 1e-6, 0);
    assert_int_equal(correct, 0);
    nb_assert_close(dz[0], -1.0, 0, 1e-7);
    nb_assert_close(dz[1], 1.0, 0, 1e-7);
    nb_assert_close(dz[2], 0.0, 0, 1e-7);
}

static void test_relu(void **state) {
    (void)state;
    float y[6] = {-2.0f, -0.0f, 0.0f, 1e-30f, 3.5f, -1e-30f};
    nb_mlp_relu_forward(y, 6);
    const float want[6] = {0, 0, 0, 1e-30f, 3.5f, 0};
    for (int i = 0; i < 6; i++)
        assert_true(y[i] == want[i]);
    float dy[6] = {1, 2, 3, 4, 5, 6};
    nb_mlp_relu_backward(y, dy, 6);
    const float want_d[6] = {0, 0, 0, 4, 5, 0};
    for (int i = 0; i < 6; i++)
        assert_true(dy[i] == want_d[i]);

    /* a long array (takes the OpenMP path) agrees element by element */
    enum { N = (1 << 20) + 3 };
    float *a = malloc(N * sizeof *a), *d = malloc(N * sizeof *d);
    assert_non_null(a);
    assert_non_null(d);
    nb_rng rng;
    nb_rng_init(&rng, 13);
    fill_uniform(&rng, a, N, -1, 1);
    for (size_t i = 0; i < N; i++)
        d[i] = a[i] * 2.0f;
    float *orig = malloc(N * sizeof *orig);
    assert_non_null(orig);
    memcpy(orig, a, N * sizeof *a);
    nb_mlp_relu_forward(a, N);
    nb_mlp_relu_backward(a, d, N);
    for (size_t i = 0; i < N; i++) {
        assert_true(a[i] == (orig[i] > 0 ? orig[i] : 0.0f));
        assert_true(d[i] == (orig[i] > 0 ? orig[i] * 2.0f : 0.0f));
    }
    free(a);
    free(d);
    free(orig);
}

/* Loss of a 2-layer net built from the library pieces, in float32 (what training runs). */
static double chain_loss(const float *x, const float *w1, const float *b1, const float *w2,
                         const float *b2, const uint8_t *labels, size_t B, size_t I, size_t H,
                         size_t C, float *h, float *z) {
    nb_mlp_dense_forward(x, B, I, w1, b1, H, h);
    nb_mlp_relu_forward(h, B * H);
    nb_mlp_dense_forward(h, B, H, w2, b2, C, z);
    return nb_mlp_softmax_xent(z, labels, B, C, NULL, NULL);
}

static void test_chain_gradient_float32(void **state) {
    (void)state;
    enum { B = 8, I = 6, H = 5, C = 3 };
    nb_rng rng;
    nb_rng_init(&rng, 14);
    float x[B * I], w1[H * I], b1[H], w2[C * H], b2[C];
    uint8_t labels[B];
    fill_uniform(&rng, x, B * I, 0, 1);
    fill_uniform(&rng, w1, H * I, -1, 1);
    fill_uniform(&rng, b1, H, 0.1, 0.5);
    fill_uniform(&rng, w2, C * H, -1, 1);
    fill_uniform(&rng, b2, C, -0.1, 0.1);
    for (size_t r = 0; r < B; r++)
        labels[r] = (uint8_t)nb_rng_below(&rng, C);
    float h[B * H], z[B * C], dz[B * C], dh[B * H], dx[B * I];
    float dw1[H * I], db1[H], dw2[C * H], db2[C];
    /* analytic backward */
    nb_mlp_dense_forward(x, B, I, w1, b1, H, h);
    nb_mlp_relu_forward(h, B * H);
    nb_mlp_dense_forward(h, B, H, w2, b2, C, z);
    nb_mlp_softmax_xent(z, labels, B, C, dz, NULL);
    nb_mlp_dense_backward(h, B, H, w2, C, dz, dh, dw2, db2);
    nb_mlp_relu_backward(h, dh, B * H);
    nb_mlp_dense_backward(x, B, I, w1, H, dh, dx, dw1, db1);

    struct {
        float *v, *g;
        size_t n;
    } params[] = {{x, dx, B * I}, {w1, dw1, H * I}, {b1, db1, H}, {w2, dw2, C * H}, {b2, db2, C}};
    float hs[B * H], zs[B * C];
    const float eps = 1e-2f;
    size_t checked = 0;
    for (size_t p = 0; p < sizeof params / sizeof params[0]; p++)
        for (size_t k = 0; k < params[p].n; k++) {
            float keep = params[p].v[k];
            params[p].v[k] = keep + eps;
            double lp = chain_loss(x, w1, b1, w2, b2, labels, B, I, H, C, hs, zs);
            params[p].v[k] = keep - eps;
            double lm = chain_loss(x, w1, b1, w2, b2, labels, B, I, H, C, hs, zs);
            params[p].v[k] = keep;
            double fd = (lp - lm) / (2.0 * (double)eps);
            double an = params[p].g[k];
            /* relative error < 1e-2, with an absolute floor for near-zero gradients (float32
             * differences of the loss are ~1e-7 / 2e-2 = 5e-6 accurate) */
            double rel = fabs(fd - an) / fmax(fabs(fd) + fabs(an), 1e-3);
            if (rel >= 1e-2)
                fail_msg("param %zu[%zu]: analytic %.6g, finite difference %.6g", p, k, an, fd);
            checked++;
        }
    assert_int_equal(checked, B * I + H * I + H + C * H + C);
}

/* A hand-built 3-2-2-2 network (no nb_network_init needed). */
typedef struct tiny_net {
    size_t sizes[4], woff[4], boff[4];
    float w[3 * 2 + 2 * 2 + 2 * 2], b[2 + 2 + 2];
    nb_network net;
} tiny_net;

static void tiny_net_make(tiny_net *t) {
    memset(t, 0, sizeof *t);
    const size_t sizes[4] = {3, 2, 2, 2};
    memcpy(t->sizes, sizes, sizeof sizes);
    const size_t woff[4] = {0, 6, 10, 14}, boff[4] = {0, 2, 4, 6};
    memcpy(t->woff, woff, sizeof woff);
    memcpy(t->boff, boff, sizeof boff);
    const float w[14] = {
        1,   0,   -1, /* h1_0 = x0 - x2 + 0.5 */
        2,   1,   1,  /* h1_1 = 2 x0 + x1 + x2 - 1 */
        1,   -1,      /* h2_0 = h1_0 - h1_1 */
        0.5, 0.5,     /* h2_1 = (h1_0 + h1_1) / 2 + 1 */
        1,   2,       /* z0 = h2_0 + 2 h2_1 */
        -1,  1,       /* z1 = -h2_0 + h2_1 + 0.25 */
    };
    const float b[6] = {0.5f, -1.0f, 0.0f, 1.0f, 0.0f, 0.25f};
    memcpy(t->w, w, sizeof w);
    memcpy(t->b, b, sizeof b);
    t->net.n_layers = 4;
    t->net.layer_size = t->sizes;
    t->net.weight_offset = t->woff;
    t->net.bias_offset = t->boff;
    t->net.weights = t->w;
    t->net.biases = t->b;
    t->net.n_classes = 2;
}

/* By hand:
 *  x = (1, 2, 3):  h1 = relu(1-3+0.5, 2+2+3-1) = (0, 6); h2 = relu(0-6, 3+1) = (0, 4);
 *                  z = (0+8, 0+4+0.25) = (8, 4.25)
 *  x = (0, 0, 1):  h1 = relu(-0.5, 0) = (0, 0); h2 = relu(0, 1) = (0, 1); z = (2, 1.25)
 *  x = (2, -9, 0): h1 = relu(2.5, -6) = (2.5, 0); h2 = relu(2.5, 2.25) = (2.5, 2.25);
 *                  z = (2.5+4.5, -2.5+2.25+0.25) = (7, 0) */
static const float tiny_x[9] = {1, 2, 3, 0, 0, 1, 2, -9, 0};
static const float tiny_logits[6] = {8, 4.25f, 2, 1.25f, 7, 0};
static const float tiny_h1[6] = {0, 6, 0, 0, 2.5f, 0};
static const float tiny_h2[6] = {0, 4, 0, 1, 2.5f, 2.25f};

static void test_forward_by_hand(void **state) {
    (void)state;
    tiny_net t;
    tiny_net_make(&t);
    float logits[6], act[3 * 9];
    assert_int_equal(nb_mlp_forward(&t.net, tiny_x, 3, logits, NULL), NB_OK);
    for (int k = 0; k < 6; k++)
        nb_assert_close(logits[k], tiny_logits[k], 1e-6, 1e-6);
    memset(logits, 0, sizeof logits);
    assert_int_equal(nb_mlp_forward(&t.net, tiny_x, 3, logits, act), NB_OK);
    for (int k = 0; k < 6; k++)
        nb_assert_close(logits[k], tiny_logits[k], 1e-6, 1e-6);
    /* activations: per input [x(3) | h1(2) | h2(2) | logits(2)] */
    for (int r = 0; r < 3; r++) {
        const float *a = act + r * 9;
        for (int i = 0; i < 3; i++)
            nb_assert_close(a[i], tiny_x[r * 3 + i], 0, 0);
        for (int i = 0; i < 2; i++) {
            nb_assert_close(a[3 + i], tiny_h1[r * 2 + i], 1e-6, 1e-6);
            nb_assert_close(a[5 + i], tiny_h2[r * 2 + i], 1e-6, 1e-6);
            nb_assert_close(a[7 + i], tiny_logits[r * 2 + i], 1e-6, 1e-6);
        }
    }
}

/* More inputs than one chunk: the chunked forward equals per-input forwards. */
static void test_forward_many_chunks(void **state) {
    (void)state;
    tiny_net t;
    tiny_net_make(&t);
    enum { N = 1300 };
    float *x = malloc(N * 3 * sizeof *x), *z = malloc(N * 2 * sizeof *z);
    assert_non_null(x);
    assert_non_null(z);
    for (size_t i = 0; i < N; i++)
        memcpy(x + i * 3, tiny_x + (i % 3) * 3, 3 * sizeof *x);
    assert_int_equal(nb_mlp_forward(&t.net, x, N, z, NULL), NB_OK);
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < 2; c++)
            nb_assert_close(z[i * 2 + c], tiny_logits[(i % 3) * 2 + c], 1e-6, 1e-6);
    free(x);
    free(z);
}

static void test_evaluate(void **state) {
    (void)state;
    tiny_net t;
    tiny_net_make(&t);
    float images[9];
    memcpy(images, tiny_x, sizeof images);
    uint8_t labels[3] = {0, 1, 0}; /* argmax is 0, 0, 0: two right */
    nb_dataset ds = {
        .n = 3, .rows = 3, .cols = 1, .dim = 3, .images = images, .labels = labels, .n_classes = 2};
    double loss = -1, acc = -1;
    uint8_t pred[3] = {9, 9, 9};
    assert_int_equal(nb_mlp_evaluate(&t.net, &ds, &loss, &acc, pred), NB_OK);
    nb_assert_close(acc, 2.0 / 3.0, 1e-12, 0);
    double want = (log(1 + exp(4.25 - 8)) + (log(1 + exp(2 - 1.25))) + log(1 + exp(0 - 7))) / 3;
    nb_assert_close(loss, want, 1e-6, 1e-9);
    assert_int_equal(pred[0], 0);
    assert_int_equal(pred[1], 0);
    assert_int_equal(pred[2], 0);
    /* NULL outputs are allowed */
    assert_int_equal(nb_mlp_evaluate(&t.net, &ds, NULL, NULL, NULL), NB_OK);
}

static void test_evaluate_mismatch(void **state) {
    (void)state;
    tiny_net t;
    tiny_net_make(&t);
    float images[8] = {0};
    uint8_t labels[2] = {0, 1};
    nb_dataset ds = {
        .n = 2, .rows = 2, .cols = 2, .dim = 4, .images = images, .labels = labels, .n_classes = 2};
    double loss = 123.0, acc = 456.0;
    nb_error_clear();
    assert_int_equal(nb_mlp_evaluate(&t.net, &ds, &loss, &acc, NULL), NB_E_MISMATCH);
    assert_int_equal(nb_error_status(), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "data set");
    assert_non_null(strstr(nb_error_message(), "4 values"));
    assert_true(loss == 123.0 && acc == 456.0); /* outputs untouched */

    /* a label outside the network's classes */
    ds.rows = 3;
    ds.cols = 1;
    ds.dim = 3;
    labels[1] = 2;
    nb_error_clear();
    assert_int_equal(nb_mlp_evaluate(&t.net, &ds, &loss, &acc, NULL), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "data set");
    assert_non_null(strstr(nb_error_message(), "label 2"));
    assert_true(loss == 123.0 && acc == 456.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_forward_and_gradients),
        cmocka_unit_test(test_softmax_xent_gradient),
        cmocka_unit_test(test_softmax_xent_huge_logits),
        cmocka_unit_test(test_relu),
        cmocka_unit_test(test_chain_gradient_float32),
        cmocka_unit_test(test_forward_by_hand),
        cmocka_unit_test(test_forward_many_chunks),
        cmocka_unit_test(test_evaluate),
        cmocka_unit_test(test_evaluate_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
