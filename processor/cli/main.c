/* main.c - the nnbundle command line: dispatches to one subcommand per pipeline stage.
 *
 * DESIGN: `nnbundle <command> [options]`; each command is processor/cli/cli_<command>.c and
 * returns the exit code (0 ok, 1 error, 2 usage). Data flows train -> importance -> bundle
 * into one .nnb.h5 file; `run` does all three. No graphics library is linked here.
 * Under an MPI launcher with several ranks only `bundle` of an MPI build (NB_MPI) runs
 * (docs/distributed.md); any other command would run K times and write its output K times.
 */
#include <hdf5.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct nb_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} nb_command;

static const nb_command commands[] = {
    {"train", nb_cli_train, "train a dense ReLU network on an IDX data set"},
    {"random", nb_cli_random, "make a network with seeded random weights and importance"},
    {"importance", nb_cli_importance, "estimate per-class node and edge importance"},
    {"bundle", nb_cli_bundle, "lay out, prune and bundle the edges"},
    {"import", nb_cli_import, "read an ONNX or Keras model trained elsewhere"},
    {"run", nb_cli_run, "train, importance and bundle in one go"},
    {"evaluate", nb_cli_evaluate, "pruning curves that test the importance (CSV + plots)"},
    {"info", nb_cli_info, "describe a .nnb.h5 file"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: nnbundle <command> [options]\n\n"
               "nnbundle makes trained neural networks readable in 3D: it estimates how\n"
               "important every node and edge is for every class, prunes, lays the layers out\n"
               "as planes and bundles the edges by kernel-density advection into one .nnb.h5\n"
               "file, which nnbundle-render draws.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'nnbundle <command> --help' shows a command's options.\n"
               "Common options: --threads N, --quiet, --verbose, --config FILE, --set key=value,\n"
               "  --max-memory BYTES (limit on what a file or an option may make nnbundle\n"
               "  allocate; default 8G, also NB_MAX_MEMORY; docs/data.md)\n");
}

/* Ranks of the MPI job that started this process, from the launcher's environment
 * (OMPI_COMM_WORLD_SIZE of Open MPI's mpirun, PMI_SIZE of PMI launchers); 1 when none. */
static long launched_ranks(void) {
    const char *v = getenv("OMPI_COMM_WORLD_SIZE");
    if (!v)
        v = getenv("PMI_SIZE");
    long n = v ? strtol(v, NULL, 10) : 1;
    return n > 1 ? n : 1;
}

int main(int argc, char **argv) {
    /* HDF5's own atexit handler reports "infinite loop closing library" after a corrupt file
     * failed to close; our errors already said what was wrong, so skip that handler. */
    H5dont_atexit();
    if (argc < 2) {
        usage(stderr);
        return NB_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return NB_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
#ifdef NB_MPI
        printf("nnbundle %s (MPI)\n", NB_VERSION); /* `mpirun -n K nnbundle bundle` splits */
#else
        printf("nnbundle %s\n", NB_VERSION);
#endif
        return NB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name))
            continue;
#ifdef NB_MPI
        const bool distributed = commands[i].run == nb_cli_bundle;
#else
        const bool distributed = false;
#endif
        if (launched_ranks() > 1 && !distributed) {
            fprintf(stderr,
                    "nnbundle: [%s] started as one of %ld MPI ranks, but %s; each rank would "
                    "do the whole work and write the same output (NB_E_INVALID)\n",
                    argv[1], launched_ranks(),
#ifdef NB_MPI
                    "only `nnbundle bundle` runs distributed"
#else
                    "this nnbundle was built without MPI (cmake -DNB_MPI=ON, "
                    "docs/distributed.md)"
#endif
            );
            return NB_EXIT_FAILURE;
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "nnbundle: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return NB_EXIT_USAGE;
}
