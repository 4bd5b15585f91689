/* nb_gui_input.c - event routing between the Dear ImGui panels and the scene (GL-free).
 *
 * DESIGN: an implicit mouse capture, as window systems do it: the first press decides the
 * owner from what is under the pointer at that event (the panel rectangles the last frame
 * drew, nb_gui_input.h), and that owner keeps the mouse until every button is up. Dear ImGui
 * 1.86 decides its own capture (io.WantCaptureMouse) inside NewFrame from the previous
 * frame's hover state; deciding on that flag made a press that reached a panel header in the
 * same frame as the motion onto it go to the camera and its release to Dear ImGui, so the
 * camera kept orbiting with no button held. Deciding on the event keeps press and release
 * together. Keyboard focus is not positional, so keys follow WantCaptureKeyboard. No state
 * but the caller's nb_gui_capture; no threads. Config keys read: none.
 */
#include "nb_gui_input.h"

#include <string.h>

void nb_gui_capture_init(nb_gui_capture *cap) {
    memset(cap, 0, sizeof *cap);
    cap->owner = NB_GUI_INPUT_SCENE;
}

bool nb_gui_input_over_panel(const nb_gui_input_panels *p, float x, float y) {
    for (size_t i = 0; i < p->n_rects && i < NB_GUI_INPUT_MAX_RECTS; i++) {
        const float *r = p->rect[i];
        float pad = p->pad[i] > 0.0f ? p->pad[i] : 0.0f;
        if (x >= r[0] - pad && x < r[2] + pad && y >= r[1] - pad && y < r[3] + pad)
            return true;
    }
    return false;
}

/* Who gets the mouse when no button is held: what is under the pointer. */
static nb_gui_input_owner under_pointer(const nb_gui_capture *cap, const nb_gui_input_panels *p) {
    if (p->popup_open)
        return NB_GUI_INPUT_PANELS;
    return cap->inside && nb_gui_input_over_panel(p, cap->x, cap->y) ? NB_GUI_INPUT_PANELS
                                                                     : NB_GUI_INPUT_SCENE;
}

static unsigned button_bit(Uint8 button) {
    return button >= 1 && button <= 31 ? 1u << (button - 1) : 0u;
}

nb_gui_input_owner nb_gui_input_route(nb_gui_capture *cap, const SDL_Event *ev,
                                      const nb_gui_input_panels *p) {
    switch (ev->type) {
    case SDL_MOUSEMOTION:
        cap->inside = true;
        cap->x = (float)ev->motion.x;
        cap->y = (float)ev->motion.y;
        return cap->buttons ? cap->owner : under_pointer(cap, p);
    case SDL_MOUSEBUTTONDOWN: {
        cap->inside = true;
        cap->x = (float)ev->button.x;
        cap->y = (float)ev->button.y;
        unsigned bit = button_bit(ev->button.button);
        if (cap->buttons & bit)
            cap->buttons = 0; /* its release was lost (focus change): start afresh */
        if (!cap->buttons)
            cap->owner = under_pointer(cap, p);
        cap->buttons |= bit;
        return cap->owner;
    }
    case SDL_MOUSEBUTTONUP: {
        cap->inside = true;
        cap->x = (float)ev->button.x;
        cap->y = (float)ev->button.y;
        if (!cap->buttons) /* a release whose press this window never saw */
            return under_pointer(cap, p);
        nb_gui_input_owner o = cap->owner;
        cap->buttons &= ~button_bit(ev->button.button);
        return o;
    }
    case SDL_MOUSEWHEEL:
        return cap->buttons ? cap->owner : under_pointer(cap, p);
    case SDL_WINDOWEVENT:
        if (ev->window.event == SDL_WINDOWEVENT_LEAVE)
            cap->inside = false;
        return NB_GUI_INPUT_SCENE;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
    case SDL_TEXTINPUT:
    case SDL_TEXTEDITING:
        return p->wants_keyboard ? NB_GUI_INPUT_PANELS : NB_GUI_INPUT_SCENE;
    default:
        return NB_GUI_INPUT_SCENE;
    }
}

bool nb_gui_input_is_panel_toggle(const SDL_Event *ev) {
    return ev->type == SDL_KEYDOWN && !ev->key.repeat &&
           ev->key.keysym.sym == NB_GUI_INPUT_TOGGLE_KEY &&
           !(ev->key.keysym.mod & (KMOD_CTRL | KMOD_ALT | KMOD_GUI));
}

static const nb_gui_input_help help_rows[] = {
    {NB_GUI_INPUT_TOGGLE_KEY_NAME, "hide / show all panels"},
    {"left drag", "orbit (press on the scene)"},
    {"left click", "inspect the node under the cursor"},
    {"right or middle drag", "pan"},
    {"wheel", "zoom (over the scene; over a panel it scrolls the panel)"},
    {"0 - 9", "key camera poses (camera_pose)"},
    {"W / S", "move towards / away from the look-at point"},
    {"A / D", "move left / right"},
    {"H", "auto-orbit on / off"},
    {"K", "screenshot of the scene (PNG)"},
    {"R", "record every frame (PNG)"},
    {"Esc", "quit"},
    {NULL, NULL},
};

const nb_gui_input_help *nb_gui_input_help_rows(void) {
    return help_rows;
}
