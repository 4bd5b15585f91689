/* test_smooth.c - Laplacian smoothing of polylines (method.md §4.10): window, Jacobi, endpoints. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nb_rng.h"
#include "nb_smooth.h"

#define NEAR(a, b) assert_true(fabs((double)(a) - (double)(b)) < 1e-6)

static void test_radius(void **state) {
    (void)state;
    assert_int_equal(nb_smooth_radius(20, 8.0, 0.9), 1);     /* floor(1.44) */
    assert_int_equal(nb_smooth_radius(100, 8.0, 0.9), 7);    /* floor(7.2) */
    assert_int_equal(nb_smooth_radius(10, 8.0, 1.0), 1);     /* floor(0.8) -> at least 1 */
    assert_int_equal(nb_smooth_radius(100, 8.0, 0.0886), 1); /* last iteration of defaults */
    assert_int_equal(nb_smooth_radius(5, 40.0, 1.0), 2);
}

static void test_three_point_by_hand(void **state) {
    (void)state;
    float p[4 * 3] = {0, 0, 0, 1, 2, 0, 2, 0, 0, 3, 0, 0};
    const uint64_t off[2] = {0, 4};
    assert_int_equal(nb_smooth_polylines(1, off, p, 1, 8.0, 0.9, 1), NB_OK);
    /* Jacobi: both interior points use the old neighbours */
    NEAR(p[3], 1.0);
    NEAR(p[4], 2.0 / 3.0);
    NEAR(p[6], 2.0);
    NEAR(p[7], 2.0 / 3.0);
    assert_true(p[0] == 0.0f && p[9] == 3.0f && p[10] == 0.0f);
    /* a second pass from the new values */
    assert_int_equal(nb_smooth_polylines(1, off, p, 1, 8.0, 0.9, 1), NB_OK);
    NEAR(p[4], (0.0 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0);
    NEAR(p[7], (2.0 / 3.0 + 2.0 / 3.0 + 0.0) / 3.0);
}

static void test_window_by_hand(void **state) {
    (void)state;
    /* N = 5, percent 40, factor 1: r = 2; windows clipped at the ends */
    float p[5 * 3] = {0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0};
    const uint64_t off[2] = {0, 5};
    assert_int_equal(nb_smooth_polylines(1, off, p, 1, 40.0, 1.0, 1), NB_OK);
    NEAR(p[3 * 1 + 1], (0 + 5 + 0 + 10) / 4.0); /* points 0..3 */
    NEAR(p[3 * 2 + 1], 15.0 / 5.0);             /* points 0..4 */
    NEAR(p[3 * 3 + 1], (5 + 0 + 10 + 0) / 4.0); /* points 1..4 */
    NEAR(p[3 * 4 + 1], 0.0);
}

/* Sum of squared second differences: a discrete curvature energy. */
static double bending(const float *p, size_t n) {
    double s = 0.0;
    for (size_t i = 1; i + 1 < n; i++)
        for (int c = 0; c < 3; c++) {
            double d = (double)p[3 * (i - 1) + c] - 2.0 * p[3 * i + c] + p[3 * (i + 1) + c];
            s += d * d;
        }
    return s;
}

static void make_noisy(float *p, uint64_t *off, size_t n_edges, size_t n, uint64_t seed) {
    nb_rng rng;
    nb_rng_init(&rng, seed);
    off[0] = 0;
    for (size_t e = 0; e < n_edges; e++) {
        size_t m = 3 + (e * 7) % n; /* lengths vary: radii 1 and larger */
        off[e + 1] = off[e] + m;
        for (size_t i = 0; i < m; i++) {
            float *q = p + 3 * (off[e] + i);
            q[0] = (float)(0.05 * nb_rng_normal(&rng));
            q[1] = (float)(0.05 * nb_rng_normal(&rng));
            q[2] = (float)i / (float)(m - 1);
        }
    }
}

static void test_reduces_curvature_keeps_endpoints_threads(void **state) {
    (void)state;
    enum { E = 1000, NMAX = 120 }; /* > 32768 points: the parallel path runs */
    float *a = malloc(E * (NMAX + 3) * 3 * sizeof *a);
    float *b = malloc(E * (NMAX + 3) * 3 * sizeof *b);
    float *orig = malloc(E * (NMAX + 3) * 3 * sizeof *orig);
    uint64_t off[E + 1];
    make_noisy(a, off, E, NMAX, 7);
    size_t total = (size_t)off[E];
    memcpy(b, a, total * 3 * sizeof *a);
    memcpy(orig, a, total * 3 * sizeof *a);
    assert_int_equal(nb_smooth_polylines(E, off, a, 8, 8.0, 0.9, 1), NB_OK);
    assert_int_equal(nb_smooth_polylines(E, off, b, 8, 8.0, 0.9, 2), NB_OK);
    assert_memory_equal(a, b, total * 3 * sizeof *a);
    size_t wide = 0;
    for (size_t e = 0; e < E; e++) {
        size_t n = (size_t)(off[e + 1] - off[e]);
        const float *p = a + 3 * off[e], *o = orig + 3 * off[e];
        assert_memory_equal(p, o, 3 * sizeof(float));
        assert_memory_equal(p + 3 * (n - 1), o + 3 * (n - 1), 3 * sizeof(float));
        assert_true(bending(p, n) < bending(o, n));
        for (size_t i = 0; i < 3 * n; i++)
            assert_true(isfinite(p[i]));
        wide += nb_smooth_radius(n, 8.0, 0.9) > 1;
    }
    assert_true(wide > 0); /* both code paths ran */
    free(a);
    free(b);
    free(orig);
}

static void test_straight_line_is_fixed(void **state) {
    (void)state;
    float p[30 * 3];
    for (size_t i = 0; i < 30; i++) {
        p[3 * i] = 0.25f * (float)i;
        p[3 * i + 1] = -0.5f * (float)i;
        p[3 * i + 2] = 1.0f;
    }
    const uint64_t off[2] = {0, 30};
    assert_int_equal(nb_smooth_polylines(1, off, p, 8, 50.0, 1.0, 2), NB_OK); /* r = 15 */
    for (size_t i = 0; i < 30; i++) {
        /* clipped windows pull towards the middle, but the points stay on the line */
        assert_true(fabs(p[3 * i + 1] + 2.0 * p[3 * i]) < 1e-4);
        NEAR(p[3 * i + 2], 1.0);
    }
    assert_true(p[0] == 0.0f && p[3 * 29] == 0.25f * 29.0f);
}

/* A polyline sampled at ratio * l keeps the per-pass variance of the l window in world units:
 * r_l = 1 gives alpha = 1.5 * (2/3) / ratio^2, i.e. p <- p + alpha (mean - p). */
static void test_scaled_spacing(void **state) {
    (void)state;
    float p[3 * 3] = {0, 0, 0, 1, 1, 1, 2, 0, 0};
    const uint64_t off[2] = {0, 3};
    assert_int_equal(nb_smooth_polylines_scaled(1, off, p, 1, 8.0, 0.9, 4.0, 1), NB_OK);
    NEAR(p[3], 1.0);
    NEAR(p[4], 1.0 + 0.0625 * (1.0 / 3.0 - 1.0));
    NEAR(p[5], 1.0 + 0.0625 * (1.0 / 3.0 - 1.0));
    /* ratio <= 1 is the plain smoothing, bit for bit */
    float a[3 * 3] = {0, 0, 0, 1, 1, 1, 2, 0, 0}, b[3 * 3] = {0, 0, 0, 1, 1, 1, 2, 0, 0};
    assert_int_equal(nb_smooth_polylines_scaled(1, off, a, 3, 8.0, 0.9, 1.0, 1), NB_OK);
    assert_int_equal(nb_smooth_polylines(1, off, b, 3, 8.0, 0.9, 1), NB_OK);
    assert_memory_equal(a, b, sizeof a);
    /* a wide window at l (r_l = 6 on 101 points) becomes r = 2 at 2 l (v = 42 / 12 = 3.5 < 4) */
    enum { N = 51 };
    float c[3 * N], d[3 * N];
    const uint64_t offn[2] = {0, N};
    for (int i = 0; i < N; i++) {
        c[3 * i] = d[3 * i] = (float)i;
        c[3 * i + 1] = d[3 * i + 1] = (float)(i % 2);
        c[3 * i + 2] = d[3 * i + 2] = 0.0f;
    }
    assert_int_equal(nb_smooth_polylines_scaled(1, offn, c, 1, 8.0, 0.75, 2.0, 1), NB_OK);
    assert_int_equal(nb_smooth_polylines(1, offn, d, 1, 100.0 * 2.5 / 51.0, 1.0, 1), NB_OK);
    assert_memory_equal(c, d, sizeof c);
    assert_int_equal(nb_smooth_polylines_scaled(1, off, p, 1, 8.0, 0.9, NAN, 1), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "smoothing spacing ratio");
}

static void test_errors_and_noop(void **state) {
    (void)state;
    float p[3 * 3] = {0, 0, 0, 1, 1, 1, 2, 0, 0};
    const float keep[3 * 3] = {0, 0, 0, 1, 1, 1, 2, 0, 0};
    const uint64_t off[2] = {0, 3};
    assert_int_equal(nb_smooth_polylines(1, off, p, -1, 8.0, 0.9, 1), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "smoothing_iterations");
    assert_int_equal(nb_smooth_polylines(1, off, p, 8, 0.0, 0.9, 1), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "smoothing_percent");
    assert_int_equal(nb_smooth_polylines(1, off, p, 8, 8.0, 1.5, 1), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "smoothing factor");
    assert_int_equal(nb_smooth_polylines(1, off, p, 8, 8.0, NAN, 1), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "smoothing factor");
    assert_memory_equal(p, keep, sizeof keep);
    assert_int_equal(nb_smooth_polylines(1, off, p, 0, 8.0, 0.9, 1), NB_OK);
    assert_memory_equal(p, keep, sizeof keep);
    const uint64_t two[2] = {0, 2};
    assert_int_equal(nb_smooth_polylines(1, two, p, 8, 8.0, 0.9, 1), NB_OK);
    assert_memory_equal(p, keep, sizeof keep);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radius),
        cmocka_unit_test(test_three_point_by_hand),
        cmocka_unit_test(test_window_by_hand),
        cmocka_unit_test(test_reduces_curvature_keeps_endpoints_threads),
        cmocka_unit_test(test_straight_line_is_fixed),
        cmocka_unit_test(test_scaled_spacing),
        cmocka_unit_test(test_errors_and_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
