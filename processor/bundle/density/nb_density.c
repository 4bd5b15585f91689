/* nb_density.c - density workspace, argument checks, the node phase, back-end dispatch.
 *
 * DESIGN: the workspace owns the node map and the per-thread scratch, each sample back-end its
 * own buffers (all grown on demand, reused across iterations). Node phase (method.md §4.4-4.5),
 * used by both back-ends: all nodes splat their raw class-importance vector N[i,c] into one 2-D map
 * (x, y of the grid) with the reference kernel of method.md §4.3 (node distance = xy Euclidean),
 * restricted to its true support |cell - node| < b + kappa and to the reference window -R..R+1 (R =
 * ceil(b/h) + 1); each contribution adds trunc(S*value*N[i,c]) when S*value >= 1. The node at a
 * cell centre keeps its own-cell contribution (the reference loses it to 0/0). Then every node
 * moves step_fraction*b along G/|G| with G the one-sided difference (neighbour chosen by the
 * sub-cell position) of phi(D) = n_hat . D - similarity*|D| over the class channels, clamped to
 * [min + step*b + 2h, max - step*b - 2h]; a zero-importance node or a zero/non-finite gradient
 * does not move. Jacobi: the map is complete before any node moves, so moving in place reads
 * the same snapshot. Sample phase: the back-end chosen at create (backend_table below; one
 * file each in backends/, interface in backends/nb_density_backend.h).
 * Threading (OpenMP, up to d->threads): node splat is parallel over map rows, each row owned
 * by one thread (no atomics, no per-thread copies; the row loop has an AVX2 copy); node moves
 * are parallel over nodes. Every result is independent of the thread count (integer sums
 * here and in exact, single-writer float sums in fast), so an adaptive tuner (nb_tuner.h, one
 * for node calls and one per layer pair) may run a call on 1 thread when that is faster: only
 * when the process's CPU time shows that another process took a core.
 * Config keys: none directly; the caller passes density, density_strength, node_step and the
 * bandwidth/similarity schedule of method.md §4.6.
 */
#include "nb_density_backend.h"

#include <limits.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers --------------------------------------------------------------------- */

static int mul_overflows(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a)
        return 1;
    *out = a * b;
    return 0;
}

/* ---- back-ends ---------------------------------------------------------------------------
 * One row per back-end, indexed by nb_density_backend; the names are the enum words of the
 * `density` config key (common/nb_processing_config.c). */
static const nb_density_backend_ops *const backend_table[] = {
    [NB_DENSITY_FAST] = &nb_density_fast_backend,
    [NB_DENSITY_EXACT] = &nb_density_exact_backend,
};
enum { N_BACKENDS = sizeof backend_table / sizeof backend_table[0] };

static const nb_density_backend_ops *backend_of(nb_density_backend backend) {
    return (int)backend >= 0 && (int)backend < N_BACKENDS ? backend_table[backend] : NULL;
}

const char *nb_density_backend_name(nb_density_backend backend) {
    const char *name = nb_config_enum_name(&nb_processing_schema, "density", (int)backend);
    return backend_of(backend) && name ? name : "unknown";
}

/* ---- kernel ------------------------------------------------------------------------------ */

double nb_density_kernel_value(double a, double e, int inside, double bandwidth) {
    return nb_density_value_(a, e, inside, bandwidth);
}

static inline double node_value(double dist, double kappa, double b) {
    return nb_density_value_(dist + kappa, fabs(dist - kappa), dist < kappa, b);
}

double nb_density_node_kernel(double dist, double cell, double bandwidth) {
    return node_value(dist, NB_DENSITY_KAPPA * cell, bandwidth);
}

double nb_density_segment_kernel(const double a[3], const double b[3], const double g[3],
                                 double cell, double bandwidth) {
    double v[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    double len = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    double dir[3] = {1.0, 0.0, 0.0};
    if (len > 0.0)
        for (int k = 0; k < 3; k++)
            dir[k] = v[k] / len;
    double m[3] = {0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1]), 0.5 * (a[2] + b[2])};
    return nb_density_seg_value_(a, b, len, m, dir, g, NB_DENSITY_KAPPA * cell, bandwidth);
}

/* ---- adaptive thread count (nb_tuner.h) ------------------------------------------------- */

/* The tuner of node calls (key 0) or of the layer pair with `key` (a free or reused slot). */
static nb_tuner *tuner_of(nb_density *d, uint64_t key) {
    if (key == 0)
        return &d->tuner[0];
    const size_t k = 1 + key % NB_DENSITY_TUNE_SLOTS;
    if (d->tuner_key[k] != key) {
        nb_tuner_init(&d->tuner[k], &d->tune);
        d->tuner_key[k] = key;
    }
    return &d->tuner[k];
}

static void tuners_reset(nb_density *d) {
    for (int k = 0; k <= NB_DENSITY_TUNE_SLOTS; k++) {
        nb_tuner_init(&d->tuner[k], &d->tune);
        d->tuner_key[k] = 0;
    }
}

/* Key of the sample tuner of the layer pair of `set` on `grid`. */
static uint64_t pair_key(const nb_grid *grid, const nb_sample_set *set) {
    uint64_t k = (uint64_t)set->n_edges * 0x9E3779B97F4A7C15ull;
    for (int a = 0; a < 3; a++)
        k = (k ^ (uint64_t)grid->n[a]) * 0x100000001B3ull;
    return k ? k : 1;
}

/* ---- create / destroy -------------------------------------------------------------------- */

nb_status nb_density_create(nb_density_backend backend, size_t n_classes, double strength,
                            int threads, nb_density **out) {
    if (!out)
        return NB_RAISE(NB_E_INVALID, "out", "NULL output pointer");
    const nb_density_backend_ops *ops = backend_of(backend);
    if (!ops)
        return NB_RAISE(NB_E_INVALID, "density", "unknown back-end %d (%d back-ends)", (int)backend,
                        (int)N_BACKENDS);
    if (n_classes == 0 || n_classes > (size_t)1 << 20)
        return NB_RAISE(NB_E_INVALID, "n_classes", "%zu classes, expected 1..%zu", n_classes,
                        (size_t)1 << 20);
    if (!(strength > 0.0) || !isfinite(strength))
        return NB_RAISE(NB_E_INVALID, "density_strength", "%g, expected > 0 and finite", strength);
    nb_density *d = calloc(1, sizeof *d);
    if (!d)
        return NB_RAISE(NB_E_NOMEM, "density workspace", "cannot allocate the workspace");
    d->backend = backend;
    d->n_classes = n_classes;
    d->strength = strength;
    d->threads = threads > 0 ? threads : omp_get_max_threads();
    if (d->threads < 1)
        d->threads = 1;
    d->nt = d->threads;
    d->tune = (nb_tuner_desc){.threads = d->threads, .mode = NB_TUNER_ADAPTIVE};
    tuners_reset(d);
    d->fast_cells_per_bandwidth = 8.0;
    d->fast_variance_scale = NB_DENSITY_FAST_VARIANCE_SCALE;
    nb_status st = ops->create(d, &d->state);
    if (st != NB_OK) {
        free(d);
        return st;
    }
    d->ops = ops;
    *out = d;
    return NB_OK;
}

void nb_density_destroy(nb_density *d) {
    if (!d)
        return;
    if (d->ops)
        d->ops->destroy(d->state);
    free(d->node_map);
    free(d->node_row);
    free(d->scratch);
    free(d);
}

nb_status nb_density_set_thread_tuning(nb_density *d, int on) {
    if (!d)
        return NB_RAISE(NB_E_INVALID, "density", "NULL workspace");
    d->tune.mode = on == 2 ? NB_TUNER_ALWAYS_TRY : on ? NB_TUNER_ADAPTIVE : NB_TUNER_FIXED;
    d->nt = d->threads;
    tuners_reset(d);
    return NB_OK;
}

nb_status nb_density_set_fast_resolution(nb_density *d, double cells_per_bandwidth) {
    if (!d)
        return NB_RAISE(NB_E_INVALID, "density", "NULL workspace");
    if (!(cells_per_bandwidth >= 2.0 && cells_per_bandwidth <= 64.0))
        return NB_RAISE(NB_E_INVALID, "cells_per_bandwidth", "%g, expected 2..64",
                        cells_per_bandwidth);
    d->fast_cells_per_bandwidth = cells_per_bandwidth;
    return NB_OK;
}

nb_status nb_density_set_fast_kernel_scale(nb_density *d, double variance_scale) {
    if (!d)
        return NB_RAISE(NB_E_INVALID, "density", "NULL workspace");
    if (!(variance_scale >= 0.25 && variance_scale <= 2.0))
        return NB_RAISE(NB_E_INVALID, "variance_scale", "%g, expected 0.25..2", variance_scale);
    d->fast_variance_scale = variance_scale;
    return NB_OK;
}

void nb_density_query_stats(const nb_density *d, nb_density_stats *out) {
    if (!d || !out)
        return;
    *out = d->stats;
    out->threads = d->nt;
    out->bytes = (uint64_t)(d->node_map_cap * sizeof(int64_t) + d->node_row_cap * sizeof(double) +
                            d->scratch_cap * sizeof(float) + sizeof *d) +
                 d->ops->bytes(d->state);
}

/* ---- argument checks --------------------------------------------------------------------- */

static nb_status check_grid(const nb_grid *g, int dims) {
    if (!g)
        return NB_RAISE(NB_E_INVALID, "grid", "NULL grid");
    if (!(g->cell > 0.0) || !isfinite(g->cell))
        return NB_RAISE(NB_E_INVALID, "grid", "cell %g, expected > 0 and finite", g->cell);
    for (int a = 0; a < dims; a++) {
        if (g->n[a] == 0 || g->n[a] > (size_t)1 << 40)
            return NB_RAISE(NB_E_INVALID, "grid", "axis %d has %zu cells, expected 1..2^40", a,
                            g->n[a]);
        if (!isfinite(g->origin[a]))
            return NB_RAISE(NB_E_INVALID, "grid", "origin[%d] is not finite", a);
    }
    return NB_OK;
}

static nb_status check_schedule(double bandwidth, double similarity) {
    if (!(bandwidth > 0.0) || !isfinite(bandwidth))
        return NB_RAISE(NB_E_INVALID, "bandwidth", "%g, expected > 0 and finite", bandwidth);
    if (!isfinite(similarity))
        return NB_RAISE(NB_E_INVALID, "similarity", "%g, expected a finite value", similarity);
    return NB_OK;
}

static nb_status check_sample_set(const nb_density *d, const nb_sample_set *set) {
    (void)d;
    if (!set)
        return NB_RAISE(NB_E_INVALID, "sample_set", "NULL sample set");
    if (set->n_edges == 0)
        return NB_OK;
    if (!set->point_offset || !set->points || !set->edge_source || !set->edge_target ||
        !set->edge_alpha || !set->node_importance || !set->node_stats)
        return NB_RAISE(NB_E_INVALID, "sample_set", "NULL array in a set of %zu edges",
                        set->n_edges);
    if (set->n_edges > UINT32_MAX)
        return NB_RAISE(NB_E_INVALID, "sample_set", "%zu edges, at most 2^32 - 1", set->n_edges);
    if (set->edge_importance_type < 0 || set->edge_importance_type >= NB_EDGE_IMPORTANCE_TYPES)
        return NB_RAISE(NB_E_INVALID, "sample_set edge_importance_type", "%d, expected 0..%d",
                        set->edge_importance_type, NB_EDGE_IMPORTANCE_TYPES - 1);
    for (size_t e = 0; e < set->n_edges; e++) {
        if (set->point_offset[e + 1] < set->point_offset[e])
            return NB_RAISE(NB_E_INVALID, "sample_set point_offset",
                            "offset[%zu] = %llu < offset[%zu] = %llu", e + 1,
                            (unsigned long long)set->point_offset[e + 1], e,
                            (unsigned long long)set->point_offset[e]);
        if (set->n_nodes > 0 && set->edge_source[e] >= set->n_nodes)
            return NB_RAISE(NB_E_INVALID, "sample_set edge_source", "edge %zu: node %u >= %zu", e,
                            set->edge_source[e], set->n_nodes);
        if (set->n_nodes > 0 && set->edge_target[e] >= set->n_nodes)
            return NB_RAISE(NB_E_INVALID, "sample_set edge_target", "edge %zu: node %u >= %zu", e,
                            set->edge_target[e], set->n_nodes);
    }
    if (set->point_offset[set->n_edges] > (uint64_t)UINT32_MAX)
        return NB_RAISE(NB_E_INVALID, "sample_set point_offset",
                        "%llu points, at most 2^32 - 1 per layer pair",
                        (unsigned long long)set->point_offset[set->n_edges]);
    return NB_OK;
}

static nb_status check_nodes(const nb_density *d, const nb_grid *grid, size_t n_nodes,
                             const float *pos, const float *importance, double bandwidth) {
    if (!d)
        return NB_RAISE(NB_E_INVALID, "density", "NULL workspace");
    NB_TRY(check_grid(grid, 2));
    if (n_nodes > 0 && !pos)
        return NB_RAISE(NB_E_INVALID, "pos", "NULL positions for %zu nodes", n_nodes);
    if (n_nodes > 0 && !importance)
        return NB_RAISE(NB_E_INVALID, "importance", "NULL importance for %zu nodes", n_nodes);
    NB_TRY(check_schedule(bandwidth, 0.0));
    for (size_t i = 0; i < n_nodes; i++)
        if (!isfinite(pos[3 * i]) || !isfinite(pos[3 * i + 1]))
            return NB_RAISE(NB_E_NUMERIC, "pos", "node %zu has a non-finite position", i);
    return NB_OK;
}

/* ---- node phase ----------------------------------------------------------------------------- */

/* Cell index of coordinate x on an axis of n cells, clamped far outside to avoid overflow. */
static inline long cell_index(double x, double origin, double h, size_t n, long pad) {
    double f = floor((x - origin) / h);
    double lo = -(double)pad - 2.0, hi = (double)n + (double)pad + 2.0;
    if (f < lo)
        f = lo;
    if (f > hi)
        f = hi;
    return (long)f;
}

/* Constants of one node splat. */
typedef struct node_params {
    double ox, oy, h, b, inv_b, kappa, rad, S;
    size_t nx, ny, C;
    long R;
    int fits32;
} node_params;

/* Row iy of the node map (int64[nx][C], overwritten) from every node within reach; rowbuf:
 * scratch of nx doubles. */
NB_DENSITY_CLONES
static void node_row(const node_params *np, long iy, int64_t *row, double *rowbuf, size_t n_nodes,
                     const float *pos, const float *importance) {
    const double ox = np->ox, oy = np->oy, h = np->h, b = np->b, inv_b = np->inv_b;
    const double kappa = np->kappa, rad = np->rad, S = np->S;
    const size_t nx = np->nx, ny = np->ny, C = np->C;
    const long R = np->R;
    const int fits32 = np->fits32;
    memset(row, 0, nx * C * sizeof *row);
    const double yc = oy + ((double)iy + 0.5) * h;
    for (size_t i = 0; i < n_nodes; i++) {
        const double x = pos[3 * i], y = pos[3 * i + 1];
        const long cy = cell_index(y, oy, h, ny, R);
        if (iy < cy - R || iy > cy + R + 1)
            continue;
        const double dy = y - yc;
        if (fabs(dy) >= rad)
            continue;
        const double half = sqrt(rad * rad - dy * dy);
        const long cx = cell_index(x, ox, h, nx, R);
        double fx0 = floor((x - half - ox) / h - 0.5), fx1 = ceil((x + half - ox) / h - 0.5);
        long x0 = cx - R, x1 = cx + R + 1;
        if (fx0 > (double)x0)
            x0 = (long)fx0;
        if (fx1 < (double)x1)
            x1 = (long)fx1;
        if (x0 < 0)
            x0 = 0;
        if (x1 > (long)nx - 1)
            x1 = (long)nx - 1;
        const float *w = importance + i * C;
        /* kernel values of the row segment first (branch-free), then the channels */
        const int ix0 = (int)x0, ix1 = (int)x1; /* int: converts to double in SIMD */
        double *rb = rowbuf - ix0;
        for (int ix = ix0; ix <= ix1; ix++) {
            const double dx = x - (ox + ((double)ix + 0.5) * h);
            const double dist = sqrt(dx * dx + dy * dy);
            const double a = dist + kappa, e = fabs(dist - kappa);
            const double an = (a < b ? a : b) * inv_b;
            const double en = (e < b ? e : b) * inv_b;
            /* = nb_density_value_ exactly: F is odd and an >= en, so the |.| resolves to
             * F(an) + F(en) inside the cell segment and F(an) - F(en) outside */
            const double sgn = dist < kappa ? 1.0 : -1.0;
            const double v = nb_density_F_(an) + sgn * nb_density_F_(en);
            rb[ix] = e < b ? S * v : 0.0;
        }
        for (long ix = x0; ix <= x1; ix++) {
            const double sv = rowbuf[ix - x0];
            if (!(sv >= 1.0))
                continue;
            nb_density_add_channels_(row + (size_t)ix * C, w, sv, C, fits32);
        }
    }
}

static nb_status splat_nodes(nb_density *d, const nb_grid *grid, size_t n_nodes, const float *pos,
                             const float *importance, double bandwidth) {
    const size_t C = d->n_classes;
    size_t nx = grid->n[0], ny = grid->n[1], cells, count;
    if (nx > (size_t)INT_MAX || mul_overflows(nx, ny, &cells) || mul_overflows(cells, C, &count))
        return NB_RAISE(NB_E_NOMEM, "density workspace", "node map of %zu x %zu x %zu overflows",
                        nx, ny, C);
    void *buf = d->node_map;
    nb_status st = nb_density_reserve_(&buf, &d->node_map_cap, count, sizeof(int64_t));
    d->node_map = buf;
    if (st == NB_OK) {
        buf = d->node_row;
        size_t row_elems;
        st = mul_overflows(nx, (size_t)d->threads, &row_elems)
                 ? NB_RAISE(NB_E_NOMEM, "density workspace", "node rows overflow")
                 : nb_density_reserve_(&buf, &d->node_row_cap, row_elems, sizeof(double));
        d->node_row = buf;
    }
    if (st != NB_OK) {
        d->node_valid = 0;
        return st;
    }
    double t0 = omp_get_wtime();
    const double h = grid->cell, b = bandwidth, kappa = NB_DENSITY_KAPPA * h;
    const double rad = b + kappa, S = d->strength;
    const double ox = grid->origin[0], oy = grid->origin[1];
    const double Rd = ceil(b / h) + 1.0;
    const long R = Rd > 1e9 ? 1000000000L : (long)Rd;
    int64_t *map = d->node_map;
    const long nyl = (long)ny;

    const double inv_b = 1.0 / b;
    const int fits32 = nb_density_fits32_(S, importance, n_nodes * C);
    double *rowbufs = d->node_row;
    node_params np = {ox, oy, h, b, inv_b, kappa, rad, S, nx, ny, C, R, fits32};
#pragma omp parallel for num_threads(d->nt) schedule(dynamic, 2)
    for (long iy = 0; iy < nyl; iy++)
        node_row(&np, iy, map + (size_t)iy * nx * C, rowbufs + (size_t)omp_get_thread_num() * nx,
                 n_nodes, pos, importance);
    d->node_grid = *grid;
    d->node_valid = 1;
    d->stats.node_seconds = omp_get_wtime() - t0;
    return NB_OK;
}

nb_status nb_density_splat_nodes(nb_density *d, const nb_grid *grid, size_t n_nodes,
                                 const float *pos, const float *importance, double bandwidth) {
    NB_TRY(check_nodes(d, grid, n_nodes, pos, importance, bandwidth));
    d->nt = nb_tuner_current(tuner_of(d, 0));
    return splat_nodes(d, grid, n_nodes, pos, importance, bandwidth);
}

nb_status nb_density_query_node_density(const nb_density *d, size_t ix, size_t iy, double *out) {
    if (!d || !d->node_valid)
        return NB_RAISE(NB_E_INVALID, "density", "no node map has been splatted");
    if (ix >= d->node_grid.n[0] || iy >= d->node_grid.n[1] || !out)
        return NB_RAISE(NB_E_INVALID, "cell", "(%zu, %zu) outside the %zu x %zu node map", ix, iy,
                        d->node_grid.n[0], d->node_grid.n[1]);
    const int64_t *cell = d->node_map + (iy * d->node_grid.n[0] + ix) * d->n_classes;
    for (size_t c = 0; c < d->n_classes; c++)
        out[c] = (double)cell[c];
    return NB_OK;
}

/* phi(D) = n_hat . D - sim * |D| of node-map cell (ix, iy). */
static inline double node_phi(const int64_t *map, size_t nx, size_t C, long ix, long iy,
                              const float *w, double inv_norm, double sim) {
    const int64_t *cell = map + ((size_t)iy * nx + (size_t)ix) * C;
    double dot = 0.0, sq = 0.0;
    for (size_t c = 0; c < C; c++) {
        double v = (double)cell[c];
        dot += (double)w[c] * v;
        sq += v * v;
    }
    return dot * inv_norm - sim * sqrt(sq);
}

nb_status nb_density_advect_nodes(nb_density *d, const nb_grid *grid, size_t n_nodes, float *pos,
                                  const float *importance, double bandwidth, double similarity,
                                  double step_fraction) {
    return nb_density_advect_nodes_weighted(d, grid, n_nodes, pos, importance, NULL, bandwidth,
                                            similarity, step_fraction);
}

nb_status nb_density_advect_nodes_weighted(nb_density *d, const nb_grid *grid, size_t n_nodes,
                                           float *pos, const float *importance,
                                           const float *step_weight, double bandwidth,
                                           double similarity, double step_fraction) {
    NB_TRY(check_nodes(d, grid, n_nodes, pos, importance, bandwidth));
    NB_TRY(check_schedule(bandwidth, similarity));
    if (!(step_fraction > 0.0) || !isfinite(step_fraction))
        return NB_RAISE(NB_E_INVALID, "node_step", "%g, expected > 0 and finite", step_fraction);
    double t0 = omp_get_wtime();
    nb_tuner *tuner = tuner_of(d, 0);
    d->nt = nb_tuner_begin(tuner);
    nb_status st = splat_nodes(d, grid, n_nodes, pos, importance, bandwidth);
    if (st != NB_OK)
        return st;

    const size_t C = d->n_classes, nx = grid->n[0], ny = grid->n[1];
    const double h = grid->cell, step = step_fraction * bandwidth;
    double lo[2], hi[2];
    for (int a = 0; a < 2; a++) {
        lo[a] = grid->origin[a] + step + 2.0 * h;
        hi[a] = grid->origin[a] + (double)grid->n[a] * h - step - 2.0 * h;
        if (lo[a] > hi[a])
            lo[a] = hi[a] = grid->origin[a] + 0.5 * (double)grid->n[a] * h;
    }
    const int64_t *map = d->node_map;
    size_t moved = 0;
    const long nn = (long)n_nodes;

#pragma omp parallel for num_threads(d->nt) schedule(static) reduction(+ : moved)
    for (long li = 0; li < nn; li++) {
        const size_t i = (size_t)li;
        const float *w = importance + i * C;
        double sq = 0.0;
        for (size_t c = 0; c < C; c++)
            sq += (double)w[c] * (double)w[c];
        if (!(sq > 0.0) || !isfinite(sq))
            continue;
        const double inv_norm = 1.0 / sqrt(sq);
        const double p[2] = {pos[3 * i], pos[3 * i + 1]};
        const size_t n[2] = {nx, ny};
        long ci[2];
        int side[2];
        for (int a = 0; a < 2; a++) {
            double f = (p[a] - grid->origin[a]) / h;
            double fl = floor(f);
            if (fl < 0.0)
                fl = 0.0;
            if (fl > (double)n[a] - 1.0)
                fl = (double)n[a] - 1.0;
            ci[a] = (long)fl;
            side[a] = (f - fl) - 0.5 >= 0.0 ? 1 : -1;
        }
        const double phi0 = node_phi(map, nx, C, ci[0], ci[1], w, inv_norm, similarity);
        double g[2] = {0.0, 0.0};
        for (int a = 0; a < 2; a++) {
            long nb = ci[a] + side[a];
            if (nb < 0 || nb > (long)n[a] - 1) {
                side[a] = -side[a];
                nb = ci[a] + side[a];
                if (nb < 0 || nb > (long)n[a] - 1)
                    continue;
            }
            long jx = a == 0 ? nb : ci[0], jy = a == 1 ? nb : ci[1];
            g[a] = side[a] * (node_phi(map, nx, C, jx, jy, w, inv_norm, similarity) - phi0);
        }
        const double gn = sqrt(g[0] * g[0] + g[1] * g[1]);
        if (!(gn > 0.0) || !isfinite(gn))
            continue;
        const double wstep = step_weight ? step * (double)step_weight[i] : step;
        if (!(wstep > 0.0))
            continue;
        for (int a = 0; a < 2; a++) {
            double v = p[a] + wstep * g[a] / gn;
            if (v < lo[a])
                v = lo[a];
            if (v > hi[a])
                v = hi[a];
            pos[3 * i + (size_t)a] = (float)v;
        }
        moved++;
    }
    d->stats.moved = moved;
    d->stats.node_seconds = omp_get_wtime() - t0;
    const double kr = (bandwidth + NB_DENSITY_KAPPA * h) / h;
    nb_tuner_end(tuner, d->stats.node_seconds, (double)(n_nodes ? n_nodes : 1) * kr * kr);
    return NB_OK;
}

/* ---- sample phase: dispatch ------------------------------------------------------------- */

static nb_status check_samples(const nb_density *d, const nb_grid *grid, const nb_sample_set *set,
                               double bandwidth, double similarity) {
    if (!d)
        return NB_RAISE(NB_E_INVALID, "density", "NULL workspace");
    NB_TRY(check_grid(grid, 3));
    NB_TRY(check_sample_set(d, set));
    if (!(set->step_fraction >= 0.0 && set->step_fraction <= 1.0))
        return NB_RAISE(NB_E_INVALID, "edge_step", "%g, expected in (0, 1] (0: reference 1)",
                        set->step_fraction);
    return check_schedule(bandwidth, similarity);
}

static nb_status reserve_scratch(nb_density *d) {
    size_t count;
    if (mul_overflows((size_t)d->threads, nb_density_scratch_floats_(d->n_classes), &count))
        return NB_RAISE(NB_E_NOMEM, "density workspace", "scratch size overflows");
    void *buf = d->scratch;
    nb_status st = nb_density_reserve_(&buf, &d->scratch_cap, count, sizeof(float));
    d->scratch = buf;
    return st;
}

static nb_status splat_samples(nb_density *d, const nb_grid *grid, const nb_sample_set *set,
                               double bandwidth) {
    NB_TRY(reserve_scratch(d));
    d->sample_valid = 0;
    double t0 = omp_get_wtime();
    NB_TRY(d->ops->splat(d, d->state, grid, set, bandwidth));
    d->sample_grid = *grid;
    d->sample_valid = 1;
    d->stats.splat_seconds = omp_get_wtime() - t0;
    return NB_OK;
}

nb_status nb_density_splat_samples(nb_density *d, const nb_grid *grid, const nb_sample_set *set,
                                   double bandwidth) {
    NB_TRY(check_samples(d, grid, set, bandwidth, 0.0));
    d->nt = nb_tuner_current(tuner_of(d, pair_key(grid, set)));
    return splat_samples(d, grid, set, bandwidth);
}

nb_status nb_density_advect_samples(nb_density *d, const nb_grid *grid, nb_sample_set *set,
                                    double bandwidth, double similarity) {
    NB_TRY(check_samples(d, grid, set, bandwidth, similarity));
    nb_tuner *tuner = tuner_of(d, pair_key(grid, set));
    d->nt = nb_tuner_begin(tuner);
    NB_TRY(splat_samples(d, grid, set, bandwidth));
    double t0 = omp_get_wtime();
    if (set->n_edges > 0) {
        d->ops->move(d, d->state, grid, set, bandwidth, similarity);
    } else {
        d->stats.moved = 0;
    }
    d->stats.advect_seconds = omp_get_wtime() - t0;
    const double segments =
        set->n_edges ? (double)(set->point_offset[set->n_edges] - set->point_offset[0]) : 0.0;
    nb_tuner_end(tuner, d->stats.splat_seconds + d->stats.advect_seconds, segments);
    return NB_OK;
}

nb_status nb_density_query_sample_density(const nb_density *d, const double p[3], double *out) {
    if (!d || !d->sample_valid)
        return NB_RAISE(NB_E_INVALID, "density", "no sample density has been splatted");
    if (!p || !out || !isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]))
        return NB_RAISE(NB_E_INVALID, "p", "NULL or non-finite query point");
    for (size_t c = 0; c < d->n_classes; c++)
        out[c] = 0.0;
    d->ops->query(d, d->state, p, out);
    return NB_OK;
}
