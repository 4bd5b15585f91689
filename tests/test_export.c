/* test_export.c - nnbundle-render --export: the binary glTF writer (golden JSON chunk,
 * accessors, class-view colours, layer filter), the export view, the format check, the
 * --export option and the refusal paths. The HTML page: test_export_html.c and
 * test_export_browser.sh. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "nb_config.h"
#include "nb_export.h"
#include "nb_export_gltf.h"
#include "nb_options.h"
#include "nb_palette.h"
#include "nb_render_params.h"
#include "nb_scene.h"
#include "nb_test.h"
#include "test_render_fixture.h"

static const size_t sizes[3] = {4, 3, 2};

/* A tiny model, its scene for view/class and the params of the test config. */
typedef struct fixture {
    nb_model m;
    nb_rendering_config cfg;
    nb_render_params p;
    nb_scene_desc d; /* what s was built with */
    nb_scene s;
} fixture;

static void fixture_build(fixture *f, int view, size_t class_index, const nb_scene_desc *extra) {
    memset(f, 0, sizeof *f);
    assert_int_equal(test_make_model(&f->m, sizes, 3, 5, true, 7), NB_OK);
    test_render_config(&f->cfg);
    f->cfg.class_view = view;
    f->cfg.class_index = (int)class_index;
    nb_render_params_from_config(&f->cfg, &f->p);
    nb_scene_desc d = {0};
    if (extra)
        d = *extra;
    nb_scene_desc_from_config(&f->cfg, &d);
    f->d = d;
    assert_int_equal(nb_scene_build(&f->m, &d, "tiny.nnb.h5", &f->s), NB_OK);
}

static void fixture_deinit(fixture *f) {
    nb_scene_deinit(&f->s);
    nb_model_deinit(&f->m);
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A parsed glb: the JSON document and the BIN chunk. */
typedef struct glb {
    uint8_t *bytes;
    size_t len;
    cJSON *json;
    char *json_text;
    const uint8_t *bin;
    size_t bin_len;
} glb;

static void glb_build(const fixture *f, glb *g, nb_export_gltf_stats *stats) {
    memset(g, 0, sizeof *g);
    const nb_export_desc d = {&f->m, &f->s, &f->p, &f->cfg, "/some/dir/tiny.nnb.h5", &f->d};
    assert_int_equal(nb_export_gltf_build(&d, &g->bytes, &g->len, stats), NB_OK);
    assert_true(g->len >= 28);
    assert_int_equal(get_u32(g->bytes), 0x46546C67u); /* "glTF" */
    assert_int_equal(get_u32(g->bytes + 4), 2);
    assert_int_equal(get_u32(g->bytes + 8), g->len);
    uint32_t jlen = get_u32(g->bytes + 12);
    assert_int_equal(jlen % 4, 0);
    assert_int_equal(get_u32(g->bytes + 16), 0x4E4F534Au); /* "JSON" */
    g->json_text = malloc(jlen + 1);
    memcpy(g->json_text, g->bytes + 20, jlen);
    g->json_text[jlen] = '\0';
    g->json = cJSON_Parse(g->json_text);
    assert_non_null(g->json);
    g->bin_len = get_u32(g->bytes + 20 + jlen);
    assert_int_equal(get_u32(g->bytes + 24 + jlen), 0x004E4942u); /* "BIN\0" */
    assert_int_equal(28 + jlen + g->bin_len, g->len);
    g->bin = g->bytes + 28 + jlen;
    cJSON *buf = cJSON_GetArrayItem(cJSON_GetObjectItem(g->json, "buffers"), 0);
    assert_int_equal((size_t)cJSON_GetNumberValue(cJSON_GetObjectItem(buf, "byteLength")),
                     g->bin_len);
}

static void glb_free(glb *g) {
    cJSON_Delete(g->json);
    free(g->json_text);
    free(g->bytes);
}

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(o, key);
    assert_true(cJSON_IsNumber(v));
    return cJSON_GetNumberValue(v);
}

/* The bytes of accessor a (tightly packed in its own bufferView, as the writer makes them). */
static const uint8_t *accessor_data(const glb *g, int a, size_t *count) {
    const cJSON *acc = cJSON_GetArrayItem(cJSON_GetObjectItem(g->json, "accessors"), a);
    const cJSON *view = cJSON_GetArrayItem(cJSON_GetObjectItem(g->json, "bufferViews"),
                                           (int)num(acc, "bufferView"));
    assert_non_null(view);
    size_t off = (size_t)num(view, "byteOffset"), len = (size_t)num(view, "byteLength");
    assert_int_equal(off % 4, 0);
    assert_true(off + len <= g->bin_len);
    *count = (size_t)num(acc, "count");
    return g->bin + off;
}

static const cJSON *node_named(const glb *g, const char *name) {
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(g->json, "nodes")) {
        const cJSON *nm = cJSON_GetObjectItem(n, "name");
        if (nm && strcmp(cJSON_GetStringValue(nm), name) == 0)
            return n;
    }
    return NULL;
}

static const cJSON *primitive_of(const glb *g, const cJSON *node) {
    const cJSON *mesh =
        cJSON_GetArrayItem(cJSON_GetObjectItem(g->json, "meshes"), (int)num(node, "mesh"));
    return cJSON_GetArrayItem(cJSON_GetObjectItem(mesh, "primitives"), 0);
}

static int attribute(const cJSON *prim, const char *name) {
    return (int)num(cJSON_GetObjectItem(prim, "attributes"), name);
}

/* Structural equality with numbers compared to a relative tolerance; prints the first
 * difference with its JSON path. */
static bool json_near(const cJSON *a, const cJSON *b, char *path, size_t cap) {
    size_t at = strlen(path);
    if ((a->type & 0xFF) != (b->type & 0xFF)) {
        fprintf(stderr, "golden: type differs at %s\n", path);
        return false;
    }
    if (cJSON_IsNumber(a)) {
        double x = a->valuedouble, y = b->valuedouble;
        if (fabs(x - y) > 1e-5 * fmax(fabs(x), fabs(y)) + 1e-6) {
            fprintf(stderr, "golden: %s is %.9g, expected %.9g\n", path, x, y);
            return false;
        }
        return true;
    }
    if (cJSON_IsString(a)) {
        if (strcmp(a->valuestring, b->valuestring) != 0) {
            fprintf(stderr, "golden: %s is \"%s\", expected \"%s\"\n", path, a->valuestring,
                    b->valuestring);
            return false;
        }
        return true;
    }
    if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) {
            fprintf(stderr, "golden: %s has %d entries, expected %d\n", path, cJSON_GetArraySize(a),
                    cJSON_GetArraySize(b));
            return false;
        }
        const cJSON *x = a->child, *y = b->child;
        for (int i = 0; x && y; i++, x = x->next, y = y->next) {
            if (cJSON_IsObject(a)) {
                if (strcmp(x->string, y->string) != 0) {
                    fprintf(stderr, "golden: key %s/%s, expected %s\n", path, x->string, y->string);
                    return false;
                }
                snprintf(path + at, cap - at, "/%s", x->string);
            } else {
                snprintf(path + at, cap - at, "/%d", i);
            }
            if (!json_near(x, y, path, cap))
                return false;
            path[at] = '\0';
        }
    }
    return true;
}

/* The JSON chunk of the tiny network's glb against tests/golden/export_tiny.json (structure,
 * counts, accessors, extras); NB_UPDATE_GOLDEN=1 rewrites the golden file. */
static void test_gltf_golden_json(void **state) {
    (void)state;
    fixture f;
    fixture_build(&f, NB_CLASS_VIEW_ALL, 0, NULL);
    glb g;
    nb_export_gltf_stats st;
    glb_build(&f, &g, &st);
    assert_int_equal(st.nodes, 9);
    assert_int_equal(st.edges, 4 * 3 + 3 * 2);
    assert_int_equal(st.segments, 18 * 4);
    assert_int_equal(st.vertices, 9 * NB_EXPORT_SPHERE_VERTICES + 2 * 18 * 4);
    assert_int_equal(st.bytes, g.len);
    char path[2048];
    nb_test_source_path(path, sizeof path, "tests/golden/export_tiny.json");
    if (getenv("NB_UPDATE_GOLDEN") && getenv("NB_UPDATE_GOLDEN")[0] == '1') {
        char *pretty = cJSON_Print(g.json);
        nb_test_write_text(path, pretty);
        cJSON_free(pretty);
        fprintf(stderr, "updated %s\n", path);
    } else {
        size_t len = 0;
        char *text = nb_test_read_file(path, &len);
        assert_non_null(text);
        cJSON *want = cJSON_Parse(text);
        assert_non_null(want);
        /* the generator names the version: compare the program only */
        cJSON *gen = cJSON_GetObjectItem(cJSON_GetObjectItem(g.json, "asset"), "generator");
        assert_true(strncmp(cJSON_GetStringValue(gen), "nnbundle-render ", 16) == 0);
        cJSON_ReplaceItemInObject(cJSON_GetObjectItem(want, "asset"), "generator",
                                  cJSON_CreateString(cJSON_GetStringValue(gen)));
        char where[512] = "";
        assert_true(json_near(g.json, want, where, sizeof where));
        cJSON_Delete(want);
        free(text);
    }
    /* what the golden file pins, spelled out */
    const cJSON *net = node_named(&g, "network");
    assert_non_null(net);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(net, "children")), 3 + 2);
    const cJSON *x = cJSON_GetObjectItem(net, "extras");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(x, "source")), "tiny.nnb.h5");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(x, "class_view")), "all");
    const cJSON *classes = cJSON_GetObjectItem(x, "classes");
    assert_int_equal(cJSON_GetArraySize(classes), 2);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(classes, 1)), "class 1");
    const cJSON *layers = cJSON_GetObjectItem(x, "layers");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(layers, 0)), "input");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(layers, 1)), "hidden 1");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(layers, 2)), "output");
    const cJSON *l1 = node_named(&g, "layer 1 hidden 1");
    assert_non_null(l1);
    assert_string_equal(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(l1, "extras"), "layer")),
        "hidden 1");
    const cJSON *prim = primitive_of(&g, l1);
    assert_int_equal((int)num(prim, "mode"), 4);
    size_t n;
    (void)accessor_data(&g, attribute(prim, "POSITION"), &n);
    assert_int_equal(n, 3 * NB_EXPORT_SPHERE_VERTICES);
    (void)accessor_data(&g, (int)num(prim, "indices"), &n);
    assert_int_equal(n, 3 * NB_EXPORT_SPHERE_TRIANGLES * 3);
    const cJSON *e0 = node_named(&g, "edges 0-1");
    assert_non_null(e0);
    prim = primitive_of(&g, e0);
    assert_int_equal((int)num(prim, "mode"), 1);
    (void)accessor_data(&g, attribute(prim, "POSITION"), &n);
    assert_int_equal(n, 2 * 12 * 4); /* 12 edges of 5 points: 4 segments each */
    glb_free(&g);
    fixture_deinit(&f);
}

static float lin(float c) {
    return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
}

/* Opaque passes: 1; transparent: B + (1 - B) ((1 - I) + I a0) (rho = 1, z_rel = 1). */
static double expected_alpha(const nb_object_uniforms *u, nb_pass_state pass, float a0) {
    if (pass.output == NB_OUTPUT_OPAQUE)
        return 1.0;
    double a = u->base_opacity + (1.0 - u->base_opacity) *
                                     ((1.0 - u->importance_opacity) + u->importance_opacity * a0);
    return fmin(fmax(a, 0.0), 1.0);
}

/* COLOR_0 of every node sphere and line segment against the class view's rule written out
 * here: rgb faded towards the background by a0 in "class" and "independent" (not in "all"),
 * linearised; alpha = B + (1 - B) ((1 - I) + I a0) of the transparent passes at rho = 1. And
 * _IMPORTANCE = the node's norm / the segment's iota; sphere centres = node positions. */
static void check_colors(int view, size_t class_index, bool transparent_nodes) {
    fixture f;
    fixture_build(&f, view, class_index, NULL);
    if (transparent_nodes) {
        f.cfg.node.mode = NB_NODE_SPHERE_TRANSPARENT;
        nb_render_params_from_config(&f.cfg, &f.p);
        assert_int_not_equal(f.p.node_pass.output, NB_OUTPUT_OPAQUE);
    }
    assert_int_not_equal(f.p.edge_pass.output, NB_OUTPUT_OPAQUE); /* the shipped default */
    glb g;
    glb_build(&f, &g, NULL);
    const float *bg = f.p.background;
    const bool fade = view != NB_CLASS_VIEW_ALL;
    size_t seen[3] = {0, 0, 0};
    for (size_t i = 0; i < f.s.n_nodes; i++) {
        const float *r = f.s.nodes + i * NB_SCENE_NODE_FLOATS;
        size_t l = nb_scene_layer_of(f.m.bundle.layer_offset, 3, f.s.node_id[i]);
        char name[64], lname[32];
        nb_export_layer_name(l, 3, lname, sizeof lname);
        snprintf(name, sizeof name, "layer %zu %s", l, lname);
        const cJSON *prim = primitive_of(&g, node_named(&g, name));
        size_t n;
        const uint8_t *col = accessor_data(&g, attribute(prim, "COLOR_0"), &n);
        const float *pos = (const float *)accessor_data(&g, attribute(prim, "POSITION"), &n);
        const float *imp = (const float *)accessor_data(&g, attribute(prim, "_IMPORTANCE"), &n);
        const size_t v0 = seen[l]++ * NB_EXPORT_SPHERE_VERTICES;
        float a0 = fminf(fmaxf(r[7], 0.0f), 1.0f);
        if (view == NB_CLASS_VIEW_ONE) {
            float pal[3];
            nb_palette_color(class_index, pal);
            for (int k = 0; k < 3; k++)
                nb_assert_near(r[4 + k], pal[k], 1e-6f);
        }
        for (int k = 0; k < 3; k++) {
            float rgb = fade ? bg[k] + (r[4 + k] - bg[k]) * a0 : r[4 + k];
            nb_assert_near(col[4 * v0 + (size_t)k] / 255.0, lin(rgb), 0.6 / 255.0);
        }
        nb_assert_near(col[4 * v0 + 3] / 255.0, expected_alpha(&f.p.node, f.p.node_pass, r[7]),
                       0.6 / 255.0);
        nb_assert_near(imp[v0], r[3], 1e-6);
        double centre[3] = {0, 0, 0};
        for (size_t k = 0; k < NB_EXPORT_SPHERE_VERTICES; k++) {
            for (int c = 0; c < 3; c++)
                centre[c] += pos[3 * (v0 + k) + (size_t)c] / NB_EXPORT_SPHERE_VERTICES;
            assert_int_equal(memcmp(col + 4 * (v0 + k), col + 4 * v0, 4), 0);
        }
        for (int c = 0; c < 3; c++)
            nb_assert_near(centre[c], r[c], 1e-5);
    }
    /* segments: the first visible segment of pair 0 is the scene's first pair-0 segment */
    const cJSON *prim = primitive_of(&g, node_named(&g, "edges 0-1"));
    size_t n;
    const uint8_t *col = accessor_data(&g, attribute(prim, "COLOR_0"), &n);
    const float *pos = (const float *)accessor_data(&g, attribute(prim, "POSITION"), &n);
    size_t j = 0;
    for (size_t i = 0; i < f.s.n_segments; i++) {
        const float *r = f.s.segments + i * NB_SCENE_SEGMENT_FLOATS;
        if (r[NB_SCENE_SEG_EXTRA + 2] != 0.0f)
            continue;
        float a0 = fminf(fmaxf(r[NB_SCENE_SEG_COLOR + 3], 0.0f), 1.0f);
        for (int k = 0; k < 3; k++) {
            float c = r[NB_SCENE_SEG_COLOR + k];
            float rgb = fade ? bg[k] + (c - bg[k]) * a0 : c;
            nb_assert_near(col[8 * j + (size_t)k] / 255.0, lin(rgb), 0.6 / 255.0);
            nb_assert_near(col[8 * j + 4 + (size_t)k] / 255.0, lin(rgb), 0.6 / 255.0);
            nb_assert_near(pos[6 * j + (size_t)k], r[NB_SCENE_SEG_A + k], 0.0);
            nb_assert_near(pos[6 * j + 3 + (size_t)k], r[NB_SCENE_SEG_B + k], 0.0);
        }
        nb_assert_near(col[8 * j + 3] / 255.0,
                       expected_alpha(&f.p.edge, f.p.edge_pass, r[NB_SCENE_SEG_COLOR + 3]),
                       0.6 / 255.0);
        j++;
    }
    assert_int_equal(2 * j, n);
    glb_free(&g);
    fixture_deinit(&f);
}

static void test_gltf_colors_all(void **state) {
    (void)state;
    check_colors(NB_CLASS_VIEW_ALL, 0, false);
    check_colors(NB_CLASS_VIEW_ALL, 0, true);
}

static void test_gltf_colors_independent(void **state) {
    (void)state;
    check_colors(NB_CLASS_VIEW_INDEPENDENT, 0, false);
}

static void test_gltf_colors_one_class(void **state) {
    (void)state;
    check_colors(NB_CLASS_VIEW_ONE, 1, true);
    check_colors(NB_CLASS_VIEW_ONE, 0, false);
}

/* --layers 1:1: only pair 1 and the nodes of layers 1 and 2. */
static void test_gltf_layer_filter(void **state) {
    (void)state;
    nb_scene_desc d = {0};
    d.filter_pairs = true;
    d.pair_first = d.pair_last = 1;
    fixture f;
    fixture_build(&f, NB_CLASS_VIEW_ALL, 0, &d);
    glb g;
    nb_export_gltf_stats st;
    glb_build(&f, &g, &st);
    assert_int_equal(st.nodes, 3 + 2);
    assert_int_equal(st.edges, 3 * 2);
    assert_null(node_named(&g, "edges 0-1"));
    assert_null(node_named(&g, "layer 0 input"));
    assert_non_null(node_named(&g, "edges 1-2"));
    assert_non_null(node_named(&g, "layer 2 output"));
    glb_free(&g);
    fixture_deinit(&f);
}

/* Thresholds: the visible prefix only; nothing visible is an error naming the input. */
static void test_gltf_thresholds(void **state) {
    (void)state;
    fixture f;
    fixture_build(&f, NB_CLASS_VIEW_ALL, 0, NULL);
    f.p.node.importance_threshold = 0.5f;
    nb_export_view v;
    nb_export_view_init(&v, &f.s, &f.p);
    assert_int_equal(v.n_nodes, nb_scene_visible_nodes(&f.s, 0.5f));
    assert_true(v.n_nodes < f.s.n_nodes);
    f.p.node_pass.pipeline = NB_PIPELINE_NONE; /* node_mode hidden */
    nb_export_view_init(&v, &f.s, &f.p);
    assert_int_equal(v.n_nodes, 0);
    assert_int_equal(v.n_segments, f.s.n_segments);
    f.p.edge.importance_threshold = 2.0f;
    uint8_t *bytes = (uint8_t *)"untouched";
    size_t len = 17;
    const nb_export_desc d = {&f.m, &f.s, &f.p, &f.cfg, "tiny.nnb.h5", &f.d};
    nb_status s = nb_export_gltf_build(&d, &bytes, &len, NULL);
    nb_expect_error(s, NB_E_INVALID, "tiny.nnb.h5", "nothing to export");
    assert_int_equal(len, 17);
    fixture_deinit(&f);
}

/* The file is written atomically; a directory that does not exist is an error naming it. */
static void test_gltf_save(void **state) {
    (void)state;
    fixture f;
    fixture_build(&f, NB_CLASS_VIEW_ALL, 0, NULL);
    const nb_export_desc d = {&f.m, &f.s, &f.p, &f.cfg, "tiny.nnb.h5", &f.d};
    const char *path = "test_export_tiny.glb";
    remove(path);
    nb_export_gltf_stats st;
    assert_int_equal(nb_export_gltf_save(&d, path, &st), NB_OK);
    size_t len = 0;
    char *bytes = nb_test_read_file(path, &len);
    assert_int_equal(len, st.bytes);
    assert_false(nb_test_tmp_left(path));
    free(bytes);
    remove(path);
    nb_status s = nb_export_gltf_save(&d, "no_such_dir/x.glb", NULL);
    nb_expect_error(s, NB_E_IO, "no_such_dir/x.glb", "cannot create");
    fixture_deinit(&f);
}

static void test_export_format(void **state) {
    (void)state;
    nb_export_format fmt = 0;
    assert_int_equal(nb_export_format_of("a/b.GLB", &fmt), NB_OK);
    assert_int_equal(fmt, NB_EXPORT_GLB);
    assert_int_equal(nb_export_format_of("page.Html", &fmt), NB_OK);
    assert_int_equal(fmt, NB_EXPORT_HTML);
    nb_expect_error(nb_export_format_of("out.png", &fmt), NB_E_INVALID, "out.png",
                    "unknown export format");
    nb_expect_error(nb_export_format_of("", &fmt), NB_E_INVALID, "--export", "no output");
}

static int parse(const char *line, nb_render_options *o, char *err, size_t n) {
    char buf[512], *argv[32];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *t = strtok(buf, " "); t && argc < 32; t = strtok(NULL, " "))
        argv[argc++] = t;
    return nb_options_parse(argc, argv, o, err, n);
}

static void test_export_option(void **state) {
    (void)state;
    nb_render_options o;
    char err[256];
    assert_int_equal(parse("r m.nnb.h5 --export out.glb --layers 1:2", &o, err, sizeof err),
                     NB_RENDER_EXIT_OK);
    assert_int_equal(o.mode, NB_RUN_EXPORT);
    assert_string_equal(o.export_path, "out.glb");
    assert_true(o.filter_layers);
    assert_int_equal(parse("r m.nnb.h5 --export=o.glb", &o, err, sizeof err), NB_RENDER_EXIT_OK);
    assert_string_equal(o.export_path, "o.glb");
    assert_int_equal(parse("r m.nnb.h5 --export o.glb --screenshot a.png", &o, err, sizeof err),
                     NB_RENDER_EXIT_USAGE);
    nb_expect_text(err, "exclude each other");
    assert_int_equal(parse("r m.nnb.h5 --export o.glb --transparent", &o, err, sizeof err),
                     NB_RENDER_EXIT_USAGE);
    nb_expect_text(err, "not to --export");
    assert_int_equal(parse("r a.nnb.h5 b.nnb.h5 --export o.glb", &o, err, sizeof err),
                     NB_RENDER_EXIT_USAGE);
    assert_int_equal(parse("r m.nnb.h5 --export", &o, err, sizeof err), NB_RENDER_EXIT_USAGE);
    nb_expect_text(err, "--export needs a value");
}

/* The node sphere: unit vertices, outward counter-clockwise triangles, every vertex used. */
static void test_sphere(void **state) {
    (void)state;
    float p[NB_EXPORT_SPHERE_VERTICES][3];
    uint16_t t[NB_EXPORT_SPHERE_TRIANGLES][3];
    nb_export_sphere(p, t);
    int used[NB_EXPORT_SPHERE_VERTICES] = {0};
    for (int i = 0; i < NB_EXPORT_SPHERE_VERTICES; i++)
        nb_assert_near(sqrt(p[i][0] * p[i][0] + p[i][1] * p[i][1] + p[i][2] * p[i][2]), 1.0, 1e-6);
    for (int f = 0; f < NB_EXPORT_SPHERE_TRIANGLES; f++) {
        const float *a = p[t[f][0]], *b = p[t[f][1]], *c = p[t[f][2]];
        float u[3], v[3], n[3];
        for (int k = 0; k < 3; k++) {
            u[k] = b[k] - a[k];
            v[k] = c[k] - a[k];
        }
        n[0] = u[1] * v[2] - u[2] * v[1];
        n[1] = u[2] * v[0] - u[0] * v[2];
        n[2] = u[0] * v[1] - u[1] * v[0];
        assert_true(n[0] * a[0] + n[1] * a[1] + n[2] * a[2] > 0.0f);
        for (int k = 0; k < 3; k++)
            used[t[f][k]]++;
    }
    for (int i = 0; i < NB_EXPORT_SPHERE_VERTICES; i++)
        assert_true(used[i] == 5 || used[i] == 6);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gltf_golden_json),
        cmocka_unit_test(test_gltf_colors_all),
        cmocka_unit_test(test_gltf_colors_independent),
        cmocka_unit_test(test_gltf_colors_one_class),
        cmocka_unit_test(test_gltf_layer_filter),
        cmocka_unit_test(test_gltf_thresholds),
        cmocka_unit_test(test_gltf_save),
        cmocka_unit_test(test_export_format),
        cmocka_unit_test(test_export_option),
        cmocka_unit_test(test_sphere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
