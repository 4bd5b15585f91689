/* test_train.c - nb_train: learns a separable synthetic problem, is deterministic for a seed
 * whatever the thread count, L1 shrinks weights, every error path; architecture strings
 * (--arch): parsing, refusals, the operator chains they build, and CNN training.
 */
#include <cblas.h>
#include <omp.h>

#include "nb_graph.h"
#include "nb_log.h"
#include "nb_mlp.h"
#include "nb_rng.h"
#include "nb_test.h"
#include "nb_train.h"

/* A synthetic data set: x uniform in [0,1]^dim, label = argmax_c (A x + a)_c for a fixed
 * random linear map, so the classes are linearly separable (a softmax-regression problem a
 * ReLU network must learn). `map_seed` fixes the map (same for train and test), `seed` the
 * points. */
typedef struct synth {
    nb_dataset ds;
} synth;

static void synth_make(synth *s, size_t n, size_t dim, size_t C, uint64_t map_seed, uint64_t seed) {
    memset(s, 0, sizeof *s);
    nb_dataset *ds = &s->ds;
    ds->n = n;
    ds->rows = dim;
    ds->cols = 1;
    ds->dim = dim;
    ds->n_classes = C;
    ds->images = malloc(n * dim * sizeof(float));
    ds->labels = malloc(n);
    assert_non_null(ds->images);
    assert_non_null(ds->labels);
    double *A = malloc(C * (dim + 1) * sizeof(double));
    assert_non_null(A);
    nb_rng rng;
    nb_rng_init(&rng, map_seed);
    for (size_t k = 0; k < C * (dim + 1); k++)
        A[k] = nb_rng_normal(&rng);
    nb_rng_init(&rng, seed);
    size_t seen[256] = {0};
    for (size_t i = 0; i < n; i++) {
        float *x = ds->images + i * dim;
        for (size_t j = 0; j < dim; j++)
            x[j] = (float)nb_rng_uniform(&rng);
        size_t best = 0;
        double best_v = -INFINITY;
        for (size_t c = 0; c < C; c++) {
            double v = A[c * (dim + 1) + dim];
            for (size_t j = 0; j < dim; j++)
                v += A[c * (dim + 1) + j] * (x[j] - 0.5) * 4.0;
            if (v > best_v) {
                best_v = v;
                best = c;
            }
        }
        ds->labels[i] = (uint8_t)best;
        seen[best]++;
    }
    /* every class must occur, else n_classes would lie */
    size_t max_label = 0;
    for (size_t c = 0; c < C; c++)
        if (seen[c])
            max_label = c;
    ds->n_classes = max_label + 1;
    free(A);
}

static void synth_free(synth *s) {
    free(s->ds.images);
    free(s->ds.labels);
}

typedef struct epoch_log {
    int calls;
    double first_loss, last_loss;
    double last_test;
    int stop_after; /* 0 = never stop */
} epoch_log;

static bool on_epoch(void *user, const nb_train_epoch_stats *st) {
    epoch_log *log = user;
    log->calls++;
    if (st->epoch == 1)
        log->first_loss = st->loss;
    log->last_loss = st->loss;
    log->last_test = st->test_accuracy;
    assert_int_equal(st->epoch, log->calls);
    assert_true(st->train_accuracy >= 0.0 && st->train_accuracy <= 1.0);
    return !(log->stop_after && st->epoch >= log->stop_after);
}

static int setup(void **state) {
    (void)state;
    nb_log_set_level(NB_LOG_QUIET);
    return 0;
}

static nb_train_desc small_desc(void) {
    nb_train_desc d = {0};
    d.n_hidden = 2;
    d.hidden[0] = 24;
    d.hidden[1] = 12;
    d.epochs = 40;
    d.batch_size = 32;
    d.learning_rate = 1e-2;
    d.seed = 7;
    d.dataset_name = "synthetic";
    return d;
}

static void test_learns_separable_data(void **state) {
    (void)state;
    synth tr, te;
    synth_make(&tr, 1000, 6, 4, 100, 1);
    synth_make(&te, 400, 6, 4, 100, 2);
    assert_int_equal(tr.ds.n_classes, 4);
    nb_train_desc d = small_desc();
    epoch_log log = {0};
    d.on_epoch = on_epoch;
    d.user = &log;
    nb_network net;
    assert_int_equal(nb_train_network(&d, &tr.ds, &te.ds, &net), NB_OK);
    /* shape [6, 24, 12, 4] */
    assert_int_equal(net.n_layers, 4);
    assert_int_equal(net.layer_size[0], 6);
    assert_int_equal(net.layer_size[1], 24);
    assert_int_equal(net.layer_size[2], 12);
    assert_int_equal(net.layer_size[3], 4);
    assert_int_equal(net.n_classes, 4);
    /* learned */
    assert_int_equal(log.calls, 40);
    assert_true(log.last_loss < 0.5 * log.first_loss);
    assert_true(net.train_accuracy > 0.93);
    assert_true(net.test_accuracy > 0.90);
    assert_true(fabs(net.test_accuracy - log.last_test) < 1e-12);
    double acc = 0;
    assert_int_equal(nb_mlp_evaluate(&net, &te.ds, NULL, &acc, NULL), NB_OK);
    assert_true(fabs(acc - net.test_accuracy) < 1e-12);
    /* provenance */
    assert_string_equal(net.source, "train");
    assert_string_equal(net.dataset, "synthetic");
    assert_string_equal(net.activation, "relu");
    assert_int_equal(net.epochs, 40);
    assert_int_equal(net.seed, 7);
    assert_true(net.l1 == 0.0);
    nb_network_deinit(&net);
    synth_free(&tr);
    synth_free(&te);
}

static bool same_network(const nb_network *a, const nb_network *b) {
    if (a->n_layers != b->n_layers)
        return false;
    size_t nw = a->weight_offset[a->n_layers - 1], nb = a->bias_offset[a->n_layers - 1];
    return memcmp(a->weights, b->weights, nw * sizeof(float)) == 0 &&
           memcmp(a->biases, b->biases, nb * sizeof(float)) == 0;
}

static void test_same_seed_same_weights(void **state) {
    (void)state;
    synth tr;
    synth_make(&tr, 300, 5, 3, 200, 3);
    nb_train_desc d = small_desc();
    d.epochs = 3;
    nb_network a, b, c;
    assert_int_equal(nb_train_network(&d, &tr.ds, NULL, &a), NB_OK);
    assert_int_equal(nb_train_network(&d, &tr.ds, NULL, &b), NB_OK);
    assert_true(same_network(&a, &b));
    assert_true(isnan(a.test_accuracy));
    assert_false(isnan(a.train_accuracy));
    d.seed = 8;
    assert_int_equal(nb_train_network(&d, &tr.ds, NULL, &c), NB_OK);
    assert_false(same_network(&a, &c));
    nb_network_deinit(&a);
    nb_network_deinit(&b);
    nb_network_deinit(&c);
    synth_free(&tr);
}

/* Shapes large enough that the OpenMP loops really run on two threads, with a partial last
 * batch (1000 = 7 * 128 + 104) and shards of 32 rows: 1 thread, 2 threads and the adaptive
 * choice must give bit-identical networks. */
static void test_thread_count_independent(void **state) {
    (void)state;
    synth tr, te;
    synth_make(&tr, 1000, 300, 5, 300, 4);
    synth_make(&te, 1500, 300, 5, 300, 9);
    nb_train_desc d = {0};
    d.n_hidden = 2;
    d.hidden[0] = 100;
    d.hidden[1] = 60;
    d.epochs = 3; /* 3 x 8 steps: the adaptive run tries 2 threads at step 16 */
    d.batch_size = 128;
    d.l1 = 1e-4;
    nb_network a, b, c;
    d.threads = 1;
    assert_int_equal(nb_train_network(&d, &tr.ds, &te.ds, &a), NB_OK);
    d.threads = 2;
    openblas_set_num_threads(2);
    assert_int_equal(nb_train_network(&d, &tr.ds, &te.ds, &b), NB_OK);
    assert_int_equal(openblas_get_num_threads(), 2); /* restored */
    assert_true(same_network(&a, &b));
    assert_true(a.train_accuracy == b.train_accuracy);
    assert_true(a.test_accuracy == b.test_accuracy);
    /* adaptive (the default): switches thread counts by speed, same network */
    d.threads = 0;
    omp_set_num_threads(2);
    assert_int_equal(nb_train_network(&d, &tr.ds, &te.ds, &c), NB_OK);
    assert_true(same_network(&a, &c));
    nb_network_deinit(&a);
    nb_network_deinit(&b);
    nb_network_deinit(&c);
    synth_free(&tr);
    synth_free(&te);
}

static double sum_abs_weights(const nb_network *net, size_t *n_small) {
    size_t nw = net->weight_offset[net->n_layers - 1];
    double s = 0;
    *n_small = 0;
    for (size_t i = 0; i < nw; i++) {
        s += fabs(net->weights[i]);
        *n_small += fabs(net->weights[i]) < 1e-2f;
    }
    return s;
}

static void test_l1_shrinks_weights(void **state) {
    (void)state;
    synth tr;
    synth_make(&tr, 600, 6, 3, 400, 5);
    nb_train_desc d = small_desc();
    d.epochs = 10;
    nb_network plain, sparse;
    assert_int_equal(nb_train_network(&d, &tr.ds, NULL, &plain), NB_OK);
    d.l1 = 1e-3;
    assert_int_equal(nb_train_network(&d, &tr.ds, NULL, &sparse), NB_OK);
    size_t small_plain, small_sparse;
    double s_plain = sum_abs_weights(&plain, &small_plain);
    double s_sparse = sum_abs_weights(&sparse, &small_sparse);
    assert_true(s_sparse < 0.7 * s_plain);
    assert_true(small_sparse > small_plain);
    assert_true(sparse.l1 == 1e-3);
    /* biases are exempt: the penalised network still learns */
    assert_true(sparse.train_accuracy > 0.8);
    nb_network_deinit(&plain);
    nb_network_deinit(&sparse);
    synth_free(&tr);
}

static void test_desc_defaults(void **state) {
    (void)state;
    nb_train_desc zero = {0}, d;
    nb_train_desc_resolve(&zero, &d);
    assert_int_equal(d.n_hidden, 2);
    assert_int_equal(d.hidden[0], 81);
    assert_int_equal(d.hidden[1], 49);
    assert_int_equal(d.epochs, 15);
    assert_int_equal(d.batch_size, 128);
    assert_true(d.learning_rate == 1e-3);
    assert_true(d.beta1 == 0.9 && d.beta2 == 0.999 && d.epsilon == 1e-8);
    assert_true(d.l1 == 0.0);
    assert_int_equal(d.seed, 1);
    assert_string_equal(d.dataset_name, "");
    assert_int_equal(nb_train_desc_validate(&d), NB_OK);
    /* explicit values survive */
    nb_train_desc e = small_desc();
    nb_train_desc_resolve(&e, &d);
    assert_int_equal(d.hidden[0], 24);
    assert_int_equal(d.epochs, 40);
    assert_int_equal(d.seed, 7);
}

static void expect_error(const nb_train_desc *d, const nb_dataset *tr, const nb_dataset *te,
                         nb_status want, const char *subject, const char *reason_part) {
    nb_network net;
    memset(&net, 0xAB, sizeof net);
    nb_error_clear();
    nb_expect_error(nb_train_network(d, tr, te, &net), want, subject, reason_part);
    /* *net zeroed on failure */
    assert_int_equal(net.n_layers, 0);
    assert_null(net.weights);
}

static void test_errors(void **state) {
    (void)state;
    synth tr, te;
    synth_make(&tr, 100, 4, 3, 500, 6);
    synth_make(&te, 50, 4, 3, 500, 7);
    nb_train_desc d = small_desc();
    d.epochs = 2;

    nb_train_desc bad = d;
    bad.epochs = -1;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train epochs", "-1");
    bad = d;
    bad.n_hidden = 1;
    bad.hidden[0] = 0;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train hidden", "0 nodes");
    bad = d;
    bad.n_hidden = NB_TRAIN_MAX_HIDDEN + 1;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train hidden", "17 hidden layers");
    bad = d;
    bad.learning_rate = -0.1;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train learning_rate", NULL);
    bad = d;
    bad.beta1 = 1.0;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train beta1", NULL);
    bad = d;
    bad.beta2 = 1.5;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train beta2", NULL);
    bad = d;
    bad.epsilon = -1;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train epsilon", NULL);
    bad = d;
    bad.l1 = -1e-3;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train l1", NULL);
    bad = d;
    bad.threads = -1;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train threads", NULL);
    bad = d;
    bad.batch_size = 2000000;
    expect_error(&bad, &tr.ds, &te.ds, NB_E_INVALID, "train batch_size", NULL);

    /* empty training set */
    nb_dataset empty = tr.ds;
    empty.n = 0;
    expect_error(&d, &empty, NULL, NB_E_INVALID, "training set", "no images");
    /* one class only */
    nb_dataset one = tr.ds;
    uint8_t *keep = one.labels;
    uint8_t zeros[100] = {0};
    one.labels = zeros;
    one.n_classes = 1;
    expect_error(&d, &one, NULL, NB_E_INVALID, "training set", "need >= 2");
    /* n_classes that lies about the labels */
    one.labels = keep;
    one.n_classes = 7;
    expect_error(&d, &one, NULL, NB_E_INVALID, "training set", "largest label");
    /* test images of another size */
    nb_dataset wide = te.ds;
    wide.dim = 2;
    wide.rows = 2;
    expect_error(&d, &tr.ds, &wide, NB_E_MISMATCH, "test set", "2 values");
    /* test label beyond the training classes */
    uint8_t saved = te.ds.labels[10];
    te.ds.labels[10] = 3;
    expect_error(&d, &tr.ds, &te.ds, NB_E_MISMATCH, "test set", "label 3 of image 10");
    te.ds.labels[10] = saved;

    /* a non-finite loss (here from infinite inputs) stops training */
    nb_dataset huge = tr.ds;
    float *img = malloc(tr.ds.n * tr.ds.dim * sizeof(float));
    assert_non_null(img);
    for (size_t k = 0; k < tr.ds.n * tr.ds.dim; k++)
        img[k] = INFINITY;
    huge.images = img;
    expect_error(&d, &huge, NULL, NB_E_NUMERIC, "training", "diverged");
    free(img);

    /* cancellation from the callback after epoch 1 */
    epoch_log log = {.stop_after = 1};
    nb_train_desc c = d;
    c.on_epoch = on_epoch;
    c.user = &log;
    expect_error(&c, &tr.ds, &te.ds, NB_E_CANCELLED, "training", "after epoch 1");
    assert_int_equal(log.calls, 1);

    synth_free(&tr);
    synth_free(&te);
}

/* ---- architectures ------------------------------------------------------------------------ */

static void test_arch_parse_and_format(void **state) {
    (void)state;
    nb_train_arch a;
    assert_int_equal(nb_train_arch_parse("conv32-pool-conv64-pool-fc128", &a), NB_OK);
    assert_int_equal(a.n, 5);
    const nb_train_block kinds[5] = {NB_TRAIN_BLOCK_CONV, NB_TRAIN_BLOCK_POOL, NB_TRAIN_BLOCK_CONV,
                                     NB_TRAIN_BLOCK_POOL, NB_TRAIN_BLOCK_FC};
    const size_t sizes[5] = {32, 0, 64, 0, 128};
    for (size_t k = 0; k < 5; k++) {
        assert_int_equal(a.kind[k], kinds[k]);
        assert_int_equal(a.size[k], sizes[k]);
    }
    char buf[128];
    assert_string_equal(nb_train_arch_format(&a, buf, sizeof buf), "conv32-pool-conv64-pool-fc128");
    assert_int_equal(nb_train_arch_parse("fc7", &a), NB_OK);
    assert_string_equal(nb_train_arch_format(&a, buf, sizeof buf), "fc7");
    /* truncation keeps a terminated string */
    assert_int_equal(nb_train_arch_parse("conv4096-pool", &a), NB_OK);
    assert_string_equal(nb_train_arch_format(&a, buf, 5), "conv");

    static const struct {
        const char *text, *frag;
    } bad[] = {
        {"", "empty"},
        {"conv32--pool", "empty block at character 8"},
        {"-conv3", "empty block at character 1"},
        {"conv3-", "empty block at character 7"},
        {"conv", "conv needs a channel count"},
        {"conv0", "conv needs a channel count 1..4096"},
        {"conv4097", "conv needs a channel count"},
        {"conv3x", "block 'conv3x'"},
        {"fc", "fc needs a unit count"},
        {"fc-3", "fc needs a unit count"},
        {"fc1000001", "fc needs a unit count 1..1000000"},
        {"pool2", "unknown block 'pool2'"},
        {"Conv3", "unknown block 'Conv3'"},
        {"conv3 -pool", "block 'conv3 '"},
        {"fc128-conv3", "block 2 (conv) follows a dense layer"},
        {"fc8-pool", "block 2 (pool) follows a dense layer"},
        {"pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-"
         "pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool-pool",
         "more than 32 blocks"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        a.n = 3;
        nb_expect_error(nb_train_arch_parse(bad[k].text, &a), NB_E_INVALID, "train arch",
                        bad[k].frag);
        assert_int_equal(a.n, 0); /* zeroed */
    }
    nb_expect_error(nb_train_arch_parse(NULL, &a), NB_E_INVALID, "train arch", "empty");
}

static void expect_kinds(const nb_network *net, const nb_op_kind *kinds, size_t n) {
    assert_int_equal(net->n_ops, n);
    for (size_t k = 0; k < n; k++)
        if (net->ops[k].kind != kinds[k])
            fail_msg("operator %zu is %s, want %s", k, nb_op_kind_name(net->ops[k].kind),
                     nb_op_kind_name(kinds[k]));
}

static void test_arch_builds_chains(void **state) {
    (void)state;
    nb_train_arch a;
    nb_network net;
    const nb_op_kind cnn[] = {NB_OP_CONV2D, NB_OP_RELU,    NB_OP_MAXPOOL, NB_OP_CONV2D,
                              NB_OP_RELU,   NB_OP_MAXPOOL, NB_OP_FLATTEN, NB_OP_DENSE,
                              NB_OP_RELU,   NB_OP_DENSE};
    /* the TorchRender3D example network; the trailing fc10 is the output layer */
    for (int explicit_out = 0; explicit_out < 2; explicit_out++) {
        assert_int_equal(nb_train_arch_parse(explicit_out ? "conv32-pool-conv64-pool-fc128-fc10"
                                                          : "conv32-pool-conv64-pool-fc128",
                                             &a),
                         NB_OK);
        assert_int_equal(nb_train_arch_build(&a, 1, 28, 28, 10, 3, &net), NB_OK);
        expect_kinds(&net, cnn, sizeof cnn / sizeof cnn[0]);
        const nb_op *c1 = &net.ops[0], *c2 = &net.ops[3], *fc = &net.ops[7], *out = &net.ops[9];
        assert_int_equal(c1->out_c, 32);
        assert_int_equal(c1->out_h, 28);
        assert_int_equal(c1->kernel_h * c1->kernel_w, 9);
        assert_int_equal(c1->pad_top + c1->pad_left + c1->pad_bottom + c1->pad_right, 4);
        assert_int_equal(c2->in_c, 32);
        assert_int_equal(c2->in_h, 14);
        assert_int_equal(fc->in_c * fc->in_h * fc->in_w, 64 * 7 * 7);
        assert_int_equal(fc->out_c, 128);
        assert_int_equal(out->out_c, 10);
        /* Glorot-uniform weights, zero biases */
        const double lim = sqrt(6.0 / (9.0 * 32 + 9.0 * 64));
        double mx = 0;
        for (size_t i = 0; i < nb_op_weight_count(c2); i++)
            mx = fabs(c2->weight[i]) > mx ? fabs(c2->weight[i]) : mx;
        assert_true(mx <= lim && mx > 0.9 * lim);
        for (size_t o = 0; o < 64; o++)
            assert_true(c2->bias[o] == 0.0f);
        /* the graph view: input channels, then one node layer per conv/dense */
        assert_int_equal(nb_graph_build(&net), NB_OK);
        assert_int_equal(net.n_layers, 5);
        assert_int_equal(net.layer_size[0], 1);
        assert_int_equal(net.layer_size[2], 64);
        assert_int_equal(net.layer_size[4], 10);
        nb_network_deinit(&net);
    }
    /* fc8 equal to 3 classes? no: a hidden fc3 before the output when the classes differ */
    assert_int_equal(nb_train_arch_parse("fc3", &a), NB_OK);
    assert_int_equal(nb_train_arch_build(&a, 1, 4, 4, 5, 1, &net), NB_OK);
    const nb_op_kind mlp[] = {NB_OP_DENSE, NB_OP_RELU, NB_OP_DENSE};
    expect_kinds(&net, mlp, 3);
    assert_int_equal(net.ops[0].in_c * net.ops[0].in_h * net.ops[0].in_w, 16);
    nb_network_deinit(&net);
    assert_int_equal(nb_train_arch_build(&a, 1, 4, 4, 3, 1, &net), NB_OK);
    const nb_op_kind lin[] = {NB_OP_DENSE};
    expect_kinds(&net, lin, 1);
    nb_network_deinit(&net);
    /* a conv ends in flatten + the output layer */
    assert_int_equal(nb_train_arch_parse("conv2", &a), NB_OK);
    assert_int_equal(nb_train_arch_build(&a, 3, 5, 5, 4, 1, &net), NB_OK);
    const nb_op_kind c[] = {NB_OP_CONV2D, NB_OP_RELU, NB_OP_FLATTEN, NB_OP_DENSE};
    expect_kinds(&net, c, 4);
    assert_int_equal(net.ops[0].in_c, 3);
    nb_network_deinit(&net);
    /* refusals: pooling below 2x2, too few classes, no blocks */
    assert_int_equal(nb_train_arch_parse("conv4-pool-pool-pool-pool-pool", &a), NB_OK);
    nb_expect_error(nb_train_arch_build(&a, 1, 28, 28, 10, 1, &net), NB_E_INVALID, "train arch",
                    "block 6 (pool): its input is 1x1");
    assert_null(net.ops);
    assert_int_equal(nb_train_arch_parse("fc4", &a), NB_OK);
    nb_expect_error(nb_train_arch_build(&a, 1, 28, 28, 1, 1, &net), NB_E_INVALID, "train arch",
                    "1 classes");
    a.n = 0;
    nb_expect_error(nb_train_arch_build(&a, 1, 28, 28, 10, 1, &net), NB_E_INVALID, "train arch",
                    "no blocks");
}

/* 1x8x8 images with a bright 4x4 patch in one of the four quadrants (the class) on noise. */
static void quadrants(nb_dataset *ds, size_t n, uint64_t seed) {
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->channels = 1;
    ds->rows = ds->cols = 8;
    ds->dim = 64;
    ds->n_classes = 4;
    ds->images = malloc(n * 64 * sizeof(float));
    ds->labels = malloc(n);
    assert_true(ds->images && ds->labels);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        const uint8_t c = (uint8_t)(i % 4);
        ds->labels[i] = c;
        float *x = ds->images + i * 64;
        for (size_t p = 0; p < 64; p++)
            x[p] = (float)(0.4 * nb_rng_uniform(&rng));
        const size_t r0 = c / 2 * 4, c0 = c % 2 * 4;
        for (size_t r = 0; r < 4; r++)
            for (size_t q = 0; q < 4; q++)
                x[(r0 + r) * 8 + c0 + q] += 0.6f;
    }
}

static bool same_ops(const nb_network *a, const nb_network *b) {
    if (a->n_ops != b->n_ops)
        return false;
    for (size_t k = 0; k < a->n_ops; k++) {
        const size_t nw = nb_op_weight_count(&a->ops[k]);
        if (nw && (memcmp(a->ops[k].weight, b->ops[k].weight, nw * sizeof(float)) ||
                   memcmp(a->ops[k].bias, b->ops[k].bias, a->ops[k].out_c * sizeof(float))))
            return false;
    }
    return true;
}

static void test_arch_trains_a_cnn(void **state) {
    (void)state;
    nb_dataset tr, te;
    quadrants(&tr, 400, 1);
    quadrants(&te, 200, 2);
    nb_train_desc d = {0};
    assert_int_equal(nb_train_arch_parse("conv4-pool-fc16", &d.arch), NB_OK);
    d.epochs = 3;
    d.batch_size = 32;
    d.learning_rate = 1e-2;
    d.seed = 5;
    d.dataset_name = "quadrants";
    epoch_log log = {0};
    d.on_epoch = on_epoch;
    d.user = &log;
    nb_network a, b;
    d.threads = 1;
    assert_int_equal(nb_train_network(&d, &tr, &te, &a), NB_OK);
    assert_int_equal(log.calls, 3);
    assert_true(log.last_loss < log.first_loss);
    assert_true(a.test_accuracy >= 0.95);
    assert_true(a.train_accuracy >= 0.95);
    assert_string_equal(a.source, "train");
    assert_string_equal(a.dataset, "quadrants");
    assert_int_equal(a.epochs, 3);
    /* the graph view is built: 1 input channel, 4 conv channels, 16 units, 4 classes */
    assert_int_equal(a.n_layers, 4);
    assert_int_equal(a.layer_size[0], 1);
    assert_int_equal(a.layer_size[1], 4);
    assert_int_equal(a.layer_size[3], 4);
    assert_int_equal(a.n_classes, 4);
    /* the evaluation dispatches to the operators and agrees with training's last figure */
    double acc = 0;
    assert_int_equal(nb_mlp_evaluate(&a, &te, NULL, &acc, NULL), NB_OK);
    assert_true(acc == a.test_accuracy);
    /* the same network for 2 threads and for the adaptive thread count */
    d.threads = 2;
    d.on_epoch = NULL;
    omp_set_num_threads(2);
    assert_int_equal(nb_train_network(&d, &tr, &te, &b), NB_OK);
    assert_true(same_ops(&a, &b));
    assert_true(a.test_accuracy == b.test_accuracy);
    nb_network_deinit(&b);
    d.threads = 0;
    assert_int_equal(nb_train_network(&d, &tr, &te, &b), NB_OK);
    assert_true(same_ops(&a, &b));
    nb_network_deinit(&b);
    /* an architecture that does not fit the images */
    assert_int_equal(nb_train_arch_parse("pool-pool-pool-pool", &d.arch), NB_OK);
    nb_expect_error(nb_train_network(&d, &tr, &te, &b), NB_E_INVALID, "train arch",
                    "block 4 (pool): its input is 1x1");
    nb_network_deinit(&a);
    nb_dataset_deinit(&tr);
    nb_dataset_deinit(&te);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desc_defaults),
        cmocka_unit_test(test_learns_separable_data),
        cmocka_unit_test(test_same_seed_same_weights),
        cmocka_unit_test(test_thread_count_independent),
        cmocka_unit_test(test_l1_shrinks_weights),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_arch_parse_and_format),
        cmocka_unit_test(test_arch_builds_chains),
        cmocka_unit_test(test_arch_trains_a_cnn),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
