/* onnx_run.c - runs an ONNX model through nnbundle's importer and forward pass (test tool).
 *
 * DESIGN: `onnx_run [--chain] MODEL IN.f32 N OUT.f32` reads N inputs (float32, little-endian,
 * [N][in_c*in_h*in_w]) and writes N outputs. Default: nb_import_onnx (the whole importer,
 * graph view included) and nb_layers_forward, output = logits (pre-softmax) [N][C].
 * --chain: nb_import_onnx_ex with chain_only (operators and shapes, any chain) and the
 * operators applied one by one with nb_layers_op_forward (a final Softmax applied), output
 * [N][out_c*out_h*out_w]. Prints "in C H W out C H W ops K" on stdout. Exit 0 ok, 3 when the
 * importer refuses the model (its message on stderr), 1 on any other failure, 2 usage.
 * Used by tests/onnx_testdata.py (libonnx-testdata operator tests) and
 * examples/compare_onnx.py (PyTorch agreement); not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_import.h"
#include "nb_layers.h"

static float *read_floats(const char *path, size_t count) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    float *v = malloc((count ? count : 1) * sizeof *v);
    size_t got = v ? fread(v, sizeof *v, count, f) : 0;
    int extra = fgetc(f);
    fclose(f);
    if (!v || got != count || extra != EOF) {
        fprintf(stderr, "onnx_run: %s does not hold exactly %zu float32 values\n", path, count);
        free(v);
        return NULL;
    }
    return v;
}

int main(int argc, char **argv) {
    int a = 1;
    const bool chain = argc > 1 && !strcmp(argv[1], "--chain");
    a += chain;
    if (argc - a != 4) {
        fprintf(stderr, "usage: onnx_run [--chain] MODEL IN.f32 N OUT.f32\n");
        return 2;
    }
    const char *model = argv[a], *in_path = argv[a + 1], *out_path = argv[a + 3];
    char *end = NULL;
    const size_t n = (size_t)strtoul(argv[a + 2], &end, 10);
    if (!end || *end || n == 0) {
        fprintf(stderr, "onnx_run: N '%s' is not a positive count\n", argv[a + 2]);
        return 2;
    }
    nb_network net;
    const nb_import_onnx_options opt = {.chain_only = chain};
    nb_status s = nb_import_onnx_ex(model, &opt, &net);
    if (s != NB_OK) {
        nb_error_print("onnx_run", s);
        return 3;
    }
    const size_t in_count = net.in_c * net.in_h * net.in_w;
    size_t oc = net.in_c, oh = net.in_h, ow = net.in_w;
    if (net.n_ops) {
        const nb_op *last = &net.ops[net.n_ops - 1];
        oc = last->out_c, oh = last->out_h, ow = last->out_w;
    }
    if (!chain)
        oc = net.n_classes, oh = ow = 1;
    size_t max_count = in_count;
    for (size_t i = 0; i < net.n_ops; i++) {
        const nb_op *op = &net.ops[i];
        const size_t c = op->out_c * op->out_h * op->out_w;
        max_count = c > max_count ? c : max_count;
    }
    printf("in %zu %zu %zu out %zu %zu %zu ops %zu\n", net.in_c, net.in_h, net.in_w, oc, oh, ow,
           net.n_ops);
    float *x = read_floats(in_path, n * in_count);
    float *buf[2] = {malloc(n * max_count * sizeof(float)), malloc(n * max_count * sizeof(float))};
    int rc = 1;
    if (!x || !buf[0] || !buf[1])
        goto done;
    const float *y = x;
    if (!chain) {
        s = nb_layers_forward(&net, x, n, buf[0], NULL);
        y = buf[0];
    } else {
        memcpy(buf[0], x, n * in_count * sizeof(float));
        y = buf[0];
        for (size_t i = 0; s == NB_OK && i < net.n_ops; i++) {
            s = nb_layers_op_forward(&net.ops[i], y, n, buf[(i + 1) % 2]);
            y = buf[(i + 1) % 2];
        }
    }
    if (s != NB_OK) {
        nb_error_print("onnx_run", s);
        goto done;
    }
    FILE *f = fopen(out_path, "wb");
    if (!f || fwrite(y, sizeof(float), n * oc * oh * ow, f) != n * oc * oh * ow) {
        fprintf(stderr, "onnx_run: cannot write %s\n", out_path);
        if (f)
            fclose(f);
        goto done;
    }
    rc = fclose(f) == 0 ? 0 : 1;
done:
    free(x);
    free(buf[0]);
    free(buf[1]);
    nb_network_deinit(&net);
    return rc;
}
