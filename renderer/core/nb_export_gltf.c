/* nb_export_gltf.c - binary glTF 2.0 writer of the drawn network (JSON via cJSON + BIN chunk).
 *
 * DESIGN: nb_export_view_init selects the visible nodes and segments (nb_export.h), and
 * nb_export_colors gives their colours (linear for glTF). The nodes are grouped by layer and
 * the segments by layer pair (each group in scene order, i.e. by importance), every group
 * becomes one glTF node with one mesh of one primitive; each attribute gets its own
 * bufferView (tightly packed, 4-byte aligned, target set) in one buffer, which is the GLB's
 * BIN chunk. Accessor min/max is written for POSITION (required by the specification).
 * Index type: UNSIGNED_SHORT when a layer's sphere mesh has < 65536 vertices, else
 * UNSIGNED_INT. The JSON is printed unformatted by cJSON (numbers with up to 17 significant
 * digits, so it round-trips). Source: the glTF 2.0 specification (Khronos, 2021), sections
 * 3.6-3.9 (buffers, accessors, meshes), 4.4 (GLB), and KHR_materials_unlit.
 * Single-threaded; no globals. Config keys read: through nb_export.h, and class_view,
 * class_index, background for the metadata.
 */
#include "nb_export_gltf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "nb_file.h"
#include "nb_palette.h"

#define GLB_MAGIC      0x46546C67u /* "glTF" */
#define GLB_JSON       0x4E4F534Au /* "JSON" */
#define GLB_BIN        0x004E4942u /* "BIN\0" */
#define GL_FLOAT       5126
#define GL_UBYTE       5121
#define GL_USHORT      5123
#define GL_UINT        5125
#define ARRAY_BUFFER   34962
#define ELEMENT_BUFFER 34963
#define MODE_LINES     1
#define MODE_TRIANGLES 4

/* The BIN chunk under construction and the JSON arrays that describe it. */
typedef struct writer {
    nb_export_bytes bin;
    cJSON *views, *accessors;
    bool failed; /* an allocation failed (bin.failed is folded in before the file is made) */
} writer;

/* Appends n bytes (NULL: zeros) at a 4-byte boundary; returns the offset. */
static size_t put(writer *w, const void *data, size_t n) {
    size_t at = nb_export_bytes_put(&w->bin, data, n);
    w->failed = w->failed || w->bin.failed;
    return at;
}

static cJSON *add_obj(cJSON *array) {
    cJSON *o = cJSON_CreateObject();
    if (o)
        cJSON_AddItemToArray(array, o);
    return o;
}

/* One accessor over its own bufferView. type: "SCALAR", "VEC3", "VEC4". mm: float min/max
 * (n_comp values each) or NULL. Returns the accessor index. */
static int accessor(writer *w, const void *data, size_t bytes, size_t count, int comp,
                    const char *type, bool normalized, int target, const float *mn, const float *mx,
                    int n_comp) {
    size_t off = put(w, data, bytes);
    cJSON *v = add_obj(w->views), *a = add_obj(w->accessors);
    if (!v || !a) {
        w->failed = true;
        return 0;
    }
    cJSON_AddNumberToObject(v, "buffer", 0);
    cJSON_AddNumberToObject(v, "byteOffset", (double)off);
    cJSON_AddNumberToObject(v, "byteLength", (double)bytes);
    cJSON_AddNumberToObject(v, "target", target);
    cJSON_AddNumberToObject(a, "bufferView", cJSON_GetArraySize(w->views) - 1);
    cJSON_AddNumberToObject(a, "componentType", comp);
    if (normalized)
        cJSON_AddTrueToObject(a, "normalized");
    cJSON_AddNumberToObject(a, "count", (double)count);
    cJSON_AddStringToObject(a, "type", type);
    if (mn && mx) {
        cJSON_AddItemToObject(a, "min", cJSON_CreateFloatArray(mn, n_comp));
        cJSON_AddItemToObject(a, "max", cJSON_CreateFloatArray(mx, n_comp));
    }
    return cJSON_GetArraySize(w->accessors) - 1;
}

static void bounds3(const float *p, size_t n, float mn[3], float mx[3]) {
    for (int k = 0; k < 3; k++) {
        mn[k] = INFINITY;
        mx[k] = -INFINITY;
    }
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            mn[k] = fminf(mn[k], p[3 * i + k]);
            mx[k] = fmaxf(mx[k], p[3 * i + k]);
        }
}

static cJSON *string_array(char **s, size_t n) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(s[i]));
    return a;
}

static cJSON *layer_names(size_t L) {
    cJSON *a = cJSON_CreateArray();
    char name[32];
    for (size_t l = 0; a && l < L; l++) {
        nb_export_layer_name(l, L, name, sizeof name);
        cJSON_AddItemToArray(a, cJSON_CreateString(name));
    }
    return a;
}

static const char *base_name(const char *path) {
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : (path ? path : "");
}

/* The metadata of the root node and the scene (see nb_export_gltf.h). */
static cJSON *network_extras(const nb_export_desc *d, const nb_export_view *v) {
    const nb_scene *s = d->scene;
    const nb_network *net = &d->model->network;
    cJSON *x = cJSON_CreateObject();
    if (!x)
        return NULL;
    cJSON_AddStringToObject(x, "source", base_name(d->source));
    cJSON_AddItemToObject(x, "layers", layer_names(s->n_layers));
    cJSON *sizes = cJSON_AddArrayToObject(x, "layer_sizes");
    for (size_t l = 0; sizes && l < net->n_layers; l++)
        cJSON_AddItemToArray(sizes, cJSON_CreateNumber((double)net->layer_size[l]));
    cJSON_AddItemToObject(x, "classes", string_array(s->class_names, s->n_classes));
    cJSON *colors = cJSON_AddArrayToObject(x, "class_colors_srgb");
    for (size_t c = 0; colors && c < s->n_classes; c++) {
        float rgb[3];
        nb_palette_color(c, rgb);
        cJSON_AddItemToArray(colors, cJSON_CreateFloatArray(rgb, 3));
    }
    cJSON_AddStringToObject(x, "class_view", nb_render_enum_name("class_view", s->class_view));
    if (s->class_view == NB_CLASS_VIEW_ONE)
        cJSON_AddNumberToObject(x, "class_index", (double)s->class_index);
    cJSON_AddItemToObject(x, "background_srgb", cJSON_CreateFloatArray(d->params->background, 3));
    cJSON_AddNumberToObject(x, "nodes", (double)v->n_nodes);
    cJSON_AddNumberToObject(x, "edges", (double)v->n_edges);
    cJSON_AddNumberToObject(x, "segments", (double)v->n_segments);
    cJSON_AddStringToObject(x, "_IMPORTANCE",
                            "display importance: node = norm of its class-importance vector, "
                            "segment = iota, both scaled by importance_normalization");
    return x;
}

/* The mesh of the spheres of layer l's visible nodes (idx[n], into the scene). */
static nb_status layer_primitive(writer *w, const nb_export_view *v, const uint8_t *rgba,
                                 const size_t *idx, size_t n, cJSON *prim) {
    float unit[NB_EXPORT_SPHERE_VERTICES][3];
    uint16_t tri[NB_EXPORT_SPHERE_TRIANGLES][3];
    nb_export_sphere(unit, tri);
    const size_t nv = n * NB_EXPORT_SPHERE_VERTICES, ni = n * NB_EXPORT_SPHERE_TRIANGLES * 3;
    const bool wide = nv > 65535;
    float *pos = malloc(nv * 3 * sizeof *pos), *nrm = malloc(nv * 3 * sizeof *nrm);
    float *imp = malloc(nv * sizeof *imp);
    uint8_t *col = malloc(nv * 4);
    void *ind = malloc(ni * (wide ? 4 : 2));
    if (!pos || !nrm || !imp || !col || !ind) {
        free(pos);
        free(nrm);
        free(imp);
        free(col);
        free(ind);
        return NB_RAISE(NB_E_NOMEM, "--export", "%zu sphere vertices", nv);
    }
    for (size_t j = 0; j < n; j++) {
        const float *rec = v->scene->nodes + idx[j] * NB_SCENE_NODE_FLOATS;
        const float r = v->node_size * rec[3];
        for (size_t k = 0; k < NB_EXPORT_SPHERE_VERTICES; k++) {
            size_t q = j * NB_EXPORT_SPHERE_VERTICES + k;
            for (int c = 0; c < 3; c++) {
                pos[3 * q + c] = rec[c] + r * unit[k][c];
                nrm[3 * q + c] = unit[k][c];
            }
            imp[q] = rec[3];
            memcpy(col + 4 * q, rgba + 4 * idx[j], 4);
        }
        for (size_t t = 0; t < NB_EXPORT_SPHERE_TRIANGLES * 3; t++) {
            size_t q = j * NB_EXPORT_SPHERE_VERTICES + tri[t / 3][t % 3];
            size_t at = j * NB_EXPORT_SPHERE_TRIANGLES * 3 + t;
            if (wide)
                ((uint32_t *)ind)[at] = (uint32_t)q;
            else
                ((uint16_t *)ind)[at] = (uint16_t)q;
        }
    }
    float mn[3], mx[3];
    bounds3(pos, nv, mn, mx);
    cJSON *attr = cJSON_AddObjectToObject(prim, "attributes");
    if (!attr)
        w->failed = true;
    int a_pos = accessor(w, pos, nv * 12, nv, GL_FLOAT, "VEC3", false, ARRAY_BUFFER, mn, mx, 3);
    int a_nrm = accessor(w, nrm, nv * 12, nv, GL_FLOAT, "VEC3", false, ARRAY_BUFFER, NULL, NULL, 0);
    int a_col = accessor(w, col, nv * 4, nv, GL_UBYTE, "VEC4", true, ARRAY_BUFFER, NULL, NULL, 0);
    int a_imp =
        accessor(w, imp, nv * 4, nv, GL_FLOAT, "SCALAR", false, ARRAY_BUFFER, NULL, NULL, 0);
    int a_ind = accessor(w, ind, ni * (wide ? 4 : 2), ni, wide ? GL_UINT : GL_USHORT, "SCALAR",
                         false, ELEMENT_BUFFER, NULL, NULL, 0);
    free(pos);
    free(nrm);
    free(imp);
    free(col);
    free(ind);
    if (attr) {
        cJSON_AddNumberToObject(attr, "POSITION", a_pos);
        cJSON_AddNumberToObject(attr, "NORMAL", a_nrm);
        cJSON_AddNumberToObject(attr, "COLOR_0", a_col);
        cJSON_AddNumberToObject(attr, "_IMPORTANCE", a_imp);
    }
    cJSON_AddNumberToObject(prim, "indices", a_ind);
    cJSON_AddNumberToObject(prim, "material", 0);
    cJSON_AddNumberToObject(prim, "mode", MODE_TRIANGLES);
    return NB_OK;
}

/* The LINES primitive of the visible segments idx[n] (offsets from v->first_segment). */
static nb_status pair_primitive(writer *w, const nb_export_view *v, const uint8_t *rgba,
                                const size_t *idx, size_t n, cJSON *prim) {
    const size_t nv = 2 * n;
    float *pos = malloc(nv * 3 * sizeof *pos), *imp = malloc(nv * sizeof *imp);
    uint8_t *col = malloc(nv * 4);
    if (!pos || !imp || !col) {
        free(pos);
        free(imp);
        free(col);
        return NB_RAISE(NB_E_NOMEM, "--export", "%zu line vertices", nv);
    }
    for (size_t j = 0; j < n; j++) {
        const float *rec =
            v->scene->segments + (v->first_segment + idx[j]) * NB_SCENE_SEGMENT_FLOATS;
        for (int e = 0; e < 2; e++) {
            size_t q = 2 * j + (size_t)e;
            memcpy(pos + 3 * q, rec + (e ? NB_SCENE_SEG_B : NB_SCENE_SEG_A), 3 * sizeof(float));
            imp[q] = rec[NB_SCENE_SEG_A + 3];
            memcpy(col + 4 * q, rgba + 4 * idx[j], 4);
        }
    }
    float mn[3], mx[3];
    bounds3(pos, nv, mn, mx);
    cJSON *attr = cJSON_AddObjectToObject(prim, "attributes");
    if (!attr)
        w->failed = true;
    int a_pos = accessor(w, pos, nv * 12, nv, GL_FLOAT, "VEC3", false, ARRAY_BUFFER, mn, mx, 3);
    int a_col = accessor(w, col, nv * 4, nv, GL_UBYTE, "VEC4", true, ARRAY_BUFFER, NULL, NULL, 0);
    int a_imp =
        accessor(w, imp, nv * 4, nv, GL_FLOAT, "SCALAR", false, ARRAY_BUFFER, NULL, NULL, 0);
    free(pos);
    free(imp);
    free(col);
    if (attr) {
        cJSON_AddNumberToObject(attr, "POSITION", a_pos);
        cJSON_AddNumberToObject(attr, "COLOR_0", a_col);
        cJSON_AddNumberToObject(attr, "_IMPORTANCE", a_imp);
    }
    cJSON_AddNumberToObject(prim, "material", 1);
    cJSON_AddNumberToObject(prim, "mode", MODE_LINES);
    return NB_OK;
}

/* A glTF node with a mesh of one primitive; returns the primitive object to fill. */
static cJSON *mesh_node(cJSON *nodes, cJSON *meshes, cJSON *children, const char *name,
                        cJSON **extras) {
    cJSON *node = add_obj(nodes), *mesh = add_obj(meshes);
    if (!node || !mesh)
        return NULL;
    cJSON_AddStringToObject(mesh, "name", name);
    cJSON *prims = cJSON_AddArrayToObject(mesh, "primitives");
    cJSON_AddStringToObject(node, "name", name);
    cJSON_AddNumberToObject(node, "mesh", cJSON_GetArraySize(meshes) - 1);
    cJSON_AddItemToArray(children, cJSON_CreateNumber(cJSON_GetArraySize(nodes) - 1));
    *extras = cJSON_AddObjectToObject(node, "extras");
    return prims ? add_obj(prims) : NULL;
}

static void materials(cJSON *root, const nb_export_view *v) {
    cJSON *mats = cJSON_AddArrayToObject(root, "materials");
    cJSON *m = add_obj(mats);
    if (m) {
        cJSON_AddStringToObject(m, "name", "nodes");
        cJSON *pbr = cJSON_AddObjectToObject(m, "pbrMetallicRoughness");
        cJSON_AddNumberToObject(pbr, "metallicFactor", 0.0);
        cJSON_AddNumberToObject(pbr, "roughnessFactor", 0.6);
        cJSON_AddStringToObject(m, "alphaMode", v->nodes_opaque ? "OPAQUE" : "BLEND");
    }
    m = add_obj(mats);
    if (m) {
        cJSON_AddStringToObject(m, "name", "edges");
        cJSON *pbr = cJSON_AddObjectToObject(m, "pbrMetallicRoughness");
        cJSON_AddNumberToObject(pbr, "metallicFactor", 0.0);
        cJSON_AddNumberToObject(pbr, "roughnessFactor", 1.0);
        cJSON_AddStringToObject(m, "alphaMode", v->edges_opaque ? "OPAQUE" : "BLEND");
        cJSON *ext = cJSON_AddObjectToObject(m, "extensions");
        cJSON_AddObjectToObject(ext, "KHR_materials_unlit");
    }
}

/* Groups: for each of n_groups keys, the indices (ascending) of the items with that key. */
typedef struct groups {
    size_t *start; /* [n_groups + 1] */
    size_t *items; /* [n] */
} groups;

static bool group_by(const size_t *key, size_t n, size_t n_groups, groups *g) {
    g->start = calloc(n_groups + 1, sizeof *g->start);
    g->items = malloc((n ? n : 1) * sizeof *g->items);
    size_t *fill = calloc(n_groups + 1, sizeof *fill);
    if (!g->start || !g->items || !fill) {
        free(g->start);
        free(g->items);
        free(fill);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        g->start[key[i] + 1]++;
    for (size_t k = 0; k < n_groups; k++)
        g->start[k + 1] += g->start[k];
    for (size_t i = 0; i < n; i++)
        g->items[g->start[key[i]] + fill[key[i]]++] = i;
    free(fill);
    return true;
}

static void groups_free(groups *g) {
    free(g->start);
    free(g->items);
}

/* The scene's nodes and segments as glTF nodes, meshes, accessors and the BIN chunk. */
static nb_status add_geometry(writer *w, const nb_export_desc *d, const nb_export_view *v,
                              cJSON *root, cJSON *children) {
    const size_t L = d->scene->n_layers, P = L > 0 ? L - 1 : 0;
    uint8_t *node_rgba = malloc(v->n_nodes * 4 + 4), *seg_rgba = malloc(v->n_segments * 4 + 4);
    size_t *node_key = malloc((v->n_nodes + 1) * sizeof *node_key);
    size_t *seg_key = malloc((v->n_segments + 1) * sizeof *seg_key);
    groups gn = {0}, gs = {0};
    nb_status st = NB_OK;
    if (!node_rgba || !seg_rgba || !node_key || !seg_key) {
        st = NB_RAISE(NB_E_NOMEM, "--export", "colours of %zu nodes, %zu segments", v->n_nodes,
                      v->n_segments);
        goto done;
    }
    nb_export_colors(v, d->params, true, node_rgba, seg_rgba);
    for (size_t i = 0; i < v->n_nodes; i++)
        node_key[i] = nb_export_node_layer(d->model, d->scene, i);
    for (size_t i = 0; i < v->n_segments; i++) {
        float pair = d->scene->segments[(v->first_segment + i) * NB_SCENE_SEGMENT_FLOATS +
                                        NB_SCENE_SEG_EXTRA + 2];
        seg_key[i] = pair >= 0.0f && (size_t)pair < P ? (size_t)pair : P;
    }
    if (!group_by(node_key, v->n_nodes, L + 1, &gn) ||
        !group_by(seg_key, v->n_segments, P + 1, &gs)) {
        st = NB_RAISE(NB_E_NOMEM, "--export", "grouping %zu nodes", v->n_nodes);
        goto done;
    }
    cJSON *nodes = cJSON_GetObjectItem(root, "nodes");
    cJSON *meshes = cJSON_AddArrayToObject(root, "meshes");
    char lname[32], lname2[32], name[96];
    for (size_t l = 0; l < L && st == NB_OK; l++) {
        size_t n = gn.start[l + 1] - gn.start[l];
        if (n == 0)
            continue;
        nb_export_layer_name(l, L, lname, sizeof lname);
        snprintf(name, sizeof name, "layer %zu %s", l, lname);
        cJSON *extras = NULL, *prim = mesh_node(nodes, meshes, children, name, &extras);
        if (!prim || !extras) {
            w->failed = true;
            break;
        }
        cJSON_AddStringToObject(extras, "layer", lname);
        cJSON_AddNumberToObject(extras, "layer_index", (double)l);
        cJSON_AddNumberToObject(extras, "nodes", (double)n);
        cJSON_AddItemToObject(extras, "classes",
                              string_array(d->scene->class_names, d->scene->n_classes));
        st = layer_primitive(w, v, node_rgba, gn.items + gn.start[l], n, prim);
    }
    for (size_t l = 0; l < P && st == NB_OK; l++) {
        size_t n = gs.start[l + 1] - gs.start[l];
        if (n == 0)
            continue;
        nb_export_layer_name(l, L, lname, sizeof lname);
        nb_export_layer_name(l + 1, L, lname2, sizeof lname2);
        snprintf(name, sizeof name, "edges %zu-%zu", l, l + 1);
        cJSON *extras = NULL, *prim = mesh_node(nodes, meshes, children, name, &extras);
        if (!prim || !extras) {
            w->failed = true;
            break;
        }
        cJSON_AddNumberToObject(extras, "pair", (double)l);
        cJSON_AddStringToObject(extras, "from", lname);
        cJSON_AddStringToObject(extras, "to", lname2);
        cJSON_AddNumberToObject(extras, "segments", (double)n);
        st = pair_primitive(w, v, seg_rgba, gs.items + gs.start[l], n, prim);
    }
done:
    groups_free(&gn);
    groups_free(&gs);
    free(node_rgba);
    free(seg_rgba);
    free(node_key);
    free(seg_key);
    return st;
}

/* The JSON document around the geometry. */
static cJSON *document(const nb_export_desc *d, const nb_export_view *v, cJSON **children) {
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON *asset = cJSON_AddObjectToObject(root, "asset");
    cJSON_AddStringToObject(asset, "version", "2.0");
    cJSON_AddStringToObject(asset, "generator", "nnbundle-render " NB_VERSION);
    cJSON *used = cJSON_AddArrayToObject(root, "extensionsUsed");
    cJSON_AddItemToArray(used, cJSON_CreateString("KHR_materials_unlit"));
    cJSON_AddNumberToObject(root, "scene", 0);
    cJSON *scene = add_obj(cJSON_AddArrayToObject(root, "scenes"));
    cJSON_AddStringToObject(scene, "name", base_name(d->source));
    cJSON *sn = cJSON_AddArrayToObject(scene, "nodes");
    cJSON_AddItemToArray(sn, cJSON_CreateNumber(0));
    cJSON_AddItemToObject(scene, "extras", network_extras(d, v));
    cJSON *net = add_obj(cJSON_AddArrayToObject(root, "nodes"));
    cJSON_AddStringToObject(net, "name", "network");
    *children = cJSON_AddArrayToObject(net, "children");
    cJSON_AddItemToObject(net, "extras", network_extras(d, v));
    materials(root, v);
    return root;
}

static void put_u32(uint8_t *p, uint32_t x) {
    p[0] = (uint8_t)x;
    p[1] = (uint8_t)(x >> 8);
    p[2] = (uint8_t)(x >> 16);
    p[3] = (uint8_t)(x >> 24);
}

nb_status nb_export_gltf_build(const nb_export_desc *d, uint8_t **glb, size_t *len,
                               nb_export_gltf_stats *stats) {
    nb_export_view v;
    nb_export_view_init(&v, d->scene, d->params);
    if (v.n_nodes == 0 && v.n_segments == 0)
        return NB_RAISE(NB_E_INVALID, d->source ? d->source : "--export",
                        "nothing to export: no node or edge is drawn at these importance "
                        "thresholds and modes");
    writer w = {0};
    w.views = cJSON_CreateArray();
    w.accessors = cJSON_CreateArray();
    cJSON *children = NULL, *root = document(d, &v, &children);
    nb_status st = NB_OK;
    if (!root || !children || !w.views || !w.accessors)
        w.failed = true;
    if (!w.failed)
        st = add_geometry(&w, d, &v, root, children);
    uint8_t *out = NULL;
    size_t total = 0;
    if (st == NB_OK && !w.failed) {
        (void)put(&w, NULL, 0); /* pad the BIN chunk to 4 bytes */
        cJSON *buffer = add_obj(cJSON_AddArrayToObject(root, "buffers"));
        cJSON_AddNumberToObject(buffer, "byteLength", (double)w.bin.len);
        cJSON_AddItemToObject(root, "bufferViews", w.views);
        cJSON_AddItemToObject(root, "accessors", w.accessors);
        w.views = w.accessors = NULL;
        char *json = cJSON_PrintUnformatted(root);
        size_t jlen = json ? strlen(json) : 0, jpad = (jlen + 3u) & ~(size_t)3u;
        total = 12 + 8 + jpad + 8 + w.bin.len;
        if (json && total > UINT32_MAX) {
            st = NB_RAISE(NB_E_INVALID, "--export",
                          "%zu bytes: larger than the 4 GiB a glb can hold; raise the "
                          "importance thresholds",
                          total);
        } else if (json && (out = malloc(total)) != NULL) {
            put_u32(out, GLB_MAGIC);
            put_u32(out + 4, 2);
            put_u32(out + 8, (uint32_t)total);
            put_u32(out + 12, (uint32_t)jpad);
            put_u32(out + 16, GLB_JSON);
            memcpy(out + 20, json, jlen);
            memset(out + 20 + jlen, ' ', jpad - jlen);
            put_u32(out + 20 + jpad, (uint32_t)w.bin.len);
            put_u32(out + 24 + jpad, GLB_BIN);
            if (w.bin.len)
                memcpy(out + 28 + jpad, w.bin.data, w.bin.len);
        } else {
            w.failed = true;
        }
        cJSON_free(json);
    }
    if (st == NB_OK && w.failed)
        st = NB_RAISE(NB_E_NOMEM, "--export", "building the glTF document");
    cJSON_Delete(root);
    cJSON_Delete(w.views);
    cJSON_Delete(w.accessors);
    free(w.bin.data);
    if (st != NB_OK) {
        free(out);
        return st;
    }
    *glb = out;
    *len = total;
    if (stats) {
        stats->nodes = v.n_nodes;
        stats->edges = v.n_edges;
        stats->segments = v.n_segments;
        stats->vertices = v.n_nodes * NB_EXPORT_SPHERE_VERTICES + 2 * v.n_segments;
        stats->bytes = total;
    }
    return NB_OK;
}

nb_status nb_export_gltf_save(const nb_export_desc *d, const char *path,
                              nb_export_gltf_stats *stats) {
    uint8_t *glb = NULL;
    size_t len = 0;
    NB_TRY(nb_export_gltf_build(d, &glb, &len, stats));
    nb_status st = nb_file_save(path, glb, len);
    free(glb);
    return st;
}
