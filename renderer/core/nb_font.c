/* nb_font.c - TrueType text (stb_truetype) and antialiased shapes as overlay triangles.
 *
 * DESIGN: nb_font_create reads the whole .ttf into memory and checks it with stb_truetype
 * (Sean Barrett, public domain; the implementation is in Debian's libstb). nb_font_face_init
 * packs the glyphs of U+0020..U+007E and U+00A0..U+00FF at the requested pixel height with
 * stbtt_PackFontRanges into one 8-bit coverage atlas, 2x horizontal oversampling below 48 px
 * (stb_truetype's advice for small sizes: better sub-pixel glyph placement), and reserves a
 * 4x4 white block under the glyphs for solid shapes. Text is laid out on whole-pixel baselines
 * with the font's kerning. The atlas is re-made only when the pixel size changes (the caller
 * caches the face). Discs are antialiased geometrically: a fan to r - 0.5 and a ring to
 * r + 0.5 whose outer vertices have alpha 0, so they stay smooth at any size without
 * mipmaps. The fallback face uses stb_easy_font's segment glyphs (one file-static spacing
 * value in that header, never set by nnbundle). No threads, no config keys.
 */
#include "nb_font.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_truetype.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

#define ASCII_FIRST   32
#define ASCII_COUNT   95 /* U+0020..U+007E */
#define LATIN1_FIRST  160
#define LATIN1_COUNT  96 /* U+00A0..U+00FF */
#define GLYPH_COUNT   (ASCII_COUNT + LATIN1_COUNT)
#define WHITE_BLOCK   4
#define MAX_ATLAS     8192
#define BLOCK_LINE    12.0f /* stb_easy_font line spacing, font units */
#define BLOCK_TOP_PAD 2.0f  /* font units above the block glyphs in a line box */

struct nb_font {
    unsigned char *data;
    size_t size;
    stbtt_fontinfo info;
};

const char *nb_font_default_path(void) {
    const char *env = getenv("NNBUNDLE_FONT");
    return env && env[0] ? env : NB_FONT_PATH;
}

nb_status nb_font_create(const char *path, nb_font **out) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NB_RAISE(NB_E_IO, path, "cannot open the font file");
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NB_RAISE(NB_E_IO, path, "cannot read the font file");
    }
    nb_font *font = calloc(1, sizeof *font);
    unsigned char *data = malloc((size_t)n + 1);
    if (!font || !data) {
        fclose(f);
        free(font);
        free(data);
        return NB_RAISE(NB_E_NOMEM, path, "%ld bytes of font", n);
    }
    size_t got = fread(data, 1, (size_t)n, f);
    fclose(f);
    if (got != (size_t)n) {
        free(font);
        free(data);
        return NB_RAISE(NB_E_IO, path, "short read (%zu of %ld bytes)", got, n);
    }
    /* stb_truetype trusts its input: check the table directory is there before parsing */
    int offset = n >= 12 ? stbtt_GetFontOffsetForIndex(data, 0) : -1;
    if (offset < 0 || !stbtt_InitFont(&font->info, data, offset) ||
        stbtt_FindGlyphIndex(&font->info, 'A') == 0) {
        free(font);
        free(data);
        return NB_RAISE(NB_E_FORMAT, path, "not a TrueType font (or no glyph for 'A')");
    }
    font->data = data;
    font->size = (size_t)n;
    *out = font;
    return NB_OK;
}

void nb_font_destroy(nb_font *f) {
    if (!f)
        return;
    free(f->data);
    free(f);
}

/* ---- faces ---------------------------------------------------------------------------- */

static int glyph_index(uint32_t cp) {
    if (cp >= ASCII_FIRST && cp < ASCII_FIRST + ASCII_COUNT)
        return (int)(cp - ASCII_FIRST);
    if (cp >= LATIN1_FIRST && cp < LATIN1_FIRST + LATIN1_COUNT)
        return ASCII_COUNT + (int)(cp - LATIN1_FIRST);
    return '?' - ASCII_FIRST;
}

/* Next code point of a UTF-8 string (malformed bytes give U+FFFD, one byte consumed). */
static uint32_t next_cp(const char **s) {
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t c = p[0];
    int n = c < 0x80             ? 0
            : (c & 0xE0) == 0xC0 ? 1
            : (c & 0xF0) == 0xE0 ? 2
            : (c & 0xF8) == 0xF0 ? 3
                                 : -1;
    if (n < 0) {
        *s += 1;
        return 0xFFFD;
    }
    uint32_t cp = n == 0 ? c : c & (0x3Fu >> n);
    for (int k = 1; k <= n; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            *s += 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (p[k] & 0x3Fu);
    }
    *s += n + 1;
    return cp;
}

static void put_white_block(nb_font_face *face, int y0) {
    for (int y = y0; y < y0 + WHITE_BLOCK; y++)
        memset(face->atlas + (size_t)y * (size_t)face->atlas_width, 255, WHITE_BLOCK);
    face->white_uv[0] = (WHITE_BLOCK * 0.5f) / (float)face->atlas_width;
    face->white_uv[1] = ((float)y0 + WHITE_BLOCK * 0.5f) / (float)face->atlas_height;
}

static nb_status block_face(nb_font_face *face, float pixel_height) {
    int scale = (int)lroundf(pixel_height / 10.0f);
    face->block_scale = scale < 1 ? 1 : scale;
    face->line_height = BLOCK_LINE * (float)face->block_scale;
    face->ascent = (BLOCK_TOP_PAD + 7.0f) * (float)face->block_scale;
    face->atlas_width = face->atlas_height = WHITE_BLOCK;
    face->atlas = malloc(WHITE_BLOCK * WHITE_BLOCK);
    if (!face->atlas)
        return NB_RAISE(NB_E_NOMEM, "font", "atlas");
    put_white_block(face, 0);
    return NB_OK;
}

static nb_status truetype_face(nb_font_face *face, const nb_font *font, float px) {
    stbtt_packedchar *glyphs = calloc(GLYPH_COUNT, sizeof *glyphs);
    if (!glyphs)
        return NB_RAISE(NB_E_NOMEM, "font", "glyph table");
    unsigned int over = px < 48.0f ? 2u : 1u;
    /* first guess: the glyph cells' area with slack, as a power-of-two square-ish atlas */
    double area = (double)GLYPH_COUNT * (px * 0.75 * over + 2.0) * (px + 2.0) * 1.3;
    int w = 64;
    while ((double)w * (double)w < area && w < MAX_ATLAS)
        w *= 2;
    int h = w;
    for (;;) {
        unsigned char *pixels = calloc((size_t)w * (size_t)(h + WHITE_BLOCK), 1);
        if (!pixels) {
            free(glyphs);
            return NB_RAISE(NB_E_NOMEM, "font", "atlas %dx%d", w, h);
        }
        stbtt_pack_context pc;
        stbtt_pack_range ranges[2] = {
            {px, ASCII_FIRST, NULL, ASCII_COUNT, glyphs, 0, 0},
            {px, LATIN1_FIRST, NULL, LATIN1_COUNT, glyphs + ASCII_COUNT, 0, 0},
        };
        int ok = stbtt_PackBegin(&pc, pixels, w, h, w, 1, NULL);
        if (ok) {
            stbtt_PackSetOversampling(&pc, over, 1);
            ok = stbtt_PackFontRanges(&pc, font->data, 0, ranges, 2);
            stbtt_PackEnd(&pc);
        }
        if (ok) {
            face->atlas = pixels;
            face->atlas_width = w;
            face->atlas_height = h + WHITE_BLOCK;
            put_white_block(face, h);
            break;
        }
        free(pixels);
        if (h >= MAX_ATLAS) {
            free(glyphs);
            return NB_RAISE(NB_E_NOMEM, "font", "glyphs of %.0f px do not fit a %dx%d atlas", px,
                            MAX_ATLAS, MAX_ATLAS);
        }
        h *= 2;
    }
    float scale = stbtt_ScaleForPixelHeight(&font->info, px);
    int asc = 0, desc = 0, gap = 0;
    stbtt_GetFontVMetrics(&font->info, &asc, &desc, &gap);
    face->ascent = (float)asc * scale;
    face->line_height = (float)(asc - desc + gap) * scale;
    face->glyphs = glyphs;
    face->font = font;
    face->truetype = true;
    return NB_OK;
}

nb_status nb_font_face_init(nb_font_face *face, const nb_font *font, float pixel_height) {
    memset(face, 0, sizeof *face);
    if (!(pixel_height >= 4.0f && pixel_height <= 512.0f))
        return NB_RAISE(NB_E_INVALID, "font", "pixel height %g outside 4..512",
                        (double)pixel_height);
    face->pixel_height = pixel_height;
    nb_status st = font ? truetype_face(face, font, pixel_height) : block_face(face, pixel_height);
    if (st != NB_OK) {
        free(face->atlas);
        memset(face, 0, sizeof *face);
    }
    return st;
}

void nb_font_face_deinit(nb_font_face *face) {
    if (!face)
        return;
    free(face->atlas);
    free(face->glyphs);
    memset(face, 0, sizeof *face);
}

/* ---- emitting triangles ---------------------------------------------------------------- */

static nb_status reserve(nb_overlay_buffer *buf, size_t extra) {
    if (buf->n + extra <= buf->cap)
        return NB_OK;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < buf->n + extra)
        cap *= 2;
    float *v = realloc(buf->v, cap * NB_OVERLAY_VERTEX_FLOATS * sizeof(float));
    if (!v)
        return NB_RAISE(NB_E_NOMEM, "overlay", "%zu vertices", cap);
    buf->v = v;
    buf->cap = cap;
    return NB_OK;
}

static void put(nb_overlay_buffer *buf, float x, float y, float u, float v, const float rgba[4]) {
    float *p = buf->v + buf->n * NB_OVERLAY_VERTEX_FLOATS;
    p[0] = x;
    p[1] = y;
    p[2] = u;
    p[3] = v;
    memcpy(p + 4, rgba, 4 * sizeof(float));
    buf->n++;
}

/* Two triangles of an axis-aligned quad; colours per corner (left / right). */
static void quad(nb_overlay_buffer *buf, float x0, float y0, float x1, float y1, float u0, float v0,
                 float u1, float v1, const float left[4], const float right[4]) {
    put(buf, x0, y0, u0, v0, left);
    put(buf, x1, y0, u1, v0, right);
    put(buf, x1, y1, u1, v1, right);
    put(buf, x0, y0, u0, v0, left);
    put(buf, x1, y1, u1, v1, right);
    put(buf, x0, y1, u0, v1, left);
}

nb_status nb_overlay_rect(nb_overlay_buffer *buf, const nb_font_face *face, float x0, float y0,
                          float x1, float y1, const float rgba[4]) {
    return nb_overlay_hgradient(buf, face, x0, y0, x1, y1, rgba, rgba);
}

nb_status nb_overlay_hgradient(nb_overlay_buffer *buf, const nb_font_face *face, float x0, float y0,
                               float x1, float y1, const float rgba0[4], const float rgba1[4]) {
    NB_TRY(reserve(buf, 6));
    const float u = face->white_uv[0], v = face->white_uv[1];
    quad(buf, x0, y0, x1, y1, u, v, u, v, rgba0, rgba1);
    return NB_OK;
}

nb_status nb_overlay_quad(nb_overlay_buffer *buf, const nb_font_face *face, const float x[4],
                          const float y[4], const float rgba[16]) {
    NB_TRY(reserve(buf, 6));
    const float u = face->white_uv[0], v = face->white_uv[1];
    static const int order[6] = {0, 1, 2, 0, 2, 3};
    for (int k = 0; k < 6; k++)
        put(buf, x[order[k]], y[order[k]], u, v, rgba + 4 * order[k]);
    return NB_OK;
}

nb_status nb_overlay_disc(nb_overlay_buffer *buf, const nb_font_face *face, float cx, float cy,
                          float r, const float rgba[4]) {
    if (!(r > 0.0f))
        return NB_OK;
    /* segments: about one per 2 px of circumference, 12..128 */
    int n = (int)(3.14159265f * r);
    n = n < 12 ? 12 : n > 128 ? 128 : n;
    NB_TRY(reserve(buf, (size_t)n * 9));
    const float u = face->white_uv[0], v = face->white_uv[1];
    const float clear[4] = {rgba[0], rgba[1], rgba[2], 0.0f};
    float ri = r - 0.5f, ro = r + 0.5f;
    float inner_rgba[4] = {rgba[0], rgba[1], rgba[2], rgba[3]};
    if (ri < 0.0f) { /* below one pixel: fade the whole disc by its area */
        inner_rgba[3] *= r * 2.0f;
        ri = 0.0f;
    }
    for (int k = 0; k < n; k++) {
        float a0 = 6.28318531f * (float)k / (float)n, a1 = 6.28318531f * (float)(k + 1) / (float)n;
        float c0 = cosf(a0), s0 = sinf(a0), c1 = cosf(a1), s1 = sinf(a1);
        put(buf, cx, cy, u, v, inner_rgba);
        put(buf, cx + ri * c0, cy + ri * s0, u, v, inner_rgba);
        put(buf, cx + ri * c1, cy + ri * s1, u, v, inner_rgba);
        put(buf, cx + ri * c0, cy + ri * s0, u, v, inner_rgba);
        put(buf, cx + ro * c0, cy + ro * s0, u, v, clear);
        put(buf, cx + ro * c1, cy + ro * s1, u, v, clear);
        put(buf, cx + ri * c0, cy + ri * s0, u, v, inner_rgba);
        put(buf, cx + ro * c1, cy + ro * s1, u, v, clear);
        put(buf, cx + ri * c1, cy + ri * s1, u, v, inner_rgba);
    }
    return NB_OK;
}

/* Block font: printable-ASCII copy of the text (others '?'), cut at out_size - 1 bytes. */
static void block_text(const char *utf8, char *out, size_t out_size) {
    size_t n = 0;
    while (*utf8 && n + 1 < out_size) {
        uint32_t cp = next_cp(&utf8);
        out[n++] = cp >= 32 && cp < 127 ? (char)cp : '?';
    }
    out[n] = '\0';
}

float nb_font_text_width(const nb_font_face *face, const char *utf8) {
    if (!face->truetype) {
        char clean[512];
        block_text(utf8, clean, sizeof clean);
        return (float)stb_easy_font_width(clean) * (float)face->block_scale;
    }
    const stbtt_packedchar *g = face->glyphs;
    float scale = stbtt_ScaleForPixelHeight(&face->font->info, face->pixel_height);
    float w = 0.0f;
    uint32_t prev = 0;
    while (*utf8) {
        uint32_t cp = next_cp(&utf8);
        int i = glyph_index(cp);
        uint32_t drawn = i < ASCII_COUNT ? (uint32_t)(ASCII_FIRST + i)
                                         : (uint32_t)(LATIN1_FIRST + i - ASCII_COUNT);
        if (prev)
            w += scale *
                 (float)stbtt_GetCodepointKernAdvance(&face->font->info, (int)prev, (int)drawn);
        w += g[i].xadvance;
        prev = drawn;
    }
    return w;
}

static nb_status draw_block(const nb_font_face *face, nb_overlay_buffer *buf, float x, float y,
                            const char *utf8, const float rgba[4]) {
    char clean[512];
    block_text(utf8, clean, sizeof clean);
    size_t max_quads = strlen(clean) * 40 + 1; /* at most ~40 segments per glyph */
    float *quads = malloc(max_quads * 64);
    if (!quads)
        return NB_RAISE(NB_E_NOMEM, "overlay", "text quads");
    int nq = stb_easy_font_print(0.0f, 0.0f, clean, NULL, quads, (int)(max_quads * 64));
    nb_status st = reserve(buf, (size_t)nq * 6);
    if (st == NB_OK) {
        const float s = (float)face->block_scale, u = face->white_uv[0], v = face->white_uv[1];
        const float top = y + BLOCK_TOP_PAD * s;
        for (int q = 0; q < nq; q++) {
            const float *p = quads + (size_t)q * 16; /* 4 vertices of x, y, z, rgba8 */
            quad(buf, x + p[0] * s, top + p[1] * s, x + p[8] * s, top + p[9] * s, u, v, u, v, rgba,
                 rgba);
        }
    }
    free(quads);
    return st;
}

nb_status nb_font_draw_text(const nb_font_face *face, nb_overlay_buffer *buf, float x, float y,
                            const char *utf8, const float rgba[4]) {
    if (!face->truetype)
        return draw_block(face, buf, x, y, utf8, rgba);
    size_t n_chars = 0;
    for (const char *p = utf8; *p;) {
        (void)next_cp(&p);
        n_chars++;
    }
    NB_TRY(reserve(buf, n_chars * 6));
    const stbtt_packedchar *g = face->glyphs;
    float scale = stbtt_ScaleForPixelHeight(&face->font->info, face->pixel_height);
    float px = x, base = roundf(y + face->ascent);
    uint32_t prev = 0;
    while (*utf8) {
        uint32_t cp = next_cp(&utf8);
        int i = glyph_index(cp);
        uint32_t drawn = i < ASCII_COUNT ? (uint32_t)(ASCII_FIRST + i)
                                         : (uint32_t)(LATIN1_FIRST + i - ASCII_COUNT);
        if (prev)
            px += scale *
                  (float)stbtt_GetCodepointKernAdvance(&face->font->info, (int)prev, (int)drawn);
        prev = drawn;
        stbtt_aligned_quad q;
        float qy = base;
        /* glyph boxes are in atlas pixels: normalise by the whole atlas (white rows incl.) */
        stbtt_GetPackedQuad(g, face->atlas_width, face->atlas_height, i, &px, &qy, &q, 0);
        if (q.x1 > q.x0 && q.y1 > q.y0)
            quad(buf, q.x0, q.y0, q.x1, q.y1, q.s0, q.t0, q.s1, q.t1, rgba, rgba);
    }
    return NB_OK;
}
