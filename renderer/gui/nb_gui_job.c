/* nb_gui_job.c - the Processing panel's background run: importance, then bundling with a
 * snapshot after every iteration.
 *
 * DESIGN: one worker thread (pthreads) per job. The job owns deep copies of its inputs, so
 * the GUI may replace or free the shown model while it runs. The worker: (1) optionally loads
 * the data (nb_idx_load_dir) and runs nb_importance_compute with a progress callback that
 * reports classes done and returns false once cancelled; (2) nb_bundle_create, then
 * nb_bundle_step until the phase is DONE, publishing nb_bundle_query_snapshot after create
 * and after every step; (3) nb_bundle_finish (final resample + metrics). Shared fields
 * (progress, the latest snapshot, the bundling state pointer used by cancel) are guarded by
 * one mutex; the cancel flag and the done flag are C11 atomics. Cancel calls nb_bundle_cancel,
 * which the bundler checks between iterations (processor/bundle/nb_bundle.h), so a cancel takes
 * effect within one iteration. Snapshots are handed over by moving the buffer out under the
 * lock (no copy of the polylines on the GUI thread). The worker's error message (thread-local
 * in nb_status) is copied into the job for the GUI. Config keys read: all processing keys
 * through the stages; importance_method to decide whether data is needed.
 */
#include "nb_gui_job.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_bundle.h"
#include "nb_idx.h"
#include "nb_importance.h"

struct nb_gui_job {
    pthread_t thread;
    bool joined;
    pthread_mutex_t lock;
    /* inputs, owned, read-only while the worker runs (imp is replaced by the worker under the
     * lock when importance is recomputed) */
    nb_processing_config cfg;
    nb_network net;
    nb_importance imp;
    bool has_imp;
    bool recompute;
    char data_dir[NB_GUI_PATH_MAX];
    size_t max_images;
    int threads;
    /* shared, under lock */
    nb_gui_progress progress;
    nb_bundle_data snap;
    bool has_snap;
    unsigned snap_generation, taken_generation;
    nb_bundle_state *bundle;
    double importance_share; /* share of the progress bar for importance (0 if not run) */
    /* flags */
    atomic_bool cancel;
    atomic_bool done;
    /* result, written by the worker before done is set */
    nb_status status;
    char message[NB_GUI_MESSAGE_MAX];
    nb_bundle_data result;
};

static void set_phase(nb_gui_job *j, const char *phase, int it, int n, double fraction) {
    pthread_mutex_lock(&j->lock);
    snprintf(j->progress.phase, sizeof j->progress.phase, "%s", phase);
    j->progress.iteration = it;
    j->progress.n_iterations = n;
    j->progress.fraction = fraction < 0.0 ? 0.0 : fraction > 1.0 ? 1.0 : fraction;
    pthread_mutex_unlock(&j->lock);
}

static bool importance_progress(void *user, size_t done, size_t n) {
    nb_gui_job *j = user;
    double f = n ? (double)done / (double)n : 1.0;
    set_phase(j, "importance", (int)done, (int)n, j->importance_share * f);
    return !atomic_load(&j->cancel);
}

static bool method_needs_data(int method) {
    const nb_importance_strategy *st = nb_importance_strategy_of((nb_importance_method)method);
    return !st || st->needs_data;
}

static nb_status run_importance(nb_gui_job *j) {
    nb_dataset train, test;
    memset(&train, 0, sizeof train);
    memset(&test, 0, sizeof test);
    bool data = method_needs_data(j->cfg.importance_method);
    nb_status s = NB_OK;
    if (data) {
        set_phase(j, "loading data", 0, 0, 0.0);
        s = nb_idx_load_dir(j->data_dir, NB_IDX_TRAIN, j->max_images, &train);
        if (s == NB_OK)
            s = nb_idx_load_dir(j->data_dir, NB_IDX_TEST, j->max_images, &test);
    }
    if (s == NB_OK && atomic_load(&j->cancel))
        s = NB_RAISE(NB_E_CANCELLED, "importance", "cancelled before it started");
    nb_importance imp;
    memset(&imp, 0, sizeof imp);
    if (s == NB_OK) {
        set_phase(j, "importance", 0, (int)j->net.n_classes, 0.0);
        nb_importance_settings is;
        s = nb_importance_settings_from_config(&j->cfg, &is);
        if (s == NB_OK)
            s = nb_importance_compute(&is, &j->net, data ? &train : NULL, data ? &test : NULL,
                                      importance_progress, j, &imp);
    }
    nb_dataset_deinit(&train);
    nb_dataset_deinit(&test);
    if (s == NB_OK) {
        pthread_mutex_lock(&j->lock);
        if (j->has_imp)
            nb_importance_deinit(&j->imp);
        j->imp = imp;
        j->has_imp = true;
        pthread_mutex_unlock(&j->lock);
    }
    return s;
}

static void publish_snapshot(nb_gui_job *j, nb_bundle_state *b) {
    nb_bundle_data snap;
    if (nb_bundle_query_snapshot(b, &snap) != NB_OK)
        return; /* out of memory for a snapshot: the run goes on, the view waits */
    pthread_mutex_lock(&j->lock);
    if (j->has_snap)
        nb_bundle_data_deinit(&j->snap);
    j->snap = snap;
    j->has_snap = true;
    j->snap_generation++;
    j->progress.snapshots = j->snap_generation;
    pthread_mutex_unlock(&j->lock);
}

static nb_status run_bundle(nb_gui_job *j) {
    double base = j->importance_share;
    set_phase(j, "layout", 0, 0, base);
    nb_bundle_state *b = NULL;
    nb_bundle_settings bs;
    NB_TRY(nb_bundle_settings_from_config(&j->cfg, &bs));
    NB_TRY(nb_bundle_create(&bs, &j->net, &j->imp, j->threads, &b));
    pthread_mutex_lock(&j->lock);
    j->bundle = b;
    pthread_mutex_unlock(&j->lock);
    if (atomic_load(&j->cancel))
        nb_bundle_cancel(b); /* a cancel that came before the pointer was published */
    publish_snapshot(j, b);
    nb_bundle_progress p;
    nb_bundle_query_progress(b, &p);
    int total = p.node_iterations + p.edge_iterations + 1, done = 0;
    nb_status s = NB_OK;
    while (s == NB_OK && p.phase < NB_BUNDLE_PHASE_DONE) {
        s = nb_bundle_step(b);
        if (s != NB_OK)
            break;
        done++;
        publish_snapshot(j, b);
        nb_bundle_query_progress(b, &p);
        const char *phase = p.phase == NB_BUNDLE_PHASE_NODE   ? "nodes"
                            : p.phase == NB_BUNDLE_PHASE_EDGE ? "edges"
                                                              : "finishing";
        set_phase(j, phase, p.iteration, p.n_iterations,
                  base + (1.0 - base) * (double)done / (double)total);
    }
    nb_bundle_data result;
    if (s == NB_OK)
        s = nb_bundle_finish(b, &result);
    pthread_mutex_lock(&j->lock);
    j->bundle = NULL;
    pthread_mutex_unlock(&j->lock);
    nb_bundle_destroy(b);
    if (s == NB_OK) {
        j->result = result;
        set_phase(j, "done", 0, 0, 1.0);
    }
    return s;
}

static void *worker(void *arg) {
    nb_gui_job *j = arg;
    nb_status s = NB_OK;
    if (j->recompute)
        s = run_importance(j);
    if (s == NB_OK)
        s = run_bundle(j);
    j->status = s;
    if (s != NB_OK) {
        snprintf(j->message, sizeof j->message, "%s",
                 nb_error_status() == s ? nb_error_message() : nb_status_str(s));
        set_phase(j, s == NB_E_CANCELLED ? "cancelled" : "failed", 0, 0, 0.0);
    }
    pthread_mutex_lock(&j->lock);
    j->progress.running = false;
    j->progress.finished = s == NB_OK;
    pthread_mutex_unlock(&j->lock);
    atomic_store(&j->done, true);
    return NULL;
}

static void free_job(nb_gui_job *j) {
    nb_network_deinit(&j->net);
    if (j->has_imp)
        nb_importance_deinit(&j->imp);
    if (j->has_snap)
        nb_bundle_data_deinit(&j->snap);
    if (j->status == NB_OK && atomic_load(&j->done))
        nb_bundle_data_deinit(&j->result);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

nb_status nb_gui_job_start(const nb_gui_job_desc *desc, nb_gui_job **out) {
    const nb_model *m = desc->model;
    if (!m || !m->has_network)
        return NB_RAISE(NB_E_MISSING, "/network", "processing needs a network");
    if (!desc->recompute_importance && !m->has_importance)
        return NB_RAISE(NB_E_MISSING, "/importance",
                        "the file has no importance: tick 'Recompute importance'");
    NB_TRY(nb_config_validate(&nb_processing_schema, desc->cfg));
    nb_gui_job *j = calloc(1, sizeof *j);
    if (!j)
        return NB_RAISE(NB_E_NOMEM, "processing job", "%zu bytes", sizeof *j);
    if (pthread_mutex_init(&j->lock, NULL) != 0) {
        free(j);
        return NB_RAISE(NB_E_INTERNAL, "processing job", "pthread_mutex_init failed");
    }
    j->cfg = *desc->cfg;
    j->recompute = desc->recompute_importance;
    snprintf(j->data_dir, sizeof j->data_dir, "%s",
             desc->data_dir ? desc->data_dir : NB_IDX_DEFAULT_DIR);
    j->max_images = desc->max_images;
    j->threads = desc->threads;
    j->importance_share = j->recompute ? 0.4 : 0.0;
    atomic_init(&j->cancel, false);
    atomic_init(&j->done, false);
    j->status = NB_E_INTERNAL; /* until the worker says otherwise */
    nb_status s = nb_network_copy(&j->net, &m->network);
    if (s == NB_OK && m->has_importance && !j->recompute) {
        s = nb_importance_copy(&j->imp, &m->importance);
        j->has_imp = s == NB_OK;
    }
    if (s != NB_OK) {
        free_job(j);
        return s;
    }
    j->progress.running = true;
    snprintf(j->progress.phase, sizeof j->progress.phase, "starting");
    if (pthread_create(&j->thread, NULL, worker, j) != 0) {
        free_job(j);
        return NB_RAISE(NB_E_INTERNAL, "processing job", "pthread_create failed");
    }
    *out = j;
    return NB_OK;
}

void nb_gui_job_query(nb_gui_job *j, nb_gui_progress *out) {
    pthread_mutex_lock(&j->lock);
    *out = j->progress;
    pthread_mutex_unlock(&j->lock);
}

bool nb_gui_job_take_snapshot(nb_gui_job *j, nb_model *out) {
    nb_model m;
    memset(&m, 0, sizeof m);
    bool ok = false;
    pthread_mutex_lock(&j->lock);
    if (j->has_snap && j->snap_generation != j->taken_generation) {
        nb_status s = nb_network_copy(&m.network, &j->net);
        if (s == NB_OK && j->has_imp)
            s = nb_importance_copy(&m.importance, &j->imp);
        if (s == NB_OK) {
            m.has_network = true;
            m.has_importance = j->has_imp;
            m.bundle = j->snap; /* moved out */
            m.has_bundle = true;
            memset(&j->snap, 0, sizeof j->snap);
            j->has_snap = false;
            j->taken_generation = j->snap_generation;
            ok = true;
        }
    }
    pthread_mutex_unlock(&j->lock);
    if (!ok) {
        nb_model_deinit(&m);
        return false;
    }
    nb_model_deinit(out);
    *out = m;
    return true;
}

unsigned nb_gui_job_cancel(nb_gui_job *j) {
    /* Under the lock, so no snapshot is published between reading the count and the cancel
     * reaching the bundler; the worker checks both flags after publishing the state pointer. */
    pthread_mutex_lock(&j->lock);
    atomic_store(&j->cancel, true);
    if (j->bundle)
        nb_bundle_cancel(j->bundle);
    unsigned published = j->snap_generation;
    pthread_mutex_unlock(&j->lock);
    return published;
}

bool nb_gui_job_done(nb_gui_job *j) {
    return atomic_load(&j->done);
}

nb_status nb_gui_job_join(nb_gui_job *j, nb_model *result, char *message) {
    if (!j->joined) {
        pthread_join(j->thread, NULL);
        j->joined = true;
    }
    if (message)
        snprintf(message, NB_GUI_MESSAGE_MAX, "%s", j->status == NB_OK ? "" : j->message);
    if (j->status != NB_OK)
        return j->status;
    nb_model m;
    memset(&m, 0, sizeof m);
    m.network = j->net;
    m.has_network = true;
    memset(&j->net, 0, sizeof j->net);
    if (j->has_imp) {
        m.importance = j->imp;
        m.has_importance = true;
        memset(&j->imp, 0, sizeof j->imp);
        j->has_imp = false;
    }
    m.bundle = j->result;
    m.has_bundle = true;
    memset(&j->result, 0, sizeof j->result);
    j->status = NB_E_CANCELLED; /* moved out: nothing left to free or return */
    nb_model_deinit(result);
    *result = m;
    return NB_OK;
}

void nb_gui_job_destroy(nb_gui_job *j) {
    if (!j)
        return;
    (void)nb_gui_job_cancel(j);
    if (!j->joined) {
        pthread_join(j->thread, NULL);
        j->joined = true;
    }
    free_job(j);
}
