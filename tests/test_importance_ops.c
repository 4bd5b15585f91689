/* test_importance_ops.c - importance, pruning and evaluation on a network with operators.
 *
 * A hand-wired CNN whose answer is known: RGB 4x4 images, class k has channel k bright.
 * conv 1x1 (3 -> 3, identity) -> batch norm (folded by bn-gamma) -> ReLU -> max pool 2 ->
 * flatten -> dense 3 (node j sums channel j's block) -> ReLU -> dense 3 (x4, identity) ->
 * softmax. Node layers: input channels (3), conv channels (3), dense (3), classes (3).
 * Checks: the fine-tune chain of nb_slimming reproduces the network (folded batch norm, the
 * 2-unit head), bn-gamma makes conv channel k important for class k only, the same result at
 * 1 and 2 threads, top-activating images are those of the largest channel mean, pruning a
 * graph edge zeroes its kernel slice or input block, evaluation through the engine's forward
 * pass, and a .nnb.h5 round trip of nb_graph_build's network.
 */
#include <omp.h>
#include <unistd.h>

#include "nb_bn.h"
#include "nb_evaluate.h"
#include "nb_graph.h"
#include "nb_h5.h"
#include "nb_importance.h"
#include "nb_layers.h"
#include "nb_prune.h"
#include "nb_rng.h"
#include "nb_slimming.h"
#include "nb_test.h"

enum { C = 3, H = 4, W = 4, DIM = C * H * W };

/* Class k: channel k = 1 everywhere, then uniform noise in [0, 0.1) on every value. */
static nb_dataset make_data(size_t n, uint64_t seed) {
    nb_dataset ds = {0};
    ds.n = n;
    ds.channels = C;
    ds.rows = H;
    ds.cols = W;
    ds.dim = DIM;
    ds.images = calloc(n * DIM, sizeof(float));
    ds.labels = calloc(n, 1);
    ds.n_classes = C;
    assert_non_null(ds.images);
    assert_non_null(ds.labels);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    for (size_t k = 0; k < n; k++) {
        size_t c = k % C;
        ds.labels[k] = (uint8_t)c;
        for (size_t i = 0; i < DIM; i++)
            ds.images[k * DIM + i] =
                (float)(0.1 * nb_rng_uniform(&rng)) + (i / (H * W) == c ? 1.0f : 0.0f);
    }
    return ds;
}

static float *filled(size_t n, float v) {
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = v;
    return x;
}

static nb_op window_op(nb_op_kind kind, size_t k) {
    nb_op op = {.kind = kind, .kernel_h = k, .kernel_w = k, .stride_h = k, .stride_w = k};
    op.dilation_h = op.dilation_w = 1;
    return op;
}

/* The wired CNN, graph view built. bn_after_relu moves the batch norm behind the ReLU (a
 * place bn-gamma cannot fold it). */
static nb_network make_cnn(bool bn_after_relu) {
    nb_op ops[9];
    size_t n = 0;
    nb_op conv = window_op(NB_OP_CONV2D, 1);
    conv.out_c = C;
    conv.weight = filled(C * C, 0.0f);
    for (size_t o = 0; o < C; o++)
        conv.weight[o * C + o] = 1.0f;
    conv.bias = filled(C, 0.0f);
    nb_op bn = {.kind = NB_OP_BATCHNORM, .eps = 1e-5f};
    bn.gamma = filled(C, 2.0f);
    bn.beta = filled(C, 0.0f);
    bn.mean = filled(C, 0.25f);
    bn.var = filled(C, 1.0f);
    ops[n++] = conv;
    if (!bn_after_relu)
        ops[n++] = bn;
    ops[n++] = (nb_op){.kind = NB_OP_RELU};
    if (bn_after_relu)
        ops[n++] = bn;
    ops[n++] = window_op(NB_OP_MAXPOOL, 2);
    ops[n++] = (nb_op){.kind = NB_OP_FLATTEN};
    nb_op d1 = {.kind = NB_OP_DENSE, .out_c = C};
    d1.weight = filled(C * C * 4, 0.0f);
    for (size_t j = 0; j < C; j++)
        for (size_t p = 0; p < 4; p++)
            d1.weight[j * C * 4 + j * 4 + p] = 1.0f;
    d1.bias = filled(C, 0.0f);
    ops[n++] = d1;
    ops[n++] = (nb_op){.kind = NB_OP_RELU};
    nb_op d2 = {.kind = NB_OP_DENSE, .out_c = C};
    d2.weight = filled(C * C, 0.0f);
    for (size_t j = 0; j < C; j++)
        d2.weight[j * C + j] = 4.0f;
    d2.bias = filled(C, 0.0f);
    d2.bias[2] = 0.01f; /* class 2 wins an all-zero input */
    ops[n++] = d2;
    ops[n++] = (nb_op){.kind = NB_OP_SOFTMAX};
    nb_network net;
    memset(&net, 0, sizeof net);
    net.in_c = C;
    net.in_h = H;
    net.in_w = W;
    net.ops = calloc(n, sizeof *net.ops);
    assert_non_null(net.ops);
    memcpy(net.ops, ops, n * sizeof *ops);
    net.n_ops = n;
    assert_int_equal(nb_graph_build(&net), NB_OK);
    return net;
}

static nb_importance_settings tiny_settings(void) {
    nb_importance_settings s = {0};
    s.method = NB_IMPORTANCE_BN_GAMMA;
    s.epochs = 150;
    s.learning_rate = 0.01;
    s.batch_size = 64;
    s.top_k = 3;
    s.seed = 7;
    return s;
}

/* ---- the fine-tune chain ---------------------------------------------------------------- */

static void test_slimming_chain(void **state) {
    (void)state;
    nb_network net = make_cnn(false);
    assert_int_equal(net.n_layers, 4);
    nb_slimming_net sl;
    assert_int_equal(nb_slimming_init(&sl, &net), NB_OK);
    /* bn conv relu bn maxpool flatten dense relu bn dense(head): the network's batch norm
     * folded into the conv, the softmax dropped */
    const nb_op_kind want[] = {NB_OP_BATCHNORM, NB_OP_CONV2D,  NB_OP_RELU,  NB_OP_BATCHNORM,
                               NB_OP_MAXPOOL,   NB_OP_FLATTEN, NB_OP_DENSE, NB_OP_RELU,
                               NB_OP_BATCHNORM, NB_OP_DENSE};
    assert_int_equal(sl.net.n_ops, sizeof want / sizeof want[0]);
    for (size_t k = 0; k < sl.net.n_ops; k++)
        assert_int_equal(sl.net.ops[k].kind, want[k]);
    assert_int_equal(sl.n_params, 9);
    assert_int_equal(sl.bn_op[0], 0);
    assert_int_equal(sl.bn_op[1], 3);
    assert_int_equal(sl.bn_op[2], 8);
    assert_int_equal(sl.head_op, 9);
    assert_int_equal(sl.net.ops[3].in_c, 3); /* per channel, before the pooling */
    assert_int_equal(sl.net.ops[3].in_h, 4);
    /* with gamma = sqrt(1 + eps) the inserted batch norms are the identity in inference
     * mode, so the chain gives (z_c, sum of the other z) for the network's logits z */
    nb_dataset ds = make_data(9, 3);
    float z[9 * C], y[9 * 2];
    assert_int_equal(nb_layers_forward(&net, ds.images, 9, z, NULL), NB_OK);
    for (size_t cls = 0; cls < C; cls++) {
        nb_slimming_reset(&sl, cls, sqrtf(1.0f + NB_BN_EPS));
        assert_int_equal(nb_layers_forward(&sl.net, ds.images, 9, y, NULL), NB_OK);
        for (size_t r = 0; r < 9; r++) {
            double rest = 0.0;
            for (size_t c = 0; c < C; c++)
                rest += c == cls ? 0.0 : (double)z[r * C + c];
            nb_assert_close(y[2 * r], z[r * C + cls], 1e-5, 1e-6);
            nb_assert_close(y[2 * r + 1], rest, 1e-5, 1e-6);
        }
    }
    float gamma[9];
    nb_slimming_reset(&sl, 0, 1.0f);
    nb_slimming_gamma(&sl, gamma);
    for (size_t k = 0; k < 9; k++)
        assert_true(gamma[k] == 1.0f);
    nb_slimming_deinit(&sl);
    nb_slimming_deinit(&sl); /* twice: a zeroed struct */
    free(ds.images);
    free(ds.labels);
    nb_network_deinit(&net);
}

static void test_slimming_refuses(void **state) {
    (void)state;
    nb_network net = make_cnn(true);
    nb_slimming_net sl;
    nb_error_clear();
    nb_expect_error(nb_slimming_init(&sl, &net), NB_E_UNSUPPORTED, "operator 2 (batchnorm)",
                    "follows relu");
    assert_null(sl.bn_op);
    nb_network_deinit(&net);
    size_t sizes[2] = {3, 2};
    assert_int_equal(nb_network_init(&net, 2, sizes), NB_OK);
    nb_expect_error(nb_slimming_init(&sl, &net), NB_E_INVALID, "network", "no operators");
    nb_network_deinit(&net);
}

/* ---- bn-gamma --------------------------------------------------------------------------- */

static void test_bn_gamma_channel_of_its_class(void **state) {
    (void)state;
    nb_network net = make_cnn(false);
    nb_dataset train = make_data(600, 1), test = make_data(150, 2);
    nb_importance_settings s = tiny_settings();
    nb_importance imp;
    assert_int_equal(nb_importance_compute(&s, &net, &train, &test, NULL, NULL, &imp), NB_OK);
    assert_string_equal(imp.method, "bn-gamma");
    assert_int_equal(imp.n_layers, 4);
    /* conv channel j and dense node j matter for class j only (the normalisation is over
     * the layer and all classes, so a class whose gammas grew less reads lower) */
    for (size_t l = 1; l <= 2; l++) {
        const float *node = nb_importance_node(&imp, l);
        for (size_t j = 0; j < C; j++)
            for (size_t c = 0; c < C; c++) {
                float v = node[j * C + c];
                if (c == j)
                    assert_true(v > 0.2f);
                else
                    assert_true(v < 0.05f);
            }
    }
    for (size_t c = 0; c < C; c++)
        nb_assert_near(imp.finetune_accuracy[c], 1.0, 1e-12);
    /* top images of conv channel j are images of class j */
    const int32_t *top = nb_importance_top(&imp, 1);
    for (size_t j = 0; j < C; j++)
        for (size_t k = 0; k < 3; k++)
            assert_int_equal(test.labels[top[j * 3 + k]], j);
    nb_importance_deinit(&imp);
    free(train.images);
    free(train.labels);
    free(test.images);
    free(test.labels);
    nb_network_deinit(&net);
}

/* activation (the default) on operators: conv channel j and dense node j matter for class j
 * only; the same at 1 and 2 threads; the gradient methods refuse operators. */
static void test_activation_on_operators(void **state) {
    (void)state;
    nb_network net = make_cnn(false);
    nb_dataset train = make_data(300, 5), test = make_data(60, 6);
    nb_importance_settings s = {0}; /* the default method */
    nb_importance a, b;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    assert_int_equal(nb_importance_compute(&s, &net, &train, &test, NULL, NULL, &a), NB_OK);
    omp_set_num_threads(2);
    assert_int_equal(nb_importance_compute(&s, &net, &train, &test, NULL, NULL, &b), NB_OK);
    omp_set_num_threads(saved);
    assert_string_equal(a.method, "activation");
    assert_memory_equal(a.node, b.node, a.node_offset[a.n_layers] * sizeof(float));
    assert_memory_equal(a.edge, b.edge, a.edge_offset[a.n_layers - 1] * sizeof(float));
    for (size_t l = 0; l <= 2; l++) {
        const float *node = nb_importance_node(&a, l);
        for (size_t j = 0; j < C; j++)
            for (size_t c = 0; c < C; c++) {
                if (c == j)
                    assert_true(node[j * C + c] > 0.5f);
                else
                    assert_true(node[j * C + c] < 0.2f);
            }
    }
    s.method = NB_IMPORTANCE_TAYLOR;
    nb_importance t;
    assert_int_equal(nb_importance_compute(&s, &net, &train, &test, NULL, NULL, &t), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "network");
    nb_importance_deinit(&a);
    nb_importance_deinit(&b);
    free(train.images);
    free(train.labels);
    free(test.images);
    free(test.labels);
    nb_network_deinit(&net);
}

static void test_bn_gamma_threads_and_centering(void **state) {
    (void)state;
    nb_network net = make_cnn(false);
    nb_dataset train = make_data(150, 3), test = make_data(60, 4);
    nb_importance_settings s = tiny_settings();
    s.epochs = 3;
    s.batch_size = 16;
    s.flags = "gamma,l1,l2,centering";
    int saved = omp_get_max_threads();
    nb_importance a, b;
    omp_set_num_threads(1);
    assert_int_equal(nb_importance_compute(&s, &net, &train, &test, NULL, NULL, &a), NB_OK);
    omp_set_num_threads(2);
    assert_int_equal(nb_importance_compute(&s, &net, &train, &test, NULL, NULL, &b), NB_OK);
    omp_set_num_threads(saved);
    assert_memory_equal(a.node, b.node, a.node_offset[4] * sizeof(float));
    assert_memory_equal(a.top, b.top, a.top_offset[4] * sizeof(int32_t));
    assert_memory_equal(a.finetune_accuracy, b.finetune_accuracy, C * sizeof(double));
    nb_importance_deinit(&a);
    nb_importance_deinit(&b);
    /* a network bn-gamma cannot fine-tune is refused naming the operator */
    nb_network bad = make_cnn(true);
    nb_error_clear();
    nb_expect_error(nb_importance_compute(&s, &bad, &train, &test, NULL, NULL, &a),
                    NB_E_UNSUPPORTED, "operator 2 (batchnorm)", "right after a dense or conv2d");
    nb_network_deinit(&bad);
    /* data of the wrong shape */
    test.channels = 1;
    test.rows = 1;
    test.cols = 47;
    test.dim = 47;
    nb_expect_error(nb_importance_compute(&s, &net, &train, &test, NULL, NULL, &a), NB_E_MISMATCH,
                    "test set", "the network's input is 3x4x4");
    free(train.images);
    free(train.labels);
    free(test.images);
    free(test.labels);
    nb_network_deinit(&net);
}

/* Magnitude's top images of a conv channel: the largest spatial means, by brute force. */
static void test_top_images_per_channel(void **state) {
    (void)state;
    nb_network net = make_cnn(false);
    nb_dataset test = make_data(30, 5);
    nb_importance_settings s = tiny_settings();
    s.method = NB_IMPORTANCE_MAGNITUDE;
    nb_importance imp;
    assert_int_equal(nb_importance_compute(&s, &net, NULL, &test, NULL, NULL, &imp), NB_OK);
    size_t width = nb_network_n_nodes(&net);
    float *act = malloc(30 * width * sizeof *act), logits[30 * C];
    assert_int_equal(nb_layers_forward(&net, test.images, 30, logits, act), NB_OK);
    const int32_t *top = nb_importance_top(&imp, 1);
    for (size_t j = 0; j < C; j++) {
        float best = -INFINITY;
        int32_t arg = -1;
        for (size_t r = 0; r < 30; r++)
            if (act[r * width + C + j] > best) {
                best = act[r * width + C + j];
                arg = (int32_t)r;
            }
        assert_int_equal(top[j * 3], arg);
    }
    free(act);
    nb_importance_deinit(&imp);
    free(test.images);
    free(test.labels);
    nb_network_deinit(&net);
}

/* ---- pruning and evaluation ------------------------------------------------------------- */

static void test_prune_apply_ops(void **state) {
    (void)state;
    nb_network net = make_cnn(false), pruned;
    /* give every weight a non-zero value so zeroed blocks show */
    for (size_t k = 0; k < net.n_ops; k++)
        for (size_t i = 0; net.ops[k].weight && i < nb_op_weight_count(&net.ops[k]); i++)
            net.ops[k].weight[i] = 1.0f + (float)i;
    assert_int_equal(nb_graph_build(&net), NB_OK);
    assert_int_equal(nb_network_copy(&pruned, &net), NB_OK);
    size_t E = nb_network_n_edges(&net); /* 9 + 9 + 9 */
    assert_int_equal(E, 27);
    uint8_t keep[27];
    memset(keep, 1, sizeof keep);
    keep[1 * 3 + 2] = 0;      /* conv: out channel 1 <- in channel 2 */
    keep[9 + 2 * 3 + 1] = 0;  /* dense after the flatten: node 2 <- channel 1 */
    keep[18 + 0 * 3 + 2] = 0; /* dense: class 0 <- node 2 */
    assert_int_equal(nb_prune_apply_ops(&net, keep, &pruned), NB_OK);
    const nb_op *conv = &pruned.ops[0], *d1 = &pruned.ops[5], *d2 = &pruned.ops[7];
    assert_int_equal(d1->kind, NB_OP_DENSE);
    for (size_t i = 0; i < 9; i++)
        assert_true((conv->weight[i] == 0.0f) == (i == 1 * 3 + 2));
    for (size_t i = 0; i < 36; i++) /* block of 4 = channel 1's pooled 2x2 */
        assert_true((d1->weight[i] == 0.0f) == (i >= 2 * 12 + 4 && i < 2 * 12 + 8));
    for (size_t i = 0; i < 9; i++)
        assert_true((d2->weight[i] == 0.0f) == (i == 2));
    assert_true(nb_network_weight(&pruned, 0)[5] == 0.0f);
    assert_true(nb_network_weight(&pruned, 0)[4] == nb_network_weight(&net, 0)[4]);
    /* keeping everything restores the weights */
    memset(keep, 1, sizeof keep);
    assert_int_equal(nb_prune_apply_ops(&net, keep, &pruned), NB_OK);
    assert_memory_equal(conv->weight, net.ops[0].weight, 9 * sizeof(float));
    nb_network_deinit(&pruned);
    /* another chain is refused */
    size_t sizes[2] = {3, 2};
    assert_int_equal(nb_network_init(&pruned, 2, sizes), NB_OK);
    nb_error_clear();
    nb_expect_error(nb_prune_apply_ops(&net, keep, &pruned), NB_E_INVALID, "prune operators",
                    "expected the same chain");
    nb_network_deinit(&pruned);
    nb_network_deinit(&net);
}

static void test_evaluate_cnn(void **state) {
    (void)state;
    nb_network net = make_cnn(false);
    nb_dataset test = make_data(60, 6);
    nb_importance imp;
    nb_importance_settings s = tiny_settings();
    s.method = NB_IMPORTANCE_MAGNITUDE;
    assert_int_equal(nb_importance_compute(&s, &net, NULL, NULL, NULL, NULL, &imp), NB_OK);
    const double levels[2] = {0.0, 1.0};
    nb_evaluate_set set = {.name = "test", .source = "synthetic", .data = &test};
    nb_evaluate_desc d = {.levels = levels, .n_levels = 2, .methods = 1u << NB_EVALUATE_ALPHA};
    nb_evaluate_result r;
    assert_int_equal(nb_evaluate_run(&net, &imp, &set, 1, &d, &r), NB_OK);
    assert_int_equal(r.n_points, 2);
    nb_assert_near(r.accuracy[0], 1.0, 0.0);         /* the wired network is right */
    nb_assert_near(r.accuracy[1], 1.0 / 3.0, 1e-12); /* no weights: the bias picks class 2 */
    nb_assert_near(r.recall[1 * C + 2], 1.0, 0.0);
    nb_evaluate_result_deinit(&r);
    /* images of another shape are refused naming the data */
    test.channels = 1;
    test.rows = 6;
    test.cols = 8;
    nb_error_clear();
    nb_expect_error(nb_evaluate_check_set(&net, &set), NB_E_MISMATCH, "synthetic",
                    "the network's input is 3x4x4");
    nb_importance_deinit(&imp);
    free(test.images);
    free(test.labels);
    nb_network_deinit(&net);
}

/* nb_graph_build's network passes the file's checks and reads back the same. */
static void test_file_round_trip(void **state) {
    (void)state;
    nb_model m = {.has_network = true}, r;
    m.network = make_cnn(false);
    assert_int_equal(nb_h5_save("imp_ops.nnb.h5", &m), NB_OK);
    assert_int_equal(nb_h5_load("imp_ops.nnb.h5", &r), NB_OK);
    assert_int_equal(r.network.n_ops, m.network.n_ops);
    assert_int_equal(r.network.n_layers, 4);
    for (size_t k = 0; k < m.network.n_ops; k++) {
        assert_int_equal(r.network.ops[k].kind, m.network.ops[k].kind);
        assert_int_equal(r.network.ops[k].out_c, m.network.ops[k].out_c);
        assert_int_equal(r.network.ops[k].out_h, m.network.ops[k].out_h);
    }
    assert_memory_equal(r.network.weights, m.network.weights,
                        nb_network_n_edges(&m.network) * sizeof(float));
    nb_model_deinit(&r);
    nb_model_deinit(&m);
    unlink("imp_ops.nnb.h5");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slimming_chain),
        cmocka_unit_test(test_slimming_refuses),
        cmocka_unit_test(test_bn_gamma_channel_of_its_class),
        cmocka_unit_test(test_bn_gamma_threads_and_centering),
        cmocka_unit_test(test_activation_on_operators),
        cmocka_unit_test(test_top_images_per_channel),
        cmocka_unit_test(test_prune_apply_ops),
        cmocka_unit_test(test_evaluate_cnn),
        cmocka_unit_test(test_file_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
