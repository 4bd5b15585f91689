# nb_net: MLP layers, training, random networks.
# INTERFACE until the first source exists; then: add_library(nb_net STATIC <sources>) and
# switch the keywords below to PUBLIC.
add_library(nb_net INTERFACE)
target_include_directories(nb_net INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_net INTERFACE nb_common)
