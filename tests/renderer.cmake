# Renderer tests: GL-free units (label unit) and headless GL tests (label gl, SDL offscreen).
nb_add_test(test_camera SOURCES test_camera.c LIBS nb_render_core LABEL unit TIMEOUT 90)
nb_add_test(test_render_gl SOURCES test_render_gl.c test_render_fixture.c LIBS nb_render_gl
            LABEL gl TIMEOUT 180)
nb_add_test(test_palette SOURCES test_palette.c LIBS nb_render_core LABEL unit TIMEOUT 30)
nb_add_test(test_render_params SOURCES test_render_params.c LIBS nb_render_core LABEL unit TIMEOUT 30)
nb_add_test(test_render_scene SOURCES test_render_scene.c test_render_fixture.c LIBS nb_render_core
            LABEL unit TIMEOUT 90)
nb_add_test(test_render_options SOURCES test_render_options.c LIBS nb_render_core LABEL unit
            TIMEOUT 30)
nb_add_test(test_render_golden SOURCES test_render_golden.c test_render_fixture.c LIBS nb_render_gl
            LABEL gl TIMEOUT 180)
nb_add_test(test_render_app SOURCES test_render_app.c test_render_fixture.c LIBS nb_render_app
            LABEL gl TIMEOUT 120)
# Runs the nnbundle-render executable (GL through SDL offscreen, so labelled gl).
nb_add_test(test_render_cli SOURCES test_render_cli.c test_render_fixture.c LIBS nb_render_core
            LABEL gl TIMEOUT 180)
add_dependencies(test_render_cli nnbundle-render)
# Image output and the legend (GL-free): fonts, placement/encoding, PNG/JPEG/RGBA files.
nb_add_test(test_font SOURCES test_font.c LIBS nb_render_core LABEL unit TIMEOUT 30)
nb_add_test(test_legend SOURCES test_legend.c test_render_fixture.c LIBS nb_render_core
            LABEL unit TIMEOUT 30)
nb_add_test(test_screenshot SOURCES test_screenshot.c LIBS nb_render_core LABEL unit TIMEOUT 30)
nb_add_test(test_render_output SOURCES test_render_output.c test_render_fixture.c
            LIBS nb_render_app LABEL gl TIMEOUT 120)
# Compare mode (several networks side by side): the GL-free layout, shared camera, titles,
# class check and shared scale.
nb_add_test(test_compare SOURCES test_compare.c test_render_fixture.c LIBS nb_render_core
            LABEL unit TIMEOUT 60)
# Compare mode through the executable: golden image (tests/golden/compare_two.png), titles,
# one camera in the pixels, frames, error paths.
nb_add_test(test_render_compare SOURCES test_render_compare.c test_render_fixture.c
            LIBS nb_render_core LABEL gl TIMEOUT 180)
add_dependencies(test_render_compare nnbundle-render)
# The installed layout (cmake --install into a temporary prefix): the installed binaries draw
# with the shaders installed next to them, also after the prefix moved.
add_test(NAME test_render_install COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_render_install.sh
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(test_render_install PROPERTIES LABELS gl TIMEOUT 180
    ENVIRONMENT "NB_BINARY_DIR=${CMAKE_BINARY_DIR};CMAKE=${CMAKE_COMMAND};OMP_NUM_THREADS=2")
# --export (GL-free): the glTF writer against tests/golden/export_tiny.json, class-view colours,
# the layer filter, the option and the refusal paths.
nb_add_test(test_export SOURCES test_export.c test_render_fixture.c LIBS nb_render_core cjson
            LABEL unit TIMEOUT 60)
# --export OUT.html without a browser (three.js replaced by stand-in files).
nb_add_test(test_export_html SOURCES test_export_html.c test_render_fixture.c
            LIBS nb_render_core cjson LABEL unit TIMEOUT 60)
# The page in headless Chromium with the network disabled (skipped, exit 77, without chromium).
nb_add_test(test_export_browser SOURCES test_export_browser.c test_render_fixture.c
            LIBS nb_render_core LABEL gl TIMEOUT 240)
set_tests_properties(test_export_browser PROPERTIES SKIP_RETURN_CODE 77)
add_dependencies(test_export_browser nnbundle-render)
