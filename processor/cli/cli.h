/* cli.h - the nnbundle subcommands and the option handling they share.
 *
 * Each subcommand lives in processor/cli/cli_<name>.c and returns the process exit code:
 * 0 success, 1 failure (an nb_status error, printed as "nnbundle: [subject] reason (NB_E_X)"),
 * 2 usage error (message plus a hint to --help).
 */
#ifndef NB_CLI_H
#define NB_CLI_H

#include <stdbool.h>

#include "nb_config.h"
#include "nb_idx.h"
#include "nb_model.h"
#include "nb_status.h"

enum { NB_EXIT_OK = 0, NB_EXIT_FAILURE = 1, NB_EXIT_USAGE = 2 };

int nb_cli_train(int argc, char **argv);
int nb_cli_random(int argc, char **argv);
int nb_cli_importance(int argc, char **argv);
int nb_cli_bundle(int argc, char **argv);
int nb_cli_run(int argc, char **argv);
int nb_cli_evaluate(int argc, char **argv);
int nb_cli_info(int argc, char **argv);
int nb_cli_import(int argc, char **argv);

/* Options every subcommand accepts. */
typedef struct nb_cli_common {
    int threads;          /* --threads N (0 = all cores) */
    bool quiet;           /* --quiet */
    bool verbose;         /* --verbose */
    const char *config;   /* --config FILE (processing.json) */
    const char *sets[64]; /* --set key=value, in order */
    int n_sets;
} nb_cli_common;

/* If argv[*i] is a common option, consumes it (and its value) and returns 1; returns 0 if not
 * a common option; returns -1 after printing a usage error (missing value). */
int nb_cli_common_parse(nb_cli_common *c, int argc, char **argv, int *i);

/* Applies --quiet/--verbose and --threads (OpenMP and OpenBLAS thread counts). */
void nb_cli_common_apply(const nb_cli_common *c);

/* Builds the processing config: defaults, then --config FILE (or configs/processing.json is
 * NOT read implicitly: defaults are the shipped file's values), then each --set, then
 * validation. Returns NB_OK or NB_E_CONFIG/NB_E_IO with the error recorded. */
nb_status nb_cli_processing_config(const nb_cli_common *c, nb_processing_config *cfg);

/* Prints the recorded error for s and returns NB_EXIT_FAILURE (or NB_EXIT_OK for NB_OK). */
int nb_cli_fail(nb_status s);

/* Prints "nnbundle <cmd>: <msg>" and "Try 'nnbundle <cmd> --help'." and returns
 * NB_EXIT_USAGE. */
int nb_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The data options of the commands that read a data set (train, importance, evaluate, run):
 * --data DIR (IDX, NumPy or ImageFolder layout, docs/data.md) and --class-names FILE. */
typedef struct nb_cli_data {
    const char *dir;         /* --data DIR; NULL = not given (the command's default) */
    const char *class_names; /* --class-names FILE; NULL = the layout's own names */
} nb_cli_data;

/* If argv[*i] is --data or --class-names, consumes it and its value and returns 1; 0 if not
 * one of them; -1 after printing a usage error for `cmd` (missing value). */
int nb_cli_data_parse(nb_cli_data *d, const char *cmd, int argc, char **argv, int *i);

/* Loads one split of `dir` in any layout with nb_data_load (max_n > 0 keeps the first max_n
 * images; class_names may be NULL). Statuses of nb_data_load; *ds zeroed on failure. */
nb_status nb_cli_load_data(const char *dir, const char *class_names, nb_idx_split split,
                           size_t max_n, nb_dataset *ds);

/* Checks that ds fits net: images of the input's size (for a network with operators whose
 * input is an image, channels x rows x cols must equal in_c x in_h x in_w; otherwise the
 * pixel count must equal the input layer's node count), and labels < the output node count
 * (exact_classes: the label count must equal it). NB_OK or NB_E_MISMATCH with subject
 * "<dir> (<what>)" naming the network file `path`. */
nb_status nb_cli_check_data(const nb_dataset *ds, const char *what, const nb_network *net,
                            bool exact_classes, const char *dir, const char *path);

/* Gives net the data set's class names when the network still has the default names
 * "0".."C-1" and the counts agree. *changed (may be NULL) says whether it did. NB_OK or
 * NB_E_NOMEM. */
nb_status nb_cli_adopt_class_names(nb_network *net, const nb_dataset *ds, bool *changed);

/* Parses a positive int / a double / a comma list of sizes ("81,49"); returns false on junk. */
bool nb_cli_parse_int(const char *s, long min, long max, long *out);
bool nb_cli_parse_double(const char *s, double *out);
bool nb_cli_parse_sizes(const char *s, size_t *out, size_t max_n, size_t *n_out);

#endif /* NB_CLI_H */
