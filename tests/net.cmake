# Tests of nb_net: MLP layers, training, random networks, and the train/random CLI.
nb_add_test(test_mlp SOURCES test_mlp.c LIBS nb_net LABEL unit TIMEOUT 60)
