/* nb_gui_job.h - importance and bundling on a background thread for the Processing panel.
 *
 * The GUI thread starts a job with copies of the shown network (and importance), the
 * processing config and options; a worker thread (pthreads) runs nb_importance_compute (if
 * asked) and nb_bundle_create/step/finish (processor/bundle/nb_bundle.h). After every bundling
 * iteration the worker publishes a snapshot (nb_bundle_query_snapshot) under the job's mutex;
 * the GUI thread takes the newest one when it likes and draws it, so the user watches bundles
 * form. Cancel (any thread) stops the worker at the next iteration boundary (the next class
 * during importance). Nothing is written to disk by a job; the caller decides what to do with
 * the result (show it, save it with nb_h5_save).
 */
#ifndef NB_GUI_JOB_H
#define NB_GUI_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_config.h"
#include "nb_gui_state.h"
#include "nb_model.h"
#include "nb_status.h"

typedef struct nb_gui_job nb_gui_job;

typedef struct nb_gui_job_desc {
    const nb_processing_config *cfg; /* copied; validated again by the stages */
    const nb_model *model;           /* needs /network; /importance unless recompute; copied */
    bool recompute_importance;       /* run cfg->importance_method first */
    const char *data_dir;            /* data for importance methods that need it */
    size_t max_images;               /* > 0: use only the first max_images of each split */
    int threads;                     /* bundling threads (<= 0: all cores) */
} nb_gui_job_desc;

/* Copies the inputs and starts the worker. Returns NB_OK, NB_E_MISSING (no /network, or no
 * /importance and recompute off; subject "/network" / "/importance"), NB_E_CONFIG
 * (nb_config_validate of cfg), NB_E_NOMEM, NB_E_INTERNAL (thread creation failed). On
 * failure nothing runs and *out is untouched. */
nb_status nb_gui_job_start(const nb_gui_job_desc *desc, nb_gui_job **out);

/* Progress as of now (phase, iteration, overall fraction, snapshots published). Any thread. */
void nb_gui_job_query(nb_gui_job *job, nb_gui_progress *out);

/* If a snapshot newer than the last one taken exists, replaces *out (deinit'd first) with a
 * model of the job's network, importance and that snapshot's /bundle, and returns true;
 * else returns false and leaves *out alone. GUI thread. On NB_E_NOMEM returns false. */
bool nb_gui_job_take_snapshot(nb_gui_job *job, nb_model *out);

/* Asks the worker to stop at the next iteration boundary. Any thread, any number of times.
 * Returns the number of snapshots published when the cancel was registered: the iteration in
 * flight may still publish one more, none after that (so the final count is at most this + 1;
 * tests rely on it). */
unsigned nb_gui_job_cancel(nb_gui_job *job);

/* True once the worker has ended (success, failure or cancel). */
bool nb_gui_job_done(nb_gui_job *job);

/* Waits for the worker and returns its status: NB_OK (the result, network + importance +
 * bundle, is moved into *result, which must be zeroed or deinit'd), NB_E_CANCELLED, or the
 * stage's error (its message in *message, NB_GUI_MESSAGE_MAX bytes, may be NULL).
 * Call once. */
nb_status nb_gui_job_join(nb_gui_job *job, nb_model *result, char *message);

/* Cancels, joins and frees; NULL is a no-op. */
void nb_gui_job_destroy(nb_gui_job *job);

#endif /* NB_GUI_JOB_H */
