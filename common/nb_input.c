/* nb_input.c - the checks every reader makes before it reads or allocates for an input file.
 *
 * DESIGN: stat() before open() tells a regular file from a FIFO, a directory or a device, so no
 * reader blocks on a pipe or reads a directory. The memory limit keeps no state: the limit is read
 * from the environment (NB_MAX_MEMORY) at each check, so the CLI's --max-memory (which sets the
 * variable) reaches every library reader without a global of ours. Byte counts are multiplied with
 * an overflow check that saturates at SIZE_MAX, which every limit refuses. The default, 8 GiB, is
 * over thirty times what the project's largest data set needs in float32 (Fashion-MNIST: 70,000 x
 * 784 x 4 bytes = 220 MB) and within a workstation's memory. Threading: getenv only. Reads no
 * config keys.
 */
#include "nb_input.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool nb_input_parse_bytes(const char *text, size_t *bytes) {
    if (!text || !isdigit((unsigned char)text[0]))
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || v == 0)
        return false;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K':
        shift = 10;
        break;
    case 'M':
        shift = 20;
        break;
    case 'G':
        shift = 30;
        break;
    case 'T':
        shift = 40;
        break;
    default:
        break;
    }
    if (shift)
        end++;
    if (shift && (end[0] == 'i' || end[0] == 'I') && (end[1] == 'B' || end[1] == 'b'))
        end += 2;
    else if (*end == 'B' || *end == 'b')
        end++;
    if (*end)
        return false;
    if (v > (1ULL << 62) >> shift)
        return false;
    *bytes = (size_t)(v << shift);
    return true;
}

nb_status nb_input_max_memory(size_t *bytes) {
    const char *env = getenv(NB_INPUT_ENV);
    if (!env || !env[0]) {
        *bytes = NB_INPUT_DEFAULT_MAX_MEMORY;
        return NB_OK;
    }
    if (!nb_input_parse_bytes(env, bytes))
        return NB_RAISE(NB_E_CONFIG, NB_INPUT_ENV,
                        "'%s' is not a byte count (digits with an optional K, M, G or T suffix)",
                        env);
    return NB_OK;
}

void nb_input_human(size_t bytes, char *buf, size_t cap) {
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof unit / sizeof unit[0]) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%zu B", bytes);
    else
        snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

size_t nb_input_mul(size_t a, size_t b) {
    if (a && b > SIZE_MAX / a)
        return SIZE_MAX;
    return a * b;
}

nb_status nb_input_check(size_t bytes, const char *subject, const char *what) {
    size_t limit = 0;
    NB_TRY(nb_input_max_memory(&limit));
    if (bytes <= limit)
        return NB_OK;
    char need[32], lim[32];
    nb_input_human(limit, lim, sizeof lim);
    if (bytes == SIZE_MAX)
        return NB_RAISE(NB_E_NOMEM, subject,
                        "%s needs more bytes than a size_t holds, over the memory limit of %s "
                        "(set --max-memory or " NB_INPUT_ENV " to raise it)",
                        what, lim);
    nb_input_human(bytes, need, sizeof need);
    return NB_RAISE(
        NB_E_NOMEM, subject,
        "%s needs %zu bytes (%s), over the memory limit of %s (set --max-memory or " NB_INPUT_ENV
        " to raise it)",
        what, bytes, need, lim);
}

const char *nb_input_file_kind(unsigned mode) {
    return S_ISREG(mode)    ? "a regular file"
           : S_ISDIR(mode)  ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO (named pipe)"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

nb_status nb_input_check_file(const char *path, size_t *size) {
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return NB_RAISE(NB_E_IO, path ? path : "(null)", "cannot open: %s",
                        path ? strerror(errno) : "no path");
    if (S_ISREG(st.st_mode)) {
        if (size)
            *size = (size_t)st.st_size;
        return NB_OK;
    }
    return NB_RAISE(NB_E_IO, path, "is %s, expected a regular file",
                    nb_input_file_kind((unsigned)st.st_mode));
}

bool nb_input_is_utf8(const char *text, size_t len) {
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0u) != 0x80u)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}
