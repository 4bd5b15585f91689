/* nb_status.c - status names and the per-thread error record.
 *
 * DESIGN: one X-macro table (nb_status.h) gives the enum, its names and its texts. NB_RAISE
 * formats "[subject] reason (NB_E_X)" into a thread-local buffer, so library code never
 * prints and never exits; main() decides. Thread model: each thread has its own record
 * (C11 _Thread_local); nothing is shared. Reads no config keys.
 */
#include "nb_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NB_ERROR_MESSAGE_MAX 1024
#define NB_ERROR_SUBJECT_MAX 512
#define SUBJECT_SHOWN        400 /* longer subjects keep their first SUBJECT_HEAD and last bytes */
#define SUBJECT_HEAD         120

typedef struct nb_error_record {
    nb_status status;
    int line;
    char origin[256];
    char subject[NB_ERROR_SUBJECT_MAX];
    char reason[NB_ERROR_MESSAGE_MAX];
    char message[NB_ERROR_MESSAGE_MAX];
} nb_error_record;

static _Thread_local nb_error_record tls_error;

const char *nb_status_name(nb_status s) {
    switch (s) {
#define NB_STATUS_NAME_(name, text)                                                                \
    case NB_##name:                                                                                \
        return "NB_" #name;
        NB_STATUS_MAP(NB_STATUS_NAME_)
#undef NB_STATUS_NAME_
    default:
        return "NB_E_UNKNOWN";
    }
}

const char *nb_status_str(nb_status s) {
    switch (s) {
#define NB_STATUS_TEXT_(name, text)                                                                \
    case NB_##name:                                                                                \
        return text;
        NB_STATUS_MAP(NB_STATUS_TEXT_)
#undef NB_STATUS_TEXT_
    default:
        return "unknown status";
    }
}

nb_status nb_error_raise(nb_status status, const char *src_file, int src_line, const char *subject,
                         const char *fmt, ...) {
    /* formatted aside first: the subject or an argument may point into the record (a
     * re-raise of nb_error_reason() under a new subject) */
    char reason[NB_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);

    /* a long subject (a deep path) loses its middle, so that the reason after it is kept */
    char subj[NB_ERROR_SUBJECT_MAX];
    size_t slen = subject ? strlen(subject) : 0;
    if (slen < SUBJECT_SHOWN)
        snprintf(subj, sizeof subj, "%s", subject ? subject : "");
    else
        snprintf(subj, sizeof subj, "%.*s...%s", SUBJECT_HEAD, subject,
                 subject + slen - (SUBJECT_SHOWN - SUBJECT_HEAD - 4));

    nb_error_record *e = &tls_error;
    memcpy(e->reason, reason, sizeof reason);
    e->status = status;
    e->line = src_line;
    const char *base = src_file ? strrchr(src_file, '/') : NULL;
    snprintf(e->origin, sizeof e->origin, "%s:%d", base ? base + 1 : (src_file ? src_file : "?"),
             src_line);
    memcpy(e->subject, subj, sizeof subj);
    if (subj[0])
        snprintf(e->message, sizeof e->message, "[%s] %s (%s)", subj, reason,
                 nb_status_name(status));
    else
        snprintf(e->message, sizeof e->message, "%s (%s)", reason, nb_status_name(status));
    return status;
}

const char *nb_error_message(void) {
    return tls_error.message;
}

const char *nb_error_reason(void) {
    return tls_error.reason;
}

nb_status nb_error_status(void) {
    return tls_error.status;
}

const char *nb_error_subject(void) {
    return tls_error.subject;
}

const char *nb_error_origin(void) {
    return tls_error.origin;
}

void nb_error_clear(void) {
    memset(&tls_error, 0, sizeof tls_error);
}

void nb_error_print(const char *program, nb_status s) {
    if (s == NB_OK)
        return;
    if (tls_error.status == s && tls_error.message[0])
        fprintf(stderr, "%s: %s\n", program, tls_error.message);
    else
        fprintf(stderr, "%s: %s (%s)\n", program, nb_status_str(s), nb_status_name(s));
}
