/* test_legend.c - the legend without GL: placement in the free part of the frame (it avoids
 * the drawing's rectangle and earlier panels), text size that grows with the image, the
 * class list's column and row layouts, and the node-size / edge-opacity encoding read off
 * the scene and params. */
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

#include "nb_legend.h"
#include "nb_palette.h"
#include "nb_render_params.h"
#include "nb_scene.h"
#include "test_render_fixture.h"

static const size_t sizes[3] = {4, 3, 2};

/* ---- placement --------------------------------------------------------------------- */

static nb_legend_placement place(nb_rect drawing, const nb_rect *taken, size_t n_taken, float w,
                                 float h) {
    nb_legend_place_desc d = {.width = 1280,
                              .height = 720,
                              .margin = 8.0f,
                              .drawing = drawing,
                              .taken = taken,
                              .n_taken = n_taken};
    return nb_legend_place(&d, w, h);
}

static void test_place_avoids_drawing(void **state) {
    (void)state;
    const nb_rect none = {0, 0, 0, 0};
    /* nothing drawn: the first anchor (top-left) */
    nb_legend_placement p = place(none, NULL, 0, 200, 300);
    assert_int_equal(p.anchor, NB_LEGEND_TOP_LEFT);
    assert_true(p.rect.x0 == 8.0f && p.rect.y0 == 8.0f && p.rect.x1 == 208.0f);
    /* drawing on the left half: a right-hand corner */
    p = place((nb_rect){0, 0, 640, 720}, NULL, 0, 200, 300);
    assert_int_equal(p.anchor, NB_LEGEND_TOP_RIGHT);
    assert_true(p.overlap_drawing == 0.0f && p.rect.x1 == 1272.0f);
    /* drawing on top: a bottom corner */
    p = place((nb_rect){0, 0, 1280, 400}, NULL, 0, 200, 300);
    assert_int_equal(p.anchor, NB_LEGEND_BOTTOM_LEFT);
    assert_true(p.overlap_drawing == 0.0f);
    /* everything covered except the bottom-right corner */
    const nb_rect l_shape = {0, 0, 1000, 720};
    p = place(l_shape, NULL, 0, 200, 300);
    assert_int_equal(p.anchor, NB_LEGEND_TOP_RIGHT); /* TR and BR are both free: order */
    /* a wide short panel over a centred drawing that leaves strips above and below */
    p = place((nb_rect){100, 120, 1180, 600}, NULL, 0, 1000, 90);
    assert_true(p.anchor == NB_LEGEND_TOP_LEFT || p.anchor == NB_LEGEND_TOP);
    assert_true(p.overlap_drawing == 0.0f);
    /* a drawing larger than the image counts only where it is visible, and when every anchor
     * covers it equally the panel goes far from its centre (a corner, not a side centre) */
    p = place((nb_rect){-500, -500, 2000, 2000}, NULL, 0, 200, 300);
    assert_true(p.anchor <= NB_LEGEND_BOTTOM_RIGHT);
    assert_true(fabsf(p.overlap_drawing - 200.0f * 300.0f) < 1.0f);
    /* partial overlaps: the least wins */
    p = place((nb_rect){150, 0, 1280, 720}, NULL, 0, 200, 300); /* left 142 px free */
    assert_true(p.anchor == NB_LEGEND_TOP_LEFT || p.anchor == NB_LEGEND_BOTTOM_LEFT ||
                p.anchor == NB_LEGEND_LEFT);
    assert_true(fabsf(p.overlap_drawing - 58.0f * 300.0f) < 1.0f);
}

static void test_place_avoids_taken(void **state) {
    (void)state;
    const nb_rect none = {0, 0, 0, 0};
    nb_legend_placement first = place(none, NULL, 0, 200, 300);
    nb_legend_placement second = place(none, &first.rect, 1, 200, 300);
    assert_int_equal(second.anchor, NB_LEGEND_TOP_RIGHT);
    assert_true(nb_rect_overlap(&first.rect, &second.rect) == 0.0f);
    /* a free corner that hides some drawing beats one that covers a panel */
    const nb_rect taken[3] = {{8, 8, 208, 308}, {1072, 8, 1272, 308}, {8, 412, 208, 712}};
    nb_legend_placement p = place((nb_rect){0, 0, 1280, 720}, taken, 3, 200, 300);
    assert_int_equal(p.anchor, NB_LEGEND_BOTTOM_RIGHT);
    assert_true(p.overlap_taken == 0.0f);
    /* an explicit order */
    const nb_legend_anchor order[2] = {NB_LEGEND_BOTTOM, NB_LEGEND_TOP};
    nb_legend_place_desc d = {
        .width = 640, .height = 360, .margin = 4.0f, .drawing = none, .order = order, .n_order = 2};
    p = nb_legend_place(&d, 100, 50);
    assert_int_equal(p.anchor, NB_LEGEND_BOTTOM);
    assert_true(p.rect.x0 == 270.0f && p.rect.y1 == 356.0f);
    /* overlap helper */
    const nb_rect a = {0, 0, 10, 10}, b = {5, 5, 20, 20}, e = {3, 3, 3, 9};
    assert_true(nb_rect_overlap(&a, &b) == 25.0f);
    assert_true(nb_rect_overlap(&a, &e) == 0.0f);
}

static void test_text_size_follows_image(void **state) {
    (void)state;
    assert_true(nb_legend_text_px(640, 360) == 11.0f);
    assert_true(nb_legend_text_px(160, 120) == 11.0f);
    assert_true(nb_legend_text_px(1280, 720) == 16.0f);
    assert_true(nb_legend_text_px(1920, 1080) == 24.0f);
    assert_true(nb_legend_text_px(3840, 2160) == 48.0f);
    assert_true(nb_legend_text_px(1000, 2000) == nb_legend_text_px(1000, 563)); /* portrait */
}

/* ---- building ------------------------------------------------------------------------ */

typedef struct fixture {
    nb_model m;
    nb_scene s;
    nb_rendering_config cfg;
    nb_render_params p;
} fixture;

static void make(fixture *f, const size_t *sz, size_t n, int view, size_t index) {
    assert_int_equal(test_make_model(&f->m, sz, n, 6, true, 6), NB_OK);
    test_render_config(&f->cfg);
    f->cfg.show_legend = true;
    f->cfg.class_view = view;
    f->cfg.class_index = (int)index;
    nb_scene_desc d = {0};
    nb_scene_desc_from_config(&f->cfg, &d);
    assert_int_equal(nb_scene_build(&f->m, &d, "m", &f->s), NB_OK);
    nb_render_params_from_config(&f->cfg, &f->p);
}

static void unmake(fixture *f) {
    nb_scene_deinit(&f->s);
    nb_model_deinit(&f->m);
}

static nb_status build(const fixture *f, const nb_font_face *face, int w, int h, nb_rect drawing,
                       nb_overlay_buffer *buf, nb_legend_layout *lay) {
    nb_legend_desc d = {
        .scene = &f->s, .params = &f->p, .face = face, .width = w, .height = h, .drawing = drawing};
    buf->n = 0;
    return nb_legend_build(&d, buf, lay);
}

/* Every vertex lies in one of the two panels. */
static void vertices_in_panels(const nb_overlay_buffer *buf, const nb_legend_layout *lay) {
    for (size_t i = 0; i < buf->n; i++) {
        const float *v = buf->v + i * NB_OVERLAY_VERTEX_FLOATS;
        bool in = false;
        const nb_rect *r[2] = {&lay->classes.rect, &lay->encoding.rect};
        for (int k = 0; k < (lay->has_encoding ? 2 : 1); k++)
            in |= v[0] >= r[k]->x0 - 0.6f && v[0] <= r[k]->x1 + 0.6f && v[1] >= r[k]->y0 - 0.6f &&
                  v[1] <= r[k]->y1 + 0.6f;
        if (!in)
            fail_msg("vertex %zu (%g, %g) outside the panels", i, (double)v[0], (double)v[1]);
    }
}

static void test_build_places_panels(void **state) {
    (void)state;
    fixture f;
    make(&f, sizes, 3, NB_CLASS_VIEW_ALL, 0);
    nb_font_face face;
    assert_int_equal(nb_font_face_init(&face, NULL, nb_legend_text_px(1280, 720)), NB_OK);
    nb_overlay_buffer buf = {0};
    nb_legend_layout lay;
    /* a drawing in the middle: classes top-left, encoding bottom-left, nothing covered */
    const nb_rect centre = {400, 150, 880, 570};
    assert_int_equal(build(&f, &face, 1280, 720, centre, &buf, &lay), NB_OK);
    assert_int_equal(lay.classes.anchor, NB_LEGEND_TOP_LEFT);
    assert_true(lay.has_encoding);
    assert_int_equal(lay.encoding.anchor, NB_LEGEND_BOTTOM_LEFT);
    assert_true(lay.classes.overlap_drawing == 0.0f && lay.encoding.overlap_drawing == 0.0f);
    assert_true(nb_rect_overlap(&lay.classes.rect, &lay.encoding.rect) == 0.0f);
    assert_int_equal(lay.n_rows, 2);
    vertices_in_panels(&buf, &lay);
    /* the class swatches carry the palette colours */
    float p1[3];
    nb_palette_color(1, p1);
    bool swatch = false;
    for (size_t i = 0; i < buf.n; i++) {
        const float *v = buf.v + i * NB_OVERLAY_VERTEX_FLOATS;
        swatch |= v[4] == p1[0] && v[5] == p1[1] && v[6] == p1[2] && v[7] == 1.0f;
    }
    assert_true(swatch);
    /* a drawing over the left 60 %: both panels move right, still off the drawing */
    const nb_rect left = {0, 0, 768, 720};
    assert_int_equal(build(&f, &face, 1280, 720, left, &buf, &lay), NB_OK);
    assert_true(lay.classes.rect.x0 >= 768.0f && lay.classes.overlap_drawing == 0.0f);
    assert_true(lay.has_encoding && lay.encoding.rect.x0 >= 768.0f);
    assert_true(lay.encoding.overlap_drawing == 0.0f);
    vertices_in_panels(&buf, &lay);
    /* a drawing over all but a strip at the bottom: the class list in one row along it */
    const nb_rect tall = {0, 0, 1280, 630};
    assert_int_equal(build(&f, &face, 1280, 720, tall, &buf, &lay), NB_OK);
    assert_true(lay.classes_rows);
    assert_int_equal(lay.n_columns, 1);
    assert_true(lay.classes.rect.y0 >= 630.0f);
    assert_true(lay.classes.overlap_drawing == 0.0f);
    vertices_in_panels(&buf, &lay);
    free(buf.v);
    nb_font_face_deinit(&face);
    unmake(&f);
}

/* Text grows with the image: no fixed-size bitmap scaled up. */
static void test_build_scales_with_image(void **state) {
    (void)state;
    fixture f;
    make(&f, sizes, 3, NB_CLASS_VIEW_ALL, 0);
    nb_font *font = NULL;
    if (nb_font_create(NB_FONT_PATH, &font) != NB_OK)
        font = NULL; /* the block fallback scales too (in integer steps) */
    float heights[2];
    const int dims[2][2] = {{640, 360}, {3840, 2160}};
    for (int k = 0; k < 2; k++) {
        nb_font_face face;
        assert_int_equal(nb_font_face_init(&face, font, nb_legend_text_px(dims[k][0], dims[k][1])),
                         NB_OK);
        nb_overlay_buffer buf = {0};
        nb_legend_layout lay;
        const nb_rect none = {0, 0, 0, 0};
        assert_int_equal(build(&f, &face, dims[k][0], dims[k][1], none, &buf, &lay), NB_OK);
        heights[k] = lay.classes.rect.y1 - lay.classes.rect.y0;
        assert_true(lay.classes.rect.y1 <= (float)dims[k][1]);
        free(buf.v);
        nb_font_face_deinit(&face);
    }
    if (heights[1] / heights[0] < 3.5f || heights[1] / heights[0] > 5.0f)
        fail_msg("panel %g px at 640x360, %g px at 3840x2160", (double)heights[0],
                 (double)heights[1]);
    nb_font_destroy(font);
    unmake(&f);
}

static void test_build_views_and_wrapping(void **state) {
    (void)state;
    nb_font_face face;
    assert_int_equal(nb_font_face_init(&face, NULL, 11.0f), NB_OK);
    nb_overlay_buffer buf = {0};
    nb_legend_layout lay;
    const nb_rect none = {0, 0, 0, 0};
    fixture f;
    /* class view: one entry; a name with UTF-8 and a control character builds */
    assert_int_equal(test_make_model(&f.m, sizes, 3, 6, true, 6), NB_OK);
    assert_int_equal(nb_network_set_class_name(&f.m.network, 1, "T-shirt/top \xc3\xa9\x01"), NB_OK);
    test_render_config(&f.cfg);
    f.cfg.class_view = NB_CLASS_VIEW_ONE;
    f.cfg.class_index = 1;
    nb_scene_desc d = {0};
    nb_scene_desc_from_config(&f.cfg, &d);
    assert_int_equal(nb_scene_build(&f.m, &d, "m", &f.s), NB_OK);
    nb_render_params_from_config(&f.cfg, &f.p);
    assert_int_equal(build(&f, &face, 320, 240, none, &buf, &lay), NB_OK);
    assert_int_equal(lay.n_rows, 1);
    unmake(&f);
    /* independent view: the title only */
    make(&f, sizes, 3, NB_CLASS_VIEW_INDEPENDENT, 0);
    assert_int_equal(build(&f, &face, 320, 240, none, &buf, &lay), NB_OK);
    assert_int_equal(lay.n_rows, 0);
    assert_true(buf.n > 6);
    unmake(&f);
    /* 40 classes in a short image wrap into columns that fit its height */
    const size_t big[2] = {3, 40};
    make(&f, big, 2, NB_CLASS_VIEW_ALL, 0);
    assert_int_equal(build(&f, &face, 640, 200, none, &buf, &lay), NB_OK);
    assert_int_equal(lay.n_rows, 40);
    assert_false(lay.classes_rows);
    assert_true(lay.n_columns >= 3);
    assert_true(lay.classes.rect.y1 <= 200.0f);
    vertices_in_panels(&buf, &lay);
    unmake(&f);
    assert_int_equal(build(&f, &face, 0, 200, none, &buf, &lay), NB_E_INVALID);
    free(buf.v);
    nb_font_face_deinit(&face);
}

/* ---- the encoding -------------------------------------------------------------------- */

static float clamp01(float a) {
    return a < 0.0f ? 0.0f : a > 1.0f ? 1.0f : a;
}

static void test_encoding_from_scene(void **state) {
    (void)state;
    fixture f;
    const size_t sz[3] = {8, 6, 4};
    make(&f, sz, 3, NB_CLASS_VIEW_ALL, 0);
    nb_legend_encoding e;
    nb_legend_encoding_of(&f.s, &f.p, &e);
    /* node levels: the largest drawn ||v|| (2 digits), halved twice */
    float mx = 0.0f;
    for (size_t i = 0; i < f.s.n_nodes; i++)
        mx = fmaxf(mx, f.s.nodes[i * NB_SCENE_NODE_FLOATS + 3]);
    assert_true(e.nodes);
    assert_true(fabsf(e.node_levels[2] - mx) <= 0.051f * mx);
    assert_true(fabsf(e.node_levels[1] - 0.5f * e.node_levels[2]) < 1e-6f);
    assert_true(fabsf(e.node_levels[0] - 0.25f * e.node_levels[2]) < 1e-6f);
    /* edge ramp: iota range of the drawn segments; opacity through nb_render_opacity */
    assert_true(e.edges && e.edge_width && e.edge_opacity && !e.ramp_share);
    float lo = INFINITY, hi = 0.0f, a0_of_hi = 0.0f;
    for (size_t i = 0; i < f.s.n_segments; i++) {
        const float *r = f.s.segments + i * NB_SCENE_SEGMENT_FLOATS;
        lo = fminf(lo, r[NB_SCENE_SEG_A + 3]);
        if (r[NB_SCENE_SEG_A + 3] > hi) {
            hi = r[NB_SCENE_SEG_A + 3];
            a0_of_hi = r[NB_SCENE_SEG_COLOR + 3];
        }
    }
    assert_true(e.ramp_min == lo && e.ramp_max == hi && e.iota_max == hi);
    float expect = clamp01(nb_render_opacity(&f.p.edge, a0_of_hi, 1.0f, 1.0f));
    assert_true(fabsf(e.ramp_opacity[NB_LEGEND_RAMP - 1] - expect) < 0.08f);
    for (int k = 0; k < NB_LEGEND_RAMP; k++)
        assert_true(e.ramp_opacity[k] >= 0.0f && e.ramp_opacity[k] <= 1.0f);
    assert_true(e.ramp_opacity[NB_LEGEND_RAMP - 1] > e.ramp_opacity[0]);
    assert_true(e.ramp_iota[NB_LEGEND_RAMP - 1] > e.ramp_iota[0]);
    /* the numbers follow the params: a higher threshold drops the weakest edges and nodes */
    f.cfg.edge.importance_threshold = 0.2;
    f.cfg.node.importance_threshold = 0.5;
    nb_render_params_from_config(&f.cfg, &f.p);
    nb_legend_encoding e2;
    nb_legend_encoding_of(&f.s, &f.p, &e2);
    assert_true(e2.ramp_min >= e.ramp_min);
    assert_true(e2.ramp_max <= e.ramp_max);
    /* ... and the opacity uniforms: importance_opacity 0 makes every edge equally opaque */
    f.cfg.edge.importance_opacity = 0.0;
    nb_render_params_from_config(&f.cfg, &f.p);
    nb_legend_encoding_of(&f.s, &f.p, &e2);
    assert_true(fabsf(e2.ramp_opacity[0] - e2.ramp_opacity[NB_LEGEND_RAMP - 1]) < 1e-6f);
    /* modes without a size/opacity encoding */
    f.cfg.edge.mode = NB_EDGE_LINE;
    f.cfg.node.mode = NB_NODE_POINT;
    nb_render_params_from_config(&f.cfg, &f.p);
    nb_legend_encoding_of(&f.s, &f.p, &e2);
    assert_false(e2.nodes);
    assert_false(e2.edges);
    nb_font_face face;
    assert_int_equal(nb_font_face_init(&face, NULL, 16.0f), NB_OK);
    nb_overlay_buffer buf = {0};
    nb_legend_layout lay;
    const nb_rect none = {0, 0, 0, 0};
    assert_int_equal(build(&f, &face, 1280, 720, none, &buf, &lay), NB_OK);
    assert_false(lay.has_encoding);
    /* opaque sphere edges: width only */
    f.cfg.edge.mode = NB_EDGE_SPHERE;
    nb_render_params_from_config(&f.cfg, &f.p);
    nb_legend_encoding_of(&f.s, &f.p, &e2);
    assert_true(e2.edges && e2.edge_width && !e2.edge_opacity);
    assert_true(e2.ramp_opacity[0] == 1.0f);
    free(buf.v);
    nb_font_face_deinit(&face);
    unmake(&f);
    /* class view: the opacity ramp runs over the shown class's share */
    make(&f, sz, 3, NB_CLASS_VIEW_ONE, 2);
    nb_legend_encoding_of(&f.s, &f.p, &e);
    assert_true(e.ramp_share && !e.edge_width);
    assert_true(e.ramp_min >= 0.0f && e.ramp_max <= 1.0f && e.ramp_max > e.ramp_min);
    unmake(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_place_avoids_drawing),
        cmocka_unit_test(test_place_avoids_taken),
        cmocka_unit_test(test_text_size_follows_image),
        cmocka_unit_test(test_build_places_panels),
        cmocka_unit_test(test_build_scales_with_image),
        cmocka_unit_test(test_build_views_and_wrapping),
        cmocka_unit_test(test_encoding_from_scene),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
