# End-to-end CLI tests of the whole pipeline.
nb_add_script_test(cli_pipeline cli_pipeline.sh LABEL cli TIMEOUT 300)
