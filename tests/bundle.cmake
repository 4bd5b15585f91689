# Tests of the bundle stage (nb_bundling): layout, sampling, smoothing, metrics, the bundling
# driver, and the bundle/info CLI.
nb_add_test(test_layout SOURCES test_layout.c LIBS nb_bundling LABEL unit TIMEOUT 30)
nb_add_test(test_sample SOURCES test_sample.c LIBS nb_bundling LABEL unit TIMEOUT 30)
nb_add_test(test_smooth SOURCES test_smooth.c LIBS nb_bundling LABEL unit TIMEOUT 30)
nb_add_test(test_metrics SOURCES test_metrics.c LIBS nb_bundling LABEL unit TIMEOUT 60)
# (seconds to a minute in Release; under ASan on a loaded 2-core machine up to 110 s)
nb_add_test(test_bundle SOURCES test_bundle.c LIBS nb_bundling nb_importance nb_net
    LABEL unit TIMEOUT 240)
nb_add_script_test(cli_bundle cli_bundle.sh LABEL cli TIMEOUT 120)
# One layer pair's polylines in memory at a time: a network whose polylines exceed a
# `ulimit -v` limit is bundled within it (about 10 s; under ASan a smaller one, no limit).
if(NB_ASAN)
    nb_add_script_test(cli_bundle_stream cli_bundle_stream.sh LABEL cli TIMEOUT 120 ENV NB_ASAN=1)
else()
    nb_add_script_test(cli_bundle_stream cli_bundle_stream.sh LABEL cli TIMEOUT 120)
endif()
