/* test_h5_ops.c - /network/ops (format_version 2): round trips of every operator kind and
 * one test per kind of malformed operator group.
 *
 * The networks are built here without nb_graph (common/ does not link it): the test derives
 * the operator shapes and the graph view's layer sizes itself, so a wrong formula in the
 * reader's check and a wrong one here would have to agree to pass.
 */
#include <unistd.h>

#include <hdf5.h>

#include "nb_h5.h"
#include "nb_h5_schema.h"
#include "nb_rng.h"
#include "nb_test.h"

#define BASE "h5_ops_base.nnb.h5"
#define LIE  "h5_ops_lie.nnb.h5"

/* ---- building a chain ------------------------------------------------------------------ */

typedef struct chain {
    nb_op ops[32];
    size_t n;
    size_t c, h, w; /* the current tensor */
    nb_rng rng;
} chain;

static float *random_array(chain *ch, size_t n, bool positive) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        double u = nb_rng_uniform(&ch->rng);
        x[i] = (float)(positive ? 0.5 + u : 2.0 * u - 1.0);
    }
    return x;
}

static size_t window(size_t in, size_t pad0, size_t pad1, size_t k, size_t s, size_t d) {
    return (in + pad0 + pad1 - d * (k - 1) - 1) / s + 1;
}

static nb_op *push(chain *ch, nb_op_kind kind) {
    nb_op *op = &ch->ops[ch->n++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->in_c = op->out_c = ch->c;
    op->in_h = op->out_h = ch->h;
    op->in_w = op->out_w = ch->w;
    return op;
}

static void done(chain *ch, nb_op *op) {
    ch->c = op->out_c;
    ch->h = op->out_h;
    ch->w = op->out_w;
}

static void add_windowed(chain *ch, nb_op_kind kind, size_t out_c, size_t k, size_t stride,
                         size_t dil, size_t pad, bool bias) {
    nb_op *op = push(ch, kind);
    op->kernel_h = k;
    op->kernel_w = k;
    op->stride_h = op->stride_w = stride;
    if (kind == NB_OP_CONV2D) /* pooling has no dilation (not stored: it reads back 0) */
        op->dilation_h = op->dilation_w = dil;
    op->pad_top = op->pad_left = pad;
    op->pad_bottom = op->pad_right = pad;
    op->out_h = window(ch->h, pad, pad, k, stride, dil);
    op->out_w = window(ch->w, pad, pad, k, stride, dil);
    if (kind == NB_OP_CONV2D) {
        op->out_c = out_c;
        op->weight = random_array(ch, out_c * ch->c * k * k, false);
        op->bias = bias ? random_array(ch, out_c, false) : NULL;
    }
    if (kind == NB_OP_AVGPOOL)
        op->count_include_pad = true;
    done(ch, op);
}

static void add_dense(chain *ch, size_t out) {
    nb_op *op = push(ch, NB_OP_DENSE);
    op->out_c = out;
    op->out_h = op->out_w = 1;
    op->weight = random_array(ch, out * ch->c * ch->h * ch->w, false);
    op->bias = random_array(ch, out, false);
    done(ch, op);
}

static void add_simple(chain *ch, nb_op_kind kind) {
    nb_op *op = push(ch, kind);
    switch (kind) {
    case NB_OP_GLOBAL_AVGPOOL:
        op->out_h = op->out_w = 1;
        break;
    case NB_OP_FLATTEN:
        op->out_c = ch->c * ch->h * ch->w;
        op->out_h = op->out_w = 1;
        break;
    case NB_OP_BATCHNORM:
        op->eps = 1e-5f;
        op->gamma = random_array(ch, ch->c, true);
        op->beta = random_array(ch, ch->c, false);
        op->mean = random_array(ch, ch->c, false);
        op->var = random_array(ch, ch->c, true);
        break;
    case NB_OP_LEAKY_RELU:
        op->alpha = 0.01f;
        break;
    case NB_OP_DROPOUT:
        op->alpha = 0.25f;
        break;
    case NB_OP_GELU:
        op->gelu_tanh = true;
        break;
    default:
        break;
    }
    done(ch, op);
}

/* The network of chain ch on input c x h x w: the operators and a graph view whose layer
 * sizes follow docs/models.md (weights random: the file does not tie them to the kernels). */
static void make_network(nb_model *m, chain *ch, size_t c, size_t h, size_t w) {
    size_t sizes[16], L = 0;
    for (size_t k = 0; k < ch->n; k++) {
        const nb_op *op = &ch->ops[k];
        if (op->kind != NB_OP_DENSE && op->kind != NB_OP_CONV2D)
            continue;
        if (L == 0)
            sizes[L++] = op->kind == NB_OP_CONV2D ? c : c * h * w;
        sizes[L++] = op->out_c;
    }
    memset(m, 0, sizeof *m);
    assert_int_equal(nb_network_init(&m->network, L, sizes), NB_OK);
    m->has_network = true;
    nb_network *net = &m->network;
    for (size_t i = 0; i < nb_network_n_edges(net); i++)
        net->weights[i] = (float)nb_rng_uniform(&ch->rng);
    net->in_c = c;
    net->in_h = h;
    net->in_w = w;
    net->ops = calloc(ch->n, sizeof *net->ops);
    assert_non_null(net->ops);
    memcpy(net->ops, ch->ops, ch->n * sizeof *net->ops); /* the arrays move to net */
    net->n_ops = ch->n;
    snprintf(net->source, sizeof net->source, "import");
}

static void chain_init(chain *ch, size_t c, size_t h, size_t w) {
    memset(ch, 0, sizeof *ch);
    nb_rng_init(&ch->rng, 7);
    ch->c = c;
    ch->h = h;
    ch->w = w;
}

/* 3x8x8 -> conv 4 (3x3, pad 1) -> bn -> relu -> maxpool 2 -> conv 6 (3x3, dilation 1, no
 * bias) -> leaky relu -> avgpool 2 (pad 1, count_include_pad) -> dropout -> flatten -> dense 5
 * -> gelu (tanh) -> dense 3 -> softmax. */
static void make_cnn(nb_model *m) {
    chain ch;
    chain_init(&ch, 3, 8, 8);
    add_windowed(&ch, NB_OP_CONV2D, 4, 3, 1, 1, 1, true);
    add_simple(&ch, NB_OP_BATCHNORM);
    add_simple(&ch, NB_OP_RELU);
    add_windowed(&ch, NB_OP_MAXPOOL, 0, 2, 2, 1, 0, false);
    add_windowed(&ch, NB_OP_CONV2D, 6, 3, 1, 1, 0, false);
    add_simple(&ch, NB_OP_LEAKY_RELU);
    add_windowed(&ch, NB_OP_AVGPOOL, 0, 2, 2, 1, 1, false);
    add_simple(&ch, NB_OP_DROPOUT);
    add_simple(&ch, NB_OP_FLATTEN);
    add_dense(&ch, 5);
    add_simple(&ch, NB_OP_GELU);
    add_dense(&ch, 3);
    add_simple(&ch, NB_OP_SOFTMAX);
    make_network(m, &ch, 3, 8, 8);
}

/* 1x7x7 -> conv 2 (3x3, stride 2, dilation 2) -> tanh -> global avgpool -> dense 4 ->
 * sigmoid -> dense 2. */
static void make_small_cnn(nb_model *m) {
    chain ch;
    chain_init(&ch, 1, 7, 7);
    add_windowed(&ch, NB_OP_CONV2D, 2, 2, 2, 2, 0, true);
    add_simple(&ch, NB_OP_TANH);
    add_simple(&ch, NB_OP_GLOBAL_AVGPOOL);
    add_dense(&ch, 4);
    add_simple(&ch, NB_OP_SIGMOID);
    add_dense(&ch, 2);
    make_network(m, &ch, 1, 7, 7);
}

/* ---- comparing ------------------------------------------------------------------------- */

static void assert_same_array(const float *a, const float *b, size_t n) {
    if (!a) {
        assert_null(b);
        return;
    }
    assert_non_null(b);
    assert_memory_equal(a, b, n * sizeof(float));
}

static void assert_same_ops(const nb_network *a, const nb_network *b) {
    assert_int_equal(a->in_c, b->in_c);
    assert_int_equal(a->in_h, b->in_h);
    assert_int_equal(a->in_w, b->in_w);
    assert_int_equal(a->n_ops, b->n_ops);
    for (size_t k = 0; k < a->n_ops; k++) {
        const nb_op *x = &a->ops[k], *y = &b->ops[k];
        assert_int_equal(x->kind, y->kind);
        size_t xs[] = {x->in_c,     x->in_h,     x->in_w,       x->out_c,
                       x->out_h,    x->out_w,    x->kernel_h,   x->kernel_w,
                       x->stride_h, x->stride_w, x->dilation_h, x->dilation_w,
                       x->pad_top,  x->pad_left, x->pad_bottom, x->pad_right};
        size_t ys[] = {y->in_c,     y->in_h,     y->in_w,       y->out_c,
                       y->out_h,    y->out_w,    y->kernel_h,   y->kernel_w,
                       y->stride_h, y->stride_w, y->dilation_h, y->dilation_w,
                       y->pad_top,  y->pad_left, y->pad_bottom, y->pad_right};
        assert_memory_equal(xs, ys, sizeof xs);
        assert_int_equal(x->count_include_pad, y->count_include_pad);
        assert_int_equal(x->gelu_tanh, y->gelu_tanh);
        assert_true(x->alpha == y->alpha);
        assert_true(x->eps == y->eps);
        assert_same_array(x->weight, y->weight, nb_op_weight_count(x));
        assert_same_array(x->bias, y->bias, nb_op_bias_count(x));
        assert_same_array(x->gamma, y->gamma, nb_op_channel_count(x));
        assert_same_array(x->beta, y->beta, nb_op_channel_count(x));
        assert_same_array(x->mean, y->mean, nb_op_channel_count(x));
        assert_same_array(x->var, y->var, nb_op_channel_count(x));
    }
    assert_int_equal(a->n_layers, b->n_layers);
    assert_memory_equal(a->layer_size, b->layer_size, a->n_layers * sizeof(size_t));
    assert_memory_equal(a->weights, b->weights, nb_network_n_edges(a) * sizeof(float));
}

static int64_t root_version(const char *path) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    int64_t v = 0;
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    assert_true(H5Aread(a, H5T_NATIVE_INT64, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    return v;
}

/* ---- round trips ----------------------------------------------------------------------- */

static void round_trip(void (*make)(nb_model *), const char *path) {
    nb_model m, r;
    make(&m);
    assert_int_equal(nb_model_validate(&m, path), NB_OK);
    assert_int_equal(nb_h5_save(path, &m), NB_OK);
    assert_int_equal(root_version(path), NB_FORMAT_VERSION);
    assert_int_equal(nb_h5_load(path, &r), NB_OK);
    assert_same_ops(&m.network, &r.network);
    /* and once more through a copy, loaded and saved again */
    nb_model c = {.has_network = true};
    assert_int_equal(nb_network_copy(&c.network, &r.network), NB_OK);
    assert_int_equal(nb_h5_save(path, &c), NB_OK);
    nb_model r2;
    assert_int_equal(nb_h5_load(path, &r2), NB_OK);
    assert_same_ops(&m.network, &r2.network);
    nb_model_deinit(&r2);
    nb_model_deinit(&c);
    nb_model_deinit(&r);
    nb_model_deinit(&m);
    unlink(path);
}

static void test_round_trip_cnn(void **state) {
    (void)state;
    round_trip(make_cnn, "h5_ops_cnn.nnb.h5");
}

static void test_round_trip_small_cnn(void **state) {
    (void)state;
    round_trip(make_small_cnn, "h5_ops_small.nnb.h5");
}

/* Every kind appears in one of the two networks above. */
static void test_every_kind_is_covered(void **state) {
    (void)state;
    bool seen[NB_OP_COUNT] = {false};
    nb_model a, b;
    make_cnn(&a);
    make_small_cnn(&b);
    for (size_t k = 0; k < a.network.n_ops; k++)
        seen[a.network.ops[k].kind] = true;
    for (size_t k = 0; k < b.network.n_ops; k++)
        seen[b.network.ops[k].kind] = true;
    for (int k = 0; k < NB_OP_COUNT; k++)
        if (!seen[k])
            fail_msg("operator kind %s has no round trip", nb_op_kind_name((nb_op_kind)k));
    nb_model_deinit(&a);
    nb_model_deinit(&b);
}

/* A network without operators is written as format_version 1 without /network/ops and reads
 * back as the classic dense network (n_ops 0, input n_0 x 1 x 1). */
static void test_dense_network_stays_version_1(void **state) {
    (void)state;
    const size_t sizes[3] = {6, 4, 3};
    nb_model m = {.has_network = true}, r;
    assert_int_equal(nb_network_init(&m.network, 3, sizes), NB_OK);
    assert_int_equal(nb_h5_save("h5_ops_dense.nnb.h5", &m), NB_OK);
    assert_int_equal(root_version("h5_ops_dense.nnb.h5"), NB_FORMAT_VERSION_DENSE);
    hid_t f = H5Fopen("h5_ops_dense.nnb.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(H5Lexists(f, "/network/ops", H5P_DEFAULT) == 0);
    H5Fclose(f);
    assert_int_equal(nb_h5_load("h5_ops_dense.nnb.h5", &r), NB_OK);
    assert_int_equal(r.network.n_ops, 0);
    assert_null(r.network.ops);
    assert_int_equal(r.network.in_c, 6);
    assert_int_equal(r.network.in_h, 1);
    assert_int_equal(r.network.in_w, 1);
    nb_model_deinit(&r);
    nb_model_deinit(&m);
    unlink("h5_ops_dense.nnb.h5");
}

/* The file lists the schema's rows: every attribute and dataset of the kind, nothing else. */
static void test_file_holds_the_op_schema(void **state) {
    (void)state;
    nb_model m;
    make_cnn(&m);
    assert_int_equal(nb_h5_save(BASE, &m), NB_OK);
    hid_t f = H5Fopen(BASE, H5F_ACC_RDONLY, H5P_DEFAULT);
    for (size_t k = 0; k < m.network.n_ops; k++) {
        const nb_op *op = &m.network.ops[k];
        char g[64];
        snprintf(g, sizeof g, "/network/ops/%03zu", k);
        hid_t h = H5Gopen2(f, g, H5P_DEFAULT);
        assert_true(h >= 0);
        size_t attrs = 1; /* kind */
        for (size_t i = 0; i < nb_h5_n_op_attrs; i++) {
            bool want = (nb_h5_op_attrs[i].kinds & NB_H5_OP_BIT(op->kind)) != 0;
            assert_int_equal(H5Aexists(h, nb_h5_op_attrs[i].name) > 0, want);
            attrs += want;
        }
        H5O_info_t info;
        assert_true(H5Oget_info(h, &info) >= 0);
        assert_int_equal(info.num_attrs, attrs);
        for (size_t i = 0; i < nb_h5_n_op_datasets; i++) {
            size_t dims[4];
            bool want = nb_h5_op_shape(&nb_h5_op_datasets[i], op, dims) > 0 &&
                        !(nb_h5_op_datasets[i].optional && !op->bias);
            assert_int_equal(H5Lexists(h, nb_h5_op_datasets[i].name, H5P_DEFAULT) > 0, want);
        }
        H5Gclose(h);
    }
    /* the convolution's kernels keep PyTorch's rank-4 layout */
    hid_t d = H5Dopen2(f, "/network/ops/000/weight", H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    hsize_t dims[4];
    assert_int_equal(H5Sget_simple_extent_dims(s, dims, NULL), 4);
    assert_true(dims[0] == 4 && dims[1] == 3 && dims[2] == 3 && dims[3] == 3);
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
    nb_model_deinit(&m);
}

/* ---- malformed operator groups --------------------------------------------------------- */

static hid_t open_lie(void) {
    nb_model m;
    make_cnn(&m);
    assert_int_equal(nb_h5_save(BASE, &m), NB_OK);
    nb_model_deinit(&m);
    nb_test_copy_file(BASE, LIE);
    hid_t f = H5Fopen(LIE, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static void expect_load(hid_t f, nb_status want, const char *obj, const char *frag) {
    assert_true(H5Fclose(f) >= 0);
    nb_model m;
    nb_error_clear();
    nb_status got = nb_h5_load(LIE, &m);
    char subject[256];
    snprintf(subject, sizeof subject, "%s %s", LIE, obj);
    nb_expect_error(got, want, subject, frag);
    assert_false(m.has_network);
    assert_null(m.network.ops);
}

static void set_string_attr(hid_t f, const char *obj, const char *name, const char *value) {
    hid_t g = H5Oopen(f, obj, H5P_DEFAULT);
    if (H5Aexists(g, name) > 0)
        H5Adelete(g, name);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(g, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Awrite(a, t, value) >= 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    H5Oclose(g);
}

static void set_int_attr(hid_t f, const char *obj, const char *name, int64_t value) {
    hid_t g = H5Oopen(f, obj, H5P_DEFAULT);
    if (H5Aexists(g, name) > 0)
        H5Adelete(g, name);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(g, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Oclose(g);
}

static void delete_attr(hid_t f, const char *obj, const char *name) {
    hid_t g = H5Oopen(f, obj, H5P_DEFAULT);
    assert_true(H5Adelete(g, name) >= 0);
    H5Oclose(g);
}

static void replace_floats(hid_t f, const char *obj, int rank, const hsize_t *dims, float fill,
                           size_t nan_at) {
    assert_true(H5Ldelete(f, obj, H5P_DEFAULT) >= 0);
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = i == nan_at ? NAN : fill;
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, obj, H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
    H5Dclose(d);
    H5Sclose(s);
    free(x);
}

static void test_unknown_kind(void **state) {
    (void)state;
    hid_t f = open_lie();
    set_string_attr(f, "/network/ops/002", "kind", "swish");
    expect_load(f, NB_E_FORMAT, "/network/ops/002 kind", "unknown operator kind \"swish\"");
}

static void test_missing_kind_and_attribute(void **state) {
    (void)state;
    hid_t f = open_lie();
    delete_attr(f, "/network/ops/002", "kind");
    expect_load(f, NB_E_MISSING, "/network/ops/002 kind", "");
    f = open_lie();
    delete_attr(f, "/network/ops/004", "kernel_h");
    expect_load(f, NB_E_MISSING, "/network/ops/004 kernel_h", "");
    f = open_lie();
    delete_attr(f, "/network/ops", "in_c");
    expect_load(f, NB_E_MISSING, "/network/ops in_c", "");
}

static void test_missing_dataset(void **state) {
    (void)state;
    hid_t f = open_lie();
    assert_true(H5Ldelete(f, "/network/ops/004/weight", H5P_DEFAULT) >= 0);
    expect_load(f, NB_E_MISSING, "/network/ops/004/weight", "");
    f = open_lie();
    assert_true(H5Ldelete(f, "/network/ops/001/var", H5P_DEFAULT) >= 0);
    expect_load(f, NB_E_MISSING, "/network/ops/001/var", "");
    f = open_lie();
    assert_true(H5Ldelete(f, "/network/ops/003", H5P_DEFAULT) >= 0);
    expect_load(f, NB_E_FORMAT, "/network/ops", "12 members, but n_ops says 13");
}

static void test_wrong_shape(void **state) {
    (void)state;
    hid_t f = open_lie();
    hsize_t dims[4] = {4, 3, 3, 2};
    replace_floats(f, "/network/ops/000/weight", 4, dims, 0.5f, SIZE_MAX);
    expect_load(f, NB_E_FORMAT, "/network/ops/000/weight", "shape 4x3x3x2, expected 4x3x3x3");
    f = open_lie();
    hsize_t two[2] = {4, 27};
    replace_floats(f, "/network/ops/000/weight", 2, two, 0.5f, SIZE_MAX);
    expect_load(f, NB_E_FORMAT, "/network/ops/000/weight", "rank 2, expected 4");
    f = open_lie();
    hsize_t five = 5;
    replace_floats(f, "/network/ops/001/gamma", 1, &five, 0.5f, SIZE_MAX);
    expect_load(f, NB_E_FORMAT, "/network/ops/001/gamma", "shape 5, expected 4");
}

static void test_shape_attributes_lie(void **state) {
    (void)state;
    hid_t f = open_lie();
    set_int_attr(f, "/network/ops/000", "out_h", 7); /* 3x3, pad 1 on 8x8 gives 8 */
    expect_load(f, NB_E_FORMAT, "/network/ops/000", "output 4x7x8, expected 4x8x8");
    f = open_lie();
    set_int_attr(f, "/network/ops/003", "in_c", 5);
    expect_load(f, NB_E_FORMAT, "/network/ops/003", "input 5x8x8, but the tensor before it");
    f = open_lie();
    set_int_attr(f, "/network/ops/004", "kernel_h", 9);
    expect_load(f, NB_E_FORMAT, "/network/ops/004", "does not fit the padded 4x4 input");
    f = open_lie();
    set_int_attr(f, "/network/ops/000", "stride_w", 0);
    expect_load(f, NB_E_FORMAT, "/network/ops/000 stride_w", "0, expected 1..16777216");
    f = open_lie();
    set_int_attr(f, "/network/ops", "n_ops", 5000);
    expect_load(f, NB_E_FORMAT, "/network/ops n_ops", "5000, expected 1..1024");
    f = open_lie();
    set_int_attr(f, "/network/ops/000", "out_c", 1 << 25); /* bounded before allocating */
    expect_load(f, NB_E_FORMAT, "/network/ops/000 out_c", "expected 1..16777216");
}

static void test_nan_and_negative_values(void **state) {
    (void)state;
    hid_t f = open_lie();
    hsize_t dims[4] = {4, 3, 3, 3};
    replace_floats(f, "/network/ops/000/weight", 4, dims, 0.5f, 5);
    expect_load(f, NB_E_NUMERIC, "/network/ops/000/weight", "NaN at [0, 5]");
    f = open_lie();
    hsize_t four = 4;
    replace_floats(f, "/network/ops/001/var", 1, &four, -1.0f, SIZE_MAX);
    expect_load(f, NB_E_NUMERIC, "/network/ops/001/var", "value -1 at [0], expected >= 0");
    f = open_lie();
    hid_t g = H5Gopen2(f, "/network/ops/001", H5P_DEFAULT);
    H5Adelete(g, "eps");
    double nan = NAN;
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(g, "eps", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, &nan);
    H5Aclose(a);
    H5Sclose(s);
    H5Gclose(g);
    expect_load(f, NB_E_NUMERIC, "/network/ops/001 eps", "not a finite float32");
}

/* The chain and the graph view (layer_sizes) must describe the same network. */
static void test_graph_view_mismatch(void **state) {
    (void)state;
    hid_t f = open_lie();
    /* the graph view says 3 input nodes; make the input 1 channel by lying on the whole chain
     * is long: instead the first conv's 4 channels against a graph view of 5 */
    hid_t d = H5Dopen2(f, "/network/layer_sizes", H5P_DEFAULT);
    int32_t sizes[5];
    assert_true(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, sizes) >= 0);
    H5Dclose(d);
    assert_int_equal(sizes[0], 3);
    assert_int_equal(sizes[1], 4);
    set_string_attr(f, "/network/ops/012", "kind", "relu"); /* softmax -> relu: still fine */
    H5Fclose(f);
    nb_model m;
    assert_int_equal(nb_h5_load(LIE, &m), NB_OK);
    /* in memory: a graph view that disagrees with the chain is refused by the writer too */
    m.network.layer_size[1] = 5;
    nb_error_clear();
    nb_expect_error(nb_model_validate(&m, "x.nnb.h5"), NB_E_MISMATCH, "x.nnb.h5 /network/ops/000",
                    "node layer 1 of 4 nodes, the graph view");
    m.network.layer_size[1] = 4;
    /* softmax in the middle, and no dense at the end */
    m.network.ops[2].kind = NB_OP_SOFTMAX;
    nb_expect_error(nb_model_validate(&m, "x.nnb.h5"), NB_E_FORMAT, "x.nnb.h5 /network/ops/002",
                    "only allowed as the last operator");
    m.network.ops[2].kind = NB_OP_RELU;
    assert_int_equal(nb_model_validate(&m, "x.nnb.h5"), NB_OK);
    nb_model_deinit(&m);
}

/* Seeded byte flips in a valid CNN file (every operator kind): each load fails cleanly with
 * a subject naming the file, or gives a model that passes nb_model_validate. */
static void test_fuzzed_cnn_files(void **state) {
    (void)state;
    nb_model m;
    make_cnn(&m);
    assert_int_equal(nb_h5_save("h5_ops_fuzz_base.nnb.h5", &m), NB_OK);
    nb_model_deinit(&m);
    size_t len = 0;
    char *orig = nb_test_read_file("h5_ops_fuzz_base.nnb.h5", &len);
    assert_non_null(orig);
    char *buf = malloc(len);
    nb_rng rng;
    nb_rng_init(&rng, 12);
    size_t ok = 0, failed = 0;
    for (int it = 0; it < 300; it++) {
        memcpy(buf, orig, len);
        int flips = 1 + (int)nb_rng_below(&rng, 4);
        for (int k = 0; k < flips; k++)
            buf[nb_rng_below(&rng, len)] ^= (char)(1 + nb_rng_below(&rng, 255));
        nb_test_write_file("h5_ops_fuzz.nnb.h5", buf, len);
        nb_model r;
        nb_status st = nb_h5_load("h5_ops_fuzz.nnb.h5", &r);
        assert_true(st == NB_OK || st == NB_E_FORMAT || st == NB_E_NUMERIC || st == NB_E_MISSING ||
                    st == NB_E_MISMATCH || st == NB_E_IO);
        if (st == NB_OK) {
            assert_int_equal(nb_model_validate(&r, "h5_ops_fuzz.nnb.h5"), NB_OK);
            nb_model_deinit(&r);
            ok++;
        } else {
            assert_non_null(strstr(nb_error_subject(), "h5_ops_fuzz.nnb.h5"));
            assert_false(r.has_network);
            failed++;
        }
    }
    print_message("    fuzzed CNN loads: %zu ok, %zu refused\n", ok, failed);
    free(buf);
    free(orig);
    unlink("h5_ops_fuzz.nnb.h5");
    unlink("h5_ops_fuzz_base.nnb.h5");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_cnn),
        cmocka_unit_test(test_round_trip_small_cnn),
        cmocka_unit_test(test_every_kind_is_covered),
        cmocka_unit_test(test_dense_network_stays_version_1),
        cmocka_unit_test(test_file_holds_the_op_schema),
        cmocka_unit_test(test_unknown_kind),
        cmocka_unit_test(test_missing_kind_and_attribute),
        cmocka_unit_test(test_missing_dataset),
        cmocka_unit_test(test_wrong_shape),
        cmocka_unit_test(test_shape_attributes_lie),
        cmocka_unit_test(test_nan_and_negative_values),
        cmocka_unit_test(test_graph_view_mismatch),
        cmocka_unit_test(test_fuzzed_cnn_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
