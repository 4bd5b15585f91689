/* cli_import.c - `nnbundle import`: a model trained elsewhere (ONNX, Keras HDF5) to .nnb.h5.
 *
 * DESIGN: nb_import_model reads the model into an nb_network with an operator chain and its
 * graph view (processor/import); optional class names come from a text file, one per line;
 * the network is written with nb_h5_save, which writes a temporary file and renames it over
 * the target, so a failed import leaves no file and never a half-written one. An existing
 * output is kept unless --force is given. Reads no config keys. docs/import.md.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "nb_h5.h"
#include "nb_import.h"
#include "nb_log.h"

#define IMPORT_MAX_NAME_LINE 4096

static void import_help(void) {
    printf("usage: nnbundle import MODEL -o FILE.nnb.h5 [--format auto|onnx|keras]\n"
           "                       [--class-names FILE] [--force]\n\n"
           "Reads a network trained elsewhere and writes its /network group (the operator\n"
           "chain, its weights and the node/edge graph view) to FILE, ready for\n"
           "`nnbundle importance` and `nnbundle bundle`.\n\n"
           "  ONNX (torch.onnx.export, tf2onnx, ...): the graph must be a chain from one\n"
           "  input [N,features] or [N,C,H,W] (N symbolic or a number) to one output, of\n"
           "  Gemm, MatMul (+ Add bias), Conv (group 1), MaxPool, AveragePool (ceil_mode 0),\n"
           "  GlobalAveragePool, Flatten (axis 1), Reshape to [N,-1], BatchNormalization,\n"
           "  Dropout, Identity, Relu, LeakyRelu, Sigmoid, Tanh, Gelu (and torch's\n"
           "  Div-Erf-Add-Mul-Mul form of it), Softmax (last); weights are initializers or\n"
           "  Constant nodes. The last dense layer's outputs are the classes.\n"
           "  Keras: an HDF5 file written by model.save(\"model.h5\").\n"
           "Anything else is refused with a message naming the node (or layer) and the\n"
           "operator or attribute. See docs/import.md.\n\n"
           "options:\n"
           "  -o, --output FILE    output .nnb.h5 file (required); an existing FILE is kept\n"
           "                       unless --force is given\n"
           "  --format F           auto (default: HDF5 signature -> keras, else onnx),\n"
           "                       onnx or keras\n"
           "  --class-names FILE   class names, one per line in class order, as many as the\n"
           "                       model has outputs (default \"0\"..\"C-1\")\n"
           "  --force              replace an existing output file\n"
           "  --quiet, --verbose\n\n"
           "example:\n"
           "  python3 examples/export_onnx.py --out models   # PyTorch -> ONNX\n"
           "  nnbundle import models/cnn.onnx -o cnn.nnb.h5 --class-names classes.txt\n"
           "  nnbundle info cnn.nnb.h5\n");
}

/* Reads one name per line (trailing blanks and CR dropped; blank lines skipped) into the
 * network's class names. NB_E_IO, NB_E_MISMATCH (count), NB_E_FORMAT (a too long line). */
static nb_status read_class_names(const char *path, nb_network *net) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NB_RAISE(NB_E_IO, path, "cannot open the class names file");
    char line[IMPORT_MAX_NAME_LINE];
    size_t n = 0, lineno = 0;
    nb_status s = NB_OK;
    while (s == NB_OK && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            s = NB_RAISE(NB_E_FORMAT, path, "line %zu is longer than %d bytes", lineno,
                         IMPORT_MAX_NAME_LINE - 2);
            break;
        }
        while (len > 0 && isspace((unsigned char)line[len - 1]))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (n < net->n_classes)
            s = nb_network_set_class_name(net, n, line);
        n++;
    }
    if (s == NB_OK && ferror(f))
        s = NB_RAISE(NB_E_IO, path, "read error");
    fclose(f);
    if (s == NB_OK && n != net->n_classes)
        s = NB_RAISE(NB_E_MISMATCH, path, "has %zu class names, the model has %zu classes", n,
                     net->n_classes);
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

    nb_model model = {0};
    nb_status s = nb_import_model(model_path, format, &model.network);
    if (s != NB_OK)
        return nb_cli_fail(s);
    model.has_network = true;
    if (names)
        s = read_class_names(names, &model.network);
    if (s == NB_OK)
        s = nb_h5_save(out, &model);
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
