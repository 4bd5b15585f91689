# Renderer tests: GL-free units (label unit) and headless GL tests (label gl, SDL offscreen).
nb_add_test(test_camera SOURCES test_camera.c LIBS nb_render_core LABEL unit TIMEOUT 30)
