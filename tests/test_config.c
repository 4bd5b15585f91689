/* test_config.c - the config engine, both key tables, the shipped configs and their docs.
 *
 * Run with "--print-markdown" to print the generated key tables of configs/README.md, or with
 * "--update-readme PATH" to rewrite them in place (test_readme_tables_match checks that the
 * README carries exactly these tables).
 */
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "nb_config.h"
#include "nb_test.h"

/* ---- helpers -------------------------------------------------------------------------- */

static nb_processing_config proc_defaults(void) {
    nb_processing_config c;
    nb_config_defaults(&nb_processing_schema, &c);
    return c;
}

static nb_rendering_config rend_defaults(void) {
    nb_rendering_config c;
    nb_config_defaults(&nb_rendering_schema, &c);
    return c;
}

/* ---- tables --------------------------------------------------------------------------- */

static size_t field_size(const nb_config_key *k) {
    switch (k->type) {
    case NB_CONFIG_DOUBLE:
        return sizeof(double);
    case NB_CONFIG_INT:
    case NB_CONFIG_ENUM:
        return sizeof(int);
    case NB_CONFIG_BOOL:
        return sizeof(bool);
    case NB_CONFIG_STRING:
        return k->string_size;
    case NB_CONFIG_COLOR:
        return 3 * sizeof(double);
    }
    return 0;
}

static void check_schema(const nb_config_schema *s, size_t expected_keys) {
    assert_int_equal(s->n_keys, expected_keys);
    void *cfg = malloc(s->struct_size);
    nb_config_defaults(s, cfg);
    assert_int_equal(nb_config_validate(s, cfg), NB_OK);
    for (size_t i = 0; i < s->n_keys; i++) {
        const nb_config_key *k = &s->keys[i];
        assert_non_null(k->name);
        assert_non_null(k->doc);
        assert_true(strlen(k->doc) > 10);
        assert_non_null(k->unit);
        assert_non_null(k->source);
        assert_true(k->offset + field_size(k) <= s->struct_size);
        assert_ptr_equal(nb_config_find(s, k->name), k);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(k->name, s->keys[j].name);
            /* no two keys share storage */
            const nb_config_key *o = &s->keys[j];
            assert_true(k->offset >= o->offset + field_size(o) ||
                        o->offset >= k->offset + field_size(k));
        }
        if (k->type == NB_CONFIG_ENUM)
            assert_non_null(k->enum_names);
        if (k->type == NB_CONFIG_STRING)
            assert_true(k->string_size > 1);
    }
    assert_null(nb_config_find(s, "no_such_key"));
    free(cfg);
}

static void test_schema_tables(void **state) {
    (void)state;
    check_schema(&nb_processing_schema, 35);
    check_schema(&nb_rendering_schema, 28);
    assert_string_equal(nb_processing_schema.name, "processing");
    assert_string_equal(nb_rendering_schema.name, "rendering");
}

static void test_defaults(void **state) {
    (void)state;
    nb_processing_config p = proc_defaults();
    assert_float_equal(p.layer_distance, 0.5, 0);
    assert_float_equal(p.layer_width, 1.0, 0);
    assert_float_equal(p.prune_percentage, 0.0, 0);
    assert_float_equal(p.sampling_rate, 15, 0);
    assert_float_equal(p.node_bandwidth, 0.75, 0);
    assert_float_equal(p.edge_bandwidth, 0.5, 0);
    assert_float_equal(p.node_bandwidth_reduction, 0.95, 0);
    assert_float_equal(p.edge_bandwidth_reduction, 0.9, 0);
    assert_float_equal(p.node_step, 0.2, 0);
    assert_float_equal(p.density_strength, 10000, 0);
    assert_int_equal(p.edge_importance_type, 0);
    assert_true(p.smoothing);
    assert_int_equal(p.smoothing_iterations, 8);
    assert_float_equal(p.smoothing_percent, 8, 0);
    assert_float_equal(p.fast_kernel_scale, 0.7, 0);
    assert_int_equal(p.density, NB_DENSITY_FAST);
    assert_true(p.node_advection);
    assert_true(p.edge_advection);
    assert_int_equal(p.importance_method, NB_IMPORTANCE_ACTIVATION);
    assert_string_equal(p.importance_flags, "gamma,l1");
    assert_int_equal(p.importance_epochs, 20);
    assert_float_equal(p.importance_learning_rate, 0.001, 0);
    assert_int_equal(p.importance_batch_size, 128);
    assert_float_equal(p.importance_l1, 0.01, 0);
    assert_float_equal(p.importance_l2, 0.01, 0);
    assert_int_equal(p.importance_top_k, 9);
    assert_int_equal(p.seed, 1);

    nb_rendering_config r = rend_defaults();
    assert_float_equal(r.edge.size, 0.02, 0);
    assert_float_equal(r.node.size, 0.06, 0);
    assert_float_equal(r.edge.base_opacity, 0.0, 0);
    assert_float_equal(r.edge.importance_opacity, 1.1, 0);
    assert_float_equal(r.node.importance_opacity, 1.0, 0);
    assert_float_equal(r.edge.depth_opacity, 0.5, 0);
    assert_float_equal(r.node.depth_opacity, 0.5, 0);
    assert_float_equal(r.edge.depth_exponent, 0.25, 0);
    assert_float_equal(r.node.depth_exponent, 0.5, 0);
    assert_float_equal(r.edge.importance_threshold, 0.3, 0);
    assert_float_equal(r.node.importance_threshold, 0.05, 0);
    assert_int_equal(r.edge.mode, NB_EDGE_ELLIPSOID_TRANSPARENT);
    assert_int_equal(r.node.mode, NB_NODE_SPHERE);
    assert_int_equal(r.transparency, NB_TRANSPARENCY_WBOIT);
    assert_int_equal(r.shading, NB_SHADING_SOFT);
    assert_int_equal(r.importance_normalization, NB_NORMALIZE_LAYER);
    assert_int_equal(r.class_view, NB_CLASS_VIEW_ALL);
    assert_int_equal(r.class_index, 0);
    assert_float_equal(r.class_contrast, 2.0, 0);
    for (int i = 0; i < 3; i++)
        assert_float_equal(r.background[i], 1.0, 0);
    assert_int_equal(r.camera_pose, 8);
    assert_float_equal(r.fov_degrees, 30, 0);
    assert_true(r.camera_fit);
    assert_float_equal(r.camera_margin, 0.03, 0);
    assert_false(r.auto_orbit);
    assert_float_equal(r.orbit_speed_degrees, 0.5, 0);
    assert_true(r.show_legend);
    /* per-object keys are flat in JSON */
    assert_non_null(nb_config_find(&nb_rendering_schema, "edge_depth_exponent"));
    assert_non_null(nb_config_find(&nb_rendering_schema, "node_mode"));
}

/* ---- the shipped configs -------------------------------------------------------------- */

static void check_shipped(const nb_config_schema *s, const char *rel) {
    char path[1024];
    nb_test_source_path(path, sizeof path, rel);
    char *text = nb_test_read_file(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    for (size_t i = 0; i < s->n_keys; i++)
        if (!cJSON_GetObjectItemCaseSensitive(root, s->keys[i].name))
            fail_msg("%s lacks key %s", rel, s->keys[i].name);
    assert_int_equal((size_t)cJSON_GetArraySize(root), s->n_keys);
    cJSON_Delete(root);
    free(text);

    /* Loaded over a struct of all-zero bytes, the file must give exactly the defaults. */
    void *loaded = calloc(1, s->struct_size);
    void *def = malloc(s->struct_size);
    nb_config_defaults(s, def);
    nb_status st = nb_config_load(s, path, loaded);
    if (st != NB_OK)
        fail_msg("%s", nb_error_message());
    char *a = NULL, *b = NULL;
    assert_int_equal(nb_config_to_json(s, loaded, &a), NB_OK);
    assert_int_equal(nb_config_to_json(s, def, &b), NB_OK);
    assert_string_equal(a, b);
    assert_memory_equal(loaded, def, s->struct_size);
    free(a);
    free(b);
    free(loaded);
    free(def);
}

static void test_shipped_configs(void **state) {
    (void)state;
    check_shipped(&nb_processing_schema, "configs/processing.json");
    check_shipped(&nb_rendering_schema, "configs/rendering.json");
}

/* ---- parsing errors ------------------------------------------------------------------- */

/* Parses text into a copy of the defaults and checks the failure and that nothing changed. */
static void expect_parse_error(const char *text, const char *subject, const char *frag) {
    nb_processing_config c = proc_defaults();
    nb_processing_config before = c;
    nb_error_clear();
    nb_status s = nb_config_parse(&nb_processing_schema, text, "p.json", &c);
    nb_expect_error(s, NB_E_CONFIG, subject, frag);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_parse_ok(void **state) {
    (void)state;
    nb_processing_config c = proc_defaults();
    const char *text = "{\"layer_width\": 2.5, \"seed\": 7, \"smoothing\": false,"
                       " \"density\": \"exact\", \"importance_flags\": \"l2,centering\","
                       " \"prune_percentage\": 0.9}";
    assert_int_equal(nb_config_parse(&nb_processing_schema, text, "p.json", &c), NB_OK);
    assert_float_equal(c.layer_width, 2.5, 0);
    assert_int_equal(c.seed, 7);
    assert_false(c.smoothing);
    assert_int_equal(c.density, NB_DENSITY_EXACT);
    assert_string_equal(c.importance_flags, "l2,centering");
    assert_float_equal(c.prune_percentage, 0.9, 0);
    /* keys not in the text keep their value */
    assert_float_equal(c.layer_distance, 0.5, 0);
    assert_int_equal(nb_config_parse(&nb_processing_schema, "{}", "p.json", &c), NB_OK);

    nb_rendering_config r = rend_defaults();
    text = "{\"edge_mode\": \"line\", \"node_size\": 0.1, \"background\": [0, 0.5, 1],"
           " \"class_view\": \"class\", \"class_index\": 3}";
    assert_int_equal(nb_config_parse(&nb_rendering_schema, text, "r.json", &r), NB_OK);
    assert_int_equal(r.edge.mode, NB_EDGE_LINE);
    assert_float_equal(r.node.size, 0.1, 0);
    assert_float_equal(r.background[1], 0.5, 0);
    assert_int_equal(r.class_view, NB_CLASS_VIEW_ONE);
    assert_int_equal(r.class_index, 3);
}

static void test_parse_errors(void **state) {
    (void)state;
    expect_parse_error("{\"layer_widht\": 1}", "p.json layer_widht",
                       "unknown processing key (did you mean \"layer_width\"?)");
    expect_parse_error("{\"zzz\": 1}", "p.json zzz", "unknown processing key");
    /* earlier valid keys must not leak into the struct */
    expect_parse_error("{\"layer_width\": 3, \"bogus_key\": 1}", "p.json bogus_key", "unknown");
    expect_parse_error("{\"sampling_rate\": \"15\"}", "p.json sampling_rate",
                       "expected a number, got a string");
    expect_parse_error("{\"sampling_rate\": 1e999}", "p.json sampling_rate", "not a finite number");
    expect_parse_error("{\"sampling_rate\": null}", "p.json sampling_rate", "got null");
    expect_parse_error("{\"layer_distance\": 0}", "p.json layer_distance",
                       "0 is out of range (0, 100]");
    expect_parse_error("{\"layer_distance\": 100.5}", "p.json layer_distance", "out of range");
    expect_parse_error("{\"prune_percentage\": 1}", "p.json prune_percentage",
                       "1 is out of range [0, 1)");
    expect_parse_error("{\"prune_percentage\": -0.1}", "p.json prune_percentage", "out of range");
    expect_parse_error("{\"node_bandwidth_reduction\": 1}", "p.json node_bandwidth_reduction",
                       "(0, 1)");
    expect_parse_error("{\"smoothing_iterations\": 2.5}", "p.json smoothing_iterations",
                       "2.5 is not an integer");
    expect_parse_error("{\"smoothing_iterations\": 101}", "p.json smoothing_iterations",
                       "101 is out of range [0, 100]");
    expect_parse_error("{\"seed\": -1}", "p.json seed", "out of range");
    expect_parse_error("{\"seed\": 3e9}", "p.json seed", "out of range");
    expect_parse_error("{\"smoothing\": 1}", "p.json smoothing",
                       "expected true or false, got a number");
    expect_parse_error("{\"density\": \"slow\"}", "p.json density",
                       "unknown value \"slow\" (allowed: fast, exact)");
    expect_parse_error("{\"density\": 1}", "p.json density", "expected one of fast, exact");
    expect_parse_error("{\"importance_flags\": \"gamma,beta\"}", "p.json importance_flags",
                       "unknown flag \"beta\"");
    expect_parse_error("{\"importance_flags\": \"gamma,gamma,gamma,gamma,gamma,gamma,gamma,"
                       "gamma,gamma,gamma,gamma\"}",
                       "p.json importance_flags", "at most 63");
    expect_parse_error("{\"importance_flags\": 4}", "p.json importance_flags", "expected a string");
    expect_parse_error("{\"seed\": 1, \"seed\": 2}", "p.json seed", "more than once");
    expect_parse_error("{\"seed\": 1,\n \"layer_width\" 2}", "p.json",
                       "JSON syntax error at line 2");
    expect_parse_error("[1, 2]", "p.json", "expected a JSON object");
    expect_parse_error("", "p.json", "JSON syntax error");
    expect_parse_error("{} trailing", "p.json", "JSON syntax error");

    nb_rendering_config r = rend_defaults(), before = r;
    nb_status s =
        nb_config_parse(&nb_rendering_schema, "{\"background\": [0, 2, 0]}", "r.json", &r);
    nb_expect_error(s, NB_E_CONFIG, "r.json background", "2 is out of range [0, 1]");
    s = nb_config_parse(&nb_rendering_schema, "{\"background\": [0, 0]}", "r.json", &r);
    nb_expect_error(s, NB_E_CONFIG, "r.json background", "array of 3 numbers");
    s = nb_config_parse(&nb_rendering_schema, "{\"background\": [0, \"x\", 0]}", "r.json", &r);
    nb_expect_error(s, NB_E_CONFIG, "r.json background", "component 1");
    s = nb_config_parse(&nb_rendering_schema, "{\"edge_mode\": \"tube\"}", "r.json", &r);
    nb_expect_error(s, NB_E_CONFIG, "r.json edge_mode",
                    "(allowed: ellipsoid_transparent, sphere, sphere_transparent, line, none)");
    s = nb_config_parse(&nb_rendering_schema, "{\"fov_degrees\": 170}", "r.json", &r);
    nb_expect_error(s, NB_E_CONFIG, "r.json fov_degrees", "(1, 170)");
    s = nb_config_parse(&nb_rendering_schema, "{\"edge\": {\"size\": 1}}", "r.json", &r);
    nb_expect_error(s, NB_E_CONFIG, "r.json edge", "unknown rendering key");
    assert_memory_equal(&r, &before, sizeof r);

    /* NULL source: the schema's name is the subject */
    s = nb_config_parse(&nb_rendering_schema, "{\"edge_size\": 0}", NULL, &r);
    nb_expect_error(s, NB_E_CONFIG, "rendering edge_size", "out of range");
    s = nb_config_parse(&nb_rendering_schema, NULL, "r.json", &r);
    nb_expect_error(s, NB_E_INVALID, "r.json", NULL);
}

/* ---- files ---------------------------------------------------------------------------- */

static void test_load_errors(void **state) {
    (void)state;
    nb_processing_config c = proc_defaults(), before = c;
    nb_status s = nb_config_load(&nb_processing_schema, "no_such_dir/p.json", &c);
    nb_expect_error(s, NB_E_IO, "no_such_dir/p.json", "cannot open");

    nb_test_write_file("cfg_nul.json", "{\"seed\": 2}\0{}", 14);
    s = nb_config_load(&nb_processing_schema, "cfg_nul.json", &c);
    nb_expect_error(s, NB_E_CONFIG, "cfg_nul.json", "NUL byte");

    const char *bad = "{\n  \"seed\": 2,\n  \"sampling_rate\": -3\n}\n";
    nb_test_write_file("cfg_bad.json", bad, strlen(bad));
    s = nb_config_load(&nb_processing_schema, "cfg_bad.json", &c);
    nb_expect_error(s, NB_E_CONFIG, "cfg_bad.json sampling_rate", "-3 is out of range (0, 200]");
    assert_memory_equal(&c, &before, sizeof c);

    const char *good = "{\"seed\": 2}";
    nb_test_write_file("cfg_good.json", good, strlen(good));
    assert_int_equal(nb_config_load(&nb_processing_schema, "cfg_good.json", &c), NB_OK);
    assert_int_equal(c.seed, 2);
    unlink("cfg_nul.json");
    unlink("cfg_bad.json");
    unlink("cfg_good.json");
}

static void test_save_round_trip(void **state) {
    (void)state;
    nb_processing_config c = proc_defaults();
    c.layer_width = 0.1 + 0.2; /* needs 17 digits */
    c.density_strength = 123456.789;
    c.seed = 2147483647;
    c.smoothing = false;
    c.density = NB_DENSITY_EXACT;
    snprintf(c.importance_flags, sizeof c.importance_flags, "centering");
    unlink("cfg_save.json");
    assert_int_equal(nb_config_save(&nb_processing_schema, &c, "cfg_save.json"), NB_OK);
    assert_false(nb_test_tmp_left("cfg_save.json"));
    nb_processing_config d;
    memset(&d, 0, sizeof d);
    assert_int_equal(nb_config_load(&nb_processing_schema, "cfg_save.json", &d), NB_OK);
    assert_true(d.layer_width == 0.1 + 0.2);
    assert_true(d.density_strength == 123456.789);
    assert_memory_equal(&c, &d, sizeof c);

    char *json = NULL;
    nb_rendering_config r = rend_defaults();
    r.background[0] = 0.25;
    r.node.mode = NB_NODE_HIDDEN;
    assert_int_equal(nb_config_to_json(&nb_rendering_schema, &r, &json), NB_OK);
    assert_non_null(strstr(json, "  \"node_mode\": \"none\",\n"));
    assert_non_null(strstr(json, "  \"background\": [0.25, 1, 1],\n"));
    nb_rendering_config r2 = rend_defaults();
    assert_int_equal(nb_config_parse(&nb_rendering_schema, json, "mem", &r2), NB_OK);
    assert_memory_equal(&r, &r2, sizeof r);
    free(json);
    unlink("cfg_save.json");
}

static void test_save_errors(void **state) {
    (void)state;
    nb_processing_config c = proc_defaults();
    nb_status s = nb_config_save(&nb_processing_schema, &c, "no_such_dir/out.json");
    nb_expect_error(s, NB_E_IO, "no_such_dir/out.json", "cannot create");

    /* an existing file survives a failed save untouched */
    const char *old = "{\"seed\": 5}";
    nb_test_write_file("cfg_keep.json", old, strlen(old));
    c.layer_width = -1;
    s = nb_config_save(&nb_processing_schema, &c, "cfg_keep.json");
    nb_expect_error(s, NB_E_CONFIG, "processing layer_width", "out of range");
    char *t = nb_test_read_file("cfg_keep.json", NULL);
    assert_string_equal(t, old);
    free(t);
    assert_false(nb_test_tmp_left("cfg_keep.json"));

    /* a directory under the name is refused before anything is written */
    mkdir("cfg_dir.json", 0755);
    c = proc_defaults();
    s = nb_config_save(&nb_processing_schema, &c, "cfg_dir.json");
    nb_expect_error(s, NB_E_IO, "cfg_dir.json", "is a directory");
    assert_false(nb_test_tmp_left("cfg_dir.json"));
    rmdir("cfg_dir.json");
    unlink("cfg_keep.json");
}

/* ---- --set ---------------------------------------------------------------------------- */

static void test_set(void **state) {
    (void)state;
    nb_processing_config c = proc_defaults();
    assert_int_equal(nb_config_set(&nb_processing_schema, "layer_width=2", &c), NB_OK);
    assert_float_equal(c.layer_width, 2, 0);
    assert_int_equal(nb_config_set(&nb_processing_schema, "density=exact", &c), NB_OK);
    assert_int_equal(c.density, NB_DENSITY_EXACT);
    assert_int_equal(nb_config_set(&nb_processing_schema, "density=\"fast\"", &c), NB_OK);
    assert_int_equal(c.density, NB_DENSITY_FAST);
    assert_int_equal(nb_config_set(&nb_processing_schema, "importance_flags=gamma,l2", &c), NB_OK);
    assert_string_equal(c.importance_flags, "gamma,l2");
    assert_int_equal(nb_config_set(&nb_processing_schema, "importance_flags=", &c), NB_OK);
    assert_string_equal(c.importance_flags, "");
    assert_int_equal(nb_config_set(&nb_processing_schema, "smoothing=false", &c), NB_OK);
    assert_false(c.smoothing);
    assert_int_equal(nb_config_set(&nb_processing_schema, "seed=42", &c), NB_OK);
    assert_int_equal(c.seed, 42);
    nb_rendering_config r = rend_defaults();
    assert_int_equal(nb_config_set(&nb_rendering_schema, "background=[0,0,0]", &r), NB_OK);
    assert_float_equal(r.background[2], 0, 0);
    assert_int_equal(nb_config_set(&nb_rendering_schema, "node_mode=point", &r), NB_OK);
    assert_int_equal(r.node.mode, NB_NODE_POINT);

    nb_processing_config before = c;
    nb_status s = nb_config_set(&nb_processing_schema, "layer_width", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set layer_width", "expected key=value");
    s = nb_config_set(&nb_processing_schema, "=3", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set =3", "expected key=value");
    s = nb_config_set(&nb_processing_schema, "bogus=3", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set bogus", "unknown processing key");
    s = nb_config_set(&nb_processing_schema, "sampling_rte=3", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set sampling_rte", "did you mean \"sampling_rate\"");
    s = nb_config_set(&nb_processing_schema, "layer_width=abc", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set layer_width", "cannot read \"abc\" as a number");
    s = nb_config_set(&nb_processing_schema, "layer_width=-2", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set layer_width", "out of range");
    s = nb_config_set(&nb_processing_schema, "smoothing=yes", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set smoothing", "cannot read \"yes\" as a boolean");
    s = nb_config_set(&nb_processing_schema, "smoothing=1", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set smoothing", "expected true or false");
    s = nb_config_set(&nb_processing_schema, "density=gpu", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set density", "(allowed: fast, exact)");
    s = nb_config_set(&nb_processing_schema, "importance_flags=gamma,nope", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set importance_flags", "unknown flag \"nope\"");
    s = nb_config_set(&nb_processing_schema, "importance_epochs=0", &c);
    nb_expect_error(s, NB_E_CONFIG, "--set importance_epochs", "out of range [1, 1000]");
    assert_memory_equal(&c, &before, sizeof c);
    s = nb_config_set(&nb_rendering_schema, "background=red", &r);
    nb_expect_error(s, NB_E_CONFIG, "--set background", "JSON array");
    s = nb_config_set(&nb_processing_schema, NULL, &c);
    nb_expect_error(s, NB_E_INVALID, "--set", NULL);
}

/* ---- validate ------------------------------------------------------------------------- */

static void test_validate(void **state) {
    (void)state;
    nb_processing_config c = proc_defaults();
    c.layer_width = -1;
    nb_expect_error(nb_config_validate(&nb_processing_schema, &c), NB_E_CONFIG,
                    "processing layer_width", "out of range");
    c = proc_defaults();
    c.node_step = NAN;
    nb_expect_error(nb_config_validate(&nb_processing_schema, &c), NB_E_CONFIG,
                    "processing node_step", "not a finite number");
    c = proc_defaults();
    c.density = 7;
    nb_expect_error(nb_config_validate(&nb_processing_schema, &c), NB_E_CONFIG,
                    "processing density", "enum index 7 is not one of: fast, exact");
    c = proc_defaults();
    snprintf(c.importance_flags, sizeof c.importance_flags, "gamma,,l1");
    nb_expect_error(nb_config_validate(&nb_processing_schema, &c), NB_E_CONFIG,
                    "processing importance_flags", "empty flag");
    c = proc_defaults();
    memset(c.importance_flags, 'x', sizeof c.importance_flags);
    nb_expect_error(nb_config_validate(&nb_processing_schema, &c), NB_E_CONFIG,
                    "processing importance_flags", "not terminated");
    c = proc_defaults();
    c.importance_top_k = 65;
    nb_expect_error(nb_config_validate(&nb_processing_schema, &c), NB_E_CONFIG,
                    "processing importance_top_k", "out of range [0, 64]");
    char *json = NULL;
    nb_expect_error(nb_config_to_json(&nb_processing_schema, &c, &json), NB_E_CONFIG,
                    "processing importance_top_k", NULL);
    assert_null(json);

    nb_rendering_config r = rend_defaults();
    r.background[1] = -0.5;
    nb_expect_error(nb_config_validate(&nb_rendering_schema, &r), NB_E_CONFIG,
                    "rendering background", "out of range");
    r = rend_defaults();
    r.edge.mode = 5;
    nb_expect_error(nb_config_validate(&nb_rendering_schema, &r), NB_E_CONFIG,
                    "rendering edge_mode", "enum index 5");
    r = rend_defaults();
    r.node.importance_opacity = 2.5;
    nb_expect_error(nb_config_validate(&nb_rendering_schema, &r), NB_E_CONFIG,
                    "rendering node_importance_opacity", "out of range [0, 2]");
}

/* ---- importance flags ----------------------------------------------------------------- */

static void test_importance_flags(void **state) {
    (void)state;
    unsigned bits = 99;
    assert_int_equal(nb_config_parse_importance_flags("gamma,l1", &bits), NB_OK);
    assert_int_equal(bits, NB_IMPORTANCE_FLAG_GAMMA | NB_IMPORTANCE_FLAG_L1);
    assert_int_equal(bits, 6);
    assert_int_equal(nb_config_parse_importance_flags("", &bits), NB_OK);
    assert_int_equal(bits, 0);
    assert_int_equal(nb_config_parse_importance_flags(" centering , gamma ", &bits), NB_OK);
    assert_int_equal(bits, 3);
    assert_int_equal(nb_config_parse_importance_flags("l1,l2,l2", &bits), NB_OK);
    assert_int_equal(bits, 12);
    assert_int_equal(nb_config_parse_importance_flags("centering,gamma,l1,l2", &bits), NB_OK);
    assert_int_equal(bits, 15);

    bits = 99;
    nb_expect_error(nb_config_parse_importance_flags("gamma,L1", &bits), NB_E_CONFIG,
                    "importance_flags", "unknown flag \"L1\" (allowed: gamma, l1, l2, centering)");
    nb_expect_error(nb_config_parse_importance_flags("beta", &bits), NB_E_CONFIG,
                    "importance_flags", "unknown flag \"beta\"");
    nb_expect_error(nb_config_parse_importance_flags("gamma,", &bits), NB_E_CONFIG,
                    "importance_flags", "empty flag");
    nb_expect_error(nb_config_parse_importance_flags(",", &bits), NB_E_CONFIG, "importance_flags",
                    "empty flag");
    assert_int_equal(bits, 99);
}

/* ---- enum words ----------------------------------------------------------------------- */

static void test_enum_words(void **state) {
    (void)state;
    /* every enum constant names its word in the table */
    static const struct {
        const nb_config_schema *schema;
        const char *key;
        int value;
        const char *word;
    } words[] = {
        {&nb_processing_schema, "density", NB_DENSITY_FAST, "fast"},
        {&nb_processing_schema, "density", NB_DENSITY_EXACT, "exact"},
        {&nb_processing_schema, "importance_method", NB_IMPORTANCE_BN_GAMMA, "bn-gamma"},
        {&nb_processing_schema, "importance_method", NB_IMPORTANCE_MAGNITUDE, "magnitude"},
        {&nb_processing_schema, "importance_method", NB_IMPORTANCE_ACTIVATION, "activation"},
        {&nb_processing_schema, "importance_method", NB_IMPORTANCE_TAYLOR, "taylor"},
        {&nb_processing_schema, "importance_method", NB_IMPORTANCE_TAYLOR_MEAN, "taylor-mean"},
        {&nb_processing_schema, "importance_method", NB_IMPORTANCE_OBD, "obd"},
        {&nb_rendering_schema, "edge_mode", NB_EDGE_ELLIPSOID_TRANSPARENT, "ellipsoid_transparent"},
        {&nb_rendering_schema, "edge_mode", NB_EDGE_SPHERE, "sphere"},
        {&nb_rendering_schema, "edge_mode", NB_EDGE_SPHERE_TRANSPARENT, "sphere_transparent"},
        {&nb_rendering_schema, "edge_mode", NB_EDGE_LINE, "line"},
        {&nb_rendering_schema, "edge_mode", NB_EDGE_HIDDEN, "none"},
        {&nb_rendering_schema, "node_mode", NB_NODE_SPHERE_TRANSPARENT, "sphere_transparent"},
        {&nb_rendering_schema, "node_mode", NB_NODE_SPHERE, "sphere"},
        {&nb_rendering_schema, "node_mode", NB_NODE_POINT, "point"},
        {&nb_rendering_schema, "node_mode", NB_NODE_HIDDEN, "none"},
        {&nb_rendering_schema, "transparency", NB_TRANSPARENCY_MINMAX, "minmax"},
        {&nb_rendering_schema, "transparency", NB_TRANSPARENCY_WBOIT, "wboit"},
        {&nb_rendering_schema, "shading", NB_SHADING_SOFT, "soft"},
        {&nb_rendering_schema, "shading", NB_SHADING_PHONG, "phong"},
        {&nb_rendering_schema, "importance_normalization", NB_NORMALIZE_NONE, "none"},
        {&nb_rendering_schema, "importance_normalization", NB_NORMALIZE_NETWORK, "network"},
        {&nb_rendering_schema, "importance_normalization", NB_NORMALIZE_LAYER, "layer"},
        {&nb_rendering_schema, "class_view", NB_CLASS_VIEW_INDEPENDENT, "independent"},
        {&nb_rendering_schema, "class_view", NB_CLASS_VIEW_ALL, "all"},
        {&nb_rendering_schema, "class_view", NB_CLASS_VIEW_ONE, "class"},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        const char *w = nb_config_enum_name(words[i].schema, words[i].key, words[i].value);
        assert_non_null(w);
        assert_string_equal(w, words[i].word);
        int v = -1;
        assert_int_equal(nb_config_enum_value(words[i].schema, words[i].key, w, &v), NB_OK);
        assert_int_equal(v, words[i].value);
    }
    /* and every word of every enum key round-trips */
    const nb_config_schema *schemas[2] = {&nb_processing_schema, &nb_rendering_schema};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < schemas[s]->n_keys; i++) {
            const nb_config_key *k = &schemas[s]->keys[i];
            size_t n = nb_config_key_enum_count(k);
            assert_true((n > 0) == (k->type == NB_CONFIG_ENUM));
            for (size_t e = 0; e < n; e++) {
                int v = -1;
                assert_int_equal(nb_config_enum_value(schemas[s], k->name,
                                                      nb_config_key_enum_name(k, (int)e), &v),
                                 NB_OK);
                assert_int_equal(v, (int)e);
                assert_int_equal(nb_config_key_enum_index(k, nb_config_key_enum_name(k, (int)e)),
                                 (int)e);
            }
            assert_null(nb_config_key_enum_name(k, (int)n));
        }

    assert_null(nb_config_enum_name(&nb_processing_schema, "density", 2));
    assert_null(nb_config_enum_name(&nb_processing_schema, "density", -1));
    assert_null(nb_config_enum_name(&nb_processing_schema, "seed", 0));
    assert_null(nb_config_enum_name(&nb_processing_schema, "no_such_key", 0));
    assert_null(nb_config_key_enum_name(NULL, 0));
    assert_int_equal(nb_config_key_enum_count(NULL), 0);

    int v = 99;
    nb_expect_error(nb_config_enum_value(&nb_rendering_schema, "node_mode", "cube", &v),
                    NB_E_CONFIG, "rendering node_mode",
                    "unknown value \"cube\" (allowed: sphere_transparent, sphere, point, none)");
    nb_expect_error(nb_config_enum_value(&nb_processing_schema, "seed", "1", &v), NB_E_CONFIG,
                    "processing seed", "not an enum key");
    assert_int_equal(v, 99);

    char buf[64];
    assert_string_equal(
        nb_config_enum_words(&nb_processing_schema, "importance_method", " | ", buf, sizeof buf),
        "activation | bn-gamma | magnitude | taylor | taylor-mean | obd");
    assert_string_equal(nb_config_enum_words(&nb_rendering_schema, "transparency", ", ", buf, 9),
                        "minmax");
    assert_string_equal(nb_config_enum_words(&nb_processing_schema, "seed", ", ", buf, sizeof buf),
                        "");
}

/* nb_config_key_enum_index: the lookup form of nb_config_enum_value, which raises nothing. */
static void test_enum_index(void **state) {
    (void)state;
    const nb_config_key *density = nb_config_find(&nb_processing_schema, "density");
    nb_error_clear();
    assert_int_equal(nb_config_key_enum_index(density, "exact"), NB_DENSITY_EXACT);
    assert_int_equal(nb_config_key_enum_index(density, "gpu"), -1);
    assert_int_equal(nb_config_key_enum_index(density, NULL), -1);
    assert_int_equal(nb_config_key_enum_index(NULL, "fast"), -1);
    assert_int_equal(nb_config_key_enum_index(nb_config_find(&nb_processing_schema, "seed"), "1"),
                     -1);
    assert_int_equal(nb_error_status(), NB_OK);
}

/* ---- the config stored in a file's /bundle ---------------------------------------------- */

static void expect_stored_error(const char *text, const char *path, const char *subject,
                                const char *frag) {
    nb_processing_config c, before;
    memset(&c, 0x5a, sizeof c);
    before = c;
    nb_error_clear();
    nb_expect_error(nb_processing_config_read_stored(text, path, NULL, &c), NB_E_FORMAT, subject,
                    frag);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_stored_config(void **state) {
    (void)state;
    const nb_processing_config def = proc_defaults();
    nb_processing_config c;
    /* no stored config (a file bundled before configs were stored): the defaults */
    memset(&c, 0x5a, sizeof c);
    assert_int_equal(nb_processing_config_read_stored(NULL, "f.nnb.h5", NULL, &c), NB_OK);
    assert_memory_equal(&c, &def, sizeof c);
    memset(&c, 0x5a, sizeof c);
    assert_int_equal(nb_processing_config_read_stored("", "f.nnb.h5", NULL, &c), NB_OK);
    assert_memory_equal(&c, &def, sizeof c);

    /* what nnbundle bundle stores reads back exactly */
    nb_processing_config w = proc_defaults();
    w.edge_importance_type = 3;
    w.density = NB_DENSITY_EXACT;
    w.layer_width = 0.1 + 0.2;
    memset(w.importance_flags, 0, sizeof w.importance_flags);
    snprintf(w.importance_flags, sizeof w.importance_flags, "l2");
    char *json = NULL;
    assert_int_equal(nb_config_to_json(&nb_processing_schema, &w, &json), NB_OK);
    assert_int_equal(nb_processing_config_read_stored(json, "f.nnb.h5", NULL, &c), NB_OK);
    assert_memory_equal(&c, &w, sizeof c);
    free(json);

    /* keys of an older file are missing (defaults), keys of a newer one unknown (skipped) */
    assert_int_equal(nb_processing_config_read_stored(
                         "{\"edge_importance_type\": 2, \"a_later_key\": [1, {}]}", "f", NULL, &c),
                     NB_OK);
    nb_processing_config want = def;
    want.edge_importance_type = 2;
    assert_memory_equal(&c, &want, sizeof c);

    /* a value the table refuses names the file, the group attribute and the key */
    const char *s = "f.nnb.h5 /bundle config_json";
    expect_stored_error("{\"edge_importance_type\": 4}", "f.nnb.h5", s,
                        "edge_importance_type: 4 is out of range [0, 3]");
    expect_stored_error("{\"edge_importance_type\": -1}", "f.nnb.h5", s, "out of range");
    expect_stored_error("{\"edge_importance_type\": 1.5}", "f.nnb.h5", s,
                        "edge_importance_type: 1.5 is not an integer");
    expect_stored_error("{\"edge_importance_type\": \"2\"}", "f.nnb.h5", s,
                        "edge_importance_type: expected an integer, got a string");
    expect_stored_error("{\"density\": \"gpu\"}", "f.nnb.h5", s,
                        "density: unknown value \"gpu\" (allowed: fast, exact)");
    expect_stored_error("{\"importance_flags\": \"beta\"}", "f.nnb.h5", s,
                        "importance_flags: unknown flag \"beta\"");
    expect_stored_error("{\"seed\": 1, \"seed\": 2}", "f.nnb.h5", s,
                        "seed: key appears more than once");
    expect_stored_error("[1, 2]", "f.nnb.h5", s, "expected a JSON object");
    expect_stored_error("{not json", "f.nnb.h5", s, "JSON syntax error at line 1");
    expect_stored_error("{\"seed\": true}", NULL, "model /bundle config_json",
                        "seed: expected an integer, got a boolean");

    /* a reader of some keys (a viewer): the other members are skipped unchecked, even a value
     * today's table refuses or a key given twice, and the other fields get their defaults */
    static const char *const only[] = {"edge_importance_type", NULL};
    memset(&c, 0x5a, sizeof c);
    assert_int_equal(nb_processing_config_read_stored("{\"edge_step\": 7, \"density\": \"gpu\", "
                                                      "\"seed\": 1, \"seed\": 2, "
                                                      "\"edge_importance_type\": 2}",
                                                      "f.nnb.h5", only, &c),
                     NB_OK);
    assert_memory_equal(&c, &want, sizeof c);
    memset(&c, 0x5a, sizeof c);
    assert_int_equal(nb_processing_config_read_stored("{\"edge_step\": 7}", "f", only, &c), NB_OK);
    assert_memory_equal(&c, &def, sizeof c);
    /* ... the keys it reads are checked, and the text must still be a JSON object */
    nb_processing_config before = c;
    nb_expect_error(nb_processing_config_read_stored(
                        "{\"edge_step\": 7, \"edge_importance_type\": 4}", "f.nnb.h5", only, &c),
                    NB_E_FORMAT, s, "edge_importance_type: 4 is out of range [0, 3]");
    nb_expect_error(
        nb_processing_config_read_stored(
            "{\"edge_importance_type\": 1, \"edge_importance_type\": 1}", "f.nnb.h5", only, &c),
        NB_E_FORMAT, s, "edge_importance_type: key appears more than once");
    nb_expect_error(nb_processing_config_read_stored("[1, 2]", "f.nnb.h5", only, &c), NB_E_FORMAT,
                    s, "expected a JSON object");
    nb_expect_error(nb_processing_config_read_stored("{not json", "f.nnb.h5", only, &c),
                    NB_E_FORMAT, s, "JSON syntax error at line 1");
    assert_memory_equal(&c, &before, sizeof c);
}

/* ---- docs ----------------------------------------------------------------------------- */

static void test_markdown(void **state) {
    (void)state;
    char *md = NULL;
    assert_int_equal(nb_config_to_markdown(&nb_processing_schema, &md), NB_OK);
    assert_non_null(strstr(md, "| key | type | default | range | unit | meaning | source |\n"));
    assert_non_null(strstr(md, "| `layer_distance` | number | `0.5` | (0, 100] | world units |"));
    assert_non_null(strstr(md, "| `density` | enum | `\"fast\"` | `fast`, `exact` |"));
    assert_non_null(strstr(md, "| `importance_flags` | string | `\"gamma,l1\"` |"));
    size_t rows = 0;
    for (const char *p = md; (p = strchr(p, '\n')); p++)
        rows++;
    assert_int_equal(rows, nb_processing_schema.n_keys + 2);
    free(md);
    assert_int_equal(nb_config_to_markdown(&nb_rendering_schema, &md), NB_OK);
    assert_non_null(strstr(md, "| `background` | colour | `[1, 1, 1]` | 3 x [0, 1] | RGB |"));
    free(md);
}

/* The generated block of one schema: BEGIN marker line, table, END marker line. */
static char *generated_block(const nb_config_schema *s) {
    char *md = NULL;
    if (nb_config_to_markdown(s, &md) != NB_OK)
        return NULL;
    size_t cap = strlen(md) + 256;
    char *block = malloc(cap);
    snprintf(block, cap,
             "<!-- BEGIN %s keys (generated: test_config --print-markdown) -->\n%s"
             "<!-- END %s keys -->\n",
             s->name, md, s->name);
    free(md);
    return block;
}

/* Start and end (one past the END marker's newline) of schema s's block in text. */
static bool find_block(const char *text, const nb_config_schema *s, size_t *b, size_t *e) {
    char begin[96], end[96];
    snprintf(begin, sizeof begin, "<!-- BEGIN %s keys", s->name);
    snprintf(end, sizeof end, "<!-- END %s keys -->\n", s->name);
    const char *pb = strstr(text, begin);
    const char *pe = pb ? strstr(pb, end) : NULL;
    if (!pb || !pe)
        return false;
    *b = (size_t)(pb - text);
    *e = (size_t)(pe - text) + strlen(end);
    return true;
}

static void test_readme_tables_match(void **state) {
    (void)state;
    char path[1024];
    nb_test_source_path(path, sizeof path, "configs/README.md");
    char *text = nb_test_read_file(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    const nb_config_schema *schemas[2] = {&nb_processing_schema, &nb_rendering_schema};
    for (int i = 0; i < 2; i++) {
        size_t b = 0, e = 0;
        if (!find_block(text, schemas[i], &b, &e))
            fail_msg("%s lacks the generated %s table", path, schemas[i]->name);
        char *want = generated_block(schemas[i]);
        if (strlen(want) != e - b || memcmp(text + b, want, e - b) != 0)
            fail_msg("the %s table in %s is out of date: run "
                     "'test_config --update-readme %s'",
                     schemas[i]->name, path, path);
        /* every key is documented by name */
        for (size_t k = 0; k < schemas[i]->n_keys; k++) {
            char cell[96];
            snprintf(cell, sizeof cell, "| `%s` |", schemas[i]->keys[k].name);
            assert_non_null(strstr(text, cell));
        }
        free(want);
    }
    free(text);
}

/* Rewrites the generated blocks of the README at path in place. */
static int update_readme(const char *path) {
    char *text = nb_test_read_file(path, NULL);
    if (!text) {
        fprintf(stderr, "test_config: cannot read %s\n", path);
        return 1;
    }
    const nb_config_schema *schemas[2] = {&nb_processing_schema, &nb_rendering_schema};
    for (int i = 0; i < 2; i++) {
        size_t b = 0, e = 0;
        if (!find_block(text, schemas[i], &b, &e)) {
            fprintf(stderr, "test_config: %s has no %s block markers\n", path, schemas[i]->name);
            free(text);
            return 1;
        }
        char *block = generated_block(schemas[i]);
        size_t n = strlen(text), bl = strlen(block);
        char *next = malloc(n - (e - b) + bl + 1);
        memcpy(next, text, b);
        memcpy(next + b, block, bl);
        memcpy(next + b + bl, text + e, n - e + 1);
        free(block);
        free(text);
        text = next;
    }
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "test_config: cannot write %s\n", path);
        free(text);
        return 1;
    }
    free(text);
    return 0;
}

static int print_markdown(void) {
    const nb_config_schema *schemas[2] = {&nb_processing_schema, &nb_rendering_schema};
    for (int i = 0; i < 2; i++) {
        char *md = NULL;
        if (nb_config_to_markdown(schemas[i], &md) != NB_OK)
            return 1;
        printf("<!-- BEGIN %s keys (generated: test_config --print-markdown) -->\n%s"
               "<!-- END %s keys -->\n\n",
               schemas[i]->name, md, schemas[i]->name);
        free(md);
    }
    return 0;
}

/* An escaped NUL would cut a key or value short inside cJSON ("sampling_rate\u0000x" read as
 * sampling_rate): refused, in a file, in --set, and an escaped backslash is not taken for one;
 * a config that is a FIFO is refused before it could block. */
static void test_nul_escape_and_fifo(void **state) {
    (void)state;
    nb_processing_config c;
    nb_config_defaults(&nb_processing_schema, &c);
    const double rate = c.sampling_rate;
    nb_expect_error(
        nb_config_parse(&nb_processing_schema, "{\"sampling_rate\\u0000x\": 3}", "n.json", &c),
        NB_E_CONFIG, "n.json", "\\u0000 (a NUL character) at line 1, column 16");
    assert_true(c.sampling_rate == rate);
    nb_expect_error(nb_config_set(&nb_processing_schema, "importance_method=\"a\\u0000b\"", &c),
                    NB_E_CONFIG, "--set importance_method", "no value may hold one");
    /* "\\u0000" is a backslash and the text u0000, not a NUL: an ordinary unknown key */
    nb_expect_error(nb_config_parse(&nb_processing_schema, "{\"x\\\\u0000\": 3}", "n.json", &c),
                    NB_E_CONFIG, "n.json x\\u0000", NULL);
    unlink("cfg_fifo.json");
    assert_int_equal(mkfifo("cfg_fifo.json", 0644), 0);
    nb_expect_error(nb_config_load(&nb_processing_schema, "cfg_fifo.json", &c), NB_E_IO,
                    "cfg_fifo.json", "is a FIFO (named pipe)");
    unlink("cfg_fifo.json");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--print-markdown") == 0)
        return print_markdown();
    if (argc > 2 && strcmp(argv[1], "--update-readme") == 0)
        return update_readme(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_tables),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_shipped_configs),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_save_round_trip),
        cmocka_unit_test(test_save_errors),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_importance_flags),
        cmocka_unit_test(test_enum_words),
        cmocka_unit_test(test_enum_index),
        cmocka_unit_test(test_stored_config),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_nul_escape_and_fifo),
        cmocka_unit_test(test_readme_tables_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
