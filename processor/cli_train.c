/* cli_train.c - `nnbundle train` (not written yet: a later commit replaces this file). */
#include <stdio.h>

#include "cli.h"

int nb_cli_train(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "nnbundle train: not implemented yet\n");
    return NB_EXIT_FAILURE;
}
