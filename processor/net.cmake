# nb_net: MLP layers (nb_mlp), training (nb_train), random networks (nb_random).
add_library(nb_net STATIC
    ${CMAKE_CURRENT_LIST_DIR}/nb_mlp.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_random.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_train.c
)
target_include_directories(nb_net PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${CBLAS_INCLUDE_DIR})
target_link_libraries(nb_net PUBLIC nb_common BLAS::BLAS OpenMP::OpenMP_C m)
