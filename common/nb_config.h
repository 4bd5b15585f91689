/* nb_config.h - processing and rendering configuration: structs, key tables, JSON I/O.
 *
 * A config is a plain struct plus a schema: one table of keys (name, type, default, range,
 * unit, doc) that drives defaults, JSON loading, `--set key=value` overrides, validation,
 * saving and the docs (configs/README.md). configs/processing.json and
 * configs/rendering.json list every key. Loading rejects unknown keys by name, wrong types
 * and out-of-range values with NB_E_CONFIG, naming the file and the key; on any failure the
 * caller's struct is left untouched. Keys missing from a file keep their current value.
 * Sources: reference spec §3 (layout), §3.4 (pruning), §4.1-4.10 (bundling), §2.3-2.4
 * (importance), §5.3-5.7 (rendering); defaults follow the original README where its code
 * and README disagree (layer_distance 0.5, edge importance threshold 0.1).
 */
#ifndef NB_CONFIG_H
#define NB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_status.h"

/* ---- processing ------------------------------------------------------------------ */

typedef enum nb_density_backend {
    NB_DENSITY_FAST = 0,  /* "fast": binned splat + separable convolution (default) */
    NB_DENSITY_EXACT = 1, /* "exact": the reference segment kernel, restricted support */
} nb_density_backend;

typedef enum nb_importance_method {
    NB_IMPORTANCE_BN_GAMMA = 0,  /* "bn-gamma": per-class batch-norm gamma fine-tuning */
    NB_IMPORTANCE_MAGNITUDE = 1, /* "magnitude": alpha only, no data needed */
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
 *   edge_clamp_to_layers     [true]  keep edge samples between their two layer planes (the
 *                                    reference lets them loop behind the planes)
 *   density_strength         [10000] (0, 1e9]  splat scale before integer truncation (§4.3)
 *   edge_importance_type     [0]     0..3  (§2.6)
 *   smoothing                [true]        Laplacian smoothing on/off (§4.10)
 *   smoothing_iterations     [8]     0..100 passes per edge iteration (§4.10)
 *   smoothing_percent        [8]     (0, 100]  window size as percent of points (§4.10)
 *   density                  ["fast"] "fast" | "exact"
 *   node_advection           [true]  run the node phase (§4.4-4.6)
 *   edge_advection           [true]  run the edge phase (§4.7-4.12)
 *   importance_method        ["bn-gamma"] "bn-gamma" | "magnitude"
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
    bool edge_clamp_to_layers;
    double density_strength;
    int edge_importance_type;
    bool smoothing;
    int smoothing_iterations;
    double smoothing_percent;
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

/* ---- rendering ------------------------------------------------------------------- */

typedef enum nb_edge_render_mode {
    NB_EDGE_ELLIPSOID_TRANSPARENT = 0, /* "ellipsoid_transparent" (default, §5.5 mode 3) */
    NB_EDGE_SPHERE = 1,                /* "sphere": opaque Phong sphere per sample */
    NB_EDGE_SPHERE_TRANSPARENT = 2,    /* "sphere_transparent" */
    NB_EDGE_LINE = 3,                  /* "line" */
    NB_EDGE_HIDDEN = 4,                /* "none" */
} nb_edge_render_mode;

typedef enum nb_node_render_mode {
    NB_NODE_SPHERE_TRANSPARENT = 0, /* "sphere_transparent" (default, §5.4 mode 2) */
    NB_NODE_SPHERE = 1,             /* "sphere": opaque Phong */
    NB_NODE_POINT = 2,              /* "point" */
    NB_NODE_HIDDEN = 3,             /* "none" */
} nb_node_render_mode;

typedef enum nb_transparency_mode {
    NB_TRANSPARENCY_MINMAX = 0, /* "minmax": reference MIN/MAX blending over white (§5.6) */
    NB_TRANSPARENCY_WBOIT = 1,  /* "wboit": weighted blended OIT (McGuire & Bavoil 2013) */
} nb_transparency_mode;

/* Lighting of the opaque impostors (key shading). */
typedef enum nb_shading {
    NB_SHADING_SOFT = 0,  /* "soft": colour * (0.55 + 0.45 max(n.l, 0)) + 0.15 spec */
    NB_SHADING_PHONG = 1, /* "phong": 0.2 grey ambient + colour * max(n.l, 0) + 0.1 spec (ref.) */
} nb_shading;

/* How importance values are scaled for display (key importance_normalization). */
typedef enum nb_importance_normalization {
    NB_NORMALIZE_NONE = 0,    /* "none": raw values, absolute thresholds (the reference) */
    NB_NORMALIZE_NETWORK = 1, /* "network": / 99th percentile over the drawn scene */
    NB_NORMALIZE_LAYER = 2,   /* "layer": / 99th percentile per layer (nodes) and layer pair */
} nb_importance_normalization;

typedef enum nb_class_view {
    NB_CLASS_VIEW_INDEPENDENT = 0, /* "independent": black, alpha by importance (§5.3 mode 0) */
    NB_CLASS_VIEW_ALL = 1,         /* "all": palette blend of all classes */
    NB_CLASS_VIEW_ONE = 2,         /* "class": one class, index in class_index */
} nb_class_view;

/* Per object kind (edge_*, node_*), defaults edge / node (§5.7):
 *   size                  [0.02 / 0.04] wu, (0, 1]   impostor radius at importance 1
 *   base_opacity          [0.0 / 0.0]   [0, 1]
 *   importance_opacity    [1.1 / 1.0]   [0, 2]
 *   depth_opacity         [0.5 / 0.5]   [0, 1]
 *   depth_exponent        [0.25 / 0.5]  [0, 4]   opacity exponent on impostor thickness
 *   importance_threshold  [0.1 / 0.01]  [0, 1]   objects at or below are culled
 *   mode                  ["ellipsoid_transparent" / "sphere_transparent"]
 * Global:
 *   transparency   ["minmax"] | "wboit"
 *   shading        ["soft"] | "phong" (reference): lighting of opaque sphere impostors
 *   importance_normalization ["layer"] | "network" | "none" (reference: raw, absolute)
 *   class_view     ["all"] | "independent" | "class";  class_index [0] 0..1023
 *   class_contrast [CONTRAST] [1, 8]: exponent on class shares in the "all" view (1 = reference)
 *   background     [[1,1,1]] RGB in [0,1]
 *   camera_pose    [6] 0..9 (§5.1 key poses);  fov_degrees [45] (1, 170)
 *   camera_fit     [true]: frame the drawn geometry (false: reference pose offsets x scale)
 *   camera_margin  [0.03] [0, 0.45]: share of the frame left free on each side by the fit
 *   auto_orbit     [false];  orbit_speed_degrees [0.5] per frame, [-10, 10]
 *   show_legend    [true]
 */
typedef struct nb_render_object_config {
    double size;
    double base_opacity;
    double importance_opacity;
    double depth_opacity;
    double depth_exponent;
    double importance_threshold;
    int mode; /* nb_edge_render_mode or nb_node_render_mode */
} nb_render_object_config;

typedef struct nb_rendering_config {
    nb_render_object_config edge;
    nb_render_object_config node;
    int transparency;             /* nb_transparency_mode */
    int shading;                  /* nb_shading */
    int importance_normalization; /* nb_importance_normalization */
    int class_view;               /* nb_class_view */
    int class_index;
    double class_contrast;
    double background[3];
    int camera_pose;
    double fov_degrees;
    bool camera_fit;
    double camera_margin;
    bool auto_orbit;
    double orbit_speed_degrees;
    bool show_legend;
} nb_rendering_config;

/* ---- schema and engine ------------------------------------------------------------ */

typedef enum nb_config_type {
    NB_CONFIG_DOUBLE,
    NB_CONFIG_INT,
    NB_CONFIG_BOOL,
    NB_CONFIG_ENUM,   /* stored as int; JSON string from enum_names */
    NB_CONFIG_STRING, /* stored as char[string_size] */
    NB_CONFIG_COLOR,  /* stored as double[3]; JSON array of 3 numbers in [min, max] */
} nb_config_type;

enum {
    NB_CONFIG_MIN_EXCLUSIVE = 1 << 0,
    NB_CONFIG_MAX_EXCLUSIVE = 1 << 1,
};

typedef struct nb_config_key {
    const char *name;
    nb_config_type type;
    size_t offset;          /* offsetof in the config struct */
    size_t string_size;     /* NB_CONFIG_STRING: buffer size */
    double def;             /* default (number, bool 0/1, enum index) */
    const char *def_string; /* NB_CONFIG_STRING default */
    double min, max;        /* inclusive unless flags say exclusive */
    unsigned flags;
    const char *const *enum_names; /* NB_CONFIG_ENUM: NULL-terminated */
    const char *unit;              /* "world units", "fraction", ... */
    const char *doc;               /* one sentence */
    /* Added after the first version (trailing, so positional initialisers stay valid): */
    const char *source; /* where the key comes from: "spec §4.1", "nnbundle", ... */
    /* Optional extra rule run after the type/range checks on load, set and validate; it
     * gets a pointer to the field and the error subject, and returns NB_OK or raises
     * NB_E_CONFIG with that subject. NULL = none. */
    nb_status (*check)(const void *field, const char *subject);
} nb_config_key;

typedef struct nb_config_schema {
    const char *name; /* "processing" or "rendering" */
    const nb_config_key *keys;
    size_t n_keys;
    size_t struct_size;
} nb_config_schema;

extern const nb_config_schema nb_processing_schema;
extern const nb_config_schema nb_rendering_schema;

/* Fills cfg (struct_size bytes) with every key's default. */
void nb_config_defaults(const nb_config_schema *schema, void *cfg);

/* The key named `name`, or NULL. */
const nb_config_key *nb_config_find(const nb_config_schema *schema, const char *name);

/* Parses JSON text (an object of key: value) into cfg. `source` names it in errors (a path).
 * Returns NB_OK, NB_E_CONFIG (syntax, unknown key, wrong type, out of range; the subject is
 * "source key"). On failure cfg is unchanged.
 * Details: a syntax error or a non-object top level has subject "source" and gives the line
 * and column; an unknown key suggests the closest known one; a key given twice, NaN/Inf
 * (1e999), a non-integral integer, a bool given as 0/1 and an enum word not in the list
 * (the message lists the allowed words) are all NB_E_CONFIG. source NULL: the schema name.
 * NB_E_INVALID if json_text is NULL, NB_E_NOMEM. */
nb_status nb_config_parse(const nb_config_schema *schema, const char *json_text, const char *source,
                          void *cfg);

/* Reads and parses a file. Returns NB_E_IO if unreadable (subject = path), NB_E_CONFIG for a
 * file over 1 MiB or containing a NUL byte, else as nb_config_parse with source = path. */
nb_status nb_config_load(const nb_config_schema *schema, const char *path, void *cfg);

/* Applies one "key=value" override (value as JSON, or a bare word for strings/enums).
 * Returns NB_E_CONFIG naming the key (subject "--set key"). On failure cfg is unchanged.
 * For enum/string keys a value that is not a JSON string is taken literally
 * ("density=exact", "importance_flags=gamma,l2", "importance_flags=" for ""). No '=' or an
 * empty key: subject "--set <assignment>". Same checks as nb_config_parse. */
nb_status nb_config_set(const nb_config_schema *schema, const char *assignment, void *cfg);

/* Checks every key's type and range in one pass. NB_E_CONFIG names the first bad key
 * (subject "<schema name> <key>", e.g. "processing layer_width"). */
nb_status nb_config_validate(const nb_config_schema *schema, const void *cfg);

/* Serialises every key, in table order, to a pretty JSON object (2-space indent, one key per
 * line, numbers printed so they re-read to the same double); *json_out is malloc'd, caller
 * frees. Returns NB_OK, NB_E_CONFIG (cfg fails nb_config_validate) or NB_E_NOMEM. */
nb_status nb_config_to_json(const nb_config_schema *schema, const void *cfg, char **json_out);

/* Writes nb_config_to_json to path atomically ("<path>.tmp.<pid>", fsync, rename). NB_E_IO
 * (subject = path) on failure, with the temporary file removed and path untouched;
 * NB_E_CONFIG if cfg is invalid. */
nb_status nb_config_save(const nb_config_schema *schema, const void *cfg, const char *path);

/* The schema as a Markdown table (key, type, default, range, unit, meaning, source), one row
 * per key in table order, ending with a newline: the generated part of configs/README.md.
 * *md_out is malloc'd, caller frees. NB_OK or NB_E_NOMEM. */
nb_status nb_config_to_markdown(const nb_config_schema *schema, char **md_out);

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

#endif /* NB_CONFIG_H */
