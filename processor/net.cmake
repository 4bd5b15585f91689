# nb_net: MLP, training, random networks, importance, pruning, evaluation.
# Owned by the network/importance/evaluation work; turn into STATIC once sources exist.
add_library(nb_net INTERFACE)
target_include_directories(nb_net INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_net INTERFACE nb_common)
