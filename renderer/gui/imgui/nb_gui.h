/* nb_gui.h - the Dear ImGui panels of nnbundle-render behind a C interface.
 *
 * Implemented in the project's one C++ file, renderer/gui/imgui/nb_gui.cpp (Dear ImGui 1.86 from
 * Debian libimgui-dev, SDL2 + OpenGL3 backends). The panels are a view of an nb_gui_state
 * (nb_gui_state.h): they draw it, write edits into its forms and set request bits; C code
 * does everything else. Frame order: nb_gui_new_frame, nb_gui_draw_panels (before the scene
 * is drawn, so an edit applies to the same frame), draw the scene, nb_gui_render, swap.
 * One nb_gui per window and GL context; call everything on the thread that owns the context.
 */
#ifndef NB_GUI_H
#define NB_GUI_H

#include <stdbool.h>

#include <SDL2/SDL.h>

#ifdef __cplusplus
extern "C" { /* the project's headers are C: C linkage for all of them */
#endif

#include "nb_gui_input.h"
#include "nb_gui_state.h"
#include "nb_status.h"

typedef struct nb_gui nb_gui;

/* Creates the ImGui context and the SDL2/OpenGL3 backends for `window` and its current GL
 * context (GL 4.3 core; shaders "#version 430 core"). No imgui.ini is read or written.
 * Returns NB_OK, NB_E_GL (backend initialisation failed), NB_E_NOMEM. */
nb_status nb_gui_create(SDL_Window *window, void *gl_context, nb_gui **out);

/* Frees textures, backends and the context; NULL is a no-op. Needs the GL context current. */
void nb_gui_destroy(nb_gui *g);

/* Routes one SDL event (nb_gui_input_route with the panel rectangles of the last drawn frame:
 * a press over a panel belongs to the panels until its release, a press elsewhere to the
 * scene; wheel and motion with no button held go to what is under the pointer; keys to the
 * panels while a text field or active widget has the keyboard) and feeds Dear ImGui what is
 * its. Returns true if the panels take the event, so the app must not also use it for the
 * camera, picking or its keys. Mouse position and buttons are tracked from events, so
 * synthetic events (SDL_PushEvent) drive the GUI exactly like real input. */
bool nb_gui_process_event(nb_gui *g, const SDL_Event *ev);

/* The panel windows drawn in the last frame (rectangles in window pixels; none while
 * st->panels_hidden), whether a popup is open, and the keyboard state used for routing. */
void nb_gui_query_panels(const nb_gui *g, nb_gui_input_panels *out);

/* Starts a frame (display size from the window's drawable). */
void nb_gui_new_frame(nb_gui *g);

/* Builds every panel shown in st (the sidebar with its tabs, Activations, Layers; nothing
 * while st->panels_hidden) and records their rectangles; edits go into st's forms (the
 * rendering form writes the app's live config), actions into st->requests. Also draws the
 * highlight overlay of the picked node (st->overlay_*) behind the panels. */
void nb_gui_draw_panels(nb_gui *g, nb_gui_state *st);

/* Renders the frame's panels over the current framebuffer (uploads changed images first). */
void nb_gui_render(nb_gui *g);

/* Whether ImGui currently wants the mouse / the keyboard (see nb_gui_process_event). */
bool nb_gui_wants_mouse(const nb_gui *g);
bool nb_gui_wants_keyboard(const nb_gui *g);

#ifdef __cplusplus
}
#endif

#endif /* NB_GUI_H */
