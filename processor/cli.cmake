# The nnbundle CLI: one file per command, dispatched by main.c.
add_executable(nnbundle
    ${CMAKE_CURRENT_LIST_DIR}/main.c
    ${CMAKE_CURRENT_LIST_DIR}/cli_common.c
    ${CMAKE_CURRENT_LIST_DIR}/cli_train.c
    ${CMAKE_CURRENT_LIST_DIR}/cli_random.c
    ${CMAKE_CURRENT_LIST_DIR}/cli_importance.c
    ${CMAKE_CURRENT_LIST_DIR}/cli_bundle.c
    ${CMAKE_CURRENT_LIST_DIR}/cli_info.c
    ${CMAKE_CURRENT_LIST_DIR}/cli_run.c
    ${CMAKE_CURRENT_LIST_DIR}/cli_evaluate.c
)
target_link_libraries(nnbundle PRIVATE nb_evaluate nb_bundling nb_density nb_importance nb_net nb_common)
