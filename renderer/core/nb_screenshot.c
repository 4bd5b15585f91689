/* nb_screenshot.c - PNG and JPEG output (stb_image_write, atomic rename), transparent
 * background un-blending, and screenshot file names.
 *
 * DESIGN: stb_image_write (libstb-dev, implementation in libstb) encodes the buffer in
 * memory (its *_to_func entry points), and nb_file_save writes the bytes atomically (same
 * directory, every write checked, fsync, rename, removed on failure), as every nnbundle
 * writer does: stb's own file functions do not check fwrite, so a full disk would give a
 * truncated image and success. The format comes from the name's extension
 * and is checked before anything is encoded, so a name the writer cannot produce fails with nothing
 * written. Un-blending (transparent PNG) inverts "over" against the background per pixel in float
 * and rounds (rule and its limits in nb_screenshot.h). Names use UTC (gmtime_r) as the reference
 * does. No GL, no threads, no config keys.
 */
#include "nb_screenshot.h"
#include "nb_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <stb_image.h>
#include <stb_image_write.h>

nb_status nb_screenshot_format(const char *path, nb_image_format *format) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        if (strcasecmp(dot, ".png") == 0) {
            *format = NB_IMAGE_PNG;
            return NB_OK;
        }
        if (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0) {
            *format = NB_IMAGE_JPEG;
            return NB_OK;
        }
        return NB_RAISE(NB_E_INVALID, path,
                        "cannot write '%s' images: the name must end in .png, .jpg or .jpeg", dot);
    }
    return NB_RAISE(NB_E_INVALID, path,
                    "no file extension: the name must end in .png, .jpg or .jpeg");
}

bool nb_screenshot_parse_format(const char *name, nb_image_format *format) {
    if (!name)
        return false;
    if (strcasecmp(name, "png") == 0) {
        *format = NB_IMAGE_PNG;
        return true;
    }
    if (strcasecmp(name, "jpg") == 0 || strcasecmp(name, "jpeg") == 0) {
        *format = NB_IMAGE_JPEG;
        return true;
    }
    return false;
}

const char *nb_screenshot_extension(nb_image_format format) {
    return format == NB_IMAGE_JPEG ? "jpg" : "png";
}

/* The encoded image, grown by stb_image_write's callback. */
typedef struct image_bytes {
    unsigned char *data;
    size_t len, cap;
    bool failed; /* an allocation failed: the bytes are incomplete */
} image_bytes;

/* stb_image_write's write function: appends to the buffer (it cannot report failure, hence
 * the flag). */
static void append_bytes(void *context, void *data, int size) {
    image_bytes *b = context;
    if (b->failed || size <= 0)
        return;
    size_t need = b->len + (size_t)size;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < need)
            cap *= 2;
        unsigned char *p = realloc(b->data, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, (size_t)size);
    b->len = need;
}

static nb_status write_as(const char *path, nb_image_format format, const unsigned char *pixels,
                          int width, int height, int channels, int quality) {
    if (width <= 0 || height <= 0)
        return NB_RAISE(NB_E_INVALID, path, "image size %dx%d", width, height);
    if (channels != 3 && channels != 4)
        return NB_RAISE(NB_E_INVALID, path, "%d channels (3 or 4 are written)", channels);
    if (quality == 0)
        quality = NB_SCREENSHOT_JPEG_QUALITY;
    if (quality < 1 || quality > 100)
        return NB_RAISE(NB_E_INVALID, path, "JPEG quality %d outside 1..100", quality);
    if (format == NB_IMAGE_JPEG && channels == 4)
        return NB_RAISE(NB_E_INVALID, path,
                        "JPEG has no alpha channel: write a transparent background as .png");
    /* encoded in memory, then written and checked by nb_file_save: stb_image_write's own
     * file functions ignore fwrite's result and would leave a truncated image on a full disk */
    image_bytes b = {0};
    int ok = format == NB_IMAGE_JPEG ? stbi_write_jpg_to_func(append_bytes, &b, width, height,
                                                              channels, pixels, quality)
                                     : stbi_write_png_to_func(append_bytes, &b, width, height,
                                                              channels, pixels, width * channels);
    nb_status st;
    if (!ok || b.failed)
        st = NB_RAISE(b.failed ? NB_E_NOMEM : NB_E_IO, path, "cannot encode the %s image",
                      format == NB_IMAGE_JPEG ? "JPEG" : "PNG");
    else
        st = nb_file_save(path, b.data, b.len);
    free(b.data);
    return st;
}

nb_status nb_screenshot_write(const char *path, const unsigned char *pixels, int width, int height,
                              int channels, int jpeg_quality) {
    nb_image_format format = NB_IMAGE_PNG;
    NB_TRY(nb_screenshot_format(path, &format));
    return write_as(path, format, pixels, width, height, channels, jpeg_quality);
}

nb_status nb_screenshot_write_png(const char *path, const unsigned char *rgb, int width,
                                  int height) {
    return write_as(path, NB_IMAGE_PNG, rgb, width, height, 3, 0);
}

nb_status nb_screenshot_read(const char *path, int channels, unsigned char **pixels, int *width,
                             int *height, int *file_channels) {
    int w = 0, h = 0, comp = 0;
    unsigned char *data = stbi_load(path, &w, &h, &comp, channels);
    if (!data)
        return NB_RAISE(NB_E_IO, path, "cannot read image: %s", stbi_failure_reason());
    *pixels = data;
    *width = w;
    *height = h;
    if (file_channels)
        *file_channels = comp;
    return NB_OK;
}

nb_status nb_screenshot_read_png(const char *path, unsigned char **rgb, int *width, int *height) {
    return nb_screenshot_read(path, 3, rgb, width, height, NULL);
}

static unsigned char to_byte(float v) {
    v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    return (unsigned char)lrintf(v * 255.0f);
}

void nb_screenshot_unblend(unsigned char *rgba, size_t n_pixels, const float bg[3]) {
    for (size_t i = 0; i < n_pixels; i++) {
        unsigned char *p = rgba + 4 * i;
        float a = (float)p[3] / 255.0f;
        for (int c = 0; c < 3; c++) {
            float C = (float)p[c] / 255.0f;
            p[c] = p[3] == 0 ? to_byte(bg[c]) : to_byte((C - bg[c] * (1.0f - a)) / a);
        }
    }
}

void nb_screenshot_composite(const unsigned char *rgba, size_t n_pixels, const float over[3],
                             unsigned char *rgb) {
    for (size_t i = 0; i < n_pixels; i++) {
        const unsigned char *p = rgba + 4 * i;
        float a = (float)p[3] / 255.0f;
        for (int c = 0; c < 3; c++)
            rgb[3 * i + (size_t)c] = to_byte((float)p[c] / 255.0f * a + over[c] * (1.0f - a));
    }
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

nb_status nb_screenshot_name_format(char *out, size_t out_size, const char *dir,
                                    const char *input_path, time_t utc, long frame,
                                    nb_image_format format) {
    char stem[256], stamp[32];
    nb_screenshot_stem(input_path, stem, sizeof stem);
    struct tm tm;
    if (!gmtime_r(&utc, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
        snprintf(stamp, sizeof stamp, "%lld", (long long)utc);
    const char *sep = dir && dir[0] ? "/" : "";
    const char *ext = nb_screenshot_extension(format);
    int n;
    if (frame < 0)
        n = snprintf(out, out_size, "%s%s%s_%s.%s", dir ? dir : "", sep, stem, stamp, ext);
    else
        n = snprintf(out, out_size, "%s%s%s_%s_%05ld.%s", dir ? dir : "", sep, stem, stamp, frame,
                     ext);
    if (n < 0 || (size_t)n >= out_size)
        return NB_RAISE(NB_E_INVALID, input_path, "screenshot name too long");
    return NB_OK;
}

nb_status nb_screenshot_name(char *out, size_t out_size, const char *dir, const char *input_path,
                             time_t utc, long frame) {
    return nb_screenshot_name_format(out, out_size, dir, input_path, utc, frame, NB_IMAGE_PNG);
}

nb_status nb_screenshot_make_dir(const char *dir) {
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return NB_RAISE(NB_E_IO, dir, "exists and is not a directory");
        return NB_OK;
    }
    if (mkdir(dir, 0777) != 0)
        return NB_RAISE(NB_E_IO, dir, "cannot create directory: %s", strerror(errno));
    return NB_OK;
}
