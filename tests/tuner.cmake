# The adaptive thread count shared by training and the density back-ends (processor/tuner).
nb_add_test(test_tuner SOURCES test_tuner.c LIBS nb_tuner LABEL unit TIMEOUT 30)
