/* test_onnx.c - the ONNX reader (processor/import/nb_onnx.c).
 *
 * 1. The committed PyTorch exports of tests/data/onnx (examples/export_onnx.py --small: an MLP,
 *    a CNN, a CNN with BatchNorm2d, GELU, LeakyReLU, AvgPool2d and BatchNorm1d) import with
 *    the expected operator chain and give PyTorch's logits on 8 Fashion-MNIST test images
 *    within 1e-4 relative (to the image's largest logit), with the same predicted class.
 * 2. The models that tests/onnx_models.py writes (into $NB_ONNX_MODELS, a CTest fixture; the
 *    tests skip when it is absent, i.e. without python3-onnx): two good ones computed in
 *    numpy (MatMul + Add, Gemm alpha/beta/transB, Conv SAME_UPPER stride 2, BatchNormalization,
 *    the torch GELU subgraph with Constant nodes, Pad + AveragePool, Reshape, Softmax), and one
 *    per refusal path, each checked for its exact status, error subject and reason.
 */
#include "nb_test.h"

#include "nb_graph.h"
#include "nb_import.h"
#include "nb_layers.h"

static char data_dir[1024];
static char models_dir[1024];

static void data_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/onnx/%s", data_dir, name);
}

static float *read_f32(const char *path, size_t count) {
    size_t len = 0;
    char *raw = nb_test_read_file(path, &len);
    assert_non_null(raw);
    assert_int_equal(len, count * sizeof(float));
    float *v = malloc(count * sizeof *v);
    assert_non_null(v);
    memcpy(v, raw, len);
    free(raw);
    return v;
}

/* ---- 1. the committed PyTorch exports ---- */

static void check_torch_model(const char *name, const nb_op_kind *kinds, size_t n_kinds,
                              const char *activation) {
    enum { N = 8, C = 10, IN = 784 };
    char path[1200];
    snprintf(path, sizeof path, "%s/onnx/%s.onnx", data_dir, name);
    nb_network net;
    nb_status s = nb_import_onnx(path, &net);
    if (s != NB_OK)
        print_error("%s\n", nb_error_message());
    assert_int_equal(s, NB_OK);
    assert_int_equal(net.n_classes, C);
    assert_int_equal(net.in_c * net.in_h * net.in_w, IN);
    assert_int_equal(net.in_c, 1);
    assert_string_equal(net.source, "import");
    assert_string_equal(net.activation, activation);
    assert_string_equal(net.class_names[9], "9");
    assert_int_equal(net.layer_size[net.n_layers - 1], C);
    assert_int_equal(net.n_ops, n_kinds);
    for (size_t i = 0; i < n_kinds; i++)
        assert_string_equal(nb_op_kind_name(net.ops[i].kind), nb_op_kind_name(kinds[i]));
    data_path(path, sizeof path, "images.f32");
    float *x = read_f32(path, N * IN);
    snprintf(path, sizeof path, "%s/onnx/%s.logits.f32", data_dir, name);
    float *want = read_f32(path, N * C);
    float got[N * C];
    assert_int_equal(nb_layers_forward(&net, x, N, got, NULL), NB_OK);
    double worst = 0.0;
    for (size_t i = 0; i < N; i++) {
        double scale = 0.0, err = 0.0;
        size_t am_got = 0, am_want = 0;
        for (size_t c = 0; c < C; c++) {
            scale = fmax(scale, fabs(want[i * C + c]));
            err = fmax(err, fabs(got[i * C + c] - want[i * C + c]));
            am_got = got[i * C + c] > got[i * C + am_got] ? c : am_got;
            am_want = want[i * C + c] > want[i * C + am_want] ? c : am_want;
        }
        worst = fmax(worst, err / scale);
        assert_int_equal(am_got, am_want);
    }
    print_message("%s: max relative logit error %.3g\n", name, worst);
    assert_true(worst <= 1e-4);
    free(x);
    free(want);
    nb_network_deinit(&net);
}

static void test_torch_mlp(void **state) {
    (void)state;
    const nb_op_kind k[] = {NB_OP_FLATTEN, NB_OP_DENSE, NB_OP_RELU,
                            NB_OP_DENSE,   NB_OP_RELU,  NB_OP_DENSE};
    check_torch_model("mlp", k, sizeof k / sizeof k[0], "relu");
}

static void test_torch_cnn(void **state) {
    (void)state;
    const nb_op_kind k[] = {NB_OP_CONV2D,  NB_OP_RELU,    NB_OP_MAXPOOL, NB_OP_CONV2D, NB_OP_RELU,
                            NB_OP_MAXPOOL, NB_OP_FLATTEN, NB_OP_DENSE,   NB_OP_RELU,   NB_OP_DENSE};
    check_torch_model("cnn", k, sizeof k / sizeof k[0], "relu");
}

static void test_torch_bn_gelu(void **state) {
    (void)state;
    const nb_op_kind k[] = {NB_OP_CONV2D,  NB_OP_BATCHNORM, NB_OP_GELU,       NB_OP_MAXPOOL,
                            NB_OP_CONV2D,  NB_OP_BATCHNORM, NB_OP_LEAKY_RELU, NB_OP_AVGPOOL,
                            NB_OP_FLATTEN, NB_OP_DENSE,     NB_OP_BATCHNORM,  NB_OP_GELU,
                            NB_OP_DENSE}; /* torch.onnx drops Dropout in eval mode */
    check_torch_model("bn_gelu", k, sizeof k / sizeof k[0], "gelu,leaky_relu");
}

/* The model is read through nb_import_model's format detection too. */
static void test_auto_format(void **state) {
    (void)state;
    char path[1200];
    data_path(path, sizeof path, "mlp.onnx");
    nb_network net;
    assert_int_equal(nb_import_model(path, NB_IMPORT_AUTO, &net), NB_OK);
    assert_int_equal(net.n_ops, 6);
    nb_network_deinit(&net);
    assert_int_equal(nb_import_model(path, NB_IMPORT_ONNX, &net), NB_OK);
    nb_network_deinit(&net);
}

/* An HDF5 file (signature at 0, or at 512 after a user block) given as ONNX is refused with
 * a hint. */
static void test_hdf5_as_onnx(void **state) {
    (void)state;
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char buf[1024] = {0};
    const char *path = "test_onnx_hdf5.h5";
    for (size_t off = 0; off <= 512; off += 512) {
        memset(buf, 0, sizeof buf);
        memcpy(buf + off, sig, sizeof sig);
        nb_test_write_file(path, buf, sizeof buf);
        nb_network net;
        nb_status s = nb_import_model(path, NB_IMPORT_ONNX, &net);
        nb_expect_error(s, NB_E_FORMAT, path, "is an HDF5 file, not ONNX");
    }
    remove(path);
}

static void test_missing_file(void **state) {
    (void)state;
    nb_network net;
    nb_status s = nb_import_onnx("no/such/model.onnx", &net);
    nb_expect_error(s, NB_E_IO, "no/such/model.onnx", "cannot open");
    assert_int_equal(net.n_ops, 0);
    assert_null(net.ops);
}

/* ---- 2. the generated models ---- */

static bool have_models(void) {
    char path[1200];
    snprintf(path, sizeof path, "%s/dense.onnx", models_dir);
    return models_dir[0] && nb_test_exists(path);
}

/* Imports model `name` chain-only, applies the operators one by one to <name>.in.f32 (n
 * samples) and compares with <name>.out.f32. */
static void check_generated(const char *name, size_t n, size_t n_ops) {
    if (!have_models()) {
        print_message("no generated models (python3-onnx missing?): skipped\n");
        skip();
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.onnx", models_dir, name);
    nb_network net;
    const nb_import_onnx_options opt = {.chain_only = true};
    nb_status s = nb_import_onnx_ex(path, &opt, &net);
    if (s != NB_OK)
        print_error("%s\n", nb_error_message());
    assert_int_equal(s, NB_OK);
    assert_int_equal(net.n_ops, n_ops);
    size_t in = net.in_c * net.in_h * net.in_w, big = in;
    for (size_t i = 0; i < net.n_ops; i++) {
        const size_t c = net.ops[i].out_c * net.ops[i].out_h * net.ops[i].out_w;
        big = c > big ? c : big;
    }
    const nb_op *last = &net.ops[net.n_ops - 1];
    const size_t out = last->out_c * last->out_h * last->out_w;
    snprintf(path, sizeof path, "%s/%s.in.f32", models_dir, name);
    float *x = read_f32(path, n * in);
    snprintf(path, sizeof path, "%s/%s.out.f32", models_dir, name);
    float *want = read_f32(path, n * out);
    float *a = calloc(n * big, sizeof *a), *b = calloc(n * big, sizeof *b);
    assert_true(a && b);
    memcpy(a, x, n * in * sizeof *a);
    for (size_t i = 0; i < net.n_ops; i++) {
        assert_int_equal(nb_layers_op_forward(&net.ops[i], a, n, b), NB_OK);
        float *t = a;
        a = b, b = t;
    }
    for (size_t i = 0; i < n * out; i++)
        nb_assert_close(a[i], want[i], 1e-4, 1e-5);
    free(a);
    free(b);
    free(x);
    free(want);
    nb_network_deinit(&net);
}

static void test_generated_dense(void **state) {
    (void)state;
    /* MatMul + Add -> one DENSE with bias; LeakyRelu; Gemm alpha 0.5 beta 2 transB */
    check_generated("dense", 4, 3);
}

static void test_generated_conv(void **state) {
    (void)state;
    /* conv, batchnorm, gelu, avgpool (Pad folded in), flatten (Reshape), dense, softmax */
    check_generated("conv", 2, 7);
    char path[1200];
    snprintf(path, sizeof path, "%s/conv.onnx", models_dir);
    nb_network net;
    assert_int_equal(nb_import_onnx(path, &net), NB_OK);
    const nb_op *conv = &net.ops[0], *pool = &net.ops[3];
    /* SAME_UPPER, stride 2, 3x3 on 5x6: total padding 2 rows (1 + 1) and 1 column (0 + 1) */
    assert_int_equal(conv->pad_top, 1);
    assert_int_equal(conv->pad_bottom, 1);
    assert_int_equal(conv->pad_left, 0);
    assert_int_equal(conv->pad_right, 1);
    assert_int_equal(conv->out_h, 3);
    assert_int_equal(conv->out_w, 3);
    assert_int_equal(pool->kind, NB_OP_AVGPOOL);
    assert_true(pool->count_include_pad);
    assert_int_equal(pool->pad_top, 1);
    assert_int_equal(pool->pad_left, 1);
    assert_float_equal(net.ops[1].eps, 1e-3f, 1e-9f);
    assert_int_equal(net.n_classes, 4);
    assert_string_equal(net.dataset, path);
    nb_network_deinit(&net);
}

static void test_generated_conv_dilated(void **state) {
    (void)state;
    /* strides [2,1], dilations [2,3], pads [1,0,2,1]; tanh, flatten, Gemm transB */
    check_generated("conv_dilated", 2, 4);
}

static void test_generated_conv1d(void **state) {
    (void)state;
    /* [N,2,7] read as 2x7x1: conv (pads [1,0], stride 2), maxpool 2, flatten, dense */
    check_generated("conv1d", 3, 4);
}

static void test_generated_view(void **state) {
    (void)state;
    /* Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) -> flatten, then dense */
    check_generated("view", 3, 2);
}

typedef struct refusal {
    const char *model;
    nb_status status;
    const char *subject; /* after "<models_dir>/<model>.onnx" */
    const char *reason;  /* a fragment of the message */
} refusal;

static const refusal refusals[] = {
    {"bad_op", NB_E_UNSUPPORTED, " node 'act' (Elu)", "operator Elu is not supported"},
    {"bad_domain", NB_E_UNSUPPORTED, " node 'act' (Relu)", "domain 'com.example'"},
    {"bad_group", NB_E_UNSUPPORTED, " node 'conv' (Conv)", "attribute group=2"},
    {"bad_ceil", NB_E_UNSUPPORTED, " node 'pool' (MaxPool)", "attribute ceil_mode=1"},
    {"bad_transa", NB_E_UNSUPPORTED, " node 'fc' (Gemm)", "attribute transA=1"},
    {"bad_autopad", NB_E_UNSUPPORTED, " node 'conv' (Conv)", "auto_pad='WEIRD'"},
    {"bad_conv_rank", NB_E_MISMATCH, " node 'conv' (Conv)",
     "has shape [2,2,3]: expected rank 4 ([out,in,kh,kw])"},
    {"bad_flatten_axis", NB_E_UNSUPPORTED, " node 'flat' (Flatten)", "attribute axis=2"},
    {"bad_softmax_middle", NB_E_UNSUPPORTED, " node 'sm' (Softmax)", "only as the last"},
    {"bad_branch", NB_E_UNSUPPORTED, " node 'sig' (Sigmoid)", "tensor 'h' is read by 2 nodes"},
    {"bad_dangling", NB_E_UNSUPPORTED, " node 'stray' (Relu)", "is not on the chain"},
    {"bad_gelu", NB_E_UNSUPPORTED, " node 'g/Mul' (Mul)", "not a chain"},
    {"bad_two_outputs", NB_E_UNSUPPORTED, "", "2 outputs"},
    {"bad_missing", NB_E_MISSING, " node 'mm' (MatMul)",
     "weight 'w' is a graph input without an initializer"},
    {"bad_missing2", NB_E_MISSING, " node 'mm' (MatMul)", "weight 'nowhere' is neither"},
    {"bad_shape", NB_E_MISMATCH, " node 'mm' (MatMul)", "has shape [5,3], expected [4,out]"},
    {"bad_outshape", NB_E_MISMATCH, " output 'y'", "declared shape [?,7]"},
    {"bad_nan", NB_E_NUMERIC, " node 'mm' (MatMul)", "weight 'wn' value 7 is nan"},
    {"bad_inf_bias", NB_E_NUMERIC, " node 'fc' (Gemm)", "bias 'binf' value 1 is inf"},
    {"bad_symbolic", NB_E_UNSUPPORTED, " input 'x'", "dimension 1 is symbolic"},
    {"bad_reshape", NB_E_UNSUPPORTED, " node 'rs' (Reshape)", "to [2,-1] is not supported"},
    {"bad_view", NB_E_UNSUPPORTED, " node 'view' (Reshape)", "of [N,2,3,3] to [2,-1] is not"},
    {"bad_bn_training", NB_E_UNSUPPORTED, " node 'bn' (BatchNormalization)", "training_mode=1"},
    {"conv_only", NB_E_UNSUPPORTED, "", "the last layer with weights is a Conv"},
    {"bad_truncated", NB_E_FORMAT, "", "protobuf parse failed"},
    {"bad_garbage", NB_E_FORMAT, "", "protobuf parse failed"},
    {"bad_empty", NB_E_FORMAT, "", "size 0 bytes"},
};

static void test_refusals(void **state) {
    (void)state;
    if (!have_models()) {
        print_message("no generated models (python3-onnx missing?): skipped\n");
        skip();
    }
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const refusal *r = &refusals[i];
        char path[1200], subject[1400];
        snprintf(path, sizeof path, "%s/%s.onnx", models_dir, r->model);
        snprintf(subject, sizeof subject, "%s%s", path, r->subject);
        nb_network net;
        memset(&net, 0xab, sizeof net);
        nb_error_clear();
        nb_status s = nb_import_onnx(path, &net);
        nb_expect_error(s, r->status, subject, r->reason);
        /* *net is zeroed on failure */
        assert_int_equal(net.n_ops, 0);
        assert_null(net.ops);
        assert_null(net.class_names);
    }
}

/* The chain reader accepts a chain without a dense layer (the operator tests need it). */
static void test_chain_only_conv(void **state) {
    (void)state;
    if (!have_models())
        skip();
    char path[1200];
    snprintf(path, sizeof path, "%s/conv_only.onnx", models_dir);
    nb_network net;
    const nb_import_onnx_options opt = {.chain_only = true};
    assert_int_equal(nb_import_onnx_ex(path, &opt, &net), NB_OK);
    assert_int_equal(net.n_ops, 1);
    assert_int_equal(net.ops[0].out_h, 2);
    assert_int_equal(net.n_layers, 0);
    nb_network_deinit(&net);
}

int main(void) {
    const char *d = getenv("NB_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s", d ? d : "../tests/data");
    const char *m = getenv("NB_ONNX_MODELS");
    snprintf(models_dir, sizeof models_dir, "%s", m ? m : "");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torch_mlp),
        cmocka_unit_test(test_torch_cnn),
        cmocka_unit_test(test_torch_bn_gelu),
        cmocka_unit_test(test_auto_format),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_hdf5_as_onnx),
        cmocka_unit_test(test_generated_dense),
        cmocka_unit_test(test_generated_conv),
        cmocka_unit_test(test_generated_view),
        cmocka_unit_test(test_generated_conv1d),
        cmocka_unit_test(test_generated_conv_dilated),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_chain_only_conv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
