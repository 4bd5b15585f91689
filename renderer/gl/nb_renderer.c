/* nb_renderer.c - frame orchestration: clear, opaque, transparent, composite, legend, output.
 *
 * DESIGN: the pass order and state changes of nb_renderer.h; the view uniforms carry the
 * depth range of the network's bounding box under the current view (nb_render_depth_range,
 * method.md §5.6 with the box fixed). The legend is rebuilt on the CPU every frame (a few thousand
 * triangles) and streamed into one small buffer; its font face is re-rasterised into the
 * R8 atlas texture only when the legend's text size changes with the image size. The
 * legend is placed on the drawn pixels: the finished scene is read back (RGB, one
 * glReadPixels, ~4 MB at 1280x720) and reduced to an nb_coverage grid (cells of half the
 * text height; a pixel counts when it differs from the background by more than 16 levels);
 * the screen rectangle of the scene's bounding box (nb_legend_drawing_rect) only breaks
 * ties when nothing is drawn. Fragment counts use a GL_SAMPLES_PASSED query around the scene
 * passes (not the legend or the composite). Output: RGB or RGBA read-back, un-blended
 * against the background for a transparent PNG (nb_screenshot). Compare mode (nb_compare.h)
 * draws several scenes into the one target: each with the ordinary frame under a scissor box
 * (every clear, pass and the WBOIT composite stay inside the panel), then titles and one
 * legend over the whole image through the same overlay path. Single-threaded (GL).
 * Config keys: everything in nb_render_params (the caller maps the config).
 */
#include "nb_renderer.h"

#include <math.h>
#include <stdio.h>
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
    const GLsizei stride = NB_OVERLAY_VERTEX_FLOATS * sizeof(float);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, stride, (const void *)0);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, stride, (const void *)(2 * sizeof(float)));
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(2, 4, GL_FLOAT, GL_FALSE, stride, (const void *)(4 * sizeof(float)));
    glBindVertexArray(0);
    glGenTextures(1, &r->atlas_texture);
    /* the legend's font: a missing or broken file is not fatal (block-font fallback) */
    const char *font_path = nb_font_default_path();
    if (nb_font_create(font_path, &r->font) != NB_OK) {
        r->font = NULL;
        snprintf(r->font_warning, sizeof r->font_warning,
                 "%s; the legend uses the built-in block font (install fonts-dejavu-core or "
                 "set NNBUNDLE_FONT to a .ttf file)",
                 nb_error_message());
    }
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
    if (r->atlas_texture)
        glDeleteTextures(1, &r->atlas_texture);
    nb_font_face_deinit(&r->face);
    nb_font_destroy(r->font);
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

/* Re-rasterises the legend's face when the text size for the target changes. */
static nb_status update_face(nb_renderer *r) {
    float px = nb_legend_text_px(r->target.width, r->target.height);
    if (r->has_face && r->face.pixel_height == px)
        return NB_OK;
    nb_font_face face;
    NB_TRY(nb_font_face_init(&face, r->font, px));
    nb_font_face_deinit(&r->face);
    r->face = face;
    r->has_face = true;
    glBindTexture(GL_TEXTURE_2D, r->atlas_texture);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, face.atlas_width, face.atlas_height, 0, GL_RED,
                 GL_UNSIGNED_BYTE, face.atlas);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glBindTexture(GL_TEXTURE_2D, 0);
    return nb_gl_check("legend font atlas");
}

/* The drawn pixels of the frame so far (the scene, before the legend). */
static nb_status frame_coverage(const nb_renderer *r, const nb_render_params *p, nb_coverage *c) {
    const int w = r->target.width, h = r->target.height;
    unsigned char *rgb = malloc((size_t)w * (size_t)h * 3);
    if (!rgb)
        return NB_RAISE(NB_E_NOMEM, "legend", "%dx%d pixels", w, h);
    nb_status st = nb_renderer_read_pixels(r, 3, rgb);
    if (st == NB_OK) {
        const unsigned char bg[3] = {(unsigned char)lrintf(p->background[0] * 255.0f),
                                     (unsigned char)lrintf(p->background[1] * 255.0f),
                                     (unsigned char)lrintf(p->background[2] * 255.0f)};
        int cell = (int)(0.5f * nb_legend_text_px(w, h));
        st = nb_coverage_from_rgb(c, rgb, w, h, bg, 16, cell < 4 ? 4 : cell);
    }
    free(rgb);
    return st;
}

/* Draws overlay triangles (nb_font.h vertex format, target pixels) with the face's atlas. */
static void draw_overlay_buffer(nb_renderer *r, const nb_overlay_buffer *buf) {
    glBindFramebuffer(GL_FRAMEBUFFER, r->target.fbo);
    glViewport(0, 0, r->target.width, r->target.height);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_CULL_FACE);
    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    /* "over" for colour and for coverage (alpha), so the target's alpha stays the coverage */
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glUseProgram(r->prog_overlay);
    glUniform2f(glGetUniformLocation(r->prog_overlay, "u_viewport"), (float)r->target.width,
                (float)r->target.height);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, r->atlas_texture);
    glBindBuffer(GL_ARRAY_BUFFER, r->overlay_vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(buf->n * NB_OVERLAY_VERTEX_FLOATS * sizeof(float)),
                 buf->v, GL_STREAM_DRAW);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    glBindVertexArray(r->overlay_vao);
    glDrawArrays(GL_TRIANGLES, 0, (GLsizei)buf->n);
    glBindVertexArray(0);
    glBindTexture(GL_TEXTURE_2D, 0);
    glDisable(GL_BLEND);
}

/* The legend of scene s over what the target holds, placed on its drawn pixels. */
static nb_status draw_legend_rect(nb_renderer *r, const nb_scene *s, const nb_render_params *p,
                                  nb_rect drawing, const nb_rect *avoid, size_t n_avoid) {
    NB_TRY(update_face(r));
    nb_coverage cov;
    NB_TRY(frame_coverage(r, p, &cov));
    nb_legend_desc d = {.scene = s,
                        .params = p,
                        .face = &r->face,
                        .width = r->target.width,
                        .height = r->target.height,
                        .drawing = drawing,
                        .coverage = &cov,
                        .avoid = avoid,
                        .n_avoid = n_avoid};
    nb_overlay_buffer buf = {0};
    nb_status st = nb_legend_build(&d, &buf, &r->legend);
    nb_coverage_deinit(&cov);
    if (st != NB_OK) {
        free(buf.v);
        return st;
    }
    r->has_legend = true;
    draw_overlay_buffer(r, &buf);
    free(buf.v);
    return NB_OK;
}

static nb_status draw_legend(nb_renderer *r, const nb_scene *s, const nb_render_params *p,
                             const nb_camera *cam) {
    return draw_legend_rect(
        r, s, p, nb_legend_drawing_rect(s, cam, r->target.width, r->target.height), NULL, 0);
}

nb_status nb_renderer_draw(nb_renderer *r, const nb_scene *s, const nb_render_params *p,
                           const nb_camera *cam) {
    nb_view_uniforms v;
    nb_renderer_view_uniforms(r, s, cam, &v);
    memcpy(r->last_background, p->background, sizeof r->last_background);
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
    r->has_legend = false;
    if (p->show_legend)
        NB_TRY(draw_legend(r, s, p, cam));
    glUseProgram(0);
    if (r->count_fragments) {
        GLuint64 samples = 0;
        glGetQueryObjectui64v(r->samples_query, GL_QUERY_RESULT, &samples);
        r->last_fragments = (uint64_t)samples;
    }
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    return nb_gl_check("frame");
}

/* ---- compare mode: panels, titles, one legend ------------------------------------------ */

nb_status nb_renderer_clear(nb_renderer *r, const float background[3]) {
    memcpy(r->last_background, background, sizeof r->last_background);
    r->has_legend = false;
    glBindFramebuffer(GL_FRAMEBUFFER, r->target.fbo);
    glViewport(0, 0, r->target.width, r->target.height);
    glDisable(GL_SCISSOR_TEST);
    glDepthMask(GL_TRUE);
    glClearColor(background[0], background[1], background[2], 0.0f);
    glClearDepth(1.0);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    return nb_gl_check("clear");
}

nb_status nb_renderer_draw_panel(nb_renderer *r, const nb_scene *s, const nb_render_params *p,
                                 const nb_camera *cam, const int box[4]) {
    nb_render_params q = *p;
    q.show_legend = false;
    /* every clear and pass of the frame (the WBOIT buffers' clears and composite included)
     * is limited to the box, so the other panels stay as they are */
    glEnable(GL_SCISSOR_TEST);
    glScissor(box[0], box[1], box[2], box[3]);
    nb_status st = nb_renderer_draw(r, s, &q, cam);
    glDisable(GL_SCISSOR_TEST);
    return st;
}

nb_status nb_renderer_text_face(nb_renderer *r, const nb_font_face **face) {
    NB_TRY(update_face(r));
    *face = &r->face;
    return NB_OK;
}

nb_status nb_renderer_draw_overlay(nb_renderer *r, const nb_overlay_buffer *buf) {
    NB_TRY(update_face(r));
    if (buf->n > 0)
        draw_overlay_buffer(r, buf);
    glUseProgram(0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    return nb_gl_check("overlay");
}

nb_status nb_renderer_draw_legend(nb_renderer *r, const nb_scene *s, const nb_render_params *p,
                                  nb_rect drawing, const nb_rect *avoid, size_t n_avoid) {
    r->has_legend = false;
    NB_TRY(draw_legend_rect(r, s, p, drawing, avoid, n_avoid));
    glUseProgram(0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    return nb_gl_check("legend");
}

void nb_renderer_present(const nb_renderer *r, int window_w, int window_h) {
    glBindFramebuffer(GL_READ_FRAMEBUFFER, r->target.fbo);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    glViewport(0, 0, window_w, window_h);
    glBlitFramebuffer(0, 0, r->target.width, r->target.height, 0, 0, window_w, window_h,
                      GL_COLOR_BUFFER_BIT, GL_LINEAR);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
}

nb_status nb_renderer_read_pixels(const nb_renderer *r, int channels, unsigned char *out) {
    return nb_gl_read_pixels(r->target.fbo, r->target.width, r->target.height, channels, out);
}

nb_status nb_renderer_write_image(const nb_renderer *r, const char *path,
                                  const nb_image_options *o) {
    const nb_image_options defaults = {0};
    if (!o)
        o = &defaults;
    nb_image_format format;
    NB_TRY(nb_screenshot_format(path, &format)); /* before reading anything back */
    if (o->transparent && format != NB_IMAGE_PNG)
        return NB_RAISE(NB_E_INVALID, path,
                        "JPEG has no alpha channel: write a transparent background as .png");
    const int channels = o->transparent ? 4 : 3;
    size_t n_pixels = (size_t)r->target.width * (size_t)r->target.height;
    unsigned char *px = malloc(n_pixels * (size_t)channels);
    if (!px)
        return NB_RAISE(NB_E_NOMEM, path, "%zu bytes of pixels", n_pixels * (size_t)channels);
    nb_status st = nb_renderer_read_pixels(r, channels, px);
    if (st == NB_OK && channels == 4)
        nb_screenshot_unblend(px, n_pixels, r->last_background);
    if (st == NB_OK)
        st = nb_screenshot_write(path, px, r->target.width, r->target.height, channels,
                                 o->jpeg_quality);
    free(px);
    return st;
}

nb_status nb_renderer_screenshot(const nb_renderer *r, const char *path) {
    return nb_renderer_write_image(r, path, NULL);
}
