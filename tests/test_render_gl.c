/* test_render_gl.c - headless rendering: non-blank output, node pixels where the camera
 * projects them, MIN/MAX order independence, WBOIT, framing of the drawn geometry for every
 * pose and aspect, the class view's fade in every mode, shader and screenshot errors. */
#include <sys/stat.h>
#include <unistd.h>

#include "nb_camera.h"
#include "nb_gl.h"
#include "nb_render_params.h"
#include "nb_renderer.h"
#include "nb_scene.h"
#include "nb_screenshot.h"
#include "nb_test.h"
#include "nb_window.h"
#include "test_render_fixture.h"

#define W 160
#define H 120

static nb_window g_window; /* one GL context for the whole group (setup/teardown) */

static int group_setup(void **state) {
    (void)state;
    if (nb_window_open(&g_window, "test_render_gl", 64, 64, false) != NB_OK) {
        fprintf(stderr, "cannot open a GL context: %s\n", nb_error_message());
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    nb_window_close(&g_window);
    return 0;
}

typedef struct rendered {
    unsigned char rgb[W * H * 3];
} rendered;

/* Renders model m with cfg from camera pose `pose` into out (W x H). */
static void render(const nb_model *m, const nb_rendering_config *cfg, bool reverse, int pose,
                   rendered *out, nb_camera *cam_out, nb_scene *scene_out) {
    nb_scene_desc desc = {0};
    nb_scene_desc_from_config(cfg, &desc);
    desc.reverse_segments = reverse;
    nb_scene scene;
    assert_int_equal(nb_scene_build(m, &desc, "fixture.nnb.h5", &scene), NB_OK);
    nb_render_params p;
    nb_render_params_from_config(cfg, &p);
    nb_camera cam;
    nb_camera_init(&cam, scene.bbox_min, scene.bbox_max, p.fov_degrees, pose);
    nb_renderer r;
    nb_status st = nb_renderer_load(&r, W, H);
    if (st != NB_OK)
        fail_msg("renderer load: %s", nb_error_message());
    assert_int_equal(nb_renderer_upload(&r, &scene), NB_OK);
    assert_int_equal(nb_renderer_draw(&r, &scene, &p, &cam), NB_OK);
    assert_int_equal(nb_renderer_read_pixels(&r, 3, out->rgb), NB_OK);
    nb_renderer_unload(&r);
    if (cam_out)
        *cam_out = cam;
    if (scene_out)
        *scene_out = scene;
    else
        nb_scene_deinit(&scene);
}

static const size_t sizes[3] = {4, 3, 2};

static void test_default_render_not_blank(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 5, true, 7), NB_OK);
    nb_rendering_config cfg;
    test_render_config(&cfg);
    static rendered img;
    render(&m, &cfg, false, 6, &img, NULL, NULL);
    const unsigned char white[3] = {255, 255, 255};
    size_t n = test_count_non_background(img.rgb, W, H, white, 8);
    /* a 9-node, 18-edge network fills a visible part of the frame, not all of it */
    assert_true(n > (size_t)(W * H) / 50);
    assert_true(n < (size_t)(W * H) * 9 / 10);
    /* PNG round trip through the screenshot writer */
    char path[] = "/tmp/nb_test_render_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(nb_screenshot_write_png(path, img.rgb, W, H), NB_OK);
    unsigned char *back = NULL;
    int w = 0, h = 0;
    assert_int_equal(nb_screenshot_read_png(path, &back, &w, &h), NB_OK);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    assert_memory_equal(back, img.rgb, sizeof img.rgb);
    free(back);
    remove(path);
    nb_model_deinit(&m);
}

static void test_node_pixels_at_projection(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 5, true, 3), NB_OK);
    nb_rendering_config cfg;
    test_render_config(&cfg);
    cfg.edge.mode = NB_EDGE_HIDDEN;
    cfg.node.mode = NB_NODE_SPHERE; /* opaque: every covered pixel is coloured */
    cfg.node.size = 0.05;
    static rendered img;
    nb_camera cam;
    nb_scene scene;
    render(&m, &cfg, false, 1, &img, &cam, &scene);
    const float pix_per_unit_at_1 =
        (float)H / 2.0f / tanf(0.5f * cam.fov_degrees * 3.14159265f / 180.0f);
    float cx[16], cy[16], rad[16];
    assert_true(scene.n_nodes <= 16);
    for (size_t i = 0; i < scene.n_nodes; i++) {
        const float *rec = scene.nodes + i * NB_SCENE_NODE_FLOATS;
        float depth;
        assert_true(nb_camera_project(&cam, W, H, rec, &cx[i], &cy[i], &depth));
        float eye[3];
        nb_camera_eye(&cam, eye);
        float d =
            sqrtf((rec[0] - eye[0]) * (rec[0] - eye[0]) + (rec[1] - eye[1]) * (rec[1] - eye[1]) +
                  (rec[2] - eye[2]) * (rec[2] - eye[2]));
        rad[i] = (float)cfg.node.size * rec[3] / d * pix_per_unit_at_1;
        int px = (int)cx[i], py = (int)cy[i];
        assert_true(px >= 0 && px < W && py >= 0 && py < H);
        const unsigned char *c = img.rgb + 3 * ((size_t)py * W + (size_t)px);
        if (rad[i] >= 1.0f) /* spheres of at least a pixel must cover their centre */
            assert_true(c[0] < 250 || c[1] < 250 || c[2] < 250);
    }
    /* and nothing is drawn away from every node */
    size_t stray = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            bool near = false;
            for (size_t i = 0; i < scene.n_nodes && !near; i++) {
                float dx = (float)x + 0.5f - cx[i], dy = (float)y + 0.5f - cy[i];
                near = sqrtf(dx * dx + dy * dy) <= rad[i] * 1.2f + 2.0f;
            }
            const unsigned char *c = img.rgb + 3 * ((size_t)y * W + (size_t)x);
            if (!near && (c[0] != 255 || c[1] != 255 || c[2] != 255))
                stray++;
        }
    assert_int_equal(stray, 0);
    nb_scene_deinit(&scene);
    nb_model_deinit(&m);
}

static void test_minmax_order_independent(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 6, true, 11), NB_OK);
    nb_rendering_config cfg;
    test_render_config(&cfg);
    cfg.class_view = NB_CLASS_VIEW_ALL;
    cfg.transparency = NB_TRANSPARENCY_MINMAX;
    cfg.node.mode = NB_NODE_SPHERE_TRANSPARENT;
    static rendered a, b;
    render(&m, &cfg, false, 6, &a, NULL, NULL);
    render(&m, &cfg, true, 6, &b, NULL, NULL);
    assert_memory_equal(a.rgb, b.rgb, sizeof a.rgb);
    /* sphere_transparent edges too */
    cfg.edge.mode = NB_EDGE_SPHERE_TRANSPARENT;
    render(&m, &cfg, false, 3, &a, NULL, NULL);
    render(&m, &cfg, true, 3, &b, NULL, NULL);
    assert_memory_equal(a.rgb, b.rgb, sizeof a.rgb);
    /* opaque nodes first, transparent edges tested against their depth: still exact */
    cfg.edge.mode = NB_EDGE_ELLIPSOID_TRANSPARENT;
    cfg.node.mode = NB_NODE_SPHERE;
    render(&m, &cfg, false, 8, &a, NULL, NULL);
    render(&m, &cfg, true, 8, &b, NULL, NULL);
    assert_memory_equal(a.rgb, b.rgb, sizeof a.rgb);
    /* WBOIT (the default) sums in half floats: the order changes the last bit at most */
    test_render_config(&cfg);
    render(&m, &cfg, false, 8, &a, NULL, NULL);
    render(&m, &cfg, true, 8, &b, NULL, NULL);
    for (size_t i = 0; i < sizeof a.rgb; i++)
        assert_true(abs((int)a.rgb[i] - (int)b.rgb[i]) <= 2);
    nb_model_deinit(&m);
}

/* Bounding box {x0, y0, x1, y1} (x1, y1 exclusive) of the pixels that differ from bg by more
 * than tol; false when there are none. */
static bool drawn_box(const unsigned char *rgb, int w, int h, const unsigned char bg[3], int tol,
                      int box[4]) {
    box[0] = w;
    box[1] = h;
    box[2] = box[3] = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const unsigned char *c = rgb + 3 * ((size_t)y * (size_t)w + (size_t)x);
            if (abs(c[0] - bg[0]) > tol || abs(c[1] - bg[1]) > tol || abs(c[2] - bg[2]) > tol) {
                box[0] = x < box[0] ? x : box[0];
                box[1] = y < box[1] ? y : box[1];
                box[2] = x + 1 > box[2] ? x + 1 : box[2];
                box[3] = y + 1 > box[3] ? y + 1 : box[3];
            }
        }
    return box[2] > box[0];
}

/* The default framing (nb_scene_frame, as nnbundle-render places its camera): for every pose
 * and a wide and a tall frame, the rendered drawing lies inside the frame minus the margin
 * and fills it in one direction. Opaque nodes and line edges, so every drawn object reaches
 * the pixels its geometry covers. */
static void test_fit_frames_the_drawing(void **state) {
    (void)state;
    static const size_t fit_sizes[4] = {9, 6, 5, 3};
    nb_model m;
    assert_int_equal(test_make_model(&m, fit_sizes, 4, 7, true, 21), NB_OK);
    nb_rendering_config cfg;
    nb_config_defaults(&nb_rendering_schema, &cfg);
    cfg.show_legend = false;
    cfg.edge.mode = NB_EDGE_LINE;
    cfg.camera_margin = 0.05;
    static const int frames[2][2] = {{192, 108}, {90, 160}};
    nb_window_close(&g_window); /* a context of its own: another target size */
    assert_int_equal(nb_window_open(&g_window, "test_render_gl", 64, 64, false), NB_OK);
    for (int f = 0; f < 2; f++) {
        int fw = frames[f][0], fh = frames[f][1];
        nb_renderer r;
        assert_int_equal(nb_renderer_load(&r, fw, fh), NB_OK);
        unsigned char *rgb = malloc((size_t)fw * (size_t)fh * 3);
        assert_non_null(rgb);
        for (int pose = 0; pose < 10; pose++) {
            nb_scene_desc desc = {0};
            nb_scene_desc_from_config(&cfg, &desc);
            nb_scene scene;
            assert_int_equal(nb_scene_build(&m, &desc, "fit.nnb.h5", &scene), NB_OK);
            nb_render_params p;
            nb_render_params_from_config(&cfg, &p);
            nb_camera cam;
            nb_camera_init(&cam, scene.node_bbox_min, scene.node_bbox_max, p.fov_degrees, pose);
            assert_true(nb_scene_frame(&scene, &p, (float)fw, (float)fh, NULL, &cam));
            assert_int_equal(nb_renderer_upload(&r, &scene), NB_OK);
            assert_int_equal(nb_renderer_draw(&r, &scene, &p, &cam), NB_OK);
            assert_int_equal(nb_renderer_read_pixels(&r, 3, rgb), NB_OK);
            const unsigned char white[3] = {255, 255, 255};
            int box[4];
            assert_true(drawn_box(rgb, fw, fh, white, 8, box));
            float mx = 0.05f * (float)fw, my = 0.05f * (float)fh;
            /* inside the margin (one pixel of rasterisation slack) */
            if (!((float)box[0] >= mx - 1.0f && (float)box[2] <= (float)fw - mx + 1.0f &&
                  (float)box[1] >= my - 1.0f && (float)box[3] <= (float)fh - my + 1.0f))
                fail_msg("pose %d, %dx%d: drawing %d,%d..%d,%d outside the margin", pose, fw, fh,
                         box[0], box[1], box[2], box[3]);
            /* and filling it in one direction (to within 2 pixels each side) */
            bool fills_x = (float)box[0] <= mx + 2.0f && (float)box[2] >= (float)fw - mx - 2.0f;
            bool fills_y = (float)box[1] <= my + 2.0f && (float)box[3] >= (float)fh - my - 2.0f;
            if (!(fills_x || fills_y))
                fail_msg("pose %d, %dx%d: drawing %d,%d..%d,%d does not fill the frame", pose, fw,
                         fh, box[0], box[1], box[2], box[3]);
            nb_scene_deinit(&scene);
        }
        free(rgb);
        nb_renderer_unload(&r);
    }
    nb_model_deinit(&m);
}

/* Class view k in every edge mode, node mode and transparency: objects fade towards the
 * background (white), so something is drawn and no pixel is near-black (every channel < 64;
 * the reference's palette * share turned line-mode edges black). Class 1 is the darkest
 * reference colour (dark blue, 0 0 139). */
static void test_class_view_fades_to_background(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 6, true, 13), NB_OK);
    static const int edge_modes[4] = {NB_EDGE_ELLIPSOID_TRANSPARENT, NB_EDGE_SPHERE,
                                      NB_EDGE_SPHERE_TRANSPARENT, NB_EDGE_LINE};
    static const int node_modes[3] = {NB_NODE_SPHERE, NB_NODE_SPHERE_TRANSPARENT, NB_NODE_POINT};
    static rendered img;
    for (int e = 0; e < 4; e++)
        for (int n = 0; n < 3; n++)
            for (int t = 0; t < 2; t++) {
                nb_rendering_config cfg;
                test_render_config(&cfg);
                cfg.class_view = NB_CLASS_VIEW_ONE;
                cfg.class_index = 1;
                cfg.edge.mode = edge_modes[e];
                cfg.node.mode = node_modes[n];
                cfg.transparency = t ? NB_TRANSPARENCY_WBOIT : NB_TRANSPARENCY_MINMAX;
                cfg.edge.size = 0.05;
                render(&m, &cfg, false, 8, &img, NULL, NULL);
                const unsigned char white[3] = {255, 255, 255};
                assert_true(test_count_non_background(img.rgb, W, H, white, 8) > 50);
                for (size_t i = 0; i < (size_t)W * H; i++) {
                    const unsigned char *c = img.rgb + 3 * i;
                    /* near-black: every channel below 64 */
                    if (c[0] < 64 && c[1] < 64 && c[2] < 64)
                        fail_msg("edge mode %d, node mode %d, transparency %d: black pixel %zu "
                                 "(%d,%d,%d)",
                                 edge_modes[e], node_modes[n], t, i, c[0], c[1], c[2]);
                }
            }
    nb_model_deinit(&m);
}

static void test_wboit_dark_background(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 5, true, 5), NB_OK);
    nb_rendering_config cfg;
    test_render_config(&cfg);
    cfg.transparency = NB_TRANSPARENCY_WBOIT;
    cfg.class_view = NB_CLASS_VIEW_INDEPENDENT; /* white objects on black */
    cfg.background[0] = cfg.background[1] = cfg.background[2] = 0.0;
    static rendered img;
    render(&m, &cfg, false, 6, &img, NULL, NULL);
    const unsigned char black[3] = {0, 0, 0};
    size_t n = test_count_non_background(img.rgb, W, H, black, 8);
    assert_true(n > (size_t)(W * H) / 50);
    /* independent view on black draws grey-to-white, never coloured pixels */
    for (size_t i = 0; i < (size_t)W * H; i++) {
        const unsigned char *c = img.rgb + 3 * i;
        assert_true(abs((int)c[0] - (int)c[1]) <= 2 && abs((int)c[1] - (int)c[2]) <= 2);
    }
    nb_model_deinit(&m);
}

static void test_shader_errors(void **state) {
    (void)state;
    char src_buf[4096], buf[4096];
    const char *src_dir = nb_gl_shader_dir(src_buf, sizeof src_buf);
    char dir[] = "/tmp/nb_test_shaders_XXXXXX";
    assert_non_null(mkdtemp(dir));
    static const char *files[] = {"impostor_sphere.vert",
                                  "segment_points.vert",
                                  "impostor_ellipsoid.geom",
                                  "impostor.frag",
                                  "flat_line.vert",
                                  "flat_point.vert",
                                  "flat.frag",
                                  "fullscreen.vert",
                                  "wboit_composite.frag",
                                  "overlay.vert",
                                  "overlay.frag"};
    char from[1024], to[1024];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(from, sizeof from, "%s/%s", src_dir, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        nb_test_copy_file(from, to);
    }
    setenv("NNBUNDLE_SHADER_DIR", dir, 1);
    assert_string_equal(nb_gl_shader_dir(buf, sizeof buf), dir);
    nb_renderer r;
    assert_int_equal(nb_renderer_load(&r, W, H), NB_OK); /* the copies work */
    nb_renderer_unload(&r);

    /* a syntax error: NB_E_GL naming the file, with the GL log */
    snprintf(to, sizeof to, "%s/impostor.frag", dir);
    nb_test_write_text(to, "#version 430 core\nout vec4 c;\nvoid main() { c = vec4(1.0) +; }\n");
    nb_error_clear();
    assert_int_equal(nb_renderer_load(&r, W, H), NB_E_GL);
    assert_int_equal(nb_error_status(), NB_E_GL);
    assert_string_equal(nb_error_subject(), to);
    assert_non_null(strstr(nb_error_message(), "compile failed"));
    assert_int_equal(r.passes.prog_sphere, 0); /* nothing left behind */

    /* a missing file: NB_E_IO naming the path */
    remove(to);
    assert_int_equal(nb_renderer_load(&r, W, H), NB_E_IO);
    assert_string_equal(nb_error_subject(), to);

    /* a link error: vertex output type differs from the fragment input */
    snprintf(to, sizeof to, "%s/overlay.frag", dir);
    char from2[1024];
    snprintf(from2, sizeof from2, "%s/impostor.frag", src_dir);
    nb_test_copy_file(from2, to);
    char other[1024];
    snprintf(other, sizeof other, "%s/impostor.frag", dir);
    nb_test_copy_file(from2, other);
    nb_test_write_text(to, "#version 430 core\nin vec3 v_color;\nout vec4 c;\n"
                           "void main() { c = vec4(v_color, 1.0); }\n");
    assert_int_equal(nb_renderer_load(&r, W, H), NB_E_GL);
    assert_non_null(strstr(nb_error_subject(), "overlay.vert + "));
    assert_non_null(strstr(nb_error_message(), "link failed"));

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        remove(to);
    }
    rmdir(dir);
    unsetenv("NNBUNDLE_SHADER_DIR");
}

static void test_target_size_and_screenshot_errors(void **state) {
    (void)state;
    nb_renderer r;
    assert_int_equal(nb_renderer_load(&r, W, H), NB_OK);
    assert_int_equal(nb_renderer_resize(&r, 0, 10), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "--size");
    assert_int_equal(nb_renderer_resize(&r, 1000000, 10), NB_E_INVALID);
    assert_int_equal(r.target.width, W); /* previous target kept */
    assert_int_equal(nb_renderer_resize(&r, 33, 17), NB_OK);
    assert_int_equal(r.target.width, 33);
    assert_int_equal(r.wboit.width, 33);
    const char *bad = "/nonexistent_dir_nb/shot.png";
    assert_int_equal(nb_renderer_screenshot(&r, bad), NB_E_IO);
    assert_string_equal(nb_error_subject(), bad);
    struct stat sb;
    assert_int_not_equal(stat(bad, &sb), 0);
    nb_renderer_unload(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_render_not_blank),
        cmocka_unit_test(test_node_pixels_at_projection),
        cmocka_unit_test(test_minmax_order_independent),
        cmocka_unit_test(test_wboit_dark_background),
        cmocka_unit_test(test_fit_frames_the_drawing),
        cmocka_unit_test(test_class_view_fades_to_background),
        cmocka_unit_test(test_shader_errors),
        cmocka_unit_test(test_target_size_and_screenshot_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
