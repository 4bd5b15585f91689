/* nb_compare.h - nnbundle-render's compare mode: several networks side by side on one camera
 * (GL-free, unit-tested).
 *
 *   nnbundle-render A.nnb.h5 B.nnb.h5 [C ...] --screenshot cmp.png [--titles "a,b,c"]
 *
 * Layout. The image (width x height pixels) is cut into a grid of cols x rows equal panels,
 * filled in reading order; a last row with fewer panels is centred, and the pixels the
 * integer division leaves over are shared out as equal borders. Each panel has a title band
 * of title_h pixels at its top; the networks are framed into the rest of the panel (the fit
 * rectangle). The grid is the one in which the networks are drawn largest (nb_compare_choose:
 * rows 1..n, cols = ceil(n / rows), no empty row; ties within 1 % go to fewer rows), unless
 * the caller fixes the column count.
 *
 * One camera, one scale. The drawn geometry of every network (nb_scene_bound_drawn: nodes and
 * edge impostors above the thresholds, with their sizes) is framed together, as one union,
 * into the fit rectangle of panel 0 of the whole image's viewport (nb_camera_bounds_*, the
 * framing of single pictures); every panel then uses that camera (pose, target, distance,
 * fov, hence pixels per world unit) with only the lens shift moved by the offset between the
 * panels' centres (nb_camera_follow_rect), which translates the picture without changing it.
 * Every network therefore fits its panel and equal world sizes have equal pixel sizes in
 * every panel.
 *
 * Classes. One legend serves the whole image, so the networks must have the same number of
 * classes (else NB_E_MISMATCH naming the file). Class names are compared too: names that are
 * only the class index ("0", "1", ..., what `nnbundle random` writes) agree with any name;
 * other differences give a warning and the legend uses the names of the first file that has
 * real names.
 *
 * Importance scale. By default each network keeps its own display scale (the divisors of
 * importance_normalization: each panel looks as that file would alone). nb_compare_shared_scale
 * makes one scale for all of them: per layer and layer pair the largest of the networks'
 * divisors, so the same raw importance has the same size and opacity in every panel.
 */
#ifndef NB_COMPARE_H
#define NB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_camera.h"
#include "nb_font.h"
#include "nb_legend.h"
#include "nb_render_params.h"
#include "nb_scene.h"
#include "nb_status.h"

#define NB_COMPARE_MAX_FILES 16
#define NB_COMPARE_TITLE_MAX 256 /* bytes of one title, terminator included */

typedef struct nb_compare_layout {
    size_t n;          /* panels (networks) */
    int width, height; /* the image, pixels */
    int cols, rows;    /* grid */
    int panel_w, panel_h;
    int title_h; /* title band at the top of each panel, pixels (0: no titles) */
} nb_compare_layout;

/* Lays n panels (1..NB_COMPARE_MAX_FILES) out in cols columns (1..n; rows = ceil(n / cols))
 * on a width x height image with a title band of title_h pixels (>= 0). Returns NB_OK or
 * NB_E_INVALID (subject "--size": a panel would be narrower or lower than 8 pixels, or its
 * title band would leave fewer than 8 pixel rows for the network). */
nb_status nb_compare_layout_init(nb_compare_layout *l, size_t n, int cols, int width, int height,
                                 int title_h);

/* Panel i's rectangle in the image ({x0, y0, x1, y1}, pixels, top-left origin). */
void nb_compare_panel_rect(const nb_compare_layout *l, size_t i, float rect[4]);

/* The part of panel i the networks are framed into: the panel below its title band. */
void nb_compare_fit_rect(const nb_compare_layout *l, size_t i, float rect[4]);

/* The scissor box of panel i in GL convention: x, y (bottom-left origin), width, height. */
void nb_compare_panel_scissor(const nb_compare_layout *l, size_t i, int box[4]);

/* The title band height for an image: 1.6 legend text lines (nb_legend_text_px). */
int nb_compare_title_height(int width, int height);

/* Frames the union of the n scenes' drawn geometry (as p draws them) from cam's current
 * direction and fov into panel 0's fit rectangle of the l->width x l->height viewport, with
 * p->camera_margin, then centres it in pixels (as nb_scene_frame does for one scene). The
 * result is panel 0's camera; nb_compare_panel_camera gives the others. Returns false (cam
 * unchanged) when nothing is drawn in any scene. */
bool nb_compare_frame(const nb_scene *const *scenes, size_t n, const nb_render_params *p,
                      const nb_compare_layout *l, nb_camera *cam);

/* For a turntable: target = centre of the union's drawn box, distance = the largest that any
 * of n_yaws yaws (equal steps from cam's yaw; <= 0 gives 72) needs to fit panel 0's fit
 * rectangle, lens shift centring that rectangle. False (cam unchanged) when nothing is drawn. */
bool nb_compare_frame_orbit(const nb_scene *const *scenes, size_t n, const nb_render_params *p,
                            const nb_compare_layout *l, int n_yaws, nb_camera *cam);

/* Panel i's camera from panel 0's: the same camera with the lens shift moved from panel 0's
 * fit rectangle to panel i's. */
void nb_compare_panel_camera(const nb_compare_layout *l, const nb_camera *cam0, size_t i,
                             nb_camera *out);

/* Chooses the grid: cols = columns when columns > 0, else every grid of rows 1..n (cols =
 * ceil(n / rows), skipping grids with an empty row) is framed with nb_compare_frame from cam's
 * direction and the one with the largest pixels per world unit (smallest distance) is kept,
 * ties within 1 % going to fewer rows (when nothing is drawn: the largest fit rectangle side).
 * On success *l is the layout and *cam the framed panel-0 camera (with camera_fit off, cam
 * is left as it is). Statuses of nb_compare_layout_init (no grid fits the image). */
nb_status nb_compare_choose(const nb_scene *const *scenes, size_t n, const nb_render_params *p,
                            int width, int height, int title_h, int columns, nb_compare_layout *l,
                            nb_camera *cam);

/* The default title of a file: its base name without ".nnb.h5" (or ".h5", or its last
 * extension). out: NB_COMPARE_TITLE_MAX bytes. */
void nb_compare_title_of(const char *path, char *out, size_t out_size);

/* Splits a comma-separated --titles value into at most max titles (each cut to
 * NB_COMPARE_TITLE_MAX - 1 bytes; leading and trailing spaces removed; empty titles allowed:
 * "a,,c" gives 3). Returns the number of titles the value has (may exceed max; only the
 * first max are stored). */
size_t nb_compare_split_titles(const char *value, char (*titles)[NB_COMPARE_TITLE_MAX], size_t max);

/* Appends the titles (titles[i] for panel i, UTF-8; NULL or "" draws none) as overlay
 * triangles: centred in each panel's title band, in colour rgba, cut with "..." to the panel
 * width. rects[i] (may be NULL) receives the text's rectangle (empty for no title), for the
 * legend to avoid. Returns NB_OK or NB_E_NOMEM (out keeps what it had). */
nb_status nb_compare_titles_build(const nb_compare_layout *l, const nb_font_face *face,
                                  const char *const *titles, const float rgba[4],
                                  nb_overlay_buffer *out, nb_rect *rects);

/* Checks that the scenes can share one legend: the same class count (else NB_E_MISMATCH with
 * subject paths[i], the first file that differs from paths[0], and both counts). *names_from
 * = index of the first scene whose class names are not all plain indices (0 if none). When
 * two such scenes name a class differently, warn (warn_size bytes, may be NULL) says which
 * file, class and names, and that the legend uses paths[*names_from]'s; warn is "" otherwise. */
nb_status nb_compare_classes(const nb_scene *const *scenes, size_t n, const char *const *paths,
                             size_t *names_from, char *warn, size_t warn_size);

/* One display scale for several scenes built with the same importance_normalization. */
typedef struct nb_compare_scale {
    nb_scene_scale scale; /* pass as nb_scene_desc.scale; points into data */
    float *data;          /* owned */
} nb_compare_scale;

/* Per layer / layer pair the largest divisor of the n scenes (nb_scene_query_scale). The
 * scenes must have the same number of layers (NB_E_MISMATCH, subject paths[i], the first that
 * differs from paths[0]). NB_E_NOMEM. Free with nb_compare_scale_deinit. */
nb_status nb_compare_shared_scale(const nb_scene *const *scenes, size_t n, const char *const *paths,
                                  nb_compare_scale *out);

/* Frees the scale; safe on a zeroed struct. */
void nb_compare_scale_deinit(nb_compare_scale *s);

#endif /* NB_COMPARE_H */
