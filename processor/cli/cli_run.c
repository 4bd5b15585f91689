/* cli_run.c - `nnbundle run`: train, importance and bundle in one command.
 *
 * DESIGN: runs the three stage commands in pipeline order (train -> importance -> bundle) on
 * one output file, routing each option to the stage that owns it: training options to
 * `train`, --config/--set to `importance` and `bundle`, --threads/--quiet/--verbose to all.
 * The stages write a work file beside the output ("<out>.nbtmp.<pid>"), renamed over the
 * output only when all three succeeded: a failed or interrupted run leaves the output as it
 * was (and a later write of it removes the work file of a dead run). The output paths are
 * checked and the output is locked before training starts. Reads the processing config keys
 * through the stages it calls.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nb_file.h"
#include "nb_idx.h"
#include "nb_log.h"

#define RUN_MAX_ARGS 160

static void run_help(void) {
    printf("usage: nnbundle run [--data DIR] -o FILE.nnb.h5 [options]\n\n"
           "Trains a network, estimates per-class importance and bundles its edges: the\n"
           "same as `nnbundle train`, `nnbundle importance` and `nnbundle bundle` in a row\n"
           "on one file.\n\n"
           "options:\n"
           "  --data DIR        data set directory: IDX, NumPy or ImageFolder (docs/data.md;\n"
           "                    default %s)\n"
           "  --class-names F   class names, one per line (to train and importance)\n"
           "  -o, --output FILE output .nnb.h5 file (required)\n"
           "  --layers A,B,...  hidden layer sizes (default 81,49)\n"
           "  --epochs N        training epochs (default 15)\n"
           "  --batch N         training batch size (default 128)\n"
           "  --lr X            training learning rate (default 0.001)\n"
           "  --l1 X            L1 weight penalty in training (default 0)\n"
           "  --seed N          training seed (default 1)\n"
           "  --max-train N, --max-test N  train on the first N images only (tests)\n"
           "  --config FILE     processing config for importance and bundle\n"
           "                    (default: the values of configs/processing.json)\n"
           "  --set KEY=VALUE   override one processing key (repeatable)\n"
           "  --stats FILE      bundling statistics as JSON\n"
           "  --threads N       threads (default: all cores); results do not depend on it\n"
           "  --quiet, --verbose\n\n"
           "example:\n"
           "  nnbundle run -o out/fashion_mnist.nnb.h5\n"
           "  nnbundle-render out/fashion_mnist.nnb.h5\n",
           NB_IDX_DEFAULT_DIR);
}

typedef struct run_argv {
    char *v[RUN_MAX_ARGS];
    int n;
} run_argv;

static int push(run_argv *a, const char *s) {
    if (a->n >= RUN_MAX_ARGS - 1)
        return -1;
    a->v[a->n++] = (char *)s; /* argv strings are not modified by the stages */
    a->v[a->n] = NULL;
    return 0;
}

static bool is_one_of(const char *s, const char *const *list) {
    for (; *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

/* The stages' file argument before the work file is named (replaced in place). */
static const char WORK[] = "<work>";

static void set_work(run_argv *a, const char *work) {
    for (int i = 0; i < a->n; i++)
        if (a->v[i] == WORK)
            a->v[i] = (char *)work;
}

/* Runs the stages on a work file beside `out` ("<out>.nbtmp.<pid>", removed by a later write
 * of out if this process dies) and renames it over `out` only when all three succeeded:
 * a failing stage leaves `out` as it was. All outputs are checked and `out` is locked first. */
static int run_stages(const char *out, const char *stats, const char *data, const char *names,
                      const char *config, run_argv *tr, run_argv *im, run_argv *bu) {
    const nb_file_arg outs[] = {{out, "-o"}, {stats, "--stats"}};
    const nb_file_arg ins[] = {{data, "--data"}, {names, "--class-names"}, {config, "--config"}};
    nb_status s = nb_file_check_outputs(outs, 2, ins, 3);
    nb_file_lock lock = {0};
    if (s == NB_OK)
        s = nb_file_lock_acquire(&lock, out);
    nb_file_atomic work = {0};
    if (s == NB_OK)
        s = nb_file_atomic_begin(&work, out, false);
    if (s != NB_OK) {
        nb_file_lock_release(&lock);
        return nb_cli_fail(s);
    }
    set_work(tr, work.tmp_path);
    set_work(im, work.tmp_path);
    set_work(bu, work.tmp_path);
    nb_log_info("== nnbundle run: 1/3 train ==");
    int rc = nb_cli_train(tr->n, tr->v);
    if (rc == NB_EXIT_OK) {
        nb_log_info("== nnbundle run: 2/3 importance ==");
        rc = nb_cli_importance(im->n, im->v);
    }
    if (rc == NB_EXIT_OK) {
        nb_log_info("== nnbundle run: 3/3 bundle ==");
        rc = nb_cli_bundle(bu->n, bu->v);
    }
    if (rc != NB_EXIT_OK) { /* said also under --quiet: the stage's message names the work file */
        fprintf(stderr, "nnbundle run: %s left as it was (the stages wrote to %s, now removed)\n",
                out, work.tmp_path);
        nb_file_atomic_abort(&work);
        nb_file_lock_release(&lock);
        return rc;
    }
    s = nb_file_atomic_commit(&work);
    nb_file_lock_release(&lock);
    if (s == NB_OK)
        nb_log_info("wrote %s", out);
    return nb_cli_fail(s);
}

int nb_cli_run(int argc, char **argv) {
    static const char *const train_opts[] = {"--layers",    "--epochs",   "--batch",
                                             "--lr",        "--l1",       "--seed",
                                             "--max-train", "--max-test", NULL};
    static const char *const proc_opts[] = {"--config", "--set", NULL};
    static const char *const all_opts[] = {"--threads", NULL};
    static const char *const all_flags[] = {"--quiet", "-q", "--verbose", "-v", NULL};
    run_argv tr = {.n = 0}, im = {.n = 0}, bu = {.n = 0};
    const char *data = NULL, *out = NULL, *stats = NULL, *names = NULL, *config = NULL;
    int bad = 0;
    bad |= push(&tr, "train");
    bad |= push(&im, "importance");
    bad |= push(&bu, "bundle");

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            run_help();
            return NB_EXIT_OK;
        }
        if (is_one_of(a, all_flags)) {
            bool quiet = !strcmp(a, "--quiet") || !strcmp(a, "-q");
            nb_log_set_level(quiet ? NB_LOG_QUIET : NB_LOG_VERBOSE); /* run's own lines too */
            bad |= push(&tr, a) | push(&im, a) | push(&bu, a);
            continue;
        }
        bool takes = !strcmp(a, "--data") || !strcmp(a, "--class-names") || !strcmp(a, "-o") ||
                     !strcmp(a, "--output") || !strcmp(a, "--stats") || is_one_of(a, train_opts) ||
                     is_one_of(a, proc_opts) || is_one_of(a, all_opts);
        if (!takes)
            return nb_cli_usage_error("run", "unknown option '%s'", a);
        if (i + 1 >= argc)
            return nb_cli_usage_error("run", "option %s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--config"))
            config = v; /* also passed on below: an input that no output may overwrite */
        if (!strcmp(a, "--data"))
            data = v;
        else if (!strcmp(a, "--class-names"))
            names = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
            out = v;
        else if (!strcmp(a, "--stats"))
            stats = v;
        else if (is_one_of(a, train_opts))
            bad |= push(&tr, a) | push(&tr, v);
        else if (is_one_of(a, proc_opts))
            bad |= push(&im, a) | push(&im, v) | push(&bu, a) | push(&bu, v);
        else
            bad |= push(&tr, a) | push(&tr, v) | push(&im, a) | push(&im, v) | push(&bu, a) |
                   push(&bu, v);
    }
    if (!out)
        return nb_cli_usage_error("run", "missing output file (-o FILE.nnb.h5)");
    if (!data)
        data = NB_IDX_DEFAULT_DIR;
    bad |= push(&tr, "--data") | push(&tr, data) | push(&tr, "-o") | push(&tr, WORK);
    bad |= push(&im, WORK) | push(&im, "--data") | push(&im, data);
    bad |= push(&bu, WORK);
    if (names)
        bad |= push(&tr, "--class-names") | push(&tr, names) | push(&im, "--class-names") |
               push(&im, names);
    if (stats)
        bad |= push(&bu, "--stats") | push(&bu, stats);
    if (bad)
        return nb_cli_usage_error("run", "too many options");

    return run_stages(out, stats, data, names, config, &tr, &im, &bu);
}
