/* cli_evaluate.c - `nnbundle evaluate`: pruning curves that test the importance values.
 *
 * DESIGN: loads FILE read-only (nb_h5_load; the file is never written), checks it has
 * /importance, loads the test and training sets from --data, runs nb_evaluate_run for the
 * method comparison (OUT/pruning.csv) and, with --class-specific, once more scoring edges by
 * one class at a time (OUT/class_specific.csv), then prints a summary table on stdout.
 * With --importance LIST it also computes every listed importance method on the network
 * (nb_importance_edge_scores, timed), prunes by each method's own class-blind and per-class
 * edge scores (the "importance" method of nb_evaluate_run; OUT/importance.csv,
 * OUT/importance_class_specific.csv), with --stability measures each method's split-half
 * Spearman per layer (nb_evaluate_stability), writes OUT/importance_methods.csv and prints
 * three tables; the file then needs no /importance.
 * Source: method.md §6; CSV columns in nb_evaluate.h; plots: evaluation/plot_*.gp.
 * Threads: --threads sets OpenMP and OpenBLAS threads (the forward passes); results do not
 * depend on it. Config keys read: none (options only).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "nb_evaluate.h"
#include "nb_file.h"
#include "nb_h5.h"
#include "nb_idx.h"
#include "nb_log.h"

static void evaluate_help(void) {
    printf("usage: nnbundle evaluate FILE.nnb.h5 --out DIR [options]\n\n"
           "Tests the importance stored in FILE: for each method and prune level p it zeroes\n"
           "the round(p*E) lowest-scoring of the E edges in a copy of the network (biases\n"
           "kept) and measures loss, accuracy and per-class recall and balanced accuracy\n"
           "((TPR+TNR)/2) on the test and training sets. FILE is only read. FILE needs\n"
           "/importance: run `nnbundle importance FILE --data DIR` first.\n\n"
           "options:\n"
           "  --data DIR          data set directory: IDX, NumPy or ImageFolder layout\n"
           "                      (docs/data.md; default %s)\n"
           "  --class-names FILE  class names, one per line, for the tables (default: the\n"
           "                      network's, or the data set's while the network has 0..C-1)\n"
           "  --out DIR           output directory, created if missing (required); writes\n"
           "                      pruning.csv and, with --class-specific, class_specific.csv\n"
           "  --levels LIST       prune levels in percent (default 0,10,20,...,100),\n"
           "                      e.g. 0,10,20,30,40,50,60,70,80,90,95,99,100\n"
           "  --methods LIST      comma list (default all):\n"
           "                        alpha_mean_gamma  alpha * mean over classes of the source\n"
           "                                          node's gamma (the thesis' BNN_EDGE)\n"
           "                        mean_gamma        mean gamma of the source node (BNN_ONLY)\n"
           "                        alpha             |w| / max |w| of the layer pair\n"
           "                                          (EDGE_ONLY)\n"
           "                        random            seeded random order, mean of --draws\n"
           "                        reverse           alpha_mean_gamma, most important first\n"
           "  --class-specific    also score edges by one class c at a time (alpha * gamma_c)\n"
           "                      and report whether class c keeps its recall better than\n"
           "                      the other classes\n"
           "  --importance LIST   also compute these importance methods on this network from\n"
           "                      the training set (importance_method words: bn-gamma,\n"
           "                      magnitude, taylor, taylor-mean, obd, activation, or all;\n"
           "                      default settings, --seed) and prune by each method's own\n"
           "                      per-edge score (class-blind; with --class-specific class c's\n"
           "                      score and the class-blind control): importance.csv,\n"
           "                      importance_class_specific.csv, importance_methods.csv\n"
           "                      (seconds per method). FILE then needs no /importance.\n"
           "                      taylor, taylor-mean and obd are skipped on networks with\n"
           "                      operators (CNNs)\n"
           "  --stability         with --importance: split-half stability of each method's\n"
           "                      node ranking (Spearman per layer between runs on two\n"
           "                      disjoint halves of every class's training images), in\n"
           "                      importance_methods.csv\n"
           "  --seed N            seed of the random order (default 1)\n"
           "  --draws N           random orders averaged (default %d)\n"
           "  --sets LIST         data sets to measure: test,train (default both)\n"
           "  --max-images N      use only the first N images of each set (default all)\n"
           "  --threads N         threads (default: all cores); results do not depend on it\n"
           "  --quiet, --verbose\n\n"
           "CSV (long format, one value per row):\n"
           "  method,scored_class,level_percent,pruned_fraction,set,metric,class,value\n"
           "  metric: loss (nats), accuracy, accuracy_sd (random only), recall,\n"
           "  balanced_accuracy, recall_others_mean (class-specific only).\n"
           "Plots: evaluation/plot_*.gp; everything at once: evaluation/reproduce.sh.\n\n"
           "example:\n"
           "  nnbundle evaluate model.nnb.h5 --out eval --class-specific\n",
           NB_IDX_DEFAULT_DIR, NB_EVALUATE_DEFAULT_DRAWS);
}

/* mkdir -p; NB_E_IO naming the directory. */
static nb_status make_dirs(const char *dir) {
    char buf[4096];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof buf)
        return NB_RAISE(NB_E_IO, dir, "bad output directory name");
    memcpy(buf, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return NB_RAISE(NB_E_IO, dir, "cannot create %s: %s", buf, strerror(errno));
        buf[i] = saved;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return NB_RAISE(NB_E_IO, dir, "not a directory");
    return NB_OK;
}

typedef struct progress_ctx {
    nb_progress bar;
    bool started;
    const char *label;
} progress_ctx;

static bool on_progress(void *user, size_t done, size_t total) {
    progress_ctx *p = user;
    if (!p->started) {
        nb_progress_begin(&p->bar, p->label, total);
        p->started = true;
    }
    nb_progress_update(&p->bar, done, NULL);
    return true;
}

/* Index of the point (method, scored class, level index k) or SIZE_MAX. */
static size_t find_point(const nb_evaluate_result *r, nb_evaluate_method m, int cls, double lv) {
    for (size_t p = 0; p < r->n_points; p++)
        if (r->method[p] == m && r->scored_class[p] == cls && r->level[p] == lv)
            return p;
    return (size_t)-1;
}

static void print_method_summary(const nb_evaluate_result *r, const double *levels,
                                 size_t n_levels) {
    for (size_t s = 0; s < r->n_sets; s++) {
        printf("\n%s accuracy after pruning (E = %zu edges; random: mean +- SD of the draws)\n",
               r->set_name[s], r->n_edges);
        printf("%8s", "pruned%");
        for (int m = 0; m < NB_EVALUATE_N_METHODS; m++)
            if (find_point(r, (nb_evaluate_method)m, -1, levels[0]) != (size_t)-1)
                printf(" %*s", m == NB_EVALUATE_RANDOM ? 18 : 17,
                       nb_evaluate_method_name((nb_evaluate_method)m));
        printf("\n");
        for (size_t k = 0; k < n_levels; k++) {
            printf("%8.4g", 100.0 * levels[k]);
            for (int m = 0; m < NB_EVALUATE_N_METHODS; m++) {
                size_t p = find_point(r, (nb_evaluate_method)m, -1, levels[k]);
                if (p == (size_t)-1)
                    continue;
                const size_t ps = p * r->n_sets + s;
                if (r->n_draws[p] > 1)
                    printf(" %10.4f+-%6.4f", r->accuracy[ps], r->accuracy_sd[ps]);
                else
                    printf(" %17.4f", r->accuracy[ps]);
            }
            printf("\n");
        }
    }
}

/* For each scored class c: levels where recall_c > mean recall of the other classes, and
 * levels where class c lost less recall than the others (relative to level 0 if present). */
static void print_class_summary(const nb_evaluate_result *r, const nb_network *net,
                                const double *levels, size_t n_levels) {
    const size_t C = r->n_classes;
    const size_t s = 0; /* first set (test by default) */
    const nb_evaluate_method m = r->method[0];
    printf("\nclass-specific pruning (%s scored by class c only), %s recall of class c vs the "
           "mean recall of the other classes\n",
           nb_evaluate_method_name(m), r->set_name[s]);
    printf("%-5s %-14s %-8s %8s %8s  %s\n", "class", "name", "pruned%", "recall_c", "others",
           "c > others | c lost less than others");
    for (size_t c = 0; c < C; c++) {
        size_t holds = 0, loses_less = 0, counted = 0;
        size_t p0 = find_point(r, m, (int)c, 0.0);
        double rc0 = NAN, ro0 = NAN;
        if (p0 != (size_t)-1) {
            rc0 = r->recall[(p0 * r->n_sets + s) * C + c];
            double sum = 0.0;
            for (size_t o = 0; o < C; o++)
                if (o != c)
                    sum += r->recall[(p0 * r->n_sets + s) * C + o];
            ro0 = sum / (double)(C - 1);
        }
        for (size_t k = 0; k < n_levels; k++) {
            size_t p = find_point(r, m, (int)c, levels[k]);
            const double *rec = r->recall + (p * r->n_sets + s) * C;
            double sum = 0.0;
            for (size_t o = 0; o < C; o++)
                if (o != c)
                    sum += rec[o];
            const double others = sum / (double)(C - 1);
            const bool h = rec[c] > others;
            const bool ll = !isnan(rc0) && (rc0 - rec[c]) < (ro0 - others);
            printf("%-5zu %-14.14s %8.4g %8.4f %8.4f  %s | %s\n", c, net->class_names[c],
                   100.0 * levels[k], rec[c], others, h ? "yes" : "no ",
                   isnan(rc0) ? "?" : (ll ? "yes" : "no"));
            if (levels[k] > 0.0 && levels[k] < 1.0) {
                counted++;
                holds += h;
                loses_less += ll;
            }
        }
        printf("      class %zu: recall_c > others at %zu of %zu levels in (0, 100)%%; lost less "
               "at %zu of %zu\n",
               c, holds, counted, loses_less, counted);
    }
}

#define MAX_IMPORTANCE_METHODS 16

/* The methods of --importance (importance_method words, or "all": every method with a
 * strategy) into methods[*n]. -1, or the usage exit code. */
static int parse_importance_methods(const char *list, int *methods, size_t *n) {
    const nb_config_key *key = nb_config_find(&nb_processing_schema, "importance_method");
    *n = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        char word[64];
        snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), p);
        if (!strcmp(word, "all")) {
            for (int m = 0; nb_importance_strategy_of((nb_importance_method)m) ||
                            nb_importance_method_name((nb_importance_method)m);
                 m++)
                if (nb_importance_strategy_of((nb_importance_method)m) &&
                    *n < MAX_IMPORTANCE_METHODS)
                    methods[(*n)++] = m;
        } else {
            int m = nb_config_key_enum_index(key, word);
            if (m < 0 || !nb_importance_strategy_of((nb_importance_method)m)) {
                char words[256];
                nb_config_enum_words(&nb_processing_schema, "importance_method", ", ", words,
                                     sizeof words);
                return nb_cli_usage_error("evaluate", "--importance: unknown method '%s' (%s, all)",
                                          word, words);
            }
            if (*n < MAX_IMPORTANCE_METHODS)
                methods[(*n)++] = m;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    if (*n == 0)
        return nb_cli_usage_error("evaluate", "--importance: no method given");
    return -1;
}

/* The options of one `nnbundle evaluate`. */
typedef struct evaluate_args {
    nb_cli_common common;
    const char *file, *data, *out, *levels_arg, *methods_arg, *sets_arg;
    const char *class_names; /* --class-names FILE or NULL */
    const char *importance_arg;
    int imp_methods[MAX_IMPORTANCE_METHODS];
    size_t n_imp;
    bool class_specific, stability;
    long seed, draws, max_images;
    double levels[NB_EVALUATE_MAX_LEVELS];
    size_t n_levels;
    unsigned methods;
    bool want_test, want_train;
} evaluate_args;

/* Stores the value v of option a (one of the valued options); -1, or the usage exit code. */
static int evaluate_option(evaluate_args *ea, const char *a, const char *v) {
    if (!strcmp(a, "--data"))
        ea->data = v;
    else if (!strcmp(a, "--out"))
        ea->out = v;
    else if (!strcmp(a, "--levels"))
        ea->levels_arg = v;
    else if (!strcmp(a, "--methods"))
        ea->methods_arg = v;
    else if (!strcmp(a, "--sets"))
        ea->sets_arg = v;
    else if (!strcmp(a, "--importance"))
        ea->importance_arg = v;
    else if (!strcmp(a, "--seed")) {
        if (!nb_cli_parse_int(v, 0, 2147483647L, &ea->seed))
            return nb_cli_usage_error("evaluate", "--seed: '%s' is not in 0..2^31-1", v);
    } else if (!strcmp(a, "--draws")) {
        if (!nb_cli_parse_int(v, 1, 1000, &ea->draws))
            return nb_cli_usage_error("evaluate", "--draws: '%s' is not in 1..1000", v);
    } else if (!nb_cli_parse_int(v, 1, 2147483647L, &ea->max_images)) {
        /* 0 would read as "no limit" (the loader's convention): refuse it, leave it out */
        return nb_cli_usage_error("evaluate",
                                  "--max-images: '%s' is not a count of 1 or more (leave the "
                                  "option out for all images)",
                                  v);
    }
    return -1;
}

/* The words of --sets (test, train). -1, or the usage exit code. */
static int evaluate_sets(evaluate_args *ea) {
    for (const char *p = ea->sets_arg; *p;) {
        size_t len = strcspn(p, ",");
        if (len == 4 && !strncmp(p, "test", 4))
            ea->want_test = true;
        else if (len == 5 && !strncmp(p, "train", 5))
            ea->want_train = true;
        else
            return nb_cli_usage_error("evaluate", "--sets: unknown set '%.*s' (test, train)",
                                      (int)len, p);
        p += len;
        if (*p == ',' && !*++p) /* "test,": a trailing separator is a typo */
            return nb_cli_usage_error("evaluate", "--sets: trailing comma in '%s'", ea->sets_arg);
    }
    if (!ea->want_test && !ea->want_train)
        return nb_cli_usage_error("evaluate", "--sets: no set given (test, train)");
    return -1;
}

/* The values of --levels, --methods and --sets, with their defaults. -1, or the exit code. */
static int evaluate_values(evaluate_args *ea) {
    ea->n_levels = 11;
    for (size_t k = 0; k < 11; k++)
        ea->levels[k] = (double)k / 10.0;
    if (ea->levels_arg && nb_evaluate_parse_levels(ea->levels_arg, ea->levels,
                                                   NB_EVALUATE_MAX_LEVELS, &ea->n_levels) != NB_OK)
        return nb_cli_usage_error("evaluate", "%s", nb_error_message());
    if (ea->importance_arg) {
        int rc = parse_importance_methods(ea->importance_arg, ea->imp_methods, &ea->n_imp);
        if (rc >= 0)
            return rc;
    }
    ea->methods = NB_EVALUATE_ALL_METHODS;
    if (ea->methods_arg && nb_evaluate_parse_methods(ea->methods_arg, &ea->methods) != NB_OK)
        return nb_cli_usage_error("evaluate", "%s", nb_error_message());
    return evaluate_sets(ea);
}

/* Parses the command line into *ea. -1 to go on, or the exit code (help, usage error). */
static int evaluate_parse(int argc, char **argv, evaluate_args *ea) {
    memset(ea, 0, sizeof *ea);
    ea->data = NB_IDX_DEFAULT_DIR;
    ea->sets_arg = "test,train";
    ea->seed = 1;
    ea->draws = NB_EVALUATE_DEFAULT_DRAWS;
    static const char *const valued[] = {"--data",       "--out",   "--levels", "--methods",
                                         "--seed",       "--draws", "--sets",   "--max-images",
                                         "--importance", NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            evaluate_help();
            return NB_EXIT_OK;
        }
        int c = nb_cli_common_parse(&ea->common, argc, argv, &i);
        if (c < 0)
            return nb_cli_usage_error("evaluate", "bad option %s", a);
        if (c > 0)
            continue;
        nb_cli_data dopt = {.dir = ea->data, .class_names = ea->class_names};
        c = nb_cli_data_parse(&dopt, "evaluate", argc, argv, &i);
        if (c < 0)
            return NB_EXIT_USAGE;
        if (c > 0) {
            ea->data = dopt.dir;
            ea->class_names = dopt.class_names;
            continue;
        }
        if (!strcmp(a, "--class-specific")) {
            ea->class_specific = true;
        } else if (!strcmp(a, "--stability")) {
            ea->stability = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            bool known = false;
            for (const char *const *v = valued; *v; v++)
                known = known || !strcmp(a, *v);
            if (!known)
                return nb_cli_usage_error("evaluate", "unknown option '%s'", a);
            if (i + 1 >= argc)
                return nb_cli_usage_error("evaluate", "option %s needs a value", a);
            int rc = evaluate_option(ea, a, argv[++i]);
            if (rc >= 0)
                return rc;
        } else if (ea->file) {
            return nb_cli_usage_error("evaluate", "more than one input file ('%s', '%s')", ea->file,
                                      a);
        } else {
            ea->file = a;
        }
    }
    if (!ea->file)
        return nb_cli_usage_error("evaluate", "missing input file FILE.nnb.h5");
    if (!ea->out)
        return nb_cli_usage_error("evaluate", "missing output directory (--out DIR)");
    if (ea->stability && !ea->importance_arg)
        return nb_cli_usage_error("evaluate", "--stability needs --importance LIST");
    if (ea->common.config || ea->common.n_sets)
        return nb_cli_usage_error("evaluate", "--config and --set do not apply: evaluate reads "
                                              "the importance stored in the file");
    return evaluate_values(ea);
}

/* The data sets asked for, loaded and checked against the network; names point into
 * test_src / train_src (4200 bytes each). */
static nb_status evaluate_load_sets(const evaluate_args *ea, nb_network *net, nb_dataset *test,
                                    nb_dataset *train, nb_evaluate_set sets[2], size_t *n_sets,
                                    char *test_src, char *train_src) {
    *n_sets = 0;
    snprintf(test_src, 4200, "%s (test set)", ea->data);
    snprintf(train_src, 4200, "%s (training set)", ea->data);
    /* --importance computes importance from the training set (bn-gamma also needs the test
     * set), whichever sets are measured */
    if (ea->want_test || ea->importance_arg) {
        NB_TRY(
            nb_cli_load_data(ea->data, ea->class_names, NB_IDX_TEST, (size_t)ea->max_images, test));
        NB_TRY(nb_cli_check_data(test, "test set", net, false, ea->data, ea->file));
        if (ea->want_test)
            sets[(*n_sets)++] = (nb_evaluate_set){"test", test_src, test};
    }
    if (ea->want_train || ea->importance_arg) {
        NB_TRY(nb_cli_load_data(ea->data, ea->class_names, NB_IDX_TRAIN, (size_t)ea->max_images,
                                train));
        NB_TRY(nb_cli_check_data(train, "training set", net, false, ea->data, ea->file));
        if (ea->want_train)
            sets[(*n_sets)++] = (nb_evaluate_set){"train", train_src, train};
    }
    for (size_t s = 0; s < *n_sets; s++)
        NB_TRY(nb_evaluate_check_set(net, &sets[s]));
    /* names for the tables (in memory only: evaluate never writes FILE) */
    return nb_cli_adopt_class_names(net, sets[0].data, NULL);
}

/* Runs one family of curves (desc, progress under `label`) and writes it to out/csv_name. */
static nb_status evaluate_curves(const evaluate_args *ea, const nb_model *model,
                                 const nb_evaluate_set *sets, size_t n_sets, nb_evaluate_desc d,
                                 const char *label, const char *csv_name, nb_evaluate_result *res) {
    progress_ctx pc = {.label = label};
    d.progress = on_progress;
    d.user = &pc;
    const double t0 = nb_time_now();
    nb_status st = nb_evaluate_run(&model->network, &model->importance, sets, n_sets, &d, res);
    if (pc.started)
        nb_progress_end(&pc.bar, NULL);
    if (st == NB_E_NUMERIC) { /* name the network file, not only the set */
        char why[1024];
        snprintf(why, sizeof why, "%s set: %s", nb_error_subject(), nb_error_reason());
        st = NB_RAISE(NB_E_NUMERIC, ea->file, "%s", why);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", ea->out, csv_name);
    if (st == NB_OK)
        st = nb_evaluate_write_csv(res, path);
    if (st == NB_OK)
        nb_log_info("wrote %s (%.1f s)", path, nb_time_now() - t0);
    return st;
}

/* Everything --importance measured, one entry per method. */
typedef struct importance_runs {
    size_t n;
    int method[MAX_IMPORTANCE_METHODS];
    double seconds[MAX_IMPORTANCE_METHODS];
    double *rho; /* [n][L-1] split-half Spearman, NaN if not measured */
    nb_evaluate_result blind[MAX_IMPORTANCE_METHODS], cls[MAX_IMPORTANCE_METHODS];
} importance_runs;

static void importance_runs_free(importance_runs *ir) {
    for (size_t k = 0; k < MAX_IMPORTANCE_METHODS; k++) {
        nb_evaluate_result_deinit(&ir->blind[k]);
        nb_evaluate_result_deinit(&ir->cls[k]);
    }
    free(ir->rho);
}

/* Writes the class-blind or class-specific results of every method to out/name. */
static nb_status write_importance_csv(const evaluate_args *ea, const importance_runs *ir,
                                      bool class_specific, const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", ea->out, name);
    nb_file_atomic a;
    NB_TRY(nb_file_atomic_begin(&a, path, true));
    nb_status st = NB_OK;
    for (size_t k = 0; k < ir->n && st == NB_OK; k++)
        st = nb_evaluate_write_csv_rows(class_specific ? &ir->cls[k] : &ir->blind[k], a.stream,
                                        path, k == 0);
    if (st != NB_OK) {
        nb_file_atomic_abort(&a);
        return st;
    }
    NB_TRY(nb_file_atomic_commit(&a));
    nb_log_info("wrote %s", path);
    return NB_OK;
}

/* out/importance_methods.csv: method,metric,layer,value with seconds (layer "all") and
 * spearman_split_half per layer 0..L-2. */
static nb_status write_methods_csv(const evaluate_args *ea, const importance_runs *ir, size_t L) {
    char path[4200];
    snprintf(path, sizeof path, "%s/importance_methods.csv", ea->out);
    nb_file_atomic a;
    NB_TRY(nb_file_atomic_begin(&a, path, true));
    bool ok = fprintf(a.stream, "method,metric,layer,value\n") > 0;
    for (size_t k = 0; k < ir->n && ok; k++) {
        const char *name = nb_importance_method_name((nb_importance_method)ir->method[k]);
        ok = fprintf(a.stream, "%s,seconds,all,%.6g\n", name, ir->seconds[k]) > 0;
        for (size_t l = 0; l + 1 < L && ok && ea->stability; l++)
            ok = fprintf(a.stream, "%s,spearman_split_half,%zu,%.6g\n", name, l,
                         ir->rho[k * (L - 1) + l]) > 0;
    }
    if (!ok) {
        nb_file_atomic_abort(&a);
        return NB_RAISE(NB_E_IO, path, "cannot write CSV: %s", strerror(errno));
    }
    NB_TRY(nb_file_atomic_commit(&a));
    nb_log_info("wrote %s", path);
    return NB_OK;
}

/* The tables of --importance on stdout (first set). */
static void print_importance_summary(const evaluate_args *ea, const importance_runs *ir,
                                     const nb_network *net) {
    const size_t s = 0, C = net->n_classes, L = net->n_layers;
    const nb_evaluate_result *r0 = &ir->blind[0];
    printf("\n%s accuracy after pruning by each importance method's own edge score "
           "(class-blind)\n%8s",
           r0->set_name[s], "pruned%");
    for (size_t k = 0; k < ir->n; k++)
        printf(" %11s", nb_importance_method_name((nb_importance_method)ir->method[k]));
    printf("\n");
    for (size_t lv = 0; lv < ea->n_levels; lv++) {
        printf("%8.4g", 100.0 * ea->levels[lv]);
        for (size_t k = 0; k < ir->n; k++)
            printf(" %11.4f", ir->blind[k].accuracy[lv * ir->blind[k].n_sets + s]);
        printf("\n");
    }
    printf("%8s", "seconds");
    for (size_t k = 0; k < ir->n; k++)
        printf(" %11.2f", ir->seconds[k]);
    printf("\n");
    if (ea->stability) {
        for (size_t l = 0; l + 1 < L; l++) {
            printf("rho L%-3zu", l);
            for (size_t k = 0; k < ir->n; k++)
                printf(" %11.4f", ir->rho[k * (L - 1) + l]);
            printf("\n");
        }
        printf("(rho: split-half Spearman of the class-mean node ranking per layer)\n");
    }
    if (!ea->class_specific)
        return;
    printf("\nclass-specific pruning by class c's own score: %s recall of class c minus its "
           "recall under class-blind pruning by the same method (classes with >= 0)\n%8s",
           r0->set_name[s], "pruned%");
    for (size_t k = 0; k < ir->n; k++)
        printf(" %18s", nb_importance_method_name((nb_importance_method)ir->method[k]));
    printf("\n");
    for (size_t lv = 0; lv < ea->n_levels; lv++) {
        printf("%8.4g", 100.0 * ea->levels[lv]);
        for (size_t k = 0; k < ir->n; k++) {
            const nb_evaluate_result *b = &ir->blind[k], *r = &ir->cls[k];
            double worst = INFINITY;
            size_t held = 0;
            for (size_t c = 0; c < C; c++) {
                const size_t p = c * ea->n_levels + lv;
                const double rc = r->recall[(p * r->n_sets + s) * C + c];
                const double rb = b->recall[(lv * b->n_sets + s) * C + c];
                held += rc >= rb;
                worst = rc - rb < worst ? rc - rb : worst;
            }
            printf("  min %+7.4f %2zu/%zu", worst, held, C);
        }
        printf("\n");
    }
}

/* --importance: every method's scores, curves, optional stability, CSVs and tables. */
static nb_status evaluate_importance(const evaluate_args *ea, const nb_model *model,
                                     const nb_evaluate_set *sets, size_t n_sets,
                                     const nb_dataset *train, const nb_dataset *test) {
    const nb_network *net = &model->network;
    const nb_importance *imp = model->has_importance ? &model->importance : NULL;
    importance_runs ir;
    memset(&ir, 0, sizeof ir);
    ir.n = ea->n_imp;
    memcpy(ir.method, ea->imp_methods, ir.n * sizeof *ir.method);
    const size_t C = net->n_classes, E = nb_network_n_edges(net), L = net->n_layers;
    float *scores = malloc((C + 1) * E * sizeof *scores);
    ir.rho = malloc(ir.n * (L - 1) * sizeof *ir.rho);
    nb_status st = NB_OK;
    if (!scores || !ir.rho)
        st = NB_RAISE(NB_E_NOMEM, "evaluate", "edge scores (%zu x %zu)", C, E);
    /* taylor, taylor-mean and obd need a dense network: skipped on operator chains */
    size_t kept = 0;
    for (size_t k = 0; k < ir.n; k++) {
        const int m = ir.method[k];
        const bool dense_only =
            m == NB_IMPORTANCE_TAYLOR || m == NB_IMPORTANCE_TAYLOR_MEAN || m == NB_IMPORTANCE_OBD;
        if (dense_only && net->n_ops > 0)
            nb_log_info("importance %s skipped: dense networks only",
                        nb_importance_method_name((nb_importance_method)m));
        else
            ir.method[kept++] = m;
    }
    ir.n = kept;
    if (ir.n == 0)
        st = NB_RAISE(NB_E_INVALID, "--importance", "no method of the list supports this network");
    for (size_t k = 0; k < ir.n && st == NB_OK; k++) {
        const char *name = nb_importance_method_name((nb_importance_method)ir.method[k]);
        nb_importance_settings set = {0};
        set.method = (nb_importance_method)ir.method[k];
        set.seed = ea->seed ? (int)ea->seed : NB_SETTING_ZERO;
        nb_log_info("importance %s ...", name);
        const double t0 = nb_time_now();
        st = nb_importance_edge_scores(&set, net, train, test, scores);
        ir.seconds[k] = nb_time_now() - t0;
        if (st != NB_OK)
            break;
        nb_evaluate_desc d = {.levels = ea->levels,
                              .n_levels = ea->n_levels,
                              .methods = 1u << NB_EVALUATE_IMPORTANCE,
                              .edge_scores = scores,
                              .score_name = name};
        st = nb_evaluate_run(net, imp, sets, n_sets, &d, &ir.blind[k]);
        if (st == NB_OK && ea->class_specific) {
            d.class_specific = true;
            st = nb_evaluate_run(net, imp, sets, n_sets, &d, &ir.cls[k]);
        }
        for (size_t l = 0; l + 1 < L; l++)
            ir.rho[k * (L - 1) + l] = NAN;
        if (st == NB_OK && ea->stability)
            st = nb_evaluate_stability(&set, net, train, test, (uint64_t)ea->seed,
                                       ir.rho + k * (L - 1), NULL);
        nb_log_info("importance %s: %.2f s", name, ir.seconds[k]);
    }
    if (st == NB_OK)
        st = write_importance_csv(ea, &ir, false, "importance.csv");
    if (st == NB_OK && ea->class_specific)
        st = write_importance_csv(ea, &ir, true, "importance_class_specific.csv");
    if (st == NB_OK)
        st = write_methods_csv(ea, &ir, L);
    if (st == NB_OK)
        print_importance_summary(ea, &ir, net);
    free(scores);
    importance_runs_free(&ir);
    return st;
}

int nb_cli_evaluate(int argc, char **argv) {
    evaluate_args ea;
    int rc = evaluate_parse(argc, argv, &ea);
    if (rc >= 0)
        return rc;
    nb_cli_common_apply(&ea.common);

    nb_model model;
    nb_status st = nb_h5_load(ea.file, &model);
    if (st != NB_OK)
        return nb_cli_fail(st);
    st = nb_evaluate_check_model(&model, ea.file);
    /* --importance computes its own: a file without /importance skips the stored curves */
    const bool stored = st == NB_OK;
    if (st != NB_OK && ea.importance_arg && model.has_network) {
        nb_error_clear();
        st = NB_OK;
    }
    nb_dataset test = {0}, train = {0};
    nb_evaluate_set sets[2];
    size_t n_sets = 0;
    char test_src[4200], train_src[4200];
    if (st == NB_OK)
        st = evaluate_load_sets(&ea, &model.network, &test, &train, sets, &n_sets, test_src,
                                train_src);
    if (st == NB_OK)
        st = make_dirs(ea.out);
    nb_evaluate_result res = {0}, cres = {0};
    if (st == NB_OK && stored) {
        nb_log_info("evaluate %s: %zu edges, %zu levels, %zu test + %zu training images", ea.file,
                    nb_network_n_edges(&model.network), ea.n_levels, test.n, train.n);
        const nb_evaluate_desc d = {.levels = ea.levels,
                                    .n_levels = ea.n_levels,
                                    .methods = ea.methods,
                                    .seed = (uint64_t)ea.seed,
                                    .random_draws = (size_t)ea.draws};
        st = evaluate_curves(&ea, &model, sets, n_sets, d, "evaluate methods", "pruning.csv", &res);
        if (st == NB_OK)
            print_method_summary(&res, ea.levels, ea.n_levels);
    }
    if (st == NB_OK && stored && ea.class_specific) {
        const nb_evaluate_desc d = {.levels = ea.levels,
                                    .n_levels = ea.n_levels,
                                    .methods = 1u << NB_EVALUATE_ALPHA_MEAN_GAMMA,
                                    .class_specific = true};
        st = evaluate_curves(&ea, &model, sets, n_sets, d, "evaluate class-specific",
                             "class_specific.csv", &cres);
        if (st == NB_OK)
            print_class_summary(&cres, &model.network, ea.levels, ea.n_levels);
    }
    if (st == NB_OK && ea.importance_arg)
        st = evaluate_importance(&ea, &model, sets, n_sets, &train, &test);
    fflush(stdout);
    nb_evaluate_result_deinit(&res);
    nb_evaluate_result_deinit(&cres);
    nb_dataset_deinit(&test);
    nb_dataset_deinit(&train);
    nb_model_deinit(&model);
    return nb_cli_fail(st);
}
