/* test_file.c - atomic file output: the three ways in, and every failure path leaving the
 * target untouched and no temporary file behind. */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
    assert_non_null(strstr(a.tmp_path, "file_s.csv.nbtmp."));
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
    nb_expect_error(st, NB_E_IO, "file_no_dir/x.txt",
                    "cannot create the temporary file x.txt.nbtmp.");

    /* the target is a directory: refused before anything is written */
    mkdir("file_dir.txt", 0755);
    st = nb_file_save("file_dir.txt", "x", 1);
    nb_expect_error(st, NB_E_IO, "file_dir.txt", "is a directory");
    assert_false(nb_test_tmp_left("file_dir.txt"));
    rmdir("file_dir.txt");

    /* the writer said OK but never created the temporary file */
    st = nb_file_save_with("file_n.txt", write_nothing, NULL);
    nb_expect_error(st, NB_E_IO, "file_n.txt",
                    "cannot reopen the temporary file file_n.txt.nbtmp.");
    assert_int_not_equal(access("file_n.txt", F_OK), 0);

    nb_file_atomic a;
    nb_expect_error(nb_file_atomic_begin(&a, "", true), NB_E_INVALID, "", "no output file name");
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

/* Does any entry of the current directory start with prefix? */
static bool entry_with_prefix(const char *prefix) {
    DIR *d = opendir(".");
    bool found = false;
    for (struct dirent *e = d ? readdir(d) : NULL; e && !found; e = readdir(d))
        found = strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return found;
}

/* A legal 250-byte name: the temporary name is shortened (prefix + hash) to fit NAME_MAX. */
static void test_long_name(void **state) {
    (void)state;
    char name[251];
    memset(name, 'n', 250);
    name[250] = '\0';
    unlink(name);
    nb_file_atomic a;
    assert_int_equal(nb_file_atomic_begin(&a, name, true), NB_OK);
    const char *slash = strrchr(a.tmp_path, '/');
    char base[300];
    snprintf(base, sizeof base, "%s", slash ? slash + 1 : a.tmp_path);
    assert_true(strlen(base) <= 255);
    assert_non_null(strstr(base, ".nbtmp."));
    assert_non_null(strchr(base, '~'));
    fputs("long", a.stream);
    assert_int_equal(nb_file_atomic_commit(&a), NB_OK);
    expect_content(name, "long");
    /* no temporary file left: nothing but the target starts with the shortened stem */
    char stem[256];
    size_t keep = strlen(base) - strlen(strstr(base, "~")) + 1;
    memcpy(stem, base, keep);
    stem[keep] = '\0';
    assert_false(entry_with_prefix(stem));
    /* the lock file gets the same short stem */
    nb_file_lock l;
    assert_int_equal(nb_file_lock_acquire(&l, name), NB_OK);
    nb_file_lock_release(&l);
    assert_int_equal(unlink(name), 0);
}

/* The pid of a process that has exited (and been reaped). */
static long dead_pid(void) {
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    waitpid(p, NULL, 0);
    return (long)p;
}

/* A temporary file of a dead process is removed by the next write of its target; one of a
 * live process (pid 1) and files of other targets are kept. */
static void test_stale_cleanup(void **state) {
    (void)state;
    char dead[64], dead_work[96], live[64], other[64];
    long pid = dead_pid();
    snprintf(dead, sizeof dead, "file_st.txt.nbtmp.%ld", pid);
    snprintf(dead_work, sizeof dead_work, "file_st.txt.nbtmp.%ld.nbtmp.%ld", pid, pid);
    snprintf(live, sizeof live, "file_st.txt.nbtmp.1");
    snprintf(other, sizeof other, "file_st.txtx.nbtmp.%ld", pid);
    nb_test_write_text(dead, "half");
    nb_test_write_text(dead_work, "half");
    nb_test_write_text(live, "in use");
    nb_test_write_text(other, "another target");
    nb_test_write_text("file_st.txt.nblock", "999999999\n"); /* nobody holds it */
    assert_int_equal(nb_file_save("file_st.txt", "new", 3), NB_OK);
    expect_content("file_st.txt", "new");
    assert_false(nb_test_exists(dead));
    assert_false(nb_test_exists(dead_work));
    assert_false(nb_test_exists("file_st.txt.nblock"));
    assert_true(nb_test_exists(live));
    assert_true(nb_test_exists(other));
    unlink(live);
    unlink(other);
    unlink("file_st.txt");
}

/* Symbolic links are written through; the mode of the old file is kept; a hard link keeps the
 * old content under its other name (documented). */
static void test_links_and_mode(void **state) {
    (void)state;
    mkdir("file_real", 0755);
    nb_test_write_text("file_real/t.txt", "old");
    assert_int_equal(chmod("file_real/t.txt", 0600), 0);
    unlink("file_link.txt");
    assert_int_equal(symlink("file_real/t.txt", "file_link.txt"), 0);
    assert_int_equal(nb_file_save("file_link.txt", "new", 3), NB_OK);
    struct stat sb;
    assert_int_equal(lstat("file_link.txt", &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    expect_content("file_real/t.txt", "new");
    assert_int_equal(stat("file_real/t.txt", &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_false(nb_test_tmp_left("file_real/t.txt"));
    assert_false(nb_test_tmp_left("file_link.txt"));
    /* a relative link inside the directory, two hops, and a dangling one */
    unlink("file_real/hop.txt");
    assert_int_equal(symlink("t.txt", "file_real/hop.txt"), 0);
    unlink("file_link2.txt");
    assert_int_equal(symlink("file_real/hop.txt", "file_link2.txt"), 0);
    assert_int_equal(nb_file_save("file_link2.txt", "two", 3), NB_OK);
    expect_content("file_real/t.txt", "two");
    unlink("file_real/new.txt");
    unlink("file_dangling.txt");
    assert_int_equal(symlink("file_real/new.txt", "file_dangling.txt"), 0);
    assert_int_equal(nb_file_save("file_dangling.txt", "made", 4), NB_OK);
    expect_content("file_real/new.txt", "made");
    assert_int_equal(lstat("file_dangling.txt", &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    /* a loop */
    unlink("file_loop_a");
    unlink("file_loop_b");
    assert_int_equal(symlink("file_loop_b", "file_loop_a"), 0);
    assert_int_equal(symlink("file_loop_a", "file_loop_b"), 0);
    nb_expect_error(nb_file_save("file_loop_a", "x", 1), NB_E_IO, "file_loop_a",
                    "cannot follow the symbolic link");
    /* a hard link: this name gets the new content, the other keeps the old */
    unlink("file_real/hard.txt");
    assert_int_equal(link("file_real/t.txt", "file_real/hard.txt"), 0);
    assert_int_equal(nb_file_save("file_real/t.txt", "three", 5), NB_OK);
    expect_content("file_real/t.txt", "three");
    expect_content("file_real/hard.txt", "two");
    unlink("file_loop_a");
    unlink("file_loop_b");
    unlink("file_dangling.txt");
    unlink("file_link.txt");
    unlink("file_link2.txt");
    assert_true(nb_test_remove_tree("file_real"));
}

/* A file size limit (RLIMIT_FSIZE with SIGXFSZ ignored, as `ulimit -f`) makes write fail
 * with EFBIG like a full disk: the save fails, the target is untouched, no temporary file.
 * In a child process, so that the limit does not outlive the test. */
static void test_write_failure(void **state) {
    (void)state;
    nb_test_write_text("file_full.txt", "old");
    pid_t p = fork();
    if (p == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4096, 4096};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(3);
        static char big[1 << 16];
        memset(big, 'x', sizeof big);
        nb_status st = nb_file_save("file_full.txt", big, sizeof big);
        bool ok = st == NB_E_IO && strstr(nb_error_message(), "File too large") &&
                  strcmp(nb_error_subject(), "file_full.txt") == 0;
        nb_file_atomic a;
        ok = ok && nb_file_atomic_begin(&a, "file_full.txt", true) == NB_OK;
        for (int i = 0; ok && i < 20000; i++)
            fprintf(a.stream, "%d\n", i);
        ok = ok && nb_file_atomic_commit(&a) == NB_E_IO &&
             strstr(nb_error_message(), "write failed: File too large");
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(p, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    expect_content("file_full.txt", "old");
    assert_false(nb_test_tmp_left("file_full.txt"));
    unlink("file_full.txt");
}

/* The lock: a second taker fails with the holder's pid, in another process or this one;
 * released, it is free again and its file gone. */
static void test_lock(void **state) {
    (void)state;
    nb_file_lock l, l2;
    assert_int_equal(nb_file_lock_acquire(&l, "file_lk.nnb.h5"), NB_OK);
    assert_true(nb_test_exists("file_lk.nnb.h5.nblock"));
    char want[96];
    snprintf(want, sizeof want, "being written by another nnbundle process (pid %ld)",
             (long)getpid());
    pid_t p = fork();
    if (p == 0) {
        nb_file_lock c;
        nb_status st = nb_file_lock_acquire(&c, "file_lk.nnb.h5");
        _exit(st == NB_E_IO && strstr(nb_error_message(), want) ? 0 : 1);
    }
    int status = 0;
    waitpid(p, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    nb_expect_error(nb_file_lock_acquire(&l2, "file_lk.nnb.h5"), NB_E_IO, "file_lk.nnb.h5", want);
    /* readers and the atomic writer itself are not blocked */
    assert_int_equal(nb_file_save("file_lk.nnb.h5", "x", 1), NB_OK);
    assert_true(nb_test_exists("file_lk.nnb.h5.nblock")); /* held: not removed as stale */
    nb_file_lock_release(&l);
    nb_file_lock_release(&l); /* twice is harmless */
    assert_false(nb_test_exists("file_lk.nnb.h5.nblock"));
    assert_int_equal(nb_file_lock_acquire(&l2, "file_lk.nnb.h5"), NB_OK);
    nb_file_lock_release(&l2);
    nb_expect_error(nb_file_lock_acquire(&l2, ""), NB_E_INVALID, "", "no output file name");
    unlink("file_lk.nnb.h5");
}

/* Output paths checked before any work. */
static void test_check_outputs(void **state) {
    (void)state;
    mkdir("file_ck", 0755);
    nb_test_write_text("file_ck/in.nnb.h5", "input");
    nb_test_write_text("file_ck/data.gz", "gz");
    mkdir("file_ck/class", 0755);
    nb_test_write_text("file_ck/class/img.png", "img");
    unlink("file_ck_in_link");
    assert_int_equal(symlink("file_ck/in.nnb.h5", "file_ck_in_link"), 0);
    const nb_file_arg ins[] = {
        {"file_ck/in.nnb.h5", "FILE"}, {NULL, "--config"}, {"file_ck", "--data"}};
    nb_file_arg o[2] = {{"file_ck/out.nnb.h5", "-o"}, {"file_ck/s.json", "--stats"}};
    assert_int_equal(nb_file_check_outputs(o, 2, ins, 3), NB_OK);
    o[0].path = "";
    nb_expect_error(nb_file_check_outputs(o, 1, ins, 3), NB_E_INVALID, "-o", "no output file name");
    o[0].path = "file_ck_in_link"; /* the input through a link */
    nb_expect_error(nb_file_check_outputs(o, 1, ins, 2), NB_E_INVALID, "file_ck_in_link",
                    "same file as the input FILE file_ck/in.nnb.h5");
    o[0].path = "file_ck/class/img.png"; /* inside an input directory */
    nb_expect_error(nb_file_check_outputs(o, 1, ins, 3), NB_E_INVALID, "file_ck/class/img.png",
                    "is a file of the input --data file_ck");
    o[0].path = "file_ck/data"; /* the plain name of an input "data.gz" */
    nb_expect_error(nb_file_check_outputs(o, 1, ins, 3), NB_E_INVALID, "file_ck/data",
                    "is a file of the input --data");
    o[0].path = "file_ck/out.json"; /* two outputs, one name (neither exists) */
    o[1].path = "file_ck/class/../out.json";
    nb_expect_error(nb_file_check_outputs(o, 2, ins, 3), NB_E_INVALID, "file_ck/class/../out.json",
                    "-o and --stats name the same file");
    o[0].path = "file_no_such_dir/out.nnb.h5";
    nb_expect_error(nb_file_check_outputs(o, 1, ins, 3), NB_E_IO, "file_no_such_dir/out.nnb.h5",
                    "-o: cannot use its directory: No such file or directory");
    o[0].path = "file_ck/in.nnb.h5/x"; /* a file as directory */
    nb_expect_error(nb_file_check_outputs(o, 1, ins, 1), NB_E_IO, "file_ck/in.nnb.h5/x",
                    "its directory part is not a directory");
    o[0].path = "file_ck/class";
    nb_expect_error(nb_file_check_outputs(o, 1, NULL, 0), NB_E_IO, "file_ck/class",
                    "names a directory");
    o[0].path = "file_ck/";
    nb_expect_error(nb_file_check_outputs(o, 1, NULL, 0), NB_E_IO, "file_ck/", "names a directory");
    o[0].path = "/dev/null";
    nb_expect_error(nb_file_check_outputs(o, 1, NULL, 0), NB_E_IO, "/dev/null",
                    "not a regular file");
    nb_expect_error(nb_file_save("/dev/null", "x", 1), NB_E_IO, "/dev/null", "not a regular file");
    /* a long path keeps the reason in the message */
    char longp[3000];
    memset(longp, 'd', sizeof longp);
    memcpy(longp, "file_zz/", 8);
    longp[sizeof longp - 1] = '\0';
    o[0].path = longp;
    assert_int_equal(nb_file_check_outputs(o, 1, NULL, 0), NB_E_IO);
    nb_expect_text(nb_error_message(), "cannot use its directory");
    unlink("file_ck_in_link");
    assert_true(nb_test_remove_tree("file_ck"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_creates_and_replaces),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_save_with),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_directories),
        cmocka_unit_test(test_long_name),
        cmocka_unit_test(test_stale_cleanup),
        cmocka_unit_test(test_links_and_mode),
        cmocka_unit_test(test_write_failure),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_check_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
