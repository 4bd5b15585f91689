/* test_graph.c - nb_graph: shape inference over operator chains, the graph view (node layers,
 * L1 kernel magnitudes, flatten blocks), MACs and parameter counts, and every refusal. */
#include "nb_test.h"

#include "nb_graph.h"

/* A network with n operators of the given kinds on an in_c x in_h x in_w input; every DENSE
 * and CONV2D gets out_c from `outs` (in order) and, for CONV2D and pooling, a 3x3 (conv,
 * padding 1) or 2x2 stride-2 (pool) window. Weights are allocated after shape inference. */
static nb_network chain(size_t in_c, size_t in_h, size_t in_w, const nb_op_kind *kinds, size_t n,
                        const size_t *outs) {
    nb_network net = {0};
    net.in_c = in_c;
    net.in_h = in_h;
    net.in_w = in_w;
    net.n_ops = n;
    net.ops = calloc(n, sizeof *net.ops);
    assert_non_null(net.ops);
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        nb_op *op = &net.ops[k];
        op->kind = kinds[k];
        op->dilation_h = op->dilation_w = 1;
        if (kinds[k] == NB_OP_DENSE || kinds[k] == NB_OP_CONV2D)
            op->out_c = outs[o++];
        if (kinds[k] == NB_OP_CONV2D) {
            op->kernel_h = op->kernel_w = 3;
            op->stride_h = op->stride_w = 1;
            op->pad_top = op->pad_left = op->pad_bottom = op->pad_right = 1;
        } else if (kinds[k] == NB_OP_MAXPOOL || kinds[k] == NB_OP_AVGPOOL) {
            op->kernel_h = op->kernel_w = 2;
            op->stride_h = op->stride_w = 2;
        } else if (kinds[k] == NB_OP_BATCHNORM) {
            op->eps = 1e-5f;
        }
    }
    return net;
}

/* Allocates weights (value = index + 1, alternating sign) and biases (index) for node ops;
 * shapes must be inferred. */
static void fill_weights(nb_network *net) {
    for (size_t k = 0; k < net->n_ops; k++) {
        nb_op *op = &net->ops[k];
        size_t nw = nb_op_weight_count(op), nb = nb_op_bias_count(op);
        if (nw == 0)
            continue;
        op->weight = malloc(nw * sizeof *op->weight);
        op->bias = malloc(nb * sizeof *op->bias);
        assert_non_null(op->weight);
        assert_non_null(op->bias);
        for (size_t i = 0; i < nw; i++)
            op->weight[i] = (float)((i % 2 ? -1.0 : 1.0) * (double)(i % 7 + 1));
        for (size_t i = 0; i < nb; i++)
            op->bias[i] = (float)i;
    }
}

static const nb_op_kind cnn_kinds[] = {NB_OP_CONV2D, NB_OP_RELU,    NB_OP_MAXPOOL, NB_OP_CONV2D,
                                       NB_OP_RELU,   NB_OP_MAXPOOL, NB_OP_FLATTEN, NB_OP_DENSE,
                                       NB_OP_RELU,   NB_OP_DENSE,   NB_OP_SOFTMAX};
static const size_t cnn_outs[] = {32, 64, 128, 10};

static void test_cnn_shapes_and_layers(void **state) {
    (void)state;
    nb_network net = chain(1, 28, 28, cnn_kinds, 11, cnn_outs);
    assert_int_equal(nb_graph_infer_shapes(&net), NB_OK);
    const nb_op *ops = net.ops;
    assert_int_equal(ops[0].out_c, 32);
    assert_int_equal(ops[0].out_h, 28); /* 3x3, padding 1: same size */
    assert_int_equal(ops[2].out_h, 14);
    assert_int_equal(ops[2].out_w, 14);
    assert_int_equal(ops[5].out_h, 7);
    assert_int_equal(ops[6].out_c, 64 * 7 * 7);
    assert_int_equal(ops[7].in_c * ops[7].in_h * ops[7].in_w, 3136);
    size_t sizes[8];
    assert_int_equal(nb_graph_node_layers(&net, sizes), 5);
    const size_t want[5] = {1, 32, 64, 128, 10};
    for (size_t l = 0; l < 5; l++)
        assert_int_equal(sizes[l], want[l]);
    assert_true(nb_graph_layer_op(&net, 0) == SIZE_MAX);
    assert_int_equal(nb_graph_layer_op(&net, 2), 3);
    assert_int_equal(nb_graph_layer_op(&net, 4), 9);
    assert_true(nb_graph_layer_op(&net, 5) == SIZE_MAX);
    /* TorchRender3D's example network: 421,642 parameters */
    size_t params = 0;
    fill_weights(&net);
    for (size_t k = 0; k < net.n_ops; k++)
        params += nb_graph_op_params(&net.ops[k]);
    assert_int_equal(params, 320 + 18496 + 401536 + 1290);
    assert_int_equal(nb_graph_op_macs(&ops[0]), 32 * 28 * 28 * 9);
    assert_int_equal(nb_graph_op_macs(&ops[3]), 64 * 14 * 14 * 32 * 9);
    assert_int_equal(nb_graph_op_macs(&ops[2]), 32 * 14 * 14 * 4);
    assert_int_equal(nb_graph_op_macs(&ops[7]), 128 * 3136);
    assert_int_equal(nb_graph_op_macs(&ops[1]), 0);
    nb_network_deinit(&net);
}

static void test_graph_view_weights(void **state) {
    (void)state;
    nb_network net = chain(1, 28, 28, cnn_kinds, 11, cnn_outs);
    assert_int_equal(nb_graph_infer_shapes(&net), NB_OK);
    fill_weights(&net);
    snprintf(net.source, sizeof net.source, "import");
    assert_int_equal(nb_graph_build(&net), NB_OK);
    assert_int_equal(net.n_layers, 5);
    assert_int_equal(net.n_classes, 10);
    assert_string_equal(net.class_names[9], "9");
    assert_string_equal(net.source, "import");
    assert_int_equal(net.n_ops, 11); /* the operators are kept */
    /* conv 2, edge (o = 3, i = 5): L1 norm of the 3x3 kernel */
    const nb_op *c2 = &net.ops[3];
    double l1 = 0.0;
    for (size_t q = 0; q < 9; q++)
        l1 += fabs(c2->weight[(3 * 32 + 5) * 9 + q]);
    nb_assert_close(nb_network_weight(&net, 1)[3 * 32 + 5], l1, 1e-6, 0.0);
    nb_assert_near(nb_network_bias(&net, 1)[3], 3.0, 0.0);
    /* flatten -> dense, edge (j = 7, channel c = 2): L1 over the channel's 49 positions */
    const nb_op *fc = &net.ops[7];
    l1 = 0.0;
    for (size_t q = 0; q < 49; q++)
        l1 += fabs(fc->weight[7 * 3136 + 2 * 49 + q]);
    nb_assert_close(nb_network_weight(&net, 2)[7 * 64 + 2], l1, 1e-6, 0.0);
    /* dense -> dense: the signed weights */
    assert_true(nb_network_weight(&net, 3)[1] == net.ops[9].weight[1]);
    assert_true(nb_network_weight(&net, 3)[1] < 0.0f);
    nb_network_deinit(&net);
}

static void test_flat_and_channel_inputs(void **state) {
    (void)state;
    /* flatten + dense on 1x28x28: the classic picture, one input node per pixel */
    const nb_op_kind mlp[] = {NB_OP_FLATTEN, NB_OP_DENSE, NB_OP_GELU, NB_OP_DENSE};
    const size_t mlp_outs[] = {81, 10};
    nb_network net = chain(1, 28, 28, mlp, 4, mlp_outs);
    assert_int_equal(nb_graph_infer_shapes(&net), NB_OK);
    fill_weights(&net);
    assert_int_equal(nb_graph_build(&net), NB_OK);
    assert_int_equal(net.layer_size[0], 784);
    assert_true(nb_network_weight(&net, 0)[1] == net.ops[1].weight[1]);
    nb_network_deinit(&net);
    /* global average pooling on 3x8x8, then dense: input nodes are the 3 channels, edges are
     * the signed per-channel weights */
    const nb_op_kind gap[] = {NB_OP_GLOBAL_AVGPOOL, NB_OP_DENSE};
    const size_t gap_outs[] = {4};
    net = chain(3, 8, 8, gap, 2, gap_outs);
    assert_int_equal(nb_graph_infer_shapes(&net), NB_OK);
    fill_weights(&net);
    assert_int_equal(nb_graph_build(&net), NB_OK);
    assert_int_equal(net.layer_size[0], 3);
    assert_true(nb_network_weight(&net, 0)[1] == net.ops[1].weight[1]);
    nb_network_deinit(&net);
    /* pooling before the first dense: channels, each owning a block of 16 inputs */
    const nb_op_kind pool[] = {NB_OP_MAXPOOL, NB_OP_FLATTEN, NB_OP_DENSE};
    net = chain(2, 8, 8, pool, 3, gap_outs);
    assert_int_equal(nb_graph_infer_shapes(&net), NB_OK);
    fill_weights(&net);
    assert_int_equal(nb_graph_build(&net), NB_OK);
    assert_int_equal(net.layer_size[0], 2);
    double l1 = 0.0;
    for (size_t q = 0; q < 16; q++)
        l1 += fabs(net.ops[2].weight[1 * 32 + 16 + q]);
    nb_assert_close(nb_network_weight(&net, 0)[1 * 2 + 1], l1, 1e-6, 0.0);
    nb_network_deinit(&net);
}

static void test_strided_dilated_window(void **state) {
    (void)state;
    const nb_op_kind k[] = {NB_OP_CONV2D, NB_OP_GLOBAL_AVGPOOL, NB_OP_FLATTEN, NB_OP_DENSE};
    const size_t outs[] = {4, 3};
    nb_network net = chain(3, 11, 9, k, 4, outs);
    nb_op *c = &net.ops[0];
    c->kernel_h = 3, c->kernel_w = 2, c->stride_h = 2, c->stride_w = 3;
    c->dilation_h = 2, c->dilation_w = 1;
    c->pad_top = 1, c->pad_bottom = 0, c->pad_left = 0, c->pad_right = 2;
    assert_int_equal(nb_graph_infer_shapes(&net), NB_OK);
    /* h: (11 + 1 - 2*2 - 1)/2 + 1 = 4; w: (9 + 2 - 1 - 1)/3 + 1 = 4 */
    assert_int_equal(c->out_h, 4);
    assert_int_equal(c->out_w, 4);
    assert_int_equal(net.ops[3].in_c, 4);
    nb_network_deinit(&net);
}

static void test_refusals(void **state) {
    (void)state;
    /* a window larger than the input */
    const nb_op_kind k1[] = {NB_OP_CONV2D, NB_OP_FLATTEN, NB_OP_DENSE};
    const size_t o1[] = {2, 3};
    nb_network net = chain(1, 2, 2, k1, 3, o1);
    net.ops[0].pad_top = net.ops[0].pad_bottom = net.ops[0].pad_left = net.ops[0].pad_right = 0;
    nb_expect_error(nb_graph_infer_shapes(&net), NB_E_MISMATCH, "operator 0 (conv2d)",
                    "does not fit the 2x2 input");
    net.ops[0].stride_w = 0;
    nb_expect_error(nb_graph_infer_shapes(&net), NB_E_INVALID, "operator 0 (conv2d)",
                    "must be >= 1");
    nb_network_deinit(&net);
    /* softmax before the end */
    const nb_op_kind k2[] = {NB_OP_DENSE, NB_OP_SOFTMAX, NB_OP_DENSE};
    const size_t o2[] = {3, 2};
    net = chain(4, 1, 1, k2, 3, o2);
    nb_expect_error(nb_graph_infer_shapes(&net), NB_E_UNSUPPORTED, "operator 1 (softmax)",
                    "last operator only");
    nb_network_deinit(&net);
    /* no node operator */
    const nb_op_kind k3[] = {NB_OP_FLATTEN, NB_OP_RELU};
    net = chain(4, 1, 1, k3, 2, NULL);
    nb_expect_error(nb_graph_infer_shapes(&net), NB_E_UNSUPPORTED, "network",
                    "no dense or convolution");
    nb_network_deinit(&net);
    /* the chain ends in an image, not a vector of class scores */
    const nb_op_kind k4[] = {NB_OP_CONV2D};
    const size_t o4[] = {2};
    net = chain(1, 4, 4, k4, 1, o4);
    nb_expect_error(nb_graph_infer_shapes(&net), NB_E_MISMATCH, "network", "2x4x4");
    nb_network_deinit(&net);
    /* pooling padding as large as the window; a zero input size; no operators */
    const nb_op_kind k5[] = {NB_OP_MAXPOOL, NB_OP_FLATTEN, NB_OP_DENSE};
    net = chain(1, 4, 4, k5, 3, o1 + 1);
    net.ops[0].pad_left = 2;
    nb_expect_error(nb_graph_infer_shapes(&net), NB_E_INVALID, "operator 0 (maxpool)",
                    "smaller than the 2x2 window");
    net.ops[0].pad_left = 0;
    net.in_h = 0;
    nb_expect_error(nb_graph_infer_shapes(&net), NB_E_INVALID, "network", "zero size");
    nb_network_deinit(&net);
    nb_network empty = {0};
    nb_expect_error(nb_graph_build(&empty), NB_E_INVALID, "network", "no operators");
    /* batch norm with eps 0; a node operator without weights */
    const nb_op_kind k6[] = {NB_OP_BATCHNORM, NB_OP_DENSE};
    net = chain(3, 1, 1, k6, 2, o1);
    net.ops[0].eps = 0.0f;
    nb_expect_error(nb_graph_infer_shapes(&net), NB_E_INVALID, "operator 0 (batchnorm)", "> 0");
    net.ops[0].eps = 1e-3f;
    nb_expect_error(nb_graph_build(&net), NB_E_MISSING, "operator 1 (dense)", "no weight");
    assert_int_equal(net.n_layers, 0); /* unchanged */
    nb_network_deinit(&net);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cnn_shapes_and_layers),
        cmocka_unit_test(test_graph_view_weights),
        cmocka_unit_test(test_flat_and_channel_inputs),
        cmocka_unit_test(test_strided_dilated_window),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
