/* nb_gui_state.h - everything the GUI panels show and edit, as plain C data (GL-free).
 *
 * The panels (renderer/gui/imgui/nb_gui.cpp, Dear ImGui) are a pure view of an nb_gui_state: they
 * draw it, write edited values into its forms, and record what the user asked for as request bits.
 * The controller (nb_gui_state.c here, nb_gui_app.c for the app) does the work: picks, inspection,
 * activations, file I/O, processing jobs. So every behaviour except drawing is testable without a
 * GL context or ImGui.
 */
#ifndef NB_GUI_STATE_H
#define NB_GUI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nb_config.h"
#include "nb_gui_activation.h"
#include "nb_gui_form.h"
#include "nb_gui_inspect.h"
#include "nb_gui_pick.h"
#include "nb_gui_stats.h"
#include "nb_idx.h"
#include "nb_model.h"
#include "nb_status.h"

#define NB_GUI_PATH_MAX    1024
#define NB_GUI_MESSAGE_MAX 512

/* What the user asked for in the last frame (bits of nb_gui_state.requests). */
enum {
    NB_GUI_REQ_RENDER_SAVE = 1u << 0,  /* save the rendering config to render_path */
    NB_GUI_REQ_RENDER_LOAD = 1u << 1,  /* load it from render_path */
    NB_GUI_REQ_RENDER_RESET = 1u << 2, /* defaults */
    NB_GUI_REQ_RUN = 1u << 3,          /* start processing */
    NB_GUI_REQ_CANCEL = 1u << 4,       /* cancel processing */
    NB_GUI_REQ_SAVE_RESULT = 1u << 5,  /* save the shown model to result_path (.nnb.h5) */
    NB_GUI_REQ_CLEAR_PICK = 1u << 6,   /* forget the picked node */
    NB_GUI_REQ_PICK_NODE = 1u << 7,    /* pick node pick_layer:pick_index (typed) */
    NB_GUI_REQ_ACTIVATION = 1u << 8,   /* activation view toggled or image changed */
    NB_GUI_REQ_PAIR = 1u << 9,         /* layer-pair filter changed (selected_pair) */
    NB_GUI_REQ_LOAD_DATA = 1u << 10,   /* (re)load the test set from data_dir */
};

/* An RGBA8 image for a texture; the view re-uploads when generation changes. */
typedef struct nb_gui_image {
    size_t width, height;
    uint8_t *rgba;       /* [height][width][4], malloc'd, NULL if none */
    unsigned generation; /* 0 = never set */
} nb_gui_image;

/* Processing progress as shown (copied from the job under its lock). */
typedef struct nb_gui_progress {
    bool running;
    bool finished;   /* a result is shown and may be saved */
    double fraction; /* [0, 1] */
    char phase[64];  /* "importance", "nodes", "edges", "saving", ... */
    int iteration, n_iterations;
    unsigned snapshots; /* snapshots handed to the viewer so far */
} nb_gui_progress;

/* The sidebar's tabs (nb_gui_state.tab_request). */
typedef enum nb_gui_tab {
    NB_GUI_TAB_NONE = 0,
    NB_GUI_TAB_RENDERING,
    NB_GUI_TAB_NODE,
    NB_GUI_TAB_STATS,
    NB_GUI_TAB_PROCESSING,
} nb_gui_tab;

typedef struct nb_gui_state {
    /* panels shown: Rendering, Statistics, Processing and Node (the inspector) are tabs of
     * the sidebar, Activations and Layers float in the free area */
    bool show_rendering, show_stats, show_processing, show_inspector, show_activation, show_layers;
    bool panels_hidden;     /* the hide/show key: no panel is drawn (the overlay stays) */
    nb_gui_tab tab_request; /* bring this tab to the front in the next frame, then NONE */

    /* rendering panel: bound to the app's live config */
    nb_gui_form render_form;
    char render_path[NB_GUI_PATH_MAX];
    char render_message[NB_GUI_MESSAGE_MAX]; /* "saved to ..." / error */

    /* statistics */
    nb_gui_stats stats;
    double fps;
    size_t visible_nodes, visible_segments; /* after the importance thresholds */

    /* processing panel: its own config, edited like the CLI's --config/--set */
    nb_processing_config processing;
    nb_gui_form processing_form;
    bool recompute_importance; /* run importance before bundling (needs data) */
    char data_dir[NB_GUI_PATH_MAX];
    char result_path[NB_GUI_PATH_MAX];
    nb_gui_progress progress;
    char processing_message[NB_GUI_MESSAGE_MAX];

    /* model facts for the view */
    bool has_model;
    char model_path[NB_GUI_PATH_MAX];
    size_t n_classes;
    char **class_names;      /* [n_classes], borrowed from the model (may be NULL) */
    float (*class_color)[3]; /* [n_classes] palette colours, owned */

    /* inspector */
    bool has_pick;
    nb_gui_node_info pick;
    int pick_layer, pick_index; /* the typed "L:I" fields */
    nb_gui_image top_image[NB_GUI_INSPECT_TOP];
    nb_gui_image weight_image; /* first hidden layer: input weights, diverging map */
    float weight_scale;        /* max |w| of that image */
    char inspector_message[NB_GUI_MESSAGE_MAX];

    /* activation view */
    bool activation_on;
    int activation_image; /* test-set index */
    nb_gui_activation activation;
    nb_gui_image activation_input;

    /* layer table */
    nb_gui_layer_table layers;
    int selected_pair; /* -1 = all pairs, else pair l (layers l, l+1) alone */

    /* test set (lazy; for thumbnails and activations) */
    nb_dataset test;
    bool test_loaded;
    char data_message[NB_GUI_MESSAGE_MAX];

    /* highlight of the picked node and its edges, in window pixels (recomputed every frame
     * by nb_gui_state_update_overlay; drawn over the scene by the view) */
    uint32_t *pick_edges; /* /bundle edges touching the picked node */
    size_t n_pick_edges;
    bool overlay_visible;
    float overlay_node[3];     /* x, y, radius */
    float (*overlay_xy)[2];    /* polyline points; NaN x breaks a line (behind the eye) */
    size_t *overlay_offset;    /* [n_overlay_lines + 1] into overlay_xy */
    uint8_t *overlay_outgoing; /* [n_overlay_lines]: 1 outgoing edge, 0 incoming */
    size_t n_overlay_lines;
    size_t cap_overlay_points, cap_overlay_lines, cap_overlay_outgoing;

    /* requests from the view (NB_GUI_REQ_*), cleared by the controller */
    unsigned requests;

    /* screen rectangles of the widgets of each rendering key (the frame, label excluded),
     * for scripted input (tests): [render_form.schema->n_keys][4] = x0, y0, x1, y1 in window
     * pixels of the last frame; 0 if not drawn */
    float (*render_rect)[4];
    float render_path_rect[4]; /* the Rendering tab's file path field, same convention */
} nb_gui_state;

/* Initialises the state: rendering form bound to *render_cfg (borrowed, the app's live
 * config), processing config at its defaults, data_dir = NB_IDX_DEFAULT_DIR, all panels
 * shown except activation and layers. Returns NB_OK or NB_E_NOMEM (state zeroed). */
nb_status nb_gui_state_init(nb_gui_state *st, nb_rendering_config *render_cfg);
void nb_gui_state_deinit(nb_gui_state *st); /* safe on a zeroed state */

/* A new model is shown (a loaded file, a processing snapshot or result): refreshes the
 * statistics and layer table, class names and colours; keeps the pick if the node still
 * exists (re-inspected), else clears it; resizes the activation buffers. m may be NULL
 * (nothing shown). Returns NB_OK or NB_E_NOMEM. */
nb_status nb_gui_state_set_model(nb_gui_state *st, const nb_model *m, const char *path);

/* Loads the test split from st->data_dir if not loaded (or if force). Records the message in
 * data_message on failure. NB_OK, NB_E_IO, NB_E_FORMAT, NB_E_NOMEM. */
nb_status nb_gui_state_load_test(nb_gui_state *st, bool force);

/* Picks node `node` (global id) of model m: fills pick, the thumbnails of its top-activating
 * test images (loads the test set when needed; without it the thumbnails stay empty and
 * inspector_message says why) and, for layer 1, its input-weight image. A negative node
 * clears the pick. Returns NB_OK or the inspection error (pick cleared). Callers acting on a
 * user's pick show the Node tab with nb_gui_state_show_tab. */
nb_status nb_gui_state_pick(nb_gui_state *st, const nb_model *m, int64_t node);

/* The node under screen point (px, py) of a w x h viewport seen through view_proj (float[16]
 * column-major), drawn as spheres node_size * norm (culled at node_threshold; tested with at
 * least half the node size so small nodes stay clickable): global id or -1. Only layers
 * pair and pair + 1 count when pair >= 0 (the layer-pair filter). Uses /bundle node
 * positions of m and, with scene non-NULL, the radii that scene draws (display-scaled norms,
 * nb_gui_pick_node_radii_scene; scene must be built from m), else the raw /importance norms;
 * -1 without /bundle. */
struct nb_scene;
int64_t nb_gui_state_node_at(const nb_model *m, const struct nb_scene *scene,
                             const float view_proj[16], float w, float h, float px, float py,
                             double node_size, double node_threshold, int pair);

/* Runs the activation view for st->activation_image (clamped to the test set) when
 * activation_on: forward pass, input image. Loads the test set when needed. Returns NB_OK,
 * or the error (activation_on switched off, message in data_message). */
nb_status nb_gui_state_update_activation(nb_gui_state *st, const nb_model *m);

/* Projects the picked node and the polylines of its /bundle edges (model m, the one whose
 * edges nb_gui_state_pick collected) to window pixels for the highlight overlay. No pick, or
 * no /bundle: overlay_visible = false. NB_OK or NB_E_NOMEM (overlay hidden). */
nb_status nb_gui_state_update_overlay(nb_gui_state *st, const nb_model *m,
                                      const float view_proj[16], float w, float h,
                                      double node_size);

/* Acts on the requests that need only the state and the shown model m (may be NULL):
 * RENDER_SAVE / RENDER_LOAD / RENDER_RESET (messages in render_message / the form's
 * file_error; a failed load keeps the previous settings), CLEAR_PICK, PICK_NODE (the typed
 * pick_layer:pick_index), ACTIVATION, LOAD_DATA. Clears those bits and leaves RUN, CANCEL,
 * SAVE_RESULT and PAIR for the app. Returns the bits it handled. */
unsigned nb_gui_state_handle_requests(nb_gui_state *st, const nb_model *m);

/* Shows a sidebar tab and brings it to the front in the next frame it is drawn (sets its
 * show_* flag and tab_request). Hidden panels stay hidden (the hide/show key decides). */
void nb_gui_state_show_tab(nb_gui_state *st, nb_gui_tab tab);

/* Sets an image's size and pixels (copied); bumps its generation. NB_OK or NB_E_NOMEM. */
nb_status nb_gui_image_set(nb_gui_image *img, size_t width, size_t height, const uint8_t *rgba);
void nb_gui_image_clear(nb_gui_image *img);

#endif /* NB_GUI_STATE_H */
