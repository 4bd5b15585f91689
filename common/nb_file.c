/* nb_file.c - atomic file output: temporary file, checked writes, fsync, rename, directory
 * fsync; output-path checks and an advisory write lock.
 *
 * DESIGN: POSIX rename(2) replaces a name atomically within one file system, so a writer
 * that fills "<name>.nbtmp.<pid>" in the real target's own directory and renames it over the
 * target never exposes a partial file. fsync of the file before the rename makes sure the
 * data is on disk when the new name appears; fsync of the directory after it makes the
 * rename itself durable (ext4 and XFS need it; a file system that cannot sync a directory
 * answers EINVAL, which is not an error here). Every failure path removes the temporary
 * file. The temporary name carries the process id, so that two processes writing the same
 * target do not share it and so that the next writer of the target can tell a stale one (its
 * process is gone: kill(pid, 0) answers ESRCH) from one in use, and remove it. A name too
 * long for the suffix is shortened to a prefix plus a 64-bit FNV-1a hash of the whole name,
 * so that it stays unique and within NAME_MAX.
 * Symbolic links are resolved by hand (readlink in a loop) rather than with realpath(3),
 * which fails on a dangling link that the write should create the target of.
 * The lock is flock(2) on a separate "<name>.nblock" file, not on the target: the target is
 * replaced by each commit (a lock on it would guard a dead inode), HDF5 opens the target
 * itself (its own file locking would collide with ours, and a POSIX fcntl lock would be lost
 * when HDF5 closes its descriptor). The lock file holds the owner's pid for the message; its
 * holder removes it before releasing, and a taker checks after flock that the name still
 * points at the inode it locked (else it retries), so removal cannot admit two holders.
 * Threading: no shared state; errors go to the calling thread's record. Reads no config keys.
 */
#define _DEFAULT_SOURCE /* flock(2), realpath(3): BSD and XSI beside the build's POSIX level */

#include "nb_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nb_input.h"
#include "nb_log.h"

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

#define TMP_TAG  ".nbtmp."
#define LOCK_TAG ".nblock"
/* room kept after the stem: TMP_TAG, up to 10 pid digits, and slack */
#define SUFFIX_ROOM   24
#define HASH_CHARS    17 /* "~" + 16 hex digits */
#define MAX_LINK_HOPS 40

static char *dup_text(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* dir + "/" + name, or name alone when dir is NULL; malloc'd. */
static char *join(const char *dir, size_t dir_len, const char *name) {
    size_t n = strlen(name);
    char *p = malloc(dir_len + n + 2);
    if (!p)
        return NULL;
    if (dir_len) {
        memcpy(p, dir, dir_len);
        p[dir_len] = '/';
        memcpy(p + dir_len + 1, name, n + 1);
    } else {
        memcpy(p, name, n + 1);
    }
    return p;
}

/* The file a write of `path` replaces: symbolic links followed (dangling ones too).
 * Returns a malloc'd path, or NULL with errno set (ELOOP, ENOMEM, a readlink error). */
static char *resolve_links(const char *path) {
    char *cur = dup_text(path);
    for (int hop = 0; cur && hop <= MAX_LINK_HOPS; hop++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        char target[PATH_MAX];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n < 0) {
            int e = errno;
            free(cur);
            errno = e;
            return NULL;
        }
        target[n] = '\0';
        char *next;
        const char *slash = strrchr(cur, '/');
        if (target[0] == '/' || !slash)
            next = dup_text(target);
        else
            next = join(cur, (size_t)(slash - cur), target);
        free(cur);
        cur = next;
    }
    if (cur) {
        free(cur);
        errno = ELOOP;
    } else {
        errno = ENOMEM;
    }
    return NULL;
}

/* Splits path into its directory part (length *dir_len; 0 = the current directory, and
 * "/" for a file in the root is length 0 with *root set) and its base name. */
static const char *split(const char *path, size_t *dir_len, bool *root) {
    const char *slash = strrchr(path, '/');
    *root = slash == path;
    *dir_len = slash && slash != path ? (size_t)(slash - path) : 0;
    return slash ? slash + 1 : path;
}

/* The directory of path as a string for open(2): ".", "/" or the directory part. */
static char *dir_of(const char *path) {
    size_t len;
    bool root;
    split(path, &len, &root);
    if (root)
        return dup_text("/");
    if (len == 0)
        return dup_text(".");
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, path, len);
        d[len] = '\0';
    }
    return d;
}

/* The stem that temporary and lock names of a target with base name `base` start with:
 * base itself, or a prefix of it plus "~<hash>" when base leaves no room for a suffix within
 * NAME_MAX. Writes at most NAME_MAX + 1 bytes to out. */
static void stem_of(const char *base, char out[NAME_MAX + 1]) {
    size_t n = strlen(base);
    if (n + SUFFIX_ROOM <= NAME_MAX) {
        memcpy(out, base, n + 1);
        return;
    }
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, 64 bits */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)base[i]) * 0x100000001b3ULL;
    size_t keep = NAME_MAX - SUFFIX_ROOM - HASH_CHARS;
    while (keep > 0 && ((unsigned char)base[keep] & 0xC0) == 0x80)
        keep--; /* do not cut a UTF-8 sequence */
    memcpy(out, base, keep);
    snprintf(out + keep, NAME_MAX + 1 - keep, "~%016llx", (unsigned long long)h);
}

/* "<dir of real>/<stem><tag>[<pid>]", malloc'd. */
static char *sibling(const char *real, const char *tag, long pid) {
    size_t dir_len;
    bool root;
    const char *base = split(real, &dir_len, &root);
    char name[NAME_MAX + 1], stem[NAME_MAX + 1];
    stem_of(base, stem);
    if (pid > 0)
        snprintf(name, sizeof name, "%s%s%ld", stem, tag, pid);
    else
        snprintf(name, sizeof name, "%s%s", stem, tag);
    if (root) {
        char *p = malloc(strlen(name) + 2);
        if (p)
            snprintf(p, strlen(name) + 2, "/%s", name);
        return p;
    }
    return join(real, dir_len, name);
}

static bool process_gone(long pid) {
    return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Removes "<stem>.nbtmp.<pid>[.anything]" beside real whose <pid> is a process that no
 * longer exists (left by a killed run), and a "<stem>.nblock" nobody holds. Best effort:
 * failures are ignored (the write itself reports what matters). */
static void remove_stale(const char *real) {
    size_t dir_len;
    bool root;
    const char *base = split(real, &dir_len, &root);
    char stem[NAME_MAX + 1];
    stem_of(base, stem);
    size_t stem_len = strlen(stem), tag_len = strlen(TMP_TAG);
    char *dir = dir_of(real);
    DIR *d = dir ? opendir(dir) : NULL;
    const long self = (long)getpid();
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        const char *n = e->d_name;
        if (strncmp(n, stem, stem_len) != 0 || strncmp(n + stem_len, TMP_TAG, tag_len) != 0)
            continue;
        const char *digits = n + stem_len + tag_len;
        char *end;
        errno = 0;
        long pid = strtol(digits, &end, 10);
        if (end == digits || errno || (*end != '\0' && *end != '.') || pid == self ||
            !process_gone(pid))
            continue;
        char *p = join(dir, strlen(dir), n);
        if (p && unlink(p) == 0)
            nb_log_debug("removed %s, left by process %ld (no longer running)", p, pid);
        free(p);
    }
    if (d)
        closedir(d);
    free(dir);
    /* a lock file left by a killed holder: removable once nobody holds it */
    char *lock = sibling(real, LOCK_TAG, 0);
    int fd = lock ? open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(lock, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            unlink(lock);
    }
    if (fd >= 0)
        close(fd);
    free(lock);
}

static void release(nb_file_atomic *a) {
    free(a->path);
    free(a->real_path);
    free(a->tmp_path);
    memset(a, 0, sizeof *a);
}

/* The base name of a temporary path, for messages. */
static const char *base_of(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

nb_status nb_file_atomic_begin(nb_file_atomic *a, const char *path, bool open_stream) {
    memset(a, 0, sizeof *a);
    if (!path || !path[0])
        return NB_RAISE(NB_E_INVALID, path, "no output file name (an empty string)");
    size_t len = strlen(path);
    if (path[len - 1] == '/')
        return NB_RAISE(NB_E_IO, path, "names a directory, not a file");
    a->path = dup_text(path);
    if (!a->path) {
        release(a);
        return NB_RAISE(NB_E_NOMEM, path, "cannot allocate");
    }
    a->real_path = resolve_links(path);
    if (!a->real_path) {
        int e = errno;
        release(a);
        if (e == ENOMEM)
            return NB_RAISE(NB_E_NOMEM, path, "cannot allocate");
        return NB_RAISE(NB_E_IO, path, "cannot follow the symbolic link: %s", strerror(e));
    }
    struct stat sb;
    if (stat(a->real_path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        release(a);
        return NB_RAISE(NB_E_IO, path, "is %s, not a regular file",
                        nb_input_file_kind((unsigned)sb.st_mode));
    }
    a->tmp_path = sibling(a->real_path, TMP_TAG, (long)getpid());
    if (!a->tmp_path) {
        release(a);
        return NB_RAISE(NB_E_NOMEM, path, "cannot allocate");
    }
    remove_stale(a->real_path);
    if (!open_stream)
        return NB_OK;
    int fd = open(a->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd >= 0 && !(a->stream = fdopen(fd, "wb"))) {
        int saved = errno;
        close(fd);
        unlink(a->tmp_path);
        errno = saved;
        fd = -1;
    }
    if (fd < 0) {
        nb_status st = NB_RAISE(NB_E_IO, path, "cannot create the temporary file %s: %s",
                                base_of(a->tmp_path), strerror(errno));
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

/* Gives the temporary file (open as fd) the mode and, where permitted, the owner of the file
 * it replaces; warns when that file has other hard links (they keep the old content). */
static nb_status copy_mode(const nb_file_atomic *a, int fd) {
    struct stat old;
    if (stat(a->real_path, &old) != 0 || !S_ISREG(old.st_mode))
        return NB_OK; /* a new file: 0666 less the umask */
    if (fchmod(fd, old.st_mode & 07777) != 0)
        return NB_RAISE(NB_E_IO, a->path, "cannot give the new file the old mode %o: %s",
                        (unsigned)(old.st_mode & 07777), strerror(errno));
    struct stat now;
    if (fstat(fd, &now) == 0 && (now.st_uid != old.st_uid || now.st_gid != old.st_gid) &&
        fchown(fd, old.st_uid, old.st_gid) == 0)
        (void)fchmod(fd, old.st_mode & 07777); /* chown may clear set-id bits */
    if (old.st_nlink > 1)
        nb_log_warn("%s has %lu hard links: only this name gets the new content, the other "
                    "names keep the old file",
                    a->path, (unsigned long)old.st_nlink);
    return NB_OK;
}

/* Flushes and closes a->stream (or reopens a file written by name), gives it the old mode and
 * syncs it. */
static nb_status sync_tmp(nb_file_atomic *a) {
    if (a->stream) {
        FILE *f = a->stream;
        a->stream = NULL;
        bool ok = fflush(f) == 0 && !ferror(f);
        int err = ok ? 0 : errno ? errno : EIO;
        nb_status st = NB_OK;
        if (ok)
            st = copy_mode(a, fileno(f));
        if (ok && st == NB_OK && sync_fd(fileno(f)) != 0)
            st = NB_RAISE(NB_E_IO, a->path, "fsync of the temporary file %s failed: %s",
                          base_of(a->tmp_path), strerror(errno));
        if (fclose(f) != 0 && ok) {
            ok = false;
            err = errno ? errno : EIO;
        }
        if (st != NB_OK)
            return st;
        if (!ok)
            return NB_RAISE(NB_E_IO, a->path, "write failed: %s", strerror(err));
        return NB_OK;
    }
    int fd = open(a->tmp_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NB_RAISE(NB_E_IO, a->path, "cannot reopen the temporary file %s: %s",
                        base_of(a->tmp_path), strerror(errno));
    nb_status st = copy_mode(a, fd);
    if (st == NB_OK && sync_fd(fd) != 0)
        st = NB_RAISE(NB_E_IO, a->path, "fsync of the temporary file %s failed: %s",
                      base_of(a->tmp_path), strerror(errno));
    close(fd);
    return st;
}

/* Syncs the directory that holds path, so that a rename into it is durable. */
static nb_status sync_dir(const char *path, const char *subject) {
    char *dir = dir_of(path);
    if (!dir)
        return NB_RAISE(NB_E_NOMEM, subject, "cannot allocate");
    nb_status st = NB_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || sync_fd(fd) != 0)
        st = NB_RAISE(NB_E_IO, subject, "fsync of directory %s failed: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(dir);
    return st;
}

nb_status nb_file_atomic_commit(nb_file_atomic *a) {
    if (!a->tmp_path)
        return NB_RAISE(NB_E_INVALID, a->path, "no atomic write in progress");
    nb_status st = sync_tmp(a);
    if (st == NB_OK && rename(a->tmp_path, a->real_path) != 0)
        st = NB_RAISE(NB_E_IO, a->path, "cannot rename the temporary file %s over it: %s",
                      base_of(a->tmp_path), strerror(errno));
    if (st != NB_OK) {
        unlink(a->tmp_path);
        release(a);
        return st;
    }
    st = sync_dir(a->real_path, a->path);
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

nb_status nb_file_prepare_with(const char *path, nb_file_write_fn fn, void *user,
                               nb_file_atomic *a) {
    NB_TRY(nb_file_atomic_begin(a, path, false));
    nb_status st = fn(a->tmp_path, user);
    if (st != NB_OK)
        nb_file_atomic_abort(a);
    return st;
}

nb_status nb_file_save_with(const char *path, nb_file_write_fn fn, void *user) {
    nb_file_atomic a;
    NB_TRY(nb_file_prepare_with(path, fn, user, &a));
    return nb_file_atomic_commit(&a);
}

/* ---- output-path checks ----------------------------------------------------------------- */

/* The file identity of path (symbolic links followed); false when it does not exist. */
static bool identity(const char *path, dev_t *dev, ino_t *ino) {
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    *dev = st.st_dev;
    *ino = st.st_ino;
    return true;
}

/* Is the file (dev, ino) inside directory dir, at most `depth` levels down? */
static bool dir_holds(const char *dir, dev_t dev, ino_t ino, int depth) {
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    for (struct dirent *e = readdir(d); e && !found; e = readdir(d)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = join(dir, strlen(dir), e->d_name);
        struct stat st;
        if (p && stat(p, &st) == 0) {
            if (st.st_dev == dev && st.st_ino == ino)
                found = true;
            else if (S_ISDIR(st.st_mode) && depth > 1)
                found = dir_holds(p, dev, ino, depth - 1);
        }
        free(p);
    }
    closedir(d);
    return found;
}

/* The canonical name of a file that may not exist: realpath of its (resolved) directory plus
 * its base name; malloc'd, or NULL. */
static char *canonical(const char *path) {
    char *real = resolve_links(path);
    if (!real)
        return NULL;
    char *dir = dir_of(real);
    char *rd = dir ? realpath(dir, NULL) : NULL;
    size_t dl;
    bool root;
    const char *base = split(real, &dl, &root);
    char *out = rd ? join(rd, strcmp(rd, "/") ? strlen(rd) : 0, base) : NULL;
    if (out && !strcmp(rd, "/")) {
        char *o2 = malloc(strlen(base) + 2);
        if (o2)
            snprintf(o2, strlen(base) + 2, "/%s", base);
        free(out);
        out = o2;
    }
    free(rd);
    free(dir);
    free(real);
    return out;
}

static bool same_output(const char *a, const char *b) {
    dev_t da, db;
    ino_t ia, ib;
    bool ea = identity(a, &da, &ia), eb = identity(b, &db, &ib);
    if (ea && eb)
        return da == db && ia == ib;
    if (ea != eb)
        return false;
    char *ca = canonical(a), *cb = canonical(b);
    bool same = ca && cb && !strcmp(ca, cb);
    free(ca);
    free(cb);
    return same;
}

static nb_status check_one(const nb_file_arg *o) {
    const char *p = o->path;
    if (!p[0])
        return NB_RAISE(NB_E_INVALID, o->option, "no output file name (an empty string)");
    if (p[strlen(p) - 1] == '/')
        return NB_RAISE(NB_E_IO, p, "%s names a directory, not a file", o->option);
    char *real = resolve_links(p);
    if (!real)
        return NB_RAISE(NB_E_IO, p, "%s: cannot follow the symbolic link: %s", o->option,
                        strerror(errno));
    nb_status st = NB_OK;
    struct stat sb;
    char *dir = dir_of(real);
    if (!dir)
        st = NB_RAISE(NB_E_NOMEM, p, "cannot allocate");
    else if (stat(dir, &sb) != 0)
        st = NB_RAISE(NB_E_IO, p, "%s: cannot use its directory: %s", o->option, strerror(errno));
    else if (!S_ISDIR(sb.st_mode))
        st = NB_RAISE(NB_E_IO, p, "%s: its directory part is not a directory", o->option);
    else if (access(dir, W_OK | X_OK) != 0)
        st = NB_RAISE(NB_E_IO, p, "%s: its directory is not writable: %s", o->option,
                      strerror(errno));
    else if (stat(real, &sb) == 0 && !S_ISREG(sb.st_mode))
        st = NB_RAISE(NB_E_IO, p, "%s names %s, not a regular file", o->option,
                      nb_input_file_kind((unsigned)sb.st_mode));
    free(dir);
    free(real);
    return st;
}

nb_status nb_file_check_outputs(const nb_file_arg *outputs, size_t n_outputs,
                                const nb_file_arg *inputs, size_t n_inputs) {
    for (size_t i = 0; i < n_outputs; i++) {
        const nb_file_arg *o = &outputs[i];
        if (!o->path)
            continue;
        NB_TRY(check_one(o));
        dev_t dev;
        ino_t ino;
        bool exists = identity(o->path, &dev, &ino);
        /* "X" beside an input "X.gz": a data set reads the plain name first, next time */
        char *gz = exists ? NULL : malloc(strlen(o->path) + 4);
        if (gz) {
            snprintf(gz, strlen(o->path) + 4, "%s.gz", o->path);
            exists = identity(gz, &dev, &ino);
            free(gz);
        }
        for (size_t k = 0; k < n_inputs && exists; k++) {
            const nb_file_arg *in = &inputs[k];
            dev_t d2;
            ino_t i2;
            struct stat sb;
            if (!in->path || !identity(in->path, &d2, &i2))
                continue;
            if (d2 == dev && i2 == ino)
                return NB_RAISE(NB_E_INVALID, o->path,
                                "%s is the same file as the input %s %s: writing it would "
                                "destroy the input; choose another output name",
                                o->option, in->option, in->path);
            if (stat(in->path, &sb) == 0 && S_ISDIR(sb.st_mode) && dir_holds(in->path, dev, ino, 2))
                return NB_RAISE(NB_E_INVALID, o->path,
                                "%s is a file of the input %s %s: writing it would destroy the "
                                "input; choose another output name",
                                o->option, in->option, in->path);
        }
        for (size_t j = 0; j < i; j++)
            if (outputs[j].path && same_output(outputs[j].path, o->path))
                return NB_RAISE(NB_E_INVALID, o->path,
                                "%s and %s name the same file: each output needs its own name",
                                outputs[j].option, o->option);
    }
    return NB_OK;
}

/* ---- the write lock ----------------------------------------------------------------------- */

nb_status nb_file_lock_acquire(nb_file_lock *l, const char *path) {
    memset(l, 0, sizeof *l);
    if (!path || !path[0])
        return NB_RAISE(NB_E_INVALID, path, "no output file name (an empty string)");
    char *real = resolve_links(path);
    if (!real)
        return NB_RAISE(NB_E_IO, path, "cannot follow the symbolic link: %s", strerror(errno));
    l->lock_path = sibling(real, LOCK_TAG, 0);
    free(real);
    if (!l->lock_path)
        return NB_RAISE(NB_E_NOMEM, path, "cannot allocate");
    for (int attempt = 0; attempt < 20; attempt++) {
        int fd = open(l->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0 && errno == EACCES) /* another user's lock file: flock needs no write access */
            fd = open(l->lock_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            nb_status st = NB_RAISE(NB_E_IO, path, "cannot create the lock file %s: %s",
                                    base_of(l->lock_path), strerror(errno));
            nb_file_lock_release(l);
            return st;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char text[32] = "";
            ssize_t n = pread(fd, text, sizeof text - 1, 0);
            close(fd);
            text[n > 0 ? n : 0] = '\0';
            long pid = strtol(text, NULL, 10);
            free(l->lock_path);
            memset(l, 0, sizeof *l);
            if (e != EWOULDBLOCK && e != EAGAIN)
                return NB_RAISE(NB_E_IO, path, "cannot lock: %s", strerror(e));
            if (pid > 0)
                return NB_RAISE(NB_E_IO, path,
                                "is being written by another nnbundle process (pid %ld); run "
                                "again when it has finished",
                                pid);
            return NB_RAISE(NB_E_IO, path,
                            "is being written by another nnbundle process; run again when it "
                            "has finished");
        }
        struct stat a, b;
        if (fstat(fd, &a) != 0 || stat(l->lock_path, &b) != 0 || a.st_dev != b.st_dev ||
            a.st_ino != b.st_ino) {
            close(fd); /* its holder removed it meanwhile: take the new one */
            continue;
        }
        char text[32];
        int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n)
            nb_log_debug("%s: cannot record the pid in %s", path, l->lock_path);
        l->fd = fd;
        l->held = true;
        return NB_OK;
    }
    nb_status st = NB_RAISE(NB_E_IO, path, "cannot lock: the lock file %s keeps changing",
                            base_of(l->lock_path));
    nb_file_lock_release(l);
    return st;
}

void nb_file_lock_release(nb_file_lock *l) {
    if (!l)
        return;
    if (l->held) {
        unlink(l->lock_path); /* while held: a taker of the old inode sees the name gone */
        close(l->fd);
    }
    free(l->lock_path);
    memset(l, 0, sizeof *l);
}
