/* nb_gui_script.c - GUI scripts: commands parsed in place and run one frame at a time.
 *
 * DESIGN: the text is copied once and cut at each ';' when its command starts. A command runs
 * through its row of a table (name, function); the function gets the frame number of the
 * command (its phase: 0 the first frame) and returns whether the command is finished, so a
 * click is three frames (motion, press, release) and a slider drag a motion, a press, four
 * moves and a release, each pushed as a real SDL event one frame apart and routed by
 * nb_gui_process_event like a user's. The pointer position and buttons the script holds are
 * kept here, so motion events carry the relative move the camera orbits by. Form commands
 * (set, pset) go through nb_gui_form_set_*, the widgets' own path; the others set the panels'
 * request bits or call the host. Main thread only. Config keys read: every rendering key
 * (drag, set) and processing key (pset), by name through the key tables.
 */
#include "nb_gui_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_log.h"

#define WAIT_JOB_FRAMES 100000 /* wait-job gives up after this many frames */
#define DRAG_STEPS      4      /* motion events between press and release of a drag */

struct nb_gui_script {
    char *text;    /* commands, ';'-separated, cut in place */
    char *next;    /* the rest of the text */
    char *command; /* the command being run, NULL between commands */
    int phase;     /* frames the command has run */
    int wait_frames;
    bool has_pointer; /* the script moved the pointer: x, y */
    int x, y;
    Uint32 buttons; /* SDL_BUTTON masks the script holds */
};

/* One command: runs one frame of it; returns true when it is finished. */
typedef bool (*command_fn)(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                           const char *arg, int phase);

/* ---- events ---------------------------------------------------------------------------- */

static Uint32 window_id(const nb_gui_script_target *t) {
    nb_gui_view v;
    t->host->query(t->host->viewer, &v);
    return SDL_GetWindowID(v.window);
}

/* A mouse event at window pixel (x, y); motion carries the relative move from the last
 * scripted position (the camera orbits and pans by it). */
static void push_button(nb_gui_script *s, const nb_gui_script_target *t, Uint32 type, int x, int y,
                        Uint8 button) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    if (type == SDL_MOUSEMOTION) {
        ev.motion.windowID = window_id(t);
        ev.motion.x = x;
        ev.motion.y = y;
        ev.motion.xrel = s->has_pointer ? x - s->x : 0;
        ev.motion.yrel = s->has_pointer ? y - s->y : 0;
        ev.motion.state = s->buttons;
    } else {
        ev.button.windowID = window_id(t);
        ev.button.button = button;
        ev.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
        ev.button.clicks = 1;
        ev.button.x = x;
        ev.button.y = y;
        if (type == SDL_MOUSEBUTTONDOWN)
            s->buttons |= SDL_BUTTON(button);
        else
            s->buttons &= ~SDL_BUTTON(button);
    }
    s->has_pointer = true;
    s->x = x;
    s->y = y;
    SDL_PushEvent(&ev);
}

static void push_mouse(nb_gui_script *s, const nb_gui_script_target *t, Uint32 type, int x, int y) {
    push_button(s, t, type, x, y, SDL_BUTTON_LEFT);
}

static void push_wheel(const nb_gui_script_target *t, int steps) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEWHEEL;
    ev.wheel.windowID = window_id(t);
    ev.wheel.y = steps;
    ev.wheel.preciseY = (float)steps;
    ev.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
    SDL_PushEvent(&ev);
}

/* Key press and release of the key named `name` (SDL_GetKeyFromName: "Tab", "1", "h", ...).
 * Returns false for an unknown name. */
static bool push_key(const nb_gui_script_target *t, const char *name) {
    SDL_Keycode k = SDL_GetKeyFromName(name);
    if (k == SDLK_UNKNOWN)
        return false;
    for (int up = 0; up < 2; up++) {
        SDL_Event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = up ? SDL_KEYUP : SDL_KEYDOWN;
        ev.key.windowID = window_id(t);
        ev.key.state = up ? SDL_RELEASED : SDL_PRESSED;
        ev.key.keysym.sym = k;
        ev.key.keysym.scancode = SDL_GetScancodeFromKey(k);
        SDL_PushEvent(&ev);
    }
    return true;
}

/* ---- commands -------------------------------------------------------------------------- */

static bool cmd_wait(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                     const char *arg, int phase) {
    (void)t, (void)word, (void)phase;
    s->wait_frames = atoi(arg) > 0 ? atoi(arg) - 1 : 0;
    return true;
}

static bool *panel_flag(nb_gui_state *st, const char *name) {
    if (strcmp(name, "rendering") == 0)
        return &st->show_rendering;
    if (strcmp(name, "stats") == 0)
        return &st->show_stats;
    if (strcmp(name, "processing") == 0)
        return &st->show_processing;
    if (strcmp(name, "node") == 0)
        return &st->show_inspector;
    if (strcmp(name, "activations") == 0)
        return &st->show_activation;
    if (strcmp(name, "layers") == 0)
        return &st->show_layers;
    return NULL;
}

static bool cmd_show(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                     const char *arg, int phase) {
    (void)s, (void)phase;
    nb_gui_state *st = t->st;
    bool *flag = panel_flag(st, arg);
    if (!flag) {
        nb_log_warn("GUI script: no panel '%s'", arg);
        return true;
    }
    *flag = word[0] == 's';
    const nb_gui_tab tab = flag == &st->show_rendering    ? NB_GUI_TAB_RENDERING
                           : flag == &st->show_inspector  ? NB_GUI_TAB_NODE
                           : flag == &st->show_stats      ? NB_GUI_TAB_STATS
                           : flag == &st->show_processing ? NB_GUI_TAB_PROCESSING
                                                          : NB_GUI_TAB_NONE;
    if (*flag && tab != NB_GUI_TAB_NONE)
        nb_gui_state_show_tab(st, tab);
    return true;
}

static bool cmd_click(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                      const char *arg, int phase) {
    (void)word;
    int x = 0, y = 0;
    if (sscanf(arg, "%d %d", &x, &y) != 2) {
        nb_log_warn("GUI script: click needs X Y");
        return true;
    }
    if (phase >= 3)
        return true; /* the release was seen in the frame before */
    Uint32 type = phase == 0   ? SDL_MOUSEMOTION
                  : phase == 1 ? SDL_MOUSEBUTTONDOWN
                               : SDL_MOUSEBUTTONUP;
    push_mouse(s, t, type, x, y);
    return false;
}

/* move, press, release: one mouse event. */
static bool cmd_mouse(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                      const char *arg, int phase) {
    (void)phase;
    int x = 0, y = 0, b = SDL_BUTTON_LEFT;
    if (sscanf(arg, "%d %d %d", &x, &y, &b) < 2 || b < 1 || b > 5) {
        nb_log_warn("GUI script: %s needs X Y [BUTTON 1..5]", word);
        return true;
    }
    Uint32 type = word[0] == 'm'   ? SDL_MOUSEMOTION
                  : word[0] == 'p' ? SDL_MOUSEBUTTONDOWN
                                   : SDL_MOUSEBUTTONUP;
    push_button(s, t, type, x, y, (Uint8)b);
    return true;
}

static bool cmd_wheel(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                      const char *arg, int phase) {
    (void)word;
    int x = 0, y = 0, steps = 0;
    if (sscanf(arg, "%d %d %d", &x, &y, &steps) != 3) {
        nb_log_warn("GUI script: wheel needs X Y STEPS");
        return true;
    }
    if (phase == 0) { /* the pointer first, as a real wheel turn comes after a motion */
        push_mouse(s, t, SDL_MOUSEMOTION, x, y);
        return false;
    }
    push_wheel(t, steps);
    return true;
}

static bool cmd_key(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                    const char *arg, int phase) {
    (void)s, (void)word, (void)phase;
    if (!push_key(t, arg))
        nb_log_warn("GUI script: no key named '%s'", arg);
    return true;
}

/* A slider drag: motion to F0, press, DRAG_STEPS moves towards F1, release at F1. */
static bool cmd_drag(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                     const char *arg, int phase) {
    (void)word;
    char key[128];
    double f0, f1;
    const nb_config_key *k = NULL;
    if (sscanf(arg, "%127s %lf %lf", key, &f0, &f1) != 3 ||
        !(k = nb_config_find(&nb_rendering_schema, key))) {
        nb_log_warn("GUI script: drag needs a rendering KEY F0 F1");
        return true;
    }
    const float *r = t->st->render_rect[k - nb_rendering_schema.keys];
    if (!(r[2] > r[0])) {
        if (phase < 3)
            return false; /* not drawn yet (panel just opened) */
        nb_log_warn("GUI script: the widget of %s is not visible", key);
        return true;
    }
    int y = (int)((r[1] + r[3]) * 0.5f);
    int x0 = (int)(r[0] + (float)f0 * (r[2] - r[0]));
    int x1 = (int)(r[0] + (float)f1 * (r[2] - r[0]));
    if (phase == 0)
        push_mouse(s, t, SDL_MOUSEMOTION, x0, y);
    else if (phase == 1)
        push_mouse(s, t, SDL_MOUSEBUTTONDOWN, x0, y);
    else if (phase < 2 + DRAG_STEPS)
        push_mouse(s, t, SDL_MOUSEMOTION, x0 + (x1 - x0) * (phase - 1) / DRAG_STEPS, y);
    else if (phase == 2 + DRAG_STEPS)
        push_mouse(s, t, SDL_MOUSEBUTTONUP, x1, y);
    else
        return true;
    return false;
}

static bool cmd_pick(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                     const char *arg, int phase) {
    (void)s, (void)word, (void)phase;
    nb_gui_state *st = t->st;
    if (strcmp(word, "unpick") == 0)
        st->requests |= NB_GUI_REQ_CLEAR_PICK;
    else if (sscanf(arg, "%d:%d", &st->pick_layer, &st->pick_index) == 2)
        st->requests |= NB_GUI_REQ_PICK_NODE;
    else
        nb_log_warn("GUI script: pick needs L:I");
    return true;
}

static bool cmd_activation(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                           const char *arg, int phase) {
    (void)s, (void)word, (void)phase;
    t->st->activation_on = true;
    t->st->show_activation = true;
    t->st->activation_image = atoi(arg);
    t->st->requests |= NB_GUI_REQ_ACTIVATION;
    return true;
}

static bool cmd_pair(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                     const char *arg, int phase) {
    (void)s, (void)word, (void)phase;
    t->st->selected_pair = atoi(arg);
    t->st->requests |= NB_GUI_REQ_PAIR;
    return true;
}

/* Applies "KEY=VALUE" to a form by key index (through the widgets' own setter path). */
static void form_set(nb_gui_form *f, const char *assignment) {
    char key[128];
    const char *eq = strchr(assignment, '=');
    if (!eq || (size_t)(eq - assignment) >= sizeof key) {
        nb_log_warn("GUI script: '%s' is not KEY=VALUE", assignment);
        return;
    }
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    const nb_config_key *k = nb_config_find(f->schema, key);
    if (!k) {
        nb_log_warn("GUI script: no key %s", key);
        return;
    }
    size_t i = (size_t)(k - f->schema->keys);
    const char *v = eq + 1;
    nb_status s = NB_OK;
    if (k->type == NB_CONFIG_STRING) {
        s = nb_gui_form_set_text(f, i, v);
    } else if (k->type == NB_CONFIG_ENUM) {
        /* an unknown word is choice -1, which the form refuses with its own message */
        s = nb_gui_form_set_number(f, i, nb_config_key_enum_index(k, v));
    } else if (k->type == NB_CONFIG_BOOL) {
        s = nb_gui_form_set_number(f, i, strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    } else if (k->type == NB_CONFIG_COLOR) {
        double rgb[3];
        if (sscanf(v, "%lf,%lf,%lf", &rgb[0], &rgb[1], &rgb[2]) == 3)
            s = nb_gui_form_set_color(f, i, rgb);
        else
            nb_log_warn("GUI script: colour %s is not R,G,B", v);
    } else {
        s = nb_gui_form_set_number(f, i, strtod(v, NULL));
    }
    if (s != NB_OK)
        nb_log_warn("GUI script: %s", nb_error_message());
}

/* set, pset: a key of the Rendering or the Processing form. */
static bool cmd_set(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                    const char *arg, int phase) {
    (void)s, (void)phase;
    form_set(word[0] == 'p' ? &t->st->processing_form : &t->st->render_form, arg);
    return true;
}

/* rload, rsave, save, data: a path typed into a panel and its button. */
static bool cmd_path(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                     const char *arg, int phase) {
    (void)s, (void)phase;
    nb_gui_state *st = t->st;
    if (strcmp(word, "save") == 0) {
        snprintf(st->result_path, sizeof st->result_path, "%s", arg);
        st->requests |= NB_GUI_REQ_SAVE_RESULT;
    } else if (strcmp(word, "data") == 0) {
        snprintf(st->data_dir, sizeof st->data_dir, "%s", arg);
        st->requests |= NB_GUI_REQ_LOAD_DATA;
    } else {
        snprintf(st->render_path, sizeof st->render_path, "%s", arg);
        st->requests |= word[1] == 'l' ? NB_GUI_REQ_RENDER_LOAD : NB_GUI_REQ_RENDER_SAVE;
    }
    return true;
}

/* run, cancel, wait-job: processing. */
static bool cmd_job(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                    const char *arg, int phase) {
    (void)s, (void)arg;
    if (strcmp(word, "wait-job") == 0)
        return !t->job_running || phase >= WAIT_JOB_FRAMES;
    t->st->requests |= word[0] == 'r' ? NB_GUI_REQ_RUN : NB_GUI_REQ_CANCEL;
    return true;
}

static bool cmd_zoom(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                     const char *arg, int phase) {
    (void)s, (void)word, (void)phase;
    nb_gui_view v;
    t->host->query(t->host->viewer, &v);
    nb_camera_zoom(v.camera, (float)atof(arg));
    return true;
}

static bool cmd_camera(nb_gui_script *s, const nb_gui_script_target *t, const char *word,
                       const char *arg, int phase) {
    (void)s, (void)word, (void)phase;
    if (!t->host->set_camera_pose(t->host->viewer, atoi(arg)))
        nb_log_warn("GUI script: no camera pose %s", arg);
    return true;
}

static const struct {
    const char *name;
    command_fn run; /* NULL: acts on the finished frame (the session runs it) */
} commands[] = {
    {"wait", cmd_wait},
    {"show", cmd_show},
    {"hide", cmd_show},
    {"click", cmd_click},
    {"move", cmd_mouse},
    {"press", cmd_mouse},
    {"release", cmd_mouse},
    {"wheel", cmd_wheel},
    {"key", cmd_key},
    {"drag", cmd_drag},
    {"pick", cmd_pick},
    {"unpick", cmd_pick},
    {"activation", cmd_activation},
    {"pair", cmd_pair},
    {"set", cmd_set},
    {"pset", cmd_set},
    {"rload", cmd_path},
    {"rsave", cmd_path},
    {"save", cmd_path},
    {"data", cmd_path},
    {"run", cmd_job},
    {"cancel", cmd_job},
    {"wait-job", cmd_job},
    {"zoom", cmd_zoom},
    {"camera", cmd_camera},
    {"screenshot", NULL},
    {"report", NULL},
    {"quit", NULL},
};

/* Runs one frame's worth of the current command; returns true when it is finished. */
static bool run_command(nb_gui_script *s, const nb_gui_script_target *t, const char *cmd) {
    char word[32] = "", arg[1024] = "";
    if (sscanf(cmd, "%31s %1023[^\n]", word, arg) < 1)
        return true;
    int phase = s->phase++;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(word, commands[i].name) == 0)
            return commands[i].run ? commands[i].run(s, t, word, arg, phase) : true;
    nb_log_warn("GUI script: unknown command '%s'", word);
    return true;
}

/* ---- the script ------------------------------------------------------------------------ */

/* Trims spaces in place. */
static char *trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* The next command, or NULL at the end. */
static char *next_command(nb_gui_script *s) {
    while (s->next && *s->next) {
        char *start = s->next;
        char *end = strchr(start, ';');
        if (end) {
            *end = '\0';
            s->next = end + 1;
        } else {
            s->next = start + strlen(start);
        }
        char *cmd = trim(start);
        if (*cmd)
            return cmd;
    }
    return NULL;
}

nb_gui_script *nb_gui_script_create(const char *text) {
    if (!text || !*text)
        return NULL;
    nb_gui_script *s = calloc(1, sizeof *s);
    size_t n = strnlen(text, NB_GUI_SCRIPT_MAX);
    char *copy = malloc(n + 1);
    if (!s || !copy) {
        free(s);
        free(copy);
        return NULL;
    }
    memcpy(copy, text, n);
    copy[n] = '\0';
    s->text = copy;
    s->next = copy;
    return s;
}

void nb_gui_script_destroy(nb_gui_script *s) {
    if (!s)
        return;
    free(s->text);
    free(s);
}

const char *nb_gui_script_step(nb_gui_script *s, const nb_gui_script_target *t) {
    if (!s)
        return NULL;
    if (s->wait_frames > 0) {
        s->wait_frames--;
        return NULL;
    }
    if (!s->command) {
        s->command = next_command(s);
        s->phase = 0;
        if (!s->command)
            return NULL;
    }
    char *cmd = s->command;
    if (run_command(s, t, cmd)) {
        s->command = NULL;
        return cmd;
    }
    return NULL;
}
