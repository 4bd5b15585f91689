/* test_gui_app.c - the GUI inside nnbundle-render's real interactive loop, headless
 * (SDL_VIDEODRIVER=offscreen): a scripted run (NB_GUI_SCRIPT) pushes synthetic SDL mouse
 * events that drag a rendering slider and click a node; the test checks that the config and
 * the uniform derived from it changed, that the clicked node is the one whose screen position
 * the test computed from the camera, that the inspector found its top-activating images, that
 * loading a bad rendering.json shows the error and keeps the settings, and that the
 * activation view predicts what a direct forward pass predicts. A second session checks the
 * viewer's input rules in the real loop: the scene centred in the area the sidebar leaves
 * free, press on a panel + release on the scene (no orbit) and the reverse (orbit ends),
 * wheel over a panel (no zoom) and over the scene, camera_pose from the panel and from the
 * keys, the hide/show key, and an output node named by its class. */
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "nb_app.h"
#include "nb_bundle.h"
#include "nb_camera.h"
#include "nb_gui_layout.h"
#include "nb_h5.h"
#include "nb_importance.h"
#include "nb_mlp.h"
#include "nb_options.h"
#include "nb_random.h"
#include "nb_screenshot.h"
#include "nb_rng.h"
#include "nb_test.h"

#define WIN_W  1024
#define WIN_H  640
#define N_TEST 20

typedef struct fixture {
    char model_path[256], data_dir[256], bad_json[256], report[3][256], shot[256];
    char saved_json[256], rt_shot[3][256]; /* rendering.json round trip: before, changed, after */
    nb_model model;                        /* what was saved */
    float images[N_TEST * 36];
    uint8_t labels[N_TEST];
} fixture;

/* A 6x6-pixel "test set" in raw IDX files, as nb_idx_load_dir reads them. */
static void write_dataset(fixture *fx) {
    nb_rng rng;
    nb_rng_init(&rng, 11);
    unsigned char pix[N_TEST * 36];
    for (size_t i = 0; i < N_TEST * 36; i++) {
        pix[i] = (unsigned char)nb_rng_below(&rng, 256);
        fx->images[i] = (float)pix[i] / 255.0f;
    }
    for (size_t i = 0; i < N_TEST; i++)
        fx->labels[i] = (uint8_t)(i % 10);
    nb_test_write_idx_test_split(fx->data_dir, N_TEST, 6, 6, pix, fx->labels);
}

/* 36-16-10 random network, random importance with 9 top images per hidden node, straight
 * bundled edges (both advection phases off: fast), saved as a .nnb.h5 file. */
static void write_model(fixture *fx) {
    nb_model *m = &fx->model;
    memset(m, 0, sizeof *m);
    const size_t sizes[3] = {36, 16, 10};
    assert_int_equal(nb_random_network_init(&m->network, 3, sizes, 9), NB_OK);
    m->has_network = true;
    assert_int_equal(nb_network_set_class_name(&m->network, 1, "Trouser"), NB_OK);
    nb_importance rnd;
    assert_int_equal(nb_importance_random(&m->network, 9, &rnd), NB_OK);
    assert_int_equal(nb_importance_init(&m->importance, 3, sizes, 9), NB_OK);
    m->has_importance = true;
    memcpy(m->importance.node, rnd.node, rnd.node_offset[3] * sizeof(float));
    snprintf(m->importance.method, sizeof m->importance.method, "random");
    nb_importance_deinit(&rnd);
    nb_importance_fill_alpha(&m->network, &m->importance);
    int32_t *top = nb_importance_top(&m->importance, 1);
    for (size_t i = 0; i < 16; i++)
        for (size_t k = 0; k < 9; k++)
            top[i * 9 + k] = (int32_t)((i + 2 * k) % N_TEST);
    nb_processing_config cfg;
    nb_config_defaults(&nb_processing_schema, &cfg);
    cfg.node_advection = false;
    cfg.edge_advection = false;
    cfg.prune_percentage = 0.5;
    nb_bundle_state *b = NULL;
    nb_bundle_settings bs;
    assert_int_equal(nb_bundle_settings_from_config(&cfg, &bs), NB_OK);
    assert_int_equal(nb_bundle_create(&bs, &m->network, &m->importance, 1, &b), NB_OK);
    assert_int_equal(nb_bundle_finish(b, &m->bundle), NB_OK);
    nb_bundle_destroy(b);
    m->has_bundle = true;
    assert_int_equal(nb_h5_save(fx->model_path, m), NB_OK);
}

static cJSON *read_json(const char *path) {
    char *text = nb_test_read_file(path, NULL);
    if (!text)
        fail_msg("no report %s", path);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

static double num(const cJSON *j, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v))
        fail_msg("report has no number %s", key);
    return v->valuedouble;
}

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    long pid = (long)getpid();
    snprintf(fx->model_path, sizeof fx->model_path, "test_gui_app_%ld.nnb.h5", pid);
    snprintf(fx->data_dir, sizeof fx->data_dir, "test_gui_app_%ld_data", pid);
    snprintf(fx->bad_json, sizeof fx->bad_json, "test_gui_app_%ld_bad.json", pid);
    for (int i = 0; i < 3; i++)
        snprintf(fx->report[i], sizeof fx->report[i], "test_gui_app_%ld_r%d.json", pid, i);
    snprintf(fx->shot, sizeof fx->shot, "test_gui_app_%ld.png", pid);
    snprintf(fx->saved_json, sizeof fx->saved_json, "test_gui_app_%ld_saved.json", pid);
    for (int i = 0; i < 3; i++)
        snprintf(fx->rt_shot[i], sizeof fx->rt_shot[i], "test_gui_app_%ld_rt%d.png", pid, i);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    remove(fx->model_path);
    remove(fx->bad_json);
    remove(fx->shot);
    remove(fx->saved_json);
    for (int i = 0; i < 3; i++)
        remove(fx->rt_shot[i]);
    for (int i = 0; i < 3; i++)
        remove(fx->report[i]);
    nb_test_remove_tree(fx->data_dir);
    nb_model_deinit(&fx->model);
    free(fx);
    return 0;
}

/* The area the default sidebar leaves free in a WIN_W x WIN_H window. */
static void free_area(float fr[4]) {
    const float side[1][4] = {{WIN_W - nb_gui_layout_sidebar_width(WIN_W), 0.0f, WIN_W, WIN_H}};
    nb_gui_layout_free_rect(WIN_W, WIN_H, side, 1, fr);
}

/* An app on the fixture's model in a WIN_W x WIN_H window, GL open, ending after quit_after
 * frames at the latest. */
static void open_app(const fixture *fx, const char *quit_after, nb_app *app) {
    char a0[] = "nnbundle-render", a2[] = "--size", a3[] = "1024x640", a4[] = "--quit-after",
         a6[] = "--no-watch", model[256], a5[32];
    snprintf(model, sizeof model, "%s", fx->model_path);
    snprintf(a5, sizeof a5, "%s", quit_after);
    char *argv[] = {a0, model, a2, a3, a4, a5, a6, NULL};
    nb_render_options opt;
    char err[256];
    assert_int_equal(nb_options_parse(7, argv, &opt, err, sizeof err), NB_RENDER_EXIT_OK);
    assert_int_equal(nb_app_init(app, &opt), NB_OK);
    if (nb_app_open_gl(app) != NB_OK)
        fail_msg("no GL: %s", nb_error_message());
}

/* A hidden-layer node that the camera of the first GUI frame (the drawing framed into the
 * free area fr) shows inside fr with no other node within 10 px: its id and pixel. */
static int64_t isolated_node(nb_app *app, const float fr[4], float *tx, float *ty) {
    assert_true(nb_app_fit_camera(app, fr));
    const nb_camera cam = app->camera;
    const nb_bundle_data *b = &app->model.bundle;
    for (int64_t g = b->layer_offset[1]; g < b->layer_offset[2]; g++) {
        float sx, sy;
        if (!nb_camera_project(&cam, WIN_W, WIN_H, b->node_position + 3 * g, &sx, &sy, NULL))
            continue;
        if (!(sx > 20.0f && sx < fr[2] - 20.0f && sy > 40.0f && sy < WIN_H - 20.0f))
            continue;
        bool alone = true;
        for (size_t o = 0; o < b->n_nodes; o++) {
            float ox, oy;
            if ((int64_t)o != g &&
                nb_camera_project(&cam, WIN_W, WIN_H, b->node_position + 3 * o, &ox, &oy, NULL) &&
                hypotf(ox - sx, oy - sy) < 10.0f)
                alone = false;
        }
        if (alone) {
            *tx = sx;
            *ty = sy;
            return g;
        }
    }
    fail_msg("no isolated node in the free area");
    return -1;
}

/* rendering.json saved, settings changed, file loaded again: the same image (the part of the
 * window not covered by panels; the panels show different messages). */
static void check_round_trip(const fixture *fx, const float fr[4]) {
    unsigned char *img[3];
    int iw[3], ih[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(nb_screenshot_read_png(fx->rt_shot[i], &img[i], &iw[i], &ih[i]), NB_OK);
        assert_true(iw[i] == WIN_W && ih[i] == WIN_H);
    }
    size_t differ_changed = 0, differ_reloaded = 0;
    for (int y = 40; y < WIN_H - 20; y++)
        for (int x = 20; x < (int)fr[2] - 20; x++)
            for (int c = 0; c < 3; c++) {
                size_t k = ((size_t)y * WIN_W + (size_t)x) * 3 + (size_t)c;
                differ_changed += img[0][k] != img[1][k];
                differ_reloaded += img[0][k] != img[2][k];
            }
    assert_true(differ_changed > 1000);   /* the change was visible ... */
    assert_int_equal(differ_reloaded, 0); /* ... and the reloaded file gives the same pixels */
    for (int i = 0; i < 3; i++)
        free(img[i]);
}

static void test_scripted_session(void **state) {
    fixture *fx = *state;
    write_dataset(fx);
    write_model(fx);
    FILE *f = fopen(fx->bad_json, "w");
    assert_non_null(f);
    fputs("{\"edge_base_opacity\": 0.3, \"node_size\": 7}\n", f);
    fclose(f);

    nb_app app;
    open_app(fx, "400", &app);
    float fr[4], tx = 0, ty = 0;
    free_area(fr);
    const int64_t target = isolated_node(&app, fr, &tx, &ty);
    const nb_bundle_data *b = &app.model.bundle;

    char script[4096];
    snprintf(script, sizeof script,
             "wait 2; rsave %s; wait 1; screenshot %s; set edge_size=0.05; "
             "set node_base_opacity=0.3; set background=0.9,0.9,1; wait 1; screenshot %s; "
             "rload %s; wait 1; screenshot %s; "
             "data %s; drag edge_depth_opacity 0.1 0.9; wait 1; click %d %d; wait 1; "
             "report %s; rload %s; wait 1; report %s; activation 3; wait 2; report %s; "
             "screenshot %s; quit",
             fx->saved_json, fx->rt_shot[0], fx->rt_shot[1], fx->saved_json, fx->rt_shot[2],
             fx->data_dir, (int)tx, (int)ty, fx->report[0], fx->bad_json, fx->report[1],
             fx->report[2], fx->shot);
    assert_int_equal(setenv("NB_GUI_SCRIPT", script, 1), 0);
    assert_int_equal(nb_app_run(&app), NB_OK);
    unsetenv("NB_GUI_SCRIPT");
    assert_true(app.frame < 400); /* the script quit, not --quit-after */

    check_round_trip(fx, fr);
    /* 1. the slider drag changed the config, and the uniform derived from it */
    double v = app.config.edge.depth_opacity;
    assert_true(v > 0.8 && v < 1.0);
    assert_float_equal(app.params.edge.depth_opacity, (float)v, 1e-6f);
    assert_float_equal(app.config.node.depth_opacity, 0.5f, 1e-9f);
    cJSON *r0 = read_json(fx->report[0]);
    assert_float_equal(num(r0, "uniform_edge_depth_opacity"), (float)v, 1e-6f);
    /* ... in the same frame: no frame was presented with uniforms older than the config */
    assert_int_equal((int)num(r0, "stale_frames"), 0);
    /* 2. the click picked the node under the cursor */
    assert_int_equal((int64_t)num(r0, "last_click_pick"), target);
    assert_int_equal((int64_t)num(r0, "pick_node"), target);
    assert_int_equal((int64_t)num(r0, "pick_layer"), 1);
    assert_int_equal((int64_t)num(r0, "pick_index"), target - b->layer_offset[1]);
    assert_int_equal((int)num(r0, "pick_top_images"), 9);
    assert_int_equal((int)num(r0, "pick_thumbnails"), 9);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r0, "pick_weight_image")));
    assert_true(num(r0, "overlay_lines") >= 1.0);
    /* 3. the bad rendering.json: error shown, settings kept */
    cJSON *r1 = read_json(fx->report[1]);
    const cJSON *e = cJSON_GetObjectItem(r1, "render_file_error");
    assert_true(cJSON_IsString(e));
    assert_non_null(strstr(e->valuestring, "node_size"));
    assert_non_null(strstr(e->valuestring, fx->bad_json));
    assert_true(cJSON_Compare(cJSON_GetObjectItem(r0, "rendering"),
                              cJSON_GetObjectItem(r1, "rendering"), 1));
    assert_float_equal(app.config.edge.base_opacity, 0.0f, 0.0f);
    /* 4. the activation view predicts what a direct forward pass predicts */
    cJSON *r2 = read_json(fx->report[2]);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r2, "activation_on")));
    assert_int_equal((int)num(r2, "activation_image"), 3);
    assert_int_equal((int)num(r2, "activation_label"), fx->labels[3]);
    float logits[10];
    assert_int_equal(nb_mlp_forward(&fx->model.network, fx->images + 3 * 36, 1, logits, NULL),
                     NB_OK);
    int best = 0;
    for (int c = 1; c < 10; c++)
        if (logits[c] > logits[best])
            best = c;
    assert_int_equal((int)num(r2, "activation_predicted"), best);
    /* the shown model is the derived one: an input node's importance is the file's times its
     * pixel value */
    const float *v0 = nb_importance_node(&app.model.importance, 0);
    const float *f0 = nb_importance_node(&fx->model.importance, 0);
    for (size_t c = 0; c < 10; c++)
        assert_float_equal(v0[5 * 10 + c], f0[5 * 10 + c] * fx->images[3 * 36 + 5], 1e-6f);
    /* 5. the window screenshot (scene + panels) */
    struct stat sb;
    assert_int_equal(stat(fx->shot, &sb), 0);
    assert_true(sb.st_size > 1000);
    cJSON_Delete(r0);
    cJSON_Delete(r1);
    cJSON_Delete(r2);
    nb_app_deinit(&app);
}

static const cJSON *item(const cJSON *j, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v)
        fail_msg("report has no %s", key);
    return v;
}

static double arr(const cJSON *j, const char *key, int i) {
    const cJSON *a = item(j, key);
    const cJSON *v = cJSON_GetArrayItem(a, i);
    if (!cJSON_IsNumber(v))
        fail_msg("report %s[%d] is not a number", key, i);
    return v->valuedouble;
}

/* The drawing (its projected extent, from the camera of report r) is centred in the free
 * area fr and inside it. */
static void check_centred(const nb_app *app, const cJSON *r, const float fr[4]) {
    nb_camera c0 = app->camera;
    c0.shift[0] = (float)arr(r, "camera_shift", 0);
    c0.shift[1] = (float)arr(r, "camera_shift", 1);
    c0.yaw = (float)num(r, "camera_yaw");
    c0.pitch = (float)num(r, "camera_pitch");
    c0.distance = (float)num(r, "camera_distance");
    for (int k = 0; k < 3; k++)
        c0.target[k] = (float)arr(r, "camera_target", k);
    nb_camera_extent ext;
    nb_camera_extent_begin(&ext, &c0, WIN_W, WIN_H);
    nb_scene_bound_drawn(&app->scene, &app->params, NULL, &ext);
    float box[4];
    assert_true(nb_camera_extent_pixels(&ext, &c0, WIN_W, WIN_H, box));
    nb_assert_near(0.5 * (box[0] + box[2]), 0.5 * (fr[0] + fr[2]), 1.0);
    nb_assert_near(0.5 * (box[1] + box[3]), 0.5 * (fr[1] + fr[3]), 1.0);
    assert_true(box[0] >= fr[0] - 1.0f && box[2] <= fr[2] + 1.0f);
}

/* The viewer's input rules in the real loop (events pushed by the script, nb_app's own
 * handlers for the scene). */
static void test_viewer_interaction(void **state) {
    fixture *fx = *state;
    write_dataset(fx);
    write_model(fx);
    nb_app app;
    open_app(fx, "400", &app);
    float fr[4];
    free_area(fr);
    const int side_x = (int)fr[2] + 60; /* a point on the sidebar, below its tab bar */
    char rp[10][300];
    for (int i = 0; i < 10; i++)
        snprintf(rp[i], sizeof rp[i], "%s.i%d.json", fx->model_path, i);
    char script[4096];
    snprintf(script, sizeof script,
             /* 0: the layout */
             "wait 3; report %s; "
             /* 1: press on the sidebar, drag out over the scene, release there */
             "move %d 300; press %d 300; move 300 300; move 200 310; release 200 310; wait 1; "
             "report %s; "
             /* 2: press on the scene, drag onto the sidebar, release there */
             "move 300 300; press 300 300; move 340 300; move %d 300; release %d 300; wait 1; "
             "report %s; "
             /* 3, 4: wheel over the sidebar, then over the scene */
             "wheel %d 300 3; wait 1; report %s; wheel 300 300 2; wait 1; report %s; "
             /* 5: camera_pose through the Rendering panel's field; 6: key 3 */
             "set camera_pose=1; wait 1; report %s; key 3; wait 1; report %s; "
             /* 7: Tab hides every panel, 8: Tab shows them */
             "key Tab; wait 2; report %s; key Tab; wait 2; report %s; "
             /* 9: an output node */
             "pick 2:1; wait 1; report %s; quit",
             rp[0], side_x, side_x, rp[1], side_x, side_x, rp[2], side_x, rp[3], rp[4], rp[5],
             rp[6], rp[7], rp[8], rp[9]);
    assert_int_equal(setenv("NB_GUI_SCRIPT", script, 1), 0);
    assert_int_equal(nb_app_run(&app), NB_OK);
    unsetenv("NB_GUI_SCRIPT");
    assert_true(app.frame < 400);
    cJSON *r[10];
    for (int i = 0; i < 10; i++)
        r[i] = read_json(rp[i]);

    /* 0. one panel (the sidebar) over a quarter of the window, at most 280 px of 1024; the
     * scene centred in the rest: the camera's lens shift puts the image centre there */
    assert_int_equal((int)num(r[0], "panel_rects"), 1);
    nb_assert_near(num(r[0], "panel_share"), (WIN_W - fr[2]) / WIN_W, 1e-6);
    for (int k = 0; k < 4; k++)
        nb_assert_near(arr(r[0], "view_rect", k), fr[k], 1e-3);
    check_centred(&app, r[0], fr);
    /* 1. press on a panel, release on the scene: no orbit, the camera did not move */
    assert_false(cJSON_IsTrue(item(r[1], "orbiting")));
    nb_assert_near(num(r[1], "camera_yaw"), num(r[0], "camera_yaw"), 1e-4);
    nb_assert_near(num(r[1], "camera_pitch"), num(r[0], "camera_pitch"), 1e-4);
    /* 2. press on the scene, release on a panel: the camera orbited by the drag (0.5 degrees
     * per pixel) and the orbit ended with the release */
    assert_false(cJSON_IsTrue(item(r[2], "orbiting")));
    double turned = fmod(num(r[2], "camera_yaw") - num(r[1], "camera_yaw") + 720.0, 360.0);
    nb_assert_near(turned, fmod(0.5 * (side_x - 300), 360.0), 1e-3);
    /* 3. wheel over the sidebar: no zoom; 4. over the scene: two steps of 0.9 */
    nb_assert_near(num(r[3], "camera_distance"), num(r[2], "camera_distance"), 1e-6);
    nb_assert_near(num(r[4], "camera_distance"), 0.81 * num(r[3], "camera_distance"), 1e-4);
    /* 5. camera_pose = 1 (FRONT, offset (3.5, 0, 0)) moves the camera: its direction, and
     * the distance that frames the drawing into the free area from there (camera_fit) */
    nb_camera saved = app.camera;
    assert_true(nb_app_set_pose(&app, 1, fr));
    const double d_front = app.camera.distance;
    assert_true(nb_app_set_pose(&app, 3, fr));
    const double d_back_right = app.camera.distance;
    app.camera = saved;
    nb_assert_near(num(r[5], "camera_yaw"), 0.0, 1e-3);
    nb_assert_near(num(r[5], "camera_pitch"), 0.0, 1e-3);
    nb_assert_near(num(r[5], "camera_distance"), d_front, 1e-3 * d_front);
    /* 6. key 3 (BACK_RIGHT, (-2.5, 0, 2.5)) moves it and shows in the config */
    nb_assert_near(num(r[6], "camera_yaw"), 135.0, 1e-3);
    nb_assert_near(num(r[6], "camera_distance"), d_back_right, 1e-3 * d_back_right);
    assert_int_equal((int)num(item(r[6], "rendering"), "camera_pose"), 3);
    /* 7. Tab: no panel, the picture follows the free area's centre into the whole window
     * (a lens shift by the move of the centre, 2 * dx / width in NDC); 8. Tab: back */
    assert_true(cJSON_IsTrue(item(r[7], "panels_hidden")));
    assert_int_equal((int)num(r[7], "panel_rects"), 0);
    nb_assert_near(num(r[7], "panel_share"), 0.0, 1e-9);
    nb_assert_near(arr(r[7], "view_rect", 2), WIN_W, 1e-3);
    const double dx_ndc = (WIN_W - fr[2]) / WIN_W; /* 2 * ((W - fr[2]) / 2) / W */
    nb_assert_near(arr(r[7], "camera_shift", 0) - arr(r[6], "camera_shift", 0), dx_ndc, 1e-5);
    nb_assert_near(arr(r[7], "camera_shift", 1), arr(r[6], "camera_shift", 1), 1e-6);
    assert_false(cJSON_IsTrue(item(r[8], "panels_hidden")));
    assert_int_equal((int)num(r[8], "panel_rects"), 1);
    nb_assert_near(arr(r[8], "view_rect", 2), fr[2], 1e-3);
    nb_assert_near(arr(r[8], "camera_shift", 0), arr(r[6], "camera_shift", 0), 1e-5);
    /* 9. an output node is named by its class */
    const cJSON *title = item(r[9], "pick_title");
    assert_true(cJSON_IsString(title));
    assert_string_equal(title->valuestring, "Node 2:1 (output, class 1 \"Trouser\", id 53)");
    for (int i = 0; i < 10; i++) {
        cJSON_Delete(r[i]);
        remove(rp[i]);
    }
    nb_app_deinit(&app);
}

static double checksum(const nb_bundle_data *b) {
    double sum = 0.0;
    for (size_t i = 0; i < 3 * b->n_points; i++)
        sum += (double)b->point_position[i] * (double)(1 + i % 7);
    return sum;
}

/* Processing from the viewer: run + cancel puts the file's network back and leaves the file
 * untouched; run to the end shows the result, which is saved only when asked. */
static void test_processing_session(void **state) {
    fixture *fx = *state;
    write_model(fx);
    size_t n_before = 0;
    char *before = nb_test_read_file(fx->model_path, &n_before);
    assert_non_null(before);
    char out[300];
    snprintf(out, sizeof out, "%s.out.nnb.h5", fx->model_path);
    nb_app app;
    open_app(fx, "100000", &app);
    char script[2048];
    snprintf(script, sizeof script,
             "wait 1; pset density=exact; run; cancel; wait-job; report %s; pset density=fast; "
             "pset sampling_rate=8; run; wait-job; "
             "report %s; save %s; wait 1; report %s; quit",
             fx->report[0], fx->report[1], out, fx->report[2]);
    assert_int_equal(setenv("NB_GUI_SCRIPT", script, 1), 0);
    assert_int_equal(nb_app_run(&app), NB_OK);
    unsetenv("NB_GUI_SCRIPT");
    cJSON *r0 = read_json(fx->report[0]), *r1 = read_json(fx->report[1]),
          *r2 = read_json(fx->report[2]);
    /* the run to the end: result shown, not saved until asked, then saved */
    const cJSON *phase1 = cJSON_GetObjectItem(r1, "processing_phase");
    assert_string_equal(phase1->valuestring, "done");
    assert_non_null(
        strstr(cJSON_GetObjectItem(r1, "processing_message")->valuestring, "not saved yet"));
    assert_true(num(r1, "processing_snapshots") > 2.0);
    assert_true(num(r1, "shown_checksum") != checksum(&fx->model.bundle)); /* bundled now */
    assert_non_null(strstr(cJSON_GetObjectItem(r2, "processing_message")->valuestring, out));
    nb_model saved;
    assert_int_equal(nb_h5_load(out, &saved), NB_OK);
    assert_true(saved.has_network && saved.has_importance && saved.has_bundle);
    assert_int_equal((double)saved.bundle.n_points, num(r1, "shown_points"));
    assert_true(fabs(checksum(&saved.bundle) - num(r1, "shown_checksum")) <=
                1e-9 * fabs(checksum(&saved.bundle)));
    nb_model_deinit(&saved);
    remove(out);
    /* the viewer's file was never written */
    size_t n_after = 0;
    char *after = nb_test_read_file(fx->model_path, &n_after);
    assert_non_null(after);
    assert_int_equal(n_after, n_before);
    assert_memory_equal(before, after, n_before);
    free(before);
    free(after);
    const cJSON *phase0 = cJSON_GetObjectItem(r0, "processing_phase");
    bool cancelled = strcmp(phase0->valuestring, "cancelled") == 0;
    if (cancelled) {
        /* cancel: the file's network is shown again */
        assert_non_null(
            strstr(cJSON_GetObjectItem(r0, "processing_message")->valuestring, "cancelled"));
        assert_int_equal((size_t)num(r0, "shown_points"), fx->model.bundle.n_points);
        assert_true(num(r0, "shown_checksum") == checksum(&fx->model.bundle));
    }
    cJSON_Delete(r0);
    cJSON_Delete(r1);
    cJSON_Delete(r2);
    nb_app_deinit(&app);
    if (!cancelled)
        skip(); /* the first run ended before the cancel reached it: cancel not checked */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scripted_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_processing_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_viewer_interaction, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
