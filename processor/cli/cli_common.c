/* cli_common.c - option parsing shared by every nnbundle subcommand.
 *
 * DESIGN: a subcommand loops over argv, offers each argument to nb_cli_common_parse first,
 * then handles its own options. Config resolution order: defaults (= configs/processing.json),
 * --config FILE, each --set key=value in order, then one validation pass. Thread counts set
 * here (omp_set_num_threads, openblas_set_num_threads) never change results, only speed.
 * Data (--data DIR, --class-names FILE): every layout of nb_data.h; the network adopts the data
 * set's class names only while its own are the defaults "0".."C-1", so names set by a user or
 * an earlier stage are never overwritten.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_data.h"
#include "nb_input.h"
#include "nb_log.h"

void openblas_set_num_threads(int num_threads); /* libopenblas; not in cblas.h */

bool nb_cli_parse_int(const char *s, long min, long max, long *out) {
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool nb_cli_parse_double(const char *s, double *out) {
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool nb_cli_parse_sizes(const char *s, size_t *out, size_t max_n, size_t *n_out) {
    size_t n = 0;
    const char *p = s;
    if (!s || !*s)
        return false;
    while (*p) {
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v <= 0 || v > 100000000L || n >= max_n)
            return false;
        out[n++] = (size_t)v;
        if (*end == ',') {
            end++;
            if (!*end) /* "784,81,": a trailing separator is a typo, not an empty layer list */
                return false;
        } else if (*end) {
            return false;
        }
        p = end;
    }
    *n_out = n;
    return n > 0;
}

int nb_cli_common_parse(nb_cli_common *c, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
        c->quiet = true;
        return 1;
    }
    if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
        c->verbose = true;
        return 1;
    }
    bool takes_value = !strcmp(a, "--threads") || !strcmp(a, "--config") || !strcmp(a, "--set") ||
                       !strcmp(a, "--max-memory");
    if (!takes_value)
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "nnbundle: option %s needs a value\n", a);
        return -1;
    }
    const char *v = argv[++*i];
    if (!strcmp(a, "--threads")) {
        long t;
        if (!nb_cli_parse_int(v, 0, 1024, &t)) {
            fprintf(stderr, "nnbundle: --threads: '%s' is not a thread count (0..1024)\n", v);
            return -1;
        }
        c->threads = (int)t;
    } else if (!strcmp(a, "--max-memory")) {
        /* through the environment, so that every reader of the library sees it (nb_input.h) */
        size_t bytes = 0;
        if (!nb_input_parse_bytes(v, &bytes)) {
            fprintf(stderr,
                    "nnbundle: --max-memory: '%s' is not a byte count (digits with an optional "
                    "K, M, G or T suffix)\n",
                    v);
            return -1;
        }
        setenv(NB_INPUT_ENV, v, 1);
    } else if (!strcmp(a, "--config")) {
        c->config = v;
    } else {
        if (c->n_sets >= (int)(sizeof c->sets / sizeof c->sets[0])) {
            fprintf(stderr, "nnbundle: too many --set options\n");
            return -1;
        }
        c->sets[c->n_sets++] = v;
    }
    return 1;
}

void nb_cli_common_apply(const nb_cli_common *c) {
    if (c->quiet)
        nb_log_set_level(NB_LOG_QUIET);
    else if (c->verbose)
        nb_log_set_level(NB_LOG_VERBOSE);
    if (c->threads > 0) {
        omp_set_num_threads(c->threads);
        openblas_set_num_threads(c->threads);
    }
}

nb_status nb_cli_processing_config(const nb_cli_common *c, nb_processing_config *cfg) {
    nb_processing_config tmp;
    nb_config_defaults(&nb_processing_schema, &tmp);
    if (c->config)
        NB_TRY(nb_config_load(&nb_processing_schema, c->config, &tmp));
    for (int k = 0; k < c->n_sets; k++)
        NB_TRY(nb_config_set(&nb_processing_schema, c->sets[k], &tmp));
    NB_TRY(nb_config_validate(&nb_processing_schema, &tmp));
    *cfg = tmp;
    return NB_OK;
}

int nb_cli_fail(nb_status s) {
    if (s == NB_OK)
        return NB_EXIT_OK;
    nb_error_print("nnbundle", s);
    if (nb_log_get_level() >= NB_LOG_VERBOSE)
        fprintf(stderr, "nnbundle: (raised at %s)\n", nb_error_origin());
    return NB_EXIT_FAILURE;
}

int nb_cli_usage_error(const char *cmd, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "nnbundle %s: %s\nTry 'nnbundle %s --help'.\n", cmd, msg, cmd);
    return NB_EXIT_USAGE;
}

int nb_cli_data_parse(nb_cli_data *d, const char *cmd, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    bool data = !strcmp(a, "--data"), names = !strcmp(a, "--class-names");
    if (!data && !names)
        return 0;
    if (*i + 1 >= argc) {
        nb_cli_usage_error(cmd, "option %s needs a value", a);
        return -1;
    }
    if (data)
        d->dir = argv[++*i];
    else
        d->class_names = argv[++*i];
    return 1;
}

nb_status nb_cli_load_data(const char *dir, const char *class_names, nb_idx_split split,
                           size_t max_n, nb_dataset *ds) {
    NB_TRY(nb_data_load(dir, split, max_n, class_names, ds));
    if (split != NB_IDX_TRAIN)
        return NB_OK;
    /* a class without training images cannot be learned, nor its importance measured */
    char subject[4200];
    snprintf(subject, sizeof subject, "%s (training split)", dir);
    nb_status s = nb_dataset_check_classes(ds, subject);
    if (s != NB_OK)
        nb_dataset_deinit(ds);
    return s;
}

nb_status nb_cli_check_data(const nb_dataset *ds, const char *what, const nb_network *net,
                            bool exact_classes, const char *dir, const char *path) {
    char subject[4200];
    snprintf(subject, sizeof subject, "%s (%s)", dir, what);
    size_t C = net->n_classes;
    bool image_input = net->n_ops > 0 && (net->in_h > 1 || net->in_w > 1);
    if (image_input &&
        (ds->channels != net->in_c || ds->rows != net->in_h || ds->cols != net->in_w))
        return NB_RAISE(NB_E_MISMATCH, subject,
                        "images of %zu channel(s) x %zu x %zu, but %s takes %zu x %zu x %zu",
                        ds->channels, ds->rows, ds->cols, path, net->in_c, net->in_h, net->in_w);
    size_t n0 = net->n_ops > 0 ? net->in_c * net->in_h * net->in_w : net->layer_size[0];
    if (!image_input && ds->dim != n0)
        return NB_RAISE(NB_E_MISMATCH, subject,
                        "images of %zu x %zu x %zu = %zu values, but the input layer of %s has "
                        "%zu nodes",
                        ds->channels, ds->rows, ds->cols, ds->dim, path, n0);
    if (exact_classes ? ds->n_classes != C : ds->n_classes > C)
        return NB_RAISE(NB_E_MISMATCH, subject,
                        "labels 0..%zu (%zu classes), but the output layer of %s has %zu nodes",
                        ds->n_classes ? ds->n_classes - 1 : 0, ds->n_classes, path, C);
    return NB_OK;
}

nb_status nb_cli_adopt_class_names(nb_network *net, const nb_dataset *ds, bool *changed) {
    if (changed)
        *changed = false;
    if (!ds->class_names || ds->n_classes != net->n_classes)
        return NB_OK;
    for (size_t c = 0; c < net->n_classes; c++) {
        char def[32];
        snprintf(def, sizeof def, "%zu", c);
        if (net->class_names && net->class_names[c] && strcmp(net->class_names[c], def) != 0)
            return NB_OK; /* named already: keep */
    }
    for (size_t c = 0; c < net->n_classes; c++)
        NB_TRY(nb_network_set_class_name(net, c, ds->class_names[c]));
    if (changed)
        *changed = true;
    return NB_OK;
}
