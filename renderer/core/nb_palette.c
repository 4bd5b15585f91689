/* nb_palette.c - the reference's ten class colours, then golden-ratio hues for more classes.
 *
 * DESIGN: a table lookup for c < 10 (method.md §5.3; the reference breaks for more than
 * ten classes, method.md §8.1 item 6) and a closed-form generator above, so colour c is the same
 * whatever the class count and no state is kept. The saturation/value cycle (0.85/0.5 and
 * 0.8/0.6/0.95) was chosen by maximising the minimum pairwise RGB distance for 32, 64 and 128
 * classes over a small grid of candidates. No threads, no config keys (background is passed).
 */
#include "nb_palette.h"

#include <math.h>

static const float reference_colors[NB_PALETTE_REFERENCE_COLORS][3] = {
    {0.133f, 0.545f, 0.133f}, /* forest green */
    {0.0f, 0.0f, 0.545f},     /* dark blue */
    {0.69f, 0.188f, 0.376f},  /* X11 maroon */
    {1.0f, 0.271f, 0.0f},     /* orange-red */
    {1.0f, 1.0f, 0.0f},       /* yellow */
    {0.871f, 0.722f, 0.529f}, /* burlywood */
    {0.0f, 1.0f, 0.0f},       /* lime */
    {0.0f, 1.0f, 1.0f},       /* cyan */
    {1.0f, 0.0f, 1.0f},       /* magenta */
    {0.392f, 0.584f, 0.929f}, /* cornflower blue */
};

void nb_palette_hsv_to_rgb(float h, float s, float v, float rgb[3]) {
    float hh = (h - floorf(h)) * 6.0f;
    int sector = (int)hh;
    if (sector > 5)
        sector = 5;
    float f = hh - (float)sector;
    float p = v * (1.0f - s), q = v * (1.0f - s * f), t = v * (1.0f - s * (1.0f - f));
    const float table[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
    rgb[0] = table[sector][0];
    rgb[1] = table[sector][1];
    rgb[2] = table[sector][2];
}

void nb_palette_color(size_t c, float rgb[3]) {
    if (c < NB_PALETTE_REFERENCE_COLORS) {
        rgb[0] = reference_colors[c][0];
        rgb[1] = reference_colors[c][1];
        rgb[2] = reference_colors[c][2];
        return;
    }
    size_t k = c - NB_PALETTE_REFERENCE_COLORS;
    static const float sat[2] = {0.85f, 0.5f};
    static const float val[3] = {0.8f, 0.6f, 0.95f};
    /* fmod in double keeps the hue exact enough for large k (float would lose the fraction). */
    double h = fmod(0.2 + 0.618033988749895 * (double)k, 1.0);
    nb_palette_hsv_to_rgb((float)h, sat[k % 2], val[(k / 2) % 3], rgb);
}

void nb_palette_foreground(const double bg[3], float rgb[3]) {
    double luma = 0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2];
    float v = luma >= 0.5 ? 0.0f : 1.0f;
    rgb[0] = rgb[1] = rgb[2] = v;
}
