/* nb_app.h - nnbundle-render's application state and main loop (the GUI's integration point).
 *
 * One nb_app holds everything a frame needs: options, the live rendering config (the GUI's
 * sliders edit app->config directly; uniforms are re-derived every frame), the loaded model,
 * the scene built from it, the window + GL context, the renderer, the camera, frame counters
 * and the "scene dirty" flag. nb_app.c's interactive loop has marked GUI hook points:
 *   / * GUI hook: init * /      after the window, renderer and scene exist, before the loop
 *   / * GUI hook: event * /     first thing for every SDL event; set `consumed = true` when the
 *                               GUI used it and the renderer's own handling is skipped
 *   / * GUI hook: frame * /     after the scene is drawn and shown, before the buffer swap
 *   / * GUI hook: shutdown * /  after the loop, while the GL context still exists
 * The GUI engineer may edit exactly those hook lines. Batch modes (--screenshot, --frames,
 * --benchmark) never call the hooks.
 * Scene rebuilds: set scene_dirty (or call nb_app_rebuild_scene) after replacing the model;
 * class_view, class_index, background and the layer filter are watched every frame and
 * rebuild the scene by themselves. Main thread only.
 */
#ifndef NB_APP_H
#define NB_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "nb_camera.h"
#include "nb_config.h"
#include "nb_model.h"
#include "nb_options.h"
#include "nb_render_params.h"
#include "nb_renderer.h"
#include "nb_scene.h"
#include "nb_status.h"
#include "nb_window.h"

typedef struct nb_app {
    nb_render_options opt;
    const char *path;           /* the input file (argv storage) */
    nb_rendering_config config; /* live config: defaults, --config, --set, then GUI edits */
    nb_render_params params;    /* derived from config at the start of every frame */
    nb_model model;             /* the loaded file (owned) */
    bool has_model;
    int edge_importance_type; /* from the model's /bundle config_json */
    nb_scene scene;           /* built from model + config (owned) */
    nb_scene_desc scene_desc; /* what `scene` was built with */
    bool has_scene;
    bool scene_dirty;          /* rebuild the scene before the next frame */
    nb_scene_desc failed_desc; /* last desc whose build failed (not retried every frame) */
    bool has_failed_desc;
    nb_window window;
    nb_renderer renderer;
    bool gl_ready;
    nb_camera camera;
    bool running;
    uint64_t frame;  /* frames drawn since start */
    double frame_ms; /* wall time of the last frame's draw, milliseconds */
    /* interaction */
    bool orbiting, panning;  /* mouse buttons held */
    bool gui_wants_keyboard; /* set by the GUI: W/A/S/D held-key moves are skipped */
    int camera_pose_applied; /* the key pose nb_app_set_camera_pose last moved the camera to
                                (the GUI moves the camera when config.camera_pose differs) */
    float view_rect[4];      /* x0, y0, x1, y1 (window pixels, top-left origin): the part of
                                the window the GUI panels leave free, where the scene is
                                centred (the camera's lens shift); set by the GUI every frame,
                                all zero without GUI (= the whole window) */
    bool recording;          /* R: write every frame */
    long record_index;
    time_t record_start;
    /* live reload (poll the file's mtime and size) */
    double watch_next; /* nb_time_now() of the next poll */
    long long loaded_mtime_ns, loaded_size;
    long long failed_mtime_ns, failed_size;
    double failed_retry_at;
} nb_app;

/* Parses nothing; builds the config (defaults, opt->config_path, opt->sets, validation),
 * loads opt->input and builds the scene. No GL. Returns NB_OK, or the status of the failing
 * step (NB_E_CONFIG / NB_E_IO naming the key or file, NB_E_MISSING for a file without
 * /bundle, ...). On failure *app holds nothing to free but may be passed to nb_app_deinit. */
nb_status nb_app_init(nb_app *app, const nb_render_options *opt);

/* Opens the window (interactive) or a hidden/offscreen one (batch), loads the renderer,
 * uploads the scene and places the camera. NB_E_DISPLAY, NB_E_GL, NB_E_IO (shader files). */
nb_status nb_app_open_gl(nb_app *app);

/* Runs the mode of app->opt (interactive loop, screenshot, frames, benchmark). */
nb_status nb_app_run(nb_app *app);

/* Rebuilds the scene from app->model and app->config (and uploads it when GL is ready); on
 * failure the previous scene stays and the status is returned. Keeps the camera. */
nb_status nb_app_rebuild_scene(nb_app *app);

/* Replaces the model (takes ownership of *m: on success app owns it, on failure it is freed),
 * re-reads edge_importance_type from its /bundle config and rebuilds the scene. Keeps the
 * camera. On failure the previous model and scene stay. *m is zeroed in both cases. */
nb_status nb_app_replace_model(nb_app *app, nb_model *m);

/* Live reload: if opt.watch and the poll period (0.5 s) has passed, or `force`, compares the
 * file's mtime and size with those of the loaded model; if they changed, loads the file
 * (nb_h5_load) and replaces the model, keeping the camera. *reloaded tells whether it did.
 * A failed load returns its status, logs a warning once per file version and keeps the
 * previous model and scene; that version is retried after 5 s or when the file changes again
 * (writers rename atomically, so a changed file is normally complete). */
nb_status nb_app_poll_reload(nb_app *app, bool force, bool *reloaded);

/* Moves the camera to key pose k (0..9, reference spec §5.1) with nb_app_set_pose (framed
 * into app->view_rect, the area the GUI panels leave free, when that is set) and records it
 * as the config's camera_pose, so the GUI shows the pose in use; the number keys and the
 * GUI's camera_pose field both come here. Returns false (nothing changed) for k outside
 * 0..9. */
bool nb_app_set_camera_pose(nb_app *app, int k);

/* app->view_rect when it is a non-empty rectangle (the GUI has panels open), else NULL (the
 * whole render target): the rectangle the camera fits into. */
const float *nb_app_free_rect(const nb_app *app);

/* Frames the drawn geometry (nb_scene_bound_drawn with the current config: thresholds,
 * sizes, modes, layer filter, class view) from the camera's current direction into `rect`
 * ({x0, y0, x1, y1} pixels of the render target, top-left origin; NULL = all of it), with
 * the margin camera_margin (nb_camera_bounds_fit: target, distance and lens shift change).
 * The viewer passes the area its panels leave free. Returns false (camera unchanged) when
 * nothing is drawn or there is no scene. Needs no GL context (uses the target's size, or
 * opt.width x opt.height before nb_app_open_gl). */
bool nb_app_fit_camera(nb_app *app, const float rect[4]);

/* Like nb_app_fit_camera, for a camera that will orbit: the target becomes the centre of the
 * drawn geometry's box, the lens shift 0, and the distance the largest that any yaw of the
 * orbit (n_yaws equal steps of 360 / n_yaws degrees from the current yaw; <= 0 gives 72)
 * needs, so every frame of a turntable shows everything. */
bool nb_app_fit_camera_orbit(nb_app *app, int n_yaws);

/* Key pose k (0..9): nb_camera_set_pose, then nb_app_fit_camera(app, rect) when camera_fit is
 * on. Returns false for k outside 0..9 (camera unchanged). */
bool nb_app_set_pose(nb_app *app, int k, const float rect[4]);

/* Frees everything (GL objects first); safe after a failed init. */
void nb_app_deinit(nb_app *app);

/* The rendering config of a command line: schema defaults < opt->config_path < opt->sets
 * (validated) < opt->camera as camera_pose. NB_E_CONFIG / NB_E_IO naming the key or file. */
nb_status nb_app_build_config(const nb_render_options *opt, nb_rendering_config *cfg);

/* Compare mode (two or more opt->inputs; nb_app_compare.c, nb_compare.h): loads every file,
 * renders them side by side with one camera into opt->screenshot_path or opt->frames_dir and
 * frees everything. Errors name the file (NB_E_IO, NB_E_FORMAT, NB_E_MISSING for a file
 * without /bundle, NB_E_MISMATCH for files whose class counts differ, or whose layer counts
 * differ under --shared-scale); nothing is written unless every file loaded. */
nb_status nb_app_compare_run(const nb_render_options *opt);

/* The whole program: parse, init, open, run (compare mode for several files); prints errors;
 * returns the exit code (0 success, 1 failure, 2 usage). */
int nb_app_main(int argc, char **argv);

#endif /* NB_APP_H */
