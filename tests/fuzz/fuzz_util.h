/* fuzz_util.h - helpers shared by the libFuzzer targets in tests/fuzz (header-only).
 *
 * DESIGN: every target gets the fuzzer's bytes in memory, but the loaders under test read
 * files, so the bytes go to a file in a private directory made once per process
 * (mkdtemp under $TMPDIR, default /tmp) and removed at exit. The directory is the only state
 * kept between inputs (a static struct set up on the first call; libFuzzer runs inputs one
 * after another on one thread). FUZZ_CHECK aborts with a message when a property that must
 * hold for every input fails: libFuzzer reports the abort as a crash and saves the input.
 */
#ifndef NB_FUZZ_UTIL_H
#define NB_FUZZ_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nb_status.h"

typedef struct fuzz_dir {
    char path[256];
    char names[8][32]; /* files made in it, removed at exit */
    size_t n_names;
    int ready;
} fuzz_dir;

static fuzz_dir fuzz_dir_state;

static inline void fuzz_dir_cleanup(void) {
    if (!fuzz_dir_state.ready)
        return;
    char file[320];
    for (size_t i = 0; i < fuzz_dir_state.n_names; i++) {
        snprintf(file, sizeof file, "%s/%s", fuzz_dir_state.path, fuzz_dir_state.names[i]);
        unlink(file);
    }
    if (rmdir(fuzz_dir_state.path) != 0)
        fprintf(stderr, "fuzz: could not remove %s: %s\n", fuzz_dir_state.path, strerror(errno));
    fuzz_dir_state.ready = 0;
}

static inline void fuzz_dir_remember(const char *name) {
    for (size_t i = 0; i < fuzz_dir_state.n_names; i++)
        if (strcmp(fuzz_dir_state.names[i], name) == 0)
            return;
    if (fuzz_dir_state.n_names < 8 && strlen(name) < 32)
        strcpy(fuzz_dir_state.names[fuzz_dir_state.n_names++], name);
}

/* "<scratch dir>/<name>" in buf, remembered for removal at exit (files that the code under
 * test writes, e.g. nb_h5_save's output). */
static inline const char *fuzz_path(const char *name, char *buf, size_t cap);

/* The per-process scratch directory (created on the first call). Aborts if it cannot be. */
static inline const char *fuzz_dir_get(void) {
    if (!fuzz_dir_state.ready) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir_state.path, sizeof fuzz_dir_state.path, "%s/nb_fuzz.XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(fuzz_dir_state.path)) {
            fprintf(stderr, "fuzz: mkdtemp(%s): %s\n", fuzz_dir_state.path, strerror(errno));
            abort();
        }
        fuzz_dir_state.ready = 1;
        atexit(fuzz_dir_cleanup);
    }
    return fuzz_dir_state.path;
}

/* Writes n bytes to "<scratch dir>/<name>" (replacing it) and returns the path in buf.
 * name: < 32 bytes, one of at most 8 names per process (removed at exit). */
static inline const char *fuzz_write_file(const char *name, const void *data, size_t n, char *buf,
                                          size_t cap) {
    snprintf(buf, cap, "%s/%s", fuzz_dir_get(), name);
    fuzz_dir_remember(name);
    int fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        fprintf(stderr, "fuzz: open(%s): %s\n", buf, strerror(errno));
        abort();
    }
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            fprintf(stderr, "fuzz: write(%s): %s\n", buf, strerror(errno));
            abort();
        }
        p += w;
        n -= (size_t)w;
    }
    close(fd);
    return buf;
}

static inline const char *fuzz_path(const char *name, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s", fuzz_dir_get(), name);
    fuzz_dir_remember(name);
    return buf;
}

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: property failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A failing call must have recorded its own status with NB_RAISE (STYLE.md "Errors"). */
#define FUZZ_CHECK_RAISED(st, what)                                                                \
    FUZZ_CHECK((st) == NB_OK || nb_error_status() == (st),                                         \
               "%s returned %s but the recorded error is %s (\"%s\")", (what), nb_status_name(st), \
               nb_status_name(nb_error_status()), nb_error_message())

#endif /* NB_FUZZ_UTIL_H */
