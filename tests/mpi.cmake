# Distributed bundling (docs/distributed.md). The split hooks of nb_bundle are tested in every
# build; the MPI tests (label mpi) only when NB_MPI=ON (scripts/test.sh builds build/mpi for
# them); without MPI, a run under an MPI launcher must refuse instead of writing K times.
nb_add_test(test_bundle_split SOURCES test_bundle_split.c LIBS nb_bundling nb_importance nb_net
    LABEL unit TIMEOUT 120)
if(NB_MPI)
    nb_add_test(test_bundle_mpi SOURCES test_bundle_mpi.c LIBS nb_bundling LABEL mpi TIMEOUT 30)
    # the same tests on two ranks (test_agree runs only there); Open MPI refuses root unless told
    add_test(NAME test_bundle_mpi_2ranks
             COMMAND ${MPIEXEC_EXECUTABLE} --oversubscribe -n 2 $<TARGET_FILE:test_bundle_mpi>)
    set_tests_properties(test_bundle_mpi_2ranks PROPERTIES LABELS mpi TIMEOUT 60
        ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMP_NUM_THREADS=1")
    nb_add_script_test(cli_mpi cli_mpi.sh LABEL mpi TIMEOUT 360)
else()
    nb_add_script_test(cli_bundle_nompi cli_bundle_nompi.sh LABEL cli TIMEOUT 60)
endif()
