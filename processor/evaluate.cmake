# nb_evaluate: pruning evaluation.
# INTERFACE until the first source exists; then: add_library(nb_evaluate STATIC <sources>) and
# switch the keywords below to PUBLIC.
add_library(nb_evaluate INTERFACE)
target_include_directories(nb_evaluate INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_evaluate INTERFACE nb_importance nb_net nb_common)
