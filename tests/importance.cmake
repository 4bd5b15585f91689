# Tests of the importance area: batch norm, importance strategies, pruning, the CLI.
nb_add_test(test_bn SOURCES test_bn.c LIBS nb_importance LABEL unit TIMEOUT 60)
nb_add_test(test_prune SOURCES test_prune.c LIBS nb_importance LABEL unit TIMEOUT 30)
nb_add_test(test_importance SOURCES test_importance.c LIBS nb_importance LABEL unit TIMEOUT 120)
