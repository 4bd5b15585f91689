/* test_h5.c - .nnb.h5 round trips, one test per kind of lying file, atomic saves.
 *
 * Fixtures are written by the test itself into its working directory: a valid file from
 * nb_h5_save, then a copy altered with the HDF5 API for each lie.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "nb_h5.h"
#include "nb_h5_io.h"
#include "nb_h5_schema.h"
#include "nb_rng.h"
#include "nb_test.h"

/* ---- model builders ------------------------------------------------------------------- */

/* A network of the given sizes with seeded weights, importance (top_k) and a bundle whose
 * edge i of pair l goes from node i of layer l to node (i % n_{l+1}) of layer l+1. */
static void make_model(nb_model *m, const size_t *sizes, size_t L, size_t top_k, bool with_imp,
                       bool with_bundle) {
    memset(m, 0, sizeof *m);
    nb_rng rng;
    nb_rng_init(&rng, 42);
    assert_int_equal(nb_network_init(&m->network, L, sizes), NB_OK);
    m->has_network = true;
    nb_network *n = &m->network;
    for (size_t i = 0; i < nb_network_n_edges(n); i++)
        n->weights[i] = (float)(nb_rng_uniform(&rng) * 2.0 - 1.0);
    for (size_t i = 0; i < n->bias_offset[L - 1]; i++)
        n->biases[i] = (float)nb_rng_normal(&rng);
    for (size_t c = 0; c < n->n_classes; c++) {
        char name[32];
        snprintf(name, sizeof name, "class \"%zu\" é", c);
        assert_int_equal(nb_network_set_class_name(n, c, name), NB_OK);
    }
    snprintf(n->source, sizeof n->source, "train");
    snprintf(n->dataset, sizeof n->dataset, "/usr/share/datasets/fashion-mnist");
    n->epochs = 15;
    n->seed = UINT64_C(0xFEEDFACECAFEBEEF);
    n->l1 = 0.001;
    n->train_accuracy = 0.91;
    /* test_accuracy stays NaN */

    if (with_imp) {
        nb_importance *imp = &m->importance;
        assert_int_equal(nb_importance_init(imp, L, sizes, top_k), NB_OK);
        m->has_importance = true;
        for (size_t i = 0; i < imp->node_offset[L]; i++)
            imp->node[i] = (float)nb_rng_uniform(&rng);
        for (size_t i = 0; i < imp->edge_offset[L - 1]; i++)
            imp->edge[i] = (float)nb_rng_uniform(&rng);
        for (size_t i = 0; i < imp->top_offset[L]; i++)
            imp->top[i] = (int32_t)(i % 7) - 1;
        for (size_t c = 0; c < imp->n_classes; c++)
            imp->finetune_accuracy[c] = c == 1 ? NAN : 0.5 + 0.01 * (double)c;
        snprintf(imp->method, sizeof imp->method, "bn-gamma");
        snprintf(imp->flags, sizeof imp->flags, "gamma,l1");
        imp->epochs = 20;
        imp->seed = 7;
    }
    if (with_bundle) {
        size_t N = nb_network_n_nodes(n), E = 0, S = 0;
        for (size_t l = 0; l + 1 < L; l++)
            for (size_t i = 0; i < sizes[l]; i++, E++)
                S += 2 + E % 3;
        nb_bundle_data *b = &m->bundle;
        assert_int_equal(nb_bundle_data_init(b, L, N, E, S), NB_OK);
        m->has_bundle = true;
        for (size_t i = 0; i < N * 3; i++)
            b->node_position[i] = (float)(nb_rng_uniform(&rng) - 0.5);
        b->layer_offset[0] = 0;
        for (size_t l = 0; l < L; l++)
            b->layer_offset[l + 1] = b->layer_offset[l] + (int64_t)sizes[l];
        size_t e = 0, p = 0;
        for (size_t l = 0; l + 1 < L; l++)
            for (size_t i = 0; i < sizes[l]; i++, e++) {
                b->edge_source[e] = (uint32_t)(b->layer_offset[l] + (int64_t)i);
                b->edge_target[e] =
                    (uint32_t)(b->layer_offset[l + 1] + (int64_t)(i % sizes[l + 1]));
                b->edge_alpha[e] = (float)nb_rng_uniform(&rng);
                b->edge_point_offset[e] = p;
                p += 2 + e % 3;
            }
        b->edge_point_offset[E] = p;
        for (size_t i = 0; i < S * 3; i++)
            b->point_position[i] = (float)(nb_rng_uniform(&rng) * 3.0 - 1.5);
        b->config_json = strdup("{\n  \"seed\": 1\n}\n");
        b->node_iterations = 56;
        b->edge_iterations = 23;
        b->n_edges_total = nb_network_n_edges(n);
        b->metrics.mean_distortion = 1.25;
        b->metrics.max_distortion = 3.5;
        b->metrics.mean_length_diff = 0.125;
        /* ink_ratio stays NaN: not measured */
        b->time_layout = 0.001;
        b->time_node_phase = 0.5;
        b->time_edge_phase = 2.0;
        b->time_total = 2.6;
    }
}

static const size_t small_sizes[4] = {6, 5, 4, 3};

static void make_small(nb_model *m) {
    make_model(m, small_sizes, 4, 2, true, true);
}

static void assert_same_model(const nb_model *a, const nb_model *b) {
    assert_int_equal(a->has_network, b->has_network);
    assert_int_equal(a->has_importance, b->has_importance);
    assert_int_equal(a->has_bundle, b->has_bundle);
    const nb_network *x = &a->network, *y = &b->network;
    assert_int_equal(x->n_layers, y->n_layers);
    assert_memory_equal(x->layer_size, y->layer_size, x->n_layers * sizeof(size_t));
    assert_memory_equal(x->weights, y->weights, nb_network_n_edges(x) * sizeof(float));
    assert_memory_equal(x->biases, y->biases, x->bias_offset[x->n_layers - 1] * sizeof(float));
    assert_int_equal(x->n_classes, y->n_classes);
    for (size_t c = 0; c < x->n_classes; c++)
        assert_string_equal(x->class_names[c], y->class_names[c]);
    assert_string_equal(x->activation, y->activation);
    assert_string_equal(x->source, y->source);
    assert_string_equal(x->dataset, y->dataset);
    assert_int_equal(x->epochs, y->epochs);
    assert_true(x->seed == y->seed);
    nb_assert_same_double(x->l1, y->l1);
    nb_assert_same_double(x->train_accuracy, y->train_accuracy);
    nb_assert_same_double(x->test_accuracy, y->test_accuracy);
    if (a->has_importance) {
        const nb_importance *p = &a->importance, *q = &b->importance;
        size_t L = p->n_layers;
        assert_int_equal(p->n_classes, q->n_classes);
        assert_int_equal(p->top_k, q->top_k);
        assert_memory_equal(p->node, q->node, p->node_offset[L] * sizeof(float));
        assert_memory_equal(p->edge, q->edge, p->edge_offset[L - 1] * sizeof(float));
        assert_memory_equal(p->top, q->top, p->top_offset[L] * sizeof(int32_t));
        for (size_t c = 0; c < p->n_classes; c++)
            nb_assert_same_double(p->finetune_accuracy[c], q->finetune_accuracy[c]);
        assert_string_equal(p->method, q->method);
        assert_string_equal(p->flags, q->flags);
        assert_int_equal(p->epochs, q->epochs);
        assert_true(p->seed == q->seed);
    }
    if (a->has_bundle) {
        const nb_bundle_data *p = &a->bundle, *q = &b->bundle;
        assert_int_equal(p->n_layers, q->n_layers);
        assert_int_equal(p->n_nodes, q->n_nodes);
        assert_int_equal(p->n_edges, q->n_edges);
        assert_int_equal(p->n_points, q->n_points);
        assert_memory_equal(p->node_position, q->node_position, p->n_nodes * 3 * sizeof(float));
        assert_memory_equal(p->layer_offset, q->layer_offset, (p->n_layers + 1) * sizeof(int64_t));
        assert_memory_equal(p->edge_source, q->edge_source, p->n_edges * sizeof(uint32_t));
        assert_memory_equal(p->edge_target, q->edge_target, p->n_edges * sizeof(uint32_t));
        assert_memory_equal(p->edge_alpha, q->edge_alpha, p->n_edges * sizeof(float));
        assert_memory_equal(p->edge_point_offset, q->edge_point_offset,
                            (p->n_edges + 1) * sizeof(uint64_t));
        assert_memory_equal(p->point_position, q->point_position, p->n_points * 3 * sizeof(float));
        if (p->config_json)
            assert_string_equal(p->config_json, q->config_json);
        else
            assert_null(q->config_json);
        assert_int_equal(p->node_iterations, q->node_iterations);
        assert_int_equal(p->edge_iterations, q->edge_iterations);
        assert_int_equal(p->n_edges_total, q->n_edges_total);
        nb_assert_same_double(p->metrics.mean_distortion, q->metrics.mean_distortion);
        nb_assert_same_double(p->metrics.max_distortion, q->metrics.max_distortion);
        nb_assert_same_double(p->metrics.mean_length_diff, q->metrics.mean_length_diff);
        nb_assert_same_double(p->metrics.ink_ratio, q->metrics.ink_ratio);
        nb_assert_same_double(p->metrics.ink_ratio_layout, q->metrics.ink_ratio_layout);
        nb_assert_same_double(p->metrics.max_turn_degrees, q->metrics.max_turn_degrees);
        nb_assert_same_double(p->time_layout, q->time_layout);
        nb_assert_same_double(p->time_node_phase, q->time_node_phase);
        nb_assert_same_double(p->time_edge_phase, q->time_edge_phase);
        nb_assert_same_double(p->time_total, q->time_total);
    }
}

/* ---- file helpers --------------------------------------------------------------------- */

#define BASE "h5_base.nnb.h5"
#define LIE  "h5_lie.nnb.h5"

/* Writes the valid base file and a fresh copy to LIE; returns the LIE file open RDWR. */
static hid_t open_lie(void) {
    nb_model m;
    make_small(&m);
    assert_int_equal(nb_h5_save(BASE, &m), NB_OK);
    nb_model_deinit(&m);
    nb_test_copy_file(BASE, LIE);
    hid_t f = H5Fopen(LIE, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

/* Replaces dataset obj with a new one of file type `type`, rank/dims, data (may be NULL). */
static void replace_dset(hid_t f, const char *obj, hid_t type, int rank, const hsize_t *dims,
                         hid_t memtype, const void *data) {
    if (H5Lexists(f, obj, H5P_DEFAULT) > 0)
        assert_true(H5Ldelete(f, obj, H5P_DEFAULT) >= 0);
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, obj, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(d >= 0);
    if (data)
        assert_true(H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Sclose(s);
}

/* Reads dataset obj as memtype (elem bytes), lets patch() change it, writes it back. */
static void patch_dset(hid_t f, const char *obj, hid_t memtype, size_t elem, size_t index,
                       const void *value) {
    hid_t d = H5Dopen2(f, obj, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t s = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    assert_true(n > 0 && (size_t)n > index);
    unsigned char *buf = malloc((size_t)n * elem);
    assert_true(H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    memcpy(buf + index * elem, value, elem);
    assert_true(H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    free(buf);
    H5Sclose(s);
    H5Dclose(d);
}

/* Closes the lie, loads it and checks status, exact subject and a message fragment. */
static void expect_load(hid_t f, nb_status want, const char *obj, const char *frag) {
    if (f >= 0)
        assert_true(H5Fclose(f) >= 0);
    nb_model m;
    memset(&m, 0x5A, sizeof m);
    nb_error_clear();
    nb_status got = nb_h5_load(LIE, &m);
    char subject[256];
    if (obj)
        snprintf(subject, sizeof subject, "%s %s", LIE, obj);
    else
        snprintf(subject, sizeof subject, "%s", LIE);
    nb_expect_error(got, want, subject, frag);
    /* on failure the model is zeroed */
    assert_false(m.has_network);
    assert_null(m.network.weights);
    assert_null(m.bundle.point_position);
}

/* ---- round trips ---------------------------------------------------------------------- */

static void test_round_trip_all_groups(void **state) {
    (void)state;
    nb_model m, r;
    make_small(&m);
    unlink("h5_rt.nnb.h5");
    assert_int_equal(nb_h5_save("h5_rt.nnb.h5", &m), NB_OK);
    assert_false(nb_test_tmp_left("h5_rt.nnb.h5"));
    assert_int_equal(nb_h5_load("h5_rt.nnb.h5", &r), NB_OK);
    assert_same_model(&m, &r);
    assert_string_equal(r.network.class_names[2], "class \"2\" é");
    assert_true(isnan(r.bundle.metrics.ink_ratio));

    /* overwrite in place: load, drop the bundle, save again */
    nb_bundle_data_deinit(&r.bundle);
    r.has_bundle = false;
    assert_int_equal(nb_h5_save("h5_rt.nnb.h5", &r), NB_OK);
    nb_model r2;
    assert_int_equal(nb_h5_load("h5_rt.nnb.h5", &r2), NB_OK);
    assert_true(r2.has_importance);
    assert_false(r2.has_bundle);
    assert_same_model(&r, &r2);
    nb_model_deinit(&r2);
    nb_model_deinit(&r);
    nb_model_deinit(&m);

    /* root attributes */
    hid_t f = H5Fopen("h5_rt.nnb.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    int64_t version = 0;
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    assert_true(H5Aread(a, H5T_NATIVE_INT64, &version) >= 0);
    assert_int_equal(version, NB_FORMAT_VERSION_DENSE); /* no operators: readable by v1 */
    H5Aclose(a);
    assert_true(H5Aexists(f, "software_version") > 0);
    H5Fclose(f);
    unlink("h5_rt.nnb.h5");
}

/* nb_h5_load_except: the skipped group is neither read nor validated; the rest is as
 * nb_h5_load reads it; the required /network cannot be skipped. */
static void test_load_except(void **state) {
    (void)state;
    nb_model m, r, full;
    make_small(&m);
    unlink("h5_ex.nnb.h5");
    assert_int_equal(nb_h5_save("h5_ex.nnb.h5", &m), NB_OK);
    assert_int_equal(nb_h5_load("h5_ex.nnb.h5", &full), NB_OK);
    assert_true(full.has_bundle);
    assert_int_equal(nb_h5_load_except("h5_ex.nnb.h5", "/bundle", &r), NB_OK);
    assert_true(r.has_network);
    assert_true(r.has_importance);
    assert_false(r.has_bundle);
    assert_null(r.bundle.point_position);
    nb_bundle_data_deinit(&full.bundle); /* the rest is what nb_h5_load reads */
    full.has_bundle = false;
    assert_same_model(&full, &r);
    nb_model_deinit(&r);
    assert_int_equal(nb_h5_load_except("h5_ex.nnb.h5", "importance", &r), NB_OK);
    assert_false(r.has_importance);
    assert_true(r.has_bundle);
    nb_model_deinit(&r);
    assert_int_equal(nb_h5_load_except("h5_ex.nnb.h5", "network", &r), NB_E_INVALID);
    assert_non_null(strstr(nb_error_message(), "'network': not an optional group"));
    assert_int_equal(nb_h5_load_except("h5_ex.nnb.h5", "/bundels", &r), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "h5_ex.nnb.h5");
    nb_model_deinit(&full);

    /* a /bundle that lies is not read, so it does not stop a load without it */
    hid_t f = H5Fopen("h5_ex.nnb.h5", H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, "/bundle/edge_source", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    assert_int_equal(nb_h5_load("h5_ex.nnb.h5", &r), NB_E_MISSING);
    assert_int_equal(nb_h5_load_except("h5_ex.nnb.h5", "bundle", &r), NB_OK);
    assert_false(r.has_bundle);
    nb_model_deinit(&r);
    nb_model_deinit(&m);
    unlink("h5_ex.nnb.h5");
}

static void test_round_trip_network_only_and_empty_bundle(void **state) {
    (void)state;
    nb_model m, r;
    const size_t sizes[2] = {3, 2};
    make_model(&m, sizes, 2, 0, true, false);
    assert_int_equal(nb_h5_save("h5_small.nnb.h5", &m), NB_OK);
    assert_int_equal(nb_h5_load("h5_small.nnb.h5", &r), NB_OK);
    assert_same_model(&m, &r);
    assert_int_equal(r.importance.top_k, 0);
    nb_model_deinit(&r);

    /* a bundle with every edge pruned: E = 0, S = 0, no config_json */
    assert_int_equal(nb_bundle_data_init(&m.bundle, 2, 5, 0, 0), NB_OK);
    m.has_bundle = true;
    m.bundle.layer_offset[1] = 3;
    m.bundle.layer_offset[2] = 5;
    assert_int_equal(nb_h5_save("h5_small.nnb.h5", &m), NB_OK);
    assert_int_equal(nb_h5_load("h5_small.nnb.h5", &r), NB_OK);
    assert_same_model(&m, &r);
    assert_int_equal(r.bundle.n_edges, 0);
    assert_null(r.bundle.config_json);
    nb_model_deinit(&r);

    /* network only */
    nb_importance_deinit(&m.importance);
    nb_bundle_data_deinit(&m.bundle);
    m.has_importance = m.has_bundle = false;
    assert_int_equal(nb_h5_save("h5_small.nnb.h5", &m), NB_OK);
    assert_int_equal(nb_h5_load("h5_small.nnb.h5", &r), NB_OK);
    assert_false(r.has_importance);
    assert_false(r.has_bundle);
    assert_same_model(&m, &r);
    nb_model_deinit(&r);
    nb_model_deinit(&m);
    unlink("h5_small.nnb.h5");
}

static void test_many_long_class_names(void **state) {
    (void)state;
    const size_t sizes[2] = {3, 1000}; /* 1000 names of 200 bytes: a 200 KB attribute */
    nb_model m, r;
    make_model(&m, sizes, 2, 0, false, false);
    char name[256];
    for (size_t c = 0; c < 1000; c++) {
        memset(name, 'a' + (int)(c % 26), 200);
        snprintf(name + 200, sizeof name - 200, "%04zu", c);
        assert_int_equal(nb_network_set_class_name(&m.network, c, c == 7 ? "" : name), NB_OK);
    }
    nb_status st = nb_h5_save("h5_names.nnb.h5", &m);
    if (st != NB_OK)
        fail_msg("%s", nb_error_message());
    assert_int_equal(nb_h5_load("h5_names.nnb.h5", &r), NB_OK);
    assert_same_model(&m, &r);
    assert_string_equal(r.network.class_names[7], "");
    assert_int_equal(strlen(r.network.class_names[999]), 204);
    nb_model_deinit(&r);
    nb_model_deinit(&m);
    unlink("h5_names.nnb.h5");
}

static void test_large_datasets_are_compressed(void **state) {
    (void)state;
    const size_t sizes[3] = {300, 100, 10}; /* 30000 weights = 117 KiB */
    nb_model m, r;
    make_model(&m, sizes, 3, 0, false, false);
    memset(m.network.weights, 0, 300 * 100 * sizeof(float)); /* compresses well */
    assert_int_equal(nb_h5_save("h5_big.nnb.h5", &m), NB_OK);
    assert_int_equal(nb_h5_load("h5_big.nnb.h5", &r), NB_OK);
    assert_same_model(&m, &r);
    nb_model_deinit(&r);
    nb_model_deinit(&m);

    hid_t f = H5Fopen("h5_big.nnb.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/network/dense_0/weight", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(d);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    assert_int_equal(H5Pget_nfilters(dcpl), 2);
    unsigned flags, cd[4];
    size_t ncd = 4;
    assert_int_equal(H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_SHUFFLE);
    ncd = 4;
    assert_int_equal(H5Pget_filter2(dcpl, 1, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_DEFLATE);
    assert_int_equal(cd[0], 1); /* deflate level */
    assert_true(H5Dget_storage_size(d) < 300 * 100 * sizeof(float) / 10);
    H5Pclose(dcpl);
    H5Dclose(d);
    /* small datasets stay contiguous */
    d = H5Dopen2(f, "/network/dense_1/weight", H5P_DEFAULT);
    dcpl = H5Dget_create_plist(d);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CONTIGUOUS);
    H5Pclose(dcpl);
    H5Dclose(d);
    H5Fclose(f);
    unlink("h5_big.nnb.h5");
}

/* Rows handed out in pieces of 1000 (nb_h5io_write_dataset_rows). */
typedef struct rows_src {
    const unsigned char *p;
    size_t left, row_bytes;
} rows_src;
static nb_status next_rows(void *user, size_t *n, const void **rows) {
    rows_src *r = user;
    *n = r->left < 1000 ? r->left : 1000;
    *rows = r->p;
    r->p += *n * r->row_bytes;
    r->left -= *n;
    return NB_OK;
}

/* Chunks compressed by nb_h5_io.c (shuffle + deflate on the OpenMP threads, H5Dwrite_chunk)
 * are the bytes HDF5's own filter pipeline stores for the same dataset, chunk for chunk (the
 * zero-padded last chunk included), whole or in pieces; rank 1 and rows longer than a chunk
 * (written by H5Dwrite) read back too. */
static void test_parallel_chunks_match_hdf5(void **state) {
    (void)state;
    const size_t n_rows = 3 * 21845 + 17; /* 3 whole chunks of 21845 rows of 3 floats, 17 rows */
    float *pts = malloc(n_rows * 3 * sizeof *pts), *back = malloc(n_rows * 3 * sizeof *back);
    nb_rng rng;
    nb_rng_init(&rng, 3);
    for (size_t i = 0; i < 3 * n_rows; i++) /* a smooth part and noise: compressible, not trivial */
        pts[i] = (float)(i % 3) + (float)(i / 3) * 1e-4f + 0.01f * (float)nb_rng_uniform(&rng);
    hid_t f = H5Fcreate("h5_chunks.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t dims[2] = {n_rows, 3};
    assert_int_equal(nb_h5io_write_dataset("h5_chunks.h5", f, "/a", "a", NB_H5_F32, 2, dims, pts),
                     NB_OK);
    rows_src src = {(const unsigned char *)pts, n_rows, 3 * sizeof(float)};
    assert_int_equal(nb_h5io_write_dataset_rows("h5_chunks.h5", f, "/b", "b", NB_H5_F32, 2, dims,
                                                next_rows, &src),
                     NB_OK);
    hid_t a = H5Dopen2(f, "a", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(a);
    hsize_t chunk[2];
    assert_int_equal(H5Pget_chunk(dcpl, 2, chunk), 2);
    assert_int_equal(chunk[0], 21845);
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t c = H5Dcreate2(f, "c", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(H5Dwrite(c, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, pts) >= 0);
    hid_t b = H5Dopen2(f, "b", H5P_DEFAULT);
    const hid_t ds[3] = {a, b, c};
    for (int k = 0; k < 3; k++) {
        memset(back, 0, n_rows * 3 * sizeof *back);
        assert_true(H5Dread(ds[k], H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0);
        assert_memory_equal(back, pts, n_rows * 3 * sizeof *back);
    }
    unsigned char *x = malloc(1 << 20), *y = malloc(1 << 20);
    for (hsize_t q = 0; q < 4; q++) {
        hsize_t off[2] = {q * chunk[0], 0}, nx = 0, ny = 0;
        for (int k = 0; k < 2; k++) {
            uint32_t mx = 1, my = 1;
            assert_true(H5Dget_chunk_storage_size(ds[k], off, &nx) >= 0);
            assert_true(H5Dget_chunk_storage_size(c, off, &ny) >= 0);
            assert_int_equal(nx, ny);
            assert_true(nx > 0 && nx < (1 << 20));
            assert_true(H5Dread_chunk(ds[k], H5P_DEFAULT, off, &mx, x) >= 0);
            assert_true(H5Dread_chunk(c, H5P_DEFAULT, off, &my, y) >= 0);
            assert_int_equal(mx, 0); /* both filters applied */
            assert_int_equal(my, 0);
            assert_memory_equal(x, y, nx);
        }
    }
    free(x);
    free(y);
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Dclose(a);
    H5Dclose(b);
    H5Dclose(c);
    /* rank 1 (uint64) and rows longer than a chunk (2 rows of 100 000 floats) */
    uint64_t *u = malloc(50001 * sizeof *u), *ub = malloc(50001 * sizeof *ub);
    for (size_t i = 0; i < 50001; i++)
        u[i] = 3 * (uint64_t)i * i;
    const hsize_t du[1] = {50001}, dl[2] = {2, 100000};
    assert_int_equal(nb_h5io_write_dataset("h5_chunks.h5", f, "/u", "u", NB_H5_U64, 1, du, u),
                     NB_OK);
    float *l = malloc(200000 * sizeof *l), *lb = malloc(200000 * sizeof *lb);
    for (size_t i = 0; i < 200000; i++)
        l[i] = (float)i;
    assert_int_equal(nb_h5io_write_dataset("h5_chunks.h5", f, "/l", "l", NB_H5_F32, 2, dl, l),
                     NB_OK);
    hid_t d = H5Dopen2(f, "u", H5P_DEFAULT);
    assert_true(H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ub) >= 0);
    assert_memory_equal(u, ub, 50001 * sizeof *u);
    H5Dclose(d);
    d = H5Dopen2(f, "l", H5P_DEFAULT);
    assert_true(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, lb) >= 0);
    assert_memory_equal(l, lb, 200000 * sizeof *l);
    H5Dclose(d);
    H5Fclose(f);
    free(u);
    free(ub);
    free(l);
    free(lb);
    free(pts);
    free(back);
    unlink("h5_chunks.h5");
}

/* A file from another tool: fixed-length strings, int32/float32 attributes, no optional
 * attributes, importance without finetune_accuracy. */
static void test_foreign_attribute_types(void **state) {
    (void)state;
    hid_t f = H5Fcreate("h5_foreign.nnb.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, 8);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "format", str, scalar, H5P_DEFAULT, H5P_DEFAULT);
    char fmt[8] = "nnbundl";
    fmt[7] = 'e'; /* exactly 8 bytes, no NUL (H5T_STR_NULLTERM with full buffer) */
    H5Awrite(a, str, fmt);
    H5Aclose(a);
    int32_t one = 1;
    a = H5Acreate2(f, "format_version", H5T_STD_I32BE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT32, &one);
    H5Aclose(a);
    hid_t g = H5Gcreate2(f, "network", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int32_t ls[2] = {2, 2};
    hsize_t d1 = 2, d2[2] = {2, 2};
    replace_dset(g, "layer_sizes", H5T_STD_I32BE, 1, &d1, H5T_NATIVE_INT32, ls);
    H5Gclose(H5Gcreate2(g, "dense_0", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    float w[4] = {1, 2, 3, 4}, b[2] = {-1, 1};
    replace_dset(g, "dense_0/weight", H5T_IEEE_F32BE, 2, d2, H5T_NATIVE_FLOAT, w);
    replace_dset(g, "dense_0/bias", H5T_IEEE_F32LE, 1, &d1, H5T_NATIVE_FLOAT, b);
    hid_t s2 = H5Screate_simple(1, &d1, NULL);
    hid_t str4 = H5Tcopy(H5T_C_S1);
    H5Tset_size(str4, 4);
    a = H5Acreate2(g, "class_names", str4, s2, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, str4, "cat\0dog\0");
    H5Aclose(a);
    float l1 = 0.5f;
    a = H5Acreate2(g, "l1", H5T_IEEE_F32LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_FLOAT, &l1);
    H5Aclose(a);
    /* variable-length strings, as h5py writes them: UTF-8 and ASCII */
    hid_t vstr = H5Tcopy(H5T_C_S1);
    H5Tset_size(vstr, H5T_VARIABLE);
    const char *relu = "relu";
    a = H5Acreate2(g, "source", vstr, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, vstr, &relu);
    H5Aclose(a);
    H5Tset_cset(vstr, H5T_CSET_UTF8);
    const char *utf = "données";
    a = H5Acreate2(g, "dataset", vstr, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, vstr, &utf);
    H5Aclose(a);
    H5Tclose(vstr);
    int16_t epochs = 3;
    a = H5Acreate2(g, "epochs", H5T_STD_I16LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT16, &epochs);
    H5Aclose(a);
    H5Gclose(g);
    g = H5Gcreate2(f, "importance", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    float half[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    replace_dset(g, "node_0", H5T_IEEE_F32LE, 2, d2, H5T_NATIVE_FLOAT, half);
    replace_dset(g, "node_1", H5T_IEEE_F32LE, 2, d2, H5T_NATIVE_FLOAT, half);
    replace_dset(g, "edge_0", H5T_IEEE_F32LE, 2, d2, H5T_NATIVE_FLOAT, half);
    H5Gclose(g);
    H5Sclose(s2);
    H5Tclose(str4);
    H5Tclose(str);
    H5Sclose(scalar);
    H5Fclose(f);

    nb_model m;
    nb_status st = nb_h5_load("h5_foreign.nnb.h5", &m);
    if (st != NB_OK)
        fail_msg("%s", nb_error_message());
    assert_true(m.has_network && m.has_importance && !m.has_bundle);
    assert_string_equal(m.network.class_names[0], "cat");
    assert_string_equal(m.network.class_names[1], "dog");
    assert_float_equal(m.network.l1, 0.5, 0);
    assert_int_equal(m.network.epochs, 3);
    assert_true(m.network.weights[3] == 4.0f);
    assert_string_equal(m.network.activation, "relu"); /* default */
    assert_string_equal(m.network.source, "relu");
    assert_string_equal(m.network.dataset, "données");
    assert_true(isnan(m.network.test_accuracy));
    assert_true(isnan(m.importance.finetune_accuracy[0]));
    nb_model_deinit(&m);
    unlink("h5_foreign.nnb.h5");
}

/* ---- lies: structure ------------------------------------------------------------------ */

static void test_missing_network(void **state) {
    (void)state;
    hid_t f = open_lie();
    assert_true(H5Ldelete(f, "/network", H5P_DEFAULT) >= 0);
    expect_load(f, NB_E_MISSING, "/network", "group not found");
}

static void test_missing_dataset(void **state) {
    (void)state;
    hid_t f = open_lie();
    assert_true(H5Ldelete(f, "/network/dense_1/bias", H5P_DEFAULT) >= 0);
    expect_load(f, NB_E_MISSING, "/network/dense_1/bias", "dataset not found");
    f = open_lie();
    assert_true(H5Ldelete(f, "/network/dense_2", H5P_DEFAULT) >= 0);
    expect_load(f, NB_E_MISSING, "/network/dense_2", "group not found");
    f = open_lie();
    assert_true(H5Ldelete(f, "/importance/top_2", H5P_DEFAULT) >= 0);
    expect_load(f, NB_E_MISSING, "/importance/top_2", NULL);
    f = open_lie();
    assert_true(H5Ldelete(f, "/bundle/edge_alpha", H5P_DEFAULT) >= 0);
    expect_load(f, NB_E_MISSING, "/bundle/edge_alpha", NULL);
}

static void test_not_a_group_or_a_link(void **state) {
    (void)state;
    hid_t f = open_lie();
    assert_true(H5Ldelete(f, "/importance", H5P_DEFAULT) >= 0);
    hsize_t d = 1;
    float x = 0;
    replace_dset(f, "/importance", H5T_IEEE_F32LE, 1, &d, H5T_NATIVE_FLOAT, &x);
    expect_load(f, NB_E_FORMAT, "/importance", "is not a group");

    f = open_lie();
    assert_true(H5Ldelete(f, "/network/dense_0/bias", H5P_DEFAULT) >= 0);
    assert_true(H5Lcreate_soft("/network/dense_1/bias", f, "/network/dense_0/bias", H5P_DEFAULT,
                               H5P_DEFAULT) >= 0);
    expect_load(f, NB_E_FORMAT, "/network/dense_0/bias", "soft or external link");
}

static void test_wrong_shape(void **state) {
    (void)state;
    hid_t f = open_lie();
    hsize_t dims[2] = {6, 5}; /* transposed: in x out instead of out x in */
    replace_dset(f, "/network/dense_0/weight", H5T_IEEE_F32LE, 2, dims, H5T_NATIVE_FLOAT, NULL);
    expect_load(f, NB_E_FORMAT, "/network/dense_0/weight", "shape 6x5, expected 5x6");

    f = open_lie();
    hsize_t d3[3] = {5, 3, 1};
    replace_dset(f, "/importance/node_1", H5T_IEEE_F32LE, 3, d3, H5T_NATIVE_FLOAT, NULL);
    expect_load(f, NB_E_FORMAT, "/importance/node_1", "rank 3, expected 2");

    f = open_lie();
    hsize_t d1 = 3;
    replace_dset(f, "/bundle/edge_target", H5T_STD_U32LE, 1, &d1, H5T_NATIVE_UINT32, NULL);
    expect_load(f, NB_E_FORMAT, "/bundle/edge_target", "shape 3, expected 15");

    f = open_lie();
    hsize_t dp[2] = {10, 2};
    replace_dset(f, "/bundle/point_position", H5T_IEEE_F32LE, 2, dp, H5T_NATIVE_FLOAT, NULL);
    expect_load(f, NB_E_FORMAT, "/bundle/point_position", "shape 10x2, expected at most");
}

static void test_wrong_dtype(void **state) {
    (void)state;
    hid_t f = open_lie();
    hsize_t dims[2] = {5, 3};
    replace_dset(f, "/importance/node_1", H5T_IEEE_F64LE, 2, dims, H5T_NATIVE_DOUBLE, NULL);
    expect_load(f, NB_E_FORMAT, "/importance/node_1", "dtype float64, expected float32");

    f = open_lie();
    hsize_t d1 = 15;
    replace_dset(f, "/bundle/edge_source", H5T_STD_I32LE, 1, &d1, H5T_NATIVE_INT32, NULL);
    expect_load(f, NB_E_FORMAT, "/bundle/edge_source", "dtype int32, expected uint32");

    f = open_lie();
    hsize_t d4 = 4;
    replace_dset(f, "/network/layer_sizes", H5T_IEEE_F32LE, 1, &d4, H5T_NATIVE_FLOAT, NULL);
    expect_load(f, NB_E_FORMAT, "/network/layer_sizes", "dtype float32, expected int32");

    /* a string attribute where a number belongs */
    f = open_lie();
    hid_t g = H5Gopen2(f, "/network", H5P_DEFAULT);
    H5Adelete(g, "epochs");
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 3);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(g, "epochs", t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, "15");
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    H5Gclose(g);
    expect_load(f, NB_E_FORMAT, "/network epochs", "dtype string, expected an integer");
}

static void test_layer_sizes_lies(void **state) {
    (void)state;
    hsize_t d1 = 1, d4 = 4;
    int32_t one[1] = {5};
    hid_t f = open_lie();
    replace_dset(f, "/network/layer_sizes", H5T_STD_I32LE, 1, &d1, H5T_NATIVE_INT32, one);
    expect_load(f, NB_E_FORMAT, "/network/layer_sizes", "1 layers, expected 2..1024");

    int32_t zero[4] = {6, 0, 4, 3};
    f = open_lie();
    replace_dset(f, "/network/layer_sizes", H5T_STD_I32LE, 1, &d4, H5T_NATIVE_INT32, zero);
    expect_load(f, NB_E_FORMAT, "/network/layer_sizes", "layer 1 has 0 nodes");

    /* a huge layer must be refused before anything is allocated */
    int32_t huge[4] = {6, 1 << 30, 4, 3};
    f = open_lie();
    replace_dset(f, "/network/layer_sizes", H5T_STD_I32LE, 1, &d4, H5T_NATIVE_INT32, huge);
    expect_load(f, NB_E_FORMAT, "/network/layer_sizes", "layer 1 has 1073741824 nodes");
    int32_t wide[4] = {1 << 20, 1 << 20, 4, 3};
    f = open_lie();
    replace_dset(f, "/network/layer_sizes", H5T_STD_I32LE, 1, &d4, H5T_NATIVE_INT32, wide);
    expect_load(f, NB_E_FORMAT, "/network/layer_sizes", "weights");

    /* sizes disagree with the weights */
    int32_t other[4] = {6, 5, 4, 2};
    f = open_lie();
    replace_dset(f, "/network/layer_sizes", H5T_STD_I32LE, 1, &d4, H5T_NATIVE_INT32, other);
    expect_load(f, NB_E_FORMAT, "/network/dense_2/weight", "shape 3x4, expected 2x4");
}

static void test_huge_declared_bundle(void **state) {
    (void)state;
    /* 2^40 declared edges in a chunked dataset with no data written: costs nothing on disk */
    hid_t f = open_lie();
    assert_true(H5Ldelete(f, "/bundle/edge_source", H5P_DEFAULT) >= 0);
    hsize_t dims = (hsize_t)1 << 40, chunk = 1024;
    hid_t s = H5Screate_simple(1, &dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    hid_t d =
        H5Dcreate2(f, "/bundle/edge_source", H5T_STD_U32LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(d >= 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(s);
    expect_load(f, NB_E_FORMAT, "/bundle/edge_source", "expected at most 62 entries");
}

/* Replaces the float32 dataset obj (its shape kept) by one created with dcpl; data (may be
 * NULL) is written when given. */
static void replace_with_dcpl(hid_t f, const char *obj, hid_t dcpl, const void *data) {
    hid_t d = H5Dopen2(f, obj, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t s = H5Dget_space(d);
    H5Dclose(d);
    assert_true(H5Ldelete(f, obj, H5P_DEFAULT) >= 0);
    d = H5Dcreate2(f, obj, H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(d >= 0);
    if (data)
        H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(d);
    H5Sclose(s);
}

/* The closed reader: data that lives outside the file, filters the library lacks, and sizes
 * that the file cannot hold are refused before anything is read or allocated. */
static void test_closed_reader(void **state) {
    (void)state;
    const char *bias = "/network/dense_0/bias";
    /* external storage: the bias's bytes would come from /etc/passwd */
    hid_t f = open_lie();
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    assert_true(H5Pset_external(dcpl, "/etc/passwd", 0, 4096) >= 0);
    replace_with_dcpl(f, bias, dcpl, NULL);
    H5Pclose(dcpl);
    expect_load(f, NB_E_UNSUPPORTED, bias,
                "has external storage (its data lives in \"/etc/passwd\"");

    /* a virtual dataset whose source is another (missing) file */
    f = open_lie();
    hid_t d = H5Dopen2(f, bias, H5P_DEFAULT);
    hid_t vspace = H5Dget_space(d);
    H5Dclose(d);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    assert_true(H5Pset_virtual(dcpl, vspace, "h5_missing_source.h5", "/x", vspace) >= 0);
    replace_with_dcpl(f, bias, dcpl, NULL);
    H5Pclose(dcpl);
    H5Sclose(vspace);
    expect_load(f, NB_E_UNSUPPORTED, bias, "is a virtual dataset");

    /* a filter the library does not carry (32000, LZF), recorded as optional */
    f = open_lie();
    hsize_t chunk = 2;
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    assert_true(H5Pset_filter(dcpl, 32000, H5Z_FLAG_OPTIONAL, 0, NULL) >= 0);
    float zero[64] = {0};
    replace_with_dcpl(f, bias, dcpl, zero);
    H5Pclose(dcpl);
    expect_load(f, NB_E_UNSUPPORTED, bias, "is stored with HDF5 filter 32000");

    /* 2^28 x 3 points declared, none written (a contiguous dataset of 3 GiB in a small file) */
    f = open_lie();
    hsize_t dims[2] = {(hsize_t)1 << 28, 3};
    replace_dset(f, "/bundle/point_position", H5T_IEEE_F32LE, 2, dims, H5T_NATIVE_FLOAT, NULL);
    expect_load(f, NB_E_FORMAT, "/bundle/point_position",
                "declares 805306368 elements (3.0 GiB) but only 0 B of them are stored");

    /* layer sizes within NB_H5_MAX_* but far beyond what the file can hold */
    f = open_lie();
    int32_t sizes[3] = {20000, 20000, 4};
    hsize_t three = 3;
    replace_dset(f, "/network/layer_sizes", H5T_STD_I32LE, 1, &three, H5T_NATIVE_INT32, sizes);
    expect_load(f, NB_E_FORMAT, "/network", "more than a file of");

    /* the same file is fine under a memory limit it fits, refused under one it does not */
    f = open_lie();
    assert_true(H5Fclose(f) >= 0);
    setenv("NB_MAX_MEMORY", "64", 1);
    expect_load(-1, NB_E_NOMEM, "/network", "over the memory limit of 64 B");
    unsetenv("NB_MAX_MEMORY");

    /* not a regular file */
    unlink(LIE);
    assert_int_equal(mkfifo(LIE, 0644), 0);
    expect_load(-1, NB_E_IO, NULL, "is a FIFO (named pipe), expected a regular file");
    unlink(LIE);
}

static void test_root_attributes(void **state) {
    (void)state;
    hid_t f = open_lie();
    H5Adelete(f, "format");
    expect_load(f, NB_E_FORMAT, "/ format", "not an nnbundle file");

    f = open_lie();
    H5Adelete(f, "format_version");
    int64_t v = NB_FORMAT_VERSION + 1;
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "format_version", H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, &v);
    H5Aclose(a);
    H5Sclose(s);
    expect_load(f, NB_E_FORMAT, "/ format_version", "version 3 is newer");

    f = open_lie();
    hid_t g = H5Gopen2(f, "/network", H5P_DEFAULT);
    H5Adelete(g, "n_classes");
    v = 4;
    s = H5Screate(H5S_SCALAR);
    a = H5Acreate2(g, "n_classes", H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, &v);
    H5Aclose(a);
    H5Sclose(s);
    /* class_names with 2 entries for 3 classes */
    H5Adelete(g, "class_names");
    hsize_t two = 2;
    s = H5Screate_simple(1, &two, NULL);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 2);
    a = H5Acreate2(g, "class_names", t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, "a\0b\0");
    H5Aclose(a);
    H5Tclose(t);
    H5Sclose(s);
    H5Gclose(g);
    expect_load(f, NB_E_FORMAT, "/network n_classes", "4 classes, but the output layer has 3");

    f = open_lie();
    g = H5Gopen2(f, "/network", H5P_DEFAULT);
    H5Adelete(g, "class_names");
    s = H5Screate_simple(1, &two, NULL);
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 2);
    a = H5Acreate2(g, "class_names", t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, "a\0b\0");
    H5Aclose(a);
    H5Tclose(t);
    H5Sclose(s);
    H5Gclose(g);
    expect_load(f, NB_E_FORMAT, "/network class_names", "2 values (rank 1), expected 3");
}

/* ---- lies: values --------------------------------------------------------------------- */

static void test_nan_weights(void **state) {
    (void)state;
    hid_t f = open_lie();
    float nan = NAN;
    patch_dset(f, "/network/dense_0/weight", H5T_NATIVE_FLOAT, 4, 1 * 6 + 2, &nan);
    expect_load(f, NB_E_NUMERIC, "/network/dense_0/weight", "NaN at [1, 2]");

    f = open_lie();
    float inf = INFINITY;
    patch_dset(f, "/network/dense_2/bias", H5T_NATIVE_FLOAT, 4, 1, &inf);
    expect_load(f, NB_E_NUMERIC, "/network/dense_2/bias", "infinite value");

    f = open_lie();
    patch_dset(f, "/bundle/point_position", H5T_NATIVE_FLOAT, 4, 7, &nan);
    expect_load(f, NB_E_NUMERIC, "/bundle/point_position", "at [2, 1]");

    f = open_lie();
    float big = 1.5f;
    patch_dset(f, "/importance/edge_1", H5T_NATIVE_FLOAT, 4, 3, &big);
    expect_load(f, NB_E_NUMERIC, "/importance/edge_1", "expected a value in [0, 1]");

    f = open_lie();
    double acc = 2.0;
    patch_dset(f, "/importance/finetune_accuracy", H5T_NATIVE_DOUBLE, 8, 0, &acc);
    expect_load(f, NB_E_NUMERIC, "/importance/finetune_accuracy", "class 0: 2");
}

static void test_offsets(void **state) {
    (void)state;
    /* base bundle: 15 edges, points per edge 2,3,4,2,3,4,... */
    hid_t f = open_lie();
    uint64_t past = 1000;
    patch_dset(f, "/bundle/edge_point_offset", H5T_NATIVE_UINT64, 8, 15, &past);
    expect_load(f, NB_E_FORMAT, "/bundle/edge_point_offset", "beyond the");

    f = open_lie();
    uint64_t back = 1; /* offsets 0, 2, 1, ... : not monotone */
    patch_dset(f, "/bundle/edge_point_offset", H5T_NATIVE_UINT64, 8, 2, &back);
    expect_load(f, NB_E_FORMAT, "/bundle/edge_point_offset",
                "edge 1 spans points [2, 1): offsets must increase by at least 2");

    f = open_lie();
    uint64_t start = 1;
    patch_dset(f, "/bundle/edge_point_offset", H5T_NATIVE_UINT64, 8, 0, &start);
    expect_load(f, NB_E_FORMAT, "/bundle/edge_point_offset", "entry 0 is 1, expected 0");

    f = open_lie();
    int64_t lo = 7;
    patch_dset(f, "/bundle/layer_offset", H5T_NATIVE_INT64, 8, 1, &lo);
    expect_load(f, NB_E_FORMAT, "/bundle/layer_offset", "entry 1 is 7, expected 6");
}

static void test_node_ids(void **state) {
    (void)state;
    hid_t f = open_lie();
    uint32_t n = 18; /* N = 6 + 5 + 4 + 3 */
    patch_dset(f, "/bundle/edge_target", H5T_NATIVE_UINT32, 4, 0, &n);
    expect_load(f, NB_E_FORMAT, "/bundle/edge_target", "edge 0: node id 18, expected < 18");

    f = open_lie();
    uint32_t big = 0xFFFFFFFFu;
    patch_dset(f, "/bundle/edge_source", H5T_NATIVE_UINT32, 4, 4, &big);
    expect_load(f, NB_E_FORMAT, "/bundle/edge_source", "edge 4: node id 4294967295");

    f = open_lie();
    uint32_t same_layer = 1; /* edge 0 goes 0 -> 1, both in layer 0 */
    patch_dset(f, "/bundle/edge_target", H5T_NATIVE_UINT32, 4, 0, &same_layer);
    expect_load(f, NB_E_FORMAT, "/bundle/edge_target", "expected adjacent layers");

    f = open_lie();
    int32_t top = -2;
    patch_dset(f, "/importance/top_1", H5T_NATIVE_INT32, 4, 3, &top);
    expect_load(f, NB_E_FORMAT, "/importance/top_1", "image index -2 at [1, 1]");
}

/* ---- lies: the file itself ------------------------------------------------------------ */

/* Runs nb_h5_load with stderr captured; returns the number of bytes HDF5 (or anyone) printed. */
static long load_quietly(const char *path, nb_status *st) {
    fflush(stderr);
    int saved = dup(2);
    int fd = open("h5_stderr.txt", O_CREAT | O_TRUNC | O_WRONLY, 0644);
    dup2(fd, 2);
    close(fd);
    nb_model m;
    *st = nb_h5_load(path, &m);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    struct stat sb;
    stat("h5_stderr.txt", &sb);
    unlink("h5_stderr.txt");
    return (long)sb.st_size;
}

static void test_not_hdf5(void **state) {
    (void)state;
    nb_test_write_text(
        LIE, "this is not an HDF5 file, just text that is long enough to look like a header\n");
    nb_status st;
    assert_int_equal(load_quietly(LIE, &st), 0);
    assert_int_equal(st, NB_E_IO);
    assert_string_equal(nb_error_subject(), LIE);
    assert_non_null(strstr(nb_error_message(), "not an HDF5 file (file signature not found)"));

    expect_load(-1, NB_E_IO, NULL, "not an HDF5 file");
    unlink(LIE);
    nb_model m;
    assert_int_equal(nb_h5_load("h5_does_not_exist.nnb.h5", &m), NB_E_IO);
    assert_string_equal(nb_error_subject(), "h5_does_not_exist.nnb.h5");
    assert_non_null(strstr(nb_error_message(), "No such file"));
}

static void test_truncated_file(void **state) {
    (void)state;
    hid_t f = open_lie();
    H5Fclose(f);
    struct stat sb;
    assert_int_equal(stat(LIE, &sb), 0);
    assert_int_equal(truncate(LIE, sb.st_size / 2), 0);
    nb_status st;
    assert_int_equal(load_quietly(LIE, &st), 0);
    assert_int_equal(st, NB_E_FORMAT);
    assert_string_equal(nb_error_subject(), LIE);
    assert_non_null(strstr(nb_error_message(), "corrupt or truncated HDF5 file: truncated file"));
    /* cut inside the superblock */
    assert_int_equal(truncate(LIE, 20), 0);
    nb_model m;
    st = nb_h5_load(LIE, &m);
    assert_true(st == NB_E_FORMAT || st == NB_E_IO);
    assert_string_equal(nb_error_subject(), LIE);
    unlink(LIE);
}

/* ---- saving --------------------------------------------------------------------------- */

static void test_failed_save_leaves_old_file(void **state) {
    (void)state;
    nb_model m;
    make_small(&m);
    assert_int_equal(nb_h5_save("h5_keep.nnb.h5", &m), NB_OK);
    size_t len0 = 0;
    char *before = nb_test_read_file("h5_keep.nnb.h5", &len0);
    assert_non_null(before);

    /* an invalid model is refused before anything is written */
    m.network.weights[3] = NAN;
    nb_status st = nb_h5_save("h5_keep.nnb.h5", &m);
    assert_int_equal(st, NB_E_NUMERIC);
    assert_string_equal(nb_error_subject(), "h5_keep.nnb.h5 /network/dense_0/weight");
    m.network.weights[3] = 0.5f;
    m.bundle.edge_target[2] = 1000;
    st = nb_h5_save("h5_keep.nnb.h5", &m);
    assert_int_equal(st, NB_E_FORMAT);
    assert_string_equal(nb_error_subject(), "h5_keep.nnb.h5 /bundle/edge_target");
    m.bundle.edge_target[2] = 6 + 2;
    size_t len1 = 0;
    char *after = nb_test_read_file("h5_keep.nnb.h5", &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    free(after);
    assert_false(nb_test_tmp_left("h5_keep.nnb.h5"));

    /* a directory that does not exist */
    st = nb_h5_save("h5_no_dir/out.nnb.h5", &m);
    assert_int_equal(st, NB_E_IO);
    assert_string_equal(nb_error_subject(), "h5_no_dir/out.nnb.h5");
    assert_non_null(strstr(nb_error_message(), "cannot create h5_no_dir/out.nnb.h5.nbtmp."));
    assert_null(strstr(nb_error_message(), "HDF5 error")); /* HDF5's own reason is kept */

    /* the target is a directory: refused before anything is written */
    mkdir("h5_dir.nnb.h5", 0755);
    st = nb_h5_save("h5_dir.nnb.h5", &m);
    assert_int_equal(st, NB_E_IO);
    assert_string_equal(nb_error_subject(), "h5_dir.nnb.h5");
    assert_non_null(strstr(nb_error_message(), "is a directory"));
    assert_false(nb_test_tmp_left("h5_dir.nnb.h5"));
    rmdir("h5_dir.nnb.h5");

    /* a read-only directory (permissions do not bind root, so only as a normal user) */
    if (geteuid() != 0) {
        mkdir("h5_ro", 0755);
        nb_test_copy_file("h5_keep.nnb.h5", "h5_ro/keep.nnb.h5");
        chmod("h5_ro", 0555);
        st = nb_h5_save("h5_ro/keep.nnb.h5", &m);
        assert_int_equal(st, NB_E_IO);
        chmod("h5_ro", 0755);
        after = nb_test_read_file("h5_ro/keep.nnb.h5", &len1);
        assert_int_equal(len0, len1);
        assert_memory_equal(before, after, len0);
        free(after);
        unlink("h5_ro/keep.nnb.h5");
        rmdir("h5_ro");
    }

    /* still loadable and unchanged */
    nb_model r;
    assert_int_equal(nb_h5_load("h5_keep.nnb.h5", &r), NB_OK);
    nb_model_deinit(&r);

    /* no network */
    nb_model empty;
    memset(&empty, 0, sizeof empty);
    st = nb_h5_save("h5_keep.nnb.h5", &empty);
    assert_int_equal(st, NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "h5_keep.nnb.h5 /network");
    free(before);
    nb_model_deinit(&m);
    unlink("h5_keep.nnb.h5");
}

static void test_model_validate(void **state) {
    (void)state;
    nb_model m;
    make_small(&m);
    assert_int_equal(nb_model_validate(&m, "x.nnb.h5"), NB_OK);

    /* importance for another shape */
    nb_importance_deinit(&m.importance);
    const size_t other[4] = {6, 5, 4, 4};
    assert_int_equal(nb_importance_init(&m.importance, 4, other, 0), NB_OK);
    assert_int_equal(nb_model_validate(&m, "x.nnb.h5"), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "x.nnb.h5 /importance");
    nb_importance_deinit(&m.importance);
    m.has_importance = false;

    /* bundle for another node count */
    nb_bundle_data b = m.bundle;
    b.n_nodes = 17;
    m.bundle = b;
    assert_int_equal(nb_model_validate(&m, NULL), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "model /bundle/node_position");
    m.bundle.n_nodes = 18;

    m.bundle.metrics.ink_ratio = INFINITY;
    assert_int_equal(nb_model_validate(&m, "x"), NB_E_NUMERIC);
    assert_string_equal(nb_error_subject(), "x /bundle ink_ratio");
    m.bundle.metrics.ink_ratio = NAN;

    m.network.test_accuracy = 1.5;
    assert_int_equal(nb_model_validate(&m, "x"), NB_E_NUMERIC);
    assert_string_equal(nb_error_subject(), "x /network test_accuracy");
    m.network.test_accuracy = NAN;

    /* a bundle without a network */
    nb_network_deinit(&m.network);
    m.has_network = false;
    assert_int_equal(nb_model_validate(&m, "x"), NB_E_MISSING);
    assert_string_equal(nb_error_subject(), "x /network");
    nb_model_deinit(&m);
}

/* The writer refuses what the reader would refuse, with the reader's words. */
static void test_writer_refuses_what_reader_refuses(void **state) {
    (void)state;
    nb_model m;
    make_small(&m);
    m.network.epochs = -3;
    nb_expect_error(nb_h5_save("h5_w.nnb.h5", &m), NB_E_FORMAT, "h5_w.nnb.h5 /network epochs",
                    "-3, expected 0..2147483647");
    m.network.epochs = 15;
    memset(m.network.activation, 'a', sizeof m.network.activation);
    nb_expect_error(nb_model_validate(&m, "x"), NB_E_INVALID, "x /network activation",
                    "unterminated string");
    snprintf(m.network.activation, sizeof m.network.activation, "relu");
    m.importance.top_k = 2000; /* checked before any array is looked at */
    nb_expect_error(nb_model_validate(&m, "x"), NB_E_FORMAT, "x /importance top_k",
                    "2000, expected 0..1024");
    m.importance.top_k = 2;
    m.bundle.n_edges = 63; /* the network has 62 weights */
    nb_expect_error(nb_model_validate(&m, "x"), NB_E_FORMAT, "x /bundle/edge_source",
                    "shape 63, expected at most 62 entries");
    m.bundle.n_edges = 15;
    m.bundle.node_iterations = -1;
    nb_expect_error(nb_model_validate(&m, "x"), NB_E_FORMAT, "x /bundle node_iterations",
                    "-1, expected 0..2147483647");
    m.bundle.node_iterations = 56;
    m.bundle.n_edges_total = 63;
    nb_expect_error(nb_model_validate(&m, "x"), NB_E_FORMAT, "x /bundle n_edges_total",
                    "63 edges before pruning, the network has only 62");
    m.bundle.n_edges_total = 62;
    free(m.bundle.config_json);
    m.bundle.config_json = malloc(NB_H5_MAX_CONFIG_JSON + 2);
    memset(m.bundle.config_json, ' ', NB_H5_MAX_CONFIG_JSON + 1);
    m.bundle.config_json[NB_H5_MAX_CONFIG_JSON + 1] = '\0';
    nb_expect_error(nb_model_validate(&m, "x"), NB_E_FORMAT, "x /bundle config_json",
                    "text of 1048577 bytes, at most 1048576");
    m.bundle.config_json[NB_H5_MAX_CONFIG_JSON] = '\0';
    assert_int_equal(nb_model_validate(&m, "x"), NB_OK);
    assert_false(nb_test_tmp_left("h5_w.nnb.h5"));
    nb_model_deinit(&m);
}

/* A fixed-length string attribute that fills its cell without a NUL: the longest that fits
 * the in-memory buffer loads, one byte more is refused (it used to overflow it by one). */
static void test_fixed_string_without_nul(void **state) {
    (void)state;
    for (size_t size = 31; size <= 32; size++) {
        hid_t f = open_lie();
        hid_t g = H5Gopen2(f, "/network", H5P_DEFAULT);
        H5Adelete(g, "source");
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, size);
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(g, "source", t, sp, H5P_DEFAULT, H5P_DEFAULT);
        char text[32];
        memset(text, 'x', sizeof text);
        H5Awrite(a, t, text);
        H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(t);
        H5Gclose(g);
        if (size == 32) {
            expect_load(f, NB_E_FORMAT, "/network source", "string 0 has 32 bytes, at most 31");
            continue;
        }
        H5Fclose(f);
        nb_model m;
        assert_int_equal(nb_h5_load(LIE, &m), NB_OK);
        assert_int_equal(strlen(m.network.source), 31);
        nb_model_deinit(&m);
    }
}

/* Adds one to *count for every dataset (H5Ovisit callback). */
static herr_t count_dataset(hid_t obj, const char *name, const H5O_info_t *info, void *count) {
    (void)obj;
    (void)name;
    if (info->type == H5O_TYPE_DATASET)
        (*(size_t *)count)++;
    return 0;
}

/* Every instance of every row of the schema is in a written file, and nothing else is. */
static void test_file_holds_the_schema(void **state) {
    (void)state;
    nb_model m;
    make_small(&m); /* L = 4, top_k = 2 */
    assert_int_equal(nb_h5_save("h5_schema.nnb.h5", &m), NB_OK);
    hid_t f = H5Fopen("h5_schema.nnb.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    size_t expected = 0, found = 0;
    for (size_t gi = 0; gi < nb_h5_n_groups; gi++) {
        const nb_h5_group *g = &nb_h5_groups[gi];
        for (size_t i = 0; i < g->n_datasets; i++) {
            const nb_h5_dataset *ds = &g->datasets[i];
            assert_true(ds->rank == 1 || ds->rank == 2);
            for (size_t j = 0; j < i; j++) /* names typed once per group */
                assert_string_not_equal(ds->name, g->datasets[j].name);
            size_t first = ds->each == NB_H5_EACH_HIDDEN ? 1 : 0;
            size_t end = ds->each == NB_H5_ONCE ? 1 : ds->each == NB_H5_EACH_LAYER ? 4 : 3;
            for (size_t l = first; l < end; l++) {
                char path[128];
                if (ds->each == NB_H5_ONCE)
                    snprintf(path, sizeof path, "/%s/%s", g->name, ds->name);
                else if (ds->subgroup)
                    snprintf(path, sizeof path, "/%s/%s%zu/%s", g->name, ds->subgroup, l, ds->name);
                else
                    snprintf(path, sizeof path, "/%s/%s%zu", g->name, ds->name, l);
                if (H5Lexists(f, path, H5P_DEFAULT) <= 0)
                    fail_msg("%s is missing", path);
                expected++;
            }
        }
        hid_t h = H5Gopen2(f, g->name, H5P_DEFAULT);
        for (size_t i = 0; i < g->n_attrs; i++)
            if (H5Aexists(h, g->attrs[i].name) <= 0)
                fail_msg("/%s %s is missing", g->name, g->attrs[i].name);
        H5Gclose(h);
    }
    for (size_t i = 0; i < NB_H5_N_ROOT; i++)
        assert_true(H5Aexists(f, nb_h5_root[i].name) > 0);
    assert_true(
        H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, count_dataset, &found, H5O_INFO_BASIC) >= 0);
    assert_int_equal(found, expected);
    assert_int_equal(expected, 1 + 2 * 3 + (4 + 3 + 2 + 1) + 7);
    H5Fclose(f);
    nb_model_deinit(&m);
    unlink("h5_schema.nnb.h5");
}

/* Seeded byte flips in a valid file: every load must fail cleanly or give a valid model
 * (HDF5 1.8-format metadata checksums catch most flips; the rest are ours to catch). */
/* own names: test_h5 and test_h5_fuzz may run in parallel in the same folder */
#define FUZZ      "h5_fuzz.nnb.h5"
#define FUZZ_BASE "h5_fuzz_base.nnb.h5"

static void test_fuzzed_files(void **state) {
    (void)state;
    nb_model m;
    make_small(&m);
    assert_int_equal(nb_h5_save(FUZZ_BASE, &m), NB_OK);
    nb_model_deinit(&m);
    size_t len = 0;
    char *orig = nb_test_read_file(FUZZ_BASE, &len);
    assert_non_null(orig);
    char *buf = malloc(len);
    nb_rng rng;
    nb_rng_init(&rng, 2024);
    size_t counts[NB_STATUS_COUNT_] = {0};
    for (int it = 0; it < 400; it++) {
        memcpy(buf, orig, len);
        int flips = 1 + (int)nb_rng_below(&rng, 4);
        for (int k = 0; k < flips; k++)
            buf[nb_rng_below(&rng, len)] ^= (char)(1 + nb_rng_below(&rng, 255));
        FILE *f = fopen(FUZZ, "wb");
        assert_int_equal(fwrite(buf, 1, len, f), len);
        fclose(f);
        nb_model r;
        nb_status st = nb_h5_load(FUZZ, &r);
        assert_true(st == NB_OK || st == NB_E_FORMAT || st == NB_E_NUMERIC || st == NB_E_MISSING ||
                    st == NB_E_IO);
        counts[st]++;
        if (st == NB_OK) {
            assert_int_equal(nb_model_validate(&r, FUZZ), NB_OK);
            nb_model_deinit(&r);
        } else {
            assert_non_null(strstr(nb_error_subject(), FUZZ));
            assert_false(r.has_network);
        }
    }
    print_message("    fuzzed loads: %zu ok, %zu format, %zu numeric, %zu missing, %zu io\n",
                  counts[NB_OK], counts[NB_E_FORMAT], counts[NB_E_NUMERIC], counts[NB_E_MISSING],
                  counts[NB_E_IO]);
    free(buf);
    free(orig);
    unlink(FUZZ);
    unlink(FUZZ_BASE);
}

/* Pieces of a point array for nb_h5_save_prepare_streamed: sizes[i] points each, then what is
 * left; a NaN planted at point nan_at (SIZE_MAX: none); status `fail` from piece fail_at. */
typedef struct piece_source {
    const float *points;
    size_t n, done, i;
    const size_t *sizes;
    size_t n_sizes, nan_at, fail_at;
    float *copy;
} piece_source;

static nb_status next_piece(void *user, size_t *n, const float **pts) {
    piece_source *ps = user;
    if (ps->i == ps->fail_at)
        return NB_RAISE(NB_E_IO, "source", "gone");
    size_t k = ps->i < ps->n_sizes ? ps->sizes[ps->i] : ps->n - ps->done;
    ps->i++;
    free(ps->copy);
    ps->copy = malloc((k ? k : 1) * 3 * sizeof *ps->copy);
    memcpy(ps->copy, ps->points + 3 * ps->done, k * 3 * sizeof *ps->copy);
    if (ps->nan_at >= ps->done && ps->nan_at < ps->done + k)
        ps->copy[3 * (ps->nan_at - ps->done) + 2] = NAN;
    ps->done += k;
    *n = k;
    *pts = ps->copy;
    return NB_OK;
}

/* Chunk dims, filter count and stored bytes of a dataset. */
static void storage_of(const char *path, const char *obj, hsize_t chunk[2], int *filters,
                       hsize_t *bytes) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, obj, H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(d);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    assert_int_equal(H5Pget_chunk(dcpl, 2, chunk), 2);
    *filters = H5Pget_nfilters(dcpl);
    *bytes = H5Dget_storage_size(d);
    H5Pclose(dcpl);
    H5Dclose(d);
    H5Fclose(f);
}

/* A bundle whose points come in pieces is written as the same file: the same model read back,
 * the same chunks, filters and stored bytes. A source that gives too many points, a NaN or
 * an error fails with nothing written. */
static void test_streamed_points(void **state) {
    (void)state;
    const size_t sizes[3] = {30000, 4, 2}; /* one edge per source node: ~90000 points, 5 chunks */
    nb_model m, r;
    make_model(&m, sizes, 3, 0, true, true);
    assert_int_equal(nb_h5_save("h5_whole.nnb.h5", &m), NB_OK);
    nb_model piecewise = m;
    piecewise.bundle.point_position = NULL;
    const size_t cuts[4] = {1000, 0, 7, 40000};
    piece_source ps = {.points = m.bundle.point_position,
                       .n = m.bundle.n_points,
                       .sizes = cuts,
                       .n_sizes = 4,
                       .nan_at = SIZE_MAX,
                       .fail_at = SIZE_MAX};
    nb_h5_point_source src = {next_piece, &ps};
    nb_file_atomic a;
    assert_int_equal(nb_h5_save_prepare_streamed("h5_pieces.nnb.h5", &piecewise, &src, &a), NB_OK);
    assert_int_equal(nb_file_atomic_commit(&a), NB_OK);
    assert_int_equal(ps.done, m.bundle.n_points);
    assert_true(m.bundle.n_points > 80000);
    assert_int_equal(nb_h5_load("h5_pieces.nnb.h5", &r), NB_OK);
    assert_same_model(&m, &r);
    nb_model_deinit(&r);
    hsize_t c1[2], c2[2], b1, b2;
    int f1, f2;
    storage_of("h5_whole.nnb.h5", "/bundle/point_position", c1, &f1, &b1);
    storage_of("h5_pieces.nnb.h5", "/bundle/point_position", c2, &f2, &b2);
    assert_memory_equal(c1, c2, sizeof c1);
    assert_int_equal(f1, 2);
    assert_int_equal(f2, 2);
    assert_int_equal(b1, b2);

    /* failures: the old file stays, no temporary file is left */
    struct stat before, after;
    assert_int_equal(stat("h5_pieces.nnb.h5", &before), 0);
    const size_t too_many[2] = {1000, 200000};
    free(ps.copy);
    ps = (piece_source){.points = m.bundle.point_position,
                        .n = m.bundle.n_points,
                        .sizes = too_many,
                        .n_sizes = 1,
                        .nan_at = SIZE_MAX,
                        .fail_at = SIZE_MAX};
    ps.n = m.bundle.n_points + 5; /* the last piece is 5 points too long */
    float *longer = malloc((ps.n) * 3 * sizeof *longer);
    memcpy(longer, m.bundle.point_position, m.bundle.n_points * 3 * sizeof *longer);
    memset(longer + 3 * m.bundle.n_points, 0, 15 * sizeof *longer);
    ps.points = longer;
    assert_int_equal(nb_h5_save_prepare_streamed("h5_pieces.nnb.h5", &piecewise, &src, &a),
                     NB_E_INVALID);
    free(ps.copy);
    ps = (piece_source){.points = m.bundle.point_position,
                        .n = m.bundle.n_points,
                        .sizes = cuts,
                        .n_sizes = 4,
                        .nan_at = 20000,
                        .fail_at = SIZE_MAX};
    assert_int_equal(nb_h5_save_prepare_streamed("h5_pieces.nnb.h5", &piecewise, &src, &a),
                     NB_E_NUMERIC);
    assert_non_null(strstr(nb_error_subject(), "/bundle/point_position"));
    assert_non_null(strstr(nb_error_message(), "NaN at [20000, 2]"));
    free(ps.copy);
    ps = (piece_source){.points = m.bundle.point_position,
                        .n = m.bundle.n_points,
                        .sizes = cuts,
                        .n_sizes = 4,
                        .nan_at = SIZE_MAX,
                        .fail_at = 3};
    assert_int_equal(nb_h5_save_prepare_streamed("h5_pieces.nnb.h5", &piecewise, &src, &a),
                     NB_E_IO);
    assert_string_equal(nb_error_subject(), "source");
    assert_int_equal(nb_h5_save_prepare_streamed("h5_pieces.nnb.h5", &piecewise, NULL, &a),
                     NB_E_INVALID);
    assert_int_equal(stat("h5_pieces.nnb.h5", &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(before.st_mtime, after.st_mtime);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "h5_pieces.nnb.h5.nbtmp.%ld", (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);
    free(longer);
    free(ps.copy);
    nb_model_deinit(&m);
    unlink("h5_whole.nnb.h5");
    unlink("h5_pieces.nnb.h5");
}

static int teardown(void **state) {
    (void)state;
    unlink(BASE);
    unlink(LIE);
    return 0;
}

/* "test_h5" runs the tests below; "test_h5 --fuzz" only the fuzzed loads (a separate CTest
 * entry, because HDF5 1.10 leaks internally when it fails to close a corrupt file and that
 * entry runs with an LSan suppression for libhdf5; the main entry stays strictly
 * leak-checked). */
int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--fuzz") == 0) {
        const struct CMUnitTest fuzz[] = {cmocka_unit_test(test_fuzzed_files)};
        return cmocka_run_group_tests(fuzz, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_all_groups),
        cmocka_unit_test(test_round_trip_network_only_and_empty_bundle),
        cmocka_unit_test(test_load_except),
        cmocka_unit_test(test_large_datasets_are_compressed),
        cmocka_unit_test(test_parallel_chunks_match_hdf5),
        cmocka_unit_test(test_streamed_points),
        cmocka_unit_test(test_many_long_class_names),
        cmocka_unit_test(test_foreign_attribute_types),
        cmocka_unit_test(test_missing_network),
        cmocka_unit_test(test_missing_dataset),
        cmocka_unit_test(test_not_a_group_or_a_link),
        cmocka_unit_test(test_wrong_shape),
        cmocka_unit_test(test_wrong_dtype),
        cmocka_unit_test(test_layer_sizes_lies),
        cmocka_unit_test(test_huge_declared_bundle),
        cmocka_unit_test(test_closed_reader),
        cmocka_unit_test(test_root_attributes),
        cmocka_unit_test(test_nan_weights),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_node_ids),
        cmocka_unit_test(test_not_hdf5),
        cmocka_unit_test(test_truncated_file),
        cmocka_unit_test(test_failed_save_leaves_old_file),
        cmocka_unit_test(test_model_validate),
        cmocka_unit_test(test_writer_refuses_what_reader_refuses),
        cmocka_unit_test(test_fixed_string_without_nul),
        cmocka_unit_test(test_file_holds_the_schema),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
