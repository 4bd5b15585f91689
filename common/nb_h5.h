/* nb_h5.h - reading and writing .nnb.h5 files (HDF5).
 *
 * Layout (docs/file_format.md; as data in nb_h5_schema.h/.c, the one place that names the
 * file's groups, datasets and attributes): root attributes format = "nnbundle",
 * format_version = 1 (2 with an operator chain, /network/ops), software_version; groups
 * /network, /importance, /bundle.
 * Readers validate everything: presence of datasets, dtypes, shapes against layer_sizes,
 * finite values, offsets monotone and in range, node ids in range. A file that lies gets
 * NB_E_FORMAT (or NB_E_NUMERIC for NaN/Inf) naming "path /group/dataset" and the reason;
 * a missing group or dataset is NB_E_MISSING. Never a crash.
 * Writers write the whole model through nb_file (a temporary file beside path, fsync,
 * rename, directory fsync), so an interrupted run never leaves a half-written file and
 * readers never see one.
 */
#ifndef NB_H5_H
#define NB_H5_H

#include "nb_file.h"
#include "nb_model.h"
#include "nb_status.h"

/* The newest format this code reads and writes (2: /network/ops, the operator chain). Files
 * of a network without operators are written as version 1, which every reader reads. */
#define NB_FORMAT_VERSION       2
#define NB_FORMAT_VERSION_DENSE 1

/* Sane upper bounds: a file that declares more is NB_E_FORMAT before anything is allocated
 * (a lying header cannot make the reader allocate terabytes). Writers refuse the same. */
#define NB_H5_MAX_LAYERS     1024      /* L */
#define NB_H5_MAX_LAYER_SIZE (1 << 24) /* n_l */
#define NB_H5_MAX_ELEMENTS                                                                         \
    ((size_t)1 << 30)                           /* weights in total; nodes x classes;              \
                                                   hidden nodes x top_k */
#define NB_H5_MAX_POINTS      ((size_t)1 << 30) /* S, bundle polyline points */
#define NB_H5_MAX_TOP_K       1024
#define NB_H5_MAX_CONFIG_JSON (1 << 20) /* bytes of /bundle config_json */

/* Reads every group present in `path` into *m (zeroed first). A file without /network is
 * NB_E_MISSING. Returns NB_OK, NB_E_IO (cannot open / not HDF5), NB_E_FORMAT, NB_E_NUMERIC,
 * NB_E_MISSING, NB_E_NOMEM. On failure *m is zeroed (nothing to free).
 * Subjects: "<path>" for the file itself, "<path> /group/dataset" for a dataset,
 * "<path> /group name" for an attribute (e.g. "m.nnb.h5 /network n_classes").
 * NB_E_FORMAT also covers a truncated/corrupt HDF5 file, a missing or wrong root "format"
 * attribute and a format_version newer than NB_FORMAT_VERSION. A missing /importance or
 * /bundle group just leaves has_importance / has_bundle false; inside a present group every
 * dataset is required (NB_E_MISSING), except /importance/finetune_accuracy (NaN if absent).
 * Attributes other than the root's format/format_version are optional (the defaults of
 * nb_network_init / nb_importance_init / nb_bundle_data_init apply); string attributes may
 * be fixed- or variable-length, integer attributes any integer dtype, float attributes any
 * float or integer dtype. Contents are then checked with nb_model_validate. */
nb_status nb_h5_load(const char *path, nb_model *m);

/* nb_h5_load without one optional group: skip_group ("importance" or "bundle", with or
 * without the leading '/'; NULL: none) is neither read nor validated and its has_ flag stays
 * false, so a command that replaces it never holds the old one (`nnbundle bundle`: the old
 * /bundle's polylines, 12 bytes per point). Statuses, subjects and ownership as nb_h5_load,
 * plus NB_E_INVALID (subject `path`) for a skip_group that is not an optional group (the
 * required "network" included); the file is not opened then. */
nb_status nb_h5_load_except(const char *path, const char *skip_group, nb_model *m);

/* Writes every present group of *m to `path` atomically (temp + rename). Existing content of
 * `path` is replaced; to add a group, load, set it, save. Returns NB_OK, NB_E_IO (subject
 * `path`, HDF5's or the OS's reason), NB_E_INVALID (no network), or the status of
 * nb_model_validate (NB_E_FORMAT / NB_E_NUMERIC / NB_E_MISMATCH: we never write a file the
 * reader would reject). On failure `path` is untouched and no temporary file is left.
 * Strings (class_names, activation, ...) are written as fixed-length, NUL-terminated UTF-8
 * (one cell of longest + 1 bytes per string; not variable-length, whose global-heap storage
 * HDF5 1.10 cannot read safely when corrupted), in the HDF5 1.8 file format; integers as
 * int64 (seed, n_edges_total: uint64); floats as float64. Datasets over 64 KiB are chunked
 * with shuffle + deflate level 1. Layout: docs/file_format.md. */
nb_status nb_h5_save(const char *path, const nb_model *m);

/* nb_h5_save up to the rename: on NB_OK *a holds the complete, closed temporary file beside
 * `path`, for nb_file_atomic_commit (or nb_file_atomic_abort) once the command's other
 * outputs are in place. Statuses as nb_h5_save; on failure *a is zeroed, nothing on disk. */
nb_status nb_h5_save_prepare(const char *path, const nb_model *m, nb_file_atomic *a);

/* The points of /bundle/point_position, piece by piece, for a bundle that is never in memory
 * at once: next() gives the next *n_points points float32[n][3] at *points (borrowed until
 * the next call); the pieces, in order, add up to the bundle's n_points. next returns NB_OK or
 * a status that stops the write. */
typedef struct nb_h5_point_source {
    nb_status (*next)(void *user, size_t *n_points, const float **points);
    void *user;
} nb_h5_point_source;

/* nb_h5_save_prepare with the bundle's points from `points` (m->bundle.point_position is not
 * read and may be NULL; m->bundle.n_points is the count): the same file, dataset for dataset
 * (same shapes, chunks and filters: point_position is created at its full size and written
 * in hyperslabs as the pieces come), validated as nb_h5_save_prepare validates, the points as
 * they come (NB_E_NUMERIC "<path> /bundle/point_position": "NaN at [i, k]"). Statuses as
 * nb_h5_save_prepare, NB_E_INVALID (no point source, no bundle, more points than n_points)
 * and next's; on failure *a is zeroed and nothing is left on disk. */
nb_status nb_h5_save_prepare_streamed(const char *path, const nb_model *m,
                                      const nb_h5_point_source *points, nb_file_atomic *a);

/* Checks a model as the reader and writer do: the network's shape (L >= 2, sizes >= 1, the
 * NB_H5_MAX_* bounds), n_classes = output size, class names present, finite weights and
 * biases, accuracies NaN or in [0, 1]; importance shapes equal to the network's
 * (NB_E_MISMATCH), node and edge importance finite and in [0, 1] (NB_E_NUMERIC), top
 * indices >= -1; bundle layer_offset = cumulative layer sizes, node/point positions finite,
 * edge ids < N and in adjacent layers (source layer l, target l+1), edge_point_offset
 * starting at 0, increasing by >= 2 per edge and ending at n_points, edge_alpha in [0, 1],
 * no infinite metric (NaN = not measured). importance or bundle without a network is
 * NB_E_MISSING. Returns NB_OK or the first failure, subject "<path> /group/dataset"
 * (`path` may be NULL: "model"). */
nb_status nb_model_validate(const nb_model *m, const char *path);

#endif /* NB_H5_H */
