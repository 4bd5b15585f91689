/* nb_gui_inspect.c - details of a picked node for the GUI side panel, and image helpers.
 *
 * DESIGN: reads the in-memory model only. Layer and index come from cumulative layer sizes;
 * the strongest incoming edges of node j in layer l are the largest |w| in row j of pair l-1
 * (out x in layout, nb_model.h), the outgoing ones the largest |w| in column j of pair l; a
 * small fixed-size insertion list keeps the top NB_GUI_INSPECT_EDGES (ties: lower index
 * first). Whether an edge survived pruning is a scan of the /bundle edge list for the node
 * (O(E) once per click). Top-activating images are /importance top rows (method.md §8.2
 * "show what a node reacts to"; stored by the importance stage). The diverging colour map is
 * ColorBrewer RdBu's end colours blended towards white. An output node is named by its
 * class (/network class_names; the panel heading and the chart labels are built here, so
 * they are tested without ImGui). Single-threaded, called on a click.
 * Config keys read: none.
 */
#include "nb_gui_inspect.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_edge_importance.h"
#include "nb_graph.h"

bool nb_gui_inspect_locate(const nb_network *net, size_t node, size_t *layer, size_t *index) {
    size_t first = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        if (node < first + net->layer_size[l]) {
            *layer = l;
            *index = node - first;
            return true;
        }
        first += net->layer_size[l];
    }
    return false;
}

size_t nb_gui_inspect_global(const nb_network *net, size_t layer, size_t index) {
    size_t first = 0;
    for (size_t l = 0; l < layer && l < net->n_layers; l++)
        first += net->layer_size[l];
    return first + index;
}

/* Inserts (node, layer, index, w) into a list sorted by |w| descending, capped. */
static void keep_strongest(nb_gui_edge_ref *list, size_t *n, size_t node, size_t layer,
                           size_t index, float w) {
    float a = fabsf(w);
    size_t pos = *n;
    while (pos > 0 && fabsf(list[pos - 1].weight) < a)
        pos--;
    if (pos >= NB_GUI_INSPECT_EDGES)
        return;
    size_t end = *n < NB_GUI_INSPECT_EDGES ? *n : NB_GUI_INSPECT_EDGES - 1;
    memmove(list + pos + 1, list + pos, (end - pos) * sizeof *list);
    list[pos] = (nb_gui_edge_ref){node, layer, index, w, true};
    if (*n < NB_GUI_INSPECT_EDGES)
        (*n)++;
}

static void mark_kept(const nb_bundle_data *b, size_t node, nb_gui_edge_ref *list, size_t n,
                      bool incoming) {
    for (size_t k = 0; k < n; k++)
        list[k].kept = false;
    for (size_t e = 0; e < b->n_edges; e++) {
        size_t self = incoming ? b->edge_target[e] : b->edge_source[e];
        if (self != node)
            continue;
        size_t other = incoming ? b->edge_source[e] : b->edge_target[e];
        for (size_t k = 0; k < n; k++)
            if (list[k].node == other)
                list[k].kept = true;
    }
}

nb_status nb_gui_inspect_node(const nb_model *m, size_t node, nb_gui_node_info *info) {
    if (!m->has_network)
        return NB_RAISE(NB_E_MISSING, "/network", "inspecting a node needs the network");
    const nb_network *net = &m->network;
    size_t layer, index;
    if (!nb_gui_inspect_locate(net, node, &layer, &index))
        return NB_RAISE(NB_E_INVALID, "node", "id %zu of %zu nodes", node, nb_network_n_nodes(net));
    nb_gui_node_info r;
    memset(&r, 0, sizeof r);
    r.node = node;
    r.layer = layer;
    r.index = index;
    r.n_layers = net->n_layers;
    r.hidden = layer > 0 && layer + 1 < net->n_layers;
    if (net->n_ops > 0) {
        size_t k = nb_graph_layer_op(net, layer);
        if (k < net->n_ops) {
            r.kind = nb_op_kind_name(net->ops[k].kind);
            r.channel = net->ops[k].kind == NB_OP_CONV2D;
        } else { /* the input: channels unless it is the flattened image */
            r.channel = net->layer_size[0] == net->in_c && net->in_h * net->in_w > 1;
        }
    }
    if (layer + 1 == net->n_layers && net->class_names && index < net->n_classes)
        r.class_name = net->class_names[index];
    if (m->has_importance && m->importance.n_layers == net->n_layers) {
        const nb_importance *imp = &m->importance;
        r.n_classes = imp->n_classes;
        r.importance = imp->node + imp->node_offset[layer] + index * imp->n_classes;
        nb_node_stats st = nb_node_stats_of(r.importance, r.n_classes);
        r.importance_mean = st.mean;
        r.importance_norm = st.norm;
        if (r.hidden && imp->top_k > 0 && imp->top) {
            const int32_t *top = imp->top + imp->top_offset[layer] + index * imp->top_k;
            for (size_t k = 0; k < imp->top_k && r.n_top < NB_GUI_INSPECT_TOP; k++)
                if (top[k] >= 0)
                    r.top[r.n_top++] = top[k];
        }
    }
    if (layer > 0) {
        size_t n_in = net->layer_size[layer - 1];
        const float *row = nb_network_weight(net, layer - 1) + index * n_in;
        size_t first = nb_gui_inspect_global(net, layer - 1, 0);
        for (size_t i = 0; i < n_in; i++)
            keep_strongest(r.in, &r.n_in, first + i, layer - 1, i, row[i]);
        r.bias = nb_network_bias(net, layer - 1)[index];
    }
    if (layer + 1 < net->n_layers) {
        size_t n_here = net->layer_size[layer], n_out = net->layer_size[layer + 1];
        const float *w = nb_network_weight(net, layer);
        size_t first = nb_gui_inspect_global(net, layer + 1, 0);
        for (size_t j = 0; j < n_out; j++)
            keep_strongest(r.out, &r.n_out, first + j, layer + 1, j, w[j * n_here + index]);
    }
    if (m->has_bundle) {
        mark_kept(&m->bundle, node, r.in, r.n_in, true);
        mark_kept(&m->bundle, node, r.out, r.n_out, false);
    }
    r.has_input_image = layer == 1;
    *info = r;
    return NB_OK;
}

const float *nb_gui_inspect_input_weights(const nb_network *net, size_t index, size_t *width,
                                          size_t *height) {
    if (net->n_layers < 2 || index >= net->layer_size[1])
        return NULL;
    size_t n0 = net->layer_size[0];
    size_t s = (size_t)llround(sqrt((double)n0));
    if (s * s == n0) {
        *width = s;
        *height = s;
    } else {
        *width = n0;
        *height = 1;
    }
    return nb_network_weight(net, 0) + index * n0;
}

nb_status nb_gui_inspect_input_image(const nb_network *net, size_t index, float **values,
                                     size_t *width, size_t *height) {
    if (net->n_layers < 2 || index >= net->layer_size[1])
        return NB_RAISE(NB_E_INVALID, "node", "no input weights for node 1:%zu", index);
    size_t k = net->n_ops > 0 ? nb_graph_layer_op(net, 1) : SIZE_MAX;
    const nb_op *op = k < net->n_ops ? &net->ops[k] : NULL;
    size_t w = 0, h = 0, planes = 1;
    const float *src = NULL;
    if (op && op->kind == NB_OP_CONV2D && op->weight) {
        w = op->kernel_w;
        h = op->kernel_h;
        planes = op->in_c;
        src = op->weight + index * op->in_c * h * w;
    } else if (op && net->layer_size[0] == net->in_c * net->in_h * net->in_w &&
               net->in_h * net->in_w > 1) {
        w = net->in_w;
        h = net->in_h;
        planes = net->in_c;
        src = nb_network_weight(net, 0) + index * net->layer_size[0];
    } else {
        src = nb_gui_inspect_input_weights(net, index, &w, &h);
    }
    if (!src)
        return NB_RAISE(NB_E_INVALID, "node", "no input weights for node 1:%zu", index);
    float *v = calloc(w * h > 0 ? w * h : 1, sizeof *v);
    if (!v)
        return NB_RAISE(NB_E_NOMEM, "GUI image", "%zux%zu", w, h);
    for (size_t p = 0; p < planes; p++) /* CHW: one plane after another */
        for (size_t i = 0; i < w * h; i++)
            v[i] += src[p * w * h + i];
    *values = v;
    *width = w;
    *height = h;
    return NB_OK;
}

void nb_gui_image_chw_rgba(const float *pixels, size_t channels, size_t n, uint8_t *rgba) {
    if (channels != 3) {
        nb_gui_image_gray_rgba(pixels, n, rgba);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < 3; c++) {
            float v = pixels[c * n + i];
            v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
            rgba[4 * i + c] = (uint8_t)lroundf(v * 255.0f);
        }
        rgba[4 * i + 3] = 255;
    }
}

static uint8_t to_byte(double v) {
    v = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    return (uint8_t)lround(v * 255.0);
}

void nb_gui_image_gray_rgba(const float *pixels, size_t n, uint8_t *rgba) {
    for (size_t i = 0; i < n; i++) {
        uint8_t g = to_byte(pixels[i]);
        rgba[4 * i + 0] = g;
        rgba[4 * i + 1] = g;
        rgba[4 * i + 2] = g;
        rgba[4 * i + 3] = 255;
    }
}

void nb_gui_image_diverging_rgba(const float *v, size_t n, uint8_t *rgba, float *max_abs) {
    static const double neg[3] = {0.13, 0.40, 0.67}, pos[3] = {0.70, 0.09, 0.17};
    float mx = 0.0f;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && fabsf(v[i]) > mx)
            mx = fabsf(v[i]);
    for (size_t i = 0; i < n; i++) {
        double t = mx > 0.0f && isfinite(v[i]) ? (double)v[i] / (double)mx : 0.0;
        const double *end = t < 0.0 ? neg : pos;
        double a = fabs(t);
        for (int c = 0; c < 3; c++)
            rgba[4 * i + c] = to_byte((1.0 - a) + a * end[c]);
        rgba[4 * i + 3] = 255;
    }
    if (max_abs)
        *max_abs = mx;
}

/* True if name is just the decimal index c (the default class names "0".."C-1"). */
static bool is_index_name(const char *name, size_t c) {
    char digits[32];
    snprintf(digits, sizeof digits, "%zu", c);
    return strcmp(name, digits) == 0;
}

void nb_gui_inspect_class_label(const char *const *names, size_t n_names, size_t c, char *buf,
                                size_t size) {
    if (!size)
        return;
    const char *name = names && c < n_names ? names[c] : NULL;
    if (name && name[0] && !is_index_name(name, c))
        snprintf(buf, size, "%zu %s", c, name);
    else
        snprintf(buf, size, "%zu", c);
}

void nb_gui_inspect_title(const nb_gui_node_info *info, char *buf, size_t size) {
    if (!size)
        return;
    if (info->layer == 0) {
        snprintf(buf, size, "%s %zu:%zu (input, id %zu)", info->channel ? "Channel" : "Node",
                 info->layer, info->index, info->node);
    } else if (info->hidden) {
        snprintf(buf, size, "%s %zu:%zu (hidden%s%s, id %zu)", info->channel ? "Channel" : "Node",
                 info->layer, info->index, info->kind ? " " : "", info->kind ? info->kind : "",
                 info->node);
    } else {
        char label[NB_NAME_MAX + 32];
        const char *name = info->class_name;
        if (name && name[0] && !is_index_name(name, info->index))
            snprintf(label, sizeof label, "%zu \"%s\"", info->index, name);
        else
            snprintf(label, sizeof label, "%zu", info->index);
        snprintf(buf, size, "Node %zu:%zu (output, class %s, id %zu)", info->layer, info->index,
                 label, info->node);
    }
}
