/* test_gui_state.c - the GUI controller without GL: model facts, picking, thumbnails,
 * highlight overlay, requests, activation view, test-set loading. */
#include <sys/stat.h>
#include <unistd.h>

#include "nb_bundle.h"
#include "nb_camera.h"
#include "nb_gui_pick.h"
#include "nb_gui_state.h"
#include "nb_importance.h"
#include "nb_palette.h"
#include "nb_random.h"
#include "nb_rng.h"
#include "nb_scene.h"
#include "nb_test.h"

#define N_TEST 20

typedef struct fixture {
    char dir[128], dir_small[128], json[128];
    nb_model m;
    nb_rendering_config rc;
    nb_gui_state st;
} fixture;

/* Raw IDX test split of N_TEST side x side images (pixel = index + row) and labels i % 10. */
static void write_dataset(const char *dir, uint32_t side) {
    unsigned char pixels[N_TEST * 6 * 6], labels[N_TEST];
    assert_true(side <= 6);
    for (uint32_t i = 0; i < N_TEST; i++) {
        for (uint32_t p = 0; p < side * side; p++)
            pixels[i * side * side + p] = (unsigned char)((i * 10 + p) % 256);
        labels[i] = (unsigned char)(i % 10);
    }
    nb_test_write_idx_test_split(dir, N_TEST, side, side, pixels, labels);
}

/* 36-16-10 random network, importance with 9 top images per hidden node, straight edges. */
static void make_model(nb_model *m) {
    memset(m, 0, sizeof *m);
    const size_t sizes[3] = {36, 16, 10};
    assert_int_equal(nb_random_network_init(&m->network, 3, sizes, 4), NB_OK);
    m->has_network = true;
    nb_importance rnd;
    assert_int_equal(nb_importance_random(&m->network, 4, &rnd), NB_OK);
    assert_int_equal(nb_importance_init(&m->importance, 3, sizes, 9), NB_OK);
    m->has_importance = true;
    memcpy(m->importance.node, rnd.node, rnd.node_offset[3] * sizeof(float));
    nb_importance_deinit(&rnd);
    nb_importance_fill_alpha(&m->network, &m->importance);
    int32_t *top = nb_importance_top(&m->importance, 1);
    for (size_t i = 0; i < 16; i++)
        for (size_t k = 0; k < 9; k++)
            top[i * 9 + k] = k == 8 ? -1 : (int32_t)((i + k) % N_TEST); /* 8 valid */
    nb_processing_config cfg;
    nb_config_defaults(&nb_processing_schema, &cfg);
    cfg.node_advection = cfg.edge_advection = false;
    cfg.prune_percentage = 0.5;
    nb_bundle_state *b = NULL;
    nb_bundle_settings bs;
    assert_int_equal(nb_bundle_settings_from_config(&cfg, &bs), NB_OK);
    assert_int_equal(nb_bundle_create(&bs, &m->network, &m->importance, 1, &b), NB_OK);
    assert_int_equal(nb_bundle_finish(b, &m->bundle), NB_OK);
    nb_bundle_destroy(b);
    m->has_bundle = true;
}

/* Camera pose 6 framing the node positions. */
static void camera_on(const nb_model *m, nb_camera *cam) {
    float bmin[3] = {INFINITY, INFINITY, INFINITY}, bmax[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t g = 0; g < m->bundle.n_nodes; g++)
        for (int k = 0; k < 3; k++) {
            bmin[k] = fminf(bmin[k], m->bundle.node_position[3 * g + (size_t)k]);
            bmax[k] = fmaxf(bmax[k], m->bundle.node_position[3 * g + (size_t)k]);
        }
    nb_camera_init(cam, bmin, bmax, 45.0f, 6);
}

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "test_gui_state_%ld_data", (long)getpid());
    snprintf(fx->dir_small, sizeof fx->dir_small, "test_gui_state_%ld_small", (long)getpid());
    snprintf(fx->json, sizeof fx->json, "test_gui_state_%ld.json", (long)getpid());
    make_model(&fx->m);
    nb_config_defaults(&nb_rendering_schema, &fx->rc);
    if (nb_gui_state_init(&fx->st, &fx->rc) != NB_OK)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    nb_gui_state_deinit(&fx->st);
    nb_gui_state_deinit(&fx->st); /* safe twice */
    nb_model_deinit(&fx->m);
    nb_test_remove_tree(fx->dir);
    nb_test_remove_tree(fx->dir_small);
    remove(fx->json);
    free(fx);
    return 0;
}

static void test_init_and_model(void **state) {
    fixture *fx = *state;
    nb_gui_state *st = &fx->st;
    assert_true(st->show_rendering && st->show_stats && st->show_processing && st->show_inspector);
    assert_false(st->show_activation || st->show_layers);
    assert_string_equal(st->data_dir, NB_IDX_DEFAULT_DIR);
    assert_int_equal(st->selected_pair, -1);
    assert_ptr_equal(st->render_form.cfg, &fx->rc);
    assert_float_equal(st->processing.layer_width, 1.0, 0.0);
    assert_false(st->has_model);
    assert_int_equal(nb_gui_state_set_model(st, &fx->m, "m.nnb.h5"), NB_OK);
    assert_true(st->has_model);
    assert_string_equal(st->model_path, "m.nnb.h5");
    assert_int_equal(st->stats.n_nodes, 62);
    assert_int_equal(st->stats.n_edges, fx->m.bundle.n_edges);
    assert_int_equal(st->layers.n_layers, 3);
    assert_int_equal(st->n_classes, 10);
    assert_ptr_equal(st->class_names, fx->m.network.class_names);
    float rgb[3];
    nb_palette_color(7, rgb);
    assert_memory_equal(st->class_color[7], rgb, sizeof rgb);
    assert_int_equal(st->activation.n_nodes, 62);
    assert_int_equal(nb_gui_state_set_model(st, NULL, NULL), NB_OK);
    assert_false(st->has_model);
    assert_int_equal(st->stats.n_nodes, 0);
}

static void test_pick_thumbnails_and_overlay(void **state) {
    fixture *fx = *state;
    nb_gui_state *st = &fx->st;
    assert_int_equal(nb_gui_state_set_model(st, &fx->m, "m"), NB_OK);
    /* no data: the pick works, thumbnails are missing and the panel says why */
    snprintf(st->data_dir, sizeof st->data_dir, "%s", fx->dir);
    size_t node = 36 + 3;
    assert_int_equal(nb_gui_state_pick(st, &fx->m, (int64_t)node), NB_OK);
    assert_true(st->has_pick);
    assert_int_equal(st->pick.n_top, 8);
    assert_null(st->top_image[0].rgba);
    assert_non_null(strstr(st->inspector_message, "no thumbnails"));
    assert_non_null(strstr(st->inspector_message, fx->dir));
    assert_non_null(st->weight_image.rgba); /* layer 1: 36 input weights as 6 x 6 */
    assert_int_equal(st->weight_image.width, 6);
    assert_int_equal(st->weight_image.height, 6);
    assert_int_equal(st->pick_layer, 1);
    assert_int_equal(st->pick_index, 3);
    /* the edges touching the node, for the highlight */
    size_t touching = 0;
    for (size_t e = 0; e < fx->m.bundle.n_edges; e++)
        touching += fx->m.bundle.edge_source[e] == node || fx->m.bundle.edge_target[e] == node;
    assert_true(touching > 0);
    assert_int_equal(st->n_pick_edges, touching);
    /* with data of the wrong shape */
    write_dataset(fx->dir_small, 5);
    snprintf(st->data_dir, sizeof st->data_dir, "%s", fx->dir_small);
    assert_int_equal(nb_gui_state_load_test(st, true), NB_OK);
    assert_int_equal(nb_gui_state_pick(st, &fx->m, (int64_t)node), NB_OK);
    assert_null(st->top_image[0].rgba);
    assert_non_null(strstr(st->inspector_message, "25 values"));
    /* with the right data: 8 thumbnails of test images (i + k) % N_TEST */
    write_dataset(fx->dir, 6);
    snprintf(st->data_dir, sizeof st->data_dir, "%s", fx->dir);
    assert_int_equal(nb_gui_state_load_test(st, true), NB_OK);
    assert_non_null(strstr(st->data_message, "20 test images"));
    unsigned gen = st->top_image[0].generation;
    assert_int_equal(nb_gui_state_pick(st, &fx->m, (int64_t)node), NB_OK);
    assert_string_equal(st->inspector_message, "");
    for (size_t k = 0; k < 8; k++) {
        assert_non_null(st->top_image[k].rgba);
        assert_int_equal(st->top_image[k].width, 6);
        /* first pixel of test image (3 + k): value ((3 + k) * 10) / 255 as grey */
        assert_int_equal(st->top_image[k].rgba[0], ((3 + k) * 10) % 256);
    }
    assert_null(st->top_image[8].rgba);
    assert_true(st->top_image[0].generation != gen);
    /* overlay: the node's projection and one polyline per touching edge */
    nb_camera cam;
    camera_on(&fx->m, &cam);
    float vp[16];
    nb_camera_view_projection(&cam, 800.0f, 600.0f, vp);
    assert_int_equal(nb_gui_state_update_overlay(st, &fx->m, vp, 800.0f, 600.0f, 0.04), NB_OK);
    assert_true(st->overlay_visible);
    assert_int_equal(st->n_overlay_lines, touching);
    float sx, sy;
    assert_true(nb_camera_project(&cam, 800.0f, 600.0f, fx->m.bundle.node_position + 3 * node, &sx,
                                  &sy, NULL));
    assert_float_equal(st->overlay_node[0], sx, 0.05f);
    assert_float_equal(st->overlay_node[1], sy, 0.05f);
    assert_true(st->overlay_node[2] >= 7.0f);
    /* an invalid node clears the pick */
    nb_error_clear();
    assert_int_equal(nb_gui_state_pick(st, &fx->m, 62), NB_E_INVALID);
    assert_false(st->has_pick);
    assert_non_null(strstr(st->inspector_message, "node"));
    assert_int_equal(nb_gui_state_update_overlay(st, &fx->m, vp, 800.0f, 600.0f, 0.04), NB_OK);
    assert_false(st->overlay_visible);
    /* a negative node clears it too */
    assert_int_equal(nb_gui_state_pick(st, &fx->m, (int64_t)node), NB_OK);
    assert_int_equal(nb_gui_state_pick(st, &fx->m, -1), NB_OK);
    assert_false(st->has_pick);
}

/* Picking uses the radii the scene draws: with the default display normalisation a node's
 * radius is node_size times its display-scaled norm, not its raw norm, and nodes below the
 * threshold or outside the layer filter cannot be hit. */
static void test_node_radii_from_scene(void **state) {
    fixture *fx = *state;
    const nb_bundle_data *b = &fx->m.bundle;
    nb_rendering_config cfg;
    nb_config_defaults(&nb_rendering_schema, &cfg);
    nb_scene_desc desc;
    memset(&desc, 0, sizeof desc);
    nb_scene_desc_from_config(&cfg, &desc);
    nb_scene s;
    assert_int_equal(nb_scene_build(&fx->m, &desc, "test", &s), NB_OK);
    float *r = malloc(b->n_nodes * sizeof *r), *raw = malloc(b->n_nodes * sizeof *raw);
    assert_non_null(r);
    assert_non_null(raw);
    const double thr = 0.3;
    nb_gui_pick_node_radii_scene(&s, b->n_nodes, 0.06, thr, r);
    nb_gui_pick_node_radii(b, &fx->m.importance, 0.06, thr, raw);
    size_t differ = 0, drawn = 0;
    for (size_t i = 0; i < s.n_nodes; i++) {
        size_t g = s.node_id[i];
        float norm = s.nodes[i * NB_SCENE_NODE_FLOATS + NB_SCENE_NODE_POS + 3];
        float want = norm > thr ? 0.06f * norm : 0.0f;
        assert_float_equal(r[g], want, 1e-6f);
        drawn += want > 0.0f;
        differ += fabsf(r[g] - raw[g]) > 1e-6f;
    }
    print_message("%zu of %zu nodes pickable at threshold %.1f, %zu radii differ from the raw "
                  "norms\n",
                  drawn, s.n_nodes, thr, differ);
    assert_true(drawn > 0);
    assert_true(differ > 0); /* display scaling changes the radii on this network */
    /* every pickable node is found at its projection (or one in front of it) */
    nb_camera cam;
    camera_on(&fx->m, &cam);
    float vp[16];
    nb_camera_view_projection(&cam, 800.0f, 600.0f, vp);
    for (size_t g = 0; g < b->n_nodes; g++) {
        float sx, sy;
        if (!(r[g] > 0.0f) ||
            !nb_camera_project(&cam, 800.0f, 600.0f, b->node_position + 3 * g, &sx, &sy, NULL))
            continue;
        assert_true(nb_gui_state_node_at(&fx->m, &s, vp, 800.0f, 600.0f, sx, sy, 0.06, thr, -1) >=
                    0);
    }
    free(r);
    free(raw);
    nb_scene_deinit(&s);
}

static void test_node_at(void **state) {
    fixture *fx = *state;
    const nb_bundle_data *b = &fx->m.bundle;
    nb_camera cam;
    camera_on(&fx->m, &cam);
    float vp[16];
    nb_camera_view_projection(&cam, 800.0f, 600.0f, vp);
    int hits = 0;
    for (size_t g = 0; g < b->n_nodes; g++) {
        float sx, sy;
        assert_true(
            nb_camera_project(&cam, 800.0f, 600.0f, b->node_position + 3 * g, &sx, &sy, NULL));
        int64_t hit = nb_gui_state_node_at(&fx->m, NULL, vp, 800.0f, 600.0f, sx, sy, 0.04, 0.0, -1);
        assert_true(hit >= 0); /* this node or one in front of it */
        hits += hit == (int64_t)g;
        /* with only layer pair 1 shown, input nodes cannot be picked */
        int64_t filtered =
            nb_gui_state_node_at(&fx->m, NULL, vp, 800.0f, 600.0f, sx, sy, 0.04, 0.0, 1);
        assert_true(filtered == -1 || filtered >= 36);
    }
    assert_true(hits > (int)b->n_nodes / 2);
    /* far away from everything, and without /bundle */
    assert_int_equal(
        nb_gui_state_node_at(&fx->m, NULL, vp, 800.0f, 600.0f, 2.0f, 2.0f, 0.04, 0.0, -1), -1);
    fx->m.has_bundle = false;
    assert_int_equal(
        nb_gui_state_node_at(&fx->m, NULL, vp, 800.0f, 600.0f, 400.0f, 300.0f, 0.04, 0.0, -1), -1);
    fx->m.has_bundle = true;
    assert_int_equal(
        nb_gui_state_node_at(NULL, NULL, vp, 800.0f, 600.0f, 400.0f, 300.0f, 0.04, 0.0, -1), -1);
}

static void test_requests(void **state) {
    fixture *fx = *state;
    nb_gui_state *st = &fx->st;
    assert_int_equal(nb_gui_state_set_model(st, &fx->m, "m"), NB_OK);
    /* typed pick out of range, then valid */
    st->pick_layer = 1;
    st->pick_index = 99;
    st->requests = NB_GUI_REQ_PICK_NODE | NB_GUI_REQ_RUN;
    unsigned done = nb_gui_state_handle_requests(st, &fx->m);
    assert_int_equal(done, NB_GUI_REQ_PICK_NODE);
    assert_int_equal(st->requests, NB_GUI_REQ_RUN); /* left for the app */
    assert_false(st->has_pick);
    assert_string_equal(st->inspector_message, "no node 1:99 in this network");
    st->requests = NB_GUI_REQ_PICK_NODE;
    st->pick_index = 2;
    nb_gui_state_handle_requests(st, &fx->m);
    assert_true(st->has_pick);
    assert_int_equal(st->pick.node, 38);
    st->requests = NB_GUI_REQ_CLEAR_PICK;
    nb_gui_state_handle_requests(st, &fx->m);
    assert_false(st->has_pick);
    /* rendering save / reset / load through the buttons */
    fx->rc.node.size = 0.125;
    nb_gui_form_sync(&st->render_form);
    snprintf(st->render_path, sizeof st->render_path, "%s", fx->json);
    st->requests = NB_GUI_REQ_RENDER_SAVE;
    nb_gui_state_handle_requests(st, &fx->m);
    assert_non_null(strstr(st->render_message, "saved"));
    st->requests = NB_GUI_REQ_RENDER_RESET;
    nb_gui_state_handle_requests(st, &fx->m);
    assert_float_equal(fx->rc.node.size, 0.06, 0.0);
    st->requests = NB_GUI_REQ_RENDER_LOAD;
    nb_gui_state_handle_requests(st, &fx->m);
    assert_float_equal(fx->rc.node.size, 0.125, 0.0);
    assert_non_null(strstr(st->render_message, "loaded"));
    /* a bad file: error, settings kept */
    nb_test_write_text(fx->json, "{\"node_size\": -1}");
    st->requests = NB_GUI_REQ_RENDER_LOAD;
    nb_gui_state_handle_requests(st, &fx->m);
    assert_float_equal(fx->rc.node.size, 0.125, 0.0);
    assert_non_null(strstr(st->render_form.file_error, "node_size"));
    assert_string_equal(st->render_message, "");
}

static void test_activation(void **state) {
    fixture *fx = *state;
    nb_gui_state *st = &fx->st;
    assert_int_equal(nb_gui_state_set_model(st, &fx->m, "m"), NB_OK);
    /* off: nothing happens */
    assert_int_equal(nb_gui_state_update_activation(st, &fx->m), NB_OK);
    assert_false(st->activation.valid);
    /* no data: switched off with the reason */
    snprintf(st->data_dir, sizeof st->data_dir, "%s", fx->dir);
    st->activation_on = true;
    assert_int_equal(nb_gui_state_update_activation(st, &fx->m), NB_E_IO);
    assert_false(st->activation_on);
    assert_non_null(strstr(st->data_message, fx->dir));
    /* with data: the image index is clamped to the test set */
    write_dataset(fx->dir, 6);
    st->activation_on = true;
    st->activation_image = 25;
    st->requests = NB_GUI_REQ_ACTIVATION;
    nb_gui_state_handle_requests(st, &fx->m);
    assert_true(st->activation_on);
    assert_true(st->activation.valid);
    assert_int_equal(st->activation_image, N_TEST - 1);
    assert_int_equal(st->activation.image, N_TEST - 1);
    assert_int_equal(st->activation.label, (N_TEST - 1) % 10);
    assert_int_equal(st->activation_input.width, 6);
    /* without a network */
    nb_model empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(nb_gui_state_update_activation(st, &empty), NB_E_MISSING);
    assert_false(st->activation_on);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_and_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pick_thumbnails_and_overlay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_radii_from_scene, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_at, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
