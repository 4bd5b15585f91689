/* picture_stats.c - how much of a picture shows something, and how colourful it is.
 *
 * DESIGN: the measures of the picture issue (docs/reading.md, "Measuring a picture"), for any
 * PNG or JPEG (stb_image). A pixel is *drawn* when it differs from the background by more than
 * `--threshold` (default 48) of 255 in some channel. Printed per image:
 *   drawn      share of drawn pixels, percent of the frame (or of --region)
 *   saturation mean HSV saturation (0..255, (max - min) / max * 255) of the drawn pixels
 *   span       extent of the drawn pixels' bounding box as a share of the frame's width or
 *              height, whichever is larger (1 = edge to edge)
 * With --hue H (degrees) it also prints, over the drawn pixels of the region:
 *   hue_share  share whose hue lies within --hue-tol (default 20) degrees of H; pixels too
 *              grey to have a hue (saturation < 24 of 255) count as outside
 *   black      drawn pixels whose every channel is below 64 of 255 (count and share)
 * The background is the most frequent colour of the frame's border pixels unless --bg is
 * given. Alpha, where present, is composited over the background first. Not a test: a tool
 * that prints figures for the notes, the docs and evaluation/picture_stats.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

typedef struct opts {
    int threshold;
    int has_bg;
    int bg[3];
    int has_region;
    int region[4]; /* x0, y0, x1, y1: pixels, x1/y1 exclusive */
    int has_hue;
    double hue, hue_tol;
} opts;

static void usage(FILE *f) {
    fprintf(f, "usage: picture_stats [--threshold N] [--bg R,G,B] [--region X0,Y0,X1,Y1]\n"
               "                     [--hue DEGREES [--hue-tol DEGREES]] IMAGE...\n"
               "Prints, per image: drawn pixels (%%), mean HSV saturation of the drawn pixels\n"
               "(0..255) and the span of the drawing (share of width or height).\n");
}

/* The most frequent colour among the border pixels (colours quantised to 4 bits per channel,
 * then the mean of the pixels in the winning bin). */
static void border_background(const unsigned char *px, int w, int h, int bg[3]) {
    static long count[4096];
    static double sum[4096][3];
    memset(count, 0, sizeof count);
    memset(sum, 0, sizeof sum);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (y != 0 && y != h - 1 && x != 0 && x != w - 1)
                continue;
            const unsigned char *p = px + ((size_t)y * (size_t)w + (size_t)x) * 3;
            int bin = (p[0] >> 4) << 8 | (p[1] >> 4) << 4 | (p[2] >> 4);
            count[bin]++;
            for (int c = 0; c < 3; c++)
                sum[bin][c] += p[c];
        }
    int best = 0;
    for (int b = 1; b < 4096; b++)
        if (count[b] > count[best])
            best = b;
    for (int c = 0; c < 3; c++)
        bg[c] = count[best] ? (int)lround(sum[best][c] / (double)count[best]) : 255;
}

static double hue_of(const unsigned char *p, double *sat) {
    double r = p[0] / 255.0, g = p[1] / 255.0, b = p[2] / 255.0;
    double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), d = mx - mn;
    *sat = mx > 0 ? d / mx : 0;
    if (d <= 0)
        return 0;
    double hh;
    if (mx == r)
        hh = fmod((g - b) / d, 6.0);
    else if (mx == g)
        hh = (b - r) / d + 2;
    else
        hh = (r - g) / d + 4;
    hh *= 60;
    return hh < 0 ? hh + 360 : hh;
}

/* The image at path as RGB (w x h, malloc'd), an alpha channel composited over --bg (or
 * white); NULL after printing why it cannot be read. */
static unsigned char *load_rgb(const char *path, const opts *o, int *w, int *h) {
    int comp = 0;
    unsigned char *raw = stbi_load(path, w, h, &comp, 4);
    if (!raw) {
        fprintf(stderr, "picture_stats: [%s] cannot read: %s\n", path, stbi_failure_reason());
        return NULL;
    }
    unsigned char *px = malloc((size_t)*w * (size_t)*h * 3);
    if (!px) {
        stbi_image_free(raw);
        fprintf(stderr, "picture_stats: [%s] out of memory\n", path);
        return NULL;
    }
    int has_alpha = (comp == 2 || comp == 4);
    int over[3] = {255, 255, 255};
    if (o->has_bg)
        memcpy(over, o->bg, sizeof over);
    for (size_t i = 0; i < (size_t)*w * (size_t)*h; i++) {
        int a = has_alpha ? raw[i * 4 + 3] : 255;
        for (int c = 0; c < 3; c++)
            px[i * 3 + (size_t)c] =
                (unsigned char)((raw[i * 4 + (size_t)c] * a + over[c] * (255 - a) + 127) / 255);
    }
    stbi_image_free(raw);
    return px;
}

static int measure(const char *path, const opts *o) {
    int w = 0, h = 0;
    unsigned char *px = load_rgb(path, o, &w, &h);
    if (!px)
        return 1;
    int bg[3];
    if (o->has_bg)
        memcpy(bg, o->bg, sizeof bg);
    else
        border_background(px, w, h, bg);

    int x0 = 0, y0 = 0, x1 = w, y1 = h;
    if (o->has_region) {
        x0 = o->region[0] < 0 ? 0 : o->region[0];
        y0 = o->region[1] < 0 ? 0 : o->region[1];
        x1 = o->region[2] > w ? w : o->region[2];
        y1 = o->region[3] > h ? h : o->region[3];
        if (x1 <= x0 || y1 <= y0) {
            fprintf(stderr, "picture_stats: [%s] region %d,%d,%d,%d is empty in a %dx%d image\n",
                    path, o->region[0], o->region[1], o->region[2], o->region[3], w, h);
            free(px);
            return 1;
        }
    }
    long drawn = 0, in_hue = 0, black = 0;
    double sat_sum = 0;
    int bx0 = w, by0 = h, bx1 = -1, by1 = -1;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const unsigned char *p = px + ((size_t)y * (size_t)w + (size_t)x) * 3;
            int diff = 0;
            for (int c = 0; c < 3; c++) {
                int d = abs((int)p[c] - bg[c]);
                if (d > diff)
                    diff = d;
            }
            if (diff <= o->threshold)
                continue;
            drawn++;
            double s;
            double hh = hue_of(p, &s);
            sat_sum += s * 255;
            if (x < bx0)
                bx0 = x;
            if (x > bx1)
                bx1 = x;
            if (y < by0)
                by0 = y;
            if (y > by1)
                by1 = y;
            if (o->has_hue) {
                double dh = fabs(hh - o->hue);
                if (dh > 180)
                    dh = 360 - dh;
                if (s * 255 >= 24 && dh <= o->hue_tol)
                    in_hue++;
                if (p[0] < 64 && p[1] < 64 && p[2] < 64)
                    black++;
            }
        }
    long area = (long)(x1 - x0) * (long)(y1 - y0);
    double span = 0;
    if (drawn > 0) {
        double sw = (double)(bx1 - bx0 + 1) / (x1 - x0), sh = (double)(by1 - by0 + 1) / (y1 - y0);
        span = sw > sh ? sw : sh;
    }
    printf("%s: %dx%d background %d,%d,%d drawn %.2f %% saturation %.1f span %.3f", path, w, h,
           bg[0], bg[1], bg[2], 100.0 * (double)drawn / (double)area,
           drawn ? sat_sum / (double)drawn : 0.0, span);
    if (drawn > 0)
        printf(" bbox %d,%d,%d,%d", bx0, by0, bx1 + 1, by1 + 1);
    if (o->has_hue)
        printf(" hue_share %.3f black %ld (%.4f)", drawn ? (double)in_hue / (double)drawn : 0.0,
               black, drawn ? (double)black / (double)drawn : 0.0);
    printf("\n");
    free(px);
    return 0;
}

int main(int argc, char **argv) {
    opts o = {.threshold = 48, .hue_tol = 20};
    int first = argc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--threshold") && i + 1 < argc) {
            o.threshold = atoi(argv[++i]);
        } else if (!strcmp(a, "--bg") && i + 1 < argc) {
            if (sscanf(argv[++i], "%d,%d,%d", &o.bg[0], &o.bg[1], &o.bg[2]) != 3) {
                fprintf(stderr, "picture_stats: [--bg] expected R,G,B in 0..255\n");
                return 2;
            }
            o.has_bg = 1;
        } else if (!strcmp(a, "--region") && i + 1 < argc) {
            if (sscanf(argv[++i], "%d,%d,%d,%d", &o.region[0], &o.region[1], &o.region[2],
                       &o.region[3]) != 4) {
                fprintf(stderr, "picture_stats: [--region] expected X0,Y0,X1,Y1 pixels\n");
                return 2;
            }
            o.has_region = 1;
        } else if (!strcmp(a, "--hue") && i + 1 < argc) {
            o.hue = atof(argv[++i]);
            o.has_hue = 1;
        } else if (!strcmp(a, "--hue-tol") && i + 1 < argc) {
            o.hue_tol = atof(argv[++i]);
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "picture_stats: [%s] unknown option or missing value\n", a);
            usage(stderr);
            return 2;
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc) {
        usage(stderr);
        return 2;
    }
    int rc = 0;
    for (int i = first; i < argc; i++)
        rc |= measure(argv[i], &o);
    return rc;
}
