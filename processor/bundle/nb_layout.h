/* nb_layout.h - where the nodes sit, and the density grids around them.
 *
 * Source: method.md §3 (layers as planes, nodes on square grids) and §4.1-4.2 (grid
 * cell, box and counts). Layer l lies in the plane z_l = -(L-1)*d/2 + l*d; a layer of n nodes
 * uses s = ceil(sqrt(n)) columns of spacing W/s, node i at column i mod s, row floor(i/s),
 * centred on the layer's axis (an incomplete last row leaves the layer off-centre in y, as in
 * the reference); a single node sits on the axis.
 * Grids: cell h = W / (3 * sampling_rate); every box has a margin of 1 world unit around the
 * layer square and, for layer pairs, around the gap between the two planes.
 */
#ifndef NB_LAYOUT_H
#define NB_LAYOUT_H

#include <stddef.h>

#include "nb_density.h"
#include "nb_status.h"

/* Margin around every grid box, world units (method.md §4.2). */
#define NB_LAYOUT_MARGIN 1.0

/* The geometry every other layout function derives from. All lengths in world units. */
typedef struct nb_layout_desc {
    double layer_width;    /* W > 0: side of each layer's square (config layer_width) */
    double layer_distance; /* d > 0: spacing of the layer planes (config layer_distance) */
    double sampling_rate;  /* rho > 0: samples per layer width (config sampling_rate) */
} nb_layout_desc;

/* Checks that every field is finite and > 0, and that the resulting grids stay below 2^31
 * cells per axis. Returns NB_OK or NB_E_CONFIG naming the key ("layer_width", ...). */
nb_status nb_layout_validate(const nb_layout_desc *desc);

/* Sample spacing l = W / rho (method.md §4.1), world units. desc must be valid. */
double nb_layout_sample_spacing(const nb_layout_desc *desc);

/* Grid cell h = W / (3 rho) (method.md §4.1), world units. desc must be valid. */
double nb_layout_cell(const nb_layout_desc *desc);

/* z of layer plane `layer` (0-based) in a network of n_layers layers, world units. */
double nb_layout_layer_z(const nb_layout_desc *desc, size_t n_layers, size_t layer);

/* Writes the position of every node, layer-major (global id order of nb_model.h).
 *   layer_size: [n_layers], each >= 1.   pos: float32[sum(layer_size)][3] out, world units.
 * Returns NB_OK, NB_E_INVALID (n_layers < 1 or a zero layer size; subject "layer <l>"),
 * NB_E_CONFIG (invalid desc). On failure pos is untouched. */
nb_status nb_layout_nodes(const nb_layout_desc *desc, size_t n_layers, const size_t *layer_size,
                          float *pos);

/* Spread of one layer's nodes in its plane: the standard deviation of x and of y (world
 * units) of pos float32[n][3] (population form, sums in double). n = 0 gives 0, 0. */
void nb_layout_spread(const float *pos, size_t n, double spread[2]);

/* The 2-D node density map (method.md §4.4): x, y over [-W/2 - 1, W/2 + 1] with n = floor((W+2)/h)
 * + 1 cells per axis; n[2] = 1 and origin[2] = the first layer's z minus the margin.
 * Returns NB_OK or NB_E_CONFIG (invalid desc). */
nb_status nb_layout_node_grid(const nb_layout_desc *desc, size_t n_layers, nb_grid *out);

/* The 3-D segment density grid of layer pair `pair` (layers pair and pair+1, method.md §4.2): x, y
 * as for the node map, z over [z_pair - 1, z_pair + d + 1] with floor((d+2)/h) + 1 cells.
 * Returns NB_OK, NB_E_CONFIG (invalid desc), NB_E_INVALID (pair + 1 >= n_layers). */
nb_status nb_layout_pair_grid(const nb_layout_desc *desc, size_t n_layers, size_t pair,
                              nb_grid *out);

#endif /* NB_LAYOUT_H */
