# Tests of the importer (processor/import): the ONNX reader and `nnbundle import`.
#
# onnx_run: a test tool (not a test) that runs an ONNX model through the importer and the
# forward pass; tests/onnx_testdata.py and examples/compare_onnx.py drive it.
add_executable(onnx_run onnx_run.c)
target_link_libraries(onnx_run PRIVATE nb_import nb_net)
