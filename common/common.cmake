# nb_common data layer: configs (cJSON), the in-memory model, the .nnb.h5 file (HDF5), IDX data.
target_sources(nb_common PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/nb_config_engine.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_processing_config.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_rendering_config.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_model.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_idx.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_h5.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_h5_io.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_h5_schema.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_file.c
)
