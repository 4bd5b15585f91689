/* nb_import.c - format detection and dispatch to the ONNX and Keras readers. */
#include "nb_import.h"

#include <stdio.h>
#include <string.h>

static const unsigned char hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

nb_status nb_import_model(const char *path, nb_import_format format, nb_network *net) {
    memset(net, 0, sizeof *net);
    if (format == NB_IMPORT_AUTO) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return NB_RAISE(NB_E_IO, path, "cannot open the model");
        unsigned char head[8] = {0};
        size_t got = fread(head, 1, sizeof head, f);
        fclose(f);
        format = got == sizeof head && memcmp(head, hdf5_signature, sizeof head) == 0
                     ? NB_IMPORT_KERAS
                     : NB_IMPORT_ONNX;
    }
    return format == NB_IMPORT_KERAS ? nb_import_keras(path, net) : nb_import_onnx(path, net);
}
