/* nb_import.c - format detection and dispatch to the ONNX and Keras readers.
 *
 * DESIGN: an HDF5 file (Keras model.save(".h5")) starts with the HDF5 signature at offset 0
 * or, when it has a user block, at 512, 1024, 2048, ... (HDF5 File Format Specification,
 * "Format Signature"); anything else is taken to be ONNX (a protobuf has no signature).
 * An explicit format that contradicts the signature is refused with a hint, rather than
 * failing later with a parser's less helpful message. Reads no config keys.
 */
#include "nb_import.h"
#include "nb_input.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const unsigned char hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

/* Is there an HDF5 signature at 0, 512, 1024, ... (up to 64 KiB)? NB_E_IO if unreadable. */
static nb_status is_hdf5(const char *path, bool *hdf5) {
    if (access(path, F_OK) == 0) /* a FIFO would block fopen forever */
        NB_TRY(nb_input_check_file(path, NULL));
    FILE *f = fopen(path, "rb");
    if (!f)
        return NB_RAISE(NB_E_IO, path, "cannot open the model");
    *hdf5 = false;
    for (long off = 0; off <= 65536 && !*hdf5; off = off ? 2 * off : 512) {
        unsigned char head[8] = {0};
        if (fseek(f, off, SEEK_SET) != 0 || fread(head, 1, sizeof head, f) != sizeof head)
            break;
        *hdf5 = memcmp(head, hdf5_signature, sizeof head) == 0;
    }
    fclose(f);
    return NB_OK;
}

nb_status nb_import_model(const char *path, nb_import_format format, nb_network *net) {
    memset(net, 0, sizeof *net);
    bool hdf5 = false;
    NB_TRY(is_hdf5(path, &hdf5));
    if (format == NB_IMPORT_AUTO)
        format = hdf5 ? NB_IMPORT_KERAS : NB_IMPORT_ONNX;
    else if (format == NB_IMPORT_ONNX && hdf5)
        return NB_RAISE(NB_E_FORMAT, path,
                        "is an HDF5 file, not ONNX (a Keras model? use --format keras or auto)");
    return format == NB_IMPORT_KERAS ? nb_import_keras(path, net) : nb_import_onnx(path, net);
}
