/* nb_render_params.c - rendering config to uniforms, pass states, opacity and depth range.
 *
 * DESIGN: pure functions. Each object kind's six sliders, the background, fov, orbit speed and
 * camera margin are clamped to their keys' ranges in the key table (nb_rendering_schema: the
 * one place the ranges are written) and copied as floats. A pass is opaque when its mode is (node
 * "sphere" and "point", edge "sphere" and "line": method.md §5.4-5.5 "depth test on, no blending"),
 * else it uses the transparency mode (minmax = method.md §5.6, wboit = McGuire & Bavoil, JCGT 2(2),
 * 2013). The opacity formula and the depth range are method.md §5.6, with the depth box being the
 * network's bounding box instead of the processing grid (the spec's quirk). No threads.
 * Config keys read: edge_*, node_*, transparency, background, fov_degrees,
 * orbit_speed_degrees, show_legend, class_view (opaque fading), shading, camera_fit,
 * camera_margin.
 */
#include "nb_render_params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nb_palette.h"

static float clampf(double x, double lo, double hi) {
    if (!(x >= lo)) /* NaN goes to lo */
        return (float)lo;
    return (float)(x > hi ? hi : x);
}

/* x clamped to the range of rendering key `name` in the key table; an exclusive bound is moved
 * inside by a millionth of the range. */
static float clamp_key(const char *name, double x) {
    const nb_config_key *k = nb_config_find(&nb_rendering_schema, name);
    const double span = k->max - k->min;
    const double lo = k->min + (k->flags & NB_CONFIG_MIN_EXCLUSIVE ? 1e-6 * span : 0.0);
    const double hi = k->max - (k->flags & NB_CONFIG_MAX_EXCLUSIVE ? 1e-6 * span : 0.0);
    return clampf(x, lo, hi);
}

/* clamp_key for the key "<kind>_<field>" of an object kind ("edge" or "node"). */
static float clamp_object_key(const char *kind, const char *field, double x) {
    char name[64];
    snprintf(name, sizeof name, "%s_%s", kind, field);
    return clamp_key(name, x);
}

static void object_uniforms(const char *kind, const nb_render_object_config *c,
                            nb_object_uniforms *u) {
    u->size = clamp_object_key(kind, "size", c->size);
    u->base_opacity = clamp_object_key(kind, "base_opacity", c->base_opacity);
    u->importance_opacity = clamp_object_key(kind, "importance_opacity", c->importance_opacity);
    u->depth_opacity = clamp_object_key(kind, "depth_opacity", c->depth_opacity);
    u->depth_exponent = clamp_object_key(kind, "depth_exponent", c->depth_exponent);
    u->importance_threshold =
        clamp_object_key(kind, "importance_threshold", c->importance_threshold);
}

static nb_output_mode transparent_output(int transparency) {
    return transparency == NB_TRANSPARENCY_WBOIT ? NB_OUTPUT_WBOIT : NB_OUTPUT_MINMAX;
}

nb_pass_state nb_render_node_pass(int node_mode, int transparency) {
    nb_pass_state s = {NB_PIPELINE_SPHERE, transparent_output(transparency)};
    switch (node_mode) {
    case NB_NODE_SPHERE:
        s.output = NB_OUTPUT_OPAQUE;
        break;
    case NB_NODE_POINT:
        s.pipeline = NB_PIPELINE_POINT;
        s.output = NB_OUTPUT_OPAQUE;
        break;
    case NB_NODE_HIDDEN:
        s.pipeline = NB_PIPELINE_NONE;
        s.output = NB_OUTPUT_OPAQUE;
        break;
    default: /* NB_NODE_SPHERE_TRANSPARENT and unknown values: the default mode */
        break;
    }
    return s;
}

nb_pass_state nb_render_edge_pass(int edge_mode, int transparency) {
    nb_pass_state s = {NB_PIPELINE_ELLIPSOID, transparent_output(transparency)};
    switch (edge_mode) {
    case NB_EDGE_SPHERE:
        s.pipeline = NB_PIPELINE_SPHERE;
        s.output = NB_OUTPUT_OPAQUE;
        break;
    case NB_EDGE_SPHERE_TRANSPARENT:
        s.pipeline = NB_PIPELINE_SPHERE;
        break;
    case NB_EDGE_LINE:
        s.pipeline = NB_PIPELINE_LINE;
        s.output = NB_OUTPUT_OPAQUE;
        break;
    case NB_EDGE_HIDDEN:
        s.pipeline = NB_PIPELINE_NONE;
        s.output = NB_OUTPUT_OPAQUE;
        break;
    default: /* NB_EDGE_ELLIPSOID_TRANSPARENT and unknown values */
        break;
    }
    return s;
}

void nb_render_params_from_config(const nb_rendering_config *cfg, nb_render_params *p) {
    memset(p, 0, sizeof *p); /* padding too: two params of one config compare equal bytewise */
    object_uniforms("node", &cfg->node, &p->node);
    object_uniforms("edge", &cfg->edge, &p->edge);
    p->transparency =
        cfg->transparency == NB_TRANSPARENCY_WBOIT ? NB_TRANSPARENCY_WBOIT : NB_TRANSPARENCY_MINMAX;
    p->node_pass = nb_render_node_pass(cfg->node.mode, p->transparency);
    p->edge_pass = nb_render_edge_pass(cfg->edge.mode, p->transparency);
    for (int i = 0; i < 3; i++)
        p->background[i] = clamp_key("background", cfg->background[i]);
    double bg[3] = {p->background[0], p->background[1], p->background[2]};
    nb_palette_foreground(bg, p->foreground);
    p->fov_degrees = clamp_key("fov_degrees", cfg->fov_degrees);
    p->orbit_speed_degrees = clamp_key("orbit_speed_degrees", cfg->orbit_speed_degrees);
    p->show_legend = cfg->show_legend;
    p->fade_opaque =
        cfg->class_view == NB_CLASS_VIEW_ONE || cfg->class_view == NB_CLASS_VIEW_INDEPENDENT;
    p->shading = cfg->shading == NB_SHADING_PHONG ? NB_SHADING_PHONG : NB_SHADING_SOFT;
    p->camera_fit = cfg->camera_fit;
    p->camera_margin = clamp_key("camera_margin", cfg->camera_margin);
}

const char *nb_render_enum_name(const char *key, int value) {
    const char *name = nb_config_enum_name(&nb_rendering_schema, key, value);
    return name ? name : "?";
}

float nb_render_opacity(const nb_object_uniforms *u, float a0, float rho, float z_rel) {
    float imp = (1.0f - u->importance_opacity) + u->importance_opacity * a0;
    float dep = (1.0f - u->depth_opacity) + u->depth_opacity * z_rel;
    float thick = powf(rho > 0.0f ? rho : 0.0f, u->depth_exponent);
    thick = thick < 0.0f ? 0.0f : (thick > 1.0f ? 1.0f : thick);
    return imp * dep * (thick * (1.0f - u->base_opacity)) + u->base_opacity;
}

void nb_render_fade(const float bg[3], const float rgb[3], float a0, float out[3]) {
    float t = a0 > 0.0f ? (a0 < 1.0f ? a0 : 1.0f) : 0.0f;
    for (int i = 0; i < 3; i++)
        out[i] = bg[i] + (rgb[i] - bg[i]) * t;
}

void nb_render_minmax_premix(const float bg[3], const float rgb[3], float a, float out[3]) {
    for (int i = 0; i < 3; i++)
        out[i] = rgb[i] * a + bg[i] * (1.0f - a);
}

void nb_render_depth_range(const float bmin[3], const float bmax[3], const float view[16],
                           float *z_near, float *z_far) {
    float zmax = -INFINITY, zmin = INFINITY;
    for (int corner = 0; corner < 8; corner++) {
        float x = (corner & 1) ? bmax[0] : bmin[0];
        float y = (corner & 2) ? bmax[1] : bmin[1];
        float z = (corner & 4) ? bmax[2] : bmin[2];
        /* row 2 of the column-major matrix */
        float vz = view[2] * x + view[6] * y + view[10] * z + view[14];
        zmax = vz > zmax ? vz : zmax;
        zmin = vz < zmin ? vz : zmin;
    }
    *z_near = zmax > 0.0f ? 0.0f : zmax;
    *z_far = zmin;
}

float nb_render_depth_rel(float z_view, float z_near, float z_far) {
    float range = z_near - z_far;
    if (!(range > 1e-12f))
        return 1.0f;
    float r = (z_view - z_far) / range;
    return r < 0.0f ? 0.0f : (r > 1.0f ? 1.0f : r);
}
