/* nb_h5.h - reading and writing .nnb.h5 files (HDF5).
 *
 * Layout (DESIGN.md, docs/file_format.md): root attributes format = "nnbundle",
 * format_version = 1, software_version; groups /network, /importance, /bundle.
 * Readers validate everything: presence of datasets, dtypes, shapes against layer_sizes,
 * finite values, offsets monotone and in range, node ids in range. A file that lies gets
 * NB_E_FORMAT (or NB_E_NUMERIC for NaN/Inf) naming "path /group/dataset" and the reason;
 * a missing group or dataset is NB_E_MISSING. Never a crash.
 * Writers write the whole model to "<path>.tmp.<pid>" and rename it over path, so an
 * interrupted run never leaves a half-written file and readers never see one.
 */
#ifndef NB_H5_H
#define NB_H5_H

#include "nb_model.h"
#include "nb_status.h"

#define NB_FORMAT_VERSION 1

/* Reads every group present in `path` into *m (zeroed first). A file without /network is
 * NB_E_MISSING. Returns NB_OK, NB_E_IO (cannot open / not HDF5), NB_E_FORMAT, NB_E_NUMERIC,
 * NB_E_MISSING, NB_E_NOMEM. On failure *m is zeroed (nothing to free). */
nb_status nb_h5_load(const char *path, nb_model *m);

/* Writes every present group of *m to `path` atomically (temp + rename). Existing content of
 * `path` is replaced; to add a group, load, set it, save. Returns NB_OK, NB_E_IO,
 * NB_E_INVALID (inconsistent model). On failure `path` is untouched. */
nb_status nb_h5_save(const char *path, const nb_model *m);

/* Checks that importance/bundle shapes agree with the network (used by readers and writers).
 * Returns NB_OK or NB_E_MISMATCH/NB_E_FORMAT naming `path` and the group. */
nb_status nb_model_validate(const nb_model *m, const char *path);

#endif /* NB_H5_H */
