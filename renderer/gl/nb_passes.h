/* nb_passes.h - the node pass and the edge pass: GPU copies of the scene and their draws.
 *
 * Nodes and segments are uploaded once per scene build as instanced vertex data (records of
 * nb_scene.h); each pass draws them with the pipeline its mode asks for (nb_render_params.h):
 *   sphere     4-vertex strip per instance, impostor_sphere.vert + impostor.frag
 *   ellipsoid  1 point per segment -> geometry shader emits its box (14-vertex strip),
 *              segment_points.vert + impostor_ellipsoid.geom + impostor.frag
 *   line       2 vertices per instance (GL_LINES, 2 px), flat_line.vert + flat.frag
 *   point      1 vertex per instance (GL_POINTS, 10 px), flat_point.vert + flat.frag
 * Slider values arrive as uniforms; nothing is re-uploaded when they change.
 * Requires a current GL 4.3 core context. Not thread-safe.
 */
#ifndef NB_PASSES_H
#define NB_PASSES_H

#include <stddef.h>

#include <GL/glew.h>

#include "nb_render_params.h"
#include "nb_scene.h"
#include "nb_status.h"

typedef struct nb_passes {
    GLuint prog_sphere, prog_ellipsoid, prog_line, prog_point;
    GLuint node_vbo, node_vao;
    GLuint seg_vbo, seg_vao, seg_point_vao;
    size_t n_nodes, n_segments;
} nb_passes;

/* Per-frame view data shared by both passes. */
typedef struct nb_view_uniforms {
    float view[16];      /* world -> view, column-major */
    float proj[16];      /* view -> clip */
    float depth_near;    /* view-space z of the nearest bounding-box corner (<= 0) */
    float depth_far;     /* view-space z of the farthest corner */
    float background[3]; /* RGB: transparent fragments are pre-mixed towards it (minmax) */
    int fade_opaque;     /* 1: opaque fragments are mixed with the background by a0 */
    int shading;         /* nb_shading of opaque impostors */
} nb_view_uniforms;

/* Loads the four programs and creates the vertex arrays. NB_E_IO / NB_E_GL from shader
 * loading (naming the shader file); on failure everything made is deleted. */
nb_status nb_passes_load(nb_passes *p);

/* Replaces the GPU copy of the scene's nodes and segments. NB_E_GL (e.g. out of memory on the
 * GPU: subject "scene upload"). */
nb_status nb_passes_upload(nb_passes *p, const nb_scene *s);

/* Deletes every GL object; safe on a zeroed struct. */
void nb_passes_unload(nb_passes *p);

/* Draws nodes [0, count) / segments [first, first + count) (the ranges that pass the
 * thresholds: nb_scene_visible_nodes / nb_scene_visible_segments; the shaders still test the
 * threshold) with the given pass state into the bound framebuffer. The caller has set the
 * blend/depth state for pass->output (nb_transparency.h). Ranges are clipped to the upload. */
void nb_passes_draw_nodes(const nb_passes *p, const nb_pass_state *pass,
                          const nb_object_uniforms *u, const nb_view_uniforms *v, size_t count);
void nb_passes_draw_edges(const nb_passes *p, const nb_pass_state *pass,
                          const nb_object_uniforms *u, const nb_view_uniforms *v, size_t first,
                          size_t count);

#endif /* NB_PASSES_H */
