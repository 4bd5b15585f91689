/* test_render_scene.c - scene building (colours, importance, segments, errors) and screenshot
 * names: the GL-free data the renderer draws (the legend: test_legend.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nb_edge_importance.h"
#include "nb_palette.h"
#include "nb_scene.h"
#include "nb_screenshot.h"
#include "test_render_fixture.h"

static const size_t sizes[3] = {4, 3, 2};

static void near(float a, float b, float tol) {
    if (!(fabsf(a - b) <= tol))
        fail_msg("%.7g != %.7g", (double)a, (double)b);
}

static const float *node_vec(const nb_model *m, size_t g) {
    size_t l = nb_scene_layer_of(m->bundle.layer_offset, m->bundle.n_layers, g);
    return m->importance.node + m->importance.node_offset[l] +
           (g - (size_t)m->bundle.layer_offset[l]) * m->importance.n_classes;
}

static void test_nodes_per_class_view(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 5, true, 1), NB_OK);
    const size_t C = 2;
    for (int view = 0; view < 3; view++) {
        nb_scene_desc d = {0};
        d.class_view = view;
        d.class_index = 1;
        d.background[0] = d.background[1] = d.background[2] = 1.0;
        nb_scene s;
        assert_int_equal(nb_scene_build(&m, &d, "m.nnb.h5", &s), NB_OK);
        assert_int_equal(s.n_nodes, 9);
        assert_int_equal(s.n_classes, C);
        assert_string_equal(s.class_names[1], "class 1");
        for (size_t i = 0; i < s.n_nodes; i++) {
            const float *r = s.nodes + i * NB_SCENE_NODE_FLOATS;
            size_t g = s.node_id[i];
            assert_memory_equal(r, m.bundle.node_position + 3 * g, 3 * sizeof(float));
            const float *v = node_vec(&m, g);
            nb_node_stats st = nb_node_stats_of(v, C);
            near(r[3], st.norm, 1e-6f);
            float sum = v[0] + v[1], share[2] = {v[0] / sum, v[1] / sum};
            float p0[3], p1[3];
            nb_palette_color(0, p0);
            nb_palette_color(1, p1);
            for (int k = 0; k < 3; k++) {
                float expect = view == NB_CLASS_VIEW_INDEPENDENT ? 0.0f
                               : view == NB_CLASS_VIEW_ALL ? p0[k] * share[0] + p1[k] * share[1]
                                                           : p1[k] * share[1];
                near(r[4 + k], expect, 1e-6f);
            }
            near(r[7], view == NB_CLASS_VIEW_ONE ? share[1] : st.mean, 1e-6f);
        }
        /* output layer is one-hot (norm 1), and nodes are sorted by norm, descending */
        for (size_t i = 0; i < s.n_nodes; i++) {
            if (s.node_id[i] >= 7)
                near(s.nodes[i * NB_SCENE_NODE_FLOATS + 3], 1.0f, 0.0f);
            if (i > 0)
                assert_true(s.nodes[i * NB_SCENE_NODE_FLOATS + 3] <=
                            s.nodes[(i - 1) * NB_SCENE_NODE_FLOATS + 3]);
        }
        nb_scene_deinit(&s);
    }
    /* on a dark background "independent" objects are white */
    nb_scene_desc d = {0};
    nb_scene s;
    assert_int_equal(nb_scene_build(&m, &d, "m.nnb.h5", &s), NB_OK); /* background 0,0,0 */
    near(s.nodes[4], 1.0f, 0.0f);
    nb_scene_deinit(&s);
    nb_model_deinit(&m);
}

static void test_segments_use_shared_edge_importance(void **state) {
    (void)state;
    nb_model m;
    const size_t P = 6;
    assert_int_equal(test_make_model(&m, sizes, 3, P, true, 2), NB_OK);
    for (int type = 0; type < NB_EDGE_IMPORTANCE_TYPES; type++) {
        nb_scene_desc d = {0};
        d.class_view = NB_CLASS_VIEW_ALL;
        d.background[0] = d.background[1] = d.background[2] = 1.0;
        d.edge_importance_type = type;
        nb_scene s;
        assert_int_equal(nb_scene_build(&m, &d, "m.nnb.h5", &s), NB_OK);
        assert_int_equal(s.n_edges, 18);
        assert_int_equal(s.n_segments, 18 * (P - 1));
        assert_int_equal(s.edge_importance_type, type);
        for (size_t i = 0; i < s.n_segments; i++) {
            const float *r = s.segments + i * NB_SCENE_SEGMENT_FLOATS;
            size_t e = (size_t)r[NB_SCENE_SEG_EXTRA + 1];
            size_t k = i % (P - 1); /* each edge's segments stay together, in polyline order */
            assert_int_equal(
                e, (size_t)s.segments[(i - k) * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA + 1]);
            uint32_t src = m.bundle.edge_source[e], dst = m.bundle.edge_target[e];
            const float *sv = node_vec(&m, src), *ev = node_vec(&m, dst);
            nb_node_stats ss = nb_node_stats_of(sv, 2), es = nb_node_stats_of(ev, 2);
            float t = ((float)k + 0.5f) / (float)(P - 1), q[2], iota;
            nb_edge_importance_eval(type, t, 2, sv, ss, ev, es, m.bundle.edge_alpha[e], q, &iota);
            near(r[NB_SCENE_SEG_A + 3], iota, 1e-6f);
            near(r[NB_SCENE_SEG_EXTRA + 3], t, 1e-6f);
            const float *pa = m.bundle.point_position + 3 * (e * P + k);
            assert_memory_equal(r + NB_SCENE_SEG_A, pa, 3 * sizeof(float));
            assert_memory_equal(r + NB_SCENE_SEG_B, pa + 3, 3 * sizeof(float));
            /* overlap factor: 1 for the first and the last two segments */
            float f = (k == 0 || k >= P - 3) ? 1.0f : 1.0f + 1.5f * iota;
            near(r[NB_SCENE_SEG_B + 3], f, 1e-6f);
            near(r[NB_SCENE_SEG_EXTRA], m.bundle.edge_alpha[e] * ss.mean, 1e-6f);
            near(r[NB_SCENE_SEG_EXTRA + 2], src < 4 ? 0.0f : 1.0f, 0.0f);
            float sum = q[0] + q[1], p0[3], p1[3];
            nb_palette_color(0, p0);
            nb_palette_color(1, p1);
            for (int c = 0; c < 3; c++)
                near(r[NB_SCENE_SEG_COLOR + c],
                     sum > 0 ? (p0[c] * q[0] + p1[c] * q[1]) / sum : 0.0f, 1e-5f);
            near(r[NB_SCENE_SEG_COLOR + 3], iota / sqrtf(2.0f), 1e-6f);
        }
        nb_scene_deinit(&s);
    }
    nb_model_deinit(&m);
}

static void test_type_from_config_json(void **state) {
    (void)state;
    int type = -1;
    assert_int_equal(nb_scene_edge_importance_type(NULL, "f.nnb.h5", &type), NB_OK);
    assert_int_equal(type, 0);
    assert_int_equal(nb_scene_edge_importance_type("{\"layer_width\": 1}", "f", &type), NB_OK);
    assert_int_equal(type, 0);
    assert_int_equal(
        nb_scene_edge_importance_type("{\"edge_importance_type\": 3, \"seed\": 1}", "f", &type),
        NB_OK);
    assert_int_equal(type, 3);
    const char *bad[] = {"{\"edge_importance_type\": 4}",
                         "{\"edge_importance_type\": -1}",
                         "{\"edge_importance_type\": 1.5}",
                         "{\"edge_importance_type\": \"2\"}",
                         "[1, 2]",
                         "{not json"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        type = 7;
        assert_int_equal(nb_scene_edge_importance_type(bad[i], "f.nnb.h5", &type), NB_E_FORMAT);
        assert_int_equal(type, 7);
        assert_string_equal(nb_error_subject(), "f.nnb.h5 /bundle config_json");
    }
}

static void test_layer_filter_reverse_and_counts(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 4, true, 3), NB_OK);
    nb_scene_desc d = {0};
    d.filter_pairs = true;
    d.pair_first = d.pair_last = 1;
    nb_scene s;
    assert_int_equal(nb_scene_build(&m, &d, "m", &s), NB_OK);
    assert_int_equal(s.n_edges, 6);
    assert_int_equal(s.n_segments, 6 * 3);
    assert_int_equal(s.n_nodes, 5); /* layers 1 and 2 */
    for (size_t i = 0; i < s.n_nodes; i++)
        assert_true(s.node_id[i] >= 4);
    for (size_t i = 0; i < s.n_segments; i++)
        near(s.segments[i * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA + 2], 1.0f, 0.0f);
    /* the box is the whole network's, whatever the filter */
    near(s.bbox_min[2], -0.5f, 1e-6f);
    near(s.bbox_max[2], 0.5f, 1e-6f);
    near(s.node_bbox_min[2], -0.5f, 1e-6f);
    near(s.node_bbox_max[0], 0.25f, 1e-6f); /* 4 nodes: 2 x 2 grid at +-0.25 */
    /* polyline points widen the full box, not the node box */
    m.bundle.point_position[3 * 2 + 1] = 3.0f;
    nb_scene s2;
    assert_int_equal(nb_scene_build(&m, &d, "m", &s2), NB_OK);
    near(s2.bbox_max[1], 3.0f, 0.0f);
    near(s2.node_bbox_max[1], s.node_bbox_max[1], 0.0f);
    nb_scene_deinit(&s2);
    nb_scene_deinit(&s);

    d.filter_pairs = false;
    nb_scene fwd, rev;
    assert_int_equal(nb_scene_build(&m, &d, "m", &fwd), NB_OK);
    d.reverse_segments = true;
    assert_int_equal(nb_scene_build(&m, &d, "m", &rev), NB_OK);
    assert_int_equal(fwd.n_segments, rev.n_segments);
    for (size_t i = 0; i < fwd.n_segments; i++)
        assert_memory_equal(fwd.segments + i * NB_SCENE_SEGMENT_FLOATS,
                            rev.segments + (rev.n_segments - 1 - i) * NB_SCENE_SEGMENT_FLOATS,
                            NB_SCENE_SEGMENT_FLOATS * sizeof(float));
    size_t nn, ns;
    nb_scene_count_visible(&fwd, 0.0f, 0.0f, &nn, &ns);
    assert_int_equal(nn, 9);
    size_t expect = 0;
    for (size_t i = 0; i < fwd.n_segments; i++)
        expect += fwd.segments[i * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA] > 0.2f;
    nb_scene_count_visible(&fwd, 2.0f, 0.2f, &nn, &ns);
    assert_int_equal(nn, 0);
    assert_int_equal(ns, expect);
    assert_true(expect > 0 && expect < fwd.n_segments);
    /* sorted by cull key: the visible segments are a prefix (a suffix when reversed) */
    size_t first = 99;
    assert_int_equal(nb_scene_visible_segments(&fwd, 0.2f, &first), expect);
    assert_int_equal(first, 0);
    for (size_t i = 0; i < fwd.n_segments; i++)
        assert_true((fwd.segments[i * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA] > 0.2f) ==
                    (i < expect));
    assert_int_equal(nb_scene_visible_segments(&rev, 0.2f, &first), expect);
    assert_int_equal(first, rev.n_segments - expect);
    assert_int_equal(nb_scene_visible_segments(&fwd, 2.0f, &first), 0);
    assert_int_equal(nb_scene_visible_segments(&rev, -1.0f, &first), rev.n_segments);
    assert_int_equal(first, 0);
    for (float thr = 0.0f; thr < 1.2f; thr += 0.1f) {
        size_t lin;
        nb_scene_count_visible(&fwd, thr, 0.0f, &lin, NULL);
        assert_int_equal(nb_scene_visible_nodes(&fwd, thr), lin);
    }
    nb_scene_deinit(&fwd);
    nb_scene_deinit(&rev);
    nb_model_deinit(&m);
}

static void test_without_importance(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 3, false, 4), NB_OK);
    nb_scene_desc d = {0};
    d.class_view = NB_CLASS_VIEW_ALL;
    nb_scene s;
    assert_int_equal(nb_scene_build(&m, &d, "m", &s), NB_OK);
    assert_false(s.has_importance);
    assert_int_equal(s.n_classes, 2);
    for (size_t i = 0; i < s.n_nodes; i++)
        near(s.nodes[i * NB_SCENE_NODE_FLOATS + 3], 1.0f, 1e-6f);
    /* type 0 with unit norms: iota = alpha */
    for (size_t i = 0; i < s.n_segments; i++) {
        const float *r = s.segments + i * NB_SCENE_SEGMENT_FLOATS;
        near(r[3], m.bundle.edge_alpha[(size_t)r[NB_SCENE_SEG_EXTRA + 1]], 1e-6f);
    }
    nb_scene_deinit(&s);
    nb_model_deinit(&m);
}

static void test_layer_of(void **state) {
    (void)state;
    const int64_t off[4] = {0, 4, 7, 9};
    assert_int_equal(nb_scene_layer_of(off, 3, 0), 0);
    assert_int_equal(nb_scene_layer_of(off, 3, 3), 0);
    assert_int_equal(nb_scene_layer_of(off, 3, 4), 1);
    assert_int_equal(nb_scene_layer_of(off, 3, 8), 2);
    assert_int_equal(nb_scene_layer_of(off, 3, 9), 3);
    assert_int_equal(nb_scene_layer_of(off, 3, 1000), 3);
}

/* Builds with desc d and expects status st with the given subject; out must stay untouched. */
static void expect_error(const nb_model *m, const nb_scene_desc *d, nb_status st,
                         const char *subject) {
    nb_scene s;
    memset(&s, 0xAB, sizeof s);
    nb_scene copy = s;
    nb_error_clear();
    assert_int_equal(nb_scene_build(m, d, "m.nnb.h5", &s), st);
    assert_int_equal(nb_error_status(), st);
    assert_string_equal(nb_error_subject(), subject);
    assert_memory_equal(&s, &copy, sizeof s);
}

static void test_errors(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 4, true, 5), NB_OK);
    nb_scene_desc d = {0};

    m.has_bundle = false;
    expect_error(&m, &d, NB_E_MISSING, "m.nnb.h5 /bundle");
    assert_non_null(strstr(nb_error_message(), "nnbundle bundle m.nnb.h5"));
    m.has_bundle = true;

    d.class_view = NB_CLASS_VIEW_ONE;
    d.class_index = 2;
    expect_error(&m, &d, NB_E_CONFIG, "class_index");
    d.class_index = 1;
    d.edge_importance_type = 4;
    expect_error(&m, &d, NB_E_CONFIG, "edge_importance_type");
    d.edge_importance_type = 0;
    d.filter_pairs = true;
    d.pair_first = 1;
    d.pair_last = 2;
    expect_error(&m, &d, NB_E_CONFIG, "--layers");
    d.pair_first = 1;
    d.pair_last = 0;
    expect_error(&m, &d, NB_E_CONFIG, "--layers");
    d.filter_pairs = false;

    uint32_t keep = m.bundle.edge_target[5];
    m.bundle.edge_target[5] = 9;
    expect_error(&m, &d, NB_E_FORMAT, "m.nnb.h5 /bundle/edge_target");
    m.bundle.edge_target[5] = keep;
    uint32_t ks = m.bundle.edge_source[0];
    m.bundle.edge_source[0] = 100;
    expect_error(&m, &d, NB_E_FORMAT, "m.nnb.h5 /bundle/edge_source");
    m.bundle.edge_source[0] = ks;

    uint64_t ko = m.bundle.edge_point_offset[3];
    m.bundle.edge_point_offset[3] = m.bundle.edge_point_offset[2] + 1; /* 1-point edge */
    expect_error(&m, &d, NB_E_FORMAT, "m.nnb.h5 /bundle/edge_point_offset");
    m.bundle.edge_point_offset[3] = ko;
    uint64_t kl = m.bundle.edge_point_offset[18];
    m.bundle.edge_point_offset[18] = m.bundle.n_points + 1;
    expect_error(&m, &d, NB_E_FORMAT, "m.nnb.h5 /bundle/edge_point_offset");
    m.bundle.edge_point_offset[18] = kl;

    float kp = m.bundle.point_position[7];
    m.bundle.point_position[7] = NAN;
    expect_error(&m, &d, NB_E_NUMERIC, "m.nnb.h5 /bundle/point_position");
    m.bundle.point_position[7] = kp;
    m.bundle.node_position[2] = INFINITY;
    expect_error(&m, &d, NB_E_NUMERIC, "m.nnb.h5 /bundle/node_position");
    m.bundle.node_position[2] = -0.5f;

    int64_t klo = m.bundle.layer_offset[1];
    m.bundle.layer_offset[1] = 8;
    expect_error(&m, &d, NB_E_FORMAT, "m.nnb.h5 /bundle/layer_offset");
    m.bundle.layer_offset[1] = klo;
    m.bundle.layer_offset[3] = 10;
    expect_error(&m, &d, NB_E_FORMAT, "m.nnb.h5 /bundle/layer_offset");
    m.bundle.layer_offset[3] = 9;

    m.importance.layer_size[1] = 4;
    expect_error(&m, &d, NB_E_MISMATCH, "m.nnb.h5 /importance");
    m.importance.layer_size[1] = 3;

    nb_scene s; /* and the repaired model builds again */
    assert_int_equal(nb_scene_build(&m, &d, "m.nnb.h5", &s), NB_OK);
    nb_scene_deinit(&s);
    nb_scene_deinit(NULL);
    nb_model_deinit(&m);
}

static void test_screenshot_names(void **state) {
    (void)state;
    char stem[64], name[256];
    nb_screenshot_stem("/data/runs/model.nnb.h5", stem, sizeof stem);
    assert_string_equal(stem, "model");
    nb_screenshot_stem("net.h5", stem, sizeof stem);
    assert_string_equal(stem, "net");
    nb_screenshot_stem("dir.x/plain", stem, sizeof stem);
    assert_string_equal(stem, "plain");
    nb_screenshot_stem(".nnb.h5", stem, sizeof stem);
    assert_string_equal(stem, "nnbundle");
    const time_t t = 1700000000; /* 2023-11-14 22:13:20 UTC */
    assert_int_equal(nb_screenshot_name(name, sizeof name, NULL, "a/b/m.nnb.h5", t, -1), NB_OK);
    assert_string_equal(name, "m_20231114T221320Z.png");
    assert_int_equal(nb_screenshot_name(name, sizeof name, "out", "m.nnb.h5", t, 42), NB_OK);
    assert_string_equal(name, "out/m_20231114T221320Z_00042.png");
    assert_int_equal(nb_screenshot_name(name, 10, "out", "m.nnb.h5", t, 42), NB_E_INVALID);
    unsigned char px[3] = {1, 2, 3};
    assert_int_equal(nb_screenshot_write_png("/no/such/dir/x.png", px, 1, 1), NB_E_IO);
    assert_string_equal(nb_error_subject(), "/no/such/dir/x.png");
    assert_int_equal(nb_screenshot_write_png("x.png", px, 0, 1), NB_E_INVALID);
    unsigned char *rgb;
    int w, h;
    assert_int_equal(nb_screenshot_read_png("/no/such/file.png", &rgb, &w, &h), NB_E_IO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes_per_class_view),
        cmocka_unit_test(test_segments_use_shared_edge_importance),
        cmocka_unit_test(test_type_from_config_json),
        cmocka_unit_test(test_layer_filter_reverse_and_counts),
        cmocka_unit_test(test_without_importance),
        cmocka_unit_test(test_layer_of),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_screenshot_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
