# Kernel density and advection (processor/nb_density*.c).
nb_add_test(test_density SOURCES test_density.c LIBS nb_density LABEL unit TIMEOUT 120)
