/* nb_options.c - nnbundle-render's command-line parsing and --help text.
 *
 * DESIGN: a single pass over argv; every option that takes a value accepts "--opt value" and
 * "--opt=value"; numbers are parsed strictly (whole string, range-checked). Conflicting
 * output modes, --count/--orbit without --frames, image options that no output uses
 * (--transparent with a JPEG or --benchmark, --format with --screenshot, --jpeg-quality
 * without a JPEG) and a missing FILE are usage errors (exit 2) reported with one line, as in
 * the nnbundle CLI. An output name with an extension the writer does not produce is not a
 * usage error: nb_app refuses it with exit status 1 before loading anything. No globals, no
 * threads. Config keys are not interpreted here (--set strings are applied by nb_config_set later).
 */
#include "nb_options.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nb_config.h"
#include "nb_font.h" /* NB_FONT_PATH */

static bool parse_long(const char *s, long min, long max, long *out) {
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool nb_options_parse_size(const char *s, int *w, int *h) {
    if (!s)
        return false;
    const char *x = strchr(s, 'x');
    if (!x || x == s || strlen(x) < 2 || (size_t)(x - s) >= 16)
        return false;
    char a[16];
    memcpy(a, s, (size_t)(x - s));
    a[x - s] = '\0';
    long lw, lh;
    if (!parse_long(a, 1, NB_OPTIONS_MAX_SIZE, &lw) ||
        !parse_long(x + 1, 1, NB_OPTIONS_MAX_SIZE, &lh))
        return false;
    *w = (int)lw;
    *h = (int)lh;
    return true;
}

bool nb_options_parse_layers(const char *s, size_t *first, size_t *last) {
    if (!s)
        return false;
    const char *colon = strchr(s, ':');
    long a, b;
    if (!colon) {
        if (!parse_long(s, 0, INT_MAX, &a))
            return false;
        *first = *last = (size_t)a;
        return true;
    }
    if (colon == s || (size_t)(colon - s) >= 16)
        return false;
    char left[16];
    memcpy(left, s, (size_t)(colon - s));
    left[colon - s] = '\0';
    if (!parse_long(left, 0, INT_MAX, &a) || !parse_long(colon + 1, 0, INT_MAX, &b) || a > b)
        return false;
    *first = (size_t)a;
    *last = (size_t)b;
    return true;
}

static int usage(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int usage(char *err, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && n)
        vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return NB_RENDER_EXIT_USAGE;
}

/* If argv[*i] is "--name" or "--name=value", sets *value (the next argument or the part after
 * '=') and returns 1; returns 0 if it is another option; -1 if the value is missing. */
static int take_value(int argc, char **argv, int *i, const char *name, const char **value) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

static const char *const value_options[] = {
    "--config",       "--set",    "--screenshot", "--frames", "--benchmark",  "--count",
    "--export",       "--size",   "--camera",     "--layers", "--quit-after", "--format",
    "--jpeg-quality", "--titles", "--columns",    NULL};

/* What the checks after the loop need to know about the command line. */
typedef struct parse_state {
    int n_modes; /* --screenshot, --frames, --benchmark given */
    bool count_given, format_given;
} parse_state;

/* The options without a value; false if `a` is none of them. */
static bool parse_flag(const char *a, nb_render_options *o) {
    static const struct {
        const char *name, *alias;
        size_t offset;
    } flags[] = {
        {"--orbit", NULL, offsetof(nb_render_options, orbit)},
        {"--transparent", NULL, offsetof(nb_render_options, transparent)},
        {"--no-titles", NULL, offsetof(nb_render_options, no_titles)},
        {"--shared-scale", NULL, offsetof(nb_render_options, shared_scale)},
        {"--quiet", "-q", offsetof(nb_render_options, quiet)},
        {"--verbose", "-v", offsetof(nb_render_options, verbose)},
    };
    if (strcmp(a, "--no-watch") == 0) {
        o->watch = false;
        return true;
    }
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
        if (strcmp(a, flags[k].name) == 0 || (flags[k].alias && strcmp(a, flags[k].alias) == 0)) {
            *(bool *)((char *)o + flags[k].offset) = true;
            return true;
        }
    return false;
}

/* A file name: the next input. */
static int parse_input(const char *a, nb_render_options *o, char *err, size_t err_size) {
    if (a[0] == '-' && a[1] != '\0')
        return usage(err, err_size, "unknown option '%s'", a);
    if (o->n_inputs >= NB_OPTIONS_MAX_INPUTS)
        return usage(err, err_size, "too many input files (at most %d side by side)",
                     NB_OPTIONS_MAX_INPUTS);
    o->inputs[o->n_inputs++] = a;
    o->input = o->inputs[0];
    return NB_RENDER_EXIT_OK;
}

/* The output modes and their counts: --screenshot, --frames, --benchmark, --export, --count. */
static int parse_output(const char *name, const char *v, nb_render_options *o, parse_state *ps,
                        char *err, size_t err_size) {
    if (strcmp(name, "--screenshot") == 0) {
        o->screenshot_path = v;
        o->mode = NB_RUN_SCREENSHOT;
    } else if (strcmp(name, "--export") == 0) {
        o->export_path = v;
        o->mode = NB_RUN_EXPORT;
    } else if (strcmp(name, "--frames") == 0) {
        o->frames_dir = v;
        o->mode = NB_RUN_FRAMES;
    } else if (strcmp(name, "--benchmark") == 0) {
        if (!parse_long(v, 1, 100000, &o->benchmark_frames))
            return usage(err, err_size, "--benchmark expects a frame count 1..100000, got '%s'", v);
        o->mode = NB_RUN_BENCHMARK;
    } else { /* --count */
        if (!parse_long(v, 1, 1000000, &o->count))
            return usage(err, err_size, "--count expects 1..1000000, got '%s'", v);
        ps->count_given = true;
        return NB_RENDER_EXIT_OK;
    }
    ps->n_modes++;
    return NB_RENDER_EXIT_OK;
}

/* The image options: --format, --jpeg-quality. */
static int parse_image(const char *name, const char *v, nb_render_options *o, parse_state *ps,
                       char *err, size_t err_size) {
    if (strcmp(name, "--format") == 0) {
        if (!nb_screenshot_parse_format(v, &o->image_format))
            return usage(err, err_size, "--format expects png or jpg, got '%s'", v);
        ps->format_given = true;
        return NB_RENDER_EXIT_OK;
    }
    long q;
    if (!parse_long(v, 1, 100, &q))
        return usage(err, err_size, "--jpeg-quality expects 1..100, got '%s'", v);
    o->jpeg_quality = (int)q;
    return NB_RENDER_EXIT_OK;
}

/* The view: --config, --set, --size, --camera, --layers, --titles, --columns, --quit-after. */
static int parse_view(const char *name, const char *v, nb_render_options *o, char *err,
                      size_t err_size) {
    long k;
    if (strcmp(name, "--config") == 0) {
        o->config_path = v;
    } else if (strcmp(name, "--set") == 0) {
        if (o->n_sets >= NB_OPTIONS_MAX_SETS)
            return usage(err, err_size, "too many --set options (at most %d)", NB_OPTIONS_MAX_SETS);
        if (!strchr(v, '='))
            return usage(err, err_size, "--set expects key=value, got '%s'", v);
        o->sets[o->n_sets++] = v;
    } else if (strcmp(name, "--size") == 0) {
        if (!nb_options_parse_size(v, &o->width, &o->height))
            return usage(err, err_size, "--size expects WxH with sides 1..%d, got '%s'",
                         NB_OPTIONS_MAX_SIZE, v);
    } else if (strcmp(name, "--camera") == 0) {
        if (!parse_long(v, 0, 9, &k))
            return usage(err, err_size, "--camera expects a key pose 0..9, got '%s'", v);
        o->camera = (int)k;
    } else if (strcmp(name, "--layers") == 0) {
        if (!nb_options_parse_layers(v, &o->pair_first, &o->pair_last))
            return usage(err, err_size,
                         "--layers expects layer pairs A:B (0 <= A <= B) or A, got '%s'", v);
        o->filter_layers = true;
    } else if (strcmp(name, "--titles") == 0) {
        o->titles = v;
    } else if (strcmp(name, "--columns") == 0) {
        if (!parse_long(v, 1, NB_OPTIONS_MAX_INPUTS, &k))
            return usage(err, err_size, "--columns expects 1..%d, got '%s'", NB_OPTIONS_MAX_INPUTS,
                         v);
        o->columns = (int)k;
    } else { /* --quit-after */
        if (!parse_long(v, 0, LONG_MAX, &o->quit_after))
            return usage(err, err_size, "--quit-after expects a frame count >= 0, got '%s'", v);
    }
    return NB_RENDER_EXIT_OK;
}

static int parse_value(const char *name, const char *v, nb_render_options *o, parse_state *ps,
                       char *err, size_t err_size) {
    if (strcmp(name, "--screenshot") == 0 || strcmp(name, "--frames") == 0 ||
        strcmp(name, "--benchmark") == 0 || strcmp(name, "--count") == 0 ||
        strcmp(name, "--export") == 0)
        return parse_output(name, v, o, ps, err, err_size);
    if (strcmp(name, "--format") == 0 || strcmp(name, "--jpeg-quality") == 0)
        return parse_image(name, v, o, ps, err, err_size);
    return parse_view(name, v, o, err, err_size);
}

/* Several files (compare mode) write images only and take the panel options; one file takes
 * none of them. */
static int check_compare(const nb_render_options *o, char *err, size_t err_size) {
    if (o->n_inputs <= 1) {
        if (o->titles || o->no_titles || o->columns || o->shared_scale)
            return usage(err, err_size,
                         "--titles, --no-titles, --columns and --shared-scale apply to several "
                         "files (compare mode)");
        return NB_RENDER_EXIT_OK;
    }
    if (o->mode != NB_RUN_SCREENSHOT && o->mode != NB_RUN_FRAMES)
        return usage(err, err_size,
                     "%d files are compared side by side in an image: add --screenshot OUT "
                     "or --frames DIR (the window and --benchmark show one network)",
                     o->n_inputs);
    if (o->titles && o->no_titles)
        return usage(err, err_size, "--titles and --no-titles exclude each other");
    if (o->titles) {
        int n = 1;
        for (const char *t = o->titles; *t; t++)
            n += *t == ',';
        if (n != o->n_inputs)
            return usage(err, err_size, "--titles has %d comma-separated title%s for %d files", n,
                         n == 1 ? "" : "s", o->n_inputs);
    }
    if (o->columns > o->n_inputs)
        return usage(err, err_size, "--columns %d is more than the %d files", o->columns,
                     o->n_inputs);
    return NB_RENDER_EXIT_OK;
}

/* Image options that no output of this run uses: which format each output gets. */
static int check_image_options(const nb_render_options *o, const parse_state *ps, char *err,
                               size_t err_size) {
    nb_image_format shot_format = NB_IMAGE_PNG;
    bool shot_known = o->mode == NB_RUN_SCREENSHOT &&
                      nb_screenshot_format(o->screenshot_path, &shot_format) == NB_OK;
    if (ps->format_given && o->mode == NB_RUN_SCREENSHOT)
        return usage(err, err_size,
                     "--format sets the type of --frames and K/R images; --screenshot takes it "
                     "from the extension of '%s'",
                     o->screenshot_path);
    if ((o->transparent || ps->format_given || o->jpeg_quality) &&
        (o->mode == NB_RUN_BENCHMARK || o->mode == NB_RUN_EXPORT))
        return usage(err, err_size,
                     "--transparent, --format and --jpeg-quality apply to image outputs, not to "
                     "--%s",
                     o->mode == NB_RUN_EXPORT ? "export" : "benchmark");
    bool jpeg_out = o->mode == NB_RUN_SCREENSHOT ? shot_known && shot_format == NB_IMAGE_JPEG
                                                 : o->image_format == NB_IMAGE_JPEG;
    if (o->transparent && jpeg_out)
        return usage(err, err_size, "--transparent needs PNG output: JPEG has no alpha channel");
    if (o->jpeg_quality && !jpeg_out && !(o->mode == NB_RUN_SCREENSHOT && !shot_known))
        return usage(err, err_size,
                     "--jpeg-quality needs JPEG output (--screenshot OUT.jpg or --format jpg)");
    return NB_RENDER_EXIT_OK;
}

/* The rules between options, after every option was read. */
static int check_options(const nb_render_options *o, const parse_state *ps, char *err,
                         size_t err_size) {
    if (!o->input)
        return usage(err, err_size, "no input file (a .nnb.h5 made by `nnbundle bundle`)");
    if (ps->n_modes > 1)
        return usage(err, err_size,
                     "--screenshot, --frames, --benchmark and --export exclude each other");
    int r = check_compare(o, err, err_size);
    if (r != NB_RENDER_EXIT_OK)
        return r;
    if ((ps->count_given || o->orbit) && o->mode != NB_RUN_FRAMES)
        return usage(err, err_size, "--count and --orbit need --frames DIR");
    if (o->quit_after >= 0 && o->mode != NB_RUN_INTERACTIVE)
        return usage(err, err_size, "--quit-after applies to the interactive window only");
    return check_image_options(o, ps, err, err_size);
}

int nb_options_parse(int argc, char **argv, nb_render_options *o, char *err, size_t err_size) {
    memset(o, 0, sizeof *o);
    o->width = NB_OPTIONS_DEFAULT_WIDTH;
    o->height = NB_OPTIONS_DEFAULT_HEIGHT;
    o->camera = -1;
    o->count = -1;
    o->quit_after = -1;
    o->watch = true;
    parse_state ps = {0};
    if (err && err_size)
        err[0] = '\0';
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL, *name = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = true;
            return NB_RENDER_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            o->version = true;
            return NB_RENDER_EXIT_OK;
        }
        if (parse_flag(a, o))
            continue;
        for (size_t k = 0; value_options[k] && !name; k++) {
            int r = take_value(argc, argv, &i, value_options[k], &v);
            if (r < 0)
                return usage(err, err_size, "option %s needs a value", value_options[k]);
            if (r > 0)
                name = value_options[k];
        }
        int r =
            name ? parse_value(name, v, o, &ps, err, err_size) : parse_input(a, o, err, err_size);
        if (r != NB_RENDER_EXIT_OK)
            return r;
    }
    int r = check_options(o, &ps, err, err_size);
    if (r != NB_RENDER_EXIT_OK)
        return r;
    if (o->count < 0)
        o->count = NB_OPTIONS_DEFAULT_FRAMES;
    return NB_RENDER_EXIT_OK;
}

/* ---- --help ---------------------------------------------------------------------------- */

#define HELP_WIDTH 88

/* Words written with line breaks before HELP_WIDTH columns. */
typedef struct help_text {
    FILE *f;
    int col;
} help_text;

static void help_words(help_text *t, const char *text) {
    while (*text) {
        size_t n = strcspn(text, " ");
        if (n > 0) {
            if (t->col > 0 && t->col + 1 + (int)n > HELP_WIDTH) {
                fputc('\n', t->f);
                t->col = 0;
            } else if (t->col > 0) {
                fputc(' ', t->f);
                t->col++;
            }
            fwrite(text, 1, n, t->f);
            t->col += (int)n;
        }
        text += n;
        text += strspn(text, " ");
    }
}

static void help_end_line(help_text *t) {
    fputc('\n', t->f);
    t->col = 0;
}

/* Text appended to a fixed buffer (the help paragraphs are a few hundred bytes). */
typedef struct help_buffer {
    char text[4096];
    size_t len;
} help_buffer;

static void help_append(help_buffer *b, const char *s) {
    int n = snprintf(b->text + b->len, sizeof b->text - b->len, "%s", s);
    if (n > 0)
        b->len = b->len + (size_t)n < sizeof b->text ? b->len + (size_t)n : sizeof b->text - 1;
}

/* The words of enum key k separated by sep, its default first. */
static void help_choices(help_buffer *b, const nb_config_key *k, const char *sep) {
    const int def = (int)k->def, n = (int)nb_config_key_enum_count(k);
    help_append(b, nb_config_key_enum_name(k, def));
    for (int i = 0; i < n; i++)
        if (i != def) {
            help_append(b, sep);
            help_append(b, nb_config_key_enum_name(k, i));
        }
}

static bool is_object_key(const nb_config_key *k) {
    return strncmp(k->name, "edge_", 5) == 0 || strncmp(k->name, "node_", 5) == 0;
}

/* Every rendering key and the words of each enum key, from the key table
 * (nb_rendering_schema); the edge_* and node_* keys (one set of names for both object kinds)
 * as one group. */
static void print_rendering_keys(FILE *f) {
    const nb_config_schema *sc = &nb_rendering_schema;
    help_buffer b = {.len = 0};
    help_append(&b, "Rendering keys (configs/rendering.json): edge_* and node_* (");
    bool first = true;
    for (size_t i = 0; i < sc->n_keys; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = is_object_key(&sc->keys[j]) &&
                   strcmp(sc->keys[j].name + 5, sc->keys[i].name + 5) == 0;
        if (!is_object_key(&sc->keys[i]) || seen)
            continue;
        help_append(&b, first ? "" : ", ");
        help_append(&b, sc->keys[i].name + 5);
        first = false;
    }
    help_append(&b, ")");
    for (size_t i = 0; i < sc->n_keys; i++) {
        const nb_config_key *k = &sc->keys[i];
        if (is_object_key(k))
            continue;
        help_append(&b, ", ");
        help_append(&b, k->name);
        if (k->type == NB_CONFIG_ENUM) {
            help_append(&b, " (");
            help_choices(&b, k, " | ");
            help_append(&b, ")");
        }
    }
    help_append(&b, ". The original tool's settings: --config configs/rendering_reference.json.");
    help_text t = {f, 0};
    help_words(&t, b.text);
    help_end_line(&t);
    for (size_t i = 0; i < sc->n_keys; i++) {
        const nb_config_key *k = &sc->keys[i];
        if (!is_object_key(k) || k->type != NB_CONFIG_ENUM)
            continue;
        b.len = 0;
        b.text[0] = '\0';
        help_append(&b, k->name);
        help_append(&b, ": ");
        help_choices(&b, k, ", ");
        help_append(&b, ".");
        help_words(&t, b.text);
        help_end_line(&t);
    }
}

void nb_options_print_help(FILE *f) {
    fputs(
        "Usage: nnbundle-render FILE [options]\n"
        "       nnbundle-render FILE1 FILE2 [...] --screenshot OUT | --frames DIR [options]\n"
        "Draws a bundled network (FILE.nnb.h5 from `nnbundle bundle`) with sphere and ellipsoid\n"
        "impostors and order-independent transparency, in a window or into PNG files.\n"
        "\n"
        "Configuration:\n"
        "  --config FILE        rendering config (JSON; see configs/rendering.json)\n"
        "  --set key=value      override one rendering key (repeatable), e.g.\n"
        "                       --set edge_mode=line --set class_view=class --set class_index=3\n"
        "  --layers A:B         draw only layer pairs A..B (0-based; pair l joins layers l, l+1)\n"
        "  --camera K           start from key pose K (0..9, overrides camera_pose)\n"
        "  --size WxH           image / window size in pixels (default 1280x720)\n"
        "\n"
        "Output without a window (no display needed):\n"
        "  --screenshot OUT     render one frame to OUT and exit; the extension picks the\n"
        "                       format: .png, or .jpg/.jpeg (any other name: exit status 1)\n"
        "  --frames DIR         render numbered frames DIR/frame_00000.png ... and exit\n"
        "                       (.jpg with --format jpg)\n"
        "    --count N          number of frames (default 36)\n"
        "    --orbit            turn the camera once around the network over the N frames\n"
        "  --benchmark N        render N frames offscreen (after one warm-up) and print the\n"
        "                       median ms/frame with node, segment and fragment counts\n"
        "  --export OUT.glb     write what the view draws (the objects above the importance\n"
        "                       thresholds, class-view colours) as binary glTF 2.0 for\n"
        "                       Blender and 3D viewers (no GL needed; docs/export.md)\n"
        "  --export OUT.html    write one self-contained web page (three.js and the data\n"
        "                       inlined, works offline): orbit/pan/zoom, the ten camera\n"
        "                       poses, the class views and the legend\n"
        "\n"
        "Images (--screenshot, --frames, the window's K and R):\n"
        "  --transparent        PNG with a transparent background (RGBA; the picture\n"
        "                       composited over the background colour is the usual render);\n"
        "                       without it PNGs are opaque RGB\n"
        "  --format png|jpg     file type of --frames and K/R images (default png)\n"
        "  --jpeg-quality Q     JPEG quality 1..100 (default 90)\n"
        "\n",
        f);
    fputs("Several networks side by side (compare mode: two or more FILEs, up to 16):\n"
          "  one image of panels (one row; a grid when that draws the networks larger), all\n"
          "  with one camera (same pose, distance and fov: equal sizes are equal in pixels),\n"
          "  framed so every network fits its panel, and one legend. Needs --screenshot or\n"
          "  --frames (a usage error otherwise). Every other option applies to every panel.\n"
          "  --titles \"a,b,c\"   panel titles, one per FILE (default: the file names without\n"
          "                       .nnb.h5); a different count is a usage error\n"
          "  --no-titles          panels without titles\n"
          "  --columns N          N panels per row (default: the grid that draws largest)\n"
          "  --shared-scale       one importance scale for all panels (per layer the largest\n"
          "                       display divisor of the files), so the same importance has the\n"
          "                       same size and opacity everywhere; default: each panel is\n"
          "                       scaled as its file would be alone (importance_normalization)\n"
          "  The files must have the same number of classes (exit status 1 naming the file).\n"
          "\n"
          "Interactive window:\n"
          "  --no-watch           do not reload FILE when it changes on disk (default: polled\n"
          "                       every 0.5 s; a failed reload keeps the current picture)\n"
          "  --quit-after N       close the window after N frames (scripted runs, tests)\n"
          "  keys: 0-9 camera poses, F frame the drawing again, H auto-orbit on/off,\n"
          "        W/A/S/D move, K screenshot (<file>_<UTC time>.png or .jpg),\n"
          "        R record every frame on/off, Tab hide/show the panels, ESC quit\n"
          "  mouse: left drag orbit, right or middle drag pan, wheel zoom\n"
          "\n"
          "Other:\n"
          "  --quiet, --verbose   less / more output on stderr\n"
          "  --help, --version\n"
          "\n",
          f);
    print_rendering_keys(f);
    fputs("Environment: NNBUNDLE_SHADER_DIR overrides the shader directory; NNBUNDLE_FONT the\n"
          "legend's TrueType font (default " NB_FONT_PATH ";\n"
          "without it the legend uses a block font); SDL_VIDEODRIVER picks the SDL video\n"
          "driver (offscreen for headless runs).\n"
          "\n"
          "Exit status: 0 success, 1 failure (message names the file/key), 2 usage error.\n",
          f);
}
