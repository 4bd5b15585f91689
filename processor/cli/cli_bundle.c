/* cli_bundle.c - `nnbundle bundle`: lay out, prune and bundle the edges of a .nnb.h5 file.
 *
 * DESIGN: loads FILE without its /bundle (nb_h5_load_except: it is replaced, so an old
 * bundle's polylines are never held), resolves the processing config (defaults, --config,
 * --set, validation: nb_cli_processing_config), takes /importance from the file or, when
 * the file has none, computes "magnitude" importance (alpha only) and says so; then drives
 * nb_bundle step by step so that each phase gets a progress bar with ETA, finishes (final
 * resample, metrics) and writes /bundle next to the kept /network and /importance with
 * nb_h5_save_prepare (temporary name beside FILE) and nb_file_atomic_commit (rename: an
 * interrupted run leaves the old file intact). --stats writes a JSON record of the run
 * (per-stage wall times, iteration counts, node / edge / sample counts, peak RSS), also
 * atomically (nb_file), and is put in place before FILE is: both or neither. The output
 * paths are checked (nb_file_check_outputs) and FILE is locked (nb_file_lock) from its read
 * to its rename, so a second writer of FILE fails instead of losing this run. Threading: --threads
 * N is passed to the bundler (OpenMP); the result does not depend on it. Config keys read: all of
 * the processing keys nb_bundle reads (see nb_bundle.h), importance_method for the fallback.
 * MPI (built with NB_MPI, started by mpirun; docs/distributed.md): every rank loads the file
 * and runs the node phase; the layer pairs are spread over the ranks (nb_bundle_mpi.h);
 * rank 0 alone checks the outputs, locks FILE, gathers the pairs (streamed to its scratch
 * file in pair order as they arrive, as below), prints progress and writes FILE and --stats;
 * the other ranks only read, stay quiet and report their errors as "nnbundle [rank R]: ...".
 * Memory (docs/bundling.md "Memory"): the pairs are streamed. Each layer pair, once
 * its final resample has run, is measured (the metrics' first pass), its points are appended
 * to a scratch file and the pair is released (nb_bundle_stream_pair), so no more than one
 * pair's polylines are ever in memory (with MPI, rank 0 holds its own pairs and one received
 * pair at a time: nb_bundle_mpi_finish); the ink ratio reads each pair back once
 * (nb_bundle_finish_streamed) and the writer copies them, in pieces of SCRATCH_PIECE points,
 * from the scratch file into /bundle/point_position (nb_h5_save_prepare_streamed), which is why
 * the file is the same as one written from memory. Both have a progress bar ("metrics": pairs
 * read back; "writing": points written): on 9.93 M edges they take about a minute. The scratch file
 * sits beside FILE (the disk that will hold the result, not a tmpfs /tmp that would be memory
 * again) and is unlinked as soon as it is created (".nnbundle-points.XXXXXX", mkstemp): nothing of
 * it outlives the process, however it ends. glibc's mmap threshold is fixed at 1 MiB (mallopt):
 * left dynamic, it rises to the size of each large block freed (a released pair), after which
 * blocks of up to 32 MiB come from the heap and stay in the process when freed: 30 MB more peak RSS
 * on the demo network.
 */
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "nb_bundle.h"
#include "nb_file.h"
#include "nb_h5.h"
#include "nb_importance.h"
#include "nb_log.h"
#ifdef NB_MPI
#include "nb_bundle_mpi.h"
#endif

/* This process's place in a distributed run: rank 0 of 1 without MPI. */
typedef struct bundle_ranks {
    int rank, size;
} bundle_ranks;

static void bundle_help(void) {
    printf("usage: nnbundle bundle FILE.nnb.h5 [options]\n\n"
           "Lays the network of FILE out as layer planes, prunes the least important edges,\n"
           "bundles the edges by kernel-density advection (a node phase, then an edge phase)\n"
           "and writes the result to FILE's /bundle group, keeping /network and /importance.\n"
           "Without /importance in FILE, \"magnitude\" importance (|w| only, every node\n"
           "equally important for every class) is computed and stored.\n\n"
           "options:\n"
           "  --config FILE     processing config (default: the values of\n"
           "                    configs/processing.json)\n"
           "  --set KEY=VALUE   override one processing key (repeatable), e.g.\n"
           "                    --set prune_percentage=0.9 --set density=exact\n"
           "  --threads N       threads (default: all cores); results do not depend on it\n"
           "                    (per rank under `mpirun -n K` with an MPI build, which\n"
           "                    spreads the layer pairs over K ranks: docs/distributed.md)\n"
           "  --stats FILE      write run statistics as JSON (timings, counts, peak memory)\n"
           "  --quiet           no progress output\n"
           "  --verbose         more log lines\n\n"
           "example:\n"
           "  nnbundle random --layers 784,81,49,10 -o net.nnb.h5\n"
           "  nnbundle bundle net.nnb.h5 --set prune_percentage=0.5 --stats stats.json\n"
           "  nnbundle info net.nnb.h5\n");
}

/* Computes "magnitude" importance when the file has none. */
static nb_status fallback_importance(const nb_processing_config *cfg, nb_model *m,
                                     const char *path) {
    nb_importance_settings is;
    NB_TRY(nb_importance_settings_from_config(cfg, &is));
    is.method = NB_IMPORTANCE_MAGNITUDE;
    nb_log_info("notice: %s has no /importance; using \"magnitude\" importance (|w| only, "
                "every node equally important for every class). Run `nnbundle importance` "
                "for per-class importance.",
                path);
    NB_TRY(nb_importance_compute(&is, &m->network, NULL, NULL, NULL, NULL, &m->importance));
    m->has_importance = true;
    return NB_OK;
}

/* Steps through one phase with a progress bar. */
static nb_status run_phase(nb_bundle_state *st, nb_bundle_phase phase, const char *label) {
    nb_bundle_progress p;
    nb_bundle_query_progress(st, &p);
    if (p.phase != phase)
        return NB_OK;
    nb_progress bar;
    nb_progress_begin(&bar, label, (uint64_t)p.n_iterations);
    while (p.phase == phase) {
        nb_status s = nb_bundle_step(st);
        if (s != NB_OK) {
            nb_progress_end(&bar, "failed");
            return s;
        }
        nb_bundle_query_progress(st, &p);
        nb_progress_update(&bar, p.phase == phase ? (uint64_t)p.iteration : bar.total, NULL);
    }
    nb_progress_end(&bar, NULL);
    return NB_OK;
}

/* Finished pairs' points between their final resample and the write of FILE: an unlinked
 * file beside FILE, pair after pair (pair p's points start at point start[p]). */
typedef struct point_scratch {
    const char *path; /* FILE, for subjects */
    int fd;
    size_t n_pairs;
    uint64_t *start;  /* [P+1] */
    size_t put;       /* pairs stored */
    size_t next;      /* the pair the writer reads next */
    uint64_t taken;   /* points of that pair the writer has had */
    float *buf;       /* one pair's points (or a piece of them), read back */
    size_t cap;       /* points buf holds */
    nb_progress *bar; /* counts pairs read back (the metrics) or points (the write); or NULL */
    bool bar_puts;    /* the bar counts the pairs stored first (MPI rank 0: the gather), then
                       * those read back, n_pairs + 1 ... 2 n_pairs */
} point_scratch;

/* Starts bar (label, total steps) as what sc's callbacks advance; puts: it counts the pairs
 * stored before those read back (sc->bar_puts). */
static void scratch_bar_begin(point_scratch *sc, nb_progress *bar, const char *label,
                              uint64_t total, bool puts) {
    nb_progress_begin(bar, label, total);
    sc->bar = bar;
    sc->bar_puts = puts;
}

/* Ends sc's bar, if any ("failed" unless s is NB_OK), and detaches it. */
static void scratch_bar_end(point_scratch *sc, nb_status s) {
    if (!sc->bar)
        return;
    nb_progress_end(sc->bar, s == NB_OK ? NULL : "failed");
    sc->bar = NULL;
    sc->bar_puts = false;
}

/* Points the writer gets per piece: 12 MiB, so that its bar moves within a big layer pair
 * and it holds no more than that of them (tests/cli_bundle_stream.sh's pairs of 1.09 M points
 * come in two pieces). */
#define SCRATCH_PIECE ((size_t)1 << 20)

static nb_status scratch_open(point_scratch *sc, const char *path, size_t n_pairs) {
    *sc = (point_scratch){.path = path, .fd = -1, .n_pairs = n_pairs};
    sc->start = calloc(n_pairs + 1, sizeof *sc->start);
    if (!sc->start)
        return NB_RAISE(NB_E_NOMEM, path, "no room for %zu layer pairs", n_pairs);
    /* in the directory of the real file (symbolic links resolved: nb_file's temporary name),
     * a short name of its own (FILE's may be at NAME_MAX already), unlinked at once */
    nb_file_atomic names;
    NB_TRY(nb_file_atomic_begin(&names, path, false));
    const char *slash = strrchr(names.tmp_path, '/');
    const int dir_len = slash ? (int)(slash - names.tmp_path) + 1 : 0;
    size_t len = (size_t)dir_len + sizeof ".nnbundle-points.XXXXXX";
    char *name = malloc(len);
    nb_status st = NB_OK;
    if (!name) {
        st = NB_RAISE(NB_E_NOMEM, path, "no room for a file name");
    } else {
        snprintf(name, len, "%.*s.nnbundle-points.XXXXXX", dir_len, names.tmp_path);
        sc->fd = mkstemp(name);
        if (sc->fd < 0)
            st = NB_RAISE(NB_E_IO, path,
                          "cannot create the scratch file for the finished layer pairs beside "
                          "it: %s",
                          strerror(errno));
        else if (unlink(name) != 0 || fcntl(sc->fd, F_SETFD, FD_CLOEXEC) != 0)
            st = NB_RAISE(NB_E_IO, path, "cannot set up the scratch file %s: %s", name,
                          strerror(errno));
    }
    free(name);
    nb_file_atomic_abort(&names);
    return st;
}

static void scratch_close(point_scratch *sc) {
    if (sc->fd >= 0)
        close(sc->fd);
    free(sc->start);
    free(sc->buf);
    *sc = (point_scratch){.fd = -1};
}

/* Writes or reads `bytes` at offset `at` in parts of 1 MiB: one pwrite of a whole pair (41 MB
 * of random 784-300-100-10's first pair) took 0.52 s here, the same bytes in 1 MiB parts
 * 0.011 s (the page cache takes small writes at memory speed). */
static nb_status scratch_io(const point_scratch *sc, bool write, void *data, size_t bytes,
                            uint64_t at) {
    char *p = data;
    while (bytes > 0) {
        size_t part = bytes < ((size_t)1 << 20) ? bytes : ((size_t)1 << 20);
        ssize_t n = write ? pwrite(sc->fd, p, part, (off_t)at) : pread(sc->fd, p, part, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NB_RAISE(NB_E_IO, sc->path, "%s the scratch file of finished layer pairs: %s",
                            write ? "cannot write" : "cannot read",
                            n < 0 ? strerror(errno) : "unexpected end of file");
        p += n;
        at += (uint64_t)n;
        bytes -= (size_t)n;
    }
    return NB_OK;
}

/* nb_bundle_sink.put: appends the pair's points. */
static nb_status scratch_put(void *user, const nb_bundle_pair_view *v) {
    point_scratch *sc = user;
    if (v->pair != sc->put || v->pair >= sc->n_pairs)
        return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu stored out of order", v->pair);
    NB_TRY(scratch_io(sc, true, (void *)v->points, v->n_points * 3 * sizeof(float),
                      sc->start[v->pair] * 3 * sizeof(float)));
    sc->start[v->pair + 1] = sc->start[v->pair] + v->n_points;
    sc->put = v->pair + 1;
    if (sc->bar && sc->bar_puts)
        nb_progress_update(sc->bar, (uint64_t)sc->put, NULL);
    return NB_OK;
}

/* n_points points from global point `at` into sc->buf. */
static nb_status scratch_read(point_scratch *sc, uint64_t at, size_t n_points, size_t pair,
                              const float **points) {
    if (n_points > sc->cap) {
        float *b = realloc(sc->buf, n_points * 3 * sizeof *b);
        if (!b)
            return NB_RAISE(NB_E_NOMEM, sc->path, "no room for %zu points of layer pair %zu",
                            n_points, pair);
        sc->buf = b;
        sc->cap = n_points;
    }
    NB_TRY(scratch_io(sc, false, sc->buf, n_points * 3 * sizeof(float), at * 3 * sizeof(float)));
    *points = sc->buf;
    return NB_OK;
}

/* nb_bundle_sink.get: pair `pair`'s points, read into sc->buf. */
static nb_status scratch_get(void *user, size_t pair, size_t n_points, const float **points) {
    point_scratch *sc = user;
    if (pair >= sc->put || sc->start[pair + 1] - sc->start[pair] != n_points)
        return NB_RAISE(NB_E_INVALID, "pair", "layer pair %zu was not stored", pair);
    NB_TRY(scratch_read(sc, sc->start[pair], n_points, pair, points));
    if (sc->bar)
        nb_progress_update(sc->bar, (sc->bar_puts ? sc->n_pairs : 0) + (uint64_t)pair + 1, NULL);
    return NB_OK;
}

/* nb_h5_point_source.next: the pairs in order, in pieces of at most SCRATCH_PIECE points. */
static nb_status scratch_next(void *user, size_t *n_points, const float **points) {
    point_scratch *sc = user;
    while (sc->next < sc->put && sc->taken == sc->start[sc->next + 1] - sc->start[sc->next]) {
        sc->next++;
        sc->taken = 0;
    }
    if (sc->next >= sc->put)
        return NB_RAISE(NB_E_INVALID, sc->path, "the scratch file holds %zu layer pairs", sc->put);
    const uint64_t left = sc->start[sc->next + 1] - sc->start[sc->next] - sc->taken;
    *n_points = left < SCRATCH_PIECE ? (size_t)left : SCRATCH_PIECE;
    NB_TRY(scratch_read(sc, sc->start[sc->next] + sc->taken, *n_points, sc->next, points));
    sc->taken += *n_points;
    if (sc->bar)
        nb_progress_update(sc->bar, sc->start[sc->next] + sc->taken, NULL);
    return NB_OK;
}

/* The edge phase pair by pair (nb_bundle_pair_step), the same result bit for bit as stepping
 * all pairs one iteration at a time, but only one pair at a time holds its working copies
 * (ping-pong buffers, staging, density records): peak memory follows the largest pair, not
 * the whole network (docs/bundling.md, "Memory"). With a sink, each finished pair is
 * streamed to it and released. The bar counts edge-iterations. */
static nb_status run_edge_pairs(nb_bundle_state *st, const nb_bundle_sink *sink) {
    const size_t n_pairs = nb_bundle_query_pair_count(st);
    nb_bundle_progress p;
    nb_bundle_query_progress(st, &p);
    if (p.phase != NB_BUNDLE_PHASE_EDGE)
        return NB_OK;
    uint64_t total = 0, done_work = 0;
    for (size_t q = 0; q < n_pairs; q++)
        total += (uint64_t)nb_bundle_query_pair_edges(st, q) * (uint64_t)(p.edge_iterations + 1);
    nb_progress bar;
    nb_progress_begin(&bar, "edge phase", total);
    for (size_t q = 0; q < n_pairs; q++) {
        const size_t n_edges = nb_bundle_query_pair_edges(st, q);
        nb_status s = NB_OK;
        for (bool done = false; s == NB_OK && !done;) {
            s = nb_bundle_pair_step(st, q, &done);
            done_work += n_edges;
            nb_progress_update(&bar, done_work < total ? done_work : total, NULL);
        }
        if (s == NB_OK && sink)
            s = nb_bundle_stream_pair(st, q, sink);
        if (s != NB_OK) {
            nb_progress_end(&bar, "failed");
            return s;
        }
    }
    nb_progress_end(&bar, NULL);
    return NB_OK;
}

#ifdef NB_MPI
/* The edge phase of this rank's layer pairs (owner[p] == rank, nb_bundle_mpi_pair_owners),
 * one pair after the other with a bar over them. Ranks other than 0 release the other pairs
 * first; rank 0 keeps them, to install their final polylines at the end. */
static nb_status run_own_pairs(nb_bundle_state *st, const bundle_ranks *ranks, int *owner) {
    const size_t P = nb_bundle_query_pair_count(st);
    NB_TRY(nb_bundle_mpi_pair_owners(st, ranks->size, owner));
    size_t n = 0, edges = 0;
    for (size_t p = 0; p < P; p++) {
        if (owner[p] == ranks->rank) {
            n++;
            edges += nb_bundle_query_pair_edges(st, p);
        } else if (ranks->rank != 0) {
            nb_bundle_pair_release(st, p);
        }
    }
    nb_log_debug("rank %d of %d: %zu layer pairs, %zu edges", ranks->rank, ranks->size, n, edges);
    nb_progress bar;
    nb_progress_begin(&bar, "edge phase (this rank's layer pairs)", (uint64_t)n);
    size_t done = 0;
    nb_status s = NB_OK;
    for (size_t p = 0; s == NB_OK && p < P; p++)
        if (owner[p] == ranks->rank && (s = nb_bundle_pair_edge_phase(st, p)) == NB_OK)
            nb_progress_update(&bar, (uint64_t)++done, NULL);
    nb_progress_end(&bar, s == NB_OK ? NULL : "failed");
    return s;
}
#endif

typedef struct run_record {
    const char *path;
    int threads;
    int ranks; /* MPI ranks (1 without MPI) */
    double t_load, t_importance, t_save, t_wall;
    bool computed_importance;
} run_record;

static cJSON *timings_json(const nb_bundle_timings *t, const run_record *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "load", r->t_load);
    cJSON_AddNumberToObject(o, "importance", r->t_importance);
    cJSON_AddNumberToObject(o, "layout", t->layout);
    cJSON_AddNumberToObject(o, "node_phase", t->node_phase);
    cJSON_AddNumberToObject(o, "straight_edges", t->straight);
    cJSON_AddNumberToObject(o, "edge_phase", t->edge_phase);
    cJSON_AddNumberToObject(o, "resample", t->resample);
    cJSON_AddNumberToObject(o, "density_advection", t->density);
    cJSON_AddNumberToObject(o, "smoothing", t->smoothing);
    cJSON_AddNumberToObject(o, "final_resample", t->final_resample);
    cJSON_AddNumberToObject(o, "metrics", t->metrics);
    cJSON_AddNumberToObject(o, "bundle_total", t->total);
    cJSON_AddNumberToObject(o, "save", r->t_save);
    cJSON_AddNumberToObject(o, "wall", r->t_wall);
    return o;
}

static nb_status write_stats(const char *stats_path, const nb_model *m, const nb_bundle_timings *t,
                             const run_record *r) {
    const nb_bundle_data *b = &m->bundle;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NB_RAISE(NB_E_NOMEM, stats_path, "cannot build the statistics");
    cJSON_AddStringToObject(root, "file", r->path);
    cJSON_AddStringToObject(root, "software_version", NB_VERSION);
    cJSON_AddNumberToObject(root, "threads", r->threads);
    cJSON_AddNumberToObject(root, "ranks", r->ranks);
    cJSON *layers = cJSON_AddArrayToObject(root, "layer_sizes");
    for (size_t l = 0; l < m->network.n_layers; l++)
        cJSON_AddItemToArray(layers, cJSON_CreateNumber((double)m->network.layer_size[l]));
    cJSON_AddNumberToObject(root, "nodes", (double)b->n_nodes);
    cJSON_AddNumberToObject(root, "edges_total", (double)b->n_edges_total);
    cJSON_AddNumberToObject(root, "edges", (double)b->n_edges);
    cJSON_AddNumberToObject(root, "samples", (double)b->n_points);
    cJSON_AddNumberToObject(root, "node_iterations", b->node_iterations);
    cJSON_AddNumberToObject(root, "edge_iterations", b->edge_iterations);
    cJSON_AddStringToObject(root, "importance_method", m->importance.method);
    cJSON_AddBoolToObject(root, "importance_computed", r->computed_importance);
    cJSON_AddItemToObject(root, "seconds", timings_json(t, r));
    double per_edge = b->n_edges ? t->total / (double)b->n_edges : 0.0;
    cJSON_AddNumberToObject(root, "seconds_per_edge", per_edge);
    cJSON_AddNumberToObject(root, "peak_rss_bytes", (double)nb_peak_rss_bytes());
    cJSON *mt = cJSON_AddObjectToObject(root, "metrics");
    cJSON_AddNumberToObject(mt, "mean_distortion", b->metrics.mean_distortion);
    cJSON_AddNumberToObject(mt, "max_distortion", b->metrics.max_distortion);
    cJSON_AddNumberToObject(mt, "mean_edge_length_difference", b->metrics.mean_length_diff);
    cJSON_AddNumberToObject(mt, "ink_ratio", b->metrics.ink_ratio);
    cJSON_AddNumberToObject(mt, "ink_ratio_layout", b->metrics.ink_ratio_layout);
    cJSON_AddNumberToObject(mt, "max_turn_degrees", b->metrics.max_turn_degrees);
    cJSON *cfg = b->config_json ? cJSON_Parse(b->config_json) : NULL;
    if (cfg)
        cJSON_AddItemToObject(root, "config", cfg);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return NB_RAISE(NB_E_NOMEM, stats_path, "cannot print the statistics");
    size_t len = strlen(text);
    text[len] = '\n'; /* cJSON_Print's terminator becomes the last line's end */
    nb_status st = nb_file_save(stats_path, text, len + 1);
    free(text);
    return st;
}

/* Bundles m's network with cfg (each phase with a progress bar) and puts the result in
 * m->bundle, replacing any; *timings gets the stage times (also when a phase fails). On
 * failure m->bundle is as it was. With several ranks, each advects its own layer pairs and
 * only rank 0 gets the result (*have_bundle says whether this process did). The pairs are
 * streamed (by rank 0, as they arrive, when there are several ranks) to a scratch file beside
 * `path`, opened in *scratch: then m->bundle.point_position is NULL and the points are in
 * *scratch (scratch->fd >= 0). */
static nb_status bundle_model(const nb_processing_config *cfg, int threads,
                              const bundle_ranks *ranks, const char *path, nb_model *m,
                              nb_bundle_timings *timings, bool *have_bundle,
                              point_scratch *scratch) {
    nb_bundle_state *st = NULL;
    nb_bundle_settings bs;
    *have_bundle = false;
    nb_status s = nb_bundle_settings_from_config(cfg, &bs);
    if (s == NB_OK)
        s = nb_bundle_create(&bs, &m->network, &m->importance, threads, &st);
    if (s == NB_OK)
        s = run_phase(st, NB_BUNDLE_PHASE_NODE, "node phase");
    nb_bundle_data out;
    bool finished = false;
    nb_bundle_sink sink = {scratch_put, scratch_get, scratch};
#ifdef NB_MPI
    if (ranks->size > 1) { /* every rank takes part in the finish, failed or not */
        int *owner = NULL;
        if (s == NB_OK && !(owner = malloc(nb_bundle_query_pair_count(st) * sizeof *owner)))
            s = NB_RAISE(NB_E_NOMEM, "MPI", "no room for the pair owners");
        if (s == NB_OK)
            s = run_own_pairs(st, ranks, owner);
        /* rank 0 streams the pairs to its scratch file as they arrive, then reads each back
         * once for the metrics: one bar over both */
        nb_progress bar;
        if (s == NB_OK && ranks->rank == 0 &&
            (s = scratch_open(scratch, path, nb_bundle_query_pair_count(st))) == NB_OK)
            scratch_bar_begin(scratch, &bar, "gather and metrics", 2 * (uint64_t)scratch->n_pairs,
                              true);
        s = nb_bundle_mpi_finish(st, owner, s, MPI_COMM_WORLD, ranks->rank == 0 ? &sink : NULL,
                                 &out, have_bundle);
        scratch_bar_end(scratch, s);
        free(owner);
        finished = true;
    }
#endif
    if (!finished && s == NB_OK)
        s = scratch_open(scratch, path, nb_bundle_query_pair_count(st));
    if (!finished && s == NB_OK)
        s = run_edge_pairs(st, &sink);
    if (!finished && s == NB_OK) {
        /* the metrics read every pair back once (the ink ratio) */
        nb_progress bar;
        scratch_bar_begin(scratch, &bar, "metrics", (uint64_t)nb_bundle_query_pair_count(st),
                          false);
        s = nb_bundle_finish_streamed(st, &sink, &out);
        scratch_bar_end(scratch, s);
        *have_bundle = s == NB_OK;
    }
    (void)ranks;
    if (st)
        nb_bundle_query_timings(st, timings);
    nb_bundle_destroy(st);
    if (s != NB_OK || !*have_bundle)
        return s;
    if (m->has_bundle)
        nb_bundle_data_deinit(&m->bundle);
    m->bundle = out;
    m->has_bundle = true;
    return NB_OK;
}

/* nb_cli_fail, naming the rank when there are several. */
static int bundle_fail(const bundle_ranks *ranks, nb_status s) {
    if (s == NB_OK || ranks->size <= 1)
        return nb_cli_fail(s);
    char program[48];
    snprintf(program, sizeof program, "nnbundle [rank %d]", ranks->rank);
    nb_error_print(program, s);
    if (nb_log_get_level() >= NB_LOG_VERBOSE)
        fprintf(stderr, "%s: (raised at %s)\n", program, nb_error_origin());
    return NB_EXIT_FAILURE;
}

static int bundle_command(int argc, char **argv, const bundle_ranks *ranks) {
    nb_cli_common c = {0};
    const char *path = NULL, *stats_path = NULL;
    for (int i = 1; i < argc; i++) {
        int r = nb_cli_common_parse(&c, argc, argv, &i);
        if (r < 0)
            return NB_EXIT_USAGE;
        if (r > 0)
            continue;
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bundle_help();
            return NB_EXIT_OK;
        } else if (!strcmp(a, "--stats")) {
            if (i + 1 >= argc)
                return nb_cli_usage_error("bundle", "--stats needs a file name");
            stats_path = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return nb_cli_usage_error("bundle", "unknown option '%s'", a);
        } else if (path) {
            return nb_cli_usage_error("bundle", "one input file only (got '%s' and '%s')", path, a);
        } else {
            path = a;
        }
    }
    if (!path)
        return nb_cli_usage_error("bundle", "missing FILE.nnb.h5");
    nb_cli_common_apply(&c);
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 1 << 20); /* freed pairs go back to the system: see the top */
#endif
    if (ranks->rank != 0) /* rank 0 speaks for the run; errors are still printed */
        nb_log_set_level(NB_LOG_QUIET);
    double t_wall = nb_time_now();

    /* every output checked, and FILE locked from its read to its rename, before any work;
     * with several MPI ranks only rank 0 writes, so only rank 0 checks and locks */
    const nb_file_arg outs[] = {{path, "FILE"}, {stats_path, "--stats"}};
    const nb_file_arg ins[] = {{c.config, "--config"}};
    nb_status s = ranks->rank == 0 ? nb_file_check_outputs(outs, 2, ins, 1) : NB_OK;
    nb_processing_config cfg;
    if (s == NB_OK)
        s = nb_cli_processing_config(&c, &cfg);
    nb_file_lock lock = {0};
    if (s == NB_OK && ranks->rank == 0)
        s = nb_file_lock_acquire(&lock, path);
#ifdef NB_MPI
    if (ranks->size > 1) /* e.g. FILE locked, or --config readable on one machine only */
        s = nb_bundle_mpi_agree(s, MPI_COMM_WORLD);
#endif
    if (s != NB_OK) {
        nb_file_lock_release(&lock);
        return bundle_fail(ranks, s);
    }

    run_record rec = {.path = path,
                      .threads = c.threads > 0 ? c.threads : omp_get_max_threads(),
                      .ranks = ranks->size};
    nb_model m;
    double t0 = nb_time_now();
    s = nb_h5_load_except(path, "bundle", &m); /* a /bundle there is replaced: never read */
    const bool loaded = s == NB_OK;
    rec.t_load = nb_time_now() - t0;
    if (s == NB_OK && !m.has_importance) {
        t0 = nb_time_now();
        s = fallback_importance(&cfg, &m, path);
        rec.t_importance = nb_time_now() - t0;
        rec.computed_importance = true;
    }
#ifdef NB_MPI
    if (ranks->size > 1) /* no rank may go on to the gather while another has stopped */
        s = nb_bundle_mpi_agree(s, MPI_COMM_WORLD);
#endif

    nb_bundle_timings timings = {0};
    bool have_bundle = false;
    point_scratch scratch = {.fd = -1};
    if (s == NB_OK)
        s = bundle_model(&cfg, rec.threads, ranks, path, &m, &timings, &have_bundle, &scratch);
    if (s == NB_OK && !have_bundle) { /* a rank other than 0 ends here: rank 0 writes */
        nb_model_deinit(&m);
        return NB_EXIT_OK;
    }

    /* the new FILE is complete beside the old one; --stats goes into place first, FILE last,
     * so that a failure of either leaves the old FILE */
    nb_file_atomic out = {0};
    t0 = nb_time_now();
    nb_h5_point_source points = {scratch_next, &scratch};
    if (s == NB_OK && scratch.fd >= 0) {
        free(scratch.buf); /* a whole pair, read back by the metrics: the write takes pieces */
        scratch.buf = NULL;
        scratch.cap = 0;
        nb_progress bar; /* counts the points written */
        scratch_bar_begin(&scratch, &bar, "writing", (uint64_t)m.bundle.n_points, false);
        s = nb_h5_save_prepare_streamed(path, &m, &points, &out);
        scratch_bar_end(&scratch, s);
    } else if (s == NB_OK) {
        s = nb_h5_save_prepare(path, &m, &out);
    }
    scratch_close(&scratch);
    rec.t_save = nb_time_now() - t0;
    rec.t_wall = nb_time_now() - t_wall;
    if (s == NB_OK && stats_path)
        s = write_stats(stats_path, &m, &timings, &rec);
    if (s == NB_OK)
        s = nb_file_atomic_commit(&out);
    else
        nb_file_atomic_abort(&out);
    nb_file_lock_release(&lock);
    if (s == NB_OK)
        nb_log_info("bundled %zu of %zu edges (%zu samples; %d node + %d edge iterations) in "
                    "%.2f s; mean distortion %.3f, ink ratio %.3f -> %s",
                    m.bundle.n_edges, m.bundle.n_edges_total, m.bundle.n_points,
                    m.bundle.node_iterations, m.bundle.edge_iterations, timings.total,
                    m.bundle.metrics.mean_distortion, m.bundle.metrics.ink_ratio, path);
    if (loaded)
        nb_model_deinit(&m);
    return bundle_fail(ranks, s);
}

int nb_cli_bundle(int argc, char **argv) {
    bundle_ranks ranks = {0, 1};
#ifdef NB_MPI
    nb_status s = nb_bundle_mpi_init(&ranks.rank, &ranks.size);
    int rc = s == NB_OK ? bundle_command(argc, argv, &ranks) : bundle_fail(&ranks, s);
    nb_bundle_mpi_finalize();
    return rc;
#else
    return bundle_command(argc, argv, &ranks);
#endif
}
