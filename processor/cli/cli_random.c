/* cli_random.c - `nnbundle random`: a network with seeded random weights and importance.
 *
 * DESIGN: builds a network of the given layer sizes with Glorot-uniform weights and small
 * random biases (nb_random_network_init), random per-class importance of method.md §2.7
 * (nb_importance_random), and writes both groups with nb_h5_save (temporary file + rename).
 * For demos, tests and benchmarks of the bundling and rendering stages without training.
 * Deterministic for a seed. Reads no config keys.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nb_file.h"
#include "nb_h5.h"
#include "nb_importance.h"
#include "nb_input.h"
#include "nb_log.h"
#include "nb_random.h"

#define RANDOM_MAX_LAYERS 64
/* Refuse shapes the file cannot hold before allocating: NB_H5_MAX_ELEMENTS (2^30) weights in
 * total, 4 GiB of float32 (docs/file_format.md); the memory limit (nb_input.h) is checked
 * for the network and its importance together. */
#define RANDOM_MAX_EDGES NB_H5_MAX_ELEMENTS

static void random_help(void) {
    printf("usage: nnbundle random [--layers N0,N1,...] -o FILE.nnb.h5 [--seed N]\n\n"
           "Writes a network with seeded random weights and random per-class importance to\n"
           "FILE (groups /network and /importance), ready for `nnbundle bundle`: for demos\n"
           "and benchmarks without training. Weights are Glorot-uniform, U(-a, a) with\n"
           "a = sqrt(6 / (n_in + n_out)); biases U(-%.1f, %.1f). Importance: for each\n"
           "non-output node one random class gets max(u1, u2), the others min(u1, u2)^2\n"
           "(docs/method.md §2.7); the output layer is one-hot; edge alpha = |w| / max |w|.\n"
           "If FILE exists it is replaced.\n\n"
           "options:\n"
           "  --layers N0,N1,...  every layer's node count, input first, output (= classes)\n"
           "                      last; 2 to %d layers (default 784,81,49,10)\n"
           "  -o, --output FILE   output .nnb.h5 file (required)\n"
           "  --seed N            seed of every random draw (default 1)\n"
           "  --quiet, --verbose\n\n"
           "example:\n"
           "  nnbundle random --layers 784,81,49,10 -o random.nnb.h5 --seed 1\n"
           "  nnbundle bundle random.nnb.h5\n",
           (double)NB_RANDOM_BIAS_RANGE, (double)NB_RANDOM_BIAS_RANGE, RANDOM_MAX_LAYERS);
}

int nb_cli_random(int argc, char **argv) {
    nb_cli_common common = {0};
    size_t sizes[RANDOM_MAX_LAYERS] = {784, 81, 49, 10};
    size_t n_layers = 4;
    const char *out = NULL;
    long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            random_help();
            return NB_EXIT_OK;
        }
        int c = nb_cli_common_parse(&common, argc, argv, &i);
        if (c < 0)
            return nb_cli_usage_error("random", "bad value for %s", a);
        if (c > 0) {
            if (!strcmp(a, "--config") || !strcmp(a, "--set"))
                return nb_cli_usage_error("random", "%s does not apply here", a);
            continue;
        }
        const bool takes = !strcmp(a, "--layers") || !strcmp(a, "-o") || !strcmp(a, "--output") ||
                           !strcmp(a, "--seed");
        if (!takes && a[0] != '-')
            return nb_cli_usage_error("random", "unexpected argument '%s'", a);
        if (!takes)
            return nb_cli_usage_error("random", "unknown option '%s'", a);
        if (i + 1 >= argc)
            return nb_cli_usage_error("random", "option %s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--layers")) {
            if (!nb_cli_parse_sizes(v, sizes, RANDOM_MAX_LAYERS, &n_layers) || n_layers < 2)
                return nb_cli_usage_error("random",
                                          "--layers: '%s' is not a comma list of 2 to %d "
                                          "positive layer sizes (e.g. 784,81,49,10)",
                                          v, RANDOM_MAX_LAYERS);
        } else if (!strcmp(a, "--seed")) {
            if (!nb_cli_parse_int(v, 0, 2147483647L, &seed))
                return nb_cli_usage_error("random", "--seed: '%s' is not in 0..2147483647", v);
        } else {
            out = v;
        }
    }
    if (!out)
        return nb_cli_usage_error("random", "missing output file (-o FILE.nnb.h5)");
    size_t edges = 0;
    for (size_t l = 0; l + 1 < n_layers; l++) {
        if (sizes[l] > RANDOM_MAX_EDGES / sizes[l + 1] ||
            edges + sizes[l] * sizes[l + 1] > RANDOM_MAX_EDGES)
            return nb_cli_usage_error("random",
                                      "--layers: more than %zu weights (the file format's "
                                      "limit, NB_H5_MAX_ELEMENTS)",
                                      RANDOM_MAX_EDGES);
        edges += sizes[l] * sizes[l + 1];
    }
    nb_cli_common_apply(&common);
    /* what nb_random_network_init and nb_importance_random will hold: the weights and biases,
     * and the importance of every edge and of every node for every class (float32) */
    size_t nodes = 0;
    for (size_t l = 0; l < n_layers; l++)
        nodes += sizes[l];
    size_t values = 2 * edges + nodes + nb_input_mul(nodes, sizes[n_layers - 1]);
    nb_status lim = nb_input_check(nb_input_mul(values, sizeof(float)), "random --layers",
                                   "the network and its importance");
    if (lim != NB_OK)
        return nb_cli_fail(lim);

    const nb_file_arg outs[] = {{out, "-o"}};
    nb_status s = nb_file_check_outputs(outs, 1, NULL, 0);
    nb_file_lock lock = {0};
    if (s == NB_OK)
        s = nb_file_lock_acquire(&lock, out);
    if (s != NB_OK)
        return nb_cli_fail(s);
    nb_model model = {0};
    s = nb_random_network_init(&model.network, n_layers, sizes, (uint64_t)seed);
    if (s != NB_OK) {
        nb_file_lock_release(&lock);
        return nb_cli_fail(s);
    }
    model.has_network = true;
    s = nb_importance_random(&model.network, (uint64_t)seed, &model.importance);
    if (s != NB_OK) {
        nb_model_deinit(&model);
        nb_file_lock_release(&lock);
        return nb_cli_fail(s);
    }
    model.has_importance = true;
    s = nb_h5_save(out, &model);
    nb_file_lock_release(&lock);
    nb_model_deinit(&model);
    if (s != NB_OK)
        return nb_cli_fail(s);
    nb_log_info("wrote %s: %zu layers, %zu edges, seed %ld", out, n_layers, edges, seed);
    return NB_EXIT_OK;
}
