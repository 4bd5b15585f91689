/* test_idx.c - IDX loading from tiny generated files (raw and gzip'd), every error path, and
 * the real Fashion-MNIST test split when the Debian package is installed. */
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nb_idx.h"
#include "nb_test.h"

/* ---- fixture writers ------------------------------------------------------------------ */

static size_t put_be32(unsigned char *b, uint32_t v) {
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
    return 4;
}

static void write_bytes(const char *path, const unsigned char *data, size_t n, bool gz) {
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, data, (unsigned)n), (int)n);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, n, f), n);
        fclose(f);
    }
}

/* An images file: magic, n x rows x cols, pixel (i, p) = (i * 31 + p) % 256; `cut` bytes
 * removed from the end, `extra` zero bytes appended. */
static void write_images(const char *path, uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols,
                         size_t cut, size_t extra, bool gz) {
    size_t payload = (size_t)n * rows * cols;
    unsigned char *b = calloc(16 + payload + extra, 1);
    size_t o = put_be32(b, magic);
    o += put_be32(b + o, n);
    o += put_be32(b + o, rows);
    o += put_be32(b + o, cols);
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < (size_t)rows * cols; p++)
            b[o + i * rows * cols + p] = (unsigned char)((i * 31 + p) % 256);
    write_bytes(path, b, o + payload + extra - cut, gz);
    free(b);
}

/* A labels file: labels i % n_classes. */
static void write_labels(const char *path, uint32_t magic, uint32_t n, unsigned n_classes,
                         size_t cut, bool gz) {
    unsigned char *b = calloc(8 + n, 1);
    size_t o = put_be32(b, magic);
    o += put_be32(b + o, n);
    for (size_t i = 0; i < n; i++)
        b[o + i] = (unsigned char)(i % n_classes);
    write_bytes(path, b, o + n - cut, gz);
    free(b);
}

/* The error (nb_expect_error) and, on failure, a zeroed output. */
static void expect_error(nb_status got, nb_status want, const char *subject, const char *frag,
                         const nb_dataset *ds) {
    nb_expect_error(got, want, subject, frag);
    /* on failure the output is zeroed */
    assert_null(ds->images);
    assert_null(ds->labels);
    assert_int_equal(ds->n, 0);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void check_tiny(const nb_dataset *ds, size_t n) {
    assert_int_equal(ds->n, n);
    assert_int_equal(ds->rows, 3);
    assert_int_equal(ds->cols, 4);
    assert_int_equal(ds->dim, 12);
    assert_int_equal(ds->n_classes, n >= 3 ? 3 : n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ds->labels[i], i % 3);
        for (size_t p = 0; p < 12; p++)
            nb_assert_near(ds->images[i * 12 + p], (float)((i * 31 + p) % 256) / 255.0f, 1e-7);
    }
}

static void test_load_raw_and_gz(void **state) {
    (void)state;
    nb_dataset ds;
    for (int gz = 0; gz < 2; gz++) {
        write_images("idx_img", 0x803, 5, 3, 4, 0, 0, gz);
        write_labels("idx_lab", 0x801, 5, 3, 0, gz);
        assert_int_equal(nb_idx_load_pair("idx_img", "idx_lab", 0, &ds), NB_OK);
        check_tiny(&ds, 5);
        nb_dataset_deinit(&ds);
        assert_int_equal(nb_idx_load_pair("idx_img", "idx_lab", 2, &ds), NB_OK);
        check_tiny(&ds, 2);
        nb_dataset_deinit(&ds);
        assert_int_equal(nb_idx_load_pair("idx_img", "idx_lab", 99, &ds), NB_OK);
        check_tiny(&ds, 5);
        nb_dataset_deinit(&ds);
    }
    /* pixel 255 maps to exactly 1 */
    unsigned char one[17] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 255};
    write_bytes("idx_img", one, sizeof one, false);
    write_labels("idx_lab", 0x801, 1, 1, 0, false);
    assert_int_equal(nb_idx_load_pair("idx_img", "idx_lab", 0, &ds), NB_OK);
    assert_true(ds.images[0] == 1.0f);
    assert_int_equal(ds.n_classes, 1);
    nb_dataset_deinit(&ds);
    nb_dataset_deinit(&ds);
    unlink("idx_img");
    unlink("idx_lab");
}

static void test_load_dir(void **state) {
    (void)state;
    mkdir("idx_dir", 0755);
    /* train gz'd, test raw */
    write_images("idx_dir/train-images-idx3-ubyte.gz", 0x803, 4, 3, 4, 0, 0, true);
    write_labels("idx_dir/train-labels-idx1-ubyte.gz", 0x801, 4, 3, 0, true);
    write_images("idx_dir/t10k-images-idx3-ubyte", 0x803, 3, 3, 4, 0, 0, false);
    write_labels("idx_dir/t10k-labels-idx1-ubyte", 0x801, 3, 3, 0, false);
    nb_dataset ds;
    assert_int_equal(nb_idx_load_dir("idx_dir", NB_IDX_TRAIN, 0, &ds), NB_OK);
    check_tiny(&ds, 4);
    nb_dataset_deinit(&ds);
    assert_int_equal(nb_idx_load_dir("idx_dir", NB_IDX_TEST, 0, &ds), NB_OK);
    check_tiny(&ds, 3);
    assert_int_equal(nb_dataset_check_labels(&ds, 3, "idx_dir"), NB_OK);
    nb_status s = nb_dataset_check_labels(&ds, 2, "idx_dir");
    assert_int_equal(s, NB_E_MISMATCH);
    assert_string_equal(nb_error_subject(), "idx_dir");
    assert_non_null(strstr(nb_error_message(), "label 2 of image 2"));
    nb_dataset_deinit(&ds);

    unlink("idx_dir/t10k-labels-idx1-ubyte");
    s = nb_idx_load_dir("idx_dir", NB_IDX_TEST, 0, &ds);
    expect_error(s, NB_E_IO, "idx_dir/t10k-labels-idx1-ubyte", "no such file", &ds);
    s = nb_idx_load_dir("idx_no_dir", NB_IDX_TRAIN, 0, &ds);
    expect_error(s, NB_E_IO, "idx_no_dir/train-images-idx3-ubyte", "no such file", &ds);
    unlink("idx_dir/train-images-idx3-ubyte.gz");
    unlink("idx_dir/train-labels-idx1-ubyte.gz");
    unlink("idx_dir/t10k-images-idx3-ubyte");
    rmdir("idx_dir");
}

static void test_errors(void **state) {
    (void)state;
    nb_dataset ds;
    nb_status s;
    write_labels("idx_e_lab", 0x801, 5, 3, 0, true);

    s = nb_idx_load_pair("idx_e_missing", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_IO, "idx_e_missing", "cannot open", &ds);

    /* a labels file given as images */
    s = nb_idx_load_pair("idx_e_lab", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_lab", "1 dimensions, expected 0x00000803", &ds);
    /* images given as labels */
    write_images("idx_e_img", 0x803, 5, 3, 4, 0, 0, true);
    s = nb_idx_load_pair("idx_e_img", "idx_e_img", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_img", "3 dimensions, expected 0x00000801", &ds);
    /* not IDX at all */
    const unsigned char text[] = "hello, world, this is not idx";
    write_bytes("idx_e_txt", text, sizeof text, false);
    s = nb_idx_load_pair("idx_e_txt", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_txt", "is not an IDX file", &ds);
    /* float elements */
    write_images("idx_e_img", 0x0D03, 5, 3, 4, 0, 0, true);
    s = nb_idx_load_pair("idx_e_img", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_img", "element type 0x0d (float)", &ds);
    /* zero rows */
    write_images("idx_e_img", 0x803, 5, 0, 4, 0, 0, false);
    s = nb_idx_load_pair("idx_e_img", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_img", "dimension 1 is 0", &ds);
    /* truncated header */
    write_images("idx_e_img", 0x803, 5, 3, 4, 5 * 12 + 2, 0, true);
    s = nb_idx_load_pair("idx_e_img", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_img", "truncated: the header has 14 of 16 bytes", &ds);
    /* truncated payload (raw and gz) */
    write_images("idx_e_img", 0x803, 5, 3, 4, 7, 0, false);
    s = nb_idx_load_pair("idx_e_img", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_img", "truncated: the pixels has 53 of 60 bytes", &ds);
    write_images("idx_e_img", 0x803, 5, 3, 4, 1, 0, true);
    s = nb_idx_load_pair("idx_e_img", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_img", "truncated", &ds);
    /* ...but the first 4 images are complete */
    assert_int_equal(nb_idx_load_pair("idx_e_img", "idx_e_lab", 4, &ds), NB_OK);
    nb_dataset_deinit(&ds);
    /* truncated labels */
    write_images("idx_e_img", 0x803, 5, 3, 4, 0, 0, true);
    write_labels("idx_e_lab2", 0x801, 5, 3, 2, false);
    s = nb_idx_load_pair("idx_e_img", "idx_e_lab2", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_lab2", "truncated: the labels has 3 of 5 bytes", &ds);
    /* trailing bytes */
    write_images("idx_e_img", 0x803, 5, 3, 4, 0, 3, false);
    s = nb_idx_load_pair("idx_e_img", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_img", "unexpected bytes after the last record", &ds);
    /* counts disagree */
    write_images("idx_e_img", 0x803, 6, 3, 4, 0, 0, true);
    s = nb_idx_load_pair("idx_e_img", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_lab", "5 labels, but idx_e_img holds 6 images", &ds);
    /* corrupt gzip stream: flip bytes in the middle of the compressed data */
    write_images("idx_e_img", 0x803, 50, 8, 8, 0, 0, true);
    FILE *f = fopen("idx_e_img", "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size / 2, SEEK_SET);
    const unsigned char junk[8] = {0xff, 0x00, 0xff, 0x00, 0xde, 0xad, 0xbe, 0xef};
    fwrite(junk, 1, sizeof junk, f);
    fclose(f);
    write_labels("idx_e_lab", 0x801, 50, 3, 0, true);
    s = nb_idx_load_pair("idx_e_img", "idx_e_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_e_img", NULL, &ds);

    unlink("idx_e_img");
    unlink("idx_e_lab");
    unlink("idx_e_lab2");
    unlink("idx_e_txt");
}

/* What zlib alone would accept: bytes after the gzip stream; a gzip header that declares more
 * than the file can expand to; and a data set whose classes are not all present. */
static void test_hostile(void **state) {
    (void)state;
    nb_dataset ds;
    write_images("idx_h_img", 0x803, 5, 3, 4, 0, 0, true);
    write_labels("idx_h_lab", 0x801, 5, 3, 0, true);
    assert_int_equal(nb_idx_load_pair("idx_h_img", "idx_h_lab", 0, &ds), NB_OK);
    nb_dataset_deinit(&ds);
    FILE *f = fopen("idx_h_img", "ab");
    assert_non_null(f);
    fputs("garbage after the stream", f);
    fclose(f);
    nb_status s = nb_idx_load_pair("idx_h_img", "idx_h_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_h_img", "trailing data after the gzip stream", &ds);

    /* 1,000,000 images of 1000 x 1000 in a gzip file of a few bytes: refused before reading */
    unsigned char h[16];
    size_t o = put_be32(h, 0x803);
    o += put_be32(h + o, 1000000);
    o += put_be32(h + o, 1000);
    put_be32(h + o, 1000);
    write_bytes("idx_h_img", h, sizeof h, true);
    write_labels("idx_h_lab", 0x801, 1000000, 3, 0, true);
    s = nb_idx_load_pair("idx_h_img", "idx_h_lab", 0, &ds);
    expect_error(s, NB_E_FORMAT, "idx_h_img", "more than a gzip file of", &ds);

    /* classes: labels 0, 1, 2, 0, 1 are fine; a stray 9 leaves classes 3..8 empty */
    write_images("idx_h_img", 0x803, 5, 3, 4, 0, 0, false);
    write_labels("idx_h_lab", 0x801, 5, 3, 0, false);
    assert_int_equal(nb_idx_load_pair("idx_h_img", "idx_h_lab", 0, &ds), NB_OK);
    assert_int_equal(nb_dataset_check_classes(&ds, "d"), NB_OK);
    ds.labels[4] = 9;
    ds.n_classes = 10;
    nb_expect_error(nb_dataset_check_classes(&ds, "d"), NB_E_FORMAT, "d",
                    "class 3 has no images (6 of the 10 classes 0..9 are empty)");
    ds.labels[4] = 12;
    nb_expect_error(nb_dataset_check_classes(&ds, "d"), NB_E_FORMAT, "d",
                    "label 12 of image 4 is outside 0..9");
    nb_dataset_deinit(&ds);
    unlink("idx_h_img");
    unlink("idx_h_lab");
}

static void test_fashion_mnist(void **state) {
    (void)state;
    if (access(NB_IDX_DEFAULT_DIR "/t10k-labels-idx1-ubyte.gz", R_OK) != 0)
        skip();
    nb_dataset ds;
    nb_status s = nb_idx_load_dir(NB_IDX_DEFAULT_DIR, NB_IDX_TEST, 0, &ds);
    if (s != NB_OK)
        fail_msg("%s", nb_error_message());
    assert_int_equal(ds.n, 10000);
    assert_int_equal(ds.rows, 28);
    assert_int_equal(ds.cols, 28);
    assert_int_equal(ds.n_classes, 10);
    const uint8_t first[8] = {9, 2, 1, 1, 6, 1, 4, 6};
    assert_memory_equal(ds.labels, first, 8);
    size_t hist[10] = {0};
    for (size_t i = 0; i < ds.n; i++)
        hist[ds.labels[i]]++;
    for (int c = 0; c < 10; c++)
        assert_int_equal(hist[c], 1000);
    for (size_t i = 0; i < ds.n * ds.dim; i++)
        assert_true(ds.images[i] >= 0.0f && ds.images[i] <= 1.0f);
    nb_dataset_deinit(&ds);
    assert_int_equal(nb_idx_load_dir(NB_IDX_DEFAULT_DIR, NB_IDX_TRAIN, 16, &ds), NB_OK);
    assert_int_equal(ds.n, 16);
    const uint8_t train_first[8] = {9, 0, 0, 3, 0, 2, 7, 2};
    assert_memory_equal(ds.labels, train_first, 8);
    nb_dataset_deinit(&ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_raw_and_gz), cmocka_unit_test(test_load_dir),
        cmocka_unit_test(test_errors),          cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
