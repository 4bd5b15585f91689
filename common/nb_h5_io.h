/* nb_h5_io.h - typed HDF5 primitives for the .nnb.h5 engine (private to common/).
 *
 * One dataset or one attribute at a time, in the dtypes of nb_h5_schema.h, with errors that
 * name the file and the object: subjects read "<path> /group/dataset" for datasets and
 * "<path> /group attribute" for attributes (`obj` below is the part after the path; a NULL
 * path reads "model"). HDF5 failures become NB_E_IO (writing) or NB_E_FORMAT (reading) with
 * HDF5's innermost message appended. Callers switch HDF5's own error printing off around a
 * whole save or load (nb_h5io_quiet_begin/end). Nothing here knows the schema's names.
 * Threading: no state of ours; HDF5's error-printing switch is per thread.
 */
#ifndef NB_H5_IO_H
#define NB_H5_IO_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_h5_schema.h"
#include "nb_status.h"

#define NB_H5IO_OBJ_MAX  160 /* "/group/subgroup/dataset" or "/group attribute" */
#define NB_H5IO_MAX_RANK 4   /* datasets have rank 1..4 (4: convolution kernels) */

/* Raises `st` with subject "<path> <obj>" (obj NULL or "": "<path>"). */
nb_status nb_h5io_raise(nb_status st, int line, const char *path, const char *obj, const char *fmt,
                        ...) __attribute__((format(printf, 5, 6)));
#define NB_H5IO_RAISE(st, path, obj, ...) nb_h5io_raise((st), __LINE__, (path), (obj), __VA_ARGS__)

/* "<path> <obj>" into buf, as the raise above words it. */
void nb_h5io_subject(char *buf, size_t cap, const char *path, const char *obj);

/* HDF5's innermost error message of the current stack ("HDF5 error" if none), into buf;
 * clears the stack. */
const char *nb_h5io_message(char buf[256]);

/* HDF5's automatic error printing off, and back to what it was. */
typedef struct nb_h5io_quiet {
    H5E_auto2_t func;
    void *data;
} nb_h5io_quiet;
void nb_h5io_quiet_begin(nb_h5io_quiet *q);
void nb_h5io_quiet_end(const nb_h5io_quiet *q);

/* Bytes per element of a numeric dtype, and "float32", "uint64", ... */
size_t nb_h5io_dtype_size(nb_h5_dtype t);
const char *nb_h5io_dtype_name(nb_h5_dtype t);

/* "6x5" for dims of a rank (0: "scalar"). */
void nb_h5io_dims_text(const hsize_t *dims, int rank, char *buf, size_t cap);

/* ---- writing (path: the target file, for subjects) ---------------------------------- */

/* A group loc/name; < 0 with *st raised (NB_E_IO) on failure. */
hid_t nb_h5io_create_group(const char *path, hid_t loc, const char *name, const char *obj,
                           nb_status *st);

/* A dataset of dtype with the given dims (rank 1..NB_H5IO_MAX_RANK) and contents `data` (the C type
 * of the dtype, row-major); over 64 KiB it is chunked by whole rows (~256 KiB) with shuffle and
 * deflate level 1, the chunks compressed on omp_get_max_threads() threads (HDF5's own bytes;
 * nb_h5_io.c). `data` is only read. NB_OK, NB_E_IO, or NB_E_NOMEM (no room for the 16-chunk
 * compression buffers, about 8 MiB). */
nb_status nb_h5io_write_dataset(const char *path, hid_t loc, const char *obj, const char *name,
                                nb_h5_dtype dtype, int rank, const hsize_t *dims, const void *data);

/* Gives the next rows of a dataset written in pieces: *n_rows rows at *rows (the dtype's C
 * type, row-major), borrowed until the next call. NB_OK or a status that stops the write. */
typedef nb_status (*nb_h5io_rows_fn)(void *user, size_t *n_rows, const void **rows);

/* nb_h5io_write_dataset for data that is never in memory at once: the dataset is created with
 * dims and the chunking and filters nb_h5io_write_dataset gives those dims (so a reader sees
 * the same dataset), then filled from next() piece by piece (hyperslabs of whole rows, in
 * order) until dims[0] rows are written. NB_OK, NB_E_IO, NB_E_INVALID (next gave more rows
 * than dims[0]), NB_E_NOMEM (as nb_h5io_write_dataset), or next's status. */
nb_status nb_h5io_write_dataset_rows(const char *path, hid_t loc, const char *obj, const char *name,
                                     nb_h5_dtype dtype, int rank, const hsize_t *dims,
                                     nb_h5io_rows_fn next, void *user);

/* A scalar attribute of a numeric dtype; value points to that dtype's C type. */
nb_status nb_h5io_write_scalar(const char *path, hid_t loc, const char *obj, const char *name,
                               nb_h5_dtype dtype, const void *value);

/* A string attribute: scalar (n == 0, strings[0]) or a 1-D array of n, as fixed-length
 * NUL-terminated UTF-8 cells of (longest + 1) bytes. Fixed rather than variable length: the
 * strings then live in the attribute itself, not in HDF5's global heap, whose corruption
 * HDF5 1.10 does not survive. NB_OK, NB_E_IO, NB_E_NOMEM. */
nb_status nb_h5io_write_strings(const char *path, hid_t loc, const char *obj, const char *name,
                                const char *const *strings, size_t n);

/* ---- reading (path: the file read, for subjects) ------------------------------------ */

/* Opens path read-only, telling "cannot open" (NB_E_IO), "not an HDF5 file" (NB_E_IO) and
 * "corrupt or truncated HDF5 file" (NB_E_FORMAT) apart. */
nb_status nb_h5io_open_file(const char *path, hid_t *file);

/* NB_OK when path is a regular file (after symbolic links); NB_E_IO "is a directory", "is a
 * FIFO (named pipe)", "is a character device", ... otherwise, before anything opens it (a FIFO
 * would block the reader forever). */
nb_status nb_h5io_check_regular(const char *path);

/* The closed-reader checks of an open dataset of n elements, before anything is allocated for
 * it: no virtual layout and no external storage (data outside the file: NB_E_UNSUPPORTED), only
 * filters this reader decodes (deflate, shuffle, fletcher32: others NB_E_UNSUPPORTED naming the
 * filter, never a plugin search), the declared bytes within what the file can hold (contiguous:
 * stored in full and at most the file's size; compact: at most the file's size; chunked: at
 * most the stored bytes, times 1032 with deflate; else NB_E_FORMAT) and within the memory
 * limit (nb_limit_check, NB_E_NOMEM). Subject "<path> <obj>". */
nb_status nb_h5io_check_storage(const char *path, hid_t dataset, const char *obj, hsize_t n);

/* Whether loc/name exists as a link: NB_OK with *exists, or NB_E_FORMAT if HDF5 cannot tell. */
nb_status nb_h5io_exists(const char *path, hid_t loc, const char *name, const char *obj,
                         bool *exists);

/* Opens the group loc/name, which must be a hard link to a group: NB_E_MISSING "group not
 * found", NB_E_FORMAT for a soft or external link or another kind of object. */
nb_status nb_h5io_open_group(const char *path, hid_t loc, const char *name, const char *obj,
                             hid_t *group);

/* Opens dataset loc/name (a hard link to a dataset, else NB_E_MISSING / NB_E_FORMAT), checks
 * its dtype ("dtype float64, expected float32") and rank, and gives its dims[rank]. */
nb_status nb_h5io_open_dataset(const char *path, hid_t loc, const char *name, const char *obj,
                               nb_h5_dtype dtype, int rank, hsize_t *dims, hid_t *dataset);

/* Reads all n elements of an open dataset into buf (the dtype's C type). */
nb_status nb_h5io_read_open(const char *path, hid_t dataset, const char *obj, nb_h5_dtype dtype,
                            hsize_t n, void *buf);

/* Reads loc/name, which must be dtype with exactly the dims `want` ("shape 6x5, expected
 * 5x6"), into buf. */
nb_status nb_h5io_read_dataset(const char *path, hid_t loc, const char *name, const char *obj,
                               nb_h5_dtype dtype, int rank, const hsize_t *want, void *buf);

/* Attributes (obj of the group, e.g. "/network"; the subject adds the name). An absent
 * attribute is NB_E_MISSING if `required`, else NB_OK with the output untouched. */

/* An integer attribute of any integer dtype, as int64 (is_unsigned false) or uint64. */
nb_status nb_h5io_read_int(const char *path, hid_t loc, const char *name, const char *gobj,
                           bool required, bool is_unsigned, void *value);

/* A signed integer attribute in [min, max] ("-3, expected 0..2147483647"). */
nb_status nb_h5io_read_i64(const char *path, hid_t loc, const char *name, const char *gobj,
                           bool required, int64_t min, int64_t max, int64_t *value);

/* A float or integer attribute as double; NaN allowed, infinity is NB_E_NUMERIC. */
nb_status nb_h5io_read_f64(const char *path, hid_t loc, const char *name, const char *gobj,
                           bool required, double *value);

/* String attribute(s), fixed or variable length: n == 0 reads a scalar into out[0], else a
 * 1-D array of exactly n. Each string is malloc'd (caller frees); one longer than max_len
 * bytes fails. *found says whether the attribute was there. */
nb_status nb_h5io_read_strings(const char *path, hid_t loc, const char *name, const char *gobj,
                               bool required, size_t n, size_t max_len, char **out, bool *found);

/* A scalar string attribute into dst (cap bytes with the NUL). */
nb_status nb_h5io_read_string_buf(const char *path, hid_t loc, const char *name, const char *gobj,
                                  bool required, char *dst, size_t cap);

#endif /* NB_H5_IO_H */
