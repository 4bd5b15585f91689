# GUI tests (nnbundle-render's Dear ImGui panels and their GL-free logic; docs/gui.md).
#   unit: test_gui_pick, test_gui_form, test_gui_stats, test_gui_inspect, test_gui_activation,
#         test_gui_state, test_gui_job, test_gui_input, test_gui_layout (no GL context)
#   gl:   test_gui_panels (panels + synthetic SDL events, standalone), test_gui_app (the real
#         nnbundle-render loop driven by NB_GUI_SCRIPT)
nb_add_test(test_gui_pick SOURCES test_gui_pick.c LIBS nb_gui_core PkgConfig::CGLM LABEL unit TIMEOUT 30)
nb_add_test(test_gui_form SOURCES test_gui_form.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
nb_add_test(test_gui_stats SOURCES test_gui_stats.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
nb_add_test(test_gui_inspect SOURCES test_gui_inspect.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
nb_add_test(test_gui_activation SOURCES test_gui_activation.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
nb_add_test(test_gui_panels SOURCES test_gui_panels.c LIBS nb_gui nb_importance nb_net PkgConfig::CGLM
            LABEL gl TIMEOUT 120)
nb_add_test(test_gui_job SOURCES test_gui_job.c LIBS nb_gui_core nb_bundling nb_importance nb_net LABEL unit TIMEOUT 120)
nb_add_test(test_gui_app SOURCES test_gui_app.c LIBS nb_render_app nb_bundling nb_importance nb_net LABEL gl TIMEOUT 180)
nb_add_test(test_gui_state SOURCES test_gui_state.c LIBS nb_gui_core nb_bundling nb_importance nb_net LABEL unit TIMEOUT 60)
nb_add_test(test_gui_input SOURCES test_gui_input.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
nb_add_test(test_gui_layout SOURCES test_gui_layout.c LIBS nb_gui_core LABEL unit TIMEOUT 30)
