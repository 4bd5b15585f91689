/* nb_status.h - status codes and error reporting for every nnbundle module.
 *
 * Every fallible function returns an nb_status and gives results through out parameters.
 * A failing function records *why* with NB_RAISE: the subject (a path, "file /dataset", a
 * config key, a layer) and a reason. The record is per thread; main() prints it with
 * nb_error_print(). Messages read:
 *     nnbundle: [model.nnb.h5 /network/dense_1/weight] shape 81x784, expected 49x81 (NB_E_FORMAT)
 * Inside an OpenMP region, record a per-thread status and raise after the region (the
 * record of a worker thread is not seen by the caller).
 */
#ifndef NB_STATUS_H
#define NB_STATUS_H

#include <stddef.h>

/* X(name, text): one table, one enum, one string function (libuv UV_ERRNO_MAP style). */
#define NB_STATUS_MAP(X)                                                                           \
    X(OK, "success")                                                                               \
    X(E_INVALID, "invalid argument")                                                               \
    X(E_IO, "input/output error")                                                                  \
    X(E_FORMAT, "malformed or inconsistent file")                                                  \
    X(E_CONFIG, "invalid configuration")                                                           \
    X(E_NOMEM, "out of memory")                                                                    \
    X(E_MISSING, "required data missing")                                                          \
    X(E_MISMATCH, "data does not match the network")                                               \
    X(E_NUMERIC, "non-finite or out-of-range value")                                               \
    X(E_GL, "OpenGL error")                                                                        \
    X(E_DISPLAY, "no display available")                                                           \
    X(E_CANCELLED, "cancelled")                                                                    \
    X(E_UNSUPPORTED, "not supported")                                                              \
    X(E_INTERNAL, "internal error")

typedef enum nb_status {
#define NB_STATUS_ENUM_(name, text) NB_##name,
    NB_STATUS_MAP(NB_STATUS_ENUM_)
#undef NB_STATUS_ENUM_
        NB_STATUS_COUNT_
} nb_status;

/* "NB_E_FORMAT" for NB_E_FORMAT; "NB_E_UNKNOWN" for a value outside the table. Static storage. */
const char *nb_status_name(nb_status s);

/* "malformed or inconsistent file" for NB_E_FORMAT. Static storage. */
const char *nb_status_str(nb_status s);

/* Records an error for the calling thread and returns `status`, so that
 *     return NB_RAISE(NB_E_FORMAT, path, "wrong magic 0x%08x", magic);
 * raises in one line. `subject` names the object (may be NULL); `fmt` is printf-style.
 * Use the macro, which adds __FILE__ and __LINE__. */
#define NB_RAISE(status, subject, ...)                                                             \
    nb_error_raise((status), __FILE__, __LINE__, (subject), __VA_ARGS__)

nb_status nb_error_raise(nb_status status, const char *src_file, int src_line, const char *subject,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Propagates a status unchanged (keeps the recorded message). */
#define NB_TRY(expr)                                                                               \
    do {                                                                                           \
        nb_status nb_try_status_ = (expr);                                                         \
        if (nb_try_status_ != NB_OK)                                                               \
            return nb_try_status_;                                                                 \
    } while (0)

/* The calling thread's last recorded message, "[subject] reason (NB_E_X)", or "" if none.
 * Valid until the next raise on this thread. */
const char *nb_error_message(void);

/* The reason alone of the last error ("" if none): what follows the subject, without the
 * status name. For re-raising under another subject or status:
 *     return NB_RAISE(NB_E_FORMAT, file_subject, "%s: %s", key, nb_error_reason()); */
const char *nb_error_reason(void);

/* The last recorded status of the calling thread (NB_OK if none). */
nb_status nb_error_status(void);

/* The subject of the last error ("" if none), for tests that check what was named. */
const char *nb_error_subject(void);

/* "src/file.c:123" of the last raise ("" if none); printed with --verbose. */
const char *nb_error_origin(void);

/* Forgets the calling thread's last error. */
void nb_error_clear(void);

/* Prints "<program>: <message>" to stderr for status s (uses the recorded message if it
 * belongs to s, else the status text). */
void nb_error_print(const char *program, nb_status s);

#endif /* NB_STATUS_H */
