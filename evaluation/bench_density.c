/* bench_density.c - per-iteration timings of the exact and fast density back-ends, and their
 * agreement on a whole bundling run of a random network.
 *
 * DESIGN: builds a random network (method.md §2.7 importance: one strong class per node, one-hot
 * outputs, alpha uniform), lays it out (method.md §3), makes the reference grid of each layer pair
 * (method.md §4.2) and runs the processing schedule of method.md §4.6/§4.12 with a minimal stand-in
 * for the bundler's own stages: arc-length resampling at spacing W/rate, the 3-point-window
 * smoothing of §4.10 (8 passes, r_s = max(1, floor(N*8*r^(k+1)/100))). Only nb_density is the
 * real thing; the resampler/smoother here are simplified (arc length, not the chord walk of
 * §4.7), so the absolute metrics differ a little from nnbundle's bundler, but both back-ends
 * see exactly the same stand-in.
 *   --mode pair    (default) per-iteration splat/move milliseconds on layer pair 0
 *   --mode track   runs exact; at every iteration also runs fast on a copy of the same state
 *                  and prints the mean cosine of their displacements (and the share < 0.5)
 *   --mode bundle  node + edge phase on all pairs; wall times and quality metrics (mean
 *                  distortion, ink ratio in occupied voxels of size h), and with
 *                  --backend both the relative differences and the mean cosine between the
 *                  first-iteration displacement directions of fast and exact.
 * Options: --layers 100,30,20,10 --classes 10 --rate 15 --distance 0.5 --width 1
 *          --threads 0 --seed 1 --iters 0 (0 = full schedule) --backend fast|exact|both
 *          --k 8 (fast cells per bandwidth) --shift 0 (grid origin moved by this many cells,
 *          to measure how much the result depends on the grid's placement) --vscale 0.7
 *          (fast kernel variance scale) --edge-step 0.5 (samples move edge_step * b, the
 *          nnbundle default; 1 = the reference's full-bandwidth step) --quiet
 * Threading: whatever nb_density uses (--threads; its adaptive thread count stays on, the
 * "thr" column shows what each call used; cpu_ms is the main thread's CPU time, i.e. the
 * call's CPU time only with --threads 1); the stand-in stages are serial.
 * Config keys: none (the defaults of configs/processing.json are hard-wired).
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nb_density.h"
#include "nb_log.h"
#include "nb_rng.h"

typedef struct opts {
    size_t layers[16];
    size_t n_layers;
    size_t classes;
    double rate, distance, width, k, shift, vscale, edge_step;
    int threads, iters, quiet;
    uint64_t seed;
    int mode_bundle, mode_track;
    int backend; /* 0 fast, 1 exact, 2 both */
} opts;

typedef struct net {
    size_t n_nodes, n_edges, C;
    size_t *layer_offset; /* [L+1] */
    float *pos;           /* [N][3] */
    float *imp;           /* [N][C] */
    nb_node_stats *stats; /* [N] */
    uint32_t *src, *dst;
    float *alpha;
    size_t *pair_offset; /* [L] edges of pair l: pair_offset[l]..pair_offset[l+1] */
} net;

typedef struct polys {
    uint64_t *off; /* [E+1] */
    float *pts;
    size_t cap;
} polys;

/* CPU seconds of the calling thread (with --threads 1 all density work runs on it). */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *msg) {
    fprintf(stderr, "bench_density: %s\n", msg);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void make_net(const opts *o, net *n) {
    size_t L = o->n_layers, C = o->classes;
    n->C = C;
    n->layer_offset = xmalloc((L + 1) * sizeof *n->layer_offset);
    n->layer_offset[0] = 0;
    for (size_t l = 0; l < L; l++)
        n->layer_offset[l + 1] = n->layer_offset[l] + o->layers[l];
    n->n_nodes = n->layer_offset[L];
    n->pos = xmalloc(n->n_nodes * 3 * sizeof *n->pos);
    n->imp = xmalloc(n->n_nodes * C * sizeof *n->imp);
    n->stats = xmalloc(n->n_nodes * sizeof *n->stats);
    nb_rng rng;
    nb_rng_init(&rng, o->seed);
    for (size_t l = 0; l < L; l++) {
        size_t cnt = o->layers[l];
        size_t s = (size_t)ceil(sqrt((double)cnt));
        double delta = o->width / (double)s;
        double z = -(double)(L - 1) * o->distance / 2.0 + (double)l * o->distance;
        for (size_t i = 0; i < cnt; i++) {
            size_t id = n->layer_offset[l] + i;
            float *p = n->pos + 3 * id;
            if (cnt == 1) {
                p[0] = p[1] = 0.0f;
            } else {
                p[0] = (float)(((double)(i % s) - (double)(s - 1) / 2.0) * delta);
                p[1] = (float)(((double)(i / s) - (double)(s - 1) / 2.0) * delta);
            }
            p[2] = (float)z;
            float *v = n->imp + id * C;
            if (l + 1 == L) {
                for (size_t c = 0; c < C; c++)
                    v[c] = (i % C) == c ? 1.0f : 0.0f;
            } else {
                double u1 = nb_rng_uniform(&rng), u2 = nb_rng_uniform(&rng);
                size_t cls = (size_t)nb_rng_below(&rng, C);
                double mx = u1 > u2 ? u1 : u2, mn = u1 > u2 ? u2 : u1;
                for (size_t c = 0; c < C; c++)
                    v[c] = (float)(c == cls ? mx : mn * mn);
            }
            n->stats[id] = nb_node_stats_of(v, C);
        }
    }
    n->n_edges = 0;
    for (size_t l = 0; l + 1 < L; l++)
        n->n_edges += o->layers[l] * o->layers[l + 1];
    n->src = xmalloc(n->n_edges * sizeof *n->src);
    n->dst = xmalloc(n->n_edges * sizeof *n->dst);
    n->alpha = xmalloc(n->n_edges * sizeof *n->alpha);
    n->pair_offset = xmalloc(L * sizeof *n->pair_offset);
    size_t e = 0;
    for (size_t l = 0; l + 1 < L; l++) {
        n->pair_offset[l] = e;
        for (size_t j = 0; j < o->layers[l + 1]; j++)
            for (size_t i = 0; i < o->layers[l]; i++) {
                n->src[e] = (uint32_t)(n->layer_offset[l] + i);
                n->dst[e] = (uint32_t)(n->layer_offset[l + 1] + j);
                n->alpha[e] = (float)nb_rng_uniform(&rng);
                e++;
            }
    }
    n->pair_offset[L - 1] = e;
}

static double seg_len(const float *a, const float *b) {
    double dx = (double)b[0] - a[0], dy = (double)b[1] - a[1], dz = (double)b[2] - a[2];
    return sqrt(dx * dx + dy * dy + dz * dz);
}

/* Arc-length resampling at spacing ell (stand-in for method.md §4.7): from `in` to `out`. */
static void resample(const net *n, const polys *in, polys *out, double ell) {
    size_t total = 0;
    size_t *cnt = xmalloc(n->n_edges * sizeof *cnt);
    for (size_t e = 0; e < n->n_edges; e++) {
        double len = 0.0;
        for (uint64_t k = in->off[e]; k + 1 < in->off[e + 1]; k++)
            len += seg_len(in->pts + 3 * k, in->pts + 3 * (k + 1));
        size_t segs = (size_t)ceil(len / ell - 1e-9);
        if (segs < 1)
            segs = 1;
        cnt[e] = segs + 1;
        total += segs + 1;
    }
    if (total * 3 > out->cap) {
        free(out->pts);
        out->cap = total * 3 * 2;
        out->pts = xmalloc(out->cap * sizeof *out->pts);
    }
    out->off[0] = 0;
    for (size_t e = 0; e < n->n_edges; e++) {
        out->off[e + 1] = out->off[e] + cnt[e];
        const float *p = in->pts + 3 * in->off[e];
        size_t np = (size_t)(in->off[e + 1] - in->off[e]);
        float *q = out->pts + 3 * out->off[e];
        double len = 0.0;
        for (size_t k = 0; k + 1 < np; k++)
            len += seg_len(p + 3 * k, p + 3 * (k + 1));
        size_t segs = cnt[e] - 1;
        double step = len / (double)segs;
        size_t k = 0;
        double acc = 0.0; /* arc length at p[k] */
        memcpy(q, p, 3 * sizeof *q);
        for (size_t j = 1; j < segs; j++) {
            double target = step * (double)j;
            while (k + 2 < np && acc + seg_len(p + 3 * k, p + 3 * (k + 1)) < target) {
                acc += seg_len(p + 3 * k, p + 3 * (k + 1));
                k++;
            }
            double sl = seg_len(p + 3 * k, p + 3 * (k + 1));
            double t = sl > 0 ? (target - acc) / sl : 0.0;
            if (t > 1)
                t = 1;
            for (int a = 0; a < 3; a++)
                q[3 * j + (size_t)a] =
                    (float)(p[3 * k + (size_t)a] +
                            t * (p[3 * (k + 1) + (size_t)a] - p[3 * k + (size_t)a]));
        }
        memcpy(q + 3 * segs, p + 3 * (np - 1), 3 * sizeof *q);
    }
    free(cnt);
}

/* Spec §4.10 smoothing, one Jacobi pass with window r_s from `in` to `out` (same layout). */
static void smooth_pass(const net *n, const polys *in, polys *out, double factor) {
    for (size_t e = 0; e < n->n_edges; e++) {
        size_t np = (size_t)(in->off[e + 1] - in->off[e]);
        const float *p = in->pts + 3 * in->off[e];
        float *q = out->pts + 3 * in->off[e];
        long rs = (long)floor((double)np * 8.0 * factor / 100.0);
        if (rs < 1)
            rs = 1;
        for (size_t j = 0; j < np; j++) {
            if (j == 0 || j + 1 == np) {
                memcpy(q + 3 * j, p + 3 * j, 3 * sizeof *q);
                continue;
            }
            long a0 = (long)j - rs, a1 = (long)j + rs;
            if (a0 < 0)
                a0 = 0;
            if (a1 > (long)np - 1)
                a1 = (long)np - 1;
            double s[3] = {0, 0, 0};
            for (long i = a0; i <= a1; i++)
                for (int a = 0; a < 3; a++)
                    s[a] += p[3 * (size_t)i + (size_t)a];
            for (int a = 0; a < 3; a++)
                q[3 * j + (size_t)a] = (float)(s[a] / (double)(a1 - a0 + 1));
        }
    }
}

typedef struct metrics {
    double mean_distortion, ink_ratio;
    size_t voxels;
} metrics;

/* Occupied voxels of size v over the polylines (segments sampled at v/4). */
static size_t count_voxels(const net *n, const polys *pl, const double lo[3], const size_t nv[3],
                           double v, unsigned char *bits) {
    memset(bits, 0, nv[0] * nv[1] * nv[2]);
    size_t count = 0;
    for (size_t e = 0; e < n->n_edges; e++)
        for (uint64_t k = pl->off[e]; k + 1 < pl->off[e + 1]; k++) {
            const float *a = pl->pts + 3 * k, *b = a + 3;
            size_t steps = (size_t)ceil(seg_len(a, b) / (0.25 * v)) + 1;
            for (size_t s = 0; s <= steps; s++) {
                double t = (double)s / (double)steps;
                size_t idx[3] = {0, 0, 0};
                int ok = 1;
                for (int ax = 0; ax < 3; ax++) {
                    double x = a[ax] + t * (b[ax] - a[ax]);
                    double f = floor((x - lo[ax]) / v);
                    if (f < 0 || f >= (double)nv[ax])
                        ok = 0;
                    else
                        idx[ax] = (size_t)f;
                }
                if (!ok)
                    continue;
                size_t id = (idx[2] * nv[1] + idx[1]) * nv[0] + idx[0];
                if (!bits[id]) {
                    bits[id] = 1;
                    count++;
                }
            }
        }
    return count;
}

static metrics measure(const net *n, const polys *pl, const opts *o, double h) {
    metrics m;
    double sum = 0.0;
    for (size_t e = 0; e < n->n_edges; e++) {
        double len = 0.0;
        for (uint64_t k = pl->off[e]; k + 1 < pl->off[e + 1]; k++)
            len += seg_len(pl->pts + 3 * k, pl->pts + 3 * (k + 1));
        double straight = seg_len(n->pos + 3 * n->src[e], n->pos + 3 * n->dst[e]);
        sum += straight > 0 ? len / straight : 1.0;
    }
    m.mean_distortion = sum / (double)n->n_edges;
    /* ink: voxels of size h over the whole network box, bundled vs straight */
    double lo[3] = {-o->width / 2 - 1, -o->width / 2 - 1,
                    -(double)(o->n_layers - 1) * o->distance / 2 - 1};
    size_t nv[3] = {(size_t)((o->width + 2) / h) + 1, (size_t)((o->width + 2) / h) + 1,
                    (size_t)(((double)(o->n_layers - 1) * o->distance + 2) / h) + 1};
    unsigned char *bits = xmalloc(nv[0] * nv[1] * nv[2]);
    m.voxels = count_voxels(n, pl, lo, nv, h, bits);
    polys straight;
    straight.off = xmalloc((n->n_edges + 1) * sizeof *straight.off);
    straight.pts = xmalloc(n->n_edges * 6 * sizeof *straight.pts);
    for (size_t e = 0; e <= n->n_edges; e++)
        straight.off[e] = 2 * e;
    for (size_t e = 0; e < n->n_edges; e++) {
        memcpy(straight.pts + 6 * e, n->pos + 3 * n->src[e], 3 * sizeof(float));
        memcpy(straight.pts + 6 * e + 3, n->pos + 3 * n->dst[e], 3 * sizeof(float));
    }
    size_t sv = count_voxels(n, &straight, lo, nv, h, bits);
    m.ink_ratio = (double)m.voxels / (double)sv;
    free(straight.off);
    free(straight.pts);
    free(bits);
    return m;
}

static nb_grid pair_grid(const opts *o, size_t l, double h) {
    nb_grid g;
    double z0 = -(double)(o->n_layers - 1) * o->distance / 2 + (double)l * o->distance;
    g.origin[0] = g.origin[1] = -o->width / 2 - 1;
    g.origin[2] = z0 - 1;
    g.cell = h;
    g.n[0] = g.n[1] = (size_t)floor((o->width + 2) / h) + 1;
    g.n[2] = (size_t)floor((o->distance + 2) / h) + 1;
    if (o->shift != 0.0) /* the same grid shifted by a fraction of a cell (noise studies) */
        for (int a = 0; a < 3; a++) {
            g.origin[a] -= o->shift * h;
            g.n[a] += 1;
        }
    return g;
}

static nb_sample_set pair_set(const net *n, polys *pl, size_t l, uint64_t *local_off,
                              double edge_step) {
    size_t e0 = n->pair_offset[l], e1 = n->pair_offset[l + 1];
    for (size_t e = e0; e <= e1; e++)
        local_off[e - e0] = pl->off[e] - pl->off[e0];
    nb_sample_set s;
    memset(&s, 0, sizeof s);
    s.n_edges = e1 - e0;
    s.point_offset = local_off;
    s.points = pl->pts + 3 * pl->off[e0];
    s.edge_source = n->src + e0;
    s.edge_target = n->dst + e0;
    s.edge_alpha = n->alpha + e0;
    s.node_importance = n->imp;
    s.node_stats = n->stats;
    s.edge_importance_type = 0;
    s.step_fraction = edge_step;
    s.n_nodes = n->n_nodes;
    return s;
}

typedef struct run_result {
    metrics m;
    double node_s, density_s, other_s;
    double *first_move; /* displacement of every point in the first edge iteration */
    size_t first_n;
} run_result;

static void check(nb_status st) {
    if (st != NB_OK) {
        nb_error_print("bench_density", st);
        exit(1);
    }
}

/* Node phase + edge phase (method.md §4.12) with `backend`; records timings and metrics. */
/* A density workspace for backend with the fast settings of the options. */
static nb_density *make_density(const opts *o, nb_density_backend backend, size_t C) {
    nb_density *d;
    check(nb_density_create(backend, C, 10000.0, o->threads, &d));
    check(nb_density_set_fast_resolution(d, o->k));
    check(nb_density_set_fast_kernel_scale(d, o->vscale));
    return d;
}

/* The node phase of the processing schedule (--mode bundle only) on grid g0. */
static void node_phase(const opts *o, net *n, nb_density *d, const nb_grid *g0, double beta) {
    const double b0 = 0.75 * o->width;
    double b = b0;
    for (int k = 0; b >= beta; k++) {
        double sim = sqrt(fmax(0.0, 1.0 - (b - beta) / (b0 - beta)));
        check(nb_density_advect_nodes(d, g0, n->n_nodes, n->pos, n->imp, b, sim, 0.2));
        b = b0 * pow(0.95, k + 1);
    }
}

/* Straight two-point polylines between the nodes of every edge. */
static void straight_polys(const net *n, polys *a) {
    a->off = xmalloc((n->n_edges + 1) * sizeof *a->off);
    a->cap = n->n_edges * 6;
    a->pts = xmalloc(a->cap * sizeof *a->pts);
    for (size_t e = 0; e <= n->n_edges; e++)
        a->off[e] = 2 * e;
    for (size_t e = 0; e < n->n_edges; e++) {
        memcpy(a->pts + 6 * e, n->pos + 3 * n->src[e], 3 * sizeof(float));
        memcpy(a->pts + 6 * e + 3, n->pos + 3 * n->dst[e], 3 * sizeof(float));
    }
}

/* --mode track: fast, and exact on a shifted grid, run on copies of each pair's state before
 * the tracked back-end moves it; their displacements are compared afterwards. */
typedef struct tracker {
    nb_density *fast, *shifted;
    float *copy, *copy2, *before; /* fast's points, shifted exact's, the state before */
    size_t cap, n;                /* floats allocated in each, points of the current pair */
} tracker;

/* Moves copies of s's points with fast on g and with exact on g shifted by a fraction of a
 * cell (same cell size, one more cell per axis: the reference's own discretisation noise). */
static void track_before(tracker *tk, const nb_grid *g, const nb_sample_set *s, double b,
                         double sim) {
    tk->n = (size_t)s->point_offset[s->n_edges];
    if (tk->cap < tk->n * 3) {
        free(tk->copy);
        free(tk->copy2);
        free(tk->before);
        tk->cap = tk->n * 3;
        tk->copy = xmalloc(tk->cap * sizeof *tk->copy);
        tk->copy2 = xmalloc(tk->cap * sizeof *tk->copy2);
        tk->before = xmalloc(tk->cap * sizeof *tk->before);
    }
    memcpy(tk->before, s->points, tk->n * 3 * sizeof *tk->before);
    memcpy(tk->copy, s->points, tk->n * 3 * sizeof *tk->copy);
    memcpy(tk->copy2, s->points, tk->n * 3 * sizeof *tk->copy2);
    nb_sample_set sf = *s;
    sf.points = tk->copy;
    check(nb_density_advect_samples(tk->fast, g, &sf, b, sim));
    nb_grid gs = *g;
    const double shift[3] = {0.37, 0.21, 0.43};
    for (int ax = 0; ax < 3; ax++) {
        gs.origin[ax] -= shift[ax] * g->cell;
        gs.n[ax] += 1;
    }
    nb_sample_set ss = *s;
    ss.points = tk->copy2;
    check(nb_density_advect_samples(tk->shifted, &gs, &ss, b, sim));
}

/* Cosine of the displacements from `before` to a and to b of point i (0 when either is 0). */
static int displacement_cos(const float *before, const float *a, const float *b, size_t i,
                            double *cs) {
    double nu = 0, nv = 0, dot = 0;
    for (size_t ax = 0; ax < 3; ax++) {
        double u = (double)a[3 * i + ax] - before[3 * i + ax];
        double v = (double)b[3 * i + ax] - before[3 * i + ax];
        nu += u * u;
        nv += v * v;
        dot += u * v;
    }
    if (!(nu > 0 && nv > 0))
        return 0;
    *cs = dot / sqrt(nu * nv);
    return 1;
}

/* Prints the mean cosine of the tracked (moved: points) and fast displacements, the share
 * below 0.5, and the mean cosine against exact on the shifted grid. */
static void track_report(const tracker *tk, const float *points, int k, double b, double sim) {
    double cs = 0.0, cs2 = 0.0, c;
    size_t cnt = 0, low = 0, cnt2 = 0;
    for (size_t i = 0; i < tk->n; i++) {
        if (displacement_cos(tk->before, points, tk->copy2, i, &c)) {
            cs2 += c;
            cnt2++;
        }
        if (displacement_cos(tk->before, points, tk->copy, i, &c)) {
            cs += c;
            low += c < 0.5;
            cnt++;
        }
    }
    printf("%4d %8.4f %6.3f %10.4f %10.4f %12.4f\n", k, b, sim, cnt ? cs / (double)cnt : 0.0,
           cnt ? (double)low / (double)cnt : 0.0, cnt2 ? cs2 / (double)cnt2 : 0.0);
    fflush(stdout);
}

/* One line of the per-iteration table (layer pair 0). */
static void print_iteration(nb_density *d, nb_density_backend backend, int k, double b,
                            const nb_sample_set *s, double cpu_s) {
    nb_density_stats st;
    nb_density_query_stats(d, &st);
    size_t nseg = (size_t)s->point_offset[s->n_edges] - s->n_edges;
    printf("%-6s %4d %8.4f %8.4f %10zu %9.2f %9.2f %9zu %9.2f %9.1f %4d\n",
           nb_density_backend_name(backend), k, b, st.cell, st.cells, 1e3 * st.splat_seconds,
           1e3 * st.advect_seconds, st.moved, 1e3 * cpu_s, 1e9 * cpu_s / (double)nseg, st.threads);
    fflush(stdout);
}

/* BENCH_DEBUG: how many points of a lie beyond 0.6 and 0.9 in x or y. */
static void debug_spread(const net *n, const polys *a, int k) {
    size_t out1 = 0, out2 = 0, tot = (size_t)a->off[n->n_edges];
    for (size_t i = 0; i < tot; i++) {
        double m = fmax(fabs(a->pts[3 * i]), fabs(a->pts[3 * i + 1]));
        out1 += m > 0.6;
        out2 += m > 0.9;
    }
    fprintf(stderr, "iter %d: %zu points, %zu beyond 0.6, %zu beyond 0.9\n", k, tot, out1, out2);
}

/* The 8 smoothing passes after edge iteration k (*a holds the result; *bpl is scratch). */
static void smooth_all(const net *n, polys *a, polys *bpl, int k) {
    double factor = pow(0.9, k + 1);
    if (bpl->cap < a->cap) {
        free(bpl->pts);
        bpl->cap = a->cap;
        bpl->pts = xmalloc(bpl->cap * sizeof *bpl->pts);
    }
    for (int pass = 0; pass < 8; pass++) {
        memcpy(bpl->off, a->off, (n->n_edges + 1) * sizeof *a->off);
        smooth_pass(n, a, bpl, factor);
        polys t = *a;
        *a = *bpl;
        *bpl = t;
    }
}

/* The edge iterations of one layer pair l at bandwidth b (iteration k): tracking, the timed
 * move of the back-end under test, the per-iteration line. Returns the density seconds. */
static double edge_pair(const opts *o, net *n, polys *a, uint64_t *local, size_t l, double h,
                        nb_density *d, nb_density_backend backend, tracker *tk, int per_iter, int k,
                        double b, double sim) {
    nb_grid g = pair_grid(o, l, h);
    nb_sample_set s = pair_set(n, a, l, local, o->edge_step);
    if (tk->fast)
        track_before(tk, &g, &s, b, sim);
    double td = nb_time_now(), tc = cpu_now();
    check(nb_density_advect_samples(d, &g, &s, b, sim));
    const double seconds = nb_time_now() - td;
    tc = cpu_now() - tc;
    if (tk->fast) /* fast moved tk->copy, the back-end s.points: compare from tk->before */
        track_report(tk, s.points, k, b, sim);
    if (per_iter && l == 0 && !tk->fast)
        print_iteration(d, backend, k, b, &s, tc);
    return seconds;
}

static run_result run_bundle(const opts *o, const net *n0, nb_density_backend backend,
                             int per_iter) {
    run_result r;
    memset(&r, 0, sizeof r);
    net n = *n0;
    n.pos = xmalloc(n0->n_nodes * 3 * sizeof *n.pos);
    memcpy(n.pos, n0->pos, n0->n_nodes * 3 * sizeof *n.pos);
    const double W = o->width, ell = W / o->rate, h = ell / 3.0, beta = 2.0 * h;
    nb_density *d = make_density(o, backend, n.C);
    nb_grid g0 = pair_grid(o, 0, h);
    tracker tk = {0};
    if (o->mode_track) {
        tk.fast = make_density(o, NB_DENSITY_FAST, n.C);
        check(nb_density_create(NB_DENSITY_EXACT, n.C, 10000.0, o->threads, &tk.shifted));
        printf("%4s %8s %6s %10s %10s %12s\n", "iter", "bandw", "sim", "cos_fast", "fast<0.5",
               "cos_shifted");
    }
    double t0 = nb_time_now();
    if (o->mode_bundle)
        node_phase(o, &n, d, &g0, beta);
    r.node_s = nb_time_now() - t0;
    polys a, bpl = {0};
    straight_polys(&n, &a);
    bpl.off = xmalloc((n.n_edges + 1) * sizeof *bpl.off);
    uint64_t *local = xmalloc((n.n_edges + 1) * sizeof *local);
    const double b0 = 0.5 * W;
    double b = b0, dens_s = 0.0, other_s = 0.0;
    size_t pairs = o->mode_bundle ? o->n_layers - 1 : 1;
    if (per_iter && !o->mode_track)
        printf("%-6s %4s %8s %8s %10s %9s %9s %9s %9s %9s %4s\n", "back", "iter", "bandw", "cell",
               "cells", "splat_ms", "move_ms", "moved", "cpu_ms", "ns/seg", "thr");
    for (int k = 0; b >= beta && (o->iters == 0 || k < o->iters); k++) {
        double sim = sqrt(fmax(0.0, 1.0 - (b - beta) / (b0 - beta)));
        double ts = nb_time_now();
        resample(&n, &a, &bpl, ell);
        other_s += nb_time_now() - ts;
        polys t = a;
        a = bpl;
        bpl = t;
        if (k == 0) {
            r.first_n = (size_t)a.off[n.n_edges];
            r.first_move = xmalloc(r.first_n * 3 * sizeof *r.first_move);
            for (size_t i = 0; i < r.first_n * 3; i++)
                r.first_move[i] = a.pts[i];
        }
        for (size_t l = 0; l < pairs; l++)
            dens_s += edge_pair(o, &n, &a, local, l, h, d, backend, &tk, per_iter, k, b, sim);
        if (getenv("BENCH_DEBUG"))
            debug_spread(&n, &a, k);
        if (k == 0)
            for (size_t i = 0; i < r.first_n * 3; i++)
                r.first_move[i] = a.pts[i] - r.first_move[i];
        b = b0 * pow(0.9, k + 1);
        ts = nb_time_now();
        smooth_all(&n, &a, &bpl, k);
        other_s += nb_time_now() - ts;
    }
    resample(&n, &a, &bpl, ell);
    r.density_s = dens_s;
    r.other_s = other_s;
    r.m = measure(&n, &bpl, o, h);
    free(a.off);
    free(a.pts);
    free(bpl.off);
    free(bpl.pts);
    free(local);
    free(n.pos);
    free(tk.copy);
    free(tk.copy2);
    free(tk.before);
    nb_density_destroy(tk.shifted);
    nb_density_destroy(tk.fast);
    nb_density_destroy(d);
    return r;
}

static void parse(int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    size_t def[4] = {100, 30, 20, 10};
    memcpy(o->layers, def, sizeof def);
    o->n_layers = 4;
    o->classes = 10;
    o->rate = 15;
    o->distance = 0.5;
    o->width = 1;
    o->k = 8;
    o->vscale = 0.7;
    o->edge_step = 0.5;
    o->seed = 1;
    o->backend = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (!v)
            die("missing option value");
        i++;
        if (!strcmp(a, "--layers")) {
            o->n_layers = 0;
            for (char *s = (char *)v; *s && o->n_layers < 16;) {
                char *end;
                unsigned long x = strtoul(s, &end, 10);
                if (end == s || x == 0)
                    die("bad --layers");
                o->layers[o->n_layers++] = x;
                s = *end == ',' ? end + 1 : end;
            }
            if (o->n_layers < 2)
                die("--layers needs at least two layers");
        } else if (!strcmp(a, "--classes"))
            o->classes = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--rate"))
            o->rate = atof(v);
        else if (!strcmp(a, "--distance"))
            o->distance = atof(v);
        else if (!strcmp(a, "--width"))
            o->width = atof(v);
        else if (!strcmp(a, "--threads"))
            o->threads = atoi(v);
        else if (!strcmp(a, "--seed"))
            o->seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--iters"))
            o->iters = atoi(v);
        else if (!strcmp(a, "--k"))
            o->k = atof(v);
        else if (!strcmp(a, "--shift"))
            o->shift = atof(v);
        else if (!strcmp(a, "--vscale"))
            o->vscale = atof(v);
        else if (!strcmp(a, "--edge-step"))
            o->edge_step = atof(v);
        else if (!strcmp(a, "--mode")) {
            o->mode_bundle = !strcmp(v, "bundle");
            o->mode_track = !strcmp(v, "track");
        } else if (!strcmp(a, "--backend"))
            o->backend = !strcmp(v, "fast") ? 0 : !strcmp(v, "exact") ? 1 : 2;
        else
            die("unknown option");
    }
    if (o->classes == 0 || !(o->rate > 0) || !(o->distance > 0) || !(o->width > 0))
        die("bad option value");
}

int main(int argc, char **argv) {
    opts o;
    parse(argc, argv, &o);
    net n;
    make_net(&o, &n);
    printf("# bench_density: layers");
    for (size_t l = 0; l < o.n_layers; l++)
        printf("%s%zu", l ? "-" : " ", o.layers[l]);
    printf(", %zu classes, %zu edges, rate %g, distance %g, threads %d, k %g, vscale %g, "
           "edge step %g, shift %g, seed %llu, mode %s\n",
           o.classes, n.n_edges, o.rate, o.distance,
           o.threads > 0 ? o.threads : omp_get_max_threads(), o.k, o.vscale, o.edge_step, o.shift,
           (unsigned long long)o.seed,
           o.mode_bundle  ? "bundle"
           : o.mode_track ? "track"
                          : "pair");
    run_result res[2];
    int have[2] = {0, 0};
    if (o.mode_track)
        o.backend = 1;
    for (int be = 0; be < 2; be++) {
        if (o.backend != 2 && o.backend != be)
            continue;
        nb_density_backend backend = be == 0 ? NB_DENSITY_FAST : NB_DENSITY_EXACT;
        res[be] = run_bundle(&o, &n, backend, !o.mode_bundle || !o.quiet);
        have[be] = 1;
        printf("%s: node phase %.3f s, edge density %.3f s, stand-in resample/smooth %.3f s, "
               "mean distortion %.4f, ink ratio %.4f (%zu voxels), peak RSS %.1f MiB\n",
               nb_density_backend_name(backend), res[be].node_s, res[be].density_s, res[be].other_s,
               res[be].m.mean_distortion, res[be].m.ink_ratio, res[be].m.voxels,
               (double)nb_peak_rss_bytes() / 1048576.0);
        fflush(stdout);
    }
    if (have[0] && have[1]) {
        double cs = 0.0;
        size_t cnt = 0;
        for (size_t i = 0; i < res[0].first_n && i < res[1].first_n; i++) {
            const double *u = res[0].first_move + 3 * i, *v = res[1].first_move + 3 * i;
            double nu = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
            double nv = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            if (nu > 0 && nv > 0) {
                cs += (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (nu * nv);
                cnt++;
            }
        }
        printf("agreement: first-iteration mean cosine %.4f over %zu points; mean distortion "
               "fast/exact - 1 = %+.2f %%; ink ratio fast/exact - 1 = %+.2f %%\n",
               cnt ? cs / (double)cnt : 0.0, cnt,
               100.0 * (res[0].m.mean_distortion / res[1].m.mean_distortion - 1.0),
               100.0 * (res[0].m.ink_ratio / res[1].m.ink_ratio - 1.0));
    }
    for (int be = 0; be < 2; be++)
        if (have[be])
            free(res[be].first_move);
    free(n.layer_offset);
    free(n.pos);
    free(n.imp);
    free(n.stats);
    free(n.src);
    free(n.dst);
    free(n.alpha);
    free(n.pair_offset);
    return 0;
}
