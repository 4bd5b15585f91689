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

#include <stdbool.h>

#include "nb_model.h"
#include "nb_status.h"

typedef enum nb_import_format {
    NB_IMPORT_AUTO = 0, /* from the content: HDF5 signature -> Keras, else ONNX */
    NB_IMPORT_ONNX,
    NB_IMPORT_KERAS,
} nb_import_format;

/* Reads `path` into *net (zeroed on failure). NB_OK, NB_E_IO (unreadable), NB_E_FORMAT
 * (malformed, truncated), NB_E_UNSUPPORTED (operator/attribute/topology outside the supported
 * set), NB_E_MISSING (a weight that is neither an initializer nor a Constant, an input
 * without a shape), NB_E_MISMATCH (shapes), NB_E_NUMERIC (NaN/inf weights), NB_E_NOMEM.
 * Error subjects: "<path>", "<path> node '<name>' (<OpType>)" (node #<index> when the node
 * has no name), "<path> input '<name>'", "<path> output '<name>'", "<path> tensor '<name>'".
 * Class names are "0".."C-1" (C = the last dense layer's outputs); activation = the chain's
 * activation kinds in order of first appearance ("relu", "gelu,leaky_relu", "none"). Not
 * thread-safe for the same *net; independent calls may run in parallel. */
nb_status nb_import_model(const char *path, nb_import_format format, nb_network *net);

/* The two readers behind nb_import_model (same contract). */
nb_status nb_import_onnx(const char *path, nb_network *net);
nb_status nb_import_keras(const char *path, nb_network *net);

/* Options of nb_import_onnx_ex; all-zero = nb_import_onnx. */
typedef struct nb_import_onnx_options {
    /* true: the operators and their shapes only (net->in_c/in_h/in_w, n_ops, ops); no class
     * count, class names, provenance or graph view (nb_graph_build is not called), so a
     * chain without a dense layer (a lone Relu, a Conv) is accepted and n_ops may be 0 (an
     * Identity graph). For operator tests (tests/onnx_testdata.py). */
    bool chain_only;
} nb_import_onnx_options;

/* nb_import_onnx with options (opt may be NULL). Same statuses and subjects. */
nb_status nb_import_onnx_ex(const char *path, const nb_import_onnx_options *opt, nb_network *net);

#endif /* NB_IMPORT_H */
