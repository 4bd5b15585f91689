/* nb_input.h - the checks every reader makes before it reads or allocates for an input file.
 *
 * Before opening: the input must be a regular file (a FIFO would block forever, a directory or
 * a device is no input). Before allocating: a reader (HDF5, IDX, NumPy, PNG folder, JSON config) or
 * a builder (`random`, `train`) computes the bytes that the sizes it was given imply and asks
 * nb_input_check before allocating; a small file that declares a huge array is then a fast, clear
 * error instead of gigabytes of memory. The limit is 8 GiB unless the environment variable
 * NB_MAX_MEMORY (bytes, or with a K, M, G or T suffix, powers of 1024) says otherwise; every
 * nnbundle command sets it from --max-memory. Threading: reads the environment only (getenv); safe
 * while nothing calls setenv.
 */
#ifndef NB_INPUT_H
#define NB_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_status.h"

#define NB_INPUT_DEFAULT_MAX_MEMORY ((size_t)8 << 30) /* 8 GiB */
#define NB_INPUT_ENV                "NB_MAX_MEMORY"

/* Parses a byte count: digits with an optional K, M, G or T suffix (powers of 1024, optional
 * trailing "B" or "iB"), 1 byte to 2^62. Returns false on anything else. */
bool nb_input_parse_bytes(const char *text, size_t *bytes);

/* The limit in bytes: NB_MAX_MEMORY if set, else NB_INPUT_DEFAULT_MAX_MEMORY. NB_OK, or
 * NB_E_CONFIG (subject "NB_MAX_MEMORY") when the variable is not a byte count. */
nb_status nb_input_max_memory(size_t *bytes);

/* NB_OK when `bytes` (SIZE_MAX: the computation overflowed) fits the limit; otherwise
 * NB_E_NOMEM raised with `subject` and the reason "<what> needs <bytes> (<human>), over the
 * memory limit of <limit> (set --max-memory or NB_MAX_MEMORY to raise it)". */
nb_status nb_input_check(size_t bytes, const char *subject, const char *what);

/* NB_OK when path (after symbolic links) is a regular file, with its size in *size (may be
 * NULL); NB_E_IO "is a directory", "is a FIFO (named pipe)", "is a character device", ... or
 * "cannot open: <errno text>" otherwise, with subject path. Opens nothing. */
nb_status nb_input_check_file(const char *path, size_t *size);

/* What a stat(2) mode names, for messages: "a regular file", "a directory", "a FIFO (named
 * pipe)", "a character device", "a block device", "a socket" or "not a regular file". A static
 * string. Shared by the input check above and the output checks of nb_file.h. */
const char *nb_input_file_kind(unsigned mode);

/* true when text[0..len) is well-formed UTF-8 (no overlong forms, no surrogates, at most
 * U+10FFFF). */
bool nb_input_is_utf8(const char *text, size_t len);

/* a * b, or SIZE_MAX when it overflows (so that nb_input_check refuses it). */
size_t nb_input_mul(size_t a, size_t b);

/* "12.5 GiB", "43.0 KiB", "512 B" into buf. */
void nb_input_human(size_t bytes, char *buf, size_t cap);

#endif /* NB_INPUT_H */
