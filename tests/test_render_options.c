/* test_render_options.c - nnbundle-render's command line: values, defaults, usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nb_config.h"
#include "nb_options.h"

/* argv storage: -Wwrite-strings makes literals const, argv is char *[] */
typedef struct args {
    char text[32][128];
    char *argv[33];
} args;

static int parse_list(args *a, nb_render_options *o, char *err, size_t n, const char *const *list) {
    int argc = 0;
    snprintf(a->text[argc], sizeof a->text[0], "%s", "nnbundle-render");
    a->argv[argc] = a->text[argc];
    argc++;
    for (; list[argc - 1]; argc++) {
        snprintf(a->text[argc], sizeof a->text[0], "%s", list[argc - 1]);
        a->argv[argc] = a->text[argc];
    }
    a->argv[argc] = NULL;
    return nb_options_parse(argc, a->argv, o, err, n);
}

#define PARSE(o, err, ...)                                                                         \
    parse_list(&storage, o, err, sizeof err, (const char *const[]){__VA_ARGS__, NULL})

static void test_defaults(void **state) {
    (void)state;
    nb_render_options o;
    char err[256];
    args storage;
    assert_int_equal(PARSE(&o, err, "m.nnb.h5"), NB_RENDER_EXIT_OK);
    assert_string_equal(o.input, "m.nnb.h5");
    assert_int_equal(o.mode, NB_RUN_INTERACTIVE);
    assert_int_equal(o.width, 1280);
    assert_int_equal(o.height, 720);
    assert_int_equal(o.camera, -1);
    assert_int_equal(o.count, 36);
    assert_int_equal(o.quit_after, -1);
    assert_true(o.watch);
    assert_false(o.filter_layers);
    assert_null(o.config_path);
    assert_int_equal(o.n_sets, 0);
    assert_false(o.transparent);
    assert_int_equal(o.image_format, NB_IMAGE_PNG);
    assert_int_equal(o.jpeg_quality, 0);
}

static void test_image_options(void **state) {
    (void)state;
    nb_render_options o;
    char err[256];
    args storage;
    assert_int_equal(PARSE(&o, err, "m", "--screenshot", "fig.png", "--transparent"),
                     NB_RENDER_EXIT_OK);
    assert_true(o.transparent);
    assert_int_equal(PARSE(&o, err, "m", "--screenshot", "fig.JPG", "--jpeg-quality=75"),
                     NB_RENDER_EXIT_OK);
    assert_int_equal(o.jpeg_quality, 75);
    assert_int_equal(
        PARSE(&o, err, "m", "--frames", "d", "--format", "jpg", "--jpeg-quality", "60"),
        NB_RENDER_EXIT_OK);
    assert_int_equal(o.image_format, NB_IMAGE_JPEG);
    assert_int_equal(PARSE(&o, err, "m", "--format=jpeg"), NB_RENDER_EXIT_OK); /* K and R */
    assert_int_equal(o.image_format, NB_IMAGE_JPEG);
    assert_int_equal(PARSE(&o, err, "m", "--transparent", "--format", "png"), NB_RENDER_EXIT_OK);
    /* an unknown extension is not a usage error: nb_app refuses it with exit status 1 */
    assert_int_equal(PARSE(&o, err, "m", "--screenshot", "fig.bmp", "--jpeg-quality", "50"),
                     NB_RENDER_EXIT_OK);
}

static void test_all_options(void **state) {
    (void)state;
    nb_render_options o;
    char err[256];
    args storage;
    assert_int_equal(PARSE(&o, err, "--config", "r.json", "m.nnb.h5", "--set", "edge_mode=line",
                           "--set=class_view=class", "--size", "320x200", "--camera=3", "--layers",
                           "1:2", "--screenshot", "out.png", "--quiet"),
                     NB_RENDER_EXIT_OK);
    assert_string_equal(o.config_path, "r.json");
    assert_int_equal(o.n_sets, 2);
    assert_string_equal(o.sets[0], "edge_mode=line");
    assert_string_equal(o.sets[1], "class_view=class");
    assert_int_equal(o.width, 320);
    assert_int_equal(o.height, 200);
    assert_int_equal(o.camera, 3);
    assert_true(o.filter_layers);
    assert_int_equal(o.pair_first, 1);
    assert_int_equal(o.pair_last, 2);
    assert_int_equal(o.mode, NB_RUN_SCREENSHOT);
    assert_string_equal(o.screenshot_path, "out.png");
    assert_true(o.quiet);

    assert_int_equal(PARSE(&o, err, "m", "--frames", "dir", "--count", "12", "--orbit"),
                     NB_RENDER_EXIT_OK);
    assert_int_equal(o.mode, NB_RUN_FRAMES);
    assert_string_equal(o.frames_dir, "dir");
    assert_int_equal(o.count, 12);
    assert_true(o.orbit);

    assert_int_equal(PARSE(&o, err, "m", "--benchmark", "5", "--layers", "2"), NB_RENDER_EXIT_OK);
    assert_int_equal(o.mode, NB_RUN_BENCHMARK);
    assert_int_equal(o.benchmark_frames, 5);
    assert_int_equal(o.pair_first, 2);
    assert_int_equal(o.pair_last, 2);

    assert_int_equal(PARSE(&o, err, "m", "--quit-after", "3", "--no-watch", "-v"),
                     NB_RENDER_EXIT_OK);
    assert_int_equal(o.quit_after, 3);
    assert_false(o.watch);
    assert_true(o.verbose);

    assert_int_equal(PARSE(&o, err, "--help"), NB_RENDER_EXIT_OK);
    assert_true(o.help);
    assert_int_equal(PARSE(&o, err, "m", "--version"), NB_RENDER_EXIT_OK);
    assert_true(o.version);
}

static void expect_usage(int rc, const char *err, const char *fragment) {
    assert_int_equal(rc, NB_RENDER_EXIT_USAGE);
    if (!strstr(err, fragment))
        fail_msg("'%s' does not mention '%s'", err, fragment);
}

static void test_usage_errors(void **state) {
    (void)state;
    nb_render_options o;
    char err[256];
    args storage;
    expect_usage(PARSE(&o, err, "--size", "10x10"), err, "no input file");
    expect_usage(PARSE(&o, err, "a", "b"), err, "add --screenshot OUT or --frames DIR");
    expect_usage(PARSE(&o, err, "m", "--bogus"), err, "unknown option '--bogus'");
    expect_usage(PARSE(&o, err, "m", "--config"), err, "--config needs a value");
    expect_usage(PARSE(&o, err, "m", "--set", "novalue"), err, "key=value");
    expect_usage(PARSE(&o, err, "m", "--size", "10"), err, "--size");
    expect_usage(PARSE(&o, err, "m", "--size", "0x10"), err, "--size");
    expect_usage(PARSE(&o, err, "m", "--size", "10x99999"), err, "--size");
    expect_usage(PARSE(&o, err, "m", "--size", "10x10x"), err, "--size");
    expect_usage(PARSE(&o, err, "m", "--camera", "10"), err, "--camera");
    expect_usage(PARSE(&o, err, "m", "--camera", "x"), err, "--camera");
    expect_usage(PARSE(&o, err, "m", "--layers", "2:1"), err, "--layers");
    expect_usage(PARSE(&o, err, "m", "--layers", "a:1"), err, "--layers");
    expect_usage(PARSE(&o, err, "m", "--layers", "-1"), err, "--layers");
    expect_usage(PARSE(&o, err, "m", "--benchmark", "0"), err, "--benchmark");
    expect_usage(PARSE(&o, err, "m", "--count", "3"), err, "need --frames");
    expect_usage(PARSE(&o, err, "m", "--orbit"), err, "need --frames");
    expect_usage(PARSE(&o, err, "m", "--frames", "d", "--count", "0"), err, "--count");
    expect_usage(PARSE(&o, err, "m", "--screenshot", "a.png", "--frames", "d"), err, "exclude");
    expect_usage(PARSE(&o, err, "m", "--screenshot", "a.png", "--quit-after", "2"), err,
                 "interactive");
    expect_usage(PARSE(&o, err, "m", "--format", "tiff"), err, "--format expects png or jpg");
    expect_usage(PARSE(&o, err, "m", "--screenshot", "a.png", "--format", "jpg"), err,
                 "extension of 'a.png'");
    expect_usage(PARSE(&o, err, "m", "--screenshot", "a.jpg", "--transparent"), err,
                 "JPEG has no alpha channel");
    expect_usage(PARSE(&o, err, "m", "--frames", "d", "--format", "jpg", "--transparent"), err,
                 "JPEG has no alpha channel");
    expect_usage(PARSE(&o, err, "m", "--screenshot", "a.png", "--jpeg-quality", "80"), err,
                 "--jpeg-quality needs JPEG output");
    expect_usage(PARSE(&o, err, "m", "--frames", "d", "--jpeg-quality", "80"), err,
                 "--jpeg-quality needs JPEG output");
    expect_usage(PARSE(&o, err, "m", "--screenshot", "a.jpg", "--jpeg-quality", "0"), err,
                 "--jpeg-quality expects 1..100");
    expect_usage(PARSE(&o, err, "m", "--screenshot", "a.jpg", "--jpeg-quality", "101"), err,
                 "--jpeg-quality expects 1..100");
    expect_usage(PARSE(&o, err, "m", "--benchmark", "2", "--transparent"), err,
                 "not to --benchmark");
}

/* Several files: compare mode, its options and its usage errors. */
static void test_compare_options(void **state) {
    (void)state;
    nb_render_options o;
    char err[256];
    args storage;
    assert_int_equal(PARSE(&o, err, "a.nnb.h5", "b.nnb.h5", "c.nnb.h5", "--screenshot", "cmp.png",
                           "--titles", "untrained,trained,L1", "--columns", "2", "--shared-scale",
                           "--camera", "6"),
                     NB_RENDER_EXIT_OK);
    assert_int_equal(o.n_inputs, 3);
    assert_string_equal(o.input, "a.nnb.h5");
    assert_string_equal(o.inputs[1], "b.nnb.h5");
    assert_string_equal(o.inputs[2], "c.nnb.h5");
    assert_string_equal(o.titles, "untrained,trained,L1");
    assert_int_equal(o.columns, 2);
    assert_true(o.shared_scale);
    assert_false(o.no_titles);
    assert_int_equal(o.camera, 6);
    assert_int_equal(PARSE(&o, err, "a", "b", "--frames", "d", "--orbit", "--no-titles"),
                     NB_RENDER_EXIT_OK);
    assert_int_equal(o.n_inputs, 2);
    assert_true(o.no_titles);
    assert_null(o.titles);
    /* one file keeps the single-file path */
    assert_int_equal(PARSE(&o, err, "m"), NB_RENDER_EXIT_OK);
    assert_int_equal(o.n_inputs, 1);
    assert_string_equal(o.input, "m");

    expect_usage(PARSE(&o, err, "a", "b", "--screenshot", "x.png", "--titles", "one"), err,
                 "--titles has 1 comma-separated title for 2 files");
    expect_usage(PARSE(&o, err, "a", "b", "--screenshot", "x.png", "--titles", "p,q,r"), err,
                 "--titles has 3 comma-separated titles for 2 files");
    expect_usage(
        PARSE(&o, err, "a", "b", "--screenshot", "x.png", "--titles", "p,q", "--no-titles"), err,
        "exclude each other");
    expect_usage(PARSE(&o, err, "a", "b"), err, "2 files are compared side by side");
    expect_usage(PARSE(&o, err, "a", "b", "--benchmark", "3"), err,
                 "the window and --benchmark show one network");
    expect_usage(PARSE(&o, err, "a", "b", "--screenshot", "x.png", "--columns", "3"), err,
                 "--columns 3 is more than the 2 files");
    expect_usage(PARSE(&o, err, "a", "b", "--screenshot", "x.png", "--columns", "0"), err,
                 "--columns expects");
    expect_usage(PARSE(&o, err, "m", "--screenshot", "x.png", "--titles", "t"), err,
                 "apply to several files");
    expect_usage(PARSE(&o, err, "m", "--screenshot", "x.png", "--shared-scale"), err,
                 "apply to several files");
    const char *many[NB_OPTIONS_MAX_INPUTS + 3];
    for (int i = 0; i <= NB_OPTIONS_MAX_INPUTS; i++)
        many[i] = "f.nnb.h5";
    many[NB_OPTIONS_MAX_INPUTS + 1] = "--screenshot=x.png";
    many[NB_OPTIONS_MAX_INPUTS + 2] = NULL;
    expect_usage(parse_list(&storage, &o, err, sizeof err, many), err, "too many input files");
}

static void test_help_lists_everything(void **state) {
    (void)state;
    char buf[16384] = "";
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    assert_non_null(f);
    nb_options_print_help(f);
    fclose(f);
    const char *must[] = {"--config",       "--set",          "--layers",
                          "--camera",       "--size",         "--screenshot",
                          "--frames",       "--count",        "--orbit",
                          "--benchmark",    "--no-watch",     "--quit-after",
                          "--quiet",        "--verbose",      "--help",
                          "--version",      "--transparent",  "--format",
                          "--jpeg-quality", ".jpg",           "NNBUNDLE_SHADER_DIR",
                          "NNBUNDLE_FONT",  "Exit status",    "ESC",
                          "wboit",          "--titles",       "--no-titles",
                          "--columns",      "--shared-scale", "FILE1 FILE2"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        if (!strstr(buf, must[i]))
            fail_msg("--help lacks %s", must[i]);
    /* every rendering key (edge_ and node_ keys by their common suffix) and every word of its
     * enum, as the key table has them */
    for (size_t i = 0; i < nb_rendering_schema.n_keys; i++) {
        const nb_config_key *k = &nb_rendering_schema.keys[i];
        const char *name =
            strncmp(k->name, "edge_", 5) && strncmp(k->name, "node_", 5) ? k->name : k->name + 5;
        if (!strstr(buf, name))
            fail_msg("--help lacks the key %s", k->name);
        for (size_t e = 0; k->type == NB_CONFIG_ENUM && k->enum_names[e]; e++)
            if (!strstr(buf, k->enum_names[e]))
                fail_msg("--help lacks %s of %s", k->enum_names[e], k->name);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),        cmocka_unit_test(test_all_options),
        cmocka_unit_test(test_image_options),   cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_compare_options), cmocka_unit_test(test_help_lists_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
