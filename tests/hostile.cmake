# The standing hostile-input test (tests/hostile/hostile.py; docs/data.md "What the readers
# refuse"): seeded hostile inputs and byte flips of valid .nnb.h5, IDX, .npy and JSON files
# through the CLI, each under a timeout and an address-space limit. Needs /usr/bin/python3
# with python3-numpy and python3-h5py (scripts/install_deps.sh); exit 77 (skipped) without.
# Under ASan there is no address-space limit (ASan reserves terabytes) and fewer flips, so the
# test stays near a minute there; in Release it takes about 10 s.
set(nb_hostile_args --nnbundle $<TARGET_FILE:nnbundle>
    --work ${CMAKE_CURRENT_BINARY_DIR}/hostile_work --seed 14)
if(NB_ASAN)
    list(APPEND nb_hostile_args --asan --flips 4)
else()
    list(APPEND nb_hostile_args --flips 12)
endif()
add_test(NAME cli_hostile
         COMMAND ${NB_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/hostile/hostile.py ${nb_hostile_args})
set_tests_properties(cli_hostile PROPERTIES LABELS cli TIMEOUT 300 SKIP_RETURN_CODE 77
    ENVIRONMENT "OMP_NUM_THREADS=2;LSAN_OPTIONS=suppressions=${NB_TEST_DATA_DIR}/lsan_hdf5.supp")
