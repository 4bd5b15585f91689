/* nb_options.h - the command line of nnbundle-render (GL-free, unit-tested).
 *
 *   nnbundle-render FILE [--config rendering.json] [--set key=value]... [--layers A:B]
 *                        [--camera K] [--size WxH]
 *                        [--screenshot OUT.png|OUT.jpg | --frames DIR [--count N] [--orbit]
 *                         | --benchmark N | --export OUT.glb|OUT.html] [--transparent]
 *                        [--format png|jpg]
 *                        [--jpeg-quality Q] [--quit-after N] [--no-watch] [--quiet|--verbose]
 *   nnbundle-render A B [C ...] (--screenshot OUT | --frames DIR ...) [--titles "a,b,c" |
 *                        --no-titles] [--columns N] [--shared-scale] [the options above]
 * Several files are compare mode (nb_compare.h): panels side by side, one camera; it writes
 * images only (--screenshot, --frames), so the window, --benchmark and --quit-after are usage
 * errors with several files, and --titles, --no-titles, --columns, --shared-scale are usage
 * errors with one.
 * Exit codes follow the nnbundle CLI: 0 success, 1 failure, 2 usage error.
 */
#ifndef NB_OPTIONS_H
#define NB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "nb_screenshot.h"

#define NB_OPTIONS_MAX_SETS       64
#define NB_OPTIONS_DEFAULT_WIDTH  1280
#define NB_OPTIONS_DEFAULT_HEIGHT 720
#define NB_OPTIONS_DEFAULT_FRAMES 36
#define NB_OPTIONS_MAX_SIZE       16384
#define NB_OPTIONS_MAX_INPUTS     16 /* files of compare mode (= NB_COMPARE_MAX_FILES) */

enum { NB_RENDER_EXIT_OK = 0, NB_RENDER_EXIT_FAILURE = 1, NB_RENDER_EXIT_USAGE = 2 };

typedef enum nb_render_run_mode {
    NB_RUN_INTERACTIVE = 0, /* a window, until ESC or closed */
    NB_RUN_SCREENSHOT = 1,  /* --screenshot: one PNG, no window */
    NB_RUN_FRAMES = 2,      /* --frames: numbered PNGs, no window */
    NB_RUN_BENCHMARK = 3,   /* --benchmark: timed frames, no window */
    NB_RUN_EXPORT = 4,      /* --export: a .glb or .html file of the scene, no GL at all */
} nb_render_run_mode;

typedef struct nb_render_options {
    const char *input;                         /* the .nnb.h5 file (argv storage) = inputs[0] */
    const char *inputs[NB_OPTIONS_MAX_INPUTS]; /* every file given, in order */
    int n_inputs;                              /* > 1: compare mode */
    const char *titles;                        /* --titles: comma-separated panel titles */
    bool no_titles;                            /* --no-titles: panels without titles */
    int columns;                               /* --columns N (0: the grid is chosen) */
    bool shared_scale;                         /* --shared-scale: one importance scale */
    const char *config_path;                   /* --config, NULL if none */
    const char *sets[NB_OPTIONS_MAX_SETS];     /* --set key=value, in order */
    int n_sets;
    nb_render_run_mode mode;
    const char *screenshot_path; /* --screenshot */
    const char *frames_dir;      /* --frames */
    const char *export_path;     /* --export OUT.glb | OUT.html */
    long count;                  /* --count: frames to write (default 36) */
    bool orbit;                  /* --orbit: one full turn over the frames */
    long benchmark_frames;       /* --benchmark N */
    int width, height;           /* --size (default 1280x720) */
    int camera;                  /* --camera 0..9, -1 = camera_pose of the config */
    bool filter_layers;          /* --layers A:B: layer pairs A..B (0-based, inclusive) */
    size_t pair_first, pair_last;
    bool transparent;             /* --transparent: RGBA PNGs with a transparent background */
    nb_image_format image_format; /* --format: type of --frames and K/R images (default PNG);
                                     --screenshot takes it from OUT's extension */
    int jpeg_quality;             /* --jpeg-quality 1..100, 0 = default (90) */
    long quit_after;              /* --quit-after N: leave the interactive loop after N frames
                                     (-1 = never; for tests and scripted runs) */
    bool watch;                   /* live reload of FILE (default on; --no-watch) */
    bool quiet, verbose;
    bool help, version;
} nb_render_options;

/* Parses argv (argv[0] is the program). Returns NB_RENDER_EXIT_OK with *o filled (o->help /
 * o->version set when asked for), or NB_RENDER_EXIT_USAGE with a one-line reason in err
 * (err_size bytes, may be truncated). Pointers in *o point into argv. */
int nb_options_parse(int argc, char **argv, nb_render_options *o, char *err, size_t err_size);

/* Prints the --help text (every option, the keys, the exit codes) to f. */
void nb_options_print_help(FILE *f);

/* Parses "WxH" (each 1..NB_OPTIONS_MAX_SIZE). */
bool nb_options_parse_size(const char *s, int *w, int *h);

/* Parses "A:B" (0 <= A <= B) or "A" (= "A:A") into layer-pair indices. */
bool nb_options_parse_layers(const char *s, size_t *first, size_t *last);

#endif /* NB_OPTIONS_H */
