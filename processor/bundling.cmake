# nb_bundling: layout, sampling, smoothing, metrics, driver.
# INTERFACE until the first source exists; then: add_library(nb_bundling STATIC <sources>) and
# switch the keywords below to PUBLIC.
add_library(nb_bundling INTERFACE)
target_include_directories(nb_bundling INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_bundling INTERFACE nb_density nb_importance nb_net nb_common)
