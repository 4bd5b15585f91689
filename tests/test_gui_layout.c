/* test_gui_layout.c - the sidebar width, the free rectangle the panels leave, the covered share,
 * and the camera's lens shift that centres the scene in the free rectangle (GL-free). */

#include "nb_camera.h"
#include "nb_gui_layout.h"
#include "nb_test.h"

static void assert_rect(const float r[4], float x0, float y0, float x1, float y1) {
    nb_assert_near(r[0], x0, 1e-4);
    nb_assert_near(r[1], y0, 1e-4);
    nb_assert_near(r[2], x1, 1e-4);
    nb_assert_near(r[3], y1, 1e-4);
}

static void test_sidebar_width(void **state) {
    (void)state;
    nb_assert_near(nb_gui_layout_sidebar_width(1280.0f), 320.0f, 1e-4);
    nb_assert_near(nb_gui_layout_sidebar_width(1440.0f), 360.0f, 1e-4);
    nb_assert_near(nb_gui_layout_sidebar_width(800.0f), NB_GUI_LAYOUT_SIDEBAR_MIN, 1e-4);
    nb_assert_near(nb_gui_layout_sidebar_width(3840.0f), NB_GUI_LAYOUT_SIDEBAR_MAX, 1e-4);
    nb_assert_near(nb_gui_layout_sidebar_width(200.0f), 200.0f,
                   1e-4); /* never wider than the window */
}

static void test_free_rect(void **state) {
    (void)state;
    float r[4];
    /* no panels: the whole window */
    nb_gui_layout_free_rect(1280.0f, 720.0f, NULL, 0, r);
    assert_rect(r, 0, 0, 1280, 720);
    /* the default sidebar: everything left of it */
    const float side[1][4] = {{960.0f, 0.0f, 1280.0f, 720.0f}};
    nb_gui_layout_free_rect(1280.0f, 720.0f, side, 1, r);
    assert_rect(r, 0, 0, 960, 720);
    /* sidebar + a Layers panel at the bottom of the free area: the area above it wins
     * (940 x 492) over the strip left of it (8 x 720) */
    const float two[2][4] = {{960.0f, 0.0f, 1280.0f, 720.0f}, {8.0f, 492.0f, 952.0f, 712.0f}};
    nb_gui_layout_free_rect(1280.0f, 720.0f, two, 2, r);
    assert_rect(r, 0, 0, 960, 492);
    /* the old layout (two columns of panels, a menu bar): the middle column */
    const float old[5][4] = {{0.0f, 0.0f, 1280.0f, 19.0f},
                             {8.0f, 28.0f, 368.0f, 474.4f},
                             {8.0f, 482.4f, 368.0f, 712.0f},
                             {942.0f, 28.0f, 1272.0f, 328.0f},
                             {942.0f, 336.0f, 1272.0f, 712.0f}};
    nb_gui_layout_free_rect(1280.0f, 720.0f, old, 5, r);
    assert_rect(r, 368, 19, 942, 720);
    /* panels outside the window are clipped, empty and NaN ones ignored */
    const float odd[3][4] = {{1200.0f, -50.0f, 1400.0f, 800.0f},
                             {10.0f, 10.0f, 10.0f, 300.0f},
                             {NAN, 0.0f, 100.0f, 100.0f}};
    nb_gui_layout_free_rect(1280.0f, 720.0f, odd, 3, r);
    assert_rect(r, 0, 0, 1200, 720);
    /* panels over nearly everything: centre in the whole window instead */
    const float full[1][4] = {{0.0f, 0.0f, 1200.0f, 720.0f}};
    nb_gui_layout_free_rect(1280.0f, 720.0f, full, 1, r);
    assert_rect(r, 0, 0, 1280, 720);
    /* a panel in the middle: the larger of the four sides */
    const float mid[1][4] = {{500.0f, 100.0f, 700.0f, 600.0f}};
    nb_gui_layout_free_rect(1280.0f, 720.0f, mid, 1, r);
    assert_rect(r, 700, 0, 1280, 720);
}

/* The free rectangle really is free and maximal: compare with a brute-force scan over a pixel
 * grid for a few random-looking layouts. */
static void test_free_rect_brute_force(void **state) {
    (void)state;
    const float w = 48.0f, h = 30.0f;
    unsigned seed = 12345u;
    int compared = 0;
    for (int trial = 0; trial < 30; trial++) {
        float rects[4][4];
        size_t n = 1 + (size_t)(trial % 4);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            float x0 = (float)((seed >> 8) % 44), y0 = (float)((seed >> 16) % 27);
            seed = seed * 1103515245u + 12345u;
            float rw = (float)(1 + (seed >> 8) % 24), rh = (float)(1 + (seed >> 16) % 15);
            rects[i][0] = x0;
            rects[i][1] = y0;
            rects[i][2] = x0 + rw;
            rects[i][3] = y0 + rh;
        }
        float r[4];
        nb_gui_layout_free_rect(w, h, (const float(*)[4])rects, n, r);
        double area = (double)(r[2] - r[0]) * (double)(r[3] - r[1]);
        /* brute force: the largest empty rectangle with integer corners */
        double best = 0.0;
        for (int x0 = 0; x0 < 48; x0++)
            for (int x1 = x0 + 1; x1 <= 48; x1++)
                for (int y0 = 0; y0 < 30; y0++)
                    for (int y1 = y0 + 1; y1 <= 30; y1++) {
                        bool hit = false;
                        for (size_t i = 0; i < n && !hit; i++)
                            hit = rects[i][0] < (float)x1 && rects[i][2] > (float)x0 &&
                                  rects[i][1] < (float)y1 && rects[i][3] > (float)y0;
                        if (!hit && (double)((x1 - x0) * (y1 - y0)) > best)
                            best = (double)((x1 - x0) * (y1 - y0));
                    }
        if (best < NB_GUI_LAYOUT_MIN_FREE * (double)w * (double)h) {
            assert_rect(r, 0, 0, w, h); /* too little free: the whole window */
            continue;
        }
        nb_assert_near(area, best, 1e-6);
        compared++;
        for (size_t i = 0; i < n; i++) /* and it overlaps no panel */
            assert_false(rects[i][0] < r[2] && rects[i][2] > r[0] && rects[i][1] < r[3] &&
                         rects[i][3] > r[1]);
    }
    assert_true(compared >= 20); /* most layouts leave room: the search itself was checked */
}

static void test_covered_share(void **state) {
    (void)state;
    nb_assert_near(nb_gui_layout_covered_share(1280.0f, 720.0f, NULL, 0), 0.0, 1e-12);
    const float side[1][4] = {{960.0f, 0.0f, 1280.0f, 720.0f}};
    nb_assert_near(nb_gui_layout_covered_share(1280.0f, 720.0f, side, 1), 0.25, 1e-9);
    /* overlaps count once; parts outside the window do not count */
    const float two[2][4] = {{0.0f, 0.0f, 100.0f, 100.0f}, {50.0f, 50.0f, 150.0f, 150.0f}};
    nb_assert_near(nb_gui_layout_covered_share(200.0f, 200.0f, two, 2), 17500.0 / 40000.0, 1e-9);
    const float out[1][4] = {{-100.0f, -100.0f, 100.0f, 100.0f}};
    nb_assert_near(nb_gui_layout_covered_share(200.0f, 200.0f, out, 1), 0.25, 1e-9);
}

/* The lens shift draws the look-at point at the free rectangle's centre and translates the
 * whole picture by the same amount (it does not rotate the view). */
static void test_lens_shift(void **state) {
    (void)state;
    const float bmin[3] = {-0.5f, -0.5f, 0.0f}, bmax[3] = {0.5f, 0.5f, 1.5f};
    nb_camera cam;
    nb_camera_init(&cam, bmin, bmax, 45.0f, 6);
    assert_true(cam.shift[0] == 0.0f && cam.shift[1] == 0.0f);
    const float w = 1280.0f, h = 720.0f;
    float cx, cy, px[3], py[3];
    const float pts[3][3] = {{0.3f, -0.2f, 0.1f}, {-0.4f, 0.4f, 1.2f}, {0.0f, 0.1f, 0.7f}};
    for (int i = 0; i < 3; i++)
        assert_true(nb_camera_project(&cam, w, h, pts[i], &px[i], &py[i], NULL));
    assert_true(nb_camera_project(&cam, w, h, cam.target, &cx, &cy, NULL));
    nb_assert_near(cx, 640.0, 1e-2);
    nb_assert_near(cy, 360.0, 1e-2);
    const float free_rect[4] = {0.0f, 40.0f, 960.0f, 720.0f};
    const float whole[4] = {0.0f, 0.0f, w, h};
    nb_camera_follow_rect(&cam, w, h, whole, free_rect);
    assert_true(nb_camera_project(&cam, w, h, cam.target, &cx, &cy, NULL));
    nb_assert_near(cx, 480.0, 1e-2);
    nb_assert_near(cy, 380.0, 1e-2);
    for (int i = 0; i < 3; i++) {
        float sx, sy, d0, d1;
        assert_true(nb_camera_project(&cam, w, h, pts[i], &sx, &sy, &d1));
        nb_assert_near(sx - px[i], -160.0, 1e-2);
        nb_assert_near(sy - py[i], 20.0, 1e-2);
        nb_camera c0 = cam;
        c0.shift[0] = c0.shift[1] = 0.0f;
        assert_true(nb_camera_project(&c0, w, h, pts[i], &sx, &sy, &d0));
        nb_assert_near(d0, d1, 1e-6); /* depth is unchanged */
    }
    /* back to the whole window: centred again; NULL or a degenerate viewport change nothing */
    nb_camera_follow_rect(&cam, w, h, free_rect, whole);
    nb_assert_near(cam.shift[0], 0.0, 1e-6);
    nb_assert_near(cam.shift[1], 0.0, 1e-6);
    nb_camera_follow_rect(&cam, w, h, whole, NULL);
    nb_camera_follow_rect(&cam, 0.0f, h, whole, free_rect);
    nb_assert_near(cam.shift[0], 0.0, 1e-6);
    nb_assert_near(cam.shift[1], 0.0, 1e-6);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sidebar_width),
        cmocka_unit_test(test_free_rect),
        cmocka_unit_test(test_free_rect_brute_force),
        cmocka_unit_test(test_covered_share),
        cmocka_unit_test(test_lens_shift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
