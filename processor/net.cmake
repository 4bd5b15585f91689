# nb_net: MLP layers (nb_mlp), training (nb_train), random networks (nb_random).
add_library(nb_net STATIC
    ${CMAKE_CURRENT_LIST_DIR}/nb_mlp.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_random.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_train.c
)
target_include_directories(nb_net PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${CBLAS_INCLUDE_DIR})
target_link_libraries(nb_net PUBLIC nb_common BLAS::BLAS OpenMP::OpenMP_C m)
# The Adam update is the hot element-wise loop of training: sqrtf must not set errno (which
# keeps GCC from vectorising it), and GCC's default -O2 "very cheap" cost model leaves loops
# with a remainder scalar. Nothing in nb_net reads errno after a math function.
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(nb_net PRIVATE -fno-math-errno)
endif()
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_compile_options(nb_net PRIVATE -fvect-cost-model=dynamic)
endif()
