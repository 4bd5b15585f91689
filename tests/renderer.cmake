# Renderer tests: GL-free units (label unit) and headless GL tests (label gl, SDL offscreen).
nb_add_test(test_camera SOURCES test_camera.c LIBS nb_render_core LABEL unit TIMEOUT 30)
nb_add_test(test_render_gl SOURCES test_render_gl.c test_render_fixture.c LIBS nb_render_gl
            LABEL gl TIMEOUT 180)
nb_add_test(test_palette SOURCES test_palette.c LIBS nb_render_core LABEL unit TIMEOUT 30)
nb_add_test(test_render_params SOURCES test_render_params.c LIBS nb_render_core LABEL unit TIMEOUT 30)
nb_add_test(test_render_scene SOURCES test_render_scene.c test_render_fixture.c LIBS nb_render_core
            LABEL unit TIMEOUT 30)
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
