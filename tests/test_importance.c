/* test_importance.c - importance strategies: bn-gamma on a hand-built network whose answer is
 * known, determinism over thread counts, magnitude, random (§2.7), global-max alpha, top-k
 * activating inputs, progress/cancellation, and every bad-input error. */
#include <omp.h>

#include <hdf5.h>

#include "cli.h"
#include "nb_h5.h"
#include "nb_importance.h"
#include "nb_log.h"
#include "nb_mlp.h"
#include "nb_rng.h"
#include "nb_test.h"

enum { C = 4 };

/* Class k images: pixel k = 1, every pixel plus uniform noise in [0, 0.1). Classes cycle, so
 * each class has n / C images. dim = C unless extra pixels are asked for. */
static nb_dataset make_data(size_t n, size_t dim, uint64_t seed) {
    nb_dataset ds = {0};
    ds.n = n;
    ds.rows = 1;
    ds.cols = dim;
    ds.dim = dim;
    ds.images = calloc(n * dim, sizeof(float));
    ds.labels = calloc(n, 1);
    ds.n_classes = C;
    assert_non_null(ds.images);
    assert_non_null(ds.labels);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    for (size_t k = 0; k < n; k++) {
        size_t c = k % C;
        ds.labels[k] = (uint8_t)c;
        for (size_t i = 0; i < dim; i++)
            ds.images[k * dim + i] = (float)(0.1 * nb_rng_uniform(&rng)) + (i == c ? 1.0f : 0.0f);
    }
    return ds;
}

static void free_data(nb_dataset *ds) {
    free(ds->images);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

/* 4-4-4: hidden node j = relu(pixel j), wired only to output class j (weight 4). */
static nb_network make_wired_net(void) {
    size_t sizes[3] = {C, C, C};
    nb_network net;
    assert_int_equal(nb_network_init(&net, 3, sizes), NB_OK);
    float *w0 = nb_network_weight(&net, 0), *w1 = nb_network_weight(&net, 1);
    for (size_t j = 0; j < C; j++) {
        w0[j * C + j] = 1.0f;
        w1[j * C + j] = 4.0f;
    }
    return net;
}

static nb_processing_config tiny_config(void) {
    nb_processing_config cfg;
    nb_config_defaults(&nb_processing_schema, &cfg);
    cfg.importance_method = NB_IMPORTANCE_BN_GAMMA; /* the tests of the thesis' method */
    cfg.importance_epochs = 60;
    cfg.importance_learning_rate = 0.01;
    cfg.importance_batch_size = 128;
    cfg.importance_top_k = 3;
    cfg.seed = 7;
    return cfg;
}

/* nb_importance_compute with the settings of cfg (the way the CLI and the GUI call it). */
static nb_status compute_cfg(const nb_processing_config *cfg, const nb_network *net,
                             const nb_dataset *train, const nb_dataset *test,
                             nb_importance_progress_fn progress, void *user, nb_importance *out) {
    nb_importance_settings settings;
    memset(out, 0, sizeof *out);
    NB_TRY(nb_importance_settings_from_config(cfg, &settings));
    return nb_importance_compute(&settings, net, train, test, progress, user, out);
}

static void test_wired_node_important_for_its_class_only(void **state) {
    (void)state;
    nb_network net = make_wired_net();
    nb_dataset train = make_data(1024, C, 1), test = make_data(256, C, 2);
    nb_processing_config cfg = tiny_config();
    nb_importance imp;
    assert_int_equal(compute_cfg(&cfg, &net, &train, &test, NULL, NULL, &imp), NB_OK);
    assert_string_equal(imp.method, "bn-gamma");
    assert_string_equal(imp.flags, "gamma,l1");
    assert_int_equal(imp.epochs, 60);
    const float *hidden = nb_importance_node(&imp, 1);
    /* hidden node 0 feeds only class 0 */
    assert_true(hidden[0 * C + 0] > 0.85f);
    for (size_t c = 1; c < C; c++)
        assert_true(hidden[0 * C + c] < 0.05f);
    /* and by symmetry every hidden node j for its own class j */
    for (size_t j = 0; j < C; j++)
        for (size_t c = 0; c < C; c++) {
            if (c == j)
                assert_true(hidden[j * C + c] > 0.85f);
            else
                assert_true(hidden[j * C + c] < 0.05f);
        }
    /* every layer's importance is in [0, 1] with a maximum of exactly 1 */
    for (size_t l = 0; l + 1 < 3; l++) {
        const float *node = nb_importance_node(&imp, l);
        float max = 0.0f;
        for (size_t k = 0; k < C * C; k++) {
            assert_true(node[k] >= 0.0f && node[k] <= 1.0f);
            max = fmaxf(max, node[k]);
        }
        nb_assert_near(max, 1.0, 1e-6);
    }
    /* output layer one-hot */
    const float *out = nb_importance_node(&imp, 2);
    for (size_t i = 0; i < C; i++)
        for (size_t c = 0; c < C; c++)
            nb_assert_near(out[i * C + c], i == c ? 1.0 : 0.0, 0.0);
    /* the data are separable and no positive appears among the negatives, so every
     * fine-tuned one-vs-rest model classifies its test split perfectly */
    for (size_t c = 0; c < C; c++)
        nb_assert_near(imp.finetune_accuracy[c], 1.0, 1e-12);
    nb_importance_deinit(&imp);
    free_data(&train);
    free_data(&test);
    nb_network_deinit(&net);
}

static void test_same_result_with_one_and_two_threads(void **state) {
    (void)state;
    size_t sizes[3] = {6, 5, C};
    nb_network net;
    assert_int_equal(nb_network_init(&net, 3, sizes), NB_OK);
    nb_rng rng;
    nb_rng_init(&rng, 3);
    for (size_t k = 0; k < net.weight_offset[2]; k++)
        net.weights[k] = (float)(nb_rng_uniform(&rng) * 2.0 - 1.0);
    nb_dataset train = make_data(400, 6, 5), test = make_data(120, 6, 6);
    nb_processing_config cfg = tiny_config();
    cfg.importance_epochs = 5;
    cfg.importance_batch_size = 32;
    snprintf(cfg.importance_flags, sizeof cfg.importance_flags, "gamma,l1,l2,centering");
    int saved = omp_get_max_threads();
    nb_importance a, b;
    omp_set_num_threads(1);
    assert_int_equal(compute_cfg(&cfg, &net, &train, &test, NULL, NULL, &a), NB_OK);
    omp_set_num_threads(2);
    assert_int_equal(compute_cfg(&cfg, &net, &train, &test, NULL, NULL, &b), NB_OK);
    omp_set_num_threads(saved);
    assert_memory_equal(a.node, b.node, a.node_offset[3] * sizeof(float));
    assert_memory_equal(a.edge, b.edge, a.edge_offset[2] * sizeof(float));
    assert_memory_equal(a.finetune_accuracy, b.finetune_accuracy, C * sizeof(double));
    assert_memory_equal(a.top, b.top, a.top_offset[3] * sizeof(int32_t));
    /* another seed gives another result */
    nb_importance d;
    cfg.seed = 8;
    assert_int_equal(compute_cfg(&cfg, &net, &train, &test, NULL, NULL, &d), NB_OK);
    assert_true(memcmp(a.node, d.node, a.node_offset[3] * sizeof(float)) != 0);
    nb_importance_deinit(&a);
    nb_importance_deinit(&b);
    nb_importance_deinit(&d);
    free_data(&train);
    free_data(&test);
    nb_network_deinit(&net);
}

static void test_alpha_uses_global_maximum(void **state) {
    (void)state;
    size_t sizes[3] = {2, 2, 2};
    nb_network net;
    assert_int_equal(nb_network_init(&net, 3, sizes), NB_OK);
    /* pair 0: row 0 max 0.5, row 1 max -2 (the reference's running row max would give row 0
     * the value 1.0) */
    const float w0[4] = {0.5f, -0.25f, 1.0f, -2.0f};
    memcpy(nb_network_weight(&net, 0), w0, sizeof w0);
    nb_importance imp;
    assert_int_equal(nb_importance_init(&imp, 3, sizes, 0), NB_OK);
    nb_importance_fill_alpha(&net, &imp);
    const float want[4] = {0.25f, 0.125f, 0.5f, 1.0f};
    for (size_t k = 0; k < 4; k++)
        nb_assert_near(nb_importance_edge(&imp, 0)[k], want[k], 1e-7);
    /* an all-zero pair gives alpha 0, not NaN */
    for (size_t k = 0; k < 4; k++)
        nb_assert_near(nb_importance_edge(&imp, 1)[k], 0.0, 0.0);
    nb_importance_deinit(&imp);
    nb_network_deinit(&net);
}

static void test_magnitude_strategy(void **state) {
    (void)state;
    nb_network net = make_wired_net();
    nb_network_weight(&net, 1)[1] = -8.0f; /* pair 1 max |w| = 8 */
    nb_processing_config cfg = tiny_config();
    cfg.importance_method = NB_IMPORTANCE_MAGNITUDE;
    nb_importance imp;
    /* no data needed; no test set means no top-k */
    assert_int_equal(compute_cfg(&cfg, &net, NULL, NULL, NULL, NULL, &imp), NB_OK);
    assert_string_equal(imp.method, "magnitude");
    assert_int_equal(imp.top_k, 0);
    for (size_t l = 0; l < 2; l++)
        for (size_t k = 0; k < C * C; k++)
            nb_assert_near(nb_importance_node(&imp, l)[k], 1.0, 0.0);
    for (size_t i = 0; i < C; i++)
        for (size_t c = 0; c < C; c++)
            nb_assert_near(nb_importance_node(&imp, 2)[i * C + c], i == c ? 1.0 : 0.0, 0.0);
    nb_assert_near(nb_importance_edge(&imp, 0)[0], 1.0, 0.0);
    nb_assert_near(nb_importance_edge(&imp, 1)[0], 0.5, 1e-7);
    nb_assert_near(nb_importance_edge(&imp, 1)[1], 1.0, 1e-7);
    for (size_t c = 0; c < C; c++)
        assert_true(isnan(imp.finetune_accuracy[c]));
    nb_importance_deinit(&imp);
    /* with a test set it stores the top-activating images */
    nb_dataset test = make_data(40, C, 9);
    assert_int_equal(compute_cfg(&cfg, &net, NULL, &test, NULL, NULL, &imp), NB_OK);
    assert_int_equal(imp.top_k, 3);
    assert_int_equal(nb_importance_top(&imp, 1)[0] % C, 0); /* a class-0 image for node 0 */
    nb_importance_deinit(&imp);
    free_data(&test);
    nb_network_deinit(&net);
}

static void test_random_importance(void **state) {
    (void)state;
    size_t sizes[3] = {9, 7, 5};
    nb_network net;
    assert_int_equal(nb_network_init(&net, 3, sizes), NB_OK);
    for (size_t k = 0; k < net.weight_offset[2]; k++)
        net.weights[k] = (float)k - 20.0f;
    nb_importance a, b, d;
    assert_int_equal(nb_importance_random(&net, 3, &a), NB_OK);
    assert_int_equal(nb_importance_random(&net, 3, &b), NB_OK);
    assert_int_equal(nb_importance_random(&net, 4, &d), NB_OK);
    assert_string_equal(a.method, "random");
    assert_memory_equal(a.node, b.node, a.node_offset[3] * sizeof(float));
    assert_true(memcmp(a.node, d.node, a.node_offset[3] * sizeof(float)) != 0);
    size_t Cn = 5, hot_count[5] = {0};
    for (size_t l = 0; l < 2; l++) {
        const float *node = nb_importance_node(&a, l);
        for (size_t i = 0; i < sizes[l]; i++) {
            /* one class max(u1,u2), all others the same min(u1,u2)^2 <= the max^2 */
            size_t hot = 0;
            for (size_t c = 1; c < Cn; c++)
                if (node[i * Cn + c] > node[i * Cn + hot])
                    hot = c;
            hot_count[hot]++;
            float hi = node[i * Cn + hot], lo = -1.0f;
            assert_true(hi >= 0.0f && hi < 1.0f);
            for (size_t c = 0; c < Cn; c++) {
                if (c == hot)
                    continue;
                if (lo < 0.0f)
                    lo = node[i * Cn + c];
                nb_assert_near(node[i * Cn + c], lo, 0.0);
            }
            assert_true(lo <= hi * hi + 1e-7f);
        }
    }
    size_t classes_hit = 0;
    for (size_t c = 0; c < Cn; c++)
        classes_hit += hot_count[c] > 0;
    assert_true(classes_hit >= 3); /* 16 draws over 5 classes */
    for (size_t i = 0; i < Cn; i++)
        for (size_t c = 0; c < Cn; c++)
            nb_assert_near(nb_importance_node(&a, 2)[i * Cn + c], i == c ? 1.0 : 0.0, 0.0);
    /* alpha from |w|: pair 0 has weights -20..42, max |w| 42 */
    nb_assert_near(nb_importance_edge(&a, 0)[0], 20.0 / 42.0, 1e-6);
    nb_importance_deinit(&a);
    nb_importance_deinit(&b);
    nb_importance_deinit(&d);
    nb_network_deinit(&net);
}

static void test_top_k_matches_brute_force(void **state) {
    (void)state;
    size_t sizes[4] = {6, 5, 4, C};
    nb_network net;
    assert_int_equal(nb_network_init(&net, 4, sizes), NB_OK);
    nb_rng rng;
    nb_rng_init(&rng, 21);
    for (size_t k = 0; k < net.weight_offset[3]; k++)
        net.weights[k] = (float)(nb_rng_uniform(&rng) * 2.0 - 1.0);
    /* hidden node 4 of layer 1 is always 0: all ties, so the first images in order */
    for (size_t i = 0; i < 6; i++)
        nb_network_weight(&net, 0)[4 * 6 + i] = 0.0f;
    nb_dataset test = make_data(50, 6, 4);
    nb_processing_config cfg = tiny_config();
    cfg.importance_method = NB_IMPORTANCE_MAGNITUDE;
    cfg.importance_top_k = 7;
    nb_importance imp;
    assert_int_equal(compute_cfg(&cfg, &net, NULL, &test, NULL, NULL, &imp), NB_OK);
    assert_null(nb_importance_top(&imp, 0));
    assert_null(nb_importance_top(&imp, 3));
    size_t width = 6 + 5 + 4 + C;
    float *act = malloc(50 * width * sizeof *act), logits[50 * C];
    assert_int_equal(nb_mlp_forward(&net, test.images, 50, logits, act), NB_OK);
    size_t col = 6;
    for (size_t l = 1; l <= 2; l++) {
        const int32_t *top = nb_importance_top(&imp, l);
        for (size_t i = 0; i < sizes[l]; i++) {
            /* brute force: selection of the 7 largest, ties by lower index */
            bool used[50] = {false};
            for (size_t k = 0; k < 7; k++) {
                size_t best = 50;
                for (size_t r = 0; r < 50; r++) {
                    if (used[r])
                        continue;
                    if (best == 50 || act[r * width + col + i] > act[best * width + col + i])
                        best = r;
                }
                used[best] = true;
                assert_int_equal(top[i * 7 + k], (int32_t)best);
            }
        }
        col += sizes[l];
    }
    const int32_t *dead = nb_importance_top(&imp, 1) + 4 * 7;
    for (size_t k = 0; k < 7; k++)
        assert_int_equal(dead[k], (int32_t)k);
    free(act);
    nb_importance_deinit(&imp);
    /* a test set smaller than top_k leaves -1 */
    nb_dataset small = make_data(3, 6, 4);
    assert_int_equal(compute_cfg(&cfg, &net, NULL, &small, NULL, NULL, &imp), NB_OK);
    const int32_t *t = nb_importance_top(&imp, 2);
    for (size_t k = 3; k < 7; k++)
        assert_int_equal(t[k], -1);
    for (size_t k = 0; k < 3; k++)
        assert_true(t[k] >= 0 && t[k] < 3);
    nb_importance_deinit(&imp);
    free_data(&small);
    free_data(&test);
    nb_network_deinit(&net);
}

typedef struct progress_log {
    size_t calls, last_done, stop_after;
    nb_importance *out;
    bool accuracies_seen;
} progress_log;

static bool on_progress(void *user, size_t done, size_t n) {
    progress_log *p = user;
    assert_int_equal(n, C);
    assert_true(done > p->last_done); /* only called when the count grew */
    p->last_done = done;
    p->calls++;
    size_t known = 0;
    for (size_t c = 0; c < C; c++)
        known += !isnan(p->out->finetune_accuracy[c]);
    if (known == done)
        p->accuracies_seen = true;
    return p->stop_after == 0 || p->calls < p->stop_after;
}

static void test_progress_and_cancel(void **state) {
    (void)state;
    nb_network net = make_wired_net();
    nb_dataset train = make_data(256, C, 1), test = make_data(64, C, 2);
    nb_processing_config cfg = tiny_config();
    cfg.importance_epochs = 3;
    nb_importance imp;
    progress_log log = {0};
    log.out = &imp;
    assert_int_equal(compute_cfg(&cfg, &net, &train, &test, on_progress, &log, &imp), NB_OK);
    assert_int_equal(log.last_done, C);
    assert_true(log.calls >= 1 && log.calls <= C);
    assert_true(log.accuracies_seen);
    nb_importance_deinit(&imp);
    /* returning false cancels */
    progress_log stop = {0};
    stop.out = &imp;
    stop.stop_after = 1;
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    nb_error_clear();
    nb_status s = compute_cfg(&cfg, &net, &train, &test, on_progress, &stop, &imp);
    omp_set_num_threads(saved);
    assert_int_equal(s, NB_E_CANCELLED);
    assert_null(imp.node); /* zeroed on failure */
    free_data(&train);
    free_data(&test);
    nb_network_deinit(&net);
}

static void expect_error(const nb_processing_config *cfg, const nb_network *net,
                         const nb_dataset *train, const nb_dataset *test, nb_status want,
                         const char *subject) {
    nb_importance imp;
    memset(&imp, 0x5a, sizeof imp);
    nb_error_clear();
    nb_expect_error(compute_cfg(cfg, net, train, test, NULL, NULL, &imp), want, subject, NULL);
    assert_null(imp.node);
    assert_null(imp.edge);
}

static void test_bad_inputs(void **state) {
    (void)state;
    nb_network net = make_wired_net();
    nb_dataset train = make_data(64, C, 1), test = make_data(32, C, 2);
    nb_processing_config cfg = tiny_config();
    cfg.importance_epochs = 1;

    /* data missing */
    expect_error(&cfg, &net, NULL, &test, NB_E_MISSING, "train set");
    expect_error(&cfg, &net, &train, NULL, NB_E_MISSING, "test set");
    /* unknown flag */
    nb_processing_config bad = cfg;
    snprintf(bad.importance_flags, sizeof bad.importance_flags, "gamma,l3");
    expect_error(&bad, &net, &train, &test, NB_E_CONFIG, "processing importance_flags");
    /* numeric settings out of range: the key table's check and subject */
    bad = cfg;
    bad.importance_epochs = 5000;
    expect_error(&bad, &net, &train, &test, NB_E_CONFIG, "processing importance_epochs");
    bad = cfg;
    bad.importance_learning_rate = 2.0;
    expect_error(&bad, &net, &train, &test, NB_E_CONFIG, "processing importance_learning_rate");
    bad = cfg;
    bad.importance_l1 = -1.5;
    expect_error(&bad, &net, &train, &test, NB_E_CONFIG, "processing importance_l1");
    /* unknown method value */
    bad = cfg;
    bad.importance_method = 99;
    expect_error(&bad, &net, &train, &test, NB_E_CONFIG, "processing importance_method");
    /* image size does not match the input layer */
    nb_dataset wide = make_data(64, C + 1, 1);
    expect_error(&cfg, &net, &wide, &test, NB_E_MISMATCH, "train set");
    expect_error(&cfg, &net, &train, &wide, NB_E_MISMATCH, "test set");
    free_data(&wide);
    /* class count does not match the output layer: labels 0..4 */
    nb_dataset five = make_data(64, C, 1);
    five.labels[3] = 4;
    five.n_classes = 5;
    expect_error(&cfg, &net, &five, &test, NB_E_MISMATCH, "train set");
    expect_error(&cfg, &net, &train, &five, NB_E_MISMATCH, "test set");
    /* only labels 0..2 */
    for (size_t k = 0; k < five.n; k++)
        five.labels[k] = (uint8_t)(k % 3);
    five.n_classes = 3;
    expect_error(&cfg, &net, &five, &test, NB_E_MISMATCH, "train set");
    /* a class without training images (labels still reach C-1) */
    for (size_t k = 0; k < five.n; k++)
        five.labels[k] = (uint8_t)(k % 2 ? 3 : 0);
    five.n_classes = C;
    expect_error(&cfg, &net, &five, &test, NB_E_MISMATCH, "train set");
    free_data(&five);
    /* fine-tuning that diverges: output weights overflow float32 logits */
    nb_network huge = make_wired_net();
    for (size_t k = 0; k < C * C; k++)
        nb_network_weight(&huge, 1)[k] = 3e38f;
    expect_error(&cfg, &huge, &train, &test, NB_E_NUMERIC, "class 0");
    const char *status_at = strstr(nb_error_message(), "(NB_E_NUMERIC)");
    assert_non_null(status_at); /* once: the per-class reason does not repeat it */
    assert_null(strstr(status_at + 1, "(NB_E_NUMERIC)"));
    nb_network_deinit(&huge);
    /* a network with a single output cannot be split one-vs-rest */
    size_t sizes[2] = {C, 1};
    nb_network one;
    assert_int_equal(nb_network_init(&one, 2, sizes), NB_OK);
    expect_error(&cfg, &one, &train, &test, NB_E_INVALID, "network");
    nb_network_deinit(&one);
    free_data(&train);
    free_data(&test);
    nb_network_deinit(&net);
}

static void test_strategy_table(void **state) {
    (void)state;
    assert_non_null(nb_importance_find_strategy("bn-gamma"));
    assert_non_null(nb_importance_find_strategy("magnitude"));
    assert_non_null(nb_importance_find_strategy("taylor"));
    assert_null(nb_importance_find_strategy("snip"));
    assert_null(nb_importance_find_strategy(NULL));
    assert_true(nb_importance_find_strategy("bn-gamma")->needs_data);
    assert_false(nb_importance_find_strategy("magnitude")->needs_data);
    /* every value of the config key names a strategy of the table */
    const nb_config_key *key = nb_config_find(&nb_processing_schema, "importance_method");
    assert_non_null(key);
    int n = 0;
    for (; key->enum_names[n]; n++) {
        const nb_importance_strategy *st = nb_importance_strategy_of((nb_importance_method)n);
        assert_non_null(st);
        assert_ptr_equal(nb_importance_find_strategy(key->enum_names[n]), st);
        assert_string_equal(nb_importance_method_name((nb_importance_method)n), key->enum_names[n]);
    }
    /* no row beyond the key's words, and no name */
    assert_null(nb_importance_strategy_of((nb_importance_method)n));
    assert_null(nb_importance_strategy_of((nb_importance_method)-1));
    assert_null(nb_importance_method_name((nb_importance_method)n));
}

/* Settings: zero means the key's default, NB_SETTING_ZERO an explicit 0; from_config keeps
 * every value (zeros included); a hand-made setting out of range fails with the key table's
 * subject and message, exactly as a config with that value does. */
static void test_settings_resolve_validate(void **state) {
    (void)state;
    nb_processing_config def;
    nb_config_defaults(&nb_processing_schema, &def);
    nb_importance_settings zero = {0}, r;
    nb_importance_settings_resolve(&zero, &r);
    assert_int_equal(r.method, def.importance_method);
    assert_string_equal(r.flags, def.importance_flags);
    assert_int_equal(r.epochs, def.importance_epochs);
    assert_true(r.learning_rate == def.importance_learning_rate);
    assert_int_equal(r.batch_size, def.importance_batch_size);
    assert_true(r.l1 == def.importance_l1 && r.l2 == def.importance_l2);
    assert_int_equal(r.top_k, def.importance_top_k);
    assert_int_equal(r.seed, def.seed);
    assert_int_equal(nb_importance_settings_validate(&zero), NB_OK);

    nb_importance_settings z = {
        .l1 = NB_SETTING_ZERO, .top_k = NB_SETTING_ZERO, .seed = NB_SETTING_ZERO, .flags = ""};
    nb_importance_settings_resolve(&z, &r);
    assert_true(r.l1 == 0.0);
    assert_int_equal(r.top_k, 0);
    assert_int_equal(r.seed, 0);
    assert_string_equal(r.flags, "");

    nb_processing_config cfg = def;
    cfg.importance_l2 = 0.0;
    cfg.seed = 0;
    cfg.importance_epochs = 3;
    nb_importance_settings s;
    assert_int_equal(nb_importance_settings_from_config(&cfg, &s), NB_OK);
    nb_importance_settings_resolve(&s, &r);
    assert_true(r.l2 == 0.0);
    assert_int_equal(r.seed, 0);
    assert_int_equal(r.epochs, 3);

    nb_importance_settings bad = {.batch_size = 100000};
    nb_error_clear();
    assert_int_equal(nb_importance_settings_validate(&bad), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "processing importance_batch_size");
    char message[512];
    snprintf(message, sizeof message, "%s", nb_error_message());
    cfg = def;
    cfg.importance_batch_size = 100000;
    nb_error_clear();
    assert_int_equal(nb_config_validate(&nb_processing_schema, &cfg), NB_E_CONFIG);
    assert_string_equal(nb_error_message(), message);
    char long_flags[100];
    memset(long_flags, 'l', sizeof long_flags - 1);
    long_flags[sizeof long_flags - 1] = '\0';
    bad = (nb_importance_settings){.flags = long_flags};
    nb_error_clear();
    assert_int_equal(nb_importance_settings_validate(&bad), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "processing importance_flags");
}

/* `nnbundle importance` on an nnbundle file without /network (no command writes one, so the
 * group is deleted with HDF5 here) fails with NB_E_MISSING naming "<file> /network". */
static void test_cli_file_without_network(void **state) {
    (void)state;
    char path[] = "test_importance_nonet.nnb.h5";
    size_t sizes[3] = {C, C, C};
    nb_model m = {0};
    m.has_network = true;
    assert_int_equal(nb_network_init(&m.network, 3, sizes), NB_OK);
    assert_int_equal(nb_h5_save(path, &m), NB_OK);
    nb_model_deinit(&m);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, "network", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    char a0[] = "importance", a2[] = "--quiet", a3[] = "--set", a4[] = "importance_top_k=0";
    char *argv[] = {a0, path, a2, a3, a4, NULL};
    nb_error_clear();
    int rc = nb_cli_importance(5, argv);
    nb_log_set_level(NB_LOG_NORMAL);
    assert_int_equal(rc, NB_EXIT_FAILURE);
    assert_int_equal(nb_error_status(), NB_E_MISSING);
    assert_string_equal(nb_error_subject(), "test_importance_nonet.nnb.h5 /network");
    remove(path);
}

static void test_magnitude_progress_sees_result(void **state) {
    (void)state;
    nb_network net = make_wired_net();
    nb_processing_config cfg = tiny_config();
    cfg.importance_method = NB_IMPORTANCE_MAGNITUDE;
    nb_importance imp;
    progress_log log = {0};
    log.out = &imp;
    assert_int_equal(compute_cfg(&cfg, &net, NULL, NULL, on_progress, &log, &imp), NB_OK);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.last_done, C);
    nb_importance_deinit(&imp);
    progress_log stop = {0};
    stop.out = &imp;
    stop.stop_after = 1;
    nb_error_clear();
    assert_int_equal(compute_cfg(&cfg, &net, NULL, NULL, on_progress, &stop, &imp), NB_E_CANCELLED);
    assert_null(imp.node);
    nb_network_deinit(&net);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wired_node_important_for_its_class_only),
        cmocka_unit_test(test_settings_resolve_validate),
        cmocka_unit_test(test_same_result_with_one_and_two_threads),
        cmocka_unit_test(test_alpha_uses_global_maximum),
        cmocka_unit_test(test_magnitude_strategy),
        cmocka_unit_test(test_random_importance),
        cmocka_unit_test(test_top_k_matches_brute_force),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_strategy_table),
        cmocka_unit_test(test_magnitude_progress_sees_result),
        cmocka_unit_test(test_cli_file_without_network),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
