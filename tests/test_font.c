/* test_font.c - TrueType faces (stb_truetype + DejaVu Sans), the block-font fallback, UTF-8,
 * antialiased discs, and the font file errors (missing file, not a font). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nb_font.h"

static const float black[4] = {0, 0, 0, 1};

static void test_font_file_errors(void **state) {
    (void)state;
    nb_font *f = NULL;
    assert_int_equal(nb_font_create("/no/such/dir/font.ttf", &f), NB_E_IO);
    assert_null(f);
    assert_non_null(strstr(nb_error_message(), "[/no/such/dir/font.ttf]"));
    assert_non_null(strstr(nb_error_message(), "cannot open"));
    char path[] = "/tmp/nb_test_font_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char junk[] = "this is not a TrueType font, just some bytes";
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    assert_int_equal(nb_font_create(path, &f), NB_E_FORMAT);
    assert_null(f);
    assert_non_null(strstr(nb_error_message(), path));
    assert_non_null(strstr(nb_error_message(), "not a TrueType font"));
    remove(path);
    nb_font_destroy(NULL);
}

static void test_default_path(void **state) {
    (void)state;
    unsetenv("NNBUNDLE_FONT");
    assert_string_equal(nb_font_default_path(), NB_FONT_PATH);
    setenv("NNBUNDLE_FONT", "/x/y.ttf", 1);
    assert_string_equal(nb_font_default_path(), "/x/y.ttf");
    setenv("NNBUNDLE_FONT", "", 1);
    assert_string_equal(nb_font_default_path(), NB_FONT_PATH);
    unsetenv("NNBUNDLE_FONT");
}

/* The fallback: stb_easy_font blocks, an integer scale that follows the pixel size. */
static void test_block_fallback(void **state) {
    (void)state;
    nb_font_face small, big;
    assert_int_equal(nb_font_face_init(&small, NULL, 11.0f), NB_OK);
    assert_int_equal(nb_font_face_init(&big, NULL, 48.0f), NB_OK);
    assert_false(small.truetype);
    assert_int_equal(small.block_scale, 1);
    assert_int_equal(big.block_scale, 5);
    float w1 = nb_font_text_width(&small, "Sneaker"), w5 = nb_font_text_width(&big, "Sneaker");
    assert_true(w1 > 20.0f);
    assert_true(fabsf(w5 - 5.0f * w1) < 0.01f);
    nb_overlay_buffer buf = {0};
    assert_int_equal(nb_font_draw_text(&big, &buf, 10.0f, 20.0f, "A\xc3\xa9", black), NB_OK);
    assert_true(buf.n > 0 && buf.n % 3 == 0);
    for (size_t i = 0; i < buf.n; i++) { /* inside the line box, solid texel */
        const float *v = buf.v + i * NB_OVERLAY_VERTEX_FLOATS;
        assert_true(v[1] >= 20.0f && v[1] <= 20.0f + big.line_height);
        assert_true(v[2] == big.white_uv[0] && v[3] == big.white_uv[1]);
    }
    free(buf.v);
    nb_font_face_deinit(&small);
    nb_font_face_deinit(&big);
    nb_font_face_deinit(NULL);
    nb_font_face bad;
    assert_int_equal(nb_font_face_init(&bad, NULL, 1.0f), NB_E_INVALID);
    assert_null(bad.atlas);
}

/* DejaVu Sans through stb_truetype: sizes scale, glyphs are antialiased, Latin-1 works. */
static void test_truetype_face(void **state) {
    (void)state;
    if (access(NB_FONT_PATH, R_OK) != 0)
        skip(); /* fonts-dejavu-core not installed (scripts/install_deps.sh installs it) */
    nb_font *font = NULL;
    assert_int_equal(nb_font_create(NB_FONT_PATH, &font), NB_OK);
    nb_font_face f16, f48;
    assert_int_equal(nb_font_face_init(&f16, font, 16.0f), NB_OK);
    assert_int_equal(nb_font_face_init(&f48, font, 48.0f), NB_OK);
    assert_true(f16.truetype && f48.truetype);
    assert_true(fabsf(f16.line_height - 16.0f) < 1.0f); /* DejaVu has no line gap */
    float w16 = nb_font_text_width(&f16, "T-shirt/top"),
          w48 = nb_font_text_width(&f48, "T-shirt/top");
    assert_true(w16 > 40.0f && w16 < 110.0f);
    assert_true(w48 / w16 > 2.8f && w48 / w16 < 3.2f);
    /* antialiased: the atlas has many partial-coverage texels, not just 0 and 255 */
    size_t partial = 0, n = (size_t)f48.atlas_width * (size_t)f48.atlas_height;
    for (size_t i = 0; i < n; i++)
        partial += f48.atlas[i] > 16 && f48.atlas[i] < 240;
    assert_true(partial > 2000);
    /* white texel for solid shapes */
    int wx = (int)(f48.white_uv[0] * (float)f48.atlas_width);
    int wy = (int)(f48.white_uv[1] * (float)f48.atlas_height);
    assert_int_equal(f48.atlas[(size_t)wy * (size_t)f48.atlas_width + (size_t)wx], 255);
    /* one quad per visible glyph: 'A', U+00E9, U+0001 -> '?', U+4E2D -> '?', space (none) */
    nb_overlay_buffer buf = {0};
    assert_int_equal(nb_font_draw_text(&f48, &buf, 0.0f, 0.0f, "A\xc3\xa9\x01\xe4\xb8\xad ", black),
                     NB_OK);
    assert_int_equal(buf.n, 4 * 6);
    for (size_t i = 0; i < buf.n; i++) {
        const float *v = buf.v + i * NB_OVERLAY_VERTEX_FLOATS;
        assert_true(v[1] >= -1.0f && v[1] <= f48.line_height + 1.0f);
        assert_true(v[2] >= 0.0f && v[2] <= 1.0f && v[3] >= 0.0f && v[3] <= 1.0f);
    }
    free(buf.v);
    nb_font_face_deinit(&f16);
    nb_font_face_deinit(&f48);
    nb_font_destroy(font);
}

static void test_shapes(void **state) {
    (void)state;
    nb_font_face f;
    assert_int_equal(nb_font_face_init(&f, NULL, 16.0f), NB_OK);
    nb_overlay_buffer buf = {0};
    const float red[4] = {1, 0, 0, 0.5f};
    assert_int_equal(nb_overlay_disc(&buf, &f, 50.0f, 40.0f, 10.0f, red), NB_OK);
    assert_true(buf.n > 0 && buf.n % 3 == 0);
    size_t clear = 0;
    for (size_t i = 0; i < buf.n; i++) {
        const float *v = buf.v + i * NB_OVERLAY_VERTEX_FLOATS;
        float d = hypotf(v[0] - 50.0f, v[1] - 40.0f);
        assert_true(d <= 10.5f + 1e-3f);
        if (v[7] == 0.0f) {
            clear++;
            assert_true(fabsf(d - 10.5f) < 1e-3f); /* the feathered rim */
        } else {
            assert_true(v[7] == 0.5f && d <= 9.5f + 1e-3f);
        }
    }
    assert_true(clear > 0);
    buf.n = 0;
    assert_int_equal(nb_overlay_disc(&buf, &f, 0, 0, 0.0f, red), NB_OK);
    assert_int_equal(buf.n, 0);
    assert_int_equal(nb_overlay_rect(&buf, &f, 1, 2, 3, 4, red), NB_OK);
    assert_int_equal(buf.n, 6);
    free(buf.v);
    nb_font_face_deinit(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_font_file_errors), cmocka_unit_test(test_default_path),
        cmocka_unit_test(test_block_fallback),   cmocka_unit_test(test_truetype_face),
        cmocka_unit_test(test_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
