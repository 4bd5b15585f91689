/* nb_data.c - data directories in the IDX, NumPy and ImageFolder layouts -> nb_dataset.
 *
 * DESIGN: nb_data_load detects the layout from the directory's entries (nb_data_detect),
 * hands IDX to nb_idx_load_dir, and reads the two others here:
 *  - NumPy (.npy, numpy.lib.format): the magic "\x93NUMPY", a version byte pair, a
 *    little-endian header length (2 bytes in version 1, 4 in versions 2 and 3) and a Python
 *    dict literal with 'descr', 'fortran_order' and 'shape'. The payload size implied by the
 *    header is checked against the file size *before* anything is allocated (a lying header
 *    cannot make us allocate), then images are read one at a time and converted to CHW
 *    float32; values are decoded byte by byte (little-endian), so the host's byte order does
 *    not matter.
 *  - ImageFolder (torchvision.datasets.ImageFolder): classes are the sub-directories of
 *    DIR/train sorted by byte value (Python's sorted()); both splits use that list (DIR/test
 *    when there is no train/), so label c means the same class in either split. Files
 *    ending in ".png" (any case) are the images, sorted by name; other files and nested
 *    directories are ignored. The images are ordered round-robin over the classes (image 0
 *    of every class, then image 1, ...) so a max_n prefix stays balanced. PNGs are decoded
 *    with libpng's simplified API in their own 8-bit format (palette expanded, alpha dropped,
 *    never composited); 16-bit images are refused.
 * Every input must be a regular file (nb_input_check_file: a FIFO would block) and what a
 * header declares must fit the memory limit (nb_input_check) before it is allocated; a PNG's
 * declared pixels at most 1032 times its file size.
 * Class names: the directory names (ImageFolder) or DIR/classes.txt, overridden by a names
 * file given by the caller; UTF-8 only. Errors name the offending file. Threading: none; no shared
 * state. Reads no config keys.
 */
#include "nb_data.h"
#include "nb_input.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DATA_PATH_MAX  4096
#define DATA_NAME_MAX  255    /* bytes of one class name */
#define DATA_MAX_SIDE  65536u /* image rows, cols */
#define DATA_MAX_COUNT 1000000000u

const char *nb_data_format_name(nb_data_format format) {
    switch (format) {
    case NB_DATA_AUTO:
        return "auto";
    case NB_DATA_IDX:
        return "idx";
    case NB_DATA_NPY:
        return "numpy";
    case NB_DATA_IMAGEFOLDER:
        return "imagefolder";
    }
    return "unknown";
}

/* ---- small helpers ---------------------------------------------------------------------- */

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static nb_status join(char *buf, const char *dir, const char *name) {
    int n = snprintf(buf, DATA_PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= DATA_PATH_MAX)
        return NB_RAISE(NB_E_INVALID, dir, "path too long");
    return NB_OK;
}

void nb_data_free_names(char **names, size_t n) {
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static char *dup_str(const char *s, size_t len) {
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* ---- detection -------------------------------------------------------------------------- */

nb_status nb_data_detect(const char *dir, nb_data_format *format) {
    static const char *const idx_names[] = {"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte",
                                            "t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"};
    static const char *const npy_names[] = {"train_images.npy", "test_images.npy"};
    char p[DATA_PATH_MAX];
    struct stat st;
    if (stat(dir, &st) != 0)
        return NB_RAISE(NB_E_IO, dir, "data directory: %s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return NB_RAISE(NB_E_IO, dir, "data directory: not a directory");
    for (size_t k = 0; k < sizeof idx_names / sizeof idx_names[0]; k++) {
        NB_TRY(join(p, dir, idx_names[k]));
        if (is_file(p)) {
            *format = NB_DATA_IDX;
            return NB_OK;
        }
    }
    for (size_t k = 0; k < sizeof npy_names / sizeof npy_names[0]; k++) {
        NB_TRY(join(p, dir, npy_names[k]));
        if (is_file(p)) {
            *format = NB_DATA_NPY;
            return NB_OK;
        }
    }
    char q[DATA_PATH_MAX];
    NB_TRY(join(p, dir, "train"));
    NB_TRY(join(q, dir, "test"));
    if (is_dir(p) || is_dir(q)) {
        *format = NB_DATA_IMAGEFOLDER;
        return NB_OK;
    }
    return NB_RAISE(
        NB_E_IO, dir,
        "no data set found: expected IDX files (train-images-idx3-ubyte[.gz], ...), "
        "NumPy files (train_images.npy, train_labels.npy, ...) or ImageFolder "
        "directories (train/<class>/NAME.png, test/<class>/NAME.png); see docs/data.md");
}

/* ---- class names ------------------------------------------------------------------------ */

nb_status nb_data_read_class_names(const char *path, char ***names_out, size_t *n_out) {
    NB_TRY(nb_input_check_file(path, NULL)); /* a FIFO would block fopen forever */
    FILE *f = fopen(path, "rb");
    if (!f)
        return NB_RAISE(NB_E_IO, path, "cannot open: %s", strerror(errno));
    char **names = calloc(NB_DATA_MAX_CLASSES, sizeof *names);
    char *line = NULL;
    size_t cap = 0, n = 0, line_no = 0;
    ssize_t got;
    nb_status s = names ? NB_OK : NB_RAISE(NB_E_NOMEM, path, "cannot allocate class names");
    while (s == NB_OK && (got = getline(&line, &cap, f)) > 0) {
        line_no++;
        size_t len = (size_t)got;
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        if (strlen(line) != len)
            s = NB_RAISE(NB_E_FORMAT, path, "line %zu: contains a NUL byte (not a text file?)",
                         line_no);
        else if (len == 0)
            s = NB_RAISE(NB_E_FORMAT, path, "line %zu: empty class name", line_no);
        else if (!nb_input_is_utf8(line, len))
            s = NB_RAISE(NB_E_FORMAT, path, "line %zu: the class name is not valid UTF-8", line_no);
        else if (len > DATA_NAME_MAX)
            s = NB_RAISE(NB_E_FORMAT, path, "line %zu: class name longer than %d bytes", line_no,
                         DATA_NAME_MAX);
        else if (n >= NB_DATA_MAX_CLASSES)
            s = NB_RAISE(NB_E_FORMAT, path, "more than %d class names (labels are 0..255)",
                         NB_DATA_MAX_CLASSES);
        else if (!(names[n++] = dup_str(line, len)))
            s = NB_RAISE(NB_E_NOMEM, path, "cannot allocate class names");
    }
    if (s == NB_OK && ferror(f))
        s = NB_RAISE(NB_E_IO, path, "read error: %s", strerror(errno));
    if (s == NB_OK && n == 0)
        s = NB_RAISE(NB_E_FORMAT, path, "no class names (expected one name per line)");
    free(line);
    fclose(f);
    if (s != NB_OK) {
        nb_data_free_names(names, n);
        return s;
    }
    *names_out = names;
    *n_out = n;
    return NB_OK;
}

nb_status nb_data_set_class_names(nb_dataset *ds, char **names, size_t n, const char *subject) {
    for (size_t i = 0; i < ds->n; i++)
        if (ds->labels[i] >= n)
            return NB_RAISE(NB_E_MISMATCH, subject,
                            "names %zu classes, but image %zu has label %u (labels must be "
                            "0..%zu)",
                            n, i, (unsigned)ds->labels[i], n - 1);
    if (ds->class_names)
        for (size_t c = 0; c < ds->n_classes; c++)
            free(ds->class_names[c]);
    free(ds->class_names);
    ds->class_names = names;
    ds->n_classes = n;
    return NB_OK;
}

/* ---- NumPy .npy ------------------------------------------------------------------------- */

typedef enum npy_kind { NPY_U8, NPY_F32, NPY_INT } npy_kind;

typedef struct npy_file {
    FILE *f;
    const char *path;
    char descr[16];
    npy_kind kind;
    size_t item;    /* bytes per value */
    bool is_signed; /* NPY_INT */
    size_t ndim;
    size_t shape[8];
    size_t payload; /* bytes, from the header */
} npy_file;

/* The value text after 'key': in the header dict, or NULL. */
static const char *npy_key(const char *h, const char *key) {
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) {
        snprintf(pat, sizeof pat, "\"%s\"", key);
        p = strstr(h, pat);
    }
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

/* Parses the header dict text into f's descr, fortran check and shape. */
static nb_status npy_parse_dict(npy_file *f, const char *h) {
    const char *d = npy_key(h, "descr");
    if (!d || (*d != '\'' && *d != '"'))
        return NB_RAISE(NB_E_FORMAT, f->path, "header has no 'descr' string: %s", h);
    char q = *d++;
    size_t len = 0;
    while (d[len] && d[len] != q && len < sizeof f->descr - 1)
        len++;
    if (d[len] != q)
        return NB_RAISE(NB_E_FORMAT, f->path, "header 'descr' is not a simple dtype: %s", h);
    memcpy(f->descr, d, len);
    f->descr[len] = '\0';

    const char *fo = npy_key(h, "fortran_order");
    if (!fo)
        return NB_RAISE(NB_E_FORMAT, f->path, "header has no 'fortran_order': %s", h);
    if (!strncmp(fo, "True", 4))
        return NB_RAISE(NB_E_UNSUPPORTED, f->path,
                        "fortran_order is True; save a C-ordered array (numpy.ascontiguousarray)");
    if (strncmp(fo, "False", 5))
        return NB_RAISE(NB_E_FORMAT, f->path, "header 'fortran_order' is not True/False: %s", h);

    const char *sh = npy_key(h, "shape");
    if (!sh || *sh != '(')
        return NB_RAISE(NB_E_FORMAT, f->path, "header has no 'shape' tuple: %s", h);
    sh++;
    f->ndim = 0;
    for (;;) {
        while (*sh == ' ')
            sh++;
        if (*sh == ')')
            break;
        if (!isdigit((unsigned char)*sh))
            return NB_RAISE(NB_E_FORMAT, f->path, "header 'shape' is malformed: %s", h);
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(sh, &end, 10);
        if (errno || v > DATA_MAX_COUNT)
            return NB_RAISE(NB_E_FORMAT, f->path, "header 'shape' has a size over %u: %s",
                            DATA_MAX_COUNT, h);
        if (f->ndim >= sizeof f->shape / sizeof f->shape[0])
            return NB_RAISE(NB_E_FORMAT, f->path, "more than 8 dimensions: %s", h);
        f->shape[f->ndim++] = (size_t)v;
        sh = end;
        while (*sh == ' ')
            sh++;
        if (*sh == ',')
            sh++;
        else if (*sh != ')')
            return NB_RAISE(NB_E_FORMAT, f->path, "header 'shape' is malformed: %s", h);
    }

    /* dtype: '|u1' / '<f4' / little-endian integers; '|' or '<' ('=' is never written). */
    const char *t = f->descr;
    bool little = t[0] == '<' || t[0] == '|';
    char code = t[0] ? t[1] : '\0';
    long bytes = code ? strtol(t + 2, NULL, 10) : 0;
    if (little && code == 'u' && bytes == 1 && t[3] == '\0') {
        f->kind = NPY_U8;
        f->item = 1;
    } else if (little && code == 'f' && bytes == 4 && t[3] == '\0') {
        f->kind = NPY_F32;
        f->item = 4;
    } else if (little && (code == 'u' || code == 'i') &&
               (bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8) && t[3] == '\0') {
        f->kind = NPY_INT;
        f->item = (size_t)bytes;
        f->is_signed = code == 'i';
    } else {
        return NB_RAISE(NB_E_UNSUPPORTED, f->path,
                        "dtype '%s' is not supported (images: uint8 '|u1' or float32 '<f4'; "
                        "labels: little-endian integers)",
                        f->descr);
    }
    return NB_OK;
}

/* Opens path, reads and checks the header, and checks the file size against the payload. */
static nb_status npy_open(npy_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    f->path = path;
    NB_TRY(nb_input_check_file(path, NULL));
    f->f = fopen(path, "rb");
    if (!f->f)
        return NB_RAISE(NB_E_IO, path, "cannot open: %s", strerror(errno));
    unsigned char pre[12];
    if (fread(pre, 1, 10, f->f) != 10)
        return NB_RAISE(NB_E_FORMAT, path, "truncated: shorter than the 10-byte .npy preamble");
    if (memcmp(pre, "\x93NUMPY", 6) != 0)
        return NB_RAISE(NB_E_FORMAT, path, "not a .npy file (no \\x93NUMPY magic)");
    unsigned major = pre[6];
    size_t hlen, start;
    if (major == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f->f) != 2)
            return NB_RAISE(NB_E_FORMAT, path, "truncated .npy preamble");
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        start = 12;
    } else {
        return NB_RAISE(NB_E_UNSUPPORTED, path, ".npy format version %u.%u (expected 1, 2 or 3)",
                        major, pre[7]);
    }
    if (hlen == 0 || hlen > 65536)
        return NB_RAISE(NB_E_FORMAT, path, "header length %zu out of range 1..65536", hlen);
    char *h = malloc(hlen + 1);
    if (!h)
        return NB_RAISE(NB_E_NOMEM, path, "cannot allocate the header");
    nb_status s = NB_OK;
    if (fread(h, 1, hlen, f->f) != hlen)
        s = NB_RAISE(NB_E_FORMAT, path, "truncated: the header is shorter than %zu bytes", hlen);
    if (s == NB_OK) {
        h[hlen] = '\0';
        for (size_t i = 0; i < hlen; i++)
            if (h[i] == '\n' || h[i] == '\0')
                h[i] = ' ';
        s = npy_parse_dict(f, h);
    }
    free(h);
    NB_TRY(s);
    size_t count = 1;
    for (size_t d = 0; d < f->ndim; d++) {
        if (f->shape[d] && count > SIZE_MAX / 16 / f->shape[d])
            return NB_RAISE(NB_E_FORMAT, path, "the array is too large");
        count *= f->shape[d];
    }
    f->payload = count * f->item;
    struct stat st;
    if (fstat(fileno(f->f), &st) != 0)
        return NB_RAISE(NB_E_IO, path, "cannot stat: %s", strerror(errno));
    size_t fsize = (size_t)st.st_size;
    size_t have = fsize > start + hlen ? fsize - start - hlen : 0;
    if (have < f->payload)
        return NB_RAISE(NB_E_FORMAT, path,
                        "truncated: the header declares %zu bytes of data, the file holds %zu",
                        f->payload, have);
    if (have > f->payload)
        return NB_RAISE(NB_E_FORMAT, path,
                        "%zu unexpected bytes after the data (header shape too small)",
                        have - f->payload);
    return NB_OK;
}

static void npy_close(npy_file *f) {
    if (f->f)
        fclose(f->f);
    f->f = NULL;
}

static nb_status npy_read(npy_file *f, void *buf, size_t n) {
    if (fread(buf, 1, n, f->f) != n)
        return ferror(f->f) ? NB_RAISE(NB_E_IO, f->path, "read error: %s", strerror(errno))
                            : NB_RAISE(NB_E_FORMAT, f->path, "truncated while reading the data");
    return NB_OK;
}

static float le_f32(const unsigned char *b) {
    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Label value of `item` bytes, little-endian; *neg set for negative signed values. */
static uint64_t le_int(const unsigned char *b, size_t item, bool is_signed, bool *neg) {
    uint64_t u = 0;
    for (size_t k = 0; k < item; k++)
        u |= (uint64_t)b[k] << (8 * k);
    *neg = is_signed && (b[item - 1] & 0x80u);
    return u;
}

/* Reads n labels (shape [N] or [N][1] checked by the caller). */
static nb_status npy_read_labels(npy_file *f, size_t n, uint8_t *labels) {
    unsigned char buf[8];
    for (size_t i = 0; i < n; i++) {
        NB_TRY(npy_read(f, buf, f->item));
        bool neg = false;
        uint64_t v = le_int(buf, f->item, f->is_signed, &neg);
        if (neg || v >= NB_DATA_MAX_CLASSES) {
            if (neg)
                return NB_RAISE(NB_E_FORMAT, f->path, "label of image %zu is negative", i);
            return NB_RAISE(NB_E_FORMAT, f->path,
                            "label %llu of image %zu is out of range (labels must be 0..%d)",
                            (unsigned long long)v, i, NB_DATA_MAX_CLASSES - 1);
        }
        labels[i] = (uint8_t)v;
    }
    return NB_OK;
}

nb_status nb_data_load_npy(const char *images_path, const char *labels_path, size_t max_n,
                           nb_dataset *out) {
    memset(out, 0, sizeof *out);
    npy_file img, lab;
    nb_dataset ds = {0};
    unsigned char *raw = NULL;
    nb_status s = npy_open(&lab, labels_path);
    if (s == NB_OK && lab.kind != NPY_INT && lab.kind != NPY_U8)
        s = NB_RAISE(NB_E_UNSUPPORTED, labels_path,
                     "labels have dtype '%s', expected an integer dtype", lab.descr);
    if (s == NB_OK && lab.kind == NPY_U8) { /* uint8 is an integer too */
        lab.kind = NPY_INT;
        lab.is_signed = false;
    }
    if (s == NB_OK && !(lab.ndim == 1 || (lab.ndim == 2 && lab.shape[1] == 1)))
        s = NB_RAISE(NB_E_FORMAT, labels_path,
                     "labels have %zu dimensions, expected shape [N] "
                     "or [N][1]",
                     lab.ndim);
    if (s == NB_OK)
        s = npy_open(&img, images_path);
    else
        memset(&img, 0, sizeof img);
    if (s == NB_OK && img.kind == NPY_INT)
        s = NB_RAISE(NB_E_UNSUPPORTED, images_path,
                     "images have dtype '%s', expected uint8 '|u1' or float32 '<f4'", img.descr);
    /* Layout rule (docs/data.md): 3-D = [N][H][W]; 4-D = NHWC when the last axis is 1 or 3,
     * else NCHW when axis 1 is 1 or 3. */
    size_t n_file = 0, C = 1, H = 0, W = 0;
    bool hwc = false;
    if (s == NB_OK) {
        n_file = img.shape[0];
        if (img.ndim == 3) {
            H = img.shape[1];
            W = img.shape[2];
        } else if (img.ndim == 4 && (img.shape[3] == 1 || img.shape[3] == 3)) {
            H = img.shape[1];
            W = img.shape[2];
            C = img.shape[3];
            hwc = C > 1;
        } else if (img.ndim == 4 && (img.shape[1] == 1 || img.shape[1] == 3)) {
            C = img.shape[1];
            H = img.shape[2];
            W = img.shape[3];
        } else {
            char shp[96] = "";
            for (size_t d = 0; d < img.ndim; d++)
                snprintf(shp + strlen(shp), sizeof shp - strlen(shp), "%s%zu", d ? "," : "",
                         img.shape[d]);
            s = NB_RAISE(NB_E_FORMAT, images_path,
                         "images have shape (%s); expected [N,H,W], [N,H,W,C] or [N,C,H,W] with "
                         "C = 1 or 3",
                         shp);
        }
    }
    if (s == NB_OK && (n_file == 0 || H == 0 || W == 0 || H > DATA_MAX_SIDE || W > DATA_MAX_SIDE))
        s = NB_RAISE(NB_E_FORMAT, images_path,
                     "images have shape %zu x %zu x %zu x %zu; every "
                     "size must be 1..%u (N >= 1)",
                     n_file, C, H, W, DATA_MAX_SIDE);
    if (s == NB_OK && lab.shape[0] != n_file)
        s = NB_RAISE(NB_E_FORMAT, labels_path, "%zu labels, but %s holds %zu images", lab.shape[0],
                     images_path, n_file);
    size_t n = max_n > 0 && max_n < n_file ? max_n : n_file;
    size_t dim = C * H * W;
    if (s == NB_OK) {
        char what[128];
        snprintf(what, sizeof what, "%zu images of %zux%zux%zu values (float32)", n, C, H, W);
        s = nb_input_check(nb_input_mul(n, nb_input_mul(dim, sizeof(float)) + 1), images_path,
                           what);
    }
    if (s == NB_OK) {
        ds = (nb_dataset){.n = n, .channels = C, .rows = H, .cols = W, .dim = dim};
        ds.labels = malloc(n);
        ds.images = malloc(n * dim * sizeof(float));
        raw = malloc(dim * img.item);
        if (!ds.labels || !ds.images || !raw)
            s = NB_RAISE(NB_E_NOMEM, images_path, "cannot allocate %zu images of %zu values", n,
                         dim);
    }
    if (s == NB_OK)
        s = npy_read_labels(&lab, n, ds.labels);
    for (size_t i = 0; s == NB_OK && i < n; i++) {
        s = npy_read(&img, raw, dim * img.item);
        float *dst = ds.images + i * dim;
        for (size_t q = 0; s == NB_OK && q < dim; q++) {
            /* q walks the stored order; p is its CHW position. */
            size_t p = q;
            if (hwc) {
                size_t c = q % C, hw = q / C;
                p = c * H * W + hw;
            }
            float v = img.kind == NPY_U8 ? (float)raw[q] * (1.0f / 255.0f) : le_f32(raw + 4 * q);
            if (!(v >= 0.0f && v <= 1.0f)) {
                s = NB_RAISE(NB_E_NUMERIC, images_path,
                             "image %zu value %zu is %g; float32 pixels must lie in [0, 1] "
                             "(divide by 255 before saving)",
                             i, q, (double)v);
                break;
            }
            dst[p] = v;
        }
    }
    if (s == NB_OK) {
        unsigned max_label = 0;
        for (size_t i = 0; i < n; i++)
            if (ds.labels[i] > max_label)
                max_label = ds.labels[i];
        ds.n_classes = (size_t)max_label + 1;
    }
    free(raw);
    npy_close(&img);
    npy_close(&lab);
    if (s != NB_OK) {
        nb_dataset_deinit(&ds);
        return s;
    }
    *out = ds;
    return NB_OK;
}

/* ---- ImageFolder ------------------------------------------------------------------------ */

typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

static void name_list_free(name_list *l) {
    nb_data_free_names(l->v, l->n);
    memset(l, 0, sizeof *l);
}

static nb_status name_list_push(name_list *l, const char *s, const char *subject) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NB_RAISE(NB_E_NOMEM, subject, "cannot list the directory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = dup_str(s, strlen(s));
    if (!l->v[l->n])
        return NB_RAISE(NB_E_NOMEM, subject, "cannot list the directory");
    l->n++;
    return NB_OK;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_png_ext(const char *name) {
    size_t len = strlen(name);
    if (len < 5)
        return false;
    const char *e = name + len - 4;
    return e[0] == '.' && tolower((unsigned char)e[1]) == 'p' &&
           tolower((unsigned char)e[2]) == 'n' && tolower((unsigned char)e[3]) == 'g';
}

/* Sorted entries of dir that are directories (want_dirs) or PNG files; hidden entries
 * skipped. *ignored counts the regular files that are not PNG. */
static nb_status list_dir(const char *dir, bool want_dirs, name_list *out, size_t *ignored) {
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d)
        return NB_RAISE(NB_E_IO, dir, "cannot open the directory: %s", strerror(errno));
    nb_status s = NB_OK;
    struct dirent *e;
    char p[DATA_PATH_MAX];
    while (s == NB_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        s = join(p, dir, e->d_name);
        if (s != NB_OK)
            break;
        if (want_dirs ? is_dir(p) : (is_file(p) && has_png_ext(e->d_name)))
            s = name_list_push(out, e->d_name, dir);
        else if (!want_dirs && ignored && is_file(p))
            (*ignored)++;
    }
    closedir(d);
    if (s != NB_OK) {
        name_list_free(out);
        return s;
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return NB_OK;
}

/* One decoded image: 8-bit, channels 1 or 3, HWC bytes (malloc'd). */
typedef struct png_pixels {
    size_t w, h, channels;
    unsigned char *px;
} png_pixels;

static nb_status read_png(const char *path, png_pixels *out) {
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    memset(out, 0, sizeof *out);
    size_t file_size = 0;
    NB_TRY(nb_input_check_file(path, &file_size));
    FILE *f = fopen(path, "rb");
    if (!f)
        return NB_RAISE(NB_E_IO, path, "cannot open: %s", strerror(errno));
    if (!png_image_begin_read_from_stdio(&im, f)) {
        fclose(f);
        nb_status s = NB_RAISE(NB_E_FORMAT, path, "not a readable PNG image: %s", im.message);
        png_image_free(&im);
        return s;
    }
    if (im.format & PNG_FORMAT_FLAG_LINEAR) {
        png_image_free(&im);
        fclose(f);
        return NB_RAISE(NB_E_UNSUPPORTED, path, "16-bit PNG; images must be 8-bit grey or RGB");
    }
    if (im.width == 0 || im.height == 0 || im.width > DATA_MAX_SIDE || im.height > DATA_MAX_SIDE) {
        png_image_free(&im);
        fclose(f);
        return NB_RAISE(NB_E_FORMAT, path, "image size %ux%u out of range 1..%u", im.width,
                        im.height, DATA_MAX_SIDE);
    }
    /* Read in the file's own 8-bit format (palettes expanded), so no colour conversion. */
    im.format &= ~(png_uint_32)PNG_FORMAT_FLAG_COLORMAP;
    size_t stride_c = PNG_IMAGE_SAMPLE_CHANNELS(im.format);
    size_t total = (size_t)im.width * im.height * stride_c;
    /* the pixels are deflate data (at most 1032 times the file's size): a small file that
     * declares a huge image is refused before the buffer is allocated */
    nb_status lim = NB_OK;
    if (total > nb_input_mul(file_size, 1032))
        lim = NB_RAISE(NB_E_FORMAT, path,
                       "declares %ux%u pixels (%zu bytes), more than a PNG file of %zu bytes can "
                       "hold",
                       im.width, im.height, total, file_size);
    else
        lim = nb_input_check(total, path, "the decoded PNG image");
    if (lim != NB_OK) {
        png_image_free(&im);
        fclose(f);
        return lim;
    }
    unsigned char *buf = malloc(total);
    if (!buf) {
        png_image_free(&im);
        fclose(f);
        return NB_RAISE(NB_E_NOMEM, path, "cannot allocate %zu bytes", total);
    }
    int ok = png_image_finish_read(&im, NULL, buf, 0, NULL);
    fclose(f);
    if (!ok) {
        nb_status s = NB_RAISE(NB_E_FORMAT, path, "corrupt PNG image: %s", im.message);
        png_image_free(&im);
        free(buf);
        return s;
    }
    size_t channels = (im.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
    if (stride_c != channels) { /* drop alpha in place */
        size_t alpha_first = (im.format & PNG_FORMAT_FLAG_AFIRST) ? 1 : 0;
        size_t np = (size_t)im.width * im.height;
        for (size_t i = 0; i < np; i++)
            for (size_t c = 0; c < channels; c++)
                buf[i * channels + c] = buf[i * stride_c + alpha_first + c];
    }
    /* BGR orders exist only when asked for; we ask for the file's own (RGB). */
    out->w = im.width;
    out->h = im.height;
    out->channels = channels;
    out->px = buf;
    png_image_free(&im);
    return NB_OK;
}

typedef struct folder_class {
    name_list files;
} folder_class;

/* The class list: sorted sub-directories of DIR/train, else DIR/test. */
static nb_status folder_classes(const char *dir, name_list *classes, char *class_root) {
    char p[DATA_PATH_MAX];
    NB_TRY(join(p, dir, "train"));
    if (!is_dir(p))
        NB_TRY(join(p, dir, "test"));
    NB_TRY(list_dir(p, true, classes, NULL));
    if (classes->n == 0)
        return NB_RAISE(NB_E_MISSING, p, "no class sub-directories (expected %s/<class>/NAME.png)",
                        p);
    if (classes->n > NB_DATA_MAX_CLASSES) {
        name_list_free(classes);
        return NB_RAISE(NB_E_FORMAT, p, "%zu class directories, at most %d are supported",
                        classes->n, NB_DATA_MAX_CLASSES);
    }
    for (size_t c = 0; c < classes->n; c++)
        if (!nb_input_is_utf8(classes->v[c], strlen(classes->v[c]))) {
            nb_status st = NB_RAISE(NB_E_FORMAT, p,
                                    "class directory %zu's name is not valid UTF-8 (class names "
                                    "are stored as UTF-8)",
                                    c);
            name_list_free(classes);
            return st;
        }
    memcpy(class_root, p, DATA_PATH_MAX);
    return NB_OK;
}

static nb_status load_imagefolder(const char *dir, nb_idx_split split, size_t max_n,
                                  nb_dataset *out) {
    name_list classes;
    char class_root[DATA_PATH_MAX], split_dir[DATA_PATH_MAX], p[DATA_PATH_MAX];
    NB_TRY(folder_classes(dir, &classes, class_root));
    nb_status s = join(split_dir, dir, split == NB_IDX_TRAIN ? "train" : "test");
    if (s == NB_OK && !is_dir(split_dir))
        s = NB_RAISE(NB_E_IO, split_dir, "missing: the %s split of the ImageFolder data set",
                     split == NB_IDX_TRAIN ? "training" : "test");
    /* Every class directory of this split must be one of the classes. */
    name_list here = {0};
    if (s == NB_OK)
        s = list_dir(split_dir, true, &here, NULL);
    for (size_t k = 0; s == NB_OK && k < here.n; k++)
        if (!bsearch(&here.v[k], classes.v, classes.n, sizeof *classes.v, cmp_str))
            s = NB_RAISE(NB_E_FORMAT, split_dir,
                         "class directory '%s' is not a class of %s (classes come from the "
                         "training split)",
                         here.v[k], class_root);
    name_list_free(&here);

    folder_class *fc = s == NB_OK ? calloc(classes.n, sizeof *fc) : NULL;
    if (s == NB_OK && !fc)
        s = NB_RAISE(NB_E_NOMEM, dir, "cannot allocate the class lists");
    size_t total = 0, most = 0;
    for (size_t c = 0; s == NB_OK && c < classes.n; c++) {
        s = join(p, split_dir, classes.v[c]);
        if (s == NB_OK && !is_dir(p))
            s = NB_RAISE(NB_E_MISSING, p, "class '%s' has no directory in this split",
                         classes.v[c]);
        size_t ignored = 0;
        if (s == NB_OK)
            s = list_dir(p, false, &fc[c].files, &ignored);
        if (s == NB_OK && fc[c].files.n == 0)
            s = NB_RAISE(NB_E_MISSING, p,
                         "class '%s' has no PNG images (%zu other files "
                         "ignored; only *.png is read)",
                         classes.v[c], ignored);
        if (s == NB_OK) {
            total += fc[c].files.n;
            if (fc[c].files.n > most)
                most = fc[c].files.n;
        }
    }
    size_t n = max_n > 0 && max_n < total ? max_n : total;
    nb_dataset ds = {0};
    char first[DATA_PATH_MAX] = "";
    size_t i = 0;
    for (size_t k = 0; s == NB_OK && k < most && i < n; k++) {
        for (size_t c = 0; s == NB_OK && c < classes.n && i < n; c++) {
            if (k >= fc[c].files.n)
                continue;
            char cdir[DATA_PATH_MAX];
            s = join(cdir, split_dir, classes.v[c]);
            if (s == NB_OK)
                s = join(p, cdir, fc[c].files.v[k]);
            png_pixels px = {0};
            if (s == NB_OK)
                s = read_png(p, &px);
            if (s == NB_OK && i == 0) {
                ds = (nb_dataset){.n = n,
                                  .channels = px.channels,
                                  .rows = px.h,
                                  .cols = px.w,
                                  .dim = px.channels * px.h * px.w};
                memcpy(first, p, DATA_PATH_MAX);
                char what[128];
                snprintf(what, sizeof what, "%zu images of %zux%zux%zu values (float32)", n,
                         px.channels, px.h, px.w);
                s = nb_input_check(nb_input_mul(n, nb_input_mul(ds.dim, sizeof(float)) + 1), p,
                                   what);
            }
            if (s == NB_OK && i == 0) {
                ds.labels = malloc(n);
                ds.images = malloc(n * ds.dim * sizeof(float));
                if (!ds.labels || !ds.images)
                    s = NB_RAISE(NB_E_NOMEM, p, "cannot allocate %zu images of %zu values", n,
                                 ds.dim);
            }
            if (s == NB_OK && (px.w != ds.cols || px.h != ds.rows))
                s = NB_RAISE(NB_E_FORMAT, p,
                             "image is %zux%zu, but %s is %zux%zu (all images "
                             "must have one size)",
                             px.w, px.h, first, ds.cols, ds.rows);
            if (s == NB_OK && px.channels != ds.channels)
                s = NB_RAISE(NB_E_FORMAT, p,
                             "image is %s, but %s is %s (all images must have "
                             "one channel count)",
                             px.channels == 3 ? "RGB" : "grey", first,
                             ds.channels == 3 ? "RGB" : "grey");
            if (s == NB_OK) {
                float *dst = ds.images + i * ds.dim;
                size_t hw = ds.rows * ds.cols;
                for (size_t q = 0; q < hw; q++)
                    for (size_t ch = 0; ch < ds.channels; ch++)
                        dst[ch * hw + q] = (float)px.px[q * ds.channels + ch] * (1.0f / 255.0f);
                ds.labels[i] = (uint8_t)c;
                i++;
            }
            free(px.px);
        }
    }
    const size_t n_cls = classes.n;
    if (s == NB_OK) {
        ds.n_classes = classes.n;
        ds.class_names = classes.v; /* ownership moves to ds */
        memset(&classes, 0, sizeof classes);
    }
    if (fc)
        for (size_t c = 0; c < n_cls; c++)
            name_list_free(&fc[c].files);
    free(fc);
    name_list_free(&classes);
    if (s != NB_OK) {
        nb_dataset_deinit(&ds);
        return s;
    }
    *out = ds;
    return NB_OK;
}

/* ---- all layouts ------------------------------------------------------------------------ */

nb_status nb_data_load(const char *dir, nb_idx_split split, size_t max_n, const char *class_names,
                       nb_dataset *out) {
    memset(out, 0, sizeof *out);
    nb_data_format fmt;
    NB_TRY(nb_data_detect(dir, &fmt));
    nb_dataset ds = {0};
    char ip[DATA_PATH_MAX], lp[DATA_PATH_MAX], names_path[DATA_PATH_MAX];
    switch (fmt) {
    case NB_DATA_IDX:
        NB_TRY(nb_idx_load_dir(dir, split, max_n, &ds));
        break;
    case NB_DATA_NPY: {
        const char *pre = split == NB_IDX_TRAIN ? "train" : "test";
        char in[32], ln[32];
        snprintf(in, sizeof in, "%s_images.npy", pre);
        snprintf(ln, sizeof ln, "%s_labels.npy", pre);
        NB_TRY(join(ip, dir, in));
        NB_TRY(join(lp, dir, ln));
        NB_TRY(nb_data_load_npy(ip, lp, max_n, &ds));
        break;
    }
    case NB_DATA_IMAGEFOLDER:
    case NB_DATA_AUTO:
        NB_TRY(load_imagefolder(dir, split, max_n, &ds));
        break;
    }
    const char *np = class_names;
    if (!np && fmt != NB_DATA_IMAGEFOLDER) {
        nb_status s = join(names_path, dir, "classes.txt");
        if (s != NB_OK) {
            nb_dataset_deinit(&ds);
            return s;
        }
        if (is_file(names_path))
            np = names_path;
    }
    if (np) {
        char **names = NULL;
        size_t n = 0;
        nb_status s = nb_data_read_class_names(np, &names, &n);
        if (s == NB_OK && fmt == NB_DATA_IMAGEFOLDER && n != ds.n_classes)
            s = NB_RAISE(NB_E_MISMATCH, np, "names %zu classes, but %s has %zu class directories",
                         n, dir, ds.n_classes);
        if (s == NB_OK)
            s = nb_data_set_class_names(&ds, names, n, np);
        if (s != NB_OK) {
            nb_data_free_names(names, n);
            nb_dataset_deinit(&ds);
            return s;
        }
    }
    *out = ds;
    return NB_OK;
}
