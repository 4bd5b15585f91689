/* nb_passes.c - node and edge impostor passes: vertex arrays, programs, instanced draws.
 *
 * DESIGN: two static vertex buffers (nodes, segments) with one vertex array each; every
 * attribute advances once per instance (divisor 1) and the shaders build the impostor's
 * corners from gl_VertexID, so no geometry shader is needed (on llvmpipe instancing and
 * geometry shaders cost the same: platform.md §4). Attribute locations are fixed:
 * 0 = centre or A (+ importance), 1 = colour (+ a0), 2 = cull key, 3 = B (+ f). For nodes the
 * cull key is the norm (location 2 reads the w of location 0). The ellipsoid box is drawn with
 * back-face culling on (see impostor_ellipsoid.vert) so each pixel is shaded once per object,
 * which keeps WBOIT sums right. Algorithms: reference spec §5.4-5.5. Single-threaded (GL).
 * Config keys: edge_* and node_* (through nb_object_uniforms / nb_pass_state).
 */
#include "nb_passes.h"

#include <string.h>

#include "nb_gl.h"

static void set_attrib(GLuint loc, GLint comps, size_t stride_floats, size_t offset_floats) {
    glEnableVertexAttribArray(loc);
    glVertexAttribPointer(loc, comps, GL_FLOAT, GL_FALSE, (GLsizei)(stride_floats * sizeof(float)),
                          (const void *)(offset_floats * sizeof(float)));
    glVertexAttribDivisor(loc, 1);
}

nb_status nb_passes_load(nb_passes *p) {
    memset(p, 0, sizeof *p);
    nb_status st = nb_gl_program_load("impostor_sphere.vert", "impostor.frag", &p->prog_sphere);
    if (st == NB_OK)
        st = nb_gl_program_load("impostor_ellipsoid.vert", "impostor.frag", &p->prog_ellipsoid);
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

    glBindVertexArray(p->node_vao);
    glBindBuffer(GL_ARRAY_BUFFER, p->node_vbo);
    set_attrib(0, 4, NB_SCENE_NODE_FLOATS, NB_SCENE_NODE_POS);
    set_attrib(1, 4, NB_SCENE_NODE_FLOATS, NB_SCENE_NODE_COLOR);
    set_attrib(2, 1, NB_SCENE_NODE_FLOATS, NB_SCENE_NODE_POS + 3);

    glBindVertexArray(p->seg_vao);
    glBindBuffer(GL_ARRAY_BUFFER, p->seg_vbo);
    set_attrib(0, 4, NB_SCENE_SEGMENT_FLOATS, NB_SCENE_SEG_A);
    set_attrib(1, 4, NB_SCENE_SEGMENT_FLOATS, NB_SCENE_SEG_COLOR);
    set_attrib(2, 1, NB_SCENE_SEGMENT_FLOATS, NB_SCENE_SEG_EXTRA);
    set_attrib(3, 4, NB_SCENE_SEGMENT_FLOATS, NB_SCENE_SEG_B);
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
    memset(p, 0, sizeof *p);
}

nb_status nb_passes_upload(nb_passes *p, const nb_scene *s) {
    glBindBuffer(GL_ARRAY_BUFFER, p->node_vbo);
    glBufferData(GL_ARRAY_BUFFER,
                 (GLsizeiptr)(s->n_nodes * NB_SCENE_NODE_FLOATS * sizeof(float)),
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
                          const nb_object_uniforms *u, const nb_view_uniforms *v) {
    if (p->n_nodes == 0 || pass->pipeline == NB_PIPELINE_NONE)
        return;
    glBindVertexArray(p->node_vao);
    glDisable(GL_CULL_FACE);
    GLsizei n = (GLsizei)p->n_nodes;
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
                          const nb_object_uniforms *u, const nb_view_uniforms *v) {
    if (p->n_segments == 0 || pass->pipeline == NB_PIPELINE_NONE)
        return;
    glBindVertexArray(p->seg_vao);
    GLsizei n = (GLsizei)p->n_segments;
    switch (pass->pipeline) {
    case NB_PIPELINE_LINE:
        glDisable(GL_CULL_FACE);
        common_uniforms(p->prog_line, u, v, pass->output);
        glLineWidth(2.0f);
        glDrawArraysInstanced(GL_LINES, 0, 2, n);
        glLineWidth(1.0f);
        break;
    case NB_PIPELINE_SPHERE:
        glDisable(GL_CULL_FACE);
        common_uniforms(p->prog_sphere, u, v, pass->output);
        glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, n);
        break;
    case NB_PIPELINE_POINT:
        glDisable(GL_CULL_FACE);
        common_uniforms(p->prog_point, u, v, pass->output);
        glUniform1f(glGetUniformLocation(p->prog_point, "u_point_size"), 10.0f);
        glEnable(GL_PROGRAM_POINT_SIZE);
        glDrawArraysInstanced(GL_POINTS, 0, 1, n);
        glDisable(GL_PROGRAM_POINT_SIZE);
        break;
    default: /* NB_PIPELINE_ELLIPSOID */
        glEnable(GL_CULL_FACE);
        glCullFace(GL_BACK);
        glFrontFace(GL_CCW);
        common_uniforms(p->prog_ellipsoid, u, v, pass->output);
        glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 14, n);
        glDisable(GL_CULL_FACE);
        break;
    }
    glBindVertexArray(0);
}
