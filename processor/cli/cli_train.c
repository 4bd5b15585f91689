/* cli_train.c - `nnbundle train`: train a dense ReLU network, or a CNN given by --arch, on an IDX
 * data set, write /network.
 *
 * DESIGN: parses the options (common ones through nb_cli_common_parse), loads the training
 * and test splits with nb_idx_load_dir, checks that the test labels fit the training set's
 * classes, trains with nb_train_network (Adam, softmax cross-entropy, optional L1), prints
 * the test accuracy and the wall time on stdout, and writes a model holding only /network
 * with nb_h5_save (temporary file + rename). An existing output file is replaced; its
 * /importance and /bundle groups are dropped (logged), since they describe other weights.
 * --arch is parsed (nb_train_arch_parse) before any data is read, so a bad string is a usage
 * error at once. Threads: --threads caps the OpenMP threads of training (which picks 1 or all
 * of them per step by measured speed, with or without --arch); results do not depend on it
 * (nb_train.h). Reads no config keys
 * (--config/--set do not apply to training). Hidden option for tests: --max-train N / --max-test N
 * keep the first N images.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "nb_file.h"
#include "nb_h5.h"
#include "nb_idx.h"
#include "nb_log.h"
#include "nb_train.h"

/* Fashion-MNIST's labels 0-9 (its README), used when the data directory is Fashion-MNIST. */
static const char *const fashion_mnist_classes[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

static void train_help(void) {
    printf(
        "usage: nnbundle train [--data DIR] -o FILE.nnb.h5 [options]\n\n"
        "Trains a dense network with ReLU hidden layers and a softmax output (or, with\n"
        "--arch, a convolutional network) on a data set (IDX: train-images-idx3-ubyte[.gz],\n"
        "..., t10k-... for the test split; NumPy: {train,test}_{images,labels}.npy;\n"
        "ImageFolder: {train,test}/<class>/NAME.png; docs/data.md) with mini-batch Adam on the\n"
        "cross-entropy, and writes it to FILE (group /network). The input layer has one node\n"
        "per pixel (with --arch: per image channel), the output layer one per class. Prints\n"
        "the test accuracy and the wall time.\n"
        "If FILE exists it is replaced; its /importance and /bundle groups are dropped,\n"
        "since they belong to the old weights.\n\n"
        "options:\n"
        "  --data DIR        data set directory (default %s)\n"
        "  --class-names F   class names, one per line (default: the data set's own)\n"
        "  -o, --output FILE output .nnb.h5 file (required)\n"
        "  --layers A,B,...  hidden layer sizes, 1 to %d layers (default 81,49)\n"
        "  --arch BLOCKS     a convolutional network instead of --layers: blocks joined by\n"
        "                    '-', in order:\n"
        "                      convN  3x3 convolution, stride 1, padding 1, N channels\n"
        "                             (1..4096), then ReLU\n"
        "                      pool   2x2 max pooling, stride 2\n"
        "                      fcN    dense layer of N units (1..1000000), then ReLU\n"
        "                    conv and pool come before fc; at most %d blocks. The dense\n"
        "                    output layer to the classes is implied; a trailing fcN with N\n"
        "                    = the class count is that output layer. Weights Glorot-uniform\n"
        "                    (fan-in and fan-out over the 3x3 window), biases zero.\n"
        "  --epochs N        passes over the training set (default 15)\n"
        "  --batch N         images per Adam step (default 128)\n"
        "  --lr X            Adam learning rate (default 0.001)\n"
        "  --l1 X            L1 penalty factor on the weights, biases exempt (default 0)\n"
        "  --seed N          seed of the initial weights and the shuffling (default 1;\n"
        "                    0 is the same as 1)\n"
        "  --threads N       most threads (default: all cores); training runs each step\n"
        "                    on 1 or N threads, whichever measured faster; results do not\n"
        "                    depend on it\n"
        "  --quiet           no progress or log lines (results are still printed)\n"
        "  --verbose         more log lines\n\n"
        "Initial weights are Glorot-uniform, biases zero; Adam uses beta1 0.9, beta2 0.999,\n"
        "epsilon 1e-8. The same seed and data give the same network.\n\n"
        "examples:\n"
        "  nnbundle train -o out/fashion_mnist.nnb.h5 --layers 81,49 --epochs 15\n"
        "  nnbundle train -o out/fashion_cnn.nnb.h5 --arch conv32-pool-conv64-pool-fc128-fc10 \\\n"
        "      --epochs 5 --batch 64\n",
        NB_IDX_DEFAULT_DIR, NB_TRAIN_MAX_HIDDEN, NB_TRAIN_MAX_ARCH);
}

/* Logs which groups of an existing output file will be dropped. */
static void note_existing_output(const char *out) {
    struct stat st;
    if (stat(out, &st) != 0)
        return;
    nb_model old;
    nb_status s = nb_h5_load(out, &old);
    if (s != NB_OK) {
        nb_log_warn("replacing %s, which is not a readable nnbundle file (%s)", out,
                    nb_error_message());
        nb_error_clear();
        return;
    }
    if (old.has_importance || old.has_bundle)
        nb_log_info("%s: dropping the old file's %s%s%s (computed for the old weights)", out,
                    old.has_importance ? "/importance" : "",
                    old.has_importance && old.has_bundle ? " and " : "",
                    old.has_bundle ? "/bundle" : "");
    else
        nb_log_info("%s: replacing the old /network", out);
    nb_model_deinit(&old);
}

static bool is_fashion_mnist(const char *dir) {
    return strstr(dir, "fashion-mnist") || strstr(dir, "fashion_mnist") ||
           strstr(dir, "Fashion-MNIST") || strstr(dir, "FashionMNIST");
}

/* The options of one `nnbundle train`. */
typedef struct train_args {
    nb_cli_common common;
    const char *data, *out;
    const char *class_names; /* --class-names FILE or NULL */
    nb_train_desc desc;
    long max_train, max_test;
} train_args;

/* Stores the value v of option a (one of the valued options); -1, or the usage exit code. */
static int train_option(train_args *ta, const char *a, const char *v) {
    nb_train_desc *desc = &ta->desc;
    long n;
    double x;
    if (!strcmp(a, "--data")) {
        ta->data = v;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
        ta->out = v;
    } else if (!strcmp(a, "--layers")) {
        if (!nb_cli_parse_sizes(v, desc->hidden, NB_TRAIN_MAX_HIDDEN, &desc->n_hidden) ||
            desc->n_hidden == 0)
            return nb_cli_usage_error("train",
                                      "--layers: '%s' is not a comma list of 1 to %d positive "
                                      "hidden layer sizes (e.g. 81,49)",
                                      v, NB_TRAIN_MAX_HIDDEN);
        for (size_t k = 0; k < desc->n_hidden; k++)
            if (desc->hidden[k] > 1000000)
                return nb_cli_usage_error("train",
                                          "--layers: hidden layer of %zu nodes, at most 1000000",
                                          desc->hidden[k]);
    } else if (!strcmp(a, "--arch")) {
        if (nb_train_arch_parse(v, &desc->arch) != NB_OK)
            return nb_cli_usage_error("train", "--arch: %s", nb_error_reason());
    } else if (!strcmp(a, "--epochs")) {
        if (!nb_cli_parse_int(v, 1, 100000, &n))
            return nb_cli_usage_error("train", "--epochs: '%s' is not in 1..100000", v);
        desc->epochs = (int)n;
    } else if (!strcmp(a, "--batch")) {
        if (!nb_cli_parse_int(v, 1, 1048576, &n))
            return nb_cli_usage_error("train", "--batch: '%s' is not in 1..1048576", v);
        desc->batch_size = (size_t)n;
    } else if (!strcmp(a, "--lr")) {
        if (!nb_cli_parse_double(v, &x) || !(x > 0.0 && x <= 10.0))
            return nb_cli_usage_error("train", "--lr: '%s' is not in (0, 10]", v);
        desc->learning_rate = x;
    } else if (!strcmp(a, "--l1")) {
        if (!nb_cli_parse_double(v, &x) || !(x >= 0.0 && x <= 100.0))
            return nb_cli_usage_error("train", "--l1: '%s' is not in [0, 100]", v);
        desc->l1 = x;
    } else if (!strcmp(a, "--seed")) {
        if (!nb_cli_parse_int(v, 0, 2147483647L, &n))
            return nb_cli_usage_error("train", "--seed: '%s' is not in 0..2147483647", v);
        desc->seed = (uint64_t)n;
    } else if (!strcmp(a, "--max-train")) {
        if (!nb_cli_parse_int(v, 1, 2147483647L, &ta->max_train))
            return nb_cli_usage_error("train", "--max-train: '%s' is not a positive count", v);
    } else { /* --max-test */
        if (!nb_cli_parse_int(v, 1, 2147483647L, &ta->max_test))
            return nb_cli_usage_error("train", "--max-test: '%s' is not a positive count", v);
    }
    return -1;
}

/* Parses the command line into *ta. -1 to go on, or the exit code (help, usage error). */
static int train_parse(int argc, char **argv, train_args *ta) {
    memset(ta, 0, sizeof *ta);
    ta->data = NB_IDX_DEFAULT_DIR;
    ta->desc.seed = 1;
    static const char *const value_options[] = {
        "--data", "-o",   "--output", "--layers",    "--arch",     "--epochs", "--batch",
        "--lr",   "--l1", "--seed",   "--max-train", "--max-test", NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            train_help();
            return NB_EXIT_OK;
        }
        int c = nb_cli_common_parse(&ta->common, argc, argv, &i);
        if (c < 0)
            return nb_cli_usage_error("train", "bad value for %s", a);
        if (c == 0) {
            nb_cli_data dopt = {.dir = ta->data, .class_names = ta->class_names};
            int d = nb_cli_data_parse(&dopt, "train", argc, argv, &i);
            if (d < 0)
                return NB_EXIT_USAGE;
            ta->data = dopt.dir;
            ta->class_names = dopt.class_names;
            if (d > 0)
                continue;
        }
        if (c > 0) {
            if (!strcmp(a, "--config") || !strcmp(a, "--set"))
                return nb_cli_usage_error("train",
                                          "%s does not apply to training (it sets importance and "
                                          "bundle keys)",
                                          a);
            continue;
        }
        bool known = false;
        for (const char *const *o = value_options; *o; o++)
            known |= !strcmp(a, *o);
        if (!known && a[0] != '-')
            return nb_cli_usage_error("train", "unexpected argument '%s'", a);
        if (!known)
            return nb_cli_usage_error("train", "unknown option '%s'", a);
        if (i + 1 >= argc)
            return nb_cli_usage_error("train", "option %s needs a value", a);
        int rc = train_option(ta, a, argv[++i]);
        if (rc >= 0)
            return rc;
    }
    if (!ta->out)
        return nb_cli_usage_error("train", "missing output file (-o FILE.nnb.h5)");
    if (ta->desc.arch.n > 0 && ta->desc.n_hidden > 0)
        return nb_cli_usage_error("train", "--layers and --arch exclude each other (--arch "
                                           "describes the whole network)");
    return -1;
}

/* Both splits of the data directory, checked: at least 2 classes, no test label beyond the
 * training labels. On failure both are freed. */
static nb_status train_load(const train_args *ta, nb_dataset *train, nb_dataset *test) {
    nb_status s =
        nb_cli_load_data(ta->data, ta->class_names, NB_IDX_TRAIN, (size_t)ta->max_train, train);
    if (s == NB_OK)
        s = nb_cli_load_data(ta->data, ta->class_names, NB_IDX_TEST, (size_t)ta->max_test, test);
    if (s == NB_OK && train->n_classes < 2)
        s = NB_RAISE(NB_E_FORMAT, ta->data, "the training labels name %zu class, need at least 2",
                     train->n_classes);
    else if (s == NB_OK && test->n_classes > train->n_classes)
        s = NB_RAISE(NB_E_MISMATCH, ta->data,
                     "the test labels go up to %zu but the training labels only to %zu",
                     test->n_classes - 1, train->n_classes - 1);
    else if (s == NB_OK && test->n > 0 &&
             (test->rows != train->rows || test->cols != train->cols ||
              test->channels != train->channels))
        /* height x width, not the pixel count: 14x56 is not 28x28 */
        s = NB_RAISE(NB_E_MISMATCH, ta->data,
                     "test images are %zux%zu (%zu channel(s)), training images %zux%zu (%zu)",
                     test->rows, test->cols, test->channels, train->rows, train->cols,
                     train->channels);
    if (s != NB_OK) {
        nb_dataset_deinit(train);
        nb_dataset_deinit(test);
    }
    return s;
}

/* Logs what will be trained: layer sizes (or the architecture) and the resolved settings. */
static void log_training(const nb_train_desc *desc, const nb_dataset *train) {
    nb_train_desc resolved;
    nb_train_desc_resolve(desc, &resolved);
    char shape[256];
    if (resolved.arch.n > 0) {
        char arch[512];
        nb_log_info("training %s on %zux%zux%zu images, %zu classes: %d epochs, batch %zu, Adam "
                    "lr %g, L1 %g, seed %llu",
                    nb_train_arch_format(&resolved.arch, arch, sizeof arch), train->channels,
                    train->rows, train->cols, train->n_classes, resolved.epochs,
                    resolved.batch_size, resolved.learning_rate, resolved.l1,
                    (unsigned long long)resolved.seed);
        return;
    }
    int len = snprintf(shape, sizeof shape, "%zu", train->dim);
    for (size_t k = 0; k < resolved.n_hidden && len > 0 && (size_t)len < sizeof shape; k++)
        len += snprintf(shape + len, sizeof shape - (size_t)len, "-%zu", resolved.hidden[k]);
    if (len > 0 && (size_t)len < sizeof shape)
        snprintf(shape + len, sizeof shape - (size_t)len, "-%zu", train->n_classes);
    nb_log_info("training %s: %d epochs, batch %zu, Adam lr %g, L1 %g, seed %llu", shape,
                resolved.epochs, resolved.batch_size, resolved.learning_rate, resolved.l1,
                (unsigned long long)resolved.seed);
}

/* Names the classes: the data set's names (class directories, classes.txt, --class-names),
 * else Fashion-MNIST's when the data directory's name says so. */
static nb_status name_classes(const char *data, const nb_dataset *train, nb_network *net) {
    bool named = false;
    NB_TRY(nb_cli_adopt_class_names(net, train, &named));
    if (named || !is_fashion_mnist(data) || net->n_classes != 10)
        return NB_OK;
    for (size_t c = 0; c < 10; c++)
        NB_TRY(nb_network_set_class_name(net, c, fashion_mnist_classes[c]));
    nb_log_debug("class names: Fashion-MNIST's (the data directory's name says so)");
    return NB_OK;
}

int nb_cli_train(int argc, char **argv) {
    train_args ta;
    int rc = train_parse(argc, argv, &ta);
    if (rc >= 0)
        return rc;
    nb_cli_common_apply(&ta.common);
    const double t_start = nb_time_now();

    /* -o checked against every input and locked before the data is read: a clash or a
     * second writer fails now, not after the training */
    const nb_file_arg outs[] = {{ta.out, "-o"}};
    const nb_file_arg ins[] = {{ta.data, "--data"}, {ta.class_names, "--class-names"}};
    nb_status s = nb_file_check_outputs(outs, 1, ins, 2);
    nb_file_lock lock = {0};
    if (s == NB_OK)
        s = nb_file_lock_acquire(&lock, ta.out);
    if (s != NB_OK)
        return nb_cli_fail(s);
    nb_dataset train = {0}, test = {0};
    s = train_load(&ta, &train, &test);
    if (s != NB_OK) {
        nb_file_lock_release(&lock);
        return nb_cli_fail(s);
    }
    const double t_loaded = nb_time_now();
    nb_log_info("data: %s, %zu training and %zu test images of %zux%zu, %zu classes (%.1f s)",
                ta.data, train.n, test.n, train.rows, train.cols, train.n_classes,
                t_loaded - t_start);
    ta.desc.dataset_name = ta.data;
    log_training(&ta.desc, &train);

    nb_model model = {0};
    s = nb_train_network(&ta.desc, &train, &test, &model.network);
    if (s == NB_OK) {
        model.has_network = true;
        s = name_classes(ta.data, &train, &model.network);
    }
    nb_dataset_deinit(&train);
    nb_dataset_deinit(&test);
    if (s != NB_OK) {
        nb_model_deinit(&model);
        nb_file_lock_release(&lock);
        return nb_cli_fail(s);
    }
    const double t_trained = nb_time_now();
    note_existing_output(ta.out);
    s = nb_h5_save(ta.out, &model);
    nb_file_lock_release(&lock);
    const double train_acc = model.network.train_accuracy, test_acc = model.network.test_accuracy;
    nb_model_deinit(&model);
    if (s != NB_OK)
        return nb_cli_fail(s);
    const double t_end = nb_time_now();
    nb_log_info("wrote %s", ta.out);
    printf("train accuracy: %.4f\n", train_acc);
    printf("test accuracy: %.4f\n", test_acc);
    printf("wall time: %.2f s (load %.2f s, train %.2f s, save %.2f s)\n", t_end - t_start,
           t_loaded - t_start, t_trained - t_loaded, t_end - t_trained);
    return NB_EXIT_OK;
}
