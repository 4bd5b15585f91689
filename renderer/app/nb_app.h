/* nb_app.h - nnbundle-render's application state and main loop.
 *
 * One nb_app holds everything a frame needs: options, the live rendering config (the GUI's
 * sliders edit app->config directly; uniforms are re-derived every frame), the loaded model,
 * the scene built from it, the window + GL context, the renderer, the camera, frame counters
 * and the "scene dirty" flag. A frame of the interactive loop (nb_app_run), with the GUI's
 * hooks (nb_gui_session.h) at the marked points:
 *   1. SDL events: the GUI first (hook: event), then the camera keys and mouse
 *   2. held W/A/S/D (skipped while a panel has the keyboard), live reload, auto-orbit
 *   3. hook: update   the panels are built; their edits go into the config and the camera
 *   4. prepare        uniforms from the config, the camera follows a changed camera_pose, the
 *                     scene is rebuilt when it is stale (the one stale check: nb_app.c
 *                     scene_is_stale)
 *   5. draw the scene into the target, present it to the window
 *   6. hook: draw     the panels over the presented frame
 *   7. recording (R), swap
 * so every frame is drawn once, with the edits of its own panels. The GUI reads the app only
 * through the nb_gui_host the app gives it (a view and four requests); batch modes
 * (--screenshot, --frames, --benchmark) have no GUI.
 * Scene rebuilds: set scene_dirty (or call nb_app_rebuild_scene) after replacing the model;
 * class_view, class_index, background, importance_normalization, class_contrast and the layer
 * filter are watched every frame and rebuild the scene by themselves. Main thread only.
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
    bool scene_dirty;  /* rebuild the scene before the next frame */
    bool filter_pairs; /* the layer pairs drawn: --layers, or the GUI's Layers panel */
    size_t pair_first, pair_last;
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
    int camera_pose_applied; /* the key pose the camera was last moved to; a config.camera_pose
                                that differs (the GUI's field, Load, Reset) moves the camera */
    float view_rect[4];      /* x0, y0, x1, y1 (window pixels, top-left origin): the part of
                                the window the GUI panels leave free, where the scene is
                                centred (the camera's lens shift; nb_app_set_free_rect), all
                                zero without GUI (= the whole window) */
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

/* Moves the camera to key pose k (0..9, method.md §5.1) with nb_app_set_pose (framed
 * into app->view_rect, the area the GUI panels leave free, when that is set) and records it
 * as the config's camera_pose, so the GUI shows the pose in use; the number keys and the
 * GUI's camera_pose field both come here. Returns false (nothing changed) for k outside
 * 0..9. */
bool nb_app_set_camera_pose(nb_app *app, int k);

/* The GUI's panels leave rect free: app->view_rect = rect, and the scene is centred there.
 * The first time (view_rect was empty) the drawing is framed into it (nb_app_fit_camera, with
 * camera_fit); afterwards, when panels open, close or move, the picture follows the
 * rectangle's centre (a lens shift, nb_camera_follow_rect), so zoom and pan are kept.
 * Returns whether the camera moved (false when rect is the current view_rect). */
bool nb_app_set_free_rect(nb_app *app, const float rect[4]);

/* Draws layer pair `pair` alone, or, for pair < 0, the pairs of --layers (all without it);
 * the scene is rebuilt before the next frame. */
void nb_app_show_pair(nb_app *app, int pair);

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

/* --export: writes the current scene to app->opt.export_path (.glb: nb_export_gltf.h; .html:
 * nb_export_html.h) atomically, without GL. Statuses of the writer; errors name the file. */
nb_status nb_app_export(nb_app *app);

/* Frees everything (GL objects first); safe after a failed init. */
void nb_app_deinit(nb_app *app);

/* Checks the output of a batch run before any work (nb_file_check_outputs): --screenshot or
 * --export in a writable directory, not a directory itself, not the same file as any input
 * .nnb.h5 or --config (e.g. `nnbundle-render F --screenshot F` is refused, F untouched).
 * NB_OK, NB_E_INVALID or NB_E_IO naming the output path. */
nb_status nb_app_check_outputs(const nb_render_options *opt);

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
