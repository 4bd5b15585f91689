/* test_gui_activation.c - one image forward for the activation view, display values. */

#include "nb_gui_activation.h"
#include "nb_test.h"

static void make_net(nb_network *net) {
    const size_t sizes[3] = {4, 3, 2};
    assert_int_equal(nb_network_init(net, 3, sizes), NB_OK);
    const float w0[12] = {1,  0, 0, 0, /* h0 = x0 */
                          0,  1, 1, 0, /* h1 = x1 + x2 - 0.5 */
                          -1, 0, 0, 0 /* h2 = relu(-x0) = 0 */};
    const float b0[3] = {0.0f, -0.5f, 0.0f};
    const float w1[6] = {1, 0, 0, /* o0 = h0 */
                         0, 2, 0 /* o1 = 2 h1 + 0.1 */};
    const float b1[2] = {0.0f, 0.1f};
    memcpy(nb_network_weight(net, 0), w0, sizeof w0);
    memcpy(nb_network_bias(net, 0), b0, sizeof b0);
    memcpy(nb_network_weight(net, 1), w1, sizeof w1);
    memcpy(nb_network_bias(net, 1), b1, sizeof b1);
}

static void test_forward_and_values(void **state) {
    (void)state;
    nb_network net;
    make_net(&net);
    float images[8] = {0.2f, 0.0f,  0.0f,  1.0f, /* image 0 */
                       0.5f, 0.75f, 0.25f, 0.0f /* image 1 */};
    uint8_t labels[2] = {0, 1};
    nb_dataset ds = {
        .n = 2, .rows = 2, .cols = 2, .dim = 4, .images = images, .labels = labels, .n_classes = 2};
    nb_gui_activation a;
    assert_int_equal(nb_gui_activation_init(&a, &net), NB_OK);
    assert_int_equal(a.n_nodes, 9);
    assert_int_equal(a.label, -1);
    assert_false(a.valid);
    assert_int_equal(nb_gui_activation_run(&a, &net, &ds, 1), NB_OK);
    assert_true(a.valid);
    assert_int_equal(a.image, 1);
    assert_int_equal(a.label, 1);
    /* raw: inputs, hidden (0.5, 0.5, 0), logits (0.5, 1.1) */
    const float raw[9] = {0.5f, 0.75f, 0.25f, 0.0f, 0.5f, 0.5f, 0.0f, 0.5f, 1.1f};
    for (int i = 0; i < 9; i++)
        nb_assert_near(a.raw[i], raw[i], 1e-6);
    nb_assert_near(a.value[1], 0.75, 1e-6);
    nb_assert_near(a.value[4], 1.0, 1e-6); /* layer maximum */
    nb_assert_near(a.value[5], 1.0, 1e-6);
    nb_assert_near(a.value[6], 0.0, 0.0);
    double p1 = 1.0 / (1.0 + exp(0.5 - 1.1));
    nb_assert_near(a.prob[1], p1, 1e-6);
    nb_assert_near(a.prob[0] + a.prob[1], 1.0, 1e-6);
    nb_assert_near(a.value[8], p1, 1e-6);
    assert_int_equal(a.predicted, 1);
    /* image 0: h = (0.2, 0, 0) -> logits (0.2, 0.1): class 0 */
    assert_int_equal(nb_gui_activation_run(&a, &net, &ds, 0), NB_OK);
    assert_int_equal(a.predicted, 0);
    nb_assert_near(a.value[4], 1.0, 1e-6);
    nb_assert_near(a.value[5], 0.0, 0.0);
    nb_gui_activation_deinit(&a);
    nb_gui_activation_deinit(&a); /* safe twice */
    nb_network_deinit(&net);
}

static void test_normalise_edge_cases(void **state) {
    (void)state;
    nb_network net;
    make_net(&net);
    /* input out of [0,1] is clamped; an all-negative hidden layer shows zeros */
    const float raw[9] = {-1.0f, 2.0f, 0.5f, 0.0f, -3.0f, -1.0f, -2.0f, 1000.0f, 1000.0f};
    float value[9], prob[2];
    nb_gui_activation_normalise(&net, raw, value, prob);
    nb_assert_near(value[0], 0.0, 0.0);
    nb_assert_near(value[1], 1.0, 0.0);
    nb_assert_near(value[2], 0.5, 0.0);
    for (int i = 4; i < 7; i++)
        nb_assert_near(value[i], 0.0, 0.0);
    /* huge equal logits: stable softmax */
    nb_assert_near(prob[0], 0.5, 1e-7);
    nb_assert_near(prob[1], 0.5, 1e-7);
    nb_network_deinit(&net);
}

static void test_errors_leave_state(void **state) {
    (void)state;
    nb_network net;
    make_net(&net);
    float images[8] = {0};
    nb_dataset ds = {.n = 2, .rows = 2, .cols = 2, .dim = 4, .images = images, .n_classes = 2};
    nb_gui_activation a;
    assert_int_equal(nb_gui_activation_init(&a, &net), NB_OK);
    assert_int_equal(nb_gui_activation_run(&a, &net, &ds, 0), NB_OK);
    assert_int_equal(a.label, -1); /* no labels */
    nb_error_clear();
    assert_int_equal(nb_gui_activation_run(&a, &net, &ds, 2), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "image");
    assert_int_equal(a.image, 0);
    ds.dim = 3;
    assert_int_equal(nb_gui_activation_run(&a, &net, &ds, 0), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "test set");
    ds.dim = 4;
    /* buffers made for another network */
    nb_network other;
    const size_t sizes[2] = {4, 2};
    assert_int_equal(nb_network_init(&other, 2, sizes), NB_OK);
    assert_int_equal(nb_gui_activation_run(&a, &other, &ds, 0), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "activation view");
    nb_network_deinit(&other);
    nb_gui_activation_deinit(&a);
    nb_network_deinit(&net);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_and_values),
        cmocka_unit_test(test_normalise_edge_cases),
        cmocka_unit_test(test_errors_leave_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
