/* nb_gui_input.h - who gets an input event, the panels or the scene (GL-free).
 *
 * The rule, decided on the event itself (never on the previous frame's WantCaptureMouse):
 *  - a button press over a panel (or while a popup, menu or combo list is open) belongs to the
 *    panels, a press anywhere else to the scene (camera, picking); the owner of the first
 *    press keeps every mouse event (motion, further presses, releases, wheel) until the last
 *    button is released, wherever the pointer goes;
 *  - with no button held, motion and wheel go to whatever is under the pointer: a wheel over
 *    a panel scrolls the panel and does not zoom the scene;
 *  - keys and text go to the panels while a text field or an active widget has the keyboard
 *    (Dear ImGui's WantCaptureKeyboard), else to the scene.
 * "Over a panel" is a point test against the panel rectangles of the last drawn frame (the
 * panels do not move between frames unless the panels themselves are dragged, and then they
 * own the mouse). The pointer position is tracked from the events (motion and buttons), so a
 * wheel event is placed where the pointer last was, as Dear ImGui places it.
 * Coordinates are window pixels, origin at the top-left corner. Pure functions of their
 * arguments; one capture state per window, main thread.
 */
#ifndef NB_GUI_INPUT_H
#define NB_GUI_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include <SDL2/SDL.h>

#define NB_GUI_INPUT_MAX_RECTS 16

/* The key that hides and shows all panels (free in the viewer's key table: docs/rendering.md). */
#define NB_GUI_INPUT_TOGGLE_KEY      SDLK_TAB
#define NB_GUI_INPUT_TOGGLE_KEY_NAME "Tab"

typedef enum nb_gui_input_owner {
    NB_GUI_INPUT_SCENE = 0,  /* camera, picking, the viewer's keys */
    NB_GUI_INPUT_PANELS = 1, /* Dear ImGui */
} nb_gui_input_owner;

/* The panels as the last frame drew them. */
typedef struct nb_gui_input_panels {
    float rect[NB_GUI_INPUT_MAX_RECTS][4]; /* x0, y0, x1, y1 of each panel window, pixels */
    float pad[NB_GUI_INPUT_MAX_RECTS];     /* hover margin around rect (resize borders), px */
    size_t n_rects;                        /* 0 when the panels are hidden */
    bool popup_open;     /* a popup, menu or combo list is open: Dear ImGui takes any press
                            (a press outside closes it) and the wheel */
    bool wants_keyboard; /* a text field or an active widget has the keyboard */
} nb_gui_input_panels;

/* Who holds the mouse, and where the pointer is. */
typedef struct nb_gui_capture {
    unsigned buttons;         /* SDL_BUTTON(b) bits of the buttons held */
    nb_gui_input_owner owner; /* owner of the held buttons (meaningful while buttons != 0) */
    bool inside;              /* the pointer position is known (inside the window) */
    float x, y;               /* last pointer position, pixels */
} nb_gui_capture;

/* No button held, pointer position unknown. */
void nb_gui_capture_init(nb_gui_capture *cap);

/* Whether window point (x, y) is over one of p's panels (rect grown by its pad). */
bool nb_gui_input_over_panel(const nb_gui_input_panels *p, float x, float y);

/* Decides who gets event ev under the rule above and updates the capture state (buttons held,
 * owner, pointer position; a window-leave event forgets the position). Events other than
 * mouse, key and text events (window, quit, ...) return NB_GUI_INPUT_SCENE: every part of the
 * program sees them. p may describe no panels (n_rects = 0: hidden panels, or no GUI). */
nb_gui_input_owner nb_gui_input_route(nb_gui_capture *cap, const SDL_Event *ev,
                                      const nb_gui_input_panels *p);

/* Whether ev is the press of the hide/show-panels key (NB_GUI_INPUT_TOGGLE_KEY, not a key
 * repeat, without Ctrl/Alt/GUI modifiers). Only meaningful for events routed to the scene: a
 * text field that has the keyboard keeps its Tab. */
bool nb_gui_input_is_panel_toggle(const SDL_Event *ev);

/* One row of the viewer's input help (the GUI's Help menu; docs/rendering.md has the same
 * table). */
typedef struct nb_gui_input_help {
    const char *input;
    const char *action;
} nb_gui_input_help;

/* The rows, ending with {NULL, NULL}. Static storage. */
const nb_gui_input_help *nb_gui_input_help_rows(void);

#endif /* NB_GUI_INPUT_H */
