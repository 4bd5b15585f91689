/* nb_bundle_mpi.h - bundling across MPI ranks: layer pairs spread over the ranks, the final
 * polylines gathered to rank 0, which computes the metrics and writes the one file.
 *
 * Built only with the CMake option NB_MPI (Open MPI from Debian, libopenmpi-dev); a build
 * without it has no MPI code at all. docs/distributed.md describes the run:
 *   every rank  reads the input, lays out, prunes and runs the node phase (global, cheap and
 *               deterministic: every rank computes the same node positions), then advects
 *               only the layer pairs nb_bundle_mpi_assign gives it (nb_bundle_pair_edge_phase;
 *               the others are released, nb_bundle_pair_release)
 *   rank 0      receives every other pair's final polylines in pair order
 *               (nb_bundle_pair_install), streams each pair to the caller's sink (or keeps
 *               them all without one), computes the metrics and returns the /bundle group
 *               that it writes (nb_bundle_finish_streamed or nb_bundle_finish)
 * Layer pairs never see each other's density (method.md §4.8), so the result is
 * bit-identical to a single-process run. Threading: MPI is called from the main thread only
 * (MPI_THREAD_FUNNELED); every rank runs its pairs with its own OpenMP threads.
 */
#ifndef NB_BUNDLE_MPI_H
#define NB_BUNDLE_MPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

#include "nb_bundle.h"
#include "nb_model.h"
#include "nb_status.h"

/* Whether this process was started by an MPI launcher (mpirun / mpiexec of Open MPI, or a
 * PMI/PMIx launcher such as srun): one of OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_SIZE is set. A
 * process started on its own runs without MPI (no MPI_Init: no singleton start-up cost). */
bool nb_bundle_mpi_launched(void);

/* MPI_Init_thread (MPI_THREAD_FUNNELED) when launched (nb_bundle_mpi_launched), else nothing;
 * *rank, *size: this rank and the rank count of MPI_COMM_WORLD (0 and 1 when not launched).
 * Returns NB_OK or NB_E_IO (subject "MPI": the library's error text). Call once per process,
 * before any other function here; pair with nb_bundle_mpi_finalize. */
nb_status nb_bundle_mpi_init(int *rank, int *size);

/* MPI_Finalize if nb_bundle_mpi_init initialised MPI; otherwise nothing. */
void nb_bundle_mpi_finalize(void);

/* Deterministic assignment of layer pairs to ranks that balances edge counts (the edge
 * phase's cost is about proportional to a pair's samples, i.e. to its edges): longest
 * processing time first (Graham 1969) - pairs by descending edge count (ties: lower pair
 * first), each to the rank with the fewest edges so far (ties: lower rank).
 *   pair_edges: size_t[n_pairs] kept edges per pair; owner: int[n_pairs] out, in [0, n_ranks).
 * Bound: the largest rank load is at most 4/3 of the optimum; a pair is never split, so one
 * pair with more than 1/n_ranks of the edges sets the run's time (docs/distributed.md).
 * Returns NB_OK, NB_E_INVALID (n_ranks < 1), NB_E_NOMEM. */
nb_status nb_bundle_mpi_assign(size_t n_pairs, const size_t *pair_edges, int n_ranks, int *owner);

/* Collective over comm: agrees on the outcome of a stage that every rank ran. Returns NB_OK
 * when every rank passed NB_OK; the rank's own `local` status (its error still recorded)
 * when it failed; otherwise the status of the lowest failing rank k, raised with subject
 * "rank k" and reason "failed (its message above)". Every rank must call it, failed or not,
 * so that no rank waits forever in a later collective. */
nb_status nb_bundle_mpi_agree(nb_status local, MPI_Comm comm);

/* The owner rank of each of st's layer pairs: nb_bundle_mpi_assign over their kept edge
 * counts, so every rank computes the same table (no communication). Call before any pair is
 * released (nb_bundle_query_pair refuses released pairs). owner: int[P] out, P =
 * nb_bundle_query_pair_count(st). The caller then releases the pairs of other ranks
 * (nb_bundle_pair_release; rank 0 keeps them: it installs them at the end) and runs its own
 * (nb_bundle_pair_edge_phase). Returns NB_OK, NB_E_NOMEM, or a status of
 * nb_bundle_mpi_assign. */
nb_status nb_bundle_mpi_pair_owners(const nb_bundle_state *st, int n_ranks, int *owner);

/* Collective: finishes the run across the ranks, after every rank ran its own pairs
 * (nb_bundle_pair_edge_phase). owner: the table of nb_bundle_mpi_pair_owners (may be NULL
 * when local is not NB_OK). `local` is this rank's status so far (st may be NULL when it is
 * not NB_OK): the ranks first agree (nb_bundle_mpi_agree); then rank 0 receives every other
 * rank's pairs in pair order (a header with the pair's edge and point counts, the edge count
 * checked; uint64 offsets, float32 points, in messages of at most 2^30 elements), installs
 * them (nb_bundle_pair_install) and runs nb_bundle_finish into *out, setting *have_out; the
 * other ranks send their pairs, release them (nb_bundle_pair_release), leave *out untouched
 * and set *have_out = false. With a sink (rank 0's; ignored on the other ranks), rank 0
 * streams every pair to it in pair order as soon as it has it (nb_bundle_stream_pair: its
 * metrics, sink->put, release) and finishes with nb_bundle_finish_streamed, so *out has no
 * points (point_position NULL; they are with the sink) and rank 0 holds its own pairs and
 * one received pair at a time instead of the whole network; the file is the same bit for
 * bit (the metrics are accumulated in the same order). sink NULL: the points are gathered
 * into *out. Statuses: NB_OK on every rank, or on every rank a failure
 * (nb_bundle_mpi_agree), e.g. NB_E_NOMEM, NB_E_FORMAT (subject "MPI": a header that does not
 * fit the pair), NB_E_IO (subject "MPI": a failed MPI call), or a status of
 * nb_bundle_finish. */
nb_status nb_bundle_mpi_finish(nb_bundle_state *st, const int *owner, nb_status local,
                               MPI_Comm comm, const nb_bundle_sink *sink, nb_bundle_data *out,
                               bool *have_out);

#endif /* NB_BUNDLE_MPI_H */
