# Reliability of output (issue 14): kills during writes, full disks, output-path checks, the
# write lock. Shell tests with the built tools; each bounded and seeded.
nb_add_script_test(reliability_kill reliability_kill.sh LABEL cli TIMEOUT 240)
nb_add_script_test(reliability_full reliability_full.sh LABEL cli TIMEOUT 120)
nb_add_script_test(reliability_outputs reliability_outputs.sh LABEL cli TIMEOUT 120)
# a real full disk on a 64 KiB tmpfs; skipped (77) where mount is not allowed
nb_add_script_test(reliability_tmpfs reliability_tmpfs.sh LABEL cli TIMEOUT 60)
set_tests_properties(reliability_tmpfs PROPERTIES SKIP_RETURN_CODE 77)
