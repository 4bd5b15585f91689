/* test_render_golden.c - golden images: a tiny fixed network in every node mode, edge mode,
 * transparency mode, shading and class view, the defaults and the reference's look, each
 * framed by the default camera fit, compared with committed PNGs in tests/golden/.
 *
 * Tolerance: a pixel matches when every channel differs by at most 8 (of 255); an image
 * matches when at least 99.5 % of its pixels match. llvmpipe output is bit-identical across
 * SDL offscreen / Xvfb and loaders on one machine but may shift by a few
 * levels with another Mesa/LLVM version or SIMD width, hence the tolerance.
 * On a mismatch the rendered image is written next to the test binary as
 * golden_actual_<name>.png for inspection.
 * Regenerate (after an intended visual change, check the new images by eye):
 *     NB_UPDATE_GOLDEN=1 ctest --test-dir build -R test_render_golden
 * which rewrites tests/golden/render_<name>.png in the source tree (NB_SOURCE_DIR).
 */

#include "nb_camera.h"
#include "nb_renderer.h"
#include "nb_scene.h"
#include "nb_screenshot.h"
#include "nb_test.h"
#include "nb_window.h"
#include "test_render_fixture.h"

#define W              160
#define H              120
#define PIXEL_TOL      8
#define MATCH_FRACTION 0.995

static nb_window g_window;
static nb_renderer g_renderer;
static nb_model g_model;

static int group_setup(void **state) {
    (void)state;
    static const size_t sizes[4] = {9, 4, 4, 3};
    if (test_make_model(&g_model, sizes, 4, 7, true, 2024) != NB_OK)
        return -1;
    if (nb_window_open(&g_window, "test_render_golden", 64, 64, false) != NB_OK ||
        nb_renderer_load(&g_renderer, W, H) != NB_OK) {
        fprintf(stderr, "GL setup: %s\n", nb_error_message());
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    nb_renderer_unload(&g_renderer);
    nb_window_close(&g_window);
    nb_model_deinit(&g_model);
    return 0;
}

typedef struct golden_case {
    const char *name;
    int edge_mode, node_mode, transparency, class_view, class_index, pose;
    double background;
    bool legend;
    double edge_size, node_size; /* 0: the default */
    bool reference;              /* configs/rendering_reference.json's values (raw importance,
                                  * phong, contrast 1, fov 45) under the given modes */
    int shading;                 /* -1: the default */
} golden_case;

/* Each case starts from the shipped defaults (test_render_config: thresholds 0, legend off),
 * sets the fields, then the edge threshold 0.05 (a few culled edges); the camera is the
 * default framing (nb_scene_frame) from the case's pose. */
static const golden_case cases[] = {
    /* the defaults: ellipsoid edges, opaque soft nodes, WBOIT, all classes, the side pose */
    {"default", NB_EDGE_ELLIPSOID_TRANSPARENT, NB_NODE_SPHERE, NB_TRANSPARENCY_WBOIT,
     NB_CLASS_VIEW_ALL, 0, 8, 1.0, true, 0, 0, false, -1},
    /* the reference's look: transparent nodes, MIN/MAX, raw importance, phong, pose 6 */
    {"reference", NB_EDGE_ELLIPSOID_TRANSPARENT, NB_NODE_SPHERE_TRANSPARENT, NB_TRANSPARENCY_MINMAX,
     NB_CLASS_VIEW_ALL, 0, 6, 1.0, true, 0, 0.04, true, -1},
    {"edge_sphere", NB_EDGE_SPHERE, NB_NODE_HIDDEN, NB_TRANSPARENCY_MINMAX, NB_CLASS_VIEW_ALL, 0, 6,
     1.0, false, 0.05, 0, false, -1},
    {"edge_sphere_transparent", NB_EDGE_SPHERE_TRANSPARENT, NB_NODE_HIDDEN, NB_TRANSPARENCY_MINMAX,
     NB_CLASS_VIEW_ALL, 0, 6, 1.0, false, 0.05, 0, false, -1},
    {"edge_line", NB_EDGE_LINE, NB_NODE_HIDDEN, NB_TRANSPARENCY_MINMAX, NB_CLASS_VIEW_ALL, 0, 1,
     1.0, false, 0, 0, false, -1},
    {"edge_ellipsoid_independent", NB_EDGE_ELLIPSOID_TRANSPARENT, NB_NODE_HIDDEN,
     NB_TRANSPARENCY_MINMAX, NB_CLASS_VIEW_INDEPENDENT, 0, 1, 1.0, false, 0, 0, false, -1},
    {"node_sphere", NB_EDGE_HIDDEN, NB_NODE_SPHERE, NB_TRANSPARENCY_MINMAX, NB_CLASS_VIEW_ALL, 0, 3,
     1.0, false, 0, 0.1, false, -1},
    {"node_sphere_phong", NB_EDGE_HIDDEN, NB_NODE_SPHERE, NB_TRANSPARENCY_MINMAX, NB_CLASS_VIEW_ALL,
     0, 3, 1.0, false, 0, 0.1, false, NB_SHADING_PHONG},
    {"node_sphere_transparent", NB_EDGE_HIDDEN, NB_NODE_SPHERE_TRANSPARENT, NB_TRANSPARENCY_MINMAX,
     NB_CLASS_VIEW_ALL, 0, 3, 1.0, false, 0, 0.1, false, -1},
    {"node_point", NB_EDGE_HIDDEN, NB_NODE_POINT, NB_TRANSPARENCY_MINMAX, NB_CLASS_VIEW_ALL, 0, 3,
     1.0, false, 0, 0, false, -1},
    {"wboit_dark", NB_EDGE_ELLIPSOID_TRANSPARENT, NB_NODE_SPHERE_TRANSPARENT, NB_TRANSPARENCY_WBOIT,
     NB_CLASS_VIEW_ALL, 0, 6, 0.0, true, 0, 0, false, -1},
    /* class view: class colour faded towards the background in every kind of pass */
    {"class_one_mixed", NB_EDGE_ELLIPSOID_TRANSPARENT, NB_NODE_SPHERE, NB_TRANSPARENCY_WBOIT,
     NB_CLASS_VIEW_ONE, 2, 5, 1.0, true, 0, 0, false, -1},
    {"class_one_line", NB_EDGE_LINE, NB_NODE_POINT, NB_TRANSPARENCY_WBOIT, NB_CLASS_VIEW_ONE, 2, 8,
     1.0, false, 0, 0, false, -1},
    {"class_one_minmax", NB_EDGE_ELLIPSOID_TRANSPARENT, NB_NODE_SPHERE_TRANSPARENT,
     NB_TRANSPARENCY_MINMAX, NB_CLASS_VIEW_ONE, 1, 8, 1.0, false, 0, 0, false, -1},
};

static void render_case(const golden_case *c, unsigned char *rgb) {
    nb_rendering_config cfg;
    test_render_config(&cfg);
    if (c->reference) {
        cfg.importance_normalization = NB_NORMALIZE_NONE;
        cfg.shading = NB_SHADING_PHONG;
        cfg.class_contrast = 1.0;
        cfg.fov_degrees = 45.0;
    }
    if (c->shading >= 0)
        cfg.shading = c->shading;
    cfg.edge.mode = c->edge_mode;
    cfg.node.mode = c->node_mode;
    cfg.transparency = c->transparency;
    cfg.class_view = c->class_view;
    cfg.class_index = c->class_index;
    cfg.background[0] = cfg.background[1] = cfg.background[2] = c->background;
    cfg.show_legend = c->legend;
    cfg.edge.importance_threshold = 0.05; /* some edges culled: exercises the threshold */
    if (c->edge_size > 0)
        cfg.edge.size = c->edge_size;
    if (c->node_size > 0)
        cfg.node.size = c->node_size;
    nb_scene_desc desc = {0};
    nb_scene_desc_from_config(&cfg, &desc);
    nb_scene scene;
    assert_int_equal(nb_scene_build(&g_model, &desc, "golden.nnb.h5", &scene), NB_OK);
    nb_render_params p;
    nb_render_params_from_config(&cfg, &p);
    nb_camera cam;
    nb_camera_init(&cam, scene.node_bbox_min, scene.node_bbox_max, p.fov_degrees, c->pose);
    assert_true(nb_scene_frame(&scene, &p, (float)W, (float)H, NULL, &cam));
    assert_int_equal(nb_renderer_upload(&g_renderer, &scene), NB_OK);
    assert_int_equal(nb_renderer_draw(&g_renderer, &scene, &p, &cam), NB_OK);
    assert_int_equal(nb_renderer_read_pixels(&g_renderer, 3, rgb), NB_OK);
    nb_scene_deinit(&scene);
}

static void golden_path(const golden_case *c, char *out, size_t n) {
    char rel[256];
    snprintf(rel, sizeof rel, "tests/golden/render_%s.png", c->name);
    nb_test_source_path(out, n, rel);
}

static void test_golden_images(void **state) {
    (void)state;
    static unsigned char rgb[W * H * 3];
    const bool update = getenv("NB_UPDATE_GOLDEN") && getenv("NB_UPDATE_GOLDEN")[0] == '1';
    int failures = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const golden_case *c = &cases[k];
        render_case(c, rgb);
        const unsigned char white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
        /* every case draws something */
        size_t drawn = test_count_non_background(rgb, W, H, c->background > 0.5 ? white : black, 8);
        if (drawn < (size_t)(W * H) / 100) {
            fprintf(stderr, "%s: only %zu pixels drawn\n", c->name, drawn);
            failures++;
        }
        char path[2048];
        golden_path(c, path, sizeof path);
        if (update) {
            assert_int_equal(nb_screenshot_write_png(path, rgb, W, H), NB_OK);
            fprintf(stderr, "updated %s\n", path);
            continue;
        }
        unsigned char *ref = NULL;
        int w = 0, h = 0;
        if (nb_screenshot_read_png(path, &ref, &w, &h) != NB_OK) {
            fprintf(stderr, "%s: %s (regenerate with NB_UPDATE_GOLDEN=1)\n", c->name,
                    nb_error_message());
            failures++;
            continue;
        }
        double frac =
            w == W && h == H ? test_match_fraction(rgb, ref, (size_t)W * H, PIXEL_TOL) : 0.0;
        free(ref);
        if (frac < MATCH_FRACTION) {
            char actual[256];
            snprintf(actual, sizeof actual, "golden_actual_%s.png", c->name);
            (void)nb_screenshot_write_png(actual, rgb, W, H);
            fprintf(stderr, "%s: %.2f %% of pixels within %d levels (need %.1f %%); wrote %s\n",
                    c->name, 100.0 * frac, PIXEL_TOL, 100.0 * MATCH_FRACTION, actual);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The comparison is able to fail: different modes do not match each other's references. */
static void test_comparison_detects_changes(void **state) {
    (void)state;
    static unsigned char a[W * H * 3], b[W * H * 3];
    render_case(&cases[0], a);
    golden_case moved = cases[0];
    moved.pose = 5;
    render_case(&moved, b);
    assert_true(test_match_fraction(a, b, (size_t)W * H, PIXEL_TOL) < MATCH_FRACTION);
    render_case(&cases[2], a);
    render_case(&cases[3], b); /* opaque vs transparent spheres */
    assert_true(test_match_fraction(a, b, (size_t)W * H, PIXEL_TOL) < MATCH_FRACTION);
    /* a one-level shift everywhere is within tolerance */
    memcpy(b, a, sizeof a);
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (unsigned char)(b[i] > 250 ? b[i] - 5 : b[i] + 5);
    assert_true(test_match_fraction(a, b, (size_t)W * H, PIXEL_TOL) >= 0.999);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_images),
        cmocka_unit_test(test_comparison_detects_changes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
