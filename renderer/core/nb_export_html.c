/* nb_export_html.c - the self-contained web page of --export OUT.html.
 *
 * DESIGN: the page is the template nb_export_page.html (embedded at build time as
 * nb_export_page[], renderer/CMakeLists.txt) with its markers replaced: three.js and
 * OrbitControls read from NB_THREE_DIR, the class-view menu, pose buttons and legend as HTML
 * (class names escaped), the metadata as JSON (cJSON) and one binary block in base64. The
 * block: node centres float32[N][3], node radii float32[N], segment end points
 * uint16[S][2][3] (quantised over meta.box), then per class view (all, independent, class
 * 0..C-1) node RGBA uint8[N][4] and segment RGBA uint8[S][4], every array at a 4-byte
 * offset given in the metadata. The colours of every view come from a scene built for that
 * view (nb_scene_build, the desc of the exported scene with class_view / class_index changed)
 * through nb_export_colors, the code the glTF writer uses, with the params of the config
 * with that class view (the fade of "class" and "independent" depends on it); the visible prefix is
 * the one of the exported scene, and each view's scene must list the same node ids and segment
 * (edge, t) in the same order. Camera poses: nb_camera as nnbundle-render's window places them
 * (nb_camera_init, nb_camera_set_pose, nb_scene_frame for 1280 x 720 when camera_fit).
 * Source: three.js r111 (Debian libjs-three) API; RFC 4648 base64.
 * Single-threaded (the view scenes are built one after the other). Config keys read:
 * class_view, class_index, camera_pose, camera_fit, camera_margin, fov_degrees, background
 * (through nb_render_params), and the keys of nb_export.h.
 */
#include "nb_export_html.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "nb_camera.h"
#include "nb_export_page.h" /* nb_export_page[]: the template, generated */
#include "nb_file.h"
#include "nb_palette.h"

#define POSE_WIDTH  1280.0f
#define POSE_HEIGHT 720.0f

const char *nb_export_html_three_dir(void) {
    const char *e = getenv("NNBUNDLE_THREE_DIR");
    return e && *e ? e : NB_THREE_DIR;
}

/* ---- a growable text ------------------------------------------------------------------ */

typedef struct text {
    char *s;
    size_t len, cap;
    bool failed;
} text;

static void add_n(text *t, const char *s, size_t n) {
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1u << 16;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p) {
            t->failed = true;
            return;
        }
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void add(text *t, const char *s) {
    add_n(t, s, strlen(s));
}

static void addf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(text *t, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        add_n(t, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Text as HTML character data or attribute value. */
static void add_escaped(text *t, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&':
            add(t, "&amp;");
            break;
        case '<':
            add(t, "&lt;");
            break;
        case '>':
            add(t, "&gt;");
            break;
        case '"':
            add(t, "&quot;");
            break;
        default:
            add_n(t, s, 1);
        }
    }
}

static void add_base64(text *t, const uint8_t *p, size_t n) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char chunk[4 * 1024 + 4];
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        chunk[k++] = a[(v >> 18) & 63];
        chunk[k++] = a[(v >> 12) & 63];
        chunk[k++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
        chunk[k++] = i + 2 < n ? a[v & 63] : '=';
        if (k >= 4 * 1024) {
            add_n(t, chunk, k);
            k = 0;
        }
    }
    add_n(t, chunk, k);
}

/* ---- three.js ------------------------------------------------------------------------- */

/* Reads dir/rel into *out (NUL-terminated). "</script" inside would end the element early:
 * refused as NB_E_FORMAT (libjs-three has none). */
static nb_status read_script(const char *dir, const char *rel, char **out) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NB_RAISE(NB_E_MISSING, path,
                        "cannot read three.js for the page (%s); install Debian's libjs-three "
                        "or set NNBUNDLE_THREE_DIR to a directory with three.min.js and "
                        "examples/js/controls/OrbitControls.js",
                        strerror(errno));
    text t = {0};
    char buf[1 << 16];
    size_t n;
    add_n(&t, "", 0); /* an empty file is an empty script */
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        add_n(&t, buf, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || t.failed || !t.s) {
        free(t.s);
        return bad ? NB_RAISE(NB_E_IO, path, "read failed")
                   : NB_RAISE(NB_E_NOMEM, path, "reading %zu bytes", t.len);
    }
    if (strstr(t.s, "</script")) {
        free(t.s);
        return NB_RAISE(NB_E_FORMAT, path, "contains \"</script\"; it cannot be inlined");
    }
    *out = t.s;
    return NB_OK;
}

/* ---- the data block ------------------------------------------------------------------- */

typedef nb_export_bytes block;

/* Appends n zero bytes at a 4-byte offset; returns the offset (its bytes to be filled). */
static size_t reserve(block *b, size_t n) {
    return nb_export_bytes_put(b, NULL, n);
}

/* The scene of class view (view, class) with every other field of d->scene_desc; checks it
 * lists the exported objects in the same order. */
static nb_status view_scene(const nb_export_desc *d, const nb_export_view *v, int view, size_t cls,
                            nb_scene *out) {
    nb_scene_desc sd = *d->scene_desc;
    sd.class_view = view;
    sd.class_index = cls;
    NB_TRY(nb_scene_build(d->model, &sd, d->source, out));
    const nb_scene *a = d->scene;
    bool same = out->n_nodes == a->n_nodes && out->n_segments == a->n_segments;
    for (size_t i = 0; same && i < v->n_nodes; i++)
        same = out->node_id[i] == a->node_id[i];
    for (size_t i = v->first_segment; same && i < v->first_segment + v->n_segments; i++) {
        const float *x = out->segments + i * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA;
        const float *y = a->segments + i * NB_SCENE_SEGMENT_FLOATS + NB_SCENE_SEG_EXTRA;
        same = x[1] == y[1] && x[3] == y[3];
    }
    if (!same) {
        nb_scene_deinit(out);
        return NB_RAISE(NB_E_MISMATCH, d->source,
                        "the scene of class view %d (class %zu) lists other objects than the "
                        "exported one",
                        view, cls);
    }
    return NB_OK;
}

static uint16_t quantise(float x, float lo, float hi) {
    if (!(hi > lo))
        return 0;
    float q = (x - lo) / (hi - lo) * 65535.0f;
    return (uint16_t)(q <= 0.0f ? 0 : q >= 65535.0f ? 65535 : lrintf(q));
}

/* Geometry of the exported view into b, offsets and the box into meta. */
static void add_geometry(block *b, const nb_export_view *v, cJSON *meta) {
    const nb_scene *s = v->scene;
    size_t o_pos = reserve(b, v->n_nodes * 12), o_rad = reserve(b, v->n_nodes * 4);
    size_t o_seg = reserve(b, v->n_segments * 12);
    if (b->failed)
        return;
    float *pos = (float *)(b->data + o_pos), *rad = (float *)(b->data + o_rad);
    for (size_t i = 0; i < v->n_nodes; i++) {
        const float *r = s->nodes + i * NB_SCENE_NODE_FLOATS;
        memcpy(pos + 3 * i, r, 3 * sizeof(float));
        rad[i] = v->node_size * r[3];
    }
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < v->n_segments; i++) {
        const float *r = s->segments + (v->first_segment + i) * NB_SCENE_SEGMENT_FLOATS;
        for (int k = 0; k < 3; k++) {
            lo[k] = fminf(lo[k], fminf(r[NB_SCENE_SEG_A + k], r[NB_SCENE_SEG_B + k]));
            hi[k] = fmaxf(hi[k], fmaxf(r[NB_SCENE_SEG_A + k], r[NB_SCENE_SEG_B + k]));
        }
    }
    if (v->n_segments == 0)
        for (int k = 0; k < 3; k++)
            lo[k] = hi[k] = 0.0f;
    uint16_t *q = (uint16_t *)(b->data + o_seg);
    for (size_t i = 0; i < v->n_segments; i++) {
        const float *r = s->segments + (v->first_segment + i) * NB_SCENE_SEGMENT_FLOATS;
        for (int k = 0; k < 3; k++) {
            q[6 * i + (size_t)k] = quantise(r[NB_SCENE_SEG_A + k], lo[k], hi[k]);
            q[6 * i + 3 + (size_t)k] = quantise(r[NB_SCENE_SEG_B + k], lo[k], hi[k]);
        }
    }
    cJSON *off = cJSON_AddObjectToObject(meta, "offsets");
    cJSON_AddNumberToObject(off, "node_pos", (double)o_pos);
    cJSON_AddNumberToObject(off, "node_radius", (double)o_rad);
    cJSON_AddNumberToObject(off, "seg_pos", (double)o_seg);
    cJSON *box = cJSON_AddObjectToObject(meta, "box");
    cJSON_AddItemToObject(box, "min", cJSON_CreateFloatArray(lo, 3));
    cJSON_AddItemToObject(box, "max", cJSON_CreateFloatArray(hi, 3));
}

/* The colours of every class view into b, the view list into meta. */
static nb_status add_views(block *b, const nb_export_desc *d, const nb_export_view *v,
                           cJSON *meta) {
    const nb_scene *s = d->scene;
    cJSON *views = cJSON_AddArrayToObject(meta, "views");
    const size_t n_views = 2 + s->n_classes;
    for (size_t k = 0; k < n_views; k++) {
        const int view = k == 0   ? NB_CLASS_VIEW_ALL
                         : k == 1 ? NB_CLASS_VIEW_INDEPENDENT
                                  : NB_CLASS_VIEW_ONE;
        const size_t cls = k >= 2 ? k - 2 : 0;
        nb_scene vs;
        NB_TRY(view_scene(d, v, view, cls, &vs));
        nb_export_view vv = *v;
        vv.scene = &vs;
        /* the params of the view (fade_opaque depends on it) */
        nb_rendering_config vc = *d->config;
        vc.class_view = view;
        vc.class_index = (int)cls;
        nb_render_params vp;
        nb_render_params_from_config(&vc, &vp);
        size_t o_node = reserve(b, v->n_nodes * 4), o_seg = reserve(b, v->n_segments * 4);
        if (!b->failed)
            nb_export_colors(&vv, &vp, false, b->data + o_node, b->data + o_seg);
        nb_scene_deinit(&vs);
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return NB_RAISE(NB_E_NOMEM, "--export", "page metadata");
        cJSON_AddItemToArray(views, o);
        char name[300];
        if (k >= 2)
            snprintf(name, sizeof name, "class %zu: %s", cls, s->class_names[cls]);
        cJSON_AddStringToObject(o, "name", k == 0 ? "all classes" : k == 1 ? "independent" : name);
        cJSON_AddNumberToObject(o, "class", k >= 2 ? (double)cls : -1.0);
        cJSON_AddStringToObject(
            o, "note",
            k == 0   ? "colour: the classes' colours mixed by each object's share of importance; "
                       "size and opacity: importance"
            : k == 1 ? "one colour for all; size and opacity: importance over all classes"
                     : "colour: this class, faded towards the background where the object "
                       "matters less for it");
        cJSON_AddNumberToObject(o, "node_rgba", (double)o_node);
        cJSON_AddNumberToObject(o, "seg_rgba", (double)o_seg);
    }
    if (b->failed)
        return NB_RAISE(NB_E_NOMEM, "--export", "page data of %zu views", n_views);
    return NB_OK;
}

/* The ten poses as eye / target, framed like the renderer's window. */
static void add_poses(const nb_export_desc *d, cJSON *meta) {
    const nb_scene *s = d->scene;
    cJSON *poses = cJSON_AddArrayToObject(meta, "poses");
    float scale = 1.0f;
    for (int k = 0; k < NB_CAMERA_POSES; k++) {
        nb_camera cam;
        nb_camera_init(&cam, s->node_bbox_min, s->node_bbox_max, d->params->fov_degrees, k);
        if (d->params->camera_fit)
            (void)nb_scene_frame(s, d->params, POSE_WIDTH, POSE_HEIGHT, NULL, &cam);
        float eye[3], fwd[3], right[3], up[3], target[3];
        nb_camera_eye(&cam, eye);
        nb_camera_basis(&cam, fwd, right, up);
        /* the point the lens-shifted camera shows at the centre, at the target's depth */
        const float ty = tanf(cam.fov_degrees * 0.5f * 3.14159265358979f / 180.0f);
        const float tx = ty * POSE_WIDTH / POSE_HEIGHT;
        for (int i = 0; i < 3; i++) {
            float delta = -cam.shift[0] * tx * cam.distance * right[i] -
                          cam.shift[1] * ty * cam.distance * up[i];
            eye[i] += delta;
            target[i] = cam.target[i] + delta;
        }
        cJSON *p = cJSON_CreateObject();
        cJSON_AddItemToObject(p, "eye", cJSON_CreateFloatArray(eye, 3));
        cJSON_AddItemToObject(p, "target", cJSON_CreateFloatArray(target, 3));
        cJSON_AddItemToArray(poses, p);
        scale = cam.scale;
    }
    cJSON_AddNumberToObject(meta, "pose_aspect", POSE_WIDTH / POSE_HEIGHT);
    cJSON_AddNumberToObject(meta, "fov", d->params->fov_degrees);
    cJSON_AddNumberToObject(meta, "near", 0.01 * scale);
    cJSON_AddNumberToObject(meta, "far", 100.0 * scale);
}

/* The legend: one list item per class with its palette colour. */
static void add_legend(text *t, const nb_scene *s) {
    add(t, "<ul id=\"classes\">\n");
    for (size_t c = 0; c < s->n_classes; c++) {
        float rgb[3];
        nb_palette_color(c, rgb);
        addf(t,
             "<li data-cls=\"%zu\"><span class=\"sw\" style=\"background:rgb(%d,%d,%d)\">"
             "</span>",
             c, (int)lrintf(rgb[0] * 255.0f), (int)lrintf(rgb[1] * 255.0f),
             (int)lrintf(rgb[2] * 255.0f));
        add_escaped(t, s->class_names[c]);
        add(t, "</li>\n");
    }
    add(t, "</ul>");
}

static void add_views_menu(text *t, const nb_scene *s) {
    add(t, "<option value=\"0\">all classes</option><option value=\"1\">independent</option>");
    for (size_t c = 0; c < s->n_classes; c++) {
        addf(t, "<option value=\"%zu\">class %zu: ", c + 2, c);
        add_escaped(t, s->class_names[c]);
        add(t, "</option>");
    }
}

static const char *base_name(const char *path) {
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : (path ? path : "");
}

/* Everything the markers stand for. */
typedef struct page_parts {
    char *three, *orbit, *meta;
    const uint8_t *data;
    size_t data_len;
} page_parts;

static void fill_template(text *t, const nb_export_desc *d, const page_parts *pp) {
    const char *p = (const char *)nb_export_page;
    while (*p) {
        const char *m = strstr(p, "<!--NB:");
        if (!m) {
            add(t, p);
            break;
        }
        add_n(t, p, (size_t)(m - p));
        const char *name = m + 7, *end = strstr(name, "-->");
        if (!end) {
            add(t, m);
            break;
        }
        size_t n = (size_t)(end - name);
        if (n == 5 && strncmp(name, "TITLE", n) == 0)
            add_escaped(t, base_name(d->source));
        else if (n == 5 && strncmp(name, "THREE", n) == 0)
            add(t, pp->three);
        else if (n == 5 && strncmp(name, "ORBIT", n) == 0)
            add(t, pp->orbit);
        else if (n == 5 && strncmp(name, "VIEWS", n) == 0)
            add_views_menu(t, d->scene);
        else if (n == 5 && strncmp(name, "POSES", n) == 0)
            for (int k = 0; k < NB_CAMERA_POSES; k++)
                addf(t, "<button data-pose=\"%d\">%d</button>", k, k);
        else if (n == 6 && strncmp(name, "LEGEND", n) == 0)
            add_legend(t, d->scene);
        else if (n == 4 && strncmp(name, "META", n) == 0)
            add(t, pp->meta);
        else if (n == 4 && strncmp(name, "DATA", n) == 0)
            add_base64(t, pp->data, pp->data_len);
        else
            add_n(t, m, (size_t)(end + 3 - m));
        p = end + 3;
    }
}

/* The metadata (without the data block's parts, added by add_geometry / add_views). */
static cJSON *page_meta(const nb_export_desc *d, const nb_export_view *v) {
    const nb_scene *s = d->scene;
    cJSON *meta = cJSON_CreateObject();
    if (!meta)
        return NULL;
    cJSON_AddStringToObject(meta, "source", base_name(d->source));
    cJSON_AddNumberToObject(meta, "nodes", (double)v->n_nodes);
    cJSON_AddNumberToObject(meta, "edges", (double)v->n_edges);
    cJSON_AddNumberToObject(meta, "segments", (double)v->n_segments);
    cJSON_AddBoolToObject(meta, "nodes_opaque", v->nodes_opaque);
    cJSON_AddBoolToObject(meta, "edges_opaque", v->edges_opaque);
    cJSON_AddItemToObject(meta, "background", cJSON_CreateFloatArray(d->params->background, 3));
    cJSON *classes = cJSON_AddArrayToObject(meta, "classes");
    for (size_t c = 0; classes && c < s->n_classes; c++)
        cJSON_AddItemToArray(classes, cJSON_CreateString(s->class_names[c]));
    cJSON *layers = cJSON_AddArrayToObject(meta, "layers");
    char name[32];
    for (size_t l = 0; layers && l < s->n_layers; l++) {
        nb_export_layer_name(l, s->n_layers, name, sizeof name);
        cJSON_AddItemToArray(layers, cJSON_CreateString(name));
    }
    int view = s->class_view == NB_CLASS_VIEW_ALL           ? 0
               : s->class_view == NB_CLASS_VIEW_INDEPENDENT ? 1
                                                            : 2 + (int)s->class_index;
    cJSON_AddNumberToObject(meta, "view", view);
    int pose = d->config ? d->config->camera_pose : 6;
    cJSON_AddNumberToObject(meta, "pose", pose >= 0 && pose < NB_CAMERA_POSES ? pose : 6);
    return meta;
}

nb_status nb_export_html_build(const nb_export_desc *d, char **html, size_t *len,
                               nb_export_html_stats *stats) {
    if (!d->scene_desc || !d->config)
        return NB_RAISE(NB_E_INVALID, "--export",
                        "the page needs the scene desc and the config of the class views");
    nb_export_view v;
    nb_export_view_init(&v, d->scene, d->params);
    if (v.n_nodes == 0 && v.n_segments == 0)
        return NB_RAISE(NB_E_INVALID, d->source ? d->source : "--export",
                        "nothing to export: no node or edge is drawn at these importance "
                        "thresholds and modes");
    const char *dir = nb_export_html_three_dir();
    page_parts pp = {0};
    NB_TRY(read_script(dir, "three.min.js", &pp.three));
    nb_status st = read_script(dir, "examples/js/controls/OrbitControls.js", &pp.orbit);
    block b = {0};
    cJSON *meta = NULL;
    text t = {0};
    if (st != NB_OK)
        goto done;
    meta = page_meta(d, &v);
    if (!meta) {
        st = NB_RAISE(NB_E_NOMEM, "--export", "page metadata");
        goto done;
    }
    add_geometry(&b, &v, meta);
    st = add_views(&b, d, &v, meta);
    if (st != NB_OK)
        goto done;
    add_poses(d, meta);
    pp.meta = cJSON_PrintUnformatted(meta);
    if (!pp.meta || b.failed) {
        st = NB_RAISE(NB_E_NOMEM, "--export", "page data of %zu bytes", b.len);
        goto done;
    }
    pp.data = b.data;
    pp.data_len = b.len;
    fill_template(&t, d, &pp);
    if (t.failed || !t.s) {
        st = NB_RAISE(NB_E_NOMEM, "--export", "page of %zu bytes", t.len);
        goto done;
    }
    *html = t.s;
    *len = t.len;
    t.s = NULL;
    if (stats) {
        stats->nodes = v.n_nodes;
        stats->edges = v.n_edges;
        stats->segments = v.n_segments;
        stats->views = 2 + d->scene->n_classes;
        stats->data_bytes = b.len;
        stats->bytes = *len;
    }
done:
    free(t.s);
    free(pp.three);
    free(pp.orbit);
    cJSON_free(pp.meta);
    cJSON_Delete(meta);
    free(b.data);
    return st;
}

nb_status nb_export_html_save(const nb_export_desc *d, const char *path,
                              nb_export_html_stats *stats) {
    char *html = NULL;
    size_t len = 0;
    NB_TRY(nb_export_html_build(d, &html, &len, stats));
    nb_status st = nb_file_save(path, html, len);
    free(html);
    return st;
}
