/* test_render_compare.c - compare mode through the nnbundle-render executable: two tiny
 * networks side by side against a golden image, the titles, one camera seen in the pixels
 * (the same file twice gives two identical panels), frames, and the error paths (titles
 * count, a missing or bundle-less second file, class and layer mismatches: exit status,
 * message naming the file, no output written).
 *
 * Golden image: tests/golden/compare_two.png, compared as in test_render_golden.c (a pixel
 * matches when every channel differs by at most 8; the image when 99.5 % of its pixels
 * match). On a mismatch the rendered image stays as golden_actual_compare_two.png next to
 * the test binary. Regenerate (after an intended change; look at the image first):
 *     NB_UPDATE_GOLDEN=1 ctest --test-dir build -R test_render_compare
 */
#include <sys/wait.h>
#include <unistd.h>

#include "nb_h5.h"
#include "nb_screenshot.h"
#include "nb_test.h"
#include "test_render_fixture.h"

#define GW             400
#define GH             200
#define PIXEL_TOL      8
#define MATCH_FRACTION 0.995

typedef struct ctx {
    char dir[64];
    char exe[1024];
    char a[128], b[128];   /* two tiny networks, 4 layers, 3 classes */
    char small[128];       /* 3 layers, 3 classes */
    char two_classes[128]; /* 4 layers, 2 classes */
    char nobundle[128];    /* no /bundle */
    char out[256];         /* stdout + stderr of the last run */
    char text[16384];
} ctx;

static void write_model(const char *path, const size_t *sizes, size_t n_layers, uint64_t seed,
                        bool bundle) {
    test_save_model(path, sizes, n_layers, 6, seed, bundle);
}

static int setup(void **state) {
    ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    test_renderer_exe(c->exe, sizeof c->exe);
    snprintf(c->dir, sizeof c->dir, "/tmp/nb_test_cmp_XXXXXX");
    if (!mkdtemp(c->dir))
        return -1;
    snprintf(c->a, sizeof c->a, "%s/untrained.nnb.h5", c->dir);
    snprintf(c->b, sizeof c->b, "%s/trained.nnb.h5", c->dir);
    snprintf(c->small, sizeof c->small, "%s/small.nnb.h5", c->dir);
    snprintf(c->two_classes, sizeof c->two_classes, "%s/two.nnb.h5", c->dir);
    snprintf(c->nobundle, sizeof c->nobundle, "%s/raw.nnb.h5", c->dir);
    snprintf(c->out, sizeof c->out, "%s/out.txt", c->dir);
    static const size_t four[4] = {8, 5, 4, 3}, three[3] = {6, 4, 3}, two[4] = {8, 5, 4, 2};
    write_model(c->a, four, 4, 7, true);
    write_model(c->b, four, 4, 2024, true);
    write_model(c->small, three, 3, 5, true);
    write_model(c->two_classes, two, 4, 9, true);
    write_model(c->nobundle, four, 4, 7, false);
    *state = c;
    return 0;
}

static int teardown(void **state) {
    ctx *c = *state;
    bool removed = nb_test_remove_tree(c->dir);
    free(c);
    return removed ? 0 : -1;
}

/* Runs `exe ARGS` with stdout+stderr captured in c->text; returns the exit code. */
static int run(ctx *c, const char *args) {
    return test_run_program(c->exe, NULL, args, c->out, c->text, sizeof c->text);
}

/* Non-white pixels (any channel below 255 - 48) in the rectangle [x0, x1) x [y0, y1). */
static size_t drawn_in(const unsigned char *rgb, int w, int x0, int y0, int x1, int y1) {
    size_t n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const unsigned char *p = rgb + 3 * ((size_t)y * (size_t)w + (size_t)x);
            n += p[0] < 207 || p[1] < 207 || p[2] < 207;
        }
    return n;
}

static void test_golden(void **state) {
    ctx *c = *state;
    char png[256], args[2048];
    snprintf(png, sizeof png, "%s/cmp.png", c->dir);
    snprintf(args, sizeof args,
             "'%s' '%s' --screenshot '%s' --size %dx%d --columns 2 --titles 'untrained,trained' -q",
             c->a, c->b, png, GW, GH);
    assert_int_equal(run(c, args), 0);
    unsigned char *rgb = NULL;
    int w = 0, h = 0;
    assert_int_equal(nb_screenshot_read_png(png, &rgb, &w, &h), NB_OK);
    assert_int_equal(w, GW);
    assert_int_equal(h, GH);
    /* both panels (200x200 each: one row) hold a network */
    assert_true(drawn_in(rgb, w, 0, 30, 200, 200) > 500);
    assert_true(drawn_in(rgb, w, 200, 30, 400, 200) > 500);
    char golden[1024];
    nb_test_source_path(golden, sizeof golden, "tests/golden/compare_two.png");
    if (getenv("NB_UPDATE_GOLDEN") && getenv("NB_UPDATE_GOLDEN")[0] == '1') {
        assert_int_equal(nb_screenshot_write_png(golden, rgb, w, h), NB_OK);
        fprintf(stderr, "updated %s\n", golden);
        free(rgb);
        return;
    }
    unsigned char *ref = NULL;
    int rw = 0, rh = 0;
    if (nb_screenshot_read_png(golden, &ref, &rw, &rh) != NB_OK)
        fail_msg("%s (regenerate with NB_UPDATE_GOLDEN=1)", nb_error_message());
    double frac =
        rw == w && rh == h ? test_match_fraction(rgb, ref, (size_t)w * (size_t)h, PIXEL_TOL) : 0.0;
    if (frac < MATCH_FRACTION) {
        (void)nb_screenshot_write_png("golden_actual_compare_two.png", rgb, w, h);
        fail_msg("%.2f %% of pixels within %d levels (need %.1f %%); wrote "
                 "golden_actual_compare_two.png",
                 100.0 * frac, PIXEL_TOL, 100.0 * MATCH_FRACTION);
    }
    free(ref);
    free(rgb);
}

/* Titles are drawn in each panel's title band; --no-titles leaves the bands empty. */
static void test_titles(void **state) {
    ctx *c = *state;
    char png[256], args[2048];
    snprintf(png, sizeof png, "%s/titles.png", c->dir);
    snprintf(args, sizeof args,
             "'%s' '%s' --screenshot '%s' --size 600x300 --columns 2 --set show_legend=false "
             "--titles 'left net,right net' -q",
             c->a, c->b, png);
    assert_int_equal(run(c, args), 0);
    unsigned char *rgb = NULL;
    int w = 0, h = 0;
    assert_int_equal(nb_screenshot_read_png(png, &rgb, &w, &h), NB_OK);
    /* title band: 1.6 text lines of 11 px = 18 px; text centred in each 300-pixel panel */
    assert_true(drawn_in(rgb, w, 100, 0, 200, 18) > 20);
    assert_true(drawn_in(rgb, w, 400, 0, 500, 18) > 20);
    assert_int_equal(drawn_in(rgb, w, 0, 0, 60, 18), 0); /* the band's ends stay empty */
    free(rgb);
    snprintf(args, sizeof args,
             "'%s' '%s' --screenshot '%s' --size 600x300 --columns 2 --set show_legend=false "
             "--no-titles -q",
             c->a, c->b, png);
    assert_int_equal(run(c, args), 0);
    assert_int_equal(nb_screenshot_read_png(png, &rgb, &w, &h), NB_OK);
    assert_int_equal(drawn_in(rgb, w, 100, 0, 200, 8), 0);
    assert_int_equal(drawn_in(rgb, w, 400, 0, 500, 8), 0);
    free(rgb);
}

/* One camera: the same file twice gives two identical panels (up to rasterisation), and the
 * drawn extents of two different networks sit in their own panels. */
static void test_one_camera_in_pixels(void **state) {
    ctx *c = *state;
    char png[256], args[2048];
    snprintf(png, sizeof png, "%s/same.png", c->dir);
    snprintf(args, sizeof args,
             "'%s' '%s' '%s' --screenshot '%s' --size 600x200 --columns 3 "
             "--set show_legend=false --no-titles -q",
             c->a, c->a, c->a, png);
    assert_int_equal(run(c, args), 0);
    unsigned char *rgb = NULL;
    int w = 0, h = 0;
    assert_int_equal(nb_screenshot_read_png(png, &rgb, &w, &h), NB_OK);
    unsigned char *p0 = malloc(200 * 200 * 3), *p2 = malloc(200 * 200 * 3);
    assert_non_null(p0);
    assert_non_null(p2);
    for (int y = 0; y < 200; y++) {
        memcpy(p0 + (size_t)y * 600, rgb + (size_t)y * 1800, 600);
        memcpy(p2 + (size_t)y * 600, rgb + (size_t)y * 1800 + 1200, 600);
    }
    assert_true(drawn_in(p0, 200, 0, 0, 200, 200) > 500);
    double frac = test_match_fraction(p0, p2, 200 * 200, PIXEL_TOL);
    if (frac < 0.995)
        fail_msg("panels 0 and 2 of the same file differ: %.2f %% match", 100.0 * frac);
    free(p0);
    free(p2);
    free(rgb);
}

static void test_frames(void **state) {
    ctx *c = *state;
    char dir[256], args[2048], f2[300];
    snprintf(dir, sizeof dir, "%s/frames", c->dir);
    snprintf(args, sizeof args, "'%s' '%s' --frames '%s' --count 3 --orbit --size 160x80 -q", c->a,
             c->b, dir);
    assert_int_equal(run(c, args), 0);
    snprintf(f2, sizeof f2, "%s/frame_00002.png", dir);
    assert_true(nb_test_exists(f2));
}

static void test_errors(void **state) {
    ctx *c = *state;
    char png[256], args[2048], missing[256];
    snprintf(png, sizeof png, "%s/never.png", c->dir);
    snprintf(missing, sizeof missing, "%s/missing.nnb.h5", c->dir);
    /* usage errors: exit 2 */
    snprintf(args, sizeof args, "'%s' '%s' --screenshot '%s' --titles 'only one'", c->a, c->b, png);
    assert_int_equal(run(c, args), 2);
    nb_expect_text(c->text, "--titles has 1 comma-separated title for 2 files");
    snprintf(args, sizeof args, "'%s' '%s'", c->a, c->b);
    assert_int_equal(run(c, args), 2);
    nb_expect_text(c->text, "add --screenshot OUT or --frames DIR");
    /* a missing second file: exit 1 naming it, nothing written */
    snprintf(args, sizeof args, "'%s' '%s' --screenshot '%s'", c->a, missing, png);
    assert_int_equal(run(c, args), 1);
    nb_expect_text(c->text, "missing.nnb.h5");
    nb_expect_text(c->text, "NB_E_IO");
    assert_false(nb_test_exists(png));
    /* a broken second file (not HDF5): exit 1 naming it, nothing written */
    char broken[256];
    snprintf(broken, sizeof broken, "%s/broken.nnb.h5", c->dir);
    nb_test_write_text(broken, "not an HDF5 file\n");
    snprintf(args, sizeof args, "'%s' '%s' --screenshot '%s'", c->a, broken, png);
    assert_int_equal(run(c, args), 1);
    nb_expect_text(c->text, "broken.nnb.h5");
    assert_false(nb_test_exists(png));
    /* a second file without /bundle */
    snprintf(args, sizeof args, "'%s' '%s' --screenshot '%s'", c->a, c->nobundle, png);
    assert_int_equal(run(c, args), 1);
    nb_expect_text(c->text, "raw.nnb.h5 /bundle]");
    nb_expect_text(c->text, "NB_E_MISSING");
    assert_false(nb_test_exists(png));
    /* another class count: exit 1 naming the file */
    snprintf(args, sizeof args, "'%s' '%s' --screenshot '%s'", c->a, c->two_classes, png);
    assert_int_equal(run(c, args), 1);
    nb_expect_text(c->text, "two.nnb.h5] 2 classes");
    nb_expect_text(c->text, "NB_E_MISMATCH");
    assert_false(nb_test_exists(png));
    /* another layer count draws (one camera fits both) but has no shared scale */
    snprintf(args, sizeof args, "'%s' '%s' --screenshot '%s' --shared-scale", c->a, c->small, png);
    assert_int_equal(run(c, args), 1);
    nb_expect_text(c->text, "small.nnb.h5] 3 layers");
    assert_false(nb_test_exists(png));
    snprintf(args, sizeof args, "'%s' '%s' --screenshot '%s' -q --size 200x100", c->a, c->small,
             png);
    assert_int_equal(run(c, args), 0);
    assert_true(nb_test_exists(png));
    remove(png);
    /* an output name the writer does not produce: refused before loading */
    snprintf(args, sizeof args, "'%s' '%s' --screenshot '%s/x.bmp'", c->a, missing, c->dir);
    assert_int_equal(run(c, args), 1);
    nb_expect_text(c->text, "cannot write '.bmp' images");
    /* an image too small for the panels */
    snprintf(args, sizeof args, "'%s' '%s' --screenshot '%s' --size 12x12", c->a, c->b, png);
    assert_int_equal(run(c, args), 1);
    nb_expect_text(c->text, "--size");
    assert_false(nb_test_exists(png));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_titles),
        cmocka_unit_test(test_one_camera_in_pixels),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
