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

/* Parses a positive int / a double / a comma list of sizes ("81,49"); returns false on junk. */
bool nb_cli_parse_int(const char *s, long min, long max, long *out);
bool nb_cli_parse_double(const char *s, double *out);
bool nb_cli_parse_sizes(const char *s, size_t *out, size_t max_n, size_t *n_out);

#endif /* NB_CLI_H */
