/* test_gui_stats.c - Statistics panel figures, layer table and FPS window. */

#include "nb_gui_stats.h"
#include "nb_h5.h"
#include "nb_test.h"

/* 4-3-2 network, 2 classes; bundle keeps 7 of 12 edges of pair 0 and 3 of 6 of pair 1. */
static void make_model(nb_model *m) {
    memset(m, 0, sizeof *m);
    const size_t sizes[3] = {4, 3, 2};
    assert_int_equal(nb_network_init(&m->network, 3, sizes), NB_OK);
    m->has_network = true;
    assert_int_equal(nb_importance_init(&m->importance, 3, sizes, 0), NB_OK);
    m->has_importance = true;
    float *n0 = nb_importance_node(&m->importance, 0);
    const float v0[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
    memcpy(n0, v0, sizeof v0);
    float *n1 = nb_importance_node(&m->importance, 1);
    const float v1[6] = {1.0f, 0.0f, 0.5f, 0.5f, 0.0f, 1.0f};
    memcpy(n1, v1, sizeof v1);
    float *n2 = nb_importance_node(&m->importance, 2);
    const float v2[4] = {1.0f, 0.0f, 0.0f, 1.0f};
    memcpy(n2, v2, sizeof v2);
    assert_int_equal(nb_bundle_data_init(&m->bundle, 3, 9, 10, 25), NB_OK);
    m->has_bundle = true;
    nb_bundle_data *b = &m->bundle;
    const int64_t off[4] = {0, 4, 7, 9};
    memcpy(b->layer_offset, off, sizeof off);
    const uint32_t src[10] = {0, 0, 1, 1, 2, 3, 3, 4, 5, 6};
    const uint32_t dst[10] = {4, 5, 4, 6, 5, 4, 6, 7, 8, 8};
    memcpy(b->edge_source, src, sizeof src);
    memcpy(b->edge_target, dst, sizeof dst);
    b->n_edges_total = 18;
    b->metrics.mean_distortion = 1.25;
    b->metrics.ink_ratio = 0.6;
    b->time_total = 3.5;
    b->edge_iterations = 22;
}

static void test_stats(void **state) {
    (void)state;
    nb_model m;
    make_model(&m);
    nb_gui_stats s;
    nb_gui_stats_of(&m, &s);
    assert_int_equal(s.n_layers, 3);
    assert_int_equal(s.n_nodes, 9);
    assert_int_equal(s.n_edges, 10);
    assert_int_equal(s.n_edges_total, 18);
    assert_int_equal(s.n_pruned, 8);
    assert_int_equal(s.n_samples, 25);
    assert_int_equal(s.n_params, 12 + 3 + 6 + 2);
    assert_true(s.has_bundle);
    nb_assert_near(s.metrics.mean_distortion, 1.25, 0.0);
    nb_assert_near(s.metrics.ink_ratio, 0.6, 0.0);
    nb_assert_near(s.time_total, 3.5, 0.0);
    assert_int_equal(s.edge_iterations, 22);
    /* network only: every weight is an edge, nothing pruned */
    m.has_bundle = false;
    nb_gui_stats_of(&m, &s);
    assert_int_equal(s.n_edges, 18);
    assert_int_equal(s.n_pruned, 0);
    assert_int_equal(s.n_samples, 0);
    assert_false(s.has_bundle);
    m.has_bundle = true;
    /* nothing loaded */
    nb_model empty;
    memset(&empty, 0, sizeof empty);
    nb_gui_stats_of(&empty, &s);
    assert_int_equal(s.n_nodes, 0);
    nb_model_deinit(&m);
}

static void test_layer_table(void **state) {
    (void)state;
    nb_model m;
    make_model(&m);
    nb_gui_layer_table t;
    assert_int_equal(nb_gui_layer_table_init(&t, &m), NB_OK);
    assert_int_equal(t.n_layers, 3);
    assert_int_equal(t.n_classes, 2);
    assert_int_equal(t.row[0].size, 4);
    assert_int_equal(t.row[0].params, 0);
    assert_int_equal(t.row[0].macs, 0);
    assert_true(isnan(t.row[0].kept_share));
    assert_int_equal(t.row[1].macs, 12);
    assert_int_equal(t.row[1].params, 15);
    assert_int_equal(t.row[1].kept, 7);
    nb_assert_near(t.row[1].kept_share, 7.0 / 12.0, 1e-12);
    assert_int_equal(t.row[2].macs, 6);
    assert_int_equal(t.row[2].params, 8);
    assert_int_equal(t.row[2].kept, 3);
    nb_assert_near(t.row[2].kept_share, 0.5, 1e-12);
    assert_int_equal(t.total_params, 23);
    assert_int_equal(t.total_macs, 18);
    nb_assert_near(t.row[0].mean_importance[0], (0.1 + 0.3 + 0.5 + 0.7) / 4.0, 1e-6);
    nb_assert_near(t.row[0].mean_importance[1], (0.2 + 0.4 + 0.6 + 0.8) / 4.0, 1e-6);
    nb_assert_near(t.row[1].mean_importance[0], 0.5, 1e-6);
    nb_assert_near(t.row[2].mean_importance[1], 0.5, 1e-6);
    nb_gui_layer_table_deinit(&t);
    /* without importance and bundle */
    m.has_importance = false;
    m.has_bundle = false;
    assert_int_equal(nb_gui_layer_table_init(&t, &m), NB_OK);
    assert_int_equal(t.n_classes, 0);
    assert_null(t.row[1].mean_importance);
    assert_true(isnan(t.row[1].kept_share));
    nb_gui_layer_table_deinit(&t);
    nb_gui_layer_table_deinit(&t); /* safe twice */
    m.has_importance = m.has_bundle = true;
    /* without network */
    m.has_network = false;
    nb_error_clear();
    assert_int_equal(nb_gui_layer_table_init(&t, &m), NB_E_MISSING);
    assert_string_equal(nb_error_subject(), "/network");
    assert_null(t.row);
    m.has_network = true;
    nb_model_deinit(&m);
}

/* A CNN (tests/data/small_cnn.nnb.h5: conv8-pool-conv16-pool-fc32-fc10): node layers get
 * the parameters and MACs of their operators, and every operator has its row. */
static void test_layer_table_operators(void **state) {
    (void)state;
    char path[4096];
    nb_test_source_path(path, sizeof path, "tests/data/small_cnn.nnb.h5");
    nb_model m;
    assert_int_equal(nb_h5_load(path, &m), NB_OK);
    nb_gui_layer_table t;
    assert_int_equal(nb_gui_layer_table_init(&t, &m), NB_OK);
    assert_int_equal(t.n_layers, 5);
    assert_int_equal(t.n_ops, 10);
    const char *kinds[5] = {"input", "conv2d", "conv2d", "dense", "dense"};
    /* conv 80 + pool; conv 1168 + pool (+ flatten); dense 25120; dense 330 */
    const size_t params[5] = {0, 80, 1168, 25120, 330};
    const size_t macs[5] = {0, 56448 + 6272, 225792 + 3136, 25088, 320};
    const size_t edges[5] = {0, 8, 8 * 16, 16 * 32, 32 * 10};
    for (size_t l = 0; l < 5; l++) {
        assert_string_equal(t.row[l].kind, kinds[l]);
        assert_int_equal(t.row[l].params, params[l]);
        assert_int_equal(t.row[l].macs, macs[l]);
        assert_int_equal(t.row[l].edges, edges[l]);
    }
    assert_int_equal(t.total_params, 26698);
    assert_int_equal(t.total_macs, 317056);
    assert_string_equal(t.op[2].kind, "maxpool");
    assert_int_equal(t.op[2].out_c, 8);
    assert_int_equal(t.op[2].out_h, 14);
    assert_int_equal(t.op[2].layer, 1);
    assert_false(t.op[2].node);
    assert_true(t.op[3].node);
    assert_int_equal(t.op[3].layer, 2);
    assert_int_equal(t.op[6].layer, 2); /* the flatten belongs to the second convolution */
    nb_gui_stats st;
    nb_gui_stats_of(&m, &st);
    assert_int_equal(st.n_params, 26698);
    assert_int_equal(st.n_edges_total, 8 + 128 + 512 + 320);
    nb_gui_layer_table_deinit(&t);
    nb_model_deinit(&m);
}

static void test_layer_of(void **state) {
    (void)state;
    const int64_t off[4] = {0, 4, 7, 9};
    const size_t expect[10] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 3};
    for (size_t g = 0; g < 10; g++)
        assert_int_equal(nb_gui_layer_of(off, 3, g), expect[g]);
    assert_int_equal(nb_gui_layer_of(off, 3, 1000), 3);
    assert_int_equal(nb_gui_layer_of(off, 0, 0), 0);
}

static void test_fps(void **state) {
    (void)state;
    nb_gui_fps f;
    nb_gui_fps_init(&f);
    nb_assert_near(nb_gui_fps_value(&f), 0.0, 0.0);
    nb_gui_fps_add(&f, 0.02);
    nb_assert_near(nb_gui_fps_value(&f), 50.0, 1e-9);
    for (int i = 0; i < 100; i++)
        nb_gui_fps_add(&f, 0.02);
    nb_assert_near(nb_gui_fps_value(&f), 50.0, 1e-9);
    /* the window forgets: after a full window of 10 ms frames it reads 100 */
    for (int i = 0; i < NB_GUI_FPS_WINDOW; i++)
        nb_gui_fps_add(&f, 0.01);
    nb_assert_near(nb_gui_fps_value(&f), 100.0, 1e-6);
    /* half a window of 20 ms frames: 60 frames over 30 * 0.01 + 30 * 0.02 s */
    for (int i = 0; i < NB_GUI_FPS_WINDOW / 2; i++)
        nb_gui_fps_add(&f, 0.02);
    nb_assert_near(nb_gui_fps_value(&f), 60.0 / 0.9, 1e-6);
    /* bad durations are ignored */
    double before = nb_gui_fps_value(&f);
    nb_gui_fps_add(&f, 0.0);
    nb_gui_fps_add(&f, -1.0);
    nb_gui_fps_add(&f, NAN);
    nb_gui_fps_add(&f, INFINITY);
    nb_assert_near(nb_gui_fps_value(&f), before, 0.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_layer_table),
        cmocka_unit_test(test_layer_table_operators),
        cmocka_unit_test(test_layer_of),
        cmocka_unit_test(test_fps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
