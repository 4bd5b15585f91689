/* nb_transparency.h - blend states and the weighted blended OIT target (GL layer).
 *
 * Two order-independent techniques (method.md §5.6, config key transparency):
 *  minmax  the reference's: every transparent fragment is pre-mixed towards white in the
 *          shader and blended with MIN (rgb) / MAX (alpha), so each pixel keeps the darkest
 *          fragment per channel. Exact and order-independent; suits light backgrounds.
 *  wboit   weighted blended OIT (M. McGuire, L. Bavoil, "Weighted Blended Order-Independent
 *          Transparency", JCGT 2(2), 2013): fragments add (rgb a w, a w) into an RGBA16F
 *          accumulation target and multiply (1 - a) into an R16F revealage target; a
 *          full-screen pass composites over the opaque image. Works on dark backgrounds.
 * Transparent passes never write depth. When an opaque pass drew something they test against
 * its depth, so transparent objects behind opaque ones are hidden; otherwise the depth test is
 * off, as in the reference (method.md §5.6), and the result is independent of draw order.
 */
#ifndef NB_TRANSPARENCY_H
#define NB_TRANSPARENCY_H

#include <stdbool.h>

#include <GL/glew.h>

#include "nb_gl.h"
#include "nb_status.h"

typedef struct nb_wboit {
    GLuint fbo;
    GLuint accum;  /* RGBA16F */
    GLuint reveal; /* R16F */
    int width, height;
    GLuint depth_attached; /* the main target's depth texture currently attached */
    GLuint composite_program;
    GLuint empty_vao;
} nb_wboit;

/* Loads the composite program (fullscreen.vert + wboit_composite.frag). NB_E_IO / NB_E_GL. */
nb_status nb_wboit_load(nb_wboit *w);

/* (Re)creates the accumulation targets at the main target's size, sharing its depth
 * texture. NB_E_GL if incomplete (previous targets kept). */
nb_status nb_wboit_resize(nb_wboit *w, const nb_gl_target *main_target);

/* Deletes every GL object; safe on a zeroed struct. */
void nb_wboit_unload(nb_wboit *w);

/* Opaque passes: depth test and writes on, no blending, back-face culling off. */
void nb_transparency_begin_opaque(void);

/* MIN/MAX blending into the bound target; depth writes off, depth test only if
 * test_opaque_depth. */
void nb_transparency_begin_minmax(bool test_opaque_depth);

/* Binds the WBOIT target, clears accum to 0 and revealage to 1, sets the per-buffer blend
 * functions (ONE, ONE) and (ZERO, ONE_MINUS_SRC_COLOR); depth writes off, depth test only if
 * test_opaque_depth. */
void nb_transparency_begin_wboit(const nb_wboit *w, bool test_opaque_depth);

/* Composites the WBOIT targets onto main_target (bound on return). */
void nb_transparency_composite_wboit(const nb_wboit *w, const nb_gl_target *main_target);

#endif /* NB_TRANSPARENCY_H */
