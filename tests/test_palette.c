/* test_palette.c - class colours: the ten reference colours, distinct generated ones beyond. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nb_palette.h"

static float dist(const float a[3], const float b[3]) {
    return sqrtf((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                 (a[2] - b[2]) * (a[2] - b[2]));
}

static void test_reference_colors(void **state) {
    (void)state;
    static const float ref[10][3] = {{0.133f, 0.545f, 0.133f}, {0.0f, 0.0f, 0.545f},
                                     {0.69f, 0.188f, 0.376f},  {1.0f, 0.271f, 0.0f},
                                     {1.0f, 1.0f, 0.0f},       {0.871f, 0.722f, 0.529f},
                                     {0.0f, 1.0f, 0.0f},       {0.0f, 1.0f, 1.0f},
                                     {1.0f, 0.0f, 1.0f},       {0.392f, 0.584f, 0.929f}};
    for (size_t c = 0; c < 10; c++) {
        float rgb[3];
        nb_palette_color(c, rgb);
        for (int i = 0; i < 3; i++)
            assert_true(rgb[i] == ref[c][i]);
    }
}

/* Minimum pairwise RGB distance of the first n colours. */
static float min_distance(size_t n) {
    float(*cols)[3] = malloc(n * sizeof *cols);
    assert_non_null(cols);
    for (size_t c = 0; c < n; c++)
        nb_palette_color(c, cols[c]);
    float best = INFINITY;
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            float d = dist(cols[a], cols[b]);
            best = d < best ? d : best;
        }
    free(cols);
    return best;
}

static void test_many_classes_distinct(void **state) {
    (void)state;
    /* figures stated in nb_palette.h */
    assert_true(min_distance(11) > 0.15f);
    assert_true(min_distance(32) > 0.15f);
    assert_true(min_distance(64) > 0.07f);
    assert_true(min_distance(128) > 0.05f);
    assert_true(min_distance(1024) > 0.0f); /* never two equal colours */
    for (size_t c = 0; c < 5000; c += 7) {
        float rgb[3];
        nb_palette_color(c, rgb);
        for (int i = 0; i < 3; i++)
            assert_true(rgb[i] >= 0.0f && rgb[i] <= 1.0f);
    }
}

static void test_color_independent_of_count_and_deterministic(void **state) {
    (void)state;
    float a[3], b[3];
    nb_palette_color(37, a);
    nb_palette_color(12, b);
    nb_palette_color(37, b);
    assert_true(a[0] == b[0] && a[1] == b[1] && a[2] == b[2]);
    /* class 10: hue 0.2 turns, s 0.85, v 0.8 */
    nb_palette_color(10, a);
    nb_palette_hsv_to_rgb(0.2f, 0.85f, 0.8f, b);
    assert_true(dist(a, b) < 1e-6f);
    /* h = 0.2 turns: sector 1, f = 0.2 -> (v (1 - s f), v, v (1 - s)) */
    assert_true(fabsf(b[0] - 0.8f * (1.0f - 0.85f * 0.2f)) < 1e-5f);
    assert_true(fabsf(b[1] - 0.8f) < 1e-6f);
    assert_true(fabsf(b[2] - 0.8f * 0.15f) < 1e-5f);
}

static void test_hsv(void **state) {
    (void)state;
    float rgb[3];
    nb_palette_hsv_to_rgb(0.0f, 1.0f, 1.0f, rgb);
    assert_true(dist(rgb, (const float[3]){1, 0, 0}) < 1e-6f);
    nb_palette_hsv_to_rgb(1.0f / 3.0f, 1.0f, 1.0f, rgb);
    assert_true(dist(rgb, (const float[3]){0, 1, 0}) < 1e-5f);
    nb_palette_hsv_to_rgb(2.0f / 3.0f, 1.0f, 0.5f, rgb);
    assert_true(dist(rgb, (const float[3]){0, 0, 0.5f}) < 1e-5f);
    nb_palette_hsv_to_rgb(0.5f, 0.0f, 0.3f, rgb);
    assert_true(dist(rgb, (const float[3]){0.3f, 0.3f, 0.3f}) < 1e-6f);
    nb_palette_hsv_to_rgb(1.25f, 1.0f, 1.0f, rgb); /* hue wraps */
    float q[3];
    nb_palette_hsv_to_rgb(0.25f, 1.0f, 1.0f, q);
    assert_true(dist(rgb, q) < 1e-5f);
}

static void test_foreground(void **state) {
    (void)state;
    float rgb[3];
    nb_palette_foreground((const double[3]){1, 1, 1}, rgb);
    assert_true(rgb[0] == 0.0f && rgb[1] == 0.0f && rgb[2] == 0.0f);
    nb_palette_foreground((const double[3]){0, 0, 0}, rgb);
    assert_true(rgb[0] == 1.0f && rgb[2] == 1.0f);
    nb_palette_foreground((const double[3]){0, 0, 1}, rgb); /* blue: luma 0.07 -> white */
    assert_true(rgb[0] == 1.0f);
    nb_palette_foreground((const double[3]){0, 1, 0}, rgb); /* green: luma 0.72 -> black */
    assert_true(rgb[0] == 0.0f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_colors),
        cmocka_unit_test(test_many_classes_distinct),
        cmocka_unit_test(test_color_independent_of_count_and_deterministic),
        cmocka_unit_test(test_hsv),
        cmocka_unit_test(test_foreground),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
