/* nb_h5.c - reading, validating and atomically writing .nnb.h5 files by walking the schema.
 *
 * DESIGN: the file layout is data (nb_h5_schema.c: a table of datasets and one of
 * attributes per group); this file walks those tables three ways, with the HDF5 calls in
 * nb_h5_io.c. Validating (nb_model_validate): per present group, its arrays are allocated,
 * the counts it declares are in bounds (layer sizes, top_k, E, S), its shape equals the
 * network's, then every dataset instance and attribute passes its rule. Writing: the model
 * is validated first (we never write a file we would refuse to read), then the root
 * attributes and every present group go into a temporary file that nb_file fsyncs and
 * renames over the target (nothing is left behind on failure). Reading: the root attributes
 * identify the file; per group (/network required, the others if present) the counts it
 * declares are read and bounded before anything is allocated (the NB_H5_MAX_* bounds, the
 * data they imply at most 1032 times the file's size, the memory limit of nb_input.h), the
 * group is allocated, every
 * dataset is read with its dtype, rank and exact shape checked, then the attributes; the
 * model is validated at the end. Within a group, consecutive repeated rows go index by
 * index (dense_0/weight, dense_0/bias, dense_1/weight, ...), the rest in table order, so the
 * file's object order is that of the tables. HDF5's automatic error printing is off for the
 * duration of each call (and restored after). Subjects read "<path> /group/dataset" or
 * "<path> /group attribute".
 * Threading: no shared state of ours; HDF5 (thread-safe build) serialises its own calls.
 * Reads no config keys (the bundle's resolved config is stored as JSON text).
 */
#include "nb_h5.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_file.h"
#include "nb_h5_io.h"
#include "nb_h5_ops.h"
#include "nb_h5_schema.h"
#include "nb_input.h"

#define RAISE   NB_H5IO_RAISE
#define OBJ_MAX NB_H5IO_OBJ_MAX

/* ---- the schema applied to memory ------------------------------------------------------ */

static void *group_of(const nb_model *m, const nb_h5_group *g) {
    return (char *)m + g->member;
}

static bool *present_of(const nb_model *m, const nb_h5_group *g) {
    return (bool *)((char *)m + g->present);
}

/* /network also holds the operator chain (nb_h5_ops.c). */
static bool is_network(const nb_h5_group *g) {
    return g->member == offsetof(nb_model, network);
}

static size_t dim_size(nb_h5_dim d, const nb_h5_dims *k, size_t l) {
    switch (d) {
    case NB_H5_DIM_L:
        return k->L;
    case NB_H5_DIM_L1:
        return k->L + 1;
    case NB_H5_DIM_LAYER:
        return k->n[l];
    case NB_H5_DIM_NEXT:
        return k->n[l + 1];
    case NB_H5_DIM_C:
        return k->C;
    case NB_H5_DIM_TOP_K:
        return k->top_k;
    case NB_H5_DIM_N:
        return k->N;
    case NB_H5_DIM_E:
        return k->E;
    case NB_H5_DIM_E1:
        return k->E + 1;
    case NB_H5_DIM_S:
        return k->S;
    case NB_H5_DIM_3:
        return 3;
    }
    return 0;
}

/* The count a declaring row sets (E, S, top_k), and the most the reader accepts. */
static size_t *count_of(nb_h5_dim d, nb_h5_dims *k) {
    return d == NB_H5_DIM_E ? &k->E : d == NB_H5_DIM_S ? &k->S : &k->top_k;
}

static size_t count_bound(nb_h5_dim d, const nb_h5_dims *k) {
    return d == NB_H5_DIM_E ? k->weights : NB_H5_MAX_POINTS;
}

static bool instance_exists(const nb_h5_dataset *ds, const nb_h5_dims *k, size_t l) {
    switch (ds->each) {
    case NB_H5_ONCE:
        return l == 0;
    case NB_H5_EACH_LAYER:
        return l < k->L;
    case NB_H5_EACH_PAIR:
        return l + 1 < k->L;
    case NB_H5_EACH_HIDDEN:
        return k->top_k > 0 && l >= 1 && l + 1 < k->L;
    }
    return false;
}

/* Instance l's dims and element count. */
static size_t shape_of(const nb_h5_dataset *ds, const nb_h5_dims *k, size_t l, hsize_t dims[2]) {
    size_t n = 1;
    for (int i = 0; i < ds->rank; i++) {
        dims[i] = dim_size(ds->shape[i], k, l);
        n *= (size_t)dims[i];
    }
    return n;
}

/* A pointer member of a group struct (memcpy: the member's own type is float *, ...). */
static void *member_ptr(const void *grp, size_t offset) {
    void *p;
    memcpy(&p, (const char *)grp + offset, sizeof p);
    return p;
}

/* Instance l's first element in memory. */
static void *data_of(const nb_h5_dataset *ds, const void *grp, size_t l) {
    char *base = member_ptr(grp, ds->data);
    if (ds->each == NB_H5_ONCE)
        return base;
    const size_t *index = member_ptr(grp, ds->index);
    return base + index[l] * nb_h5io_dtype_size(ds->dtype);
}

static void *field_of(const nb_h5_attr *a, const void *grp) {
    return (char *)grp + a->field;
}

/* "node_3" for a repeated name, the name itself otherwise. */
static void name_of(char *buf, size_t cap, const char *name, bool repeated, size_t l) {
    if (repeated)
        snprintf(buf, cap, "%s%zu", name, l);
    else
        snprintf(buf, cap, "%s", name);
}

/* A numeric attribute's value as the file's dtype holds it. */
typedef union number {
    int64_t i;
    uint64_t u;
    double d;
} number;

static number attr_get(const nb_h5_attr *a, const void *grp) {
    const void *f = field_of(a, grp);
    number v = {0};
    switch (a->ctype) {
    case NB_H5_C_INT:
        v.i = *(const int *)f;
        break;
    case NB_H5_C_SIZE:
        if (a->dtype == NB_H5_U64)
            v.u = *(const size_t *)f;
        else
            v.i = (int64_t) * (const size_t *)f;
        break;
    case NB_H5_C_U64:
        v.u = *(const uint64_t *)f;
        break;
    case NB_H5_C_DOUBLE:
        v.d = *(const double *)f;
        break;
    default:
        break;
    }
    return v;
}

/* Stores v into memory of the attribute's ctype at f (read ranges keep the casts exact). */
static void attr_put(const nb_h5_attr *a, void *f, number v) {
    switch (a->ctype) {
    case NB_H5_C_INT:
        *(int *)f = (int)v.i;
        break;
    case NB_H5_C_SIZE:
        *(size_t *)f = a->dtype == NB_H5_U64 ? (size_t)v.u : (size_t)v.i;
        break;
    case NB_H5_C_U64:
        *(uint64_t *)f = v.u;
        break;
    case NB_H5_C_DOUBLE:
        *(double *)f = v.d;
        break;
    default:
        break;
    }
}

/* ---- walking the datasets of a group --------------------------------------------------- */

typedef struct walk walk;
struct walk {
    const nb_h5_group *g;
    const nb_h5_dims *k;
    void *grp;        /* the group's struct */
    const char *path; /* for subjects */
    hid_t loc;        /* the group in the file; unused when validating */
    /* opens (reading) or creates (writing) a per-instance subgroup; NULL when validating */
    nb_status (*enter)(walk *w, const char *name, const char *obj, hid_t *sub);
    /* one dataset instance: its name in `loc` and its object path for subjects */
    nb_status (*visit)(walk *w, const nb_h5_dataset *ds, size_t l, hid_t loc, const char *name,
                       const char *obj);
    /* /bundle/point_position comes from here, not from memory (nb_h5_save_prepare_streamed);
     * NULL otherwise */
    const nb_h5_point_source *points;
};

/* Whether ds of group g is /bundle/point_position, the dataset a point source supplies. */
static bool is_streamed(const walk *w, const nb_h5_dataset *ds) {
    return w->points && w->g->member == offsetof(nb_model, bundle) &&
           ds->data == offsetof(nb_bundle_data, point_position);
}

/* Rows [first, end) repeat per index: index by index, each instance that exists, inside its
 * subgroup when it has one. */
static nb_status walk_repeated(walk *w, size_t first, size_t end) {
    char gobj[OBJ_MAX], sub_name[64], name[64], obj[OBJ_MAX];
    snprintf(gobj, sizeof gobj, "/%s", w->g->name);
    nb_status st = NB_OK;
    for (size_t l = 0; l < w->k->L && st == NB_OK; l++) {
        hid_t sub = H5I_INVALID_HID;
        for (size_t r = first; r < end && st == NB_OK; r++) {
            const nb_h5_dataset *ds = &w->g->datasets[r];
            if (!instance_exists(ds, w->k, l))
                continue;
            char dir[OBJ_MAX];
            snprintf(dir, sizeof dir, "%s", gobj);
            if (ds->subgroup) {
                name_of(sub_name, sizeof sub_name, ds->subgroup, true, l);
                snprintf(dir, sizeof dir, "%s/%s", gobj, sub_name);
                if (sub < 0 && w->enter)
                    st = w->enter(w, sub_name, dir, &sub);
            }
            name_of(name, sizeof name, ds->name, !ds->subgroup, l);
            snprintf(obj, sizeof obj, "%s/%s", dir, name);
            if (st == NB_OK)
                st = w->visit(w, ds, l, ds->subgroup ? sub : w->loc, name, obj);
        }
        if (sub >= 0)
            H5Gclose(sub);
    }
    return st;
}

static nb_status walk_datasets(walk *w) {
    const nb_h5_group *g = w->g;
    for (size_t i = 0; i < g->n_datasets;) {
        const nb_h5_dataset *ds = &g->datasets[i];
        if (ds->each == NB_H5_ONCE) {
            char obj[OBJ_MAX];
            snprintf(obj, sizeof obj, "/%s/%s", g->name, ds->name);
            NB_TRY(w->visit(w, ds, 0, w->loc, ds->name, obj));
            i++;
            continue;
        }
        size_t end = i;
        while (end < g->n_datasets && g->datasets[end].each != NB_H5_ONCE)
            end++;
        NB_TRY(walk_repeated(w, i, end));
        i = end;
    }
    return NB_OK;
}

/* ---- validation ----------------------------------------------------------------------- */

static nb_status check_allocated(const nb_h5_group *g, const void *grp, const char *path) {
    char gobj[OBJ_MAX];
    snprintf(gobj, sizeof gobj, "/%s", g->name);
    bool ok = true;
    for (size_t i = 0; i < g->n_datasets; i++) {
        const nb_h5_dataset *ds = &g->datasets[i];
        ok = ok && member_ptr(grp, ds->data) &&
             (ds->each == NB_H5_ONCE || member_ptr(grp, ds->index));
    }
    for (size_t i = 0; i < g->n_attrs; i++)
        if (g->attrs[i].ctype == NB_H5_C_NAMES)
            ok = ok && member_ptr(grp, g->attrs[i].field);
    if (!ok)
        return RAISE(NB_E_INVALID, path, gobj, "%s is not initialised", g->name);
    return NB_OK;
}

/* The layer sizes a group declares (NB_H5_SIZES) pass their rule; k's network counts. */
static nb_status check_sizes(const nb_h5_group *g, const void *grp, nb_h5_dims *k,
                             const char *path) {
    for (size_t i = 0; i < g->n_datasets; i++) {
        const nb_h5_dataset *ds = &g->datasets[i];
        if (!(ds->flags & NB_H5_SIZES))
            continue;
        char obj[OBJ_MAX], subject[512];
        snprintf(obj, sizeof obj, "/%s/%s", g->name, ds->name);
        nb_h5io_subject(subject, sizeof subject, path, obj);
        nb_h5_values v = {.data = k->n, .n = k->L, .group = grp, .dims = k};
        NB_TRY(ds->rule(&v, subject));
        nb_h5_dims_of_network(k, k->L, k->n);
    }
    return NB_OK;
}

/* A first dimension the file declares (E, S) within its bound (before any allocation). */
static nb_status check_declared_dims(const char *path, const char *obj, const nb_h5_dataset *ds,
                                     const hsize_t *dims, const nb_h5_dims *k) {
    hsize_t most = count_bound(ds->shape[0], k);
    if (dims[0] > most || (ds->rank == 2 && dims[1] != dim_size(ds->shape[1], k, 0))) {
        char got[96];
        nb_h5io_dims_text(dims, ds->rank, got, sizeof got);
        return RAISE(NB_E_FORMAT, path, obj, "shape %s, expected at most %llu%s", got,
                     (unsigned long long)most, ds->rank == 2 ? "x3" : " entries");
    }
    return NB_OK;
}

/* An attribute's value in memory: integer range, no infinity, terminated text, its rule. */
static nb_status check_attr(const nb_h5_attr *a, const void *grp, const nb_h5_dims *k,
                            const char *path, const char *gobj) {
    char obj[OBJ_MAX], subject[512];
    snprintf(obj, sizeof obj, "%s %s", gobj, a->name);
    nb_h5io_subject(subject, sizeof subject, path, obj);
    const void *f = field_of(a, grp);
    number v = attr_get(a, grp);
    if (a->dtype == NB_H5_I64 && (v.i < a->min || v.i > a->max))
        return NB_RAISE(NB_E_FORMAT, subject, "%lld, expected %lld..%lld", (long long)v.i,
                        (long long)a->min, (long long)a->max);
    if (a->ctype == NB_H5_C_DOUBLE && isinf(v.d))
        return NB_RAISE(NB_E_NUMERIC, subject, "infinite value");
    if (a->ctype == NB_H5_C_CHARS && !memchr(f, '\0', a->size))
        return NB_RAISE(NB_E_INVALID, subject, "unterminated string");
    const char *text = a->ctype == NB_H5_C_TEXT ? *(char *const *)f : NULL;
    if (text && strlen(text) > a->size)
        return NB_RAISE(NB_E_FORMAT, subject, "text of %zu bytes, at most %zu", strlen(text),
                        a->size);
    nb_h5_values vals = {
        .data = f, .n = a->ctype == NB_H5_C_NAMES ? k->C : 1, .group = grp, .dims = k};
    return a->rule ? a->rule(&vals, subject) : NB_OK;
}

/* The counts a group declares, in memory, within their bounds. */
static nb_status check_declared(const nb_h5_group *g, const void *grp, const nb_h5_dims *k,
                                const char *path) {
    char gobj[OBJ_MAX], obj[OBJ_MAX];
    snprintf(gobj, sizeof gobj, "/%s", g->name);
    for (size_t i = 0; i < g->n_datasets; i++) {
        const nb_h5_dataset *ds = &g->datasets[i];
        if (!(ds->flags & NB_H5_DECLARES))
            continue;
        hsize_t dims[2];
        shape_of(ds, k, 0, dims);
        snprintf(obj, sizeof obj, "%s/%s", gobj, ds->name);
        NB_TRY(check_declared_dims(path, obj, ds, dims, k));
    }
    for (size_t i = 0; i < g->n_attrs; i++)
        if (g->attrs[i].flags & NB_H5_DECLARES)
            NB_TRY(check_attr(&g->attrs[i], grp, k, path, gobj));
    return NB_OK;
}

static nb_status validate_visit(walk *w, const nb_h5_dataset *ds, size_t l, hid_t loc,
                                const char *name, const char *obj) {
    (void)loc;
    (void)name;
    if (!ds->rule || (ds->flags & NB_H5_SIZES) || is_streamed(w, ds))
        return NB_OK; /* streamed points are checked piece by piece as they are written */
    hsize_t dims[2];
    char subject[512];
    nb_h5io_subject(subject, sizeof subject, w->path, obj);
    nb_h5_values v = {.data = data_of(ds, w->grp, l),
                      .n = shape_of(ds, w->k, l, dims),
                      .cols = ds->rank == 2 ? (size_t)dims[1] : 0,
                      .group = w->grp,
                      .dims = w->k};
    return ds->rule(&v, subject);
}

static nb_status validate_group(const nb_h5_group *g, const void *grp, nb_h5_dims *k,
                                const char *path, const nb_h5_point_source *points) {
    char gobj[OBJ_MAX];
    snprintf(gobj, sizeof gobj, "/%s", g->name);
    NB_TRY(check_allocated(g, grp, path));
    g->count(grp, k);
    NB_TRY(check_sizes(g, grp, k, path));
    NB_TRY(check_declared(g, grp, k, path));
    if (g->match)
        NB_TRY(g->match(grp, k, path));
    walk w = {.g = g,
              .k = k,
              .grp = (void *)grp,
              .path = path,
              .visit = validate_visit,
              .points = points};
    NB_TRY(walk_datasets(&w));
    for (size_t i = 0; i < g->n_attrs; i++)
        if (!(g->attrs[i].flags & NB_H5_DECLARES))
            NB_TRY(check_attr(&g->attrs[i], grp, k, path, gobj));
    return NB_OK;
}

/* Validates m and gives the counts of its present groups. */
static nb_status validate_model(const nb_model *m, const char *path, nb_h5_dims *k,
                                const nb_h5_point_source *points) {
    memset(k, 0, sizeof *k);
    if (!m->has_network) {
        if (m->has_importance || m->has_bundle)
            return RAISE(NB_E_MISSING, path, "/network",
                         "importance or bundle data without a network");
        return NB_OK;
    }
    for (size_t i = 0; i < nb_h5_n_groups; i++)
        if (*present_of(m, &nb_h5_groups[i]))
            NB_TRY(
                validate_group(&nb_h5_groups[i], group_of(m, &nb_h5_groups[i]), k, path, points));
    return nb_h5_ops_validate(&m->network, path);
}

nb_status nb_model_validate(const nb_model *m, const char *path) {
    nb_h5_dims k;
    return validate_model(m, path, &k, NULL);
}

/* ---- writing -------------------------------------------------------------------------- */

static nb_status write_enter(walk *w, const char *name, const char *obj, hid_t *sub) {
    nb_status st = NB_OK;
    *sub = nb_h5io_create_group(w->path, w->loc, name, obj, &st);
    return st;
}

/* A point source checked as it goes: every piece finite (nb_h5_rule_finite's check, with the
 * rows counted over the whole dataset). */
typedef struct point_pieces {
    const nb_h5_point_source *src;
    const char *path, *obj;
    size_t done; /* rows so far */
} point_pieces;

static nb_status next_points(void *user, size_t *n_rows, const void **rows) {
    point_pieces *pp = user;
    const float *pts = NULL;
    size_t n = 0;
    NB_TRY(pp->src->next(pp->src->user, &n, &pts));
    for (size_t i = 0; i < 3 * n; i++)
        if (!isfinite(pts[i]))
            return RAISE(NB_E_NUMERIC, pp->path, pp->obj, "%s at [%zu, %zu]",
                         isnan(pts[i]) ? "NaN" : "infinite value", pp->done + i / 3, i % 3);
    pp->done += n;
    *n_rows = n;
    *rows = pts;
    return NB_OK;
}

static nb_status write_visit(walk *w, const nb_h5_dataset *ds, size_t l, hid_t loc,
                             const char *name, const char *obj) {
    hsize_t dims[2];
    size_t n = shape_of(ds, w->k, l, dims);
    if (is_streamed(w, ds)) {
        point_pieces pp = {.src = w->points, .path = w->path, .obj = obj};
        return nb_h5io_write_dataset_rows(w->path, loc, obj, name, ds->dtype, ds->rank, dims,
                                          next_points, &pp);
    }
    if (!(ds->flags & NB_H5_SIZES))
        return nb_h5io_write_dataset(w->path, loc, obj, name, ds->dtype, ds->rank, dims,
                                     data_of(ds, w->grp, l));
    int32_t *sizes = malloc(n * sizeof *sizes);
    if (!sizes)
        return RAISE(NB_E_NOMEM, w->path, obj, "cannot allocate");
    for (size_t i = 0; i < n; i++)
        sizes[i] = (int32_t)w->k->n[i];
    nb_status st = nb_h5io_write_dataset(w->path, loc, obj, name, ds->dtype, ds->rank, dims, sizes);
    free(sizes);
    return st;
}

static nb_status write_attr(const char *path, hid_t loc, const char *gobj, const nb_h5_attr *a,
                            const void *grp, const nb_h5_dims *k) {
    const void *f = field_of(a, grp);
    switch (a->ctype) {
    case NB_H5_C_CHARS: {
        const char *one[1] = {f};
        return nb_h5io_write_strings(path, loc, gobj, a->name, one, 0);
    }
    case NB_H5_C_TEXT: {
        const char *one[1] = {*(char *const *)f};
        return one[0] ? nb_h5io_write_strings(path, loc, gobj, a->name, one, 0) : NB_OK;
    }
    case NB_H5_C_NAMES:
        return nb_h5io_write_strings(path, loc, gobj, a->name, *(const char *const *const *)f,
                                     k->C);
    default: {
        number v = attr_get(a, grp);
        return nb_h5io_write_scalar(path, loc, gobj, a->name, a->dtype, &v);
    }
    }
}

static nb_status write_group(const char *path, hid_t file, const nb_h5_group *g, const void *grp,
                             const nb_h5_dims *k, const nb_h5_point_source *points) {
    char gobj[OBJ_MAX];
    snprintf(gobj, sizeof gobj, "/%s", g->name);
    nb_status st = NB_OK;
    hid_t h = nb_h5io_create_group(path, file, g->name, gobj, &st);
    if (h < 0)
        return st;
    walk w = {.g = g,
              .k = k,
              .grp = (void *)grp,
              .path = path,
              .loc = h,
              .enter = write_enter,
              .visit = write_visit,
              .points = points};
    st = walk_datasets(&w);
    for (size_t i = 0; i < g->n_attrs && st == NB_OK; i++)
        st = write_attr(path, h, gobj, &g->attrs[i], grp, k);
    if (st == NB_OK && is_network(g))
        st = nb_h5_ops_write(path, h, grp);
    H5Gclose(h);
    return st;
}

/* format_version: NB_FORMAT_VERSION_DENSE for a network without operators (any reader
 * since version 1 reads it right), NB_FORMAT_VERSION with operators (an older reader would
 * take the graph view for a dense ReLU network, so it must refuse the file). */
static nb_status write_root(const char *path, hid_t file, const nb_model *m) {
    for (size_t i = 0; i < NB_H5_N_ROOT; i++) {
        const nb_h5_root_attr *a = &nb_h5_root[i];
        int64_t value = a->value;
        if (i == NB_H5_ROOT_VERSION && m->network.n_ops == 0)
            value = NB_FORMAT_VERSION_DENSE;
        if (a->dtype == NB_H5_STRING)
            NB_TRY(nb_h5io_write_strings(path, file, "/", a->name, &a->text, 0));
        else
            NB_TRY(nb_h5io_write_scalar(path, file, "/", a->name, a->dtype, &value));
    }
    return NB_OK;
}

typedef struct save_job {
    const char *path; /* the target, for subjects */
    const nb_model *m;
    const nb_h5_dims *k;
    const nb_h5_point_source *points; /* NULL: the points are in m */
} save_job;

/* nb_file_save_with's callback: the HDF5 file at tmp, created, written and closed. */
static nb_status create_and_write(const char *tmp, void *user) {
    const save_job *job = user;
    char h5m[256];
    errno = 0; /* read after a failed write: the OS's reason, not an older one */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* 1.8 file format: attributes over 64 KiB (many long class names) go to dense storage;
     * readable by any HDF5 >= 1.8 */
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0) {
        nb_status st =
            RAISE(NB_E_IO, job->path, NULL, "cannot set up file access: %s", nb_h5io_message(h5m));
        if (fapl >= 0)
            H5Pclose(fapl);
        return st;
    }
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (file < 0) {
        /* before H5Pclose, which would clear HDF5's error stack */
        nb_status st =
            RAISE(NB_E_IO, job->path, NULL, "cannot create %s: %s", tmp, nb_h5io_message(h5m));
        H5Pclose(fapl);
        return st;
    }
    H5Pclose(fapl);
    nb_status st = write_root(job->path, file, job->m);
    for (size_t i = 0; i < nb_h5_n_groups && st == NB_OK; i++)
        if (*present_of(job->m, &nb_h5_groups[i]))
            st = write_group(job->path, file, &nb_h5_groups[i], group_of(job->m, &nb_h5_groups[i]),
                             job->k, job->points);
    int err = errno;
    if (H5Fclose(file) < 0 && st == NB_OK) {
        err = errno;
        st = RAISE(NB_E_IO, job->path, NULL, "cannot close %s: %s", tmp, nb_h5io_message(h5m));
    }
    /* the OS's reason for a failed write (a full disk, a file size limit) in place of HDF5's
     * internals (time, descriptor, buffer address, byte counts) */
    if (st == NB_E_IO && (err == ENOSPC || err == EFBIG || err == EDQUOT || err == EIO))
        st = RAISE(NB_E_IO, job->path, NULL, "write failed: %s", strerror(err));
    return st;
}

/* nb_h5_save_prepare, with the bundle's points from `points` when not NULL. */
static nb_status save_prepare(const char *path, const nb_model *m, const nb_h5_point_source *points,
                              nb_file_atomic *a) {
    memset(a, 0, sizeof *a);
    if (!path || !m)
        return RAISE(NB_E_INVALID, path, NULL, "no path or model");
    if (!m->has_network)
        return RAISE(NB_E_INVALID, path, "/network", "the model has no network to write");
    if (points && !m->has_bundle)
        return RAISE(NB_E_INVALID, path, "/bundle", "streamed points without a bundle");
    nb_model shown = *m; /* with streamed points: a stand-in pointer for the allocation check */
    static const float none[3];
    if (points)
        shown.bundle.point_position = (float *)none;
    nb_h5_dims k;
    NB_TRY(validate_model(&shown, path, &k, points));
    nb_h5io_quiet q;
    nb_h5io_quiet_begin(&q);
    save_job job = {.path = path, .m = m, .k = &k, .points = points};
    nb_status st = nb_file_prepare_with(path, create_and_write, &job, a);
    nb_h5io_quiet_end(&q);
    return st;
}

nb_status nb_h5_save_prepare(const char *path, const nb_model *m, nb_file_atomic *a) {
    return save_prepare(path, m, NULL, a);
}

nb_status nb_h5_save_prepare_streamed(const char *path, const nb_model *m,
                                      const nb_h5_point_source *points, nb_file_atomic *a) {
    if (!points)
        return RAISE(NB_E_INVALID, path, NULL, "no point source");
    return save_prepare(path, m, points, a);
}

nb_status nb_h5_save(const char *path, const nb_model *m) {
    nb_file_atomic a;
    NB_TRY(nb_h5_save_prepare(path, m, &a));
    return nb_file_atomic_commit(&a);
}

/* ---- reading -------------------------------------------------------------------------- */

static nb_status read_root(const char *path, hid_t file) {
    const nb_h5_root_attr *fa = &nb_h5_root[NB_H5_ROOT_FORMAT];
    const nb_h5_root_attr *va = &nb_h5_root[NB_H5_ROOT_VERSION];
    char format[64] = "", fobj[OBJ_MAX], vobj[OBJ_MAX];
    snprintf(fobj, sizeof fobj, "/ %s", fa->name);
    snprintf(vobj, sizeof vobj, "/ %s", va->name);
    nb_status st = nb_h5io_read_string_buf(path, file, fa->name, "/", true, format, sizeof format);
    if (st == NB_E_MISSING)
        return RAISE(NB_E_FORMAT, path, fobj, "not an nnbundle file (no \"%s\" attribute)",
                     fa->name);
    NB_TRY(st);
    if (strcmp(format, fa->text) != 0)
        return RAISE(NB_E_FORMAT, path, fobj, "format \"%s\", expected \"%s\"", format, fa->text);
    int64_t version = 0;
    NB_TRY(nb_h5io_read_i64(path, file, va->name, "/", true, 1, INT64_MAX, &version));
    if (version > va->value)
        return RAISE(NB_E_FORMAT, path, vobj,
                     "version %lld is newer than this nnbundle reads (%lld)", (long long)version,
                     (long long)va->value);
    return NB_OK;
}

/* /network/layer_sizes: L bounded before the values are read, each >= 1, then the rule. */
static nb_status read_sizes(const char *path, hid_t loc, const nb_h5_dataset *ds, const char *obj,
                            size_t *sizes, nb_h5_dims *k) {
    char subject[512];
    nb_h5io_subject(subject, sizeof subject, path, obj);
    hid_t d = H5I_INVALID_HID;
    hsize_t dims[1];
    NB_TRY(nb_h5io_open_dataset(path, loc, ds->name, obj, ds->dtype, 1, dims, &d));
    nb_h5_values v = {.data = NULL, .n = (size_t)dims[0], .dims = k};
    nb_status st = ds->rule(&v, subject); /* the count alone */
    int32_t raw[NB_H5_MAX_LAYERS];
    if (st == NB_OK)
        st = nb_h5io_check_storage(path, d, obj, dims[0]);
    if (st == NB_OK)
        st = nb_h5io_read_open(path, d, obj, ds->dtype, dims[0], raw);
    H5Dclose(d);
    for (size_t l = 0; st == NB_OK && l < v.n; l++) {
        if (raw[l] < 1)
            return RAISE(NB_E_FORMAT, path, obj, "layer %zu has %d nodes, expected >= 1", l,
                         (int)raw[l]);
        sizes[l] = (size_t)raw[l];
    }
    v.data = sizes;
    if (st == NB_OK)
        st = ds->rule(&v, subject);
    if (st == NB_OK)
        nb_h5_dims_of_network(k, v.n, sizes);
    return st;
}

/* The first dimension of a declaring dataset (E, S), bounded, into k. */
static nb_status read_declared_dims(const char *path, hid_t loc, const nb_h5_dataset *ds,
                                    const char *obj, nb_h5_dims *k) {
    hid_t d = H5I_INVALID_HID;
    hsize_t dims[2];
    NB_TRY(nb_h5io_open_dataset(path, loc, ds->name, obj, ds->dtype, ds->rank, dims, &d));
    nb_status st = check_declared_dims(path, obj, ds, dims, k);
    /* before the group is allocated for it: the file must hold what it declares */
    if (st == NB_OK)
        st = nb_h5io_check_storage(path, d, obj, ds->rank == 2 ? dims[0] * dims[1] : dims[0]);
    H5Dclose(d);
    NB_TRY(st);
    *count_of(ds->shape[0], k) = (size_t)dims[0];
    return NB_OK;
}

/* A declaring attribute (top_k): in range and within its rule, into k. */
static nb_status read_declared_attr(const char *path, hid_t loc, const char *gobj,
                                    const nb_h5_attr *a, nb_h5_dims *k) {
    char obj[OBJ_MAX], subject[512];
    snprintf(obj, sizeof obj, "%s %s", gobj, a->name);
    nb_h5io_subject(subject, sizeof subject, path, obj);
    int64_t x = 0;
    NB_TRY(nb_h5io_read_i64(path, loc, a->name, gobj, false, a->min, a->max, &x));
    size_t value = (size_t)x;
    nb_h5_values v = {.data = &value, .n = 1, .dims = k};
    if (a->rule)
        NB_TRY(a->rule(&v, subject));
    *count_of(NB_H5_DIM_TOP_K, k) = value;
    return NB_OK;
}

/* Everything group g declares, read and bounded before the group is allocated. */
static nb_status read_declared(const char *path, hid_t loc, const nb_h5_group *g, size_t *sizes,
                               nb_h5_dims *k) {
    char gobj[OBJ_MAX], obj[OBJ_MAX];
    snprintf(gobj, sizeof gobj, "/%s", g->name);
    for (size_t i = 0; i < g->n_datasets; i++) {
        const nb_h5_dataset *ds = &g->datasets[i];
        snprintf(obj, sizeof obj, "%s/%s", gobj, ds->name);
        if (ds->flags & NB_H5_SIZES)
            NB_TRY(read_sizes(path, loc, ds, obj, sizes, k));
        else if (ds->flags & NB_H5_DECLARES)
            NB_TRY(read_declared_dims(path, loc, ds, obj, k));
    }
    for (size_t i = 0; i < g->n_attrs; i++)
        if (g->attrs[i].flags & NB_H5_DECLARES)
            NB_TRY(read_declared_attr(path, loc, gobj, &g->attrs[i], k));
    return NB_OK;
}

static nb_status read_enter(walk *w, const char *name, const char *obj, hid_t *sub) {
    return nb_h5io_open_group(w->path, w->loc, name, obj, sub);
}

static nb_status read_visit(walk *w, const nb_h5_dataset *ds, size_t l, hid_t loc, const char *name,
                            const char *obj) {
    if (ds->flags & NB_H5_SIZES) /* read before the group was allocated */
        return NB_OK;
    if (ds->flags & NB_H5_OPTIONAL) {
        bool exists = false;
        NB_TRY(nb_h5io_exists(w->path, loc, name, obj, &exists));
        if (!exists)
            return NB_OK;
    }
    hsize_t dims[2];
    shape_of(ds, w->k, l, dims);
    return nb_h5io_read_dataset(w->path, loc, name, obj, ds->dtype, ds->rank, dims,
                                data_of(ds, w->grp, l));
}

/* class_names: replaces the init's defaults when the file has them. */
static nb_status read_names(const char *path, hid_t loc, const char *gobj, const nb_h5_attr *a,
                            char **names, size_t C) {
    char obj[OBJ_MAX];
    snprintf(obj, sizeof obj, "%s %s", gobj, a->name);
    char **got = calloc(C ? C : 1, sizeof *got);
    if (!got)
        return RAISE(NB_E_NOMEM, path, obj, "cannot allocate");
    bool found = false;
    nb_status st = nb_h5io_read_strings(path, loc, a->name, gobj, false, C, a->size, got, &found);
    for (size_t c = 0; st == NB_OK && found && c < C; c++) {
        free(names[c]);
        names[c] = got[c];
    }
    free(got);
    return st;
}

/* A derived attribute (n_classes): read, checked by its rule against k, not stored. */
static nb_status read_derived(const char *path, hid_t loc, const char *gobj, const nb_h5_attr *a,
                              const void *grp, const nb_h5_dims *k) {
    char obj[OBJ_MAX], subject[512];
    snprintf(obj, sizeof obj, "%s %s", gobj, a->name);
    nb_h5io_subject(subject, sizeof subject, path, obj);
    number v = attr_get(a, grp);
    NB_TRY(nb_h5io_read_i64(path, loc, a->name, gobj, false, a->min, a->max, &v.i));
    size_t value[1] = {0};
    attr_put(a, value, v);
    nb_h5_values vals = {.data = value, .n = 1, .group = grp, .dims = k};
    return a->rule(&vals, subject);
}

static nb_status read_attr(const char *path, hid_t loc, const char *gobj, const nb_h5_attr *a,
                           void *grp, const nb_h5_dims *k) {
    void *f = field_of(a, grp);
    if (a->flags & NB_H5_DERIVED)
        return read_derived(path, loc, gobj, a, grp, k);
    number v = attr_get(a, grp);
    switch (a->ctype) {
    case NB_H5_C_CHARS:
        return nb_h5io_read_string_buf(path, loc, a->name, gobj, false, f, a->size);
    case NB_H5_C_TEXT: {
        char *text = NULL;
        bool found = false;
        NB_TRY(nb_h5io_read_strings(path, loc, a->name, gobj, false, 0, a->size, &text, &found));
        if (found)
            *(char **)f = text;
        return NB_OK;
    }
    case NB_H5_C_NAMES:
        return read_names(path, loc, gobj, a, *(char **const *)f, k->C);
    case NB_H5_C_DOUBLE:
        NB_TRY(nb_h5io_read_f64(path, loc, a->name, gobj, false, &v.d));
        break;
    default:
        if (a->dtype == NB_H5_U64)
            NB_TRY(nb_h5io_read_int(path, loc, a->name, gobj, false, true, &v.u));
        else
            NB_TRY(nb_h5io_read_i64(path, loc, a->name, gobj, false, a->min, a->max, &v.i));
        break;
    }
    attr_put(a, f, v);
    return NB_OK;
}

/* A walk's visit that adds a dataset instance's bytes to the size_t that w->grp points to. */
static nb_status sum_visit(walk *w, const nb_h5_dataset *ds, size_t l, hid_t loc, const char *name,
                           const char *obj) {
    (void)loc;
    (void)name;
    (void)obj;
    hsize_t dims[2];
    size_t *total = w->grp;
    size_t bytes = nb_input_mul(shape_of(ds, w->k, l, dims), nb_h5io_dtype_size(ds->dtype));
    *total = bytes > SIZE_MAX - *total ? SIZE_MAX : *total + bytes;
    return NB_OK;
}

/* Before group g is allocated for the counts it declares: its datasets cannot hold more than
 * deflate's largest ratio (1032) times the file's size, and must fit the memory limit. So a
 * small file that declares huge layers is refused before any allocation, and reading a file of
 * S bytes allocates at most about 1032 x S bytes (NB_MAX_MEMORY at most). */
static nb_status check_group_fits(const char *path, hid_t file, const nb_h5_group *g,
                                  const nb_h5_dims *k) {
    size_t total = 0;
    walk w = {.g = g, .k = k, .grp = &total, .path = path, .visit = sum_visit};
    NB_TRY(walk_datasets(&w));
    hsize_t file_size = 0;
    char gobj[OBJ_MAX], h5m[256];
    snprintf(gobj, sizeof gobj, "/%s", g->name);
    if (H5Fget_filesize(file, &file_size) < 0)
        return RAISE(NB_E_FORMAT, path, NULL, "cannot read the file size: %s",
                     nb_h5io_message(h5m));
    if (total > nb_input_mul((size_t)file_size, 1032)) {
        char want[32];
        nb_input_human(total, want, sizeof want);
        return RAISE(NB_E_FORMAT, path, gobj,
                     "the counts it declares need %zu bytes (%s) of data, more than a file of "
                     "%llu bytes can hold (1032 times its size, deflate's largest ratio)",
                     total, want, (unsigned long long)file_size);
    }
    char subject[512];
    nb_h5io_subject(subject, sizeof subject, path, gobj);
    return nb_input_check(total, subject, "the group's data");
}

/* One group: declared counts, allocation, datasets, attributes. */
static nb_status read_group(const char *path, hid_t file, const nb_h5_group *g, nb_model *m,
                            nb_h5_dims *k) {
    char gobj[OBJ_MAX];
    snprintf(gobj, sizeof gobj, "/%s", g->name);
    hid_t h = H5I_INVALID_HID;
    NB_TRY(nb_h5io_open_group(path, file, g->name, gobj, &h));
    void *grp = group_of(m, g);
    size_t sizes[NB_H5_MAX_LAYERS];
    nb_status st = read_declared(path, h, g, sizes, k);
    if (st == NB_OK)
        st = check_group_fits(path, file, g, k);
    if (st == NB_OK)
        st = g->init(grp, k);
    if (st == NB_OK) {
        *present_of(m, g) = true; /* so that nb_model_deinit frees what was read */
        g->count(grp, k);         /* k now points into the model, not at `sizes` */
        nb_h5_dims_of_network(k, k->L, k->n);
        walk w = {.g = g,
                  .k = k,
                  .grp = grp,
                  .path = path,
                  .loc = h,
                  .enter = read_enter,
                  .visit = read_visit};
        st = walk_datasets(&w);
    }
    for (size_t i = 0; i < g->n_attrs && st == NB_OK; i++)
        if (!(g->attrs[i].flags & NB_H5_DECLARES))
            st = read_attr(path, h, gobj, &g->attrs[i], grp, k);
    if (st == NB_OK && is_network(g))
        st = nb_h5_ops_read(path, h, grp);
    H5Gclose(h);
    return st;
}

static nb_status load_model(const char *path, const char *skip, nb_model *m) {
    char h5m[256];
    hid_t file = H5I_INVALID_HID;
    NB_TRY(nb_h5io_open_file(path, &file));
    nb_h5_dims k = {0};
    nb_status st = read_root(path, file);
    for (size_t i = 0; i < nb_h5_n_groups && st == NB_OK; i++) {
        const nb_h5_group *g = &nb_h5_groups[i];
        if (skip && !strcmp(g->name, skip))
            continue;
        if (g->required || H5Lexists(file, g->name, H5P_DEFAULT) > 0)
            st = read_group(path, file, g, m, &k);
    }
    if (H5Fclose(file) < 0 && st == NB_OK)
        st = RAISE(NB_E_IO, path, NULL, "cannot close: %s", nb_h5io_message(h5m));
    if (st == NB_OK)
        st = nb_model_validate(m, path);
    return st;
}

nb_status nb_h5_load(const char *path, nb_model *m) {
    return nb_h5_load_except(path, NULL, m);
}

nb_status nb_h5_load_except(const char *path, const char *skip_group, nb_model *m) {
    if (!m)
        return RAISE(NB_E_INVALID, path, NULL, "no model to load into");
    memset(m, 0, sizeof *m);
    if (!path)
        return RAISE(NB_E_INVALID, "(null)", NULL, "no path");
    if (skip_group && skip_group[0] == '/')
        skip_group++;
    bool known = !skip_group;
    for (size_t i = 0; i < nb_h5_n_groups && !known; i++)
        known = !nb_h5_groups[i].required && !strcmp(nb_h5_groups[i].name, skip_group);
    if (!known)
        return RAISE(NB_E_INVALID, path, NULL,
                     "cannot load without group '%s': not an optional group", skip_group);
    nb_h5io_quiet q;
    nb_h5io_quiet_begin(&q);
    nb_status st = load_model(path, skip_group, m);
    nb_h5io_quiet_end(&q);
    if (st != NB_OK)
        nb_model_deinit(m);
    return st;
}
