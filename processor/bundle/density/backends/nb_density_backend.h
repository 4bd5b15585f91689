/* nb_density_backend.h - the sample-density back-end interface, the density workspace and the
 * kernel helpers shared by the core (nb_density.c) and the back-ends.
 *
 * Private to processor/bundle/density. A back-end is one file, backends/nb_density_<name>.c,
 * that defines one nb_density_backend_ops, plus one row of the table in nb_density.c, indexed
 * by nb_density_backend (the id is the index of its name among the enum words of the
 * `density` config key, common/nb_processing_config.c). The back-end is chosen once, at
 * nb_density_create; an id without a row is an error. The core owns what every back-end uses
 * (class count, strength, threads, per-thread scratch, statistics, the node phase); each
 * back-end owns its buffers in a private state that it allocates in create and frees in
 * destroy. Buffers only grow (nb_density_reserve_) and are reused across iterations, so the
 * hot loops never allocate. Calls run one way: nb_density.c -> a back-end -> the inline
 * helpers below.
 */
#ifndef NB_DENSITY_BACKEND_H
#define NB_DENSITY_BACKEND_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "nb_density.h"
#include "nb_tuner.h"

/* The hot loops are vectorised; on x86-64 (GCC) an AVX2 copy of each is chosen at load time.
 * Without FMA and without reassociation every element is computed with the same IEEE
 * operations in either copy, so results do not depend on the machine. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NB_DENSITY_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NB_DENSITY_CLONES
#endif
/* helpers of the cloned loops must be inlined into each copy */
#if defined(__GNUC__)
#define NB_DENSITY_INLINE static inline __attribute__((always_inline))
#else
#define NB_DENSITY_INLINE static inline
#endif

/* Default share of the exact footprint's perpendicular variance given to the fast kernel
 * (nb_density_set_fast_kernel_scale; calibration in docs/density.md). */
#define NB_DENSITY_FAST_VARIANCE_SCALE 0.7

/* Tuners: one for node calls, NB_DENSITY_TUNE_SLOTS for the sample calls of layer pairs (keyed
 * by the pair's size, so that a trial is compared with calls of the same pair). */
#define NB_DENSITY_TUNE_SLOTS 8

/* Kernel cell half-length factor of method.md §4.1: kappa = NB_DENSITY_KAPPA * h. */
#define NB_DENSITY_KAPPA 1.36602540378

/* The box of grid cells (exact) or coarse nodes (fast) that holds the sample density.
 * Cell/node j along axis a sits at world coordinate base[a] + j * step. */
typedef struct nb_density_box {
    long lo[3];       /* exact: first fine cell index of the box in the nb_grid */
    size_t n[3];      /* cells/nodes per axis */
    double base[3];   /* world position of cell/node 0 (its centre) */
    double anchor[3]; /* fast: the lattice, node J of an axis at anchor + J * step */
    double step;      /* cell/node spacing, world units */
} nb_density_box;

struct nb_density {
    nb_density_backend backend;
    size_t n_classes;
    double strength;
    int threads;        /* the most threads any call uses (buffers are sized for it) */
    int nt;             /* threads of the running call */
    nb_tuner_desc tune; /* threads and mode of every tuner */
    nb_tuner tuner[1 + NB_DENSITY_TUNE_SLOTS];     /* [0] nodes, then samples */
    uint64_t tuner_key[1 + NB_DENSITY_TUNE_SLOTS]; /* the layer pair of a sample tuner */
    double fast_cells_per_bandwidth; /* settings of the fast back-end (nb_density.h) */
    double fast_variance_scale;

    /* 2-D node map: int64[ny][nx][C] over node_grid's x, y cells. */
    int64_t *node_map;
    size_t node_map_cap; /* elements */
    nb_grid node_grid;
    int node_valid;
    double *node_row; /* per-thread kernel values of one map row: double[threads][nx] */
    size_t node_row_cap;

    /* sample density: the back-end chosen at create and its private state */
    const struct nb_density_backend_ops *ops;
    void *state;
    int sample_valid;    /* a sample splat succeeded since the last failure */
    nb_grid sample_grid; /* the grid of that splat */

    /* per-thread scratch: float[threads][nb_density_scratch_floats_(C)] */
    float *scratch;
    size_t scratch_cap;

    nb_density_stats stats;
};

/* ---- reference kernel -------------------------------------------------------------- */

static inline double nb_density_F_(double u) {
    return u - u * u * u * (1.0 / 3.0); /* a product: vectorises, no division */
}

/* method.md §4.3: value of one cell from the distances of its far (a) and near (e) end. */
static inline double nb_density_value_(double a, double e, int inside, double b) {
    if (!(a < b || e < b))
        return 0.0;
    const double inv_b = 1.0 / b; /* hoisted by the compiler in the splat loops */
    double an = (a < b ? a : b) * inv_b;
    double en = (e < b ? e : b) * inv_b;
    if (inside)
        an = -an;
    return fabs(nb_density_F_(en) - nb_density_F_(an));
}

/* Ellipse distance of p to segment (A, B) of length len. */
static inline double nb_density_ellipse_(const double p[3], const double A[3], const double B[3],
                                         double len) {
    double ax = p[0] - A[0], ay = p[1] - A[1], az = p[2] - A[2];
    double bx = p[0] - B[0], by = p[1] - B[1], bz = p[2] - B[2];
    return sqrt(ax * ax + ay * ay + az * az) + sqrt(bx * bx + by * by + bz * bz) - len;
}

/* Segment kernel value for cell centre g; M is the midpoint, dir the unit segment direction
 * (used only when M coincides with g). */
static inline double nb_density_seg_value_(const double A[3], const double B[3], double len,
                                           const double M[3], const double dir[3],
                                           const double g[3], double kappa, double b) {
    double ux = M[0] - g[0], uy = M[1] - g[1], uz = M[2] - g[2];
    double dist = sqrt(ux * ux + uy * uy + uz * uz);
    if (dist > 0.0) {
        ux /= dist;
        uy /= dist;
        uz /= dist;
    } else {
        ux = dir[0];
        uy = dir[1];
        uz = dir[2];
    }
    double pm[3] = {g[0] - kappa * ux, g[1] - kappa * uy, g[2] - kappa * uz};
    double pp[3] = {g[0] + kappa * ux, g[1] + kappa * uy, g[2] + kappa * uz};
    double a = nb_density_ellipse_(pm, A, B, len);
    double e = nb_density_ellipse_(pp, A, B, len);
    return nb_density_value_(a, e, dist < kappa, b);
}

/* Adds trunc(sv * w[c]) to cell[c] for every channel. fits32: every product is known to
 * lie below 2^31, so the truncation can go through int32 (same result, vectorises). */
static inline void nb_density_add_channels_(int64_t *restrict cell, const float *restrict w,
                                            double sv, size_t C, int fits32) {
    if (fits32) {
        for (size_t c = 0; c < C; c++)
            cell[c] += (int64_t)(int32_t)(sv * (double)w[c]);
    } else {
        for (size_t c = 0; c < C; c++)
            cell[c] += (int64_t)(sv * (double)w[c]);
    }
}

/* 1 if S * 4/3 * max|w| < 2^31 (the largest kernel value is 4/3), so that every
 * trunc(S * value * w) fits int32. */
static inline int nb_density_fits32_(double S, const float *w, size_t n) {
    double wmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = fabs((double)w[i]);
        wmax = v > wmax ? v : wmax;
    }
    return S * (4.0 / 3.0) * wmax < 2147483000.0;
}

/* The saturating norm of the repulsion term: s tanh(x / s) for s > 0, x itself otherwise. */
static inline double nb_density_saturate_(double x, double s) {
    return s > 0.0 ? s * tanh(x / s) : x;
}

/* Channel stride of the fast grids: n_classes rounded up to a multiple of 4 (the padding
 * channels stay 0), so that the two corners of a cloud-in-cell row span whole SIMD vectors. */
static inline size_t nb_density_stride_(size_t n_classes) {
    return (n_classes + 3) & ~(size_t)3;
}

/* Floats of per-thread scratch (d->scratch holds threads times this). */
static inline size_t nb_density_scratch_floats_(size_t n_classes) {
    return 4 * nb_density_stride_(n_classes);
}

/* ---- buffers ----------------------------------------------------------------------------- */

/* Grows *buf to hold `count` elements of `size` bytes without raising (usable inside
 * parallel regions): 1 on success, 0 on overflow or allocation failure. Contents are not kept;
 * the capacity grows by at least half (the sample grids widen over many iterations, and every
 * fresh allocation costs page faults on first touch). */
static inline int nb_density_grow_(void **buf, size_t *cap, size_t count, size_t size) {
    if (count <= *cap)
        return 1;
    if (size != 0 && count > SIZE_MAX / size)
        return 0;
    size_t want = *cap + *cap / 2;
    if (want < count || (size != 0 && want > SIZE_MAX / size))
        want = count;
    void *p = malloc(want * size);
    if (!p && want > count)
        p = malloc((want = count) * size);
    if (!p)
        return 0;
    free(*buf);
    *buf = p;
    *cap = want;
    return 1;
}

/* nb_density_grow_ that raises NB_E_NOMEM with subject "density workspace". */
static inline nb_status nb_density_reserve_(void **buf, size_t *cap, size_t count, size_t size) {
    if (nb_density_grow_(buf, cap, count, size))
        return NB_OK;
    return NB_RAISE(NB_E_NOMEM, "density workspace", "cannot allocate %zu elements of %zu bytes",
                    count, size);
}

/* Clamps p into the grid box [origin, origin + n*cell]. */
static inline void nb_density_clamp_to_grid_(const nb_grid *g, double p[3]) {
    for (int a = 0; a < 3; a++) {
        double lo = g->origin[a];
        double hi = g->origin[a] + (double)g->n[a] * g->cell;
        if (p[a] < lo)
            p[a] = lo;
        if (p[a] > hi)
            p[a] = hi;
    }
}

/* Evaluates q (float[C]) of segment/point k of edge `e` with n_points points (t = k/n). */
static inline void nb_density_edge_q_(const nb_sample_set *set, size_t n_classes, size_t e,
                                      size_t k, size_t n_points, float *q) {
    uint32_t s = set->edge_source[e], t = set->edge_target[e];
    nb_edge_importance_eval(set->edge_importance_type, (float)k / (float)n_points, n_classes,
                            set->node_importance + (size_t)s * n_classes, set->node_stats[s],
                            set->node_importance + (size_t)t * n_classes, set->node_stats[t],
                            set->edge_alpha[e], q, NULL);
}

/* ---- the back-end interface --------------------------------------------------------------- */

/* One sample-density back-end. `d` is the workspace (class count, strength, d->nt threads for
 * this call, per-thread scratch d->scratch of nb_density_scratch_floats_(C) floats per thread,
 * already reserved for d->threads); `state` is what the back-end's create returned. */
typedef struct nb_density_backend_ops {
    /* Allocates the private state (buffers empty). NB_OK or NB_E_NOMEM. */
    nb_status (*create)(const nb_density *d, void **state);
    /* Frees the state; NULL is a no-op. */
    void (*destroy)(void *state);
    /* Splats every segment of `set` (checked by the caller) with `bandwidth`; on success the
     * density is what move and query read, and d->stats.cells, .cell and .kernel_taps describe
     * it. NB_OK, NB_E_NUMERIC ("sample_set points": a point is not finite), NB_E_NOMEM. */
    nb_status (*splat)(nb_density *d, void *state, const nb_grid *grid, const nb_sample_set *set,
                       double bandwidth);
    /* After a successful splat of the same set (n_edges > 0): moves every interior point along
     * the gradient of phi (nb_density.h, nb_density_advect_samples); sets d->stats.moved. */
    void (*move)(nb_density *d, void *state, const nb_grid *grid, nb_sample_set *set,
                 double bandwidth, double similarity);
    /* After a successful splat: adds the class density at world point p to out[C] (zeroed by
     * the caller; left 0 outside the density's box). */
    void (*query)(const nb_density *d, const void *state, const double p[3], double *out);
    /* Bytes held by the state. */
    uint64_t (*bytes)(const void *state);
} nb_density_backend_ops;

extern const nb_density_backend_ops nb_density_exact_backend; /* backends/nb_density_exact.c */
extern const nb_density_backend_ops nb_density_fast_backend;  /* backends/nb_density_fast.c */

#endif /* NB_DENSITY_BACKEND_H */
