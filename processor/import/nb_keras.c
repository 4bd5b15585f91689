/* nb_keras.c - Keras HDF5 models (model.save("model.h5")) -> nb_network with operators.
 *
 * DESIGN: the layout is the one Keras writes in keras/src/legacy/saving/legacy_h5_format.py
 * (save_model_to_hdf5, save_weights_to_hdf5_group; tf.keras 2.x writes the same):
 *   /                         attribute model_config: the model as JSON
 *   /model_weights/<layer>    attribute weight_names (e.g. "dense/kernel:0"), and the arrays
 *                             at those names relative to the layer's group
 * The reader parses model_config with cJSON, checks that the model is a chain (Sequential, or
 * a Functional model whose every layer takes the previous layer's output), then walks the
 * layers once, tracking the tensor's shape in nnbundle's CHW terms, and appends operators.
 * Weights are found by the last component of each weight name ("kernel", "kernel:0",
 * "moving_mean:0", ...), so Keras 2 ("<layer>/kernel:0") and Keras 3 ("<layer>/kernel")
 * names both work; without weight_names, "<layer>/<key>:0" and "<layer>/<key>" are tried.
 * Layout conversions (Keras is channels_last, nnbundle CHW like PyTorch):
 *   Dense kernel [in][out] -> weight [out][in]; Conv2D kernel [kh][kw][in][out] ->
 *   [out][in][kh][kw]; a Flatten of an H x W x C map (C > 1, H*W > 1) yields HWC order, so
 *   the next Dense's input columns (and a batch norm between) are permuted to CHW:
 *   nnbundle column c*H*W + p = Keras row p*C + c.
 *   padding "same" (TensorFlow): out = ceil(n / s), total pad = max((out-1)*s + (k-1)*d + 1
 *   - n, 0), the smaller half before; average pooling excludes the padding.
 * Config keys: each layer's semantic keys are read and checked; an unknown key is accepted
 * only with a null/false/0 value (Keras's defaults for the options nnbundle lacks), else it
 * is refused by name. Errors name the file and the layer ("model.h5 layer conv2d (Conv2D)")
 * or the dataset ("model.h5 /model_weights/dense/dense/kernel:0"). Then nb_graph_build.
 * Threading: none. HDF5's own error printing is switched off for the duration.
 */
#include <cjson/cJSON.h>
#include <hdf5.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nb_graph.h"
#include "nb_h5_io.h"
#include "nb_import.h"
#include "nb_input.h"

#define K_SUBJ     512
#define K_MAX_SIDE 65536u

typedef struct kctx {
    const char *path;
    hid_t file, weights; /* weights: /model_weights (or the root) */
    nb_op *ops;
    size_t n_ops, cap;
    /* the tensor between layers, CHW; rank = Keras rank without the batch axis: 1 flat,
     * 2 [H][W] (no channel axis; c = 1), 3 [H][W][C] */
    size_t c, h, w;
    int rank;
    bool perm; /* the flat vector is in HWC order of a pc x ph x pw map */
    size_t pc, ph, pw;
    const char *layer, *cls; /* the layer being read */
    char subj[K_SUBJ];
} kctx;

/* ---- errors and HDF5 helpers ------------------------------------------------------------ */

static const char *layer_subject(kctx *k) {
    snprintf(k->subj, sizeof k->subj, "%s layer %s (%s)", k->path, k->layer ? k->layer : "?",
             k->cls ? k->cls : "?");
    return k->subj;
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *err, void *data) {
    (void)n;
    if (err->desc && err->desc[0])
        snprintf((char *)data, 256, "%s", err->desc);
    return 0;
}

/* HDF5's innermost message ("HDF5 error" if none); clears the stack. */
static const char *h5_message(char buf[256]) {
    snprintf(buf, 256, "HDF5 error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, buf);
    H5Eclear2(H5E_DEFAULT);
    return buf;
}

/* Reads a string attribute (scalar or 1-D; fixed or variable length) into a malloc'd array
 * of malloc'd strings. *present = false when the attribute does not exist. */
static nb_status read_str_attr(const char *subject, hid_t obj, const char *name, char ***out,
                               size_t *n_out, bool *present) {
    *out = NULL;
    *n_out = 0;
    *present = false;
    htri_t ex = H5Aexists(obj, name);
    if (ex <= 0)
        return NB_OK;
    *present = true;
    char msg[256];
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    nb_status s = NB_OK;
    if (a < 0 || t < 0 || sp < 0)
        s = NB_RAISE(NB_E_FORMAT, subject, "attribute %s: %s", name, h5_message(msg));
    else if (H5Tget_class(t) != H5T_STRING)
        s = NB_RAISE(NB_E_FORMAT, subject, "attribute %s is not a string", name);
    hssize_t np = s == NB_OK ? H5Sget_simple_extent_npoints(sp) : 0;
    if (s == NB_OK && (np < 0 || np > 1000000))
        s = NB_RAISE(NB_E_FORMAT, subject, "attribute %s has %lld strings", name, (long long)np);
    size_t n = (size_t)(np > 0 ? np : 0);
    char **v = s == NB_OK ? calloc(n ? n : 1, sizeof *v) : NULL;
    if (s == NB_OK && !v)
        s = NB_RAISE(NB_E_NOMEM, subject, "attribute %s", name);
    if (s == NB_OK && n > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(t) > 0) {
            char **raw = calloc(n, sizeof *raw);
            H5Tset_size(mt, H5T_VARIABLE);
            if (!raw)
                s = NB_RAISE(NB_E_NOMEM, subject, "attribute %s", name);
            else if (H5Aread(a, mt, raw) < 0)
                s = NB_RAISE(NB_E_FORMAT, subject, "attribute %s: %s", name, h5_message(msg));
            for (size_t i = 0; raw && i < n; i++) {
                if (s == NB_OK) {
                    v[i] = strdup(raw[i] ? raw[i] : "");
                    if (!v[i])
                        s = NB_RAISE(NB_E_NOMEM, subject, "attribute %s", name);
                }
                if (raw[i])
                    H5free_memory(raw[i]);
            }
            free(raw);
        } else {
            size_t len = H5Tget_size(t);
            char *buf = len ? malloc(n * len) : NULL;
            H5Tset_size(mt, len);
            H5Tset_strpad(mt, H5T_STR_NULLPAD);
            if (!buf)
                s = NB_RAISE(NB_E_NOMEM, subject, "attribute %s", name);
            else if (H5Aread(a, mt, buf) < 0)
                s = NB_RAISE(NB_E_FORMAT, subject, "attribute %s: %s", name, h5_message(msg));
            for (size_t i = 0; s == NB_OK && i < n; i++) {
                size_t l = strnlen(buf + i * len, len);
                v[i] = malloc(l + 1);
                if (!v[i]) {
                    s = NB_RAISE(NB_E_NOMEM, subject, "attribute %s", name);
                    break;
                }
                memcpy(v[i], buf + i * len, l);
                v[i][l] = '\0';
            }
            free(buf);
        }
        H5Tclose(mt);
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    if (s != NB_OK) {
        for (size_t i = 0; v && i < n; i++)
            free(v[i]);
        free(v);
        return s;
    }
    *out = v;
    *n_out = n;
    return NB_OK;
}

static void free_strs(char **v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* The weight_names of a layer group, joining Keras's chunked form (weight_names0, 1, ...). */
static nb_status weight_names(const char *subject, hid_t g, char ***out, size_t *n_out) {
    bool present;
    NB_TRY(read_str_attr(subject, g, "weight_names", out, n_out, &present));
    if (present)
        return NB_OK;
    char **all = NULL;
    size_t n_all = 0;
    for (int chunk = 0;; chunk++) {
        char name[32], **v;
        size_t n;
        snprintf(name, sizeof name, "weight_names%d", chunk);
        nb_status s = read_str_attr(subject, g, name, &v, &n, &present);
        if (s != NB_OK) {
            free_strs(all, n_all);
            return s;
        }
        if (!present)
            break;
        char **grown = realloc(all, (n_all + n + 1) * sizeof *grown);
        if (!grown) {
            free_strs(v, n);
            free_strs(all, n_all);
            return NB_RAISE(NB_E_NOMEM, subject, "weight names");
        }
        all = grown;
        memcpy(all + n_all, v, n * sizeof *v);
        n_all += n;
        free(v);
    }
    *out = all;
    *n_out = n_all;
    return NB_OK;
}

/* True when the last '/' component of `name` is `key` or `key:<digits>`. */
static bool weight_name_is(const char *name, const char *key) {
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t kl = strlen(key);
    if (strncmp(base, key, kl) != 0)
        return false;
    if (base[kl] == '\0')
        return true;
    if (base[kl] != ':' || !base[kl + 1])
        return false;
    for (const char *p = base + kl + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* Reads layer `k->layer`'s weight `key` (e.g. "kernel") of shape dims[rank] as float32 into a
 * malloc'd *out. required = false: *out = NULL when it does not exist. */
static nb_status read_weight(kctx *k, const char *key, int rank, const size_t *dims, bool required,
                             float **out) {
    *out = NULL;
    char gsub[K_SUBJ], dsub[K_SUBJ], msg[256];
    const char *wg = k->weights == k->file ? "" : "/model_weights";
    snprintf(gsub, sizeof gsub, "%s %s/%s", k->path, wg, k->layer);
    if (H5Lexists(k->weights, k->layer, H5P_DEFAULT) <= 0) {
        if (!required)
            return NB_OK;
        return NB_RAISE(NB_E_MISSING, gsub, "no weight group for layer %s (%s), which needs '%s'",
                        k->layer, k->cls, key);
    }
    hid_t g = H5Gopen2(k->weights, k->layer, H5P_DEFAULT);
    if (g < 0)
        return NB_RAISE(NB_E_FORMAT, gsub, "cannot open: %s", h5_message(msg));
    char **names = NULL;
    size_t n_names = 0;
    nb_status s = weight_names(gsub, g, &names, &n_names);
    char rel[K_SUBJ] = "";
    for (size_t i = 0; s == NB_OK && i < n_names; i++)
        if (weight_name_is(names[i], key)) {
            snprintf(rel, sizeof rel, "%s", names[i]);
            break;
        }
    if (s == NB_OK && !rel[0] && n_names == 0) {
        /* no weight_names: the usual paths */
        for (int f = 0; f < 2 && !rel[0]; f++) {
            char cand[K_SUBJ];
            snprintf(cand, sizeof cand, "%s/%s%s", k->layer, key, f == 0 ? ":0" : "");
            if (H5Lexists(g, k->layer, H5P_DEFAULT) > 0 && H5Lexists(g, cand, H5P_DEFAULT) > 0)
                snprintf(rel, sizeof rel, "%s", cand);
        }
    }
    free_strs(names, n_names);
    if (s == NB_OK && !rel[0]) {
        H5Gclose(g);
        if (!required)
            return NB_OK;
        return NB_RAISE(NB_E_MISSING, gsub,
                        "layer %s (%s) has no weight '%s' (no weight name "
                        "ending in '%s' or '%s:0')",
                        k->layer, k->cls, key, key, key);
    }
    snprintf(dsub, sizeof dsub, "%s %s/%s/%s", k->path, wg, k->layer, rel);
    hid_t d = -1, sp = -1, t = -1;
    if (s == NB_OK) {
        d = H5Oexists_by_name(g, rel, H5P_DEFAULT) > 0 ? H5Dopen2(g, rel, H5P_DEFAULT) : -1;
        if (d < 0)
            s = NB_RAISE(required ? NB_E_MISSING : NB_E_FORMAT, dsub,
                         "listed in weight_names but missing: %s", h5_message(msg));
    }
    if (s == NB_OK) {
        sp = H5Dget_space(d);
        t = H5Dget_type(d);
        if (sp < 0 || t < 0)
            s = NB_RAISE(NB_E_FORMAT, dsub, "%s", h5_message(msg));
        else if (H5Tget_class(t) != H5T_FLOAT)
            s = NB_RAISE(NB_E_FORMAT, dsub, "not a floating-point array");
    }
    size_t count = 1;
    if (s == NB_OK) {
        hsize_t hd[8];
        int r = H5Sget_simple_extent_ndims(sp);
        bool ok = r == rank;
        if (r > 0 && r <= 8)
            H5Sget_simple_extent_dims(sp, hd, NULL);
        for (int i = 0; ok && i < r; i++)
            ok = hd[i] == dims[i];
        if (!ok) {
            char got[96] = "", want[96] = "";
            for (int i = 0; r > 0 && r <= 8 && i < r; i++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%llu", i ? "x" : "",
                         (unsigned long long)hd[i]);
            for (int i = 0; i < rank; i++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%zu", i ? "x" : "",
                         dims[i]);
            s = NB_RAISE(NB_E_MISMATCH, dsub, "shape %s, expected %s for layer %s (%s)",
                         r == 0 ? "scalar" : got, want, k->layer, k->cls);
        }
        for (int i = 0; i < rank; i++)
            count *= dims[i];
    }
    float *buf = NULL;
    if (s == NB_OK) {
        /* the closed reader's checks: no data from outside the file, nothing it cannot hold */
        char obj[600];
        snprintf(obj, sizeof obj, "%s/%s/%s", wg, k->layer, rel);
        s = nb_h5io_check_storage(k->path, d, obj, (hsize_t)count);
    }
    if (s == NB_OK) {
        buf = malloc(count * sizeof *buf);
        if (!buf)
            s = NB_RAISE(NB_E_NOMEM, dsub, "%zu values", count);
        else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            s = NB_RAISE(NB_E_FORMAT, dsub, "cannot read (truncated or corrupt file?): %s",
                         h5_message(msg));
    }
    for (size_t i = 0; s == NB_OK && i < count; i++)
        if (!isfinite(buf[i]))
            s = NB_RAISE(NB_E_NUMERIC, dsub, "value %zu is %g", i, (double)buf[i]);
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    H5Gclose(g);
    if (s != NB_OK) {
        free(buf);
        return s;
    }
    *out = buf;
    return NB_OK;
}

/* ---- config helpers ---------------------------------------------------------------------- */

static const cJSON *cfg_item(const cJSON *cfg, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(cfg, key);
}

static bool is_unset(const cJSON *v) {
    return !v || cJSON_IsNull(v) || cJSON_IsFalse(v) || (cJSON_IsNumber(v) && v->valuedouble == 0);
}

/* A positive integer (or default when absent/null). */
static nb_status get_size(kctx *k, const cJSON *cfg, const char *key, size_t dflt, size_t *out) {
    const cJSON *v = cfg_item(cfg, key);
    if (!v || cJSON_IsNull(v)) {
        if (!dflt)
            return NB_RAISE(NB_E_FORMAT, layer_subject(k), "key '%s' is missing", key);
        *out = dflt;
        return NB_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e8 ||
        v->valuedouble != floor(v->valuedouble))
        return NB_RAISE(NB_E_FORMAT, layer_subject(k), "key '%s' is not a positive integer", key);
    *out = (size_t)v->valuedouble;
    return NB_OK;
}

/* An int or a list of two ints, each >= 1 (kernel_size, strides, ...). dflt[0] == 0: required. */
static nb_status get_pair(kctx *k, const cJSON *cfg, const char *key, const size_t *dflt,
                          size_t out[2]) {
    const cJSON *v = cfg_item(cfg, key);
    if (!v || cJSON_IsNull(v)) {
        if (!dflt || !dflt[0])
            return NB_RAISE(NB_E_FORMAT, layer_subject(k), "key '%s' is missing", key);
        out[0] = dflt[0];
        out[1] = dflt[1];
        return NB_OK;
    }
    const cJSON *a = v, *b = v;
    if (cJSON_IsArray(v)) {
        if (cJSON_GetArraySize(v) != 2)
            return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k), "key '%s' must have 2 values", key);
        a = cJSON_GetArrayItem(v, 0);
        b = cJSON_GetArrayItem(v, 1);
    }
    const cJSON *ab[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (!cJSON_IsNumber(ab[i]) || ab[i]->valuedouble < 1 || ab[i]->valuedouble > 65536 ||
            ab[i]->valuedouble != floor(ab[i]->valuedouble))
            return NB_RAISE(NB_E_FORMAT, layer_subject(k),
                            "key '%s' is not a pair of positive "
                            "integers",
                            key);
        out[i] = (size_t)ab[i]->valuedouble;
    }
    return NB_OK;
}

static nb_status get_number(kctx *k, const cJSON *cfg, const char *key, double dflt, double *out) {
    const cJSON *v = cfg_item(cfg, key);
    if (!v || cJSON_IsNull(v)) {
        *out = dflt;
        return NB_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return NB_RAISE(NB_E_FORMAT, layer_subject(k), "key '%s' is not a number", key);
    *out = v->valuedouble;
    return NB_OK;
}

static nb_status get_bool(kctx *k, const cJSON *cfg, const char *key, bool dflt, bool *out) {
    const cJSON *v = cfg_item(cfg, key);
    if (!v || cJSON_IsNull(v)) {
        *out = dflt;
        return NB_OK;
    }
    if (!cJSON_IsBool(v))
        return NB_RAISE(NB_E_FORMAT, layer_subject(k), "key '%s' is not true/false", key);
    *out = cJSON_IsTrue(v);
    return NB_OK;
}

/* A string key; absent or null gives dflt. */
static const char *get_str(const cJSON *cfg, const char *key, const char *dflt) {
    const cJSON *v = cfg_item(cfg, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static nb_status check_channels_last(kctx *k, const cJSON *cfg) {
    const char *df = get_str(cfg, "data_format", "channels_last");
    if (strcmp(df, "channels_last") != 0)
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                        "key 'data_format' = '%s' is not supported (only channels_last)", df);
    return NB_OK;
}

/* Every key of cfg is either one this layer reads (`known`), one without effect on inference,
 * or unset (null/false/0). */
static nb_status check_keys(kctx *k, const cJSON *cfg, const char *const *known) {
    static const char *const benign[] = {"name",
                                         "trainable",
                                         "dtype",
                                         "autocast",
                                         "seed",
                                         "noise_shape",
                                         "momentum",
                                         "synchronized",
                                         "batch_input_shape",
                                         "batch_shape",
                                         "input_shape",
                                         "ragged",
                                         "sparse",
                                         "kernel_initializer",
                                         "bias_initializer",
                                         "beta_initializer",
                                         "gamma_initializer",
                                         "moving_mean_initializer",
                                         "moving_variance_initializer",
                                         "kernel_regularizer",
                                         "bias_regularizer",
                                         "beta_regularizer",
                                         "gamma_regularizer",
                                         "activity_regularizer",
                                         "kernel_constraint",
                                         "bias_constraint",
                                         "beta_constraint",
                                         "gamma_constraint",
                                         "input_dim",
                                         "build_config",
                                         NULL};
    const cJSON *it;
    cJSON_ArrayForEach(it, cfg) {
        bool ok = false;
        for (int i = 0; !ok && benign[i]; i++)
            ok = !strcmp(it->string, benign[i]);
        for (int i = 0; !ok && known && known[i]; i++)
            ok = !strcmp(it->string, known[i]);
        if (!ok && !is_unset(it))
            return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                            "key '%s' is not supported (only its default null/false/0 is)",
                            it->string);
    }
    return NB_OK;
}

/* ---- operators --------------------------------------------------------------------------- */

static nb_status push_op(kctx *k, const nb_op *op) {
    if (k->n_ops == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 16;
        nb_op *v = realloc(k->ops, cap * sizeof *v);
        if (!v)
            return NB_RAISE(NB_E_NOMEM, k->path, "cannot allocate operators");
        k->ops = v;
        k->cap = cap;
    }
    k->ops[k->n_ops++] = *op;
    return NB_OK;
}

static nb_status push_kind(kctx *k, nb_op_kind kind, float alpha) {
    nb_op op = {.kind = kind, .alpha = alpha};
    return push_op(k, &op);
}

/* An activation given by name (a string, or Keras 3's {"class_name": "function", "config":
 * "relu"} form). "linear"/null appends nothing. */
static nb_status push_activation(kctx *k, const cJSON *v, const char *key) {
    const char *name = NULL;
    if (!v || cJSON_IsNull(v))
        return NB_OK;
    if (cJSON_IsString(v))
        name = v->valuestring;
    else if (cJSON_IsObject(v) && cJSON_IsString(cfg_item(v, "config")))
        name = cfg_item(v, "config")->valuestring;
    if (!name)
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k), "key '%s' is not an activation name",
                        key);
    bool spatial = k->h * k->w > 1;
    if (!strcmp(name, "linear"))
        return NB_OK;
    if (!strcmp(name, "relu"))
        return push_kind(k, NB_OP_RELU, 0);
    if (!strcmp(name, "sigmoid"))
        return push_kind(k, NB_OP_SIGMOID, 0);
    if (!strcmp(name, "tanh"))
        return push_kind(k, NB_OP_TANH, 0);
    if (!strcmp(name, "gelu"))
        return push_kind(k, NB_OP_GELU, 0); /* Keras: approximate=False, the erf form */
    if (!strcmp(name, "leaky_relu"))
        return push_kind(k, NB_OP_LEAKY_RELU, 0.2f); /* keras.activations default slope */
    if (!strcmp(name, "softmax")) {
        if (spatial)
            return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                            "key '%s' = 'softmax' on a %zux%zu map (per-position softmax) is not "
                            "supported",
                            key, k->h, k->w);
        return push_kind(k, NB_OP_SOFTMAX, 0);
    }
    return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                    "key '%s' = '%s' is not supported (relu, sigmoid, tanh, softmax, linear, "
                    "gelu, leaky_relu)",
                    key, name);
}

/* TensorFlow "same" padding along one axis; returns the output size. */
static size_t same_pad(size_t n, size_t kernel, size_t stride, size_t dil, size_t *before,
                       size_t *after) {
    size_t out = (n + stride - 1) / stride;
    size_t span = (kernel - 1) * dil + 1, need = (out - 1) * stride + span;
    size_t total = need > n ? need - n : 0;
    *before = total / 2;
    *after = total - total / 2;
    return out;
}

/* Window geometry of Conv2D / pooling: fills op's kernel, stride, dilation, pads and the
 * output size; refuses windows that do not fit. */
static nb_status window(kctx *k, const cJSON *cfg, nb_op *op, const size_t ks[2],
                        const size_t st[2], const size_t dl[2]) {
    const char *pad = get_str(cfg, "padding", "valid");
    op->kernel_h = ks[0];
    op->kernel_w = ks[1];
    op->stride_h = st[0];
    op->stride_w = st[1];
    op->dilation_h = dl[0];
    op->dilation_w = dl[1];
    size_t oh, ow;
    if (!strcmp(pad, "same")) {
        oh = same_pad(k->h, ks[0], st[0], dl[0], &op->pad_top, &op->pad_bottom);
        ow = same_pad(k->w, ks[1], st[1], dl[1], &op->pad_left, &op->pad_right);
    } else if (!strcmp(pad, "valid")) {
        size_t sh = (ks[0] - 1) * dl[0] + 1, sw = (ks[1] - 1) * dl[1] + 1;
        if (sh > k->h || sw > k->w)
            return NB_RAISE(NB_E_MISMATCH, layer_subject(k),
                            "a %zux%zu window (dilation %zux%zu) does not fit the %zux%zu input",
                            ks[0], ks[1], dl[0], dl[1], k->h, k->w);
        oh = (k->h - sh) / st[0] + 1;
        ow = (k->w - sw) / st[1] + 1;
    } else {
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                        "key 'padding' = '%s' is not supported (valid, same)", pad);
    }
    op->in_c = k->c;
    op->in_h = k->h;
    op->in_w = k->w;
    op->out_h = oh;
    op->out_w = ow;
    return NB_OK;
}

static nb_status need_map(kctx *k) {
    if (k->rank != 3)
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                        "needs a height x width x channels input, got %s",
                        k->rank == 1 ? "a flat vector" : "height x width without channels");
    return NB_OK;
}

/* Flat feature count and the Keras->nnbundle column map of the current tensor, for a layer on
 * the last axis (Dense, BatchNormalization of a flat input). */
static size_t flat_src(const kctx *k, size_t p) {
    if (!k->perm)
        return p;
    size_t hw = k->ph * k->pw, c = p / hw, q = p % hw;
    return q * k->pc + c;
}

static nb_status layer_dense(kctx *k, const cJSON *cfg) {
    static const char *const known[] = {"units", "activation", "use_bias", NULL};
    NB_TRY(check_keys(k, cfg, known));
    if (k->rank != 1 && k->h * k->w > 1)
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                        "Dense on a %zux%zu map applies per position; only Dense on a flat input "
                        "(add Flatten) is supported",
                        k->h, k->w);
    size_t units = 0, in = k->c * k->h * k->w;
    bool use_bias = true;
    NB_TRY(get_size(k, cfg, "units", 0, &units));
    NB_TRY(get_bool(k, cfg, "use_bias", true, &use_bias));
    float *kern = NULL, *bias = NULL;
    size_t kd[2] = {in, units}, bd[1] = {units};
    NB_TRY(read_weight(k, "kernel", 2, kd, true, &kern));
    nb_status s = use_bias ? read_weight(k, "bias", 1, bd, true, &bias) : NB_OK;
    float *wt = s == NB_OK ? malloc(in * units * sizeof *wt) : NULL;
    if (s == NB_OK && !wt)
        s = NB_RAISE(NB_E_NOMEM, layer_subject(k), "%zu weights", in * units);
    if (s != NB_OK) {
        free(kern);
        free(bias);
        return s;
    }
    for (size_t o = 0; o < units; o++)
        for (size_t p = 0; p < in; p++)
            wt[o * in + p] = kern[flat_src(k, p) * units + o];
    free(kern);
    nb_op op = {.kind = NB_OP_DENSE,
                .in_c = k->c,
                .in_h = k->h,
                .in_w = k->w,
                .out_c = units,
                .out_h = 1,
                .out_w = 1,
                .weight = wt,
                .bias = bias};
    s = push_op(k, &op);
    if (s != NB_OK) {
        nb_op_deinit(&op);
        return s;
    }
    k->c = units;
    k->h = k->w = 1;
    k->rank = 1;
    k->perm = false;
    return push_activation(k, cfg_item(cfg, "activation"), "activation");
}

static nb_status layer_conv(kctx *k, const cJSON *cfg) {
    static const char *const known[] = {
        "filters",       "kernel_size", "strides",    "padding",  "data_format",
        "dilation_rate", "groups",      "activation", "use_bias", NULL};
    NB_TRY(check_keys(k, cfg, known));
    NB_TRY(need_map(k));
    NB_TRY(check_channels_last(k, cfg));
    size_t filters = 0, groups = 1, ks[2], st[2], dl[2];
    static const size_t one[2] = {1, 1};
    bool use_bias = true;
    NB_TRY(get_size(k, cfg, "filters", 0, &filters));
    NB_TRY(get_size(k, cfg, "groups", 1, &groups));
    if (groups != 1)
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                        "key 'groups' = %zu is not supported (only 1)", groups);
    NB_TRY(get_pair(k, cfg, "kernel_size", NULL, ks));
    NB_TRY(get_pair(k, cfg, "strides", one, st));
    NB_TRY(get_pair(k, cfg, "dilation_rate", one, dl));
    NB_TRY(get_bool(k, cfg, "use_bias", true, &use_bias));
    nb_op op = {.kind = NB_OP_CONV2D, .out_c = filters};
    NB_TRY(window(k, cfg, &op, ks, st, dl));
    float *kern = NULL, *bias = NULL;
    size_t kd[4] = {ks[0], ks[1], k->c, filters}, bd[1] = {filters};
    NB_TRY(read_weight(k, "kernel", 4, kd, true, &kern));
    nb_status s = use_bias ? read_weight(k, "bias", 1, bd, true, &bias) : NB_OK;
    size_t n = filters * k->c * ks[0] * ks[1];
    float *wt = s == NB_OK ? malloc(n * sizeof *wt) : NULL;
    if (s == NB_OK && !wt)
        s = NB_RAISE(NB_E_NOMEM, layer_subject(k), "%zu weights", n);
    if (s != NB_OK) {
        free(kern);
        free(bias);
        return s;
    }
    /* [kh][kw][in][out] -> [out][in][kh][kw] */
    size_t C = k->c;
    for (size_t o = 0; o < filters; o++)
        for (size_t i = 0; i < C; i++)
            for (size_t y = 0; y < ks[0]; y++)
                for (size_t x = 0; x < ks[1]; x++)
                    wt[((o * C + i) * ks[0] + y) * ks[1] + x] =
                        kern[((y * ks[1] + x) * C + i) * filters + o];
    free(kern);
    op.weight = wt;
    op.bias = bias;
    s = push_op(k, &op);
    if (s != NB_OK) {
        nb_op_deinit(&op);
        return s;
    }
    k->c = filters;
    k->h = op.out_h;
    k->w = op.out_w;
    return push_activation(k, cfg_item(cfg, "activation"), "activation");
}

static nb_status layer_pool(kctx *k, const cJSON *cfg, nb_op_kind kind) {
    static const char *const known[] = {"pool_size", "strides", "padding", "data_format", NULL};
    NB_TRY(check_keys(k, cfg, known));
    NB_TRY(need_map(k));
    NB_TRY(check_channels_last(k, cfg));
    static const size_t two[2] = {2, 2}, one[2] = {1, 1};
    size_t ps[2], st[2];
    NB_TRY(get_pair(k, cfg, "pool_size", two, ps));
    NB_TRY(get_pair(k, cfg, "strides", ps, st)); /* Keras: strides None = pool_size */
    nb_op op = {.kind = kind, .out_c = k->c, .count_include_pad = false};
    NB_TRY(window(k, cfg, &op, ps, st, one));
    op.dilation_h = op.dilation_w = 1;
    NB_TRY(push_op(k, &op));
    k->h = op.out_h;
    k->w = op.out_w;
    return NB_OK;
}

static nb_status layer_global_avg(kctx *k, const cJSON *cfg) {
    static const char *const known[] = {"data_format", "keepdims", NULL};
    NB_TRY(check_keys(k, cfg, known));
    NB_TRY(need_map(k));
    NB_TRY(check_channels_last(k, cfg));
    bool keep = false;
    NB_TRY(get_bool(k, cfg, "keepdims", false, &keep));
    NB_TRY(push_kind(k, NB_OP_GLOBAL_AVGPOOL, 0));
    k->h = k->w = 1;
    k->rank = keep ? 3 : 1;
    return NB_OK;
}

static nb_status layer_flatten(kctx *k, const cJSON *cfg) {
    static const char *const known[] = {"data_format", NULL};
    NB_TRY(check_keys(k, cfg, known));
    NB_TRY(check_channels_last(k, cfg));
    if (k->rank == 1)
        return NB_OK;
    if (k->c > 1 && k->h * k->w > 1) {
        k->perm = true;
        k->pc = k->c;
        k->ph = k->h;
        k->pw = k->w;
    }
    NB_TRY(push_kind(k, NB_OP_FLATTEN, 0));
    k->c = k->c * k->h * k->w;
    k->h = k->w = 1;
    k->rank = 1;
    return NB_OK;
}

static nb_status layer_batchnorm(kctx *k, const cJSON *cfg) {
    static const char *const known[] = {"axis", "epsilon", "center", "scale", NULL};
    NB_TRY(check_keys(k, cfg, known));
    const cJSON *ax = cfg_item(cfg, "axis");
    if (cJSON_IsArray(ax) && cJSON_GetArraySize(ax) == 1)
        ax = cJSON_GetArrayItem(ax, 0);
    double a = cJSON_IsNumber(ax) ? ax->valuedouble : -1;
    if ((ax && !cJSON_IsNumber(ax)) || k->rank == 2 || (a != -1 && a != (double)k->rank))
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                        "key 'axis' must be the channel (last) axis of a flat or "
                        "height x width x channels input");
    double eps = 1e-3;
    bool center = true, scale = true;
    NB_TRY(get_number(k, cfg, "epsilon", 1e-3, &eps));
    NB_TRY(get_bool(k, cfg, "center", true, &center));
    NB_TRY(get_bool(k, cfg, "scale", true, &scale));
    if (eps < 0)
        return NB_RAISE(NB_E_FORMAT, layer_subject(k), "key 'epsilon' = %g is negative", eps);
    size_t C = k->c, d[1] = {C};
    float *arr[4] = {NULL, NULL, NULL, NULL};
    static const char *const keys[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    nb_status s = NB_OK;
    for (int i = 0; i < 4 && s == NB_OK; i++) {
        if ((i == 0 && !scale) || (i == 1 && !center)) {
            arr[i] = malloc(C * sizeof(float));
            if (!arr[i])
                s = NB_RAISE(NB_E_NOMEM, layer_subject(k), "%zu channels", C);
            for (size_t c = 0; arr[i] && c < C; c++)
                arr[i][c] = i == 0 ? 1.0f : 0.0f;
        } else {
            s = read_weight(k, keys[i], 1, d, true, &arr[i]);
        }
    }
    for (size_t c = 0; s == NB_OK && c < C; c++)
        if (arr[3][c] < 0)
            s = NB_RAISE(NB_E_NUMERIC, layer_subject(k), "moving_variance[%zu] = %g is negative",
                         flat_src(k, c), (double)arr[3][c]);
    if (s == NB_OK && k->perm) { /* flat batch norm after an HWC flatten: to CHW order */
        for (int i = 0; i < 4 && s == NB_OK; i++) {
            float *p = malloc(C * sizeof *p);
            if (!p) {
                s = NB_RAISE(NB_E_NOMEM, layer_subject(k), "%zu channels", C);
                break;
            }
            for (size_t c = 0; c < C; c++)
                p[c] = arr[i][flat_src(k, c)];
            free(arr[i]);
            arr[i] = p;
        }
    }
    nb_op op = {.kind = NB_OP_BATCHNORM,
                .in_c = C,
                .in_h = k->h,
                .in_w = k->w,
                .out_c = C,
                .out_h = k->h,
                .out_w = k->w,
                .eps = (float)eps,
                .gamma = arr[0],
                .beta = arr[1],
                .mean = arr[2],
                .var = arr[3]};
    if (s == NB_OK)
        s = push_op(k, &op);
    if (s != NB_OK)
        nb_op_deinit(&op);
    return s;
}

static nb_status layer_relu(kctx *k, const cJSON *cfg) {
    static const char *const known[] = {"negative_slope", NULL};
    NB_TRY(check_keys(k, cfg, known)); /* max_value, threshold: only their defaults */
    double slope = 0;
    NB_TRY(get_number(k, cfg, "negative_slope", 0, &slope));
    if (slope < 0)
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k), "key 'negative_slope' = %g < 0", slope);
    return slope > 0 ? push_kind(k, NB_OP_LEAKY_RELU, (float)slope) : push_kind(k, NB_OP_RELU, 0);
}

static nb_status layer_leaky(kctx *k, const cJSON *cfg) {
    static const char *const known[] = {"alpha", "negative_slope", NULL};
    NB_TRY(check_keys(k, cfg, known));
    double a = 0.3;
    const char *key = cfg_item(cfg, "negative_slope") ? "negative_slope" : "alpha";
    NB_TRY(get_number(k, cfg, key, 0.3, &a)); /* Keras's default slope is 0.3 */
    if (a < 0)
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k), "key '%s' = %g < 0", key, a);
    return push_kind(k, NB_OP_LEAKY_RELU, (float)a);
}

static nb_status layer_softmax(kctx *k, const cJSON *cfg) {
    static const char *const known[] = {"axis", NULL};
    NB_TRY(check_keys(k, cfg, known));
    double a = -1;
    NB_TRY(get_number(k, cfg, "axis", -1, &a));
    if ((a != -1 && a != (double)k->rank) || k->h * k->w > 1)
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                        "only a softmax over the last axis of a flat input is supported");
    return push_kind(k, NB_OP_SOFTMAX, 0);
}

static nb_status layer(kctx *k, const cJSON *cfg) {
    const char *c = k->cls;
    if (!strcmp(c, "Dense"))
        return layer_dense(k, cfg);
    if (!strcmp(c, "Conv2D") || !strcmp(c, "Convolution2D"))
        return layer_conv(k, cfg);
    if (!strcmp(c, "MaxPooling2D") || !strcmp(c, "MaxPool2D"))
        return layer_pool(k, cfg, NB_OP_MAXPOOL);
    if (!strcmp(c, "AveragePooling2D") || !strcmp(c, "AvgPool2D"))
        return layer_pool(k, cfg, NB_OP_AVGPOOL);
    if (!strcmp(c, "GlobalAveragePooling2D") || !strcmp(c, "GlobalAvgPool2D"))
        return layer_global_avg(k, cfg);
    if (!strcmp(c, "Flatten"))
        return layer_flatten(k, cfg);
    if (!strcmp(c, "BatchNormalization"))
        return layer_batchnorm(k, cfg);
    if (!strcmp(c, "Dropout")) {
        static const char *const known[] = {"rate", NULL};
        NB_TRY(check_keys(k, cfg, known));
        double rate;
        NB_TRY(get_number(k, cfg, "rate", 0, &rate));
        return push_kind(k, NB_OP_DROPOUT, (float)rate);
    }
    if (!strcmp(c, "Activation")) {
        static const char *const known[] = {"activation", NULL};
        NB_TRY(check_keys(k, cfg, known));
        return push_activation(k, cfg_item(cfg, "activation"), "activation");
    }
    if (!strcmp(c, "ReLU"))
        return layer_relu(k, cfg);
    if (!strcmp(c, "LeakyReLU"))
        return layer_leaky(k, cfg);
    if (!strcmp(c, "Softmax"))
        return layer_softmax(k, cfg);
    if (!strcmp(c, "InputLayer"))
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k), "an InputLayer inside the chain");
    return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                    "layer class '%s' is not supported (InputLayer, Dense, Conv2D, MaxPooling2D, "
                    "AveragePooling2D, GlobalAveragePooling2D, Flatten, BatchNormalization, "
                    "Dropout, Activation, ReLU, LeakyReLU, Softmax)",
                    c);
}

/* ---- model_config ------------------------------------------------------------------------ */

static const char *layer_name(const cJSON *l) {
    const cJSON *cfg = cfg_item(l, "config");
    const char *n = get_str(cfg, "name", NULL);
    return n ? n : get_str(l, "name", NULL);
}

/* The single inbound layer name of a Functional layer (Keras 2 [[[name, 0, 0, {}]]] or
 * Keras 3 [{"args": [{"config": {"keras_history": [name, 0, 0]}}]}]); NULL if not one. */
static const char *inbound_name(const cJSON *l, int *count) {
    const cJSON *nodes = cfg_item(l, "inbound_nodes");
    *count = cJSON_IsArray(nodes) ? cJSON_GetArraySize(nodes) : 0;
    if (*count != 1)
        return NULL;
    const cJSON *node = cJSON_GetArrayItem(nodes, 0);
    if (cJSON_IsArray(node)) { /* Keras 2 */
        *count = cJSON_GetArraySize(node);
        const cJSON *first = cJSON_GetArrayItem(node, 0);
        if (*count != 1 || !cJSON_IsArray(first))
            return NULL;
        const cJSON *name = cJSON_GetArrayItem(first, 0);
        return cJSON_IsString(name) ? name->valuestring : NULL;
    }
    const cJSON *args = cfg_item(node, "args"); /* Keras 3 */
    *count = cJSON_IsArray(args) ? cJSON_GetArraySize(args) : 0;
    const cJSON *t = cJSON_GetArrayItem(args, 0);
    if (*count != 1 || !cJSON_IsObject(t))
        return NULL;
    const cJSON *hist = cfg_item(cfg_item(t, "config"), "keras_history");
    const cJSON *name = cJSON_GetArrayItem(hist, 0);
    return cJSON_IsString(name) ? name->valuestring : NULL;
}

/* Input shape from a batch shape [null, ...]: (F) flat, (H, W), (H, W, C). */
static nb_status input_shape(kctx *k, const cJSON *bs) {
    int n = cJSON_GetArraySize(bs);
    size_t d[3] = {0, 0, 0};
    if (n < 2 || n > 4)
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                        "input shape with %d axes (batch + 1 to 3 supported)", n);
    for (int i = 1; i < n; i++) {
        const cJSON *v = cJSON_GetArrayItem(bs, i);
        if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > K_MAX_SIDE * 16.0)
            return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                            "input axis %d has no fixed positive size", i);
        d[i - 1] = (size_t)v->valuedouble;
    }
    k->rank = n - 1;
    if (n == 2) {
        k->c = d[0];
        k->h = k->w = 1;
    } else if (n == 3) {
        k->c = 1;
        k->h = d[0];
        k->w = d[1];
    } else {
        k->h = d[0];
        k->w = d[1];
        k->c = d[2];
    }
    return NB_OK;
}

static nb_status walk_layers(kctx *k, const cJSON *root, nb_network *net) {
    char subj[K_SUBJ];
    snprintf(subj, sizeof subj, "%s /model_config", k->path);
    const char *mcls = get_str(root, "class_name", "");
    const cJSON *cfg = cfg_item(root, "config");
    bool functional = !strcmp(mcls, "Functional") || !strcmp(mcls, "Model");
    if (!functional && strcmp(mcls, "Sequential") != 0)
        return NB_RAISE(NB_E_UNSUPPORTED, subj,
                        "model class '%s' is not supported (Sequential, Functional)", mcls);
    const cJSON *layers = cJSON_IsArray(cfg) ? cfg : cfg_item(cfg, "layers");
    int n = cJSON_IsArray(layers) ? cJSON_GetArraySize(layers) : 0;
    if (n == 0)
        return NB_RAISE(NB_E_FORMAT, subj, "no layers");
    /* the input shape: an InputLayer first, or batch_input_shape on the first layer */
    int first = 0;
    const cJSON *l0 = cJSON_GetArrayItem(layers, 0);
    const cJSON *c0 = cfg_item(l0, "config");
    k->layer = layer_name(l0);
    k->cls = get_str(l0, "class_name", "?");
    const cJSON *bs = cfg_item(c0, "batch_input_shape");
    if (!bs)
        bs = cfg_item(c0, "batch_shape");
    if (!strcmp(k->cls, "InputLayer"))
        first = 1;
    if (!cJSON_IsArray(bs))
        return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                        "no input shape (key 'batch_input_shape' or 'batch_shape'); build the "
                        "model on a keras.Input before saving");
    NB_TRY(input_shape(k, bs));
    net->in_c = k->c;
    net->in_h = k->h;
    net->in_w = k->w;
    if (functional) {
        const cJSON *outs = cfg_item(cfg, "output_layers"), *ins = cfg_item(cfg, "input_layers");
        if (cJSON_GetArraySize(outs) != 1 || cJSON_GetArraySize(ins) != 1)
            return NB_RAISE(NB_E_UNSUPPORTED, subj,
                            "not a chain: %d input and %d output layers (1 and 1 supported)",
                            cJSON_GetArraySize(ins), cJSON_GetArraySize(outs));
        const cJSON *o0 = cJSON_GetArrayItem(outs, 0);
        const cJSON *oname = cJSON_IsArray(o0) ? cJSON_GetArrayItem(o0, 0) : o0;
        const char *last = layer_name(cJSON_GetArrayItem(layers, n - 1));
        if (!cJSON_IsString(oname) || !last || strcmp(oname->valuestring, last) != 0)
            return NB_RAISE(NB_E_UNSUPPORTED, subj,
                            "not a chain: the output layer is not the last layer %s",
                            last ? last : "?");
    }
    for (int i = first; i < n; i++) {
        const cJSON *l = cJSON_GetArrayItem(layers, i);
        k->layer = layer_name(l);
        k->cls = get_str(l, "class_name", NULL);
        if (!k->layer || !k->cls || !cJSON_IsObject(cfg_item(l, "config")))
            return NB_RAISE(NB_E_FORMAT, subj, "layer %d has no class_name, name or config", i);
        if (functional && i > 0) {
            int cnt = 0;
            const char *in = inbound_name(l, &cnt);
            const char *prev = layer_name(cJSON_GetArrayItem(layers, i - 1));
            if (!in)
                return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                                "not a chain: the layer has %d inputs (one layer's output "
                                "supported)",
                                cnt);
            if (!prev || strcmp(in, prev) != 0)
                return NB_RAISE(NB_E_UNSUPPORTED, layer_subject(k),
                                "not a chain: takes its input from %s, not from the previous "
                                "layer %s",
                                in, prev ? prev : "?");
        }
        NB_TRY(layer(k, cfg_item(l, "config")));
    }
    return NB_OK;
}

static char *read_model_config(kctx *k, nb_status *st) {
    char **v = NULL;
    size_t n = 0;
    bool present = false;
    char subj[K_SUBJ];
    snprintf(subj, sizeof subj, "%s /", k->path);
    *st = read_str_attr(subj, k->file, "model_config", &v, &n, &present);
    if (*st != NB_OK)
        return NULL;
    if (!present || n != 1) {
        free_strs(v, n);
        *st = NB_RAISE(NB_E_FORMAT, subj,
                       "no model_config attribute: not a Keras model.save() file (a weights-only "
                       "file from save_weights cannot be imported)");
        return NULL;
    }
    char *s = v[0];
    free(v);
    return s;
}

nb_status nb_import_keras(const char *path, nb_network *net) {
    memset(net, 0, sizeof *net);
    H5E_auto2_t efunc;
    void *edata;
    H5Eget_auto2(H5E_DEFAULT, &efunc, &edata);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    kctx k = {.path = path, .file = -1, .weights = -1};
    nb_network out = {0};
    char msg[256];
    /* a FIFO would block fopen (a missing file: "cannot open the model" below) */
    nb_status s = access(path, F_OK) == 0 ? nb_input_check_file(path, NULL) : NB_OK;
    FILE *probe = s == NB_OK ? fopen(path, "rb") : NULL;
    if (probe)
        fclose(probe);
    else if (s == NB_OK)
        s = NB_RAISE(NB_E_IO, path, "cannot open the model");
    if (s == NB_OK) {
        k.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (k.file < 0)
            s = NB_RAISE(NB_E_FORMAT, path, "not a readable HDF5 file (truncated?): %s",
                         h5_message(msg));
    }
    if (s == NB_OK) {
        k.weights = H5Lexists(k.file, "model_weights", H5P_DEFAULT) > 0
                        ? H5Gopen2(k.file, "model_weights", H5P_DEFAULT)
                        : k.file;
        if (k.weights < 0)
            s = NB_RAISE(NB_E_FORMAT, path, "/model_weights: %s", h5_message(msg));
    }
    char *json = s == NB_OK ? read_model_config(&k, &s) : NULL;
    cJSON *root = NULL;
    if (s == NB_OK) {
        root = cJSON_Parse(json);
        if (!root || !cJSON_IsObject(root)) {
            const char *at = cJSON_GetErrorPtr();
            s = NB_RAISE(NB_E_FORMAT, path, "model_config is not a JSON object (near \"%.40s\")",
                         at ? at : "");
        }
    }
    if (s == NB_OK)
        s = walk_layers(&k, root, &out);
    cJSON_Delete(root);
    free(json);
    if (k.weights >= 0 && k.weights != k.file)
        H5Gclose(k.weights);
    if (k.file >= 0)
        H5Fclose(k.file);
    H5Eset_auto2(H5E_DEFAULT, efunc, edata);
    out.ops = k.ops;
    out.n_ops = k.n_ops;
    if (s == NB_OK) {
        out.train_accuracy = NAN;
        out.test_accuracy = NAN;
        snprintf(out.source, sizeof out.source, "import");
        snprintf(out.dataset, sizeof out.dataset, "%s", path);
        snprintf(out.activation, sizeof out.activation, "relu");
        for (size_t i = 0; i < out.n_ops; i++) /* the first activation names the network's */
            if (out.ops[i].kind >= NB_OP_RELU) {
                snprintf(out.activation, sizeof out.activation, "%s",
                         nb_op_kind_name(out.ops[i].kind));
                break;
            }
        s = nb_graph_build(&out);
        if (s != NB_OK) { /* name the file: the graph's subject is "operator K (kind)" */
            char gsub[128], why[512];
            snprintf(gsub, sizeof gsub, "%s", nb_error_subject());
            snprintf(why, sizeof why, "%s", nb_error_reason());
            s = NB_RAISE(s, path, "%s: %s", gsub, why);
        }
    }
    if (s != NB_OK) {
        nb_network_deinit(&out);
        return s;
    }
    *net = out;
    return NB_OK;
}
