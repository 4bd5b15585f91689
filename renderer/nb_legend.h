/* nb_legend.h - the class-colour legend as coloured triangles in pixel space (GL-free).
 *
 * The legend lists the classes of the scene (names from /network attr class_names) with a
 * colour swatch each, on a translucent panel in the top-left corner; it is part of every
 * rendered image, --screenshot and --frames included, and needs no GUI. Text uses the
 * public-domain stb_easy_font glyphs (libstb-dev), scaled by an integer factor that grows with
 * the viewport height (1 below 540 px, 2 up to 1079 px, 3 above ...). Classes that do not fit
 * one column continue in further columns; names longer than NB_LEGEND_NAME_MAX characters
 * are cut, characters outside printable ASCII print as '?'.
 * Class view "all": every class; "class": the shown class only; "independent": one line
 * "importance (independent)" in the foreground colour.
 * Vertex format: float32[n][NB_LEGEND_VERTEX_FLOATS] = x, y (pixels, top-left origin),
 * r, g, b, a; every 3 vertices form a triangle. Draw with alpha blending, no depth test.
 */
#ifndef NB_LEGEND_H
#define NB_LEGEND_H

#include <stddef.h>

#include "nb_scene.h"
#include "nb_status.h"

#define NB_LEGEND_VERTEX_FLOATS 6
#define NB_LEGEND_NAME_MAX      40

typedef struct nb_legend_layout {
    float x0, y0, x1, y1; /* panel rectangle, pixels */
    size_t n_rows;        /* lines listed (title excluded) */
    size_t n_columns;
    int scale; /* glyph scale factor */
} nb_legend_layout;

/* Builds the legend of scene s for a width x height viewport (pixels, > 0), text colour fg[3],
 * panel colour bg[3] (alpha 0.8). *verts is malloc'd (caller frees), *n_verts a multiple of
 * 3; layout (may be NULL) gets the panel geometry. Returns NB_OK or NB_E_NOMEM (outputs
 * untouched). */
nb_status nb_legend_build(const nb_scene *s, const float fg[3], const float bg[3], int width,
                          int height, float **verts, size_t *n_verts, nb_legend_layout *layout);

/* Text-only helper (used for the legend and for overlays such as the benchmark caption):
 * appends the triangles of `text` at pixel (x, y) (top-left of the first line), glyph scale
 * `scale`, colour rgba, to a growable array. Returns NB_OK or NB_E_NOMEM. */
typedef struct nb_tri_buffer {
    float *v;
    size_t n;   /* vertices */
    size_t cap; /* vertices */
} nb_tri_buffer;

nb_status nb_legend_text(nb_tri_buffer *buf, float x, float y, int scale, const char *text,
                         const float rgba[4]);

/* Appends an axis-aligned filled rectangle [x0, x1] x [y0, y1] in colour rgba. */
nb_status nb_legend_rect(nb_tri_buffer *buf, float x0, float y0, float x1, float y1,
                         const float rgba[4]);

/* Width in pixels of `text` at glyph scale `scale` (one line). */
float nb_legend_text_width(const char *text, int scale);

#endif /* NB_LEGEND_H */
