# Tests of the network stage (nb_net): dense layers, the operator engine, batch norm, training,
# random networks,
# and the train CLI.
nb_add_test(test_mlp SOURCES test_mlp.c LIBS nb_net LABEL unit TIMEOUT 60)
nb_add_test(test_bn SOURCES test_bn.c LIBS nb_net LABEL unit TIMEOUT 60)
nb_add_test(test_train SOURCES test_train.c LIBS nb_net LABEL unit TIMEOUT 120)
nb_add_test(test_graph SOURCES test_graph.c LIBS nb_net LABEL unit TIMEOUT 60)
nb_add_test(test_random SOURCES test_random.c LIBS nb_net LABEL unit TIMEOUT 60)
nb_add_script_test(cli_train cli_train.sh LABEL cli TIMEOUT 120)
nb_add_test(test_layers SOURCES test_layers.c LIBS nb_net BLAS::BLAS OpenMP::OpenMP_C LABEL unit
            TIMEOUT 120)
target_include_directories(test_layers PRIVATE ${CBLAS_INCLUDE_DIR})
