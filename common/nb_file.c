/* nb_file.c - atomic file output: temporary file, fsync, rename, directory fsync.
 *
 * DESIGN: POSIX rename(2) replaces a name atomically within one file system, so a writer
 * that fills "<path>.tmp.<pid>" in the target's own directory and renames it over the
 * target never exposes a partial file. fsync of the file before the rename makes sure the
 * data is on disk when the new name appears; fsync of the directory after it makes the
 * rename itself durable (ext4 and XFS need it; a file system that cannot sync a directory
 * answers EINVAL, which is not an error here). Every failure path removes the temporary
 * file. The temporary name carries the process id so that two processes writing the same
 * target do not share it.
 * Threading: no shared state; errors go to the calling thread's record. Reads no config keys.
 */
#include "nb_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dup_text(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void release(nb_file_atomic *a) {
    free(a->path);
    free(a->tmp_path);
    memset(a, 0, sizeof *a);
}

nb_status nb_file_atomic_begin(nb_file_atomic *a, const char *path, bool open_stream) {
    memset(a, 0, sizeof *a);
    if (!path || !path[0])
        return NB_RAISE(NB_E_INVALID, path, "no path to write");
    size_t cap = strlen(path) + 32;
    a->path = dup_text(path);
    a->tmp_path = malloc(cap);
    if (!a->path || !a->tmp_path) {
        release(a);
        return NB_RAISE(NB_E_NOMEM, path, "cannot allocate");
    }
    snprintf(a->tmp_path, cap, "%s.tmp.%ld", path, (long)getpid());
    if (!open_stream)
        return NB_OK;
    int fd = open(a->tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0 && !(a->stream = fdopen(fd, "wb"))) {
        int saved = errno;
        close(fd);
        unlink(a->tmp_path);
        errno = saved;
        fd = -1;
    }
    if (fd < 0) {
        nb_status st =
            NB_RAISE(NB_E_IO, path, "cannot create %s: %s", a->tmp_path, strerror(errno));
        release(a);
        return st;
    }
    return NB_OK;
}

/* fsync of an open descriptor; EINVAL (a file system that cannot sync this kind of file)
 * counts as success. */
static int sync_fd(int fd) {
    return fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
}

/* Flushes and closes a->stream and syncs the temporary file. */
static nb_status sync_tmp(nb_file_atomic *a) {
    if (a->stream) {
        FILE *f = a->stream;
        a->stream = NULL;
        bool ok = fflush(f) == 0 && !ferror(f);
        int err = errno;
        if (ok && sync_fd(fileno(f)) != 0) {
            err = errno;
            fclose(f);
            return NB_RAISE(NB_E_IO, a->path, "fsync of %s failed: %s", a->tmp_path, strerror(err));
        }
        if (fclose(f) != 0 && ok) {
            ok = false;
            err = errno;
        }
        if (!ok)
            return NB_RAISE(NB_E_IO, a->path, "write failed: %s", strerror(err));
        return NB_OK;
    }
    int fd = open(a->tmp_path, O_RDONLY);
    if (fd < 0)
        return NB_RAISE(NB_E_IO, a->path, "cannot reopen %s: %s", a->tmp_path, strerror(errno));
    nb_status st = NB_OK;
    if (sync_fd(fd) != 0)
        st = NB_RAISE(NB_E_IO, a->path, "fsync of %s failed: %s", a->tmp_path, strerror(errno));
    close(fd);
    return st;
}

/* Syncs the directory that holds path, so that a rename into it is durable. */
static nb_status sync_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 1;
    char *dir = malloc(len + 2);
    if (!dir)
        return NB_RAISE(NB_E_NOMEM, path, "cannot allocate");
    if (!slash)
        memcpy(dir, ".", 2);
    else if (len == 0)
        memcpy(dir, "/", 2);
    else {
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    nb_status st = NB_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || sync_fd(fd) != 0)
        st = NB_RAISE(NB_E_IO, path, "fsync of directory %s failed: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(dir);
    return st;
}

nb_status nb_file_atomic_commit(nb_file_atomic *a) {
    if (!a->tmp_path)
        return NB_RAISE(NB_E_INVALID, a->path, "no atomic write in progress");
    nb_status st = sync_tmp(a);
    if (st == NB_OK && rename(a->tmp_path, a->path) != 0)
        st = NB_RAISE(NB_E_IO, a->path, "cannot rename %s over it: %s", a->tmp_path,
                      strerror(errno));
    if (st != NB_OK) {
        unlink(a->tmp_path);
        release(a);
        return st;
    }
    st = sync_dir(a->path);
    release(a);
    return st;
}

void nb_file_atomic_abort(nb_file_atomic *a) {
    if (!a)
        return;
    if (a->stream)
        fclose(a->stream);
    if (a->tmp_path)
        unlink(a->tmp_path);
    release(a);
}

nb_status nb_file_save(const char *path, const void *data, size_t len) {
    nb_file_atomic a;
    NB_TRY(nb_file_atomic_begin(&a, path, true));
    if (len > 0 && fwrite(data, 1, len, a.stream) != len) {
        nb_status st = NB_RAISE(NB_E_IO, path, "write failed: %s", strerror(errno));
        nb_file_atomic_abort(&a);
        return st;
    }
    return nb_file_atomic_commit(&a);
}

nb_status nb_file_save_with(const char *path, nb_file_write_fn fn, void *user) {
    nb_file_atomic a;
    NB_TRY(nb_file_atomic_begin(&a, path, false));
    nb_status st = fn(a.tmp_path, user);
    if (st != NB_OK) {
        nb_file_atomic_abort(&a);
        return st;
    }
    return nb_file_atomic_commit(&a);
}
