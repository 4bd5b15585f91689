/* nb_layout.c - node positions on layer planes and the density grids of method.md §3 and §4.2.
 *
 * DESIGN: pure arithmetic, no allocation, no threads. Positions are computed in double and
 * stored as float32; mirrored columns get exactly negated x (the column offset c - (s-1)/2 is
 * exact in double), so a mirror-symmetric network gets a mirror-symmetric layout. Derived
 * lengths follow the reference's float64 order of operations (l = W/rho, h = l/3, counts
 * floor((W+2)/h) + 1), which gives its published cell counts (136 x 136 x 113 for W = 1,
 * rho = 15, d = 0.5). Config keys read (through nb_layout_desc): layer_width,
 * layer_distance, sampling_rate.
 */
#include "nb_layout.h"

#include <math.h>

/* Largest cell count per axis we accept: keeps index arithmetic far from overflow. */
#define NB_LAYOUT_MAX_CELLS 1000000.0

nb_status nb_layout_validate(const nb_layout_desc *desc) {
    if (!(isfinite(desc->layer_width) && desc->layer_width > 0.0))
        return NB_RAISE(NB_E_CONFIG, "layer_width", "must be finite and > 0, got %g",
                        desc->layer_width);
    if (!(isfinite(desc->layer_distance) && desc->layer_distance > 0.0))
        return NB_RAISE(NB_E_CONFIG, "layer_distance", "must be finite and > 0, got %g",
                        desc->layer_distance);
    if (!(isfinite(desc->sampling_rate) && desc->sampling_rate > 0.0))
        return NB_RAISE(NB_E_CONFIG, "sampling_rate", "must be finite and > 0, got %g",
                        desc->sampling_rate);
    double h = nb_layout_cell(desc);
    double span = fmax(desc->layer_width, desc->layer_distance) + 2.0 * NB_LAYOUT_MARGIN;
    if (span / h > NB_LAYOUT_MAX_CELLS)
        return NB_RAISE(NB_E_CONFIG, "sampling_rate",
                        "%g gives %.0f grid cells per axis (at most %.0f)", desc->sampling_rate,
                        span / h, NB_LAYOUT_MAX_CELLS);
    return NB_OK;
}

double nb_layout_sample_spacing(const nb_layout_desc *desc) {
    return desc->layer_width / desc->sampling_rate;
}

double nb_layout_cell(const nb_layout_desc *desc) {
    return nb_layout_sample_spacing(desc) / 3.0;
}

double nb_layout_layer_z(const nb_layout_desc *desc, size_t n_layers, size_t layer) {
    double d = desc->layer_distance;
    return -(double)(n_layers - 1) * d / 2.0 + (double)layer * d;
}

nb_status nb_layout_nodes(const nb_layout_desc *desc, size_t n_layers, const size_t *layer_size,
                          float *pos) {
    NB_TRY(nb_layout_validate(desc));
    if (n_layers < 1)
        return NB_RAISE(NB_E_INVALID, "layer_size", "a network needs at least one layer");
    for (size_t l = 0; l < n_layers; l++)
        if (layer_size[l] == 0)
            return NB_RAISE(NB_E_INVALID, "layer_size", "layer %zu has no nodes", l);
    size_t g = 0;
    for (size_t l = 0; l < n_layers; l++) {
        size_t n = layer_size[l];
        double z = nb_layout_layer_z(desc, n_layers, l);
        size_t s = (size_t)ceil(sqrt((double)n));
        while (s * s < n) /* guard sqrt rounding for huge n */
            s++;
        while (s > 1 && (s - 1) * (s - 1) >= n)
            s--;
        double spacing = desc->layer_width / (double)s;
        double centre = ((double)s - 1.0) / 2.0;
        for (size_t i = 0; i < n; i++, g++) {
            double x = 0.0, y = 0.0;
            if (n > 1) {
                x = ((double)(i % s) - centre) * spacing;
                y = ((double)(i / s) - centre) * spacing;
            }
            pos[3 * g + 0] = (float)x;
            pos[3 * g + 1] = (float)y;
            pos[3 * g + 2] = (float)z;
        }
    }
    return NB_OK;
}

/* Cells per axis for a box of side `extent` (layer square or gap) plus two margins. */
static size_t axis_cells(double extent, double h) {
    return (size_t)floor((extent + 2.0 * NB_LAYOUT_MARGIN) / h) + 1;
}

void nb_layout_spread(const float *pos, size_t n, double spread[2]) {
    for (int a = 0; a < 2; a++) {
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += pos[3 * i + (size_t)a];
        mean = n ? mean / (double)n : 0.0;
        for (size_t i = 0; i < n; i++) {
            double d = pos[3 * i + (size_t)a] - mean;
            var += d * d;
        }
        spread[a] = n ? sqrt(var / (double)n) : 0.0;
    }
}

nb_status nb_layout_node_grid(const nb_layout_desc *desc, size_t n_layers, nb_grid *out) {
    NB_TRY(nb_layout_validate(desc));
    double h = nb_layout_cell(desc);
    double half = desc->layer_width / 2.0 + NB_LAYOUT_MARGIN;
    nb_grid g;
    g.origin[0] = -half;
    g.origin[1] = -half;
    g.origin[2] = nb_layout_layer_z(desc, n_layers > 0 ? n_layers : 1, 0) - NB_LAYOUT_MARGIN;
    g.cell = h;
    g.n[0] = axis_cells(desc->layer_width, h);
    g.n[1] = g.n[0];
    g.n[2] = 1;
    *out = g;
    return NB_OK;
}

nb_status nb_layout_pair_grid(const nb_layout_desc *desc, size_t n_layers, size_t pair,
                              nb_grid *out) {
    NB_TRY(nb_layout_validate(desc));
    if (pair + 1 >= n_layers)
        return NB_RAISE(NB_E_INVALID, "layer pair",
                        "pair %zu does not exist in a network of %zu layers", pair, n_layers);
    nb_grid g;
    NB_TRY(nb_layout_node_grid(desc, n_layers, &g));
    g.origin[2] = nb_layout_layer_z(desc, n_layers, pair) - NB_LAYOUT_MARGIN;
    g.n[2] = axis_cells(desc->layer_distance, g.cell);
    *out = g;
    return NB_OK;
}
