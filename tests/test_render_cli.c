/* test_render_cli.c - the nnbundle-render executable: exit codes 0/1/2, messages for bad
 * input, --screenshot/--size/--camera, --frames --orbit, --benchmark, --layers, --set, the
 * no-display refusal, the interactive loop under SDL_VIDEODRIVER=offscreen, output formats
 * (PNG, JPEG, transparent PNG, refused extensions) and the legend font fallback. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nb_h5.h"
#include "nb_screenshot.h"
#include "nb_test.h"
#include "test_render_fixture.h"

typedef struct ctx {
    char dir[64];
    char exe[1024];
    char model[128];
    char nobundle[128];
    char out[256]; /* stdout + stderr of the last run */
    char text[16384];
} ctx;

static void write_model(const char *path, bool bundle) {
    static const size_t sizes[3] = {5, 4, 3};
    test_save_model(path, sizes, 3, 5, 3, bundle);
}

static int setup(void **state) {
    ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    test_renderer_exe(c->exe, sizeof c->exe);
    snprintf(c->dir, sizeof c->dir, "/tmp/nb_test_cli_XXXXXX");
    if (!mkdtemp(c->dir))
        return -1;
    snprintf(c->model, sizeof c->model, "%s/net.nnb.h5", c->dir);
    snprintf(c->nobundle, sizeof c->nobundle, "%s/raw.nnb.h5", c->dir);
    snprintf(c->out, sizeof c->out, "%s/out.txt", c->dir);
    write_model(c->model, true);
    write_model(c->nobundle, false);
    *state = c;
    return 0;
}

static int teardown(void **state) {
    ctx *c = *state;
    bool removed = nb_test_remove_tree(c->dir);
    free(c);
    return removed ? 0 : -1;
}

/* Runs `env ENV exe ARGS` with stdout+stderr captured in c->text; returns the exit code. */
static int run(ctx *c, const char *env, const char *args) {
    return test_run_program(c->exe, env, args, c->out, c->text, sizeof c->text);
}

static void test_usage_and_help(void **state) {
    ctx *c = *state;
    assert_int_equal(run(c, NULL, "--help"), 0);
    nb_expect_text(c->text, "--screenshot");
    nb_expect_text(c->text, "--benchmark");
    assert_int_equal(run(c, NULL, ""), 2);
    nb_expect_text(c->text, "no input file");
    nb_expect_text(c->text, "--help");
    assert_int_equal(run(c, NULL, "x.nnb.h5 --frobnicate"), 2);
    nb_expect_text(c->text, "unknown option '--frobnicate'");
    assert_int_equal(run(c, NULL, "x.nnb.h5 --size 12"), 2);
    assert_int_equal(run(c, NULL, "--version"), 0);
    nb_expect_text(c->text, "nnbundle-render ");
}

static void test_bad_input(void **state) {
    ctx *c = *state;
    char args[1024];
    snprintf(args, sizeof args, "'%s/missing.nnb.h5' --screenshot '%s/a.png'", c->dir, c->dir);
    assert_int_equal(run(c, NULL, args), 1);
    nb_expect_text(c->text, "missing.nnb.h5");
    nb_expect_text(c->text, "NB_E_IO");
    snprintf(args, sizeof args, "'%s' --screenshot '%s/a.png'", c->nobundle, c->dir);
    assert_int_equal(run(c, NULL, args), 1);
    nb_expect_text(c->text, "/bundle]");
    nb_expect_text(c->text, "run `nnbundle bundle");
    nb_expect_text(c->text, "NB_E_MISSING");
    snprintf(args, sizeof args, "'%s' --screenshot '%s/a.png' --set edge_mode=wobbly", c->model,
             c->dir);
    assert_int_equal(run(c, NULL, args), 1);
    nb_expect_text(c->text, "edge_mode");
    nb_expect_text(c->text, "NB_E_CONFIG");
    snprintf(args, sizeof args, "'%s' --screenshot '%s/a.png' --layers 3:4", c->model, c->dir);
    assert_int_equal(run(c, NULL, args), 1);
    nb_expect_text(c->text, "[--layers]");
    /* a shader directory without the shaders: the file is named */
    snprintf(args, sizeof args, "'%s' --screenshot '%s/a.png'", c->model, c->dir);
    char env[256];
    snprintf(env, sizeof env, "NNBUNDLE_SHADER_DIR='%s'", c->dir);
    assert_int_equal(run(c, env, args), 1);
    nb_expect_text(c->text, "impostor_sphere.vert");
    nb_expect_text(c->text, "NB_E_IO");
    struct stat sb;
    char png[256];
    snprintf(png, sizeof png, "%s/a.png", c->dir);
    assert_int_not_equal(stat(png, &sb), 0); /* no output after a failure */
}

/* Copies c->model to name with /bundle config_json replaced by json. */
static void with_stored_config(const ctx *c, const char *name, const char *json, char *path,
                               size_t cap) {
    snprintf(path, cap, "%s/%s", c->dir, name);
    nb_model m;
    assert_int_equal(nb_h5_load(c->model, &m), NB_OK);
    free(m.bundle.config_json);
    m.bundle.config_json = strdup(json);
    assert_non_null(m.bundle.config_json);
    assert_int_equal(nb_h5_save(path, &m), NB_OK);
    nb_model_deinit(&m);
}

/* The viewer reads only edge_importance_type of the stored processing config: a file whose
 * other stored values today's key table refuses (an older version's) still renders; a bad
 * edge_importance_type is an error naming the file's config. */
static void test_stored_config(void **state) {
    ctx *c = *state;
    char old[256], bad[256], args[1024];
    with_stored_config(c, "old.nnb.h5", "{\"edge_step\": 7, \"density\": \"gpu\"}", old,
                       sizeof old);
    snprintf(args, sizeof args, "'%s' --screenshot '%s/old.png' --size 64x48 -q", old, c->dir);
    assert_int_equal(run(c, NULL, args), 0);
    with_stored_config(c, "bad.nnb.h5", "{\"edge_importance_type\": 7}", bad, sizeof bad);
    snprintf(args, sizeof args, "'%s' --screenshot '%s/bad.png' --size 64x48", bad, c->dir);
    assert_int_equal(run(c, NULL, args), 1);
    nb_expect_text(c->text, "bad.nnb.h5 /bundle config_json]");
    nb_expect_text(c->text, "edge_importance_type: 7 is out of range [0, 3]");
}

static void test_no_display(void **state) {
    ctx *c = *state;
    char args[1024];
    snprintf(args, sizeof args, "'%s'", c->model);
    assert_int_equal(run(c, "-u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER", args), 1);
    nb_expect_text(c->text, "no display");
    nb_expect_text(c->text, "--screenshot");
    nb_expect_text(c->text, "NB_E_DISPLAY");
    /* the same environment renders fine without a window */
    snprintf(args, sizeof args, "'%s' --screenshot '%s/nodisplay.png' --size 64x48", c->model,
             c->dir);
    assert_int_equal(run(c, "-u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER", args), 0);
    /* an explicit offscreen driver runs the interactive loop invisibly */
    snprintf(args, sizeof args, "'%s' --quit-after 3 --size 64x48", c->model);
    assert_int_equal(run(c, "SDL_VIDEODRIVER=offscreen", args), 0);
}

static void test_screenshot_and_camera(void **state) {
    ctx *c = *state;
    char args[1024], a[256], b[256];
    snprintf(a, sizeof a, "%s/cam1.png", c->dir);
    snprintf(b, sizeof b, "%s/cam5.png", c->dir);
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --size 120x80 --camera 1 -q", c->model, a);
    assert_int_equal(run(c, NULL, args), 0);
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --size 120x80 --camera 5 -q", c->model, b);
    assert_int_equal(run(c, NULL, args), 0);
    unsigned char *ia, *ib;
    int w, h;
    assert_int_equal(nb_screenshot_read_png(a, &ia, &w, &h), NB_OK);
    assert_int_equal(w, 120);
    assert_int_equal(h, 80);
    assert_int_equal(nb_screenshot_read_png(b, &ib, &w, &h), NB_OK);
    const unsigned char white[3] = {255, 255, 255};
    assert_true(test_count_non_background(ia, w, h, white, 8) > 100);
    assert_true(memcmp(ia, ib, (size_t)w * (size_t)h * 3) != 0);
    free(ia);
    free(ib);
    /* --set and --config reach the image: line edges on black */
    char cfg[256];
    snprintf(cfg, sizeof cfg, "%s/r.json", c->dir);
    nb_test_write_text(cfg, "{\"background\": [0, 0, 0], \"show_legend\": false}\n");
    snprintf(args, sizeof args,
             "'%s' --screenshot '%s' --size 120x80 --config '%s' --set edge_mode=line -q", c->model,
             a, cfg);
    assert_int_equal(run(c, NULL, args), 0);
    assert_int_equal(nb_screenshot_read_png(a, &ia, &w, &h), NB_OK);
    assert_int_equal(ia[0], 0); /* top-left pixel is the black background (no legend) */
    const unsigned char black[3] = {0, 0, 0};
    assert_true(test_count_non_background(ia, w, h, black, 8) > 50);
    free(ia);
}

static void test_frames_and_benchmark(void **state) {
    ctx *c = *state;
    char args[1024], dir[256], f0[300], f1[300], f3[300];
    snprintf(dir, sizeof dir, "%s/frames", c->dir);
    snprintf(args, sizeof args, "'%s' --frames '%s' --count 3 --orbit --size 64x48 -q", c->model,
             dir);
    assert_int_equal(run(c, NULL, args), 0);
    snprintf(f0, sizeof f0, "%s/frame_00000.png", dir);
    snprintf(f1, sizeof f1, "%s/frame_00001.png", dir);
    snprintf(f3, sizeof f3, "%s/frame_00003.png", dir);
    unsigned char *a, *b;
    int w, h;
    assert_int_equal(nb_screenshot_read_png(f0, &a, &w, &h), NB_OK);
    assert_int_equal(nb_screenshot_read_png(f1, &b, &w, &h), NB_OK);
    assert_true(memcmp(a, b, (size_t)w * (size_t)h * 3) != 0); /* the camera turned */
    free(a);
    free(b);
    struct stat sb;
    assert_int_not_equal(stat(f3, &sb), 0);
    snprintf(args, sizeof args, "'%s' --benchmark 2 --size 64x48", c->model);
    assert_int_equal(run(c, NULL, args), 0);
    nb_expect_text(c->text, "median");
    nb_expect_text(c->text, "ms/frame");
    nb_expect_text(c->text, "fragments");
    nb_expect_text(c->text, "segments 128");
    /* --layers: only pair 1 (4 x 3 edges, 4 segments each) */
    snprintf(args, sizeof args, "'%s' --benchmark 1 --size 64x48 --layers 1:1", c->model);
    assert_int_equal(run(c, NULL, args), 0);
    nb_expect_text(c->text, "edges 12, segments 48");
}

/* Output names: the extension picks PNG or JPEG; any other is refused with exit status 1
 * before anything is loaded or written; --transparent PNGs have an alpha channel. */
static void test_output_formats(void **state) {
    ctx *c = *state;
    char args[1024], out[256];
    /* an extension the writer does not produce */
    snprintf(out, sizeof out, "%s/fig.bmp", c->dir);
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --size 64x48", c->model, out);
    assert_int_equal(run(c, NULL, args), 1);
    nb_expect_text(c->text, out);
    nb_expect_text(c->text, "cannot write '.bmp' images");
    nb_expect_text(c->text, ".png, .jpg or .jpeg");
    nb_expect_text(c->text, "NB_E_INVALID");
    assert_false(nb_test_exists(out));
    /* ... refused before the input is even read (a missing input is not reported) */
    snprintf(args, sizeof args, "'%s/missing.nnb.h5' --screenshot '%s/noext'", c->dir, c->dir);
    assert_int_equal(run(c, NULL, args), 1);
    nb_expect_text(c->text, "no file extension");
    /* JPEG */
    snprintf(out, sizeof out, "%s/fig.jpg", c->dir);
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --size 120x80 --jpeg-quality 80 -q",
             c->model, out);
    assert_int_equal(run(c, NULL, args), 0);
    unsigned char *px = NULL;
    int w = 0, h = 0, comp = 0;
    assert_int_equal(nb_screenshot_read(out, 3, &px, &w, &h, &comp), NB_OK);
    assert_true(w == 120 && h == 80 && comp == 3);
    const unsigned char white[3] = {255, 255, 255};
    assert_true(test_count_non_background(px, w, h, white, 24) > 100);
    free(px);
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    unsigned char magic[2] = {0, 0};
    assert_int_equal(fread(magic, 1, 2, f), 2);
    fclose(f);
    assert_true(magic[0] == 0xFF && magic[1] == 0xD8);
    /* --transparent with JPEG: usage error */
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --transparent", c->model, out);
    assert_int_equal(run(c, NULL, args), 2);
    nb_expect_text(c->text, "JPEG has no alpha channel");
    /* opaque PNG is RGB; transparent PNG is RGBA with alpha 0 on the background */
    snprintf(out, sizeof out, "%s/opaque.png", c->dir);
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --size 120x80 -q", c->model, out);
    assert_int_equal(run(c, NULL, args), 0);
    assert_int_equal(nb_screenshot_read(out, 4, &px, &w, &h, &comp), NB_OK);
    assert_int_equal(comp, 3);
    free(px);
    snprintf(out, sizeof out, "%s/clear.png", c->dir);
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --size 120x80 --transparent -q", c->model,
             out);
    assert_int_equal(run(c, NULL, args), 0);
    assert_int_equal(nb_screenshot_read(out, 4, &px, &w, &h, &comp), NB_OK);
    assert_int_equal(comp, 4);
    size_t clear = 0, covered = 0;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        clear += px[4 * i + 3] == 0;
        covered += px[4 * i + 3] > 0;
    }
    assert_true(clear > 1000 && covered > 100);
    free(px);
    /* --frames with --format jpg: frame_00000.jpg ... */
    char dir[256], f0[320];
    snprintf(dir, sizeof dir, "%s/jframes", c->dir);
    snprintf(args, sizeof args, "'%s' --frames '%s' --count 2 --format jpg --size 64x48 -q",
             c->model, dir);
    assert_int_equal(run(c, NULL, args), 0);
    snprintf(f0, sizeof f0, "%s/frame_00001.jpg", dir);
    assert_int_equal(nb_screenshot_read(f0, 3, &px, &w, &h, &comp), NB_OK);
    free(px);
    snprintf(f0, sizeof f0, "%s/frame_00000.png", dir);
    assert_false(nb_test_exists(f0));
}

/* Without the font file the legend falls back to the block font with one warning. */
static void test_font_fallback(void **state) {
    ctx *c = *state;
    char args[1024], out[256], env[256];
    snprintf(out, sizeof out, "%s/nofont.png", c->dir);
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --size 320x240", c->model, out);
    snprintf(env, sizeof env, "NNBUNDLE_FONT='%s/none.ttf'", c->dir);
    assert_int_equal(run(c, env, args), 0);
    nb_expect_text(c->text, "legend font: [");
    nb_expect_text(c->text, "none.ttf] cannot open the font file");
    nb_expect_text(c->text, "built-in block font");
    const char *first = strstr(c->text, "legend font");
    assert_null(strstr(first + 1, "legend font")); /* once */
    /* the block-font legend is drawn: the image differs from one without a legend */
    char bare[256];
    snprintf(bare, sizeof bare, "%s/nolegend.png", c->dir);
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --size 320x240 --set show_legend=false",
             c->model, bare);
    assert_int_equal(run(c, env, args), 0);
    assert_null(strstr(c->text, "legend font")); /* no warning when the legend is off */
    unsigned char *a = NULL, *b = NULL;
    int w = 0, h = 0;
    assert_int_equal(nb_screenshot_read_png(out, &a, &w, &h), NB_OK);
    assert_int_equal(nb_screenshot_read_png(bare, &b, &w, &h), NB_OK);
    size_t differ = 0;
    for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++)
        differ += a[i] != b[i];
    assert_true(differ > 300);
    free(a);
    free(b);
    /* no warning with the real font */
    snprintf(args, sizeof args, "'%s' --screenshot '%s' --size 64x48", c->model, out);
    assert_int_equal(run(c, NULL, args), 0);
    if (nb_test_exists(NB_FONT_PATH))
        assert_null(strstr(c->text, "legend font"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_and_help),       cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_no_display),           cmocka_unit_test(test_screenshot_and_camera),
        cmocka_unit_test(test_frames_and_benchmark), cmocka_unit_test(test_output_formats),
        cmocka_unit_test(test_font_fallback),        cmocka_unit_test(test_stored_config),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
