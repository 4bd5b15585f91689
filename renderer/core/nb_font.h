/* nb_font.h - antialiased text and shapes for image overlays (legend), GL-free.
 *
 * A TrueType font file (default: Debian's fonts-dejavu-core DejaVuSans.ttf, overridable with
 * $NNBUNDLE_FONT) is rasterised by stb_truetype into a coverage atlas at the pixel size the
 * image needs (nb_font_face), so text is drawn at 1:1 texels and stays sharp at any image
 * size: no bitmap scaling. Without a font file the face falls back to stb_easy_font's block
 * glyphs scaled by an integer factor (readable, not antialiased); nb_font_face.truetype says
 * which one is in use.
 *
 * Everything is emitted as triangles into an nb_overlay_buffer, vertex format
 * float32[n][NB_OVERLAY_VERTEX_FLOATS] = x, y (pixels, top-left origin), u, v (atlas texture
 * coordinates), r, g, b, a. The GL layer draws them with shaders/overlay.* : colour = rgb,
 * alpha = a * atlas(u, v), blended "over". Solid shapes use the atlas's white texel
 * (face.white_uv), so one draw call with one texture covers text, panels and swatches.
 * Strings are UTF-8; the truetype face has glyphs for U+0020..U+007E and U+00A0..U+00FF
 * (Latin-1), anything else prints as '?' (the block font: printable ASCII only).
 * Not thread-safe per object; separate objects may be used from separate threads.
 */
#ifndef NB_FONT_H
#define NB_FONT_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_status.h"

#define NB_OVERLAY_VERTEX_FLOATS 8

/* Compile-time default font file (CMake NB_FONT_PATH). */
#ifndef NB_FONT_PATH
#define NB_FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#endif

/* Growable triangle list (3 vertices per triangle). Zero-initialise; free(buf.v) when done. */
typedef struct nb_overlay_buffer {
    float *v;   /* [cap][NB_OVERLAY_VERTEX_FLOATS] */
    size_t n;   /* vertices */
    size_t cap; /* vertices */
} nb_overlay_buffer;

/* A loaded TrueType file (opaque). */
typedef struct nb_font nb_font;

/* The font file to use: $NNBUNDLE_FONT if set and non-empty, else NB_FONT_PATH. Static or
 * environment storage. */
const char *nb_font_default_path(void);

/* Reads a TrueType (.ttf) file. Returns NB_OK (*out owned by the caller, nb_font_destroy),
 * NB_E_IO (subject = path: missing or unreadable), NB_E_FORMAT (subject = path: not a
 * TrueType font), NB_E_NOMEM. *out untouched on failure. */
nb_status nb_font_create(const char *path, nb_font **out);

/* Frees a font; NULL is a no-op. */
void nb_font_destroy(nb_font *f);

/* A font rasterised at one pixel size, with its coverage atlas (8-bit, row 0 = v 0). */
typedef struct nb_font_face {
    bool truetype;        /* false: stb_easy_font block glyphs (no font file) */
    float pixel_height;   /* the size asked for: ascent - descent in pixels */
    float ascent;         /* pixels from the top of a line box to the baseline */
    float line_height;    /* pixels from one line's top to the next (ascent - descent + gap) */
    int block_scale;      /* block font: integer glyph scale (1 = 5x7-pixel glyphs) */
    unsigned char *atlas; /* [atlas_height][atlas_width] coverage 0..255 (owned) */
    int atlas_width, atlas_height;
    float white_uv[2];   /* a texel of full coverage (solid shapes) */
    void *glyphs;        /* truetype: the packed glyph table (owned, opaque) */
    const nb_font *font; /* truetype: the font it was made from (borrowed, for kerning) */
} nb_font_face;

/* Rasterises `font` (NULL: the block-font fallback) at pixel_height (>= 4 pixels; the block
 * font picks the integer scale closest to it, >= 1). Returns NB_OK, NB_E_INVALID
 * (pixel_height out of 4..512), NB_E_NOMEM; on failure *face is zeroed. The face borrows
 * `font`, which must outlive it. */
nb_status nb_font_face_init(nb_font_face *face, const nb_font *font, float pixel_height);

/* Frees the atlas and glyph table; safe on a zeroed face. */
void nb_font_face_deinit(nb_font_face *face);

/* Advance width in pixels of one line of UTF-8 text (kerning included). */
float nb_font_text_width(const nb_font_face *face, const char *utf8);

/* Appends the glyph quads of `utf8` with its line box's top-left corner at (x, y) pixels,
 * colour rgba. Glyph origins are snapped to whole pixels vertically so text is not blurred.
 * Returns NB_OK or NB_E_NOMEM (buffer unchanged). */
nb_status nb_font_draw_text(const nb_font_face *face, nb_overlay_buffer *buf, float x, float y,
                            const char *utf8, const float rgba[4]);

/* Appends a filled rectangle [x0, x1] x [y0, y1] (pixels), colour rgba. NB_E_NOMEM. */
nb_status nb_overlay_rect(nb_overlay_buffer *buf, const nb_font_face *face, float x0, float y0,
                          float x1, float y1, const float rgba[4]);

/* Appends a filled rectangle whose alpha runs linearly from rgba0 (left) to rgba1 (right). */
nb_status nb_overlay_hgradient(nb_overlay_buffer *buf, const nb_font_face *face, float x0, float y0,
                               float x1, float y1, const float rgba0[4], const float rgba1[4]);

/* Appends a filled convex quadrilateral with corners (x[k], y[k]) in order around it and a
 * colour per corner (rgba[4 k .. 4 k + 3], interpolated). NB_E_NOMEM. */
nb_status nb_overlay_quad(nb_overlay_buffer *buf, const nb_font_face *face, const float x[4],
                          const float y[4], const float rgba[16]);

/* Appends an antialiased filled disc of radius r (pixels, > 0) centred at (cx, cy): a fan
 * plus a one-pixel ring fading to alpha 0. NB_E_NOMEM. */
nb_status nb_overlay_disc(nb_overlay_buffer *buf, const nb_font_face *face, float cx, float cy,
                          float r, const float rgba[4]);

#endif /* NB_FONT_H */
