/* fuzz_npy.c - libFuzzer target: arbitrary bytes as a NumPy .npy images file, as a .npy labels
 * file, and as a class names file.
 *
 * DESIGN: the input is written to a scratch file and read by the loaders of common/nb_data.c:
 *   1. nb_data_load_npy with the input as the images file, beside a valid uint8 labels file
 *      whose count is the first number after "'shape': (" in the input's first 4 KiB (so the
 *      loader gets past the count check and converts the pixels);
 *   2. nb_data_load_npy with the input as the labels file, beside valid uint8 images of shape
 *      [count][1][1];
 *   each with max_n 0 (whole file) and 1;
 *   3. nb_data_read_class_names with the input as the names file.
 * Properties checked on every input: a failing load returns the recorded status (NB_RAISE) and
 * leaves the dataset zeroed (names: the outputs untouched); a successful one yields n >= 1,
 * channels 1 or 3, dim = channels*rows*cols, pixels in [0, 1], n_classes = max label + 1, no
 * class names; names: 1..256 names of 1..255 bytes without a line break.
 * Not thread-safe (one scratch directory per process). Reads no config keys.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "nb_data.h"

#define COMPANION_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first count of a "'shape': (N" in the input, or 1. */
static size_t declared_count(const uint8_t *data, size_t size) {
    char head[4097];
    size_t n = size < 4096 ? size : 4096;
    memcpy(head, data, n);
    head[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (head[i] == '\0')
            head[i] = ' ';
    const char *p = strstr(head, "'shape': (");
    if (!p)
        return 1;
    unsigned long long v = strtoull(p + 10, NULL, 10);
    return v >= 1 && v <= COMPANION_MAX ? (size_t)v : 1;
}

/* A version-1 .npy file with the given descr and shape text and payload. */
static const char *write_npy(const char *name, const char *descr, const char *shape,
                             const uint8_t *payload, size_t bytes, char *buf, size_t cap) {
    static uint8_t file[128 + COMPANION_MAX];
    char dict[112];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                       descr, shape);
    size_t hl = (size_t)len + 1, pad = (64 - (10 + hl) % 64) % 64;
    hl += pad;
    memcpy(file, "\x93NUMPY\x01\x00", 8);
    file[8] = (uint8_t)(hl & 0xff);
    file[9] = (uint8_t)(hl >> 8);
    memcpy(file + 10, dict, (size_t)len);
    memset(file + 10 + len, ' ', pad);
    file[10 + hl - 1] = '\n';
    memcpy(file + 10 + hl, payload, bytes);
    return fuzz_write_file(name, file, 10 + hl + bytes, buf, cap);
}

static void check_load(const char *images, const char *labels, size_t max_n) {
    nb_dataset ds;
    memset(&ds, 0xA5, sizeof ds); /* the loader must overwrite it either way */
    nb_error_clear();
    nb_status st = nb_data_load_npy(images, labels, max_n, &ds);
    FUZZ_CHECK_RAISED(st, "nb_data_load_npy");
    if (st != NB_OK) {
        static const nb_dataset zero = {0};
        FUZZ_CHECK(memcmp(&ds, &zero, sizeof ds) == 0, "dataset not zeroed after %s",
                   nb_error_message());
        return;
    }
    FUZZ_CHECK(ds.n >= 1 && (max_n == 0 || ds.n <= max_n), "n = %zu with max_n %zu", ds.n, max_n);
    FUZZ_CHECK((ds.channels == 1 || ds.channels == 3) && ds.rows >= 1 && ds.cols >= 1 &&
                   ds.dim == ds.channels * ds.rows * ds.cols,
               "%zu x %zu x %zu, dim %zu", ds.channels, ds.rows, ds.cols, ds.dim);
    FUZZ_CHECK(ds.images && ds.labels && !ds.class_names, "arrays");
    unsigned max_label = 0;
    for (size_t i = 0; i < ds.n; i++)
        if (ds.labels[i] > max_label)
            max_label = ds.labels[i];
    FUZZ_CHECK(ds.n_classes == (size_t)max_label + 1, "n_classes %zu, max label %u", ds.n_classes,
               max_label);
    for (size_t i = 0; i < ds.n * ds.dim; i++)
        FUZZ_CHECK(ds.images[i] >= 0.0f && ds.images[i] <= 1.0f, "pixel %zu = %g", i,
                   (double)ds.images[i]);
    nb_dataset_deinit(&ds);
}

static void check_names(const char *path) {
    char **names = (char **)(uintptr_t)0x1;
    size_t n = 12345;
    nb_error_clear();
    nb_status st = nb_data_read_class_names(path, &names, &n);
    FUZZ_CHECK_RAISED(st, "nb_data_read_class_names");
    if (st != NB_OK) {
        FUZZ_CHECK(names == (char **)(uintptr_t)0x1 && n == 12345, "outputs written on failure");
        return;
    }
    FUZZ_CHECK(n >= 1 && n <= NB_DATA_MAX_CLASSES, "%zu names", n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        FUZZ_CHECK(len >= 1 && len <= 255 && !strpbrk(names[i], "\n"), "name %zu: %zu bytes", i,
                   len);
    }
    nb_data_free_names(names, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t companion[COMPANION_MAX];
    char input[320], other[320], shape[40];
    fuzz_write_file("input.npy", data, size, input, sizeof input);
    size_t count = declared_count(data, size);

    /* 1. the input as the images file, beside labels 0..9 */
    for (size_t i = 0; i < count; i++)
        companion[i] = (uint8_t)(i % 10);
    snprintf(shape, sizeof shape, "(%zu,)", count);
    write_npy("labels.npy", "|u1", shape, companion, count, other, sizeof other);
    check_load(input, other, 0);
    check_load(input, other, 1);

    /* 2. the input as the labels file, beside 1x1 grey images */
    for (size_t i = 0; i < count; i++)
        companion[i] = (uint8_t)(i * 37u);
    snprintf(shape, sizeof shape, "(%zu, 1, 1)", count);
    write_npy("images.npy", "|u1", shape, companion, count, other, sizeof other);
    check_load(other, input, 0);
    check_load(other, input, 1);

    /* 3. the input as a class names file */
    check_names(input);
    return 0;
}
