/* nb_keras.c - placeholder until the keras reader lands (issue 12); refuses every model. */
#include <string.h>

#include "nb_import.h"

nb_status nb_import_keras(const char *path, nb_network *net) {
    memset(net, 0, sizeof *net);
    return NB_RAISE(NB_E_UNSUPPORTED, path, "the keras reader is not built yet");
}
