/* nb_gui_session.h - the GUI inside a viewer's interactive loop, and what it needs of the viewer.
 *
 * The viewer (nnbundle-render's nb_app) calls the session at four points of every frame, in
 * the frame order of nb_gui.h:
 *   event   nb_gui_session_event     first for every SDL event; true: the GUI used it, the
 *                                    viewer skips its own handling
 *   update  nb_gui_session_update    before the scene is drawn: the panels are built, their
 *                                    edits go into the live config (so the frame drawn next
 *                                    shows them), requests are acted on, the scene is centred
 *                                    in the area the panels leave free
 *   draw    nb_gui_session_draw      after the scene is presented to the window, before the
 *                                    buffer swap: the panels over it
 *   close   nb_gui_session_close     after the loop, while the GL context exists
 * nb_gui_session_wants_keyboard tells the viewer to skip its held-key camera moves.
 * Every function accepts a NULL session (the GUI failed to start; the viewer runs without it).
 *
 * The GUI reads the viewer only through an nb_gui_host: a view (nb_gui_view: the window, the
 * live config and camera, the shown model and scene, the uniforms of the frame) and four
 * requests (show another model, centre the scene in a rectangle, move to a camera pose, show
 * one layer pair). It never includes the viewer's header, so the viewer can change without
 * the GUI knowing. Main thread only.
 *
 * Scripted runs (tests, README screenshots): the environment variable NB_GUI_SCRIPT holds
 * commands (nb_gui_script.h) run one after another, one or more frames each; input commands
 * push real SDL events, so they take the same path as a user.
 */
#ifndef NB_GUI_SESSION_H
#define NB_GUI_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL2/SDL.h>

#include "nb_camera.h"
#include "nb_config.h"
#include "nb_model.h"
#include "nb_render_params.h"
#include "nb_scene.h"
#include "nb_status.h"

/* What the GUI reads of the viewer. Pointers are the viewer's own, valid until the next call
 * into the host. */
typedef struct nb_gui_view {
    SDL_Window *window;
    nb_rendering_config *config;    /* the live config: the Rendering form edits it in place */
    nb_camera *camera;              /* the camera the scene is drawn with; the GUI zooms it */
    const nb_model *model;          /* the model shown */
    const char *path;               /* its file */
    const nb_scene *scene;          /* built from model; NULL while there is none */
    const nb_render_params *params; /* the uniforms of the last frame drawn */
    const char *config_path;        /* the rendering config given on the command line, or NULL */
    uint64_t frame;                 /* frames drawn since the start */
    bool orbiting, panning;         /* a mouse button held on the scene */
} nb_gui_view;

/* The viewer as the GUI sees it. */
typedef struct nb_gui_host {
    void *viewer; /* passed to every function */
    /* Fills *out with the viewer's current state. */
    void (*query)(void *viewer, nb_gui_view *out);
    /* Shows model *m instead of the current one, keeping the camera; takes *m (zeroed in both
     * cases). On failure the previous model stays and the status is returned. */
    nb_status (*show_model)(void *viewer, nb_model *m);
    /* The panels leave rect ({x0, y0, x1, y1} window pixels, top-left origin) free: the scene
     * is centred there (framed into it the first time). Returns whether the camera moved. */
    bool (*set_free_rect)(void *viewer, const float rect[4]);
    /* Moves the camera to key pose k, as the number key k does; false for k outside 0..9. */
    bool (*set_camera_pose)(void *viewer, int k);
    /* Draws layer pair `pair` alone, or, for pair < 0, the pairs of the command line. */
    void (*show_pair)(void *viewer, int pair);
} nb_gui_host;

typedef struct nb_gui_session nb_gui_session;

/* Starts the GUI in the viewer's window (current GL context; the window, renderer and scene
 * exist) and centres the scene in the area the default layout leaves free. *host is copied.
 * Returns NULL (after a warning on stderr) if the GUI cannot start. */
nb_gui_session *nb_gui_session_open(const nb_gui_host *host);

/* Offers an SDL event to the GUI first. Returns true if the GUI used it: events the panels
 * own (nb_gui_process_event: a press over a panel and everything until its release, wheel
 * over a panel, keys while a text field has the keyboard) and the hide/show-panels key (Tab).
 * A left click that does not move (<= 3 px between press and release) on the scene picks the
 * node under the cursor; it is not consumed, so a drag still orbits the camera. */
bool nb_gui_session_event(nb_gui_session *g, const SDL_Event *ev);

/* One GUI frame before the scene is drawn: processing progress and snapshots, the script, the
 * free area (from the panels of the last frame), the highlight overlay, the panels (edits go
 * into the live config) and their requests (save/load/reset of rendering.json, processing,
 * picking, activations, layer filter). */
void nb_gui_session_update(nb_gui_session *g);

/* Draws the panels of this frame over the presented scene (before the swap) and runs the
 * script's commands that act on the finished frame (screenshot, report, quit). Returns false
 * when the script asked to quit. */
bool nb_gui_session_draw(nb_gui_session *g);

/* Whether a panel has the keyboard (the viewer's W/A/S/D moves are skipped). */
bool nb_gui_session_wants_keyboard(const nb_gui_session *g);

/* Cancels processing (waits for the worker to stop) and frees the GUI. A derived model still
 * shown (activation view, processing result) stays in the viewer, which frees it. Needs the GL
 * context. NULL is a no-op. */
void nb_gui_session_close(nb_gui_session *g);

#endif /* NB_GUI_SESSION_H */
