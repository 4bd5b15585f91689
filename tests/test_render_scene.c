/* test_render_scene.c - scene building (colours, importance, segments, errors), the display
 * scale of importance, the class view's colour rule, the framing of the drawn geometry and
 * screenshot names: the GL-free data the renderer draws (the legend: test_legend.c). */

#include "nb_edge_importance.h"
#include "nb_camera.h"
#include "nb_config.h"
#include "nb_palette.h"
#include "nb_render_params.h"
#include "nb_scene.h"
#include "nb_screenshot.h"
#include "nb_test.h"
#include "test_render_fixture.h"

static const size_t sizes[3] = {4, 3, 2};

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
            nb_assert_near(r[3], st.norm, 1e-6f);
            float sum = v[0] + v[1], share[2] = {v[0] / sum, v[1] / sum};
            float p0[3], p1[3];
            nb_palette_color(0, p0);
            nb_palette_color(1, p1);
            for (int k = 0; k < 3; k++) {
                /* class view: the class colour itself; a0 carries the fade (test below) */
                float expect = view == NB_CLASS_VIEW_INDEPENDENT ? 0.0f
                               : view == NB_CLASS_VIEW_ALL ? p0[k] * share[0] + p1[k] * share[1]
                                                           : p1[k];
                nb_assert_near(r[4 + k], expect, 1e-6f);
            }
            /* raw values (normalization none): class view a0 = v_k, capped at 1 */
            nb_assert_near(r[7], view == NB_CLASS_VIEW_ONE ? fminf(v[1], 1.0f) : st.mean, 1e-6f);
        }
        /* output layer is one-hot (norm 1), and nodes are sorted by norm, descending */
        for (size_t i = 0; i < s.n_nodes; i++) {
            if (s.node_id[i] >= 7)
                nb_assert_near(s.nodes[i * NB_SCENE_NODE_FLOATS + 3], 1.0f, 0.0f);
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
    nb_assert_near(s.nodes[4], 1.0f, 0.0f);
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
            nb_assert_near(r[NB_SCENE_SEG_A + 3], iota, 1e-6f);
            nb_assert_near(r[NB_SCENE_SEG_EXTRA + 3], t, 1e-6f);
            const float *pa = m.bundle.point_position + 3 * (e * P + k);
            assert_memory_equal(r + NB_SCENE_SEG_A, pa, 3 * sizeof(float));
            assert_memory_equal(r + NB_SCENE_SEG_B, pa + 3, 3 * sizeof(float));
            /* overlap factor: 1 for the first and the last two segments */
            float f = (k == 0 || k >= P - 3) ? 1.0f : 1.0f + 1.5f * iota;
            nb_assert_near(r[NB_SCENE_SEG_B + 3], f, 1e-6f);
            nb_assert_near(r[NB_SCENE_SEG_EXTRA], m.bundle.edge_alpha[e] * ss.mean, 1e-6f);
            nb_assert_near(r[NB_SCENE_SEG_EXTRA + 2], src < 4 ? 0.0f : 1.0f, 0.0f);
            float sum = q[0] + q[1], p0[3], p1[3];
            nb_palette_color(0, p0);
            nb_palette_color(1, p1);
            for (int c = 0; c < 3; c++)
                nb_assert_near(r[NB_SCENE_SEG_COLOR + c],
                               sum > 0 ? (p0[c] * q[0] + p1[c] * q[1]) / sum : 0.0f, 1e-5f);
            nb_assert_near(r[NB_SCENE_SEG_COLOR + 3], iota / sqrtf(2.0f), 1e-6f);
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
    /* only the key the scene uses is checked: a file whose other stored values today's key
     * table refuses still shows */
    assert_int_equal(
        nb_scene_edge_importance_type(
            "{\"edge_step\": 7, \"density\": \"gpu\", \"edge_importance_type\": 2}", "f", &type),
        NB_OK);
    assert_int_equal(type, 2);
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
        if (i < 4)
            assert_non_null(strstr(nb_error_message(), "edge_importance_type: "));
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
        nb_assert_near(s.segments[i * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA + 2], 1.0f,
                       0.0f);
    /* the box is the whole network's, whatever the filter */
    nb_assert_near(s.bbox_min[2], -0.5f, 1e-6f);
    nb_assert_near(s.bbox_max[2], 0.5f, 1e-6f);
    nb_assert_near(s.node_bbox_min[2], -0.5f, 1e-6f);
    nb_assert_near(s.node_bbox_max[0], 0.25f, 1e-6f); /* 4 nodes: 2 x 2 grid at +-0.25 */
    /* polyline points widen the full box, not the node box */
    m.bundle.point_position[3 * 2 + 1] = 3.0f;
    nb_scene s2;
    assert_int_equal(nb_scene_build(&m, &d, "m", &s2), NB_OK);
    nb_assert_near(s2.bbox_max[1], 3.0f, 0.0f);
    nb_assert_near(s2.node_bbox_max[1], s.node_bbox_max[1], 0.0f);
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
        nb_assert_near(s.nodes[i * NB_SCENE_NODE_FLOATS + 3], 1.0f, 1e-6f);
    /* type 0 with unit norms: iota = alpha */
    for (size_t i = 0; i < s.n_segments; i++) {
        const float *r = s.segments + i * NB_SCENE_SEGMENT_FLOATS;
        nb_assert_near(r[3], m.bundle.edge_alpha[(size_t)r[NB_SCENE_SEG_EXTRA + 1]], 1e-6f);
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
    nb_expect_error(nb_scene_build(m, d, "m.nnb.h5", &s), st, subject, NULL);
    assert_int_equal(nb_error_status(), st);
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
    /* the reader's rule: bundle data without a network is not a model */
    m.has_network = false;
    expect_error(&m, &d, NB_E_MISSING, "m.nnb.h5 /network");
    m.has_network = true;
    /* ... and its alpha range, which the scene used to take on trust */
    float ka = m.bundle.edge_alpha[4];
    m.bundle.edge_alpha[4] = 1.5f;
    expect_error(&m, &d, NB_E_NUMERIC, "m.nnb.h5 /bundle/edge_alpha");
    m.bundle.edge_alpha[4] = ka;

    nb_scene s; /* and the repaired model builds again */
    assert_int_equal(nb_scene_build(&m, &d, "m.nnb.h5", &s), NB_OK);
    nb_scene_deinit(&s);
    nb_scene_deinit(NULL);
    nb_model_deinit(&m);
}

/* ---- display scale, class view, framing ------------------------------------------------- */

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* The display divisor as documented: the value at rank floor(0.99 (n - 1)) of the sorted
 * values, the maximum if that is 0. */
static float percentile_ref(float *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_float);
    float p = v[(size_t)(0.99 * (double)(n - 1))];
    return p > 0.0f ? p : v[n - 1];
}

static float capped(float x, float ref) {
    return ref > 0.0f ? fminf(x / ref, 1.0f) : 0.0f;
}

static const size_t big_sizes[4] = {40, 12, 7, 3};

/* importance_normalization "layer": every node value divided by its layer's percentile and
 * every segment value by its layer pair's, capped at 1; "network" by one percentile. */
static void test_display_scale(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, big_sizes, 4, 5, true, 31), NB_OK);
    nb_scene_desc raw_d = {0};
    raw_d.class_view = NB_CLASS_VIEW_ALL;
    nb_scene raw;
    assert_int_equal(nb_scene_build(&m, &raw_d, "m", &raw), NB_OK);
    assert_int_equal(raw.normalization, NB_NORMALIZE_NONE);
    for (int mode = NB_NORMALIZE_NETWORK; mode <= NB_NORMALIZE_LAYER; mode++) {
        nb_scene_desc d = raw_d;
        d.normalization = mode;
        nb_scene s;
        assert_int_equal(nb_scene_build(&m, &d, "m", &s), NB_OK);
        assert_int_equal(s.normalization, mode);
        size_t groups = mode == NB_NORMALIZE_LAYER ? 4 : 1;
        for (size_t g = 0; g < groups; g++) {
            /* nodes: raw norms of the group, by node id (raw and s differ in order) */
            float v[64], mean[64];
            size_t n = 0;
            for (size_t i = 0; i < raw.n_nodes; i++) {
                size_t l = nb_scene_layer_of(m.bundle.layer_offset, 4, raw.node_id[i]);
                if (mode == NB_NORMALIZE_LAYER && l != g)
                    continue;
                v[n] = raw.nodes[i * NB_SCENE_NODE_FLOATS + 3];
                mean[n++] = raw.nodes[i * NB_SCENE_NODE_FLOATS + 7];
            }
            float ref = percentile_ref(v, n), ref_mean = percentile_ref(mean, n);
            nb_assert_near(s.node_norm_ref[mode == NB_NORMALIZE_LAYER ? g : 3], ref, 1e-7f);
            for (size_t i = 0; i < s.n_nodes; i++) {
                size_t l = nb_scene_layer_of(m.bundle.layer_offset, 4, s.node_id[i]);
                if (mode == NB_NORMALIZE_LAYER && l != g)
                    continue;
                size_t j = 0; /* the same node in the raw scene */
                while (raw.node_id[j] != s.node_id[i])
                    j++;
                nb_assert_near(s.nodes[i * NB_SCENE_NODE_FLOATS + 3],
                               capped(raw.nodes[j * NB_SCENE_NODE_FLOATS + 3], ref), 1e-6f);
                nb_assert_near(s.nodes[i * NB_SCENE_NODE_FLOATS + 7],
                               capped(raw.nodes[j * NB_SCENE_NODE_FLOATS + 7], ref_mean), 1e-6f);
            }
        }
        /* segments: iota per pair; a0 = display iota; f from the display iota */
        for (size_t g = 0; g < (mode == NB_NORMALIZE_LAYER ? 3u : 1u); g++) {
            float *v = malloc(raw.n_segments * sizeof *v);
            assert_non_null(v);
            size_t n = 0;
            for (size_t i = 0; i < raw.n_segments; i++) {
                const float *r = raw.segments + i * NB_SCENE_SEGMENT_FLOATS;
                if (mode != NB_NORMALIZE_LAYER || r[NB_SCENE_SEG_EXTRA + 2] == (float)g)
                    v[n++] = r[NB_SCENE_SEG_A + 3];
            }
            float ref = percentile_ref(v, n);
            nb_assert_near(s.seg_iota_ref[mode == NB_NORMALIZE_LAYER ? g : 2], ref, 1e-7f);
            size_t full = 0;
            for (size_t i = 0; i < s.n_segments; i++) {
                const float *r = s.segments + i * NB_SCENE_SEGMENT_FLOATS;
                if (mode == NB_NORMALIZE_LAYER && r[NB_SCENE_SEG_EXTRA + 2] != (float)g)
                    continue;
                float iota = r[NB_SCENE_SEG_A + 3];
                assert_true(iota >= 0.0f && iota <= 1.0f);
                nb_assert_near(r[NB_SCENE_SEG_COLOR + 3], iota, 0.0f);
                float f = r[NB_SCENE_SEG_B + 3];
                assert_true(f == 1.0f || fabsf(f - (1.0f + 1.5f * iota)) < 1e-6f);
                full += iota == 1.0f;
            }
            /* the top percent of the group reaches full size */
            assert_true(full >= 1 && full <= n / 100 + 2);
            free(v);
        }
        /* ordered by the scaled cull key: thresholds still select a prefix */
        for (size_t i = 1; i < s.n_segments; i++)
            assert_true(s.segments[i * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA] <=
                        s.segments[(i - 1) * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA]);
        nb_scene_deinit(&s);
    }
    nb_scene_deinit(&raw);
    nb_model_deinit(&m);
}

/* The threshold means the same on every network: scaling every importance value by a
 * constant changes no display value with "layer" or "network" (it does with "none"). */
static void test_display_scale_is_scale_free(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, big_sizes, 4, 5, true, 32), NB_OK);
    for (int mode = NB_NORMALIZE_NONE; mode <= NB_NORMALIZE_LAYER; mode++) {
        nb_scene_desc d = {0};
        d.class_view = NB_CLASS_VIEW_ALL;
        d.normalization = mode;
        nb_scene a, b;
        assert_int_equal(nb_scene_build(&m, &d, "m", &a), NB_OK);
        size_t total = m.importance.node_offset[m.importance.n_layers];
        for (size_t i = 0; i < total; i++)
            m.importance.node[i] *= 0.125f; /* a network with 8x weaker importance */
        assert_int_equal(nb_scene_build(&m, &d, "m", &b), NB_OK);
        for (size_t i = 0; i < total; i++)
            m.importance.node[i] *= 8.0f;
        size_t na, sa, nb, sb;
        nb_scene_count_visible(&a, 0.3f, 0.3f, &na, &sa);
        nb_scene_count_visible(&b, 0.3f, 0.3f, &nb, &sb);
        if (mode == NB_NORMALIZE_NONE) {
            assert_true(nb < na || sb < sa); /* absolute thresholds drop the weak network */
        } else {
            assert_int_equal(na, nb);
            assert_int_equal(sa, sb);
            for (size_t i = 0; i < a.n_segments * NB_SCENE_SEGMENT_FLOATS; i++)
                nb_assert_near(a.segments[i], b.segments[i], 2e-6f);
            for (size_t i = 0; i < a.n_nodes * NB_SCENE_NODE_FLOATS; i++)
                nb_assert_near(a.nodes[i], b.nodes[i], 2e-6f);
        }
        nb_scene_deinit(&a);
        nb_scene_deinit(&b);
    }
    nb_model_deinit(&m);
}

/* class_contrast g: colour = sum_c palette_c share_c^g / sum_c share_c^g. */
static void test_class_contrast(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, 3, 4, true, 33), NB_OK);
    nb_scene_desc d = {0};
    d.class_view = NB_CLASS_VIEW_ALL;
    d.class_contrast = 3.0f;
    nb_scene s;
    assert_int_equal(nb_scene_build(&m, &d, "m", &s), NB_OK);
    float p0[3], p1[3];
    nb_palette_color(0, p0);
    nb_palette_color(1, p1);
    for (size_t i = 0; i < s.n_nodes; i++) {
        const float *v = node_vec(&m, s.node_id[i]);
        float w0 = powf(v[0] / (v[0] + v[1]), 3.0f), w1 = powf(v[1] / (v[0] + v[1]), 3.0f);
        for (int k = 0; k < 3; k++)
            nb_assert_near(s.nodes[i * NB_SCENE_NODE_FLOATS + 4 + k],
                           (p0[k] * w0 + p1[k] * w1) / (w0 + w1), 1e-5f);
    }
    nb_scene_deinit(&s);
    nb_model_deinit(&m);
}

/* Class view k (the default display scale): every node and segment carries class k's
 * colour; a0 is its importance for class k relative to its layer / layer pair (the most
 * important ones for class k get 1 at every layer pair: the class's full colour), and the
 * fade the passes apply (nb_render_fade) keeps every colour between the background and the
 * class colour: on white, never darker than the class colour. The reference's rule
 * (palette_k * share_k) is darker than the class colour wherever share_k < 1. */
static void test_class_view_colour_rule(void **state) {
    (void)state;
    static const size_t csizes[4] = {16, 9, 6, 4};
    nb_model m;
    assert_int_equal(test_make_model(&m, csizes, 4, 5, true, 34), NB_OK);
    const size_t C = 4;
    for (size_t k = 0; k < C; k++) {
        nb_scene_desc d = {0};
        d.class_view = NB_CLASS_VIEW_ONE;
        d.class_index = k;
        d.normalization = NB_NORMALIZE_LAYER;
        d.background[0] = d.background[1] = d.background[2] = 1.0;
        nb_scene s;
        assert_int_equal(nb_scene_build(&m, &d, "m", &s), NB_OK);
        float pal[3], out[3];
        const float white[3] = {1, 1, 1};
        nb_palette_color(k, pal);
        float pal_luma = pal[0] + pal[1] + pal[2];
        float top[3] = {0, 0, 0};
        size_t darker_reference = 0;
        /* segments: raw class-k importance iota * q_k, for the monotonicity check */
        float *rawk = malloc(s.n_segments * sizeof *rawk);
        float *q = malloc(C * sizeof *q);
        assert_non_null(rawk);
        assert_non_null(q);
        for (size_t i = 0; i < s.n_segments; i++) {
            const float *r = s.segments + i * NB_SCENE_SEGMENT_FLOATS;
            for (int c = 0; c < 3; c++)
                nb_assert_near(r[NB_SCENE_SEG_COLOR + c], pal[c], 0.0f);
            float a0 = r[NB_SCENE_SEG_COLOR + 3];
            assert_true(a0 >= 0.0f && a0 <= 1.0f);
            size_t pair = (size_t)r[NB_SCENE_SEG_EXTRA + 2];
            top[pair] = fmaxf(top[pair], a0);
            nb_render_fade(white, pal, a0, out);
            for (int c = 0; c < 3; c++)
                assert_true(out[c] >= pal[c] - 1e-6f); /* never darker than the class colour */
            /* the reference's colour for the same segment */
            size_t e = (size_t)r[NB_SCENE_SEG_EXTRA + 1];
            uint32_t src = m.bundle.edge_source[e], dst = m.bundle.edge_target[e];
            const float *sv = node_vec(&m, src), *ev = node_vec(&m, dst);
            float iota;
            nb_edge_importance_eval(0, r[NB_SCENE_SEG_EXTRA + 3], C, sv, nb_node_stats_of(sv, C),
                                    ev, nb_node_stats_of(ev, C), m.bundle.edge_alpha[e], q, &iota);
            rawk[i] = iota * q[k];
            float qsum = 0.0f;
            for (size_t c = 0; c < C; c++)
                qsum += q[c];
            float share = qsum > 0.0f ? q[k] / qsum : 0.0f;
            darker_reference += share < 0.999f; /* palette * share < palette */
        }
        /* at every layer pair the most important segments for class k get its full colour */
        for (int pair = 0; pair < 3; pair++)
            nb_assert_near(top[pair], 1.0f, 0.0f);
        assert_true(darker_reference > s.n_segments / 2);
        /* a0 grows with the class-k importance inside a pair */
        for (size_t i = 0; i < s.n_segments; i++)
            for (size_t j = 0; j < s.n_segments; j += 7) {
                const float *ri = s.segments + i * NB_SCENE_SEGMENT_FLOATS;
                const float *rj = s.segments + j * NB_SCENE_SEGMENT_FLOATS;
                if (ri[NB_SCENE_SEG_EXTRA + 2] == rj[NB_SCENE_SEG_EXTRA + 2] && rawk[i] > rawk[j])
                    assert_true(ri[NB_SCENE_SEG_COLOR + 3] >= rj[NB_SCENE_SEG_COLOR + 3]);
            }
        /* nodes: class colour, a0 by v_k relative to the layer, full at the top of each layer */
        float ntop[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < s.n_nodes; i++) {
            const float *r = s.nodes + i * NB_SCENE_NODE_FLOATS;
            for (int c = 0; c < 3; c++)
                nb_assert_near(r[4 + c], pal[c], 0.0f);
            size_t l = nb_scene_layer_of(m.bundle.layer_offset, 4, s.node_id[i]);
            ntop[l] = fmaxf(ntop[l], r[7]);
            nb_render_fade(white, pal, r[7], out);
            assert_true(out[0] + out[1] + out[2] >= pal_luma - 1e-5f);
        }
        for (int l = 0; l < 4; l++)
            nb_assert_near(ntop[l], 1.0f, 0.0f);
        free(rawk);
        free(q);
        nb_scene_deinit(&s);
    }
    nb_model_deinit(&m);
}

/* Samples the surface of the ellipsoid impostor of segment record r (as the geometry
 * shader builds it) and of node spheres, projects the points and grows box. */
static void grow_projected(const nb_camera *cam, float w, float h, const float p[3], float box[4]) {
    float sx, sy;
    assert_true(nb_camera_project(cam, w, h, p, &sx, &sy, NULL));
    box[0] = fminf(box[0], sx);
    box[1] = fminf(box[1], sy);
    box[2] = fmaxf(box[2], sx);
    box[3] = fmaxf(box[3], sy);
}

static void drawn_extent(const nb_scene *s, const nb_render_params *p, const nb_camera *cam,
                         float w, float h, float box[4]) {
    size_t nn = nb_scene_visible_nodes(s, p->node.importance_threshold);
    for (size_t i = 0; i < nn; i++) {
        const float *r = s->nodes + i * NB_SCENE_NODE_FLOATS;
        float rad = p->node.size * r[3];
        for (int k = 0; k < 400; k++) {
            float z = 1.0f - 2.0f * ((float)k + 0.5f) / 400.0f, rho = sqrtf(1.0f - z * z);
            float phi = 2.39996323f * (float)k;
            float q[3] = {r[0] + rad * rho * cosf(phi), r[1] + rad * rho * sinf(phi),
                          r[2] + rad * z};
            grow_projected(cam, w, h, q, box);
        }
    }
    size_t first = 0, ns = nb_scene_visible_segments(s, p->edge.importance_threshold, &first);
    for (size_t i = first; i < first + ns; i++) {
        const float *r = s->segments + i * NB_SCENE_SEGMENT_FLOATS;
        const float *a = r + NB_SCENE_SEG_A, *b = r + NB_SCENE_SEG_B;
        float rad = p->edge.size * a[3];
        float ax[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        float len = sqrtf(ax[0] * ax[0] + ax[1] * ax[1] + ax[2] * ax[2]);
        if (!(rad > 0.0f) || !(len > 0.0f))
            continue;
        float L = 0.5f * len * b[3] + rad, e1[3], e2[3], e3[3];
        for (int k = 0; k < 3; k++)
            e1[k] = ax[k] / len;
        /* any orthonormal pair perpendicular to the axis (an ellipsoid of revolution) */
        float t[3] = {fabsf(e1[1]) < 0.9f ? 0.0f : 1.0f, fabsf(e1[1]) < 0.9f ? 1.0f : 0.0f, 0.0f};
        float dt = t[0] * e1[0] + t[1] * e1[1] + t[2] * e1[2], n2 = 0.0f;
        for (int k = 0; k < 3; k++) {
            e2[k] = t[k] - dt * e1[k];
            n2 += e2[k] * e2[k];
        }
        for (int k = 0; k < 3; k++)
            e2[k] /= sqrtf(n2);
        e3[0] = e1[1] * e2[2] - e1[2] * e2[1];
        e3[1] = e1[2] * e2[0] - e1[0] * e2[2];
        e3[2] = e1[0] * e2[1] - e1[1] * e2[0];
        for (int k = 0; k < 200; k++) {
            float z = 1.0f - 2.0f * ((float)k + 0.5f) / 200.0f, rho = sqrtf(1.0f - z * z);
            float phi = 2.39996323f * (float)k;
            float q[3];
            for (int c = 0; c < 3; c++)
                q[c] = 0.5f * (a[c] + b[c]) + L * z * e1[c] +
                       rad * rho * (cosf(phi) * e2[c] + sinf(phi) * e3[c]);
            grow_projected(cam, w, h, q, box);
        }
    }
}

/* The default framing: the projected drawing (node spheres and edge ellipsoids, sampled on
 * their surfaces, independent of the fit's own bounds) lies inside the frame minus the
 * margin and fills it in one direction, for every pose, a wide and a tall frame, and a
 * sub-rectangle (a panel's free area). */
static void test_frame_drawn_geometry(void **state) {
    (void)state;
    nb_model m;
    assert_int_equal(test_make_model(&m, big_sizes, 4, 6, true, 35), NB_OK);
    nb_rendering_config cfg;
    nb_config_defaults(&nb_rendering_schema, &cfg);
    nb_scene_desc d = {0};
    nb_scene_desc_from_config(&cfg, &d);
    nb_scene s;
    assert_int_equal(nb_scene_build(&m, &d, "m", &s), NB_OK);
    nb_render_params p;
    nb_render_params_from_config(&cfg, &p);
    static const float frames[3][2] = {{1280, 720}, {540, 960}, {1280, 720}};
    static const float sub[4] = {400, 100, 1280, 700};
    for (int f = 0; f < 3; f++)
        for (int pose = 0; pose < 10; pose++) {
            float w = frames[f][0], h = frames[f][1];
            const float *rect = f == 2 ? sub : NULL;
            float x0 = rect ? rect[0] : 0, y0 = rect ? rect[1] : 0;
            float x1 = rect ? rect[2] : w, y1 = rect ? rect[3] : h;
            nb_camera cam;
            nb_camera_init(&cam, s.node_bbox_min, s.node_bbox_max, p.fov_degrees, pose);
            assert_true(nb_scene_frame(&s, &p, w, h, rect, &cam));
            float box[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
            drawn_extent(&s, &p, &cam, w, h, box);
            float mx = p.camera_margin * (x1 - x0), my = p.camera_margin * (y1 - y0), tol = 0.5f;
            if (!(box[0] >= x0 + mx - tol && box[2] <= x1 - mx + tol && box[1] >= y0 + my - tol &&
                  box[3] <= y1 - my + tol))
                fail_msg("pose %d frame %d: %g,%g..%g,%g outside the margin", pose, f,
                         (double)box[0], (double)box[1], (double)box[2], (double)box[3]);
            float t = 0.005f * (x1 - x0 > y1 - y0 ? x1 - x0 : y1 - y0);
            bool fills_x = box[0] <= x0 + mx + t && box[2] >= x1 - mx - t;
            bool fills_y = box[1] <= y0 + my + t && box[3] >= y1 - my - t;
            if (!(fills_x || fills_y))
                fail_msg("pose %d frame %d: %g,%g..%g,%g does not fill the frame", pose, f,
                         (double)box[0], (double)box[1], (double)box[2], (double)box[3]);
        }
    /* nothing drawn (thresholds above every key): no fit, camera unchanged */
    p.node.importance_threshold = 1.0f;
    p.edge.importance_threshold = 1.0f;
    nb_camera cam, before;
    nb_camera_init(&cam, s.node_bbox_min, s.node_bbox_max, p.fov_degrees, 8);
    before = cam;
    assert_false(nb_scene_frame(&s, &p, 640, 480, NULL, &cam));
    assert_memory_equal(&cam, &before, sizeof cam);
    nb_scene_deinit(&s);
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
        cmocka_unit_test(test_display_scale),
        cmocka_unit_test(test_display_scale_is_scale_free),
        cmocka_unit_test(test_class_contrast),
        cmocka_unit_test(test_class_view_colour_rule),
        cmocka_unit_test(test_frame_drawn_geometry),
        cmocka_unit_test(test_screenshot_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
