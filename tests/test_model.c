/* test_model.c - allocation, offsets, copies and error paths of the in-memory model. */
#include "nb_model.h"
#include "nb_test.h"

static void test_network_init(void **state) {
    (void)state;
    const size_t sizes[4] = {6, 4, 3, 2};
    nb_network n;
    assert_int_equal(nb_network_init(&n, 4, sizes), NB_OK);
    assert_int_equal(n.n_layers, 4);
    assert_int_equal(n.n_classes, 2);
    assert_int_equal(nb_network_n_nodes(&n), 15);
    assert_int_equal(nb_network_n_edges(&n), 6 * 4 + 4 * 3 + 3 * 2);
    assert_int_equal(n.weight_offset[0], 0);
    assert_int_equal(n.weight_offset[1], 24);
    assert_int_equal(n.weight_offset[2], 36);
    assert_int_equal(n.weight_offset[3], 42);
    assert_int_equal(n.bias_offset[1], 4);
    assert_int_equal(n.bias_offset[2], 7);
    assert_int_equal(n.bias_offset[3], 9);
    assert_ptr_equal(nb_network_weight(&n, 2), n.weights + 36);
    assert_ptr_equal(nb_network_bias(&n, 1), n.biases + 4);
    for (size_t i = 0; i < 42; i++)
        assert_true(n.weights[i] == 0.0f);
    assert_string_equal(n.class_names[0], "0");
    assert_string_equal(n.class_names[1], "1");
    assert_string_equal(n.activation, "relu");
    assert_true(isnan(n.train_accuracy));
    assert_true(isnan(n.test_accuracy));
    assert_int_equal(nb_network_set_class_name(&n, 1, "Trouser"), NB_OK);
    assert_string_equal(n.class_names[1], "Trouser");
    nb_error_clear();
    nb_expect_error(nb_network_set_class_name(&n, 2, "x"), NB_E_INVALID, "network class_names",
                    NULL);

    for (size_t i = 0; i < 42; i++)
        n.weights[i] = (float)i * 0.5f;
    n.biases[8] = 3.0f;
    n.epochs = 15;
    n.seed = 99;
    n.train_accuracy = 0.9;
    snprintf(n.dataset, sizeof n.dataset, "fashion");
    nb_network c;
    assert_int_equal(nb_network_copy(&c, &n), NB_OK);
    assert_ptr_not_equal(c.weights, n.weights);
    assert_memory_equal(c.weights, n.weights, 42 * sizeof(float));
    assert_true(c.biases[8] == 3.0f);
    assert_string_equal(c.class_names[1], "Trouser");
    assert_ptr_not_equal(c.class_names[1], n.class_names[1]);
    assert_int_equal(c.epochs, 15);
    assert_int_equal(c.seed, 99);
    nb_assert_same_double(c.train_accuracy, 0.9);
    assert_true(isnan(c.test_accuracy));
    assert_string_equal(c.dataset, "fashion");
    nb_network_deinit(&c);
    nb_network_deinit(&n);
    assert_null(n.weights);
    nb_network_deinit(&n); /* twice is fine */
}

static void test_network_init_errors(void **state) {
    (void)state;
    nb_network n;
    memset(&n, 0xAB, sizeof n);
    const size_t one[1] = {5};
    nb_expect_error(nb_network_init(&n, 1, one), NB_E_INVALID, "network", "1 layers");
    assert_null(n.weights);
    assert_int_equal(n.n_layers, 0);
    const size_t zero[3] = {5, 0, 2};
    nb_expect_error(nb_network_init(&n, 3, zero), NB_E_INVALID, "network", "layer 1 has 0 nodes");
    const size_t huge[3] = {SIZE_MAX / 2, 4, 2};
    nb_expect_error(nb_network_init(&n, 3, huge), NB_E_INVALID, "network", "overflow");
    assert_null(n.layer_size);
}

static void test_importance(void **state) {
    (void)state;
    const size_t sizes[4] = {5, 4, 3, 2};
    nb_importance imp;
    assert_int_equal(nb_importance_init(&imp, 4, sizes, 3), NB_OK);
    assert_int_equal(imp.n_classes, 2);
    assert_int_equal(imp.node_offset[0], 0);
    assert_int_equal(imp.node_offset[1], 10);
    assert_int_equal(imp.node_offset[2], 18);
    assert_int_equal(imp.node_offset[3], 24);
    assert_int_equal(imp.node_offset[4], 28);
    assert_int_equal(imp.edge_offset[1], 20);
    assert_int_equal(imp.edge_offset[2], 32);
    assert_int_equal(imp.edge_offset[3], 38);
    assert_ptr_equal(nb_importance_node(&imp, 2), imp.node + 18);
    assert_ptr_equal(nb_importance_edge(&imp, 1), imp.edge + 20);
    /* top: hidden layers 1 and 2 only */
    assert_null(nb_importance_top(&imp, 0));
    assert_null(nb_importance_top(&imp, 3));
    assert_ptr_equal(nb_importance_top(&imp, 1), imp.top);
    assert_ptr_equal(nb_importance_top(&imp, 2), imp.top + 12);
    assert_int_equal(imp.top_offset[4], 12 + 9);
    for (size_t i = 0; i < 21; i++)
        assert_int_equal(imp.top[i], -1);
    assert_true(isnan(imp.finetune_accuracy[0]) && isnan(imp.finetune_accuracy[1]));
    assert_string_equal(imp.method, "");

    imp.node[27] = 1.0f;
    imp.edge[37] = 0.5f;
    imp.top[20] = 7;
    imp.finetune_accuracy[1] = 0.75;
    snprintf(imp.method, sizeof imp.method, "bn-gamma");
    nb_importance c;
    assert_int_equal(nb_importance_copy(&c, &imp), NB_OK);
    assert_true(c.node[27] == 1.0f);
    assert_true(c.edge[37] == 0.5f);
    assert_int_equal(c.top[20], 7);
    nb_assert_same_double(c.finetune_accuracy[1], 0.75);
    assert_string_equal(c.method, "bn-gamma");
    nb_importance_deinit(&c);
    nb_importance_deinit(&imp);

    assert_int_equal(nb_importance_init(&imp, 4, sizes, 0), NB_OK);
    assert_null(nb_importance_top(&imp, 1));
    assert_non_null(imp.top); /* allocated even when empty */
    nb_importance_deinit(&imp);
    nb_expect_error(nb_importance_init(&imp, 1, sizes, 0), NB_E_INVALID, "importance", NULL);
}

static void test_bundle(void **state) {
    (void)state;
    nb_bundle_data b;
    assert_int_equal(nb_bundle_data_init(&b, 3, 7, 4, 11), NB_OK);
    assert_int_equal(b.n_nodes, 7);
    assert_int_equal(b.n_edges, 4);
    assert_int_equal(b.n_points, 11);
    assert_true(isnan(b.metrics.mean_distortion));
    assert_null(b.config_json);
    b.point_position[32] = 2.0f;
    b.edge_point_offset[4] = 11;
    b.layer_offset[3] = 7;
    b.edge_target[3] = 6;
    b.time_total = 1.5;
    b.config_json = strdup("{\"seed\": 1}");
    nb_bundle_data c;
    assert_int_equal(nb_bundle_data_copy(&c, &b), NB_OK);
    assert_true(c.point_position[32] == 2.0f);
    assert_int_equal(c.edge_point_offset[4], 11);
    assert_int_equal(c.layer_offset[3], 7);
    assert_int_equal(c.edge_target[3], 6);
    nb_assert_same_double(c.time_total, 1.5);
    assert_string_equal(c.config_json, "{\"seed\": 1}");
    assert_ptr_not_equal(c.config_json, b.config_json);
    nb_bundle_data_deinit(&c);
    nb_bundle_data_deinit(&b);

    /* no edges (everything pruned) is a valid bundle */
    assert_int_equal(nb_bundle_data_init(&b, 2, 3, 0, 0), NB_OK);
    assert_non_null(b.edge_source);
    assert_non_null(b.edge_point_offset);
    nb_bundle_data_deinit(&b);
    nb_expect_error(nb_bundle_data_init(&b, 2, SIZE_MAX / 2, 0, 0), NB_E_NOMEM, "bundle", NULL);
    assert_null(b.node_position);
}

static void test_model_deinit(void **state) {
    (void)state;
    nb_model m;
    memset(&m, 0, sizeof m);
    nb_model_deinit(&m);
    const size_t sizes[2] = {3, 2};
    assert_int_equal(nb_network_init(&m.network, 2, sizes), NB_OK);
    assert_int_equal(nb_importance_init(&m.importance, 2, sizes, 0), NB_OK);
    assert_int_equal(nb_bundle_data_init(&m.bundle, 2, 5, 6, 12), NB_OK);
    m.has_network = m.has_importance = m.has_bundle = true;
    nb_model_deinit(&m);
    assert_false(m.has_network);
    assert_null(m.network.weights);
    nb_model_deinit(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_network_init), cmocka_unit_test(test_network_init_errors),
        cmocka_unit_test(test_importance),   cmocka_unit_test(test_bundle),
        cmocka_unit_test(test_model_deinit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
