/* nb_density_exact.c - the reference segment density (method.md §4.8) and sample advection (§4.9).
 *
 * DESIGN: every segment (P_k, P_{k+1}) of every edge splats its class vector q (common
 * nb_edge_importance_eval, t = k/N) with the kernel of method.md §4.3: the cell is a segment of
 * half-length kappa through its centre, oriented towards the midpoint M, the distance is the
 * "ellipse distance" |p - A| + |p - B| - |AB|, the value is the integral of 1 - u^2 over the
 * cell segment in bandwidth units; a cell gets trunc(S*value*q_c) per class when S*value >= 1.
 * Cells visited: the reference window (offsets -R..R+1 around M's cell, R = ceil(b/h) + 1)
 * intersected with the kernel's true support (method.md §9.6): the ellipse distance is
 * 2-Lipschitz, so a cell with delta(centre) >= b + 2*kappa receives nothing; those cells form
 * the prolate spheroid with foci A, B and major axis |AB| + b + 2*kappa, whose x-interval is
 * solved per (y, z) row (padded by one cell; the kernel itself decides). The result is
 * identical to scanning the whole window. Differences from the original (method.md §8.1):
 * int64 channels (no uint32 wrap-around), no "overall" channel (§9.1), a midpoint exactly on
 * a cell centre keeps its contribution (cell segment along AB), only segments whose midpoint
 * lies outside the grid are skipped.
 * Advection: one-sided differences on x, y, z towards the neighbour on the point's side of
 * its cell centre (the other side at the grid border), step = full bandwidth along G/|G|;
 * zero or non-finite G: no move; a point outside the grid is clamped into it first, so it
 * still moves. Endpoints never move. The density is complete before any point moves, so the
 * in-place update is a Jacobi update.
 * Storage: int64[cells][C] over the box of cells reachable from the points (bbox +- window).
 * Threading: the splat is parallel over z-slices of that box; each slice is owned by one
 * thread, which scans all segments and adds only into its slice (no atomics, no copies,
 * integer sums: bit-identical for any thread count). The move is parallel over edges.
 * Config keys: none (bandwidth, similarity, density_strength come from the caller).
 */
#include "nb_density_backend.h"

#include <limits.h>
#include <omp.h>
#include <string.h>

/* The private state: the cells that hold the density and the per-thread row scratch. */
typedef struct exact_state {
    nb_density_box box; /* box.lo: index of its first cell in the nb_grid */
    int64_t *cells;     /* int64[box cells][C] */
    size_t cells_cap;
    double *row; /* per-thread kernel values of one row: double[threads][box.n[0]] */
    size_t row_cap;
} exact_state;

/* S * value of the cells gx = x0..x1 of one row (y = yc, z = zc) for segment (A, B): the same
 * operations as nb_density_seg_value_, written without branches so that the row is computed
 * in SIMD (identical results; the cell segment of a centre on M lies along `dir`). */
NB_DENSITY_CLONES
static void seg_row_values(double *restrict out, const double A[3], const double B[3], double len,
                           const double M[3], const double dir[3], int x0, int x1, double ox,
                           double h, double yc, double zc, double kappa, double b, double S) {
    const double inv_b = 1.0 / b;
    const double ax = A[0], ay = A[1], az = A[2], bx = B[0], by = B[1], bz = B[2];
    const double m0 = M[0], my = M[1] - yc, mz = M[2] - zc;
    const double d0 = dir[0], d1 = dir[1], d2 = dir[2];
    for (int gx = x0; gx <= x1; gx++) {
        const double gxc = ox + ((double)gx + 0.5) * h;
        const double mx = m0 - gxc;
        const double dist = sqrt(mx * mx + my * my + mz * mz);
        const int on = dist > 0.0;
        const double dd = on ? dist : 1.0;
        const double ux = on ? mx / dd : d0, uy = on ? my / dd : d1, uz = on ? mz / dd : d2;
        /* the two ends of the cell segment and their ellipse distances (nb_density_ellipse_) */
        const double mxa = gxc - kappa * ux, mya = yc - kappa * uy, mza = zc - kappa * uz;
        const double pxa = gxc + kappa * ux, pya = yc + kappa * uy, pza = zc + kappa * uz;
        const double a =
            sqrt((mxa - ax) * (mxa - ax) + (mya - ay) * (mya - ay) + (mza - az) * (mza - az)) +
            sqrt((mxa - bx) * (mxa - bx) + (mya - by) * (mya - by) + (mza - bz) * (mza - bz)) - len;
        const double e =
            sqrt((pxa - ax) * (pxa - ax) + (pya - ay) * (pya - ay) + (pza - az) * (pza - az)) +
            sqrt((pxa - bx) * (pxa - bx) + (pya - by) * (pya - by) + (pza - bz) * (pza - bz)) - len;
        double an = (a < b ? a : b) * inv_b;
        const double en = (e < b ? e : b) * inv_b;
        an = dist < kappa ? -an : an;
        const double v = fabs(nb_density_F_(en) - nb_density_F_(an));
        out[gx - x0] = (a < b || e < b) ? S * v : 0.0;
    }
}

/* Bounding box of all points of `set`, each clamped into the grid box. NB_E_NUMERIC
 * ("sample_set points") if a point is not finite. lo/hi stay untouched (and *any = 0) when
 * the set has no points. */
static nb_status points_bbox(const nb_density *d, const nb_grid *grid, const nb_sample_set *set,
                             double lo[3], double hi[3], int *any) {
    *any = 0;
    if (set->n_edges == 0)
        return NB_OK;
    size_t p0 = (size_t)set->point_offset[0], p1 = (size_t)set->point_offset[set->n_edges];
    if (p1 <= p0)
        return NB_OK;
    double l0 = INFINITY, l1 = INFINITY, l2 = INFINITY;
    double h0 = -INFINITY, h1 = -INFINITY, h2 = -INFINITY;
    int bad = 0;
    const float *pts = set->points;
#pragma omp parallel for num_threads(d->nt) schedule(static) reduction(min                         \
                                                                       : l0, l1, l2)               \
    reduction(max                                                                                  \
              : h0, h1, h2) reduction(|                                                            \
                                      : bad)
    for (size_t i = p0; i < p1; i++) {
        double p[3] = {pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]};
        if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2])) {
            bad = 1;
            continue;
        }
        nb_density_clamp_to_grid_(grid, p);
        l0 = fmin(l0, p[0]);
        l1 = fmin(l1, p[1]);
        l2 = fmin(l2, p[2]);
        h0 = fmax(h0, p[0]);
        h1 = fmax(h1, p[1]);
        h2 = fmax(h2, p[2]);
    }
    if (bad)
        return NB_RAISE(NB_E_NUMERIC, "sample_set points", "a point is not finite");
    lo[0] = l0;
    lo[1] = l1;
    lo[2] = l2;
    hi[0] = h0;
    hi[1] = h1;
    hi[2] = h2;
    *any = 1;
    return NB_OK;
}

/* Clamped floor of (x - origin)/h as a long within [-pad-2, n+pad+2]. */
static inline long grid_index(double x, double origin, double h, size_t n, long pad) {
    double f = floor((x - origin) / h);
    double lo = -(double)pad - 2.0, hi = (double)n + (double)pad + 2.0;
    return (long)(f < lo ? lo : (f > hi ? hi : f));
}

/* Sizes the box of cells reachable from the points (bounding box +- the window R) and grows
 * the cell and row buffers for it; sets x->box and the statistics. */
static nb_status exact_reserve(nb_density *d, exact_state *x, const nb_grid *grid,
                               const nb_sample_set *set, long R) {
    const size_t C = d->n_classes;
    const double h = grid->cell;
    double lo[3], hi[3];
    int any;
    NB_TRY(points_bbox(d, grid, set, lo, hi, &any));
    nb_density_box box;
    memset(&box, 0, sizeof box);
    box.step = h;
    if (any) {
        for (int a = 0; a < 3; a++) {
            long l = grid_index(lo[a], grid->origin[a], h, grid->n[a], R) - R;
            long u = grid_index(hi[a], grid->origin[a], h, grid->n[a], R) + R + 1;
            if (l < 0)
                l = 0;
            if (u > (long)grid->n[a] - 1)
                u = (long)grid->n[a] - 1;
            box.lo[a] = l;
            box.n[a] = u >= l ? (size_t)(u - l + 1) : 0;
            box.base[a] = grid->origin[a] + ((double)l + 0.5) * h;
        }
    }
    size_t cells = box.n[0] * box.n[1] * box.n[2];
    if (box.n[0] && (cells / box.n[0] / box.n[1] != box.n[2] || cells > SIZE_MAX / 8 / C))
        return NB_RAISE(NB_E_NOMEM, "density workspace", "exact grid of %zu x %zu x %zu cells",
                        box.n[0], box.n[1], box.n[2]);
    void *buf = x->cells;
    nb_status st = nb_density_reserve_(&buf, &x->cells_cap, cells * C, sizeof(int64_t));
    x->cells = buf;
    if (st != NB_OK)
        return st;
    x->box = box;
    d->stats.kernel_taps = 0;
    d->stats.cells = cells;
    d->stats.cell = box.step;
    if (cells == 0)
        return NB_OK;
    buf = x->row;
    st = nb_density_reserve_(&buf, &x->row_cap, box.n[0] * (size_t)d->threads, sizeof(double));
    x->row = buf;
    if (st != NB_OK)
        return st;
    if (box.n[0] > (size_t)INT_MAX)
        return NB_RAISE(NB_E_NOMEM, "density workspace", "exact grid rows of %zu cells", box.n[0]);
    return NB_OK;
}

/* Constants of one exact splat, shared by every thread. */
typedef struct exact_job {
    const nb_grid *grid;
    const nb_sample_set *set;
    const exact_state *x;
    size_t C;
    double h, b, kappa, S;
    long R;     /* the reference window: cells -R..R+1 around the midpoint's cell */
    int fits32; /* every trunc(S * value * q_c) fits int32 */
} exact_job;

/* One segment seen from the slab at z = zc: its ends, midpoint, length, direction, the
 * midpoint's cell (mx, my), its support spheroid (semi-axes^2 ae2 along dir, be2) and the rows
 * y0..y1 of the slab that the spheroid reaches. */
typedef struct exact_segment {
    double A[3], B[3], M[3], dir[3], len, ae2, be2, wz;
    long mx, my, y0, y1;
} exact_segment;

/* Fills *sg for segment (pa[0..2], pa[3..5]) and slab gz (centre zc); 0 when the segment adds
 * nothing to the slab (outside the window or the support, or its midpoint outside the grid). */
NB_DENSITY_INLINE int segment_in_slab(const exact_job *j, const float *pa, long gz, double zc,
                                      exact_segment *sg) {
    const nb_grid *grid = j->grid;
    const double h = j->h, ox = grid->origin[0], oy = grid->origin[1], oz = grid->origin[2];
    const long R = j->R, by = j->x->box.lo[1], ny = (long)j->x->box.n[1];
    const double *A = sg->A, *B = sg->B;
    for (int a = 0; a < 3; a++) {
        sg->A[a] = pa[a];
        sg->B[a] = pa[3 + a];
        sg->M[a] = 0.5 * (A[a] + B[a]);
    }
    const double *M = sg->M;
    const long mz = grid_index(M[2], oz, h, grid->n[2], R);
    if (gz < mz - R || gz > mz + R + 1)
        return 0;
    if (mz < 0 || mz > (long)grid->n[2] - 1)
        return 0;
    sg->mx = grid_index(M[0], ox, h, grid->n[0], R);
    sg->my = grid_index(M[1], oy, h, grid->n[1], R);
    if (sg->mx < 0 || sg->mx > (long)grid->n[0] - 1 || sg->my < 0 || sg->my > (long)grid->n[1] - 1)
        return 0;
    double v[3] = {B[0] - A[0], B[1] - A[1], B[2] - A[2]};
    const double len = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    double *dir = sg->dir;
    dir[0] = 1.0;
    dir[1] = dir[2] = 0.0;
    if (len > 0.0)
        for (int a = 0; a < 3; a++)
            dir[a] = v[a] / len;
    sg->len = len;
    /* support spheroid: semi-axes ae (along dir) and be, centre M */
    const double ae = 0.5 * (len + j->b + 2.0 * j->kappa) * (1.0 + 1e-9) + 1e-12;
    const double be2 = ae * ae - 0.25 * len * len;
    const double ae2 = ae * ae;
    sg->ae2 = ae2;
    sg->be2 = be2;
    sg->wz = zc - M[2];
    const double ez = sqrt(ae2 * dir[2] * dir[2] + be2 * (1.0 - dir[2] * dir[2]));
    if (fabs(sg->wz) > ez + h)
        return 0;
    const double ey = sqrt(ae2 * dir[1] * dir[1] + be2 * (1.0 - dir[1] * dir[1]));
    long y0 = sg->my - R, y1 = sg->my + R + 1;
    long fy0 = grid_index(M[1] - ey, oy, h, grid->n[1], R) - 1;
    long fy1 = grid_index(M[1] + ey, oy, h, grid->n[1], R) + 1;
    if (fy0 > y0)
        y0 = fy0;
    if (fy1 < y1)
        y1 = fy1;
    if (y0 < by)
        y0 = by;
    if (y1 > by + ny - 1)
        y1 = by + ny - 1;
    sg->y0 = y0;
    sg->y1 = y1;
    return y0 <= y1;
}

/* Adds segment sg with class vector q to the rows y0..y1 of slab (the cells at z = zc): per
 * row, the x-interval of the support spheroid, the kernel values of its cells
 * (seg_row_values), then trunc(S * value * q_c) into every cell with S * value >= 1. */
NB_DENSITY_INLINE void splat_segment_rows(const exact_job *j, const exact_segment *sg,
                                          int64_t *slab, double zc, const float *q,
                                          double *rowbuf) {
    const nb_grid *grid = j->grid;
    const size_t C = j->C, nx = j->x->box.n[0];
    const double h = j->h, ox = grid->origin[0], oy = grid->origin[1];
    const long R = j->R, bx = j->x->box.lo[0], by = j->x->box.lo[1];
    const double *M = sg->M, *dir = sg->dir, wz = sg->wz;
    const double kq = 1.0 / sg->ae2 - 1.0 / sg->be2;
    const double alpha = dir[0] * dir[0] * kq + 1.0 / sg->be2;
    for (long gy = sg->y0; gy <= sg->y1; gy++) {
        const double yc = oy + ((double)gy + 0.5) * h;
        const double wy = yc - M[1];
        const double s0 = wy * dir[1] + wz * dir[2];
        const double beta = 2.0 * dir[0] * s0 * kq;
        const double gamma = s0 * s0 * kq + (wy * wy + wz * wz) / sg->be2 - 1.0;
        const double disc = beta * beta - 4.0 * alpha * gamma;
        if (disc < 0.0)
            continue;
        const double sq = sqrt(disc);
        const double X0 = M[0] + (-beta - sq) / (2.0 * alpha);
        const double X1 = M[0] + (-beta + sq) / (2.0 * alpha);
        long x0 = sg->mx - R, x1 = sg->mx + R + 1;
        long fx0 = grid_index(X0, ox, h, grid->n[0], R) - 1;
        long fx1 = grid_index(X1, ox, h, grid->n[0], R) + 1;
        if (fx0 > x0)
            x0 = fx0;
        if (fx1 < x1)
            x1 = fx1;
        if (x0 < bx)
            x0 = bx;
        if (x1 > bx + (long)nx - 1)
            x1 = bx + (long)nx - 1;
        if (x0 > x1)
            continue;
        int64_t *row = slab + ((size_t)(gy - by) * nx) * C;
        seg_row_values(rowbuf, sg->A, sg->B, sg->len, M, dir, (int)x0, (int)x1, ox, h, yc, zc,
                       j->kappa, j->b, j->S);
        for (long gx = x0; gx <= x1; gx++) {
            const double sv = rowbuf[gx - x0];
            if (!(sv >= 1.0))
                continue;
            nb_density_add_channels_(row + (size_t)(gx - bx) * C, q, sv, C, j->fits32);
        }
    }
}

/* z-slice iz of the box, owned by the calling thread: zeroed, then every segment of the set
 * that reaches it is added. q: scratch of C floats; rowbuf: scratch of box.n[0] doubles. */
static void splat_slab(const exact_job *job, long iz, float *q, double *rowbuf) {
    const exact_job local = *job; /* a local copy: the cell stores below cannot alias it */
    const exact_job *j = &local;
    const nb_sample_set *set = j->set;
    const nb_density_box *box = &j->x->box;
    const size_t C = j->C, cells = box->n[0] * box->n[1];
    int64_t *slab = j->x->cells + (size_t)iz * cells * C;
    memset(slab, 0, cells * C * sizeof *slab);
    const long gz = box->lo[2] + iz;
    const double zc = j->grid->origin[2] + ((double)gz + 0.5) * j->h;
    for (size_t e = 0; e < set->n_edges; e++) {
        const size_t p0 = (size_t)set->point_offset[e];
        const size_t np = (size_t)(set->point_offset[e + 1] - set->point_offset[e]);
        for (size_t k = 0; k + 1 < np; k++) {
            exact_segment sg;
            if (!segment_in_slab(j, set->points + 3 * (p0 + k), gz, zc, &sg))
                continue;
            nb_density_edge_q_(set, C, e, k, np, q);
            splat_segment_rows(j, &sg, slab, zc, q, rowbuf);
        }
    }
}

/* Longest segment of the set (world units). */
static double longest_segment(const nb_sample_set *set) {
    double m2 = 0.0;
    for (size_t e = 0; e < set->n_edges; e++)
        for (uint64_t i = set->point_offset[e]; i + 1 < set->point_offset[e + 1]; i++) {
            const float *p = set->points + 3 * i;
            double dx = p[3] - p[0], dy = p[4] - p[1], dz = p[5] - p[2];
            double l2 = dx * dx + dy * dy + dz * dz;
            m2 = l2 > m2 ? l2 : m2;
        }
    return sqrt(m2);
}

static nb_status exact_splat(nb_density *d, void *state, const nb_grid *grid,
                             const nb_sample_set *set, double bandwidth) {
    exact_state *x = state;
    const double h = grid->cell;
    double Rd = ceil(bandwidth / h) + 1.0;
    if (set->whole_support) {
        /* the support of a segment reaches |AB|/2 + b + 2 kappa from its midpoint */
        double Rw =
            ceil((0.5 * longest_segment(set) + bandwidth + 2.0 * NB_DENSITY_KAPPA * h) / h) + 1.0;
        Rd = Rw > Rd ? Rw : Rd;
    }
    const exact_job j = {
        .grid = grid,
        .set = set,
        .x = x,
        .C = d->n_classes,
        .h = h,
        .b = bandwidth,
        .kappa = NB_DENSITY_KAPPA * h,
        .S = d->strength,
        .R = Rd > 1e9 ? 1000000000L : (long)Rd,
        .fits32 = d->strength * (4.0 / 3.0) < 2147483000.0, /* q_c <= 1 (nb_edge_importance.h) */
    };
    NB_TRY(exact_reserve(d, x, grid, set, j.R));
    const long nz = (long)x->box.n[2];
    if (x->box.n[0] * x->box.n[1] * x->box.n[2] == 0)
        return NB_OK;
#pragma omp parallel num_threads(d->nt)
    {
        const size_t tid = (size_t)omp_get_thread_num();
        float *q = d->scratch + tid * nb_density_scratch_floats_(j.C);
        double *rowbuf = x->row + tid * x->box.n[0];
#pragma omp for schedule(dynamic, 1)
        for (long iz = 0; iz < nz; iz++)
            splat_slab(&j, iz, q, rowbuf);
    }
    return NB_OK;
}

/* phi(D) = q . D - sim * |D| of grid cell (gx, gy, gz); zero density outside the box. */
static inline double exact_phi(const exact_state *x, size_t C, long gx, long gy, long gz,
                               const float *q, double sim, double sat) {
    const nb_density_box *bx = &x->box;
    long ix = gx - bx->lo[0], iy = gy - bx->lo[1], iz = gz - bx->lo[2];
    if (ix < 0 || iy < 0 || iz < 0 || ix >= (long)bx->n[0] || iy >= (long)bx->n[1] ||
        iz >= (long)bx->n[2])
        return 0.0;
    const int64_t *cell =
        x->cells + (((size_t)iz * bx->n[1] + (size_t)iy) * bx->n[0] + (size_t)ix) * C;
    double dot = 0.0, sq = 0.0;
    for (size_t c = 0; c < C; c++) {
        double v = (double)cell[c];
        dot += (double)q[c] * v;
        sq += v * v;
    }
    return dot - sim * nb_density_saturate_(sqrt(sq), sat);
}

/* Saturation scale s = kappa * sum |D|^2 / sum |D| over the cells of the box (0 when kappa
 * is 0 or the box is empty); per-plane partial sums added in plane order. */
static double exact_saturation(const nb_density *d, const exact_state *x, double kappa) {
    const nb_density_box *bx = &x->box;
    if (!(kappa > 0.0) || bx->n[0] == 0)
        return 0.0;
    const size_t C = d->n_classes, plane = bx->n[0] * bx->n[1];
    const long nz = (long)bx->n[2];
    double s1 = 0.0, s2 = 0.0;
#pragma omp parallel for num_threads(d->nt) schedule(static) ordered
    for (long iz = 0; iz < nz; iz++) {
        double p1 = 0.0, p2 = 0.0;
        const int64_t *cell = x->cells + (size_t)iz * plane * C;
        for (size_t t = 0; t < plane; t++) {
            double sq = 0.0;
            for (size_t c = 0; c < C; c++) {
                double v = (double)cell[t * C + c];
                sq += v * v;
            }
            p1 += sqrt(sq);
            p2 += sq;
        }
#pragma omp ordered
        {
            s1 += p1;
            s2 += p2;
        }
    }
    return s1 > 0.0 ? kappa * s2 / s1 : 0.0;
}

static void exact_move(nb_density *d, void *state, const nb_grid *grid, nb_sample_set *set,
                       double bandwidth, double similarity) {
    const exact_state *x = state;
    const double step_scale = set->step_fraction > 0.0 ? set->step_fraction : 1.0;
    const double sat = exact_saturation(d, x, set->repulsion_saturation);
    const size_t C = d->n_classes;
    const double h = grid->cell;
    float *pts = set->points;
    size_t moved = 0;
    const long ne = (long)set->n_edges;
#pragma omp parallel num_threads(d->nt) reduction(+ : moved)
    {
        float *q = d->scratch + (size_t)omp_get_thread_num() * nb_density_scratch_floats_(C);
#pragma omp for schedule(dynamic, 64)
        for (long le = 0; le < ne; le++) {
            const size_t e = (size_t)le;
            const size_t p0 = (size_t)set->point_offset[e];
            const size_t np = (size_t)(set->point_offset[e + 1] - set->point_offset[e]);
            for (size_t k = 1; k + 1 < np; k++) {
                float *pp = pts + 3 * (p0 + k);
                double p[3] = {pp[0], pp[1], pp[2]};
                nb_density_clamp_to_grid_(grid, p);
                nb_density_edge_q_(set, C, e, k, np, q);
                long ci[3];
                int side[3];
                for (int a = 0; a < 3; a++) {
                    double f = (p[a] - grid->origin[a]) / h;
                    double fl = floor(f);
                    if (fl > (double)grid->n[a] - 1.0)
                        fl = (double)grid->n[a] - 1.0;
                    if (fl < 0.0)
                        fl = 0.0;
                    ci[a] = (long)fl;
                    side[a] = (f - fl) - 0.5 >= 0.0 ? 1 : -1;
                }
                const double phi0 = exact_phi(x, C, ci[0], ci[1], ci[2], q, similarity, sat);
                double g[3] = {0.0, 0.0, 0.0};
                for (int a = 0; a < 3; a++) {
                    long nb = ci[a] + side[a];
                    if (nb < 0 || nb > (long)grid->n[a] - 1) {
                        side[a] = -side[a];
                        nb = ci[a] + side[a];
                        if (nb < 0 || nb > (long)grid->n[a] - 1)
                            continue;
                    }
                    long j[3] = {ci[0], ci[1], ci[2]};
                    j[a] = nb;
                    g[a] = side[a] * (exact_phi(x, C, j[0], j[1], j[2], q, similarity, sat) - phi0);
                }
                const double gn = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
                if (gn > 0.0 && isfinite(gn)) {
                    const double step = step_scale * bandwidth / gn;
                    for (int a = 0; a < 3; a++)
                        p[a] += step * g[a];
                    nb_density_clamp_to_grid_(grid, p);
                    moved++;
                }
                pp[0] = (float)p[0];
                pp[1] = (float)p[1];
                pp[2] = (float)p[2];
            }
        }
    }
    d->stats.moved = moved;
}

static void exact_query(const nb_density *d, const void *state, const double p[3], double *out) {
    const exact_state *x = state;
    const nb_grid *g = &d->sample_grid;
    if (x->box.n[0] == 0)
        return;
    long ci[3];
    for (int a = 0; a < 3; a++) {
        double f = floor((p[a] - g->origin[a]) / g->cell);
        if (f < -1.0 || f > (double)g->n[a])
            return;
        ci[a] = (long)f - x->box.lo[a];
        if (ci[a] < 0 || ci[a] >= (long)x->box.n[a])
            return;
    }
    const int64_t *cell =
        x->cells + (((size_t)ci[2] * x->box.n[1] + (size_t)ci[1]) * x->box.n[0] + (size_t)ci[0]) *
                       d->n_classes;
    for (size_t c = 0; c < d->n_classes; c++)
        out[c] = (double)cell[c];
}

/* ---- the interface ------------------------------------------------------------------------ */

static nb_status exact_create(const nb_density *d, void **state) {
    (void)d;
    *state = calloc(1, sizeof(exact_state));
    if (!*state)
        return NB_RAISE(NB_E_NOMEM, "density workspace", "cannot allocate the exact back-end");
    return NB_OK;
}

static void exact_destroy(void *state) {
    exact_state *x = state;
    if (!x)
        return;
    free(x->cells);
    free(x->row);
    free(x);
}

static uint64_t exact_bytes(const void *state) {
    const exact_state *x = state;
    return (uint64_t)(x->cells_cap * sizeof(int64_t) + x->row_cap * sizeof(double) + sizeof *x);
}

const nb_density_backend_ops nb_density_exact_backend = {
    .create = exact_create,
    .destroy = exact_destroy,
    .splat = exact_splat,
    .move = exact_move,
    .query = exact_query,
    .bytes = exact_bytes,
};
