/* nb_gui_pick.c - screen ray through the inverse view-projection and nearest ray-sphere hit.
 *
 * DESIGN: a click at (px, py) becomes NDC (2 px / w - 1, 1 - 2 py / h); the points at NDC
 * z = -1 and z = +1 are unprojected with the inverse view-projection (homogeneous divide) and
 * give the ray origin and direction. Each node is a sphere (the impostor the renderer draws,
 * method.md §5.4); the analytic intersection |o + t d - c|^2 = r^2 with the smallest
 * t >= 0 over all nodes wins (Real-Time Rendering 4th ed. §22.6). O(N) per click, no
 * acceleration structure: a network has at most a few thousand nodes. The 4x4 inverse is a
 * cofactor expansion in double precision (the MESA gluInvertMatrix layout). Pure functions,
 * no shared state, no GL. Config keys read: none (callers pass node size and threshold).
 */
#include "nb_gui_pick.h"

#include <math.h>

#include "nb_edge_importance.h"
#include "nb_scene.h"

bool nb_gui_pick_invert(const float m[16], float out[16]) {
    double a[16], inv[16];
    for (int i = 0; i < 16; i++)
        a[i] = m[i];
    inv[0] = a[5] * a[10] * a[15] - a[5] * a[11] * a[14] - a[9] * a[6] * a[15] +
             a[9] * a[7] * a[14] + a[13] * a[6] * a[11] - a[13] * a[7] * a[10];
    inv[4] = -a[4] * a[10] * a[15] + a[4] * a[11] * a[14] + a[8] * a[6] * a[15] -
             a[8] * a[7] * a[14] - a[12] * a[6] * a[11] + a[12] * a[7] * a[10];
    inv[8] = a[4] * a[9] * a[15] - a[4] * a[11] * a[13] - a[8] * a[5] * a[15] +
             a[8] * a[7] * a[13] + a[12] * a[5] * a[11] - a[12] * a[7] * a[9];
    inv[12] = -a[4] * a[9] * a[14] + a[4] * a[10] * a[13] + a[8] * a[5] * a[14] -
              a[8] * a[6] * a[13] - a[12] * a[5] * a[10] + a[12] * a[6] * a[9];
    inv[1] = -a[1] * a[10] * a[15] + a[1] * a[11] * a[14] + a[9] * a[2] * a[15] -
             a[9] * a[3] * a[14] - a[13] * a[2] * a[11] + a[13] * a[3] * a[10];
    inv[5] = a[0] * a[10] * a[15] - a[0] * a[11] * a[14] - a[8] * a[2] * a[15] +
             a[8] * a[3] * a[14] + a[12] * a[2] * a[11] - a[12] * a[3] * a[10];
    inv[9] = -a[0] * a[9] * a[15] + a[0] * a[11] * a[13] + a[8] * a[1] * a[15] -
             a[8] * a[3] * a[13] - a[12] * a[1] * a[11] + a[12] * a[3] * a[9];
    inv[13] = a[0] * a[9] * a[14] - a[0] * a[10] * a[13] - a[8] * a[1] * a[14] +
              a[8] * a[2] * a[13] + a[12] * a[1] * a[10] - a[12] * a[2] * a[9];
    inv[2] = a[1] * a[6] * a[15] - a[1] * a[7] * a[14] - a[5] * a[2] * a[15] + a[5] * a[3] * a[14] +
             a[13] * a[2] * a[7] - a[13] * a[3] * a[6];
    inv[6] = -a[0] * a[6] * a[15] + a[0] * a[7] * a[14] + a[4] * a[2] * a[15] -
             a[4] * a[3] * a[14] - a[12] * a[2] * a[7] + a[12] * a[3] * a[6];
    inv[10] = a[0] * a[5] * a[15] - a[0] * a[7] * a[13] - a[4] * a[1] * a[15] +
              a[4] * a[3] * a[13] + a[12] * a[1] * a[7] - a[12] * a[3] * a[5];
    inv[14] = -a[0] * a[5] * a[14] + a[0] * a[6] * a[13] + a[4] * a[1] * a[14] -
              a[4] * a[2] * a[13] - a[12] * a[1] * a[6] + a[12] * a[2] * a[5];
    inv[3] = -a[1] * a[6] * a[11] + a[1] * a[7] * a[10] + a[5] * a[2] * a[11] -
             a[5] * a[3] * a[10] - a[9] * a[2] * a[7] + a[9] * a[3] * a[6];
    inv[7] = a[0] * a[6] * a[11] - a[0] * a[7] * a[10] - a[4] * a[2] * a[11] + a[4] * a[3] * a[10] +
             a[8] * a[2] * a[7] - a[8] * a[3] * a[6];
    inv[11] = -a[0] * a[5] * a[11] + a[0] * a[7] * a[9] + a[4] * a[1] * a[11] - a[4] * a[3] * a[9] -
              a[8] * a[1] * a[7] + a[8] * a[3] * a[5];
    inv[15] = a[0] * a[5] * a[10] - a[0] * a[6] * a[9] - a[4] * a[1] * a[10] + a[4] * a[2] * a[9] +
              a[8] * a[1] * a[6] - a[8] * a[2] * a[5];
    double det = a[0] * inv[0] + a[1] * inv[4] + a[2] * inv[8] + a[3] * inv[12];
    if (!(fabs(det) >= 1e-30))
        return false;
    for (int i = 0; i < 16; i++)
        out[i] = (float)(inv[i] / det);
    return true;
}

/* out = M * (x, y, z, 1), homogeneous divide; false if w ~ 0. */
static bool unproject(const float m[16], double x, double y, double z, double out[3]) {
    double v[4];
    for (int r = 0; r < 4; r++)
        v[r] = m[0 * 4 + r] * x + m[1 * 4 + r] * y + m[2 * 4 + r] * z + m[3 * 4 + r];
    if (!(fabs(v[3]) > 1e-30))
        return false;
    for (int r = 0; r < 3; r++)
        out[r] = v[r] / v[3];
    return true;
}

bool nb_gui_pick_ray(const float inv_view_proj[16], float w, float h, float px, float py,
                     nb_gui_ray *ray) {
    if (!(w > 0.0f) || !(h > 0.0f))
        return false;
    double nx = 2.0 * (double)px / (double)w - 1.0;
    double ny = 1.0 - 2.0 * (double)py / (double)h;
    double a[3], b[3];
    if (!unproject(inv_view_proj, nx, ny, -1.0, a) || !unproject(inv_view_proj, nx, ny, 1.0, b))
        return false;
    double d[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    double len = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    if (!(len > 0.0) || !isfinite(len))
        return false;
    for (int k = 0; k < 3; k++) {
        ray->origin[k] = (float)a[k];
        ray->dir[k] = (float)(d[k] / len);
    }
    return true;
}

bool nb_gui_pick_project(const float view_proj[16], float w, float h, const float p[3], float *sx,
                         float *sy, float *ndc_z) {
    double v[4];
    for (int r = 0; r < 4; r++)
        v[r] = view_proj[0 * 4 + r] * (double)p[0] + view_proj[1 * 4 + r] * (double)p[1] +
               view_proj[2 * 4 + r] * (double)p[2] + view_proj[3 * 4 + r];
    if (!(v[3] > 0.0))
        return false;
    double nx = v[0] / v[3], ny = v[1] / v[3];
    *sx = (float)((nx + 1.0) * 0.5 * (double)w);
    *sy = (float)((1.0 - ny) * 0.5 * (double)h);
    if (ndc_z)
        *ndc_z = (float)(v[2] / v[3]);
    return true;
}

int64_t nb_gui_pick_spheres(const nb_gui_ray *ray, const float *centres, const float *radius,
                            size_t n, float min_radius, float *t_out) {
    int64_t best = -1;
    double best_t = INFINITY;
    const double dx = ray->dir[0], dy = ray->dir[1], dz = ray->dir[2];
    for (size_t i = 0; i < n; i++) {
        if (!(radius[i] > 0.0f))
            continue;
        double r = radius[i] > min_radius ? radius[i] : min_radius;
        /* o - c, then t^2 + 2 b t + c = 0 with |d| = 1 */
        double ox = (double)ray->origin[0] - centres[3 * i + 0];
        double oy = (double)ray->origin[1] - centres[3 * i + 1];
        double oz = (double)ray->origin[2] - centres[3 * i + 2];
        double b = ox * dx + oy * dy + oz * dz;
        double c = ox * ox + oy * oy + oz * oz - r * r;
        double disc = b * b - c;
        if (disc < 0.0)
            continue;
        double t;
        if (c <= 0.0) {
            t = 0.0; /* origin inside the sphere */
        } else {
            t = -b - sqrt(disc);
            if (t < 0.0)
                continue; /* sphere entirely behind the origin */
        }
        if (t < best_t) {
            best_t = t;
            best = (int64_t)i;
        }
    }
    if (best >= 0 && t_out)
        *t_out = (float)best_t;
    return best;
}

void nb_gui_pick_node_radii(const nb_bundle_data *b, const nb_importance *imp, double size,
                            double threshold, float *radius) {
    for (size_t l = 0; l < b->n_layers; l++) {
        size_t first = (size_t)b->layer_offset[l], end = (size_t)b->layer_offset[l + 1];
        for (size_t g = first; g < end; g++) {
            double norm = 1.0;
            if (imp) {
                const float *v = imp->node + imp->node_offset[l] + (g - first) * imp->n_classes;
                norm = nb_node_stats_of(v, imp->n_classes).norm;
            }
            bool culled = !(norm > 0.0) || norm <= threshold;
            radius[g] = culled ? 0.0f : (float)(size * norm);
        }
    }
}

void nb_gui_pick_node_radii_scene(const nb_scene *s, size_t n_nodes, double size, double threshold,
                                  float *radius) {
    for (size_t g = 0; g < n_nodes; g++)
        radius[g] = 0.0f;
    for (size_t i = 0; i < s->n_nodes; i++) {
        size_t g = s->node_id[i];
        float norm = s->nodes[i * NB_SCENE_NODE_FLOATS + NB_SCENE_NODE_POS + 3];
        if (g < n_nodes && norm > 0.0f && (double)norm > threshold)
            radius[g] = (float)(size * (double)norm);
    }
}
