/* nb_gui_script.h - GUI scripts (NB_GUI_SCRIPT): commands that drive the GUI like a user.
 *
 * A script is commands separated by ';', run one after another by the session's update hook,
 * each taking one or more frames; input commands push real SDL events, so they take the same
 * path as a user:
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
 * screenshot, report and quit act on the finished frame: nb_gui_script_step hands them back
 * to the session, which runs them after the panels are drawn. Unknown commands and bad
 * arguments are warnings on stderr; the script goes on. Main thread only.
 */
#ifndef NB_GUI_SCRIPT_H
#define NB_GUI_SCRIPT_H

#include <stdbool.h>

#include "nb_gui_session.h"
#include "nb_gui_state.h"

#define NB_GUI_SCRIPT_MAX 8192 /* bytes of a script; longer text is cut */

typedef struct nb_gui_script nb_gui_script;

/* What the commands act on in one frame. */
typedef struct nb_gui_script_target {
    nb_gui_state *st;        /* the panels' state: forms, requests, picked node, paths */
    const nb_gui_host *host; /* the viewer: camera pose, zoom, its window for the events */
    bool job_running;        /* processing runs (wait-job waits for it) */
} nb_gui_script_target;

/* A script of `text` (copied), or NULL for NULL or empty text or when out of memory. */
nb_gui_script *nb_gui_script_create(const char *text);

/* Frees the script; NULL is a no-op. */
void nb_gui_script_destroy(nb_gui_script *s);

/* Runs one frame's worth of the script (NULL: nothing). Returns the command to run on the
 * finished frame (screenshot, report or quit, with its argument: valid until the next call),
 * or NULL. */
const char *nb_gui_script_step(nb_gui_script *s, const nb_gui_script_target *t);

#endif /* NB_GUI_SCRIPT_H */
