/* test_gui_form.c - schema-driven GUI forms: edits, validation, JSON round trip, bad files. */
#include <unistd.h>

#include "nb_config.h"
#include "nb_gui_form.h"
#include "nb_test.h"

/* doubles compared with an absolute tolerance (cmocka's float assert narrows to float) */

static size_t key_index(const nb_config_schema *schema, const char *name) {
    const nb_config_key *k = nb_config_find(schema, name);
    assert_non_null(k);
    return (size_t)(k - schema->keys);
}

/* Every key of two configs is equal (field by field through the schema, not memcmp, so
 * padding bytes cannot matter). */
static void assert_same_config(const nb_config_schema *schema, const void *a, const void *b) {
    for (size_t i = 0; i < schema->n_keys; i++) {
        const nb_config_key *k = &schema->keys[i];
        const char *pa = (const char *)a + k->offset, *pb = (const char *)b + k->offset;
        size_t n = k->type == NB_CONFIG_DOUBLE   ? sizeof(double)
                   : k->type == NB_CONFIG_COLOR  ? 3 * sizeof(double)
                   : k->type == NB_CONFIG_BOOL   ? sizeof(bool)
                   : k->type == NB_CONFIG_STRING ? 0
                                                 : sizeof(int);
        if (k->type == NB_CONFIG_STRING) {
            if (strcmp(pa, pb) != 0)
                fail_msg("key %s differs", k->name);
        } else if (memcmp(pa, pb, n) != 0) {
            fail_msg("key %s differs", k->name);
        }
    }
}

static void temp_path(char *buf, size_t n, const char *tag) {
    snprintf(buf, n, "test_gui_form_%ld_%s.json", (long)getpid(), tag);
}

static void test_widgets_and_names(void **state) {
    (void)state;
    nb_rendering_config rc;
    nb_config_defaults(&nb_rendering_schema, &rc);
    nb_gui_form f;
    assert_int_equal(nb_gui_form_init(&f, &nb_rendering_schema, &rc, true), NB_OK);
    const nb_config_schema *s = &nb_rendering_schema;
    assert_int_equal(nb_gui_form_widget(&f, key_index(s, "edge_size")), NB_GUI_WIDGET_SLIDER);
    assert_int_equal(nb_gui_form_widget(&f, key_index(s, "edge_mode")), NB_GUI_WIDGET_COMBO);
    assert_int_equal(nb_gui_form_widget(&f, key_index(s, "background")), NB_GUI_WIDGET_COLOR);
    assert_int_equal(nb_gui_form_widget(&f, key_index(s, "class_index")), NB_GUI_WIDGET_INT_SLIDER);
    assert_int_equal(nb_gui_form_widget(&f, key_index(s, "auto_orbit")), NB_GUI_WIDGET_CHECKBOX);
    /* fields show the config */
    nb_assert_near(f.field[key_index(s, "node_size")].value[0], 0.06, 1e-12);
    nb_assert_near(f.field[key_index(s, "background")].value[2], 1.0, 1e-12);
    nb_gui_form_deinit(&f);

    nb_processing_config pc;
    nb_config_defaults(&nb_processing_schema, &pc);
    assert_int_equal(nb_gui_form_init(&f, &nb_processing_schema, &pc, false), NB_OK);
    s = &nb_processing_schema;
    assert_int_equal(nb_gui_form_widget(&f, key_index(s, "seed")), NB_GUI_WIDGET_INT_INPUT);
    assert_int_equal(nb_gui_form_widget(&f, key_index(s, "layer_width")), NB_GUI_WIDGET_INPUT);
    assert_int_equal(nb_gui_form_widget(&f, key_index(s, "importance_flags")), NB_GUI_WIDGET_TEXT);
    assert_string_equal(f.field[key_index(s, "importance_flags")].text, pc.importance_flags);
    nb_gui_form_deinit(&f);

    char sec[16], lab[64];
    nb_gui_form_split_name("edge_size", sec, sizeof sec, lab, sizeof lab);
    assert_string_equal(sec, "edge");
    assert_string_equal(lab, "size");
    nb_gui_form_split_name("node_importance_threshold", sec, sizeof sec, lab, sizeof lab);
    assert_string_equal(sec, "node");
    assert_string_equal(lab, "importance_threshold");
    nb_gui_form_split_name("node_advection", sec, sizeof sec, lab, sizeof lab);
    assert_string_equal(sec, "node"); /* grouping only; harmless for processing keys */
    nb_gui_form_split_name("background", sec, sizeof sec, lab, sizeof lab);
    assert_string_equal(sec, "");
    assert_string_equal(lab, "background");
    nb_gui_form_split_name("a.b", sec, sizeof sec, lab, sizeof lab);
    assert_string_equal(sec, "a");
    assert_string_equal(lab, "b");
}

static void test_slider_ranges(void **state) {
    (void)state;
    double lo, hi;
    bool lg;
    const nb_config_schema *s = &nb_rendering_schema;
    nb_gui_form_slider_range(nb_config_find(s, "fov_degrees"), &lo, &hi, &lg);
    nb_assert_near(lo, 1.001, 1e-12);
    nb_assert_near(hi, 170.0 - 0.169, 1e-9);
    assert_false(lg);
    nb_gui_form_slider_range(nb_config_find(s, "edge_size"), &lo, &hi, &lg);
    nb_assert_near(lo, 0.001, 1e-12);
    nb_assert_near(hi, 1.0, 0.0);
    assert_false(lg);
    nb_gui_form_slider_range(nb_config_find(&nb_processing_schema, "density_strength"), &lo, &hi,
                             &lg);
    nb_assert_near(lo, 0.001, 1e-12);
    assert_true(lg);
}

static void test_set_applies_or_keeps_previous(void **state) {
    (void)state;
    nb_rendering_config rc;
    nb_config_defaults(&nb_rendering_schema, &rc);
    nb_gui_form f;
    assert_int_equal(nb_gui_form_init(&f, &nb_rendering_schema, &rc, true), NB_OK);
    const nb_config_schema *s = &nb_rendering_schema;
    size_t size = key_index(s, "edge_size"), mode = key_index(s, "edge_mode");
    unsigned gen = f.generation;
    assert_int_equal(nb_gui_form_set_number(&f, size, 0.05), NB_OK);
    nb_assert_near(rc.edge.size, 0.05, 0.0);
    assert_true(f.generation == gen + 1);
    assert_false(nb_gui_form_has_errors(&f));
    /* out of range: config keeps 0.05, the field shows 5 and the error names the key */
    assert_int_equal(nb_gui_form_set_number(&f, size, 5.0), NB_E_CONFIG);
    nb_assert_near(rc.edge.size, 0.05, 0.0);
    nb_assert_near(f.field[size].value[0], 5.0, 0.0);
    assert_non_null(strstr(f.field[size].error, "edge_size"));
    assert_non_null(strstr(f.field[size].error, "NB_E_CONFIG"));
    assert_true(nb_gui_form_has_errors(&f));
    /* exclusive minimum 0 */
    assert_int_equal(nb_gui_form_set_number(&f, size, 0.0), NB_E_CONFIG);
    assert_int_equal(nb_gui_form_set_number(&f, size, NAN), NB_E_CONFIG);
    nb_assert_near(rc.edge.size, 0.05, 0.0);
    /* a valid value clears the error */
    assert_int_equal(nb_gui_form_set_number(&f, size, 0.03), NB_OK);
    assert_string_equal(f.field[size].error, "");
    assert_false(nb_gui_form_has_errors(&f));
    /* enum by index */
    assert_int_equal(nb_gui_form_set_number(&f, mode, (double)NB_EDGE_LINE), NB_OK);
    assert_int_equal(rc.edge.mode, NB_EDGE_LINE);
    assert_int_equal(nb_gui_form_set_number(&f, mode, 17.0), NB_E_CONFIG);
    assert_int_equal(rc.edge.mode, NB_EDGE_LINE);
    /* bool, int, colour */
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "auto_orbit"), 1.0), NB_OK);
    assert_true(rc.auto_orbit);
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "camera_pose"), 3.0), NB_OK);
    assert_int_equal(rc.camera_pose, 3);
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "camera_pose"), 3.5), NB_E_CONFIG);
    assert_int_equal(rc.camera_pose, 3);
    const double bg[3] = {0.1, 0.2, 0.3}, bad_bg[3] = {0.1, 2.0, 0.3};
    assert_int_equal(nb_gui_form_set_color(&f, key_index(s, "background"), bg), NB_OK);
    nb_assert_near(rc.background[1], 0.2, 0.0);
    assert_int_equal(nb_gui_form_set_color(&f, key_index(s, "background"), bad_bg), NB_E_CONFIG);
    nb_assert_near(rc.background[1], 0.2, 0.0);
    /* wrong key kinds and indices */
    assert_int_equal(nb_gui_form_set_number(&f, s->n_keys, 1.0), NB_E_INVALID);
    assert_int_equal(nb_gui_form_set_color(&f, size, bg), NB_E_INVALID);
    assert_int_equal(nb_gui_form_set_text(&f, size, "x"), NB_E_INVALID);
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "background"), 1.0), NB_E_INVALID);
    nb_gui_form_deinit(&f);
}

static void test_processing_validation_like_cli(void **state) {
    (void)state;
    nb_processing_config pc, before;
    nb_config_defaults(&nb_processing_schema, &pc);
    before = pc;
    nb_gui_form f;
    assert_int_equal(nb_gui_form_init(&f, &nb_processing_schema, &pc, false), NB_OK);
    const nb_config_schema *s = &nb_processing_schema;
    size_t prune = key_index(s, "prune_percentage"), flags = key_index(s, "importance_flags");
    /* prune_percentage is [0, 1): 1 is rejected as by `nnbundle bundle --set` */
    assert_int_equal(nb_gui_form_set_number(&f, prune, 1.0), NB_E_CONFIG);
    assert_non_null(strstr(f.field[prune].error, "prune_percentage"));
    assert_int_equal(nb_config_set(s, "prune_percentage=1", &before), NB_E_CONFIG);
    assert_int_equal(nb_gui_form_set_number(&f, prune, 0.5), NB_OK);
    nb_assert_near(pc.prune_percentage, 0.5, 0.0);
    /* the per-key flag check runs too */
    assert_int_equal(nb_gui_form_set_text(&f, flags, "gamma,bogus"), NB_E_CONFIG);
    assert_non_null(strstr(f.field[flags].error, "bogus"));
    assert_string_equal(f.field[flags].text, "gamma,bogus");
    assert_string_equal(pc.importance_flags, "gamma,l1");
    assert_int_equal(nb_gui_form_set_text(&f, flags, "gamma,l2"), NB_OK);
    assert_string_equal(pc.importance_flags, "gamma,l2");
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "seed"), -1.0), NB_E_CONFIG);
    assert_int_equal(pc.seed, 1);
    nb_gui_form_deinit(&f);
}

static void test_json_round_trip(void **state) {
    (void)state;
    char path[128];
    temp_path(path, sizeof path, "rt");
    nb_rendering_config rc;
    nb_config_defaults(&nb_rendering_schema, &rc);
    nb_gui_form f;
    assert_int_equal(nb_gui_form_init(&f, &nb_rendering_schema, &rc, true), NB_OK);
    const nb_config_schema *s = &nb_rendering_schema;
    /* values that do not print exactly in few digits */
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "edge_size"), 0.1 / 3.0), NB_OK);
    assert_int_equal(
        nb_gui_form_set_number(&f, key_index(s, "node_depth_exponent"), 3.14159265358979323846),
        NB_OK);
    assert_int_equal(
        nb_gui_form_set_number(&f, key_index(s, "edge_importance_threshold"), 0.123456789012345678),
        NB_OK);
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "node_mode"), 1.0), NB_OK);
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "transparency"), 1.0), NB_OK);
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "class_view"), 2.0), NB_OK);
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "class_index"), 7.0), NB_OK);
    const double bg[3] = {0.9, 0.95, 1.0 / 7.0};
    assert_int_equal(nb_gui_form_set_color(&f, key_index(s, "background"), bg), NB_OK);
    nb_rendering_config saved = rc;
    assert_int_equal(nb_gui_form_save(&f, path), NB_OK);
    nb_gui_form_reset(&f);
    nb_assert_near(rc.edge.size, 0.02, 0.0);
    assert_int_equal(rc.class_view, NB_CLASS_VIEW_ALL);
    assert_int_equal(nb_gui_form_load(&f, path), NB_OK);
    assert_same_config(s, &rc, &saved);
    assert_string_equal(f.file_error, "");
    /* the fields follow the loaded file */
    nb_assert_near(f.field[key_index(s, "edge_size")].value[0], 0.1 / 3.0, 0.0);
    /* saving again gives the same bytes */
    char path2[128];
    temp_path(path2, sizeof path2, "rt2");
    assert_int_equal(nb_gui_form_save(&f, path2), NB_OK);
    char *a = NULL, *b = NULL;
    assert_int_equal(nb_config_to_json(s, &saved, &a), NB_OK);
    assert_int_equal(nb_config_to_json(s, &rc, &b), NB_OK);
    assert_string_equal(a, b);
    free(a);
    free(b);
    remove(path);
    remove(path2);
    nb_gui_form_deinit(&f);
}

static void test_bad_file_keeps_previous_settings(void **state) {
    (void)state;
    char path[128];
    temp_path(path, sizeof path, "bad");
    nb_rendering_config rc;
    nb_config_defaults(&nb_rendering_schema, &rc);
    nb_gui_form f;
    assert_int_equal(nb_gui_form_init(&f, &nb_rendering_schema, &rc, true), NB_OK);
    const nb_config_schema *s = &nb_rendering_schema;
    assert_int_equal(nb_gui_form_set_number(&f, key_index(s, "edge_size"), 0.07), NB_OK);
    nb_rendering_config before = rc;
    unsigned gen = f.generation;
    /* a valid key first, then a bad value: nothing of the file may be applied */
    nb_test_write_text(path, "{\n  \"edge_base_opacity\": 0.5,\n  \"node_size\": 7\n}\n");
    assert_int_equal(nb_gui_form_load(&f, path), NB_E_CONFIG);
    assert_non_null(strstr(f.file_error, "node_size"));
    assert_non_null(strstr(f.file_error, path));
    assert_same_config(s, &rc, &before);
    assert_true(f.generation == gen);
    nb_assert_near(f.field[key_index(s, "edge_base_opacity")].value[0], 0.0, 0.0);
    /* unknown key, wrong enum word, syntax error, missing file */
    nb_test_write_text(path, "{\"edge_sise\": 0.1}");
    assert_int_equal(nb_gui_form_load(&f, path), NB_E_CONFIG);
    assert_non_null(strstr(f.file_error, "edge_sise"));
    nb_test_write_text(path, "{\"edge_mode\": \"tubes\"}");
    assert_int_equal(nb_gui_form_load(&f, path), NB_E_CONFIG);
    assert_non_null(strstr(f.file_error, "edge_mode"));
    nb_test_write_text(path, "{\"edge_size\": ");
    assert_int_equal(nb_gui_form_load(&f, path), NB_E_CONFIG);
    remove(path);
    assert_int_equal(nb_gui_form_load(&f, path), NB_E_IO);
    assert_non_null(strstr(f.file_error, path));
    assert_same_config(s, &rc, &before);
    /* a good partial file applies only its keys, and clears the error */
    nb_test_write_text(path, "{\"node_base_opacity\": 0.25}");
    assert_int_equal(nb_gui_form_load(&f, path), NB_OK);
    assert_string_equal(f.file_error, "");
    nb_assert_near(rc.node.base_opacity, 0.25, 0.0);
    nb_assert_near(rc.edge.size, 0.07, 0.0);
    remove(path);
    /* saving into a directory that does not exist fails with the path named */
    assert_int_equal(nb_gui_form_save(&f, "no/such/dir/rendering.json"), NB_E_IO);
    assert_non_null(strstr(f.file_error, "no/such/dir/rendering.json"));
    nb_gui_form_deinit(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_widgets_and_names),
        cmocka_unit_test(test_slider_ranges),
        cmocka_unit_test(test_set_applies_or_keeps_previous),
        cmocka_unit_test(test_processing_validation_like_cli),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_bad_file_keeps_previous_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
