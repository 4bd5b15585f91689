/* test_bundle_mpi.c - the assignment of layer pairs to MPI ranks (computed locally: no
 * MPI_Init needed), and, when started by mpirun with 2 ranks, the agreement on a failure of
 * one rank (nb_bundle_mpi_agree). Built only with NB_MPI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nb_bundle_mpi.h"

static size_t rank_load(const size_t *edges, const int *owner, size_t n, int rank) {
    size_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += owner[i] == rank ? edges[i] : 0;
    return s;
}

static void test_assign(void **state) {
    (void)state;
    /* 784-2000-1000-10: the two big pairs go to different ranks, the small one joins the
     * lighter rank */
    const size_t big[3] = {1568000, 2000000, 10000};
    int owner[6];
    assert_int_equal(nb_bundle_mpi_assign(3, big, 2, owner), NB_OK);
    assert_int_equal(owner[1], 0);
    assert_int_equal(owner[0], 1);
    assert_int_equal(owner[2], 1);
    /* one rank: everything on rank 0 */
    assert_int_equal(nb_bundle_mpi_assign(3, big, 1, owner), NB_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(owner[i], 0);
    /* more ranks than pairs: one pair each, the rest idle */
    assert_int_equal(nb_bundle_mpi_assign(3, big, 5, owner), NB_OK);
    assert_int_equal(owner[1], 0);
    assert_int_equal(owner[0], 1);
    assert_int_equal(owner[2], 2);
    /* ties: lower pair first, lower rank first */
    const size_t same[4] = {5, 5, 5, 5};
    assert_int_equal(nb_bundle_mpi_assign(4, same, 2, owner), NB_OK);
    assert_int_equal(owner[0], 0);
    assert_int_equal(owner[1], 1);
    assert_int_equal(owner[2], 0);
    assert_int_equal(owner[3], 1);
    /* a balanced split of 6 pairs over 3 ranks: loads 9, 9, 9 */
    const size_t six[6] = {2, 7, 4, 5, 3, 6};
    assert_int_equal(nb_bundle_mpi_assign(6, six, 3, owner), NB_OK);
    for (int r = 0; r < 3; r++)
        assert_int_equal(rank_load(six, owner, 6, r), 9);
    /* empty and invalid */
    assert_int_equal(nb_bundle_mpi_assign(0, six, 2, owner), NB_OK);
    assert_int_equal(nb_bundle_mpi_assign(6, six, 0, owner), NB_E_INVALID);
    assert_string_equal(nb_error_subject(), "MPI");
}

static int rank = 0, n_ranks = 1;

/* Every rank OK: NB_OK everywhere. Rank 1 fails: it keeps its own error, rank 0 gets rank 1's
 * status with subject "rank 1". Both fail: each keeps its own. */
static void test_agree(void **state) {
    (void)state;
    if (n_ranks != 2)
        skip(); /* run as `mpirun -n 2 test_bundle_mpi` (tests/mpi.cmake) */
    assert_int_equal(nb_bundle_mpi_agree(NB_OK, MPI_COMM_WORLD), NB_OK);
    nb_status local = rank == 1 ? NB_RAISE(NB_E_IO, "disk", "gone") : NB_OK;
    nb_status s = nb_bundle_mpi_agree(local, MPI_COMM_WORLD);
    assert_int_equal(s, NB_E_IO);
    assert_string_equal(nb_error_subject(), rank == 1 ? "disk" : "rank 1");
    local = NB_RAISE(rank == 0 ? NB_E_NOMEM : NB_E_FORMAT, "mine", "rank %d", rank);
    s = nb_bundle_mpi_agree(local, MPI_COMM_WORLD);
    assert_int_equal(s, rank == 0 ? NB_E_NOMEM : NB_E_FORMAT);
    assert_string_equal(nb_error_subject(), "mine");
}

int main(void) {
    if (nb_bundle_mpi_init(&rank, &n_ranks) != NB_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assign),
        cmocka_unit_test(test_agree),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    nb_bundle_mpi_finalize();
    return failed;
}
