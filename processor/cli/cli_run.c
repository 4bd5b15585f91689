/* cli_run.c - `nnbundle run`: train, importance and bundle in one command.
 *
 * DESIGN: runs the three stage commands in pipeline order (train -> importance -> bundle) on
 * one output file, routing each option to the stage that owns it: training options to
 * `train`, --config/--set to `importance` and `bundle`, --threads/--quiet/--verbose to all.
 * Each stage writes the file atomically, so an interrupted run leaves the last complete
 * stage's file. Reads the processing config keys through the stages it calls.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
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

int nb_cli_run(int argc, char **argv) {
    static const char *const train_opts[] = {"--layers",    "--epochs",   "--batch",
                                             "--lr",        "--l1",       "--seed",
                                             "--max-train", "--max-test", NULL};
    static const char *const proc_opts[] = {"--config", "--set", NULL};
    static const char *const all_opts[] = {"--threads", NULL};
    static const char *const all_flags[] = {"--quiet", "-q", "--verbose", "-v", NULL};
    run_argv tr = {.n = 0}, im = {.n = 0}, bu = {.n = 0};
    const char *data = NULL, *out = NULL, *stats = NULL, *names = NULL;
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
    bad |= push(&tr, "--data") | push(&tr, data) | push(&tr, "-o") | push(&tr, out);
    bad |= push(&im, out) | push(&im, "--data") | push(&im, data);
    bad |= push(&bu, out);
    if (names)
        bad |= push(&tr, "--class-names") | push(&tr, names) | push(&im, "--class-names") |
               push(&im, names);
    if (stats)
        bad |= push(&bu, "--stats") | push(&bu, stats);
    if (bad)
        return nb_cli_usage_error("run", "too many options");

    nb_log_info("== nnbundle run: 1/3 train ==");
    int rc = nb_cli_train(tr.n, tr.v);
    if (rc != NB_EXIT_OK)
        return rc;
    nb_log_info("== nnbundle run: 2/3 importance ==");
    rc = nb_cli_importance(im.n, im.v);
    if (rc != NB_EXIT_OK)
        return rc;
    nb_log_info("== nnbundle run: 3/3 bundle ==");
    return nb_cli_bundle(bu.n, bu.v);
}
