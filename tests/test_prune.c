/* test_prune.c - pruning scores of every kind, exact-count masks with ties, bad inputs. */

#include "nb_config.h"
#include "nb_prune.h"
#include "nb_rng.h"
#include "nb_test.h"

static void test_mask_small_with_ties(void **state) {
    (void)state;
    /* edge:            0    1    2    3    4    5    6    7    8    9 */
    float scores[10] = {0.5f, 0.1f, 0.3f, 0.1f, 0.9f, 0.3f, 0.3f, 0.7f, 0.2f, 0.3f};
    uint8_t keep[10];
    size_t n = 99;
    /* round(0.35 * 10) = 4 (3.5 rounds up): 1, 3 (0.1), 8 (0.2), then the lowest-index 0.3: 2 */
    assert_int_equal(nb_prune_mask(scores, 10, 0.35, keep, &n), NB_OK);
    assert_int_equal(n, 4);
    const uint8_t want[10] = {1, 0, 0, 0, 1, 1, 1, 1, 0, 1};
    assert_memory_equal(keep, want, 10);
    /* 0.05 * 10 = 0.5 rounds to 1 */
    assert_int_equal(nb_prune_mask(scores, 10, 0.05, keep, &n), NB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(keep[1], 0);
    assert_int_equal(keep[3], 1);
    /* 0 keeps all, 1 prunes all */
    assert_int_equal(nb_prune_mask(scores, 10, 0.0, keep, &n), NB_OK);
    assert_int_equal(n, 0);
    for (size_t e = 0; e < 10; e++)
        assert_int_equal(keep[e], 1);
    assert_int_equal(nb_prune_mask(scores, 10, 1.0, keep, NULL), NB_OK);
    for (size_t e = 0; e < 10; e++)
        assert_int_equal(keep[e], 0);
    /* all scores equal: the lowest indices go first */
    float flat[10];
    for (size_t e = 0; e < 10; e++)
        flat[e] = 0.25f;
    assert_int_equal(nb_prune_mask(flat, 10, 0.3, keep, &n), NB_OK);
    assert_int_equal(n, 3);
    for (size_t e = 0; e < 10; e++)
        assert_int_equal(keep[e], e >= 3);
    /* no edges at all */
    assert_int_equal(nb_prune_mask(flat, 0, 0.5, keep, &n), NB_OK);
    assert_int_equal(n, 0);
}

static void test_mask_exact_count_many_ties(void **state) {
    (void)state;
    enum { E = 1001 };
    float scores[E];
    uint8_t keep[E];
    nb_rng rng;
    nb_rng_init(&rng, 4);
    for (size_t e = 0; e < E; e++)
        scores[e] = (float)nb_rng_below(&rng, 5) * 0.25f; /* 5 levels: many ties */
    for (int step = 0; step <= 20; step++) {
        double p = step / 20.0;
        size_t n = 0;
        assert_int_equal(nb_prune_mask(scores, E, p, keep, &n), NB_OK);
        size_t want = (size_t)llround(p * E), count = 0;
        assert_int_equal(n, want);
        float max_pruned = -INFINITY, min_kept = INFINITY;
        for (size_t e = 0; e < E; e++) {
            if (!keep[e]) {
                count++;
                max_pruned = fmaxf(max_pruned, scores[e]);
            } else {
                min_kept = fminf(min_kept, scores[e]);
            }
        }
        assert_int_equal(count, want);
        assert_true(max_pruned <= min_kept);
        /* at the threshold score, every pruned edge has a lower index than every kept one */
        if (count > 0 && count < E && max_pruned == min_kept) {
            size_t last_pruned = 0, first_kept = E;
            for (size_t e = 0; e < E; e++) {
                if (scores[e] != max_pruned)
                    continue;
                if (!keep[e])
                    last_pruned = e;
                else if (first_kept == E)
                    first_kept = e;
            }
            assert_true(last_pruned < first_kept);
        }
    }
}

/* A 3-2-2 importance with chosen values. */
static nb_importance make_importance(void) {
    size_t sizes[3] = {3, 2, 2};
    nb_importance imp;
    assert_int_equal(nb_importance_init(&imp, 3, sizes, 0), NB_OK);
    /* layer 0 node importance [3][2] */
    const float n0[6] = {0.2f, 0.4f, 1.0f, 0.0f, 0.5f, 0.5f};
    memcpy(nb_importance_node(&imp, 0), n0, sizeof n0);
    const float n1[4] = {0.8f, 0.2f, 0.1f, 0.9f};
    memcpy(nb_importance_node(&imp, 1), n1, sizeof n1);
    const float n2[4] = {1, 0, 0, 1};
    memcpy(nb_importance_node(&imp, 2), n2, sizeof n2);
    /* pair 0 alpha [2 out][3 in], pair 1 [2][2] */
    const float a0[6] = {1.0f, 0.5f, 0.25f, 0.1f, 0.2f, 0.3f};
    memcpy(nb_importance_edge(&imp, 0), a0, sizeof a0);
    const float a1[4] = {0.6f, 1.0f, 0.4f, 0.8f};
    memcpy(nb_importance_edge(&imp, 1), a1, sizeof a1);
    return imp;
}

static void test_scores_each_kind(void **state) {
    (void)state;
    nb_importance imp = make_importance();
    enum { E = 10 };
    float s[E];
    /* mean importance of the source nodes: layer 0: 0.3, 0.5, 0.5; layer 1: 0.5, 0.5 */
    const float mean_src[E] = {0.3f, 0.5f, 0.5f, 0.3f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    const float alpha[E] = {1.0f, 0.5f, 0.25f, 0.1f, 0.2f, 0.3f, 0.6f, 1.0f, 0.4f, 0.8f};
    assert_int_equal(nb_prune_scores(&imp, NB_PRUNE_ALPHA, -1, s), NB_OK);
    for (size_t e = 0; e < E; e++)
        nb_assert_near(s[e], alpha[e], 1e-7);
    assert_int_equal(nb_prune_scores(&imp, NB_PRUNE_MEAN_GAMMA, -1, s), NB_OK);
    for (size_t e = 0; e < E; e++)
        nb_assert_near(s[e], mean_src[e], 1e-7);
    assert_int_equal(nb_prune_scores(&imp, NB_PRUNE_ALPHA_MEAN_GAMMA, -1, s), NB_OK);
    for (size_t e = 0; e < E; e++)
        nb_assert_near(s[e], alpha[e] * mean_src[e], 1e-7);
    /* class 1 only: layer 0 sources 0.4, 0.0, 0.5; layer 1 sources 0.2, 0.9 */
    const float cls1[E] = {0.4f, 0.0f, 0.5f, 0.4f, 0.0f, 0.5f, 0.2f, 0.9f, 0.2f, 0.9f};
    assert_int_equal(nb_prune_scores(&imp, NB_PRUNE_ALPHA_MEAN_GAMMA, 1, s), NB_OK);
    for (size_t e = 0; e < E; e++)
        nb_assert_near(s[e], alpha[e] * cls1[e], 1e-7);
    assert_int_equal(nb_prune_scores(&imp, NB_PRUNE_MEAN_GAMMA, 1, s), NB_OK);
    for (size_t e = 0; e < E; e++)
        nb_assert_near(s[e], cls1[e], 1e-7);
    nb_importance_deinit(&imp);
}

static void test_bad_inputs(void **state) {
    (void)state;
    nb_importance imp = make_importance();
    float s[10];
    for (size_t e = 0; e < 10; e++)
        s[e] = -7.0f;
    nb_error_clear();
    assert_int_equal(nb_prune_scores(&imp, NB_PRUNE_ALPHA, 2, s), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "prune class");
    assert_int_equal(nb_prune_scores(&imp, NB_PRUNE_ALPHA, -2, s), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "prune class");
    nb_error_clear();
    assert_int_equal(nb_prune_scores(&imp, (nb_prune_score)7, -1, s), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "prune score");
    nb_assert_near(s[0], -7.0, 0.0); /* untouched */
    nb_importance_deinit(&imp);

    float scores[4] = {0.1f, 0.2f, 0.3f, 0.4f};
    uint8_t keep[4] = {7, 7, 7, 7};
    size_t n = 99;
    const double bad[3] = {-0.01, 1.01, NAN};
    for (size_t k = 0; k < 3; k++) {
        nb_error_clear();
        assert_int_equal(nb_prune_mask(scores, 4, bad[k], keep, &n), NB_E_INVALID);
        assert_string_equal(nb_error_subject(), "prune fraction");
    }
    scores[2] = NAN;
    nb_error_clear();
    assert_int_equal(nb_prune_mask(scores, 4, 0.5, keep, &n), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "prune scores");
    for (size_t e = 0; e < 4; e++)
        assert_int_equal(keep[e], 7); /* untouched */
    assert_int_equal(n, 99);
}

/* The processing config limits prune_percentage to [0, 1) (bundling must keep edges), while
 * nb_prune_mask accepts 1 (evaluation prunes 100 %). */
static void test_config_rejects_full_pruning(void **state) {
    (void)state;
    nb_processing_config cfg;
    nb_config_defaults(&nb_processing_schema, &cfg);
    assert_int_equal(nb_config_set(&nb_processing_schema, "prune_percentage=0.99", &cfg), NB_OK);
    nb_error_clear();
    assert_int_equal(nb_config_set(&nb_processing_schema, "prune_percentage=1", &cfg), NB_E_CONFIG);
    nb_assert_near(cfg.prune_percentage, 0.99, 1e-12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask_small_with_ties),
        cmocka_unit_test(test_mask_exact_count_many_ties),
        cmocka_unit_test(test_scores_each_kind),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_config_rejects_full_pruning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
