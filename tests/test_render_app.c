/* test_render_app.c - nb_app in-process: init errors, live reload (new file, broken file, file
 * without /bundle, poll period), camera kept across reloads, scene rebuilt on config changes,
 * the interactive loop's keys and mouse (number keys set the pose and camera_pose). */
#include <sys/stat.h>
#include <unistd.h>

#include <SDL2/SDL.h>

#include "nb_app.h"
#include "nb_h5.h"
#include "nb_test.h"
#include "test_render_fixture.h"

typedef struct paths {
    char dir[64];
    char model[128];
    char shot[128];
    char tmp[128];
} paths;

static void make_paths(paths *p) {
    snprintf(p->dir, sizeof p->dir, "/tmp/nb_test_app_XXXXXX");
    assert_non_null(mkdtemp(p->dir));
    snprintf(p->model, sizeof p->model, "%s/net.nnb.h5", p->dir);
    snprintf(p->shot, sizeof p->shot, "%s/shot.png", p->dir);
    snprintf(p->tmp, sizeof p->tmp, "%s/tmp.bin", p->dir);
}

static void remove_paths(const paths *p) {
    remove(p->model);
    remove(p->shot);
    remove(p->tmp);
    rmdir(p->dir);
}

/* Writes a fixture model with the given layer sizes (bundle optional) to path. */
static void write_model(const char *path, const size_t *sizes, size_t n, bool bundle) {
    test_save_model(path, sizes, n, 4, 9, bundle);
}

/* Replaces path atomically with arbitrary bytes (what a broken writer could leave). */
static void write_garbage(const paths *p) {
    nb_test_write_text(p->tmp, "not an HDF5 file");
    assert_int_equal(rename(p->tmp, p->model), 0);
}

static void batch_options(nb_render_options *o, const paths *p) {
    memset(o, 0, sizeof *o);
    o->input = p->model;
    o->mode = NB_RUN_SCREENSHOT;
    o->screenshot_path = p->shot;
    o->width = 96;
    o->height = 64;
    o->camera = -1;
    o->count = 1;
    o->quit_after = -1;
    o->watch = true;
}

static const size_t small[3] = {4, 3, 2}, larger[3] = {6, 4, 2};

static void test_reload(void **state) {
    (void)state;
    paths p;
    make_paths(&p);
    write_model(p.model, small, 3, true);
    nb_render_options o;
    batch_options(&o, &p);
    nb_app app;
    if (nb_app_init(&app, &o) != NB_OK)
        fail_msg("init: %s", nb_error_message());
    if (nb_app_open_gl(&app) != NB_OK)
        fail_msg("GL: %s", nb_error_message());
    assert_int_equal(app.scene.n_nodes, 9);
    nb_camera_orbit(&app.camera, 33.0f, 5.0f);
    const nb_camera cam = app.camera;
    bool reloaded = true;

    /* unchanged file: nothing to do */
    assert_int_equal(nb_app_poll_reload(&app, true, &reloaded), NB_OK);
    assert_false(reloaded);

    /* a new version (written atomically by nb_h5_save) is picked up, camera kept */
    write_model(p.model, larger, 3, true);
    assert_int_equal(nb_app_poll_reload(&app, true, &reloaded), NB_OK);
    assert_true(reloaded);
    assert_int_equal(app.scene.n_nodes, 12);
    assert_memory_equal(&app.camera, &cam, sizeof cam);

    /* a broken file: error, previous scene kept */
    write_garbage(&p);
    assert_int_not_equal(nb_app_poll_reload(&app, true, &reloaded), NB_OK);
    assert_false(reloaded);
    assert_int_equal(app.scene.n_nodes, 12);
    assert_true(app.has_model);

    /* a file without /bundle: NB_E_MISSING, previous scene kept */
    write_model(p.model, small, 3, false);
    assert_int_equal(nb_app_poll_reload(&app, true, &reloaded), NB_E_MISSING);
    assert_false(reloaded);
    assert_int_equal(app.scene.n_nodes, 12);

    /* fixed again: reloaded */
    write_model(p.model, small, 3, true);
    assert_int_equal(nb_app_poll_reload(&app, true, &reloaded), NB_OK);
    assert_true(reloaded);
    assert_int_equal(app.scene.n_nodes, 9);

    /* without force the poll waits for its period (0.5 s) */
    write_model(p.model, larger, 3, true);
    assert_int_equal(nb_app_poll_reload(&app, false, &reloaded), NB_OK);
    assert_false(reloaded);
    app.watch_next = 0.0; /* as if 0.5 s had passed */
    assert_int_equal(nb_app_poll_reload(&app, false, &reloaded), NB_OK);
    assert_true(reloaded);
    assert_int_equal(app.scene.n_nodes, 12);
    /* --no-watch disables polling */
    write_model(p.model, small, 3, true);
    app.opt.watch = false;
    app.watch_next = 0.0;
    assert_int_equal(nb_app_poll_reload(&app, false, &reloaded), NB_OK);
    assert_false(reloaded);

    /* the screenshot mode draws and writes the PNG */
    assert_int_equal(nb_app_run(&app), NB_OK);
    struct stat sb;
    assert_int_equal(stat(p.shot, &sb), 0);
    nb_app_deinit(&app);
    remove_paths(&p);
}

static void test_config_changes_rebuild_scene(void **state) {
    (void)state;
    paths p;
    make_paths(&p);
    write_model(p.model, small, 3, true);
    nb_render_options o;
    batch_options(&o, &p);
    nb_app app;
    assert_int_equal(nb_app_init(&app, &o), NB_OK);
    assert_int_equal(nb_app_open_gl(&app), NB_OK);
    assert_int_equal(app.scene_desc.class_view, NB_CLASS_VIEW_ALL);
    app.config.class_view = NB_CLASS_VIEW_INDEPENDENT;
    assert_int_equal(nb_app_run(&app), NB_OK);
    assert_int_equal(app.scene.class_view, NB_CLASS_VIEW_INDEPENDENT);
    /* an impossible class: the previous scene stays, the frame is still drawn */
    app.config.class_view = NB_CLASS_VIEW_ONE;
    app.config.class_index = 5;
    remove(p.shot);
    assert_int_equal(nb_app_run(&app), NB_OK);
    assert_int_equal(app.scene.class_view, NB_CLASS_VIEW_INDEPENDENT);
    struct stat sb;
    assert_int_equal(stat(p.shot, &sb), 0);
    /* scene_dirty forces a rebuild with the current (valid) config */
    app.config.class_index = 1;
    app.scene_dirty = true;
    assert_int_equal(nb_app_run(&app), NB_OK);
    assert_int_equal(app.scene.class_view, NB_CLASS_VIEW_ONE);
    assert_int_equal(app.scene.class_index, 1);
    assert_false(app.scene_dirty);
    nb_app_deinit(&app);
    remove_paths(&p);
}

static void push_key(SDL_Keycode k) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_KEYDOWN;
    ev.key.keysym.sym = k;
    assert_true(SDL_PushEvent(&ev) >= 0);
}

/* The interactive loop under SDL_VIDEODRIVER=offscreen, driven by synthetic events. */
static void test_interactive_events(void **state) {
    (void)state;
    paths p;
    make_paths(&p);
    write_model(p.model, small, 3, true);
    nb_render_options o;
    batch_options(&o, &p);
    o.mode = NB_RUN_INTERACTIVE;
    o.screenshot_path = NULL;
    o.quit_after = 2;
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    nb_app app;
    assert_int_equal(nb_app_init(&app, &o), NB_OK);
    if (nb_app_open_gl(&app) != NB_OK)
        fail_msg("GL: %s", nb_error_message());
    /* the distance pose 1 gets (framed on the drawing with camera_fit) */
    nb_camera saved = app.camera;
    assert_true(nb_app_set_pose(&app, 1, NULL));
    const float d1 = app.camera.distance;
    app.camera = saved;
    /* key 1: FRONT pose; H: auto-orbit on; wheel: zoom in */
    push_key(SDLK_1);
    push_key(SDLK_h);
    SDL_Event wheel;
    memset(&wheel, 0, sizeof wheel);
    wheel.type = SDL_MOUSEWHEEL;
    wheel.wheel.y = 2;
    assert_true(SDL_PushEvent(&wheel) >= 0);
    assert_int_equal(nb_app_run(&app), NB_OK);
    assert_int_equal(app.frame, 2);
    assert_true(app.config.auto_orbit);
    /* the key pose is also the config's camera_pose (the GUI's field shows it) */
    assert_int_equal(app.config.camera_pose, 1);
    assert_int_equal(app.camera_pose_applied, 1);
    /* FRONT is yaw 0; two frames of auto-orbit at 0.5 degrees */
    assert_true(app.camera.yaw > 0.9f && app.camera.yaw < 1.1f);
    assert_true(app.camera.pitch > -0.01f && app.camera.pitch < 0.01f);
    print_message("distance %g, pose-1 fit %g\n", app.camera.distance, d1);
    assert_true(fabsf(app.camera.distance - d1 * 0.81f) < 0.01f * d1); /* two steps of 0.9 */
    /* left drag orbits */
    float yaw = app.camera.yaw;
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEBUTTONDOWN;
    ev.button.button = SDL_BUTTON_LEFT;
    assert_true(SDL_PushEvent(&ev) >= 0);
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEMOTION;
    ev.motion.xrel = 20;
    assert_true(SDL_PushEvent(&ev) >= 0);
    app.config.auto_orbit = false;
    app.opt.quit_after = 3;
    assert_int_equal(nb_app_run(&app), NB_OK);
    assert_true(app.camera.yaw > yaw + 9.9f && app.camera.yaw < yaw + 10.1f);
    /* K writes <stem>_<UTC>.png into the current directory; ESC ends the loop early */
    char cwd[512], shot_dir[128];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(shot_dir, sizeof shot_dir, "%s", p.dir);
    assert_int_equal(chdir(shot_dir), 0);
    push_key(SDLK_k);
    push_key(SDLK_ESCAPE);
    app.opt.quit_after = 1000;
    uint64_t before = app.frame;
    assert_int_equal(nb_app_run(&app), NB_OK);
    assert_true(app.frame - before <= 2);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s/net_*Z.png > /dev/null 2>&1", shot_dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -f %s/net_*.png", shot_dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(chdir(cwd), 0);
    nb_app_deinit(&app);
    remove_paths(&p);
}

static void test_init_errors(void **state) {
    (void)state;
    paths p;
    make_paths(&p);
    nb_render_options o;
    batch_options(&o, &p);
    nb_app app;
    /* missing file */
    assert_int_equal(nb_app_init(&app, &o), NB_E_IO);
    assert_string_equal(nb_error_subject(), p.model);
    nb_app_deinit(&app);
    /* no /bundle: names the group and the command that makes it */
    write_model(p.model, small, 3, false);
    assert_int_equal(nb_app_init(&app, &o), NB_E_MISSING);
    char subject[256];
    snprintf(subject, sizeof subject, "%s /bundle", p.model);
    assert_string_equal(nb_error_subject(), subject);
    assert_non_null(strstr(nb_error_message(), "nnbundle bundle"));
    nb_app_deinit(&app);
    /* bad --set */
    write_model(p.model, small, 3, true);
    o.sets[0] = "edge_mode=wobbly";
    o.n_sets = 1;
    assert_int_equal(nb_app_init(&app, &o), NB_E_CONFIG);
    assert_non_null(strstr(nb_error_subject(), "edge_mode"));
    nb_app_deinit(&app);
    /* a class the network does not have */
    o.sets[0] = "class_view=class";
    o.sets[1] = "class_index=7";
    o.n_sets = 2;
    assert_int_equal(nb_app_init(&app, &o), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "class_index");
    nb_app_deinit(&app);
    /* --layers beyond the network */
    o.n_sets = 0;
    o.filter_layers = true;
    o.pair_first = 1;
    o.pair_last = 2;
    assert_int_equal(nb_app_init(&app, &o), NB_E_CONFIG);
    assert_string_equal(nb_error_subject(), "--layers");
    nb_app_deinit(&app);
    /* a missing config file */
    o.filter_layers = false;
    o.config_path = "/no/such/rendering.json";
    assert_int_equal(nb_app_init(&app, &o), NB_E_IO);
    nb_app_deinit(&app);
    remove_paths(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_config_changes_rebuild_scene),
        cmocka_unit_test(test_interactive_events),
        cmocka_unit_test(test_init_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
