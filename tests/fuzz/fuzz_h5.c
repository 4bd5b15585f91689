/* fuzz_h5.c - libFuzzer target: arbitrary bytes loaded as a .nnb.h5 file.
 *
 * DESIGN: the input is written to a scratch file and read with nb_h5_load (common/nb_h5.c on
 * HDF5 1.10). Properties checked on every input:
 *   - a failing load returns a recorded status (NB_RAISE) and leaves the model zeroed;
 *   - a successful load gives a model that passes nb_model_validate, and that
 *     nb_h5_save writes and nb_h5_load reads back with the same groups, layer sizes,
 *     weights, and bundle sizes (the writer never produces a file the reader rejects).
 * HDF5 itself is not instrumented (Debian's libhdf5), so coverage guidance sees only our
 * reader; seeds (tests/fuzz/make_seeds.sh) are valid files from `nnbundle random`, `bundle`
 * and examples/import_pytorch.py. HDF5's file locking is switched off (HDF5_USE_FILE_LOCKING)
 * because the scratch file is rewritten for every input. Known HDF5 1.10 limit (docs/
 * file_format.md): after a corrupt file fails to close, HDF5 keeps a few hundred bytes and
 * prints "infinite loop closing library" at exit; run with
 * LSAN_OPTIONS=suppressions=tests/data/lsan_hdf5.supp. Single thread; reads no config keys.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "nb_h5.h"
#include "nb_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
    return 0;
}

static int zeroed(const nb_model *m) {
    static const nb_model zero = {0};
    return memcmp(m, &zero, sizeof *m) == 0;
}

static void check_same(const nb_model *a, const nb_model *b) {
    FUZZ_CHECK(a->has_network == b->has_network && a->has_importance == b->has_importance &&
                   a->has_bundle == b->has_bundle,
               "groups differ after save + load");
    const nb_network *na = &a->network, *nbk = &b->network;
    FUZZ_CHECK(na->n_layers == nbk->n_layers, "L %zu vs %zu", na->n_layers, nbk->n_layers);
    for (size_t l = 0; l < na->n_layers; l++)
        FUZZ_CHECK(na->layer_size[l] == nbk->layer_size[l], "layer %zu: %zu vs %zu", l,
                   na->layer_size[l], nbk->layer_size[l]);
    size_t nw = nb_network_n_edges(na);
    FUZZ_CHECK(memcmp(na->weights, nbk->weights, nw * sizeof(float)) == 0,
               "weights differ after save + load");
    for (size_t c = 0; c < na->n_classes; c++)
        FUZZ_CHECK(strcmp(na->class_names[c], nbk->class_names[c]) == 0, "class %zu: %s vs %s", c,
                   na->class_names[c], nbk->class_names[c]);
    if (a->has_bundle) {
        FUZZ_CHECK(a->bundle.n_edges == b->bundle.n_edges &&
                       a->bundle.n_points == b->bundle.n_points,
                   "bundle sizes differ after save + load");
        FUZZ_CHECK(memcmp(a->bundle.point_position, b->bundle.point_position,
                          a->bundle.n_points * 3 * sizeof(float)) == 0,
                   "bundle points differ after save + load");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[320], out[320];
    fuzz_write_file("input.nnb.h5", data, size, path, sizeof path);

    nb_model m;
    memset(&m, 0xA5, sizeof m); /* the loader must overwrite it either way */
    nb_error_clear();
    nb_status st = nb_h5_load(path, &m);
    FUZZ_CHECK_RAISED(st, "nb_h5_load");
    if (st != NB_OK) {
        FUZZ_CHECK(zeroed(&m), "model not zeroed after %s", nb_error_message());
        return 0;
    }
    nb_error_clear();
    st = nb_model_validate(&m, path);
    FUZZ_CHECK(st == NB_OK, "loaded model fails validation: %s", nb_error_message());

    fuzz_path("resaved.nnb.h5", out, sizeof out);
    nb_error_clear();
    st = nb_h5_save(out, &m);
    FUZZ_CHECK(st == NB_OK, "a loaded model cannot be saved: %s", nb_error_message());
    nb_model back;
    nb_error_clear();
    st = nb_h5_load(out, &back);
    FUZZ_CHECK(st == NB_OK, "a saved model cannot be loaded: %s", nb_error_message());
    check_same(&m, &back);
    nb_model_deinit(&back);
    nb_model_deinit(&m);
    return 0;
}
