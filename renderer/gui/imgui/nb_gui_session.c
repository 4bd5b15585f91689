/* nb_gui_app.c - the GUI in nnbundle-render's main loop: hooks, model bookkeeping, scripts.
 *
 * DESIGN: glue between nb_app (renderer/app/nb_app.h) and the GUI (nb_gui_state + the ImGui view
 * nb_gui.cpp). The rendering form edits app->config in place; nb_app re-derives the uniforms
 * from it every frame and rebuilds the scene when class view, background or the layer filter
 * change, so a slider move shows in the next drawn frame (the frame hook runs after the scene
 * is drawn). Derived models: the activation view and a processing run show a model other
 * than the file's; the real one is kept in `base` (a deep copy) and put back on cancel or
 * when the view is switched off. The activation view's model multiplies each node's class
 * importance vector by its activation display value in [0, 1] (importance x activation: the
 * node's share of this image's evidence). Class shares, hence hues, are unchanged; size
 * (node_size * norm), opacity (mean) and the edge cull key (alpha * mean of the source) all
 * scale with the activation, so silent nodes and the edges leaving them fade out and the
 * input plane shows the image; the scene module needs no special mode. A processing job
 * (nb_gui_job.c) runs on a worker thread; the frame hook takes its newest snapshot and shows it
 * through nb_app_replace_model; on success the result becomes the shown model (the file on disk is
 * untouched until "Save .nnb.h5", written with nb_h5_save's temp + rename). A model replaced
 * behind the GUI's back (live reload) is noticed by its point buffer changing. Input: events
 * are routed by nb_gui_process_event (nb_gui_input.h: capture decided on the event); Tab
 * hides and shows the panels. Every frame the largest rectangle the panels leave free
 * (nb_gui_layout.h) becomes app->view_rect and the camera's lens shift, so the scene is
 * centred there; a changed camera_pose moves the camera (nb_app_set_camera_pose). Picking:
 * press + release within 3 px on the scene, ray-sphere test against the drawn impostor
 * radii (nb_gui_state_node_at). Scripts (NB_GUI_SCRIPT, see nb_gui_app.h) push real SDL
 * events for input, so tests exercise the same path as a user. Main thread only; the only
 * other thread is the job's worker, which shares nothing with this file but the job object.
 * Config keys read: node_size, node_importance_threshold (picking), all rendering keys
 * through the form.
 */
#include "nb_gui_session.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_gl.h"
#include "nb_gui.h"
#include "nb_gui_input.h"
#include "nb_gui_job.h"
#include "nb_gui_layout.h"
#include "nb_gui_state.h"
#include "nb_h5.h"
#include "nb_log.h"
#include "nb_screenshot.h"

#define NB_GUI_CLICK_SLOP      3    /* px between press and release that still count as a click */
#define NB_GUI_SCRIPT_MAX      8192 /* bytes of NB_GUI_SCRIPT */
#define NB_GUI_WAIT_JOB_FRAMES 100000

typedef enum shown_kind {
    SHOWN_FILE = 0,       /* app->model is the real model */
    SHOWN_ACTIVATION = 1, /* app->model is derived from base for the activation view */
    SHOWN_PROCESSING = 2, /* app->model is a processing snapshot; base is the previous model */
} shown_kind;

struct nb_gui_app {
    nb_gui *gui;
    nb_gui_state st;
    nb_gui_fps fps;
    double last_frame_time;
    /* click detection */
    bool press_pending;
    int press_x, press_y;
    int64_t last_click_pick; /* node picked by the last click, -1 none, -2 no click yet */
    /* models */
    shown_kind shown;
    nb_model base; /* the real model while a derived one is shown */
    bool has_base;
    const float *shown_points; /* app->model.bundle.point_position when the GUI last synced */
    unsigned stale_frames; /* frames presented with uniforms older than the config (0 expected) */
    nb_gui_job *job;
    /* layer filter given on the command line, restored by "show all" */
    bool opt_filter;
    size_t opt_first, opt_last;
    /* script */
    char *script; /* commands, ';'-separated, parsed in place */
    char *script_next;
    char *command; /* the command being run */
    int command_phase;
    int wait_frames;
    bool script_has_pointer; /* the script moved the pointer: script_x, script_y */
    int script_x, script_y;
    Uint32 script_buttons; /* SDL_BUTTON masks the script holds */
    char message[NB_GUI_MESSAGE_MAX];
};

/* ---- models -------------------------------------------------------------------------- */

static nb_status copy_model(nb_model *dst, const nb_model *src) {
    nb_model m;
    memset(&m, 0, sizeof m);
    nb_status s = NB_OK;
    if (src->has_network) {
        s = nb_network_copy(&m.network, &src->network);
        m.has_network = s == NB_OK;
    }
    if (s == NB_OK && src->has_importance) {
        s = nb_importance_copy(&m.importance, &src->importance);
        m.has_importance = s == NB_OK;
    }
    if (s == NB_OK && src->has_bundle) {
        s = nb_bundle_data_copy(&m.bundle, &src->bundle);
        m.has_bundle = s == NB_OK;
    }
    if (s != NB_OK) {
        nb_model_deinit(&m);
        return s;
    }
    *dst = m;
    return NB_OK;
}

/* The model the inspector and processing read: base while the activation view shows a
 * derived one, else what is shown. */
static const nb_model *real_model(const nb_gui_app *g, const nb_app *app) {
    return g->shown == SHOWN_ACTIVATION && g->has_base ? &g->base : &app->model;
}

/* Shows model m in the app (takes it) and refreshes the GUI's view of it. */
static nb_status show_model(nb_gui_app *g, nb_app *app, nb_model *m) {
    nb_status s = nb_app_replace_model(app, m);
    if (s != NB_OK) {
        snprintf(g->message, sizeof g->message, "cannot show the model: %s", nb_error_message());
        return s;
    }
    g->shown_points = app->model.bundle.point_position;
    return nb_gui_state_set_model(&g->st, real_model(g, app), app->path);
}

/* Puts the real model back (activation off, processing cancelled). */
static void restore_base(nb_gui_app *g, nb_app *app) {
    if (!g->has_base)
        return;
    g->has_base = false;
    g->shown = SHOWN_FILE;
    if (show_model(g, app, &g->base) != NB_OK)
        nb_log_warn("GUI: %s", g->message);
    memset(&g->base, 0, sizeof g->base);
}

/* Keeps a copy of the shown model as base (once). */
static nb_status keep_base(nb_gui_app *g, const nb_app *app) {
    if (g->has_base)
        return NB_OK;
    NB_TRY(copy_model(&g->base, &app->model));
    g->has_base = true;
    return NB_OK;
}

/* A copy of base whose node importance vectors have length = activation display value. */
static nb_status activation_model(const nb_model *base, const nb_gui_activation *a, nb_model *out) {
    NB_TRY(copy_model(out, base));
    nb_importance *imp = &out->importance;
    if (!out->has_importance || imp->n_layers != out->network.n_layers) {
        if (out->has_importance)
            nb_importance_deinit(imp);
        nb_status s = nb_importance_init(imp, out->network.n_layers, out->network.layer_size, 0);
        if (s != NB_OK) {
            nb_model_deinit(out);
            return s;
        }
        out->has_importance = true;
        /* alpha = |w| / max |w| per pair, as the importance stage defines it */
        for (size_t l = 0; l + 1 < out->network.n_layers; l++) {
            size_t n = out->network.layer_size[l] * out->network.layer_size[l + 1];
            const float *w = nb_network_weight(&out->network, l);
            float mx = 0.0f, *alpha = nb_importance_edge(imp, l);
            for (size_t k = 0; k < n; k++)
                mx = fabsf(w[k]) > mx ? fabsf(w[k]) : mx;
            for (size_t k = 0; k < n; k++)
                alpha[k] = mx > 0.0f ? fabsf(w[k]) / mx : 0.0f;
        }
        size_t C = imp->n_classes;
        for (size_t k = 0; k < imp->node_offset[imp->n_layers]; k++)
            imp->node[k] = 1.0f / sqrtf((float)C);
    }
    size_t C = imp->n_classes, g = 0;
    for (size_t l = 0; l < imp->n_layers; l++)
        for (size_t i = 0; i < imp->layer_size[l]; i++, g++) {
            float *v = imp->node + imp->node_offset[l] + i * C;
            float value = g < a->n_nodes ? a->value[g] : 0.0f;
            for (size_t c = 0; c < C; c++)
                v[c] *= value;
        }
    return NB_OK;
}

static void show_activation(nb_gui_app *g, nb_app *app) {
    if (!g->st.activation_on) {
        if (g->shown == SHOWN_ACTIVATION)
            restore_base(g, app);
        return;
    }
    if (g->shown == SHOWN_PROCESSING) {
        g->st.activation_on = false;
        snprintf(g->st.data_message, sizeof g->st.data_message,
                 "the activation view is off while processing runs");
        return;
    }
    if (keep_base(g, app) != NB_OK) {
        g->st.activation_on = false;
        snprintf(g->st.data_message, sizeof g->st.data_message, "%s", nb_error_message());
        return;
    }
    g->shown = SHOWN_ACTIVATION;
    if (nb_gui_state_update_activation(&g->st, &g->base) != NB_OK) {
        restore_base(g, app);
        return;
    }
    nb_model m;
    if (activation_model(&g->base, &g->st.activation, &m) != NB_OK ||
        show_model(g, app, &m) != NB_OK) {
        snprintf(g->st.data_message, sizeof g->st.data_message, "%s", nb_error_message());
        g->st.activation_on = false;
        restore_base(g, app);
    }
}

/* ---- processing ---------------------------------------------------------------------- */

static void start_job(nb_gui_app *g, nb_app *app) {
    if (g->job)
        return;
    if (g->shown == SHOWN_ACTIVATION) {
        g->st.activation_on = false;
        restore_base(g, app);
    }
    nb_gui_job_desc d = {
        .cfg = &g->st.processing,
        .model = &app->model,
        .recompute_importance = g->st.recompute_importance,
        .data_dir = g->st.data_dir,
        .threads = 0,
    };
    nb_status s = keep_base(g, app);
    if (s == NB_OK)
        s = nb_gui_job_start(&d, &g->job);
    if (s != NB_OK) {
        snprintf(g->st.processing_message, sizeof g->st.processing_message, "%s",
                 nb_error_message());
        if (g->has_base) {
            nb_model_deinit(&g->base);
            g->has_base = false;
        }
        return;
    }
    g->shown = SHOWN_PROCESSING;
    g->st.processing_message[0] = '\0';
    nb_gui_job_query(g->job, &g->st.progress);
}

static void poll_job(nb_gui_app *g, nb_app *app) {
    if (!g->job)
        return;
    nb_gui_job_query(g->job, &g->st.progress);
    nb_model snap;
    memset(&snap, 0, sizeof snap);
    if (nb_gui_job_take_snapshot(g->job, &snap) && show_model(g, app, &snap) != NB_OK)
        nb_log_warn("GUI: snapshot not shown: %s", g->message);
    if (!nb_gui_job_done(g->job))
        return;
    nb_model result;
    memset(&result, 0, sizeof result);
    char msg[NB_GUI_MESSAGE_MAX];
    nb_status s = nb_gui_job_join(g->job, &result, msg);
    nb_gui_job_query(g->job, &g->st.progress);
    nb_gui_job_destroy(g->job);
    g->job = NULL;
    if (s == NB_OK) {
        /* the result is the shown model now; the file on disk is untouched until saved */
        g->shown = SHOWN_FILE;
        if (g->has_base) {
            nb_model_deinit(&g->base);
            g->has_base = false;
        }
        if (show_model(g, app, &result) == NB_OK)
            snprintf(g->st.processing_message, sizeof g->st.processing_message,
                     "done: %zu edges, mean distortion %.3f; not saved yet",
                     app->model.bundle.n_edges, app->model.bundle.metrics.mean_distortion);
        else
            snprintf(g->st.processing_message, sizeof g->st.processing_message, "%s", g->message);
        return;
    }
    restore_base(g, app);
    snprintf(g->st.processing_message, sizeof g->st.processing_message, "%s",
             s == NB_E_CANCELLED ? "cancelled: the previous network is shown again" : msg);
}

static void save_result(nb_gui_app *g, const nb_app *app) {
    const nb_model *m = real_model(g, app);
    nb_status s = nb_h5_save(g->st.result_path, m);
    if (s == NB_OK)
        snprintf(g->st.processing_message, sizeof g->st.processing_message, "saved %s",
                 g->st.result_path);
    else
        snprintf(g->st.processing_message, sizeof g->st.processing_message, "%s",
                 nb_error_message());
}

/* ---- frame pieces -------------------------------------------------------------------- */

static void window_size(const nb_app *app, int *w, int *h) {
    SDL_GetWindowSize(app->window.window, w, h);
    if (*w < 1 || *h < 1) {
        *w = app->window.width;
        *h = app->window.height;
    }
}

static void apply_pair_filter(nb_gui_app *g, nb_app *app) {
    if (g->st.selected_pair < 0) {
        app->opt.filter_layers = g->opt_filter;
        app->opt.pair_first = g->opt_first;
        app->opt.pair_last = g->opt_last;
    } else {
        app->opt.filter_layers = true;
        app->opt.pair_first = app->opt.pair_last = (size_t)g->st.selected_pair;
    }
}

static void handle_requests(nb_gui_app *g, nb_app *app) {
    unsigned req = g->st.requests;
    g->st.requests &= ~(NB_GUI_REQ_ACTIVATION | NB_GUI_REQ_RUN | NB_GUI_REQ_CANCEL |
                        NB_GUI_REQ_SAVE_RESULT | NB_GUI_REQ_PAIR);
    nb_gui_state_handle_requests(&g->st, real_model(g, app));
    if (req & NB_GUI_REQ_ACTIVATION)
        show_activation(g, app);
    if (req & NB_GUI_REQ_PAIR)
        apply_pair_filter(g, app);
    if (req & NB_GUI_REQ_RUN)
        start_job(g, app);
    if ((req & NB_GUI_REQ_CANCEL) && g->job)
        (void)nb_gui_job_cancel(g->job);
    if (req & NB_GUI_REQ_SAVE_RESULT)
        save_result(g, app);
}

static bool same_uniforms(const nb_object_uniforms *a, const nb_object_uniforms *b) {
    return a->size == b->size && a->base_opacity == b->base_opacity &&
           a->importance_opacity == b->importance_opacity && a->depth_opacity == b->depth_opacity &&
           a->depth_exponent == b->depth_exponent &&
           a->importance_threshold == b->importance_threshold;
}

static bool same_params(const nb_render_params *a, const nb_render_params *b) {
    return same_uniforms(&a->node, &b->node) && same_uniforms(&a->edge, &b->edge) &&
           a->node_pass.pipeline == b->node_pass.pipeline &&
           a->node_pass.output == b->node_pass.output &&
           a->edge_pass.pipeline == b->edge_pass.pipeline &&
           a->edge_pass.output == b->edge_pass.output && a->transparency == b->transparency &&
           a->background[0] == b->background[0] && a->background[1] == b->background[1] &&
           a->background[2] == b->background[2] && a->fov_degrees == b->fov_degrees &&
           a->show_legend == b->show_legend;
}

/* The scene was built for other class view / class / background / layer filter settings. */
static bool scene_stale(const nb_app *app) {
    nb_scene_desc want;
    memset(&want, 0, sizeof want);
    nb_scene_desc_from_config(&app->config, &want);
    const nb_scene_desc *d = &app->scene_desc;
    return want.class_view != d->class_view || want.class_index != d->class_index ||
           want.background[0] != d->background[0] || want.background[1] != d->background[1] ||
           want.background[2] != d->background[2] || app->opt.filter_layers != d->filter_pairs ||
           (app->opt.filter_layers &&
            (app->opt.pair_first != d->pair_first || app->opt.pair_last != d->pair_last));
}

/* The frame hook runs after the scene was drawn; when the panels changed the rendering config
 * (or the layer filter) in this frame, or the camera moved (camera_pose, the free area), the
 * scene is drawn and presented again with the new uniforms and camera, so an edit shows in
 * the same frame as the widget that made it. */
static void redraw_if_edited(nb_gui_app *g, nb_app *app, unsigned form_generation, bool pair,
                             bool view_moved) {
    if (g->st.render_form.generation == form_generation && !pair && !view_moved)
        return;
    nb_render_params_from_config(&app->config, &app->params);
    app->camera.fov_degrees = app->params.fov_degrees;
    if (scene_stale(app) && nb_app_rebuild_scene(app) != NB_OK)
        nb_log_warn("GUI: scene not rebuilt: %s", nb_error_message());
    if (nb_renderer_draw(&app->renderer, &app->scene, &app->params, &app->camera) != NB_OK)
        nb_log_warn("GUI: redraw failed: %s", nb_error_message());
    nb_renderer_present(&app->renderer, app->window.width, app->window.height);
}

/* The model was replaced behind the GUI (live reload): drop derived state. */
static void sync_model(nb_gui_app *g, nb_app *app) {
    if (app->model.bundle.point_position == g->shown_points)
        return;
    if (g->job) {
        nb_gui_job_destroy(g->job);
        g->job = NULL;
        memset(&g->st.progress, 0, sizeof g->st.progress);
        snprintf(g->st.processing_message, sizeof g->st.processing_message,
                 "the file changed on disk: processing stopped");
    }
    if (g->has_base) {
        nb_model_deinit(&g->base);
        g->has_base = false;
    }
    g->shown = SHOWN_FILE;
    g->st.activation_on = false;
    g->shown_points = app->model.bundle.point_position;
    if (nb_gui_state_set_model(&g->st, &app->model, app->path) != NB_OK)
        nb_log_warn("GUI: %s", nb_error_message());
}

static void pick_at(nb_gui_app *g, nb_app *app, int x, int y) {
    int w, h;
    window_size(app, &w, &h);
    float vp[16];
    nb_camera_view_projection(&app->camera, (float)w, (float)h, vp);
    /* the scene's radii are the drawn ones (display-scaled importance) when it was built from
     * the model shown */
    const nb_scene *scene = app->has_scene ? &app->scene : NULL;
    int64_t node = nb_gui_state_node_at(&app->model, scene, vp, (float)w, (float)h, (float)x + 0.5f,
                                        (float)y + 0.5f, app->params.node.size,
                                        app->params.node.importance_threshold, g->st.selected_pair);
    g->last_click_pick = node;
    if (nb_gui_state_pick(&g->st, real_model(g, app), node) != NB_OK)
        nb_log_warn("GUI: %s", nb_error_message());
    else if (node >= 0)
        nb_gui_state_show_tab(&g->st, NB_GUI_TAB_NODE);
}

/* The scene is centred in the part of the window the panels leave free (the panel rectangles
 * of the last frame; none while hidden): app->view_rect. The first time there is such a
 * rectangle the drawing is framed into it (nb_app_fit_camera, with camera_fit); afterwards,
 * when panels open, close or move, the picture follows the rectangle's centre (a lens shift,
 * nb_camera_follow_rect), so zoom and pan are kept. Returns whether the view moved. */
static bool update_view_rect(nb_gui_app *g, nb_app *app) {
    int w, h;
    window_size(app, &w, &h);
    nb_gui_input_panels p;
    nb_gui_query_panels(g->gui, &p);
    if (g->st.panels_hidden)
        p.n_rects = 0;
    float old[4];
    memcpy(old, app->view_rect, sizeof old);
    nb_gui_layout_free_rect((float)w, (float)h, (const float(*)[4])p.rect, p.n_rects,
                            app->view_rect);
    if (!memcmp(old, app->view_rect, sizeof old))
        return false;
    if (!(old[2] > old[0] && old[3] > old[1])) {
        const float whole[4] = {0.0f, 0.0f, (float)w, (float)h};
        if (!(app->config.camera_fit && nb_app_fit_camera(app, app->view_rect)))
            nb_camera_follow_rect(&app->camera, (float)w, (float)h, whole, app->view_rect);
    } else {
        nb_camera_follow_rect(&app->camera, (float)w, (float)h, old, app->view_rect);
    }
    return true;
}

/* The config's camera_pose changed (the Rendering panel, Load, Reset): move the camera. */
static bool follow_camera_pose(nb_app *app) {
    if (app->config.camera_pose == app->camera_pose_applied)
        return false;
    app->camera_pose_applied = app->config.camera_pose; /* an invalid one is not retried */
    return nb_app_set_camera_pose(app, app->config.camera_pose);
}

/* ---- script ------------------------------------------------------------------------ */

/* A mouse event at window pixel (x, y); motion carries the relative move from the last
 * scripted position (the camera orbits and pans by it). */
static void push_button(nb_gui_app *g, const nb_app *app, Uint32 type, int x, int y, Uint8 button) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    if (type == SDL_MOUSEMOTION) {
        ev.motion.windowID = SDL_GetWindowID(app->window.window);
        ev.motion.x = x;
        ev.motion.y = y;
        ev.motion.xrel = g->script_has_pointer ? x - g->script_x : 0;
        ev.motion.yrel = g->script_has_pointer ? y - g->script_y : 0;
        ev.motion.state = g->script_buttons;
    } else {
        ev.button.windowID = SDL_GetWindowID(app->window.window);
        ev.button.button = button;
        ev.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
        ev.button.clicks = 1;
        ev.button.x = x;
        ev.button.y = y;
        if (type == SDL_MOUSEBUTTONDOWN)
            g->script_buttons |= SDL_BUTTON(button);
        else
            g->script_buttons &= ~SDL_BUTTON(button);
    }
    g->script_has_pointer = true;
    g->script_x = x;
    g->script_y = y;
    SDL_PushEvent(&ev);
}

static void push_mouse(nb_gui_app *g, const nb_app *app, Uint32 type, int x, int y) {
    push_button(g, app, type, x, y, SDL_BUTTON_LEFT);
}

static void push_wheel(const nb_app *app, int steps) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEWHEEL;
    ev.wheel.windowID = SDL_GetWindowID(app->window.window);
    ev.wheel.y = steps;
    ev.wheel.preciseY = (float)steps;
    ev.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
    SDL_PushEvent(&ev);
}

/* Key press and release of the key named `name` (SDL_GetKeyFromName: "Tab", "1", "h", ...).
 * Returns false for an unknown name. */
static bool push_key(const nb_app *app, const char *name) {
    SDL_Keycode k = SDL_GetKeyFromName(name);
    if (k == SDLK_UNKNOWN)
        return false;
    for (int up = 0; up < 2; up++) {
        SDL_Event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = up ? SDL_KEYUP : SDL_KEYDOWN;
        ev.key.windowID = SDL_GetWindowID(app->window.window);
        ev.key.state = up ? SDL_RELEASED : SDL_PRESSED;
        ev.key.keysym.sym = k;
        ev.key.keysym.scancode = SDL_GetScancodeFromKey(k);
        SDL_PushEvent(&ev);
    }
    return true;
}

static bool *panel_flag(nb_gui_state *st, const char *name) {
    if (strcmp(name, "rendering") == 0)
        return &st->show_rendering;
    if (strcmp(name, "stats") == 0)
        return &st->show_stats;
    if (strcmp(name, "processing") == 0)
        return &st->show_processing;
    if (strcmp(name, "node") == 0)
        return &st->show_inspector;
    if (strcmp(name, "activations") == 0)
        return &st->show_activation;
    if (strcmp(name, "layers") == 0)
        return &st->show_layers;
    return NULL;
}

static nb_status write_report(nb_gui_app *g, nb_app *app, const char *path) {
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NB_RAISE(NB_E_NOMEM, path, "report");
    cJSON_AddNumberToObject(root, "frame", (double)app->frame);
    cJSON_AddNumberToObject(root, "last_click_pick", (double)g->last_click_pick);
    cJSON_AddBoolToObject(root, "has_pick", g->st.has_pick);
    if (g->st.has_pick) {
        cJSON_AddNumberToObject(root, "pick_node", (double)g->st.pick.node);
        cJSON_AddNumberToObject(root, "pick_layer", (double)g->st.pick.layer);
        cJSON_AddNumberToObject(root, "pick_index", (double)g->st.pick.index);
        cJSON_AddNumberToObject(root, "pick_top_images", (double)g->st.pick.n_top);
        int thumbs = 0;
        for (size_t k = 0; k < NB_GUI_INSPECT_TOP; k++)
            thumbs += g->st.top_image[k].rgba != NULL;
        cJSON_AddNumberToObject(root, "pick_thumbnails", thumbs);
        cJSON_AddBoolToObject(root, "pick_weight_image", g->st.weight_image.rgba != NULL);
        cJSON_AddNumberToObject(root, "overlay_lines", (double)g->st.n_overlay_lines);
    }
    cJSON_AddBoolToObject(root, "activation_on", g->st.activation_on);
    if (g->st.activation_on && g->st.activation.valid) {
        cJSON_AddNumberToObject(root, "activation_image", (double)g->st.activation.image);
        cJSON_AddNumberToObject(root, "activation_label", (double)g->st.activation.label);
        cJSON_AddNumberToObject(root, "activation_predicted", (double)g->st.activation.predicted);
    }
    cJSON_AddNumberToObject(root, "selected_pair", (double)g->st.selected_pair);
    cJSON_AddStringToObject(root, "processing_phase", g->st.progress.phase);
    cJSON_AddNumberToObject(root, "processing_snapshots", (double)g->st.progress.snapshots);
    cJSON_AddStringToObject(root, "processing_message", g->st.processing_message);
    cJSON_AddStringToObject(root, "render_file_error", g->st.render_form.file_error);
    cJSON_AddNumberToObject(root, "uniform_edge_depth_opacity",
                            (double)app->params.edge.depth_opacity);
    cJSON_AddNumberToObject(root, "stale_frames", (double)g->stale_frames);
    /* interaction: who holds the mouse, the panels, the free area, the camera */
    cJSON_AddBoolToObject(root, "orbiting", app->orbiting);
    cJSON_AddBoolToObject(root, "panning", app->panning);
    cJSON_AddBoolToObject(root, "panels_hidden", g->st.panels_hidden);
    nb_gui_input_panels panels;
    nb_gui_query_panels(g->gui, &panels);
    int w, h;
    window_size(app, &w, &h);
    cJSON_AddNumberToObject(root, "panel_rects", (double)panels.n_rects);
    cJSON_AddNumberToObject(root, "panel_share",
                            nb_gui_layout_covered_share((float)w, (float)h,
                                                        (const float(*)[4])panels.rect,
                                                        panels.n_rects));
    const double vr[4] = {app->view_rect[0], app->view_rect[1], app->view_rect[2],
                          app->view_rect[3]};
    cJSON_AddItemToObject(root, "view_rect", cJSON_CreateDoubleArray(vr, 4));
    const double shift[2] = {app->camera.shift[0], app->camera.shift[1]};
    cJSON_AddItemToObject(root, "camera_shift", cJSON_CreateDoubleArray(shift, 2));
    cJSON_AddNumberToObject(root, "camera_yaw", (double)app->camera.yaw);
    cJSON_AddNumberToObject(root, "camera_pitch", (double)app->camera.pitch);
    cJSON_AddNumberToObject(root, "camera_distance", (double)app->camera.distance);
    const double target[3] = {app->camera.target[0], app->camera.target[1], app->camera.target[2]};
    cJSON_AddItemToObject(root, "camera_target", cJSON_CreateDoubleArray(target, 3));
    if (g->st.has_pick) {
        char title[NB_NAME_MAX + 96];
        nb_gui_inspect_title(&g->st.pick, title, sizeof title);
        cJSON_AddStringToObject(root, "pick_title", title);
    }
    /* what is shown: /bundle sizes and a checksum of the polylines (tests compare models) */
    double checksum = 0.0;
    for (size_t i = 0; i < 3 * app->model.bundle.n_points; i++)
        checksum += (double)app->model.bundle.point_position[i] * (double)(1 + i % 7);
    cJSON_AddNumberToObject(root, "shown_edges", (double)app->model.bundle.n_edges);
    cJSON_AddNumberToObject(root, "shown_points", (double)app->model.bundle.n_points);
    cJSON_AddNumberToObject(root, "shown_checksum", checksum);
    char *cfg = NULL;
    if (nb_config_to_json(&nb_rendering_schema, &app->config, &cfg) == NB_OK) {
        cJSON *c = cJSON_Parse(cfg);
        if (c)
            cJSON_AddItemToObject(root, "rendering", c);
        free(cfg);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return NB_RAISE(NB_E_NOMEM, path, "report text");
    FILE *f = fopen(path, "w");
    nb_status s = NB_OK;
    if (!f || fputs(text, f) < 0)
        s = NB_RAISE(NB_E_IO, path, "cannot write the report: %s", strerror(errno));
    if (f && fclose(f) != 0 && s == NB_OK)
        s = NB_RAISE(NB_E_IO, path, "cannot write the report: %s", strerror(errno));
    free(text);
    return s;
}

/* Trims spaces in place. */
static char *trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Applies "KEY=VALUE" to a form by key index (through the widgets' own setter path). */
static void script_set(nb_gui_form *f, const char *assignment) {
    char key[128];
    const char *eq = strchr(assignment, '=');
    if (!eq || (size_t)(eq - assignment) >= sizeof key) {
        nb_log_warn("GUI script: '%s' is not KEY=VALUE", assignment);
        return;
    }
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    const nb_config_key *k = nb_config_find(f->schema, key);
    if (!k) {
        nb_log_warn("GUI script: no key %s", key);
        return;
    }
    size_t i = (size_t)(k - f->schema->keys);
    const char *v = eq + 1;
    nb_status s = NB_OK;
    if (k->type == NB_CONFIG_STRING) {
        s = nb_gui_form_set_text(f, i, v);
    } else if (k->type == NB_CONFIG_ENUM) {
        double idx = -1.0;
        for (size_t e = 0; k->enum_names && k->enum_names[e]; e++)
            if (strcmp(k->enum_names[e], v) == 0)
                idx = (double)e;
        s = nb_gui_form_set_number(f, i, idx);
    } else if (k->type == NB_CONFIG_BOOL) {
        s = nb_gui_form_set_number(f, i, strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    } else if (k->type == NB_CONFIG_COLOR) {
        double rgb[3];
        if (sscanf(v, "%lf,%lf,%lf", &rgb[0], &rgb[1], &rgb[2]) == 3)
            s = nb_gui_form_set_color(f, i, rgb);
        else
            nb_log_warn("GUI script: colour %s is not R,G,B", v);
    } else {
        s = nb_gui_form_set_number(f, i, strtod(v, NULL));
    }
    if (s != NB_OK)
        nb_log_warn("GUI script: %s", nb_error_message());
}

/* Runs one frame's worth of the current command; returns true when it is finished. */
static bool script_step(nb_gui_app *g, nb_app *app, char *cmd) {
    char word[32] = "", arg[1024] = "";
    int n = sscanf(cmd, "%31s %1023[^\n]", word, arg);
    if (n < 1)
        return true;
    int phase = g->command_phase++;
    if (strcmp(word, "wait") == 0) {
        g->wait_frames = atoi(arg) > 0 ? atoi(arg) - 1 : 0;
        return true;
    }
    if (strcmp(word, "show") == 0 || strcmp(word, "hide") == 0) {
        bool *flag = panel_flag(&g->st, arg);
        if (!flag) {
            nb_log_warn("GUI script: no panel '%s'", arg);
            return true;
        }
        *flag = word[0] == 's';
        const nb_gui_tab tab = flag == &g->st.show_rendering    ? NB_GUI_TAB_RENDERING
                               : flag == &g->st.show_inspector  ? NB_GUI_TAB_NODE
                               : flag == &g->st.show_stats      ? NB_GUI_TAB_STATS
                               : flag == &g->st.show_processing ? NB_GUI_TAB_PROCESSING
                                                                : NB_GUI_TAB_NONE;
        if (*flag && tab != NB_GUI_TAB_NONE)
            nb_gui_state_show_tab(&g->st, tab);
        return true;
    }
    if (strcmp(word, "click") == 0) {
        int x = 0, y = 0;
        if (sscanf(arg, "%d %d", &x, &y) != 2) {
            nb_log_warn("GUI script: click needs X Y");
            return true;
        }
        if (phase >= 3)
            return true; /* the release was seen in the frame before */
        Uint32 type = phase == 0   ? SDL_MOUSEMOTION
                      : phase == 1 ? SDL_MOUSEBUTTONDOWN
                                   : SDL_MOUSEBUTTONUP;
        push_mouse(g, app, type, x, y);
        return false;
    }
    if (strcmp(word, "move") == 0 || strcmp(word, "press") == 0 || strcmp(word, "release") == 0) {
        int x = 0, y = 0, b = SDL_BUTTON_LEFT;
        if (sscanf(arg, "%d %d %d", &x, &y, &b) < 2 || b < 1 || b > 5) {
            nb_log_warn("GUI script: %s needs X Y [BUTTON 1..5]", word);
            return true;
        }
        Uint32 type = word[0] == 'm'   ? SDL_MOUSEMOTION
                      : word[0] == 'p' ? SDL_MOUSEBUTTONDOWN
                                       : SDL_MOUSEBUTTONUP;
        push_button(g, app, type, x, y, (Uint8)b);
        return true;
    }
    if (strcmp(word, "wheel") == 0) {
        int x = 0, y = 0, steps = 0;
        if (sscanf(arg, "%d %d %d", &x, &y, &steps) != 3) {
            nb_log_warn("GUI script: wheel needs X Y STEPS");
            return true;
        }
        if (phase == 0) { /* the pointer first, as a real wheel turn comes after a motion */
            push_mouse(g, app, SDL_MOUSEMOTION, x, y);
            return false;
        }
        push_wheel(app, steps);
        return true;
    }
    if (strcmp(word, "key") == 0) {
        if (!push_key(app, arg))
            nb_log_warn("GUI script: no key named '%s'", arg);
        return true;
    }
    if (strcmp(word, "drag") == 0) {
        char key[128];
        double f0, f1;
        const nb_config_key *k = NULL;
        if (sscanf(arg, "%127s %lf %lf", key, &f0, &f1) != 3 ||
            !(k = nb_config_find(&nb_rendering_schema, key))) {
            nb_log_warn("GUI script: drag needs a rendering KEY F0 F1");
            return true;
        }
        const float *r = g->st.render_rect[k - nb_rendering_schema.keys];
        if (!(r[2] > r[0])) {
            if (phase < 3)
                return false; /* not drawn yet (panel just opened) */
            nb_log_warn("GUI script: the widget of %s is not visible", key);
            return true;
        }
        const int steps = 4;
        int y = (int)((r[1] + r[3]) * 0.5f);
        int x0 = (int)(r[0] + (float)f0 * (r[2] - r[0]));
        int x1 = (int)(r[0] + (float)f1 * (r[2] - r[0]));
        if (phase == 0)
            push_mouse(g, app, SDL_MOUSEMOTION, x0, y);
        else if (phase == 1)
            push_mouse(g, app, SDL_MOUSEBUTTONDOWN, x0, y);
        else if (phase < 2 + steps)
            push_mouse(g, app, SDL_MOUSEMOTION, x0 + (x1 - x0) * (phase - 1) / steps, y);
        else if (phase == 2 + steps)
            push_mouse(g, app, SDL_MOUSEBUTTONUP, x1, y);
        else
            return true;
        return false;
    }
    if (strcmp(word, "pick") == 0) {
        if (sscanf(arg, "%d:%d", &g->st.pick_layer, &g->st.pick_index) == 2)
            g->st.requests |= NB_GUI_REQ_PICK_NODE;
        else
            nb_log_warn("GUI script: pick needs L:I");
        return true;
    }
    if (strcmp(word, "unpick") == 0) {
        g->st.requests |= NB_GUI_REQ_CLEAR_PICK;
        return true;
    }
    if (strcmp(word, "activation") == 0) {
        g->st.activation_on = true;
        g->st.show_activation = true;
        g->st.activation_image = atoi(arg);
        g->st.requests |= NB_GUI_REQ_ACTIVATION;
        return true;
    }
    if (strcmp(word, "pair") == 0) {
        g->st.selected_pair = atoi(arg);
        g->st.requests |= NB_GUI_REQ_PAIR;
        return true;
    }
    if (strcmp(word, "set") == 0) {
        script_set(&g->st.render_form, arg);
        return true;
    }
    if (strcmp(word, "pset") == 0) {
        script_set(&g->st.processing_form, arg);
        return true;
    }
    if (strcmp(word, "rload") == 0 || strcmp(word, "rsave") == 0) {
        snprintf(g->st.render_path, sizeof g->st.render_path, "%s", arg);
        g->st.requests |= word[1] == 'l' ? NB_GUI_REQ_RENDER_LOAD : NB_GUI_REQ_RENDER_SAVE;
        return true;
    }
    if (strcmp(word, "save") == 0) {
        snprintf(g->st.result_path, sizeof g->st.result_path, "%s", arg);
        g->st.requests |= NB_GUI_REQ_SAVE_RESULT;
        return true;
    }
    if (strcmp(word, "data") == 0) {
        snprintf(g->st.data_dir, sizeof g->st.data_dir, "%s", arg);
        g->st.requests |= NB_GUI_REQ_LOAD_DATA;
        return true;
    }
    if (strcmp(word, "run") == 0) {
        g->st.requests |= NB_GUI_REQ_RUN;
        return true;
    }
    if (strcmp(word, "cancel") == 0) {
        g->st.requests |= NB_GUI_REQ_CANCEL;
        return true;
    }
    if (strcmp(word, "wait-job") == 0)
        return !g->job || phase >= NB_GUI_WAIT_JOB_FRAMES;
    if (strcmp(word, "zoom") == 0) {
        nb_camera_zoom(&app->camera, (float)atof(arg));
        return true;
    }
    if (strcmp(word, "camera") == 0) {
        if (!nb_app_set_camera_pose(app, atoi(arg)))
            nb_log_warn("GUI script: no camera pose %s", arg);
        return true;
    }
    if (strcmp(word, "screenshot") == 0 || strcmp(word, "report") == 0 || strcmp(word, "quit") == 0)
        return true; /* run after the panels are drawn (nb_gui_app_frame) */
    nb_log_warn("GUI script: unknown command '%s'", word);
    return true;
}

/* The window as shown (scene + panels) as an RGB PNG: the back buffer, after nb_gui_render. */
static nb_status window_screenshot(int width, int height, const char *path) {
    if (width < 1 || height < 1)
        return NB_RAISE(NB_E_INVALID, path, "screenshot of %dx%d pixels", width, height);
    size_t n = (size_t)width * (size_t)height * 3;
    unsigned char *rgb = malloc(n);
    if (!rgb)
        return NB_RAISE(NB_E_NOMEM, path, "%zu bytes of pixels", n);
    nb_status s = nb_gl_read_pixels(0, width, height, 3, rgb);
    if (s == NB_OK)
        s = nb_screenshot_write_png(path, rgb, width, height);
    free(rgb);
    return s;
}

/* Commands that act on the finished frame: screenshot, report, quit. */
static void script_after_render(nb_gui_app *g, nb_app *app, const char *cmd) {
    char word[32] = "", arg[1024] = "";
    if (sscanf(cmd, "%31s %1023[^\n]", word, arg) < 1)
        return;
    nb_status s = NB_OK;
    if (strcmp(word, "screenshot") == 0) {
        int w = 0, h = 0;
        SDL_GL_GetDrawableSize(app->window.window, &w, &h);
        s = window_screenshot(w, h, arg);
        if (s == NB_OK)
            nb_log_info("GUI screenshot %s (%dx%d)", arg, w, h);
    } else if (strcmp(word, "report") == 0) {
        s = write_report(g, app, arg);
    } else if (strcmp(word, "quit") == 0) {
        app->running = false;
    }
    if (s != NB_OK)
        nb_log_warn("GUI script: %s", nb_error_message());
}

/* The next command, or NULL at the end. */
static char *next_command(nb_gui_app *g) {
    while (g->script_next && *g->script_next) {
        char *start = g->script_next;
        char *end = strchr(start, ';');
        if (end) {
            *end = '\0';
            g->script_next = end + 1;
        } else {
            g->script_next = start + strlen(start);
        }
        char *cmd = trim(start);
        if (*cmd)
            return cmd;
    }
    return NULL;
}

/* Advances the script by one frame; returns the command to finish after rendering, if any. */
static const char *script_frame(nb_gui_app *g, nb_app *app) {
    if (!g->script)
        return NULL;
    if (g->wait_frames > 0) {
        g->wait_frames--;
        return NULL;
    }
    if (!g->command) {
        g->command = next_command(g);
        g->command_phase = 0;
        if (!g->command)
            return NULL;
    }
    char *cmd = g->command;
    if (script_step(g, app, cmd)) {
        g->command = NULL;
        return cmd;
    }
    return NULL;
}

/* ---- hooks --------------------------------------------------------------------------- */

nb_gui_app *nb_gui_app_open(nb_app *app) {
    nb_gui_app *g = calloc(1, sizeof *g);
    if (!g) {
        nb_log_warn("GUI disabled: out of memory");
        return NULL;
    }
    nb_status s = nb_gui_create(app->window.window, SDL_GL_GetCurrentContext(), &g->gui);
    if (s == NB_OK)
        s = nb_gui_state_init(&g->st, &app->config);
    if (s == NB_OK)
        s = nb_gui_state_set_model(&g->st, &app->model, app->path);
    if (s != NB_OK) {
        nb_log_warn("GUI disabled: %s", nb_error_message());
        nb_gui_state_deinit(&g->st);
        nb_gui_destroy(g->gui);
        free(g);
        return NULL;
    }
    g->shown_points = app->model.bundle.point_position;
    g->last_click_pick = -2;
    app->camera_pose_applied = app->config.camera_pose; /* where nb_app_open_gl put it */
    if (app->opt.config_path)
        snprintf(g->st.render_path, sizeof g->st.render_path, "%s", app->opt.config_path);
    g->opt_filter = app->opt.filter_layers;
    g->opt_first = app->opt.pair_first;
    g->opt_last = app->opt.pair_last;
    nb_gui_fps_init(&g->fps);
    g->last_frame_time = nb_time_now();
    /* the default layout's free area (everything left of the sidebar): frame the drawing
     * into it now, before the first frame's events, so a key or wheel event of that frame is
     * not undone by the framing; update_view_rect follows later layout changes */
    int w, h;
    window_size(app, &w, &h);
    if (w > 0 && h > 0) {
        const float side[1][4] = {
            {(float)w - nb_gui_layout_sidebar_width((float)w), 0.0f, (float)w, (float)h}};
        nb_gui_layout_free_rect((float)w, (float)h, side, 1, app->view_rect);
        if (!(app->config.camera_fit && nb_app_fit_camera(app, app->view_rect))) {
            const float whole[4] = {0.0f, 0.0f, (float)w, (float)h};
            nb_camera_follow_rect(&app->camera, (float)w, (float)h, whole, app->view_rect);
        }
    }
    const char *script = getenv("NB_GUI_SCRIPT");
    if (script && *script) {
        size_t n = strnlen(script, NB_GUI_SCRIPT_MAX);
        g->script = malloc(n + 1);
        if (g->script) {
            memcpy(g->script, script, n);
            g->script[n] = '\0';
            g->script_next = g->script;
        }
    }
    return g;
}

bool nb_gui_app_event(nb_gui_app *g, nb_app *app, const SDL_Event *ev) {
    if (!g)
        return false;
    bool taken = nb_gui_process_event(g->gui, ev);
    if (taken) {
        if (ev->type == SDL_MOUSEBUTTONDOWN)
            g->press_pending = false;
        return true;
    }
    if (nb_gui_input_is_panel_toggle(ev)) {
        g->st.panels_hidden = !g->st.panels_hidden;
        return true;
    }
    if (ev->type == SDL_MOUSEBUTTONDOWN && ev->button.button == SDL_BUTTON_LEFT) {
        g->press_pending = true;
        g->press_x = ev->button.x;
        g->press_y = ev->button.y;
    } else if (ev->type == SDL_MOUSEBUTTONUP && ev->button.button == SDL_BUTTON_LEFT &&
               g->press_pending) {
        g->press_pending = false;
        if (abs(ev->button.x - g->press_x) <= NB_GUI_CLICK_SLOP &&
            abs(ev->button.y - g->press_y) <= NB_GUI_CLICK_SLOP)
            pick_at(g, app, ev->button.x, ev->button.y);
    }
    return false; /* the app still orbits on drags and ends the orbit on release */
}

void nb_gui_app_frame(nb_gui_app *g, nb_app *app) {
    if (!g)
        return;
    double now = nb_time_now();
    nb_gui_fps_add(&g->fps, now - g->last_frame_time);
    g->last_frame_time = now;
    g->st.fps = nb_gui_fps_value(&g->fps);
    unsigned form_generation = g->st.render_form.generation;
    sync_model(g, app);
    poll_job(g, app);
    const char *after = script_frame(g, app);
    if (app->has_scene)
        nb_scene_count_visible(&app->scene, app->params.node.importance_threshold,
                               app->params.edge.importance_threshold, &g->st.visible_nodes,
                               &g->st.visible_segments);
    nb_gui_form_refresh(&g->st.render_form);
    bool view_moved = update_view_rect(g, app);
    int w, h;
    window_size(app, &w, &h);
    float vp[16];
    nb_camera_view_projection(&app->camera, (float)w, (float)h, vp);
    if (nb_gui_state_update_overlay(&g->st, &app->model, vp, (float)w, (float)h,
                                    app->params.node.size) != NB_OK)
        nb_log_warn("GUI: %s", nb_error_message());
    nb_gui_new_frame(g->gui);
    nb_gui_draw_panels(g->gui, &g->st);
    bool pair = (g->st.requests & NB_GUI_REQ_PAIR) != 0;
    handle_requests(g, app);
    bool moved = follow_camera_pose(app);
    redraw_if_edited(g, app, form_generation, pair, moved || view_moved);
    nb_render_params current;
    nb_render_params_from_config(&app->config, &current);
    if (!same_params(&current, &app->params))
        g->stale_frames++;
    nb_gui_render(g->gui);
    app->gui_wants_keyboard = nb_gui_wants_keyboard(g->gui);
    if (after)
        script_after_render(g, app, after);
}

void nb_gui_app_close(nb_gui_app *g) {
    if (!g)
        return;
    nb_gui_job_destroy(g->job);
    if (g->has_base)
        nb_model_deinit(&g->base);
    nb_gui_state_deinit(&g->st);
    nb_gui_destroy(g->gui);
    free(g->script);
    free(g);
}
