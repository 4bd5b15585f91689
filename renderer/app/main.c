/* main.c - nnbundle-render: draws a bundled .nnb.h5 network in a window or into PNG files.
 *
 * DESIGN: everything lives in nb_app (state, loop, batch modes) so the GUI and the tests reach
 * the same code; main only forwards argv. See nb_options.h for the command line.
 */
#include "nb_app.h"

int main(int argc, char **argv) {
    return nb_app_main(argc, argv);
}
