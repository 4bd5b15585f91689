/* nb_log.h - logging, wall-clock time, and progress bars with ETA.
 *
 * Everything goes to stderr, so stdout stays free for results (`nnbundle info`, CSV).
 * Verbosity: NB_LOG_QUIET prints errors only and no progress; NB_LOG_NORMAL prints info,
 * warnings and progress; NB_LOG_VERBOSE adds debug lines. Progress renders as a redrawn bar
 * on a TTY and as plain lines otherwise (every 10 % step, at most one line per 5 s, and the end).
 * Thread safety: logging functions may be called from any thread (one fprintf per line);
 * a progress object belongs to one thread (update it outside parallel regions).
 */
#ifndef NB_LOG_H
#define NB_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum nb_log_level {
    NB_LOG_QUIET = 0,
    NB_LOG_NORMAL = 1,
    NB_LOG_VERBOSE = 2,
} nb_log_level;

/* Sets the process-wide verbosity (default NB_LOG_NORMAL). Call from main before threads. */
void nb_log_set_level(nb_log_level level);
nb_log_level nb_log_get_level(void);

/* Forces TTY (1) or plain-line (0) progress; -1 (default) detects isatty(stderr). */
void nb_log_set_tty(int tty);

void nb_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nb_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nb_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic wall-clock time in seconds (CLOCK_MONOTONIC), for timings and ETAs. */
double nb_time_now(void);

/* Peak resident set size of this process in bytes (getrusage), 0 if unknown. */
uint64_t nb_peak_rss_bytes(void);

/* A progress bar: begin, update (any number of times), end. Caller-owned storage. */
typedef struct nb_progress {
    char label[64];
    uint64_t total;
    uint64_t done;
    double t_start;
    double t_last;
    int last_decile; /* plain mode: last printed 10 % step */
    bool active;
    bool tty;
} nb_progress;

/* Starts a bar for `total` units of work (total 0 = unknown size: shows a counter). */
void nb_progress_begin(nb_progress *p, const char *label, uint64_t total);

/* Reports `done` units finished (absolute, not a delta) with an optional short note
 * ("loss 0.412"); redraws at most 10 times a second on a TTY. */
void nb_progress_update(nb_progress *p, uint64_t done, const char *note);

/* Ends the bar: prints the final state, elapsed time and an optional note. */
void nb_progress_end(nb_progress *p, const char *note);

#endif /* NB_LOG_H */
