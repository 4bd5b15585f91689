/* test_file.c - atomic file output: the three ways in, and every failure path leaving the
 * target untouched and no temporary file behind. */
#include <sys/stat.h>
#include <unistd.h>

#include "nb_file.h"
#include "nb_test.h"

static void expect_content(const char *path, const char *want) {
    char *got = nb_test_read_file(path, NULL);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_save_creates_and_replaces(void **state) {
    (void)state;
    unlink("file_a.txt");
    assert_int_equal(nb_file_save("file_a.txt", "first\n", 6), NB_OK);
    expect_content("file_a.txt", "first\n");
    assert_int_equal(nb_file_save("file_a.txt", "second", 6), NB_OK);
    expect_content("file_a.txt", "second");
    assert_int_equal(nb_file_save("file_a.txt", "", 0), NB_OK);
    expect_content("file_a.txt", "");
    assert_false(nb_test_tmp_left("file_a.txt"));
    unlink("file_a.txt");
}

static void test_stream(void **state) {
    (void)state;
    nb_file_atomic a;
    assert_int_equal(nb_file_atomic_begin(&a, "file_s.csv", true), NB_OK);
    assert_non_null(a.stream);
    assert_non_null(strstr(a.tmp_path, "file_s.csv.tmp."));
    for (int i = 0; i < 3; i++)
        fprintf(a.stream, "%d,%d\n", i, i * i);
    /* nothing under the target's name until the commit */
    assert_int_not_equal(access("file_s.csv", F_OK), 0);
    assert_int_equal(nb_file_atomic_commit(&a), NB_OK);
    assert_null(a.tmp_path);
    expect_content("file_s.csv", "0,0\n1,1\n2,4\n");
    assert_false(nb_test_tmp_left("file_s.csv"));

    /* abort keeps the old file */
    assert_int_equal(nb_file_atomic_begin(&a, "file_s.csv", true), NB_OK);
    fputs("half a line", a.stream);
    nb_file_atomic_abort(&a);
    nb_file_atomic_abort(&a); /* twice is harmless */
    expect_content("file_s.csv", "0,0\n1,1\n2,4\n");
    assert_false(nb_test_tmp_left("file_s.csv"));
    unlink("file_s.csv");
}

typedef struct job {
    const char *text;
    nb_status fail;
} job;

/* A writer that creates the file by name, as HDF5 and stb_image_write do. */
static nb_status write_by_name(const char *tmp_path, void *user) {
    const job *j = user;
    FILE *f = fopen(tmp_path, "w");
    if (!f)
        return NB_RAISE(NB_E_IO, tmp_path, "cannot create");
    fputs(j->text, f);
    fclose(f);
    if (j->fail != NB_OK)
        return NB_RAISE(j->fail, "job", "failed after writing");
    return NB_OK;
}

static nb_status write_nothing(const char *tmp_path, void *user) {
    (void)tmp_path;
    (void)user;
    return NB_OK;
}

static void test_save_with(void **state) {
    (void)state;
    job ok = {"by name\n", NB_OK};
    assert_int_equal(nb_file_save_with("file_w.txt", write_by_name, &ok), NB_OK);
    expect_content("file_w.txt", "by name\n");

    /* the writer's own failure comes back unchanged; the old file stays */
    job bad = {"garbage", NB_E_NUMERIC};
    nb_status st = nb_file_save_with("file_w.txt", write_by_name, &bad);
    nb_expect_error(st, NB_E_NUMERIC, "job", "failed after writing");
    expect_content("file_w.txt", "by name\n");
    assert_false(nb_test_tmp_left("file_w.txt"));
    unlink("file_w.txt");
}

static void test_errors(void **state) {
    (void)state;
    nb_status st = nb_file_save("file_no_dir/x.txt", "x", 1);
    nb_expect_error(st, NB_E_IO, "file_no_dir/x.txt", "cannot create file_no_dir/x.txt.tmp.");

    /* the target is a directory: the rename fails after the data was written */
    mkdir("file_dir.txt", 0755);
    st = nb_file_save("file_dir.txt", "x", 1);
    nb_expect_error(st, NB_E_IO, "file_dir.txt", "cannot rename file_dir.txt.tmp.");
    assert_false(nb_test_tmp_left("file_dir.txt"));
    rmdir("file_dir.txt");

    /* the writer said OK but never created the temporary file */
    st = nb_file_save_with("file_n.txt", write_nothing, NULL);
    nb_expect_error(st, NB_E_IO, "file_n.txt", "cannot reopen file_n.txt.tmp.");
    assert_int_not_equal(access("file_n.txt", F_OK), 0);

    nb_file_atomic a;
    nb_expect_error(nb_file_atomic_begin(&a, "", true), NB_E_INVALID, "", "no path");
    assert_null(a.path);
    nb_expect_error(nb_file_atomic_commit(&a), NB_E_INVALID, "", "no atomic write");

    /* a read-only directory (permissions do not bind root) */
    if (geteuid() != 0) {
        mkdir("file_ro", 0755);
        nb_test_write_file("file_ro/keep.txt", "old", 3);
        chmod("file_ro", 0555);
        st = nb_file_save("file_ro/keep.txt", "new", 3);
        chmod("file_ro", 0755);
        nb_expect_error(st, NB_E_IO, "file_ro/keep.txt", "cannot create");
        expect_content("file_ro/keep.txt", "old");
        unlink("file_ro/keep.txt");
        rmdir("file_ro");
    }
}

/* A path without a directory part and one with an absolute directory both sync their
 * directory (".", "/tmp"). */
static void test_directories(void **state) {
    (void)state;
    assert_int_equal(nb_file_save("file_here.txt", "1", 1), NB_OK);
    unlink("file_here.txt");
    char path[64];
    snprintf(path, sizeof path, "/tmp/nb_test_file_%ld.txt", (long)getpid());
    assert_int_equal(nb_file_save(path, "2", 1), NB_OK);
    expect_content(path, "2");
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_creates_and_replaces),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_save_with),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_directories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
