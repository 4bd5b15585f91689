/* nb_window.h - SDL2 window (or offscreen surface) with an OpenGL 4.3 core context + GLEW.
 *
 * Interactive use needs a display. Headless (no DISPLAY, no WAYLAND_DISPLAY) SDL 2.26 silently
 * falls back to its "offscreen" driver; an interactive window there would show nothing, so
 * nb_window_open refuses with NB_E_DISPLAY and a hint to use --screenshot/--frames, unless
 * SDL_VIDEODRIVER was set explicitly (tests drive the interactive loop that way).
 * Batch use (screenshots, frames, benchmark, tests) opens a hidden window; with no display it
 * selects the offscreen driver itself (EGL on Mesa llvmpipe).
 * GL: 4.3 core requested (llvmpipe gives 4.5; 4.6 would fail), GLEW with
 * GLEW_ERROR_NO_GLX_DISPLAY (4, every EGL context) accepted as success.
 * One window per process; call from the main thread.
 */
#ifndef NB_WINDOW_H
#define NB_WINDOW_H

#include <stdbool.h>

#include <SDL2/SDL.h>

#include "nb_status.h"

typedef struct nb_window {
    SDL_Window *window;
    SDL_GLContext gl;
    int width, height; /* drawable size in pixels */
    bool interactive;
    char driver[32];       /* SDL video driver in use ("x11", "wayland", "offscreen", ...) */
    char gl_renderer[128]; /* GL_RENDERER string */
    char gl_version[128];  /* GL_VERSION string */
} nb_window;

/* Opens the window and makes its context current. width, height: window size in pixels
 * (interactive) or any small size (batch: rendering goes to nb_renderer's own target).
 * Returns NB_OK, NB_E_DISPLAY (no display for an interactive window, SDL video init failed),
 * NB_E_GL (no OpenGL 4.3 core context, GLEW failure). On failure nothing stays open. */
nb_status nb_window_open(nb_window *w, const char *title, int width, int height, bool interactive);

/* Closes the window and shuts SDL video down; safe on a zeroed struct. */
void nb_window_close(nb_window *w);

/* True if the environment has no display for an interactive window: SDL_VIDEODRIVER unset (or
 * empty) and neither DISPLAY nor WAYLAND_DISPLAY set. Exposed for tests and --help text. */
bool nb_window_headless_environment(void);

#endif /* NB_WINDOW_H */
