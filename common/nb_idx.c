/* nb_idx.c - loading MNIST-format (IDX) image/label files, gzip'd or raw.
 *
 * DESIGN: both files are opened with zlib's gzopen/gzread, which decompresses gzip and
 * passes raw files through unchanged. The headers (magic 0x00 0x00 type ndims + big-endian
 * uint32 sizes; Y. LeCun's MNIST page) are read and checked first: unsigned-byte type,
 * 3 dims for images / 1 for labels, non-zero sizes within sane bounds, and equal counts,
 * so a mismatched pair fails before any payload is read. Then the first min(n, max_n)
 * records are read in 64 KiB chunks, images converted to float32 in [0, 1]
 * (pixel / 255). A short read is "truncated"; after a complete read, trailing bytes are an
 * error too, and a gzip file must end with its one stream (its trailer's CRC-32 and length
 * match what was read; zlib alone would skip trailing garbage). Before reading, a gzip
 * header's sizes are bounded by 1032 times the file's size (deflate's largest ratio) and the
 * images by the memory limit (nb_input.h); inputs must be regular files. Errors name the offending
 * file. Threading: none; no shared state. Reads no config keys.
 */
#include "nb_idx.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "nb_input.h"

#define IDX_TYPE_UBYTE 0x08
#define IDX_MAX_SIDE   65536u      /* rows, cols */
#define IDX_MAX_COUNT  1000000000u /* images per file */
#define IDX_CHUNK      (64u * 1024u)
/* deflate's largest ratio (about 1032:1): a gzip file of S bytes holds at most this times S */
#define IDX_GZIP_MAX_RATIO 1032u

typedef struct idx_file {
    gzFile gz;
    const char *path;
    size_t dims[3];
    size_t ndims;
    size_t file_size; /* bytes on disk */
    uLong crc;        /* CRC-32 of the bytes read so far (decompressed) */
    uint64_t read;    /* decompressed bytes read so far */
} idx_file;

static const char *type_name(unsigned t) {
    switch (t) {
    case 0x08:
        return "unsigned byte";
    case 0x09:
        return "signed byte";
    case 0x0B:
        return "short";
    case 0x0C:
        return "int";
    case 0x0D:
        return "float";
    case 0x0E:
        return "double";
    default:
        return "unknown type";
    }
}

/* Raises the right status for a failed or short gzread. */
static nb_status read_error(idx_file *f, const char *what, size_t got, size_t want) {
    int errnum = Z_OK;
    const char *msg = gzerror(f->gz, &errnum);
    if (errnum == Z_ERRNO)
        return NB_RAISE(NB_E_IO, f->path, "read error in %s: %s", what, strerror(errno));
    if (errnum != Z_OK && errnum != Z_BUF_ERROR)
        return NB_RAISE(NB_E_FORMAT, f->path, "corrupt gzip data in %s: %s", what, msg);
    return NB_RAISE(NB_E_FORMAT, f->path, "truncated: %s has %zu of %zu bytes", what, got, want);
}

/* Reads exactly n bytes; `done` of `total` bytes of this part were read before (for the
 * "truncated" message). */
static nb_status read_exact(idx_file *f, void *buf, size_t n, const char *what, size_t done,
                            size_t total) {
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        size_t want = n - got > IDX_CHUNK ? IDX_CHUNK : n - got;
        int r = gzread(f->gz, p + got, (unsigned)want);
        if (r <= 0)
            return read_error(f, what, done + got, total);
        f->crc = crc32(f->crc, p + got, (uInt)r);
        f->read += (uint64_t)r;
        got += (size_t)r;
    }
    return NB_OK;
}

static uint32_t be32(const unsigned char *b) {
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* Opens path and checks its header: type ubyte, `ndims` dimensions, all non-zero. */
static nb_status open_idx(idx_file *f, const char *path, unsigned ndims, const char *kind) {
    memset(f, 0, sizeof *f);
    f->path = path;
    f->crc = crc32(0L, Z_NULL, 0);
    NB_TRY(nb_input_check_file(path, &f->file_size));
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (!f->gz)
        return NB_RAISE(NB_E_IO, path, "cannot open: %s",
                        errno ? strerror(errno) : "out of memory");
    gzbuffer(f->gz, 128u * 1024u);
    unsigned char h[16];
    nb_status s = read_exact(f, h, 4, "the header", 0, 4 + 4 * (size_t)ndims);
    if (s != NB_OK)
        return s;
    uint32_t magic = be32(h);
    uint32_t want_magic = (IDX_TYPE_UBYTE << 8) | ndims;
    if (h[0] != 0 || h[1] != 0)
        return NB_RAISE(NB_E_FORMAT, path, "magic 0x%08x is not an IDX file (expected 0x%08x, %s)",
                        magic, want_magic, kind);
    if (h[2] != IDX_TYPE_UBYTE)
        return NB_RAISE(NB_E_FORMAT, path,
                        "magic 0x%08x: element type 0x%02x (%s), expected 0x08 (unsigned byte)",
                        magic, h[2], type_name(h[2]));
    if (h[3] != ndims)
        return NB_RAISE(NB_E_FORMAT, path, "magic 0x%08x: %u dimensions, expected 0x%08x (%s)",
                        magic, h[3], want_magic, kind);
    s = read_exact(f, h + 4, 4 * ndims, "the header", 4, 4 + 4 * (size_t)ndims);
    if (s != NB_OK)
        return s;
    f->ndims = ndims;
    for (unsigned d = 0; d < ndims; d++) {
        uint32_t v = be32(h + 4 + 4 * d);
        uint32_t max = d == 0 ? IDX_MAX_COUNT : IDX_MAX_SIDE;
        if (v == 0 || v > max)
            return NB_RAISE(NB_E_FORMAT, path, "dimension %u is %u, expected 1..%u", d, v, max);
        f->dims[d] = v;
    }
    return NB_OK;
}

/* A gzip file must end with its one stream: zlib's gzread skips bytes after the stream that
 * do not start another one, so the file's last 8 bytes must be the stream's trailer (RFC 1952:
 * CRC-32 and length mod 2^32, little-endian) of exactly what was read. */
static nb_status check_gzip_trailer(idx_file *f) {
    unsigned char t[8];
    FILE *raw = f->file_size >= 8 ? fopen(f->path, "rb") : NULL;
    bool ok = raw && fseek(raw, -8L, SEEK_END) == 0 && fread(t, 1, 8, raw) == 8;
    if (raw)
        fclose(raw);
    if (!ok)
        return NB_RAISE(NB_E_IO, f->path, "cannot read the gzip trailer: %s", strerror(errno));
    uint32_t crc =
        (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    uint32_t len =
        (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
    if (crc != (uint32_t)f->crc || len != (uint32_t)f->read)
        return NB_RAISE(NB_E_FORMAT, f->path,
                        "trailing data after the gzip stream (or more than one gzip stream); "
                        "expected the file to end with the stream");
    return NB_OK;
}

/* After reading all records: nothing may follow. */
static nb_status check_end(idx_file *f) {
    unsigned char b[16];
    int r = gzread(f->gz, b, sizeof b);
    if (r < 0)
        return read_error(f, "the end of the file", 0, 0);
    if (r > 0)
        return NB_RAISE(NB_E_FORMAT, f->path,
                        "unexpected bytes after the last record (header sizes too small)");
    if (!gzdirect(f->gz))
        return check_gzip_trailer(f);
    return NB_OK;
}

/* What a gzip file's header declares, before anything is allocated for it: at most what a
 * file of its size can hold (1032 times its size). A raw file's short payload is found by
 * reading ("truncated"), its buffers growing with what was read (grown_cap). */
static nb_status check_declared(const idx_file *f, size_t record, size_t n) {
    if (gzdirect(f->gz))
        return NB_OK;
    size_t payload = nb_input_mul(record, n);
    if (payload > nb_input_mul(f->file_size, IDX_GZIP_MAX_RATIO))
        return NB_RAISE(NB_E_FORMAT, f->path,
                        "the header declares %zu records of %zu bytes, more than a gzip file of "
                        "%zu bytes can hold (deflate expands at most 1032 times)",
                        n, record, f->file_size);
    return NB_OK;
}

static void close_idx(idx_file *f) {
    if (f->gz)
        gzclose(f->gz);
    f->gz = NULL;
}

void nb_dataset_deinit(nb_dataset *ds) {
    if (!ds)
        return;
    free(ds->images);
    free(ds->labels);
    if (ds->class_names)
        for (size_t c = 0; c < ds->n_classes; c++)
            free(ds->class_names[c]);
    free(ds->class_names);
    memset(ds, 0, sizeof *ds);
}

/* Buffers grow with the data actually read (doubling, from one chunk), so a header that
 * declares more than the file holds fails as truncated before anything near the declared
 * size is allocated (fuzz finding tests/fuzz/crashes/fuzz_idx/huge_declared_size.idx). */
static size_t grown_cap(size_t cap, size_t need, size_t most) {
    size_t c = cap * 2 > need ? cap * 2 : need;
    return c < most ? c : most;
}

/* n label bytes into *labels (malloc'd on success). */
static nb_status read_labels(idx_file *lab, const char *path, size_t n, uint8_t **labels) {
    size_t cap = n < IDX_CHUNK ? n : IDX_CHUNK;
    uint8_t *buf = malloc(cap ? cap : 1);
    nb_status s = buf ? NB_OK : NB_RAISE(NB_E_NOMEM, path, "cannot allocate read buffers");
    for (size_t got = 0; s == NB_OK && got < n;) {
        size_t len = n - got > IDX_CHUNK ? IDX_CHUNK : n - got;
        if (got + len > cap) {
            cap = grown_cap(cap, got + len, n);
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                s = NB_RAISE(NB_E_NOMEM, path, "cannot allocate %zu labels", n);
                break;
            }
            buf = grown;
        }
        s = read_exact(lab, buf + got, len, "the labels", got, n);
        got += len;
    }
    if (s != NB_OK) {
        free(buf);
        return s;
    }
    *labels = buf;
    return NB_OK;
}

/* n images of dim pixels, scaled to [0, 1], into *images (malloc'd on success). */
static nb_status read_pixels(idx_file *img, const char *path, size_t n, size_t dim,
                             float **images) {
    size_t total = n * dim, cap = total < IDX_CHUNK ? total : IDX_CHUNK;
    float *buf = malloc((cap ? cap : 1) * sizeof(float));
    unsigned char *chunk = malloc(IDX_CHUNK);
    nb_status s = buf && chunk ? NB_OK : NB_RAISE(NB_E_NOMEM, path, "cannot allocate read buffers");
    for (size_t done = 0; s == NB_OK && done < total;) {
        size_t len = total - done > IDX_CHUNK ? IDX_CHUNK : total - done;
        s = read_exact(img, chunk, len, "the pixels", done, total);
        if (s == NB_OK && done + len > cap) {
            cap = grown_cap(cap, done + len, total);
            float *grown = realloc(buf, cap * sizeof(float));
            if (!grown) {
                s = NB_RAISE(NB_E_NOMEM, path, "cannot allocate %zu images of %zu pixels", n, dim);
                break;
            }
            buf = grown;
        }
        for (size_t i = 0; s == NB_OK && i < len; i++)
            buf[done + i] = (float)chunk[i] * (1.0f / 255.0f);
        done += len;
    }
    free(chunk);
    if (s != NB_OK) {
        free(buf);
        return s;
    }
    *images = buf;
    return NB_OK;
}

static nb_status load_pair(idx_file *img, idx_file *lab, const char *images_path,
                           const char *labels_path, size_t max_n, nb_dataset *out) {
    NB_TRY(open_idx(lab, labels_path, 1, "IDX labels 0x00000801"));
    NB_TRY(open_idx(img, images_path, 3, "IDX images 0x00000803"));
    size_t n_file = img->dims[0];
    if (lab->dims[0] != n_file)
        return NB_RAISE(NB_E_FORMAT, labels_path, "%zu labels, but %s holds %zu images",
                        lab->dims[0], images_path, n_file);
    size_t n = max_n > 0 && max_n < n_file ? max_n : n_file;
    size_t rows = img->dims[1], cols = img->dims[2];
    size_t dim = rows * cols; /* <= 2^32, fits */
    if (n > SIZE_MAX / sizeof(float) / dim)
        return NB_RAISE(NB_E_NOMEM, images_path, "%zu images of %zu pixels do not fit in memory", n,
                        dim);
    NB_TRY(check_declared(lab, 1, n_file));
    NB_TRY(check_declared(img, dim, n_file));
    char what[128];
    snprintf(what, sizeof what, "%zu images of %zux%zu pixels (float32)", n, rows, cols);
    NB_TRY(nb_input_check(nb_input_mul(n, dim * sizeof(float) + 1), images_path, what));

    nb_dataset ds = {.n = n, .channels = 1, .rows = rows, .cols = cols, .dim = dim};
    nb_status s = read_labels(lab, labels_path, n, &ds.labels);
    if (s == NB_OK)
        s = read_pixels(img, images_path, n, dim, &ds.images);
    if (s == NB_OK && n == n_file) {
        s = check_end(lab);
        if (s == NB_OK)
            s = check_end(img);
    }
    if (s != NB_OK) {
        nb_dataset_deinit(&ds);
        return s;
    }
    unsigned max_label = 0;
    for (size_t i = 0; i < n; i++)
        if (ds.labels[i] > max_label)
            max_label = ds.labels[i];
    ds.n_classes = (size_t)max_label + 1;
    *out = ds;
    return NB_OK;
}

nb_status nb_idx_load_pair(const char *images_path, const char *labels_path, size_t max_n,
                           nb_dataset *ds) {
    memset(ds, 0, sizeof *ds);
    idx_file img = {0}, lab = {0};
    nb_status s = load_pair(&img, &lab, images_path, labels_path, max_n, ds);
    close_idx(&img);
    close_idx(&lab);
    return s;
}

/* "<dir>/<name>.gz" if it exists, else "<dir>/<name>" if it exists; NB_E_IO otherwise. */
static nb_status find_file(const char *dir, const char *name, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "%s/%s.gz", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return NB_RAISE(NB_E_IO, dir, "path too long");
    if (access(buf, F_OK) == 0)
        return NB_OK;
    snprintf(buf, cap, "%s/%s", dir, name);
    if (access(buf, F_OK) == 0)
        return NB_OK;
    return NB_RAISE(NB_E_IO, buf, "no such file (nor %s.gz)", name);
}

nb_status nb_idx_load_dir(const char *dir, nb_idx_split split, size_t max_n, nb_dataset *ds) {
    memset(ds, 0, sizeof *ds);
    const char *prefix = split == NB_IDX_TRAIN ? "train" : "t10k";
    char img_name[64], lab_name[64], img_path[4096], lab_path[4096];
    snprintf(img_name, sizeof img_name, "%s-images-idx3-ubyte", prefix);
    snprintf(lab_name, sizeof lab_name, "%s-labels-idx1-ubyte", prefix);
    NB_TRY(find_file(dir, img_name, img_path, sizeof img_path));
    NB_TRY(find_file(dir, lab_name, lab_path, sizeof lab_path));
    return nb_idx_load_pair(img_path, lab_path, max_n, ds);
}

nb_status nb_dataset_check_labels(const nb_dataset *ds, size_t n_classes, const char *subject) {
    for (size_t i = 0; i < ds->n; i++)
        if (ds->labels[i] >= n_classes)
            return NB_RAISE(NB_E_MISMATCH, subject,
                            "label %u of image %zu is outside the %zu classes of the network",
                            ds->labels[i], i, n_classes);
    return NB_OK;
}

nb_status nb_dataset_check_classes(const nb_dataset *ds, const char *subject) {
    size_t count[256] = {0};
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->labels[i] >= ds->n_classes)
            return NB_RAISE(NB_E_FORMAT, subject, "label %u of image %zu is outside 0..%zu",
                            (unsigned)ds->labels[i], i, ds->n_classes ? ds->n_classes - 1 : 0);
        count[ds->labels[i]]++;
    }
    size_t empty = 0, first = 0;
    for (size_t c = ds->n_classes; c-- > 0;)
        if (c < 256 && count[c] == 0) {
            empty++;
            first = c;
        }
    if (empty == 0)
        return NB_OK;
    const char *name = ds->class_names && ds->class_names[first] ? ds->class_names[first] : NULL;
    if (ds->class_names)
        return NB_RAISE(NB_E_FORMAT, subject,
                        "class %zu (\"%s\") has no images (%zu of the %zu named classes are "
                        "empty); every class needs training images",
                        first, name ? name : "", empty, ds->n_classes);
    return NB_RAISE(NB_E_FORMAT, subject,
                    "class %zu has no images (%zu of the %zu classes 0..%zu are empty): without a "
                    "class-names file the class count is the largest label + 1, so a stray label "
                    "makes empty classes; every class needs training images",
                    first, empty, ds->n_classes, ds->n_classes - 1);
}
