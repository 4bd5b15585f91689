/* nb_density_fast.c - segment density by binned splatting + separable convolution, and
 * sample advection along its interpolated gradient; cost independent of the bandwidth.
 *
 * DESIGN: the grid cell follows the bandwidth: H = max(1.25 h, 4.5 s_perp / k), k = cells
 * per bandwidth (default 8), s_perp below; nodes at gbase + J*H (gbase = the first reference
 * cell centre), over the box of the points (+ kernel radius + 2 nodes). Each segment
 * (P_k, P_{k+1}) becomes n sub-points spread along it (spaced at most 1.5 H), carrying
 * q (nb_edge_importance_eval's class vector at t = k/N) times a weight; they are splatted
 * cloud-in-cell (trilinear) into a float grid, which is then convolved along x, y, z with a
 * 1-D Epanechnikov kernel. The approximation is moment-matched to the reference kernel
 * (method.md §4.3, nb_density_exact.c): for a segment of the reference length 3h the exact
 * footprint's perpendicular variance s_perp^2 and parallel variance s_par^2 are integrated
 * numerically (once per bandwidth); the 1-D kernel gets variance v s_perp^2 - H^2/3 (v = the
 * variance scale, default 0.7; the splat and the interpolation each add H^2/6), the
 * sub-points span sqrt(12 (s_par^2 - s_perp^2)) / 3h of the segment, and a segment's weight
 * follows the footprint mass of the Epanechnikov profile in ellipse distance,
 * 1 + 3.75 x + 3.33 x^2 with x = |AB| / b.
 * Advection: phi = q . D - sim*|D| is evaluated at the 8 nodes around the point (|D| is
 * precomputed per node) and the point moves step_fraction * b along the gradient of its
 * trilinear interpolant; zero or non-finite gradient: no move; points outside the grid are
 * clamped in first. The density is complete before any point moves (Jacobi).
 * Layout and arithmetic: every node holds Cs = C rounded up to 4 float channels (the padding
 * stays 0), so the two x corners of a cloud-in-cell row are 2 Cs contiguous floats (one
 * vector add per row); the loops are specialised for Cs <= 16 and cloned for AVX2. q is built
 * from padded copies of the node importance rows with nb_edge_importance_weights (the same
 * float operations as nb_edge_importance_eval, no call per segment). The splat computes the
 * geometry of up to 32 records, then their cloud-in-cell adds (each two-corner row made in
 * registers as 8-float vectors from a doubled copy of q); the move computes phi at the
 * corners of up to 32 points, then their gradients and clamped updates in SIMD. Convolution
 * taps are applied in mirror pairs (w_j (in[i-j] + in[i+j])), and only to rows of nodes
 * (fixed z, y) within the kernel radius of a row that the splat touched: the rest of the box
 * stays 0 with norm 0 (rows of a layer pair's box far from its edges, most of the box for
 * small pairs). Cost per call: O(segments * 1.4 sub-points * 8 * Cs + occupied cells * Cs *
 * taps), taps <= 2 * 64 + 1 (7 or fewer with the defaults), cells ~ (box / H)^3.
 * Determinism (float sums, single writer per node): every segment is one record (edge,
 * point), counting-sorted into (z slab, y band) buckets in two passes over fixed blocks of
 * edges (pass 1 keeps every point's node keys for pass 2); the splat runs in 6 phases of
 * buckets that write disjoint nodes (own_params), so every node receives its float
 * contributions in one fixed order whatever the thread count; the convolution and the move
 * compute each output with one fixed sequence of float operations. Results are
 * bit-identical for any thread count (tested with 1, 2 and 3).
 * Threading: both record passes over blocks of edges; splat phases, convolution passes and
 * the move (bucket by bucket) with dynamic schedules; no atomics, no per-thread grids.
 * Config keys: none (density_strength does not matter here: only directions are used).
 */
#include "nb_density_backend.h"

#include <omp.h>
#include <string.h>

/* Most taps per side of the 1-D kernel (the kernel radius is about k/2 coarse cells, k = cells
 * per bandwidth <= 64). */
#define NB_DENSITY_MAX_TAPS 64

/* A task or bucket and its record count, for ordering the largest first. */
typedef struct task_size {
    size_t n;
    uint32_t id;
} task_size;

/* The private state: the kernel of the last bandwidth, the segment records and their buckets,
 * the smoothed density and its norms. Every buffer only grows. */
typedef struct fast_state {
    size_t n_classes;
    nb_density_box box; /* the coarse nodes of the last splat (box.lo: first node J per axis) */
    /* segment records (edge, point) bucketed by (z slab, y band), per-thread bucket counts
     * followed by the bucket starts, per-point node keys z << 16 | y of the last splat */
    uint32_t *rec;
    size_t rec_cap; /* uint32 elements (2 per segment) */
    size_t *hist;
    size_t hist_cap;
    uint32_t *keys;
    size_t keys_cap;
    size_t rec_buckets;      /* buckets of the last splat; their starts follow: */
    const size_t *rec_start; /* [rec_buckets + 1] offsets into rec (inside hist) */
    /* largest first: the tasks of each splat phase (phase ph's from task_order[phase_at[ph]]),
     * then every bucket for the move (from task_order[phase_at[6]]) */
    uint32_t *task_order;
    size_t task_order_cap;
    task_size *task_scratch;
    size_t task_scratch_cap;
    size_t phase_at[7];
    double *tvals; /* per-thread first-pass values */
    size_t tvals_cap;
    /* the smoothed density float[cells][Cs] (+ a second grid for the passes), its norm
     * float[cells], per-thread layer scratch float[threads][nx*ny*Cs], per-plane sums of the
     * saturation scale double[2 * box.n[2]] */
    float *dens;
    size_t dens_cap;
    float *tmp;
    size_t tmp_cap;
    float *norm;
    size_t norm_cap;
    float *layer;
    size_t layer_cap;
    /* row occupancy of the last splat: per (z, y) row of nodes, whether the splat (occ[0]
     * half) and the x-y convolution (occ[1] half, rows of tmp) left anything in it;
     * uint8[2][nz][ny] */
    uint8_t *occ;
    size_t occ_cap;
    double *sat_part;
    size_t sat_part_cap;
    /* node rows for q: float[nodes][Cs] class importance (0 beyond C), then float[nodes]
     * 1/norm (0 for a zero norm), nodes = largest node id of the set + 1 */
    float *qrows;
    size_t qrows_cap;
    size_t qrows_nodes;
    double taps[NB_DENSITY_MAX_TAPS + 1]; /* taps[0..radius], symmetric, sum over +-radius = 1 */
    size_t radius;                        /* taps per side */
    double spread; /* sub-points of a segment span spread * |AB| (second-moment match) */
    double cache_b, cache_h, cache_k, cache_v, cache_H; /* inputs of the taps; H */
} fast_state;

/* floor for |x| < 2^62 (inline: floor() is a libm call on baseline x86-64). */
static inline long ifloor(double x) {
    long i = (long)x;
    return i - (x < (double)i);
}

/* Second moments of the reference footprint of a segment of length len (along z) at
 * bandwidth b: per-axis perpendicular (*perp) and parallel (*par) variance. */
static void footprint_moments(double len, double h, double b, double *perp, double *par) {
    const double kappa = NB_DENSITY_KAPPA * h;
    const double A[3] = {0.0, 0.0, -0.5 * len}, B[3] = {0.0, 0.0, 0.5 * len};
    const double M[3] = {0.0, 0.0, 0.0}, dir[3] = {0.0, 0.0, 1.0};
    const double rmax = 0.5 * (len + b) + 2.0 * kappa;
    enum { N = 192 };
    const double dr = rmax / N;
    double m0 = 0.0, mp = 0.0, mz = 0.0;
    for (int i = 0; i < N; i++) {
        const double rho = ((double)i + 0.5) * dr;
        for (int j = 0; j < N; j++) {
            const double z = ((double)j + 0.5) * dr;
            const double g[3] = {rho, 0.0, z};
            const double v = nb_density_seg_value_(A, B, len, M, dir, g, kappa, b) * rho;
            m0 += v;
            mp += v * 0.5 * rho * rho;
            mz += v * z * z;
        }
    }
    *perp = m0 > 0.0 ? mp / m0 : 0.0;
    *par = m0 > 0.0 ? mz / m0 : 0.0;
}

/* Variance (cells^2) of the discrete Epanechnikov kernel of radius r (cells); fills taps. */
static double taps_variance(double r, double *taps, size_t *radius) {
    size_t n = 0;
    while (n < NB_DENSITY_MAX_TAPS && (double)(n + 1) < r)
        n++;
    double sum = 0.0, var = 0.0;
    for (size_t j = 0; j <= n; j++) {
        double u = (double)j / r;
        double w = 1.0 - u * u;
        taps[j] = w;
        sum += j ? 2.0 * w : w;
        var += j ? 2.0 * w * (double)(j * j) : 0.0;
    }
    for (size_t j = 0; j <= n; j++)
        taps[j] /= sum;
    *radius = n;
    return var / sum;
}

/* Floor of the coarse cell in units of h (see make_kernel). */
#ifndef NB_DENSITY_FAST_HMIN
#define NB_DENSITY_FAST_HMIN 1.25
#endif

/* Chooses the coarse cell, the taps and the sub-point spread for bandwidth b. The coarse cell
 * is H = max(1.25 h, 4.5 * s_perp / k): about b / k while b >> h (s_perp ~ 0.22 b). */
static void make_kernel(fast_state *fs, const nb_density *d, double h, double b) {
    if (fs->cache_b == b && fs->cache_h == h && fs->cache_k == d->fast_cells_per_bandwidth &&
        fs->cache_v == d->fast_variance_scale)
        return;
    double perp, par;
    footprint_moments(3.0 * h, h, b, &perp, &par);
    double H = 4.5 * sqrt(perp) / d->fast_cells_per_bandwidth;
    /* floor 1.25 h: at the end of the schedule (b ~ 2h) this halves the grid against H = h
     * with the same bundle metrics; 1.5 h degrades the last steps (docs/density.md) */
    const double hmin = NB_DENSITY_FAST_HMIN * h;
    if (!(H > hmin))
        H = hmin;
    double target = (d->fast_variance_scale * perp - H * H / 3.0) / (H * H); /* cells^2 */
    double lo = 1.0, hi = 2.0 * (double)NB_DENSITY_MAX_TAPS;
    if (target <= 0.0) {
        hi = 1.0;
    } else if (taps_variance(hi, fs->taps, &fs->radius) < target) {
        lo = hi;
    } else {
        for (int it = 0; it < 60; it++) {
            double mid = 0.5 * (lo + hi);
            if (taps_variance(mid, fs->taps, &fs->radius) < target)
                lo = mid;
            else
                hi = mid;
        }
    }
    taps_variance(hi, fs->taps, &fs->radius);
    double spread2 = 12.0 * (par - perp);
    fs->spread = spread2 > 0.0 ? sqrt(spread2) / (3.0 * h) : 0.0;
    if (fs->spread > 1.0)
        fs->spread = 1.0;
    fs->cache_b = b;
    fs->cache_h = h;
    fs->cache_k = d->fast_cells_per_bandwidth;
    fs->cache_v = d->fast_variance_scale;
    fs->cache_H = H;
}

/* Relative footprint mass of a segment of length len at bandwidth b (inv_b = 1/b). */
static inline double segment_weight(double len, double inv_b) {
    double x = len * inv_b;
    return 1.0 + 3.75 * x + (10.0 / 3.0) * x * x;
}

/* Sub-points of a segment: spaced at most 1.5 H along its spread, so that the sum along a
 * polyline stays smooth. Measured on a straight polyline of 3h segments (peak-to-peak over
 * the mean of the density along it): 2 % at b = 0.5, 9-14 % at b = 0.2 ... 0.045 (H =
 * 1.25 h, 3-7 taps; the spread of a segment is below 1, so its sub-points leave gaps); with
 * 2 H spacing (one sub-point per segment at the end) up to 97 %. */
static inline size_t sub_points(double len, double spread_over_H) {
    const double x = len * spread_over_H * (1.0 / 1.5) + 0.5;
    if (!(x < 1024.0))
        return 1024;
    const long n = ifloor(x);
    return n < 1 ? 1 : (size_t)n;
}

/* out[i] = taps[0] in[i] + sum_{j=1..r} taps[j] (in[i-j] + in[i+j]) over i in [0, n), zero
 * outside; each element is `inner` contiguous floats (taps[0..r]: the centre tap first).
 * One fixed order of operations per output element, and the pairs (in[i-j] + in[i+j]) make
 * the result exactly symmetric under i -> n-1-i. */
NB_DENSITY_INLINE void conv_line(const float *in, float *out, size_t n, size_t inner,
                                 const float *taps, long r) {
    const long nl = (long)n;
    const float w0 = taps[0];
    for (size_t t = 0; t < n * inner; t++)
        out[t] = w0 * in[t];
    for (long j = 1; j <= r; j++) {
        const float w = taps[j];
        /* both neighbours inside: i in [j, n - j) */
        for (long i = j; i < nl - j; i++) {
            float *dst = out + (size_t)i * inner;
            const float *lo = in + (size_t)(i - j) * inner, *hi = in + (size_t)(i + j) * inner;
            for (size_t t = 0; t < inner; t++)
                dst[t] += w * (lo[t] + hi[t]);
        }
        /* one neighbour inside (the other is 0: the same sum): only i + j for i < j, only
         * i - j for i >= n - j */
        const long a1 = j < nl - j ? j : nl - j, b0 = j > nl - j ? j : nl - j;
        for (long i = 0; i < a1; i++) {
            float *dst = out + (size_t)i * inner;
            const float *src = in + (size_t)(i + j) * inner;
            for (size_t t = 0; t < inner; t++)
                dst[t] += w * src[t];
        }
        for (long i = b0; i < nl; i++) {
            float *dst = out + (size_t)i * inner;
            const float *src = in + (size_t)(i - j) * inner;
            for (size_t t = 0; t < inner; t++)
                dst[t] += w * src[t];
        }
    }
}

static inline double dmin(double a, double b) {
    return a < b ? a : b;
}
static inline double dmax(double a, double b) {
    return a > b ? a : b;
}
static inline double dclamp(double x, double lo, double hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

/* p inside the box [lo, hi] on every axis. */
static inline int in_box(const double lo[3], const double hi[3], const double p[3]) {
    return p[0] >= lo[0] && p[0] <= hi[0] && p[1] >= lo[1] && p[1] <= hi[1] && p[2] >= lo[2] &&
           p[2] <= hi[2];
}

/* Ownership of the fast splat. Coarse node J of an axis sits at gbase + J*H (gbase = the
 * first fine cell centre). Every z layer of nodes belongs to a slab of LZ layers and every
 * row of nodes to a band of BY rows; a segment is bucketed once, by the (slab, band) of the
 * lowest corner of its cloud-in-cell footprint, if that footprint fits in slabs s..s+2 and
 * bands b..b+1, otherwise in one extra "long" bucket. Splatting runs in 6 phases (s mod 3,
 * b mod 2): the tasks of a phase write disjoint nodes, so nothing is shared, and every node
 * receives its contributions in one fixed order (phase, then record order), whatever the
 * number of threads: the float sums are bit-identical. The long bucket runs last, on one
 * thread. Buckets depend only on the grid and H. */
enum { LZ = 2, BY = 8 };

typedef struct own_params {
    double gbase[3], invH;
    double glo[3], ghi[3]; /* grid box */
    long jmin[3];          /* J of the first node that can hold a point of the grid */
    long nkey[3];          /* node keys per axis: J - jmin in [0, nkey) */
    long nslabs, nbands, nbuckets;
} own_params;

/* Node key (J - jmin, clamped) of coordinate x on axis a. */
static inline long node_key(const own_params *op, int a, double x) {
    long k = ifloor((x - op->gbase[a]) * op->invH) - op->jmin[a];
    return k < 0 ? 0 : (k > op->nkey[a] - 1 ? op->nkey[a] - 1 : k);
}

/* Bucket of the segment between points with node keys (za, ya) and (zb, yb) (node_key is
 * monotone: the keys of the segment's lowest and highest coordinates). */
static inline long bucket_of_keys(const own_params *op, long za, long ya, long zb, long yb) {
    const long zl = za < zb ? za : zb, zh = (za < zb ? zb : za) + 1;
    const long yl = ya < yb ? ya : yb, yh = (ya < yb ? yb : ya) + 1;
    const long s = zl / LZ, b = yl / BY;
    if (zh / LZ - s > 2 || yh / BY - b > 1)
        return op->nbuckets - 1;
    return s * op->nbands + b;
}

static int task_size_cmp(const void *pa, const void *pb) {
    const task_size *a = pa, *b = pb;
    if (a->n != b->n)
        return a->n < b->n ? 1 : -1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Bucket of task `task` of splat phase ph (6: the long bucket) of the ownership op. */
static inline long phase_task_bucket(const own_params *op, long ph, long task) {
    if (ph >= 6)
        return op->nbuckets - 1;
    const long pz = ph % 3, py = ph / 3 % 2, ty = (op->nbands - py + 1) / 2;
    return (pz + 3 * (task / ty)) * op->nbands + py + 2 * (task % ty);
}

/* Tasks of splat phase ph. */
static inline long phase_tasks(const own_params *op, long ph) {
    if (ph >= 6)
        return 1;
    const long pz = ph % 3, py = ph / 3 % 2;
    return (op->nslabs - pz + 2) / 3 * ((op->nbands - py + 1) / 2);
}

/* The order in which the threads take the tasks of every splat phase and the buckets of the
 * move: largest first (by records), so that no thread starts a big task while the others
 * run out of work. Only who does what changes, never the result (a task's writes are its
 * own). scratch: nbuckets task_size. */
static void order_tasks(fast_state *fs, const own_params *op, const size_t *starts,
                        task_size *scratch) {
    size_t at = 0;
    for (long ph = 0; ph < 6; ph++) {
        const long nt = phase_tasks(op, ph);
        for (long t = 0; t < nt; t++) {
            const long bk = phase_task_bucket(op, ph, t);
            scratch[t] = (task_size){starts[bk + 1] - starts[bk], (uint32_t)t};
        }
        qsort(scratch, (size_t)nt, sizeof *scratch, task_size_cmp);
        fs->phase_at[ph] = at;
        for (long t = 0; t < nt; t++)
            fs->task_order[at++] = scratch[t].id;
    }
    fs->phase_at[6] = at;
    for (long bk = 0; bk < op->nbuckets; bk++)
        scratch[bk] = (task_size){starts[bk + 1] - starts[bk], (uint32_t)bk};
    qsort(scratch, (size_t)op->nbuckets, sizeof *scratch, task_size_cmp);
    for (long bk = 0; bk < op->nbuckets; bk++)
        fs->task_order[at++] = scratch[bk].id;
}

/* Per-thread values of the first pass (bbox, bad flag). */
enum { TV_LO = 0, TV_HI = 3, TV_BAD = 6, TV_NODES = 7, TV_N = 8 };

/* Outcomes of fast_prepare, raised by the calling thread after the parallel region (the
 * error record is per thread). */
enum { PREP_OK = 0, PREP_NONFINITE, PREP_TOO_LARGE, PREP_NOMEM };

/* Serial middle of the fast splat (inside `omp single`): merges the per-thread first pass,
 * sizes the box (box->lo holds its first node J per axis), grows the buffers and turns the
 * bucket counts into offsets. Never raises. */
static int fast_prepare(const nb_density *d, fast_state *fs, const nb_sample_set *set, size_t nth,
                        const own_params *op, long pad, nb_density_box *box) {
    const long nbuckets = op->nbuckets;
    const double *gbase = op->gbase;
    const size_t Cs = nb_density_stride_(d->n_classes);
    double *tv = fs->tvals;
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    int bad = 0;
    size_t nodes = 0;
    for (size_t t = 0; t < nth; t++) {
        const size_t nt = (size_t)tv[t * TV_N + TV_NODES];
        nodes = nt > nodes ? nt : nodes;
        for (int a = 0; a < 3; a++) {
            lo[a] = dmin(lo[a], tv[t * TV_N + TV_LO + (size_t)a]);
            hi[a] = dmax(hi[a], tv[t * TV_N + TV_HI + (size_t)a]);
        }
        bad |= tv[t * TV_N + TV_BAD] != 0.0;
    }
    if (bad)
        return PREP_NONFINITE;
    if (!(hi[0] >= lo[0]))
        return PREP_OK; /* no points: empty box */
    const double H = box->step;
    nb_density_box bx = *box;
    for (int a = 0; a < 3; a++) {
        const long j0 = ifloor((lo[a] - gbase[a]) / H) - pad;
        const long j1 = ifloor((hi[a] - gbase[a]) / H) + 1 + pad;
        bx.lo[a] = j0;
        bx.n[a] = (size_t)(j1 - j0 + 1);
        bx.base[a] = gbase[a] + (double)j0 * H;
        bx.anchor[a] = gbase[a];
    }
    const size_t nx = bx.n[0], ny = bx.n[1], nz = bx.n[2];
    const size_t cells = nx * ny * nz;
    if (cells / nx / ny != nz || cells > SIZE_MAX / 8 / Cs / (nth + 2)) {
        *box = bx;
        return PREP_TOO_LARGE;
    }
    /* bucket offsets: bucket-major, thread-minor (ascending segment order in every bucket,
     * whatever nth is); the bucket starts follow the nth rows of counts */
    size_t *hist = fs->hist, total = 0, *starts = hist + nth * (size_t)nbuckets;
    for (long k = 0; k < nbuckets; k++) {
        starts[k] = total;
        for (size_t t = 0; t < nth; t++) {
            size_t c = hist[t * (size_t)nbuckets + (size_t)k];
            hist[t * (size_t)nbuckets + (size_t)k] = total;
            total += c;
        }
    }
    starts[nbuckets] = total;
    void *buf = fs->rec;
    int ok = nb_density_grow_(&buf, &fs->rec_cap, 2 * (total ? total : 1), sizeof(uint32_t));
    fs->rec = buf;
    buf = fs->dens;
    ok = ok && nb_density_grow_(&buf, &fs->dens_cap, cells * Cs, sizeof(float));
    fs->dens = buf;
    buf = fs->tmp;
    ok = ok && nb_density_grow_(&buf, &fs->tmp_cap, cells * Cs, sizeof(float));
    fs->tmp = buf;
    buf = fs->norm;
    ok = ok && nb_density_grow_(&buf, &fs->norm_cap, cells, sizeof(float));
    fs->norm = buf;
    buf = fs->layer;
    ok = ok && nb_density_grow_(&buf, &fs->layer_cap, nth * nx * ny * Cs, sizeof(float));
    fs->layer = buf;
    buf = fs->occ;
    ok = ok && nb_density_grow_(&buf, &fs->occ_cap, 2 * ny * nz, sizeof(uint8_t));
    fs->occ = buf;
    buf = fs->task_order;
    ok = ok && nb_density_grow_(&buf, &fs->task_order_cap, 2 * (size_t)nbuckets, sizeof(uint32_t));
    fs->task_order = buf;
    buf = fs->task_scratch;
    ok = ok && nb_density_grow_(&buf, &fs->task_scratch_cap, (size_t)nbuckets, sizeof(task_size));
    fs->task_scratch = buf;
    if (ok)
        order_tasks(fs, op, starts, fs->task_scratch);
    buf = fs->qrows;
    ok = ok && nb_density_grow_(&buf, &fs->qrows_cap, nodes * (Cs + 1), sizeof(float));
    fs->qrows = buf;
    if (ok) {
        const size_t C = d->n_classes;
        float *inv = fs->qrows + nodes * Cs;
        fs->qrows_nodes = nodes;
        for (size_t i = 0; i < nodes; i++) {
            for (size_t c = 0; c < Cs; c++)
                fs->qrows[i * Cs + c] = c < C ? set->node_importance[i * C + c] : 0.0f;
            inv[i] = nb_edge_importance_inv(set->node_stats[i].norm);
        }
    }
    *box = bx;
    return ok ? PREP_OK : PREP_NOMEM;
}

typedef float v4f __attribute__((vector_size(16)));
typedef float v8f __attribute__((vector_size(32)));

/* row[t] += a * v[t] for t in [0, n). */
NB_DENSITY_INLINE void axpy(float *restrict row, const float *restrict v, float a, size_t n) {
    for (size_t t = 0; t < n; t++)
        row[t] += a * v[t];
}

/* Adds one sub-point at box node (i[0..2]) + fractions f[0..2] to the 8 surrounding nodes
 * (cloud in cell). wq: its weighted class vector (Cs channels); V: scratch of 2 Cs floats.
 * The two x corners of a row are adjacent (2 Cs floats): each of the 4 rows is one axpy. */
NB_DENSITY_INLINE void splat_point(float *restrict S, const nb_density_box *box, size_t Cs,
                                   const long i[3], const double f[3], const float *restrict wq,
                                   float *restrict V) {
    const size_t nx = box->n[0], ny = box->n[1];
    const float fx = (float)f[0], gx = (float)(1.0 - f[0]);
    for (size_t c = 0; c < Cs; c++) {
        V[c] = gx * wq[c];
        V[Cs + c] = fx * wq[c];
    }
    for (int cz = 0; cz < 2; cz++) {
        const double wz = cz ? f[2] : 1.0 - f[2];
        for (int cy = 0; cy < 2; cy++) {
            const float wyz = (float)(wz * (cy ? f[1] : 1.0 - f[1]));
            float *row = S + ((((size_t)i[2] + (size_t)cz) * ny + (size_t)i[1] + (size_t)cy) * nx +
                              (size_t)i[0]) *
                                 Cs;
            axpy(row, V, wyz, 2 * Cs);
        }
    }
}

/* q[0..Cs) of segment/point k of edge e with np points: nb_edge_importance_eval's class
 * vector at t = k/np (bit-identical, see nb_edge_importance_weights), 0 beyond C, from the
 * padded node rows of fast_prepare. */
NB_DENSITY_INLINE void fast_q(const fast_state *fs, const nb_sample_set *set, size_t Cs, size_t e,
                              size_t k, size_t np, float *restrict q) {
    const uint32_t s = set->edge_source[e], t = set->edge_target[e];
    const float *inv = fs->qrows + fs->qrows_nodes * Cs;
    float ws, we;
    nb_edge_importance_weights(set->edge_importance_type, (float)k / (float)np,
                               set->node_stats[s].norm, set->node_stats[t].norm, inv[s], inv[t],
                               &ws, &we);
    const float *rs = fs->qrows + (size_t)s * Cs, *rt = fs->qrows + (size_t)t * Cs;
    for (size_t c = 0; c < Cs; c++)
        q[c] = ws * rs[c] + we * rt[c];
}

/* Constants of one fast splat call, shared by every record. */
typedef struct splat_params {
    double spread, spread_over_H, inv_b;
    double inv_small[16];
} splat_params;

/* Sub-points waiting for their cloud-in-cell adds: the geometry of a run of records is
 * computed first, then all their adds (the same adds in the same order as one record at a
 * time; the two loops overlap better in the processor than one long dependent chain). */
enum { SPLAT_RECS = 32, SPLAT_SUBS = 128, SPLAT_CS = 16 };
typedef struct splat_batch {
    size_t n, nrec;
    size_t node[SPLAT_SUBS]; /* box node of the lower corner, linear index */
    double f[SPLAT_SUBS][3]; /* fractions */
    uint32_t slot[SPLAT_SUBS];
    float wq[SPLAT_RECS][2 * SPLAT_CS]; /* weighted q of each record, twice (splat_flush) */
} splat_batch;

/* row[8 t .. 8 t + 7] += a * V[t] for t in [0, n8). */
NB_DENSITY_INLINE void axpy8(float *restrict row, const v8f *restrict V, float a, size_t n8) {
    const v8f av = {a, a, a, a, a, a, a, a};
    for (size_t t = 0; t < n8; t++) {
        v8f r;
        memcpy(&r, row + 8 * t, sizeof r);
        r += av * V[t];
        memcpy(row + 8 * t, &r, sizeof r);
    }
}

/* The adds of every waiting sub-point (Cs <= SPLAT_CS). The weighted row of the two x corners,
 * V[t] = (t < Cs ? 1 - f_x : f_x) * q[t mod Cs] over 2 Cs floats, is made in 8-float vectors
 * from the record's doubled q (q, q) and read back from registers: building it in memory as
 * floats and loading it as vectors stalls store forwarding. The same float operations as
 * splat_point. */
NB_DENSITY_INLINE void splat_flush(float *restrict S, const nb_density_box *box, size_t Cs,
                                   splat_batch *bt) {
    const size_t row = box->n[0] * Cs, plane = box->n[1] * row, n8 = Cs / 4;
    for (size_t n = 0; n < bt->n; n++) {
        const double *f = bt->f[n];
        const float *wq = bt->wq[bt->slot[n]];
        float *P = S + bt->node[n] * Cs;
        const float fx = (float)f[0], gx = (float)(1.0 - f[0]);
        const v8f G = {gx, gx, gx, gx, gx, gx, gx, gx}, F = {fx, fx, fx, fx, fx, fx, fx, fx};
        const v8f M = {gx, gx, gx, gx, fx, fx, fx, fx};
        v8f V[2 * SPLAT_CS / 8];
        for (size_t t = 0; t < n8; t++) {
            v8f w;
            memcpy(&w, wq + 8 * t, sizeof w);
            V[t] = (8 * t + 8 <= Cs ? G : (8 * t >= Cs ? F : M)) * w;
        }
        const double gz = 1.0 - f[2], gy = 1.0 - f[1];
        axpy8(P, V, (float)(gz * gy), n8);
        axpy8(P + row, V, (float)(gz * f[1]), n8);
        axpy8(P + plane, V, (float)(f[2] * gy), n8);
        axpy8(P + plane + row, V, (float)(f[2] * f[1]), n8);
    }
    bt->n = 0;
}

/* Splats segment (P_gp, P_gp+1) of edge e (every sub-point, every CIC corner) into S, directly
 * (bt NULL) or through the batch bt (Cs <= SPLAT_CS). */
NB_DENSITY_INLINE void splat_record(float *S, const nb_density_box *box, const nb_sample_set *set,
                                    const own_params *op, const fast_state *fs, size_t Cs, size_t e,
                                    size_t gp, float *q, const splat_params *sp, splat_batch *bt) {
    const size_t p0 = (size_t)set->point_offset[e];
    const size_t np = (size_t)(set->point_offset[e + 1] - set->point_offset[e]);
    const size_t k = gp - p0;
    const float *pa = set->points + 3 * gp;
    const double A[3] = {pa[0], pa[1], pa[2]}, B[3] = {pa[3], pa[4], pa[5]};
    if (!(in_box(op->glo, op->ghi, A) && in_box(op->glo, op->ghi, B))) {
        /* as exact: a segment whose midpoint is outside the grid adds nothing */
        const double M[3] = {0.5 * (A[0] + B[0]), 0.5 * (A[1] + B[1]), 0.5 * (A[2] + B[2])};
        if (!in_box(op->glo, op->ghi, M))
            return;
    }
    /* the clamped extent of the segment: what its bucket was made from; every sub-point is
     * kept inside it, so its footprint stays inside the nodes its task owns */
    double lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = dclamp(dmin(A[a], B[a]), op->glo[a], op->ghi[a]);
        hi[a] = dclamp(dmax(A[a], B[a]), op->glo[a], op->ghi[a]);
    }
    const double v[3] = {B[0] - A[0], B[1] - A[1], B[2] - A[2]};
    const double len = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    const size_t ns = sub_points(len, sp->spread_over_H);
    const double inv_ns = ns < 16 ? sp->inv_small[ns] : 1.0 / (double)ns;
    const float w = (float)(segment_weight(len, sp->inv_b) * inv_ns);
    uint32_t slot = 0;
    if (bt) {
        if (bt->nrec == SPLAT_RECS) {
            splat_flush(S, box, Cs, bt);
            bt->nrec = 0;
        }
        slot = (uint32_t)bt->nrec++;
        q = bt->wq[slot];
    }
    fast_q(fs, set, Cs, e, k, np, q);
    for (size_t c = 0; c < Cs; c++)
        q[c] *= w;
    if (bt) /* the batch reads it twice over: q, q (splat_flush) */
        for (size_t c = 0; c < Cs; c++)
            q[Cs + c] = q[c];
    const size_t nx = box->n[0], ny = box->n[1];
    for (size_t j = 0; j < ns; j++) {
        const double s = 0.5 + sp->spread * (((double)j + 0.5) * inv_ns - 0.5);
        long i[3];
        double f[3];
        for (int a = 0; a < 3; a++) {
            const double x = dclamp(A[a] + s * v[a], lo[a], hi[a]);
            const double u = (x - op->gbase[a]) * op->invH;
            const long J = ifloor(u);
            f[a] = dclamp(u - (double)J, 0.0, 1.0);
            i[a] = J - box->lo[a];
        }
        if (!bt) {
            splat_point(S, box, Cs, i, f, q, q + Cs);
            continue;
        }
        if (bt->n == SPLAT_SUBS)
            splat_flush(S, box, Cs, bt);
        bt->node[bt->n] = ((size_t)i[2] * ny + (size_t)i[1]) * nx + (size_t)i[0];
        bt->f[bt->n][0] = f[0];
        bt->f[bt->n][1] = f[1];
        bt->f[bt->n][2] = f[2];
        bt->slot[bt->n] = slot;
        bt->n++;
    }
}

/* Splats the records [r0, r1) in order; Cs is a constant where inlined by splat_bucket. */
NB_DENSITY_INLINE void splat_records(float *S, const nb_density_box *box, const nb_sample_set *set,
                                     const own_params *op, const fast_state *fs, size_t Cs,
                                     const uint32_t *rec, size_t r0, size_t r1, float *q,
                                     const splat_params *sp) {
    const float *pts = set->points;
    splat_batch batch, *bt = Cs <= SPLAT_CS ? &batch : NULL;
    batch.n = batch.nrec = 0;
    for (size_t at = r0; at < r1; at++) {
        /* records hop between edges: fetch the points of later ones early */
        if (at + 8 < r1)
            __builtin_prefetch(pts + 3 * (size_t)rec[2 * (at + 8) + 1]);
        splat_record(S, box, set, op, fs, Cs, rec[2 * at], rec[2 * at + 1], q, sp, bt);
    }
    if (bt)
        splat_flush(S, box, Cs, bt);
}

/* splat_records with the channel stride known at compile time for up to 16 classes. q:
 * per-thread scratch of 3 Cs floats whose first Cs are 0 beyond C. */
NB_DENSITY_CLONES
static void splat_bucket(float *S, const nb_density_box *box, const nb_sample_set *set,
                         const own_params *op, const fast_state *fs, const uint32_t *rec, size_t r0,
                         size_t r1, float *q, const splat_params *sp) {
    const size_t Cs = nb_density_stride_(fs->n_classes);
    switch (Cs) {
    case 4:
        splat_records(S, box, set, op, fs, 4, rec, r0, r1, q, sp);
        break;
    case 8:
        splat_records(S, box, set, op, fs, 8, rec, r0, r1, q, sp);
        break;
    case 12:
        splat_records(S, box, set, op, fs, 12, rec, r0, r1, q, sp);
        break;
    case 16:
        splat_records(S, box, set, op, fs, 16, rec, r0, r1, q, sp);
        break;
    default:
        splat_records(S, box, set, op, fs, Cs, rec, r0, r1, q, sp);
        break;
    }
}

/* Whether any of the n floats of row is not +0 (bit test: -0 and NaN count as occupied). */
static inline int row_occupied(const float *row, size_t n) {
    uint32_t any = 0;
    for (size_t t = 0; t < n; t++) {
        uint32_t u;
        memcpy(&u, row + t, sizeof u);
        any |= u;
    }
    return any != 0;
}

/* out = taps[0] in[i] + sum_{j=1..r} taps[j] (in[i-j] + in[i+j]) over the rows i of one line
 * across rows (rows: `n` rows of `len` floats, `stride` floats apart; occ[i * ostride] says
 * whether row i holds anything): the same operations as conv_line with inner = len, except
 * that rows not occupied are left out of the sums instead of adding their zeros (the results
 * differ at most in the sign of a zero). Output rows with no occupied row within r are not
 * written; occ_out[i * ostride] says which were. */
NB_DENSITY_INLINE void conv_rows_sparse(const float *in, float *out, size_t n, size_t len,
                                        size_t stride, const uint8_t *occ, uint8_t *occ_out,
                                        size_t ostride, const float *taps, long r) {
    const long nl = (long)n;
    for (long i = 0; i < nl; i++) {
        const long j0 = i - r < 0 ? 0 : i - r, j1 = i + r > nl - 1 ? nl - 1 : i + r;
        int any = 0;
        for (long j = j0; j <= j1 && !any; j++)
            any = occ[(size_t)j * ostride];
        occ_out[(size_t)i * ostride] = (uint8_t)any;
        if (!any)
            continue;
        float *dst = out + (size_t)i * stride;
        const float w0 = taps[0];
        if (occ[(size_t)i * ostride]) {
            const float *src = in + (size_t)i * stride;
            for (size_t t = 0; t < len; t++)
                dst[t] = w0 * src[t];
        } else {
            for (size_t t = 0; t < len; t++)
                dst[t] = 0.0f;
        }
        for (long j = 1; j <= r; j++) {
            const float w = taps[j];
            const int has_lo = i - j >= 0 && occ[(size_t)(i - j) * ostride];
            const int has_hi = i + j < nl && occ[(size_t)(i + j) * ostride];
            const float *lo = in + (size_t)(i - j) * stride, *hi = in + (size_t)(i + j) * stride;
            if (has_lo && has_hi) {
                for (size_t t = 0; t < len; t++)
                    dst[t] += w * (lo[t] + hi[t]);
            } else if (has_lo || has_hi) {
                const float *src = has_lo ? lo : hi;
                for (size_t t = 0; t < len; t++)
                    dst[t] += w * src[t];
            }
        }
    }
}

/* x then y convolution of one z layer: L -> X (scratch) -> Yl, skipping empty rows: occ0[y]
 * gets whether row y of L is occupied, occ1[y] whether row y of Yl was written (rows of Yl
 * not written are to be read as 0). */
NB_DENSITY_CLONES
static void conv_layer_xy(const float *L, float *X, float *Yl, size_t nx, size_t ny, size_t C,
                          const float *taps, long r, uint8_t *occ0, uint8_t *occ1) {
    const size_t row = nx * C;
    for (size_t y = 0; y < ny; y++) {
        occ0[y] = (uint8_t)row_occupied(L + y * row, row);
        if (occ0[y])
            conv_line(L + y * row, X + y * row, nx, C, taps, r);
    }
    conv_rows_sparse(X, Yl, ny, row, row, occ0, occ1, 1, taps, r);
}

/* z convolution of the column of rows y (every layer) from Y into D, and the norm of its
 * nodes: occ1[z * ny + y] says which rows of Y are occupied, occ2[z * ny + y] gets which rows
 * of D were written. Rows of D with no occupied row of Y within r layers are left as they are
 * (they were empty in the splat too: +0) and get norm 0. */
NB_DENSITY_CLONES
static void conv_column_z(const float *Y, float *D, float *norm, size_t y, size_t nz, size_t nx,
                          size_t ny, size_t C, const float *taps, long r, const uint8_t *occ1,
                          uint8_t *occ2) {
    const size_t row = nx * C, plane = ny * row;
    conv_rows_sparse(Y + y * row, D + y * row, nz, row, plane, occ1 + y, occ2 + y, ny, taps, r);
    for (size_t z = 0; z < nz; z++) {
        float *nrow = norm + (z * ny + y) * nx;
        if (!occ2[z * ny + y]) {
            for (size_t x = 0; x < nx; x++)
                nrow[x] = 0.0f;
            continue;
        }
        const float *drow = D + z * plane + y * row;
        for (size_t x = 0; x < nx; x++) {
            const float *cell = drow + x * C;
            double sq = 0.0;
            for (size_t c = 0; c < C; c++)
                sq += (double)cell[c] * (double)cell[c];
            nrow[x] = (float)sqrt(sq);
        }
    }
}

/* Ownership of the nodes of `grid` for coarse cell H (see own_params). */
static void own_setup(const nb_grid *grid, double H, own_params *op) {
    const double h = grid->cell, invH = 1.0 / H;
    for (int a = 0; a < 3; a++) {
        op->gbase[a] = grid->origin[a] + 0.5 * h;
        op->glo[a] = grid->origin[a];
        op->ghi[a] = grid->origin[a] + (double)grid->n[a] * h;
        op->jmin[a] = ifloor((op->glo[a] - op->gbase[a]) * invH);
        op->nkey[a] = ifloor((op->ghi[a] - op->gbase[a]) * invH) - op->jmin[a] + 2;
    }
    op->invH = invH;
    op->nslabs = (op->nkey[2] + LZ - 1) / LZ;
    op->nbands = (op->nkey[1] + BY - 1) / BY;
    op->nbuckets = op->nslabs * op->nbands + 1;
}

/* What every thread of one fast splat reads (all set before the parallel region, except
 * prep and box: written by fast_prepare in an `omp single`). */
typedef struct splat_job {
    nb_density *d;
    fast_state *fs;
    const nb_grid *grid;
    const nb_sample_set *set;
    own_params op;
    splat_params sp;
    uint32_t *keys; /* node keys of every point (NULL: they do not fit 16 bits per axis) */
    float taps[NB_DENSITY_MAX_TAPS + 1]; /* centre, then one side */
    long r;                              /* taps per side */
    long pad;                            /* nodes added around the points' box */
    int prep;                            /* PREP_* */
    nb_density_box box;
} splat_job;

/* Sets up the job: kernel, ownership, constants, and the buffers of passes 1 and 2. */
static nb_status splat_job_init(splat_job *job, nb_density *d, fast_state *fs, const nb_grid *grid,
                                const nb_sample_set *set, double b) {
    memset(job, 0, sizeof *job);
    job->d = d;
    job->fs = fs;
    job->grid = grid;
    job->set = set;
    make_kernel(fs, d, grid->cell, b);
    const double H = fs->cache_H;
    own_setup(grid, H, &job->op);
    job->sp.spread = fs->spread;
    job->sp.spread_over_H = fs->spread * job->op.invH;
    job->sp.inv_b = 1.0 / b;
    job->sp.inv_small[0] = 0.0;
    for (int i = 1; i < 16; i++)
        job->sp.inv_small[i] = 1.0 / (double)i;
    job->r = (long)fs->radius;
    for (long j = 0; j <= job->r; j++)
        job->taps[j] = (float)fs->taps[j];
    job->pad = job->r + 2;
    job->prep = PREP_OK;
    job->box.step = H;
    d->stats.kernel_taps = 2 * fs->radius + 1;

    const size_t T = (size_t)d->threads, nbuckets = (size_t)job->op.nbuckets;
    void *buf = fs->hist; /* per-thread counts, then the bucket starts: (T + 1) * nb + 1 */
    NB_TRY(nb_density_reserve_(&buf, &fs->hist_cap, (T + 1) * nbuckets + 1, sizeof(size_t)));
    fs->hist = buf;
    buf = fs->tvals;
    NB_TRY(nb_density_reserve_(&buf, &fs->tvals_cap, T * TV_N, sizeof(double)));
    fs->tvals = buf;
    /* node keys of every point for pass 2, if they fit 16 bits per axis */
    const size_t ne = set->n_edges;
    if (ne > 0 && job->op.nkey[1] <= 65536 && job->op.nkey[2] <= 65536) {
        buf = fs->keys;
        NB_TRY(nb_density_reserve_(&buf, &fs->keys_cap, (size_t)set->point_offset[ne] + 1,
                                   sizeof(uint32_t)));
        fs->keys = buf;
        job->keys = fs->keys;
    }
    return NB_OK;
}

/* Pass 1 of thread tid over edges [e0, e1): bounding box, node keys and bucket counts; the
 * keys are kept (z << 16 | y) when they fit 16 bits. Results in the thread's hist row and
 * tvals slot. */
static void count_records(splat_job *job, size_t tid, size_t e0, size_t e1) {
    const nb_sample_set *set = job->set;
    const own_params own = job->op; /* a local copy: the stores below cannot alias it */
    const own_params *op = &own;
    const nb_grid *grid = job->grid;
    const float *pts = set->points;
    uint32_t *keys = job->keys;
    size_t *my = job->fs->hist + tid * (size_t)op->nbuckets;
    for (long k = 0; k < op->nbuckets; k++)
        my[k] = 0;
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    int bad = 0;
    uint32_t maxnode = 0;
    for (size_t e = e0; e < e1; e++) {
        const uint32_t ns = set->edge_source[e], nt = set->edge_target[e];
        maxnode = ns > maxnode ? ns : maxnode;
        maxnode = nt > maxnode ? nt : maxnode;
        const size_t p0 = (size_t)set->point_offset[e];
        const size_t np = (size_t)(set->point_offset[e + 1] - set->point_offset[e]);
        long pz = 0, py = 0;
        for (size_t k = 0; k < np; k++) {
            const float *pp = pts + 3 * (p0 + k);
            double p[3] = {pp[0], pp[1], pp[2]};
            if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2])) {
                bad = 1;
                p[0] = p[1] = p[2] = 0.0;
            }
            nb_density_clamp_to_grid_(grid, p);
            for (int a = 0; a < 3; a++) {
                lo[a] = dmin(lo[a], p[a]);
                hi[a] = dmax(hi[a], p[a]);
            }
            const long kz = node_key(op, 2, p[2]), ky = node_key(op, 1, p[1]);
            if (keys)
                keys[p0 + k] = (uint32_t)kz << 16 | (uint32_t)ky;
            if (k > 0)
                my[bucket_of_keys(op, pz, py, kz, ky)]++;
            pz = kz;
            py = ky;
        }
    }
    double *tv = job->fs->tvals + tid * TV_N;
    for (int a = 0; a < 3; a++) {
        tv[TV_LO + a] = lo[a];
        tv[TV_HI + a] = hi[a];
    }
    tv[TV_BAD] = bad;
    tv[TV_NODES] = e1 > e0 ? (double)maxnode + 1.0 : 0.0;
}

/* Pass 2 of thread tid: scatters the (edge, global point index) records of edges [e0, e1)
 * (the same block as pass 1) into their buckets at the thread's offsets. */
static void scatter_records(splat_job *job, size_t tid, size_t e0, size_t e1) {
    const nb_sample_set *set = job->set;
    const own_params own = job->op; /* a local copy: the stores below cannot alias it */
    const own_params *op = &own;
    const nb_grid *grid = job->grid;
    const float *pts = set->points;
    const uint32_t *keys = job->keys;
    uint32_t *rec = job->fs->rec;
    size_t *off = job->fs->hist + tid * (size_t)op->nbuckets;
    for (size_t e = e0; e < e1; e++) {
        const size_t p0 = (size_t)set->point_offset[e];
        const size_t np = (size_t)(set->point_offset[e + 1] - set->point_offset[e]);
        for (size_t k = 0; k + 1 < np; k++) {
            long bk;
            if (keys) {
                const uint32_t ka = keys[p0 + k], kb = keys[p0 + k + 1];
                bk = bucket_of_keys(op, (long)(ka >> 16), (long)(ka & 0xFFFF), (long)(kb >> 16),
                                    (long)(kb & 0xFFFF));
            } else {
                const float *pp = pts + 3 * (p0 + k);
                double pa[3] = {pp[0], pp[1], pp[2]}, pb[3] = {pp[3], pp[4], pp[5]};
                nb_density_clamp_to_grid_(grid, pa);
                nb_density_clamp_to_grid_(grid, pb);
                bk = bucket_of_keys(op, node_key(op, 2, pa[2]), node_key(op, 1, pa[1]),
                                    node_key(op, 2, pb[2]), node_key(op, 1, pb[1]));
            }
            const size_t at = off[bk]++;
            rec[2 * at] = (uint32_t)e;
            rec[2 * at + 1] = (uint32_t)(p0 + k);
        }
    }
}

/* Pass 3, inside the parallel region (orphaned worksharing): zeroes the box, then splats the
 * buckets in six phases of disjoint tasks (see own_params) and the long bucket last. q: the
 * thread's scratch of 3 Cs floats. */
static void splat_phases(splat_job *job, const size_t *bstart, float *q) {
    const nb_density_box *box = &job->box;
    const size_t Cs = nb_density_stride_(job->d->n_classes);
    const size_t plane = box->n[0] * box->n[1] * Cs;
    float *S = job->fs->dens;
#pragma omp for schedule(static)
    for (long iz = 0; iz < (long)box->n[2]; iz++)
        for (size_t t = 0; t < plane; t++)
            S[(size_t)iz * plane + t] = 0.0f;
    const uint32_t *order = job->fs->task_order;
    for (long ph = 0; ph < 7; ph++) {
        const long nt = phase_tasks(&job->op, ph);
        const size_t at = job->fs->phase_at[ph < 6 ? ph : 0];
#pragma omp for schedule(dynamic, 1)
        for (long i = 0; i < nt; i++) {
            const long bk =
                phase_task_bucket(&job->op, ph, ph < 6 ? (long)order[at + (size_t)i] : 0);
            splat_bucket(S, box, job->set, &job->op, job->fs, job->fs->rec, bstart[bk],
                         bstart[bk + 1], q, &job->sp);
        }
    }
}

/* Passes 4 and 5, inside the parallel region: x then y convolution per layer (S -> X -> Y),
 * then z per column of rows (Y -> S) and the norm of every node; rows far from every splatted
 * point are skipped (fs->occ). X: the thread's layer scratch. */
static void convolve_box(splat_job *job, float *X) {
    const nb_density_box *box = &job->box;
    const size_t nx = box->n[0], ny = box->n[1], nz = box->n[2];
    const size_t Cs = nb_density_stride_(job->d->n_classes), plane = nx * ny * Cs;
    float *S = job->fs->dens, *Y = job->fs->tmp, *norm = job->fs->norm;
    uint8_t *occ0 = job->fs->occ, *occ1 = occ0 + ny * nz;
#pragma omp for schedule(dynamic, 1)
    for (long iz = 0; iz < (long)nz; iz++)
        conv_layer_xy(S + (size_t)iz * plane, X, Y + (size_t)iz * plane, nx, ny, Cs, job->taps,
                      job->r, occ0 + (size_t)iz * ny, occ1 + (size_t)iz * ny);
        /* occ0 is free again: it takes the rows written by the z pass */
#pragma omp for schedule(dynamic, 1)
    for (long iy = 0; iy < (long)ny; iy++)
        conv_column_z(Y, S, norm, (size_t)iy, nz, nx, ny, Cs, job->taps, job->r, occ1, occ0);
}

/* The parallel part of one splat (every thread): pass 1 over a contiguous block of edges, the
 * serial middle (fast_prepare), then passes 2 to 5 when there is a box. */
static void splat_parallel(splat_job *job) {
    const size_t tid = (size_t)omp_get_thread_num();
    const size_t nth = (size_t)omp_get_num_threads();
    const size_t ne = job->set->n_edges, C = job->d->n_classes;
    const size_t e0 = ne * tid / nth, e1 = ne * (tid + 1) / nth;
    count_records(job, tid, e0, e1);
#pragma omp barrier
#pragma omp single
    job->prep = fast_prepare(job->d, job->fs, job->set, nth, &job->op, job->pad, &job->box);
    /* implicit barrier: prep and box are shared and final */
    if (job->prep != PREP_OK || job->box.n[0] == 0)
        return;
    scatter_records(job, tid, e0, e1);
    const size_t *bstart = job->fs->hist + nth * (size_t)job->op.nbuckets;
#pragma omp single nowait
    {
        job->fs->rec_buckets = (size_t)job->op.nbuckets;
        job->fs->rec_start = bstart;
    }
    const size_t Cs = nb_density_stride_(C);
    float *q = job->d->scratch + tid * nb_density_scratch_floats_(C);
    for (size_t c = C; c < Cs; c++)
        q[c] = 0.0f;
    splat_phases(job, bstart, q);
    convolve_box(job, job->fs->layer + tid * job->box.n[0] * job->box.n[1] * Cs);
}

static nb_status fast_splat(nb_density *d, void *state, const nb_grid *grid,
                            const nb_sample_set *set, double bandwidth) {
    fast_state *fs = state;
    splat_job job;
    NB_TRY(splat_job_init(&job, d, fs, grid, set, bandwidth));
#pragma omp parallel num_threads(d->nt)
    splat_parallel(&job);
    const nb_density_box *box = &job.box;
    if (job.prep == PREP_NONFINITE)
        return NB_RAISE(NB_E_NUMERIC, "sample_set points", "a point is not finite");
    if (job.prep == PREP_TOO_LARGE)
        return NB_RAISE(NB_E_NOMEM, "density workspace", "fast grid of %zu x %zu x %zu cells",
                        box->n[0], box->n[1], box->n[2]);
    if (job.prep == PREP_NOMEM)
        return NB_RAISE(NB_E_NOMEM, "density workspace",
                        "cannot allocate the fast grid of %zu x %zu x %zu cells", box->n[0],
                        box->n[1], box->n[2]);
    fs->box = *box;
    d->stats.cells = box->n[0] * box->n[1] * box->n[2];
    d->stats.cell = box->step;
    void *sat = fs->sat_part;
    nb_status st = nb_density_reserve_(&sat, &fs->sat_part_cap, 2 * (box->n[2] ? box->n[2] : 1),
                                       sizeof(double));
    fs->sat_part = sat;
    return st;
}

/* Node coordinates of world point p: lower node i0 and fractions f in [0, 1] (inv_step =
 * 1 / box->step). */
static inline void locate(const nb_density_box *box, double inv_step, const double p[3],
                          size_t i0[3], double f[3]) {
    for (int a = 0; a < 3; a++) {
        const double u = (p[a] - box->anchor[a]) * inv_step;
        long fl = ifloor(u) - box->lo[a];
        fl = fl < 0 ? 0 : (fl > (long)box->n[a] - 2 ? (long)box->n[a] - 2 : fl);
        double t = u - (double)(fl + box->lo[a]);
        f[a] = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
        i0[a] = (size_t)fl;
    }
}

/* a . b over n floats (n a multiple of 4) in 4 lanes, one fixed order of operations. */
NB_DENSITY_INLINE double dot_lanes(const float *a, const float *b, size_t n) {
    v4f acc = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t j = 0; j < n; j += 4) {
        v4f x, y;
        memcpy(&x, a + j, sizeof x);
        memcpy(&y, b + j, sizeof y);
        acc += x * y;
    }
    return (double)((acc[0] + acc[1]) + (acc[2] + acc[3]));
}

/* Records moved per batch: the scalar part (locate, q, phi at the 8 corners) of a batch runs
 * first, then the gradient, its normalisation and the clamped update for the whole batch in
 * SIMD (the same IEEE operations per point as one at a time). */
enum { MOVE_BATCH = 32 };

/* Moves the end point of every record in [r0, r1) (Jacobi: reads only the density and the
 * point itself); returns how many moved. q: scratch of Cs floats. Cs is a constant where
 * inlined by move_bucket. */
NB_DENSITY_INLINE size_t move_records(const fast_state *fs, const nb_grid *grid, nb_sample_set *set,
                                      size_t Cs, size_t r0, size_t r1, double bandwidth,
                                      double similarity, float *q) {
    const double step = (set->step_fraction > 0.0 ? set->step_fraction : 1.0) * bandwidth;
    const nb_density_box *box = &fs->box;
    const size_t nx = box->n[0], ny = box->n[1];
    const float *dens = fs->dens, *norm = fs->norm;
    const double inv_step = 1.0 / box->step;
    const uint32_t *rec = fs->rec;
    float *pts = set->points;
    double glo[3], ghi[3]; /* as nb_density_clamp_to_grid_ */
    for (int a = 0; a < 3; a++) {
        glo[a] = grid->origin[a];
        ghi[a] = grid->origin[a] + (double)grid->n[a] * grid->cell;
    }
    size_t moved = 0;
    double px[MOVE_BATCH], py[MOVE_BATCH], pz[MOVE_BATCH];
    double fx[MOVE_BATCH], fy[MOVE_BATCH], fz[MOVE_BATCH], ph[8][MOVE_BATCH];
    size_t dst[MOVE_BATCH];
    for (size_t at = r0; at < r1;) {
        size_t n = 0;
        for (; at < r1 && n < MOVE_BATCH; at++) {
            if (at + 8 < r1)
                __builtin_prefetch(pts + 3 * ((size_t)rec[2 * (at + 8) + 1] + 1));
            const size_t e = rec[2 * at], gp = (size_t)rec[2 * at + 1] + 1;
            const size_t p0 = (size_t)set->point_offset[e];
            const size_t np = (size_t)(set->point_offset[e + 1] - set->point_offset[e]);
            const size_t k = gp - p0;
            if (k + 1 >= np)
                continue; /* the last point of the edge */
            const float *pp = pts + 3 * gp;
            double p[3] = {pp[0], pp[1], pp[2]};
            nb_density_clamp_to_grid_(grid, p);
            fast_q(fs, set, Cs, e, k, np, q);
            size_t i0[3];
            double f[3];
            locate(box, inv_step, p, i0, f);
            /* phi at the 8 nodes around p (corner = cx + 2 cy + 4 cz): the two x corners of
             * a row are adjacent */
            for (int r = 0; r < 4; r++) {
                const size_t ci =
                    ((i0[2] + (size_t)(r >> 1)) * ny + i0[1] + (size_t)(r & 1)) * nx + i0[0];
                const float *row = dens + ci * Cs;
                ph[2 * r][n] = dot_lanes(row, q, Cs) - similarity * (double)norm[ci];
                ph[2 * r + 1][n] = dot_lanes(row + Cs, q, Cs) - similarity * (double)norm[ci + 1];
            }
            px[n] = p[0];
            py[n] = p[1];
            pz[n] = p[2];
            fx[n] = f[0];
            fy[n] = f[1];
            fz[n] = f[2];
            dst[n] = gp;
            n++;
        }
        /* the gradient of the trilinear interpolant of phi; zero or not finite: no move */
        for (size_t j = 0; j < n; j++) {
            const double x = fx[j], y = fy[j], z = fz[j];
            /* terms paired so that mirroring x, y or z maps each sum onto itself exactly */
            const double g0 =
                ((1 - y) * (1 - z) * (ph[1][j] - ph[0][j]) + y * (1 - z) * (ph[3][j] - ph[2][j])) +
                ((1 - y) * z * (ph[5][j] - ph[4][j]) + y * z * (ph[7][j] - ph[6][j]));
            const double g1 =
                ((1 - x) * (1 - z) * (ph[2][j] - ph[0][j]) + x * (1 - z) * (ph[3][j] - ph[1][j])) +
                ((1 - x) * z * (ph[6][j] - ph[4][j]) + x * z * (ph[7][j] - ph[5][j]));
            const double g2 =
                ((1 - x) * (1 - y) * (ph[4][j] - ph[0][j]) + x * (1 - y) * (ph[5][j] - ph[1][j])) +
                ((1 - x) * y * (ph[6][j] - ph[2][j]) + x * y * (ph[7][j] - ph[3][j]));
            const double gn = sqrt(g0 * g0 + g1 * g1 + g2 * g2);
            const int ok = gn > 0.0 && gn < INFINITY;
            const double sc = ok ? step / gn : 0.0;
            const double nx0 = dclamp(px[j] + sc * g0, glo[0], ghi[0]);
            const double ny0 = dclamp(py[j] + sc * g1, glo[1], ghi[1]);
            const double nz0 = dclamp(pz[j] + sc * g2, glo[2], ghi[2]);
            px[j] = ok ? nx0 : px[j];
            py[j] = ok ? ny0 : py[j];
            pz[j] = ok ? nz0 : pz[j];
            moved += (size_t)ok;
        }
        for (size_t j = 0; j < n; j++) {
            float *pp = pts + 3 * dst[j];
            pp[0] = (float)px[j];
            pp[1] = (float)py[j];
            pp[2] = (float)pz[j];
        }
    }
    return moved;
}

/* move_records with the channel stride known at compile time for up to 16 classes. */
NB_DENSITY_CLONES
static size_t move_bucket(const fast_state *fs, const nb_grid *grid, nb_sample_set *set, size_t r0,
                          size_t r1, double bandwidth, double similarity, float *q) {
    const size_t Cs = nb_density_stride_(fs->n_classes);
    switch (Cs) {
    case 4:
        return move_records(fs, grid, set, 4, r0, r1, bandwidth, similarity, q);
    case 8:
        return move_records(fs, grid, set, 8, r0, r1, bandwidth, similarity, q);
    case 12:
        return move_records(fs, grid, set, 12, r0, r1, bandwidth, similarity, q);
    case 16:
        return move_records(fs, grid, set, 16, r0, r1, bandwidth, similarity, q);
    default:
        return move_records(fs, grid, set, Cs, r0, r1, bandwidth, similarity, q);
    }
}

/* Replaces every node's |D| by the saturated norm s tanh(|D| / s), s = kappa * sum |D|^2 /
 * sum |D| over the box (per-plane partial sums added in plane order: thread-count
 * independent). */
static void saturate_norms(const nb_density *d, fast_state *fs, double kappa) {
    const nb_density_box *box = &fs->box;
    const size_t plane = box->n[0] * box->n[1];
    const long nz = (long)box->n[2];
    double *part = fs->sat_part;
#pragma omp parallel for num_threads(d->nt) schedule(static)
    for (long iz = 0; iz < nz; iz++) {
        const float *nl = fs->norm + (size_t)iz * plane;
        double p1 = 0.0, p2 = 0.0;
        for (size_t t = 0; t < plane; t++) {
            p1 += (double)nl[t];
            p2 += (double)nl[t] * (double)nl[t];
        }
        part[2 * iz] = p1;
        part[2 * iz + 1] = p2;
    }
    double s1 = 0.0, s2 = 0.0;
    for (long iz = 0; iz < nz; iz++) {
        s1 += part[2 * iz];
        s2 += part[2 * iz + 1];
    }
    if (!(s1 > 0.0))
        return;
    const double s = kappa * s2 / s1;
#pragma omp parallel for num_threads(d->nt) schedule(static)
    for (long iz = 0; iz < nz; iz++) {
        float *nl = fs->norm + (size_t)iz * plane;
        for (size_t t = 0; t < plane; t++)
            if (nl[t] != 0.0f) /* most of the box is empty: saturate(0) = 0 */
                nl[t] = (float)nb_density_saturate_((double)nl[t], s);
    }
}

static void fast_move(nb_density *d, void *state, const nb_grid *grid, nb_sample_set *set,
                      double bandwidth, double similarity) {
    fast_state *fs = state;
    size_t moved = 0;
    if (fs->box.n[0] == 0) {
        d->stats.moved = 0;
        return;
    }
    if (set->repulsion_saturation > 0.0)
        saturate_norms(d, fs, set->repulsion_saturation); /* sat_part reserved by the splat */
    /* every interior point k + 1 is the end of exactly one segment record (e, P_k): walking
     * the records bucket by bucket keeps the density reads local (the grid can be far larger
     * than the caches); each point is read and written by one thread only */
    const size_t *bstart = fs->rec_start;
    const long nb = (long)fs->rec_buckets;
#pragma omp parallel num_threads(d->nt) reduction(+ : moved)
    {
        float *q =
            d->scratch + (size_t)omp_get_thread_num() * nb_density_scratch_floats_(d->n_classes);
        for (size_t c = d->n_classes; c < nb_density_stride_(d->n_classes); c++)
            q[c] = 0.0f;
        const uint32_t *order = fs->task_order + fs->phase_at[6]; /* largest first */
#pragma omp for schedule(dynamic, 1)
        for (long i = 0; i < nb; i++) {
            const size_t bk = order[i];
            moved +=
                move_bucket(fs, grid, set, bstart[bk], bstart[bk + 1], bandwidth, similarity, q);
        }
    }
    d->stats.moved = moved;
}

static void fast_query(const nb_density *d, const void *state, const double p[3], double *out) {
    const fast_state *fs = state;
    const nb_density_box *box = &fs->box;
    if (box->n[0] == 0)
        return;
    const size_t C = d->n_classes, Cs = nb_density_stride_(C), nx = box->n[0], ny = box->n[1];
    for (int a = 0; a < 3; a++) {
        double u = (p[a] - box->base[a]) / box->step;
        if (u < 0.0 || u > (double)box->n[a] - 1.0)
            return;
    }
    size_t i0[3];
    double f[3];
    locate(box, 1.0 / box->step, p, i0, f);
    for (int corner = 0; corner < 8; corner++) {
        const int cx = corner & 1, cy = (corner >> 1) & 1, cz = (corner >> 2) & 1;
        const double w = (cx ? f[0] : 1 - f[0]) * (cy ? f[1] : 1 - f[1]) * (cz ? f[2] : 1 - f[2]);
        const size_t ci =
            ((i0[2] + (size_t)cz) * ny + i0[1] + (size_t)cy) * nx + i0[0] + (size_t)cx;
        for (size_t c = 0; c < C; c++)
            out[c] += w * (double)fs->dens[ci * Cs + c];
    }
}

/* ---- the interface ------------------------------------------------------------------------ */

static nb_status fast_create(const nb_density *d, void **state) {
    fast_state *fs = calloc(1, sizeof *fs);
    if (!fs)
        return NB_RAISE(NB_E_NOMEM, "density workspace", "cannot allocate the fast back-end");
    fs->n_classes = d->n_classes;
    *state = fs;
    return NB_OK;
}

static void fast_destroy(void *state) {
    fast_state *fs = state;
    if (!fs)
        return;
    free(fs->rec);
    free(fs->hist);
    free(fs->keys);
    free(fs->tvals);
    free(fs->dens);
    free(fs->tmp);
    free(fs->norm);
    free(fs->layer);
    free(fs->occ);
    free(fs->task_order);
    free(fs->task_scratch);
    free(fs->sat_part);
    free(fs->qrows);
    free(fs);
}

static uint64_t fast_bytes(const void *state) {
    const fast_state *fs = state;
    return (uint64_t)(fs->rec_cap * sizeof(uint32_t) + fs->hist_cap * sizeof(size_t) +
                      fs->keys_cap * sizeof(uint32_t) + fs->tvals_cap * sizeof(double) +
                      fs->dens_cap * sizeof(float) + fs->tmp_cap * sizeof(float) +
                      fs->norm_cap * sizeof(float) + fs->layer_cap * sizeof(float) + fs->occ_cap +
                      fs->task_order_cap * sizeof(uint32_t) +
                      fs->task_scratch_cap * sizeof(task_size) + fs->sat_part_cap * sizeof(double) +
                      fs->qrows_cap * sizeof(float) + sizeof *fs);
}

const nb_density_backend_ops nb_density_fast_backend = {
    .create = fast_create,
    .destroy = fast_destroy,
    .splat = fast_splat,
    .move = fast_move,
    .query = fast_query,
    .bytes = fast_bytes,
};
