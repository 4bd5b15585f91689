/* nb_file.h - atomic, checked file output: a result appears whole under its name, or not at all.
 *
 * Every writer of a result file goes through this module: the bytes go to a temporary file
 * beside the target ("<name>.nbtmp.<pid>", same directory, so the rename cannot cross file
 * systems), every write and the close are checked, the file is flushed to disk (fsync), given
 * the mode (and, where allowed, the owner) of the file it replaces, renamed over the target,
 * and the directory is fsync'd so that the rename itself survives a crash. On any failure the
 * temporary file is removed and the target is untouched: an interrupted run never leaves a
 * half-written file, and readers never see one.
 *
 * A target that is a symbolic link is written through the link: the link is resolved (up to
 * 40 hops, dangling links included) and the temporary file is made beside the real file, which
 * is the one replaced; the link stays a link. A target with several hard links is replaced
 * under the given name only (rename cannot do otherwise): the other names keep the old
 * content, and a warning says so.
 *
 * Temporary names: "<name>.nbtmp.<pid>"; when the name is too long for that to fit NAME_MAX
 * (a legal 250-byte name), "<first bytes of name>~<16 hex digits of a hash of name>" takes
 * the place of <name>. A process killed during a write (SIGKILL, power loss) leaves its
 * temporary file; the next write of the same target removes every "<name>.nbtmp.<pid>..."
 * whose process <pid> no longer exists.
 *
 * Ways in, by what the writer needs:
 *   nb_file_save        a buffer that is already complete (JSON text, CSV text, PNG bytes);
 *   nb_file_save_with   a library that creates the file by name (HDF5's H5Fcreate): it is
 *                       called with the temporary path;
 *   nb_file_prepare_with  the same, but the rename is left to a later nb_file_atomic_commit
 *                       (a command that commits several outputs in a fixed order);
 *   nb_file_atomic_*    a FILE* stream to write into (fprintf of a table), then commit.
 * Before the work: nb_file_check_outputs validates a command's output paths (directory,
 * file type, not an input, no two alike); nb_file_lock_acquire keeps two processes from
 * writing one file at once.
 * Errors name the target path as the subject and give the OS's reason; the temporary file is
 * named by its base name only, so a long path cannot push the reason out of the message.
 * Thread safety: calls on different target paths may run in parallel; two writers of the
 * same path in one process share the temporary name and must not overlap.
 */
#ifndef NB_FILE_H
#define NB_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "nb_status.h"

/* One atomic write in progress. Zero-initialised = nothing in progress. */
typedef struct nb_file_atomic {
    char *path;      /* the target as given, named in errors (a copy, owned) */
    char *real_path; /* the file the rename replaces: path with symbolic links resolved (owned) */
    char *tmp_path;  /* "<dir of real_path>/<name>.nbtmp.<pid>" (owned) */
    FILE *stream;    /* open for writing on tmp_path when begun with a stream, else NULL */
} nb_file_atomic;

/* Starts an atomic write of `path`: resolves symbolic links, removes stale temporary files of
 * dead processes for that target, and names the temporary file. With `open_stream` the
 * temporary file is created (mode 0666 less the umask, truncated) and opened as a->stream;
 * without, it is only named (a->tmp_path) for a library that creates it itself. Returns NB_OK,
 * NB_E_INVALID (path NULL or "": "no output file name"), NB_E_NOMEM, NB_E_IO ("cannot create
 * the temporary file <name>: <reason>", a symbolic-link loop), all with subject `path`. On
 * failure *a is zeroed and nothing is left on disk. */
nb_status nb_file_atomic_begin(nb_file_atomic *a, const char *path, bool open_stream);

/* Finishes the write: flushes and closes the stream (if any; a stream error seen by ferror
 * or a failed fclose fails the commit), fsyncs the temporary file, gives it the mode of the
 * file it replaces, renames it over the target and fsyncs the directory. Returns NB_OK or
 * NB_E_IO (subject = the target path). On a failure before the rename the temporary file is
 * removed and the target is untouched; a failure to sync the directory after the rename is
 * reported (the new file is in place, but a crash may still lose the rename). Always
 * releases *a (zeroed after). */
nb_status nb_file_atomic_commit(nb_file_atomic *a);

/* Abandons the write: closes the stream, removes the temporary file, releases *a (zeroed).
 * Safe on a zeroed struct and after commit. */
void nb_file_atomic_abort(nb_file_atomic *a);

/* Writes the `len` bytes at `data` to `path` atomically. Statuses as begin and commit, plus
 * NB_E_IO "write failed: <reason>" (a full disk: "No space left on device"; a file size
 * limit: "File too large"). */
nb_status nb_file_save(const char *path, const void *data, size_t len);

/* Creates the file at tmp_path (the function must create or truncate it, write it and close
 * it, checking each) and returns NB_OK or a raised status. */
typedef nb_status (*nb_file_write_fn)(const char *tmp_path, void *user);

/* Writes `path` atomically through `fn`, which gets the temporary path. fn's failure status
 * is returned unchanged (its message kept) and the temporary file removed; otherwise as
 * nb_file_atomic_commit. */
nb_status nb_file_save_with(const char *path, nb_file_write_fn fn, void *user);

/* nb_file_save_with without the commit: on NB_OK *a holds the written temporary file, to be
 * committed (nb_file_atomic_commit) or abandoned (nb_file_atomic_abort) by the caller. On
 * failure *a is zeroed and nothing is left on disk. */
nb_status nb_file_prepare_with(const char *path, nb_file_write_fn fn, void *user,
                               nb_file_atomic *a);

/* One path of a command, with the option that named it ("-o", "--stats", "FILE"): the
 * option is named in errors. A NULL path is skipped (an option not given). */
typedef struct nb_file_arg {
    const char *path;
    const char *option;
} nb_file_arg;

/* Checks a command's output paths before its work starts: each non-empty (NB_E_INVALID
 * "[<option>] no output file name (an empty string)"), in an existing directory that this
 * process may write (NB_E_IO "directory D does not exist" / "... is not a directory" /
 * "... is not writable"), not a directory or other non-regular file itself (after symbolic
 * links), not the same file as any input (same device and inode; an input that is a
 * directory, such as a data set, is searched two levels deep), and no two outputs the same
 * file (by inode when both exist, else by the resolved directory and name). Errors name the
 * output path, the option and the clashing input's option. Returns NB_OK, NB_E_INVALID or
 * NB_E_IO; touches nothing on disk. */
nb_status nb_file_check_outputs(const nb_file_arg *outputs, size_t n_outputs,
                                const nb_file_arg *inputs, size_t n_inputs);

/* An advisory write lock on one target file. Zero-initialised = not held. */
typedef struct nb_file_lock {
    char *lock_path; /* "<dir of the real target>/<name>.nblock" (owned) */
    int fd;          /* open on lock_path while held */
    bool held;
} nb_file_lock;

/* Takes the write lock of `path` (after symbolic links) for this process: flock(LOCK_EX |
 * LOCK_NB) on "<name>.nblock" beside the real target, which holds the owner's pid. Readers do
 * not take it and are never blocked. Hold it from the read of an input that is rewritten
 * until the rename. Returns NB_OK, NB_E_IO "[path] is being written by another nnbundle
 * process (pid N); ..." when another process holds it (never waits), NB_E_IO when the lock
 * file cannot be created, NB_E_INVALID for an empty path. On failure *l is zeroed. */
nb_status nb_file_lock_acquire(nb_file_lock *l, const char *path);

/* Releases the lock and removes its lock file. Safe on a zeroed struct; *l zeroed after. */
void nb_file_lock_release(nb_file_lock *l);

#endif /* NB_FILE_H */
