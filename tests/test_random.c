/* test_random.c - nb_random: Glorot-uniform bounds and moments, seeded random networks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nb_random.h"

static void test_glorot_uniform_bounds_and_moments(void **state) {
    (void)state;
    enum { OUT = 200, IN = 300 };
    float *w = malloc(OUT * IN * sizeof *w);
    assert_non_null(w);
    nb_rng rng;
    nb_rng_init(&rng, 5);
    nb_random_glorot_uniform(&rng, w, OUT, IN);
    const double a = sqrt(6.0 / (IN + OUT));
    double sum = 0, sum2 = 0, maxabs = 0;
    for (size_t i = 0; i < OUT * IN; i++) {
        assert_true(fabs(w[i]) <= a);
        sum += w[i];
        sum2 += (double)w[i] * w[i];
        maxabs = fmax(maxabs, fabs(w[i]));
    }
    const double n = OUT * IN;
    /* U(-a, a): mean 0, variance a^2 / 3 = 2 / (in + out); 60000 draws */
    assert_true(fabs(sum / n) < 0.01 * a);
    assert_true(fabs(sum2 / n / (a * a / 3.0) - 1.0) < 0.02);
    assert_true(maxabs > 0.99 * a); /* the whole range is used */
    free(w);
}

static void test_random_network(void **state) {
    (void)state;
    const size_t sizes[4] = {784, 81, 49, 10};
    nb_network a, b, c;
    assert_int_equal(nb_random_network_init(&a, 4, sizes, 1), NB_OK);
    assert_int_equal(nb_random_network_init(&b, 4, sizes, 1), NB_OK);
    assert_int_equal(nb_random_network_init(&c, 4, sizes, 2), NB_OK);
    assert_int_equal(a.n_layers, 4);
    assert_int_equal(a.n_classes, 10);
    assert_int_equal(nb_network_n_edges(&a), 784 * 81 + 81 * 49 + 49 * 10);
    const size_t nw = nb_network_n_edges(&a), nb = a.bias_offset[3];
    assert_memory_equal(a.weights, b.weights, nw * sizeof(float));
    assert_memory_equal(a.biases, b.biases, nb * sizeof(float));
    assert_memory_not_equal(a.weights, c.weights, nw * sizeof(float));
    for (size_t l = 0; l < 3; l++) {
        const double lim = sqrt(6.0 / (double)(sizes[l] + sizes[l + 1]));
        const float *w = nb_network_weight(&a, l);
        for (size_t i = 0; i < sizes[l] * sizes[l + 1]; i++)
            assert_true(fabs(w[i]) <= lim);
        const float *bias = nb_network_bias(&a, l);
        int nonzero = 0;
        for (size_t i = 0; i < sizes[l + 1]; i++) {
            assert_true(fabs(bias[i]) <= NB_RANDOM_BIAS_RANGE);
            nonzero += bias[i] != 0.0f;
        }
        assert_true(nonzero > 0);
    }
    assert_string_equal(a.source, "random");
    assert_int_equal(a.seed, 1);
    assert_int_equal(a.epochs, 0);
    assert_true(isnan(a.train_accuracy) && isnan(a.test_accuracy));
    assert_string_equal(a.activation, "relu");

    /* pair 0 does not depend on the later layers' sizes (one stream per pair) */
    const size_t other[3] = {784, 81, 3};
    nb_network d;
    assert_int_equal(nb_random_network_init(&d, 3, other, 1), NB_OK);
    assert_memory_equal(a.weights, d.weights, 784 * 81 * sizeof(float));
    nb_network_deinit(&a);
    nb_network_deinit(&b);
    nb_network_deinit(&c);
    nb_network_deinit(&d);
}

static void test_random_network_invalid(void **state) {
    (void)state;
    const size_t sizes[3] = {4, 0, 2};
    nb_network net;
    memset(&net, 0xAB, sizeof net);
    nb_error_clear();
    assert_int_equal(nb_random_network_init(&net, 3, sizes, 1), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "network");
    assert_null(net.weights);
    assert_int_equal(nb_random_network_init(&net, 1, sizes, 1), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "network");
    assert_null(net.weights);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glorot_uniform_bounds_and_moments),
        cmocka_unit_test(test_random_network),
        cmocka_unit_test(test_random_network_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
