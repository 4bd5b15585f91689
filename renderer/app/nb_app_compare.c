/* nb_app_compare.c - nnbundle-render's compare mode: several files, one camera, one image.
 *
 * DESIGN: nb_app_compare_run is what nb_app_main runs for two or more input files (the
 * single-file path in nb_app.c is untouched). It checks the output name, builds the
 * rendering config once (nb_app_build_config: defaults < --config < --set < --camera; it
 * applies to every panel), loads every file and builds its scene (an error names the file;
 * nothing is drawn or written before every file has loaded), checks that the classes agree
 * (nb_compare_classes), optionally rebuilds every scene on one importance scale
 * (--shared-scale, nb_compare_shared_scale), then opens a hidden GL context and renders:
 * the grid and the panel-0 camera come from nb_compare_choose (the union of the drawn
 * geometry framed into one panel), every panel i is drawn into the full image target with
 * panel i's camera (a lens shift of panel 0's) and its scissor box, then the titles and one
 * legend (classes named by the first file that names them, encoding read off the first
 * file) are drawn over the whole image. --frames turns the shared camera (--orbit: one
 * turn, distance fitted for every yaw; auto_orbit: orbit_speed_degrees per frame). The
 * scenes are re-uploaded for every panel of every frame (one scene on the GPU at a time).
 * Main thread only. Config keys: all rendering keys (through nb_render_params and
 * nb_scene_desc), camera_pose, camera_fit, camera_margin, auto_orbit, orbit_speed_degrees.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nb_app.h"
#include "nb_compare.h"
#include "nb_h5.h"
#include "nb_log.h"
#include "nb_screenshot.h"

typedef struct compare_run {
    const nb_render_options *opt;
    size_t n;
    nb_rendering_config config;
    nb_render_params params;
    nb_model models[NB_COMPARE_MAX_FILES];
    bool has_model[NB_COMPARE_MAX_FILES];
    int types[NB_COMPARE_MAX_FILES]; /* edge_importance_type of each file */
    nb_scene scenes[NB_COMPARE_MAX_FILES];
    bool has_scene[NB_COMPARE_MAX_FILES];
    const nb_scene *scene_ptr[NB_COMPARE_MAX_FILES];
    char titles[NB_COMPARE_MAX_FILES][NB_COMPARE_TITLE_MAX];
    const char *title_ptr[NB_COMPARE_MAX_FILES];
    size_t names_from; /* the scene whose class names the legend shows */
    nb_compare_scale shared;
    nb_window window;
    nb_renderer renderer;
    bool gl_ready;
    nb_compare_layout layout;
} compare_run;

static nb_status load_file(compare_run *c, size_t i) {
    const char *path = c->opt->inputs[i];
    NB_TRY(nb_h5_load(path, &c->models[i]));
    c->has_model[i] = true;
    if (!c->models[i].has_bundle) {
        char subject[1024];
        snprintf(subject, sizeof subject, "%s /bundle", path);
        return NB_RAISE(NB_E_MISSING, subject,
                        "no bundled geometry in this file; run `nnbundle bundle %s` first", path);
    }
    return nb_scene_edge_importance_type(c->models[i].bundle.config_json, path, &c->types[i]);
}

static nb_status build_scene(compare_run *c, size_t i, const nb_scene_scale *scale) {
    nb_scene_desc d;
    memset(&d, 0, sizeof d);
    nb_scene_desc_from_config(&c->config, &d);
    d.edge_importance_type = c->types[i];
    d.filter_pairs = c->opt->filter_layers;
    d.pair_first = c->opt->pair_first;
    d.pair_last = c->opt->pair_last;
    d.scale = scale;
    nb_scene s;
    NB_TRY(nb_scene_build(&c->models[i], &d, c->opt->inputs[i], &s));
    if (c->has_scene[i])
        nb_scene_deinit(&c->scenes[i]);
    c->scenes[i] = s;
    c->has_scene[i] = true;
    c->scene_ptr[i] = &c->scenes[i];
    return NB_OK;
}

static void release(compare_run *c) {
    if (c->gl_ready)
        nb_renderer_unload(&c->renderer);
    c->gl_ready = false;
    nb_window_close(&c->window);
    for (size_t i = 0; i < c->n; i++) {
        if (c->has_scene[i])
            nb_scene_deinit(&c->scenes[i]);
        if (c->has_model[i])
            nb_model_deinit(&c->models[i]);
        c->has_scene[i] = c->has_model[i] = false;
    }
    nb_compare_scale_deinit(&c->shared);
}

static void free_models(compare_run *c) {
    for (size_t i = 0; i < c->n; i++)
        if (c->has_model[i]) {
            nb_model_deinit(&c->models[i]);
            c->has_model[i] = false;
        }
}

/* Config, files, scenes, titles, class check and the shared scale: everything before GL. */
static nb_status prepare(compare_run *c) {
    const nb_render_options *opt = c->opt;
    if (opt->mode == NB_RUN_SCREENSHOT) { /* refuse a name we cannot write before any work */
        nb_image_format format;
        NB_TRY(nb_screenshot_format(opt->screenshot_path, &format));
    }
    NB_TRY(nb_app_check_outputs(opt));
    NB_TRY(nb_app_build_config(opt, &c->config));
    nb_render_params_from_config(&c->config, &c->params);
    double t0 = nb_time_now();
    for (size_t i = 0; i < c->n; i++) {
        NB_TRY(load_file(c, i));
        NB_TRY(build_scene(c, i, NULL));
        nb_log_debug("%s: %zu nodes, %zu edges, %zu segments", opt->inputs[i], c->scenes[i].n_nodes,
                     c->scenes[i].n_edges, c->scenes[i].n_segments);
    }
    char warn[1024];
    NB_TRY(nb_compare_classes(c->scene_ptr, c->n, opt->inputs, &c->names_from, warn, sizeof warn));
    if (warn[0])
        nb_log_warn("%s", warn);
    if (opt->shared_scale) {
        NB_TRY(nb_compare_shared_scale(c->scene_ptr, c->n, opt->inputs, &c->shared));
        for (size_t i = 0; i <= c->n; i++) { /* the divisors of the edge cull key, per pair */
            nb_scene_scale own;
            if (i < c->n)
                nb_scene_query_scale(&c->scenes[i], &own);
            const nb_scene_scale *sc = i < c->n ? &own : &c->shared.scale;
            char line[512] = "";
            size_t at = 0;
            for (size_t l = 0; l + 1 < sc->n_layers && at + 16 < sizeof line; l++)
                at +=
                    (size_t)snprintf(line + at, sizeof line - at, " %.3g", (double)sc->seg_cull[l]);
            nb_log_debug("edge cull divisors per layer pair, %s:%s",
                         i < c->n ? opt->inputs[i] : "shared (largest)", line);
        }
        for (size_t i = 0; i < c->n; i++)
            NB_TRY(build_scene(c, i, &c->shared.scale));
    }
    free_models(c); /* the scenes hold everything the pictures need */
    nb_log_debug("loaded %zu files and built their scenes in %.2f s", c->n, nb_time_now() - t0);
    if (opt->titles) {
        size_t k = nb_compare_split_titles(opt->titles, c->titles, NB_COMPARE_MAX_FILES);
        if (k != c->n) /* nb_options refuses this; keep the library honest anyway */
            return NB_RAISE(NB_E_INVALID, "--titles", "%zu titles for %zu files", k, c->n);
    } else {
        for (size_t i = 0; i < c->n; i++)
            nb_compare_title_of(opt->inputs[i], c->titles[i], sizeof c->titles[i]);
    }
    for (size_t i = 0; i < c->n; i++)
        c->title_ptr[i] = opt->no_titles ? NULL : c->titles[i];
    return NB_OK;
}

/* The camera direction of the pose, sized by the union of the node boxes. */
static void pose_camera(const compare_run *c, nb_camera *cam) {
    float lo[3], hi[3];
    for (int k = 0; k < 3; k++) {
        lo[k] = INFINITY;
        hi[k] = -INFINITY;
        for (size_t i = 0; i < c->n; i++) {
            lo[k] = fminf(lo[k], c->scenes[i].node_bbox_min[k]);
            hi[k] = fmaxf(hi[k], c->scenes[i].node_bbox_max[k]);
        }
    }
    nb_camera_init(cam, lo, hi, c->params.fov_degrees, c->config.camera_pose);
}

/* One image: every panel with its camera, the titles, the legend. */
static nb_status draw_image(compare_run *c, const nb_camera *cam0) {
    const nb_compare_layout *l = &c->layout;
    NB_TRY(nb_renderer_clear(&c->renderer, c->params.background));
    nb_rect drawing = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < c->n; i++) {
        nb_camera cam;
        nb_compare_panel_camera(l, cam0, i, &cam);
        int box[4];
        nb_compare_panel_scissor(l, i, box);
        NB_TRY(nb_renderer_upload(&c->renderer, &c->scenes[i]));
        NB_TRY(nb_renderer_draw_panel(&c->renderer, &c->scenes[i], &c->params, &cam, box));
        nb_rect r = nb_legend_drawing_rect(&c->scenes[i], &cam, l->width, l->height);
        drawing.x0 = fminf(drawing.x0, r.x0);
        drawing.y0 = fminf(drawing.y0, r.y0);
        drawing.x1 = fmaxf(drawing.x1, r.x1);
        drawing.y1 = fmaxf(drawing.y1, r.y1);
    }
    nb_rect title_rects[NB_COMPARE_MAX_FILES];
    size_t n_titles = 0;
    if (!c->opt->no_titles) {
        const nb_font_face *face = NULL;
        NB_TRY(nb_renderer_text_face(&c->renderer, &face));
        const float rgba[4] = {c->params.foreground[0], c->params.foreground[1],
                               c->params.foreground[2], 1.0f};
        nb_overlay_buffer buf = {0};
        nb_status st = nb_compare_titles_build(l, face, c->title_ptr, rgba, &buf, title_rects);
        if (st == NB_OK)
            st = nb_renderer_draw_overlay(&c->renderer, &buf);
        free(buf.v);
        NB_TRY(st);
        n_titles = c->n;
    }
    if (c->params.show_legend) {
        /* classes named by the first file that names them, encoding read off the first */
        nb_scene legend_scene = c->scenes[0];
        legend_scene.class_names = c->scenes[c->names_from].class_names;
        NB_TRY(nb_renderer_draw_legend(&c->renderer, &legend_scene, &c->params, drawing,
                                       title_rects, n_titles));
    }
    return NB_OK;
}

static nb_status render(compare_run *c) {
    const nb_render_options *opt = c->opt;
    const int W = opt->width, H = opt->height;
    NB_TRY(nb_window_open(&c->window, "nnbundle-render (compare)", 64, 64, false));
    NB_TRY(nb_renderer_load(&c->renderer, W, H));
    c->gl_ready = true;
    if (c->renderer.font_warning[0] && (c->params.show_legend || !opt->no_titles))
        nb_log_warn("legend font: %s", c->renderer.font_warning);

    nb_camera cam;
    pose_camera(c, &cam);
    const int title_h = opt->no_titles ? 0 : nb_compare_title_height(W, H);
    NB_TRY(nb_compare_choose(c->scene_ptr, c->n, &c->params, W, H, title_h, opt->columns,
                             &c->layout, &cam));
    const bool frames = opt->mode == NB_RUN_FRAMES;
    if (c->params.camera_fit && ((frames && opt->orbit) || c->config.auto_orbit)) {
        int n_yaws = frames && opt->orbit && opt->count <= 360 ? (int)opt->count : 72;
        (void)nb_compare_frame_orbit(c->scene_ptr, c->n, &c->params, &c->layout, n_yaws, &cam);
    }
    nb_log_info("compare: %zu networks in %d x %d panels of %dx%d pixels, one camera (pose %d, "
                "distance %.4g, fov %.4g)%s",
                c->n, c->layout.cols, c->layout.rows, c->layout.panel_w, c->layout.panel_h,
                c->config.camera_pose, (double)cam.distance, (double)cam.fov_degrees,
                opt->shared_scale ? ", one importance scale" : "");
    for (size_t i = 0; i < c->n; i++) {
        size_t nodes = 0, segments = 0;
        nb_scene_count_visible(&c->scenes[i], c->params.node.importance_threshold,
                               c->params.edge.importance_threshold, &nodes, &segments);
        nb_log_debug("panel %zu, %s: %zu of %zu nodes, %zu of %zu segments drawn", i,
                     opt->inputs[i], nodes, c->scenes[i].n_nodes, segments,
                     c->scenes[i].n_segments);
    }
    const nb_image_options io = {opt->transparent, opt->jpeg_quality};
    if (!frames) {
        NB_TRY(draw_image(c, &cam));
        NB_TRY(nb_renderer_write_image(&c->renderer, opt->screenshot_path, &io));
        nb_log_info("wrote %s (%dx%d)", opt->screenshot_path, W, H);
        return NB_OK;
    }
    NB_TRY(nb_screenshot_make_dir(opt->frames_dir));
    nb_progress prog;
    nb_progress_begin(&prog, "frames", (uint64_t)opt->count);
    nb_camera frame_cam = cam;
    for (long i = 0; i < opt->count; i++) {
        if (opt->orbit) {
            frame_cam = cam;
            nb_camera_orbit(&frame_cam, 360.0f * (float)i / (float)opt->count, 0.0f);
        } else if (c->config.auto_orbit && i > 0) {
            nb_camera_orbit(&frame_cam, c->params.orbit_speed_degrees, 0.0f);
        }
        NB_TRY(draw_image(c, &frame_cam));
        char path[4096];
        int k = snprintf(path, sizeof path, "%s/frame_%05ld.%s", opt->frames_dir, i,
                         nb_screenshot_extension(opt->image_format));
        if (k < 0 || (size_t)k >= sizeof path)
            return NB_RAISE(NB_E_IO, opt->frames_dir, "path too long");
        NB_TRY(nb_renderer_write_image(&c->renderer, path, &io));
        nb_progress_update(&prog, (uint64_t)(i + 1), NULL);
    }
    nb_progress_end(&prog, NULL);
    nb_log_info("wrote %ld frames to %s/frame_%05d.%s ...", opt->count, opt->frames_dir, 0,
                nb_screenshot_extension(opt->image_format));
    return NB_OK;
}

nb_status nb_app_compare_run(const nb_render_options *opt) {
    if (opt->n_inputs < 2 || opt->n_inputs > NB_COMPARE_MAX_FILES)
        return NB_RAISE(NB_E_INVALID, "compare", "%d files (2..%d)", opt->n_inputs,
                        NB_COMPARE_MAX_FILES);
    compare_run *c = calloc(1, sizeof *c);
    if (!c)
        return NB_RAISE(NB_E_NOMEM, "compare", "state");
    c->opt = opt;
    c->n = (size_t)opt->n_inputs;
    nb_status st = prepare(c);
    if (st == NB_OK)
        st = render(c);
    release(c);
    free(c);
    return st;
}
