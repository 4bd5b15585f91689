/* cli_bundle.c - `nnbundle bundle` (not written yet: a later commit replaces this file). */
#include <stdio.h>

#include "cli.h"

int nb_cli_bundle(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "nnbundle bundle: not implemented yet\n");
    return NB_EXIT_FAILURE;
}
