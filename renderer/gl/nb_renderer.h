/* nb_renderer.h - one frame: opaque passes, transparent passes, composite, legend (GL layer).
 *
 * Every frame is drawn into an offscreen target of the requested size (nb_gl_target), so the
 * window, --screenshot, --frames and --benchmark all produce the same pixels; an interactive
 * frame is then blitted to the window. Draw order: clear to the background, opaque passes
 * (node "sphere"/"point", edge "sphere"/"line", depth written), transparent passes (minmax or
 * wboit, depth tested, not written), WBOIT composite, legend (method.md §5.2, with the
 * opaque passes first so transparent objects are hidden behind opaque ones).
 * The target's alpha channel is kept as the coverage of everything drawn (cleared to 0,
 * opaque objects 1, MIN/MAX the largest fragment opacity, WBOIT composited and the legend
 * blended "over"), which is what a transparent-background PNG needs (nb_screenshot.h).
 * The legend's font is loaded once by nb_renderer_load (nb_font_default_path); when it cannot
 * be read the legend uses the block-font fallback and font_warning says why. The legend is
 * placed on the pixels the scene passes drew (the frame is read back before the legend is
 * drawn: an nb_coverage grid), so it goes where the picture is empty.
 * Requires a current GL 4.3 core context (nb_window_open). Not thread-safe.
 */
#ifndef NB_RENDERER_H
#define NB_RENDERER_H

#include <stdbool.h>
#include <stdint.h>

#include <GL/glew.h>

#include "nb_camera.h"
#include "nb_font.h"
#include "nb_gl.h"
#include "nb_legend.h"
#include "nb_passes.h"
#include "nb_render_params.h"
#include "nb_scene.h"
#include "nb_status.h"
#include "nb_transparency.h"

typedef struct nb_renderer {
    nb_gl_target target;
    nb_wboit wboit;
    nb_passes passes;
    GLuint prog_overlay, overlay_vao, overlay_vbo;
    GLuint atlas_texture; /* R8 coverage atlas of `face` */
    nb_font *font;        /* the legend's TrueType font; NULL: block-font fallback */
    nb_font_face face;    /* font rasterised at the current legend text size */
    bool has_face;
    char font_warning[512];   /* non-empty when the font file could not be used */
    float last_background[3]; /* background of the last frame (un-blending) */
    nb_legend_layout legend;  /* where the last frame's legend went (has_legend) */
    bool has_legend;
    GLuint samples_query;
    uint64_t last_fragments; /* GL_SAMPLES_PASSED of the scene passes of the last frame */
    bool count_fragments;    /* wrap the scene passes in a GL_SAMPLES_PASSED query */
} nb_renderer;

/* Loads every shader program and creates a width x height target. NB_E_IO / NB_E_GL (shader
 * file named), NB_E_INVALID (size). On failure everything made is released. */
nb_status nb_renderer_load(nb_renderer *r, int width, int height);

/* Releases every GL object; safe on a zeroed struct. */
void nb_renderer_unload(nb_renderer *r);

/* Resizes the target (window resize, --size). Statuses as nb_gl_target_resize. */
nb_status nb_renderer_resize(nb_renderer *r, int width, int height);

/* Uploads a (re)built scene. NB_E_GL. */
nb_status nb_renderer_upload(nb_renderer *r, const nb_scene *s);

/* The view uniforms (matrices, bounding-box depth range) for camera cam on the target. */
void nb_renderer_view_uniforms(const nb_renderer *r, const nb_scene *s, const nb_camera *cam,
                               nb_view_uniforms *v);

/* Draws one frame of scene s (uploaded with nb_renderer_upload) into the target. With
 * r->count_fragments the fragment count lands in r->last_fragments (waits for the GPU).
 * Returns NB_OK or NB_E_GL (subject "frame"). */
nb_status nb_renderer_draw(nb_renderer *r, const nb_scene *s, const nb_render_params *p,
                           const nb_camera *cam);

/* Compare mode (nb_compare.h) draws several scenes into one target, panel by panel:
 * nb_renderer_clear, then nb_renderer_upload + nb_renderer_draw_panel for each panel, then
 * nb_renderer_draw_overlay (titles) and nb_renderer_draw_legend. */

/* Clears the whole target to background (alpha 0) and its depth. NB_E_GL. */
nb_status nb_renderer_clear(nb_renderer *r, const float background[3]);

/* Draws scene s (uploaded) like nb_renderer_draw, without the legend, with every clear and
 * pass limited to the scissor box (GL convention: x, y from the bottom-left, width, height;
 * nb_compare_panel_scissor); the rest of the target is kept. NB_E_GL. */
nb_status nb_renderer_draw_panel(nb_renderer *r, const nb_scene *s, const nb_render_params *p,
                                 const nb_camera *cam, const int box[4]);

/* The legend's text face at the target's size (rasterised now if the size changed), for
 * measuring and building overlay text; owned by r, valid until the next resize. NB_E_NOMEM,
 * NB_E_GL. */
nb_status nb_renderer_text_face(nb_renderer *r, const nb_font_face **face);

/* Draws overlay triangles (nb_font.h vertex format, target pixels, built with the face of
 * nb_renderer_text_face) "over" what the target holds. NB_E_GL. */
nb_status nb_renderer_draw_overlay(nb_renderer *r, const nb_overlay_buffer *buf);

/* Draws the legend of scene s (classes and encoding) over what the target holds, placed on
 * the target's drawn pixels (the panels, titles included), away from the avoid rectangles
 * (nb_legend_desc); drawing: the drawings' screen rectangle (ties only). NB_E_NOMEM, NB_E_GL. */
nb_status nb_renderer_draw_legend(nb_renderer *r, const nb_scene *s, const nb_render_params *p,
                                  nb_rect drawing, const nb_rect *avoid, size_t n_avoid);

/* Copies the target to the window's default framebuffer (window_w x window_h pixels). */
void nb_renderer_present(const nb_renderer *r, int window_w, int window_h);

/* Reads the target's pixels (nb_gl_read_pixels): channels 3 (RGB) or 4 (RGBA: colour over the
 * background, alpha = coverage, before un-blending), top row first, width * height * channels
 * bytes. */
nb_status nb_renderer_read_pixels(const nb_renderer *r, int channels, unsigned char *out);

/* How nb_renderer_write_image writes. Zero-initialised: opaque, format from the extension,
 * JPEG quality 90. */
typedef struct nb_image_options {
    bool transparent; /* RGBA PNG with a transparent background (nb_screenshot_unblend
                         against the last frame's background); NB_E_INVALID for JPEG */
    int jpeg_quality; /* 1..100, 0 = NB_SCREENSHOT_JPEG_QUALITY */
} nb_image_options;

/* Reads the target and writes it to path in the format of its extension (PNG: RGB, or RGBA
 * with o->transparent; JPEG: RGB). o may be NULL (defaults). Statuses of nb_screenshot_write
 * (NB_E_INVALID for a name it does not write, nothing written), NB_E_NOMEM, NB_E_GL. */
nb_status nb_renderer_write_image(const nb_renderer *r, const char *path,
                                  const nb_image_options *o);

/* nb_renderer_write_image with default options. */
nb_status nb_renderer_screenshot(const nb_renderer *r, const char *path);

#endif /* NB_RENDERER_H */
