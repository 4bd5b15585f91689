/* nb_screenshot.h - PNG files of rendered frames and their names (GL-free).
 *
 * Pixels come from nb_renderer_read_rgb (top row first). PNGs are written with stb_image_write
 * to "<path>.tmp.<pid>" and renamed over `path`, so an interrupted run never leaves a
 * half-written image. Screenshot names follow the reference (spec §5.1) without its fixed
 * 1920x1200 size: "<stem>_<UTC yyyymmddThhmmssZ>.png" and, when recording every frame,
 * "<stem>_<UTC>_<frame 5 digits>.png", where stem is the input file's base name without
 * ".nnb.h5" (or its last extension).
 */
#ifndef NB_SCREENSHOT_H
#define NB_SCREENSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "nb_status.h"

/* Writes an 8-bit RGB image (rgb: width * height * 3 bytes, top row first) as PNG. Returns
 * NB_OK, NB_E_INVALID (zero size), NB_E_IO (subject = path: cannot write or rename). On
 * failure no file is left at path or at the temporary name. */
nb_status nb_screenshot_write_png(const char *path, const unsigned char *rgb, int width,
                                  int height);

/* Reads a PNG back as 8-bit RGB (tests, golden images): *rgb malloc'd (caller frees).
 * NB_E_IO naming path if it cannot be read or decoded. */
nb_status nb_screenshot_read_png(const char *path, unsigned char **rgb, int *width, int *height);

/* "<dir>/<stem>_<UTC>.png" (frame < 0) or "<dir>/<stem>_<UTC>_<frame>.png" into out.
 * dir may be NULL or "" (current directory). Returns NB_OK or NB_E_INVALID if it does not fit. */
nb_status nb_screenshot_name(char *out, size_t out_size, const char *dir, const char *input_path,
                             time_t utc, long frame);

/* The stem of an input path: base name without ".nnb.h5" (or without its last ".ext"). */
void nb_screenshot_stem(const char *input_path, char *out, size_t out_size);

#endif /* NB_SCREENSHOT_H */
