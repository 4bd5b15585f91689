/* test_layout.c - node positions of method.md §3 and the density grids of method.md §4.2. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nb_layout.h"

static const nb_layout_desc defaults = {1.0, 0.5, 15.0};

#define NEAR(a, b) assert_true(fabs((double)(a) - (double)(b)) < 1e-6)

static void test_mnist_layout(void **state) {
    (void)state;
    const size_t sizes[4] = {784, 81, 49, 10};
    static float pos[924 * 3];
    assert_int_equal(nb_layout_nodes(&defaults, 4, sizes, pos), NB_OK);
    /* z planes d = 0.5: -0.75, -0.25, 0.25, 0.75 */
    NEAR(pos[2], -0.75);
    NEAR(pos[3 * 784 + 2], -0.25);
    NEAR(pos[3 * (784 + 81) + 2], 0.25);
    NEAR(pos[3 * 923 + 2], 0.75);
    /* input: s = 28, spacing 1/28, node 0 at (-13.5/28, -13.5/28), node 28*2+5 at col 5 row 2 */
    NEAR(pos[0], -13.5 / 28.0);
    NEAR(pos[1], -13.5 / 28.0);
    NEAR(pos[3 * 61 + 0], (5 - 13.5) / 28.0);
    NEAR(pos[3 * 61 + 1], (2 - 13.5) / 28.0);
    NEAR(pos[3 * 783 + 0], 13.5 / 28.0);
    /* 81 -> s = 9: |x| <= 4/9 */
    NEAR(pos[3 * 784 + 0], -4.0 / 9.0);
    NEAR(pos[3 * (784 + 80) + 1], 4.0 / 9.0);
    /* 10 outputs: 4 columns at -0.375, -0.125, 0.125, 0.375; rows y = -0.375, -0.125, 0.125 */
    const float *out = pos + 3 * 914;
    const double xs[4] = {-0.375, -0.125, 0.125, 0.375};
    const double ys[3] = {-0.375, -0.125, 0.125};
    for (size_t i = 0; i < 10; i++) {
        NEAR(out[3 * i + 0], xs[i % 4]);
        NEAR(out[3 * i + 1], ys[i / 4]);
    }
}

static void test_single_node_and_distance(void **state) {
    (void)state;
    const size_t sizes[3] = {1, 4, 1};
    const nb_layout_desc d4 = {2.0, 0.4, 15.0};
    float pos[6 * 3];
    assert_int_equal(nb_layout_nodes(&d4, 3, sizes, pos), NB_OK);
    NEAR(pos[0], 0.0);
    NEAR(pos[1], 0.0);
    NEAR(pos[2], -0.4);
    NEAR(pos[3 * 5 + 0], 0.0);
    NEAR(pos[3 * 5 + 2], 0.4);
    /* 4 nodes, W = 2: s = 2, spacing 1: x = -0.5, 0.5 */
    NEAR(pos[3 * 1 + 0], -0.5);
    NEAR(pos[3 * 2 + 0], 0.5);
    NEAR(pos[3 * 3 + 1], 0.5);
    NEAR(pos[3 * 1 + 2], 0.0);
}

static void test_mirror_columns_are_exact(void **state) {
    (void)state;
    const size_t sizes[2] = {49, 36};
    float pos[85 * 3];
    assert_int_equal(nb_layout_nodes(&defaults, 2, sizes, pos), NB_OK);
    for (size_t i = 0; i < 49; i++) {
        size_t m = (i / 7) * 7 + (6 - i % 7);
        assert_true(pos[3 * i] == -pos[3 * m]);
        assert_true(pos[3 * i + 1] == pos[3 * m + 1]);
    }
    for (size_t i = 0; i < 36; i++) {
        size_t m = (i / 6) * 6 + (5 - i % 6);
        assert_true(pos[3 * (49 + i)] == -pos[3 * (49 + m)]);
    }
}

static void test_grids(void **state) {
    (void)state;
    nb_grid g;
    assert_int_equal(nb_layout_node_grid(&defaults, 4, &g), NB_OK);
    NEAR(g.cell, 1.0 / 45.0);
    NEAR(g.origin[0], -1.5);
    NEAR(g.origin[1], -1.5);
    assert_int_equal(g.n[0], 136);
    assert_int_equal(g.n[1], 136);
    assert_int_equal(g.n[2], 1);
    /* d = 0.5: 136 x 136 x 113 = 2 090 048 cells (the reference GUI's figure) */
    assert_int_equal(nb_layout_pair_grid(&defaults, 4, 0, &g), NB_OK);
    assert_int_equal(g.n[0] * g.n[1] * g.n[2], 2090048);
    NEAR(g.origin[2], -1.75);
    assert_int_equal(nb_layout_pair_grid(&defaults, 4, 2, &g), NB_OK);
    NEAR(g.origin[2], 0.25 - 1.0);
    /* d = 0.4: 136 x 136 x 108 */
    const nb_layout_desc d4 = {1.0, 0.4, 15.0};
    assert_int_equal(nb_layout_pair_grid(&d4, 4, 1, &g), NB_OK);
    assert_int_equal(g.n[2], 108);
    NEAR(g.origin[2], -0.2 - 1.0);
    NEAR(nb_layout_sample_spacing(&defaults), 1.0 / 15.0);
    NEAR(nb_layout_cell(&defaults), 1.0 / 45.0);
}

static void test_errors(void **state) {
    (void)state;
    const size_t sizes[2] = {4, 4};
    float pos[8 * 3];
    for (size_t i = 0; i < 24; i++)
        pos[i] = 7.0f;
    nb_layout_desc bad = defaults;
    bad.layer_width = 0.0;
    assert_int_equal(nb_layout_nodes(&bad, 2, sizes, pos), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "layer_width");
    bad = defaults;
    bad.layer_distance = -0.5;
    assert_int_equal(nb_layout_nodes(&bad, 2, sizes, pos), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "layer_distance");
    bad = defaults;
    bad.sampling_rate = 0.0;
    assert_int_equal(nb_layout_nodes(&bad, 2, sizes, pos), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "sampling_rate");
    bad.sampling_rate = NAN;
    assert_int_equal(nb_layout_validate(&bad), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "sampling_rate");
    bad.sampling_rate = 1e9;
    assert_int_equal(nb_layout_validate(&bad), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "sampling_rate");
    const size_t zero[2] = {4, 0};
    assert_int_equal(nb_layout_nodes(&defaults, 2, zero, pos), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "layer_size");
    assert_int_equal(nb_layout_nodes(&defaults, 0, sizes, pos), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "layer_size");
    for (size_t i = 0; i < 24; i++)
        assert_true(pos[i] == 7.0f); /* untouched on failure */
    nb_grid g;
    assert_int_equal(nb_layout_pair_grid(&defaults, 4, 3, &g), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "layer pair");
    bad = defaults;
    bad.layer_width = INFINITY;
    assert_int_equal(nb_layout_node_grid(&bad, 4, &g), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "layer_width");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mnist_layout),
        cmocka_unit_test(test_single_node_and_distance),
        cmocka_unit_test(test_mirror_columns_are_exact),
        cmocka_unit_test(test_grids),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
