# Kernel density and advection (processor/bundle/density).
nb_add_test(test_density SOURCES test_density.c LIBS nb_density LABEL unit TIMEOUT 120)
