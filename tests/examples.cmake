# examples/ and the PyTorch importer: a CLI test of examples/import_pytorch.py (skips with
# exit 77 where python3-torch / python3-h5py are missing, e.g. in CI, which installs only
# scripts/install_deps.sh's packages). The example scripts themselves take minutes and
# download nothing; they are run by hand (examples/README.md), not by CTest.
nb_add_script_test(cli_import_pytorch cli_import_pytorch.sh LABEL cli TIMEOUT 300)
set_tests_properties(cli_import_pytorch PROPERTIES SKIP_RETURN_CODE 77)
