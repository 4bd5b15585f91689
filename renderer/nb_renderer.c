/* nb_renderer.c - frame orchestration: clear, opaque, transparent, composite, legend, output.
 *
 * DESIGN: the pass order and state changes of nb_renderer.h; the view uniforms carry the
 * depth range of the network's bounding box under the current view (nb_render_depth_range,
 * spec §5.6 with the box fixed). The legend is rebuilt on the CPU every frame (a few hundred
 * triangles) and streamed into one small buffer. Fragment counts use a GL_SAMPLES_PASSED
 * query around the scene passes (not the legend or the composite). Single-threaded (GL).
 * Config keys: everything in nb_render_params (the caller maps the config).
 */
#include "nb_renderer.h"

#include <stdlib.h>
#include <string.h>

#include "nb_legend.h"
#include "nb_screenshot.h"

nb_status nb_renderer_load(nb_renderer *r, int width, int height) {
    memset(r, 0, sizeof *r);
    nb_status st = nb_passes_load(&r->passes);
    if (st == NB_OK)
        st = nb_wboit_load(&r->wboit);
    if (st == NB_OK)
        st = nb_gl_program_load("overlay.vert", "overlay.frag", &r->prog_overlay);
    if (st == NB_OK)
        st = nb_renderer_resize(r, width, height);
    if (st != NB_OK) {
        nb_renderer_unload(r);
        return st;
    }
    glGenVertexArrays(1, &r->overlay_vao);
    glGenBuffers(1, &r->overlay_vbo);
    glBindVertexArray(r->overlay_vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->overlay_vbo);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, NB_LEGEND_VERTEX_FLOATS * sizeof(float),
                          (const void *)0);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 4, GL_FLOAT, GL_FALSE, NB_LEGEND_VERTEX_FLOATS * sizeof(float),
                          (const void *)(2 * sizeof(float)));
    glBindVertexArray(0);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    glGenQueries(1, &r->samples_query);
    st = nb_gl_check("renderer load");
    if (st != NB_OK)
        nb_renderer_unload(r);
    return st;
}

void nb_renderer_unload(nb_renderer *r) {
    if (!r)
        return;
    nb_passes_unload(&r->passes);
    nb_wboit_unload(&r->wboit);
    nb_gl_target_unload(&r->target);
    if (r->prog_overlay)
        glDeleteProgram(r->prog_overlay);
    if (r->overlay_vao)
        glDeleteVertexArrays(1, &r->overlay_vao);
    if (r->overlay_vbo)
        glDeleteBuffers(1, &r->overlay_vbo);
    if (r->samples_query)
        glDeleteQueries(1, &r->samples_query);
    memset(r, 0, sizeof *r);
}

nb_status nb_renderer_resize(nb_renderer *r, int width, int height) {
    NB_TRY(nb_gl_target_resize(&r->target, width, height));
    return nb_wboit_resize(&r->wboit, &r->target);
}

nb_status nb_renderer_upload(nb_renderer *r, const nb_scene *s) {
    return nb_passes_upload(&r->passes, s);
}

void nb_renderer_view_uniforms(const nb_renderer *r, const nb_scene *s, const nb_camera *cam,
                               nb_view_uniforms *v) {
    float aspect = r->target.height > 0 ? (float)r->target.width / (float)r->target.height : 1.0f;
    nb_camera_view(cam, v->view);
    nb_camera_projection(cam, aspect, v->proj);
    nb_render_depth_range(s->bbox_min, s->bbox_max, v->view, &v->depth_near, &v->depth_far);
    v->background[0] = v->background[1] = v->background[2] = 1.0f;
    v->fade_opaque = 0;
    v->shading = 0;
}

static nb_status draw_legend(nb_renderer *r, const nb_scene *s, const nb_render_params *p) {
    float *verts = NULL;
    size_t n = 0;
    NB_TRY(nb_legend_build(s, p->foreground, p->background, r->target.width, r->target.height,
                           &verts, &n, NULL));
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_CULL_FACE);
    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    glUseProgram(r->prog_overlay);
    glUniform2f(glGetUniformLocation(r->prog_overlay, "u_viewport"), (float)r->target.width,
                (float)r->target.height);
    glBindBuffer(GL_ARRAY_BUFFER, r->overlay_vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(n * NB_LEGEND_VERTEX_FLOATS * sizeof(float)), verts,
                 GL_STREAM_DRAW);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    free(verts);
    glBindVertexArray(r->overlay_vao);
    glDrawArrays(GL_TRIANGLES, 0, (GLsizei)n);
    glBindVertexArray(0);
    glDisable(GL_BLEND);
    return NB_OK;
}

nb_status nb_renderer_draw(nb_renderer *r, const nb_scene *s, const nb_render_params *p,
                           const nb_camera *cam) {
    nb_view_uniforms v;
    nb_renderer_view_uniforms(r, s, cam, &v);
    for (int i = 0; i < 3; i++)
        v.background[i] = p->background[i];
    v.fade_opaque = p->fade_opaque ? 1 : 0;
    v.shading = p->shading;
    size_t seg_first = 0;
    size_t seg_count = nb_scene_visible_segments(s, p->edge.importance_threshold, &seg_first);
    size_t node_count = nb_scene_visible_nodes(s, p->node.importance_threshold);
    glBindFramebuffer(GL_FRAMEBUFFER, r->target.fbo);
    glViewport(0, 0, r->target.width, r->target.height);
    glDepthMask(GL_TRUE);
    glClearColor(p->background[0], p->background[1], p->background[2], 0.0f);
    glClearDepth(1.0);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    if (r->count_fragments)
        glBeginQuery(GL_SAMPLES_PASSED, r->samples_query);

    /* Opaque passes first: they write the depth the transparent ones are tested against. */
    nb_transparency_begin_opaque();
    bool opaque_drawn = false;
    if (p->edge_pass.output == NB_OUTPUT_OPAQUE && p->edge_pass.pipeline != NB_PIPELINE_NONE &&
        seg_count > 0) {
        nb_passes_draw_edges(&r->passes, &p->edge_pass, &p->edge, &v, seg_first, seg_count);
        opaque_drawn = true;
    }
    if (p->node_pass.output == NB_OUTPUT_OPAQUE && p->node_pass.pipeline != NB_PIPELINE_NONE &&
        node_count > 0) {
        nb_passes_draw_nodes(&r->passes, &p->node_pass, &p->node, &v, node_count);
        opaque_drawn = true;
    }

    bool edge_t = p->edge_pass.output != NB_OUTPUT_OPAQUE;
    bool node_t = p->node_pass.output != NB_OUTPUT_OPAQUE;
    if (edge_t || node_t) {
        if (p->transparency == NB_TRANSPARENCY_WBOIT)
            nb_transparency_begin_wboit(&r->wboit, opaque_drawn);
        else
            nb_transparency_begin_minmax(opaque_drawn);
        if (edge_t)
            nb_passes_draw_edges(&r->passes, &p->edge_pass, &p->edge, &v, seg_first, seg_count);
        if (node_t)
            nb_passes_draw_nodes(&r->passes, &p->node_pass, &p->node, &v, node_count);
    }
    if (r->count_fragments)
        glEndQuery(GL_SAMPLES_PASSED);
    if ((edge_t || node_t) && p->transparency == NB_TRANSPARENCY_WBOIT)
        nb_transparency_composite_wboit(&r->wboit, &r->target);
    glBlendEquation(GL_FUNC_ADD);
    glDepthMask(GL_TRUE);
    glBindFramebuffer(GL_FRAMEBUFFER, r->target.fbo);
    glViewport(0, 0, r->target.width, r->target.height);
    if (p->show_legend)
        NB_TRY(draw_legend(r, s, p));
    glUseProgram(0);
    if (r->count_fragments) {
        GLuint64 samples = 0;
        glGetQueryObjectui64v(r->samples_query, GL_QUERY_RESULT, &samples);
        r->last_fragments = (uint64_t)samples;
    }
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    return nb_gl_check("frame");
}

void nb_renderer_present(const nb_renderer *r, int window_w, int window_h) {
    glBindFramebuffer(GL_READ_FRAMEBUFFER, r->target.fbo);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    glViewport(0, 0, window_w, window_h);
    glBlitFramebuffer(0, 0, r->target.width, r->target.height, 0, 0, window_w, window_h,
                      GL_COLOR_BUFFER_BIT, GL_LINEAR);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
}

nb_status nb_renderer_read_rgb(const nb_renderer *r, unsigned char *rgb) {
    return nb_gl_target_read_rgb(&r->target, rgb);
}

nb_status nb_renderer_screenshot(const nb_renderer *r, const char *path) {
    size_t n = (size_t)r->target.width * (size_t)r->target.height * 3;
    unsigned char *rgb = malloc(n);
    if (!rgb)
        return NB_RAISE(NB_E_NOMEM, path, "%zu bytes of pixels", n);
    nb_status st = nb_renderer_read_rgb(r, rgb);
    if (st == NB_OK)
        st = nb_screenshot_write_png(path, rgb, r->target.width, r->target.height);
    free(rgb);
    return st;
}
