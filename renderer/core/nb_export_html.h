/* nb_export_html.h - the drawn network as one self-contained web page (three.js inlined).
 *
 * The page (template renderer/core/nb_export_page.html, embedded at build time) holds
 * three.js r111 and its OrbitControls (read from Debian's libjs-three when the page is
 * written), the metadata as JSON and the geometry as one base64 block, so it opens from a
 * file with no network access: orbit (left drag), pan (right drag), zoom (wheel), the ten
 * camera poses of nnbundle-render (buttons and keys 0-9), the class views "all",
 * "independent" and each class (a menu; keys A, I, C), and a legend listing the classes with
 * their colours. URL parameters ?view=K&pose=P choose the first picture (K indexes the menu:
 * 0 all, 1 independent, 2 + c class c).
 *
 * What is drawn: the objects of nb_export_view (the config's thresholds, modes and
 * --layers) with the colours of nb_export_colors (sRGB, as the renderer writes them) for
 * every class view: each view's scene is built with nb_scene_build from the same model and
 * desc with only class_view / class_index changed, and must list the same objects in the
 * same order (its cull keys do not depend on the view; checked, NB_E_MISMATCH otherwise).
 * Nodes: float32 centres and radii (node_size * norm); segments: two end points each,
 * quantised to uint16 over the segments' bounding box (error <= box extent / 131070 per
 * axis, 1.2e-5 world units on the 1 x 1 x 1.5 demo box); colours: uint8 RGBA per object and
 * view. Camera poses: nb_camera_init + nb_camera_set_pose, framed with nb_scene_frame for a
 * 16:9 viewport when camera_fit is on, the lens shift turned into a sideways move of eye and
 * target (three.js has no lens shift); a narrower window moves the eye back by
 * 16:9 / its aspect so the width still fits.
 * Size: ~ 7 + 4 (2 + C) bytes per segment and 16 + 4 (2 + C) per node before base64 (x 4/3),
 * plus 0.85 MB of three.js.
 */
#ifndef NB_EXPORT_HTML_H
#define NB_EXPORT_HTML_H

#include <stddef.h>

#include "nb_export.h"
#include "nb_status.h"

typedef struct nb_export_html_stats {
    size_t nodes, edges, segments; /* drawn objects (as nb_export_gltf_stats) */
    size_t views;                  /* class views in the page: 2 + classes */
    size_t data_bytes;             /* geometry and colours before base64 */
    size_t bytes;                  /* page size */
} nb_export_html_stats;

/* The directory three.min.js and examples/js/controls/OrbitControls.js are read from:
 * $NNBUNDLE_THREE_DIR if set and not empty, else NB_THREE_DIR (the build's, default
 * /usr/share/javascript/three). Static storage or the environment's. */
const char *nb_export_html_three_dir(void);

/* Builds the page of what d draws. d->scene_desc must be the desc d->scene was built with,
 * d->config the config d->params came from (NB_E_INVALID, subject "--export", if either is
 * NULL).
 * *html (malloc'd, NUL-terminated, owned by the caller) holds *len bytes; stats may be NULL.
 * Returns NB_OK; NB_E_MISSING with subject the three.js file that cannot be read (reason: how
 * to install it); NB_E_INVALID (subject d->source) when nothing is drawn; NB_E_MISMATCH when
 * a class view's scene lists other objects; the statuses of nb_scene_build; NB_E_NOMEM.
 * On failure the outputs are untouched. */
nb_status nb_export_html_build(const nb_export_desc *d, char **html, size_t *len,
                               nb_export_html_stats *stats);

/* nb_export_html_build, then writes path atomically (nb_file_save: errors name path). */
nb_status nb_export_html_save(const nb_export_desc *d, const char *path,
                              nb_export_html_stats *stats);

#endif /* NB_EXPORT_HTML_H */
