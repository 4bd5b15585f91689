/* test_gui_panels.c - the ImGui panels headless (SDL offscreen + GL 4.3 core), driven by
 * synthetic SDL events: a slider drag changes the rendering config (and so the uniform), a
 * click on a node's projected screen position picks that node, the inspector fills in; the
 * event-capture rule through Dear ImGui itself (press on a panel + release on the scene and
 * the reverse, wheel over a panel or the scene, a click on a widget in the same frame as the
 * motion onto it); the hide/show key. Independent of the renderer's scene: the frame here is
 * a clear plus the panels, and the harness plays the app's part (orbit while the left button
 * it got is held, zoom on the wheel it gets, pick on a click, the toggle key). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <GL/gl.h>
#include <SDL2/SDL.h>

#include "nb_camera.h"
#include "nb_gui.h"
#include "nb_gui_layout.h"
#include "nb_gui_state.h"
#include "nb_importance.h"
#include "nb_random.h"
#include "nb_render_params.h"

#define W 1280
#define H 720

typedef struct harness {
    SDL_Window *window;
    SDL_GLContext gl;
    nb_gui *gui;
    nb_rendering_config rc;
    nb_gui_state st;
    nb_model model;
    nb_camera cam;
    int64_t clicked; /* last pick made by a click outside the panels, -2 = none */
    /* what the scene (the app's camera) received */
    bool orbiting;     /* left button held by the scene */
    int orbit_motion;  /* motion events seen while orbiting */
    int zoom_steps;    /* wheel steps */
    int scene_presses; /* button presses */
} harness;

/* Random 16-9-4 network, random importance, nodes on square grids on planes 0.5 apart,
 * straight 3-point edges for the pairs with alpha > 0.3. */
static void make_model(nb_model *m) {
    memset(m, 0, sizeof *m);
    const size_t sizes[3] = {16, 9, 4};
    assert_int_equal(nb_random_network_init(&m->network, 3, sizes, 5), NB_OK);
    m->has_network = true;
    assert_int_equal(nb_importance_random(&m->network, 5, &m->importance), NB_OK);
    m->has_importance = true;
    size_t n_nodes = 29, n_edges = 0;
    for (size_t l = 0; l < 2; l++) {
        const float *a = nb_importance_edge(&m->importance, l);
        for (size_t k = 0; k < sizes[l] * sizes[l + 1]; k++)
            n_edges += a[k] > 0.3f;
    }
    nb_bundle_data *b = &m->bundle;
    assert_int_equal(nb_bundle_data_init(b, 3, n_nodes, n_edges, 3 * n_edges), NB_OK);
    m->has_bundle = true;
    size_t g = 0;
    for (size_t l = 0; l < 3; l++) {
        b->layer_offset[l] = (int64_t)g;
        size_t side = (size_t)ceil(sqrt((double)sizes[l]));
        for (size_t i = 0; i < sizes[l]; i++, g++) {
            float *p = b->node_position + 3 * g;
            p[0] = side > 1 ? (float)(i % side) / (float)(side - 1) - 0.5f : 0.0f;
            p[1] = side > 1 ? (float)(i / side) / (float)(side - 1) - 0.5f : 0.0f;
            p[2] = 0.5f * (float)l;
        }
    }
    b->layer_offset[3] = (int64_t)g;
    size_t e = 0;
    for (size_t l = 0; l < 2; l++) {
        const float *a = nb_importance_edge(&m->importance, l);
        for (size_t j = 0; j < sizes[l + 1]; j++)
            for (size_t i = 0; i < sizes[l]; i++) {
                if (!(a[j * sizes[l] + i] > 0.3f))
                    continue;
                uint32_t s = (uint32_t)(b->layer_offset[l] + (int64_t)i);
                uint32_t t = (uint32_t)(b->layer_offset[l + 1] + (int64_t)j);
                b->edge_source[e] = s;
                b->edge_target[e] = t;
                b->edge_alpha[e] = a[j * sizes[l] + i];
                b->edge_point_offset[e] = 3 * e;
                for (int k = 0; k < 3; k++)
                    for (int c = 0; c < 3; c++)
                        b->point_position[3 * (3 * e + (size_t)k) + (size_t)c] =
                            b->node_position[3 * s + (size_t)c] +
                            0.5f * (float)k *
                                (b->node_position[3 * t + (size_t)c] -
                                 b->node_position[3 * s + (size_t)c]);
                e++;
            }
    }
    b->edge_point_offset[n_edges] = 3 * n_edges;
    b->n_edges_total = 16 * 9 + 9 * 4;
}

static void frame(harness *h) {
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        bool taken = nb_gui_process_event(h->gui, &ev);
        if (taken)
            continue;
        if (nb_gui_input_is_panel_toggle(&ev))
            h->st.panels_hidden = !h->st.panels_hidden;
        if (ev.type == SDL_MOUSEBUTTONDOWN)
            h->scene_presses++;
        if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.button == SDL_BUTTON_LEFT)
            h->orbiting = true;
        if (ev.type == SDL_MOUSEBUTTONUP && ev.button.button == SDL_BUTTON_LEFT)
            h->orbiting = false;
        if (ev.type == SDL_MOUSEMOTION && h->orbiting)
            h->orbit_motion++;
        if (ev.type == SDL_MOUSEWHEEL)
            h->zoom_steps += ev.wheel.y;
        if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.button == SDL_BUTTON_LEFT) {
            float vp[16];
            nb_camera_view_projection(&h->cam, (float)W, (float)H, vp);
            h->clicked = nb_gui_state_node_at(&h->model, NULL, vp, (float)W, (float)H,
                                              (float)ev.button.x + 0.5f, (float)ev.button.y + 0.5f,
                                              h->rc.node.size, h->rc.node.importance_threshold,
                                              h->st.selected_pair);
            nb_gui_state_pick(&h->st, &h->model, h->clicked);
        }
    }
    nb_gui_new_frame(h->gui);
    nb_gui_draw_panels(h->gui, &h->st);
    nb_gui_state_handle_requests(&h->st, &h->model);
    glViewport(0, 0, W, H);
    glClearColor((float)h->rc.background[0], (float)h->rc.background[1], (float)h->rc.background[2],
                 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    nb_gui_render(h->gui);
    SDL_GL_SwapWindow(h->window);
}

static void push_mouse(harness *h, Uint32 type, int x, int y) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    if (type == SDL_MOUSEMOTION) {
        ev.motion.windowID = SDL_GetWindowID(h->window);
        ev.motion.x = x;
        ev.motion.y = y;
    } else {
        ev.button.windowID = SDL_GetWindowID(h->window);
        ev.button.button = SDL_BUTTON_LEFT;
        ev.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
        ev.button.clicks = 1;
        ev.button.x = x;
        ev.button.y = y;
    }
    assert_int_equal(SDL_PushEvent(&ev), 1);
}

static void push_wheel(harness *h, int steps) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEWHEEL;
    ev.wheel.windowID = SDL_GetWindowID(h->window);
    ev.wheel.y = steps;
    assert_int_equal(SDL_PushEvent(&ev), 1);
}

static void push_key(harness *h, SDL_Keycode k) {
    for (int up = 0; up < 2; up++) {
        SDL_Event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = up ? SDL_KEYUP : SDL_KEYDOWN;
        ev.key.windowID = SDL_GetWindowID(h->window);
        ev.key.state = up ? SDL_RELEASED : SDL_PRESSED;
        ev.key.keysym.sym = k;
        ev.key.keysym.scancode = SDL_GetScancodeFromKey(k);
        assert_int_equal(SDL_PushEvent(&ev), 1);
    }
}

static void reset_scene(harness *h) {
    h->orbiting = false;
    h->orbit_motion = h->zoom_steps = h->scene_presses = 0;
}

/* The centre of the widget of rendering key `name` (its frame, label excluded). */
static void widget_centre(const harness *h, const char *name, int *x, int *y) {
    const nb_config_key *k = nb_config_find(&nb_rendering_schema, name);
    assert_non_null(k);
    const float *r = h->st.render_rect[k - nb_rendering_schema.keys];
    assert_true(r[2] > r[0]);
    *x = (int)(0.5f * (r[0] + r[2]));
    *y = (int)(0.5f * (r[1] + r[3]));
}

/* Move, frame, press, frame, release, frame: a click as ImGui sees it. */
static void click(harness *h, int x, int y) {
    push_mouse(h, SDL_MOUSEMOTION, x, y);
    frame(h);
    push_mouse(h, SDL_MOUSEBUTTONDOWN, x, y);
    frame(h);
    push_mouse(h, SDL_MOUSEBUTTONUP, x, y);
    frame(h);
}

static int setup(void **state) {
    harness *h = calloc(1, sizeof *h);
    if (!h || SDL_Init(SDL_INIT_VIDEO) != 0)
        return -1;
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 4);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    h->window =
        SDL_CreateWindow("test_gui_panels", 0, 0, W, H, SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
    if (!h->window) {
        fprintf(stderr, "SDL_CreateWindow: %s\n", SDL_GetError());
        return -1;
    }
    h->gl = SDL_GL_CreateContext(h->window);
    if (!h->gl) {
        fprintf(stderr, "SDL_GL_CreateContext: %s\n", SDL_GetError());
        return -1;
    }
    if (nb_gui_create(h->window, h->gl, &h->gui) != NB_OK)
        return -1;
    nb_config_defaults(&nb_rendering_schema, &h->rc);
    if (nb_gui_state_init(&h->st, &h->rc) != NB_OK)
        return -1;
    h->st.show_layers = true;
    h->st.show_activation = true;
    make_model(&h->model);
    if (nb_gui_state_set_model(&h->st, &h->model, "synthetic") != NB_OK)
        return -1;
    float bmin[3] = {-0.5f, -0.5f, 0.0f}, bmax[3] = {0.5f, 0.5f, 1.0f};
    nb_camera_init(&h->cam, bmin, bmax, 45.0f, 6); /* oblique: nodes do not overlap */
    h->clicked = -2;
    for (int i = 0; i < 3; i++)
        frame(h);
    *state = h;
    return 0;
}

static int teardown(void **state) {
    harness *h = *state;
    if (!h)
        return 0;
    nb_gui_destroy(h->gui);
    nb_gui_state_deinit(&h->st);
    nb_model_deinit(&h->model);
    if (h->gl)
        SDL_GL_DeleteContext(h->gl);
    if (h->window)
        SDL_DestroyWindow(h->window);
    SDL_Quit();
    free(h);
    return 0;
}

/* Pixels of a 64 x 64 block at window (x, y) (top-left origin) that differ from white. */
static size_t non_white(int x, int y) {
    unsigned char px[4 * 64 * 64];
    glReadBuffer(GL_BACK);
    glReadPixels(x, H - y - 64, 64, 64, GL_RGBA, GL_UNSIGNED_BYTE, px);
    size_t differ = 0;
    for (size_t i = 0; i < 64 * 64; i++)
        differ += px[4 * i] != 255 || px[4 * i + 1] != 255 || px[4 * i + 2] != 255;
    return differ;
}

static void test_panels_drawn(void **state) {
    harness *h = *state;
    /* the sidebar (Rendering tab) differs from the white background, the scene area not */
    frame(h);
    assert_true(non_white(W - 200, 200) > 100);
    assert_int_equal(non_white(400, 100), 0);
    assert_int_equal(glGetError(), GL_NO_ERROR);
    /* the sidebar, Activations and Layers: a quarter of the window for the sidebar; the free
     * area is left of it and overlaps no panel, at least the strip above both floating ones */
    nb_gui_input_panels p;
    nb_gui_query_panels(h->gui, &p);
    assert_int_equal(p.n_rects, 3);
    assert_true(p.rect[0][0] == (float)W - nb_gui_layout_sidebar_width((float)W));
    assert_true(p.rect[0][1] == 0.0f && p.rect[0][2] == (float)W && p.rect[0][3] == (float)H);
    float fr[4];
    nb_gui_layout_free_rect((float)W, (float)H, (const float(*)[4])p.rect, p.n_rects, fr);
    assert_true(fr[1] == 0.0f && fr[2] == p.rect[0][0]);
    for (size_t i = 0; i < p.n_rects; i++)
        assert_false(p.rect[i][0] < fr[2] && p.rect[i][2] > fr[0] && p.rect[i][1] < fr[3] &&
                     p.rect[i][3] > fr[1]);
    float top = p.rect[1][1] < p.rect[2][1] ? p.rect[1][1] : p.rect[2][1];
    assert_true((fr[2] - fr[0]) * (fr[3] - fr[1]) >= p.rect[0][0] * top);
    /* every rendering key got a widget with a rectangle */
    for (size_t i = 0; i < nb_rendering_schema.n_keys; i++)
        if (!(h->st.render_rect[i][2] > h->st.render_rect[i][0]))
            fail_msg("no widget for rendering key %s", nb_rendering_schema.keys[i].name);
}

static void test_slider_drag_changes_config_and_uniform(void **state) {
    harness *h = *state;
    const nb_config_key *k = nb_config_find(&nb_rendering_schema, "edge_depth_opacity");
    size_t i = (size_t)(k - nb_rendering_schema.keys);
    const float *r = h->st.render_rect[i];
    assert_true(r[2] > r[0]);
    assert_float_equal(h->rc.edge.depth_opacity, 0.5f, 1e-9f);
    int y = (int)((r[1] + r[3]) * 0.5f);
    /* press at 10 % of the slider, drag to 90 %, release */
    int x0 = (int)(r[0] + 0.1f * (r[2] - r[0])), x1 = (int)(r[0] + 0.9f * (r[2] - r[0]));
    push_mouse(h, SDL_MOUSEMOTION, x0, y);
    frame(h);
    assert_true(nb_gui_wants_mouse(h->gui));
    push_mouse(h, SDL_MOUSEBUTTONDOWN, x0, y);
    frame(h);
    double at_press = h->rc.edge.depth_opacity;
    assert_true(at_press < 0.2); /* slider jumped to the press position */
    for (int s = 1; s <= 4; s++) {
        push_mouse(h, SDL_MOUSEMOTION, x0 + (x1 - x0) * s / 4, y);
        frame(h);
    }
    push_mouse(h, SDL_MOUSEBUTTONUP, x1, y);
    frame(h);
    double v = h->rc.edge.depth_opacity;
    assert_true(v > 0.8 && v < 1.0);
    assert_string_equal(h->st.render_form.field[i].error, "");
    /* the uniform the renderer uploads follows the config in the same frame */
    nb_render_params p;
    nb_render_params_from_config(&h->rc, &p);
    assert_float_equal(p.edge.depth_opacity, (float)v, 1e-6f);
    /* the other keys did not move */
    assert_float_equal(h->rc.node.depth_opacity, 0.5f, 1e-9f);
}

static void test_click_picks_node(void **state) {
    harness *h = *state;
    float vp[16];
    nb_camera_view_projection(&h->cam, (float)W, (float)H, vp);
    /* a hidden node whose projection is not under a panel and at least 12 px from every
     * other node's projection */
    const nb_bundle_data *b = &h->model.bundle;
    int64_t target = -1;
    float sx = 0, sy = 0;
    for (int64_t g = b->layer_offset[1]; g < b->layer_offset[2] && target < 0; g++) {
        assert_true(nb_camera_project(&h->cam, (float)W, (float)H, b->node_position + 3 * g, &sx,
                                      &sy, NULL));
        if (!(sx > 320.0f && sx < (float)W - 340.0f && sy > 40.0f && sy < (float)H - 340.0f))
            continue;
        bool alone = true;
        for (size_t o = 0; o < b->n_nodes; o++) {
            float ox, oy;
            if ((int64_t)o != g &&
                nb_camera_project(&h->cam, (float)W, (float)H, b->node_position + 3 * o, &ox, &oy,
                                  NULL) &&
                hypotf(ox - sx, oy - sy) < 12.0f)
                alone = false;
        }
        if (alone)
            target = g;
    }
    assert_true(target >= 0);
    click(h, (int)sx, (int)sy);
    assert_int_equal(h->clicked, target);
    assert_true(h->st.has_pick);
    assert_int_equal(h->st.pick.node, (size_t)target);
    assert_int_equal(h->st.pick.layer, 1);
    assert_int_equal(h->st.pick.index, (size_t)(target - b->layer_offset[1]));
    /* first hidden layer: the input-weight image (16 inputs = 4 x 4) */
    assert_non_null(h->st.weight_image.rgba);
    assert_int_equal(h->st.weight_image.width, 4);
    frame(h); /* the inspector with its texture draws without GL errors */
    assert_int_equal(glGetError(), GL_NO_ERROR);
    /* a click on empty space (top-left, away from the network) picks nothing */
    click(h, 40, 40);
    assert_int_equal(h->clicked, -1);
    assert_false(h->st.has_pick);
    /* a click on a panel goes to the GUI, not to picking */
    h->clicked = -2;
    click(h, W - 100, 300);
    assert_int_equal(h->clicked, -2);
}

/* Press on a panel widget, drag out over the scene, release there: Dear ImGui had the whole
 * gesture (the slider followed), the scene saw no press and does not orbit. The motion onto
 * the widget and the press arrive in the same frame (the reported bug: capture decided from
 * the previous frame's WantCaptureMouse sent that press to the camera). */
static void test_press_on_panel_release_on_scene(void **state) {
    harness *h = *state;
    h->st.tab_request = NB_GUI_TAB_RENDERING;
    frame(h);
    int x, y;
    widget_centre(h, "node_depth_opacity", &x, &y);
    push_mouse(h, SDL_MOUSEMOTION, 400, 300); /* the pointer rests on the scene */
    frame(h);
    reset_scene(h);
    double before = h->rc.node.depth_opacity;
    push_mouse(h, SDL_MOUSEMOTION, x, y); /* onto the slider and pressed in one frame */
    push_mouse(h, SDL_MOUSEBUTTONDOWN, x, y);
    frame(h);
    for (int s = 1; s <= 4; s++) {
        push_mouse(h, SDL_MOUSEMOTION, x - 150 * s, y);
        frame(h);
    }
    push_mouse(h, SDL_MOUSEBUTTONUP, x - 600, y);
    frame(h);
    assert_int_equal(h->scene_presses, 0);
    assert_false(h->orbiting);
    assert_int_equal(h->orbit_motion, 0);
    /* the slider was dragged to its left end: Dear ImGui got press, motion and release */
    assert_true(h->rc.node.depth_opacity < before);
    assert_float_equal(h->rc.node.depth_opacity, 0.0, 1e-9);
    /* and the pointer, now on the scene, belongs to the scene again */
    push_mouse(h, SDL_MOUSEMOTION, 400, 300);
    push_mouse(h, SDL_MOUSEBUTTONDOWN, 400, 300);
    frame(h);
    assert_true(h->orbiting);
    push_mouse(h, SDL_MOUSEBUTTONUP, 400, 300);
    frame(h);
    assert_false(h->orbiting);
    h->rc.node.depth_opacity = before;
}

/* Press on the scene (orbit), drag over a panel and release on a checkbox there: the scene
 * got press, motion and release (the orbit ends), the checkbox did not toggle. */
static void test_press_on_scene_release_on_panel(void **state) {
    harness *h = *state;
    h->st.tab_request = NB_GUI_TAB_RENDERING;
    frame(h);
    int x, y;
    widget_centre(h, "camera_fit", &x, &y);
    bool legend = h->rc.camera_fit;
    reset_scene(h);
    push_mouse(h, SDL_MOUSEMOTION, 400, 300);
    frame(h);
    push_mouse(h, SDL_MOUSEBUTTONDOWN, 400, 300);
    frame(h);
    assert_true(h->orbiting);
    for (int s = 1; s <= 4; s++) {
        push_mouse(h, SDL_MOUSEMOTION, 400 + (x - 400) * s / 4, 300 + (y - 300) * s / 4);
        frame(h);
    }
    push_mouse(h, SDL_MOUSEBUTTONUP, x, y);
    frame(h);
    assert_false(h->orbiting);
    assert_int_equal(h->orbit_motion, 4);
    assert_true(h->rc.camera_fit == legend);
    /* a click on the checkbox itself (motion, press, release in one frame) reaches it */
    push_mouse(h, SDL_MOUSEMOTION, x, y);
    push_mouse(h, SDL_MOUSEBUTTONDOWN, x, y);
    push_mouse(h, SDL_MOUSEBUTTONUP, x, y);
    frame(h);
    frame(h);
    assert_true(h->rc.camera_fit != legend);
    assert_int_equal(h->scene_presses, 1);
    h->rc.camera_fit = legend;
    nb_gui_form_refresh(&h->st.render_form);
}

/* Wheel over a panel is the panel's, over the scene the camera's. */
static void test_wheel(void **state) {
    harness *h = *state;
    reset_scene(h);
    push_mouse(h, SDL_MOUSEMOTION, W - 150, 400);
    push_wheel(h, 3);
    frame(h);
    push_wheel(h, -1);
    frame(h);
    assert_int_equal(h->zoom_steps, 0);
    push_mouse(h, SDL_MOUSEMOTION, 300, 200);
    push_wheel(h, 2);
    frame(h);
    assert_int_equal(h->zoom_steps, 2);
    /* over the floating Layers panel too */
    nb_gui_input_panels p;
    nb_gui_query_panels(h->gui, &p);
    assert_true(p.n_rects == 3);
    push_mouse(h, SDL_MOUSEMOTION, (int)(0.5f * (p.rect[2][0] + p.rect[2][2])),
               (int)(0.5f * (p.rect[2][1] + p.rect[2][3])));
    push_wheel(h, 5);
    frame(h);
    assert_int_equal(h->zoom_steps, 2);
}

/* Tab hides every panel (the scene gets the whole window, clicks and wheel included) and
 * shows them again; while a text field has the keyboard, Tab stays with the text field. */
static void test_hide_show_key(void **state) {
    harness *h = *state;
    frame(h);
    assert_true(non_white(W - 200, 200) > 100);
    push_key(h, SDLK_TAB);
    frame(h);
    frame(h);
    assert_true(h->st.panels_hidden);
    nb_gui_input_panels p;
    nb_gui_query_panels(h->gui, &p);
    assert_int_equal(p.n_rects, 0);
    assert_int_equal(non_white(W - 200, 200), 0);
    assert_int_equal(non_white(40, H - 200), 0);
    reset_scene(h);
    push_mouse(h, SDL_MOUSEMOTION, W - 150, 400);
    push_wheel(h, 1);
    frame(h);
    assert_int_equal(h->zoom_steps, 1);
    push_key(h, SDLK_TAB);
    frame(h);
    frame(h);
    assert_false(h->st.panels_hidden);
    nb_gui_query_panels(h->gui, &p);
    assert_int_equal(p.n_rects, 3);
    assert_true(non_white(W - 200, 200) > 100);
    /* a click into the Rendering tab's path field gives it the keyboard: Tab is its own */
    h->st.tab_request = NB_GUI_TAB_RENDERING;
    frame(h);
    const float *r = h->st.render_path_rect;
    assert_true(r[2] > r[0]);
    click(h, (int)(0.5f * (r[0] + r[2])), (int)(0.5f * (r[1] + r[3])));
    frame(h);
    assert_true(nb_gui_wants_keyboard(h->gui));
    push_key(h, SDLK_TAB);
    frame(h);
    assert_false(h->st.panels_hidden);
    /* a click on the scene ends the editing (and is the scene's click) */
    reset_scene(h);
    click(h, 300, 200);
    frame(h);
    assert_false(nb_gui_wants_keyboard(h->gui));
    assert_int_equal(h->scene_presses, 1);
    push_key(h, SDLK_TAB);
    frame(h);
    assert_true(h->st.panels_hidden);
    h->st.panels_hidden = false;
    frame(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_panels_drawn),
        cmocka_unit_test(test_slider_drag_changes_config_and_uniform),
        cmocka_unit_test(test_click_picks_node),
        cmocka_unit_test(test_press_on_panel_release_on_scene),
        cmocka_unit_test(test_press_on_scene_release_on_panel),
        cmocka_unit_test(test_wheel),
        cmocka_unit_test(test_hide_show_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
