/* test_gui_input.c - the event-capture rule with synthetic SDL events (no window, no GL): a
 * press over a panel and its release over the scene belong to the panels, a press over the
 * scene and its release over a panel to the scene, wheel over a panel scrolls the panel and
 * over the scene zooms, keys follow the keyboard focus; the hide/show key; the help rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nb_gui_input.h"

/* One sidebar panel at the right of a 1280 x 720 window, and a floating one with a resize
 * margin of 4 px. */
static void panels(nb_gui_input_panels *p) {
    memset(p, 0, sizeof *p);
    const float side[4] = {960.0f, 0.0f, 1280.0f, 720.0f}, flt[4] = {8.0f, 500.0f, 300.0f, 712.0f};
    memcpy(p->rect[0], side, sizeof side);
    memcpy(p->rect[1], flt, sizeof flt);
    p->pad[1] = 4.0f;
    p->n_rects = 2;
}

static SDL_Event motion(int x, int y) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEMOTION;
    ev.motion.x = x;
    ev.motion.y = y;
    return ev;
}

static SDL_Event button(Uint32 type, int x, int y, Uint8 b) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.button.button = b;
    ev.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
    ev.button.x = x;
    ev.button.y = y;
    return ev;
}

static SDL_Event wheel(int steps) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEWHEEL;
    ev.wheel.y = steps;
    return ev;
}

static SDL_Event key(Uint32 type, SDL_Keycode k, Uint16 mod, Uint8 repeat) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.key.keysym.sym = k;
    ev.key.keysym.mod = mod;
    ev.key.repeat = repeat;
    return ev;
}

static nb_gui_input_owner route(nb_gui_capture *c, SDL_Event ev, const nb_gui_input_panels *p) {
    return nb_gui_input_route(c, &ev, p);
}

static void test_over_panel(void **state) {
    (void)state;
    nb_gui_input_panels p;
    panels(&p);
    assert_true(nb_gui_input_over_panel(&p, 960.0f, 10.0f));
    assert_true(nb_gui_input_over_panel(&p, 1279.5f, 719.5f));
    assert_false(nb_gui_input_over_panel(&p, 959.9f, 10.0f));
    assert_false(nb_gui_input_over_panel(&p, 1280.0f, 10.0f)); /* half-open rectangles */
    assert_true(nb_gui_input_over_panel(&p, 5.0f, 600.0f));    /* resize margin */
    assert_true(nb_gui_input_over_panel(&p, 303.5f, 496.5f));
    assert_false(nb_gui_input_over_panel(&p, 3.0f, 600.0f));
    assert_false(nb_gui_input_over_panel(&p, 500.0f, 300.0f));
    p.n_rects = 0; /* hidden panels */
    assert_false(nb_gui_input_over_panel(&p, 1000.0f, 10.0f));
}

/* The reported bug: a press that reaches a panel in the same frame as the motion onto it, and
 * its release over the scene. Both belong to the panels; the scene sees neither. */
static void test_press_on_panel_release_on_scene(void **state) {
    (void)state;
    nb_gui_input_panels p;
    panels(&p);
    nb_gui_capture c;
    nb_gui_capture_init(&c);
    assert_int_equal(route(&c, motion(500, 300), &p), NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, motion(1000, 12), &p), NB_GUI_INPUT_PANELS); /* onto a header */
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONDOWN, 1000, 12, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_PANELS);
    assert_int_equal(c.buttons, SDL_BUTTON_LMASK);
    /* dragged out over the scene: still the panels' (a slider keeps following) */
    assert_int_equal(route(&c, motion(700, 200), &p), NB_GUI_INPUT_PANELS);
    assert_int_equal(route(&c, wheel(1), &p), NB_GUI_INPUT_PANELS);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONUP, 700, 200, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_PANELS);
    assert_int_equal(c.buttons, 0);
    /* released: the scene has the pointer again */
    assert_int_equal(route(&c, motion(690, 200), &p), NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONDOWN, 690, 200, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_SCENE);
}

/* A press on the scene (camera orbit) dragged over a panel and released there: the camera
 * gets the release, so the orbit ends; the panel never sees a click. */
static void test_press_on_scene_release_on_panel(void **state) {
    (void)state;
    nb_gui_input_panels p;
    panels(&p);
    nb_gui_capture c;
    nb_gui_capture_init(&c);
    assert_int_equal(route(&c, motion(500, 300), &p), NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONDOWN, 500, 300, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, motion(1100, 300), &p), NB_GUI_INPUT_SCENE);
    /* a second button during the drag joins the same owner */
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONDOWN, 1100, 300, SDL_BUTTON_RIGHT), &p),
                     NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONUP, 1100, 300, SDL_BUTTON_RIGHT), &p),
                     NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, wheel(-2), &p), NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONUP, 1100, 300, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_SCENE);
    assert_int_equal(c.buttons, 0);
    /* the pointer rests on the panel now: motion and the next press are the panel's */
    assert_int_equal(route(&c, motion(1101, 300), &p), NB_GUI_INPUT_PANELS);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONDOWN, 1101, 300, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_PANELS);
}

/* The wheel goes to what is under the pointer (the last position an event gave). */
static void test_wheel(void **state) {
    (void)state;
    nb_gui_input_panels p;
    panels(&p);
    nb_gui_capture c;
    nb_gui_capture_init(&c);
    assert_int_equal(route(&c, wheel(1), &p), NB_GUI_INPUT_SCENE); /* position unknown */
    route(&c, motion(1200, 400), &p);
    assert_int_equal(route(&c, wheel(1), &p), NB_GUI_INPUT_PANELS);
    assert_int_equal(route(&c, wheel(-3), &p), NB_GUI_INPUT_PANELS);
    route(&c, motion(400, 400), &p);
    assert_int_equal(route(&c, wheel(1), &p), NB_GUI_INPUT_SCENE);
    route(&c, motion(100, 600), &p); /* the floating panel */
    assert_int_equal(route(&c, wheel(1), &p), NB_GUI_INPUT_PANELS);
    /* the pointer left the window: a wheel (if any came) is not over a panel */
    SDL_Event leave;
    memset(&leave, 0, sizeof leave);
    leave.type = SDL_WINDOWEVENT;
    leave.window.event = SDL_WINDOWEVENT_LEAVE;
    assert_int_equal(route(&c, leave, &p), NB_GUI_INPUT_SCENE);
    assert_false(c.inside);
    assert_int_equal(route(&c, wheel(1), &p), NB_GUI_INPUT_SCENE);
    /* hidden panels: everything is the scene's */
    route(&c, motion(1200, 400), &p);
    p.n_rects = 0;
    assert_int_equal(route(&c, wheel(1), &p), NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONDOWN, 1200, 400, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_SCENE);
}

/* An open popup (combo list, menu) takes every press and wheel: a click outside closes it
 * and does not orbit the camera. */
static void test_popup(void **state) {
    (void)state;
    nb_gui_input_panels p;
    panels(&p);
    p.popup_open = true;
    nb_gui_capture c;
    nb_gui_capture_init(&c);
    route(&c, motion(400, 300), &p);
    assert_int_equal(route(&c, wheel(1), &p), NB_GUI_INPUT_PANELS);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONDOWN, 400, 300, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_PANELS);
    p.popup_open = false; /* closed by that press */
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONUP, 400, 300, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_PANELS);
    assert_int_equal(route(&c, wheel(1), &p), NB_GUI_INPUT_SCENE);
}

/* A release never seen (focus lost mid-drag) does not leave the capture stuck: the next
 * press of that button decides afresh; a stray release goes by position. */
static void test_lost_release(void **state) {
    (void)state;
    nb_gui_input_panels p;
    panels(&p);
    nb_gui_capture c;
    nb_gui_capture_init(&c);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONDOWN, 1000, 100, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_PANELS);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONDOWN, 400, 100, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONUP, 400, 100, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_SCENE);
    assert_int_equal(route(&c, button(SDL_MOUSEBUTTONUP, 1000, 100, SDL_BUTTON_LEFT), &p),
                     NB_GUI_INPUT_PANELS);
    assert_int_equal(c.buttons, 0);
}

static void test_keys(void **state) {
    (void)state;
    nb_gui_input_panels p;
    panels(&p);
    nb_gui_capture c;
    nb_gui_capture_init(&c);
    route(&c, motion(1200, 400), &p); /* the pointer over a panel does not take keys */
    assert_int_equal(route(&c, key(SDL_KEYDOWN, SDLK_w, 0, 0), &p), NB_GUI_INPUT_SCENE);
    p.wants_keyboard = true; /* a text field is being edited */
    assert_int_equal(route(&c, key(SDL_KEYDOWN, SDLK_w, 0, 0), &p), NB_GUI_INPUT_PANELS);
    assert_int_equal(route(&c, key(SDL_KEYDOWN, SDLK_TAB, 0, 0), &p), NB_GUI_INPUT_PANELS);
    SDL_Event text;
    memset(&text, 0, sizeof text);
    text.type = SDL_TEXTINPUT;
    assert_int_equal(route(&c, text, &p), NB_GUI_INPUT_PANELS);
    p.wants_keyboard = false;
    assert_int_equal(route(&c, text, &p), NB_GUI_INPUT_SCENE);
    /* keys do not change the mouse capture */
    assert_int_equal(c.buttons, 0);
    assert_true(c.inside);
}

static void test_panel_toggle_key(void **state) {
    (void)state;
    SDL_Event ev = key(SDL_KEYDOWN, SDLK_TAB, 0, 0);
    assert_true(nb_gui_input_is_panel_toggle(&ev));
    ev = key(SDL_KEYDOWN, SDLK_TAB, KMOD_LSHIFT, 0); /* Shift+Tab still toggles */
    assert_true(nb_gui_input_is_panel_toggle(&ev));
    ev = key(SDL_KEYDOWN, SDLK_TAB, KMOD_LCTRL, 0);
    assert_false(nb_gui_input_is_panel_toggle(&ev));
    ev = key(SDL_KEYDOWN, SDLK_TAB, KMOD_LALT, 0);
    assert_false(nb_gui_input_is_panel_toggle(&ev));
    ev = key(SDL_KEYDOWN, SDLK_TAB, 0, 1); /* held: one toggle, not one per repeat */
    assert_false(nb_gui_input_is_panel_toggle(&ev));
    ev = key(SDL_KEYUP, SDLK_TAB, 0, 0);
    assert_false(nb_gui_input_is_panel_toggle(&ev));
    ev = key(SDL_KEYDOWN, SDLK_h, 0, 0);
    assert_false(nb_gui_input_is_panel_toggle(&ev));
}

/* The help lists the toggle key first and the viewer's other keys; every row is filled. */
static void test_help_rows(void **state) {
    (void)state;
    const nb_gui_input_help *h = nb_gui_input_help_rows();
    assert_string_equal(h[0].input, NB_GUI_INPUT_TOGGLE_KEY_NAME);
    assert_non_null(strstr(h[0].action, "panels"));
    size_t n = 0;
    bool has_wheel = false, has_pose = false;
    for (; h[n].input; n++) {
        assert_non_null(h[n].action);
        assert_true(h[n].input[0] && h[n].action[0]);
        has_wheel = has_wheel || strcmp(h[n].input, "wheel") == 0;
        has_pose = has_pose || strstr(h[n].action, "camera_pose") != NULL;
    }
    assert_true(n >= 10);
    assert_true(has_wheel && has_pose);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_over_panel),
        cmocka_unit_test(test_press_on_panel_release_on_scene),
        cmocka_unit_test(test_press_on_scene_release_on_panel),
        cmocka_unit_test(test_wheel),
        cmocka_unit_test(test_popup),
        cmocka_unit_test(test_lost_release),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_panel_toggle_key),
        cmocka_unit_test(test_help_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
