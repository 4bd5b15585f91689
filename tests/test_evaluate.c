/* test_evaluate.c - pruning curves: exact counts, hand-computed accuracies, errors, CSV. */
#include <errno.h>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nb_evaluate.h"
#include "nb_importance.h"
#include "nb_mlp.h"
#include "nb_prune.h"
#include "nb_rng.h"
#include "nb_test.h"

#define TOL 1e-9

/* ---- the hand-built 2 -> 2 network ------------------------------------------------------
 * W (out x in) = [[4, 1], [2, 3]], b = [0.1, 0]. Edges in nb_prune order (out-major):
 *   e0 = (out0,in0) 4   e1 = (out0,in1) 1   e2 = (out1,in0) 2   e3 = (out1,in1) 3
 * alpha = [1, .25, .5, .75] -> alpha order e1, e2, e3, e0.
 * Node importance of the inputs (classes 0, 1): in0 = [.2, .4] (mean .3), in1 = [1, .6]
 * (mean .8). Data (x, label): A (1,0) 0   B (0,1) 1   C (1.2,1) 0   D (0.5,2) 1.
 * Every expected value below was worked out by hand from logits = W x + b. */
typedef struct fixture {
    nb_network net;
    nb_importance imp;
    nb_dataset ds;
    float images[8];
    uint8_t labels[4];
} fixture;

static void fixture_init(fixture *f) {
    memset(f, 0, sizeof *f);
    const size_t sizes[2] = {2, 2};
    assert_int_equal(nb_network_init(&f->net, 2, sizes), NB_OK);
    const float w[4] = {4, 1, 2, 3};
    memcpy(nb_network_weight(&f->net, 0), w, sizeof w);
    nb_network_bias(&f->net, 0)[0] = 0.1f;
    nb_network_bias(&f->net, 0)[1] = 0.0f;
    assert_int_equal(nb_importance_init(&f->imp, 2, sizes, 0), NB_OK);
    const float alpha[4] = {1.0f, 0.25f, 0.5f, 0.75f};
    memcpy(nb_importance_edge(&f->imp, 0), alpha, sizeof alpha);
    const float node0[4] = {0.2f, 0.4f, 1.0f, 0.6f}; /* [n_0][C] */
    memcpy(nb_importance_node(&f->imp, 0), node0, sizeof node0);
    const float node1[4] = {1, 0, 0, 1};
    memcpy(nb_importance_node(&f->imp, 1), node1, sizeof node1);
    const float x[8] = {1, 0, 0, 1, 1.2f, 1, 0.5f, 2};
    memcpy(f->images, x, sizeof x);
    const uint8_t y[4] = {0, 1, 0, 1};
    memcpy(f->labels, y, sizeof y);
    f->ds.n = 4;
    f->ds.rows = 1;
    f->ds.cols = 2;
    f->ds.dim = 2;
    f->ds.images = f->images;
    f->ds.labels = f->labels;
    f->ds.n_classes = 2;
}

static void fixture_deinit(fixture *f) {
    nb_network_deinit(&f->net);
    nb_importance_deinit(&f->imp);
}

static const double levels5[5] = {0.0, 0.25, 0.5, 0.75, 1.0};

static void run_one(fixture *f, nb_evaluate_method m, bool class_specific, nb_evaluate_result *r) {
    nb_evaluate_set set = {"test", "tiny", &f->ds};
    nb_evaluate_desc d = {0};
    d.levels = levels5;
    d.n_levels = 5;
    d.methods = 1u << m;
    d.class_specific = class_specific;
    assert_int_equal(nb_evaluate_run(&f->net, &f->imp, &set, 1, &d, r), NB_OK);
}

static void test_alpha_known_answer(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    float w_before[4];
    memcpy(w_before, nb_network_weight(&f.net, 0), sizeof w_before);
    nb_evaluate_result r;
    run_one(&f, NB_EVALUATE_ALPHA, false, &r);
    assert_int_equal(r.n_points, 5);
    assert_int_equal(r.n_sets, 1);
    assert_int_equal(r.n_classes, 2);
    assert_int_equal(r.n_edges, 4);
    const size_t pruned[5] = {0, 1, 2, 3, 4};
    const double acc[5] = {1.0, 0.75, 1.0, 0.5, 0.5};
    for (size_t p = 0; p < 5; p++) {
        assert_int_equal(r.method[p], NB_EVALUATE_ALPHA);
        assert_int_equal(r.scored_class[p], -1);
        assert_int_equal(r.n_pruned[p], pruned[p]);
        assert_int_equal(r.n_draws[p], 1);
        nb_assert_close(r.accuracy[p], acc[p], TOL, TOL);
        nb_assert_close(r.accuracy_sd[p], 0.0, TOL, TOL);
    }
    /* level 0.25 (e1 pruned): preds A0 B1 C1 D1 */
    nb_assert_close(r.recall[1 * 2 + 0], 0.5, TOL, TOL);
    nb_assert_close(r.recall[1 * 2 + 1], 1.0, TOL, TOL);
    nb_assert_close(r.balanced[1 * 2 + 0], 0.75, TOL, TOL);
    nb_assert_close(r.balanced[1 * 2 + 1], 0.75, TOL, TOL);
    /* level 0.75 (only e0 left): everything predicted 0 */
    nb_assert_close(r.recall[3 * 2 + 0], 1.0, TOL, TOL);
    nb_assert_close(r.recall[3 * 2 + 1], 0.0, TOL, TOL);
    nb_assert_close(r.balanced[3 * 2 + 0], 0.5, TOL, TOL);
    nb_assert_close(r.balanced[3 * 2 + 1], 0.5, TOL, TOL);
    /* level 1: logits = biases (0.1, 0) for every image */
    const double l0 = log1p(exp(-0.1)), l1 = log1p(exp(0.1));
    nb_assert_close(r.loss[4], (2.0 * l0 + 2.0 * l1) / 4.0, 1e-6, 1e-6);
    /* level 0: full network, loss by hand from the four logit pairs */
    const double z[4][2] = {{4.1, 2.0}, {1.1, 3.0}, {5.9, 5.4}, {4.1, 7.0}};
    double loss0 = 0.0;
    for (int i = 0; i < 4; i++) {
        const int y = f.labels[i];
        loss0 += log(exp(z[i][0]) + exp(z[i][1])) - z[i][y];
    }
    nb_assert_close(r.loss[0], loss0 / 4.0, 1e-6, 1e-6);
    /* the input network is untouched */
    assert_memory_equal(w_before, nb_network_weight(&f.net, 0), sizeof w_before);
    nb_evaluate_result_deinit(&r);
    fixture_deinit(&f);
}

static void test_other_methods_known_answer(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    nb_evaluate_result r;
    /* alpha * mean gamma = [.3, .2, .15, .6]: order e2, e1, e0, e3 */
    run_one(&f, NB_EVALUATE_ALPHA_MEAN_GAMMA, false, &r);
    const double amg[5] = {1.0, 1.0, 1.0, 0.75, 0.5};
    for (size_t p = 0; p < 5; p++)
        nb_assert_close(r.accuracy[p], amg[p], TOL, TOL);
    nb_evaluate_result_deinit(&r);
    /* mean gamma = [.3, .8, .3, .8]: level .5 prunes e0, e2 */
    run_one(&f, NB_EVALUATE_MEAN_GAMMA, false, &r);
    assert_int_equal(r.n_pruned[2], 2);
    nb_assert_close(r.accuracy[2], 0.75, TOL, TOL);
    nb_evaluate_result_deinit(&r);
    /* reverse of alpha * mean gamma: level .25 prunes e3 (score .6):
     * W = [[4,1],[2,0]]: A (4.1,2) ok, B (1.1,0) wrong, C (5.9,2.4) ok, D (4.1,1) wrong */
    run_one(&f, NB_EVALUATE_REVERSE, false, &r);
    assert_int_equal(r.n_pruned[1], 1);
    nb_assert_close(r.accuracy[1], 0.5, TOL, TOL);
    nb_assert_close(r.accuracy[0], 1.0, TOL, TOL);
    nb_evaluate_result_deinit(&r);
    fixture_deinit(&f);
}

static void test_class_specific_known_answer(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    nb_evaluate_result r;
    run_one(&f, NB_EVALUATE_ALPHA_MEAN_GAMMA, true, &r);
    assert_int_equal(r.n_points, 10); /* 2 classes x 5 levels */
    /* class 0: alpha * gamma_0 = [.2, .25, .1, .75], level .5 prunes e2, e0:
     * W = [[0,1],[0,3]] -> preds A0 B1 C1 D1 */
    assert_int_equal(r.scored_class[2], 0);
    nb_assert_close(r.level[2], 0.5, TOL, TOL);
    nb_assert_close(r.recall[2 * 2 + 0], 0.5, TOL, TOL);
    nb_assert_close(r.recall[2 * 2 + 1], 1.0, TOL, TOL);
    /* class 1: alpha * gamma_1 = [.4, .15, .2, .45], level .5 prunes e1, e2:
     * W = [[4,0],[0,3]] -> all correct */
    assert_int_equal(r.scored_class[7], 1);
    nb_assert_close(r.level[7], 0.5, TOL, TOL);
    nb_assert_close(r.recall[7 * 2 + 0], 1.0, TOL, TOL);
    nb_assert_close(r.recall[7 * 2 + 1], 1.0, TOL, TOL);
    nb_assert_close(r.accuracy[7], 1.0, TOL, TOL);

    /* CSV: header, and the derived recall_others_mean row of a class-specific point */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    assert_int_equal(nb_evaluate_write_csv_stream(&r, mem, "mem"), NB_OK);
    fclose(mem);
    assert_true(!strncmp(buf,
                         "method,scored_class,level_percent,pruned_fraction,set,metric,"
                         "class,value\n",
                         68));
    assert_non_null(strstr(buf, "\nalpha_mean_gamma,0,50,0.5,test,recall,0,0.5\n"));
    assert_non_null(strstr(buf, "\nalpha_mean_gamma,0,50,0.5,test,recall_others_mean,0,1\n"));
    assert_non_null(strstr(buf, "\nalpha_mean_gamma,1,50,0.5,test,accuracy,all,1\n"));
    assert_null(strstr(buf, "accuracy_sd")); /* one draw: no SD rows */
    free(buf);
    nb_evaluate_result_deinit(&r);
    fixture_deinit(&f);
}

static void test_csv_rows(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    nb_evaluate_result r;
    run_one(&f, NB_EVALUATE_ALPHA, false, &r);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_int_equal(nb_evaluate_write_csv_stream(&r, mem, "mem"), NB_OK);
    fclose(mem);
    assert_non_null(strstr(buf, "\nalpha,all,25,0.25,test,accuracy,all,0.75\n"));
    assert_non_null(strstr(buf, "\nalpha,all,75,0.75,test,balanced_accuracy,1,0.5\n"));
    /* 5 points x (loss + accuracy + 2 recall + 2 balanced) rows + header */
    size_t lines = 0;
    for (const char *p = buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 5 * 6);
    free(buf);

    /* atomic file writer: a missing directory is NB_E_IO naming the path */
    nb_error_clear();
    assert_int_equal(nb_evaluate_write_csv(&r, "no_such_dir_xyz/pruning.csv"), NB_E_IO);
    assert_string_equal(nb_error_subject(), "no_such_dir_xyz/pruning.csv");
    /* a name taken by a directory: refused before writing; no temporary is left */
    assert_int_equal(mkdir("test_evaluate_taken.csv", 0755) == 0 || errno == EEXIST, 1);
    nb_expect_error(nb_evaluate_write_csv(&r, "test_evaluate_taken.csv"), NB_E_IO,
                    "test_evaluate_taken.csv", "is a directory");
    assert_false(nb_test_tmp_left("test_evaluate_taken.csv"));
    rmdir("test_evaluate_taken.csv");
    const char *path = "test_evaluate_out.csv";
    assert_int_equal(nb_evaluate_write_csv(&r, path), NB_OK);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char line[256];
    assert_non_null(fgets(line, sizeof line, in));
    assert_string_equal(line, "method,scored_class,level_percent,pruned_fraction,set,metric,"
                              "class,value\n");
    fclose(in);
    remove(path);
    nb_evaluate_result_deinit(&r);
    fixture_deinit(&f);
}

/* A random 12-7-5-3 network: every level prunes exactly round(p E) edges, and the result
 * equals an independent evaluation of a copy pruned with nb_prune_scores/nb_prune_mask. */
typedef struct big_fixture {
    nb_network net;
    nb_importance imp;
    nb_dataset test, train;
} big_fixture;

static void make_data(nb_dataset *ds, size_t n, size_t dim, size_t C, uint64_t seed) {
    memset(ds, 0, sizeof *ds);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    ds->n = n;
    ds->rows = 3;
    ds->cols = dim / 3;
    ds->dim = dim;
    ds->n_classes = C;
    ds->images = malloc(n * dim * sizeof *ds->images);
    ds->labels = malloc(n);
    assert_non_null(ds->images);
    assert_non_null(ds->labels);
    for (size_t i = 0; i < n * dim; i++)
        ds->images[i] = (float)nb_rng_uniform(&rng);
    for (size_t i = 0; i < n; i++)
        ds->labels[i] = (uint8_t)nb_rng_below(&rng, C);
}

static void big_init(big_fixture *b) {
    const size_t sizes[4] = {12, 7, 4, 3}; /* E = 124: no level k/20 hits a .5 count */
    nb_rng rng;
    nb_rng_init(&rng, 42);
    assert_int_equal(nb_network_init(&b->net, 4, sizes), NB_OK);
    const size_t n_w = b->net.weight_offset[3];
    for (size_t i = 0; i < n_w; i++)
        b->net.weights[i] = (float)nb_rng_normal(&rng);
    for (size_t l = 0; l < 3; l++)
        for (size_t j = 0; j < sizes[l + 1]; j++)
            nb_network_bias(&b->net, l)[j] = (float)(0.1 * nb_rng_normal(&rng));
    assert_int_equal(nb_importance_random(&b->net, 7, &b->imp), NB_OK);
    make_data(&b->test, 60, 12, 3, 1);
    make_data(&b->train, 90, 12, 3, 2);
}

static void big_deinit(big_fixture *b) {
    nb_network_deinit(&b->net);
    nb_importance_deinit(&b->imp);
    free(b->test.images);
    free(b->test.labels);
    free(b->train.images);
    free(b->train.labels);
}

static void test_exact_counts_and_independent_check(void **state) {
    (void)state;
    big_fixture b;
    big_init(&b);
    const size_t E = nb_network_n_edges(&b.net);
    assert_int_equal(E, 12 * 7 + 7 * 4 + 4 * 3);
    double levels[21];
    for (int k = 0; k <= 20; k++)
        levels[k] = (double)k / 20.0;
    const nb_evaluate_set sets[2] = {{"test", "t", &b.test}, {"train", "r", &b.train}};
    nb_evaluate_desc d = {0};
    d.levels = levels;
    d.n_levels = 21;
    d.methods = (1u << NB_EVALUATE_ALPHA_MEAN_GAMMA) | (1u << NB_EVALUATE_MEAN_GAMMA);
    nb_evaluate_result r;
    const float *w_orig = b.net.weights;
    float *w_copy = malloc(b.net.weight_offset[3] * sizeof *w_copy);
    memcpy(w_copy, w_orig, b.net.weight_offset[3] * sizeof *w_copy);
    assert_int_equal(nb_evaluate_run(&b.net, &b.imp, sets, 2, &d, &r), NB_OK);
    assert_memory_equal(w_copy, b.net.weights, b.net.weight_offset[3] * sizeof *w_copy);
    assert_int_equal(r.n_points, 42);
    assert_string_equal(r.set_name[1], "train");

    float *scores = malloc(E * sizeof *scores);
    uint8_t *keep = malloc(E);
    nb_network pruned;
    assert_int_equal(nb_network_copy(&pruned, &b.net), NB_OK);
    for (size_t p = 0; p < r.n_points; p++) {
        assert_int_equal(r.n_pruned[p], (size_t)llround(levels[p % 21] * (double)E));
        const nb_prune_score kind = r.method[p] == NB_EVALUATE_ALPHA_MEAN_GAMMA
                                        ? NB_PRUNE_ALPHA_MEAN_GAMMA
                                        : NB_PRUNE_MEAN_GAMMA;
        assert_int_equal(nb_prune_scores(&b.imp, kind, -1, scores), NB_OK);
        size_t n_pruned = 0;
        assert_int_equal(nb_prune_mask(scores, E, r.level[p], keep, &n_pruned), NB_OK);
        size_t zeroed = 0;
        for (size_t e = 0; e < E; e++) {
            pruned.weights[e] = keep[e] ? w_orig[e] : 0.0f;
            zeroed += !keep[e];
        }
        assert_int_equal(zeroed, r.n_pruned[p]);
        for (size_t s = 0; s < 2; s++) {
            double loss, acc;
            uint8_t pred[90];
            assert_int_equal(nb_mlp_evaluate(&pruned, sets[s].data, &loss, &acc, pred), NB_OK);
            nb_assert_close(r.loss[p * 2 + s], loss, 1e-5, 1e-5); /* sgemm rounding may differ */
            nb_assert_close(r.accuracy[p * 2 + s], acc, 1e-12, 1e-12);
            /* recall by a direct count */
            for (size_t c = 0; c < 3; c++) {
                size_t pos = 0, tp = 0;
                for (size_t i = 0; i < sets[s].data->n; i++) {
                    pos += sets[s].data->labels[i] == c;
                    tp += sets[s].data->labels[i] == c && pred[i] == c;
                }
                nb_assert_close(r.recall[(p * 2 + s) * 3 + c], (double)tp / (double)pos, 1e-12,
                                1e-12);
            }
        }
    }
    nb_network_deinit(&pruned);
    free(scores);
    free(keep);
    free(w_copy);
    nb_evaluate_result_deinit(&r);
    big_deinit(&b);
}

static void test_random_draws(void **state) {
    (void)state;
    big_fixture b;
    big_init(&b);
    const nb_evaluate_set set = {"test", "t", &b.test};
    nb_evaluate_desc d = {0};
    d.methods = 1u << NB_EVALUATE_RANDOM;
    d.seed = 5;
    nb_evaluate_result r1, r2, r3;
    assert_int_equal(nb_evaluate_run(&b.net, &b.imp, &set, 1, &d, &r1), NB_OK);
    assert_int_equal(r1.n_points, 11); /* default levels 0, 10, ..., 100 % */
    assert_int_equal(r1.n_draws[3], NB_EVALUATE_DEFAULT_DRAWS);
    assert_int_equal(nb_evaluate_run(&b.net, &b.imp, &set, 1, &d, &r2), NB_OK);
    d.seed = 6;
    assert_int_equal(nb_evaluate_run(&b.net, &b.imp, &set, 1, &d, &r3), NB_OK);
    bool any_sd = false, any_diff = false;
    for (size_t p = 0; p < 11; p++) {
        nb_assert_close(r1.level[p], 0.1 * (double)p, 1e-12, 1e-12);
        nb_assert_close(r1.accuracy[p], r2.accuracy[p], 0.0, 0.0); /* same seed: same result */
        assert_true(r1.accuracy_sd[p] >= 0.0);
        any_sd = any_sd || r1.accuracy_sd[p] > 0.0;
        any_diff = any_diff || r1.accuracy[p] != r3.accuracy[p];
    }
    /* level 0 and 100 %: every draw is the same network */
    nb_assert_close(r1.accuracy_sd[0], 0.0, 0.0, 0.0);
    nb_assert_close(r1.accuracy_sd[10], 0.0, 0.0, 0.0);
    assert_true(any_sd);
    assert_true(any_diff);
    nb_evaluate_result_deinit(&r1);
    nb_evaluate_result_deinit(&r2);
    nb_evaluate_result_deinit(&r3);
    big_deinit(&b);
}

/* Several chunks of images, 1 and 2 OpenMP threads: bit-identical results. */
static void test_thread_count_independent(void **state) {
    (void)state;
    big_fixture b;
    big_init(&b);
    nb_dataset many;
    make_data(&many, 2500, 12, 3, 9); /* 3 chunks of NB_EVALUATE_CHUNK (1024) */
    const nb_evaluate_set set = {"test", "t", &many};
    nb_evaluate_desc d = {0};
    d.seed = 3;
    nb_evaluate_result r1, r2;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    assert_int_equal(nb_evaluate_run(&b.net, &b.imp, &set, 1, &d, &r1), NB_OK);
    omp_set_num_threads(2);
    assert_int_equal(nb_evaluate_run(&b.net, &b.imp, &set, 1, &d, &r2), NB_OK);
    omp_set_num_threads(saved);
    assert_int_equal(r1.n_points, r2.n_points);
    assert_memory_equal(r1.loss, r2.loss, r1.n_points * sizeof *r1.loss);
    assert_memory_equal(r1.accuracy, r2.accuracy, r1.n_points * sizeof *r1.accuracy);
    assert_memory_equal(r1.recall, r2.recall, r1.n_points * 3 * sizeof *r1.recall);
    nb_evaluate_result_deinit(&r1);
    nb_evaluate_result_deinit(&r2);
    free(many.images);
    free(many.labels);
    big_deinit(&b);
}

static void test_class_metrics(void **state) {
    (void)state;
    const uint8_t labels[6] = {0, 0, 1, 1, 1, 2};
    const uint8_t pred[6] = {0, 1, 1, 1, 0, 0};
    double recall[4], balanced[4];
    nb_evaluate_class_metrics(labels, pred, 6, 4, recall, balanced);
    nb_assert_close(recall[0], 0.5, TOL, TOL);                       /* TP 1 of 2 */
    nb_assert_close(balanced[0], (0.5 + 2.0 / 4.0) / 2.0, TOL, TOL); /* TN 2 of 4 */
    nb_assert_close(recall[1], 2.0 / 3.0, TOL, TOL);
    nb_assert_close(balanced[1], (2.0 / 3.0 + 2.0 / 3.0) / 2.0, TOL, TOL);
    nb_assert_close(recall[2], 0.0, TOL, TOL);
    nb_assert_close(balanced[2], (0.0 + 1.0) / 2.0, TOL, TOL);
    assert_true(isnan(recall[3])); /* class 3 has no images */
    assert_true(isnan(balanced[3]));
}

static void test_parse(void **state) {
    (void)state;
    unsigned mask = 123;
    assert_int_equal(nb_evaluate_parse_methods("alpha,random", &mask), NB_OK);
    assert_int_equal(mask, (1u << NB_EVALUATE_ALPHA) | (1u << NB_EVALUATE_RANDOM));
    assert_int_equal(nb_evaluate_parse_methods("all", &mask), NB_OK);
    assert_int_equal(mask, NB_EVALUATE_ALL_METHODS);
    const char *bad_methods[] = {"", "alpha,foo", "alpha,", "Alpha", "alpha_mean"};
    for (size_t i = 0; i < 5; i++) {
        mask = 77;
        nb_error_clear();
        assert_int_equal(nb_evaluate_parse_methods(bad_methods[i], &mask), NB_E_INVALID);
        assert_string_equal(nb_error_subject(), "--methods");
        assert_int_equal(mask, 77);
    }
    assert_non_null(strstr(nb_error_message(), "alpha_mean"));

    double lv[4] = {-1, -1, -1, -1};
    size_t n = 0;
    assert_int_equal(nb_evaluate_parse_levels("0,10,99.5,100", lv, 4, &n), NB_OK);
    assert_int_equal(n, 4);
    nb_assert_close(lv[1], 0.1, 1e-15, 1e-15);
    nb_assert_close(lv[2], 0.995, 1e-15, 1e-15);
    nb_assert_close(lv[3], 1.0, 0.0, 0.0);
    const char *bad_levels[] = {"", "10,abc", "101", "-1", "10,,20", "10,", "nan", "0,1,2,3,4"};
    for (size_t i = 0; i < 8; i++) {
        n = 99;
        nb_error_clear();
        assert_int_equal(nb_evaluate_parse_levels(bad_levels[i], lv, 4, &n), NB_E_INVALID);
        assert_string_equal(nb_error_subject(), "--levels");
        assert_int_equal(n, 99);
    }
    assert_string_equal(nb_evaluate_method_name(NB_EVALUATE_REVERSE), "reverse");
    assert_string_equal(nb_evaluate_method_name((nb_evaluate_method)99), "unknown");
}

static void test_check_model(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    nb_model m;
    memset(&m, 0, sizeof m);
    nb_error_clear();
    assert_int_equal(nb_evaluate_check_model(&m, "m.nnb.h5"), NB_E_MISSING);
    assert_string_equal(nb_error_subject(), "m.nnb.h5 /network");
    m.has_network = true;
    m.network = f.net;
    assert_int_equal(nb_evaluate_check_model(&m, "m.nnb.h5"), NB_E_MISSING);
    assert_string_equal(nb_error_subject(), "m.nnb.h5 /importance");
    assert_non_null(strstr(nb_error_message(), "run `nnbundle importance m.nnb.h5"));
    m.has_importance = true;
    m.importance = f.imp;
    assert_int_equal(nb_evaluate_check_model(&m, "m.nnb.h5"), NB_OK);
    /* importance of another shape */
    nb_importance other;
    const size_t sizes[2] = {3, 2};
    assert_int_equal(nb_importance_init(&other, 2, sizes, 0), NB_OK);
    m.importance = other;
    assert_int_equal(nb_evaluate_check_model(&m, "m.nnb.h5"), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "m.nnb.h5 /importance");
    /* nb_evaluate_run refuses it too */
    nb_evaluate_set set = {"test", "tiny", &f.ds};
    nb_evaluate_result r;
    memset(&r, 0x5a, sizeof r);
    assert_int_equal(nb_evaluate_run(&f.net, &other, &set, 1, NULL, &r), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "importance");
    nb_importance_deinit(&other);
    fixture_deinit(&f);
}

static void test_check_set(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    nb_evaluate_set set = {"test", "data/dir", &f.ds};
    assert_int_equal(nb_evaluate_check_set(&f.net, &set), NB_OK);
    f.ds.dim = 3; /* images of another size */
    nb_error_clear();
    assert_int_equal(nb_evaluate_check_set(&f.net, &set), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "data/dir");
    f.ds.dim = 2;
    f.labels[2] = 2; /* a label the 2-class network cannot output */
    assert_int_equal(nb_evaluate_check_set(&f.net, &set), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "data/dir");
    nb_evaluate_result r;
    assert_int_equal(nb_evaluate_run(&f.net, &f.imp, &set, 1, NULL, &r), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "data/dir");
    f.labels[2] = 0;
    f.ds.n = 0;
    assert_int_equal(nb_evaluate_check_set(&f.net, &set), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "data/dir");
    fixture_deinit(&f);
}

static bool stop_after_3(void *user, size_t done, size_t total) {
    size_t *calls = user;
    (*calls)++;
    assert_true(done <= total);
    return done < 3;
}

static void test_run_errors(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    nb_evaluate_set set = {"test", "tiny", &f.ds};
    nb_evaluate_result r;
    nb_evaluate_desc d = {0};

    const double bad_level[2] = {0.5, 1.5};
    d.levels = bad_level;
    d.n_levels = 2;
    nb_error_clear();
    assert_int_equal(nb_evaluate_run(&f.net, &f.imp, &set, 1, &d, &r), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "levels");
    const double nan_level[1] = {NAN};
    d.levels = nan_level;
    d.n_levels = 1;
    assert_int_equal(nb_evaluate_run(&f.net, &f.imp, &set, 1, &d, &r), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "levels");
    d.levels = NULL;
    d.n_levels = 0;

    d.random_draws = 1001;
    assert_int_equal(nb_evaluate_run(&f.net, &f.imp, &set, 1, &d, &r), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "random_draws");
    d.random_draws = 0;

    d.methods = 1u << 7;
    assert_int_equal(nb_evaluate_run(&f.net, &f.imp, &set, 1, &d, &r), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "methods");
    d.methods = 1u << NB_EVALUATE_RANDOM;
    d.class_specific = true;
    assert_int_equal(nb_evaluate_run(&f.net, &f.imp, &set, 1, &d, &r), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "methods");
    d.methods = 0;
    d.class_specific = false;

    assert_int_equal(nb_evaluate_run(&f.net, &f.imp, &set, 0, &d, &r), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "sets");
    nb_evaluate_set comma = {"te,st", "tiny", &f.ds};
    assert_int_equal(nb_evaluate_run(&f.net, &f.imp, &comma, 1, &d, &r), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "sets");

    size_t calls = 0;
    d.progress = stop_after_3;
    d.user = &calls;
    memset(&r, 0x5a, sizeof r);
    assert_int_equal(nb_evaluate_run(&f.net, &f.imp, &set, 1, &d, &r), NB_E_CANCELLED);
    assert_string_equal(nb_error_subject(), "evaluate");
    assert_int_equal(calls, 3);
    nb_evaluate_result_deinit(NULL);
    fixture_deinit(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alpha_known_answer),
        cmocka_unit_test(test_other_methods_known_answer),
        cmocka_unit_test(test_class_specific_known_answer),
        cmocka_unit_test(test_csv_rows),
        cmocka_unit_test(test_exact_counts_and_independent_check),
        cmocka_unit_test(test_random_draws),
        cmocka_unit_test(test_thread_count_independent),
        cmocka_unit_test(test_class_metrics),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_check_model),
        cmocka_unit_test(test_check_set),
        cmocka_unit_test(test_run_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
