/* nb_rendering_config.h - the rendering config: its struct, its key table, its words.
 *
 * nb_rendering_schema (nb_rendering_config.c) is the one table of rendering keys (shader
 * parameters per object kind, modes, camera, colours). It drives configs/rendering.json,
 * --set, the GUI's widgets, validation and the README table through the config engine
 * (nb_config_engine.h). Mode words ("ellipsoid_transparent", "wboit", ...) exist only in that
 * table: ask nb_config_enum_name(&nb_rendering_schema, "edge_mode", mode).
 * Sources: method.md §5.3-5.7.
 */
#ifndef NB_RENDERING_CONFIG_H
#define NB_RENDERING_CONFIG_H

#include <stdbool.h>

#include "nb_config_engine.h"

typedef enum nb_edge_render_mode {
    NB_EDGE_ELLIPSOID_TRANSPARENT = 0, /* "ellipsoid_transparent" (default, §5.5 mode 3) */
    NB_EDGE_SPHERE = 1,                /* "sphere": opaque Phong sphere per sample */
    NB_EDGE_SPHERE_TRANSPARENT = 2,    /* "sphere_transparent" */
    NB_EDGE_LINE = 3,                  /* "line" */
    NB_EDGE_HIDDEN = 4,                /* "none" */
} nb_edge_render_mode;

typedef enum nb_node_render_mode {
    NB_NODE_SPHERE_TRANSPARENT = 0, /* "sphere_transparent" (default, §5.4 mode 2) */
    NB_NODE_SPHERE = 1,             /* "sphere": opaque Phong */
    NB_NODE_POINT = 2,              /* "point" */
    NB_NODE_HIDDEN = 3,             /* "none" */
} nb_node_render_mode;

typedef enum nb_transparency_mode {
    NB_TRANSPARENCY_MINMAX = 0, /* "minmax": reference MIN/MAX blending over white (§5.6) */
    NB_TRANSPARENCY_WBOIT = 1,  /* "wboit": weighted blended OIT (McGuire & Bavoil 2013) */
} nb_transparency_mode;

/* Lighting of the opaque impostors (key shading). */
typedef enum nb_shading {
    NB_SHADING_SOFT = 0,  /* "soft": colour * (0.55 + 0.45 max(n.l, 0)) + 0.15 spec */
    NB_SHADING_PHONG = 1, /* "phong": 0.2 grey ambient + colour * max(n.l, 0) + 0.1 spec (ref.) */
} nb_shading;

/* How importance values are scaled for display (key importance_normalization). */
typedef enum nb_importance_normalization {
    NB_NORMALIZE_NONE = 0,    /* "none": raw values, absolute thresholds (the reference) */
    NB_NORMALIZE_NETWORK = 1, /* "network": / 99th percentile over the drawn scene */
    NB_NORMALIZE_LAYER = 2,   /* "layer": / 99th percentile per layer (nodes) and layer pair */
} nb_importance_normalization;

typedef enum nb_class_view {
    NB_CLASS_VIEW_INDEPENDENT = 0, /* "independent": black, alpha by importance (§5.3 mode 0) */
    NB_CLASS_VIEW_ALL = 1,         /* "all": palette blend of all classes */
    NB_CLASS_VIEW_ONE = 2,         /* "class": one class, index in class_index */
} nb_class_view;

/* Per object kind (edge_*, node_*), defaults edge / node (§5.7):
 *   size                  [0.02 / 0.04] wu, (0, 1]   impostor radius at importance 1
 *   base_opacity          [0.0 / 0.0]   [0, 1]
 *   importance_opacity    [1.1 / 1.0]   [0, 2]
 *   depth_opacity         [0.5 / 0.5]   [0, 1]
 *   depth_exponent        [0.25 / 0.5]  [0, 4]   opacity exponent on impostor thickness
 *   importance_threshold  [0.1 / 0.01]  [0, 1]   objects at or below are culled
 *   mode                  ["ellipsoid_transparent" / "sphere_transparent"]
 * Global:
 *   transparency   ["minmax"] | "wboit"
 *   shading        ["soft"] | "phong" (reference): lighting of opaque sphere impostors
 *   importance_normalization ["layer"] | "network" | "none" (reference: raw, absolute)
 *   class_view     ["all"] | "independent" | "class";  class_index [0] 0..1023
 *   class_contrast [CONTRAST] [1, 8]: exponent on class shares in the "all" view (1 = reference)
 *   background     [[1,1,1]] RGB in [0,1]
 *   camera_pose    [6] 0..9 (§5.1 key poses);  fov_degrees [45] (1, 170)
 *   camera_fit     [true]: frame the drawn geometry (false: reference pose offsets x scale)
 *   camera_margin  [0.03] [0, 0.45]: share of the frame left free on each side by the fit
 *   auto_orbit     [false];  orbit_speed_degrees [0.5] per frame, [-10, 10]
 *   show_legend    [true]
 */
typedef struct nb_render_object_config {
    double size;
    double base_opacity;
    double importance_opacity;
    double depth_opacity;
    double depth_exponent;
    double importance_threshold;
    int mode; /* nb_edge_render_mode or nb_node_render_mode */
} nb_render_object_config;

typedef struct nb_rendering_config {
    nb_render_object_config edge;
    nb_render_object_config node;
    int transparency;             /* nb_transparency_mode */
    int shading;                  /* nb_shading */
    int importance_normalization; /* nb_importance_normalization */
    int class_view;               /* nb_class_view */
    int class_index;
    double class_contrast;
    double background[3];
    int camera_pose;
    double fov_degrees;
    bool camera_fit;
    double camera_margin;
    bool auto_orbit;
    double orbit_speed_degrees;
    bool show_legend;
} nb_rendering_config;

extern const nb_config_schema nb_rendering_schema;

#endif /* NB_RENDERING_CONFIG_H */
