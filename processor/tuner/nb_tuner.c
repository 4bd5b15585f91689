/* nb_tuner.c - the adaptive thread count of repeated parallel calls (1 or all).
 *
 * DESIGN: a small state machine per kind of call, documented in nb_tuner.h: a running average
 * of the cost (seconds per unit of work) of the current count, a countdown to the next trial
 * of the other count, trials of warmup_calls untimed + trial_calls timed calls, a switch on a
 * clear win, a doubling wait after a failed trial. In NB_TUNER_ADAPTIVE mode a 1-thread trial
 * is gated by the CPU efficiency of the recent multi-thread calls (CLOCK_PROCESS_CPUTIME_ID
 * over omp_get_wtime), so an idle machine never runs one. The tuner only picks thread counts:
 * no result of nnbundle depends on them.
 * Threading: none inside; a tuner belongs to the thread that makes the calls. Config keys:
 * none (callers pass nb_tuner_desc).
 */
#include "nb_tuner.h"

#include <omp.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "nb_log.h"

void nb_tuner_desc_resolve(const nb_tuner_desc *desc, nb_tuner_desc *out) {
    nb_tuner_desc d;
    if (desc)
        d = *desc;
    else
        memset(&d, 0, sizeof d);
    if (d.threads <= 0)
        d.threads = omp_get_max_threads();
    if (d.threads < 1)
        d.threads = 1;
    if (d.start <= 0 || d.start > d.threads)
        d.start = d.threads;
    if (d.first_wait <= 0)
        d.first_wait = 4;
    if (d.period <= 0)
        d.period = d.first_wait;
    if (d.max_wait <= 0)
        d.max_wait = 64;
    if (d.trial_calls <= 0)
        d.trial_calls = 2;
    if (d.warmup_calls < 0)
        d.warmup_calls = 0;
    if (!(d.win > 0.0))
        d.win = 0.9;
    if (!(d.weight > 0.0 && d.weight <= 1.0))
        d.weight = 0.3;
    if (!(d.efficiency > 0.0))
        d.efficiency = 0.8;
    *out = d;
}

void nb_tuner_init(nb_tuner *t, const nb_tuner_desc *desc) {
    memset(t, 0, sizeof *t);
    nb_tuner_desc_resolve(desc, &t->desc);
    t->current = t->desc.mode == NB_TUNER_FIXED ? t->desc.threads : t->desc.start;
    t->wait = t->desc.first_wait;
    t->period = t->desc.period;
    t->eff = 1.0;
}

/* CPU seconds of the whole process (all threads). */
static double process_cpu(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int tunes(const nb_tuner *t) {
    return t->desc.mode != NB_TUNER_FIXED && t->desc.threads > 1;
}

int nb_tuner_begin(nb_tuner *t) {
    if (!tunes(t))
        return t->current;
    if (!t->trial && t->avg > 0.0 && --t->wait <= 0) {
        if (t->desc.mode == NB_TUNER_ALWAYS_TRY || t->current == 1 || t->eff < t->desc.efficiency) {
            t->trial = t->current == 1 ? t->desc.threads : 1;
            t->trial_left = t->desc.warmup_calls + t->desc.trial_calls;
            t->trial_cost = 0.0;
            t->trial_n = 0;
        } else {
            t->wait = t->period; /* every thread had a core: nothing to try */
        }
    }
    if (t->desc.mode == NB_TUNER_ADAPTIVE) {
        t->wall0 = omp_get_wtime();
        t->cpu0 = process_cpu();
    }
    return t->trial ? t->trial : t->current;
}

/* The running trial is over: switch on a clear win, else wait twice as long. */
static void finish_trial(nb_tuner *t) {
    const double trial = t->trial_cost / (double)(t->trial_n ? t->trial_n : 1);
    if (trial < t->desc.win * t->avg) {
        if (t->desc.name)
            nb_log_debug("%s: %d thread(s) from now on (%.3g ms per unit, %d thread(s) took "
                         "%.3g ms)",
                         t->desc.name, t->trial, 1e3 * trial, t->current, 1e3 * t->avg);
        t->current = t->trial;
        t->avg = trial;
        t->period = t->desc.period;
        t->eff = 1.0;
    } else {
        if (t->desc.name)
            nb_log_debug("%s: staying on %d thread(s) (%.3g ms per unit, %d thread(s) took "
                         "%.3g ms)",
                         t->desc.name, t->current, 1e3 * t->avg, t->trial, 1e3 * trial);
        t->period = t->period < t->desc.max_wait / 2 ? 2 * t->period : t->desc.max_wait;
    }
    t->wait = t->period;
    t->trial = 0;
}

void nb_tuner_end(nb_tuner *t, double seconds, double units) {
    if (!tunes(t) || !(units > 0.0))
        return;
    const double cost = seconds / units, w = t->desc.weight;
    if (!t->trial) {
        t->avg = t->avg > 0.0 ? (1.0 - w) * t->avg + w * cost : cost;
        if (t->desc.mode == NB_TUNER_ADAPTIVE && t->current > 1) {
            const double wall = omp_get_wtime() - t->wall0;
            if (wall > 0.0)
                t->eff = (1.0 - w) * t->eff +
                         w * (process_cpu() - t->cpu0) / ((double)t->current * wall);
        }
        return;
    }
    if (t->trial_left <= t->desc.trial_calls) { /* warm-up calls are not timed */
        t->trial_cost += cost;
        t->trial_n++;
    }
    if (--t->trial_left <= 0)
        finish_trial(t);
}

int nb_tuner_current(const nb_tuner *t) {
    return t->current;
}
