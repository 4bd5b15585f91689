/* nb_h5_ops.c - writing and reading /network/ops, the operator chain of a .nnb.h5 file.
 *
 * DESIGN: the layout is data (nb_h5_op_attrs and nb_h5_op_datasets in nb_h5_schema.c: per
 * attribute and dataset, the operator kinds that have it); this file walks those tables with
 * the typed HDF5 calls of nb_h5_io.c. Writing: the group's input shape and count, then per
 * operator a subgroup "%03zu" with its kind, its kind's attributes (size_t and bool as int64,
 * float as float64) and its datasets (a NULL bias is not written). Reading never trusts the
 * file: the count is bounded (NB_H5_MAX_OPS) and must equal the subgroups present; each
 * operator's kind is parsed (an unknown one is an error naming it), its attributes read in
 * their ranges and its shapes checked (nb_h5_op_check) before any array is allocated; every
 * dataset must have the exact dtype and shape the recorded shapes give. Finite values and
 * the match with the graph view are nb_h5_ops_validate's, run by nb_model_validate at the end
 * of the load. Threading: no state. Reads no config keys.
 */
#include "nb_h5_ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_h5.h"
#include "nb_h5_io.h"
#include "nb_input.h"
#include "nb_h5_schema.h"

#define RAISE   NB_H5IO_RAISE
#define OBJ_MAX NB_H5IO_OBJ_MAX

static bool has(unsigned kinds, nb_op_kind kind) {
    return (kinds & NB_H5_OP_BIT(kind)) != 0;
}

static float **array_field(nb_op *op, const nb_h5_op_dataset *ds) {
    return (float **)(void *)((char *)op + ds->field);
}

/* ---- writing -------------------------------------------------------------------------- */

static nb_status write_size(const char *path, hid_t loc, const char *obj, const char *name,
                            size_t value) {
    int64_t v = (int64_t)value;
    return nb_h5io_write_scalar(path, loc, obj, name, NB_H5_I64, &v);
}

static nb_status write_op(const char *path, hid_t loc, const char *obj, const nb_op *op) {
    const char *kind = nb_op_kind_name(op->kind);
    NB_TRY(nb_h5io_write_strings(path, loc, obj, NB_H5_OP_KIND, &kind, 0));
    for (size_t i = 0; i < nb_h5_n_op_attrs; i++) {
        const nb_h5_op_attr *a = &nb_h5_op_attrs[i];
        if (!has(a->kinds, op->kind))
            continue;
        const char *f = (const char *)op + a->field;
        if (a->ctype == NB_H5_OP_FLOAT) {
            double v = *(const float *)(const void *)f;
            NB_TRY(nb_h5io_write_scalar(path, loc, obj, a->name, NB_H5_F64, &v));
        } else {
            size_t v = a->ctype == NB_H5_OP_BOOL ? (size_t) * (const bool *)(const void *)f
                                                 : *(const size_t *)(const void *)f;
            NB_TRY(write_size(path, loc, obj, a->name, v));
        }
    }
    for (size_t i = 0; i < nb_h5_n_op_datasets; i++) {
        const nb_h5_op_dataset *ds = &nb_h5_op_datasets[i];
        size_t dims[4];
        int rank = nb_h5_op_shape(ds, op, dims);
        float *x = *array_field((nb_op *)op, ds);
        if (rank == 0 || !x)
            continue;
        hsize_t hd[4];
        for (int d = 0; d < rank; d++)
            hd[d] = dims[d];
        char dobj[OBJ_MAX];
        snprintf(dobj, sizeof dobj, "%s/%s", obj, ds->name);
        NB_TRY(nb_h5io_write_dataset(path, loc, dobj, ds->name, NB_H5_F32, rank, hd, x));
    }
    return NB_OK;
}

nb_status nb_h5_ops_write(const char *path, hid_t net_group, const nb_network *net) {
    if (net->n_ops == 0)
        return NB_OK;
    char gobj[OBJ_MAX];
    snprintf(gobj, sizeof gobj, "/network/%s", NB_H5_OPS_NAME);
    nb_status st = NB_OK;
    hid_t g = nb_h5io_create_group(path, net_group, NB_H5_OPS_NAME, gobj, &st);
    if (g < 0)
        return st;
    st = write_size(path, g, gobj, "in_c", net->in_c);
    if (st == NB_OK)
        st = write_size(path, g, gobj, "in_h", net->in_h);
    if (st == NB_OK)
        st = write_size(path, g, gobj, "in_w", net->in_w);
    if (st == NB_OK)
        st = write_size(path, g, gobj, NB_H5_OPS_COUNT, net->n_ops);
    for (size_t k = 0; k < net->n_ops && st == NB_OK; k++) {
        char name[32], obj[OBJ_MAX];
        snprintf(name, sizeof name, "%03zu", k);
        snprintf(obj, sizeof obj, "%s/%s", gobj, name);
        hid_t h = nb_h5io_create_group(path, g, name, obj, &st);
        if (h < 0)
            break;
        st = write_op(path, h, obj, &net->ops[k]);
        H5Gclose(h);
    }
    H5Gclose(g);
    return st;
}

/* ---- reading -------------------------------------------------------------------------- */

/* A required size attribute in [min, max]. */
static nb_status read_size(const char *path, hid_t loc, const char *gobj, const char *name,
                           int64_t min, int64_t max, size_t *out) {
    int64_t v = 0;
    NB_TRY(nb_h5io_read_i64(path, loc, name, gobj, true, min, max, &v));
    *out = (size_t)v;
    return NB_OK;
}

/* The kind attribute, parsed. */
static nb_status read_kind(const char *path, hid_t loc, const char *obj, nb_op_kind *kind) {
    char text[64] = "";
    NB_TRY(nb_h5io_read_string_buf(path, loc, NB_H5_OP_KIND, obj, true, text, sizeof text));
    for (int k = 0; k < NB_OP_COUNT; k++)
        if (strcmp(text, nb_op_kind_name((nb_op_kind)k)) == 0) {
            *kind = (nb_op_kind)k;
            return NB_OK;
        }
    char aobj[OBJ_MAX], known[512] = "";
    for (int k = 0; k < NB_OP_COUNT; k++) {
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "",
                 nb_op_kind_name((nb_op_kind)k));
    }
    snprintf(aobj, sizeof aobj, "%s %s", obj, NB_H5_OP_KIND);
    return RAISE(NB_E_FORMAT, path, aobj, "unknown operator kind \"%s\" (known: %s)", text, known);
}

/* Attributes of op's kind into op. */
static nb_status read_attrs(const char *path, hid_t loc, const char *obj, nb_op *op) {
    for (size_t i = 0; i < nb_h5_n_op_attrs; i++) {
        const nb_h5_op_attr *a = &nb_h5_op_attrs[i];
        if (!has(a->kinds, op->kind))
            continue;
        char *f = (char *)op + a->field;
        if (a->ctype == NB_H5_OP_FLOAT) {
            double v = 0;
            NB_TRY(nb_h5io_read_f64(path, loc, a->name, obj, true, &v));
            if (isnan(v) || fabs(v) > 3.0e38) {
                char aobj[OBJ_MAX];
                snprintf(aobj, sizeof aobj, "%s %s", obj, a->name);
                return RAISE(NB_E_NUMERIC, path, aobj, "%g is not a finite float32", v);
            }
            *(float *)(void *)f = (float)v;
        } else {
            size_t v = 0;
            NB_TRY(read_size(path, loc, obj, a->name, a->min, a->max, &v));
            if (a->ctype == NB_H5_OP_BOOL)
                *(bool *)(void *)f = v != 0;
            else
                *(size_t *)(void *)f = v;
        }
    }
    return NB_OK;
}

/* The datasets of op's kind, allocated and read with their exact shapes. */
static nb_status read_arrays(const char *path, hid_t loc, const char *obj, nb_op *op) {
    for (size_t i = 0; i < nb_h5_n_op_datasets; i++) {
        const nb_h5_op_dataset *ds = &nb_h5_op_datasets[i];
        size_t dims[4];
        int rank = nb_h5_op_shape(ds, op, dims);
        if (rank == 0)
            continue;
        char dobj[OBJ_MAX];
        snprintf(dobj, sizeof dobj, "%s/%s", obj, ds->name);
        if (ds->optional) {
            bool exists = false;
            NB_TRY(nb_h5io_exists(path, loc, ds->name, dobj, &exists));
            if (!exists)
                continue;
        }
        hsize_t hd[4];
        size_t n = 1;
        for (int d = 0; d < rank; d++) {
            hd[d] = dims[d];
            n *= dims[d];
        }
        char subject[512];
        nb_h5io_subject(subject, sizeof subject, path, dobj);
        NB_TRY(nb_input_check(nb_input_mul(n, sizeof(float)), subject, "the operator's values"));
        float *x = malloc((n ? n : 1) * sizeof *x);
        if (!x)
            return RAISE(NB_E_NOMEM, path, dobj, "cannot allocate %zu values", n);
        *array_field(op, ds) = x; /* owned by op from here on */
        NB_TRY(nb_h5io_read_dataset(path, loc, ds->name, dobj, NB_H5_F32, rank, hd, x));
    }
    return NB_OK;
}

/* Operator k from ops/NNN, its input being c x h x w. */
static nb_status read_op(const char *path, hid_t ops, size_t k, size_t n_ops, size_t c, size_t h,
                         size_t w, nb_op *op) {
    char name[32], obj[OBJ_MAX], subject[512];
    snprintf(name, sizeof name, "%03zu", k);
    snprintf(obj, sizeof obj, "/network/%s/%s", NB_H5_OPS_NAME, name);
    nb_h5io_subject(subject, sizeof subject, path, obj);
    hid_t g = H5I_INVALID_HID;
    NB_TRY(nb_h5io_open_group(path, ops, name, obj, &g));
    nb_status st = read_kind(path, g, obj, &op->kind);
    if (st == NB_OK)
        st = read_attrs(path, g, obj, op);
    if (st == NB_OK)
        st = nb_h5_op_check(op, c, h, w, k + 1 == n_ops, subject);
    if (st == NB_OK)
        st = read_arrays(path, g, obj, op);
    H5Gclose(g);
    return st;
}

nb_status nb_h5_ops_read(const char *path, hid_t net_group, nb_network *net) {
    char gobj[OBJ_MAX], h5m[256];
    snprintf(gobj, sizeof gobj, "/network/%s", NB_H5_OPS_NAME);
    bool exists = false;
    NB_TRY(nb_h5io_exists(path, net_group, NB_H5_OPS_NAME, gobj, &exists));
    if (!exists)
        return NB_OK;
    hid_t g = H5I_INVALID_HID;
    NB_TRY(nb_h5io_open_group(path, net_group, NB_H5_OPS_NAME, gobj, &g));
    size_t c = 0, h = 0, w = 0, n_ops = 0;
    nb_status st = read_size(path, g, gobj, "in_c", 1, NB_H5_MAX_LAYER_SIZE, &c);
    if (st == NB_OK)
        st = read_size(path, g, gobj, "in_h", 1, NB_H5_MAX_LAYER_SIZE, &h);
    if (st == NB_OK)
        st = read_size(path, g, gobj, "in_w", 1, NB_H5_MAX_LAYER_SIZE, &w);
    if (st == NB_OK)
        st = read_size(path, g, gobj, NB_H5_OPS_COUNT, 1, NB_H5_MAX_OPS, &n_ops);
    H5G_info_t info;
    if (st == NB_OK && H5Gget_info(g, &info) < 0)
        st = RAISE(NB_E_FORMAT, path, gobj, "cannot list the group: %s", nb_h5io_message(h5m));
    if (st == NB_OK && info.nlinks != n_ops)
        st = RAISE(NB_E_FORMAT, path, gobj, "%llu members, but n_ops says %zu",
                   (unsigned long long)info.nlinks, n_ops);
    if (st == NB_OK) {
        net->ops = calloc(n_ops, sizeof *net->ops);
        if (!net->ops)
            st = RAISE(NB_E_NOMEM, path, gobj, "cannot allocate %zu operators", n_ops);
        else
            net->n_ops = n_ops;
    }
    if (st == NB_OK) {
        net->in_c = c;
        net->in_h = h;
        net->in_w = w;
    }
    for (size_t k = 0; k < n_ops && st == NB_OK; k++) {
        st = read_op(path, g, k, n_ops, c, h, w, &net->ops[k]);
        c = net->ops[k].out_c;
        h = net->ops[k].out_h;
        w = net->ops[k].out_w;
    }
    H5Gclose(g);
    return st;
}
