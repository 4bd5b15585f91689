/* nb_file.h - atomic file output: a result appears whole under its name, or not at all.
 *
 * Every writer of a result file goes through this module: the bytes go to a temporary file
 * beside the target ("<path>.tmp.<pid>", same directory, so the rename cannot cross file
 * systems), which is flushed to disk (fsync), renamed over the target, and the directory is
 * fsync'd so that the rename itself survives a crash. On any failure the temporary file is
 * removed and the target is untouched: an interrupted run never leaves a half-written file,
 * and readers never see one.
 *
 * Three ways in, by what the writer needs:
 *   nb_file_save        a buffer that is already complete (JSON text, CSV text);
 *   nb_file_save_with   a library that creates the file by name (HDF5's H5Fcreate,
 *                       stb_image_write): it is called with the temporary path;
 *   nb_file_atomic_*    a FILE* stream to write into (fprintf of a table), then commit.
 * Errors name the target path (never the temporary one as the subject) and give the OS's
 * reason: "cannot create <tmp>: ...", "write failed: ...", "fsync of <tmp> failed: ...",
 * "cannot rename <tmp> over it: ...", "fsync of directory <dir> failed: ...".
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
    char *path;     /* the target (a copy, owned) */
    char *tmp_path; /* "<path>.tmp.<pid>", beside the target (owned) */
    FILE *stream;   /* open for writing on tmp_path when begun with a stream, else NULL */
} nb_file_atomic;

/* Starts an atomic write of `path`. With `open_stream` the temporary file is created
 * (mode 0666 less the umask, truncated) and opened as a->stream; without, it is only named
 * (a->tmp_path) for a library that creates it itself. Returns NB_OK, NB_E_INVALID (path NULL
 * or ""), NB_E_NOMEM, NB_E_IO ("cannot create <tmp>: <reason>"), all with subject `path`.
 * On failure *a is zeroed and nothing is left on disk. */
nb_status nb_file_atomic_begin(nb_file_atomic *a, const char *path, bool open_stream);

/* Finishes the write: flushes and closes the stream (if any; a stream error seen by ferror
 * fails the commit), fsyncs the temporary file, renames it over the target and fsyncs the
 * directory. Returns NB_OK or NB_E_IO (subject = the target path). On a failure before the
 * rename the temporary file is removed and the target is untouched; a failure to sync the
 * directory after the rename is reported (the new file is in place, but a crash may still
 * lose the rename). Always releases *a (zeroed after). */
nb_status nb_file_atomic_commit(nb_file_atomic *a);

/* Abandons the write: closes the stream, removes the temporary file, releases *a (zeroed).
 * Safe on a zeroed struct and after commit. */
void nb_file_atomic_abort(nb_file_atomic *a);

/* Writes the `len` bytes at `data` to `path` atomically. Statuses as begin and commit, plus
 * NB_E_IO "write failed: <reason>". */
nb_status nb_file_save(const char *path, const void *data, size_t len);

/* Creates the file at tmp_path (the function must create or truncate it, write it and close
 * it) and returns NB_OK or a raised status. */
typedef nb_status (*nb_file_write_fn)(const char *tmp_path, void *user);

/* Writes `path` atomically through `fn`, which gets the temporary path. fn's failure status
 * is returned unchanged (its message kept) and the temporary file removed; otherwise as
 * nb_file_atomic_commit. */
nb_status nb_file_save_with(const char *path, nb_file_write_fn fn, void *user);

#endif /* NB_FILE_H */
