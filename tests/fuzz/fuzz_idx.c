/* fuzz_idx.c - libFuzzer target: arbitrary bytes as an IDX images file and as a labels file.
 *
 * DESIGN: the input is written to a scratch file and loaded with nb_idx_load_pair (common/
 * nb_idx.c, zlib gzread: raw or gzip'd input) twice:
 *   1. as the images file, next to a valid labels file whose count is the one the input's
 *      header declares (bytes 4..7, big-endian, after gunzip when the input is gzip'd), so
 *      the loader gets past the count check and reads the pixels (when that count is small
 *      enough to write a label per image);
 *   2. as the labels file, next to a valid images file of 1x1-pixel images with the count
 *      the input declares.
 * Each load runs with max_n = 0 (whole file, trailing bytes checked) and max_n = 1 (first
 * record only). Properties checked on every input: a failing load returns a recorded status
 * (NB_RAISE) and leaves the dataset zeroed; a successful one yields n >= 1, dim = rows*cols,
 * pixels in [0, 1], n_classes = max label + 1, and nb_dataset_check_labels accepts it.
 * Not thread-safe (one scratch directory per process, libFuzzer's single-threaded loop).
 * Reads no config keys.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fuzz_util.h"
#include "nb_idx.h"

/* Companion files are written only for counts up to this (the input itself is at most
 * libFuzzer's -max_len, so bigger counts fail as truncated anyway). */
#define COMPANION_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t be32_at(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The input's first 16 bytes, looking through gzip; returns how many were available. */
static size_t header_of(const uint8_t *data, size_t size, uint8_t head[16]) {
    memset(head, 0, 16);
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
            return 0;
        z.next_in = (Bytef *)(uintptr_t)data; /* zlib's API is not const-correct */
        z.avail_in = size > UINT32_MAX ? UINT32_MAX : (uInt)size;
        z.next_out = head;
        z.avail_out = 16;
        int r = inflate(&z, Z_SYNC_FLUSH);
        size_t got = 16 - z.avail_out;
        inflateEnd(&z);
        return r == Z_OK || r == Z_STREAM_END ? got : 0;
    }
    size_t got = size < 16 ? size : 16;
    memcpy(head, data, got);
    return got;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Writes a labels file (magic 0x801) with `count` labels i % 10, or header only if too big. */
static const char *write_labels(uint32_t count, char *buf, size_t cap) {
    uint8_t file[8 + COMPANION_MAX];
    put_be32(file, 0x00000801u);
    put_be32(file + 4, count);
    size_t n = count <= COMPANION_MAX ? count : 0;
    for (size_t i = 0; i < n; i++)
        file[8 + i] = (uint8_t)(i % 10);
    return fuzz_write_file("labels.idx", file, 8 + n, buf, cap);
}

/* Writes an images file (magic 0x803) of `count` 1x1 images, or header only if too big. */
static const char *write_images(uint32_t count, char *buf, size_t cap) {
    uint8_t file[16 + COMPANION_MAX];
    put_be32(file, 0x00000803u);
    put_be32(file + 4, count);
    put_be32(file + 8, 1);
    put_be32(file + 12, 1);
    size_t n = count <= COMPANION_MAX ? count : 0;
    for (size_t i = 0; i < n; i++)
        file[16 + i] = (uint8_t)(i * 37u);
    return fuzz_write_file("images.idx", file, 16 + n, buf, cap);
}

static void check_load(const char *images, const char *labels, size_t max_n) {
    nb_dataset ds;
    memset(&ds, 0xA5, sizeof ds); /* the loader must overwrite it either way */
    nb_error_clear();
    nb_status st = nb_idx_load_pair(images, labels, max_n, &ds);
    FUZZ_CHECK_RAISED(st, "nb_idx_load_pair");
    if (st != NB_OK) {
        static const nb_dataset zero = {0};
        FUZZ_CHECK(memcmp(&ds, &zero, sizeof ds) == 0, "dataset not zeroed after %s",
                   nb_error_message());
        return;
    }
    FUZZ_CHECK(ds.n >= 1 && (max_n == 0 || ds.n <= max_n), "n = %zu with max_n %zu", ds.n, max_n);
    FUZZ_CHECK(ds.rows >= 1 && ds.cols >= 1 && ds.dim == ds.rows * ds.cols, "%zu x %zu, dim %zu",
               ds.rows, ds.cols, ds.dim);
    FUZZ_CHECK(ds.images && ds.labels, "no arrays");
    unsigned max_label = 0;
    for (size_t i = 0; i < ds.n; i++)
        if (ds.labels[i] > max_label)
            max_label = ds.labels[i];
    FUZZ_CHECK(ds.n_classes == (size_t)max_label + 1, "n_classes %zu, max label %u", ds.n_classes,
               max_label);
    for (size_t i = 0; i < ds.n * ds.dim; i++)
        FUZZ_CHECK(ds.images[i] >= 0.0f && ds.images[i] <= 1.0f, "pixel %zu = %g", i,
                   (double)ds.images[i]);
    nb_status cs = nb_dataset_check_labels(&ds, ds.n_classes, "fuzz");
    FUZZ_CHECK(cs == NB_OK, "check_labels: %s", nb_error_message());
    nb_dataset_deinit(&ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char input[320], other[320];
    fuzz_write_file("input.idx", data, size, input, sizeof input);
    uint8_t head[16];
    size_t got = header_of(data, size, head);
    uint32_t count = got >= 8 ? be32_at(head + 4) : 1;

    /* 1. the input as the images file */
    write_labels(count, other, sizeof other);
    check_load(input, other, 0);
    check_load(input, other, 1);

    /* 2. the input as the labels file */
    write_images(count, other, sizeof other);
    check_load(other, input, 0);
    check_load(other, input, 1);
    return 0;
}
