/* cli_run.c - `nnbundle run` (not written yet: a later commit replaces this file). */
#include <stdio.h>

#include "cli.h"

int nb_cli_run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "nnbundle run: not implemented yet\n");
    return NB_EXIT_FAILURE;
}
