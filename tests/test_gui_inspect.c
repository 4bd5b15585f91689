/* test_gui_inspect.c - picked-node details (edges, importance, top images) and image helpers. */

#include "nb_gui_inspect.h"
#include "nb_h5.h"
#include "nb_test.h"

/* 9-3-2 network; node (1, 1) = global 10 has known in/out weights, top images and two kept
 * incoming edges plus one kept outgoing edge in /bundle. */
static void make_model(nb_model *m) {
    memset(m, 0, sizeof *m);
    const size_t sizes[3] = {9, 3, 2};
    assert_int_equal(nb_network_init(&m->network, 3, sizes), NB_OK);
    m->has_network = true;
    float *w0 = nb_network_weight(&m->network, 0);
    const float row1[9] = {0.1f, -0.9f, 0.3f, 0.9f, 0.0f, -0.5f, 0.2f, 0.7f, -0.05f};
    memcpy(w0 + 9, row1, sizeof row1);
    nb_network_bias(&m->network, 0)[1] = 0.25f;
    float *w1 = nb_network_weight(&m->network, 1); /* [2][3] */
    w1[0 * 3 + 1] = 0.4f;
    w1[1 * 3 + 1] = -0.6f;
    assert_int_equal(nb_importance_init(&m->importance, 3, sizes, 4), NB_OK);
    m->has_importance = true;
    float *n1 = nb_importance_node(&m->importance, 1);
    n1[1 * 2 + 0] = 0.6f;
    n1[1 * 2 + 1] = 0.8f;
    int32_t *top = nb_importance_top(&m->importance, 1);
    assert_non_null(top);
    const int32_t t1[4] = {5, -1, 7, 2};
    memcpy(top + 1 * 4, t1, sizeof t1);
    assert_int_equal(nb_bundle_data_init(&m->bundle, 3, 14, 4, 8), NB_OK);
    m->has_bundle = true;
    const int64_t off[4] = {0, 9, 12, 14};
    memcpy(m->bundle.layer_offset, off, sizeof off);
    const uint32_t src[4] = {1, 7, 0, 10}, dst[4] = {10, 10, 9, 13};
    memcpy(m->bundle.edge_source, src, sizeof src);
    memcpy(m->bundle.edge_target, dst, sizeof dst);
}

static void test_locate(void **state) {
    (void)state;
    nb_model m;
    make_model(&m);
    size_t l, i;
    assert_true(nb_gui_inspect_locate(&m.network, 0, &l, &i));
    assert_true(l == 0 && i == 0);
    assert_true(nb_gui_inspect_locate(&m.network, 10, &l, &i));
    assert_true(l == 1 && i == 1);
    assert_true(nb_gui_inspect_locate(&m.network, 13, &l, &i));
    assert_true(l == 2 && i == 1);
    assert_false(nb_gui_inspect_locate(&m.network, 14, &l, &i));
    assert_int_equal(nb_gui_inspect_global(&m.network, 1, 1), 10);
    assert_int_equal(nb_gui_inspect_global(&m.network, 2, 0), 12);
    nb_model_deinit(&m);
}

static void test_hidden_node(void **state) {
    (void)state;
    nb_model m;
    make_model(&m);
    nb_gui_node_info info;
    assert_int_equal(nb_gui_inspect_node(&m, 10, &info), NB_OK);
    assert_int_equal(info.layer, 1);
    assert_int_equal(info.index, 1);
    assert_true(info.hidden);
    assert_true(info.has_input_image);
    nb_assert_near(info.bias, 0.25, 0.0);
    assert_int_equal(info.n_classes, 2);
    nb_assert_near(info.importance[1], 0.8, 1e-7);
    nb_assert_near(info.importance_norm, 1.0, 1e-6);
    nb_assert_near(info.importance_mean, 0.7, 1e-6);
    /* strongest incoming: |-0.9| (i=1) then 0.9 (i=3, tie after the lower index), 0.7, -0.5,
     * 0.3; capped at five */
    assert_int_equal(info.n_in, NB_GUI_INSPECT_EDGES);
    const size_t in_idx[5] = {1, 3, 7, 5, 2};
    const float in_w[5] = {-0.9f, 0.9f, 0.7f, -0.5f, 0.3f};
    const bool in_kept[5] = {true, false, true, false, false};
    for (int k = 0; k < 5; k++) {
        assert_int_equal(info.in[k].index, in_idx[k]);
        assert_int_equal(info.in[k].node, in_idx[k]);
        assert_int_equal(info.in[k].layer, 0);
        nb_assert_near(info.in[k].weight, in_w[k], 0.0);
        assert_int_equal(info.in[k].kept, in_kept[k]);
    }
    assert_int_equal(info.n_out, 2);
    assert_int_equal(info.out[0].node, 13);
    nb_assert_near(info.out[0].weight, -0.6, 1e-7);
    assert_true(info.out[0].kept);
    assert_int_equal(info.out[1].node, 12);
    assert_false(info.out[1].kept);
    /* top images: -1 entries skipped, order kept */
    assert_int_equal(info.n_top, 3);
    assert_int_equal(info.top[0], 5);
    assert_int_equal(info.top[1], 7);
    assert_int_equal(info.top[2], 2);
    /* without /bundle every listed edge counts as drawn */
    m.has_bundle = false;
    assert_int_equal(nb_gui_inspect_node(&m, 10, &info), NB_OK);
    assert_true(info.in[1].kept);
    m.has_bundle = true;
    nb_model_deinit(&m);
}

static void test_input_and_output_nodes(void **state) {
    (void)state;
    nb_model m;
    make_model(&m);
    nb_gui_node_info info;
    assert_int_equal(nb_gui_inspect_node(&m, 3, &info), NB_OK);
    assert_int_equal(info.layer, 0);
    assert_false(info.hidden);
    assert_false(info.has_input_image);
    assert_int_equal(info.n_in, 0);
    assert_int_equal(info.n_top, 0);
    assert_int_equal(info.n_out, 3); /* all of layer 1, row 1 strongest (0.9) */
    assert_int_equal(info.out[0].node, 10);
    nb_assert_near(info.out[0].weight, 0.9, 1e-7);
    assert_int_equal(nb_gui_inspect_node(&m, 12, &info), NB_OK);
    assert_int_equal(info.layer, 2);
    assert_false(info.hidden);
    assert_int_equal(info.n_out, 0);
    assert_int_equal(info.n_in, 3);
    assert_int_equal(info.in[0].node, 10); /* 0.4 beats the zero weights */
    /* without importance */
    m.has_importance = false;
    assert_int_equal(nb_gui_inspect_node(&m, 10, &info), NB_OK);
    assert_null(info.importance);
    assert_int_equal(info.n_top, 0);
    m.has_importance = true;
    nb_model_deinit(&m);
}

static void test_errors(void **state) {
    (void)state;
    nb_model m;
    make_model(&m);
    nb_gui_node_info info;
    memset(&info, 0x5a, sizeof info);
    nb_gui_node_info before = info;
    nb_error_clear();
    assert_int_equal(nb_gui_inspect_node(&m, 14, &info), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "node");
    assert_memory_equal(&info, &before, sizeof info);
    m.has_network = false;
    assert_int_equal(nb_gui_inspect_node(&m, 0, &info), NB_E_MISSING);
    assert_string_equal(nb_error_subject(), "/network");
    m.has_network = true;
    nb_model_deinit(&m);
}

static void test_input_weights_shape(void **state) {
    (void)state;
    nb_model m;
    make_model(&m);
    size_t w = 0, h = 0;
    const float *p = nb_gui_inspect_input_weights(&m.network, 1, &w, &h);
    assert_non_null(p);
    assert_int_equal(w, 3);
    assert_int_equal(h, 3);
    nb_assert_near(p[1], -0.9, 1e-7);
    assert_null(nb_gui_inspect_input_weights(&m.network, 3, &w, &h));
    nb_model_deinit(&m);
    nb_network net;
    const size_t sizes[2] = {784, 2}, odd[2] = {6, 2};
    assert_int_equal(nb_network_init(&net, 2, sizes), NB_OK);
    assert_non_null(nb_gui_inspect_input_weights(&net, 0, &w, &h));
    assert_true(w == 28 && h == 28);
    nb_network_deinit(&net);
    assert_int_equal(nb_network_init(&net, 2, odd), NB_OK);
    assert_non_null(nb_gui_inspect_input_weights(&net, 1, &w, &h));
    assert_true(w == 6 && h == 1);
    nb_network_deinit(&net);
}

static void test_images(void **state) {
    (void)state;
    const float g[4] = {0.0f, 1.0f, 0.5f, 2.0f};
    uint8_t rgba[16];
    nb_gui_image_gray_rgba(g, 4, rgba);
    assert_int_equal(rgba[0], 0);
    assert_int_equal(rgba[4], 255);
    assert_int_equal(rgba[8], 128);  /* lround(127.5) */
    assert_int_equal(rgba[12], 255); /* clamped */
    for (int i = 0; i < 4; i++)
        assert_int_equal(rgba[4 * i + 3], 255);
    const float v[4] = {-2.0f, 0.0f, 2.0f, 1.0f};
    float mx = 0.0f;
    nb_gui_image_diverging_rgba(v, 4, rgba, &mx);
    nb_assert_near(mx, 2.0, 0.0);
    assert_int_equal(rgba[0], 33);  /* 0.13 * 255 */
    assert_int_equal(rgba[2], 171); /* 0.67 * 255 */
    assert_int_equal(rgba[4], 255); /* zero: white */
    assert_int_equal(rgba[5], 255);
    assert_int_equal(rgba[8], 179); /* 0.70 * 255 */
    assert_int_equal(rgba[9], 23);
    assert_int_equal(rgba[13], 139); /* half way to red: 255 (1 + 0.09) / 2 */
    const float z[2] = {0.0f, 0.0f};
    nb_gui_image_diverging_rgba(z, 2, rgba, NULL);
    assert_int_equal(rgba[0], 255);
    assert_int_equal(rgba[6], 255);
}

/* An output node is named by its class (/network class_names) in the panel's heading; hidden
 * and input nodes are not; default names "0".."C-1" are not repeated after the index. */
static void test_titles_and_class_names(void **state) {
    (void)state;
    nb_model m;
    make_model(&m);
    assert_int_equal(nb_network_set_class_name(&m.network, 1, "Trouser"), NB_OK);
    nb_gui_node_info info;
    char title[256];
    assert_int_equal(nb_gui_inspect_node(&m, 13, &info), NB_OK); /* output node 2:1 */
    assert_non_null(info.class_name);
    assert_string_equal(info.class_name, "Trouser");
    nb_gui_inspect_title(&info, title, sizeof title);
    assert_string_equal(title, "Node 2:1 (output, class 1 \"Trouser\", id 13)");
    assert_int_equal(nb_gui_inspect_node(&m, 12, &info), NB_OK); /* output 2:0, name "0" */
    assert_string_equal(info.class_name, "0");
    nb_gui_inspect_title(&info, title, sizeof title);
    assert_string_equal(title, "Node 2:0 (output, class 0, id 12)");
    assert_int_equal(nb_gui_inspect_node(&m, 10, &info), NB_OK);
    assert_null(info.class_name);
    nb_gui_inspect_title(&info, title, sizeof title);
    assert_string_equal(title, "Node 1:1 (hidden, id 10)");
    assert_int_equal(nb_gui_inspect_node(&m, 4, &info), NB_OK);
    assert_null(info.class_name);
    nb_gui_inspect_title(&info, title, sizeof title);
    assert_string_equal(title, "Node 0:4 (input, id 4)");
    /* truncation keeps a terminated string */
    assert_int_equal(nb_gui_inspect_node(&m, 13, &info), NB_OK);
    char small[12];
    nb_gui_inspect_title(&info, small, sizeof small);
    assert_string_equal(small, "Node 2:1 (o");
    /* chart labels: "c NAME", or the index alone */
    char label[64];
    const char *const *names = (const char *const *)m.network.class_names;
    nb_gui_inspect_class_label(names, 2, 1, label, sizeof label);
    assert_string_equal(label, "1 Trouser");
    nb_gui_inspect_class_label(names, 2, 0, label, sizeof label);
    assert_string_equal(label, "0");
    nb_gui_inspect_class_label(names, 2, 5, label, sizeof label); /* beyond the names */
    assert_string_equal(label, "5");
    nb_gui_inspect_class_label(NULL, 0, 3, label, sizeof label);
    assert_string_equal(label, "3");
    const char *const empty[1] = {""};
    nb_gui_inspect_class_label(empty, 1, 0, label, sizeof label);
    assert_string_equal(label, "0");
    nb_model_deinit(&m);
}

/* A CNN (tests/data/small_cnn.nnb.h5): convolution nodes are channels, a first-layer
 * channel's input image is its kernel, a dense node after the flatten is a node. */
static void test_operator_network(void **state) {
    (void)state;
    char path[4096];
    nb_test_source_path(path, sizeof path, "tests/data/small_cnn.nnb.h5");
    nb_model m;
    assert_int_equal(nb_h5_load(path, &m), NB_OK);
    const nb_network *net = &m.network;
    nb_gui_node_info info;
    char title[256];
    assert_int_equal(nb_gui_inspect_node(&m, 0, &info), NB_OK);
    assert_true(info.channel);
    nb_gui_inspect_title(&info, title, sizeof title);
    assert_string_equal(title, "Channel 0:0 (input, id 0)");
    assert_int_equal(nb_gui_inspect_node(&m, 1 + 3, &info), NB_OK);
    assert_true(info.channel && info.hidden && info.has_input_image);
    assert_string_equal(info.kind, "conv2d");
    nb_gui_inspect_title(&info, title, sizeof title);
    assert_string_equal(title, "Channel 1:3 (hidden conv2d, id 4)");
    assert_int_equal(nb_gui_inspect_node(&m, 1 + 8 + 16 + 5, &info), NB_OK);
    assert_false(info.channel);
    nb_gui_inspect_title(&info, title, sizeof title);
    assert_string_equal(title, "Node 3:5 (hidden dense, id 30)");
    /* channel 3's kernel: 3x3, one input channel */
    float *v = NULL;
    size_t w = 0, h = 0;
    assert_int_equal(nb_gui_inspect_input_image(net, 3, &v, &w, &h), NB_OK);
    assert_int_equal(w, 3);
    assert_int_equal(h, 3);
    assert_memory_equal(v, net->ops[0].weight + 3 * 9, 9 * sizeof(float));
    free(v);
    nb_error_clear();
    nb_expect_error(nb_gui_inspect_input_image(net, 8, &v, &w, &h), NB_E_INVALID, "node",
                    "no input weights for node 1:8");
    nb_model_deinit(&m);
}

/* Three CHW planes are red, green and blue; one plane is grey. */
static void test_chw_images(void **state) {
    (void)state;
    const float rgb[6] = {1.0f, 0.0f, 0.0f, 1.0f, 0.5f, 2.0f}; /* 2 pixels x 3 planes */
    uint8_t px[8];
    nb_gui_image_chw_rgba(rgb, 3, 2, px);
    const uint8_t want[8] = {255, 0, 128, 255, 0, 255, 255, 255};
    assert_memory_equal(px, want, 8);
    nb_gui_image_chw_rgba(rgb, 1, 2, px);
    const uint8_t grey[8] = {255, 255, 255, 255, 0, 0, 0, 255};
    assert_memory_equal(px, grey, 8);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locate),
        cmocka_unit_test(test_hidden_node),
        cmocka_unit_test(test_input_and_output_nodes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_input_weights_shape),
        cmocka_unit_test(test_images),
        cmocka_unit_test(test_titles_and_class_names),
        cmocka_unit_test(test_operator_network),
        cmocka_unit_test(test_chw_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
