/* test_gui_job.c - background processing for the GUI: snapshots, result equal to a direct
 * run, cancel within one iteration, errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "nb_bundle.h"
#include "nb_gui_job.h"
#include "nb_importance.h"
#include "nb_random.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A random 36-16-10 network with random importance. */
static void make_model(nb_model *m) {
    memset(m, 0, sizeof *m);
    const size_t sizes[3] = {36, 16, 10};
    assert_int_equal(nb_random_network_init(&m->network, 3, sizes, 3), NB_OK);
    m->has_network = true;
    assert_int_equal(nb_importance_random(&m->network, 3, &m->importance), NB_OK);
    m->has_importance = true;
}

static void fast_config(nb_processing_config *cfg) {
    nb_config_defaults(&nb_processing_schema, cfg);
    cfg->sampling_rate = 8;
    cfg->prune_percentage = 0.5;
}

/* Waits (bounded) for the job to end, taking snapshots on the way; returns how many. */
static unsigned wait_taking_snapshots(nb_gui_job *job, nb_model *view) {
    unsigned taken = 0;
    for (int i = 0; i < 120000 && !nb_gui_job_done(job); i++) {
        if (nb_gui_job_take_snapshot(job, view)) {
            taken++;
            assert_true(view->has_network && view->has_importance && view->has_bundle);
            assert_int_equal(view->bundle.n_nodes, 62);
        }
        sleep_ms(1);
    }
    assert_true(nb_gui_job_done(job));
    return taken;
}

static void test_run_matches_direct_bundling(void **state) {
    (void)state;
    nb_model m, view, result;
    make_model(&m);
    memset(&view, 0, sizeof view);
    memset(&result, 0, sizeof result);
    nb_processing_config cfg;
    fast_config(&cfg);
    nb_gui_job_desc d = {.cfg = &cfg, .model = &m, .threads = 1};
    nb_gui_job *job = NULL;
    assert_int_equal(nb_gui_job_start(&d, &job), NB_OK);
    unsigned taken = wait_taking_snapshots(job, &view);
    assert_true(taken >= 1);
    nb_gui_progress p;
    nb_gui_job_query(job, &p);
    assert_false(p.running);
    assert_true(p.finished);
    assert_float_equal(p.fraction, 1.0, 1e-12);
    char msg[NB_GUI_MESSAGE_MAX];
    assert_int_equal(nb_gui_job_join(job, &result, msg), NB_OK);
    assert_string_equal(msg, "");
    assert_true(result.has_network && result.has_importance && result.has_bundle);
    assert_true(result.bundle.node_iterations > 0 && result.bundle.edge_iterations > 0);
    /* one snapshot after layout plus one per iteration */
    assert_int_equal(p.snapshots,
                     1 + result.bundle.node_iterations + result.bundle.edge_iterations);
    assert_false(isnan(result.bundle.metrics.mean_distortion));
    nb_gui_job_destroy(job);
    /* the same run without the GUI gives the same polylines */
    nb_bundle_state *b = NULL;
    nb_bundle_data direct;
    nb_bundle_settings bs;
    assert_int_equal(nb_bundle_settings_from_config(&cfg, &bs), NB_OK);
    assert_int_equal(nb_bundle_create(&bs, &m.network, &m.importance, 1, &b), NB_OK);
    assert_int_equal(nb_bundle_finish(b, &direct), NB_OK);
    nb_bundle_destroy(b);
    assert_int_equal(direct.n_edges, result.bundle.n_edges);
    assert_int_equal(direct.n_points, result.bundle.n_points);
    assert_memory_equal(direct.point_position, result.bundle.point_position,
                        direct.n_points * 3 * sizeof(float));
    nb_bundle_data_deinit(&direct);
    /* the input model was not touched */
    assert_false(m.has_bundle);
    nb_model_deinit(&result);
    nb_model_deinit(&view);
    nb_model_deinit(&m);
}

static void test_cancel_at_once(void **state) {
    (void)state;
    nb_model m, result;
    make_model(&m);
    memset(&result, 0, sizeof result);
    nb_processing_config cfg;
    fast_config(&cfg);
    nb_gui_job_desc d = {.cfg = &cfg, .model = &m, .threads = 1};
    nb_gui_job *job = NULL;
    assert_int_equal(nb_gui_job_start(&d, &job), NB_OK);
    unsigned at_cancel = nb_gui_job_cancel(job);
    assert_true(nb_gui_job_cancel(job) >= at_cancel); /* twice is fine */
    char msg[NB_GUI_MESSAGE_MAX];
    nb_status s = nb_gui_job_join(job, &result, msg);
    nb_gui_progress p;
    nb_gui_job_query(job, &p);
    if (s == NB_OK) { /* the scheduler ran the whole job before the cancel: nothing to check */
        nb_model_deinit(&result);
        nb_gui_job_destroy(job);
        nb_model_deinit(&m);
        skip();
    }
    assert_int_equal(s, NB_E_CANCELLED);
    assert_non_null(strstr(msg, "NB_E_CANCELLED"));
    assert_false(p.running);
    assert_false(p.finished);
    assert_string_equal(p.phase, "cancelled");
    /* the iteration in flight may finish, no other one starts */
    assert_true(p.snapshots <= at_cancel + 1);
    assert_false(result.has_bundle);
    nb_gui_job_destroy(job);
    nb_model_deinit(&m);
}

static void test_cancel_mid_run_within_one_iteration(void **state) {
    (void)state;
    nb_model m, result;
    make_model(&m);
    memset(&result, 0, sizeof result);
    nb_processing_config cfg;
    fast_config(&cfg);
    cfg.density = NB_DENSITY_EXACT; /* slower iterations: the cancel lands mid-run */
    nb_gui_job_desc d = {.cfg = &cfg, .model = &m, .threads = 1};
    nb_gui_job *job = NULL;
    assert_int_equal(nb_gui_job_start(&d, &job), NB_OK);
    nb_gui_progress p;
    for (int i = 0; i < 60000; i++) {
        nb_gui_job_query(job, &p);
        if (p.snapshots >= 4 || nb_gui_job_done(job))
            break;
        sleep_ms(1);
    }
    unsigned at_cancel = nb_gui_job_cancel(job);
    nb_status s = nb_gui_job_join(job, &result, NULL);
    if (s == NB_OK) {
        nb_model_deinit(&result);
        nb_gui_job_destroy(job);
        nb_model_deinit(&m);
        skip(); /* the whole run finished before the cancel: nothing to measure */
    }
    assert_int_equal(s, NB_E_CANCELLED);
    assert_true(at_cancel >= 4);
    nb_gui_job_query(job, &p);
    /* the iteration in flight completes (one more snapshot), the next one does not start */
    assert_true(p.snapshots <= at_cancel + 1);
    assert_false(result.has_bundle);
    nb_gui_job_destroy(job);
    nb_model_deinit(&m);
}

static void test_recompute_importance(void **state) {
    (void)state;
    nb_model m, result;
    make_model(&m);
    nb_importance_deinit(&m.importance);
    m.has_importance = false;
    memset(&result, 0, sizeof result);
    nb_processing_config cfg;
    fast_config(&cfg);
    cfg.importance_method = NB_IMPORTANCE_MAGNITUDE; /* needs no data */
    cfg.node_advection = false;
    cfg.edge_advection = false;
    nb_gui_job_desc d = {.cfg = &cfg, .model = &m, .threads = 1};
    nb_gui_job *job = NULL;
    nb_error_clear();
    assert_int_equal(nb_gui_job_start(&d, &job), NB_E_MISSING);
    assert_string_equal(nb_error_subject(), "/importance");
    d.recompute_importance = true;
    d.data_dir = "/nonexistent";
    assert_int_equal(nb_gui_job_start(&d, &job), NB_OK);
    assert_int_equal(nb_gui_job_join(job, &result, NULL), NB_OK);
    assert_true(result.has_importance);
    assert_string_equal(result.importance.method, "magnitude");
    assert_int_equal(result.bundle.n_nodes, 62);
    nb_gui_job_destroy(job);
    nb_model_deinit(&result);
    /* a method that needs data, with no data: the job fails and says why */
    cfg.importance_method = NB_IMPORTANCE_BN_GAMMA;
    assert_int_equal(nb_gui_job_start(&d, &job), NB_OK);
    char msg[NB_GUI_MESSAGE_MAX];
    assert_int_equal(nb_gui_job_join(job, &result, msg), NB_E_IO);
    assert_non_null(strstr(msg, "/nonexistent"));
    nb_gui_progress p;
    nb_gui_job_query(job, &p);
    assert_string_equal(p.phase, "failed");
    nb_gui_job_destroy(job);
    nb_model_deinit(&m);
}

static void test_start_errors(void **state) {
    (void)state;
    nb_model m;
    make_model(&m);
    nb_processing_config cfg;
    fast_config(&cfg);
    nb_gui_job *job = (nb_gui_job *)&m; /* must stay untouched */
    nb_gui_job_desc d = {.cfg = &cfg, .model = &m};
    cfg.layer_width = -1.0;
    nb_error_clear();
    assert_int_equal(nb_gui_job_start(&d, &job), NB_E_CONFIG);
    assert_non_null(strstr(nb_error_subject(), "layer_width"));
    assert_ptr_equal(job, (nb_gui_job *)&m);
    fast_config(&cfg);
    m.has_network = false;
    assert_int_equal(nb_gui_job_start(&d, &job), NB_E_MISSING);
    assert_string_equal(nb_error_subject(), "/network");
    m.has_network = true;
    d.model = NULL;
    assert_int_equal(nb_gui_job_start(&d, &job), NB_E_MISSING);
    nb_gui_job_destroy(NULL);
    nb_model_deinit(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_matches_direct_bundling),
        cmocka_unit_test(test_cancel_at_once),
        cmocka_unit_test(test_cancel_mid_run_within_one_iteration),
        cmocka_unit_test(test_recompute_importance),
        cmocka_unit_test(test_start_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
