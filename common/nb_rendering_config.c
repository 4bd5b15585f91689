/* nb_rendering_config.c - the rendering key table.
 *
 * DESIGN: one row per rendering key, in the order of the comment above nb_rendering_config
 * (nb_rendering_config.h): name, type, offsetof into the struct, default, range (exclusive
 * flags), enum words, unit, a one-sentence doc and where the key comes from. The six shader
 * parameters of an object kind (edge_*, node_*) come from one macro, so edges and nodes
 * cannot drift apart. The config engine (nb_config_engine.c) drives defaults, JSON loading,
 * --set, validation, saving and the Markdown table in configs/README.md from these rows.
 * Threading: the table is const. Config keys: every rendering key, by definition.
 */
#include <stddef.h>

#include "nb_rendering_config.h"

#define EXCL_MIN  NB_CONFIG_MIN_EXCLUSIVE
#define EXCL_BOTH (NB_CONFIG_MIN_EXCLUSIVE | NB_CONFIG_MAX_EXCLUSIVE)

static const char *const edge_mode_names[] = {
    "ellipsoid_transparent", "sphere", "sphere_transparent", "line", "none", NULL};
static const char *const node_mode_names[] = {"sphere_transparent", "sphere", "point", "none",
                                              NULL};
static const char *const transparency_names[] = {"minmax", "wboit", NULL};
static const char *const class_view_names[] = {"independent", "all", "class", NULL};
static const char *const shading_names[] = {"soft", "phong", NULL};
static const char *const normalization_names[] = {"none", "network", "layer", NULL};

#define R(field)       .name = #field, .offset = offsetof(nb_rendering_config, field)
#define RO(obj, field) .name = #obj "_" #field, .offset = offsetof(nb_rendering_config, obj.field)

/* The six shader parameters of one object kind (edge or node), method.md §5.6-5.7. */
#define OBJECT_KEYS(obj, what, size_def, imp_op_def, depth_exp_def, thr_def, thr_doc, thr_source)  \
    {RO(obj, size),                                                                                \
     .type = NB_CONFIG_DOUBLE,                                                                     \
     .def = size_def,                                                                              \
     .min = 0,                                                                                     \
     .max = 1,                                                                                     \
     .flags = EXCL_MIN,                                                                            \
     .unit = "world units",                                                                        \
     .doc = "Impostor radius of a " what " at importance 1.",                                      \
     .source = "method.md §5.4-5.5, §5.7 (object_radius)"},                                        \
        {RO(obj, base_opacity),                                                                    \
         .type = NB_CONFIG_DOUBLE,                                                                 \
         .def = 0.0,                                                                               \
         .min = 0,                                                                                 \
         .max = 1,                                                                                 \
         .unit = "opacity",                                                                        \
         .doc = "Opacity B added to every " what " fragment.",                                     \
         .source = "method.md §5.6-5.7"},                                                          \
        {RO(obj, importance_opacity),                                                              \
         .type = NB_CONFIG_DOUBLE,                                                                 \
         .def = imp_op_def,                                                                        \
         .min = 0,                                                                                 \
         .max = 2,                                                                                 \
         .unit = "weight",                                                                         \
         .doc = "Weight I of the importance term in " what " opacity; above 1 it culls faint "     \
                "fragments softly.",                                                               \
         .source = "method.md §5.6-5.7"},                                                          \
        {RO(obj, depth_opacity),                                                                   \
         .type = NB_CONFIG_DOUBLE,                                                                 \
         .def = 0.5,                                                                               \
         .min = 0,                                                                                 \
         .max = 1,                                                                                 \
         .unit = "weight",                                                                         \
         .doc = "Weight D of the relative-depth term in " what " opacity (near is opaque).",       \
         .source = "method.md §5.6-5.7"},                                                          \
        {RO(obj, depth_exponent),                                                                  \
         .type = NB_CONFIG_DOUBLE,                                                                 \
         .def = depth_exp_def,                                                                     \
         .min = 0,                                                                                 \
         .max = 4,                                                                                 \
         .unit = "exponent",                                                                       \
         .doc = "Exponent on the impostor thickness in " what " opacity.",                         \
         .source = "method.md §5.6-5.7 (opacity_exponent)"},                                       \
    {                                                                                              \
        RO(obj, importance_threshold), .type = NB_CONFIG_DOUBLE, .def = thr_def, .min = 0,         \
                                       .max = 1, .unit = "importance", .doc = thr_doc,             \
                                       .source = thr_source                                        \
    }

static const nb_config_key rendering_keys[] = {
    OBJECT_KEYS(
        edge, "edge", 0.02, 1.1, 0.25, 0.3,
        "Cull edges whose cull key alpha * mean source importance, in the display scale "
        "of importance_normalization, is at or below this value (with layer: a fraction "
        "of the 99th percentile of the layer pair).",
        "method.md §5.3, §5.7 (with importance_normalization none: the reference's absolute "
        "value, README 0.1, code 0.01)"),
    {RO(edge, mode), .type = NB_CONFIG_ENUM, .def = NB_EDGE_ELLIPSOID_TRANSPARENT,
     .enum_names = edge_mode_names, .unit = "",
     .doc = "How edges are drawn: ellipsoid impostors per segment, spheres per sample, lines, "
            "or not at all.",
     .source = "method.md §5.5 (edge_render_mode)"},
    OBJECT_KEYS(
        node, "node", 0.06, 1.0, 0.5, 0.05,
        "Cull nodes whose importance norm, in the display scale of "
        "importance_normalization, is zero or at or below this value (with layer: a "
        "fraction of the 99th percentile of the layer).",
        "method.md §5.3, §5.7 (with importance_normalization none: the reference's absolute "
        "value 0.01)"),
    {RO(node, mode), .type = NB_CONFIG_ENUM, .def = NB_NODE_SPHERE, .enum_names = node_mode_names,
     .unit = "",
     .doc = "How nodes are drawn: transparent or opaque sphere impostors, points, or not at "
            "all.",
     .source = "method.md §5.4 (node_render_mode; reference default sphere_transparent)"},
    {R(transparency), .type = NB_CONFIG_ENUM, .def = NB_TRANSPARENCY_WBOIT,
     .enum_names = transparency_names, .unit = "",
     .doc = "Order-independent transparency: minmax (reference MIN/MAX blending over white) or "
            "wboit (weighted blended OIT).",
     .source = "method.md §5.6 (reference: minmax); wboit: McGuire & Bavoil 2013"},
    {R(shading), .type = NB_CONFIG_ENUM, .def = NB_SHADING_SOFT, .enum_names = shading_names,
     .unit = "",
     .doc = "Lighting of opaque sphere impostors (node_mode and edge_mode sphere): soft keeps "
            "the class colour on the unlit side, colour * (0.55 + 0.45 max(n.l, 0)) + 0.15 "
            "specular; phong is the reference's 0.2 grey ambient + colour * max(n.l, 0) + 0.1 "
            "specular, whose unlit side is dark grey whatever the colour.",
     .source = "nnbundle (phong = method.md §5.4)"},
    {R(importance_normalization), .type = NB_CONFIG_ENUM, .def = NB_NORMALIZE_LAYER,
     .enum_names = normalization_names, .unit = "",
     .doc = "Display scale of importance: layer divides node importance by the 99th percentile "
            "of its layer and edge importance by that of its layer pair (capped at 1), network "
            "by the 99th percentile of the whole drawn scene, none keeps the raw values. Sizes, "
            "opacities and both importance thresholds use the scaled values, so a threshold is "
            "a fraction of that percentile on every network.",
     .source = "nnbundle (none = method.md §5.3, §5.7: absolute values)"},
    {R(class_view), .type = NB_CONFIG_ENUM, .def = NB_CLASS_VIEW_ALL,
     .enum_names = class_view_names, .unit = "",
     .doc = "Colouring: independent (black, alpha by importance), all (palette blend of all "
            "classes) or class (only class_index).",
     .source = "method.md §5.3 (show_class)"},
    {R(class_index), .type = NB_CONFIG_INT, .def = 0, .min = 0, .max = 1023, .unit = "class",
     .doc = "The class shown when class_view is class.", .source = "method.md §5.3"},
    {R(class_contrast), .type = NB_CONFIG_DOUBLE, .def = 2.0, .min = 1, .max = 8,
     .unit = "exponent",
     .doc = "Class view all: colour = sum of palette colours weighted by share^class_contrast "
            "(normalised), so an object's strongest classes dominate its colour; 1 is the "
            "reference's plain share blend.",
     .source = "nnbundle (1 = method.md §5.3)"},
    {R(background), .type = NB_CONFIG_COLOR, .def = 1.0, .min = 0, .max = 1, .unit = "RGB",
     .doc = "Clear colour of the frame.", .source = "method.md §5.1 (white)"},
    {R(camera_pose), .type = NB_CONFIG_INT, .def = 8, .min = 0, .max = 9, .unit = "key",
     .doc = "Start camera pose, numbered like the reference's number keys (8: the side view, "
            "input layer on the left).",
     .source = "method.md §5.1 (reference: 0 at start, 6 for recordings)"},
    {R(fov_degrees), .type = NB_CONFIG_DOUBLE, .def = 30, .min = 1, .max = 170, .flags = EXCL_BOTH,
     .unit = "degrees", .doc = "Vertical field of view of the perspective camera.",
     .source = "method.md §5.1 (reference: 45)"},
    {R(camera_fit), .type = NB_CONFIG_BOOL, .def = 1, .unit = "",
     .doc = "Frame the drawn geometry (nodes and edge impostors above the thresholds, with their "
            "sizes) from the pose's direction, filling the frame up to camera_margin; false "
            "places the camera at the pose's reference offset scaled by the node box.",
     .source = "nnbundle (false = method.md §5.1)"},
    {R(camera_margin), .type = NB_CONFIG_DOUBLE, .def = 0.03, .min = 0, .max = 0.45,
     .unit = "fraction",
     .doc = "Share of the frame's width (left and right) and height (top and "
            "bottom) that the camera fit leaves free around the drawing.",
     .source = "nnbundle"},
    {R(auto_orbit), .type = NB_CONFIG_BOOL, .def = 0, .unit = "",
     .doc = "Orbit the camera around the network's centre every frame.",
     .source = "method.md §5.1 (on in the reference)"},
    {R(orbit_speed_degrees), .type = NB_CONFIG_DOUBLE, .def = 0.5, .min = -10, .max = 10,
     .unit = "degrees per frame", .doc = "Yaw added per frame while auto_orbit is on.",
     .source = "method.md §5.1 (camera_rotation_speed)"},
    {R(show_legend), .type = NB_CONFIG_BOOL, .def = 1, .unit = "",
     .doc = "Draw the legend: class colours, and what node size and edge width/opacity encode.",
     .source = "nnbundle"},
};

#undef R
#undef RO
#undef OBJECT_KEYS

const nb_config_schema nb_rendering_schema = {
    .name = "rendering",
    .keys = rendering_keys,
    .n_keys = sizeof rendering_keys / sizeof rendering_keys[0],
    .struct_size = sizeof(nb_rendering_config),
};
