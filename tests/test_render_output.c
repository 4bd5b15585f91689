/* test_render_output.c - image output through GL: the transparent background (alpha 0 where
 * nothing is drawn, > 0 on nodes, the PNG composited over the background = the opaque
 * render) for MIN/MAX, WBOIT, opaque nodes and the legend; the legend's pixels stay inside
 * the panels its layout reports; the viewer's K (JPEG) and R (transparent PNG) images. */
#include <sys/stat.h>
#include <unistd.h>

#include <SDL2/SDL.h>

#include "nb_app.h"
#include "nb_h5.h"
#include "nb_legend.h"
#include "nb_renderer.h"
#include "nb_screenshot.h"
#include "nb_test.h"
#include "nb_window.h"
#include "test_render_fixture.h"

#define W 200
#define H 150

static nb_window g_window;
static nb_model g_model;
static const size_t sizes[3] = {5, 4, 3};

static int group_setup(void **state) {
    (void)state;
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    if (nb_window_open(&g_window, "test_render_output", 64, 64, false) != NB_OK) {
        fprintf(stderr, "cannot open a GL context: %s\n", nb_error_message());
        return -1;
    }
    return test_make_model(&g_model, sizes, 3, 5, true, 11) == NB_OK ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    nb_model_deinit(&g_model);
    nb_window_close(&g_window);
    return 0;
}

typedef struct frame {
    unsigned char rgb[W * H * 3];
    unsigned char rgba[W * H * 4]; /* un-blended (what a transparent PNG holds) */
    nb_scene scene;
    nb_camera cam;
    nb_render_params p;
    nb_rect panels[2];
    size_t n_panels;
    nb_legend_layout legend;
} frame;

/* Renders the fixture with cfg (pose 6) and reads the image both ways; the legend's panels
 * (when shown) as the renderer placed them. */
static void render(const nb_rendering_config *cfg, int w, int h, frame *f, unsigned char *rgb,
                   unsigned char *rgba) {
    nb_scene_desc desc = {0};
    nb_scene_desc_from_config(cfg, &desc);
    assert_int_equal(nb_scene_build(&g_model, &desc, "fixture.nnb.h5", &f->scene), NB_OK);
    nb_render_params_from_config(cfg, &f->p);
    nb_camera_init(&f->cam, f->scene.bbox_min, f->scene.bbox_max, f->p.fov_degrees, 6);
    nb_renderer r;
    if (nb_renderer_load(&r, w, h) != NB_OK)
        fail_msg("renderer load: %s", nb_error_message());
    assert_int_equal(nb_renderer_upload(&r, &f->scene), NB_OK);
    assert_int_equal(nb_renderer_draw(&r, &f->scene, &f->p, &f->cam), NB_OK);
    assert_int_equal(nb_renderer_read_pixels(&r, 3, rgb), NB_OK);
    assert_int_equal(nb_renderer_read_pixels(&r, 4, rgba), NB_OK);
    nb_screenshot_unblend(rgba, (size_t)w * (size_t)h, f->p.background);
    f->n_panels = 0;
    assert_true(r.has_legend == f->p.show_legend);
    if (r.has_legend) {
        f->panels[f->n_panels++] = r.legend.classes.rect;
        if (r.legend.has_encoding)
            f->panels[f->n_panels++] = r.legend.encoding.rect;
        f->legend = r.legend;
    }
    nb_renderer_unload(&r);
}

static unsigned char to_byte(float v) {
    return (unsigned char)lrintf(v * 255.0f);
}

/* Compositing the transparent image over the background reproduces the opaque render. */
static void check_transparent(const frame *f, const char *what) {
    static unsigned char comp[W * H * 3];
    nb_screenshot_composite(f->rgba, (size_t)W * H, f->p.background, comp);
    int worst = 0;
    size_t clear = 0, covered = 0;
    const unsigned char bg[3] = {to_byte(f->p.background[0]), to_byte(f->p.background[1]),
                                 to_byte(f->p.background[2])};
    for (size_t i = 0; i < (size_t)W * H; i++) {
        for (int c = 0; c < 3; c++) {
            int d = abs((int)comp[3 * i + (size_t)c] - (int)f->rgb[3 * i + (size_t)c]);
            worst = d > worst ? d : worst;
        }
        unsigned char a = f->rgba[4 * i + 3];
        if (a == 0) {
            clear++;
            /* nothing drawn here: the opaque render shows the background */
            for (int c = 0; c < 3; c++)
                if (abs((int)f->rgb[3 * i + (size_t)c] - (int)bg[c]) > 1)
                    fail_msg("%s: pixel %zu has alpha 0 but is not background", what, i);
        } else {
            covered++;
        }
    }
    if (worst > 2)
        fail_msg("%s: composite over the background differs by %d levels", what, worst);
    if (clear < (size_t)W * H / 10 || covered < (size_t)W * H / 100)
        fail_msg("%s: %zu transparent and %zu covered pixels", what, clear, covered);
    /* every node centre in view is covered */
    for (size_t i = 0; i < f->scene.n_nodes; i++) {
        const float *n = f->scene.nodes + i * NB_SCENE_NODE_FLOATS;
        float sx, sy;
        if (!nb_camera_project(&f->cam, W, H, n, &sx, &sy, NULL) || sx < 0 || sy < 0 || sx >= W ||
            sy >= H)
            continue;
        size_t px = (size_t)sy * W + (size_t)sx;
        if (f->rgba[4 * px + 3] == 0)
            fail_msg("%s: node %zu at (%g, %g) has alpha 0", what, i, (double)sx, (double)sy);
    }
}

/* WBOIT and opaque objects blend linearly in the background, so the PNG made on one
 * background, composited over another colour, must give the render on that colour. */
static void check_other_background(const frame *on_black, const frame *on_white, const char *what) {
    static unsigned char comp[W * H * 3];
    nb_screenshot_composite(on_black->rgba, (size_t)W * H, on_white->p.background, comp);
    int worst = 0;
    for (size_t i = 0; i < sizeof comp; i++) {
        int d = abs((int)comp[i] - (int)on_white->rgb[i]);
        worst = d > worst ? d : worst;
    }
    if (worst > 3)
        fail_msg("%s: the PNG made on black, shown on white, differs from the render on white "
                 "by %d levels",
                 what, worst);
}

static void test_transparent_background(void **state) {
    (void)state;
    static frame f;
    nb_rendering_config cfg;
    test_render_config(&cfg); /* defaults: transparent spheres and ellipsoids, MIN/MAX, white */
    render(&cfg, W, H, &f, f.rgb, f.rgba);
    check_transparent(&f, "minmax on white");
    nb_scene_deinit(&f.scene);

    static frame g;
    for (int opaque_nodes = 0; opaque_nodes < 2; opaque_nodes++) {
        test_render_config(&cfg);
        cfg.transparency = NB_TRANSPARENCY_WBOIT;
        cfg.node.mode = opaque_nodes ? NB_NODE_SPHERE : NB_NODE_SPHERE_TRANSPARENT;
        cfg.background[0] = cfg.background[1] = cfg.background[2] = 0.0;
        render(&cfg, W, H, &f, f.rgb, f.rgba);
        check_transparent(&f, "wboit on black");
        cfg.background[0] = cfg.background[1] = cfg.background[2] = 1.0;
        render(&cfg, W, H, &g, g.rgb, g.rgba);
        check_other_background(&f, &g, opaque_nodes ? "wboit, opaque nodes" : "wboit");
        nb_scene_deinit(&f.scene);
        nb_scene_deinit(&g.scene);
    }

    test_render_config(&cfg); /* opaque nodes are fully opaque */
    cfg.node.mode = NB_NODE_SPHERE;
    cfg.transparency = NB_TRANSPARENCY_WBOIT;
    cfg.background[0] = 0.9;
    cfg.background[1] = 0.85;
    cfg.background[2] = 0.7;
    render(&cfg, W, H, &f, f.rgb, f.rgba);
    check_transparent(&f, "opaque nodes, wboit on beige");
    float sx, sy;
    assert_true(nb_camera_project(&f.cam, W, H, f.scene.nodes, &sx, &sy, NULL));
    assert_int_equal(f.rgba[4 * ((size_t)sy * W + (size_t)sx) + 3], 255);
    nb_scene_deinit(&f.scene);

    test_render_config(&cfg); /* with the legend: its panels are covered too */
    cfg.show_legend = true;
    render(&cfg, W, H, &f, f.rgb, f.rgba);
    check_transparent(&f, "minmax with legend");
    const nb_rect *cls = &f.panels[0];
    size_t px = (size_t)(cls->y0 + 1) * W + (size_t)(cls->x0 + 1);
    assert_true(f.rgba[4 * px + 3] > 200); /* the panel: background colour at alpha 0.85 */
    nb_scene_deinit(&f.scene);
}

/* The legend draws only inside the panels its layout reports, both panels are drawn, and
 * they are placed off the drawn pixels. */
static void test_legend_pixels_in_panels(void **state) {
    (void)state;
    enum { LW = 640, LH = 360 };
    static unsigned char on_rgb[LW * LH * 3], off_rgb[LW * LH * 3], rgba[LW * LH * 4];
    static frame f;
    nb_rendering_config cfg;
    test_render_config(&cfg);
    cfg.show_legend = false;
    render(&cfg, LW, LH, &f, off_rgb, rgba);
    nb_scene_deinit(&f.scene);
    cfg.show_legend = true;
    render(&cfg, LW, LH, &f, on_rgb, rgba);
    assert_int_equal(f.n_panels, 2);
    size_t inside[2] = {0, 0};
    for (int y = 0; y < LH; y++)
        for (int x = 0; x < LW; x++) {
            size_t i = (size_t)y * LW + (size_t)x;
            if (memcmp(on_rgb + 3 * i, off_rgb + 3 * i, 3) == 0)
                continue;
            bool in = false;
            for (size_t k = 0; k < f.n_panels; k++) {
                const nb_rect *r = &f.panels[k];
                if ((float)x >= r->x0 - 1 && (float)x < r->x1 + 1 && (float)y >= r->y0 - 1 &&
                    (float)y < r->y1 + 1) {
                    inside[k]++;
                    in = true;
                }
            }
            if (!in)
                fail_msg("legend pixel (%d, %d) outside its panels", x, y);
        }
    assert_true(inside[0] > 200 && inside[1] > 200); /* text, swatches, discs, wedge */
    /* the panels hide (almost) none of the network: count its pixels under them */
    const unsigned char white[3] = {255, 255, 255};
    size_t hidden = 0, drawn = test_count_non_background(off_rgb, LW, LH, white, 16);
    for (size_t k = 0; k < f.n_panels; k++)
        for (int y = (int)f.panels[k].y0; y < (int)f.panels[k].y1; y++)
            for (int x = (int)f.panels[k].x0; x < (int)f.panels[k].x1; x++) {
                const unsigned char *q = off_rgb + 3 * ((size_t)y * LW + (size_t)x);
                hidden += abs(q[0] - 255) > 16 || abs(q[1] - 255) > 16 || abs(q[2] - 255) > 16;
            }
    if (hidden * 100 > drawn)
        fail_msg("the legend hides %zu of %zu drawn pixels", hidden, drawn);
    assert_true(fabsf(f.legend.classes.overlap_drawing + f.legend.encoding.overlap_drawing -
                      (float)hidden) <= 0.02f * (float)drawn + 4.0f);
    nb_scene_deinit(&f.scene);
}

static void push_key(SDL_Keycode k) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_KEYDOWN;
    ev.key.keysym.sym = k;
    assert_true(SDL_PushEvent(&ev) >= 0);
}

/* Runs the window for `frames` frames in dir after pushing `keys`, with the given image
 * options; returns the `ls` listing of dir. */
static void run_viewer(const char *dir, const char *model, bool transparent, nb_image_format format,
                       const SDL_Keycode *keys, size_t n_keys, long frames) {
    nb_render_options o;
    memset(&o, 0, sizeof o);
    o.input = model;
    o.mode = NB_RUN_INTERACTIVE;
    o.width = 96;
    o.height = 64;
    o.camera = -1;
    o.count = 1;
    o.quit_after = frames;
    o.transparent = transparent;
    o.image_format = format;
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    nb_app app;
    assert_int_equal(nb_app_init(&app, &o), NB_OK);
    if (nb_app_open_gl(&app) != NB_OK)
        fail_msg("GL: %s", nb_error_message());
    for (size_t k = 0; k < n_keys; k++)
        push_key(keys[k]);
    assert_int_equal(nb_app_run(&app), NB_OK);
    nb_app_deinit(&app);
    assert_int_equal(chdir(cwd), 0);
}

static size_t count_files(const char *dir, const char *pattern) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s/%s 2>/dev/null | wc -l", dir, pattern);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    unsigned long n = 0;
    assert_int_equal(fscanf(p, "%lu", &n), 1);
    pclose(p);
    return (size_t)n;
}

static void first_file(const char *dir, const char *pattern, char *out, size_t n) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s/%s | head -1", dir, pattern);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, (int)n, p));
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
}

static void test_viewer_images(void **state) {
    (void)state;
    char dir[64], model[128], file[512];
    snprintf(dir, sizeof dir, "/tmp/nb_test_output_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(model, sizeof model, "%s/net.nnb.h5", dir);
    assert_int_equal(nb_h5_save(model, &g_model), NB_OK);
    /* K with --format jpg: net_<UTC>.jpg, a JPEG */
    const SDL_Keycode k[1] = {SDLK_k};
    run_viewer(dir, model, false, NB_IMAGE_JPEG, k, 1, 2);
    assert_int_equal(count_files(dir, "net_*Z.jpg"), 1);
    assert_int_equal(count_files(dir, "net_*.png"), 0);
    first_file(dir, "net_*Z.jpg", file, sizeof file);
    unsigned char *px = NULL;
    int w = 0, h = 0, comp = 0;
    assert_int_equal(nb_screenshot_read(file, 3, &px, &w, &h, &comp), NB_OK);
    assert_true(w == 96 && h == 64 && comp == 3);
    free(px);
    /* R with --transparent: every frame as net_<UTC>_<frame>.png with an alpha channel */
    const SDL_Keycode r[1] = {SDLK_r};
    run_viewer(dir, model, true, NB_IMAGE_PNG, r, 1, 3);
    assert_int_equal(count_files(dir, "net_*Z_0000[0-9].png"), 3);
    first_file(dir, "net_*Z_00000.png", file, sizeof file);
    assert_int_equal(nb_screenshot_read(file, 4, &px, &w, &h, &comp), NB_OK);
    assert_int_equal(comp, 4);
    assert_int_equal(px[3], 0); /* the top-left corner: background, transparent */
    free(px);
    assert_true(nb_test_remove_tree(dir));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transparent_background),
        cmocka_unit_test(test_legend_pixels_in_panels),
        cmocka_unit_test(test_viewer_images),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
