/* nb_tuner.h - the thread count of a repeated parallel call: 1 or all, whichever runs faster.
 *
 * On a machine shared with other processes, OpenMP barriers can cost more than a second thread
 * gains: a waiting thread spins while its partner is descheduled (training ran 12x slower on 2
 * threads than on 1 at load average 10 on 2 cores; docs/density.md, "Threads", has the density
 * figures). Every parallel result in nnbundle is independent of the thread count, so a caller
 * that repeats one kind of call (a training step, a density iteration of one layer pair) may
 * let a tuner pick the count of each call:
 *
 *   int nt = nb_tuner_begin(&t);          // the count for this call
 *   ... run the call on nt threads ...
 *   nb_tuner_end(&t, seconds, units);     // its wall time and its amount of work
 *
 * Behaviour: the tuner keeps a running average of the cost (seconds per unit of work) of the
 * current count; while it has one, every `period` calls it tries the other count (1 if the
 * current is `threads`, `threads` if it is 1) for warmup_calls untimed and trial_calls timed
 * calls, and switches when the trial's mean cost is below `win` times the average. A switch
 * resets the wait to `period`; a failed trial doubles it, up to max_wait, so steady load costs
 * few trials. In NB_TUNER_ADAPTIVE mode a trial of 1 thread runs only when the CPU efficiency
 * of the recent multi-thread calls (process CPU seconds / (threads x wall seconds), 1 when
 * every thread had a core, spinning included) fell below `efficiency`: on an idle machine no
 * call ever pays for a 1-thread trial. NB_TUNER_ALWAYS_TRY skips that test (calls too short to
 * measure CPU time over, and tests); NB_TUNER_FIXED always uses `threads`.
 *
 * Two profiles are in use: the density back-ends (calls of 10 ms or more) take the defaults;
 * training (steps of about 1 ms, noisy) starts on 1 thread, waits 16 steps before the first
 * trial and 200 after a switch (up to 6400), runs 1 warm-up and 7 timed steps per trial,
 * switches at a 15 % win and averages with weight 0.1 (nb_train.c).
 *
 * Thread safety: a tuner belongs to the thread that makes the calls it tunes.
 */
#ifndef NB_TUNER_H
#define NB_TUNER_H

typedef enum nb_tuner_mode {
    NB_TUNER_ADAPTIVE = 0,   /* trials of 1 thread only when the CPU efficiency drops */
    NB_TUNER_FIXED = 1,      /* every call uses `threads`; begin/end do no bookkeeping */
    NB_TUNER_ALWAYS_TRY = 2, /* trials every period calls regardless of the CPU efficiency */
} nb_tuner_mode;

/* Settings of a tuner; zero means the default in brackets. */
typedef struct nb_tuner_desc {
    int threads;        /* [omp_get_max_threads()] the multi-thread count; 1: never changes */
    nb_tuner_mode mode; /* [NB_TUNER_ADAPTIVE] */
    int start;          /* [threads] count of the first calls: threads or 1 */
    int first_wait;     /* [4] calls before the first trial (counted once an average exists) */
    int period;         /* [first_wait] calls between trials after a switch */
    int max_wait;       /* [64] longest wait between trials */
    int trial_calls;    /* [2] timed calls per trial */
    int warmup_calls;   /* [0] untimed calls at the start of a trial (threads waking up) */
    double win;         /* [0.9] a trial wins when its mean cost < win x the running average */
    double weight;      /* [0.3] weight of the newest call in the running averages */
    double efficiency;  /* [0.8] NB_TUNER_ADAPTIVE: CPU efficiency below which 1 is tried */
    const char *name;   /* [NULL] if set, switches and failed trials are logged (debug level) */
} nb_tuner_desc;

typedef struct nb_tuner {
    nb_tuner_desc desc; /* resolved */
    int current;        /* count used outside trials */
    int trial;          /* count under trial, 0 when none */
    int wait;           /* calls until the next trial */
    int period;         /* current wait between trials */
    int trial_left;     /* calls left in the running trial */
    double avg;         /* running cost with `current` (0: none yet) */
    double trial_cost;  /* summed cost of the timed trial calls */
    int trial_n;        /* timed trial calls so far */
    double eff;         /* running CPU efficiency of the calls with current > 1 */
    double wall0, cpu0; /* start of the running call (NB_TUNER_ADAPTIVE) */
} nb_tuner;

/* Fills out with desc's settings, zeros replaced by the defaults (desc NULL: all defaults). */
void nb_tuner_desc_resolve(const nb_tuner_desc *desc, nb_tuner_desc *out);

/* Starts a tuner with the resolved desc: current = start, first trial after first_wait calls. */
void nb_tuner_init(nb_tuner *t, const nb_tuner_desc *desc);

/* The thread count for the call about to run (starts a trial when one is due) and, in
 * NB_TUNER_ADAPTIVE mode, the start of its wall and CPU time. */
int nb_tuner_begin(nb_tuner *t);

/* Records the call begun last: `seconds` of wall time for `units` of work (any positive
 * measure that scales with the work; units <= 0 records nothing). */
void nb_tuner_end(nb_tuner *t, double seconds, double units);

/* The count outside trials, for calls that are not timed. */
int nb_tuner_current(const nb_tuner *t);

#endif /* NB_TUNER_H */
