/* nb_window.c - SDL2 video init, window, GL 4.3 core context, GLEW; headless detection.
 *
 * DESIGN: request 4.3 core (never 4.6: llvmpipe gives 4.5), accept glewInit() == 4
 * (GLEW_ERROR_NO_GLX_DISPLAY) on EGL contexts, drain glGetError afterwards. Headless batch runs
 * pick SDL's offscreen driver through SDL_HINT_VIDEODRIVER (deterministic, and it silences the
 * Wayland probe's XDG_RUNTIME_DIR message); interactive runs without a display are refused
 * before SDL falls back to offscreen on its own. Main thread only; no config keys.
 */
#include "nb_window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <GL/glew.h>

static bool env_set(const char *name) {
    const char *v = getenv(name);
    return v && v[0];
}

bool nb_window_headless_environment(void) {
    return !env_set("SDL_VIDEODRIVER") && !env_set("DISPLAY") && !env_set("WAYLAND_DISPLAY");
}

void nb_window_close(nb_window *w) {
    if (!w)
        return;
    if (w->gl)
        SDL_GL_DeleteContext(w->gl);
    if (w->window)
        SDL_DestroyWindow(w->window);
    if (w->window || w->gl || SDL_WasInit(SDL_INIT_VIDEO))
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
    memset(w, 0, sizeof *w);
}

nb_status nb_window_open(nb_window *w, const char *title, int width, int height, bool interactive) {
    nb_window n;
    memset(&n, 0, sizeof n);
    n.interactive = interactive;
    const bool explicit_driver = env_set("SDL_VIDEODRIVER");
    if (nb_window_headless_environment()) {
        if (interactive)
            return NB_RAISE(NB_E_DISPLAY, "interactive window",
                            "no display (DISPLAY and WAYLAND_DISPLAY are unset); render without a "
                            "window with --screenshot FILE.png or --frames DIR, or set "
                            "SDL_VIDEODRIVER=offscreen to run the loop invisibly");
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "offscreen");
    }
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
        return NB_RAISE(NB_E_DISPLAY, "SDL video", "initialisation failed: %s%s", SDL_GetError(),
                        interactive ? "; without a display use --screenshot or --frames" : "");
    const char *driver = SDL_GetCurrentVideoDriver();
    snprintf(n.driver, sizeof n.driver, "%s", driver ? driver : "?");
    if (interactive && !explicit_driver &&
        (strcmp(n.driver, "offscreen") == 0 || strcmp(n.driver, "dummy") == 0)) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return NB_RAISE(NB_E_DISPLAY, "interactive window",
                        "SDL chose the '%s' video driver: there is no display to show a window "
                        "on; use --screenshot FILE.png or --frames DIR",
                        n.driver);
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 4);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0); /* frames are drawn into our own target */
    Uint32 flags = SDL_WINDOW_OPENGL |
                   (interactive ? SDL_WINDOW_RESIZABLE | SDL_WINDOW_SHOWN : SDL_WINDOW_HIDDEN);
    n.window = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width,
                                height, flags);
    if (!n.window) {
        nb_status st = NB_RAISE(NB_E_DISPLAY, "SDL window", "cannot create a %dx%d window: %s",
                                width, height, SDL_GetError());
        nb_window_close(&n);
        return st;
    }
    n.gl = SDL_GL_CreateContext(n.window);
    if (!n.gl) {
        nb_status st = NB_RAISE(NB_E_GL, "OpenGL context",
                                "cannot create an OpenGL 4.3 core context (driver %s): %s",
                                n.driver, SDL_GetError());
        nb_window_close(&n);
        return st;
    }
    SDL_GL_MakeCurrent(n.window, n.gl);
    glewExperimental = GL_TRUE;
    GLenum e = glewInit();
    if (e != GLEW_OK && e != GLEW_ERROR_NO_GLX_DISPLAY) {
        nb_status st = NB_RAISE(NB_E_GL, "GLEW", "glewInit failed: %s (%u)",
                                (const char *)glewGetErrorString(e), (unsigned)e);
        nb_window_close(&n);
        return st;
    }
    for (int i = 0; i < 16 && glGetError() != GL_NO_ERROR; i++) {
    }
    GLint major = 0, minor = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    glGetIntegerv(GL_MINOR_VERSION, &minor);
    if (major < 4 || (major == 4 && minor < 3)) {
        nb_status st = NB_RAISE(NB_E_GL, "OpenGL context", "version %d.%d, need 4.3 core",
                                (int)major, (int)minor);
        nb_window_close(&n);
        return st;
    }
    const char *rs = (const char *)glGetString(GL_RENDERER);
    const char *vs = (const char *)glGetString(GL_VERSION);
    snprintf(n.gl_renderer, sizeof n.gl_renderer, "%s", rs ? rs : "?");
    snprintf(n.gl_version, sizeof n.gl_version, "%s", vs ? vs : "?");
    SDL_GL_SetSwapInterval(interactive ? 1 : 0);
    SDL_GL_GetDrawableSize(n.window, &n.width, &n.height);
    *w = n;
    return NB_OK;
}
