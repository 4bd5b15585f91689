/* test_cli_data.c - the data options of the commands, in process: `train`, `importance` and
 * `evaluate` on ImageFolder and NumPy directories, class names taken from the class
 * directories, from --class-names, kept once set, and the refusals (a corrupt data set, a
 * names file of the wrong length, images that do not fit the network, a missing value). */
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nb_h5.h"
#include "nb_log.h"
#include "nb_test.h"

static void mk(const char *p) {
    assert_int_equal(mkdir(p, 0777), 0);
}

/* w x w images, class c bright in row c (so the classes are learnable), grey or RGB. */
static void write_img(const char *path, size_t w, size_t c, size_t k, bool rgb) {
    unsigned char px[8 * 8 * 3];
    size_t ch = rgb ? 3 : 1;
    for (size_t p = 0; p < w * w; p++)
        for (size_t q = 0; q < ch; q++)
            px[p * ch + q] = (unsigned char)(p / w == c ? 200 + k : (p * 13 + k * 7) % 60);
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = im.height = (png_uint_32)w;
    im.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    assert_true(png_image_write_to_file(&im, path, 0, px, 0, NULL));
}

static void make_folder(const char *dir, bool rgb) {
    static const char *const cls[] = {"ant", "bee", "cat"};
    char p[512];
    nb_test_remove_tree(dir);
    mk(dir);
    for (int split = 0; split < 2; split++) {
        const char *sn = split ? "test" : "train";
        snprintf(p, sizeof p, "%s/%s", dir, sn);
        mk(p);
        for (size_t c = 0; c < 3; c++) {
            snprintf(p, sizeof p, "%s/%s/%s", dir, sn, cls[c]);
            mk(p);
            for (size_t k = 0; k < (split ? 3u : 8u); k++) {
                snprintf(p, sizeof p, "%s/%s/%s/%02zu.png", dir, sn, cls[c], k);
                write_img(p, 4, c, k, rgb);
            }
        }
    }
}

/* NumPy v1 file, |u1 [n][4][4] or <i8 [n]. */
static void write_npy(const char *path, const char *descr, size_t n, const void *data,
                      size_t bytes) {
    char dict[128];
    if (!strcmp(descr, "|u1"))
        snprintf(dict, sizeof dict,
                 "{'descr': '|u1', 'fortran_order': False, 'shape': (%zu, 4, 4), }", n);
    else
        snprintf(dict, sizeof dict, "{'descr': '<i8', 'fortran_order': False, 'shape': (%zu,), }",
                 n);
    size_t hl = strlen(dict) + 1;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)hl, 0};
    fwrite(pre, 1, 10, f);
    fputs(dict, f);
    fputc('\n', f);
    fwrite(data, 1, bytes, f);
    fclose(f);
}

static void make_npy(const char *dir) {
    nb_test_remove_tree(dir);
    mk(dir);
    for (int split = 0; split < 2; split++) {
        size_t n = split ? 9 : 24;
        unsigned char px[24 * 16];
        int64_t lab[24];
        for (size_t i = 0; i < n; i++) {
            lab[i] = (int64_t)(i % 3);
            for (size_t p = 0; p < 16; p++)
                px[i * 16 + p] = (unsigned char)(p / 4 == i % 3 ? 210 : (p * 17 + i) % 50);
        }
        char p[512];
        snprintf(p, sizeof p, "%s/%s_images.npy", dir, split ? "test" : "train");
        write_npy(p, "|u1", n, px, n * 16);
        snprintf(p, sizeof p, "%s/%s_labels.npy", dir, split ? "test" : "train");
        write_npy(p, "<i8", n, lab, n * 8);
    }
}

/* Runs a command with copies of the arguments (the commands take char **). */
static int run_cli(int (*fn)(int, char **), const char *const *args, size_t n) {
    char *argv[32];
    assert_true(n < 32);
    for (size_t i = 0; i < n; i++)
        argv[i] = strdup(args[i]);
    argv[n] = NULL;
    int rc = fn((int)n, argv);
    for (size_t i = 0; i < n; i++)
        free(argv[i]);
    return rc;
}

#define RUN(fn, ...)                                                                               \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__};                                                 \
        rc = run_cli(fn, args_, sizeof args_ / sizeof args_[0]);                                   \
    } while (0)

static void expect_names(const char *file, const char *a, const char *b, const char *c) {
    nb_model m;
    assert_int_equal(nb_h5_load(file, &m), NB_OK);
    assert_int_equal(m.network.n_classes, 3);
    assert_string_equal(m.network.class_names[0], a);
    assert_string_equal(m.network.class_names[1], b);
    assert_string_equal(m.network.class_names[2], c);
    nb_model_deinit(&m);
}

static void test_folder_pipeline(void **state) {
    (void)state;
    int rc;
    make_folder("cd_folder", false);
    unlink("cd_a.nnb.h5");
    RUN(nb_cli_train, "train", "--data", "cd_folder", "--layers", "5", "--epochs", "2", "-o",
        "cd_a.nnb.h5", "--quiet", "--threads", "1");
    assert_int_equal(rc, NB_EXIT_OK);
    expect_names("cd_a.nnb.h5", "ant", "bee", "cat");
    RUN(nb_cli_importance, "importance", "cd_a.nnb.h5", "--data", "cd_folder", "--set",
        "importance_epochs=1", "--quiet", "--threads", "1");
    assert_int_equal(rc, NB_EXIT_OK);
    nb_test_remove_tree("cd_eval");
    RUN(nb_cli_evaluate, "evaluate", "cd_a.nnb.h5", "--data", "cd_folder", "--out", "cd_eval",
        "--levels", "0,50", "--methods", "alpha", "--quiet", "--threads", "1");
    assert_int_equal(rc, NB_EXIT_OK);
    assert_true(nb_test_exists("cd_eval/pruning.csv"));

    /* RGB images do not fit the 16-input network: the data directory is named */
    make_folder("cd_rgb", true);
    RUN(nb_cli_importance, "importance", "cd_a.nnb.h5", "--data", "cd_rgb", "--quiet");
    assert_int_equal(rc, NB_EXIT_FAILURE);
    nb_expect_error(nb_error_status(), NB_E_MISMATCH, "cd_rgb (train set)", "3 x 4 x 4 = 48");
    /* a names file of the wrong length */
    nb_test_write_text("cd_two.txt", "one\ntwo\n");
    RUN(nb_cli_importance, "importance", "cd_a.nnb.h5", "--data", "cd_folder", "--class-names",
        "cd_two.txt", "--quiet");
    assert_int_equal(rc, NB_EXIT_FAILURE);
    nb_expect_error(nb_error_status(), NB_E_MISMATCH, "cd_two.txt", "names 2 classes");
    /* a corrupt image */
    nb_test_write_text("cd_folder/train/bee/03.png", "garbage");
    RUN(nb_cli_train, "train", "--data", "cd_folder", "-o", "cd_b.nnb.h5", "--quiet");
    assert_int_equal(rc, NB_EXIT_FAILURE);
    nb_expect_error(nb_error_status(), NB_E_FORMAT, "cd_folder/train/bee/03.png", "PNG");
    assert_false(nb_test_exists("cd_b.nnb.h5"));
    /* a missing value */
    RUN(nb_cli_train, "train", "-o", "cd_b.nnb.h5", "--class-names");
    assert_int_equal(rc, NB_EXIT_USAGE);
    nb_test_remove_tree("cd_folder");
    nb_test_remove_tree("cd_rgb");
    nb_test_remove_tree("cd_eval");
    unlink("cd_two.txt");
    unlink("cd_a.nnb.h5");
}

static void test_npy_names(void **state) {
    (void)state;
    int rc;
    make_npy("cd_npy");
    unlink("cd_n.nnb.h5");
    RUN(nb_cli_train, "train", "--data", "cd_npy", "--layers", "4", "--epochs", "1", "-o",
        "cd_n.nnb.h5", "--quiet", "--threads", "1");
    assert_int_equal(rc, NB_EXIT_OK);
    expect_names("cd_n.nnb.h5", "0", "1", "2"); /* NumPy without names: the defaults */
    nb_test_write_text("cd_names.txt", "x-ray\nyak\nzebra\n");
    RUN(nb_cli_importance, "importance", "cd_n.nnb.h5", "--data", "cd_npy", "--class-names",
        "cd_names.txt", "--set", "importance_epochs=1", "--quiet", "--threads", "1");
    assert_int_equal(rc, NB_EXIT_OK);
    expect_names("cd_n.nnb.h5", "x-ray", "yak", "zebra");
    /* names once set are kept: classes.txt in the directory does not replace them */
    nb_test_write_text("cd_npy/classes.txt", "a\nb\nc\n");
    RUN(nb_cli_importance, "importance", "cd_n.nnb.h5", "--data", "cd_npy", "--set",
        "importance_epochs=1", "--quiet", "--threads", "1");
    assert_int_equal(rc, NB_EXIT_OK);
    expect_names("cd_n.nnb.h5", "x-ray", "yak", "zebra");
    nb_test_remove_tree("cd_npy");
    unlink("cd_names.txt");
    unlink("cd_n.nnb.h5");
}

int main(void) {
    nb_log_set_level(NB_LOG_QUIET);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folder_pipeline),
        cmocka_unit_test(test_npy_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
