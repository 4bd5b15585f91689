/* nb_test.h - helpers shared by the cmocka unit tests: error checks, float comparison, files.
 *
 * Header-only (static inline), included after nothing or after the system headers a test
 * needs; it includes cmocka itself with the headers cmocka requires before it. Every helper
 * fails the current test with a message that names what differed.
 *
 *   nb_expect_error(got, want, subject, frag)  status, exact error subject, message fragment
 *   nb_assert_near(a, b, tol)                  |a - b| <= tol (absolute)
 *   nb_assert_close(a, b, rel, abs)            |a - b| <= abs + rel * |b| (relative)
 *   nb_assert_same_double(a, b)                equal, or both NaN
 *   nb_expect_text(text, fragment)             text contains fragment (else prints the text)
 *   nb_test_read_file(path, &len)              the whole file, NUL-terminated (caller frees)
 *   nb_test_write_file(path, data, len)        creates or replaces a file
 *   nb_test_write_text(path, text)             the same with a NUL-terminated text
 *   nb_test_copy_file(src, dst)
 *   nb_test_exists(path)                       does anything exist at path?
 *   nb_test_tmp_left(path)                     does a "<path>.nbtmp.*" file exist?
 *   nb_test_remove_tree(dir)                   rm -rf dir (a test's temporary directory)
 *   nb_test_write_idx_test_split(dir, ...)     a raw IDX test split as nb_idx_load_dir reads it
 *   nb_test_source_path(buf, cap, rel)         $NB_SOURCE_DIR/rel (default "../rel")
 */
#ifndef NB_TEST_H
#define NB_TEST_H

#include <glob.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "nb_status.h"

/* Asserts the calling thread's last error: status `want`, subject exactly `subject`, and
 * (frag non-NULL) a message containing `frag`. Prints what was got before failing. */
#define nb_expect_error(got, want, subject, frag)                                                  \
    nb_expect_error_((got), (want), (subject), (frag), __FILE__, __LINE__)

static inline void nb_expect_error_(nb_status got, nb_status want, const char *subject,
                                    const char *frag, const char *file, int line) {
    if (got != want || strcmp(nb_error_subject(), subject) != 0 ||
        (frag && !strstr(nb_error_message(), frag))) {
        print_error("%s:%d: got %s \"%s\", want %s [%s] containing \"%s\"\n", file, line,
                    nb_status_name(got), nb_error_message(), nb_status_name(want), subject,
                    frag ? frag : "");
        fail();
    }
}

#define nb_assert_near(a, b, tol)                                                                  \
    nb_assert_near_((double)(a), (double)(b), (double)(tol), __FILE__, __LINE__)

static inline void nb_assert_near_(double a, double b, double tol, const char *file, int line) {
    if (!(fabs(a - b) <= tol)) {
        print_error("%s:%d: %.9g vs %.9g (absolute tolerance %.3g)\n", file, line, a, b, tol);
        fail();
    }
}

#define nb_assert_close(a, b, rel, abs_tol)                                                        \
    nb_assert_close_((double)(a), (double)(b), (double)(rel), (double)(abs_tol), __FILE__, __LINE__)

static inline void nb_assert_close_(double a, double b, double rel, double abs_tol,
                                    const char *file, int line) {
    double tol = abs_tol + rel * fabs(b);
    if (!(fabs(a - b) <= tol)) {
        print_error("%s:%d: %.9g vs %.9g (tolerance %.3g = %.3g + %.3g * |b|)\n", file, line, a, b,
                    tol, abs_tol, rel);
        fail();
    }
}

#define nb_assert_same_double(a, b) nb_assert_same_double_((a), (b), __FILE__, __LINE__)

static inline void nb_assert_same_double_(double a, double b, const char *file, int line) {
    if (isnan(a) || isnan(b) ? !(isnan(a) && isnan(b)) : a != b) {
        print_error("%s:%d: %.17g != %.17g\n", file, line, a, b);
        fail();
    }
}

#define nb_expect_text(text, fragment) nb_expect_text_((text), (fragment), __FILE__, __LINE__)

static inline void nb_expect_text_(const char *text, const char *fragment, const char *file,
                                   int line) {
    if (!strstr(text, fragment)) {
        print_error("%s:%d: the text lacks \"%s\":\n%s\n", file, line, fragment, text);
        fail();
    }
}

/* The file's bytes plus a terminating NUL (*len, if not NULL, excludes it); NULL if it
 * cannot be read. Caller frees. */
static inline char *nb_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static inline void nb_test_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static inline void nb_test_write_text(const char *path, const char *text) {
    nb_test_write_file(path, text, strlen(text));
}

static inline void nb_test_copy_file(const char *src, const char *dst) {
    size_t len = 0;
    char *data = nb_test_read_file(src, &len);
    assert_non_null(data);
    nb_test_write_file(dst, data, len);
    free(data);
}

static inline bool nb_test_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Whether a temporary file of an atomic write of `path` ("<path>.tmp.*") was left behind. */
static inline bool nb_test_tmp_left(const char *path) {
    char pattern[1024];
    snprintf(pattern, sizeof pattern, "%s.nbtmp.*", path);
    glob_t g;
    int r = glob(pattern, 0, NULL, &g);
    bool found = r == 0 && g.gl_pathc > 0;
    if (r == 0)
        globfree(&g);
    return found;
}

/* Removes dir and everything in it (a test's mkdtemp directory); true on success. */
static inline bool nb_test_remove_tree(const char *dir) {
    char cmd[1100];
    if (snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) >= (int)sizeof cmd)
        return false;
    return system(cmd) == 0;
}

static inline void nb_test_write_be32_(FILE *f, uint32_t v) {
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    assert_int_equal(fwrite(b, 1, 4, f), 4);
}

/* Creates dir (it must not exist) with a raw IDX test split, as nb_idx_load_dir reads it:
 * t10k-images-idx3-ubyte (n images of rows x cols bytes, `pixels`) and t10k-labels-idx1-ubyte
 * (n bytes, `labels`). Fails the test on any error. */
static inline void nb_test_write_idx_test_split(const char *dir, uint32_t n, uint32_t rows,
                                                uint32_t cols, const unsigned char *pixels,
                                                const unsigned char *labels) {
    assert_int_equal(mkdir(dir, 0777), 0);
    char path[1100];
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    nb_test_write_be32_(f, 0x00000803);
    nb_test_write_be32_(f, n);
    nb_test_write_be32_(f, rows);
    nb_test_write_be32_(f, cols);
    size_t bytes = (size_t)n * rows * cols;
    assert_int_equal(fwrite(pixels, 1, bytes, f), bytes);
    assert_int_equal(fclose(f), 0);
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    nb_test_write_be32_(f, 0x00000801);
    nb_test_write_be32_(f, n);
    assert_int_equal(fwrite(labels, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* A path in the source tree: $NB_SOURCE_DIR/rel, or ../rel from the build's tests folder. */
static inline void nb_test_source_path(char *buf, size_t cap, const char *rel) {
    const char *src = getenv("NB_SOURCE_DIR");
    snprintf(buf, cap, "%s/%s", src ? src : "..", rel);
}

#endif /* NB_TEST_H */
