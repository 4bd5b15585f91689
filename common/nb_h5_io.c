/* nb_h5_io.c - typed HDF5 primitives (one dataset or attribute at a time) for nb_h5.c.
 *
 * DESIGN: the HDF5 1.10 C API behind small functions that speak the schema's dtypes and
 * raise with subjects naming the file and the object. Writing: datasets over 64 KiB are
 * chunked by whole rows (about 256 KiB per chunk) with shuffle + deflate level 1; strings are
 * fixed-length NUL-terminated UTF-8. Reading never trusts the file: every object must be a
 * hard link of the right kind (no soft or external links), datasets are checked for dtype
 * class, size and sign and for rank and shape before anything is read, attributes for their
 * element count and class; integer attributes of any integer dtype and float attributes of
 * any float or integer dtype are accepted (files of other tools), strings of either length
 * kind in any character set. The reader is closed: a dataset's data must live in the file
 * (no external storage, no virtual layout, only the library's own filters, no plugin search)
 * and its declared size must fit what the file stores (nb_h5io_check_storage), checked before
 * anything is allocated for it; the file must be a regular file. HDF5 clears its error stack
 * on every API call, so its message is taken right after the failing call, one line, without
 * HDF5's internals (buffer addresses, byte counts).
 * The chunks of a dataset written whole rows at a time are compressed here, on the OpenMP
 * threads, with the shuffle and deflate that HDF5's filter pipeline would apply, and stored
 * with H5Dwrite_chunk (chunk_writer below): HDF5 1.10 runs its filters on one thread, and
 * deflate was about 80 % of saving a bundled network.
 * Threading: no state of ours; the chunk compression uses omp_get_max_threads() threads.
 * Reads no config keys.
 */
#include "nb_h5_io.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>
#include <zlib.h>

#include "nb_input.h"

#define CHUNK_THRESHOLD_BYTES (64u * 1024u)
#define CHUNK_TARGET_BYTES    (256u * 1024u)
#define DEFLATE_LEVEL         1
/* deflate's largest compression ratio (RFC 1951: 258-byte matches in codes of at least
 * 2 bits, about 1032:1); a chunked dataset cannot decode to more than this times its stored
 * bytes */
#define DEFLATE_MAX_RATIO 1032u

/* ---- errors --------------------------------------------------------------------------- */

void nb_h5io_subject(char *buf, size_t cap, const char *path, const char *obj) {
    if (obj && obj[0])
        snprintf(buf, cap, "%s %s", path ? path : "model", obj);
    else
        snprintf(buf, cap, "%s", path ? path : "model");
}

nb_status nb_h5io_raise(nb_status st, int line, const char *path, const char *obj, const char *fmt,
                        ...) {
    char subject[512], reason[1024];
    nb_h5io_subject(subject, sizeof subject, path, obj);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return nb_error_raise(st, __FILE__, line, subject, "%s", reason);
}
#define RAISE NB_H5IO_RAISE

static herr_t walk_cb(unsigned n, const H5E_error2_t *err, void *data) {
    (void)n;
    if (err->desc && err->desc[0])
        snprintf((char *)data, 256, "%s", err->desc);
    return 0;
}

/* HDF5's innermost message, one line, without its internals (addresses, "buf = 0x...",
 * byte counts of a failed read): what is left of the first line before such a detail. */
static void tidy_message(char *m) {
    static const char *const internals[] = {
        ", buf = ",           "buf = ", ", addr = ", "addr = ", ", bytes actually read",
        "bytes actually read"};
    m[strcspn(m, "\r\n")] = '\0';
    for (size_t i = 0; i < sizeof internals / sizeof internals[0]; i++) {
        char *at = strstr(m, internals[i]);
        if (at)
            *at = '\0';
    }
    /* "truncated file: eof = 14577, sblock->base_addr = 0, ...": keep the first field */
    for (char *p = strstr(m, ", "); p; p = strstr(p + 2, ", ")) {
        size_t word = strcspn(p + 2, " ");
        if (!strncmp(p + 2 + word, " = ", 3)) {
            *p = '\0';
            break;
        }
    }
    size_t len = strlen(m);
    while (len && (m[len - 1] == ' ' || m[len - 1] == ',' || m[len - 1] == ':'))
        m[--len] = '\0';
}

const char *nb_h5io_message(char buf[256]) {
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, buf);
    H5Eclear2(H5E_DEFAULT);
    tidy_message(buf);
    return buf[0] ? buf : "HDF5 error";
}

/* HDF5's message, into a buffer the calling function declares as `char h5m[256]`. */
#define H5MSG() nb_h5io_message(h5m)

void nb_h5io_quiet_begin(nb_h5io_quiet *q) {
    q->func = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void nb_h5io_quiet_end(const nb_h5io_quiet *q) {
    H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* ---- dtypes --------------------------------------------------------------------------- */

const char *nb_h5io_dtype_name(nb_h5_dtype t) {
    static const char *const names[] = {"float32", "float64", "int32", "int64",
                                        "uint32",  "uint64",  "string"};
    return names[t];
}

size_t nb_h5io_dtype_size(nb_h5_dtype t) {
    return (t == NB_H5_F32 || t == NB_H5_I32 || t == NB_H5_U32) ? 4 : 8;
}

/* The in-memory (native) type of a numeric dtype, or with `file` its little-endian file type.
 * (HDF5's predefined types are run-time ids, so a switch rather than a table.) */
static hid_t dtype_id(nb_h5_dtype t, bool file) {
    switch (t) {
    case NB_H5_F32:
        return file ? H5T_IEEE_F32LE : H5T_NATIVE_FLOAT;
    case NB_H5_F64:
        return file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
    case NB_H5_I32:
        return file ? H5T_STD_I32LE : H5T_NATIVE_INT32;
    case NB_H5_I64:
        return file ? H5T_STD_I64LE : H5T_NATIVE_INT64;
    case NB_H5_U32:
        return file ? H5T_STD_U32LE : H5T_NATIVE_UINT32;
    case NB_H5_U64:
        return file ? H5T_STD_U64LE : H5T_NATIVE_UINT64;
    case NB_H5_STRING:
        break;
    }
    return H5I_INVALID_HID;
}

/* "float64", "uint8", "string", ... for a file datatype. */
static void describe_type(hid_t t, char *buf, size_t cap) {
    static const struct {
        H5T_class_t c;
        const char *name;
    } other[] = {{H5T_STRING, "string"},
                 {H5T_COMPOUND, "compound"},
                 {H5T_ARRAY, "array"},
                 {H5T_VLEN, "vlen"},
                 {H5T_ENUM, "enum"}};
    H5T_class_t c = H5Tget_class(t);
    size_t bits = H5Tget_size(t) * 8;
    if (c == H5T_FLOAT) {
        snprintf(buf, cap, "float%zu", bits);
        return;
    }
    if (c == H5T_INTEGER) {
        snprintf(buf, cap, "%s%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int", bits);
        return;
    }
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (other[i].c == c) {
            snprintf(buf, cap, "%s", other[i].name);
            return;
        }
    snprintf(buf, cap, "HDF5 class %d", (int)c);
}

static bool type_matches(hid_t t, nb_h5_dtype k) {
    H5T_class_t c = H5Tget_class(t);
    if (H5Tget_size(t) != nb_h5io_dtype_size(k))
        return false;
    if (k == NB_H5_F32 || k == NB_H5_F64)
        return c == H5T_FLOAT;
    if (c != H5T_INTEGER)
        return false;
    bool is_signed = H5Tget_sign(t) == H5T_SGN_2;
    return (k == NB_H5_I32 || k == NB_H5_I64) ? is_signed : !is_signed;
}

void nb_h5io_dims_text(const hsize_t *d, int rank, char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < rank; i++) {
        int n = snprintf(buf + used, cap - used, "%s%llu", i ? "x" : "", (unsigned long long)d[i]);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    if (rank == 0)
        snprintf(buf, cap, "scalar");
}

/* ---- writing -------------------------------------------------------------------------- */

static nb_status write_failed(int line, const char *path, const char *obj, const char *what) {
    char h5m[256];
    return nb_h5io_raise(NB_E_IO, line, path, obj, "cannot write %s: %s", what, H5MSG());
}
#define W_FAIL(path, obj, what) write_failed(__LINE__, (path), (obj), (what))

hid_t nb_h5io_create_group(const char *path, hid_t loc, const char *name, const char *obj,
                           nb_status *st) {
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        *st = W_FAIL(path, obj, "the group");
    return g;
}

/* Chunks of whole rows, about CHUNK_TARGET_BYTES each; a row longer than that is split. */
static int set_chunks(hid_t dcpl, nb_h5_dtype dtype, int rank, const hsize_t *dims) {
    hsize_t chunk[4] = {1, 1, 1, 1};
    hsize_t target = CHUNK_TARGET_BYTES / nb_h5io_dtype_size(dtype);
    if (rank == 1) {
        chunk[0] = dims[0] < target ? dims[0] : target;
    } else if (rank > 2) {
        /* a convolution's kernels: whole kernels of one output channel per chunk row */
        hsize_t row = 1;
        for (int i = 1; i < rank; i++) {
            chunk[i] = dims[i] ? dims[i] : 1;
            row *= chunk[i];
        }
        hsize_t rows = row >= target ? 1 : target / row;
        chunk[0] = dims[0] < rows ? (dims[0] ? dims[0] : 1) : rows;
    } else {
        hsize_t row = dims[1] ? dims[1] : 1;
        if (row >= target) {
            chunk[0] = 1;
            chunk[1] = target;
        } else {
            hsize_t rows = target / row;
            chunk[0] = dims[0] < rows ? dims[0] : rows;
            chunk[1] = row;
        }
    }
    if (H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_shuffle(dcpl) < 0 ||
        H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0)
        return -1;
    return 0;
}

/* Creates dataset loc/name of dims in the file type of dtype, chunked and compressed above
 * CHUNK_THRESHOLD_BYTES (set_chunks), and its file dataspace: *space and *d are valid on
 * NB_OK, H5I_INVALID_HID otherwise (nothing left open). */
static nb_status create_dataset(const char *path, hid_t loc, const char *obj, const char *name,
                                nb_h5_dtype dtype, int rank, const hsize_t *dims, hid_t *space,
                                hid_t *d) {
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    *d = H5I_INVALID_HID;
    *space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    nb_status st = NB_OK;
    if (*space < 0 || dcpl < 0)
        st = W_FAIL(path, obj, "the dataspace");
    else if (n * nb_h5io_dtype_size(dtype) > CHUNK_THRESHOLD_BYTES &&
             set_chunks(dcpl, dtype, rank, dims) < 0)
        st = W_FAIL(path, obj, "the chunking/compression properties");
    else if ((*d = H5Dcreate2(loc, name, dtype_id(dtype, true), *space, H5P_DEFAULT, dcpl,
                              H5P_DEFAULT)) < 0)
        st = W_FAIL(path, obj, "the dataset");
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (st != NB_OK && *space >= 0) {
        H5Sclose(*space);
        *space = H5I_INVALID_HID;
    }
    return st;
}

/* Closes what create_dataset opened; a failed close of d is a write failure when st is NB_OK. */
static nb_status close_dataset(const char *path, const char *obj, hid_t space, hid_t d,
                               nb_status st) {
    if (d >= 0 && H5Dclose(d) < 0 && st == NB_OK)
        st = W_FAIL(path, obj, "the dataset (close)");
    if (space >= 0)
        H5Sclose(space);
    return st;
}

/* Chunks compressed in parallel. A batch of CHUNK_BATCH chunks of whole rows is gathered,
 * each chunk is shuffled (H5Z's byte shuffle: byte j of element i goes to j * n + i) and
 * deflated with zlib's compress2 at DEFLATE_LEVEL, as HDF5's own filters do, on all threads,
 * then the chunks are written in order with H5Dwrite_chunk (filter mask 0: both filters
 * applied). The last chunk is padded with zeros, the dataset's fill value, as HDF5 pads an
 * edge chunk. A reader sees the same dataset as one written with H5Dwrite
 * (tests/h5_same.sh compares them value for value). */
enum { CHUNK_BATCH = 16 };
typedef struct chunk_writer {
    hid_t d;
    size_t elem;            /* element bytes: the shuffle's unit */
    size_t row_bytes;       /* one row: the elements of dims[1..] */
    hsize_t chunk_rows;     /* rows per chunk */
    size_t chunk_bytes;     /* chunk_rows * row_bytes */
    size_t bound;           /* compressBound(chunk_bytes) */
    unsigned char *batch;   /* [CHUNK_BATCH][chunk_bytes] raw rows */
    unsigned char *packed;  /* [CHUNK_BATCH][bound] deflated chunks */
    unsigned char *scratch; /* [threads][chunk_bytes] shuffled chunks */
    uLongf packed_len[CHUNK_BATCH];
    int threads;
    size_t rows;        /* rows in batch */
    hsize_t next_chunk; /* index of the batch's first chunk */
} chunk_writer;

static void chunk_writer_free(chunk_writer *w) {
    free(w->batch);
    free(w->packed);
    free(w->scratch);
    w->batch = w->packed = w->scratch = NULL;
}

/* Sets w up for dataset d (made by create_dataset) when its chunks hold whole rows, its file
 * and memory types have the same bytes and it has a row to write: true then; false (w
 * zeroed, nothing allocated) when H5Dwrite is to write it, or when the buffers cannot be had
 * (then *st = NB_E_NOMEM; otherwise NB_OK). */
static bool chunk_writer_open(const char *path, const char *obj, hid_t d, nb_h5_dtype dtype,
                              int rank, const hsize_t *dims, chunk_writer *w, nb_status *st) {
    memset(w, 0, sizeof *w);
    *st = NB_OK;
    if (rank < 1 || rank > NB_H5IO_MAX_RANK || dims[0] == 0 ||
        H5Tequal(dtype_id(dtype, true), dtype_id(dtype, false)) <= 0)
        return false;
    hid_t dcpl = H5Dget_create_plist(d);
    if (dcpl < 0)
        return false;
    hsize_t chunk[NB_H5IO_MAX_RANK] = {0};
    bool whole_rows = H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, rank, chunk) == rank;
    H5Pclose(dcpl);
    size_t row = 1;
    for (int i = 1; whole_rows && i < rank; i++) {
        whole_rows = chunk[i] == dims[i];
        row *= (size_t)dims[i];
    }
    if (!whole_rows || chunk[0] == 0)
        return false;
    w->d = d;
    w->elem = nb_h5io_dtype_size(dtype);
    w->row_bytes = row * w->elem;
    w->chunk_rows = chunk[0];
    w->chunk_bytes = (size_t)chunk[0] * w->row_bytes;
    w->bound = (size_t)compressBound((uLong)w->chunk_bytes);
    w->threads = omp_get_max_threads();
    if (w->threads > CHUNK_BATCH)
        w->threads = CHUNK_BATCH;
    w->batch = malloc(CHUNK_BATCH * w->chunk_bytes);
    w->packed = malloc(CHUNK_BATCH * w->bound);
    w->scratch = malloc((size_t)w->threads * w->chunk_bytes);
    if (!w->batch || !w->packed || !w->scratch) {
        chunk_writer_free(w);
        *st = NB_H5IO_RAISE(NB_E_NOMEM, path, obj, "no room for %d chunks of %zu bytes",
                            CHUNK_BATCH, w->chunk_bytes);
        return false;
    }
    return true;
}

/* Compresses the rows gathered in w->batch and writes them as whole chunks. */
static nb_status chunk_writer_flush(const char *path, const char *obj, chunk_writer *w) {
    if (w->rows == 0)
        return NB_OK;
    const size_t n_chunks = (size_t)((w->rows + w->chunk_rows - 1) / w->chunk_rows);
    const size_t used = w->rows * w->row_bytes, n_elem = w->chunk_bytes / w->elem;
    memset(w->batch + used, 0, n_chunks * w->chunk_bytes - used);
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->threads)
    for (long c = 0; c < (long)n_chunks; c++) {
        const unsigned char *src = w->batch + (size_t)c * w->chunk_bytes;
        unsigned char *sh = w->scratch + (size_t)omp_get_thread_num() * w->chunk_bytes;
        for (size_t j = 0; j < w->elem; j++)
            for (size_t i = 0; i < n_elem; i++)
                sh[j * n_elem + i] = src[i * w->elem + j];
        w->packed_len[c] = (uLongf)w->bound;
        if (compress2(w->packed + (size_t)c * w->bound, &w->packed_len[c], sh,
                      (uLong)w->chunk_bytes, DEFLATE_LEVEL) != Z_OK) {
#pragma omp atomic write
            failed = 1;
        }
    }
    if (failed)
        return NB_H5IO_RAISE(NB_E_NOMEM, path, obj, "zlib could not deflate a chunk");
    for (size_t c = 0; c < n_chunks; c++) {
        hsize_t offset[NB_H5IO_MAX_RANK] = {(w->next_chunk + c) * w->chunk_rows};
        if (H5Dwrite_chunk(w->d, H5P_DEFAULT, 0, offset, (size_t)w->packed_len[c],
                           w->packed + c * w->bound) < 0)
            return W_FAIL(path, obj, "the data");
    }
    w->next_chunk += n_chunks;
    w->rows = 0;
    return NB_OK;
}

/* Appends n rows at data, writing every batch that fills. */
static nb_status chunk_writer_rows(const char *path, const char *obj, chunk_writer *w,
                                   const void *data, size_t n) {
    const unsigned char *p = data;
    const size_t cap = CHUNK_BATCH * (size_t)w->chunk_rows;
    while (n > 0) {
        size_t take = cap - w->rows < n ? cap - w->rows : n;
        memcpy(w->batch + w->rows * w->row_bytes, p, take * w->row_bytes);
        w->rows += take;
        p += take * w->row_bytes;
        n -= take;
        if (w->rows == cap)
            NB_TRY(chunk_writer_flush(path, obj, w));
    }
    return NB_OK;
}

nb_status nb_h5io_write_dataset(const char *path, hid_t loc, const char *obj, const char *name,
                                nb_h5_dtype dtype, int rank, const hsize_t *dims,
                                const void *data) {
    hid_t space, d;
    nb_status st = create_dataset(path, loc, obj, name, dtype, rank, dims, &space, &d);
    if (st != NB_OK)
        return st;
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    chunk_writer w;
    if (n > 0 && chunk_writer_open(path, obj, d, dtype, rank, dims, &w, &st)) {
        st = chunk_writer_rows(path, obj, &w, data, (size_t)dims[0]);
        if (st == NB_OK)
            st = chunk_writer_flush(path, obj, &w);
        chunk_writer_free(&w);
    } else if (st == NB_OK && n > 0 &&
               H5Dwrite(d, dtype_id(dtype, false), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        st = W_FAIL(path, obj, "the data");
    }
    return close_dataset(path, obj, space, d, st);
}

nb_status nb_h5io_write_dataset_rows(const char *path, hid_t loc, const char *obj, const char *name,
                                     nb_h5_dtype dtype, int rank, const hsize_t *dims,
                                     nb_h5io_rows_fn next, void *user) {
    hid_t space, d; /* the properties nb_h5io_write_dataset gives these dims */
    nb_status st = create_dataset(path, loc, obj, name, dtype, rank, dims, &space, &d);
    if (st != NB_OK)
        return st;
    chunk_writer w;
    const bool chunked = chunk_writer_open(path, obj, d, dtype, rank, dims, &w, &st);
    for (hsize_t done = 0; st == NB_OK && done < dims[0];) {
        size_t rows = 0;
        const void *data = NULL;
        if ((st = next(user, &rows, &data)) != NB_OK)
            break;
        if (rows > dims[0] - done) {
            st = NB_H5IO_RAISE(NB_E_INVALID, path, obj, "%llu rows given for %llu",
                               (unsigned long long)(done + rows), (unsigned long long)dims[0]);
            break;
        }
        if (rows == 0)
            continue;
        if (chunked) {
            st = chunk_writer_rows(path, obj, &w, data, rows);
            done += rows;
            continue;
        }
        hsize_t start[NB_H5IO_MAX_RANK] = {done}, count[NB_H5IO_MAX_RANK] = {rows};
        for (int i = 1; i < rank; i++)
            count[i] = dims[i];
        hid_t mem = H5Screate_simple(rank, count, NULL);
        if (mem < 0 || H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dwrite(d, dtype_id(dtype, false), mem, space, H5P_DEFAULT, data) < 0)
            st = W_FAIL(path, obj, "the data");
        if (mem >= 0)
            H5Sclose(mem);
        done += rows;
    }
    if (chunked) {
        if (st == NB_OK)
            st = chunk_writer_flush(path, obj, &w);
        chunk_writer_free(&w);
    }
    return close_dataset(path, obj, space, d, st);
}

/* Attribute loc/name of file type ftype over `space`, written from buf (memory type mtype);
 * ftype or space < 0 (their setup failed) is a write failure too. */
static nb_status write_attribute(const char *path, hid_t loc, const char *obj, const char *name,
                                 hid_t ftype, hid_t mtype, hid_t space, const void *buf) {
    hid_t a = ftype >= 0 && space >= 0
                  ? H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT)
                  : H5I_INVALID_HID;
    nb_status st = NB_OK;
    if (a < 0 || H5Awrite(a, mtype, buf) < 0) {
        char what[160];
        snprintf(what, sizeof what, "attribute %s", name);
        st = W_FAIL(path, obj, what);
    }
    if (a >= 0)
        H5Aclose(a);
    return st;
}

nb_status nb_h5io_write_scalar(const char *path, hid_t loc, const char *obj, const char *name,
                               nb_h5_dtype dtype, const void *value) {
    hid_t space = H5Screate(H5S_SCALAR);
    nb_status st = write_attribute(path, loc, obj, name, dtype_id(dtype, true),
                                   dtype_id(dtype, false), space, value);
    if (space >= 0)
        H5Sclose(space);
    return st;
}

nb_status nb_h5io_write_strings(const char *path, hid_t loc, const char *obj, const char *name,
                                const char *const *strings, size_t n) {
    size_t count = n ? n : 1, cell = 1;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(strings[i]) + 1;
        if (len > cell)
            cell = len;
    }
    char *buf = calloc(count, cell);
    if (!buf)
        return RAISE(NB_E_NOMEM, path, obj, "cannot allocate attribute %s", name);
    for (size_t i = 0; i < count; i++)
        memcpy(buf + i * cell, strings[i], strlen(strings[i]));
    hid_t t = H5Tcopy(H5T_C_S1);
    bool typed = t >= 0 && H5Tset_size(t, cell) >= 0 && H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0 &&
                 H5Tset_cset(t, H5T_CSET_UTF8) >= 0;
    hsize_t dim = n;
    hid_t space = n ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_SCALAR);
    nb_status st =
        write_attribute(path, loc, obj, name, typed ? t : H5I_INVALID_HID, t, space, buf);
    if (space >= 0)
        H5Sclose(space);
    if (t >= 0)
        H5Tclose(t);
    free(buf);
    return st;
}

/* ---- reading: files, links, datasets -------------------------------------------------- */

nb_status nb_h5io_open_file(const char *path, hid_t *file) {
    char h5m[256];
    if (access(path, R_OK) != 0)
        return RAISE(NB_E_IO, path, NULL, "cannot open: %s", strerror(errno));
    NB_TRY(nb_h5io_check_regular(path));
    /* filters come only from the library itself: a dataset compressed with a plugin filter is
     * refused by name (nb_h5io_check_storage) rather than searched for in plugin folders */
    H5PLset_loading_state(0);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        return RAISE(NB_E_IO, path, NULL, "cannot set up file access: %s", H5MSG());
    }
    *file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    /* every HDF5 API call clears the error stack: take the message before H5Pclose */
    char msg[256];
    snprintf(msg, sizeof msg, "%s", *file >= 0 ? "" : H5MSG());
    H5Pclose(fapl);
    if (*file >= 0)
        return NB_OK;
    htri_t is_h5 = H5Fis_hdf5(path);
    H5Eclear2(H5E_DEFAULT);
    if (is_h5 > 0)
        return RAISE(NB_E_FORMAT, path, NULL, "corrupt or truncated HDF5 file: %s", msg);
    return RAISE(NB_E_IO, path, NULL, "not an HDF5 file (%s)", msg);
}

nb_status nb_h5io_check_regular(const char *path) {
    return nb_input_check_file(path, NULL);
}

nb_status nb_h5io_exists(const char *path, hid_t loc, const char *name, const char *obj,
                         bool *exists) {
    char h5m[256];
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex < 0)
        return RAISE(NB_E_FORMAT, path, obj, "cannot look up: %s", H5MSG());
    *exists = ex > 0;
    return NB_OK;
}

/* loc/name must be a hard link to an object of type `type`. NB_E_MISSING if absent. */
static nb_status check_link(const char *path, hid_t loc, const char *name, H5O_type_t type,
                            const char *obj) {
    char h5m[256];
    const char *kind = type == H5O_TYPE_GROUP ? "group" : "dataset";
    bool exists = false;
    NB_TRY(nb_h5io_exists(path, loc, name, obj, &exists));
    if (!exists)
        return RAISE(NB_E_MISSING, path, obj, "%s not found", kind);
    H5L_info_t li;
    if (H5Lget_info(loc, name, &li, H5P_DEFAULT) < 0)
        return RAISE(NB_E_FORMAT, path, obj, "cannot read the link: %s", H5MSG());
    if (li.type != H5L_TYPE_HARD)
        return RAISE(NB_E_FORMAT, path, obj, "is a soft or external link, not a %s", kind);
    H5O_info_t oi;
    if (H5Oget_info_by_name2(loc, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return RAISE(NB_E_FORMAT, path, obj, "cannot read the object: %s", H5MSG());
    if (oi.type != type)
        return RAISE(NB_E_FORMAT, path, obj, "is not a %s", kind);
    return NB_OK;
}

nb_status nb_h5io_open_group(const char *path, hid_t loc, const char *name, const char *obj,
                             hid_t *group) {
    char h5m[256];
    NB_TRY(check_link(path, loc, name, H5O_TYPE_GROUP, obj));
    *group = H5Gopen2(loc, name, H5P_DEFAULT);
    if (*group < 0)
        return RAISE(NB_E_FORMAT, path, obj, "cannot open the group: %s", H5MSG());
    return NB_OK;
}

/* Checks an open dataset's dtype and rank and gives its dims. */
static nb_status check_header(const char *path, hid_t d, const char *obj, nb_h5_dtype dtype,
                              int rank, hsize_t *dims) {
    char h5m[256];
    hid_t t = H5Dget_type(d);
    hid_t s = H5Dget_space(d);
    nb_status st = NB_OK;
    if (t < 0 || s < 0) {
        st = RAISE(NB_E_FORMAT, path, obj, "cannot read the dataset header: %s", H5MSG());
    } else if (!type_matches(t, dtype)) {
        char found[64];
        describe_type(t, found, sizeof found);
        st = RAISE(NB_E_FORMAT, path, obj, "dtype %s, expected %s", found,
                   nb_h5io_dtype_name(dtype));
    } else {
        int nd = H5Sget_simple_extent_ndims(s);
        if (H5Sget_simple_extent_type(s) != H5S_SIMPLE || nd != rank)
            st = RAISE(NB_E_FORMAT, path, obj, "rank %d, expected %d",
                       H5Sget_simple_extent_type(s) == H5S_SIMPLE ? nd : 0, rank);
        else if (H5Sget_simple_extent_dims(s, dims, NULL) < 0)
            st = RAISE(NB_E_FORMAT, path, obj, "cannot read the shape: %s", H5MSG());
    }
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    return st;
}

/* Is filter `id` one that this reader decodes, and how far can it expand the stored bytes? */
static bool known_filter(H5Z_filter_t id, unsigned *ratio) {
    switch (id) {
    case H5Z_FILTER_DEFLATE:
        *ratio = DEFLATE_MAX_RATIO;
        return H5Zfilter_avail(id) > 0;
    case H5Z_FILTER_SHUFFLE:
    case H5Z_FILTER_FLETCHER32:
        *ratio = 1;
        return true;
    default:
        return false;
    }
}

/* The filters of a chunked dataset: all known; *ratio the product of their expansion bounds. */
static nb_status check_filters(const char *path, hid_t dcpl, const char *obj, double *ratio) {
    int nf = H5Pget_nfilters(dcpl);
    *ratio = 1.0;
    for (int i = 0; i < nf; i++) {
        unsigned flags = 0, conf = 0, r = 1;
        size_t nc = 0;
        char name[64] = "";
        H5Z_filter_t id =
            H5Pget_filter2(dcpl, (unsigned)i, &flags, &nc, NULL, sizeof name, name, &conf);
        if (id < 0 || !known_filter(id, &r)) {
            H5Eclear2(H5E_DEFAULT);
            return RAISE(NB_E_UNSUPPORTED, path, obj,
                         "is stored with HDF5 filter %d%s%s%s, which this reader does not decode "
                         "(it reads deflate/gzip, shuffle and fletcher32 only)",
                         (int)id, name[0] ? " (\"" : "", name, name[0] ? "\")" : "");
        }
        *ratio *= r;
    }
    return NB_OK;
}

nb_status nb_h5io_check_storage(const char *path, hid_t d, const char *obj, hsize_t n) {
    char h5m[256];
    hid_t dcpl = H5Dget_create_plist(d);
    hid_t t = H5Dget_type(d);
    hid_t f = H5Iget_file_id(d);
    hsize_t file_size = 0;
    nb_status st = NB_OK;
    if (dcpl < 0 || t < 0 || f < 0 || H5Fget_filesize(f, &file_size) < 0) {
        st = RAISE(NB_E_FORMAT, path, obj, "cannot read the storage properties: %s", H5MSG());
        goto out;
    }
    H5D_layout_t layout = H5Pget_layout(dcpl);
    int n_ext = H5Pget_external_count(dcpl);
    if (layout == H5D_VIRTUAL) {
        st = RAISE(NB_E_UNSUPPORTED, path, obj,
                   "is a virtual dataset (its data lives in other files); this reader reads "
                   "only data stored in the file itself");
        goto out;
    }
    if (n_ext != 0) {
        char ext[256] = "?";
        off_t off = 0;
        hsize_t sz = 0;
        if (n_ext < 0 || H5Pget_external(dcpl, 0, sizeof ext, ext, &off, &sz) < 0)
            snprintf(ext, sizeof ext, "?");
        ext[sizeof ext - 1] = '\0';
        st = RAISE(NB_E_UNSUPPORTED, path, obj,
                   "has external storage (its data lives in \"%s\", outside the file); this "
                   "reader reads only data stored in the file itself",
                   ext);
        goto out;
    }
    if (layout != H5D_CONTIGUOUS && layout != H5D_COMPACT && layout != H5D_CHUNKED) {
        st = RAISE(NB_E_UNSUPPORTED, path, obj, "has an unknown storage layout (%d)", (int)layout);
        goto out;
    }
    size_t esize = H5Tget_size(t);
    double bytes = (double)n * (double)esize;
    double most = (double)file_size;
    const char *why = "the file's size";
    if (layout == H5D_CHUNKED) {
        double ratio = 1.0;
        st = check_filters(path, dcpl, obj, &ratio);
        if (st != NB_OK)
            goto out;
        hsize_t stored = H5Dget_storage_size(d);
        if (stored > file_size)
            stored = file_size;
        most = (double)stored * ratio;
        why = ratio > 1.0 ? "its stored bytes times deflate's largest ratio (1032)"
                          : "its stored bytes";
    } else if (layout == H5D_CONTIGUOUS && n > 0) {
        hsize_t stored = H5Dget_storage_size(d);
        if (stored < (hsize_t)bytes) {
            char want[32], have[32];
            nb_input_human((size_t)bytes, want, sizeof want);
            nb_input_human((size_t)stored, have, sizeof have);
            st = RAISE(NB_E_FORMAT, path, obj,
                       "declares %llu elements (%s) but only %s of them are stored in the "
                       "file (never written, or truncated)",
                       (unsigned long long)n, want, have);
            goto out;
        }
    }
    if (bytes > most) {
        char want[32], cap[32];
        nb_input_human(bytes >= 1.8e19 ? SIZE_MAX : (size_t)bytes, want, sizeof want);
        nb_input_human((size_t)(most < 1.8e19 ? most : 1.8e19), cap, sizeof cap);
        st = RAISE(NB_E_FORMAT, path, obj,
                   "declares %llu elements (%s), more than %s allows (%s): the file does "
                   "not hold this data",
                   (unsigned long long)n, want, why, cap);
        goto out;
    }
    {
        char subject[512];
        nb_h5io_subject(subject, sizeof subject, path, obj);
        st = nb_input_check(bytes >= 1.8e19 ? SIZE_MAX : (size_t)bytes, subject,
                            "reading the dataset");
    }
out:
    if (f >= 0)
        H5Fclose(f);
    if (t >= 0)
        H5Tclose(t);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return st;
}

nb_status nb_h5io_open_dataset(const char *path, hid_t loc, const char *name, const char *obj,
                               nb_h5_dtype dtype, int rank, hsize_t *dims, hid_t *dataset) {
    char h5m[256];
    *dataset = H5I_INVALID_HID;
    NB_TRY(check_link(path, loc, name, H5O_TYPE_DATASET, obj));
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return RAISE(NB_E_FORMAT, path, obj, "cannot open the dataset: %s", H5MSG());
    nb_status st = check_header(path, d, obj, dtype, rank, dims);
    if (st != NB_OK) {
        H5Dclose(d);
        return st;
    }
    *dataset = d;
    return NB_OK;
}

nb_status nb_h5io_read_open(const char *path, hid_t dataset, const char *obj, nb_h5_dtype dtype,
                            hsize_t n, void *buf) {
    char h5m[256];
    if (n > 0 && H5Dread(dataset, dtype_id(dtype, false), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        return RAISE(NB_E_FORMAT, path, obj, "cannot read the data: %s", H5MSG());
    return NB_OK;
}

nb_status nb_h5io_read_dataset(const char *path, hid_t loc, const char *name, const char *obj,
                               nb_h5_dtype dtype, int rank, const hsize_t *want, void *buf) {
    hid_t d = H5I_INVALID_HID;
    hsize_t dims[NB_H5IO_MAX_RANK];
    NB_TRY(nb_h5io_open_dataset(path, loc, name, obj, dtype, rank, dims, &d));
    nb_status st = NB_OK;
    hsize_t n = 1;
    for (int i = 0; i < rank; i++) {
        n *= want[i];
        if (dims[i] != want[i] && st == NB_OK) {
            char g[96], w[96];
            nb_h5io_dims_text(dims, rank, g, sizeof g);
            nb_h5io_dims_text(want, rank, w, sizeof w);
            st = RAISE(NB_E_FORMAT, path, obj, "shape %s, expected %s", g, w);
        }
    }
    if (st == NB_OK)
        st = nb_h5io_check_storage(path, d, obj, n);
    if (st == NB_OK)
        st = nb_h5io_read_open(path, d, obj, dtype, n, buf);
    H5Dclose(d);
    return st;
}

/* ---- reading: attributes -------------------------------------------------------------- */

/* Opens attribute `name` of loc; *a < 0 if absent (NB_OK unless required). The dataspace
 * must hold exactly one element (scalar or [1]) unless n_expected > 0 (a 1-D array of that
 * many). */
static nb_status open_attr(const char *path, hid_t loc, const char *name, const char *obj,
                           bool required, hsize_t n_expected, hid_t *a) {
    char h5m[256];
    *a = H5I_INVALID_HID;
    htri_t ex = H5Aexists(loc, name);
    if (ex < 0)
        return RAISE(NB_E_FORMAT, path, obj, "cannot look up the attribute: %s", H5MSG());
    if (ex == 0)
        return required ? RAISE(NB_E_MISSING, path, obj, "attribute not found") : NB_OK;
    hid_t id = H5Aopen(loc, name, H5P_DEFAULT);
    if (id < 0)
        return RAISE(NB_E_FORMAT, path, obj, "cannot open the attribute: %s", H5MSG());
    hid_t s = H5Aget_space(id);
    hssize_t npts = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    int nd = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    if (s >= 0)
        H5Sclose(s);
    bool ok = n_expected ? (nd == 1 && npts == (hssize_t)n_expected) : (npts == 1 && nd <= 1);
    if (!ok) {
        H5Aclose(id);
        if (n_expected)
            return RAISE(NB_E_FORMAT, path, obj, "%lld values (rank %d), expected %llu",
                         (long long)npts, nd, (unsigned long long)n_expected);
        return RAISE(NB_E_FORMAT, path, obj, "%lld values, expected a single value",
                     (long long)npts);
    }
    *a = id;
    return NB_OK;
}

/* Opens attribute `name` of a numeric class (H5T_INTEGER, or H5T_FLOAT too with
 * `or_float`); *a < 0 if absent and optional. */
static nb_status open_number(const char *path, hid_t loc, const char *name, const char *obj,
                             bool required, bool or_float, hid_t *a) {
    NB_TRY(open_attr(path, loc, name, obj, required, 0, a));
    if (*a < 0)
        return NB_OK;
    hid_t t = H5Aget_type(*a);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    nb_status st = NB_OK;
    if (c != H5T_INTEGER && !(or_float && c == H5T_FLOAT)) {
        char found[64] = "?";
        if (t >= 0)
            describe_type(t, found, sizeof found);
        st = RAISE(NB_E_FORMAT, path, obj, "dtype %s, expected %s", found,
                   or_float ? "a number" : "an integer");
        H5Aclose(*a);
        *a = H5I_INVALID_HID;
    }
    if (t >= 0)
        H5Tclose(t);
    return st;
}

nb_status nb_h5io_read_int(const char *path, hid_t loc, const char *name, const char *gobj,
                           bool required, bool is_unsigned, void *value) {
    char obj[NB_H5IO_OBJ_MAX], h5m[256];
    snprintf(obj, sizeof obj, "%s %s", gobj, name);
    hid_t a = H5I_INVALID_HID;
    NB_TRY(open_number(path, loc, name, obj, required, false, &a));
    if (a < 0)
        return NB_OK;
    nb_status st = NB_OK;
    /* HDF5 converts a negative signed value to an unsigned type as 0 (and a value over
     * INT64_MAX to a signed one as INT64_MAX): read in the file's own signedness and refuse
     * what the target cannot hold */
    hid_t ft = H5Aget_type(a);
    bool file_signed = ft >= 0 && H5Tget_sign(ft) == H5T_SGN_2;
    if (ft >= 0)
        H5Tclose(ft);
    if (file_signed) {
        int64_t x = 0;
        if (H5Aread(a, H5T_NATIVE_INT64, &x) < 0)
            st = RAISE(NB_E_FORMAT, path, obj, "cannot read: %s", H5MSG());
        else if (is_unsigned && x < 0)
            st = RAISE(NB_E_FORMAT, path, obj, "%lld, expected a value >= 0", (long long)x);
        else if (is_unsigned)
            *(uint64_t *)value = (uint64_t)x;
        else
            *(int64_t *)value = x;
    } else {
        uint64_t x = 0;
        if (H5Aread(a, H5T_NATIVE_UINT64, &x) < 0)
            st = RAISE(NB_E_FORMAT, path, obj, "cannot read: %s", H5MSG());
        else if (!is_unsigned && x > (uint64_t)INT64_MAX)
            st = RAISE(NB_E_FORMAT, path, obj, "%llu, expected a value <= %lld",
                       (unsigned long long)x, (long long)INT64_MAX);
        else if (is_unsigned)
            *(uint64_t *)value = x;
        else
            *(int64_t *)value = (int64_t)x;
    }
    H5Aclose(a);
    return st;
}

nb_status nb_h5io_read_i64(const char *path, hid_t loc, const char *name, const char *gobj,
                           bool required, int64_t min, int64_t max, int64_t *value) {
    int64_t x = *value;
    NB_TRY(nb_h5io_read_int(path, loc, name, gobj, required, false, &x));
    if (x < min || x > max) {
        char obj[NB_H5IO_OBJ_MAX];
        snprintf(obj, sizeof obj, "%s %s", gobj, name);
        return RAISE(NB_E_FORMAT, path, obj, "%lld, expected %lld..%lld", (long long)x,
                     (long long)min, (long long)max);
    }
    *value = x;
    return NB_OK;
}

nb_status nb_h5io_read_f64(const char *path, hid_t loc, const char *name, const char *gobj,
                           bool required, double *value) {
    char obj[NB_H5IO_OBJ_MAX], h5m[256];
    snprintf(obj, sizeof obj, "%s %s", gobj, name);
    hid_t a = H5I_INVALID_HID;
    NB_TRY(open_number(path, loc, name, obj, required, true, &a));
    if (a < 0)
        return NB_OK;
    double x = 0;
    nb_status st = NB_OK;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, &x) < 0)
        st = RAISE(NB_E_FORMAT, path, obj, "cannot read: %s", H5MSG());
    else if (isinf(x))
        st = RAISE(NB_E_NUMERIC, path, obj, "infinite value");
    H5Aclose(a);
    if (st == NB_OK)
        *value = x;
    return st;
}

/* Copies `count` strings of at most max_len bytes into malloc'd out[]; *done counts them. */
static nb_status copy_strings(const char *path, const char *obj, const char *const *src,
                              size_t count, size_t max_len, char **out, size_t *done) {
    for (; *done < count; (*done)++) {
        const char *s = src[*done] ? src[*done] : "";
        size_t len = strlen(s);
        if (len > max_len)
            return RAISE(NB_E_FORMAT, path, obj, "string %zu has %zu bytes, at most %zu", *done,
                         len, max_len);
        out[*done] = malloc(len + 1);
        if (!out[*done])
            return RAISE(NB_E_NOMEM, path, obj, "cannot allocate");
        memcpy(out[*done], s, len + 1);
    }
    return NB_OK;
}

/* Variable-length strings (h5py's default) through HDF5's own buffers. */
static nb_status read_vlen_strings(const char *path, hid_t a, hid_t mt, const char *obj,
                                   size_t count, size_t max_len, char **out, size_t *done) {
    char h5m[256];
    char **ptrs = calloc(count, sizeof *ptrs);
    if (!ptrs)
        return RAISE(NB_E_NOMEM, path, obj, "cannot allocate");
    if (H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Aread(a, mt, ptrs) < 0) {
        free(ptrs);
        return RAISE(NB_E_FORMAT, path, obj, "cannot read: %s", H5MSG());
    }
    nb_status st = copy_strings(path, obj, (const char *const *)ptrs, count, max_len, out, done);
    hid_t space = H5Aget_space(a);
    H5Dvlen_reclaim(mt, space, H5P_DEFAULT, ptrs);
    H5Sclose(space);
    free(ptrs);
    return st;
}

/* Fixed-length strings of `size` bytes each, terminated or not. */
static nb_status read_fixed_strings(const char *path, hid_t a, hid_t mt, const char *obj,
                                    size_t size, size_t count, size_t max_len, char **out,
                                    size_t *done) {
    char h5m[256];
    if (size == 0 || size > max_len + 1)
        return RAISE(NB_E_FORMAT, path, obj, "fixed-length string of %zu bytes, at most %zu", size,
                     max_len);
    if (H5Tset_size(mt, size + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0)
        return RAISE(NB_E_FORMAT, path, obj, "cannot read: %s", H5MSG());
    char *buf = calloc(count, size + 1);
    if (!buf)
        return RAISE(NB_E_NOMEM, path, obj, "cannot allocate");
    nb_status st = NB_OK;
    if (H5Aread(a, mt, buf) < 0)
        st = RAISE(NB_E_FORMAT, path, obj, "cannot read: %s", H5MSG());
    /* each cell is NUL-terminated by the memory type's extra byte */
    const char **cells = st == NB_OK ? calloc(count, sizeof *cells) : NULL;
    if (st == NB_OK && !cells)
        st = RAISE(NB_E_NOMEM, path, obj, "cannot allocate");
    if (st == NB_OK) {
        for (size_t i = 0; i < count; i++)
            cells[i] = buf + i * (size + 1);
        st = copy_strings(path, obj, cells, count, max_len, out, done);
    }
    free(cells);
    free(buf);
    return st;
}

nb_status nb_h5io_read_strings(const char *path, hid_t loc, const char *name, const char *gobj,
                               bool required, size_t n, size_t max_len, char **out, bool *found) {
    char obj[NB_H5IO_OBJ_MAX], h5m[256];
    snprintf(obj, sizeof obj, "%s %s", gobj, name);
    *found = false;
    hid_t a = H5I_INVALID_HID;
    NB_TRY(open_attr(path, loc, name, obj, required, n, &a));
    if (a < 0)
        return NB_OK;
    size_t count = n ? n : 1, done = 0;
    hid_t ft = H5Aget_type(a), mt = H5I_INVALID_HID;
    nb_status st = NB_OK;
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING) {
        char found_t[64] = "?";
        if (ft >= 0)
            describe_type(ft, found_t, sizeof found_t);
        st = RAISE(NB_E_FORMAT, path, obj, "dtype %s, expected a string", found_t);
    } else if ((mt = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_cset(mt, H5Tget_cset(ft)) < 0) {
        /* HDF5 converts no strings between character sets: read in the file's own */
        st = RAISE(NB_E_FORMAT, path, obj, "cannot read: %s", H5MSG());
    } else if (H5Tis_variable_str(ft) > 0) {
        st = read_vlen_strings(path, a, mt, obj, count, max_len, out, &done);
    } else {
        st = read_fixed_strings(path, a, mt, obj, H5Tget_size(ft), count, max_len, out, &done);
    }
    if (st != NB_OK)
        for (size_t i = 0; i < done; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    else
        *found = true;
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    H5Aclose(a);
    return st;
}

nb_status nb_h5io_read_string_buf(const char *path, hid_t loc, const char *name, const char *gobj,
                                  bool required, char *dst, size_t cap) {
    char *s = NULL;
    bool found;
    NB_TRY(nb_h5io_read_strings(path, loc, name, gobj, required, 0, cap - 1, &s, &found));
    if (found) {
        memcpy(dst, s, strlen(s) + 1);
        free(s);
    }
    return NB_OK;
}
