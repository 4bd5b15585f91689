/* test_export_html.c - nnbundle-render --export OUT.html without a browser: the page's
 * parts (scripts inlined, legend, menu, metadata), the data block decoded and checked
 * against the scenes of every class view, the poses, and the refusal paths (three.js
 * missing or not inlinable). three.js is replaced by small stand-in files, so this test does
 * not need libjs-three; test_export_browser.c loads a real page in Chromium. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "nb_camera.h"
#include "nb_config.h"
#include "nb_export.h"
#include "nb_export_html.h"
#include "nb_render_params.h"
#include "nb_scene.h"
#include "nb_test.h"
#include "test_render_fixture.h"

static const size_t sizes[3] = {4, 3, 2};
#define THREE_DIR "test_export_html_three"

typedef struct fixture {
    nb_model m;
    nb_rendering_config cfg;
    nb_render_params p;
    nb_scene_desc d;
    nb_scene s;
} fixture;

static void fixture_build(fixture *f, int view, size_t cls) {
    memset(f, 0, sizeof *f);
    assert_int_equal(test_make_model(&f->m, sizes, 3, 5, true, 7), NB_OK);
    assert_int_equal(nb_network_set_class_name(&f->m.network, 1, "Bag <&>"), NB_OK);
    test_render_config(&f->cfg);
    f->cfg.class_view = view;
    f->cfg.class_index = (int)cls;
    f->cfg.camera_pose = 8;
    nb_render_params_from_config(&f->cfg, &f->p);
    nb_scene_desc_from_config(&f->cfg, &f->d);
    assert_int_equal(nb_scene_build(&f->m, &f->d, "dir/tiny.nnb.h5", &f->s), NB_OK);
}

static void fixture_deinit(fixture *f) {
    nb_scene_deinit(&f->s);
    nb_model_deinit(&f->m);
}

static void stand_in_three(const char *three, const char *orbit) {
    mkdir(THREE_DIR, 0777);
    mkdir(THREE_DIR "/examples", 0777);
    mkdir(THREE_DIR "/examples/js", 0777);
    mkdir(THREE_DIR "/examples/js/controls", 0777);
    nb_test_write_text(THREE_DIR "/three.min.js", three);
    nb_test_write_text(THREE_DIR "/examples/js/controls/OrbitControls.js", orbit);
    setenv("NNBUNDLE_THREE_DIR", THREE_DIR, 1);
}

/* The text between `open` and the next "</script>" (malloc'd). */
static char *element_text(const char *html, const char *open) {
    const char *a = strstr(html, open);
    assert_non_null(a);
    a += strlen(open);
    const char *b = strstr(a, "</script>");
    assert_non_null(b);
    char *s = malloc((size_t)(b - a) + 1);
    memcpy(s, a, (size_t)(b - a));
    s[b - a] = '\0';
    return s;
}

static int b64(char c) {
    const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(a, c);
    return c && p ? (int)(p - a) : -1;
}

static uint8_t *decode_base64(const char *s, size_t *len) {
    size_t n = strlen(s);
    assert_int_equal(n % 4, 0);
    uint8_t *out = malloc(n / 4 * 3 + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++)
            v[j] = s[i + (size_t)j] == '=' ? 0 : b64(s[i + (size_t)j]);
        for (int j = 0; j < 4; j++)
            assert_true(v[j] >= 0);
        uint32_t x =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[k++] = (uint8_t)(x >> 16);
        if (s[i + 2] != '=')
            out[k++] = (uint8_t)(x >> 8);
        if (s[i + 3] != '=')
            out[k++] = (uint8_t)x;
    }
    *len = k;
    return out;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(o, key);
    assert_true(cJSON_IsNumber(v));
    return cJSON_GetNumberValue(v);
}

/* The whole page of the tiny network: scripts, legend, menu, metadata and data block. */
static void test_page(void **state) {
    (void)state;
    stand_in_three("var THREE = {stand_in: 1};", "THREE.OrbitControls = function () {};");
    fixture f;
    fixture_build(&f, NB_CLASS_VIEW_ONE, 1);
    const nb_export_desc d = {&f.m, &f.s, &f.p, &f.cfg, "dir/tiny.nnb.h5", &f.d};
    char *html = NULL;
    size_t len = 0;
    nb_export_html_stats st;
    assert_int_equal(nb_export_html_build(&d, &html, &len, &st), NB_OK);
    assert_int_equal(strlen(html), len);
    assert_int_equal(st.bytes, len);
    assert_int_equal(st.nodes, 9);
    assert_int_equal(st.segments, 72);
    assert_int_equal(st.edges, 18);
    assert_int_equal(st.views, 4);
    /* every marker replaced; scripts inlined; names escaped; nothing fetched */
    assert_null(strstr(html, "<!--NB:"));
    nb_expect_text(html, "<script>var THREE = {stand_in: 1};</script>");
    nb_expect_text(html, "<script>THREE.OrbitControls = function () {};</script>");
    nb_expect_text(html, "<title>tiny.nnb.h5 - nnbundle</title>");
    nb_expect_text(html,
                   "<li data-cls=\"0\"><span class=\"sw\" style=\"background:rgb(34,139,34)\">"
                   "</span>class 0</li>");
    nb_expect_text(html, "</span>Bag &lt;&amp;&gt;</li>");
    nb_expect_text(html, "<option value=\"3\">class 1: Bag &lt;&amp;&gt;</option>");
    nb_expect_text(html, "<button data-pose=\"9\">9</button>");
    assert_null(strstr(html, "src=\""));
    assert_null(strstr(html, "<link"));
    /* metadata */
    char *meta_text = element_text(html, "<script type=\"application/json\" id=\"nb-meta\">");
    cJSON *meta = cJSON_Parse(meta_text);
    assert_non_null(meta);
    assert_int_equal((int)num(meta, "nodes"), 9);
    assert_int_equal((int)num(meta, "segments"), 72);
    assert_int_equal((int)num(meta, "view"), 3); /* class 1 */
    assert_int_equal((int)num(meta, "pose"), 8);
    assert_string_equal(
        cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(meta, "classes"), 1)),
        "Bag <&>");
    const cJSON *poses = cJSON_GetObjectItem(meta, "poses");
    assert_int_equal(cJSON_GetArraySize(poses), NB_CAMERA_POSES);
    /* pose 8 looks from -x (the reference's BACK offset (-4, 0, 0)) */
    const cJSON *p8 = cJSON_GetArrayItem(poses, 8);
    const cJSON *eye = cJSON_GetObjectItem(p8, "eye"), *tgt = cJSON_GetObjectItem(p8, "target");
    double dx = cJSON_GetArrayItem(eye, 0)->valuedouble - cJSON_GetArrayItem(tgt, 0)->valuedouble;
    double dy = cJSON_GetArrayItem(eye, 1)->valuedouble - cJSON_GetArrayItem(tgt, 1)->valuedouble;
    double dz = cJSON_GetArrayItem(eye, 2)->valuedouble - cJSON_GetArrayItem(tgt, 2)->valuedouble;
    assert_true(dx < 0.0 && fabs(dy) < 1e-3 * fabs(dx) && fabs(dz) < 1e-3 * fabs(dx));
    /* data block: sizes, node geometry, quantised segments, colours of every view */
    char *data_text = element_text(html, "<script type=\"text/plain\" id=\"nb-data\">");
    size_t n_data = 0;
    uint8_t *data = decode_base64(data_text, &n_data);
    assert_int_equal(n_data, st.data_bytes);
    const cJSON *off = cJSON_GetObjectItem(meta, "offsets");
    const float *pos = (const float *)(data + (size_t)num(off, "node_pos"));
    const float *rad = (const float *)(data + (size_t)num(off, "node_radius"));
    const uint16_t *seg = (const uint16_t *)(data + (size_t)num(off, "seg_pos"));
    for (size_t i = 0; i < 9; i++) {
        for (int k = 0; k < 3; k++)
            nb_assert_near(pos[3 * i + (size_t)k], f.s.nodes[i * NB_SCENE_NODE_FLOATS + (size_t)k],
                           0.0);
        nb_assert_near(rad[i], f.p.node.size * f.s.nodes[i * NB_SCENE_NODE_FLOATS + 3], 1e-7);
    }
    const cJSON *box = cJSON_GetObjectItem(meta, "box");
    for (size_t i = 0; i < 72; i++)
        for (int e = 0; e < 2; e++)
            for (int k = 0; k < 3; k++) {
                double lo = cJSON_GetArrayItem(cJSON_GetObjectItem(box, "min"), k)->valuedouble;
                double hi = cJSON_GetArrayItem(cJSON_GetObjectItem(box, "max"), k)->valuedouble;
                double x = lo + (hi - lo) * seg[6 * i + 3 * (size_t)e + (size_t)k] / 65535.0;
                double want = f.s.segments[i * NB_SCENE_SEGMENT_FLOATS +
                                           (e ? NB_SCENE_SEG_B : NB_SCENE_SEG_A) + (size_t)k];
                nb_assert_near(x, want, (hi - lo) / 131070.0 + 1e-7);
            }
    const cJSON *views = cJSON_GetObjectItem(meta, "views");
    assert_int_equal(cJSON_GetArraySize(views), 4);
    for (int k = 0; k < 4; k++) {
        const cJSON *v = cJSON_GetArrayItem(views, k);
        nb_scene_desc vd = f.d;
        vd.class_view = k == 0   ? NB_CLASS_VIEW_ALL
                        : k == 1 ? NB_CLASS_VIEW_INDEPENDENT
                                 : NB_CLASS_VIEW_ONE;
        vd.class_index = k >= 2 ? (size_t)k - 2 : 0;
        assert_int_equal((int)num(v, "class"), k >= 2 ? k - 2 : -1);
        nb_scene vs;
        assert_int_equal(nb_scene_build(&f.m, &vd, "x", &vs), NB_OK);
        nb_rendering_config vc = f.cfg;
        vc.class_view = vd.class_view;
        vc.class_index = (int)vd.class_index;
        nb_render_params vp;
        nb_render_params_from_config(&vc, &vp);
        nb_export_view ev;
        nb_export_view_init(&ev, &vs, &vp);
        uint8_t node_rgba[9 * 4], seg_rgba[72 * 4];
        nb_export_colors(&ev, &vp, false, node_rgba, seg_rgba);
        /* "all" shows the scene's colours as they are, the other views fade them */
        const uint8_t *got = data + (size_t)num(v, "node_rgba");
        for (size_t i = 0; i < 9; i++) {
            const float *r = vs.nodes + i * NB_SCENE_NODE_FLOATS + NB_SCENE_NODE_COLOR;
            float a0 = fminf(fmaxf(r[3], 0.0f), 1.0f);
            for (int c = 0; c < 3; c++) {
                float bgc = vp.background[c];
                float want = k == 0 ? r[c] : bgc + (r[c] - bgc) * a0;
                nb_assert_near(got[4 * i + (size_t)c] / 255.0, want, 0.6 / 255.0);
            }
        }
        assert_memory_equal(data + (size_t)num(v, "node_rgba"), node_rgba, sizeof node_rgba);
        assert_memory_equal(data + (size_t)num(v, "seg_rgba"), seg_rgba, sizeof seg_rgba);
        nb_scene_deinit(&vs);
    }
    /* class views differ: class 0 and class 1 colour the output nodes differently */
    assert_true(memcmp(data + (size_t)num(cJSON_GetArrayItem(views, 2), "node_rgba"),
                       data + (size_t)num(cJSON_GetArrayItem(views, 3), "node_rgba"), 36) != 0);
    free(data);
    free(data_text);
    cJSON_Delete(meta);
    free(meta_text);
    /* written atomically */
    const char *path = "test_export_page.html";
    remove(path);
    assert_int_equal(nb_export_html_save(&d, path, NULL), NB_OK);
    size_t flen = 0;
    char *file = nb_test_read_file(path, &flen);
    assert_int_equal(flen, len);
    assert_false(nb_test_tmp_left(path));
    free(file);
    remove(path);
    free(html);
    fixture_deinit(&f);
}

/* three.js missing: NB_E_MISSING naming the file and saying what to install; a script that
 * would close the element early: NB_E_FORMAT; nothing drawn: NB_E_INVALID naming the input;
 * an unwritable target: NB_E_IO naming it. Outputs untouched. */
static void test_refusals(void **state) {
    (void)state;
    fixture f;
    fixture_build(&f, NB_CLASS_VIEW_ALL, 0);
    const nb_export_desc d = {&f.m, &f.s, &f.p, &f.cfg, "dir/tiny.nnb.h5", &f.d};
    char *html = (char *)"untouched";
    size_t len = 3;
    setenv("NNBUNDLE_THREE_DIR", "no_such_three_dir", 1);
    nb_expect_error(nb_export_html_build(&d, &html, &len, NULL), NB_E_MISSING,
                    "no_such_three_dir/three.min.js", "libjs-three");
    assert_int_equal(len, 3);
    stand_in_three("var THREE = {};", "x = '</script>';");
    nb_expect_error(nb_export_html_build(&d, &html, &len, NULL), NB_E_FORMAT,
                    THREE_DIR "/examples/js/controls/OrbitControls.js", "</script");
    stand_in_three("var THREE = {};", "");
    nb_expect_error(nb_export_html_save(&d, "no_such_dir/p.html", NULL), NB_E_IO,
                    "no_such_dir/p.html", "cannot create");
    f.p.node.importance_threshold = f.p.edge.importance_threshold = 2.0f;
    nb_expect_error(nb_export_html_build(&d, &html, &len, NULL), NB_E_INVALID, "dir/tiny.nnb.h5",
                    "nothing to export");
    assert_int_equal(len, 3);
    unsetenv("NNBUNDLE_THREE_DIR");
    assert_string_equal(nb_export_html_three_dir(), NB_THREE_DIR);
    fixture_deinit(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
