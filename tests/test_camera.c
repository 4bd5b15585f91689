/* test_camera.c - the GL-free orbit camera: poses, orbit, pan, zoom, matrices, projection. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nb_camera.h"

/* The reference network's box: 1 x 1 x 1.5 (layer_width 1, 4 layers 0.5 apart). */
static const float ref_min[3] = {-0.5f, -0.5f, -0.75f};
static const float ref_max[3] = {0.5f, 0.5f, 0.75f};

static void assert_near(float a, float b, float tol) {
    if (!(fabsf(a - b) <= tol))
        fail_msg("%.7g != %.7g (tol %g)", (double)a, (double)b, (double)tol);
}

static void test_init_reference_box(void **state) {
    (void)state;
    nb_camera cam;
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 6);
    assert_near(cam.scale, 1.0f, 1e-5f);
    for (int i = 0; i < 3; i++)
        assert_near(cam.target[i], 0.0f, 1e-6f);
    float eye[3];
    nb_camera_eye(&cam, eye); /* pose 6 = UPPER_BACK_RIGHT (-2, 2, 2) */
    assert_near(eye[0], -2.0f, 1e-5f);
    assert_near(eye[1], 2.0f, 1e-5f);
    assert_near(eye[2], 2.0f, 1e-5f);
    assert_near(cam.fov_degrees, 45.0f, 0.0f);
    assert_near(cam.near_plane, 0.01f, 1e-7f);
    assert_near(cam.far_plane, 100.0f, 1e-4f);
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
    assert_near(cam.scale, s, 1e-5f);
    for (int k = 0; k < 10; k++) {
        float off[3], eye[3];
        assert_true(nb_camera_pose_offset(k, off));
        for (int i = 0; i < 3; i++)
            assert_near(off[i], expect[k][i], 0.0f);
        assert_true(nb_camera_set_pose(&cam, k));
        nb_camera_eye(&cam, eye);
        const float centre[3] = {2.0f, 3.0f, 4.5f};
        for (int i = 0; i < 3; i++)
            assert_near(eye[i], centre[i] + expect[k][i] * s, 1e-4f);
    }
    float off[3] = {9, 9, 9};
    assert_false(nb_camera_pose_offset(10, off));
    assert_false(nb_camera_pose_offset(-1, off));
    assert_near(off[0], 9.0f, 0.0f);
    nb_camera before = cam;
    assert_false(nb_camera_set_pose(&cam, 12));
    assert_memory_equal(&before, &cam, sizeof cam);
    /* An invalid start pose falls back to pose 6. */
    nb_camera c2;
    nb_camera_init(&c2, ref_min, ref_max, 45.0f, 42);
    float eye[3];
    nb_camera_eye(&c2, eye);
    assert_near(eye[0], -2.0f, 1e-5f);
    assert_near(eye[1], 2.0f, 1e-5f);
}

static void test_degenerate_box(void **state) {
    (void)state;
    const float bmin[3] = {1.0f, 0.0f, 0.0f}, bmax[3] = {0.0f, 0.0f, 0.0f}; /* inverted */
    nb_camera cam;
    nb_camera_init(&cam, bmin, bmax, 45.0f, 1);
    assert_near(cam.target[0], 0.0f, 0.0f);
    assert_true(cam.scale > 0.5f && cam.distance > 0.0f && isfinite(cam.distance));
    const float p[3] = {0.25f, 0.25f, 0.25f}; /* a single node */
    nb_camera_init(&cam, p, p, 45.0f, 1);
    assert_near(cam.target[0], 0.25f, 0.0f);
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
        assert_near(e, 0.0f, 1e-5f);
        assert_near(t, r == 2 ? -cam.distance : 0.0f, 1e-5f);
    }
    /* the basis is orthonormal and right-handed: right x up = -forward */
    float f[3], rt[3], up[3];
    nb_camera_basis(&cam, f, rt, up);
    float c[3] = {rt[1] * up[2] - rt[2] * up[1], rt[2] * up[0] - rt[0] * up[2],
                  rt[0] * up[1] - rt[1] * up[0]};
    for (int i = 0; i < 3; i++)
        assert_near(c[i], -f[i], 1e-5f);
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
        assert_near(d, start.distance, 1e-4f);
        assert_near(eye[1], eye0[1], 1e-4f); /* horizontal orbit keeps the height */
    }
    float eye[3];
    nb_camera_eye(&cam, eye);
    for (int i = 0; i < 3; i++)
        assert_near(eye[i], eye0[i], 2e-3f); /* a full turn comes back */
    assert_true(cam.yaw >= 0.0f && cam.yaw < 360.0f);
    nb_camera_orbit(&cam, -1000.0f, 0.0f);
    assert_true(cam.yaw >= 0.0f && cam.yaw < 360.0f);
    /* mouse orbit: 0.5 degrees per pixel, pitch clamped */
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 1); /* FRONT: yaw 0, pitch 0 */
    assert_near(cam.yaw, 0.0f, 1e-4f);
    nb_camera_drag_orbit(&cam, 20.0f, 10.0f);
    assert_near(cam.yaw, 10.0f, 1e-4f);
    assert_near(cam.pitch, 5.0f, 1e-4f);
    nb_camera_drag_orbit(&cam, 0.0f, 10000.0f);
    assert_near(cam.pitch, (float)NB_CAMERA_PITCH_LIMIT, 1e-4f);
    nb_camera_drag_orbit(&cam, 0.0f, -100000.0f);
    assert_near(cam.pitch, -(float)NB_CAMERA_PITCH_LIMIT, 1e-4f);
}

static void test_zoom_and_move(void **state) {
    (void)state;
    nb_camera cam;
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 1);
    float d0 = cam.distance;
    assert_near(d0, 3.5f, 1e-5f);
    nb_camera_zoom(&cam, 1.0f);
    assert_near(cam.distance, d0 * 0.9f, 1e-5f);
    nb_camera_zoom(&cam, -2.0f);
    assert_near(cam.distance, d0 / 0.9f, 1e-4f);
    nb_camera_zoom(&cam, 1000.0f);
    assert_near(cam.distance, (float)NB_CAMERA_MIN_DISTANCE_FACTOR * cam.scale, 1e-6f);
    nb_camera_zoom(&cam, -10000.0f);
    assert_near(cam.distance, (float)NB_CAMERA_MAX_DISTANCE_FACTOR * cam.scale, 1e-3f);
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 1);
    nb_camera_move(&cam, 1.0f, 0.0f); /* W */
    assert_near(cam.distance, 3.4f, 1e-5f);
    nb_camera_move(&cam, -2.0f, 0.0f); /* S twice */
    assert_near(cam.distance, 3.6f, 1e-5f);
    float f[3], r[3], u[3];
    nb_camera_basis(&cam, f, r, u);
    nb_camera_move(&cam, 0.0f, 1.0f); /* D */
    for (int i = 0; i < 3; i++)
        assert_near(cam.target[i], 0.1f * r[i], 1e-5f);
}

static void test_projection_and_pan(void **state) {
    (void)state;
    nb_camera cam;
    nb_camera_init(&cam, ref_min, ref_max, 45.0f, 1); /* eye (3.5, 0, 0) looking at -x */
    const float w = 640.0f, h = 480.0f;
    float sx, sy, depth;
    assert_true(nb_camera_project(&cam, w, h, cam.target, &sx, &sy, &depth));
    assert_near(sx, 320.0f, 1e-3f);
    assert_near(sy, 240.0f, 1e-3f);
    assert_true(depth > 0.0f && depth < 1.0f);
    /* +y is up on screen; from FRONT (+x) the +z axis points to the left? right = f x up. */
    const float up_pt[3] = {0.0f, 0.5f, 0.0f};
    assert_true(nb_camera_project(&cam, w, h, up_pt, &sx, &sy, NULL));
    assert_near(sx, 320.0f, 1e-3f);
    /* tan(fov/2) = 0.41421; 0.5 at distance 3.5 -> ndc 0.5/3.5/0.41421 = 0.34487 */
    assert_near(sy, 240.0f - 0.344874f * 240.0f, 0.05f);
    const float right_pt[3] = {0.0f, 0.0f, -0.5f}; /* eye on +x looking at -x: right is -z */
    assert_true(nb_camera_project(&cam, w, h, right_pt, &sx, &sy, NULL));
    assert_near(sx, 320.0f + 0.344874f / (w / h) * 320.0f, 0.05f);
    assert_near(sy, 240.0f, 1e-3f);
    const float behind[3] = {10.0f, 0.0f, 0.0f};
    sx = -7.0f;
    assert_false(nb_camera_project(&cam, w, h, behind, &sx, &sy, NULL));
    assert_near(sx, -7.0f, 0.0f);
    /* pan: the point under the cursor follows the drag */
    float old_target[3];
    memcpy(old_target, cam.target, sizeof old_target);
    nb_camera_drag_pan(&cam, 25.0f, -12.0f, h);
    assert_true(nb_camera_project(&cam, w, h, old_target, &sx, &sy, NULL));
    assert_near(sx, 320.0f + 25.0f, 1e-2f);
    assert_near(sy, 240.0f - 12.0f, 1e-2f);
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
            assert_near(vp[c * 4 + r], sum, 1e-5f);
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
    assert_near(cam.yaw, yaw, 0.0f);
    assert_near(cam.pitch, pitch, 0.0f);
    assert_near(cam.distance / cam.scale, rel, 1e-5f);
    assert_near(cam.target[2], 0.5f, 1e-6f);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
