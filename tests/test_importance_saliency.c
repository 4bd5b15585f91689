/* test_importance_saliency.c - the gradient importance methods (taylor, taylor-mean, obd,
 * activation): every score against a naive per-sample reference in double precision (itself
 * checked by finite differences), thread-count independence, the class-blind row, the node
 * importance of a hand-wired network, their errors, and the Spearman correlation and
 * split-half stability used by `nnbundle evaluate --stability`. */
#include <math.h>
#include <omp.h>

#include "nb_evaluate.h"
#include "nb_importance.h"
#include "nb_rng.h"
#include "nb_saliency.h"
#include "nb_test.h"

enum { C = 3, N_PER_CLASS = 40 };

static const size_t sizes[4] = {6, 5, 4, C};

/* A 6-5-4-3 network with seeded weights in [-1, 1) and biases in [-0.2, 0.2). */
static nb_network make_net(uint64_t seed) {
    nb_network net;
    assert_int_equal(nb_network_init(&net, 4, sizes), NB_OK);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    for (size_t l = 0; l < 3; l++) {
        float *w = nb_network_weight(&net, l), *b = nb_network_bias(&net, l);
        for (size_t k = 0; k < sizes[l] * sizes[l + 1]; k++)
            w[k] = (float)(2.0 * nb_rng_uniform(&rng) - 1.0);
        for (size_t k = 0; k < sizes[l + 1]; k++)
            b[k] = (float)(0.4 * nb_rng_uniform(&rng) - 0.2);
    }
    return net;
}

/* C * N_PER_CLASS images of 6 values in [0, 1), class k with pixel k and k + 3 brighter. */
static nb_dataset make_data(uint64_t seed) {
    nb_dataset ds = {0};
    ds.n = C * N_PER_CLASS;
    ds.rows = 1;
    ds.cols = ds.dim = sizes[0];
    ds.n_classes = C;
    ds.images = calloc(ds.n * ds.dim, sizeof(float));
    ds.labels = calloc(ds.n, 1);
    assert_non_null(ds.images);
    assert_non_null(ds.labels);
    nb_rng rng;
    nb_rng_init(&rng, seed);
    for (size_t k = 0; k < ds.n; k++) {
        const size_t c = k % C;
        ds.labels[k] = (uint8_t)c;
        for (size_t i = 0; i < ds.dim; i++)
            ds.images[k * ds.dim + i] =
                (float)(0.5 * nb_rng_uniform(&rng)) + (i % C == c ? 0.5f : 0.0f);
    }
    return ds;
}

static void free_data(nb_dataset *ds) {
    free(ds->images);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

static size_t n_edges(void) {
    return sizes[0] * sizes[1] + sizes[1] * sizes[2] + sizes[2] * sizes[3];
}

/* Loss -log softmax(z)_cls of one image and, if g is not NULL, its gradient per weight
 * g[E] (edge order of nb_prune.h), in double; a[sum n_l] receives the activations. */
static double sample_grad(const nb_network *net, const float *x, size_t cls, double *g, double *a) {
    double *act[4], delta[2][8];
    size_t off = 0;
    for (size_t l = 0; l < 4; l++) {
        act[l] = a + off;
        off += sizes[l];
    }
    for (size_t i = 0; i < sizes[0]; i++)
        act[0][i] = x[i];
    for (size_t l = 0; l < 3; l++) {
        const float *w = nb_network_weight(net, l), *b = nb_network_bias(net, l);
        for (size_t j = 0; j < sizes[l + 1]; j++) {
            double z = b[j];
            for (size_t i = 0; i < sizes[l]; i++)
                z += (double)w[j * sizes[l] + i] * act[l][i];
            act[l + 1][j] = l < 2 && z < 0.0 ? 0.0 : z;
        }
    }
    double mx = act[3][0], sum = 0.0;
    for (size_t k = 1; k < C; k++)
        mx = act[3][k] > mx ? act[3][k] : mx;
    for (size_t k = 0; k < C; k++)
        sum += exp(act[3][k] - mx);
    const double loss = -(act[3][cls] - mx - log(sum));
    if (!g)
        return loss;
    int cur = 0;
    for (size_t k = 0; k < C; k++)
        delta[cur][k] = exp(act[3][k] - mx) / sum - (k == cls ? 1.0 : 0.0);
    size_t e_off[3] = {0, sizes[0] * sizes[1], sizes[0] * sizes[1] + sizes[1] * sizes[2]};
    for (size_t l = 3; l-- > 0;) {
        const float *w = nb_network_weight(net, l);
        for (size_t j = 0; j < sizes[l + 1]; j++)
            for (size_t i = 0; i < sizes[l]; i++)
                g[e_off[l] + j * sizes[l] + i] = delta[cur][j] * act[l][i];
        if (l == 0)
            break;
        for (size_t i = 0; i < sizes[l]; i++) {
            double d = 0.0;
            for (size_t j = 0; j < sizes[l + 1]; j++)
                d += delta[cur][j] * (double)w[j * sizes[l] + i];
            delta[1 - cur][i] = act[l][i] > 0.0 ? d : 0.0;
        }
        cur = 1 - cur;
    }
    return loss;
}

static double weight_of(const nb_network *net, size_t e) {
    size_t l = 0, e0 = 0;
    while (e >= e0 + sizes[l] * sizes[l + 1]) {
        e0 += sizes[l] * sizes[l + 1];
        l++;
    }
    return (double)nb_network_weight(net, l)[e - e0];
}

/* The reference saliency of `kind` for class cls, naive per-sample loops in double. */
static void reference(const nb_network *net, const nb_dataset *ds, nb_saliency_kind kind,
                      size_t cls, double *ref) {
    const size_t E = n_edges();
    double g[128], a[32], *s1 = calloc(E, sizeof *s1), *sa = calloc(32, sizeof *sa);
    assert_non_null(s1);
    assert_non_null(sa);
    size_t m = 0;
    for (size_t k = 0; k < ds->n; k++) {
        if (ds->labels[k] != cls)
            continue;
        m++;
        sample_grad(net, ds->images + k * ds->dim, cls, g, a);
        for (size_t e = 0; e < E; e++) {
            const double wg = weight_of(net, e) * g[e];
            s1[e] += kind == NB_SALIENCY_TAYLOR        ? fabs(wg)
                     : kind == NB_SALIENCY_TAYLOR_MEAN ? wg
                                                       : 0.5 * wg * wg;
        }
        for (size_t i = 0; i < 32; i++)
            sa[i] += a[i] * a[i];
    }
    size_t e = 0, k0 = 0;
    for (size_t l = 0; l < 3; l++) {
        for (size_t j = 0; j < sizes[l + 1]; j++)
            for (size_t i = 0; i < sizes[l]; i++, e++)
                ref[e] = kind == NB_SALIENCY_ACTIVATION
                             ? fabs(weight_of(net, e)) * sqrt(sa[k0 + i] / (double)m)
                             : fabs(s1[e] / (double)m);
        k0 += sizes[l];
    }
    free(s1);
    free(sa);
}

/* The reference gradient agrees with central finite differences of the loss. */
static void test_reference_gradient_matches_finite_differences(void **state) {
    (void)state;
    nb_network net = make_net(3);
    nb_dataset ds = make_data(4);
    double g[128], a[32];
    const float *x = ds.images + 5 * ds.dim;
    sample_grad(&net, x, 2, g, a);
    size_t e = 0;
    for (size_t l = 0; l < 3; l++) {
        float *w = nb_network_weight(&net, l);
        for (size_t k = 0; k < sizes[l] * sizes[l + 1]; k++, e++) {
            const float saved = w[k];
            const float h = 1e-2f;
            w[k] = saved + h;
            const double lp = sample_grad(&net, x, 2, NULL, a);
            w[k] = saved - h;
            const double lm = sample_grad(&net, x, 2, NULL, a);
            w[k] = saved;
            const double fd = (lp - lm) / (2.0 * (double)h);
            assert_true(fabs(fd - g[e]) < 1e-3 + 1e-2 * fabs(g[e]));
        }
    }
    free_data(&ds);
    nb_network_deinit(&net);
}

static void check_kind(nb_saliency_kind kind) {
    nb_network net = make_net(11);
    nb_dataset ds = make_data(12);
    const size_t E = n_edges();
    float *s = malloc(C * E * sizeof *s);
    double *ref = malloc(E * sizeof *ref);
    assert_non_null(s);
    assert_non_null(ref);
    assert_int_equal(nb_saliency_scores(&net, &ds, NULL, 0, kind, s), NB_OK);
    double max_ref = 0.0;
    size_t nonzero = 0;
    for (size_t c = 0; c < C; c++) {
        reference(&net, &ds, kind, c, ref);
        for (size_t e = 0; e < E; e++) {
            assert_true(fabs((double)s[c * E + e] - ref[e]) <= 1e-5 + 1e-3 * ref[e]);
            max_ref = ref[e] > max_ref ? ref[e] : max_ref;
            nonzero += ref[e] > 0.0;
        }
    }
    assert_true(max_ref > 1e-3); /* not a comparison of zeros */
    assert_true(nonzero > C * E / 2);
    free(s);
    free(ref);
    free_data(&ds);
    nb_network_deinit(&net);
}

static void test_taylor_matches_reference(void **state) {
    (void)state;
    check_kind(NB_SALIENCY_TAYLOR);
}

static void test_taylor_mean_matches_reference(void **state) {
    (void)state;
    check_kind(NB_SALIENCY_TAYLOR_MEAN);
}

static void test_obd_matches_reference(void **state) {
    (void)state;
    check_kind(NB_SALIENCY_OBD);
}

static void test_activation_matches_reference(void **state) {
    (void)state;
    check_kind(NB_SALIENCY_ACTIVATION);
}

/* More images than one chunk (256) per class, and a subset given by rows: the same as the
 * subset copied into its own data set; 1 and 2 threads bit-identical. */
static void test_rows_chunks_and_threads(void **state) {
    (void)state;
    nb_network net = make_net(5);
    nb_dataset big = {0};
    big.n = 2400;
    big.rows = 1;
    big.cols = big.dim = sizes[0];
    big.n_classes = C;
    big.images = malloc(big.n * big.dim * sizeof(float));
    big.labels = malloc(big.n);
    assert_non_null(big.images);
    assert_non_null(big.labels);
    nb_rng rng;
    nb_rng_init(&rng, 9);
    for (size_t k = 0; k < big.n; k++) {
        big.labels[k] = (uint8_t)(k % C);
        for (size_t i = 0; i < big.dim; i++)
            big.images[k * big.dim + i] = (float)nb_rng_uniform(&rng);
    }
    const size_t E = n_edges();
    float *a = malloc(C * E * sizeof *a), *b = malloc(C * E * sizeof *b);
    float *d = malloc(C * E * sizeof *d);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(d);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    assert_int_equal(nb_saliency_scores(&net, &big, NULL, 0, NB_SALIENCY_TAYLOR, a), NB_OK);
    omp_set_num_threads(2);
    assert_int_equal(nb_saliency_scores(&net, &big, NULL, 0, NB_SALIENCY_TAYLOR, b), NB_OK);
    omp_set_num_threads(saved);
    assert_memory_equal(a, b, C * E * sizeof *a);
    /* rows = the odd images; the same as a data set holding only them */
    uint32_t *rows = malloc(big.n / 2 * sizeof *rows);
    assert_non_null(rows);
    nb_dataset half = big;
    half.n = big.n / 2;
    half.images = malloc(half.n * half.dim * sizeof(float));
    half.labels = malloc(half.n);
    assert_non_null(half.images);
    assert_non_null(half.labels);
    for (size_t k = 0; k < half.n; k++) {
        rows[k] = (uint32_t)(2 * k + 1);
        memcpy(half.images + k * half.dim, big.images + rows[k] * big.dim, big.dim * sizeof(float));
        half.labels[k] = big.labels[rows[k]];
    }
    assert_int_equal(nb_saliency_scores(&net, &big, rows, half.n, NB_SALIENCY_OBD, a), NB_OK);
    assert_int_equal(nb_saliency_scores(&net, &half, NULL, 0, NB_SALIENCY_OBD, d), NB_OK);
    assert_memory_equal(a, d, C * E * sizeof *a);
    free(rows);
    free(half.images);
    free(half.labels);
    free(a);
    free(b);
    free(d);
    free_data(&big);
    nb_network_deinit(&net);
}

/* nb_importance_edge_scores: rows 0..C-1 are the saliency, row C the class mean (taylor) or
 * the class RMS (activation); magnitude: alpha in every row. */
static void test_edge_scores_blind_row(void **state) {
    (void)state;
    nb_network net = make_net(21);
    nb_dataset ds = make_data(22);
    const size_t E = n_edges();
    float *s = malloc((C + 1) * E * sizeof *s), *raw = malloc(C * E * sizeof *raw);
    assert_non_null(s);
    assert_non_null(raw);
    nb_importance_settings set = {.method = NB_IMPORTANCE_TAYLOR};
    assert_int_equal(nb_importance_edge_scores(&set, &net, &ds, NULL, s), NB_OK);
    assert_int_equal(nb_saliency_scores(&net, &ds, NULL, 0, NB_SALIENCY_TAYLOR, raw), NB_OK);
    assert_memory_equal(s, raw, C * E * sizeof *s);
    for (size_t e = 0; e < E; e++) {
        const double mean = ((double)raw[e] + raw[E + e] + raw[2 * E + e]) / 3.0;
        assert_true(fabs(s[C * E + e] - mean) <= 1e-6 + 1e-5 * mean);
    }
    set.method = NB_IMPORTANCE_ACTIVATION;
    assert_int_equal(nb_importance_edge_scores(&set, &net, &ds, NULL, s), NB_OK);
    assert_int_equal(nb_saliency_scores(&net, &ds, NULL, 0, NB_SALIENCY_ACTIVATION, raw), NB_OK);
    for (size_t e = 0; e < E; e++) {
        const double a = raw[e], b = raw[E + e], c = raw[2 * E + e];
        const double rms = sqrt((a * a + b * b + c * c) / 3.0);
        assert_true(fabs(s[C * E + e] - rms) <= 1e-6 + 1e-5 * rms);
    }
    set.method = NB_IMPORTANCE_MAGNITUDE;
    assert_int_equal(nb_importance_edge_scores(&set, &net, NULL, NULL, s), NB_OK);
    const float *w = nb_network_weight(&net, 0);
    float max = 0.0f;
    for (size_t k = 0; k < sizes[0] * sizes[1]; k++)
        max = fabsf(w[k]) > max ? fabsf(w[k]) : max;
    for (size_t r = 0; r <= C; r++)
        assert_float_equal(s[r * E + 3], fabsf(w[3]) / max, 1e-6);
    free(s);
    free(raw);
    free_data(&ds);
    nb_network_deinit(&net);
}

/* A 4-3-3 wired network: hidden node j = relu(pixel j + pixel 3) feeds only output j; pixel
 * j (j < 3) is bright on class j's images, pixel 3 on every image. Under activation, hidden
 * node j and pixel j are important for class j only (the largest of their rows, the others
 * near 0); pixel 3, bright for every class, has no class contrast: its node importance is 0
 * for every class while its edges' alpha (class-blind) is the layer's largest. The method is
 * recorded. */
static void test_activation_node_importance_of_wired_net(void **state) {
    (void)state;
    size_t wsizes[3] = {C + 1, C, C};
    nb_network net;
    assert_int_equal(nb_network_init(&net, 3, wsizes), NB_OK);
    for (size_t j = 0; j < C; j++) {
        nb_network_weight(&net, 0)[j * (C + 1) + j] = 1.0f;
        nb_network_weight(&net, 0)[j * (C + 1) + C] = 1.0f;
        nb_network_weight(&net, 1)[j * C + j] = 4.0f;
    }
    nb_dataset ds = {0};
    ds.n = 300;
    ds.rows = 1;
    ds.cols = ds.dim = C + 1;
    ds.n_classes = C;
    ds.images = calloc(ds.n * ds.dim, sizeof(float));
    ds.labels = calloc(ds.n, 1);
    assert_non_null(ds.images);
    assert_non_null(ds.labels);
    nb_rng rng;
    nb_rng_init(&rng, 2);
    for (size_t k = 0; k < ds.n; k++) {
        ds.labels[k] = (uint8_t)(k % C);
        for (size_t i = 0; i < ds.dim; i++)
            ds.images[k * ds.dim + i] =
                (float)(0.1 * nb_rng_uniform(&rng)) + (i == k % C || i == C ? 1.0f : 0.0f);
    }
    nb_importance_settings set = {.method = NB_IMPORTANCE_ACTIVATION};
    nb_importance imp;
    assert_int_equal(nb_importance_compute(&set, &net, &ds, &ds, NULL, NULL, &imp), NB_OK);
    assert_string_equal(imp.method, "activation");
    const float *input = nb_importance_node(&imp, 0), *hidden = nb_importance_node(&imp, 1);
    for (size_t j = 0; j < C; j++)
        for (size_t c = 0; c < C; c++) {
            if (c == j) {
                assert_true(hidden[j * C + c] > 0.85f);
                assert_true(input[j * C + c] > 0.85f);
            } else {
                assert_true(hidden[j * C + c] < 0.2f);
                assert_true(input[j * C + c] < 0.2f);
            }
        }
    for (size_t c = 0; c < C; c++)
        assert_true(input[C * C + c] < 0.05f); /* pixel 3: bright for every class */
    /* alpha: pixel 3's edges the largest, the wired hidden edges high, the others 0 */
    const float *alpha0 = nb_importance_edge(&imp, 0), *alpha1 = nb_importance_edge(&imp, 1);
    assert_float_equal(alpha0[C], 1.0f, 1e-6);
    assert_true(alpha0[0] > 0.4f && alpha0[0] < 0.8f);
    assert_true(alpha1[0] > 0.9f);
    assert_float_equal(alpha1[1], 0.0f, 0.0f);
    nb_importance_deinit(&imp);
    free_data(&ds);
    nb_network_deinit(&net);
}

/* The stored node importance of every gradient method against the rule of docs/importance.md,
 * recomputed in double from the method's per-class edge scores: x_ic = sum of class c's
 * scores over node i's outgoing edges, r_ic = x_ic / mean_i' x_i'c, d_ic = max(0, r_ic -
 * mean_c' r_ic'), / max d over the layer; the output layer one-hot; every layer has a node
 * with value 1. */
static void test_node_importance_is_class_contrast(void **state) {
    (void)state;
    nb_network net = make_net(41);
    nb_dataset ds = make_data(42);
    const size_t E = n_edges();
    float *s = malloc((C + 1) * E * sizeof *s);
    assert_non_null(s);
    const nb_importance_method methods[4] = {NB_IMPORTANCE_ACTIVATION, NB_IMPORTANCE_TAYLOR,
                                             NB_IMPORTANCE_TAYLOR_MEAN, NB_IMPORTANCE_OBD};
    for (size_t m = 0; m < 4; m++) {
        nb_importance_settings set = {.method = methods[m]};
        nb_importance imp;
        assert_int_equal(nb_importance_compute(&set, &net, &ds, &ds, NULL, NULL, &imp), NB_OK);
        assert_int_equal(nb_importance_edge_scores(&set, &net, &ds, NULL, s), NB_OK);
        size_t e0 = 0;
        for (size_t l = 0; l < 3; l++) {
            const size_t n_in = sizes[l], n_out = sizes[l + 1];
            double x[8][C], colmean[C] = {0}, d[8][C], dmax = 0.0;
            for (size_t i = 0; i < n_in; i++)
                for (size_t c = 0; c < C; c++) {
                    x[i][c] = 0.0;
                    for (size_t j = 0; j < n_out; j++)
                        x[i][c] += s[c * E + e0 + j * n_in + i];
                    colmean[c] += x[i][c] / (double)n_in;
                }
            for (size_t i = 0; i < n_in; i++) {
                double r[C], rm = 0.0;
                for (size_t c = 0; c < C; c++) {
                    r[c] = x[i][c] / colmean[c];
                    rm += r[c] / C;
                }
                for (size_t c = 0; c < C; c++) {
                    d[i][c] = r[c] > rm ? r[c] - rm : 0.0;
                    dmax = d[i][c] > dmax ? d[i][c] : dmax;
                }
            }
            assert_true(dmax > 0.0);
            const float *node = nb_importance_node(&imp, l);
            float vmax = 0.0f;
            for (size_t i = 0; i < n_in; i++)
                for (size_t c = 0; c < C; c++) {
                    assert_float_equal(node[i * C + c], (float)(d[i][c] / dmax), 1e-5f);
                    vmax = node[i * C + c] > vmax ? node[i * C + c] : vmax;
                }
            assert_float_equal(vmax, 1.0f, 0.0f);
            e0 += n_in * n_out;
        }
        const float *out = nb_importance_node(&imp, 3);
        for (size_t i = 0; i < C; i++)
            for (size_t c = 0; c < C; c++)
                assert_float_equal(out[i * C + c], i == c ? 1.0f : 0.0f, 0.0f);
        nb_importance_deinit(&imp);
    }
    free(s);
    free_data(&ds);
    nb_network_deinit(&net);
}

static void test_errors(void **state) {
    (void)state;
    nb_network net = make_net(1);
    nb_dataset ds = make_data(2);
    const size_t E = n_edges();
    float *s = malloc((C + 1) * E * sizeof *s);
    assert_non_null(s);
    /* a class without images */
    for (size_t k = 0; k < ds.n; k++)
        if (ds.labels[k] == 1)
            ds.labels[k] = 0;
    assert_int_equal(nb_saliency_scores(&net, &ds, NULL, 0, NB_SALIENCY_TAYLOR, s), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "train set");
    nb_importance_settings set = {.method = NB_IMPORTANCE_OBD};
    nb_importance imp;
    assert_int_equal(nb_importance_compute(&set, &net, &ds, &ds, NULL, NULL, &imp), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "train set");
    /* missing training set */
    assert_int_equal(nb_importance_edge_scores(&set, &net, NULL, NULL, s), NB_E_MISSING);
    assert_string_equal(nb_error_subject(), "train set");
    /* wrong image size */
    free_data(&ds);
    ds = make_data(2);
    ds.dim = 5;
    assert_int_equal(nb_saliency_scores(&net, &ds, NULL, 0, NB_SALIENCY_OBD, s), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "train set");
    ds.dim = 6;
    /* unknown kind */
    assert_int_equal(nb_saliency_scores(&net, &ds, NULL, 0, (nb_saliency_kind)9, s), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "saliency");
    free(s);
    free_data(&ds);
    nb_network_deinit(&net);
}

static void test_spearman(void **state) {
    (void)state;
    const float a[5] = {1, 2, 3, 4, 5}, rev[5] = {5, 4, 3, 2, 1}, sq[5] = {1, 4, 9, 16, 25};
    const float tie[5] = {1, 1, 2, 2, 3}, flat[5] = {2, 2, 2, 2, 2};
    double rho;
    assert_int_equal(nb_evaluate_spearman(a, sq, 5, &rho), NB_OK);
    assert_float_equal(rho, 1.0, 1e-12);
    assert_int_equal(nb_evaluate_spearman(a, rev, 5, &rho), NB_OK);
    assert_float_equal(rho, -1.0, 1e-12);
    /* ties get average ranks: ranks 1.5 1.5 3.5 3.5 5 against 1..5: rho = 0.9486833 */
    assert_int_equal(nb_evaluate_spearman(a, tie, 5, &rho), NB_OK);
    assert_float_equal(rho, 0.9486832980505138, 1e-9);
    assert_int_equal(nb_evaluate_spearman(a, flat, 5, &rho), NB_OK);
    assert_true(isnan(rho));
    assert_int_equal(nb_evaluate_spearman(a, a, 1, &rho), NB_OK);
    assert_true(isnan(rho));
}

/* Split-half stability of activation on a network whose answer does not depend on the half:
 * rho near 1 on every layer; magnitude's constant node importance gives NaN. */
static void test_stability(void **state) {
    (void)state;
    nb_network net = make_net(31);
    nb_dataset ds = make_data(32);
    double rho[3];
    nb_importance_settings set = {.method = NB_IMPORTANCE_ACTIVATION};
    double seconds = -1.0;
    assert_int_equal(nb_evaluate_stability(&set, &net, &ds, &ds, 1, rho, &seconds), NB_OK);
    assert_true(seconds >= 0.0);
    for (size_t l = 0; l < 3; l++)
        assert_true(rho[l] > 0.8);
    set.method = NB_IMPORTANCE_MAGNITUDE;
    assert_int_equal(nb_evaluate_stability(&set, &net, &ds, &ds, 1, rho, NULL), NB_OK);
    assert_true(isnan(rho[0]));
    free_data(&ds);
    nb_network_deinit(&net);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_gradient_matches_finite_differences),
        cmocka_unit_test(test_taylor_matches_reference),
        cmocka_unit_test(test_taylor_mean_matches_reference),
        cmocka_unit_test(test_obd_matches_reference),
        cmocka_unit_test(test_activation_matches_reference),
        cmocka_unit_test(test_rows_chunks_and_threads),
        cmocka_unit_test(test_edge_scores_blind_row),
        cmocka_unit_test(test_activation_node_importance_of_wired_net),
        cmocka_unit_test(test_node_importance_is_class_contrast),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_spearman),
        cmocka_unit_test(test_stability),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
