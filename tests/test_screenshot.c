/* test_screenshot.c - image output without GL: formats from the name (and the refusal of any
 * other extension, with nothing written), JPEG and RGBA PNG round trips, the transparent
 * background rule (un-blend, then composite over the background = the render). */
#include <sys/stat.h>
#include <unistd.h>

#include "nb_screenshot.h"
#include "nb_test.h"

static char g_dir[64];

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/nb_test_shot_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return nb_test_remove_tree(g_dir) ? 0 : -1;
}

static void test_formats(void **state) {
    (void)state;
    nb_image_format f = NB_IMAGE_JPEG;
    assert_int_equal(nb_screenshot_format("a/b.png", &f), NB_OK);
    assert_int_equal(f, NB_IMAGE_PNG);
    assert_int_equal(nb_screenshot_format("B.PNG", &f), NB_OK);
    assert_int_equal(f, NB_IMAGE_PNG);
    assert_int_equal(nb_screenshot_format("x.jpg", &f), NB_OK);
    assert_int_equal(f, NB_IMAGE_JPEG);
    assert_int_equal(nb_screenshot_format("dir.v2/x.JPEG", &f), NB_OK);
    assert_int_equal(f, NB_IMAGE_JPEG);
    assert_int_equal(nb_screenshot_format("out/fig.bmp", &f), NB_E_INVALID);
    assert_non_null(strstr(nb_error_message(), "[out/fig.bmp]"));
    assert_non_null(strstr(nb_error_message(), "cannot write '.bmp' images"));
    assert_non_null(strstr(nb_error_message(), ".png, .jpg or .jpeg"));
    assert_int_equal(nb_screenshot_format("dir.png/noext", &f), NB_E_INVALID);
    assert_non_null(strstr(nb_error_message(), "no file extension"));
    assert_int_equal(nb_screenshot_format(".png", &f), NB_E_INVALID); /* a hidden file */
    assert_true(nb_screenshot_parse_format("jpeg", &f) && f == NB_IMAGE_JPEG);
    assert_true(nb_screenshot_parse_format("PNG", &f) && f == NB_IMAGE_PNG);
    assert_false(nb_screenshot_parse_format("tiff", &f));
    assert_false(nb_screenshot_parse_format(NULL, &f));
    assert_string_equal(nb_screenshot_extension(NB_IMAGE_JPEG), "jpg");
    assert_string_equal(nb_screenshot_extension(NB_IMAGE_PNG), "png");
    char name[256];
    assert_int_equal(
        nb_screenshot_name_format(name, sizeof name, "d", "m.nnb.h5", 0, 7, NB_IMAGE_JPEG), NB_OK);
    assert_string_equal(name, "d/m_19700101T000000Z_00007.jpg");
}

/* A gradient test card. */
static void card(unsigned char *rgb, int w, int h) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = rgb + 3 * ((size_t)y * (size_t)w + (size_t)x);
            p[0] = (unsigned char)(255 * x / (w - 1));
            p[1] = (unsigned char)(255 * y / (h - 1));
            p[2] = 128;
        }
}

/* Refused and failed writes leave no file: neither the image nor a temporary one. */
static void test_write_errors_leave_nothing(void **state) {
    (void)state;
    unsigned char rgb[16 * 8 * 3];
    card(rgb, 16, 8);
    char path[128];
    snprintf(path, sizeof path, "%s/out.bmp", g_dir);
    assert_int_equal(nb_screenshot_write(path, rgb, 16, 8, 3, 0), NB_E_INVALID);
    assert_non_null(strstr(nb_error_message(), path));
    assert_false(nb_test_exists(path));
    snprintf(path, sizeof path, "%s/out.jpg", g_dir);
    unsigned char rgba[16 * 8 * 4] = {0};
    assert_int_equal(nb_screenshot_write(path, rgba, 16, 8, 4, 0), NB_E_INVALID);
    assert_non_null(strstr(nb_error_message(), "JPEG has no alpha channel"));
    assert_int_equal(nb_screenshot_write(path, rgb, 16, 8, 3, 101), NB_E_INVALID);
    assert_int_equal(nb_screenshot_write(path, rgb, 16, 8, 2, 0), NB_E_INVALID);
    assert_int_equal(nb_screenshot_write(path, rgb, 0, 8, 3, 0), NB_E_INVALID);
    assert_false(nb_test_exists(path));
    snprintf(path, sizeof path, "%s/missing/out.jpg", g_dir);
    assert_int_equal(nb_screenshot_write(path, rgb, 16, 8, 3, 0), NB_E_IO);
    assert_non_null(strstr(nb_error_message(), "cannot create the temporary file out.jpg.nbtmp."));
    assert_false(nb_test_tmp_left(path));
    /* a write that fails after encoding (the name is taken by a directory) or before it (a
     * read-only directory; permissions do not bind root) leaves no temporary file and the name as
     * it was */
    snprintf(path, sizeof path, "%s/taken.png", g_dir);
    assert_int_equal(mkdir(path, 0755), 0);
    nb_expect_error(nb_screenshot_write(path, rgb, 16, 8, 3, 0), NB_E_IO, path, "is a directory");
    assert_false(nb_test_tmp_left(path));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(rmdir(path), 0);
    if (geteuid() != 0) {
        char dir[96];
        snprintf(dir, sizeof dir, "%s/read_only", g_dir);
        assert_int_equal(mkdir(dir, 0555), 0);
        snprintf(path, sizeof path, "%s/out.jpg", dir);
        nb_status st = nb_screenshot_write(path, rgb, 16, 8, 3, 0);
        nb_expect_error(st, NB_E_IO, path, "cannot write JPEG");
        assert_false(nb_test_exists(path));
        assert_false(nb_test_tmp_left(path));
        assert_int_equal(rmdir(dir), 0);
    }
}

static void test_jpeg_and_rgba_round_trip(void **state) {
    (void)state;
    enum { W = 64, H = 48 };
    static unsigned char rgb[W * H * 3];
    card(rgb, W, H);
    char path[128];
    snprintf(path, sizeof path, "%s/card.jpeg", g_dir);
    assert_int_equal(nb_screenshot_write(path, rgb, W, H, 3, 95), NB_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char magic[3];
    assert_int_equal(fread(magic, 1, 3, f), 3);
    fclose(f);
    assert_true(magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF); /* JPEG SOI */
    unsigned char *back = NULL;
    int w = 0, h = 0, comp = 0;
    assert_int_equal(nb_screenshot_read(path, 3, &back, &w, &h, &comp), NB_OK);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    assert_int_equal(comp, 3);
    double err = 0.0;
    for (size_t i = 0; i < sizeof rgb; i++)
        err += fabs((double)back[i] - (double)rgb[i]);
    assert_true(err / (double)sizeof rgb < 3.0); /* lossy, but close at quality 95 */
    free(back);
    /* RGBA PNG keeps four channels, bit exact */
    static unsigned char rgba[W * H * 4];
    for (size_t i = 0; i < (size_t)W * H; i++) {
        memcpy(rgba + 4 * i, rgb + 3 * i, 3);
        rgba[4 * i + 3] = (unsigned char)(i % 256);
    }
    snprintf(path, sizeof path, "%s/card.png", g_dir);
    assert_int_equal(nb_screenshot_write(path, rgba, W, H, 4, 0), NB_OK);
    assert_int_equal(nb_screenshot_read(path, 4, &back, &w, &h, &comp), NB_OK);
    assert_int_equal(comp, 4);
    assert_memory_equal(back, rgba, sizeof rgba);
    free(back);
}

/* Rendered pixels are C = c a + B (1 - a) with coverage a; un-blending and compositing the
 * PNG over B must give C back within one level, for every background and coverage. */
static void test_unblend_rule(void **state) {
    (void)state;
    const float backgrounds[3][3] = {{1, 1, 1}, {0, 0, 0}, {0.2f, 0.5f, 0.9f}};
    uint32_t seed = 12345;
    for (int b = 0; b < 3; b++) {
        const float *B = backgrounds[b];
        enum { N = 4096 };
        static unsigned char rendered[N * 4], rgb[N * 3];
        for (size_t i = 0; i < N; i++) {
            seed = seed * 1664525u + 1013904223u;
            float a = (float)(i % 256) / 255.0f;
            for (int c = 0; c < 3; c++) {
                seed = seed * 1664525u + 1013904223u;
                float col = (float)(seed >> 8) / 16777216.0f;
                float C = col * a + B[c] * (1.0f - a);
                rendered[4 * i + (size_t)c] = (unsigned char)lrintf(C * 255.0f);
            }
            rendered[4 * i + 3] = (unsigned char)(i % 256);
        }
        static unsigned char png[N * 4];
        memcpy(png, rendered, sizeof png);
        nb_screenshot_unblend(png, N, B);
        nb_screenshot_composite(png, N, B, rgb);
        int worst = 0;
        for (size_t i = 0; i < N; i++) {
            for (int c = 0; c < 3; c++) {
                int d = abs((int)rgb[3 * i + (size_t)c] - (int)rendered[4 * i + (size_t)c]);
                worst = d > worst ? d : worst;
            }
            assert_int_equal(png[4 * i + 3], rendered[4 * i + 3]); /* alpha kept */
            if (png[4 * i + 3] == 0) /* uncovered pixels hold the background colour */
                for (int c = 0; c < 3; c++)
                    assert_int_equal(png[4 * i + (size_t)c], (int)lrintf(B[c] * 255.0f));
        }
        if (worst > 1)
            fail_msg("background %d: composite differs by %d levels", b, worst);
    }
    /* a fully opaque pixel is unchanged; a half-covered red pixel on white is pure red */
    unsigned char px[8] = {10, 20, 30, 255, 255, 127, 127, 128};
    const float white[3] = {1, 1, 1};
    nb_screenshot_unblend(px, 2, white);
    assert_int_equal(px[0], 10);
    assert_int_equal(px[2], 30);
    assert_int_equal(px[4], 255);
    assert_true(px[5] <= 1 && px[6] <= 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_write_errors_leave_nothing),
        cmocka_unit_test(test_jpeg_and_rgba_round_trip),
        cmocka_unit_test(test_unblend_rule),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
