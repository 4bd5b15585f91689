/* nb_graph.c - placeholder: the coordinator lands the real file shortly (issue 12). */
#include "nb_graph.h"

#include <stdint.h>

nb_status nb_graph_infer_shapes(nb_network *net) {
    (void)net;
    return NB_RAISE(NB_E_UNSUPPORTED, "network", "operator chains are not built yet");
}
size_t nb_graph_node_layers(const nb_network *net, size_t *layer_size) {
    (void)net;
    (void)layer_size;
    return 0;
}
size_t nb_graph_layer_op(const nb_network *net, size_t layer) {
    (void)net;
    (void)layer;
    return SIZE_MAX;
}
nb_status nb_graph_build(nb_network *net) {
    return nb_graph_infer_shapes(net);
}
size_t nb_graph_op_macs(const nb_op *op) {
    (void)op;
    return 0;
}
size_t nb_graph_op_params(const nb_op *op) {
    (void)op;
    return 0;
}
