# End-to-end CLI tests of the whole pipeline.
nb_add_script_test(cli_pipeline cli_pipeline.sh LABEL cli TIMEOUT 300)
# A network with operators (tests/data/small_cnn.nnb.h5): info's operator table, bundling.
nb_add_script_test(cli_ops cli_ops.sh LABEL cli TIMEOUT 120)
