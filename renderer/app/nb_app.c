/* nb_app.c - nnbundle-render: config, file loading, window, main loop, batch outputs.
 *
 * DESIGN: nb_app_main parses the command line (nb_options), builds the rendering config
 * (schema defaults < --config < --set), loads the file (nb_h5_load), builds the scene, then
 * either runs the interactive loop or renders offscreen (--screenshot, --frames, --benchmark)
 * and exits. The loop (frame order in nb_app.h): SDL events (GUI first, then camera keys and
 * mouse: method.md §5.1), held W/A/S/D, live reload (stat() of the file every 0.5 s;
 * writers rename atomically, so a changed signature means a complete new file; a failed load
 * keeps the current scene and is retried when the file changes again or after 5 s),
 * auto-orbit, the GUI's update hook (panels and their edits), prepare (uniforms, camera pose,
 * scene rebuild when scene-relevant config keys change), draw, present, the GUI's draw hook,
 * recording, swap. The GUI reads the app through the nb_gui_host built here (host_*).
 * Benchmark timing: wall clock around draw + glFinish per frame, median reported; fragments
 * from one GL_SAMPLES_PASSED query on the warm-up frame. Main thread only.
 * Image output (--screenshot, --frames, K, R): nb_renderer_write_image with the options'
 * --transparent / --jpeg-quality, the format from --screenshot's extension or --format; an
 * output name the writer does not produce fails in nb_app_init, before the file is loaded,
 * so nothing is drawn or written.
 * Camera placement (nb_app_open_gl, the F key, pose keys): the pose's direction, then with
 * camera_fit the framing of the drawn geometry (nb_scene_frame); turntables (--orbit,
 * auto_orbit) look at the drawn box's centre from the largest distance any frame's yaw needs.
 * Several input files go to compare mode (nb_app_compare.c) before any of this.
 * Config keys read: all rendering keys (through nb_render_params / nb_scene_desc),
 * camera_pose, camera_fit, camera_margin, auto_orbit, orbit_speed_degrees;
 * edge_importance_type from the file.
 */
#include "nb_app.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <GL/glew.h>
#include <SDL2/SDL.h>

#include "nb_export_gltf.h"
#include "nb_export_html.h"
#include "nb_file.h"
#include "nb_gui_session.h" /* the GUI hooks */
#include "nb_h5.h"
#include "nb_log.h"
#include "nb_screenshot.h"

#define WATCH_PERIOD_S 0.5
#define FAILED_RETRY_S 5.0

/* ---- config, model, scene ----------------------------------------------------------- */

static nb_status build_config(const nb_render_options *opt, nb_rendering_config *cfg) {
    nb_rendering_config c;
    nb_config_defaults(&nb_rendering_schema, &c);
    if (opt->config_path)
        NB_TRY(nb_config_load(&nb_rendering_schema, opt->config_path, &c));
    for (int i = 0; i < opt->n_sets; i++)
        NB_TRY(nb_config_set(&nb_rendering_schema, opt->sets[i], &c));
    NB_TRY(nb_config_validate(&nb_rendering_schema, &c));
    if (opt->camera >= 0)
        c.camera_pose = opt->camera;
    *cfg = c;
    return NB_OK;
}

nb_status nb_app_build_config(const nb_render_options *opt, nb_rendering_config *cfg) {
    return build_config(opt, cfg);
}

static void desired_desc(const nb_app *app, nb_scene_desc *d) {
    memset(d, 0, sizeof *d);
    nb_scene_desc_from_config(&app->config, d);
    d->edge_importance_type = app->edge_importance_type;
    d->filter_pairs = app->filter_pairs;
    d->pair_first = app->pair_first;
    d->pair_last = app->pair_last;
}

static bool same_desc(const nb_scene_desc *a, const nb_scene_desc *b) {
    return a->class_view == b->class_view && a->class_index == b->class_index &&
           a->background[0] == b->background[0] && a->background[1] == b->background[1] &&
           a->background[2] == b->background[2] &&
           a->edge_importance_type == b->edge_importance_type &&
           a->normalization == b->normalization && a->class_contrast == b->class_contrast &&
           a->filter_pairs == b->filter_pairs && a->pair_first == b->pair_first &&
           a->pair_last == b->pair_last && a->reverse_segments == b->reverse_segments;
}

nb_status nb_app_rebuild_scene(nb_app *app) {
    if (!app->has_model)
        return NB_RAISE(NB_E_MISSING, app->path, "no model loaded");
    nb_scene_desc d;
    desired_desc(app, &d);
    nb_scene s;
    nb_status st = nb_scene_build(&app->model, &d, app->path, &s);
    if (st != NB_OK) {
        app->failed_desc = d;
        app->has_failed_desc = true;
        return st;
    }
    if (app->gl_ready) {
        st = nb_renderer_upload(&app->renderer, &s);
        if (st != NB_OK) {
            nb_scene_deinit(&s);
            /* the GPU copy is gone: put the previous scene back */
            if (app->has_scene)
                (void)nb_renderer_upload(&app->renderer, &app->scene);
            return st;
        }
    }
    if (app->has_scene)
        nb_scene_deinit(&app->scene);
    app->scene = s;
    app->scene_desc = d;
    app->has_scene = true;
    app->scene_dirty = false;
    app->has_failed_desc = false;
    return NB_OK;
}

nb_status nb_app_replace_model(nb_app *app, nb_model *m) {
    int type = 0;
    nb_status st = nb_scene_edge_importance_type(m->has_bundle ? m->bundle.config_json : NULL,
                                                 app->path, &type);
    if (st != NB_OK) {
        nb_model_deinit(m);
        memset(m, 0, sizeof *m);
        return st;
    }
    nb_model old = app->model;
    bool had = app->has_model;
    int old_type = app->edge_importance_type;
    app->model = *m;
    app->has_model = true;
    app->edge_importance_type = type;
    memset(m, 0, sizeof *m);
    st = nb_app_rebuild_scene(app);
    if (st != NB_OK) {
        nb_model_deinit(&app->model);
        app->model = old;
        app->has_model = had;
        app->edge_importance_type = old_type;
        return st;
    }
    if (had)
        nb_model_deinit(&old);
    return NB_OK;
}

static bool file_signature(const char *path, long long *mtime_ns, long long *size) {
    struct stat sb;
    if (stat(path, &sb) != 0)
        return false;
    *mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL + (long long)sb.st_mtim.tv_nsec;
    *size = (long long)sb.st_size;
    return true;
}

/* How every image of this run is written. */
static nb_image_options image_options(const nb_app *app) {
    nb_image_options o = {app->opt.transparent, app->opt.jpeg_quality};
    return o;
}

nb_status nb_app_check_outputs(const nb_render_options *opt) {
    nb_file_arg outs[1] = {{NULL, NULL}};
    if (opt->mode == NB_RUN_SCREENSHOT)
        outs[0] = (nb_file_arg){opt->screenshot_path, "--screenshot"};
    else if (opt->mode == NB_RUN_EXPORT)
        outs[0] = (nb_file_arg){opt->export_path, "--export"};
    nb_file_arg ins[NB_OPTIONS_MAX_INPUTS + 1];
    size_t n_in = 0;
    for (int i = 0; i < opt->n_inputs && i < NB_OPTIONS_MAX_INPUTS; i++)
        ins[n_in++] = (nb_file_arg){opt->inputs[i], "FILE"};
    if (n_in == 0 && opt->input)
        ins[n_in++] = (nb_file_arg){opt->input, "FILE"};
    ins[n_in++] = (nb_file_arg){opt->config_path, "--config"};
    return nb_file_check_outputs(outs, 1, ins, n_in);
}

nb_status nb_app_init(nb_app *app, const nb_render_options *opt) {
    memset(app, 0, sizeof *app);
    app->opt = *opt;
    app->path = opt->input;
    app->filter_pairs = opt->filter_layers;
    app->pair_first = opt->pair_first;
    app->pair_last = opt->pair_last;
    if (opt->mode == NB_RUN_SCREENSHOT) { /* refuse a name we cannot write before any work */
        nb_image_format format;
        NB_TRY(nb_screenshot_format(opt->screenshot_path, &format));
    }
    if (opt->mode == NB_RUN_EXPORT) {
        nb_export_format format;
        NB_TRY(nb_export_format_of(opt->export_path, &format));
    }
    NB_TRY(nb_app_check_outputs(opt));
    NB_TRY(build_config(opt, &app->config));
    nb_render_params_from_config(&app->config, &app->params);
    (void)file_signature(app->path, &app->loaded_mtime_ns, &app->loaded_size);
    nb_model m;
    double t0 = nb_time_now();
    NB_TRY(nb_h5_load(app->path, &m));
    double t1 = nb_time_now();
    if (!m.has_bundle) {
        /* the loader accepts files at any stage; the renderer needs the last one */
        char subject[1024];
        snprintf(subject, sizeof subject, "%s /bundle", app->path);
        nb_status st =
            m.has_importance
                ? NB_RAISE(NB_E_MISSING, subject,
                           "no bundled geometry in this file; run `nnbundle bundle %s` first",
                           app->path)
                : NB_RAISE(NB_E_MISSING, subject,
                           "no importance and no bundled geometry in this file; run `nnbundle "
                           "importance %s --data DIR` and `nnbundle bundle %s` first",
                           app->path, app->path);
        nb_model_deinit(&m);
        return st;
    }
    NB_TRY(nb_app_replace_model(app, &m));
    nb_log_debug("loaded %s in %.3f s, scene (%zu nodes, %zu segments) built in %.3f s", app->path,
                 t1 - t0, app->scene.n_nodes, app->scene.n_segments, nb_time_now() - t1);
    return NB_OK;
}

/* ---- GL ---------------------------------------------------------------------------- */

/* --verbose: where the camera is and where each layer lands in the image (the columns and rows
 * of its nodes and of their mean position), so scripts can measure a layer pair's slab
 * (evaluation/picture_stats.sh), and where each output node (class) lands, so scripts can
 * label them (docs/images/make_reading.sh). */
static void log_camera(const nb_app *app) {
    const nb_camera *c = &app->camera;
    float eye[3];
    nb_camera_eye(c, eye);
    float w = (float)app->renderer.target.width, h = (float)app->renderer.target.height;
    nb_log_debug("camera: pose %d, eye (%.4g, %.4g, %.4g), target (%.4g, %.4g, %.4g), distance "
                 "%.4g, fov %.4g, shift (%.3g, %.3g), fit %s",
                 app->config.camera_pose, (double)eye[0], (double)eye[1], (double)eye[2],
                 (double)c->target[0], (double)c->target[1], (double)c->target[2],
                 (double)c->distance, (double)c->fov_degrees, (double)c->shift[0],
                 (double)c->shift[1], app->params.camera_fit ? "on" : "off");
    const nb_bundle_data *b = &app->model.bundle;
    for (size_t l = 0; l < b->n_layers; l++) {
        double mean[3] = {0.0, 0.0, 0.0};
        float lo = INFINITY, hi = -INFINITY, ylo = INFINITY, yhi = -INFINITY, sx, sy;
        size_t n = 0;
        for (int64_t g = b->layer_offset[l]; g < b->layer_offset[l + 1]; g++, n++) {
            const float *p = b->node_position + 3 * g;
            for (int i = 0; i < 3; i++)
                mean[i] += p[i];
            if (nb_camera_project(c, w, h, p, &sx, &sy, NULL)) {
                lo = fminf(lo, sx);
                hi = fmaxf(hi, sx);
                ylo = fminf(ylo, sy);
                yhi = fmaxf(yhi, sy);
            }
        }
        if (n == 0)
            continue;
        float m[3] = {(float)(mean[0] / (double)n), (float)(mean[1] / (double)n),
                      (float)(mean[2] / (double)n)};
        if (nb_camera_project(c, w, h, m, &sx, &sy, NULL))
            nb_log_debug("layer %zu: column %.1f (nodes %.1f..%.1f), row %.1f (nodes %.1f..%.1f)",
                         l, (double)sx, (double)lo, (double)hi, (double)sy, (double)ylo,
                         (double)yhi);
    }
    /* the output layer's nodes are the classes (one-hot importance) */
    if (b->n_layers >= 2 && app->scene.class_names) {
        const size_t l = b->n_layers - 1;
        size_t k = 0;
        for (int64_t g = b->layer_offset[l]; g < b->layer_offset[l + 1]; g++, k++) {
            float sx, sy;
            if (k < app->scene.n_classes &&
                nb_camera_project(c, w, h, b->node_position + 3 * g, &sx, &sy, NULL))
                nb_log_debug("class %zu (%s): node at (%.1f, %.1f)", k, app->scene.class_names[k],
                             (double)sx, (double)sy);
        }
    }
}

nb_status nb_app_open_gl(nb_app *app) {
    const bool interactive = app->opt.mode == NB_RUN_INTERACTIVE;
    char title[512];
    snprintf(title, sizeof title, "nnbundle-render - %s", app->path);
    NB_TRY(nb_window_open(&app->window, title, interactive ? app->opt.width : 64,
                          interactive ? app->opt.height : 64, interactive));
    int w = interactive ? app->window.width : app->opt.width;
    int h = interactive ? app->window.height : app->opt.height;
    NB_TRY(nb_renderer_load(&app->renderer, w, h));
    app->gl_ready = true;
    NB_TRY(nb_renderer_upload(&app->renderer, &app->scene));
    /* the pose's direction (and, with camera_fit off, the reference's offset scaled by the
     * node box: the reference looks at the node cloud); depth spans every point (scene.bbox) */
    nb_camera_init(&app->camera, app->scene.node_bbox_min, app->scene.node_bbox_max,
                   app->params.fov_degrees, app->config.camera_pose);
    app->camera_pose_applied = app->config.camera_pose;
    if (app->params.camera_fit) {
        /* a turntable (--frames --orbit, or auto_orbit) keeps one distance for all frames */
        bool orbit = app->config.auto_orbit || (app->opt.mode == NB_RUN_FRAMES && app->opt.orbit);
        int n_yaws = app->opt.mode == NB_RUN_FRAMES && app->opt.orbit && app->opt.count <= 360
                         ? (int)app->opt.count
                         : 72;
        if (orbit)
            (void)nb_app_fit_camera_orbit(app, n_yaws);
        else
            (void)nb_app_fit_camera(app, NULL);
    }
    log_camera(app);
    char shader_dir[4096];
    nb_log_debug("GL: %s, %s (SDL driver %s), target %dx%d, shaders %s", app->window.gl_renderer,
                 app->window.gl_version, app->window.driver, w, h,
                 nb_gl_shader_dir(shader_dir, sizeof shader_dir));
    if (app->renderer.font_warning[0] && app->config.show_legend)
        nb_log_warn("legend font: %s", app->renderer.font_warning);
    return NB_OK;
}

/* ---- camera placement ---------------------------------------------------------------- */

static void fit_viewport(const nb_app *app, float *w, float *h) {
    int tw = app->renderer.target.width, th = app->renderer.target.height;
    if (!(tw > 0 && th > 0)) {
        tw = app->opt.width;
        th = app->opt.height;
    }
    *w = (float)(tw > 0 ? tw : 1);
    *h = (float)(th > 0 ? th : 1);
}

bool nb_app_fit_camera(nb_app *app, const float rect[4]) {
    if (!app->has_scene)
        return false;
    nb_render_params_from_config(&app->config, &app->params);
    app->camera.fov_degrees = app->params.fov_degrees;
    float w, h;
    fit_viewport(app, &w, &h);
    return nb_scene_frame(&app->scene, &app->params, w, h, rect, &app->camera);
}

bool nb_app_fit_camera_orbit(nb_app *app, int n_yaws) {
    if (!app->has_scene)
        return false;
    if (n_yaws <= 0)
        n_yaws = 72;
    nb_render_params_from_config(&app->config, &app->params);
    app->camera.fov_degrees = app->params.fov_degrees;
    float w, h;
    fit_viewport(app, &w, &h);
    nb_camera_bounds b;
    nb_camera_bounds_begin(&b, &app->camera, w, h, NULL, app->params.camera_margin);
    nb_scene_bound_drawn(&app->scene, &app->params, &b, NULL);
    if (b.n == 0)
        return false;
    nb_camera cam = app->camera;
    for (int i = 0; i < 3; i++)
        cam.target[i] = 0.5f * (b.lo[i] + b.hi[i]);
    float far = 0.0f;
    for (int k = 0; k < n_yaws; k++) {
        nb_camera c = cam;
        nb_camera_orbit(&c, 360.0f * (float)k / (float)n_yaws, 0.0f);
        nb_camera_bounds_begin(&b, &c, w, h, NULL, app->params.camera_margin);
        nb_scene_bound_drawn(&app->scene, &app->params, &b, NULL);
        if (nb_camera_bounds_fit_distance(&b, &c) && c.distance > far)
            far = c.distance;
    }
    cam.distance = far;
    cam.shift[0] = cam.shift[1] = 0.0f;
    app->camera = cam;
    return true;
}

bool nb_app_set_pose(nb_app *app, int k, const float rect[4]) {
    if (!nb_camera_set_pose(&app->camera, k))
        return false;
    if (app->config.camera_fit)
        (void)nb_app_fit_camera(app, rect);
    return true;
}

void nb_app_deinit(nb_app *app) {
    if (!app)
        return;
    if (app->gl_ready)
        nb_renderer_unload(&app->renderer);
    app->gl_ready = false;
    nb_window_close(&app->window);
    if (app->has_scene)
        nb_scene_deinit(&app->scene);
    if (app->has_model)
        nb_model_deinit(&app->model);
    app->has_scene = app->has_model = false;
}

/* The scene was built for other settings than the config and the layer filter ask for
 * (class view, class, background, normalization, contrast, layer pairs, importance type), or
 * marked dirty; a desc whose build failed is not retried until something changes. */
static bool scene_is_stale(const nb_app *app, const nb_scene_desc *want) {
    if (app->scene_dirty)
        return true;
    return !same_desc(want, &app->scene_desc) &&
           !(app->has_failed_desc && same_desc(want, &app->failed_desc));
}

/* Derives params, applies camera settings (fov, a changed camera_pose) and rebuilds the scene
 * if it is out of date. */
static void prepare_frame(nb_app *app) {
    nb_render_params_from_config(&app->config, &app->params);
    app->camera.fov_degrees = app->params.fov_degrees;
    if (app->config.camera_pose != app->camera_pose_applied) {
        app->camera_pose_applied = app->config.camera_pose; /* an invalid one is not retried */
        (void)nb_app_set_camera_pose(app, app->config.camera_pose);
    }
    nb_scene_desc d;
    desired_desc(app, &d);
    if (scene_is_stale(app, &d)) {
        nb_status st = nb_app_rebuild_scene(app);
        if (st != NB_OK) {
            nb_log_warn("scene not rebuilt, keeping the previous one: %s", nb_error_message());
            app->scene_dirty = false;
        }
    }
}

static nb_status draw(nb_app *app) {
    double t0 = nb_time_now();
    nb_status st = nb_renderer_draw(&app->renderer, &app->scene, &app->params, &app->camera);
    app->frame_ms = (nb_time_now() - t0) * 1000.0;
    app->frame++;
    return st;
}

/* ---- batch modes ------------------------------------------------------------------- */

static nb_status run_screenshot(nb_app *app) {
    prepare_frame(app);
    NB_TRY(draw(app));
    const nb_image_options io = image_options(app);
    NB_TRY(nb_renderer_write_image(&app->renderer, app->opt.screenshot_path, &io));
    nb_log_info("wrote %s (%dx%d)", app->opt.screenshot_path, app->renderer.target.width,
                app->renderer.target.height);
    return NB_OK;
}

static nb_status run_frames(nb_app *app) {
    NB_TRY(nb_screenshot_make_dir(app->opt.frames_dir));
    const nb_camera start = app->camera;
    nb_progress prog;
    nb_progress_begin(&prog, "frames", (uint64_t)app->opt.count);
    for (long i = 0; i < app->opt.count; i++) {
        prepare_frame(app);
        if (app->opt.orbit) {
            app->camera = start;
            nb_camera_orbit(&app->camera, 360.0f * (float)i / (float)app->opt.count, 0.0f);
        } else if (app->config.auto_orbit && i > 0) {
            nb_camera_orbit(&app->camera, app->params.orbit_speed_degrees, 0.0f);
        }
        NB_TRY(draw(app));
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/frame_%05ld.%s", app->opt.frames_dir, i,
                         nb_screenshot_extension(app->opt.image_format));
        if (n < 0 || (size_t)n >= sizeof path)
            return NB_RAISE(NB_E_IO, app->opt.frames_dir, "path too long");
        const nb_image_options io = image_options(app);
        NB_TRY(nb_renderer_write_image(&app->renderer, path, &io));
        nb_progress_update(&prog, (uint64_t)(i + 1), NULL);
    }
    nb_progress_end(&prog, NULL);
    nb_log_info("wrote %ld frames to %s/frame_%05d.%s ...", app->opt.count, app->opt.frames_dir, 0,
                nb_screenshot_extension(app->opt.image_format));
    return NB_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* CPU time of the whole process (all llvmpipe threads included), seconds. */
static double process_cpu_seconds(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double median_of(double *v, long n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static nb_status run_benchmark(nb_app *app) {
    const long n = app->opt.benchmark_frames;
    double *ms = malloc((size_t)n * 2 * sizeof *ms);
    if (!ms)
        return NB_RAISE(NB_E_NOMEM, "benchmark", "%ld frames", n);
    double *cpu_ms = ms + n;
    prepare_frame(app);
    app->renderer.count_fragments = true; /* warm-up frame: fragment count */
    nb_status st = draw(app);
    glFinish();
    app->renderer.count_fragments = false;
    uint64_t fragments = app->renderer.last_fragments;
    for (long i = 0; i < n && st == NB_OK; i++) {
        double t0 = nb_time_now(), c0 = process_cpu_seconds();
        st = nb_renderer_draw(&app->renderer, &app->scene, &app->params, &app->camera);
        glFinish();
        ms[i] = (nb_time_now() - t0) * 1000.0;
        cpu_ms[i] = (process_cpu_seconds() - c0) * 1000.0;
    }
    if (st != NB_OK) {
        free(ms);
        return st;
    }
    double median = median_of(ms, n), cpu_median = median_of(cpu_ms, n);
    size_t nodes_drawn = 0, segs_drawn = 0;
    nb_scene_count_visible(&app->scene, app->params.node.importance_threshold,
                           app->params.edge.importance_threshold, &nodes_drawn, &segs_drawn);
    printf("nnbundle-render benchmark: %s, %dx%d, %ld frames after 1 warm-up\n", app->path,
           app->renderer.target.width, app->renderer.target.height, n);
    printf("  modes: edges %s, nodes %s, transparency %s, class view %s\n",
           nb_render_enum_name("edge_mode", app->config.edge.mode),
           nb_render_enum_name("node_mode", app->config.node.mode),
           nb_render_enum_name("transparency", app->params.transparency),
           nb_render_enum_name("class_view", app->config.class_view));
    printf("  nodes %zu (drawn %zu), edges %zu, segments %zu (drawn %zu), fragments %llu\n",
           app->scene.n_nodes, nodes_drawn, app->scene.n_edges, app->scene.n_segments, segs_drawn,
           (unsigned long long)fragments);
    printf("  median %.2f ms/frame (min %.2f, max %.2f); CPU time %.2f ms/frame (all threads); "
           "GL %s\n",
           median, ms[0], ms[n - 1], cpu_median, app->window.gl_renderer);
    fflush(stdout);
    free(ms);
    return NB_OK;
}

/* --export: the scene as built for the config and --layers, written without GL. */
nb_status nb_app_export(nb_app *app) {
    nb_export_format format;
    NB_TRY(nb_export_format_of(app->opt.export_path, &format));
    nb_render_params_from_config(&app->config, &app->params);
    const nb_export_desc d = {&app->model,  &app->scene, &app->params,
                              &app->config, app->path,   &app->scene_desc};
    if (format == NB_EXPORT_HTML) {
        nb_export_html_stats s;
        NB_TRY(nb_export_html_save(&d, app->opt.export_path, &s));
        nb_log_info("wrote %s: %zu nodes, %zu edges (%zu line segments), %zu class views, "
                    "%zu bytes (data %zu bytes before base64)",
                    app->opt.export_path, s.nodes, s.edges, s.segments, s.views, s.bytes,
                    s.data_bytes);
        return NB_OK;
    }
    nb_export_gltf_stats s;
    NB_TRY(nb_export_gltf_save(&d, app->opt.export_path, &s));
    nb_log_info("wrote %s: %zu nodes, %zu edges (%zu line segments), %zu vertices, %zu bytes",
                app->opt.export_path, s.nodes, s.edges, s.segments, s.vertices, s.bytes);
    return NB_OK;
}

/* ---- interactive loop ---------------------------------------------------------------- */

static void take_screenshot(nb_app *app, long frame) {
    char path[4096];
    time_t now = frame >= 0 ? app->record_start : time(NULL);
    const char *ext = nb_screenshot_extension(app->opt.image_format);
    nb_status st = nb_screenshot_name_format(path, sizeof path, NULL, app->path, now, frame,
                                             app->opt.image_format);
    if (st == NB_OK && frame < 0) {
        /* two screenshots within one second get _2, _3, ... */
        struct stat sb;
        char base[4096];
        snprintf(base, sizeof base, "%s", path);
        size_t len = strlen(base), cut = strlen(ext) + 1;
        if (len > cut)
            base[len - cut] = '\0';
        for (int k = 2; stat(path, &sb) == 0 && k < 1000; k++)
            snprintf(path, sizeof path, "%s_%d.%s", base, k, ext);
    }
    const nb_image_options io = image_options(app);
    if (st == NB_OK)
        st = nb_renderer_write_image(&app->renderer, path, &io);
    if (st == NB_OK) {
        if (frame < 0)
            nb_log_info("screenshot %s", path);
    } else {
        nb_log_warn("screenshot failed: %s", nb_error_message());
    }
}

static void resize(nb_app *app) {
    int w = 0, h = 0;
    SDL_GL_GetDrawableSize(app->window.window, &w, &h);
    if (w < 1 || h < 1)
        return;
    app->window.width = w;
    app->window.height = h;
    if (nb_renderer_resize(&app->renderer, w, h) != NB_OK)
        nb_log_warn("resize to %dx%d failed: %s", w, h, nb_error_message());
}

const float *nb_app_free_rect(const nb_app *app) {
    const float *r = app->view_rect;
    return r[2] > r[0] && r[3] > r[1] ? r : NULL;
}

/* The window's size in window coordinates (the GUI's and the events' pixels). */
static void window_size(const nb_app *app, int *w, int *h) {
    SDL_GetWindowSize(app->window.window, w, h);
    if (*w < 1 || *h < 1) {
        *w = app->window.width;
        *h = app->window.height;
    }
}

bool nb_app_set_free_rect(nb_app *app, const float rect[4]) {
    float old[4];
    memcpy(old, app->view_rect, sizeof old);
    memcpy(app->view_rect, rect, sizeof old);
    if (!memcmp(old, app->view_rect, sizeof old))
        return false;
    int w, h;
    window_size(app, &w, &h);
    if (!(old[2] > old[0] && old[3] > old[1])) {
        const float whole[4] = {0.0f, 0.0f, (float)w, (float)h};
        if (!(app->config.camera_fit && nb_app_fit_camera(app, app->view_rect)))
            nb_camera_follow_rect(&app->camera, (float)w, (float)h, whole, app->view_rect);
    } else {
        nb_camera_follow_rect(&app->camera, (float)w, (float)h, old, app->view_rect);
    }
    return true;
}

void nb_app_show_pair(nb_app *app, int pair) {
    if (pair < 0) {
        app->filter_pairs = app->opt.filter_layers;
        app->pair_first = app->opt.pair_first;
        app->pair_last = app->opt.pair_last;
    } else {
        app->filter_pairs = true;
        app->pair_first = app->pair_last = (size_t)pair;
    }
}

bool nb_app_set_camera_pose(nb_app *app, int k) {
    if (!nb_app_set_pose(app, k, nb_app_free_rect(app)))
        return false;
    app->config.camera_pose = k;
    app->camera_pose_applied = k;
    return true;
}

static void handle_event(nb_app *app, const SDL_Event *ev) {
    switch (ev->type) {
    case SDL_QUIT:
        app->running = false;
        break;
    case SDL_WINDOWEVENT:
        if (ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
            ev->window.event == SDL_WINDOWEVENT_RESIZED)
            resize(app);
        break;
    case SDL_KEYDOWN: {
        if (ev->key.repeat)
            break;
        SDL_Keycode k = ev->key.keysym.sym;
        if (k >= SDLK_0 && k <= SDLK_9)
            (void)nb_app_set_camera_pose(app, (int)(k - SDLK_0));
        else if (k == SDLK_f) /* re-fit the drawn geometry, keeping the direction */
            (void)nb_app_fit_camera(app, nb_app_free_rect(app));
        else if (k == SDLK_h)
            app->config.auto_orbit = !app->config.auto_orbit;
        else if (k == SDLK_k)
            take_screenshot(app, -1);
        else if (k == SDLK_r) {
            app->recording = !app->recording;
            if (app->recording) {
                app->record_start = time(NULL);
                app->record_index = 0;
            }
            nb_log_info("recording %s", app->recording ? "on" : "off");
        } else if (k == SDLK_ESCAPE)
            app->running = false;
        break;
    }
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
        bool down = ev->type == SDL_MOUSEBUTTONDOWN;
        if (ev->button.button == SDL_BUTTON_LEFT)
            app->orbiting = down;
        else if (ev->button.button == SDL_BUTTON_RIGHT || ev->button.button == SDL_BUTTON_MIDDLE)
            app->panning = down;
        break;
    }
    case SDL_MOUSEMOTION:
        if (app->orbiting)
            nb_camera_drag_orbit(&app->camera, (float)ev->motion.xrel, (float)ev->motion.yrel);
        else if (app->panning)
            nb_camera_drag_pan(&app->camera, (float)ev->motion.xrel, (float)ev->motion.yrel,
                               (float)app->renderer.target.height);
        break;
    case SDL_MOUSEWHEEL:
        nb_camera_zoom(&app->camera, (float)ev->wheel.y);
        break;
    default:
        break;
    }
}

/* W/A/S/D held down move the camera, unless a panel has the keyboard. */
static void held_keys(nb_app *app, bool keyboard_taken) {
    if (keyboard_taken)
        return;
    const Uint8 *ks = SDL_GetKeyboardState(NULL);
    float fwd = (float)ks[SDL_SCANCODE_W] - (float)ks[SDL_SCANCODE_S];
    float right = (float)ks[SDL_SCANCODE_D] - (float)ks[SDL_SCANCODE_A];
    if (fwd != 0.0f || right != 0.0f)
        nb_camera_move(&app->camera, fwd, right);
}

nb_status nb_app_poll_reload(nb_app *app, bool force, bool *reloaded) {
    *reloaded = false;
    double now = nb_time_now();
    if (!force && (!app->opt.watch || now < app->watch_next))
        return NB_OK;
    app->watch_next = now + WATCH_PERIOD_S;
    long long mt, sz;
    if (!file_signature(app->path, &mt, &sz))
        return NB_OK; /* being replaced right now, or gone: keep drawing what we have */
    if (mt == app->loaded_mtime_ns && sz == app->loaded_size)
        return NB_OK;
    bool known_bad = mt == app->failed_mtime_ns && sz == app->failed_size;
    if (known_bad && !force && now < app->failed_retry_at)
        return NB_OK;
    nb_model m;
    nb_status st = nb_h5_load(app->path, &m);
    if (st == NB_OK && !m.has_bundle) {
        nb_model_deinit(&m);
        char subject[1024];
        snprintf(subject, sizeof subject, "%s /bundle", app->path);
        st = NB_RAISE(NB_E_MISSING, subject, "the new file has no bundled geometry");
    }
    if (st == NB_OK)
        st = nb_app_replace_model(app, &m);
    if (st == NB_OK) {
        app->loaded_mtime_ns = mt;
        app->loaded_size = sz;
        *reloaded = true;
        nb_log_info("reloaded %s: %zu nodes, %zu edges, %zu segments", app->path,
                    app->scene.n_nodes, app->scene.n_edges, app->scene.n_segments);
        return NB_OK;
    }
    if (!known_bad)
        nb_log_warn("reload of %s failed, keeping the previous picture: %s", app->path,
                    nb_error_message());
    app->failed_mtime_ns = mt;
    app->failed_size = sz;
    app->failed_retry_at = now + FAILED_RETRY_S;
    return st;
}

/* ---- the GUI's view of the app (nb_gui_host) ------------------------------------------ */

static void host_query(void *viewer, nb_gui_view *out) {
    nb_app *app = viewer;
    *out = (nb_gui_view){
        .window = app->window.window,
        .config = &app->config,
        .camera = &app->camera,
        .model = &app->model,
        .path = app->path,
        .scene = app->has_scene ? &app->scene : NULL,
        .params = &app->params,
        .config_path = app->opt.config_path,
        .frame = app->frame,
        .orbiting = app->orbiting,
        .panning = app->panning,
    };
}

static nb_status host_show_model(void *viewer, nb_model *m) {
    return nb_app_replace_model(viewer, m);
}

static bool host_set_free_rect(void *viewer, const float rect[4]) {
    return nb_app_set_free_rect(viewer, rect);
}

static bool host_set_camera_pose(void *viewer, int k) {
    return nb_app_set_camera_pose(viewer, k);
}

static void host_show_pair(void *viewer, int pair) {
    nb_app_show_pair(viewer, pair);
}

/* ---- interactive loop ---------------------------------------------------------------- */

/* The frame order of nb_app.h: events, held keys, reload, auto-orbit, GUI update, prepare,
 * draw, present, GUI draw, recording, swap. */
static nb_status run_interactive(nb_app *app) {
    app->running = true;
    app->watch_next = nb_time_now() + WATCH_PERIOD_S;
    const nb_gui_host host = {
        app, host_query, host_show_model, host_set_free_rect, host_set_camera_pose, host_show_pair};
    nb_gui_session *gui = nb_gui_session_open(&host); /* GUI hook: open */
    nb_status st = NB_OK;
    double frame_start = nb_time_now();
    while (app->running) {
        SDL_Event ev;
        while (SDL_PollEvent(&ev))
            if (!nb_gui_session_event(gui, &ev)) /* GUI hook: event */
                handle_event(app, &ev);
        held_keys(app, nb_gui_session_wants_keyboard(gui));
        bool reloaded;
        (void)nb_app_poll_reload(app, false, &reloaded); /* failures keep the old scene */
        if (app->config.auto_orbit)
            nb_camera_orbit(&app->camera, app->params.orbit_speed_degrees, 0.0f);
        nb_gui_session_update(gui); /* GUI hook: update */
        prepare_frame(app);
        st = draw(app);
        if (st != NB_OK)
            break;
        nb_renderer_present(&app->renderer, app->window.width, app->window.height);
        if (!nb_gui_session_draw(gui)) /* GUI hook: draw */
            app->running = false;
        if (app->recording)
            take_screenshot(app, app->record_index++);
        SDL_GL_SwapWindow(app->window.window);
        if (app->opt.quit_after >= 0 && app->frame >= (uint64_t)app->opt.quit_after)
            app->running = false;
        /* at most 120 frames per second (as the reference) when the swap does not wait for
         * vsync; auto-orbit speed is per frame */
        double spent = nb_time_now() - frame_start;
        if (spent < 1.0 / 120.0 && app->running)
            SDL_Delay((Uint32)((1.0 / 120.0 - spent) * 1000.0));
        frame_start = nb_time_now();
    }
    nb_gui_session_close(gui); /* GUI hook: close */
    return st;
}

nb_status nb_app_run(nb_app *app) {
    switch (app->opt.mode) {
    case NB_RUN_SCREENSHOT:
        return run_screenshot(app);
    case NB_RUN_FRAMES:
        return run_frames(app);
    case NB_RUN_BENCHMARK:
        return run_benchmark(app);
    default:
        return run_interactive(app);
    }
}

int nb_app_main(int argc, char **argv) {
    nb_render_options opt;
    char err[512];
    if (nb_options_parse(argc, argv, &opt, err, sizeof err) != NB_RENDER_EXIT_OK) {
        fprintf(stderr, "nnbundle-render: %s\nTry 'nnbundle-render --help'.\n", err);
        return NB_RENDER_EXIT_USAGE;
    }
    if (opt.help) {
        nb_options_print_help(stdout);
        return NB_RENDER_EXIT_OK;
    }
    if (opt.version) {
        printf("nnbundle-render %s\n", NB_VERSION);
        return NB_RENDER_EXIT_OK;
    }
    nb_log_set_level(opt.quiet ? NB_LOG_QUIET : opt.verbose ? NB_LOG_VERBOSE : NB_LOG_NORMAL);
    nb_status st;
    if (opt.n_inputs > 1) { /* several files: side by side (nb_app_compare.c) */
        st = nb_app_compare_run(&opt);
    } else {
        nb_app app;
        st = nb_app_init(&app, &opt);
        if (st == NB_OK && opt.mode == NB_RUN_EXPORT) {
            st = nb_app_export(&app);
        } else {
            if (st == NB_OK)
                st = nb_app_open_gl(&app);
            if (st == NB_OK)
                st = nb_app_run(&app);
        }
        nb_app_deinit(&app);
    }
    if (st != NB_OK) {
        nb_error_print("nnbundle-render", st);
        if (opt.verbose && nb_error_origin()[0])
            fprintf(stderr, "nnbundle-render: (raised at %s)\n", nb_error_origin());
        return NB_RENDER_EXIT_FAILURE;
    }
    return NB_RENDER_EXIT_OK;
}
