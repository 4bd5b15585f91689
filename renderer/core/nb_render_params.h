/* nb_render_params.h - rendering config -> shader uniforms and pass states (GL-free).
 *
 * The sliders of the GUI and the keys of configs/rendering.json are nb_rendering_config
 * fields (common/nb_config.h); this module turns them into the float uniforms and the
 * per-pass pipeline choices the GL layer uses, clamping every value to its documented range
 * (the GUI may hand over anything). It also holds the CPU mirror of the shaders' opacity
 * formula (method.md §5.6) and the depth range of the network's bounding box, so both
 * are unit-tested without a GL context. shaders/impostor.frag implements the same formulas;
 * the golden-image tests tie the two together.
 */
#ifndef NB_RENDER_PARAMS_H
#define NB_RENDER_PARAMS_H

#include <stdbool.h>

#include "nb_config.h"

/* Geometry pipeline of one pass. */
typedef enum nb_pipeline {
    NB_PIPELINE_NONE = 0,      /* pass not drawn */
    NB_PIPELINE_SPHERE = 1,    /* ray-cast sphere impostor on a camera-facing quad */
    NB_PIPELINE_ELLIPSOID = 2, /* ray-cast ellipsoid impostor in its bounding box */
    NB_PIPELINE_LINE = 3,      /* GL_LINES, 2 px, flat colour */
    NB_PIPELINE_POINT = 4,     /* GL_POINTS, 10 px, flat colour */
} nb_pipeline;

/* How the fragment shader writes: uniform u_output of shaders/impostor.frag. */
typedef enum nb_output_mode {
    NB_OUTPUT_OPAQUE = 0, /* Phong shading, depth test and write on, no blending */
    NB_OUTPUT_MINMAX = 1, /* method.md §5.6: rgb pre-mixed towards white, MIN rgb / MAX alpha */
    NB_OUTPUT_WBOIT = 2,  /* McGuire & Bavoil 2013: weighted accumulation + revealage */
} nb_output_mode;

/* Uniforms of one object kind (edges or nodes), method.md §5.6-5.7, clamped to the key ranges. */
typedef struct nb_object_uniforms {
    float size;                 /* world units at importance 1, (0, 1] */
    float base_opacity;         /* B, [0, 1] */
    float importance_opacity;   /* I, [0, 2] */
    float depth_opacity;        /* D, [0, 1] */
    float depth_exponent;       /* gamma, [0, 4] */
    float importance_threshold; /* objects with cull key <= this are not drawn, [0, 1] */
} nb_object_uniforms;

typedef struct nb_pass_state {
    nb_pipeline pipeline;
    nb_output_mode output; /* NB_OUTPUT_OPAQUE for opaque passes, else the transparency mode */
} nb_pass_state;

typedef struct nb_render_params {
    nb_object_uniforms node, edge;
    nb_pass_state node_pass, edge_pass;
    nb_transparency_mode transparency;
    float background[3]; /* RGB in [0, 1] */
    float foreground[3]; /* black or white, whichever contrasts with the background */
    float fov_degrees;   /* (1, 170) */
    float orbit_speed_degrees;
    bool show_legend;
    /* Class views with one colour ("class" and "independent"): the importance an object has
     * (for the class, or overall) is shown by fading its colour towards the background by
     * its a0 in every pass: opaque passes (Phong/soft spheres, lines, points) mix their
     * shaded colour with the background and drop objects below a0 = 0.05, transparent
     * passes mix the colour as well as lowering the opacity (so piled-up faint fragments
     * stay near the background under WBOIT). Off in "all" (reference colours as they are). */
    bool fade_opaque;
    int shading;         /* nb_shading of the opaque impostors */
    bool camera_fit;     /* frame the drawn geometry (key camera_fit) */
    float camera_margin; /* [0, 0.45] (key camera_margin) */
} nb_render_params;

/* Maps a rendering config to uniforms and pass states. Values outside a key's range (the key
 * table's) are clamped; an unknown mode enum falls back to the transparent sphere (nodes) or
 * ellipsoid (edges). Every byte of *p is written (padding zeroed), so the params of equal
 * configs compare equal with memcmp. Never fails. */
void nb_render_params_from_config(const nb_rendering_config *cfg, nb_render_params *p);

/* The word of value `value` of the enum rendering key `key` ("edge_mode", "class_view", ...),
 * from the key table (nb_rendering_schema), or "?" when key is not an enum key or value is
 * not one of its values. Static storage. */
const char *nb_render_enum_name(const char *key, int value);

/* Pass state of a node mode / edge mode under a transparency mode (exposed for tests). */
nb_pass_state nb_render_node_pass(int node_mode, int transparency);
nb_pass_state nb_render_edge_pass(int edge_mode, int transparency);

/* The opacity of a transparent fragment (method.md §5.6), as shaders/impostor.frag computes it:
 *   a = [(1 - I) + I a0] * [(1 - D) + D z_rel] * [clamp(rho^gamma, 0, 1) (1 - B)] + B
 * a0: base alpha of the object (method.md §5.3); rho: impostor thickness in [0, 1] (1 through the
 * centre, 0 at the rim); z_rel: relative depth in [0, 1] (1 nearest). The result is not
 * clamped: a < 0 happens for I > 1 and small a0, and is invisible (spec's soft threshold). */
float nb_render_opacity(const nb_object_uniforms *u, float a0, float rho, float z_rel);

/* The class view's fade, as the shaders apply it with u_fade (impostor.frag, flat.frag):
 * out = mix(bg, rgb, clamp(a0, 0, 1)) per channel. Every channel of out lies between bg and
 * rgb, so a faded object is never darker than both its colour and the background. */
void nb_render_fade(const float bg[3], const float rgb[3], float a0, float out[3]);

/* The minmax pre-mix of a transparent fragment of opacity a (impostor.frag, output 1):
 * out = rgb * a + bg * (1 - a) (the reference mixes towards white, the same on white). */
void nb_render_minmax_premix(const float bg[3], const float rgb[3], float a, float out[3]);

/* View-space depth range of an axis-aligned box (the network's bounding box, world units)
 * under view matrix `view` (float[16], column-major): *z_near = max view z of the 8 corners,
 * clamped to <= 0; *z_far = min view z (view space looks down -z, so both are <= 0 in front
 * of the eye). Fixes the reference's use of the processing grid box (method.md §5.6 quirk). */
void nb_render_depth_range(const float bmin[3], const float bmax[3], const float view[16],
                           float *z_near, float *z_far);

/* Relative depth of view-space z: (z - z_far) / (z_near - z_far) clamped to [0, 1]
 * (1 = nearest); 1 when the range is empty. */
float nb_render_depth_rel(float z_view, float z_near, float z_far);

#endif /* NB_RENDER_PARAMS_H */
