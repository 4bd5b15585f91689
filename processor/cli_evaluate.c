/* cli_evaluate.c - `nnbundle evaluate` (not written yet: a later commit replaces this file). */
#include <stdio.h>

#include "cli.h"

int nb_cli_evaluate(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "nnbundle evaluate: not implemented yet\n");
    return NB_EXIT_FAILURE;
}
