# Tests of the importance stage (nb_importance): importance strategies, pruning, the CLI.
nb_add_test(test_prune SOURCES test_prune.c LIBS nb_importance LABEL unit TIMEOUT 30)
# test_importance also drives `nnbundle importance` in-process (a file without /network).
nb_add_test(test_importance SOURCES test_importance.c LIBS nb_cli nb_importance nb_net
    LABEL unit TIMEOUT 120)
nb_add_script_test(cli_importance cli_importance.sh LABEL cli TIMEOUT 120)
# Importance, pruning and evaluation on a network with operators (a hand-wired CNN).
nb_add_test(test_importance_ops SOURCES test_importance_ops.c LIBS nb_evaluate nb_importance nb_net
    LABEL unit TIMEOUT 120)
# The gradient importance methods against a naive reference, Spearman, split-half stability.
nb_add_test(test_importance_saliency SOURCES test_importance_saliency.c
    LIBS nb_evaluate nb_importance nb_net LABEL unit TIMEOUT 60)
