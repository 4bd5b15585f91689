/* test_render_fixture.h - tiny deterministic models and render helpers for the renderer tests.
 *
 * A model with /network, /importance (method.md §2.7 random mode: one strong class per
 * node, output layer one-hot) and /bundle: layers laid out as in method.md §3 (layer_width 1,
 * layer_distance 0.5), every edge a polyline of `points_per_edge` points whose interior is
 * pulled towards the layer pair's axis (a bundled look), edge alpha uniform in [0, 1).
 * Everything is seeded: the same arguments give the same model bit for bit.
 */
#ifndef TEST_RENDER_FIXTURE_H
#define TEST_RENDER_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_config.h"
#include "nb_model.h"
#include "nb_status.h"

/* Builds the model; with_importance false leaves /importance out. Class names "class 0"...
 * Returns NB_OK or NB_E_NOMEM / NB_E_INVALID. */
nb_status test_make_model(nb_model *m, const size_t *sizes, size_t n_layers, size_t points_per_edge,
                          bool with_importance, uint64_t seed);

/* Rendering config with the shipped defaults (nb_rendering_schema) but show_legend off and
 * both importance thresholds 0, so every object of a tiny model is drawn. */
void test_render_config(nb_rendering_config *cfg);

/* Saves the model of test_make_model (with /importance) to path, without /bundle when bundle
 * is false. Fails the test on any error. */
void test_save_model(const char *path, const size_t *sizes, size_t n_layers, size_t points_per_edge,
                     uint64_t seed, bool bundle);

/* The nnbundle-render of the build tree ($NB_BINARY_DIR/renderer/nnbundle-render, or
 * ../renderer/nnbundle-render) into out. */
void test_renderer_exe(char *out, size_t out_size);

/* Runs `env ENV exe ARGS` (env may be NULL; args are shell words), stdout and stderr into the
 * file out_path and its first text_size - 1 bytes into text. Returns the exit status, -1 when
 * the program did not exit normally. */
int test_run_program(const char *exe, const char *env, const char *args, const char *out_path,
                     char *text, size_t text_size);

/* Fraction of the n_pixels RGB pixels of a and b whose channels all differ by at most tol. */
double test_match_fraction(const unsigned char *a, const unsigned char *b, size_t n_pixels,
                           int tol);

/* Count of pixels of rgb (w x h) whose colour differs from bg by more than tol in any channel. */
size_t test_count_non_background(const unsigned char *rgb, int w, int h, const unsigned char bg[3],
                                 int tol);

#endif /* TEST_RENDER_FIXTURE_H */
