# Tests of the data layouts (nb_data: NumPy, ImageFolder, class names) and the Keras HDF5 reader
# (nb_keras). Data fixtures are written by test_data itself; the Keras model.h5 fixtures are
# committed under tests/data/keras/ with the script that made them (make_keras_fixtures.py).
nb_add_test(test_data SOURCES test_data.c LIBS nb_common PNG::PNG LABEL unit TIMEOUT 60)
nb_add_test(test_keras SOURCES test_keras.c LIBS nb_import nb_net HDF5::HDF5 LABEL unit TIMEOUT 60)
nb_add_test(test_cli_data SOURCES test_cli_data.c LIBS nb_cli nb_common PNG::PNG LABEL cli TIMEOUT 120)
