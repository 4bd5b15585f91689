# Tests of the importance area: batch norm, importance strategies, pruning, the CLI.
nb_add_test(test_bn SOURCES test_bn.c LIBS nb_importance LABEL unit TIMEOUT 60)
nb_add_test(test_prune SOURCES test_prune.c LIBS nb_importance LABEL unit TIMEOUT 30)
# test_importance also drives `nnbundle importance` in-process (a file without /network).
nb_add_test(test_importance SOURCES test_importance.c
    ${CMAKE_SOURCE_DIR}/processor/cli_importance.c ${CMAKE_SOURCE_DIR}/processor/cli_common.c
    LIBS nb_importance LABEL unit TIMEOUT 120)
nb_add_script_test(cli_importance cli_importance.sh LABEL cli TIMEOUT 120)
