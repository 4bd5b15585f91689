/* nb_camera.c - orbit camera: key poses, orbit, pan, zoom, view and projection matrices.
 *
 * DESIGN: the state is (target, distance, yaw, pitch); the eye is
 * target + distance * (cos p cos y, sin p, cos p sin y), and the view matrix is cglm's
 * right-handed look-at with world +Y up, so no roll can accumulate and auto-orbit keeps the
 * distance and pitch exactly (method.md §5.1: "orbit in the horizontal plane, pitch
 * kept"). Key-pose offsets are those of §5.1, multiplied by `scale` = box diagonal / 2.0616
 * (the reference network's box, 1 x 1 x 1.5), so other network sizes are framed alike.
 * Near/far planes follow the scale (0.01 s, 100 s) instead of the reference's fixed 0.1/100,
 * so close zoom does not clip. Pure functions of the struct; no GL, no globals, no threads.
 * Framing (nb_camera_bounds_*): with the orientation fixed, the sub-rectangle's frustum has
 * four planes through the eye, symmetric about the view axis once the lens shift puts the
 * rectangle's centre on it. In the camera frame (x right, y up, z forward) a sphere (c, rho)
 * is inside the right-hand plane iff tan_x (z - ez) - (x - ex) >= rho sec_x, i.e.
 * tan_x ez - ex <= tan_x z - x - rho sec_x: each plane bounds one linear function of the eye
 * by the minimum over the spheres, so four running minima are all the state. The tightest
 * eye puts both planes of a pair on their minima (two equations, exact); the pair that needs
 * the farther eye binds, the other pair then has equal slack on both sides. A lens shift
 * rather than an off-axis target keeps orbit and zoom centred in the rectangle.
 * Config keys: fov_degrees, camera_pose, camera_margin are passed in by the caller.
 */
#include "nb_camera.h"

#include <math.h>
#include <string.h>

#include <cglm/cglm.h>

#define REFERENCE_DIAGONAL 2.0615528f /* sqrt(1 + 1 + 1.5^2) */
#define NB_PI              3.14159265358979323846

static const float pose_offsets[NB_CAMERA_POSES][3] = {
    {0.0f, 0.0f, -2.5f},    /* 0 LEFT (the start pose of the reference) */
    {3.5f, 0.0f, 0.0f},     /* 1 FRONT */
    {0.0f, 0.0f, 2.5f},     /* 2 RIGHT */
    {-2.5f, 0.0f, 2.5f},    /* 3 BACK_RIGHT */
    {-2.5f, 0.0f, 2.5f},    /* 4 BACK_RIGHT */
    {-2.0f, 2.0f, -2.0f},   /* 5 UPPER_BACK_LEFT */
    {-2.0f, 2.0f, 2.0f},    /* 6 UPPER_BACK_RIGHT (default for recordings) */
    {-2.75f, -1.0f, 1.25f}, /* 7 LOWER_BACK_RIGHT */
    {-4.0f, 0.0f, 0.0f},    /* 8 BACK */
    {0.0f, 0.0f, -2.5f},    /* 9 LEFT */
};

static float deg2rad(float d) {
    return d * (float)(NB_PI / 180.0);
}

static float rad2deg(float r) {
    return r * (float)(180.0 / NB_PI);
}

static float clampf(float x, float lo, float hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

static float wrap_degrees(float a) {
    float w = fmodf(a, 360.0f);
    if (w < 0.0f)
        w += 360.0f;
    if (w >= 360.0f) /* fmodf of a tiny negative value plus 360 may round to 360 */
        w = 0.0f;
    return w;
}

static void clamp_distance(nb_camera *cam) {
    cam->distance = clampf(cam->distance, (float)NB_CAMERA_MIN_DISTANCE_FACTOR * cam->scale,
                           (float)NB_CAMERA_MAX_DISTANCE_FACTOR * cam->scale);
}

static void box_centre_scale(const float bmin[3], const float bmax[3], float centre[3],
                             float *scale) {
    bool valid = true;
    for (int i = 0; i < 3; i++)
        if (!(bmax[i] >= bmin[i]) || !isfinite(bmin[i]) || !isfinite(bmax[i]))
            valid = false;
    if (!valid) {
        centre[0] = centre[1] = centre[2] = 0.0f;
        *scale = sqrtf(3.0f) / REFERENCE_DIAGONAL;
        return;
    }
    float d2 = 0.0f;
    for (int i = 0; i < 3; i++) {
        centre[i] = 0.5f * (bmin[i] + bmax[i]);
        d2 += (bmax[i] - bmin[i]) * (bmax[i] - bmin[i]);
    }
    float diag = sqrtf(d2);
    /* A single node (or a flat one-point scene) still needs a usable camera distance. */
    if (diag < 1e-3f)
        diag = sqrtf(3.0f);
    *scale = diag / REFERENCE_DIAGONAL;
}

static void set_planes(nb_camera *cam) {
    cam->near_plane = 0.01f * cam->scale;
    cam->far_plane = 100.0f * cam->scale;
}

void nb_camera_init(nb_camera *cam, const float bmin[3], const float bmax[3], float fov_degrees,
                    int pose) {
    memset(cam, 0, sizeof *cam);
    box_centre_scale(bmin, bmax, cam->target, &cam->scale);
    cam->fov_degrees = fov_degrees;
    set_planes(cam);
    if (!nb_camera_set_pose(cam, pose))
        nb_camera_set_pose(cam, 6);
}

void nb_camera_fit(nb_camera *cam, const float bmin[3], const float bmax[3]) {
    float rel = cam->distance / cam->scale;
    box_centre_scale(bmin, bmax, cam->target, &cam->scale);
    cam->distance = rel * cam->scale;
    set_planes(cam);
    clamp_distance(cam);
}

bool nb_camera_pose_offset(int k, float offset[3]) {
    if (k < 0 || k >= NB_CAMERA_POSES)
        return false;
    memcpy(offset, pose_offsets[k], sizeof pose_offsets[k]);
    return true;
}

bool nb_camera_set_pose(nb_camera *cam, int k) {
    float off[3];
    if (!nb_camera_pose_offset(k, off))
        return false;
    for (int i = 0; i < 3; i++)
        off[i] *= cam->scale;
    nb_camera_set_offset(cam, off);
    return true;
}

void nb_camera_set_offset(nb_camera *cam, const float offset[3]) {
    float d = sqrtf(offset[0] * offset[0] + offset[1] * offset[1] + offset[2] * offset[2]);
    if (!(d > 0.0f))
        return;
    cam->distance = d;
    cam->pitch = clampf(rad2deg(asinf(clampf(offset[1] / d, -1.0f, 1.0f))),
                        -(float)NB_CAMERA_PITCH_LIMIT, (float)NB_CAMERA_PITCH_LIMIT);
    cam->yaw = wrap_degrees(rad2deg(atan2f(offset[2], offset[0])));
    clamp_distance(cam);
}

void nb_camera_eye(const nb_camera *cam, float eye[3]) {
    float y = deg2rad(cam->yaw), p = deg2rad(cam->pitch);
    eye[0] = cam->target[0] + cam->distance * cosf(p) * cosf(y);
    eye[1] = cam->target[1] + cam->distance * sinf(p);
    eye[2] = cam->target[2] + cam->distance * cosf(p) * sinf(y);
}

void nb_camera_basis(const nb_camera *cam, float forward[3], float right[3], float up[3]) {
    vec3 eye, f, r, u, world_up = {0.0f, 1.0f, 0.0f};
    nb_camera_eye(cam, eye);
    glm_vec3_sub((float *)cam->target, eye, f);
    glm_vec3_normalize(f);
    glm_vec3_cross(f, world_up, r);
    glm_vec3_normalize(r);
    glm_vec3_cross(r, f, u);
    glm_vec3_copy(f, forward);
    glm_vec3_copy(r, right);
    glm_vec3_copy(u, up);
}

void nb_camera_orbit(nb_camera *cam, float yaw_degrees, float pitch_degrees) {
    cam->yaw = wrap_degrees(cam->yaw + yaw_degrees);
    cam->pitch = clampf(cam->pitch + pitch_degrees, -(float)NB_CAMERA_PITCH_LIMIT,
                        (float)NB_CAMERA_PITCH_LIMIT);
}

void nb_camera_drag_orbit(nb_camera *cam, float dx, float dy) {
    nb_camera_orbit(cam, dx * 0.5f, dy * 0.5f);
}

void nb_camera_drag_pan(nb_camera *cam, float dx, float dy, float height) {
    if (!(height > 0.0f))
        return;
    float f[3], r[3], u[3];
    nb_camera_basis(cam, f, r, u);
    float world_per_pixel = 2.0f * cam->distance * tanf(0.5f * deg2rad(cam->fov_degrees)) / height;
    for (int i = 0; i < 3; i++)
        cam->target[i] += (-r[i] * dx + u[i] * dy) * world_per_pixel;
}

void nb_camera_zoom(nb_camera *cam, float steps) {
    cam->distance *= powf(0.9f, steps);
    clamp_distance(cam);
}

void nb_camera_move(nb_camera *cam, float forward, float right) {
    float f[3], r[3], u[3];
    nb_camera_basis(cam, f, r, u);
    cam->distance -= forward * 0.1f * cam->scale;
    clamp_distance(cam);
    for (int i = 0; i < 3; i++)
        cam->target[i] += r[i] * right * 0.1f * cam->scale;
}

void nb_camera_view(const nb_camera *cam, float view[16]) {
    vec3 eye, up = {0.0f, 1.0f, 0.0f};
    mat4 m;
    nb_camera_eye(cam, eye);
    glm_lookat(eye, (float *)cam->target, up, m);
    memcpy(view, m, sizeof m);
}

void nb_camera_projection(const nb_camera *cam, float aspect, float proj[16]) {
    mat4 m;
    if (!(aspect > 0.0f))
        aspect = 1.0f;
    glm_perspective(deg2rad(cam->fov_degrees), aspect, cam->near_plane, cam->far_plane, m);
    /* lens shift: x' = x + shift_x w, y' = y + shift_y w (row 0/1 += shift * row 3) */
    for (int c = 0; c < 4; c++) {
        m[c][0] += cam->shift[0] * m[c][3];
        m[c][1] += cam->shift[1] * m[c][3];
    }
    memcpy(proj, m, sizeof m);
}

/* ---- framing ------------------------------------------------------------------------ */

void nb_camera_bounds_begin(nb_camera_bounds *b, const nb_camera *cam, float width, float height,
                            const float rect[4], float margin) {
    memset(b, 0, sizeof *b);
    if (!(width > 0.0f))
        width = 1.0f;
    if (!(height > 0.0f))
        height = 1.0f;
    float x0 = 0.0f, y0 = 0.0f, x1 = width, y1 = height;
    if (rect) {
        x0 = clampf(rect[0], 0.0f, width);
        y0 = clampf(rect[1], 0.0f, height);
        x1 = clampf(rect[2], 0.0f, width);
        y1 = clampf(rect[3], 0.0f, height);
        if (!(x1 > x0) || !(y1 > y0)) { /* empty or NaN: the whole viewport */
            x0 = y0 = 0.0f;
            x1 = width;
            y1 = height;
        }
    }
    margin = clampf(isfinite(margin) ? margin : 0.0f, 0.0f, 0.45f);
    nb_camera_basis(cam, b->forward, b->right, b->up);
    float t = tanf(0.5f * deg2rad(cam->fov_degrees));
    /* NDC half-sizes of the rectangle minus the margin */
    float hx = (x1 - x0) / width * (1.0f - 2.0f * margin);
    float hy = (y1 - y0) / height * (1.0f - 2.0f * margin);
    b->tan_x = hx * t * (width / height);
    b->tan_y = hy * t;
    b->sec_x = sqrtf(1.0f + b->tan_x * b->tan_x);
    b->sec_y = sqrtf(1.0f + b->tan_y * b->tan_y);
    b->shift[0] = (x0 + x1) / width - 1.0f;
    b->shift[1] = 1.0f - (y0 + y1) / height;
    b->min_l = b->min_r = b->min_b = b->min_t = INFINITY;
    for (int i = 0; i < 3; i++) {
        b->lo[i] = INFINITY;
        b->hi[i] = -INFINITY;
    }
}

static float dot3(const float a[3], const float b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

void nb_camera_bounds_add(nb_camera_bounds *b, const float c[3], float radius) {
    if (!isfinite(c[0]) || !isfinite(c[1]) || !isfinite(c[2]))
        return;
    float rho = isfinite(radius) && radius > 0.0f ? radius : 0.0f;
    float x = dot3(b->right, c), y = dot3(b->up, c), z = dot3(b->forward, c);
    float zx = b->tan_x * z - rho * b->sec_x, zy = b->tan_y * z - rho * b->sec_y;
    b->min_r = fminf(b->min_r, zx - x);
    b->min_l = fminf(b->min_l, zx + x);
    b->min_t = fminf(b->min_t, zy - y);
    b->min_b = fminf(b->min_b, zy + y);
    for (int i = 0; i < 3; i++) {
        b->lo[i] = fminf(b->lo[i], c[i]);
        b->hi[i] = fmaxf(b->hi[i], c[i]);
    }
    b->n++;
}

/* Sets cam's target and distance from an eye position and a target depth along forward. */
static void place_eye(nb_camera *cam, const nb_camera_bounds *b, const float eye[3], float depth) {
    for (int i = 0; i < 3; i++)
        cam->target[i] = eye[i] + depth * b->forward[i];
    cam->distance = depth;
    cam->shift[0] = b->shift[0];
    cam->shift[1] = b->shift[1];
    clamp_distance(cam);
}

bool nb_camera_bounds_fit(const nb_camera_bounds *b, nb_camera *cam) {
    if (b->n == 0 || !(b->tan_x > 0.0f) || !(b->tan_y > 0.0f))
        return false;
    float ez_h = (b->min_r + b->min_l) / (2.0f * b->tan_x);
    float ez_v = (b->min_t + b->min_b) / (2.0f * b->tan_y);
    float ex = 0.5f * (b->min_l - b->min_r), ey = 0.5f * (b->min_b - b->min_t);
    float ez = fminf(ez_h, ez_v);
    float eye[3], centre[3];
    for (int i = 0; i < 3; i++) {
        eye[i] = ex * b->right[i] + ey * b->up[i] + ez * b->forward[i];
        centre[i] = 0.5f * (b->lo[i] + b->hi[i]);
    }
    /* every centre lies in front of the eye (z - ez >= rho sec / tan > 0 for rho > 0) */
    float depth = dot3(b->forward, centre) - ez;
    if (!(depth > 0.0f))
        depth = (float)NB_CAMERA_MIN_DISTANCE_FACTOR * cam->scale;
    place_eye(cam, b, eye, depth);
    return true;
}

bool nb_camera_bounds_fit_distance(const nb_camera_bounds *b, nb_camera *cam) {
    if (b->n == 0 || !(b->tan_x > 0.0f) || !(b->tan_y > 0.0f))
        return false;
    float tx = dot3(b->right, cam->target), ty = dot3(b->up, cam->target);
    float tz = dot3(b->forward, cam->target);
    float ez = fminf(fminf((b->min_r + tx) / b->tan_x, (b->min_l - tx) / b->tan_x),
                     fminf((b->min_t + ty) / b->tan_y, (b->min_b - ty) / b->tan_y));
    float depth = tz - ez;
    if (!(depth > 0.0f))
        depth = (float)NB_CAMERA_MIN_DISTANCE_FACTOR * cam->scale;
    float eye[3];
    for (int i = 0; i < 3; i++)
        eye[i] = cam->target[i] - depth * b->forward[i];
    place_eye(cam, b, eye, depth);
    return true;
}

void nb_camera_view_projection(const nb_camera *cam, float width, float height, float vp[16]) {
    mat4 v, p, m;
    nb_camera_view(cam, (float *)v);
    nb_camera_projection(cam, height > 0.0f ? width / height : 1.0f, (float *)p);
    glm_mat4_mul(p, v, m);
    memcpy(vp, m, sizeof m);
}

bool nb_camera_project(const nb_camera *cam, float width, float height, const float p[3], float *sx,
                       float *sy, float *depth) {
    mat4 vp;
    vec4 world = {p[0], p[1], p[2], 1.0f}, clip;
    nb_camera_view_projection(cam, width, height, (float *)vp);
    glm_mat4_mulv(vp, world, clip);
    if (!(clip[3] > 0.0f))
        return false;
    float nx = clip[0] / clip[3], ny = clip[1] / clip[3], nz = clip[2] / clip[3];
    *sx = (nx * 0.5f + 0.5f) * width;
    *sy = (1.0f - (ny * 0.5f + 0.5f)) * height;
    if (depth)
        *depth = nz * 0.5f + 0.5f;
    return true;
}

void nb_camera_extent_begin(nb_camera_extent *e, const nb_camera *cam, float width, float height) {
    memset(e, 0, sizeof *e);
    nb_camera_basis(cam, e->forward, e->right, e->up);
    nb_camera_eye(cam, e->eye);
    float t = tanf(0.5f * deg2rad(cam->fov_degrees));
    e->tan_y = t;
    e->tan_x = t * (height > 0.0f && width > 0.0f ? width / height : 1.0f);
    e->lo[0] = e->lo[1] = INFINITY;
    e->hi[0] = e->hi[1] = -INFINITY;
}

void nb_camera_extent_add(nb_camera_extent *e, const float c[3], float radius) {
    if (!isfinite(c[0]) || !isfinite(c[1]) || !isfinite(c[2]))
        return;
    float rho = isfinite(radius) && radius > 0.0f ? radius : 0.0f;
    float d[3] = {c[0] - e->eye[0], c[1] - e->eye[1], c[2] - e->eye[2]};
    float z = dot3(e->forward, d);
    const float lateral[2] = {dot3(e->right, d), dot3(e->up, d)};
    const float tans[2] = {e->tan_x, e->tan_y};
    float lo[2], hi[2];
    for (int k = 0; k < 2; k++) {
        /* in the plane of the view axis and this image axis: the two tangent lines */
        float x = lateral[k], dist = sqrtf(x * x + z * z);
        if (!(dist > rho))
            return;
        float centre = atan2f(x, z), half = asinf(rho / dist);
        if (!(centre - half > -1.5707f && centre + half < 1.5707f))
            return;
        lo[k] = tanf(centre - half) / tans[k];
        hi[k] = tanf(centre + half) / tans[k];
    }
    for (int k = 0; k < 2; k++) {
        e->lo[k] = fminf(e->lo[k], lo[k]);
        e->hi[k] = fmaxf(e->hi[k], hi[k]);
    }
    e->n++;
}

bool nb_camera_extent_pixels(const nb_camera_extent *e, const nb_camera *cam, float width,
                             float height, float box[4]) {
    if (e->n == 0)
        return false;
    box[0] = (e->lo[0] + cam->shift[0] + 1.0f) * 0.5f * width;
    box[2] = (e->hi[0] + cam->shift[0] + 1.0f) * 0.5f * width;
    box[1] = (1.0f - (e->hi[1] + cam->shift[1] + 1.0f) * 0.5f) * height;
    box[3] = (1.0f - (e->lo[1] + cam->shift[1] + 1.0f) * 0.5f) * height;
    return true;
}

bool nb_camera_extent_centre(const nb_camera_extent *e, nb_camera *cam, float width, float height,
                             const float rect[4]) {
    if (e->n == 0)
        return false;
    nb_camera_bounds b; /* the rectangle's centre in NDC, clipped as the fit clips it */
    nb_camera_bounds_begin(&b, cam, width, height, rect, 0.0f);
    cam->shift[0] = b.shift[0] - 0.5f * (e->lo[0] + e->hi[0]);
    cam->shift[1] = b.shift[1] - 0.5f * (e->lo[1] + e->hi[1]);
    return true;
}

void nb_camera_follow_rect(nb_camera *cam, float width, float height, const float old_rect[4],
                           const float new_rect[4]) {
    if (!old_rect || !new_rect || !(width > 0.0f) || !(height > 0.0f))
        return;
    float dx = 0.5f * (new_rect[0] + new_rect[2] - old_rect[0] - old_rect[2]);
    float dy = 0.5f * (new_rect[1] + new_rect[3] - old_rect[1] - old_rect[3]);
    if (!isfinite(dx) || !isfinite(dy))
        return;
    cam->shift[0] += 2.0f * dx / width;
    cam->shift[1] -= 2.0f * dy / height;
}
