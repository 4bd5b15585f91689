# GUI tests (nnbundle-render's Dear ImGui panels and their GL-free logic).
#   unit: test_gui_pick (ray-sphere picking), ...
if(NOT NB_RENDERER)
    return()
endif()

# The GL-free GUI logic library. It belongs in renderer/CMakeLists.txt's "# GUI sources"
# block; until that block exists it is defined here so the tests can build.
if(NOT TARGET nb_gui_core)
    add_library(nb_gui_core STATIC
        ${CMAKE_SOURCE_DIR}/renderer/nb_gui_pick.c
        ${CMAKE_SOURCE_DIR}/renderer/nb_gui_form.c
        ${CMAKE_SOURCE_DIR}/renderer/nb_gui_stats.c
        ${CMAKE_SOURCE_DIR}/renderer/nb_gui_inspect.c
        ${CMAKE_SOURCE_DIR}/renderer/nb_gui_activation.c
        ${CMAKE_SOURCE_DIR}/renderer/nb_gui_state.c
        ${CMAKE_SOURCE_DIR}/renderer/nb_gui_job.c
    )
    target_include_directories(nb_gui_core PUBLIC ${CMAKE_SOURCE_DIR}/renderer)
    find_package(Threads REQUIRED)
    target_link_libraries(nb_gui_core PUBLIC nb_render_core nb_bundling nb_importance nb_net
                          nb_common Threads::Threads m)
endif()
if(NOT TARGET nb_gui)
    add_library(nb_gui STATIC ${CMAKE_SOURCE_DIR}/renderer/nb_gui.cpp)
    target_link_libraries(nb_gui PUBLIC nb_gui_core PkgConfig::IMGUI SDL2::SDL2 OpenGL::GL
                          ${CMAKE_DL_LIBS})
endif()

nb_add_test(test_gui_pick SOURCES test_gui_pick.c LIBS nb_gui_core PkgConfig::CGLM LABEL unit TIMEOUT 30)
nb_add_test(test_gui_form SOURCES test_gui_form.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
nb_add_test(test_gui_stats SOURCES test_gui_stats.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
nb_add_test(test_gui_inspect SOURCES test_gui_inspect.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
nb_add_test(test_gui_activation SOURCES test_gui_activation.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
nb_add_test(test_gui_panels SOURCES test_gui_panels.c LIBS nb_gui nb_importance PkgConfig::CGLM
            LABEL gl TIMEOUT 120)
nb_add_test(test_gui_job SOURCES test_gui_job.c LIBS nb_gui_core LABEL unit TIMEOUT 120)
