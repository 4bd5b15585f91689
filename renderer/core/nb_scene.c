/* nb_scene.c - per-node and per-segment draw data from a model (class colours, importance).
 *
 * DESIGN: one pass over the nodes (class shares, colour, base alpha: method.md §5.3) and
 * one over the edges' polylines (segment class vector and scalar importance from
 * nb_edge_importance_eval, the function the bundler uses, with the file's
 * edge_importance_type: method.md §2.6, fixing §8.1 item 7 where the original renderer hard-codes
 * type 0). Output records are flat float arrays uploaded as-is as instanced vertex
 * attributes. The edge cull key is alpha * mean_src (method.md §5.3). The bounding box covers every
 * node and polyline point of the network (not the processing grid, method.md §5.6 quirk) and does
 * not depend on the layer filter, so depth colouring is stable while layers are toggled.
 * A second pass turns raw importance into display values (nb_scene.h: per layer / layer pair
 * division by the 99th percentile, found by quickselect on a scratch copy per group, so the
 * pass is O(n)); the records are then sorted by the display cull key. nb_scene_bound_drawn
 * and nb_scene_frame stream the drawn objects' bounding spheres into the camera's framing
 * (nb_camera.h). Single-threaded: the 0.8 M segments of the demo network take 0.3 s.
 * Config keys read (through nb_scene_desc): class_view, class_index, class_contrast,
 * importance_normalization, background; edge_importance_type from the file's /bundle
 * config_json (nb_processing_config_read_stored, that key only); nb_scene_bound_drawn reads the
 * drawn modes, sizes, thresholds and camera_margin through nb_render_params.
 */
#include "nb_scene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_camera.h"
#include "nb_edge_importance.h"
#include "nb_h5.h" /* nb_model_validate */
#include "nb_palette.h"
#include "nb_render_params.h"

void nb_scene_desc_from_config(const nb_rendering_config *cfg, nb_scene_desc *desc) {
    desc->class_view = cfg->class_view;
    desc->class_index = cfg->class_index > 0 ? (size_t)cfg->class_index : 0;
    desc->normalization = cfg->importance_normalization;
    desc->class_contrast = (float)cfg->class_contrast;
    for (int i = 0; i < 3; i++)
        desc->background[i] = cfg->background[i];
}

nb_status nb_scene_edge_importance_type(const char *config_json, const char *path, int *type) {
    static const char *const used[] = {"edge_importance_type", NULL};
    nb_processing_config stored;
    NB_TRY(nb_processing_config_read_stored(config_json, path, used, &stored));
    *type = stored.edge_importance_type;
    return NB_OK;
}

size_t nb_scene_layer_of(const int64_t *layer_offset, size_t n_layers, uint64_t g) {
    size_t lo = 0, hi = n_layers; /* find l with offset[l] <= g < offset[l+1] */
    if (n_layers == 0 || layer_offset[0] < 0 || g < (uint64_t)layer_offset[0] ||
        g >= (uint64_t)layer_offset[n_layers])
        return n_layers;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uint64_t)layer_offset[mid] <= g)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void nb_scene_deinit(nb_scene *s) {
    if (!s)
        return;
    if (s->class_names)
        for (size_t c = 0; c < s->n_classes; c++)
            free(s->class_names[c]);
    free(s->class_names);
    free(s->nodes);
    free(s->node_id);
    free(s->segments);
    free(s->node_norm_ref);
    free(s->seg_iota_ref);
    free(s->node_a0_ref);
    free(s->seg_cull_ref);
    free(s->seg_a0_ref);
    memset(s, 0, sizeof *s);
}

void nb_scene_query_scale(const nb_scene *s, nb_scene_scale *out) {
    out->n_layers = s->n_layers;
    out->node_norm = s->node_norm_ref;
    out->node_a0 = s->node_a0_ref;
    out->seg_iota = s->seg_iota_ref;
    out->seg_cull = s->seg_cull_ref;
    out->seg_a0 = s->seg_a0_ref;
}

void nb_scene_count_visible(const nb_scene *s, float node_threshold, float edge_threshold,
                            size_t *nodes, size_t *segments) {
    size_t n = 0, k = 0;
    for (size_t i = 0; i < s->n_nodes; i++) {
        float norm = s->nodes[i * NB_SCENE_NODE_FLOATS + NB_SCENE_NODE_POS + 3];
        n += norm > node_threshold;
    }
    for (size_t i = 0; i < s->n_segments; i++)
        k += s->segments[i * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA] > edge_threshold;
    if (nodes)
        *nodes = n;
    if (segments)
        *segments = k;
}

/* First index in [0, n) whose key (at records + i * stride + offset) is <= threshold, for keys
 * sorted descending. */
static size_t first_not_above(const float *records, size_t n, size_t stride, size_t offset,
                              float threshold) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (records[mid * stride + offset] > threshold)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t nb_scene_visible_nodes(const nb_scene *s, float threshold) {
    return first_not_above(s->nodes, s->n_nodes, NB_SCENE_NODE_FLOATS, NB_SCENE_NODE_POS + 3,
                           threshold);
}

size_t nb_scene_visible_segments(const nb_scene *s, float threshold, size_t *first) {
    if (!s->segments_ascending) {
        *first = 0;
        return first_not_above(s->segments, s->n_segments, NB_SCENE_SEGMENT_FLOATS,
                               NB_SCENE_SEG_EXTRA, threshold);
    }
    /* ascending: the visible records are a suffix */
    size_t lo = 0, hi = s->n_segments;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->segments[mid * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA] > threshold)
            hi = mid;
        else
            lo = mid + 1;
    }
    *first = lo;
    return s->n_segments - lo;
}

/* Colour of an object with class shares share[C] (sum 1 or all zero) under the class view;
 * the base alpha is set later, once the display scale is known (see nb_scene.h). */
static void view_color(const nb_scene_desc *d, const float fg[3], const float *share, size_t C,
                       float contrast, float out_rgb[3]) {
    float pal[3];
    switch (d->class_view) {
    case NB_CLASS_VIEW_ALL: {
        double acc[3] = {0.0, 0.0, 0.0}, wsum = 0.0;
        for (size_t c = 0; c < C; c++) {
            if (!(share[c] > 0.0f))
                continue;
            double x = (double)share[c];
            double w = contrast == 1.0f ? x : contrast == 2.0f ? x * x : pow(x, contrast);
            nb_palette_color(c, pal);
            for (int i = 0; i < 3; i++)
                acc[i] += pal[i] * w;
            wsum += w;
        }
        for (int i = 0; i < 3; i++)
            out_rgb[i] = wsum > 0.0 ? (float)(acc[i] / wsum) : 0.0f;
        break;
    }
    case NB_CLASS_VIEW_ONE:
        nb_palette_color(d->class_index, out_rgb);
        break;
    default: /* NB_CLASS_VIEW_INDEPENDENT */
        for (int i = 0; i < 3; i++)
            out_rgb[i] = fg[i];
        break;
    }
}

/* ---- display scale ------------------------------------------------------------------ */

#define REFERENCE_PERCENTILE 0.99

/* The k-th smallest of v[0..n) (v is reordered): quickselect, median-of-three pivot. */
static float select_kth(float *v, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        float a = v[lo], b = v[mid], c = v[hi];
        float pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* ref[g] = the display divisor of group g: the REFERENCE_PERCENTILE value of vals[i] over the
 * items i with grp[i] == g (its maximum if that is 0; 0 for an all-zero group, 1 for an
 * empty one). scratch: n floats. */
static void group_refs(const float *vals, const uint32_t *grp, size_t n, size_t n_groups,
                       float *scratch, size_t *count, float *ref) {
    memset(count, 0, (n_groups + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[grp[i] + 1]++;
    for (size_t g = 0; g < n_groups; g++)
        count[g + 1] += count[g]; /* count[g] = start of group g */
    for (size_t i = 0; i < n; i++)
        scratch[count[grp[i]]++] = vals[i]; /* count[g] becomes the end of group g */
    size_t start = 0;
    for (size_t g = 0; g < n_groups; g++) {
        size_t m = count[g] - start;
        float *v = scratch + start;
        start = count[g];
        if (m == 0) {
            ref[g] = 1.0f;
            continue;
        }
        float p = select_kth(v, m, (size_t)(REFERENCE_PERCENTILE * (double)(m - 1)));
        if (!(p > 0.0f)) {
            p = 0.0f;
            for (size_t i = 0; i < m; i++)
                p = v[i] > p ? v[i] : p;
        }
        ref[g] = p;
    }
}

/* x in display scale: x / ref capped at 1 (0 when ref is 0). */
static float scaled(float x, float ref) {
    if (!(ref > 0.0f))
        return 0.0f;
    float y = x / ref;
    return y < 1.0f ? (y > 0.0f ? y : 0.0f) : 1.0f;
}

static void shares_of(const float *v, size_t C, float *share) {
    double sum = 0.0;
    for (size_t c = 0; c < C; c++)
        sum += v[c] > 0.0f ? v[c] : 0.0f;
    for (size_t c = 0; c < C; c++)
        share[c] = sum > 0.0 && v[c] > 0.0f ? (float)(v[c] / sum) : 0.0f;
}

static void grow_box(float bmin[3], float bmax[3], const float *p) {
    for (int i = 0; i < 3; i++) {
        bmin[i] = p[i] < bmin[i] ? p[i] : bmin[i];
        bmax[i] = p[i] > bmax[i] ? p[i] : bmax[i];
    }
}

/* The model checks of nb_scene_build: the reader's validation (nb_model_validate: shapes,
 * offsets, ids, finite positions, importance matching the network) and the desc's choices,
 * which the reader does not know. */
static nb_status check_input(const nb_model *m, const nb_scene_desc *desc, const char *path) {
    if (!m->has_bundle) {
        char subject[512];
        snprintf(subject, sizeof subject, "%s /bundle", path);
        return NB_RAISE(NB_E_MISSING, subject,
                        "no bundled geometry in this file; run `nnbundle bundle %s` first", path);
    }
    NB_TRY(nb_model_validate(m, path));
    const size_t L = m->bundle.n_layers, C = m->network.n_classes;
    if (desc->edge_importance_type < 0 || desc->edge_importance_type >= NB_EDGE_IMPORTANCE_TYPES)
        return NB_RAISE(NB_E_CONFIG, "edge_importance_type", "%d is not in 0..%d",
                        desc->edge_importance_type, NB_EDGE_IMPORTANCE_TYPES - 1);
    if (desc->class_view == NB_CLASS_VIEW_ONE && desc->class_index >= C)
        return NB_RAISE(NB_E_CONFIG, "class_index", "class %zu requested, the network has %zu",
                        desc->class_index, C);
    if (desc->filter_pairs &&
        (desc->pair_first > desc->pair_last || L < 2 || desc->pair_last >= L - 1))
        return NB_RAISE(NB_E_CONFIG, "--layers", "layer pairs %zu:%zu, the network has pairs 0:%zu",
                        desc->pair_first, desc->pair_last, L >= 2 ? L - 2 : 0);
    return NB_OK;
}

static nb_status copy_class_names(const nb_network *net, char ***out) {
    const size_t C = net->n_classes;
    char **names = calloc(C, sizeof *names);
    if (!names)
        return NB_RAISE(NB_E_NOMEM, "scene", "class names");
    for (size_t c = 0; c < C; c++) {
        size_t len = strlen(net->class_names[c]);
        names[c] = malloc(len + 1);
        if (!names[c]) {
            for (size_t k = 0; k < c; k++)
                free(names[k]);
            free(names);
            return NB_RAISE(NB_E_NOMEM, "scene", "class names");
        }
        memcpy(names[c], net->class_names[c], len + 1);
    }
    *out = names;
    return NB_OK;
}

/* Sort keys: (cull key descending, original index ascending), a total order, so the result
 * does not depend on the sort algorithm. */
typedef struct sort_item {
    float key;
    size_t index; /* edge run / node position in the unsorted arrays */
    size_t first; /* first record */
    size_t count; /* records */
} sort_item;

static int cmp_item(const void *pa, const void *pb) {
    const sort_item *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return a->index < b->index ? -1 : (a->index > b->index ? 1 : 0);
}

/* Reorders runs of records (stride floats each) by their key; node_id follows when given. */
static nb_status sort_runs(sort_item *items, size_t n_items, float **records, size_t n_records,
                           size_t stride, uint32_t **ids) {
    qsort(items, n_items, sizeof *items, cmp_item);
    float *sorted = malloc((n_records ? n_records : 1) * stride * sizeof(float));
    uint32_t *sorted_ids = ids ? malloc((n_records ? n_records : 1) * sizeof(uint32_t)) : NULL;
    if (!sorted || (ids && !sorted_ids)) {
        free(sorted);
        free(sorted_ids);
        return NB_RAISE(NB_E_NOMEM, "scene", "sorting %zu records", n_records);
    }
    size_t at = 0;
    for (size_t i = 0; i < n_items; i++) {
        memcpy(sorted + at * stride, *records + items[i].first * stride,
               items[i].count * stride * sizeof(float));
        if (ids)
            memcpy(sorted_ids + at, *ids + items[i].first, items[i].count * sizeof(uint32_t));
        at += items[i].count;
    }
    free(*records);
    *records = sorted;
    if (ids) {
        free(*ids);
        *ids = sorted_ids;
    }
    return NB_OK;
}

/* Orders nodes by norm and edges (runs of segments) by cull key, both descending, so the
 * objects above any importance threshold are a prefix (nb_scene_visible_range). */
static nb_status sort_by_cull_key(nb_scene *s) {
    sort_item *items = malloc((s->n_nodes ? s->n_nodes : 1) * sizeof *items);
    if (!items)
        return NB_RAISE(NB_E_NOMEM, "scene", "sorting %zu nodes", s->n_nodes);
    for (size_t i = 0; i < s->n_nodes; i++) {
        items[i].key = s->nodes[i * NB_SCENE_NODE_FLOATS + NB_SCENE_NODE_POS + 3];
        items[i].index = i;
        items[i].first = i;
        items[i].count = 1;
    }
    nb_status st =
        sort_runs(items, s->n_nodes, &s->nodes, s->n_nodes, NB_SCENE_NODE_FLOATS, &s->node_id);
    free(items);
    if (st != NB_OK)
        return st;
    items = malloc((s->n_edges ? s->n_edges : 1) * sizeof *items);
    if (!items)
        return NB_RAISE(NB_E_NOMEM, "scene", "sorting %zu edges", s->n_edges);
    size_t n_runs = 0;
    for (size_t i = 0; i < s->n_segments;) {
        const float *r = s->segments + i * NB_SCENE_SEGMENT_FLOATS;
        float edge = r[NB_SCENE_SEG_EXTRA + 1];
        size_t j = i + 1;
        while (j < s->n_segments &&
               s->segments[j * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA + 1] == edge &&
               s->segments[j * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA + 3] >
                   s->segments[(j - 1) * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA + 3])
            j++;
        items[n_runs].key = r[NB_SCENE_SEG_EXTRA];
        items[n_runs].index = n_runs;
        items[n_runs].first = i;
        items[n_runs].count = j - i;
        n_runs++;
        i = j;
    }
    st = sort_runs(items, n_runs, &s->segments, s->n_segments, NB_SCENE_SEGMENT_FLOATS, NULL);
    free(items);
    return st;
}

/* The scratch of display_scale's percentile passes. */
typedef struct scale_work {
    int mode;                     /* NB_NORMALIZE_LAYER or NB_NORMALIZE_NETWORK */
    size_t n_groups;              /* layers (or pairs) with "layer", 1 with "network" */
    const nb_scene_scale *given;  /* divisors replacing the percentiles, or NULL */
    float *vals, *scratch;        /* [max(nodes, segments)] */
    uint32_t *grp;                /* [max(nodes, segments)] group of every record */
    size_t *count;                /* [n_groups + 1] */
    float *ref_a, *ref_b, *ref_c; /* [n_groups] each: the divisors of up to three values */
} scale_work;

/* The divisor arrays of s, all 1 (normalization "none"). */
static nb_status alloc_refs(nb_scene *s) {
    const size_t L = s->n_layers, P = L >= 2 ? L - 1 : 0;
    s->node_norm_ref = malloc(L * sizeof(float));
    s->node_a0_ref = malloc(L * sizeof(float));
    s->seg_iota_ref = P ? malloc(P * sizeof(float)) : NULL;
    s->seg_cull_ref = P ? malloc(P * sizeof(float)) : NULL;
    s->seg_a0_ref = P ? malloc(P * sizeof(float)) : NULL;
    if (!s->node_norm_ref || !s->node_a0_ref ||
        (P && (!s->seg_iota_ref || !s->seg_cull_ref || !s->seg_a0_ref)))
        return NB_RAISE(NB_E_NOMEM, "scene", "display scale");
    for (size_t l = 0; l < L; l++)
        s->node_norm_ref[l] = s->node_a0_ref[l] = 1.0f;
    for (size_t l = 0; l < P; l++)
        s->seg_iota_ref[l] = s->seg_cull_ref[l] = s->seg_a0_ref[l] = 1.0f;
    return NB_OK;
}

/* Normalization "none", the reference: raw values, a0 of method.md §5.3. */
static void scale_raw(nb_scene *s, bool one_class) {
    const float inv_sqrt_c = 1.0f / sqrtf((float)s->n_classes);
    for (size_t i = 0; i < s->n_nodes; i++) {
        float *r = s->nodes + i * NB_SCENE_NODE_FLOATS;
        if (one_class)
            r[7] = r[7] < 1.0f ? (r[7] > 0.0f ? r[7] : 0.0f) : 1.0f;
    }
    for (size_t i = 0; i < s->n_segments; i++) {
        float *r = s->segments + i * NB_SCENE_SEGMENT_FLOATS;
        float iota = r[NB_SCENE_SEG_A + 3], *a0 = r + NB_SCENE_SEG_COLOR + 3;
        *a0 = one_class ? (*a0 < 1.0f ? (*a0 > 0.0f ? *a0 : 0.0f) : 1.0f) : iota * inv_sqrt_c;
        if (r[NB_SCENE_SEG_B + 3] != 1.0f)
            r[NB_SCENE_SEG_B + 3] = 1.0f + 1.5f * iota;
    }
}

static void scale_work_deinit(scale_work *w) {
    free(w->vals);
    free(w->scratch);
    free(w->grp);
    free(w->count);
    free(w->ref_a);
}

static nb_status scale_work_init(scale_work *w, const nb_scene *s, int mode,
                                 const nb_scene_scale *given) {
    const size_t L = s->n_layers, P = L >= 2 ? L - 1 : 0;
    memset(w, 0, sizeof *w);
    w->mode = mode;
    w->given = given;
    w->n_groups = mode == NB_NORMALIZE_LAYER ? (L > P ? L : P) : 1;
    const size_t n = s->n_nodes > s->n_segments ? s->n_nodes : s->n_segments;
    w->vals = calloc(n ? n : 1, sizeof *w->vals);
    w->scratch = malloc((n ? n : 1) * sizeof *w->scratch);
    w->grp = calloc(n ? n : 1, sizeof *w->grp);
    w->count = malloc((w->n_groups + 1) * sizeof *w->count);
    w->ref_a = malloc(3 * w->n_groups * sizeof *w->ref_a);
    if (!w->vals || !w->scratch || !w->grp || !w->count || !w->ref_a) {
        scale_work_deinit(w);
        return NB_RAISE(NB_E_NOMEM, "scene", "display scale of %zu objects", n);
    }
    w->ref_b = w->ref_a + w->n_groups;
    w->ref_c = w->ref_a + 2 * w->n_groups;
    return NB_OK;
}

/* Nodes: norm (size and cull key) and the a0 importance, per layer. */
static void scale_nodes(scale_work *w, nb_scene *s, const uint32_t *node_layer) {
    const bool per_layer = w->mode == NB_NORMALIZE_LAYER;
    for (size_t i = 0; i < s->n_nodes; i++)
        w->grp[i] = per_layer ? node_layer[s->node_id[i]] : 0;
    for (size_t i = 0; i < s->n_nodes; i++)
        w->vals[i] = s->nodes[i * NB_SCENE_NODE_FLOATS + 3];
    group_refs(w->vals, w->grp, s->n_nodes, w->n_groups, w->scratch, w->count, w->ref_a);
    for (size_t i = 0; i < s->n_nodes; i++)
        w->vals[i] = s->nodes[i * NB_SCENE_NODE_FLOATS + 7];
    group_refs(w->vals, w->grp, s->n_nodes, w->n_groups, w->scratch, w->count, w->ref_b);
    if (w->given) /* one scale for several networks: the given divisors replace the percentiles */
        for (size_t g = 0; g < w->n_groups && g < s->n_layers; g++) {
            w->ref_a[g] = w->given->node_norm[g];
            w->ref_b[g] = w->given->node_a0[g];
        }
    for (size_t i = 0; i < s->n_nodes; i++) {
        float *r = s->nodes + i * NB_SCENE_NODE_FLOATS;
        r[3] = scaled(r[3], w->ref_a[w->grp[i]]);
        r[7] = scaled(r[7], w->ref_b[w->grp[i]]);
    }
    for (size_t l = 0; l < s->n_layers; l++) {
        s->node_norm_ref[l] = w->ref_a[per_layer ? l : 0];
        s->node_a0_ref[l] = w->ref_b[per_layer ? l : 0];
    }
}

/* Segments: iota (size, f), cull key and the a0 importance, per layer pair. */
static void scale_segments(scale_work *w, nb_scene *s, bool one_class) {
    const bool per_layer = w->mode == NB_NORMALIZE_LAYER;
    const size_t P = s->n_layers >= 2 ? s->n_layers - 1 : 0;
    for (size_t i = 0; i < s->n_segments; i++)
        w->grp[i] =
            per_layer ? (uint32_t)s->segments[i * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA + 2]
                      : 0;
    static const size_t slot[3] = {NB_SCENE_SEG_A + 3, NB_SCENE_SEG_EXTRA, NB_SCENE_SEG_COLOR + 3};
    float *refs[3] = {w->ref_a, w->ref_b, w->ref_c};
    for (int q = 0; q < (one_class ? 3 : 2); q++) {
        for (size_t i = 0; i < s->n_segments; i++)
            w->vals[i] = s->segments[i * NB_SCENE_SEGMENT_FLOATS + slot[q]];
        group_refs(w->vals, w->grp, s->n_segments, w->n_groups, w->scratch, w->count, refs[q]);
    }
    if (!one_class) /* a0 is iota outside the class view */
        memcpy(w->ref_c, w->ref_a, w->n_groups * sizeof *w->ref_c);
    if (w->given)
        for (size_t g = 0; g < w->n_groups && g < P; g++) {
            w->ref_a[g] = w->given->seg_iota[g];
            w->ref_b[g] = w->given->seg_cull[g];
            w->ref_c[g] = one_class ? w->given->seg_a0[g] : w->given->seg_iota[g];
        }
    for (size_t i = 0; i < s->n_segments; i++) {
        float *r = s->segments + i * NB_SCENE_SEGMENT_FLOATS;
        size_t g = w->grp[i];
        float iota = scaled(r[NB_SCENE_SEG_A + 3], w->ref_a[g]);
        r[NB_SCENE_SEG_A + 3] = iota;
        r[NB_SCENE_SEG_EXTRA] = scaled(r[NB_SCENE_SEG_EXTRA], w->ref_b[g]);
        r[NB_SCENE_SEG_COLOR + 3] =
            one_class ? scaled(r[NB_SCENE_SEG_COLOR + 3], w->ref_c[g]) : iota;
        if (r[NB_SCENE_SEG_B + 3] != 1.0f)
            r[NB_SCENE_SEG_B + 3] = 1.0f + 1.5f * iota;
    }
    for (size_t l = 0; l < P; l++) {
        size_t g = per_layer ? l : 0;
        s->seg_iota_ref[l] = w->ref_a[g];
        s->seg_cull_ref[l] = w->ref_b[g];
        s->seg_a0_ref[l] = w->ref_c[g];
    }
}

/* Pass 2 of nb_scene_build: turns the raw importance of the records into display values
 * (nb_scene.h): node norm and a0, segment iota, cull key, a0 and the overlap factor f, and
 * fills the per-layer / per-pair divisors. node_layer: [N] layer of every global node id. */
static nb_status display_scale(nb_scene *s, const nb_scene_desc *desc, const uint32_t *node_layer) {
    const bool one_class = desc->class_view == NB_CLASS_VIEW_ONE;
    const int mode = desc->normalization == NB_NORMALIZE_LAYER     ? NB_NORMALIZE_LAYER
                     : desc->normalization == NB_NORMALIZE_NETWORK ? NB_NORMALIZE_NETWORK
                                                                   : NB_NORMALIZE_NONE;
    s->normalization = mode;
    NB_TRY(alloc_refs(s));
    const nb_scene_scale *given = mode == NB_NORMALIZE_NONE ? NULL : desc->scale;
    if (given && given->n_layers != s->n_layers)
        return NB_RAISE(NB_E_MISMATCH, "display scale",
                        "a shared importance scale of %zu layers, the network has %zu",
                        given->n_layers, s->n_layers);
    if (mode == NB_NORMALIZE_NONE) {
        scale_raw(s, one_class);
        return NB_OK;
    }
    scale_work w;
    NB_TRY(scale_work_init(&w, s, mode, given));
    scale_nodes(&w, s, node_layer);
    scale_segments(&w, s, one_class);
    scale_work_deinit(&w);
    return NB_OK;
}

/* ---- building ------------------------------------------------------------------------ */

/* What the passes of nb_scene_build share: the model, the desc and per-node scratch. */
typedef struct scene_input {
    const nb_model *m;
    const nb_bundle_data *b;
    const nb_scene_desc *desc;
    size_t C;
    uint32_t *node_layer;         /* [N] layer of every global node id */
    nb_node_stats *stats;         /* [N] of the node class vectors */
    float *uniform;               /* [C] the class vector of every node without /importance */
    float *share, *q;             /* [C] scratch */
    float fg[3];                  /* the "independent" colour */
    float contrast;               /* the "all" view's exponent, in [1, 8] */
    size_t pair_first, pair_last; /* the layer pairs drawn */
} scene_input;

/* The class vector of global node g: row (g - layer_offset[l]) of /importance node_<l>. */
static const float *node_vec(const scene_input *in, size_t g) {
    if (!in->m->has_importance)
        return in->uniform;
    const nb_importance *imp = &in->m->importance;
    const size_t l = in->node_layer[g];
    return imp->node + imp->node_offset[l] + (g - (size_t)in->b->layer_offset[l]) * in->C;
}

static void input_deinit(scene_input *in) {
    free(in->node_layer);
    free(in->stats);
    free(in->uniform);
    free(in->share);
    free(in->q);
}

/* The scratch of the passes, each node's layer and class-vector statistics, the class view's
 * colour settings and the drawn layer pairs. */
static nb_status input_init(scene_input *in, const nb_model *m, const nb_scene_desc *desc) {
    memset(in, 0, sizeof *in);
    const nb_bundle_data *b = &m->bundle;
    const size_t L = b->n_layers, N = b->n_nodes, C = m->network.n_classes;
    in->m = m;
    in->b = b;
    in->desc = desc;
    in->C = C;
    in->node_layer = malloc((N ? N : 1) * sizeof *in->node_layer);
    in->stats = malloc((N ? N : 1) * sizeof *in->stats);
    in->uniform = malloc(C * sizeof *in->uniform);
    in->share = malloc(C * sizeof *in->share);
    in->q = malloc(C * sizeof *in->q);
    if (!in->node_layer || !in->stats || !in->uniform || !in->share || !in->q) {
        input_deinit(in);
        return NB_RAISE(NB_E_NOMEM, "scene", "%zu nodes", N);
    }
    for (size_t c = 0; c < C; c++)
        in->uniform[c] = 1.0f / sqrtf((float)C);
    for (size_t l = 0; l < L; l++)
        for (int64_t g = b->layer_offset[l]; g < b->layer_offset[l + 1]; g++)
            in->node_layer[g] = (uint32_t)l;
    for (size_t g = 0; g < N; g++)
        in->stats[g] = nb_node_stats_of(node_vec(in, g), C);
    in->pair_first = desc->filter_pairs ? desc->pair_first : 0;
    in->pair_last = desc->filter_pairs ? desc->pair_last : (L >= 2 ? L - 2 : 0);
    nb_palette_foreground(desc->background, in->fg);
    in->contrast = desc->class_contrast > 1.0f
                       ? (desc->class_contrast < 8.0f ? desc->class_contrast : 8.0f)
                       : 1.0f;
    return NB_OK;
}

/* The box of every node and polyline point, and the box of the nodes alone (both 0 when
 * empty). */
static void bound_network(const nb_bundle_data *b, nb_scene *s) {
    for (int i = 0; i < 3; i++) {
        s->bbox_min[i] = INFINITY;
        s->bbox_max[i] = -INFINITY;
    }
    for (size_t g = 0; g < b->n_nodes; g++)
        grow_box(s->bbox_min, s->bbox_max, b->node_position + 3 * g);
    memcpy(s->node_bbox_min, s->bbox_min, sizeof s->bbox_min);
    memcpy(s->node_bbox_max, s->bbox_max, sizeof s->bbox_max);
    for (size_t i = 0; i < b->n_points; i++)
        grow_box(s->bbox_min, s->bbox_max, b->point_position + 3 * i);
    if (!(s->bbox_max[0] >= s->bbox_min[0]))
        for (int i = 0; i < 3; i++)
            s->bbox_min[i] = s->bbox_max[i] = 0.0f;
    if (!(s->node_bbox_max[0] >= s->node_bbox_min[0]))
        for (int i = 0; i < 3; i++)
            s->node_bbox_min[i] = s->node_bbox_max[i] = 0.0f;
}

/* Pass 1, nodes of layers pair_first .. pair_last + 1, with raw values; the a0 slot holds the
 * raw importance that becomes a0 (mean of v, or v_k for the class view). */
static nb_status build_nodes(scene_input *in, nb_scene *s) {
    const nb_bundle_data *b = in->b;
    const size_t first = in->pair_first, last = in->pair_last + 1, C = in->C;
    const bool one_class = in->desc->class_view == NB_CLASS_VIEW_ONE;
    size_t n_nodes = 0;
    for (size_t g = 0; g < b->n_nodes; g++)
        n_nodes += in->node_layer[g] >= first && in->node_layer[g] <= last;
    s->nodes = malloc((n_nodes ? n_nodes : 1) * NB_SCENE_NODE_FLOATS * sizeof(float));
    s->node_id = malloc((n_nodes ? n_nodes : 1) * sizeof(uint32_t));
    if (!s->nodes || !s->node_id)
        return NB_RAISE(NB_E_NOMEM, "scene", "%zu nodes", n_nodes);
    for (size_t g = 0; g < b->n_nodes; g++) {
        if (!(in->node_layer[g] >= first && in->node_layer[g] <= last))
            continue;
        const float *v = node_vec(in, g);
        float *r = s->nodes + s->n_nodes * NB_SCENE_NODE_FLOATS;
        memcpy(r, b->node_position + 3 * g, 3 * sizeof(float));
        r[3] = in->stats[g].norm;
        shares_of(v, C, in->share);
        view_color(in->desc, in->fg, in->share, C, in->contrast, r + 4);
        r[7] = one_class ? v[in->desc->class_index] : in->stats[g].mean;
        s->node_id[s->n_nodes++] = (uint32_t)g;
    }
    return NB_OK;
}

/* Pass 1, the segment records of edge e (layer pair `pair`), appended to s->segments. */
static void build_edge_segments(scene_input *in, size_t e, size_t pair, nb_scene *s) {
    const nb_bundle_data *b = in->b;
    const size_t C = in->C;
    const bool one_class = in->desc->class_view == NB_CLASS_VIEW_ONE;
    const uint32_t src = b->edge_source[e], dst = b->edge_target[e];
    const float *sv = node_vec(in, src), *ev = node_vec(in, dst);
    const float alpha = b->edge_alpha ? b->edge_alpha[e] : 1.0f;
    const float cull = alpha * in->stats[src].mean;
    const size_t p0 = (size_t)b->edge_point_offset[e];
    const size_t np = (size_t)b->edge_point_offset[e + 1] - p0;
    for (size_t k = 0; k + 1 < np; k++) {
        float *r = s->segments + s->n_segments * NB_SCENE_SEGMENT_FLOATS;
        float t = ((float)k + 0.5f) / (float)(np - 1);
        float iota;
        nb_edge_importance_eval(in->desc->edge_importance_type, t, C, sv, in->stats[src], ev,
                                in->stats[dst], alpha, in->q, &iota);
        memcpy(r + NB_SCENE_SEG_A, b->point_position + 3 * (p0 + k), 3 * sizeof(float));
        r[NB_SCENE_SEG_A + 3] = iota;
        memcpy(r + NB_SCENE_SEG_B, b->point_position + 3 * (p0 + k + 1), 3 * sizeof(float));
        bool inner = k != 0 && k + 3 < np; /* not the first, not the last two (k >= np-3) */
        r[NB_SCENE_SEG_B + 3] = inner ? 2.0f : 1.0f; /* marker; f is set by display_scale */
        shares_of(in->q, C, in->share);
        view_color(in->desc, in->fg, in->share, C, in->contrast, r + NB_SCENE_SEG_COLOR);
        r[NB_SCENE_SEG_COLOR + 3] = one_class ? iota * in->q[in->desc->class_index] : iota;
        r[NB_SCENE_SEG_EXTRA + 0] = cull;
        r[NB_SCENE_SEG_EXTRA + 1] = (float)e;
        r[NB_SCENE_SEG_EXTRA + 2] = (float)pair;
        r[NB_SCENE_SEG_EXTRA + 3] = t;
        s->n_segments++;
    }
}

/* Pass 1, the edges of pairs pair_first .. pair_last: one record per polyline segment. */
static nb_status build_segments(scene_input *in, nb_scene *s) {
    const nb_bundle_data *b = in->b;
    size_t n_seg = 0, n_edges = 0;
    for (size_t e = 0; e < b->n_edges; e++) {
        size_t pair = in->node_layer[b->edge_source[e]];
        if (pair < in->pair_first || pair > in->pair_last)
            continue;
        n_edges++;
        n_seg += (size_t)(b->edge_point_offset[e + 1] - b->edge_point_offset[e]) - 1;
    }
    s->segments = malloc((n_seg ? n_seg : 1) * NB_SCENE_SEGMENT_FLOATS * sizeof(float));
    if (!s->segments)
        return NB_RAISE(NB_E_NOMEM, "scene", "%zu segments", n_seg);
    s->n_edges = n_edges;
    for (size_t e = 0; e < b->n_edges; e++) {
        size_t pair = in->node_layer[b->edge_source[e]];
        if (pair >= in->pair_first && pair <= in->pair_last)
            build_edge_segments(in, e, pair, s);
    }
    return NB_OK;
}

/* Reverses the whole segment array (desc.reverse_segments). */
static void reverse_segments(nb_scene *s) {
    float tmp[NB_SCENE_SEGMENT_FLOATS];
    for (size_t i = 0, j = s->n_segments - 1; i < j; i++, j--) {
        float *a = s->segments + i * NB_SCENE_SEGMENT_FLOATS;
        float *z = s->segments + j * NB_SCENE_SEGMENT_FLOATS;
        memcpy(tmp, a, sizeof tmp);
        memcpy(a, z, sizeof tmp);
        memcpy(z, tmp, sizeof tmp);
    }
    s->segments_ascending = true;
}

nb_status nb_scene_build(const nb_model *m, const nb_scene_desc *desc, const char *path,
                         nb_scene *out) {
    if (!path)
        path = "";
    NB_TRY(check_input(m, desc, path));
    scene_input in;
    NB_TRY(input_init(&in, m, desc));
    nb_scene s;
    memset(&s, 0, sizeof s);
    s.n_layers = m->bundle.n_layers;
    s.n_classes = in.C;
    s.edge_importance_type = desc->edge_importance_type;
    s.class_view = desc->class_view;
    s.class_index = desc->class_index;
    s.has_importance = m->has_importance;
    bound_network(&m->bundle, &s);
    nb_status st = copy_class_names(&m->network, &s.class_names);
    if (st == NB_OK)
        st = build_nodes(&in, &s);
    if (st == NB_OK)
        st = build_segments(&in, &s);
    if (st == NB_OK)
        st = display_scale(&s, desc, in.node_layer);
    if (st == NB_OK)
        st = sort_by_cull_key(&s);
    if (st == NB_OK && desc->reverse_segments && s.n_segments > 1)
        reverse_segments(&s);
    input_deinit(&in);
    if (st != NB_OK) {
        nb_scene_deinit(&s);
        return st;
    }
    *out = s;
    return NB_OK;
}

static void add_sphere(nb_camera_bounds *b, nb_camera_extent *e, const float c[3], float r) {
    if (b)
        nb_camera_bounds_add(b, c, r);
    if (e)
        nb_camera_extent_add(e, c, r);
}

void nb_scene_bound_drawn(const nb_scene *s, const nb_render_params *p, nb_camera_bounds *b,
                          nb_camera_extent *e) {
    if (p->node_pass.pipeline != NB_PIPELINE_NONE) {
        size_t n = nb_scene_visible_nodes(s, p->node.importance_threshold);
        float size = p->node_pass.pipeline == NB_PIPELINE_POINT ? 0.0f : p->node.size;
        for (size_t i = 0; i < n; i++) {
            const float *r = s->nodes + i * NB_SCENE_NODE_FLOATS;
            add_sphere(b, e, r, size * r[3]);
        }
    }
    if (p->edge_pass.pipeline == NB_PIPELINE_NONE)
        return;
    size_t first = 0;
    size_t n = nb_scene_visible_segments(s, p->edge.importance_threshold, &first);
    for (size_t i = first; i < first + n; i++) {
        const float *r = s->segments + i * NB_SCENE_SEGMENT_FLOATS;
        const float *a = r + NB_SCENE_SEG_A, *bb = r + NB_SCENE_SEG_B;
        float rad = p->edge.size * a[3];
        switch (p->edge_pass.pipeline) {
        case NB_PIPELINE_LINE:
            add_sphere(b, e, a, 0.0f);
            add_sphere(b, e, bb, 0.0f);
            break;
        case NB_PIPELINE_POINT:
            add_sphere(b, e, a, 0.0f);
            break;
        case NB_PIPELINE_SPHERE: /* one sphere per sample, at A (impostor_sphere.vert) */
            if (rad > 0.0f)
                add_sphere(b, e, a, rad);
            break;
        default: { /* ellipsoid (impostor_ellipsoid.geom): inside the capsule around its axis */
            float d[3] = {bb[0] - a[0], bb[1] - a[1], bb[2] - a[2]};
            float len = sqrtf(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            if (!(rad > 0.0f) || !(len > 0.0f))
                break;
            float half = 0.5f * len * bb[3]; /* long radius L = half + rad; ends at L - rad */
            float e0[3], e1[3];
            for (int k = 0; k < 3; k++) {
                float m = 0.5f * (a[k] + bb[k]), u = d[k] / len;
                e0[k] = m - half * u;
                e1[k] = m + half * u;
            }
            add_sphere(b, e, e0, rad);
            add_sphere(b, e, e1, rad);
            break;
        }
        }
    }
}

bool nb_scene_frame(const nb_scene *s, const nb_render_params *p, float width, float height,
                    const float rect[4], nb_camera *cam) {
    nb_camera_bounds b;
    nb_camera_bounds_begin(&b, cam, width, height, rect, p->camera_margin);
    nb_scene_bound_drawn(s, p, &b, NULL);
    if (!nb_camera_bounds_fit(&b, cam))
        return false;
    /* second pass: centre exactly in pixels (the fit is exact only where it binds) */
    nb_camera_extent e;
    nb_camera_extent_begin(&e, cam, width, height);
    nb_scene_bound_drawn(s, p, NULL, &e);
    (void)nb_camera_extent_centre(&e, cam, width, height, rect);
    return true;
}
