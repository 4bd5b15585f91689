/* nb_h5_ops.h - the operator chain of /network in .nnb.h5 files (private to common/).
 *
 * /network/ops (format_version 2): the input shape, the operator count and one subgroup per
 * operator, as the operator tables of nb_h5_schema.h describe. nb_h5.c calls these for the
 * /network group; docs/file_format.md lists the layout.
 */
#ifndef NB_H5_OPS_H
#define NB_H5_OPS_H

#include <hdf5.h>

#include "nb_model.h"
#include "nb_status.h"

/* Writes /network/ops into the open /network group `net_group` of the file for `path` (the
 * target, for subjects). Nothing is written when net->n_ops == 0. The chain must have passed
 * nb_h5_ops_validate. NB_OK or NB_E_IO. */
nb_status nb_h5_ops_write(const char *path, hid_t net_group, const nb_network *net);

/* Reads /network/ops, when present, from the open /network group into net (allocated by
 * nb_network_init: n_ops 0, ops NULL): the count and every operator's kind and shapes are
 * read and bounded (nb_h5_op_check) before its arrays are allocated; every array has the
 * exact shape its operator's recorded shapes give. Without the group net is unchanged (a
 * classic dense network). On failure the operators read so far stay in net (n_ops counts
 * them all; nb_network_deinit frees them). NB_OK, NB_E_MISSING (an attribute or dataset),
 * NB_E_FORMAT (unknown kind, wrong dtype or shape, bad count), NB_E_NUMERIC, NB_E_NOMEM;
 * subjects "<path> /network/ops/003[/weight| kind]". The values are checked by
 * nb_h5_ops_validate afterwards (nb_model_validate). */
nb_status nb_h5_ops_read(const char *path, hid_t net_group, nb_network *net);

#endif /* NB_H5_OPS_H */
