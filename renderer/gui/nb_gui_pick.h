/* nb_gui_pick.h - picking a node under the mouse: screen ray and ray-sphere test (GL-free).
 *
 * Matrices are OpenGL / cglm convention: float[16] column-major (element (row r, column c) at
 * m[c * 4 + r]), clip = P * V * world, NDC in [-1, 1]^3. Screen coordinates are window pixels
 * with the origin at the top-left corner (SDL mouse events); they are continuous, so the centre
 * of pixel column i is i + 0.5 (callers with integer mouse coordinates add 0.5).
 * Source: ray-sphere intersection, e.g. Akenine-Moeller et al., "Real-Time Rendering" 4th ed.
 * §22.6; the node impostors it must agree with are spheres of radius size * norm_i
 * (method.md §5.4).
 */
#ifndef NB_GUI_PICK_H
#define NB_GUI_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_model.h"

/* A ray in world space: origin on the near plane, unit direction away from the camera. */
typedef struct nb_gui_ray {
    float origin[3];
    float dir[3];
} nb_gui_ray;

/* Inverts a 4x4 column-major matrix (cofactor expansion in double precision). Returns false,
 * leaving out untouched, when |det| is below 1e-30 (singular). in and out may alias. */
bool nb_gui_pick_invert(const float m[16], float out[16]);

/* The world-space ray through screen point (px, py) of a viewport w x h pixels (> 0), from
 * the inverse of the camera's view-projection matrix. Returns false (ray untouched) if the
 * matrix maps the point to infinity (w = 0 after unprojection). */
bool nb_gui_pick_ray(const float inv_view_proj[16], float w, float h, float px, float py,
                     nb_gui_ray *ray);

/* Projects world point p[3] to screen (*sx, *sy) (pixels, top-left origin) and its NDC depth
 * (*ndc_z, may be NULL). Returns false (outputs untouched) if p is behind the camera
 * (clip w <= 0). */
bool nb_gui_pick_project(const float view_proj[16], float w, float h, const float p[3], float *sx,
                         float *sy, float *ndc_z);

/* The first sphere the ray hits: centres float32[n][3] (world units), radius float32[n]
 * (world units; a radius <= 0 marks a node that is not drawn and cannot be picked).
 * Pickable spheres are tested with radius max(radius[i], min_radius) so that tiny nodes can
 * still be clicked. A ray starting inside a sphere hits it at t = 0. Ties go to the lower
 * index. Returns the index, or -1 if nothing is hit; *t_out (may be NULL) gets the distance
 * along the ray. */
int64_t nb_gui_pick_spheres(const nb_gui_ray *ray, const float *centres, const float *radius,
                            size_t n, float min_radius, float *t_out);

/* Node impostor radii as the renderer draws them (method.md §5.3-5.4):
 * radius[i] = size * norm_i where norm_i = L2 norm of node i's class importance, and 0 where
 * the node is culled (norm_i == 0 or norm_i <= threshold). Without importance (imp NULL)
 * every node has norm 1. radius: float32[n_nodes], nodes in global (layer-major) order.
 * imp must match b's layer sizes (checked by nb_model_validate when the file was read). */
void nb_gui_pick_node_radii(const nb_bundle_data *b, const nb_importance *imp, double size,
                            double threshold, float *radius);

/* Node impostor radii as scene s draws them: radius[node_id[i]] = size * the display norm of
 * scene node i (its record's norm, after importance_normalization) when that is above
 * threshold, else 0; 0 for every node the scene does not draw (layer filter). radius:
 * float32[n_nodes] in global order, n_nodes = the bundle's node count (ids >= n_nodes are
 * skipped). This is what the renderer draws, so picking matches the picture. */
struct nb_scene;
void nb_gui_pick_node_radii_scene(const struct nb_scene *s, size_t n_nodes, double size,
                                  double threshold, float *radius);

#endif /* NB_GUI_PICK_H */
