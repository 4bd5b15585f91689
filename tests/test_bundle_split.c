/* test_bundle_split.c - layer pairs advected by separate bundling states and put together
 * (what nb_bundle_mpi.c does: nb_bundle_pair_edge_phase, nb_bundle_query_pair,
 * nb_bundle_pair_release, nb_bundle_pair_install) give the bytes of one whole run; the error
 * paths of nb_bundle_pair_install. No MPI needed: two states in one process play two ranks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nb_bundle.h"
#include "nb_config.h"
#include "nb_importance.h"
#include "nb_random.h"

typedef struct fixture {
    nb_network net;
    nb_importance imp;
} fixture;

static void make_fixture(fixture *f, uint64_t seed) {
    const size_t sizes[4] = {16, 9, 6, 4};
    assert_int_equal(nb_random_network_init(&f->net, 4, sizes, seed), NB_OK);
    assert_int_equal(nb_importance_random(&f->net, seed, &f->imp), NB_OK);
}

static void fixture_deinit(fixture *f) {
    nb_network_deinit(&f->net);
    nb_importance_deinit(&f->imp);
}

static nb_bundle_state *create(const fixture *f, double prune, int threads) {
    nb_processing_config cfg;
    nb_config_defaults(&nb_processing_schema, &cfg);
    cfg.prune_percentage = prune;
    cfg.sampling_rate = 6; /* fewer iterations and cells than the default 15: a fast test */
    nb_bundle_settings settings;
    assert_int_equal(nb_bundle_settings_from_config(&cfg, &settings), NB_OK);
    nb_bundle_state *st = NULL;
    assert_int_equal(nb_bundle_create(&settings, &f->net, &f->imp, threads, &st), NB_OK);
    return st;
}

static void assert_same(const nb_bundle_data *a, const nb_bundle_data *b) {
    assert_int_equal(a->n_edges, b->n_edges);
    assert_int_equal(a->n_points, b->n_points);
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_memory_equal(a->node_position, b->node_position, a->n_nodes * 3 * sizeof(float));
    assert_memory_equal(a->edge_source, b->edge_source, a->n_edges * sizeof(uint32_t));
    assert_memory_equal(a->edge_target, b->edge_target, a->n_edges * sizeof(uint32_t));
    assert_memory_equal(a->edge_alpha, b->edge_alpha, a->n_edges * sizeof(float));
    assert_memory_equal(a->edge_point_offset, b->edge_point_offset,
                        (a->n_edges + 1) * sizeof(uint64_t));
    assert_memory_equal(a->point_position, b->point_position, a->n_points * 3 * sizeof(float));
    assert_memory_equal(&a->metrics, &b->metrics, sizeof a->metrics);
    assert_int_equal(a->node_iterations, b->node_iterations);
    assert_int_equal(a->edge_iterations, b->edge_iterations);
    assert_string_equal(a->config_json, b->config_json);
}

/* Steps st through its node phase (if any). */
static void node_phase(nb_bundle_state *st) {
    nb_bundle_progress p;
    nb_bundle_query_progress(st, &p);
    while (p.phase == NB_BUNDLE_PHASE_NODE) {
        assert_int_equal(nb_bundle_step(st), NB_OK);
        nb_bundle_query_progress(st, &p);
    }
}

/* Pairs {0, 2} on one state ("rank 0", 2 threads) and {1} on another ("rank 1", 1 thread),
 * each releasing the pairs it does not own: rank 0 installs pair 1 from rank 1 and finishes;
 * the result is the whole run's, bit for bit. */
static void split_run(double prune) {
    fixture f;
    make_fixture(&f, 11);
    nb_bundle_data whole, split;
    nb_bundle_state *one = create(&f, prune, 2);
    assert_int_equal(nb_bundle_finish(one, &whole), NB_OK);
    nb_bundle_destroy(one);

    nb_bundle_state *r0 = create(&f, prune, 2), *r1 = create(&f, prune, 1);
    assert_int_equal(nb_bundle_query_pair_count(r0), 3);
    node_phase(r0);
    node_phase(r1);
    nb_bundle_pair_release(r0, 1);
    nb_bundle_pair_release(r1, 0);
    nb_bundle_pair_release(r1, 2);
    assert_int_equal(nb_bundle_pair_edge_phase(r1, 1), NB_OK);
    assert_int_equal(nb_bundle_pair_edge_phase(r0, 2), NB_OK);
    assert_int_equal(nb_bundle_pair_edge_phase(r0, 0), NB_OK);

    nb_bundle_pair_view p1;
    assert_int_equal(nb_bundle_query_pair(r1, 1, &p1), NB_OK);
    assert_true(p1.n_edges > 0 && p1.n_points >= 2 * p1.n_edges);

    /* rank 0 cannot finish before it holds pair 1 */
    nb_bundle_data d;
    assert_int_equal(nb_bundle_finish(r0, &d), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "pair");

    assert_int_equal(nb_bundle_pair_install(r0, 1, p1.n_points, p1.offset, p1.points), NB_OK);
    assert_int_equal(nb_bundle_finish(r0, &split), NB_OK);
    assert_same(&whole, &split);
    nb_bundle_data_deinit(&whole);
    nb_bundle_data_deinit(&split);
    nb_bundle_destroy(r0);
    nb_bundle_destroy(r1);
    fixture_deinit(&f);
}

static void test_split_equals_whole(void **state) {
    (void)state;
    split_run(0.0);
}

static void test_split_equals_whole_pruned(void **state) {
    (void)state;
    split_run(0.5);
}

/* Without a node phase the edge phase starts at create; the split works the same. */
static void test_split_without_node_phase(void **state) {
    (void)state;
    fixture f;
    make_fixture(&f, 12);
    nb_processing_config cfg;
    nb_config_defaults(&nb_processing_schema, &cfg);
    cfg.node_advection = false;
    cfg.sampling_rate = 6;
    nb_bundle_settings settings;
    assert_int_equal(nb_bundle_settings_from_config(&cfg, &settings), NB_OK);
    nb_bundle_state *whole = NULL, *a = NULL, *b = NULL;
    assert_int_equal(nb_bundle_create(&settings, &f.net, &f.imp, 1, &whole), NB_OK);
    assert_int_equal(nb_bundle_create(&settings, &f.net, &f.imp, 1, &a), NB_OK);
    assert_int_equal(nb_bundle_create(&settings, &f.net, &f.imp, 1, &b), NB_OK);
    nb_bundle_data dw, da;
    assert_int_equal(nb_bundle_finish(whole, &dw), NB_OK);
    nb_bundle_pair_release(a, 0);
    assert_int_equal(nb_bundle_pair_edge_phase(b, 0), NB_OK);
    assert_int_equal(nb_bundle_pair_edge_phase(a, 1), NB_OK);
    assert_int_equal(nb_bundle_pair_edge_phase(a, 2), NB_OK);
    nb_bundle_pair_view p0;
    assert_int_equal(nb_bundle_query_pair(b, 0, &p0), NB_OK);
    assert_int_equal(nb_bundle_pair_install(a, 0, p0.n_points, p0.offset, p0.points), NB_OK);
    assert_int_equal(nb_bundle_finish(a, &da), NB_OK);
    assert_same(&dw, &da);
    nb_bundle_data_deinit(&dw);
    nb_bundle_data_deinit(&da);
    nb_bundle_destroy(whole);
    nb_bundle_destroy(a);
    nb_bundle_destroy(b);
    fixture_deinit(&f);
}

static void test_install_errors(void **state) {
    (void)state;
    fixture f;
    make_fixture(&f, 13);
    nb_bundle_state *st = create(&f, 0.0, 1);
    assert_int_equal(nb_bundle_query_pair_count(st), 3);
    const uint64_t off2[2] = {0, 2};
    const float pts[6] = {0};
    /* before the node phase is over */
    assert_int_equal(nb_bundle_pair_install(st, 2, 2, off2, pts), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "pair");
    node_phase(st);
    assert_int_equal(nb_bundle_pair_install(st, 3, 2, off2, pts), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "pair");

    /* offsets that do not fit the pair (24 edges), or an edge with one point */
    const size_t E = 6 * 4;
    uint64_t *off = malloc((E + 1) * sizeof *off);
    float *many = calloc(3 * 2 * E, sizeof *many);
    assert_non_null(off);
    assert_non_null(many);
    for (size_t e = 0; e <= E; e++)
        off[e] = 2 * e;
    assert_int_equal(nb_bundle_pair_install(st, 2, 2 * E + 1, off, many), NB_E_FORMAT);
    off[0] = 1;
    assert_int_equal(nb_bundle_pair_install(st, 2, 2 * E, off, many), NB_E_FORMAT);
    off[0] = 0;
    off[1] = 1;
    assert_int_equal(nb_bundle_pair_install(st, 2, 2 * E, off, many), NB_E_FORMAT);
    assert_string_equal(nb_error_subject(), "pair");
    off[1] = 2;
    /* a released pair comes back when installed; finish takes it as it is */
    nb_bundle_pair_release(st, 2);
    assert_int_equal(nb_bundle_pair_install(st, 2, 2 * E, off, many), NB_OK);
    nb_bundle_pair_view v;
    assert_int_equal(nb_bundle_query_pair(st, 2, &v), NB_OK);
    assert_int_equal(v.n_points, 2 * E);
    nb_bundle_data d;
    assert_int_equal(nb_bundle_finish(st, &d), NB_OK); /* straight 2-point edges in pair 2 */
    assert_int_equal(d.edge_point_offset[d.n_edges] - d.edge_point_offset[d.n_edges - E], 2 * E);
    nb_bundle_data_deinit(&d);
    free(off);
    free(many);
    nb_bundle_destroy(st);
    fixture_deinit(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_equals_whole),
        cmocka_unit_test(test_split_equals_whole_pruned),
        cmocka_unit_test(test_split_without_node_phase),
        cmocka_unit_test(test_install_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
