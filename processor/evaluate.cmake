# nb_evaluate: pruning curves (method comparison, class-specific pruning), CSV output.
add_library(nb_evaluate STATIC
    ${CMAKE_CURRENT_LIST_DIR}/nb_evaluate.c
)
target_include_directories(nb_evaluate PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_evaluate PUBLIC nb_importance nb_net nb_common m)
