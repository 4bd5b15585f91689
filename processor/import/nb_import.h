/* nb_import.h - networks trained elsewhere, read into an nb_network with operators.
 *
 * ONNX (onnx.proto, parsed with protobuf-c) and Keras HDF5 (model.save(...h5)). The result has
 * source "import", dataset = the model path, the operator chain, its inferred shapes and the
 * graph view (nb_graph_build). Refusals name the file and the graph node / layer and reason:
 * an unsupported operator or attribute, a graph that is not a chain, a missing initializer,
 * shapes that do not fit, NaN or infinite weights, a truncated or malformed file.
 * Source: docs/models.md.
 */
#ifndef NB_IMPORT_H
#define NB_IMPORT_H

#include "nb_model.h"
#include "nb_status.h"

typedef enum nb_import_format {
    NB_IMPORT_AUTO = 0, /* from the content: HDF5 signature -> Keras, else ONNX */
    NB_IMPORT_ONNX,
    NB_IMPORT_KERAS,
} nb_import_format;

/* Reads `path` into *net (zeroed on failure). NB_OK, NB_E_IO (unreadable), NB_E_FORMAT
 * (malformed, truncated), NB_E_UNSUPPORTED (operator/attribute/topology outside the supported
 * set), NB_E_MISMATCH (shapes), NB_E_NUMERIC (NaN/inf weights), NB_E_NOMEM. */
nb_status nb_import_model(const char *path, nb_import_format format, nb_network *net);

/* The two readers behind nb_import_model (same contract). */
nb_status nb_import_onnx(const char *path, nb_network *net);
nb_status nb_import_keras(const char *path, nb_network *net);

#endif /* NB_IMPORT_H */
