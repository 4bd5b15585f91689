/* cli_random.c - `nnbundle random` (not written yet: a later commit replaces this file). */
#include <stdio.h>

#include "cli.h"

int nb_cli_random(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "nnbundle random: not implemented yet\n");
    return NB_EXIT_FAILURE;
}
