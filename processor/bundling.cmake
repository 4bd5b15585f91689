# nb_bundling: layout, sampling, smoothing, metrics and the bundling driver (spec §3-§4).
add_library(nb_bundling STATIC
    ${CMAKE_CURRENT_LIST_DIR}/nb_layout.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_sample.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_smooth.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_metrics.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_bundle.c
)
target_include_directories(nb_bundling PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_bundling PUBLIC nb_density nb_importance nb_net nb_common)
