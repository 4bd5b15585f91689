/* test_sample.c - initial sampling and resampling of edge polylines (method.md §4.7, no cap). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nb_rng.h"
#include "nb_sample.h"
#include "nb_smooth.h"

static double dist(const float *a, const float *b) {
    double dx = (double)a[0] - b[0], dy = (double)a[1] - b[1], dz = (double)a[2] - b[2];
    return sqrt(dx * dx + dy * dy + dz * dz);
}

/* One polyline buffer with the given points. */
static void one_edge(nb_sample_buffer *b, const float *pts, size_t n) {
    nb_sample_init(b);
    assert_int_equal(nb_sample_reserve(b, 1, n), NB_OK);
    memcpy(b->points, pts, n * 3 * sizeof(float));
    b->offset[0] = 0;
    b->offset[1] = n;
    b->n_edges = 1;
    b->n_points = n;
}

static void test_initial_sampling(void **state) {
    (void)state;
    const float nodes[4 * 3] = {0, 0, 0, 1, 0, 0, 0, 0.25f, 0.5f, 0.3f, 0.1f, -0.2f};
    const uint32_t src[3] = {0, 0, 2};
    const uint32_t dst[3] = {1, 2, 3};
    const double l = 1.0 / 15.0;
    nb_sample_buffer b;
    nb_sample_init(&b);
    assert_int_equal(nb_sample_initial(nodes, 3, src, dst, l, 2, &b), NB_OK);
    assert_int_equal(b.n_edges, 3);
    for (size_t e = 0; e < 3; e++) {
        const float *a = nodes + 3 * src[e], *t = nodes + 3 * dst[e];
        size_t n = (size_t)ceil(dist(a, t) / l);
        assert_int_equal(b.offset[e + 1] - b.offset[e], n + 1);
        const float *p = b.points + 3 * b.offset[e];
        assert_memory_equal(p, a, 3 * sizeof(float));
        assert_memory_equal(p + 3 * n, t, 3 * sizeof(float));
        for (size_t i = 0; i < n; i++)
            assert_true(fabs(dist(p + 3 * i, p + 3 * (i + 1)) - dist(a, t) / (double)n) < 1e-6);
    }
    assert_int_equal(b.offset[1], 16); /* length 1 -> 15 segments */
    assert_int_equal(b.n_points, b.offset[3]);
    nb_sample_deinit(&b);
}

/* A straight polyline of length k*l resampled at l. */
static size_t resample_line(double length, double l, float *out_last_gap, nb_sample_buffer *o) {
    const float pts[2 * 3] = {0, 0, 0, 0, 0, (float)length};
    nb_sample_buffer in;
    one_edge(&in, pts, 2);
    assert_int_equal(nb_sample_resample(&in, l, 1, o), NB_OK);
    size_t n = (size_t)o->offset[1];
    assert_memory_equal(o->points, pts, 3 * sizeof(float));
    assert_memory_equal(o->points + 3 * (n - 1), pts + 3, 3 * sizeof(float));
    *out_last_gap = (float)dist(o->points + 3 * (n - 2), o->points + 3 * (n - 1));
    nb_sample_deinit(&in);
    return n;
}

static void test_end_handling(void **state) {
    (void)state;
    const double l = 0.0625; /* exact in binary */
    nb_sample_buffer o;
    nb_sample_init(&o);
    float gap;
    /* 3.8 l: points at 0, l, 2l, 3l, end (last gap 0.8 l kept) */
    assert_int_equal(resample_line(3.8 * l, l, &gap, &o), 5);
    assert_true(fabs(gap - 0.8 * l) < 1e-6);
    assert_true(fabs(o.points[3 * 3 + 2] - 3.0 * l) < 1e-6);
    /* 3.5 l: last point 3l replaced by the midpoint of 2l and 3.5l = 2.75 l */
    assert_int_equal(resample_line(3.5 * l, l, &gap, &o), 5);
    assert_true(fabs(o.points[3 * 3 + 2] - 2.75 * l) < 1e-6);
    assert_true(fabs(gap - 0.75 * l) < 1e-6);
    /* 3.2 l: last point dropped, last gap 1.2 l */
    assert_int_equal(resample_line(3.2 * l, l, &gap, &o), 4);
    assert_true(fabs(gap - 1.2 * l) < 1e-6);
    /* shorter than 0.99 l: just the two endpoints, never collapsed onto the start */
    assert_int_equal(resample_line(0.5 * l, l, &gap, &o), 2);
    assert_true(fabs(gap - 0.5 * l) < 1e-6);
    assert_int_equal(resample_line(0.1 * l, l, &gap, &o), 2);
    /* no point cap: a 10-unit edge gets 10/l + 1 points (the reference stops at 102) */
    assert_int_equal(resample_line(10.0, l, &gap, &o), 161);
    nb_sample_deinit(&o);
}

/* Random smooth polylines: arcs with a little noise, seeded. */
static void random_polylines(nb_sample_buffer *b, size_t n_edges, uint64_t seed) {
    nb_rng rng;
    nb_rng_init(&rng, seed);
    nb_sample_init(b);
    size_t total = 0;
    size_t *counts = malloc(n_edges * sizeof *counts);
    for (size_t e = 0; e < n_edges; e++) {
        counts[e] = 2 + (size_t)nb_rng_below(&rng, 40);
        total += counts[e];
    }
    assert_int_equal(nb_sample_reserve(b, n_edges, total), NB_OK);
    b->offset[0] = 0;
    for (size_t e = 0; e < n_edges; e++) {
        b->offset[e + 1] = b->offset[e] + counts[e];
        float *p = b->points + 3 * b->offset[e];
        double x0 = nb_rng_uniform(&rng) - 0.5, y0 = nb_rng_uniform(&rng) - 0.5;
        double bend = 0.4 * (nb_rng_uniform(&rng) - 0.5);
        for (size_t i = 0; i < counts[e]; i++) {
            double t = (double)i / (double)(counts[e] - 1);
            p[3 * i + 0] = (float)(x0 + bend * sin(3.14159 * t));
            p[3 * i + 1] = (float)(y0 + 0.3 * t + 0.01 * nb_rng_normal(&rng));
            p[3 * i + 2] = (float)(-0.25 + 0.5 * t);
        }
    }
    b->n_edges = n_edges;
    b->n_points = total;
    free(counts);
}

static void test_resample_bounds_endpoints_threads(void **state) {
    (void)state;
    const double l = 1.0 / 15.0;
    nb_sample_buffer in, a, b;
    random_polylines(&in, 3000, 42); /* > 32768 points: the parallel path runs */
    nb_sample_init(&a);
    nb_sample_init(&b);
    assert_int_equal(nb_sample_resample(&in, l, 1, &a), NB_OK);
    assert_int_equal(nb_sample_resample(&in, l, 2, &b), NB_OK);
    assert_int_equal(a.n_points, b.n_points);
    assert_memory_equal(a.offset, b.offset, (a.n_edges + 1) * sizeof *a.offset);
    assert_memory_equal(a.points, b.points, a.n_points * 3 * sizeof(float));
    for (size_t e = 0; e < in.n_edges; e++) {
        const float *p = in.points + 3 * in.offset[e];
        size_t n = (size_t)(in.offset[e + 1] - in.offset[e]);
        const float *q = a.points + 3 * a.offset[e];
        size_t m = (size_t)(a.offset[e + 1] - a.offset[e]);
        assert_true(m >= 2);
        assert_memory_equal(q, p, 3 * sizeof(float));
        assert_memory_equal(q + 3 * (m - 1), p + 3 * (n - 1), 3 * sizeof(float));
        double poly = 0.0;
        for (size_t i = 0; i + 1 < n; i++)
            poly += dist(p + 3 * i, p + 3 * (i + 1));
        for (size_t i = 0; i + 1 < m; i++) {
            double g = dist(q + 3 * i, q + 3 * (i + 1));
            assert_true(isfinite(g));
            assert_true(g <= 1.3 * l + 1e-6); /* no chord longer than l (last: 1.3 l) */
            if (i + 2 < m)
                assert_true(g <= l * (1.0 + 1e-5));
        }
        /* a chord walk cannot need more points than arc length / (0.5 l) + 2 */
        assert_true((double)m <= poly / (0.5 * l) + 3.0);
    }
    /* resampling again into the same buffer reuses its memory */
    const float *before = a.points;
    size_t cap = a.point_capacity;
    assert_int_equal(nb_sample_resample(&in, l, 2, &a), NB_OK);
    assert_ptr_equal(a.points, before);
    assert_int_equal(a.point_capacity, cap);
    nb_sample_deinit(&in);
    nb_sample_deinit(&a);
    nb_sample_deinit(&b);
}

/* Fused smoothing + resampling equals smoothing a copy, then resampling, bit for bit. */
static void test_resample_smoothed_matches_separate_passes(void **state) {
    (void)state;
    const double l = 1.0 / 15.0;
    nb_sample_buffer in, copy, a, b;
    random_polylines(&in, 3000, 8);
    nb_sample_init(&copy);
    nb_sample_init(&a);
    nb_sample_init(&b);
    assert_int_equal(nb_sample_copy(&copy, &in), NB_OK);
    const float *before = in.points;
    float *snapshot = malloc(in.n_points * 3 * sizeof(float));
    memcpy(snapshot, in.points, in.n_points * 3 * sizeof(float));
    /* window radius 1 and wider; input at l and at 3 l and 40 l (relaxed passes) */
    const double factors[4] = {0.9, 0.2, 0.9, 0.2}, ratios[4] = {1.0, 1.0, 3.0, 40.0};
    for (int k = 0; k < 4; k++) {
        const nb_sample_presmooth pre = {8, 40.0, factors[k], ratios[k]};
        assert_int_equal(nb_sample_copy(&copy, &in), NB_OK);
        assert_int_equal(nb_smooth_polylines_scaled(copy.n_edges, copy.offset, copy.points,
                                                    pre.passes, pre.percent, pre.factor,
                                                    pre.spacing_ratio, 2),
                         NB_OK);
        assert_int_equal(nb_sample_resample(&copy, l, 2, &a), NB_OK);
        assert_int_equal(nb_sample_resample_smoothed(&in, &pre, l, 2, &b), NB_OK);
        assert_int_equal(a.n_points, b.n_points);
        assert_memory_equal(a.offset, b.offset, (a.n_edges + 1) * sizeof *a.offset);
        assert_memory_equal(a.points, b.points, a.n_points * 3 * sizeof(float));
    }
    /* the input is not modified; zero passes is plain resampling */
    assert_ptr_equal(in.points, before);
    assert_memory_equal(in.points, snapshot, in.n_points * 3 * sizeof(float));
    const nb_sample_presmooth none = {0, 8.0, 0.9, 1.0};
    assert_int_equal(nb_sample_resample(&in, l, 1, &a), NB_OK);
    assert_int_equal(nb_sample_resample_smoothed(&in, &none, l, 1, &b), NB_OK);
    assert_memory_equal(a.points, b.points, a.n_points * 3 * sizeof(float));
    /* bad smoothing parameters */
    const nb_sample_presmooth bad[4] = {
        {-1, 8.0, 0.9, 1.0}, {8, 0.0, 0.9, 1.0}, {8, 8.0, 1.5, 1.0}, {8, 8.0, 0.9, NAN}};
    const char *subject[4] = {"smoothing_iterations", "smoothing_percent", "smoothing factor",
                              "smoothing spacing ratio"};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(nb_sample_resample_smoothed(&in, &bad[k], l, 1, &b), NB_E_INVALID);
        assert_string_equal(nb_error_subject(), subject[k]);
    }
    free(snapshot);
    nb_sample_deinit(&in);
    nb_sample_deinit(&copy);
    nb_sample_deinit(&a);
    nb_sample_deinit(&b);
}

/* Ping-pong resampling with one stage moved between the two buffers (nb_sample_move_stage)
 * gives the same polylines as with a stage per buffer, and keeps a single stage. */
static void test_move_stage_ping_pong(void **state) {
    (void)state;
    const double l = 1.0 / 15.0;
    nb_sample_buffer ref[2], mv[2];
    random_polylines(&ref[0], 3000, 5);
    random_polylines(&mv[0], 3000, 5);
    nb_sample_init(&ref[1]);
    nb_sample_init(&mv[1]);
    const double spacing[4] = {3 * l, 2 * l, l, l};
    const nb_sample_presmooth pre = {8, 8.0, 0.5, 2.0};
    for (int k = 0; k < 4; k++) {
        nb_sample_buffer *ri = &ref[k & 1], *ro = &ref[!(k & 1)];
        nb_sample_buffer *mi = &mv[k & 1], *mo = &mv[!(k & 1)];
        nb_sample_move_stage(mo, mi);
        if (k > 0) { /* the stage made by the previous call moved; the input keeps none */
            assert_non_null(mo->stage);
            assert_null(mi->stage);
        }
        assert_int_equal(nb_sample_resample_smoothed(ri, &pre, spacing[k], 2, ro), NB_OK);
        assert_int_equal(nb_sample_resample_smoothed(mi, &pre, spacing[k], 2, mo), NB_OK);
        assert_int_equal(ro->n_points, mo->n_points);
        assert_memory_equal(ro->offset, mo->offset, (ro->n_edges + 1) * sizeof *ro->offset);
        assert_memory_equal(ro->points, mo->points, ro->n_points * 3 * sizeof(float));
    }
    assert_non_null(ref[0].stage);
    assert_non_null(ref[1].stage);
    assert_true((mv[0].stage == NULL) != (mv[1].stage == NULL));
    /* a destination with its own stage keeps it; the source keeps its own */
    void *keep0 = ref[0].stage, *keep1 = ref[1].stage;
    nb_sample_move_stage(&ref[0], &ref[1]);
    assert_ptr_equal(ref[0].stage, keep0);
    assert_ptr_equal(ref[1].stage, keep1);
    for (int i = 0; i < 2; i++) {
        nb_sample_deinit(&ref[i]);
        nb_sample_deinit(&mv[i]);
    }
}

static void test_straight_stays_on_line(void **state) {
    (void)state;
    const double l = 1.0 / 15.0;
    const float nodes[2 * 3] = {-0.4f, 0.3f, -0.25f, 0.45f, -0.2f, 0.25f};
    const uint32_t s = 0, t = 1;
    nb_sample_buffer in, o;
    nb_sample_init(&in);
    nb_sample_init(&o);
    assert_int_equal(nb_sample_initial(nodes, 1, &s, &t, l, 1, &in), NB_OK);
    assert_int_equal(nb_sample_resample(&in, l, 1, &o), NB_OK);
    size_t m = (size_t)o.offset[1];
    double len = dist(nodes, nodes + 3);
    for (size_t i = 0; i + 1 < m; i++) {
        double g = dist(o.points + 3 * i, o.points + 3 * (i + 1));
        if (i + 3 < m) /* all but the last two gaps: a chord of l (0.99 l when t clamps) */
            assert_true(g >= 0.99 * l - 1e-6 && g <= l + 1e-6);
        else /* end handling: [0.65 l, 1.3 l] on a straight line */
            assert_true(g >= 0.65 * l - 1e-6 && g <= 1.3 * l + 1e-6);
        /* on the line: distance to both ends adds up to the length */
        double on = dist(nodes, o.points + 3 * i) + dist(o.points + 3 * i, nodes + 3);
        assert_true(fabs(on - len) < 1e-5);
    }
    nb_sample_deinit(&in);
    nb_sample_deinit(&o);
}

static void test_straight_two_points(void **state) {
    (void)state;
    const float nodes[3 * 3] = {0, 0, 0, 1, 2, 3, 4, 5, 6};
    const uint32_t s[2] = {0, 1}, t[2] = {2, 2};
    nb_sample_buffer b;
    nb_sample_init(&b);
    assert_int_equal(nb_sample_straight(nodes, 2, s, t, &b), NB_OK);
    assert_int_equal(b.n_points, 4);
    assert_int_equal(b.offset[2], 4);
    assert_memory_equal(b.points + 3, nodes + 6, 3 * sizeof(float));
    assert_memory_equal(b.points + 6, nodes + 3, 3 * sizeof(float));
    nb_sample_buffer c;
    nb_sample_init(&c);
    assert_int_equal(nb_sample_copy(&c, &b), NB_OK);
    assert_memory_equal(c.points, b.points, 12 * sizeof(float));
    nb_sample_deinit(&b);
    nb_sample_deinit(&c);
}

static void test_errors(void **state) {
    (void)state;
    const float pts[3] = {0, 0, 0};
    nb_sample_buffer in, o;
    one_edge(&in, pts, 1);
    nb_sample_init(&o);
    assert_int_equal(nb_sample_resample(&in, 0.1, 1, &o), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "edge polylines");
    assert_int_equal(nb_sample_resample(&in, 0.0, 1, &o), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "sample spacing");
    assert_int_equal(nb_sample_resample(&in, NAN, 1, &o), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "sample spacing");
    const uint32_t s = 0;
    assert_int_equal(nb_sample_initial(pts, 1, &s, &s, -1.0, 1, &o), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "sample spacing");
    assert_int_equal(o.n_points, 0);
    nb_sample_deinit(&in);
    nb_sample_deinit(&o);
    nb_sample_deinit(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_sampling),
        cmocka_unit_test(test_end_handling),
        cmocka_unit_test(test_resample_bounds_endpoints_threads),
        cmocka_unit_test(test_resample_smoothed_matches_separate_passes),
        cmocka_unit_test(test_move_stage_ping_pong),
        cmocka_unit_test(test_straight_stays_on_line),
        cmocka_unit_test(test_straight_two_points),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
