/* nb_passes.c - node and edge impostor passes: vertex arrays, programs, instanced draws.
 *
 * DESIGN: two static vertex buffers (nodes, segments). Spheres, lines and points are
 * instanced (divisor 1; the vertex shader builds the 4 quad corners / 2 line ends from
 * gl_VertexID). Ellipsoids go through a geometry shader (GL_POINTS, divisor 0): it builds the
 * segment's frame once and emits the 14-vertex box; the instanced variant ran the frame
 * construction 14 times per segment and was vertex-bound on llvmpipe (~1 s for 0.3 M segments
 * on the loaded 2-core machine, where instanced quads and the geometry shader measured equally
 * fast otherwise).
 * Attribute locations are fixed:
 * 0 = centre or A (+ importance), 1 = colour (+ a0), 2 = cull key, 3 = B (+ f). For nodes the
 * cull key is the norm (location 2 reads the w of location 0). The ellipsoid box is drawn with
 * back-face culling on (see impostor_ellipsoid.geom) so each pixel is shaded once per object,
 * which keeps WBOIT sums right. Algorithms: method.md §5.4-5.5. Single-threaded (GL).
 * Config keys: edge_* and node_* (through nb_object_uniforms / nb_pass_state).
 */
#include "nb_passes.h"

#include <string.h>

#include "nb_gl.h"

static void set_attrib(GLuint loc, GLint comps, size_t stride_floats, size_t offset_floats,
                       GLuint divisor) {
    glEnableVertexAttribArray(loc);
    glVertexAttribPointer(loc, comps, GL_FLOAT, GL_FALSE, (GLsizei)(stride_floats * sizeof(float)),
                          (const void *)(offset_floats * sizeof(float)));
    glVertexAttribDivisor(loc, divisor);
}

nb_status nb_passes_load(nb_passes *p) {
    memset(p, 0, sizeof *p);
    nb_status st = nb_gl_program_load("impostor_sphere.vert", "impostor.frag", &p->prog_sphere);
    if (st == NB_OK)
        st = nb_gl_program_load_geom("segment_points.vert", "impostor_ellipsoid.geom",
                                     "impostor.frag", &p->prog_ellipsoid);
    if (st == NB_OK)
        st = nb_gl_program_load("flat_line.vert", "flat.frag", &p->prog_line);
    if (st == NB_OK)
        st = nb_gl_program_load("flat_point.vert", "flat.frag", &p->prog_point);
    if (st != NB_OK) {
        nb_passes_unload(p);
        return st;
    }
    glGenBuffers(1, &p->node_vbo);
    glGenBuffers(1, &p->seg_vbo);
    glGenVertexArrays(1, &p->node_vao);
    glGenVertexArrays(1, &p->seg_vao);
    glGenVertexArrays(1, &p->seg_point_vao);

    glBindVertexArray(p->node_vao);
    glBindBuffer(GL_ARRAY_BUFFER, p->node_vbo);
    set_attrib(0, 4, NB_SCENE_NODE_FLOATS, NB_SCENE_NODE_POS, 1);
    set_attrib(1, 4, NB_SCENE_NODE_FLOATS, NB_SCENE_NODE_COLOR, 1);
    set_attrib(2, 1, NB_SCENE_NODE_FLOATS, NB_SCENE_NODE_POS + 3, 1);

    /* seg_vao: one instance per segment; seg_point_vao: one GL_POINTS vertex per segment */
    for (int k = 0; k < 2; k++) {
        GLuint divisor = k == 0 ? 1 : 0;
        glBindVertexArray(k == 0 ? p->seg_vao : p->seg_point_vao);
        glBindBuffer(GL_ARRAY_BUFFER, p->seg_vbo);
        set_attrib(0, 4, NB_SCENE_SEGMENT_FLOATS, NB_SCENE_SEG_A, divisor);
        set_attrib(1, 4, NB_SCENE_SEGMENT_FLOATS, NB_SCENE_SEG_COLOR, divisor);
        set_attrib(2, 1, NB_SCENE_SEGMENT_FLOATS, NB_SCENE_SEG_EXTRA, divisor);
        set_attrib(3, 4, NB_SCENE_SEGMENT_FLOATS, NB_SCENE_SEG_B, divisor);
    }
    glBindVertexArray(0);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    st = nb_gl_check("vertex arrays");
    if (st != NB_OK)
        nb_passes_unload(p);
    return st;
}

void nb_passes_unload(nb_passes *p) {
    if (!p)
        return;
    GLuint progs[4] = {p->prog_sphere, p->prog_ellipsoid, p->prog_line, p->prog_point};
    for (int i = 0; i < 4; i++)
        if (progs[i])
            glDeleteProgram(progs[i]);
    if (p->node_vbo)
        glDeleteBuffers(1, &p->node_vbo);
    if (p->seg_vbo)
        glDeleteBuffers(1, &p->seg_vbo);
    if (p->node_vao)
        glDeleteVertexArrays(1, &p->node_vao);
    if (p->seg_vao)
        glDeleteVertexArrays(1, &p->seg_vao);
    if (p->seg_point_vao)
        glDeleteVertexArrays(1, &p->seg_point_vao);
    memset(p, 0, sizeof *p);
}

nb_status nb_passes_upload(nb_passes *p, const nb_scene *s) {
    glBindBuffer(GL_ARRAY_BUFFER, p->node_vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(s->n_nodes * NB_SCENE_NODE_FLOATS * sizeof(float)),
                 s->n_nodes ? s->nodes : NULL, GL_STATIC_DRAW);
    glBindBuffer(GL_ARRAY_BUFFER, p->seg_vbo);
    glBufferData(GL_ARRAY_BUFFER,
                 (GLsizeiptr)(s->n_segments * NB_SCENE_SEGMENT_FLOATS * sizeof(float)),
                 s->n_segments ? s->segments : NULL, GL_STATIC_DRAW);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    nb_status st = nb_gl_check("scene upload");
    if (st != NB_OK) {
        p->n_nodes = p->n_segments = 0;
        return st;
    }
    p->n_nodes = s->n_nodes;
    p->n_segments = s->n_segments;
    return NB_OK;
}

static void common_uniforms(GLuint prog, const nb_object_uniforms *u, const nb_view_uniforms *v,
                            nb_output_mode output) {
    glUseProgram(prog);
    glUniformMatrix4fv(glGetUniformLocation(prog, "u_view"), 1, GL_FALSE, v->view);
    glUniformMatrix4fv(glGetUniformLocation(prog, "u_proj"), 1, GL_FALSE, v->proj);
    glUniform1f(glGetUniformLocation(prog, "u_threshold"), u->importance_threshold);
    GLint loc = glGetUniformLocation(prog, "u_size");
    if (loc >= 0)
        glUniform1f(loc, u->size);
    glUniform3fv(glGetUniformLocation(prog, "u_background"), 1, v->background);
    glUniform1i(glGetUniformLocation(prog, "u_fade"), v->fade_opaque);
    glUniform1i(glGetUniformLocation(prog, "u_shading"), v->shading);
    loc = glGetUniformLocation(prog, "u_output");
    if (loc < 0)
        return; /* flat programs */
    glUniform1i(loc, (GLint)output);
    glUniform1f(glGetUniformLocation(prog, "u_base_opacity"), u->base_opacity);
    glUniform1f(glGetUniformLocation(prog, "u_importance_opacity"), u->importance_opacity);
    glUniform1f(glGetUniformLocation(prog, "u_depth_opacity"), u->depth_opacity);
    glUniform1f(glGetUniformLocation(prog, "u_depth_exponent"), u->depth_exponent);
    glUniform2f(glGetUniformLocation(prog, "u_depth_range"), v->depth_near, v->depth_far);
}

void nb_passes_draw_nodes(const nb_passes *p, const nb_pass_state *pass,
                          const nb_object_uniforms *u, const nb_view_uniforms *v, size_t count) {
    if (count > p->n_nodes)
        count = p->n_nodes;
    if (count == 0 || pass->pipeline == NB_PIPELINE_NONE)
        return;
    glBindVertexArray(p->node_vao);
    glDisable(GL_CULL_FACE);
    GLsizei n = (GLsizei)count;
    if (pass->pipeline == NB_PIPELINE_POINT) {
        common_uniforms(p->prog_point, u, v, pass->output);
        glUniform1f(glGetUniformLocation(p->prog_point, "u_point_size"), 10.0f);
        glEnable(GL_PROGRAM_POINT_SIZE);
        glDrawArraysInstanced(GL_POINTS, 0, 1, n);
        glDisable(GL_PROGRAM_POINT_SIZE);
    } else {
        common_uniforms(p->prog_sphere, u, v, pass->output);
        glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, n);
    }
    glBindVertexArray(0);
}

void nb_passes_draw_edges(const nb_passes *p, const nb_pass_state *pass,
                          const nb_object_uniforms *u, const nb_view_uniforms *v, size_t first,
                          size_t count) {
    if (first >= p->n_segments)
        return;
    if (count > p->n_segments - first)
        count = p->n_segments - first;
    if (count == 0 || pass->pipeline == NB_PIPELINE_NONE)
        return;
    glBindVertexArray(p->seg_vao);
    GLsizei n = (GLsizei)count;
    GLuint base = (GLuint)first;
    switch (pass->pipeline) {
    case NB_PIPELINE_LINE:
        glDisable(GL_CULL_FACE);
        common_uniforms(p->prog_line, u, v, pass->output);
        glLineWidth(2.0f);
        glDrawArraysInstancedBaseInstance(GL_LINES, 0, 2, n, base);
        glLineWidth(1.0f);
        break;
    case NB_PIPELINE_SPHERE:
        glDisable(GL_CULL_FACE);
        common_uniforms(p->prog_sphere, u, v, pass->output);
        glDrawArraysInstancedBaseInstance(GL_TRIANGLE_STRIP, 0, 4, n, base);
        break;
    case NB_PIPELINE_POINT:
        glDisable(GL_CULL_FACE);
        common_uniforms(p->prog_point, u, v, pass->output);
        glUniform1f(glGetUniformLocation(p->prog_point, "u_point_size"), 10.0f);
        glEnable(GL_PROGRAM_POINT_SIZE);
        glDrawArraysInstancedBaseInstance(GL_POINTS, 0, 1, n, base);
        glDisable(GL_PROGRAM_POINT_SIZE);
        break;
    default: /* NB_PIPELINE_ELLIPSOID */
        glEnable(GL_CULL_FACE);
        glCullFace(GL_BACK);
        glFrontFace(GL_CCW);
        common_uniforms(p->prog_ellipsoid, u, v, pass->output);
        glBindVertexArray(p->seg_point_vao);
        glDrawArrays(GL_POINTS, (GLint)base, n);
        glDisable(GL_CULL_FACE);
        break;
    }
    glBindVertexArray(0);
}
