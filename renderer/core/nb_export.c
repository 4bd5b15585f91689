/* nb_export.c - the drawn part of a scene and its colours, for the glTF and HTML exporters.
 *
 * DESIGN: an export shows what a screenshot shows. The scene (nb_scene.h) already holds
 * every object sorted by its cull key, so the visible objects are a prefix of the nodes and a
 * run of the segments (nb_scene_visible_nodes / _segments with the params' thresholds);
 * nothing is copied. Colours: the scene's class-view rgb and base alpha a0, turned into what
 * the passes draw by the renderer's own CPU mirrors of the shader formulas (nb_render_fade,
 * nb_render_opacity), see nb_export.h. The sphere for nodes is generated (icosahedron, one
 * midpoint subdivision, projected on the unit sphere) so its vertices are deterministic.
 * No globals; every function is thread-safe on distinct outputs.
 * Config keys read (through nb_render_params): node_/edge_importance_threshold, node_/edge_mode,
 * node_/edge_size, the opacity keys, transparency, background, class_view.
 */
#include "nb_export.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nb_export_view_init(nb_export_view *v, const nb_scene *s, const nb_render_params *p) {
    memset(v, 0, sizeof *v);
    v->scene = s;
    v->node_size = p->node.size;
    v->edge_size = p->edge.size;
    v->nodes_opaque = p->node_pass.output == NB_OUTPUT_OPAQUE;
    v->edges_opaque = p->edge_pass.output == NB_OUTPUT_OPAQUE;
    if (p->node_pass.pipeline != NB_PIPELINE_NONE)
        v->n_nodes = nb_scene_visible_nodes(s, p->node.importance_threshold);
    if (p->edge_pass.pipeline != NB_PIPELINE_NONE)
        v->n_segments =
            nb_scene_visible_segments(s, p->edge.importance_threshold, &v->first_segment);
    float last = -1.0f;
    for (size_t i = 0; i < v->n_segments; i++) {
        float e =
            s->segments[(v->first_segment + i) * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA + 1];
        if (i == 0 || e != last)
            v->n_edges++;
        last = e;
    }
}

static float srgb_to_linear(float c) {
    return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
}

static uint8_t to_byte(float x) {
    if (!(x > 0.0f))
        return 0;
    if (x >= 1.0f)
        return 255;
    return (uint8_t)lrintf(x * 255.0f);
}

/* One record's colour (rgb at rec[0..2], a0 at rec[3]) as its pass draws it. */
static void object_rgba(const float *rec, const nb_object_uniforms *u, bool opaque,
                        const nb_render_params *p, bool linear, uint8_t out[4]) {
    float rgb[3] = {rec[0], rec[1], rec[2]};
    const float a0 = rec[3];
    if (p->fade_opaque) {
        float faded[3];
        nb_render_fade(p->background, rgb, a0, faded);
        memcpy(rgb, faded, sizeof rgb);
    }
    float a = opaque ? 1.0f : nb_render_opacity(u, a0, 1.0f, 1.0f);
    for (int i = 0; i < 3; i++)
        out[i] = to_byte(linear ? srgb_to_linear(rgb[i]) : rgb[i]);
    out[3] = to_byte(a);
}

void nb_export_colors(const nb_export_view *v, const nb_render_params *p, bool linear,
                      uint8_t *node_rgba, uint8_t *seg_rgba) {
    const nb_scene *s = v->scene;
    for (size_t i = 0; node_rgba && i < v->n_nodes; i++)
        object_rgba(s->nodes + i * NB_SCENE_NODE_FLOATS + NB_SCENE_NODE_COLOR, &p->node,
                    v->nodes_opaque, p, linear, node_rgba + 4 * i);
    for (size_t i = 0; seg_rgba && i < v->n_segments; i++)
        object_rgba(s->segments + (v->first_segment + i) * NB_SCENE_SEGMENT_FLOATS +
                        NB_SCENE_SEG_COLOR,
                    &p->edge, v->edges_opaque, p, linear, seg_rgba + 4 * i);
}

void nb_export_layer_name(size_t l, size_t n_layers, char *buf, size_t size) {
    if (l == 0)
        snprintf(buf, size, "input");
    else if (l + 1 == n_layers)
        snprintf(buf, size, "output");
    else
        snprintf(buf, size, "hidden %zu", l);
}

size_t nb_export_node_layer(const nb_model *m, const nb_scene *s, size_t i) {
    if (!m->has_bundle || i >= s->n_nodes)
        return s->n_layers;
    return nb_scene_layer_of(m->bundle.layer_offset, m->bundle.n_layers, s->node_id[i]);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != suffix[i])
            return false;
    return true;
}

nb_status nb_export_format_of(const char *path, nb_export_format *format) {
    if (!path || !*path)
        return NB_RAISE(NB_E_INVALID, "--export", "no output file name");
    if (ends_with(path, ".glb")) {
        *format = NB_EXPORT_GLB;
        return NB_OK;
    }
    if (ends_with(path, ".html") || ends_with(path, ".htm")) {
        *format = NB_EXPORT_HTML;
        return NB_OK;
    }
    return NB_RAISE(NB_E_INVALID, path,
                    "unknown export format; the extension picks it: .glb (binary glTF 2.0) or "
                    ".html (a self-contained web page)");
}

/* ---- the node sphere ------------------------------------------------------------------ */

static void normalize3(float v[3]) {
    float n = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    for (int i = 0; i < 3; i++)
        v[i] /= n;
}

/* Index of the midpoint of edge (a, b), added on first use. */
static uint16_t midpoint(float pos[][3], uint16_t *n, uint16_t keys[][3], size_t *n_keys,
                         uint16_t a, uint16_t b) {
    uint16_t lo = a < b ? a : b, hi = a < b ? b : a;
    for (size_t k = 0; k < *n_keys; k++)
        if (keys[k][0] == lo && keys[k][1] == hi)
            return keys[k][2];
    uint16_t m = (*n)++;
    for (int i = 0; i < 3; i++)
        pos[m][i] = 0.5f * (pos[lo][i] + pos[hi][i]);
    normalize3(pos[m]);
    keys[*n_keys][0] = lo;
    keys[*n_keys][1] = hi;
    keys[*n_keys][2] = m;
    (*n_keys)++;
    return m;
}

void nb_export_sphere(float positions[NB_EXPORT_SPHERE_VERTICES][3],
                      uint16_t indices[NB_EXPORT_SPHERE_TRIANGLES][3]) {
    const float t = (1.0f + sqrtf(5.0f)) / 2.0f;
    const float ico[12][3] = {{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
                              {0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
                              {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1}};
    static const uint16_t faces[20][3] = {
        {0, 11, 5},  {0, 5, 1},  {0, 1, 7},  {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
        {11, 10, 2}, {10, 7, 6}, {7, 1, 8},  {3, 9, 4},  {3, 4, 2},   {3, 2, 6}, {3, 6, 8},
        {3, 8, 9},   {4, 9, 5},  {2, 4, 11}, {6, 2, 10}, {8, 6, 7},   {9, 8, 1}};
    uint16_t n = 12;
    for (int v = 0; v < 12; v++) {
        memcpy(positions[v], ico[v], sizeof ico[v]);
        normalize3(positions[v]);
    }
    uint16_t keys[30][3];
    size_t n_keys = 0;
    for (int f = 0; f < 20; f++) {
        uint16_t a = faces[f][0], b = faces[f][1], c = faces[f][2];
        uint16_t ab = midpoint(positions, &n, keys, &n_keys, a, b);
        uint16_t bc = midpoint(positions, &n, keys, &n_keys, b, c);
        uint16_t ca = midpoint(positions, &n, keys, &n_keys, c, a);
        const uint16_t tri[4][3] = {{a, ab, ca}, {b, bc, ab}, {c, ca, bc}, {ab, bc, ca}};
        memcpy(indices[4 * f], tri, sizeof tri);
    }
}

size_t nb_export_bytes_put(nb_export_bytes *b, const void *src, size_t n) {
    size_t at = (b->len + 3u) & ~(size_t)3u;
    if (b->failed)
        return 0;
    if (at + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1u << 16;
        while (cap < at + n)
            cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
            b->failed = true;
            return 0;
        }
        b->data = p;
        b->cap = cap;
    }
    memset(b->data + b->len, 0, at - b->len);
    if (src)
        memcpy(b->data + at, src, n);
    else
        memset(b->data + at, 0, n);
    b->len = at + n;
    return at;
}
