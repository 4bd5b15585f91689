/* cli_info.c - `nnbundle info`: describe a .nnb.h5 file on stdout.
 *
 * DESIGN: loads FILE with nb_h5_load (which validates every group, so a file that lies is
 * reported, never printed) and prints one section per group present: network (layer sizes,
 * classes, provenance, accuracy; for a network with operators the input shape and one row per
 * operator: kind, output shape, parameters, multiply-accumulates per image from
 * nb_graph_op_params/nb_graph_op_macs, and the node layer it makes), importance (method, flags,
 * fine-tune accuracies), bundle (edge and sample counts, iteration counts - "iterations: 0" for
 * straight edges - the processing config it was made with, quality metrics, timings). Plain "key:
 * value" lines so that scripts can grep them. Reads no config keys; it prints the stored one, read
 * with nb_processing_config_read_stored, every key checked (a value today's table refuses is
 * reported as "config: (unreadable: ...)" and the rest of the file is still described).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nb_config.h"
#include "nb_graph.h"
#include "nb_h5.h"
#include "nb_layout.h"

static void info_help(void) {
    printf("usage: nnbundle info FILE.nnb.h5\n\n"
           "Prints what FILE holds: layer sizes, classes, training provenance and accuracy,\n"
           "the operators of a network that has them (kind, output shape, parameters,\n"
           "multiply-accumulates per image, the node layer each one makes; docs/models.md),\n"
           "the importance method, and the bundle (edges, samples, iterations, the config it\n"
           "was made with, quality metrics and timings; see docs/metrics.md).\n");
}

static void print_accuracy(const char *label, double v) {
    if (isnan(v))
        printf("%s: unknown\n", label);
    else
        printf("%s: %.4f\n", label, v);
}

/* "12.3 k" style counts for the totals line. */
static void print_count(size_t v) {
    if (v >= 1000000)
        printf("%.1f M", (double)v / 1e6);
    else if (v >= 10000)
        printf("%.1f k", (double)v / 1e3);
    else
        printf("%zu", v);
}

/* The operator table: one row per operator, then the totals. */
static void print_operators(const nb_network *n) {
    size_t params = 0, macs = 0, layer = 0;
    printf("input: %zux%zux%zu (channels x height x width)\n", n->in_c, n->in_h, n->in_w);
    printf("operators: %zu\n", n->n_ops);
    printf("  %3s  %-14s  %-14s  %10s  %12s  %s\n", "#", "kind", "output", "params", "MACs",
           "node layer");
    for (size_t k = 0; k < n->n_ops; k++) {
        const nb_op *op = &n->ops[k];
        char shape[64], node[32] = "";
        snprintf(shape, sizeof shape, "%zux%zux%zu", op->out_c, op->out_h, op->out_w);
        if (op->kind == NB_OP_DENSE || op->kind == NB_OP_CONV2D)
            snprintf(node, sizeof node, "%zu (%zu %s)", ++layer, op->out_c,
                     op->kind == NB_OP_CONV2D ? "channels" : "nodes");
        size_t p = nb_graph_op_params(op), m = nb_graph_op_macs(op);
        params += p;
        macs += m;
        printf("  %3zu  %-14s  %-14s  %10zu  %12zu%s%s\n", k, nb_op_kind_name(op->kind), shape, p,
               m, node[0] ? "  " : "", node);
    }
    printf("parameters: %zu (", params);
    print_count(params);
    printf(")\nMACs per image: %zu (", macs);
    print_count(macs);
    printf(")\n");
}

static void print_network(const nb_network *n) {
    printf("layers: %zu (", n->n_layers);
    for (size_t l = 0; l < n->n_layers; l++)
        printf("%s%zu", l ? "-" : "", n->layer_size[l]);
    printf(")\n");
    printf("nodes: %zu\n", nb_network_n_nodes(n));
    printf("edges: %zu\n", nb_network_n_edges(n));
    if (n->n_ops > 0)
        print_operators(n);
    else
        printf("activation: %s\n", n->activation);
    printf("classes: %zu (", n->n_classes);
    for (size_t c = 0; c < n->n_classes; c++) {
        if (c == 12 && n->n_classes > 13) {
            printf(", ... %zu more", n->n_classes - c);
            break;
        }
        printf("%s%s", c ? ", " : "",
               n->class_names && n->class_names[c] ? n->class_names[c] : "?");
    }
    printf(")\n");
    printf("source: %s\n", n->source[0] ? n->source : "unknown");
    if (n->dataset[0])
        printf("dataset: %s\n", n->dataset);
    printf("epochs: %d\n", n->epochs);
    printf("seed: %llu\n", (unsigned long long)n->seed);
    if (n->l1 != 0.0)
        printf("l1: %g\n", n->l1);
    print_accuracy("train accuracy", n->train_accuracy);
    print_accuracy("test accuracy", n->test_accuracy);
}

static void print_importance(const nb_importance *imp) {
    printf("importance method: %s\n", imp->method[0] ? imp->method : "unknown");
    if (imp->flags[0])
        printf("importance flags: %s\n", imp->flags);
    const char *bn_gamma =
        nb_config_enum_name(&nb_processing_schema, "importance_method", NB_IMPORTANCE_BN_GAMMA);
    if (!strcmp(imp->method, bn_gamma))
        printf("importance epochs: %d\n", imp->epochs);
    double sum = 0.0;
    size_t n = 0;
    for (size_t c = 0; imp->finetune_accuracy && c < imp->n_classes; c++)
        if (!isnan(imp->finetune_accuracy[c])) {
            sum += imp->finetune_accuracy[c];
            n++;
        }
    if (n)
        printf("fine-tune accuracy (mean of %zu classes): %.4f\n", n, sum / (double)n);
}

/* Per layer: spread of the bundled node positions over the spread of the laid-out grid
 * (standard deviation of x and of y, nb_layout_spread); 1 = as laid out, below 0.5 the
 * node phase has pulled the layer together (docs/bundling.md, "Node phase"). */
static void print_spread(const nb_bundle_data *b, const nb_processing_config *cfg) {
    size_t L = b->n_layers, *sizes = malloc(L * sizeof *sizes);
    float *grid = malloc(b->n_nodes * 3 * sizeof *grid);
    nb_layout_desc ld = {cfg->layer_width, cfg->layer_distance, cfg->sampling_rate};
    for (size_t l = 0; sizes && l < L; l++)
        sizes[l] = (size_t)(b->layer_offset[l + 1] - b->layer_offset[l]);
    if (sizes && grid && nb_layout_nodes(&ld, L, sizes, grid) == NB_OK) {
        printf("layer spread (x, y; after / before the node phase):");
        for (size_t l = 0; l < L; l++) {
            size_t o = (size_t)b->layer_offset[l];
            double s0[2], s1[2];
            nb_layout_spread(grid + 3 * o, sizes[l], s0);
            nb_layout_spread(b->node_position + 3 * o, sizes[l], s1);
            printf("%s %.2f %.2f", l ? ";" : "", s0[0] > 0 ? s1[0] / s0[0] : 1.0,
                   s0[1] > 0 ? s1[1] / s0[1] : 1.0);
        }
        printf("\n");
    }
    free(sizes);
    free(grid);
}

static void print_bundle(const nb_bundle_data *b, const char *path) {
    printf("bundle edges: %zu of %zu (%zu pruned)\n", b->n_edges, b->n_edges_total,
           b->n_edges_total >= b->n_edges ? b->n_edges_total - b->n_edges : 0);
    printf("bundle samples: %zu (%.1f per edge)\n", b->n_points,
           b->n_edges ? (double)b->n_points / (double)b->n_edges : 0.0);
    if (b->node_iterations == 0 && b->edge_iterations == 0)
        printf("iterations: 0 (straight edges)\n");
    else
        printf("iterations: %d (node %d, edge %d)\n", b->node_iterations + b->edge_iterations,
               b->node_iterations, b->edge_iterations);
    if (b->config_json) {
        nb_processing_config cfg;
        if (nb_processing_config_read_stored(b->config_json, path, NULL, &cfg) == NB_OK) {
            const char *density =
                nb_config_enum_name(&nb_processing_schema, "density", cfg.density);
            printf("config: density %s, sampling_rate %g, layer_width %g, layer_distance %g, "
                   "prune_percentage %g, smoothing %s\n",
                   density, cfg.sampling_rate, cfg.layer_width, cfg.layer_distance,
                   cfg.prune_percentage, cfg.smoothing ? "on" : "off");
            print_spread(b, &cfg);
        } else {
            printf("config: (unreadable: %s)\n", nb_error_message());
        }
    }
    printf("mean distortion: %.4f\n", b->metrics.mean_distortion);
    printf("max distortion: %.4f\n", b->metrics.max_distortion);
    printf("mean edge length difference: %.4f\n", b->metrics.mean_length_diff);
    printf("ink ratio: %.4f\n", b->metrics.ink_ratio);
    if (!isnan(b->metrics.ink_ratio_layout))
        printf("ink ratio against the laid-out straight edges: %.4f\n",
               b->metrics.ink_ratio_layout);
    if (!isnan(b->metrics.max_turn_degrees))
        printf("max turn: %.1f degrees\n", b->metrics.max_turn_degrees);
    printf("time layout: %.3f s\n", b->time_layout);
    printf("time node phase: %.3f s\n", b->time_node_phase);
    printf("time edge phase: %.3f s\n", b->time_edge_phase);
    printf("time total: %.3f s\n", b->time_total);
}

int nb_cli_info(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            info_help();
            return NB_EXIT_OK;
        } else if (a[0] == '-' && a[1] != '\0') {
            return nb_cli_usage_error("info", "unknown option '%s'", a);
        } else if (path) {
            return nb_cli_usage_error("info", "one file only (got '%s' and '%s')", path, a);
        } else {
            path = a;
        }
    }
    if (!path)
        return nb_cli_usage_error("info", "missing FILE.nnb.h5");
    nb_model m;
    nb_status s = nb_h5_load(path, &m);
    if (s != NB_OK)
        return nb_cli_fail(s);
    printf("file: %s\n", path);
    if (m.has_network)
        print_network(&m.network);
    if (m.has_importance)
        print_importance(&m.importance);
    else
        printf("importance: none\n");
    if (m.has_bundle)
        print_bundle(&m.bundle, path);
    else
        printf("bundle: none\n");
    nb_model_deinit(&m);
    return NB_EXIT_OK;
}
