/* nb_palette.h - class colours for any number of classes (GL-free).
 *
 * Classes 0..9 get the ten colours of the reference (method.md §5.3: forest green, dark blue, X11
 * maroon, orange-red, yellow, burlywood, lime, cyan, magenta, cornflower blue), so images of
 * 10-class networks match the thesis. Class 10 and above get generated colours: hue
 * h = frac(0.2 + 0.618034 (c - 10)) (golden-ratio steps), saturation alternating 0.85 / 0.5,
 * value cycling 0.8 / 0.6 / 0.95 every two classes, HSV -> RGB. A class's colour never depends
 * on the class count. Measured minimum pairwise RGB distance: 0.074 for 64 classes, 0.056 for
 * 128 (tests/test_palette.c checks these and that any 1024 classes are pairwise distinct).
 */
#ifndef NB_PALETTE_H
#define NB_PALETTE_H

#include <stddef.h>

#define NB_PALETTE_REFERENCE_COLORS 10

/* Colour of class c: rgb[3] in [0, 1]. Thread-safe. */
void nb_palette_color(size_t c, float rgb[3]);

/* The colour that contrasts with background bg[3] (linear RGB in [0, 1]): black when the
 * background's Rec. 709 luma is >= 0.5, else white. Used for the "independent" class view
 * and the legend text. */
void nb_palette_foreground(const double bg[3], float rgb[3]);

/* HSV (h in [0,1) turns, s, v in [0,1]) to RGB in [0,1]. */
void nb_palette_hsv_to_rgb(float h, float s, float v, float rgb[3]);

#endif /* NB_PALETTE_H */
