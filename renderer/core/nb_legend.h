/* nb_legend.h - the legend panels of every rendered image, as overlay triangles (GL-free).
 *
 * Two panels, drawn by the renderer itself so they are in every window frame, --screenshot
 * and --frames image (no GUI needed), hidden together with show_legend=false:
 *   classes   the colour swatch and name (/network class_names) of each class: every class
 *             for class_view "all", the shown class for "class", a one-line title for
 *             "independent" (objects are drawn in the foreground colour there);
 *   encoding  what node size and edge width/opacity encode: three node discs whose radii
 *             stand for the importance ||v|| levels m/4, m/2, m (m = the largest ||v|| of the
 *             drawn nodes, 2 significant digits), and an edge wedge whose height follows the
 *             segment importance iota and whose opacity is the drawn opacity, from the
 *             smallest to the largest iota of the drawn segments (class view "class": the
 *             opacity ramp over the shown class's share instead). Every number comes from
 *             the scene and the render params (nb_legend_encoding_of), none is hard-coded.
 * Text uses an nb_font_face (TrueType, or the block-font fallback) whose pixel size follows
 * the image (nb_legend_text_px). Each panel is placed where it hides least of the drawing:
 * nb_legend_place tries the four corners and the four side centres of the image and keeps
 * the one that covers least of the drawing (its drawn pixels when a coverage grid is given,
 * else its screen rectangle) (ties: farther from
 * the drawing's centre when both cover some of it, then a fixed preference order), never
 * overlapping a panel already placed. The class list also has a row-wise layout (wide and short)
 * for when the free space is a strip along the top or bottom. Vertex format: nb_font.h
 * (NB_OVERLAY_VERTEX_FLOATS); draw with "over" blending, no depth.
 */
#ifndef NB_LEGEND_H
#define NB_LEGEND_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_camera.h"
#include "nb_font.h"
#include "nb_render_params.h"
#include "nb_scene.h"
#include "nb_status.h"

#define NB_LEGEND_NAME_MAX  40 /* class names are cut to this many characters */
#define NB_LEGEND_RAMP      32 /* samples of the edge opacity ramp */
#define NB_LEGEND_MAX_AVOID 16 /* nb_legend_desc.avoid rectangles used (more are ignored) */

/* An axis-aligned rectangle in pixels, top-left origin; empty when x1 <= x0 or y1 <= y0. */
typedef struct nb_rect {
    float x0, y0, x1, y1;
} nb_rect;

/* Area of the intersection of a and b (0 when they do not meet or one is empty). */
float nb_rect_overlap(const nb_rect *a, const nb_rect *b);

/* Where the drawing is, on a coarse grid over the image: the share of each cell's pixels
 * that show something (colour differs from the background). Finer than a rectangle: a
 * star-shaped network leaves the corners of its bounding rectangle free. */
typedef struct nb_coverage {
    int cols, rows;    /* grid cells */
    int cell;          /* cell side, pixels */
    int width, height; /* image, pixels */
    float *covered;    /* [rows][cols] share of drawn pixels, 0..1 (owned) */
} nb_coverage;

/* Builds the coverage of an RGB image (rgb: width * height * 3 bytes, top row first) with
 * background bg: a pixel is drawn when a channel differs from bg by more than tol levels.
 * cell: grid cell side in pixels (> 0). Returns NB_OK, NB_E_INVALID (size or cell <= 0),
 * NB_E_NOMEM; *c is zeroed on failure. */
nb_status nb_coverage_from_rgb(nb_coverage *c, const unsigned char *rgb, int width, int height,
                               const unsigned char bg[3], int tol, int cell);

/* Frees the grid; safe on a zeroed struct. */
void nb_coverage_deinit(nb_coverage *c);

/* Drawn pixels (pixels^2, fractional) under rectangle r: each cell's share times the area of
 * r inside the cell. */
float nb_coverage_area(const nb_coverage *c, const nb_rect *r);

typedef enum nb_legend_anchor {
    NB_LEGEND_TOP_LEFT = 0,
    NB_LEGEND_TOP_RIGHT,
    NB_LEGEND_BOTTOM_LEFT,
    NB_LEGEND_BOTTOM_RIGHT,
    NB_LEGEND_TOP,    /* centred horizontally */
    NB_LEGEND_BOTTOM, /* centred horizontally */
    NB_LEGEND_LEFT,   /* centred vertically */
    NB_LEGEND_RIGHT,  /* centred vertically */
    NB_LEGEND_ANCHORS
} nb_legend_anchor;

/* Where to place one panel. */
typedef struct nb_legend_place_desc {
    int width, height; /* image, pixels (> 0) */
    float margin;      /* pixels between the panel and the image border */
    nb_rect drawing;   /* screen rectangle of the drawn network (may reach outside the image;
                          empty: nothing drawn) */
    const nb_coverage *coverage; /* when not NULL, the overlap with the drawing is the drawn
                                    pixels under the panel (and the drawing's centre their
                                    centroid) instead of the rectangle's */
    const nb_rect *taken; /* panels already placed (must not be overlapped), n_taken of them */
    size_t n_taken;
    const nb_legend_anchor *order; /* anchors to try, in order of preference (NULL: enum order) */
    size_t n_order;
} nb_legend_place_desc;

typedef struct nb_legend_placement {
    nb_rect rect; /* the panel, whole pixels */
    nb_legend_anchor anchor;
    float overlap_drawing; /* pixels^2 of the drawing covered (its rectangle within the image,
                              or its drawn pixels with a coverage grid) */
    float overlap_taken;   /* pixels^2 of earlier panels covered (> 0: it does not fit) */
    float outside;         /* pixels^2 of the panel outside the image (> 0: too big) */
    float distance;        /* pixels from the panel's centre to the drawing's centre */
} nb_legend_placement;

/* Places a panel_w x panel_h panel: of the anchors in d->order, the one with the least area
 * outside the image, then the least overlap with earlier panels, then the least overlap with the
 * drawing (differences below 2 % of the panel's area count as ties), then, when the tied panels do
 * cover some of the drawing, the largest distance from the drawing's centre (ties below 1 % of the
 * image diagonal), then the earliest in d->order. Pure. */
nb_legend_placement nb_legend_place(const nb_legend_place_desc *d, float panel_w, float panel_h);

/* True when placement a is better than b by the rule of nb_legend_place (a and b may be
 * panels of different layouts); image_diag in pixels. */
bool nb_legend_placement_better(const nb_legend_placement *a, const nb_legend_placement *b,
                                float image_diag);

/* The screen rectangle of scene s's bounding box (all drawn nodes and polyline points) seen
 * by camera cam in a width x height image: the box of its 8 projected corners. If a corner is
 * behind the eye the rectangle is the whole image. (A tighter projected extent of the drawn
 * geometry can be passed to nb_legend_build instead.) */
nb_rect nb_legend_drawing_rect(const nb_scene *s, const nb_camera *cam, int width, int height);

/* Legend text height in pixels for a width x height image: min(height, width * 9/16) / 45,
 * at least 11 (16 px at 1280x720, 48 px at 3840x2160). */
float nb_legend_text_px(int width, int height);

/* What node size and edge width/opacity encode in the current scene and params. */
typedef struct nb_legend_encoding {
    bool nodes;               /* node radius = node_size * ||v|| (node_mode sphere*, nodes drawn) */
    float node_levels[3];     /* ||v|| of the three example discs, ascending */
    bool edges;               /* an edge row is shown (edge_mode ellipsoid/sphere*, edges drawn) */
    bool edge_width;          /* the wedge's height follows iota */
    bool edge_opacity;        /* transparent edges: the ramp's alpha is the drawn opacity */
    bool ramp_share;          /* x axis is the shown class's share (class view), else iota */
    float ramp_min, ramp_max; /* x axis range */
    float iota_max;           /* largest iota of the drawn segments */
    float ramp_iota[NB_LEGEND_RAMP];    /* iota at each sample (for the wedge's height) */
    float ramp_opacity[NB_LEGEND_RAMP]; /* opacity at each sample, in [0, 1] */
} nb_legend_encoding;

/* Reads the encoding off the scene's drawn objects (those above the params' thresholds):
 * node levels from the largest drawn ||v||; the edge ramp from the drawn segments' iota and
 * base alpha a0 (binned along the axis, empty bins interpolated) mapped through
 * nb_render_opacity at the impostor's centre (rho = 1) and the nearest depth (z_rel = 1).
 * Pure; never fails. */
void nb_legend_encoding_of(const nb_scene *s, const nb_render_params *p, nb_legend_encoding *e);

typedef struct nb_legend_desc {
    const nb_scene *scene;
    const nb_render_params *params; /* modes, thresholds, opacity uniforms, fg/bg colours */
    const nb_font_face *face;       /* text face at nb_legend_text_px(width, height) */
    int width, height;              /* image, pixels (> 0) */
    nb_rect drawing;                /* screen rectangle of the drawing (nb_legend_drawing_rect) */
    const nb_coverage *coverage;    /* drawn pixels (may be NULL: the rectangle is used) */
    const nb_rect *avoid;           /* rectangles the panels must not cover when they can
                                       help it (compare mode's panel titles), n_avoid of
                                       them; NULL: none */
    size_t n_avoid;
} nb_legend_desc;

typedef struct nb_legend_layout {
    nb_legend_placement classes;  /* the class panel */
    nb_legend_placement encoding; /* the size/opacity panel (rect empty: not drawn) */
    bool classes_rows;            /* the class list is laid out in rows (wide panel) */
    size_t n_rows;                /* classes listed */
    size_t n_columns;             /* columns (column layout) or lines (row layout) */
    bool has_encoding;
} nb_legend_layout;

/* Builds both panels for d into out (appended; zero-initialise it first; free(out->v)) and
 * describes them in *layout (may be NULL). The d->avoid rectangles count as panels already
 * placed. The encoding panel is left out when it cannot be placed inside the image without
 * covering the class panel or an avoid rectangle (small images) or when nothing
 * in it applies (line edges and point nodes). Returns NB_OK, NB_E_INVALID (size <= 0), NB_E_NOMEM
 * (out unchanged). */
nb_status nb_legend_build(const nb_legend_desc *d, nb_overlay_buffer *out,
                          nb_legend_layout *layout);

#endif /* NB_LEGEND_H */
