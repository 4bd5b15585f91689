/* test_input.c - the checks every reader makes before reading or allocating (nb_input): the
 * byte-count syntax of --max-memory / NB_MAX_MEMORY, the limit itself, the regular-file check
 * and the UTF-8 check. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nb_input.h"
#include "nb_test.h"

static void test_parse_bytes(void **state) {
    (void)state;
    size_t b = 0;
    assert_true(nb_input_parse_bytes("1", &b));
    assert_int_equal(b, 1);
    assert_true(nb_input_parse_bytes("512K", &b));
    assert_int_equal(b, 512u * 1024u);
    assert_true(nb_input_parse_bytes("3GiB", &b));
    assert_int_equal(b, (size_t)3 << 30);
    assert_true(nb_input_parse_bytes("2g", &b));
    assert_int_equal(b, (size_t)2 << 30);
    assert_true(nb_input_parse_bytes("100B", &b));
    assert_int_equal(b, 100);
    static const char *const bad[] = {"",   "0", "-1",  "1X",        "1.5G",
                                      " 1", "G", "1GG", "99999999T", "18446744073709551616"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(nb_input_parse_bytes(bad[i], &b));
}

static void test_limit(void **state) {
    (void)state;
    unsetenv(NB_INPUT_ENV);
    size_t lim = 0;
    assert_int_equal(nb_input_max_memory(&lim), NB_OK);
    assert_int_equal(lim, NB_INPUT_DEFAULT_MAX_MEMORY);
    assert_int_equal(nb_input_check(NB_INPUT_DEFAULT_MAX_MEMORY, "x", "data"), NB_OK);
    nb_expect_error(nb_input_check(NB_INPUT_DEFAULT_MAX_MEMORY + 1, "f.idx", "the images"),
                    NB_E_NOMEM, "f.idx", "over the memory limit of 8.0 GiB");
    nb_expect_error(nb_input_check(SIZE_MAX, "f.idx", "the images"), NB_E_NOMEM, "f.idx",
                    "more bytes than a size_t holds");
    setenv(NB_INPUT_ENV, "1M", 1);
    assert_int_equal(nb_input_check(1 << 20, "x", "data"), NB_OK);
    nb_expect_error(nb_input_check((1 << 20) + 1, "g.npy", "the images"), NB_E_NOMEM, "g.npy",
                    "needs 1048577 bytes (1.0 MiB), over the memory limit of 1.0 MiB");
    setenv(NB_INPUT_ENV, "lots", 1);
    nb_expect_error(nb_input_check(1, "x", "data"), NB_E_CONFIG, NB_INPUT_ENV,
                    "'lots' is not a byte count");
    unsetenv(NB_INPUT_ENV);
    assert_int_equal(nb_input_mul(SIZE_MAX / 2, 3), SIZE_MAX);
    assert_int_equal(nb_input_mul(6, 7), 42);
}

static void test_check_file(void **state) {
    (void)state;
    nb_test_write_text("input_regular.txt", "x");
    size_t size = 0;
    assert_int_equal(nb_input_check_file("input_regular.txt", &size), NB_OK);
    assert_int_equal(size, 1);
    unlink("input_regular.txt");
    nb_expect_error(nb_input_check_file("input_regular.txt", NULL), NB_E_IO, "input_regular.txt",
                    "cannot open: No such file or directory");
    rmdir("input_dir");
    assert_int_equal(mkdir("input_dir", 0755), 0);
    nb_expect_error(nb_input_check_file("input_dir", NULL), NB_E_IO, "input_dir",
                    "is a directory, expected a regular file");
    rmdir("input_dir");
    unlink("input_fifo");
    assert_int_equal(mkfifo("input_fifo", 0644), 0);
    nb_expect_error(nb_input_check_file("input_fifo", NULL), NB_E_IO, "input_fifo",
                    "is a FIFO (named pipe)");
    unlink("input_fifo");
    nb_expect_error(nb_input_check_file("/dev/null", NULL), NB_E_IO, "/dev/null",
                    "is a character device");
}

static void test_utf8(void **state) {
    (void)state;
    static const char *const good[] = {
        "", "T-shirt/top", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(nb_input_is_utf8(good[i], strlen(good[i])));
    static const char *const bad[] = {"\xe9t\xe9",
                                      "\xc0\xaf",
                                      "\xc3",
                                      "\xe0\x80\xaf",
                                      "\xed\xa0\x80",
                                      "\xf4\x90\x80\x80",
                                      "\xf8\x88\x80\x80\x80",
                                      "\xff\xfe",
                                      "ok\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(nb_input_is_utf8(bad[i], strlen(bad[i])));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_bytes),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_check_file),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
