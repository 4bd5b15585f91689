/* nb_gui_state.c - the GUI controller's GL-free part: model facts, picking, inspection images,
 * activation view, test-set loading.
 *
 * DESIGN: the ImGui view (nb_gui.cpp) only draws an nb_gui_state and sets request bits; this
 * file turns a model and user actions into what the panels show. A pick is a ray-sphere test
 * against the node impostors (nb_gui_pick.c) with the camera's view-projection inverted here;
 * the inspected node's top-activating test images (indices from /importance top, reference
 * method.md §8.2) and first-layer input weights become RGBA8 images for textures; the activation
 * view runs nb_mlp_forward on one test image (nb_gui_activation.c). The Fashion-MNIST test set
 * is loaded lazily with nb_idx_load_dir from data_dir. Single-threaded: the GUI thread owns
 * the state. Config keys read: node_size, node_importance_threshold (passed in by callers).
 */
#include "nb_gui_state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_palette.h"

nb_status nb_gui_image_set(nb_gui_image *img, size_t width, size_t height, const uint8_t *rgba) {
    size_t bytes = width * height * 4;
    uint8_t *p = img->rgba;
    if (img->width * img->height != width * height || !p) {
        p = malloc(bytes ? bytes : 4);
        if (!p)
            return NB_RAISE(NB_E_NOMEM, "GUI image", "%zux%zu", width, height);
        free(img->rgba);
    }
    memcpy(p, rgba, bytes);
    img->rgba = p;
    img->width = width;
    img->height = height;
    img->generation++;
    return NB_OK;
}

void nb_gui_image_clear(nb_gui_image *img) {
    free(img->rgba);
    img->rgba = NULL;
    img->width = img->height = 0;
    img->generation++;
}

void nb_gui_state_show_tab(nb_gui_state *st, nb_gui_tab tab) {
    bool *flag = tab == NB_GUI_TAB_RENDERING    ? &st->show_rendering
                 : tab == NB_GUI_TAB_NODE       ? &st->show_inspector
                 : tab == NB_GUI_TAB_STATS      ? &st->show_stats
                 : tab == NB_GUI_TAB_PROCESSING ? &st->show_processing
                                                : NULL;
    if (!flag)
        return;
    *flag = true;
    st->tab_request = tab;
}

nb_status nb_gui_state_init(nb_gui_state *st, nb_rendering_config *render_cfg) {
    memset(st, 0, sizeof *st);
    st->show_rendering = st->show_stats = st->show_processing = st->show_inspector = true;
    st->selected_pair = -1;
    st->recompute_importance = false;
    snprintf(st->render_path, sizeof st->render_path, "rendering.json");
    snprintf(st->result_path, sizeof st->result_path, "processed.nnb.h5");
    snprintf(st->data_dir, sizeof st->data_dir, "%s", NB_IDX_DEFAULT_DIR);
    nb_config_defaults(&nb_processing_schema, &st->processing);
    nb_status s = nb_gui_form_init(&st->render_form, &nb_rendering_schema, render_cfg, true);
    if (s == NB_OK)
        s = nb_gui_form_init(&st->processing_form, &nb_processing_schema, &st->processing, false);
    if (s == NB_OK) {
        st->render_rect = calloc(nb_rendering_schema.n_keys, sizeof *st->render_rect);
        if (!st->render_rect)
            s = NB_RAISE(NB_E_NOMEM, "GUI state", "widget rectangles");
    }
    if (s != NB_OK) {
        nb_gui_state_deinit(st);
        return s;
    }
    return NB_OK;
}

void nb_gui_state_deinit(nb_gui_state *st) {
    nb_gui_form_deinit(&st->render_form);
    nb_gui_form_deinit(&st->processing_form);
    nb_gui_layer_table_deinit(&st->layers);
    nb_gui_activation_deinit(&st->activation);
    for (size_t k = 0; k < NB_GUI_INSPECT_TOP; k++)
        free(st->top_image[k].rgba);
    free(st->weight_image.rgba);
    free(st->activation_input.rgba);
    free(st->class_color);
    free(st->render_rect);
    free(st->pick_edges);
    free(st->overlay_xy);
    free(st->overlay_offset);
    free(st->overlay_outgoing);
    nb_dataset_deinit(&st->test);
    memset(st, 0, sizeof *st);
}

nb_status nb_gui_state_set_model(nb_gui_state *st, const nb_model *m, const char *path) {
    nb_gui_layer_table_deinit(&st->layers);
    free(st->class_color);
    st->class_color = NULL;
    st->class_names = NULL;
    st->n_classes = 0;
    st->has_model = m != NULL && (m->has_network || m->has_bundle);
    snprintf(st->model_path, sizeof st->model_path, "%s", path ? path : "");
    if (!st->has_model) {
        memset(&st->stats, 0, sizeof st->stats);
        st->has_pick = false;
        return NB_OK;
    }
    nb_gui_stats_of(m, &st->stats);
    if (m->has_network) {
        NB_TRY(nb_gui_layer_table_init(&st->layers, m));
        st->n_classes = m->network.n_classes;
        st->class_names = m->network.class_names;
    } else if (m->has_importance) {
        st->n_classes = m->importance.n_classes;
    }
    if (st->n_classes) {
        st->class_color = malloc(st->n_classes * sizeof *st->class_color);
        if (!st->class_color)
            return NB_RAISE(NB_E_NOMEM, "GUI state", "%zu class colours", st->n_classes);
        for (size_t c = 0; c < st->n_classes; c++)
            nb_palette_color(c, st->class_color[c]);
    }
    if (st->selected_pair >= 0 && (size_t)st->selected_pair + 1 >= st->stats.n_layers)
        st->selected_pair = -1;
    /* activation buffers follow the network's shape */
    if (m->has_network &&
        (st->activation.n_nodes != nb_network_n_nodes(&m->network) || !st->activation.raw)) {
        nb_gui_activation_deinit(&st->activation);
        NB_TRY(nb_gui_activation_init(&st->activation, &m->network));
    }
    if (st->has_pick) {
        size_t n = m->has_network ? nb_network_n_nodes(&m->network) : 0;
        if (st->pick.node < n)
            return nb_gui_state_pick(st, m, (int64_t)st->pick.node);
        st->has_pick = false;
    }
    return NB_OK;
}

nb_status nb_gui_state_load_test(nb_gui_state *st, bool force) {
    if (st->test_loaded && !force)
        return NB_OK;
    nb_dataset ds;
    nb_status s = nb_idx_load_dir(st->data_dir, NB_IDX_TEST, 0, &ds);
    if (s != NB_OK) {
        snprintf(st->data_message, sizeof st->data_message, "%s", nb_error_message());
        return s;
    }
    nb_dataset_deinit(&st->test);
    st->test = ds;
    st->test_loaded = true;
    snprintf(st->data_message, sizeof st->data_message, "%zu test images from %s", ds.n,
             st->data_dir);
    return NB_OK;
}

/* The test image `index` as an RGBA8 image of the data set's shape (RGB for 3 channels). */
static nb_status set_test_image(nb_gui_image *img, const nb_dataset *ds, size_t index) {
    size_t channels = ds->channels ? ds->channels : 1, n = ds->rows * ds->cols;
    uint8_t *rgba = malloc(n * 4);
    if (!rgba)
        return NB_RAISE(NB_E_NOMEM, "GUI image", "%zu pixels", n);
    nb_gui_image_chw_rgba(ds->images + index * ds->dim, channels, n, rgba);
    nb_status s = nb_gui_image_set(img, ds->cols, ds->rows, rgba);
    free(rgba);
    return s;
}

nb_status nb_gui_state_pick(nb_gui_state *st, const nb_model *m, int64_t node) {
    for (size_t k = 0; k < NB_GUI_INSPECT_TOP; k++)
        if (st->top_image[k].rgba)
            nb_gui_image_clear(&st->top_image[k]);
    if (st->weight_image.rgba)
        nb_gui_image_clear(&st->weight_image);
    st->inspector_message[0] = '\0';
    st->n_pick_edges = 0;
    st->overlay_visible = false;
    if (node < 0) {
        st->has_pick = false;
        return NB_OK;
    }
    nb_gui_node_info info;
    nb_status s = nb_gui_inspect_node(m, (size_t)node, &info);
    if (s != NB_OK) {
        st->has_pick = false;
        snprintf(st->inspector_message, sizeof st->inspector_message, "%s", nb_error_message());
        return s;
    }
    st->pick = info;
    st->has_pick = true;
    if (m->has_bundle) {
        const nb_bundle_data *b = &m->bundle;
        size_t n = 0;
        for (size_t e = 0; e < b->n_edges; e++)
            n += b->edge_source[e] == (uint32_t)node || b->edge_target[e] == (uint32_t)node;
        uint32_t *list = realloc(st->pick_edges, (n ? n : 1) * sizeof *list);
        if (!list)
            return NB_RAISE(NB_E_NOMEM, "GUI state", "%zu highlighted edges", n);
        st->pick_edges = list;
        for (size_t e = 0; e < b->n_edges; e++)
            if (b->edge_source[e] == (uint32_t)node || b->edge_target[e] == (uint32_t)node)
                list[st->n_pick_edges++] = (uint32_t)e;
    }
    st->pick_layer = (int)info.layer;
    st->pick_index = (int)info.index;
    if (info.has_input_image) {
        size_t w, h;
        float *wt = NULL;
        NB_TRY(nb_gui_inspect_input_image(&m->network, info.index, &wt, &w, &h));
        uint8_t *rgba = malloc(w * h * 4);
        if (!rgba) {
            free(wt);
            return NB_RAISE(NB_E_NOMEM, "GUI image", "%zux%zu", w, h);
        }
        nb_gui_image_diverging_rgba(wt, w * h, rgba, &st->weight_scale);
        s = nb_gui_image_set(&st->weight_image, w, h, rgba);
        free(rgba);
        free(wt);
        NB_TRY(s);
    }
    if (info.n_top > 0) {
        if (nb_gui_state_load_test(st, false) != NB_OK) {
            snprintf(st->inspector_message, sizeof st->inspector_message, "no thumbnails: %s",
                     st->data_message);
            return NB_OK;
        }
        const nb_network *net = &m->network;
        size_t inputs = net->n_ops > 0 ? net->in_c * net->in_h * net->in_w : net->layer_size[0];
        if (st->test.dim != inputs) {
            snprintf(st->inspector_message, sizeof st->inspector_message,
                     "no thumbnails: test images have %zu values, the network %zu inputs",
                     st->test.dim, inputs);
            return NB_OK;
        }
        for (size_t k = 0; k < info.n_top; k++) {
            if ((size_t)info.top[k] >= st->test.n)
                continue;
            NB_TRY(set_test_image(&st->top_image[k], &st->test, (size_t)info.top[k]));
        }
    }
    return NB_OK;
}

int64_t nb_gui_state_node_at(const nb_model *m, const struct nb_scene *scene,
                             const float view_proj[16], float w, float h, float px, float py,
                             double node_size, double node_threshold, int pair) {
    if (!m || !m->has_bundle || m->bundle.n_nodes == 0)
        return -1;
    const nb_bundle_data *b = &m->bundle;
    float inv[16];
    nb_gui_ray ray;
    if (!nb_gui_pick_invert(view_proj, inv) || !nb_gui_pick_ray(inv, w, h, px, py, &ray))
        return -1;
    float *radius = malloc(b->n_nodes * sizeof *radius);
    if (!radius)
        return -1;
    bool imp_ok = m->has_importance && m->importance.n_layers == b->n_layers;
    if (scene)
        nb_gui_pick_node_radii_scene(scene, b->n_nodes, node_size, node_threshold, radius);
    else
        nb_gui_pick_node_radii(b, imp_ok ? &m->importance : NULL, node_size, node_threshold,
                               radius);
    if (pair >= 0) {
        size_t lo = (size_t)pair, hi = (size_t)pair + 1;
        for (size_t l = 0; l < b->n_layers; l++)
            if (l < lo || l > hi)
                for (int64_t g = b->layer_offset[l]; g < b->layer_offset[l + 1]; g++)
                    radius[g] = 0.0f;
    }
    int64_t hit = nb_gui_pick_spheres(&ray, b->node_position, radius, b->n_nodes,
                                      (float)(0.5 * node_size), NULL);
    free(radius);
    return hit;
}

nb_status nb_gui_state_update_activation(nb_gui_state *st, const nb_model *m) {
    if (!st->activation_on)
        return NB_OK;
    nb_status s = NB_OK;
    if (!m || !m->has_network)
        s = NB_RAISE(NB_E_MISSING, "/network", "the activation view needs the network");
    if (s == NB_OK)
        s = nb_gui_state_load_test(st, false);
    if (s == NB_OK && st->test.n == 0)
        s = NB_RAISE(NB_E_MISSING, st->data_dir, "empty test set");
    if (s == NB_OK) {
        if (st->activation_image < 0)
            st->activation_image = 0;
        if ((size_t)st->activation_image >= st->test.n)
            st->activation_image = (int)(st->test.n - 1);
        s = nb_gui_activation_run(&st->activation, &m->network, &st->test,
                                  (size_t)st->activation_image);
    }
    if (s == NB_OK)
        s = set_test_image(&st->activation_input, &st->test, (size_t)st->activation_image);
    if (s != NB_OK) {
        st->activation_on = false;
        snprintf(st->data_message, sizeof st->data_message, "%s", nb_error_message());
    }
    return s;
}

unsigned nb_gui_state_handle_requests(nb_gui_state *st, const nb_model *m) {
    const unsigned mine = NB_GUI_REQ_RENDER_SAVE | NB_GUI_REQ_RENDER_LOAD |
                          NB_GUI_REQ_RENDER_RESET | NB_GUI_REQ_CLEAR_PICK | NB_GUI_REQ_PICK_NODE |
                          NB_GUI_REQ_ACTIVATION | NB_GUI_REQ_LOAD_DATA;
    unsigned req = st->requests & mine;
    st->requests &= ~mine;
    if (req & NB_GUI_REQ_RENDER_SAVE) {
        if (nb_gui_form_save(&st->render_form, st->render_path) == NB_OK)
            snprintf(st->render_message, sizeof st->render_message, "saved %s", st->render_path);
        else
            st->render_message[0] = '\0';
    }
    if (req & NB_GUI_REQ_RENDER_LOAD) {
        if (nb_gui_form_load(&st->render_form, st->render_path) == NB_OK)
            snprintf(st->render_message, sizeof st->render_message, "loaded %s", st->render_path);
        else
            st->render_message[0] = '\0';
    }
    if (req & NB_GUI_REQ_RENDER_RESET) {
        nb_gui_form_reset(&st->render_form);
        snprintf(st->render_message, sizeof st->render_message, "defaults restored");
    }
    if (req & NB_GUI_REQ_CLEAR_PICK)
        nb_gui_state_pick(st, m, -1);
    if ((req & NB_GUI_REQ_PICK_NODE) && m && m->has_network) {
        const nb_network *net = &m->network;
        if (st->pick_layer < 0 || (size_t)st->pick_layer >= net->n_layers || st->pick_index < 0 ||
            (size_t)st->pick_index >= net->layer_size[st->pick_layer]) {
            snprintf(st->inspector_message, sizeof st->inspector_message,
                     "no node %d:%d in this network", st->pick_layer, st->pick_index);
        } else {
            size_t g = nb_gui_inspect_global(net, (size_t)st->pick_layer, (size_t)st->pick_index);
            nb_gui_state_pick(st, m, (int64_t)g);
            nb_gui_state_show_tab(st, NB_GUI_TAB_NODE);
        }
    }
    if (req & NB_GUI_REQ_LOAD_DATA)
        nb_gui_state_load_test(st, true);
    if (req & NB_GUI_REQ_ACTIVATION)
        nb_gui_state_update_activation(st, m);
    return req;
}

/* Grows an array to hold at least n elements of size `elem`. */
static bool reserve(void **p, size_t *cap, size_t n, size_t elem) {
    if (n <= *cap)
        return true;
    size_t c = *cap ? *cap : 64;
    while (c < n)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

nb_status nb_gui_state_update_overlay(nb_gui_state *st, const nb_model *m,
                                      const float view_proj[16], float w, float h,
                                      double node_size) {
    st->overlay_visible = false;
    st->n_overlay_lines = 0;
    if (!st->has_pick || !m || !m->has_bundle || st->pick.node >= m->bundle.n_nodes)
        return NB_OK;
    const nb_bundle_data *b = &m->bundle;
    const float *p = b->node_position + 3 * st->pick.node;
    float sx, sy, ex, ey;
    if (!nb_gui_pick_project(view_proj, w, h, p, &sx, &sy, NULL))
        return NB_OK;
    double r = node_size * (st->pick.n_classes ? st->pick.importance_norm : 1.0);
    const float q[3] = {p[0] + (float)r, p[1], p[2]}, q2[3] = {p[0], p[1] + (float)r, p[2]};
    float rad = 0.0f;
    if (nb_gui_pick_project(view_proj, w, h, q, &ex, &ey, NULL))
        rad = fmaxf(rad, hypotf(ex - sx, ey - sy));
    if (nb_gui_pick_project(view_proj, w, h, q2, &ex, &ey, NULL))
        rad = fmaxf(rad, hypotf(ex - sx, ey - sy));
    st->overlay_node[0] = sx;
    st->overlay_node[1] = sy;
    st->overlay_node[2] = fmaxf(rad + 3.0f, 7.0f);
    size_t n_points = 0, n_lines = 0;
    for (size_t k = 0; k < st->n_pick_edges; k++) {
        size_t e = st->pick_edges[k];
        if (e >= b->n_edges)
            continue;
        n_points += (size_t)(b->edge_point_offset[e + 1] - b->edge_point_offset[e]);
        n_lines++;
    }
    if (!reserve((void **)&st->overlay_xy, &st->cap_overlay_points, n_points ? n_points : 1,
                 sizeof *st->overlay_xy) ||
        !reserve((void **)&st->overlay_offset, &st->cap_overlay_lines, n_lines + 1,
                 sizeof *st->overlay_offset) ||
        !reserve((void **)&st->overlay_outgoing, &st->cap_overlay_outgoing, n_lines + 1,
                 sizeof *st->overlay_outgoing))
        return NB_RAISE(NB_E_NOMEM, "GUI overlay", "%zu points", n_points);
    size_t o = 0, l = 0;
    for (size_t k = 0; k < st->n_pick_edges; k++) {
        size_t e = st->pick_edges[k];
        if (e >= b->n_edges)
            continue;
        st->overlay_offset[l] = o;
        st->overlay_outgoing[l] = b->edge_source[e] == (uint32_t)st->pick.node;
        for (uint64_t i = b->edge_point_offset[e]; i < b->edge_point_offset[e + 1]; i++, o++) {
            float x, y;
            if (nb_gui_pick_project(view_proj, w, h, b->point_position + 3 * i, &x, &y, NULL)) {
                st->overlay_xy[o][0] = x;
                st->overlay_xy[o][1] = y;
            } else {
                st->overlay_xy[o][0] = NAN;
                st->overlay_xy[o][1] = NAN;
            }
        }
        l++;
    }
    st->overlay_offset[l] = o;
    st->n_overlay_lines = l;
    st->overlay_visible = true;
    return NB_OK;
}
