# nb_importance: batch-norm layer, importance estimation (strategy table), pruning scores.
add_library(nb_importance STATIC
    ${CMAKE_CURRENT_LIST_DIR}/nb_bn.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_importance.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_prune.c
)
target_include_directories(nb_importance PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_importance PUBLIC nb_net nb_common OpenMP::OpenMP_C m)
# The per-element batch-norm and ReLU loops are the hot path of fine-tuning: let GCC vectorise
# them at -O2 too (its default "very cheap" cost model leaves them scalar).
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_compile_options(nb_importance PRIVATE -fvect-cost-model=dynamic)
endif()
