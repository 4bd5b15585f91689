/* cli_import.c - `nnbundle import`: a model trained elsewhere (ONNX, Keras HDF5) to .nnb.h5.
 *
 * DESIGN: nb_import_model reads the model into an nb_network with an operator chain and its
 * graph view (processor/import); optional class names come from a text file, one per line;
 * the network is written with nb_h5_save, which writes a temporary file and renames it over
 * the target, so a failed import leaves no file and never a half-written one. An existing
 * output is kept unless --force is given. Reads no config keys. docs/import.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "nb_data.h"
#include "nb_file.h"
#include "nb_h5.h"
#include "nb_import.h"
#include "nb_log.h"

static void import_help(void) {
    printf("usage: nnbundle import MODEL -o FILE.nnb.h5 [--format auto|onnx|keras]\n"
           "                       [--class-names FILE] [--force]\n\n"
           "Reads a network trained elsewhere and writes its /network group (the operator\n"
           "chain, its weights and the node/edge graph view) to FILE, ready for\n"
           "`nnbundle importance` and `nnbundle bundle`.\n\n"
           "  ONNX (torch.onnx.export, tf2onnx, ...): the graph must be a chain from one\n"
           "  input [N,features], [N,C,L] or [N,C,H,W] (N symbolic or a number) to one\n"
           "  output, of Gemm, MatMul (+ Add bias), Conv (1-D/2-D, group 1), MaxPool,\n"
           "  AveragePool, GlobalAveragePool, Flatten (axis 1), Reshape to [N,-1] (also\n"
           "  computed from Shape, as x.view(x.size(0), -1) exports), BatchNormalization,\n"
           "  Dropout, Identity, Relu, LeakyRelu, Sigmoid, Tanh, Gelu (and torch's\n"
           "  Div-Erf-Add-Mul-Mul form of it), Softmax (last), Pad (zeros, before a Conv or\n"
           "  AveragePool); weights are initializers or Constant nodes. The last dense\n"
           "  layer's outputs are the classes.\n"
           "  Keras: an HDF5 file written by model.save(\"model.h5\").\n"
           "Anything else is refused with a message naming the node (or layer) and the\n"
           "operator or attribute. See docs/import.md.\n\n"
           "options:\n"
           "  -o, --output FILE    output .nnb.h5 file (required); an existing FILE is kept\n"
           "                       unless --force is given\n"
           "  --format F           auto (default: HDF5 signature -> keras, else onnx),\n"
           "                       onnx or keras\n"
           "  --class-names FILE   class names, one per line in class order (docs/data.md),\n"
           "                       as many as the model has outputs (default \"0\"..\"C-1\")\n"
           "  --force              replace an existing output file\n"
           "  --quiet, --verbose\n\n"
           "example:\n"
           "  /usr/bin/python3 examples/export_onnx.py --out models   # PyTorch -> ONNX\n"
           "  nnbundle import models/cnn.onnx -o cnn.nnb.h5 --class-names classes.txt\n"
           "  nnbundle info cnn.nnb.h5\n");
}

/* Sets the network's class names from a names file (nb_data_read_class_names: one name per
 * line, as `--class-names` everywhere); the count must be the model's class count. */
static nb_status read_class_names(const char *path, nb_network *net) {
    char **names = NULL;
    size_t n = 0;
    NB_TRY(nb_data_read_class_names(path, &names, &n));
    nb_status s = NB_OK;
    if (n != net->n_classes)
        s = NB_RAISE(NB_E_MISMATCH, path, "has %zu class names, the model has %zu classes", n,
                     net->n_classes);
    for (size_t c = 0; s == NB_OK && c < n; c++)
        s = nb_network_set_class_name(net, c, names[c]);
    nb_data_free_names(names, n);
    return s;
}

int nb_cli_import(int argc, char **argv) {
    nb_cli_common common = {0};
    const char *model_path = NULL, *out = NULL, *names = NULL;
    nb_import_format format = NB_IMPORT_AUTO;
    bool force = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            import_help();
            return NB_EXIT_OK;
        }
        int c = nb_cli_common_parse(&common, argc, argv, &i);
        if (c < 0)
            return nb_cli_usage_error("import", "bad value for %s", a);
        if (c > 0) {
            if (!strcmp(a, "--config") || !strcmp(a, "--set"))
                return nb_cli_usage_error("import", "%s does not apply here", a);
            continue;
        }
        if (!strcmp(a, "--force")) {
            force = true;
            continue;
        }
        const bool takes = !strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--format") ||
                           !strcmp(a, "--class-names");
        if (!takes && a[0] == '-' && a[1] != '\0')
            return nb_cli_usage_error("import", "unknown option '%s'", a);
        if (!takes) {
            if (model_path)
                return nb_cli_usage_error("import", "unexpected argument '%s' (one MODEL only)", a);
            model_path = a;
            continue;
        }
        if (i + 1 >= argc)
            return nb_cli_usage_error("import", "option %s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--format")) {
            if (!strcmp(v, "auto"))
                format = NB_IMPORT_AUTO;
            else if (!strcmp(v, "onnx"))
                format = NB_IMPORT_ONNX;
            else if (!strcmp(v, "keras"))
                format = NB_IMPORT_KERAS;
            else
                return nb_cli_usage_error("import", "--format: '%s' is not auto, onnx or keras", v);
        } else if (!strcmp(a, "--class-names")) {
            names = v;
        } else {
            out = v;
        }
    }
    if (!model_path)
        return nb_cli_usage_error("import", "missing MODEL (an .onnx or Keras .h5 file)");
    if (!out)
        return nb_cli_usage_error("import", "missing output file (-o FILE.nnb.h5)");
    nb_cli_common_apply(&common);
    struct stat st;
    if (!force && stat(out, &st) == 0)
        return nb_cli_fail(
            NB_RAISE(NB_E_INVALID, out, "exists; use --force to replace it (it was kept)"));

    const nb_file_arg outs[] = {{out, "-o"}};
    const nb_file_arg ins[] = {{model_path, "MODEL"}, {names, "--class-names"}};
    nb_status s = nb_file_check_outputs(outs, 1, ins, 2);
    nb_file_lock lock = {0};
    if (s == NB_OK)
        s = nb_file_lock_acquire(&lock, out);
    if (s != NB_OK)
        return nb_cli_fail(s);
    nb_model model = {0};
    s = nb_import_model(model_path, format, &model.network);
    if (s != NB_OK) {
        nb_file_lock_release(&lock);
        return nb_cli_fail(s);
    }
    model.has_network = true;
    if (names)
        s = read_class_names(names, &model.network);
    if (s == NB_OK)
        s = nb_h5_save(out, &model);
    nb_file_lock_release(&lock);
    if (s == NB_OK) {
        const nb_network *n = &model.network;
        char layers[256] = "";
        size_t len = 0;
        for (size_t l = 0; l < n->n_layers && len < sizeof layers; l++)
            len += (size_t)snprintf(layers + len, sizeof layers - len, "%s%zu", l ? "," : "",
                                    n->layer_size[l]);
        nb_log_info("wrote %s: %zu operators on input %zux%zux%zu, node layers %s, %zu classes",
                    out, n->n_ops, n->in_c, n->in_h, n->in_w, layers, n->n_classes);
    }
    nb_model_deinit(&model);
    return nb_cli_fail(s);
}
