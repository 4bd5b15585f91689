/* cli_info.c - `nnbundle info` (not written yet: a later commit replaces this file). */
#include <stdio.h>

#include "cli.h"

int nb_cli_info(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "nnbundle info: not implemented yet\n");
    return NB_EXIT_FAILURE;
}
