/* test_export_browser.c - the page of nnbundle-render --export OUT.html in headless Chromium
 * (Debian's chromium, WebGL through SwiftShader), with the browser's network disabled (a
 * proxy that refuses every connection and a host resolver that resolves nothing): the
 * canvas is not blank, a class view and a camera pose chosen by URL change the picture,
 * the page's script ran to its end and the legend lists every class. Also the command
 * line's refusals. Exit status 77 (CTest: skipped) with a message when chromium is not
 * installed (the command-line part still runs and must pass); scripts/install_deps.sh
 * installs it, so CI runs this test. */

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nb_config.h"
#include "nb_screenshot.h"
#include "nb_test.h"
#include "test_render_fixture.h"

#define W 800
#define H 600

static const size_t sizes[3] = {6, 4, 3};
static char dir[PATH_MAX], page[PATH_MAX + 32];
static bool have_chromium;

static int chromium(const char *args, const char *log) {
    char text[256];
    char all[3 * PATH_MAX + 1024];
    snprintf(all, sizeof all,
             "--headless --no-sandbox --disable-dev-shm-usage --use-angle=swiftshader "
             "--enable-unsafe-swiftshader --proxy-server=127.0.0.1:9 "
             "'--host-resolver-rules=MAP * ~NOTFOUND' --user-data-dir='%s/profile' "
             "--window-size=%d,%d --virtual-time-budget=15000 %s",
             dir, W, H, args);
    return test_run_program("chromium", NULL, all, log, text, sizeof text);
}

/* Screenshot of the page with URL query q into rgb (W x H, malloc'd). */
static unsigned char *screenshot(const char *q, const char *name) {
    char args[2 * PATH_MAX + 256], shot[PATH_MAX + 64], log[PATH_MAX + 64];
    snprintf(shot, sizeof shot, "%s/%s.png", dir, name);
    snprintf(log, sizeof log, "%s/%s.log", dir, name);
    snprintf(args, sizeof args, "--screenshot='%s' 'file://%s%s'", shot, page, q);
    remove(shot);
    int rc = chromium(args, log);
    unsigned char *rgb = NULL;
    int w = 0, h = 0;
    if (nb_screenshot_read_png(shot, &rgb, &w, &h) != NB_OK) {
        fprintf(stderr, "chromium exit %d, no screenshot %s (log %s)\n", rc, shot, log);
        fail();
    }
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    return rgb;
}

/* Pixels of the middle of the picture (clear of the panels) unlike the background. */
static size_t drawn_in_middle(const unsigned char *rgb, const unsigned char bg[3]) {
    const int x0 = W * 30 / 100, x1 = W * 68 / 100, y0 = H * 15 / 100, y1 = H * 80 / 100;
    static unsigned char crop[W * H * 3];
    int cw = x1 - x0, ch = y1 - y0;
    for (int y = 0; y < ch; y++)
        memcpy(crop + (size_t)y * (size_t)cw * 3, rgb + ((size_t)(y0 + y) * W + (size_t)x0) * 3,
               (size_t)cw * 3);
    return test_count_non_background(crop, cw, ch, bg, 12);
}

static void test_page_in_chromium(void **state) {
    (void)state;
    if (!have_chromium) {
        fprintf(stderr, "SKIP: chromium is not installed (Debian package chromium; "
                        "scripts/install_deps.sh installs it)\n");
        skip();
    }
    char model[PATH_MAX + 32], exe[4096], args[3 * PATH_MAX], log[PATH_MAX + 32], text[2048];
    snprintf(model, sizeof model, "%s/tiny.nnb.h5", dir);
    snprintf(page, sizeof page, "%s/tiny.html", dir);
    test_save_model(model, sizes, 3, 6, 11, true);
    test_renderer_exe(exe, sizeof exe);
    snprintf(args, sizeof args, "'%s' --export '%s'", model, page);
    snprintf(log, sizeof log, "%s/export.log", dir);
    int rc = test_run_program(exe, NULL, args, log, text, sizeof text);
    if (rc != 0)
        fprintf(stderr, "%s\n", text);
    assert_int_equal(rc, 0);
    nb_expect_text(text, "wrote");

    nb_rendering_config cfg;
    nb_config_defaults(&nb_rendering_schema, &cfg);
    unsigned char bg[3];
    for (int i = 0; i < 3; i++)
        bg[i] = (unsigned char)(cfg.background[i] * 255.0 + 0.5);
    unsigned char *first = screenshot("", "default");
    size_t drawn = drawn_in_middle(first, bg);
    fprintf(stderr, "default view: %zu pixels drawn in the middle\n", drawn);
    assert_true(drawn > 500);
    unsigned char *other = screenshot("?view=3&pose=8", "class1_pose8");
    assert_true(drawn_in_middle(other, bg) > 200);
    double same = test_match_fraction(first, other, (size_t)W * H, 8);
    fprintf(stderr, "class 1, pose 8 matches the default picture on %.1f %% of pixels\n",
            100.0 * same);
    assert_true(same < 0.995);
    free(first);
    free(other);

    /* the DOM after the scripts ran: the legend and the script's end mark */
    char dom[PATH_MAX + 32];
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    snprintf(args, sizeof args, "--dump-dom 'file://%s' > '%s' 2>/dev/null; true", page, dom);
    (void)chromium(args, log);
    size_t len = 0;
    char *html = nb_test_read_file(dom, &len);
    assert_non_null(html);
    nb_expect_text(html, "data-nb-ready=\"");
    for (size_t c = 0; c < 3; c++) {
        char item[128];
        snprintf(item, sizeof item, "<li data-cls=\"%zu\"", c);
        nb_expect_text(html, item);
        snprintf(item, sizeof item, "</span>class %zu</li>", c);
        nb_expect_text(html, item);
    }
    free(html);
}

/* The command line: a name the exporter does not write is refused before the file is read
 * (the input here does not exist), an unwritable target is named, image options are usage
 * errors, and a glb is written. */
static void test_cli(void **state) {
    (void)state;
    char model[PATH_MAX + 32], exe[4096], args[3 * PATH_MAX], log[PATH_MAX + 32], text[2048];
    snprintf(model, sizeof model, "%s/cli.nnb.h5", dir);
    snprintf(log, sizeof log, "%s/cli.log", dir);
    test_save_model(model, sizes, 3, 4, 5, true);
    test_renderer_exe(exe, sizeof exe);
    assert_int_equal(test_run_program(exe, NULL, "no_such_input.nnb.h5 --export out.png", log, text,
                                      sizeof text),
                     1);
    nb_expect_text(text, "out.png");
    nb_expect_text(text, "unknown export format");
    snprintf(args, sizeof args, "'%s' --export '%s/no_such_dir/x.glb'", model, dir);
    assert_int_equal(test_run_program(exe, NULL, args, log, text, sizeof text), 1);
    nb_expect_text(text, "no_such_dir/x.glb");
    snprintf(args, sizeof args, "'%s' --export x.glb --transparent", model);
    assert_int_equal(test_run_program(exe, NULL, args, log, text, sizeof text), 2);
    nb_expect_text(text, "not to --export");
    char glb[PATH_MAX + 32];
    snprintf(glb, sizeof glb, "%s/cli.glb", dir);
    snprintf(args, sizeof args, "'%s' --export '%s' --layers 1", model, glb);
    assert_int_equal(test_run_program(exe, NULL, args, log, text, sizeof text), 0);
    nb_expect_text(text, "wrote");
    size_t len = 0;
    char *bytes = nb_test_read_file(glb, &len);
    assert_true(len > 12);
    assert_memory_equal(bytes, "glTF", 4);
    free(bytes);
}

int main(void) {
    have_chromium = system("command -v chromium > /dev/null 2>&1") == 0;
    char cwd[PATH_MAX - 64];
    if (!getcwd(cwd, sizeof cwd))
        return 1;
    snprintf(dir, sizeof dir, "%s/test_export_browser.d", cwd);
    nb_test_remove_tree(dir);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_page_in_chromium),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc == 0 && !have_chromium ? 77 : rc;
}
