/* nb_compare.c - compare mode: panel grid, one shared camera, titles, class and scale checks.
 *
 * DESIGN: everything here is GL-free so the layout is unit-tested without a context
 * (tests/test_compare.c). The shared camera reuses the framing of single pictures
 * (nb_camera_bounds_* over nb_scene_bound_drawn, then nb_camera_extent_centre) with the
 * spheres of every scene added to one accumulator, fitted into panel 0's fit rectangle of the
 * whole image's viewport; the other panels differ only by a lens shift (nb_camera_follow_rect),
 * a translation of the projected image, so every panel has the same pose, distance and fov and
 * the renderer can draw each panel into the full target restricted to the panel's scissor
 * box. Grid choice: one framing per candidate grid (n candidates at most, each O(drawn
 * objects)). The shared importance scale is the element-wise maximum of the scenes' display
 * divisors (nb_scene_query_scale). No globals, no threads. Config keys read (through
 * nb_render_params): the drawn modes, sizes and thresholds, camera_fit, camera_margin.
 */
#include "nb_compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_PANEL 8 /* pixels */

nb_status nb_compare_layout_init(nb_compare_layout *l, size_t n, int cols, int width, int height,
                                 int title_h) {
    if (n < 1 || n > NB_COMPARE_MAX_FILES || cols < 1 || (size_t)cols > n || width < 1 ||
        height < 1 || title_h < 0)
        return NB_RAISE(NB_E_INVALID, "compare layout", "%zu panels in %d columns on %dx%d", n,
                        cols, width, height);
    int rows = (int)((n + (size_t)cols - 1) / (size_t)cols);
    int pw = width / cols, ph = height / rows;
    if (pw < MIN_PANEL || ph - title_h < MIN_PANEL)
        return NB_RAISE(NB_E_INVALID, "--size",
                        "%dx%d is too small for %zu panels in %d x %d (panels %dx%d with a "
                        "%d-pixel title)",
                        width, height, n, cols, rows, pw, ph, title_h);
    l->n = n;
    l->width = width;
    l->height = height;
    l->cols = cols;
    l->rows = rows;
    l->panel_w = pw;
    l->panel_h = ph;
    l->title_h = title_h;
    return NB_OK;
}

void nb_compare_panel_rect(const nb_compare_layout *l, size_t i, float rect[4]) {
    size_t cols = (size_t)l->cols;
    size_t row = i / cols, col = i % cols;
    size_t in_row = row + 1 < (size_t)l->rows ? cols : l->n - row * cols; /* last row: rest */
    int ox = (l->width - (int)in_row * l->panel_w) / 2;
    int oy = (l->height - l->rows * l->panel_h) / 2;
    int x0 = ox + (int)col * l->panel_w, y0 = oy + (int)row * l->panel_h;
    rect[0] = (float)x0;
    rect[1] = (float)y0;
    rect[2] = (float)(x0 + l->panel_w);
    rect[3] = (float)(y0 + l->panel_h);
}

void nb_compare_fit_rect(const nb_compare_layout *l, size_t i, float rect[4]) {
    nb_compare_panel_rect(l, i, rect);
    rect[1] += (float)l->title_h;
}

void nb_compare_panel_scissor(const nb_compare_layout *l, size_t i, int box[4]) {
    float r[4];
    nb_compare_panel_rect(l, i, r);
    box[0] = (int)r[0];
    box[1] = l->height - (int)r[3];
    box[2] = l->panel_w;
    box[3] = l->panel_h;
}

int nb_compare_title_height(int width, int height) {
    return (int)ceilf(1.6f * nb_legend_text_px(width, height));
}

/* ---- the shared camera --------------------------------------------------------------- */

bool nb_compare_frame(const nb_scene *const *scenes, size_t n, const nb_render_params *p,
                      const nb_compare_layout *l, nb_camera *cam) {
    const float w = (float)l->width, h = (float)l->height;
    float rect[4];
    nb_compare_fit_rect(l, 0, rect);
    nb_camera_bounds b;
    nb_camera_bounds_begin(&b, cam, w, h, rect, p->camera_margin);
    for (size_t i = 0; i < n; i++)
        nb_scene_bound_drawn(scenes[i], p, &b, NULL);
    nb_camera c = *cam;
    if (!nb_camera_bounds_fit(&b, &c))
        return false;
    /* second pass: centre exactly in pixels (the fit is exact only where it binds) */
    nb_camera_extent e;
    nb_camera_extent_begin(&e, &c, w, h);
    for (size_t i = 0; i < n; i++)
        nb_scene_bound_drawn(scenes[i], p, NULL, &e);
    (void)nb_camera_extent_centre(&e, &c, w, h, rect);
    *cam = c;
    return true;
}

bool nb_compare_frame_orbit(const nb_scene *const *scenes, size_t n, const nb_render_params *p,
                            const nb_compare_layout *l, int n_yaws, nb_camera *cam) {
    const float w = (float)l->width, h = (float)l->height;
    float rect[4];
    nb_compare_fit_rect(l, 0, rect);
    if (n_yaws <= 0)
        n_yaws = 72;
    nb_camera_bounds b;
    nb_camera_bounds_begin(&b, cam, w, h, rect, p->camera_margin);
    for (size_t i = 0; i < n; i++)
        nb_scene_bound_drawn(scenes[i], p, &b, NULL);
    if (b.n == 0)
        return false;
    nb_camera c = *cam;
    for (int k = 0; k < 3; k++)
        c.target[k] = 0.5f * (b.lo[k] + b.hi[k]);
    float far = 0.0f, shift[2] = {b.shift[0], b.shift[1]};
    for (int k = 0; k < n_yaws; k++) {
        nb_camera y = c;
        nb_camera_orbit(&y, 360.0f * (float)k / (float)n_yaws, 0.0f);
        nb_camera_bounds_begin(&b, &y, w, h, rect, p->camera_margin);
        for (size_t i = 0; i < n; i++)
            nb_scene_bound_drawn(scenes[i], p, &b, NULL);
        if (nb_camera_bounds_fit_distance(&b, &y) && y.distance > far)
            far = y.distance;
    }
    if (!(far > 0.0f))
        return false;
    c.distance = far;
    c.shift[0] = shift[0];
    c.shift[1] = shift[1];
    *cam = c;
    return true;
}

void nb_compare_panel_camera(const nb_compare_layout *l, const nb_camera *cam0, size_t i,
                             nb_camera *out) {
    float r0[4], ri[4];
    nb_compare_fit_rect(l, 0, r0);
    nb_compare_fit_rect(l, i, ri);
    *out = *cam0;
    nb_camera_follow_rect(out, (float)l->width, (float)l->height, r0, ri);
}

nb_status nb_compare_choose(const nb_scene *const *scenes, size_t n, const nb_render_params *p,
                            int width, int height, int title_h, int columns, nb_compare_layout *l,
                            nb_camera *cam) {
    nb_compare_layout best_l = {0};
    nb_camera best_cam = *cam;
    double best_score = -1.0;
    nb_status first_error = NB_OK;
    for (size_t rows = 1; rows <= n; rows++) {
        size_t cols = (n + rows - 1) / rows;
        if (columns > 0)
            cols = (size_t)columns < n ? (size_t)columns : n;
        else if (cols * (rows - 1) >= n)
            continue; /* an empty row */
        nb_compare_layout cand = {0};
        nb_status st = nb_compare_layout_init(&cand, n, (int)cols, width, height, title_h);
        if (st != NB_OK) {
            if (first_error == NB_OK)
                first_error = st;
            if (columns > 0)
                break;
            continue;
        }
        float rect[4];
        nb_compare_fit_rect(&cand, 0, rect);
        nb_camera c = *cam;
        double score;
        if (p->camera_fit && nb_compare_frame(scenes, n, p, &cand, &c)) {
            score = 1.0 / (double)c.distance; /* pixels per world unit, up to a constant */
        } else {
            float whole[4] = {0.0f, 0.0f, (float)width, (float)height};
            nb_camera_follow_rect(&c, (float)width, (float)height, whole, rect);
            score = fmin(rect[2] - rect[0], rect[3] - rect[1]);
        }
        if (best_score < 0.0 || score > 1.01 * best_score) {
            best_score = score;
            best_l = cand;
            best_cam = c;
        }
        if (columns > 0)
            break;
    }
    if (best_score < 0.0)
        return first_error != NB_OK
                   ? first_error
                   : NB_RAISE(NB_E_INVALID, "--size", "no grid fits %dx%d", width, height);
    *l = best_l;
    *cam = best_cam;
    return NB_OK;
}

/* ---- titles -------------------------------------------------------------------------- */

static bool ends_with(const char *s, size_t n, const char *suffix) {
    size_t k = strlen(suffix);
    return n > k && strncmp(s + n - k, suffix, k) == 0;
}

void nb_compare_title_of(const char *path, char *out, size_t out_size) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (ends_with(base, n, ".nnb.h5"))
        n -= 7;
    else if (ends_with(base, n, ".h5"))
        n -= 3;
    else {
        const char *dot = strrchr(base, '.');
        if (dot && dot != base)
            n = (size_t)(dot - base);
    }
    if (out_size == 0)
        return;
    if (n >= out_size)
        n = out_size - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

size_t nb_compare_split_titles(const char *value, char (*titles)[NB_COMPARE_TITLE_MAX],
                               size_t max) {
    size_t count = 0;
    const char *s = value ? value : "";
    for (;;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *a = s, *z = s + len;
        while (a < z && (*a == ' ' || *a == '\t'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
        if (count < max) {
            size_t k = (size_t)(z - a);
            if (k > NB_COMPARE_TITLE_MAX - 1)
                k = NB_COMPARE_TITLE_MAX - 1;
            memcpy(titles[count], a, k);
            titles[count][k] = '\0';
        }
        count++;
        if (!end)
            return count;
        s = end + 1;
    }
}

/* text cut at code-point boundaries, with "...", to fit max_w pixels */
static void fit_text(const nb_font_face *f, const char *text, float max_w, char *out,
                     size_t out_size) {
    snprintf(out, out_size, "%s", text);
    if (nb_font_text_width(f, out) <= max_w)
        return;
    size_t n = strlen(out);
    while (n > 0) {
        n--;
        while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80)
            n--;
        char tmp[NB_COMPARE_TITLE_MAX + 4];
        memcpy(tmp, out, n);
        memcpy(tmp + n, "...", 4);
        if (nb_font_text_width(f, tmp) <= max_w || n == 0) {
            snprintf(out, out_size, "%s", tmp);
            return;
        }
    }
}

nb_status nb_compare_titles_build(const nb_compare_layout *l, const nb_font_face *face,
                                  const char *const *titles, const float rgba[4],
                                  nb_overlay_buffer *out, nb_rect *rects) {
    const size_t n0 = out->n;
    for (size_t i = 0; i < l->n; i++) {
        if (rects)
            rects[i] = (nb_rect){0.0f, 0.0f, 0.0f, 0.0f};
        if (!titles || !titles[i] || !titles[i][0] || l->title_h <= 0)
            continue;
        float r[4];
        nb_compare_panel_rect(l, i, r);
        char text[NB_COMPARE_TITLE_MAX + 4];
        const float pad = 0.5f * face->pixel_height;
        fit_text(face, titles[i], (r[2] - r[0]) - 2.0f * pad, text, sizeof text);
        float w = nb_font_text_width(face, text);
        float x = roundf(0.5f * (r[0] + r[2] - w));
        float y = roundf(r[1] + 0.5f * ((float)l->title_h - face->line_height));
        nb_status st = nb_font_draw_text(face, out, x, y, text, rgba);
        if (st != NB_OK) {
            out->n = n0;
            return st;
        }
        if (rects)
            rects[i] = (nb_rect){x, y, x + w, y + face->line_height};
    }
    return NB_OK;
}

/* ---- classes and scale --------------------------------------------------------------- */

static bool plain_index(const char *name, size_t c) {
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", c);
    return strcmp(name, buf) == 0;
}

static bool named(const nb_scene *s) {
    for (size_t c = 0; c < s->n_classes; c++)
        if (!plain_index(s->class_names[c], c))
            return true;
    return false;
}

nb_status nb_compare_classes(const nb_scene *const *scenes, size_t n, const char *const *paths,
                             size_t *names_from, char *warn, size_t warn_size) {
    if (warn && warn_size)
        warn[0] = '\0';
    for (size_t i = 1; i < n; i++)
        if (scenes[i]->n_classes != scenes[0]->n_classes)
            return NB_RAISE(NB_E_MISMATCH, paths[i],
                            "%zu classes, %s has %zu: networks compared side by side share one "
                            "class legend",
                            scenes[i]->n_classes, paths[0], scenes[0]->n_classes);
    size_t from = 0;
    while (from < n && !named(scenes[from]))
        from++;
    *names_from = from < n ? from : 0;
    if (from >= n)
        return NB_OK;
    for (size_t i = from + 1; i < n; i++) {
        if (!named(scenes[i]))
            continue;
        for (size_t c = 0; c < scenes[i]->n_classes; c++) {
            const char *a = scenes[from]->class_names[c], *b = scenes[i]->class_names[c];
            if (strcmp(a, b) != 0) {
                if (warn && warn_size)
                    snprintf(warn, warn_size,
                             "%s names class %zu '%s', %s names it '%s'; the legend uses the "
                             "names of %s",
                             paths[i], c, b, paths[from], a, paths[from]);
                return NB_OK;
            }
        }
    }
    return NB_OK;
}

nb_status nb_compare_shared_scale(const nb_scene *const *scenes, size_t n, const char *const *paths,
                                  nb_compare_scale *out) {
    memset(out, 0, sizeof *out);
    const size_t L = scenes[0]->n_layers, P = L >= 2 ? L - 1 : 0;
    for (size_t i = 1; i < n; i++)
        if (scenes[i]->n_layers != L)
            return NB_RAISE(NB_E_MISMATCH, paths[i],
                            "%zu layers, %s has %zu: one importance scale (--shared-scale) needs "
                            "networks with the same layers",
                            scenes[i]->n_layers, paths[0], L);
    float *d = malloc((2 * L + 3 * P + 1) * sizeof *d);
    if (!d)
        return NB_RAISE(NB_E_NOMEM, "shared scale", "%zu layers", L);
    float *node_norm = d, *node_a0 = d + L, *seg_iota = d + 2 * L, *seg_cull = seg_iota + P,
          *seg_a0 = seg_cull + P;
    for (size_t k = 0; k < 2 * L + 3 * P; k++)
        d[k] = 0.0f;
    for (size_t i = 0; i < n; i++) {
        nb_scene_scale s;
        nb_scene_query_scale(scenes[i], &s);
        for (size_t l = 0; l < L; l++) {
            node_norm[l] = fmaxf(node_norm[l], s.node_norm[l]);
            node_a0[l] = fmaxf(node_a0[l], s.node_a0[l]);
        }
        for (size_t l = 0; l < P; l++) {
            seg_iota[l] = fmaxf(seg_iota[l], s.seg_iota[l]);
            seg_cull[l] = fmaxf(seg_cull[l], s.seg_cull[l]);
            seg_a0[l] = fmaxf(seg_a0[l], s.seg_a0[l]);
        }
    }
    out->data = d;
    out->scale = (nb_scene_scale){L, node_norm, node_a0, seg_iota, seg_cull, seg_a0};
    return NB_OK;
}

void nb_compare_scale_deinit(nb_compare_scale *s) {
    if (!s)
        return;
    free(s->data);
    memset(s, 0, sizeof *s);
}
