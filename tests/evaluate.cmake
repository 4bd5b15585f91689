# Tests of nb_evaluate (pruning curves) and the `nnbundle evaluate` CLI.
nb_add_test(test_evaluate SOURCES test_evaluate.c LIBS nb_evaluate nb_importance nb_net
    LABEL unit TIMEOUT 60)
nb_add_script_test(cli_evaluate cli_evaluate.sh LABEL cli TIMEOUT 120)
