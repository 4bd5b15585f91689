/* test_render_params.c - rendering config -> uniforms, pass states, opacity, depth range. */

#include "nb_camera.h"
#include "nb_config.h"
#include "nb_palette.h"
#include "nb_render_params.h"
#include "nb_test.h"

static void test_defaults_map_to_uniforms(void **state) {
    (void)state;
    nb_rendering_config cfg;
    nb_config_defaults(&nb_rendering_schema, &cfg);
    nb_render_params p;
    nb_render_params_from_config(&cfg, &p);
    /* method.md §5.7 opacity parameters; nnbundle's display-scale thresholds, sizes and modes */
    nb_assert_near(p.edge.size, 0.02f, 1e-7f);
    nb_assert_near(p.edge.importance_opacity, 1.1f, 1e-7f);
    nb_assert_near(p.edge.depth_opacity, 0.5f, 1e-7f);
    nb_assert_near(p.edge.depth_exponent, 0.25f, 1e-7f);
    nb_assert_near(p.edge.importance_threshold, 0.3f, 1e-7f);
    nb_assert_near(p.edge.base_opacity, 0.0f, 0.0f);
    nb_assert_near(p.node.size, 0.06f, 1e-7f);
    nb_assert_near(p.node.importance_opacity, 1.0f, 0.0f);
    nb_assert_near(p.node.depth_exponent, 0.5f, 1e-7f);
    nb_assert_near(p.node.importance_threshold, 0.05f, 1e-7f);
    assert_int_equal(p.transparency, NB_TRANSPARENCY_WBOIT);
    assert_int_equal(p.edge_pass.pipeline, NB_PIPELINE_ELLIPSOID);
    assert_int_equal(p.edge_pass.output, NB_OUTPUT_WBOIT);
    assert_int_equal(p.node_pass.pipeline, NB_PIPELINE_SPHERE);
    assert_int_equal(p.node_pass.output, NB_OUTPUT_OPAQUE);
    assert_int_equal(p.shading, NB_SHADING_SOFT);
    for (int i = 0; i < 3; i++) {
        nb_assert_near(p.background[i], 1.0f, 0.0f);
        nb_assert_near(p.foreground[i], 0.0f, 0.0f);
    }
    nb_assert_near(p.fov_degrees, 30.0f, 0.0f);
    nb_assert_near(p.orbit_speed_degrees, 0.5f, 0.0f);
    assert_true(p.show_legend);
    assert_false(p.fade_opaque); /* class view "all" */
    assert_true(p.camera_fit);
    nb_assert_near(p.camera_margin, 0.03f, 1e-7f);
    cfg.class_view = NB_CLASS_VIEW_ONE;
    nb_render_params_from_config(&cfg, &p);
    assert_true(p.fade_opaque);
    cfg.class_view = NB_CLASS_VIEW_INDEPENDENT;
    nb_render_params_from_config(&cfg, &p);
    assert_true(p.fade_opaque);
}

/* configs/rendering_reference.json restores the reference's values (method.md §5.7, README edge
 * threshold 0.1) and switches off every nnbundle addition. */
static void test_reference_profile(void **state) {
    (void)state;
    char path[4096];
    nb_test_source_path(path, sizeof path, "configs/rendering_reference.json");
    nb_rendering_config cfg;
    nb_config_defaults(&nb_rendering_schema, &cfg);
    if (nb_config_load(&nb_rendering_schema, path, &cfg) != NB_OK)
        fail_msg("%s", nb_error_message());
    assert_int_equal(cfg.importance_normalization, NB_NORMALIZE_NONE);
    assert_int_equal(cfg.shading, NB_SHADING_PHONG);
    assert_int_equal(cfg.camera_pose, 6);
    assert_false(cfg.camera_fit);
    nb_assert_near((float)cfg.class_contrast, 1.0f, 0.0f);
    nb_render_params p;
    nb_render_params_from_config(&cfg, &p);
    nb_assert_near(p.edge.importance_threshold, 0.1f, 1e-7f);
    nb_assert_near(p.node.importance_threshold, 0.01f, 1e-7f);
    nb_assert_near(p.node.size, 0.04f, 1e-7f);
    nb_assert_near(p.fov_degrees, 45.0f, 0.0f);
    assert_int_equal(p.transparency, NB_TRANSPARENCY_MINMAX);
    assert_int_equal(p.edge_pass.output, NB_OUTPUT_MINMAX);
    assert_int_equal(p.node_pass.output, NB_OUTPUT_MINMAX);
    assert_int_equal(p.shading, NB_SHADING_PHONG);
}

static void test_fade_and_premix(void **state) {
    (void)state;
    const float white[3] = {1, 1, 1}, grey[3] = {0.5f, 0.6f, 0.7f}, black[3] = {0, 0, 0};
    const float *bgs[3] = {white, grey, black};
    float pal[3], out[3];
    for (size_t c = 0; c < 12; c++) {
        nb_palette_color(c, pal);
        for (int b = 0; b < 3; b++) {
            const float *bg = bgs[b];
            for (int k = 0; k <= 10; k++) {
                float a0 = (float)k / 10.0f;
                nb_render_fade(bg, pal, a0, out);
                for (int i = 0; i < 3; i++) {
                    /* between the background and the class colour: never darker than both */
                    float lo = fminf(bg[i], pal[i]), hi = fmaxf(bg[i], pal[i]);
                    assert_true(out[i] >= lo - 1e-6f && out[i] <= hi + 1e-6f);
                    nb_assert_near(out[i], bg[i] + (pal[i] - bg[i]) * a0, 1e-6f);
                }
            }
            nb_render_fade(bg, pal, -1.0f, out); /* clamped: the background */
            for (int i = 0; i < 3; i++)
                nb_assert_near(out[i], bg[i], 0.0f);
            nb_render_fade(bg, pal, 3.0f, out); /* clamped: the class colour */
            for (int i = 0; i < 3; i++)
                nb_assert_near(out[i], pal[i], 1e-6f);
        }
    }
    /* minmax pre-mix: towards the background (white = the reference's rgb a + 1 - a) */
    nb_palette_color(7, pal);
    nb_render_minmax_premix(white, pal, 0.25f, out);
    for (int i = 0; i < 3; i++)
        nb_assert_near(out[i], pal[i] * 0.25f + 0.75f, 1e-6f);
    nb_render_minmax_premix(grey, pal, 0.0f, out);
    for (int i = 0; i < 3; i++)
        nb_assert_near(out[i], grey[i], 0.0f);
}

static void test_values_are_clamped(void **state) {
    (void)state;
    nb_rendering_config cfg;
    nb_config_defaults(&nb_rendering_schema, &cfg);
    cfg.edge.size = 5.0;
    cfg.edge.base_opacity = -1.0;
    cfg.edge.importance_opacity = 3.0;
    cfg.edge.depth_opacity = NAN;
    cfg.edge.depth_exponent = 9.0;
    cfg.edge.importance_threshold = 2.0;
    cfg.node.size = -1.0;
    cfg.background[0] = 2.0;
    cfg.background[1] = -0.5;
    cfg.fov_degrees = 500.0;
    cfg.orbit_speed_degrees = -50.0;
    cfg.transparency = 7;
    cfg.edge.mode = 42;
    cfg.node.mode = -3;
    cfg.shading = 9;
    cfg.camera_margin = 3.0;
    nb_render_params p;
    nb_render_params_from_config(&cfg, &p);
    nb_assert_near(p.edge.size, 1.0f, 0.0f);
    nb_assert_near(p.edge.base_opacity, 0.0f, 0.0f);
    nb_assert_near(p.edge.importance_opacity, 2.0f, 0.0f);
    nb_assert_near(p.edge.depth_opacity, 0.0f, 0.0f);
    nb_assert_near(p.edge.depth_exponent, 4.0f, 0.0f);
    nb_assert_near(p.edge.importance_threshold, 1.0f, 0.0f);
    assert_true(p.node.size > 0.0f && p.node.size < 1e-5f);
    nb_assert_near(p.background[0], 1.0f, 0.0f);
    nb_assert_near(p.background[1], 0.0f, 0.0f);
    assert_true(p.fov_degrees < 170.0f && p.fov_degrees > 169.0f);
    nb_assert_near(p.orbit_speed_degrees, -10.0f, 0.0f);
    assert_int_equal(p.transparency, NB_TRANSPARENCY_MINMAX);
    assert_int_equal(p.shading, NB_SHADING_SOFT);
    nb_assert_near(p.camera_margin, 0.45f, 0.0f);
    assert_int_equal(p.edge_pass.pipeline, NB_PIPELINE_ELLIPSOID); /* unknown -> default */
    assert_int_equal(p.node_pass.pipeline, NB_PIPELINE_SPHERE);
}

/* Mode names come from the key table: the benchmark's summary and --help print them. */
static void test_enum_names(void **state) {
    (void)state;
    assert_string_equal(nb_render_enum_name("edge_mode", NB_EDGE_LINE), "line");
    assert_string_equal(nb_render_enum_name("node_mode", NB_NODE_SPHERE_TRANSPARENT),
                        "sphere_transparent");
    assert_string_equal(nb_render_enum_name("transparency", NB_TRANSPARENCY_WBOIT), "wboit");
    assert_string_equal(nb_render_enum_name("class_view", NB_CLASS_VIEW_ONE), "class");
    assert_string_equal(nb_render_enum_name("class_view", 3), "?");
    assert_string_equal(nb_render_enum_name("class_view", -1), "?");
    assert_string_equal(nb_render_enum_name("class_index", 0), "?"); /* not an enum */
    assert_string_equal(nb_render_enum_name("no_such_key", 0), "?");
}

static void test_pass_states(void **state) {
    (void)state;
    for (int t = 0; t < 2; t++) {
        nb_output_mode tr = t ? NB_OUTPUT_WBOIT : NB_OUTPUT_MINMAX;
        nb_pass_state s = nb_render_edge_pass(NB_EDGE_ELLIPSOID_TRANSPARENT, t);
        assert_int_equal(s.pipeline, NB_PIPELINE_ELLIPSOID);
        assert_int_equal(s.output, tr);
        s = nb_render_edge_pass(NB_EDGE_SPHERE, t);
        assert_int_equal(s.pipeline, NB_PIPELINE_SPHERE);
        assert_int_equal(s.output, NB_OUTPUT_OPAQUE);
        s = nb_render_edge_pass(NB_EDGE_SPHERE_TRANSPARENT, t);
        assert_int_equal(s.pipeline, NB_PIPELINE_SPHERE);
        assert_int_equal(s.output, tr);
        s = nb_render_edge_pass(NB_EDGE_LINE, t);
        assert_int_equal(s.pipeline, NB_PIPELINE_LINE);
        assert_int_equal(s.output, NB_OUTPUT_OPAQUE);
        s = nb_render_edge_pass(NB_EDGE_HIDDEN, t);
        assert_int_equal(s.pipeline, NB_PIPELINE_NONE);
        s = nb_render_node_pass(NB_NODE_SPHERE_TRANSPARENT, t);
        assert_int_equal(s.pipeline, NB_PIPELINE_SPHERE);
        assert_int_equal(s.output, tr);
        s = nb_render_node_pass(NB_NODE_SPHERE, t);
        assert_int_equal(s.pipeline, NB_PIPELINE_SPHERE);
        assert_int_equal(s.output, NB_OUTPUT_OPAQUE);
        s = nb_render_node_pass(NB_NODE_POINT, t);
        assert_int_equal(s.pipeline, NB_PIPELINE_POINT);
        assert_int_equal(s.output, NB_OUTPUT_OPAQUE);
        s = nb_render_node_pass(NB_NODE_HIDDEN, t);
        assert_int_equal(s.pipeline, NB_PIPELINE_NONE);
    }
}

static void test_opacity_formula(void **state) {
    (void)state;
    nb_object_uniforms u = {.size = 0.02f,
                            .base_opacity = 0.0f,
                            .importance_opacity = 1.1f,
                            .depth_opacity = 0.5f,
                            .depth_exponent = 0.25f,
                            .importance_threshold = 0.1f};
    /* a = [(1-I) + I a0] [(1-D) + D z] [rho^g (1-B)] + B */
    float a = nb_render_opacity(&u, 0.8f, 0.5f, 0.25f);
    float expect = (-0.1f + 1.1f * 0.8f) * (0.5f + 0.5f * 0.25f) * powf(0.5f, 0.25f);
    nb_assert_near(a, expect, 1e-6f);
    /* I > 1 and small a0 give a negative alpha (the soft threshold of method.md §5.6) */
    assert_true(nb_render_opacity(&u, 0.05f, 1.0f, 1.0f) < 0.0f);
    /* rim (rho = 0) is transparent, centre of the nearest object at a0 = 1 is opaque */
    nb_assert_near(nb_render_opacity(&u, 1.0f, 0.0f, 1.0f), 0.0f, 1e-7f);
    nb_assert_near(nb_render_opacity(&u, 1.0f, 1.0f, 1.0f), 1.0f, 1e-6f);
    /* depth: farthest objects get (1 - D) of the nearest ones' opacity */
    nb_assert_near(nb_render_opacity(&u, 1.0f, 1.0f, 0.0f), 0.5f, 1e-6f);
    /* base opacity B lifts everything: rho = 0 -> B */
    u.base_opacity = 0.3f;
    nb_assert_near(nb_render_opacity(&u, 0.5f, 0.0f, 0.5f), 0.3f, 1e-6f);
    nb_assert_near(nb_render_opacity(&u, 1.0f, 1.0f, 1.0f), 1.0f * 1.0f * 0.7f + 0.3f, 1e-6f);
    /* exponent 0: thickness factor is 1 everywhere except exactly... 0^0 = 1 */
    u.base_opacity = 0.0f;
    u.depth_exponent = 0.0f;
    nb_assert_near(nb_render_opacity(&u, 1.0f, 0.01f, 1.0f), 1.0f, 1e-6f);
}

static void test_depth_range(void **state) {
    (void)state;
    const float bmin[3] = {-0.5f, -0.5f, -0.75f}, bmax[3] = {0.5f, 0.5f, 0.75f};
    nb_camera cam;
    nb_camera_init(&cam, bmin, bmax, 45.0f, 1); /* eye at (3.5, 0, 0) looking along -x */
    float view[16], zn, zf;
    nb_camera_view(&cam, view);
    nb_render_depth_range(bmin, bmax, view, &zn, &zf);
    /* view z = -(distance along -x) : nearest corner x = 0.5 -> -3.0; farthest -0.5 -> -4.0 */
    nb_assert_near(zn, -3.0f, 1e-5f);
    nb_assert_near(zf, -4.0f, 1e-5f);
    nb_assert_near(nb_render_depth_rel(-3.0f, zn, zf), 1.0f, 1e-6f);
    nb_assert_near(nb_render_depth_rel(-4.0f, zn, zf), 0.0f, 1e-6f);
    nb_assert_near(nb_render_depth_rel(-3.5f, zn, zf), 0.5f, 1e-6f);
    nb_assert_near(nb_render_depth_rel(-10.0f, zn, zf), 0.0f, 0.0f); /* clamped */
    nb_assert_near(nb_render_depth_rel(0.0f, zn, zf), 1.0f, 0.0f);
    nb_assert_near(nb_render_depth_rel(-1.0f, -2.0f, -2.0f), 1.0f, 0.0f); /* empty range */
    /* eye inside the box: z_near clamps to 0 */
    nb_camera_zoom(&cam, 40.0f); /* distance 3.5 * 0.9^40 = 0.052 */
    nb_camera_view(&cam, view);
    nb_render_depth_range(bmin, bmax, view, &zn, &zf);
    nb_assert_near(zn, 0.0f, 0.0f);
    nb_assert_near(zf, -(0.5f + cam.distance), 1e-5f); /* the corner at x = -0.5 */
    /* the network's box, not the processing grid: a 10-layer network spans z in [-2.25, 2.25];
     * seen from the side every layer gets its own relative depth in [0, 1] */
    const float big_min[3] = {-0.5f, -0.5f, -2.25f}, big_max[3] = {0.5f, 0.5f, 2.25f};
    nb_camera_init(&cam, big_min, big_max, 45.0f, 2); /* RIGHT: looks along -z */
    nb_camera_view(&cam, view);
    nb_render_depth_range(big_min, big_max, view, &zn, &zf);
    nb_assert_near(zn - zf, 4.5f, 1e-4f);
    float z_first = view[2] * 0 + view[6] * 0 + view[10] * -2.25f + view[14];
    float z_last = view[2] * 0 + view[6] * 0 + view[10] * 2.25f + view[14];
    nb_assert_near(nb_render_depth_rel(z_first, zn, zf), 0.0f, 1e-5f);
    nb_assert_near(nb_render_depth_rel(z_last, zn, zf), 1.0f, 1e-5f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_map_to_uniforms),
        cmocka_unit_test(test_reference_profile),
        cmocka_unit_test(test_fade_and_premix),
        cmocka_unit_test(test_values_are_clamped),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_pass_states),
        cmocka_unit_test(test_opacity_formula),
        cmocka_unit_test(test_depth_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
