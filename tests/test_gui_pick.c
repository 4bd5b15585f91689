/* test_gui_pick.c - screen ray, projection and ray-sphere picking (GL-free). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <cglm/cglm.h>

#include "nb_gui_pick.h"
#include "nb_rng.h"

/* The renderer's camera: perspective 45 deg, looking at `target` from `eye`, flattened. */
static void camera(const float eye[3], const float target[3], float aspect, float vp[16],
                   float inv[16]) {
    mat4 view, proj, m;
    vec3 e = {eye[0], eye[1], eye[2]}, t = {target[0], target[1], target[2]}, up = {0, 1, 0};
    glm_lookat(e, t, up, view);
    glm_perspective(glm_rad(45.0f), aspect, 0.1f, 100.0f, proj);
    glm_mat4_mul(proj, view, m);
    memcpy(vp, m, sizeof(float) * 16);
    assert_true(nb_gui_pick_invert(vp, inv));
}

static void test_invert(void **state) {
    (void)state;
    nb_rng rng;
    nb_rng_init(&rng, 7);
    for (int trial = 0; trial < 20; trial++) {
        float m[16], inv[16];
        for (int i = 0; i < 16; i++)
            m[i] = (float)(nb_rng_uniform(&rng) * 2.0 - 1.0);
        for (int i = 0; i < 4; i++)
            m[i * 4 + i] += 3.0f; /* diagonally dominant: well conditioned */
        assert_true(nb_gui_pick_invert(m, inv));
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) {
                double s = 0.0;
                for (int k = 0; k < 4; k++)
                    s += (double)m[k * 4 + r] * inv[c * 4 + k];
                assert_true(fabs(s - (r == c ? 1.0 : 0.0)) < 1e-5);
            }
    }
    float sing[16] = {0}, out[16];
    for (int i = 0; i < 16; i++)
        out[i] = 42.0f;
    sing[0] = 1.0f; /* rank 1 */
    assert_false(nb_gui_pick_invert(sing, out));
    assert_true(out[3] == 42.0f); /* untouched */
}

static void test_project_then_ray_passes_through_point(void **state) {
    (void)state;
    const float eye[3] = {-2.0f, 2.0f, 2.0f}, target[3] = {0.1f, -0.2f, 0.5f};
    float vp[16], inv[16];
    camera(eye, target, 1600.0f / 900.0f, vp, inv);
    const float pts[4][3] = {
        {0, 0, 0}, {0.3f, -0.4f, 1.0f}, {-0.5f, 0.5f, 0.5f}, {0.1f, -0.2f, 0.5f}};
    for (int i = 0; i < 4; i++) {
        float sx, sy, z;
        assert_true(nb_gui_pick_project(vp, 1600.0f, 900.0f, pts[i], &sx, &sy, &z));
        assert_true(z > -1.0f && z < 1.0f);
        nb_gui_ray ray;
        assert_true(nb_gui_pick_ray(inv, 1600.0f, 900.0f, sx, sy, &ray));
        /* distance from the point to the ray */
        double v[3], t = 0.0;
        for (int k = 0; k < 3; k++) {
            v[k] = (double)pts[i][k] - ray.origin[k];
            t += v[k] * ray.dir[k];
        }
        double d2 = 0.0;
        for (int k = 0; k < 3; k++) {
            double e = v[k] - t * ray.dir[k];
            d2 += e * e;
        }
        assert_true(t > 0.0);
        assert_true(sqrt(d2) < 1e-4);
    }
    /* the look-at target projects to the viewport centre */
    float sx, sy;
    assert_true(nb_gui_pick_project(vp, 1600.0f, 900.0f, target, &sx, &sy, NULL));
    assert_float_equal(sx, 800.0f, 1e-2);
    assert_float_equal(sy, 450.0f, 1e-2);
    /* a point behind the camera does not project; outputs untouched */
    const float behind[3] = {-4.0f, 4.0f, 4.0f};
    sx = sy = -7.0f;
    assert_false(nb_gui_pick_project(vp, 1600.0f, 900.0f, behind, &sx, &sy, NULL));
    assert_true(sx == -7.0f && sy == -7.0f);
    /* degenerate viewport */
    nb_gui_ray ray;
    assert_false(nb_gui_pick_ray(inv, 0.0f, 900.0f, 1.0f, 1.0f, &ray));
}

static void test_pick_nearest_sphere(void **state) {
    (void)state;
    nb_gui_ray ray = {{0, 0, -5}, {0, 0, 1}};
    /* three spheres on the ray at z = 2, -1, 4; one off the ray; one behind the origin */
    const float c[5][3] = {{0, 0, 2}, {0.05f, 0, -1}, {0, 0, 4}, {3, 0, 0}, {0, 0, -9}};
    float r[5] = {0.1f, 0.1f, 0.1f, 0.1f, 0.1f};
    float t = -1.0f;
    assert_int_equal(nb_gui_pick_spheres(&ray, &c[0][0], r, 5, 0.0f, &t), 1);
    double expect = 4.0 - sqrt(0.01 - 0.0025); /* |o-c| along z = 4, offset 0.05 */
    assert_float_equal(t, expect, 1e-5);
    r[1] = 0.0f; /* culled: not pickable */
    assert_int_equal(nb_gui_pick_spheres(&ray, &c[0][0], r, 5, 0.0f, &t), 0);
    assert_float_equal(t, 6.9f, 1e-5);
    r[1] = 0.01f; /* too small to hit (offset 0.05) ... */
    assert_int_equal(nb_gui_pick_spheres(&ray, &c[0][0], r, 5, 0.0f, NULL), 0);
    /* ... unless the minimum pick radius applies */
    assert_int_equal(nb_gui_pick_spheres(&ray, &c[0][0], r, 5, 0.06f, NULL), 1);
    /* nothing on a ray pointing elsewhere; t untouched */
    nb_gui_ray up = {{0, 0, -5}, {0, 1, 0}};
    t = 123.0f;
    assert_int_equal(nb_gui_pick_spheres(&up, &c[0][0], r, 5, 0.0f, &t), -1);
    assert_true(t == 123.0f);
    /* origin inside a sphere: hit at t = 0 */
    nb_gui_ray inside = {{0, 0, 2.05f}, {0, 0, 1}};
    assert_int_equal(nb_gui_pick_spheres(&inside, &c[0][0], r, 5, 0.0f, &t), 0);
    assert_float_equal(t, 0.0f, 1e-7);
    /* equal distance: lower index wins */
    const float twin[2][3] = {{0, 0, 1}, {0, 0, 1}};
    const float tr[2] = {0.2f, 0.2f};
    assert_int_equal(nb_gui_pick_spheres(&ray, &twin[0][0], tr, 2, 0.0f, NULL), 0);
}

static void test_node_radii(void **state) {
    (void)state;
    /* 2 layers: 2 + 1 nodes, 2 classes */
    int64_t layer_offset[3] = {0, 2, 3};
    nb_bundle_data b;
    memset(&b, 0, sizeof b);
    b.n_layers = 2;
    b.n_nodes = 3;
    b.layer_offset = layer_offset;
    size_t node_offset[3] = {0, 4, 6};
    float node[6] = {0.3f, 0.4f, /* norm 0.5 */ 0.05f, 0.0f, /* norm 0.05 */ 1.0f, 0.0f};
    nb_importance imp;
    memset(&imp, 0, sizeof imp);
    imp.n_layers = 2;
    imp.n_classes = 2;
    imp.node_offset = node_offset;
    imp.node = node;
    float r[3];
    nb_gui_pick_node_radii(&b, &imp, 0.04, 0.1, r);
    assert_float_equal(r[0], 0.02f, 1e-7);
    assert_float_equal(r[1], 0.0f, 0.0f); /* at or below the threshold: culled */
    assert_float_equal(r[2], 0.04f, 1e-7);
    nb_gui_pick_node_radii(&b, &imp, 0.04, 0.0, r);
    assert_float_equal(r[1], 0.002f, 1e-7);
    nb_gui_pick_node_radii(&b, NULL, 0.04, 0.5, r);
    for (int i = 0; i < 3; i++)
        assert_float_equal(r[i], 0.04f, 1e-7);
}

/* End to end: camera -> projected centre of a node -> ray -> that node is picked. */
static void test_click_on_projected_node_picks_it(void **state) {
    (void)state;
    nb_rng rng;
    nb_rng_init(&rng, 3);
    enum { N = 200 };
    float c[N][3], r[N];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 3; k++)
            c[i][k] = (float)(nb_rng_uniform(&rng) - 0.5);
        r[i] = 0.004f;
    }
    const float eye[3] = {0.0f, 0.0f, -2.5f}, target[3] = {0, 0, 0};
    float vp[16], inv[16];
    camera(eye, target, 1.0f, vp, inv);
    int n_ok = 0;
    for (int i = 0; i < N; i++) {
        float sx, sy;
        assert_true(nb_gui_pick_project(vp, 512.0f, 512.0f, c[i], &sx, &sy, NULL));
        nb_gui_ray ray;
        assert_true(nb_gui_pick_ray(inv, 512.0f, 512.0f, sx, sy, &ray));
        int64_t hit = nb_gui_pick_spheres(&ray, &c[0][0], r, N, 0.0f, NULL);
        assert_true(hit >= 0);
        /* either node i, or a node in front of it that covers the same pixel */
        if (hit == i)
            n_ok++;
        else
            assert_true(glm_vec3_distance(c[hit], (float *)eye) <
                        glm_vec3_distance(c[i], (float *)eye));
    }
    assert_true(n_ok > N * 9 / 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invert),
        cmocka_unit_test(test_project_then_ray_passes_through_point),
        cmocka_unit_test(test_pick_nearest_sphere),
        cmocka_unit_test(test_node_radii),
        cmocka_unit_test(test_click_on_projected_node_picks_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
