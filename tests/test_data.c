/* test_data.c - data directories in the NumPy and ImageFolder layouts (and detection of IDX):
 * values, CHW order, class names, the round-robin order of ImageFolder, and every refusal
 * (corrupt or 16-bit PNG, mixed sizes or channel counts, a class without images, a foreign
 * class directory, wrong .npy dtype or shape, truncated or overlong .npy, labels out of
 * range, bad names files). Fixtures are written by the test into its working directory. */
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nb_data.h"
#include "nb_test.h"

/* ---- fixture writers ------------------------------------------------------------------ */

/* A .npy file with the given descr and shape, `data` bytes of payload (cut/extra adjust). */
static void write_npy(const char *path, const char *descr, const size_t *shape, size_t ndim,
                      const void *data, size_t bytes, size_t cut, size_t extra) {
    char dict[256], sh[128] = "";
    for (size_t d = 0; d < ndim; d++)
        snprintf(sh + strlen(sh), sizeof sh - strlen(sh), "%zu,%s", shape[d],
                 d + 1 < ndim ? " " : "");
    if (ndim > 1) /* numpy writes "(2, 3)" but "(2,)" */
        sh[strlen(sh) - 1] = '\0';
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr,
             sh);
    size_t hl = strlen(dict) + 1, total = 10 + hl;
    size_t pad = (64 - total % 64) % 64;
    hl += pad;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned char pre[10] = {
        0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
    fwrite(pre, 1, 10, f);
    fputs(dict, f);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    fwrite(data, 1, bytes - cut, f);
    for (size_t i = 0; i < extra; i++)
        fputc(0, f);
    fclose(f);
}

static void write_png(const char *path, size_t w, size_t h, png_uint_32 format,
                      const unsigned char *px) {
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = (png_uint_32)w;
    im.height = (png_uint_32)h;
    im.format = format;
    assert_true(png_image_write_to_file(&im, path, 0, px, 0, NULL));
}

/* A grey w x h PNG whose pixel p is (seed + p * 7) % 256. */
static void write_grey(const char *path, size_t w, size_t h, unsigned seed) {
    unsigned char px[64 * 64];
    for (size_t p = 0; p < w * h; p++)
        px[p] = (unsigned char)((seed + p * 7) % 256);
    write_png(path, w, h, PNG_FORMAT_GRAY, px);
}

static void mk(const char *path) {
    assert_int_equal(mkdir(path, 0777), 0);
}

static void fresh(const char *dir) {
    nb_test_remove_tree(dir);
    mk(dir);
}

/* dir/{train,test}/{cat,ant,bee} with 3, 2, 1 grey 4x3 images (train) and 1 each (test). */
static void make_folder(const char *dir) {
    static const char *const cls[] = {"cat", "ant", "bee"};
    static const size_t counts[] = {3, 2, 1};
    char p[512];
    fresh(dir);
    for (int split = 0; split < 2; split++) {
        snprintf(p, sizeof p, "%s/%s", dir, split ? "test" : "train");
        mk(p);
        for (size_t c = 0; c < 3; c++) {
            snprintf(p, sizeof p, "%s/%s/%s", dir, split ? "test" : "train", cls[c]);
            mk(p);
            size_t n = split ? 1 : counts[c];
            for (size_t k = 0; k < n; k++) {
                snprintf(p, sizeof p, "%s/%s/%s/img%zu.PNG", dir, split ? "test" : "train", cls[c],
                         k);
                write_grey(p, 4, 3, (unsigned)(c * 50 + k * 10));
            }
        }
    }
    snprintf(p, sizeof p, "%s/train/cat/notes.txt", dir);
    nb_test_write_text(p, "not an image\n");
}

/* ---- ImageFolder ------------------------------------------------------------------------ */

static void test_folder_grey(void **state) {
    (void)state;
    make_folder("df_grey");
    nb_data_format fmt;
    assert_int_equal(nb_data_detect("df_grey", &fmt), NB_OK);
    assert_int_equal(fmt, NB_DATA_IMAGEFOLDER);
    nb_dataset ds;
    assert_int_equal(nb_data_load("df_grey", NB_IDX_TRAIN, 0, NULL, &ds), NB_OK);
    assert_int_equal(ds.n, 6);
    assert_int_equal(ds.channels, 1);
    assert_int_equal(ds.rows, 3);
    assert_int_equal(ds.cols, 4);
    assert_int_equal(ds.dim, 12);
    assert_int_equal(ds.n_classes, 3);
    assert_string_equal(ds.class_names[0], "ant"); /* sorted by name */
    assert_string_equal(ds.class_names[1], "bee");
    assert_string_equal(ds.class_names[2], "cat");
    /* round robin: ant0 bee0 cat0 ant1 cat1 cat2 */
    static const uint8_t want_label[] = {0, 1, 2, 0, 2, 2};
    static const unsigned want_seed[] = {50, 100, 0, 60, 10, 20};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(ds.labels[i], want_label[i]);
        for (size_t p = 0; p < 12; p++)
            nb_assert_near(ds.images[i * 12 + p], (float)((want_seed[i] + p * 7) % 256) / 255.0f,
                           1e-7);
    }
    nb_dataset_deinit(&ds);
    /* max_n keeps a balanced prefix */
    assert_int_equal(nb_data_load("df_grey", NB_IDX_TRAIN, 3, NULL, &ds), NB_OK);
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.labels[0], 0);
    assert_int_equal(ds.labels[1], 1);
    assert_int_equal(ds.labels[2], 2);
    nb_dataset_deinit(&ds);
    assert_int_equal(nb_data_load("df_grey", NB_IDX_TEST, 0, NULL, &ds), NB_OK);
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.n_classes, 3);
    nb_dataset_deinit(&ds);
    nb_test_remove_tree("df_grey");
}

static void test_folder_rgb_alpha(void **state) {
    (void)state;
    fresh("df_rgb");
    mk("df_rgb/train");
    mk("df_rgb/train/a");
    mk("df_rgb/train/b");
    unsigned char rgb[2 * 2 * 3], rgba[2 * 2 * 4];
    for (size_t p = 0; p < 4; p++) {
        for (size_t c = 0; c < 3; c++) {
            rgb[p * 3 + c] = (unsigned char)(p * 3 + c + 1);
            rgba[p * 4 + c] = (unsigned char)(100 + p * 3 + c);
        }
        rgba[p * 4 + 3] = (unsigned char)(p * 60); /* alpha: dropped, never composited */
    }
    write_png("df_rgb/train/a/x.png", 2, 2, PNG_FORMAT_RGB, rgb);
    write_png("df_rgb/train/b/y.png", 2, 2, PNG_FORMAT_RGBA, rgba);
    nb_dataset ds;
    assert_int_equal(nb_data_load("df_rgb", NB_IDX_TRAIN, 0, NULL, &ds), NB_OK);
    assert_int_equal(ds.channels, 3);
    assert_int_equal(ds.dim, 12);
    for (size_t c = 0; c < 3; c++)
        for (size_t p = 0; p < 4; p++) { /* CHW */
            nb_assert_near(ds.images[c * 4 + p], (float)(p * 3 + c + 1) / 255.0f, 1e-7);
            nb_assert_near(ds.images[12 + c * 4 + p], (float)(100 + p * 3 + c) / 255.0f, 1e-7);
        }
    nb_dataset_deinit(&ds);
    /* no test/ split */
    nb_status s = nb_data_load("df_rgb", NB_IDX_TEST, 0, NULL, &ds);
    nb_expect_error(s, NB_E_IO, "df_rgb/test", "test split");
    nb_test_remove_tree("df_rgb");
}

static void test_folder_errors(void **state) {
    (void)state;
    nb_dataset ds;
    nb_status s;
    /* corrupt image */
    make_folder("df_bad");
    nb_test_write_text("df_bad/train/bee/img0.PNG", "\x89PNG\r\n\x1a\nnot really");
    s = nb_data_load("df_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, "df_bad/train/bee/img0.PNG", "PNG");
    assert_null(ds.images);
    /* a truncated image */
    make_folder("df_bad");
    {
        size_t len = 0;
        char *b = nb_test_read_file("df_bad/train/bee/img0.PNG", &len);
        assert_true(len > 20);
        nb_test_write_file("df_bad/train/bee/img0.PNG", b, len - 20);
        free(b);
    }
    s = nb_data_load("df_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, "df_bad/train/bee/img0.PNG", "PNG");
    /* mixed sizes */
    make_folder("df_bad");
    write_grey("df_bad/train/cat/img1.PNG", 5, 3, 0);
    s = nb_data_load("df_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, "df_bad/train/cat/img1.PNG", "is 5x3, but");
    /* mixed channel counts */
    make_folder("df_bad");
    unsigned char rgb[4 * 3 * 3] = {0};
    write_png("df_bad/train/cat/img1.PNG", 4, 3, PNG_FORMAT_RGB, rgb);
    s = nb_data_load("df_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, "df_bad/train/cat/img1.PNG", "image is RGB, but");
    /* 16-bit */
    make_folder("df_bad");
    {
        png_image im;
        memset(&im, 0, sizeof im);
        im.version = PNG_IMAGE_VERSION;
        im.width = 4;
        im.height = 3;
        im.format = PNG_FORMAT_LINEAR_Y;
        uint16_t px[12] = {0};
        assert_true(png_image_write_to_file(&im, "df_bad/train/ant/img0.PNG", 0, px, 0, NULL));
    }
    s = nb_data_load("df_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_UNSUPPORTED, "df_bad/train/ant/img0.PNG", "16-bit");
    /* a class with no images */
    make_folder("df_bad");
    assert_int_equal(unlink("df_bad/test/bee/img0.PNG"), 0);
    s = nb_data_load("df_bad", NB_IDX_TEST, 0, NULL, &ds);
    nb_expect_error(s, NB_E_MISSING, "df_bad/test/bee", "class 'bee' has no PNG images");
    /* a class missing from the test split */
    nb_test_remove_tree("df_bad/test/bee");
    s = nb_data_load("df_bad", NB_IDX_TEST, 0, NULL, &ds);
    nb_expect_error(s, NB_E_MISSING, "df_bad/test/bee", "no directory in this split");
    /* a test class the training split does not have */
    make_folder("df_bad");
    mk("df_bad/test/dog");
    write_grey("df_bad/test/dog/a.png", 4, 3, 0);
    s = nb_data_load("df_bad", NB_IDX_TEST, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, "df_bad/test", "'dog' is not a class");
    /* no class directories at all */
    fresh("df_bad");
    mk("df_bad/train");
    s = nb_data_load("df_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_MISSING, "df_bad/train", "no class sub-directories");
    /* nothing recognisable */
    fresh("df_bad");
    s = nb_data_load("df_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_IO, "df_bad", "no data set found");
    s = nb_data_load("df_missing_dir", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_IO, "df_missing_dir", "data directory");
    nb_test_remove_tree("df_bad");
}

/* ---- class names ------------------------------------------------------------------------ */

static void test_class_names(void **state) {
    (void)state;
    make_folder("df_names");
    nb_test_write_text("df_names/names.txt", "Ant\r\nBee\nCat");
    nb_dataset ds;
    assert_int_equal(nb_data_load("df_names", NB_IDX_TRAIN, 0, "df_names/names.txt", &ds), NB_OK);
    assert_string_equal(ds.class_names[0], "Ant");
    assert_string_equal(ds.class_names[1], "Bee");
    assert_string_equal(ds.class_names[2], "Cat");
    nb_dataset_deinit(&ds);
    nb_test_write_text("df_names/names.txt", "Ant\nBee\n");
    nb_status s = nb_data_load("df_names", NB_IDX_TRAIN, 0, "df_names/names.txt", &ds);
    nb_expect_error(s, NB_E_MISMATCH, "df_names/names.txt", "names 2 classes, but df_names has 3");
    nb_test_write_text("df_names/names.txt", "Ant\n\nCat\n");
    s = nb_data_load("df_names", NB_IDX_TRAIN, 0, "df_names/names.txt", &ds);
    nb_expect_error(s, NB_E_FORMAT, "df_names/names.txt", "line 2: empty class name");
    nb_test_write_text("df_names/names.txt", "");
    s = nb_data_load("df_names", NB_IDX_TRAIN, 0, "df_names/names.txt", &ds);
    nb_expect_error(s, NB_E_FORMAT, "df_names/names.txt", "no class names");
    char longname[400];
    memset(longname, 'x', 300);
    longname[300] = '\n';
    longname[301] = '\0';
    nb_test_write_text("df_names/names.txt", longname);
    s = nb_data_load("df_names", NB_IDX_TRAIN, 0, "df_names/names.txt", &ds);
    nb_expect_error(s, NB_E_FORMAT, "df_names/names.txt", "longer than 255 bytes");
    nb_test_write_file("df_names/names.txt", "Ant\nB\0ee\nCat\n", 13);
    s = nb_data_load("df_names", NB_IDX_TRAIN, 0, "df_names/names.txt", &ds);
    nb_expect_error(s, NB_E_FORMAT, "df_names/names.txt", "line 2: contains a NUL byte");
    s = nb_data_load("df_names", NB_IDX_TRAIN, 0, "df_names/none.txt", &ds);
    nb_expect_error(s, NB_E_IO, "df_names/none.txt", "cannot open");
    nb_test_remove_tree("df_names");
}

/* ---- NumPy ------------------------------------------------------------------------------ */

/* dir/{train,test}_{images,labels}.npy: n uint8 [n][3][2] images, pixel (i,p) = i*10 + p,
 * labels i % 3 as int64. */
static void make_npy(const char *dir, size_t n) {
    char p[512];
    fresh(dir);
    unsigned char px[64 * 6];
    int64_t lab[64];
    for (size_t i = 0; i < n; i++) {
        for (size_t q = 0; q < 6; q++)
            px[i * 6 + q] = (unsigned char)(i * 10 + q);
        lab[i] = (int64_t)(i % 3);
    }
    size_t ishape[3] = {n, 3, 2}, lshape[1] = {n};
    for (int split = 0; split < 2; split++) {
        const char *pre = split ? "test" : "train";
        snprintf(p, sizeof p, "%s/%s_images.npy", dir, pre);
        write_npy(p, "|u1", ishape, 3, px, n * 6, 0, 0);
        snprintf(p, sizeof p, "%s/%s_labels.npy", dir, pre);
        write_npy(p, "<i8", lshape, 1, lab, n * 8, 0, 0);
    }
}

static void test_npy_uint8(void **state) {
    (void)state;
    make_npy("dn_u8", 5);
    nb_data_format fmt;
    assert_int_equal(nb_data_detect("dn_u8", &fmt), NB_OK);
    assert_int_equal(fmt, NB_DATA_NPY);
    nb_dataset ds;
    assert_int_equal(nb_data_load("dn_u8", NB_IDX_TRAIN, 0, NULL, &ds), NB_OK);
    assert_int_equal(ds.n, 5);
    assert_int_equal(ds.channels, 1);
    assert_int_equal(ds.rows, 3);
    assert_int_equal(ds.cols, 2);
    assert_int_equal(ds.n_classes, 3);
    assert_null(ds.class_names);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ds.labels[i], i % 3);
        for (size_t q = 0; q < 6; q++)
            nb_assert_near(ds.images[i * 6 + q], (float)(i * 10 + q) / 255.0f, 1e-7);
    }
    nb_dataset_deinit(&ds);
    /* classes.txt is read; max_n */
    nb_test_write_text("dn_u8/classes.txt", "zero\none\ntwo\nthree\n");
    assert_int_equal(nb_data_load("dn_u8", NB_IDX_TEST, 2, NULL, &ds), NB_OK);
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.n_classes, 4);
    assert_string_equal(ds.class_names[3], "three");
    nb_dataset_deinit(&ds);
    /* a names file with fewer names than the labels need */
    nb_test_write_text("dn_u8/classes.txt", "zero\none\n");
    nb_status s = nb_data_load("dn_u8", NB_IDX_TEST, 0, NULL, &ds);
    nb_expect_error(s, NB_E_MISMATCH, "dn_u8/classes.txt", "image 2 has label 2");
    nb_test_remove_tree("dn_u8");
}

static void test_npy_layouts(void **state) {
    (void)state;
    fresh("dn_lay");
    /* float32 NHWC [2][2][2][3] */
    float hwc[2 * 2 * 2 * 3];
    for (size_t i = 0; i < 24; i++)
        hwc[i] = (float)i / 32.0f;
    int32_t lab[2] = {1, 0};
    size_t s4[4] = {2, 2, 2, 3}, s1[1] = {2};
    write_npy("dn_lay/train_images.npy", "<f4", s4, 4, hwc, sizeof hwc, 0, 0);
    write_npy("dn_lay/train_labels.npy", "<i4", s1, 1, lab, sizeof lab, 0, 0);
    nb_dataset ds;
    assert_int_equal(nb_data_load("dn_lay", NB_IDX_TRAIN, 0, NULL, &ds), NB_OK);
    assert_int_equal(ds.channels, 3);
    assert_int_equal(ds.rows, 2);
    assert_int_equal(ds.cols, 2);
    for (size_t i = 0; i < 2; i++)
        for (size_t h = 0; h < 2; h++)
            for (size_t w = 0; w < 2; w++)
                for (size_t c = 0; c < 3; c++)
                    assert_true(ds.images[i * 12 + c * 4 + h * 2 + w] ==
                                hwc[((i * 2 + h) * 2 + w) * 3 + c]);
    assert_int_equal(ds.n_classes, 2);
    nb_dataset_deinit(&ds);
    /* NCHW [2][3][2][4] (last axis 4 is not a channel count) */
    float chw[2 * 3 * 2 * 4];
    for (size_t i = 0; i < 48; i++)
        chw[i] = (float)i / 64.0f;
    size_t c4[4] = {2, 3, 2, 4};
    write_npy("dn_lay/train_images.npy", "<f4", c4, 4, chw, sizeof chw, 0, 0);
    assert_int_equal(nb_data_load("dn_lay", NB_IDX_TRAIN, 0, NULL, &ds), NB_OK);
    assert_int_equal(ds.channels, 3);
    assert_int_equal(ds.rows, 2);
    assert_int_equal(ds.cols, 4);
    assert_memory_equal(ds.images, chw, sizeof chw);
    nb_dataset_deinit(&ds);
    /* labels [N][1], uint8 */
    uint8_t l8[2] = {0, 4};
    size_t s21[2] = {2, 1};
    write_npy("dn_lay/train_labels.npy", "|u1", s21, 2, l8, 2, 0, 0);
    assert_int_equal(nb_data_load("dn_lay", NB_IDX_TRAIN, 0, NULL, &ds), NB_OK);
    assert_int_equal(ds.labels[1], 4);
    assert_int_equal(ds.n_classes, 5);
    nb_dataset_deinit(&ds);
    nb_test_remove_tree("dn_lay");
}

static void test_npy_errors(void **state) {
    (void)state;
    nb_dataset ds;
    nb_status s;
    const char *img = "dn_bad/train_images.npy", *lab = "dn_bad/train_labels.npy";
    unsigned char px[4 * 6] = {0};
    size_t s3[3] = {4, 3, 2}, s1[1] = {4}, s2[2] = {4, 6}, s5[4] = {4, 2, 2, 5};
    int64_t l[4] = {0, 1, 2, 1};
    double d[24] = {0};

    make_npy("dn_bad", 4);
    write_npy(img, "<f8", s3, 3, d, sizeof d, 0, 0); /* float64 images */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_UNSUPPORTED, img, "dtype '<f8'");
    assert_null(ds.images);

    make_npy("dn_bad", 4);
    write_npy(img, ">f4", s3, 3, d, 4 * 24, 0, 0); /* big-endian */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_UNSUPPORTED, img, "dtype '>f4'");

    make_npy("dn_bad", 4);
    write_npy(img, "|u1", s2, 2, px, 24, 0, 0); /* 2-D images */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, img, "shape (4,6)");

    make_npy("dn_bad", 4);
    unsigned char px5[4 * 20] = {0};
    write_npy(img, "|u1", s5, 4, px5, sizeof px5, 0, 0); /* neither NHWC nor NCHW */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, img, "shape (4,2,2,5)");

    make_npy("dn_bad", 4);
    write_npy(img, "|u1", s3, 3, px, 24, 5, 0); /* truncated */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, img, "truncated: the header declares 24 bytes");

    make_npy("dn_bad", 4);
    write_npy(img, "|u1", s3, 3, px, 24, 0, 3); /* extra bytes */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, img, "3 unexpected bytes");

    make_npy("dn_bad", 4);
    nb_test_write_text(img, "\x93NUMPY"); /* cut in the preamble */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, img, "truncated");

    make_npy("dn_bad", 4);
    nb_test_write_text(img, "PK\x03\x04 an npz archive, not npy");
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, img, "not a .npy file");

    make_npy("dn_bad", 4);
    float fl[4] = {0, 1, 2, 1};
    write_npy(lab, "<f4", s1, 1, fl, sizeof fl, 0, 0); /* float labels */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_UNSUPPORTED, lab, "expected an integer dtype");

    make_npy("dn_bad", 4);
    l[2] = -1;
    write_npy(lab, "<i8", s1, 1, l, sizeof l, 0, 0);
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, lab, "label of image 2 is negative");

    l[2] = 300;
    write_npy(lab, "<i8", s1, 1, l, sizeof l, 0, 0);
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, lab, "label 300 of image 2 is out of range");

    size_t s3l[1] = {3};
    write_npy(lab, "<i8", s3l, 1, l, 3 * 8, 0, 0); /* count mismatch */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, lab, "3 labels, but");

    int64_t l42[8] = {0};
    size_t s42[2] = {4, 2};
    write_npy(lab, "<i8", s42, 2, l42, sizeof l42, 0, 0); /* labels [N][2] */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_FORMAT, lab, "expected shape [N] or [N][1]");

    make_npy("dn_bad", 4);
    float big[24] = {0};
    big[7] = 255.0f;
    write_npy(img, "<f4", s3, 3, big, sizeof big, 0, 0); /* float pixels not in [0, 1] */
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_NUMERIC, img, "image 1 value 1 is 255");

    make_npy("dn_bad", 4);
    assert_int_equal(unlink(lab), 0);
    s = nb_data_load("dn_bad", NB_IDX_TRAIN, 0, NULL, &ds);
    nb_expect_error(s, NB_E_IO, lab, "cannot open");
    nb_test_remove_tree("dn_bad");
}

static void test_npy_fortran(void **state) {
    (void)state;
    make_npy("dn_f", 2);
    const char *img = "dn_f/test_images.npy";
    /* hand-written header with fortran_order True */
    char h[] = "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3, 2), }";
    FILE *f = fopen(img, "wb");
    assert_non_null(f);
    size_t hl = strlen(h) + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)hl, 0};
    fwrite(pre, 1, 10, f);
    fputs(h, f);
    fputc('\n', f);
    for (int i = 0; i < 12; i++)
        fputc(0, f);
    fclose(f);
    nb_dataset ds;
    nb_status s = nb_data_load("dn_f", NB_IDX_TEST, 0, NULL, &ds);
    nb_expect_error(s, NB_E_UNSUPPORTED, img, "fortran_order is True");
    nb_test_remove_tree("dn_f");
}

/* IDX is still detected first and loads with no class names. */
static void test_idx_detect(void **state) {
    (void)state;
    nb_test_remove_tree("di_idx");
    unsigned char px[2 * 4] = {0, 1, 2, 3, 4, 5, 6, 7}, lab[2] = {1, 0};
    nb_test_write_idx_test_split("di_idx", 2, 2, 2, px, lab);
    nb_data_format fmt;
    assert_int_equal(nb_data_detect("di_idx", &fmt), NB_OK);
    assert_int_equal(fmt, NB_DATA_IDX);
    nb_dataset ds;
    assert_int_equal(nb_data_load("di_idx", NB_IDX_TEST, 0, NULL, &ds), NB_OK);
    assert_int_equal(ds.n, 2);
    assert_null(ds.class_names);
    nb_dataset_deinit(&ds);
    nb_test_write_text("di_idx/classes.txt", "shirt\ncoat\n");
    assert_int_equal(nb_data_load("di_idx", NB_IDX_TEST, 0, NULL, &ds), NB_OK);
    assert_string_equal(ds.class_names[1], "coat");
    nb_dataset_deinit(&ds);
    nb_test_remove_tree("di_idx");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folder_grey),   cmocka_unit_test(test_folder_rgb_alpha),
        cmocka_unit_test(test_folder_errors), cmocka_unit_test(test_class_names),
        cmocka_unit_test(test_npy_uint8),     cmocka_unit_test(test_npy_layouts),
        cmocka_unit_test(test_npy_errors),    cmocka_unit_test(test_npy_fortran),
        cmocka_unit_test(test_idx_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
