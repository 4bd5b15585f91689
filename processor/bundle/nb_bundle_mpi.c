/* nb_bundle_mpi.c - bundling across MPI ranks: layer pairs per rank, gather to rank 0.
 *
 * DESIGN: data flow: every rank holds the whole input and the same nb_bundle_state up to the
 * end of the node phase (layout, pruning and node advection are global, cheap and
 * deterministic). nb_bundle_mpi_pair_owners assigns the layer pairs to the ranks
 * (nb_bundle_mpi_assign: longest processing time first over the kept edge counts, computed
 * identically on every rank, so no message is needed); the caller releases the other pairs
 * and runs its own to their end (nb_bundle_pair_edge_phase). The edge phase needs no
 * communication at all: a pair's density, advection, smoothing and resampling read only that
 * pair's polylines (method.md §4.8), so each rank computes exactly the floats a single
 * process would. nb_bundle_mpi_finish then agrees on the ranks' statuses (one
 * MPI_Allreduce), and rank 0 receives the other pairs' final polylines in pair order: per
 * pair a header (edge and point counts), an acknowledgement (0 when rank 0 cannot take it, so the
 * sender never blocks), the offsets and the points, in messages of at most 2^30 elements
 * (MPI counts are int); a sender releases each pair once sent. Rank 0 installs them
 * (nb_bundle_pair_install) and, given the caller's sink, streams every pair to it in pair
 * order as soon as it has it (nb_bundle_stream_pair), so it never holds the whole network;
 * then it computes the metrics and returns the /bundle group, which the caller writes with
 * the ordinary atomic writer (docs/distributed.md says why this is a gather and not parallel
 * HDF5). Errors: MPI_ERRORS_RETURN on MPI_COMM_WORLD, so a failed
 * call becomes NB_E_IO instead of killing the job; every collective is reached by every
 * rank, failed or not (nb_bundle_mpi_agree).
 * Threading: MPI_THREAD_FUNNELED; only the main thread calls MPI, between OpenMP regions.
 * Config keys read: none (the bundle keys are read by nb_bundle).
 */
#include "nb_bundle_mpi.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum {
    TAG_HEAD = 1, /* uint64[2]: the pair's edge and point counts */
    TAG_ACK = 2,  /* int: 1 = send the pair, 0 = rank 0 cannot take it, skip */
    TAG_DATA = 3, /* offsets, then points */
};

/* Largest element count of one message (MPI counts are int). */
#define CHUNK ((size_t)1 << 30)

static bool mpi_started;

bool nb_bundle_mpi_launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE");
}

/* NB_E_IO with MPI's text for error code rc of `call`. */
static nb_status mpi_error(int rc, const char *call) {
    char text[MPI_MAX_ERROR_STRING + 1];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        len = 0;
    text[len] = '\0';
    return NB_RAISE(NB_E_IO, "MPI", "%s failed: %s", call, len ? text : "unknown error");
}

#define MPI_TRY(call)                                                                              \
    do {                                                                                           \
        int nb_mpi_rc_ = (call);                                                                   \
        if (nb_mpi_rc_ != MPI_SUCCESS)                                                             \
            return mpi_error(nb_mpi_rc_, #call);                                                   \
    } while (0)

nb_status nb_bundle_mpi_init(int *rank, int *size) {
    *rank = 0;
    *size = 1;
    if (!nb_bundle_mpi_launched())
        return NB_OK;
    int provided = 0;
    MPI_TRY(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided));
    mpi_started = true;
    MPI_TRY(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    if (provided < MPI_THREAD_FUNNELED)
        return NB_RAISE(NB_E_IO, "MPI", "the library gives thread level %d, need FUNNELED (%d)",
                        provided, MPI_THREAD_FUNNELED);
    MPI_TRY(MPI_Comm_rank(MPI_COMM_WORLD, rank));
    MPI_TRY(MPI_Comm_size(MPI_COMM_WORLD, size));
    return NB_OK;
}

void nb_bundle_mpi_finalize(void) {
    if (mpi_started)
        MPI_Finalize();
    mpi_started = false;
}

nb_status nb_bundle_mpi_assign(size_t n_pairs, const size_t *pair_edges, int n_ranks, int *owner) {
    if (n_ranks < 1)
        return NB_RAISE(NB_E_INVALID, "MPI", "%d ranks", n_ranks);
    size_t *order = malloc((n_pairs ? n_pairs : 1) * sizeof *order);
    size_t *load = calloc((size_t)n_ranks, sizeof *load);
    if (!order || !load) {
        free(order);
        free(load);
        return NB_RAISE(NB_E_NOMEM, "MPI", "no room to assign %zu layer pairs", n_pairs);
    }
    /* pairs by descending edge count, ties by index: insertion sort (a network has few
     * layer pairs) */
    for (size_t i = 0; i < n_pairs; i++) {
        size_t j = i;
        while (j > 0 && pair_edges[order[j - 1]] < pair_edges[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (size_t i = 0; i < n_pairs; i++) {
        int best = 0;
        for (int r = 1; r < n_ranks; r++)
            if (load[r] < load[best])
                best = r;
        owner[order[i]] = best;
        load[best] += pair_edges[order[i]];
    }
    free(order);
    free(load);
    return NB_OK;
}

nb_status nb_bundle_mpi_agree(nb_status local, MPI_Comm comm) {
    int rank = 0, size = 1;
    MPI_TRY(MPI_Comm_rank(comm, &rank));
    MPI_TRY(MPI_Comm_size(comm, &size));
    int mine = local == NB_OK ? size : rank, first = size;
    MPI_TRY(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
    if (first == size)
        return NB_OK;
    int code = (int)local;
    MPI_TRY(MPI_Bcast(&code, 1, MPI_INT, first, comm));
    if (local != NB_OK)
        return local;
    char subject[32];
    snprintf(subject, sizeof subject, "rank %d", first);
    return NB_RAISE((nb_status)code, subject, "failed (its message above)");
}

nb_status nb_bundle_mpi_pair_owners(const nb_bundle_state *st, int n_ranks, int *owner) {
    const size_t P = nb_bundle_query_pair_count(st);
    size_t *edges = malloc((P ? P : 1) * sizeof *edges);
    if (!edges)
        return NB_RAISE(NB_E_NOMEM, "MPI", "no room for %zu pairs", P);
    for (size_t p = 0; p < P; p++)
        edges[p] = nb_bundle_query_pair_edges(st, p);
    nb_status s = nb_bundle_mpi_assign(P, edges, n_ranks, owner);
    free(edges);
    return s;
}

/* Sends or receives n elements of `type` in messages of at most CHUNK elements. */
static nb_status send_chunks(const void *buf, size_t n, MPI_Datatype type, size_t elem, int to,
                             MPI_Comm comm) {
    const char *b = buf;
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        MPI_TRY(MPI_Send(b + i * elem, (int)k, type, to, TAG_DATA, comm));
    }
    return NB_OK;
}

static nb_status recv_chunks(void *buf, size_t n, MPI_Datatype type, size_t elem, int from,
                             MPI_Comm comm) {
    char *b = buf;
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        MPI_TRY(MPI_Recv(b + i * elem, (int)k, type, from, TAG_DATA, comm, MPI_STATUS_IGNORE));
    }
    return NB_OK;
}

/* A non-root rank: sends pair p's final polylines to rank 0 (unless rank 0 declines). */
static nb_status send_pair(nb_bundle_state *st, size_t p, MPI_Comm comm) {
    nb_bundle_pair_view pair;
    NB_TRY(nb_bundle_query_pair(st, p, &pair));
    uint64_t head[2] = {pair.n_edges, pair.n_points};
    int ack = 0;
    MPI_TRY(MPI_Send(head, 2, MPI_UINT64_T, 0, TAG_HEAD, comm));
    MPI_TRY(MPI_Recv(&ack, 1, MPI_INT, 0, TAG_ACK, comm, MPI_STATUS_IGNORE));
    if (!ack)
        return NB_OK;
    NB_TRY(send_chunks(pair.offset, pair.n_edges + 1, MPI_UINT64_T, sizeof(uint64_t), 0, comm));
    NB_TRY(send_chunks(pair.points, 3 * pair.n_points, MPI_FLOAT, sizeof(float), 0, comm));
    nb_bundle_pair_release(st, p); /* rank 0 has it now */
    return NB_OK;
}

/* Rank 0: receives pair p from rank `from` into st; with ok = false (an earlier failure) it
 * declines the pair so that the sender goes on. */
static nb_status recv_pair(nb_bundle_state *st, size_t p, int from, bool ok, MPI_Comm comm) {
    nb_bundle_pair_view pair;
    NB_TRY(nb_bundle_query_pair(st, p, &pair));
    uint64_t head[2] = {0, 0};
    MPI_TRY(MPI_Recv(head, 2, MPI_UINT64_T, from, TAG_HEAD, comm, MPI_STATUS_IGNORE));
    const size_t S = (size_t)head[1];
    uint64_t *offset = NULL;
    float *points = NULL;
    nb_status s = NB_OK;
    if (ok && head[0] != pair.n_edges)
        s = NB_RAISE(NB_E_FORMAT, "MPI", "rank %d sent %llu edges for layer pair %zu, expected %zu",
                     from, (unsigned long long)head[0], p, pair.n_edges);
    else if (ok) {
        offset = malloc((pair.n_edges + 1) * sizeof *offset);
        points =
            S <= SIZE_MAX / (3 * sizeof *points) ? malloc((S ? S : 1) * 3 * sizeof *points) : NULL;
        if (!offset || !points)
            s = NB_RAISE(NB_E_NOMEM, "MPI", "no room for layer pair %zu (%zu points)", p, S);
    }
    int ack = ok && s == NB_OK;
    int rc = MPI_Send(&ack, 1, MPI_INT, from, TAG_ACK, comm);
    if (rc != MPI_SUCCESS)
        s = mpi_error(rc, "MPI_Send");
    if (ack && s == NB_OK)
        s = recv_chunks(offset, pair.n_edges + 1, MPI_UINT64_T, sizeof *offset, from, comm);
    if (ack && s == NB_OK)
        s = recv_chunks(points, 3 * S, MPI_FLOAT, sizeof *points, from, comm);
    if (ack && s == NB_OK)
        s = nb_bundle_pair_install(st, p, S, offset, points);
    free(offset);
    free(points);
    return s;
}

nb_status nb_bundle_mpi_finish(nb_bundle_state *st, const int *owner, nb_status local,
                               MPI_Comm comm, const nb_bundle_sink *sink, nb_bundle_data *out,
                               bool *have_out) {
    *have_out = false;
    NB_TRY(nb_bundle_mpi_agree(local, comm));
    int rank = 0;
    MPI_TRY(MPI_Comm_rank(comm, &rank));
    nb_status s = NB_OK;
    const size_t P = nb_bundle_query_pair_count(st);
    nb_bundle_data d;
    if (rank == 0) {
        /* receive in pair order, as every sender sends: no rank waits on another's pair.
         * With a sink every pair is streamed to it (and released) as soon as it is here, so
         * rank 0 holds its own pairs and one received pair at a time, not the whole network;
         * after a failure the other ranks' pairs are still received, and declined */
        for (size_t p = 0; p < P; p++) {
            if (owner[p] != 0) {
                nb_status r = recv_pair(st, p, owner[p], s == NB_OK, comm);
                if (s == NB_OK)
                    s = r;
            }
            if (sink && s == NB_OK)
                s = nb_bundle_stream_pair(st, p, sink);
        }
        if (s == NB_OK)
            s = sink ? nb_bundle_finish_streamed(st, sink, &d) : nb_bundle_finish(st, &d);
        *have_out = s == NB_OK;
    } else {
        for (size_t p = 0; s == NB_OK && p < P; p++)
            if (owner[p] == rank)
                s = send_pair(st, p, comm);
    }
    s = nb_bundle_mpi_agree(s, comm);
    if (s != NB_OK && *have_out) {
        nb_bundle_data_deinit(&d);
        *have_out = false;
    }
    if (*have_out)
        *out = d;
    return s;
}
