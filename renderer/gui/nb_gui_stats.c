/* nb_gui_stats.c - statistics, layer table and frame rate for the GUI panels.
 *
 * DESIGN: plain reductions over the in-memory model (common/nb_model.h): counts come from the
 * /bundle group when present (edges after pruning, polyline points) and from /network
 * otherwise; the layer table's mean importance per class averages /importance node_<l> rows;
 * kept edges per pair count /bundle edges by the layer of their source node (binary search in
 * layer_offset). Metrics and timings are the /bundle attributes written by `nnbundle bundle`
 * (docs/bundling.md). Networks with operators: parameters and MACs per operator from
 * nb_graph_op_params/macs, summed per node layer (an operator belongs to the node layer of the
 * last dense/conv2d at or before it). The FPS is a sliding window mean of frame times.
 * Single-threaded, called on the GUI thread when a model is loaded or a snapshot arrives.
 * Config keys read: none.
 */
#include "nb_gui_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nb_graph.h"

void nb_gui_stats_of(const nb_model *m, nb_gui_stats *s) {
    memset(s, 0, sizeof *s);
    if (m->has_network) {
        const nb_network *net = &m->network;
        s->n_layers = net->n_layers;
        for (size_t l = 0; l < net->n_layers; l++) {
            s->n_nodes += net->layer_size[l];
            if (l + 1 < net->n_layers) {
                size_t w = net->layer_size[l] * net->layer_size[l + 1];
                s->n_edges_total += w;
                s->n_params += w + net->layer_size[l + 1];
            }
        }
        s->n_edges = s->n_edges_total;
        if (net->n_ops > 0) {
            s->n_params = 0;
            for (size_t k = 0; k < net->n_ops; k++)
                s->n_params += nb_graph_op_params(&net->ops[k]);
        }
    }
    if (m->has_bundle) {
        const nb_bundle_data *b = &m->bundle;
        s->has_bundle = true;
        s->n_layers = b->n_layers;
        s->n_nodes = b->n_nodes;
        s->n_edges = b->n_edges;
        if (b->n_edges_total > 0)
            s->n_edges_total = b->n_edges_total;
        s->n_samples = b->n_points;
        s->metrics = b->metrics;
        s->node_iterations = b->node_iterations;
        s->edge_iterations = b->edge_iterations;
        s->time_layout = b->time_layout;
        s->time_node_phase = b->time_node_phase;
        s->time_edge_phase = b->time_edge_phase;
        s->time_total = b->time_total;
    }
    s->n_pruned = s->n_edges_total > s->n_edges ? s->n_edges_total - s->n_edges : 0;
}

size_t nb_gui_layer_of(const int64_t *layer_offset, size_t n_layers, size_t g) {
    if (n_layers == 0 || (int64_t)g >= layer_offset[n_layers])
        return n_layers;
    size_t lo = 0, hi = n_layers; /* invariant: layer_offset[lo] <= g < layer_offset[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (layer_offset[mid] <= (int64_t)g)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

nb_status nb_gui_layer_table_init(nb_gui_layer_table *t, const nb_model *m) {
    memset(t, 0, sizeof *t);
    if (!m->has_network)
        return NB_RAISE(NB_E_MISSING, "/network", "the layer table needs the network");
    const nb_network *net = &m->network;
    size_t L = net->n_layers;
    size_t C = m->has_importance ? m->importance.n_classes : 0;
    nb_gui_layer_row *row = calloc(L, sizeof *row);
    float *mean = C ? calloc(L * C, sizeof *mean) : NULL;
    double *acc = C ? calloc(C, sizeof *acc) : NULL;
    if (!row || (C && (!mean || !acc))) {
        free(row);
        free(mean);
        free(acc);
        return NB_RAISE(NB_E_NOMEM, "layer table", "%zu layers x %zu classes", L, C);
    }
    nb_gui_op_row *op = net->n_ops ? calloc(net->n_ops, sizeof *op) : NULL;
    if (net->n_ops && !op) {
        free(row);
        free(mean);
        free(acc);
        return NB_RAISE(NB_E_NOMEM, "layer table", "%zu operators", net->n_ops);
    }
    size_t layer = 0;
    for (size_t k = 0; k < net->n_ops; k++) {
        const nb_op *o = &net->ops[k];
        op[k].kind = nb_op_kind_name(o->kind);
        op[k].out_c = o->out_c;
        op[k].out_h = o->out_h;
        op[k].out_w = o->out_w;
        op[k].params = nb_graph_op_params(o);
        op[k].macs = nb_graph_op_macs(o);
        op[k].node = (o->kind == NB_OP_DENSE || o->kind == NB_OP_CONV2D) && layer + 1 < L;
        if (op[k].node) {
            layer++;
            row[layer].kind = op[k].kind;
        }
        op[k].layer = layer;
        row[layer].params += op[k].params;
        row[layer].macs += op[k].macs;
    }
    for (size_t l = 0; l < L; l++) {
        row[l].size = net->layer_size[l];
        row[l].kept_share = NAN;
        if (!row[l].kind)
            row[l].kind = l == 0 ? "input" : "dense";
        if (l > 0) {
            row[l].edges = net->layer_size[l - 1] * net->layer_size[l];
            if (!net->n_ops) {
                row[l].macs = row[l].edges;
                row[l].params = row[l].macs + net->layer_size[l];
            }
        }
        t->total_params += row[l].params;
        t->total_macs += row[l].macs;
        if (C) {
            const nb_importance *imp = &m->importance;
            const float *v = imp->node + imp->node_offset[l];
            memset(acc, 0, C * sizeof *acc);
            for (size_t i = 0; i < net->layer_size[l]; i++)
                for (size_t c = 0; c < C; c++)
                    acc[c] += v[i * C + c];
            for (size_t c = 0; c < C; c++)
                mean[l * C + c] = (float)(acc[c] / (double)net->layer_size[l]);
            row[l].mean_importance = mean + l * C;
        }
    }
    free(acc);
    if (m->has_bundle && m->bundle.n_layers == L) {
        const nb_bundle_data *b = &m->bundle;
        for (size_t e = 0; e < b->n_edges; e++) {
            size_t l = nb_gui_layer_of(b->layer_offset, L, b->edge_source[e]);
            if (l + 1 < L)
                row[l + 1].kept++;
        }
        for (size_t l = 1; l < L; l++)
            row[l].kept_share = row[l].edges ? (double)row[l].kept / (double)row[l].edges : NAN;
    }
    t->n_layers = L;
    t->n_ops = net->n_ops;
    t->op = op;
    t->n_classes = C;
    t->row = row;
    t->mean_importance = mean;
    return NB_OK;
}

void nb_gui_layer_table_deinit(nb_gui_layer_table *t) {
    free(t->row);
    free(t->op);
    free(t->mean_importance);
    memset(t, 0, sizeof *t);
}

void nb_gui_fps_init(nb_gui_fps *f) {
    memset(f, 0, sizeof *f);
}

void nb_gui_fps_add(nb_gui_fps *f, double dt) {
    if (!(dt > 0.0) || !isfinite(dt))
        return;
    if (f->n == NB_GUI_FPS_WINDOW)
        f->sum -= f->dt[f->next];
    else
        f->n++;
    f->dt[f->next] = dt;
    f->sum += dt;
    f->next = (f->next + 1) % NB_GUI_FPS_WINDOW;
    if (f->next == 0) { /* re-sum once per window so rounding cannot drift */
        f->sum = 0.0;
        for (size_t i = 0; i < f->n; i++)
            f->sum += f->dt[i];
    }
}

double nb_gui_fps_value(const nb_gui_fps *f) {
    return f->n && f->sum > 0.0 ? (double)f->n / f->sum : 0.0;
}
