/* nb_legend.c - class and encoding legends: layout, placement and triangles (GL-free).
 *
 * DESIGN: every panel is first built at the origin into its own nb_overlay_buffer (a panel
 * background quad whose size is filled in last, then swatches, discs, the wedge and text),
 * so each candidate layout has an exact size; nb_legend_place then scores the anchors of the
 * image against the drawing's screen rectangle and the panels already placed, and the chosen
 * panel is moved there by whole pixels (text stays on whole-pixel baselines). The class panel
 * has two layouts (columns that wrap to the image height; rows that wrap to its width); the
 * encoding panel stacks its node and edge rows or puts them side by side. Class panel first
 * (preference top-left, top-right, bottom-left, bottom-right, then side centres), then the
 * encoding panel (bottom-left, bottom-right, top-right, top-left, ...), which is dropped when
 * it would cover the class panel (or a rectangle the caller asks to avoid: compare mode's
 * titles) or not fit in the image. The encoding numbers are read off the
 * drawn objects (nb_legend_encoding_of) and the opacity goes through nb_render_opacity, the CPU
 * mirror of the impostor shader, so the legend follows the scene's and the shader's mappings. No
 * threads. Config keys (through nb_render_params and the scene): show_legend (caller), class_view,
 * class_index, node_mode, edge_mode, transparency, *_importance_threshold and the edge opacity
 * keys, background.
 */
#include "nb_legend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_palette.h"

#define PANEL_ALPHA 0.85f

/* ---- geometry and placement --------------------------------------------------------- */

static float rect_area(const nb_rect *r) {
    return r->x1 > r->x0 && r->y1 > r->y0 ? (r->x1 - r->x0) * (r->y1 - r->y0) : 0.0f;
}

float nb_rect_overlap(const nb_rect *a, const nb_rect *b) {
    nb_rect i = {fmaxf(a->x0, b->x0), fmaxf(a->y0, b->y0), fminf(a->x1, b->x1),
                 fminf(a->y1, b->y1)};
    return rect_area(a) > 0.0f && rect_area(b) > 0.0f ? rect_area(&i) : 0.0f;
}

nb_status nb_coverage_from_rgb(nb_coverage *c, const unsigned char *rgb, int width, int height,
                               const unsigned char bg[3], int tol, int cell) {
    memset(c, 0, sizeof *c);
    if (width <= 0 || height <= 0 || cell <= 0)
        return NB_RAISE(NB_E_INVALID, "coverage", "image %dx%d, cell %d", width, height, cell);
    int cols = (width + cell - 1) / cell, rows = (height + cell - 1) / cell;
    float *cov = calloc((size_t)cols * (size_t)rows, sizeof *cov);
    if (!cov)
        return NB_RAISE(NB_E_NOMEM, "coverage", "%dx%d cells", cols, rows);
    for (int y = 0; y < height; y++) {
        const unsigned char *row = rgb + (size_t)y * (size_t)width * 3;
        float *crow = cov + (size_t)(y / cell) * (size_t)cols;
        for (int x = 0; x < width; x++) {
            const unsigned char *p = row + 3 * x;
            if (abs(p[0] - bg[0]) > tol || abs(p[1] - bg[1]) > tol || abs(p[2] - bg[2]) > tol)
                crow[x / cell] += 1.0f;
        }
    }
    for (int j = 0; j < rows; j++)
        for (int i = 0; i < cols; i++) {
            int cw = i == cols - 1 ? width - i * cell : cell;
            int ch = j == rows - 1 ? height - j * cell : cell;
            cov[(size_t)j * (size_t)cols + (size_t)i] /= (float)(cw * ch);
        }
    c->cols = cols;
    c->rows = rows;
    c->cell = cell;
    c->width = width;
    c->height = height;
    c->covered = cov;
    return NB_OK;
}

void nb_coverage_deinit(nb_coverage *c) {
    if (!c)
        return;
    free(c->covered);
    memset(c, 0, sizeof *c);
}

float nb_coverage_area(const nb_coverage *c, const nb_rect *r) {
    if (!c->covered || rect_area(r) <= 0.0f)
        return 0.0f;
    const float s = (float)c->cell;
    int i0 = (int)floorf(fmaxf(r->x0, 0.0f) / s), j0 = (int)floorf(fmaxf(r->y0, 0.0f) / s);
    int i1 = (int)ceilf(fminf(r->x1, (float)c->width) / s);
    int j1 = (int)ceilf(fminf(r->y1, (float)c->height) / s);
    double area = 0.0;
    for (int j = j0; j < j1 && j < c->rows; j++)
        for (int i = i0; i < i1 && i < c->cols; i++) {
            nb_rect cellr = {(float)i * s, (float)j * s, fminf((float)(i + 1) * s, (float)c->width),
                             fminf((float)(j + 1) * s, (float)c->height)};
            area += (double)c->covered[(size_t)j * (size_t)c->cols + (size_t)i] *
                    (double)nb_rect_overlap(&cellr, r);
        }
    return (float)area;
}

/* Centroid of the drawn pixels; false when nothing is drawn. */
static bool coverage_centroid(const nb_coverage *c, float *cx, float *cy) {
    double sx = 0.0, sy = 0.0, sw = 0.0;
    for (int j = 0; j < c->rows; j++)
        for (int i = 0; i < c->cols; i++) {
            double w = c->covered[(size_t)j * (size_t)c->cols + (size_t)i];
            sx += w * ((double)i + 0.5) * c->cell;
            sy += w * ((double)j + 0.5) * c->cell;
            sw += w;
        }
    if (sw <= 0.0)
        return false;
    *cx = (float)(sx / sw);
    *cy = (float)(sy / sw);
    return true;
}

static nb_rect anchor_rect(nb_legend_anchor a, float W, float H, float m, float w, float h) {
    float x = m, y = m;
    switch (a) {
    case NB_LEGEND_TOP_LEFT:
        break;
    case NB_LEGEND_TOP_RIGHT:
        x = W - m - w;
        break;
    case NB_LEGEND_BOTTOM_LEFT:
        y = H - m - h;
        break;
    case NB_LEGEND_BOTTOM_RIGHT:
        x = W - m - w;
        y = H - m - h;
        break;
    case NB_LEGEND_TOP:
        x = 0.5f * (W - w);
        break;
    case NB_LEGEND_BOTTOM:
        x = 0.5f * (W - w);
        y = H - m - h;
        break;
    case NB_LEGEND_LEFT:
        y = 0.5f * (H - h);
        break;
    default: /* NB_LEGEND_RIGHT */
        x = W - m - w;
        y = 0.5f * (H - h);
        break;
    }
    x = roundf(x);
    y = roundf(y);
    return (nb_rect){x, y, x + w, y + h};
}

bool nb_legend_placement_better(const nb_legend_placement *a, const nb_legend_placement *b,
                                float image_diag) {
    if (fabsf(a->outside - b->outside) > 0.5f)
        return a->outside < b->outside;
    if (fabsf(a->overlap_taken - b->overlap_taken) > 0.5f)
        return a->overlap_taken < b->overlap_taken;
    float tol = 0.02f * fminf(rect_area(&a->rect), rect_area(&b->rect));
    if (fabsf(a->overlap_drawing - b->overlap_drawing) > tol)
        return a->overlap_drawing < b->overlap_drawing;
    /* both cover the drawing about as much: hide its outskirts rather than its centre (two
     * panels that cover nothing are equal: the preference order decides) */
    if ((a->overlap_drawing > tol || b->overlap_drawing > tol) &&
        fabsf(a->distance - b->distance) > 0.01f * image_diag)
        return a->distance > b->distance;
    return false;
}

nb_legend_placement nb_legend_place(const nb_legend_place_desc *d, float panel_w, float panel_h) {
    const float W = (float)d->width, H = (float)d->height;
    const nb_rect image = {0.0f, 0.0f, W, H};
    nb_rect draw = {fmaxf(d->drawing.x0, 0.0f), fmaxf(d->drawing.y0, 0.0f), fminf(d->drawing.x1, W),
                    fminf(d->drawing.y1, H)};
    bool has_drawing = rect_area(&draw) > 0.0f;
    const nb_rect *centre_of = has_drawing ? &draw : &image;
    float cx = 0.5f * (centre_of->x0 + centre_of->x1), cy = 0.5f * (centre_of->y0 + centre_of->y1);
    if (d->coverage && !coverage_centroid(d->coverage, &cx, &cy)) {
        cx = 0.5f * W; /* nothing drawn */
        cy = 0.5f * H;
    }
    const float diag = sqrtf(W * W + H * H);
    nb_legend_placement best = {0};
    bool have = false;
    size_t n = d->order ? d->n_order : (size_t)NB_LEGEND_ANCHORS;
    for (size_t k = 0; k < n; k++) {
        nb_legend_anchor a = d->order ? d->order[k] : (nb_legend_anchor)k;
        nb_legend_placement c = {0};
        c.anchor = a;
        c.rect = anchor_rect(a, W, H, d->margin, panel_w, panel_h);
        if (d->coverage)
            c.overlap_drawing = nb_coverage_area(d->coverage, &c.rect);
        else
            c.overlap_drawing = has_drawing ? nb_rect_overlap(&c.rect, &draw) : 0.0f;
        c.outside = rect_area(&c.rect) - nb_rect_overlap(&c.rect, &image);
        for (size_t t = 0; t < d->n_taken; t++)
            c.overlap_taken += nb_rect_overlap(&c.rect, &d->taken[t]);
        float px = 0.5f * (c.rect.x0 + c.rect.x1) - cx, py = 0.5f * (c.rect.y0 + c.rect.y1) - cy;
        c.distance = sqrtf(px * px + py * py);
        if (!have || nb_legend_placement_better(&c, &best, diag)) {
            best = c;
            have = true;
        }
    }
    return best;
}

nb_rect nb_legend_drawing_rect(const nb_scene *s, const nb_camera *cam, int width, int height) {
    nb_rect r = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    const nb_rect whole = {0.0f, 0.0f, (float)width, (float)height};
    for (int k = 0; k < 8; k++) {
        float p[3] = {k & 1 ? s->bbox_max[0] : s->bbox_min[0],
                      k & 2 ? s->bbox_max[1] : s->bbox_min[1],
                      k & 4 ? s->bbox_max[2] : s->bbox_min[2]};
        float sx, sy;
        if (!nb_camera_project(cam, (float)width, (float)height, p, &sx, &sy, NULL))
            return whole;
        r.x0 = fminf(r.x0, sx);
        r.y0 = fminf(r.y0, sy);
        r.x1 = fmaxf(r.x1, sx);
        r.y1 = fmaxf(r.y1, sy);
    }
    return r;
}

float nb_legend_text_px(int width, int height) {
    float s = fminf((float)height, (float)width * 9.0f / 16.0f);
    return fmaxf(11.0f, roundf(s / 45.0f));
}

/* ---- what the encoding is ------------------------------------------------------------- */

/* m rounded to 2 significant digits. */
static float two_digits(float m) {
    if (!(m > 0.0f))
        return 0.0f;
    double q = pow(10.0, floor(log10((double)m)) - 1.0);
    return (float)(round((double)m / q) * q);
}

void nb_legend_encoding_of(const nb_scene *s, const nb_render_params *p, nb_legend_encoding *e) {
    memset(e, 0, sizeof *e);
    size_t n_nodes = nb_scene_visible_nodes(s, p->node.importance_threshold);
    if (p->node_pass.pipeline == NB_PIPELINE_SPHERE && n_nodes > 0) {
        float m = 0.0f;
        for (size_t i = 0; i < n_nodes; i++)
            m = fmaxf(m, s->nodes[i * NB_SCENE_NODE_FLOATS + NB_SCENE_NODE_POS + 3]);
        m = two_digits(m);
        if (m > 0.0f) {
            e->nodes = true;
            e->node_levels[0] = 0.25f * m;
            e->node_levels[1] = 0.5f * m;
            e->node_levels[2] = m;
        }
    }
    size_t first = 0;
    size_t n_seg = nb_scene_visible_segments(s, p->edge.importance_threshold, &first);
    nb_pipeline ep = p->edge_pass.pipeline;
    if (n_seg == 0 || (ep != NB_PIPELINE_SPHERE && ep != NB_PIPELINE_ELLIPSOID))
        return;
    e->edges = true;
    e->edge_opacity = p->edge_pass.output != NB_OUTPUT_OPAQUE;
    e->ramp_share = e->edge_opacity && s->class_view == NB_CLASS_VIEW_ONE;
    e->edge_width = !e->ramp_share;
    /* axis range */
    float lo = INFINITY, hi = -INFINITY, iota_max = 0.0f;
    for (size_t i = first; i < first + n_seg; i++) {
        const float *r = s->segments + i * NB_SCENE_SEGMENT_FLOATS;
        float x = e->ramp_share ? r[NB_SCENE_SEG_COLOR + 3] : r[NB_SCENE_SEG_A + 3];
        lo = fminf(lo, x);
        hi = fmaxf(hi, x);
        iota_max = fmaxf(iota_max, r[NB_SCENE_SEG_A + 3]);
    }
    e->ramp_min = lo;
    e->ramp_max = hi;
    e->iota_max = iota_max;
    /* mean a0 and iota per bin of the axis */
    double sum_a0[NB_LEGEND_RAMP] = {0}, sum_iota[NB_LEGEND_RAMP] = {0};
    size_t count[NB_LEGEND_RAMP] = {0};
    const float span = hi - lo;
    for (size_t i = first; i < first + n_seg; i++) {
        const float *r = s->segments + i * NB_SCENE_SEGMENT_FLOATS;
        float x = e->ramp_share ? r[NB_SCENE_SEG_COLOR + 3] : r[NB_SCENE_SEG_A + 3];
        int k = span > 0.0f ? (int)((x - lo) / span * NB_LEGEND_RAMP) : NB_LEGEND_RAMP / 2;
        k = k < 0 ? 0 : k >= NB_LEGEND_RAMP ? NB_LEGEND_RAMP - 1 : k;
        sum_a0[k] += r[NB_SCENE_SEG_COLOR + 3];
        sum_iota[k] += r[NB_SCENE_SEG_A + 3];
        count[k]++;
    }
    float a0[NB_LEGEND_RAMP], iota[NB_LEGEND_RAMP];
    for (int k = 0; k < NB_LEGEND_RAMP; k++) {
        if (count[k]) {
            a0[k] = (float)(sum_a0[k] / (double)count[k]);
            iota[k] = (float)(sum_iota[k] / (double)count[k]);
            continue;
        }
        int l = k - 1, r = k + 1; /* nearest filled bins on both sides */
        while (l >= 0 && !count[l])
            l--;
        while (r < NB_LEGEND_RAMP && !count[r])
            r++;
        double al = l >= 0 ? sum_a0[l] / (double)count[l] : 0,
               il = l >= 0 ? sum_iota[l] / (double)count[l] : 0;
        double ar = r < NB_LEGEND_RAMP ? sum_a0[r] / (double)count[r] : al;
        double ir = r < NB_LEGEND_RAMP ? sum_iota[r] / (double)count[r] : il;
        if (l < 0) {
            al = ar;
            il = ir;
        }
        double t = l >= 0 && r < NB_LEGEND_RAMP ? (double)(k - l) / (double)(r - l) : 0.0;
        a0[k] = (float)(al + t * (ar - al));
        iota[k] = (float)(il + t * (ir - il));
    }
    for (int k = 0; k < NB_LEGEND_RAMP; k++) {
        float a = e->edge_opacity ? nb_render_opacity(&p->edge, a0[k], 1.0f, 1.0f) : 1.0f;
        e->ramp_opacity[k] = a < 0.0f ? 0.0f : a > 1.0f ? 1.0f : a;
        e->ramp_iota[k] = e->ramp_share ? iota_max : iota[k];
    }
}

/* ---- building panels ------------------------------------------------------------------ */

typedef struct ctx {
    const nb_legend_desc *d;
    const nb_font_face *f;
    float line, pad, margin, swatch, gap, col_gap, text_dy;
    float fg[4], panel[4];
} ctx;

typedef struct panel {
    nb_overlay_buffer buf;
    float w, h;
    size_t rows, cols;
} panel;

static nb_status begin_panel(const ctx *c, panel *p) {
    memset(p, 0, sizeof *p);
    return nb_overlay_rect(&p->buf, c->f, 0.0f, 0.0f, 1.0f, 1.0f, c->panel);
}

/* Gives the background quad (the first 6 vertices) its final size. */
static void end_panel(panel *p, float w, float h) {
    p->w = ceilf(w);
    p->h = ceilf(h);
    static const int corner_x[6] = {0, 1, 1, 0, 1, 0}, corner_y[6] = {0, 0, 1, 0, 1, 1};
    for (int k = 0; k < 6; k++) {
        float *v = p->buf.v + (size_t)k * NB_OVERLAY_VERTEX_FLOATS;
        v[0] = corner_x[k] ? p->w : 0.0f;
        v[1] = corner_y[k] ? p->h : 0.0f;
    }
}

static void translate(panel *p, float dx, float dy) {
    for (size_t i = 0; i < p->buf.n; i++) {
        p->buf.v[i * NB_OVERLAY_VERTEX_FLOATS] += dx;
        p->buf.v[i * NB_OVERLAY_VERTEX_FLOATS + 1] += dy;
    }
}

/* A class name cut to NB_LEGEND_NAME_MAX code points. */
static void cut_name(const char *name, char *out, size_t out_size) {
    size_t n = 0, chars = 0;
    while (name[n] && chars < NB_LEGEND_NAME_MAX && n + 4 < out_size) {
        size_t len = 1;
        while (name[n + len] && ((unsigned char)name[n + len] & 0xC0) == 0x80 && len < 4)
            len++;
        memcpy(out + n, name + n, len);
        n += len;
        chars++;
    }
    out[n] = '\0';
}

static nb_status text(const ctx *c, panel *p, float x, float y, const char *s,
                      const float rgba[4]) {
    return nb_font_draw_text(c->f, &p->buf, x, y + c->text_dy, s, rgba);
}

static void class_title(const nb_scene *s, char *out, size_t n) {
    if (s->class_view == NB_CLASS_VIEW_ALL)
        snprintf(out, n, "Classes");
    else if (s->class_view == NB_CLASS_VIEW_ONE && s->class_index < s->n_classes)
        snprintf(out, n, "Class");
    else
        snprintf(out, n, "Importance (class-independent)");
}

static size_t class_count(const nb_scene *s, size_t *first) {
    *first = 0;
    if (s->class_view == NB_CLASS_VIEW_ALL)
        return s->n_classes;
    if (s->class_view == NB_CLASS_VIEW_ONE && s->class_index < s->n_classes) {
        *first = s->class_index;
        return 1;
    }
    return 0;
}

/* One class entry (swatch + name) with its top-left at (x, y). */
static nb_status class_entry(const ctx *c, panel *p, float x, float y, size_t cls) {
    float rgb[3];
    nb_palette_color(cls, rgb);
    const float rgba[4] = {rgb[0], rgb[1], rgb[2], 1.0f};
    float sy = roundf(y + 0.5f * (c->line - c->swatch));
    NB_TRY(nb_overlay_rect(&p->buf, c->f, x, sy, x + c->swatch, sy + c->swatch, rgba));
    char name[NB_LEGEND_NAME_MAX * 4 + 8];
    cut_name(c->d->scene->class_names[cls], name, sizeof name);
    return text(c, p, x + c->swatch + c->gap, y, name, c->fg);
}

static float entry_width(const ctx *c, size_t cls) {
    char name[NB_LEGEND_NAME_MAX * 4 + 8];
    cut_name(c->d->scene->class_names[cls], name, sizeof name);
    return c->swatch + c->gap + nb_font_text_width(c->f, name);
}

/* Class panel, column layout: rows wrap into columns that fit the image height. */
static nb_status class_columns(const ctx *c, panel *p) {
    const nb_scene *s = c->d->scene;
    NB_TRY(begin_panel(c, p));
    char title[64];
    class_title(s, title, sizeof title);
    size_t first, count = class_count(s, &first);
    float avail = (float)c->d->height - 2.0f * c->margin - 2.0f * c->pad - c->line;
    size_t per_col = avail > c->line ? (size_t)(avail / c->line) : 1;
    size_t n_cols = count ? (count + per_col - 1) / per_col : 0;
    nb_status st = text(c, p, c->pad, c->pad, title, c->fg);
    float x = c->pad, content_w = 0.0f;
    for (size_t k = 0; k < n_cols && st == NB_OK; k++) {
        float col_w = 0.0f;
        for (size_t r = 0; r < per_col && st == NB_OK; r++) {
            size_t i = k * per_col + r;
            if (i >= count)
                break;
            col_w = fmaxf(col_w, entry_width(c, first + i));
            st = class_entry(c, p, x, c->pad + c->line * (float)(1 + r), first + i);
        }
        content_w = x + col_w - c->pad;
        x += col_w + c->col_gap;
    }
    if (st != NB_OK)
        return st;
    float w = fmaxf(content_w, nb_font_text_width(c->f, title));
    size_t rows = count < per_col ? count : per_col;
    end_panel(p, w + 2.0f * c->pad, 2.0f * c->pad + c->line * (float)(1 + rows));
    p->rows = count;
    p->cols = n_cols;
    return NB_OK;
}

/* Class panel, row layout: the title, then the entries flow left to right on the same line
 * and wrap at the image width (a wide, short panel for a strip along the top or bottom). */
static nb_status class_rows(const ctx *c, panel *p) {
    const nb_scene *s = c->d->scene;
    NB_TRY(begin_panel(c, p));
    char title[64];
    class_title(s, title, sizeof title);
    size_t first, count = class_count(s, &first);
    float max_w = (float)c->d->width - 2.0f * c->margin - 2.0f * c->pad;
    nb_status st = text(c, p, c->pad, c->pad, title, c->fg);
    float x = nb_font_text_width(c->f, title) + c->col_gap, w = x - c->col_gap;
    size_t line = 0;
    for (size_t i = 0; i < count && st == NB_OK; i++) {
        float ew = entry_width(c, first + i);
        if (x > 0.0f && x + ew > max_w) {
            x = 0.0f;
            line++;
        }
        st = class_entry(c, p, c->pad + x, c->pad + c->line * (float)line, first + i);
        w = fmaxf(w, x + ew);
        x += ew + c->col_gap;
    }
    if (st != NB_OK)
        return st;
    end_panel(p, w + 2.0f * c->pad, 2.0f * c->pad + c->line * (float)(line + 1));
    p->rows = count;
    p->cols = line + 1;
    return NB_OK;
}

static void number(char *out, size_t n, float v) {
    snprintf(out, n, "%.2g", (double)v);
}

/* The objects' colour in the legend: the shown class's colour in class view, else the
 * foreground colour (the class mix of "all" has no single colour). */
static void object_rgb(const ctx *c, float rgb[3]) {
    const nb_scene *s = c->d->scene;
    if (s->class_view == NB_CLASS_VIEW_ONE && s->class_index < s->n_classes)
        nb_palette_color(s->class_index, rgb);
    else
        memcpy(rgb, c->fg, 3 * sizeof(float));
}

/* Node section at (x, y): title line, then three discs with their ||v|| labels. Returns the
 * section's size through w, h. */
static nb_status node_section(const ctx *c, panel *p, const nb_legend_encoding *e, float x, float y,
                              float *w, float *h) {
    const char *title = "Node size: importance";
    NB_TRY(text(c, p, x, y, title, c->fg));
    float rgb[3];
    object_rgb(c, rgb);
    const float rgba[4] = {rgb[0], rgb[1], rgb[2], 0.6f};
    const float r_max = 0.6f * c->line;
    const float cy = y + c->line + 0.1f * c->line + r_max;
    float cx = x;
    for (int k = 0; k < 3; k++) {
        float r = r_max * e->node_levels[k] / e->node_levels[2];
        NB_TRY(nb_overlay_disc(&p->buf, c->f, cx + r_max, cy, r, rgba));
        char label[32];
        number(label, sizeof label, e->node_levels[k]);
        float lx = cx + r_max + r + c->gap;
        NB_TRY(text(c, p, lx, cy - 0.5f * c->line, label, c->fg));
        cx = lx + nb_font_text_width(c->f, label) + c->col_gap;
    }
    *w = fmaxf(nb_font_text_width(c->f, title), cx - c->col_gap - x);
    *h = c->line + 0.2f * c->line + 2.0f * r_max;
    return NB_OK;
}

/* Edge section at (x, y): title line, the wedge/ramp, then its end labels. */
static nb_status edge_section(const ctx *c, panel *p, const nb_legend_encoding *e, float x, float y,
                              float *w, float *h) {
    const char *title = e->ramp_share     ? "Edge opacity: class importance"
                        : e->edge_opacity ? "Edge width, opacity: importance"
                                          : "Edge width: importance";
    NB_TRY(text(c, p, x, y, title, c->fg));
    float rgb[3];
    object_rgb(c, rgb);
    const float ramp_w = roundf(8.0f * c->f->pixel_height), ramp_h = roundf(0.9f * c->line);
    const float cy = y + c->line + 0.5f * c->line;
    const float imax = e->iota_max > 0.0f ? e->iota_max : 1.0f;
    for (int k = 0; k + 1 < NB_LEGEND_RAMP; k++) {
        float x0 = x + ramp_w * (float)k / (NB_LEGEND_RAMP - 1);
        float x1 = x + ramp_w * (float)(k + 1) / (NB_LEGEND_RAMP - 1);
        float h0 = e->edge_width ? fmaxf(1.0f, ramp_h * e->ramp_iota[k] / imax) : ramp_h;
        float h1 = e->edge_width ? fmaxf(1.0f, ramp_h * e->ramp_iota[k + 1] / imax) : ramp_h;
        const float xs[4] = {x0, x1, x1, x0};
        const float ys[4] = {cy - 0.5f * h0, cy - 0.5f * h1, cy + 0.5f * h1, cy + 0.5f * h0};
        float cols[16];
        for (int v = 0; v < 4; v++) {
            memcpy(cols + 4 * v, rgb, 3 * sizeof(float));
            cols[4 * v + 3] = e->ramp_opacity[v == 1 || v == 2 ? k + 1 : k];
        }
        NB_TRY(nb_overlay_quad(&p->buf, c->f, xs, ys, cols));
    }
    char lo[32], hi[32];
    number(lo, sizeof lo, e->ramp_min);
    number(hi, sizeof hi, e->ramp_max);
    float ly = y + 2.0f * c->line;
    NB_TRY(text(c, p, x, ly, lo, c->fg));
    NB_TRY(text(c, p, x + ramp_w - nb_font_text_width(c->f, hi), ly, hi, c->fg));
    *w = fmaxf(nb_font_text_width(c->f, title), ramp_w);
    *h = 3.0f * c->line;
    return NB_OK;
}

/* Encoding panel: node section and edge section stacked (horizontal = false) or side by
 * side. */
static nb_status encoding_panel(const ctx *c, const nb_legend_encoding *e, bool horizontal,
                                panel *p) {
    NB_TRY(begin_panel(c, p));
    float x = c->pad, y = c->pad, w = 0.0f, h = 0.0f, sw = 0.0f, sh = 0.0f;
    if (e->nodes) {
        NB_TRY(node_section(c, p, e, x, y, &sw, &sh));
        w = sw;
        h = sh;
        if (horizontal)
            x += sw + 2.0f * c->col_gap;
        else
            y += sh + 0.5f * c->line;
    }
    if (e->edges) {
        NB_TRY(edge_section(c, p, e, x, y, &sw, &sh));
        if (horizontal) {
            w = x - c->pad + sw;
            h = fmaxf(h, sh);
        } else {
            w = fmaxf(w, sw);
            h = y - c->pad + sh;
        }
    }
    end_panel(p, w + 2.0f * c->pad, h + 2.0f * c->pad);
    return NB_OK;
}

static nb_status append(nb_overlay_buffer *out, const nb_overlay_buffer *in) {
    if (out->n + in->n > out->cap) {
        size_t cap = out->cap ? out->cap : 256;
        while (cap < out->n + in->n)
            cap *= 2;
        float *v = realloc(out->v, cap * NB_OVERLAY_VERTEX_FLOATS * sizeof(float));
        if (!v)
            return NB_RAISE(NB_E_NOMEM, "legend", "%zu vertices", cap);
        out->v = v;
        out->cap = cap;
    }
    memcpy(out->v + out->n * NB_OVERLAY_VERTEX_FLOATS, in->v,
           in->n * NB_OVERLAY_VERTEX_FLOATS * sizeof(float));
    out->n += in->n;
    return NB_OK;
}

/* Places the best of the n candidate panels; returns its index. */
static size_t place_best(const nb_legend_place_desc *pd, const panel *cand, size_t n,
                         nb_legend_placement *out) {
    const float diag =
        sqrtf((float)pd->width * (float)pd->width + (float)pd->height * (float)pd->height);
    size_t best = 0;
    for (size_t i = 0; i < n; i++) {
        nb_legend_placement pl = nb_legend_place(pd, cand[i].w, cand[i].h);
        if (i == 0 || nb_legend_placement_better(&pl, out, diag)) {
            *out = pl;
            best = i;
        }
    }
    return best;
}

nb_status nb_legend_build(const nb_legend_desc *d, nb_overlay_buffer *out,
                          nb_legend_layout *layout) {
    if (d->width <= 0 || d->height <= 0)
        return NB_RAISE(NB_E_INVALID, "legend", "image size %dx%d", d->width, d->height);
    const nb_render_params *p = d->params;
    ctx c = {0};
    c.d = d;
    c.f = d->face;
    c.line = roundf(d->face->line_height * 1.15f);
    c.pad = roundf(0.45f * c.line);
    c.margin = roundf(0.5f * c.line);
    c.swatch = roundf(0.6f * c.line);
    c.gap = roundf(0.35f * c.line);
    c.col_gap = roundf(0.8f * c.line);
    c.text_dy = roundf(0.5f * (c.line - d->face->line_height));
    memcpy(c.fg, p->foreground, 3 * sizeof(float));
    c.fg[3] = 1.0f;
    memcpy(c.panel, p->background, 3 * sizeof(float));
    c.panel[3] = PANEL_ALPHA;

    panel cls[2], enc[2];
    memset(cls, 0, sizeof cls);
    memset(enc, 0, sizeof enc);
    nb_legend_encoding e;
    nb_legend_encoding_of(d->scene, p, &e);
    bool want_enc = e.nodes || e.edges;
    nb_status st = class_columns(&c, &cls[0]);
    if (st == NB_OK)
        st = class_rows(&c, &cls[1]);
    if (st == NB_OK && want_enc)
        st = encoding_panel(&c, &e, false, &enc[0]);
    if (st == NB_OK && want_enc)
        st = encoding_panel(&c, &e, true, &enc[1]);

    nb_legend_layout lay;
    memset(&lay, 0, sizeof lay);
    size_t n0 = out->n;
    if (st == NB_OK) {
        static const nb_legend_anchor class_order[] = {
            NB_LEGEND_TOP_LEFT, NB_LEGEND_TOP_RIGHT, NB_LEGEND_BOTTOM_LEFT, NB_LEGEND_BOTTOM_RIGHT,
            NB_LEGEND_TOP,      NB_LEGEND_BOTTOM,    NB_LEGEND_LEFT,        NB_LEGEND_RIGHT};
        static const nb_legend_anchor enc_order[] = {
            NB_LEGEND_BOTTOM_LEFT, NB_LEGEND_BOTTOM_RIGHT, NB_LEGEND_TOP_RIGHT, NB_LEGEND_TOP_LEFT,
            NB_LEGEND_BOTTOM,      NB_LEGEND_TOP,          NB_LEGEND_RIGHT,     NB_LEGEND_LEFT};
        nb_legend_place_desc pd = {d->width, d->height,  c.margin,    d->drawing, d->coverage,
                                   d->avoid, d->n_avoid, class_order, 8};
        size_t ci = place_best(&pd, cls, 2, &lay.classes);
        lay.classes_rows = ci == 1;
        lay.n_rows = cls[ci].rows;
        lay.n_columns = cls[ci].cols;
        translate(&cls[ci], lay.classes.rect.x0, lay.classes.rect.y0);
        st = append(out, &cls[ci].buf);
        nb_rect taken[NB_LEGEND_MAX_AVOID + 1];
        size_t n_taken = d->n_avoid < NB_LEGEND_MAX_AVOID ? d->n_avoid : NB_LEGEND_MAX_AVOID;
        if (n_taken)
            memcpy(taken, d->avoid, n_taken * sizeof *taken);
        taken[n_taken++] = lay.classes.rect;
        if (st == NB_OK && want_enc) {
            pd.taken = taken;
            pd.n_taken = n_taken;
            pd.order = enc_order;
            size_t ei = place_best(&pd, enc, 2, &lay.encoding);
            if (lay.encoding.overlap_taken <= 0.5f && lay.encoding.outside <= 0.5f) {
                translate(&enc[ei], lay.encoding.rect.x0, lay.encoding.rect.y0);
                st = append(out, &enc[ei].buf);
                lay.has_encoding = true;
            }
        }
        if (!lay.has_encoding)
            memset(&lay.encoding, 0, sizeof lay.encoding);
    }
    for (int i = 0; i < 2; i++) {
        free(cls[i].buf.v);
        free(enc[i].buf.v);
    }
    if (st != NB_OK) {
        out->n = n0;
        return st;
    }
    if (layout)
        *layout = lay;
    return NB_OK;
}
