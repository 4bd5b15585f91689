# nb_bundling: layout, sampling/resampling, density, advection, smoothing, metrics, driver.
add_library(nb_bundling INTERFACE)
target_include_directories(nb_bundling INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_bundling INTERFACE nb_net nb_common)
