/* test_render_fixture.c - deterministic tiny models for the renderer tests (see header). */
#include "test_render_fixture.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "nb_h5.h"
#include "nb_rng.h"

static void layout_layer(size_t n, size_t l, size_t n_layers, float *pos) {
    const float W = 1.0f, d = 0.5f;
    float z = -(float)(n_layers - 1) * d / 2.0f + (float)l * d;
    size_t s = (size_t)ceil(sqrt((double)n));
    float delta = W / (float)s;
    for (size_t i = 0; i < n; i++) {
        if (n == 1) {
            pos[3 * i] = pos[3 * i + 1] = 0.0f;
        } else {
            pos[3 * i + 0] = ((float)(i % s) - (float)(s - 1) / 2.0f) * delta;
            pos[3 * i + 1] = ((float)(i / s) - (float)(s - 1) / 2.0f) * delta;
        }
        pos[3 * i + 2] = z;
    }
}

nb_status test_make_model(nb_model *m, const size_t *sizes, size_t n_layers, size_t points_per_edge,
                          bool with_importance, uint64_t seed) {
    memset(m, 0, sizeof *m);
    if (n_layers < 2 || points_per_edge < 2)
        return NB_RAISE(NB_E_INVALID, "fixture", "bad shape");
    NB_TRY(nb_network_init(&m->network, n_layers, sizes));
    m->has_network = true;
    const size_t C = sizes[n_layers - 1];
    for (size_t c = 0; c < C; c++) {
        char name[32];
        snprintf(name, sizeof name, "class %zu", c);
        NB_TRY(nb_network_set_class_name(&m->network, c, name));
    }
    nb_rng rng;
    nb_rng_init(&rng, seed);
    if (with_importance) {
        NB_TRY(nb_importance_init(&m->importance, n_layers, sizes, 0));
        m->has_importance = true;
        for (size_t l = 0; l < n_layers; l++) {
            float *v = nb_importance_node(&m->importance, l);
            for (size_t i = 0; i < sizes[l]; i++) {
                float *row = v + i * C;
                if (l + 1 == n_layers) {
                    for (size_t c = 0; c < C; c++)
                        row[c] = c == i ? 1.0f : 0.0f;
                    continue;
                }
                float u1 = (float)nb_rng_uniform(&rng), u2 = (float)nb_rng_uniform(&rng);
                size_t strong = (size_t)nb_rng_below(&rng, C);
                for (size_t c = 0; c < C; c++)
                    row[c] = c == strong ? fmaxf(u1, u2) : fminf(u1, u2) * fminf(u1, u2);
            }
        }
    }
    size_t N = 0, E = 0;
    for (size_t l = 0; l < n_layers; l++) {
        N += sizes[l];
        if (l + 1 < n_layers)
            E += sizes[l] * sizes[l + 1];
    }
    NB_TRY(nb_bundle_data_init(&m->bundle, n_layers, N, E, E * points_per_edge));
    m->has_bundle = true;
    nb_bundle_data *b = &m->bundle;
    size_t g = 0;
    for (size_t l = 0; l < n_layers; l++) {
        b->layer_offset[l] = (int64_t)g;
        layout_layer(sizes[l], l, n_layers, b->node_position + 3 * g);
        g += sizes[l];
    }
    b->layer_offset[n_layers] = (int64_t)g;
    size_t e = 0, p = 0;
    for (size_t l = 0; l + 1 < n_layers; l++) {
        for (size_t i = 0; i < sizes[l]; i++)
            for (size_t j = 0; j < sizes[l + 1]; j++) {
                uint32_t src = (uint32_t)(b->layer_offset[l] + (int64_t)i);
                uint32_t dst = (uint32_t)(b->layer_offset[l + 1] + (int64_t)j);
                b->edge_source[e] = src;
                b->edge_target[e] = dst;
                b->edge_alpha[e] = (float)nb_rng_uniform(&rng);
                b->edge_point_offset[e] = p;
                const float *a = b->node_position + 3 * src, *z = b->node_position + 3 * dst;
                for (size_t k = 0; k < points_per_edge; k++) {
                    float t = (float)k / (float)(points_per_edge - 1);
                    float pull = 1.0f - 0.5f * sinf(3.14159265f * t);
                    float *q = b->point_position + 3 * p;
                    for (int c = 0; c < 2; c++)
                        q[c] = ((1.0f - t) * a[c] + t * z[c]) * pull;
                    q[2] = (1.0f - t) * a[2] + t * z[2];
                    p++;
                }
                e++;
            }
    }
    b->edge_point_offset[E] = p;
    b->n_edges_total = E;
    return NB_OK;
}

void test_render_config(nb_rendering_config *cfg) {
    nb_config_defaults(&nb_rendering_schema, cfg);
    cfg->show_legend = false;
    cfg->edge.importance_threshold = 0.0;
    cfg->node.importance_threshold = 0.0;
}

double test_match_fraction(const unsigned char *a, const unsigned char *b, size_t n_pixels,
                           int tol) {
    size_t ok = 0;
    for (size_t i = 0; i < n_pixels; i++) {
        bool same = true;
        for (int k = 0; k < 3; k++)
            if (abs((int)a[3 * i + k] - (int)b[3 * i + k]) > tol)
                same = false;
        ok += same;
    }
    return (double)ok / (double)n_pixels;
}

size_t test_count_non_background(const unsigned char *rgb, int w, int h, const unsigned char bg[3],
                                 int tol) {
    size_t n = 0;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        const unsigned char *px = rgb + 3 * i;
        for (int c = 0; c < 3; c++)
            if (abs((int)px[c] - (int)bg[c]) > tol) {
                n++;
                break;
            }
    }
    return n;
}

void test_save_model(const char *path, const size_t *sizes, size_t n_layers, size_t points_per_edge,
                     uint64_t seed, bool bundle) {
    nb_model m;
    assert_int_equal(test_make_model(&m, sizes, n_layers, points_per_edge, true, seed), NB_OK);
    if (!bundle) {
        nb_bundle_data_deinit(&m.bundle);
        m.has_bundle = false;
    }
    if (nb_h5_save(path, &m) != NB_OK)
        fail_msg("save: %s", nb_error_message());
    nb_model_deinit(&m);
}

void test_renderer_exe(char *out, size_t out_size) {
    const char *bin = getenv("NB_BINARY_DIR");
    snprintf(out, out_size, "%s/renderer/nnbundle-render", bin ? bin : "..");
}

int test_run_program(const char *exe, const char *env, const char *args, const char *out_path,
                     char *text, size_t text_size) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "env %s '%s' %s > '%s' 2>&1", env ? env : "", exe, args, out_path);
    int status = system(cmd);
    text[0] = '\0';
    FILE *f = fopen(out_path, "r");
    if (f) {
        size_t n = fread(text, 1, text_size - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
