# nb_density: kernel density and advection (exact reference kernel and fast binned back-end).
add_library(nb_density STATIC
    ${CMAKE_CURRENT_LIST_DIR}/nb_density.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_density_exact.c
    ${CMAKE_CURRENT_LIST_DIR}/nb_density_fast.c
)
target_include_directories(nb_density PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nb_density PUBLIC nb_common OpenMP::OpenMP_C m)
# The density loops are the hot path of bundling: let the vectoriser work on them. No errno
# from libm and no floating-point exception flag is ever read, so sqrt may be inlined and
# conditional selects evaluated in SIMD (IEEE results unchanged, no fast-math).
target_compile_options(nb_density PRIVATE $<$<NOT:$<CONFIG:Debug>>:-O3>
                       -fno-math-errno -fno-trapping-math)

# Benchmark (not a test): per-iteration milliseconds of both back-ends on a synthetic pair.
add_executable(bench_density ${CMAKE_SOURCE_DIR}/evaluation/bench_density.c)
target_link_libraries(bench_density PRIVATE nb_density)
target_compile_options(bench_density PRIVATE $<$<NOT:$<CONFIG:Debug>>:-O3>)
