/* test_compare.c - compare mode without GL: the panel grid, the shared camera (one distance,
 * every network's drawn extent inside its own panel), the grid choice, titles, the class
 * check and the shared importance scale (nb_compare.h, nb_scene_desc.scale). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nb_compare.h"
#include "nb_render_params.h"
#include "nb_scene.h"
#include "test_render_fixture.h"

#define W 1280
#define H 720

/* Two different networks (other layer sizes, other seeds) and their scenes. */
typedef struct fixture {
    nb_model models[3];
    nb_scene scenes[3];
    const nb_scene *ptr[3];
    nb_rendering_config cfg;
    nb_render_params p;
} fixture;

static void build(fixture *f, size_t i, const nb_scene_scale *scale) {
    nb_scene_desc d = {0};
    nb_scene_desc_from_config(&f->cfg, &d);
    d.scale = scale;
    nb_scene s;
    assert_int_equal(nb_scene_build(&f->models[i], &d, "t.nnb.h5", &s), NB_OK);
    nb_scene_deinit(&f->scenes[i]);
    f->scenes[i] = s;
    f->ptr[i] = &f->scenes[i];
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    static const size_t a[4] = {9, 4, 4, 3}, b[4] = {16, 8, 5, 3}, c[3] = {6, 5, 3};
    if (test_make_model(&f->models[0], a, 4, 7, true, 11) != NB_OK ||
        test_make_model(&f->models[1], b, 4, 7, true, 12) != NB_OK ||
        test_make_model(&f->models[2], c, 3, 7, true, 13) != NB_OK)
        return -1;
    test_render_config(&f->cfg); /* shipped defaults, thresholds 0 */
    f->cfg.edge.importance_threshold = 0.05;
    nb_render_params_from_config(&f->cfg, &f->p);
    *state = f;
    for (size_t i = 0; i < 3; i++)
        build(f, i, NULL);
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    for (size_t i = 0; i < 3; i++) {
        nb_scene_deinit(&f->scenes[i]);
        nb_model_deinit(&f->models[i]);
    }
    free(f);
    return 0;
}

static void test_layout_rects(void **state) {
    (void)state;
    nb_compare_layout l;
    assert_int_equal(nb_compare_layout_init(&l, 3, 3, W, H, 26), NB_OK);
    assert_int_equal(l.rows, 1);
    assert_int_equal(l.panel_w, 426);
    assert_int_equal(l.panel_h, 720);
    float r[4], fit[4];
    for (size_t i = 0; i < 3; i++) {
        nb_compare_panel_rect(&l, i, r);
        /* the 2 pixels the division leaves over are shared out as borders */
        assert_true(r[0] == 1.0f + 426.0f * (float)i);
        assert_true(r[1] == 0.0f && r[2] == r[0] + 426.0f && r[3] == 720.0f);
        nb_compare_fit_rect(&l, i, fit);
        assert_true(fit[0] == r[0] && fit[2] == r[2] && fit[3] == r[3]);
        assert_true(fit[1] == 26.0f);
        int box[4];
        nb_compare_panel_scissor(&l, i, box);
        assert_int_equal(box[0], (int)r[0]);
        assert_int_equal(box[1], H - (int)r[3]);
        assert_int_equal(box[2], 426);
        assert_int_equal(box[3], 720);
    }
    /* 5 panels in 3 columns: 2 rows, the last row's two panels centred */
    assert_int_equal(nb_compare_layout_init(&l, 5, 3, W, H, 0), NB_OK);
    assert_int_equal(l.rows, 2);
    assert_int_equal(l.panel_h, 360);
    nb_compare_panel_rect(&l, 3, r);
    assert_true(r[0] == 214.0f && r[1] == 360.0f);
    nb_compare_panel_rect(&l, 4, r);
    assert_true(r[0] == 640.0f && r[2] == 1066.0f);
    /* panels never overlap and stay inside the image */
    for (size_t i = 0; i < 5; i++) {
        float a[4];
        nb_compare_panel_rect(&l, i, a);
        assert_true(a[0] >= 0.0f && a[1] >= 0.0f && a[2] <= (float)W && a[3] <= (float)H);
        for (size_t j = i + 1; j < 5; j++) {
            float b[4];
            nb_compare_panel_rect(&l, j, b);
            bool apart = a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1];
            assert_true(apart);
        }
    }
    /* too small: the title band would leave no room */
    assert_int_equal(nb_compare_layout_init(&l, 3, 3, 60, 40, 36), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "--size");
    assert_int_equal(nb_compare_layout_init(&l, 0, 1, W, H, 0), NB_E_INVALID);
    assert_int_equal(nb_compare_layout_init(&l, 2, 3, W, H, 0), NB_E_INVALID);
}

/* The pixel box of scene s's drawn geometry under cam (false when nothing is drawn). */
static bool drawn_box(const nb_scene *s, const nb_render_params *p, const nb_camera *cam,
                      float box[4]) {
    nb_camera_extent e;
    nb_camera_extent_begin(&e, cam, (float)W, (float)H);
    nb_scene_bound_drawn(s, p, NULL, &e);
    return nb_camera_extent_pixels(&e, cam, (float)W, (float)H, box);
}

/* Every panel: the same pose, distance and fov; its network's drawn extent inside its fit
 * rectangle minus the margin; the union touches panel 0's rectangle where the fit binds. */
static void check_shared_camera(const fixture *f, const nb_compare_layout *l, const nb_camera *cam0,
                                bool touches) {
    float union_box[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < l->n; i++) {
        nb_camera cam;
        nb_compare_panel_camera(l, cam0, i, &cam);
        assert_true(cam.distance == cam0->distance);
        assert_true(cam.fov_degrees == cam0->fov_degrees);
        assert_true(cam.yaw == cam0->yaw && cam.pitch == cam0->pitch);
        for (int k = 0; k < 3; k++)
            assert_true(cam.target[k] == cam0->target[k]);
        float fit[4], box[4];
        nb_compare_fit_rect(l, i, fit);
        const float mx = f->p.camera_margin * (fit[2] - fit[0]);
        const float my = f->p.camera_margin * (fit[3] - fit[1]);
        assert_true(drawn_box(f->ptr[i], &f->p, &cam, box));
        if (!(box[0] >= fit[0] + mx - 0.5f && box[2] <= fit[2] - mx + 0.5f &&
              box[1] >= fit[1] + my - 0.5f && box[3] <= fit[3] - my + 0.5f))
            fail_msg("panel %zu: drawing %.1f %.1f %.1f %.1f outside %.1f %.1f %.1f %.1f", i,
                     (double)box[0], (double)box[1], (double)box[2], (double)box[3],
                     (double)(fit[0] + mx), (double)(fit[1] + my), (double)(fit[2] - mx),
                     (double)(fit[3] - my));
        /* in panel 0's coordinates, for the union */
        float r0[4];
        nb_compare_fit_rect(l, 0, r0);
        union_box[0] = fminf(union_box[0], box[0] - fit[0] + r0[0]);
        union_box[1] = fminf(union_box[1], box[1] - fit[1] + r0[1]);
        union_box[2] = fmaxf(union_box[2], box[2] - fit[0] + r0[0]);
        union_box[3] = fmaxf(union_box[3], box[3] - fit[1] + r0[1]);
    }
    if (!touches)
        return;
    float r0[4];
    nb_compare_fit_rect(l, 0, r0);
    const float mx = f->p.camera_margin * (r0[2] - r0[0]);
    const float my = f->p.camera_margin * (r0[3] - r0[1]);
    bool horizontal =
        fabsf(union_box[0] - (r0[0] + mx)) < 1.5f && fabsf(union_box[2] - (r0[2] - mx)) < 1.5f;
    bool vertical =
        fabsf(union_box[1] - (r0[1] + my)) < 1.5f && fabsf(union_box[3] - (r0[3] - my)) < 1.5f;
    if (!horizontal && !vertical)
        fail_msg("the union %.1f %.1f %.1f %.1f does not fill %.1f %.1f %.1f %.1f",
                 (double)union_box[0], (double)union_box[1], (double)union_box[2],
                 (double)union_box[3], (double)(r0[0] + mx), (double)(r0[1] + my),
                 (double)(r0[2] - mx), (double)(r0[3] - my));
}

static void test_shared_camera(void **state) {
    fixture *f = *state;
    for (int pose = 0; pose < NB_CAMERA_POSES; pose++) {
        nb_camera cam;
        nb_camera_init(&cam, f->scenes[1].node_bbox_min, f->scenes[1].node_bbox_max,
                       f->p.fov_degrees, pose);
        nb_compare_layout l;
        assert_int_equal(nb_compare_layout_init(&l, 3, 3, W, H, 26), NB_OK);
        assert_true(nb_compare_frame(f->ptr, 3, &f->p, &l, &cam));
        check_shared_camera(f, &l, &cam, true);
    }
    /* nothing drawn: false, camera unchanged */
    nb_render_params hidden = f->p;
    hidden.node_pass.pipeline = NB_PIPELINE_NONE;
    hidden.edge_pass.pipeline = NB_PIPELINE_NONE;
    nb_camera cam, before;
    nb_camera_init(&cam, f->scenes[0].node_bbox_min, f->scenes[0].node_bbox_max, 30.0f, 8);
    before = cam;
    nb_compare_layout l;
    assert_int_equal(nb_compare_layout_init(&l, 2, 2, W, H, 0), NB_OK);
    assert_false(nb_compare_frame(f->ptr, 2, &hidden, &l, &cam));
    assert_memory_equal(&cam, &before, sizeof cam);
}

static void test_shared_camera_orbit(void **state) {
    fixture *f = *state;
    nb_camera cam;
    nb_camera_init(&cam, f->scenes[1].node_bbox_min, f->scenes[1].node_bbox_max, f->p.fov_degrees,
                   6);
    nb_compare_layout l;
    assert_int_equal(nb_compare_layout_init(&l, 3, 2, W, H, 26), NB_OK);
    assert_true(nb_compare_frame_orbit(f->ptr, 3, &f->p, &l, 24, &cam));
    for (int k = 0; k < 24; k++) {
        nb_camera c = cam;
        nb_camera_orbit(&c, 15.0f * (float)k, 0.0f);
        check_shared_camera(f, &l, &c, false);
    }
}

/* The chosen grid draws largest: no other grid frames the union at a smaller distance by more
 * than the 1 % tie margin, and the camera is that grid's framing. */
static void test_choose_grid(void **state) {
    fixture *f = *state;
    const int sizes[3][2] = {{1280, 720}, {720, 1280}, {2400, 500}};
    for (int s = 0; s < 3; s++) {
        const int w = sizes[s][0], h = sizes[s][1];
        nb_camera start;
        nb_camera_init(&start, f->scenes[1].node_bbox_min, f->scenes[1].node_bbox_max,
                       f->p.fov_degrees, 8);
        nb_compare_layout l;
        nb_camera cam = start;
        assert_int_equal(nb_compare_choose(f->ptr, 3, &f->p, w, h, 20, 0, &l, &cam), NB_OK);
        for (int cols = 1; cols <= 3; cols++) {
            nb_compare_layout cand;
            assert_int_equal(nb_compare_layout_init(&cand, 3, cols, w, h, 20), NB_OK);
            nb_camera c = start;
            assert_true(nb_compare_frame(f->ptr, 3, &f->p, &cand, &c));
            assert_true(cam.distance <= 1.0101f * c.distance);
            if (cols == l.cols)
                assert_true(fabsf(c.distance - cam.distance) <= 1e-6f * c.distance);
        }
    }
    /* a very wide image: one row; a very tall one: one column */
    nb_compare_layout l;
    nb_camera cam;
    nb_camera_init(&cam, f->scenes[1].node_bbox_min, f->scenes[1].node_bbox_max, f->p.fov_degrees,
                   8);
    assert_int_equal(nb_compare_choose(f->ptr, 3, &f->p, 2400, 500, 20, 0, &l, &cam), NB_OK);
    assert_int_equal(l.rows, 1);
    nb_camera_init(&cam, f->scenes[1].node_bbox_min, f->scenes[1].node_bbox_max, f->p.fov_degrees,
                   8);
    assert_int_equal(nb_compare_choose(f->ptr, 3, &f->p, 500, 2400, 20, 0, &l, &cam), NB_OK);
    assert_int_equal(l.cols, 1);
    /* --columns fixes the grid */
    assert_int_equal(nb_compare_choose(f->ptr, 3, &f->p, 2400, 500, 20, 2, &l, &cam), NB_OK);
    assert_int_equal(l.cols, 2);
    assert_int_equal(l.rows, 2);
    /* no grid fits */
    assert_int_equal(nb_compare_choose(f->ptr, 3, &f->p, 20, 20, 20, 0, &l, &cam), NB_E_INVALID);
}

static void test_titles(void **state) {
    (void)state;
    char t[NB_COMPARE_TITLE_MAX];
    nb_compare_title_of("out/untrained.nnb.h5", t, sizeof t);
    assert_string_equal(t, "untrained");
    nb_compare_title_of("b.h5", t, sizeof t);
    assert_string_equal(t, "b");
    nb_compare_title_of("/x/y/net.v2.png", t, sizeof t);
    assert_string_equal(t, "net.v2");
    nb_compare_title_of(".hidden", t, sizeof t);
    assert_string_equal(t, ".hidden");
    nb_compare_title_of("plain", t, sizeof t);
    assert_string_equal(t, "plain");

    char titles[4][NB_COMPARE_TITLE_MAX];
    assert_int_equal(nb_compare_split_titles(" untrained , trained,L1 ", titles, 4), 3);
    assert_string_equal(titles[0], "untrained");
    assert_string_equal(titles[1], "trained");
    assert_string_equal(titles[2], "L1");
    assert_int_equal(nb_compare_split_titles("a,,c", titles, 4), 3);
    assert_string_equal(titles[1], "");
    assert_int_equal(nb_compare_split_titles("", titles, 4), 1);
    assert_int_equal(nb_compare_split_titles("1,2,3,4,5,6", titles, 4), 6);
    assert_string_equal(titles[3], "4");

    /* overlay text: centred in each title band, cut to the panel width, none for "" */
    nb_font_face face;
    assert_int_equal(nb_font_face_init(&face, NULL, 16.0f), NB_OK);
    nb_compare_layout l;
    assert_int_equal(nb_compare_layout_init(&l, 3, 3, 600, 300, 26), NB_OK);
    const char *names[3] = {"short", "", "a title far too long for a panel of two hundred px"};
    const float rgba[4] = {0.0f, 0.0f, 0.0f, 1.0f};
    nb_overlay_buffer buf = {0};
    nb_rect rects[3];
    assert_int_equal(nb_compare_titles_build(&l, &face, names, rgba, &buf, rects), NB_OK);
    assert_true(buf.n > 0 && buf.n % 3 == 0);
    for (size_t i = 0; i < 3; i++) {
        float r[4];
        nb_compare_panel_rect(&l, i, r);
        if (i == 1) {
            assert_true(rects[i].x1 <= rects[i].x0);
            continue;
        }
        assert_true(rects[i].x0 >= r[0] && rects[i].x1 <= r[2]);
        assert_true(rects[i].y0 >= r[1] && rects[i].y1 <= r[1] + 26.0f + 0.5f);
        float centre = 0.5f * (rects[i].x0 + rects[i].x1);
        assert_true(fabsf(centre - 0.5f * (r[0] + r[2])) <= 1.0f);
    }
    /* every vertex lies in a title band */
    for (size_t v = 0; v < buf.n; v++) {
        float y = buf.v[v * NB_OVERLAY_VERTEX_FLOATS + 1];
        assert_true(y >= 0.0f && y <= 26.0f);
    }
    free(buf.v);
    /* no titles at all with a zero band */
    assert_int_equal(nb_compare_layout_init(&l, 3, 3, 600, 300, 0), NB_OK);
    nb_overlay_buffer none = {0};
    assert_int_equal(nb_compare_titles_build(&l, &face, names, rgba, &none, rects), NB_OK);
    assert_int_equal(none.n, 0);
    nb_font_face_deinit(&face);
}

static void test_classes(void **state) {
    fixture *f = *state;
    const char *paths[3] = {"a.nnb.h5", "b.nnb.h5", "c.nnb.h5"};
    size_t from = 99;
    char warn[512];
    /* the fixture's classes are named "class 0".. in every file: they agree */
    assert_int_equal(nb_compare_classes(f->ptr, 3, paths, &from, warn, sizeof warn), NB_OK);
    assert_int_equal(from, 0);
    assert_string_equal(warn, "");
    /* plain indices (nnbundle random) agree with names; the legend takes the named file's */
    nb_scene a = f->scenes[0], b = f->scenes[1];
    char n0[] = "0", n1[] = "1", n2[] = "2", o0[] = "class 0", o1[] = "Dress", o2[] = "class 2";
    char *plain[3] = {n0, n1, n2}, *other[3] = {o0, o1, o2};
    a.class_names = plain;
    const nb_scene *ab[2] = {&a, &b};
    assert_int_equal(nb_compare_classes(ab, 2, paths, &from, warn, sizeof warn), NB_OK);
    assert_int_equal(from, 1);
    assert_string_equal(warn, "");
    /* two named files that differ: a warning naming the file and the class */
    a.class_names = other;
    assert_int_equal(nb_compare_classes(ab, 2, paths, &from, warn, sizeof warn), NB_OK);
    assert_int_equal(from, 0);
    assert_non_null(strstr(warn, "b.nnb.h5 names class 1 'class 1'"));
    assert_non_null(strstr(warn, "'Dress'"));
    /* another class count: an error naming the file */
    b.n_classes = 2;
    assert_int_equal(nb_compare_classes(ab, 2, paths, &from, warn, sizeof warn), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "b.nnb.h5");
    assert_non_null(strstr(nb_error_message(), "2 classes, a.nnb.h5 has 3"));
}

static void test_shared_scale(void **state) {
    fixture *f = *state;
    const char *paths[3] = {"a.nnb.h5", "b.nnb.h5", "c.nnb.h5"};
    nb_compare_scale sh;
    /* layers differ (c has 3): an error naming c */
    assert_int_equal(nb_compare_shared_scale(f->ptr, 3, paths, &sh), NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "c.nnb.h5");
    assert_null(sh.data);
    assert_int_equal(nb_compare_shared_scale(f->ptr, 2, paths, &sh), NB_OK);
    nb_scene_scale s0, s1;
    nb_scene_query_scale(&f->scenes[0], &s0);
    nb_scene_query_scale(&f->scenes[1], &s1);
    for (size_t l = 0; l < 4; l++) {
        assert_true(sh.scale.node_norm[l] == fmaxf(s0.node_norm[l], s1.node_norm[l]));
        assert_true(sh.scale.node_a0[l] == fmaxf(s0.node_a0[l], s1.node_a0[l]));
    }
    for (size_t l = 0; l < 3; l++) {
        assert_true(sh.scale.seg_iota[l] == fmaxf(s0.seg_iota[l], s1.seg_iota[l]));
        assert_true(sh.scale.seg_cull[l] == fmaxf(s0.seg_cull[l], s1.seg_cull[l]));
    }
    /* a scene built on its own divisors is the scene built without: the override is exact */
    float *own = malloc(sizeof(float) * (2 * 4 + 3 * 3));
    assert_non_null(own);
    memcpy(own, s0.node_norm, 4 * sizeof(float));
    memcpy(own + 4, s0.node_a0, 4 * sizeof(float));
    memcpy(own + 8, s0.seg_iota, 3 * sizeof(float));
    memcpy(own + 11, s0.seg_cull, 3 * sizeof(float));
    memcpy(own + 14, s0.seg_a0, 3 * sizeof(float));
    nb_scene_scale same = {4, own, own + 4, own + 8, own + 11, own + 14};
    nb_scene plain = f->scenes[0];
    memset(&f->scenes[0], 0, sizeof f->scenes[0]);
    build(f, 0, &same);
    assert_int_equal(f->scenes[0].n_segments, plain.n_segments);
    assert_memory_equal(f->scenes[0].nodes, plain.nodes,
                        plain.n_nodes * NB_SCENE_NODE_FLOATS * sizeof(float));
    assert_memory_equal(f->scenes[0].segments, plain.segments,
                        plain.n_segments * NB_SCENE_SEGMENT_FLOATS * sizeof(float));
    /* on the shared scale: the scene's divisors are the shared ones, its values are the raw
     * values over them (capped at 1), so they are never above its own display values */
    build(f, 0, &sh.scale);
    nb_scene_scale got;
    nb_scene_query_scale(&f->scenes[0], &got);
    for (size_t l = 0; l < 4; l++)
        assert_true(got.node_norm[l] == sh.scale.node_norm[l]);
    for (size_t l = 0; l < 3; l++)
        assert_true(got.seg_cull[l] == sh.scale.seg_cull[l]);
    float max_shared = 0.0f, max_own = 0.0f;
    for (size_t i = 0; i < plain.n_nodes; i++) {
        max_shared = fmaxf(max_shared, f->scenes[0].nodes[i * NB_SCENE_NODE_FLOATS + 3]);
        max_own = fmaxf(max_own, plain.nodes[i * NB_SCENE_NODE_FLOATS + 3]);
    }
    assert_true(max_shared <= max_own);
    nb_scene_deinit(&plain);
    /* a scale for another layer count is refused */
    nb_scene_desc d = {0};
    nb_scene_desc_from_config(&f->cfg, &d);
    d.scale = &sh.scale;
    nb_scene s;
    assert_int_equal(nb_scene_build(&f->models[2], &d, "c.nnb.h5", &s), NB_E_MISMATCH);
    build(f, 0, NULL);
    free(own);
    nb_compare_scale_deinit(&sh);
    nb_compare_scale_deinit(&sh); /* twice: a no-op */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_rects),
        cmocka_unit_test_setup_teardown(test_shared_camera, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_camera_orbit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_choose_grid, setup, teardown),
        cmocka_unit_test(test_titles),
        cmocka_unit_test_setup_teardown(test_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_scale, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
