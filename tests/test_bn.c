/* test_bn.c - batch norm and the BN-augmented frozen MLP: gradients vs central differences,
 * running statistics, inference mode, the 2-unit one-vs-rest head, init errors. */

#include "nb_bn.h"
#include "nb_rng.h"
#include "nb_test.h"

/* |a - b| <= tol, in double (cmocka's assert_float_equal takes floats). */

/* float32 gradients: |analytic - numeric| <= 1e-2 * max(|numeric|, floor). */
static void assert_grad_close(const float *analytic, const double *numeric, size_t n,
                              double floor) {
    for (size_t k = 0; k < n; k++) {
        double scale = fabs(numeric[k]) > floor ? fabs(numeric[k]) : floor;
        double rel = fabs((double)analytic[k] - numeric[k]) / scale;
        if (rel >= 1e-2)
            fail_msg("gradient %zu: analytic %.6g, numeric %.6g, rel %.3g", k, (double)analytic[k],
                     numeric[k], rel);
    }
}

static void fill_uniform(nb_rng *rng, float *v, size_t n, double lo, double hi) {
    for (size_t k = 0; k < n; k++)
        v[k] = (float)(lo + (hi - lo) * nb_rng_uniform(rng));
}

/* loss = sum r .* y of a training-mode BN forward */
static double bn_loss(const float *x, size_t B, size_t n, const float *g, const float *be,
                      const float *r) {
    float xh[64], is[8], y[64], mu[8], var[8];
    nb_bn_forward_train(x, B, n, g, be, NB_BN_EPS, xh, is, y, mu, var);
    double s = 0.0;
    for (size_t k = 0; k < B * n; k++)
        s += (double)r[k] * y[k];
    return s;
}

static void test_bn_backward_matches_finite_differences(void **state) {
    (void)state;
    enum { B = 7, N = 5 };
    nb_rng rng;
    nb_rng_init(&rng, 11);
    float x[B * N], g[N], be[N], r[B * N];
    fill_uniform(&rng, x, B * N, -1.0, 2.0);
    fill_uniform(&rng, g, N, 0.5, 1.5);
    fill_uniform(&rng, be, N, -0.5, 0.5);
    fill_uniform(&rng, r, B * N, -1.0, 1.0);
    float xh[B * N], is[N], y[B * N], mu[N], var[N];
    nb_bn_forward_train(x, B, N, g, be, NB_BN_EPS, xh, is, y, mu, var);
    float dx[B * N], dg[N], db[N];
    nb_bn_backward(r, xh, is, g, B, N, dx, dg, db);

    const float h = 1e-2f;
    double num[B * N];
    for (size_t k = 0; k < B * N; k++) {
        float keep = x[k];
        x[k] = keep + h;
        double lp = bn_loss(x, B, N, g, be, r);
        x[k] = keep - h;
        double lm = bn_loss(x, B, N, g, be, r);
        x[k] = keep;
        num[k] = (lp - lm) / (2.0 * h);
    }
    assert_grad_close(dx, num, B * N, 1e-1);
    for (size_t i = 0; i < N; i++) {
        float keep = g[i];
        g[i] = keep + h;
        double lp = bn_loss(x, B, N, g, be, r);
        g[i] = keep - h;
        double lm = bn_loss(x, B, N, g, be, r);
        g[i] = keep;
        num[i] = (lp - lm) / (2.0 * h);
    }
    assert_grad_close(dg, num, N, 1e-1);
    for (size_t i = 0; i < N; i++) {
        float keep = be[i];
        be[i] = keep + h;
        double lp = bn_loss(x, B, N, g, be, r);
        be[i] = keep - h;
        double lm = bn_loss(x, B, N, g, be, r);
        be[i] = keep;
        num[i] = (lp - lm) / (2.0 * h);
    }
    assert_grad_close(db, num, N, 1e-1);
    /* dx aliasing dy gives the same result */
    float alias[B * N];
    memcpy(alias, r, sizeof alias);
    nb_bn_backward(alias, xh, is, g, B, N, alias, dg, db);
    for (size_t k = 0; k < B * N; k++)
        nb_assert_near(alias[k], dx[k], 1e-6);
}

static void test_bn_forward_statistics(void **state) {
    (void)state;
    /* 2 features over 4 rows: (0,1,2,3) and a constant 5 */
    float x[8] = {0, 5, 1, 5, 2, 5, 3, 5}, g[2] = {2, 1}, be[2] = {0.5f, -1};
    float xh[8], is[2], y[8], mu[2], var[2];
    nb_bn_forward_train(x, 4, 2, g, be, NB_BN_EPS, xh, is, y, mu, var);
    nb_assert_near(mu[0], 1.5, 1e-6);
    nb_assert_near(var[0], 1.25, 1e-6); /* biased */
    nb_assert_near(mu[1], 5.0, 1e-6);
    nb_assert_near(var[1], 0.0, 1e-6);
    nb_assert_near(y[0], 2.0 * (0 - 1.5) / sqrt(1.25 + 1e-3) + 0.5, 1e-5);
    nb_assert_near(y[1], -1.0, 1e-6); /* constant feature: xhat 0 */
    /* running statistics move by (1 - momentum) */
    float rm[2] = {0, 0}, rv[2] = {1, 1};
    nb_bn_update_running(rm, rv, mu, var, 2, NB_BN_MOMENTUM);
    nb_assert_near(rm[0], 0.01 * 1.5, 1e-6);
    nb_assert_near(rv[0], 0.99 + 0.01 * 1.25, 1e-6);
    float yi[8];
    nb_bn_forward_infer(x, 4, 2, g, be, rm, rv, NB_BN_EPS, yi);
    nb_assert_near(yi[6], 2.0 * (3 - rm[0]) / sqrt(rv[0] + 1e-3) + 0.5, 1e-5);
    nb_bn_forward_infer(x, 4, 2, g, NULL, rm, rv, NB_BN_EPS, yi);
    nb_assert_near(yi[6], 2.0 * (3 - rm[0]) / sqrt(rv[0] + 1e-3), 1e-5);
}

/* A random 6-5-4-3 network. */
static nb_network make_net(uint64_t seed) {
    size_t sizes[4] = {6, 5, 4, 3};
    nb_network net;
    assert_int_equal(nb_network_init(&net, 4, sizes), NB_OK);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    fill_uniform(&rng, net.weights, net.weight_offset[3], -1.0, 1.0);
    fill_uniform(&rng, net.biases, net.bias_offset[3], -0.2, 0.4);
    return net;
}

static void check_net_gradient(bool centering) {
    nb_network net = make_net(5);
    enum { B = 9 };
    nb_bn_net bn;
    assert_int_equal(nb_bn_net_init(&bn, &net, B), NB_OK);
    assert_int_equal(bn.n_params, 6 + 5 + 4);
    nb_bn_net_reset(&bn, 1, 1.0f, centering);
    nb_rng rng;
    nb_rng_init(&rng, 17);
    fill_uniform(&rng, bn.gamma, bn.n_params, 0.5, 1.5);
    if (centering)
        fill_uniform(&rng, bn.beta, bn.n_params, -0.3, 0.3);
    float x[B * 6];
    uint8_t lab[B];
    fill_uniform(&rng, x, B * 6, 0.0, 1.0);
    for (size_t b = 0; b < B; b++)
        lab[b] = (uint8_t)(b % 2);
    const double l1 = 0.01, l2 = 0.02;
    float dg[15], db[15];
    size_t correct = 99;
    double loss = nb_bn_net_loss_grad(&bn, x, lab, B, l1, l2, false, dg, db, &correct);
    assert_true(isfinite(loss));
    assert_true(correct <= B);
    double num[15];
    const float h = 1e-2f;
    for (size_t k = 0; k < bn.n_params; k++) {
        float keep = bn.gamma[k];
        float tmp_g[15], tmp_b[15];
        bn.gamma[k] = keep + h;
        double lp = nb_bn_net_loss_grad(&bn, x, lab, B, l1, l2, false, tmp_g, tmp_b, NULL);
        bn.gamma[k] = keep - h;
        double lm = nb_bn_net_loss_grad(&bn, x, lab, B, l1, l2, false, tmp_g, tmp_b, NULL);
        bn.gamma[k] = keep;
        num[k] = (lp - lm) / (2.0 * h);
    }
    assert_grad_close(dg, num, bn.n_params, 2e-2);
    if (centering) {
        for (size_t k = 0; k < bn.n_params; k++) {
            float keep = bn.beta[k];
            float tmp_g[15], tmp_b[15];
            bn.beta[k] = keep + h;
            double lp = nb_bn_net_loss_grad(&bn, x, lab, B, l1, l2, false, tmp_g, tmp_b, NULL);
            bn.beta[k] = keep - h;
            double lm = nb_bn_net_loss_grad(&bn, x, lab, B, l1, l2, false, tmp_g, tmp_b, NULL);
            bn.beta[k] = keep;
            num[k] = (lp - lm) / (2.0 * h);
        }
        assert_grad_close(db, num, bn.n_params, 2e-2);
    } else {
        for (size_t k = 0; k < bn.n_params; k++)
            nb_assert_near(db[k], 0.0, 0.0);
    }
    /* reading the rows through pointers (in any memory order) gives the same result */
    const float *rows[B];
    float shuffled[B * 6];
    for (size_t b = 0; b < B; b++) {
        memcpy(shuffled + (B - 1 - b) * 6, x + b * 6, 6 * sizeof(float));
        rows[b] = shuffled + (B - 1 - b) * 6;
    }
    float dg2[15], db2[15];
    double loss2 = nb_bn_net_loss_grad_rows(&bn, NULL, rows, lab, B, l1, l2, false, dg2, db2, NULL);
    nb_assert_near(loss2, loss, 0.0);
    assert_memory_equal(dg2, dg, sizeof dg);
    assert_memory_equal(db2, db, sizeof db);
    nb_bn_net_deinit(&bn);
    nb_network_deinit(&net);
}

static void test_net_gradient_matches_finite_differences(void **state) {
    (void)state;
    check_net_gradient(false);
}

static void test_net_gradient_with_centering(void **state) {
    (void)state;
    check_net_gradient(true);
}

static void test_head_and_inference(void **state) {
    (void)state;
    nb_network net = make_net(8);
    nb_bn_net bn;
    assert_int_equal(nb_bn_net_init(&bn, &net, 4), NB_OK);
    nb_bn_net_reset(&bn, 2, 1.0f, false);
    /* head: unit 0 = row 2 of the output layer, unit 1 = rows 0 + 1 */
    const float *w = nb_network_weight(&net, 2), *b = nb_network_bias(&net, 2);
    for (size_t i = 0; i < 4; i++) {
        nb_assert_near(bn.head_w[i], w[2 * 4 + i], 0.0);
        nb_assert_near(bn.head_w[4 + i], w[0 * 4 + i] + w[1 * 4 + i], 1e-6);
    }
    nb_assert_near(bn.head_b[0], b[2], 0.0);
    nb_assert_near(bn.head_b[1], b[0] + b[1], 1e-6);
    /* fresh running stats (0, 1) and gamma 1: the BN only scales by 1/sqrt(1 + eps) */
    float x[6] = {0.1f, 0.9f, 0.3f, 0.0f, 0.5f, 0.7f}, logits[2];
    nb_bn_net_predict(&bn, x, 1, logits);
    const float s = 1.0f / sqrtf(1.0f + NB_BN_EPS);
    float h1[5], h2[4];
    for (size_t j = 0; j < 5; j++) {
        double a = nb_network_bias(&net, 0)[j];
        for (size_t i = 0; i < 6; i++)
            a += (double)nb_network_weight(&net, 0)[j * 6 + i] * s * x[i];
        h1[j] = a > 0 ? (float)a : 0.0f;
    }
    for (size_t j = 0; j < 4; j++) {
        double a = nb_network_bias(&net, 1)[j];
        for (size_t i = 0; i < 5; i++)
            a += (double)nb_network_weight(&net, 1)[j * 5 + i] * s * h1[i];
        h2[j] = a > 0 ? (float)a : 0.0f;
    }
    for (size_t u = 0; u < 2; u++) {
        double a = bn.head_b[u];
        for (size_t i = 0; i < 4; i++)
            a += (double)bn.head_w[u * 4 + i] * s * h2[i];
        nb_assert_near(logits[u], a, 1e-5);
    }
    /* training with update_running moves the running statistics; gamma 0 zeroes the BN */
    float xb[4 * 6], dg[15];
    uint8_t lab[4] = {0, 1, 0, 1};
    nb_rng rng;
    nb_rng_init(&rng, 3);
    fill_uniform(&rng, xb, 24, 0.0, 1.0);
    nb_bn_net_loss_grad(&bn, xb, lab, 4, 0.0, 0.0, true, dg, NULL, NULL);
    assert_true(bn.run_mean[0] != 0.0f);
    assert_true(bn.run_var[0] != 1.0f);
    nb_bn_net_reset(&bn, 0, 0.0f, false);
    nb_assert_near(bn.run_mean[0], 0.0, 0.0);
    nb_bn_net_predict(&bn, x, 1, logits);
    /* every hidden layer is relu(bias) then zeroed by gamma 0: logits = head bias */
    nb_assert_near(logits[0], bn.head_b[0], 1e-6);
    nb_assert_near(logits[1], bn.head_b[1], 1e-6);
    nb_bn_net_deinit(&bn);
    nb_network_deinit(&net);
}

static void test_init_errors(void **state) {
    (void)state;
    size_t sizes[2] = {3, 1};
    nb_network net;
    assert_int_equal(nb_network_init(&net, 2, sizes), NB_OK);
    nb_bn_net bn;
    nb_error_clear();
    assert_int_equal(nb_bn_net_init(&bn, &net, 8), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "bn network");
    assert_null(bn.gamma);
    nb_network_deinit(&net);
    nb_network net2 = make_net(1);
    nb_error_clear();
    assert_int_equal(nb_bn_net_init(&bn, &net2, 0), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "bn network");
    nb_bn_net_deinit(&bn); /* zeroed: no-op */
    nb_network_deinit(&net2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bn_backward_matches_finite_differences),
        cmocka_unit_test(test_bn_forward_statistics),
        cmocka_unit_test(test_net_gradient_matches_finite_differences),
        cmocka_unit_test(test_net_gradient_with_centering),
        cmocka_unit_test(test_head_and_inference),
        cmocka_unit_test(test_init_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
