# nb_density: kernel density and advection.
# INTERFACE until the first source exists; then: add_library(nb_density STATIC <sources>) and
# switch the keywords below to PUBLIC.
add_library(nb_density INTERFACE)
target_include_directories(nb_density INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_density INTERFACE nb_common)
