/* test_bundle.c - the bundling driver: schedules, phases, snapshots, determinism, symmetry. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nb_bundle.h"
#include "nb_config.h"
#include "nb_importance.h"
#include "nb_layout.h"
#include "nb_random.h"
#include "nb_rng.h"

typedef struct fixture {
    nb_network net;
    nb_importance imp;
} fixture;

static void random_fixture(fixture *f, size_t n_layers, const size_t *sizes, uint64_t seed) {
    assert_int_equal(nb_random_network_init(&f->net, n_layers, sizes, seed), NB_OK);
    assert_int_equal(nb_importance_random(&f->net, seed, &f->imp), NB_OK);
}

static void fixture_deinit(fixture *f) {
    nb_network_deinit(&f->net);
    nb_importance_deinit(&f->imp);
}

static nb_processing_config defaults(void) {
    nb_processing_config cfg;
    nb_config_defaults(&nb_processing_schema, &cfg);
    return cfg;
}

/* nb_bundle_create with the settings of cfg (the way the CLI and the GUI call it). */
static nb_status create_cfg(const nb_processing_config *cfg, const nb_network *net,
                            const nb_importance *imp, int threads, nb_bundle_state **out) {
    nb_bundle_settings settings;
    NB_TRY(nb_bundle_settings_from_config(cfg, &settings));
    return nb_bundle_create(&settings, net, imp, threads, out);
}

static void run(const nb_processing_config *cfg, const fixture *f, int threads,
                nb_bundle_data *out) {
    nb_bundle_state *st = NULL;
    assert_int_equal(create_cfg(cfg, &f->net, &f->imp, threads, &st), NB_OK);
    assert_int_equal(nb_bundle_finish(st, out), NB_OK);
    nb_bundle_destroy(st);
}

/* Whether two bundles have the same polylines, bit for bit. */
static bool same_points(const nb_bundle_data *a, const nb_bundle_data *b) {
    return a->n_points == b->n_points &&
           memcmp(a->point_position, b->point_position, 3 * a->n_points * sizeof(float)) == 0;
}

static void assert_sane(const nb_bundle_data *b) {
    for (size_t i = 0; i < 3 * b->n_nodes; i++)
        assert_true(isfinite(b->node_position[i]));
    for (size_t i = 0; i < 3 * b->n_points; i++)
        assert_true(isfinite(b->point_position[i]));
    assert_int_equal(b->edge_point_offset[0], 0);
    assert_int_equal(b->edge_point_offset[b->n_edges], b->n_points);
    for (size_t e = 0; e < b->n_edges; e++) {
        uint64_t o0 = b->edge_point_offset[e], o1 = b->edge_point_offset[e + 1];
        assert_true(o1 >= o0 + 2);
        /* endpoints are the node positions, bit for bit */
        assert_memory_equal(b->point_position + 3 * o0,
                            b->node_position + 3 * (size_t)b->edge_source[e], 3 * sizeof(float));
        assert_memory_equal(b->point_position + 3 * (o1 - 1),
                            b->node_position + 3 * (size_t)b->edge_target[e], 3 * sizeof(float));
    }
    assert_true(isfinite(b->metrics.mean_distortion) && b->metrics.mean_distortion >= 1.0 - 1e-6);
    assert_true(b->metrics.max_distortion >= b->metrics.mean_distortion - 1e-9);
    assert_true(isfinite(b->metrics.mean_length_diff) && isfinite(b->metrics.ink_ratio));
}

static void test_schedules(void **state) {
    (void)state;
    const double h = (1.0 / 15.0) / 3.0;
    assert_int_equal(nb_bundle_iteration_count(0.75, 0.95, 2 * h), 56);
    assert_int_equal(nb_bundle_iteration_count(0.5, 0.9, 2 * h), 23);
    const double h20 = (1.0 / 20.0) / 3.0;
    assert_int_equal(nb_bundle_iteration_count(0.5, 0.9, 2 * h20), 26);
    assert_int_equal(nb_bundle_iteration_count(0.01, 0.9, 2 * h), 0);
    /* method.md §4.6 edge schedule: sigma at k = 0, 1, 2, 5, 10, 22 */
    const double k_s[6][2] = {{0, 0.0},   {1, 0.331},  {2, 0.457},
                              {5, 0.670}, {10, 0.846}, {22, 0.995}};
    for (int i = 0; i < 6; i++) {
        double b = 0.5 * pow(0.9, k_s[i][0]);
        assert_true(fabs(nb_bundle_similarity(b, 0.5, 2 * h, 1.0) - k_s[i][1]) < 1e-3);
        /* edge_similarity_max caps the schedule and leaves values below the cap alone */
        double capped = nb_bundle_similarity(b, 0.5, 2 * h, 0.7);
        assert_true(fabs(capped - fmin(k_s[i][1], 0.7)) < 1e-3);
    }
    assert_true(nb_bundle_similarity(0.01, 0.01, 2 * h, 1.0) == 1.0);
    assert_true(nb_bundle_similarity(0.01, 0.01, 2 * h, 0.7) == 0.7);
    assert_true(nb_bundle_similarity(0.5, 0.5, 2 * h, 0.0) == 0.0);
}

static void test_default_iteration_counts(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[3] = {9, 4, 3};
    random_fixture(&f, 3, sizes, 5);
    nb_processing_config cfg = defaults();
    nb_bundle_state *st = NULL;
    assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, 1, &st), NB_OK);
    nb_bundle_progress p;
    nb_bundle_query_progress(st, &p);
    assert_int_equal(p.phase, NB_BUNDLE_PHASE_NODE);
    assert_int_equal(p.node_iterations, 56);
    assert_int_equal(p.edge_iterations, 23);
    assert_int_equal(p.n_iterations, 56);
    assert_int_equal(p.iteration, 0);
    nb_bundle_destroy(st);
    cfg.sampling_rate = 20.0;
    assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, 1, &st), NB_OK);
    nb_bundle_query_progress(st, &p);
    assert_int_equal(p.node_iterations, 61);
    assert_int_equal(p.edge_iterations, 26);
    nb_bundle_destroy(st);
    fixture_deinit(&f);
}

static void test_phases_snapshots_and_threads(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[4] = {25, 9, 6, 4};
    random_fixture(&f, 4, sizes, 11);
    nb_processing_config cfg = defaults();
    nb_bundle_state *st = NULL;
    assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, 2, &st), NB_OK);
    float layout[44 * 3];
    const nb_layout_desc ld = {cfg.layer_width, cfg.layer_distance, cfg.sampling_rate};
    assert_int_equal(nb_layout_nodes(&ld, 4, sizes, layout), NB_OK);
    /* node phase: snapshots are straight two-point edges between the moving nodes */
    for (int k = 0; k < 10; k++)
        assert_int_equal(nb_bundle_step(st), NB_OK);
    nb_bundle_progress p;
    nb_bundle_query_progress(st, &p);
    assert_int_equal(p.phase, NB_BUNDLE_PHASE_NODE);
    assert_int_equal(p.iteration, 10);
    nb_bundle_data snap;
    assert_int_equal(nb_bundle_query_snapshot(st, &snap), NB_OK);
    assert_int_equal(snap.n_edges, 25 * 9 + 9 * 6 + 6 * 4);
    assert_int_equal(snap.n_points, 2 * snap.n_edges);
    assert_int_equal(snap.node_iterations, 10);
    assert_int_equal(snap.edge_iterations, 0);
    size_t moved = 0;
    for (size_t i = 0; i < 44; i++) {
        assert_true(snap.node_position[3 * i + 2] == layout[3 * i + 2]); /* z never changes */
        moved += snap.node_position[3 * i] != layout[3 * i];
    }
    assert_true(moved > 0);
    nb_bundle_data_deinit(&snap);
    /* into the edge phase */
    while (p.phase == NB_BUNDLE_PHASE_NODE) {
        assert_int_equal(nb_bundle_step(st), NB_OK);
        nb_bundle_query_progress(st, &p);
    }
    assert_int_equal(p.phase, NB_BUNDLE_PHASE_EDGE);
    assert_int_equal(p.iteration, 0);
    assert_int_equal(p.n_iterations, 23);
    for (int k = 0; k < 3; k++)
        assert_int_equal(nb_bundle_step(st), NB_OK);
    assert_int_equal(nb_bundle_query_snapshot(st, &snap), NB_OK);
    assert_true(snap.n_points > 2 * snap.n_edges);
    assert_int_equal(snap.node_iterations, 56);
    assert_int_equal(snap.edge_iterations, 3);
    nb_bundle_data_deinit(&snap);
    nb_bundle_data a;
    assert_int_equal(nb_bundle_finish(st, &a), NB_OK);
    nb_bundle_query_progress(st, &p);
    assert_int_equal(p.phase, NB_BUNDLE_PHASE_FINISHED);
    assert_int_equal(a.node_iterations, 56);
    assert_int_equal(a.edge_iterations, 23);
    assert_int_equal(a.n_edges_total, a.n_edges);
    assert_non_null(a.config_json);
    assert_non_null(strstr(a.config_json, "sampling_rate"));
    assert_true(a.time_total > 0.0);
    assert_sane(&a);
    assert_true(a.metrics.mean_distortion > 1.0); /* the edges did bend */
    /* finishing again gives the same result; stepping does nothing */
    assert_int_equal(nb_bundle_step(st), NB_OK);
    nb_bundle_data again;
    assert_int_equal(nb_bundle_finish(st, &again), NB_OK);
    assert_int_equal(again.n_points, a.n_points);
    assert_memory_equal(again.point_position, a.point_position, 3 * a.n_points * sizeof(float));
    nb_bundle_data_deinit(&again);
    nb_bundle_destroy(st);

    /* one thread gives the same bytes */
    nb_bundle_data b;
    run(&cfg, &f, 1, &b);
    assert_int_equal(a.n_points, b.n_points);
    assert_memory_equal(a.node_position, b.node_position, 3 * a.n_nodes * sizeof(float));
    assert_memory_equal(a.edge_point_offset, b.edge_point_offset,
                        (a.n_edges + 1) * sizeof(uint64_t));
    assert_memory_equal(a.point_position, b.point_position, 3 * a.n_points * sizeof(float));
    assert_memory_equal(&a.metrics, &b.metrics, sizeof a.metrics);
    nb_bundle_data_deinit(&a);
    nb_bundle_data_deinit(&b);
    fixture_deinit(&f);
}

/* Steps st through the node phase (nb_bundle_step until the phase changes). */
static void step_node_phase(nb_bundle_state *st) {
    nb_bundle_progress p;
    nb_bundle_query_progress(st, &p);
    while (p.phase == NB_BUNDLE_PHASE_NODE) {
        assert_int_equal(nb_bundle_step(st), NB_OK);
        nb_bundle_query_progress(st, &p);
    }
}

/* Pair q of st has the edges, offsets and points of the same pair in the whole bundle a. */
static void assert_pair_matches(const nb_bundle_state *st, size_t q, const nb_bundle_data *a) {
    nb_bundle_pair_view v;
    assert_int_equal(nb_bundle_query_pair(st, q, &v), NB_OK);
    assert_int_equal(nb_bundle_query_pair_edges(st, q), v.n_edges);
    const uint64_t base = a->edge_point_offset[v.first_edge];
    assert_int_equal(v.offset[0], 0);
    assert_int_equal(v.n_points, a->edge_point_offset[v.first_edge + v.n_edges] - base);
    for (size_t e = 0; e <= v.n_edges; e++)
        assert_int_equal(v.offset[e] + base, a->edge_point_offset[v.first_edge + e]);
    assert_memory_equal(v.points, a->point_position + 3 * base, 3 * v.n_points * sizeof(float));
}

/* Pairs run one after the other straight from the node phase, each released after it was
 * read (as `nnbundle bundle` streams them): every later pair starts from the buffers the
 * earlier ones left (spare_put / spare_take in nb_bundle.c, larger than it needs and full of
 * their points), and the polylines are still those of step/finish bit for bit; so are they
 * when the pairs are kept instead of released. */
static void test_pair_by_pair_reuses_buffers(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[4] = {20, 9, 6, 3};
    random_fixture(&f, 4, sizes, 7);
    nb_processing_config cfg = defaults();
    nb_bundle_data a;
    run(&cfg, &f, 2, &a);
    for (int release = 0; release < 2; release++) {
        nb_bundle_state *st = NULL;
        assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, 2, &st), NB_OK);
        step_node_phase(st);
        for (size_t q = 0; q < 3; q++) {
            assert_int_equal(nb_bundle_pair_edge_phase(st, q), NB_OK);
            assert_pair_matches(st, q, &a);
            if (release)
                nb_bundle_pair_release(st, q);
        }
        nb_bundle_destroy(st);
    }
    nb_bundle_data_deinit(&a);
    fixture_deinit(&f);
}

/* Pair by pair (nb_bundle_pair_edge_phase, pairs in reverse order, one released after it was
 * read) gives the same polylines bit for bit as step/finish; a step after some pairs ran ahead
 * skips them; the adaptive spacing (edge_spacing_bandwidth) changes the result and 0 keeps l;
 * fast_kernel_scale changes it too, and its default written out does not. */
static void test_pair_by_pair(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[4] = {20, 9, 6, 3};
    random_fixture(&f, 4, sizes, 5);
    nb_processing_config cfg = defaults();
    nb_bundle_data a;
    run(&cfg, &f, 2, &a);
    nb_bundle_state *st = NULL;
    assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, 2, &st), NB_OK);
    assert_int_equal(nb_bundle_pair_edge_phase(st, 0), NB_E_INVALID); /* node phase first */
    step_node_phase(st);
    assert_int_equal(nb_bundle_step(st), NB_OK); /* iteration 0 of every pair */
    assert_int_equal(nb_bundle_pair_edge_phase(st, 3), NB_E_INVALID);
    for (size_t q = 3; q-- > 0;) {
        assert_int_equal(nb_bundle_pair_edge_phase(st, q), NB_OK);
        nb_bundle_pair_view v;
        assert_int_equal(nb_bundle_query_pair(st, q, &v), NB_OK);
        assert_int_equal(v.first_edge, q == 0 ? 0 : (q == 1 ? 180 : 234));
        assert_int_equal(v.offset[v.n_edges], v.n_points);
        assert_pair_matches(st, q, &a);
    }
    assert_int_equal(nb_bundle_step(st), NB_OK); /* nothing left to run */
    nb_bundle_data b;
    assert_int_equal(nb_bundle_finish(st, &b), NB_OK);
    assert_int_equal(a.n_points, b.n_points);
    assert_memory_equal(a.point_position, b.point_position, 3 * a.n_points * sizeof(float));
    assert_memory_equal(&a.metrics, &b.metrics, sizeof a.metrics);
    nb_bundle_data_deinit(&b);
    nb_bundle_pair_release(st, 1);
    nb_bundle_pair_view v;
    assert_int_equal(nb_bundle_query_pair(st, 1, &v), NB_E_INVALID);
    assert_int_equal(nb_bundle_query_pair_edges(st, 1), 234 - 180); /* released: still counted */
    assert_int_equal(nb_bundle_query_pair_edges(st, 3), 0);         /* out of range */
    assert_int_equal(nb_bundle_pair_edge_phase(st, 1), NB_E_INVALID);
    assert_int_equal(nb_bundle_query_snapshot(st, &b), NB_E_INVALID);
    nb_bundle_destroy(st);
    /* the reference spacing throughout differs from the adaptive one */
    cfg.edge_spacing_bandwidth = 0.0;
    run(&cfg, &f, 1, &b);
    assert_sane(&b);
    assert_false(same_points(&a, &b));
    nb_bundle_data_deinit(&b);
    /* fast_kernel_scale reaches the fast back-end: a wider kernel is another bundle, the
     * default written out is the same one */
    cfg = defaults();
    cfg.fast_kernel_scale = 1.5;
    run(&cfg, &f, 1, &b);
    assert_sane(&b);
    assert_false(same_points(&a, &b));
    nb_bundle_data_deinit(&b);
    cfg.fast_kernel_scale = 0.7;
    run(&cfg, &f, 1, &b);
    assert_true(same_points(&a, &b));
    nb_bundle_data_deinit(&a);
    nb_bundle_data_deinit(&b);
    fixture_deinit(&f);
}

static void test_advection_off_gives_straight_edges(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[3] = {16, 5, 3};
    random_fixture(&f, 3, sizes, 2);
    nb_processing_config cfg = defaults();
    cfg.node_advection = false;
    cfg.edge_advection = false;
    nb_bundle_state *st = NULL;
    assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, 2, &st), NB_OK);
    nb_bundle_progress p;
    nb_bundle_query_progress(st, &p);
    assert_int_equal(p.phase, NB_BUNDLE_PHASE_DONE);
    assert_int_equal(p.node_iterations + p.edge_iterations, 0);
    nb_bundle_data b;
    assert_int_equal(nb_bundle_finish(st, &b), NB_OK);
    nb_bundle_destroy(st);
    assert_sane(&b);
    assert_int_equal(b.node_iterations, 0);
    assert_int_equal(b.edge_iterations, 0);
    float layout[24 * 3];
    const nb_layout_desc ld = {cfg.layer_width, cfg.layer_distance, cfg.sampling_rate};
    assert_int_equal(nb_layout_nodes(&ld, 3, sizes, layout), NB_OK);
    assert_memory_equal(b.node_position, layout, sizeof layout);
    assert_true(fabs(b.metrics.mean_distortion - 1.0) < 1e-5);
    assert_true(fabs(b.metrics.ink_ratio - 1.0) < 0.05);
    /* sampled at l: more than two points for edges longer than l */
    assert_true(b.n_points > 5 * b.n_edges);
    nb_bundle_data_deinit(&b);

    /* only the node phase */
    cfg.node_advection = true;
    run(&cfg, &f, 2, &b);
    assert_int_equal(b.node_iterations, 56);
    assert_int_equal(b.edge_iterations, 0);
    assert_true(fabs(b.metrics.mean_distortion - 1.0) < 1e-5);
    assert_sane(&b);
    nb_bundle_data_deinit(&b);
    fixture_deinit(&f);
}

/* Two layers, and layers of a single node (placed on the axis): no NaN, valid output. */
static void test_small_shapes(void **state) {
    (void)state;
    const size_t two[2] = {6, 3}, single[4] = {1, 5, 1, 2};
    const size_t *shapes[2] = {two, single};
    const size_t n_layers[2] = {2, 4};
    for (int k = 0; k < 2; k++) {
        fixture f;
        random_fixture(&f, n_layers[k], shapes[k], 21);
        nb_processing_config cfg = defaults();
        nb_bundle_data b;
        run(&cfg, &f, 2, &b);
        assert_sane(&b);
        assert_int_equal(b.n_edges, nb_network_n_edges(&f.net));
        assert_int_equal(b.n_layers, n_layers[k]);
        nb_bundle_data_deinit(&b);
        fixture_deinit(&f);
    }
}

static void test_pruning_exact_count(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[3] = {16, 8, 4};
    random_fixture(&f, 3, sizes, 9);
    nb_processing_config cfg = defaults();
    cfg.prune_percentage = 0.75;
    cfg.node_advection = false;
    cfg.edge_advection = false;
    nb_bundle_data b;
    run(&cfg, &f, 1, &b);
    assert_int_equal(b.n_edges_total, 16 * 8 + 8 * 4);
    assert_int_equal(b.n_edges, 160 - 120);
    /* kept edges keep the weight order: pair-major, sources in layer l, targets in l+1 */
    for (size_t e = 0; e < b.n_edges; e++) {
        int64_t s = b.edge_source[e], t = b.edge_target[e];
        size_t l = s < 16 ? 0 : 1;
        assert_true(s >= b.layer_offset[l] && s < b.layer_offset[l + 1]);
        assert_true(t >= b.layer_offset[l + 1] && t < b.layer_offset[l + 2]);
        if (e > 0)
            assert_true(b.edge_source[e - 1] < 16 || s >= 16);
    }
    assert_sane(&b);
    nb_bundle_data_deinit(&b);
    fixture_deinit(&f);
}

/* Mirror x -> -x of a layer of n = s*s nodes: column c -> s-1-c. */
static size_t mirror_node(size_t i, size_t s) {
    return (i / s) * s + (s - 1 - i % s);
}

/* A network whose two halves are mirror images: node i of every layer <-> its mirror, the
 * output (2 classes) mirrored too, so class vectors swap with the mirror. */
static void symmetric_fixture(fixture *f) {
    const size_t sizes[3] = {16, 4, 2}, side[3] = {4, 2, 2};
    assert_int_equal(nb_network_init(&f->net, 3, sizes), NB_OK);
    assert_int_equal(nb_importance_init(&f->imp, 3, sizes, 0), NB_OK);
    nb_rng rng;
    nb_rng_init(&rng, 77);
    for (size_t l = 0; l < 2; l++) {
        size_t n_in = sizes[l], n_out = sizes[l + 1];
        float *w = nb_network_weight(&f->net, l);
        for (size_t j = 0; j < n_out; j++)
            for (size_t i = 0; i < n_in; i++) {
                size_t mj = mirror_node(j, side[l + 1]), mi = mirror_node(i, side[l]);
                if (mj * n_in + mi < j * n_in + i)
                    continue; /* set with its mirror */
                float v = (float)(nb_rng_uniform(&rng) - 0.5);
                w[j * n_in + i] = v;
                w[mj * n_in + mi] = v;
            }
        float *node = nb_importance_node(&f->imp, l);
        for (size_t i = 0; i < n_in; i++) {
            size_t mi = mirror_node(i, side[l]);
            if (mi < i)
                continue;
            for (size_t c = 0; c < 2; c++) {
                float v = (float)nb_rng_uniform(&rng);
                node[i * 2 + c] = v;
                node[mi * 2 + (1 - c)] = v;
            }
        }
    }
    float *out = nb_importance_node(&f->imp, 2);
    out[0] = 1.0f;
    out[3] = 1.0f;
    nb_importance_fill_alpha(&f->net, &f->imp);
}

/* Worst mirror mismatch of a bundle of symmetric_fixture: *nodes and *points in world units,
 * *count_diff = mirrored edge pairs whose point counts differ. */
static void mirror_error(const nb_bundle_data *b, double *nodes, double *points,
                         size_t *count_diff) {
    const size_t sizes[3] = {16, 4, 2}, side[3] = {4, 2, 2}, first[3] = {0, 16, 20};
    double worst_node = 0.0, worst_point = 0.0;
    size_t differ = 0;
    for (size_t l = 0; l < 3; l++)
        for (size_t i = 0; i < sizes[l]; i++) {
            const float *p = b->node_position + 3 * (first[l] + i);
            const float *q = b->node_position + 3 * (first[l] + mirror_node(i, side[l]));
            worst_node = fmax(worst_node, fabs((double)p[0] + q[0]));
            worst_node = fmax(worst_node, fabs((double)p[1] - q[1]));
        }
    size_t e = 0;
    for (size_t l = 0; l < 2; l++) {
        size_t n_in = sizes[l], n_out = sizes[l + 1];
        for (size_t j = 0; j < n_out; j++)
            for (size_t i = 0; i < n_in; i++, e++) {
                size_t m = e - (j * n_in + i) + mirror_node(j, side[l + 1]) * n_in +
                           mirror_node(i, side[l]);
                uint64_t a0 = b->edge_point_offset[e], a1 = b->edge_point_offset[e + 1];
                uint64_t m0 = b->edge_point_offset[m], m1 = b->edge_point_offset[m + 1];
                if (a1 - a0 != m1 - m0) {
                    differ++;
                    continue;
                }
                for (uint64_t k = 0; k < a1 - a0; k++) {
                    const float *p = b->point_position + 3 * (a0 + k);
                    const float *q = b->point_position + 3 * (m0 + k);
                    worst_point = fmax(worst_point, fabs((double)p[0] + q[0]));
                    worst_point = fmax(worst_point, fabs((double)p[1] - q[1]));
                    worst_point = fmax(worst_point, fabs((double)p[2] - q[2]));
                }
            }
    }
    *nodes = worst_node;
    *points = worst_point;
    *count_diff = differ;
}

/* With the exact back-end (the reference kernel on a grid whose cell centres are symmetric
 * about x = 0 for W = 1, rho = 15) every stage maps mirrored inputs to mirrored outputs, so
 * the bundle is mirror-symmetric to float rounding. The fast back-end is measured and
 * printed only: its binned grid need not be symmetric about x = 0 (see docs/bundling.md). */
static void test_symmetric_network_gives_symmetric_bundle(void **state) {
    (void)state;
    fixture f;
    symmetric_fixture(&f);
    nb_processing_config cfg = defaults();
    cfg.density = NB_DENSITY_EXACT;
    nb_bundle_data b;
    run(&cfg, &f, 2, &b);
    assert_sane(&b);
    double nodes, points;
    size_t differ;
    mirror_error(&b, &nodes, &points, &differ);
    print_message("exact: mirror error nodes %.3g, points %.3g wu, %zu edge pairs differ in "
                  "point count\n",
                  nodes, points, differ);
    assert_true(nodes < 1e-6);
    assert_true(points < 1e-5);
    assert_int_equal(differ, 0);
    assert_true(b.metrics.mean_distortion > 1.0);
    nb_bundle_data_deinit(&b);
    cfg.density = NB_DENSITY_FAST;
    run(&cfg, &f, 2, &b);
    assert_sane(&b);
    mirror_error(&b, &nodes, &points, &differ);
    print_message("fast: mirror error nodes %.3g, points %.3g wu, %zu edge pairs differ in "
                  "point count (not asserted)\n",
                  nodes, points, differ);
    assert_true(nodes < 1e-6); /* the node phase uses the reference kernel in both */
    nb_bundle_data_deinit(&b);
    fixture_deinit(&f);
}

/* Lowest and highest z over the polyline points of the edges from layer `l` (node ids of
 * layer l: [layer_offset[l], layer_offset[l+1])), interior points only. */
static void interior_z_range(const nb_bundle_data *b, size_t l, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t e = 0; e < b->n_edges; e++) {
        if (b->edge_source[e] < (uint32_t)b->layer_offset[l] ||
            b->edge_source[e] >= (uint32_t)b->layer_offset[l + 1])
            continue;
        for (uint64_t i = b->edge_point_offset[e] + 1; i + 1 < b->edge_point_offset[e + 1]; i++) {
            *lo = fmin(*lo, b->point_position[3 * i + 2]);
            *hi = fmax(*hi, b->point_position[3 * i + 2]);
        }
    }
}

static void test_clamp_to_layers(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[4] = {16, 9, 6, 4};
    random_fixture(&f, 4, sizes, 3);
    /* the reference settings (full steps, similarity up to 0.995, no clamp) send samples
     * behind the layer planes on this network; the clamp keeps them between the planes */
    nb_processing_config cfg = defaults();
    cfg.edge_step = 1.0;
    cfg.edge_similarity_max = 1.0;
    cfg.edge_repulsion_saturation = 0.0;
    cfg.edge_clamp_to_layers = false;
    nb_bundle_data free_b, clamped;
    run(&cfg, &f, 1, &free_b);
    cfg.edge_clamp_to_layers = true;
    run(&cfg, &f, 1, &clamped);
    assert_sane(&clamped);
    bool escaped = false;
    for (size_t l = 0; l + 1 < 4; l++) {
        const double z0 = clamped.node_position[3 * (size_t)clamped.layer_offset[l] + 2];
        const double z1 = clamped.node_position[3 * (size_t)clamped.layer_offset[l + 1] + 2];
        double lo, hi;
        interior_z_range(&clamped, l, &lo, &hi);
        assert_true(lo >= z0 && hi <= z1);
        interior_z_range(&free_b, l, &lo, &hi);
        escaped |= lo < z0 - 1e-3 || hi > z1 + 1e-3;
    }
    assert_true(escaped);
    nb_bundle_data_deinit(&free_b);
    nb_bundle_data_deinit(&clamped);
    fixture_deinit(&f);
}

/* Per layer: spread ratio (min over x and y of std after / std as laid out) and the smallest
 * nearest-neighbour distance in the plane, in layout spacings (layer_width / ceil(sqrt(n))). */
static void layer_guard_figures(const nb_bundle_data *b, const nb_processing_config *cfg, size_t l,
                                double *ratio, double *nn) {
    const size_t L = b->n_layers, o = (size_t)b->layer_offset[l];
    const size_t n = (size_t)(b->layer_offset[l + 1] - b->layer_offset[l]);
    size_t sizes[16];
    assert_true(L <= 16);
    for (size_t k = 0; k < L; k++)
        sizes[k] = (size_t)(b->layer_offset[k + 1] - b->layer_offset[k]);
    float *grid = malloc(b->n_nodes * 3 * sizeof *grid);
    assert_non_null(grid);
    nb_layout_desc ld = {cfg->layer_width, cfg->layer_distance, cfg->sampling_rate};
    assert_int_equal(nb_layout_nodes(&ld, L, sizes, grid), NB_OK);
    double s0[2], s1[2];
    nb_layout_spread(grid + 3 * o, n, s0);
    nb_layout_spread(b->node_position + 3 * o, n, s1);
    *ratio = fmin(s1[0] / s0[0], s1[1] / s0[1]);
    const double spacing = cfg->layer_width / ceil(sqrt((double)n));
    double best = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const float *p = b->node_position + 3 * (o + i), *q = b->node_position + 3 * (o + j);
            best = fmin(best, hypot((double)p[0] - q[0], (double)p[1] - q[1]));
        }
    *nn = best / spacing;
    free(grid);
}

/* Uniform or nearly uniform class importance must not collapse a layer (docs/bundling.md,
 * "Node phase"): with the defaults every layer keeps at least half its laid-out spread and
 * no two nodes of a layer come closer than half a layout spacing; with the guard off (the
 * reference) the same networks collapse, which shows what the test guards against. */
static void test_node_guard_keeps_layers_readable(void **state) {
    (void)state;
    const size_t sizes[4] = {64, 25, 16, 4};
    for (int kind = 0; kind < 2; kind++) {
        fixture f;
        random_fixture(&f, 4, sizes, 7);
        nb_rng rng;
        nb_rng_init(&rng, 11);
        for (size_t l = 0; l + 1 < 4; l++) /* hidden and input layers; output stays one-hot */
            for (size_t i = 0; i < sizes[l] * f.imp.n_classes; i++)
                nb_importance_node(&f.imp, l)[i] =
                    kind == 0 ? 1.0f : (float)(0.5 + 0.01 * nb_rng_uniform(&rng));
        nb_processing_config cfg = defaults();
        nb_bundle_data b;
        run(&cfg, &f, 2, &b);
        assert_sane(&b);
        for (size_t l = 0; l < 4; l++) {
            double ratio, nn;
            layer_guard_figures(&b, &cfg, l, &ratio, &nn);
            print_message("%s importance, layer %zu: spread ratio %.3f, nearest pair %.3f "
                          "spacings\n",
                          kind ? "weak" : "uniform", l, ratio, nn);
            assert_true(ratio >= 0.5);
            assert_true(nn >= 0.5);
            if (kind == 0 && l < 3) /* uniform: no class contrast, the layout is kept */
                assert_true(fabs(ratio - 1.0) < 1e-6);
        }
        nb_bundle_data_deinit(&b);
        cfg.node_class_contrast = 0.0;
        cfg.node_min_spread = 0.0;
        cfg.node_min_distance = 0.0;
        run(&cfg, &f, 2, &b);
        double ratio, nn;
        layer_guard_figures(&b, &cfg, 0, &ratio, &nn);
        print_message("%s importance, guard off: input layer spread ratio %.3f, nearest pair "
                      "%.3f spacings\n",
                      kind ? "weak" : "uniform", ratio, nn);
        assert_true(ratio < 0.5 || nn < 0.1);
        nb_bundle_data_deinit(&b);
        fixture_deinit(&f);
    }
}

static void test_cancel(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[3] = {9, 4, 2};
    random_fixture(&f, 3, sizes, 3);
    nb_processing_config cfg = defaults();
    nb_bundle_state *st = NULL;
    assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, 1, &st), NB_OK);
    assert_int_equal(nb_bundle_step(st), NB_OK);
    nb_bundle_cancel(st);
    assert_int_equal(nb_bundle_step(st), NB_E_CANCELLED);
    assert_string_equal(nb_error_subject(), "bundle");
    nb_bundle_data b;
    memset(&b, 0, sizeof b);
    assert_int_equal(nb_bundle_finish(st, &b), NB_E_CANCELLED);
    assert_null(b.point_position);
    nb_bundle_progress p;
    nb_bundle_query_progress(st, &p);
    assert_int_equal(p.iteration, 1);
    assert_int_equal(nb_bundle_query_snapshot(st, &b), NB_OK); /* still consistent */
    assert_int_equal(b.node_iterations, 1);
    nb_bundle_data_deinit(&b);
    nb_bundle_destroy(st);
    nb_bundle_destroy(NULL);
    fixture_deinit(&f);
}

static void expect_config_error(const fixture *f, nb_processing_config cfg, const char *key) {
    static int sentinel;
    nb_bundle_state *const before = (nb_bundle_state *)(void *)&sentinel;
    nb_bundle_state *st = before; /* must stay untouched */
    assert_int_equal(create_cfg(&cfg, &f->net, &f->imp, 1, &st), NB_E_CONFIG);
    char subject[96];
    snprintf(subject, sizeof subject, "processing %s", key);
    assert_string_equal(nb_error_subject(), subject);
    assert_ptr_equal(st, before);
}

/* Settings: zero means the key's default, NB_SETTING_ZERO an explicit 0 (false); from_config
 * keeps every value, zeros included; a hand-made setting out of range fails with the key
 * table's subject and message, exactly as a config with that value does; the record in the
 * result is the settings over the defaults when no config is given. */
static void test_settings_resolve_validate(void **state) {
    (void)state;
    const nb_processing_config def = defaults();
    nb_bundle_settings zero = {0}, r;
    nb_bundle_settings_resolve(&zero, &r);
    assert_true(r.layer_width == def.layer_width && r.sampling_rate == def.sampling_rate);
    assert_true(r.node_class_contrast == def.node_class_contrast);
    assert_true(r.edge_repulsion_saturation == def.edge_repulsion_saturation);
    assert_int_equal(r.smoothing_iterations, def.smoothing_iterations);
    assert_int_equal(r.smoothing, 1);
    assert_int_equal(r.node_advection, 1);
    assert_int_equal(r.density, NB_DENSITY_FAST);
    assert_int_equal(nb_bundle_settings_validate(&zero), NB_OK);

    nb_bundle_settings z = {.node_class_contrast = NB_SETTING_ZERO,
                            .smoothing = NB_SETTING_ZERO,
                            .smoothing_iterations = NB_SETTING_ZERO,
                            .edge_clamp_to_layers = NB_SETTING_ZERO};
    nb_bundle_settings_resolve(&z, &r);
    assert_true(r.node_class_contrast == 0.0);
    assert_int_equal(r.smoothing, 0);
    assert_int_equal(r.smoothing_iterations, 0);
    assert_int_equal(r.edge_clamp_to_layers, 0);

    nb_processing_config cfg = def;
    cfg.node_min_spread = 0.0;
    cfg.node_advection = false;
    cfg.density = NB_DENSITY_EXACT;
    nb_bundle_settings s;
    assert_int_equal(nb_bundle_settings_from_config(&cfg, &s), NB_OK);
    assert_ptr_equal(s.record, &cfg);
    nb_bundle_settings_resolve(&s, &r);
    assert_true(r.node_min_spread == 0.0);
    assert_int_equal(r.node_advection, 0);
    assert_int_equal(r.density, NB_DENSITY_EXACT);
    cfg.node_step = 3.0;
    nb_error_clear();
    assert_int_equal(nb_bundle_settings_from_config(&cfg, &s), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "processing node_step");

    nb_bundle_settings bad = {.node_bandwidth = 20.0};
    nb_error_clear();
    assert_int_equal(nb_bundle_settings_validate(&bad), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "processing node_bandwidth");
    char message[512];
    snprintf(message, sizeof message, "%s", nb_error_message());
    cfg = def;
    cfg.node_bandwidth = 20.0;
    nb_error_clear();
    assert_int_equal(nb_config_validate(&nb_processing_schema, &cfg), NB_E_CONFIG);
    assert_string_equal(nb_error_message(), message);
    bad = (nb_bundle_settings){.density = (nb_density_backend)5};
    assert_int_equal(nb_bundle_settings_validate(&bad), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "processing density");

    /* hand-made settings run; the record holds them over the defaults */
    fixture f;
    const size_t sizes[3] = {4, 4, 2};
    random_fixture(&f, 3, sizes, 1);
    nb_bundle_settings hand = {.node_advection = NB_SETTING_ZERO,
                               .edge_advection = NB_SETTING_ZERO,
                               .prune_percentage = 0.5};
    nb_bundle_state *st = NULL;
    assert_int_equal(nb_bundle_create(&hand, &f.net, &f.imp, 1, &st), NB_OK);
    nb_bundle_data b;
    assert_int_equal(nb_bundle_finish(st, &b), NB_OK);
    nb_processing_config rec;
    nb_config_defaults(&nb_processing_schema, &rec);
    assert_int_equal(nb_config_parse(&nb_processing_schema, b.config_json, "record", &rec), NB_OK);
    cfg = def;
    cfg.node_advection = cfg.edge_advection = false;
    cfg.prune_percentage = 0.5;
    assert_memory_equal(&rec, &cfg, sizeof cfg);
    nb_bundle_data_deinit(&b);
    nb_bundle_destroy(st);
    fixture_deinit(&f);
}

static void test_errors(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[3] = {4, 4, 2};
    random_fixture(&f, 3, sizes, 1);
    nb_processing_config cfg = defaults();
    cfg.sampling_rate = 0.0;
    expect_config_error(&f, cfg, "sampling_rate");
    cfg = defaults();
    cfg.sampling_rate = -3.0;
    expect_config_error(&f, cfg, "sampling_rate");
    cfg = defaults();
    cfg.layer_distance = -0.5;
    expect_config_error(&f, cfg, "layer_distance");
    cfg = defaults();
    cfg.layer_width = 0.0;
    expect_config_error(&f, cfg, "layer_width");
    cfg = defaults();
    cfg.node_bandwidth_reduction = 1.0;
    expect_config_error(&f, cfg, "node_bandwidth_reduction");
    cfg = defaults();
    cfg.edge_bandwidth_reduction = 0.0;
    expect_config_error(&f, cfg, "edge_bandwidth_reduction");
    cfg = defaults();
    cfg.edge_step = 0.0;
    expect_config_error(&f, cfg, "edge_step");
    cfg = defaults();
    cfg.edge_similarity_max = 1.5;
    expect_config_error(&f, cfg, "edge_similarity_max");
    cfg.edge_similarity_max = -0.1;
    expect_config_error(&f, cfg, "edge_similarity_max");
    cfg.edge_similarity_max = NAN;
    expect_config_error(&f, cfg, "edge_similarity_max");
    cfg = defaults();
    cfg.node_step = 1.5;
    expect_config_error(&f, cfg, "node_step");
    cfg = defaults();
    cfg.node_class_contrast = -0.1;
    expect_config_error(&f, cfg, "node_class_contrast");
    cfg = defaults();
    cfg.node_min_spread = 1.5;
    expect_config_error(&f, cfg, "node_min_spread");
    cfg = defaults();
    cfg.node_min_distance = NAN;
    expect_config_error(&f, cfg, "node_min_distance");
    cfg = defaults();
    cfg.edge_repulsion_saturation = -1.0;
    expect_config_error(&f, cfg, "edge_repulsion_saturation");
    cfg = defaults();
    cfg.edge_spacing_bandwidth = -0.5;
    expect_config_error(&f, cfg, "edge_spacing_bandwidth");
    cfg = defaults();
    cfg.fast_kernel_scale = 0.2;
    expect_config_error(&f, cfg, "fast_kernel_scale");
    cfg = defaults();
    cfg.fast_kernel_scale = 2.5;
    expect_config_error(&f, cfg, "fast_kernel_scale");
    cfg = defaults();
    cfg.prune_percentage = 1.0;
    expect_config_error(&f, cfg, "prune_percentage");
    cfg = defaults();
    cfg.density = 7;
    expect_config_error(&f, cfg, "density");
    cfg = defaults();
    cfg.edge_importance_type = 4;
    expect_config_error(&f, cfg, "edge_importance_type");
    cfg = defaults();
    cfg.smoothing_iterations = -1;
    expect_config_error(&f, cfg, "smoothing_iterations");
    cfg = defaults();
    cfg.node_bandwidth = NAN;
    expect_config_error(&f, cfg, "node_bandwidth");

    /* importance of another shape */
    nb_importance other;
    const size_t osizes[3] = {4, 3, 2};
    nb_network onet;
    assert_int_equal(nb_random_network_init(&onet, 3, osizes, 1), NB_OK);
    assert_int_equal(nb_importance_random(&onet, 1, &other), NB_OK);
    cfg = defaults();
    nb_bundle_state *st = NULL;
    assert_int_equal(create_cfg(&cfg, &f.net, &other, 1, &st), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "importance");
    assert_null(st);
    /* non-finite importance */
    nb_importance_node(&f.imp, 1)[0] = NAN;
    assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, 1, &st), NB_E_NUMERIC);
    assert_string_equal(nb_error_subject(), "importance");
    assert_null(st);
    nb_importance_deinit(&other);
    nb_network_deinit(&onet);
    fixture_deinit(&f);
}

/* A sink that keeps the streamed pairs in memory, in order, and can be told to fail. */
typedef struct mem_sink {
    float *points;
    size_t n_points, cap, puts, gets;
    uint64_t start[16];
    int fail_put_at; /* put number that fails (-1: none) */
} mem_sink;

static nb_status mem_put(void *user, const nb_bundle_pair_view *v) {
    mem_sink *m = user;
    if ((int)m->puts == m->fail_put_at)
        return NB_RAISE(NB_E_IO, "sink", "full");
    assert_int_equal(v->pair, m->puts);
    assert_int_equal(v->offset[0], 0);
    assert_int_equal(v->offset[v->n_edges], v->n_points);
    if (m->n_points + v->n_points > m->cap) {
        m->cap = 2 * (m->n_points + v->n_points);
        m->points = realloc(m->points, m->cap * 3 * sizeof *m->points);
    }
    memcpy(m->points + 3 * m->n_points, v->points, v->n_points * 3 * sizeof *m->points);
    m->start[m->puts] = m->n_points;
    m->n_points += v->n_points;
    m->start[++m->puts] = m->n_points;
    return NB_OK;
}

static nb_status mem_get(void *user, size_t pair, size_t n_points, const float **points) {
    mem_sink *m = user;
    assert_true(pair < m->puts);
    assert_int_equal(m->start[pair + 1] - m->start[pair], n_points);
    assert_int_equal(pair, m->gets++);
    *points = m->points + 3 * m->start[pair];
    return NB_OK;
}

/* nb_bundle_finish_streamed gives the bits nb_bundle_finish gives: the frame, the
 * concatenated pairs, the metrics; whether the edge phase ran pair by pair (as the CLI runs
 * it), iteration by iteration over all pairs for a while first (as the GUI steps), or not at
 * all (edge_advection off, with pruning). */
static void test_streamed_equals_finish(void **state) {
    (void)state;
    fixture f;
    const size_t sizes[5] = {30, 12, 9, 7, 4};
    random_fixture(&f, 5, sizes, 8);
    for (int variant = 0; variant < 3; variant++) {
        nb_processing_config cfg = defaults();
        cfg.sampling_rate = 8; /* coarser grids: fast under ASan */
        if (variant == 2) {
            cfg.edge_advection = false;
            cfg.prune_percentage = 0.6;
        }
        nb_bundle_data a;
        run(&cfg, &f, 2, &a);
        nb_bundle_state *st = NULL;
        assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, variant == 1 ? 1 : 3, &st), NB_OK);
        mem_sink ms = {.fail_put_at = -1};
        nb_bundle_sink sink = {mem_put, mem_get, &ms};
        nb_bundle_progress p;
        nb_bundle_query_progress(st, &p);
        while (p.phase == NB_BUNDLE_PHASE_NODE) {
            assert_int_equal(nb_bundle_step(st), NB_OK);
            nb_bundle_query_progress(st, &p);
        }
        if (variant == 1) { /* the GUI's way for three iterations, a snapshot between */
            for (int k = 0; k < 3; k++)
                assert_int_equal(nb_bundle_step(st), NB_OK);
            nb_bundle_data snap;
            assert_int_equal(nb_bundle_query_snapshot(st, &snap), NB_OK);
            nb_bundle_data_deinit(&snap);
        }
        if (variant == 0) {
            assert_int_equal(nb_bundle_stream_pair(st, 1, &sink), NB_E_INVALID); /* order */
            assert_int_equal(nb_bundle_stream_pair(st, 0, &sink), NB_OK);
            nb_bundle_pair_view v; /* released once streamed */
            assert_int_equal(nb_bundle_query_pair(st, 0, &v), NB_E_INVALID);
        }
        nb_bundle_data b;
        assert_int_equal(nb_bundle_finish_streamed(st, &sink, &b), NB_OK);
        assert_int_equal(ms.puts, 4);
        assert_int_equal(ms.gets, 4);
        assert_null(b.point_position);
        assert_int_equal(b.n_points, a.n_points);
        assert_int_equal(ms.n_points, a.n_points);
        assert_int_equal(b.n_edges, a.n_edges);
        assert_int_equal(b.n_edges_total, a.n_edges_total);
        assert_int_equal(b.node_iterations, a.node_iterations);
        assert_int_equal(b.edge_iterations, a.edge_iterations);
        assert_memory_equal(b.point_position ? b.point_position : ms.points, a.point_position,
                            3 * a.n_points * sizeof(float));
        assert_memory_equal(b.edge_point_offset, a.edge_point_offset,
                            (a.n_edges + 1) * sizeof(uint64_t));
        assert_memory_equal(b.node_position, a.node_position, 3 * a.n_nodes * sizeof(float));
        assert_memory_equal(b.edge_source, a.edge_source, a.n_edges * sizeof(uint32_t));
        assert_memory_equal(b.edge_target, a.edge_target, a.n_edges * sizeof(uint32_t));
        assert_memory_equal(b.edge_alpha, a.edge_alpha, a.n_edges * sizeof(float));
        assert_memory_equal(&b.metrics, &a.metrics, sizeof a.metrics);
        assert_string_equal(b.config_json, a.config_json);
        nb_bundle_progress done;
        nb_bundle_query_progress(st, &done);
        assert_int_equal(done.phase, NB_BUNDLE_PHASE_FINISHED);
        nb_bundle_data c;
        assert_int_equal(nb_bundle_finish_streamed(st, &sink, &c), NB_E_INVALID); /* once */
        nb_bundle_data_deinit(&b);
        nb_bundle_data_deinit(&a);
        nb_bundle_destroy(st);
        free(ms.points);
    }
    /* a sink that fails stops the run with its status */
    nb_processing_config cfg = defaults();
    cfg.sampling_rate = 8;
    cfg.node_advection = false;
    nb_bundle_state *st = NULL;
    assert_int_equal(create_cfg(&cfg, &f.net, &f.imp, 2, &st), NB_OK);
    mem_sink ms = {.fail_put_at = 2};
    nb_bundle_sink sink = {mem_put, mem_get, &ms};
    nb_bundle_data b;
    assert_int_equal(nb_bundle_finish_streamed(st, &sink, &b), NB_E_IO);
    assert_string_equal(nb_error_subject(), "sink");
    assert_int_equal(ms.puts, 2);
    nb_bundle_destroy(st);
    free(ms.points);
    fixture_deinit(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_default_iteration_counts),
        cmocka_unit_test(test_phases_snapshots_and_threads),
        cmocka_unit_test(test_pair_by_pair),
        cmocka_unit_test(test_pair_by_pair_reuses_buffers),
        cmocka_unit_test(test_streamed_equals_finish),
        cmocka_unit_test(test_advection_off_gives_straight_edges),
        cmocka_unit_test(test_small_shapes),
        cmocka_unit_test(test_pruning_exact_count),
        cmocka_unit_test(test_symmetric_network_gives_symmetric_bundle),
        cmocka_unit_test(test_clamp_to_layers),
        cmocka_unit_test(test_node_guard_keeps_layers_readable),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_settings_resolve_validate),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
