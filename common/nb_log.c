/* nb_log.c - stderr logging and progress bars with ETA.
 *
 * DESIGN: one process-wide verbosity set by main before any thread starts (so it is read,
 * never written, concurrently). A progress bar estimates ETA as elapsed/done*(total-done);
 * on a TTY it redraws one line with '\r' at most 10 times a second, otherwise it prints a
 * plain line at each 10 % step (at most one per 5 s) and at the end, so logs of batch jobs
 * stay readable: a bar that finishes within 5 s prints exactly one line.
 * Reads no config keys.
 */
#include "nb_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static nb_log_level g_level = NB_LOG_NORMAL;
static int g_tty = -1;

void nb_log_set_level(nb_log_level level) {
    g_level = level;
}

nb_log_level nb_log_get_level(void) {
    return g_level;
}

void nb_log_set_tty(int tty) {
    g_tty = tty;
}

__attribute__((format(printf, 2, 0))) static void log_v(const char *prefix, const char *fmt,
                                                        va_list ap) {
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(stderr, "%s%s\n", prefix, line);
}

void nb_log_info(const char *fmt, ...) {
    if (g_level < NB_LOG_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_v("", fmt, ap);
    va_end(ap);
}

void nb_log_warn(const char *fmt, ...) {
    if (g_level < NB_LOG_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_v("warning: ", fmt, ap);
    va_end(ap);
}

void nb_log_debug(const char *fmt, ...) {
    if (g_level < NB_LOG_VERBOSE)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_v("debug: ", fmt, ap);
    va_end(ap);
}

double nb_time_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t nb_peak_rss_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024u; /* Linux reports KiB */
}

static void format_seconds(double s, char *buf, size_t n) {
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, n, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), ((int)s % 3600) / 60);
}

static void progress_draw(nb_progress *p, const char *note, bool final) {
    double now = nb_time_now();
    double elapsed = now - p->t_start;
    char eta[32] = "";
    char el[32];
    format_seconds(elapsed, el, sizeof el);
    double frac = p->total ? (double)p->done / (double)p->total : 0.0;
    if (frac > 1.0)
        frac = 1.0;
    if (!final && p->done > 0 && p->total > 0) {
        char t[24];
        format_seconds(elapsed / (double)p->done * (double)(p->total - p->done), t, sizeof t);
        snprintf(eta, sizeof eta, "ETA %s", t);
    }
    if (p->tty) {
        char bar[31];
        int filled = (int)(frac * 30.0 + 0.5);
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '-';
        bar[30] = '\0';
        if (p->total)
            fprintf(stderr, "\r%-20s [%s] %3d%% %llu/%llu %s%s%s\033[K", p->label, bar,
                    (int)(frac * 100.0 + 0.5), (unsigned long long)p->done,
                    (unsigned long long)p->total, final ? el : eta, note ? " " : "",
                    note ? note : "");
        else
            fprintf(stderr, "\r%-20s %llu %s%s%s\033[K", p->label, (unsigned long long)p->done, el,
                    note ? " " : "", note ? note : "");
        if (final)
            fputc('\n', stderr);
    } else {
        if (p->total)
            fprintf(stderr, "%s: %3d%% (%llu/%llu) %s%s%s%s\n", p->label, (int)(frac * 100.0 + 0.5),
                    (unsigned long long)p->done, (unsigned long long)p->total,
                    final ? "done in " : "", final ? el : eta, note ? ", " : "", note ? note : "");
        else
            fprintf(stderr, "%s: %llu %s%s%s\n", p->label, (unsigned long long)p->done, el,
                    note ? ", " : "", note ? note : "");
    }
    fflush(stderr);
    p->t_last = now;
}

void nb_progress_begin(nb_progress *p, const char *label, uint64_t total) {
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    p->t_start = nb_time_now();
    p->t_last = 0;
    p->last_decile = -1;
    p->active = g_level >= NB_LOG_NORMAL;
    p->tty = g_tty >= 0 ? g_tty != 0 : isatty(STDERR_FILENO) != 0;
    if (p->active && !p->tty) {
        p->last_decile = 0;
        p->t_last = p->t_start; /* the first plain line comes after 5 s, or at the end */
    }
}

void nb_progress_update(nb_progress *p, uint64_t done, const char *note) {
    p->done = done;
    if (!p->active)
        return;
    if (p->tty) {
        if (nb_time_now() - p->t_last >= 0.1)
            progress_draw(p, note, false);
    } else if (p->total) {
        /* plain lines: a 10 % step, but at most one line per 5 s, so short bars stay quiet */
        int decile = (int)((double)done * 10.0 / (double)p->total);
        if (decile > p->last_decile && done < p->total && nb_time_now() - p->t_last >= 5.0) {
            p->last_decile = decile;
            progress_draw(p, note, false);
        }
    }
}

void nb_progress_end(nb_progress *p, const char *note) {
    if (!p->active)
        return;
    if (p->total)
        p->done = p->total > p->done ? p->total : p->done;
    progress_draw(p, note, true);
    p->active = false;
}
