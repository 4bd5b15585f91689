/* nb_processing_config.c - the processing key table, importance flags, the stored config.
 *
 * DESIGN: one row per processing key, in the order of the comment above
 * nb_processing_config (nb_processing_config.h): name, type, offsetof into the struct,
 * default, range (exclusive flags), enum words, unit, a one-sentence doc and where the key
 * comes from (a section of docs/method.md, or nnbundle's own). The config engine
 * (nb_config_engine.c) drives defaults, JSON loading, --set, validation, saving and the
 * Markdown table in configs/README.md from these rows alone. Defaults follow the
 * reference's README where its code and README disagree (layer_distance 0.5). The
 * importance_flags key has an extra check (a comma list of known words, method.md §2.3). The
 * config a bundle stores in its file is read back through the same table
 * (nb_config_parse_stored), so a stored value is checked exactly as a config file's.
 * Threading: the table is const. Config keys: every processing key, by definition.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nb_processing_config.h"

#define EXCL_MIN  NB_CONFIG_MIN_EXCLUSIVE
#define EXCL_MAX  NB_CONFIG_MAX_EXCLUSIVE
#define EXCL_BOTH (NB_CONFIG_MIN_EXCLUSIVE | NB_CONFIG_MAX_EXCLUSIVE)

/* ---- importance flags (method.md §2.3) ------------------------------------------------------ */

static const struct {
    const char *word;
    unsigned bit;
} flag_words[] = {
    {"gamma", NB_IMPORTANCE_FLAG_GAMMA},
    {"l1", NB_IMPORTANCE_FLAG_L1},
    {"l2", NB_IMPORTANCE_FLAG_L2},
    {"centering", NB_IMPORTANCE_FLAG_CENTERING},
};

static nb_status parse_flags(const char *flags, const char *subject, unsigned *bits_out) {
    unsigned bits = 0;
    if (!flags)
        return NB_RAISE(NB_E_INVALID, subject, "no flags string");
    const char *p = flags;
    while (*p == ' ')
        p++;
    if (*p == '\0') {
        *bits_out = 0;
        return NB_OK;
    }
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t b = 0, e = len;
        while (b < e && p[b] == ' ')
            b++;
        while (e > b && p[e - 1] == ' ')
            e--;
        if (e == b)
            return NB_RAISE(NB_E_CONFIG, subject,
                            "empty flag in \"%.64s\" (allowed: gamma, l1, l2, centering)", flags);
        size_t i = 0, n = sizeof flag_words / sizeof flag_words[0];
        while (i < n && !(strlen(flag_words[i].word) == e - b &&
                          memcmp(flag_words[i].word, p + b, e - b) == 0))
            i++;
        if (i == n)
            return NB_RAISE(NB_E_CONFIG, subject,
                            "unknown flag \"%.*s\" (allowed: gamma, l1, l2, centering)",
                            (int)(e - b < 64 ? e - b : 64), p + b);
        bits |= flag_words[i].bit;
        if (!end)
            break;
        p = end + 1;
    }
    *bits_out = bits;
    return NB_OK;
}

nb_status nb_config_parse_importance_flags(const char *flags, unsigned *bits_out) {
    return parse_flags(flags, "importance_flags", bits_out);
}

static nb_status check_importance_flags(const void *field, const char *subject) {
    unsigned bits;
    return parse_flags((const char *)field, subject, &bits);
}

/* ---- processing ----------------------------------------------------------------------- */

static const char *const density_names[] = {"fast", "exact", NULL};
static const char *const importance_method_names[] = {
    "activation", "bn-gamma", "magnitude", "taylor", "taylor-mean", "obd", NULL};

#define P(field) .name = #field, .offset = offsetof(nb_processing_config, field)

static const nb_config_key processing_keys[] = {
    {P(layer_distance), .type = NB_CONFIG_DOUBLE, .def = 0.5, .min = 0, .max = 100,
     .flags = EXCL_MIN, .unit = "world units",
     .doc = "Spacing of the layer planes along z; layer l lies at z = -(L-1)*d/2 + l*d.",
     .source = "method.md §3 (README value 0.5; the reference code uses 0.4)"},
    {P(layer_width), .type = NB_CONFIG_DOUBLE, .def = 1.0, .min = 0, .max = 100, .flags = EXCL_MIN,
     .unit = "world units",
     .doc = "Side of the square on which each layer's nodes sit on a ceil(sqrt(n)) grid.",
     .source = "method.md §3"},
    {P(prune_percentage), .type = NB_CONFIG_DOUBLE, .def = 0.0, .min = 0, .max = 1,
     .flags = EXCL_MAX, .unit = "fraction",
     .doc = "Share of edges, lowest score alpha * mean source importance first, removed "
            "before bundling.",
     .source = "method.md §3.4"},
    {P(sampling_rate), .type = NB_CONFIG_DOUBLE, .def = 15, .min = 0, .max = 200, .flags = EXCL_MIN,
     .unit = "samples per layer_width",
     .doc = "Edge resampling density; the sample length is layer_width / sampling_rate and "
            "the grid cell a third of it.",
     .source = "method.md §4.1"},
    {P(node_bandwidth), .type = NB_CONFIG_DOUBLE, .def = 0.75, .min = 0, .max = 10,
     .flags = EXCL_MIN, .unit = "layer widths",
     .doc = "Initial kernel bandwidth of the node phase.", .source = "method.md §4.1"},
    {P(edge_bandwidth), .type = NB_CONFIG_DOUBLE, .def = 0.5, .min = 0, .max = 10,
     .flags = EXCL_MIN, .unit = "layer widths",
     .doc = "Initial kernel bandwidth of the edge phase.", .source = "method.md §4.1"},
    {P(node_bandwidth_reduction), .type = NB_CONFIG_DOUBLE, .def = 0.95, .min = 0, .max = 1,
     .flags = EXCL_BOTH, .unit = "factor per iteration",
     .doc = "Factor applied to the node bandwidth after each node iteration; the phase ends "
            "when it falls below two grid cells.",
     .source = "method.md §4.6"},
    {P(edge_bandwidth_reduction), .type = NB_CONFIG_DOUBLE, .def = 0.9, .min = 0, .max = 1,
     .flags = EXCL_BOTH, .unit = "factor per iteration",
     .doc = "Factor applied to the edge bandwidth after each edge iteration; the phase ends "
            "when it falls below two grid cells.",
     .source = "method.md §4.6"},
    {P(node_step), .type = NB_CONFIG_DOUBLE, .def = 0.2, .min = 0, .max = 1, .flags = EXCL_MIN,
     .unit = "bandwidths",
     .doc = "Length of one node advection step as a fraction of the current bandwidth.",
     .source = "method.md §4.5"},
    {P(node_class_contrast), .type = NB_CONFIG_DOUBLE, .def = 0.5, .min = 0, .max = 1,
     .unit = "sine of an angle",
     .doc = "Class contrast of the node phase: a node whose class vector makes an angle theta "
            "with the mean class vector of its layer moves min(1, sin(theta) / this) of a "
            "step, so nodes that prefer no class more than their layer does stay where they "
            "are. 0 moves every node a full step (the reference).",
     .source = "docs/bundling.md, changed"},
    {P(node_min_spread), .type = NB_CONFIG_DOUBLE, .def = 0.5, .min = 0, .max = 1,
     .unit = "share of the laid-out spread",
     .doc = "Layout guard of the node phase: after every node iteration a layer whose standard "
            "deviation of x or y fell below this share of its laid-out value is scaled back up "
            "about its mean, so that weak or uniform class importance cannot pull a layer into "
            "one clump. 0 turns the guard off (the reference).",
     .source = "docs/bundling.md, changed"},
    {P(node_min_distance), .type = NB_CONFIG_DOUBLE, .def = 0.75, .min = 0, .max = 1,
     .unit = "layout spacings",
     .doc = "Layout guard of the node phase: nodes of one layer closer than this many layout "
            "spacings (layer_width / ceil(sqrt(nodes))) are pushed apart after every node "
            "iteration, so that nodes never pile onto one point. 0 turns it off (the "
            "reference).",
     .source = "docs/bundling.md, changed"},
    {P(edge_step), .type = NB_CONFIG_DOUBLE, .def = 0.5, .min = 0, .max = 1, .flags = EXCL_MIN,
     .unit = "bandwidths",
     .doc = "Length of one sample advection step as a fraction of the current bandwidth (the "
            "reference moves a full bandwidth, which overshoots density maxima and folds edges "
            "into loops; 1 reproduces it).",
     .source = "method.md §4.9, changed"},
    {P(edge_similarity_max), .type = NB_CONFIG_DOUBLE, .def = 0.7, .min = 0, .max = 1,
     .unit = "cosine",
     .doc = "Cap on the similarity threshold sigma_k of the edge phase: a sample is drawn to "
            "density whose class mix has a cosine above sigma_k with its own and pushed away "
            "from the rest. The reference schedule rises to 0.995, where almost every sample "
            "of a mixed-class edge is pushed into empty space (edges balloon outwards, ink "
            "ratio 1.95 on Fashion-MNIST); 1 reproduces it.",
     .source = "method.md §4.6, changed"},
    {P(edge_repulsion_saturation), .type = NB_CONFIG_DOUBLE, .def = 0.25, .min = 0, .max = 1000,
     .unit = "density-weighted mean densities",
     .doc = "Saturating repulsion of the edge phase: a sample follows the gradient of q.D - "
            "sigma s tanh(|D| / s), s = this times the density-weighted mean density of the "
            "layer pair (sum |D|^2 / sum |D|), so repulsion acts where density is low and "
            "fades where many edges meet, and bundles contract into tubes. 0 uses the exact "
            "norm |D| of the reference's text.",
     .source = "docs/bundling.md, changed"},
    {P(edge_spacing_bandwidth), .type = NB_CONFIG_DOUBLE, .def = 0.5, .min = 0, .max = 100,
     .unit = "bandwidths",
     .doc = "Sample spacing of the edge phase in bandwidths: edge iteration k resamples every "
            "edge at max(l, this * b_k), l = layer_width / sampling_rate, so the early, wide "
            "iterations handle fewer samples (as CUBu samples in proportion to the kernel) "
            "and the last ones, where b_k < l / this, run at l; the final resample is at l. "
            "0 keeps l throughout (the reference).",
     .source = "van der Zwan et al. 2016 (CUBu); docs/bundling.md, changed"},
    {P(edge_clamp_to_layers), .type = NB_CONFIG_BOOL, .def = 1, .unit = "",
     .doc = "Keep every edge sample between the planes of its two layers (z clamped after "
            "each advection step); false lets samples loop behind the planes as in the "
            "reference.",
     .source = "method.md §4.9, changed"},
    {P(density_strength), .type = NB_CONFIG_DOUBLE, .def = 10000, .min = 0, .max = 1e9,
     .flags = EXCL_MIN, .unit = "density units",
     .doc = "Scale of a splat contribution before its integer truncation; contributions "
            "below 1/density_strength are dropped.",
     .source = "method.md §4.3, §4.1"},
    {P(edge_importance_type), .type = NB_CONFIG_INT, .def = 0, .min = 0, .max = 3, .unit = "type",
     .doc = "How a segment's class vector is derived from its end nodes: 0 blend along the "
            "edge, 1 source, 2 both, 3 target.",
     .source = "method.md §2.6"},
    {P(smoothing), .type = NB_CONFIG_BOOL, .def = 1, .unit = "",
     .doc = "Laplacian smoothing of the edge polylines after every edge iteration.",
     .source = "method.md §4.10"},
    {P(smoothing_iterations), .type = NB_CONFIG_INT, .def = 8, .min = 0, .max = 100,
     .unit = "passes per edge iteration",
     .doc = "Number of Jacobi smoothing passes after each edge iteration.",
     .source = "method.md §4.10"},
    {P(smoothing_percent), .type = NB_CONFIG_DOUBLE, .def = 8, .min = 0, .max = 100,
     .flags = EXCL_MIN, .unit = "percent of an edge's points",
     .doc = "Half-width of the smoothing window as a percentage of the edge's point count, "
            "shrinking with the edge bandwidth reduction.",
     .source = "method.md §4.10 (a constant in the reference)"},
    {P(fast_kernel_scale), .type = NB_CONFIG_DOUBLE, .def = 0.7, .min = 0.25, .max = 2,
     .unit = "shares of a variance",
     .doc = "Width of the fast back-end's kernel: its variance perpendicular to a segment is "
            "this share of the reference kernel's (moment matching; 1 = the same variance). "
            "0.7 is the historical calibration; with the saturating repulsion 1.5 gives bundle "
            "metrics closest to exact (density.md). No effect on exact.",
     .source = "nnbundle (docs/density.md, \"Calibration\")"},
    {P(density), .type = NB_CONFIG_ENUM, .def = NB_DENSITY_FAST, .enum_names = density_names,
     .unit = "",
     .doc = "Density back-end: fast (binned splat and separable convolution) or exact (the "
            "reference segment kernel).",
     .source = "nnbundle (docs/density.md); exact = method.md §4.3, §4.8"},
    {P(node_advection), .type = NB_CONFIG_BOOL, .def = 1, .unit = "",
     .doc = "Run the node phase (node density and advection).", .source = "method.md §4.4-4.6"},
    {P(edge_advection), .type = NB_CONFIG_BOOL, .def = 1, .unit = "",
     .doc = "Run the edge phase (edge sampling, density, advection, smoothing).",
     .source = "method.md §4.7-4.12"},
    {P(importance_method), .type = NB_CONFIG_ENUM, .def = NB_IMPORTANCE_ACTIVATION,
     .enum_names = importance_method_names, .unit = "",
     .doc = "Importance method: activation (|w| times the RMS of the source node's activation "
            "over each class's images; prunes best), bn-gamma (the thesis' per-class batch-norm "
            "gamma fine-tuning), magnitude (|w|, no data), taylor (E|w dL_c/dw|), taylor-mean "
            "(|w E dL_c/dw|) or obd (w^2 E(dL_c/dw)^2 / 2), compared in docs/importance.md.",
     .source = "Sun et al. 2024 (activation); method.md §2.4-2.5 (bn-gamma); Molchanov et al. "
               "2019 (taylor); LeCun et al. 1990 (obd)"},
    {P(importance_flags), .type = NB_CONFIG_STRING,
     .string_size = sizeof(((nb_processing_config *)0)->importance_flags), .def_string = "gamma,l1",
     .unit = "comma list",
     .doc = "bn-gamma only: batch-norm variant of the fine-tuning, any of gamma, l1, l2, "
            "centering.",
     .source = "method.md §2.3", .check = check_importance_flags},
    {P(importance_epochs), .type = NB_CONFIG_INT, .def = 20, .min = 1, .max = 1000,
     .unit = "epochs", .doc = "bn-gamma only: fine-tuning epochs per class.",
     .source = "method.md §2.4"},
    {P(importance_learning_rate), .type = NB_CONFIG_DOUBLE, .def = 0.001, .min = 0, .max = 1,
     .flags = EXCL_MIN, .unit = "",
     .doc = "bn-gamma only: Adam learning rate of the per-class fine-tuning.",
     .source = "method.md §2.4"},
    {P(importance_batch_size), .type = NB_CONFIG_INT, .def = 128, .min = 1, .max = 65536,
     .unit = "images", .doc = "bn-gamma only: mini-batch size of the per-class fine-tuning.",
     .source = "method.md §2.4"},
    {P(importance_l1), .type = NB_CONFIG_DOUBLE, .def = 0.01, .min = 0, .max = 100, .unit = "",
     .doc = "Factor of the L1 penalty sum |gamma| when the l1 flag is set.",
     .source = "method.md §2.3"},
    {P(importance_l2), .type = NB_CONFIG_DOUBLE, .def = 0.01, .min = 0, .max = 100, .unit = "",
     .doc = "Factor of the L2 penalty sum gamma^2 when the l2 flag is set.",
     .source = "method.md §2.3"},
    {P(importance_top_k), .type = NB_CONFIG_INT, .def = 9, .min = 0, .max = 64, .unit = "images",
     .doc = "Number of top-activating test images stored per hidden node (0 stores none).",
     .source = "nnbundle"},
    {P(seed), .type = NB_CONFIG_INT, .def = 1, .min = 0, .max = 2147483647, .unit = "",
     .doc = "Seed of every random draw in processing.",
     .source = "nnbundle (the reference is unseeded, method.md §8.1)"},
};

#undef P

const nb_config_schema nb_processing_schema = {
    .name = "processing",
    .keys = processing_keys,
    .n_keys = sizeof processing_keys / sizeof processing_keys[0],
    .struct_size = sizeof(nb_processing_config),
};

nb_status nb_processing_config_read_stored(const char *config_json, const char *path,
                                           const char *const *keys, nb_processing_config *cfg) {
    char subject[512];
    snprintf(subject, sizeof subject, "%s /bundle config_json", path ? path : "model");
    nb_processing_config c;
    nb_config_defaults(&nb_processing_schema, &c);
    if (config_json && config_json[0])
        NB_TRY(nb_config_parse_stored(&nb_processing_schema, config_json, subject, keys, &c));
    *cfg = c;
    return NB_OK;
}

static double processing_default(const char *name) {
    const nb_config_key *k = nb_config_find(&nb_processing_schema, name);
    return k ? k->def : 0.0;
}

double nb_setting_from_value(const char *name, double v) {
    return v == 0.0 && processing_default(name) != 0.0 ? NB_SETTING_ZERO : v;
}

double nb_setting_value(const char *name, double s) {
    return s == 0.0 ? processing_default(name) : s == NB_SETTING_ZERO ? 0.0 : s;
}
