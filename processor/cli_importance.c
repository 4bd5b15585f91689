/* cli_importance.c - `nnbundle importance` (not written yet: a later commit replaces this file). */
#include <stdio.h>

#include "cli.h"

int nb_cli_importance(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "nnbundle importance: not implemented yet\n");
    return NB_EXIT_FAILURE;
}
