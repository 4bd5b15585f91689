/* nb_gui_app.h - the GUI inside nnbundle-render's interactive loop (the hook functions).
 *
 * nb_app.c calls these from its marked hook lines:
 *   init      nb_gui_app *gui = nb_gui_app_open(app);
 *   event     consumed = nb_gui_app_event(gui, app, &ev);
 *   frame     nb_gui_app_frame(gui, app);        (after the scene is presented, before swap)
 *   shutdown  nb_gui_app_close(gui);
 * Every function accepts gui == NULL (the GUI failed to start; the viewer runs without it).
 *
 * Scripted runs (tests, README screenshots): the environment variable NB_GUI_SCRIPT holds
 * commands separated by ';', run one after another at the frame hook, each taking one or
 * more frames; input commands push real SDL events, so they take the same path as a user:
 *   wait N               let N frames pass
 *   show P / hide P      panel rendering|stats|processing|node|activations|layers (show
 *                        brings a sidebar tab to the front)
 *   click X Y            left click at window pixel (X, Y) (move, press, release)
 *   move X Y             one motion event to (X, Y) (relative move from the last position)
 *   press X Y [B]        one button-press event at (X, Y), button B (1 left, default; 3 right)
 *   release X Y [B]      one button-release event
 *   wheel X Y S          pointer to (X, Y), then a wheel event of S steps (> 0: up)
 *   key NAME             press and release key NAME (SDL key names: Tab, 3, H, ...)
 *   drag KEY F0 F1       drag the slider of rendering key KEY from fraction F0 to F1 of its
 *                        frame
 *   pick L:I             inspect node I of layer L (as typed into the Node panel)
 *   unpick               forget the picked node (the Node panel's Clear)
 *   activation I         activation view on, test image I
 *   pair P               show layer pair P alone (-1: all)
 *   set KEY=VALUE        rendering key through the Rendering panel's form
 *   pset KEY=VALUE       processing key through the Processing panel's form
 *   rload / rsave PATH   the Rendering panel's Load / Save buttons with PATH typed in
 *   data DIR             the test-set directory (thumbnails, activations; default
 *                        /usr/share/datasets/fashion-mnist)
 *   run / cancel         start / cancel processing;  wait-job: wait until it ends
 *   save PATH            the Processing panel's "Save .nnb.h5" with PATH typed in
 *   camera K             camera pose K (0..9), as the number key K
 *   zoom S               mouse-wheel zoom by S steps (> 0 zooms in)
 *   screenshot PATH      PNG of the window as shown (scene + panels)
 *   report PATH          JSON: picked node, rendering config, activation, processing state
 *   quit                 leave the loop
 */
#ifndef NB_GUI_SESSION_H
#define NB_GUI_SESSION_H

#include <stdbool.h>

#include <SDL2/SDL.h>

#include "nb_app.h"

typedef struct nb_gui_app nb_gui_app;

/* Starts the GUI for an app whose window, renderer and scene exist. Returns NULL (after a
 * warning on stderr) if the GUI cannot start; the viewer then runs without it. */
nb_gui_app *nb_gui_app_open(nb_app *app);

/* Offers an SDL event to the GUI first. Returns true if the GUI used it (the app must skip
 * its own handling): events the panels own (nb_gui_process_event: a press over a panel and
 * everything until its release, wheel over a panel, keys while a text field has the
 * keyboard) and the hide/show-panels key (Tab). A left click that does not move (<= 3 px
 * between press and release) on the scene picks the node under the cursor; it is not
 * consumed, so a drag still orbits the camera. */
bool nb_gui_app_event(nb_gui_app *gui, nb_app *app, const SDL_Event *ev);

/* One GUI frame: processing progress and snapshots, the script, the free area (app->view_rect
 * and the camera's lens shift, from the panels of the last frame), the panels, the requests
 * (save/load/reset of rendering.json, processing, picking, activations, layer filter), a
 * changed camera_pose (moves the camera), the highlight overlay, and drawing the panels over
 * the presented frame (the scene is drawn again first when the config or the camera changed
 * in this frame). */
void nb_gui_app_frame(nb_gui_app *gui, nb_app *app);

/* Cancels processing (waits for the worker to stop) and frees the GUI. A derived model still
 * shown (activation view, processing result) stays in the app, which frees it. Needs the GL
 * context. NULL is a no-op. */
void nb_gui_app_close(nb_gui_app *gui);

#endif /* NB_GUI_SESSION_H */
