# nb_importance: batch-norm layer, importance estimation (strategy table), pruning scores.
add_library(nb_importance STATIC
    ${CMAKE_CURRENT_LIST_DIR}/nb_bn.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_importance.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_prune.c
)
target_include_directories(nb_importance PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_importance PUBLIC nb_net nb_common OpenMP::OpenMP_C m)
