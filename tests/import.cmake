# Tests of the importer (processor/import): the ONNX reader and `nnbundle import`.
#
# onnx_run: a test tool (not a test) that runs an ONNX model through the importer and the
# forward pass; tests/onnx_testdata.py and examples/compare_onnx.py drive it.
add_executable(onnx_run onnx_run.c)
target_link_libraries(onnx_run PRIVATE nb_import nb_net)

# The Python interpreter with the Debian modules (python3-onnx, python3-numpy).
set(NB_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with python3-onnx (ONNX import tests)")

# onnx_models: writes the good and bad ONNX models of test_onnx (fixture; exit 77 = skipped
# where python3-onnx is missing, and test_onnx then skips the tests that need them).
set(NB_ONNX_MODELS_DIR ${CMAKE_CURRENT_BINARY_DIR}/onnx_models)
add_test(NAME onnx_models COMMAND ${NB_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/onnx_models.py
         ${NB_ONNX_MODELS_DIR})
set_tests_properties(onnx_models PROPERTIES LABELS unit TIMEOUT 60 SKIP_RETURN_CODE 77
                     FIXTURES_SETUP onnx_models)

nb_add_test(test_onnx SOURCES test_onnx.c LIBS nb_import nb_net m LABEL unit TIMEOUT 60
            ENV NB_ONNX_MODELS=${NB_ONNX_MODELS_DIR})
set_tests_properties(test_onnx PROPERTIES FIXTURES_REQUIRED onnx_models)

# Debian libonnx-testdata's operator tests through the importer and the forward pass; writes
# onnx_testdata_report.md into the build directory (skipped without libonnx-testdata).
add_test(NAME onnx_testdata
         COMMAND ${NB_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/onnx_testdata.py
                 $<TARGET_FILE:onnx_run> ${CMAKE_BINARY_DIR}/onnx_testdata_report.md)
set_tests_properties(onnx_testdata PROPERTIES LABELS cli TIMEOUT 600 SKIP_RETURN_CODE 77
                     ENVIRONMENT "OMP_NUM_THREADS=2")

# nnbundle import end to end: writes, refuses, keeps existing files, class names.
nb_add_script_test(cli_import cli_import.sh LABEL cli TIMEOUT 120
                   ENV NB_ONNX_MODELS=${NB_ONNX_MODELS_DIR} NB_PYTHON=${NB_PYTHON})
set_tests_properties(cli_import PROPERTIES FIXTURES_REQUIRED onnx_models SKIP_RETURN_CODE 77)
