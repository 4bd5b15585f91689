/* test_status.c - status names, the error record, and the shared edge-importance formulas. */
#include "nb_edge_importance.h"
#include "nb_rng.h"
#include "nb_status.h"
#include "nb_test.h"

static void test_names(void **state) {
    (void)state;
    assert_string_equal(nb_status_name(NB_OK), "NB_OK");
    assert_string_equal(nb_status_name(NB_E_FORMAT), "NB_E_FORMAT");
    assert_string_equal(nb_status_name((nb_status)999), "NB_E_UNKNOWN");
    assert_string_equal(nb_status_str(NB_E_CONFIG), "invalid configuration");
}

static nb_status fail_with_shape(const char *path) {
    return NB_RAISE(NB_E_FORMAT, path, "shape %dx%d, expected %dx%d", 81, 784, 49, 81);
}

static void test_raise_formats_subject_and_reason(void **state) {
    (void)state;
    nb_error_clear();
    assert_int_equal(nb_error_status(), NB_OK);
    nb_status s = fail_with_shape("model.nnb.h5 /network/dense_1/weight");
    nb_expect_error(s, NB_E_FORMAT, "model.nnb.h5 /network/dense_1/weight", "shape 81x784");
    assert_int_equal(nb_error_status(), NB_E_FORMAT);
    assert_string_equal(nb_error_reason(), "shape 81x784, expected 49x81");
    assert_string_equal(nb_error_message(), "[model.nnb.h5 /network/dense_1/weight] shape "
                                            "81x784, expected 49x81 (NB_E_FORMAT)");
    assert_non_null(strstr(nb_error_origin(), "test_status.c:"));
    /* a re-raise of the reason under another subject (nb_error_reason) */
    s = NB_RAISE(NB_E_CONFIG, nb_error_subject(), "again: %s", nb_error_reason());
    assert_string_equal(nb_error_message(), "[model.nnb.h5 /network/dense_1/weight] again: shape "
                                            "81x784, expected 49x81 (NB_E_CONFIG)");
    nb_error_clear();
    assert_string_equal(nb_error_message(), "");
    assert_string_equal(nb_error_reason(), "");
}

/* A subject longer than fits (a deep path) loses its middle, never the reason after it. */
static void test_long_subject_keeps_reason(void **state) {
    (void)state;
    char path[3001];
    memset(path, 'p', 3000);
    memcpy(path, "/head/", 6);
    memcpy(path + 2990, "/tail.h5", 9);
    assert_int_equal(NB_RAISE(NB_E_IO, path, "write failed: %s", "No space left on device"),
                     NB_E_IO);
    const char *m = nb_error_message();
    assert_non_null(strstr(m, "[/head/"));
    assert_non_null(strstr(m, "/tail.h5] write failed: No space left on device (NB_E_IO)"));
    assert_non_null(strstr(m, "..."));
    assert_true(strlen(m) < 600);
}

static void test_edge_importance_types(void **state) {
    (void)state;
    const float s[3] = {3.0f, 4.0f, 0.0f}; /* norm 5 */
    const float e[3] = {0.0f, 0.0f, 2.0f}; /* norm 2 */
    nb_node_stats ss = nb_node_stats_of(s, 3), es = nb_node_stats_of(e, 3);
    nb_assert_near(ss.norm, 5.0f, 1e-6f);
    nb_assert_near(ss.mean, 7.0f / 3.0f, 1e-6f);
    float q[3], iota;
    nb_edge_importance_eval(0, 0.25f, 3, s, ss, e, es, 0.5f, q, &iota);
    nb_assert_near(q[0], 0.75f * 0.6f, 1e-6f);
    nb_assert_near(q[1], 0.75f * 0.8f, 1e-6f);
    nb_assert_near(q[2], 0.25f * 1.0f, 1e-6f);
    nb_assert_near(iota, (0.75f * 5.0f + 0.25f * 2.0f) * 0.5f, 1e-6f);
    nb_edge_importance_eval(1, 0.9f, 3, s, ss, e, es, 1.0f, q, &iota);
    nb_assert_near(q[0], 0.6f, 1e-6f);
    nb_assert_near(q[2], 0.0f, 1e-6f);
    nb_assert_near(iota, 5.0f, 1e-6f);
    nb_edge_importance_eval(2, 0.5f, 3, s, ss, e, es, 1.0f, q, &iota);
    nb_assert_near(q[0], 3.0f / 7.0f, 1e-6f);
    nb_assert_near(q[2], 2.0f / 7.0f, 1e-6f);
    nb_assert_near(iota, 3.5f, 1e-6f);
    nb_edge_importance_eval(3, 0.1f, 3, s, ss, e, es, 1.0f, q, &iota);
    nb_assert_near(q[2], 1.0f, 1e-6f);
    nb_assert_near(iota, 2.0f, 1e-6f);
    /* a zero-importance node never yields NaN */
    const float z[3] = {0, 0, 0};
    nb_node_stats zs = nb_node_stats_of(z, 3);
    for (int type = 0; type < 4; type++) {
        nb_edge_importance_eval(type, 0.5f, 3, z, zs, z, zs, 1.0f, q, &iota);
        for (int c = 0; c < 3; c++)
            assert_false(isnan(q[c]));
        assert_false(isnan(iota));
    }
}

static void test_rng_is_seeded_and_uniform(void **state) {
    (void)state;
    nb_rng a, b, c;
    nb_rng_init(&a, 42);
    nb_rng_init(&b, 42);
    nb_rng_init_stream(&c, 42, 1);
    int same_stream = 1;
    for (int i = 0; i < 100; i++) {
        uint64_t x = nb_rng_next(&a), y = nb_rng_next(&b), z = nb_rng_next(&c);
        assert_true(x == y);
        same_stream &= (x == z);
    }
    assert_false(same_stream);
    double sum = 0;
    uint64_t counts[5] = {0};
    for (int i = 0; i < 100000; i++) {
        double u = nb_rng_uniform(&a);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        counts[nb_rng_below(&a, 5)]++;
    }
    assert_true(fabs(sum / 100000.0 - 0.5) < 0.01);
    for (int k = 0; k < 5; k++)
        assert_in_range(counts[k], 19000, 21000);
    uint32_t perm[50];
    for (uint32_t i = 0; i < 50; i++)
        perm[i] = i;
    nb_rng_shuffle_u32(&a, perm, 50);
    uint64_t seen = 0;
    for (int i = 0; i < 50; i++)
        seen |= 1ull << perm[i];
    assert_true(seen == (1ull << 50) - 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_raise_formats_subject_and_reason),
        cmocka_unit_test(test_long_subject_keeps_reason),
        cmocka_unit_test(test_edge_importance_types),
        cmocka_unit_test(test_rng_is_seeded_and_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
