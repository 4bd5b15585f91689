/* nb_processing_config.h - the processing config: its struct, its key table, its words.
 *
 * nb_processing_schema (nb_processing_config.c) is the one table of processing keys: name,
 * type, default, range, unit, doc and, for enums, the words ("fast", "exact"). It drives
 * configs/processing.json, --set, validation and the README table through the config engine
 * (nb_config_engine.h). `nnbundle bundle` stores the resolved config as JSON text in the
 * file's /bundle group; nb_processing_config_read_stored is the one reader of that text.
 * Sources: method.md §3 (layout), §3.4 (pruning), §4.1-4.10 (bundling), §2.3-2.4
 * (importance); defaults follow the original README where its code and README disagree
 * (layer_distance 0.5).
 */
#ifndef NB_PROCESSING_CONFIG_H
#define NB_PROCESSING_CONFIG_H

#include <stdbool.h>

#include "nb_config_engine.h"

typedef enum nb_density_backend {
    NB_DENSITY_FAST = 0,  /* "fast": binned splat + separable convolution (default) */
    NB_DENSITY_EXACT = 1, /* "exact": the reference segment kernel, restricted support */
} nb_density_backend;

typedef enum nb_importance_method {
    /* 0 is the default (a zero setting means the default, nb_importance_settings) */
    NB_IMPORTANCE_ACTIVATION = 0,  /* "activation": |w| rms_c(a) per class (Wanda, Sun 2024) */
    NB_IMPORTANCE_BN_GAMMA = 1,    /* "bn-gamma": per-class batch-norm gamma fine-tuning */
    NB_IMPORTANCE_MAGNITUDE = 2,   /* "magnitude": alpha only, no data needed */
    NB_IMPORTANCE_TAYLOR = 3,      /* "taylor": E|w dL_c/dw| per class (Molchanov 2019) */
    NB_IMPORTANCE_TAYLOR_MEAN = 4, /* "taylor-mean": |w E dL_c/dw| per class */
    NB_IMPORTANCE_OBD = 5,         /* "obd": 1/2 w^2 E(dL_c/dw)^2 per class (LeCun 1990) */
} nb_importance_method;

/* Defaults in brackets; units: world units (wu) unless noted.
 *   layer_distance           [0.5]   wu, (0, 100]       spacing of layer planes along z (§3)
 *   layer_width              [1.0]   wu, (0, 100]       side of each layer's square (§3)
 *   prune_percentage         [0.0]   fraction, [0, 1)   share of edges removed (§3.4)
 *   sampling_rate            [15]    samples per layer_width, (0, 200] (§4.1)
 *   node_bandwidth           [0.75]  in layer widths, (0, 10]  initial node bandwidth (§4.1)
 *   edge_bandwidth           [0.5]   in layer widths, (0, 10]  initial edge bandwidth (§4.1)
 *   node_bandwidth_reduction [0.95]  (0, 1)   per node iteration (§4.6)
 *   edge_bandwidth_reduction [0.9]   (0, 1)   per edge iteration (§4.6)
 *   node_step                [0.2]   in bandwidths, (0, 1]  node advection step (§4.5)
 *   node_class_contrast      [0.5]   [0, 1]  sin of the angle between a node's class vector and
 *                                    its layer's mean at which the node takes a full step;
 *                                    nearer the mean it moves proportionally less (0 = off,
 *                                    the reference)
 *   node_min_spread          [0.5]   [0, 1]  each layer keeps at least this share of its laid-out
 *                                    spread (std of x and y) through the node phase (0 = off,
 *                                    the reference; docs/bundling.md "Node phase")
 *   node_min_distance        [0.75]   [0, 1]  nodes of a layer stay at least this many layout
 *                                    spacings apart through the node phase (0 = off)
 *   edge_step                [0.5]   in bandwidths, (0, 1]  sample advection step (§4.9 uses 1;
 *                                    see docs/bundling.md: at 1 edges overshoot into loops)
 *   edge_similarity_max      [0.7]   [0, 1]  cap on the edge phase's similarity threshold sigma_k
 *                                    (§4.6 lets it reach ~1, which pushes samples of mixed
 *                                    class into empty space; 1 reproduces it)
 *   edge_repulsion_saturation [0.25] [0, 1000]  the repulsion term sigma |D| of the edge phase
 *                                    saturates as s tanh(|D| / s), s = this times the
 *                                    density-weighted mean density (0 = exact |D|, the
 *                                    reference's text)
 *   edge_spacing_bandwidth   [0.5]   [0, 100]  sample spacing of edge iteration k follows the
 *                                    bandwidth: max(l, this * b_k) (CUBu; 0 = l throughout,
 *                                    the reference); the final resample is at l
 *   edge_clamp_to_layers     [true]  keep edge samples between their two layer planes (the
 *                                    reference lets them loop behind the planes)
 *   density_strength         [10000] (0, 1e9]  splat scale before integer truncation (§4.3)
 *   edge_importance_type     [0]     0..3  (§2.6)
 *   smoothing                [true]        Laplacian smoothing on/off (§4.10)
 *   smoothing_iterations     [8]     0..100 passes per edge iteration (§4.10)
 *   smoothing_percent        [8]     (0, 100]  window size as percent of points (§4.10)
 *   fast_kernel_scale        [0.7]   [0.25, 2]  the fast back-end's kernel variance as a share
 *                                    of the reference kernel's (nnbundle; density.md)
 *   density                  ["fast"] "fast" | "exact"
 *   node_advection           [true]  run the node phase (§4.4-4.6)
 *   edge_advection           [true]  run the edge phase (§4.7-4.12)
 *   importance_method        ["activation"] "activation" | "bn-gamma" | "magnitude" |
 *                                     "taylor" | "taylor-mean" | "obd"
 *   importance_flags         ["gamma,l1"] comma list of gamma, l1, l2, centering (§2.3)
 *   importance_epochs        [20]    1..1000 fine-tuning epochs per class (§2.4)
 *   importance_learning_rate [0.001] (0, 1]  Adam learning rate
 *   importance_batch_size    [128]   1..65536
 *   importance_l1            [0.01]  [0, 100]  L1 factor on gamma
 *   importance_l2            [0.01]  [0, 100]  L2 factor on gamma
 *   importance_top_k         [9]     0..64 top-activating test images stored per hidden node
 *   seed                     [1]     0..2^31-1 seed of every random draw in processing
 */
typedef struct nb_processing_config {
    double layer_distance;
    double layer_width;
    double prune_percentage;
    double sampling_rate;
    double node_bandwidth;
    double edge_bandwidth;
    double node_bandwidth_reduction;
    double edge_bandwidth_reduction;
    double node_step;
    double node_class_contrast;
    double node_min_spread;
    double node_min_distance;
    double edge_step;
    double edge_similarity_max;
    double edge_repulsion_saturation;
    double edge_spacing_bandwidth;
    bool edge_clamp_to_layers;
    double density_strength;
    int edge_importance_type;
    bool smoothing;
    int smoothing_iterations;
    double smoothing_percent;
    double fast_kernel_scale;
    int density; /* nb_density_backend */
    bool node_advection;
    bool edge_advection;
    int importance_method; /* nb_importance_method */
    char importance_flags[64];
    int importance_epochs;
    double importance_learning_rate;
    int importance_batch_size;
    double importance_l1;
    double importance_l2;
    int importance_top_k;
    int seed;
} nb_processing_config;

/* Per-stage settings (nb_bundle_settings, nb_importance_settings) are resolved from this
 * table: a zero field means the key's default; NB_SETTING_ZERO asks for the value 0 (false)
 * of a key whose default is not 0 (no processing key accepts -1, so the two never meet). */
#define NB_SETTING_ZERO (-1)

/* The setting for processing key `name` whose config value is v: NB_SETTING_ZERO where v is
 * 0 and the key's default is not, else v (bools and enums as 0/1 and the index). */
double nb_setting_from_value(const char *name, double v);

/* The value that setting s of processing key `name` stands for: the key's default for 0, 0
 * for NB_SETTING_ZERO, else s. */
double nb_setting_value(const char *name, double s);

extern const nb_config_schema nb_processing_schema;

/* Reads the resolved processing config stored as JSON text in a file's /bundle config_json
 * (nb_bundle_data.config_json) into *cfg: keys the text gives are checked as a config file's
 * are (type, range, enum word, importance flags); keys it lacks get their defaults (a file
 * written before the key existed); keys this version does not know are skipped (a file of a
 * later version). config_json NULL or "" gives the defaults.
 * keys: NULL reads and checks every key (nnbundle info: a stored value that today's table
 * refuses is reported). A NULL-terminated list of key names reads only those; every other
 * field gets its default and every other member of the text is skipped unchecked (a viewer:
 * an old file whose stored value of a key the viewer does not use is out of today's range
 * still loads).
 * Returns NB_OK, NB_E_FORMAT with subject "<path> /bundle config_json" (path NULL: "model")
 * and the key in the reason, or NB_E_NOMEM; on failure *cfg is untouched. */
nb_status nb_processing_config_read_stored(const char *config_json, const char *path,
                                           const char *const *keys, nb_processing_config *cfg);

/* Parses a flags list ("gamma,l1") into NB_IMPORTANCE_FLAG_* bits; NB_E_CONFIG names an
 * unknown flag. (§2.3: centering=1, gamma=2, l1=4, l2=8.) Words are comma-separated,
 * case-sensitive, spaces around them ignored, repeats allowed; "" gives 0. An empty item
 * ("gamma,") or an unknown word is NB_E_CONFIG with subject "importance_flags" and the word
 * in the reason. *bits_out is written only on success. */
enum {
    NB_IMPORTANCE_FLAG_CENTERING = 1,
    NB_IMPORTANCE_FLAG_GAMMA = 2,
    NB_IMPORTANCE_FLAG_L1 = 4,
    NB_IMPORTANCE_FLAG_L2 = 8,
};
nb_status nb_config_parse_importance_flags(const char *flags, unsigned *bits_out);

#endif /* NB_PROCESSING_CONFIG_H */
