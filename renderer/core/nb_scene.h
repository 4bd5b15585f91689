/* nb_scene.h - a loaded .nnb.h5 model turned into per-node and per-segment draw data (GL-free).
 *
 * Every quantity that depends on the file and the class view is computed here on the CPU,
 * once per (re)build; everything a slider changes (sizes, opacities, thresholds) is a uniform
 * applied by the shaders, so slider moves need no rebuild. A rebuild is needed after loading
 * a file, after processing produced new geometry, or when class_view / class_index /
 * background / the layer filter change (nb_app marks the scene dirty).
 *
 * Display importance (desc.normalization, key importance_normalization). Importance values
 * differ in scale between networks and between layers (input pixels weigh little), so with
 * "layer" every node quantity below is divided by the 99th percentile of that quantity over
 * its layer's nodes, and every segment quantity by the 99th percentile over its layer pair's
 * segments ("network": over the whole scene), then capped at 1; "none" keeps the raw values
 * (the reference). The percentile is the value at rank floor(0.99 (n - 1)) of the sorted
 * values (the maximum for n <= 100); a group whose percentile is 0 uses its maximum, an
 * all-zero group stays 0. Thresholds compare against the scaled keys, so a threshold means
 * "a fraction of the layer's top importance" on every network. desc.scale replaces the
 * percentiles by given divisors (compare mode's shared scale: the same raw importance gets
 * the same size and opacity in every network drawn with it).
 *
 * Node record, float32[NB_SCENE_NODE_FLOATS] per drawn node:
 *   x, y, z (world units), norm (display L2 norm of the class-importance vector: the impostor
 *   radius is node_size * norm, the cull key is norm), r, g, b, a0 (class-view colour and base
 *   alpha, below).
 * Segment record, float32[NB_SCENE_SEGMENT_FLOATS] per polyline segment (A, B):
 *   ax, ay, az, iota   start point, display scalar importance (radius edge_size * iota)
 *   bx, by, bz, f      end point, long-axis overlap factor (1 + 1.5 iota for inner segments,
 *                      1 for the first and the last two segments of an edge, method.md §5.5)
 *   r, g, b, a0        class-view colour and base alpha (below)
 *   cull, edge, pair, t  display cull key alpha * mean_src (method.md §5.3: drawn iff cull >
 *                      threshold), edge index in /bundle, layer pair, segment parameter t
 * Class views (rgb, a0), with share = the object's class vector L1-normalised:
 *   independent  foreground (black on light backgrounds), a0 = importance
 *   all          sum_c palette_c share_c^g / sum_c share_c^g with g = desc.class_contrast
 *                (g = 1: the reference's blend), a0 = importance
 *   class k      palette_k, a0 = w_k, the object's importance *for class k* in display
 *                scale: node v_k, segment iota * q_k (both scaled like the rest, by the
 *                percentile of the class-k values of the layer / pair). The passes fade
 *                towards the background by w_k: transparent passes through the opacity,
 *                opaque passes by mixing the shaded colour with the background
 *                (nb_render_params fade_opaque), so nothing ever turns darker than its class
 *                colour. (The reference colours palette_k * share_k with a0 = share_k, which
 *                goes to black wherever class k has a small share: every hidden layer.)
 *   "importance" for a0 is: node mean of v (display-scaled; raw mean in "none"), segment
 *   iota (display-scaled; raw iota / sqrt(C) in "none", method.md §5.3).
 * q and iota come from nb_edge_importance_eval (common/nb_edge_importance.h), the one
 * definition shared with the bundler, with the file's edge_importance_type and
 * t = (k + 0.5) / (N - 1) for segment k of an edge with N points (the segment's midpoint in
 * point-index parameterisation; the reference uses (k+1)/N when rendering and k/N when
 * processing). Class shares are q / sum(q).
 * Order: nodes by norm, edges (with their segments in polyline order) by cull key, both
 * descending, ties by /bundle order. The objects above an importance threshold are therefore a
 * prefix, and the GL passes draw only that prefix instead of culling every instance in the
 * vertex shader (1.2 M segments of which 0.3 M pass the default threshold: ~0.6 s per frame
 * saved on llvmpipe). desc.reverse_segments reverses the whole segment array (ascending:
 * the visible ones are a suffix); the draws are order-independent either way.
 */
#ifndef NB_SCENE_H
#define NB_SCENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_config.h"
#include "nb_model.h"
#include "nb_status.h"

#define NB_SCENE_NODE_FLOATS    8
#define NB_SCENE_SEGMENT_FLOATS 16

/* Offsets (in floats) inside the records, for the GL layer's vertex attributes. */
enum {
    NB_SCENE_NODE_POS = 0,   /* vec4: x, y, z, norm */
    NB_SCENE_NODE_COLOR = 4, /* vec4: r, g, b, a0 */
    NB_SCENE_SEG_A = 0,      /* vec4: A, iota */
    NB_SCENE_SEG_B = 4,      /* vec4: B, f */
    NB_SCENE_SEG_COLOR = 8,  /* vec4: r, g, b, a0 */
    NB_SCENE_SEG_EXTRA = 12, /* vec4: cull, edge, pair, t */
};

/* Divisors of a display scale given from outside: nnbundle-render's compare mode draws several
 * networks on one importance scale (--shared-scale). Per layer l for the node quantities, per
 * layer pair for the segment quantities; with importance_normalization "network" every entry
 * holds the one network-wide value. A divisor of 0 scales its group to 0 (see nb_scene.h's
 * display importance). The arrays are borrowed. */
typedef struct nb_scene_scale {
    size_t n_layers;
    const float *node_norm; /* [n_layers] node norm (radius, cull key) */
    const float *node_a0;   /* [n_layers] node base-alpha importance */
    const float *seg_iota;  /* [n_layers - 1] segment iota (radius, f, a0 outside class view) */
    const float *seg_cull;  /* [n_layers - 1] edge cull key */
    const float *seg_a0;    /* [n_layers - 1] class view "class": the class's share */
} nb_scene_scale;

/* What to build. Zero-initialised = class view "independent", type 0, all layer pairs, raw
 * importance (normalization "none"), class_contrast 1. */
typedef struct nb_scene_desc {
    int class_view;           /* nb_class_view */
    size_t class_index;       /* class shown by NB_CLASS_VIEW_ONE, < n_classes */
    int normalization;        /* nb_importance_normalization; other values count as none */
    float class_contrast;     /* exponent g of the "all" view, [1, 8]; <= 1 or NaN = 1 */
    double background[3];     /* decides the "independent" colour (black on light) */
    int edge_importance_type; /* 0..3, method.md §2.6 (from the file's /bundle config_json) */
    bool filter_pairs;        /* draw only layer pairs [pair_first, pair_last] */
    size_t pair_first, pair_last;
    bool reverse_segments;       /* reverse the segment order (order-independence tests) */
    const nb_scene_scale *scale; /* divisors to use instead of the scene's own percentiles
                                    (NULL: its own); ignored with normalization "none";
                                    n_layers must be the model's (NB_E_MISMATCH) */
} nb_scene_desc;

typedef struct nb_scene {
    size_t n_layers;
    size_t n_classes;
    char **class_names; /* [n_classes] copies of /network's class names */
    size_t n_nodes;     /* drawn nodes (after the layer filter) */
    float *nodes;       /* [n_nodes][NB_SCENE_NODE_FLOATS] */
    uint32_t *node_id;  /* [n_nodes] global node id in /bundle */
    size_t n_edges;     /* drawn edges */
    size_t n_segments;
    float *segments;   /* [n_segments][NB_SCENE_SEGMENT_FLOATS] */
    float bbox_min[3]; /* the whole network's box (all nodes and polyline points), world */
    float bbox_max[3];
    float node_bbox_min[3]; /* the box of the nodes only (camera framing, like the reference's */
    float node_bbox_max[3]; /* look-at point on the node cloud), world units */
    int edge_importance_type;
    int class_view; /* copied from the desc, for the legend */
    size_t class_index;
    int normalization; /* copied from the desc */
    /* Divisors of the display scale (1 for "none"): per layer the node norm's percentile,
     * per layer pair the segment iota's percentile (the legend can say what size means). */
    float *node_norm_ref;    /* [n_layers] */
    float *seg_iota_ref;     /* [n_layers - 1], NULL when n_layers < 2 */
    float *node_a0_ref;      /* [n_layers] the other divisors (nb_scene_query_scale) */
    float *seg_cull_ref;     /* [n_layers - 1] */
    float *seg_a0_ref;       /* [n_layers - 1] */
    bool has_importance;     /* false: every node got norm 1 and uniform class shares */
    bool segments_ascending; /* true only with desc.reverse_segments (see below) */
} nb_scene;

/* Copies the scene-relevant keys of a rendering config into desc (class_view, class_index
 * (negative -> 0), importance_normalization, class_contrast, background); leaves the other
 * fields as they are. */
void nb_scene_desc_from_config(const nb_rendering_config *cfg, nb_scene_desc *desc);

/* Reads edge_importance_type from the resolved processing config stored in /bundle
 * (JSON text, may be NULL or lack the key: the default, 0) with
 * nb_processing_config_read_stored, reading that key only: the stored values of other keys
 * are not checked, so a file whose other values today's key table refuses still shows.
 * Returns NB_OK, or NB_E_FORMAT with subject "<path> /bundle config_json" if the text is not
 * a JSON object or the key's value is not an integer in 0..3 (the reason names the key).
 * *type is untouched on failure. */
nb_status nb_scene_edge_importance_type(const char *config_json, const char *path, int *type);

/* Builds the draw data of model m. `path` names the file in errors. Requirements:
 * m->has_bundle (else NB_E_MISSING, subject "<path> /bundle", reason says to run
 * `nnbundle bundle FILE`), and a model the file reader accepts: nb_model_validate(m, path)
 * runs first and its status is returned (NB_E_FORMAT / NB_E_NUMERIC / NB_E_MISMATCH /
 * NB_E_MISSING naming "<path> /group/dataset": a bad in-memory model is an error, not a
 * crash). /importance is optional (without it every node has norm 1 and uniform shares,
 * recorded in has_importance). desc errors: class_index >= n_classes for the "class" view or
 * an importance type outside 0..3 (NB_E_CONFIG, subject "class_index" /
 * "edge_importance_type"), filter_pairs with pair_first > pair_last or pair_last >= L - 1
 * (NB_E_CONFIG, subject "--layers"). NB_E_NOMEM. On success *out owns its arrays (free with
 * nb_scene_deinit); on failure *out is untouched. */
nb_status nb_scene_build(const nb_model *m, const nb_scene_desc *desc, const char *path,
                         nb_scene *out);

/* Frees a scene; safe on a zeroed struct. */
void nb_scene_deinit(nb_scene *s);

/* The divisors scene s was scaled with (pointers into s, valid while s lives): all 1 with
 * normalization "none". */
void nb_scene_query_scale(const nb_scene *s, nb_scene_scale *out);

/* Counts the nodes and segments that pass the importance thresholds as the shaders cull
 * them (node norm > node_threshold, segment cull > edge_threshold). Outputs may be NULL. */
void nb_scene_count_visible(const nb_scene *s, float node_threshold, float edge_threshold,
                            size_t *nodes, size_t *segments);

/* Nodes drawn at a node importance threshold: they are nodes[0 .. returned count). */
size_t nb_scene_visible_nodes(const nb_scene *s, float threshold);

/* Segments drawn at an edge importance threshold: segments[*first .. *first + count), the
 * returned count (binary search on the sorted cull keys). */
size_t nb_scene_visible_segments(const nb_scene *s, float threshold, size_t *first);

/* Streams the drawn geometry into a camera framing (nb_camera_bounds_add, b) and/or an
 * extent measurement (nb_camera_extent_add, e); either may be NULL. The nodes above the node
 * threshold become spheres of radius node_size * norm (points: radius 0; hidden: nothing),
 * the segments above the edge threshold their impostors' bounds (ellipsoid: the two end
 * spheres of the capsule that contains it; sphere modes: a sphere at each sample; line: the
 * two end points), exactly as p draws them. */
struct nb_camera_bounds;
struct nb_camera_extent;
struct nb_render_params;
void nb_scene_bound_drawn(const nb_scene *s, const struct nb_render_params *p,
                          struct nb_camera_bounds *b, struct nb_camera_extent *e);

/* Frames the drawn geometry (nb_scene_bound_drawn with p) with cam's current direction and
 * fov into rect ({x0, y0, x1, y1} pixels of a width x height viewport, NULL = all of it)
 * with p->camera_margin: nb_camera_bounds_fit, then nb_camera_extent_centre so the drawing
 * is centred in pixels in both directions. Returns false (cam unchanged) when nothing is
 * drawn. This is the framing of nnbundle-render's screenshots, frames and window. */
struct nb_camera;
bool nb_scene_frame(const nb_scene *s, const struct nb_render_params *p, float width, float height,
                    const float rect[4], struct nb_camera *cam);

/* The layer of global node id g from /bundle's layer_offset (n_layers + 1 entries), or
 * n_layers if g is outside every layer. */
size_t nb_scene_layer_of(const int64_t *layer_offset, size_t n_layers, uint64_t g);

#endif /* NB_SCENE_H */
