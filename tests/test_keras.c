/* test_keras.c - the Keras HDF5 reader on the committed Keras-layout fixtures
 * (tests/data/keras/, written by make_keras_fixtures.py with h5py + numpy):
 *  - every weight, converted to nnbundle's layout, equals the script's numpy conversion bit for
 *    bit, and the raw datasets read here with HDF5 (dense: Keras kernel^T exactly);
 *  - the imported chain, run by a small CHW reference forward written here, reproduces the
 *    script's channels_last Keras forward (checks the Conv2D/Flatten/"same" conversions);
 *  - every refusal: unsupported layer, attribute, activation, padding, data format, a key
 *    with a non-default value, not a chain, NaN weight, missing/misshapen dataset, no
 *    model_config, bad JSON, a truncated file, not HDF5, a missing file.
 * Error variants are made here by editing copies of the fixtures with HDF5. */
#include <hdf5.h>
#include <unistd.h>

#include "nb_graph.h"
#include "nb_import.h"
#include "nb_layers.h"
#include "nb_test.h"

static char data_dir[1024];

static const char *fixture(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/keras/%s", data_dir, name);
    return buf;
}

/* A whole little-endian float32 file; *n values. */
static float *read_floats(const char *name, size_t *n) {
    char p[1200];
    size_t len = 0;
    char *b = nb_test_read_file(fixture(p, sizeof p, name), &len);
    assert_non_null(b);
    assert_int_equal(len % 4, 0);
    *n = len / 4;
    float *f = malloc(len ? len : 4);
    memcpy(f, b, len);
    free(b);
    return f;
}

/* ---- reference forward (CHW, one input; independent of nb_layers) ------------------------ */

static float *ref_op(const nb_op *op, const float *x) {
    size_t C = op->in_c, H = op->in_h, W = op->in_w, O = op->out_c, OH = op->out_h, OW = op->out_w;
    size_t n_out = O * OH * OW, n_in = C * H * W;
    float *y = calloc(n_out > n_in ? n_out : n_in, sizeof *y);
    switch (op->kind) {
    case NB_OP_DENSE:
        for (size_t o = 0; o < O; o++) {
            double s = op->bias ? op->bias[o] : 0;
            for (size_t i = 0; i < n_in; i++)
                s += (double)op->weight[o * n_in + i] * x[i];
            y[o] = (float)s;
        }
        break;
    case NB_OP_CONV2D:
    case NB_OP_MAXPOOL:
    case NB_OP_AVGPOOL:
        for (size_t o = 0; o < O; o++)
            for (size_t a = 0; a < OH; a++)
                for (size_t b = 0; b < OW; b++) {
                    double s = op->kind == NB_OP_CONV2D && op->bias ? op->bias[o] : 0;
                    double mx = -INFINITY;
                    size_t cnt = 0;
                    size_t dh = op->kind == NB_OP_CONV2D ? op->dilation_h : 1;
                    size_t dw = op->kind == NB_OP_CONV2D ? op->dilation_w : 1;
                    for (size_t u = 0; u < op->kernel_h; u++)
                        for (size_t v = 0; v < op->kernel_w; v++) {
                            long r = (long)(a * op->stride_h + u * dh) - (long)op->pad_top;
                            long c = (long)(b * op->stride_w + v * dw) - (long)op->pad_left;
                            if (r < 0 || c < 0 || r >= (long)H || c >= (long)W)
                                continue;
                            if (op->kind == NB_OP_CONV2D) {
                                for (size_t i = 0; i < C; i++)
                                    s += (double)op->weight[((o * C + i) * op->kernel_h + u) *
                                                                op->kernel_w +
                                                            v] *
                                         x[(i * H + (size_t)r) * W + (size_t)c];
                            } else {
                                double val = x[(o * H + (size_t)r) * W + (size_t)c];
                                s += val;
                                mx = val > mx ? val : mx;
                                cnt++;
                            }
                        }
                    y[(o * OH + a) * OW + b] =
                        (float)(op->kind == NB_OP_CONV2D    ? s
                                : op->kind == NB_OP_MAXPOOL ? mx
                                                            : s / (double)cnt);
                }
        break;
    case NB_OP_GLOBAL_AVGPOOL:
        for (size_t c = 0; c < C; c++) {
            double s = 0;
            for (size_t p = 0; p < H * W; p++)
                s += x[c * H * W + p];
            y[c] = (float)(s / (double)(H * W));
        }
        break;
    case NB_OP_BATCHNORM:
        for (size_t c = 0; c < C; c++)
            for (size_t p = 0; p < H * W; p++)
                y[c * H * W + p] = (float)((x[c * H * W + p] - op->mean[c]) /
                                               sqrt((double)op->var[c] + op->eps) * op->gamma[c] +
                                           op->beta[c]);
        break;
    default:
        for (size_t i = 0; i < n_in; i++) {
            double v = x[i];
            if (op->kind == NB_OP_RELU)
                v = v > 0 ? v : 0;
            else if (op->kind == NB_OP_LEAKY_RELU)
                v = v > 0 ? v : op->alpha * v;
            else if (op->kind == NB_OP_TANH)
                v = tanh(v);
            else if (op->kind == NB_OP_SIGMOID)
                v = 1 / (1 + exp(-v));
            else if (op->kind == NB_OP_GELU)
                v = 0.5 * v * (1 + erf(v / sqrt(2.0)));
            y[i] = (float)v;
        }
        break;
    }
    return y;
}

/* Runs the chain (up to a final softmax) on x[in_c*in_h*in_w]; returns the logits. */
static float *ref_forward(const nb_network *net, const float *x) {
    size_t n = net->in_c * net->in_h * net->in_w;
    float *cur = malloc(n * sizeof *cur);
    memcpy(cur, x, n * sizeof *cur);
    for (size_t k = 0; k < net->n_ops; k++) {
        if (net->ops[k].kind == NB_OP_SOFTMAX)
            break;
        float *next = ref_op(&net->ops[k], cur);
        free(cur);
        cur = next;
    }
    return cur;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

/* Weights and biases of the node operators, concatenated (the layout of <model>_ref.bin). */
static void expect_ref_weights(const nb_network *net, const char *ref_name) {
    size_t n_ref = 0, at = 0;
    float *ref = read_floats(ref_name, &n_ref);
    for (size_t k = 0; k < net->n_ops; k++) {
        const nb_op *op = &net->ops[k];
        if (op->kind != NB_OP_DENSE && op->kind != NB_OP_CONV2D)
            continue;
        size_t nw = nb_op_weight_count(op), nb = nb_op_bias_count(op);
        assert_true(at + nw + nb <= n_ref);
        assert_non_null(op->bias);
        assert_memory_equal(op->weight, ref + at, nw * sizeof(float)); /* bit for bit */
        assert_memory_equal(op->bias, ref + at + nw, nb * sizeof(float));
        at += nw + nb;
    }
    assert_int_equal(at, n_ref);
    free(ref);
}

/* Reference forward vs the script's Keras forward. */
static void expect_logits(const nb_network *net, const char *model) {
    char xn[64], ln[64];
    snprintf(xn, sizeof xn, "%s_x.bin", model);
    snprintf(ln, sizeof ln, "%s_logits.bin", model);
    size_t nx = 0, nl = 0, dim = net->in_c * net->in_h * net->in_w, C = net->n_classes;
    float *x = read_floats(xn, &nx), *want = read_floats(ln, &nl);
    size_t n = nx / dim;
    assert_int_equal(n * dim, nx);
    assert_int_equal(n * C, nl);
    for (size_t i = 0; i < n; i++) {
        float *got = ref_forward(net, x + i * dim);
        for (size_t c = 0; c < C; c++)
            nb_assert_close(got[c], want[i * C + c], 1e-4, 1e-5);
        free(got);
    }
    /* The operator engine, once it is built, must agree too. */
    float *logits = malloc(n * C * sizeof *logits);
    nb_status s = nb_layers_forward(net, x, n, logits, NULL);
    if (s == NB_OK)
        for (size_t j = 0; j < n * C; j++)
            nb_assert_close(logits[j], want[j], 1e-4, 1e-5);
    else
        assert_int_equal(s, NB_E_UNSUPPORTED); /* the placeholder engine */
    free(logits);
    free(x);
    free(want);
}

static void test_dense(void **state) {
    (void)state;
    char p[1200];
    nb_network net;
    assert_int_equal(nb_import_keras(fixture(p, sizeof p, "dense.h5"), &net), NB_OK);
    static const nb_op_kind kinds[] = {NB_OP_FLATTEN, NB_OP_DENSE, NB_OP_RELU,
                                       NB_OP_DROPOUT, NB_OP_DENSE, NB_OP_SOFTMAX};
    assert_int_equal(net.n_ops, 6);
    for (size_t k = 0; k < 6; k++)
        assert_int_equal(net.ops[k].kind, kinds[k]);
    assert_int_equal(net.in_c, 1);
    assert_int_equal(net.in_h, 28);
    assert_int_equal(net.in_w, 28);
    nb_assert_near(net.ops[3].alpha, 0.2, 1e-7);
    assert_string_equal(net.source, "import");
    assert_string_equal(net.dataset, p);
    /* graph view: 784 -> 16 -> 10 with the dense weights themselves */
    assert_int_equal(net.n_layers, 3);
    assert_int_equal(net.layer_size[0], 784);
    assert_int_equal(net.layer_size[1], 16);
    assert_int_equal(net.layer_size[2], 10);
    assert_int_equal(net.n_classes, 10);
    assert_memory_equal(nb_network_weight(&net, 0), net.ops[1].weight, 784 * 16 * sizeof(float));
    expect_ref_weights(&net, "dense_ref.bin");

    /* and against the raw Keras datasets: weight[o][i] == kernel[i][o], exactly */
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    static const char *const dsets[2][2] = {
        {"/model_weights/dense/dense/kernel:0", "/model_weights/dense/dense/bias:0"},
        {"/model_weights/dense_1/dense_1/kernel:0", "/model_weights/dense_1/dense_1/bias:0"}};
    static const size_t ins[2] = {784, 16}, outs[2] = {16, 10}, op_at[2] = {1, 4};
    for (int l = 0; l < 2; l++) {
        float *kern = malloc(ins[l] * outs[l] * sizeof *kern), *bias = malloc(outs[l] * 4);
        hid_t d = H5Dopen2(f, dsets[l][0], H5P_DEFAULT);
        assert_true(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, kern) >= 0);
        H5Dclose(d);
        d = H5Dopen2(f, dsets[l][1], H5P_DEFAULT);
        assert_true(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, bias) >= 0);
        H5Dclose(d);
        const nb_op *op = &net.ops[op_at[l]];
        for (size_t o = 0; o < outs[l]; o++)
            for (size_t i = 0; i < ins[l]; i++)
                assert_memory_equal(&op->weight[o * ins[l] + i], &kern[i * outs[l] + o], 4);
        assert_memory_equal(op->bias, bias, outs[l] * 4);
        free(kern);
        free(bias);
    }
    H5Fclose(f);
    expect_logits(&net, "dense");
    nb_network_deinit(&net);
}

static void test_conv(void **state) {
    (void)state;
    char p[1200];
    nb_network net;
    assert_int_equal(nb_import_keras(fixture(p, sizeof p, "conv.h5"), &net), NB_OK);
    static const nb_op_kind kinds[] = {NB_OP_CONV2D,  NB_OP_RELU,   NB_OP_BATCHNORM,
                                       NB_OP_MAXPOOL, NB_OP_CONV2D, NB_OP_LEAKY_RELU,
                                       NB_OP_FLATTEN, NB_OP_DENSE,  NB_OP_SOFTMAX};
    assert_int_equal(net.n_ops, 9);
    for (size_t k = 0; k < 9; k++)
        assert_int_equal(net.ops[k].kind, kinds[k]);
    assert_int_equal(net.in_c, 3);
    assert_int_equal(net.in_h, 8);
    /* same padding of a 3x3 stride-1 kernel: 1 on every side */
    assert_int_equal(net.ops[0].pad_top, 1);
    assert_int_equal(net.ops[0].pad_right, 1);
    nb_assert_near(net.ops[2].eps, 1e-3, 1e-9);
    nb_assert_near(net.ops[5].alpha, 0.1, 1e-7);
    assert_int_equal(net.ops[6].in_c, 6); /* the flatten of 3x3x6 */
    assert_int_equal(net.ops[6].in_h, 3);
    assert_int_equal(net.ops[7].in_c, 54);
    /* graph view: input channels 3 -> conv 4 -> conv 6 -> dense 5 */
    assert_int_equal(net.n_layers, 4);
    assert_int_equal(net.layer_size[0], 3);
    assert_int_equal(net.layer_size[3], 5);
    expect_ref_weights(&net, "conv_ref.bin");
    expect_logits(&net, "conv");
    nb_network_deinit(&net);
}

static void test_keras3(void **state) {
    (void)state;
    char p[1200];
    nb_network net;
    assert_int_equal(nb_import_model(fixture(p, sizeof p, "k3.h5"), NB_IMPORT_AUTO, &net), NB_OK);
    static const nb_op_kind kinds[] = {NB_OP_CONV2D, NB_OP_RELU,    NB_OP_CONV2D,
                                       NB_OP_TANH,   NB_OP_AVGPOOL, NB_OP_GLOBAL_AVGPOOL,
                                       NB_OP_DENSE,  NB_OP_SOFTMAX};
    assert_int_equal(net.n_ops, 8);
    for (size_t k = 0; k < 8; k++)
        assert_int_equal(net.ops[k].kind, kinds[k]);
    /* 9x9, stride 2, same: out 5, total pad 2 (1 + 1); dilation 2 same on 5: pad 2 + 2 */
    assert_int_equal(net.ops[0].out_h, 5);
    assert_int_equal(net.ops[0].pad_top, 1);
    assert_int_equal(net.ops[2].dilation_h, 2);
    assert_int_equal(net.ops[2].pad_bottom, 2);
    /* 2x2/2 same pooling of 5: out 3, pad 0 before and 1 after, excluded from the mean */
    assert_int_equal(net.ops[4].out_h, 3);
    assert_int_equal(net.ops[4].pad_top, 0);
    assert_int_equal(net.ops[4].pad_bottom, 1);
    assert_false(net.ops[4].count_include_pad);
    expect_ref_weights(&net, "k3_ref.bin");
    expect_logits(&net, "k3");
    nb_network_deinit(&net);
}

/* Keras 3.8's Sequential naming ("sequential/dense/kernel", DTypePolicy dtypes, an empty
 * top_level_model_weights group) and a flat batch norm between an HWC Flatten and a Dense:
 * its four arrays are permuted to CHW like the Dense's columns. */
static void test_keras3_sequential(void **state) {
    (void)state;
    char p[1200];
    nb_network net;
    assert_int_equal(nb_import_keras(fixture(p, sizeof p, "k3_seq.h5"), &net), NB_OK);
    static const nb_op_kind kinds[] = {NB_OP_CONV2D, NB_OP_RELU, NB_OP_FLATTEN, NB_OP_BATCHNORM,
                                       NB_OP_DENSE,  NB_OP_GELU, NB_OP_DENSE};
    assert_int_equal(net.n_ops, 7);
    for (size_t k = 0; k < 7; k++)
        assert_int_equal(net.ops[k].kind, kinds[k]);
    assert_false(net.ops[5].gelu_tanh);
    const nb_op *bn = &net.ops[3];
    assert_int_equal(bn->in_c, 48);
    size_t n = 0;
    float *ref = read_floats("k3_seq_bn_ref.bin", &n);
    assert_int_equal(n, 4 * 48);
    assert_memory_equal(bn->gamma, ref, 48 * sizeof(float));
    assert_memory_equal(bn->beta, ref + 48, 48 * sizeof(float));
    assert_memory_equal(bn->mean, ref + 96, 48 * sizeof(float));
    assert_memory_equal(bn->var, ref + 144, 48 * sizeof(float));
    free(ref);
    expect_ref_weights(&net, "k3_seq_ref.bin");
    expect_logits(&net, "k3_seq");
    nb_network_deinit(&net);
}

static void expect_import_error(const char *file, nb_status want, const char *subject,
                                const char *frag);
static void copy_fixture(const char *name, const char *dst);

/* Variants Keras writes or tolerates: float64 weights (read as float32), weight_names split
 * into weight_names0, weight_names1 (Keras's form for long lists), no weight_names at all
 * (the usual "<layer>/<key>:0" paths are tried); an integer weight is refused. */
static void test_weight_variants(void **state) {
    (void)state;
    const char *d = "k_var.h5";
    copy_fixture("dense.h5", d);
    hid_t f = H5Fopen(d, H5F_ACC_RDWR, H5P_DEFAULT);
    const char *bias = "/model_weights/dense_1/dense_1/bias:0";
    float b32[10];
    hid_t ds = H5Dopen2(f, bias, H5P_DEFAULT);
    assert_true(H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, b32) >= 0);
    H5Dclose(ds);
    double b64[10];
    for (int i = 0; i < 10; i++)
        b64[i] = (double)b32[i];
    assert_true(H5Ldelete(f, bias, H5P_DEFAULT) >= 0);
    hsize_t dim = 10;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    ds = H5Dcreate2(f, bias, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, b64) >= 0);
    H5Dclose(ds);
    hid_t g = H5Gopen2(f, "/model_weights/dense_1", H5P_DEFAULT);
    assert_true(H5Arename(g, "weight_names", "weight_names0") >= 0);
    H5Gclose(g);
    g = H5Gopen2(f, "/model_weights/dense", H5P_DEFAULT);
    assert_true(H5Adelete(g, "weight_names") >= 0);
    H5Gclose(g);
    H5Fclose(f);
    nb_network net;
    assert_int_equal(nb_import_keras(d, &net), NB_OK);
    assert_memory_equal(net.ops[4].bias, b32, sizeof b32);
    expect_ref_weights(&net, "dense_ref.bin");
    nb_network_deinit(&net);

    f = H5Fopen(d, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(f, bias, H5P_DEFAULT) >= 0);
    ds = H5Dcreate2(f, bias, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
    expect_import_error(d, NB_E_FORMAT, "k_var.h5 /model_weights/dense_1/dense_1/bias:0",
                        "not a floating-point array");
    unlink(d);
}

/* ---- refusals ---------------------------------------------------------------------------- */

/* Copies fixture `name` to `dst` in the working directory. */
static void copy_fixture(const char *name, const char *dst) {
    char p[1200];
    nb_test_copy_file(fixture(p, sizeof p, name), dst);
}

/* dst's model_config (malloc'd). */
static char *get_config(const char *dst) {
    hid_t f = H5Fopen(dst, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t a = H5Aopen(f, "model_config", H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    char *json = NULL;
    if (H5Tis_variable_str(t) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        char *raw = NULL;
        assert_true(H5Aread(a, mt, &raw) >= 0);
        json = strdup(raw);
        H5free_memory(raw);
        H5Tclose(mt);
    } else {
        size_t len = H5Tget_size(t);
        json = calloc(len + 1, 1);
        assert_true(H5Aread(a, t, json) >= 0);
    }
    H5Tclose(t);
    H5Aclose(a);
    H5Fclose(f);
    return json;
}

/* Replaces dst's model_config by `json` (a variable-length string, as h5py 3 writes it). */
static void set_config(const char *dst, const char *json) {
    hid_t f = H5Fopen(dst, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Adelete(f, "model_config") >= 0);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "model_config", mt, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Awrite(a, mt, &json) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(mt);
    H5Fclose(f);
}

/* Replaces the first `from` in dst's model_config by `to` (fails if absent). */
static void edit_config(const char *dst, const char *from, const char *to) {
    char *json = get_config(dst);
    char *at = strstr(json, from);
    if (!at)
        print_error("'%s' not in %s\n", from, json);
    assert_non_null(at);
    size_t head = (size_t)(at - json), fl = strlen(from), tl = strlen(to);
    char *out = malloc(strlen(json) - fl + tl + 1);
    memcpy(out, json, head);
    memcpy(out + head, to, tl);
    strcpy(out + head + tl, at + fl);
    set_config(dst, out);
    free(json);
    free(out);
}

static void expect_import_error(const char *file, nb_status want, const char *subject,
                                const char *frag) {
    nb_network net;
    nb_status s = nb_import_keras(file, &net);
    nb_expect_error(s, want, subject, frag);
    assert_null(net.ops);
    assert_int_equal(net.n_ops, 0);
}

static void test_config_refusals(void **state) {
    (void)state;
    const char *d = "k_cfg.h5", *c = "k_cfgc.h5";
    copy_fixture("dense.h5", d);
    edit_config(d, "\"class_name\": \"Dropout\"", "\"class_name\": \"LSTM\"");
    expect_import_error(d, NB_E_UNSUPPORTED, "k_cfg.h5 layer dropout (LSTM)",
                        "layer class 'LSTM' is not supported");

    copy_fixture("dense.h5", d);
    edit_config(d, "\"units\": 16,", "\"units\": 16, \"lora_rank\": 4,");
    expect_import_error(d, NB_E_UNSUPPORTED, "k_cfg.h5 layer dense (Dense)", "key 'lora_rank'");

    copy_fixture("dense.h5", d);
    edit_config(d, "\"activation\": \"relu\"", "\"activation\": \"swish\"");
    expect_import_error(d, NB_E_UNSUPPORTED, "k_cfg.h5 layer dense (Dense)",
                        "key 'activation' = 'swish'");

    copy_fixture("dense.h5", d); /* a softmax inside the chain: nb_graph's check, file named */
    edit_config(d, "\"activation\": \"relu\"", "\"activation\": \"softmax\"");
    expect_import_error(d, NB_E_UNSUPPORTED, "k_cfg.h5",
                        "operator 2 (softmax): softmax is supported as the last operator only");

    copy_fixture("dense.h5", d);
    edit_config(d, "\"class_name\": \"Sequential\"", "\"class_name\": \"Subclassed\"");
    expect_import_error(d, NB_E_UNSUPPORTED, "k_cfg.h5 /model_config", "model class 'Subclassed'");

    copy_fixture("dense.h5", d);
    edit_config(d, "\"batch_input_shape\": [null, 28, 28]",
                "\"batch_input_shape\": [null, 28, null]");
    expect_import_error(d, NB_E_UNSUPPORTED, "k_cfg.h5 layer flatten_input (InputLayer)",
                        "no fixed positive size");

    copy_fixture("dense.h5", d);
    edit_config(d, "{\"class_name\": \"Sequential\"", "{\"class_name\": [\"Sequential\"");
    expect_import_error(d, NB_E_FORMAT, "k_cfg.h5", "not a JSON object");

    copy_fixture("conv.h5", c);
    edit_config(c, "\"groups\": 1", "\"groups\": 2");
    expect_import_error(c, NB_E_UNSUPPORTED, "k_cfgc.h5 layer conv2d (Conv2D)", "key 'groups' = 2");

    copy_fixture("conv.h5", c);
    edit_config(c, "\"padding\": \"same\"", "\"padding\": \"causal\"");
    expect_import_error(c, NB_E_UNSUPPORTED, "k_cfgc.h5 layer conv2d (Conv2D)",
                        "key 'padding' = 'causal'");

    copy_fixture("conv.h5", c);
    edit_config(c, "\"data_format\": \"channels_last\"", "\"data_format\": \"channels_first\"");
    expect_import_error(c, NB_E_UNSUPPORTED, "k_cfgc.h5 layer conv2d (Conv2D)",
                        "key 'data_format' = 'channels_first'");

    copy_fixture("conv.h5", c);
    edit_config(c, "[[[\"flatten\", 0, 0, {}]]]", "[[[\"leaky_re_lu\", 0, 0, {}]]]");
    expect_import_error(c, NB_E_UNSUPPORTED, "k_cfgc.h5 layer dense (Dense)",
                        "not a chain: takes its input from leaky_re_lu");

    copy_fixture("conv.h5", c);
    edit_config(c, "[[[\"flatten\", 0, 0, {}]]]",
                "[[[\"flatten\", 0, 0, {}], [\"conv2d\", 0, 0, {}]]]");
    expect_import_error(c, NB_E_UNSUPPORTED, "k_cfgc.h5 layer dense (Dense)",
                        "not a chain: the layer has 2 inputs");

    copy_fixture("conv.h5", c); /* Dense straight on a 3x3x6 map */
    edit_config(c,
                "\"class_name\": \"Flatten\", \"config\": {\"name\": \"flatten\", \"trainable\": "
                "true, \"dtype\": \"float32\", \"data_format\": \"channels_last\"}",
                "\"class_name\": \"Dropout\", \"config\": {\"name\": \"flatten\", \"rate\": 0.5}");
    expect_import_error(c, NB_E_UNSUPPORTED, "k_cfgc.h5 layer dense (Dense)",
                        "applies per position");

    copy_fixture("conv.h5", c); /* softmax per pixel */
    edit_config(c, "\"activation\": \"relu\"", "\"activation\": \"softmax\"");
    expect_import_error(c, NB_E_UNSUPPORTED, "k_cfgc.h5 layer conv2d (Conv2D)",
                        "per-position softmax");

    /* unknown keys: null is accepted ("zzz"), a set value is refused by name ("alpha", which
     * Softmax does not know) */
    copy_fixture("conv.h5", c);
    edit_config(c, "\"alpha\": 0.1}", "\"alpha\": 0.1, \"zzz\": null}");
    edit_config(c, "\"class_name\": \"LeakyReLU\"", "\"class_name\": \"Softmax\"");
    expect_import_error(c, NB_E_UNSUPPORTED, "k_cfgc.h5 layer leaky_re_lu (Softmax)",
                        "key 'alpha'");
    unlink(d);
    unlink(c);
}

static void test_file_refusals(void **state) {
    (void)state;
    const char *d = "k_file.h5";
    /* NaN weight */
    copy_fixture("dense.h5", d);
    hid_t f = H5Fopen(d, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t ds = H5Dopen2(f, "/model_weights/dense_1/dense_1/bias:0", H5P_DEFAULT);
    float b[10] = {0};
    b[3] = NAN;
    assert_true(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, b) >= 0);
    H5Dclose(ds);
    H5Fclose(f);
    expect_import_error(d, NB_E_NUMERIC, "k_file.h5 /model_weights/dense_1/dense_1/bias:0",
                        "value 3 is nan");

    /* a missing dataset */
    copy_fixture("dense.h5", d);
    f = H5Fopen(d, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(f, "/model_weights/dense/dense/kernel:0", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_import_error(d, NB_E_MISSING, "k_file.h5 /model_weights/dense/dense/kernel:0",
                        "listed in weight_names but missing");

    /* a misshapen dataset */
    copy_fixture("dense.h5", d);
    f = H5Fopen(d, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(f, "/model_weights/dense_1/dense_1/bias:0", H5P_DEFAULT) >= 0);
    hsize_t dim = 9;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    ds = H5Dcreate2(f, "/model_weights/dense_1/dense_1/bias:0", H5T_IEEE_F32LE, sp, H5P_DEFAULT,
                    H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
    expect_import_error(d, NB_E_MISMATCH, "k_file.h5 /model_weights/dense_1/dense_1/bias:0",
                        "shape 9, expected 10 for layer dense_1 (Dense)");

    /* a layer group that is not there */
    copy_fixture("dense.h5", d);
    f = H5Fopen(d, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(f, "/model_weights/dense_1", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_import_error(d, NB_E_MISSING, "k_file.h5 /model_weights/dense_1",
                        "no weight group for layer dense_1 (Dense)");

    /* no model_config: a save_weights file */
    copy_fixture("dense.h5", d);
    f = H5Fopen(d, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Adelete(f, "model_config") >= 0);
    H5Fclose(f);
    expect_import_error(d, NB_E_FORMAT, "k_file.h5 /", "no model_config attribute");

    /* truncated */
    char p[1200];
    size_t len = 0;
    char *bytes = nb_test_read_file(fixture(p, sizeof p, "conv.h5"), &len);
    assert_non_null(bytes);
    nb_test_write_file(d, bytes, len / 2);
    free(bytes);
    expect_import_error(d, NB_E_FORMAT, "k_file.h5", NULL);

    /* not HDF5; missing */
    nb_test_write_text(d, "this is not an HDF5 file at all\n");
    expect_import_error(d, NB_E_FORMAT, "k_file.h5", "not a readable HDF5 file");
    unlink(d);
    expect_import_error("k_nothing.h5", NB_E_IO, "k_nothing.h5", "cannot open");
}

/* Seeded random edits of model_config (digits changed, characters deleted or replaced): every
 * import either succeeds with a built graph or fails with its own recorded status and a zeroed
 * network. Under ASan (scripts/test.sh) this also checks memory safety of every refusal path. */
static void test_config_mutations(void **state) {
    (void)state;
    static const char *const bases[] = {"conv.h5", "k3.h5", "dense.h5", "k3_seq.h5"};
    static const char alphabet[] = "0123456789-.e,:[]{}\" nulrstaf";
    const char *d = "k_mut.h5";
    uint64_t rng = 0x9E3779B97F4A7C15u;
    size_t ok = 0, failed = 0;
    for (size_t b = 0; b < 4; b++) {
        copy_fixture(bases[b], d);
        char *base = get_config(d);
        size_t len = strlen(base);
        char *json = malloc(len + 1);
        for (int it = 0; it < 60; it++) {
            memcpy(json, base, len + 1);
            size_t cur = len;
            int edits = 1 + it % 3;
            for (int e = 0; e < edits; e++) {
                rng = rng * 6364136223846793005u + 1442695040888963407u;
                size_t at = (size_t)(rng >> 33) % cur, kind = (size_t)(rng >> 20) % 3;
                if (kind == 0) { /* a digit becomes another character of a number */
                    size_t p = at;
                    while (p < cur && !(json[p] >= '0' && json[p] <= '9'))
                        p++;
                    if (p < cur)
                        json[p] = "0123456789-9"[(rng >> 8) % 12];
                } else if (kind == 1) { /* delete one character */
                    memmove(json + at, json + at + 1, cur - at);
                    cur--;
                } else {
                    json[at] = alphabet[(rng >> 8) % (sizeof alphabet - 1)];
                }
            }
            set_config(d, json);
            nb_network net;
            nb_error_clear();
            nb_status s = nb_import_keras(d, &net);
            if (s == NB_OK) {
                assert_true(net.n_ops > 0 && net.n_layers >= 2 && net.ops);
                nb_network_deinit(&net);
                ok++;
            } else {
                assert_int_equal(nb_error_status(), s);
                assert_null(net.ops);
                assert_null(net.layer_size);
                failed++;
            }
        }
        free(json);
        free(base);
    }
    print_message("    mutated configs: %zu imported, %zu refused\n", ok, failed);
    assert_true(failed > 0);
    unlink(d);
}

int main(void) {
    const char *env = getenv("NB_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s", env ? env : "../tests/data");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense),           cmocka_unit_test(test_conv),
        cmocka_unit_test(test_keras3),          cmocka_unit_test(test_keras3_sequential),
        cmocka_unit_test(test_config_refusals), cmocka_unit_test(test_config_mutations),
        cmocka_unit_test(test_file_refusals),   cmocka_unit_test(test_weight_variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
