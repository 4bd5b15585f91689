/* nb_screenshot.c - PNG output (stb_image_write, atomic rename) and screenshot file names.
 *
 * DESIGN: stb_image_write (libstb-dev, implementation in libstb) encodes the RGB buffer; the
 * file goes to a temporary name in the same directory and is renamed, as every nnbundle writer
 * does. Names use UTC (gmtime_r) as the reference does. No GL, no threads, no config keys.
 */
#include "nb_screenshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image.h>
#include <stb_image_write.h>

nb_status nb_screenshot_write_png(const char *path, const unsigned char *rgb, int width,
                                  int height) {
    if (width <= 0 || height <= 0)
        return NB_RAISE(NB_E_INVALID, path, "image size %dx%d", width, height);
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return NB_RAISE(NB_E_IO, path, "path too long");
    if (!stbi_write_png(tmp, width, height, 3, rgb, width * 3)) {
        remove(tmp);
        return NB_RAISE(NB_E_IO, path, "cannot write PNG (directory missing or not writable?)");
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return NB_RAISE(NB_E_IO, path, "cannot rename the temporary file into place");
    }
    return NB_OK;
}

nb_status nb_screenshot_read_png(const char *path, unsigned char **rgb, int *width, int *height) {
    int w = 0, h = 0, comp = 0;
    unsigned char *data = stbi_load(path, &w, &h, &comp, 3);
    if (!data)
        return NB_RAISE(NB_E_IO, path, "cannot read PNG: %s", stbi_failure_reason());
    *rgb = data;
    *width = w;
    *height = h;
    return NB_OK;
}

void nb_screenshot_stem(const char *input_path, char *out, size_t out_size) {
    const char *base = strrchr(input_path, '/');
    base = base ? base + 1 : input_path;
    size_t len = strlen(base);
    const char *suffix = ".nnb.h5";
    size_t sl = strlen(suffix);
    if (len >= sl && strcmp(base + len - sl, suffix) == 0) {
        len -= sl;
    } else {
        const char *dot = strrchr(base, '.');
        if (dot && dot != base)
            len = (size_t)(dot - base);
    }
    if (len == 0) {
        base = "nnbundle";
        len = strlen(base);
    }
    if (out_size == 0)
        return;
    if (len >= out_size)
        len = out_size - 1;
    memcpy(out, base, len);
    out[len] = '\0';
}

nb_status nb_screenshot_name(char *out, size_t out_size, const char *dir, const char *input_path,
                             time_t utc, long frame) {
    char stem[256], stamp[32];
    nb_screenshot_stem(input_path, stem, sizeof stem);
    struct tm tm;
    if (!gmtime_r(&utc, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
        snprintf(stamp, sizeof stamp, "%lld", (long long)utc);
    const char *sep = dir && dir[0] ? "/" : "";
    int n;
    if (frame < 0)
        n = snprintf(out, out_size, "%s%s%s_%s.png", dir ? dir : "", sep, stem, stamp);
    else
        n = snprintf(out, out_size, "%s%s%s_%s_%05ld.png", dir ? dir : "", sep, stem, stamp, frame);
    if (n < 0 || (size_t)n >= out_size)
        return NB_RAISE(NB_E_INVALID, input_path, "screenshot name too long");
    return NB_OK;
}
