/* nb_legend.c - class legend: swatches and names as pixel-space triangles.
 *
 * DESIGN: text comes from stb_easy_font (Sean Barrett, public domain, libstb-dev), which turns
 * a string into axis-aligned quads of a 5x7-pixel segment font; each quad becomes two
 * triangles scaled by an integer factor, so text stays crisp at any viewport size. The
 * layout is a title line plus one line per listed class, wrapped into columns that fit the
 * viewport height. Everything is GL-free so the layout is unit-tested; nb_frame draws the
 * triangles. (stb_easy_font keeps one file-static spacing value that nnbundle never sets.)
 * No threads. Config keys: show_legend and class_view are applied by the caller / the scene.
 */
#include "nb_legend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

#include "nb_palette.h"

#define LINE_HEIGHT 12.0f /* stb_easy_font line spacing, font units */

static nb_status reserve(nb_tri_buffer *buf, size_t extra) {
    if (buf->n + extra <= buf->cap)
        return NB_OK;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < buf->n + extra)
        cap *= 2;
    float *v = realloc(buf->v, cap * NB_LEGEND_VERTEX_FLOATS * sizeof(float));
    if (!v)
        return NB_RAISE(NB_E_NOMEM, "legend", "%zu vertices", cap);
    buf->v = v;
    buf->cap = cap;
    return NB_OK;
}

static void put(nb_tri_buffer *buf, float x, float y, const float rgba[4]) {
    float *p = buf->v + buf->n * NB_LEGEND_VERTEX_FLOATS;
    p[0] = x;
    p[1] = y;
    memcpy(p + 2, rgba, 4 * sizeof(float));
    buf->n++;
}

nb_status nb_legend_rect(nb_tri_buffer *buf, float x0, float y0, float x1, float y1,
                         const float rgba[4]) {
    NB_TRY(reserve(buf, 6));
    put(buf, x0, y0, rgba);
    put(buf, x1, y0, rgba);
    put(buf, x1, y1, rgba);
    put(buf, x0, y0, rgba);
    put(buf, x1, y1, rgba);
    put(buf, x0, y1, rgba);
    return NB_OK;
}

/* Printable-ASCII copy of text, cut to NB_LEGEND_NAME_MAX characters. */
static void sanitize(const char *text, char out[NB_LEGEND_NAME_MAX + 1]) {
    size_t n = 0;
    for (; text[n] && n < NB_LEGEND_NAME_MAX; n++) {
        unsigned char ch = (unsigned char)text[n];
        out[n] = ch >= 32 && ch < 127 ? (char)ch : '?';
    }
    out[n] = '\0';
}

float nb_legend_text_width(const char *text, int scale) {
    char clean[NB_LEGEND_NAME_MAX + 1];
    sanitize(text, clean);
    return (float)stb_easy_font_width(clean) * (float)scale;
}

nb_status nb_legend_text(nb_tri_buffer *buf, float x, float y, int scale, const char *text,
                         const float rgba[4]) {
    char clean[NB_LEGEND_NAME_MAX + 1];
    sanitize(text, clean);
    /* 64 bytes per quad; at most ~40 quads per glyph in this font. */
    size_t max_quads = strlen(clean) * 40 + 1;
    float *quads = malloc(max_quads * 64);
    if (!quads)
        return NB_RAISE(NB_E_NOMEM, "legend", "text quads");
    int nq = stb_easy_font_print(0.0f, 0.0f, clean, NULL, quads, (int)(max_quads * 64));
    nb_status st = reserve(buf, (size_t)nq * 6);
    if (st != NB_OK) {
        free(quads);
        return st;
    }
    float s = (float)scale;
    for (int q = 0; q < nq; q++) {
        const float *v = quads + (size_t)q * 16; /* 4 vertices of x, y, z, rgba8 */
        float xs[4], ys[4];
        for (int k = 0; k < 4; k++) {
            xs[k] = x + v[k * 4 + 0] * s;
            ys[k] = y + v[k * 4 + 1] * s;
        }
        put(buf, xs[0], ys[0], rgba);
        put(buf, xs[1], ys[1], rgba);
        put(buf, xs[2], ys[2], rgba);
        put(buf, xs[0], ys[0], rgba);
        put(buf, xs[2], ys[2], rgba);
        put(buf, xs[3], ys[3], rgba);
    }
    free(quads);
    return NB_OK;
}

nb_status nb_legend_build(const nb_scene *s, const float fg[3], const float bg[3], int width,
                          int height, float **verts, size_t *n_verts, nb_legend_layout *layout) {
    int scale = height >= 540 ? height / 540 + 1 : 1;
    if (scale > 8)
        scale = 8;
    const float sc = (float)scale;
    const float margin = 6.0f * sc, pad = 4.0f * sc, line = LINE_HEIGHT * sc;
    const float swatch = 8.0f * sc, gap = 4.0f * sc, col_gap = 10.0f * sc;
    const float text_rgba[4] = {fg[0], fg[1], fg[2], 1.0f};
    const float panel_rgba[4] = {bg[0], bg[1], bg[2], 0.8f};

    /* Which classes are listed. */
    size_t first = 0, count = 0;
    const char *title = "classes";
    char title_buf[96];
    if (s->class_view == NB_CLASS_VIEW_ALL) {
        count = s->n_classes;
    } else if (s->class_view == NB_CLASS_VIEW_ONE && s->class_index < s->n_classes) {
        first = s->class_index;
        count = 1;
        title = "class";
    } else {
        snprintf(title_buf, sizeof title_buf, "importance (independent)");
        title = title_buf;
    }

    /* Columns: as many rows as fit below the title. */
    float avail = (float)height - 2.0f * margin - 2.0f * pad - line;
    size_t rows_per_col = avail > line ? (size_t)(avail / line) : 1;
    size_t n_cols = count ? (count + rows_per_col - 1) / rows_per_col : 0;
    float col_width[64];
    if (n_cols > 64)
        n_cols = 64; /* more than 64 columns cannot be read anyway: the rest is cut */
    float total_w = 0.0f;
    for (size_t k = 0; k < n_cols; k++) {
        float w = 0.0f;
        for (size_t r = 0; r < rows_per_col; r++) {
            size_t i = k * rows_per_col + r;
            if (i >= count)
                break;
            float tw = nb_legend_text_width(s->class_names[first + i], scale);
            w = tw > w ? tw : w;
        }
        col_width[k] = swatch + gap + w;
        total_w += col_width[k] + (k ? col_gap : 0.0f);
    }
    float title_w = nb_legend_text_width(title, scale);
    if (title_w > total_w)
        total_w = title_w;
    size_t rows = count < rows_per_col ? count : rows_per_col;
    float x0 = margin, y0 = margin;
    float x1 = x0 + 2.0f * pad + total_w, y1 = y0 + 2.0f * pad + line * (float)(1 + rows);

    nb_tri_buffer buf = {0};
    nb_status st = nb_legend_rect(&buf, x0, y0, x1, y1, panel_rgba);
    if (st == NB_OK)
        st = nb_legend_text(&buf, x0 + pad, y0 + pad + 2.0f * sc, scale, title, text_rgba);
    float cx = x0 + pad;
    size_t listed = 0;
    for (size_t k = 0; k < n_cols && st == NB_OK; k++) {
        for (size_t r = 0; r < rows_per_col && st == NB_OK; r++) {
            size_t i = k * rows_per_col + r;
            if (i >= count)
                break;
            size_t c = first + i;
            float rgb[3];
            nb_palette_color(c, rgb);
            float rgba[4] = {rgb[0], rgb[1], rgb[2], 1.0f};
            float ly = y0 + pad + line * (float)(1 + r);
            st = nb_legend_rect(&buf, cx, ly + 1.0f * sc, cx + swatch, ly + 1.0f * sc + swatch,
                                rgba);
            if (st == NB_OK)
                st = nb_legend_text(&buf, cx + swatch + gap, ly + 2.0f * sc, scale,
                                    s->class_names[c], text_rgba);
            listed++;
        }
        cx += col_width[k] + col_gap;
    }
    if (st != NB_OK) {
        free(buf.v);
        return st;
    }
    (void)width;
    *verts = buf.v;
    *n_verts = buf.n;
    if (layout) {
        layout->x0 = x0;
        layout->y0 = y0;
        layout->x1 = x1;
        layout->y1 = y1;
        layout->n_rows = listed;
        layout->n_columns = n_cols;
        layout->scale = scale;
    }
    return NB_OK;
}
