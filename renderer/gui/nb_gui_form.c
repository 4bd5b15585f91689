/* nb_gui_form.c - schema-driven editing of a config struct for the GUI panels.
 *
 * DESIGN: the form mirrors each key of an nb_config_schema in a field (shown value + error).
 * Reading a key uses its offset and type from the schema table; writing never pokes the
 * struct directly: the value is formatted as a `--set key=value` assignment and applied with
 * nb_config_set to a scratch copy, then the whole copy goes through nb_config_validate (the CLI
 * path, method.md §8.1 "no validation of config values" fixed the same way everywhere);
 * only then is it copied over the live config. File loads go the same way through
 * nb_config_load on a copy. Single-threaded (the GUI thread); the scratch copy is allocated
 * once at init. Config keys read: all keys of the bound schema.
 */
#include "nb_gui_form.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_status.h"

/* Scratch copy for trial edits lives right after the fields (one allocation). */
static void *scratch_of(const nb_gui_form *f) {
    return (void *)(f->field + f->schema->n_keys);
}

static double read_number(const nb_config_key *k, const void *cfg) {
    const char *p = (const char *)cfg + k->offset;
    switch (k->type) {
    case NB_CONFIG_DOUBLE: {
        double v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case NB_CONFIG_INT:
    case NB_CONFIG_ENUM: {
        int v;
        memcpy(&v, p, sizeof v);
        return (double)v;
    }
    case NB_CONFIG_BOOL: {
        bool v;
        memcpy(&v, p, sizeof v);
        return v ? 1.0 : 0.0;
    }
    default:
        return 0.0;
    }
}

static void show_key(nb_gui_form *f, size_t i) {
    const nb_config_key *k = &f->schema->keys[i];
    nb_gui_form_field *fd = &f->field[i];
    const char *p = (const char *)f->cfg + k->offset;
    fd->error[0] = '\0';
    if (k->type == NB_CONFIG_COLOR) {
        memcpy(fd->value, p, sizeof(double) * 3);
    } else if (k->type == NB_CONFIG_STRING) {
        snprintf(fd->text, sizeof fd->text, "%s", p);
    } else {
        fd->value[0] = read_number(k, f->cfg);
    }
}

nb_status nb_gui_form_init(nb_gui_form *f, const nb_config_schema *schema, void *cfg,
                           bool sliders) {
    memset(f, 0, sizeof *f);
    size_t bytes = schema->n_keys * sizeof(nb_gui_form_field) + schema->struct_size;
    nb_gui_form_field *field = calloc(1, bytes);
    if (!field)
        return NB_RAISE(NB_E_NOMEM, schema->name, "GUI form of %zu keys", schema->n_keys);
    f->schema = schema;
    f->cfg = cfg;
    f->field = field;
    f->sliders = sliders;
    nb_gui_form_sync(f);
    return NB_OK;
}

void nb_gui_form_deinit(nb_gui_form *f) {
    free(f->field);
    memset(f, 0, sizeof *f);
}

void nb_gui_form_sync(nb_gui_form *f) {
    for (size_t i = 0; i < f->schema->n_keys; i++)
        show_key(f, i);
}

void nb_gui_form_refresh(nb_gui_form *f) {
    for (size_t i = 0; i < f->schema->n_keys; i++)
        if (!f->field[i].error[0])
            show_key(f, i);
}

nb_gui_widget nb_gui_form_widget(const nb_gui_form *f, size_t i) {
    const nb_config_key *k = &f->schema->keys[i];
    switch (k->type) {
    case NB_CONFIG_BOOL:
        return NB_GUI_WIDGET_CHECKBOX;
    case NB_CONFIG_ENUM:
        return NB_GUI_WIDGET_COMBO;
    case NB_CONFIG_COLOR:
        return NB_GUI_WIDGET_COLOR;
    case NB_CONFIG_STRING:
        return NB_GUI_WIDGET_TEXT;
    case NB_CONFIG_INT:
        /* a slider is useless over a range of millions (seeds): type the number */
        return f->sliders && k->max - k->min <= 4096.0 ? NB_GUI_WIDGET_INT_SLIDER
                                                       : NB_GUI_WIDGET_INT_INPUT;
    case NB_CONFIG_DOUBLE:
    default:
        return f->sliders ? NB_GUI_WIDGET_SLIDER : NB_GUI_WIDGET_INPUT;
    }
}

void nb_gui_form_slider_range(const nb_config_key *k, double *lo, double *hi, bool *logarithmic) {
    double a = isfinite(k->min) ? k->min : 0.0;
    double b = isfinite(k->max) ? k->max : 1e6;
    double span = b - a;
    if (!(span > 0.0))
        span = 1.0;
    if (k->flags & NB_CONFIG_MIN_EXCLUSIVE)
        a += a != 0.0 ? 1e-3 * fmin(fabs(a), span) : fmin(1e-3, 1e-3 * span);
    if (k->flags & NB_CONFIG_MAX_EXCLUSIVE)
        b -= b != 0.0 ? 1e-3 * fmin(fabs(b), span) : fmin(1e-3, 1e-3 * span);
    *lo = a;
    *hi = b;
    *logarithmic = a > 0.0 && b / a > 1000.0;
}

void nb_gui_form_split_name(const char *name, char *section, size_t section_size, char *label,
                            size_t label_size) {
    static const char *const prefixes[] = {"edge", "node"};
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        size_t n = strlen(prefixes[p]);
        if (strncmp(name, prefixes[p], n) == 0 && (name[n] == '.' || name[n] == '_') &&
            name[n + 1] != '\0') {
            snprintf(section, section_size, "%s", prefixes[p]);
            snprintf(label, label_size, "%s", name + n + 1);
            return;
        }
    }
    const char *dot = strchr(name, '.');
    if (dot && dot[1] != '\0') {
        int n = (int)(dot - name);
        snprintf(section, section_size, "%.*s", n, name);
        snprintf(label, label_size, "%s", dot + 1);
        return;
    }
    if (section_size)
        section[0] = '\0';
    snprintf(label, label_size, "%s", name);
}

/* Applies "name=value" to a scratch copy, validates, commits. */
static nb_status apply(nb_gui_form *f, size_t i, const char *value) {
    const nb_config_key *k = &f->schema->keys[i];
    nb_gui_form_field *fd = &f->field[i];
    size_t n = strlen(k->name) + strlen(value) + 2;
    char stack[512];
    char *assignment = n <= sizeof stack ? stack : malloc(n);
    if (!assignment)
        return NB_RAISE(NB_E_NOMEM, k->name, "assignment of %zu bytes", n);
    snprintf(assignment, n, "%s=%s", k->name, value);
    void *scratch = scratch_of(f);
    memcpy(scratch, f->cfg, f->schema->struct_size);
    nb_status s = nb_config_set(f->schema, assignment, scratch);
    if (s == NB_OK)
        s = nb_config_validate(f->schema, scratch);
    if (assignment != stack)
        free(assignment);
    if (s != NB_OK) {
        snprintf(fd->error, sizeof fd->error, "%s", nb_error_message());
        return s;
    }
    memcpy(f->cfg, scratch, f->schema->struct_size);
    fd->error[0] = '\0';
    f->generation++;
    return NB_OK;
}

nb_status nb_gui_form_set_number(nb_gui_form *f, size_t i, double v) {
    if (i >= f->schema->n_keys)
        return NB_RAISE(NB_E_INVALID, f->schema->name, "key index %zu of %zu", i,
                        f->schema->n_keys);
    const nb_config_key *k = &f->schema->keys[i];
    nb_gui_form_field *fd = &f->field[i];
    char value[64];
    switch (k->type) {
    case NB_CONFIG_DOUBLE:
        if (!isfinite(v)) {
            fd->value[0] = v;
            snprintf(fd->error, sizeof fd->error, "[%s] not a finite number", k->name);
            return NB_RAISE(NB_E_CONFIG, k->name, "not a finite number");
        }
        snprintf(value, sizeof value, "%.17g", v);
        break;
    case NB_CONFIG_INT:
        if (!(v >= -2147483648.0 && v <= 2147483647.0) || v != floor(v)) {
            fd->value[0] = v;
            snprintf(fd->error, sizeof fd->error, "[%s] not an integer", k->name);
            return NB_RAISE(NB_E_CONFIG, k->name, "not an integer");
        }
        snprintf(value, sizeof value, "%d", (int)v);
        break;
    case NB_CONFIG_BOOL:
        snprintf(value, sizeof value, "%s", v != 0.0 ? "true" : "false");
        v = v != 0.0 ? 1.0 : 0.0;
        break;
    case NB_CONFIG_ENUM: {
        size_t n_names = nb_config_key_enum_count(k);
        if (!(v >= 0.0 && v < (double)n_names) || v != floor(v)) {
            fd->value[0] = v;
            snprintf(fd->error, sizeof fd->error, "[%s] no choice %g", k->name, v);
            return NB_RAISE(NB_E_CONFIG, k->name, "no choice %g of %zu", v, n_names);
        }
        snprintf(value, sizeof value, "\"%s\"", nb_config_key_enum_name(k, (int)v));
        break;
    }
    default:
        return NB_RAISE(NB_E_INVALID, k->name, "not a number key");
    }
    fd->value[0] = v;
    return apply(f, i, value);
}

nb_status nb_gui_form_set_color(nb_gui_form *f, size_t i, const double rgb[3]) {
    if (i >= f->schema->n_keys || f->schema->keys[i].type != NB_CONFIG_COLOR)
        return NB_RAISE(NB_E_INVALID, f->schema->name, "key index %zu is not a colour", i);
    nb_gui_form_field *fd = &f->field[i];
    memcpy(fd->value, rgb, sizeof(double) * 3);
    for (int c = 0; c < 3; c++)
        if (!isfinite(rgb[c])) {
            snprintf(fd->error, sizeof fd->error, "[%s] not a finite colour",
                     f->schema->keys[i].name);
            return NB_RAISE(NB_E_CONFIG, f->schema->keys[i].name, "not a finite colour");
        }
    char value[128];
    snprintf(value, sizeof value, "[%.17g,%.17g,%.17g]", rgb[0], rgb[1], rgb[2]);
    return apply(f, i, value);
}

nb_status nb_gui_form_set_text(nb_gui_form *f, size_t i, const char *s) {
    if (i >= f->schema->n_keys || f->schema->keys[i].type != NB_CONFIG_STRING)
        return NB_RAISE(NB_E_INVALID, f->schema->name, "key index %zu is not a string", i);
    nb_gui_form_field *fd = &f->field[i];
    snprintf(fd->text, sizeof fd->text, "%s", s);
    /* as a JSON string, so commas, spaces and quotes survive nb_config_set */
    char value[2 * NB_GUI_FORM_TEXT_MAX + 3];
    size_t o = 0;
    value[o++] = '"';
    for (const char *c = fd->text; *c; c++) {
        if (*c == '"' || *c == '\\')
            value[o++] = '\\';
        value[o++] = (unsigned char)*c < 0x20 ? ' ' : *c;
    }
    value[o++] = '"';
    value[o] = '\0';
    return apply(f, i, value);
}

bool nb_gui_form_has_errors(const nb_gui_form *f) {
    for (size_t i = 0; i < f->schema->n_keys; i++)
        if (f->field[i].error[0])
            return true;
    return false;
}

nb_status nb_gui_form_load(nb_gui_form *f, const char *path) {
    void *scratch = scratch_of(f);
    memcpy(scratch, f->cfg, f->schema->struct_size);
    nb_status s = nb_config_load(f->schema, path, scratch);
    if (s == NB_OK)
        s = nb_config_validate(f->schema, scratch);
    if (s != NB_OK) {
        snprintf(f->file_error, sizeof f->file_error, "%s", nb_error_message());
        return s;
    }
    memcpy(f->cfg, scratch, f->schema->struct_size);
    f->file_error[0] = '\0';
    f->generation++;
    nb_gui_form_sync(f);
    return NB_OK;
}

nb_status nb_gui_form_save(nb_gui_form *f, const char *path) {
    nb_status s = nb_config_save(f->schema, f->cfg, path);
    if (s != NB_OK) {
        snprintf(f->file_error, sizeof f->file_error, "%s", nb_error_message());
        return s;
    }
    f->file_error[0] = '\0';
    return NB_OK;
}

void nb_gui_form_reset(nb_gui_form *f) {
    nb_config_defaults(f->schema, f->cfg);
    f->file_error[0] = '\0';
    f->generation++;
    nb_gui_form_sync(f);
}
