/* test_camera.c - the GL-free orbit camera: poses, orbit, pan, zoom, matrices, projection. */

#include "nb_camera.h"
#include "nb_test.h"

/* The reference network's box: 1 x 1 x 1.5 (layer_width 1, 4 layers 0.5 apart). */
static const float ref_min[3] = {-0.5f, -0.5f, -0.75f};
static const float ref_max[3] = {0.5f, 0.5f, 0.75f};

static void test_init_reference_box(void **state) {
    (void)state;
    nb_camera cam;
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 6);
    nb_assert_near(cam.scale, 1.0f, 1e-5f);
    for (int i = 0; i < 3; i++)
        nb_assert_near(cam.target[i], 0.0f, 1e-6f);
    float eye[3];
    nb_camera_eye(&cam, eye); /* pose 6 = UPPER_BACK_RIGHT (-2, 2, 2) */
    nb_assert_near(eye[0], -2.0f, 1e-5f);
    nb_assert_near(eye[1], 2.0f, 1e-5f);
    nb_assert_near(eye[2], 2.0f, 1e-5f);
    nb_assert_near(cam.fov_degrees, 45.0f, 0.0f);
    nb_assert_near(cam.near_plane, 0.01f, 1e-7f);
    nb_assert_near(cam.far_plane, 100.0f, 1e-4f);
}

static void test_all_poses(void **state) {
    (void)state;
    static const float expect[10][3] = {
        {0, 0, -2.5f}, {3.5f, 0, 0}, {0, 0, 2.5f},        {-2.5f, 0, 2.5f}, {-2.5f, 0, 2.5f},
        {-2, 2, -2},   {-2, 2, 2},   {-2.75f, -1, 1.25f}, {-4, 0, 0},       {0, 0, -2.5f}};
    const float bmin[3] = {1.0f, 2.0f, 3.0f}, bmax[3] = {3.0f, 4.0f, 6.0f}; /* diag sqrt(17) */
    nb_camera cam;
    nb_camera_init(&cam, bmin, bmax, 45.0f, 0);
    float s = sqrtf(17.0f) / 2.0615528f;
    nb_assert_near(cam.scale, s, 1e-5f);
    for (int k = 0; k < 10; k++) {
        float off[3], eye[3];
        assert_true(nb_camera_pose_offset(k, off));
        for (int i = 0; i < 3; i++)
            nb_assert_near(off[i], expect[k][i], 0.0f);
        assert_true(nb_camera_set_pose(&cam, k));
        nb_camera_eye(&cam, eye);
        const float centre[3] = {2.0f, 3.0f, 4.5f};
        for (int i = 0; i < 3; i++)
            nb_assert_near(eye[i], centre[i] + expect[k][i] * s, 1e-4f);
    }
    float off[3] = {9, 9, 9};
    assert_false(nb_camera_pose_offset(10, off));
    assert_false(nb_camera_pose_offset(-1, off));
    nb_assert_near(off[0], 9.0f, 0.0f);
    nb_camera before = cam;
    assert_false(nb_camera_set_pose(&cam, 12));
    assert_memory_equal(&before, &cam, sizeof cam);
    /* An invalid start pose falls back to pose 6. */
    nb_camera c2;
    nb_camera_init(&c2, ref_min, ref_max, 45.0f, 42);
    float eye[3];
    nb_camera_eye(&c2, eye);
    nb_assert_near(eye[0], -2.0f, 1e-5f);
    nb_assert_near(eye[1], 2.0f, 1e-5f);
}

static void test_degenerate_box(void **state) {
    (void)state;
    const float bmin[3] = {1.0f, 0.0f, 0.0f}, bmax[3] = {0.0f, 0.0f, 0.0f}; /* inverted */
    nb_camera cam;
    nb_camera_init(&cam, bmin, bmax, 45.0f, 1);
    nb_assert_near(cam.target[0], 0.0f, 0.0f);
    assert_true(cam.scale > 0.5f && cam.distance > 0.0f && isfinite(cam.distance));
    const float p[3] = {0.25f, 0.25f, 0.25f}; /* a single node */
    nb_camera_init(&cam, p, p, 45.0f, 1);
    nb_assert_near(cam.target[0], 0.25f, 0.0f);
    assert_true(cam.scale > 0.5f);
}

static void test_view_matrix(void **state) {
    (void)state;
    nb_camera cam;
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 5);
    float v[16], eye[3];
    nb_camera_view(&cam, v);
    nb_camera_eye(&cam, eye);
    /* eye -> origin, target -> (0, 0, -distance) */
    for (int r = 0; r < 3; r++) {
        float e = v[r] * eye[0] + v[4 + r] * eye[1] + v[8 + r] * eye[2] + v[12 + r];
        float t =
            v[r] * cam.target[0] + v[4 + r] * cam.target[1] + v[8 + r] * cam.target[2] + v[12 + r];
        nb_assert_near(e, 0.0f, 1e-5f);
        nb_assert_near(t, r == 2 ? -cam.distance : 0.0f, 1e-5f);
    }
    /* the basis is orthonormal and right-handed: right x up = -forward */
    float f[3], rt[3], up[3];
    nb_camera_basis(&cam, f, rt, up);
    float c[3] = {rt[1] * up[2] - rt[2] * up[1], rt[2] * up[0] - rt[0] * up[2],
                  rt[0] * up[1] - rt[1] * up[0]};
    for (int i = 0; i < 3; i++)
        nb_assert_near(c[i], -f[i], 1e-5f);
    assert_true(up[1] > 0.0f); /* world up stays up */
}

static void test_orbit(void **state) {
    (void)state;
    nb_camera cam;
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 7);
    nb_camera start = cam;
    float eye0[3];
    nb_camera_eye(&cam, eye0);
    for (int i = 0; i < 720; i++) {
        nb_camera_orbit(&cam, 0.5f, 0.0f);
        float eye[3];
        nb_camera_eye(&cam, eye);
        float d = sqrtf(eye[0] * eye[0] + eye[1] * eye[1] + eye[2] * eye[2]);
        nb_assert_near(d, start.distance, 1e-4f);
        nb_assert_near(eye[1], eye0[1], 1e-4f); /* horizontal orbit keeps the height */
    }
    float eye[3];
    nb_camera_eye(&cam, eye);
    for (int i = 0; i < 3; i++)
        nb_assert_near(eye[i], eye0[i], 2e-3f); /* a full turn comes back */
    assert_true(cam.yaw >= 0.0f && cam.yaw < 360.0f);
    nb_camera_orbit(&cam, -1000.0f, 0.0f);
    assert_true(cam.yaw >= 0.0f && cam.yaw < 360.0f);
    /* mouse orbit: 0.5 degrees per pixel, pitch clamped */
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 1); /* FRONT: yaw 0, pitch 0 */
    nb_assert_near(cam.yaw, 0.0f, 1e-4f);
    nb_camera_drag_orbit(&cam, 20.0f, 10.0f);
    nb_assert_near(cam.yaw, 10.0f, 1e-4f);
    nb_assert_near(cam.pitch, 5.0f, 1e-4f);
    nb_camera_drag_orbit(&cam, 0.0f, 10000.0f);
    nb_assert_near(cam.pitch, (float)NB_CAMERA_PITCH_LIMIT, 1e-4f);
    nb_camera_drag_orbit(&cam, 0.0f, -100000.0f);
    nb_assert_near(cam.pitch, -(float)NB_CAMERA_PITCH_LIMIT, 1e-4f);
}

static void test_zoom_and_move(void **state) {
    (void)state;
    nb_camera cam;
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 1);
    float d0 = cam.distance;
    nb_assert_near(d0, 3.5f, 1e-5f);
    nb_camera_zoom(&cam, 1.0f);
    nb_assert_near(cam.distance, d0 * 0.9f, 1e-5f);
    nb_camera_zoom(&cam, -2.0f);
    nb_assert_near(cam.distance, d0 / 0.9f, 1e-4f);
    nb_camera_zoom(&cam, 1000.0f);
    nb_assert_near(cam.distance, (float)NB_CAMERA_MIN_DISTANCE_FACTOR * cam.scale, 1e-6f);
    nb_camera_zoom(&cam, -10000.0f);
    nb_assert_near(cam.distance, (float)NB_CAMERA_MAX_DISTANCE_FACTOR * cam.scale, 1e-3f);
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 1);
    nb_camera_move(&cam, 1.0f, 0.0f); /* W */
    nb_assert_near(cam.distance, 3.4f, 1e-5f);
    nb_camera_move(&cam, -2.0f, 0.0f); /* S twice */
    nb_assert_near(cam.distance, 3.6f, 1e-5f);
    float f[3], r[3], u[3];
    nb_camera_basis(&cam, f, r, u);
    nb_camera_move(&cam, 0.0f, 1.0f); /* D */
    for (int i = 0; i < 3; i++)
        nb_assert_near(cam.target[i], 0.1f * r[i], 1e-5f);
}

static void test_projection_and_pan(void **state) {
    (void)state;
    nb_camera cam;
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 1); /* eye (3.5, 0, 0) looking at -x */
    const float w = 640.0f, h = 480.0f;
    float sx, sy, depth;
    assert_true(nb_camera_project(&cam, w, h, cam.target, &sx, &sy, &depth));
    nb_assert_near(sx, 320.0f, 1e-3f);
    nb_assert_near(sy, 240.0f, 1e-3f);
    assert_true(depth > 0.0f && depth < 1.0f);
    /* +y is up on screen; from FRONT (+x) the +z axis points to the left? right = f x up. */
    const float up_pt[3] = {0.0f, 0.5f, 0.0f};
    assert_true(nb_camera_project(&cam, w, h, up_pt, &sx, &sy, NULL));
    nb_assert_near(sx, 320.0f, 1e-3f);
    /* tan(fov/2) = 0.41421; 0.5 at distance 3.5 -> ndc 0.5/3.5/0.41421 = 0.34487 */
    nb_assert_near(sy, 240.0f - 0.344874f * 240.0f, 0.05f);
    const float right_pt[3] = {0.0f, 0.0f, -0.5f}; /* eye on +x looking at -x: right is -z */
    assert_true(nb_camera_project(&cam, w, h, right_pt, &sx, &sy, NULL));
    nb_assert_near(sx, 320.0f + 0.344874f / (w / h) * 320.0f, 0.05f);
    nb_assert_near(sy, 240.0f, 1e-3f);
    const float behind[3] = {10.0f, 0.0f, 0.0f};
    sx = -7.0f;
    assert_false(nb_camera_project(&cam, w, h, behind, &sx, &sy, NULL));
    nb_assert_near(sx, -7.0f, 0.0f);
    /* pan: the point under the cursor follows the drag */
    float old_target[3];
    memcpy(old_target, cam.target, sizeof old_target);
    nb_camera_drag_pan(&cam, 25.0f, -12.0f, h);
    assert_true(nb_camera_project(&cam, w, h, old_target, &sx, &sy, NULL));
    nb_assert_near(sx, 320.0f + 25.0f, 1e-2f);
    nb_assert_near(sy, 240.0f - 12.0f, 1e-2f);
    /* aspect: view_projection equals projection * view */
    float vp[16], v[16], p[16];
    nb_camera_view_projection(&cam, w, h, vp);
    nb_camera_view(&cam, v);
    nb_camera_projection(&cam, w / h, p);
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 4; r++) {
            float sum = 0.0f;
            for (int k = 0; k < 4; k++)
                sum += p[k * 4 + r] * v[c * 4 + k];
            nb_assert_near(vp[c * 4 + r], sum, 1e-5f);
        }
}

static void test_fit_keeps_relative_view(void **state) {
    (void)state;
    nb_camera cam;
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 8);
    nb_camera_orbit(&cam, 30.0f, 10.0f);
    float yaw = cam.yaw, pitch = cam.pitch, rel = cam.distance / cam.scale;
    const float bmin[3] = {-1.0f, -1.0f, -1.5f}, bmax[3] = {1.0f, 1.0f, 2.5f};
    nb_camera_fit(&cam, bmin, bmax);
    nb_assert_near(cam.yaw, yaw, 0.0f);
    nb_assert_near(cam.pitch, pitch, 0.0f);
    nb_assert_near(cam.distance / cam.scale, rel, 1e-5f);
    nb_assert_near(cam.target[2], 0.5f, 1e-6f);
}

/* ---- framing ------------------------------------------------------------------------ */

/* A seeded cloud of spheres shaped like a network (flat along z, wide in x and y), with a
 * few outliers. */
#define N_SPHERES 60
static void sphere_cloud(float c[N_SPHERES][3], float r[N_SPHERES], unsigned seed) {
    uint32_t x = seed * 2654435761u + 1u;
    for (int i = 0; i < N_SPHERES; i++) {
        for (int k = 0; k < 3; k++) {
            x = x * 1664525u + 1013904223u;
            float u = (float)(x >> 8) / 16777216.0f - 0.5f;
            c[i][k] = u * (k == 2 ? 1.5f : 2.0f) + (k == 0 ? 3.0f : 0.0f);
        }
        x = x * 1664525u + 1013904223u;
        r[i] = 0.01f + 0.1f * (float)(x >> 8) / 16777216.0f;
    }
    c[0][1] += 2.5f; /* an outlier far up */
    r[0] = 0.3f;
}

/* Projected extent of a sphere, by sampling its surface (independent of the fit's plane
 * tests; 500 directions underestimate the extent by < 0.5 % of the radius). */
static void sphere_extent(const nb_camera *cam, float w, float h, const float c[3], float r,
                          float box[4]) {
    for (int i = 0; i < 500; i++) {
        float z = 1.0f - 2.0f * ((float)i + 0.5f) / 500.0f, rho = sqrtf(1.0f - z * z);
        float phi = 2.39996323f * (float)i; /* golden angle */
        float p[3] = {c[0] + r * rho * cosf(phi), c[1] + r * rho * sinf(phi), c[2] + r * z};
        float sx, sy;
        assert_true(nb_camera_project(cam, w, h, p, &sx, &sy, NULL));
        box[0] = fminf(box[0], sx);
        box[1] = fminf(box[1], sy);
        box[2] = fmaxf(box[2], sx);
        box[3] = fmaxf(box[3], sy);
    }
}

/* Fits the cloud into rect of a w x h viewport and checks that the projected extent lies
 * inside the rectangle minus the margin and touches it on two opposite sides. */
static void check_fit(nb_camera *cam, float w, float h, const float *rect, float margin,
                      bool keep_target) {
    float c[N_SPHERES][3], r[N_SPHERES];
    sphere_cloud(c, r, 7);
    nb_camera_bounds b;
    nb_camera_bounds_begin(&b, cam, w, h, rect, margin);
    for (int i = 0; i < N_SPHERES; i++)
        nb_camera_bounds_add(&b, c[i], r[i]);
    float yaw = cam->yaw, pitch = cam->pitch;
    assert_true(keep_target ? nb_camera_bounds_fit_distance(&b, cam)
                            : nb_camera_bounds_fit(&b, cam));
    nb_assert_near(cam->yaw, yaw, 1e-3f); /* the direction is kept */
    nb_assert_near(cam->pitch, pitch, 1e-3f);
    if (!keep_target) { /* second pass: centre exactly in pixels */
        nb_camera_extent e;
        nb_camera_extent_begin(&e, cam, w, h);
        for (int i = 0; i < N_SPHERES; i++)
            nb_camera_extent_add(&e, c[i], r[i]);
        assert_true(nb_camera_extent_centre(&e, cam, w, h, rect));
        /* the exact extent agrees with the sampled one */
        float ebox[4], sbox[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        assert_true(nb_camera_extent_pixels(&e, cam, w, h, ebox));
        for (int i = 0; i < N_SPHERES; i++)
            sphere_extent(cam, w, h, c[i], r[i], sbox);
        for (int k = 0; k < 4; k++)
            nb_assert_near(ebox[k], sbox[k], 2e-3f * (w > h ? w : h));
    }
    float x0 = rect ? rect[0] : 0.0f, y0 = rect ? rect[1] : 0.0f;
    float x1 = rect ? rect[2] : w, y1 = rect ? rect[3] : h;
    float mx = margin * (x1 - x0), my = margin * (y1 - y0);
    float box[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < N_SPHERES; i++)
        sphere_extent(cam, w, h, c[i], r[i], box);
    float tol = 1e-3f * (w > h ? w : h); /* float rounding of the projection */
    if (!(box[0] >= x0 + mx - tol && box[2] <= x1 - mx + tol && box[1] >= y0 + my - tol &&
          box[3] <= y1 - my + tol))
        fail_msg("pose yaw %g pitch %g fov %g, %gx%g: extent %g,%g..%g,%g outside %g,%g..%g,%g",
                 (double)yaw, (double)pitch, (double)cam->fov_degrees, (double)w, (double)h,
                 (double)box[0], (double)box[1], (double)box[2], (double)box[3], (double)(x0 + mx),
                 (double)(y0 + my), (double)(x1 - mx), (double)(y1 - my));
    /* tight: both sides of one direction are reached (within 0.5 % of the frame) */
    float t = 5e-3f * (w > h ? w : h);
    bool fills_x = box[0] <= x0 + mx + t && box[2] >= x1 - mx - t;
    bool fills_y = box[1] <= y0 + my + t && box[3] >= y1 - my - t;
    if (keep_target) /* a fixed target fills one side at least */
        fills_x = fills_x || box[0] <= x0 + mx + t || box[2] >= x1 - mx - t ||
                  box[1] <= y0 + my + t || box[3] >= y1 - my - t;
    if (!(fills_x || fills_y))
        fail_msg("pose yaw %g pitch %g, %gx%g: extent %g,%g..%g,%g does not fill %g,%g..%g,%g",
                 (double)yaw, (double)pitch, (double)w, (double)h, (double)box[0], (double)box[1],
                 (double)box[2], (double)box[3], (double)(x0 + mx), (double)(y0 + my),
                 (double)(x1 - mx), (double)(y1 - my));
    /* centred in the direction that does not bind */
    if (!keep_target) {
        float cx = 0.5f * (box[0] + box[2]) - 0.5f * (x0 + x1);
        float cy = 0.5f * (box[1] + box[3]) - 0.5f * (y0 + y1);
        assert_true(fabsf(cx) <= 1e-3f * (x1 - x0) && fabsf(cy) <= 1e-3f * (y1 - y0));
    }
}

static void test_bounds_fit_every_pose(void **state) {
    (void)state;
    static const float sizes[3][2] = {{1280, 720}, {480, 960}, {600, 600}}; /* wide, tall */
    static const float fovs[3] = {45.0f, 25.0f, 90.0f};
    const float bmin[3] = {2.0f, -1.0f, -0.75f}, bmax[3] = {4.0f, 1.0f, 0.75f};
    for (int k = 0; k < NB_CAMERA_POSES; k++)
        for (int s = 0; s < 3; s++)
            for (int f = 0; f < 3; f++) {
                nb_camera cam;
                nb_camera_init(&cam, bmin, bmax, fovs[f], k);
                check_fit(&cam, sizes[s][0], sizes[s][1], NULL, NB_CAMERA_DEFAULT_MARGIN, false);
                /* fitting again from the fitted camera gives the same camera */
                nb_camera again = cam;
                check_fit(&again, sizes[s][0], sizes[s][1], NULL, NB_CAMERA_DEFAULT_MARGIN, false);
                nb_assert_near(again.distance, cam.distance, 1e-3f * cam.distance);
            }
}

static void test_bounds_fit_sub_rectangle(void **state) {
    (void)state;
    const float bmin[3] = {2.0f, -1.0f, -0.75f}, bmax[3] = {4.0f, 1.0f, 0.75f};
    /* the area a panel on the left leaves free, and a quarter for a compare mode */
    static const float rects[2][4] = {{500, 0, 1280, 720}, {640, 360, 1280, 720}};
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < NB_CAMERA_POSES; k += 3) {
            nb_camera cam;
            nb_camera_init(&cam, bmin, bmax, 45.0f, k);
            check_fit(&cam, 1280, 720, rects[i], 0.05f, false);
            /* the lens shift keeps the target (the orbit centre) inside the rectangle */
            float sx, sy;
            assert_true(nb_camera_project(&cam, 1280, 720, cam.target, &sx, &sy, NULL));
            assert_true(sx > rects[i][0] && sx < rects[i][2] && sy > rects[i][1] &&
                        sy < rects[i][3]);
        }
}

static void test_bounds_fit_distance_and_edge_cases(void **state) {
    (void)state;
    const float bmin[3] = {2.0f, -1.0f, -0.75f}, bmax[3] = {4.0f, 1.0f, 0.75f};
    nb_camera cam;
    nb_camera_init(&cam, bmin, bmax, 45.0f, 6);
    /* a turntable: target fixed at the box centre, every yaw fits */
    for (int y = 0; y < 360; y += 45) {
        nb_camera c = cam;
        nb_camera_orbit(&c, (float)y, 0.0f);
        float target[3];
        memcpy(target, c.target, sizeof target);
        check_fit(&c, 1280, 720, NULL, 0.03f, true);
        for (int i = 0; i < 3; i++)
            nb_assert_near(c.target[i], target[i], 1e-5f);
    }
    /* nothing added: false, camera unchanged */
    nb_camera before = cam;
    nb_camera_bounds b;
    nb_camera_bounds_begin(&b, &cam, 640, 480, NULL, 0.03f);
    assert_false(nb_camera_bounds_fit(&b, &cam));
    assert_false(nb_camera_bounds_fit_distance(&b, &cam));
    assert_memory_equal(&before, &cam, sizeof cam);
    /* non-finite centres are ignored, bad radii count as 0, bad rectangles mean the whole
     * viewport, the margin is clamped */
    const float nan3[3] = {NAN, 0.0f, 0.0f}, p[3] = {3.0f, 0.0f, 0.0f};
    const float bad_rect[4] = {100, 100, 50, 50};
    nb_camera_bounds_begin(&b, &cam, 640, 480, bad_rect, 7.0f);
    nb_camera_bounds_add(&b, nan3, 1.0f);
    nb_camera_bounds_add(&b, p, -1.0f);
    nb_camera_bounds_add(&b, p, NAN);
    assert_int_equal(b.n, 2);
    nb_assert_near(b.shift[0], 0.0f, 0.0f);
    nb_assert_near(b.shift[1], 0.0f, 0.0f);
    /* a single point: framed at the minimum distance, looking at it */
    assert_true(nb_camera_bounds_fit(&b, &cam));
    nb_assert_near(cam.distance, (float)NB_CAMERA_MIN_DISTANCE_FACTOR * cam.scale, 1e-6f);
    for (int i = 0; i < 3; i++)
        nb_assert_near(cam.target[i], p[i], 1e-5f);
    /* the lens shift moves the projection: NDC x += shift */
    nb_camera_init(&cam, bmin, bmax, 45.0f, 1);
    float sx0, sy0, sx1, sy1;
    assert_true(nb_camera_project(&cam, 200, 100, cam.target, &sx0, &sy0, NULL));
    cam.shift[0] = 0.5f;
    cam.shift[1] = -0.5f;
    assert_true(nb_camera_project(&cam, 200, 100, cam.target, &sx1, &sy1, NULL));
    nb_assert_near(sx1 - sx0, 50.0f, 1e-3f);
    nb_assert_near(sy1 - sy0, 25.0f, 1e-3f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_reference_box),
        cmocka_unit_test(test_all_poses),
        cmocka_unit_test(test_degenerate_box),
        cmocka_unit_test(test_view_matrix),
        cmocka_unit_test(test_orbit),
        cmocka_unit_test(test_zoom_and_move),
        cmocka_unit_test(test_projection_and_pan),
        cmocka_unit_test(test_fit_keeps_relative_view),
        cmocka_unit_test(test_bounds_fit_every_pose),
        cmocka_unit_test(test_bounds_fit_sub_rectangle),
        cmocka_unit_test(test_bounds_fit_distance_and_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
