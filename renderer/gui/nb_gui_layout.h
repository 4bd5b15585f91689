/* nb_gui_layout.h - where the panels go and what they leave free for the scene (GL-free).
 *
 * Default layout (docs/gui.md): one sidebar docked to the right edge of the window, full
 * height, holding the Rendering, Node, Statistics and Processing panels as tabs; the optional
 * Activations and Layers panels float at the bottom of the area the sidebar leaves free. The
 * scene is centred in the largest free rectangle (nb_gui_layout_free_rect) through a lens
 * shift of the projection (the viewer frames the drawing into it, then follows it with
 * nb_camera_follow_rect), so no panel sits
 * over its middle. Rectangles are float[4] = x0, y0, x1, y1 in window pixels, origin at the
 * top-left corner, x0 <= x1, y0 <= y1. Pure functions; no state.
 */
#ifndef NB_GUI_LAYOUT_H
#define NB_GUI_LAYOUT_H

#include <stddef.h>

#define NB_GUI_LAYOUT_SIDEBAR_SHARE 0.25f  /* of the window width */
#define NB_GUI_LAYOUT_SIDEBAR_MIN   280.0f /* pixels */
#define NB_GUI_LAYOUT_SIDEBAR_MAX   420.0f /* pixels */
#define NB_GUI_LAYOUT_MIN_FREE      0.125  /* smallest free share used to centre the scene */

/* Width of the sidebar for a window `width` pixels wide: 25 % of it, clamped to
 * [NB_GUI_LAYOUT_SIDEBAR_MIN, NB_GUI_LAYOUT_SIDEBAR_MAX] and to at most the window width. */
float nb_gui_layout_sidebar_width(float width);

/* The largest-area rectangle of the w x h window (w, h > 0) that overlaps none of the n
 * panel rectangles rects[n][4] (rects outside the window are clipped; empty ones ignored).
 * When that rectangle covers less than NB_GUI_LAYOUT_MIN_FREE of the window (panels over
 * nearly everything), or n = 0, out is the whole window. Ties: the first found, scanning
 * left edges from the left, then top edges from the top. out: float[4]. */
void nb_gui_layout_free_rect(float w, float h, const float (*rects)[4], size_t n, float out[4]);

/* Share of the w x h window covered by the union of the n rectangles (clipped to the
 * window), in [0, 1]. Exact (coordinate compression), O(n^3). */
double nb_gui_layout_covered_share(float w, float h, const float (*rects)[4], size_t n);

#endif /* NB_GUI_LAYOUT_H */
