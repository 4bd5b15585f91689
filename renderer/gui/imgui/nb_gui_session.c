/* nb_gui_session.c - the GUI in a viewer's loop: hooks, shown models, processing, picking.
 *
 * DESIGN: glue between a viewer (the nb_gui_host it gives: nnbundle-render's nb_app) and the
 * GUI (nb_gui_state + the ImGui view nb_gui.cpp). The update hook runs before the viewer draws
 * the scene: the panels are built, the Rendering form edits the live config in place, the
 * requests are acted on and the scene is centred in the area the panels leave free, so the
 * frame drawn next shows every edit of this frame; the viewer derives the uniforms and
 * rebuilds a stale scene itself. The draw hook renders the panels over the presented frame.
 * Derived models: the activation view and a processing run show a model other than the
 * file's; the real one is kept in `base` (a deep copy) and put back on cancel or when the
 * view is switched off. The activation view's model multiplies each node's class importance
 * vector by its activation display value in [0, 1] (importance x activation: the node's share
 * of this image's evidence). Class shares, hence hues, are unchanged; size (node_size *
 * norm), opacity (mean) and the edge cull key (alpha * mean of the source) all scale with the
 * activation, so silent nodes and the edges leaving them fade out and the input plane shows
 * the image; the scene module needs no special mode. A processing job (nb_gui_job.c) runs on
 * a worker thread; the update hook takes its newest snapshot and shows it through the host;
 * on success the result becomes the shown model (the file on disk is untouched until "Save
 * .nnb.h5", written with nb_h5_save's temp + rename). A model replaced behind the GUI's back
 * (live reload) is noticed by its point buffer changing. Input: events are routed by
 * nb_gui_process_event (nb_gui_input.h: capture decided on the event); Tab hides and shows
 * the panels. Every frame the largest rectangle the panels leave free (nb_gui_layout.h) goes
 * to the host, which centres the scene there. Picking: press + release within 3 px on the
 * scene, ray-sphere test against the drawn impostor radii (nb_gui_state_node_at). Scripts
 * (NB_GUI_SCRIPT, nb_gui_script.h) push real SDL events for input, so tests exercise the same
 * path as a user; their report and screenshot files are written atomically (nb_file). Main thread
 * only; the only other thread is the job's worker, which shares nothing with this file but the job
 * object. Config keys read: node_size, node_importance_threshold (picking), all rendering keys
 * through the form.
 */
#include "nb_gui_session.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_file.h"
#include "nb_gl.h"
#include "nb_gui.h"
#include "nb_gui_input.h"
#include "nb_gui_job.h"
#include "nb_gui_layout.h"
#include "nb_gui_script.h"
#include "nb_gui_state.h"
#include "nb_h5.h"
#include "nb_log.h"
#include "nb_screenshot.h"

#define NB_GUI_CLICK_SLOP 3 /* px between press and release that still count as a click */

typedef enum shown_kind {
    SHOWN_FILE = 0,       /* the viewer shows the real model */
    SHOWN_ACTIVATION = 1, /* it shows a model derived from base for the activation view */
    SHOWN_PROCESSING = 2, /* it shows a processing snapshot; base is the previous model */
} shown_kind;

struct nb_gui_session {
    nb_gui_host host;
    nb_gui *gui;
    nb_gui_state st;
    nb_gui_fps fps;
    double last_frame_time;
    bool wants_keyboard; /* a panel had the keyboard in the last frame drawn */
    float free_rect[4];  /* what the panels leave free, as given to the host */
    /* click detection */
    bool press_pending;
    int press_x, press_y;
    int64_t last_click_pick; /* node picked by the last click, -1 none, -2 no click yet */
    /* models */
    shown_kind shown;
    nb_model base; /* the real model while a derived one is shown */
    bool has_base;
    const float *shown_points; /* the shown model's point_position when the GUI last synced */
    unsigned stale_frames; /* frames presented with uniforms older than the config (0 expected) */
    nb_gui_job *job;
    /* script */
    nb_gui_script *script;
    const char *after; /* the script's command to run on the finished frame */
    char message[NB_GUI_MESSAGE_MAX];
};

static nb_gui_view view_of(const nb_gui_session *g) {
    nb_gui_view v;
    g->host.query(g->host.viewer, &v);
    return v;
}

/* The window's size in window coordinates (the panels' and the events' pixels). */
static void window_size(const nb_gui_session *g, int *w, int *h) {
    SDL_GetWindowSize(view_of(g).window, w, h);
}

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
 * derived one, else what the viewer shows. */
static const nb_model *real_model(const nb_gui_session *g) {
    return g->shown == SHOWN_ACTIVATION && g->has_base ? &g->base : view_of(g).model;
}

/* Shows model m in the viewer (takes it) and refreshes the GUI's view of it. */
static nb_status show_model(nb_gui_session *g, nb_model *m) {
    nb_status s = g->host.show_model(g->host.viewer, m);
    if (s != NB_OK) {
        snprintf(g->message, sizeof g->message, "cannot show the model: %s", nb_error_message());
        return s;
    }
    const nb_gui_view v = view_of(g);
    g->shown_points = v.model->bundle.point_position;
    return nb_gui_state_set_model(&g->st, real_model(g), v.path);
}

/* Puts the real model back (activation off, processing cancelled). */
static void restore_base(nb_gui_session *g) {
    if (!g->has_base)
        return;
    g->has_base = false;
    g->shown = SHOWN_FILE;
    if (show_model(g, &g->base) != NB_OK)
        nb_log_warn("GUI: %s", g->message);
    memset(&g->base, 0, sizeof g->base);
}

/* Keeps a copy of the shown model as base (once). */
static nb_status keep_base(nb_gui_session *g) {
    if (g->has_base)
        return NB_OK;
    NB_TRY(copy_model(&g->base, view_of(g).model));
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

static void show_activation(nb_gui_session *g) {
    if (!g->st.activation_on) {
        if (g->shown == SHOWN_ACTIVATION)
            restore_base(g);
        return;
    }
    if (g->shown == SHOWN_PROCESSING) {
        g->st.activation_on = false;
        snprintf(g->st.data_message, sizeof g->st.data_message,
                 "the activation view is off while processing runs");
        return;
    }
    if (keep_base(g) != NB_OK) {
        g->st.activation_on = false;
        snprintf(g->st.data_message, sizeof g->st.data_message, "%s", nb_error_message());
        return;
    }
    g->shown = SHOWN_ACTIVATION;
    if (nb_gui_state_update_activation(&g->st, &g->base) != NB_OK) {
        restore_base(g);
        return;
    }
    nb_model m;
    if (activation_model(&g->base, &g->st.activation, &m) != NB_OK || show_model(g, &m) != NB_OK) {
        snprintf(g->st.data_message, sizeof g->st.data_message, "%s", nb_error_message());
        g->st.activation_on = false;
        restore_base(g);
    }
}

/* ---- processing ---------------------------------------------------------------------- */

static void start_job(nb_gui_session *g) {
    if (g->job)
        return;
    if (g->shown == SHOWN_ACTIVATION) {
        g->st.activation_on = false;
        restore_base(g);
    }
    nb_gui_job_desc d = {
        .cfg = &g->st.processing,
        .model = view_of(g).model,
        .recompute_importance = g->st.recompute_importance,
        .data_dir = g->st.data_dir,
        .threads = 0,
    };
    nb_status s = keep_base(g);
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

static void poll_job(nb_gui_session *g) {
    if (!g->job)
        return;
    nb_gui_job_query(g->job, &g->st.progress);
    nb_model snap;
    memset(&snap, 0, sizeof snap);
    if (nb_gui_job_take_snapshot(g->job, &snap) && show_model(g, &snap) != NB_OK)
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
        if (show_model(g, &result) == NB_OK)
            snprintf(g->st.processing_message, sizeof g->st.processing_message,
                     "done: %zu edges, mean distortion %.3f; not saved yet",
                     view_of(g).model->bundle.n_edges,
                     view_of(g).model->bundle.metrics.mean_distortion);
        else
            snprintf(g->st.processing_message, sizeof g->st.processing_message, "%s", g->message);
        return;
    }
    restore_base(g);
    snprintf(g->st.processing_message, sizeof g->st.processing_message, "%s",
             s == NB_E_CANCELLED ? "cancelled: the previous network is shown again" : msg);
}

static void save_result(nb_gui_session *g) {
    const nb_model *m = real_model(g);
    nb_status s = nb_h5_save(g->st.result_path, m);
    if (s == NB_OK)
        snprintf(g->st.processing_message, sizeof g->st.processing_message, "saved %s",
                 g->st.result_path);
    else
        snprintf(g->st.processing_message, sizeof g->st.processing_message, "%s",
                 nb_error_message());
}

/* ---- frame pieces -------------------------------------------------------------------- */

static void handle_requests(nb_gui_session *g) {
    unsigned req = g->st.requests;
    g->st.requests &= ~(NB_GUI_REQ_ACTIVATION | NB_GUI_REQ_RUN | NB_GUI_REQ_CANCEL |
                        NB_GUI_REQ_SAVE_RESULT | NB_GUI_REQ_PAIR);
    nb_gui_state_handle_requests(&g->st, real_model(g));
    if (req & NB_GUI_REQ_ACTIVATION)
        show_activation(g);
    if (req & NB_GUI_REQ_PAIR)
        g->host.show_pair(g->host.viewer, g->st.selected_pair);
    if (req & NB_GUI_REQ_RUN)
        start_job(g);
    if ((req & NB_GUI_REQ_CANCEL) && g->job)
        (void)nb_gui_job_cancel(g->job);
    if (req & NB_GUI_REQ_SAVE_RESULT)
        save_result(g);
}

/* The model was replaced behind the GUI (live reload): drop derived state. */
static void sync_model(nb_gui_session *g) {
    const nb_gui_view v = view_of(g);
    if (v.model->bundle.point_position == g->shown_points)
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
    g->shown_points = v.model->bundle.point_position;
    if (nb_gui_state_set_model(&g->st, v.model, v.path) != NB_OK)
        nb_log_warn("GUI: %s", nb_error_message());
}

static void pick_at(nb_gui_session *g, int x, int y) {
    int w, h;
    window_size(g, &w, &h);
    const nb_gui_view v = view_of(g);
    float vp[16];
    nb_camera_view_projection(v.camera, (float)w, (float)h, vp);
    /* the scene's radii are the drawn ones (display-scaled importance) when it was built from
     * the model shown */
    int64_t node = nb_gui_state_node_at(v.model, v.scene, vp, (float)w, (float)h, (float)x + 0.5f,
                                        (float)y + 0.5f, v.params->node.size,
                                        v.params->node.importance_threshold, g->st.selected_pair);
    g->last_click_pick = node;
    if (nb_gui_state_pick(&g->st, real_model(g), node) != NB_OK)
        nb_log_warn("GUI: %s", nb_error_message());
    else if (node >= 0)
        nb_gui_state_show_tab(&g->st, NB_GUI_TAB_NODE);
}

/* The part of the window the panels of the last frame leave free (none while hidden) goes to
 * the host, which centres the scene there. */
static void update_free_rect(nb_gui_session *g) {
    int w, h;
    window_size(g, &w, &h);
    nb_gui_input_panels p;
    nb_gui_query_panels(g->gui, &p);
    if (g->st.panels_hidden)
        p.n_rects = 0;
    nb_gui_layout_free_rect((float)w, (float)h, (const float(*)[4])p.rect, p.n_rects, g->free_rect);
    (void)g->host.set_free_rect(g->host.viewer, g->free_rect);
}

/* Counts a frame presented with uniforms other than those of the live config (a frame drawn
 * before the panels' edits: the frame order would be wrong). */
static void count_stale_frame(nb_gui_session *g, const nb_gui_view *v) {
    nb_render_params current;
    nb_render_params_from_config(v->config, &current);
    if (memcmp(&current, v->params, sizeof current) != 0)
        g->stale_frames++;
}

/* ---- commands on the finished frame -------------------------------------------------- */

/* Interaction and models: who holds the mouse, the panels, the free area, the camera, and a
 * checksum of the shown polylines (tests compare models). */
static void report_view(const nb_gui_session *g, const nb_gui_view *v, cJSON *root) {
    cJSON_AddBoolToObject(root, "orbiting", v->orbiting);
    cJSON_AddBoolToObject(root, "panning", v->panning);
    cJSON_AddBoolToObject(root, "panels_hidden", g->st.panels_hidden);
    nb_gui_input_panels panels;
    nb_gui_query_panels(g->gui, &panels);
    int w, h;
    window_size(g, &w, &h);
    cJSON_AddNumberToObject(root, "panel_rects", (double)panels.n_rects);
    cJSON_AddNumberToObject(root, "panel_share",
                            nb_gui_layout_covered_share((float)w, (float)h,
                                                        (const float(*)[4])panels.rect,
                                                        panels.n_rects));
    const double vr[4] = {g->free_rect[0], g->free_rect[1], g->free_rect[2], g->free_rect[3]};
    cJSON_AddItemToObject(root, "view_rect", cJSON_CreateDoubleArray(vr, 4));
    const nb_camera *c = v->camera;
    const double shift[2] = {c->shift[0], c->shift[1]};
    cJSON_AddItemToObject(root, "camera_shift", cJSON_CreateDoubleArray(shift, 2));
    cJSON_AddNumberToObject(root, "camera_yaw", (double)c->yaw);
    cJSON_AddNumberToObject(root, "camera_pitch", (double)c->pitch);
    cJSON_AddNumberToObject(root, "camera_distance", (double)c->distance);
    const double target[3] = {c->target[0], c->target[1], c->target[2]};
    cJSON_AddItemToObject(root, "camera_target", cJSON_CreateDoubleArray(target, 3));
    if (g->st.has_pick) {
        char title[NB_NAME_MAX + 96];
        nb_gui_inspect_title(&g->st.pick, title, sizeof title);
        cJSON_AddStringToObject(root, "pick_title", title);
    }
    const nb_bundle_data *b = &v->model->bundle;
    double checksum = 0.0;
    for (size_t i = 0; i < 3 * b->n_points; i++)
        checksum += (double)b->point_position[i] * (double)(1 + i % 7);
    cJSON_AddNumberToObject(root, "shown_edges", (double)b->n_edges);
    cJSON_AddNumberToObject(root, "shown_points", (double)b->n_points);
    cJSON_AddNumberToObject(root, "shown_checksum", checksum);
}

/* The panels' state: picked node, activation view, processing, rendering file. */
static void report_state(const nb_gui_session *g, cJSON *root) {
    const nb_gui_state *st = &g->st;
    cJSON_AddNumberToObject(root, "last_click_pick", (double)g->last_click_pick);
    cJSON_AddBoolToObject(root, "has_pick", st->has_pick);
    if (st->has_pick) {
        cJSON_AddNumberToObject(root, "pick_node", (double)st->pick.node);
        cJSON_AddNumberToObject(root, "pick_layer", (double)st->pick.layer);
        cJSON_AddNumberToObject(root, "pick_index", (double)st->pick.index);
        cJSON_AddNumberToObject(root, "pick_top_images", (double)st->pick.n_top);
        int thumbs = 0;
        for (size_t k = 0; k < NB_GUI_INSPECT_TOP; k++)
            thumbs += st->top_image[k].rgba != NULL;
        cJSON_AddNumberToObject(root, "pick_thumbnails", thumbs);
        cJSON_AddBoolToObject(root, "pick_weight_image", st->weight_image.rgba != NULL);
        cJSON_AddNumberToObject(root, "overlay_lines", (double)st->n_overlay_lines);
    }
    cJSON_AddBoolToObject(root, "activation_on", st->activation_on);
    if (st->activation_on && st->activation.valid) {
        cJSON_AddNumberToObject(root, "activation_image", (double)st->activation.image);
        cJSON_AddNumberToObject(root, "activation_label", (double)st->activation.label);
        cJSON_AddNumberToObject(root, "activation_predicted", (double)st->activation.predicted);
    }
    cJSON_AddNumberToObject(root, "selected_pair", (double)st->selected_pair);
    cJSON_AddStringToObject(root, "processing_phase", st->progress.phase);
    cJSON_AddNumberToObject(root, "processing_snapshots", (double)st->progress.snapshots);
    cJSON_AddStringToObject(root, "processing_message", st->processing_message);
    cJSON_AddStringToObject(root, "render_file_error", st->render_form.file_error);
}

/* The script's "report PATH": what tests check, as JSON. */
static nb_status write_report(const nb_gui_session *g, const char *path) {
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NB_RAISE(NB_E_NOMEM, path, "report");
    const nb_gui_view v = view_of(g);
    cJSON_AddNumberToObject(root, "frame", (double)v.frame);
    report_state(g, root);
    cJSON_AddNumberToObject(root, "uniform_edge_depth_opacity",
                            (double)v.params->edge.depth_opacity);
    cJSON_AddNumberToObject(root, "stale_frames", (double)g->stale_frames);
    report_view(g, &v, root);
    char *cfg = NULL;
    if (nb_config_to_json(&nb_rendering_schema, v.config, &cfg) == NB_OK) {
        cJSON *c = cJSON_Parse(cfg);
        if (c)
            cJSON_AddItemToObject(root, "rendering", c);
        free(cfg);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return NB_RAISE(NB_E_NOMEM, path, "report text");
    nb_status s = nb_file_save(path, text, strlen(text));
    free(text);
    return s;
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

/* The script's commands that act on the finished frame: screenshot, report, quit. Returns
 * false for quit. */
static bool run_after_draw(nb_gui_session *g, const char *cmd) {
    char word[32] = "", arg[1024] = "";
    if (sscanf(cmd, "%31s %1023[^\n]", word, arg) < 1)
        return true;
    nb_status s = NB_OK;
    if (strcmp(word, "screenshot") == 0) {
        int w = 0, h = 0;
        SDL_GL_GetDrawableSize(view_of(g).window, &w, &h);
        s = window_screenshot(w, h, arg);
        if (s == NB_OK)
            nb_log_info("GUI screenshot %s (%dx%d)", arg, w, h);
    } else if (strcmp(word, "report") == 0) {
        s = write_report(g, arg);
    } else if (strcmp(word, "quit") == 0) {
        return false;
    }
    if (s != NB_OK)
        nb_log_warn("GUI script: %s", nb_error_message());
    return true;
}

/* ---- hooks --------------------------------------------------------------------------- */

nb_gui_session *nb_gui_session_open(const nb_gui_host *host) {
    nb_gui_session *g = calloc(1, sizeof *g);
    if (!g) {
        nb_log_warn("GUI disabled: out of memory");
        return NULL;
    }
    g->host = *host;
    const nb_gui_view v = view_of(g);
    nb_status s = nb_gui_create(v.window, SDL_GL_GetCurrentContext(), &g->gui);
    if (s == NB_OK)
        s = nb_gui_state_init(&g->st, v.config);
    if (s == NB_OK)
        s = nb_gui_state_set_model(&g->st, v.model, v.path);
    if (s != NB_OK) {
        nb_log_warn("GUI disabled: %s", nb_error_message());
        nb_gui_state_deinit(&g->st);
        nb_gui_destroy(g->gui);
        free(g);
        return NULL;
    }
    g->shown_points = v.model->bundle.point_position;
    g->last_click_pick = -2;
    if (v.config_path)
        snprintf(g->st.render_path, sizeof g->st.render_path, "%s", v.config_path);
    nb_gui_fps_init(&g->fps);
    g->last_frame_time = nb_time_now();
    /* the default layout's free area (everything left of the sidebar): frame the drawing
     * into it now, before the first frame's events, so a key or wheel event of that frame is
     * not undone by the framing; update_free_rect follows later layout changes */
    int w, h;
    window_size(g, &w, &h);
    if (w > 0 && h > 0) {
        const float side[1][4] = {
            {(float)w - nb_gui_layout_sidebar_width((float)w), 0.0f, (float)w, (float)h}};
        nb_gui_layout_free_rect((float)w, (float)h, side, 1, g->free_rect);
        (void)g->host.set_free_rect(g->host.viewer, g->free_rect);
    }
    g->script = nb_gui_script_create(getenv("NB_GUI_SCRIPT"));
    return g;
}

bool nb_gui_session_event(nb_gui_session *g, const SDL_Event *ev) {
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
            pick_at(g, ev->button.x, ev->button.y);
    }
    return false; /* the viewer still orbits on drags and ends the orbit on release */
}

void nb_gui_session_update(nb_gui_session *g) {
    if (!g)
        return;
    double now = nb_time_now();
    nb_gui_fps_add(&g->fps, now - g->last_frame_time);
    g->last_frame_time = now;
    g->st.fps = nb_gui_fps_value(&g->fps);
    sync_model(g);
    poll_job(g);
    const nb_gui_script_target target = {&g->st, &g->host, g->job != NULL};
    g->after = nb_gui_script_step(g->script, &target);
    nb_gui_view v = view_of(g);
    if (v.scene)
        nb_scene_count_visible(v.scene, v.params->node.importance_threshold,
                               v.params->edge.importance_threshold, &g->st.visible_nodes,
                               &g->st.visible_segments);
    nb_gui_form_refresh(&g->st.render_form);
    update_free_rect(g);
    int w, h;
    window_size(g, &w, &h);
    float vp[16];
    nb_camera_view_projection(v.camera, (float)w, (float)h, vp);
    if (nb_gui_state_update_overlay(&g->st, v.model, vp, (float)w, (float)h, v.params->node.size) !=
        NB_OK)
        nb_log_warn("GUI: %s", nb_error_message());
    nb_gui_new_frame(g->gui);
    nb_gui_draw_panels(g->gui, &g->st);
    handle_requests(g);
}

bool nb_gui_session_draw(nb_gui_session *g) {
    if (!g)
        return true;
    const nb_gui_view v = view_of(g);
    count_stale_frame(g, &v);
    nb_gui_render(g->gui);
    g->wants_keyboard = nb_gui_wants_keyboard(g->gui);
    const char *after = g->after;
    g->after = NULL;
    return after ? run_after_draw(g, after) : true;
}

bool nb_gui_session_wants_keyboard(const nb_gui_session *g) {
    return g && g->wants_keyboard;
}

void nb_gui_session_close(nb_gui_session *g) {
    if (!g)
        return;
    nb_gui_job_destroy(g->job);
    if (g->has_base)
        nb_model_deinit(&g->base);
    nb_gui_state_deinit(&g->st);
    nb_gui_destroy(g->gui);
    nb_gui_script_destroy(g->script);
    free(g);
}
