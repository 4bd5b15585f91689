# nb_importance: importance estimation and pruning.
# INTERFACE until the first source exists; then: add_library(nb_importance STATIC <sources>) and
# switch the keywords below to PUBLIC.
add_library(nb_importance INTERFACE)
target_include_directories(nb_importance INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_importance INTERFACE nb_net nb_common)
