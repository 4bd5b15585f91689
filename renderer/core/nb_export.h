/* nb_export.h - the drawn network as plain geometry for the file exporters (GL-free).
 *
 * nnbundle-render --export writes what a screenshot would show, for other programs: the
 * objects above the importance thresholds (nb_scene_visible_nodes / _segments with the
 * config's thresholds; a mode "hidden" exports none of that kind), each with the colour and
 * opacity the renderer gives it. Colours come from the scene (nb_scene's class views) and
 * the renderer's own formulas (nb_render_params.h): with fade_opaque ("independent" and
 * "class" views) rgb = nb_render_fade(background, rgb, a0); the opacity of a transparent
 * pass is nb_render_opacity(u, a0, rho = 1, z_rel = 1), the fragment through the object's
 * centre at the nearest depth (the depth term depends on the camera, which an export does
 * not fix), clamped to [0, 1]; opaque passes give 1. Nothing here re-derives a colour.
 * The exporters: nb_export_gltf.h (binary glTF 2.0), nb_export_html.h (a web page).
 */
#ifndef NB_EXPORT_H
#define NB_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_render_params.h"
#include "nb_scene.h"
#include "nb_status.h"

/* What an export draws: the visible prefix of a scene's nodes and segments. Arrays point into
 * the scene (borrowed, valid while it lives). */
typedef struct nb_export_view {
    const nb_scene *scene;
    size_t n_nodes;       /* nodes scene->nodes[0 .. n_nodes) */
    size_t first_segment; /* segments scene->segments[first_segment .. + n_segments) */
    size_t n_segments;    /* visible polyline segments */
    size_t n_edges;       /* distinct edges among them */
    float node_size;      /* world units at importance 1 (key node_size) */
    float edge_size;      /* world units at importance 1 (key edge_size) */
    bool nodes_opaque;    /* the node pass is opaque (alpha 1) */
    bool edges_opaque;
} nb_export_view;

/* Everything an exporter reads (all borrowed). */
typedef struct nb_export_desc {
    const nb_model *model;             /* the loaded file (/network, /bundle) */
    const nb_scene *scene;             /* built from model with the config's class view */
    const nb_render_params *params;    /* nb_render_params_from_config(config) */
    const nb_rendering_config *config; /* the run's rendering config */
    const char *source;                /* the input file's path (named in the metadata) */
    const nb_scene_desc *scene_desc;   /* the desc scene was built with (HTML: the other
                                          class views are built from it; glTF: unused) */
} nb_export_desc;

/* Selects what scene s draws with params p (thresholds, hidden modes, sizes). Never fails. */
void nb_export_view_init(nb_export_view *v, const nb_scene *s, const nb_render_params *p);

/* Colours of the view's objects as the renderer shows them (see the header comment), 8-bit
 * RGBA: node_rgba uint8[v->n_nodes][4], seg_rgba uint8[v->n_segments][4] (either may be NULL).
 * With `linear` the rgb channels are converted from the renderer's sRGB-encoded values to
 * linear light (glTF's COLOR_0 is linear; viewers encode to sRGB on output); alpha is never
 * converted. Rounded to nearest. */
void nb_export_colors(const nb_export_view *v, const nb_render_params *p, bool linear,
                      uint8_t *node_rgba, uint8_t *seg_rgba);

/* The name of layer l of an L-layer network: "input", "hidden 1" .. "hidden L-2", "output".
 * Writes at most size bytes (NUL-terminated). */
void nb_export_layer_name(size_t l, size_t n_layers, char *buf, size_t size);

/* The layer of scene node i (0-based index into s->nodes) from the model's /bundle
 * layer_offset; s->n_layers when the model has no /bundle or i is out of range. */
size_t nb_export_node_layer(const nb_model *m, const nb_scene *s, size_t i);

/* The formats of --export. */
typedef enum nb_export_format { NB_EXPORT_GLB = 1, NB_EXPORT_HTML = 2 } nb_export_format;

/* The export format of `path` from its extension (case-insensitive): ".glb", ".html" or
 * ".htm". Returns NB_OK, or NB_E_INVALID with subject path ("unknown export format; the
 * extension picks it: .glb ... or .html ...") or subject "--export" for NULL / "" (*format
 * untouched). */
nb_status nb_export_format_of(const char *path, nb_export_format *format);

/* The low-poly unit sphere the exporters instance for nodes: an icosahedron subdivided once,
 * 42 vertices (unit positions = normals), 80 counter-clockwise triangles. */
#define NB_EXPORT_SPHERE_VERTICES  42
#define NB_EXPORT_SPHERE_TRIANGLES 80
void nb_export_sphere(float positions[NB_EXPORT_SPHERE_VERTICES][3],
                      uint16_t indices[NB_EXPORT_SPHERE_TRIANGLES][3]);

/* A growing byte buffer whose pieces start at 4-byte offsets (glTF's BIN chunk and the page's
 * data block). Zero-initialise; free `data` when done. After a failed allocation `failed` is
 * set and every later put is a no-op returning 0. */
typedef struct nb_export_bytes {
    uint8_t *data; /* owned, malloc'd */
    size_t len, cap;
    bool failed;
} nb_export_bytes;

/* Appends n bytes (src NULL: zeros) at the next 4-byte boundary, zero-filling the gap, and
 * returns their offset in data (0 once failed; check `failed` before writing through it). */
size_t nb_export_bytes_put(nb_export_bytes *b, const void *src, size_t n);

#endif /* NB_EXPORT_H */
