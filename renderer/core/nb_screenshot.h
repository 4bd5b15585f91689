/* nb_screenshot.h - image files of rendered frames (PNG, JPEG) and their names (GL-free).
 *
 * Formats: the file name's extension decides, case-insensitively: ".png" (8-bit RGB, or RGBA
 * for a transparent background) or ".jpg"/".jpeg" (baseline JPEG, 8-bit RGB, quality 1..100,
 * default 90). Any other name is refused before anything is drawn or written
 * (nb_screenshot_format). Files are written atomically (nb_file.h: stb_image_write encodes
 * in memory, nb_file_save writes a temporary file beside `path` checking every write, syncs it
 * and renames it over `path`, or removes it on any failure), so an interrupted or failed write
 * (a full disk included) never leaves a half-written image and never reports success.
 *
 * Transparent background (nb_screenshot_unblend): the renderer's target holds, per pixel, the
 * colour C of the frame composited over the background B and, in its alpha channel, the
 * coverage a of everything drawn (opaque objects 1; MIN/MAX transparency the largest fragment
 * opacity; WBOIT 1 - revealage; the legend "over" on top). The PNG stores straight alpha a and
 * the colour c = (C - B (1 - a)) / a, so that c composited over B gives C again (to 8-bit
 * rounding) and pixels with a = 0 hold B itself (a viewer that drops alpha shows the opaque
 * render). Over another colour X the PNG gives c a + X (1 - a): exactly the frame rendered
 * over X for opaque objects, WBOIT and the legend, whose blending is linear in the
 * background; MIN/MAX keeps the darkest fragment, which is not, so its PNG matches the render
 * exactly over B (white by default) and is a good approximation over other light colours.
 *
 * Screenshot names follow the reference (method.md §5.1) without its fixed 1920x1200 size:
 * "<stem>_<UTC yyyymmddThhmmssZ>.<ext>" and, when recording every frame,
 * "<stem>_<UTC>_<frame 5 digits>.<ext>", where stem is the input file's base name without
 * ".nnb.h5" (or its last extension).
 */
#ifndef NB_SCREENSHOT_H
#define NB_SCREENSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "nb_status.h"

#define NB_SCREENSHOT_JPEG_QUALITY 90 /* default JPEG quality */

typedef enum nb_image_format {
    NB_IMAGE_PNG = 0,
    NB_IMAGE_JPEG = 1,
} nb_image_format;

/* The format of an output name from its extension (.png, .jpg, .jpeg; any case). Returns
 * NB_OK, or NB_E_INVALID with subject = path and a reason naming the extension and the
 * formats that are written. */
nb_status nb_screenshot_format(const char *path, nb_image_format *format);

/* Parses a --format value ("png", "jpg" or "jpeg"); false for anything else. */
bool nb_screenshot_parse_format(const char *name, nb_image_format *format);

/* The extension written for a format, without the dot: "png" or "jpg". */
const char *nb_screenshot_extension(nb_image_format format);

/* Writes an 8-bit image, top row first, in the format of path's extension: channels 3 (RGB)
 * or 4 (RGBA, straight alpha; PNG only). jpeg_quality 1..100 (0: the default 90; ignored for
 * PNG). Returns NB_OK, NB_E_INVALID (subject = path: zero size, bad channel count or
 * quality, an extension that is not written, RGBA into JPEG), NB_E_IO (subject = path:
 * cannot write or rename). On failure no file is left at path or at the temporary name. */
nb_status nb_screenshot_write(const char *path, const unsigned char *pixels, int width, int height,
                              int channels, int jpeg_quality);

/* Writes an 8-bit RGB image as PNG whatever the name (tests, golden images, the GUI). Same
 * statuses as nb_screenshot_write. */
nb_status nb_screenshot_write_png(const char *path, const unsigned char *rgb, int width,
                                  int height);

/* Reads a PNG or JPEG back as 8-bit RGB (tests, golden images): *rgb malloc'd (caller
 * frees). NB_E_IO naming path if it cannot be read or decoded. */
nb_status nb_screenshot_read_png(const char *path, unsigned char **rgb, int *width, int *height);

/* As nb_screenshot_read_png with `channels` (1..4) per pixel; *file_channels (may be NULL)
 * gets the count stored in the file. */
nb_status nb_screenshot_read(const char *path, int channels, unsigned char **pixels, int *width,
                             int *height, int *file_channels);

/* In place: rendered RGBA (colour over background bg[3] in [0, 1], alpha = coverage) to
 * straight-alpha RGBA whose composite over bg is the rendered colour (rule above).
 * rgba: n_pixels * 4 bytes. */
void nb_screenshot_unblend(unsigned char *rgba, size_t n_pixels, const float bg[3]);

/* Composites straight-alpha RGBA over the colour over[3] (in [0, 1]) into RGB (n_pixels * 3
 * bytes), rounding to nearest: what an image viewer shows on that colour. */
void nb_screenshot_composite(const unsigned char *rgba, size_t n_pixels, const float over[3],
                             unsigned char *rgb);

/* "<dir>/<stem>_<UTC>.png" (frame < 0) or "<dir>/<stem>_<UTC>_<frame>.png" into out.
 * dir may be NULL or "" (current directory). Returns NB_OK or NB_E_INVALID if it does not fit. */
nb_status nb_screenshot_name(char *out, size_t out_size, const char *dir, const char *input_path,
                             time_t utc, long frame);

/* As nb_screenshot_name with the extension of `format`. */
nb_status nb_screenshot_name_format(char *out, size_t out_size, const char *dir,
                                    const char *input_path, time_t utc, long frame,
                                    nb_image_format format);

/* The directory numbered frames go into (--frames DIR): created (mode 0777 before the umask)
 * unless it exists. NB_E_IO (subject = dir) when it cannot be created or is not a
 * directory. */
nb_status nb_screenshot_make_dir(const char *dir);

/* The stem of an input path: base name without ".nnb.h5" (or without its last ".ext"). */
void nb_screenshot_stem(const char *input_path, char *out, size_t out_size);

#endif /* NB_SCREENSHOT_H */
