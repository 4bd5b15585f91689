/* nb_transparency.c - MIN/MAX blend state and weighted blended OIT targets + composite.
 *
 * DESIGN: see nb_transparency.h for the two techniques and their sources. The WBOIT target
 * shares the main target's depth texture so transparent fragments behind opaque ones are
 * rejected without a copy. Half-float accumulation (RGBA16F) is what McGuire & Bavoil
 * recommend; the weight function in shaders/impostor.frag is capped at 30 so that ~2000
 * fully opaque layers fit below the half-float maximum (65504); the composite shader also
 * guards against an overflow. Single-threaded (GL). Config keys: transparency (by caller).
 */
#include "nb_transparency.h"

#include <string.h>

nb_status nb_wboit_load(nb_wboit *w) {
    NB_TRY(nb_gl_program_load("fullscreen.vert", "wboit_composite.frag", &w->composite_program));
    glGenVertexArrays(1, &w->empty_vao);
    return nb_gl_check("wboit load");
}

/* Deletes the accumulation target (framebuffer and its two textures). */
static void delete_target(nb_wboit *w) {
    if (w->fbo)
        glDeleteFramebuffers(1, &w->fbo);
    if (w->accum)
        glDeleteTextures(1, &w->accum);
    if (w->reveal)
        glDeleteTextures(1, &w->reveal);
}

void nb_wboit_unload(nb_wboit *w) {
    if (!w)
        return;
    delete_target(w);
    if (w->composite_program)
        glDeleteProgram(w->composite_program);
    if (w->empty_vao)
        glDeleteVertexArrays(1, &w->empty_vao);
    memset(w, 0, sizeof *w);
}

nb_status nb_wboit_resize(nb_wboit *w, const nb_gl_target *m) {
    if (w->fbo && w->width == m->width && w->height == m->height && w->depth_attached == m->depth)
        return NB_OK;
    GLuint fbo = 0, accum = nb_gl_texture(GL_RGBA16F, m->width, m->height);
    GLuint reveal = nb_gl_texture(GL_R16F, m->width, m->height);
    glGenFramebuffers(1, &fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, accum, 0);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT1, GL_TEXTURE_2D, reveal, 0);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, m->depth, 0);
    const GLenum bufs[2] = {GL_COLOR_ATTACHMENT0, GL_COLOR_ATTACHMENT1};
    glDrawBuffers(2, bufs);
    GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    nb_status st = nb_gl_check("wboit target");
    if (status != GL_FRAMEBUFFER_COMPLETE || st != NB_OK) {
        glDeleteFramebuffers(1, &fbo);
        glDeleteTextures(1, &accum);
        glDeleteTextures(1, &reveal);
        if (st == NB_OK)
            st = NB_RAISE(NB_E_GL, "wboit target", "framebuffer %dx%d incomplete (0x%04x)",
                          m->width, m->height, status);
        return st;
    }
    delete_target(w);
    w->fbo = fbo;
    w->accum = accum;
    w->reveal = reveal;
    w->width = m->width;
    w->height = m->height;
    w->depth_attached = m->depth;
    return NB_OK;
}

void nb_transparency_begin_opaque(void) {
    glDisable(GL_BLEND);
    glEnable(GL_DEPTH_TEST);
    glDepthFunc(GL_LESS);
    glDepthMask(GL_TRUE);
}

static void depth_test(bool on) {
    if (on) {
        glEnable(GL_DEPTH_TEST);
        glDepthFunc(GL_LESS);
    } else {
        glDisable(GL_DEPTH_TEST);
    }
    glDepthMask(GL_FALSE);
}

void nb_transparency_begin_minmax(bool test_opaque_depth) {
    glEnable(GL_BLEND);
    glBlendEquationSeparate(GL_MIN, GL_MAX);
    glBlendFunc(GL_ONE, GL_ONE); /* ignored by MIN/MAX */
    depth_test(test_opaque_depth);
}

void nb_transparency_begin_wboit(const nb_wboit *w, bool test_opaque_depth) {
    glBindFramebuffer(GL_FRAMEBUFFER, w->fbo);
    glViewport(0, 0, w->width, w->height);
    const GLfloat zero[4] = {0.0f, 0.0f, 0.0f, 0.0f}, one[4] = {1.0f, 1.0f, 1.0f, 1.0f};
    glClearBufferfv(GL_COLOR, 0, zero);
    glClearBufferfv(GL_COLOR, 1, one);
    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    glBlendFunci(0, GL_ONE, GL_ONE);
    glBlendFunci(1, GL_ZERO, GL_ONE_MINUS_SRC_COLOR);
    depth_test(test_opaque_depth);
}

void nb_transparency_composite_wboit(const nb_wboit *w, const nb_gl_target *m) {
    glBindFramebuffer(GL_FRAMEBUFFER, m->fbo);
    glViewport(0, 0, m->width, m->height);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_CULL_FACE);
    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    /* colour: avg (1 - R) + dst R; alpha: coverage "over" (transparent PNGs) */
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glUseProgram(w->composite_program);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, w->accum);
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, w->reveal);
    glBindVertexArray(w->empty_vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    glBindVertexArray(0);
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, 0);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, 0);
    glDisable(GL_BLEND);
}
