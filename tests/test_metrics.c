/* test_metrics.c - distortion, MELD and the voxel ink ratio of docs/metrics.md. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nb_metrics.h"
#include "nb_rng.h"

#define NEAR(a, b) assert_true(fabs((double)(a) - (double)(b)) < 1e-9)

static void test_straight_edges_are_neutral(void **state) {
    (void)state;
    /* collinear midpoints away from voxel boundaries: the halves cover the same voxels */
    const float p[2 * 3 * 3] = {0.01f, 0.02f, 0.03f, 0.46f, 0.27f, 0.53f, 0.91f, 0.52f, 1.03f,
                                0.51f, 0.04f, 0.01f, 0.51f, 0.54f, 0.51f, 0.51f, 1.04f, 1.01f};
    const uint64_t off[3] = {0, 3, 6};
    nb_bundle_metrics m;
    double used = 0.0;
    assert_int_equal(nb_metrics_compute(2, off, p, 0.05, 2, &m, &used), NB_OK);
    assert_true(fabs(m.mean_distortion - 1.0) < 1e-6);
    assert_true(fabs(m.max_distortion - 1.0) < 1e-6);
    assert_true(m.mean_length_diff < 1e-6);
    NEAR(m.ink_ratio, 1.0);
    NEAR(used, 0.05);
}

/* Two parallel edges A (x = 0.125) and B (x = 1.375), z from 0.125 to 2.625, voxel 0.25
 * (cell centres, exact in binary). B is rerouted along A: over x at z = 0.125, up A, back. */
static void test_bundled_pair_by_hand(void **state) {
    (void)state;
    const float p[] = {
        0.125f, 0.125f, 0.125f, 0.125f, 0.125f, 2.625f,                         /* A */
        1.375f, 0.125f, 0.125f, 0.125f, 0.125f, 0.125f, 0.125f, 0.125f, 2.625f, /* B */
        1.375f, 0.125f, 2.625f,
    };
    const uint64_t off[3] = {0, 2, 6};
    nb_bundle_metrics m;
    assert_int_equal(nb_metrics_compute(2, off, p, 0.25, 1, &m, NULL), NB_OK);
    /* straight: 11 + 11 voxels; bundled: A's 11 + 5 at z0 + 5 at z10 = 21 */
    NEAR(m.ink_ratio, 21.0 / 22.0);
    /* B: length 1.25 + 2.5 + 1.25 = 5 over straight 2.5 -> 2 */
    NEAR(m.mean_distortion, 1.5);
    NEAR(m.max_distortion, 2.0);
    NEAR(m.mean_length_diff, 2.5 / 2.0);
}

/* The diagonal (0.5, 0.5) -> (3.5, 1.75) in voxel units crosses exactly 5 voxels; an
 * L-shaped route through (3.5, 0.5) covers 5 as well, so the ratio is 1 only if the
 * traversal visits every voxel of the diagonal (sampling along it would miss one). */
static void test_traversal_counts_every_voxel(void **state) {
    (void)state;
    const float v = 0.5f;
    const float bundled[] = {0.5f * v, 0.5f * v, 0, 3.5f * v, 0.5f * v, 0, 3.5f * v, 1.75f * v, 0};
    const uint64_t off[2] = {0, 3};
    nb_bundle_metrics m;
    assert_int_equal(nb_metrics_compute(1, off, bundled, v, 1, &m, NULL), NB_OK);
    NEAR(m.ink_ratio, 1.0);
    /* route through (0.5, 1.75): cells (0,0) (0,1) (1,1) (2,1) (3,1) = 5 as well */
    const float other[] = {0.5f * v, 0.5f * v, 0, 0.5f * v, 1.75f * v, 0, 3.5f * v, 1.75f * v, 0};
    assert_int_equal(nb_metrics_compute(1, off, other, v, 1, &m, NULL), NB_OK);
    NEAR(m.ink_ratio, 1.0);
    /* a detour through (3.5, -0.5) adds the voxels (1..3, -1) and (3, 0) stays shared */
    const float detour[] = {0.5f * v, 0.5f * v, 0, 3.5f * v, -0.5f * v, 0, 3.5f * v, 1.75f * v, 0};
    assert_int_equal(nb_metrics_compute(1, off, detour, v, 1, &m, NULL), NB_OK);
    assert_true(m.ink_ratio > 1.0);
}

static void test_threads_identical(void **state) {
    (void)state;
    enum { E = 5000, N = 12 };
    float *p = malloc(E * N * 3 * sizeof *p);
    uint64_t *off = malloc((E + 1) * sizeof *off);
    nb_rng rng;
    nb_rng_init(&rng, 3);
    off[0] = 0;
    for (size_t e = 0; e < E; e++) {
        off[e + 1] = off[e] + N;
        for (size_t i = 0; i < N * 3; i++)
            p[e * N * 3 + i] = (float)(0.2 * (nb_rng_uniform(&rng) - 0.5));
    }
    nb_bundle_metrics a, b;
    assert_int_equal(nb_metrics_compute(E, off, p, 1.0 / 45.0, 1, &a, NULL), NB_OK);
    assert_int_equal(nb_metrics_compute(E, off, p, 1.0 / 45.0, 2, &b, NULL), NB_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.mean_distortion > 1.0 && a.max_distortion >= a.mean_distortion);
    assert_true(a.ink_ratio > 1.0);
    free(p);
    free(off);
}

static void test_empty_and_coarsened(void **state) {
    (void)state;
    nb_bundle_metrics m;
    const uint64_t off0[1] = {0};
    assert_int_equal(nb_metrics_compute(0, off0, NULL, 0.1, 1, &m, NULL), NB_OK);
    NEAR(m.mean_distortion, 1.0);
    NEAR(m.ink_ratio, 1.0);
    NEAR(m.mean_length_diff, 0.0);
    /* a huge box at a tiny voxel is coarsened to stay within NB_METRICS_MAX_VOXELS */
    const float far[] = {-1000, -1000, -1000, 1000, 1000, 1000};
    const uint64_t off[2] = {0, 2};
    double used = 0.0;
    assert_int_equal(nb_metrics_compute(1, off, far, 1e-3, 1, &m, &used), NB_OK);
    assert_true(used > 1e-3);
    NEAR(m.ink_ratio, 1.0);
    /* coordinates far beyond any lattice index: still finite, still measured */
    const float huge[] = {-1e30f, 0, 0, 1e30f, 1, 1};
    assert_int_equal(nb_metrics_compute(1, off, huge, 1e-3, 1, &m, &used), NB_OK);
    NEAR(m.mean_distortion, 1.0);
    NEAR(m.ink_ratio, 1.0);
}

static void test_errors(void **state) {
    (void)state;
    const float p[] = {0, 0, 0, 1, NAN, 1};
    const uint64_t off[2] = {0, 2};
    nb_bundle_metrics m = {7, 7, 7, 7, 7, 7};
    assert_int_equal(nb_metrics_compute(1, off, p, 0.0, 1, &m, NULL), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "ink voxel");
    assert_int_equal(nb_metrics_compute(1, off, p, 0.1, 1, &m, NULL), NB_E_NUMERIC);
    assert_string_equal(nb_error_subject(), "edge polylines");
    assert_true(m.mean_distortion == 7 && m.ink_ratio == 7);
}

/* max_turn_degrees: a right angle and a 135-degree turn; the sharpest wins. ink_ratio_layout:
 * the same bundle against a straight drawing whose ends were moved (a longer drawing: more
 * voxels, a smaller ratio). */
static void test_turn_and_layout_ink(void **state) {
    (void)state;
    const float p[] = {
        0.125f, 0.125f, 0.125f, 1.125f, 0.125f, 0.125f, 1.125f, 1.125f, 0.125f, /* 90 deg */
        0.125f, 0.125f, 1.125f, 1.125f, 0.125f, 1.125f, 0.125f, 1.125f, 1.125f, /* 135 deg */
    };
    const uint64_t off[3] = {0, 3, 6};
    nb_bundle_metrics m;
    assert_int_equal(nb_metrics_compute(2, off, p, 0.25, 1, &m, NULL), NB_OK);
    assert_true(fabs(m.max_turn_degrees - 135.0) < 1e-6);
    assert_true(isnan(m.ink_ratio_layout));
    /* straight ends as laid out: the same ends, then ends twice as far apart */
    float ends[12] = {0.125f, 0.125f, 0.125f, 1.125f, 1.125f, 0.125f,
                      0.125f, 0.125f, 1.125f, 0.125f, 1.125f, 1.125f};
    assert_int_equal(nb_metrics_compute_against(2, off, p, ends, 0.25, 1, &m, NULL), NB_OK);
    NEAR(m.ink_ratio_layout, m.ink_ratio);
    nb_bundle_metrics far;
    ends[3] = ends[4] = 2.125f;
    ends[10] = 2.125f;
    assert_int_equal(nb_metrics_compute_against(2, off, p, ends, 0.25, 1, &far, NULL), NB_OK);
    assert_true(far.ink_ratio_layout < m.ink_ratio_layout);
    NEAR(far.ink_ratio, m.ink_ratio);
    ends[0] = NAN;
    assert_int_equal(nb_metrics_compute_against(2, off, p, ends, 0.25, 1, &far, NULL),
                     NB_E_NUMERIC);
    /* a straight polyline turns by 0 */
    const float q[] = {0.1f, 0.1f, 0.1f, 0.2f, 0.2f, 0.2f, 0.4f, 0.4f, 0.4f};
    const uint64_t qo[2] = {0, 3};
    assert_int_equal(nb_metrics_compute(1, qo, q, 0.25, 1, &m, NULL), NB_OK);
    assert_true(m.max_turn_degrees < 0.01);
}

/* Random CSR polylines: E edges of 2..20 points along a noisy walk (distortion well above 1),
 * every 97th edge closed (first = last: left out of the means), and laid-out ends. */
typedef struct polylines {
    size_t E;
    uint64_t *off;
    float *p, *ends;
} polylines;

static void polylines_init(polylines *pl, size_t E, double scale, uint64_t seed) {
    nb_rng rng;
    nb_rng_init(&rng, seed);
    pl->E = E;
    pl->off = malloc((E + 1) * sizeof *pl->off);
    pl->p = malloc(E * 20 * 3 * sizeof *pl->p);
    pl->ends = malloc(E * 6 * sizeof *pl->ends);
    pl->off[0] = 0;
    for (size_t e = 0; e < E; e++) {
        size_t n = 2 + (size_t)(nb_rng_uniform(&rng) * 19.0);
        n = n > 20 ? 20 : n;
        float *q = pl->p + 3 * pl->off[e];
        for (int k = 0; k < 3; k++)
            q[k] = (float)(scale * (nb_rng_uniform(&rng) - 0.5));
        for (size_t i = 1; i < n; i++)
            for (int k = 0; k < 3; k++)
                q[3 * i + k] =
                    q[3 * (i - 1) + k] + (float)(0.05 * scale * (nb_rng_uniform(&rng) - 0.3));
        if (e % 97 == 0)
            memcpy(q + 3 * (n - 1), q, 3 * sizeof *q);
        for (int k = 0; k < 6; k++)
            pl->ends[6 * e + k] = (float)(scale * (nb_rng_uniform(&rng) - 0.5));
        pl->off[e + 1] = pl->off[e] + n;
    }
}

static void polylines_deinit(polylines *pl) {
    free(pl->off);
    free(pl->p);
    free(pl->ends);
}

/* The accumulator over the pieces [cut[i], cut[i+1]) (pass 2 in reverse order), offsets
 * local to each piece as a layer pair's are. */
static nb_status pieces(const polylines *pl, const size_t *cut, size_t n_cuts, bool layout,
                        double voxel, int threads, nb_bundle_metrics *out, double *used) {
    nb_metrics_acc *a = NULL;
    NB_TRY(nb_metrics_acc_create(voxel, threads, layout, &a));
    uint64_t *local = malloc((pl->E + 1) * sizeof *local);
    nb_status s = NB_OK;
    for (int pass = 0; pass < 2 && s == NB_OK; pass++) {
        if (pass == 1)
            s = nb_metrics_acc_ink_begin(a);
        for (size_t j = 0; j + 1 < n_cuts && s == NB_OK; j++) {
            size_t i = pass == 0 ? j : n_cuts - 2 - j;
            size_t g0 = cut[i], g1 = cut[i + 1];
            for (size_t e = g0; e <= g1; e++)
                local[e - g0] = pl->off[e] - pl->off[g0];
            const float *pts = pl->p + 3 * pl->off[g0];
            const float *ends = layout ? pl->ends + 6 * g0 : NULL;
            s = pass == 0 ? nb_metrics_acc_measure(a, g1 - g0, local, pts, ends)
                          : nb_metrics_acc_ink(a, g1 - g0, local, pts, ends);
        }
    }
    if (s == NB_OK)
        s = nb_metrics_acc_result(a, out, used);
    free(local);
    nb_metrics_acc_destroy(a);
    return s;
}

/* Piece by piece (layer pair by layer pair) gives the same bits as all at once, however the
 * edges are cut: blocks of NB_METRICS_BLOCK edges split over pieces, empty pieces, single
 * edges, any thread count, with and without laid-out ends, and a coarsened lattice. */
static void test_pieces_equal_whole(void **state) {
    (void)state;
    enum { E = 13001 };
    const size_t B = 4096;
    const size_t cuts[][10] = {
        {0, E},
        {0, 1, 2, B - 1, B - 1, B + 1, 3 * B, 3 * B + 7, E - 1, E},
        {0, 0, B, 2 * B, 2 * B + 1, 2 * B + 2, 3 * B, E, E},
        {0, 100, 200, 5000, 9000, 12287, 12288, 12289, 13000, E},
    };
    const size_t n_cuts[] = {2, 10, 9, 10};
    for (int big = 0; big < 2; big++) {
        polylines pl;
        polylines_init(&pl, E, big ? 2000.0 : 2.0, 11 + (uint64_t)big);
        const double voxel = big ? 1e-3 : 1.0 / 45.0;
        for (int layout = 0; layout < 2; layout++) {
            nb_bundle_metrics ref, got;
            double used_ref = 0.0, used = -1.0;
            assert_int_equal(nb_metrics_compute_against(E, pl.off, pl.p, layout ? pl.ends : NULL,
                                                        voxel, 2, &ref, &used_ref),
                             NB_OK);
            assert_true(ref.mean_distortion > 1.01 && ref.ink_ratio != 1.0);
            assert_true(big ? used_ref > voxel : used_ref == voxel);
            /* the coarsened lattice (32 MiB bit sets) once, to keep the test fast under ASan */
            if (big && !layout)
                continue;
            for (size_t c = big ? 1 : 0; c < (big ? 2 : sizeof n_cuts / sizeof *n_cuts); c++)
                for (int threads = 1; threads <= 2; threads++) {
                    memset(&got, 0xa5, sizeof got);
                    assert_int_equal(
                        pieces(&pl, cuts[c], n_cuts[c], layout, voxel, threads, &got, &used),
                        NB_OK);
                    assert_memory_equal(&got, &ref, sizeof ref);
                    assert_memory_equal(&used, &used_ref, sizeof used);
                }
        }
        polylines_deinit(&pl);
    }
    /* no edges at all: the neutral metrics, as nb_metrics_compute gives them */
    nb_bundle_metrics ref, got;
    const uint64_t off0[1] = {0};
    assert_int_equal(nb_metrics_compute_against(0, off0, NULL, NULL, 0.1, 1, &ref, NULL), NB_OK);
    polylines none = {0};
    const size_t cut0[2] = {0, 0};
    none.off = (uint64_t *)off0;
    assert_int_equal(pieces(&none, cut0, 2, false, 0.1, 1, &got, NULL), NB_OK);
    assert_memory_equal(&got, &ref, sizeof ref);
}

/* A non-finite point in a later piece is named by its edge over all pieces; the passes must
 * come in order. */
static void test_pieces_errors(void **state) {
    (void)state;
    polylines pl;
    polylines_init(&pl, 6000, 2.0, 4);
    pl.p[3 * pl.off[5000] + 1] = NAN;
    nb_bundle_metrics m;
    const size_t cut[3] = {0, 4500, 6000};
    assert_int_equal(pieces(&pl, cut, 3, true, 0.05, 2, &m, NULL), NB_E_NUMERIC);
    assert_string_equal(nb_error_subject(), "edge polylines");
    assert_non_null(strstr(nb_error_message(), "edge 5000 "));
    polylines_deinit(&pl);
    nb_metrics_acc *a = NULL;
    assert_int_equal(nb_metrics_acc_create(0.0, 1, false, &a), NB_E_INVALID);
    assert_int_equal(nb_metrics_acc_create(0.1, 1, false, &a), NB_OK);
    assert_int_equal(nb_metrics_acc_result(a, &m, NULL), NB_E_INVALID);
    const uint64_t off[2] = {0, 2};
    const float p[6] = {0, 0, 0, 1, 1, 1};
    assert_int_equal(nb_metrics_acc_ink(a, 1, off, p, NULL), NB_E_INVALID);
    assert_int_equal(nb_metrics_acc_ink_begin(a), NB_OK);
    assert_int_equal(nb_metrics_acc_measure(a, 1, off, p, NULL), NB_E_INVALID);
    nb_metrics_acc_destroy(a);
    nb_metrics_acc_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turn_and_layout_ink),
        cmocka_unit_test(test_pieces_equal_whole),
        cmocka_unit_test(test_pieces_errors),
        cmocka_unit_test(test_straight_edges_are_neutral),
        cmocka_unit_test(test_bundled_pair_by_hand),
        cmocka_unit_test(test_traversal_counts_every_voxel),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_empty_and_coarsened),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
