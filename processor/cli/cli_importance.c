/* cli_importance.c - `nnbundle importance`: per-class node and edge importance into /importance.
 *
 * DESIGN: parses the options (common ones through nb_cli_common_parse), builds the processing
 * config (defaults, --config, --set, validation), loads the model with nb_h5_load (it must
 * have /network), loads the train and test splits of the IDX data set when the method needs
 * them (or only the test split, for the top-activating images, when it does not), checks that
 * the images fit the input layer and the labels the output layer (naming the data directory),
 * runs nb_importance_compute with a progress bar (one step per class, with the class's
 * fine-tune accuracy), replaces /importance in the model and writes it back with nb_h5_save
 * (temporary file + rename; /network and /bundle are kept). Method and formulas:
 * docs/importance.md; method.md §2.2-2.7.
 * Threads: --threads N sets the OpenMP thread count; classes run in parallel and the result
 * does not depend on N. Config keys read: importance_method, importance_flags,
 * importance_epochs, importance_learning_rate, importance_batch_size, importance_l1,
 * importance_l2, importance_top_k, seed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nb_file.h"
#include "nb_h5.h"
#include "nb_idx.h"
#include "nb_importance.h"
#include "nb_log.h"

/* Prints text word-wrapped to 78 columns, every line indented by `indent` spaces. */
static void print_wrapped(const char *text, int indent) {
    int col = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == 0)
            break;
        if (col > indent && col + 1 + (int)len > 78) {
            printf("\n");
            col = 0;
        }
        if (col == 0)
            col = printf("%*s", indent, "");
        else
            col += printf(" ");
        col += printf("%.*s", (int)len, p);
        p += len;
    }
    if (col)
        printf("\n");
}

static void print_key(const nb_config_key *k) {
    char def[96], text[512], words[256];
    switch (k->type) {
    case NB_CONFIG_STRING:
        snprintf(def, sizeof def, "\"%s\"", k->def_string ? k->def_string : "");
        break;
    case NB_CONFIG_ENUM:
        snprintf(def, sizeof def, "\"%s\"", nb_config_key_enum_name(k, (int)k->def));
        break;
    case NB_CONFIG_BOOL:
        snprintf(def, sizeof def, "%s", k->def != 0.0 ? "true" : "false");
        break;
    default:
        snprintf(def, sizeof def, "%.10g", k->def);
        break;
    }
    printf("  %s [%s]\n", k->name, def);
    int n = snprintf(text, sizeof text, "%s", k->doc ? k->doc : "");
    if (k->type == NB_CONFIG_ENUM) {
        nb_config_enum_words(&nb_processing_schema, k->name, " ", words, sizeof words);
        snprintf(text + n, sizeof text - (size_t)n, " Values: %s.", words);
    } else if (k->type == NB_CONFIG_INT || k->type == NB_CONFIG_DOUBLE) {
        snprintf(text + n, sizeof text - (size_t)n, " Range %c%.10g, %.10g%c%s%s.",
                 (k->flags & NB_CONFIG_MIN_EXCLUSIVE) ? '(' : '[', k->min, k->max,
                 (k->flags & NB_CONFIG_MAX_EXCLUSIVE) ? ')' : ']', k->unit && *k->unit ? " " : "",
                 k->unit ? k->unit : "");
    }
    print_wrapped(text, 6);
}

static void importance_help(void) {
    printf("usage: nnbundle importance FILE.nnb.h5 [--data DIR] [--class-names FILE] "
           "[options]\n\n"
           "Estimates how important every node is for every class and how strong every edge\n"
           "is, and writes them to FILE's /importance group (/network and /bundle are kept).\n\n"
           "Method activation (default): the score of the edge i -> j for class c is\n"
           "|w_ji| times the root mean square of node i's activation over the training images\n"
           "of c (Wanda, Sun et al. 2024); node importance for c = the class contrast of x_c,\n"
           "the sum of the scores of the node's outgoing edges for c: x_c / the layer's mean\n"
           "x_c, minus its mean over the classes, at least 0, / the layer's largest; alpha =\n"
           "the class-blind score |w_ji| rms(a_i) / the pair's largest.\n"
           "It prunes best of all methods on held-out data (docs/importance.md).\n"
           "Methods taylor, taylor-mean, obd: the same with E|w dL_c/dw|, |w E dL_c/dw| or\n"
           "w^2 E(dL_c/dw)^2 / 2 (L_c = -log softmax_c over class c's images; dense networks).\n"
           "Method bn-gamma (the thesis, docs/method.md §2.2-2.5): for each class c, a\n"
           "one-vs-rest data set (all training images of c, and as many images drawn evenly\n"
           "and seeded from the other classes); a batch norm is inserted in front of every\n"
           "dense layer, the output becomes a 2-unit head (c versus the sum of the rest),\n"
           "everything is frozen except the batch-norm scale gamma, which is fine-tuned with\n"
           "Adam and an L1/L2 penalty. Node importance = |gamma| / the largest |gamma| of the\n"
           "layer over nodes and classes; alpha = |w| / the largest |w| of the layer pair.\n"
           "Method magnitude: node importance 1 everywhere, alpha as bn-gamma (no data).\n"
           "Every method: output nodes one-hot, and for every hidden node the test images\n"
           "that activate it most (importance_top_k).\n\n"
           "options:\n"
           "  --data DIR          data set directory: IDX (train-*, t10k-*), NumPy\n"
           "                      ({train,test}_{images,labels}.npy) or ImageFolder\n"
           "                      ({train,test}/<class>/NAME.png); docs/data.md (default %s)\n"
           "  --class-names FILE  class names, one per line (default: the data set's own);\n"
           "                      stored into FILE.nnb.h5 while it has the names 0..C-1\n"
           "  --config FILE       processing config (JSON); keys below\n"
           "  --set KEY=VALUE     override one config key (repeatable)\n"
           "  --threads N         threads (default: all cores); results do not depend on it\n"
           "  --quiet             no progress or log lines (the summary is still printed)\n"
           "  --verbose           more log lines (per-class timings)\n\n"
           "config keys read (processing config; default in brackets):\n",
           NB_IDX_DEFAULT_DIR);
    for (size_t k = 0; k < nb_processing_schema.n_keys; k++) {
        const nb_config_key *key = &nb_processing_schema.keys[k];
        if (!strncmp(key->name, "importance_", 11) || !strcmp(key->name, "seed"))
            print_key(key);
    }
    printf("\nimportance_flags: gamma = gamma starts at 1 (else 0); l1, l2 = penalties on\n"
           "gamma; centering = a trainable shift beta as well. Details: docs/importance.md.\n\n"
           "example:\n"
           "  nnbundle importance out/fashion_mnist.nnb.h5 --set importance_epochs=10\n");
}

/* Progress callback state: which classes were already reported. */
typedef struct progress_state {
    nb_progress bar;
    nb_importance *out;
    const nb_network *net;
    bool *reported; /* [C] */
} progress_state;

static bool on_class_done(void *user, size_t done, size_t n_classes) {
    progress_state *ps = user;
    char note[160] = "";
    for (size_t c = 0; c < n_classes; c++) {
        double acc = ps->out->finetune_accuracy[c];
        if (ps->reported[c] || isnan(acc))
            continue;
        ps->reported[c] = true;
        const char *name =
            ps->net->class_names && ps->net->class_names[c] ? ps->net->class_names[c] : "";
        snprintf(note, sizeof note, "class %zu %s acc %.3f", c, name, acc);
    }
    nb_progress_update(&ps->bar, done, note[0] ? note : NULL);
    return true;
}

/* Images must fit the input layer and labels the output layer; the subject names the data. */
static nb_status check_fit(const nb_dataset *ds, const char *what, const nb_network *net,
                           const char *dir, const char *path) {
    return nb_cli_check_data(ds, what, net, true, dir, path);
}

/* Parses the command line: common options, --data DIR, --class-names FILE and one FILE. -1
 * to go on, or the exit code (help, usage error). */
static int importance_parse(int argc, char **argv, nb_cli_common *common, nb_cli_data *data,
                            const char **path) {
    memset(common, 0, sizeof *common);
    memset(data, 0, sizeof *data);
    *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            importance_help();
            return NB_EXIT_OK;
        }
        int c = nb_cli_common_parse(common, argc, argv, &i);
        if (c < 0)
            return nb_cli_usage_error("importance", "bad value for %s", a);
        if (c > 0)
            continue;
        c = nb_cli_data_parse(data, "importance", argc, argv, &i);
        if (c < 0)
            return NB_EXIT_USAGE;
        if (c > 0)
            continue;
        if (a[0] == '-' && a[1] != '\0') {
            return nb_cli_usage_error("importance", "unknown option '%s'", a);
        } else if (*path) {
            return nb_cli_usage_error("importance", "unexpected argument '%s' (one FILE only)", a);
        } else {
            *path = a;
        }
    }
    if (!*path)
        return nb_cli_usage_error("importance", "missing input file (FILE.nnb.h5)");
    return -1;
}

/* The data the method needs: both splits for methods that train, the test split alone for
 * top-k images (a missing one is then only a warning, unless --data named it). On failure
 * both are freed. */
static nb_status importance_data(const nb_importance_strategy *st, bool want_top,
                                 const nb_cli_data *opt, const nb_network *net, const char *path,
                                 nb_dataset *train, nb_dataset *test) {
    const char *data_arg = opt->dir;
    const char *data = data_arg ? data_arg : NB_IDX_DEFAULT_DIR;
    nb_status s = NB_OK;
    if (st->needs_data) {
        s = nb_cli_load_data(data, opt->class_names, NB_IDX_TRAIN, 0, train);
        if (s == NB_OK)
            s = check_fit(train, "train set", net, data, path);
    }
    if (s == NB_OK && (st->needs_data || want_top)) {
        s = nb_cli_load_data(data, opt->class_names, NB_IDX_TEST, 0, test);
        if (s == NB_OK)
            s = check_fit(test, "test set", net, data, path);
        if (s != NB_OK && !st->needs_data && !data_arg) {
            nb_log_warn("no usable test set in %s (%s): storing no top-activating images", data,
                        nb_error_message());
            nb_error_clear();
            nb_dataset_deinit(test);
            s = NB_OK;
        }
    }
    if (s != NB_OK) {
        nb_dataset_deinit(train);
        nb_dataset_deinit(test);
        return s;
    }
    if (st->needs_data)
        nb_log_info("data: %s, %zu training and %zu test images, %zu classes", data, train->n,
                    test->n, train->n_classes);
    return NB_OK;
}

/* nb_importance_compute with a progress bar of one step per class. */
static nb_status importance_compute(const nb_importance_settings *settings,
                                    const nb_importance_strategy *st, const nb_network *net,
                                    const nb_dataset *train, const nb_dataset *test,
                                    nb_importance *imp) {
    progress_state ps = {0};
    ps.out = imp;
    ps.net = net;
    ps.reported = calloc(net->n_classes, sizeof *ps.reported);
    if (!ps.reported)
        return NB_RAISE(NB_E_NOMEM, "importance", "progress state");
    nb_progress_begin(&ps.bar, "importance", net->n_classes);
    nb_status s = nb_importance_compute(settings, net, st->needs_data ? train : NULL,
                                        test->images ? test : NULL, on_class_done, &ps, imp);
    nb_progress_end(&ps.bar, s == NB_OK ? NULL : "failed");
    free(ps.reported);
    return s;
}

/* Logs every class's fine-tune test accuracy; returns their count and *sum. */
static size_t log_accuracies(const nb_importance *imp, const nb_network *net, double *sum) {
    size_t n = 0;
    *sum = 0.0;
    for (size_t c = 0; c < imp->n_classes; c++) {
        double acc = imp->finetune_accuracy[c];
        if (isnan(acc))
            continue;
        *sum += acc;
        n++;
        nb_log_info("class %zu %s: fine-tune test accuracy %.4f", c,
                    net->class_names && net->class_names[c] ? net->class_names[c] : "", acc);
    }
    return n;
}

int nb_cli_importance(int argc, char **argv) {
    nb_cli_common common;
    nb_cli_data data;
    const char *path = NULL;
    int rc = importance_parse(argc, argv, &common, &data, &path);
    if (rc >= 0)
        return rc;
    nb_cli_common_apply(&common);
    const double t_start = nb_time_now();

    nb_processing_config cfg;
    nb_status s = nb_cli_processing_config(&common, &cfg);
    if (s != NB_OK)
        return nb_cli_fail(s);
    nb_importance_settings settings;
    s = nb_importance_settings_from_config(&cfg, &settings);
    if (s != NB_OK)
        return nb_cli_fail(s);
    const nb_importance_strategy *st = nb_importance_strategy_of(settings.method);
    const char *method = nb_importance_method_name(settings.method);
    if (!st)
        return nb_cli_fail(NB_RAISE(NB_E_CONFIG, "importance_method", "value %d names no strategy",
                                    cfg.importance_method));
    /* FILE is rewritten: checked against the other inputs and locked from its read to its
     * rename, so that a second writer fails instead of losing this run */
    const nb_file_arg outs[] = {{path, "FILE"}};
    const nb_file_arg ins[] = {
        {data.dir, "--data"}, {data.class_names, "--class-names"}, {common.config, "--config"}};
    s = nb_file_check_outputs(outs, 1, ins, 3);
    nb_file_lock lock = {0};
    if (s == NB_OK)
        s = nb_file_lock_acquire(&lock, path);
    nb_model model;
    if (s == NB_OK)
        s = nb_h5_load(path, &model);
    if (s != NB_OK) {
        nb_file_lock_release(&lock);
        return nb_cli_fail(s);
    }
    const nb_network *net = &model.network;
    nb_dataset train = {0}, test = {0};
    s = importance_data(st, cfg.importance_top_k > 0, &data, net, path, &train, &test);
    bool renamed = false;
    if (s == NB_OK) /* the data set's class names, while the network has the defaults */
        s = nb_cli_adopt_class_names(&model.network, train.images ? &train : &test, &renamed);
    if (s != NB_OK) {
        nb_dataset_deinit(&train);
        nb_dataset_deinit(&test);
        nb_model_deinit(&model);
        nb_file_lock_release(&lock);
        return nb_cli_fail(s);
    }
    if (renamed)
        nb_log_info("%s: class names from the data set (%s, ...)", path,
                    model.network.class_names[0]);
    nb_log_info("importance: method %s%s%s, %d epochs, batch %d, lr %g, seed %d", method,
                st->needs_data ? ", flags " : "", st->needs_data ? cfg.importance_flags : "",
                cfg.importance_epochs, cfg.importance_batch_size, cfg.importance_learning_rate,
                cfg.seed);
    nb_importance imp;
    const double t_compute = nb_time_now();
    s = importance_compute(&settings, st, net, &train, &test, &imp);
    const double t_done = nb_time_now();
    if (s != NB_OK && strcmp(nb_error_subject(), path) != 0) { /* name the file too */
        char inner[1024];
        snprintf(inner, sizeof inner, "%s%s%s", nb_error_subject(),
                 nb_error_subject()[0] ? ": " : "", nb_error_reason());
        s = NB_RAISE(s, path, "%s", inner);
    }
    nb_dataset_deinit(&train);
    nb_dataset_deinit(&test);
    if (s != NB_OK) {
        nb_model_deinit(&model);
        nb_file_lock_release(&lock);
        return nb_cli_fail(s);
    }
    double acc_sum;
    size_t acc_n = log_accuracies(&imp, net, &acc_sum);
    if (model.has_bundle)
        nb_log_info("%s: /bundle was computed from the previous importance; run `nnbundle "
                    "bundle` again to use the new one",
                    path);
    if (model.has_importance)
        nb_importance_deinit(&model.importance);
    model.importance = imp;
    model.has_importance = true;
    s = nb_h5_save(path, &model);
    nb_model_deinit(&model);
    nb_file_lock_release(&lock);
    if (s != NB_OK)
        return nb_cli_fail(s);
    if (acc_n)
        printf("importance: %s (%s) on %zu classes in %.2f s, mean fine-tune test accuracy "
               "%.4f; wrote %s /importance (%.2f s in all)\n",
               method, cfg.importance_flags, acc_n, t_done - t_compute, acc_sum / (double)acc_n,
               path, nb_time_now() - t_start);
    else
        printf("importance: %s in %.2f s; wrote %s /importance (%.2f s in all)\n", method,
               t_done - t_compute, path, nb_time_now() - t_start);
    return NB_EXIT_OK;
}
