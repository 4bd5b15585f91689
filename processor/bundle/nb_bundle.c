/* nb_bundle.c - the bundling driver: layout, pruning, node phase, edge phase, final resample.
 *
 * DESIGN: data flow (network, importance, config) -> node positions (nb_layout) -> kept
 * edges (nb_prune: score alpha * mean_c(source importance), exact count) -> node phase
 * (nb_density_advect_nodes on the 2-D node map) -> straight edges between the moved nodes,
 * sampled at s_0 (nb_sample_initial) -> edge phase (per layer pair and iteration k: resample
 * into the other ping-pong buffer at s_k = max(l, edge_spacing_bandwidth * b_k);
 * nb_density_advect_samples on that pair's grid; Laplacian smoothing) -> final resample at l ->
 * /bundle (nb_model.h) + metrics (nb_metrics). The smoothing of iteration k runs fused into the
 * resample that starts iteration k+1 (or the final one): nb_sample_resample_smoothed smooths each
 * edge in cache and resamples it, which reads the polylines once instead of twice and gives
 * bit-identical results; snapshots taken between steps apply the pending smoothing to their copy.
 * Order of operations and schedules: method.md §4.12 and §4.6, minus its quirks (no
 * dropped edges, no point cap, no redundant straight-edge rebuilds, a phase whose initial
 * bandwidth is already below 2h runs zero iterations). Polylines are kept per layer pair
 * (one CSR buffer pair each) because layer pairs never see each other's density and the
 * density back-end takes one pair's polylines with offsets local to it; the edge phase keeps
 * per-pair state (pair_done, pair_finished), so it runs iteration by iteration over all pairs
 * (nb_bundle_step) or pair by pair (nb_bundle_pair_step) with the same bytes. A pair's straight
 * edges are sampled when it is first needed (pair_sample), so pairs that have not started hold
 * no points. Streaming (nb_bundle_stream_pair / nb_bundle_finish_streamed): each finished pair is
 * measured (nb_metrics_acc, first pass), handed to the caller's sink and released; the ink
 * ratio's second pass reads the pairs back through the sink.
 * Threading: the driver itself is sequential; every stage it calls is OpenMP-parallel with
 * `threads` threads and deterministic, so the whole run is identical for any thread count.
 * The cancel flag and the progress counters are C11 atomics so that other threads may set /
 * read them while a step runs.
 * Node phase changes (docs/bundling.md, "Node phase"): a node's step is scaled by its class
 * contrast (contrast_init), and after every node iteration a layout guard keeps each layer
 * spread out and its nodes apart (guard_layer). Edge phase change ("Edge phase"): the
 * repulsion term saturates with density (nb_sample_set.repulsion_saturation, applied by the
 * density back-ends). Metrics add the ink ratio against the laid-out straight drawing.
 * Config keys read: the fields of nb_bundle_settings, one per key (BUNDLE_REALS, BUNDLE_INTS,
 * BUNDLE_BOOLS and density below); they are resolved and checked against the key table in one
 * place (nb_bundle_settings_resolve / _validate), never range-checked here.
 */
#include "nb_bundle.h"

#include <math.h>
#include <stdio.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nb_density.h"
#include "nb_edge_importance.h"
#include "nb_layout.h"
#include "nb_log.h"
#include "nb_metrics.h"
#include "nb_prune.h"
#include "nb_sample.h"
#include "nb_smooth.h"

struct nb_bundle_state {
    nb_bundle_settings s; /* resolved; s.record is not kept */
    int threads;
    nb_layout_desc layout;
    double spacing; /* l */
    double cell;    /* h */
    double limit;   /* 2h */
    double node_b0, edge_b0;

    size_t n_layers, n_nodes, n_classes;
    int64_t *layer_offset; /* [L+1] */
    float *node_pos;       /* [N][3] */
    float *node_imp;       /* [N][C] */
    nb_node_stats *node_stats;
    /* node-phase layout guard (node_min_spread, node_min_distance) */
    float *node_weight;   /* [N] step weight from the class contrast (node_class_contrast) */
    float *layout_pos;    /* [N][3] node positions as laid out, before the node phase */
    double *spread0;      /* [L][2] laid-out std of x and y per layer */
    double *guard_move;   /* [max layer][2] separation displacements (Jacobi) */
    uint32_t *guard_next; /* [max layer] hash chains */
    uint32_t *guard_head; /* [guard_cap] hash heads */
    size_t guard_cap;

    size_t n_edges, n_edges_total;
    size_t *pair_edge; /* [L]: pair l's edges are [pair_edge[l], pair_edge[l+1]) */
    uint32_t *edge_source, *edge_target;
    float *edge_alpha;

    nb_grid node_grid;
    nb_grid *pair_grid;    /* [L-1] */
    nb_sample_buffer *cur; /* [L-1] current polylines per pair */
    nb_sample_buffer *nxt; /* [L-1] ping-pong partner */
    /* Buffers of finished or released pairs kept for the pairs still to start (at most two,
     * the largest; spare_put): a pair that starts from them writes into pages that are
     * already mapped instead of faulting in fresh ones (docs/bundling.md, "Memory") */
    nb_sample_buffer spare[2];
    nb_density *density;
    /* Per layer pair: edge iterations done and whether its final resample ran. The smoothing
     * of a pair's last iteration k is not applied at once: it runs fused into the pair's next
     * resample (nb_sample_resample_smoothed), which reads the polylines once instead of twice;
     * snapshots apply it to their copy, so what callers see is unchanged (pending_smoothing). */
    int *pair_done;      /* [L-1] */
    bool *pair_finished; /* [L-1] */
    bool *pair_released; /* [L-1] polylines handed out and freed (nb_bundle_pair_release) */
    /* [L-1] straight edges sampled: a pair's straight edges are sampled at its first edge
     * iteration (or its final resample, or a snapshot), not all at the end of the node phase,
     * so that pairs that have not started hold no polylines (docs/bundling.md, "Memory") */
    bool *pair_sampled;
    /* streaming (nb_bundle_stream_pair): pairs handed to the sink so far, in pair order, their
     * metrics pass 1, and the global polyline offsets [E+1] of those pairs */
    size_t streamed;
    nb_metrics_acc *stream_acc;
    uint64_t *stream_offset;

    int node_iterations, edge_iterations;
    int node_done, edge_done;
    bool finished; /* final resample done */
    bool measured; /* metrics computed */
    nb_bundle_metrics metrics;
    char *config_json;
    nb_bundle_timings t;
    double t_start;

    _Atomic int phase;     /* nb_bundle_phase */
    _Atomic int iteration; /* of the current phase */
    _Atomic int cancel;
};

int nb_bundle_iteration_count(double b0, double reduction, double limit) {
    int k = 0;
    while (k < 100000 && b0 * pow(reduction, (double)k) >= limit)
        k++;
    return k;
}

double nb_bundle_similarity(double b, double b0, double limit, double max) {
    double s = b0 <= limit ? 1.0 : 1.0 - (b - limit) / (b0 - limit);
    s = s > 0.0 ? sqrt(s) : 0.0;
    return s < max ? s : max;
}

/* ---- settings ------------------------------------------------------------------------------
 * The processing keys of this stage by type; each list drives from_config, resolve and the
 * mapping back onto a processing config (validation by the key table and the record). The
 * settings fields are named like the keys. */
#define BUNDLE_REALS(X)                                                                            \
    X(layer_distance)                                                                              \
    X(layer_width)                                                                                 \
    X(prune_percentage)                                                                            \
    X(sampling_rate)                                                                               \
    X(node_bandwidth)                                                                              \
    X(edge_bandwidth)                                                                              \
    X(node_bandwidth_reduction)                                                                    \
    X(edge_bandwidth_reduction)                                                                    \
    X(node_step)                                                                                   \
    X(node_class_contrast)                                                                         \
    X(node_min_spread)                                                                             \
    X(node_min_distance)                                                                           \
    X(edge_step)                                                                                   \
    X(edge_similarity_max)                                                                         \
    X(edge_repulsion_saturation)                                                                   \
    X(edge_spacing_bandwidth)                                                                      \
    X(density_strength)                                                                            \
    X(smoothing_percent)                                                                           \
    X(fast_kernel_scale)
#define BUNDLE_INTS(X)  X(edge_importance_type) X(smoothing_iterations)
#define BUNDLE_BOOLS(X) X(edge_clamp_to_layers) X(smoothing) X(node_advection) X(edge_advection)

nb_status nb_bundle_settings_from_config(const nb_processing_config *cfg, nb_bundle_settings *out) {
    NB_TRY(nb_config_validate(&nb_processing_schema, cfg));
    memset(out, 0, sizeof *out);
#define FROM(k)     out->k = nb_setting_from_value(#k, cfg->k);
#define FROM_INT(k) out->k = (int)nb_setting_from_value(#k, (double)cfg->k);
    BUNDLE_REALS(FROM)
    BUNDLE_INTS(FROM_INT)
    BUNDLE_BOOLS(FROM_INT)
#undef FROM
#undef FROM_INT
    out->density = (nb_density_backend)nb_setting_from_value("density", (double)cfg->density);
    out->record = cfg;
    return NB_OK;
}

void nb_bundle_settings_resolve(const nb_bundle_settings *settings, nb_bundle_settings *out) {
    nb_bundle_settings r = *settings;
#define RESOLVE(k)     r.k = nb_setting_value(#k, settings->k);
#define RESOLVE_INT(k) r.k = (int)nb_setting_value(#k, (double)settings->k);
    BUNDLE_REALS(RESOLVE)
    BUNDLE_INTS(RESOLVE_INT)
    BUNDLE_BOOLS(RESOLVE_INT)
#undef RESOLVE
#undef RESOLVE_INT
    r.density = (nb_density_backend)nb_setting_value("density", (double)settings->density);
    *out = r;
}

/* *cfg = the record (or the defaults) with the bundle keys set from the resolved settings r. */
static void settings_to_config(const nb_bundle_settings *r, nb_processing_config *cfg) {
    if (r->record)
        *cfg = *r->record;
    else
        nb_config_defaults(&nb_processing_schema, cfg);
#define BACK(k)      cfg->k = r->k;
#define BACK_BOOL(k) cfg->k = r->k != 0;
    BUNDLE_REALS(BACK)
    BUNDLE_INTS(BACK)
    BUNDLE_BOOLS(BACK_BOOL)
#undef BACK
#undef BACK_BOOL
    cfg->density = (int)r->density;
}

nb_status nb_bundle_settings_validate(const nb_bundle_settings *settings) {
    nb_bundle_settings r;
    nb_processing_config cfg;
    nb_bundle_settings_resolve(settings, &r);
    settings_to_config(&r, &cfg);
    return nb_config_validate(&nb_processing_schema, &cfg);
}

/* ---- node-phase layout guard ------------------------------------------------------------ */

/* Layout spacing of layer l: layer_width / ceil(sqrt(n)) (nb_layout.h). */
static double layer_spacing(const nb_bundle_state *st, size_t n) {
    double s = ceil(sqrt((double)n));
    return st->s.layer_width / (s > 0.0 ? s : 1.0);
}

/* Spread guard of layer l (pos: its n nodes): an axis whose standard deviation fell below
 * node_min_spread times its laid-out value is scaled about the layer's mean back to that
 * value, clamped to [lo, hi]. */
static void restore_spread(const nb_bundle_state *st, size_t l, float *pos, size_t n,
                           const double lo[2], const double hi[2]) {
    double spread[2];
    nb_layout_spread(pos, n, spread);
    for (int a = 0; a < 2; a++) {
        const double want = st->s.node_min_spread * st->spread0[2 * l + (size_t)a];
        if (!(spread[a] < want) || !(spread[a] > 0.0))
            continue;
        double mean = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += pos[3 * i + (size_t)a];
        mean /= (double)n;
        const double f = want / spread[a];
        for (size_t i = 0; i < n; i++) {
            double v = mean + (pos[3 * i + (size_t)a] - mean) * f;
            pos[3 * i + (size_t)a] = (float)(v < lo[a] ? lo[a] : (v > hi[a] ? hi[a] : v));
        }
    }
}

/* One Jacobi pass of the separation guard over the n nodes at pos: every pair closer than
 * dmin gets half the overlap each, along its join, into st->guard_move (found through a
 * uniform hash grid of at most guard_cap cells of side >= dmin); coincident nodes part along
 * a direction fixed by their ids. Returns the number of pushes (0: nothing to do). */
static size_t separation_pass(nb_bundle_state *st, const float *pos, size_t n, double dmin) {
    double *mv = st->guard_move;
    double bmin[2] = {INFINITY, INFINITY}, bmax[2] = {-INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < 2; a++) {
            bmin[a] = fmin(bmin[a], pos[3 * i + (size_t)a]);
            bmax[a] = fmax(bmax[a], pos[3 * i + (size_t)a]);
        }
    /* cells of side >= dmin (so a 3 x 3 block holds every neighbour closer than dmin) */
    double cell = dmin;
    size_t cx, cy;
    for (;;) {
        cx = (size_t)((bmax[0] - bmin[0]) / cell) + 1;
        cy = (size_t)((bmax[1] - bmin[1]) / cell) + 1;
        if (cx * cy <= st->guard_cap)
            break;
        cell *= 1.5;
    }
    for (size_t c = 0; c < cx * cy; c++)
        st->guard_head[c] = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t ix = (size_t)((pos[3 * i] - bmin[0]) / cell);
        size_t iy = (size_t)((pos[3 * i + 1] - bmin[1]) / cell);
        size_t c = (iy < cy ? iy : cy - 1) * cx + (ix < cx ? ix : cx - 1);
        st->guard_next[i] = st->guard_head[c];
        st->guard_head[c] = (uint32_t)i;
    }
    size_t pushed = 0;
    for (size_t i = 0; i < n; i++) {
        mv[2 * i] = mv[2 * i + 1] = 0.0;
        const double xi = pos[3 * i], yi = pos[3 * i + 1];
        const long ix = (long)((xi - bmin[0]) / cell), iy = (long)((yi - bmin[1]) / cell);
        for (long jy = iy - 1; jy <= iy + 1; jy++)
            for (long jx = ix - 1; jx <= ix + 1; jx++) {
                if (jx < 0 || jy < 0 || jx >= (long)cx || jy >= (long)cy)
                    continue;
                for (uint32_t j = st->guard_head[(size_t)jy * cx + (size_t)jx]; j != UINT32_MAX;
                     j = st->guard_next[j]) {
                    if (j == i)
                        continue;
                    double dx = xi - pos[3 * (size_t)j], dy = yi - pos[3 * (size_t)j + 1];
                    double d = sqrt(dx * dx + dy * dy);
                    if (!(d < dmin))
                        continue;
                    if (d > 0.0) {
                        dx /= d;
                        dy /= d;
                    } else { /* coincident: a direction fixed by the pair, opposite for j */
                        size_t a = i < j ? i : j, b = i < j ? j : i;
                        double t = 2.399963229728653 * (double)(a * 7919u + b);
                        dx = (i < j ? 1.0 : -1.0) * cos(t);
                        dy = (i < j ? 1.0 : -1.0) * sin(t);
                    }
                    mv[2 * i] += 0.5 * (dmin - d) * dx;
                    mv[2 * i + 1] += 0.5 * (dmin - d) * dy;
                    pushed++;
                }
            }
    }
    return pushed;
}

/* Keeps layer l readable after a node iteration (docs/bundling.md, "Node phase"): the spread
 * guard (restore_spread), then up to 4 passes of the separation guard (separation_pass),
 * nodes closer than node_min_distance layout spacings pushed apart. Positions stay inside the
 * node map minus 2 cells. Sequential and in a fixed order, so the result does not depend on
 * the thread count. */
static void guard_layer(nb_bundle_state *st, size_t l) {
    const size_t o = (size_t)st->layer_offset[l];
    const size_t n = (size_t)(st->layer_offset[l + 1] - st->layer_offset[l]);
    float *pos = st->node_pos + 3 * o;
    const nb_grid *g = &st->node_grid;
    double lo[2], hi[2];
    for (int a = 0; a < 2; a++) {
        lo[a] = g->origin[a] + 2.0 * g->cell;
        hi[a] = g->origin[a] + (double)g->n[a] * g->cell - 2.0 * g->cell;
    }
    if (n < 2)
        return;
    if (st->s.node_min_spread > 0.0)
        restore_spread(st, l, pos, n, lo, hi);
    const double dmin = st->s.node_min_distance * layer_spacing(st, n);
    if (!(dmin > 0.0))
        return;
    for (int pass = 0; pass < 4; pass++) {
        if (!separation_pass(st, pos, n, dmin))
            break;
        for (size_t i = 0; i < n; i++)
            for (int a = 0; a < 2; a++) {
                double v = pos[3 * i + (size_t)a] + st->guard_move[2 * i + (size_t)a];
                pos[3 * i + (size_t)a] = (float)(v < lo[a] ? lo[a] : (v > hi[a] ? hi[a] : v));
            }
    }
}

/* Records every layer's laid-out spread and sizes the guard's scratch. */
static nb_status guard_init(nb_bundle_state *st) {
    size_t L = st->n_layers, nmax = 0;
    st->spread0 = malloc(2 * L * sizeof *st->spread0);
    st->layout_pos = malloc((st->n_nodes ? st->n_nodes : 1) * 3 * sizeof *st->layout_pos);
    if (!st->spread0 || !st->layout_pos)
        return NB_RAISE(NB_E_NOMEM, "bundle", "no room for the layer spreads");
    memcpy(st->layout_pos, st->node_pos, st->n_nodes * 3 * sizeof *st->layout_pos);
    for (size_t l = 0; l < L; l++) {
        size_t n = (size_t)(st->layer_offset[l + 1] - st->layer_offset[l]);
        nb_layout_spread(st->node_pos + 3 * (size_t)st->layer_offset[l], n, st->spread0 + 2 * l);
        nmax = n > nmax ? n : nmax;
    }
    st->guard_cap = 4 * nmax + 16;
    st->guard_move = malloc(2 * (nmax ? nmax : 1) * sizeof *st->guard_move);
    st->guard_next = malloc((nmax ? nmax : 1) * sizeof *st->guard_next);
    st->guard_head = malloc(st->guard_cap * sizeof *st->guard_head);
    if (!st->guard_move || !st->guard_next || !st->guard_head)
        return NB_RAISE(NB_E_NOMEM, "bundle", "no room for the node guard (%zu nodes)", nmax);
    return NB_OK;
}

/* Class contrast of every node (docs/bundling.md, "Node phase"): theta_i is the angle between
 * node i's class vector and the mean class vector of its layer; the node's step is scaled by
 * min(1, sin(theta_i) / node_class_contrast), so a node that prefers no class more than its
 * layer does has nothing to be drawn to and stays (node_class_contrast = 0: every node takes
 * the full step, the reference). Warns, in one line, about every layer but the last whose
 * mean cos(theta) is >= 0.95: its class importance is nearly the same for every node. */
static nb_status contrast_init(nb_bundle_state *st) {
    size_t C = st->n_classes, L = st->n_layers;
    st->node_weight = malloc((st->n_nodes ? st->n_nodes : 1) * sizeof *st->node_weight);
    double *mean = malloc(C * sizeof *mean);
    if (!st->node_weight || !mean) {
        free(mean);
        return NB_RAISE(NB_E_NOMEM, "bundle", "no room for %zu node weights", st->n_nodes);
    }
    const double full = st->s.node_class_contrast;
    char layers[256] = "", cosines[256] = "";
    size_t ll = 0, lc = 0;
    for (size_t l = 0; l < L; l++) {
        size_t o = (size_t)st->layer_offset[l];
        size_t n = (size_t)(st->layer_offset[l + 1] - st->layer_offset[l]);
        double mm = 0.0, cos_sum = 0.0;
        size_t counted = 0;
        for (size_t c = 0; c < C; c++)
            mean[c] = 0.0;
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < C; c++)
                mean[c] += st->node_imp[(o + i) * C + c];
        for (size_t c = 0; c < C; c++)
            mm += mean[c] * mean[c];
        for (size_t i = 0; i < n; i++) {
            double dot = 0.0, vv = 0.0;
            for (size_t c = 0; c < C; c++) {
                double v = st->node_imp[(o + i) * C + c];
                dot += v * mean[c];
                vv += v * v;
            }
            double cs = vv > 0.0 && mm > 0.0 ? dot / sqrt(vv * mm) : 1.0;
            cs = cs > 1.0 ? 1.0 : cs;
            if (vv > 0.0) {
                cos_sum += cs;
                counted++;
            }
            double sn = sqrt(1.0 - cs * cs);
            st->node_weight[o + i] = full > 0.0 ? (float)(sn < full ? sn / full : 1.0) : 1.0f;
        }
        double mc = counted ? cos_sum / (double)counted : 1.0;
        if (l + 1 < L && C > 1 && counted > 1 && mc >= 0.95 && ll + 24 < sizeof layers &&
            lc + 24 < sizeof cosines) {
            ll += (size_t)snprintf(layers + ll, sizeof layers - ll, "%s%zu", ll ? ", " : "", l);
            lc += (size_t)snprintf(cosines + lc, sizeof cosines - lc, "%s%.3f", lc ? ", " : "", mc);
        }
    }
    free(mean);
    if (ll)
        nb_log_warn("class importance is nearly the same for every node of layer(s) %s (mean "
                    "cosine with the layer's mean class vector %s): nodes with no class of "
                    "their own keep their layout and the picture shows little class structure; "
                    "train longer, raise importance_epochs, or run `nnbundle importance` if the "
                    "file has none",
                    layers, cosines);
    return NB_OK;
}

/* ---- create --------------------------------------------------------------------------- */

void nb_bundle_destroy(nb_bundle_state *st) {
    if (!st)
        return;
    if (st->cur)
        for (size_t p = 0; p + 1 < st->n_layers; p++) {
            nb_sample_deinit(&st->cur[p]);
            nb_sample_deinit(&st->nxt[p]);
        }
    nb_sample_deinit(&st->spare[0]);
    nb_sample_deinit(&st->spare[1]);
    free(st->cur);
    free(st->nxt);
    free(st->pair_done);
    free(st->pair_finished);
    free(st->pair_released);
    free(st->pair_sampled);
    nb_metrics_acc_destroy(st->stream_acc);
    free(st->stream_offset);
    free(st->pair_grid);
    nb_density_destroy(st->density);
    free(st->layer_offset);
    free(st->node_pos);
    free(st->node_imp);
    free(st->node_stats);
    free(st->spread0);
    free(st->layout_pos);
    free(st->node_weight);
    free(st->guard_move);
    free(st->guard_next);
    free(st->guard_head);
    free(st->pair_edge);
    free(st->edge_source);
    free(st->edge_target);
    free(st->edge_alpha);
    free(st->config_json);
    free(st);
}

static nb_status check_shapes(const nb_network *net, const nb_importance *imp) {
    if (net->n_layers < 2)
        return NB_RAISE(NB_E_INVALID, "network", "%zu layers, need at least 2", net->n_layers);
    if (imp->n_layers != net->n_layers)
        return NB_RAISE(NB_E_MISMATCH, "importance", "%zu layers, the network has %zu",
                        imp->n_layers, net->n_layers);
    for (size_t l = 0; l < net->n_layers; l++)
        if (imp->layer_size[l] != net->layer_size[l])
            return NB_RAISE(NB_E_MISMATCH, "importance",
                            "layer %zu has %zu nodes, the network has %zu", l, imp->layer_size[l],
                            net->layer_size[l]);
    if (imp->n_classes == 0)
        return NB_RAISE(NB_E_MISMATCH, "importance", "no classes");
    if (nb_network_n_nodes(net) > UINT32_MAX)
        return NB_RAISE(NB_E_INVALID, "network", "%zu nodes (at most 2^32)",
                        nb_network_n_nodes(net));
    return NB_OK;
}

/* Kept edges in weight order: pruning (method.md §3.4) by alpha * mean(source importance). */
static nb_status select_edges(nb_bundle_state *st, const nb_network *net,
                              const nb_importance *imp) {
    size_t L = st->n_layers, total = nb_network_n_edges(net);
    uint8_t *keep = NULL;
    size_t kept = total;
    st->n_edges_total = total;
    if (st->s.prune_percentage > 0.0 && total > 0) {
        float *scores = malloc(total * sizeof *scores);
        keep = malloc(total);
        if (!scores || !keep) {
            free(scores);
            free(keep);
            return NB_RAISE(NB_E_NOMEM, "pruning", "no room for %zu edge scores", total);
        }
        nb_status s = nb_prune_scores(imp, NB_PRUNE_ALPHA_MEAN_GAMMA, -1, scores);
        size_t pruned = 0;
        if (s == NB_OK)
            s = nb_prune_mask(scores, total, st->s.prune_percentage, keep, &pruned);
        free(scores);
        if (s != NB_OK) {
            free(keep);
            return s;
        }
        kept = total - pruned;
    }
    st->pair_edge = calloc(L, sizeof *st->pair_edge);
    st->edge_source = malloc((kept ? kept : 1) * sizeof *st->edge_source);
    st->edge_target = malloc((kept ? kept : 1) * sizeof *st->edge_target);
    st->edge_alpha = malloc((kept ? kept : 1) * sizeof *st->edge_alpha);
    if (!st->pair_edge || !st->edge_source || !st->edge_target || !st->edge_alpha) {
        free(keep);
        return NB_RAISE(NB_E_NOMEM, "edges", "no room for %zu edges", kept);
    }
    size_t e = 0, w = 0;
    for (size_t l = 0; l + 1 < L; l++) {
        st->pair_edge[l] = e;
        size_t n_in = net->layer_size[l], n_out = net->layer_size[l + 1];
        uint32_t base_in = (uint32_t)st->layer_offset[l];
        uint32_t base_out = (uint32_t)st->layer_offset[l + 1];
        const float *alpha = nb_importance_edge(imp, l);
        for (size_t j = 0; j < n_out; j++)
            for (size_t i = 0; i < n_in; i++, w++) {
                if (keep && !keep[w])
                    continue;
                st->edge_source[e] = base_in + (uint32_t)i;
                st->edge_target[e] = base_out + (uint32_t)j;
                st->edge_alpha[e] = alpha[j * n_in + i];
                e++;
            }
    }
    st->pair_edge[L - 1] = e;
    st->n_edges = e;
    free(keep);
    return NB_OK;
}

/* The per-node arrays of st (layer offsets, class importance with its stats, positions to
 * be laid out) and the per-pair ones (grids, polyline buffers). NB_E_MISMATCH, NB_E_NUMERIC
 * ("importance": a value is not finite), NB_E_NOMEM. */
static nb_status copy_nodes(nb_bundle_state *st, const nb_network *net, const nb_importance *imp) {
    const size_t L = st->n_layers, N = st->n_nodes, C = st->n_classes;
    st->layer_offset = malloc((L + 1) * sizeof *st->layer_offset);
    st->node_pos = malloc(N * 3 * sizeof *st->node_pos);
    st->node_imp = malloc(N * C * sizeof *st->node_imp);
    st->node_stats = malloc(N * sizeof *st->node_stats);
    st->pair_grid = calloc(L - 1, sizeof *st->pair_grid);
    st->cur = calloc(L - 1, sizeof *st->cur);
    st->nxt = calloc(L - 1, sizeof *st->nxt);
    st->pair_done = calloc(L - 1, sizeof *st->pair_done);
    st->pair_finished = calloc(L - 1, sizeof *st->pair_finished);
    st->pair_released = calloc(L - 1, sizeof *st->pair_released);
    st->pair_sampled = calloc(L - 1, sizeof *st->pair_sampled);
    if (!st->layer_offset || !st->node_pos || !st->node_imp || !st->node_stats || !st->pair_grid ||
        !st->cur || !st->nxt || !st->pair_done || !st->pair_finished || !st->pair_released ||
        !st->pair_sampled)
        return NB_RAISE(NB_E_NOMEM, "bundle", "no room for %zu nodes", N);
    st->layer_offset[0] = 0;
    for (size_t l = 0; l < L; l++)
        st->layer_offset[l + 1] = st->layer_offset[l] + (int64_t)net->layer_size[l];
    if (imp->node_offset[L] != N * C)
        return NB_RAISE(NB_E_MISMATCH, "importance", "%zu node values, expected %zu x %zu",
                        imp->node_offset[L], N, C);
    memcpy(st->node_imp, imp->node, N * C * sizeof *st->node_imp);
    for (size_t i = 0; i < N; i++) {
        for (size_t c = 0; c < C; c++)
            if (!isfinite(st->node_imp[i * C + c]))
                return NB_RAISE(NB_E_NUMERIC, "importance", "node %zu class %zu is not finite", i,
                                c);
        st->node_stats[i] = nb_node_stats_of(st->node_imp + i * C, C);
    }
    return NB_OK;
}

static nb_status enter_edge_phase(nb_bundle_state *st);

nb_status nb_bundle_create(const nb_bundle_settings *settings, const nb_network *net,
                           const nb_importance *imp, int threads, nb_bundle_state **out) {
    double t0 = nb_time_now();
    nb_bundle_settings r;
    nb_processing_config record;
    nb_bundle_settings_resolve(settings, &r);
    settings_to_config(&r, &record);
    NB_TRY(nb_config_validate(&nb_processing_schema, &record));
    NB_TRY(check_shapes(net, imp));
    nb_bundle_state *st = calloc(1, sizeof *st);
    if (!st)
        return NB_RAISE(NB_E_NOMEM, "bundle", "no room for the bundling state");
    st->t_start = t0;
    st->s = r;
    st->s.record = NULL;
    st->threads = threads > 0 ? threads : omp_get_max_threads();
    st->layout = (nb_layout_desc){r.layer_width, r.layer_distance, r.sampling_rate};
    st->spacing = nb_layout_sample_spacing(&st->layout);
    st->cell = nb_layout_cell(&st->layout);
    st->limit = 2.0 * st->cell;
    st->node_b0 = r.node_bandwidth * r.layer_width;
    st->edge_b0 = r.edge_bandwidth * r.layer_width;
    st->n_layers = net->n_layers;
    st->n_nodes = nb_network_n_nodes(net);
    st->n_classes = imp->n_classes;
    const size_t L = st->n_layers, C = st->n_classes;
    atomic_store(&st->phase, NB_BUNDLE_PHASE_NODE);
    atomic_store(&st->iteration, 0);
    atomic_store(&st->cancel, 0);

    nb_status s = copy_nodes(st, net, imp);
    if (s != NB_OK)
        goto fail;
    if ((s = nb_layout_nodes(&st->layout, L, net->layer_size, st->node_pos)) != NB_OK)
        goto fail;
    if ((s = nb_layout_node_grid(&st->layout, L, &st->node_grid)) != NB_OK)
        goto fail;
    for (size_t p = 0; p + 1 < L; p++)
        if ((s = nb_layout_pair_grid(&st->layout, L, p, &st->pair_grid[p])) != NB_OK)
            goto fail;
    if ((s = guard_init(st)) != NB_OK)
        goto fail;
    if ((s = contrast_init(st)) != NB_OK)
        goto fail;
    if ((s = select_edges(st, net, imp)) != NB_OK)
        goto fail;
    if ((s = nb_config_to_json(&nb_processing_schema, &record, &st->config_json)) != NB_OK)
        goto fail;

    st->node_iterations =
        r.node_advection
            ? nb_bundle_iteration_count(st->node_b0, r.node_bandwidth_reduction, st->limit)
            : 0;
    st->edge_iterations =
        r.edge_advection
            ? nb_bundle_iteration_count(st->edge_b0, r.edge_bandwidth_reduction, st->limit)
            : 0;
    if (st->node_iterations + st->edge_iterations > 0 &&
        (s = nb_density_create(r.density, C, r.density_strength, st->threads, &st->density)) !=
            NB_OK)
        goto fail;
    if (st->density &&
        (s = nb_density_set_fast_kernel_scale(st->density, r.fast_kernel_scale)) != NB_OK)
        goto fail;
    st->t.layout = nb_time_now() - t0;
    if (st->node_iterations == 0 && (s = enter_edge_phase(st)) != NB_OK)
        goto fail;
    *out = st;
    return NB_OK;
fail:
    nb_bundle_destroy(st);
    return s;
}

/* ---- phases --------------------------------------------------------------------------- */

static double edge_spacing(const nb_bundle_state *st, int k);

/* Whether b owns no memory (no points, offsets or resampling stage). */
static bool buffer_empty(const nb_sample_buffer *b) {
    return b->point_capacity == 0 && b->edge_capacity == 0 && !b->stage;
}

/* Whether a pair may still take a spare buffer: one not yet sampled nor released. */
static bool pair_waiting(const nb_bundle_state *st) {
    for (size_t p = 0; p + 1 < st->n_layers; p++)
        if (!st->pair_sampled[p] && !st->pair_released[p])
            return true;
    return false;
}

/* Moves *b (capacity, contents and resampling stage; left zeroed) into the spares when a pair
 * is still waiting to start, keeping the two largest by point capacity; frees it otherwise.
 * Glibc returns blocks of 1 MiB and more to the system when freed (cli_bundle.c sets the
 * threshold), so without the spares every pair faults its buffers in afresh, which on the
 * project's VM cost seconds per GB (docs/bundling.md, "Memory"). */
static void spare_put(nb_bundle_state *st, nb_sample_buffer *b) {
    if (buffer_empty(b))
        return;
    if (!pair_waiting(st)) {
        nb_sample_deinit(b);
        return;
    }
    nb_sample_buffer *slot = &st->spare[0];
    if (st->spare[1].point_capacity < slot->point_capacity)
        slot = &st->spare[1];
    if (slot->point_capacity > b->point_capacity) {
        nb_sample_deinit(b);
        return;
    }
    nb_sample_deinit(slot);
    *slot = *b;
    nb_sample_init(b);
}

/* Gives the empty buffer *b the largest spare, if any (its old contents are overwritten by
 * the next sampling or resample, which write every offset and point they report). */
static void spare_take(nb_bundle_state *st, nb_sample_buffer *b) {
    if (!buffer_empty(b))
        return;
    nb_sample_buffer *slot = &st->spare[0];
    if (st->spare[1].point_capacity > slot->point_capacity)
        slot = &st->spare[1];
    if (buffer_empty(slot))
        return;
    *b = *slot;
    nb_sample_init(slot);
    b->n_edges = b->n_points = 0;
}

/* Frees the spares once no pair is waiting to start (they would only add to the peak of what
 * follows: the metrics, the write). */
static void spare_drop_unused(nb_bundle_state *st) {
    if (pair_waiting(st))
        return;
    nb_sample_deinit(&st->spare[0]);
    nb_sample_deinit(&st->spare[1]);
}

/* Pair p's straight edges between the (moved) nodes (method.md §4.12 after the node loop),
 * sampled at the spacing of the first edge iteration, s_0 (l without edge iterations or with
 * edge_spacing_bandwidth 0), unless done already. Run lazily, when the pair is first needed:
 * the node positions no longer change after the node phase, so the samples are the same
 * whenever it runs, and pairs that wait for their turn hold no points. */
static nb_status pair_sample(nb_bundle_state *st, size_t p) {
    if (st->pair_sampled[p])
        return NB_OK;
    double t0 = nb_time_now();
    size_t e0 = st->pair_edge[p], e1 = st->pair_edge[p + 1];
    spare_take(st, &st->cur[p]);
    NB_TRY(nb_sample_initial(st->node_pos, e1 - e0, st->edge_source + e0, st->edge_target + e0,
                             edge_spacing(st, 0), st->threads, &st->cur[p]));
    st->pair_sampled[p] = true;
    st->t.straight += nb_time_now() - t0;
    return NB_OK;
}

/* The end of the node phase: the straight edges are sampled per pair when first needed
 * (pair_sample). */
static nb_status enter_edge_phase(nb_bundle_state *st) {
    atomic_store(&st->iteration, 0);
    atomic_store(&st->phase, st->edge_iterations > 0 ? NB_BUNDLE_PHASE_EDGE : NB_BUNDLE_PHASE_DONE);
    return NB_OK;
}

static nb_status node_step(nb_bundle_state *st) {
    double t0 = nb_time_now();
    int k = st->node_done;
    double b = st->node_b0 * pow(st->s.node_bandwidth_reduction, (double)k);
    double sim = nb_bundle_similarity(b, st->node_b0, st->limit, 1.0);
    NB_TRY(nb_density_advect_nodes_weighted(st->density, &st->node_grid, st->n_nodes, st->node_pos,
                                            st->node_imp, st->node_weight, b, sim,
                                            st->s.node_step));
    for (size_t l = 0; l < st->n_layers; l++)
        guard_layer(st, l);
    st->node_done = k + 1;
    st->t.node_phase += nb_time_now() - t0;
    atomic_store(&st->iteration, st->node_done);
    if (st->node_done == st->node_iterations)
        NB_TRY(enter_edge_phase(st));
    return NB_OK;
}

/* Sample spacing of edge iteration k (k = edge_iterations: the final resample, always l):
 * max(l, edge_spacing_bandwidth * b_k), so that the early iterations, whose kernel spans many
 * samples, handle fewer of them (CUBu, van der Zwan et al. 2016: sampling step proportional
 * to the kernel size) and the last ones run at l. */
static double edge_spacing(const nb_bundle_state *st, int k) {
    if (k >= st->edge_iterations)
        return st->spacing;
    double b = st->edge_b0 * pow(st->s.edge_bandwidth_reduction, (double)k);
    double w = st->s.edge_spacing_bandwidth * b;
    return w > st->spacing ? w : st->spacing;
}

/* The smoothing that pair p's last iteration left pending (NULL if none): iteration k's
 * smoothing uses the window factor r_e^(k+1) and runs fused into the next resample. */
static const nb_sample_presmooth *pending_smoothing(const nb_bundle_state *st, size_t p,
                                                    nb_sample_presmooth *pre) {
    int k = st->pair_done[p];
    if (k == 0 || st->pair_finished[p] || !st->s.smoothing || st->s.smoothing_iterations <= 0)
        return NULL;
    pre->passes = st->s.smoothing_iterations;
    pre->percent = st->s.smoothing_percent;
    pre->factor = pow(st->s.edge_bandwidth_reduction, (double)k);
    pre->spacing_ratio = edge_spacing(st, k - 1) / st->spacing;
    return pre;
}

/* Resamples pair p into its other buffer at `spacing`, applying the pending smoothing. */
static nb_status resample_pair(nb_bundle_state *st, size_t p, double spacing) {
    nb_sample_presmooth pre;
    spare_take(st, &st->nxt[p]);
    spare_drop_unused(st);
    nb_sample_move_stage(&st->nxt[p], &st->cur[p]); /* one stage per pair, not one per buffer */
    NB_TRY(nb_sample_resample_smoothed(&st->cur[p], pending_smoothing(st, p, &pre), spacing,
                                       st->threads, &st->nxt[p]));
    nb_sample_buffer t = st->cur[p];
    st->cur[p] = st->nxt[p];
    st->nxt[p] = t;
    return NB_OK;
}

/* Clamps z of every point of layer pair p into [z_p, z_{p+1}] (edge_clamp_to_layers): an edge
 * never passes behind either of its layer planes. End points lie on the planes already. */
static void clamp_between_layers(nb_bundle_state *st, size_t p) {
    const float z0 = (float)nb_layout_layer_z(&st->layout, st->n_layers, p);
    const float z1 = (float)nb_layout_layer_z(&st->layout, st->n_layers, p + 1);
    const long n = (long)st->cur[p].offset[st->cur[p].n_edges];
    float *pts = st->cur[p].points;
#pragma omp parallel for schedule(static) num_threads(st->threads)
    for (long i = 0; i < n; i++) {
        float z = pts[3 * i + 2];
        pts[3 * i + 2] = z < z0 ? z0 : (z > z1 ? z1 : z);
    }
}

/* Edge iteration k = pair_done[p] of layer pair p (method.md §4.7-4.10): resample at
 * edge_spacing(k) (with the previous iteration's smoothing fused in), segment density and
 * sample advection on the pair's grid, the clamp between the layer planes; the smoothing of
 * this iteration is left pending. Touches only pair p's state and the shared density
 * workspace, so pairs may be run in any order (or on different processes) with the same
 * result. */
static nb_status pair_iteration(nb_bundle_state *st, size_t p) {
    double t0 = nb_time_now();
    int k = st->pair_done[p];
    double b = st->edge_b0 * pow(st->s.edge_bandwidth_reduction, (double)k);
    double sim = nb_bundle_similarity(b, st->edge_b0, st->limit, st->s.edge_similarity_max);
    const double spacing = edge_spacing(st, k);
    NB_TRY(pair_sample(st, p));
    NB_TRY(resample_pair(st, p, spacing));
    double t1 = nb_time_now();
    size_t e0 = st->pair_edge[p];
    nb_sample_set set = {
        .n_edges = st->cur[p].n_edges,
        .point_offset = st->cur[p].offset,
        .points = st->cur[p].points,
        .edge_source = st->edge_source + e0,
        .edge_target = st->edge_target + e0,
        .edge_alpha = st->edge_alpha + e0,
        .node_importance = st->node_imp,
        .node_stats = st->node_stats,
        .edge_importance_type = st->s.edge_importance_type,
        .step_fraction = st->s.edge_step,
        .n_nodes = st->n_nodes,
        .repulsion_saturation = st->s.edge_repulsion_saturation,
        .whole_support = spacing > st->spacing,
    };
    if (set.n_edges > 0) {
        NB_TRY(nb_density_advect_samples(st->density, &st->pair_grid[p], &set, b, sim));
        if (st->s.edge_clamp_to_layers)
            clamp_between_layers(st, p);
    }
    double t2 = nb_time_now();
    st->pair_done[p] = k + 1;
    st->t.resample += t1 - t0;
    st->t.density += t2 - t1;
    st->t.edge_phase += t2 - t0;
    return NB_OK;
}

/* The final resample of pair p at l, with its pending smoothing. */
static nb_status pair_final(nb_bundle_state *st, size_t p) {
    NB_TRY(pair_sample(st, p));
    double t0 = nb_time_now();
    NB_TRY(resample_pair(st, p, st->spacing));
    st->pair_finished[p] = true;
    /* the pair is never resampled again: its ping-pong partner and its staging area go to the
     * spares for the next pair, or are freed (docs/bundling.md, "Memory") */
    nb_sample_move_stage(&st->nxt[p], &st->cur[p]);
    spare_put(st, &st->nxt[p]);
    nb_sample_trim(&st->cur[p]);
    st->t.final_resample += nb_time_now() - t0;
    return NB_OK;
}

/* One edge iteration k = edge_done over every layer pair that has not run it yet (pairs that
 * nb_bundle_pair_edge_phase ran ahead are skipped). */
static nb_status edge_step(nb_bundle_state *st) {
    int k = st->edge_done;
    for (size_t p = 0; p + 1 < st->n_layers; p++) {
        if (st->pair_done[p] == k && !st->pair_finished[p] && !st->pair_released[p])
            NB_TRY(pair_iteration(st, p));
    }
    st->edge_done = k + 1;
    atomic_store(&st->iteration, st->edge_done);
    if (st->edge_done == st->edge_iterations) {
        atomic_store(&st->iteration, 0);
        atomic_store(&st->phase, NB_BUNDLE_PHASE_DONE);
    }
    return NB_OK;
}

nb_status nb_bundle_pair_step(nb_bundle_state *st, size_t pair, bool *done) {
    if (pair + 1 >= st->n_layers)
        return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu of %zu", pair, st->n_layers - 1);
    if (atomic_load(&st->phase) == NB_BUNDLE_PHASE_NODE)
        return NB_RAISE(NB_E_INVALID, "pair", "the node phase has not finished");
    if (st->pair_released[pair])
        return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu was released", pair);
    if (atomic_load(&st->cancel))
        return NB_RAISE(NB_E_CANCELLED, "bundle", "cancelled");
    if (st->pair_done[pair] < st->edge_iterations && !st->pair_finished[pair])
        NB_TRY(pair_iteration(st, pair));
    else if (!st->pair_finished[pair])
        NB_TRY(pair_final(st, pair));
    *done = st->pair_finished[pair];
    return NB_OK;
}

nb_status nb_bundle_pair_edge_phase(nb_bundle_state *st, size_t pair) {
    bool done = false;
    while (!done)
        NB_TRY(nb_bundle_pair_step(st, pair, &done));
    return NB_OK;
}

nb_status nb_bundle_query_pair(const nb_bundle_state *st, size_t pair, nb_bundle_pair_view *out) {
    if (pair + 1 >= st->n_layers)
        return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu of %zu", pair, st->n_layers - 1);
    if (st->pair_released[pair])
        return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu was released", pair);
    if (atomic_load(&((nb_bundle_state *)st)->phase) != NB_BUNDLE_PHASE_NODE)
        NB_TRY(pair_sample((nb_bundle_state *)st, pair)); /* a cache: see pair_sample */
    const nb_sample_buffer *b = &st->cur[pair];
    *out = (nb_bundle_pair_view){
        .pair = pair,
        .first_edge = st->pair_edge[pair],
        .n_edges = st->pair_edge[pair + 1] - st->pair_edge[pair],
        .n_points = b->n_points,
        .offset = b->offset,
        .points = b->points,
    };
    return NB_OK;
}

void nb_bundle_pair_release(nb_bundle_state *st, size_t pair) {
    if (pair + 1 >= st->n_layers || st->pair_released[pair])
        return;
    st->pair_released[pair] = true;
    spare_put(st, &st->cur[pair]);
    spare_put(st, &st->nxt[pair]);
}

size_t nb_bundle_query_pair_count(const nb_bundle_state *st) {
    return st->n_layers - 1;
}

size_t nb_bundle_query_pair_edges(const nb_bundle_state *st, size_t pair) {
    return pair + 1 < st->n_layers ? st->pair_edge[pair + 1] - st->pair_edge[pair] : 0;
}

nb_status nb_bundle_pair_install(nb_bundle_state *st, size_t pair, size_t n_points,
                                 const uint64_t *offset, const float *points) {
    const size_t p = pair;
    if (p + 1 >= st->n_layers)
        return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu of %zu", p, st->n_layers - 1);
    if (atomic_load(&st->phase) == NB_BUNDLE_PHASE_NODE)
        return NB_RAISE(NB_E_INVALID, "pair", "the node phase has not finished");
    const size_t E = st->pair_edge[p + 1] - st->pair_edge[p];
    if (offset[0] != 0 || offset[E] != n_points)
        return NB_RAISE(NB_E_FORMAT, "pair",
                        "layer pair %zu: offsets [%llu, %llu], expected [0, %zu]", p,
                        (unsigned long long)offset[0], (unsigned long long)offset[E], n_points);
    for (size_t e = 0; e < E; e++)
        if (offset[e + 1] < offset[e] + 2)
            return NB_RAISE(NB_E_FORMAT, "pair", "layer pair %zu edge %zu: fewer than 2 points", p,
                            e);
    nb_sample_buffer *b = &st->cur[p];
    spare_take(st, b);
    NB_TRY(nb_sample_reserve(b, E, n_points));
    memcpy(b->offset, offset, (E + 1) * sizeof *b->offset);
    if (n_points)
        memcpy(b->points, points, n_points * 3 * sizeof *b->points);
    b->n_edges = E;
    b->n_points = n_points;
    nb_sample_deinit(&st->nxt[p]);
    st->pair_sampled[p] = true;
    st->pair_done[p] = st->edge_iterations;
    st->pair_finished[p] = true;
    st->pair_released[p] = false;
    return NB_OK;
}

nb_status nb_bundle_step(nb_bundle_state *st) {
    if (atomic_load(&st->cancel))
        return NB_RAISE(NB_E_CANCELLED, "bundle", "cancelled");
    switch ((nb_bundle_phase)atomic_load(&st->phase)) {
    case NB_BUNDLE_PHASE_NODE:
        return node_step(st);
    case NB_BUNDLE_PHASE_EDGE:
        return edge_step(st);
    default:
        return NB_OK;
    }
}

void nb_bundle_query_progress(const nb_bundle_state *st, nb_bundle_progress *out) {
    nb_bundle_progress p;
    p.phase = (nb_bundle_phase)atomic_load(&((nb_bundle_state *)st)->phase);
    p.iteration = atomic_load(&((nb_bundle_state *)st)->iteration);
    p.node_iterations = st->node_iterations;
    p.edge_iterations = st->edge_iterations;
    p.n_iterations = p.phase == NB_BUNDLE_PHASE_NODE   ? st->node_iterations
                     : p.phase == NB_BUNDLE_PHASE_EDGE ? st->edge_iterations
                                                       : 0;
    *out = p;
}

void nb_bundle_query_timings(const nb_bundle_state *st, nb_bundle_timings *out) {
    *out = st->t;
}

void nb_bundle_cancel(nb_bundle_state *st) {
    atomic_store(&st->cancel, 1);
}

/* ---- output --------------------------------------------------------------------------- */

/* *out = the /bundle group with room for S points and everything but the polylines and their
 * offsets filled: nodes, edges, iteration counts, config, times. */
static nb_status frame_init(const nb_bundle_state *st, size_t S, nb_bundle_data *out) {
    const size_t L = st->n_layers, E = st->n_edges;
    nb_bundle_data d;
    NB_TRY(nb_bundle_data_init(&d, L, st->n_nodes, E, S));
    memcpy(d.node_position, st->node_pos, st->n_nodes * 3 * sizeof(float));
    memcpy(d.layer_offset, st->layer_offset, (L + 1) * sizeof(int64_t));
    if (E) {
        memcpy(d.edge_source, st->edge_source, E * sizeof(uint32_t));
        memcpy(d.edge_target, st->edge_target, E * sizeof(uint32_t));
        memcpy(d.edge_alpha, st->edge_alpha, E * sizeof(float));
    }
    d.edge_point_offset[0] = 0;
    d.node_iterations = st->node_done;
    d.edge_iterations = st->edge_done;
    d.n_edges_total = st->n_edges_total;
    if (st->config_json) {
        d.config_json = strdup(st->config_json);
        if (!d.config_json) {
            nb_bundle_data_deinit(&d);
            return NB_RAISE(NB_E_NOMEM, "bundle", "no room for the config text");
        }
    }
    d.time_layout = st->t.layout;
    d.time_node_phase = st->t.node_phase;
    d.time_edge_phase = st->t.straight + st->t.edge_phase + st->t.final_resample;
    d.time_total = st->t.total;
    *out = d;
    return NB_OK;
}

/* Fills *out from the current polylines (or straight 2-point edges during the node phase). */
static nb_status assemble(const nb_bundle_state *st, nb_bundle_data *out) {
    bool straight = atomic_load(&((nb_bundle_state *)st)->phase) == NB_BUNDLE_PHASE_NODE;
    size_t L = st->n_layers, E = st->n_edges, S = 0;
    if (straight)
        S = 2 * E;
    else
        for (size_t p = 0; p + 1 < L; p++)
            S += st->cur[p].n_points;
    for (size_t p = 0; p + 1 < L; p++)
        if (st->pair_released[p])
            return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu was released", p);
    /* pairs that have not started show their straight samples (pair_sample: a cache that does
     * not change the result, so the const state may fill it) */
    for (size_t p = 0; !straight && p + 1 < L; p++) {
        S -= st->cur[p].n_points;
        NB_TRY(pair_sample((nb_bundle_state *)st, p));
        S += st->cur[p].n_points;
    }
    nb_bundle_data d;
    NB_TRY(frame_init(st, S, &d));
    if (straight) {
        for (size_t e = 0; e < E; e++) {
            memcpy(d.point_position + 6 * e, st->node_pos + 3 * (size_t)st->edge_source[e],
                   3 * sizeof(float));
            memcpy(d.point_position + 6 * e + 3, st->node_pos + 3 * (size_t)st->edge_target[e],
                   3 * sizeof(float));
            d.edge_point_offset[e + 1] = 2 * (uint64_t)(e + 1);
        }
    } else {
        uint64_t base = 0;
        for (size_t p = 0; p + 1 < L; p++) {
            const nb_sample_buffer *b = &st->cur[p];
            size_t e0 = st->pair_edge[p];
            for (size_t e = 0; e < b->n_edges; e++)
                d.edge_point_offset[e0 + e + 1] = base + b->offset[e + 1];
            if (b->n_points)
                memcpy(d.point_position + 3 * base, b->points, b->n_points * 3 * sizeof(float));
            base += b->n_points;
        }
    }
    for (size_t p = 0; !straight && p + 1 < L; p++) {
        nb_sample_presmooth pre;
        size_t e0 = st->pair_edge[p], ne = st->pair_edge[p + 1] - e0;
        if (ne == 0 || !pending_smoothing(st, p, &pre))
            continue;
        nb_status s =
            nb_smooth_polylines_scaled(ne, d.edge_point_offset + e0, d.point_position, pre.passes,
                                       pre.percent, pre.factor, pre.spacing_ratio, st->threads);
        if (s != NB_OK) {
            nb_bundle_data_deinit(&d);
            return s;
        }
    }
    *out = d;
    return NB_OK;
}

nb_status nb_bundle_query_snapshot(const nb_bundle_state *st, nb_bundle_data *out) {
    nb_status s = assemble(st, out);
    if (s != NB_OK)
        memset(out, 0, sizeof *out);
    return s;
}

nb_status nb_bundle_finish(nb_bundle_state *st, nb_bundle_data *out) {
    while (atomic_load(&st->phase) == NB_BUNDLE_PHASE_NODE ||
           atomic_load(&st->phase) == NB_BUNDLE_PHASE_EDGE)
        NB_TRY(nb_bundle_step(st));
    if (!st->finished) {
        if (atomic_load(&st->cancel))
            return NB_RAISE(NB_E_CANCELLED, "bundle", "cancelled");
        for (size_t p = 0; p + 1 < st->n_layers; p++)
            if (!st->pair_finished[p] && !st->pair_released[p])
                NB_TRY(pair_final(st, p));
        st->finished = true;
    }
    nb_bundle_data d;
    NB_TRY(assemble(st, &d));
    if (!st->measured) {
        double t0 = nb_time_now();
        float *ends = malloc((d.n_edges ? d.n_edges : 1) * 6 * sizeof *ends);
        if (!ends) {
            nb_bundle_data_deinit(&d);
            return NB_RAISE(NB_E_NOMEM, "metrics", "no room for %zu laid-out edges", d.n_edges);
        }
        for (size_t e = 0; e < d.n_edges; e++) {
            memcpy(ends + 6 * e, st->layout_pos + 3 * (size_t)d.edge_source[e], 3 * sizeof *ends);
            memcpy(ends + 6 * e + 3, st->layout_pos + 3 * (size_t)d.edge_target[e],
                   3 * sizeof *ends);
        }
        nb_status s = nb_metrics_compute_against(d.n_edges, d.edge_point_offset, d.point_position,
                                                 ends, st->cell, st->threads, &st->metrics, NULL);
        free(ends);
        if (s != NB_OK) {
            nb_bundle_data_deinit(&d);
            return s;
        }
        st->t.metrics = nb_time_now() - t0;
        st->t.total = nb_time_now() - st->t_start;
        st->measured = true;
        atomic_store(&st->phase, NB_BUNDLE_PHASE_FINISHED);
    }
    d.metrics = st->metrics;
    d.time_total = st->t.total;
    *out = d;
    return NB_OK;
}

/* ---- streaming ------------------------------------------------------------------------ */

/* ends float32[E_p][2][3] = the laid-out (pre-node-phase) ends of pair p's edges. */
static void layout_ends(const nb_bundle_state *st, size_t p, float *ends) {
    const size_t e0 = st->pair_edge[p], ne = st->pair_edge[p + 1] - e0;
    for (size_t e = 0; e < ne; e++) {
        memcpy(ends + 6 * e, st->layout_pos + 3 * (size_t)st->edge_source[e0 + e],
               3 * sizeof *ends);
        memcpy(ends + 6 * e + 3, st->layout_pos + 3 * (size_t)st->edge_target[e0 + e],
               3 * sizeof *ends);
    }
}

static float *layout_ends_alloc(const nb_bundle_state *st, size_t p) {
    size_t ne = st->pair_edge[p + 1] - st->pair_edge[p];
    float *ends = malloc((ne ? ne : 1) * 6 * sizeof *ends);
    if (ends)
        layout_ends(st, p, ends);
    return ends;
}

nb_status nb_bundle_stream_pair(nb_bundle_state *st, size_t pair, const nb_bundle_sink *sink) {
    const size_t P = st->n_layers - 1;
    if (pair >= P)
        return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu of %zu", pair, P);
    if (pair != st->streamed)
        return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu streamed out of order (next: %zu)",
                        pair, st->streamed);
    NB_TRY(nb_bundle_pair_edge_phase(st, pair));
    double t0 = nb_time_now();
    if (!st->stream_acc) {
        NB_TRY(nb_metrics_acc_create(st->cell, st->threads, true, &st->stream_acc));
        st->stream_offset = malloc((st->n_edges + 1) * sizeof *st->stream_offset);
        if (!st->stream_offset)
            return NB_RAISE(NB_E_NOMEM, "bundle", "no room for %zu polyline offsets",
                            st->n_edges + 1);
        st->stream_offset[0] = 0;
    }
    nb_bundle_pair_view v;
    NB_TRY(nb_bundle_query_pair(st, pair, &v));
    float *ends = layout_ends_alloc(st, pair);
    if (!ends)
        return NB_RAISE(NB_E_NOMEM, "metrics", "no room for %zu laid-out edges", v.n_edges);
    nb_status s = nb_metrics_acc_measure(st->stream_acc, v.n_edges, v.offset, v.points, ends);
    free(ends);
    NB_TRY(s);
    st->t.metrics += nb_time_now() - t0;
    NB_TRY(sink->put(sink->user, &v));
    const uint64_t base = st->stream_offset[v.first_edge];
    for (size_t e = 0; e < v.n_edges; e++)
        st->stream_offset[v.first_edge + e + 1] = base + v.offset[e + 1];
    nb_bundle_pair_release(st, pair);
    st->streamed = pair + 1;
    return NB_OK;
}

nb_status nb_bundle_finish_streamed(nb_bundle_state *st, const nb_bundle_sink *sink,
                                    nb_bundle_data *out) {
    const size_t P = st->n_layers - 1;
    if (st->measured)
        return NB_RAISE(NB_E_INVALID, "bundle", "the run is finished already");
    while (atomic_load(&st->phase) == NB_BUNDLE_PHASE_NODE)
        NB_TRY(nb_bundle_step(st));
    for (size_t p = st->streamed; p < P; p++)
        NB_TRY(nb_bundle_stream_pair(st, p, sink));
    if (atomic_load(&st->cancel))
        return NB_RAISE(NB_E_CANCELLED, "bundle", "cancelled");
    st->edge_done = st->edge_iterations; /* every pair ran all of them */
    st->finished = true;
    /* pass 2 of the metrics: the ink voxels, each pair read back from the sink */
    double t0 = nb_time_now();
    NB_TRY(nb_metrics_acc_ink_begin(st->stream_acc));
    size_t most = 0;
    for (size_t p = 0; p < P; p++)
        most = st->pair_edge[p + 1] - st->pair_edge[p] > most
                   ? st->pair_edge[p + 1] - st->pair_edge[p]
                   : most;
    uint64_t *local = malloc((most + 1) * sizeof *local);
    float *ends = malloc((most ? most : 1) * 6 * sizeof *ends);
    nb_status s =
        local && ends ? NB_OK : NB_RAISE(NB_E_NOMEM, "metrics", "no room for %zu edges", most);
    for (size_t p = 0; s == NB_OK && p < P; p++) {
        const size_t e0 = st->pair_edge[p], ne = st->pair_edge[p + 1] - e0;
        const uint64_t base = st->stream_offset[e0];
        for (size_t e = 0; e <= ne; e++)
            local[e] = st->stream_offset[e0 + e] - base;
        const float *points = NULL;
        s = sink->get(sink->user, p, (size_t)local[ne], &points);
        layout_ends(st, p, ends);
        if (s == NB_OK)
            s = nb_metrics_acc_ink(st->stream_acc, ne, local, points, ends);
    }
    free(local);
    free(ends);
    nb_bundle_data d;
    if (s == NB_OK)
        s = nb_metrics_acc_result(st->stream_acc, &st->metrics, NULL);
    if (s == NB_OK)
        s = frame_init(st, 0, &d);
    if (s != NB_OK)
        return s;
    /* the points stay with the sink; the frame has the offsets and the point count */
    free(d.point_position);
    d.point_position = NULL;
    d.n_points = (size_t)st->stream_offset[st->n_edges];
    memcpy(d.edge_point_offset, st->stream_offset, (st->n_edges + 1) * sizeof *st->stream_offset);
    st->t.metrics += nb_time_now() - t0;
    st->t.total = nb_time_now() - st->t_start;
    st->measured = true;
    atomic_store(&st->phase, NB_BUNDLE_PHASE_FINISHED);
    d.edge_iterations = st->edge_done;
    d.metrics = st->metrics;
    d.time_total = st->t.total;
    *out = d;
    return NB_OK;
}
